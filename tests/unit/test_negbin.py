"""The one NB2 dispersion estimator against statsmodels' discrete NegativeBinomial on
public data (statsmodels' bundled RAND health insurance experiment, doctor visits),
with and without an offset, and its floor when there is no overdispersion."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from innovate.stats import negbin


@pytest.fixture(scope="module")
def randhie():
    data = sm.datasets.randhie.load_pandas().data.iloc[:3000]
    y = data["mdvis"].to_numpy(float)
    X = sm.add_constant(data[["lncoins", "idp", "lpi", "fmde", "physlm", "disea"]].to_numpy(float))
    return y, X, data


def test_alpha_equals_statsmodels(randhie):
    y, X, _ = randhie
    ref = sm.NegativeBinomial(y, X, loglike_method="nb2").fit(disp=0, maxiter=200)
    assert negbin.estimate_nb_alpha(y, X) == pytest.approx(float(ref.params[-1]), rel=1e-4)


def test_alpha_with_an_offset_equals_statsmodels(randhie):
    y, X, data = randhie
    offset = np.log1p(data["hlthp"].to_numpy(float)) + 0.3
    ref = sm.NegativeBinomial(y, X, offset=offset, loglike_method="nb2").fit(disp=0, maxiter=200)
    notes: list[str] = []
    assert negbin.estimate_nb_alpha(y, X, offset, notes) == pytest.approx(float(ref.params[-1]), rel=1e-4)
    assert notes == []


def test_no_overdispersion_gives_the_floor_and_a_note():
    rng = np.random.default_rng(3)
    X = np.column_stack([np.ones(4000), rng.normal(size=4000)])
    y = rng.poisson(np.exp(0.5 + 0.3 * X[:, 1])).astype(float)
    y[:] = np.round(np.exp(0.5 + 0.3 * X[:, 1]))  # under-dispersed: maximum at the boundary
    notes: list[str] = []
    alpha = negbin.estimate_nb_alpha(y, X, None, notes)
    assert alpha < negbin.ALPHA_NEAR_ZERO and "no overdispersion" in notes[0]
