"""Signing in (password, then a second-factor code or setting one up), and signing out.

Between the password and the code the browser holds only the pending session's token
(``PENDING``); every way out of the sign-in (a new visit to the sign-in page, Cancel, too many
wrong codes, its few minutes running out) ends that pending session."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from linkages.models import User, UserSession
from linkages.services import sessions, throttle, two_factor, users
from webapp.auth import bp
from webapp.auth.forms import CodeForm, SetUpCodeForm, SignInForm
from webapp.auth.qr import qr_svg
from webapp.db import get_db
from webapp.security import PENDING, PENDING_NEXT, client_ip, current_actor, safe_next, sign_in_now

# One message for every failure, so that a failure never tells whether the username exists.
SIGN_IN_FAILED = (
    "Sign-in failed: the username or password is wrong, or the account is locked. "
    "After {n} failed attempts an account is locked for {minutes} minutes."
)
# The same for every username typed, known or not.
TOO_MANY_ATTEMPTS = (
    "Too many failed sign-in attempts with this username or from this address. "
    "Please wait {minutes} minutes before trying again."
)
WRONG_CODE = "That code is not right. Check your authenticator app and try again."
START_AGAIN = "Sign-in was not completed. Please sign in again."

SIGN_IN_BUSY = "Too many people are signing in at this moment. Please try again in a few seconds."
BUSY_RETRY_SECONDS = 5

Page = Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]


def _throttled(template: str, username: str, wait: int, **context: object) -> Page:
    users.record_throttled(get_db(), username, wait, ip=client_ip())
    flash(TOO_MANY_ATTEMPTS.format(minutes=max(1, -(-wait // 60))), "error")
    return render_template(template, **context), 429, {"Retry-After": str(wait)}


def _end_pending(reason: str) -> None:
    sessions.end_token(get_db(), session.pop(PENDING, None), reason)
    session.pop(PENDING_NEXT, None)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("index"))
    if PENDING in session:  # leaving a half-done sign-in ends it
        _end_pending("abandoned")
    form = SignInForm()
    if form.validate_on_submit():
        db, ip = get_db(), client_ip()
        username = form.username.data or ""
        wait = throttle.retry_after(db, username, ip,
                                    policy=current_app.config["THROTTLE_POLICY"])
        if wait:
            return _throttled("auth/login.html", username, wait, form=form)
        policy = current_app.config["LOCKOUT_POLICY"]
        try:
            result = users.authenticate(db, username, form.password.data or "", ip=ip,
                                        policy=policy)
        except users.SignInBusy:
            flash(SIGN_IN_BUSY, "error")
            page = render_template("auth/login.html", form=form)
            return page, 503, {"Retry-After": str(BUSY_RETRY_SECONDS)}
        if result.ok and result.user is not None:
            user, target = result.user, safe_next(request.args.get("next"))
            session_policy = current_app.config["SESSION_POLICY"]
            if users.needs_second_factor(user):
                token = sessions.begin(db, user, pending=True, policy=session_policy, ip=ip)
                session.clear()
                session[PENDING], session[PENDING_NEXT] = token, target
                return redirect(url_for("auth.second_factor"))
            token = sessions.begin(db, user, pending=False, policy=session_policy, ip=ip)
            throttle.clear_account(db, username, policy=current_app.config["THROTTLE_POLICY"])
            sign_in_now(user, token)
            return redirect(target or url_for("index"))
        throttle.record_failure(db, username, ip, policy=current_app.config["THROTTLE_POLICY"])
        flash(SIGN_IN_FAILED.format(n=policy.max_failures,
                                    minutes=int(policy.lockout.total_seconds() // 60)), "error")
    return render_template("auth/login.html", form=form)


def _pending() -> tuple[UserSession, User] | None:
    row = sessions.pending(get_db(), session.get(PENDING))
    if row is None:
        return None
    user = get_db().get(User, row.user_id)
    return (row, user) if user is not None else None


def _start_again() -> Response:
    _end_pending("abandoned")
    flash(START_AGAIN, "info")
    return redirect(url_for("auth.login"))


def _code_refused(row: UserSession, user: User, form: CodeForm,
                  exc: two_factor.SecondFactorRefused) -> Response | None:
    """A wrong code on a pending sign-in: counted for the throttle, and the pending session
    ends when it has used its tries or the account is now locked."""
    db = get_db()
    throttle.record_failure(db, user.username, client_ip(),
                            policy=current_app.config["THROTTLE_POLICY"])
    used_up = two_factor.count_pending_failure(db, row, current_app.config["SESSION_POLICY"])
    if used_up or exc.reason != "wrong_code":
        _end_pending("second_factor_refused")
        policy = current_app.config["LOCKOUT_POLICY"]
        flash(SIGN_IN_FAILED.format(n=policy.max_failures,
                                    minutes=int(policy.lockout.total_seconds() // 60)), "error")
        return redirect(url_for("auth.login"))
    form.code.errors.append(WRONG_CODE)
    return None


def _held_back(user: User) -> Page | None:
    """A code counts as an attempt: a throttled account or address ends the pending sign-in
    and answers 429, exactly as at the password."""
    wait = throttle.retry_after(get_db(), user.username, client_ip(),
                                policy=current_app.config["THROTTLE_POLICY"])
    if not wait:
        return None
    _end_pending("throttled")
    return _throttled("auth/login.html", user.username, wait, form=SignInForm())


def _complete(row: UserSession, user: User, method: str) -> str | None:
    """The code passed: the pending session becomes the signed-in one. Returns where to go
    next, or None when the pending session could no longer be completed."""
    db = get_db()
    token, target = session.get(PENDING), session.get(PENDING_NEXT)
    if not token or not sessions.complete(db, row, policy=current_app.config["SESSION_POLICY"]):
        return None
    throttle.clear_account(db, user.username, policy=current_app.config["THROTTLE_POLICY"])
    users.record_sign_in(db, user, method, ip=client_ip())
    sign_in_now(user, token)
    return safe_next(target) or url_for("index")


@bp.route("/login/code", methods=["GET", "POST"])
def second_factor() -> Page:
    found = _pending()
    if found is None:
        return _start_again()
    row, user = found
    if not two_factor.enrolled(user):
        return redirect(url_for("auth.set_up"))
    form = CodeForm()
    if form.validate_on_submit():
        if (held := _held_back(user)) is not None:
            return held
        try:
            accepted = two_factor.verify(get_db(), user, form.code.data or "",
                                         policy=current_app.config["LOCKOUT_POLICY"],
                                         ip=client_ip())
        except two_factor.SecondFactorRefused as exc:
            if (back := _code_refused(row, user, form, exc)) is not None:
                return back
        else:
            target = _complete(row, user, accepted.method)
            if target is None:
                return _start_again()
            if accepted.method == "recovery_code":
                flash(f"You signed in with a recovery code: {accepted.recovery_codes_left} "
                      "left. Make new ones in Your account when they run low.", "info")
            return redirect(target)
    return render_template("auth/code.html", form=form,
                           tries_left=two_factor.pending_codes_left(
                               row, current_app.config["SESSION_POLICY"]))


@bp.route("/login/set-up", methods=["GET", "POST"])
def set_up() -> Page:
    """Setting up two-factor sign-in at the first sign-in of a role that requires it."""
    found = _pending()
    if found is None:
        return _start_again()
    row, user = found
    if two_factor.enrolled(user):
        return redirect(url_for("auth.second_factor"))
    secret = two_factor.setup_secret(get_db(), row)
    form = SetUpCodeForm()
    if form.validate_on_submit():
        if (held := _held_back(user)) is not None:
            return held
        try:
            codes = two_factor.enrol(get_db(), user, row, form.code.data or "",
                                     policy=current_app.config["LOCKOUT_POLICY"], ip=client_ip())
        except two_factor.SecondFactorRefused as exc:
            if (back := _code_refused(row, user, form, exc)) is not None:
                return back
        else:
            target = _complete(row, user, "set_up")
            if target is None:
                return _start_again()
            # Shown once, in this response: the codes are kept only as hashes.
            return render_template("auth/recovery_codes.html", codes=codes, next_url=target)
    uri = two_factor.provisioning_uri(secret, user.username)
    return render_template("auth/set_up.html", form=form, secret=secret,
                           qr=qr_svg(uri), required=two_factor.required(user.role))


@bp.post("/login/cancel")
def cancel() -> Response:
    # CSRFProtect has checked the token: a cancel cannot come from another site.
    _end_pending("cancelled")
    flash("Sign-in cancelled.", "info")
    return redirect(url_for("auth.login"))


@bp.post("/logout")
@login_required
def logout() -> Response:
    # CSRFProtect has checked the token: signing out cannot be triggered from another site.
    db = get_db()
    users.record_logout(db, current_actor(), ip=client_ip())
    sessions.end_token(db, current_user.get_id(), "signed_out")
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
