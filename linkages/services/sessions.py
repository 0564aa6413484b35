"""Browser sessions kept on the server (``user_session``).

The cookie carries only a random token; the row it names says whose session it is, whether the
second factor has passed, when it was last used and whether it has ended. So signing out,
deactivating an account, resetting its password or signing in elsewhere end a session at once:
a copied cookie stops working with the next request, not at its 12-hour limit.

A session is *pending* between a right password and a right second-factor code: it then
answers to :func:`pending` only, never to :func:`resume`, and lives a few minutes at most.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from linkages.models import User, UserSession
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import Actor

# Rows ended or expired this long ago are deleted (the audit trail keeps the sign-ins).
KEEP_ENDED = timedelta(days=30)
# A session's last use is written at most this often, so that every page is not a write.
TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    # Between the password and the second factor (and setting one up at first sign-in).
    pending: timedelta = timedelta(minutes=10)
    # Wrong second-factor codes one pending session may try before it is ended.
    codes_per_session: int = 5


@dataclass(frozen=True, slots=True)
class Resumed:
    """What became of a session token: ``ok`` (``user`` and ``row`` set), ``expired`` (idle
    or too old: the user is told), or ``ended`` (signed out, deactivated, unknown token)."""

    reason: str
    user: User | None = None
    row: UserSession | None = None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes, PostgreSQL aware ones.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def begin(session: Session, user: User, *, pending: bool, policy: SessionPolicy,
          ip: str | None = None, now: datetime | None = None) -> str:
    """Open a session for ``user`` (pending its second factor, or signed in) and return the
    token for the cookie. A signed-in session ends the user's other sessions."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    row = UserSession(token_hash=_hash(token), user_id=user.id, created_at=now,
                      last_seen_at=now, ip_address=ip[:64] if ip else None, failed_codes=0,
                      expires_at=now + (policy.pending if pending else policy.absolute),
                      signed_in_at=None if pending else now)
    session.add(row)
    session.flush()
    if not pending:
        end_all(session, user.id, "signed_in_elsewhere", keep=row.id, now=now)
    # Housekeeping on each sign-in: old rows go (an index on expires_at keeps this cheap).
    session.execute(delete(UserSession).where(UserSession.expires_at < now - KEEP_ENDED)
                    .execution_options(synchronize_session=False))
    return token


def pending(session: Session, token: str | None, *,
            now: datetime | None = None) -> UserSession | None:
    """The pending session of ``token``, if it is still waiting for its second factor."""
    if not token:
        return None
    now = now or datetime.now(UTC)
    row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if (row is None or row.ended_at is not None or row.signed_in_at is not None
            or _utc(row.expires_at) <= now):
        return None
    return row


def complete(session: Session, row: UserSession, *, policy: SessionPolicy,
             now: datetime | None = None) -> bool:
    """The second factor passed: the pending session becomes a signed-in one (once: a guarded
    UPDATE, so two tabs cannot both complete it), and the user's other sessions end."""
    now = now or datetime.now(UTC)
    done = session.execute(
        update(UserSession)
        .where(UserSession.id == row.id, UserSession.signed_in_at.is_(None),
               UserSession.ended_at.is_(None))
        .values(signed_in_at=now, last_seen_at=now, expires_at=now + policy.absolute,
                pending_totp_secret=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    session.expire(row)
    if done:
        end_all(session, row.user_id, "signed_in_elsewhere", keep=row.id, now=now)
    return done


def resume(session: Session, token: str | None, *, policy: SessionPolicy,
           ip: str | None = None, now: datetime | None = None) -> Resumed:
    """The signed-in user of a request's session token. An idle or too-old session is ended
    here and audited as expired."""
    if not token:
        return Resumed("ended")
    now = now or datetime.now(UTC)
    found = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == _hash(token))
    ).first()
    if found is None:
        return Resumed("ended")
    row, user = found
    if row.ended_at is not None or row.signed_in_at is None:
        return Resumed("ended")
    if not user.active:
        end(session, row, "deactivated", now=now)
        return Resumed("ended")
    idle = now - _utc(row.last_seen_at) > policy.idle
    if idle or _utc(row.expires_at) <= now:
        end(session, row, "idle" if idle else "expired", now=now)
        audit.record(session, Actor.from_user(user), AuditAction.SESSION_EXPIRED, "user",
                     user.id, {"reason": "idle" if idle else "absolute"}, ip)
        return Resumed("expired")
    if now - _utc(row.last_seen_at) >= TOUCH_EVERY:
        row.last_seen_at = now
    return Resumed("ok", user, row)


def end(session: Session, row: UserSession, reason: str, *,
        now: datetime | None = None) -> None:
    session.execute(update(UserSession)
                    .where(UserSession.id == row.id, UserSession.ended_at.is_(None))
                    .values(ended_at=now or datetime.now(UTC), end_reason=reason[:40])
                    .execution_options(synchronize_session=False))
    session.expire(row)


def end_token(session: Session, token: str | None, reason: str) -> None:
    """End the session of a token (signing out, abandoning a pending sign-in)."""
    if token:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
        if row is not None:
            end(session, row, reason)


def end_all(session: Session, user_id: int, reason: str, *, keep: int | None = None,
            now: datetime | None = None) -> int:
    """End every open session of a user (but ``keep``); returns how many ended."""
    stmt = update(UserSession).where(UserSession.user_id == user_id,
                                     UserSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    return session.execute(stmt.values(ended_at=now or datetime.now(UTC), end_reason=reason[:40])
                           .execution_options(synchronize_session=False)).rowcount
