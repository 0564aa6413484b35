"""The one coordinated plan of a family: an overlay of the CWS case plan and the WtW plan
(which stay the systems of record), with a family goal, program objectives and activities.

Versions move draft -> submitted -> approved, or back to the workers with a comment
(returned). Each move is a guarded UPDATE from the state the mover saw (P6). An approved
version is read-only; the next version starts as its copy, and approving it supersedes the
earlier one in the same transaction. Edits carry the row version they began from (P7).

Weekly countable hours are the WtW-countable activities in force this week, against the
family's requirement from the CalWORKs extract (30 one-parent, 20 with a child under 6, 35
two-parent). Mental-health, substance-use and domestic-abuse activities are sensitive: the
other program sees them only under consent; substance-use (AOD) activities only the users a
42 CFR Part 2 consent names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true, update
from sqlalchemy.orm import Session

from linkages.models import (
    CoordinatedPlan,
    PlanAcknowledgement,
    PlanActivity,
    PlanGoal,
    PlanReview,
    User,
)
from linkages.models.enums import (
    AcknowledgementParty,
    ActivityCategory,
    PlanProgram,
    PlanReviewAction,
    PlanStatus,
    Program,
    WorkStatus,
)
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.family_record import Requirement, composition, wtw_requirement
from linkages.services.scope import Actor, NotFound, Permission, PermissionDenied
from linkages.services.workspace import (
    Conflict,
    InvalidInput,
    Section,
    Workspace,
    apply_changes,
    as_local,
    check_version,
    flush_changes,
    for_change,
    gate,
    program_gate,
    snapshot,
)
from linkages.services.workspace import open as open_workspace

MAX_HOURS = Decimal("60")
PLAN_PROGRAM_OF = {Program.CWS: PlanProgram.CWS, Program.CALWORKS: PlanProgram.WTW}


def activity_gate(ws: Workspace) -> ColumnElement[bool]:
    """The consent WHERE clause on plan activities: shared and non-sensitive ones for the
    whole team; a sensitive one of one program for that program's staff, or the other's under
    consent; a Part 2 one only for users a Part 2 consent names."""
    own = program_gate(ws.actor, ws.sharing, PlanActivity.program, PLAN_PROGRAM_OF)
    # A Part 2 consent naming the user is what releases AOD treatment, whatever the program.
    sensitive_ok = or_(PlanActivity.part2.is_(True), PlanActivity.sensitive.is_(False),
                       PlanActivity.program == PlanProgram.SHARED, own)
    part2_ok = or_(PlanActivity.part2.is_(False), true() if ws.sees_part2 else false())
    return and_(sensitive_ok, part2_ok)


@dataclass(frozen=True, slots=True)
class PlanInput:
    family_goal: str
    cws_case_plan_ref: str = ""
    wtw_plan_ref: str = ""
    effective_from: date | None = None
    next_review_on: date | None = None


@dataclass(frozen=True, slots=True)
class GoalInput:
    description: str
    program: PlanProgram
    target_date: date | None = None
    status: WorkStatus = WorkStatus.OPEN


@dataclass(frozen=True, slots=True)
class ActivityInput:
    goal_id: int
    description: str
    category: ActivityCategory
    program: PlanProgram
    provider: str = ""
    start_date: date | None = None
    end_date: date | None = None
    status: WorkStatus = WorkStatus.OPEN
    court_ordered: bool = False
    counts_toward_wtw: bool = False
    hours_per_week: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ActivityView:
    id: int
    goal_id: int
    description: str
    category: ActivityCategory
    program: PlanProgram
    provider: str | None
    start_date: date | None
    end_date: date | None
    status: WorkStatus
    court_ordered: bool
    counts_toward_wtw: bool
    hours_per_week: Decimal | None
    sensitive: bool
    part2: bool
    row_version: int


@dataclass(frozen=True, slots=True)
class GoalView:
    id: int
    description: str
    program: PlanProgram
    target_date: date | None
    status: WorkStatus
    activities: list[ActivityView]


@dataclass(frozen=True, slots=True)
class ReviewView:
    action: PlanReviewAction
    comment: str | None
    by: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class VersionView:
    id: int
    version: int
    status: PlanStatus


@dataclass(frozen=True)
class PlanSection:
    ws: Workspace
    plan: CoordinatedPlan | None
    goals: list[GoalView]
    versions: list[VersionView]
    reviews: list[ReviewView]
    acknowledgements: list[PlanAcknowledgement]
    hours: Decimal
    requirement: Requirement
    week: tuple[date, date]
    approved_by: str | None = None
    submitted_by: str | None = None

    @property
    def editable(self) -> bool:
        return (self.plan is not None and PlanStatus(self.plan.status).editable
                and self.ws.can(Permission.WORK_FAMILY) and self.is_latest)

    @property
    def is_latest(self) -> bool:
        return self.plan is not None and self.plan.version == max(
            v.version for v in self.versions)

    @property
    def activities(self) -> list[ActivityView]:
        return [a for g in self.goals for a in g.activities]

    def acknowledged(self, party: AcknowledgementParty) -> PlanAcknowledgement | None:
        return next((a for a in self.acknowledgements if a.party == party), None)

    @property
    def short_of(self) -> Decimal | None:
        if self.requirement.hours is None:
            return None
        return max(Decimal(self.requirement.hours) - self.hours, Decimal(0))


def week_of(day: date) -> tuple[date, date]:
    start = day - timedelta(days=day.weekday())
    return start, start + timedelta(days=6)


def countable_hours(activities: list[ActivityView], day: date) -> Decimal:
    """Hours a week of the WtW-countable activities in force in ``day``'s week."""
    start, end = week_of(day)
    total = Decimal(0)
    for a in activities:
        if not (a.counts_toward_wtw and a.hours_per_week and a.status.live):
            continue
        if a.start_date is not None and a.start_date > end:
            continue
        if a.end_date is not None and a.end_date < start:
            continue
        total += a.hours_per_week
    return total


