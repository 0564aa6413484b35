"""Every sign-in, failed sign-in, sign-out and family list or view leaves an audit event: who,
in which role and county, what, which record, from where."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mutual_family_fixtures import PASSWORD, Seeded
from sqlalchemy import select
from sqlalchemy.orm import Session

from linkages.models import AuditEvent
from linkages.services import families, users
from linkages.services.scope import Actor, NotFound

MakeActor = Callable[[str], Actor]


def events(session: Session) -> list[AuditEvent]:
    session.commit()  # what the caller's unit of work writes
    return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def test_family_list_is_audited_with_the_families_shown(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    families.list_families(session, actor("fresno-cws"), search="garcia", ip="10.1.2.3")
    (event,) = events(session)
    assert (event.action, event.username, event.role, event.county_cd, event.ip_address) == (
        "family.list", "fresno-cws", "cws_worker", 10, "10.1.2.3")
    assert event.user_id == seeded.users["fresno-cws"]
    assert event.detail == {"status": None, "search": "garcia", "page": 1, "total": 1,
                            "family_ids": [seeded.garcia]}


def test_family_view_is_audited(session: Session, seeded: Seeded, actor: MakeActor) -> None:
    families.get_family(session, actor("fresno-calworks"), seeded.garcia, ip="10.1.2.4")
    (event,) = events(session)
    assert (event.action, event.entity_type, event.entity_id, event.username) == (
        "family.view", "mutual_family", str(seeded.garcia), "fresno-calworks")


def test_refused_family_view_is_audited_with_the_reason(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    for family_id in (seeded.nguyen, 999_999):
        with pytest.raises(NotFound):
            families.get_family(session, actor("fresno-cws"), family_id)
    refused = [(e.action, e.entity_id, e.detail["reason"]) for e in events(session)]
    assert refused == [("family.view_refused", str(seeded.nguyen), "out_of_scope"),
                       ("family.view_refused", "999999", "no_such_family")]


def test_sign_in_failures_and_sign_out_are_audited(session: Session, seeded: Seeded) -> None:
    users.authenticate(session, "fresno-cws", "not-the-password", ip="10.0.0.9")
    users.authenticate(session, "no-such-user", "whatever-they-typed", ip="10.0.0.9")
    result = users.authenticate(session, "fresno-cws", PASSWORD, ip="10.0.0.9")
    assert result.user is not None
    users.record_logout(session, Actor.from_user(result.user), ip="10.0.0.9")
    logged = [(e.action, e.username, e.detail.get("reason")) for e in events(session)]
    assert logged == [
        ("login_failed", "fresno-cws", "bad_password"),
        ("login_failed", None, "unknown_user"),
        ("login", "fresno-cws", None),
        ("logout", "fresno-cws", None),
    ]


def test_no_password_ever_reaches_the_audit_trail(session: Session, seeded: Seeded) -> None:
    users.authenticate(session, "fresno-cws", "not-the-password")
    users.authenticate(session, "fresno-cws", PASSWORD)
    for event in events(session):
        assert "not-the-password" not in repr(event.detail)
        assert PASSWORD not in repr(event.detail)
