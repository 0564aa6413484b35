from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from linkages.models.enums import AcknowledgementParty, Program
from linkages.services import plans
from linkages.services.scope import NotFound
from linkages.services.workspace import Conflict, InvalidInput
from webapp.casework import conflict, field_error, options
from webapp.db import get_db
from webapp.plans import bp
from webapp.plans.forms import AcknowledgeForm, ActivityForm, GoalForm, MoveForm, PlanForm
from webapp.security import client_ip, current_actor

Page = str | Response


def _index(family_id: int, version: int | None = None) -> Response:
    return redirect(url_for("plans.index", family_id=family_id, version=version))


def _section(family_id: int, version: int | None = None) -> plans.PlanSection:
    return plans.section(get_db(), current_actor(), family_id, version=version, ip=client_ip())


def _parties(view: plans.PlanSection) -> list[SelectChoice]:
    """Who this user may record an acknowledgement for: the parent, and herself if she is
    the family's worker of her program (the service checks the same)."""
    own = {Program.CWS: AcknowledgementParty.CWS_WORKER,
           Program.CALWORKS: AcknowledgementParty.CALWORKS_WORKER}
    parties = [AcknowledgementParty.PARENT]
    actor = view.ws.actor
    if actor.program is not None:
        worker = view.ws.header.worker(actor.program)
        if worker is not None and worker.user_id == actor.user_id:
            parties.append(own[actor.program])
    return options((p.value, p.label) for p in parties if not view.acknowledged(p))


def _render_index(view: plans.PlanSection, move_form: MoveForm | None = None,
                  ack_form: AcknowledgeForm | None = None, failed_move: str | None = None
                  ) -> str:
    if ack_form is None:
        ack_form = AcknowledgeForm(formdata=None, acknowledged_on=view.ws.today)
    ack_form.party.choices = _parties(view)
    return render_template("plans/index.html", ws=view.ws, view=view,
                           move_form=move_form or MoveForm(formdata=None), ack_form=ack_form,
                           failed_move=failed_move, ack_parties=list(AcknowledgementParty),
                           form=move_form if failed_move else (
                               ack_form if ack_form.errors or ack_form.form_errors else None))


