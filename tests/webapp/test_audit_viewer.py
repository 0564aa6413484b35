"""The audit log viewer: who viewed family X, what user Y viewed last week, paging by key, CSV
export, and the viewer's own use in the trail."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from conftest import sign_in
from flask import Flask
from flask.testing import FlaskClient
from mutual_family_fixtures import Seeded
from sqlalchemy import insert, select
from test_routes import check_page

from linkages.db import session_scope
from linkages.models import AuditEvent

both_databases = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


@both_databases
def test_who_viewed_family_x(app: Flask, client: FlaskClient, seeded: Seeded,
                             db_url: str) -> None:
    for username in ("fresno-cws", "fresno-calworks"):
        worker = app.test_client()
        sign_in(worker, username)
        worker.get(f"/families/{seeded.garcia}")
    la = app.test_client()
    sign_in(la, "la-cws")
    la.get(f"/families/{seeded.nguyen}")
    sign_in(client, "admin")
    page = client.get(f"/audit/?family={seeded.garcia}&action=family.view").get_data(
        as_text=True)
    assert check_page(page) == "Audit log"
    viewers = page.split('<table class="viewers">')[1].split("</table>")[0]
    assert "fresno-cws" in viewers and "fresno-calworks" in viewers and "la-cws" not in viewers
    assert page.count("<td>family.view</td>") == 2
    with session_scope(db_url) as s:
        seen = s.scalars(select(AuditEvent).where(AuditEvent.action == "audit.view")).one()
        assert seen.username == "admin"
        assert seen.detail["family_id"] == seeded.garcia and seen.detail["shown"] == 2


@both_databases
def test_what_user_y_viewed_last_week(app: Flask, client: FlaskClient, seeded: Seeded,
                                      db_url: str) -> None:
    worker = app.test_client()
    sign_in(worker, "fresno-cws")
    worker.get(f"/families/{seeded.garcia}")
    old = datetime.now(UTC) - timedelta(days=10)
    with session_scope(db_url) as s:
        s.execute(insert(AuditEvent), [{
            "occurred_at": old, "username": "fresno-cws", "role": "cws_worker",
            "action": "family.view", "entity_type": "mutual_family",
            "entity_id": str(seeded.okafor), "detail": {}}])
    sign_in(client, "admin")
    today = datetime.now(UTC).date()
    week = f"start={today - timedelta(days=6)}&end={today}"
    page = client.get(f"/audit/?user=Fresno-CWS&action=family.view&{week}").get_data(
        as_text=True)
    assert f">family {seeded.garcia}</a>" in page
    assert f">family {seeded.okafor}</a>" not in page  # ten days ago: not last week
    bad = client.get("/audit/?start=2026-05-02&end=2026-05-01").get_data(as_text=True)
    assert "must be on or after the From day" in bad


def test_pages_go_by_key_and_the_csv_has_every_event(client: FlaskClient, seeded: Seeded,
                                                     db_url: str) -> None:
    with session_scope(db_url) as s:
        s.execute(insert(AuditEvent), [{
            "occurred_at": datetime.now(UTC), "username": "=cmd|' /C calc'!A0",
            "action": "login_failed", "entity_type": "user", "detail": {"n": i}}
            for i in range(120)])
    sign_in(client, "admin")
    first = client.get("/audit/?action=login_failed").get_data(as_text=True)
    assert first.count("<td>login_failed</td>") == 50
    older = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "before=" in older and "offset" not in older
    second = client.get(older.replace("&amp;", "&")).get_data(as_text=True)
    assert second.count("<td>login_failed</td>") == 50
    response = client.get("/audit/export.csv?action=login_failed")
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 120 and [r["detail"] for r in rows[:2]] == ['{"n": 0}', '{"n": 1}']
    assert rows[0]["username"].startswith("'=")  # no formula for a spreadsheet
    with session_scope(db_url) as s:
        exported = s.scalars(select(AuditEvent).where(AuditEvent.action == "audit.export")).one()
        assert exported.detail["action"] == "login_failed"
