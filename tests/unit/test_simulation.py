"""Tests of innovate.simulation: a fast version of the validation study, and its parts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from innovate.study import area_series
from innovate.synthetic import parameters, simulation

SEED = 20240601


@pytest.fixture(scope="module")
def quick():
    """Four replications with small cohorts: every estimator, about ten seconds."""
    return simulation.run(replications=4, per_arm=80, m=3)


def test_quick_study_has_every_estimator(quick):
    est = quick.estimates
    counts = est.groupby("estimator").size()
    sites = len(simulation._base(SEED).sites)
    for key in simulation.ESTIMATORS:
        expected = 4 if key.startswith("pooled") else 4 * sites
        assert counts[key] == expected, key
    assert np.isfinite(est[["estimate", "se", "ci_low", "ci_high"]].to_numpy()).all()
    assert (est["ci_low"] < est["estimate"]).all() and (est["estimate"] < est["ci_high"]).all()


def test_quick_study_bias_and_coverage_are_sane(quick):
    summary = quick.summary().set_index("estimator")
    for key, row in summary.iterrows():
        # bias within four Monte Carlo standard errors (plus a small absolute slack)
        assert abs(row["bias"]) < 4 * row["bias_mcse"] + 1e-3, key
        # standard errors of the right size and coverage not absurd
        assert 0.5 < row["se_ratio"] < 2.0, key
        floor = 0.5 if key.startswith("pooled") else 0.75
        assert row["coverage"] >= floor, key


def test_summary_by_hand():
    frame = pd.DataFrame(
        {
            "estimator": "gee_mi",
            "replication": [0, 1, 2, 3],
            "site_id": "x",
            "truth": 1.0,
            "estimate": [1.1, 0.9, 1.2, 1.0],
            "se": [0.1, 0.1, 0.1, 0.1],
            "ci_low": [0.9, 0.7, 1.05, 0.8],
            "ci_high": [1.3, 1.1, 1.35, 1.2],
        }
    )
    row = simulation.summarise(frame).iloc[0]
    err = np.array([0.1, -0.1, 0.2, 0.0])
    assert row["bias"] == pytest.approx(err.mean())
    assert row["rmse"] == pytest.approx(math.sqrt(np.mean(err**2)))
    assert row["coverage"] == pytest.approx(0.75)
    assert row["coverage_mcse"] == pytest.approx(math.sqrt(0.75 * 0.25 / 4))
    assert row["bias_mcse"] == pytest.approx(err.std(ddof=1) / 2)
    assert not row["in_target"]


def test_replications_do_not_depend_on_workers():
    one = simulation.run(replications=2, per_arm=60, m=2, estimators=("its_level", "gee_available"))
    two = simulation.run(replications=2, per_arm=60, m=2, estimators=("its_level", "gee_available"), n_jobs=2)
    pd.testing.assert_frame_equal(one.estimates, two.estimates)
    again = simulation.run(replications=2, per_arm=60, m=2, estimators=("its_level", "gee_available"))
    pd.testing.assert_frame_equal(one.estimates, again.estimates)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        simulation.run(replications=1, estimators=("nonsense",))
    with pytest.raises(ValueError):
        simulation.run(replications=0)


def test_site_effect_draws_centre_on_the_generator():
    base = simulation._base(SEED)
    rng = np.random.default_rng(0)
    draws = np.array([list(simulation.draw_parameters(base, rng)[1].values()) for _ in range(400)])
    assert draws.mean() == pytest.approx(base.mu, abs=3 * base.tau / math.sqrt(draws.size))
    params, logs = simulation.draw_parameters(base, np.random.default_rng(1))
    for s, value in logs.items():
        assert math.log(params.sites[s].cohort_effects.missing_episodes_rate_ratio) == pytest.approx(value)
    # the base parameters are not changed by a draw
    fresh = parameters.default_parameters(SEED)
    assert base.params.sites["devon"].cohort_effects == fresh.sites["devon"].cohort_effects


def test_site_series_draws_match_the_generator_model():
    base = simulation._base(SEED)
    rng = np.random.default_rng(3)
    draws = np.stack([simulation.simulate_site_series(base, "reading", rng)["count"].to_numpy() for _ in range(300)])
    expected = base.area_templates["reading"]["expected"].to_numpy()
    assert np.allclose(draws.mean(axis=0).sum(), expected.sum(), rtol=0.01)
    # over-dispersed as NB2: variance mu + alpha mu^2
    alpha = base.params.series.dispersion[simulation.ITS_MEASURE]
    ratio = draws.var(axis=0).mean() / (expected + alpha * expected**2).mean()
    assert 0.8 < ratio < 1.2


def test_direct_its_fit_equals_fit_site_series():
    base = simulation._base(SEED)
    rows = simulation.simulate_site_series(base, "hackney", np.random.default_rng(4))
    direct = simulation.fit_site_its(base, "hackney", rows)
    reference = area_series.fit_site_series("hackney", simulation.ITS_MEASURE, frame=rows)
    pd.testing.assert_series_equal(direct.params, reference.params)
    assert direct.level.natural()[0] == pytest.approx(reference.level.natural()[0])


def test_its_truth_accounts_for_the_slope_origin():
    # with no noise at all (expected counts as data) the ITS model recovers the truth
    base = simulation._base(SEED)
    rows = base.area_templates["devon"].copy()
    rows["count"] = rows["expected"]
    fit = simulation.fit_site_its(base, "devon", rows)
    eff = base.params.sites["devon"].its[simulation.ITS_MEASURE]
    assert float(fit.params["slope"]) == pytest.approx(eff.slope_change_per_month, abs=1e-6)
    assert float(fit.params["level"]) == pytest.approx(
        math.log(eff.level_rate_ratio) - eff.slope_change_per_month, abs=1e-6
    )


def test_pooling_study_wald_undercovers_when_sites_differ():
    v = np.full(6, 0.008)
    study = simulation.pooling_study(v, [0.0, 0.3], replications=400, seed=5)
    assert set(study["interval"]) == set(simulation.INTERVAL_LABELS.values())
    cov = study.set_index(["tau", "interval"])["coverage"]
    assert cov[(0.3, "Wald")] < cov[(0.3, "HKSJ")]
    assert cov[(0.3, "Wald")] < 0.93  # far outside the target with this much heterogeneity
    assert 0.9 < cov[(0.3, "HKSJ")] <= 1.0
    assert cov[(0.0, "HKSJ, never narrower than Wald")] >= cov[(0.0, "HKSJ")]
    assert simulation.plot_pooling(study, marker_tau=0.1).axes[0].get_ylabel().startswith("Coverage")


def test_book_size_variances_scale_with_cohort():
    frame = pd.DataFrame({"estimator": "gee_mi", "site_id": ["a", "a", "b"], "se": [0.2, 0.2, 0.1]})
    v = simulation.book_size_variances(frame, "gee_mi", per_arm=100, book_per_arm=300)
    assert v["a"] == pytest.approx(0.04 / 3) and v["b"] == pytest.approx(0.01 / 3)


def test_summary_display_and_coverage_plot(quick):
    table = simulation.summary_display(quick.summary())
    assert "Coverage (MC SE)" in table.columns and len(table) == len(simulation.ESTIMATORS)
    assert table.loc[simulation.ESTIMATORS["pooled_wald"], "Used in the book"].startswith("no")
    fig = simulation.plot_coverage(quick.summary())
    assert len(fig.axes[0].get_yticklabels()) == len(simulation.ESTIMATORS)
