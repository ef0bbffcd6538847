"""The change-score weighting engine (``stats.weighting.change_effects``) on public data
with its own column names: the epilepsy trial (``tests/reference/data/README.md``), the
change in the two-weekly seizure count from the 8-week baseline to the fourth visit,
progabide against placebo, against statsmodels' ``TreatmentEffect``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.treatment.treatment_effects import TreatmentEffect

from innovate.errors import DataError
from innovate.stats import weighting

DATA = Path(__file__).parent / "data" / "epil.csv"


@pytest.fixture(scope="module")
def patients():
    long = pd.read_csv(DATA, index_col=0)
    wide = long[long["period"] == 4][["subject", "trt", "base", "age", "y"]].reset_index(drop=True)
    wide["progabide"] = (wide["trt"] == "progabide").astype(float)
    wide["seizures_before"] = wide["base"] / 4.0  # the baseline covers 8 weeks, each visit 2
    return wide.rename(columns={"y": "seizures_visit_4"})


def _statsmodels(wide):
    y = (wide["seizures_visit_4"] - wide["seizures_before"]).to_numpy(float)
    t = wide["progabide"].to_numpy(float)
    Xp = sm.add_constant(wide[["age"]].to_numpy(float))
    Xo = np.column_stack([Xp, wide["seizures_before"].to_numpy(float)])
    te = TreatmentEffect(sm.OLS(y, Xo), t, results_select=sm.Logit(t, Xp).fit(disp=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the GMM refit's optimiser messages
        return te.ipw(), te.aipw()


def test_change_effects_equal_statsmodels(patients):
    ipw_sm, aipw_sm = _statsmodels(patients)
    done = weighting.change_effects(
        patients, "seizures_before", "seizures_visit_4", "progabide", ["age"], source="epil.csv"
    )
    assert (done.m, done.n) == (1, 59)
    assert done.ipw.estimate == pytest.approx(float(ipw_sm.effect[0]), rel=1e-8)
    assert done.aipw.estimate == pytest.approx(float(aipw_sm.effect[0]), rel=1e-8)
    assert done.aipw.se == pytest.approx(float(np.asarray(aipw_sm.results_gmm.bse)[0]), rel=1e-3)


def test_identical_imputations_pool_to_the_complete_data_answer(patients):
    single = weighting.change_effects(patients, "seizures_before", "seizures_visit_4", "progabide", ["age"])
    same = (patients["seizures_before"].to_numpy(), patients["seizures_visit_4"].to_numpy())
    pooled = weighting.change_effects(
        patients, "seizures_before", "seizures_visit_4", "progabide", ["age"], completed=[same] * 3
    )
    assert (pooled.m, pooled.n) == (3, 59)
    # no between-imputation variance: Rubin's rules give back the one data set's answer
    assert pooled.aipw.estimate == pytest.approx(single.aipw.estimate, rel=1e-12)
    assert pooled.aipw.se == pytest.approx(single.aipw.se, rel=1e-12)
    assert pooled.ipw.estimate == pytest.approx(single.ipw.estimate, rel=1e-12)


def test_complete_cases_and_a_named_gap(patients):
    gappy = patients.copy()
    gappy.loc[[3, 10], "seizures_visit_4"] = np.nan
    done = weighting.change_effects(gappy, "seizures_before", "seizures_visit_4", "progabide", ["age"])
    assert done.n == 57
    gappy.loc[5, "age"] = np.nan
    with pytest.raises(DataError) as err:
        weighting.change_effects(gappy, "seizures_before", "seizures_visit_4", "progabide", ["age"], source="epil.csv")
    problem = err.value.problems[0]
    assert (problem.file, problem.column, problem.row) == ("epil.csv", "age", 6)
    with pytest.raises(DataError, match="column missing"):
        weighting.change_effects(patients, "seizures_before", "seizures_visit_4", "treated", ["age"])
