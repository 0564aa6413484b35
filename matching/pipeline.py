"""The whole linkage: standardise → block → compare → estimate → score → classify → resolve →
report, and the explanation of one pair's weight."""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from matching.blocking import Candidates, block
from matching.compare import (
    DEPENDENT_GROUPS,
    FIELD_INDEX,
    FIELD_NAMES,
    FIELDS,
    NEVER_FOR,
    compare,
)
from matching.compete import Competition, one_to_one_prior
from matching.compete import probability as compete_probability
from matching.estimate import (
    DOB_EXACT,
    PAIR_KINDS,
    TWIN_FIRST_LEVELS,
    Model,
    anchored_em,
    independent,
    joint_codes,
    joint_shares,
    level_shares,
    patterns,
    rarity_classes,
    surname_bucket,
    twin_pattern,
)
from matching.report import chain_probability, error_estimates, match_stats, unblocked_matches
from matching.resolve import components, internal_pairs, one_to_one, resolve
from matching.score import (
    DECISIONS,
    HOUSEHOLD_MIN,
    MATCH,
    PERSON_FIELDS,
    REVIEW,
    Scores,
    classify,
    household_mates,
    match_threshold,
    pair_kinds,
    score,
    sibling_guard,
)
from matching.settings import MatchSettings
from matching.standardise import Records, load_nicknames, standardise

CHUNK = 2_000_000
COMPARE_CHUNK = 1_000_000
COMPARE_THREADS = 4
SCORE_PART = 250_000
"""Pairs scored at once by one thread (CHUNK is a multiple of it)."""
MIN_PASS_PAIRS = 50
N_LEVELS = tuple(len(f.levels) for f in FIELDS)
GROUPS = tuple(tuple(FIELD_INDEX[f] for f in group) for group in DEPENDENT_GROUPS)
LINK_COLUMNS = ["left_id", "right_id", "match_probability", "match_weight", "decision"]
CONTRIBUTION_COLUMNS = [f"w_{name}" for name in FIELD_NAMES]


@dataclass
class MatchResult:
    links: pd.DataFrame
    left_persons: pd.Series
    right_persons: pd.Series
    persons: pd.DataFrame
    stats: dict[str, Any]
    parameters: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    blocking: dict[str, dict[str, int]] = field(default_factory=dict)
    model: Model | None = None


class _Stages:
    def __init__(self, progress: bool, total: int) -> None:
        self.timings: dict[str, float] = {}
        self.bar = tqdm(total=total, desc="linking", unit="stage", disable=not progress,
                        leave=False)
        self.progress = progress

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.bar.set_postfix_str(name)
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 3)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def compare_all(rec: Records, a: np.ndarray, b: np.ndarray, progress: bool = False) -> np.ndarray:
    """Comparison levels of every pair, computed in chunks to bound memory, on a thread per
    core (numpy and rapidfuzz release the interpreter lock for most of the work)."""
    levels = np.empty((len(a), len(FIELDS)), dtype=np.int8)
    starts = range(0, len(a), COMPARE_CHUNK)

    def one(s: int) -> None:
        levels[s:s + COMPARE_CHUNK] = compare(rec, a[s:s + COMPARE_CHUNK],
                                              b[s:s + COMPARE_CHUNK])

    workers = min(os.cpu_count() or 1, COMPARE_THREADS)
    with ThreadPoolExecutor(workers) as pool:
        done = pool.map(one, starts)
        for _ in tqdm(done, total=len(starts), desc="comparing", unit="chunk",
                      disable=not progress or len(a) < CHUNK, leave=False):
            pass
    return levels


