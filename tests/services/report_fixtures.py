"""Review pairs and report snapshots on top of the hand-made families
(mutual_family_fixtures.py): the seeded run gets its persons, statistics and model, two
uncertain pairs (a Fresno review pair, a Los Angeles review pair) and one near-threshold
match, and its match-rate snapshot is built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from linkages.models import (
    CalworksCase,
    CalworksPerson,
    CwsChildClient,
    FamilyMember,
    Link,
    MatchRun,
    Person,
    PersonRecord,
)
from linkages.models.enums import AidStatus, CalworksRole, LinkDecision, RecordSource
from linkages.services import reports
from linkages.services.scope import Actor

FRESNO, LOS_ANGELES = 10, 19
PRIOR = 3.6e-06


@dataclass(frozen=True)
class ReviewData:
    run_id: int
    fresno_review: int  # link ids
    la_review: int
    near_match: int


def _child(session: Session, cw_id: str, cws_id: str, first: str, last: str, dob: date,
           county: int, case_number: str | None = None) -> None:
    case = None
    if case_number:
        case = CalworksCase(case_number=case_number, county_cd=county,
                            aid_status=AidStatus.ACTIVE)
        session.add(case)
        session.flush()
    session.add(CalworksPerson(record_id=cw_id, case_id=case.id if case else None,
                               role=CalworksRole.CHILD, first_name=first, last_name=last,
                               dob=dob, county_cd=county))
    session.add(CwsChildClient(record_id=cws_id, first_name=first[:-1] + "E", last_name=last,
                               dob=dob, county_cd=county, case_number=None))


def add_review_data(session: Session) -> ReviewData:
    run = session.scalars(select(MatchRun).order_by(MatchRun.id)).first()
    assert run is not None
    _child(session, "FR-9001-C0", "FR-STRAY-K0", "LUIS", "PEREZ", date(2018, 2, 2), FRESNO,
           "FR-9001")
    _child(session, "LA-9002-C0", "LA-STRAY-K0", "MAI", "TRAN", date(2017, 7, 7), LOS_ANGELES,
           "LA-9002")
    session.flush()
    weights = {"first_name": -1.2, "last_name": 8.0, "dob": 11.0, "ssn": None}
    fresno = Link(run_id=run.id, left_record_id="FR-9001-C0", right_record_id="FR-STRAY-K0",
                  match_weight=17.8, match_probability=0.45, decision=LinkDecision.REVIEW,
                  contributions=weights)
    la = Link(run_id=run.id, left_record_id="LA-9002-C0", right_record_id="LA-STRAY-K0",
              match_weight=17.8, match_probability=0.30, decision=LinkDecision.REVIEW,
              contributions=weights)
    session.add_all([fresno, la])
    session.flush()
    near = session.scalars(select(Link).where(Link.run_id == run.id,
                                              Link.match_probability < 0.95)).first()
    assert near is not None  # GARCIA LOPEZ's second child: made near the threshold
    near.match_probability = 0.62
    # Persons: each family member pair one person; the stray records persons of their own.
    pairs = [(m.calworks_record_id, m.cws_record_id)
             for m in session.scalars(select(FamilyMember).order_by(FamilyMember.id))]
    singles = ["FR-9001-C0", "LA-9002-C0"], ["FR-STRAY-K0", "LA-STRAY-K0"]
    n = 0
    for left, right in pairs:
        person = Person(run_id=run.id, person_key=f"P{n}")
        n += 1
        session.add(person)
        session.flush()
        session.add_all([PersonRecord(person_id=person.id, source=RecordSource.CALWORKS,
                                      record_id=left),
                         PersonRecord(person_id=person.id, source=RecordSource.CWS,
                                      record_id=right)])
    for source, ids in zip((RecordSource.CALWORKS, RecordSource.CWS), singles, strict=True):
        for record_id in ids:
            person = Person(run_id=run.id, person_key=f"P{n}")
            n += 1
            session.add(person)
            session.flush()
            session.add(PersonRecord(person_id=person.id, source=source, record_id=record_id))
    with_case = session.scalars(select(CwsChildClient).where(
        CwsChildClient.record_id.in_([r for _, r in pairs]),
        CwsChildClient.case_number.is_not(None))).all()
    run.statistics = {
        "left_persons": len(pairs) + 2, "left_persons_matched": len(pairs),
        "right_persons": len(pairs) + 2, "right_persons_matched": len(pairs),
        "right_case_persons": len(with_case), "right_case_persons_matched": len(with_case),
        "expected_false_matches": 0.4, "expected_missed_matches": 1.2,
        "clerical_agreement": {"pairs": 0},
    }
    run.parameters = {"model": {"prior": {"cross": PRIOR}},
                      "thresholds": {"match_probability": 0.24}}
    session.flush()
    reports.build(session, Actor.command_line(), run.id)
    return ReviewData(run.id, fresno.id, la.id, near.id)
