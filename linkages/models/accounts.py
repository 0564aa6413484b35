"""Users, and the append-only audit trail of what they did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from linkages.models.base import Base, Timestamped, enum_column, utcnow
from linkages.models.enums import Program, Role


class User(Timestamped, Base):
    """A county worker, manager, evaluator or administrator.

    ``county_cd`` scopes what she sees: workers and county program managers see only their
    county's families; a blank county is statewide (state evaluators, administrators).
    """

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    program: Mapped[Program | None] = mapped_column(enum_column(Program, "user_program"))
    county_cd: Mapped[int | None] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]


class AuditEvent(Base):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE, and the
    ORM refuses them too (see ``linkages.db``)."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(80))
    role: Mapped[str | None] = mapped_column(String(40))
    county_cd: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(64))


class IngestRun(Base):
    """One ``linkages ingest`` of an extract directory, with per-file counts that reconcile."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    directory: Mapped[str] = mapped_column(String(500))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
