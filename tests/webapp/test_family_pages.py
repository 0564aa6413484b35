"""The mutual families list and family page as each user sees them."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from conftest import sign_in
from flask import Flask
from flask.testing import FlaskClient
from mutual_family_fixtures import Seeded
from sqlalchemy import select

from linkages.db import session_scope
from linkages.models import AuditEvent

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def text(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client: FlaskClient, seeded: Seeded) -> None:
    for url in ("/", "/families/", f"/families/{seeded.garcia}"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert unquote(client.get("/families/").headers["Location"]) == "/login?next=/families/"


def test_fresno_worker_sees_only_her_countys_families(client: FlaskClient) -> None:
    sign_in(client, "fresno-cws")
    page = text(client, "/families/")
    assert "GARCIA LOPEZ family" in page
    assert "OKAFOR family" in page  # CalWORKs in Los Angeles, CWS case in Fresno
    assert "NGUYEN family" not in page and "LA-2002" not in page
    assert "2 families." in page
    # The row: case numbers, county names, children, status, identified on.
    for cell in ("FR-1001", "0101-2345-6789-0123456", "<td>Fresno</td>", "<td>Los Angeles</td>",
                 "Active (co-case-managed)", "2026-03-02"):
        assert cell in page


def test_los_angeles_worker_sees_only_hers(client: FlaskClient) -> None:
    sign_in(client, "la-cws")
    page = text(client, "/families/")
    assert "NGUYEN family" in page and "OKAFOR family" in page
    assert "GARCIA LOPEZ family" not in page


def test_statewide_evaluator_sees_every_family(client: FlaskClient) -> None:
    sign_in(client, "evaluator")
    page = text(client, "/families/")
    assert all(n in page for n in ("GARCIA LOPEZ family", "NGUYEN family", "OKAFOR family"))
    assert "all counties" in page


def test_search_and_status_filter(client: FlaskClient) -> None:
    sign_in(client, "evaluator")
    page = text(client, "/families/?q=garcia")
    assert "GARCIA LOPEZ family" in page and "NGUYEN family" not in page
    assert "1 family matching “garcia”." in page
    page = text(client, "/families/?status=identified")
    assert "NGUYEN family" in page and "GARCIA LOPEZ family" not in page
    page = text(client, "/families/?status=bogus")  # ignored, with the form's own message
    assert "Not a valid choice" in page and "GARCIA LOPEZ family" in page


def test_pagination_links_keep_the_filters(app: Flask, client: FlaskClient) -> None:
    app.config["FAMILIES_PER_PAGE"] = 1
    sign_in(client, "evaluator")
    page = text(client, "/families/?status=identified")
    assert "Page 1 of 2" in page
    assert 'href="/families/?page=2&amp;status=identified" rel="next"' in page
    assert "Page 2 of 2" in text(client, "/families/?page=2&status=identified")


def test_family_page_shows_children_in_both_programs_and_workers(
        client: FlaskClient, seeded: Seeded) -> None:
    sign_in(client, "fresno-calworks")
    page = text(client, f"/families/{seeded.garcia}")
    assert "<h1>GARCIA LOPEZ family</h1>" in page
    for cell in ("FR-1001-C0", "MARIA GARCIA LOPEZ", "2017-05-04", "0101-2345-6789-0123456-K1",
                 "JOSEPH GARCIA LOPEZ", "0.998", "0.941", "Ana Fresno", "Ben Fresno",
                 "CalWORKs / WtW"):
        assert cell in page, cell
    assert "Cy Fresno" not in page  # an ended assignment


def _without_csrf(page: bytes) -> bytes:
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", page)


def test_family_outside_the_county_is_not_found_like_a_missing_one(
        client: FlaskClient, seeded: Seeded, db_url: str) -> None:
    sign_in(client, "fresno-cws")
    outside = client.get(f"/families/{seeded.nguyen}")
    missing = client.get("/families/999999")
    assert outside.status_code == missing.status_code == 404
    # Identical pages, but for the sign-out form's CSRF token (it carries a timestamp).
    assert _without_csrf(outside.get_data()) == _without_csrf(missing.get_data())
    assert b"NGUYEN" not in outside.get_data()
    with session_scope(db_url) as session:
        refused = session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "family.view_refused").order_by(AuditEvent.id)).all()
    assert [d["reason"] for d in refused] == ["out_of_scope", "no_such_family"]


def test_list_and_view_are_audited(client: FlaskClient, seeded: Seeded, db_url: str) -> None:
    sign_in(client, "fresno-cws")
    client.get("/families/?q=okafor")
    client.get(f"/families/{seeded.okafor}")
    with session_scope(db_url) as session:
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action.like("family.%")).order_by(AuditEvent.id)).all()
        assert [(e.action, e.username, e.ip_address) for e in events] == [
            ("family.list", "fresno-cws", "127.0.0.1"), ("family.view", "fresno-cws", "127.0.0.1")]
        assert events[0].detail["family_ids"] == [seeded.okafor]
        assert events[1].entity_id == str(seeded.okafor)


def test_unknown_page_is_a_404_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.get_data(as_text=True)