def _versions(session: Session, family_id: int) -> list[VersionView]:
    return [VersionView(i, v, PlanStatus(s)) for i, v, s in session.execute(
        select(CoordinatedPlan.id, CoordinatedPlan.version, CoordinatedPlan.status)
        .where(CoordinatedPlan.family_id == family_id)
        .order_by(CoordinatedPlan.version.desc())).all()]


def section(session: Session, actor: Actor, family_id: int, *, version: int | None = None,
            ip: str | None = None, today: date | None = None) -> PlanSection:
    """The plan section: the latest version (or ``version``), its objectives and activities as
    the actor may see them, the hours against the requirement, the approval trail."""
    ws = open_workspace(session, actor, family_id, Section.PLAN, ip=ip, today=today,
                        detail={"version": version})
    versions = _versions(session, family_id)
    parents, dobs = composition(session, ws.header.calworks_case_id)
    requirement = wtw_requirement(parents, dobs, ws.today)
    empty = PlanSection(ws, None, [], versions, [], [], Decimal(0), requirement,
                        week_of(ws.today))
    if not versions:
        return empty
    chosen = next((v for v in versions if v.version == version), None) if version else \
        versions[0]
    if chosen is None:
        raise NotFound(f"plan version {version}")
    plan = session.get(CoordinatedPlan, chosen.id)
    assert plan is not None
    goals = _goals(session, ws, plan.id)
    activities = [a for g in goals for a in g.activities]
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(
        [i for i in (plan.approved_by_id, plan.submitted_by_id) if i]))).all())
    reviews = [ReviewView(PlanReviewAction(a), c, n, as_local(at))
               for a, c, n, at in session.execute(
        select(PlanReview.action, PlanReview.comment, User.display_name, PlanReview.at)
        .outerjoin(User, User.id == PlanReview.user_id)
        .where(PlanReview.plan_id == plan.id).order_by(PlanReview.id)).all()]
    acks = list(session.scalars(select(PlanAcknowledgement)
                                .where(PlanAcknowledgement.plan_id == plan.id)
                                .order_by(PlanAcknowledgement.id)))
    return PlanSection(ws, plan, goals, versions, reviews, acks,
                       countable_hours(activities, ws.today), requirement, week_of(ws.today),
                       names.get(plan.approved_by_id), names.get(plan.submitted_by_id))


