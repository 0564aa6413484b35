"""Writing the extract files: CSV through pyarrow (fast, and byte-stable for a given table)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv


def write_csv(frame: pd.DataFrame, path: Path) -> int:
    """Dates as YYYY-MM-DD, missing values and empty strings as blank cells."""
    arrays = []
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            arr = pa.array(
                values.to_numpy().astype("datetime64[D]"),
                type=pa.date32(),
                mask=values.isna().to_numpy(),
            )
        elif pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(values):
            arr = pa.array(values.to_numpy())
        else:
            arr = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
            arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, names=list(frame.columns))
    pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True, quoting_style="needed"))
    return len(frame)


def truth_stats(truth: pd.DataFrame, cws_case_ids: pd.Series) -> dict[str, float | int]:
    """The seed-004 statistics of contracts.md §2 from the truth: persons are unduplicated,
    a CWS person is a case person when any of its records has a case_id."""
    left = truth.loc[truth["source"] == "calworks"]
    right = truth.loc[truth["source"] == "cws"]
    lp = set(left["person_id"])
    rp = set(right["person_id"])
    both = lp & rp
    has_case = right["record_id"].map(cws_case_ids).fillna("").astype(str) != ""
    cp = set(right.loc[has_case.to_numpy(), "person_id"])

    def rate(a: int, b: int) -> float:
        return round(a / b, 6) if b else 0.0

    return {
        "left_records": len(left),
        "left_persons": len(lp),
        "left_persons_matched": len(both),
        "left_match_rate": rate(len(both), len(lp)),
        "right_records": len(right),
        "right_persons": len(rp),
        "right_persons_matched": len(both),
        "right_match_rate": rate(len(both), len(rp)),
        "right_case_persons": len(cp),
        "right_case_persons_matched": len(cp & lp),
        "right_case_match_rate": rate(len(cp & lp), len(cp)),
    }


def write_json(data: dict, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
