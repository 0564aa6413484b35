"""Two-factor sign-in with time-based one-time codes (TOTP, RFC 6238) and recovery codes.

Required for administrators, evaluators and program managers, who see every county or a
county's whole caseload; optional for workers. The rules (webapp-style P9):

* the secret is kept encrypted (Fernet, key from configuration: :mod:`linkages.keys`);
* a new secret is kept on the *session* being set up, and becomes the account's only after a
  code from it has verified, so an abandoned or reloaded set-up never locks anyone out;
* a code is accepted once: the accepted time step is written by a guarded UPDATE that only
  succeeds for a later step, so a replayed (or concurrently submitted) code is refused;
* wrong codes are counted on the account and a password does not forgive them: every
  ``max_failures``-th wrong code in a row locks the account like wrong passwords do;
* recovery codes (10, 80 bits each) are kept as SHA-256 and are single use (a guarded UPDATE
  of ``used_at``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from cryptography.fernet import InvalidToken
from sqlalchemy import case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from linkages.keys import totp_cipher
from linkages.models import RecoveryCode, User, UserSession
from linkages.models.enums import Role
from linkages.services import audit, sessions
from linkages.services.audit import AuditAction
from linkages.services.scope import (
    SECOND_FACTOR_ROLES,
    Actor,
    NotFound,
    Permission,
    PermissionDenied,
    require,
)
from linkages.services.users import LockoutPolicy

ISSUER = "Linkages"
STEP_SECONDS = 30
RECOVERY_CODES = 10
# 32 symbols without 0/O and 1/I: 16 of them are 80 bits.
RECOVERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RECOVERY_LENGTH = 16
DEFAULT_LOCKOUT = LockoutPolicy()


class SecondFactorRefused(Exception):
    """The code was not accepted. ``reason``: ``wrong_code``, ``locked`` (the account is
    locked or inactive), ``no_secret`` (nothing to check a code against)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Accepted:
    method: str  # "totp" or "recovery_code"
    recovery_codes_left: int | None = None


def required(role: Role | str) -> bool:
    return Role(role) in SECOND_FACTOR_ROLES


def enrolled(user: User) -> bool:
    return user.totp_secret is not None


def _encrypt(secret: str) -> str:
    return totp_cipher().encrypt(secret.encode()).decode()


def _decrypt(token: str) -> str | None:
    try:
        return totp_cipher().decrypt(token.encode()).decode()
    except InvalidToken:  # the key was changed or lost: the secret must be set up again
        return None


