"""Confidence intervals and ratios for comparing matched with other families.

Proportions: Wilson score interval. Risk ratio: log method,
``SE(ln RR) = sqrt(1/a − 1/n1 + 1/c − 1/n2)``. Per-day rates: rate ratio with
``SE(ln IRR) = sqrt(1/x1 + 1/x2)``, and each rate's interval by the same log method
(``rate · exp(± z / sqrt(x))``). All 95% (z = 1.959964).
"""

from __future__ import annotations

import math
from statistics import NormalDist

Z95 = NormalDist().inv_cdf(0.975)


def wilson(x: float, n: float, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of the proportion x/n (fractions 0-1); None when n is 0."""
    if n <= 0:
        return None
    p = x / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def risk_ratio(a: float, n1: float, c: float, n2: float,
               z: float = Z95) -> tuple[float | None, tuple[float, float] | None]:
    """(a/n1) / (c/n2) with the log-method interval; None where it is undefined (a zero)."""
    if n1 <= 0 or n2 <= 0 or c == 0:
        return None, None
    rr = (a / n1) / (c / n2)
    if a == 0:
        return rr, None
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return rr, (rr * math.exp(-z * se), rr * math.exp(z * se))


def rate_ratio(x1: float, t1: float, x2: float, t2: float,
               z: float = Z95) -> tuple[float | None, tuple[float, float] | None]:
    """(x1/t1) / (x2/t2) with ``SE(ln IRR) = sqrt(1/x1 + 1/x2)``."""
    if t1 <= 0 or t2 <= 0 or x2 == 0:
        return None, None
    irr = (x1 / t1) / (x2 / t2)
    if x1 == 0:
        return irr, None
    se = math.sqrt(1 / x1 + 1 / x2)
    return irr, (irr * math.exp(-z * se), irr * math.exp(z * se))


def rate_interval(x: float, t: float, z: float = Z95) -> tuple[float, float] | None:
    """Log-method interval of the rate x/t (per day); None when x or t is 0."""
    if x <= 0 or t <= 0:
        return None
    rate = x / t
    half = z / math.sqrt(x)
    return rate * math.exp(-half), rate * math.exp(half)
