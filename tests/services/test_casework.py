"""Co-case-management services on SQLite and PostgreSQL: the consent gate, pairing, meetings
recorded in steps, the versioned plan with its hours, shared-resource services, notes, the
dashboard and the family's history, each change audited with before and after values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from mutual_family_fixtures import Seeded
from sqlalchemy import select
from sqlalchemy.orm import Session

from linkages.models import AuditEvent, CalworksCase, CoordinatedPlan, MutualFamily
from linkages.models.enums import (
    AcknowledgementParty,
    ActivityCategory,
    AuthorizationStatus,
    ContactType,
    FamilyStatus,
    FundSource,
    LegalBasis,
    MeetingStatus,
    MeetingType,
    ParticipationMethod,
    PlanProgram,
    PlanStatus,
    Program,
    ServiceCategory,
    SignerRelationship,
    TeamRole,
    WorkStatus,
)
from linkages.services import (
    consent,
    dashboard,
    family_record,
    meetings,
    notes,
    plans,
    resources,
    team,
    workspace,
)
from linkages.services.scope import Actor, NotFound, PermissionDenied
from linkages.services.workspace import Conflict, InvalidInput

MakeActor = Callable[[str], Actor]
# The real local day: the services stamp decisions and approvals with the clock, and a fixed
# day falls behind them as the calendar moves on. Every other date is relative to it.
TODAY = workspace.local_today()
SIGNED = TODAY - timedelta(days=180)


def consent_for(session: Session, who: Actor, family_id: int, *, cws: bool = False,
                calworks: bool = False, basis: LegalBasis = LegalBasis.WIC_10850,
                recipients: tuple[int, ...] = (), signed: date = SIGNED
                ) -> int:
    c = consent.record(session, who, family_id, consent.ConsentInput(
        signer_name="Rosa Garcia Lopez", signer_relationship=SignerRelationship.PARENT,
        legal_basis=basis, covers_cws=cws, covers_calworks=calworks,
        purpose="Coordinate the family's CalWORKs and CWS plans", signed_on=signed,
        recipient_ids=recipients), today=TODAY)
    session.flush()
    return c.id


def actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


# --- consent ---------------------------------------------------------------------------------

def test_calworks_detail_reaches_cws_staff_only_while_a_consent_covers_it(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    cws, calworks = actor("fresno-cws"), actor("fresno-calworks")
    view = family_record.overview(session, cws, seeded.garcia, today=TODAY)
    assert view.calworks is None and view.cws is not None
    assert view.ws.withheld == ["calworks"]
    assert view.cws.referrals[0].allegations[0].disposition == "substantiated"
    assert view.cws.current_component is not None
    assert "Family Reunification" in view.cws.current_component.component
    assert view.cws.episodes[0].placements[0].facility.startswith("Relative/NREFM Home")
    own = family_record.overview(session, calworks, seeded.garcia, today=TODAY)
    assert own.cws is None and own.calworks is not None and own.calworks.sanction
    assert len(own.calworks.aid_periods) == 2

    cid = consent_for(session, calworks, seeded.garcia, calworks=True)
    shared = family_record.overview(session, cws, seeded.garcia, today=TODAY)
    assert shared.calworks is not None and shared.calworks.wtw_label == "Sanction"
    # It releases CalWORKs information only: CWS detail stays with CWS.
    assert family_record.overview(session, calworks, seeded.garcia, today=TODAY).cws is None

    consent.revoke(session, calworks, seeded.garcia, cid, revoked_on=TODAY,
                   note="Withdrawn by phone", today=TODAY)
    assert family_record.overview(session, cws, seeded.garcia, today=TODAY).calworks is None
    events = session.execute(select(AuditEvent.action, AuditEvent.detail)
                             .where(AuditEvent.action == "consent.revoke")).all()
    assert events[0][1]["before"] == {"revoked_on": None}
    assert events[0][1]["after"]["revoked_on"] == TODAY.isoformat()


def test_a_consent_expires_after_a_year_and_then_hides_the_detail(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    cws, calworks = actor("fresno-cws"), actor("fresno-calworks")
    consent_for(session, calworks, seeded.garcia, calworks=True, signed=date(2026, 1, 15))
    expiry = date(2027, 1, 15)
    assert family_record.overview(session, cws, seeded.garcia, today=expiry).calworks
    assert family_record.overview(session, cws, seeded.garcia,
                                  today=expiry + timedelta(days=1)).calworks is None


def test_consent_input_is_checked_field_by_field(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    worker = actor("fresno-calworks")
    base = consent.ConsentInput(
        signer_name="Rosa", signer_relationship=SignerRelationship.PARENT,
        legal_basis=LegalBasis.WIC_10850, covers_cws=False, covers_calworks=True,
        purpose="Coordination", signed_on=SIGNED)
    cases = {
        "programs": {"covers_calworks": False},
        "signed_on": {"signed_on": TODAY + timedelta(days=1)},
        "expires_on": {"expires_on": SIGNED + timedelta(days=367)},
        "recipients": {"legal_basis": LegalBasis.CFR42_PART2},
        "signer_name": {"signer_name": "  "},
    }
    for field, change in cases.items():
        with pytest.raises(InvalidInput) as err:
            consent.record(session, worker, seeded.garcia,
                           replace(base, **change), today=TODAY)
        assert err.value.field == field, change
    # Someone outside the family's counties cannot be named.
    with pytest.raises(InvalidInput):
        consent.record(session, worker, seeded.garcia, replace(
            base, recipient_ids=(seeded.users["la-cws"],)), today=TODAY)


def test_part2_activity_is_seen_only_by_those_a_part2_consent_names(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    calworks, cws = actor("fresno-calworks"), actor("fresno-cws")
    plan = plans.create(session, calworks, seeded.garcia, plans.PlanInput("Safe and working"),
                        today=TODAY)
    goal = plans.add_goal(session, calworks, seeded.garcia, plan.id,
                          plans.GoalInput("Stay sober", PlanProgram.SHARED), today=TODAY)
    aod = plans.ActivityInput(goal.id, "Outpatient treatment", ActivityCategory.SUBSTANCE_USE,
                              PlanProgram.CWS, counts_toward_wtw=True,
                              hours_per_week=Decimal("6"))
    with pytest.raises(InvalidInput) as err:
        plans.add_activity(session, calworks, seeded.garcia, plan.id, aod, today=TODAY)
    assert err.value.field == "category"
    cid = consent_for(session, calworks, seeded.garcia, basis=LegalBasis.CFR42_PART2,
                      recipients=(seeded.users["fresno-calworks"],))
    activity = plans.add_activity(session, calworks, seeded.garcia, plan.id, aod, today=TODAY)
    assert activity.sensitive and activity.part2
    mine = plans.section(session, calworks, seeded.garcia, today=TODAY)
    theirs = plans.section(session, cws, seeded.garcia, today=TODAY)
    assert [a.description for a in mine.activities] == ["Outpatient treatment"]
    assert theirs.activities == [] and theirs.hours == 0
    # The Part 2 consent itself tells of treatment: the CWS worker does not see it either.
    assert [c.id for c in consent.section(session, calworks, seeded.garcia,
                                          today=TODAY).consents] == [cid]
    assert consent.section(session, cws, seeded.garcia, today=TODAY).consents == []
    with pytest.raises(NotFound):
        plans.remove_activity(session, cws, seeded.garcia, plan.id, activity.id, today=TODAY)


def test_sensitive_activity_of_the_other_program_needs_consent(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    cws, calworks = actor("fresno-cws"), actor("fresno-calworks")
    plan = plans.create(session, cws, seeded.garcia, plans.PlanInput("Home together"),
                        today=TODAY)
    goal = plans.add_goal(session, cws, seeded.garcia, plan.id,
                          plans.GoalInput("Heal", PlanProgram.CWS), today=TODAY)
    plans.add_activity(session, cws, seeded.garcia, plan.id, plans.ActivityInput(
        goal.id, "Weekly therapy", ActivityCategory.MENTAL_HEALTH, PlanProgram.CWS),
        today=TODAY)
    plans.add_activity(session, cws, seeded.garcia, plan.id, plans.ActivityInput(
        goal.id, "Parenting class", ActivityCategory.PARENTING, PlanProgram.CWS), today=TODAY)
    seen = [a.description for a in plans.section(session, calworks, seeded.garcia,
                                                 today=TODAY).activities]
    assert seen == ["Parenting class"]
    consent_for(session, cws, seeded.garcia, cws=True, basis=LegalBasis.WIC_827_832)
    seen = [a.description for a in plans.section(session, calworks, seeded.garcia,
                                                 today=TODAY).activities]
    assert seen == ["Weekly therapy", "Parenting class"]


def test_notes_of_the_other_program_are_a_where_clause(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    cws, calworks = actor("fresno-cws"), actor("fresno-calworks")
    notes.add(session, calworks, seeded.garcia, notes.NoteInput(
        TODAY, ContactType.OFFICE, "Discussed the sanction cure plan",
        exchanged_with_other_program=True), today=TODAY)
    notes.add(session, cws, seeded.garcia, notes.NoteInput(
        TODAY - timedelta(days=2), ContactType.HOME_VISIT, "Home visit, children well"),
        today=TODAY)
    assert [n.program for n in notes.section(session, cws, seeded.garcia,
                                             today=TODAY).notes] == [Program.CWS]
    consent_for(session, calworks, seeded.garcia, calworks=True)
    assert {n.program for n in notes.section(session, cws, seeded.garcia,
                                             today=TODAY).notes} == set(Program)
    with pytest.raises(InvalidInput) as err:
        notes.add(session, cws, seeded.garcia, notes.NoteInput(
            TODAY + timedelta(days=1), ContactType.PHONE, "x"), today=TODAY)
    assert err.value.field == "contact_on"
    with pytest.raises(PermissionDenied):  # a program manager writes no program's notes
        notes.add(session, actor("fresno-manager"), seeded.garcia, notes.NoteInput(
            TODAY, ContactType.PHONE, "x"), today=TODAY)


# --- scope ------------------------------------------------------------------------------------

def test_every_section_and_change_of_an_out_of_scope_family_is_not_found(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    la = actor("la-cws")
    for section in (family_record.overview, family_record.members, meetings.section,
                    plans.section, resources.section, notes.section, consent.section,
                    team.section):
        with pytest.raises(NotFound):
            section(session, la, seeded.garcia, today=TODAY)
    with pytest.raises(NotFound):
        meetings.schedule(session, la, seeded.garcia, meetings.ScheduleInput(
            MeetingType.CFT, datetime.combine(TODAY + timedelta(days=8), time(10))),
            today=TODAY)
    refused = session.scalars(select(AuditEvent.detail).where(
        AuditEvent.action == "family.view_refused", AuditEvent.family_id == seeded.garcia))
    assert all(d["reason"] == "out_of_scope" for d in refused)


def test_history_is_for_supervisors_and_managers(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    with pytest.raises(PermissionDenied):
        workspace.history(session, actor("fresno-cws"), seeded.garcia, today=TODAY)
    family_record.overview(session, actor("fresno-cws"), seeded.garcia, today=TODAY)
    page = workspace.history(session, actor("fresno-cws-sup"), seeded.garcia, today=TODAY)
    assert [e.action for e in page.events][:2] == ["family.view", "family.view"]
    assert page.events[1].username == "fresno-cws"


# --- pairing ----------------------------------------------------------------------------------

def test_supervisor_pairs_from_active_staff_and_reassignment_keeps_history(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    sup = actor("fresno-cws-sup")
    view = team.section(session, sup, seeded.garcia, today=TODAY)
    assert view.may_assign == {Program.CWS: True, Program.CALWORKS: False}
    assert {c.display_name for c in view.candidates[Program.CWS]} == {
        "Ana Fresno", "Fay Fresno", "Hal Fresno"}
    with pytest.raises(PermissionDenied):
        team.assign(session, sup, seeded.garcia, Program.CALWORKS,
                    seeded.users["fresno-calworks"], today=TODAY)
    with pytest.raises(InvalidInput):
        team.assign(session, sup, seeded.garcia, Program.CWS, seeded.users["la-cws"],
                    today=TODAY)
    team.assign(session, sup, seeded.garcia, Program.CWS, seeded.users["fresno-cws-2"],
                today=TODAY)
    view = team.section(session, sup, seeded.garcia, today=TODAY)
    current = view.current(Program.CWS)
    assert current is not None and current.worker == "Hal Fresno"
    assert [(a.worker, a.end_date) for a in view.history] == [
        ("Ana Fresno", TODAY), ("Hal Fresno", date(2025, 6, 30))]
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "worker.assign")).one()
    assert event.detail["before"]["worker"] == "Ana Fresno"
    assert event.detail["after"]["worker"] == "Hal Fresno"


def test_pairing_an_identified_family_makes_it_active(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    # OKAFOR: CWS in Fresno, CalWORKs in Los Angeles; each side's county pairs its own.
    team.assign(session, actor("fresno-cws-sup"), seeded.okafor, Program.CWS,
                seeded.users["fresno-cws"], today=TODAY)
    assert session.get(MutualFamily, seeded.okafor).status == FamilyStatus.IDENTIFIED
    with pytest.raises(PermissionDenied):  # the Los Angeles side is Los Angeles's to pair
        team.assign(session, actor("fresno-calworks-sup"), seeded.okafor, Program.CALWORKS,
                    seeded.users["fresno-calworks"], today=TODAY)
    la_sup = Actor(None, "la-sup", actor("fresno-manager").role, None, 19)
    team.assign(session, la_sup, seeded.okafor, Program.CALWORKS,
                seeded.users["la-calworks"], today=TODAY)
    session.expire_all()
    assert session.get(MutualFamily, seeded.okafor).status == FamilyStatus.ACTIVE


# --- meetings ---------------------------------------------------------------------------------

def test_cft_is_scheduled_then_recorded_in_steps_and_then_read_only(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    cws = actor("fresno-cws")
    when = datetime.now(workspace.LOCAL_ZONE).replace(microsecond=0) - timedelta(days=2)
    m = meetings.schedule(session, cws, seeded.garcia, meetings.ScheduleInput(
        MeetingType.CFT, when.replace(tzinfo=None), "Fresno DSS, room 4",
        ParticipationMethod.IN_PERSON), today=TODAY)
    version = m.row_version
    details = meetings.DetailsInput(
        held_at=(when - timedelta(days=1)).replace(tzinfo=None), language="Spanish",
        interpreter=True, confidentiality_reviewed=True, strengths="Close family",
        next_meeting_on=when.date() + timedelta(days=30))
    with pytest.raises(InvalidInput) as err:
        meetings.save_details(session, cws, seeded.garcia, m.id, details,
                              row_version=version, today=TODAY)
    assert err.value.field == "held_at"
    details = replace(details, held_at=when.replace(tzinfo=None))
    meetings.save_details(session, cws, seeded.garcia, m.id, details, row_version=version,
                          today=TODAY)
    with pytest.raises(Conflict):  # a second save from the same old form
        meetings.save_details(session, cws, seeded.garcia, m.id, details,
                              row_version=version, today=TODAY)
    with pytest.raises(InvalidInput) as err:
        meetings.submit_record(session, cws, seeded.garcia, m.id, row_version=None,
                               today=TODAY)
    assert err.value.field == "people"
    for name, role in (("Rosa Garcia Lopez", TeamRole.PARENT),
                       ("Ana Fresno", TeamRole.CWS_WORKER),
                       ("Ben Fresno", TeamRole.CALWORKS_WORKER)):
        meetings.add_participant(session, cws, seeded.garcia, m.id, meetings.ParticipantInput(
            name, role, attended=True, method=ParticipationMethod.IN_PERSON), today=TODAY)
    with pytest.raises(InvalidInput) as err:
        meetings.add_participant(session, cws, seeded.garcia, m.id, meetings.ParticipantInput(
            "Grandmother", TeamRole.INFORMAL_SUPPORT, attended=True), today=TODAY)
    assert err.value.field == "method"
    with pytest.raises(InvalidInput) as err:
        meetings.add_action(session, cws, seeded.garcia, m.id, meetings.ActionInput(
            "Enroll in parenting class", "Rosa", PlanProgram.CWS,
            when.date() - timedelta(days=1)), today=TODAY)
    assert err.value.field == "due_on"
    for what, due in (("Enroll in parenting class", 7), ("Cure the WtW sanction", 14)):
        meetings.add_action(session, cws, seeded.garcia, m.id, meetings.ActionInput(
            what, "Rosa", PlanProgram.SHARED, when.date() + timedelta(days=due)), today=TODAY)
    meetings.submit_record(session, cws, seeded.garcia, m.id, row_version=None, today=TODAY)
    view = meetings.detail(session, cws, seeded.garcia, m.id, today=TODAY)
    assert view.meeting.status == MeetingStatus.HELD
    # California wall-clock times come back as entered, whatever the database keeps.
    assert view.scheduled_local.replace(tzinfo=None) == when.replace(tzinfo=None)
    assert view.held_local is not None and view.held_local.hour == when.hour
    assert len(view.participants) == 3 and len(view.actions) == 2
    with pytest.raises(Conflict):
        meetings.add_participant(session, cws, seeded.garcia, m.id, meetings.ParticipantInput(
            "Late", TeamRole.OTHER), today=TODAY)
    assert actions(session).count("meeting.record") == 1
    item = view.actions[0]
    meetings.set_action_status(session, cws, seeded.garcia, item.id, WorkStatus.DONE,
                               expected=WorkStatus.OPEN, today=TODAY)
    with pytest.raises(Conflict):
        meetings.set_action_status(session, cws, seeded.garcia, item.id,
                                   WorkStatus.IN_PROGRESS, expected=WorkStatus.OPEN,
                                   today=TODAY)


# --- plan -------------------------------------------------------------------------------------

def test_requirement_follows_the_calworks_composition() -> None:
    req, on = family_record.wtw_requirement, date(2026, 12, 2)  # a pure rule: any fixed day
    assert req(1, [date(2015, 1, 1)], on).hours == 30
    assert req(1, [date(2015, 1, 1), date(2021, 12, 3)], on).hours == 20
    assert req(1, [date(2020, 12, 2)], on).hours == 30  # sixth birthday today
    assert req(2, [date(2024, 1, 1)], on).hours == 35
    assert req(0, [date(2024, 1, 1)], on).hours is None
    assert "assumed" in req(None, [], on).reason


def test_plan_goes_draft_submitted_returned_approved_and_the_next_version_is_a_copy(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    calworks, cws, sup = actor("fresno-calworks"), actor("fresno-cws"), actor("fresno-cws-sup")
    plan = plans.create(session, cws, seeded.garcia, plans.PlanInput("Children home, mother "
                                                                     "working"), today=TODAY)
    goal = plans.add_goal(session, calworks, seeded.garcia, plan.id,
                          plans.GoalInput("Steady work", PlanProgram.WTW), today=TODAY)
    with pytest.raises(InvalidInput) as err:
        plans.add_activity(session, calworks, seeded.garcia, plan.id, plans.ActivityInput(
            goal.id, "Job club", ActivityCategory.JOB_SEARCH, PlanProgram.WTW,
            counts_toward_wtw=True), today=TODAY)
    assert err.value.field == "hours_per_week"
    plans.add_activity(session, calworks, seeded.garcia, plan.id, plans.ActivityInput(
        goal.id, "Job club", ActivityCategory.JOB_SEARCH, PlanProgram.WTW,
        start_date=TODAY - timedelta(days=3), counts_toward_wtw=True,
        hours_per_week=Decimal("12")), today=TODAY)
    plans.add_activity(session, calworks, seeded.garcia, plan.id, plans.ActivityInput(
        goal.id, "Parenting class", ActivityCategory.PARENTING, PlanProgram.CWS,
        start_date=TODAY + timedelta(days=30), counts_toward_wtw=True,
        hours_per_week=Decimal("4.5")), today=TODAY)
    view = plans.section(session, cws, seeded.garcia, today=TODAY)
    # The class starts next month: this week counts the job club only.
    assert view.hours == Decimal("12") and view.requirement.hours == 30
    assert view.short_of == Decimal(18)

    plans.move(session, cws, seeded.garcia, plan.id, "submit", today=TODAY)
    with pytest.raises(Conflict):
        plans.update_plan(session, cws, seeded.garcia, plan.id, plans.PlanInput("x"),
                          row_version=None, today=TODAY)
    with pytest.raises(PermissionDenied):
        plans.move(session, calworks, seeded.garcia, plan.id, "approve", today=TODAY)
    with pytest.raises(InvalidInput):
        plans.move(session, sup, seeded.garcia, plan.id, "return", today=TODAY)
    plans.move(session, sup, seeded.garcia, plan.id, "return",
               comment="Add the visitation schedule", today=TODAY)
    session.expire_all()
    stale = session.get(CoordinatedPlan, plan.id).row_version
    plans.update_plan(session, cws, seeded.garcia, plan.id,
                      plans.PlanInput("Children home, mother working full time"),
                      row_version=stale, today=TODAY)
    with pytest.raises(Conflict):  # her colleague's form began from the same version
        plans.update_plan(session, calworks, seeded.garcia, plan.id,
                          plans.PlanInput("Something else"), row_version=stale, today=TODAY)
    plans.move(session, cws, seeded.garcia, plan.id, "submit", today=TODAY)
    with pytest.raises(PermissionDenied):  # whoever submitted does not approve
        plans.move(session, Actor(seeded.users["fresno-cws"], "fresno-cws", sup.role,
                                  Program.CWS, 10), seeded.garcia, plan.id, "approve",
                   today=TODAY)
    plans.move(session, sup, seeded.garcia, plan.id, "approve", today=TODAY)
    with pytest.raises(Conflict):
        plans.move(session, sup, seeded.garcia, plan.id, "approve", today=TODAY)
    with pytest.raises(Conflict):
        plans.add_goal(session, cws, seeded.garcia, plan.id,
                       plans.GoalInput("Late", PlanProgram.CWS), today=TODAY)
    plans.acknowledge(session, calworks, seeded.garcia, plan.id,
                      AcknowledgementParty.CALWORKS_WORKER, today=TODAY)
    plans.acknowledge(session, cws, seeded.garcia, plan.id, AcknowledgementParty.PARENT,
                      name="Rosa Garcia Lopez", today=TODAY)
    with pytest.raises(PermissionDenied):
        plans.acknowledge(session, calworks, seeded.garcia, plan.id,
                          AcknowledgementParty.CWS_WORKER, today=TODAY)

    v2 = plans.revise(session, cws, seeded.garcia, plan.id, today=TODAY)
    view = plans.section(session, cws, seeded.garcia, today=TODAY)
    assert view.plan is not None and view.plan.version == 2 and view.editable
    assert [a.description for a in view.activities] == ["Job club", "Parenting class"]
    with pytest.raises(Conflict):
        plans.revise(session, cws, seeded.garcia, plan.id, today=TODAY)
    plans.move(session, cws, seeded.garcia, v2.id, "submit", today=TODAY)
    plans.move(session, actor("fresno-calworks-sup"), seeded.garcia, v2.id, "approve",
               today=TODAY)
    session.expire_all()
    assert session.get(CoordinatedPlan, plan.id).status == PlanStatus.SUPERSEDED
    assert [r.action.value for r in plans.section(session, cws, seeded.garcia, version=1,
                                                  today=TODAY).reviews] == [
        "submitted", "returned", "submitted", "approved"]
    update = session.scalars(select(AuditEvent).where(AuditEvent.action == "plan.update")).one()
    assert update.detail["before"] == {"family_goal": "Children home, mother working"}
    assert update.detail["after"] == {"family_goal": "Children home, mother working full time"}


def test_two_parent_family_needs_35_hours(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    case = session.scalars(select(CalworksCase).where(CalworksCase.case_number == "FR-1001")
                           ).one()
    case.parents_in_au = 2
    session.flush()
    assert plans.section(session, actor("fresno-cws"), seeded.garcia,
                         today=TODAY).requirement.hours == 35


# --- services ---------------------------------------------------------------------------------

def test_service_request_is_decided_by_the_funding_programs_supervisor_then_delivered(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    worker = actor("fresno-calworks")
    base = resources.ServiceInput(ServiceCategory.TRANSPORTATION,
                                  FundSource.CALWORKS_SUPPORTIVE, Decimal("1234.567"),
                                  TODAY, TODAY + timedelta(days=30), units="20 bus passes",
                                  vendor="Fresno Area Express")
    with pytest.raises(InvalidInput) as err:
        resources.request(session, worker, seeded.garcia, base, today=TODAY)
    assert err.value.field == "amount"
    service = resources.request(session, worker, seeded.garcia, replace(
        base, amount=Decimal("1234.56")), today=TODAY)
    with pytest.raises(PermissionDenied):  # CalWORKs money, CWS supervisor
        resources.decide(session, actor("fresno-cws-sup"), seeded.garcia, service.id, True,
                         today=TODAY)
    with pytest.raises(InvalidInput):
        resources.decide(session, actor("fresno-calworks-sup"), seeded.garcia, service.id,
                         False, today=TODAY)
    resources.decide(session, actor("fresno-calworks-sup"), seeded.garcia, service.id, True,
                     reason="Needed for job club", today=TODAY)
    with pytest.raises(Conflict):
        resources.decide(session, actor("fresno-calworks-sup"), seeded.garcia, service.id,
                         False, reason="changed my mind", today=TODAY)
    resources.close(session, worker, seeded.garcia, service.id, True, today=TODAY)
    view = resources.section(session, actor("fresno-cws"), seeded.garcia, today=TODAY)
    [s] = view.services
    assert s.status is AuthorizationStatus.DELIVERED
    assert s.amount == Decimal("1234.56") and isinstance(s.amount, Decimal)
    assert view.total(AuthorizationStatus.DELIVERED) == Decimal("1234.56")
    assert [a for a in actions(session) if a.startswith("service.")] == [
        "service.request", "service.approve", "service.deliver"]


# --- dashboard --------------------------------------------------------------------------------

def test_dashboard_shows_reminders_approvals_and_unpaired_families(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    cws, calworks, sup = actor("fresno-cws"), actor("fresno-calworks"), actor("fresno-cws-sup")
    now = datetime.now(workspace.LOCAL_ZONE)
    today = now.date()
    held = meetings.schedule(session, cws, seeded.garcia, meetings.ScheduleInput(
        MeetingType.REVIEW, (now - timedelta(days=10)).replace(tzinfo=None)), today=today)
    meetings.add_action(session, cws, seeded.garcia, held.id, meetings.ActionInput(
        "Call the landlord", "Ana", PlanProgram.SHARED, today - timedelta(days=1)), today=today)
    meetings.add_action(session, cws, seeded.garcia, held.id, meetings.ActionInput(
        "Book the dentist", "Rosa", PlanProgram.CWS, today + timedelta(days=3)), today=today)
    meetings.schedule(session, cws, seeded.garcia, meetings.ScheduleInput(
        MeetingType.CFT, (now + timedelta(days=5)).replace(tzinfo=None)), today=today)
    consent_for(session, calworks, seeded.garcia, calworks=True,
                signed=today - timedelta(days=350))
    board = dashboard.for_user(session, cws, today=today)
    [row] = board.caseload
    assert row.display_name == "GARCIA LOPEZ family" and row.partner == "Ben Fresno"
    assert row.overdue_actions == 1 and row.upcoming_actions == 1
    assert row.meetings_to_record == 1 and row.next_meeting is not None
    assert row.next_meeting.replace(second=0, microsecond=0) == (now + timedelta(days=5)).replace(
        second=0, microsecond=0)
    assert row.consent_expires is not None
    assert board.pending_plans is None and board.unpaired is None

    plan = plans.create(session, cws, seeded.garcia, plans.PlanInput("Goal"), today=today)
    goal = plans.add_goal(session, cws, seeded.garcia, plan.id,
                          plans.GoalInput("g", PlanProgram.SHARED), today=today)
    plans.add_activity(session, cws, seeded.garcia, plan.id, plans.ActivityInput(
        goal.id, "a", ActivityCategory.OTHER, PlanProgram.SHARED), today=today)
    plans.move(session, cws, seeded.garcia, plan.id, "submit", today=today)
    board = dashboard.for_user(session, sup, today=today)
    assert [p.display_name for p in board.pending_plans or []] == ["GARCIA LOPEZ family"]
    assert [u.display_name for u in board.unpaired or []] == ["OKAFOR family"]
    assert board.unpaired_count == 1
    assert actions(session)[-1] == "dashboard.view"
    # OKAFOR's CalWORKs case is in Los Angeles: the Fresno CalWORKs supervisor cannot pair
    # that side, so it is not on her list; Fresno's program manager, who sees both sides of
    # her county, has it.
    board = dashboard.for_user(session, actor("fresno-calworks-sup"), today=today)
    assert board.unpaired == [] and board.unpaired_count == 0
    board = dashboard.for_user(session, actor("fresno-manager"), today=today)
    assert [u.display_name for u in board.unpaired or []] == ["OKAFOR family"]


def test_caseload_pages_by_key_in_each_sort(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    mgr = actor("fresno-cws-sup")
    team.assign(session, mgr, seeded.okafor, Program.CWS, seeded.users["fresno-cws"],
                today=TODAY)
    cws = actor("fresno-cws")
    for sort in dashboard.Sort:
        seen, after = [], None
        for _ in range(3):
            rows, after = dashboard.caseload(session, cws, sort=sort, after=after, per_page=1)
            seen += [r.display_name for r in rows]
            if after is None:
                break
        assert sorted(seen) == ["GARCIA LOPEZ family", "OKAFOR family"], sort
    rows, _ = dashboard.caseload(session, cws, search="okaf")
    assert [r.display_name for r in rows] == ["OKAFOR family"]


# --- P8: bounded queries ----------------------------------------------------------------------

def test_each_page_is_a_bounded_number_of_queries(
        session: Session, seeded: Seeded, actor: MakeActor) -> None:
    """No lazy loads: the number of statements does not grow with the family's records."""
    from sqlalchemy import event

    cws, sup = actor("fresno-cws"), actor("fresno-cws-sup")
    plan = plans.create(session, cws, seeded.garcia, plans.PlanInput("Goal"), today=TODAY)
    for i in range(3):
        goal = plans.add_goal(session, cws, seeded.garcia, plan.id,
                              plans.GoalInput(f"g{i}", PlanProgram.SHARED), today=TODAY)
        for j in range(3):
            plans.add_activity(session, cws, seeded.garcia, plan.id, plans.ActivityInput(
                goal.id, f"a{j}", ActivityCategory.PARENTING, PlanProgram.CWS), today=TODAY)
            meetings.schedule(session, cws, seeded.garcia, meetings.ScheduleInput(
                MeetingType.REVIEW, datetime.combine(TODAY + timedelta(days=18),
                                                       time(9 + j))), today=TODAY)
            notes.add(session, cws, seeded.garcia, notes.NoteInput(
                TODAY, ContactType.PHONE, f"n{i}{j}"), today=TODAY)
    session.flush()
    seen: list[str] = []

    def count(*_: object) -> None:
        seen.append("x")

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        limits = {
            # caseload, the audit row
            "dashboard (worker)": (lambda: dashboard.for_user(session, cws, today=TODAY), 2),
            "dashboard (supervisor)": (lambda: dashboard.for_user(session, sup, today=TODAY),
                                       6),
            "overview": (lambda: family_record.overview(session, cws, seeded.garcia,
                                                        today=TODAY), 10),
            "plan": (lambda: plans.section(session, cws, seeded.garcia, today=TODAY), 10),
            "meetings": (lambda: meetings.section(session, cws, seeded.garcia, today=TODAY), 4),
            "notes": (lambda: notes.section(session, cws, seeded.garcia, today=TODAY), 4),
            "services": (lambda: resources.section(session, cws, seeded.garcia, today=TODAY),
                         5),
        }
        for name, (call, limit) in limits.items():
            seen.clear()
            call()
            session.flush()  # the audit row of the view
            assert len(seen) <= limit, (name, len(seen))
    finally:
        event.remove(engine, "before_cursor_execute", count)
