"""The run's own error estimate, made without labels: u of the non-matches among random
pairs, and the `match` rows a cluster joins through other records."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matching_cases import base_population

from matching import MatchSettings, link
from matching.compare import FIELD_INDEX
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
