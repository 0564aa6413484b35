"""The family workspace: overview, members, team (pairing), consent, notes and history. The
meetings, plan and services sections are their own blueprints under the same /families/<id>."""

from typing import Any

from flask import Blueprint

from linkages.models.enums import Program
from webapp.casework import scoped

bp = scoped(Blueprint("workspace", __name__))

SECTION_ENDPOINTS = {
    "overview": "workspace.overview", "members": "workspace.members",
    "meetings": "meetings.index", "plan": "plans.index", "services": "resources.index",
    "notes": "workspace.notes", "consent": "workspace.consent", "team": "workspace.team",
    "history": "workspace.history",
}


@bp.app_context_processor
def _workspace_globals() -> dict[str, Any]:
    return {"section_endpoints": SECTION_ENDPOINTS, "programs": list(Program),
            "program_labels": {p.value: p.label for p in Program}}


from webapp.workspace import routes  # noqa: E402, F401 - registers the views on bp
