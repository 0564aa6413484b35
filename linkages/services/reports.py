"""Program managers' reports: the seed-004 match-rate table of a match run, statewide and by
county, with its trend across runs; the outcome measures for matched versus other children;
and the county data profile for the System Improvement Plan (seed 003).

The figures are computed once per match run by :func:`build` (``linkages reports build``, run
after ``linkages match --record``) and kept in ``report_snapshot``; a page only reads them, so
a statewide page answers in well under a second. The process report, read from the casework
that changes as workers work, is kept the same way and computed again when the casework has
changed (see PROCESS below). Counts are stored unmasked and masked here for
the reader, with the same rules and code as ``linkages outcomes`` (linkages.outcomes.masking):
cells of 1 to 10 and the complementary cells that would give them away, unless the reader's
role may see unmasked figures (Permission.VIEW_UNMASKED).

Every read goes through :mod:`linkages.services.scope` (a county user sees her county and the
state; a statewide user every county) and is audited.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import io
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    cast,
    delete,
    extract,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session

from linkages.codes import county_name, county_names
from linkages.models import (
    CalworksPerson,
    CwsChildClient,
    Link,
    MatchRun,
    Person,
    PersonRecord,
    ReportSnapshot,
)
from linkages.models.enums import LinkDecision, RecordSource
from linkages.outcomes import masking
from linkages.services import audit, review
from linkages.services.audit import AuditAction
from linkages.services.scope import (
    Actor,
    NotFound,
    Permission,
    county_in_scope,
    require,
)
from linkages.services.workspace import as_local

MATCH_RATE = "match_rate"
OUTCOMES = "outcomes"
MISSING_COUNTY = 0  # a person whose records carry no county code

# The seed-004 table: (key, label, children count key, found count key).
MATCH_RATE_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("calworks", "CalWORKs children found in CWS", "left_persons", "left_persons_matched"),
    ("cws", "CWS children on CalWORKs", "right_persons", "right_persons_matched"),
    ("cws_case", "CWS children with a case, on CalWORKs", "right_case_persons",
     "right_case_persons_matched"),
)
COUNT_KEYS = tuple(k for _, _, whole, part in MATCH_RATE_ROWS for k in (whole, part))

# The measures compared for matched and other children: the proportions and rates (4B1 and
# 4B2 are distributions of placement types, with no single rate to compare), the federal ones
# and California's. The monthly 2F-M and 2F-LOC-M are left to `linkages outcomes`: 2F and
# 2F-LOC are their sums by year.
COMPARED_MEASURES = ("P1", "P2", "P3", "P4", "P5", "S1", "S2", "2B-IMM", "2B-10DAY", "2D-IMM",
                     "2D-10DAY", "2F", "2F-LOC", "4A-ALL", "4A-SOME", "4A-MISSING", "C2.1")
# Shown for the county against the state, not compared: their denominator, the population
# file, has no CalWORKs split.
UNCOMPARED_MEASURES = ("REF-RATE", "SUB-RATE", "ENTRY-RATE")
# Input files that cover a span of time (an extract may carry visits for some years only): a
# period outside the span of its file's dates is left blank, not read as "no visit made".
DATED_INPUTS = {"visits": "visit_dt", "referrals": "received_dt"}


class ReportNotBuilt(LookupError):
    """No snapshot of this report for the run: ``linkages reports build`` has not been run."""


# --- building ---------------------------------------------------------------------------------


def _frame(session: Session, stmt: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(session.execute(stmt).all(), columns=columns)


def match_rate_counts(session: Session, run_id: int) -> dict[int, dict[str, int]]:
    """The seed-004 counts of run ``run_id`` by county, from its unduplicated persons: each
    person counted once, in the county of her records (the lowest code when they disagree),
    matched when her person holds a record of the other file; a CWS child "with a case" when
    one of her records has a case number. The counties add up to the run's statistics."""
    p, pr = Person.__table__, PersonRecord.__table__
    cw, cws = CalworksPerson.__table__, CwsChildClient.__table__
    left = _frame(session, select(pr.c.person_id, cw.c.county_cd)
                  .join(p, p.c.id == pr.c.person_id)
                  .join(cw, cw.c.record_id == pr.c.record_id, isouter=True)
                  .where(p.c.run_id == run_id, pr.c.source == RecordSource.CALWORKS.value),
                  ["person_id", "county_cd"])
    right = _frame(session, select(pr.c.person_id, cws.c.county_cd, cws.c.case_number)
                   .join(p, p.c.id == pr.c.person_id)
                   .join(cws, cws.c.record_id == pr.c.record_id, isouter=True)
                   .where(p.c.run_id == run_id, pr.c.source == RecordSource.CWS.value),
                   ["person_id", "county_cd", "case_number"])
    left["county_cd"] = pd.to_numeric(left["county_cd"]).fillna(MISSING_COUNTY).astype(int)
    right["county_cd"] = pd.to_numeric(right["county_cd"]).fillna(MISSING_COUNTY).astype(int)
    right["has_case"] = right["case_number"].fillna("").astype(str).str.strip() != ""
    # A county of 0 (missing) sorts first: prefer a known county.
    left["county_cd"] = left["county_cd"].replace(MISSING_COUNTY, 10_000)
    right["county_cd"] = right["county_cd"].replace(MISSING_COUNTY, 10_000)
    lp = left.groupby("person_id")["county_cd"].min().replace(10_000, MISSING_COUNTY)
    rp = right.groupby("person_id").agg(county_cd=("county_cd", "min"),
                                        has_case=("has_case", "any"))
    rp["county_cd"] = rp["county_cd"].replace(10_000, MISSING_COUNTY)
    left_matched = lp.index.isin(rp.index)
    right_matched = rp.index.isin(lp.index)
    frame = pd.concat([
        pd.DataFrame({"county_cd": lp.to_numpy(), "left_persons": 1,
                      "left_persons_matched": left_matched.astype(int)}),
        pd.DataFrame({"county_cd": rp["county_cd"].to_numpy(), "right_persons": 1,
                      "right_persons_matched": right_matched.astype(int),
                      "right_case_persons": rp["has_case"].astype(int).to_numpy(),
                      "right_case_persons_matched":
                          (rp["has_case"].to_numpy() & right_matched).astype(int)}),
    ]).fillna(0)
    sums = frame.groupby("county_cd")[list(COUNT_KEYS)].sum().astype(int)
    return {int(c): {k: int(v) for k, v in row.items()} for c, row in sums.iterrows()}


