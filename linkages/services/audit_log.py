"""The audit log viewer: who did what, to which record, when, from where.

Filters by user, family, action and dates (UTC days) answer the reviewers' questions: who
opened family X, what user Y opened last week. Pages go by key (``id < :before``, newest
first), never OFFSET, and the CSV export reads in keyed chunks, so a long trail costs the same
per page. Reading the trail is itself recorded in it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from linkages.models import AuditEvent
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import Actor, Permission, require

PER_PAGE = 50
EXPORT_CHUNK = 2000
CSV_COLUMNS = ("id", "occurred_at_utc", "username", "role", "county_cd", "action",
               "entity_type", "entity_id", "ip_address", "detail")
FAMILY_ENTITY = "mutual_family"


@dataclass(frozen=True, slots=True)
class AuditFilter:
    username: str | None = None
    family_id: int | None = None
    action: str | None = None
    start: date | None = None  # first UTC day, inclusive
    end: date | None = None  # last UTC day, inclusive

    def conditions(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.username:
            where.append(AuditEvent.username == self.username.strip().lower())
        if self.family_id is not None:
            where += [AuditEvent.entity_type == FAMILY_ENTITY,
                      AuditEvent.entity_id == str(self.family_id)]
        if self.action:
            where.append(AuditEvent.action == self.action)
        if self.start:
            where.append(AuditEvent.occurred_at >= datetime.combine(self.start, time(), UTC))
        if self.end:
            where.append(AuditEvent.occurred_at
                         < datetime.combine(self.end + timedelta(days=1), time(), UTC))
        return where

    def as_detail(self) -> dict[str, Any]:
        return {"username": self.username, "family_id": self.family_id, "action": self.action,
                "start": self.start and self.start.isoformat(),
                "end": self.end and self.end.isoformat()}


@dataclass(frozen=True, slots=True)
class Viewer:
    username: str | None
    role: str | None
    times: int
    last: datetime


@dataclass(frozen=True, slots=True)
class AuditPage:
    events: list[AuditEvent]
    filter: AuditFilter
    next_before: int | None
    # With a family filter: everyone the filtered events name, with how often and when last.
    viewers: list[Viewer] = field(default_factory=list)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def search(session: Session, actor: Actor, flt: AuditFilter, *, before: int | None = None,
           per_page: int = PER_PAGE, ip: str | None = None) -> AuditPage:
    """One page of events, newest first, older than event ``before``."""
    require(actor, Permission.VIEW_AUDIT)
    per_page = max(1, min(per_page, 500))
    stmt = (select(AuditEvent).where(*flt.conditions()).order_by(AuditEvent.id.desc())
            .limit(per_page + 1))
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    events = list(session.scalars(stmt))
    more = len(events) > per_page
    events = events[:per_page]
    viewers: list[Viewer] = []
    if flt.family_id is not None:
        viewers = [Viewer(u, r, n, _utc(last)) for u, r, n, last in session.execute(
            select(AuditEvent.username, AuditEvent.role, func.count(AuditEvent.id),
                   func.max(AuditEvent.occurred_at))
            .where(*flt.conditions())
            .group_by(AuditEvent.username, AuditEvent.role)
            .order_by(func.max(AuditEvent.occurred_at).desc()).limit(200))]
    audit.record(session, actor, AuditAction.AUDIT_VIEW, "audit_event", None,
                 {**flt.as_detail(), "before": before, "shown": len(events)}, ip)
    return AuditPage(events, flt, events[-1].id if more and events else None, viewers)


def _cell(value: object) -> object:
    """A spreadsheet must not take a typed username for a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(session: Session, actor: Actor, flt: AuditFilter, *,
               ip: str | None = None) -> Iterator[str]:
    """The filtered events as CSV, oldest first, read in keyed chunks. The export is audited
    when asked for (before the first row is read)."""
    require(actor, Permission.VIEW_AUDIT)
    audit.record(session, actor, AuditAction.AUDIT_EXPORT, "audit_event", None,
                 flt.as_detail(), ip)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(CSV_COLUMNS)
        last = 0
        while True:
            chunk = session.scalars(select(AuditEvent)
                                    .where(*flt.conditions(), AuditEvent.id > last)
                                    .order_by(AuditEvent.id).limit(EXPORT_CHUNK)).all()
            for e in chunk:
                writer.writerow([_cell(v) for v in (
                    e.id, _utc(e.occurred_at).isoformat(timespec="seconds"), e.username,
                    e.role, e.county_cd, e.action, e.entity_type, e.entity_id, e.ip_address,
                    json.dumps(e.detail or {}, sort_keys=True))])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(chunk) < EXPORT_CHUNK:
                return
            last = chunk[-1].id
            session.expunge_all()  # keep memory flat over a long trail

    return rows()


def known_actions() -> list[str]:
    return sorted(a.value for a in AuditAction)
