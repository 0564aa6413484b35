"""Standardise person records into integer-coded fields for blocking and comparison.

Every text field is cleaned once per distinct value (there are far fewer distinct names than
records) and then carried as an int32 code into a vocabulary, so that blocking and comparison
work on integers. Rules: upper case, accents and punctuation removed, hyphens split surnames,
particles (DE LA CRUZ) joined to the name they introduce, generational suffixes dropped,
newborn placeholders (BABY BOY, BB, INFANT, UNK...) and invalid SSNs become missing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

MAX_TOKENS = 3
MISSING = -1

PARTICLES = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "DA", "DAS", "DO", "DOS", "DI", "DU",
                       "VAN", "VON", "DER", "DEN", "LE", "ST", "SAN", "SANTA", "MC", "MAC"})
CONJUNCTIONS = frozenset({"Y", "E"})
SUFFIXES = frozenset({"JR", "SR", "II", "III", "IV", "V", "2ND", "3RD"})
# Names a hospital or intake worker records before a child is named: not identifying.
PLACEHOLDER_GIVEN = frozenset({
    "BABY", "BABYBOY", "BABYGIRL", "BABY BOY", "BABY GIRL", "BB", "BG", "BBY", "BBYBOY",
    "BBYGIRL", "INFANT", "INFANT BOY", "INFANT GIRL", "INFANTBOY", "INFANTGIRL", "BOY", "GIRL",
    "UNK", "UNKN", "UNKNOWN", "NONE", "NFN", "FNU", "LNU", "NA", "NO NAME", "NONAME", "TBD",
    "NEWBORN", "NB", "NEW BORN", "MALE", "FEMALE", "BABY A", "BABY B", "TWIN A", "TWIN B", "X",
    "XX", "XXX", "TEST",
    # A relationship or a role written where the name belongs (a form filled in for the
    # household, a record opened before the name was known): not identifying either.
    "DAUGHTER", "SON", "CHILD", "KID", "MINOR", "INFANT CHILD", "RESIDENT", "OCCUPANT", "MOM",
    "MOTHER", "DAD", "FATHER", "PARENT", "SISTER", "BROTHER", "SIBLING", "NIECE", "NEPHEW",
    "GRANDSON", "GRANDDAUGHTER", "GRANDCHILD", "STEPSON", "STEPDAUGHTER", "FOSTER CHILD",
    "UNNAMED", "NAME UNKNOWN", "NOT GIVEN", "REFUSED", "NMN", "NMI",
})
PLACEHOLDER_PREFIXES = ("BABY ", "BB ", "INFANT ", "NEWBORN ", "TWIN ")
PLACEHOLDER_SURNAME = frozenset({"UNK", "UNKN", "UNKNOWN", "NONE", "LNU", "NA", "X", "XX",
                                 "XXX", "TEST", "DOE"})
ADDRESS_WORDS = {
    "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AV": "AVE", "ROAD": "RD", "DRIVE": "DR",
    "BOULEVARD": "BLVD", "LANE": "LN", "COURT": "CT", "PLACE": "PL", "CIRCLE": "CIR",
    "HIGHWAY": "HWY", "PARKWAY": "PKWY", "TERRACE": "TER", "TRAIL": "TRL", "WAY": "WY",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "APARTMENT": "APT", "UNIT": "APT",
    "SPACE": "SPC", "SP": "SPC", "NUMBER": "", "NO": "",
}

PLACEHOLDER_SSNS = np.array([123456789, 78051120, 219099999, 987654321], dtype=np.int64)
"""SSNs printed on sample cards and in advertisements, never a person's."""

_NON_LETTER = re.compile(r"[^A-Z ]+")
_ORDINAL = re.compile(r"\b\d+(?:ST|ND|RD|TH)\b")
_DIGIT_BY_LETTER = re.compile(r"(?<=[A-Z])\d|\d(?=[A-Z])")
_LOOK_ALIKE = str.maketrans("0123456789", "OIZEASGTBG")
"""The letter an OCR or a hurried keyer most often turns into each digit (O/0, I/1, Z/2, E/3,
A/4, S/5, G/6, T/7, B/8, G/9)."""
_NON_ALNUM = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r"\s+")


