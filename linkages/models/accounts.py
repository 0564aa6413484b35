"""Users, and the append-only audit trail of what they did."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    false,
)
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
    # Two-factor sign-in (TOTP, RFC 6238): the secret is kept encrypted (Fernet, key from
    # configuration), set only once a code from it has verified; ``totp_last_step`` is the last
    # time step accepted, so that a code is never accepted twice.
    totp_secret: Mapped[str | None] = mapped_column(String(300))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # A designated clerical reviewer (`linkages users reviewer`): settles the uncertain pairs
    # of her county's match runs. Program managers review without it.
    reviewer: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Wrong second-factor codes in a row (a correct password does not reset it).
    second_factor_failures: Mapped[int] = mapped_column(default=0, server_default="0")


class UserSession(Base):
    """A browser session, kept on the server: the cookie holds only a random token, whose
    SHA-256 is ``token_hash``. Signing out, deactivation, a password reset or a sign-in
    elsewhere set ``ended_at``, and a copied cookie stops working at once.

    A session is *pending* (``signed_in_at`` is None) between a right password and a right
    second-factor code; it then holds nothing but the user id (and, while she sets up two-factor
    sign-in, the encrypted secret being set up)."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_in_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(40))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    failed_codes: Mapped[int] = mapped_column(default=0)
    pending_totp_secret: Mapped[str | None] = mapped_column(String(300))


class RecoveryCode(Base):
    """A single-use recovery code for two-factor sign-in, kept as its SHA-256 (the codes are
    random, 80 bits: a slow hash adds nothing)."""

    __tablename__ = "recovery_code"
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class SignInThrottle(Base):
    """Failed sign-in attempts per account name and per address in a fixed window. The key is
    a SHA-256 of ``account:<username>`` or ``address:<ip>``, so typed usernames (which may be
    passwords typed in the wrong box) are not kept in the clear."""

    __tablename__ = "sign_in_throttle"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_started_at: Mapped[datetime]
    failures: Mapped[int] = mapped_column(default=0)


class AuditEvent(Base):
    """Append-only: the migration installs triggers that refuse UPDATE and DELETE, and the
    ORM refuses them too (see ``linkages.db``). ``family_id`` ties an event to the mutual
    family it touched (not a foreign key: the trail outlives what it describes), so that a
    family's own history is one indexed read."""

    __tablename__ = "audit_event"
    # The audit viewer's questions (who opened this family, what did this user do) and a
    # family's own history, read by its indexed family_id.
    __table_args__ = (Index("ix_audit_event_entity", "entity_type", "entity_id"),
                      Index("ix_audit_event_family", "family_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    username: Mapped[str | None] = mapped_column(String(80), index=True)
    role: Mapped[str | None] = mapped_column(String(40))
    county_cd: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str | None] = mapped_column(String(60))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip_address: Mapped[str | None] = mapped_column(String(64))
    family_id: Mapped[int | None]


class IngestRun(Base):
    """One ``linkages ingest`` of an extract directory, with per-file counts that reconcile."""

    __tablename__ = "ingest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    directory: Mapped[str] = mapped_column(String(500))
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CohortExport(Timestamped, Base):
    """A de-identified linked-cohort export for an evaluator: its parameters, the match run
    it used, its files (name, rows, bytes, SHA-256) under ``var/exports/<id>/``, and when its
    download links expire. The row outlives the files (``purged_at``)."""

    __tablename__ = "cohort_export"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", ondelete="SET NULL"))
    # Who may download it (the evaluator it was made for).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"),
                                                 index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    match_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("match_run.id", ondelete="SET NULL"))
    row_count: Mapped[int] = mapped_column(default=0)
    files: Mapped[list[Any]] = mapped_column(default=list)
    key_id: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime] = mapped_column(index=True)
    purged_at: Mapped[datetime | None]


class CohortDateShift(Base):
    """The per-child date offset of cohort exports: drawn once at random (1 to 15 days, either
    way, never 0) and reused by every later export, so that exports cannot be averaged to
    recover a true date."""

    __tablename__ = "cohort_date_shift"

    cws_record_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    offset_days: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
