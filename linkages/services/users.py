"""User accounts: creation, argon2 password hashing, sign-in with lockout, and the token that
binds a browser session to the account state it was issued for."""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.orm import Session

from linkages.codes import valid_county
from linkages.models import User
from linkages.models.enums import Program, Role
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import STATEWIDE_ROLES, Actor, Permission, require

# NIST SP 800-63B-4 (3.1.1.2): a password that is the only factor is at least 15 characters;
# no composition rules, and long passphrases are allowed.
MIN_PASSWORD_LENGTH = 15
MAX_PASSWORD_LENGTH = 256
USERNAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,79}")

# argon2-cffi's defaults (RFC 9106 low-memory profile). When they change in a later release,
# or here, each password is rehashed at its owner's next sign-in.
_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class LockoutPolicy:
    """Primero's (Devise lockable): 6 failures in a row lock the account for 30 minutes.

    Each password check runs argon2 with 64 MiB: at most ``concurrent_checks`` run at once in
    a process, and an attempt that cannot start one within ``check_wait`` is told to try
    again (:class:`SignInBusy`), so a burst of sign-ins cannot exhaust the server's memory."""

    max_failures: int = 6
    lockout: timedelta = timedelta(minutes=30)
    concurrent_checks: int = 2
    check_wait: timedelta = timedelta(seconds=5)


class SignInBusy(RuntimeError):
    """Too many password checks are running: the sign-in was not attempted."""