def _extract_key(paths: Iterable[Path]) -> str:
    """The files an outcome snapshot was computed from: names, sizes and modification times."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        stat = path.stat()
        digest.update(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def default_periods(foster_care: pd.DataFrame, count: int = 9) -> tuple[date, int]:
    """Rolling 12-month periods, one quarter apart, over the last three years the file can
    follow for 12 months: the last one ends at the last quarter end at least a year before the
    file's latest date."""
    dates = []
    for column in ("episode_start", "episode_end", "placement_start", "placement_end"):
        if column in foster_care:
            dates.append(pd.to_datetime(foster_care[column], errors="coerce").max())
    latest = max((d for d in dates if pd.notna(d)), default=pd.Timestamp(date.today()))
    horizon = latest - pd.DateOffset(months=12)
    quarter_end = pd.Timestamp(horizon.year, ((horizon.month - 1) // 3) * 3 + 1, 1) \
        - pd.Timedelta(days=1)
    last_start = quarter_end + pd.Timedelta(days=1) - pd.DateOffset(months=12)
    first = last_start - pd.DateOffset(months=3 * (count - 1))
    return first.date(), count


@dataclass
class BuildResult:
    run_id: int
    counties: int
    outcomes: bool
    extract_key: str = ""
    notes: list[str] = field(default_factory=list)
    process: bool = False  # the process report's snapshots (built for the latest run only)


def build(session: Session, actor: Actor, run_id: int | None = None,
          extract: Path | None = None, period_start: date | None = None,
          periods: int | None = None) -> BuildResult:
    """Compute and store the snapshots of run ``run_id`` (default: the latest not undone):
    the match-rate counts by county; the review queue's order; for the latest run, the process
    report of the state and every county as the casework stands; and, given the extract
    directory, the outcome measures by county for matched and other children. Earlier
    snapshots of the same kind and run are replaced."""
    run = _run(session, run_id)
    counts = match_rate_counts(session, run.id)
    stats = dict(run.statistics or {})
    statewide = {k: int(stats.get(k, 0) or 0) for k in COUNT_KEYS}
    summed = {k: sum(c[k] for c in counts.values()) for k in COUNT_KEYS}
    notes = []
    if summed != statewide:
        notes.append(f"note: the persons stored for run {run.id} add up to {summed}, its "
                     f"statistics say {statewide}")
    payload = {
        "statewide": {**statewide,
                      "expected_false_matches": stats.get("expected_false_matches"),
                      "expected_missed_matches": stats.get("expected_missed_matches"),
                      "clerical_agreement": stats.get("clerical_agreement") or {"pairs": 0}},
        "counties": {str(c): v for c, v in counts.items()},
    }
    session.execute(delete(ReportSnapshot).where(ReportSnapshot.run_id == run.id,
                                                 ReportSnapshot.kind == MATCH_RATE))
    session.add(ReportSnapshot(run_id=run.id, kind=MATCH_RATE, county_cd=None,
                               payload=payload))
    queued = review.build_queue(session, run)
    result = BuildResult(run.id, len(counts), False, notes=notes)
    if extract is not None:
        result.extract_key = _build_outcomes(session, run.id, Path(extract), period_start,
                                             periods, notes)
        result.outcomes = True
    # Last, just before the commit: a page that finds the casework changed replaces these
    # snapshots, and would wait for the rows this deletes while the build goes on.
    latest = review.latest_run(session)
    if latest is not None and latest.id == run.id:
        build_process(session, run.id)
        result.process = True
    audit.record(session, actor, AuditAction.REPORT_BUILD, "match_run", run.id,
                 {"counties": len(counts), "outcomes": result.outcomes, "queue": queued,
                  "process": result.process, "extract_key": result.extract_key})
    session.flush()
    return result


def _run(session: Session, run_id: int | None) -> MatchRun:
    if run_id is None:
        run = review.latest_run(session)
        if run is None:
            raise NotFound("there is no match run of record (run `linkages match --record`)")
        return run
    run = session.get(MatchRun, run_id)
    if run is None:
        raise NotFound(f"there is no match run {run_id}")
    return run


def aligned_start(period: str, period_start: date) -> date:
    """The first period of a measure of kind ``period`` lined up with the rolling years from
    ``period_start`` (one quarter apart), so that the i-th period of every measure belongs to
    the i-th year: a year is itself; a quarter (2B, 2D) is the year's last quarter; a day (4A)
    that quarter's first day."""
    if period in ("quarter", "day"):
        return (pd.Timestamp(period_start) + pd.DateOffset(months=9)).date()
    return period_start


def _blank_uncovered(result: dict[str, Any], spans: list[tuple[str, Any, Any]],
                     value: str) -> None:
    """Blank the periods of a measure's result (``OutcomeResult.to_dict()``) that its dated
    input files do not cover from start to end: every count is None and ``uncovered`` names
    the file."""
    for period in result["periods"]:
        start, end = pd.Timestamp(period["start"]), pd.Timestamp(period["end"])
        out = [f"{name} runs from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
               for name, first, last in spans if start < first or end > last]
        if not out:
            continue
        blank = {"numerator": None, "denominator": None, value: None,
                 "uncovered": "; ".join(out)}
        period["total"] = dict(blank)
        period["rows"] = [{"group": r["group"], **blank} for r in period["rows"]]


def _build_outcomes(session: Session, run_id: int, extract: Path, period_start: date | None,
                    periods: int | None, notes: list[str]) -> str:
    from linkages.extracts import read_extract
    from linkages.outcomes import core, engine, files
    from linkages.outcomes.measures import MEASURES, prepare_reports

    fc_path = extract / "foster_care.csv"
    if not fc_path.exists():
        raise FileNotFoundError(f"{fc_path}: not found (the extract's foster care file)")
    used = [fc_path]
    fc = read_extract(fc_path, files.FOSTER_CARE_FILE).data
    allegations = children = None
    if (extract / "cws_allegations.csv").exists():
        used.append(extract / "cws_allegations.csv")
        allegations = read_extract(extract / "cws_allegations.csv",
                                   files.ALLEGATION_FILE).data
    if (extract / "cws_children.csv").exists():
        used.append(extract / "cws_children.csv")
        children = read_extract(extract / "cws_children.csv",
                                files.CWS_CHILDREN_FILE).data
    extras: dict[str, pd.DataFrame] = {}
    for name, (_, file_name, spec) in files.MEASURE_INPUTS.items():
        if (extract / file_name).exists():
            used.append(extract / file_name)
            extras[name] = read_extract(extract / file_name, spec).data
    file_names = {"allegations": "cws_allegations.csv",
                  **{name: file_name for name, (_, file_name, _) in
                     files.MEASURE_INPUTS.items()}}
    links = pd.DataFrame(session.execute(
        select(Link.left_record_id, Link.right_record_id, Link.decision)
        .where(Link.run_id == run_id, Link.decision == LinkDecision.MATCH)).all(),
        columns=["left_id", "right_id", "decision"])
    links["decision"] = links["decision"].map(str)
    if period_start is None or periods is None:
        start, count = default_periods(fc)
        period_start, periods = period_start or start, periods or count
    prepared = core.prepare(fc)

    reports = prepare_reports(allegations) if allegations is not None else None
    by_county: dict[int, dict[str, Any]] = {}
    state: dict[str, Any] = {}
    left_out: dict[str, str] = {}
    names = {name: cd for cd, name in county_names().items()}
    for code in (*COMPARED_MEASURES, *UNCOMPARED_MEASURES):
        m = MEASURES[code]
        absent = [file_names[n] for n in
                  dict.fromkeys([*(["allegations"] if m.needs_allegations else []), *m.needs])
                  if (allegations if n == "allegations" else extras.get(n)) is None]
        if absent:
            left_out[code] = f"the extract has no {' or '.join(absent)}"
            notes.append(f"note: {code} left out: {left_out[code]}")
            continue
        compared = code in COMPARED_MEASURES
        spans = [(file_names[n], extras[n][DATED_INPUTS[n]].min(),
                  extras[n][DATED_INPUTS[n]].max())
                 for n in m.needs if n in DATED_INPUTS and len(extras[n])]
        shown = {}
        for masked in (True, False):
            shown[masked] = engine.compute(
                code, prepared, aligned_start(m.period, period_start), periods, by=("county",),
                links=links if compared else None, masked=masked,
                allegations=reports if m.needs_allegations else allegations,
                children=children, compare_matched=compared, extras=extras).to_dict()
        meta = {"title": shown[True]["title"], "kind": m.kind,
                "per": m.per if m.kind == "rate" else 100, "per_unit": m.per_unit,
                "lower_is_better": m.lower_is_better, "period": m.period,
                "compared": compared}
        for side in shown.values():
            _blank_uncovered(side, spans, "rate" if m.kind == "rate" else "percent")
        blanked = sum(bool(p["total"].get("uncovered")) for p in shown[True]["periods"])
        if blanked:
            name, first, last = spans[0] if len(spans) == 1 else (
                "input files", max(s[1] for s in spans), min(s[2] for s in spans))
            notes.append(f"note: {code}: {blanked} of its periods lie outside the extract's "
                         f"{name} ({first:%Y-%m-%d} to {last:%Y-%m-%d}) and are left blank")
        state[code] = {**meta, "periods": [
            {"start": pm["start"], "end": pm["end"], "masked": pm["total"],
             "unmasked": pu["total"]}
            for pm, pu in zip(shown[True]["periods"], shown[False]["periods"], strict=True)]}
        for i, (pm, pu) in enumerate(zip(shown[True]["periods"], shown[False]["periods"],
                                         strict=True)):
            for rm, ru in zip(pm["rows"], pu["rows"], strict=True):
                cd = names.get(rm["group"].get("county", ""), MISSING_COUNTY)
                entry = by_county.setdefault(cd, {}).setdefault(code, {**meta, "periods": []})
                while len(entry["periods"]) < i:  # a county absent from an earlier period
                    entry["periods"].append(None)
                entry["periods"].append({"start": pm["start"], "end": pm["end"],
                                         "masked": rm, "unmasked": ru})
    key = _extract_key(used)
    session.execute(delete(ReportSnapshot).where(ReportSnapshot.run_id == run_id,
                                                 ReportSnapshot.kind == OUTCOMES))
    params = {"period_start": str(period_start), "periods": periods,
              "extract": str(extract), "left_out": left_out}
    session.add(ReportSnapshot(run_id=run_id, kind=OUTCOMES, extract_key=key, county_cd=None,
                               payload={"params": params, "measures": state}))
    for cd, measures in by_county.items():
        session.add(ReportSnapshot(run_id=run_id, kind=OUTCOMES, extract_key=key,
                                   county_cd=cd, payload={"params": params,
                                                          "measures": measures}))
    return key


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunInfo:
    id: int
    started_at: datetime
    undone: bool


def runs(session: Session, actor: Actor) -> list[RunInfo]:
    """The runs of record that have a match-rate snapshot, newest first."""
    require(actor, Permission.VIEW_REPORTS)
    rows = session.execute(
        select(MatchRun.id, MatchRun.started_at, MatchRun.undone_at)
        .where(MatchRun.id.in_(select(ReportSnapshot.run_id)
                               .where(ReportSnapshot.kind == MATCH_RATE)))
        .order_by(MatchRun.id.desc())).all()
    return [RunInfo(i, s, u is not None) for i, s, u in rows]


def _snapshot(session: Session, kind: str, run_id: int,
              county_cd: int | None = None) -> ReportSnapshot | None:
    return session.scalars(select(ReportSnapshot).where(
        ReportSnapshot.kind == kind, ReportSnapshot.run_id == run_id,
        ReportSnapshot.county_cd.is_(None) if county_cd is None
        else ReportSnapshot.county_cd == county_cd)
        .order_by(ReportSnapshot.id.desc()).limit(1)).first()


def _default_run(session: Session, actor: Actor,
                 known: list[RunInfo] | None = None) -> int:
    """The newest run not undone with its reports built (``known``: :func:`runs`, if read)."""
    choices = [r for r in (runs(session, actor) if known is None else known) if not r.undone]
    if not choices:
        raise ReportNotBuilt("no match run has its reports built yet: run `linkages reports "
                             "build` after `linkages match --record`")
    return choices[0].id


def visible_counties(actor: Actor) -> list[tuple[int, str]]:
    """The counties whose figures ``actor`` may open."""
    if actor.statewide:
        return sorted(county_names().items())
    if actor.county_cd is not None:
        return [(actor.county_cd, county_name(actor.county_cd))]
    return []


def _area_label(county_cd: int | None) -> str:
    return "California (statewide)" if county_cd is None else f"{county_name(county_cd)} County"


@dataclass
class RateCell:
    children: int | str
    found: int | str
    rate: float | str | None  # percent


@dataclass
class MatchRateRow:
    county_cd: int | None  # None: statewide
    label: str
    cells: dict[str, RateCell]


@dataclass
class MatchRateReport:
    run_id: int
    runs: list[RunInfo]
    rows: list[MatchRateRow]
    masked: bool
    expected_false_matches: float | None
    expected_missed_matches: float | None
    clerical_agreement: dict[str, Any]
    trend: list[dict[str, Any]]  # per run: run_id, started_at, rate by table row
    trend_county: int | None


def _masked_table(payload: dict[str, Any], unmasked: bool
                  ) -> dict[int | None, dict[str, RateCell]]:
    """Every county's cells and the statewide total's, masked as ``linkages outcomes`` masks a
    table by county (primary and complementary suppression of each count column)."""
    counties = sorted(int(c) for c in payload["counties"])
    total = payload["statewide"]
    masks: dict[str, tuple[np.ndarray, bool]] = {}
    keys = [(str(c),) for c in counties]
    relations = masking.table_relations(keys)
    for k in COUNT_KEYS:
        values = np.array([payload["counties"][str(c)][k] for c in counties], dtype=float)
        masks[k] = masking.suppress(values, float(total[k]), relations)
    out: dict[int | None, dict[str, RateCell]] = {}
    for pos, cd in enumerate([*counties, None]):
        source = total if cd is None else payload["counties"][str(cd)]
        cells = {}
        for key, _, whole, part in MATCH_RATE_ROWS:
            m_whole = masks[whole][1] if cd is None else bool(masks[whole][0][pos])
            m_part = masks[part][1] if cd is None else bool(masks[part][0][pos])
            n, x = float(source[whole]), float(source[part])
            rate = x / n * 100 if n else None
            cells[key] = RateCell(
                children=masking.show_count(n, m_whole, unmasked),
                found=masking.show_count(x, m_part, unmasked),
                rate=masking.show_quotient(rate, m_whole or m_part, unmasked, 1))
        out[cd] = cells
    return out


def match_rate(session: Session, actor: Actor, run_id: int | None = None,
               county_cd: int | None = None, ip: str | None = None, *,
               audited: bool = True) -> MatchRateReport:
    """The seed-004 table of a run: the statewide row and the counties ``actor`` may see (or
    the one asked for), masked for her role; the trend of the rates across runs. Audited as a
    view unless ``audited`` is false (a CSV download audits itself as an export)."""
    require(actor, Permission.VIEW_REPORTS)
    if county_cd is not None and not county_in_scope(actor, county_cd):
        raise NotFound("no such county in your scope")
    all_runs = runs(session, actor)
    run_id = run_id or _default_run(session, actor, all_runs)
    snap = _snapshot(session, MATCH_RATE, run_id)
    if snap is None:
        raise NotFound(f"match run {run_id} has no match-rate report")
    unmasked = actor.can(Permission.VIEW_UNMASKED)
    table = _masked_table(snap.payload, unmasked)
    wanted = ([county_cd] if county_cd is not None else
              [c for c, _ in visible_counties(actor) if c in table])
    rows = [MatchRateRow(None, "California (statewide)", table[None])]
    rows += [MatchRateRow(c, county_name(c) if c else "County missing", table[c])
             for c in wanted if c in table]
    trend_county = county_cd if county_cd is not None else (
        None if actor.statewide else actor.county_cd)
    kept = {r.id: r for r in all_runs if not r.undone}
    payloads = dict(session.execute(
        select(ReportSnapshot.run_id, ReportSnapshot.payload)
        .where(ReportSnapshot.kind == MATCH_RATE, ReportSnapshot.county_cd.is_(None),
               ReportSnapshot.run_id.in_(kept))
        .order_by(ReportSnapshot.id)).all())  # the newest of a run last: it wins
    trend = []
    for run in sorted(kept.values(), key=lambda r: r.id):
        if run.id not in payloads:
            continue
        cells = _masked_table(payloads[run.id], unmasked).get(trend_county)
        if cells is None:
            continue
        trend.append({"run_id": run.id, "started_at": run.started_at,
                      "rates": {k: c.rate for k, c in cells.items()}})
    state = snap.payload["statewide"]
    if audited:
        audit.record(session, actor, AuditAction.REPORT_VIEW, "report", MATCH_RATE,
                     {"run_id": run_id, "county_cd": county_cd}, ip)
    return MatchRateReport(run_id, all_runs, rows, not unmasked,
                           state.get("expected_false_matches"),
                           state.get("expected_missed_matches"),
                           state.get("clerical_agreement") or {"pairs": 0}, trend, trend_county)


CSV_COLUMNS = ("run_id", "county_cd", "county", "calworks_children",
               "calworks_children_in_cws", "calworks_match_rate_pct", "cws_children",
               "cws_children_on_calworks", "cws_match_rate_pct", "cws_case_children",
               "cws_case_children_on_calworks", "cws_case_match_rate_pct",
               "expected_false_matches", "expected_missed_matches", "masked")


def match_rate_csv(session: Session, actor: Actor, run_id: int | None = None,
                   county_cd: int | None = None, ip: str | None = None) -> str:
    """The table as CSV, masked as on the page (statewide row first)."""
    report = match_rate(session, actor, run_id, county_cd, audited=False)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        c = row.cells
        writer.writerow([
            report.run_id, "" if row.county_cd is None else row.county_cd, row.label,
            c["calworks"].children, c["calworks"].found, _text(c["calworks"].rate),
            c["cws"].children, c["cws"].found, _text(c["cws"].rate),
            c["cws_case"].children, c["cws_case"].found, _text(c["cws_case"].rate),
            _text(report.expected_false_matches) if row.county_cd is None else "",
            _text(report.expected_missed_matches) if row.county_cd is None else "",
            "yes" if report.masked else "no"])
    audit.record(session, actor, AuditAction.REPORT_EXPORT, "report", MATCH_RATE,
                 {"run_id": report.run_id, "county_cd": county_cd, "rows": len(report.rows)},
                 ip)
    return buf.getvalue()


def _text(value: object) -> str:
    return "" if value is None else str(value)


# --- outcomes ---------------------------------------------------------------------------------


@dataclass
class OutcomeReport:
    run_id: int
    county_cd: int | None
    county_label: str
    masked: bool
    params: dict[str, Any]
    measures: dict[str, dict[str, Any]]  # code -> {title, kind, per, periods: [...]}
    statewide: dict[str, dict[str, Any]]


def _outcome_snapshots(session: Session, actor: Actor, run_id: int | None,
                       county_cd: int | None
                       ) -> tuple[int, int | None, dict[str, Any], dict[str, Any]]:
    """The run, the county (default: the reader's; statewide readers: the state), its outcome
    payload and the statewide one."""
    require(actor, Permission.VIEW_REPORTS)
    if county_cd is None and not actor.statewide:
        county_cd = actor.county_cd
    if not county_in_scope(actor, county_cd):
        raise NotFound("no such county in your scope")
    run_id = run_id or _default_run(session, actor)
    state = _snapshot(session, OUTCOMES, run_id)
    if state is None:
        raise ReportNotBuilt(f"match run {run_id} has no outcome figures: run `linkages "
                             "reports build --extract DIR`")
    if county_cd is None:
        return run_id, None, state.payload, state.payload
    own = _snapshot(session, OUTCOMES, run_id, county_cd)
    payload = own.payload if own is not None else {"params": state.payload["params"],
                                                   "measures": {}}
    return run_id, county_cd, payload, state.payload


def _pick(measures: dict[str, Any], unmasked: bool) -> dict[str, dict[str, Any]]:
    side = "unmasked" if unmasked else "masked"
    out = {}
    # In the order the measures are declared: PostgreSQL's JSONB keeps keys in its own order
    # (shortest first), which would put 2F before P1 and 4A-MISSING among the rates.
    order = {code: i for i, code in enumerate((*COMPARED_MEASURES, *UNCOMPARED_MEASURES))}
    for code, m in sorted(measures.items(), key=lambda item: order.get(item[0], len(order))):
        out[code] = {**{k: v for k, v in m.items() if k != "periods"},
                     "periods": [None if p is None else
                                 {"start": p["start"], "end": p["end"], **p[side]}
                                 for p in m["periods"]]}
    return out


def outcomes(session: Session, actor: Actor, run_id: int | None = None,
             county_cd: int | None = None, ip: str | None = None,
             kind: str = "outcomes", *, audited: bool = True) -> OutcomeReport:
    """Each compared measure for the county (default: hers; statewide users: the state) over
    the rolling periods: the county's rate, matched and other rates with their intervals, the
    difference, the ratio and its 95% interval, masked as ``linkages outcomes`` masks them,
    and the statewide rates beside them. Audited as a view of ``kind`` unless ``audited`` is
    false (a CSV download audits itself as an export)."""
    run_id, county_cd, own, state = _outcome_snapshots(session, actor, run_id, county_cd)
    unmasked = actor.can(Permission.VIEW_UNMASKED)
    own_measures = _pick(own["measures"], unmasked)
    statewide = _pick(state["measures"], unmasked)
    # Every measure of the state, in its order: one the county has no children in (4A in a
    # county with no sibling group in care) reads "no children" rather than vanishing.
    measures = {code: own_measures.get(code, {**{k: v for k, v in m.items() if k != "periods"},
                                              "periods": []})
                for code, m in statewide.items()}
    if audited:
        audit.record(session, actor, AuditAction.REPORT_VIEW, "report", kind,
                     {"run_id": run_id, "county_cd": county_cd}, ip)
    label = _area_label(county_cd)
    return OutcomeReport(run_id, county_cd, label, not unmasked, own["params"], measures,
                         statewide)


PROFILE_COLUMNS = ("county", "measure", "title", "period_start", "period_end",
                   "numerator", "denominator", "value", "statewide_value", "matched_value",
                   "matched_ci_low", "matched_ci_high", "other_value", "other_ci_low",
                   "other_ci_high", "difference", "ratio", "ratio_kind", "ratio_ci_low",
                   "ratio_ci_high", "masked")


def _value(cell: dict[str, Any] | None) -> Any:
    if cell is None:
        return None
    return cell.get("percent", cell.get("rate"))


def profile_rows(report: OutcomeReport) -> list[list[Any]]:
    rows = []
    for code, m in report.measures.items():
        state_periods = report.statewide.get(code, {}).get("periods", [])
        for i, p in enumerate(m["periods"]):
            if p is None:
                continue
            comp = p.get("comparison") or {}
            matched, other = comp.get("matched") or {}, comp.get("other") or {}
            sp = state_periods[i] if i < len(state_periods) else None
            rows.append([
                report.county_label, code, m["title"], p["start"], p["end"], p["numerator"],
                p["denominator"], _value(p), _value(sp), _value(matched),
                *_ci(matched.get("ci")), _value(other), *_ci(other.get("ci")),
                comp.get("difference"), comp.get("ratio"), comp.get("ratio_kind"),
                *_ci(comp.get("ratio_ci")), "yes" if report.masked else "no"])
    return rows


def _ci(ci: object) -> tuple[object, object]:
    if isinstance(ci, list | tuple):
        return ci[0], ci[1]
    return ci, ci


def profile_csv(session: Session, actor: Actor, run_id: int | None = None,
                county_cd: int | None = None, ip: str | None = None) -> str:
    report = outcomes(session, actor, run_id, county_cd, kind="county_profile", audited=False)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(PROFILE_COLUMNS)
    for row in profile_rows(report):
        writer.writerow(["" if v is None else v for v in row])
    audit.record(session, actor, AuditAction.REPORT_EXPORT, "report", "county_profile",
                 {"run_id": report.run_id, "county_cd": report.county_cd}, ip)
    return buf.getvalue()


# --- process ----------------------------------------------------------------------------------
#
# The process report reads the casework, which changes as workers work. Its figures are
# aggregated in the database (a few grouped queries) and kept per county in ``report_snapshot``
# (kind "process", keyed by the latest run of record and by the casework's last change, the
# latest ``updated_at`` of each table it reads): ``linkages reports build`` writes them for the
# state and every county, and a page reads them while the casework is unchanged, or computes
# and keeps them again. A snapshot is never read when older than PROCESS_MAX_AGE, which bounds
# what a last-change key cannot see (a deleted row; a change committed after a later one).

PROCESS = "process"
PROCESS_MAX_AGE = timedelta(minutes=15)


@dataclass
class ProcessRow:
    month: str  # YYYY-MM of identification
    families: int | str
    median_days_to_meeting: float | str | None
    meeting_within_30: float | str | None  # percent of the month's families
    plan_within_60: float | str | None
    paired: float | str | None


@dataclass
class SanctionRow:
    month: str  # YYYY-MM the sanctions began
    sanctions: int | str  # WtW sanctions of mutual families begun in the month
    cured_within_6_months: float | str | None  # percent of those whose outcome is known
    # Sanctions begun but none with an outcome yet (every one still in force and under 6
    # months old by its file's date): the page says "not yet known" rather than a blank.
    outcome_pending: bool = False


@dataclass
class ProcessReport:
    county_cd: int | None
    county_label: str
    masked: bool
    rows: list[ProcessRow]
    total: ProcessRow
    spending: list[dict[str, Any]]  # fund source, category, services, amount
    notes: list[str]
    as_of: datetime | None = None  # when the figures were computed, California time
    # WtW sanctions cured within 6 months, by month begun (see SANCTION_DEFINITION); empty,
    # with ``sanction_note`` saying why, where no sanctions file is loaded.
    sanction_rows: list[SanctionRow] = field(default_factory=list)
    sanction_total: SanctionRow | None = None
    sanction_note: str | None = None
    sanctions_as_of: str | None = None  # the sanctions files' as-of date(s)


@dataclass
class MonthFigures:
    """The unmasked figures of the families identified in one month (or in several):
    ``days_to_meeting`` maps the days from identification to the first joint meeting held to
    the number of families that took that many."""

    families: int = 0
    days_to_meeting: Counter[int] = field(default_factory=Counter)
    plan_within_60: int = 0
    paired: int = 0

    def add(self, other: MonthFigures) -> None:
        self.families += other.families
        self.days_to_meeting.update(other.days_to_meeting)
        self.plan_within_60 += other.plan_within_60
        self.paired += other.paired


@dataclass
class SanctionFigures:
    """The unmasked WtW sanctions of mutual families begun in one month (or in several): how
    many, how many have a known outcome (cured, or open or cured after 6 months), and how many
    were cured within 6 months."""

    sanctions: int = 0
    known: int = 0
    cured: int = 0

    def add(self, other: SanctionFigures) -> None:
        self.sanctions += other.sanctions
        self.known += other.known
        self.cured += other.cured


# The payload's shape: a snapshot kept in another shape (before the sanctions, none) is
# computed again rather than read.
PROCESS_PAYLOAD_VERSION = 2


@dataclass
class ProcessFigures:
    """The process report's unmasked figures for one county or the state."""

    months: dict[str, MonthFigures] = field(default_factory=dict)
    # (fund source, category) -> [services, amount]
    spending: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    # By month the sanctions began (YYYY-MM), only of the counties of ``sanction_files``.
    sanctions: dict[str, SanctionFigures] = field(default_factory=dict)
    # The counties whose sanctions file is loaded -> its as-of date (ISO; None: no sanction
    # in the file, so none to date).
    sanction_files: dict[int, str | None] = field(default_factory=dict)

    def add(self, other: ProcessFigures) -> None:
        for month, cell in other.months.items():
            self.months.setdefault(month, MonthFigures()).add(cell)
        for key, (n, amount) in other.spending.items():
            entry = self.spending.setdefault(key, [0, Decimal(0)])
            entry[0] += n
            entry[1] += amount
        for month, sanctions in other.sanctions.items():
            self.sanctions.setdefault(month, SanctionFigures()).add(sanctions)
        self.sanction_files.update(other.sanction_files)

    def payload(self) -> dict[str, Any]:
        return {"version": PROCESS_PAYLOAD_VERSION,
                "months": {m: {"families": c.families, "plan_within_60": c.plan_within_60,
                               "paired": c.paired,
                               "days_to_meeting": {str(d): k for d, k
                                                   in sorted(c.days_to_meeting.items())}}
                           for m, c in sorted(self.months.items())},
                "spending": [[source, category, n, str(amount)] for (source, category),
                             (n, amount) in sorted(self.spending.items())],
                "sanctions": {m: [c.sanctions, c.known, c.cured]
                              for m, c in sorted(self.sanctions.items())},
                "sanction_files": {str(cd): as_of for cd, as_of
                                   in sorted(self.sanction_files.items())}}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ProcessFigures:
        """The figures of a kept payload; one kept before the sanctions were reported reads
        with none (no sanctions file loaded), though :func:`_process_figures_now` computes
        such a snapshot again rather than show it."""
        return cls({m: MonthFigures(c["families"],
                                    Counter({int(d): k for d, k
                                             in c["days_to_meeting"].items()}),
                                    c["plan_within_60"], c["paired"])
                    for m, c in payload["months"].items()},
                   {(source, category): [n, Decimal(amount)]
                    for source, category, n, amount in payload["spending"]},
                   {m: SanctionFigures(*c) for m, c in payload.get("sanctions", {}).items()},
                   {int(cd): as_of for cd, as_of in payload.get("sanction_files", {}).items()})


SANCTION_MONTHS = 6  # "cured within 6 months": calendar months from the sanction's start
SANCTION_DEFINITION = (
    "WtW sanctions cured within 6 months (the Stanislaus Linkages evaluation's measure): the "
    "Welfare-to-Work sanctions of mutual families' CalWORKs cases that began on or after the "
    "day the family was identified (and, for a closed family, by the day it closed), by the "
    "month they began; cured within 6 months when the sanction ended no later than the same "
    "day 6 calendar months after it began (the month's last day when that month is shorter). "
    "A sanction still in force that began less than 6 months before its sanctions file's as-of "
    "date (the latest sanction start or end in the file) has no outcome yet: it is counted "
    "among the sanctions begun but left out of the share cured.")


def _share(part: int, whole: int, whole_masked: bool, unmasked: bool) -> float | str | None:
    """A percent of families, masked when its families are, or when it rests on 1 to 10."""
    if whole == 0:
        return None if unmasked else masking.ZERO
    masked = whole_masked or bool(masking.primary(np.array([part]))[0])
    return masking.show_quotient(part / whole * 100, masked, unmasked, 1)


def _month_of(session: Session, day: Any) -> Any:
    """YYYY-MM of a date column in SQL (the format a literal, so that the expression is the
    same one in SELECT and GROUP BY to PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(day, literal_column("'YYYY-MM'"))
    return func.strftime(literal_column("'%Y-%m'"), day)


def _days_after(session: Session, moment: Any, day: Any) -> Any:
    """Whole days from the date ``day`` to the UTC date of the timestamp ``moment``, in SQL
    (SQLite holds timestamps as UTC text)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), moment), Date) - day
    return cast(func.julianday(func.date(moment)) - func.julianday(day), Integer)


