"""Joint meetings of a family: schedule, then record the held meeting in steps (details,
people, actions) saved as they go, checked, and submitted once."""

from flask import Blueprint

from webapp.casework import scoped

bp = scoped(Blueprint("meetings", __name__))

from webapp.meetings import routes  # noqa: E402, F401 - registers the views on bp