def _in_order(work: Callable[[int], np.ndarray], items: Sequence[int]
              ) -> Generator[np.ndarray, None, None]:
    """``work`` on each item on a thread per core (numpy releases the interpreter lock for
    most of it), the results yielded in the order of ``items``; at most one item more than
    there are threads is under way or waiting, so memory stays bounded."""
    workers = min(os.cpu_count() or 1, COMPARE_THREADS)
    if workers < 2 or len(items) < 2:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: deque[Future[np.ndarray]] = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) > workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def random_pairs(rec: Records, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random record pairs for u: cross-source when both files have records."""
    rng = np.random.default_rng(seed)
    n_left, n = rec.n_left, rec.n
    if n < 2:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if 0 < n_left < n:
        a = rng.integers(0, n_left, count)
        b = rng.integers(n_left, n, count)
    else:
        a = rng.integers(0, n, count)
        b = rng.integers(0, n, count)
        keep = a != b
        a, b = a[keep], b[keep]
    return a, b


MIN_U_PAIRS = 1_000
"""Random pairs with a field on both sides below which its u is not measured on them."""


def fields_within_one_file(random_levels: np.ndarray) -> list[int]:
    """Fields that (almost) no cross-source random pair has on both sides: a field one file
    lacks, such as the SSN where the other file is census-like."""
    present = (random_levels >= 0).sum(axis=0)
    return [f for f in range(random_levels.shape[1]) if present[f] < MIN_U_PAIRS]


def u_within_files(rec: Records, u: list[np.ndarray], fields: list[int], count: int,
                   seed: int) -> list[np.ndarray]:
    """u of ``fields`` from random pairs within each file, where they are compared (within a
    file such a field tells duplicates apart; uniform u there would make an agreeing SSN count
    against a match). Fields these pairs do not have either keep ``u``."""
    if not fields or not 0 < rec.n_left < rec.n:
        return u
    rng = np.random.default_rng(seed + 2)
    half = max(count // 2, 1)
    a = np.concatenate([rng.integers(0, rec.n_left, half), rng.integers(rec.n_left, rec.n, half)])
    b = np.concatenate([rng.integers(0, rec.n_left, half), rng.integers(rec.n_left, rec.n, half)])
    keep = a != b
    within = compare(rec, a[keep], b[keep])
    within_u = level_shares(within, N_LEVELS)
    enough = (within >= 0).sum(axis=0) >= MIN_U_PAIRS
    return [within_u[f] if f in fields and enough[f] else x for f, x in enumerate(u)]


def random_pairs_sharing_surname(rec: Records, count: int, seed: int
                                 ) -> tuple[np.ndarray, np.ndarray]:
    """Random record pairs whose surnames share a token, uniform over such pairs: a token is
    drawn in proportion to the pairs it makes, then one record on each side that holds it
    (cross-source when both files have records)."""
    rng = np.random.default_rng(seed + 1)
    n_left, n = rec.n_left, rec.n
    rows = np.repeat(np.arange(n, dtype=np.int64), rec.last_tokens.shape[1])
    tokens = rec.last_tokens.reshape(-1).astype(np.int64)
    ok = tokens >= 0
    rows, tokens = rows[ok], tokens[ok]
    cross = 0 < n_left < n
    sides = (rows < n_left, rows >= n_left) if cross else (np.ones(len(rows), bool),) * 2
    groups = []
    for side in sides:
        order = np.argsort(tokens[side], kind="stable")
        side_rows, side_tokens = rows[side][order], tokens[side][order]
        size = np.bincount(side_tokens, minlength=len(rec.tokens))
        start = np.concatenate([[0], np.cumsum(size)[:-1]])
        groups.append((side_rows, size, start))
    (rows_a, size_a, start_a), (rows_b, size_b, start_b) = groups
    weight = size_a.astype(np.float64) * size_b
    if not cross:
        weight = size_a * (size_a - 1) / 2.0
    if weight.sum() <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    token = rng.choice(len(weight), size=count, p=weight / weight.sum())
    a = rows_a[start_a[token] + (rng.random(count) * size_a[token]).astype(np.int64)]
    b = rows_b[start_b[token] + (rng.random(count) * size_b[token]).astype(np.int64)]
    keep = a != b
    return a[keep], b[keep]


def fit(rec: Records, cand: Candidates, levels: np.ndarray, settings: MatchSettings,
        reviewed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> Model:
    """u from random record pairs (and from random pairs sharing a surname, for the fields
    that go with a surname), each counted as a non-match as far as a first model says it is
    one; m and the priors by person-anchored, leave-one-field-out EM over the candidate pairs
    (:func:`matching.estimate.anchored_em`).

    ``reviewed``: clerical decisions as record positions (a, b, confirmed). A worker's answer
    replaces the model's guess in the estimate: confirmed pairs count as matches for every
    m, rejected pairs as no match at all (neither is left to EM).

    The model also carries the household-mates per record the candidates show
    (:func:`matching.score.household_mates`), measured here on the pairs' levels and kinds."""
    # A few hundred thousand random pairs measure u well on small files; more on large ones.
    count = min(settings.random_pairs, max(200_000, 20 * rec.n))
    ra, rb = random_pairs(rec, count, settings.seed)
    random_levels = compare(rec, ra, rb)
    u = level_shares(random_levels, N_LEVELS)
    within_only = fields_within_one_file(random_levels)
    u = u_within_files(rec, u, within_only, count, settings.seed)
    sa, sb = random_pairs_sharing_surname(rec, count, settings.seed)
    same_levels = compare(rec, sa, sb) if len(sa) else random_levels
    kinds = pair_kinds(rec, cand.a, cand.b)
    mates = household_mates(levels, kinds, rec.n)
    if len(cand) == 0:
        return Model(m=[np.full(s, 1.0 / s) for s in N_LEVELS], u=u,
                     prior={"cross": 1e-12, "left": 1e-12, "right": 1e-12},
                     never_for=NEVER_FOR, household_mates=mates)
    rarity_fields = tuple(f for f in settings.tf_fields if f in RARITY_FIELDS)
    rarity = name_rarity(rec, cand.a, levels, u, rarity_fields, settings.tf_minimum)
    exclude, confirmed = None, None
    if reviewed is not None and len(reviewed[0]):
        ra_, rb_, ok = reviewed
        position = _candidate_positions(rec, cand, ra_, rb_)
        among = position >= 0
        exclude = (levels[position[among]], kinds[position[among]], rarity[position[among]])
        confirmed = (compare(rec, ra_[ok], rb_[ok]), pair_kinds(rec, ra_[ok], rb_[ok]))
    pat, pk, counts = patterns(levels, kinds, exclude, extra=rarity)
    del rarity
    pat, pat_rarity = pat[:, : len(N_LEVELS)], pat[:, len(N_LEVELS):]
    n_left, n_right = rec.n_left, rec.n - rec.n_left
    totals = np.array([n_left * n_right, n_left * (n_left - 1) / 2,
                       n_right * (n_right - 1) / 2], dtype=np.float64)

    def em(u: list[np.ndarray], u_same_surname: list[np.ndarray] | None,
           start: Model | None = None, twin_u: np.ndarray | None = None) -> Model:
        return anchored_em(pat, pk, counts, u, N_LEVELS,
                           [FIELD_INDEX[f] for f in PERSON_FIELDS], totals,
                           settings.max_iterations, settings.tolerance,
                           extra_evidence={FIELD_INDEX["ssn"]: [FIELD_INDEX["last_name"]]},
                           u_same_surname=u_same_surname, groups=GROUPS, reviewed=confirmed,
                           never_for=NEVER_FOR, rarity=pat_rarity,
                           rarity_fields=tuple(FIELD_INDEX[f] for f in rarity_fields),
                           start=start, twin_u=twin_u)

    # Random pairs hold true matches too: few in a statewide file, but where the files are
    # small the chance that a random pair matches (the cross prior, 1 in 6,000 in FEBRL's
    # 5,000 x 5,000) is no longer small beside the u of a specific agreement, and those
    # matches made most of the random pairs with one birth date or street address there (u
    # seven times too high, the weight of an exact birth date 2.8 bits short). So each random
    # pair counts towards u as a non-match only as far as a first model, with unweighted u,
    # says it is one; among pairs that share a surname (a tenth of them true matches in
    # FEBRL) the same holds. (The names' rarity classes keep the first u of an exact name:
    # a name's u is far above the prior, and barely moves.)
    first = em(u, None)
    random_kinds = pair_kinds(rec, ra, rb)
    random_non_match = 1.0 - first.posterior(random_levels, random_kinds)
    u_non_match = level_shares(random_levels, N_LEVELS, random_non_match)
    for f in within_only:  # measured within each file instead
        u_non_match[f] = u[f]
    same_kinds = pair_kinds(rec, sa, sb) if len(sa) else np.zeros(len(same_levels), np.int8)
    non_match = 1.0 - first.posterior(same_levels, same_kinds)
    u_same_surname = level_shares(same_levels, N_LEVELS, non_match)
    for f in within_only:  # not measured on cross pairs sharing a surname either
        u_same_surname[f] = u[f]
    # Twins, measured within the files with the u of non-matches (the first fit, only there to
    # weigh the random pairs, goes without).
    twin_u = twin_rates(rec, levels, kinds, u_non_match)
    model = em(u_non_match, u_same_surname, start=first, twin_u=twin_u)
    model.household_mates = mates
    model.u_joint = [
        [joint_shares(joint_codes(lv, g, N_LEVELS), w, independent([u_b[f] for f in g]))
         for g in GROUPS]
        for lv, w, u_b in ((random_levels, random_non_match, u_non_match),
                           (same_levels, non_match, u_same_surname))]
    return model


def twin_rates(rec: Records, levels: np.ndarray, kinds: np.ndarray, u: list[np.ndarray]
               ) -> np.ndarray:
    """:attr:`matching.estimate.Model.twin_u`: per kind of pair (cross, left, right) and
    first-name level of ``TWIN_FIRST_LEVELS``, the chance that two random records are twins
    (same surname and birth date, another first name) beyond namesakes born the same day.

    Counted on the candidate pairs within each file, which are not matches but for a
    duplicate (a child's two records seldom differ on the first name): those pairs, less the
    namesakes the fields' own u expect among the file's pairs sharing a surname, over all the
    file's pairs. A child's co-twin is in the other file as often as in its own (each file
    holds a share of the same children), and per pair of records a file of N holds 1/N of
    a child's co-twin: the two files' rates, pooled, serve the cross-source pairs."""
    out = np.zeros((len(PAIR_KINDS), len(TWIN_FIRST_LEVELS)))
    twins = twin_pattern(levels)
    first = levels[:, FIELD_INDEX["first_name"]]
    excess = np.zeros_like(out)
    pairs = np.zeros(len(PAIR_KINDS))
    for kind, source in ((1, 0), (2, 1)):
        n = int((rec.source == source).sum())
        pairs[kind] = n * (n - 1) / 2
        if n < 2:
            continue
        counts = np.bincount(rec.last[(rec.source == source) & (rec.last >= 0)])
        same_surname = float((counts * (counts - 1) / 2).sum())
        mask = (kinds == kind) & twins
        for j, level in enumerate(TWIN_FIRST_LEVELS):
            found = float(np.count_nonzero(mask & (first == level)))
            namesakes = (same_surname * u[FIELD_INDEX["dob"]][DOB_EXACT]
                         * u[FIELD_INDEX["first_name"]][level])
            excess[kind, j] = max(found - namesakes, 0.0)
    for kind in (1, 2):
        if pairs[kind] > 0:
            out[kind] = excess[kind] / pairs[kind]
    if pairs[1:].sum() > 0:
        out[0] = excess[1:].sum(axis=0) / pairs[1:].sum()
    return out


RARITY_FIELDS = ("first_name", "last_name")
"""The names whose rarity EM weighs (with ``tf_fields``): the child's, which judge a pair."""


def record_rarity(rec: Records, name: str, u_exact: float, tf_minimum: float) -> np.ndarray:
    """Each record's rarity class (int8, -1 without the name) of its own first name or
    surname: the term-frequency adjustment an exact agreement on it is scored with (a surname
    by its rarest token, as :func:`matching.compare.term_frequencies` takes the rarest one
    two equal surnames share)."""
    # A file in which no record has the name at all has an empty vocabulary: nothing to index.
    if name == "first_name":
        given = np.append(rec.given_freq, np.nan)
        freq = np.where(rec.first >= 0, given[np.clip(rec.first, 0, None)], np.nan)
    else:
        tokens = rec.last_tokens
        share = np.append(rec.token_freq, np.inf)
        freq = np.where(tokens >= 0, share[np.clip(tokens, 0, None)], np.inf).min(axis=1)
        freq = np.where(np.isfinite(freq), freq, np.nan)
    with np.errstate(invalid="ignore"):
        return rarity_classes(np.log2(u_exact / np.maximum(freq, tf_minimum)))


def name_rarity(rec: Records, a: np.ndarray, levels: np.ndarray, u: list[np.ndarray],
                fields: tuple[str, ...], tf_minimum: float) -> np.ndarray:
    """Per pair and name field, the rarity class of the name where the two agree exactly
    (pairs × fields, int8, -1 elsewhere): EM weighs an exact agreement as scoring does, by
    the name's frequency (a near agreement at its level's average)."""
    out = np.full((len(a), len(fields)), -1, np.int8)
    for j, name in enumerate(fields):
        f = FIELD_INDEX[name]
        per_record = record_rarity(rec, name, float(u[f][-1]), tf_minimum)
        for s in range(0, len(a), CHUNK):
            sl = slice(s, s + CHUNK)
            out[sl, j] = np.where(levels[sl, f] == N_LEVELS[f] - 1, per_record[a[sl]], -1)
    return out


def _candidate_positions(rec: Records, cand: Candidates, a: np.ndarray, b: np.ndarray
                         ) -> np.ndarray:
    """Index of each pair (a, b) among the candidates, -1 if it is not one (the candidates
    are sorted by pair code, as :func:`matching.blocking.block` makes them)."""
    out = np.full(len(a), -1, dtype=np.int64)
    if len(cand) == 0 or len(a) == 0:
        return out
    first, second = np.minimum(a, b), np.maximum(a, b)
    lo = np.searchsorted(cand.a, first, side="left")
    hi = np.searchsorted(cand.a, first, side="right")
    for i in range(len(a)):  # a worker's decisions: a few thousand at most
        k = lo[i] + int(np.searchsorted(cand.b[lo[i]:hi[i]], second[i]))
        if k < hi[i] and cand.b[k] == second[i]:
            out[i] = k
    return out


@dataclass
class KnownPairs:
    """What an earlier run settled about records that have not changed since (incremental
    linking, :mod:`matching.incremental`), as record positions of this run."""

    a: np.ndarray             # its cross-source LINKS pairs between unchanged records
    b: np.ndarray
    log2_odds: np.ndarray     # their log2 odds before rivals, scored by this run
    person_a: np.ndarray      # edges joining the unchanged records of each earlier person
    person_b: np.ndarray
    review: pd.DataFrame      # its review rows between unchanged records, carried over
    basis: np.ndarray         # the basis of each of its pairs (a, b) where it was `match`,
                              # else "" (a review row)


PROVISIONAL_PROBABILITY = 0.5
"""Within-file pairs at least this likely (and not twins or siblings by the guard) make the
provisional persons whose records do not compete with each other (matching.compete)."""


@dataclass
class Decided:
    """The candidate pairs worth keeping (probability ≥ review threshold before rivals), their
    scores once rivals are counted, and their decisions."""

    a: np.ndarray
    b: np.ndarray
    scores: Scores
    decision: np.ndarray
    match_threshold: float
    competition: Competition
    cross_probability: np.ndarray
    """Probability after rivals of every cross-source candidate pair (for the expected
    errors and the threshold)."""
    cross_kept: np.ndarray
    """Position in ``cross_probability`` of each kept pair that is cross-source (-1 else)."""


def decide(rec: Records, cand: Candidates, levels: np.ndarray, model: Model,
           settings: MatchSettings, known: KnownPairs | None = None) -> Decided:
    """Score every candidate pair, weigh each cross-source pair against its records' rivals,
    choose the match threshold and classify the pairs that can still be `review` or `match`.

    ``known``: what an earlier run settled (incremental linking): its pairs count among the
    rivals, and its persons group their records."""
    kinds = pair_kinds(rec, cand.a, cand.b)
    log2_odds = np.empty(len(cand), dtype=np.float32)
    competition = Competition.empty(rec.n)
    if known is not None and len(known.a):
        competition.add(known.a, known.b, known.log2_odds)

    def part_log2_odds(s: int) -> np.ndarray:
        sl = slice(s, s + SCORE_PART)
        return score(rec, cand.a[sl], cand.b[sl], levels[sl], model, settings.tf_fields,
                     settings.tf_minimum).log2_odds

    # Parts of a chunk are scored on a thread per core; the chunks are counted among the
    # rivals in order, one after the other (the same sums, to the last bit, as one thread).
    parts = _in_order(part_log2_odds, range(0, len(cand), SCORE_PART))
    for s in range(0, len(cand), CHUNK):
        sl = slice(s, s + CHUNK)
        lo = np.concatenate([next(parts) for _ in range(s, min(s + CHUNK, len(cand)),
                                                        SCORE_PART)])
        log2_odds[sl] = lo
        cross_chunk = kinds[sl] == 0
        competition.add(cand.a[sl][cross_chunk], cand.b[sl][cross_chunk], lo[cross_chunk])
    parts.close()  # its threads end here
    cross = np.flatnonzero(kinds == 0)
    if len(cand) < 2**31:  # positions in four bytes: tens of millions of them statewide
        cross = cross.astype(np.int32)
    # The one-to-one prior where the files hold no families (matching.score.household_mates):
    # where they do, a record's brothers, sisters and namesake parents missing from the other
    # file look like its match far oftener than random pairs say, and on both
    # family-structured benchmarks (our generator, the independent model) the pairwise prior
    # was measured calibrated while the lift (0.86 bits there) made the uncertain pairs
    # without rivals overconfident by as much (bench/README.md).
    if not settings.households:
        competition.free_log2 = _one_to_one(rec, cand, cross, log2_odds, competition)
    # Probabilities chunk by chunk (no 8-byte array over every candidate pair). A cross pair
    # is kept if it can reach the review threshold once the one-to-one prior is added.
    lift = competition.free_log2
    within_parts, keep_parts = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for s in range(0, len(cand), CHUNK):
        sl = slice(s, s + CHUNK)
        raw = compete_probability(log2_odds[sl])
        # Without a lift (files with families) the same probabilities: not computed again.
        best = (compete_probability(log2_odds[sl] + lift * (kinds[sl] == 0)) if lift
                else raw)
        within_parts.append(np.flatnonzero((kinds[sl] != 0) & (raw >= PROVISIONAL_PROBABILITY))
                            + s)
        keep_parts.append(np.flatnonzero(best >= settings.review_probability) + s)
    within, keep = np.concatenate(within_parts), np.concatenate(keep_parts)
    # Each file's provisional persons: a child's two records of one file are not rivals.
    within = within[~sibling_guard(levels[within])]
    pa, pb = cand.a[within], cand.b[within]
    if known is not None:
        pa, pb = np.concatenate([pa, known.person_a]), np.concatenate([pb, known.person_b])
    provisional = provisional_persons(rec.n, pa, pb, settings.max_cluster_size)
    cross_probability = np.empty(len(cross), dtype=np.float32)
    for s in range(0, len(cross), CHUNK):
        part = cross[s:s + CHUNK]
        cross_probability[s:s + CHUNK] = compete_probability(competition.adjusted_log2_odds(
            cand.a[part], cand.b[part], log2_odds[part]))
    del log2_odds
    ka, kb = cand.a[keep].astype(np.int64), cand.b[keep].astype(np.int64)
    ks = score(rec, ka, kb, levels[keep], model, settings.tf_fields, settings.tf_minimum)
    kept_cross = kinds[keep] == 0
    adjusted = ks.log2_odds.copy()
    adjusted[kept_cross] = competition.adjusted_log2_odds(
        ka[kept_cross], kb[kept_cross], ks.log2_odds[kept_cross], provisional)
    ks = ks.with_rivals(adjusted)
    cross_kept = np.full(len(keep), -1, dtype=np.int64)
    cross_kept[kept_cross] = np.searchsorted(cross, keep[kept_cross].astype(cross.dtype))
    cross_probability[cross_kept[kept_cross]] = ks.probability[kept_cross]
    # Pairs the same-family guard keeps from `match` are missed at any threshold.
    held = np.zeros(len(cross_probability), dtype=bool)
    if settings.sibling_guard:
        guarded = kept_cross & ks.guarded(settings.min_person_weight, settings.households)
        held[cross_kept[guarded]] = True
    match_at = match_threshold(cross_probability[~held], settings.match_probability,
                               settings.match_rule, settings.match_precision,
                               settings.review_probability,
                               held_back=float(cross_probability[held].sum()))
    decision = classify(ks, match_at, settings.review_probability, settings.sibling_guard,
                        settings.min_person_weight, settings.households)
    return Decided(ka, kb, ks, decision, match_at, competition, cross_probability, cross_kept)


ONE_TO_ONE_ROUNDS = 8
"""At most this many rounds to the fixed point of the one-to-one prior and the share of
records matched under it (it moves by hundredths of a bit after two or three)."""


def _one_to_one(rec: Records, cand: Candidates, cross: np.ndarray, log2_odds: np.ndarray,
                competition: Competition) -> float:
    """log2 of the one-to-one prior (:func:`matching.compete.one_to_one_prior`) at its fixed
    point: the share of each file's records matched, under the prior that share gives."""
    free_log2 = 0.0
    for _ in range(ONE_TO_ONE_ROUNDS):
        competition.free_log2 = free_log2
        per_record = np.zeros(rec.n)
        for s in range(0, len(cross), CHUNK):
            part = cross[s:s + CHUNK]
            a, b = cand.a[part], cand.b[part]
            p = compete_probability(competition.adjusted_log2_odds(a, b, log2_odds[part]))
            per_record += np.bincount(a, weights=p, minlength=rec.n)
            per_record += np.bincount(b, weights=p, minlength=rec.n)
        per_record = per_record.clip(max=1.0)
        n_left, n_right = rec.n_left, rec.n - rec.n_left
        new = one_to_one_prior(float(per_record[:n_left].sum()) / max(n_left, 1),
                               float(per_record[n_left:].sum()) / max(n_right, 1),
                               n_left, n_right)
        if abs(new - free_log2) < 0.01:
            return new
        free_log2 = new
    return free_log2


def provisional_persons(n: int, a: np.ndarray, b: np.ndarray, max_size: int) -> np.ndarray:
    """Connected components of likely within-file pairs; a component too big to be one child
    (chained namesakes) is left as separate records."""
    labels = components(n, a, b)
    if n == 0:
        return labels
    size = np.bincount(labels)[labels]
    return np.where(size > max_size, np.arange(n) + labels.max() + 1, labels)


def _positions(rec: Records, frame: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
    """Clerical decisions as record positions (pairs naming unknown records are dropped)."""
    if frame is None or len(frame) == 0:
        empty = np.empty(0, np.int64)
        return empty, empty, np.empty(0, bool)
    la, rb = rec.pair_positions(frame["left_id"], frame["right_id"])
    ok = (la >= 0) & (rb >= 0)
    decision = frame["decision"].astype(str).str.lower().to_numpy()
    return la[ok], rb[ok], decision[ok] == "match"


def _codes(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    return np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b).astype(np.int64)


def _score_pairs(rec: Records, a: np.ndarray, b: np.ndarray, model: Model,
                 settings: MatchSettings) -> tuple[np.ndarray, Scores]:
    lv = compare(rec, a, b)
    return lv, score(rec, a, b, lv, model, settings.tf_fields, settings.tf_minimum)


def link(left: pd.DataFrame, right: pd.DataFrame, settings: MatchSettings | None = None,
         clerical: pd.DataFrame | None = None, progress: bool = False) -> MatchResult:
    """Link ``left`` (CalWORKs) to ``right`` (CWS) and deduplicate each side.

    Frames carry the person-record columns of contracts.md §1. ``clerical`` holds reviewed
    pairs (left_id, right_id, decision ∈ {match, non_match}) that override the model.
    """
    settings = settings or MatchSettings()
    stages = _Stages(progress, total=7)
    with stages.stage("standardise"):
        rec = prepare(left, right, settings)
    return link_records(rec, settings, clerical, progress, stages)


def prepare(left: pd.DataFrame, right: pd.DataFrame, settings: MatchSettings) -> Records:
    """The two files standardised (:func:`matching.standardise.standardise`): all the rest
    of a run needs. A caller holding large frames can let them go before
    :func:`link_records` (a statewide pair of files is over a gigabyte as read)."""
    return standardise(left, right, load_nicknames(settings.nicknames_path))


def link_records(rec: Records, settings: MatchSettings, clerical: pd.DataFrame | None = None,
                 progress: bool = False, stages: _Stages | None = None) -> MatchResult:
    """block → compare → estimate → score → classify → resolve → report on standardised
    records."""
    stages = stages or _Stages(progress, total=6)
    with stages.stage("block"):
        cand = block(rec, settings.passes, settings.max_block)
    with stages.stage("compare"):
        levels = compare_all(rec, cand.a, cand.b, progress)
    ca, cb, confirm = _positions(rec, clerical)
    with stages.stage("estimate"):
        model = fit(rec, cand, levels, settings, (ca, cb, confirm))
        settings = family_guard(settings, model)
    with stages.stage("score"):
        scored = decide(rec, cand, levels, model, settings)
        del levels  # the largest array of a run: gone before resolving
    # The candidates themselves are not needed again (the kept pairs are in ``scored``).
    count, by_pass, skipped = len(cand), cand.by_pass, cand.skipped
    del cand
    return finish(rec, count, by_pass, scored, model, settings, (ca, cb, confirm), stages,
                  skipped=skipped)


def family_guard(settings: MatchSettings, model: Model) -> MatchSettings:
    """The settings with ``households`` off where the model found no families in the files
    (:func:`matching.score.household_mates`): family evidence alone is then no reason to
    hold a pair back. Else as they are."""
    if model.household_mates is not None and model.household_mates < HOUSEHOLD_MIN:
        return replace(settings, households=False)
    return settings


def finish(rec: Records, candidate_pairs: int, blocking: dict[str, dict[str, int]],
           scored: Decided, model: Model, settings: MatchSettings,
           reviewed: tuple[np.ndarray, np.ndarray, np.ndarray], stages: _Stages,
           known: KnownPairs | None = None, *,
           skipped: dict[str, np.ndarray]) -> MatchResult:
    """Resolve the decided pairs into persons and report: LINKS rows, persons, statistics.
    ``known``: an earlier run's persons, kept (incremental linking). ``skipped``: the key
    values blocking skipped, by pass (:attr:`matching.blocking.Candidates.skipped`)."""
    ka, kb, ks, decision = scored.a, scored.b, scored.scores, scored.decision
    match_at = scored.match_threshold
    ca, cb, confirm = reviewed
    with stages.stage("resolve"):
        n = rec.n
        rejected = set(_codes(ca[~confirm], cb[~confirm], n).tolist())
        confirmed = set(_codes(ca[confirm], cb[confirm], n).tolist())
        kept_codes = _codes(ka, kb, n)
        is_rejected = np.isin(kept_codes, np.fromiter(rejected, np.int64, len(rejected)))
        edge = (decision == MATCH) & ~is_rejected
        # Strongest first when a cluster is rebuilt: the pair's own evidence less its rivals'.
        ea, eb, ew = ka[edge], kb[edge], (ks.weight - ks.rivals)[edge]
        ep = ks.probability[edge]
        # Confirmed pairs join the graph whatever their weight.
        if confirm.any():
            ea = np.concatenate([ea, ca[confirm]])
            eb = np.concatenate([eb, cb[confirm]])
            ew = np.concatenate([ew, np.full(int(confirm.sum()), np.inf)])
            ep = np.concatenate([ep, np.ones(int(confirm.sum()))])
        if known is not None and len(known.person_a):
            # An earlier run's persons hold together, as confirmed pairs do.
            ea = np.concatenate([ea, known.person_a])
            eb = np.concatenate([eb, known.person_b])
            ew = np.concatenate([ew, np.full(len(known.person_a), np.inf)])
            ep = np.concatenate([ep, np.ones(len(known.person_a))])
        if settings.one_to_one:
            cross_edge = rec.source[ea] != rec.source[eb]
            sel = one_to_one(ea, eb, ew, cross_edge)
            ea, eb, ew, ep = ea[sel], eb[sel], ew[sel], ep[sel]
        rejected_arr = np.fromiter(rejected, np.int64, len(rejected))
        confirmed_arr = np.fromiter(confirmed, np.int64, len(confirmed))

        def conflicts(pa: np.ndarray, pb: np.ndarray) -> np.ndarray:
            lv, sc = _score_pairs(rec, pa, pb, model, settings)
            codes = _codes(pa, pb, n)
            # Clear disagreement: a Bayes factor against, or unlikely even at the prior of a
            # cross-source pair. (Not at a within-file prior: where EM found few duplicates
            # that prior is tiny, and every duplicate two links bring together would clash.)
            cross_odds = np.log2(model.prior["cross"]) - np.log2(1 - model.prior["cross"])
            p_cross = compete_probability(sc.weight + cross_odds)
            clash = (p_cross < settings.coherence_probability) | (sc.weight < 0)
            if settings.sibling_guard:
                clash |= sibling_guard(lv)
            clash |= np.isin(codes, rejected_arr)
            return clash & ~np.isin(codes, confirmed_arr)

        resolution = resolve(n, ea, eb, ew, conflicts, settings.max_cluster_size)
        labels = resolution.labels
    with stages.stage("report"):
        links, match_codes, carried = _links(rec, labels, scored, model, settings,
                                             rejected_arr, confirmed_arr, is_rejected, known)
        persons = pd.DataFrame({
            "person_key": labels,
            "source": np.where(rec.source == 0, "left", "right"),
            "record_id": rec.record_id,
        })
        left_persons = pd.Series(labels[: rec.n_left], index=rec.record_id[: rec.n_left],
                                 name="person_key")
        right_persons = pd.Series(labels[rec.n_left:], index=rec.record_id[rec.n_left:],
                                  name="person_key")
        stats = match_stats(rec, labels)
        unlinked = np.concatenate([_unlinked_probability(rec, scored, match_codes), carried])
        cross = scored.cross_kept >= 0
        # The passes that made pairs in this run (a loose pass over its budget made none).
        used = tuple(p for p in settings.passes
                     if "over_budget_pairs" not in blocking.get(p.name, {}))
        unblocked = unblocked_matches(rec, used, skipped, scored.a[cross], scored.b[cross],
                                      scored.scores.probability[cross])
        stats.update(error_estimates(links, unlinked, unblocked["expected_missed_unblocked"],
                                     _match_row_probability(rec, links, labels, ea, eb, ep)))
        stats.update(unblocked)
        stats["match_threshold"] = match_at
        # log2 of the one-to-one prior's lift over the pairwise prior (matching.compete).
        stats["one_to_one_prior_log2"] = round(scored.competition.free_log2, 4)
        stats["household_mates_per_record"] = model.household_mates
        # Fields whose m is EM's starting guess: the probabilities, and so the error
        # estimate above, rest on it (the independent model's files show it).
        stats["m_not_estimated"] = [FIELD_NAMES[f] for f in model.m_guessed]
        stats["households"] = settings.households
        stats["review_threshold"] = settings.review_probability
        stats["candidate_pairs"] = candidate_pairs
        stats["clusters_split_for_coherence"] = resolution.split_components
        stats["clerical_confirmed"] = int(confirm.sum())
        stats["clerical_rejected"] = int((~confirm).sum())
        stats["clerical_agreement"] = _clerical_agreement(rec, ca, cb, confirm, scored, model,
                                                          settings)
    stages.close()
    parameters = {
        "model": model.to_dict(FIELD_NAMES, tuple(f.levels for f in FIELDS)),
        "thresholds": {"match_probability": match_at,
                       "review_probability": settings.review_probability,
                       "sibling_guard": settings.sibling_guard},
        "blocking_passes": [{"name": p.name, "keys": list(p.keys),
                             "only_if_missing": p.only_if_missing} for p in settings.passes],
        "settings": settings.to_dict(),
    }
    return MatchResult(links=links, left_persons=left_persons, right_persons=right_persons,
                       persons=persons, stats=stats, parameters=parameters,
                       timings=stages.timings, blocking=blocking, model=model)


def _links(rec: Records, labels: np.ndarray, scored: Decided, model: Model,
           settings: MatchSettings, rejected: np.ndarray, confirmed: np.ndarray,
           is_rejected: np.ndarray, known: KnownPairs | None = None
           ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """LINKS rows: every cross-source pair of a resolved person (`match`), then the review
    pairs left between different persons. Also the pair codes of the `match` rows and the
    probabilities of the earlier run's review rows carried over."""
    n = rec.n
    ka, kb, ks, decision = scored.a, scored.b, scored.scores, scored.decision
    # Records of persons present on both sides.
    lab_left = np.unique(labels[: rec.n_left])
    lab_right = np.unique(labels[rec.n_left:])
    both = np.intersect1d(lab_left, lab_right)
    members = np.flatnonzero(np.isin(labels, both))
    pa, pb = internal_pairs(labels, members)
    cross = rec.source[pa] != rec.source[pb]
    pa, pb = pa[cross], pb[cross]
    left_pos, right_pos = np.minimum(pa, pb), np.maximum(pa, pb)
    _, ms = _score_pairs(rec, left_pos, right_pos, model, settings)
    # Rivals of a resolved person's pair: candidates of other persons.
    ms = ms.with_rivals(scored.competition.adjusted_log2_odds(left_pos, right_pos,
                                                               ms.log2_odds, labels))
    codes = _codes(left_pos, right_pos, n)
    direct = np.isin(codes, _codes(ka[decision == MATCH], kb[decision == MATCH], n))
    basis = np.where(np.isin(codes, confirmed), "clerical", np.where(direct, "model", "cluster"))
    if known is not None and len(known.a):
        # A pair the earlier run linked keeps the basis it had then.
        earlier = pd.Series(known.basis, index=_codes(known.a, known.b, n))
        earlier = earlier[earlier != ""]
        then = earlier.reindex(codes).to_numpy()
        carry = (basis == "cluster") & pd.notna(then)
        basis = np.where(carry, then, basis)
    match_frame = _frame(rec, left_pos, right_pos, ms, np.full(len(pa), "match"), basis)

    review = ((decision >= REVIEW) & (rec.source[ka] != rec.source[kb])
              & (labels[ka] != labels[kb]) & ~is_rejected)
    rs = ks.subset(review)
    held = rs.probability >= scored.match_threshold
    basis = np.where(held & rs.sibling, "sibling_guard",
                     np.where(held & rs.guarded(settings.min_person_weight, settings.households),
                              "person_evidence", "model"))
    review_frame = _frame(rec, ka[review], kb[review], rs,
                          np.full(int(review.sum()), DECISIONS[REVIEW]), basis)
    frames = [match_frame, review_frame]
    carried = np.empty(0)
    if known is not None and len(known.review):
        # An earlier run's review rows between unchanged records, still between two persons.
        la, rb = rec.pair_positions(known.review["left_id"], known.review["right_id"])
        still = (labels[la] != labels[rb]) & ~np.isin(_codes(la, rb, n), rejected)
        frames.append(known.review[still].reindex(columns=match_frame.columns))
        carried = known.review.loc[still, "match_probability"].to_numpy(float)
    out = pd.concat(frames, ignore_index=True)
    return (out.sort_values(["decision", "match_probability", "left_id", "right_id"],
                            ascending=[True, False, True, True], kind="stable",
                            ignore_index=True), codes, carried)


def _clerical_agreement(rec: Records, ca: np.ndarray, cb: np.ndarray, confirm: np.ndarray,
                        scored: Decided, model: Model, settings: MatchSettings
                        ) -> dict[str, Any]:
    """How the model's own probabilities compare with the workers' decisions on the pairs
    they reviewed: a check of its calibration that needs no truth file. (The decisions
    override the model whatever it says.)"""
    if len(ca) == 0:
        return {"pairs": 0}
    _, sc = _score_pairs(rec, ca, cb, model, settings)
    p = compete_probability(scored.competition.adjusted_log2_odds(ca, cb, sc.log2_odds))
    would_match = p >= scored.match_threshold
    return {"pairs": len(ca), "confirmed": int(confirm.sum()),
            "model_expected_confirmed": round(float(p.sum()), 2),
            "model_agreed": int((would_match == confirm).sum())}


def _match_row_probability(rec: Records, links: pd.DataFrame, labels: np.ndarray,
                           ea: np.ndarray, eb: np.ndarray, ep: np.ndarray) -> np.ndarray:
    """The probability that each `match` row of ``links`` is right: its own, or for a
    cluster's pair (joined through other records, often one with a date missing or another
    address, so weak on its own comparison) that of its strongest chain of links if higher
    (:func:`matching.report.chain_probability`; ``ea``, ``eb``, ``ep``: the links the
    persons were resolved from, with their probabilities)."""
    match = links[links["decision"] == "match"]
    p = match["match_probability"].to_numpy(np.float64).copy()
    cluster = (match["basis"] == "cluster").to_numpy()
    if cluster.any():
        la, rb = rec.pair_positions(match["left_id"][cluster], match["right_id"][cluster])
        chain = chain_probability(labels, ea, eb, ep, la, rb)
        p[cluster] = np.maximum(p[cluster], chain)
    return p


def _unlinked_probability(rec: Records, scored: Decided, match_codes: np.ndarray
                          ) -> np.ndarray:
    """Probabilities of the cross-source candidate pairs that are not `match` rows (given by
    their pair codes): each is a true match missed with that probability."""
    kept = np.flatnonzero(scored.cross_kept >= 0)
    linked = np.isin(_codes(scored.a[kept], scored.b[kept], rec.n), match_codes)
    unlinked = np.ones(len(scored.cross_probability), dtype=bool)
    unlinked[scored.cross_kept[kept[linked]]] = False
    return scored.cross_probability[unlinked]


def _frame(rec: Records, a: np.ndarray, b: np.ndarray, s: Scores, decision: np.ndarray,
           basis: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({
        "left_id": rec.record_id[a],
        "right_id": rec.record_id[b],
        "match_probability": np.round(s.probability, 6),
        "match_weight": np.round(s.weight, 4),
        "decision": decision,
        "basis": basis,
        # log2 of (1 + the odds of the records' other candidates): what the pair's rivals
        # take off its log2 odds, less the one-to-one prior's lift (matching.compete).
        "rivals": np.round(s.rivals, 4),
    })
    for i, col in enumerate(CONTRIBUTION_COLUMNS):
        frame[col] = np.round(s.contributions[:, i].astype(np.float64), 4)
    return frame


def explain(left: pd.DataFrame, right: pd.DataFrame, left_id: str, right_id: str,
            settings: MatchSettings | None = None, model: Model | None = None,
            match_threshold: float | None = None) -> dict[str, Any]:
    """The field-by-field contributions to one pair's match weight (its waterfall), and the
    rivals that lower its probability: the records' other candidates.

    Without ``model`` the model is fitted on the two files exactly as ``link`` fits it;
    ``match_threshold`` is the run's (else chosen again as ``link`` chooses it). The
    probability is the one the pair was decided on; a `match` row of LINKS.csv counts the
    rivals of the resolved persons, which can differ slightly."""
    settings = settings or MatchSettings()
    if match_threshold is not None:
        settings = replace(settings, match_probability=match_threshold)
    rec = standardise(left, right, load_nicknames(settings.nicknames_path))
    la = np.flatnonzero(rec.record_id[: rec.n_left] == str(left_id))
    rb = np.flatnonzero(rec.record_id[rec.n_left:] == str(right_id))
    if len(la) == 0 or len(rb) == 0:
        missing = left_id if len(la) == 0 else right_id
        side = "left" if len(la) == 0 else "right"
        raise KeyError(f"record_id {missing} is not in the {side} file")
    cand = block(rec, settings.passes, settings.max_block)
    levels = compare_all(rec, cand.a, cand.b)
    if model is None:
        model = fit(rec, cand, levels, settings)
    if model.household_mates is None:  # a model from before it was measured
        model = replace(model, household_mates=household_mates(
            levels, pair_kinds(rec, cand.a, cand.b), rec.n))
    settings = family_guard(settings, model)
    scored = decide(rec, cand, levels, model, settings)
    a = la[:1].astype(np.int64)
    b = (rb[:1] + rec.n_left).astype(np.int64)
    lv, sc = _score_pairs(rec, a, b, model, settings)
    here = np.flatnonzero((scored.a == a[0]) & (scored.b == b[0]))
    if len(here):
        sc = sc.with_rivals(sc.log2_odds - scored.scores.rivals[here[:1]])
    else:  # not a candidate, or too weak to keep: its rivals as if it were a lone pair
        sc = sc.with_rivals(scored.competition.adjusted_log2_odds(a, b, sc.log2_odds))
    rows = []
    bucket = int(surname_bucket(lv)[0])
    weights = model.weights(bucket=bucket)
    u = model.u_for(bucket)
    for i, spec in enumerate(FIELDS):
        level = int(lv[0, i])
        base = float(weights[i][level]) if level >= 0 else 0.0
        total = float(sc.contributions[0, i])
        rows.append({"field": spec.name,
                     "level": spec.levels[level] if level >= 0 else "missing (neutral)",
                     "m": float(model.m[i][level]) if level >= 0 else None,
                     "u": float(u[i][level]) if level >= 0 else None,
                     "weight": base, "tf_adjustment": total - base, "contribution": total})
    prior = model.prior["cross"]
    guarded = bool(sc.guarded(settings.min_person_weight, settings.households)[0])
    verdict = DECISIONS[int(classify(sc, scored.match_threshold, settings.review_probability,
                                     settings.sibling_guard, settings.min_person_weight,
                                     settings.households)[0])]
    return {"left_id": str(left_id), "right_id": str(right_id), "fields": rows,
            "prior_weight": float(np.log2(prior / (1 - prior))),
            "match_weight": float(sc.weight[0]), "rivals": float(sc.rivals[0]),
            "one_to_one_prior": float(scored.competition.free_log2),
            "rival_pairs": _rival_pairs(rec, scored, int(a[0]), int(b[0])),
            "match_probability": float(sc.probability[0]),
            "match_threshold": scored.match_threshold,
            "sibling_guard": bool(sc.sibling[0]), "held_back": guarded,
            "person_weight": float(sc.person[0]), "decision": verdict}


def _rival_pairs(rec: Records, scored: Decided, a: int, b: int, top: int = 5
                 ) -> list[dict[str, Any]]:
    """The strongest other candidates of either record (cross-source pairs kept for review
    or better), by their probability before rivals."""
    sel = np.flatnonzero((scored.cross_kept >= 0) & ((scored.a == a) ^ (scored.b == b)))
    alone = compete_probability(scored.scores.log2_odds[sel])
    order = np.argsort(-alone, kind="stable")[:top]
    return [{"left_id": str(rec.record_id[scored.a[sel[i]]]),
             "right_id": str(rec.record_id[scored.b[sel[i]]]),
             "probability_alone": float(alone[i]),
             "match_probability": float(scored.scores.probability[sel[i]])} for i in order]
