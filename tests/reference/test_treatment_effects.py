"""Reference: IPW and AIPW effects and their sandwich standard errors against
statsmodels' ``TreatmentEffect`` (a GMM fit of the same stacked moments) on the public
Cattaneo birth-weight data (``tests/reference/data/README.md``)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.treatment.treatment_effects import TreatmentEffect

from innovate.stats import weighting

DATA = Path(__file__).parent / "data" / "cattaneo2.csv"
SELECT = ["mmarried_", "mage", "mage2", "fbaby_", "medu"]
OUTCOME = ["prenatal1_", "mmarried_", "mage", "fbaby_"]


@pytest.fixture(scope="module")
def births():
    d = pd.read_csv(DATA)
    t = d["mbsmoke_"].to_numpy(float)
    y = d["bweight"].to_numpy(float)
    Xp = sm.add_constant(d[SELECT].to_numpy(float))
    Xo = sm.add_constant(d[OUTCOME].to_numpy(float))
    te = TreatmentEffect(sm.OLS(y, Xo), t, results_select=sm.Logit(t, Xp).fit(disp=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the GMM refit's optimiser messages
        return y, t, Xp, Xo, te.aipw(), te.ipw()


def test_aipw_estimate_and_stacked_sandwich_se_match_statsmodels(births):
    y, t, Xp, Xo, aipw_sm, _ = births
    ours = weighting.aipw_effect(y, t, Xp, Xo)
    assert ours.estimate == pytest.approx(float(aipw_sm.effect[0]), rel=1e-8)
    # statsmodels' GMM covariance uses a numerical Jacobian: agreement to ~1e-6
    assert ours.se == pytest.approx(float(np.asarray(aipw_sm.results_gmm.bse)[0]), rel=1e-4)


def test_aipw_se_is_larger_than_the_known_models_se(births):
    """The efficient-influence-function SE (fitted models treated as known) is too small
    here; the stacked sandwich corrects it."""
    y, t, Xp, Xo, _, _ = births
    ours = weighting.aipw_effect(y, t, Xp, Xo)
    e = 1 / (1 + np.exp(-(Xp @ sm.Logit(t, Xp).fit(disp=0).params)))
    b1 = np.linalg.lstsq(Xo[t == 1], y[t == 1], rcond=None)[0]
    b0 = np.linalg.lstsq(Xo[t == 0], y[t == 0], rcond=None)[0]
    m1, m0 = Xo @ b1, Xo @ b0
    phi = m1 + t * (y - m1) / e - m0 - (1 - t) * (y - m0) / (1 - e)
    known = np.sqrt(np.sum((phi - phi.mean()) ** 2)) / len(y)
    assert ours.se > known * 1.02


def test_ipw_estimate_and_se_match_statsmodels(births):
    y, t, Xp, _, _, ipw_sm = births
    ours = weighting.ipw_effect(y, t, Xp)
    assert ours.estimate == pytest.approx(float(ipw_sm.effect[0]), rel=1e-8)
    assert ours.se == pytest.approx(float(np.asarray(ipw_sm.results_gmm.bse)[0]), rel=1e-4)


def test_frame_wrapper_takes_the_datasets_own_columns(births):
    _, _, _, _, aipw_sm, ipw_sm = births
    frame = pd.read_csv(DATA)
    ipw, aipw = weighting.weighted_effects_frame(
        frame, "bweight", SELECT, treatment="mbsmoke_", outcome_covariates=OUTCOME, source="cattaneo2.csv"
    )
    assert ipw.estimate == pytest.approx(float(ipw_sm.effect[0]), rel=1e-8)
    assert aipw.estimate == pytest.approx(float(aipw_sm.effect[0]), rel=1e-8)
    assert aipw.se == pytest.approx(float(np.asarray(aipw_sm.results_gmm.bse)[0]), rel=1e-4)


def test_frame_wrapper_names_a_gap_by_column_and_row():
    from innovate.errors import DataError

    frame = pd.read_csv(DATA).head(200)
    frame.loc[7, "medu"] = np.nan
    with pytest.raises(DataError) as err:
        weighting.weighted_effects_frame(frame, "bweight", SELECT, treatment="mbsmoke_", source="cattaneo2.csv")
    problem = err.value.problems[0]
    assert (problem.file, problem.column, problem.row) == ("cattaneo2.csv", "medu", 8)


def test_a_repeated_outcome_column_changes_nothing(births):
    """The baseline score can be both a propensity covariate and the outcome model's
    baseline term; the repeated column is dropped, not allowed to make A singular."""
    y, t, Xp, Xo, _, _ = births
    once = weighting.aipw_effect(y, t, Xp, Xo)
    twice = weighting.aipw_effect(y, t, Xp, np.column_stack([Xo, Xo[:, 2]]))
    assert twice.estimate == pytest.approx(once.estimate, rel=1e-9)
    assert twice.se == pytest.approx(once.se, rel=1e-9)
