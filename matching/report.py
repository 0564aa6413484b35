"""Report: the seed-004 match statistics and the model's own estimate of its errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from matching.blocking import pass_membership
from matching.settings import BlockingPass
from matching.standardise import Records


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def match_stats(rec: Records, labels: np.ndarray) -> dict[str, Any]:
    """contracts.md §2: persons are counted once (after deduplication within each file);
    a person is matched when their cluster holds a record of the other file."""
    left_labels = labels[rec.source == 0]
    right_labels = labels[rec.source == 1]
    ul, ur = np.unique(left_labels), np.unique(right_labels)
    both = np.intersect1d(ul, ur)
    case_labels = np.unique(labels[rec.has_case])
    left_matched = len(both)
    right_matched = len(both)
    case_matched = int(np.isin(case_labels, both).sum())
    return {
        "left_records": len(left_labels),
        "left_persons": len(ul),
        "left_persons_matched": int(left_matched),
        "left_match_rate": _rate(left_matched, len(ul)),
        "right_records": len(right_labels),
        "right_persons": len(ur),
        "right_persons_matched": int(right_matched),
        "right_match_rate": _rate(right_matched, len(ur)),
        "right_case_persons": len(case_labels),
        "right_case_persons_matched": case_matched,
        "right_case_match_rate": _rate(case_matched, len(case_labels)),
    }


DOB_KEYS = frozenset({"dob", "dob_unordered", "birth_year", "birth_monthday",
                      "birth_yearmonth"})


def unblocked_matches(rec: Records, passes: tuple[BlockingPass, ...],
                      skipped: dict[str, np.ndarray], a: np.ndarray, b: np.ndarray,
                      probability: np.ndarray) -> dict[str, Any]:
    """The true pairs no blocking pass proposed, estimated without labels by capture-
    recapture (the Lincoln-Petersen estimator, as in the dual-system estimation of census
    coverage), in two strata.

    ``a``, ``b``: the candidate pairs (record positions), each counted with its match
    probability: the expected true pairs. A pair is caught by a pass when the pass made it,
    exactly as blocking did (:func:`matching.blocking.pass_membership`: a block over the
    pass's ``max_block`` made no pair; ``skipped``, the key values of such blocks by pass,
    as :func:`matching.blocking.block` found them).

    - Both dates of birth present: list A, the passes keyed on the date of birth; list B,
      the passes that use none (SSN, address, names). A pair's date of birth is corrupted
      independently of the fields B uses, so the share B catches is about the same among the
      pairs A missed as among those A caught: N = n_A n_B / n_AB, and the pairs caught by
      neither are N − (those caught). (Errors shared by both lists, a misspelt name both key
      on, make it an underestimate.)
    - A date of birth missing on one side: only the passes without it can catch such a pair
      (B, and the passes kept for a missing date, M). The pairs of the first stratum are a
      sample of how the other fields agree: the share of its N that B and M would catch if a
      date were missing (M's pass run without its condition) is the catch rate r of this
      stratum, and its candidates are a share r of its true pairs: (1 − r) / r of them were
      never proposed.
    """
    weight = np.asarray(probability, dtype=np.float64)
    empty = {"expected_missed_unblocked": 0.0,
             "capture_counts": {"dob_passes": 0.0, "other_passes": 0.0, "both": 0.0,
                                "dob_missing": 0.0, "dob_missing_catch_rate": None}}
    if len(a) == 0 or not passes:
        return empty
    uses_dob = [any(k in DOB_KEYS for k in p.keys) for p in passes]
    if_missing = [p for p in passes if p.only_if_missing]
    # The passes kept for a missing key, as if the key were missing: what they would catch.
    as_if = tuple(replace(p, name=f"{p.name} (as if missing)", only_if_missing=None)
                  for p in if_missing)
    skipped = {**skipped, **{q.name: skipped.get(p.name, np.empty(0, np.int64))
                             for p, q in zip(if_missing, as_if, strict=True)}}
    member = pass_membership(rec, passes + as_if, skipped, a, b)
    list_a = np.zeros(len(a), dtype=bool)
    list_b = np.zeros(len(a), dtype=bool)
    caught = np.zeros(len(a), dtype=bool)
    for blocking_pass, dob in zip(passes, uses_dob, strict=True):
        hit = member[blocking_pass.name]
        caught |= hit
        if blocking_pass.only_if_missing:
            continue
        if dob:
            list_a |= hit
        else:
            list_b |= hit
    would = list_b.copy()
    for p in as_if:
        would |= member[p.name]
    dob_missing = (rec.dob[a] == 0) | (rec.dob[b] == 0)
    return capture_recapture(weight, list_a, list_b, caught, would, dob_missing)


def capture_recapture(weight: np.ndarray, list_a: np.ndarray, list_b: np.ndarray,
                      caught: np.ndarray, would_without_dob: np.ndarray,
                      dob_missing: np.ndarray) -> dict[str, Any]:
    """The two strata of :func:`unblocked_matches` from each candidate pair's expected truth
    (``weight``) and capture history: ``list_a`` (a pass keyed on the date of birth made
    it), ``list_b`` (a pass without one, not kept for a missing key), ``caught`` (any pass),
    ``would_without_dob`` (B, or a pass kept for a missing date run without its condition,
    makes it). Where the lists never meet no estimate can be made, and none is claimed."""
    both = ~dob_missing
    w = weight * both
    n_a, n_b = float(w[list_a].sum()), float(w[list_b].sum())
    n_ab = float(w[list_a & list_b].sum())
    seen = float(w[caught].sum())
    total = n_a * n_b / n_ab if n_ab > 0 else seen
    unseen = max(total - seen, 0.0)
    missing_seen = float((weight * dob_missing).sum())
    rate = min(float(w[would_without_dob].sum()) / total, 1.0) if total > 0 else None
    unseen_missing = missing_seen * (1 - rate) / rate if rate else 0.0
    return {"expected_missed_unblocked": round(unseen + unseen_missing, 2),
            "capture_counts": {"dob_passes": round(n_a, 2), "other_passes": round(n_b, 2),
                               "both": round(n_ab, 2), "dob_missing": round(missing_seen, 2),
                               "dob_missing_catch_rate": None if rate is None
                               else round(rate, 4)}}


def chain_probability(labels: np.ndarray, ea: np.ndarray, eb: np.ndarray, ep: np.ndarray,
                      a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each pair (a, b) of records of one person, the probability of its strongest chain
    of links: the greatest product of the probabilities ``ep`` of the links (ea, eb) along a
    path from a to b within the person (0 where there is none).

    If every link of a chain is right, so is the pair: a cluster's pair (two records joined
    through a third, not by their own comparison) is right at least that often."""
    out = np.zeros(len(a))
    if len(a) == 0 or len(ea) == 0:
        return out
    inside = labels[ea] == labels[eb]
    ea, eb = ea[inside], eb[inside]
    log_p = np.log(np.clip(np.asarray(ep, dtype=np.float64)[inside], 1e-300, 1.0))
    wanted = np.unique(labels[a])
    keep = np.isin(labels[ea], wanted)
    ea, eb, log_p = ea[keep], eb[keep], log_p[keep]
    edge_label = labels[ea]
    order = np.argsort(edge_label, kind="stable")
    ea, eb, log_p, edge_label = ea[order], eb[order], log_p[order], edge_label[order]
    lo = np.searchsorted(edge_label, wanted, side="left")
    hi = np.searchsorted(edge_label, wanted, side="right")
    pair_label = labels[a]
    for k, lab in enumerate(wanted.tolist()):  # the persons with such pairs: few, and small
        sa, sb, sw = ea[lo[k]:hi[k]], eb[lo[k]:hi[k]], log_p[lo[k]:hi[k]]
        rows = np.flatnonzero(pair_label == lab)
        nodes = np.unique(np.concatenate([sa, sb, a[rows], b[rows]]))
        ia, ib = np.searchsorted(nodes, sa), np.searchsorted(nodes, sb)
        best = np.full((len(nodes), len(nodes)), -np.inf)
        np.fill_diagonal(best, 0.0)
        np.maximum.at(best, (ia, ib), sw)
        np.maximum.at(best, (ib, ia), sw)
        for via in range(len(nodes)):  # Floyd-Warshall in (max, +) on log probabilities
            best = np.maximum(best, best[:, via, None] + best[None, via, :])
        out[rows] = np.exp(best[np.searchsorted(nodes, a[rows]), np.searchsorted(nodes, b[rows])])
    return out


def error_estimates(links: pd.DataFrame, unlinked_probability: np.ndarray,
                    unblocked: float = 0.0, match_probability: np.ndarray | None = None
                    ) -> dict[str, Any]:
    """Expected errors from the posterior probabilities (after rivals), without labels.

    Among the written `match` pairs, each is wrong with probability 1 − p; among the other
    candidate pairs (review pairs and those below review), each is a true match with
    probability p. ``unblocked``: the true pairs blocking never proposed
    (:func:`unblocked_matches`), all of them missed. ``match_probability``: the probability
    each `match` row (in order) is right, where it is not its ``match_probability`` (a
    cluster's pair, right whenever its chain of links is: :func:`chain_probability`)."""
    matches = links[links["decision"] == "match"]["match_probability"].to_numpy(float)
    if match_probability is not None:
        matches = np.asarray(match_probability, dtype=np.float64)
    review = links[links["decision"] == "review"]["match_probability"].to_numpy(float)
    expected_false = float((1 - matches).sum())
    expected_missed = float(np.asarray(unlinked_probability, dtype=np.float64).sum()) + unblocked
    expected_true = len(matches) - expected_false
    precision = expected_true / len(matches) if len(matches) else 1.0
    recall_denominator = expected_true + expected_missed
    recall = expected_true / recall_denominator if recall_denominator > 0 else 1.0
    return {
        "match_pairs": len(matches),
        "review_pairs": len(review),
        "expected_false_matches": round(expected_false, 2),
        "expected_missed_matches": round(expected_missed, 2),
        "expected_precision": round(precision, 6),
        "expected_recall": round(recall, 6),
        "expected_true_pairs_among_candidates": round(expected_true + expected_missed, 2),
    }
