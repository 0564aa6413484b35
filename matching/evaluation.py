"""Scoring a linkage against the known truth of a synthetic population (or a labelled set).

Pure functions on DataFrames (pandas/numpy only), shared by ``linkages evaluate`` and the
benchmarks in ``bench/``, so that our matcher and Splink are always scored by the same rule.

The truth is a ``truth.csv`` frame: one row per person record with ``source`` (``calworks``
for the left file, ``cws`` for the right one), ``record_id`` and ``person_id``. A true link is
every cross-source pair (CalWORKs record, CWS record) whose records share a ``person_id``;
a person with two CalWORKs records and one CWS record therefore gives two true links.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

LEFT_SOURCE = "calworks"
RIGHT_SOURCE = "cws"
RATE_KEYS = ("left_match_rate", "right_match_rate", "right_case_match_rate")
PAIR_COLUMNS = ["left_id", "right_id"]


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> pd.DataFrame:
    """The named columns (matched case-insensitively), or a ValueError naming what is missing."""
    by_lower = {str(c).strip().lower(): c for c in frame.columns}
    missing = [c for c in columns if c not in by_lower]
    if missing:
        raise ValueError(f"{what} needs column(s) {', '.join(missing)}; "
                         f"it has {', '.join(map(str, frame.columns)) or 'none'}")
    return frame[[by_lower[c] for c in columns]].set_axis(columns, axis=1)


def _ids(series: pd.Series) -> pd.Series:
    """Record ids compared as trimmed text, so 17 and "17" are the same record."""
    return series.astype("string").str.strip()


def _pairs(predicted: pd.DataFrame, what: str) -> pd.DataFrame:
    """Distinct (left_id, right_id) pairs; only ``match`` rows when a decision column is given.

    A LINKS.csv also carries ``review`` pairs; those are questions for a worker, not links, so
    they are not counted as predicted links (the same rule ``linkages outcomes`` applies).
    """
    pairs = _require(predicted, PAIR_COLUMNS, what)
    lower = {str(c).strip().lower(): c for c in predicted.columns}
    if "decision" in lower:
        decision = predicted[lower["decision"]].astype("string").str.strip().str.lower()
        pairs = pairs[(decision == "match").to_numpy()]
    pairs = pd.DataFrame({c: _ids(pairs[c]) for c in PAIR_COLUMNS})
    return pairs.dropna().drop_duplicates(ignore_index=True)


def truth_pairs(truth: pd.DataFrame) -> pd.DataFrame:
    """Every cross-source (calworks record, cws record) pair of the same true person."""
    t = _require(truth, ["source", "record_id", "person_id"], "truth")
    source = t["source"].astype("string").str.strip().str.lower()
    unknown = sorted(set(t["source"][~source.isin([LEFT_SOURCE, RIGHT_SOURCE])].astype(str)))
    if unknown:
        raise ValueError(f"truth: source must be {LEFT_SOURCE} or {RIGHT_SOURCE}, "
                         f"found {', '.join(unknown)}")
    t = pd.DataFrame({"record_id": _ids(t["record_id"]), "person_id": _ids(t["person_id"]),
                      "source": source})
    left = t.loc[t["source"] == LEFT_SOURCE, ["person_id", "record_id"]].drop_duplicates()
    right = t.loc[t["source"] == RIGHT_SOURCE, ["person_id", "record_id"]].drop_duplicates()
    pairs = left.merge(right, on="person_id", suffixes=("_left", "_right"))
    return (pairs.rename(columns={"record_id_left": "left_id", "record_id_right": "right_id"})
            [PAIR_COLUMNS].drop_duplicates(ignore_index=True))


def _count_found(pairs: pd.DataFrame, true_pairs: pd.DataFrame) -> int:
    return len(pairs.merge(true_pairs, on=PAIR_COLUMNS, how="inner"))


def evaluate_links(predicted: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Pairwise precision, recall and F1 of predicted cross-source links against the truth.

    ``predicted`` has ``left_id`` and ``right_id`` (a LINKS.csv; with a ``decision`` column only
    its ``match`` rows count). Repeated pairs count once. A 0/0 ratio is 1.0 (nothing claimed,
    nothing missed); F1 is ``2tp / (2tp + fp + fn)``, so it is 0 whenever nothing is right.
    """
    pairs = _pairs(predicted, "predicted links")
    true = truth_pairs(truth)
    tp = _count_found(pairs, true)
    fp = len(pairs) - tp
    fn = len(true) - tp
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": precision, "recall": recall, "f1": f1}


