"""Small vectorised helpers shared by the generator stages."""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")
_B36 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)


def unique_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """``n`` distinct integers in [low, high), drawn at random (redraws the few collisions)."""
    out = rng.integers(low, high, size=n, dtype=np.int64)
    while True:
        _, first = np.unique(out, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            return out
        out[dup] = rng.integers(low, high, size=int(dup.sum()), dtype=np.int64)


def base36(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width upper-case base-36 identifiers (the look of CWS/CMS ids), vectorised."""
    v = values.astype(np.int64).copy()
    digits = np.empty((len(v), width), dtype=np.uint8)
    for k in range(width - 1, -1, -1):
        digits[:, k] = _B36[v % 36]
        v //= 36
    return digits.view(f"S{width}").ravel().astype(str).astype(object)


def ids(rng: np.random.Generator, n: int, prefix: str, width: int) -> np.ndarray:
    """Random unique ids ``prefix`` + ``width`` base-36 characters."""
    vals = unique_ints(rng, n, 36 ** (width - 1), 36**width)
    return (
        np.char.add(prefix, base36(vals, width).astype(str)).astype(object)
        if prefix
        else base36(vals, width)
    )


def numeric_ids(rng: np.random.Generator, n: int, prefix: str, digits: int) -> np.ndarray:
    vals = unique_ints(rng, n, 10 ** (digits - 1), 10**digits)
    return np.char.add(prefix, vals.astype(str)).astype(object)


def add_years(dates: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day ``years`` later (29 February → 28 February or 1 March as pandas
    rolls it)."""
    return (pd.DatetimeIndex(dates) + pd.DateOffset(years=years)).to_numpy().astype("datetime64[D]")


def uniform_dates(
    rng: np.random.Generator,
    low: np.ndarray | np.datetime64,
    high: np.ndarray | np.datetime64,
    n: int | None = None,
) -> np.ndarray:
    """A day drawn uniformly in [low, high] (inclusive); high < low gives low."""
    lo = np.asarray(low, dtype="datetime64[D]").astype(np.int64)
    hi = np.asarray(high, dtype="datetime64[D]").astype(np.int64)
    size = n if n is not None else np.broadcast(lo, hi).shape
    span = np.maximum(hi - lo, 0) + 1
    return (lo + np.floor(rng.random(size) * span).astype(np.int64)).astype("datetime64[D]")


def pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    """Indices drawn with probabilities proportional to ``weights``."""
    w = np.asarray(weights, dtype=float)
    return rng.choice(len(w), size=n, p=w / w.sum())


def group_draw(
    rng: np.random.Generator,
    keys: np.ndarray,
    table: pd.DataFrame,
    key_cols: list[str],
    value_col: str,
) -> np.ndarray:
    """For each element of ``keys`` (tuples joined with '|'), draw ``value_col`` from the rows
    of ``table`` with that key, weighted by ``weight``. Loops over distinct keys only."""
    out = np.empty(len(keys), dtype=object)
    table_keys = table[key_cols].astype(str).agg("|".join, axis=1).to_numpy()
    codes, uniques = pd.factorize(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    for k, key in enumerate(uniques):
        idx = order[bounds[k] : bounds[k + 1]]
        rows = table[table_keys == key]
        if rows.empty:
            raise ValueError(f"no names in config/synth for {key}")
        chosen = pick(rng, rows["weight"].to_numpy(), len(idx))
        out[idx] = rows[value_col].to_numpy()[chosen]
    return out


def sizes_summing_to(rng: np.random.Generator, total: int, dist: dict[int, float]) -> np.ndarray:
    """Family sizes drawn from ``dist`` whose sum is exactly ``total`` (the last is trimmed)."""
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    values = np.array([int(k) for k in dist], dtype=np.int64)
    p = np.array(list(dist.values()), dtype=float)
    p /= p.sum()
    mean = float((values * p).sum())
    sizes = np.zeros(0, dtype=np.int64)
    while sizes.sum() < total:
        sizes = np.concatenate([sizes, rng.choice(values, size=int(total / mean * 1.05) + 16, p=p)])
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, total))
    sizes = sizes[: k + 1].copy()
    sizes[-1] -= int(cum[k] - total)
    return sizes
