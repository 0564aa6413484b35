"""Match runs in the database: what ``linkages match`` found, and the mutual families it makes.

``record_match_run`` stores a run of record (``linkages match --record``, over the extract
``linkages ingest`` loaded): parameters, statistics, timings, its links with their field-by-field
contributions, its unduplicated persons with their records; then it refreshes the mutual
families: a CalWORKs case with a child linked (decision ``match``) to a CWS/CMS child is a
mutual family. Only what the run covered changes: a family is marked ``no_longer_matched`` only
when the run saw all of its records and linked none, so a run over one county's extract leaves
every other family as it was. Each change names its run in ``registry_change`` and the audit
trail, and ``undo_match_run`` puts the registry back.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    update,
)

from linkages.config import database_url
from linkages.db import get_engine, schema_ready
from linkages.ingest.sync import bulk_insert
from linkages.models import (
    AuditEvent,
    CalworksCase,
    CalworksPerson,
    ClericalDecision,
    CwsChildClient,
    FamilyMember,
    Link,
    MatchRun,
    MutualFamily,
    Person,
    PersonRecord,
    RegistryChange,
)
from linkages.models.enums import CalworksRole, FamilyStatus, IdentificationSource
from linkages.search import search_key
from linkages.services import audit
from linkages.services.audit import AuditAction
from linkages.services.scope import Actor

CHUNK = 10_000
CONTRIBUTION_PREFIX = "w_"  # matching writes each field's contribution as w_<field>
SOURCES = {"left": "calworks", "right": "cws", "calworks": "calworks", "cws": "cws"}


class DatabaseNotReady(Exception):
    """The database has no schema (run ``linkages db upgrade``)."""


class MatchResultLike(Protocol):
    """What ``matching.MatchResult`` carries that a run record needs."""

    links: pd.DataFrame
    persons: pd.DataFrame
    stats: dict[str, Any]
    parameters: dict[str, Any]
    timings: dict[str, float]
    blocking: dict[str, Any]


def _engine(url: str | None) -> Engine:
    engine = get_engine(url or database_url())  # get_engine caches on its argument
    # An emptied database (downgraded to base) keeps an empty alembic_version table.
    if not schema_ready(engine) or not inspect(engine).has_table(MatchRun.__tablename__):
        raise DatabaseNotReady("the database has no schema: run `linkages db upgrade`")
    return engine


def json_safe(value: Any) -> Any:
    """Plain JSON: numpy scalars and arrays as Python values, NaN and infinities as null."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | np.ndarray | pd.Series):
        return [json_safe(v) for v in list(value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path | date):
        return str(value)
    return value


def clerical_decisions(*, url: str | None = None) -> pd.DataFrame:
    """Every reviewer decision: left_id, right_id, decision ("match" or "non_match")."""
    t = ClericalDecision.__table__
    with _engine(url).connect() as conn:
        rows = conn.execute(select(t.c.left_record_id, t.c.right_record_id, t.c.decision)).all()
    frame = pd.DataFrame(rows, columns=["left_id", "right_id", "decision"])
    frame["decision"] = frame["decision"].map(str).astype(object)
    return frame


def _links_frame(run_id: int, links: pd.DataFrame) -> pd.DataFrame:
    contribution = [c for c in links.columns if str(c).startswith(CONTRIBUTION_PREFIX)]
    fields = [c[len(CONTRIBUTION_PREFIX):] for c in contribution]
    values = links[contribution].astype(float).round(4)
    # JSON has no NaN; a contribution that could not be computed is stored as null.
    values = values.astype(object).where(np.isfinite(values), None).to_numpy()
    contributions = [dict(zip(fields, row, strict=True)) for row in values.tolist()]
    return pd.DataFrame({
        "run_id": run_id,
        "left_record_id": links["left_id"].astype(str).to_numpy(),
        "right_record_id": links["right_id"].astype(str).to_numpy(),
        "match_weight": links["match_weight"].astype(float).to_numpy(),
        "match_probability": links["match_probability"].astype(float).to_numpy(),
        "decision": links["decision"].astype(str).to_numpy(),
        "contributions": contributions,
    })


def _store_persons(conn: Connection, run_id: int, persons: pd.DataFrame) -> None:
    if persons.empty:
        return
    key = persons["person_key"].astype(str)
    keys = pd.unique(key.to_numpy())
    bulk_insert(conn, Person.__table__,
                 pd.DataFrame({"run_id": run_id, "person_key": keys}))
    p = Person.__table__
    ids = pd.DataFrame(conn.execute(select(p.c.person_key, p.c.id).where(p.c.run_id == run_id))
                       .all(), columns=["person_key", "id"]).set_index("person_key")["id"]
    records = pd.DataFrame({
        "person_id": key.map(ids).astype("int64").to_numpy(),
        "source": persons["source"].astype(str).map(SOURCES).to_numpy(),
        "record_id": persons["record_id"].astype(str).to_numpy(),
    })
    bulk_insert(conn, PersonRecord.__table__, records)


def _frame(conn: Connection, stmt: Any, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(stmt).all(), columns=columns)


@dataclass(frozen=True, slots=True)
class Coverage:
    """The records a run looked at: a family's status can only change on the evidence of a
    run that saw every one of its records."""

    calworks: frozenset[str]
    cws: frozenset[str]

    @classmethod
    def of(cls, persons: pd.DataFrame) -> Coverage:
        source = persons["source"].astype(str).map(SOURCES)
        ids = persons["record_id"].astype(str)
        return cls(frozenset(ids[source == "calworks"]), frozenset(ids[source == "cws"]))


def _snapshots(conn: Connection) -> dict[int, dict[str, Any]]:
    """Every family's registry fields and members, as a registry change stores them."""
    fam, mem = MutualFamily.__table__, FamilyMember.__table__
    out: dict[int, dict[str, Any]] = {}
    for fid, status, county, case_no, last_seen in conn.execute(
            select(fam.c.id, fam.c.status, fam.c.cws_county_cd, fam.c.cws_case_number,
                   fam.c.last_seen_run_id)):
        out[fid] = {"status": str(status), "cws_county_cd": county, "cws_case_number": case_no,
                    "last_seen_run_id": last_seen, "members": []}
    for fid, left, right, p in conn.execute(
            select(mem.c.family_id, mem.c.calworks_record_id, mem.c.cws_record_id,
                   mem.c.match_probability).order_by(mem.c.family_id, mem.c.calworks_record_id,
                                                     mem.c.cws_record_id)):
        out[fid]["members"].append([left, right, None if p is None else round(float(p), 6)])
    return out


def _same_registry(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Equal apart from which run saw the family last."""
    return {**a, "last_seen_run_id": None} == {**b, "last_seen_run_id": None}


def refresh_mutual_families(conn: Connection, run_id: int, links: pd.DataFrame,
                            coverage: Coverage, actor: Actor) -> dict[str, int]:
    """Bring the mutual families in line with the ``match`` links of run ``run_id``, within
    what the run covered: a family the run found is created or brought up to date; a family
    it did not find is marked ``no_longer_matched`` only when the run saw every one of its
    records; anything else is left as it was. Each family touched gets a registry change
    naming the run (before and after, for `linkages runs undo`), and each real change an
    audit event."""
    matched = links.loc[links["decision"].astype(str) == "match",
                        ["left_id", "right_id", "match_probability"]].astype(
        {"left_id": str, "right_id": str})
    cw, cws, case = CalworksPerson.__table__, CwsChildClient.__table__, CalworksCase.__table__
    fam = MutualFamily.__table__
    before = _snapshots(conn)

    calworks = _frame(conn, select(cw.c.record_id, cw.c.case_id).where(cw.c.case_id.is_not(None)),
                      ["left_id", "case_id"])
    children = _frame(conn, select(cws.c.record_id, cws.c.county_cd, cws.c.case_number),
                      ["right_id", "cws_county_cd", "cws_case_number"])
    pairs = matched.merge(calworks, on="left_id").merge(children, on="right_id", how="left")
    # The family's CWS side is its best-linked child, preferring one with a CWS case.
    best = (pairs.assign(has_case=pairs["cws_case_number"].notna())
            .sort_values(["case_id", "has_case", "match_probability", "right_id"],
                         ascending=[True, False, False, True])
            .drop_duplicates("case_id"))

    existing = _frame(conn, select(fam.c.id, fam.c.calworks_case_id, fam.c.status,
                                   fam.c.identification_source, fam.c.display_name),
                      ["id", "case_id", "status", "source", "display_name"])
    existing["status"] = existing["status"].map(str)
    existing["source"] = existing["source"].map(str)
    found = best.merge(existing, on="case_id", how="left")
    new = found[found["id"].isna()]
    cases = _frame(conn, select(case.c.id, case.c.case_number, case.c.county_cd),
                   ["case_id", "case_number", "county_cd"])
    today = date.today()
    if len(new):
        heads = _frame(conn, select(cw.c.case_id, cw.c.last_name)
                       .where(cw.c.role == CalworksRole.CASE_HEAD), ["case_id", "surname"])
        new = (new.merge(cases, on="case_id", how="left")
               .merge(heads.drop_duplicates("case_id"), on="case_id", how="left"))
        surname = new["surname"].fillna("").astype(str).str.strip()
        display = np.where(surname != "", surname + " family, case " + new["case_number"],
                           "Case " + new["case_number"])
        cws_case = new["cws_case_number"].astype(object).where(new["cws_case_number"].notna(),
                                                               None)
        rows = pd.DataFrame({
            "county_cd": new["county_cd"].astype("int64").to_numpy(),
            "cws_county_cd": new["cws_county_cd"].astype("Int64").astype(object)
            .where(new["cws_county_cd"].notna(), None).to_numpy(),
            "calworks_case_id": new["case_id"].astype("int64").to_numpy(),
            "cws_case_number": cws_case.to_numpy(),
            "display_name": display,
            "status": FamilyStatus.IDENTIFIED.value,
            "identification_source": IdentificationSource.DATA_MATCH.value,
            "identified_on": today,
            "identified_by_run_id": run_id,
            "last_seen_run_id": run_id,
            "search_key": [search_key(d, c, k) for d, c, k in
                           zip(display, new["case_number"], cws_case, strict=True)],
        })
        records = rows.to_dict("records")
        for start in range(0, len(records), CHUNK):
            conn.execute(insert(fam), records[start:start + CHUNK])

    seen = found[found["id"].notna()].merge(cases[["case_id", "case_number"]], on="case_id",
                                            how="left")
    if len(seen):
        stmt = (update(fam).where(fam.c.id == bindparam("_id")).values(
            last_seen_run_id=run_id,
            cws_county_cd=bindparam("_county"),
            cws_case_number=bindparam("_case"),
            status=bindparam("_status"),
            search_key=bindparam("_key"),
        ))
        # A family found again after a run had lost it is identified again; others keep theirs.
        status = seen["status"].where(seen["status"] != FamilyStatus.NO_LONGER_MATCHED.value,
                                      FamilyStatus.IDENTIFIED.value)
        params = [
            {"_id": int(i), "_county": None if pd.isna(c) else int(c),
             "_case": None if pd.isna(n) else str(n), "_status": s,
             "_key": search_key(d, k, None if pd.isna(n) else str(n))}
            for i, c, n, s, d, k in zip(seen["id"], seen["cws_county_cd"],
                                        seen["cws_case_number"], status, seen["display_name"],
                                        seen["case_number"], strict=True)
        ]
        for start in range(0, len(params), CHUNK):
            conn.execute(stmt, params[start:start + CHUNK])

    members = _refresh_members(conn, pairs, coverage)
    # A family the run did not find is lost only if the run saw all of its records.
    lost_ids = [
        fid for fid in existing.loc[
            ~existing["case_id"].isin(best["case_id"])
            & (existing["source"] == IdentificationSource.DATA_MATCH.value)
            & ~existing["status"].isin([FamilyStatus.CLOSED.value,
                                        FamilyStatus.NO_LONGER_MATCHED.value]), "id"
        ].astype("int64").tolist()
        if before[fid]["members"] and all(
            left in coverage.calworks and right in coverage.cws
            for left, right, _p in before[fid]["members"])
    ]
    for start in range(0, len(lost_ids), 1_000):
        conn.execute(update(fam).where(fam.c.id.in_(lost_ids[start:start + 1_000]))
                     .values(status=FamilyStatus.NO_LONGER_MATCHED.value))

    after = _snapshots(conn)
    kinds = _record_changes(conn, run_id, before, after, set(lost_ids), actor)
    return {"families_new": kinds["created"], "families_seen": len(seen),
            "families_updated": kinds["updated"],
            "families_no_longer_matched": kinds["lost"],
            "families_outside_run": len(after) - sum(kinds.values()), **members}


def _record_changes(conn: Connection, run_id: int, before: dict[int, dict[str, Any]],
                    after: dict[int, dict[str, Any]], lost: set[int],
                    actor: Actor) -> dict[str, int]:
    """One registry change per family the run touched, one audit event per real change."""
    changes, events = [], []
    kinds = {"created": 0, "updated": 0, "seen": 0, "lost": 0}
    for fid, now in after.items():
        was = before.get(fid)
        if was is None:
            kind = "created"
        elif fid in lost:
            kind = "lost"
        elif now["last_seen_run_id"] != run_id:
            continue  # outside the run: untouched
        else:
            kind = "seen" if _same_registry(was, now) else "updated"
        kinds[kind] += 1
        changes.append({"run_id": run_id, "family_id": fid, "kind": kind, "before": was,
                        "after": now})
        if kind != "seen":
            events.append(audit.event_values(
                actor, AuditAction.FAMILY_REGISTRY_CHANGE, "mutual_family", fid,
                {"run_id": run_id, "change": kind,
                 **_difference(was, now)}))
    for start in range(0, len(changes), CHUNK):
        conn.execute(insert(RegistryChange.__table__), changes[start:start + CHUNK])
    for start in range(0, len(events), CHUNK):
        conn.execute(insert(AuditEvent.__table__), events[start:start + CHUNK])
    return kinds


def _difference(was: dict[str, Any] | None, now: dict[str, Any]) -> dict[str, Any]:
    """The fields a change altered, before and after (members as added and removed pairs)."""
    was = was or {}
    out: dict[str, Any] = {
        "before": {k: was.get(k) for k in ("status", "cws_county_cd", "cws_case_number")
                   if was.get(k) != now[k]},
        "after": {k: now[k] for k in ("status", "cws_county_cd", "cws_case_number")
                  if was.get(k) != now[k]},
    }
    old = {(m[0], m[1]) for m in was.get("members", [])}
    new = {(m[0], m[1]) for m in now["members"]}
    if new - old:
        out["members_added"] = sorted([list(m) for m in new - old])
    if old - new:
        out["members_removed"] = sorted([list(m) for m in old - new])
    return out


def _refresh_members(conn: Connection, pairs: pd.DataFrame,
                     coverage: Coverage) -> dict[str, int]:
    """The members of every family this run found are this run's match links, plus the earlier
    members whose records the run did not see (it has no evidence against them)."""
    fam, mem = MutualFamily.__table__, FamilyMember.__table__
    families = _frame(conn, select(fam.c.id, fam.c.calworks_case_id), ["family_id", "case_id"])
    want = pairs.merge(families, on="case_id")[
        ["family_id", "left_id", "right_id", "match_probability"]]
    have = _frame(conn, select(mem.c.id, mem.c.family_id, mem.c.calworks_record_id,
                               mem.c.cws_record_id, mem.c.match_probability),
                  ["member_id", "family_id", "left_id", "right_id", "old_probability"])
    have = have[have["family_id"].isin(want["family_id"])]
    both = want.merge(have, on=["family_id", "left_id", "right_id"], how="outer", indicator=True)
    add = both[both["_merge"] == "left_only"]
    stale = both[(both["_merge"] == "right_only")
                 & both["left_id"].isin(coverage.calworks) & both["right_id"].isin(coverage.cws)]
    keep = both[both["_merge"] == "both"]
    changed = keep[~np.isclose(keep["match_probability"].astype(float),
                               keep["old_probability"].astype(float).fillna(-1.0))]
    if len(add):
        bulk_insert(conn, mem, pd.DataFrame({
            "family_id": add["family_id"].astype("int64").to_numpy(),
            "calworks_record_id": add["left_id"].to_numpy(),
            "cws_record_id": add["right_id"].to_numpy(),
            "match_probability": add["match_probability"].astype(float).to_numpy(),
        }))
    if len(changed):
        stmt = update(mem).where(mem.c.id == bindparam("_id")).values(
            match_probability=bindparam("_p"))
        conn.execute(stmt, [{"_id": int(i), "_p": float(p)} for i, p in
                            zip(changed["member_id"], changed["match_probability"], strict=True)])
    stale_ids = stale["member_id"].astype("int64").tolist()
    for start in range(0, len(stale_ids), 1_000):
        conn.execute(delete(mem).where(mem.c.id.in_(stale_ids[start:start + 1_000])))
    return {"members_added": len(add), "members_refreshed": len(changed),
            "members_removed": len(stale_ids)}


class NotTheIngestedExtract(Exception):
    """``--record`` was asked of files that are not the extract ``linkages ingest`` loaded."""


def check_extract_of_record(calworks_ids: Iterable[str], cws_ids: Iterable[str], *,
                            url: str | None = None) -> None:
    """A run of record links the ingested extract: every record it reads must be one the
    database holds (an analyst's own test pair, or another county's file, is refused)."""
    engine = _engine(url)
    cw, cws = CalworksPerson.__table__, CwsChildClient.__table__
    with engine.connect() as conn:
        known_cw = set(conn.execute(select(cw.c.record_id)).scalars())
        known_cws = set(conn.execute(select(cws.c.record_id)).scalars())
    problems = []
    for label, ids, known in (("CalWORKs", calworks_ids, known_cw), ("CWS", cws_ids, known_cws)):
        ids = list(ids)
        unknown = [i for i in ids if i not in known]
        if unknown:
            shown = ", ".join(unknown[:3]) + (", ..." if len(unknown) > 3 else "")
            problems.append(f"{len(unknown):,} of {len(ids):,} {label} records are not in the "
                            f"database ({shown})")
    if problems:
        raise NotTheIngestedExtract(
            "; ".join(problems) + ". A run of record (--record) links the extract that "
            "`linkages ingest` loaded: ingest these files first, or run without --record to "
            "write LINKS.csv and the statistics only.")


@dataclass(frozen=True, slots=True)
class RecordedRun:
    run_id: int
    families: dict[str, int]  # what the run did to the registry, by kind of change


def record_match_run(
    result: MatchResultLike,
    *,
    left_file: str | Path,
    right_file: str | Path,
    config: str | Path | Mapping[str, Any] | None,
    url: str | None = None,
    actor: Actor | None = None,
) -> RecordedRun:
    """Store ``result`` as a run of record and refresh the mutual families within what it
    covered (its persons' records)."""
    actor = actor or Actor.command_line()
    engine = _engine(url)
    begun = time.perf_counter()
    now = datetime.now(UTC)
    timings = dict(result.timings or {})
    started = now - timedelta(seconds=float(sum(float(v) for v in timings.values())))
    parameters = dict(result.parameters or {})
    parameters["config"] = config if isinstance(config, Mapping) else (
        str(config) if config else None)
    parameters["blocking_pairs"] = result.blocking
    run_t = MatchRun.__table__
    with engine.begin() as conn:
        run_id = int(conn.execute(insert(run_t).values(
            started_at=started, left_file=str(left_file), right_file=str(right_file),
            parameters=json_safe(parameters), statistics=json_safe(result.stats),
            timings=json_safe(timings), recorded_by=actor.username).returning(run_t.c.id))
            .scalar_one())
        links = _links_frame(run_id, result.links)
        records = links.to_dict("records")
        for start in range(0, len(records), CHUNK):
            conn.execute(insert(Link.__table__), records[start:start + CHUNK])
        _store_persons(conn, run_id, result.persons)
        families = refresh_mutual_families(conn, run_id, result.links,
                                           Coverage.of(result.persons), actor)
        timings["record"] = round(time.perf_counter() - begun, 3)
        statistics = {**dict(result.stats), "mutual_families": families}
        conn.execute(update(run_t).where(run_t.c.id == run_id).values(
            finished_at=datetime.now(UTC), timings=json_safe(timings),
            statistics=json_safe(statistics)))
        conn.execute(insert(AuditEvent.__table__), [audit.event_values(
            actor, AuditAction.MATCH_RUN_RECORD, "match_run", run_id,
            {"left_file": str(left_file), "right_file": str(right_file),
             "mutual_families": families})])
    return RecordedRun(run_id, families)


@dataclass(frozen=True, slots=True)
class RunOfRecord:
    run_id: int
    started_at: datetime
    recorded_by: str | None
    left_file: str
    right_file: str
    families: dict[str, int]
    undone_at: datetime | None
    undone_by: str | None


def list_runs(*, limit: int = 20, url: str | None = None) -> list[RunOfRecord]:
    """The latest runs of record, newest first."""
    t = MatchRun.__table__
    with _engine(url).connect() as conn:
        rows = conn.execute(select(t.c.id, t.c.started_at, t.c.recorded_by, t.c.left_file,
                                   t.c.right_file, t.c.statistics, t.c.undone_at, t.c.undone_by)
                            .order_by(t.c.id.desc()).limit(limit)).all()
    return [RunOfRecord(i, started, by, left, right, (stats or {}).get("mutual_families", {}),
                        undone_at, undone_by)
            for i, started, by, left, right, stats, undone_at, undone_by in rows]


class CannotUndo(Exception):
    """The run cannot be undone as asked (unknown, already undone, or not the latest)."""


def _casework_tables() -> list[Table]:
    """Tables of joint work that hang on a family (anything referring to it but the registry's
    own): a family with rows in them is never deleted by an undo."""
    own = {FamilyMember.__tablename__, RegistryChange.__tablename__}
    return [t for t in MutualFamily.metadata.sorted_tables
            if t.name not in own and any(fk.column.table.name == MutualFamily.__tablename__
                                         and fk.column.name == "id" for fk in t.foreign_keys)]


def undo_match_run(run_id: int, *, actor: Actor | None = None,
                   url: str | None = None) -> dict[str, int]:
    """Put the registry back as it was before run ``run_id``: families it created are deleted
    (or, when joint work already hangs on one, kept and marked no longer matched), every other
    family it touched gets its earlier status, CWS side and members back. Only the latest run
    of record that is not undone can be undone, so runs come off in the order they went on.
    The run itself stays on record, marked undone."""
    actor = actor or Actor.command_line()
    run_t, fam, change = MatchRun.__table__, MutualFamily.__table__, RegistryChange.__table__
    with _engine(url).begin() as conn:
        run = conn.execute(select(run_t.c.id, run_t.c.undone_at).where(run_t.c.id == run_id)
                           ).first()
        if run is None:
            raise CannotUndo(f"there is no match run {run_id}")
        if run.undone_at is not None:
            raise CannotUndo(f"match run {run_id} was already undone on {run.undone_at:%Y-%m-%d}")
        latest = conn.execute(select(func.max(run_t.c.id)).where(run_t.c.undone_at.is_(None))
                              ).scalar_one()
        if latest != run_id:
            raise CannotUndo(f"match run {run_id} is not the latest run of record: undo run "
                             f"{latest} first (runs are undone newest first)")
        changes = conn.execute(select(change.c.family_id, change.c.kind, change.c.before)
                               .where(change.c.run_id == run_id)).all()
        created = [fid for fid, kind, _ in changes if kind == "created"]
        busy: set[int] = set()
        for table in _casework_tables():
            column = next(fk.parent for fk in table.foreign_keys
                          if fk.column.table.name == MutualFamily.__tablename__)
            for start in range(0, len(created), 1_000):
                busy.update(conn.execute(select(column).distinct().where(
                    column.in_(created[start:start + 1_000]))).scalars())
        deleted = [fid for fid in created if fid not in busy]
        for start in range(0, len(deleted), 1_000):
            conn.execute(delete(fam).where(fam.c.id.in_(deleted[start:start + 1_000])))
        if busy:
            conn.execute(update(fam).where(fam.c.id.in_(sorted(busy)))
                         .values(status=FamilyStatus.NO_LONGER_MATCHED.value))
        restored = [(fid, before) for fid, kind, before in changes if kind != "created"]
        current = _snapshots(conn)
        for fid, before in restored:
            conn.execute(update(fam).where(fam.c.id == fid).values(
                status=before["status"], cws_county_cd=before["cws_county_cd"],
                cws_case_number=before["cws_case_number"],
                last_seen_run_id=before["last_seen_run_id"]))
            _restore_members(conn, fid, current[fid]["members"], before["members"])
        conn.execute(update(run_t).where(run_t.c.id == run_id).values(
            undone_at=datetime.now(UTC), undone_by=actor.username))
        events = [audit.event_values(actor, AuditAction.FAMILY_REGISTRY_UNDO, "mutual_family",
                                     fid, {"run_id": run_id,
                                           "action": "deleted" if fid in deleted else
                                           "kept: joint work hangs on it" if fid in busy else
                                           "restored"})
                  for fid, kind, _ in changes if kind != "seen"]
        events.append(audit.event_values(actor, AuditAction.MATCH_RUN_UNDO, "match_run",
                                         run_id, {"families": len(changes)}))
        for start in range(0, len(events), CHUNK):
            conn.execute(insert(AuditEvent.__table__), events[start:start + CHUNK])
    return {"families_deleted": len(deleted), "families_kept_with_casework": len(busy),
            "families_restored": len(restored)}


def _restore_members(conn: Connection, family_id: int, now: list[list[Any]],
                     was: list[list[Any]]) -> None:
    """Members back as they were, keeping the rows (and ids) of those that never changed."""
    mem = FamilyMember.__table__
    was_by_pair = {(left, right): p for left, right, p in was}
    now_pairs = {(left, right) for left, right, _ in now}
    for left, right in now_pairs - set(was_by_pair):
        conn.execute(delete(mem).where(mem.c.family_id == family_id,
                                       mem.c.calworks_record_id == left,
                                       mem.c.cws_record_id == right))
    for (left, right), p in was_by_pair.items():
        if (left, right) in now_pairs:
            conn.execute(update(mem).where(mem.c.family_id == family_id,
                                           mem.c.calworks_record_id == left,
                                           mem.c.cws_record_id == right)
                         .values(match_probability=p))
        else:
            conn.execute(insert(mem).values(family_id=family_id, calworks_record_id=left,
                                            cws_record_id=right, match_probability=p))
