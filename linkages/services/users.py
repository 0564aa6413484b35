"""User accounts: creation and administration, argon2 password hashing, and sign-in with
lockout. Browser sessions are in :mod:`linkages.services.sessions`, the second factor in
:mod:`linkages.services.two_factor`, throttling in :mod:`linkages.services.throttle`."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import ColumnElement, and_, case, delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from linkages.codes import county_name, valid_county
from linkages.models import RecoveryCode, User
from linkages.models.enums import Program, Role
from linkages.services import audit, sessions
from linkages.services.audit import AuditAction
from linkages.services.scope import (
    SECOND_FACTOR_ROLES,
    STATEWIDE_ROLES,
    Actor,
    NotFound,
    Permission,
    require,
)

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
    _check_assignable(actor, county_cd)
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
    sessions.end_all(session, user.id, "password_reset")
    audit.record(
        session, actor, AuditAction.USER_RESET, "user", user.id,
        {"username": user.username, "role": role.value, "program": program and program.value,
         "county_cd": county_cd},
        ip,
    )
    return user


# --- administration ---------------------------------------------------------------------------

USERS_PER_PAGE = 50


def _check_assignable(actor: Actor, county_cd: int | None) -> None:
    """A county's administrator gives accounts her own county only; a statewide one any."""
    if actor.county_cd is not None and county_cd != actor.county_cd:
        raise UserError("county", "you may only give accounts your own county "
                                  f"({actor.county_cd})")


def assignable_counties(actor: Actor) -> list[int] | None:
    """The counties an administrator may give accounts: None for any (and statewide), else
    only her own. Raises PermissionDenied for anyone who does not manage accounts."""
    require(actor, Permission.MANAGE_USERS)
    return None if actor.county_cd is None else [actor.county_cd]


def _managed(actor: Actor) -> ColumnElement[bool]:
    """The accounts an administrator manages: all, or her county's."""
    return true() if actor.county_cd is None else User.county_cd == actor.county_cd


@dataclass(frozen=True, slots=True)
class AccountSummary:
    id: int
    username: str
    display_name: str
    role: Role
    program: Program | None
    county_cd: int | None
    active: bool
    locked: bool
    two_factor: bool
    last_login_at: datetime | None

    @property
    def county_label(self) -> str:
        return "Statewide" if self.county_cd is None else (
            f"{self.county_cd} {county_name(self.county_cd)}")


@dataclass(frozen=True, slots=True)
class AccountPage:
    accounts: list[AccountSummary]
    search: str
    next_after: str | None  # the key of the next page (usernames are unique and ordered)


def list_users(session: Session, actor: Actor, *, search: str = "", after: str | None = None,
               per_page: int = USERS_PER_PAGE, ip: str | None = None,
               now: datetime | None = None) -> AccountPage:
    """The accounts an administrator manages, by username, a page at a time (by key, never
    OFFSET); ``search`` matches username or name."""
    require(actor, Permission.MANAGE_USERS)
    now = now or datetime.now(UTC)
    search = " ".join(search.split())[:80]
    stmt = select(User).where(_managed(actor)).order_by(User.username).limit(per_page + 1)
    if search:
        pattern = "%" + search.lower().replace("\\", "").replace("%", "").replace("_", "") + "%"
        stmt = stmt.where(or_(func.lower(User.username).like(pattern),
                              func.lower(User.display_name).like(pattern)))
    if after:
        stmt = stmt.where(User.username > after)
    rows = session.scalars(stmt).all()
    more = len(rows) > per_page
    rows = rows[:per_page]
    accounts = [AccountSummary(
        u.id, u.username, u.display_name, Role(u.role), Program(u.program) if u.program else None,
        u.county_cd, u.active, (lock := _utc(u.locked_until)) is not None and lock > now,
        u.totp_secret is not None, _utc(u.last_login_at)) for u in rows]
    audit.record(session, actor, AuditAction.USER_LIST, "user", None,
                 {"search": search, "after": after, "shown": len(accounts)}, ip)
    return AccountPage(accounts, search, rows[-1].username if more and rows else None)


def get_user(session: Session, actor: Actor, user_id: int, *, ip: str | None = None,
             audited: bool = True) -> User:
    """An account the administrator manages (else NotFound, as if it did not exist)."""
    require(actor, Permission.MANAGE_USERS)
    user = session.scalar(select(User).where(User.id == user_id, _managed(actor)))
    if user is None:
        raise NotFound(f"user {user_id}")
    if audited:
        audit.record(session, actor, AuditAction.USER_VIEW, "user", user.id,
                     {"username": user.username}, ip)
    return user


def update_user(session: Session, actor: Actor, user_id: int, *, display_name: str, role: Role,
                county_cd: int | None, program: Program | None = None,
                ip: str | None = None) -> User:
    """Change an account's name, role, program and county. An administrator cannot take her
    own administrator role away (someone must be left to manage the accounts)."""
    user = get_user(session, actor, user_id, audited=False)
    program = _check_account(user.username, display_name, role, program, county_cd)
    _check_assignable(actor, county_cd)
    if user.id == actor.user_id and role != Role.ADMINISTRATOR:
        raise UserError("role", "you cannot take your own administrator role away")
    before = {"display_name": user.display_name, "role": str(user.role),
              "program": user.program and str(user.program), "county_cd": user.county_cd}
    user.display_name = display_name.strip()
    user.role = role
    user.program = program
    user.county_cd = county_cd
    session.flush()
    after = {"display_name": user.display_name, "role": str(user.role),
             "program": user.program and str(user.program), "county_cd": user.county_cd}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changed.keys() & {"role", "program", "county_cd"}:
        # What the account may see has changed: its open sessions carry the old scope.
        sessions.end_all(session, user.id, "account_changed")
    audit.record(session, actor, AuditAction.USER_UPDATE, "user", user.id,
                 {"username": user.username, "changed": changed}, ip)
    return user


