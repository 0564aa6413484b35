"""Sign-in throttling per account name and per address.

The account lockout (6 wrong passwords lock an account 30 minutes) protects accounts that
exist. The throttle limits guessing whatever the name typed: failed attempts (wrong password,
unknown or locked account, wrong second-factor code) are counted per account name and per
client address in fixed windows, and once a count reaches its limit every attempt with that
name or from that address is refused (HTTP 429) until the window ends, without a password
check. An unknown name is counted exactly like a real one, so the refusal tells nothing about
which accounts exist.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from linkages.models import SignInThrottle


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    # NIST SP 800-63B allows at most 100 consecutive failures on an account; the lockout
    # stops a real account long before. An office behind one address gets a generous limit.
    account_failures: int = 20
    address_failures: int = 100
    window: timedelta = timedelta(minutes=15)


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _keys(username: str, ip: str | None) -> dict[str, int]:
    """Each key and the limit of its kind (filled in by the caller's policy)."""
    keys = {_key("account", username.strip().lower()): 0}
    if ip:
        keys[_key("address", ip)] = 1
    return keys


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def retry_after(session: Session, username: str, ip: str | None, *, policy: ThrottlePolicy,
                now: datetime | None = None) -> int | None:
    """Seconds to wait when this name or address has used up its failures, else None."""
    now = now or datetime.now(UTC)
    keys = _keys(username, ip)
    limits = (policy.account_failures, policy.address_failures)
    waits = []
    for key_hash, started, failures in session.execute(
            select(SignInThrottle.key_hash, SignInThrottle.window_started_at,
                   SignInThrottle.failures)
            .where(SignInThrottle.key_hash.in_(list(keys)))):
        ends = _utc(started) + policy.window
        if ends > now and failures >= limits[keys[key_hash]]:
            waits.append(math.ceil((ends - now).total_seconds()))
    return max(waits) if waits else None


def record_failure(session: Session, username: str, ip: str | None, *,
                   policy: ThrottlePolicy, now: datetime | None = None) -> None:
    """Count one failed attempt for the name and the address: one upsert each, so parallel
    attempts lose no count; a window that has ended starts again at 1."""
    now = now or datetime.now(UTC)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = SignInThrottle.__table__
    over = table.c.window_started_at <= now - policy.window
    for key_hash in _keys(username, ip):
        stmt = insert(table).values(key_hash=key_hash, window_started_at=now, failures=1)
        session.execute(stmt.on_conflict_do_update(
            index_elements=[table.c.key_hash],
            set_={"failures": case((over, 1), else_=table.c.failures + 1),
                  "window_started_at": case((over, now), else_=table.c.window_started_at)}))


def clear_account(session: Session, username: str, *, policy: ThrottlePolicy,
                  now: datetime | None = None) -> None:
    """A completed sign-in forgives the account name's failures (not the address's), and
    windows that are over are swept away (they would start again at 1 anyway)."""
    now = now or datetime.now(UTC)
    session.execute(delete(SignInThrottle)
                    .where((SignInThrottle.key_hash == _key("account", username.strip().lower()))
                           | (SignInThrottle.window_started_at <= now - policy.window))
                    .execution_options(synchronize_session=False))
