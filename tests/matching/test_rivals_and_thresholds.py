"""A pair's probability given its records' rivals, the label-free match threshold, and the
blocking keys that reach transposed and estimated birth dates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matching_cases import person_files

from matching import BlockingPass, MatchSettings, link
from matching.blocking import block, pass_membership
from matching.compare import FIELD_INDEX, compare
from matching.compete import Competition, probability
from matching.score import match_threshold
from matching.standardise import load_nicknames, standardise


def test_a_lone_pair_keeps_its_probability_and_rivals_share_theirs() -> None:
    # Records 0, 1 (left) and 2 (right): both left records are candidates for record 2.
    competition = Competition.empty(3)
    left, right = np.array([0, 1]), np.array([2, 2])
    log2_odds = np.array([2.0, 2.0])  # each 4:1 alone, p = 0.8
    competition.add(left, right, log2_odds)
    adjusted = probability(competition.adjusted_log2_odds(left, right, log2_odds))
    # 4 / (1 + 4 + 4): each is the other's rival.
    np.testing.assert_allclose(adjusted, [4 / 9, 4 / 9])

    alone = Competition.empty(2)
    alone.add(np.array([0]), np.array([1]), np.array([2.0]))
    np.testing.assert_allclose(
        probability(alone.adjusted_log2_odds(np.array([0]), np.array([1]), np.array([2.0]))),
        [0.8])


def test_a_childs_own_duplicate_records_are_not_its_rivals() -> None:
    # Left 0 and 1 are one child's two CalWORKs records (one person); right 2 is that child.
    competition = Competition.empty(3)
    left, right = np.array([0, 1]), np.array([2, 2])
    log2_odds = np.array([3.0, 3.0])
    competition.add(left, right, log2_odds)
    person = np.array([7, 7, 9])
    adjusted = probability(competition.adjusted_log2_odds(left, right, log2_odds, person))
    np.testing.assert_allclose(adjusted, probability(log2_odds))


def _namesake_files() -> tuple[pd.DataFrame, pd.DataFrame]:
    left, right = person_files()
    child = {"first_name": "ISABELLA", "last_name": "GARCIA", "dob": "2010-11-12", "sex": "F",
             "ssn": "", "case_id": ""}
    namesakes = pd.DataFrame([
        {**child, "record_id": "NA", "county_cd": "19", "zip": "90051",
         "address": "18713 STOCKTON BLVD", "parent_first_name": "MIGUEL",
         "parent_last_name": "GARCIA"},
        {**child, "record_id": "NB", "county_cd": "10", "zip": "93701",
         "address": "12 TULARE ST", "parent_first_name": "JESSICA",
         "parent_last_name": "PEREZ"},
    ])
    # No home or parent on the CWS record: each namesake is as good a match as the other (in
    # these files a child's two records never differ on the home: a different one would
    # count against both).
    cws = pd.DataFrame([{**child, "record_id": "NC", "county_cd": "", "zip": "",
                         "address": "", "parent_first_name": "", "parent_last_name": ""}])
    return (pd.concat([left, namesakes], ignore_index=True),
            pd.concat([right, cws], ignore_index=True))


def test_a_cws_child_with_two_equal_calworks_namesakes_is_linked_to_neither() -> None:
    left, right = _namesake_files()
    result = link(left, right, MatchSettings.from_yaml("config/matching.yaml"))
    links = result.links
    rows = links[links["right_id"] == "NC"]
    assert set(rows.loc[rows["decision"] == "match", "left_id"]) == set()
    # Each is a question for a worker, with the probability its rival leaves it.
    assert set(rows["left_id"]) == {"NA", "NB"}
    assert (rows["rivals"] > 0).all()
    assert rows["match_probability"].sum() <= 1.0

    # Alone, the same CWS record would be linked to the namesake.
    alone = link(left[left["record_id"] != "NB"], right,
                 MatchSettings.from_yaml("config/matching.yaml")).links
    solo = alone[alone["right_id"] == "NC"]
    assert set(solo.loc[solo["decision"] == "match", "left_id"]) == {"NA"}


def test_balanced_threshold_equates_expected_false_and_missed_links() -> None:
    rng = np.random.default_rng(5)
    p = np.concatenate([rng.beta(8, 1, 20_000), rng.beta(1, 6, 80_000)])
    t = match_threshold(p, None, "balanced", None, floor=0.05)
    false_links = (1 - p[p >= t]).sum()
    missed = p[p < t].sum()
    assert abs(false_links - missed) < 0.01 * p.sum()
    # A fixed threshold is taken as given; a precision target raises it.
    assert match_threshold(p, 0.7, "balanced", None, floor=0.05) == 0.7
    strict = match_threshold(p, None, "balanced", 0.995, floor=0.05)
    assert strict > t and p[p >= strict].mean() >= 0.995


def test_expected_f1_threshold_is_half_the_f1_it_reaches() -> None:
    # For calibrated probabilities the F1-optimal threshold is F1*/2 (a pair is worth
    # linking when it adds more to the true links than to the links).
    rng = np.random.default_rng(6)
    p = rng.beta(0.5, 0.5, 200_000)
    t = match_threshold(p, None, "expected_f1", None, floor=0.05)
    expected_f1 = 2 * p[p >= t].sum() / ((p >= t).sum() + p.sum())
    assert abs(t - expected_f1 / 2) < 0.01


def test_held_back_pairs_count_as_missed_when_the_threshold_is_balanced() -> None:
    p = np.array([0.95] * 100 + [0.6] * 100 + [0.3] * 100)
    plain = match_threshold(p, None, "balanced", None, floor=0.05)
    # 200 more expected matches the guard keeps from `match`: the threshold comes down.
    held = match_threshold(p, None, "balanced", None, floor=0.05, held_back=200.0)
    assert held < plain


def test_match_threshold_settings_accept_auto_and_reject_nonsense() -> None:
    auto = MatchSettings.from_dict({"thresholds": {"match_probability": "auto"}})
    assert auto.match_probability is None and auto.match_rule == "balanced"
    assert MatchSettings.from_dict({"thresholds": {"match_probability": 0.8}}
                                   ).match_probability == 0.8
    with pytest.raises(ValueError, match="match_rule"):
        MatchSettings.from_dict({"thresholds": {"match_rule": "best"}})
    with pytest.raises(ValueError, match="match_probability"):
        MatchSettings.from_dict({"thresholds": {"match_probability": "high"}})


def _records(rows: list[dict[str, str]]):  # type: ignore[no-untyped-def]
    settings = MatchSettings.from_yaml("config/matching.yaml")
    return standardise(pd.DataFrame(rows[:1]), pd.DataFrame(rows[1:]),
                       load_nicknames(settings.nicknames_path))


def test_day_and_month_transposed_meet_in_one_block() -> None:
    rec = _records([{"record_id": "L", "first_name": "ESMERALDA", "last_name": "RIOS",
                     "dob": "2001-04-03"},
                    {"record_id": "R", "first_name": "ESMERALDA", "last_name": "RIOS",
                     "dob": "2001-03-04"}])
    a, b = np.array([0]), np.array([1])
    transposed = BlockingPass("t", ("dob_unordered", "name_phonetic"))
    exact = BlockingPass("d", ("dob", "name_phonetic"))
    passes = (transposed, exact)
    member = pass_membership(rec, passes, block(rec, passes, 2000).skipped, a, b)
    assert member["t"][0]
    assert not member["d"][0]


def test_a_first_of_january_birth_date_counts_as_unknown_for_the_no_dob_passes() -> None:
    rec = _records([{"record_id": "L", "first_name": "GAEL", "last_name": "VEGA",
                     "dob": "2016-06-09", "county_cd": "39"},
                    {"record_id": "R", "first_name": "GAEL", "last_name": "VEGA",
                     "dob": "2016-01-01", "county_cd": "39"}])
    names_county = BlockingPass("n", ("county", "first_phonetic", "surname_token"), "dob")
    skipped = block(rec, (names_county,), 2000).skipped
    assert pass_membership(rec, (names_county,), skipped, np.array([0]), np.array([1]))["n"][0]


def test_an_address_with_a_space_lost_is_still_similar() -> None:
    rec = _records([{"record_id": "L", "address": "29 PORTEOUS CRESCENT"},
                    {"record_id": "R", "address": "29 PORTEOUSJCRESCENT"}])
    level = compare(rec, np.array([0]), np.array([1]))[0, FIELD_INDEX["address"]]
    assert level == 1