@bp.get("/")
@login_required
def index(family_id: int) -> str:
    return _render_index(_section(family_id, request.args.get("version", type=int)))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(family_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = _section(family_id)
    if view.plan is not None:
        return _index(family_id)
    form = PlanForm()
    if form.validate_on_submit():
        try:
            plans.create(db, actor, family_id, _plan_input(form), ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            conflict(form, exc)
        else:
            flash("Plan started: add its objectives and activities.", "info")
            return _index(family_id)
    return render_template("plans/plan_form.html", ws=view.ws, view=view, form=form,
                           saved=None)


def _plan_input(form: PlanForm) -> plans.PlanInput:
    return plans.PlanInput(form.family_goal.data or "", form.cws_case_plan_ref.data or "",
                           form.wtw_plan_ref.data or "", form.effective_from.data,
                           form.next_review_on.data)


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"])
@login_required
def edit(family_id: int, plan_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = _section(family_id)
    plan = view.plan
    if plan is None or plan.id != plan_id or not view.editable:
        flash("Only the current draft of the plan can be edited.", "error")
        return _index(family_id)
    form = PlanForm()
    if request.method == "GET":
        form = PlanForm(formdata=None, obj=plan)
    saved = None
    if form.validate_on_submit():
        try:
            plans.update_plan(db, actor, family_id, plan_id, _plan_input(form),
                              row_version=form.version, ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            view = _section(family_id)
            saved = view.plan
            conflict(form, exc, saved.row_version if saved else None)
        else:
            flash("Plan saved.", "info")
            return _index(family_id)
    return render_template("plans/plan_form.html", ws=view.ws, view=view, form=form,
                           saved=saved)


@bp.route("/<int:plan_id>/goals/new", methods=["GET", "POST"])
@login_required
def new_goal(family_id: int, plan_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = _section(family_id)
    form = GoalForm()
    if form.validate_on_submit():
        try:
            plans.add_goal(db, actor, family_id, plan_id, plans.GoalInput(
                form.description.data or "", form.program.data, form.target_date.data),
                ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            conflict(form, exc)
        else:
            flash("Objective added.", "info")
            return _index(family_id)
    return render_template("plans/goal_form.html", ws=view.ws, view=view, form=form)


def _activity_input(form: ActivityForm) -> plans.ActivityInput:
    return plans.ActivityInput(
        goal_id=form.goal_id.data, description=form.description.data or "",
        category=form.category.data, program=form.program.data,
        provider=form.provider.data or "", start_date=form.start_date.data,
        end_date=form.end_date.data, status=form.status.data,
        court_ordered=form.court_ordered.data, counts_toward_wtw=form.counts_toward_wtw.data,
        hours_per_week=form.hours_per_week.data)


@bp.route("/<int:plan_id>/activities/new", methods=["GET", "POST"],
          defaults={"activity_id": None})
@bp.route("/<int:plan_id>/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def activity(family_id: int, plan_id: int, activity_id: int | None) -> Page:
    db, actor = get_db(), current_actor()
    view = _section(family_id)
    current = next((a for a in view.activities if a.id == activity_id), None)
    if activity_id is not None and current is None:
        # Not in the current version, or not one this user may see (the service's gate).
        raise NotFound(f"activity {activity_id}")
    form = ActivityForm()
    if request.method == "GET":
        form = ActivityForm(formdata=None, obj=current) if current else ActivityForm(
            formdata=None, goal_id=request.args.get("goal", type=int))
    form.goal_id.choices = options([(g.id, g.description[:80]) for g in view.goals])
    if form.validate_on_submit():
        try:
            if activity_id is None:
                plans.add_activity(db, actor, family_id, plan_id, _activity_input(form),
                                   ip=client_ip())
            else:
                plans.update_activity(db, actor, family_id, plan_id, activity_id,
                                      _activity_input(form), row_version=form.version,
                                      ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            fresh = _section(family_id)
            now = next((a for a in fresh.activities if a.id == activity_id), None)
            conflict(form, exc, now.row_version if now else None)
        else:
            flash("Activity saved.", "info")
            return _index(family_id)
    return render_template("plans/activity_form.html", ws=view.ws, view=view, form=form,
                           activity=current)


@bp.post("/<int:plan_id>/activities/<int:activity_id>/remove")
@login_required
def remove_activity(family_id: int, plan_id: int, activity_id: int) -> Response:
    try:
        plans.remove_activity(get_db(), current_actor(), family_id, plan_id, activity_id,
                              ip=client_ip())
    except Conflict as exc:
        flash(str(exc), "error")
    else:
        flash("Activity removed.", "info")
    return _index(family_id)


@bp.post("/<int:plan_id>/move/<any(submit,return,approve):move>")
@login_required
def move(family_id: int, plan_id: int, move: str) -> Page:
    form = MoveForm()
    if form.validate_on_submit():
        try:
            plans.move(get_db(), current_actor(), family_id, plan_id, move,
                       comment=form.comment.data or "", ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
            return _render_index(_section(family_id), move_form=form, failed_move=move)
        except Conflict as exc:
            flash(str(exc), "error")
        else:
            flash({"submit": "Plan submitted for approval.",
                   "return": "Plan returned to the workers.",
                   "approve": "Plan approved."}[move], "info")
    return _index(family_id)


@bp.post("/<int:plan_id>/revise")
@login_required
def revise(family_id: int, plan_id: int) -> Response:
    try:
        plans.revise(get_db(), current_actor(), family_id, plan_id, ip=client_ip())
    except Conflict as exc:
        flash(str(exc), "error")
    else:
        flash("The next version starts as a copy of the approved one.", "info")
    return _index(family_id)


@bp.post("/<int:plan_id>/acknowledge")
@login_required
def acknowledge(family_id: int, plan_id: int) -> Page:
    form = AcknowledgeForm()
    form.party.choices = options([(p.value, p.label) for p in AcknowledgementParty])
    if form.validate_on_submit():
        try:
            plans.acknowledge(get_db(), current_actor(), family_id, plan_id, form.party.data,
                              name=form.name.data or "",
                              acknowledged_on=form.acknowledged_on.data, ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            flash(str(exc), "error")
            return _index(family_id)
        else:
            flash("Acknowledgement recorded.", "info")
            return _index(family_id)
    return _render_index(_section(family_id), ack_form=form)
