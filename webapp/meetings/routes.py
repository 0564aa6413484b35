from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from linkages.models.enums import WorkStatus
from linkages.services import meetings
from linkages.services.workspace import Conflict, InvalidInput, as_local
from webapp.casework import conflict, field_error, options
from webapp.db import get_db
from webapp.meetings import bp
from webapp.meetings.forms import (
    ActionForm,
    ActionStatusForm,
    CancelForm,
    DetailsForm,
    ParticipantForm,
    ScheduleForm,
    SubmitRecordForm,
)
from webapp.security import client_ip, current_actor

Page = str | Response
STEPS = ("details", "people", "actions", "check")


def _show(family_id: int, meeting_id: int) -> Response:
    return redirect(url_for("meetings.show", family_id=family_id, meeting_id=meeting_id))


def _step(family_id: int, meeting_id: int, step: str) -> Response:
    return redirect(url_for(f"meetings.record_{step}", family_id=family_id,
                            meeting_id=meeting_id))


@bp.get("/")
@login_required
def index(family_id: int) -> str:
    view = meetings.section(get_db(), current_actor(), family_id, ip=client_ip())
    return render_template("meetings/index.html", ws=view.ws, view=view)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(family_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = meetings.section(db, actor, family_id, ip=client_ip())
    form = ScheduleForm()
    if form.validate_on_submit():
        try:
            meeting = meetings.schedule(db, actor, family_id, meetings.ScheduleInput(
                form.meeting_type.data, form.scheduled_at.data, form.location.data or "",
                form.method.data), ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        else:
            flash("Meeting scheduled.", "info")
            return _show(family_id, meeting.id)
    return render_template("meetings/schedule.html", ws=view.ws, form=form, meeting=None)


@bp.get("/<int:meeting_id>")
@login_required
def show(family_id: int, meeting_id: int) -> str:
    view = meetings.detail(get_db(), current_actor(), family_id, meeting_id, ip=client_ip())
    status_forms = {a.id: ActionStatusForm(prefix=f"a{a.id}", status=a.status,
                                           expected=a.status.value, formdata=None)
                    for a in view.actions}
    cancel_form = CancelForm(row_version=view.meeting.row_version, formdata=None)
    return render_template("meetings/show.html", ws=view.ws, view=view,
                           status_forms=status_forms, cancel_form=cancel_form)


@bp.route("/<int:meeting_id>/schedule", methods=["GET", "POST"])
@login_required
def reschedule(family_id: int, meeting_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = meetings.detail(db, actor, family_id, meeting_id, ip=client_ip(), step="schedule")
    m = view.meeting
    form = ScheduleForm()
    if request.method == "GET":
        form = ScheduleForm(formdata=None, meeting_type=m.meeting_type,
                            scheduled_at=as_local(m.scheduled_at).replace(tzinfo=None),
                            location=m.location, method=m.method, row_version=m.row_version)
    form.submit.label.text = "Save"
    if form.validate_on_submit():
        try:
            meetings.reschedule(db, actor, family_id, meeting_id, meetings.ScheduleInput(
                form.meeting_type.data, form.scheduled_at.data, form.location.data or "",
                form.method.data), row_version=form.version, ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            conflict(form, exc, _current_version(family_id, meeting_id))
        else:
            flash("Meeting changed.", "info")
            return _show(family_id, meeting_id)
    return render_template("meetings/schedule.html", ws=view.ws, form=form, meeting=m)


def _current_version(family_id: int, meeting_id: int) -> int | None:
    return meetings.current_version(get_db(), family_id, meeting_id)


@bp.post("/<int:meeting_id>/cancel")
@login_required
def cancel(family_id: int, meeting_id: int) -> Page:
    db, actor = get_db(), current_actor()
    form = CancelForm()
    if form.validate_on_submit():
        try:
            meetings.cancel(db, actor, family_id, meeting_id, form.reason.data or "",
                            row_version=form.version, ip=client_ip())
        except (InvalidInput, Conflict) as exc:
            flash(exc.message if isinstance(exc, InvalidInput) else str(exc), "error")
        else:
            flash("Meeting cancelled.", "info")
    else:
        flash("Say why the meeting is cancelled.", "error")
    return _show(family_id, meeting_id)


@bp.route("/<int:meeting_id>/record/details", methods=["GET", "POST"])
@login_required
def record_details(family_id: int, meeting_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = meetings.detail(db, actor, family_id, meeting_id, ip=client_ip(), step="details")
    if not view.recordable:
        return _show(family_id, meeting_id)
    m = view.meeting
    form = DetailsForm()
    if request.method == "GET":
        held = as_local(m.held_at or m.scheduled_at).replace(tzinfo=None)
        form = DetailsForm(formdata=None, held_at=held, language=m.language,
                           interpreter=m.interpreter,
                           confidentiality_reviewed=m.confidentiality_reviewed,
                           strengths=m.strengths, needs=m.needs,
                           safety_concerns=m.safety_concerns,
                           options_considered=m.options_considered, decisions=m.decisions,
                           next_meeting_on=m.next_meeting_on, row_version=m.row_version)
    if form.validate_on_submit():
        try:
            meetings.save_details(db, actor, family_id, meeting_id, meetings.DetailsInput(
                held_at=form.held_at.data, language=form.language.data or "",
                interpreter=form.interpreter.data,
                confidentiality_reviewed=form.confidentiality_reviewed.data,
                strengths=form.strengths.data or "", needs=form.needs.data or "",
                safety_concerns=form.safety_concerns.data or "",
                options_considered=form.options_considered.data or "",
                decisions=form.decisions.data or "",
                next_meeting_on=form.next_meeting_on.data), row_version=form.version,
                ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            conflict(form, exc, _current_version(family_id, meeting_id))
        else:
            return _step(family_id, meeting_id, "people")
    return render_template("meetings/record_details.html", ws=view.ws, view=view, form=form,
                           step="details", steps=STEPS)


@bp.route("/<int:meeting_id>/record/people", methods=["GET", "POST"])
@login_required
def record_people(family_id: int, meeting_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = meetings.detail(db, actor, family_id, meeting_id, ip=client_ip(), step="people")
    if not view.recordable:
        return _show(family_id, meeting_id)
    form = ParticipantForm()
    if form.validate_on_submit():
        try:
            meetings.add_participant(db, actor, family_id, meeting_id,
                                     meetings.ParticipantInput(
                                         form.name.data or "", form.team_role.data,
                                         form.invited.data, form.attended.data,
                                         form.method.data), ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            conflict(form, exc)
        else:
            flash("Participant added.", "info")
            return _step(family_id, meeting_id, "people")
    return render_template("meetings/record_people.html", ws=view.ws, view=view, form=form,
                           step="people", steps=STEPS)


@bp.post("/<int:meeting_id>/record/people/<int:participant_id>/remove")
@login_required
def remove_participant(family_id: int, meeting_id: int, participant_id: int) -> Response:
    try:
        meetings.remove_participant(get_db(), current_actor(), family_id, meeting_id,
                                    participant_id, ip=client_ip())
    except Conflict as exc:
        flash(str(exc), "error")
    return _step(family_id, meeting_id, "people")


@bp.route("/<int:meeting_id>/record/actions", methods=["GET", "POST"])
@login_required
def record_actions(family_id: int, meeting_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = meetings.detail(db, actor, family_id, meeting_id, ip=client_ip(), step="actions")
    if not view.recordable:
        return _show(family_id, meeting_id)
    form = ActionForm()
    form.activity_id.choices = options([("", "—")] + [(a.id, a.label) for a in view.activities])
    if form.validate_on_submit():
        try:
            meetings.add_action(db, actor, family_id, meeting_id, meetings.ActionInput(
                form.description.data or "", form.responsible.data or "",
                form.responsible_program.data, form.due_on.data, form.status.data,
                form.activity_id.data), ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            conflict(form, exc)
        else:
            flash("Action item added.", "info")
            return _step(family_id, meeting_id, "actions")
    return render_template("meetings/record_actions.html", ws=view.ws, view=view, form=form,
                           step="actions", steps=STEPS)


@bp.post("/<int:meeting_id>/record/actions/<int:action_id>/remove")
@login_required
def remove_action(family_id: int, meeting_id: int, action_id: int) -> Response:
    try:
        meetings.remove_action(get_db(), current_actor(), family_id, meeting_id, action_id,
                               ip=client_ip())
    except Conflict as exc:
        flash(str(exc), "error")
    return _step(family_id, meeting_id, "actions")


@bp.get("/<int:meeting_id>/record/check")
@login_required
def record_check(family_id: int, meeting_id: int) -> Page:
    view = meetings.detail(get_db(), current_actor(), family_id, meeting_id, ip=client_ip(),
                           step="check")
    if not view.recordable:
        return _show(family_id, meeting_id)
    form = SubmitRecordForm(row_version=view.meeting.row_version, formdata=None)
    return render_template("meetings/record_check.html", ws=view.ws, view=view, form=form,
                           step="check", steps=STEPS)


@bp.post("/<int:meeting_id>/record/submit")
@login_required
def record_submit(family_id: int, meeting_id: int) -> Page:
    db, actor = get_db(), current_actor()
    form = SubmitRecordForm()
    if form.validate_on_submit():
        try:
            meetings.submit_record(db, actor, family_id, meeting_id, row_version=form.version,
                                   ip=client_ip())
        except InvalidInput as exc:
            flash(exc.message, "error")
            return _step(family_id, meeting_id, exc.field if exc.field in STEPS else "check")
        except Conflict as exc:
            flash(str(exc), "error")
            return _step(family_id, meeting_id, "check")
        flash("Meeting recorded.", "info")
        return _show(family_id, meeting_id)
    return _step(family_id, meeting_id, "check")


@bp.post("/actions/<int:action_id>/status")
@login_required
def action_status(family_id: int, action_id: int) -> Response:
    form = ActionStatusForm(prefix=f"a{action_id}")
    back = request.form.get("next_meeting", type=int)
    if form.validate_on_submit():
        try:
            meetings.set_action_status(
                get_db(), current_actor(), family_id, action_id, form.status.data,
                expected=WorkStatus(form.expected.data) if form.expected.data in
                {s.value for s in WorkStatus} else None, ip=client_ip())
        except Conflict as exc:
            flash(str(exc), "error")
        else:
            flash("Action item updated.", "info")
    if back:
        return _show(family_id, back)
    return redirect(url_for("meetings.index", family_id=family_id))
