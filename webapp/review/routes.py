from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from linkages.services import review
from linkages.services.workspace import Conflict, InvalidInput
from webapp import charts
from webapp.casework import field_error
from webapp.db import get_db
from webapp.review import bp
from webapp.review.forms import DecisionForm
from webapp.security import client_ip, current_actor

CHOICE_WORDS = {"confirm": "confirmed", "reject": "rejected", "skip": "skipped"}


@bp.get("/")
@login_required
def index() -> str:
    q = review.queue(get_db(), current_actor(), ip=client_ip())
    return render_template("review/queue.html", q=q, near=review.NEAR_MATCH)


def _page(link_id: int, form: DecisionForm, status: int = 200) -> tuple[str, int]:
    view = review.pair(get_db(), current_actor(), link_id, ip=client_ip())
    if not form.is_submitted() or status == 409:
        form.seen.data = view.existing.token if view.existing else ""
    chart = charts.waterfall(f"Match weight of pair {view.left_id} / {view.right_id}",
                             [(s.label, s.contribution, s.running) for s in view.waterfall])
    return render_template("review/pair.html", view=view, form=form, chart=chart), status


@bp.get("/pairs/<int:link_id>")
@login_required
def pair(link_id: int) -> tuple[str, int]:
    return _page(link_id, DecisionForm())


@bp.post("/pairs/<int:link_id>")
@login_required
def decide(link_id: int) -> Response | tuple[str, int]:
    form = DecisionForm()
    # The reviewer's scope and permission first, whatever the form holds.
    review.pair_in_scope(get_db(), current_actor(), link_id)
    if not form.validate_on_submit():
        return _page(link_id, form, 400)
    try:
        done = review.decide(get_db(), current_actor(), link_id,
                             request.form.get("decision", ""), form.reason.data or "",
                             form.seen.data or "", ip=client_ip())
    except InvalidInput as exc:
        field_error(form, exc)
        return _page(link_id, form, 400)
    except Conflict as exc:
        form.form_errors.append(str(exc))
        return _page(link_id, form, 409)
    flash(f"Pair {CHOICE_WORDS[done.choice.value]}.", "success")
    if done.next_link_id is not None:
        return redirect(url_for("review.pair", link_id=done.next_link_id))
    return redirect(url_for("review.index"))
