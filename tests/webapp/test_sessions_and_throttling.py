"""Server-side sessions and sign-in throttling through the real pages: a copied session cookie
stops working at sign-out and at deactivation; too many failed attempts answer 429 with the
same message for a username that exists and one that does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import TEST_SECRET, csrf_token, sign_in, sign_out
from flask import Flask
from flask.testing import FlaskClient
from mutual_family_fixtures import PASSWORD, Seeded
from sqlalchemy import select

from linkages.db import session_scope
from linkages.models import AuditEvent, UserSession
from linkages.services.throttle import ThrottlePolicy
from webapp import create_app

both_databases = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


def _copy_cookie(source: FlaskClient, target: FlaskClient) -> None:
    cookie = source.get_cookie("linkages_session")
    assert cookie is not None
    target.set_cookie("linkages_session", cookie.value)


@both_databases
def test_a_copied_cookie_stops_working_at_sign_out(app: Flask, client: FlaskClient,
                                                   db_url: str) -> None:
    sign_in(client, "fresno-cws")
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/families/").status_code == 200  # the copy works while she is in
    sign_out(client)
    assert thief.get("/families/").status_code == 302
    with session_scope(db_url) as s:
        assert s.scalars(select(UserSession.end_reason)).all() == ["signed_out"]


@both_databases
def test_a_copied_cookie_stops_working_when_the_account_is_deactivated(
    app: Flask, client: FlaskClient, seeded: Seeded, db_url: str
) -> None:
    sign_in(client, "fresno-cws")
    thief = app.test_client()
    _copy_cookie(client, thief)
    admin = app.test_client()
    sign_in(admin, "admin")
    user_id = seeded.users["fresno-cws"]
    page = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert admin.post(f"/admin/users/{user_id}/deactivate",
                      data={"csrf_token": csrf_token(page)}).status_code == 302
    assert thief.get("/families/").status_code == 302
    assert client.get("/families/").status_code == 302
    assert sign_in(client, "fresno-cws").status_code == 200  # and she cannot sign in again
    with session_scope(db_url) as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "user.deactivate")).one()
        assert event.username == "admin" and event.detail["sessions_ended"] == 1


def _attempts(client: FlaskClient, username: str, n: int) -> list[tuple[int, str]]:
    out = []
    for _ in range(n):
        response = sign_in(client, username, "not-the-password")
        out.append((response.status_code, response.get_data(as_text=True)))
    return out


MESSAGE = "Too many failed sign-in attempts with this username or from this address."


@both_databases
def test_throttling_answers_429_alike_for_known_and_unknown_usernames(
    client: FlaskClient, db_url: str
) -> None:
    known = _attempts(client, "la-cws", 21)
    unknown = _attempts(client, "no-such-user", 21)
    for results in (known, unknown):
        assert [s for s, _ in results[:20]] == [200] * 20
        status, page = results[20]
        assert status == 429 and MESSAGE in page and "wait 15 minutes" in page
    # The two pages differ in nothing but the CSRF token and the username typed.
    def strip(html: str, username: str) -> str:
        return html.replace(csrf_token(html), "").replace(f'value="{username}"', "")

    assert strip(known[20][1], "la-cws") == strip(unknown[20][1], "no-such-user")
    # A plain failure (and the lockout after 6 of the known account) looks alike too.
    assert strip(known[7][1], "la-cws") == strip(unknown[7][1], "no-such-user")
    # A throttled attempt checks no password: even the right one is refused.
    response = sign_in(client, "la-cws")
    assert response.status_code == 429 and response.headers["Retry-After"].isdigit()
    with session_scope(db_url) as s:
        throttled = s.scalars(select(AuditEvent).where(AuditEvent.action == "login.throttled")
                              .order_by(AuditEvent.id)).all()
    assert [e.detail["attempted_username"] for e in throttled] == [
        "la-cws", "no-such-user", "la-cws"]


def test_throttling_per_address(db_url: str, seeded: Seeded) -> None:
    app = create_app({"DATABASE_URL": db_url, "SECRET_KEY": TEST_SECRET,
                      "THROTTLE_POLICY": ThrottlePolicy(account_failures=100, address_failures=5,
                                                        window=timedelta(minutes=1))})
    client = app.test_client()
    for i in range(5):
        assert sign_in(client, f"guess-{i}", "x").status_code == 200
    response = sign_in(client, "fresno-cws", PASSWORD)
    assert response.status_code == 429 and MESSAGE in response.get_data(as_text=True)
    # Another address is not held back.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert sign_in(other, "fresno-cws").headers["Location"] == "/"


def test_a_completed_sign_in_forgives_the_account_not_the_address(
    client: FlaskClient, db_url: str
) -> None:
    _attempts(client, "la-cws", 5)
    assert sign_in(client, "la-cws").headers["Location"] == "/"
    sign_out(client)
    with session_scope(db_url) as s:
        from linkages.models import SignInThrottle

        assert [r.failures for r in s.scalars(select(SignInThrottle))] == [5]  # the address
