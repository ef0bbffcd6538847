"""I-squared in its tau-squared form (Higgins and Thompson 2002; metafor's definition):
by hand, equal to (Q - df) / Q under DL, and consistent with the REML tau-squared."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize

from innovate.stats import meta

Y = np.array([0.10, 0.45, -0.20])
V = np.array([0.01, 0.02, 0.04])  # w = 100, 50, 25


def test_typical_variance_by_hand():
    # (k - 1) sum w / ((sum w)^2 - sum w^2) = 2 * 175 / (30625 - 13125) = 0.02
    assert meta.typical_variance(V) == pytest.approx(0.02)


def _reml_tau2(y, v):
    """REML tau-squared by direct maximisation of the restricted log-likelihood."""

    def negll(tau2):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + tau2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    return optimize.minimize_scalar(negll, bounds=(0, 10), method="bounded", options={"xatol": 1e-12}).x


def test_reml_i2_uses_the_reml_tau2():
    res = meta.meta_analysis(Y, V, method="REML")
    tau2 = _reml_tau2(Y, V)
    assert res.tau2 == pytest.approx(tau2, rel=1e-6)
    assert res.i2 == pytest.approx(tau2 / (tau2 + 0.02), rel=1e-6)
    # not the Q-based value, which belongs to the DL estimator
    assert res.i2 != pytest.approx(max(0.0, (res.q - 2) / res.q), rel=1e-3)


def test_dl_i2_is_the_q_form():
    res = meta.meta_analysis(Y, V, method="DL")
    # Q by hand: mu_FE = (10 + 22.5 - 5) / 175
    mu = 27.5 / 175
    q = 100 * (0.10 - mu) ** 2 + 50 * (0.45 - mu) ** 2 + 25 * (-0.20 - mu) ** 2
    assert res.q == pytest.approx(q)
    assert res.i2 == pytest.approx((q - 2) / q)
    assert res.tau2 == pytest.approx((q - 2) / (175 - 13125 / 175))


def test_no_heterogeneity_gives_zero():
    res = meta.meta_analysis([0.1, 0.1, 0.1], V, method="REML")
    assert res.tau2 == 0 and res.i2 == 0
