"""The comparison statistics against hand computation."""

from __future__ import annotations

import pytest

from linkages.outcomes import stats


def test_wilson_interval_of_12_of_40():
    # p = .3, z^2/n = .096: centre (.3 + .048) / 1.096 = .3175;
    # half 1.96 * sqrt(.21/40 + 3.8415/6400) / 1.096 = .1368
    low, high = stats.wilson(12, 40)
    assert (round(low, 4), round(high, 4)) == (0.1807, 0.4543)
    assert stats.wilson(0, 0) is None


def test_rate_ratio_with_log_interval():
    # 20 events in 4,000 days vs 30 in 12,000: IRR 2; SE sqrt(1/20 + 1/30) = .28868;
    # 2 * exp(-+1.96 * .28868) = 1.1358, 3.5217
    irr, (low, high) = stats.rate_ratio(20, 4000, 30, 12000)
    assert irr == pytest.approx(2.0)
    assert (round(low, 4), round(high, 4)) == (1.1358, 3.5217)


def test_risk_ratio_undefined_with_no_events_in_the_other_group():
    assert stats.risk_ratio(5, 50, 0, 60) == (None, None)
    rr, ci = stats.risk_ratio(0, 50, 6, 60)
    assert rr == 0 and ci is None
