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
from matching.compete import probability
from matching.estimate import PAIR_KINDS, Model, surname_bucket
from matching.standardise import Records

MATCH, REVIEW, NON_MATCH = 2, 1, 0
PERSON_FIELDS = ("first_name", "dob", "ssn", "sex", "middle_name")
"""The child's own identifiers. Surname, address, zip, county and parents are shared by
siblings; a `match` needs evidence from these too (``min_person_weight`` bits), and EM's
estimate of m listens to these (:func:`matching.estimate.anchored_em`)."""
DECISIONS = {MATCH: "match", REVIEW: "review", NON_MATCH: "non_match"}


@dataclass
class Scores:
    contributions: np.ndarray  # float32, pairs × fields (TF adjustment included)
    weight: np.ndarray         # float64, log2 Bayes factor
    probability: np.ndarray    # float64
    sibling: np.ndarray        # bool: the twin/sibling pattern (see :func:`sibling_guard`)
    person: np.ndarray         # float: the weight from the child's own identifiers
    log2_odds: np.ndarray      # float64: prior log2 odds + weight
    rivals: np.ndarray         # float64: log2(1 + rivals' odds) taken off (matching.compete)
    same_name: np.ndarray      # bool: the first names agree (exactly, or as a nickname,
                               # sound-alike or first/middle swap) and no parent is named on
                               # both records

    def guarded(self, min_person_weight: float, households: bool) -> np.ndarray:
        """Held back from `match`: the twin/sibling pattern, or too little evidence from the
        child's own identifiers (a brother or sister rests on the family's fields alone),
        unless the first names agree and no parent is named on both records to make a
        sibling of the other (a child whose date of birth or SSN was mistyped). Without
        ``households`` (files that show no families, :func:`household_mates`) only the
        sibling pattern holds: a shared surname and home are not a brother's or sister's."""
        weak = (self.person < min_person_weight) & ~self.same_name
        return self.sibling | (weak & households)

    def subset(self, rows: np.ndarray) -> Scores:
        return Scores(self.contributions[rows], self.weight[rows], self.probability[rows],
                      self.sibling[rows], self.person[rows], self.log2_odds[rows],
                      self.rivals[rows], self.same_name[rows])

    def with_rivals(self, adjusted_log2_odds: np.ndarray) -> Scores:
        """The same scores with the probability the pairs' rivals leave them."""
        return Scores(self.contributions, self.weight, probability(adjusted_log2_odds),
                      self.sibling, self.person, self.log2_odds,
                      self.log2_odds - adjusted_log2_odds, self.same_name)


