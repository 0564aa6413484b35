"""The matcher's shortcuts decide exactly what the plain definitions decide: digits compared
as binary-coded decimal, the bound that keeps most address pairs from rapidfuzz, the union of
the blocking passes, fingerprints of typed columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
from rapidfuzz.fuzz import ratio, token_sort_ratio

from matching.blocking import _union
from matching.compare import _address_similar, _digits_level, _dob_level
from matching.incremental import fingerprints
from matching.standardise import Vocabulary, decimal_nibbles


def _digits_reference(a: int, b: int, digits: int) -> int:
    """2 equal, 1 one digit off or two adjacent digits swapped, 0 otherwise, -1 missing."""
    if a < 0 or b < 0:
        return -1
    da, db = f"{a:0{digits}d}", f"{b:0{digits}d}"
    differ = [k for k in range(digits) if da[k] != db[k]]
    if not differ:
        return 2
    swapped = (len(differ) == 2 and differ[1] == differ[0] + 1
               and da[differ[0]] == db[differ[1]] and da[differ[1]] == db[differ[0]])
    return 1 if len(differ) == 1 or swapped else 0


def _near(rng: np.random.Generator, a: np.ndarray, digits: int) -> np.ndarray:
    """Variants of ``a``: equal, one digit changed, two neighbours swapped, two digits
    changed, unrelated, or missing."""
    text = [list(f"{x:0{digits}d}") for x in a]
    for t in text:
        k = int(rng.integers(0, digits - 1))
        kind = int(rng.integers(0, 5))
        if kind == 1:
            t[k] = str(rng.integers(0, 10))
        elif kind == 2:
            t[k], t[k + 1] = t[k + 1], t[k]
        elif kind == 3:
            t[k], t[(k + 3) % digits] = str(rng.integers(0, 10)), str(rng.integers(0, 10))
        elif kind == 4:
            t[:] = f"{rng.integers(0, 10**digits):0{digits}d}"
    out = np.array([int("".join(t)) for t in text], dtype=np.int64)
    out[rng.random(len(out)) < 0.05] = -1
    return out


def test_digit_levels_from_nibbles_follow_the_digits() -> None:
    rng = np.random.default_rng(3)
    for digits in (9, 5):
        a = rng.integers(0, 10**digits, 3000)
        b = _near(rng, a, digits)
        got = _digits_level(decimal_nibbles(a, digits), decimal_nibbles(b, digits))
        want = [_digits_reference(int(x), int(y), digits) for x, y in zip(a, b, strict=True)]
        assert got.tolist() == want
        assert {0, 1, 2, -1} <= set(want)  # every level was tried


def test_birth_dates_one_digit_apart_are_near() -> None:
    da = np.array([20120304, 20120304, 20120304, 20120304], dtype=np.int32)
    db = np.array([20120804, 20170304, 20130415, 0], dtype=np.int32)
    # Five months apart but one digit off; five years apart, one digit; both off; missing.
    assert _dob_level(da, db).tolist() == [4, 4, 1, -1]


def test_address_bound_never_drops_a_similar_pair() -> None:
    rng = np.random.default_rng(5)
    words = ["MAIN", "ST", "AVE", "OAK", "APT", "1200", "4", "12", "ELM", "N", "PORTEOUS",
             "CRESCENT", "RD", "7B"]
    lines = [" ".join(rng.choice(words, int(rng.integers(2, 6)))) for _ in range(300)]
    # Near copies: a word dropped, words reordered, a space lost, a letter changed.
    for line in list(lines):
        parts = line.split(" ")
        lines.append(" ".join(reversed(parts)))
        lines.append(line.replace(" ", "", 1))
        lines.append(line[:-1] + "X")
    vocab = Vocabulary(np.array(list(dict.fromkeys(lines)), dtype=object))
    a = rng.integers(0, len(vocab), 20_000)
    b = rng.integers(0, len(vocab), 20_000)
    a, b = a[a != b], b[a != b]
    got = _address_similar(vocab, a, b)
    want = [max(ratio(vocab.values[x], vocab.values[y]),
                token_sort_ratio(vocab.values[x], vocab.values[y])) / 100.0 >= 0.85
            for x, y in zip(a, b, strict=True)]
    assert got.tolist() == want
    assert 0 < sum(want) < len(want)


def test_union_of_passes_counts_each_pair_for_its_first_pass() -> None:
    rng = np.random.default_rng(7)
    found = [np.unique(rng.integers(0, 5000, size)) for size in (300, 0, 800, 50, 800)]
    seen: set[int] = set()
    want_new = []
    for codes in found:
        want_new.append(len(set(codes.tolist()) - seen))
        seen |= set(codes.tolist())
    union, new = _union([c.copy() for c in found], 100)
    assert union.tolist() == sorted(seen)
    assert new == want_new


def test_fingerprints_of_typed_columns_are_those_of_their_text() -> None:
    frame = pd.DataFrame({
        "record_id": ["1", "2", "3", "4"],
        "dob": pd.to_datetime(["2012-01-01", None, "2012-01-01", "1999-12-31"]),
        "county_cd": pd.array([1, None, 19, 1], dtype="Int64"),
    })
    as_text = frame.astype("string").fillna("").astype(object)
    assert fingerprints(frame).tolist() == fingerprints(as_text).tolist()
    # Each column counts: a different date is a different fingerprint.
    changed = frame.assign(dob=pd.to_datetime(["2012-01-02", None, "2012-01-01",
                                               "1999-12-31"]))
    assert (fingerprints(changed) != fingerprints(frame)).tolist() == [True, False, False,
                                                                        False]
