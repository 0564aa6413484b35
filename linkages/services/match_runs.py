"""Match runs in the database: what ``linkages match`` found, and the mutual families it makes.

``record_match_run`` stores a run (parameters, statistics, timings), its links with their
field-by-field contributions, its unduplicated persons with their records, and then refreshes
the mutual families: a CalWORKs case with a child linked (decision ``match``) to a CWS/CMS child
is a mutual family. Families are never deleted, since joint work (plans, meetings) hangs on
them: a family this run no longer links is marked ``no_longer_matched``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from sqlalchemy import (
    Connection,
    Engine,
    bindparam,
    delete,
    insert,
    inspect,
    select,
    update,
)

from linkages.config import database_url
from linkages.db import get_engine, schema_ready
from linkages.ingest.sync import bulk_insert
from linkages.models import (
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
)
from linkages.models.enums import CalworksRole, FamilyStatus, IdentificationSource

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


def refresh_mutual_families(conn: Connection, run_id: int, links: pd.DataFrame) -> dict[str, int]:
    """Bring the mutual families in line with the ``match`` links of run ``run_id``."""
    matched = links.loc[links["decision"].astype(str) == "match",
                        ["left_id", "right_id", "match_probability"]].astype(
        {"left_id": str, "right_id": str})
    cw, cws, case = CalworksPerson.__table__, CwsChildClient.__table__, CalworksCase.__table__
    fam = MutualFamily.__table__

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
                                   fam.c.identification_source),
                      ["id", "case_id", "status", "source"])
    existing["status"] = existing["status"].map(str)
    existing["source"] = existing["source"].map(str)
    found = best.merge(existing, on="case_id", how="left")
    new = found[found["id"].isna()]
    today = date.today()
    if len(new):
        cases = _frame(conn, select(case.c.id, case.c.case_number, case.c.county_cd),
                       ["case_id", "case_number", "county_cd"])
        heads = _frame(conn, select(cw.c.case_id, cw.c.last_name)
                       .where(cw.c.role == CalworksRole.CASE_HEAD), ["case_id", "surname"])
        new = (new.merge(cases, on="case_id", how="left")
               .merge(heads.drop_duplicates("case_id"), on="case_id", how="left"))
        surname = new["surname"].fillna("").astype(str).str.strip()
        display = np.where(surname != "", surname + " family, case " + new["case_number"],
                           "Case " + new["case_number"])
        rows = pd.DataFrame({
            "county_cd": new["county_cd"].astype("int64").to_numpy(),
            "cws_county_cd": new["cws_county_cd"].astype("Int64").astype(object)
            .where(new["cws_county_cd"].notna(), None).to_numpy(),
            "calworks_case_id": new["case_id"].astype("int64").to_numpy(),
            "cws_case_number": new["cws_case_number"].astype(object)
            .where(new["cws_case_number"].notna(), None).to_numpy(),
            "display_name": display,
            "status": FamilyStatus.IDENTIFIED.value,
            "identification_source": IdentificationSource.DATA_MATCH.value,
            "identified_on": today,
            "identified_by_run_id": run_id,
            "last_seen_run_id": run_id,
        })
        records = rows.to_dict("records")
        for start in range(0, len(records), CHUNK):
            conn.execute(insert(fam), records[start:start + CHUNK])

    seen = found[found["id"].notna()]
    if len(seen):
        stmt = (update(fam).where(fam.c.id == bindparam("_id")).values(
            last_seen_run_id=run_id,
            cws_county_cd=bindparam("_county"),
            cws_case_number=bindparam("_case"),
            status=bindparam("_status"),
        ))
        # A family found again after a run had lost it is identified again; others keep theirs.
        status = seen["status"].where(seen["status"] != FamilyStatus.NO_LONGER_MATCHED.value,
                                      FamilyStatus.IDENTIFIED.value)
        params = [
            {"_id": int(i), "_county": None if pd.isna(c) else int(c),
             "_case": None if pd.isna(n) else str(n), "_status": s}
            for i, c, n, s in zip(seen["id"], seen["cws_county_cd"], seen["cws_case_number"],
                                  status, strict=True)
        ]
        for start in range(0, len(params), CHUNK):
            conn.execute(stmt, params[start:start + CHUNK])

    lost = existing[~existing["case_id"].isin(best["case_id"])
                    & (existing["source"] == IdentificationSource.DATA_MATCH.value)
                    & ~existing["status"].isin([FamilyStatus.CLOSED.value,
                                                FamilyStatus.NO_LONGER_MATCHED.value])]
    lost_ids = lost["id"].astype("int64").tolist()
    for start in range(0, len(lost_ids), 1_000):
        conn.execute(update(fam).where(fam.c.id.in_(lost_ids[start:start + 1_000]))
                     .values(status=FamilyStatus.NO_LONGER_MATCHED.value))

    members = _refresh_members(conn, pairs)
    return {"families_new": len(new), "families_seen": len(seen),
            "families_no_longer_matched": len(lost_ids), **members}


def _refresh_members(conn: Connection, pairs: pd.DataFrame) -> dict[str, int]:
    """The members of every family this run found are exactly this run's match links."""
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
    stale = both[both["_merge"] == "right_only"]
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


def record_match_run(
    result: MatchResultLike,
    *,
    left_file: str | Path,
    right_file: str | Path,
    config: str | Path | Mapping[str, Any] | None,
    url: str | None = None,
) -> int:
    """Store ``result`` as a match run and refresh the mutual families; returns the run id."""
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
            timings=json_safe(timings)).returning(run_t.c.id)).scalar_one())
        links = _links_frame(run_id, result.links)
        records = links.to_dict("records")
        for start in range(0, len(records), CHUNK):
            conn.execute(insert(Link.__table__), records[start:start + CHUNK])
        _store_persons(conn, run_id, result.persons)
        families = refresh_mutual_families(conn, run_id, result.links)
        timings["record"] = round(time.perf_counter() - begun, 3)
        statistics = {**dict(result.stats), "mutual_families": families}
        conn.execute(update(run_t).where(run_t.c.id == run_id).values(
            finished_at=datetime.now(UTC), timings=json_safe(timings),
            statistics=json_safe(statistics)))
    return run_id
