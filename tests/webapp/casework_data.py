"""Casework of every kind for the GARCIA LOPEZ family, made through the services as its workers
would make it: what the route probe and the page checks open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from mutual_family_fixtures import Seeded
from sqlalchemy.orm import Session

from linkages.models import User
from linkages.models.enums import (
    ActivityCategory,
    ContactType,
    FundSource,
    LegalBasis,
    MeetingType,
    ParticipationMethod,
    PlanProgram,
    ServiceCategory,
    SignerRelationship,
    TeamRole,
)
from linkages.services import consent, meetings, notes, plans, resources
from linkages.services.scope import Actor
from linkages.services.workspace import LOCAL_ZONE, local_today

# What only CWS staff (or CalWORKs staff under consent) may read, and the reverse.
CWS_SECRETS = ("R-0101-77", "General Neglect", "Relative/NREFM", "E-77", "Weekly therapy")
CALWORKS_SECRETS = ("2019-04-01", "2021-03-31", "Sanction cure conference")
PART2_SECRETS = ("Outpatient AOD treatment", "Residential AOD program")
# What nobody outside the family's counties may read.
FAMILY_SECRETS = ("GARCIA", "FR-1001", "0101-2345-6789-0123456", "MARIA", "ROSA")


@dataclass(frozen=True)
class Casework:
    consent_id: int
    part2_consent_id: int
    meeting_id: int
    held_meeting_id: int
    participant_id: int
    action_id: int
    plan_id: int
    goal_id: int
    activity_id: int  # shared, not sensitive
    cws_sensitive_activity_id: int
    part2_activity_id: int
    calworks_service_id: int
    cws_service_id: int
    part2_service_id: int
    calworks_note_id: int


def make(session: Session, seeded: Seeded) -> Casework:
    def actor(username: str) -> Actor:
        user = session.get(User, seeded.users[username])
        assert user is not None
        return Actor.from_user(user)

    cws, calworks = actor("fresno-cws"), actor("fresno-calworks")
    fid = seeded.garcia
    today = local_today()
    now = datetime.now(LOCAL_ZONE).replace(second=0, microsecond=0, tzinfo=None)
    cft = consent.record(session, calworks, fid, consent.ConsentInput(
        "Rosa Garcia Lopez", SignerRelationship.PARENT, LegalBasis.WIC_827_832, True, False,
        "CFT information sharing", today - timedelta(days=20)))
    part2 = consent.record(session, calworks, fid, consent.ConsentInput(
        "Rosa Garcia Lopez", SignerRelationship.PARENT, LegalBasis.CFR42_PART2, False, False,
        "AOD treatment coordination", today - timedelta(days=20),
        recipient_ids=(seeded.users["fresno-calworks"], seeded.users["fresno-calworks-sup"])))
    # The CWS consent above is revoked at once: no consent releases anything in these tests
    # unless a test records one.
    consent.revoke(session, calworks, fid, cft.id, revoked_on=today, note="Withdrawn")

    meeting = meetings.schedule(session, cws, fid, meetings.ScheduleInput(
        MeetingType.CFT, now + timedelta(days=3), "Fresno DSS"))
    held = meetings.schedule(session, cws, fid, meetings.ScheduleInput(
        MeetingType.INITIAL_COORDINATION, now - timedelta(days=7), "Family home"))
    meetings.save_details(session, cws, fid, held.id, meetings.DetailsInput(
        held_at=now - timedelta(days=7), confidentiality_reviewed=True,
        strengths="Grandmother nearby"), row_version=None)
    participant = meetings.add_participant(session, cws, fid, held.id, meetings.ParticipantInput(
        "Rosa Garcia Lopez", TeamRole.PARENT, attended=True,
        method=ParticipationMethod.IN_PERSON))
    action = meetings.add_action(session, cws, fid, held.id, meetings.ActionInput(
        "Enroll Maria in after-school care", "Ben Fresno", PlanProgram.WTW,
        today + timedelta(days=5)))
    meetings.submit_record(session, cws, fid, held.id, row_version=None)

    plan = plans.create(session, cws, fid, plans.PlanInput("Children safe at home; Rosa "
                                                           "working"))
    goal = plans.add_goal(session, cws, fid, plan.id, plans.GoalInput(
        "Stable income", PlanProgram.SHARED))
    shared = plans.add_activity(session, calworks, fid, plan.id, plans.ActivityInput(
        goal.id, "Job club", ActivityCategory.JOB_SEARCH, PlanProgram.WTW,
        counts_toward_wtw=True, hours_per_week=Decimal("10")))
    sensitive = plans.add_activity(session, cws, fid, plan.id, plans.ActivityInput(
        goal.id, "Weekly therapy", ActivityCategory.MENTAL_HEALTH, PlanProgram.CWS))
    aod = plans.add_activity(session, calworks, fid, plan.id, plans.ActivityInput(
        goal.id, "Outpatient AOD treatment", ActivityCategory.SUBSTANCE_USE, PlanProgram.CWS))

    period = (today, today + timedelta(days=30))
    cal_service = resources.request(session, calworks, fid, resources.ServiceInput(
        ServiceCategory.TRANSPORTATION, FundSource.CALWORKS_SUPPORTIVE, Decimal("85.00"),
        *period, units="bus pass"))
    cws_service = resources.request(session, cws, fid, resources.ServiceInput(
        ServiceCategory.HOUSING, FundSource.CWS_FLEXIBLE, Decimal("650.00"), *period))
    aod_service = resources.request(session, calworks, fid, resources.ServiceInput(
        ServiceCategory.AOD_TREATMENT, FundSource.LINKAGES_POOLED, Decimal("1200.00"), *period,
        vendor="Residential AOD program"))
    note = notes.add(session, calworks, fid, notes.NoteInput(
        today, ContactType.OFFICE, "Sanction cure conference held with Rosa"))
    session.flush()
    return Casework(cft.id, part2.id, meeting.id, held.id, participant.id, action.id,
                    plan.id, goal.id, shared.id, sensitive.id, aod.id, cal_service.id,
                    cws_service.id, aod_service.id, note.id)


def ids_for(work: Casework, *, wrong_program: bool = False) -> dict[str, object]:
    """URL values for every argument of the app's rules."""
    return {
        "consent_id": work.part2_consent_id if wrong_program else work.consent_id,
        "meeting_id": work.meeting_id, "participant_id": work.participant_id,
        "action_id": work.action_id, "plan_id": work.plan_id,
        "activity_id": work.cws_sensitive_activity_id if wrong_program else work.activity_id,
        "service_id": work.cws_service_id if wrong_program else work.calworks_service_id,
        "program": "cws", "move": "approve",
    }