def _casework_tables() -> tuple[Any, ...]:
    from linkages.models import (
        CoordinatedPlan,
        JointMeeting,
        MutualFamily,
        ServiceAuthorization,
        WorkerAssignment,
    )

    return (MutualFamily.__table__, JointMeeting.__table__, CoordinatedPlan.__table__,
            WorkerAssignment.__table__, ServiceAuthorization.__table__)


def casework_version(session: Session) -> str:
    """The casework's last change: the latest ``updated_at`` of each table the process report
    reads, the WtW sanctions among them, and the latest ingest run (which may load a sanctions
    file for more counties, or with a later as-of date), each one an index lookup, hashed."""
    from linkages.models import CalworksWtwSanction, IngestRun

    tables = (*_casework_tables(), CalworksWtwSanction.__table__)
    latest = session.execute(select(
        *[select(func.max(t.c.updated_at)).scalar_subquery() for t in tables],
        select(func.max(IngestRun.__table__.c.id)).scalar_subquery())).one()
    text = "|".join("" if v is None else str(v) if isinstance(v, int) else _utc(v).isoformat()
                    for v in latest)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _utc(value: datetime) -> datetime:
    """A stored time as aware UTC (SQLite hands back naive UTC, PostgreSQL aware)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _months_later(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (earlier when negative), or that month's
    last day when it is shorter."""
    years, month = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def outcome_known_through(as_of: date) -> date:
    """The latest day a sanction may have begun and have its 6 months over by ``as_of``: a
    sanction still in force at ``as_of`` that began later has no outcome yet."""
    day = _months_later(as_of, -SANCTION_MONTHS)
    while _months_later(day + timedelta(days=1), SANCTION_MONTHS) <= as_of:
        day += timedelta(days=1)
    return day


