from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from linkages.services import two_factor
from webapp.account import bp
from webapp.auth.forms import CodeForm, SetUpCodeForm
from webapp.auth.qr import qr_svg
from webapp.db import get_db
from webapp.security import client_ip, current_actor

WRONG_CODE = "That code is not right. Check your authenticator app and try again."
REFUSED = {"wrong_code": WRONG_CODE,
           "locked": "Your account is locked after too many wrong codes: try again later.",
           "no_secret": "Two-factor sign-in is not set up for your account."}


class RecoveryForm(CodeForm):
    pass


class TurnOffForm(CodeForm):
    pass


def _page(**forms: object) -> str:
    db = get_db()
    user = two_factor.own_account(db, current_actor())
    return render_template(
        "account/index.html", status=two_factor.status(db, user),
        recovery_form=forms.get("recovery_form") or RecoveryForm(prefix="recovery"),
        turn_off_form=forms.get("turn_off_form") or TurnOffForm(prefix="off"))


@bp.get("/")
@login_required
def index() -> str:
    return _page()


@bp.route("/two-factor/set-up", methods=["GET", "POST"])
@login_required
def set_up() -> Response | str:
    db = get_db()
    user = two_factor.own_account(db, current_actor())
    if two_factor.enrolled(user):
        return redirect(url_for("account.index"))
    secret = two_factor.setup_secret(db, g.session_row)
    form = SetUpCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.enrol(db, user, g.session_row, form.code.data or "",
                                     policy=current_app.config["LOCKOUT_POLICY"], ip=client_ip())
        except two_factor.SecondFactorRefused as exc:
            form.code.errors.append(REFUSED[exc.reason])
        else:
            return render_template("auth/recovery_codes.html", codes=codes,
                                   next_url=url_for("account.index"))
    return render_template(
        "auth/set_up.html", form=form, secret=secret, required=False,
        qr=qr_svg(two_factor.provisioning_uri(secret, user.username)),
        action=url_for("account.set_up"))


@bp.post("/two-factor/recovery-codes")
@login_required
def new_recovery_codes() -> str:
    db = get_db()
    form = RecoveryForm(prefix="recovery")
    if form.validate_on_submit():
        user = two_factor.own_account(db, current_actor())
        try:
            codes = two_factor.new_recovery_codes(
                db, user, form.code.data or "", policy=current_app.config["LOCKOUT_POLICY"],
                ip=client_ip())
        except two_factor.SecondFactorRefused as exc:
            form.code.errors.append(REFUSED[exc.reason])
        else:
            return render_template("auth/recovery_codes.html", codes=codes,
                                   next_url=url_for("account.index"))
    return _page(recovery_form=form)


@bp.post("/two-factor/turn-off")
@login_required
def turn_off() -> Response | str:
    db = get_db()
    form = TurnOffForm(prefix="off")
    if form.validate_on_submit():
        user = two_factor.own_account(db, current_actor())
        try:
            two_factor.disable(db, user, form.code.data or "",
                               policy=current_app.config["LOCKOUT_POLICY"], ip=client_ip())
        except two_factor.SecondFactorRefused as exc:
            form.code.errors.append(REFUSED[exc.reason])
        else:
            flash("Two-factor sign-in is off for your account.", "info")
            return redirect(url_for("account.index"))
    return _page(turn_off_form=form)
