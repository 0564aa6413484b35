"""Incremental linking: a new extract linked against what an earlier run resolved.

A county links its two statewide files once; each month's extract then differs from the last
in a few records (new CalWORKs children and CWS referrals, a corrected birth date, a new
address). Linking the whole extract again would re-estimate the model, move the threshold a
little and reshuffle decisions workers have already acted on. Instead:

- a record is *unchanged* when the earlier run saw the same record_id with the same contents
  (a fingerprint of its person-record columns); every other record, and every record named
  in a clerical decision, is *to link*;
- blocking pairs the records to link with every record (the passes probe them), and only
  those pairs are compared and scored, with the earlier run's model and match threshold;
- the earlier run's persons keep their unchanged records together, its LINKS pairs between
  unchanged records count among the rivals of the new pairs, and its review rows between
  unchanged records are carried over while their records stay apart;
- persons are resolved again over the whole extract, so LINKS.csv, the persons and the
  statistics describe the new extract entire, as a full run's would.

A removed record simply is not in the new extract; its persons lose it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from matching.blocking import block
from matching.compare import FIELD_NAMES
from matching.estimate import Model
from matching.pipeline import (
    KnownPairs,
    MatchResult,
    _positions,
    _score_pairs,
    _Stages,
    compare_all,
    decide,
    family_guard,
    finish,
    prepare,
)
from matching.settings import MatchSettings
from matching.standardise import Records

FINGERPRINT_COLUMNS = ("record_id", "first_name", "middle_name", "last_name", "dob", "sex",
                       "ssn", "county_cd", "zip", "address", "parent_first_name",
                       "parent_last_name", "case_id")
MOSTLY_DISTINCT = frozenset({"record_id", "ssn", "address", "case_id"})
"""Fingerprinted columns with nearly a value per record."""
RECORD_COLUMNS = ["source", "record_id", "fingerprint", "person_key"]
"""The records file a run writes beside LINKS.csv (``<LINKS>.records.parquet``) for the next
incremental run: each record's side (left/right), id, fingerprint and person."""