def blocking_recall(candidates: pd.DataFrame, truth: pd.DataFrame) -> float:
    """The share of true cross-source links that blocking put among the candidate pairs.

    Every candidate counts (there is no decision yet). With no true links there is nothing to
    miss, and the recall is 1.0.
    """
    pairs = _require(candidates, PAIR_COLUMNS, "candidate pairs")
    pairs = pd.DataFrame({c: _ids(pairs[c]) for c in PAIR_COLUMNS}).drop_duplicates()
    true = truth_pairs(truth)
    if true.empty:
        return 1.0
    return _count_found(pairs, true) / len(true)


def match_rate_errors(stats: dict[str, Any], truth_stats: dict[str, Any]) -> dict[str, float]:
    """How far each match rate is from the truth, in percentage points (estimate − truth).

    Both dicts have the shape of the ``--stats`` file (contracts.md §2, rates as fractions).
    """
    errors: dict[str, float] = {}
    for key in RATE_KEYS:
        for name, d in (("stats", stats), ("truth_stats", truth_stats)):
            if key not in d or d[key] is None:
                raise ValueError(f"{name} has no {key}")
        errors[key] = 100.0 * (float(stats[key]) - float(truth_stats[key]))
    return errors


def match_statistics(persons: pd.DataFrame) -> dict[str, Any]:
    """The seed-004 match statistics of a resolution of person records into persons.

    ``persons`` has one row per person record: ``source`` (``calworks``/``cws``),
    ``record_id``, ``person_id`` (the resolved person: a truth person, or a cluster), and
    optionally ``case_id`` (a CWS person is a case person when any of its records has one).
    A person is matched when the same ``person_id`` has records in both sources. Returns the
    ``--stats`` dict of contracts.md §2; a rate with no persons to count is 0.0.
    """
    cols = ["source", "record_id", "person_id"]
    p = _require(persons, cols, "person resolution")
    source = p["source"].astype("string").str.strip().str.lower()
    person = _ids(p["person_id"])
    lower = {str(c).strip().lower(): c for c in persons.columns}
    if "case_id" in lower:
        case = persons[lower["case_id"]].astype("string").str.strip()
        has_case = (case.notna() & (case != "")).to_numpy()
    else:
        has_case = np.zeros(len(p), dtype=bool)
    is_left = (source == LEFT_SOURCE).to_numpy()
    is_right = (source == RIGHT_SOURCE).to_numpy()
    left_persons = pd.Index(person[is_left].unique())
    right_persons = pd.Index(person[is_right].unique())
    both = left_persons.intersection(right_persons)
    right_case = pd.Index(person[is_right & has_case].unique())

    def rate(num: int, den: int) -> float:
        return num / den if den else 0.0

    n_left_matched = len(both)
    n_right_case_matched = len(right_case.intersection(both))
    return {
        "left_records": int(is_left.sum()),
        "left_persons": len(left_persons),
        "left_persons_matched": n_left_matched,
        "left_match_rate": rate(n_left_matched, len(left_persons)),
        "right_records": int(is_right.sum()),
        "right_persons": len(right_persons),
        "right_persons_matched": n_left_matched,
        "right_match_rate": rate(n_left_matched, len(right_persons)),
        "right_case_persons": len(right_case),
        "right_case_persons_matched": n_right_case_matched,
        "right_case_match_rate": rate(n_right_case_matched, len(right_case)),
    }