def fold(text: object) -> str:
    """Upper case without accents (MUÑOZ → MUNOZ, JOSÉ → JOSE); '' for missing."""
    if text is None or (isinstance(text, float) and np.isnan(text)) or text is pd.NA:
        return ""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s.upper().strip()


def clean_name(text: object) -> str:
    """Letters and single spaces: apostrophes vanish (O'NEAL → ONEAL), hyphens split. A digit
    next to a letter is a misread letter (GAI7FAN → GAITFAN, HE5COUT → HESCOUT), not a break
    between two names; an ordinal (3RD) goes."""
    s = fold(text).replace("'", "").replace("`", "").replace("’", "")
    s = _ORDINAL.sub(" ", s)
    s = _DIGIT_BY_LETTER.sub(lambda digit: digit.group().translate(_LOOK_ALIKE), s)
    s = _NON_LETTER.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


def given_name(text: object) -> str:
    """A given name, or '' when it is a newborn placeholder."""
    s = clean_name(text)
    if s in PLACEHOLDER_GIVEN or s.replace(" ", "") in PLACEHOLDER_GIVEN:
        return ""
    if s.startswith(PLACEHOLDER_PREFIXES):
        return ""
    if len(s) == 1:  # an initial only: too weak to compare as a name
        return ""
    return s


def _middle_initial(text: object) -> int:
    """The first letter of a middle name or initial ('' and placeholders: -1)."""
    s = clean_name(text)
    if not s or s in PLACEHOLDER_GIVEN or s.replace(" ", "") in PLACEHOLDER_GIVEN:
        return MISSING
    return ord(s[0])


def surname_tokens(text: object) -> tuple[str, list[str]]:
    """(full surname without spaces, tokens) — particles joined to the following name.

    ``GARCIA LOPEZ`` → ("GARCIALOPEZ", [GARCIA, LOPEZ]); ``GARCIA-LOPEZ`` the same;
    ``DE LA CRUZ`` → ("DELACRUZ", [DELACRUZ, CRUZ]) so that it meets both DELACRUZ and CRUZ.
    """
    s = clean_name(text)
    words = [w for w in s.split(" ") if w and w not in SUFFIXES and w not in CONJUNCTIONS]
    if not words or " ".join(words) in PLACEHOLDER_SURNAME:
        return "", []
    tokens: list[str] = []
    pending: list[str] = []
    for w in words:
        if w in PARTICLES:
            pending.append(w)
            continue
        if pending:
            tokens.append("".join(pending) + w)
            tokens.append(w)  # the bare name too: DE LA CRUZ is often filed as CRUZ
            pending = []
        else:
            tokens.append(w)
    if pending:  # a name made only of particles (e.g. "LA"): keep it as written
        tokens.append("".join(pending))
    full = "".join(words)
    seen: list[str] = []
    for t in tokens:
        if t not in seen:
            seen.append(t)
    return full, seen[:MAX_TOKENS]


_PHONETIC_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r) for p, r in (
        # Spanish J (and G before E/I, X at the start) sound as H, and H is silent: JOSE,
        # HOSE and XOSE share a key.
        (r"PH", "F"), (r"LL", "Y"), (r"^X", "H"), (r"G([EI])", r"H\1"), (r"J", "H"),
        (r"^H", ""), (r"([^CS])H", r"\1"), (r"QU", "K"), (r"C([EI])", r"S\1"), (r"CK", "K"),
        (r"C", "K"), (r"Z", "S"), (r"V", "B"), (r"W", "U"), (r"X", "KS"), (r"Y", "I"),
        (r"(.)\1+", r"\1"),
    )
)


@cache
def phonetic(name: str) -> str:
    """A Spanish- and English-aware sound key: YESENIA = LLESENIA, VALERIA = BALERIA,
    JESICA = JESSICA, XIMENA = JIMENA (both → HIMENA-like). Empty stays empty."""
    s = name.replace(" ", "")
    for pattern, repl in _PHONETIC_RULES:
        s = pattern.sub(repl, s)
    return s


