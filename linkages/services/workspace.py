"""The family workspace: one page per mutual family, in sections (overview, members, meetings,
plan, services, notes, consent, team, history), for the family's team of both programs.

Each section is one service call (:func:`open` plus that section's loader): the scope check,
the role check, the consent gate and the audit record all happen here, never in a view.

Consent is one WHERE clause, like county scope (:func:`program_gate`): the mutual-family fact
and the team are visible to both programs; one program's detail reaches the other program's
staff only while a consent in force releases that program's information; AOD treatment (42
CFR Part 2) reaches only the users a Part 2 consent in force names. The gate is computed from
the consents on every request, so a revocation or an expiry hides the detail at the next one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from linkages.codes import county_name
from linkages.models import (
    AuditEvent,
    CalworksCase,
    Consent,
    ConsentRecipient,
    MutualFamily,
    User,
    WorkerAssignment,
)
from linkages.models.enums import FamilyStatus, LegalBasis, Program
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import (
    Actor,
    NotFound,
    Permission,
    PermissionDenied,
    family_in_scope,
    require,
)

# California's counties keep California's calendar: "today", due dates and meeting times.
LOCAL_ZONE = ZoneInfo("America/Los_Angeles")


def local_today() -> date:
    return datetime.now(LOCAL_ZONE).date()


def local_now() -> datetime:
    return datetime.now(LOCAL_ZONE)


def as_local(value: datetime) -> datetime:
    """A stored time in California time (SQLite hands back naive UTC, PostgreSQL aware)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo("UTC"))
    return value.astimezone(LOCAL_ZONE)


class InvalidInput(ValueError):
    """A change cannot be made as asked; ``field`` names the form field to show it beside."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(Exception):
    """Someone else changed the record since the form was opened, or it moved on (approved,
    held): the save is refused and the form comes back with the input kept."""


class Section(enum.StrEnum):
    OVERVIEW = "overview"
    MEMBERS = "members"
    MEETINGS = "meetings"
    PLAN = "plan"
    SERVICES = "services"
    NOTES = "notes"
    CONSENT = "consent"
    TEAM = "team"
    HISTORY = "history"

    @property
    def label(self) -> str:
        return {"overview": "Overview", "members": "Members", "meetings": "Meetings",
                "plan": "Plan", "services": "Services", "notes": "Notes",
                "consent": "Consent", "team": "Team", "history": "History"}[self.value]


SECTION_PERMISSION: dict[Section, Permission] = {
    Section.OVERVIEW: Permission.VIEW_FAMILY,
    Section.MEMBERS: Permission.VIEW_FAMILY,
    Section.MEETINGS: Permission.VIEW_CASEWORK,
    Section.PLAN: Permission.VIEW_CASEWORK,
    Section.SERVICES: Permission.VIEW_CASEWORK,
    Section.NOTES: Permission.VIEW_CASEWORK,
    Section.CONSENT: Permission.VIEW_CASEWORK,
    Section.TEAM: Permission.VIEW_CASEWORK,
    Section.HISTORY: Permission.VIEW_FAMILY_HISTORY,
}


def consent_in_force(today: date) -> ColumnElement[bool]:
    """Signed, not expired, not revoked: as of ``today``. A consent revoked today is no
    longer in force today."""
    return and_(Consent.signed_on <= today, Consent.expires_on >= today,
                or_(Consent.revoked_on.is_(None), Consent.revoked_on > today))


@dataclass(frozen=True, slots=True)
class Sharing:
    """What the consents in force release today: the programs whose information the team may
    see, and the users a 42 CFR Part 2 consent names."""

    programs: frozenset[Program] = frozenset()
    part2_users: frozenset[int] = frozenset()

    def sees_program(self, actor: Actor, program: Program) -> bool:
        """Staff of ``program`` see its detail; the other program's staff only under consent.
        Someone of neither program (a manager, an evaluator) sees neither program's detail."""
        if actor.program is None:
            return False
        return actor.program == program or program in self.programs

    def sees_part2(self, actor: Actor) -> bool:
        return actor.user_id is not None and actor.user_id in self.part2_users


