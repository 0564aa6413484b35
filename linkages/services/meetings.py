"""Joint meetings: initial coordination, Child and Family Team (CFT), MCPC/TDM, review,
transition or closing.

A meeting is scheduled first. Recording the held meeting takes steps (details, people,
actions), each saved at once on the meeting's own rows while it is still ``scheduled`` (a draft
kept in the database, never in the cookie session), then one final submit re-checks everything
and marks it ``held``. Action items carry an owner, a program, a due date and a status, and
may be tied to a plan activity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from linkages.models import (
    ActionItem,
    CoordinatedPlan,
    JointMeeting,
    MeetingParticipant,
    PlanActivity,
    User,
)
from linkages.models.enums import (
    MeetingStatus,
    MeetingType,
    ParticipationMethod,
    PlanProgram,
    TeamRole,
    WorkStatus,
)
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import Actor, NotFound, Permission
from linkages.services.workspace import (
    LOCAL_ZONE,
    Conflict,
    InvalidInput,
    Section,
    Workspace,
    apply_changes,
    as_local,
    check_version,
    flush_changes,
    for_change,
    local_now,
    snapshot,
)
from linkages.services.workspace import open as open_workspace

SCHEDULE_WINDOW = timedelta(days=366)  # a meeting is scheduled within a year either side


@dataclass(frozen=True, slots=True)
class ScheduleInput:
    meeting_type: MeetingType
    scheduled_at: datetime  # California time, naive or aware
    location: str = ""
    method: ParticipationMethod | None = None


@dataclass(frozen=True, slots=True)
class DetailsInput:
    held_at: datetime
    language: str = ""
    interpreter: bool = False
    confidentiality_reviewed: bool = False
    strengths: str = ""
    needs: str = ""
    safety_concerns: str = ""
    options_considered: str = ""
    decisions: str = ""
    next_meeting_on: date | None = None


@dataclass(frozen=True, slots=True)
class ParticipantInput:
    name: str
    team_role: TeamRole
    invited: bool = True
    attended: bool = False
    method: ParticipationMethod | None = None
    user_id: int | None = None


@dataclass(frozen=True, slots=True)
class ActionInput:
    description: str
    responsible: str
    responsible_program: PlanProgram
    due_on: date
    status: WorkStatus = WorkStatus.OPEN
    activity_id: int | None = None


@dataclass(frozen=True, slots=True)
class MeetingSummary:
    id: int
    meeting_type: MeetingType
    status: MeetingStatus
    scheduled_at: datetime
    held_at: datetime | None
    location: str | None
    participants: int
    open_actions: int


@dataclass(frozen=True)
class MeetingsSection:
    ws: Workspace
    upcoming: list[MeetingSummary]
    past: list[MeetingSummary]


@dataclass(frozen=True, slots=True)
class ActivityChoice:
    id: int
    label: str


@dataclass(frozen=True)
class MeetingDetail:
    ws: Workspace
    meeting: JointMeeting
    participants: list[MeetingParticipant]
    actions: list[ActionItem]
    activities: list[ActivityChoice] = field(default_factory=list)
    created_by: str | None = None
    recorded_by: str | None = None

    @property
    def scheduled_local(self) -> datetime:
        return as_local(self.meeting.scheduled_at)

    @property
    def held_local(self) -> datetime | None:
        return as_local(self.meeting.held_at) if self.meeting.held_at else None

    @property
    def recordable(self) -> bool:
        return self.meeting.status == MeetingStatus.SCHEDULED

    def activity_label(self, activity_id: int | None) -> str | None:
        return next((a.label for a in self.activities if a.id == activity_id), None)

    @property
    def problems(self) -> list[tuple[str, str]]:
        """What still stops the record from being submitted: (step, message)."""
        return _problems(self.meeting, self.participants, self.actions)


def _aware(value: datetime) -> datetime:
    """A time from a form (California wall clock) as an aware time. Stored in UTC: SQLite
    keeps no time zone, so every stored time is UTC on both databases."""
    return value.replace(tzinfo=LOCAL_ZONE) if value.tzinfo is None else value


def section(session: Session, actor: Actor, family_id: int, *, ip: str | None = None,
            today: date | None = None) -> MeetingsSection:
    ws = open_workspace(session, actor, family_id, Section.MEETINGS, ip=ip, today=today)
    participants = (select(func.count(MeetingParticipant.id))
                    .where(MeetingParticipant.meeting_id == JointMeeting.id)
                    .correlate(JointMeeting).scalar_subquery())
    open_actions = (select(func.count(ActionItem.id))
                    .where(ActionItem.meeting_id == JointMeeting.id,
                           ActionItem.status.in_([WorkStatus.OPEN, WorkStatus.IN_PROGRESS]))
                    .correlate(JointMeeting).scalar_subquery())
    rows = session.execute(
        select(JointMeeting.id, JointMeeting.meeting_type, JointMeeting.status,
               JointMeeting.scheduled_at, JointMeeting.held_at, JointMeeting.location,
               participants, open_actions)
        .where(JointMeeting.family_id == family_id)
        .order_by(JointMeeting.scheduled_at.desc(), JointMeeting.id.desc())).all()
    meetings = [MeetingSummary(i, MeetingType(t), MeetingStatus(s), as_local(at),
                               as_local(h) if h else None, loc, int(p or 0), int(a or 0))
                for i, t, s, at, h, loc, p, a in rows]
    upcoming = sorted([m for m in meetings if m.status is MeetingStatus.SCHEDULED],
                      key=lambda m: m.scheduled_at)
    past = [m for m in meetings if m.status is not MeetingStatus.SCHEDULED]
    return MeetingsSection(ws, upcoming, past)


def _meeting(session: Session, family_id: int, meeting_id: int) -> JointMeeting:
    meeting = session.scalar(select(JointMeeting).where(
        JointMeeting.id == meeting_id, JointMeeting.family_id == family_id))
    if meeting is None:
        raise NotFound(f"meeting {meeting_id}")
    return meeting


def activity_choices(session: Session, ws: Workspace) -> list[ActivityChoice]:
    """Activities of the family's current plan version an action item may be tied to, as the
    actor may see them (sensitive and Part 2 ones only under consent)."""
    from linkages.services.plans import activity_gate

    latest = (select(CoordinatedPlan.id).where(CoordinatedPlan.family_id == ws.header.id)
              .order_by(CoordinatedPlan.version.desc()).limit(1).scalar_subquery())
    rows = session.execute(
        select(PlanActivity.id, PlanActivity.description)
        .where(PlanActivity.plan_id == latest, activity_gate(ws))
        .order_by(PlanActivity.id)).all()
    return [ActivityChoice(i, d if len(d) <= 80 else d[:77] + "…") for i, d in rows]


def detail(session: Session, actor: Actor, family_id: int, meeting_id: int, *,
           ip: str | None = None, today: date | None = None,
           step: str | None = None) -> MeetingDetail:
    ws = open_workspace(session, actor, family_id, Section.MEETINGS, ip=ip, today=today,
                        detail={"meeting_id": meeting_id, "step": step})
    meeting = _meeting(session, family_id, meeting_id)
    names = dict(session.execute(select(User.id, User.display_name).where(
        User.id.in_([i for i in (meeting.created_by_id, meeting.recorded_by_id) if i]))).all())
    return MeetingDetail(ws, meeting, list(meeting.participants), list(meeting.action_items),
                         activity_choices(session, ws), names.get(meeting.created_by_id),
                         names.get(meeting.recorded_by_id))


def current_version(session: Session, family_id: int, meeting_id: int) -> int | None:
    """The version a refused save is re-shown against (its next save starts from it)."""
    return session.scalar(select(JointMeeting.row_version).where(
        JointMeeting.id == meeting_id, JointMeeting.family_id == family_id))


def _check_schedule(data: ScheduleInput) -> datetime:
    at = _aware(data.scheduled_at)
    now = local_now()
    if at < now - SCHEDULE_WINDOW or at > now + SCHEDULE_WINDOW:
        raise InvalidInput("scheduled_at", "Enter a date within a year of today")
    if len(data.location) > 200:
        raise InvalidInput("location", "Enter at most 200 characters")
    return at


def schedule(session: Session, actor: Actor, family_id: int, data: ScheduleInput, *,
             ip: str | None = None, today: date | None = None) -> JointMeeting:
    for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    at = _check_schedule(data)
    meeting = JointMeeting(family_id=family_id, meeting_type=data.meeting_type,
                           status=MeetingStatus.SCHEDULED, scheduled_at=at.astimezone(UTC),
                           location=data.location.strip() or None, method=data.method,
                           facilitator_id=actor.user_id, created_by_id=actor.user_id)
    session.add(meeting)
    session.flush()
    audit.record(session, actor, AuditAction.MEETING_SCHEDULE, "joint_meeting", meeting.id,
                 {"after": snapshot({"meeting_type": data.meeting_type, "scheduled_at": at,
                                     "location": meeting.location, "method": data.method})},
                 ip, family_id=family_id)
    return meeting


def _editable(session: Session, actor: Actor, family_id: int, meeting_id: int,
              row_version: int | None, ip: str | None, today: date | None
              ) -> tuple[Workspace, JointMeeting]:
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    meeting = _meeting(session, family_id, meeting_id)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise Conflict(f"This meeting is already {meeting.status.value}: it can no longer be "
                       "changed.")
    check_version(meeting, row_version, "This meeting")
    return ws, meeting


def reschedule(session: Session, actor: Actor, family_id: int, meeting_id: int,
               data: ScheduleInput, *, row_version: int | None, ip: str | None = None,
               today: date | None = None) -> None:
    _, meeting = _editable(session, actor, family_id, meeting_id, row_version, ip, today)
    at = _check_schedule(data)
    change = apply_changes(meeting, {"meeting_type": data.meeting_type,
                                     "scheduled_at": at.astimezone(UTC),
                                     "location": data.location.strip() or None,
                                     "method": data.method})
    if meeting.held_at is not None and as_local(meeting.held_at).date() < at.date():
        raise InvalidInput("scheduled_at", "The meeting's recorded date is before this: a "
                           "meeting is not held before it is scheduled")
    flush_changes(session, "This meeting")
    audit.record(session, actor, AuditAction.MEETING_UPDATE, "joint_meeting", meeting_id,
                 {"step": "schedule", **change}, ip, family_id=family_id)


def cancel(session: Session, actor: Actor, family_id: int, meeting_id: int, reason: str, *,
           row_version: int | None, ip: str | None = None, today: date | None = None) -> None:
    _, meeting = _editable(session, actor, family_id, meeting_id, row_version, ip, today)
    if not reason.strip():
        raise InvalidInput("reason", "Say why the meeting is cancelled")
    change = apply_changes(meeting, {"status": MeetingStatus.CANCELLED,
                                     "cancel_reason": reason.strip()})
    flush_changes(session, "This meeting")
    audit.record(session, actor, AuditAction.MEETING_CANCEL, "joint_meeting", meeting_id,
                 change, ip, family_id=family_id)


def _check_details(meeting: JointMeeting, data: DetailsInput) -> datetime:
    held = _aware(data.held_at)
    scheduled = as_local(meeting.scheduled_at)
    if held.date() < scheduled.date():
        raise InvalidInput("held_at", "A meeting is not held before it is scheduled "
                           f"({scheduled:%Y-%m-%d}): change the schedule first")
    if held > local_now() + timedelta(minutes=5):
        raise InvalidInput("held_at", "A meeting cannot be recorded as held in the future")
    if data.next_meeting_on is not None and data.next_meeting_on <= held.date():
        raise InvalidInput("next_meeting_on", "The next meeting must be after this one")
    if len(data.language) > 60:
        raise InvalidInput("language", "Enter at most 60 characters")
    return held


def save_details(session: Session, actor: Actor, family_id: int, meeting_id: int,
                 data: DetailsInput, *, row_version: int | None, ip: str | None = None,
                 today: date | None = None) -> None:
    """Step 1 of recording: when it was held, language, confidentiality, and what the team
    found and decided. Saved at once; the meeting stays scheduled until submitted."""
    _, meeting = _editable(session, actor, family_id, meeting_id, row_version, ip, today)
    held = _check_details(meeting, data)
    for item in meeting.action_items:
        if item.due_on < held.date():
            raise InvalidInput("held_at", f"An action item is due {item.due_on:%Y-%m-%d}, "
                               "before this date: change it first")
    change = apply_changes(meeting, {
        "held_at": held.astimezone(UTC), "language": data.language.strip() or None,
        "interpreter": data.interpreter,
        "confidentiality_reviewed": data.confidentiality_reviewed,
        "strengths": data.strengths.strip() or None, "needs": data.needs.strip() or None,
        "safety_concerns": data.safety_concerns.strip() or None,
        "options_considered": data.options_considered.strip() or None,
        "decisions": data.decisions.strip() or None, "next_meeting_on": data.next_meeting_on,
        "recorded_by_id": actor.user_id,
    })
    flush_changes(session, "This meeting")
    audit.record(session, actor, AuditAction.MEETING_UPDATE, "joint_meeting", meeting_id,
                 {"step": "details", **change}, ip, family_id=family_id)


def add_participant(session: Session, actor: Actor, family_id: int, meeting_id: int,
                    data: ParticipantInput, *, ip: str | None = None,
                    today: date | None = None) -> MeetingParticipant:
    _, meeting = _editable(session, actor, family_id, meeting_id, None, ip, today)
    name = " ".join(data.name.split())
    if not name:
        raise InvalidInput("name", "Enter the participant's name")
    if len(name) > 120:
        raise InvalidInput("name", "Enter at most 120 characters")
    if data.attended and data.method is None:
        raise InvalidInput("method", "Say how the participant took part")
    if not data.attended and data.method is not None:
        raise InvalidInput("method", "Only a participant who attended has a method")
    if any(p.name.lower() == name.lower() and p.team_role == data.team_role
           for p in meeting.participants):
        raise InvalidInput("name", f"{name} is already listed as {data.team_role.label}")
    participant = MeetingParticipant(meeting_id=meeting_id, name=name,
                                     team_role=data.team_role, user_id=data.user_id,
                                     invited=data.invited, attended=data.attended,
                                     method=data.method)
    meeting.participants.append(participant)
    session.flush()
    audit.record(session, actor, AuditAction.MEETING_PARTICIPANT_ADD, "meeting_participant",
                 participant.id,
                 {"meeting_id": meeting_id,
                  "after": snapshot({"name": name, "team_role": data.team_role,
                                     "invited": data.invited, "attended": data.attended,
                                     "method": data.method})},
                 ip, family_id=family_id)
    return participant


def remove_participant(session: Session, actor: Actor, family_id: int, meeting_id: int,
                       participant_id: int, *, ip: str | None = None,
                       today: date | None = None) -> None:
    _, meeting = _editable(session, actor, family_id, meeting_id, None, ip, today)
    participant = next((p for p in meeting.participants if p.id == participant_id), None)
    if participant is None:
        raise NotFound(f"participant {participant_id}")
    before = snapshot({"name": participant.name, "team_role": participant.team_role})
    meeting.participants.remove(participant)
    session.flush()
    audit.record(session, actor, AuditAction.MEETING_PARTICIPANT_REMOVE,
                 "meeting_participant", participant_id,
                 {"meeting_id": meeting_id, "before": before}, ip, family_id=family_id)


def add_action(session: Session, actor: Actor, family_id: int, meeting_id: int,
               data: ActionInput, *, ip: str | None = None,
               today: date | None = None) -> ActionItem:
    ws, meeting = _editable(session, actor, family_id, meeting_id, None, ip, today)
    description = data.description.strip()
    if not description:
        raise InvalidInput("description", "Say what is to be done")
    responsible = " ".join(data.responsible.split())
    if not responsible:
        raise InvalidInput("responsible", "Enter who will do it")
    if len(responsible) > 120:
        raise InvalidInput("responsible", "Enter at most 120 characters")
    meeting_day = as_local(meeting.held_at or meeting.scheduled_at).date()
    if data.due_on < meeting_day:
        raise InvalidInput("due_on", f"The due date cannot be before the meeting "
                           f"({meeting_day:%Y-%m-%d})")
    if data.due_on > meeting_day + SCHEDULE_WINDOW:
        raise InvalidInput("due_on", "Enter a due date within a year of the meeting")
    if data.activity_id is not None and data.activity_id not in {
            a.id for a in activity_choices(session, ws)}:
        raise InvalidInput("activity_id", "Choose an activity of the family's plan")
    item = ActionItem(meeting_id=meeting_id, family_id=family_id, description=description,
                      responsible=responsible, responsible_program=data.responsible_program,
                      due_on=data.due_on, status=data.status, activity_id=data.activity_id)
    meeting.action_items.append(item)
    session.flush()
    audit.record(session, actor, AuditAction.MEETING_ACTION_ADD, "action_item", item.id,
                 {"meeting_id": meeting_id,
                  "after": snapshot({"description": description, "responsible": responsible,
                                     "responsible_program": data.responsible_program,
                                     "due_on": data.due_on, "status": data.status,
                                     "activity_id": data.activity_id})},
                 ip, family_id=family_id)
    return item


def remove_action(session: Session, actor: Actor, family_id: int, meeting_id: int,
                  action_id: int, *, ip: str | None = None, today: date | None = None) -> None:
    _, meeting = _editable(session, actor, family_id, meeting_id, None, ip, today)
    item = next((a for a in meeting.action_items if a.id == action_id), None)
    if item is None:
        raise NotFound(f"action item {action_id}")
    before = snapshot({"description": item.description, "due_on": item.due_on})
    meeting.action_items.remove(item)
    session.flush()
    audit.record(session, actor, AuditAction.MEETING_ACTION_REMOVE, "action_item", action_id,
                 {"meeting_id": meeting_id, "before": before}, ip, family_id=family_id)


def _problems(meeting: JointMeeting, participants: list[MeetingParticipant],
              actions: list[ActionItem]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if meeting.held_at is None:
        out.append(("details", "Enter when the meeting was held"))
    elif as_local(meeting.held_at).date() < as_local(meeting.scheduled_at).date():
        out.append(("details", "The meeting cannot be held before it was scheduled"))
    if not any(p.attended for p in participants):
        out.append(("people", "Add the participants who attended"))
    if meeting.held_at is not None:
        day = as_local(meeting.held_at).date()
        if any(a.due_on < day for a in actions):
            out.append(("actions", "An action item is due before the meeting"))
        if meeting.next_meeting_on is not None and meeting.next_meeting_on <= day:
            out.append(("details", "The next meeting must be after this one"))
    return out


def submit_record(session: Session, actor: Actor, family_id: int, meeting_id: int, *,
                  row_version: int | None, ip: str | None = None,
                  today: date | None = None) -> None:
    """The final step: re-check the whole record and mark the meeting held, once."""
    _, meeting = _editable(session, actor, family_id, meeting_id, row_version, ip, today)
    problems = _problems(meeting, list(meeting.participants), list(meeting.action_items))
    if problems:
        raise InvalidInput(problems[0][0], problems[0][1])
    hit = session.execute(
        update(JointMeeting)
        .where(JointMeeting.id == meeting_id, JointMeeting.status == MeetingStatus.SCHEDULED,
               JointMeeting.row_version == meeting.row_version)
        .values(status=MeetingStatus.HELD, recorded_by_id=actor.user_id,
                row_version=JointMeeting.row_version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if hit != 1:
        raise Conflict("Someone else recorded or changed this meeting a moment ago.")
    session.expire(meeting)
    audit.record(session, actor, AuditAction.MEETING_RECORD, "joint_meeting", meeting_id,
                 {"before": {"status": "scheduled"}, "after": {
                     "status": "held",
                     "participants": len(meeting.participants),
                     "attended": sum(p.attended for p in meeting.participants),
                     "action_items": len(meeting.action_items)}},
                 ip, family_id=family_id)


def set_action_status(session: Session, actor: Actor, family_id: int, action_id: int,
                      status: WorkStatus, *, expected: WorkStatus | None = None,
                      ip: str | None = None, today: date | None = None) -> None:
    """Move an action item on (in progress, done, cancelled). ``expected`` is the status the
    page showed: if it moved since, the change is refused rather than applied twice."""
    ws = for_change(session, actor, family_id, Permission.WORK_FAMILY, ip=ip, today=today)
    item = session.scalar(select(ActionItem).where(ActionItem.id == action_id,
                                                   ActionItem.family_id == family_id))
    if item is None:
        raise NotFound(f"action item {action_id}")
    before = WorkStatus(item.status)
    if expected is not None and before != expected:
        raise Conflict(f"This action item is already {before.label.lower()}.")
    if before == status:
        return
    completed = ws.today if status == WorkStatus.DONE else None
    hit = session.execute(
        update(ActionItem).where(ActionItem.id == action_id, ActionItem.status == before)
        .values(status=status, completed_on=completed)
        .execution_options(synchronize_session=False)).rowcount
    if hit != 1:
        raise Conflict("Someone else changed this action item a moment ago.")
    session.expire(item)
    audit.record(session, actor, AuditAction.ACTION_STATUS, "action_item", action_id,
                 {"before": {"status": before.value}, "after": {"status": status.value}},
                 ip, family_id=family_id)
