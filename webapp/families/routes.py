from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import login_required

from linkages.models.enums import FamilyStatus
from linkages.services import families
from webapp.db import get_db
from webapp.families import bp
from webapp.families.forms import STATUS_LABELS, FamilyFilterForm
from webapp.security import client_ip, current_actor


@bp.get("/")
@login_required
def index() -> str:
    form = FamilyFilterForm(request.args)
    valid = form.validate()
    status = FamilyStatus(form.status.data) if valid and form.status.data else None
    result = families.list_families(
        get_db(), current_actor(),
        status=status,
        search=(form.q.data or "") if valid else "",
        page=request.args.get("page", 1, type=int) or 1,
        per_page=current_app.config["FAMILIES_PER_PAGE"],
        ip=client_ip(),
    )
    return render_template("families/list.html", form=form, result=result,
                           status_labels=STATUS_LABELS)
