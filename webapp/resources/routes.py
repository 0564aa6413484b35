from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from linkages.models.enums import AuthorizationStatus
from linkages.services import resources
from linkages.services.workspace import Conflict, InvalidInput
from webapp.casework import field_error, options
from webapp.db import get_db
from webapp.resources import bp
from webapp.resources.forms import CloseForm, DecideForm, ServiceForm
from webapp.security import client_ip, current_actor

Page = str | Response


def _index(family_id: int) -> Response:
    return redirect(url_for("resources.index", family_id=family_id))


def _render(view: resources.ServicesSection, failed: tuple[int, FlaskForm] | None = None
            ) -> str:
    decide_forms = {s.id: DecideForm(prefix=f"d{s.id}", formdata=None)
                    for s in view.services if view.may_decide(s)}
    close_forms = {s.id: CloseForm(prefix=f"c{s.id}", closed_on=view.ws.today, formdata=None)
                   for s in view.services if s.status.value in ("requested", "approved")}
    if failed is not None:
        service_id, form = failed
        (decide_forms if isinstance(form, DecideForm) else close_forms)[service_id] = form
    return render_template("resources/index.html", ws=view.ws, view=view,
                           decide_forms=decide_forms, close_forms=close_forms,
                           form=failed[1] if failed else None,
                           req=AuthorizationStatus.REQUESTED, appr=AuthorizationStatus.APPROVED,
                           deliv=AuthorizationStatus.DELIVERED)


@bp.get("/")
@login_required
def index(family_id: int) -> str:
    return _render(resources.section(get_db(), current_actor(), family_id, ip=client_ip()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(family_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = resources.section(db, actor, family_id, ip=client_ip())
    form = ServiceForm()
    form.activity_id.choices = options([("", "—")] + [(a.id, a.label) for a in view.activities])
    if request.method == "GET":
        form.period_start.data = view.ws.today
    if form.validate_on_submit():
        try:
            resources.request(db, actor, family_id, resources.ServiceInput(
                form.category.data, form.fund_source.data, form.amount.data,
                form.period_start.data, form.period_end.data, form.units.data or "",
                form.vendor.data or "", form.description.data or "", form.activity_id.data),
                ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        else:
            flash("Service requested: a supervisor decides on it.", "info")
            return _index(family_id)
    return render_template("resources/new.html", ws=view.ws, form=form)


def _act(family_id: int, service_id: int, form: FlaskForm,
         change: Callable[[], None], done: str) -> Page:
    """A decision or an outcome: done, refused beside its field, or moved on meanwhile."""
    if form.validate_on_submit():
        try:
            change()
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            flash(str(exc), "error")
            return _index(family_id)
        else:
            flash(done, "info")
            return _index(family_id)
    return _render(resources.section(get_db(), current_actor(), family_id, ip=client_ip()),
                   (service_id, form))


@bp.post("/<int:service_id>/decide")
@login_required
def decide(family_id: int, service_id: int) -> Page:
    form = DecideForm(prefix=f"d{service_id}")
    return _act(family_id, service_id, form, lambda: resources.decide(
        get_db(), current_actor(), family_id, service_id, form.decision.data == "approve",
        reason=form.reason.data or "", ip=client_ip()), "Decision recorded.")


@bp.post("/<int:service_id>/close")
@login_required
def close(family_id: int, service_id: int) -> Page:
    form = CloseForm(prefix=f"c{service_id}")
    return _act(family_id, service_id, form, lambda: resources.close(
        get_db(), current_actor(), family_id, service_id, form.outcome.data == "delivered",
        closed_on=form.closed_on.data, note=form.note.data or "", ip=client_ip()),
        "Outcome recorded.")
