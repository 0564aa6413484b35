"""User administration through the real pages: create, change role, program and county,
reset a password, deactivate and reactivate; errors land on their fields; all audited."""

from __future__ import annotations

import pytest
from conftest import csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from mutual_family_fixtures import PASSWORD, Seeded
from sqlalchemy import select
from test_routes import check_page

from linkages.db import session_scope
from linkages.models import AuditEvent, User
from linkages.models.enums import Role

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NEW_PASSWORD = "a long enough new passphrase"


def _form(client: FlaskClient, path: str, **data: str) -> object:
    page = client.get(path)
    return client.post(path, data={**data, "csrf_token": csrf_token(page.get_data(as_text=True))})


def test_an_administrator_creates_an_account_that_then_signs_in(
    app: Flask, client: FlaskClient, db_url: str
) -> None:
    sign_in(client, "admin")
    short = _form(client, "/admin/users/new", username="jdoe", display_name="Jo Doe",
                  role="cws_worker", program="", county="10", password="short",
                  confirm="short")
    html = short.get_data(as_text=True)  # type: ignore[attr-defined]
    assert check_page(html) == "Create an account" and "<title>Error: " in html
    assert 'href="#password">Password: must be at least 15 characters' in html
    no_county = _form(client, "/admin/users/new", username="jdoe", display_name="Jo Doe",
                      role="cws_worker", county="", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert "needs a county" in no_county.get_data(as_text=True)  # type: ignore[attr-defined]
    made = _form(client, "/admin/users/new", username="JDoe", display_name="Jo Doe",
                 role="cws_worker", county="10", password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert made.status_code == 302  # type: ignore[attr-defined]
    listing = client.get("/admin/users/?q=doe").get_data(as_text=True)
    assert ">jdoe</a>" in listing and "10 Fresno" in listing and ">fresno-cws<" not in listing
    newcomer = app.test_client()
    assert sign_in(newcomer, "jdoe", NEW_PASSWORD).headers["Location"] == "/"
    with session_scope(db_url) as s:
        user = s.scalars(select(User).where(User.username == "jdoe")).one()
        assert (user.role, user.program, user.county_cd) == (Role.CWS_WORKER, "cws", 10)


def test_role_county_and_password_changes_end_the_accounts_sessions(
    app: Flask, client: FlaskClient, seeded: Seeded, db_url: str
) -> None:
    worker = app.test_client()
    sign_in(worker, "fresno-cws")
    sign_in(client, "admin")
    uid = seeded.users["fresno-cws"]
    moved = _form(client, f"/admin/users/{uid}", display_name="Ana Fresno", role="cws_worker",
                  program="cws", county="19")
    assert moved.status_code == 302  # type: ignore[attr-defined]
    assert worker.get("/families/").status_code == 302  # her old scope is gone with her session
    sign_in(worker, "fresno-cws")
    assert "Los Angeles County" in worker.get("/families/").get_data(as_text=True)
    assert _form(client, f"/admin/users/{uid}/password", password=NEW_PASSWORD,
                 confirm=NEW_PASSWORD).status_code == 302  # type: ignore[attr-defined]
    assert worker.get("/families/").status_code == 302
    assert sign_in(worker, "fresno-cws", PASSWORD).status_code == 200  # the old one fails
    assert sign_in(worker, "fresno-cws", NEW_PASSWORD).status_code == 302
    with session_scope(db_url) as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.action.in_(
            ["user.update", "user.password_reset"])).order_by(AuditEvent.id)).all()
        assert [e.action for e in events] == ["user.update", "user.password_reset"]
        assert events[0].detail["changed"] == {"county_cd": [10, 19]}
        assert NEW_PASSWORD not in str(events[1].detail)


def test_deactivation_and_reactivation_and_no_one_deactivates_herself(
    client: FlaskClient, seeded: Seeded
) -> None:
    sign_in(client, "admin")
    own = seeded.users["admin"]
    page = client.get(f"/admin/users/{own}").get_data(as_text=True)
    client.post(f"/admin/users/{own}/deactivate", data={"csrf_token": csrf_token(page)})
    assert "you cannot deactivate your own account" in client.get(
        f"/admin/users/{own}").get_data(as_text=True)
    demoted = _form(client, f"/admin/users/{own}", display_name="Al", role="evaluator",
                    county="")
    assert "cannot take your own administrator role" in demoted.get_data(  # type: ignore[attr-defined]
        as_text=True)
    uid = seeded.users["la-cws"]
    page = client.get(f"/admin/users/{uid}").get_data(as_text=True)
    client.post(f"/admin/users/{uid}/deactivate", data={"csrf_token": csrf_token(page)})
    page = client.get(f"/admin/users/{uid}").get_data(as_text=True)
    assert "Deactivated" in page and "Reactivate the account" in page
    client.post(f"/admin/users/{uid}/reactivate", data={"csrf_token": csrf_token(page)})
    assert "Deactivate the account" in client.get(f"/admin/users/{uid}").get_data(as_text=True)


def test_a_county_administrator_manages_her_county_only(
    app: Flask, client: FlaskClient, seeded: Seeded, db_url: str
) -> None:
    with session_scope(db_url) as s:
        admin = s.get(User, seeded.users["admin"])
        assert admin is not None
        admin.county_cd = 10
    sign_in(client, "admin")
    listing = client.get("/admin/users/").get_data(as_text=True)
    assert ">fresno-cws</a>" in listing and ">la-cws</a>" not in listing
    assert client.get(f"/admin/users/{seeded.users['la-cws']}").status_code == 404
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert '<option value="19">' not in page and "Statewide" not in page
