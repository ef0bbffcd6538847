"""Multiple imputation on public data with its own column names: statsmodels' bundled
RAND health insurance experiment, with values of a covariate deleted at random given an
observed variable (MAR). The pooled (Rubin) OLS coefficient recovers the statsmodels OLS
fit to the complete data; complete cases, which are biased under this MAR pattern, do not."""

from __future__ import annotations

import numpy as np
import pytest
import statsmodels.api as sm

from innovate.errors import DataError
from innovate.stats import mi

COVARIATES = ["disea", "lncoins", "physlm"]


@pytest.fixture(scope="module")
def rand():
    data = sm.datasets.randhie.load_pandas().data.iloc[:4000].copy()
    data["log_visits"] = np.log1p(data["mdvis"])
    full = sm.OLS(data["log_visits"], sm.add_constant(data[COVARIATES])).fit()
    rng = np.random.default_rng(5)
    # more diseases go missing among people with many visits: complete cases are biased
    p = 1 / (1 + np.exp(-(-1.5 + 1.2 * (data["log_visits"] - data["log_visits"].mean()))))
    gappy = data.copy()
    gappy.loc[rng.random(len(data)) < p, "disea"] = np.nan
    return data, gappy, full


def _pooled(gappy, m=20):
    rng = np.random.default_rng(11)
    done = mi.chained_equations(gappy, ["disea"], ["log_visits", "lncoins", "physlm"], m, rng, method="pmm")
    fits = [sm.OLS(d["log_visits"], sm.add_constant(d[COVARIATES])).fit() for d in done]
    return mi.rubin([f.params["disea"] for f in fits], [f.bse["disea"] ** 2 for f in fits])


def test_pooled_estimate_recovers_the_complete_data_fit(rand):
    data, gappy, full = rand
    pooled = _pooled(gappy)
    truth = float(full.params["disea"])
    assert pooled.effect.ci_low < truth < pooled.effect.ci_high
    assert abs(pooled.effect.estimate - truth) < 1.0 * float(full.bse["disea"])
    assert pooled.effect.se > float(full.bse["disea"])  # missing information costs precision
    kept = gappy.dropna(subset=["disea"])
    cc = sm.OLS(kept["log_visits"], sm.add_constant(kept[COVARIATES])).fit()
    assert abs(cc.params["disea"] - truth) > abs(pooled.effect.estimate - truth)


def test_gap_in_a_predictor_is_named_with_source_column_and_row(rand):
    _, gappy, _ = rand
    frame = gappy.reset_index(drop=True)
    frame.loc[3, "lncoins"] = np.nan
    with pytest.raises(DataError) as err:
        mi.impute_arrays(frame, ["disea"], ["lncoins"], 2, np.random.default_rng(1), source="randhie")
    problem = err.value.problems[0]
    assert (problem.file, problem.column, problem.row) == ("randhie", "lncoins", 4)