def pair_kinds(rec: Records, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """0 for a cross-source pair, 1 for two left records, 2 for two right ones (one byte a
    pair, with no wider array on the way: there are tens of millions of pairs)."""
    sa, sb = rec.source[a], rec.source[b]
    kind = sa.astype(np.int8) + np.int8(1)
    kind[sa != sb] = 0
    return kind


def score(rec: Records, a: np.ndarray, b: np.ndarray, levels: np.ndarray, model: Model,
          tf_fields: tuple[str, ...], tf_minimum: float) -> Scores:
    table = model.weight_table()
    kinds = pair_kinds(rec, a, b)
    bucket = surname_bucket(levels)
    contrib = np.zeros(levels.shape, dtype=np.float32)
    # table[kind, bucket, f, level] as one gather from the flat table per field (no masked
    # copies of the pairs); a missing level keeps 0.
    n_fields, width = table.shape[2], table.shape[3]
    flat = table.reshape(-1)
    row = (kinds.astype(np.int32) * 2 + bucket) * (n_fields * width)
    for f in range(levels.shape[1]):
        col = levels[:, f]
        contrib[:, f] = np.where(col >= 0, flat[row + f * width + np.maximum(col, 0)], 0.0)
    surname = FIELD_INDEX["last_name"]
    surname_tf = np.full(len(a), model.u[surname][-1])
    for name in tf_fields:
        f = FIELD_INDEX[name]
        tf = term_frequencies(rec, a, b, levels, name, tf_minimum)
        has = ~np.isnan(tf)
        # The frequency replaces the random-pair u of an exact agreement.
        u_exact = model.u[f][-1]
        contrib[has, f] += np.log2(u_exact / tf[has]).astype(np.float32)
        if f == surname:
            surname_tf[has] = tf[has]
    # Twins: the same surname and birth date, another first name (counted with the first name,
    # which is what tells them apart, so the person evidence falls too).
    contrib[:, FIELD_INDEX["first_name"]] += model.twin_correction(
        levels, kinds, surname_tf).astype(np.float32)
    # Fields that move together: each group's correction shared among its fields.
    correction = model.dependence(levels, kinds, bucket)
    for g, fields in enumerate(model.groups):
        contrib[:, list(fields)] += (correction[:, g] / len(fields))[:, None].astype(np.float32)
    weight = contrib.sum(axis=1, dtype=np.float64)
    prior = np.array([model.prior[k] for k in PAIR_KINDS])[kinds]
    log2_odds = weight + np.log2(prior) - np.log2(1 - prior)
    person = contrib[:, [FIELD_INDEX[f] for f in PERSON_FIELDS]].sum(axis=1)
    # A sibling is told by the parent both records name; without a parent on one of them
    # the same first name says the child's own records.
    no_parent = ((levels[:, FIELD_INDEX["parent_first_name"]] < 0)
                 & (levels[:, FIELD_INDEX["parent_last_name"]] < 0))
    return Scores(contrib, weight, probability(log2_odds), sibling_guard(levels), person,
                  log2_odds, np.zeros(len(weight)),
                  (levels[:, FIELD_INDEX["first_name"]] >= FIRST_ALIAS) & no_parent)


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


HOUSEHOLD_MIN = 0.01
"""The guard on family evidence alone (``min_person_weight``) holds when the files may have
at least this many household-mates per record (:func:`household_mates`)."""


def household_mates(levels: np.ndarray, kinds: np.ndarray, n_records: int) -> float:
    """How many household-mates a record has within its own file, at most (the 95% upper
    bound): pairs of one file with a surname in common, the same street address or mother's
    first name, and different first names, per record. Siblings are what the guards guard
    against; where the files show none (FEBRL's one record per unrelated adult), a pair that
    shares a surname and a home is not a brother's or sister's, and the guards would only
    hold back the records whose first name and birth date were both corrupted. Rule of three
    for few pairs: three household pairs in ten records could be chance, not three in
    ten thousand."""
    within = kinds != 0
    mates = (within
             & (levels[:, FIELD_INDEX["last_name"]] >= 3)
             & (levels[:, FIELD_INDEX["first_name"]] == 0)
             & ((levels[:, FIELD_INDEX["address"]] == 2)
                | (levels[:, FIELD_INDEX["parent_first_name"]] == 3)))
    return (int(mates.sum()) + 3) / max(n_records, 1)


THRESHOLD_BINS = 10_000


MATCH_RULES = ("balanced", "expected_f1")


def match_threshold(cross_probability: np.ndarray, fixed: float | None, rule: str,
                    precision: float | None, floor: float, held_back: float = 0.0) -> float:
    """The match threshold, chosen without labels from the pairs' probabilities.

    ``fixed``: that probability. Otherwise (``auto``) by ``rule``, on the calibrated
    probabilities of :mod:`matching.compete`, where the links above t hold Σ_{p≥t} p true
    matches in expectation and the candidates Σ p in all:

    - ``balanced``: the t at which the expected false links, Σ_{p≥t} (1 − p), equal the
      expected true matches left out, Σ_{p<t} p: the number of links, and so the match
      counts and rates, are unbiased; but never above 0.5, since a pair more likely a match
      than not is always linked (in a small file a single uncertain pair would otherwise
      tip the balance and be left out at p = 0.97);
    - ``expected_f1``: the t that maximises E[F1](t) ≈ 2 Σ_{p≥t} p / (#{p≥t} + Σ p), fewer
      errors in all but more of them missed matches (rates run low).

    ``precision``: then raised, if need be, until the expected precision (mean probability)
    of the links reaches it. Never below ``floor`` (the review threshold). ``held_back``: the
    probability mass of pairs that can never be links whatever the threshold (the same-family
    guard), all of it missed. Probabilities are binned to 1e-4, so this is one pass over the
    pairs, not a sort."""
    p = np.asarray(cross_probability, dtype=np.float64)
    if rule not in MATCH_RULES:
        raise ValueError(f"unknown match rule {rule!r}; known: {', '.join(MATCH_RULES)}")
    # Links and expected true links above each threshold edge k/THRESHOLD_BINS.
    counts, mass = _binned(p)
    links = np.cumsum(counts[::-1])[::-1]
    found = np.cumsum(mass[::-1])[::-1]
    if fixed is not None:
        threshold = fixed
    elif len(p) == 0 or p.sum() <= 0:
        threshold = 0.5
    elif rule == "expected_f1":
        threshold = float(np.argmax(2 * found / (links + p.sum() + held_back))) / THRESHOLD_BINS
    else:
        false_links = links - found
        missed = p.sum() + held_back - found
        # The first edge at which the false links no longer outnumber the missed.
        threshold = min(float(np.argmax(false_links <= missed)) / THRESHOLD_BINS, 0.5)
    threshold = min(max(threshold, floor), 1.0 - 1.0 / THRESHOLD_BINS)
    if precision is not None and len(p):
        mean = found / np.maximum(links, 1)
        edges = np.arange(THRESHOLD_BINS) / THRESHOLD_BINS
        ok = np.flatnonzero(((mean >= precision) | (links == 0)) & (edges >= threshold))
        threshold = float(edges[ok[0]]) if len(ok) else 1.0 - 1.0 / THRESHOLD_BINS
    return round(threshold, 4)


def _binned(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pair counts and probability mass in bins of 1/THRESHOLD_BINS."""
    k = np.minimum((p * THRESHOLD_BINS).astype(np.int64), THRESHOLD_BINS - 1)
    counts = np.bincount(k, minlength=THRESHOLD_BINS).astype(np.float64)
    mass = np.bincount(k, weights=p, minlength=THRESHOLD_BINS)
    return counts, mass


def classify(scores: Scores, match_at: float, review_at: float, guard: bool,
             min_person_weight: float, households: bool) -> np.ndarray:
    """`match` above the threshold unless guarded; with the guard on, a sibling pattern whose
    own identifiers disagree (different first name *and* no birth date or SSN to speak for
    it) is a different child outright, while one they support (a twin, or a renamed child:
    same birth date) and a pair resting on family evidence alone go to `review`."""
    p = scores.probability
    decision = np.full(len(p), NON_MATCH, dtype=np.int8)
    decision[p >= review_at] = REVIEW
    strong = p >= match_at
    if guard:
        strong &= ~scores.guarded(min_person_weight, households)
    decision[strong] = MATCH
    if guard:
        decision[scores.sibling & (scores.person < min_person_weight)] = NON_MATCH
    return decision
