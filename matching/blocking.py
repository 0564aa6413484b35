"""Blocking: the candidate record pairs, as the union of several passes.

A pass pairs the records that share every key it names. Multi-valued keys (each surname token
of GARCIA LOPEZ) give a record several key values, so GARCIA LOPEZ meets both GARCIA and LOPEZ.
Pairs are generated with array arithmetic inside sorted key groups, never a Python loop over
records; a key shared by more than ``max_block`` records is skipped and counted. Both sides are
blocked together, so the same passes find within-source duplicates and cross-source links.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from matching.settings import BlockingPass
from matching.standardise import MISSING, Records, phonetic

CHUNK_PAIRS = 4_000_000


@dataclass
class Candidates:
    """Candidate pairs ``(a, b)`` with ``a < b`` as record positions in :class:`Records`."""

    a: np.ndarray  # int32
    b: np.ndarray  # int32
    by_pass: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[str, np.ndarray] = field(default_factory=dict)
    """Per pass, the key values whose blocks were too large to pair (sorted): with them a
    pair's membership of each pass can be told again (:func:`pass_membership`)."""

    def __len__(self) -> int:
        return len(self.a)


def _single(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    out = values.astype(np.int64).reshape(-1, 1).copy()
    out[missing.reshape(-1, 1)] = MISSING
    return out


def _through(codes: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    """``mapping[code]`` per record, -1 where the code is missing (also when no record has a
    value at all, and ``mapping`` is empty)."""
    out = np.full(len(codes), MISSING, dtype=np.int64)
    ok = codes >= 0
    out[ok] = mapping[codes[ok]]
    return out


def _per_token(codes: np.ndarray, mapping: np.ndarray) -> np.ndarray:
    out = np.full(codes.shape, MISSING, dtype=np.int64)
    ok = codes >= 0
    out[ok] = mapping[codes[ok]]
    return out


KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "ssn": ("ssn",), "dob": ("dob",), "birth_year": ("dob",), "birth_monthday": ("dob",),
    "birth_yearmonth": ("dob",), "dob_unordered": ("dob",),
    "first_phonetic": ("first_name",), "first_name": ("first_name",),
    "surname_phonetic": ("last_name",), "surname_token": ("last_name",),
    "surname_initial": ("last_name",),
    "parent_phonetic": ("parent_first_name", "parent_last_name"),
    "parent_first_phonetic": ("parent_first_name",), "zip": ("zip",), "county": ("county",),
    "ssn_first5": ("ssn",), "ssn_last4": ("ssn",),
    # Any of a record's names: first or surname, whichever field it was written in.
    "name_phonetic": ("first_name", "last_name"), "name_initial": (), "address": ("address",),
    "house_number": ("address",), "first_initial": ("first_name",),
    "middle_initial": ("middle_name",),
}
"""The compared fields a blocking key constrains: within a pass, agreement on them says
nothing about a match, so EM ignores them for that pass's pairs."""


def key_columns(rec: Records, name: str) -> np.ndarray:
    """One blocking key as an (n, k) int64 array, -1 where missing."""
    dob = rec.dob
    if name == "ssn":
        return _single(rec.ssn, rec.ssn < 0)
    if name == "dob":
        return _single(dob, dob == 0)
    if name == "birth_year":
        return _single(dob // 10000, dob == 0)
    if name == "birth_monthday":
        return _single(dob % 10000, dob == 0)
    if name == "birth_yearmonth":
        return _single(dob // 100, dob == 0)
    if name == "dob_unordered":
        # The year with the month and day in either order: day and month transposed meet.
        month, day = (dob // 100) % 100, dob % 100
        return _single((dob // 10000) * 10000 + np.minimum(month, day) * 100
                       + np.maximum(month, day), dob == 0)
    if name in {"first_phonetic", "parent_first_phonetic"}:
        codes = rec.first_token if name == "first_phonetic" else rec.parent_first
        ok = codes >= 0
        key = np.full(len(codes), MISSING, dtype=np.int64)
        key[ok] = rec.given_phonetic[rec.nicknames.root[codes[ok]]]
        return key.reshape(-1, 1)
    if name == "first_name":
        return _single(rec.first, rec.first < 0)
    if name == "first_initial":
        return _through(rec.first, rec.given.initials).reshape(-1, 1)
    if name == "surname_token":
        return rec.last_tokens.astype(np.int64)
    if name == "surname_phonetic":
        phon = pd.factorize(np.array([phonetic(t) for t in rec.tokens.values], dtype=object))[0]
        return _per_token(rec.last_tokens, phon)
    if name == "surname_initial":
        initials = np.array([ord(t[0]) if t else MISSING for t in rec.tokens.values],
                            dtype=np.int64)
        return _per_token(rec.last_tokens, initials)
    if name == "parent_phonetic":
        first = key_columns(rec, "parent_first_phonetic")
        return combine(first, rec.parent_tokens.astype(np.int64))
    if name in {"name_phonetic", "name_initial"}:
        # First name and surname tokens in one key space, so SHEPHERD SYBELLA meets
        # SYBELLA SHEPHERD; a first name is keyed by its nickname root and as written.
        given_txt = rec.given.values.astype(str)
        token_txt = rec.tokens.values.astype(str)
        if name == "name_phonetic":
            texts = np.array([phonetic(t) for t in given_txt]
                             + [phonetic(t) for t in token_txt], dtype=object)
        else:
            texts = np.array([t[:1] for t in given_txt] + [t[:1] for t in token_txt],
                             dtype=object)
        codes = pd.factorize(texts)[0].astype(np.int64)
        given_code, token_code = codes[: len(given_txt)], codes[len(given_txt):]
        first = rec.first_token
        ok = first >= 0
        root = np.full(len(first), MISSING, dtype=np.int64)
        own = np.full(len(first), MISSING, dtype=np.int64)
        root[ok] = given_code[rec.nicknames.root[first[ok]]]
        own[ok] = given_code[first[ok]]
        own[own == root] = MISSING
        toks = _per_token(rec.last_tokens, token_code)
        return np.concatenate([root.reshape(-1, 1), own.reshape(-1, 1), toks], axis=1)
    if name == "ssn_first5":
        return _single(rec.ssn // 10000, rec.ssn < 0)
    if name == "ssn_last4":
        return _single(rec.ssn % 10000, rec.ssn < 0)
    if name == "zip":
        return _single(rec.zip, rec.zip < 0)
    if name == "address":
        return _single(rec.address, rec.address < 0)
    if name == "house_number":
        # The leading number of the street address: survives a misspelt street name.
        numbers = pd.Series(rec.addresses.values, dtype="string").str.extract(
            r"^(\d+)", expand=False)
        codes = pd.factorize(numbers)[0].astype(np.int64)  # NaN (no number) -> -1
        return _through(rec.address, codes).reshape(-1, 1)
    if name == "county":
        return _single(rec.county, rec.county < 0)
    if name == "middle_initial":
        return _single(rec.middle_initial, rec.middle_initial < 0)
    raise ValueError(f"unknown blocking key {name!r}")


def missing_key(rec: Records, name: str) -> np.ndarray:
    """Records whose value of key ``name`` is missing, or as good as missing: a birth date of
    1 January is often the placeholder of an unknown one."""
    missing = key_columns(rec, name)[:, 0] < 0
    if name == "dob":
        missing |= (rec.dob % 10000) == 101
    return missing


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scatters nearby values.
    In place on ``z`` (uint64, owned by the caller): these arrays hold tens of millions of
    values, and a new one per step cost more than the arithmetic."""
    step = np.empty_like(z)
    with np.errstate(over="ignore"):
        np.right_shift(z, np.uint64(30), out=step)
        z ^= step
        z *= np.uint64(0xBF58476D1CE4E5B9)
        np.right_shift(z, np.uint64(27), out=step)
        z ^= step
        z *= np.uint64(0x94D049BB133111EB)
        np.right_shift(z, np.uint64(31), out=step)
        z ^= step
    return z


def combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Every combination of a record's values of two keys, as one 62-bit code that depends
    only on the two values (a hash: the same for any subset of the records, so a key can be
    looked up again for a few records; two combinations share a code with a chance of about
    one in 10^18 a pair of them, which would only merge two blocks)."""
    n, ka, kb = len(a), a.shape[1], b.shape[1]
    # Column i * kb + j combines a's column i with b's column j: a's values are mixed once,
    # before they are repeated.
    mixed = np.repeat(_mix(a.astype(np.uint64)), kb, axis=1)
    with np.errstate(over="ignore"):
        mixed.reshape(n, ka, kb)[...] += b.astype(np.uint64)[:, None, :]
    _mix(mixed)
    mixed >>= np.uint64(2)
    joint = mixed.view(np.int64)  # below 2^62: the same value as a signed integer
    missing = ((a < 0)[:, :, None] | (b < 0)[:, None, :]).reshape(n, ka * kb)
    joint[missing] = MISSING
    return joint


def joint_keys(rec: Records, blocking_pass: BlockingPass) -> np.ndarray:
    """A pass's key values per record, (n, k), -1 where missing: the records sharing one
    value form a block."""
    cols = [key_columns(rec, k) for k in blocking_pass.keys]
    joint = cols[0]
    for c in cols[1:]:
        joint = combine(joint, c)
    return joint


def pass_keys(rec: Records, blocking_pass: BlockingPass) -> tuple[np.ndarray, np.ndarray]:
    """Flattened (record, key) rows of one pass, without missing keys."""
    joint = joint_keys(rec, blocking_pass)
    if len(blocking_pass.keys) == 1 and joint.shape[1] == 1:
        joint = joint.copy()
    recs = np.repeat(np.arange(rec.n, dtype=_index_type(rec.n)), joint.shape[1])
    keys = joint.reshape(-1)
    ok = keys >= 0
    # A record holding one key twice (first name JAMES, surname JAMES) only yields repeated
    # pairs, which pass_pairs removes.
    return recs[ok], keys[ok]


def _index_type(n: int) -> type[np.signedinteger]:
    """Positions below 2^31 are held in four bytes: blocking's arrays have a row per record
    and key value, tens of millions statewide."""
    return np.int32 if n < 2**31 else np.int64


def _group_bounds(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each position in a sorted key array: start and end of its group."""
    m = len(sorted_keys)
    index = _index_type(m + 1)
    change = (np.flatnonzero(np.diff(sorted_keys)) + 1).astype(index)
    starts = np.concatenate([np.zeros(1, index), change])
    ends = np.concatenate([change, np.full(1, m, index)])
    sizes = ends - starts
    return np.repeat(starts, sizes), np.repeat(ends, sizes)


def _expand(left_pos: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (left_pos[i], j) for j in [lo[i], hi[i]), vectorised."""
    counts = (hi - lo).clip(min=0)
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    first = np.repeat(left_pos, counts)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    second = np.repeat(lo, counts) + offsets
    return first, second


def _pair_codes(ra: np.ndarray, rb: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(ra, rb), np.maximum(ra, rb)
    keep = lo != hi
    return lo[keep].astype(np.int64) * n + hi[keep]


def pass_pairs(rec: Records, blocking_pass: BlockingPass, max_block: int,
               probe: np.ndarray | None = None
               ) -> tuple[np.ndarray, dict[str, int], np.ndarray]:
    """The pairs of one pass as int64 codes ``a * n + b`` (a < b), its counts, and the key
    values whose blocks it skipped as too large (sorted).

    ``probe`` (a mask over the records): only the pairs with at least one probe record, as
    when a new extract is linked to the records already resolved."""
    recs, keys = pass_keys(rec, blocking_pass)
    # Any order within a block will do: a block makes the same pairs whatever its order, and
    # they are sorted below (an unstable sort is about twice as fast).
    order = np.argsort(keys)
    recs, keys = recs[order], keys[order]
    del order
    start, end = _group_bounds(keys)
    size = end - start
    if blocking_pass.max_block is not None:
        max_block = min(max_block, blocking_pass.max_block)
    too_big = size > max_block
    del size
    skipped = np.unique(keys[too_big])
    info = {"skipped_blocks": len(skipped), "skipped_records": int(too_big.sum())}
    pos = np.arange(len(keys), dtype=start.dtype)
    del keys
    if blocking_pass.only_if_missing or probe is not None:
        # Only pairs with at least one record missing that key (or one probe record): each
        # such record against its whole block (the others are reached by the passes that
        # use the key, or were paired before).
        wanted = np.ones(rec.n, dtype=bool) if probe is None else probe.copy()
        if blocking_pass.only_if_missing:
            wanted &= missing_key(rec, blocking_pass.only_if_missing)
        sel = wanted[recs] & ~too_big
        lo, hi, left = start[sel], end[sel], pos[sel]
    else:
        ok = ~too_big
        lo, hi, left = pos[ok] + 1, end[ok], pos[ok]
    del start, end, pos, too_big
    codes: list[np.ndarray] = []
    # Chunk the positions so no more than CHUNK_PAIRS pairs are materialised at once.
    counts = (hi - lo).clip(min=0)
    cum = np.cumsum(counts, dtype=np.int64)
    del counts
    budget = blocking_pass.max_pairs_per_record
    if budget is not None and len(cum) and cum[-1] > budget * rec.n:
        # Too loose for files this large: skipped whole, and said so in the counts.
        info.update(pairs=0, over_budget_pairs=int(cum[-1]))
        return np.empty(0, np.int64), info, skipped
    bounds = np.searchsorted(cum, np.arange(CHUNK_PAIRS, int(cum[-1]) + CHUNK_PAIRS,
                                            CHUNK_PAIRS)) if len(cum) else np.array([], int)
    begin = 0
    for stop in [*bounds.tolist(), len(left)]:
        stop = min(stop + 1, len(left))
        if stop <= begin:
            continue
        fa, fb = _expand(left[begin:stop], lo[begin:stop], hi[begin:stop])
        codes.append(_pair_codes(recs[fa], recs[fb], rec.n))
        begin = stop
    pairs = np.concatenate(codes) if codes else np.empty(0, np.int64)
    del codes
    # Sorted and without repeats (in place: a hash table of every pair would be larger).
    pairs.sort()
    if len(pairs):
        pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])]
    info["pairs"] = len(pairs)
    return pairs, info, skipped


def block(rec: Records, passes: tuple[BlockingPass, ...], max_block: int,
          probe: np.ndarray | None = None) -> Candidates:
    """Union of the passes' pairs; ``by_pass`` gives each pass's pairs and the new ones it
    added to the passes before it. The union is one sorted array of pair codes (no hash
    table over tens of millions of pairs, :func:`_union`). ``probe``: only pairs with at
    least one of these records (:func:`pass_pairs`)."""
    infos: dict[str, dict[str, int]] = {}
    skipped: dict[str, np.ndarray] = {}
    found: list[np.ndarray] = []
    for p in passes:
        codes, infos[p.name], skipped[p.name] = pass_pairs(rec, p, max_block, probe)  # sorted
        found.append(codes)
        del codes
    union, new = _union(found, rec.n)
    for p, count in zip(passes, new, strict=True):
        infos[p.name]["new_pairs"] = count
    n = max(rec.n, 1)
    a = np.empty(len(union), dtype=np.int32)
    b = np.empty(len(union), dtype=np.int32)
    for s in range(0, len(union), CHUNK_PAIRS):
        part = union[s:s + CHUNK_PAIRS]
        a[s:s + CHUNK_PAIRS] = part // n
        b[s:s + CHUNK_PAIRS] = part % n
    return Candidates(a, b, infos, skipped)


def _union(found: list[np.ndarray], n: int) -> tuple[np.ndarray, list[int]]:
    """The sorted union of the passes' pair codes (each sorted and without repeats, taken
    from ``found``, which is emptied), and how many pairs each pass adds to the passes
    before it. Each code carries its pass in its low bits, so one sort of them all puts
    every pair's earliest pass first: a sort of plain values, several times faster than
    inserting each pass's new pairs into the union in turn."""
    passes = len(found)
    bits = max(passes - 1, 1).bit_length()
    if n > 1 and (n * n) >> (62 - bits):  # codes too large to carry the pass: in turn
        union = np.empty(0, np.int64)
        added = []
        for codes in found:
            pos = np.searchsorted(union, codes)
            fresh = (union[pos.clip(max=len(union) - 1)] != codes if len(union)
                     else np.ones(len(codes), bool))
            added.append(int(fresh.sum()))
            union = np.insert(union, pos[fresh], codes[fresh])
        found.clear()
        return union, added
    tagged = np.empty(sum(len(c) for c in found), np.int64)
    at = 0
    for i, codes in enumerate(found):
        np.left_shift(codes, bits, out=tagged[at:at + len(codes)])
        tagged[at:at + len(codes)] |= i
        at += len(codes)
    found.clear()
    tagged.sort()
    which = (tagged & ((1 << bits) - 1)).astype(np.int16)
    tagged >>= bits  # the codes again, in place
    first = np.ones(len(tagged), bool)
    np.not_equal(tagged[1:], tagged[:-1], out=first[1:])
    added = np.bincount(which[first], minlength=passes)
    return tagged[first], [int(x) for x in added]


def pass_membership(rec: Records, passes: tuple[BlockingPass, ...],
                    skipped: dict[str, np.ndarray], a: np.ndarray, b: np.ndarray
                    ) -> dict[str, np.ndarray]:
    """Whether each pair ``(a[i], b[i])`` is one the pass makes, pass by pass, exactly as
    :func:`block` made them: the two records share a key value of the pass whose block was
    not skipped as too large (``skipped``: :attr:`Candidates.skipped`, by pass name), and
    ``only_if_missing`` holds for one of them. Only the pairs' own records' keys are built.
    """
    involved, local = np.unique(np.concatenate([a, b]), return_inverse=True)
    few = rec.subset(involved)
    la, lb = local[: len(a)], local[len(a):]
    out: dict[str, np.ndarray] = {}
    for blocking_pass in passes:
        joint = joint_keys(few, blocking_pass)
        too_big = skipped.get(blocking_pass.name, np.empty(0, np.int64))
        usable = (joint >= 0) & ~_isin_sorted(joint, too_big)
        ja, jb = joint[la], joint[lb]
        ua = usable[la]
        hit = np.zeros(len(a), dtype=bool)
        for k in range(joint.shape[1]):
            for m in range(joint.shape[1]):
                hit |= ua[:, k] & (ja[:, k] == jb[:, m])
        if blocking_pass.only_if_missing:
            miss = missing_key(few, blocking_pass.only_if_missing)
            hit &= miss[la] | miss[lb]
        out[blocking_pass.name] = hit & (a != b)
    return out


def _isin_sorted(values: np.ndarray, sorted_codes: np.ndarray) -> np.ndarray:
    if len(sorted_codes) == 0:
        return np.zeros(values.shape, dtype=bool)
    pos = np.searchsorted(sorted_codes, values).clip(max=len(sorted_codes) - 1)
    return sorted_codes[pos] == values


def cross_pairs(rec: Records, cand: Candidates) -> pd.DataFrame:
    """The candidate pairs that join a left record to a right one, by record_id."""
    cross = (rec.source[cand.a] == 0) & (rec.source[cand.b] == 1)
    return pd.DataFrame({"left_id": rec.record_id[cand.a[cross]],
                         "right_id": rec.record_id[cand.b[cross]]})