def sanction_files(session: Session, county_cd: int | None = None) -> dict[int, str | None]:
    """The counties whose CalWORKs sanctions are loaded (one county, or every one) and the
    as-of date of the latest sanctions file loaded for each (the loader's coverage, kept in the
    ingest run's counts; a later file with no sanction keeps the earlier date)."""
    from linkages.ingest.loader import SANCTIONS_FILE
    from linkages.models import IngestRun

    out: dict[int, str | None] = {}
    for (coverage,) in session.execute(
            select(IngestRun.counts[(SANCTIONS_FILE, "coverage")])
            .where(IngestRun.finished_at.is_not(None)).order_by(IngestRun.id)).all():
        if not isinstance(coverage, dict):
            continue
        for cd in coverage.get("counties", []):
            if (county_cd is None or int(cd) == county_cd) \
                    and (coverage.get("as_of") or int(cd) not in out):
                out[int(cd)] = coverage.get("as_of")
    return out


def _sanction_figures(session: Session, county_cd: int | None,
                      out: dict[int, ProcessFigures]) -> None:
    """Add to ``out`` the WtW sanctions of mutual families by county and month begun (see
    SANCTION_DEFINITION), for the counties whose sanctions file is loaded."""
    from linkages.models import CalworksWtwSanction

    files = sanction_files(session, county_cd)
    for cd, as_of in files.items():
        out.setdefault(cd, ProcessFigures()).sanction_files[cd] = as_of
    if not files:
        return
    fam = _casework_tables()[0]
    sw = CalworksWtwSanction.__table__
    start, end = sw.c.sanction_start, sw.c.sanction_end

    def months(day: Any) -> Any:
        return extract("year", day) * 12 + extract("month", day)

    # Ended no later than the same day 6 calendar months on: fewer than 6 months apart, or 6
    # with the end's day of the month no later than the start's (a shorter month's last day
    # is then the same day).
    apart = months(end) - months(start)
    cured = case((and_(end.is_not(None), or_(
        apart < SANCTION_MONTHS,
        and_(apart == SANCTION_MONTHS, extract("day", end) <= extract("day", start)))), 1),
        else_=0)
    through = {cd: outcome_known_through(date.fromisoformat(as_of))
               for cd, as_of in files.items() if as_of}
    known = (case((end.is_not(None), 1),
                  (start <= case({cd: literal(d, Date) for cd, d in through.items()},
                                 value=fam.c.county_cd, else_=null()), 1), else_=0)
             if through else case((end.is_not(None), 1), else_=0))
    month = _month_of(session, start)
    for cd, m, n, n_known, n_cured in session.execute(
            select(fam.c.county_cd, month, func.count(), func.sum(known), func.sum(cured))
            .select_from(sw.join(fam, fam.c.calworks_case_id == sw.c.case_id))
            .where(fam.c.county_cd.in_(sorted(files)), start >= fam.c.identified_on,
                   or_(fam.c.closed_on.is_(None), start <= fam.c.closed_on))
            .group_by(fam.c.county_cd, month)).all():
        out[int(cd)].sanctions[str(m)] = SanctionFigures(int(n), int(n_known), int(n_cured))


