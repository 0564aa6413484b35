"""The audit log viewer (administrators): filters, "who viewed family X", "what user Y viewed
last week", CSV export. Every look at the trail is in the trail."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from webapp.audit import routes  # noqa: E402, F401 - registers the views on bp
