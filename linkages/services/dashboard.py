"""My families: the landing page after sign-in.

For a worker, the families assigned to her, each with its next joint meeting, a meeting still
to record, overdue and upcoming action items and plan activities, and a consent expiring
within 30 days; sortable, filterable and paged by key. For a supervisor, also what waits for
her approval (plans, and requests on her program's funds); for a supervisor or program
manager, the families in her county without a worker pair, paged by key.

Every query is bounded: the caseload by the assignment index, the lists by their page size.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from linkages.codes import county_name
from linkages.models import (
    ActionItem,
    Consent,
    ConsentRecipient,
    CoordinatedPlan,
    JointMeeting,
    MutualFamily,
    PlanActivity,
    ServiceAuthorization,
    User,
    WorkerAssignment,
)
from linkages.models.enums import (
    AuthorizationStatus,
    FamilyStatus,
    FundSource,
    LegalBasis,
    MeetingStatus,
    PlanProgram,
    PlanStatus,
    Program,
    ServiceCategory,
    WorkStatus,
)
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.consent import EXPIRING_SOON_DAYS
from linkages.services.scope import Actor, Permission, family_in_scope, require
from linkages.services.workspace import as_local, consent_in_force, local_today

UPCOMING_DAYS = 14
PAGE = 25
QUEUE_LIMIT = 50
COUNT_CAP = 1000
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
FAR_DATE = date(9999, 12, 31)
LIVE = (WorkStatus.OPEN, WorkStatus.IN_PROGRESS)


class Sort(enum.StrEnum):
    NEXT_MEETING = "next_meeting"
    OVERDUE = "overdue"
    CONSENT = "consent"
    NAME = "name"

    @property
    def label(self) -> str:
        return {"next_meeting": "Next meeting", "overdue": "Most overdue",
                "consent": "Consent expiry", "name": "Family name"}[self.value]


class Show(enum.StrEnum):
    ALL = "all"
    ATTENTION = "attention"  # something overdue, a meeting to record, or a consent expiring

    @property
    def label(self) -> str:
        return {"all": "All my families", "attention": "Needing attention"}[self.value]


@dataclass(frozen=True, slots=True)
class CaseloadRow:
    family_id: int
    display_name: str
    status: FamilyStatus
    county: str
    my_program: Program
    partner: str | None
    next_meeting: datetime | None
    meetings_to_record: int
    overdue_actions: int
    upcoming_actions: int
    overdue_activities: int
    ending_activities: int
    consent_expires: date | None

    @property
    def overdue(self) -> int:
        return self.overdue_actions + self.overdue_activities


@dataclass(frozen=True, slots=True)
class PendingPlan:
    plan_id: int
    family_id: int
    display_name: str
    version: int
    submitted_by: str | None
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class PendingService:
    service_id: int
    family_id: int
    display_name: str
    category: ServiceCategory
    fund_source: FundSource
    amount: object
    requested_by: str | None


@dataclass(frozen=True, slots=True)
class UnpairedFamily:
    family_id: int
    display_name: str
    status: FamilyStatus
    county: str
    identified_on: date
    cws_worker: str | None
    calworks_worker: str | None


@dataclass(frozen=True)
class Dashboard:
    actor: Actor
    today: date
    sort: Sort
    show: Show
    search: str
    caseload: list[CaseloadRow]
    next_after: str | None
    after: str | None
    pending_plans: list[PendingPlan] | None  # None: not this user's job
    pending_services: list[PendingService] | None
    unpaired: list[UnpairedFamily] | None
    unpaired_count: int | None
    unpaired_next: int | None
    unpaired_after: int | None

    @property
    def unpaired_count_label(self) -> str:
        if self.unpaired_count is None:
            return ""
        return f"{COUNT_CAP:,}+" if self.unpaired_count > COUNT_CAP else f"{self.unpaired_count:,}"


# Aliases made once: building them (and adapting their columns) on every request cost more
# than the queries they serve.
_MINE = aliased(WorkerAssignment, name="mine")
_PARTNER_ASSIGNMENT = aliased(WorkerAssignment, name="partner_assignment")
_PARTNER = aliased(User, name="partner")
_SUBMITTER = aliased(User, name="submitter")


def _caseload_query(actor: Actor, today: date, now: datetime) -> Select:
    """One row per family currently assigned to the actor, with its reminders as correlated
    counts over indexed columns."""
    fam = MutualFamily
    mine, partner_a, partner_u = _MINE, _PARTNER_ASSIGNMENT, _PARTNER
    soon = today + timedelta(days=UPCOMING_DAYS)
    next_meeting = (select(func.min(JointMeeting.scheduled_at))
                    .where(JointMeeting.family_id == fam.id,
                           JointMeeting.status == MeetingStatus.SCHEDULED,
                           JointMeeting.scheduled_at >= now)
                    .correlate(fam).scalar_subquery())
    to_record = (select(func.count(JointMeeting.id))
                 .where(JointMeeting.family_id == fam.id,
                        JointMeeting.status == MeetingStatus.SCHEDULED,
                        JointMeeting.scheduled_at < now)
                 .correlate(fam).scalar_subquery())

    def actions(*cond: ColumnElement[bool]) -> ColumnElement[int]:
        return (select(func.count(ActionItem.id))
                .where(ActionItem.family_id == fam.id, ActionItem.status.in_(LIVE), *cond)
                .correlate(fam).scalar_subquery())

    latest_plan = (select(CoordinatedPlan.id).where(CoordinatedPlan.family_id == fam.id)
                   .order_by(CoordinatedPlan.version.desc()).limit(1)
                   .correlate(fam).scalar_subquery())
    own = {Program.CWS: PlanProgram.CWS, Program.CALWORKS: PlanProgram.WTW}.get(
        actor.program) if actor.program else None
    # Without reading each family's consents, the reminder counts only what any team member
    # may see: shared or own-program activities, never sensitive ones of the other program,
    # never Part 2 ones.
    visible_activity = and_(
        PlanActivity.part2.is_(False),
        or_(PlanActivity.sensitive.is_(False), PlanActivity.program == PlanProgram.SHARED,
            PlanActivity.program == (own or PlanProgram.SHARED)))

    def activities(*cond: ColumnElement[bool]) -> ColumnElement[int]:
        return (select(func.count(PlanActivity.id))
                .where(PlanActivity.plan_id == latest_plan, PlanActivity.status.in_(LIVE),
                       visible_activity, *cond)
                .correlate(fam).scalar_subquery())

    named = select(ConsentRecipient.consent_id).where(ConsentRecipient.user_id == actor.user_id)
    consent_expires = (
        select(func.min(Consent.expires_on))
        .where(Consent.family_id == fam.id, consent_in_force(today),
               Consent.expires_on <= today + timedelta(days=EXPIRING_SOON_DAYS),
               or_(Consent.legal_basis != LegalBasis.CFR42_PART2, Consent.id.in_(named)))
        .correlate(fam).scalar_subquery())
    partner = (select(partner_u.display_name)
               .join(partner_a, partner_a.user_id == partner_u.id)
               .where(partner_a.family_id == fam.id, partner_a.program != mine.program,
                      partner_a.end_date.is_(None))
               .order_by(partner_a.start_date.desc()).limit(1)
               .correlate(fam, mine).scalar_subquery())
    return (
        select(fam.id.label("family_id"), fam.display_name.label("display_name"),
               fam.status.label("status"), fam.county_cd.label("county_cd"),
               mine.program.label("my_program"), partner.label("partner"),
               next_meeting.label("next_meeting"), to_record.label("to_record"),
               actions(ActionItem.due_on < today).label("overdue_actions"),
               actions(ActionItem.due_on >= today,
                       ActionItem.due_on <= soon).label("upcoming_actions"),
               activities(PlanActivity.end_date < today).label("overdue_activities"),
               activities(PlanActivity.end_date >= today,
                          PlanActivity.end_date <= soon).label("ending_activities"),
               consent_expires.label("consent_expires"))
        .join(mine, mine.family_id == fam.id)
        .where(mine.user_id == actor.user_id, mine.end_date.is_(None), family_in_scope(actor))
    )


def _sort_key(sort: Sort, sub: object) -> list[tuple[ColumnElement, bool]]:
    """(expression, descending) pairs ending with the family id, which makes the key unique."""
    c = sub.c  # type: ignore[attr-defined]
    if sort is Sort.NAME:
        return [(c.display_name, False), (c.family_id, False)]
    if sort is Sort.OVERDUE:
        overdue = c.overdue_actions + c.overdue_activities + c.to_record
        return [(overdue, True), (c.family_id, False)]
    if sort is Sort.CONSENT:
        return [(func.coalesce(c.consent_expires, literal(FAR_DATE)), False),
                (c.family_id, False)]
    return [(func.coalesce(c.next_meeting, literal(FAR_FUTURE)), False), (c.family_id, False)]


def _after(key: list[tuple[ColumnElement, bool]], values: list[object]) -> ColumnElement[bool]:
    """Rows after ``values`` in the order of ``key`` (mixed directions): the keyset page."""
    clauses = []
    for i, (expr, desc) in enumerate(key):
        equal = [key[j][0] == values[j] for j in range(i)]
        clauses.append(and_(*equal, expr < values[i] if desc else expr > values[i]))
    return or_(*clauses)


def _decode(sort: Sort, after: str | None) -> list[object] | None:
    if not after:
        return None
    head, _, tail = after.rpartition("~")
    if not tail.isdigit():
        return None
    try:
        if sort is Sort.NAME:
            first: object = head
        elif sort is Sort.OVERDUE:
            first = int(head)
        elif sort is Sort.CONSENT:
            first = date.fromisoformat(head)
        else:
            first = datetime.fromisoformat(head).astimezone(UTC)
    except ValueError:
        return None
    return [first, int(tail)]


def _encode(sort: Sort, row: CaseloadRow) -> str:
    if sort is Sort.NAME:
        head = row.display_name
    elif sort is Sort.OVERDUE:
        head = str(row.overdue + row.meetings_to_record)
    elif sort is Sort.CONSENT:
        head = (row.consent_expires or FAR_DATE).isoformat()
    else:
        head = (row.next_meeting or FAR_FUTURE).astimezone(UTC).isoformat()
    return f"{head}~{row.family_id}"


def caseload(session: Session, actor: Actor, *, sort: Sort = Sort.NEXT_MEETING,
             show: Show = Show.ALL, search: str = "", after: str | None = None,
             today: date | None = None, now: datetime | None = None,
             per_page: int = PAGE) -> tuple[list[CaseloadRow], str | None]:
    today = today or local_today()
    # Stored times are UTC (SQLite keeps no zone): compare in UTC.
    now = (now or datetime.now(UTC)).astimezone(UTC)
    sub = _caseload_query(actor, today, now).subquery()
    key = _sort_key(sort, sub)
    conditions: list[ColumnElement[bool]] = []
    if show is Show.ATTENTION:
        conditions.append(or_(sub.c.overdue_actions > 0, sub.c.overdue_activities > 0,
                              sub.c.to_record > 0, sub.c.consent_expires.is_not(None)))
    search = " ".join(search.split())[:100]
    if search:
        conditions.append(func.lower(sub.c.display_name).contains(search.lower(),
                                                                  autoescape=True))
    cursor = _decode(sort, after)
    if cursor is not None:
        conditions.append(_after(key, cursor))
    rows = session.execute(
        select(sub).where(*conditions)
        .order_by(*[e.desc() if d else e.asc() for e, d in key]).limit(per_page + 1)).all()
    out = [CaseloadRow(
        r.family_id, r.display_name, FamilyStatus(r.status), county_name(r.county_cd),
        Program(r.my_program), r.partner,
        as_local(r.next_meeting) if r.next_meeting is not None else None,
        int(r.to_record or 0), int(r.overdue_actions or 0), int(r.upcoming_actions or 0),
        int(r.overdue_activities or 0), int(r.ending_activities or 0), r.consent_expires)
        for r in rows[:per_page]]
    return out, (_encode(sort, out[-1]) if len(rows) > per_page else None)


def pending_plans(session: Session, actor: Actor) -> list[PendingPlan]:
    who = _SUBMITTER
    rows = session.execute(
        select(CoordinatedPlan.id, MutualFamily.id, MutualFamily.display_name,
               CoordinatedPlan.version, who.display_name, CoordinatedPlan.submitted_at)
        .join(MutualFamily, MutualFamily.id == CoordinatedPlan.family_id)
        .outerjoin(who, who.id == CoordinatedPlan.submitted_by_id)
        .where(CoordinatedPlan.status == PlanStatus.PENDING_APPROVAL, family_in_scope(actor),
               or_(CoordinatedPlan.submitted_by_id.is_(None),
                   CoordinatedPlan.submitted_by_id != actor.user_id))
        .order_by(CoordinatedPlan.submitted_at, CoordinatedPlan.id).limit(QUEUE_LIMIT)).all()
    return [PendingPlan(i, f, n, v, w, as_local(at) if at else None)
            for i, f, n, v, w, at in rows]


def pending_services(session: Session, actor: Actor, today: date) -> list[PendingService]:
    funds = [f for f in FundSource if f.program is None or f.program == actor.program]
    named_part2 = exists().where(
        Consent.family_id == ServiceAuthorization.family_id,
        Consent.legal_basis == LegalBasis.CFR42_PART2, consent_in_force(today),
        ConsentRecipient.consent_id == Consent.id,
        ConsentRecipient.user_id == actor.user_id)
    who = _SUBMITTER
    rows = session.execute(
        select(ServiceAuthorization.id, MutualFamily.id, MutualFamily.display_name,
               ServiceAuthorization.category, ServiceAuthorization.fund_source,
               ServiceAuthorization.amount, who.display_name)
        .join(MutualFamily, MutualFamily.id == ServiceAuthorization.family_id)
        .outerjoin(who, who.id == ServiceAuthorization.requested_by_id)
        .where(ServiceAuthorization.status == AuthorizationStatus.REQUESTED,
               ServiceAuthorization.fund_source.in_(funds), family_in_scope(actor),
               or_(ServiceAuthorization.requested_by_id.is_(None),
                   ServiceAuthorization.requested_by_id != actor.user_id),
               or_(ServiceAuthorization.part2.is_(False), named_part2))
        .order_by(ServiceAuthorization.created_at, ServiceAuthorization.id)
        .limit(QUEUE_LIMIT)).all()
    return [PendingService(i, f, n, ServiceCategory(c), FundSource(s), a, w)
            for i, f, n, c, s, a, w in rows]


def _unpaired_conditions(actor: Actor) -> list[ColumnElement[bool]]:
    # Counted per family on its index: "not (a current CWS worker and a current CalWORKs
    # worker)" as two NOT EXISTS made PostgreSQL hash every current assignment in the state
    # on each request.
    programs_paired = (
        select(func.count(distinct(WorkerAssignment.program)))
        .where(WorkerAssignment.family_id == MutualFamily.id,
               WorkerAssignment.end_date.is_(None))
        .correlate(MutualFamily).scalar_subquery())
    return [_pairable_by(actor),
            MutualFamily.status.in_([FamilyStatus.IDENTIFIED, FamilyStatus.ACTIVE]),
            programs_paired < len(Program)]


def _pairable_by(actor: Actor) -> ColumnElement[bool]:
    """The families whose pairing ``actor`` can act on: a supervisor assigns her own
    program's worker, and only where her county serves that side of the family
    (linkages.services.team), so a family whose CalWORKs case is in another county is not on
    a CalWORKs supervisor's list; a program manager or statewide user: every family in
    scope."""
    if actor.statewide or actor.program is None or actor.county_cd is None:
        return family_in_scope(actor)
    if actor.program is Program.CWS:
        return MutualFamily.cws_county_cd == actor.county_cd
    return MutualFamily.county_cd == actor.county_cd


def unpaired(session: Session, actor: Actor, *, after: int | None = None,
             per_page: int = PAGE) -> tuple[list[UnpairedFamily], int | None, int]:
    """Families whose pairing the actor can act on (:func:`_pairable_by`) without a current
    worker on one side or both, oldest first, paged by key; the count stops at 1,000 (the
    list, not the count, is the work)."""
    conditions = _unpaired_conditions(actor)
    count = session.scalar(select(func.count()).select_from(
        select(MutualFamily.id).where(*conditions).limit(COUNT_CAP + 1).subquery())) or 0
    if after is not None:
        conditions.append(MutualFamily.id > after)

    def worker(program: Program) -> ColumnElement[str]:
        return (select(User.display_name)
                .join(WorkerAssignment, WorkerAssignment.user_id == User.id)
                .where(WorkerAssignment.family_id == MutualFamily.id,
                       WorkerAssignment.program == program,
                       WorkerAssignment.end_date.is_(None))
                .limit(1).correlate(MutualFamily).scalar_subquery())

    rows = session.execute(
        select(MutualFamily.id, MutualFamily.display_name, MutualFamily.status,
               MutualFamily.county_cd,
               MutualFamily.identified_on, worker(Program.CWS), worker(Program.CALWORKS))
        .where(*conditions).order_by(MutualFamily.id).limit(per_page + 1)).all()
    out = [UnpairedFamily(i, n, FamilyStatus(s), county_name(c), d, cw, cal)
           for i, n, s, c, d, cw, cal in rows[:per_page]]
    return out, (out[-1].family_id if len(rows) > per_page else None), count


def for_user(session: Session, actor: Actor, *, sort: Sort = Sort.NEXT_MEETING,
             show: Show = Show.ALL, search: str = "", after: str | None = None,
             unpaired_after: int | None = None, ip: str | None = None,
             today: date | None = None, now: datetime | None = None) -> Dashboard:
    """The landing page: one call, audited with the families it shows."""
    require(actor, Permission.VIEW_CASEWORK)
    today = today or local_today()
    rows, next_after = caseload(session, actor, sort=sort, show=show, search=search,
                                after=after, today=today, now=now)
    plans = pending_plans(session, actor) if actor.can(Permission.APPROVE_PLAN) else None
    services = (pending_services(session, actor, today)
                if actor.can(Permission.DECIDE_SERVICE) else None)
    lonely = lonely_next = count = None
    if actor.can(Permission.ASSIGN_WORKERS):
        lonely, lonely_next, count = unpaired(session, actor, after=unpaired_after)
    shown = sorted({r.family_id for r in rows}
                   | {p.family_id for p in plans or []}
                   | {s.family_id for s in services or []}
                   | {u.family_id for u in lonely or []})
    audit.record(session, actor, AuditAction.DASHBOARD_VIEW, "mutual_family", None,
                 {"sort": sort.value, "show": show.value, "search": search, "after": after,
                  "family_ids": shown}, ip)
    return Dashboard(actor, today, sort, show, search, rows, next_after, after, plans,
                     services, lonely, count, lonely_next, unpaired_after)