def setup_secret(session: Session, row: UserSession) -> str:
    """The secret being set up on this session: made on first call, the same on every later
    call (a reloaded page shows the code already scanned)."""
    if row.pending_totp_secret:
        secret = _decrypt(row.pending_totp_secret)
        if secret is not None:
            return secret
    secret = pyotp.random_base32()
    row.pending_totp_secret = _encrypt(secret)
    session.flush()
    return secret


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def _step_of(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (the current one, or one either side for clock drift
    and typing time), else None."""
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _take_step(session: Session, user_id: int, step: int) -> bool:
    """Accept ``step`` for the user only if it is later than any accepted before (P9)."""
    return session.execute(
        update(User)
        .where(User.id == user_id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step, second_factor_failures=0)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def _hash_code(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_recovery_codes(session: Session, user_id: int, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id)
                    .execution_options(synchronize_session=False))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append("-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4)))
    session.add_all(RecoveryCode(user_id=user_id, code_hash=_hash_code(c), created_at=now)
                    for c in codes)
    session.flush()
    return codes


@dataclass(frozen=True, slots=True)
class Status:
    enrolled: bool
    required: bool
    enabled_at: datetime | None
    recovery_codes_left: int


def own_account(session: Session, actor: Actor) -> User:
    """The signed-in user's own account row (for her account page)."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise NotFound("no account")
    return user


def status(session: Session, user: User) -> Status:
    return Status(enrolled(user), required(user.role), user.totp_enabled_at,
                  recovery_codes_left(session, user.id))


def recovery_codes_left(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0


def _usable(user: User, now: datetime) -> bool:
    locked = user.locked_until
    if locked is not None and locked.tzinfo is None:
        locked = locked.replace(tzinfo=UTC)
    return user.active and (locked is None or locked <= now)


def _count_failure(session: Session, user: User, policy: LockoutPolicy, now: datetime,
                   ip: str | None, method: str) -> None:
    failures = User.second_factor_failures + 1
    counted = session.execute(
        update(User).where(User.id == user.id)
        .values(second_factor_failures=failures,
                locked_until=case((failures % policy.max_failures == 0, now + policy.lockout),
                                  else_=User.locked_until))
        .returning(User.second_factor_failures)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    session.expire(user)
    audit.record(session, Actor.from_user(user), AuditAction.LOGIN_SECOND_FACTOR_FAILED, "user",
                 user.id, {"method": method, "failures": counted,
                           "locked": counted % policy.max_failures == 0}, ip)


def enrol(session: Session, user: User, row: UserSession, code: str, *,
          policy: LockoutPolicy = DEFAULT_LOCKOUT, ip: str | None = None,
          now: datetime | None = None) -> list[str]:
    """Make the secret set up on ``row`` the account's, once a code from it verifies; returns
    the new recovery codes (shown once, kept only as hashes)."""
    now = now or datetime.now(UTC)
    if not _usable(user, now):
        raise SecondFactorRefused("locked")
    secret = _decrypt(row.pending_totp_secret) if row.pending_totp_secret else None
    if secret is None:
        raise SecondFactorRefused("no_secret")
    step = _step_of(secret, _normalise(code), now)
    if step is None:
        _count_failure(session, user, policy, now, ip, "totp_setup")
        raise SecondFactorRefused("wrong_code")
    # Guarded: only an account without a secret takes one (two tabs cannot both set it up).
    taken = session.execute(
        update(User).where(User.id == user.id, User.totp_secret.is_(None))
        .values(totp_secret=_encrypt(secret), totp_enabled_at=now, totp_last_step=step,
                second_factor_failures=0)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    session.expire(user)
    if not taken:
        raise SecondFactorRefused("no_secret")
    row.pending_totp_secret = None
    codes = _new_recovery_codes(session, user.id, now)
    audit.record(session, Actor.from_user(user), AuditAction.TWO_FACTOR_ENABLED, "user",
                 user.id, {"recovery_codes": len(codes)}, ip)
    return codes


def verify(session: Session, user: User, code: str, *, policy: LockoutPolicy = DEFAULT_LOCKOUT,
           ip: str | None = None, now: datetime | None = None) -> Accepted:
    """Check a second-factor code: six digits from the authenticator app, or a recovery code.
    Raises :class:`SecondFactorRefused`; a wrong code is counted and audited."""
    now = now or datetime.now(UTC)
    if not _usable(user, now):
        raise SecondFactorRefused("locked")
    if user.totp_secret is None:
        raise SecondFactorRefused("no_secret")
    code = _normalise(code)
    if len(code) == 6 and code.isdigit():
        secret = _decrypt(user.totp_secret)
        step = _step_of(secret, code, now) if secret is not None else None
        if step is not None and _take_step(session, user.id, step):
            session.expire(user)
            return Accepted("totp")
        _count_failure(session, user, policy, now, ip, "totp")
        raise SecondFactorRefused("wrong_code")
    used = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_code(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    if not used:
        _count_failure(session, user, policy, now, ip, "recovery_code")
        raise SecondFactorRefused("wrong_code")
    session.execute(update(User).where(User.id == user.id).values(second_factor_failures=0)
                    .execution_options(synchronize_session=False))
    session.expire(user)
    left = recovery_codes_left(session, user.id)
    audit.record(session, Actor.from_user(user), AuditAction.RECOVERY_CODE_USED, "user",
                 user.id, {"recovery_codes_left": left}, ip)
    return Accepted("recovery_code", left)


def new_recovery_codes(session: Session, user: User, code: str, *,
                       policy: LockoutPolicy = DEFAULT_LOCKOUT, ip: str | None = None,
                       now: datetime | None = None) -> list[str]:
    """Replace a signed-in user's recovery codes, after a code from her app (or a recovery
    code) proves she still holds the second factor."""
    now = now or datetime.now(UTC)
    verify(session, user, code, policy=policy, ip=ip, now=now)
    codes = _new_recovery_codes(session, user.id, now)
    audit.record(session, Actor.from_user(user), AuditAction.RECOVERY_CODES_NEW, "user",
                 user.id, {"recovery_codes": len(codes)}, ip)
    return codes


def _clear(session: Session, user_id: int) -> None:
    session.execute(update(User).where(User.id == user_id)
                    .values(totp_secret=None, totp_enabled_at=None, totp_last_step=None,
                            second_factor_failures=0)
                    .execution_options(synchronize_session=False))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id)
                    .execution_options(synchronize_session=False))


def disable(session: Session, user: User, code: str, *, policy: LockoutPolicy = DEFAULT_LOCKOUT,
            ip: str | None = None, now: datetime | None = None) -> None:
    """A worker turns two-factor sign-in off (a current code required). Roles that require it
    cannot."""
    if required(user.role):
        raise PermissionDenied(f"two-factor sign-in is required for a {Role(user.role).label}")
    verify(session, user, code, policy=policy, ip=ip, now=now)
    _clear(session, user.id)
    session.expire(user)
    audit.record(session, Actor.from_user(user), AuditAction.TWO_FACTOR_DISABLED, "user",
                 user.id, {}, ip)


def reset(session: Session, actor: Actor, user: User, *, ip: str | None = None) -> None:
    """An administrator clears a user's second factor (a lost phone and lost recovery codes):
    the user sets it up again at her next sign-in, and her sessions end now."""
    require(actor, Permission.MANAGE_USERS)
    _clear(session, user.id)
    sessions.end_all(session, user.id, "two_factor_reset")
    session.expire(user)
    audit.record(session, actor, AuditAction.TWO_FACTOR_RESET, "user", user.id,
                 {"username": user.username}, ip)


def pending_codes_left(row: UserSession, policy: sessions.SessionPolicy) -> int:
    return max(0, policy.codes_per_session - row.failed_codes)


def count_pending_failure(session: Session, row: UserSession,
                          policy: sessions.SessionPolicy) -> bool:
    """One more wrong code on a pending session; True when it has used up its tries and has
    been ended (the user starts again from the password)."""
    tries = session.execute(
        update(UserSession).where(UserSession.id == row.id)
        .values(failed_codes=UserSession.failed_codes + 1)
        .returning(UserSession.failed_codes)
        .execution_options(synchronize_session=False)).scalar_one()
    session.expire(row)
    if tries >= policy.codes_per_session:
        sessions.end(session, row, "too_many_codes")
        return True
    return False

