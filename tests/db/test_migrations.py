"""The schema is built by migrations, and the migrations agree with the models."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from linkages.db import AppendOnlyError, get_engine, session_factory
from linkages.db.migrate import current_revision, downgrade, head_revision, upgrade
from linkages.models import AuditEvent, Base, CalworksCase
from linkages.models.enums import AidStatus


def test_upgrade_from_empty_reaches_head_with_every_table(db_url: str) -> None:
    assert current_revision(db_url) == head_revision()
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_models_and_head_migration_agree(db_url: str) -> None:
    def on_this_database(obj: object, name: str | None, type_: str, reflected: bool,
                         compare_to: object) -> bool:
        # A PostgreSQL index method (the trigram search index) exists only there.
        return not (type_ == "index" and not reflected and conn.dialect.name != "postgresql"
                    and obj.dialect_options["postgresql"]["using"])  # type: ignore[attr-defined]

    with get_engine(db_url).connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": on_this_database})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models differ from the migrations: {diff}"


def test_downgrade_to_empty_and_back(db_url: str) -> None:
    downgrade(db_url, "base")
    assert current_revision(db_url) is None
    assert "calworks_case" not in inspect(get_engine(db_url)).get_table_names()
    upgrade(db_url)
    assert current_revision(db_url) == head_revision()


def test_audit_events_cannot_be_changed_or_deleted(db_url: str) -> None:
    with session_factory(db_url)() as s:
        s.add(AuditEvent(action="login", username="demo"))
        s.commit()
        event = s.query(AuditEvent).one()
        event.action = "tampered"
        with pytest.raises(AppendOnlyError):
            s.flush()
        s.rollback()
    # The database refuses too, whatever client asks.
    with pytest.raises(DBAPIError), get_engine(db_url).begin() as conn:
        conn.execute(text("UPDATE audit_event SET action = 'tampered'"))
    with pytest.raises(DBAPIError), get_engine(db_url).begin() as conn:
        conn.execute(text("DELETE FROM audit_event"))


def test_enum_values_are_checked_by_the_database(db_url: str) -> None:
    with session_factory(db_url)() as s:
        s.add(CalworksCase(case_number="C1", county_cd=19, aid_status=AidStatus.ACTIVE))
        s.commit()
        assert s.execute(text("SELECT aid_status FROM calworks_case")).scalar() == "active"
    with pytest.raises(DBAPIError), get_engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO calworks_case (case_number, county_cd, aid_status, "
                          "created_at, updated_at) VALUES ('C2', 19, 'bogus', :d, :d)"),
                     {"d": date(2024, 1, 1)})
