from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Response, render_template, request, stream_with_context
from flask_login import login_required

from linkages.services import audit_log
from linkages.services.audit import AuditAction
from webapp.audit import bp
from webapp.audit.forms import AuditFilterForm
from webapp.db import get_db
from webapp.security import client_ip, current_actor


def _filter(form: AuditFilterForm) -> audit_log.AuditFilter:
    # An invalid filter shows its errors and the unfiltered trail, never a wrong subset.
    return form.to_filter() if form.validate() else audit_log.AuditFilter()


@bp.get("/")
@login_required
def index() -> str:
    form = AuditFilterForm(request.args)
    flt = _filter(form)
    page = audit_log.search(get_db(), current_actor(), flt,
                            before=request.args.get("before", type=int), ip=client_ip())
    today = datetime.now(UTC).date()
    args = {k: v for k, v in request.args.items() if k != "before" and v}
    return render_template("audit/index.html", form=form, page=page, args=args,
                           view=AuditAction.FAMILY_VIEW.value,
                           week_start=(today - timedelta(days=6)).isoformat(),
                           today=today.isoformat())


@bp.get("/export.csv")
@login_required
def export() -> Response:
    form = AuditFilterForm(request.args)
    rows = audit_log.export_csv(get_db(), current_actor(), _filter(form), ip=client_ip())
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(stream_with_context(rows), mimetype="text/csv",
                    headers={"Content-Disposition":
                             f'attachment; filename="linkages-audit-{stamp}.csv"'})