def normalise_ssn(values: pd.Series) -> pd.Series:
    """9-digit SSN as int64, or -1 when missing or invalid (area 000/666/9xx, group 00,
    serial 0000, all one digit, the 123456789 and 078051120 placeholders).

    Arrow's compute kernels and integer arithmetic, not a Python call per value: a statewide
    pair of files holds 2.5 million SSNs, nearly all distinct."""
    text = pa.array(values.astype("string").fillna("").to_numpy(dtype=object), pa.string())
    digits = pc.replace_substring_regex(text, pattern="[^0-9]", replacement="")
    ok = pc.equal(pc.utf8_length(digits), 9).to_numpy(zero_copy_only=False)
    out = np.full(len(values), MISSING, dtype=np.int64)
    if ok.any():
        ssn = pc.cast(pc.filter(digits, pa.array(ok)), pa.int64()).to_numpy()
        area, group, serial = ssn // 1_000_000, ssn // 10_000 % 100, ssn % 10_000
        valid = ~((area == 0) | (area == 666) | (area >= 900) | (group == 0) | (serial == 0)
                  | (ssn % 111_111_111 == 0)  # one digit nine times
                  | np.isin(ssn, PLACEHOLDER_SSNS))
        out[np.flatnonzero(ok)[valid]] = ssn[valid]
    return pd.Series(out, index=values.index)


def clean_address(text: object) -> str:
    s = _NON_ALNUM.sub(" ", fold(text).replace("#", " APT "))
    words = [ADDRESS_WORDS.get(w, w) for w in s.split()]
    return " ".join(w for w in words if w)


@dataclass
class Vocabulary:
    """Distinct standardised values; a record field holds an index into ``values``."""

    values: np.ndarray  # object array of str

    def __len__(self) -> int:
        return len(self.values)

    @cached_property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(v) for v in self.values), np.int32, len(self.values))

    @cached_property
    def initials(self) -> np.ndarray:
        return np.fromiter((ord(v[0]) if v else 0 for v in self.values), np.int32,
                           len(self.values))

    @cached_property
    def char_counts(self) -> np.ndarray:
        """How often each character occurs in each value (values × the characters the
        vocabulary uses): two values' counts bound how similar they can be (an edit must
        insert or delete every character one has more of)."""
        lengths = self.lengths.astype(np.int64)
        size = len(self.values)
        if size == 0 or not lengths.any():
            return np.zeros((size, 0), np.uint8)
        text = np.frombuffer("".join(self.values).encode("utf-32-le"), dtype=np.uint32)
        _, symbol = np.unique(text, return_inverse=True)
        width = int(symbol.max()) + 1
        out = np.zeros((size, width), np.uint8 if lengths.max() < 256 else np.int32)
        owner = np.repeat(np.arange(size, dtype=np.int64), lengths)
        ends = np.cumsum(lengths)
        step = 100_000  # values counted at once: one bincount over all would be large
        for s in range(0, size, step):
            e = min(s + step, size)
            chars = slice(int(ends[s] - lengths[s]), int(ends[e - 1]))
            counts = np.bincount((owner[chars] - s) * width + symbol[chars],
                                 minlength=(e - s) * width)
            out[s:e] = counts.reshape(e - s, width)
        return out


