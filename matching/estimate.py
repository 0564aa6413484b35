"""Estimate: Fellegi-Sunter m and u probabilities without labels.

u (how often two different people agree at each level) is counted on random record pairs;
m (how often the same person does) and the prior λ are fitted by expectation-maximisation on
the candidate pairs. EM runs over the distinct comparison patterns with their counts, not over
pairs, so it costs milliseconds whatever the number of pairs. A missing value contributes to
neither class (it is neutral). λ is estimated separately for each kind of pair (cross-source,
within left, within right): duplicates are much rarer than links, but a person's records agree
the same way whichever files they come from, so m is shared.

Fields are not independent among non-matches: two children who share a surname are far more
likely than two random children to have mothers with that surname too (22% against 0.7% on
the statewide synthetic files), first names that go with it, and homes in the same county.
Counting each agreement as if independent made namesake families look certain. So u has a
second table, measured on random pairs that share a surname token, used for every other field
whenever the pair's surnames share one (:func:`surname_bucket`).

Some fields also move together within a pair: a child's two records that name a different
parent usually differ on both the parent's first and last name (a grandmother heads the
CalWORKs case), and a family that moved differs on address, zip and often county at once. For
such groups of fields (``matching.compare.DEPENDENT_GROUPS``) m and u of their joint levels are
measured too, and the weight of a pair is corrected by how far the joint level departs from
the product of its fields' (:meth:`Model.dependence`). Sparse joint cells are shrunk towards
independence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PAIR_KINDS = ("cross", "left", "right")
FLOOR = 1e-7
M_FLOOR = 1e-3
CONFIDENT = np.log(20.0)
"""Odds above which a pair counts as a match when m is estimated (20:1)."""
FAMILY_CONFIDENT = np.log(1000.0)
"""The same for the family's fields (surname, parents, home), whose m is judged by the child's
own fields: a family field seldom differs between a child's records (the surname in 1 pair in
1,000 on the independent files), so the few namesakes that 20:1 admits (a common first name,
one birth date and sex) would outnumber the true pairs that differ; at 1000:1 they are all
but gone, and statewide there are still hundreds of thousands of pairs to count."""
JOINT_SHRINK = 200.0
"""Pseudo-pairs of the independence model added to each joint table (sparse cells stay near
independence)."""
SURNAME_FIELD = 1
"""Index of the child's surname among the compared fields (see ``matching.compare``)."""
SURNAME_SHARED = 3
"""Surname levels from this one up share a surname token (``a surname in common``, exact)."""
MIN_CONFIDENT = 30
"""Pairs' worth below which the confident pairs do not estimate a field's m: a person field's
from its fellow person fields alone, or any field's at all (:func:`anchored_em`)."""
RARITY_STEP = 2.0
RARITY_OFFSET = 3
"""A name's term-frequency adjustment is kept in a pattern as its class, in steps of
RARITY_STEP bits from −6 to +22: bits / RARITY_STEP + RARITY_OFFSET (:func:`rarity_classes`;
a finer step multiplies the patterns EM goes over, for no change in the links)."""
PATTERN_CHUNK = 2_000_000
"""Pairs whose agreement patterns are packed and counted at once (:func:`patterns`)."""
FIRST_FIELD, DOB_FIELD = 0, 2
"""Indexes of the child's first name and date of birth among the compared fields."""
SURNAME_EXACT, DOB_EXACT = 4, 6
TWIN_FIRST_LEVELS = (0, 1)
"""First-name levels (different, similar) at which a pair with the same surname and birth date
may be twins (:meth:`Model.twin_correction`)."""


def twin_pattern(levels: np.ndarray) -> np.ndarray:
    """Pairs that may be twins: the same surname and birth date, another first name (a
    level of ``TWIN_FIRST_LEVELS``)."""
    return ((levels[:, SURNAME_FIELD] == SURNAME_EXACT) & (levels[:, DOB_FIELD] == DOB_EXACT)
            & np.isin(levels[:, FIRST_FIELD], TWIN_FIRST_LEVELS))


def surname_bucket(levels: np.ndarray) -> np.ndarray:
    """1 where the pair's surnames share a token (u then comes from the same-surname table),
    else 0."""
    return (levels[:, SURNAME_FIELD] >= SURNAME_SHARED).astype(np.int8)


