from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from linkages.models.enums import Program
from linkages.services import consent, family_record, notes, team, workspace
from linkages.services.workspace import Conflict, InvalidInput
from webapp.casework import conflict, field_error, options
from webapp.db import get_db
from webapp.security import client_ip, current_actor
from webapp.workspace import bp
from webapp.workspace.forms import AssignForm, ConsentForm, NoteForm, RevokeForm

Page = str | Response


@bp.get("/<int:family_id>")
@login_required
def overview(family_id: int) -> str:
    view = family_record.overview(get_db(), current_actor(), family_id, ip=client_ip())
    return render_template("workspace/overview.html", ws=view.ws, view=view)


@bp.get("/<int:family_id>/members")
@login_required
def members(family_id: int) -> str:
    view = family_record.members(get_db(), current_actor(), family_id, ip=client_ip())
    return render_template("workspace/members.html", ws=view.ws, view=view)


@bp.get("/<int:family_id>/history")
@login_required
def history(family_id: int) -> str:
    page = workspace.history(get_db(), current_actor(), family_id,
                             before=request.args.get("before", type=int), ip=client_ip())
    return render_template("workspace/history.html", ws=page.ws, page=page)


# --- team ------------------------------------------------------------------------------------

def _assign_forms(view: team.TeamSection) -> dict[str, AssignForm]:
    forms = {}
    for p in Program:
        if view.may_assign[p]:
            form = AssignForm(prefix=p.value)
            form.worker.choices = options((c.user_id, f"{c.display_name} ({c.role.label})")
                                          for c in view.candidates[p])
            forms[p.value] = form
    return forms


@bp.route("/<int:family_id>/team", methods=["GET", "POST"], endpoint="team")
@login_required
def team_page(family_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = team.section(db, actor, family_id, ip=client_ip())
    forms = _assign_forms(view)
    if request.method == "POST":
        program = request.form.get("program", "")
        form = forms.get(program)
        if form is None:
            abort(403)  # the service's may_assign: that side is not hers to pair
        if form.validate_on_submit():
            try:
                team.assign(db, actor, family_id, Program(program), form.worker.data,
                            ip=client_ip())
            except InvalidInput as exc:
                field_error(form, exc, "worker")
            except Conflict as exc:
                conflict(form, exc)
            else:
                flash(f"{Program(program).label} worker assigned.", "info")
                return redirect(url_for("workspace.team", family_id=family_id))
    return render_template("workspace/team.html", ws=view.ws, view=view, assign_forms=forms,
                           form=next((f for f in forms.values() if f.errors or f.form_errors),
                                     None))



@bp.post("/<int:family_id>/team/<any(cws,calworks):program>/end")
@login_required
def end_assignment(family_id: int, program: str) -> Response:
    try:
        team.unassign(get_db(), current_actor(), family_id, Program(program), ip=client_ip())
    except Conflict as exc:
        flash(str(exc), "error")
    else:
        flash(f"{Program(program).label} assignment ended.", "info")
    return redirect(url_for("workspace.team", family_id=family_id))


# --- consent ---------------------------------------------------------------------------------

@bp.get("/<int:family_id>/consent", endpoint="consent")
@login_required
def consent_page(family_id: int) -> str:
    view = consent.section(get_db(), current_actor(), family_id, ip=client_ip())
    revoke_forms = {c.id: RevokeForm(prefix=f"r{c.id}", row_version=c.row_version,
                                     revoked_on=view.ws.today)
                    for c in view.consents if c.in_force}
    return render_template("workspace/consent.html", ws=view.ws, view=view,
                           revoke_forms=revoke_forms)



@bp.route("/<int:family_id>/consent/new", methods=["GET", "POST"])
@login_required
def new_consent(family_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = consent.section(db, actor, family_id, ip=client_ip())
    form = ConsentForm()
    form.recipients.choices = options((c.user_id, f"{c.display_name} ({c.role.label})")
                                      for c in view.candidates)
    if request.method == "GET":
        form.signed_on.data = view.ws.today
    if form.validate_on_submit():
        try:
            consent.record(db, actor, family_id, consent.ConsentInput(
                signer_name=form.signer_name.data or "",
                signer_relationship=form.signer_relationship.data,
                legal_basis=form.legal_basis.data,
                covers_cws=Program.CWS.value in (form.programs.data or []),
                covers_calworks=Program.CALWORKS.value in (form.programs.data or []),
                purpose=form.purpose.data or "", signed_on=form.signed_on.data,
                expires_on=form.expires_on.data,
                recipient_ids=tuple(form.recipients.data or ()),
                other_members=form.other_members.data or "",
                restrictions=form.restrictions.data or "",
                document_note=form.document_note.data or ""), ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        else:
            flash("Consent recorded.", "info")
            return redirect(url_for("workspace.consent", family_id=family_id))
    return render_template("workspace/consent_new.html", ws=view.ws, form=form,
                           default_years=1)


@bp.post("/<int:family_id>/consent/<int:consent_id>/revoke")
@login_required
def revoke_consent(family_id: int, consent_id: int) -> Page:
    db, actor = get_db(), current_actor()
    form = RevokeForm(prefix=f"r{consent_id}")
    if form.validate_on_submit():
        try:
            consent.revoke(db, actor, family_id, consent_id, revoked_on=form.revoked_on.data,
                           note=form.note.data or "", row_version=form.version, ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        except Conflict as exc:
            conflict(form, exc)
        else:
            flash("Revocation recorded: what the consent covered is no longer shared.", "info")
            return redirect(url_for("workspace.consent", family_id=family_id))
    view = consent.section(db, actor, family_id, ip=client_ip())
    revoke_forms = {c.id: (form if c.id == consent_id else
                           RevokeForm(prefix=f"r{c.id}", row_version=c.row_version,
                                      revoked_on=view.ws.today, formdata=None))
                    for c in view.consents if c.in_force}
    return render_template("workspace/consent.html", ws=view.ws, view=view,
                           revoke_forms=revoke_forms, form=form)


# --- notes -----------------------------------------------------------------------------------

@bp.get("/<int:family_id>/notes", endpoint="notes")
@login_required
def notes_page(family_id: int) -> str:
    view = notes.section(get_db(), current_actor(), family_id,
                         before=request.args.get("before", type=int), ip=client_ip())
    return render_template("workspace/notes.html", ws=view.ws, view=view)



@bp.route("/<int:family_id>/notes/new", methods=["GET", "POST"])
@login_required
def new_note(family_id: int) -> Page:
    db, actor = get_db(), current_actor()
    view = notes.section(db, actor, family_id, ip=client_ip())
    form = NoteForm()
    if request.method == "GET":
        form.contact_on.data = view.ws.today
    if form.validate_on_submit():
        try:
            notes.add(db, actor, family_id, notes.NoteInput(
                contact_on=form.contact_on.data, contact_type=form.contact_type.data,
                summary=form.summary.data or "", participants=form.participants.data or "",
                exchanged_with_other_program=form.exchanged_with_other_program.data),
                ip=client_ip())
        except InvalidInput as exc:
            field_error(form, exc)
        else:
            flash("Note added.", "info")
            return redirect(url_for("workspace.notes", family_id=family_id))
    return render_template("workspace/note_new.html", ws=view.ws, form=form)
