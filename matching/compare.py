"""Compare: a comparison level per field for each candidate pair.

Levels are small integers, higher = closer agreement, ``-1`` = a value missing on either side
(neutral). String similarity is computed once per distinct pair of values (rapidfuzz
``cpdist`` over the unique code pairs) and mapped back to the record pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import ratio, token_sort_ratio

from matching.standardise import (
    MAX_TOKENS,
    MISSING,
    Records,
    Vocabulary,
    decimal_nibbles,
    differing_nibbles,
    digits_differ,
)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    levels: tuple[str, ...]  # level names, index = level


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("first_name", ("different",
                             "similar (JW>=0.85, one edit, or two in a name of 5 letters)",
                             "very similar (JW>=0.92), or a misspelt nickname or middle name",
                             "nickname, sound-alike or first/middle swap", "exact")),
    FieldSpec("last_name", ("different", "similar (JW>=0.88, or two edits in 5 letters)",
                            "very similar or sound-alike",
                            "a surname in common", "exact")),
    FieldSpec("dob", ("16 years or more apart (another person's date)", "different",
                      "same year", "same year, one side an estimated 1 January",
                      "one digit, a few days or one year off", "day and month transposed",
                      "exact")),
    FieldSpec("ssn", ("different", "one digit or adjacent swap", "exact")),
    FieldSpec("sex", ("different", "same")),
    FieldSpec("county", ("different", "same")),
    FieldSpec("zip", ("different", "one digit off or two digits swapped", "same")),
    FieldSpec("address", ("different", "similar", "exact")),
    FieldSpec("parent_first_name", ("different", "similar (JW>=0.90)",
                                    "nickname or sound-alike", "exact")),
    FieldSpec("parent_last_name", ("different", "similar (JW>=0.90)", "a surname in common",
                                   "exact, and the child's surname on both records", "exact")),
    FieldSpec("middle_name", ("different initial", "same initial")),
    FieldSpec("surname_parent", ("the child's surname is not the other's parent's",
                                 "the child's surname is the other's parent's")),
)
FIELD_NAMES = tuple(f.name for f in FIELDS)
FIELD_INDEX = {f.name: i for i, f in enumerate(FIELDS)}
DEPENDENT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("parent_first_name", "parent_last_name"),
    ("county", "zip", "address"),
)
"""Fields that agree or disagree together (the same parent recorded or not; the family moved
or not): their joint levels are modelled (``matching.estimate``)."""

DOB_DECADES = 0
DOB_APART_YEARS = 16
"""Dates of birth this many years apart or more: among children's records that is rarely
another child and often another person's date (a parent's, keyed into the child's record).
Its weight is never counted for a match, and it counts against one less than a plain
disagreement (level 1)."""
NEVER_FOR = ((FIELD_INDEX["dob"], DOB_DECADES),)
"""(field, level) whose weight is capped at 0: errors of a kind that say nothing for a match."""

FIRST_ALIAS = 3
FIRST_WEAK = 1
PARENT_SURNAME_ECHO = 3
"""The parent's surname agrees but is the child's own surname on both records: among
namesake children that is common (mother and child share the family surname), so it is told
apart from an agreement on a surname of the parent's own."""


