"""The mutual families a user may see: the list and one family's page."""

from flask import Blueprint

bp = Blueprint("families", __name__)

from webapp.families import routes  # noqa: E402, F401 - registers the views on bp
