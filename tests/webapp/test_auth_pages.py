"""Signing in and out through the real pages, with CSRF protection on."""

from __future__ import annotations

import hashlib

import pytest
from conftest import csrf_token, sign_in, sign_out
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from linkages.db import session_scope
from linkages.models import AuditEvent, UserSession

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def audit_actions(db_url: str) -> list[tuple[str, str | None]]:
    with session_scope(db_url) as session:
        return [(e.action, e.username) for e in session.scalars(
            select(AuditEvent).order_by(AuditEvent.id))]


def test_login_page_is_an_accessible_form(client: FlaskClient) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<label for="username">Username</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    assert 'href="#main">Skip to main content</a>' in html
    assert "<h1>Sign in</h1>" in html


def test_sign_in_leads_to_my_families(client: FlaskClient, db_url: str) -> None:
    response = sign_in(client, "fresno-cws")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").headers["Location"] == "/my/"
    page = client.get("/families/").get_data(as_text=True)
    assert "Signed in as <strong>Ana Fresno</strong>" in page
    assert "(CWS social worker, Fresno County)" in page
    assert ("login", "fresno-cws") in audit_actions(db_url)


def test_sign_in_rotates_the_session(client: FlaskClient, db_url: str) -> None:
    client.get("/login")
    with client.session_transaction() as before:
        anonymous_token = before["csrf_token"]
        before["planted"] = "by someone else"
    sign_in(client, "fresno-cws")
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf_token") != anonymous_token
        token = after["_user_id"]
    # The cookie names a server-side session by a random token, kept there only as a hash.
    assert len(token) >= 40 and "fresno" not in token
    with session_scope(db_url) as s:
        row = s.scalars(select(UserSession)).one()
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.signed_in_at is not None and row.ended_at is None


def test_wrong_password_shows_one_message_for_every_failure(client: FlaskClient,
                                                           db_url: str) -> None:
    wrong = sign_in(client, "fresno-cws", "not-the-password").get_data(as_text=True)
    unknown = sign_in(client, "nobody", "not-the-password").get_data(as_text=True)
    message = "Sign-in failed: the username or password is wrong, or the account is locked."
    assert message in wrong and message in unknown
    assert 'role="alert"' in wrong
    assert client.get("/families/").status_code == 302  # still signed out
    assert audit_actions(db_url) == [("login_failed", "fresno-cws"), ("login_failed", None)]


def test_sign_in_without_csrf_token_is_rejected(client: FlaskClient, db_url: str) -> None:
    response = client.post("/login", data={"username": "fresno-cws",
                                           "password": "correct-horse-battery-staple"})
    assert response.status_code == 400
    assert "The form has expired" in response.get_data(as_text=True)
    assert audit_actions(db_url) == []  # the password was never even checked


def test_sign_in_with_a_forged_csrf_token_is_rejected(client: FlaskClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "fresno-cws", "csrf_token": "forged",
                                           "password": "correct-horse-battery-staple"})
    assert response.status_code == 400


def test_sign_out_ends_the_session(client: FlaskClient, db_url: str) -> None:
    sign_in(client, "fresno-cws")
    response = sign_out(client)
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert response.headers["Clear-Site-Data"] == '"cache"'
    assert client.get("/families/").status_code == 302
    assert "You have signed out." in client.get("/login").get_data(as_text=True)
    assert ("logout", "fresno-cws") in audit_actions(db_url)


def test_sign_out_needs_a_post_with_the_csrf_token(client: FlaskClient) -> None:
    sign_in(client, "fresno-cws")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/families/").status_code == 200  # still signed in


def test_next_page_after_sign_in_stays_on_this_site(client: FlaskClient) -> None:
    assert sign_in(client, "fresno-cws", next_url="/families/?status=active").headers[
        "Location"] == "/families/?status=active"
    sign_out(client)
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        assert sign_in(client, "fresno-cws", next_url=evil).headers["Location"] == "/"
        sign_out(client)


def test_signed_in_user_visiting_login_goes_to_the_landing_page(client: FlaskClient) -> None:
    sign_in(client, "fresno-cws")
    assert client.get("/login").headers["Location"] == "/"


def test_six_wrong_passwords_lock_the_account_through_the_form(client: FlaskClient) -> None:
    for _ in range(6):
        sign_in(client, "la-cws", "not-the-password")
    assert sign_in(client, "la-cws").status_code == 200  # the form again: locked
    assert client.get("/families/").status_code == 302


def test_a_sign_in_elsewhere_ends_this_session(app: Flask, client: FlaskClient) -> None:
    sign_in(client, "fresno-cws")
    other_browser = app.test_client()
    sign_in(other_browser, "fresno-cws")
    assert other_browser.get("/families/").status_code == 200
    assert client.get("/families/").status_code == 302


def test_csrf_token_helper_finds_the_token(client: FlaskClient) -> None:
    assert len(csrf_token(client.get("/login").get_data(as_text=True))) > 20