def process_figures(session: Session, county_cd: int | None = None
                    ) -> dict[int, ProcessFigures]:
    """The process report's unmasked figures by county (one county, or every one), aggregated
    in the database: per month of identification, the families identified, the days from
    identification to the first joint meeting held (how many families took each number of
    days), and how many had a coordinated plan approved within 60 days and a worker of each
    program assigned now; the approved or delivered shared-resource services by fund
    source and category; and the WtW sanctions of the families by month begun, how many have
    an outcome and how many were cured within 6 months (:data:`SANCTION_DEFINITION`), in the
    counties whose sanctions file is loaded (each county of those has figures, families or
    not)."""
    from linkages.models.enums import AuthorizationStatus, MeetingStatus, PlanStatus

    fam, jm, cp, wa, sa = _casework_tables()
    where = [] if county_cd is None else [fam.c.county_cd == county_cd]
    month = _month_of(session, fam.c.identified_on)
    out: dict[int, ProcessFigures] = {}
    for cd, m, n in session.execute(select(fam.c.county_cd, month, func.count())
                                    .where(*where).group_by(fam.c.county_cd, month)).all():
        out.setdefault(int(cd), ProcessFigures()).months[str(m)] = MonthFigures(int(n))
    # Per family: the first joint meeting held, the first plan approved, and how many programs
    # have a worker assigned now; only the families with one of them.
    held = (select(jm.c.family_id, func.min(jm.c.held_at).label("at"))
            .where(jm.c.status == MeetingStatus.HELD.value, jm.c.held_at.is_not(None))
            .group_by(jm.c.family_id).subquery())
    approved = (select(cp.c.family_id, func.min(cp.c.approved_at).label("at"))
                .where(cp.c.status.in_([PlanStatus.APPROVED.value, PlanStatus.SUPERSEDED.value]),
                       cp.c.approved_at.is_not(None))
                .group_by(cp.c.family_id).subquery())
    workers = (select(wa.c.family_id, func.count(func.distinct(wa.c.program)).label("programs"))
               .where(wa.c.end_date.is_(None)).group_by(wa.c.family_id).subquery())
    per_family = (
        select(fam.c.county_cd, month.label("month"),
               _days_after(session, held.c.at, fam.c.identified_on).label("days"),
               case((_days_after(session, approved.c.at, fam.c.identified_on) <= 60, 1),
                    else_=0).label("plan"),
               case((workers.c.programs >= 2, 1), else_=0).label("paired"))
        .select_from(fam.outerjoin(held, held.c.family_id == fam.c.id)
                     .outerjoin(approved, approved.c.family_id == fam.c.id)
                     .outerjoin(workers, workers.c.family_id == fam.c.id))
        .where(*where, or_(held.c.family_id.is_not(None), approved.c.family_id.is_not(None),
                           workers.c.family_id.is_not(None)))
        .subquery())
    p = per_family.c
    for cd, m, days, n, plan, paired in session.execute(
            select(p.county_cd, p.month, p.days, func.count(), func.sum(p.plan), func.sum(p.paired))
            .group_by(p.county_cd, p.month, p.days)).all():
        cell = out[int(cd)].months[str(m)]
        if days is not None:
            cell.days_to_meeting[int(days)] += int(n)
        cell.plan_within_60 += int(plan)
        cell.paired += int(paired)
    for cd, source, category, n, amount in session.execute(
            select(fam.c.county_cd, sa.c.fund_source, sa.c.category, func.count(),
                   func.sum(sa.c.amount))
            .join(fam, fam.c.id == sa.c.family_id)
            .where(*where, sa.c.status.in_([AuthorizationStatus.APPROVED.value,
                                            AuthorizationStatus.DELIVERED.value]))
            .group_by(fam.c.county_cd, sa.c.fund_source, sa.c.category)).all():
        out[int(cd)].spending[(str(source), str(category))] = [int(n), Decimal(str(amount))]
    _sanction_figures(session, county_cd, out)
    return out


