"""Evaluators' de-identified linked-cohort exports: who may make one, for which counties, where
its files live, when its download links expire, and the audit of each export and download.

An export belongs to the evaluator it was made for (its *owner*); only she downloads it, and
only until it expires (7 days by default), after which its links answer "gone" and its files
are deleted (the record of it stays). The files live under ``var/exports/<id>/``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from linkages.codes import county_name, valid_county
from linkages.config import var_dir
from linkages.exports import bundle
from linkages.exports.cohort import CohortQuery, build, child_ids, latest_run, period_label
from linkages.keys import key_id, pseudonym_key
from linkages.models import CohortExport, CwsChildClient, User
from linkages.outcomes import DEFINITIONS_VERSION
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import Actor, NotFound, Permission, PermissionDenied, require

DEFAULT_LINK_DAYS = 7
EARLIEST = date(1990, 1, 1)
MAX_PERIOD_DAYS = 10 * 366


class ExportError(ValueError):
    """The export cannot be made as asked; ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Expired(Exception):
    """The export's download links have expired (HTTP 410 Gone)."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    id: int
    created_at: datetime
    expires_at: datetime
    expired: bool
    counties: list[int] | None
    period_start: str
    period_end: str
    row_count: int
    files: list[dict[str, Any]]
    match_run_id: int | None
    key_id: str

    @property
    def counties_label(self) -> str:
        return ", ".join(county_name(c) for c in self.counties) if self.counties else (
            "All counties")


def exports_dir() -> Path:
    return var_dir() / "exports"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _check(owner: Actor, counties: list[int] | None, start: date, end: date,
           today: date) -> tuple[int, ...] | None:
    if start > end:
        raise ExportError("end", "the period must end on or after its first day")
    if start < EARLIEST or end > today + timedelta(days=366):
        raise ExportError("start", f"the period must lie between {EARLIEST} and next year")
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ExportError("end", "the period may be at most 10 years long")
    for county in counties or []:
        if not valid_county(county):
            raise ExportError("counties", f"{county} is not a California county code (1-58)")
    if owner.statewide:
        return tuple(sorted(set(counties))) if counties else None
    if owner.county_cd is None:
        raise PermissionDenied("an export needs a county or a statewide evaluator")
    if counties and set(counties) != {owner.county_cd}:
        raise ExportError("counties", f"you may export county {owner.county_cd} only")
    return (owner.county_cd,)


def create_export(session: Session, actor: Actor, *, counties: list[int] | None, start: date,
                  end: date, owner: User | None = None, link_days: int = DEFAULT_LINK_DAYS,
                  ip: str | None = None, now: datetime | None = None) -> CohortExport:
    """Build, de-identify and write a cohort export for ``owner`` (the signed-in evaluator,
    or the one the command line names). The owner's county scope limits the counties."""
    now = now or datetime.now(UTC)
    if owner is None:
        require(actor, Permission.EXPORT_COHORT)
        owner_actor = actor
    else:
        owner_actor = Actor.from_user(owner)
        if not owner.active:
            raise ExportError("owner", f"{owner.username} is deactivated")
        if not owner_actor.can(Permission.EXPORT_COHORT):
            raise ExportError("owner", f"a {owner_actor.role.label} may not receive exports")
    if link_days < 1 or link_days > 90:
        raise ExportError("link_days", "links last 1 to 90 days")
    chosen = _check(owner_actor, counties, start, end, now.date())
    query = CohortQuery(chosen, start, end)
    run = latest_run(session)
    key = pseudonym_key()
    row = CohortExport(requested_by=actor.username[:80], requested_by_id=actor.user_id,
                       owner_id=owner_actor.user_id, parameters={
                           "counties": list(chosen) if chosen else None,
                           "period_start": start.isoformat(), "period_end": end.isoformat(),
                           "link_days": link_days},
                       match_run_id=run.id if run else None, row_count=0, files=[],
                       key_id=key_id(key), expires_at=now + timedelta(days=link_days))
    session.add(row)
    session.flush()
    directory = exports_dir() / str(row.id)
    try:
        cohort = build(session, query, run)
        records = select(CwsChildClient.record_id).where(
            CwsChildClient.id.in_(child_ids(query)))
        frame = bundle.deidentify(cohort, key, bundle.date_shifts(session, records))
        manifest = {
            "export_id": row.id,
            "created_at": now.isoformat(timespec="seconds"),
            "requested_by": actor.username,
            "owner": owner_actor.username,
            "expires_at": row.expires_at.isoformat(timespec="seconds"),
            "parameters": {**row.parameters, "period": period_label(query),
                           "cohort": "CWS children of the counties with an allegation on a "
                                     "referral received, a case service component open, or a "
                                     "placement episode open in the period",
                           "date_treatment": bundle.DATE_TREATMENT},
            "match_run": None if run is None else {
                "id": run.id, "finished_at": str(run.finished_at),
                "match_threshold": run.threshold,
                "calworks_file": Path(run.left_file).name, "cws_file": Path(run.right_file).name},
            "measure_definitions_version": DEFINITIONS_VERSION,
            "pseudonyms": {"method": "HMAC-SHA256 of '<kind>:<identifier>', 32 hex digits",
                           "key_id": row.key_id,
                           "kinds": ["cws_child", "cws_case", "calworks_case",
                                     "mutual_family"]},
            "small_cell_rule": "summary.csv: counts of 1 to 10 are masked (M), with "
                               "complementary masking; 0 is shown as '.'",
            "notice": bundle.NOTICE,
        }
        row.files = bundle.write(directory, frame, manifest)
        row.row_count = len(frame)
        session.flush()
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    audit.record(session, actor, AuditAction.EXPORT_CREATE, "cohort_export", row.id,
                 {"owner": owner_actor.username, **row.parameters, "rows": row.row_count,
                  "match_run_id": row.match_run_id, "key_id": row.key_id}, ip)
    return row