@dataclass
class Model:
    m: list[np.ndarray]
    """m per field for cross-source pairs (the links); ``m_kinds`` has all three kinds."""
    u: list[np.ndarray]
    prior: dict[str, float]
    iterations: int = 0
    converged: bool = False
    passes_used: list[str] | None = None
    u_same_surname: list[np.ndarray] | None = None
    """u among non-matching pairs whose surnames share a token (None: same as ``u``)."""
    groups: tuple[tuple[int, ...], ...] = ()
    """Dependent groups of fields (indexes) whose joint levels are modelled."""
    m_joint: list[list[np.ndarray]] | None = None
    """m of each group's joint level, per kind of pair: ``m_joint[kind][group]``."""
    u_joint: list[list[np.ndarray]] | None = None
    """u of each group's joint level, per surname bucket: ``u_joint[bucket][group]``."""
    never_for: tuple[tuple[int, int], ...] = ()
    """(field, level) whose weight is capped at 0 (``matching.compare.NEVER_FOR``)."""
    household_mates: float | None = None
    """Upper bound (95%) of the household-mates per record seen within the files (pairs of
    one file with a surname and a home or mother in common and different first names):
    below ``matching.score.HOUSEHOLD_MIN`` the files hold no families to guard against.
    None: not measured (a model from before it was)."""
    m_kinds: list[list[np.ndarray]] | None = None
    """m per kind of pair (cross, left, right). Family fields differ by kind: a CalWORKs
    child's two records (two cases) usually name different case heads at one address, while
    a child's CalWORKs and CWS records usually name the same mother at different addresses."""

    m_guessed: tuple[int, ...] = ()
    """Fields present in the candidate pairs whose m EM could never estimate (no pair was
    confident enough by the fields that judge it): their m is the starting guess, and the
    probabilities, and the run's own error estimate, rest on that guess."""

    twin_u: np.ndarray | None = None
    """Per kind of pair and first-name level of ``TWIN_FIRST_LEVELS``: the chance that two
    random records are twins, or siblings with one's birth date in the other's place (the
    same surname and birth date, another first name), beyond the chance of namesakes born
    the same day. Measured on the pairs within each file (:func:`twin_rates`). None: no
    correction (a model from before it was measured)."""

    def m_for(self, kind: int) -> list[np.ndarray]:
        return self.m_kinds[kind] if self.m_kinds else self.m

    def u_for(self, bucket: int) -> list[np.ndarray]:
        """u of every field in a surname bucket; the surname's own u is never conditional."""
        if bucket == 0 or self.u_same_surname is None:
            return self.u
        return [u if f == SURNAME_FIELD else c
                for f, (u, c) in enumerate(zip(self.u, self.u_same_surname, strict=True))]

    def weight_table(self) -> np.ndarray:
        """log2(m/u) as an array (kind, surname bucket, field, level), padded with 0."""
        width = max(len(x) for x in self.u)
        table = np.zeros((len(PAIR_KINDS), 2, len(self.u), width))
        for k in range(len(PAIR_KINDS)):
            for bucket in (0, 1):
                for f, (m, u) in enumerate(zip(self.m_for(k), self.u_for(bucket), strict=True)):
                    table[k, bucket, f, : len(m)] = np.log2(m / u)
        for f, level in self.never_for:
            table[:, :, f, level] = np.minimum(table[:, :, f, level], 0.0)
        return table

    def posterior(self, levels: np.ndarray, kinds: np.ndarray) -> np.ndarray:
        """Match probability of each comparison vector (missing levels neutral)."""
        prior = np.array([self.prior[k] for k in PAIR_KINDS])
        log_odds = (np.log(prior) - np.log1p(-prior))[kinds]
        table = self.weight_table() * np.log(2.0)
        bucket = surname_bucket(levels)
        for f in range(levels.shape[1]):
            col = levels[:, f]
            present = col >= 0
            log_odds[present] += table[kinds[present], bucket[present], f, col[present]]
        return 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))

    def dependence(self, levels: np.ndarray, kinds: np.ndarray, bucket: np.ndarray
                   ) -> np.ndarray:
        """log2 correction of each group (pairs × groups): log2(m_joint/∏m) − log2(u_joint/∏u)
        where all the group's fields are present, else 0."""
        out = np.zeros((len(levels), len(self.groups)))
        if not self.groups or self.m_joint is None or self.u_joint is None:
            return out
        sizes = tuple(len(x) for x in self.u)
        for g, fields in enumerate(self.groups):
            codes = joint_codes(levels, fields, sizes)
            ok = codes >= 0
            table = np.zeros((len(PAIR_KINDS), 2, len(self.m_joint[0][g])))
            for k in range(len(PAIR_KINDS)):
                m_ind = independent([self.m_for(k)[f] for f in fields])
                for b in (0, 1):
                    u_ind = independent([self.u_for(b)[f] for f in fields])
                    table[k, b] = (np.log2(self.m_joint[k][g] / m_ind)
                                   - np.log2(self.u_joint[b][g] / u_ind))
            out[ok, g] = table[kinds[ok], bucket[ok], codes[ok]]
        return out

    def twin_correction(self, levels: np.ndarray, kinds: np.ndarray, surname_tf: np.ndarray
                        ) -> np.ndarray:
        """log2 correction of each pair's weight where the surnames and birth dates agree
        exactly and the first names differ. Among non-matches such a pair is a twin far more
        often than the fields' u say when the surname is rare, and less often when it is
        common: the same-surname u of the birth date is an average over every shared
        surname, most of them common. The pattern's u is taken as namesakes born the same day
        by chance (the surname's frequency ``surname_tf`` times the plain u of the birth date
        and first name) plus the twins, ``twin_u``, in place of the product of the
        same-surname u."""
        out = np.zeros(len(levels))
        if self.twin_u is None or not self.twin_u.any():
            return out
        rows = np.flatnonzero(twin_pattern(levels))
        if len(rows) == 0:
            return out
        same = self.u_for(1)
        level = levels[rows, FIRST_FIELD]
        tf = surname_tf[rows]
        product = tf * same[DOB_FIELD][DOB_EXACT] * same[FIRST_FIELD][level]
        chance = tf * self.u[DOB_FIELD][DOB_EXACT] * self.u[FIRST_FIELD][level]
        out[rows] = np.log2(product) - np.log2(chance + self.twin_u[kinds[rows], level])
        return out

    def weights(self, kind: int = 0, bucket: int = 0) -> list[np.ndarray]:
        table = self.weight_table()[kind, bucket]
        return [table[f, : len(u)] for f, u in enumerate(self.u)]

    def to_dict(self, field_names: tuple[str, ...], level_names: tuple[tuple[str, ...], ...]
                ) -> dict[str, object]:
        fields = {}
        u_same = self.u_for(1)
        for f, (name, levels) in enumerate(zip(field_names, level_names, strict=True)):
            u = self.u[f]
            rows = []
            for i in range(len(levels)):
                row = {"level": i, "label": levels[i], "m": float(self.m[f][i]),
                       "u": float(u[i]), "u_same_surname": float(u_same[f][i]),
                       "weight": float(np.log2(self.m[f][i] / u[i]))}
                for k, kind in enumerate(PAIR_KINDS[1:], start=1):
                    row[f"m_{kind}"] = float(self.m_for(k)[f][i])
                rows.append(row)
            fields[name] = rows
        groups = []
        if self.m_joint is not None and self.u_joint is not None:
            groups = [{"fields": [field_names[f] for f in fields],
                       "m_joint": {kind: self.m_joint[k][g].tolist()
                                   for k, kind in enumerate(PAIR_KINDS)},
                       "u_joint": {bucket: self.u_joint[b][g].tolist()
                                   for b, bucket in enumerate(("any", "same_surname"))}}
                      for g, fields in enumerate(self.groups)]
        return {"fields": fields, "prior": self.prior, "em_iterations": self.iterations,
                "never_for": [[field_names[f], level] for f, level in self.never_for],
                "em_converged": self.converged, "m_from_passes": self.passes_used,
                "m_not_estimated": [field_names[f] for f in self.m_guessed],
                "dependent_groups": groups, "household_mates": self.household_mates,
                "twin_u": None if self.twin_u is None else self.twin_u.tolist()}

    @classmethod
    def from_dict(cls, data: dict[str, object], field_names: tuple[str, ...]) -> Model:
        fields = data["fields"]
        assert isinstance(fields, dict)
        # A field compared since the model was saved weighs nothing in it (m = u).
        neutral = [{"level": i, "m": 0.5, "u": 0.5} for i in range(2)]
        fields = {name: fields.get(name, neutral) for name in field_names}
        m = [np.array([lv["m"] for lv in fields[f]]) for f in field_names]
        u = [np.array([lv["u"] for lv in fields[f]]) for f in field_names]
        u_same = [np.array([lv.get("u_same_surname", lv["u"]) for lv in fields[f]])
                  for f in field_names]
        m_kinds = [m] + [[np.array([lv.get(f"m_{kind}", lv["m"]) for lv in fields[f]])
                          for f in field_names] for kind in PAIR_KINDS[1:]]
        prior = data["prior"]
        assert isinstance(prior, dict)
        groups = data.get("dependent_groups") or []
        assert isinstance(groups, list)
        index = {name: f for f, name in enumerate(field_names)}
        never_for = data.get("never_for") or []
        assert isinstance(never_for, list)
        guessed = data.get("m_not_estimated") or []
        assert isinstance(guessed, list)
        return cls(m, u, {k: float(v) for k, v in prior.items()}, u_same_surname=u_same,
                   m_kinds=m_kinds, m_guessed=tuple(index[name] for name in guessed),
                   never_for=tuple((index[name], int(level)) for name, level in never_for),
                   household_mates=(None if data.get("household_mates") is None
                                    else float(data["household_mates"])),
                   twin_u=(None if data.get("twin_u") is None
                           else np.asarray(data["twin_u"], dtype=np.float64)),
                   groups=tuple(tuple(index[name] for name in g["fields"]) for g in groups),
                   m_joint=[[np.array(g["m_joint"][kind]) for g in groups]
                            for kind in PAIR_KINDS] if groups else None,
                   u_joint=[[np.array(g["u_joint"][bucket]) for g in groups]
                            for bucket in ("any", "same_surname")] if groups else None)


