"""`linkages casework generate`: every state of the casework appears, the same seed and day
give the same casework, a second run leaves worked families alone, and what it writes is what
the services read."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linkages.casework.generate import generate
from linkages.cli import main
from linkages.db import get_engine, session_scope
from linkages.db.migrate import upgrade
from linkages.models import (
    CalworksCase,
    CalworksPerson,
    Consent,
    ContactNote,
    CoordinatedPlan,
    JointMeeting,
    MutualFamily,
    PlanActivity,
    ServiceAuthorization,
    User,
    WorkerAssignment,
)
from linkages.models.enums import AidStatus, CalworksRole, FamilyStatus, Role
from linkages.services import dashboard, plans
from linkages.services.scope import Actor

AS_OF = date(2026, 12, 2)


def families(session: Session, n: int = 240) -> None:
    for i in range(n):
        case = CalworksCase(case_number=f"C{i:05d}", county_cd=10, aid_status=AidStatus.ACTIVE,
                            parents_in_au=1)
        session.add(case)
        session.flush()
        session.add(CalworksPerson(record_id=f"C{i:05d}-H", case_id=case.id,
                                   role=CalworksRole.CASE_HEAD, first_name="ROSA",
                                   last_name=f"FAMILY{i}"))
        session.add(MutualFamily(county_cd=10, cws_county_cd=19 if i % 15 == 0 else 10,
                                 calworks_case_id=case.id, display_name=f"FAMILY{i} family",
                                 identified_on=AS_OF))


def statuses(db_url: str) -> dict[str, Counter[str]]:
    with session_scope(db_url) as s:
        return {
            "plan": Counter(map(str, s.scalars(select(CoordinatedPlan.status)))),
            "service": Counter(map(str, s.scalars(select(ServiceAuthorization.status)))),
            "meeting": Counter(map(str, s.scalars(select(JointMeeting.status)))),
            "family": Counter(map(str, s.scalars(select(MutualFamily.status)))),
        }


def test_every_state_deterministic_and_idempotent(db_url: str, tmp_path: Path) -> None:
    with session_scope(db_url) as s:
        families(s)
    engine = get_engine(db_url)
    summary = generate(engine, counties=[10], share=1.0, seed=7, as_of=AS_OF)
    assert summary.families == 240 and summary.skipped == 0
    seen = statuses(db_url)
    assert set(seen["plan"]) == {"draft", "pending_approval", "returned", "approved",
                                 "superseded"}
    assert set(seen["service"]) == {"requested", "approved", "denied", "delivered",
                                    "cancelled"}
    assert set(seen["meeting"]) == {"scheduled", "held", "cancelled"}
    assert seen["family"]["active"] > 150 and seen["family"]["identified"] > 5
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).where(Consent.revoked_on.is_not(None))) > 0
        assert s.scalar(select(func.count()).where(WorkerAssignment.end_date.is_not(None))) > 0
        assert set(s.scalars(select(ContactNote.program))) == {"cws", "calworks"}
        assert s.scalar(select(func.count()).where(PlanActivity.part2.is_(True))) > 0
        # Families whose CWS child lives in Los Angeles get a Los Angeles CWS worker.
        la = s.scalars(select(User.county_cd).join(
            WorkerAssignment, WorkerAssignment.user_id == User.id).join(
            MutualFamily, MutualFamily.id == WorkerAssignment.family_id).where(
            MutualFamily.cws_county_cd == 19, WorkerAssignment.program == "cws")).all()
        assert la and set(la) == {19}
        # The history is backdated: identified before its first meeting.
        first = s.execute(select(MutualFamily.identified_on, func.min(JointMeeting.scheduled_at))
                          .join(JointMeeting, JointMeeting.family_id == MutualFamily.id)
                          .group_by(MutualFamily.id)).all()
        assert all(day < at.date() for day, at in first)

    again = generate(engine, counties=[10], share=1.0, seed=7, as_of=AS_OF)
    assert again.families == 0 and again.skipped == 240 and again.staff_created == 0
    assert statuses(db_url) == seen

    # The same seed and day on another database: the same casework, row for row.
    if db_url.startswith("sqlite"):
        other_url = f"sqlite:///{tmp_path / 'other.db'}"
        upgrade(other_url)
        with session_scope(other_url) as s:
            families(s)
        generate(get_engine(other_url), counties=[10], share=1.0, seed=7, as_of=AS_OF)
        assert fingerprint(other_url) == fingerprint(db_url)


def fingerprint(url: str) -> list[tuple[object, ...]]:
    with session_scope(url) as s:
        return [
            *s.execute(select(CoordinatedPlan.family_id, CoordinatedPlan.version,
                              CoordinatedPlan.status).order_by(CoordinatedPlan.id)).all(),
            *s.execute(select(ServiceAuthorization.family_id, ServiceAuthorization.amount,
                              ServiceAuthorization.status)
                       .order_by(ServiceAuthorization.id)).all(),
            *s.execute(select(JointMeeting.family_id, JointMeeting.scheduled_at)
                       .order_by(JointMeeting.id)).all(),
        ]


def test_the_generated_casework_reads_through_the_services(db_url: str) -> None:
    with session_scope(db_url) as s:
        families(s, 60)
    generate(get_engine(db_url), counties=[10], share=1.0, seed=3, as_of=AS_OF)
    with session_scope(db_url) as s:
        worker = s.scalars(select(User).where(User.role == Role.CWS_WORKER)).first()
        sup = s.scalars(select(User).where(User.role == Role.CALWORKS_SUPERVISOR)).first()
        assert worker is not None and sup is not None
        board = dashboard.for_user(s, Actor.from_user(worker), today=AS_OF)
        assert board.caseload
        fid = board.caseload[0].family_id
        view = plans.section(s, Actor.from_user(worker), fid, today=AS_OF)
        assert view.requirement.hours == 30
        sup_board = dashboard.for_user(s, Actor.from_user(sup), today=AS_OF)
        assert sup_board.pending_plans is not None


def test_the_command(db_url: str) -> None:
    with session_scope(db_url) as s:
        families(s, 20)
    result = CliRunner().invoke(main, ["casework", "generate", "--county", "10", "--share",
                                       "1", "--as-of", "2026-12-02"])
    assert result.exit_code == 0, result.output
    assert "casework for 20 families" in result.output
    result = CliRunner().invoke(main, ["casework", "generate", "--county", "10", "--share",
                                       "1", "--as-of", "2026-12-02"])
    assert "20 families already had casework: left as they were" in result.output
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(MutualFamily).where(
            MutualFamily.status == FamilyStatus.ACTIVE)) > 10
