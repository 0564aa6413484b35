"""Session lifetime, cookies, headers, error pages and the app's settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
from conftest import TEST_SECRET, sign_in
from flask import Flask
from flask.testing import FlaskClient
from mutual_family_fixtures import Seeded
from sqlalchemy import select

from linkages.db import session_scope
from linkages.models import AuditEvent, User, UserSession
from webapp import create_app

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_by_default_the_session_cookie_is_secure_httponly_and_samesite_lax(
    client: FlaskClient,
) -> None:
    response = sign_in(client, "fresno-cws")
    (cookie,) = [c for c in response.headers.getlist("Set-Cookie")
                 if c.startswith("linkages_session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_plain_http_on_one_machine_has_no_secure_cookie_and_no_hsts(
    db_url: str, seeded: Seeded
) -> None:
    # What `linkages serve --insecure-local` gives the demo.
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET,
                      "SESSION_COOKIE_SECURE": False})
    response = sign_in(app.test_client(), "fresno-cws")
    assert not any("Secure" in c for c in response.headers.getlist("Set-Cookie"))
    assert "Strict-Transport-Security" not in response.headers


def test_pages_carry_security_headers_and_are_never_cached(client: FlaskClient,
                                                          seeded: Seeded) -> None:
    sign_in(client, "fresno-cws")
    response = client.get(f"/families/{seeded.garcia}")
    headers = response.headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    css = client.get("/static/linkages.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")


def _age_session(client: FlaskClient, *, seen_at: float | None = None,
                 signed_in_at: float | None = None) -> None:
    """Move the server-side session's clocks back: last used, or signed in, so long ago."""
    now = datetime.now(UTC)
    with session_scope(client.application.config["DATABASE_URL"]) as s:
        row = s.scalars(select(UserSession).where(UserSession.ended_at.is_(None))).one()
        if seen_at is not None:
            row.last_seen_at = now - timedelta(seconds=seen_at)
        if signed_in_at is not None:
            row.signed_in_at = now - timedelta(seconds=signed_in_at)
            row.expires_at = row.signed_in_at + timedelta(hours=12)


def test_thirty_idle_minutes_end_the_session(client: FlaskClient, db_url: str) -> None:
    sign_in(client, "fresno-cws")
    _age_session(client, seen_at=29 * 60)
    assert client.get("/families/").status_code == 200  # activity resets the idle clock
    _age_session(client, seen_at=31 * 60)
    response = client.get("/families/?q=garcia")
    assert response.status_code == 302
    assert unquote(response.headers["Location"]) == "/login?next=/families/?q=garcia"
    assert client.get("/families/").status_code == 302
    assert "Your session has ended" in client.get("/login").get_data(as_text=True)
    with session_scope(db_url) as s:
        assert s.scalar(select(AuditEvent.username).where(
            AuditEvent.action == "session_expired")) == "fresno-cws"


def test_twelve_hours_end_the_session_however_active(client: FlaskClient) -> None:
    sign_in(client, "fresno-cws")
    _age_session(client, signed_in_at=11.9 * 3600)
    assert client.get("/families/").status_code == 200
    _age_session(client, signed_in_at=12.1 * 3600)
    assert client.get("/families/").status_code == 302


def test_a_deactivated_account_is_signed_out_at_its_next_request(
        client: FlaskClient, seeded: Seeded, db_url: str) -> None:
    sign_in(client, "fresno-cws")
    with session_scope(db_url) as s:
        user = s.get(User, seeded.users["fresno-cws"])
        assert user is not None
        user.active = False
    assert client.get("/families/").status_code == 302


def test_a_server_error_rolls_back_the_work_but_keeps_its_audit_trail(
    db_url: str, seeded: Seeded
) -> None:
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET})

    @app.get("/explode")
    def explode() -> str:
        from linkages.services import audit
        from webapp.db import get_db

        db = get_db()
        db.scalars(select(User)).first().display_name = "half-done change"
        audit.record(db, None, "half-done work", "user", 1, {"what": "renamed"})
        db.flush()
        raise RuntimeError("boom")

    response = app.test_client().get("/explode")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong" in page and "boom" not in page and "Traceback" not in page
    with session_scope(db_url) as s:
        assert s.scalar(select(User.id).where(User.display_name == "half-done change")) is None
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "half-done work")).one()
        assert event.detail == {"what": "renamed", "request_failed": "500"}
        assert (event.entity_type, event.entity_id) == ("user", "1")


def test_forbidden_action_is_a_403_page(db_url: str, seeded: Seeded) -> None:
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET})

    @app.get("/needs-a-permission")
    def needs() -> str:
        from linkages.services.scope import PermissionDenied

        raise PermissionDenied("no")

    response = app.test_client().get("/needs-a-permission")
    assert response.status_code == 403 and "<h1>Not allowed</h1>" in response.get_data(
        as_text=True)


def test_app_factory_registers_the_areas(app: Flask) -> None:
    assert {"auth", "families"} <= set(app.blueprints)