def load_sharing(session: Session, family_id: int, today: date) -> Sharing:
    rows = session.execute(
        select(Consent.id, Consent.legal_basis, Consent.covers_cws, Consent.covers_calworks)
        .where(Consent.family_id == family_id, consent_in_force(today))
    ).all()
    programs: set[Program] = set()
    part2: list[int] = []
    for cid, basis, cws, calworks in rows:
        if LegalBasis(basis) is LegalBasis.CFR42_PART2:
            part2.append(cid)
            continue
        if cws:
            programs.add(Program.CWS)
        if calworks:
            programs.add(Program.CALWORKS)
    users: frozenset[int] = frozenset()
    if part2:
        users = frozenset(session.scalars(
            select(ConsentRecipient.user_id).where(ConsentRecipient.consent_id.in_(part2))))
    return Sharing(frozenset(programs), users)


def program_gate(actor: Actor, sharing: Sharing, column: Any,
                 values: Mapping[Program, Any] | None = None) -> ColumnElement[bool]:
    """The WHERE clause that keeps rows of ``column``'s program to those the actor may see.
    ``values`` maps a program to the column's value for it (plan items say "wtw" for
    CalWORKs); rows of neither program (shared plan items) are always visible when given."""
    values = values or {p: p for p in Program}
    allowed = [values[p] for p in Program if sharing.sees_program(actor, p)]
    if len(allowed) == len(Program):
        return true()
    if not allowed:
        return false()
    return column.in_(allowed)


def fixed_gate(visible: bool) -> ColumnElement[bool]:
    """A whole query allowed or not: the loaders of one program's extract carry this, so the
    rule lives in the query that reads the rows, not in the template that shows them."""
    return true() if visible else false()


@dataclass(frozen=True, slots=True)
class TeamMember:
    user_id: int
    display_name: str
    program: Program
    start_date: date


@dataclass(frozen=True, slots=True)
class FamilyHeader:
    id: int
    display_name: str
    status: FamilyStatus
    county_cd: int
    cws_county_cd: int | None
    calworks_case_id: int | None
    calworks_case_number: str | None
    cws_case_number: str | None
    identified_on: date
    last_seen_run_id: int | None
    workers: tuple[TeamMember, ...]

    @property
    def county_name(self) -> str:
        return county_name(self.county_cd)

    @property
    def cws_county(self) -> int:
        """The county whose CWS staff work the family (its CWS child's, else its own)."""
        return self.cws_county_cd if self.cws_county_cd is not None else self.county_cd

    @property
    def cws_county_name(self) -> str:
        return county_name(self.cws_county)

    def county_of(self, program: Program) -> int:
        return self.cws_county if program is Program.CWS else self.county_cd

    def county_name_of(self, program: Program) -> str:
        return county_name(self.county_of(program))

    def worker(self, program: Program) -> TeamMember | None:
        return next((w for w in self.workers if w.program is program), None)

    @property
    def paired(self) -> bool:
        return all(self.worker(p) is not None for p in Program)


@dataclass(frozen=True)
class Workspace:
    """What every section page needs: the family, the sections this user may open, what is
    shared with her, and what she may do."""

    actor: Actor
    header: FamilyHeader
    section: Section
    sections: tuple[Section, ...]
    sharing: Sharing
    today: date
    may: frozenset[Permission] = field(default_factory=frozenset)

    def sees(self, program: Program) -> bool:
        return self.sharing.sees_program(self.actor, program)

    @property
    def sees_part2(self) -> bool:
        return self.sharing.sees_part2(self.actor)

    def can(self, permission: Permission) -> bool:
        return permission in self.may

    @property
    def withheld(self) -> list[str]:
        return [p.value for p in Program if not self.sees(p)]


