"""Competing candidates: the probability of a pair given the other candidates of its records.

Fellegi-Sunter scores each pair as if it were the only question asked of its two records. But
a CWS child is one child: if it is CalWORKs child A it is not A's namesake B. In a statewide
file a CWS record often has several CalWORKs candidates whose names and birth date agree
(two ISABELLA GARCIAs born the same day), and pair by pair each looks likely; together their
probabilities add up to more than one. Under the constraint that a record is one person of
the other file at most, the probability that records i and j are the same person is, to first
order (sparse competition, the leading terms of the bipartite matching posterior):

    P(i ~ j) = o_ij / (1 + o_ij + Σ_{k ∉ person(j)} o_ik + Σ_{l ∉ person(i)} o_lj)

that is, the pair's odds divided by one plus its rivals' odds. o is a pair's posterior odds
(prior odds × Bayes factor); the sums run over the other candidates of i and of j that are
not records of the pair's own persons (a child's two records in one file do not compete with
each other). With no rival the pair keeps its Fellegi-Sunter probability; the adjustment only
ever lowers it. On the statewide synthetic population it turns pair probabilities that were
overconfident in the middle range (pairs at 0.5-0.7 true 44% of the time) into calibrated
ones (62%), and those of twins and siblings from near 1 to their true rate.

Twins and siblings are the commonest competitors: twin B's record competes with twin A's for
A's record of the other file, so B's pair falls as far as A's is stronger.

The "1" above is the chance that neither record has a match, at the pairwise prior. Where
most of each file's records do have one (FEBRL4; two extracts of one caseload) that chance is
small, and a pair whose records have no other candidate is likely whatever its own evidence:
:func:`one_to_one_prior` lifts every pair's odds, and its rivals', by the share of records
left unmatched on each side, P = c·o / (1 + c·o + c·Σ rivals). It is used where the files
hold no families (matching.pipeline.decide says why).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_LOG2_ODDS = 40.0
"""Odds are capped (2^40) before summing: beyond that a pair is certain and the sums must stay
finite and exact enough to subtract a pair's own odds from its record's total."""


def odds(log2_odds: np.ndarray) -> np.ndarray:
    return np.exp2(np.clip(log2_odds.astype(np.float64), -1000.0, MAX_LOG2_ODDS))


def probability(log2_odds: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp2(-np.clip(log2_odds.astype(np.float64), -1000.0, 1000.0)))


@dataclass
class Competition:
    """Each record's total odds over its cross-source candidates, and the one-to-one prior
    (:func:`one_to_one_prior`) the pairs are weighed with."""

    left_total: np.ndarray   # float64 per record position (0 for right records)
    right_total: np.ndarray  # float64 per record position (0 for left records)
    free_log2: float = 0.0
    """log2 c: how much likelier a link is between two records whose other candidates are
    not their matches than between two random records (0: the pairwise prior)."""

    @classmethod
    def empty(cls, n: int) -> Competition:
        return cls(np.zeros(n), np.zeros(n))

    def add(self, left: np.ndarray, right: np.ndarray, log2_odds: np.ndarray) -> None:
        """Count cross-source pairs (left record, right record) with their log2 odds; called
        chunk by chunk so the candidates' odds are never all held at once."""
        o = odds(log2_odds)
        n = len(self.left_total)
        self.left_total += np.bincount(left, weights=o, minlength=n)
        self.right_total += np.bincount(right, weights=o, minlength=n)

    def rival_odds(self, left: np.ndarray, right: np.ndarray, log2_odds: np.ndarray,
                   person: np.ndarray | None = None) -> np.ndarray:
        """Σ of the odds of every other person's candidacy for either record of each pair.

        ``left``/``right``/``log2_odds``: the pairs to adjust. ``person``: a person label per
        record position; a record's pairs given here with records of the pair's own person
        are not its rivals. Without ``person`` only the pair itself is set aside (enough for
        weak pairs, whose rivals dwarf them anyway)."""
        o = odds(log2_odds)
        if person is None or len(left) == 0:
            own_left = own_right = o
        else:
            frame = pd.DataFrame({"l": left, "r": right, "pl": person[left],
                                  "pr": person[right], "o": o})
            own_left = frame.groupby(["l", "pr"], sort=False)["o"].transform("sum").to_numpy()
            own_right = frame.groupby(["r", "pl"], sort=False)["o"].transform("sum").to_numpy()
        return ((self.left_total[left] - own_left).clip(min=0.0)
                + (self.right_total[right] - own_right).clip(min=0.0))

    def adjusted_log2_odds(self, left: np.ndarray, right: np.ndarray, log2_odds: np.ndarray,
                           person: np.ndarray | None = None) -> np.ndarray:
        """log2 odds of each pair given its records' rivals: c·o / (1 + c·rivals)."""
        rivals = self.rival_odds(left, right, log2_odds, person)
        c = np.exp2(self.free_log2)
        return (np.clip(log2_odds.astype(np.float64), -1000.0, 1000.0) + self.free_log2
                - np.log2(1.0 + c * rivals))


def one_to_one_prior(left_share: float, right_share: float, n_left: int, n_right: int
                     ) -> float:
    """log2 c of the one-to-one prior, from the share of each file's records that have a match.

    Fellegi-Sunter's prior λ is the chance that two random records match: λ = n / (N_l N_r)
    for n matched pairs. Under the constraint that a record matches at most one record of
    the other file (a uniform prior over the partial matchings of n links), the odds that
    records i and j match *against both being unmatched* are n / ((N_l − n)(N_r − n)): λ
    divided by the shares of unmatched records on each side, (1 − π_l)(1 − π_r). Where few
    records have a match (a CalWORKs child is in CWS one time in seven) this is a small
    correction; where nearly every record has one (FEBRL4, or two extracts of one caseload)
    a pair whose records have no other candidate is a match unless its evidence is clearly
    against it, as it should be: each record's match must be somewhere. The shares are
    capped so that one record of each file stays unmatched (the odds stay finite)."""
    free_left = max(1.0 - left_share, 1.0 / max(n_left, 1))
    free_right = max(1.0 - right_share, 1.0 / max(n_right, 1))
    return float(-np.log2(free_left) - np.log2(free_right))
