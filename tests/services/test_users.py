"""Accounts: argon2 hashes, who may create them, and sign-in with lockout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from mutual_family_fixtures import PASSWORD, Seeded
from sqlalchemy import select
from sqlalchemy.orm import Session

from linkages.models import AuditEvent, User
from linkages.models.enums import Program, Role
from linkages.services import sessions, users
from linkages.services.scope import Actor, PermissionDenied

MakeActor = Callable[[str], Actor]
CLI = Actor.command_line()
NEW_PASSWORD = "a perfectly long passphrase"


def new_user(session: Session, **overrides: object) -> User:
    fields: dict[str, object] = {
        "username": "Maria.Worker", "password": NEW_PASSWORD, "display_name": "Maria Worker",
        "role": Role.CWS_WORKER, "county_cd": 10, "program": None}
    fields.update(overrides)
    return users.create_user(session, CLI, **fields)  # type: ignore[arg-type]


def test_password_is_stored_as_an_argon2id_hash(session: Session,
                                                real_password_hashing: None) -> None:
    user = new_user(session)
    assert user.username == "maria.worker"
    assert user.program is Program.CWS  # implied by the role
    assert NEW_PASSWORD not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(user.password_hash, NEW_PASSWORD)
    assert not PasswordHasher().check_needs_rehash(user.password_hash)  # production parameters


def test_same_password_hashes_differently_each_time(session: Session) -> None:
    a = new_user(session, username="a-worker")
    b = new_user(session, username="b-worker")
    assert a.password_hash != b.password_hash  # salted


@pytest.mark.parametrize(("overrides", "field"), [
    ({"county_cd": None}, "county"),                     # a worker needs a county
    ({"county_cd": 59}, "county"),                       # California has 58
    ({"program": Program.CALWORKS}, "program"),          # a CWS worker is in CWS
    ({"password": "short-password"}, "password"),        # 14 characters
    ({"password": "maria.worker"}, "password"),
    ({"username": "Bad Name!"}, "username"),
    ({"display_name": "  "}, "name"),
])
def test_invalid_accounts_are_refused_naming_the_field(
        session: Session, overrides: dict[str, object], field: str) -> None:
    with pytest.raises(users.UserError) as refused:
        new_user(session, **overrides)
    assert refused.value.field == field


def test_usernames_are_unique_ignoring_case(session: Session) -> None:
    new_user(session)
    with pytest.raises(users.UserError, match="already exists"):
        new_user(session, username="MARIA.WORKER")


def test_statewide_evaluator_needs_no_county(session: Session) -> None:
    user = new_user(session, username="state-eval", role=Role.EVALUATOR, county_cd=None)
    assert user.county_cd is None and user.program is None


def test_only_administrators_create_accounts(session: Session, seeded: Seeded,
                                             actor: MakeActor) -> None:
    with pytest.raises(PermissionDenied):
        users.create_user(session, actor("fresno-manager"), username="x-worker",
                          password=NEW_PASSWORD, display_name="X", role=Role.CWS_WORKER,
                          county_cd=10)
    users.create_user(session, actor("admin"), username="x-worker", password=NEW_PASSWORD,
                      display_name="X", role=Role.CWS_WORKER, county_cd=10)


def test_sign_in_with_the_right_password(session: Session, seeded: Seeded) -> None:
    result = users.authenticate(session, " Fresno-CWS ", PASSWORD, ip="10.0.0.5")
    assert result.ok and result.user is not None
    assert result.user.username == "fresno-cws"
    assert result.user.last_login_at is not None


@pytest.mark.parametrize(("username", "password", "reason"), [
    ("fresno-cws", "wrong-password-entirely", "bad_password"),
    ("nobody-here", PASSWORD, "unknown_user"),
])
def test_sign_in_refused(session: Session, seeded: Seeded, username: str, password: str,
                         reason: str) -> None:
    result = users.authenticate(session, username, password)
    assert not result.ok and result.user is None and result.reason == reason


def test_six_failures_lock_the_account_for_thirty_minutes(session: Session,
                                                          seeded: Seeded) -> None:
    t0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    for i in range(5):
        assert users.authenticate(session, "fresno-cws", "not-the-password",
                                  now=t0 + timedelta(minutes=i)).reason == "bad_password"
    # Five failures: the right password still works (and clears the count)...
    assert users.authenticate(session, "fresno-cws", PASSWORD, now=t0 + timedelta(minutes=6)).ok
    for i in range(6):
        users.authenticate(session, "fresno-cws", "not-the-password",
                           now=t0 + timedelta(minutes=10 + i))
    locked_at = t0 + timedelta(minutes=15)
    user = session.scalar(select(User).where(User.username == "fresno-cws"))
    assert user is not None and user.failed_logins == 6
    # ...six lock it: even the right password is refused for 30 minutes.
    for minutes in (1, 29):
        result = users.authenticate(session, "fresno-cws", PASSWORD,
                                    now=locked_at + timedelta(minutes=minutes))
        assert result.reason == "locked"
    result = users.authenticate(session, "fresno-cws", PASSWORD,
                                now=locked_at + timedelta(minutes=30, seconds=1))
    assert result.ok
    assert (user.failed_logins, user.locked_until) == (0, None)


def test_lock_survives_a_commit_and_reload(session: Session, seeded: Seeded) -> None:
    for _ in range(6):
        users.authenticate(session, "la-cws", "not-the-password")
    session.commit()
    session.expire_all()
    user = session.scalar(select(User).where(User.username == "la-cws"))
    assert user is not None and user.locked_until is not None
    assert users.authenticate(session, "la-cws", PASSWORD).reason == "locked"


def test_an_inactive_account_cannot_sign_in(session: Session, seeded: Seeded) -> None:
    user = session.get(User, seeded.users["fresno-cws"])
    assert user is not None
    user.active = False
    assert users.authenticate(session, "fresno-cws", PASSWORD).reason == "inactive"


def test_password_is_rehashed_when_the_parameters_change(
        session: Session, seeded: Seeded, real_password_hashing: None) -> None:
    user = session.get(User, seeded.users["fresno-cws"])
    assert user is not None
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)
    user.password_hash = weak.hash(PASSWORD)
    session.commit()
    assert "m=8192,t=1,p=1" in user.password_hash
    assert users.authenticate(session, "fresno-cws", PASSWORD).ok
    assert "m=8192" not in user.password_hash
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert PasswordHasher().verify(user.password_hash, PASSWORD)
    # Unchanged parameters: the hash is left alone.
    before = user.password_hash
    assert users.authenticate(session, "fresno-cws", PASSWORD).ok
    assert user.password_hash == before


def test_a_new_sign_in_or_password_ends_older_browser_sessions(session: Session,
                                                               seeded: Seeded) -> None:
    policy = sessions.SessionPolicy()
    user = users.authenticate(session, "fresno-cws", PASSWORD).user
    assert user is not None
    token = sessions.begin(session, user, pending=False, policy=policy)
    session.commit()
    session.expire_all()  # read back from the database as the next request would
    assert sessions.resume(session, token, policy=policy).user is not None
    elsewhere = sessions.begin(session, user, pending=False, policy=policy)
    session.commit()
    assert sessions.resume(session, token, policy=policy).reason == "ended"
    assert sessions.resume(session, elsewhere, policy=policy).reason == "ok"
    users.reset_user(session, CLI, user, password=NEW_PASSWORD, display_name="Ana",
                     role=Role.CWS_WORKER, county_cd=10)
    session.commit()
    assert sessions.resume(session, elsewhere, policy=policy).reason == "ended"


def test_demo_accounts_are_created_then_reset(session: Session) -> None:
    created = users.ensure_demo_accounts(session, CLI, NEW_PASSWORD)
    assert [(u.username, u.role, u.county_cd) for u in created] == [
        ("fresno-cws", Role.CWS_WORKER, 10), ("fresno-calworks", Role.CALWORKS_WORKER, 10),
        ("fresno-manager", Role.PROGRAM_MANAGER, 10),
        ("fresno-cws-supervisor", Role.CWS_SUPERVISOR, 10),
        ("fresno-calworks-supervisor", Role.CALWORKS_SUPERVISOR, 10),
        ("la-cws", Role.CWS_WORKER, 19),
        ("evaluator", Role.EVALUATOR, None), ("admin", Role.ADMINISTRATOR, None)]
    for _ in range(6):
        users.authenticate(session, "la-cws", "not-the-password")
    session.commit()
    again = users.ensure_demo_accounts(session, CLI, NEW_PASSWORD)
    assert [u.id for u in again] == [u.id for u in created]
    assert session.scalar(select(User.id).where(User.username == "la-cws")) == again[5].id
    assert users.authenticate(session, "la-cws", NEW_PASSWORD).ok  # unlocked by the reset
    actions = session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.in_(["user.create", "user.reset"]))).all()
    assert sorted(set(actions)) == ["user.create", "user.reset"] and len(actions) == 16
