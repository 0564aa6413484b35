from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from linkages.services import two_factor, users
from webapp.admin import bp
from webapp.admin.forms import (
    PROGRAM_LABELS,
    EditAccountForm,
    NewAccountForm,
    PasswordForm,
    SearchForm,
)
from webapp.db import get_db
from webapp.security import client_ip, current_actor

FIELDS = {"name": "display_name", "county": "county", "program": "program", "role": "role",
          "username": "username", "password": "password"}


def _field_error(form: object, exc: users.UserError) -> None:
    getattr(form, FIELDS.get(exc.field, "display_name")).errors.append(exc.message)


@bp.get("/users/", endpoint="users")
@login_required
def users_list() -> str:
    form = SearchForm(request.args)
    valid = form.validate()
    page = users.list_users(get_db(), current_actor(),
                            search=(form.q.data or "") if valid else "",
                            after=request.args.get("after") or None, ip=client_ip())
    return render_template("admin/users.html", form=form, page=page, labels=PROGRAM_LABELS)


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user() -> Response | str:
    form = NewAccountForm(counties=users.assignable_counties(current_actor()))
    if form.validate_on_submit():
        try:
            user = users.create_user(
                get_db(), current_actor(), username=form.username.data or "",
                password=form.password.data or "", display_name=form.display_name.data or "",
                role=form.role_value, county_cd=form.county_value, program=form.program_value,
                ip=client_ip())
        except users.UserError as exc:
            _field_error(form, exc)
        else:
            flash(f"Account {user.username} created. Tell its owner the password by another "
                  "channel; two-factor sign-in is set up at the first sign-in where the role "
                  "requires it.", "info")
            return redirect(url_for("admin.user", user_id=user.id))
    return render_template("admin/new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user(user_id: int) -> Response | str:
    db = get_db()
    form = EditAccountForm(counties=users.assignable_counties(current_actor()))
    if form.validate_on_submit():
        try:
            users.update_user(db, current_actor(), user_id,
                              display_name=form.display_name.data or "", role=form.role_value,
                              county_cd=form.county_value, program=form.program_value,
                              ip=client_ip())
        except users.UserError as exc:
            _field_error(form, exc)
        else:
            flash("Changes saved.", "info")
            return redirect(url_for("admin.user", user_id=user_id))
    account = users.get_user(db, current_actor(), user_id, ip=client_ip(),
                             audited=request.method == "GET")
    if request.method == "GET":
        form.display_name.data = account.display_name
        form.role.data = str(account.role)
        form.program.data = str(account.program) if account.program else ""
        form.county.data = str(account.county_cd) if account.county_cd else ""
    return render_template("admin/user.html", form=form, account=account,
                           two_factor=two_factor.status(db, account))


@bp.post("/users/<int:user_id>/deactivate")
@login_required
def deactivate(user_id: int) -> Response:
    try:
        account = users.set_active(get_db(), current_actor(), user_id, False, ip=client_ip())
    except users.UserError as exc:
        flash(f"Not done: {exc.message}.", "error")
    else:
        flash(f"{account.username} is deactivated and signed out everywhere.", "info")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/reactivate")
@login_required
def reactivate(user_id: int) -> Response:
    account = users.set_active(get_db(), current_actor(), user_id, True, ip=client_ip())
    flash(f"{account.username} can sign in again.", "info")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/two-factor-reset")
@login_required
def reset_two_factor(user_id: int) -> Response:
    db = get_db()
    account = users.get_user(db, current_actor(), user_id, audited=False)
    two_factor.reset(db, current_actor(), account, ip=client_ip())
    flash(f"Two-factor sign-in of {account.username} is reset: it is set up again at the next "
          "sign-in.", "info")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@login_required
def password(user_id: int) -> Response | str:
    db = get_db()
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            account = users.reset_password(db, current_actor(), user_id, form.password.data or "",
                                           ip=client_ip())
        except users.UserError as exc:
            form.password.errors.append(exc.message)
        else:
            flash(f"New password set for {account.username}; its sessions have ended. Tell its "
                  "owner by another channel.", "info")
            return redirect(url_for("admin.user", user_id=user_id))
    account = users.get_user(db, current_actor(), user_id, audited=False)
    return render_template("admin/password.html", form=form, account=account)
