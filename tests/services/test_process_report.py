"""The process report on SQLite and PostgreSQL: the figures aggregated in the database (and
kept as snapshots) equal the per-family definition the report had before (kept below as
``_as_before``), masked and unmasked, statewide and by county; a kept snapshot is read while
the casework is unchanged and computed again when it changes or grows old."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, insert, select, text, union
from sqlalchemy.orm import Session

from linkages.casework.generate import generate
from linkages.db import get_engine, session_scope
from linkages.models import (
    CoordinatedPlan,
    JointMeeting,
    MatchRun,
    MutualFamily,
    ReportSnapshot,
    ServiceAuthorization,
    User,
    WorkerAssignment,
)
from linkages.models.enums import (
    AuthorizationStatus,
    MeetingStatus,
    MeetingType,
    PlanStatus,
    Program,
    Role,
)
from linkages.outcomes import masking
from linkages.services import reports
from linkages.services.reports import ProcessRow, _share
from linkages.services.scope import Actor

EVALUATOR = Actor(None, "eve", Role.EVALUATOR, None, None)  # statewide, unmasked
COUNTIES = (10, 19, 1)  # Fresno, Los Angeles, Alameda (few families: masked cells)


def _as_before(session: Session, county_cd: int | None, unmasked: bool
               ) -> tuple[list[ProcessRow], ProcessRow, list[dict[str, Any]]]:
    """The process report's figures as the report computed them before they were aggregated
    in the database (commit c0733cd): per family, in pandas."""
    fam = MutualFamily.__table__

    def frame(stmt: Any, columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame(session.execute(stmt).all(), columns=columns)

    where = [] if county_cd is None else [fam.c.county_cd == county_cd]
    per_day = frame(select(fam.c.identified_on, func.count())
                    .where(*where).group_by(fam.c.identified_on), ["identified_on", "n"])
    per_day["month"] = per_day["identified_on"].map(lambda d: str(d)[:7])
    families_by_month = per_day.groupby("month")["n"].sum()
    ids = select(fam.c.id).where(*where)
    jm = JointMeeting.__table__
    meetings = frame(select(jm.c.family_id, func.min(jm.c.held_at))
                     .where(jm.c.status == MeetingStatus.HELD.value, jm.c.held_at.is_not(None),
                            jm.c.family_id.in_(ids)).group_by(jm.c.family_id),
                     ["family_id", "held_at"])
    cp = CoordinatedPlan.__table__
    plans = frame(select(cp.c.family_id, func.min(cp.c.approved_at))
                  .where(cp.c.status.in_([PlanStatus.APPROVED.value,
                                          PlanStatus.SUPERSEDED.value]),
                         cp.c.approved_at.is_not(None), cp.c.family_id.in_(ids))
                  .group_by(cp.c.family_id), ["family_id", "approved_at"])
    wa = WorkerAssignment.__table__
    workers = frame(select(wa.c.family_id, func.count(func.distinct(wa.c.program)))
                    .where(wa.c.end_date.is_(None), wa.c.family_id.in_(ids))
                    .group_by(wa.c.family_id), ["family_id", "programs"])
    sa = ServiceAuthorization.__table__
    spend = frame(select(sa.c.fund_source, sa.c.category, func.count(), func.sum(sa.c.amount))
                  .where(sa.c.status.in_([AuthorizationStatus.APPROVED.value,
                                          AuthorizationStatus.DELIVERED.value]),
                         sa.c.family_id.in_(ids))
                  .group_by(sa.c.fund_source, sa.c.category),
                  ["fund_source", "category", "services", "amount"])
    worked = union(select(jm.c.family_id), select(cp.c.family_id),
                   select(wa.c.family_id)).subquery()
    f = frame(select(fam.c.id, fam.c.identified_on)
              .where(*where, fam.c.id.in_(select(worked.c.family_id))),
              ["family_id", "identified_on"]).set_index("family_id")

    def day(values: pd.Series) -> pd.Series:
        return pd.to_datetime(values, utc=True).dt.tz_localize(None).dt.normalize()

    f["identified"] = pd.to_datetime(f["identified_on"])
    first = meetings.assign(held=day(meetings["held_at"])).set_index("family_id")["held"]
    f["days_to_meeting"] = (first.reindex(f.index) - f["identified"]).dt.days
    approved = plans.assign(at=day(plans["approved_at"])).set_index("family_id")["at"]
    f["days_to_plan"] = (approved.reindex(f.index) - f["identified"]).dt.days
    programs = workers.set_index("family_id")["programs"]
    f["paired"] = programs.reindex(f.index).fillna(0).astype(int) >= 2
    f["month"] = f["identified_on"].map(lambda d: str(d)[:7])
    months = sorted(families_by_month.index)
    counts = np.array([families_by_month[m] for m in months], dtype=float)
    masks, total_masked = masking.suppress(counts, float(counts.sum()),
                                           masking.table_relations([(m,) for m in months]))

    def row(label: str, n: int, part: pd.DataFrame, masked: bool) -> ProcessRow:
        met = part["days_to_meeting"].dropna()
        median = float(met.median()) if len(met) else None
        return ProcessRow(
            label, masking.show_count(n, masked, unmasked),
            (masking.MASK if (masked or masking.primary(np.array([len(met)]))[0])
             and not unmasked else median),
            _share(int((part["days_to_meeting"] <= 30).sum()), n, masked, unmasked),
            _share(int((part["days_to_plan"] <= 60).sum()), n, masked, unmasked),
            _share(int(part["paired"].sum()), n, masked, unmasked))

    rows = [row(m, int(n), f[f["month"] == m], bool(mk))
            for m, n, mk in zip(months, counts, masks, strict=True)]
    total = row("All months", int(counts.sum()), f, total_masked)
    spending = [{"fund_source": str(source), "category": str(category),
                 "services": int(n), "amount": round(float(amount), 2)}
                for source, category, n, amount in spend.itertuples(index=False)]
    spending.sort(key=lambda r: (r["fund_source"], r["category"]))
    return rows, total, spending


@pytest.fixture
def casework(db_url: str) -> list[int]:
    """Mutual families in three counties over 14 months (Alameda's few), a match run of
    record, and synthetic casework for most of them; plus meetings held late in the evening
    (the next day in UTC; PostgreSQL is read in California time below), before the family
    was identified, and an ended assignment."""
    rng = random.Random(5)
    now = datetime.now(UTC)
    families = []
    for i in range(1, 241):
        county = COUNTIES[0] if i % 2 else COUNTIES[1]
        if i % 40 == 0:
            county = COUNTIES[2]
        families.append({
            "id": i, "county_cd": county, "cws_county_cd": county, "display_name": f"FAMILY {i}",
            "status": "identified", "identification_source": "data_match",
            "identified_on": date(2025, 6, 1) + timedelta(days=rng.randint(0, 420)),
            "search_key": f"family {i}", "created_at": now, "updated_at": now})
    engine = get_engine(db_url)
    with engine.begin() as conn:
        run_id = conn.execute(insert(MatchRun.__table__).values(
            started_at=now, finished_at=now, left_file="l.csv", right_file="r.csv",
            parameters={}, statistics={}, timings={})
            .returning(MatchRun.__table__.c.id)).scalar_one()
        conn.execute(insert(MutualFamily.__table__), families)
    generate(engine, counties=None, share=0.8, seed=11, as_of=date(2026, 11, 30))
    with session_scope(db_url) as session:
        worker = session.scalars(select(User.id).order_by(User.id)).first()
        met = select(JointMeeting.family_id).where(JointMeeting.status == MeetingStatus.HELD)
        unmet = session.scalars(select(MutualFamily).where(MutualFamily.id.not_in(met))
                                .order_by(MutualFamily.id)).all()
        # The first meeting on day 30 at noon UTC (within 30 days); at 03:30 UTC on day 31
        # (the evening of day 30 in California: not within 30 days, whose days are UTC's);
        # 10 days before the family was identified (it was identified again by a later run).
        for family, days, hours in zip(unmet, (30, 31, -10, 30, 31), (12, 3.5, 12, 12, 3.5),
                                       strict=False):
            held = datetime.combine(family.identified_on + timedelta(days=days),
                                    datetime.min.time(), UTC) + timedelta(hours=hours)
            session.add(JointMeeting(family_id=family.id, meeting_type=MeetingType.REVIEW,
                                     status=MeetingStatus.HELD, scheduled_at=held, held_at=held))
        session.add(WorkerAssignment(family_id=3, user_id=worker, program=Program.CWS,
                                     start_date=date(2025, 1, 1), end_date=date(2025, 2, 1)))
    assert run_id
    return [*COUNTIES, 5]  # 5: a county without families


def _check(db_url: str, counties: list[int]) -> None:
    with session_scope(db_url) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET TIME ZONE 'America/Los_Angeles'"))
        for actor, county in [(EVALUATOR, None)] + [
                (a, cd) for cd in counties for a in (
                    EVALUATOR, Actor(None, "pm", Role.PROGRAM_MANAGER, None, cd))]:
            report = reports.process(session, actor, county_cd=county)
            rows, total, spending = _as_before(session, county, not report.masked)
            assert report.rows == rows, (actor.username, county)
            assert report.total == total, (actor.username, county)
            assert report.spending == spending, (actor.username, county)


def test_the_aggregated_figures_equal_the_per_family_definition(
        db_url: str, casework: list[int]) -> None:
    with session_scope(db_url) as session:
        state = reports.process(session, EVALUATOR)
        la = reports.process(session, Actor(None, "pm", Role.PROGRAM_MANAGER, None, 19))
    # The fixture is worth comparing on: figures in every column, and masked cells.
    assert state.total.families == 240 and len(state.rows) >= 12
    assert isinstance(state.total.median_days_to_meeting, float)
    assert all(isinstance(getattr(state.total, k), float) and getattr(state.total, k) > 0
               for k in ("meeting_within_30", "plan_within_60", "paired"))
    assert state.spending and la.masked
    assert any(r.families == masking.MASK for r in la.rows)
    _check(db_url, casework)  # computed live (no snapshot yet), then kept
    _check(db_url, casework)  # read from the snapshots kept
    with session_scope(db_url) as session:
        kept = session.scalars(select(ReportSnapshot.county_cd)
                               .where(ReportSnapshot.kind == reports.PROCESS)).all()
    assert sorted(kept, key=lambda c: -1 if c is None else c) == [None, 1, 5, 10, 19]


def test_reports_build_keeps_every_county_and_a_change_is_seen(
        db_url: str, casework: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    with session_scope(db_url) as session:
        assert reports.build_process(session, session.scalar(select(MatchRun.id))) == 3
    with session_scope(db_url) as session:
        before = reports.process(session, EVALUATOR, county_cd=10)
    # While the casework is unchanged, the pages read the snapshots only.
    with monkeypatch.context() as m:
        m.setattr(reports, "process_figures", _must_not_compute)
        _check(db_url, casework[:3])
    # A meeting held today for a Fresno family that had none: seen at once.
    with session_scope(db_url) as session:
        met = select(JointMeeting.family_id).where(JointMeeting.status == MeetingStatus.HELD)
        family = session.scalars(select(MutualFamily).where(
            MutualFamily.county_cd == 10, MutualFamily.id.not_in(met))
            .order_by(MutualFamily.identified_on.desc())).first()
        held = datetime.combine(family.identified_on, datetime.min.time(), UTC) \
            + timedelta(days=3, hours=18)
        session.add(JointMeeting(family_id=family.id, meeting_type=MeetingType.CFT,
                                 status=MeetingStatus.HELD, scheduled_at=held, held_at=held))
    with session_scope(db_url) as session:
        after = reports.process(session, EVALUATOR, county_cd=10)
    assert after.total.meeting_within_30 > before.total.meeting_within_30
    assert after.as_of > before.as_of
    _check(db_url, casework)
    # A snapshot older than PROCESS_MAX_AGE is computed again even with no change seen.
    with session_scope(db_url) as session:
        for snap in session.scalars(select(ReportSnapshot)
                                    .where(ReportSnapshot.kind == reports.PROCESS)):
            snap.built_at = datetime.now(UTC) - reports.PROCESS_MAX_AGE - timedelta(minutes=1)
    with session_scope(db_url) as session:
        again = reports.process(session, EVALUATOR, county_cd=10)
    assert again.rows == after.rows and again.as_of > after.as_of


def _must_not_compute(*_args: object, **_kwargs: object) -> None:
    raise AssertionError("the figures were computed, not read from the snapshot")


def test_no_run_of_record_computes_without_keeping(db_url: str) -> None:
    with session_scope(db_url) as session:
        report = reports.process(session, EVALUATOR)
        assert report.rows == [] and report.total.families == 0
        assert report.total.median_days_to_meeting is None
        assert session.scalar(select(func.count(ReportSnapshot.id))) == 0
        # No sanctions file loaded: said, not shown as 0%.
        assert report.notes == [] and report.sanction_total is None
        assert report.sanction_note.startswith("No sanctions file loaded for California")
