"""The whole walk through the app on SQLite and on PostgreSQL (the county's database): the
other web tests run on SQLite only, the services tests on both."""

from __future__ import annotations

from conftest import sign_in, sign_out
from flask.testing import FlaskClient
from mutual_family_fixtures import Seeded
from sqlalchemy import select

from linkages.db import session_scope
from linkages.models import AuditEvent


def test_fresno_worker_walks_through_the_app(client: FlaskClient, seeded: Seeded,
                                             db_url: str) -> None:
    assert sign_in(client, "fresno-cws").status_code == 302
    page = client.get("/families/").get_data(as_text=True)
    assert "GARCIA LOPEZ family" in page and "NGUYEN family" not in page
    assert "MARIA GARCIA LOPEZ" in client.get(f"/families/{seeded.garcia}").get_data(
        as_text=True)
    assert client.get(f"/families/{seeded.nguyen}").status_code == 404
    assert sign_out(client).status_code == 302
    assert client.get("/families/").status_code == 302
    with session_scope(db_url) as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["login", "family.list", "family.view", "family.view_refused",
                       "family.list", "logout"]
