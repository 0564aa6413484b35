"""Report: the seed-004 match statistics and the model's own estimate of its errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matching.blocking import in_pass
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


def unblocked_matches(rec: Records, passes: tuple[BlockingPass, ...], a: np.ndarray,
                      b: np.ndarray, probability: np.ndarray) -> dict[str, Any]:
    """The true pairs no blocking pass proposed, estimated without labels by capture-
    recapture between two lists of passes (the Lincoln-Petersen estimator, as in the
    dual-system estimation of census coverage).

    List A: the passes keyed on the date of birth; list B: the passes that use no date of
    birth (SSN, address, names with middle initial). A pair's date of birth is corrupted
    independently of the fields B uses, so among the true pairs whose dates of birth are
    both present, the share B catches is about the same among those A missed as among those
    A caught: N = n_A n_B / n_AB, and the pairs caught by neither are N − n_{A∪B}. Each
    candidate pair counts with its match probability. (Errors shared by both lists, a
    misspelt name that both key on, make it an underestimate; a pair whose date of birth is
    missing, which only the no-DOB passes can catch, is not counted.)"""
    uses_dob = [any(k in DOB_KEYS for k in p.keys) for p in passes]
    list_a = np.zeros(len(a), dtype=bool)
    list_b = np.zeros(len(a), dtype=bool)
    # Keys only for the records of these pairs, not for every record of the files.
    involved, local = np.unique(np.concatenate([a, b]), return_inverse=True)
    few = rec.subset(involved)
    la, lb = local[: len(a)], local[len(a):]
    for blocking_pass, dob in zip(passes, uses_dob, strict=True):
        if blocking_pass.only_if_missing:
            continue  # catches only the pairs with a key missing: not independent of A
        hit = in_pass(few, blocking_pass, la, lb)
        if dob:
            list_a |= hit
        else:
            list_b |= hit
    both_dob = (rec.dob[a] > 0) & (rec.dob[b] > 0)
    weight = np.asarray(probability, dtype=np.float64) * both_dob
    n_a, n_b = float(weight[list_a].sum()), float(weight[list_b].sum())
    n_ab = float(weight[list_a & list_b].sum())
    seen = float(weight[list_a | list_b].sum())
    unseen = max(n_a * n_b / n_ab - seen, 0.0) if n_ab > 0 else 0.0
    return {"expected_missed_unblocked": round(unseen, 2),
            "capture_counts": {"dob_passes": round(n_a, 2), "other_passes": round(n_b, 2),
                               "both": round(n_ab, 2)}}


def error_estimates(links: pd.DataFrame, unlinked_probability: np.ndarray,
                    unblocked: float = 0.0) -> dict[str, Any]:
    """Expected errors from the posterior probabilities (after rivals), without labels.

    Among the written `match` pairs, each is wrong with probability 1 − p; among the other
    candidate pairs (review pairs and those below review), each is a true match with
    probability p. ``unblocked``: the true pairs blocking never proposed
    (:func:`unblocked_matches`), all of them missed."""
    matches = links[links["decision"] == "match"]["match_probability"].to_numpy(float)
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
