"""Shared-resource services of a family: requests, a supervisor's decision, delivery."""

from flask import Blueprint

from webapp.casework import scoped

bp = scoped(Blueprint("resources", __name__))

from webapp.resources import routes  # noqa: E402, F401 - registers the views on bp
