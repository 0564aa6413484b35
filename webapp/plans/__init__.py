"""The family's coordinated plan: versions, objectives, activities with WtW hours, the
approval moves, acknowledgements."""

from flask import Blueprint

from webapp.casework import scoped

bp = scoped(Blueprint("plans", __name__))

from webapp.plans import routes  # noqa: E402, F401 - registers the views on bp
