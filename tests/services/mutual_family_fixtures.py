"""Hand-made mutual families in two counties, and the users who work them, for the services
and web app tests (imported by both conftest files).

    GARCIA LOPEZ  CalWORKs Fresno (10), CWS Fresno     2 children, active, paired workers;
                  aid periods, a sanction, a referral with allegations, an FR case and a
                  placement episode, and the match run's evidence for each child
    NGUYEN        CalWORKs Los Angeles (19), CWS LA    1 child, identified
    OKAFOR        CalWORKs Los Angeles (19), CWS Fresno (moved): both counties see it

Supervisors of each program in Fresno, and a Los Angeles CalWORKs worker, for pairing and
approvals. No consent is recorded: each test records the ones it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache

import pytest
from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from linkages.keys import totp_cipher
from linkages.models import (
    Allegation,
    CalworksAidPeriod,
    CalworksCase,
    CalworksPerson,
    CaseServiceComponent,
    CwsCase,
    CwsChildClient,
    FamilyMember,
    Link,
    MatchRun,
    MutualFamily,
    Placement,
    PlacementEpisode,
    Referral,
    User,
    WorkerAssignment,
)
from linkages.models.enums import (
    AidStatus,
    AssignmentRole,
    CalworksRole,
    Disposition,
    FamilyStatus,
    LinkDecision,
    Program,
    Role,
    ServiceComponent,
    WtwStatus,
)
from linkages.services import users
from linkages.services.scope import SECOND_FACTOR_ROLES

PASSWORD = "correct-horse-battery-staple"
# The two-factor secret of the seeded accounts whose role requires one (tests sign in with a
# code made from it: pyotp.TOTP(TOTP_SECRET).now()).
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
FRESNO, LOS_ANGELES = 10, 19


# argon2 is slow on purpose (64 MiB, 3 passes): tests that are not about the hash itself use
# minimal parameters, as Django's test settings do. Tests of hashing ask for
# `real_password_hashing`; the hashes stay valid either way (argon2 hashes carry their
# parameters), so a fast hash is simply upgraded at the next sign-in.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "_hasher", FAST_HASHER)


@pytest.fixture
def real_password_hashing(fast_password_hashing: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(users, "_hasher", PasswordHasher())


@cache
def password_hash() -> str:
    return FAST_HASHER.hash(PASSWORD)


@dataclass(frozen=True)
class Seeded:
    users: dict[str, int]
    garcia: int
    nguyen: int
    okafor: int


USERS = {
    "fresno-cws": ("Ana Fresno", Role.CWS_WORKER, Program.CWS, FRESNO),
    "fresno-calworks": ("Ben Fresno", Role.CALWORKS_WORKER, Program.CALWORKS, FRESNO),
    "fresno-manager": ("Cy Fresno", Role.PROGRAM_MANAGER, None, FRESNO),
    "la-cws": ("Dee Angeles", Role.CWS_WORKER, Program.CWS, LOS_ANGELES),
    "fresno-cws-sup": ("Fay Fresno", Role.CWS_SUPERVISOR, Program.CWS, FRESNO),
    "fresno-calworks-sup": ("Gil Fresno", Role.CALWORKS_SUPERVISOR, Program.CALWORKS, FRESNO),
    "fresno-cws-2": ("Hal Fresno", Role.CWS_WORKER, Program.CWS, FRESNO),
    "la-calworks": ("Ida Angeles", Role.CALWORKS_WORKER, Program.CALWORKS, LOS_ANGELES),
    "evaluator": ("Eve State", Role.EVALUATOR, None, None),
    "admin": ("Al Admin", Role.ADMINISTRATOR, None, None),
}


def _family(session: Session, *, name: str, case_number: str, county: int,
            cws_county: int | None, cws_case: str | None, status: FamilyStatus,
            identified: date, children: list[tuple[str, str, str, date, float]],
            wtw: WtwStatus = WtwStatus.PARTICIPATING, parents: int | None = 1) -> MutualFamily:
    case = CalworksCase(case_number=case_number, county_cd=county,
                        aid_status=AidStatus.ACTIVE, wtw_status=wtw, parents_in_au=parents)
    session.add(case)
    session.flush()
    family = MutualFamily(county_cd=county, cws_county_cd=cws_county, calworks_case_id=case.id,
                          cws_case_number=cws_case, display_name=name, status=status,
                          identified_on=identified)
    session.add(family)
    session.flush()
    for i, (first, last, cws_first, dob, p) in enumerate(children):
        cw_id, cws_id = f"{case_number}-C{i}", f"{cws_case or name}-K{i}"
        session.add(CalworksPerson(record_id=cw_id, case_id=case.id, role=CalworksRole.CHILD,
                                   first_name=first, last_name=last, dob=dob, county_cd=county))
        session.add(CwsChildClient(record_id=cws_id, first_name=cws_first, last_name=last,
                                   dob=dob, county_cd=cws_county or county,
                                   case_number=cws_case))
        session.add(FamilyMember(family_id=family.id, calworks_record_id=cw_id,
                                 cws_record_id=cws_id, match_probability=p))
    session.add(CalworksPerson(record_id=f"{case_number}-H", case_id=case.id,
                               role=CalworksRole.CASE_HEAD, first_name="ROSA",
                               last_name=name.removesuffix(" family"), dob=date(1990, 2, 3),
                               county_cd=county))
    session.flush()
    return family


def _facts(session: Session, family: MutualFamily) -> None:
    """Both programs' records of the GARCIA LOPEZ family, and the run that linked it."""
    session.add(CalworksAidPeriod(case_id=family.calworks_case_id, aid_start=date(2019, 4, 1),
                                  aid_end=date(2021, 3, 31)))
    session.add(CalworksAidPeriod(case_id=family.calworks_case_id, aid_start=date(2023, 9, 1)))
    kids = session.query(CwsChildClient).filter(
        CwsChildClient.case_number == family.cws_case_number).order_by(CwsChildClient.id).all()
    referral = Referral(referral_number="R-0101-77", county_cd=FRESNO,
                        received_dt=date(2024, 5, 6))
    session.add(referral)
    session.flush()
    session.add(Allegation(allegation_number="A-1", referral_id=referral.id,
                           child_id=kids[0].id, allegation_type="general_neglect",
                           disposition=Disposition.SUBSTANTIATED,
                           disposition_dt=date(2024, 6, 1), perpetrator_role="parent"))
    session.add(Allegation(allegation_number="A-2", referral_id=referral.id,
                           child_id=kids[1].id, allegation_type="at_risk_sibling",
                           disposition=Disposition.INCONCLUSIVE,
                           disposition_dt=date(2024, 6, 1)))
    case = CwsCase(case_number=family.cws_case_number, county_cd=FRESNO,
                   opened=date(2024, 6, 3))
    session.add(case)
    session.flush()
    for kid in kids:
        session.add(CaseServiceComponent(case_id=case.id, child_id=kid.id,
                                         service_component=ServiceComponent.FR,
                                         component_start=date(2024, 6, 3)))
    episode = PlacementEpisode(episode_number="E-77", child_id=kids[0].id,
                               episode_start=date(2024, 6, 2), agency_cd=34)
    session.add(episode)
    session.flush()
    session.add(Placement(episode_id=episode.id, placement_start=date(2024, 6, 2),
                          facility_type_cd=1421, county_cd=FRESNO,
                          caregiver_relationship_cd=1639))
    run = MatchRun(left_file="calworks_children.csv", right_file="cws_children.csv")
    session.add(run)
    session.flush()
    for member, weights in zip(
            session.query(FamilyMember).filter_by(family_id=family.id).order_by(FamilyMember.id),
            ({"first_name": 6.1, "last_name": 5.2, "dob": 9.8, "ssn": None},
             {"first_name": -1.4, "last_name": 5.2, "dob": 9.8, "ssn": None}), strict=True):
        session.add(Link(run_id=run.id, left_record_id=member.calworks_record_id,
                         right_record_id=member.cws_record_id, match_weight=12.0,
                         match_probability=member.match_probability,
                         decision=LinkDecision.MATCH, contributions=weights))
    family.last_seen_run_id = run.id
    session.flush()