def _goals(session: Session, ws: Workspace, plan_id: int) -> list[GoalView]:
    activities: dict[int, list[ActivityView]] = {}
    for row in session.execute(
        select(PlanActivity.id, PlanActivity.goal_id, PlanActivity.description,
               PlanActivity.category, PlanActivity.program, PlanActivity.provider,
               PlanActivity.start_date, PlanActivity.end_date, PlanActivity.status,
               PlanActivity.court_ordered, PlanActivity.counts_toward_wtw,
               PlanActivity.hours_per_week, PlanActivity.sensitive, PlanActivity.part2,
               PlanActivity.row_version)
        .where(PlanActivity.plan_id == plan_id, activity_gate(ws))
        .order_by(PlanActivity.id)
    ).all():
        (i, g, d, c, p, prov, s, e, st, court, counts, hours, sens, p2, rv) = row
        activities.setdefault(g, []).append(ActivityView(
            i, g, d, ActivityCategory(c), PlanProgram(p), prov, s, e, WorkStatus(st), court,
            counts, Decimal(hours) if hours is not None else None, sens, p2, rv))
    return [GoalView(i, d, PlanProgram(p), t, WorkStatus(s), activities.get(i, []))
            for i, d, p, t, s in session.execute(
                select(PlanGoal.id, PlanGoal.description, PlanGoal.program,
                       PlanGoal.target_date, PlanGoal.status)
                .where(PlanGoal.plan_id == plan_id).order_by(PlanGoal.id)).all()]


# --- edits of a draft -----------------------------------------------------------------------

def _plan(session: Session, family_id: int, plan_id: int) -> CoordinatedPlan:
    plan = session.scalar(select(CoordinatedPlan).where(
        CoordinatedPlan.id == plan_id, CoordinatedPlan.family_id == family_id))
    if plan is None:
        raise NotFound(f"plan {plan_id}")
    return plan


def _editable_plan(session: Session, family_id: int, plan_id: int) -> CoordinatedPlan:
    plan = _plan(session, family_id, plan_id)
    status = PlanStatus(plan.status)
    if not status.editable:
        raise Conflict(f"Version {plan.version} is {status.label.lower()}: it can no longer be "
                       "edited." + (" Start the next version to change it."
                                    if status is PlanStatus.APPROVED else ""))
    return plan


def _check_plan(data: PlanInput) -> dict[str, object]:
    goal = data.family_goal.strip()
    if not goal:
        raise InvalidInput("family_goal", "Enter the family's goal, in the family's words")
    for name, value in (("cws_case_plan_ref", data.cws_case_plan_ref),
                        ("wtw_plan_ref", data.wtw_plan_ref)):
        if len(value.strip()) > 80:
            raise InvalidInput(name, "Enter at most 80 characters")
    if (data.effective_from and data.next_review_on
            and data.next_review_on <= data.effective_from):
        raise InvalidInput("next_review_on", "The review must be after the plan takes effect")
    return {"family_goal": goal, "cws_case_plan_ref": data.cws_case_plan_ref.strip() or None,
            "wtw_plan_ref": data.wtw_plan_ref.strip() or None,
            "effective_from": data.effective_from, "next_review_on": data.next_review_on}


def create(session: Session, actor: Actor, family_id: int, data: PlanInput, *,
           ip: str | None = None, today: date | None = None) -> CoordinatedPlan:
    """Start the family's first plan (version 1, a draft)."""
    for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    values = _check_plan(data)
    if session.scalar(select(CoordinatedPlan.id).where(CoordinatedPlan.family_id == family_id)):
        raise Conflict("The family already has a plan: work on its current version.")
    plan = CoordinatedPlan(family_id=family_id, version=1, status=PlanStatus.DRAFT,
                           created_by_id=actor.user_id, **values)
    session.add(plan)
    session.flush()
    audit.record(session, actor, AuditAction.PLAN_CREATE, "coordinated_plan", plan.id,
                 {"version": 1, "after": snapshot(values)}, ip, family_id=family_id)
    return plan


def update_plan(session: Session, actor: Actor, family_id: int, plan_id: int,
                data: PlanInput, *, row_version: int | None, ip: str | None = None,
                today: date | None = None) -> None:
    for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    plan = _editable_plan(session, family_id, plan_id)
    check_version(plan, row_version, "This plan")
    values = _check_plan(data)
    change = apply_changes(plan, values)
    flush_changes(session, "This plan")
    audit.record(session, actor, AuditAction.PLAN_UPDATE, "coordinated_plan", plan_id,
                 {"version": plan.version, **change}, ip, family_id=family_id)


def _check_goal(data: GoalInput) -> dict[str, object]:
    description = data.description.strip()
    if not description:
        raise InvalidInput("description", "Describe the objective")
    return {"description": description, "program": data.program,
            "target_date": data.target_date, "status": data.status}


def add_goal(session: Session, actor: Actor, family_id: int, plan_id: int, data: GoalInput, *,
             ip: str | None = None, today: date | None = None) -> PlanGoal:
    for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    plan = _editable_plan(session, family_id, plan_id)
    values = _check_goal(data)
    goal = PlanGoal(plan_id=plan.id, **values)
    session.add(goal)
    session.flush()
    audit.record(session, actor, AuditAction.PLAN_GOAL_ADD, "plan_goal", goal.id,
                 {"plan_id": plan_id, "after": snapshot(values)}, ip, family_id=family_id)
    return goal