@dataclass
class Nicknames:
    """Equivalent given names as sorted int64 keys ``lo * V + hi`` over the given vocabulary."""

    pair_keys: np.ndarray
    root: np.ndarray  # code -> code of the name used for blocking (formal form)

    def expand(self, codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(position, equivalent code) for every equivalent of ``codes[position]``."""
        lo, hi = self.pair_keys // max(size, 1), self.pair_keys % max(size, 1)
        src = np.concatenate([lo, hi])
        dst = np.concatenate([hi, lo])
        order = np.argsort(src, kind="stable")
        src, dst = src[order], dst[order]
        start = np.searchsorted(src, codes, side="left")
        end = np.searchsorted(src, codes, side="right")
        counts = end - start
        position = np.repeat(np.arange(len(codes)), counts)
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return position, dst[np.repeat(start, counts) + offsets]

    def equivalent(self, a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
        out = np.zeros(len(a), dtype=bool)
        if len(self.pair_keys) == 0:
            return out
        # Most names have no nickname: only pairs of two names the table holds are looked up.
        # (One slot more, never set: a missing code, -1, lands there.)
        listed = np.zeros(size + 1, dtype=bool)
        listed[self.pair_keys // size] = True
        listed[self.pair_keys % size] = True
        rows = np.flatnonzero(listed[a] & listed[b])
        ra, rb = a[rows], b[rows]
        keys = np.minimum(ra, rb).astype(np.int64) * size + np.maximum(ra, rb).astype(np.int64)
        pos = np.minimum(np.searchsorted(self.pair_keys, keys), len(self.pair_keys) - 1)
        out[rows] = self.pair_keys[pos] == keys
        return out


@dataclass
class Records:
    """Both files' records, standardised, left first (source 0) then right (source 1)."""

    record_id: np.ndarray       # object: the files' record_id
    source: np.ndarray          # int8: 0 left, 1 right
    n_left: int
    has_case: np.ndarray        # bool: right records with a case_id
    given: Vocabulary           # first, middle and parent first names share one vocabulary
    first: np.ndarray           # int32 code of the whole first name
    first_token: np.ndarray     # int32 code of its first word (JUAN of JUAN CARLOS)
    middle: np.ndarray          # int32 code of the first middle word
    middle_initial: np.ndarray  # int32: the middle name's first letter (also of an initial
                                # alone, which ``middle`` leaves missing), -1 when none
    given_phonetic: np.ndarray  # int32 per given code: code of the phonetic key
    given_as_token: np.ndarray  # int32 per given code: the same text's surname-token code
    surnames: Vocabulary        # full surnames (spaces removed)
    tokens: Vocabulary          # surname tokens (child and parent surnames)
    last: np.ndarray            # int32 code of the full surname
    last_tokens: np.ndarray     # int32 (n, MAX_TOKENS), -1 padded
    parent_first: np.ndarray
    parent_last: np.ndarray
    parent_tokens: np.ndarray
    dob: np.ndarray             # int32 YYYYMMDD, 0 when missing
    ssn: np.ndarray             # int64, -1 when missing or invalid
    sex: np.ndarray             # int8: 0 F, 1 M, -1 missing
    county: np.ndarray          # int16, -1 missing
    zip: np.ndarray             # int32, -1 missing
    addresses: Vocabulary
    address: np.ndarray         # int32 code, -1 missing
    nicknames: Nicknames
    given_freq: np.ndarray      # float per given code: share of records' first names
    token_freq: np.ndarray      # float per token code: share of records holding the token
    parent_given_freq: np.ndarray
    parent_token_freq: np.ndarray

    @property
    def n(self) -> int:
        return len(self.record_id)

    def subset(self, positions: np.ndarray) -> Records:
        """The records at ``positions`` (in that order) with the same vocabularies: what a
        question about a few hundred thousand records of a statewide file needs."""
        per_record = {name: getattr(self, name)[positions] for name in PER_RECORD}
        source = per_record["source"]
        return replace(self, **per_record, n_left=int((source == 0).sum()))

    def slice_ids(self, source: int) -> np.ndarray:
        return self.record_id[self.source == source]

    @cached_property
    def ssn_digits(self) -> np.ndarray:
        """The SSN as :func:`decimal_nibbles` (-1 missing), made once for every comparison."""
        return decimal_nibbles(self.ssn, 9)

    @cached_property
    def zip_digits(self) -> np.ndarray:
        return decimal_nibbles(self.zip, 5)

    @cached_property
    def dob_digits(self) -> np.ndarray:
        return decimal_nibbles(self.dob, 8)

    @cached_property
    def _id_index(self) -> tuple[pd.Index, pd.Index]:
        return (pd.Index(self.record_id[: self.n_left].astype(str)),
                pd.Index(self.record_id[self.n_left:].astype(str)))

    def pair_positions(self, left_ids: pd.Series, right_ids: pd.Series
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Record positions of (left_id, right_id) pairs, -1 where a file has no such id."""
        left_index, right_index = self._id_index
        la = left_index.get_indexer(left_ids.astype(str)).astype(np.int64)
        rb = right_index.get_indexer(right_ids.astype(str)).astype(np.int64)
        return la, np.where(rb >= 0, rb + self.n_left, -1)


PER_RECORD = ("record_id", "source", "has_case", "first", "first_token", "middle",
              "middle_initial", "last", "last_tokens", "parent_first", "parent_last",
              "parent_tokens", "dob", "ssn", "sex", "county", "zip", "address")
"""The fields of :class:`Records` that hold one value (or row) per record."""


NIBBLES = 0x1111111111111111
"""The lowest bit of each 4-bit digit of a :func:`decimal_nibbles` code."""


def decimal_nibbles(values: np.ndarray, digits: int) -> np.ndarray:
    """The lowest ``digits`` decimal digits of each value, one per 4 bits (binary-coded
    decimal, int64), -1 where the value is negative (missing). Two numbers differ in as many
    digits as their codes differ in nibbles: one XOR and a popcount a pair
    (:func:`digits_differ`) instead of a division and a remainder per digit."""
    v = values.astype(np.int64)
    out = np.zeros(len(v), np.int64)
    for k in range(digits):
        out |= ((v // 10**k) % 10) << (4 * k)
    return np.where(v >= 0, out, MISSING)


def differing_nibbles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per pair of :func:`decimal_nibbles` codes (both present), the lowest bit of each
    digit that differs."""
    x = a ^ b
    return (x | (x >> 1) | (x >> 2) | (x >> 3)) & NIBBLES


def digits_differ(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How many decimal digits differ between two :func:`decimal_nibbles` codes (uint8)."""
    return np.bitwise_count(differing_nibbles(a, b))


def load_nicknames(path: Path | None) -> list[tuple[str, str]]:
    if path is None:
        return []
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    names = [given_name(v) for v in table["name"]]
    aliases = [given_name(v) for v in table["alias"]]
    return [(a, b) for a, b in zip(names, aliases, strict=True) if a and b and a != b]


def _nickname_index(pairs: list[tuple[str, str]], index: pd.Index) -> Nicknames:
    size = len(index)
    root = np.arange(size, dtype=np.int32)
    if not pairs:
        return Nicknames(np.array([], dtype=np.int64), root)
    frame = pd.DataFrame(pairs, columns=["name", "alias"])
    frame["n"] = index.get_indexer(frame["name"])
    frame["a"] = index.get_indexer(frame["alias"])
    # Only the table's own pairs: chaining through a shared short form would make ROBERT and
    # WILLIAM equivalent (both are BILL in the table).
    a, b = frame["n"].to_numpy().astype(np.int64), frame["a"].to_numpy().astype(np.int64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keys = np.unique(lo * size + hi)
    # Blocking root: the alphabetically first of a name and the names directly related to it,
    # so WILLIAM and BILL (and JOSE and PEPE) fall in the same block.
    both = pd.DataFrame({"x": np.concatenate([a, b]), "y": np.concatenate([b, a])})
    both = both[(both["x"] >= 0) & (both["y"] >= 0)]
    both["name"] = index.to_numpy()[both["y"].to_numpy()]
    first = both.sort_values("name").drop_duplicates("x")
    own = index.to_numpy()[first["x"].to_numpy()]
    use = first["name"].to_numpy() < own
    root[first["x"].to_numpy()[use]] = first["y"].to_numpy()[use]
    return Nicknames(keys, root)


def _frequency(codes: Iterable[np.ndarray], size: int, n: int) -> np.ndarray:
    counts = np.zeros(size, dtype=np.float64)
    for c in codes:
        c = c[c >= 0]
        counts += np.bincount(c, minlength=size)[:size]
    return counts / max(n, 1)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


@dataclass
class _Both:
    """The two files' columns one at a time, left rows first. (Not one ``pd.concat`` of the
    frames: where a file lacks a column, pandas checks every missing cell of it one by one,
    ten million Python calls for a statewide file without parents or addresses.)"""

    left: pd.DataFrame
    right: pd.DataFrame

    def __len__(self) -> int:
        return len(self.left) + len(self.right)

    def column(self, name: str) -> pd.Series:
        parts = [_column(f, name).to_numpy(dtype=object) for f in (self.left, self.right)]
        return pd.Series(np.concatenate(parts), dtype=object)

    def each(self, name: str, convert: Callable[[pd.Series], np.ndarray]) -> np.ndarray:
        """``convert`` applied to each file's column (typed as read), then joined."""
        return np.concatenate([convert(_column(f, name)) for f in (self.left, self.right)])


def _county(values: pd.Series) -> np.ndarray:
    county = pd.to_numeric(values, errors="coerce")
    return county.where(county.between(1, 99)).fillna(MISSING).astype(np.int16).to_numpy()


def _dob_int(values: pd.Series) -> np.ndarray:
    dates = pd.to_datetime(values, errors="coerce")
    ymd = (dates.dt.year * 10000 + dates.dt.month * 100 + dates.dt.day)
    return ymd.fillna(0).astype(np.int32).to_numpy()


def _distinct(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of each row into its distinct raw values (missing → '')."""
    raw = values.astype(object).where(values.notna(), "").to_numpy()
    codes, uniques = pd.factorize(raw, sort=False)
    return codes, np.asarray(uniques, dtype=object)


def _take(per_unique: np.ndarray, codes: np.ndarray, fill: int = MISSING) -> np.ndarray:
    if len(per_unique) == 0:
        return np.full(len(codes), fill, dtype=per_unique.dtype if per_unique.size else np.int32)
    return per_unique[codes]


def _lookup(strings: list[str] | np.ndarray, index: pd.Index) -> np.ndarray:
    arr = np.asarray(strings, dtype=object)
    if len(arr) == 0:
        return np.empty(0, np.int32)
    codes = index.get_indexer(arr)
    return np.where(arr == "", MISSING, codes).astype(np.int32)


def standardise(left: pd.DataFrame, right: pd.DataFrame,
                nickname_pairs: list[tuple[str, str]] | None = None) -> Records:
    """Standardise both sides into one :class:`Records` (left rows first).

    Every cleaning rule runs once per distinct raw value; rows only index into the results."""
    frame = _Both(left, right)
    n = len(frame)
    source = np.concatenate([np.zeros(len(left), np.int8), np.ones(len(right), np.int8)])

    # Given names: the whole name (spaces removed) and its first word, per distinct value.
    given_parts = {}
    for col in ("first_name", "middle_name", "parent_first_name"):
        codes, uniq = _distinct(frame.column(col))
        cleaned = [given_name(u) for u in uniq]
        given_parts[col] = (codes, [c.replace(" ", "") for c in cleaned],
                            [c.split(" ")[0] if c else "" for c in cleaned])
    pairs = nickname_pairs or []
    vocab: dict[str, None] = {}
    for _, full, word in given_parts.values():
        vocab.update(dict.fromkeys(full))
        vocab.update(dict.fromkeys(word))
    for a, b in pairs:
        vocab[a] = None
        vocab[b] = None
    vocab.pop("", None)
    given_values = np.array(list(vocab), dtype=object)
    given_index = pd.Index(given_values)
    nick = _nickname_index(pairs, given_index)
    given_phonetic = pd.factorize(np.array([phonetic(g) for g in given_values],
                                           dtype=object))[0].astype(np.int32)

    def given_codes(col: str, part: int) -> np.ndarray:
        codes, full, word = given_parts[col]
        per_unique = _lookup(full if part == 0 else word, given_index)
        return _take(per_unique, codes)

    first_codes = given_codes("first_name", 0)
    first_token_codes = given_codes("first_name", 1)
    middle_codes = given_codes("middle_name", 1)
    mid_raw, mid_uniq = _distinct(frame.column("middle_name"))
    mid_initial = _take(np.array([_middle_initial(u) for u in mid_uniq], dtype=np.int32),
                        mid_raw)
    parent_first_codes = given_codes("parent_first_name", 1)

    # Surnames: the full surname and up to MAX_TOKENS tokens, per distinct value.
    surname_parts = {}
    for col in ("last_name", "parent_last_name"):
        codes, uniq = _distinct(frame.column(col))
        split = [surname_tokens(u) for u in uniq]
        surname_parts[col] = (codes, [f for f, _ in split], [t for _, t in split])
    full_vocab: dict[str, None] = {}
    token_vocab: dict[str, None] = {}
    for _, fulls, toks in surname_parts.values():
        full_vocab.update(dict.fromkeys(fulls))
        for t in toks:
            token_vocab.update(dict.fromkeys(t))
    full_vocab.pop("", None)
    token_vocab.pop("", None)
    surname_values = np.array(list(full_vocab), dtype=object)
    token_values = np.array(list(token_vocab), dtype=object)
    surname_index, token_index = pd.Index(surname_values), pd.Index(token_values)

    def surname_codes(col: str) -> tuple[np.ndarray, np.ndarray]:
        codes, fulls, toks = surname_parts[col]
        full = _take(_lookup(fulls, surname_index), codes)
        matrix = np.full((len(toks), MAX_TOKENS), MISSING, dtype=np.int32)
        for k in range(MAX_TOKENS):
            matrix[:, k] = _lookup([t[k] if len(t) > k else "" for t in toks], token_index)
        tokens = matrix[codes] if len(toks) else np.full((n, MAX_TOKENS), MISSING, np.int32)
        return full, tokens

    last_codes, last_tokens = surname_codes("last_name")
    parent_last_codes, parent_tokens = surname_codes("parent_last_name")

    addr_codes, addr_uniq = _distinct(frame.column("address"))
    addr_clean = [clean_address(u) for u in addr_uniq]
    address_values = np.array(list(dict.fromkeys(a for a in addr_clean if a)), dtype=object)
    address_index = pd.Index(address_values)
    address = _take(_lookup(addr_clean, address_index), addr_codes)

    sex_codes, sex_uniq = _distinct(frame.column("sex"))
    sex_map = np.array([{"F": 0, "M": 1}.get(str(v).strip().upper(), MISSING)
                        for v in sex_uniq], dtype=np.int8)
    sex = _take(sex_map, sex_codes).astype(np.int8)
    county_arr = frame.each("county_cd", _county).astype(np.int16)
    zip_codes, zip_uniq = _distinct(frame.column("zip"))

    def zip_value(v: object) -> int:
        z = str(v).strip()[:5]
        return int(z) if len(z) == 5 and z.isdigit() and z != "00000" else MISSING

    zip_arr = _take(np.array([zip_value(v) for v in zip_uniq], dtype=np.int32), zip_codes)
    case_codes, case_uniq = _distinct(frame.column("case_id"))
    has_case = _take(np.array([str(v).strip() != "" for v in case_uniq], dtype=bool),
                     case_codes).astype(bool) if n else np.zeros(0, bool)

    return Records(
        record_id=frame.column("record_id").astype(str).to_numpy(dtype=object),
        source=source,
        n_left=len(left),
        has_case=(has_case & (source == 1)),
        given=Vocabulary(given_values),
        first=first_codes,
        first_token=first_token_codes,
        middle=middle_codes,
        middle_initial=mid_initial.astype(np.int32),
        given_phonetic=given_phonetic,
        given_as_token=token_index.get_indexer(given_values).astype(np.int32),
        surnames=Vocabulary(surname_values),
        tokens=Vocabulary(token_values),
        last=last_codes,
        last_tokens=last_tokens,
        parent_first=parent_first_codes,
        parent_last=parent_last_codes,
        parent_tokens=parent_tokens,
        dob=frame.each("dob", _dob_int).astype(np.int32),
        ssn=normalise_ssn(frame.column("ssn")).to_numpy(),
        sex=sex,
        county=county_arr,
        zip=zip_arr.astype(np.int32),
        addresses=Vocabulary(address_values),
        address=address,
        nicknames=nick,
        given_freq=_frequency([first_codes], len(given_values), n),
        token_freq=_frequency([last_tokens[:, k] for k in range(MAX_TOKENS)],
                              len(token_values), n),
        parent_given_freq=_frequency([parent_first_codes], len(given_values), n),
        parent_token_freq=_frequency([parent_tokens[:, k] for k in range(MAX_TOKENS)],
                                     len(token_values), n),
    )