def _header(session: Session, actor: Actor, family_id: int, ip: str | None) -> FamilyHeader:
    """The family and its current pair in one query (a family has a handful of assignment
    rows), scoped: nothing comes back for a family outside the actor's county."""
    rows = session.execute(
        select(MutualFamily.id, MutualFamily.display_name, MutualFamily.status,
               MutualFamily.county_cd, MutualFamily.cws_county_cd,
               MutualFamily.calworks_case_id, CalworksCase.case_number,
               MutualFamily.cws_case_number, MutualFamily.identified_on,
               MutualFamily.last_seen_run_id, User.id, User.display_name,
               WorkerAssignment.program, WorkerAssignment.start_date)
        .outerjoin(CalworksCase, CalworksCase.id == MutualFamily.calworks_case_id)
        .outerjoin(WorkerAssignment, (WorkerAssignment.family_id == MutualFamily.id)
                   & WorkerAssignment.end_date.is_(None))
        .outerjoin(User, User.id == WorkerAssignment.user_id)
        .where(MutualFamily.id == family_id, family_in_scope(actor))
        .order_by(WorkerAssignment.program, WorkerAssignment.start_date)
    ).all()
    if not rows:
        exists = session.scalar(select(MutualFamily.id).where(MutualFamily.id == family_id))
        audit.record(session, actor, AuditAction.FAMILY_VIEW_REFUSED, "mutual_family",
                     family_id, {"reason": "out_of_scope" if exists else "no_such_family"}, ip)
        raise NotFound(f"mutual family {family_id}")
    workers = tuple(TeamMember(uid, name, Program(program), start)
                    for *_, uid, name, program, start in rows if uid is not None)
    (fid, name, status, county, cws_county, case_id, case_no, cws_no, identified,
     run_id) = rows[0][:10]
    return FamilyHeader(fid, name, FamilyStatus(status), county, cws_county, case_id, case_no,
                        cws_no, identified, run_id, workers)


def check_scope(session: Session, actor: Actor, family_id: int, *,
                ip: str | None = None) -> None:
    """Is the family in the actor's county scope? :class:`NotFound` (audited as refused) if
    not. Called before anything else on every request about a family, so that an
    out-of-scope family answers exactly like a missing one on every URL and every form POST,
    whatever the form holds."""
    hit = session.scalar(select(MutualFamily.id).where(MutualFamily.id == family_id,
                                                       family_in_scope(actor)))
    if hit is None:
        exists = session.scalar(select(MutualFamily.id).where(MutualFamily.id == family_id))
        audit.record(session, actor, AuditAction.FAMILY_VIEW_REFUSED, "mutual_family",
                     family_id, {"reason": "out_of_scope" if exists else "no_such_family"}, ip)
        raise NotFound(f"mutual family {family_id}")


def visible_sections(actor: Actor) -> tuple[Section, ...]:
    return tuple(s for s in Section if actor.can(SECTION_PERMISSION[s]))


def open(session: Session, actor: Actor, family_id: int, section: Section, *,
         ip: str | None = None, today: date | None = None,
         detail: Mapping[str, Any] | None = None) -> Workspace:
    """Open one section of a family's workspace: scope (404, audited as refused: an
    out-of-scope family is a missing one whatever the section), then the role (403), the
    consent gate of today, and the audit record of the view."""
    today = today or local_today()
    header = _header(session, actor, family_id, ip)
    require(actor, SECTION_PERMISSION[section])
    sharing = load_sharing(session, family_id, today)
    ws = Workspace(actor, header, section, visible_sections(actor), sharing, today,
                   frozenset(p for p in Permission if actor.can(p)))
    audit.record(session, actor, AuditAction.FAMILY_VIEW, "mutual_family", family_id,
                 {"section": section.value, "withheld": ws.withheld, **(detail or {})}, ip)
    return ws


def for_change(session: Session, actor: Actor, family_id: int, permission: Permission, *,
               ip: str | None = None, today: date | None = None) -> Workspace:
    """The family a change is about, checked like a view (role, then scope) but not audited
    as a view: the change writes its own audit record."""
    today = today or local_today()
    header = _header(session, actor, family_id, ip)
    require(actor, permission)
    sharing = load_sharing(session, family_id, today)
    return Workspace(actor, header, Section.OVERVIEW, visible_sections(actor), sharing, today,
                     frozenset(p for p in Permission if actor.can(p)))


def require_program_staff(actor: Actor) -> Program:
    """Changes that belong to one program's record (notes, a worker's acknowledgement) need a
    user of a program."""
    if actor.program is None:
        raise PermissionDenied(f"role {actor.role} belongs to no program")
    return actor.program


# --- audit values --------------------------------------------------------------------------