def _check_activity(ws: Workspace, plan: CoordinatedPlan, data: ActivityInput,
                    session: Session) -> dict[str, object]:
    description = data.description.strip()
    if not description:
        raise InvalidInput("description", "Describe the activity")
    if session.scalar(select(PlanGoal.id).where(PlanGoal.id == data.goal_id,
                                                PlanGoal.plan_id == plan.id)) is None:
        raise InvalidInput("goal_id", "Choose an objective of this plan")
    if data.category.part2 and not ws.sees_part2:
        raise InvalidInput("category", "AOD treatment is recorded only by team members a "
                           "42 CFR Part 2 consent names: record that consent first")
    if len(data.provider.strip()) > 200:
        raise InvalidInput("provider", "Enter at most 200 characters")
    if data.start_date and data.end_date and data.end_date < data.start_date:
        raise InvalidInput("end_date", "The end date must be on or after the start date")
    hours = data.hours_per_week
    if data.counts_toward_wtw and (hours is None or hours <= 0):
        raise InvalidInput("hours_per_week", "Enter the hours a week that count toward WtW "
                           "participation")
    if hours is not None:
        try:
            if hours != hours.quantize(Decimal("0.1")):
                raise InvalidInput("hours_per_week", "Enter hours to one decimal place")
        except InvalidOperation:
            raise InvalidInput("hours_per_week", "Enter a number of hours") from None
        if hours < 0 or hours > MAX_HOURS:
            raise InvalidInput("hours_per_week", f"Enter between 0 and {MAX_HOURS} hours")
    return {"goal_id": data.goal_id, "description": description, "category": data.category,
            "program": data.program, "provider": data.provider.strip() or None,
            "start_date": data.start_date, "end_date": data.end_date, "status": data.status,
            "court_ordered": data.court_ordered, "counts_toward_wtw": data.counts_toward_wtw,
            "hours_per_week": hours, "sensitive": data.category.sensitive,
            "part2": data.category.part2}


def _gate(activity: PlanActivity) -> dict[str, object]:
    """A sensitive activity's values in the trail are as gated as the activity."""
    program = PlanProgram(activity.program).program if activity.sensitive else None
    return gate(program, part2=bool(activity.part2))


def add_activity(session: Session, actor: Actor, family_id: int, plan_id: int,
                 data: ActivityInput, *, ip: str | None = None,
                 today: date | None = None) -> PlanActivity:
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    plan = _editable_plan(session, family_id, plan_id)
    values = _check_activity(ws, plan, data, session)
    activity = PlanActivity(plan_id=plan.id, **values)
    session.add(activity)
    session.flush()
    audit.record(session, actor, AuditAction.PLAN_ACTIVITY_ADD, "plan_activity", activity.id,
                 {"plan_id": plan_id, "after": snapshot(values), **_gate(activity)}, ip,
                 family_id=family_id)
    return activity


def _visible_activity(session: Session, ws: Workspace, plan: CoordinatedPlan,
                      activity_id: int) -> PlanActivity:
    activity = session.scalar(select(PlanActivity).where(
        PlanActivity.id == activity_id, PlanActivity.plan_id == plan.id, activity_gate(ws)))
    if activity is None:
        raise NotFound(f"activity {activity_id}")
    return activity


def update_activity(session: Session, actor: Actor, family_id: int, plan_id: int,
                    activity_id: int, data: ActivityInput, *, row_version: int | None,
                    ip: str | None = None, today: date | None = None) -> None:
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    plan = _editable_plan(session, family_id, plan_id)
    activity = _visible_activity(session, ws, plan, activity_id)
    check_version(activity, row_version, "This activity")
    values = _check_activity(ws, plan, data, session)
    change = apply_changes(activity, values)
    flush_changes(session, "This activity")
    audit.record(session, actor, AuditAction.PLAN_ACTIVITY_UPDATE, "plan_activity",
                 activity_id, {"plan_id": plan_id, **change, **_gate(activity)}, ip,
                 family_id=family_id)


