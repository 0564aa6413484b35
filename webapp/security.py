"""Sign-in state and HTTP hardening: server-side sessions (``linkages.services.sessions``) under
Flask-Login, idle and absolute timeouts, CSRF on every form, and security headers on every
response.

The signed session cookie holds only a random token (as Flask-Login's user id); the session's
row on the server says whose it is and whether it is still open, so signing out or deactivating
an account ends it at once. Between the password and the second-factor code the cookie holds
only the pending session's token (``PENDING``), which the sign-in pages alone read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, current_app, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response as BaseResponse

from linkages.models import User
from linkages.services import sessions
from linkages.services.scope import Actor, Permission, scope_description
from webapp.db import get_db

# Cookie-session keys of a sign-in waiting for its second factor.
PENDING = "pending_sign_in"
PENDING_NEXT = "pending_next"

login_manager = LoginManager()
csrf = CSRFProtect()

# Only this origin's own files: no inline script or style, no framing, forms post only here.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


class SignedInUser(UserMixin):
    """The Flask-Login user: the services' Actor plus what the page header shows. Its id is
    the server-side session's token."""

    def __init__(self, actor: Actor, display_name: str, token: str) -> None:
        self.actor = actor
        self.display_name = display_name
        self._token = token

    @classmethod
    def from_user(cls, user: User, token: str) -> SignedInUser:
        return cls(Actor.from_user(user), user.display_name, token)

    def get_id(self) -> str:
        return self._token

    @property
    def scope(self) -> str:
        return scope_description(self.actor)

    def can(self, permission: str) -> bool:
        """For the navigation: may this user reach an area at all (the services decide)."""
        return self.actor.can(Permission(permission))


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


def sign_in_now(user: User, token: str) -> None:
    """The user is signed in (password, and second factor where asked): a fresh cookie
    session (nothing from before survives, the CSRF token included) naming the server-side
    session ``token``."""
    session.clear()
    login_user(SignedInUser.from_user(user, token), remember=False)
    session.permanent = True


@login_manager.user_loader
def _load_user(token: str) -> SignedInUser | None:
    # _resume_session has already checked the token against the server; nothing else is.
    signed_in: SignedInUser | None = g.get("signed_in")
    return signed_in if signed_in is not None and signed_in.get_id() == token else None


def _resume_session() -> BaseResponse | None:
    """Before every request: find the server-side session the cookie names. One that has
    ended (signed out elsewhere, deactivated, copied after sign-out) signs the browser out;
    one that timed out says so."""
    if request.endpoint == "static":
        return None
    token = session.get("_user_id")
    if not token:
        return None
    result = sessions.resume(get_db(), str(token), policy=current_app.config["SESSION_POLICY"],
                             ip=client_ip())
    if result.user is not None:
        g.signed_in = SignedInUser.from_user(result.user, str(token))
        g.session_row = result.row
        return None
    logout_user()
    session.clear()
    if result.reason != "expired":
        return None  # an anonymous visitor: pages that need a sign-in redirect to it
    flash("Your session has ended. Please sign in again.", "info")
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("auth.login", next=safe_next(target)))


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
    app.before_request(_resume_session)
    app.after_request(_security_headers)
