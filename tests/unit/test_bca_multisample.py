"""The stratified BCa interval against scipy.stats.bootstrap(method='BCa') on a
two-sample statistic: given scipy's own bootstrap distribution, the per-stratum
(multi-sample) jackknife acceleration reproduces scipy's interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from innovate.stats import bootstrap


@pytest.fixture(scope="module")
def two_arms():
    rng = np.random.default_rng(7)
    # skewed costs and unequal arm sizes, so the acceleration matters
    a = rng.lognormal(0.0, 1.0, 40)
    b = rng.lognormal(0.3, 0.8, 25)
    frame = pd.DataFrame(
        {"site_id": "s", "arm": ["innovation"] * len(a) + ["comparison"] * len(b), "cost": np.r_[a, b]}
    )
    return a, b, frame


def _scipy(a, b):
    return stats.bootstrap(
        (a, b),
        lambda x, y, axis=-1: np.mean(x, axis=axis) - np.mean(y, axis=axis),
        method="BCa",
        n_resamples=4000,
        confidence_level=0.95,
        rng=np.random.default_rng(11),
    )


def test_stratified_bca_matches_scipy_multi_sample(two_arms):
    a, b, frame = two_arms
    res = _scipy(a, b)
    boot = bootstrap.stratified_bootstrap(frame, ["cost"], ["site_id", "arm"], reps=10, seed=1)
    est, _, jk = boot.apply(bootstrap.arm_difference(boot))
    assert est[0] == pytest.approx(a.mean() - b.mean())
    lo, hi = bootstrap.bca_interval(est[0], res.bootstrap_distribution, jk[:, 0], groups=boot.jackknife_groups)
    assert (lo, hi) == pytest.approx((res.confidence_interval.low, res.confidence_interval.high), rel=1e-10)


def test_pooled_jackknife_acceleration_differs_from_scipy(two_arms):
    """The old pooled form (all strata's jackknife values as one sample) is not scipy's."""
    a, b, frame = two_arms
    res = _scipy(a, b)
    boot = bootstrap.stratified_bootstrap(frame, ["cost"], ["site_id", "arm"], reps=10, seed=1)
    est, _, jk = boot.apply(bootstrap.arm_difference(boot))
    pooled = bootstrap.bca_interval(est[0], res.bootstrap_distribution, jk[:, 0])
    assert pooled[1] != pytest.approx(res.confidence_interval.high, rel=1e-4)


def test_acceleration_by_hand_for_two_samples():
    jk = np.array([1.0, 2.0, 6.0, 0.0, 0.0, 3.0])  # blocks of 3 and 3
    # block 1: mean 3, u = 2*(3 - v) = (4, 2, -6); block 2: mean 1, u = (2, 2, -4)
    num = (64 + 8 - 216) / 27 + (8 + 8 - 64) / 27
    den = (16 + 4 + 36) / 9 + (4 + 4 + 16) / 9
    assert bootstrap._acceleration(jk, [3, 3]) == pytest.approx(num / (6 * den**1.5))


def test_one_block_is_the_single_sample_formula():
    jk = np.array([1.0, 2.0, 6.0, 0.5])
    d = jk.mean() - jk
    assert bootstrap._acceleration(jk, [4]) == pytest.approx((d**3).sum() / (6 * (d**2).sum() ** 1.5))
    with pytest.raises(ValueError):
        bootstrap._acceleration(jk, [3])
