"""The bootstrap's standardised difference in means (``stats.bootstrap.arm_difference``)
on public data with its own column names: the Cattaneo birth weights
(``tests/reference/data/README.md``), smokers against non-smokers, standardised over
marital status - no site, no arm column, no book vocabulary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from innovate.errors import DataError
from innovate.stats import bootstrap

DATA = Path(__file__).parent / "data" / "cattaneo2.csv"


@pytest.fixture(scope="module")
def births():
    return pd.read_csv(DATA)


def test_standardised_difference_equals_the_hand_computed_one(births):
    boot = bootstrap.stratified_bootstrap(births, ["bweight"], ["mmarried_", "mbsmoke_"], reps=400, seed=11)
    stat = bootstrap.arm_difference(boot, treated=1, control=0, arm="mbsmoke_", by="mmarried_")
    est, reps, jk = boot.apply(stat)
    means = births.groupby(["mmarried_", "mbsmoke_"])["bweight"].mean().unstack()
    share = births["mmarried_"].value_counts(normalize=True)
    expected = float(sum(share[g] * (means.loc[g, 1] - means.loc[g, 0]) for g in (0, 1)))
    assert float(np.squeeze(est)) == pytest.approx(expected, rel=1e-12)
    assert expected < -150  # babies of smokers are lighter within both groups
    # weights given explicitly replace the shares
    half = bootstrap.arm_difference(boot, {0: 0.5, 1: 0.5}, 1, 0, arm="mbsmoke_", by="mmarried_")
    half_est = float(np.squeeze(boot.apply(half)[0]))
    assert half_est == pytest.approx(0.5 * (means.loc[0, 1] - means.loc[0, 0] + means.loc[1, 1] - means.loc[1, 0]))
    # the bootstrap spread is the sampling error of a stratified difference of means
    var = births.groupby(["mmarried_", "mbsmoke_"])["bweight"].var()
    n = births.groupby(["mmarried_", "mbsmoke_"]).size()
    analytic = np.sqrt(sum(share[g] ** 2 * (var[(g, 1)] / n[(g, 1)] + var[(g, 0)] / n[(g, 0)]) for g in (0, 1)))
    assert float(np.std(reps, ddof=1)) == pytest.approx(analytic, rel=0.15)
    low, high = bootstrap.bca_interval(
        float(np.squeeze(est)), np.ravel(reps), np.ravel(jk), groups=boot.jackknife_groups
    )
    assert low < expected < high


def test_without_a_grouping_column_it_is_the_plain_difference(births):
    boot = bootstrap.stratified_bootstrap(births, ["bweight"], ["mbsmoke_"], reps=50, seed=3)
    stat = bootstrap.arm_difference(boot, treated=1, control=0, arm="mbsmoke_", by=None)
    plain = (
        births.loc[births["mbsmoke_"] == 1, "bweight"].mean() - births.loc[births["mbsmoke_"] == 0, "bweight"].mean()
    )
    assert float(np.squeeze(boot.apply(stat)[0])) == pytest.approx(plain, rel=1e-12)


def test_a_group_without_both_arms_and_an_absent_column_are_named(births):
    no_unmarried_smokers = births[~((births["mmarried_"] == 0) & (births["mbsmoke_"] == 1))]
    boot = bootstrap.stratified_bootstrap(no_unmarried_smokers, ["bweight"], ["mmarried_", "mbsmoke_"], reps=5)
    with pytest.raises(DataError, match="mmarried_ 0 needs both arms") as raised:
        bootstrap.arm_difference(boot, treated=1, control=0, arm="mbsmoke_", by="mmarried_")
    assert raised.value.problems[0].column == "mbsmoke_"
    with pytest.raises(DataError, match="no column 'site_id'"):
        bootstrap.arm_difference(boot, treated=1, control=0, arm="mbsmoke_")
