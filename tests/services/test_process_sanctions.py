"""WtW sanctions cured within 6 months on the process report, on SQLite and PostgreSQL,
against a hand-worked fixture: the cohort (sanctions of mutual families' cases begun on or
after identification, and by closing), calendar months (the 29th of February, the 31st of
August), the sanctions with no outcome yet left out of the share, masking, counties with and
without a sanctions file, and the kept snapshots (an older payload is computed again)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from linkages.db import session_scope
from linkages.ingest.loader import SANCTIONS_FILE
from linkages.models import (
    CalworksCase,
    CalworksWtwSanction,
    IngestRun,
    MatchRun,
    MutualFamily,
    ReportSnapshot,
)
from linkages.models.enums import AidStatus, FamilyStatus, Role
from linkages.outcomes import masking
from linkages.services import reports
from linkages.services.reports import ProcessFigures, SanctionFigures, SanctionRow
from linkages.services.scope import Actor

EVALUATOR = Actor(None, "eve", Role.EVALUATOR, None, None)  # statewide, unmasked
FRESNO, LA, ALAMEDA = 10, 19, 1


def manager(county: int) -> Actor:
    return Actor(None, "pm", Role.PROGRAM_MANAGER, None, county)


def _family(session: Session, county: int, identified: date, sanctions: list[tuple],
            closed: date | None = None) -> None:
    n = session.query(CalworksCase).count() + 1
    case = CalworksCase(case_number=f"C{n}", county_cd=county, aid_status=AidStatus.ACTIVE)
    session.add(case)
    session.flush()
    session.add(MutualFamily(county_cd=county, cws_county_cd=county, display_name=f"FAMILY {n}",
                             calworks_case_id=case.id, identified_on=identified,
                             closed_on=closed,
                             status=FamilyStatus.CLOSED if closed else FamilyStatus.ACTIVE))
    session.add_all(CalworksWtwSanction(case_id=case.id, sanction_start=start,
                                        sanction_end=end) for start, end in sanctions)


def _loaded(session: Session, counties: list[int], as_of: str | None, day: int) -> None:
    at = datetime(2025, 7, day, 12, tzinfo=UTC)
    session.add(IngestRun(started_at=at, finished_at=at, directory="/x", counts={
        "calworks_cases.csv": {"read": 0},
        SANCTIONS_FILE: {"read": 0, "coverage": {"counties": counties, "as_of": as_of}}}))


@pytest.fixture
def sanctions(db_url: str) -> str:
    """As of 2025-06-30 (Fresno) an open sanction has an outcome when it began by 2024-12-31
    (six months on is 2025-06-30, June being shorter); Los Angeles's later file is as of
    2025-07-31 (through 2025-01-31). Alameda has sanctions but no sanctions file."""
    with session_scope(db_url) as session:
        now = datetime.now(UTC)
        session.add(MatchRun(started_at=now, finished_at=now, left_file="l", right_file="r"))
        _loaded(session, [FRESNO, LA], "2025-06-30", 1)
        _loaded(session, [FRESNO], None, 2)  # a header-only file keeps the earlier date
        _loaded(session, [LA], "2025-07-31", 3)
        at = datetime(2025, 7, 4, tzinfo=UTC)  # runs without the file: nothing changes
        session.add(IngestRun(started_at=at, finished_at=at, directory="/y", counts={
            SANCTIONS_FILE: {"skipped": "not in the extract directory"}}))
        session.add(IngestRun(started_at=at, finished_at=at, directory="/z", counts={}))
        session.add(IngestRun(started_at=at, directory="/w", counts={  # never finished
            SANCTIONS_FILE: {"coverage": {"counties": [ALAMEDA], "as_of": "2025-07-01"}}}))
        _family(session, FRESNO, date(2024, 1, 15), [
            (date(2024, 1, 10), None),                 # before identification: not counted
            (date(2024, 2, 29), date(2024, 8, 29)),    # 2024-02: cured on the day
            (date(2024, 3, 15), date(2024, 9, 16)),    # 2024-03: a day late
            (date(2024, 8, 31), date(2025, 2, 28)),    # 2024-08: cured (February's last day)
            (date(2024, 12, 31), None),                # 2024-12: open 6 months: not cured
            (date(2025, 1, 1), None),                  # 2025-01: open, no outcome yet
            (date(2025, 2, 1), date(2025, 3, 1)),      # 2025-02: cured
        ])
        _family(session, FRESNO, date(2024, 1, 1), [
            (date(2024, 5, 1), date(2024, 6, 1)),      # 2024-05: cured
            (date(2024, 7, 1), None),                  # after the family closed: not counted
        ], closed=date(2024, 6, 30))
        for i in range(15):  # 2024-10: 12 cured, 3 still in force
            second = [(date(2024, 11, 5), date(2024, 11, 30))] if i < 2 else []  # 2024-11
            _family(session, LA, date(2024, 9, 1), [
                (date(2024, 10, 5), date(2024, 10, 20) if i < 12 else None), *second])
        for _ in range(12):  # 2025-03: in force, no outcome yet
            _family(session, LA, date(2025, 2, 1), [(date(2025, 3, 1), None)])
        _family(session, ALAMEDA, date(2024, 1, 1), [(date(2024, 3, 1), date(2024, 4, 1))])
    return db_url


def _cells(report: reports.ProcessReport) -> list[tuple]:
    return [(r.month, r.sanctions, r.cured_within_6_months)
            for r in [*report.sanction_rows, report.sanction_total]]


def test_six_calendar_months() -> None:
    assert reports._months_later(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert reports._months_later(date(2024, 8, 31), -6) == date(2024, 2, 29)
    assert reports.outcome_known_through(date(2025, 6, 30)) == date(2024, 12, 31)
    assert reports.outcome_known_through(date(2025, 7, 31)) == date(2025, 1, 31)
    assert reports.outcome_known_through(date(2025, 3, 1)) == date(2024, 9, 1)


def test_the_share_cured_by_hand(sanctions: str) -> None:
    with session_scope(sanctions) as session:
        fresno = reports.process(session, EVALUATOR, county_cd=FRESNO)
        la = reports.process(session, EVALUATOR, county_cd=LA)
        state = reports.process(session, EVALUATOR)
    assert _cells(fresno) == [
        ("2024-02", 1, 100.0), ("2024-03", 1, 0.0), ("2024-05", 1, 100.0),
        ("2024-08", 1, 100.0), ("2024-12", 1, 0.0), ("2025-01", 1, None),
        ("2025-02", 1, 100.0), ("All months", 7, round(4 / 6 * 100, 1))]
    assert fresno.sanctions_as_of == "2025-06-30" and fresno.sanction_note is None
    assert _cells(la) == [("2024-10", 15, 80.0), ("2024-11", 2, 100.0), ("2025-03", 12, None),
                          ("All months", 29, round(14 / 17 * 100, 1))]
    assert la.sanctions_as_of == "2025-07-31"
    # The state: the counties with a sanctions file (Alameda's sanction is not counted).
    assert state.sanction_total == SanctionRow("All months", 36, round(18 / 23 * 100, 1))
    assert len(state.sanction_rows) == 10
    assert state.sanctions_as_of == "2025-06-30 to 2025-07-31"
    assert "Fresno, Los Angeles only" in state.sanction_note


def test_a_county_without_a_sanctions_file_says_so(sanctions: str) -> None:
    with session_scope(sanctions) as session:
        for actor in (EVALUATOR, manager(ALAMEDA)):
            report = reports.process(session, actor, county_cd=ALAMEDA)
            assert report.sanction_rows == [] and report.sanction_total is None
            assert report.sanction_note.startswith("No sanctions file loaded for Alameda")
        # A county with neither families nor a file; and one with a file and no families.
        assert reports.process(session, EVALUATOR, county_cd=5).sanction_total is None
    with session_scope(sanctions) as session:
        _loaded(session, [5], None, 4)
    with session_scope(sanctions) as session:
        empty = reports.process(session, EVALUATOR, county_cd=5)
    assert empty.sanction_rows == [] and empty.sanction_note is None
    assert empty.sanction_total == SanctionRow("All months", 0, None)


def test_masked_for_a_program_manager(sanctions: str) -> None:
    with session_scope(sanctions) as session:
        la = reports.process(session, manager(LA))
        fresno = reports.process(session, manager(FRESNO))
    # 2 is masked, and 12 with it (else 29 - 15 would give it away); a share of a masked
    # count is masked; 2025-03 has no outcome yet whatever its count.
    assert _cells(la) == [("2024-10", 15, 80.0), ("2024-11", masking.MASK, masking.MASK),
                          ("2025-03", masking.MASK, None),
                          ("All months", 29, round(14 / 17 * 100, 1))]
    # Fresno's months are all 1: masked, and the total of 7 too; its share rests on 6.
    assert all(r.sanctions == masking.MASK for r in fresno.sanction_rows)
    assert fresno.sanction_total.sanctions == masking.MASK
    assert fresno.sanction_total.cured_within_6_months == masking.MASK


def test_snapshots_keep_the_sanctions_and_an_older_payload_is_computed_again(
        sanctions: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(sanctions) as session:
        run_id = session.scalar(select(MatchRun.id))
        reports.build_process(session, run_id)
        kept = session.scalars(select(ReportSnapshot.county_cd)
                               .where(ReportSnapshot.kind == reports.PROCESS)).all()
    assert sorted(kept, key=lambda c: -1 if c is None else c) == [None, ALAMEDA, FRESNO, LA]
    with session_scope(sanctions) as session:
        fresh = reports.process(session, EVALUATOR, county_cd=FRESNO)
    with monkeypatch.context() as m:  # read from the snapshot
        m.setattr(reports, "process_figures", _must_not_compute)
        with session_scope(sanctions) as session:
            assert _cells(reports.process(session, EVALUATOR, county_cd=FRESNO)) \
                == _cells(fresh)
    # A payload kept before the sanctions were reported reads with none...
    old = ProcessFigures().payload()
    for key in ("version", "sanctions", "sanction_files"):
        del old[key]
    read = ProcessFigures.from_payload(old)
    assert read.sanctions == {} and read.sanction_files == {}
    # ... and is not shown: the report computes the figures again.
    with session_scope(sanctions) as session:
        session.execute(update(ReportSnapshot).where(ReportSnapshot.kind == reports.PROCESS)
                        .values(payload=old))
    with session_scope(sanctions) as session:
        again = reports.process(session, EVALUATOR, county_cd=FRESNO)
        snap = session.scalars(select(ReportSnapshot).where(
            ReportSnapshot.kind == reports.PROCESS, ReportSnapshot.county_cd == FRESNO)).one()
        assert snap.payload["version"] == reports.PROCESS_PAYLOAD_VERSION
    assert _cells(again) == _cells(fresh)


def test_a_cured_sanction_or_a_new_file_changes_the_casework_version(sanctions: str) -> None:
    with session_scope(sanctions) as session:
        before = reports.casework_version(session)
        reports.process(session, EVALUATOR, county_cd=FRESNO)  # kept
    with session_scope(sanctions) as session:
        sanction = session.scalars(select(CalworksWtwSanction).where(
            CalworksWtwSanction.sanction_start == date(2024, 12, 31))).one()
        sanction.sanction_end = date(2025, 1, 20)
        sanction.updated_at = datetime.now(UTC) + timedelta(seconds=1)
    with session_scope(sanctions) as session:
        cured = reports.casework_version(session)
        fresno = reports.process(session, EVALUATOR, county_cd=FRESNO)
    assert cured != before
    assert fresno.sanction_rows[4] == SanctionRow("2024-12", 1, 100.0)  # seen at once
    with session_scope(sanctions) as session:
        _loaded(session, [FRESNO], "2025-07-31", 5)
    with session_scope(sanctions) as session:
        assert reports.casework_version(session) != cured
        later = reports.process(session, EVALUATOR, county_cd=FRESNO)
    # As of 2025-07-31 the sanction begun 2025-01-01 and still in force is not cured.
    assert later.sanction_rows[5] == SanctionRow("2025-01", 1, 0.0)
    assert later.sanctions_as_of == "2025-07-31"


def test_figures_add_up(sanctions: str) -> None:
    with session_scope(sanctions) as session:
        by_county = reports.process_figures(session)
    assert set(by_county[FRESNO].sanction_files) == {FRESNO}
    assert ALAMEDA not in {cd for f in by_county.values() for cd in f.sanction_files}
    total = SanctionFigures()
    for figures in by_county.values():
        for cell in figures.sanctions.values():
            total.add(cell)
    assert (total.sanctions, total.known, total.cured) == (36, 23, 18)


def _must_not_compute(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the figures were computed, not read from the snapshot")