def joint_codes(levels: np.ndarray, fields: tuple[int, ...], n_levels: tuple[int, ...]
                ) -> np.ndarray:
    """The joint level of a group of fields as one code (row-major over the fields' levels),
    -1 where any of them is missing."""
    code = np.zeros(len(levels), np.int64)
    ok = np.ones(len(levels), bool)
    for f in fields:
        col = levels[:, f].astype(np.int64)
        ok &= col >= 0
        code = code * n_levels[f] + np.clip(col, 0, None)
    return np.where(ok, code, -1)


def independent(tables: list[np.ndarray]) -> np.ndarray:
    """The joint distribution of independent fields, flattened as :func:`joint_codes` codes."""
    out = np.ones(1)
    for t in tables:
        out = np.outer(out, t).reshape(-1)
    return out


def joint_shares(codes: np.ndarray, weights: np.ndarray, prior: np.ndarray,
                 strength: float = JOINT_SHRINK) -> np.ndarray:
    """Joint level shares from (weighted) counts, shrunk towards ``prior`` by ``strength``
    pseudo-counts."""
    ok = codes >= 0
    counts = np.bincount(codes[ok], weights=weights[ok], minlength=len(prior))
    shares = (counts + strength * prior) / (counts.sum() + strength)
    return np.maximum(shares, FLOOR)


