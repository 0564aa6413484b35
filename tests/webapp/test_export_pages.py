"""The evaluator's cohort export pages: make one, see its files and checksums, download them
(audited), and an expired link answers 410."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from cohort_fixtures import add_cohort
from conftest import csrf_token, sign_in
from flask import Flask
from flask.testing import FlaskClient
from mutual_family_fixtures import Seeded
from sqlalchemy import select, update
from test_routes import check_page

from linkages.db import session_scope
from linkages.models import AuditEvent, CohortExport

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def with_cohort(db_url: str, seeded: Seeded) -> None:
    with session_scope(db_url) as s:
        add_cohort(s)


def test_an_evaluator_makes_and_downloads_an_export(
    app: Flask, client: FlaskClient, with_cohort: None, db_url: str
) -> None:
    sign_in(client, "evaluator")
    page = client.get("/exports/").get_data(as_text=True)
    assert check_page(page) == "Cohort exports" and "You have no exports yet" in page
    bad = client.post("/exports/", data={"start": "2020-12-31", "end": "2019-01-01",
                                         "csrf_token": csrf_token(page)})
    assert "must end on or after its first day" in bad.get_data(as_text=True)
    made = client.post("/exports/", data={"counties": ["10", "19"], "start": "2019-01-01",
                                          "end": "2020-12-31", "csrf_token": csrf_token(page)})
    assert made.status_code == 302
    detail = client.get(made.headers["Location"]).get_data(as_text=True)
    assert check_page(detail).startswith("Export ")
    assert "Fresno, Los Angeles" in detail and "Export 1 is ready: 5 children." in detail
    manifest = json.loads(client.get("/exports/1/files/manifest.json").get_data())
    for entry in manifest["files"]:
        response = client.get(f"/exports/1/files/{entry['name']}")
        assert response.status_code == 200
        assert hashlib.sha256(response.get_data()).hexdigest() == entry["sha256"]
        assert response.headers["Cache-Control"] == "no-store"
        assert f"linkages-export-1-{entry['name']}" in response.headers["Content-Disposition"]
    assert client.get("/exports/1/files/secret_key").status_code == 404
    # Another evaluator's export does not exist for her; a worker may not export at all.
    other = app.test_client()
    sign_in(other, "fresno-cws")
    assert other.get("/exports/1/files/cohort.csv").status_code == 403
    with session_scope(db_url) as s:
        downloads = s.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "export.download")).all()
    assert [d["file"] for d in downloads] == [
        "manifest.json", "cohort.csv", "cohort.parquet", "data_dictionary.csv", "summary.csv"]


def test_an_expired_link_answers_410(client: FlaskClient, with_cohort: None,
                                     db_url: str) -> None:
    sign_in(client, "evaluator")
    page = client.get("/exports/").get_data(as_text=True)
    client.post("/exports/", data={"start": "2019-01-01", "end": "2020-12-31",
                                   "csrf_token": csrf_token(page)})
    assert client.get("/exports/1/files/cohort.csv").status_code == 200
    with session_scope(db_url) as s:
        s.execute(update(CohortExport).values(expires_at=datetime.now(UTC) - timedelta(1)))
    gone = client.get("/exports/1/files/cohort.csv")
    assert gone.status_code == 410 and "Export expired" in gone.get_data(as_text=True)
    detail = client.get("/exports/1").get_data(as_text=True)
    assert "This export has expired" in detail and 'href="/exports/1/files/' not in detail
    listing = client.get("/exports/").get_data(as_text=True)
    assert "Expired " in listing
