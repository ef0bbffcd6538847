"""The GEE and mixed-model engines on public data with their own column names, against
statsmodels (``tests/reference/data/README.md``): the epilepsy seizure counts (NB GEE,
a treatment arm) and the pig growth data (a one-group mixed model, no arm)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from innovate.stats import gee, mixed, negbin

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def epil():
    d = pd.read_csv(DATA / "epil.csv", index_col=0)
    d["progabide"] = (d["trt"] == "progabide").astype(float)
    # shuffled: the engine must sort the rows of each patient itself
    return d.sample(frac=1.0, random_state=4).reset_index(drop=True)


TERMS = ["progabide", "lbase", "lage"]


def _statsmodels_gee(d, alpha, structure, cov_type):
    d = d.sort_values(["subject", "period"], kind="stable")
    model = smf.gee(
        "y ~ progabide + lbase + lage",
        groups="subject",
        data=d,
        time=d["period"].to_numpy() - 1,
        family=sm.families.NegativeBinomial(alpha=alpha),
        cov_struct=structure,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(cov_type=cov_type, maxiter=100)


@pytest.mark.parametrize("cov_type", ["robust", "bias_reduced", "naive"])
def test_fast_nb_gee_equals_statsmodels_on_epil(epil, cov_type):
    ours = gee.fit_nb_gee(epil, "y", TERMS, "progabide", group="subject", time="period", cov_type=cov_type)
    X = sm.add_constant(epil[TERMS].to_numpy(float))
    assert ours.alpha == pytest.approx(negbin.estimate_nb_alpha(epil["y"].to_numpy(float), X))
    ref = _statsmodels_gee(epil, ours.alpha, sm.cov_struct.Exchangeable(), cov_type)
    assert ours.engine == "fast" and ours.n_people == 59 and ours.n_obs == 236
    np.testing.assert_allclose(ours.params.to_numpy(), np.asarray(ref.params), rtol=1e-6, atol=1e-8)
    assert ours.effect.se == pytest.approx(float(ref.bse["progabide"]), rel=1e-5)
    assert ours.working_correlation == pytest.approx(float(ref.model.cov_struct.dep_params), rel=1e-5)


def test_ar1_gee_runs_statsmodels_with_positions_of_time(epil):
    ours = gee.fit_nb_gee(epil, "y", TERMS, "progabide", group="subject", time="period", cov_struct="ar1", alpha=0.4)
    ref = _statsmodels_gee(epil, 0.4, sm.cov_struct.Autoregressive(grid=True), "robust")
    assert ours.engine == "statsmodels"
    assert ours.effect.estimate == pytest.approx(float(ref.params["progabide"]), rel=1e-8)
    assert ours.working_correlation == pytest.approx(float(ref.model.cov_struct.dep_params), rel=1e-8)


def test_gee_names_a_missing_column(epil):
    with pytest.raises(ValueError, match="visit"):
        gee.fit_nb_gee(epil, "y", TERMS, "progabide", group="subject", time="visit")


@pytest.fixture(scope="module")
def dietox():
    d = pd.read_csv(DATA / "dietox.csv", index_col=0)
    return d.sample(frac=1.0, random_state=2).reset_index(drop=True)


def _statsmodels_growth(d, re_formula):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # statsmodels' default BFGS stops short here (converged False); L-BFGS converges
        fit = smf.mixedlm("Weight ~ Time", d, groups=d["Pig"], re_formula=re_formula).fit(reml=True, method=["lbfgs"])
    assert fit.converged
    return fit


def test_one_group_growth_model_equals_statsmodels_mixedlm(dietox):
    ours = mixed.fit_lmm(dietox, "Weight", ["Time"], "Time", group="Pig", time="Time")
    ref = _statsmodels_growth(dietox, "~Time")
    assert ours.random_slope and ours.n_people == 72 and ours.n_obs == len(dietox)
    np.testing.assert_allclose(ours.params.to_numpy(), ref.fe_params.to_numpy(), rtol=1e-5)
    assert ours.variance_components["residual"] == pytest.approx(float(ref.scale), rel=1e-4)
    assert ours.variance_components["intercept"] == pytest.approx(float(ref.cov_re.iloc[0, 0]), rel=1e-3)
    assert ours.variance_components["slope"] == pytest.approx(float(ref.cov_re.iloc[1, 1]), rel=1e-3)
    # model-based (X'V^-1X)^-1 errors, as R's nlme; statsmodels' differ slightly
    assert ours.effect.se == pytest.approx(float(ref.bse["Time"]), rel=0.02)


def test_one_group_model_by_the_statsmodels_engine(dietox):
    ours = mixed.fit_lmm(dietox, "Weight", ["Time"], "Time", group="Pig", time="Time", engine="statsmodels")
    ref = _statsmodels_growth(dietox, "~Time")
    assert ours.effect.estimate == pytest.approx(float(ref.fe_params["Time"]), rel=1e-6)
    assert ours.effect.se == pytest.approx(float(ref.bse["Time"]), rel=1e-4)


def test_random_intercept_only_on_request(dietox):
    ours = mixed.fit_lmm(dietox, "Weight", ["Time"], "Time", group="Pig", time="Time", random_slope=False)
    ref = _statsmodels_growth(dietox, "1")
    assert not ours.random_slope and "as requested" in ours.note
    assert ours.effect.estimate == pytest.approx(float(ref.fe_params["Time"]), rel=1e-6)
    assert ours.effect.se == pytest.approx(float(ref.bse["Time"]), rel=0.02)
