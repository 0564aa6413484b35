"""Load an extract directory into the database.

Every present file is read and validated first (a missing column or an unreadable file stops
everything before a row is written). The files are then loaded in one transaction, in the
order of :data:`linkages.ingest.specs.FILES`, so that each file's references (a child's case,
an allegation's child) are checked against what the database holds at that point: the rows of
earlier loads plus the files of this extract already loaded. A row that refers to nothing, or
whose text does not fit its column, is set aside with the file's other bad rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, String, Table, delete, insert, inspect, select, update

from linkages.config import database_url, var_dir
from linkages.db import get_engine, schema_ready
from linkages.extracts import (
    ExtractError,
    ExtractResult,
    Rejection,
    read_extract,
    write_rejects,
)
from linkages.ingest.specs import FILES
from linkages.ingest.sync import (
    TableCounts,
    bulk_insert,
    canonical,
    fetch_frame,
    id_map,
    sync_table,
)
from linkages.models import (
    Allegation,
    CalworksAidPeriod,
    CalworksCase,
    CalworksPerson,
    CalworksWtwSanction,
    CaseServiceComponent,
    CwsCase,
    CwsChildClient,
    IngestRun,
    Placement,
    PlacementEpisode,
    Referral,
)

CASE_HEAD_SUFFIX = "-H"
SANCTIONS_FILE = "calworks_wtw_sanctions.csv"


class DatabaseNotReady(ExtractError):
    """The database has no schema; nothing can be loaded."""


@dataclass
class FileReport:
    name: str
    present: bool
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    blanked: int = 0
    """Bad optional values set to missing in rows that were kept (contracts.md)."""
    tables: dict[str, TableCounts] = field(default_factory=dict)
    rejects_file: Path | None = None
    coverage: dict[str, Any] | None = None
    """The sanctions file's counties and as-of date (:func:`sanctions_coverage`)."""

    def as_dict(self) -> dict[str, Any]:
        if not self.present:
            return {"skipped": "not in the extract directory"}
        return {
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "blanked": self.blanked,
            "tables": {t: c.as_dict() for t, c in self.tables.items()},
            "rejects_file": str(self.rejects_file) if self.rejects_file else None,
            **({"coverage": self.coverage} if self.coverage is not None else {}),
        }


@dataclass
class IngestReport:
    run_id: int
    directory: Path
    files: list[FileReport]
    rejects_dir: Path
    seconds: float


def find_file(directory: Path, name: str) -> Path | None:
    """``name`` itself, or the Parquet file of the same stem (accepted wherever CSV is)."""
    for candidate in (directory / name, directory / f"{Path(name).stem}.parquet"):
        if candidate.is_file():
            return candidate
    return None


# --- rejecting rows after the reader -----------------------------------------------------------


