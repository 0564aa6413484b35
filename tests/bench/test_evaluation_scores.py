"""Scoring a linkage against the truth, on cases small enough to work out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from matching.evaluation import (
    blocking_recall,
    evaluate_links,
    match_rate_errors,
    match_statistics,
    truth_pairs,
)


def truth_of(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["source", "record_id", "person_id"])


def links(pairs: list[tuple[str, str]], decisions: list[str] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(pairs, columns=["left_id", "right_id"], dtype=object)
    if decisions is not None:
        frame["decision"] = decisions
    return frame


# Person P1: two CalWORKs records (a duplicate) and one CWS record -> 2 true links.
# Person P2: one record each side -> 1 true link.
# Person P3: CalWORKs only; person P4: CWS only, with two records -> no true link.
TRUTH = truth_of([
    ("calworks", "A1", "P1"), ("calworks", "A2", "P1"), ("cws", "B1", "P1"),
    ("calworks", "A3", "P2"), ("cws", "B2", "P2"),
    ("calworks", "A4", "P3"),
    ("cws", "B3", "P4"), ("cws", "B4", "P4"),
])


def test_true_links_are_every_cross_source_pair_of_a_person() -> None:
    pairs = truth_pairs(TRUTH)
    assert sorted(map(tuple, pairs.to_numpy())) == [("A1", "B1"), ("A2", "B1"), ("A3", "B2")]


def test_a_within_source_duplicate_is_not_a_true_link() -> None:
    # B3-B4 share a person but are both CWS records: not a cross-source link.
    assert ("B3", "B4") not in set(map(tuple, truth_pairs(TRUTH).to_numpy()))


def test_perfect_prediction_scores_one() -> None:
    result = evaluate_links(links([("A1", "B1"), ("A2", "B1"), ("A3", "B2")]), TRUTH)
    assert result == {"tp": 3, "fp": 0, "fn": 0, "precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_missing_the_duplicates_link_and_one_wrong_link() -> None:
    # Found A1-B1 only of P1's two links, and wrongly linked the CalWORKs-only child to P4.
    result = evaluate_links(links([("A1", "B1"), ("A3", "B2"), ("A4", "B3")]), TRUTH)
    assert (result["tp"], result["fp"], result["fn"]) == (2, 1, 1)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))


def test_a_pair_listed_twice_counts_once() -> None:
    result = evaluate_links(links([("A3", "B2"), ("A3", "B2")]), TRUTH)
    assert (result["tp"], result["fp"], result["fn"]) == (1, 0, 2)


def test_review_pairs_are_not_counted_as_links() -> None:
    predicted = links([("A1", "B1"), ("A2", "B1"), ("A4", "B3")], ["match", "match", "review"])
    result = evaluate_links(predicted, TRUTH)
    assert (result["tp"], result["fp"], result["fn"]) == (2, 0, 1)


def test_empty_prediction_finds_nothing() -> None:
    result = evaluate_links(links([]), TRUTH)
    assert result == {"tp": 0, "fp": 0, "fn": 3, "precision": 1.0, "recall": 0.0, "f1": 0.0}


def test_nothing_to_find_and_nothing_claimed_is_perfect() -> None:
    truth = truth_of([("calworks", "A1", "P1"), ("cws", "B1", "P2")])
    assert evaluate_links(links([]), truth)["f1"] == 1.0
    wrong = evaluate_links(links([("A1", "B1")]), truth)
    assert (wrong["fp"], wrong["precision"], wrong["f1"]) == (1, 0.0, 0.0)


def test_numeric_ids_match_their_text_in_the_truth() -> None:
    truth = truth_of([("calworks", "17", "P1"), ("cws", "0042", "P1")])
    predicted = pd.DataFrame({"left_id": [17], "right_id": ["0042"]})
    assert evaluate_links(predicted, truth)["tp"] == 1


def test_columns_are_matched_case_insensitively() -> None:
    truth = TRUTH.rename(columns=str.upper)
    predicted = links([("A3", "B2")]).rename(columns={"left_id": "Left_ID"})
    assert evaluate_links(predicted, truth)["tp"] == 1


def test_a_missing_column_is_named() -> None:
    with pytest.raises(ValueError, match="right_id"):
        evaluate_links(pd.DataFrame({"left_id": ["A1"]}), TRUTH)
    with pytest.raises(ValueError, match="person_id"):
        evaluate_links(links([]), TRUTH.drop(columns="person_id"))


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="TANF"):
        truth_pairs(truth_of([("TANF", "A1", "P1")]))


def test_blocking_recall_counts_true_links_among_candidates() -> None:
    candidates = links([("A1", "B1"), ("A1", "B2"), ("A4", "B3"), ("A3", "B2")])
    assert blocking_recall(candidates, TRUTH) == pytest.approx(2 / 3)
    assert blocking_recall(links([]), TRUTH) == 0.0
    no_links = truth_of([("calworks", "A1", "P1")])
    assert blocking_recall(links([]), no_links) == 1.0


def test_match_rate_errors_in_percentage_points() -> None:
    stats = {"left_match_rate": 0.145, "right_match_rate": 0.35, "right_case_match_rate": 0.47}
    truth = {"left_match_rate": 0.14, "right_match_rate": 0.36, "right_case_match_rate": 0.47}
    errors = match_rate_errors(stats, truth)
    assert errors["left_match_rate"] == pytest.approx(0.5)
    assert errors["right_match_rate"] == pytest.approx(-1.0)
    assert errors["right_case_match_rate"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="right_case_match_rate"):
        match_rate_errors({"left_match_rate": 0.1, "right_match_rate": 0.1}, truth)


def test_match_statistics_of_the_truth() -> None:
    persons = TRUTH.assign(case_id=["", "", "C1", "", "", "", "C9", ""])
    stats = match_statistics(persons)
    assert stats == {
        "left_records": 4, "left_persons": 3, "left_persons_matched": 2,
        "left_match_rate": pytest.approx(2 / 3),
        "right_records": 4, "right_persons": 3, "right_persons_matched": 2,
        "right_match_rate": pytest.approx(2 / 3),
        # P1 has a case (B1); P4 has one on B3 only, and is unmatched.
        "right_case_persons": 2, "right_case_persons_matched": 1,
        "right_case_match_rate": pytest.approx(0.5),
    }


def test_match_statistics_without_case_ids_or_persons() -> None:
    stats = match_statistics(truth_of([]))
    assert stats["left_persons"] == 0 and stats["left_match_rate"] == 0.0
    assert match_statistics(TRUTH)["right_case_persons"] == 0
