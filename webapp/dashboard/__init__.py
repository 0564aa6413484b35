"""My families: the landing page after sign-in."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from webapp.dashboard import routes  # noqa: E402, F401 - registers the views on bp