def reject(result: ExtractResult, mask: pd.Series | np.ndarray, column: str, reason: str) -> None:
    """Set the rows of ``mask`` (aligned with ``result.data``) aside with ``reason``."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return
    bad = result.data.loc[mask]
    values = bad[column].astype("string").fillna("").astype(str) if column in bad else bad.index
    result.rejections.extend(
        Rejection(result.path.name, int(line), column, reason, str(value))
        for line, value in zip(bad.index, values, strict=True)
    )
    result.rejections.sort(key=lambda r: (r.line, r.column))
    result.data = result.data.loc[~mask]


def reject_unknown(
    result: ExtractResult, column: str, known: pd.Index, what: str, *, blank_ok: bool = False
) -> None:
    values = result.data[column]
    text = values.astype("string").fillna("").astype(str)
    unknown = ~text.isin(known)
    if blank_ok:
        unknown &= text != ""
    reason = f"{column} is not {what} (in this extract or the database)"
    reject(result, unknown.to_numpy(), column, reason)


def reject_too_long(result: ExtractResult, columns: dict[str, tuple[Table, str]]) -> None:
    """Text longer than its database column is an impossible value, never silently cut."""
    for source, (table, target) in columns.items():
        length = getattr(table.c[target].type, "length", None)
        if source not in result.data or not isinstance(table.c[target].type, String) or not length:
            continue
        too_long = result.data[source].astype("string").str.len().fillna(0) > length
        reject(result, too_long.to_numpy(), source, f"longer than {length} characters")


def _ssn_last4(ssn: pd.Series) -> pd.Series:
    digits = ssn.astype("string").str.replace(r"[\s-]", "", regex=True)
    return digits.str.slice(-4).where(digits.str.fullmatch(r"\d{9}").fillna(False), None)


def _lower(values: pd.Series) -> pd.Series:
    return values.astype("string").str.lower().astype(object).where(values.notna(), None)


def _upper(values: pd.Series) -> pd.Series:
    return values.astype("string").str.upper().astype(object).where(values.notna(), None)


def _frame(data: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    """The file's columns renamed to the table's (target -> source)."""
    return pd.DataFrame({target: data[source] for target, source in columns.items()},
                        index=data.index)


def _fk(values: pd.Series, ids: pd.Series) -> pd.Series:
    text = values.astype("string").fillna("").astype(str)
    return text.map(ids).astype("Int64")


# --- one loader per file -----------------------------------------------------------------------

PERSON_COLUMNS = {
    "first_name": "first_name", "middle_name": "middle_name", "last_name": "last_name",
    "dob": "dob", "zip": "zip", "address": "address", "county_cd": "county_cd",
}


def _load_calworks_cases(conn: Connection, result: ExtractResult) -> dict[str, TableCounts]:
    case_t, person_t = CalworksCase.__table__, CalworksPerson.__table__
    reject_too_long(result, {
        "case_id": (case_t, "case_number"), "address": (case_t, "address"),
        "zip": (case_t, "zip"), "case_head_first_name": (person_t, "first_name"),
        "case_head_last_name": (person_t, "last_name"),
    })
    too_long_head = result.data["case_id"].astype(str).str.len() + len(CASE_HEAD_SUFFIX) > 40
    reject(result, too_long_head.to_numpy(), "case_id", "too long to name its case head record")
    data = result.data
    cases = _frame(data, {"case_number": "case_id", "county_cd": "county_cd",
                          "address": "address", "zip": "zip"})
    cases["aid_status"] = _lower(data["aid_status"])
    cases["wtw_status"] = _lower(data["wtw_status"])
    if "parents_in_au" in data:  # optional: older extracts do not have it
        cases["parents_in_au"] = data["parents_in_au"]
    synced = sync_table(conn, case_t, cases, ["case_number"], label="calworks_case")
    heads = pd.DataFrame({
        "record_id": data["case_id"].astype(str) + CASE_HEAD_SUFFIX,
        "case_id": synced.ids.to_numpy(),
        "role": "case_head",
        "first_name": data["case_head_first_name"],
        "last_name": data["case_head_last_name"],
        "dob": data["case_head_dob"],
        "sex": _upper(data["case_head_sex"]),
        "county_cd": data["county_cd"],
        "zip": data["zip"],
        "address": data["address"],
    }, index=data.index)
    head_sync = sync_table(conn, person_t, heads, ["record_id"], label="case heads")
    return {"calworks_case": synced.counts, "calworks_person (case heads)": head_sync.counts}


def _load_calworks_children(conn: Connection, result: ExtractResult) -> dict[str, TableCounts]:
    person_t = CalworksPerson.__table__
    cases = id_map(conn, CalworksCase.__table__, "case_number")
    reject_unknown(result, "case_id", cases.index, "a CalWORKs case", blank_ok=True)
    heads = cases.index + CASE_HEAD_SUFFIX
    taken = result.data["record_id"].astype(str).isin(heads)
    reject(result, taken.to_numpy(), "record_id", "record_id is taken by a case head record")
    cols = {**PERSON_COLUMNS, "record_id": "record_id", "parent_first_name": "parent_first_name",
            "parent_last_name": "parent_last_name"}
    reject_too_long(result, {s: (person_t, t) for t, s in cols.items()})
    data = result.data
    children = _frame(data, cols)
    children["case_id"] = _fk(data["case_id"], cases)
    children["role"] = "child"
    children["sex"] = _upper(data["sex"])
    children["ssn_last4"] = _ssn_last4(data["ssn"])
    synced = sync_table(conn, person_t, children, ["record_id"], label="calworks children")
    return {"calworks_person (children)": synced.counts}


def _load_aid_periods(conn: Connection, result: ExtractResult) -> dict[str, TableCounts]:
    cases = id_map(conn, CalworksCase.__table__, "case_number")
    reject_unknown(result, "case_id", cases.index, "a CalWORKs case")
    data = result.data
    periods = pd.DataFrame({"case_id": _fk(data["case_id"], cases),
                            "aid_start": data["aid_start"], "aid_end": data["aid_end"]},
                           index=data.index)
    synced = sync_table(conn, CalworksAidPeriod.__table__, periods, ["case_id", "aid_start"],
                        label="aid periods")
    return {"calworks_aid_period": synced.counts}


def _load_wtw_sanctions(conn: Connection, result: ExtractResult) -> dict[str, TableCounts]:
    """As aid periods: merged by (case, sanction start), a sanction cured since the last
    extract gets its end; a sanction a later file leaves out is kept as it was."""
    cases = id_map(conn, CalworksCase.__table__, "case_number")
    reject_unknown(result, "case_id", cases.index, "a CalWORKs case")
    data = result.data
    sanctions = pd.DataFrame({"case_id": _fk(data["case_id"], cases),
                              "sanction_start": data["sanction_start"],
                              "sanction_end": data["sanction_end"]}, index=data.index)
    synced = sync_table(conn, CalworksWtwSanction.__table__, sanctions,
                        ["case_id", "sanction_start"], label="wtw sanctions")
    return {"calworks_wtw_sanction": synced.counts}


def sanctions_coverage(conn: Connection, results: dict[str, ExtractResult]) -> dict[str, Any]:
    """What a loaded sanctions file speaks for, kept with the ingest run's counts: the counties
    of this extract's CalWORKs cases and of the cases its sanctions belong to (their sanction
    history is the file's), and the file's as-of date, its latest sanction start or end (None
    when it has no sanction). The process report counts the sanctions of these counties only
    and decides with this date whether an open sanction is old enough to count as not cured."""
    counties: set[int] = set()
    cases = results.get("calworks_cases.csv")
    if cases is not None:
        counties |= {int(c) for c in pd.to_numeric(cases.data["county_cd"]).dropna()}
    data = results[SANCTIONS_FILE].data
    numbers = sorted(set(data["case_id"].astype(str)))
    case_t = CalworksCase.__table__
    for start in range(0, len(numbers), 1_000):
        counties |= {int(c) for c in conn.execute(
            select(case_t.c.county_cd).distinct()
            .where(case_t.c.case_number.in_(numbers[start:start + 1_000]))).scalars()}
    dates = pd.concat([pd.to_datetime(data["sanction_start"]),
                       pd.to_datetime(data["sanction_end"])]).dropna()
    as_of = None if dates.empty else dates.max().date().isoformat()
    return {"counties": sorted(counties), "as_of": as_of}


def _load_cws_children(conn: Connection, result: ExtractResult) -> dict[str, TableCounts]:
    child_t = CwsChildClient.__table__
    cols = {**PERSON_COLUMNS, "record_id": "record_id", "mother_first_name": "parent_first_name",
            "mother_last_name": "parent_last_name", "case_number": "case_id",
            "ethnicity_cd": "ethnicity_cd"}
    reject_too_long(result, {s: (child_t, t) for t, s in cols.items()})
    data = result.data
    children = _frame(data, cols)
    children["sex"] = _upper(data["sex"])
    children["hispanic"] = _upper(data["hispanic"])
    children["ssn_last4"] = _ssn_last4(data["ssn"])
    synced = sync_table(conn, child_t, children, ["record_id"], label="cws children")
    return {"cws_child_client": synced.counts}


def _load_allegations(conn: Connection, result: ExtractResult) -> dict[str, TableCounts]:
    alg_t, ref_t = Allegation.__table__, Referral.__table__
    children = id_map(conn, CwsChildClient.__table__, "record_id")
    reject_unknown(result, "child_id", children.index, "a CWS child record")
    reject_too_long(result, {
        "allegation_id": (alg_t, "allegation_number"), "referral_id": (ref_t, "referral_number"),
        "allegation_type": (alg_t, "allegation_type"),
        "perpetrator_role": (alg_t, "perpetrator_role"), "reporter_type": (alg_t, "reporter_type"),
    })
    data = result.data
    # One referral per referral_id; the reader has set aside referrals whose rows disagree.
    first = data.drop_duplicates("referral_id")
    referrals = pd.DataFrame({"referral_number": first["referral_id"],
                              "county_cd": first["county_cd"],
                              "received_dt": first["referral_received_dt"]})
    ref_sync = sync_table(conn, ref_t, referrals, ["referral_number"], label="referrals")
    ref_ids = pd.Series(ref_sync.ids.to_numpy(), index=first["referral_id"].astype(str).to_numpy())
    allegations = pd.DataFrame({
        "allegation_number": data["allegation_id"],
        "referral_id": _fk(data["referral_id"], ref_ids),
        "child_id": _fk(data["child_id"], children),
        "allegation_type": data["allegation_type"],
        "disposition": _lower(data["disposition"]),
        "disposition_dt": data["disposition_dt"],
        "incident_dt": data["incident_dt"],
        "perpetrator_role": _lower(data["perpetrator_role"]),
        "reporter_type": data["reporter_type"],
    }, index=data.index)
    alg_sync = sync_table(conn, alg_t, allegations, ["allegation_number"], label="allegations")
    return {"cws_referral": ref_sync.counts, "cws_allegation": alg_sync.counts}


def _load_case_components(conn: Connection, result: ExtractResult) -> dict[str, TableCounts]:
    case_t, comp_t = CwsCase.__table__, CaseServiceComponent.__table__
    children = id_map(conn, CwsChildClient.__table__, "record_id")
    reject_unknown(result, "child_id", children.index, "a CWS child record")
    reject_too_long(result, {"case_id": (case_t, "case_number")})
    data = result.data.sort_values(["case_id", "component_start"], kind="stable")
    grouped = data.groupby("case_id", sort=False)
    # A case is open while any component is open; its county is the latest component's
    # (a case transferred between counties is with the county that holds it now).
    any_open = data["component_end"].isna().groupby(data["case_id"]).any()
    cases = pd.DataFrame({
        "county_cd": grouped["county_cd"].last(),
        "opened": grouped["component_start"].min(),
        "closed": grouped["component_end"].max().where(~any_open),
    })
    cases.index.name = "case_number"
    cases = cases.reset_index()
    case_sync = sync_table(conn, case_t, cases, ["case_number"], label="cws cases")
    case_ids = pd.Series(case_sync.ids.to_numpy(), index=cases["case_number"].astype(str))
    components = pd.DataFrame({
        "case_id": _fk(data["case_id"], case_ids),
        "child_id": _fk(data["child_id"], children),
        "service_component": _upper(data["service_component"]),
        "component_start": data["component_start"],
        "component_end": data["component_end"],
    }, index=data.index)
    comp_sync = sync_table(
        conn, comp_t, components,
        ["case_id", "child_id", "service_component", "component_start"],
        label="case components",
    )
    return {"cws_case": case_sync.counts, "cws_case_service_component": comp_sync.counts}


PLACEMENT_COLUMNS = ("placement_start", "placement_end", "facility_type_cd", "county_cd",
                     "caregiver_relationship_cd", "placement_change_reason_cd")


def _placement_fingerprints(frame: pd.DataFrame, owner: str, table: Table) -> pd.Series:
    """Per episode, a digest of its set of placements (order-free): the count and the sums of
    the two 32-bit halves of each placement's 64-bit hash. Equal sets give equal digests; a
    changed placement changes it except with negligible probability."""
    if frame.empty:
        return pd.Series(dtype=str)
    parts = pd.DataFrame({c: canonical(frame[c], table.c[c].type) for c in PLACEMENT_COLUMNS})
    digest = pd.util.hash_pandas_object(parts, index=False).to_numpy(np.uint64)
    halves = pd.DataFrame({
        "hi": (digest >> np.uint64(32)).astype(np.int64),
        "lo": (digest & np.uint64(0xFFFFFFFF)).astype(np.int64),
    })
    sums = halves.groupby(frame[owner].to_numpy()).agg(n=("hi", "size"), hi=("hi", "sum"),
                                                       lo=("lo", "sum"))
    return (sums["n"].astype(str) + ":" + sums["hi"].astype(str) + ":"
            + sums["lo"].astype(str))


def _load_foster_care(conn: Connection, result: ExtractResult) -> dict[str, TableCounts]:
    ep_t, pl_t = PlacementEpisode.__table__, Placement.__table__
    children = id_map(conn, CwsChildClient.__table__, "record_id")
    reject_unknown(result, "child_id", children.index, "a CWS child record")
    reject_too_long(result, {"episode_id": (ep_t, "episode_number")})
    data = result.data
    first = data.drop_duplicates("episode_id")
    episodes = pd.DataFrame({
        "episode_number": first["episode_id"],
        "child_id": _fk(first["child_id"], children),
        "episode_start": first["episode_start"],
        "episode_end": first["episode_end"],
        "termination_reason_cd": first["termination_reason_cd"],
        "agency_cd": first["agency_cd"],
    })
    incoming_fp = _placement_fingerprints(data, "episode_id", pl_t)
    stored = fetch_frame(conn, select(pl_t.c.episode_id, *(pl_t.c[c] for c in PLACEMENT_COLUMNS)),
                         ["episode_id", *PLACEMENT_COLUMNS])
    stored_fp = _placement_fingerprints(stored, "episode_id", pl_t)
    new_fp = episodes["episode_number"].map(incoming_fp).fillna("")
    ep_sync = sync_table(conn, ep_t, episodes, ["episode_number"], label="placement episodes",
                         fingerprint=(new_fp, stored_fp))

    # Placements belong to their episode: rewritten whole when the episode changed.
    ep_ids = pd.Series(ep_sync.ids.to_numpy(), index=episodes["episode_number"].astype(str))
    rewritten = set(ep_sync.ids.to_numpy()[ep_sync.written].tolist())
    placements = pd.DataFrame({"episode_id": _fk(data["episode_id"], ep_ids)}, index=data.index)
    for c in PLACEMENT_COLUMNS:
        placements[c] = data[c]
    todo = placements["episode_id"].isin(rewritten).to_numpy()
    replaced = 0
    old_ids = sorted(rewritten)
    for start in range(0, len(old_ids), 1_000):
        chunk = old_ids[start:start + 1_000]
        replaced += conn.execute(delete(pl_t).where(pl_t.c.episode_id.in_(chunk))).rowcount
    bulk_insert(conn, pl_t, placements.loc[todo])
    pl_counts = TableCounts(inserted=int(todo.sum()), unchanged=int((~todo).sum()),
                            replaced=int(replaced))
    return {"cws_placement_episode": ep_sync.counts, "cws_placement": pl_counts}


LOADERS: dict[str, Callable[[Connection, ExtractResult], dict[str, TableCounts]]] = {
    "calworks_cases.csv": _load_calworks_cases,
    "calworks_children.csv": _load_calworks_children,
    "calworks_aid_periods.csv": _load_aid_periods,
    "calworks_wtw_sanctions.csv": _load_wtw_sanctions,
    "cws_children.csv": _load_cws_children,
    "cws_allegations.csv": _load_allegations,
    "cws_case_components.csv": _load_case_components,
    "foster_care.csv": _load_foster_care,
}


def _masked(rejections: list[Rejection]) -> list[Rejection]:
    """Rejects files keep only the last four digits of an SSN, like the database."""
    return [
        replace(r, value="*****" + r.value[-4:])
        if r.column == "ssn" and r.value else r
        for r in rejections
    ]


def ingest_directory(
    directory: str | Path,
    *,
    url: str | None = None,
    note: Callable[[str], None] = lambda _msg: None,
) -> IngestReport:
    """Load every extract file of ``directory``; see the module docstring."""
    started = datetime.now(UTC)
    directory = Path(directory)
    if not directory.is_dir():
        raise ExtractError(f"{directory}: not a directory")
    engine = get_engine(url or database_url())  # get_engine caches on its argument
    # An emptied database (downgraded to base) keeps an empty alembic_version table.
    if not schema_ready(engine) or not inspect(engine).has_table(IngestRun.__tablename__):
        raise DatabaseNotReady("the database has no schema: run `linkages db upgrade` first")

    reports: dict[str, FileReport] = {}
    results: dict[str, ExtractResult] = {}
    for name, spec in FILES.items():
        path = find_file(directory, name)
        if path is None:
            reports[name] = FileReport(name, present=False)
            continue
        note(f"reading {path.name}")
        results[name] = read_extract(path, spec)  # ExtractError: stop before loading anything
        reports[name] = FileReport(name, present=True)

    run_t = IngestRun.__table__
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(run_t).values(started_at=started, directory=str(directory.resolve()),
                                 counts={}).returning(run_t.c.id)
        ).scalar_one()
        rejects_dir = var_dir() / "ingest" / str(run_id)
        for name, result in results.items():
            note(f"loading {result.path.name}")
            tables = LOADERS[name](conn, result)
            report = reports[name]
            report.read, report.accepted, report.rejected, report.blanked = (
                result.read, result.accepted, result.rejected, result.blanked)
            report.tables = tables
            report.rejects_file = write_rejects(
                _masked(result.rejections), rejects_dir / f"{Path(name).stem}.rejects.csv")
            if name == SANCTIONS_FILE:
                report.coverage = sanctions_coverage(conn, results)
        finished = datetime.now(UTC)
        counts = {name: r.as_dict() for name, r in reports.items()}
        conn.execute(update(run_t).where(run_t.c.id == run_id)
                     .values(finished_at=finished, counts=counts))
    return IngestReport(
        run_id=int(run_id),
        directory=directory,
        files=list(reports.values()),
        rejects_dir=rejects_dir,
        seconds=(finished - started).total_seconds(),
    )
