"""CWS activity, a match run and casework on top of the families of mutual_family_fixtures, for
the cohort export tests: referrals, case components and placement episodes in 2019-2020, a run
of record linking the seeded children, CalWORKs aid, a joint meeting, a plan and a service.
Every source record carries the identifiers an export must never show (names, SSN digits,
addresses, ZIP codes, mothers' names, case numbers, exact birth dates).

    GARCIA LOPEZ, MARIA   Fresno  matched 0.998  in care 2019-03-10..2019-09-01 (reunified),
                                                 back in care 2020-02-01 (re-entry)
    GARCIA LOPEZ, JOSEPH  Fresno  matched 0.941  referral only (substantiated)
    OKAFOR, CHIDI         Fresno  matched 0.912  case component FR 2019-2020
    NGUYEN, AN            LA      matched 0.987  in care 2020-05-05, still in care
    PEREZ LUNA, SOFIA     Fresno  not matched (a review pair of 0.42 with CHIDI's record)
    OLDFIELD, TOMAS       Fresno  CWS activity only in 2015: outside the period
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from linkages.models import (
    Allegation,
    CalworksAidPeriod,
    CalworksCase,
    CalworksPerson,
    CaseServiceComponent,
    CoordinatedPlan,
    CwsCase,
    CwsChildClient,
    FamilyMember,
    JointMeeting,
    Link,
    MatchRun,
    Placement,
    PlacementEpisode,
    Referral,
    ServiceAuthorization,
)
from linkages.models.enums import (
    AuthorizationStatus,
    Disposition,
    FundSource,
    LinkDecision,
    MeetingStatus,
    MeetingType,
    PlanStatus,
    ServiceCategory,
    ServiceComponent,
)

PERIOD = (date(2019, 1, 1), date(2020, 12, 31))


@dataclass(frozen=True)
class Cohort:
    run_id: int
    in_cohort: frozenset[str]  # CWS record ids expected in a Fresno + LA export of PERIOD
    fresno: frozenset[str]


def add_cohort(session: Session) -> Cohort:
    children = {c.record_id: c for c in session.scalars(select(CwsChildClient))}
    maria, jose = "0101-2345-6789-0123456-K0", "0101-2345-6789-0123456-K1"
    okafor, nguyen = "0102-4444-5555-6666666-K0", "1900-1111-2222-3333333-K0"
    # Identifiers an export must never carry.
    for i, child in enumerate(children.values()):
        child.ssn_last4 = f"{4321 + i}"
        child.address = f"{100 + i} Olive Avenue"
        child.zip = f"9370{i}"
        child.mother_first_name = "GUADALUPE"
        child.mother_last_name = child.last_name
        child.middle_name = "ESPERANZA"
    for i, person in enumerate(session.scalars(select(CalworksPerson))):
        person.ssn_last4 = f"{8765 - i}"
        person.address = f"{200 + i} Blackstone Avenue"
        person.zip = f"9372{i}"
        person.parent_first_name = "ROSA"
        person.parent_last_name = person.last_name
    sofia = CwsChildClient(record_id="0103-7777-8888-9999999-K0", first_name="SOFIA",
                           middle_name="ISABEL", last_name="PEREZ LUNA", dob=date(2015, 2, 17),
                           sex="F", ethnicity_cd=823, hispanic="Y", ssn_last4="5555",
                           county_cd=10, zip="93701", address="77 Tulare Street",
                           mother_first_name="LUZ", mother_last_name="LUNA",
                           case_number="0103-7777-8888-9999999")
    old = CwsChildClient(record_id="0104-0000-0000-0000000-K0", first_name="TOMAS",
                         last_name="OLDFIELD", dob=date(2008, 6, 1), sex="M", county_cd=10,
                         case_number="0104-0000-0000-0000000")
    session.add_all([sofia, old])
    session.flush()
    ids = {c.record_id: c.id for c in session.scalars(select(CwsChildClient))}
    for record_id, child in children.items():
        child.sex = "F" if record_id == maria else "M"
        child.ethnicity_cd = 823
        child.hispanic = "Y" if "GARCIA" in (child.last_name or "") else "N"

    # Referrals and allegations.
    def referral(number: str, county: int, received: date, child: str,
                 disposition: Disposition) -> None:
        ref = Referral(referral_number=number, county_cd=county, received_dt=received)
        session.add(ref)
        session.flush()
        session.add(Allegation(allegation_number=f"{number}-A", referral_id=ref.id,
                               child_id=ids[child], allegation_type="general_neglect",
                               disposition=disposition, disposition_dt=received,
                               incident_dt=received))

    # An exported child's true event dates lie more than 15 days apart (the largest date
    # shift), so a shifted date can never land on another of her true dates by chance.
    referral("R-1", 10, date(2019, 2, 14), maria, Disposition.SUBSTANTIATED)
    referral("R-2", 10, date(2019, 2, 14), jose, Disposition.SUBSTANTIATED)
    referral("R-3", 10, date(2019, 7, 2), sofia.record_id, Disposition.INCONCLUSIVE)
    referral("R-4", 19, date(2020, 4, 10), nguyen, Disposition.SUBSTANTIATED)
    referral("R-5", 10, date(2015, 3, 3), old.record_id, Disposition.UNFOUNDED)

    # A CWS case with components.
    case = CwsCase(case_number="0102-4444-5555-6666666", county_cd=10, opened=date(2019, 5, 1))
    session.add(case)
    session.flush()
    session.add(CaseServiceComponent(case_id=case.id, child_id=ids[okafor],
                                     service_component=ServiceComponent.FR,
                                     component_start=date(2019, 5, 1),
                                     component_end=date(2020, 6, 30)))

    # Placement episodes: Maria reunified and re-entered within 12 months; An still in care.
    def episode(number: str, child: str, start: date, end: date | None,
                reason: int | None) -> None:
        ep = PlacementEpisode(episode_number=number, child_id=ids[child], episode_start=start,
                              episode_end=end, termination_reason_cd=reason, agency_cd=34)
        session.add(ep)
        session.flush()
        session.add(Placement(episode_id=ep.id, placement_start=start, placement_end=end,
                              facility_type_cd=1421, county_cd=10))

    episode("E-1", maria, date(2019, 3, 10), date(2019, 9, 1), 5439)
    episode("E-2", maria, date(2020, 2, 1), None, None)
    episode("E-3", nguyen, date(2020, 5, 5), None, None)
    episode("E-4", old.record_id, date(2015, 3, 5), date(2015, 8, 1), 5513)

    # The run of record: the seeded family members linked, and one review pair.
    run = MatchRun(left_file="/data/extract/calworks_children.csv",
                   right_file="/data/extract/cws_children.csv",
                   parameters={"thresholds": {"match_probability": 0.3}},
                   finished_at=datetime(2026, 5, 1, tzinfo=UTC), recorded_by="cli:test")
    session.add(run)
    session.flush()
    for member in session.scalars(select(FamilyMember)):
        session.add(Link(run_id=run.id, left_record_id=member.calworks_record_id,
                         right_record_id=member.cws_record_id, match_weight=9.0,
                         match_probability=member.match_probability or 0.9,
                         decision=LinkDecision.MATCH))
    session.add(Link(run_id=run.id, left_record_id="LA-3003-C0",
                     right_record_id=sofia.record_id, match_weight=-0.3,
                     match_probability=0.42, decision=LinkDecision.REVIEW))

    # CalWORKs aid of the Garcia Lopez case: March 2019 to June 2020.
    garcia_case = session.scalar(select(CalworksCase).where(CalworksCase.case_number
                                                            == "FR-1001"))
    assert garcia_case is not None
    garcia_case.address = "12 Olive Avenue"
    # This scenario's aid, in place of the seed's own aid periods of the case.
    session.execute(delete(CalworksAidPeriod).where(CalworksAidPeriod.case_id == garcia_case.id))
    session.add(CalworksAidPeriod(case_id=garcia_case.id, aid_start=date(2019, 3, 15),
                                  aid_end=date(2020, 6, 30)))
    family_id = session.scalar(select(FamilyMember.family_id)
                               .where(FamilyMember.cws_record_id == maria))

    # Casework with the Garcia Lopez family (identified 2026-03-02 in the seed).
    session.add(JointMeeting(family_id=family_id, meeting_type=MeetingType.CFT,
                             status=MeetingStatus.HELD,
                             scheduled_at=datetime(2026, 3, 9, 10, tzinfo=UTC),
                             held_at=datetime(2026, 3, 9, 10, tzinfo=UTC),
                             location="Fresno DSS, 1404 Divisadero Street"))
    session.add(CoordinatedPlan(family_id=family_id, version=1, status=PlanStatus.APPROVED,
                                family_goal="Safe, stable housing",
                                effective_from=date(2026, 3, 20),
                                approved_at=datetime(2026, 3, 20, 15, tzinfo=UTC)))
    session.add(ServiceAuthorization(family_id=family_id, category=ServiceCategory.CHILD_CARE,
                                     fund_source=FundSource.CALWORKS_SUPPORTIVE,
                                     amount=Decimal("420.00"), vendor="Little Stars Daycare",
                                     period_start=date(2026, 3, 23),
                                     period_end=date(2026, 6, 30),
                                     status=AuthorizationStatus.APPROVED))
    session.execute(update(CwsChildClient).where(CwsChildClient.record_id == okafor)
                    .values(county_cd=10))
    session.flush()
    cohort = frozenset({maria, jose, okafor, nguyen, sofia.record_id})
    return Cohort(run.id, cohort, cohort - {nguyen})


def _source_values(session: Session) -> tuple[set[str], dict[str, set[str]]]:
    """Every identifying value in the source, and each child's true event dates (ISO)."""
    values: set[str] = set()
    for child in session.scalars(select(CwsChildClient)):
        values |= {v for v in (child.first_name, child.middle_name, child.last_name,
                               child.mother_first_name, child.mother_last_name, child.ssn_last4,
                               child.address, child.zip, child.case_number, child.record_id)
                   if v}
        if child.dob:
            values.add(child.dob.isoformat())
    for person in session.scalars(select(CalworksPerson)):
        values |= {v for v in (person.first_name, person.last_name, person.ssn_last4,
                               person.address, person.zip, person.parent_first_name,
                               person.parent_last_name, person.record_id) if v}
    for case in session.scalars(select(CalworksCase)):
        values |= {v for v in (case.case_number, case.address) if v}
    values |= set(session.scalars(select(Referral.referral_number)))
    dates: dict[str, set[str]] = {}
    for record_id, start, end in session.execute(
            select(CwsChildClient.record_id, PlacementEpisode.episode_start,
                   PlacementEpisode.episode_end)
            .join(PlacementEpisode, PlacementEpisode.child_id == CwsChildClient.id)):
        dates.setdefault(record_id, set()).update(d.isoformat() for d in (start, end) if d)
    for record_id, received in session.execute(
            select(CwsChildClient.record_id, Referral.received_dt)
            .join(Allegation, Allegation.child_id == CwsChildClient.id)
            .join(Referral, Referral.id == Allegation.referral_id)):
        dates.setdefault(record_id, set()).add(received.isoformat())
    return values, dates


SSN = re.compile(r"\b\d{3}-?\d{2}-?\d{4}\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def assert_no_identifier(session: Session, cells: list[tuple[str, str]]) -> None:
    """Scan every exported value (with the CWS record id of its row, or "") against the
    source: no name, SSN digits, address, ZIP, case or record number, no SSN pattern, no exact
    birth date, and no true event date of the row's child."""
    values, true_dates = _source_values(session)
    names = {v for v in values if v.replace(" ", "").isalpha()}
    assert cells
    for record, cell in cells:
        upper = cell.upper()
        assert cell not in values, (record, cell)
        assert not any(name in upper for name in names if len(name) > 3), (record, cell)
        assert not SSN.search(cell), cell
        for found in ISO_DATE.findall(cell):
            assert found not in true_dates.get(record, set()), (record, cell)
            assert found not in values, (record, cell)