@cache
def _check_slots(size: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(size)


@contextmanager
def _password_check_slot(policy: LockoutPolicy) -> Iterator[None]:
    slots = _check_slots(policy.concurrent_checks)
    if not slots.acquire(timeout=policy.check_wait.total_seconds()):
        raise SignInBusy("too many sign-ins at once: try again in a few seconds")
    try:
        yield
    finally:
        slots.release()


class UserError(ValueError):
    """A user account cannot be created as asked; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class SignInResult:
    user: User | None
    reason: str  # "ok", "unknown_user", "inactive", "locked", "bad_password"

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so that a miss costs as long as a hit.
    return _hasher.hash("linkages-timing-equaliser")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes, PostgreSQL aware ones in its session time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def normalise_username(username: str) -> str:
    return username.strip().lower()


def check_password(password: str, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if normalise_username(password) == username:
        raise UserError("password", "must not be the username")


def _check_account(
    username: str, display_name: str, role: Role, program: Program | None, county_cd: int | None
) -> Program | None:
    if not USERNAME_RE.fullmatch(username):
        raise UserError(
            "username",
            "2-80 characters: lower-case letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
        )
    if not display_name.strip() or len(display_name) > 120:
        raise UserError("name", "is required (at most 120 characters)")
    if role.program is not None and program is not None and program != role.program:
        raise UserError("program", f"a {role.label} belongs to {role.program.value}")
    if county_cd is None and role not in STATEWIDE_ROLES:
        raise UserError("county", f"a {role.label} needs a county (1-58)")
    if county_cd is not None and not valid_county(county_cd):
        raise UserError("county", f"{county_cd} is not a California county code (1-58)")
    return program or role.program


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    county_cd: int | None,
    program: Program | None = None,
    ip: str | None = None,
) -> User:
    """Create an account. Workers and program managers belong to a county; evaluators and
    administrators may be statewide (no county)."""
    require(actor, Permission.MANAGE_USERS)
    username = normalise_username(username)
    program = _check_account(username, display_name, role, program, county_cd)
    check_password(password, username)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UserError("username", f"{username!r} already exists")
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        role=role,
        program=program,
        county_cd=county_cd,
        active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor, AuditAction.USER_CREATE, "user", user.id,
        {"username": username, "role": role.value, "program": program and program.value,
         "county_cd": county_cd},
        ip,
    )
    return user


def reset_user(
    session: Session,
    actor: Actor,
    user: User,
    *,
    password: str,
    display_name: str,
    role: Role,
    county_cd: int | None,
    program: Program | None = None,
    ip: str | None = None,
) -> User:
    """Put an existing account back to a known state: details, password, active, unlocked."""
    require(actor, Permission.MANAGE_USERS)
    program = _check_account(user.username, display_name, role, program, county_cd)
    check_password(password, user.username)
    user.display_name = display_name.strip()
    user.password_hash = hash_password(password)
    user.role = role
    user.program = program
    user.county_cd = county_cd
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    audit.record(
        session, actor, AuditAction.USER_RESET, "user", user.id,
        {"username": user.username, "role": role.value, "program": program and program.value,
         "county_cd": county_cd},
        ip,
    )
    return user


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    ip: str | None = None,
    policy: LockoutPolicy = LockoutPolicy(),
    now: datetime | None = None,
) -> SignInResult:
    """Check a sign-in and audit it, successful or not. The caller shows the same message for
    every failure, so a failure never tells whether the username exists or is locked.

    Safe under parallel attempts: a locked or inactive account is refused without checking the
    password; a failure is counted, and the lock set, in one UPDATE; a success is written only
    by an UPDATE that finds the account still unlocked. So no burst signs in a locked account
    or loses a count. Raises :class:`SignInBusy` when no password check can start in time."""
    now = now or datetime.now(UTC)
    username = normalise_username(username)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        with _password_check_slot(policy):
            _verify(_dummy_hash(), password)
        audit.record(session, None, AuditAction.LOGIN_FAILED, "user", None,
                     {"attempted_username": username[:80], "reason": "unknown_user"}, ip)
        return SignInResult(None, "unknown_user")

    actor = Actor.from_user(user)
    locked_until = _utc(user.locked_until)
    if not user.active or (locked_until is not None and locked_until > now):
        reason = "inactive" if not user.active else "locked"
        audit.record(session, actor, AuditAction.LOGIN_FAILED, "user", user.id,
                     {"reason": reason}, ip)
        return SignInResult(None, reason)

    with _password_check_slot(policy):
        password_ok = _verify(user.password_hash, password)
    lock_over = and_(User.locked_until.is_not(None), User.locked_until <= now)
    if not password_ok:
        failures = case((lock_over, 1), else_=User.failed_logins + 1)
        counted, locked = session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=failures,
                    locked_until=case((failures >= policy.max_failures, now + policy.lockout),
                                      (lock_over, None), else_=User.locked_until))
            .returning(User.failed_logins, User.locked_until)
            .execution_options(synchronize_session=False)
        ).one()
        session.expire(user)
        locked_now = (until := _utc(locked)) is not None and until > now
        audit.record(session, actor, AuditAction.LOGIN_FAILED, "user", user.id,
                     {"reason": "bad_password", "failures": counted, "locked": locked_now}, ip)
        return SignInResult(None, "bad_password")

    rehashed = _hasher.check_needs_rehash(user.password_hash)
    values = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if rehashed:
        values["password_hash"] = hash_password(password)
    signed_in = session.execute(
        update(User)
        .where(User.id == user.id, User.active.is_(True),
               or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    session.expire(user)
    if not signed_in:  # locked (or deactivated) by another request since it was read
        audit.record(session, actor, AuditAction.LOGIN_FAILED, "user", user.id,
                     {"reason": "locked"}, ip)
        return SignInResult(None, "locked")
    audit.record(session, actor, AuditAction.LOGIN, "user", user.id, {"rehashed": rehashed}, ip)
    return SignInResult(user, "ok")


def record_logout(session: Session, actor: Actor, *, ip: str | None = None,
                  expired: bool = False) -> None:
    action = AuditAction.SESSION_EXPIRED if expired else AuditAction.LOGOUT
    audit.record(session, actor, action, "user", actor.user_id, {}, ip)


def session_token(user: User) -> str:
    """A fingerprint of the account state a browser session was issued for. It changes when
    the password changes or the user signs in again elsewhere, which ends older sessions."""
    last = _utc(user.last_login_at)
    material = f"{user.id}|{user.password_hash}|{last.isoformat() if last else ''}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def user_for_session(session: Session, user_id: int, token: str) -> User | None:
    """The signed-in user of a browser session, or None when the account has been deactivated
    or the session is stale."""
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return user if hmac.compare_digest(session_token(user), token) else None


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    display_name: str
    role: Role
    program: Program | None
    county_cd: int | None


# One account per role, for training and demonstration databases.
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("fresno-cws", "Fresno CWS social worker (demo)", Role.CWS_WORKER,
                Program.CWS, 10),
    DemoAccount("fresno-calworks", "Fresno CalWORKs/WtW case manager (demo)",
                Role.CALWORKS_WORKER, Program.CALWORKS, 10),
    DemoAccount("fresno-manager", "Fresno program manager (demo)", Role.PROGRAM_MANAGER,
                None, 10),
    DemoAccount("la-cws", "Los Angeles CWS social worker (demo)", Role.CWS_WORKER,
                Program.CWS, 19),
    DemoAccount("evaluator", "Statewide evaluator (demo)", Role.EVALUATOR, None, None),
    DemoAccount("admin", "Administrator (demo)", Role.ADMINISTRATOR, None, None),
)


class NotADemoDatabase(RuntimeError):
    """The database holds real accounts: demo accounts with a published password would be a
    way in."""


def ensure_demo_accounts(session: Session, actor: Actor, password: str, *,
                         force: bool = False) -> list[User]:
    """Create the demo accounts, or reset them (details, password, lock) if they exist. A
    database holding any other account is refused unless ``force``: the demo password is
    published, and a statewide ``admin`` with it must never appear in a county's database."""
    demo_names = [a.username for a in DEMO_ACCOUNTS]
    others = session.scalars(select(User.username).where(User.username.not_in(demo_names))
                             .order_by(User.username).limit(4)).all()
    if others and not force:
        shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
        raise NotADemoDatabase(
            f"this database holds accounts that are not demo accounts ({shown}): demo accounts "
            "have a published password, so they are made only in a demonstration or training "
            "database (--force to make them anyway)")
    users = []
    for account in DEMO_ACCOUNTS:
        existing = session.scalar(select(User).where(User.username == account.username))
        fields = {"password": password, "display_name": account.display_name,
                  "role": account.role, "county_cd": account.county_cd,
                  "program": account.program}
        if existing is None:
            users.append(create_user(session, actor, username=account.username, **fields))
        else:
            users.append(reset_user(session, actor, existing, **fields))
    return users
