"""The signed-in user's own account: two-factor sign-in and recovery codes."""

from flask import Blueprint

bp = Blueprint("account", __name__)

from webapp.account import routes  # noqa: E402, F401 - registers the views on bp
