"""Masking of published outcome tables (seed 001), in one place for every output.

"Values of 1 to 10 and calculations based on values of 1 to 10 are masked. In stratified views
of the data, additional values (the lowest available) are masked to prevent calculation of
values 1 to 10." A zero, and a quotient 0/0, is shown as ".".

* **Primary**: a count (numerator or denominator) of 1 to 10.
* **Complementary**: a count that sums with others to a published total can be recovered by
  subtraction when it is the only masked one among them. So for every such *relation* (the
  rows of a table and their total; in a table by two or more dimensions also the rows sharing
  a value of one dimension, whose sum the one-dimension table publishes), when exactly one of
  its cells is masked the lowest unmasked non-zero cell is masked too, and this repeats until
  nothing changes (masking one cell can break another relation).
* **Derived**: a percent or rate is masked when its numerator or denominator is.

Unmasked output (``masked=False``) is for authorised users only (``--unmasked``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MASK = "M"
ZERO = "."
SMALLEST_SHOWN = 11


def primary(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return (v >= 1) & (v < SMALLEST_SHOWN)


@dataclass(frozen=True)
class Relation:
    """Cells (row positions) whose sum is published, and whether the total is a row of its own
    (``with_total``: the table's total cell, index ``-1`` in :func:`suppress`)."""

    rows: np.ndarray
    with_total: bool


def suppress(values: Sequence[float] | np.ndarray, total: float,
             relations: Sequence[Relation]) -> tuple[np.ndarray, bool]:
    """Primary and complementary suppression of one additive column.

    Returns (masked rows, masked total).
    """
    v = np.asarray(values, dtype=float)
    masked = primary(v)
    total_masked = bool(primary(np.array([total]))[0])
    changed = True
    while changed:
        changed = False
        for rel in relations:
            rows = rel.rows
            n_masked = int(masked[rows].sum()) + int(rel.with_total and total_masked)
            if n_masked != 1:
                continue
            candidates = rows[~masked[rows] & (v[rows] > 0)]
            if len(candidates):
                masked[candidates[np.argmin(v[candidates])]] = True
                changed = True
            elif rel.with_total and not total_masked and total > 0:
                total_masked = True
                changed = True
    return masked, total_masked


def table_relations(group_keys: Sequence[tuple], with_total: bool = True) -> list[Relation]:
    """The additive relations of a table whose rows are ``group_keys`` (tuples of dimension
    values): all rows against the total; with two or more dimensions, also the rows sharing each
    value of each dimension (their sum is published by the table of that dimension alone)."""
    n = len(group_keys)
    relations = [Relation(np.arange(n), with_total)]
    if n and len(group_keys[0]) > 1:
        for d in range(len(group_keys[0])):
            by_value: dict[object, list[int]] = {}
            for i, key in enumerate(group_keys):
                by_value.setdefault(key[d], []).append(i)
            relations += [Relation(np.array(ix), False) for ix in by_value.values() if len(ix) > 1]
    return relations


def show_count(value: float, masked: bool, unmasked: bool) -> int | float | str:
    """A count as published; unmasked output keeps plain numbers (0 stays 0)."""
    if unmasked:
        return int(value) if float(value).is_integer() else value
    if value == 0:
        return ZERO
    if masked:
        return MASK
    return int(value) if float(value).is_integer() else value


def show_quotient(value: float | None, masked: bool, unmasked: bool,
                  digits: int) -> float | str | None:
    """A percent or rate: "." for zero or 0/0, "M" when derived from a masked count."""
    if unmasked:
        return None if value is None or value != value else round(float(value), digits)
    if masked:
        return MASK
    if value is None or value != value or value == 0:  # zero, or 0/0
        return ZERO
    return round(float(value), digits)