def county_choices(actor: Actor) -> list[int] | None:
    """The counties the actor may export: her own, or None for every county."""
    require(actor, Permission.EXPORT_COHORT)
    return None if actor.statewide else ([actor.county_cd] if actor.county_cd else [])


def _summary(row: CohortExport, now: datetime) -> ExportSummary:
    p = row.parameters or {}
    return ExportSummary(row.id, _utc(row.created_at), _utc(row.expires_at),
                         _utc(row.expires_at) <= now, p.get("counties"), p.get("period_start", ""),
                         p.get("period_end", ""), row.row_count, list(row.files or []),
                         row.match_run_id, row.key_id)


def list_exports(session: Session, actor: Actor, *, limit: int = 50, ip: str | None = None,
                 now: datetime | None = None) -> list[ExportSummary]:
    """The actor's own exports, newest first."""
    require(actor, Permission.EXPORT_COHORT)
    now = now or datetime.now(UTC)
    rows = session.scalars(select(CohortExport).where(CohortExport.owner_id == actor.user_id)
                           .order_by(CohortExport.id.desc()).limit(limit)).all()
    audit.record(session, actor, AuditAction.EXPORT_LIST, "cohort_export", None,
                 {"shown": len(rows)}, ip)
    return [_summary(r, now) for r in rows]


def _own(session: Session, actor: Actor, export_id: int) -> CohortExport | None:
    return session.scalar(select(CohortExport).where(CohortExport.id == export_id,
                                                     CohortExport.owner_id == actor.user_id))


def get_export(session: Session, actor: Actor, export_id: int, *,
               now: datetime | None = None) -> ExportSummary:
    require(actor, Permission.EXPORT_COHORT)
    row = _own(session, actor, export_id)
    if row is None:
        raise NotFound(f"export {export_id}")
    return _summary(row, now or datetime.now(UTC))


def _purge(row: CohortExport, now: datetime) -> None:
    shutil.rmtree(exports_dir() / str(row.id), ignore_errors=True)
    if row.purged_at is None:
        row.purged_at = now


def download(session: Session, actor: Actor, export_id: int, name: str, *,
             ip: str | None = None, now: datetime | None = None) -> Path:
    """The path of one file of the actor's export, its download audited. Raises NotFound
    (not hers, no such file) or :class:`Expired` (and deletes the files)."""
    require(actor, Permission.EXPORT_COHORT)
    now = now or datetime.now(UTC)
    row = _own(session, actor, export_id)
    if row is None or name not in bundle.BUNDLE_FILES:
        audit.record(session, actor, AuditAction.EXPORT_DOWNLOAD_REFUSED, "cohort_export",
                     export_id, {"file": name[:60], "reason": "not_found"}, ip)
        raise NotFound(f"export {export_id} file {name}")
    if _utc(row.expires_at) <= now:
        _purge(row, now)
        audit.record(session, actor, AuditAction.EXPORT_DOWNLOAD_REFUSED, "cohort_export",
                     export_id, {"file": name, "reason": "expired"}, ip)
        raise Expired(f"export {export_id} expired on {_utc(row.expires_at):%Y-%m-%d %H:%M} UTC")
    path = exports_dir() / str(row.id) / name
    expected = next((f["sha256"] for f in row.files or [] if f["name"] == name), None)
    if not path.exists() or expected is None or bundle.sha256(path) != expected:
        # Deleted or altered on disk since it was written: never hand over a changed file.
        audit.record(session, actor, AuditAction.EXPORT_DOWNLOAD_REFUSED, "cohort_export",
                     export_id, {"file": name, "reason": "file_missing_or_changed"}, ip)
        raise NotFound(f"export {export_id} file {name} is missing or changed")
    audit.record(session, actor, AuditAction.EXPORT_DOWNLOAD, "cohort_export", export_id,
                 {"file": name, "sha256": expected}, ip)
    return path


def purge_expired(session: Session, actor: Actor, *, now: datetime | None = None) -> int:
    """Delete the files of every expired export (``linkages export purge``)."""
    require(actor, Permission.MANAGE_USERS)
    now = now or datetime.now(UTC)
    rows = session.scalars(select(CohortExport).where(CohortExport.expires_at <= now,
                                                      CohortExport.purged_at.is_(None))).all()
    for row in rows:
        _purge(row, now)
        audit.record(session, actor, AuditAction.EXPORT_PURGE, "cohort_export", row.id, {}, None)
    return len(rows)