def plain(value: Any) -> Any:
    """A value as the audit's JSON keeps it."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return as_local(value).isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def apply_changes(row: Any, values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Set ``values`` on ``row`` and return {"before": …, "after": …} of what changed."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(row, name)
        if _same(old, value):
            continue
        before[name] = plain(old)
        after[name] = plain(value)
        setattr(row, name, value)
    return {"before": before, "after": after}


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, datetime) and isinstance(new, datetime):
        return as_local(old) == as_local(new)
    return bool(old == new)


def snapshot(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: plain(v) for k, v in values.items()}


def gate(program: Program | None = None, *, part2: bool = False) -> dict[str, Any]:
    """What the audit keeps of a change to gated content, so that the family's history shows
    its values only to those who may see the content itself."""
    return {"gate": {"program": program.value if program else None, "part2": part2}}


def check_version(row: Any, expected: int | None, what: str) -> None:
    """P7: the form carries the row version it began from; a newer one means a colleague
    saved first."""
    if expected is not None and row.row_version != expected:
        raise Conflict(f"{what} was changed by someone else since you opened it. Your input is "
                       "kept below: check the current version and save again.")


def flush_changes(session: Session, what: str) -> None:
    """Write an edit; the row's version counter refuses one that lost a race between the
    check and the write (SQLAlchemy's StaleDataError), which becomes a Conflict."""
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise Conflict(f"{what} was changed by someone else a moment ago. Your input is kept "
                       "below: save again to replace it.") from None


# --- history ---------------------------------------------------------------------------------

HISTORY_PAGE = 50


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    id: int
    occurred_at: datetime
    username: str | None
    role: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    detail: dict[str, Any]
    ip_address: str | None

    @property
    def local_time(self) -> datetime:
        return as_local(self.occurred_at)

    withheld: bool = False

    @property
    def changes(self) -> list[tuple[str, Any, Any]]:
        if self.withheld:
            return []
        before = self.detail.get("before") or {}
        after = self.detail.get("after") or {}
        if not isinstance(before, dict) or not isinstance(after, dict):
            return []
        return [(k, before.get(k), after.get(k)) for k in sorted(set(before) | set(after))]


@dataclass(frozen=True)
class HistoryPage:
    ws: Workspace
    events: list[HistoryEvent]
    next_before: int | None


def history(session: Session, actor: Actor, family_id: int, *, before: int | None = None,
            ip: str | None = None, today: date | None = None) -> HistoryPage:
    """The family's own audit trail, newest first, paged by key (``id < before``)."""
    ws = open(session, actor, family_id, Section.HISTORY, ip=ip, today=today,
              detail={"before": before})
    conditions = [AuditEvent.family_id == family_id]
    if before is not None:
        conditions.append(AuditEvent.id < before)
    rows = session.execute(
        select(AuditEvent.id, AuditEvent.occurred_at, AuditEvent.username, AuditEvent.role,
               AuditEvent.action, AuditEvent.entity_type, AuditEvent.entity_id,
               AuditEvent.detail, AuditEvent.ip_address)
        .where(*conditions).order_by(AuditEvent.id.desc()).limit(HISTORY_PAGE + 1)
    ).all()
    events = []
    for r in rows[:HISTORY_PAGE]:
        event = _gated(ws, HistoryEvent(*r))
        if event is not None:
            events.append(event)
    last = rows[min(len(rows), HISTORY_PAGE) - 1][0] if rows else None
    return HistoryPage(ws, events, last if len(rows) > HISTORY_PAGE else None)


def _gated(ws: Workspace, event: HistoryEvent) -> HistoryEvent | None:
    """The consent gate on the trail itself: a Part 2 record's events only for those a Part 2
    consent names; the values of the other program's withheld content not at all."""
    g = event.detail.get("gate") if isinstance(event.detail, dict) else None
    if not isinstance(g, dict):
        return event
    if g.get("part2") and not ws.sees_part2:
        return None
    program = g.get("program")
    if program in {p.value for p in Program} and not ws.sees(Program(program)):
        return HistoryEvent(event.id, event.occurred_at, event.username, event.role,
                            event.action, event.entity_type, event.entity_id, {}, None, True)
    return event
