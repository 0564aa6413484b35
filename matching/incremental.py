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
    _Stages,
    compare_all,
    decide,
    finish,
)
from matching.settings import MatchSettings
from matching.standardise import Records, load_nicknames, standardise

FINGERPRINT_COLUMNS = ("record_id", "first_name", "middle_name", "last_name", "dob", "sex",
                       "ssn", "county_cd", "zip", "address", "parent_first_name",
                       "parent_last_name", "case_id")
RECORD_COLUMNS = ["source", "record_id", "fingerprint", "person_key"]
"""The records file a run writes beside LINKS.csv (``<LINKS>.records.parquet``) for the next
incremental run: each record's side (left/right), id, fingerprint and person."""


def fingerprints(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit fingerprint of each record's person-record columns (as read), the same for
    the same contents whatever the row order."""
    text = pd.DataFrame({c: (frame[c].astype("string").fillna("") if c in frame.columns
                             else pd.Series("", index=frame.index, dtype="string"))
                         for c in FINGERPRINT_COLUMNS})
    return pd.util.hash_pandas_object(text, index=False).to_numpy().view(np.int64)


def records_frame(left: pd.DataFrame, right: pd.DataFrame, persons: pd.DataFrame
                  ) -> pd.DataFrame:
    """The records file of a run: :data:`RECORD_COLUMNS`, left rows first."""
    return pd.DataFrame({
        "source": persons["source"].to_numpy(),
        "record_id": persons["record_id"].astype(str).to_numpy(),
        "fingerprint": np.concatenate([fingerprints(left), fingerprints(right)]),
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
               ) -> tuple[np.ndarray, np.ndarray]:
    """Which records the earlier run saw as they are now, and their earlier person."""
    source = np.where(rec.source == 0, "left", "right")
    key = pd.MultiIndex.from_arrays([source, rec.record_id.astype(str)])
    before = pd.MultiIndex.from_arrays([previous["source"].astype(str).to_numpy(),
                                        previous["record_id"].astype(str).to_numpy()])
    at = before.get_indexer(key)
    seen = at >= 0
    same = np.zeros(rec.n, dtype=bool)
    same[seen] = previous["fingerprint"].to_numpy(np.int64)[at[seen]] == fingerprint[seen]
    person = np.full(rec.n, -1, dtype=np.int64)
    person[same] = previous["person_key"].to_numpy(np.int64)[at[same]]
    return same, person


def _known_pairs(rec: Records, previous: PreviousRun, unchanged: np.ndarray,
                 earlier_person: np.ndarray) -> KnownPairs:
    links = previous.links
    left_index = pd.Index(rec.record_id[: rec.n_left].astype(str))
    right_index = pd.Index(rec.record_id[rec.n_left:].astype(str))
    la = left_index.get_indexer(links["left_id"].astype(str))
    rb = right_index.get_indexer(links["right_id"].astype(str))
    ok = (la >= 0) & (rb >= 0)
    ok[ok] = unchanged[la[ok]] & unchanged[rb[ok] + rec.n_left]
    a, b = la[ok].astype(np.int64), (rb[ok] + rec.n_left).astype(np.int64)
    prior = previous.model.prior["cross"]
    log2_odds = (links["match_weight"].to_numpy(float)[ok]
                 + np.log2(prior) - np.log2(1 - prior))
    # Each earlier person's unchanged records, chained in record order.
    members = np.flatnonzero(unchanged)
    order = members[np.argsort(earlier_person[members], kind="stable")]
    same = earlier_person[order[1:]] == earlier_person[order[:-1]]
    is_review = (links["decision"].astype(str) == "review").to_numpy()
    review = links[ok & is_review]
    basis = (links["basis"].astype(str).to_numpy() if "basis" in links.columns
             else np.full(len(links), "model", dtype=object))
    basis = np.where(is_review, "", basis)[ok]
    return KnownPairs(a, b, np.nan_to_num(log2_odds, nan=-1000.0),
                      order[:-1][same], order[1:][same], review.reset_index(drop=True),
                      basis.astype(object))


def link_incremental(left: pd.DataFrame, right: pd.DataFrame, previous: PreviousRun,
                     settings: MatchSettings | None = None,
                     clerical: pd.DataFrame | None = None,
                     progress: bool = False) -> MatchResult:
    """Link a new extract (the whole of both files, as :func:`matching.link` takes them),
    comparing only the records new or changed since ``previous``."""
    settings = replace(settings or MatchSettings(),
                       match_probability=previous.match_threshold)
    stages = _Stages(progress, total=6)
    with stages.stage("standardise"):
        rec = standardise(left, right, load_nicknames(settings.nicknames_path))
        fingerprint = np.concatenate([fingerprints(left), fingerprints(right)])
        unchanged, earlier_person = _unchanged(rec, fingerprint, previous.records)
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
        known = _known_pairs(rec, previous, unchanged, earlier_person)
        scored = decide(rec, cand, levels, previous.model, settings, known)
        del levels
    result = finish(rec, len(cand), cand.by_pass, scored, previous.model, settings,
                    (ca, cb, confirm), stages, known)
    seen = previous.records
    current = set(zip(np.where(rec.source == 0, "left", "right"), rec.record_id.astype(str),
                      strict=True))
    before = set(zip(seen["source"].astype(str), seen["record_id"].astype(str), strict=True))
    result.stats["incremental"] = {
        "records_unchanged": int(unchanged.sum()),
        "records_linked_anew": int((~unchanged).sum()),
        "records_new": len(current - before),
        "records_removed": len(before - current),
        "earlier_links_carried": len(known.a),
        "model": "earlier run's", "match_threshold": previous.match_threshold,
    }
    return result