def remove_activity(session: Session, actor: Actor, family_id: int, plan_id: int,
                    activity_id: int, *, ip: str | None = None,
                    today: date | None = None) -> None:
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    plan = _editable_plan(session, family_id, plan_id)
    activity = _visible_activity(session, ws, plan, activity_id)
    before = snapshot({"description": activity.description, "category": activity.category,
                       "hours_per_week": activity.hours_per_week})
    gated = _gate(activity)
    session.delete(activity)
    session.flush()
    audit.record(session, actor, AuditAction.PLAN_ACTIVITY_REMOVE, "plan_activity",
                 activity_id, {"plan_id": plan_id, "before": before, **gated}, ip,
                 family_id=family_id)


# --- moves ------------------------------------------------------------------------------------

MOVES: dict[str, tuple[tuple[PlanStatus, ...], PlanStatus, Permission, AuditAction,
                       PlanReviewAction]] = {
    "submit": ((PlanStatus.DRAFT, PlanStatus.RETURNED), PlanStatus.PENDING_APPROVAL,
               Permission.WORK_FAMILY, AuditAction.PLAN_SUBMIT, PlanReviewAction.SUBMITTED),
    "return": ((PlanStatus.PENDING_APPROVAL,), PlanStatus.RETURNED, Permission.APPROVE_PLAN,
               AuditAction.PLAN_RETURN, PlanReviewAction.RETURNED),
    "approve": ((PlanStatus.PENDING_APPROVAL,), PlanStatus.APPROVED, Permission.APPROVE_PLAN,
                AuditAction.PLAN_APPROVE, PlanReviewAction.APPROVED),
}


def move(session: Session, actor: Actor, family_id: int, plan_id: int, name: str, *,
         comment: str = "", ip: str | None = None, today: date | None = None) -> None:
    """Submit, return (with a comment) or approve a plan version: a guarded UPDATE from the
    states the move starts from, so a double click or a colleague's move cannot apply twice."""
    if name not in MOVES:
        raise NotFound(f"plan move {name}")
    before, after, permission, action, review = MOVES[name]
    for_change(session, actor, family_id, permission, ip=ip, today=today)
    plan = _plan(session, family_id, plan_id)
    comment = comment.strip()
    if name == "return" and not comment:
        raise InvalidInput("comment", "Say what the workers should change")
    if name == "submit":
        _ready(session, plan)
    if name == "approve" and plan.submitted_by_id == actor.user_id:
        raise PermissionDenied("whoever submitted a plan cannot approve it")
    was = PlanStatus(plan.status)
    now = datetime.now(UTC)
    stamp: dict[str, object] = {"submit": {"submitted_by_id": actor.user_id,
                                           "submitted_at": now, "return_comment": None},
                                "return": {"return_comment": comment},
                                "approve": {"approved_by_id": actor.user_id,
                                            "approved_at": now}}[name]
    hit = session.execute(
        update(CoordinatedPlan)
        .where(CoordinatedPlan.id == plan_id, CoordinatedPlan.status.in_(before))
        .values(status=after, row_version=CoordinatedPlan.row_version + 1, **stamp)
        .execution_options(synchronize_session=False)).rowcount
    if hit != 1:
        session.refresh(plan)
        raise Conflict(f"Version {plan.version} is {PlanStatus(plan.status).label.lower()} "
                       "now: someone else moved it on.")
    superseded = []
    if name == "approve":
        superseded = list(session.scalars(select(CoordinatedPlan.id).where(
            CoordinatedPlan.family_id == family_id, CoordinatedPlan.id != plan_id,
            CoordinatedPlan.status == PlanStatus.APPROVED)))
        if superseded:
            session.execute(
                update(CoordinatedPlan).where(CoordinatedPlan.id.in_(superseded))
                .values(status=PlanStatus.SUPERSEDED,
                        row_version=CoordinatedPlan.row_version + 1)
                .execution_options(synchronize_session=False))
    session.add(PlanReview(plan_id=plan_id, action=review, comment=comment or None,
                           user_id=actor.user_id))
    session.expire(plan)
    audit.record(session, actor, action, "coordinated_plan", plan_id,
                 {"before": {"status": was.value},
                  "after": {"status": after.value}, "comment": comment or None,
                  "superseded": superseded}, ip, family_id=family_id)


def _ready(session: Session, plan: CoordinatedPlan) -> None:
    if not (plan.family_goal or "").strip():
        raise InvalidInput("family_goal", "Enter the family goal before submitting")
    count = session.scalar(select(func.count(PlanActivity.id))
                           .where(PlanActivity.plan_id == plan.id)) or 0
    if count == 0:
        raise InvalidInput("plan", "Add at least one activity before submitting")


