"""The audit viewer's service: filters, pages by key in a fixed number of queries, and its own
reading recorded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
from mutual_family_fixtures import Seeded
from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from linkages.models import AuditEvent
from linkages.services import audit_log
from linkages.services.audit_log import AuditFilter
from linkages.services.scope import Actor, PermissionDenied


@contextmanager
def statements(session: Session) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []
    engine = session.get_bind()

    def count(_conn: object, _cursor: object, sql: str, parameters: object,
              *_args: object) -> None:
        seen.append((sql, parameters))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _events(session: Session, n: int, **values: object) -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    session.execute(insert(AuditEvent), [{
        "occurred_at": start + timedelta(hours=i), "username": "fresno-cws", "role": "cws_worker",
        "action": "family.view", "entity_type": "mutual_family", "entity_id": str(i % 3 + 1),
        "detail": {"i": i}, **values} for i in range(n)])
    session.commit()


def test_pages_by_key_in_a_fixed_number_of_queries(session: Session, seeded: Seeded,
                                                   actor: Callable[[str], Actor]) -> None:
    _events(session, 130)
    admin = actor("admin")
    flt = AuditFilter(family_id=2, action="family.view")
    seen_ids: list[int] = []
    before = None
    while True:
        with statements(session) as seen:
            page = audit_log.search(session, admin, flt, before=before, per_page=20)
            session.flush()
        # The page, the viewers' summary, and the audit event of this look.
        assert len(seen) <= 3, seen
        page_sql, parameters = seen[0]
        if before is not None:
            assert "audit_event.id <" in page_sql  # by key
        if " OFFSET " in page_sql.upper():  # SQLite writes LIMIT ? OFFSET ? with 0
            assert list(parameters)[-1] == 0  # type: ignore[call-overload]
        seen_ids += [e.id for e in page.events]
        assert [v.username for v in page.viewers] == ["fresno-cws"]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen_ids == sorted(seen_ids, reverse=True) and len(seen_ids) == 43
    views = session.scalars(select(AuditEvent).where(AuditEvent.action == "audit.view")).all()
    assert len(views) == 3 and views[0].detail["family_id"] == 2


def test_dates_are_utc_days_inclusive(session: Session, seeded: Seeded,
                                      actor: Callable[[str], Actor]) -> None:
    _events(session, 48)  # 2026-06-01 00:00 to 2026-06-02 23:00
    page = audit_log.search(session, actor("admin"), AuditFilter(
        username="Fresno-CWS", start=date(2026, 6, 2), end=date(2026, 6, 2)), per_page=100)
    assert len(page.events) == 24


def test_only_administrators_read_the_trail(session: Session, seeded: Seeded,
                                            actor: Callable[[str], Actor]) -> None:
    for username in ("fresno-cws", "fresno-calworks", "fresno-manager", "evaluator"):
        with pytest.raises(PermissionDenied):
            audit_log.search(session, actor(username), AuditFilter())
        with pytest.raises(PermissionDenied):
            audit_log.export_csv(session, actor(username), AuditFilter())