def level_shares(levels: np.ndarray, n_levels: tuple[int, ...],
                 weights: np.ndarray | None = None) -> list[np.ndarray]:
    """Share of each level among non-missing values (each pair counted with its weight),
    smoothed so no level is zero."""
    out = []
    for f, size in enumerate(n_levels):
        col = levels[:, f]
        present = col >= 0
        w = None if weights is None else weights[present]
        counts = np.bincount(col[present], weights=w, minlength=size)[:size].astype(np.float64)
        out.append(np.maximum((counts + 0.5) / (counts.sum() + 0.5 * size), FLOOR))
    return out


def one_hot(levels: np.ndarray, n_levels: tuple[int, ...]) -> list[np.ndarray]:
    """Per field, a (rows × levels) indicator of each row's level (all zero where missing)."""
    out = []
    for f, size in enumerate(n_levels):
        col = levels[:, f]
        present = col >= 0
        hot = np.zeros((len(levels), size))
        hot[np.flatnonzero(present), col[present]] = 1.0
        out.append(hot)
    return out


def _initial_m(size: int) -> np.ndarray:
    # Matches mostly agree exactly: the top level gets most of the mass.
    raw = np.linspace(0.05, 1.0, size) ** 3
    raw[-1] = raw.sum() * 4
    return raw / raw.sum()


def _pack(levels: np.ndarray, kinds: np.ndarray, extra: np.ndarray | None = None
          ) -> np.ndarray:
    """Each (kind, comparison vector, extra columns) as one int64: 4 bits per column, values
    shifted by one so that missing is 0."""
    code = kinds.astype(np.int64)
    columns = [levels] if extra is None else [levels, extra]
    for block in columns:
        for f in range(block.shape[1]):
            code = (code << 4) | (block[:, f].astype(np.int64) + 1)
    return code


def rarity_classes(bonus_bits: np.ndarray) -> np.ndarray:
    """The class (int8) of each pair's term-frequency adjustment of a name, ``log2(u / tf)``
    in bits: −1 where none applies (the names do not agree)."""
    out = np.full(len(bonus_bits), -1, np.int8)
    ok = ~np.isnan(bonus_bits)
    out[ok] = np.clip(np.rint(bonus_bits[ok] / RARITY_STEP) + RARITY_OFFSET, 0, 14)
    return out