def fingerprints(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit fingerprint of each record's person-record columns (as text), the same for
    the same contents whatever the row order. One column at a time, so that no copy of the
    whole file as text is ever held."""
    out = np.zeros(len(frame), dtype=np.uint64)
    for c in FINGERPRINT_COLUMNS:
        if c not in frame.columns:
            continue
        values = frame[c]
        if values.dtype == object and pd.api.types.infer_dtype(values) in {"string", "empty"}:
            # Already text (or missing): the same strings astype("string") gives, without its
            # per-value checks (about a tenth faster).
            text = values.where(values.notna(), "").to_numpy(dtype=object)
        elif (pd.api.types.is_datetime64_any_dtype(values)
              or pd.api.types.is_integer_dtype(values)):
            # Dates and integers: each distinct value as astype("string") writes it (over the
            # distinct dates, the same choice of format as over them all), once.
            codes, uniques = pd.factorize(values)
            once = pd.Series(uniques).astype("string").fillna("").to_numpy(dtype=object)
            text = np.append(once, "")[codes]  # a missing value (code -1): ""
        else:
            text = values.astype("string").fillna("").to_numpy(dtype=object)
        # The same hashes either way; sorting out the distinct values first only pays where
        # they repeat.
        out = (out * np.uint64(0x100000001B3)) ^ pd.util.hash_array(
            text, categorize=c not in MOSTLY_DISTINCT)
    return out.view(np.int64)


def records_frame(persons: pd.DataFrame, fingerprint: np.ndarray) -> pd.DataFrame:
    """The records file of a run: :data:`RECORD_COLUMNS`, in the order of ``persons``
    (``MatchResult.persons``: left rows first) and of ``fingerprint`` (the two files'
    fingerprints, left first)."""
    return pd.DataFrame({
        "source": persons["source"].to_numpy(),
        "record_id": persons["record_id"].astype(str).to_numpy(),
        "fingerprint": fingerprint,
        "person_key": persons["person_key"].to_numpy(np.int64),
    })


@dataclass
class PreviousRun:
    """What ``linkages match`` wrote: its model and threshold (``<LINKS>.model.json``), its
    LINKS rows and its records file."""

    model: Model
    match_threshold: float
    links: pd.DataFrame
    records: pd.DataFrame

    @classmethod
    def from_saved(cls, parameters: dict[str, Any], links: pd.DataFrame,
                   records: pd.DataFrame) -> PreviousRun:
        missing = [c for c in RECORD_COLUMNS if c not in records.columns]
        if missing:
            raise ValueError(f"the earlier run's records file lacks {', '.join(missing)}")
        threshold = (parameters.get("thresholds") or {}).get("match_probability")
        if threshold is None or "model" not in parameters:
            raise ValueError("the earlier run's model file holds no model or match threshold")
        links = links.copy()
        for col in links.columns:
            if col in ("match_probability", "match_weight", "rivals") or col.startswith("w_"):
                links[col] = pd.to_numeric(links[col], errors="coerce")
        return cls(Model.from_dict(parameters["model"], FIELD_NAMES), float(threshold), links,
                   records)


def _unchanged(rec: Records, fingerprint: np.ndarray, previous: pd.DataFrame
               ) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Which records the earlier run saw as they are now, their earlier person, and how many
    records are new and how many of the earlier ones are gone."""
    at = np.full(rec.n, -1, dtype=np.int64)
    sides = previous["source"].astype(str).to_numpy()
    for side, rows in (("left", slice(0, rec.n_left)), ("right", slice(rec.n_left, rec.n))):
        before = np.flatnonzero(sides == side)
        index = pd.Index(previous["record_id"].to_numpy()[before].astype(str))
        found = index.get_indexer(rec.record_id[rows].astype(str))
        at[rows] = np.where(found >= 0, before[np.clip(found, 0, None)], -1)
    seen = at >= 0
    same = np.zeros(rec.n, dtype=bool)
    same[seen] = previous["fingerprint"].to_numpy(np.int64)[at[seen]] == fingerprint[seen]
    person = np.full(rec.n, -1, dtype=np.int64)
    person[same] = previous["person_key"].to_numpy(np.int64)[at[same]]
    still_there = np.zeros(len(previous), dtype=bool)
    still_there[at[seen]] = True
    return same, person, int((~seen).sum()), int((~still_there).sum())


def _known_pairs(rec: Records, previous: PreviousRun, unchanged: np.ndarray,
                 earlier_person: np.ndarray, settings: MatchSettings) -> KnownPairs:
    links = previous.links
    la, rb = rec.pair_positions(links["left_id"], links["right_id"])
    ok = (la >= 0) & (rb >= 0)
    ok[ok] = unchanged[la[ok]] & unchanged[rb[ok]]
    a, b = la[ok], rb[ok]
    # Scored again, not read from LINKS: a pair's own odds are taken off its records' totals,
    # which only works if both are the same number (name frequencies move with the extract).
    log2_odds = _score_pairs(rec, a, b, previous.model, settings)[1].log2_odds
    # Each earlier person's unchanged records, chained in record order.
    members = np.flatnonzero(unchanged)
    order = members[np.argsort(earlier_person[members], kind="stable")]
    same = earlier_person[order[1:]] == earlier_person[order[:-1]]
    is_review = (links["decision"].astype(str) == "review").to_numpy()
    review = links[ok & is_review]
    basis = (links["basis"].astype(str).to_numpy() if "basis" in links.columns
             else np.full(len(links), "model", dtype=object))
    basis = np.where(is_review, "", basis)[ok]
    return KnownPairs(a, b, log2_odds,
                      order[:-1][same], order[1:][same], review.reset_index(drop=True),
                      basis.astype(object))


def link_incremental(left: pd.DataFrame, right: pd.DataFrame, previous: PreviousRun,
                     settings: MatchSettings | None = None,
                     clerical: pd.DataFrame | None = None, progress: bool = False
                     ) -> MatchResult:
    """Link a new extract (the whole of both files, as :func:`matching.link` takes them),
    comparing only the records new or changed since ``previous``."""
    settings = settings or MatchSettings()
    stages = _Stages(progress, total=6)
    with stages.stage("standardise"):
        rec = prepare(left, right, settings)
        fingerprint = np.concatenate([fingerprints(left), fingerprints(right)])
    return link_records_incremental(rec, fingerprint, previous, settings, clerical, progress,
                                    stages)


def link_records_incremental(rec: Records, fingerprint: np.ndarray, previous: PreviousRun,
                             settings: MatchSettings, clerical: pd.DataFrame | None = None,
                             progress: bool = False, stages: _Stages | None = None
                             ) -> MatchResult:
    """:func:`link_incremental` on standardised records and their :func:`fingerprints`
    (left first)."""
    settings = replace(settings, match_probability=previous.match_threshold)
    stages = stages or _Stages(progress, total=5)
    with stages.stage("find changes"):
        unchanged, earlier_person, new, removed = _unchanged(rec, fingerprint,
                                                             previous.records)
        ca, cb, confirm = _positions(rec, clerical)
        # A worker's decision may split or join earlier persons: its records are linked anew.
        unchanged[ca] = False
        unchanged[cb] = False
        earlier_person[~unchanged] = -1
    with stages.stage("block"):
        cand = block(rec, settings.passes, settings.max_block, probe=~unchanged)
    with stages.stage("compare"):
        levels = compare_all(rec, cand.a, cand.b, progress)
    with stages.stage("score"):
        # The earlier run's finding on families holds (its model measured whole files).
        settings = family_guard(settings, previous.model)
        known = _known_pairs(rec, previous, unchanged, earlier_person, settings)
        scored = decide(rec, cand, levels, previous.model, settings, known)
        del levels
    result = finish(rec, len(cand), cand.by_pass, scored, previous.model, settings,
                    (ca, cb, confirm), stages, known, skipped=cand.skipped)
    result.stats["incremental"] = {
        "records_unchanged": int(unchanged.sum()),
        "records_linked_anew": int((~unchanged).sum()),
        "records_new": new,
        "records_removed": removed,
        "earlier_links_carried": len(known.a),
        "model": "earlier run's", "match_threshold": previous.match_threshold,
    }
    return result
