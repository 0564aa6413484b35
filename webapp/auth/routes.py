from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from linkages.services import users
from webapp.auth import bp
from webapp.auth.forms import SignInForm
from webapp.db import get_db
from webapp.security import SignedInUser, client_ip, current_actor, safe_next, start_session

# One message for every failure, so that a failure never tells whether the username exists.
SIGN_IN_FAILED = (
    "Sign-in failed: the username or password is wrong, or the account is locked. "
    "After {n} failed attempts an account is locked for {minutes} minutes."
)


SIGN_IN_BUSY = "Too many people are signing in at this moment. Please try again in a few seconds."
BUSY_RETRY_SECONDS = 5


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]:
    if current_user.is_authenticated:
        return redirect(url_for("families.index"))
    form = SignInForm()
    if form.validate_on_submit():
        policy = current_app.config["LOCKOUT_POLICY"]
        try:
            result = users.authenticate(
                get_db(), form.username.data or "", form.password.data or "",
                ip=client_ip(), policy=policy,
            )
        except users.SignInBusy:
            flash(SIGN_IN_BUSY, "error")
            page = render_template("auth/login.html", form=form)
            return page, 503, {"Retry-After": str(BUSY_RETRY_SECONDS)}
        if result.ok and result.user is not None:
            # Rotate the session: nothing from before sign-in (CSRF token included) survives.
            session.clear()
            login_user(SignedInUser.from_user(result.user), remember=False)
            start_session()
            return redirect(safe_next(request.args.get("next")) or url_for("families.index"))
        flash(SIGN_IN_FAILED.format(n=policy.max_failures,
                                    minutes=int(policy.lockout.total_seconds() // 60)), "error")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Response:
    # CSRFProtect has checked the token: signing out cannot be triggered from another site.
    users.record_logout(get_db(), current_actor(), ip=client_ip())
    logout_user()
    session.clear()
    flash("You have signed out.", "info")
    response = redirect(url_for("auth.login"))
    response.headers["Clear-Site-Data"] = '"cache"'
    return response
