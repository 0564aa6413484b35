"""Worker pairing: a supervisor (for her program) or a program manager assigns the family's CWS
social worker and CalWORKs/WtW case manager from the active staff of that program in the county
that serves the family on that side. A reassignment ends the current assignment and starts a
new one, so the history keeps who worked the family, from when to when.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from linkages.models import MutualFamily, User, WorkerAssignment
from linkages.models.enums import AssignmentRole, FamilyStatus, Program, Role
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.consent import Candidate, team_candidates
from linkages.services.scope import Actor, Permission, PermissionDenied
from linkages.services.workspace import Conflict, InvalidInput, Section, Workspace, for_change
from linkages.services.workspace import open as open_workspace


@dataclass(frozen=True, slots=True)
class AssignmentView:
    id: int
    program: Program
    worker: str
    start_date: date
    end_date: date | None
    assigned_by: str | None


@dataclass(frozen=True)
class TeamSection:
    ws: Workspace
    assignments: list[AssignmentView]
    candidates: dict[Program, list[Candidate]]
    may_assign: dict[Program, bool]

    def current(self, program: Program) -> AssignmentView | None:
        return next((a for a in self.assignments
                     if a.program is program and a.end_date is None), None)

    @property
    def history(self) -> list[AssignmentView]:
        return [a for a in self.assignments if a.end_date is not None]


def may_assign(actor: Actor, ws: Workspace, program: Program) -> bool:
    """A program manager pairs either side in her county; a supervisor her own program's side
    in hers. The county is the one serving the family on that side (a family whose CWS child
    lives in another county gets its CWS worker there)."""
    if not actor.can(Permission.ASSIGN_WORKERS) or actor.county_cd is None:
        return False
    if actor.county_cd != ws.header.county_of(program):
        return False
    return actor.role is Role.PROGRAM_MANAGER or actor.program == program


_ASSIGNED_BY = aliased(User, name="assigned_by")


def section(session: Session, actor: Actor, family_id: int, *, ip: str | None = None,
            today: date | None = None) -> TeamSection:
    ws = open_workspace(session, actor, family_id, Section.TEAM, ip=ip, today=today)
    by = _ASSIGNED_BY
    rows = session.execute(
        select(WorkerAssignment.id, WorkerAssignment.program, User.display_name,
               WorkerAssignment.start_date, WorkerAssignment.end_date, by.display_name)
        .join(User, User.id == WorkerAssignment.user_id)
        .outerjoin(by, by.id == WorkerAssignment.assigned_by_id)
        .where(WorkerAssignment.family_id == family_id)
        .order_by(WorkerAssignment.start_date.desc(), WorkerAssignment.id.desc())).all()
    assignments = [AssignmentView(i, Program(p), n, s, e, b) for i, p, n, s, e, b in rows]
    allowed = {p: may_assign(actor, ws, p) for p in Program}
    candidates: dict[Program, list[Candidate]] = {p: [] for p in Program}
    if any(allowed.values()):
        for c in team_candidates(session, ws):
            candidates[c.program].append(c)
    return TeamSection(ws, assignments, candidates, allowed)


def _current(session: Session, family_id: int, program: Program) -> WorkerAssignment | None:
    return session.scalar(select(WorkerAssignment).where(
        WorkerAssignment.family_id == family_id, WorkerAssignment.program == program,
        WorkerAssignment.role == AssignmentRole.PRIMARY, WorkerAssignment.end_date.is_(None)))


def _end(session: Session, current: WorkerAssignment, actor: Actor, today: date) -> None:
    # Guarded: two supervisors reassigning at once cannot both end the same assignment.
    hit = session.execute(
        update(WorkerAssignment)
        .where(WorkerAssignment.id == current.id, WorkerAssignment.end_date.is_(None))
        .values(end_date=today, ended_by_id=actor.user_id)
        .execution_options(synchronize_session=False)).rowcount
    if hit != 1:
        raise Conflict("Someone else changed this assignment a moment ago: look again.")
    session.expire(current)


def assign(session: Session, actor: Actor, family_id: int, program: Program, user_id: int, *,
           ip: str | None = None, today: date | None = None) -> WorkerAssignment:
    ws = for_change(session, actor, family_id, Permission.ASSIGN_WORKERS, ip=ip, today=today)
    if not may_assign(actor, ws, program):
        raise PermissionDenied(f"{actor.role} may not assign the {program.label} worker here")
    names = {c.user_id: c.display_name for c in team_candidates(session, ws)
             if c.program is program}
    if user_id not in names:
        raise InvalidInput(f"{program.value}_worker",
                           f"Choose an active {program.label} worker of "
                           f"{ws.header.county_name_of(program)} County")
    current = _current(session, family_id, program)
    before = None
    if current is not None:
        if current.user_id == user_id:
            raise InvalidInput(f"{program.value}_worker", f"{names[user_id]} is already the "
                               f"{program.label} worker")
        before = {"user_id": current.user_id,
                  "worker": session.scalar(select(User.display_name)
                                           .where(User.id == current.user_id))}
        _end(session, current, actor, ws.today)
    assignment = WorkerAssignment(family_id=family_id, user_id=user_id, program=program,
                                  role=AssignmentRole.PRIMARY, start_date=ws.today,
                                  assigned_by_id=actor.user_id)
    session.add(assignment)
    session.flush()
    audit.record(session, actor, AuditAction.WORKER_ASSIGN, "worker_assignment", assignment.id,
                 {"program": program.value, "before": before,
                  "after": {"user_id": user_id, "worker": names[user_id],
                            "start_date": ws.today.isoformat()}},
                 ip, family_id=family_id)
    _activate_when_paired(session, actor, family_id, ip)
    return assignment


def unassign(session: Session, actor: Actor, family_id: int, program: Program, *,
             ip: str | None = None, today: date | None = None) -> None:
    """End the program's assignment without a successor (the worker left): the family shows
    among those without a pair until someone is assigned."""
    ws = for_change(session, actor, family_id, Permission.ASSIGN_WORKERS, ip=ip, today=today)
    if not may_assign(actor, ws, program):
        raise PermissionDenied(f"{actor.role} may not end the {program.label} assignment here")
    current = _current(session, family_id, program)
    if current is None:
        raise Conflict(f"The family has no {program.label} worker to unassign.")
    user_id = current.user_id
    _end(session, current, actor, ws.today)
    audit.record(session, actor, AuditAction.WORKER_UNASSIGN, "worker_assignment", current.id,
                 {"program": program.value, "before": {"user_id": user_id, "end_date": None},
                  "after": {"end_date": ws.today.isoformat()}}, ip, family_id=family_id)


def _activate_when_paired(session: Session, actor: Actor, family_id: int,
                          ip: str | None) -> None:
    """An identified family with a worker on each side is co-case-managed from now on."""
    programs = set(session.scalars(select(WorkerAssignment.program).where(
        WorkerAssignment.family_id == family_id, WorkerAssignment.end_date.is_(None))))
    if {Program(p) for p in programs} != set(Program):
        return
    hit = session.execute(
        update(MutualFamily)
        .where(MutualFamily.id == family_id, MutualFamily.status == FamilyStatus.IDENTIFIED)
        .values(status=FamilyStatus.ACTIVE)
        .execution_options(synchronize_session=False)).rowcount
    if hit:
        audit.record(session, actor, AuditAction.FAMILY_STATUS, "mutual_family", family_id,
                     {"before": {"status": "identified"}, "after": {"status": "active"}}, ip)
