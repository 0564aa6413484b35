"""Report: the seed-004 match statistics and the model's own estimate of its errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

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


def error_estimates(links: pd.DataFrame, unlinked_probability: np.ndarray) -> dict[str, Any]:
    """Expected errors from the posterior probabilities (after rivals), without labels.

    Among the written `match` pairs, each is wrong with probability 1 − p; among the other
    candidate pairs (review pairs and those below review), each is a true match with
    probability p. Pairs never made candidates by blocking are not counted (the blocking
    recall measured with truth data bounds them)."""
    matches = links[links["decision"] == "match"]["match_probability"].to_numpy(float)
    review = links[links["decision"] == "review"]["match_probability"].to_numpy(float)
    expected_false = float((1 - matches).sum())
    expected_missed = float(np.asarray(unlinked_probability, dtype=np.float64).sum())
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