def rarity_bits(classes: np.ndarray) -> np.ndarray:
    """The adjustment in bits a rarity class stands for (0 where none applies)."""
    return np.where(classes >= 0, (classes.astype(np.float64) - RARITY_OFFSET) * RARITY_STEP,
                    0.0)


def patterns(levels: np.ndarray, kinds: np.ndarray,
             exclude: tuple[np.ndarray, ...] | None = None,
             extra: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (kind, comparison vector) rows and their counts, so tens of millions of pairs
    reduce with one ``np.unique``. ``extra``: more small-integer columns per pair (the names'
    rarity classes), returned after the fields. ``exclude``: the levels and kinds (and extra
    columns) of pairs among them to take out of the counts (pairs a worker has reviewed)."""
    n_columns = levels.shape[1] + (0 if extra is None else extra.shape[1])
    # Chunk by chunk, then merged: the packed codes of every pair at once would be 8 bytes a
    # pair, and sorting them as many again (half a gigabyte at a time statewide).
    found, tallies = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
    for s in range(0, len(levels), PATTERN_CHUNK):
        sl = slice(s, s + PATTERN_CHUNK)
        chunk, tally = np.unique(_pack(levels[sl], kinds[sl],
                                       None if extra is None else extra[sl]),
                                 return_counts=True)
        found.append(chunk)
        tallies.append(tally)
    uniques, where = np.unique(np.concatenate(found), return_inverse=True)
    counts = np.bincount(where, weights=np.concatenate(tallies).astype(np.float64),
                         minlength=len(uniques))
    if exclude is not None and len(exclude[0]) and len(uniques):
        codes = _pack(*exclude)
        pos = np.searchsorted(uniques, codes).clip(max=len(uniques) - 1)
        hit = uniques[pos] == codes
        np.subtract.at(counts, pos[hit], 1.0)
    out = np.empty((len(uniques), n_columns), dtype=np.int8)
    rest = uniques.copy()
    for f in range(n_columns - 1, -1, -1):
        out[:, f] = (rest & 0xF) - 1
        rest >>= 4
    return out, rest.astype(np.int8), counts


def expectation_maximisation(levels: np.ndarray, kinds: np.ndarray, counts: np.ndarray,
                             u: list[np.ndarray], n_levels: tuple[int, ...],
                             max_iterations: int = 200, tolerance: float = 1e-6,
                             m_start: list[np.ndarray] | None = None, fix_m: bool = False,
                             fit_u: bool = False) -> Model:
    """Fit m and the per-kind prior with u held fixed (levels: patterns × fields);
    with ``fix_m`` only the priors are fitted."""
    m = [x.copy() for x in m_start] if m_start else [_initial_m(s) for s in n_levels]
    n_kinds = len(PAIR_KINDS)
    prior = np.full(n_kinds, 0.05)
    log_u = np.zeros(len(levels))
    onehots = one_hot(levels, n_levels)
    for f in range(len(n_levels)):
        log_u += onehots[f] @ np.log(u[f])
    kind_totals = np.bincount(kinds, weights=counts, minlength=n_kinds)
    iteration = 0
    converged = False
    for iteration in range(1, max_iterations + 1):  # noqa: B007
        log_m = np.zeros(len(levels))
        for f in range(len(n_levels)):
            log_m += onehots[f] @ np.log(m[f])
        lam = prior[kinds]
        log_odds = np.log(lam) - np.log1p(-lam) + log_m - log_u
        g = 1.0 / (1.0 + np.exp(-np.clip(log_odds, -700, 700)))
        wg = g * counts
        new_m = []
        for f in range(len(n_levels)):
            num = wg @ onehots[f]
            total = num.sum()
            new_m.append(np.maximum(num / total, FLOOR) if total > 0 else m[f])
        new_prior = np.bincount(kinds, weights=wg, minlength=n_kinds)
        new_prior = np.where(kind_totals > 0, new_prior / np.maximum(kind_totals, 1e-300),
                             prior)
        new_prior = np.clip(new_prior, 1e-9, 1 - 1e-9)
        change = max(max(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)),
                     float(np.abs(new_prior - prior).max()))
        if fix_m:
            new_m = m
        if fit_u:
            wn = (1.0 - g) * counts
            new_u = []
            for f in range(len(n_levels)):
                num = wn @ onehots[f]
                total = num.sum()
                new_u.append(np.maximum(num / total, FLOOR) if total > 0 else u[f])
            u = [x / x.sum() for x in new_u]
            log_u = np.zeros(len(levels))
            for f in range(len(n_levels)):
                log_u += onehots[f] @ np.log(u[f])
        m, prior = [x / x.sum() for x in new_m], new_prior
        if change < tolerance:
            converged = True
            break
    return Model(m=m, u=u, prior={k: float(prior[i]) for i, k in enumerate(PAIR_KINDS)},
                 iterations=iteration, converged=converged)


def anchored_em(levels: np.ndarray, kinds: np.ndarray, counts: np.ndarray,
                u: list[np.ndarray], n_levels: tuple[int, ...], person: list[int],
                pair_totals: np.ndarray, max_iterations: int = 200, tolerance: float = 1e-6,
                extra_evidence: dict[int, list[int]] | None = None,
                u_same_surname: list[np.ndarray] | None = None,
                groups: tuple[tuple[int, ...], ...] = (),
                reviewed: tuple[np.ndarray, np.ndarray] | None = None,
                never_for: tuple[tuple[int, int], ...] = (),
                rarity: np.ndarray | None = None, rarity_fields: tuple[int, ...] = (),
                start: Model | None = None, twin_u: np.ndarray | None = None) -> Model:
    """EM in which no field votes for its own m and only the child's own identifiers vote.

    ``levels``: distinct comparison patterns of the candidate pairs (patterns × fields) with
    their pair ``kinds`` and ``counts``; ``u`` from random record pairs (``u_same_surname``
    from random pairs sharing a surname token, used where the surnames share one);
    ``pair_totals``: the
    number of possible record pairs of each kind (left × right, and n(n-1)/2 within a file).

    The prior is the chance that two *random* records match (matches found ÷ all possible
    pairs), the frame in which random-pair u is right: agreeing on a birth date is strong
    evidence whether or not the pair was blocked on it. Pairs outside the candidates are taken
    as non-matches (the blocking recall, measured with truth data, says how nearly).

    The m of a person field (``person``) is its level distribution among the candidate pairs
    whose *other* person fields give odds of at least 20:1 (a field does not confirm its own
    estimate; ``extra_evidence`` adds fields to one field's evidence: the surname tells apart
    two namesakes born the same day when the SSN's m is estimated). Where the other person
    fields cannot give those odds to even ``MIN_CONFIDENT`` pairs (no SSN on both sides), the
    child's surname joins them. The m of a family field (surname, parents, address, zip,
    county) is taken among the pairs whose person fields give odds of 1000:1
    (``FAMILY_CONFIDENT``), and so is the m of each dependent group's joint level
    (``groups``). Plain EM over all fields finds families
    rather than children: siblings agree on every family field, and a mixture model happily
    calls that cluster the matches. Membership of the confident pairs is hard (20:1): with
    soft weights over every candidate the long tail of weakly similar non-matches, thousands
    of pairs at a few percent each, swamps the disagreement levels. Within them each pair
    counts as far as its own level, added to the evidence, says match (the E step there).
    The priors (per kind of pair) are the expected matches from the person fields.

    ``rarity``: per pattern, the rarity class (:func:`rarity_classes`) of each name in
    ``rarity_fields`` where the names agree: the evidence a name gives is weighed as when
    pairs are scored, by how common the name is (twenty children named MARIA GARCIA born on
    one day are no surprise in a statewide file; two named YATNIANN COLEMAN are).

    ``twin_u``: the twins' share of non-matches agreeing on surname and birth date
    (:attr:`Model.twin_u`), counted against the first name's level as when pairs are scored:
    else twins with a rare surname, confident by the birth date and surname, teach the first
    name's m that a match often has another first name.

    ``start``: a model of the same pairs to start from (its m and priors) rather than EM's
    guess: the second fit, with the same-surname u, converges in a few iterations.

    ``reviewed``: the comparison levels and kinds of pairs a worker confirmed as one child
    (left out of ``levels``): each counts as a match for every field's m, and for the
    priors, whatever its evidence. (Pairs a worker rejected are simply left out.)
    """
    n_fields = len(n_levels)
    m = [_initial_m(s) for s in n_levels]
    kind_candidates = np.bincount(kinds, weights=counts, minlength=len(PAIR_KINDS))
    totals = np.maximum(np.asarray(pair_totals, dtype=np.float64), 1.0)
    prior = np.clip(0.1 * kind_candidates / totals, 1e-12, 0.5)
    onehots = one_hot(levels, n_levels)
    # Person fields whose fellow person fields are mostly missing (files without SSN or sex):
    # too thin to judge a pair alone, so every other field judges them.
    present = levels >= 0
    thin = set()
    for f in person:
        others = present[:, [g for g in person if g != f]].sum(axis=1)
        if float(((others >= 2) * counts).sum()) < 0.5 * float(counts.sum()):
            thin.add(f)
    n_kinds = len(PAIR_KINDS)
    # m per kind: person fields shared by all kinds, family fields each kind its own.
    mk = [[x.copy() for x in m] for _ in range(n_kinds)]
    if start is not None:
        mk = [[x.copy() for x in start.m_for(k)] for k in range(n_kinds)]
        prior = np.array([start.prior[k] for k in PAIR_KINDS])
    kind_rows = [kinds == k for k in range(n_kinds)]
    confirmed_hot: list[np.ndarray] = []
    confirmed_kinds = np.zeros(0, np.int8)
    if reviewed is not None and len(reviewed[0]):
        confirmed_hot = one_hot(reviewed[0], n_levels)
        confirmed_kinds = reviewed[1]
    confirmed_found = np.bincount(confirmed_kinds, minlength=n_kinds).astype(np.float64)
    conditional = Model(m=m, u=u, prior={}, u_same_surname=u_same_surname, twin_u=twin_u)
    bucket = surname_bucket(levels).astype(bool)
    surname_tf = np.full(len(levels), u[SURNAME_FIELD][-1])
    if rarity is not None and SURNAME_FIELD in rarity_fields:
        surname_tf = surname_tf * 2.0 ** -rarity_bits(rarity[:, rarity_fields.index(SURNAME_FIELD)])
    twin_log = conditional.twin_correction(levels, kinds, surname_tf) * np.log(2.0)
    log_u_plain = [onehots[f] @ np.log(u[f]) for f in range(n_fields)]
    log_u = [np.where(bucket, onehots[f] @ np.log(conditional.u_for(1)[f]), log_u_plain[f])
             for f in range(n_fields)]
    iteration, converged = 0, False
    estimated: set[int] = set()
    with_surname: set[int] = set()
    # log m of each pattern's level, gathered (the one-hot product's value, without a
    # patterns × levels product per field and iteration); 0 where the level is missing.
    level_at = [np.maximum(levels[:, f], 0) for f in range(n_fields)]
    for iteration in range(1, max_iterations + 1):  # noqa: B007
        log_ratio = []
        for f in range(n_fields):
            per_kind = np.stack([np.log(mk[k][f]) for k in range(n_kinds)])
            log_m = np.where(present[:, f], per_kind[kinds, level_at[f]], 0.0)
            log_ratio.append(log_m - log_u[f])
        if rarity is not None:
            for j, f in enumerate(rarity_fields):
                log_ratio[f] = log_ratio[f] + rarity_bits(rarity[:, j]) * np.log(2.0)
        log_ratio[FIRST_FIELD] = log_ratio[FIRST_FIELD] + twin_log
        for f, level in never_for:  # never evidence for a match, here as when scoring
            log_ratio[f] = np.where(levels[:, f] == level, np.minimum(log_ratio[f], 0.0),
                                    log_ratio[f])
        person_sum = np.sum([log_ratio[f] for f in person], axis=0)
        all_sum = np.sum(log_ratio, axis=0)
        # Evidence that leaves the surname out must not use the same-surname u of the other
        # fields either: that u holds back exactly the pairs whose surnames agree, most true
        # pairs (a field never votes for its own m, and the surname is judged by these too).
        to_plain = [np.where(bucket, log_u[f] - log_u_plain[f], 0.0) for f in range(n_fields)]
        person_plain = person_sum + np.sum([to_plain[f] for f in person], axis=0)
        base = np.log(prior[kinds]) - np.log1p(-prior[kinds])
        new_mk = [[None] * n_fields for _ in range(n_kinds)]
        for f in range(n_fields):
            # A person field is judged by the other person fields (by every other field when
            # those are thin); a family field by the person fields only (else siblings, who
            # share the family, would vouch for each other).
            if f in person and f in thin:
                evidence = all_sum - log_ratio[f]
            elif f in person and f in with_surname:
                evidence = person_sum - log_ratio[f] + log_ratio[SURNAME_FIELD]
            elif f in person:
                evidence = person_plain - log_ratio[f] - to_plain[f]
            else:
                evidence = person_plain
            for extra in (extra_evidence or {}).get(f, []):
                evidence = evidence + log_ratio[extra]
            # Classification step: a pair counts towards m when its evidence says match (see
            # the docstring on hard membership).
            confident = (CONFIDENT if f in person and f not in with_surname
                         else FAMILY_CONFIDENT)
            g = (base + evidence > confident).astype(np.float64) * counts
            if f in person and f not in thin | with_surname and g.sum() < MIN_CONFIDENT:
                # The fellow person fields cannot vouch for a pair on their own (no SSN on
                # both sides: a birth date, sex and middle initial among millions of possible
                # pairs): the child's surname joins them from now on, with the same-surname u
                # of the others. Not the family's fields, which a sibling shares; a twin
                # still differs on the middle name and the first name.
                with_surname.add(f)
                evidence = person_sum - log_ratio[f] + log_ratio[SURNAME_FIELD]
                g = (base + evidence > FAMILY_CONFIDENT).astype(np.float64) * counts
            # Among the confident pairs, the few non-matches the evidence still admits (1 in
            # 20 at the threshold) would outnumber the true pairs that disagree on a field the
            # truth rarely changes (namesakes born the same day against children whose
            # surname was changed): each pair counts as far as its own level, added to the
            # evidence, says match (the E step, within the confident pairs only).
            own = log_ratio[f] if f in thin | with_surname else log_ratio[f] + to_plain[f]
            g *= 1.0 / (1.0 + np.exp(-np.clip(base + evidence + own, -700, 700)))
            extra = confirmed_hot[f].sum(axis=0) if confirmed_hot else 0.0
            counted = g @ onehots[f] + extra
            # Too few pairs' worth (a field only duplicates within one file have, in files
            # without duplicates): not an estimate; m stays as it was.
            pooled = _shares(counted, n_levels[f]) if counted.sum() >= MIN_CONFIDENT else None
            if pooled is not None:
                estimated.add(f)
            for k in range(n_kinds):
                if f in person or pooled is None:
                    new_mk[k][f] = pooled if pooled is not None else mk[k][f]
                    continue
                own = g * kind_rows[k]
                own_extra = (confirmed_hot[f][confirmed_kinds == k].sum(axis=0)
                             if confirmed_hot else 0.0)
                # A kind with too few confident pairs borrows the pooled estimate.
                shares = (_shares(own @ onehots[f] + own_extra, n_levels[f])
                          if own.sum() + (confirmed_kinds == k).sum() >= 30 else None)
                new_mk[k][f] = shares if shares is not None else pooled
        g_all = 1.0 / (1.0 + np.exp(-np.clip(base + person_sum, -700, 700)))
        found = np.bincount(kinds, weights=g_all * counts, minlength=n_kinds) + confirmed_found
        new_prior = np.clip(found / totals, 1e-12, 0.5)
        change = max(max(float(np.abs(a - b).max())
                         for k in range(n_kinds) for a, b in zip(new_mk[k], mk[k], strict=True)),
                     float(np.abs(np.log(new_prior) - np.log(prior)).max()) * 1e-3)
        mk, prior = new_mk, new_prior
        if change < tolerance:
            converged = True
            break
    m_joint = None
    if groups:
        g = (np.log(prior[kinds]) - np.log1p(-prior[kinds])
             + np.sum([log_ratio[f] for f in person], axis=0) > FAMILY_CONFIDENT) * counts
        m_joint = [[] for _ in range(n_kinds)]
        # Confirmed pairs join the confident ones, each with weight 1.
        all_levels, all_kinds = levels, kinds
        if confirmed_hot:
            all_levels = np.concatenate([levels, reviewed[0]])
            all_kinds = np.concatenate([kinds, confirmed_kinds]).astype(kinds.dtype)
            g = np.concatenate([g, np.ones(len(confirmed_kinds))])
        for fields in groups:
            codes = joint_codes(all_levels, fields, n_levels)
            pooled_prior = independent([mk[0][f] for f in fields])
            pooled = joint_shares(codes, g, pooled_prior)
            for k in range(n_kinds):
                own = g * (all_kinds == k)
                enough = own[codes >= 0].sum() >= 30
                m_joint[k].append(joint_shares(codes, own, independent(
                    [mk[k][f] for f in fields])) if enough else pooled)
    return Model(m=mk[0], u=u, prior={k: float(prior[i]) for i, k in enumerate(PAIR_KINDS)},
                 iterations=iteration, converged=converged, m_kinds=mk,
                 u_same_surname=u_same_surname, groups=tuple(groups), m_joint=m_joint,
                 never_for=tuple(never_for), twin_u=twin_u,
                 m_guessed=tuple(f for f in range(n_fields)
                                 if f not in estimated and bool((present[:, f] * counts).any())))


def _shares(num: np.ndarray, size: int) -> np.ndarray | None:
    """Level shares from weighted counts; None when nothing was counted."""
    total = num.sum()
    if total <= 0:
        return None
    shares = (num + 0.01) / (total + 0.01 * size)
    # No level is impossible for a true match: a floor keeps one disagreement from
    # outweighing everything else (about 10 bits at most against a common level).
    shares = np.maximum(shares, M_FLOOR)
    return shares / shares.sum()
