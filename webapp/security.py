"""Sign-in state and HTTP hardening: Flask-Login with a user loader from the database, idle and
absolute session timeouts, CSRF on every form, and security headers on every response."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from linkages.models import User
from linkages.services import users
from linkages.services.scope import Actor, scope_description
from webapp.db import get_db

login_manager = LoginManager()
csrf = CSRFProtect()

# Only this origin's own files: no inline script or style, no framing, forms post only here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


class SignedInUser(UserMixin):
    """The Flask-Login user: the services' Actor plus what the page header shows."""

    def __init__(self, actor: Actor, display_name: str, token: str) -> None:
        self.actor = actor
        self.display_name = display_name
        self._token = token

    @classmethod
    def from_user(cls, user: User) -> SignedInUser:
        return cls(Actor.from_user(user), user.display_name, users.session_token(user))

    def get_id(self) -> str:
        return f"{self.actor.user_id}:{self._token}"

    @property
    def scope(self) -> str:
        return scope_description(self.actor)


def current_actor() -> Actor:
    """The Actor of the signed-in user (views are @login_required before calling this)."""
    return current_user.actor  # type: ignore[no-any-return]


def client_ip() -> str | None:
    return request.remote_addr


def safe_next(target: str | None) -> str | None:
    """A post-sign-in destination only if it is a path on this site (no open redirect)."""
    if not target:
        return None
    # Control characters (a CR/LF would split the Location header) make it no destination.
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def start_session() -> None:
    """Called at sign-in after login_user: the clocks of the idle and absolute timeouts."""
    now = time.time()
    session.permanent = True
    session["signed_in_at"] = now
    session["seen_at"] = now


@login_manager.user_loader
def _load_user(user_id: str) -> SignedInUser | None:
    uid, _, token = user_id.partition(":")
    if not uid.isdigit() or not token:
        return None
    user = users.user_for_session(get_db(), int(uid), token)
    return SignedInUser.from_user(user) if user else None


def _enforce_session_age() -> BaseResponse | None:
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = time.time()
    signed_in_at = session.get("signed_in_at")
    seen_at = session.get("seen_at")
    idle = current_app.config["IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["ABSOLUTE_TIMEOUT"].total_seconds()
    if (
        not isinstance(signed_in_at, int | float)
        or not isinstance(seen_at, int | float)
        or now - seen_at > idle
        or now - signed_in_at > absolute
    ):
        users.record_logout(get_db(), current_actor(), ip=client_ip(), expired=True)
        logout_user()
        session.clear()
        flash("Your session has ended. Please sign in again.", "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=safe_next(target)))
    session["seen_at"] = now
    return None


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # Search terms (family names) in URLs must not travel to other sites.
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.endpoint != "static":
        # Pages carry personal data: never kept by the browser or a proxy.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.before_request(_enforce_session_age)
    app.after_request(_security_headers)
