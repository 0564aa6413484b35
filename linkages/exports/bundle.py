"""De-identifying the linked cohort and writing its bundle.

* **Identifiers** (the CWS child's record id, the CWS and CalWORKs case numbers, the mutual
  family) become keyed pseudonyms: HMAC-SHA256 of ``<kind>:<value>`` under the configured key
  (:func:`linkages.keys.pseudonym_key`), 32 hex digits. The same key gives the same pseudonyms
  in every export; another key gives pseudonyms that cannot be linked to these. The kind in
  the message keeps a case number's pseudonym apart from a record id's.
* **Dates** of events (entry into care, exit, first referral) are *shifted* by the child's own
  offset, 1 to 15 days earlier or later (never 0), drawn once and kept in ``cohort_date_shift``
  so that every export shifts a child alike and exports cannot be averaged to find the true
  date. Intervals within a child (days in care, re-entry within 12 months) are exact, worked
  out from true dates. **Birth dates** are cut to the year and month.
* **Not exported at all**: names, SSNs, addresses, ZIP codes, parents' names, case and record
  numbers, exact birth dates.
* **Aggregates** (``summary.csv``) follow the small-cell rule of the outcome tables
  (:mod:`linkages.outcomes.masking`): counts of 1 to 10 masked, with complementary masking.

The bundle: ``cohort.csv`` and ``cohort.parquet`` (the same rows), ``data_dictionary.csv``,
``summary.csv`` and ``manifest.json`` (row counts, each file's SHA-256, the match run, the
measure definitions' version, the parameters).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Select, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from linkages.codes import county_name
from linkages.exports.cohort import PERMANENCY_EXITS
from linkages.models import CohortDateShift
from linkages.outcomes import masking

MAX_SHIFT_DAYS = 15
SHIFTS = [d for d in range(-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS + 1) if d != 0]
COHORT_CSV, COHORT_PARQUET = "cohort.csv", "cohort.parquet"
DICTIONARY, SUMMARY, MANIFEST = "data_dictionary.csv", "summary.csv", "manifest.json"
BUNDLE_FILES = (COHORT_CSV, COHORT_PARQUET, DICTIONARY, SUMMARY, MANIFEST)
DATE_TREATMENT = (f"event dates shifted by a per-child offset of 1 to {MAX_SHIFT_DAYS} days "
                  "either way (never 0), kept on the server and the same in every export; "
                  "birth dates cut to year and month")
NOTICE = ("Confidential: de-identified data from child welfare (WIC 827) and CalWORKs (WIC "
          "10850) records, for the evaluation named in the data use agreement only. Do not "
          "try to re-identify anyone, link to other data, or publish counts of 1 to 10. "
          "Service records may come from substance use disorder programs: 42 CFR part 2 "
          "prohibits unauthorized use or disclosure of these records.")


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str  # string, integer, number, boolean, date, year-month
    description: str
    treatment: str = "as recorded"


PSEUDONYM = "keyed pseudonym (HMAC-SHA256), stable under the same key"
SHIFTED = f"shifted by the child's offset (1-{MAX_SHIFT_DAYS} days either way)"

COLUMNS: tuple[Column, ...] = (
    Column("child_id", "string", "The CWS/CMS child.", PSEUDONYM),
    Column("county_cd", "integer", "The child's CWS/CMS county code (1-58)."),
    Column("county", "string", "The county's name."),
    Column("sex", "string", "F, M, I (intersex) or blank."),
    Column("ethnic_group", "string", "CCWIP ethnic group; Hispanic origin wins (seed 001)."),
    Column("birth_year_month", "year-month", "Year and month of birth.",
           "birth date cut to year and month"),
    Column("calworks_match", "boolean",
           "Linked to a CalWORKs child by the match run (decision match)."),
    Column("match_probability", "number",
           "Highest match probability among the run's stored CalWORKs pairs of the child "
           "(match or review); blank when the run stored none."),
    Column("referrals_in_period", "integer", "Referrals received in the period naming the child "
           "in an allegation."),
    Column("substantiated_in_period", "boolean",
           "An allegation of a referral received in the period was substantiated."),
    Column("first_referral_date", "date", "Receipt of the first referral in the period.",
           SHIFTED),
    Column("cws_service_components", "string",
           "CWS case service components open in the period (ER, FM, FR, PP; ';'-separated)."),
    Column("episodes_in_period", "integer", "Placement episodes open in the period."),
    Column("entered_in_period", "boolean",
           "The index episode (the first open in the period) began in the period."),
    Column("entry_date", "date", "Removal (entry) date of the index episode.", SHIFTED),
    Column("exit_date", "date", "Exit date of the index episode; blank while in care.",
           SHIFTED),
    Column("exit_type", "string",
           "reunified, guardianship, adoption, emancipation or other (termination reason)."),
    Column("days_in_care", "integer", "Exit minus entry of the index episode, in days.",
           "from true dates"),
    Column("age_at_entry", "integer", "Whole years of age at the index entry.",
           "from true dates"),
    Column("agency_type", "string", "Responsible agency type of the index episode."),
    Column("first_placement_type", "string", "Placement type of the episode's first placement."),
    Column("placements_in_episode", "integer", "Placements in the index episode."),
    Column("reentered_within_12_months", "boolean",
           "After an exit to reunification or guardianship, a new episode began within 365 "
           "days (as the P4 measure counts); blank for other exits and open episodes.",
           "from true dates"),
    Column("calworks_case_id", "string", "The linked CalWORKs case.", PSEUDONYM),
    Column("calworks_county_cd", "integer", "County of the linked CalWORKs case."),
    Column("calworks_aid_status", "string", "CalWORKs aid status (active, discontinued)."),
    Column("calworks_wtw_status", "string", "Welfare-to-Work status of the case."),
    Column("calworks_aid_months_in_period", "integer",
           "Calendar months of the period with CalWORKs aid."),
    Column("calworks_aided_at_period_start", "boolean", "Aided on the period's first day."),
    Column("calworks_aided_at_period_end", "boolean", "Aided on the period's last day."),
    Column("mutual_family_id", "string", "The Linkages mutual family of the child.",
           PSEUDONYM),
    Column("family_status", "string",
           "identified, active (co-case-managed), closed or no_longer_matched."),
    Column("joint_meetings_held", "integer", "Joint meetings held with the family."),
    Column("cft_meeting_held", "boolean", "A Child and Family Team meeting was held."),
    Column("days_to_first_joint_meeting", "integer",
           "Days from the family's identification to its first joint meeting.",
           "from true dates"),
    Column("coordinated_plan_approved", "boolean", "A coordinated case plan was approved."),
    Column("days_to_plan_approval", "integer",
           "Days from identification to the first approved coordinated plan.",
           "from true dates"),
    Column("services_authorized", "integer",
           "Shared-resource services approved or paid for the family."),
    Column("service_categories", "string", "Their categories (';'-separated)."),
    Column("services_amount", "number", "Their amount in dollars."),
    Column("cws_case_id", "string", "The child's CWS/CMS case.", PSEUDONYM),
)

SUMMARY_COUNTS = ("children", "in_care_in_period", "entered_care_in_period",
                  "exits_to_reunification_or_guardianship", "reentered_within_12_months")


def pseudonym(key: bytes, kind: str, value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    if not text:
        return None
    return hmac.new(key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()[:32]


def _pseudonyms(key: bytes, kind: str, values: pd.Series) -> pd.Series:
    return pd.Series([pseudonym(key, kind, v) for v in values], index=values.index,
                     dtype="string")


def date_shifts(session: Session, records: Select) -> dict[str, int]:
    """Each child's offset in days, drawn now for a child seen for the first time. Inserted
    with ON CONFLICT DO NOTHING and read back, so two exports at once agree."""
    t = CohortDateShift.__table__
    known = dict(session.execute(select(t.c.cws_record_id, t.c.offset_days)
                                 .where(t.c.cws_record_id.in_(records))).all())
    missing = [r for r in session.scalars(records) if r not in known]
    if missing:
        draw = secrets.SystemRandom()
        insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
                  else sqlite.insert)
        for i in range(0, len(missing), 5000):
            rows = [{"cws_record_id": r, "offset_days": draw.choice(SHIFTS),
                     "created_at": pd.Timestamp.now(tz="UTC").to_pydatetime()}
                    for r in missing[i:i + 5000]]
            session.execute(insert(t).values(rows).on_conflict_do_nothing())
        known = dict(session.execute(select(t.c.cws_record_id, t.c.offset_days)
                                     .where(t.c.cws_record_id.in_(records))).all())
    return {str(k): int(v) for k, v in known.items()}


def _shift(dates: pd.Series, offsets: pd.Series) -> pd.Series:
    shifted = pd.to_datetime(dates) + pd.to_timedelta(offsets, unit="D")
    return shifted.dt.date.where(shifted.notna(), None)


def deidentify(cohort: pd.DataFrame, key: bytes, shifts: dict[str, int]) -> pd.DataFrame:
    """The export's rows: the columns of :data:`COLUMNS`, nothing else."""
    offsets = cohort["record_id"].map(shifts)
    if offsets.isna().any():
        raise RuntimeError("a child of the cohort has no date offset")
    dob = pd.to_datetime(cohort["dob"])
    out = pd.DataFrame({
        "child_id": _pseudonyms(key, "cws_child", cohort["record_id"]),
        "county_cd": cohort["county_cd"].astype("Int64"),
        "county": cohort["county_cd"].map(lambda c: None if pd.isna(c) else county_name(c)),
        "sex": cohort["sex"],
        "ethnic_group": cohort["ethnic_group"],
        "birth_year_month": dob.dt.strftime("%Y-%m").where(dob.notna(), None),
        "calworks_match": cohort["calworks_match"].astype("boolean"),
        "match_probability": cohort["match_probability"].astype(float).round(4),
        "referrals_in_period": cohort["referrals_in_period"].fillna(0).astype("Int64"),
        "substantiated_in_period":
            cohort["substantiated_in_period"].astype("boolean").fillna(False),
        "first_referral_date": _shift(cohort["first_referral_date"], offsets),
        "cws_service_components": cohort["cws_service_components"],
        "episodes_in_period": cohort["episodes_in_period"].fillna(0).astype("Int64"),
        "entered_in_period": cohort["entered_in_period"].astype("boolean"),
        "entry_date": _shift(cohort["entry_date"], offsets),
        "exit_date": _shift(cohort["exit_date"], offsets),
        "exit_type": cohort["exit_type"],
        "days_in_care": cohort["days_in_care"].astype("Int64"),
        "age_at_entry": cohort["age_at_entry"].astype("Int64"),
        "agency_type": cohort["agency_type"],
        "first_placement_type": cohort["first_placement_type"],
        "placements_in_episode": cohort["placements_in_episode"].astype("Int64"),
        "reentered_within_12_months": cohort["reentered_within_12_months"].astype("boolean"),
        "calworks_case_id": _pseudonyms(key, "calworks_case", cohort["calworks_case_number"]),
        "calworks_county_cd": cohort["calworks_county_cd"].astype("Int64"),
        "calworks_aid_status": cohort["calworks_aid_status"],
        "calworks_wtw_status": cohort["calworks_wtw_status"],
        "calworks_aid_months_in_period": cohort["calworks_aid_months_in_period"].astype("Int64"),
        "calworks_aided_at_period_start":
            cohort["calworks_aided_at_period_start"].astype("boolean"),
        "calworks_aided_at_period_end": cohort["calworks_aided_at_period_end"].astype("boolean"),
        "mutual_family_id": _pseudonyms(key, "mutual_family", cohort["mutual_family_pk"]),
        "family_status": cohort["family_status"],
        "joint_meetings_held": cohort["joint_meetings_held"].astype("Int64"),
        "cft_meeting_held": cohort["cft_meeting_held"].astype("boolean"),
        "days_to_first_joint_meeting": cohort["days_to_first_joint_meeting"].astype("Int64"),
        "coordinated_plan_approved": cohort["coordinated_plan_approved"].astype("boolean"),
        "days_to_plan_approval": cohort["days_to_plan_approval"].astype("Int64"),
        "services_authorized": cohort["services_authorized"].astype("Int64"),
        "service_categories": cohort["service_categories"],
        "services_amount": cohort["services_amount"].astype(float),
        "cws_case_id": _pseudonyms(key, "cws_case", cohort["cws_case_number"]),
    })
    for col in COLUMNS:
        if col.type == "string" or col.type == "year-month":
            out[col.name] = out[col.name].astype("string")
    return out[[c.name for c in COLUMNS]]


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts by county and CalWORKs match, masked by the small-cell rule: a count of 1 to 10
    is "M", and further cells are masked so that none can be worked out from the totals."""
    work = pd.DataFrame({
        "county": frame["county"].fillna("Missing").astype(str),
        "calworks_match": np.where(frame["calworks_match"].fillna(False).astype(bool),
                                   "Matched", "Not matched"),
        "children": 1,
        "in_care_in_period": (frame["episodes_in_period"].fillna(0) > 0).astype(int),
        "entered_care_in_period": frame["entered_in_period"].fillna(False).astype(int),
        "exits_to_reunification_or_guardianship":
            frame["exit_type"].isin(PERMANENCY_EXITS).fillna(False).astype(int),
        "reentered_within_12_months":
            frame["reentered_within_12_months"].fillna(False).astype(int),
    })
    table = work.groupby(["county", "calworks_match"], sort=True)[list(SUMMARY_COUNTS)].sum()
    # Both match groups for every county, so an absent group is a published zero.
    full = pd.MultiIndex.from_product([sorted(work["county"].unique()),
                                       ["Matched", "Not matched"]],
                                      names=["county", "calworks_match"])
    table = table.reindex(full, fill_value=0)
    keys = list(table.index)
    relations = masking.table_relations(keys)
    out = pd.DataFrame({"county": [k[0] for k in keys] + ["Total"],
                        "calworks_match": [k[1] for k in keys] + ["Total"]})
    for column in SUMMARY_COUNTS:
        values = table[column].to_numpy(dtype=float)
        total = float(values.sum())
        masked, total_masked = masking.suppress(values, total, relations)
        out[column] = [masking.show_count(v, m, False) for v, m in zip(values, masked,
                                                                        strict=True)] + [
            masking.show_count(total, total_masked, False)]
    return out


def _csv_value(value: object) -> object:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    return value


def _write_csv(path: Path, header: Iterable[str], rows: Iterable[Iterable[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(list(header))
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    types = {"string": pa.string(), "year-month": pa.string(), "integer": pa.int64(),
             "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32()}
    arrays = []
    for col in COLUMNS:
        values = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                  else v for v in frame[col.name].astype(object)]
        arrays.append(pa.array(values, type=types[col.type]))
    return pa.Table.from_arrays(arrays, names=[c.name for c in COLUMNS])


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_entry(path: Path, rows: int | None) -> dict[str, Any]:
    return {"name": path.name, "rows": rows, "bytes": path.stat().st_size,
            "sha256": sha256(path)}


def write(directory: Path, frame: pd.DataFrame, manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Write the bundle into ``directory``; returns each file's name, rows, bytes, SHA-256
    (the manifest's last: it lists the others)."""
    # Only the server's own user reads the bundle on disk (as the keys under var/).
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    names = [c.name for c in COLUMNS]
    _write_csv(directory / COHORT_CSV, names, frame[names].itertuples(index=False, name=None))
    pq.write_table(_arrow_table(frame), directory / COHORT_PARQUET, compression="zstd")
    _write_csv(directory / DICTIONARY, ("column", "type", "description", "treatment"),
               ((c.name, c.type, c.description, c.treatment) for c in COLUMNS))
    table = summary(frame)
    _write_csv(directory / SUMMARY, table.columns, table.itertuples(index=False, name=None))
    files = [file_entry(directory / COHORT_CSV, len(frame)),
             file_entry(directory / COHORT_PARQUET, len(frame)),
             file_entry(directory / DICTIONARY, len(COLUMNS)),
             file_entry(directory / SUMMARY, len(table))]
    document = {**manifest, "row_count": len(frame), "files": files}
    (directory / MANIFEST).write_text(json.dumps(document, indent=2, default=str) + "\n",
                                      encoding="utf-8")
    for name in BUNDLE_FILES:
        os.chmod(directory / name, 0o600)
    return [*files, file_entry(directory / MANIFEST, None)]
