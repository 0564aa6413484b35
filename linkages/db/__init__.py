"""Engine and sessions. One engine per database URL; the default is the embedded SQLite file
under ``var/``, ``LINKAGES_DATABASE_URL`` names PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from linkages.config import database_url
from linkages.models import AuditEvent


class AppendOnlyError(RuntimeError):
    pass


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the configured database), one per URL per process."""
    return _engine(url or database_url())


@cache
def _engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return _session_factory(url or database_url())


@cache
def _session_factory(url: str) -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def schema_ready(engine: Engine) -> bool:
    """True when migrations have been applied (the database is at some revision; a database
    downgraded to base keeps an empty version table and is not ready)."""
    if not inspect(engine).has_table("alembic_version"):
        return False
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision() is not None


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _context: Any, _instances: Any) -> None:
    # The database triggers are the real guard; this gives a clear error before the round trip.
    for obj in [*session.dirty, *session.deleted]:
        if isinstance(obj, AuditEvent):
            raise AppendOnlyError("audit events are append-only")