def seed(session: Session) -> Seeded:
    users = {}
    for username, (name, role, program, county) in USERS.items():
        two_factor = role in SECOND_FACTOR_ROLES
        user = User(username=username, display_name=name, password_hash=password_hash(),
                    role=role, program=program, county_cd=county, active=True, failed_logins=0,
                    totp_secret=totp_cipher().encrypt(TOTP_SECRET.encode()).decode()
                    if two_factor else None,
                    totp_enabled_at=datetime.now(UTC) if two_factor else None)
        session.add(user)
        session.flush()
        users[username] = user.id
    garcia = _family(
        session, name="GARCIA LOPEZ family", case_number="FR-1001", county=FRESNO,
        cws_county=FRESNO, cws_case="0101-2345-6789-0123456", status=FamilyStatus.ACTIVE,
        identified=date(2026, 3, 2),
        children=[("MARIA", "GARCIA LOPEZ", "MARIA", date(2017, 5, 4), 0.998),
                  ("JOSE", "GARCIA LOPEZ", "JOSEPH", date(2019, 11, 30), 0.941)],
        wtw=WtwStatus.SANCTION,
    )
    _facts(session, garcia)
    nguyen = _family(
        session, name="NGUYEN family", case_number="LA-2002", county=LOS_ANGELES,
        cws_county=LOS_ANGELES, cws_case="1900-1111-2222-3333333",
        status=FamilyStatus.IDENTIFIED, identified=date(2026, 4, 15),
        children=[("AN", "NGUYEN", "AN", date(2020, 1, 9), 0.987)],
    )
    okafor = _family(
        session, name="OKAFOR family", case_number="LA-3003", county=LOS_ANGELES,
        cws_county=FRESNO, cws_case="0102-4444-5555-6666666", status=FamilyStatus.IDENTIFIED,
        identified=date(2026, 5, 20),
        children=[("CHIDI", "OKAFOR", "CHIDI", date(2016, 8, 14), 0.912)],
    )
    session.add(WorkerAssignment(family_id=garcia.id, user_id=users["fresno-cws"],
                                 program=Program.CWS, role=AssignmentRole.PRIMARY,
                                 start_date=date(2026, 3, 5)))
    session.add(WorkerAssignment(family_id=garcia.id, user_id=users["fresno-calworks"],
                                 program=Program.CALWORKS, role=AssignmentRole.PRIMARY,
                                 start_date=date(2026, 3, 6)))
    # An ended assignment is history, not a current worker.
    session.add(WorkerAssignment(family_id=garcia.id, user_id=users["fresno-cws-2"],
                                 program=Program.CWS, role=AssignmentRole.PRIMARY,
                                 start_date=date(2025, 1, 1), end_date=date(2025, 6, 30)))
    session.flush()
    return Seeded(users, garcia.id, nguyen.id, okafor.id)
