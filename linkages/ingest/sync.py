"""Bring one table in line with a frame of incoming rows, by natural key, in bulk.

The incoming frame and the table's current rows are compared in pandas on canonical text forms
of each column (so a date read from CSV equals the same date read back from SQLite or
PostgreSQL); only new rows are inserted and only rows whose values differ are updated, in
chunks of Core ``executemany`` statements. An unchanged row is never written, so loading the
same extract twice leaves every ``updated_at`` as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Date, DateTime, Float, Integer, Select, Table, bindparam, select
from sqlalchemy.types import TypeEngine
from tqdm import tqdm

CHUNK = 5_000
PROGRESS_FROM = 20_000  # rows; smaller loads finish before a bar would say anything


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    replaced: int = 0  # rows deleted and written again with their owner (placements)

    def as_dict(self) -> dict[str, int]:
        out = {"inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged}
        if self.replaced:
            out["replaced"] = self.replaced
        return out


@dataclass
class SyncResult:
    counts: TableCounts
    ids: pd.Series  # database id of every incoming row, aligned with the incoming frame
    written: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # inserted or updated


MISSING = np.iinfo(np.int64).min  # the canonical form of a missing date or number


def canonical(values: pd.Series, coltype: TypeEngine) -> pd.Series:
    """A form equal for equal values whatever they were read from (a CSV, SQLite's text
    dates, PostgreSQL's date objects): dates as days since 1970 and integers as int64, with
    MISSING for blank; text as itself with "" for blank."""
    if isinstance(coltype, Date | DateTime):
        days = pd.to_datetime(values, errors="coerce").to_numpy("datetime64[D]")
        out = days.astype("int64")
        out[np.isnat(days)] = MISSING
        return pd.Series(out, index=values.index)
    if isinstance(coltype, Integer):
        number = pd.to_numeric(values, errors="coerce").astype("Int64")
        return number.fillna(MISSING).astype("int64")
    if isinstance(coltype, Float):
        number = pd.to_numeric(values, errors="coerce").round(12)
        return number.astype("string").fillna("").astype(str)
    obj = values.astype(object)
    text = obj.where(obj.notna(), "")
    kind = pd.api.types.infer_dtype(text, skipna=False)
    return text if kind in {"string", "empty"} else text.map(str)


def python_values(frame: pd.DataFrame, table: Table) -> list[dict[str, object]]:
    """Rows as DBAPI-ready dicts: dates as ``date``, integers as ``int``, missing as None."""
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        col = frame[name]
        coltype = table.c[name].type if name in table.c else None
        if isinstance(coltype, Date):
            dates = pd.to_datetime(col, errors="coerce")
            out[name] = pd.Series(dates.dt.date, index=frame.index).astype(object)
            out.loc[dates.isna(), name] = None
        elif isinstance(coltype, Integer):
            number = pd.to_numeric(col, errors="coerce").astype("Int64").astype(object)
            out[name] = number.where(number.notna(), None)
        else:
            obj = col.astype(object)
            out[name] = obj.where(obj.notna(), None)
    return out.to_dict("records")


def _driver_column(values: pd.Series, coltype: TypeEngine | None, sqlite: bool) -> np.ndarray:
    """One column as the driver takes it: objects, None for missing. SQLite stores a date as
    ISO text (as SQLAlchemy does); psycopg adapts ``date`` objects itself."""
    if isinstance(coltype, Date):
        days = pd.to_datetime(values, errors="coerce").to_numpy("datetime64[D]")
        out = (np.datetime_as_string(days, unit="D") if sqlite else days).astype(object)
        out[np.isnat(days)] = None
        return out
    if isinstance(coltype, Integer):
        number = pd.to_numeric(values, errors="coerce").astype("Int64").astype(object)
        return number.where(number.notna(), None).to_numpy()
    if isinstance(coltype, Float):
        number = pd.to_numeric(values, errors="coerce").astype(object)
        return number.where(number.notna(), None).to_numpy()
    obj = values.astype(object)
    return obj.where(obj.notna(), None).to_numpy()


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame,
                progress: tqdm | None = None) -> None:
    """Insert a large frame through the driver: COPY on PostgreSQL, ``executemany`` of plain
    tuples on SQLite. SQLAlchemy's per-row parameter processing would cost more than the
    database's own work; the created_at/updated_at stamps are set here for the same reason."""
    if frame.empty:
        return
    sqlite = conn.dialect.name == "sqlite"
    stamps = [c for c in ("created_at", "updated_at") if c in table.c and c not in frame]
    now = datetime.now(UTC)
    stamp: object = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now
    columns = [*frame.columns, *stamps]
    values = [_driver_column(frame[c], table.c[c].type, sqlite) for c in frame.columns]
    values += [np.full(len(frame), stamp, dtype=object) for _ in stamps]
    names = ", ".join(f'"{c}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    try:
        for part in _chunks(len(frame)):
            rows = list(zip(*(v[part] for v in values), strict=True))
            if sqlite:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
            else:
                with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            if progress is not None:
                progress.update(part.stop - part.start)
    finally:
        cursor.close()


def _chunks(n: int) -> Iterable[slice]:
    for start in range(0, n, CHUNK):
        yield slice(start, min(start + CHUNK, n))


def fetch_frame(conn: Connection, stmt: Select, columns: Sequence[str]) -> pd.DataFrame:
    """Rows of a parameterless SELECT straight from the driver's cursor: SQLAlchemy's row
    processing is most of the time of reading a large table, and :func:`canonical` does not
    need it (SQLite's dates come back as ISO text, which it reads as dates)."""
    cursor = conn.connection.driver_connection.cursor()
    try:
        cursor.execute(str(stmt.compile(dialect=conn.dialect)))
        return pd.DataFrame.from_records(cursor.fetchall(), columns=list(columns))
    finally:
        cursor.close()


def existing_rows(conn: Connection, table: Table, columns: Sequence[str]) -> pd.DataFrame:
    return fetch_frame(conn, select(table.c.id, *(table.c[c] for c in columns)),
                       ["id", *columns])


def sync_table(
    conn: Connection,
    table: Table,
    incoming: pd.DataFrame,
    key: Sequence[str],
    *,
    label: str,
    fingerprint: tuple[pd.Series, pd.Series] | None = None,
) -> SyncResult:
    """Insert the new rows of ``incoming`` and update the changed ones.

    ``incoming`` holds the key and value columns under the table's column names, one row per
    key. ``fingerprint`` is (incoming, existing-by-id) text describing rows owned by each row
    (an episode's placements): a difference there counts as a change of the row.
    """
    incoming = incoming.reset_index(drop=True)
    values = [c for c in incoming.columns if c not in key]
    current = existing_rows(conn, table, [*key, *values])
    types = {c: table.c[c].type for c in incoming.columns}

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({f"k_{c}": canonical(frame[c], types[c]) for c in key})

    left = keyed(incoming)
    right = keyed(current)
    right["id"] = current["id"].to_numpy()
    matched = left.merge(right, on=list(left.columns), how="left")
    ids = matched["id"]
    is_new = ids.isna().to_numpy()

    changed = np.zeros(len(incoming), dtype=bool)
    if len(current) and (~is_new).any():
        by_id = current.set_index("id")
        old_idx = ids[~is_new].astype("int64").to_numpy()
        for c in values:
            new_text = canonical(incoming.loc[~is_new, c], types[c]).to_numpy()
            old_text = canonical(by_id[c], types[c]).reindex(old_idx).to_numpy()
            changed[~is_new] |= new_text != old_text
        if fingerprint is not None:
            new_fp, old_fp = fingerprint
            old_text = old_fp.reindex(old_idx).fillna("").to_numpy()
            changed[~is_new] |= new_fp.reset_index(drop=True)[~is_new].to_numpy() != old_text

    counts = TableCounts(
        inserted=int(is_new.sum()),
        updated=int(changed.sum()),
        unchanged=int((~is_new & ~changed).sum()),
    )
    total = counts.inserted + counts.updated
    with tqdm(total=total, desc=label, unit="row", disable=total < PROGRESS_FROM,
              leave=False) as bar:
        bulk_insert(conn, table, incoming.loc[is_new], bar)
        if counts.updated:
            stmt = (
                table.update()
                .where(table.c.id == bindparam("_id"))
                .values({c: bindparam(f"_v_{c}") for c in values})
            )
            upd = incoming.loc[changed, values]
            upd_ids = ids[changed].astype("int64").to_numpy()
            for part in _chunks(len(upd)):
                rows = python_values(upd.iloc[part], table)
                params = [
                    {"_id": int(i), **{f"_v_{k}": v for k, v in row.items()}}
                    for i, row in zip(upd_ids[part], rows, strict=True)
                ]
                conn.execute(stmt, params)
                bar.update(part.stop - part.start)

    if counts.inserted:  # read back the new ids
        now = existing_rows(conn, table, list(key))
        after = keyed(now)
        after["id"] = now["id"].to_numpy()
        ids = left.merge(after, on=list(left.columns), how="left")["id"]
    return SyncResult(
        counts=counts,
        ids=pd.Series(ids.astype("int64").to_numpy(), index=incoming.index),
        written=is_new | changed,
    )


def id_map(conn: Connection, table: Table, key: str) -> pd.Series:
    """Natural key (text) -> database id, for resolving references."""
    rows = existing_rows(conn, table, [key])
    return pd.Series(rows["id"].to_numpy(), index=rows[key].astype(str).to_numpy())
