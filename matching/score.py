"""Score and classify: match weight, posterior probability and decision of each pair.

The match weight is the log2 Bayes factor, the sum of the fields' contributions: log2(m/u) of
the pair's level, plus for names a term-frequency adjustment log2(u_exact / frequency) so that
two GARCIAs count for less than two ZAMUDIOs. A missing value contributes 0. The probability
adds the prior odds λ/(1−λ) of the kind of pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.compare import FIELD_INDEX, FIELDS, FIRST_ALIAS, FIRST_WEAK, term_frequencies
from matching.estimate import PAIR_KINDS, Model, surname_bucket
from matching.standardise import Records

MATCH, REVIEW, NON_MATCH = 2, 1, 0
PERSON_FIELDS = ("first_name", "dob", "ssn", "sex")
"""The child's own identifiers. Surname, address, zip, county and parents are shared by
siblings; a `match` needs evidence from these too (``min_person_weight`` bits)."""
DECISIONS = {MATCH: "match", REVIEW: "review", NON_MATCH: "non_match"}


@dataclass
class Scores:
    contributions: np.ndarray  # float32, pairs × fields (TF adjustment included)
    weight: np.ndarray         # float64, log2 Bayes factor
    probability: np.ndarray    # float64
    sibling: np.ndarray        # bool: the twin/sibling pattern (see :func:`sibling_guard`)
    person: np.ndarray         # float: the weight from the child's own identifiers

    def guarded(self, min_person_weight: float) -> np.ndarray:
        return self.sibling | (self.person < min_person_weight)


def pair_kinds(rec: Records, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sa, sb = rec.source[a], rec.source[b]
    kind = np.where(sa != sb, 0, np.where(sa == 0, 1, 2))
    return kind.astype(np.int8)


def score(rec: Records, a: np.ndarray, b: np.ndarray, levels: np.ndarray, model: Model,
          tf_fields: tuple[str, ...], tf_minimum: float) -> Scores:
    table = model.weight_table()
    kinds = pair_kinds(rec, a, b)
    bucket = surname_bucket(levels)
    contrib = np.zeros(levels.shape, dtype=np.float32)
    for f in range(levels.shape[1]):
        col = levels[:, f]
        present = col >= 0
        contrib[present, f] = table[kinds[present], bucket[present], f, col[present]]
    for name in tf_fields:
        f = FIELD_INDEX[name]
        tf = term_frequencies(rec, a, b, levels, name, tf_minimum)
        has = ~np.isnan(tf)
        # The frequency replaces the random-pair u of an exact agreement.
        u_exact = model.u[f][-1]
        contrib[has, f] += np.log2(u_exact / tf[has]).astype(np.float32)
    # Fields that move together: each group's correction shared among its fields.
    correction = model.dependence(levels, kinds, bucket)
    for g, fields in enumerate(model.groups):
        contrib[:, list(fields)] += (correction[:, g] / len(fields))[:, None].astype(np.float32)
    weight = contrib.sum(axis=1, dtype=np.float64)
    prior = np.array([model.prior[k] for k in PAIR_KINDS])[kinds]
    log2_odds = weight + np.log2(prior) - np.log2(1 - prior)
    probability = 1.0 / (1.0 + np.exp2(-np.clip(log2_odds, -1000, 1000)))
    person = contrib[:, [FIELD_INDEX[f] for f in PERSON_FIELDS]].sum(axis=1)
    return Scores(contrib, weight, probability, sibling_guard(levels), person)


def sibling_guard(levels: np.ndarray) -> np.ndarray:
    """Pairs that look like twins or siblings rather than one child: first names clearly
    different (or only similar while the sexes differ), no agreeing SSN, and the same parent
    (parent first name, or a parent surname in common). Without parent names on both records
    there is no family to guard and the weights decide."""
    first = levels[:, FIELD_INDEX["first_name"]]
    sex = levels[:, FIELD_INDEX["sex"]]
    ssn = levels[:, FIELD_INDEX["ssn"]]
    parent_first = levels[:, FIELD_INDEX["parent_first_name"]]
    parent_last = levels[:, FIELD_INDEX["parent_last_name"]]
    different = first == 0
    similar_other_sex = (first >= FIRST_WEAK) & (first < FIRST_ALIAS) & (sex == 0)
    ssn_exact = ssn == len(FIELDS[FIELD_INDEX["ssn"]].levels) - 1
    same_parent = (parent_first >= 2) | (parent_last >= 2)
    return (different | similar_other_sex) & ~ssn_exact & same_parent


def match_threshold(cross_probability: np.ndarray, minimum: float,
                    precision: float | None) -> float:
    """The match threshold: ``minimum``, raised when a target precision is set until the
    expected precision (mean posterior) of the pairs above it reaches the target."""
    if precision is None or len(cross_probability) == 0:
        return minimum
    p = np.sort(cross_probability[cross_probability >= minimum])[::-1]
    if len(p) == 0:
        return minimum
    mean = np.cumsum(p) / np.arange(1, len(p) + 1)
    ok = np.flatnonzero(mean >= precision)
    if len(ok) == 0:
        return float(p[0])
    return max(minimum, float(p[ok[-1]]))


def classify(scores: Scores, match_at: float, review_at: float, guard: bool,
             min_person_weight: float) -> np.ndarray:
    """`match` above the threshold unless guarded; with the guard on, a sibling pattern whose
    own identifiers disagree (different first name *and* no birth date or SSN to speak for
    it) is a different child outright, while one they support (a twin, or a renamed child:
    same birth date) and a pair resting on family evidence alone go to `review`."""
    p = scores.probability
    decision = np.full(len(p), NON_MATCH, dtype=np.int8)
    decision[p >= review_at] = REVIEW
    strong = p >= match_at
    if guard:
        strong &= ~scores.guarded(min_person_weight)
    decision[strong] = MATCH
    if guard:
        decision[scores.sibling & (scores.person < min_person_weight)] = NON_MATCH
    return decision