def _statewide(by_county: dict[int, ProcessFigures]) -> ProcessFigures:
    state = ProcessFigures()
    for figures in by_county.values():
        state.add(figures)
    return state


def _keep_process(session: Session, run_id: int, version: str,
                  figures: dict[int | None, ProcessFigures]) -> datetime:
    """Store ``figures`` (by county, None the state) as the process snapshots of the run and
    casework ``version``, replacing the earlier ones of those areas."""
    now = datetime.now(UTC)
    for cd in figures:
        session.execute(delete(ReportSnapshot).where(
            ReportSnapshot.kind == PROCESS,
            ReportSnapshot.county_cd.is_(None) if cd is None else ReportSnapshot.county_cd == cd))
    session.add_all(ReportSnapshot(run_id=run_id, kind=PROCESS, extract_key=version,
                                   county_cd=cd, payload=f.payload(), built_at=now)
                    for cd, f in figures.items())
    return now


def build_process(session: Session, run_id: int) -> int:
    """The process snapshots of the state and of every county with families or a sanctions
    file, as the casework stands now. Returns the number of counties."""
    version = casework_version(session)  # before the figures: a change meanwhile is seen
    by_county = process_figures(session)
    _keep_process(session, run_id, version, {None: _statewide(by_county), **by_county})
    return len(by_county)


