"""The one result type for an estimate with an interval (stats.results.Estimate): hand
computations of its interval at other levels and with t degrees of freedom, and the
natural (ratio) scale the ITS results use."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from innovate.stats import its
from innovate.stats.results import Estimate


def test_normal_interval_at_95_and_90_per_cent():
    e = Estimate.from_se(1.0, 0.5)
    assert (e.ci_low, e.ci_high) == pytest.approx((1 - 1.959963984540054 * 0.5, 1 + 1.959963984540054 * 0.5))
    e90 = Estimate.from_se(1.0, 0.5, level=0.90)
    assert e90.ci_high - 1.0 == pytest.approx(1.6448536269514722 * 0.5)
    assert e90.p_value == pytest.approx(e.p_value) == pytest.approx(2 * stats.norm.sf(2.0))
    assert e90.scaled(2.0).level == 0.90


def test_t_interval_and_p_value():
    e = Estimate.from_se(2.0, 1.0, df=5)
    assert e.ci_high == pytest.approx(2.0 + stats.t(5).ppf(0.975))
    assert e.p_value == pytest.approx(2 * stats.t(5).sf(2.0))


def test_log_scale_natural_values_are_ratios():
    e = Estimate.from_se(math.log(0.8), 0.1, scale="log")
    ratio, low, high = e.natural()
    assert ratio == pytest.approx(0.8)
    assert (low, high) == pytest.approx(
        (0.8 * math.exp(-1.959963984540054 * 0.1), 0.8 * math.exp(1.959963984540054 * 0.1))
    )


def test_its_module_has_no_second_estimate_type():
    assert not hasattr(its, "Estimate") or its.Estimate is Estimate


def test_numbers_at_precision_rounds_each_float_once_and_leaves_out_what_is_not_finite():
    from innovate.stats.results import numbers_at_precision

    values = {"ratio": 0.68549, "tiny": -0.0004, "count": 12, "missing": float("nan"), "label": "CS site 1"}
    digits = {"ratio": 2, "tiny": 3, "missing": 1}
    assert numbers_at_precision(values, digits) == {"ratio": 0.69, "tiny": 0.0, "count": 12, "label": "CS site 1"}
    assert str(numbers_at_precision({"x": -0.0001}, {"x": 2})["x"]) == "0.0"  # no negative zero
