from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from linkages.services import dashboard
from linkages.services.dashboard import Show, Sort
from webapp.dashboard import bp
from webapp.dashboard.forms import DashboardForm
from webapp.db import get_db
from webapp.security import client_ip, current_actor


@bp.get("/")
@login_required
def index() -> str:
    form = DashboardForm(request.args)
    valid = form.validate()
    sort = Sort(form.sort.data) if valid and form.sort.data in Sort._value2member_map_ \
        else Sort.NEXT_MEETING
    show = Show(form.show.data) if valid and form.show.data in Show._value2member_map_ \
        else Show.ALL
    board = dashboard.for_user(
        get_db(), current_actor(), sort=sort, show=show,
        search=(form.q.data or "") if valid else "", after=request.args.get("after") or None,
        unpaired_after=request.args.get("unpaired_after", type=int), ip=client_ip())
    return render_template("dashboard/index.html", board=board, filters=form,
                           queue_limit=dashboard.QUEUE_LIMIT)