def _process_figures_now(session: Session, county_cd: int | None
                         ) -> tuple[ProcessFigures, datetime]:
    """The figures of a county (None: the state) from its snapshot while the casework is
    unchanged and the snapshot young, else computed and kept again; and when they were
    computed."""
    run = review.latest_run(session)
    version = casework_version(session)
    now = datetime.now(UTC)
    if run is not None:
        snap = _snapshot(session, PROCESS, run.id, county_cd)
        if snap is not None and snap.extract_key == version \
                and snap.payload.get("version") == PROCESS_PAYLOAD_VERSION \
                and now - _utc(snap.built_at) < PROCESS_MAX_AGE:
            return ProcessFigures.from_payload(snap.payload), _utc(snap.built_at)
    by_county = process_figures(session, county_cd)
    figures = (_statewide(by_county) if county_cd is None
               else by_county.get(county_cd, ProcessFigures()))
    if run is not None:
        now = _keep_process(session, run.id, version, {county_cd: figures})
    return figures, now


def process(session: Session, actor: Actor, county_cd: int | None = None,
            ip: str | None = None) -> ProcessReport:
    """Co-case-management by month of identification, for a county (default: the reader's;
    statewide readers: the state): families identified, days from identification to the first
    joint meeting held (median, share within 30 days), share with an approved coordinated plan
    within 60 days, share with a worker of each program assigned now; and shared-resource
    spending (approved or delivered) by fund source and category; and, by month begun, the
    WtW sanctions of mutual families and the share cured within 6 months (seed 004's
    Stanislaus measure, defined in :data:`SANCTION_DEFINITION`), where a sanctions file is
    loaded (a county without one reads "no sanctions file loaded", never 0%). The figures are
    those of the casework as it stands (see PROCESS above), masked here for the reader."""
    require(actor, Permission.VIEW_REPORTS)
    if county_cd is None and not actor.statewide:
        county_cd = actor.county_cd
    if not county_in_scope(actor, county_cd):
        raise NotFound("no such county in your scope")
    unmasked = actor.can(Permission.VIEW_UNMASKED)
    figures, computed = _process_figures_now(session, county_cd)
    months = sorted(figures.months)
    counts = np.array([figures.months[m].families for m in months], dtype=float)
    masks, total_masked = masking.suppress(counts, float(counts.sum()),
                                           masking.table_relations([(m,) for m in months]))

    def row(label: str, cell: MonthFigures, masked: bool) -> ProcessRow:
        days = cell.days_to_meeting
        met = sum(days.values())
        median = float(np.median(np.repeat(list(days), list(days.values())))) if met else None
        n = cell.families
        return ProcessRow(
            label, masking.show_count(n, masked, unmasked),
            (masking.MASK if (masked or masking.primary(np.array([met]))[0])
             and not unmasked else median),
            _share(sum(k for d, k in days.items() if d <= 30), n, masked, unmasked),
            _share(cell.plan_within_60, n, masked, unmasked),
            _share(cell.paired, n, masked, unmasked))

    everything = MonthFigures()
    for m in months:
        everything.add(figures.months[m])
    rows = [row(m, figures.months[m], bool(mk)) for m, mk in zip(months, masks, strict=True)]
    total = row("All months", everything, total_masked)
    spending = [{"fund_source": source, "category": category, "services": n,
                 "amount": round(float(amount), 2)}
                for (source, category), (n, amount) in sorted(figures.spending.items())]
    sanction_rows, sanction_total, note, sanctions_as_of = _sanction_table(
        figures, county_cd, unmasked)
    audit.record(session, actor, AuditAction.REPORT_VIEW, "report", "process",
                 {"county_cd": county_cd}, ip)
    return ProcessReport(county_cd, _area_label(county_cd), not unmasked, rows, total, spending,
                         [], as_local(computed), sanction_rows, sanction_total, note,
                         sanctions_as_of)