def set_active(session: Session, actor: Actor, user_id: int, active: bool, *,
               ip: str | None = None) -> User:
    """Deactivate an account (its sessions end at once: a copied cookie stops working) or
    reactivate it. Nobody deactivates her own account."""
    user = get_user(session, actor, user_id, audited=False)
    if not active and user.id == actor.user_id:
        raise UserError("account", "you cannot deactivate your own account")
    changed = session.execute(
        update(User).where(User.id == user.id, User.active.is_(not active))
        .values(active=active, **({"failed_logins": 0, "locked_until": None} if active else {}))
        .execution_options(synchronize_session=False)).rowcount == 1
    session.expire(user)
    ended = 0 if active else sessions.end_all(session, user.id, "deactivated")
    if changed:
        audit.record(session, actor,
                     AuditAction.USER_REACTIVATE if active else AuditAction.USER_DEACTIVATE,
                     "user", user.id, {"username": user.username, "sessions_ended": ended}, ip)
    return user


def reset_password(session: Session, actor: Actor, user_id: int, password: str, *,
                   ip: str | None = None) -> User:
    """Set a new password for an account (the administrator tells its owner by another
    channel): unlocks it and ends its sessions."""
    user = get_user(session, actor, user_id, audited=False)
    check_password(password, user.username)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.flush()
    ended = sessions.end_all(session, user.id, "password_reset")
    audit.record(session, actor, AuditAction.USER_PASSWORD_RESET, "user", user.id,
                 {"username": user.username, "sessions_ended": ended}, ip)
    return user


# --- signing in --------------------------------------------------------------------------------


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
    if needs_second_factor(user):  # not signed in until the code passes
        audit.record(session, actor, AuditAction.LOGIN_PASSWORD_OK, "user", user.id,
                     {"rehashed": rehashed, "second_factor": "set_up" if user.totp_secret
                      is None else "code"}, ip)
    else:
        audit.record(session, actor, AuditAction.LOGIN, "user", user.id,
                     {"rehashed": rehashed, "second_factor": None}, ip)
    return SignInResult(user, "ok")


def needs_second_factor(user: User) -> bool:
    """After the right password, is a second-factor code (or setting one up) asked for? Always
    for the roles that require it; for a worker, once she has turned it on."""
    return user.totp_secret is not None or Role(user.role) in SECOND_FACTOR_ROLES


def record_sign_in(session: Session, user: User, second_factor: str, *,
                   ip: str | None = None) -> None:
    """The second factor has passed (``totp``, ``recovery_code`` or ``set_up``): signed in."""
    audit.record(session, Actor.from_user(user), AuditAction.LOGIN, "user", user.id,
                 {"second_factor": second_factor}, ip)


def record_throttled(session: Session, username: str, retry_after: int, *,
                     ip: str | None = None) -> None:
    """An attempt refused by the throttle, before any password check. The trail names the
    account when there is one; the person at the browser is told nothing of it."""
    username = normalise_username(username)[:80]
    user = session.scalar(select(User).where(User.username == username))
    audit.record(session, Actor.from_user(user) if user else None, AuditAction.LOGIN_THROTTLED,
                 "user", user.id if user else None,
                 {"attempted_username": username, "retry_after": retry_after}, ip)


def record_logout(session: Session, actor: Actor, *, ip: str | None = None,
                  expired: bool = False) -> None:
    action = AuditAction.SESSION_EXPIRED if expired else AuditAction.LOGOUT
    audit.record(session, actor, action, "user", actor.user_id, {}, ip)


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
    DemoAccount("fresno-cws-supervisor", "Fresno CWS supervisor (demo)", Role.CWS_SUPERVISOR,
                Program.CWS, 10),
    DemoAccount("fresno-calworks-supervisor", "Fresno CalWORKs/WtW supervisor (demo)",
                Role.CALWORKS_SUPERVISOR, Program.CALWORKS, 10),
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
            # A demo account sets its second factor up afresh at its next sign-in, so that
            # the way in `linkages users demo` prints always works.
            existing.totp_secret = existing.totp_enabled_at = existing.totp_last_step = None
            existing.second_factor_failures = 0
            session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == existing.id))
    return users


def set_reviewer(session: Session, actor: Actor, username: str, on: bool) -> User:
    """Designate a worker, supervisor or program manager of a county a clerical reviewer (or
    take it away): she then opens the review queue of her county (scope.REVIEWER_ROLES)."""
    require(actor, Permission.MANAGE_USERS)
    from linkages.services.scope import REVIEWER_ROLES

    user = session.scalars(select(User).where(User.username == normalise_username(username))
                           ).first()
    if user is None:
        raise UserError("username", f"there is no user {username!r}")
    if on and (Role(user.role) not in REVIEWER_ROLES or user.county_cd is None):
        raise UserError("username", f"{user.username} is in the role "
                        f"{Role(user.role).label}: reviewers are workers, supervisors or "
                        "program managers of a county")
    before = bool(user.reviewer)
    user.reviewer = on
    audit.record(session, actor, AuditAction.USER_REVIEWER, "app_user", user.id,
                 {"before": before, "after": on})
    session.flush()
    return user