def revise(session: Session, actor: Actor, family_id: int, plan_id: int, *,
           ip: str | None = None, today: date | None = None) -> CoordinatedPlan:
    """Start the next version as a copy of the approved one (objectives and activities)."""
    for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    plan = _plan(session, family_id, plan_id)
    if PlanStatus(plan.status) is not PlanStatus.APPROVED:
        raise Conflict("Only the approved version can be revised.")
    latest = session.scalar(select(func.max(CoordinatedPlan.version))
                            .where(CoordinatedPlan.family_id == family_id))
    if latest != plan.version:
        raise Conflict(f"Version {latest} is already being worked on.")
    new = CoordinatedPlan(
        family_id=family_id, version=plan.version + 1, status=PlanStatus.DRAFT,
        family_goal=plan.family_goal, cws_case_plan_ref=plan.cws_case_plan_ref,
        wtw_plan_ref=plan.wtw_plan_ref, effective_from=plan.effective_from,
        next_review_on=plan.next_review_on, created_by_id=actor.user_id)
    session.add(new)
    session.flush()  # the (family, version) key refuses a second copy made at the same time
    # Every activity is copied, the ones this user may not see too: the copy is the plan's,
    # not the user's view of it.
    for goal in session.scalars(select(PlanGoal).where(PlanGoal.plan_id == plan.id)
                                .order_by(PlanGoal.id)):
        copy = PlanGoal(plan_id=new.id, description=goal.description, program=goal.program,
                        target_date=goal.target_date, status=goal.status)
        session.add(copy)
        session.flush()
        for a in session.scalars(select(PlanActivity).where(PlanActivity.goal_id == goal.id)
                                 .order_by(PlanActivity.id)):
            session.add(PlanActivity(
                goal_id=copy.id, plan_id=new.id, description=a.description,
                category=a.category, program=a.program, provider=a.provider,
                start_date=a.start_date, end_date=a.end_date, status=a.status,
                court_ordered=a.court_ordered, counts_toward_wtw=a.counts_toward_wtw,
                hours_per_week=a.hours_per_week, sensitive=a.sensitive, part2=a.part2,
                copied_from_id=a.id))
    session.flush()
    audit.record(session, actor, AuditAction.PLAN_REVISE, "coordinated_plan", new.id,
                 {"from_version": plan.version, "version": new.version}, ip,
                 family_id=family_id)
    return new


def acknowledge(session: Session, actor: Actor, family_id: int, plan_id: int,
                party: AcknowledgementParty, *, name: str = "",
                acknowledged_on: date | None = None, ip: str | None = None,
                today: date | None = None) -> None:
    """Record the parent's acknowledgement (by a worker, with the date signed) or the
    worker's own, of an approved version."""
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    plan = _plan(session, family_id, plan_id)
    if PlanStatus(plan.status) is not PlanStatus.APPROVED:
        raise Conflict("Only an approved plan is acknowledged.")
    on = acknowledged_on or ws.today
    if on > ws.today:
        raise InvalidInput("acknowledged_on", "The date cannot be in the future")
    if plan.approved_at is not None and on < plan.approved_at.date() - timedelta(days=1):
        raise InvalidInput("acknowledged_on", "The date cannot be before the plan was approved")
    user_id: int | None = None
    if party is AcknowledgementParty.PARENT:
        name = " ".join(name.split())
        if not name:
            raise InvalidInput("name", "Enter the parent's name as signed")
    else:
        program = Program.CWS if party is AcknowledgementParty.CWS_WORKER else Program.CALWORKS
        assigned = ws.header.worker(program)
        if assigned is None or assigned.user_id != actor.user_id:
            raise PermissionDenied(f"only the family's {program.label} worker acknowledges "
                                   "as such")
        user_id = actor.user_id
        name = session.scalar(select(User.display_name).where(User.id == actor.user_id)) or \
            actor.username
    if session.scalar(select(PlanAcknowledgement.id).where(
            PlanAcknowledgement.plan_id == plan_id, PlanAcknowledgement.party == party)):
        raise Conflict(f"The {party.label.lower()} has already acknowledged this version.")
    session.add(PlanAcknowledgement(plan_id=plan_id, party=party, name=name[:120],
                                    user_id=user_id, acknowledged_on=on,
                                    recorded_by_id=actor.user_id))
    session.flush()
    audit.record(session, actor, AuditAction.PLAN_ACKNOWLEDGE, "coordinated_plan", plan_id,
                 {"after": snapshot({"party": party, "name": name, "on": on})}, ip,
                 family_id=family_id)