def _sanction_table(figures: ProcessFigures, county_cd: int | None, unmasked: bool
                    ) -> tuple[list[SanctionRow], SanctionRow | None, str | None, str | None]:
    """The sanctions by month begun and in all, masked as the families are (primary and
    complementary suppression of the counts; a share masked when its sanctions are, or when it
    rests on 1 to 10); a note when some or all of the area has no sanctions file; and the
    files' as-of date(s)."""
    files = figures.sanction_files
    label = _area_label(county_cd)
    if not files or (county_cd is not None and county_cd not in files):
        return [], None, (f"No sanctions file loaded for {label} (an extract's "
                          "calworks_wtw_sanctions.csv): its WtW sanctions cured within 6 "
                          "months are not known."), None
    note = None
    if county_cd is None and len(files) < len(county_names()):
        names = sorted(county_name(cd) for cd in files)
        which = ", ".join(names) if len(names) <= 6 else f"{len(names)} counties"
        note = (f"Sanctions files are loaded for {which} only: the sanctions of the other "
                "counties are not counted.")
    dates = sorted({d for d in files.values() if d})
    as_of = (None if not dates else dates[0] if len(dates) == 1
             else f"{dates[0]} to {dates[-1]}")
    months = sorted(figures.sanctions)
    counts = np.array([figures.sanctions[m].sanctions for m in months], dtype=float)
    masks, total_masked = masking.suppress(counts, float(counts.sum()),
                                           masking.table_relations([(m,) for m in months]))

    def row(month: str, cell: SanctionFigures, masked: bool) -> SanctionRow:
        known_masked = masked or bool(masking.primary(np.array([cell.known]))[0])
        return SanctionRow(month, masking.show_count(cell.sanctions, masked, unmasked),
                           None if cell.known == 0
                           else _share(cell.cured, cell.known, known_masked, unmasked),
                           outcome_pending=cell.known == 0 and cell.sanctions > 0)

    everything = SanctionFigures()
    for m in months:
        everything.add(figures.sanctions[m])
    rows = [row(m, figures.sanctions[m], bool(mk)) for m, mk in zip(months, masks, strict=True)]
    return rows, row("All months", everything, total_masked), note, as_of
