"""Tests of innovate.stats.its and the site series: the model's parts, refusals, errors and figures
(the Sicily reproduction is in tests/reference)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.diagnostic import acorr_breusch_godfrey

from innovate.data import sicily as data_sicily
from innovate.errors import DataError
from innovate.show import area_display, figures
from innovate.stats import its
from innovate.study import area_series, its_validation


@pytest.fixture(scope="module")
def sicily():
    return data_sicily.sicily()


# --------------------------------------------------------------------------------------
# The model's parts


def simulate(
    n_pre=36, n_post=36, level=0.8, slope=1.01, trend=1.002, seed=7, pop=250_000.0, base=4e-4, season=0.15, alpha=0.0
):
    """A monthly Poisson (or NB) series with known level and slope change."""
    rng = np.random.default_rng(seed)
    t = np.arange(1, n_pre + n_post + 1)
    post = (t > n_pre).astype(int)
    month = (t - 1) % 12 + 1
    eta = (
        np.log(pop)
        + np.log(base)
        + np.log(trend) * t
        + np.log(level) * post
        + np.log(slope) * post * (t - n_pre)
        + season * np.sin(2 * np.pi * month / 12)
    )
    mu = np.exp(eta)
    if alpha > 0:
        mu = rng.gamma(1 / alpha, mu * alpha)
    y = rng.poisson(mu)
    dates = pd.date_range("2015-01-01", periods=len(t), freq="MS")
    return pd.DataFrame({"time": t, "post": post, "month": month, "count": y, "population": pop, "date": dates})


def test_design_counts_time_since_the_intervention():
    frame = pd.DataFrame({"_time": np.arange(1.0, 9.0), "_post": [0, 0, 0, 0, 1, 1, 1, 1], "_season": 0.0})
    X = its.design(frame, t0=4.0, harmonics=0, period=12, slope_change=True)
    assert X["slope"].tolist() == [0, 0, 0, 0, 1, 2, 3, 4]
    assert X["level"].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]


def test_harmonics_match_r_tsmodel_harmonic():
    h = its.harmonic_terms(np.array([1, 6, 12]), 2, 12)
    assert list(h.columns) == ["sin1", "cos1", "sin2", "cos2"]
    assert h.loc[0, "sin1"] == pytest.approx(math.sin(2 * math.pi / 12))
    assert h.loc[2, "cos2"] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        its.harmonic_terms(np.array([1]), 7, 12)


def test_recovers_a_known_level_and_slope_change():
    data = simulate(n_pre=60, n_post=60, level=0.8, slope=1.01, seed=11, base=2e-3)
    result = its.fit_its(data, season="month", harmonics=1, method="poisson")
    assert result.level.natural()[1] < 0.8 < result.level.natural()[2]
    assert result.slope.natural()[1] < 1.01 < result.slope.natural()[2]
    assert result.level.natural()[0] == pytest.approx(0.8, abs=0.05)
    assert result.post_trend.natural()[0] == pytest.approx(
        result.pre_trend.natural()[0] * result.slope.natural()[0], rel=1e-9
    )


def test_negative_binomial_estimates_overdispersion():
    data = simulate(n_pre=60, n_post=60, seed=3, alpha=0.05, base=2e-3)
    result = its.fit_its(data, season="month", harmonics=1, method="negbin")
    assert 0.01 < result.alpha < 0.15
    quasi = its.fit_its(data, season="month", harmonics=1, method="quasipoisson")
    assert quasi.scale > 2  # the overdispersion shows up in the Pearson scale too


def test_counterfactual_equals_fitted_before_and_removes_the_change_after():
    data = simulate()
    result = its.fit_its(data, season="month", harmonics=1)
    f = result.fitted
    pre, post = f["post"] == 0, f["post"] == 1
    np.testing.assert_allclose(f.loc[pre, "counterfactual_rate"], f.loc[pre, "fitted_rate"])
    ratio = f.loc[post, "fitted_rate"] / f.loc[post, "counterfactual_rate"]
    expected = result.level.natural()[0] * result.slope.natural()[0] ** (f.loc[post, "time"] - result.t0)
    np.testing.assert_allclose(ratio, expected, rtol=1e-9)
    assert (f["counterfactual_lower"] <= f["counterfactual_rate"]).all()
    assert (f["counterfactual_rate"] <= f["counterfactual_upper"]).all()
    # deseasonalised: the season is fixed, so the pre-period trend is log-linear in time
    d = np.diff(np.log(f.loc[pre, "trend_rate"]))
    np.testing.assert_allclose(d, d[0], rtol=1e-9)


def test_rates_use_the_offset_and_rate_per():
    data = simulate()
    result = its.fit_its(data, rate_per=10_000)
    np.testing.assert_allclose(result.fitted["rate"], data["count"] / data["population"] * 10_000)


def test_table_is_tidy():
    result = its.fit_its(simulate())
    table = result.table()
    assert list(table["term"]) == list(its.TERM_LABELS.values())
    assert {"estimate", "lower", "upper", "p_value", "n_pre", "n_post"} <= set(table.columns)
    assert (table["lower"] <= table["estimate"]).all() and (table["estimate"] <= table["upper"]).all()
    assert set(result.summary()) >= {"level_rr", "slope_rr", "n_pre"}


def test_prais_winsten_recovers_rho_and_keeps_the_first_observation():
    rng = np.random.default_rng(5)
    n = 400
    e = np.zeros(n)
    for i in range(1, n):
        e[i] = 0.6 * e[i - 1] + rng.normal()
    x = np.arange(n) / n
    X = np.column_stack([np.ones(n), x])
    y = 1 + 2 * x + e
    out = its.prais_winsten(y, X)
    assert out["rho"] == pytest.approx(0.6, abs=0.08)
    assert len(out["resid"]) == n  # Prais-Winsten keeps the first observation (GLSAR drops it)
    # at convergence rho is the lag-1 regression coefficient of the untransformed residuals
    u = y - X @ out["params"]
    assert out["rho"] == pytest.approx(u[1:] @ u[:-1] / (u[:-1] @ u[:-1]), abs=1e-8)


def test_prais_winsten_its_on_log_rates():
    data = simulate(seed=21)
    result = its.fit_its(data, method="prais_winsten", season="month", harmonics=1)
    assert result.rho is not None and -1 < result.rho < 1
    assert result.level.natural()[1] < result.level.natural()[0] < result.level.natural()[2]
    assert "0.5 added" not in "; ".join(result.notes)


def test_zero_counts_on_the_log_scale_are_flagged():
    data = simulate(base=2e-6, seed=2)
    assert (data["count"] == 0).any()
    result = its.fit_its(data, method="prais_winsten")
    assert any("0.5 added" in n for n in result.notes)


def test_breusch_godfrey_matches_statsmodels_on_ols():
    rng = np.random.default_rng(0)
    X = sm.add_constant(rng.normal(size=(80, 2)))
    y = X @ np.array([1.0, 0.5, -0.3]) + rng.normal(size=80)
    ols = sm.OLS(y, X).fit()
    lm, p = its.breusch_godfrey(ols.resid, X, 3)
    ref = acorr_breusch_godfrey(ols, nlags=3, result_object=False)
    assert lm == pytest.approx(ref[0], rel=1e-8)
    assert p == pytest.approx(ref[1], rel=1e-8)


def test_diagnostics_are_reported():
    result = its.fit_its(simulate(), season="month", harmonics=1)
    d = result.diagnostics
    for key in ("ljung_box_p", "breusch_godfrey_p", "durbin_watson", "dispersion", "dispersion_p"):
        assert np.isfinite(d[key])
    assert 0 < d["durbin_watson"] < 4


# --------------------------------------------------------------------------------------
# Refusals and errors


def annual(n_pre, n_post, seed=1):
    rng = np.random.default_rng(seed)
    years = np.arange(2015, 2015 + n_pre + n_post)
    return pd.DataFrame(
        {
            "year": years,
            "post": (years >= 2015 + n_pre).astype(int),
            "count": rng.poisson(100, len(years)),
            "population": 1e5,
        }
    )


def test_annual_series_need_three_points_each_side():
    short = its.fit_its(annual(2, 6), time="year", frequency="annual")
    assert not short.estimable
    assert "3 before and 3 after" in short.reason
    assert short.table()["term"].iloc[0] == "not estimable"
    ok = its.fit_its(annual(3, 3), time="year", frequency="annual")
    assert ok.estimable and ok.n_pre == 3 and ok.n_post == 3


def test_seasonal_monthly_series_need_twelve_points_each_side():
    short = its.fit_its(simulate(n_pre=11, n_post=24), season="month", harmonics=2)
    assert not short.estimable and "12 before and 12 after" in short.reason
    assert its.fit_its(simulate(n_pre=12, n_post=12), season="month", harmonics=2).estimable
    # without seasonal terms the EPOC minimum applies
    assert its.fit_its(simulate(n_pre=11, n_post=24)).estimable


def test_annual_series_take_no_harmonics():
    with pytest.raises(ValueError, match="annual"):
        its.fit_its(annual(4, 4), time="year", frequency="annual", harmonics=1, season="year")


def test_bad_input_names_file_column_row_and_rule():
    data = annual(4, 4)
    data.loc[2, "count"] = -1
    with pytest.raises(DataError) as info:
        its.fit_its(data, time="year", frequency="annual", source="x.csv")
    problem = info.value.problems[0]
    assert (problem.file, problem.column, problem.row, problem.rule) == ("x.csv", "count", 3, "non-negative")


def test_post_must_be_monotone():
    data = annual(4, 4)
    data.loc[6, "post"] = 0
    with pytest.raises(DataError, match="monotone"):
        its.fit_its(data, time="year", frequency="annual")


def test_population_must_be_positive_and_columns_present():
    data = annual(4, 4)
    data.loc[1, "population"] = 0
    with pytest.raises(DataError, match="positive"):
        its.fit_its(data, time="year", frequency="annual")
    with pytest.raises(DataError, match="missing-column"):
        its.fit_its(data.drop(columns="post"), time="year", frequency="annual")


def test_missing_counts_are_refused_unless_dropped_and_then_listed():
    data = annual(5, 5)
    data["count"] = data["count"].astype(float)
    data.loc[6, "count"] = np.nan
    with pytest.raises(DataError, match="missing"):
        its.fit_its(data, time="year", frequency="annual")
    result = its.fit_its(data, time="year", frequency="annual", missing="drop")
    assert result.dropped == ({"row": 7, "time": 2021.0},)
    assert result.n_post == 4
    assert any("excluded" in n for n in result.notes)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        its.fit_its(simulate(), method="ols")
    with pytest.raises(ValueError):
        its.fit_its(simulate(), method="arima", errors="hac")


# --------------------------------------------------------------------------------------
# Figures


def test_plot_its_draws_the_standard_figure(sicily):
    result = its_validation.fit_sicily(4, sicily)
    fig = area_display.plot_its(result, ylabel="per 100,000")
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Counterfactual (no intervention)" in labels and "Intervention" in labels
    assert not figures.is_watermarked(fig)
    fig2 = area_display.plot_its(result, synthetic=True)
    assert figures.is_watermarked(fig2)
    acf_fig = area_display.plot_residual_acf(result)
    assert acf_fig.axes[0].get_xlabel() == "Lag (periods)"
    with pytest.raises(ValueError):
        area_display.plot_its(its.fit_its(annual(2, 2), time="year", frequency="annual"))


# --------------------------------------------------------------------------------------
# Site series


def area_series_frame(site="devon", effect=0.7, seed=4):
    """A small area_series table in the case-level contract's shape."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2015-01-01", "2024-12-01", freq="MS")
    post = (months >= "2019-04-01").astype(int)
    rows = []
    for code, role, eff in (("878", "site", effect), ("933", "comparator", 1.0), ("893", "comparator", 1.0)):
        mu = 150_000 * 3e-4 * np.exp(0.002 * np.arange(len(months))) * np.where(post == 1, eff, 1.0)
        rows.append(
            pd.DataFrame(
                {
                    "site_id": site,
                    "area_code": code,
                    "area_role": role,
                    "month": months,
                    "measure": "efr_referrals",
                    "count": rng.poisson(mu),
                    "population_0_17": 150_000,
                    "post": post,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_area_series_builds_a_monthly_series():
    frame = area_series_frame()
    series = area_series.area_series("devon", "efr_referrals", frame)
    assert len(series) == 120 and series["time"].tolist() == list(range(1, 121))
    assert series["month"].iloc[0] == 1
    comparison = area_series.area_series("devon", "efr_referrals", frame, role="comparator")
    assert (comparison["population"] == 300_000).all()
    with pytest.raises(KeyError):
        area_series.area_series("devon", "nonsense", frame)


def test_fit_site_series_on_synthetic_monthly_data_recovers_the_effect():
    result = area_series.fit_site_series(
        "devon", "efr_referrals", source="synthetic", frame=area_series_frame(effect=0.7)
    )
    assert result.estimable and result.harmonics == 2
    se = (math.log(result.level.natural()[2]) - math.log(result.level.natural()[1])) / (2 * 1.96)
    assert abs(math.log(result.level.natural()[0] / 0.7)) < 3 * se
    assert result.level.natural()[2] < 1  # the effect is detected
    assert "date" in result.fitted.columns


def test_fit_site_series_on_public_data_refuses_short_series():
    # Child sexual exploitation is published from 2018; Devon's assumed start gives two years before.
    result = area_series.fit_site_series("devon", "Child_sexual_exploitation", source="public")
    assert not result.estimable and result.n_pre == 2


def test_fit_site_series_on_public_missing_series_excludes_withheld_years():
    result = area_series.fit_site_series("devon", "children_missing", source="public")
    assert result.estimable
    assert result.frequency == "annual" and result.harmonics == 0
    assert [d["time"] for d in result.dropped] == [2015.0]  # published as 'x'


def test_covariates_enter_the_design_and_are_checked():
    frame = area_series_frame()
    data = area_series.area_series("devon", "efr_referrals", frame)
    result = its.fit_its(data, date="date", season="month", harmonics=2, covariates=["covid"])
    assert "cov_covid" in result.params.index
    data.loc[3, "covid"] = None
    with pytest.raises(DataError, match="covariate"):
        its.fit_its(data, covariates=["covid"])
    with pytest.raises(DataError, match="covariate not in the data"):
        its.fit_its(data, covariates=["nonsense"])


def test_covid_indicator_covers_april_2020_to_march_2021():
    dates = pd.to_datetime(["2020-03-01", "2020-04-01", "2021-03-01", "2021-04-01"])
    assert area_series.covid_indicator(dates).tolist() == [0, 1, 1, 0]


def test_manifest_truth_converts_to_this_modules_slope_origin():
    manifest = {
        "sites": {"devon": {"its": {"efr_referrals": {"level_rate_ratio": 0.9, "slope_change_per_month": -0.002}}}}
    }
    truth = area_series.manifest_truth(manifest)
    assert truth.loc[0, "true_level"] == pytest.approx(0.9 * math.exp(-0.002))
    assert truth.loc[0, "true_slope"] == pytest.approx(math.exp(-0.002))


def test_area_series_results_and_truth_comparison():
    frame = area_series_frame(effect=0.7)
    results = area_series.area_series_results(["devon"], ["efr_referrals"], frame=frame)
    assert len(results) == 1 and results.loc[0, "n_pre"] == 51
    truth = pd.DataFrame({"site_id": ["devon"], "measure": ["efr_referrals"], "true_level": [0.7], "true_slope": [1.0]})
    compared = area_series.compare_with_truth(results, truth)
    assert compared.loc[0, "level_covered"] == (results.loc[0, "level_lower"] <= 0.7 <= results.loc[0, "level_upper"])
    table = area_display.monthly_results_display(compared, names={"devon": "Devon"})
    assert table.index[0] == ("Devon", "Referrals with extra-familial risk")
    assert table.iloc[0]["True level change"] == "0.700"


def test_plot_its_panels_marks_not_estimable_panels():
    ok = its.fit_its(simulate(), season="month", harmonics=1)
    refused = its.fit_its(annual(2, 2), time="year", frequency="annual")
    fig = area_display.plot_its_panels([ok, refused], ["one", "two"], synthetic=True)
    assert figures.is_watermarked(fig)
    texts = [t.get_text() for t in fig.axes[1].texts]
    assert any(t.startswith("not estimable") for t in texts)


def test_error_model_sensitivity_refits_each_series_under_every_model():
    table = area_series.error_model_sensitivity(["devon"], ["missing_episodes"])
    assert list(table["model"]) == [m[0] for m in area_series.ERROR_MODELS]
    primary = area_series.fit_site_series("devon", "missing_episodes")
    assert table["level"].iloc[0] == pytest.approx(primary.level_rr)
    assert table["ljung_box_p"].iloc[0] == pytest.approx(primary.diagnostics["ljung_box_p"])
    assert table["durbin_watson"].iloc[1:].isna().all()  # diagnostics are the primary model's
    nb = area_series.fit_site_series("devon", "missing_episodes", method="negbin")
    assert table.set_index("model").loc["Negative binomial", "level"] == pytest.approx(nb.level_rr)
    shown = area_display.error_model_display(table, {"devon": "CS site 1"}, {"missing_episodes": "Missing episodes"})
    assert shown.index.tolist() == [("CS site 1", "Missing episodes")]
    assert shown.columns.tolist()[:2] == ["Ljung-Box p", "Durbin-Watson"]


def test_error_model_agreement_counts_by_hand():
    models = [m[0] for m in area_series.ERROR_MODELS]
    rows = []
    for site, levels, lows, highs, lb in (
        ("a", [1.0, 1.1, 1.0, 1.0, 1.0], [0.9] * 5, [1.2] * 5, 0.5),
        ("b", [0.8, 0.8, 0.8, 0.8, 0.9], [0.7, 0.7, 0.7, 0.7, 0.95], [0.9, 0.9, 0.9, 0.9, 1.05], 0.01),
    ):
        for k, m in enumerate(models):
            rows.append(
                {
                    "site_id": site,
                    "measure": "x",
                    "model": m,
                    "level": levels[k],
                    "level_lower": lows[k],
                    "level_upper": highs[k],
                    "ljung_box_p": lb if k == 0 else np.nan,
                }
            )
    found = area_series.error_model_agreement(pd.DataFrame(rows))
    assert found["n_series"] == 2 and found["n_autocorrelated"] == 1
    assert found["max_level_ratio"] == pytest.approx(1.125)  # 0.9 / 0.8 beats 1.1 / 1.0
    assert found["n_conclusion_differs"] == 1  # site b: the last model's interval includes one
