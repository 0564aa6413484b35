"""User administration: create, edit (role, program, county), deactivate and reactivate, reset
a password or a second factor."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from webapp.admin import routes  # noqa: E402, F401 - registers the views on bp