def _unique_pairs(ca: np.ndarray, cb: np.ndarray, size: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = ca.astype(np.int64) * size + cb.astype(np.int64)
    inverse, uniques = pd.factorize(keys)
    return (uniques // size).astype(np.int64), (uniques % size).astype(np.int64), inverse


def similarity(vocab: Vocabulary, ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """Jaro-Winkler similarity of code pairs (both >= 0), computed once per distinct pair."""
    if len(ca) == 0:
        return np.empty(0, np.float32)
    ua, ub, inverse = _unique_pairs(ca, cb, len(vocab))
    scores = process.cpdist(vocab.values[ua], vocab.values[ub],
                            scorer=JaroWinkler.normalized_similarity, workers=-1,
                            dtype=np.float32)
    return np.asarray(scores, dtype=np.float32)[inverse]


ADDRESS_SIMILAR = 0.85
ADDRESS_SIMILAR_PERCENT = 85
"""Address similarity from which two different lines are ``similar`` (as a share, and in
rapidfuzz's percent)."""


def _address_similar(vocab: Vocabulary, ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """Whether two different address lines are similar: by the better of two similarities,
    words in any order (APT 4 1200 MAIN ST), and the line as typed, which survives a space
    lost or gained inside a word (PORTEOUSJCRESCENT)."""
    if len(ca) == 0:
        return np.empty(0, bool)
    ua, ub, inverse = _unique_pairs(ca, cb, len(vocab))
    similar = np.zeros(len(ua), bool)
    # Only whether a pair reaches ADDRESS_SIMILAR matters. Both similarities are
    # 1 − (insertions and deletions) / (both lengths), and an edit must insert or delete
    # every character one line has more of than the other (words sorted keep their
    # characters: standardised lines have single spaces): a pair whose characters in common
    # cannot reach it is not similar (more than 99% of the candidate pairs, two families'
    # homes), and is never handed to rapidfuzz.
    counts = vocab.char_counts
    common = np.minimum(counts[ua], counts[ub]).sum(axis=1, dtype=np.int64)
    total = vocab.lengths[ua].astype(np.int64) + vocab.lengths[ub]
    maybe = np.flatnonzero(200 * common >= ADDRESS_SIMILAR_PERCENT * total)
    if len(maybe) == 0:
        return similar[inverse]
    a, b = vocab.values[ua[maybe]], vocab.values[ub[maybe]]
    # Scores under a cutoff below the threshold come back as 0 (rapidfuzz may stop early);
    # from it up they are exact. Word order is tried only where the line as typed fails.
    cutoff = ADDRESS_SIMILAR_PERCENT - 5
    close = np.asarray(process.cpdist(a, b, scorer=ratio, workers=-1, dtype=np.float32,
                                      score_cutoff=cutoff)) / 100.0 >= ADDRESS_SIMILAR
    rest = np.flatnonzero(~close)
    if len(rest):
        any_order = process.cpdist(a[rest], b[rest], scorer=token_sort_ratio, workers=-1,
                                   dtype=np.float32, score_cutoff=cutoff)
        close[rest] = np.asarray(any_order) / 100.0 >= ADDRESS_SIMILAR
    similar[maybe] = close
    return similar[inverse]


def _both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a >= 0) & (b >= 0)


def _given_level(rec: Records, ga: np.ndarray, gb: np.ndarray, ta: np.ndarray, tb: np.ndarray,
                 ma: np.ndarray | None, mb: np.ndarray | None, top: int) -> np.ndarray:
    """Levels for a given name; ``top`` is the exact level (alias = top-1, etc.)."""
    level = np.full(len(ga), MISSING, dtype=np.int8)
    ok = _both(ga, gb)
    level[ok] = 0
    idx = np.flatnonzero(ok)
    a, b = ga[idx], gb[idx]
    exact = a == b
    phon = rec.given_phonetic
    alias = rec.nicknames.equivalent(a, b, len(rec.given)) | (phon[a] == phon[b])
    ta_, tb_ = ta[idx], tb[idx]
    # JUAN vs JUAN CARLOS: the first word of one is the whole name of the other.
    alias |= ((ta_ == b) | (tb_ == a)) & _both(ta_, tb_)
    alias |= rec.nicknames.equivalent(ta_, tb_, len(rec.given)) & ((ta_ == a) | (tb_ == b))
    if ma is not None and mb is not None:
        mid_a, mid_b = ma[idx], mb[idx]
        alias |= ((ta_ == mid_b) & (mid_b >= 0)) | ((mid_a == tb_) & (mid_a >= 0))
    if ma is not None and mb is not None:
        # A swap whose other name is a nickname: SEBASTIAN / EDUARDO SEBAS.
        alias |= (rec.nicknames.equivalent(ta_, mid_b, len(rec.given))
                  | rec.nicknames.equivalent(mid_a, tb_, len(rec.given)))
    rest = ~exact & ~alias
    jw = np.zeros(len(idx), np.float32)
    if rest.any():
        jw[rest] = similarity(rec.given, a[rest], b[rest])
    lv = np.zeros(len(idx), np.int8)
    if top == 4:
        lv[jw >= 0.85] = 1
        far = rest & (jw < 0.85)
        lv[far] = _within_edits(rec.given, a[far], b[far], CLOSE_GIVEN)
        lv[jw >= 0.92] = 2
        loose = np.flatnonzero(rest & (jw < 0.92))
        if len(loose):
            near = _near_nickname(rec, a[loose], b[loose])
            if ma is not None and mb is not None:
                near |= _near_middle(rec, ta_[loose], tb_[loose], mid_a[loose], mid_b[loose])
            lv[loose[near]] = 2
    else:
        lv[jw >= 0.90] = 1
    lv[alias] = top - 1
    lv[exact] = top
    level[idx] = lv
    return level


def _one_edit(vocab: Vocabulary, ca: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """One insertion, deletion, substitution or adjacent swap apart (NIA / NIW: short names
    fall under the Jaro-Winkler bands), for names of three letters or more."""
    return _within_edits(vocab, ca, cb, ((3, 1),))


def _within_edits(vocab: Vocabulary, ca: np.ndarray, cb: np.ndarray,
                  allowed: tuple[tuple[int, int], ...]) -> np.ndarray:
    """Few enough insertions, deletions, substitutions or adjacent swaps apart (OSA):
    ``allowed`` gives (shortest name, edits), the most edits whose length both names reach
    (one OSA pass over the distinct pairs, whatever the number of rules)."""
    if len(ca) == 0:
        return np.zeros(0, bool)
    ua, ub, inverse = _unique_pairs(ca, cb, len(vocab))
    lengths = vocab.lengths
    shorter = np.minimum(lengths[ua], lengths[ub])
    edits = np.full(len(ua), -1, np.int64)
    for min_length, n in sorted(allowed):
        edits[shorter >= min_length] = n
    # Only names of similar length can be that close: the rest need no distance.
    ok = (edits >= 0) & (np.abs(lengths[ua] - lengths[ub]) <= edits)
    out = np.zeros(len(ua), bool)
    if ok.any():
        dist = process.cpdist(vocab.values[ua[ok]], vocab.values[ub[ok]], scorer=OSA.distance,
                              workers=-1, score_cutoff=int(edits[ok].max()))
        out[ok] = np.asarray(dist) <= edits[ok]
    return out[inverse]


TWO_EDITS_LENGTH = 5
"""Names of this many letters or more two edits apart are similar: an OCR'd or mistyped name
often has two letters wrong (CHELSEY / CBELSEV, WALKER / WA1KFR), and two children's names of
that length seldom are so close."""
CLOSE_GIVEN = ((3, 1), (TWO_EDITS_LENGTH, 2))
CLOSE_SURNAME = ((TWO_EDITS_LENGTH, 2),)


def _near_nickname(rec: Records, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A misspelt nickname: one name is very similar (JW >= 0.92, or one edit apart) to a
    nickname of the other (JOSEPH / JOYE for JOEY; JESUS / CUY for CHUY)."""
    size = len(rec.given)
    ua, ub, inverse = _unique_pairs(a, b, size)
    lengths = rec.given.lengths
    initial = rec.given.initials
    hit = np.zeros(len(ua), bool)
    for own, other in ((ua, ub), (ub, ua)):
        pos, eq = rec.nicknames.expand(own, size)
        target = other[pos]
        # Very similar names share a first letter or a length: no need to compare the rest.
        keep = (eq != target) & ((initial[eq] == initial[target])
                                 | (lengths[eq] == lengths[target]))
        pos, eq, target = pos[keep], eq[keep], target[keep]
        if len(pos) == 0:
            continue
        close = (similarity(rec.given, eq, target) >= 0.92) | _one_edit(rec.given, eq, target)
        hit[pos[close]] = True
    return hit[inverse]


def _near_middle(rec: Records, ta: np.ndarray, tb: np.ndarray, mid_a: np.ndarray,
                 mid_b: np.ndarray) -> np.ndarray:
    """First and middle names swapped, with a typo: LUIS BENJAMIN / BENJAMN."""
    hit = np.zeros(len(ta), bool)
    for first, middle in ((ta, mid_b), (tb, mid_a)):
        ok = np.flatnonzero(_both(first, middle))
        if len(ok):
            hit[ok] |= similarity(rec.given, first[ok], middle[ok]) >= 0.92
    return hit


def _surname_level(rec: Records, fa: np.ndarray, fb: np.ndarray, ta: np.ndarray,
                   tb: np.ndarray, child: bool) -> np.ndarray:
    level = np.full(len(fa), MISSING, dtype=np.int8)
    ok = _both(fa, fb)
    level[ok] = 0
    idx = np.flatnonzero(ok)
    ta, tb = ta[idx], tb[idx]
    exact = fa[idx] == fb[idx]
    shared = exact.copy()
    for k in range(MAX_TOKENS):
        for m in range(MAX_TOKENS):
            x, y = ta[:, k], tb[:, m]
            shared |= (x == y) & (x >= 0)
    # Similarity only where no token is shared (most pairs share one or are exact).
    fuzzy_rows = np.flatnonzero(~shared)
    best = np.zeros(len(idx), np.float32)
    if len(fuzzy_rows):
        fta, ftb = ta[fuzzy_rows], tb[fuzzy_rows]
        fbest = np.zeros(len(fuzzy_rows), np.float32)
        for k in range(MAX_TOKENS):
            for m in range(MAX_TOKENS):
                x, y = fta[:, k], ftb[:, m]
                both = _both(x, y)
                if both.any():
                    sim = np.zeros(len(fuzzy_rows), np.float32)
                    sim[both] = similarity(rec.tokens, x[both], y[both])
                    fbest = np.maximum(fbest, sim)
        # The whole surnames as well: a misread letter may split a name or join two.
        wa, wb = fa[idx[fuzzy_rows]], fb[idx[fuzzy_rows]]
        whole = _both(wa, wb)
        if whole.any():
            fbest[whole] = np.maximum(fbest[whole],
                                      similarity(rec.surnames, wa[whole], wb[whole]))
        best[fuzzy_rows] = fbest
    lv = np.zeros(len(idx), np.int8)
    if child:
        # Two misread letters leave a long surname under the Jaro-Winkler band.
        far = fuzzy_rows[best[fuzzy_rows] < 0.88]
        if len(far):
            lv[far] = _within_edits(rec.surnames, fa[idx[far]], fb[idx[far]], CLOSE_SURNAME)
        lv[best >= 0.88] = 1
        lv[best >= 0.94] = 2
        lv[shared] = 3
        lv[exact] = 4
    else:
        lv[best >= 0.90] = 1
        lv[shared] = 2
        lv[exact] = 3
    level[idx] = lv
    return level


def _dob_level(da: np.ndarray, db: np.ndarray, digits_a: np.ndarray | None = None,
               digits_b: np.ndarray | None = None) -> np.ndarray:
    """Levels of two birth dates (YYYYMMDD, 0 missing); ``digits_a``/``digits_b``: the same
    dates as :func:`matching.standardise.decimal_nibbles` codes, if already made."""
    level = np.full(len(da), MISSING, dtype=np.int8)
    ok = (da > 0) & (db > 0)
    a, b = da[ok].astype(np.int64), db[ok].astype(np.int64)
    if digits_a is None or digits_b is None:
        digits_a, digits_b = decimal_nibbles(da, 8), decimal_nibbles(db, 8)
    one_digit = digits_differ(digits_a[ok], digits_b[ok]) == 1
    ya, yb = a // 10000, b // 10000
    ma, mb = (a // 100) % 100, (b // 100) % 100
    dda, ddb = a % 100, b % 100
    lv = np.ones(len(a), np.int8)
    lv[np.abs(ya - yb) >= DOB_APART_YEARS] = DOB_DECADES
    lv[ya == yb] = 2
    # An unknown birth date is often entered as 1 January of the known year.
    jan1 = ((a % 10000) == 101) | ((b % 10000) == 101)
    lv[(ya == yb) & jan1] = 3
    # Days apart, approximately (31-day months): a date keyed a day or two off.
    days = np.abs((ya * 372 + ma * 31 + dda) - (yb * 372 + mb * 31 + ddb))
    lv[one_digit | ((np.abs(ya - yb) == 1) & (ma == mb) & (dda == ddb))
       | (days <= 3)] = 4
    lv[(ya == yb) & (ma == ddb) & (dda == mb) & (ma != dda)] = 5
    lv[a == b] = 6
    level[ok] = lv
    return level


def _digits_level(xa: np.ndarray, xb: np.ndarray) -> np.ndarray:
    """Numbers as :func:`matching.standardise.decimal_nibbles` codes (-1 missing): 2 equal,
    1 one digit off or two adjacent digits swapped, 0 otherwise, -1 missing (SSNs, zip
    codes)."""
    level = np.full(len(xa), MISSING, dtype=np.int8)
    ok = (xa >= 0) & (xb >= 0)
    a, b = xa[ok], xb[ok]
    spread = differing_nibbles(a, b)
    ndiff = np.bitwise_count(spread)
    lv = np.zeros(len(a), np.int8)
    # Two adjacent digits transposed: exactly two neighbouring digits differ, each equal to
    # the other's.
    two = np.flatnonzero(ndiff == 2)
    low = spread[two] & -spread[two]  # the lower differing digit's lowest bit
    shift = np.bitwise_count(low - 1).astype(np.int64)  # 4 × its position
    ta, tb = a[two], b[two]
    swap = ((spread[two] == low * 0x11)
            & (((ta >> shift) & 0xF) == ((tb >> (shift + 4)) & 0xF))
            & (((ta >> (shift + 4)) & 0xF) == ((tb >> shift) & 0xF)))
    lv[ndiff == 1] = 1
    lv[two[swap]] = 1
    lv[ndiff == 0] = 2
    level[ok] = lv
    return level


def _equal_level(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    level = np.full(len(a), MISSING, dtype=np.int8)
    ok = _both(a, b)
    level[ok] = (a[ok] == b[ok]).astype(np.int8)
    return level


def _swapped_names(rec: Records, a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """First and last names entered in each other's fields (SHEPHERD SYBELLA): both names
    agree, only their places differ (or one agrees and the other is misspelt)."""
    fa, fb = rec.first_token[a], rec.first_token[b]
    ok = np.flatnonzero(_both(fa, fb) & (out[:, 0] < FIRST_ALIAS) & (out[:, 1] < 3))
    if len(ok) == 0:
        return
    ta = rec.given_as_token[fa[ok]]
    tb = rec.given_as_token[fb[ok]]
    toks_a, toks_b = rec.last_tokens[a[ok]], rec.last_tokens[b[ok]]
    a_in_b = ((toks_b == ta[:, None]) & (ta[:, None] >= 0)).any(axis=1)
    b_in_a = ((toks_a == tb[:, None]) & (tb[:, None] >= 0)).any(axis=1)
    hit = ok[a_in_b & b_in_a]
    out[hit, 0] = FIRST_ALIAS
    out[hit, 1] = 3
    # Swapped, and one of the two names misspelt (HANNAH MIHAL / MIHAL HANNSH): one name
    # agrees across the fields, the other is very similar across them.
    one = a_in_b ^ b_in_a
    if not one.any():
        return
    rows = np.flatnonzero(one)
    given = np.where(a_in_b[rows], fb[ok][rows], fa[ok][rows])
    surname = np.where(a_in_b[rows], toks_a[rows, 0], toks_b[rows, 0])
    present = surname >= 0
    rows, given, surname = rows[present], given[present], surname[present]
    if len(rows) == 0:
        return
    sim = process.cpdist(rec.given.values[given], rec.tokens.values[surname],
                         scorer=JaroWinkler.normalized_similarity, workers=-1)
    near = ok[rows[np.asarray(sim) >= 0.88]]
    out[near, 0] = np.maximum(out[near, 0], 2)
    out[near, 1] = np.maximum(out[near, 1], 2)


def compare(rec: Records, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Comparison levels, an int8 array (pairs × fields) in the order of :data:`FIELDS`."""
    out = np.empty((len(a), len(FIELDS)), dtype=np.int8)
    out[:, 0] = _given_level(rec, rec.first[a], rec.first[b], rec.first_token[a],
                             rec.first_token[b], rec.middle[a], rec.middle[b], top=4)
    out[:, 1] = _surname_level(rec, rec.last[a], rec.last[b], rec.last_tokens[a],
                               rec.last_tokens[b], child=True)
    _swapped_names(rec, a, b, out)
    out[:, 2] = _dob_level(rec.dob[a], rec.dob[b], rec.dob_digits[a], rec.dob_digits[b])
    out[:, 3] = _digits_level(rec.ssn_digits[a], rec.ssn_digits[b])
    out[:, 4] = _equal_level(rec.sex[a], rec.sex[b])
    out[:, 5] = _equal_level(rec.county[a], rec.county[b])
    out[:, 6] = _digits_level(rec.zip_digits[a], rec.zip_digits[b])
    addr = np.full(len(a), MISSING, np.int8)
    xa, xb = rec.address[a], rec.address[b]
    ok = np.flatnonzero(_both(xa, xb))
    same = xa[ok] == xb[ok]
    lv = np.where(same, 2, 0).astype(np.int8)
    if (~same).any():
        lv[~same] = _address_similar(rec.addresses, xa[ok][~same], xb[ok][~same])
    addr[ok] = lv
    out[:, 7] = addr
    out[:, 8] = _given_level(rec, rec.parent_first[a], rec.parent_first[b],
                             rec.parent_first[a], rec.parent_first[b], None, None, top=3)
    out[:, 9] = _surname_level(rec, rec.parent_last[a], rec.parent_last[b],
                               rec.parent_tokens[a], rec.parent_tokens[b], child=False)
    _parent_surname_echo(rec, a, b, out[:, 9])
    out[:, 10] = _middle_level(rec, a, b)
    out[:, 11] = _surname_parent_level(rec, a, b)
    return out


def _surname_parent_level(rec: Records, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where one record has no surname for the child but names a parent: whether the other
    record's surname for the child is among that parent's (a child mostly carries the
    mother's). 1 a surname token in common, 0 none, -1 otherwise (both children's surnames
    there, or nothing to compare)."""
    level = np.full(len(a), MISSING, np.int8)
    for own, other in ((a, b), (b, a)):
        rows = np.flatnonzero((rec.last[own] < 0) & (rec.last[other] >= 0)
                              & (rec.parent_tokens[own][:, 0] >= 0))
        if len(rows) == 0:
            continue
        parent, child = rec.parent_tokens[own[rows]], rec.last_tokens[other[rows]]
        shared = np.zeros(len(rows), bool)
        for k in range(MAX_TOKENS):
            for m in range(MAX_TOKENS):
                shared |= (parent[:, k] == child[:, m]) & (parent[:, k] >= 0)
        level[rows] = shared
    return level


def _middle_level(rec: Records, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """1 the same middle initial, 0 a different one, -1 missing on either side. Initials
    only: one file often holds nothing more (a census form), and the full name's u could
    then not be measured across the files."""
    return _equal_level(rec.middle_initial[a], rec.middle_initial[b])


def _parent_surname_echo(rec: Records, a: np.ndarray, b: np.ndarray, level: np.ndarray) -> None:
    """Exact parent-surname agreements (level 3 from :func:`_surname_level`) become level 4
    unless the parent's surname is one of the child's surname tokens on both records."""
    rows = np.flatnonzero(level == PARENT_SURNAME_ECHO)
    if len(rows) == 0:
        return
    parent = rec.parent_tokens[a[rows]]
    echo = np.zeros(len(rows), bool)
    for k in range(MAX_TOKENS):
        token = parent[:, k][:, None]
        in_a = (rec.last_tokens[a[rows]] == token).any(axis=1)
        in_b = (rec.last_tokens[b[rows]] == token).any(axis=1)
        echo |= (parent[:, k] >= 0) & in_a & in_b
    level[rows[~echo]] = PARENT_SURNAME_ECHO + 1


def term_frequencies(rec: Records, a: np.ndarray, b: np.ndarray, levels: np.ndarray,
                     field: str, floor: float) -> np.ndarray:
    """The frequency of the agreeing value for term-frequency adjustment (NaN: none).

    Exact: the value's own frequency. Nickname, overlap or fuzzy agreement: the larger of the
    two values' frequencies (a fuzzy GARCIA/GARCIAS is as common as GARCIA); shared surname
    tokens: the rarest shared one (GARCIA ZAMUDIO = ZAMUDIO counts as ZAMUDIO)."""
    i = FIELD_INDEX[field]
    out = np.full(len(a), np.nan, dtype=np.float32)
    usable = levels[:, i] > 0
    if field == "parent_last_name":
        # Where the children share a surname, how common the parent's surname is was already
        # counted with theirs (the same-surname u covers the rest): only an exact agreement on
        # a surname of the parent's own is adjusted.
        shared = levels[:, FIELD_INDEX["last_name"]] >= 3
        usable &= ~shared | (levels[:, i] == PARENT_SURNAME_ECHO + 1)
    rows = np.flatnonzero(usable)
    if len(rows) == 0:
        return out
    a, b = a[rows], b[rows]
    if field in {"first_name", "parent_first_name"}:
        codes_a = rec.first[a] if field == "first_name" else rec.parent_first[a]
        codes_b = rec.first[b] if field == "first_name" else rec.parent_first[b]
        freq = rec.given_freq if field == "first_name" else rec.parent_given_freq
        value = np.maximum(freq[np.clip(codes_a, 0, None)], freq[np.clip(codes_b, 0, None)])
    else:
        toks_a = rec.last_tokens[a] if field == "last_name" else rec.parent_tokens[a]
        toks_b = rec.last_tokens[b] if field == "last_name" else rec.parent_tokens[b]
        freq = rec.token_freq if field == "last_name" else rec.parent_token_freq
        fa = np.where(toks_a >= 0, freq[np.clip(toks_a, 0, None)], np.inf)
        fb = np.where(toks_b >= 0, freq[np.clip(toks_b, 0, None)], np.inf)
        shared = np.full(len(a), np.inf)
        for k in range(MAX_TOKENS):
            for m in range(MAX_TOKENS):
                same = (toks_a[:, k] == toks_b[:, m]) & (toks_a[:, k] >= 0)
                shared = np.where(same, np.minimum(shared, fa[:, k]), shared)
        fuzzy = np.maximum(np.where(np.isinf(fa[:, 0]), 0, fa[:, 0]),
                           np.where(np.isinf(fb[:, 0]), 0, fb[:, 0]))
        value = np.where(np.isfinite(shared), shared, fuzzy)
    out[rows] = np.maximum(value, floor)
    return out
