"""Tests of innovate.cohort on small cohorts built here with known effects."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from innovate.config import WAVE_MONTHS
from innovate.errors import DataError
from innovate.show import cohort_display, text
from innovate.stats import meta as stats_meta
from innovate.stats import mi as stats_mi
from innovate.stats import mixed, negbin, results, weighting
from innovate.study import cohort, cohort_data, cohort_models

SITES = ("devon", "safer_london", "reading")


def make_cohort(
    n: int = 400,
    seed: int = 1,
    site_id: str = "devon",
    count_effect: float = -0.20,
    score_effect: float = 0.08,
    slope_sd: float = 0.08,
    alpha: float = 0.5,
    dropout: float = -2.2,
    dropout_on_outcome: float = 0.6,
    prefix: str = "",
    mid_noise: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Young people and outcomes in the data contract's format.

    Arm assignment is confounded (older, higher-risk young people more often in the
    innovation arm); missing episodes are negative binomial with a person effect, the
    baseline count as wave 0 and log rate ratio ``count_effect`` for the innovation arm
    at waves 6-18; SWEMWBS and the risk score have random intercepts and slopes on
    months (slope SD ``slope_sd``) whose mean depends on age and care status, and an
    arm x month difference ``score_effect`` (risk: minus it); ``mid_noise`` adds
    noise at the middle waves only (a variance profile no random slope can produce,
    so its variance estimate sits on the boundary at zero); dropout is monotone and
    depends on the previous wave's outcomes (missing at random).
    """
    rng = np.random.default_rng(seed)
    age = rng.integers(10, 18, n)
    risk = np.clip(rng.normal(12, 4, n), 0, 30)
    looked_after = rng.binomial(1, 0.3, n)
    prior = rng.poisson(1.0 + looked_after, n)
    p_treat = 1 / (1 + np.exp(-(-0.2 + 0.35 * (age - 14) + 0.12 * (risk - 12))))
    treated = rng.binomial(1, p_treat)
    female = rng.binomial(1, 0.5, n)
    eth = rng.choice(cohort_data.ETHNICITIES, n, p=[0.6, 0.15, 0.1, 0.1, 0.05])
    ids = [f"{prefix}YP{i + 1:05d}" for i in range(n)]
    yp = pd.DataFrame(
        {
            "person_id": ids,
            "site_id": site_id,
            "arm": np.where(treated == 1, "innovation", "comparison"),
            "sex": np.where(female == 1, "female", "male"),
            "age_at_baseline": age,
            "ethnicity": eth,
            "looked_after": looked_after,
            "prior_missing_episodes": prior,
            "baseline_risk_score": risk,
            "baseline_date": pd.Timestamp("2021-06-01"),
        }
    )
    u = rng.normal(0, 0.5, n)
    b = rng.normal(0, 3, n)
    s = rng.normal(0, slope_sd, n)
    rows = []
    observed = np.ones(n, bool)
    prev_missing = prior.astype(float)
    slope = 0.02 - 0.01 * (age - 14) - 0.03 * looked_after + s + score_effect * treated
    for w, month in enumerate(WAVE_MONTHS):
        if w > 0:
            lin = dropout + 0.5 * looked_after + dropout_on_outcome * np.log1p(prev_missing)
            observed &= rng.random(n) > 1 / (1 + np.exp(-lin))
            mu = np.exp(
                -0.2 + 0.3 * looked_after + 0.04 * (risk - 12) + 0.5 * np.log1p(prior) + u + count_effect * treated
            )
            missing = rng.poisson(rng.gamma(1 / alpha, alpha * mu))
        else:
            missing = prior
        noise = rng.normal(0, 2, n) + (rng.normal(0, mid_noise, n) if w in (1, 2) else 0)
        sw = np.clip(22 - 0.2 * (risk - 12) + b + slope * month + noise, 7, 35)
        rs = np.clip(risk + 0.3 * b - slope * month + rng.normal(0, 2, n), 0, 30)
        if w == 0:
            rs = risk
        frame = pd.DataFrame(
            {
                "person_id": ids,
                "wave_month": month,
                "observed": observed.astype(int),
                "missing_episodes": np.where(observed, missing, np.nan),
                "exploitation_risk_score": np.where(observed, rs, np.nan),
                "swemwbs": np.where(observed, sw, np.nan),
                "school_attendance_pct": np.where(observed, np.clip(rng.normal(85, 10, n), 0, 100), np.nan),
                "placement_moves": np.where(observed, rng.poisson(0.2, n), np.nan),
                "justice_contact": np.where(observed, rng.binomial(1, 0.1, n), np.nan),
            }
        )
        rows.append(frame)
        prev_missing = np.where(observed, missing, prev_missing)
    outcomes = pd.concat(rows, ignore_index=True).sort_values(["person_id", "wave_month"]).reset_index(drop=True)
    return yp, outcomes


@pytest.fixture(scope="module")
def toy():
    return make_cohort(n=600, seed=3)


@pytest.fixture(scope="module")
def toy_long(toy):
    return cohort_data.long_frame(*toy)


# ------------------------------------------------------------------ frames and bad input


def test_person_frame_flags_bad_arm_with_column_and_row():
    yp, _ = make_cohort(n=20)
    yp.loc[4, "arm"] = "treatment"
    with pytest.raises(DataError) as err:
        cohort_data.person_frame(yp)
    problem = err.value.problems[0]
    assert problem.column == "arm" and problem.row == 5 and problem.value == "treatment"
    assert problem.file == "young_people.csv"


def test_missing_column_is_named():
    yp, out = make_cohort(n=20)
    with pytest.raises(DataError) as err:
        cohort_data.long_frame(yp.drop(columns="ethnicity"), out)
    assert err.value.problems[0].column == "ethnicity"
    assert err.value.problems[0].rule == "missing-column"


def test_orphan_outcome_rows_are_refused():
    yp, out = make_cohort(n=20)
    out.loc[3, "person_id"] = "YP99999"
    with pytest.raises(DataError) as err:
        cohort_data.long_frame(yp, out)
    assert err.value.problems[0].rule == "foreign key" and err.value.problems[0].row == 4


def test_observed_wave_without_outcome_is_refused():
    yp, out = make_cohort(n=20)
    out.loc[0, "swemwbs"] = np.nan
    with pytest.raises(DataError) as err:
        cohort_models.fit_mixed(cohort_data.long_frame(yp, out), "swemwbs")
    assert err.value.problems[0].column == "swemwbs"


def test_unknown_site_is_refused():
    yp, out = make_cohort(n=20)
    with pytest.raises(DataError, match="no young people"):
        cohort_data.long_frame(yp, out, site_id="atlantis")


def test_long_and_wide_frames_agree(toy):
    yp, out = toy
    long = cohort_data.long_frame(yp, out)
    wide = cohort_data.wide_frame(yp, out, "swemwbs")
    assert len(wide) == len(yp)
    assert long["observed"].eq(1).all()
    assert wide[[f"swemwbs_{w}" for w in WAVE_MONTHS]].notna().to_numpy().sum() == len(long)
    assert set(long["time"]) == {0.0, 6.0, 12.0, 18.0}
    back = cohort_models.wide_to_long(wide, "swemwbs")
    assert len(back) == 4 * len(yp)
    assert back["observed"].sum() == len(long)


@pytest.mark.parametrize(
    "outcome,effect",
    [
        ("missing_episodes", "post"),
        ("missing_episodes", "trend"),
        ("swemwbs", "trend"),
        ("exploitation_risk_score", "post"),
    ],
)
def test_design_matrix_equals_patsy(toy_long, outcome, effect):
    covs = cohort_data.model_covariates(outcome)
    formula, _, follow_up = cohort_data.model_formula(outcome, effect, covs)
    data = cohort_data._model_rows(toy_long, outcome, follow_up)
    y1, X1, n1 = cohort_data.design_matrix(data, outcome, effect, covs)
    y2, X2, n2 = cohort_data._design(data, formula)
    assert n1 == n2 and np.array_equal(y1, y2) and np.allclose(X1, X2)


def test_attrition_table_counts_lost_waves(toy):
    table = cohort_data.attrition_table(*toy)
    first = table[table["wave_month"] == 0]
    assert first["observed"].sum() == len(toy[0])
    assert (table.groupby("arm")["observed"].apply(lambda s: s.is_monotonic_decreasing)).all()


# ------------------------------------------------------------------ GEE


def test_gee_recovers_rate_ratio(toy_long):
    res = cohort_models.fit_gee(toy_long, "missing_episodes")
    assert res.converged and res.term == "treated" and res.engine == "fast"
    assert res.effect.scale == "log"
    assert res.effect.ci_low < -0.20 < res.effect.ci_high
    assert 0.1 < res.alpha < 2
    assert res.n_obs == int((toy_long["wave_month"] > 0).sum())
    table = res.table()
    assert table.loc[0, "measure"] == "rate ratio"
    assert table.loc[0, "estimate"] == pytest.approx(np.exp(res.effect.estimate))


@pytest.mark.parametrize("cov_type", ["robust", "bias_reduced", "naive"])
@pytest.mark.parametrize("cov_struct", ["exchangeable", "independence"])
def test_fast_gee_equals_statsmodels(toy_long, cov_type, cov_struct):
    fast = cohort_models.fit_gee(toy_long, alpha=0.6, cov_type=cov_type, cov_struct=cov_struct)
    ref = cohort_models.fit_gee(toy_long, alpha=0.6, cov_type=cov_type, cov_struct=cov_struct, engine="statsmodels")
    assert ref.engine == "statsmodels"
    assert np.allclose(fast.params.to_numpy(), ref.params.to_numpy(), atol=1e-6)
    assert fast.effect.se == pytest.approx(ref.effect.se, rel=1e-5)
    assert fast.working_correlation == pytest.approx(ref.working_correlation, abs=1e-6)


def test_gee_options(toy_long):
    robust = cohort_models.fit_gee(toy_long, alpha=0.6)
    br = cohort_models.fit_gee(toy_long, alpha=0.6, cov_type="bias_reduced")
    ar1 = cohort_models.fit_gee(toy_long, alpha=0.6, cov_struct="ar1")
    trend = cohort_models.fit_gee(toy_long, alpha=0.6, effect="trend")
    assert br.effect.estimate == pytest.approx(robust.effect.estimate)
    assert br.effect.se > robust.effect.se
    assert ar1.cov_struct == "ar1" and ar1.engine == "statsmodels"
    assert ar1.effect.ci_low < -0.20 < ar1.effect.ci_high
    assert trend.term == "treated:time" and trend.n_obs == len(toy_long)
    with pytest.raises(ValueError):
        cohort_models.fit_gee(toy_long, cov_struct="unstructured")
    with pytest.raises(ValueError):
        cohort_models.fit_gee(toy_long, cov_type="hc3")
    with pytest.raises(ValueError):
        cohort_models.fit_gee(toy_long, "swemwbs")


def test_nb_alpha_equals_statsmodels(toy_long):
    import statsmodels.api as sm

    data = toy_long[toy_long["wave_month"] > 0]
    y, X, _ = cohort_data._design(
        data, "missing_episodes ~ treated + looked_after + log_prior_missing + age_at_baseline"
    )
    ref = sm.NegativeBinomial(y, X).fit(disp=0, maxiter=200)
    assert negbin.estimate_nb_alpha(y, X) == pytest.approx(float(ref.params[-1]), rel=1e-4)


def test_nb_alpha_estimate_tracks_overdispersion():
    def alpha_of(a):
        long = cohort_data.long_frame(*make_cohort(n=500, seed=9, alpha=a))
        data = long[long["wave_month"] > 0]
        y, X, _ = cohort_data._design(data, "missing_episodes ~ treated + looked_after + log_prior_missing")
        return negbin.estimate_nb_alpha(y, X)

    assert alpha_of(0.2) < alpha_of(2.0)


# ------------------------------------------------------------------ mixed models


def test_mixed_model_recovers_slope_difference(toy_long):
    res = cohort_models.fit_mixed(toy_long, "swemwbs")
    assert res.random_slope and res.note == "" and res.term == "treated:time"
    assert res.effect.ci_low < 0.08 < res.effect.ci_high
    assert res.variance_components["slope"] > 0
    risk = cohort_models.fit_mixed(toy_long, "exploitation_risk_score")
    assert risk.effect.ci_low < -0.08 < risk.effect.ci_high
    # exploitation risk: follow-up waves, adjusted for the baseline score (ANCOVA form)
    assert "baseline_risk_score" in risk.params.index
    assert risk.n_obs == int((toy_long["wave_month"] > 0).sum())
    sw_covs = cohort_data.model_covariates("swemwbs")
    assert "baseline_risk_score" in sw_covs
    assert cohort_data.model_covariates("exploitation_risk_score") == list(cohort_data.COVARIATES)


@pytest.fixture(scope="module")
def small_long():
    return cohort_data.long_frame(*make_cohort(n=250, seed=4))


@pytest.fixture(scope="module")
def statsmodels_once():
    """statsmodels' REML fit (1-5 s each) made once per distinct input: the REML-optimum test
    and the engines' comparison fit the same swemwbs rows. The key is every byte of the
    inputs, so each test still meets statsmodels' own fit of exactly its data."""
    real = mixed._fit_mixedlm_statsmodels
    fits: dict[str, tuple] = {}

    def once(y, exog, groups, exog_re):
        digest = hashlib.sha256()
        for part in (y, exog, groups, exog_re):
            frame = pd.DataFrame(part)
            digest.update(repr((list(frame.columns), frame.dtypes.tolist(), frame.shape)).encode())
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
        key = digest.hexdigest()
        if key not in fits:
            fits[key] = real(y, exog, groups, exog_re)
        fit, messages = fits[key]
        return fit, list(messages)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mixed, "_fit_mixedlm_statsmodels", once)
        yield once


def _reml_at(fit_sm, fast_params, psi, sigma2):
    """statsmodels' REML log-likelihood at the fast engine's solution, and the tolerance
    the comparison can claim.

    At a boundary optimum (random-effects covariance singular: the slope's own variance
    is zero) statsmodels cannot evaluate the likelihood exactly: it inverts the
    covariance, and whether that succeeds depends on rounding (on some CPUs it raises
    "Singular matrix"). The likelihood is continuous there, so it is evaluated at the
    nearest covariance it can invert (a ridge of at most 1e-6 of the covariance's scale)
    and the tolerance widens to what such a ridge can move it.
    """
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    cov_re = psi / sigma2
    scale = float(np.trace(cov_re)) or 1.0
    for ridge in (0.0, 1e-10, 1e-8, 1e-6):
        pars = MixedLMParams.from_components(
            fe_params=np.asarray(fast_params), cov_re=cov_re + ridge * scale * np.eye(len(cov_re))
        )
        try:
            value = fit_sm.model.loglike(pars, profile_fe=False)
        except np.linalg.LinAlgError:
            continue
        if np.isfinite(value):
            return value, (1e-6 if ridge == 0.0 else 1e-3)
    raise AssertionError("statsmodels cannot evaluate its likelihood near the fast solution")


@pytest.mark.parametrize("outcome", ["swemwbs", "exploitation_risk_score"])
def test_fast_mixed_model_reaches_the_reml_optimum(small_long, outcome, statsmodels_once):
    covs = cohort_data.model_covariates(outcome)
    formula, term, _ = cohort_data.model_formula(outcome, "trend", covs)
    data = cohort_data._model_rows(small_long, outcome, False)
    y, X, names = cohort_data._design(data, formula)
    t = data["time"].to_numpy(float)
    fast = mixed.lmm_reml_fast(y, X, np.column_stack([np.ones_like(t), t]), data["person_id"].to_numpy())
    groups = data["person_id"].to_numpy()
    exog_re = pd.DataFrame({"Group": np.ones_like(t), "time": t})
    ref, _ = statsmodels_once(y, pd.DataFrame(X, columns=names), groups, exog_re)
    assert fast.converged
    # statsmodels' own REML log-likelihood is at least as high at the fast solution
    ll_fast, tolerance = _reml_at(ref, fast.params, fast.psi, fast.sigma2)
    assert ll_fast >= ref.llf - tolerance
    if ll_fast - ref.llf < 1e-3:  # the same optimum: the same estimates
        assert np.allclose(fast.params, ref.fe_params.to_numpy(), atol=1e-3)
        k = names.index(term)
        assert np.sqrt(fast.cov[k, k]) == pytest.approx(float(ref.bse[term]), rel=0.02)


def test_fast_mixed_model_equals_statsmodels(small_long, statsmodels_once):
    fast = cohort_models.fit_mixed(small_long, "swemwbs")
    ref = cohort_models.fit_mixed(small_long, "swemwbs", engine="statsmodels")
    assert fast.random_slope == ref.random_slope
    assert np.allclose(fast.params.to_numpy(), ref.params.to_numpy(), atol=1e-4)
    assert fast.variance_components["residual"] == pytest.approx(ref.variance_components["residual"], rel=1e-3)
    # model-based (X'V^-1X)^-1 against statsmodels' full-Hessian errors
    assert fast.effect.se == pytest.approx(ref.effect.se, rel=0.02)


def test_mixed_model_falls_back_and_says_so(toy):
    yp, out = toy
    long = cohort_data.long_frame(yp, out)
    # no slope heterogeneity at all: every score is a person level plus noise
    rng = np.random.default_rng(0)
    level = dict(zip(yp["person_id"], rng.normal(22, 3, len(yp))))
    long["swemwbs"] = long["person_id"].map(level) + rng.normal(0, 0.5, len(long))
    res = cohort_models.fit_mixed(long, "swemwbs")
    assert not res.random_slope
    assert res.note.startswith("Random intercept only")
    assert res.table().loc[0, "random_effects"] == "intercept only"
    assert "slope" not in res.variance_components
    forced = cohort_models.fit_mixed(cohort_data.long_frame(yp, out), "swemwbs", random_slope=False)
    assert not forced.random_slope and "requested" in forced.note


def test_lmm_handles_unbalanced_patterns(small_long):
    # intermittent (non-monotone) missing waves give more covariance patterns
    thinned = small_long.drop(index=small_long.index[(small_long["wave_month"] == 6) & (small_long.index % 3 == 0)])
    fast = cohort_models.fit_mixed(thinned, "swemwbs")
    ref = cohort_models.fit_mixed(thinned, "swemwbs", engine="statsmodels")
    assert np.allclose(fast.params.to_numpy(), ref.params.to_numpy(), atol=1e-4)


# ------------------------------------------------------------------ imputation


def test_chained_equations_fill_only_missing_values(toy):
    wide = cohort_data.wide_frame(*toy, "missing_episodes")
    assert stats_mi.is_monotone(wide[[f"missing_episodes_{w}" for w in WAVE_MONTHS]].isna().to_numpy())
    imps = cohort_models.impute_cohort(wide, "missing_episodes", m=3, seed=1, n_iter=3)
    assert imps.m == 3 and imps.values.shape == (3, len(wide), 4)
    done = imps.frames()
    cols = [f"missing_episodes_{w}" for w in WAVE_MONTHS]
    assert len(done) == 3
    for d in done:
        assert not d[cols].isna().any().any()
        obs = wide[cols].notna()
        assert np.array_equal(d[cols].to_numpy()[obs.to_numpy()], wide[cols].to_numpy()[obs.to_numpy()])
        # predictive mean matching keeps counts whole
        assert np.all(d[cols].to_numpy() == np.round(d[cols].to_numpy()))
    # imputations differ from each other (they carry uncertainty)
    assert not done[0][cols].equals(done[1][cols])


def test_chained_equations_are_deterministic(toy):
    wide = cohort_data.wide_frame(*toy, "swemwbs")
    a = cohort_models.impute_cohort(wide, "swemwbs", m=2, seed=7, n_iter=2)
    b = cohort_models.impute_cohort(wide, "swemwbs", m=2, seed=7, n_iter=2)
    c = cohort_models.impute_cohort(wide, "swemwbs", m=2, seed=8, n_iter=2)
    assert np.array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)


def test_imputation_corrects_mar_bias():
    # Dropout strongly depends on the previous count: complete cases understate counts at 18 months.
    yp, out = make_cohort(n=1500, seed=11, dropout=-1.5, dropout_on_outcome=1.2)
    full = make_cohort(n=1500, seed=11, dropout=-50, dropout_on_outcome=0)[1]
    truth = full.loc[full["wave_month"] == 18, "missing_episodes"].mean()
    wide = cohort_data.wide_frame(yp, out, "missing_episodes")
    cc = wide["missing_episodes_18"].mean()
    done = cohort_models.impute_cohort(wide, "missing_episodes", m=20, seed=2, n_iter=5)
    mi = done.column("missing_episodes_18").mean()
    # Over 24 seeds the imputation removes about three quarters of the complete-case bias
    # (its model is not the generator's), with Monte Carlo spread at m=5 wide enough to
    # put a single seed anywhere between 0.02 and 0.5 of it; at m=20 it stays below 0.35.
    assert abs(mi - truth) < 0.4 * abs(cc - truth)


def test_norm_method_respects_bounds():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200)})
    frame["y"] = 30 + 5 * frame["x"] + rng.normal(size=200)
    frame.loc[frame.index[:60], "y"] = np.nan
    done = stats_mi.chained_equations(frame, ["y"], ["x"], 2, rng, method="norm", bounds={"y": (7, 35)})
    imputed = done[0]["y"].iloc[:60]
    assert imputed.between(7, 35).all() and (imputed == 35).any()  # some draws hit the bound
    assert done[0]["y"].iloc[60:].equals(frame["y"].iloc[60:])


def test_imputation_refuses_incomplete_predictors(toy):
    wide = cohort_data.wide_frame(*toy, "swemwbs")
    wide.loc[0, "age_at_baseline"] = np.nan
    with pytest.raises(DataError):
        cohort_models.impute_cohort(wide, "swemwbs", m=2)


def test_rubin_rules_by_hand():
    res = stats_mi.rubin([1.0, 2.0, 3.0], [0.5, 0.5, 0.5])
    # W = 0.5, B = 1, T = 0.5 + (4/3) * 1
    assert res.within == pytest.approx(0.5)
    assert res.between == pytest.approx(1.0)
    assert res.total == pytest.approx(0.5 + 4 / 3)
    r = (4 / 3) / 0.5
    assert res.effect.df == pytest.approx(2 * (1 + 1 / r) ** 2)
    assert res.effect.estimate == pytest.approx(2.0)
    assert res.effect.se == pytest.approx(np.sqrt(0.5 + 4 / 3))
    br = stats_mi.rubin([1.0, 2.0, 3.0], [0.5, 0.5, 0.5], df_complete=50)
    assert br.effect.df < res.effect.df
    with pytest.raises(ValueError):
        stats_mi.rubin([1.0], [1.0])


def test_delta_shifts_only_imputed_values_in_one_arm(toy):
    wide = cohort_data.wide_frame(*toy, "swemwbs")
    done = cohort_models.impute_cohort(wide, "swemwbs", m=1, seed=1, n_iter=2).frames()[0]
    shifted = cohort_models.apply_delta(done, wide, "swemwbs", -3.0)
    col = "swemwbs_18"
    imputed = wide[col].isna()
    innov = wide["arm"] == "innovation"
    diff = shifted[col] - done[col]
    assert (diff[~imputed] == 0).all()
    assert (diff[imputed & ~innov] == 0).all()
    moved = diff[imputed & innov]
    assert (moved <= 0).all() and (moved < 0).any()
    counts = cohort_data.wide_frame(*toy, "missing_episodes")
    cdone = cohort_models.impute_cohort(counts, "missing_episodes", m=1, seed=1, n_iter=2).frames()[0]
    cshift = cohort_models.apply_delta(cdone, counts, "missing_episodes", np.log(2), arm=None)
    mask = counts["missing_episodes_18"].isna()
    assert np.allclose(cshift.loc[mask, "missing_episodes_18"], 2 * cdone.loc[mask, "missing_episodes_18"])


def test_multiple_imputation_and_delta_sensitivity(toy):
    yp, out = toy
    base = cohort_models.multiple_imputation(yp, out, "swemwbs", m=5, n_iter=3)
    worse = cohort_models.multiple_imputation(yp, out, "swemwbs", m=5, n_iter=3, delta=-4)
    assert base.pooled.m == 5 and base.n_imputed_values > 0
    assert base.effect.ci_low < 0.08 < base.effect.ci_high
    assert worse.effect.estimate < base.effect.estimate
    assert "delta -4" in worse.table().loc[0, "method"]
    counts = cohort_models.multiple_imputation(yp, out, "missing_episodes", m=5)
    assert counts.effect.scale == "log" and counts.effect.ci_low < -0.2 < counts.effect.ci_high


def test_complete_case_counts_exclusions(toy_long):
    cc = cohort_models.complete_case(toy_long, "swemwbs")
    n = toy_long["person_id"].nunique()
    assert cc.n_people + cc.n_excluded == n and cc.n_excluded > 0


# ------------------------------------------------------------------ propensity scores


def test_propensity_weights_balance_and_ess(toy):
    persons = cohort_data.person_frame(toy[0])
    ps = cohort_models.propensity_weights(persons)
    bal = ps.balance.set_index("covariate")
    assert abs(bal.loc["age_at_baseline", "smd_before"]) > 0.3  # confounded by design
    assert ps.max_abs_smd_after < 0.1 and ps.balanced
    assert ps.ess_treated <= ps.n_treated and ps.ess_control <= ps.n_control
    t = persons["treated"].to_numpy() == 1
    # stabilised weights average about one in each arm
    assert ps.weights[t].mean() == pytest.approx(1, abs=0.15)
    assert ps.weights[~t].mean() == pytest.approx(1, abs=0.15)


def test_kish_ess_by_hand():
    assert weighting.kish_ess([1, 1, 1, 1]) == pytest.approx(4)
    assert weighting.kish_ess([1, 3]) == pytest.approx(16 / 10)


def _ipw_data(seed=0, n=1500, effect=2.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    e = 1 / (1 + np.exp(-(0.3 + 0.8 * x[:, 0] - 0.5 * x[:, 1])))
    t = rng.binomial(1, e)
    y = 1 + 2 * x[:, 0] + x[:, 1] + effect * t + rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    return y, t, X


def test_ipw_and_aipw_match_statsmodels():
    import statsmodels.api as sm
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    y, t, X = _ipw_data()
    ps = sm.Logit(t, X).fit(disp=0)
    te = TreatmentEffect(sm.OLS(y, X), t, results_select=ps)
    ipw_sm = te.ipw(return_results=False)
    aipw_sm = te.aipw(return_results=False)
    ipw = weighting.ipw_effect(y, t, X)
    dr = weighting.aipw_effect(y, t, X, X)
    assert ipw.estimate == pytest.approx(ipw_sm[0], rel=1e-6)
    assert dr.estimate == pytest.approx(aipw_sm[0], rel=1e-6)
    # statsmodels' GMM standard error of the IPW ATE also accounts for the estimated score
    res = te.ipw()
    assert ipw.se == pytest.approx(float(np.asarray(res.sd)[0]), rel=0.05)
    assert dr.ci_low < 2.0 < dr.ci_high
    naive = y[t == 1].mean() - y[t == 0].mean()
    assert abs(naive - 2) > abs(dr.estimate - 2)


def test_weighted_effects_on_change_score(toy):
    res = cohort_models.weighted_effects(*toy, outcome="swemwbs", m=3)
    table = res.table()
    assert list(table["method"]) == ["Propensity-weighted (IPW), MI (m=3)", "Doubly robust (AIPW), MI (m=3)"]
    truth = 18 * 0.08
    assert res.aipw.ci_low < truth < res.aipw.ci_high
    cc = cohort_models.weighted_effects(*toy, outcome="swemwbs", m=1)
    assert cc.m == 1 and cc.n_people < len(toy[0])


# ------------------------------------------------------------------ meta-analysis


Y = np.array([-0.30, -0.10, -0.25, 0.05, -0.40, -0.15])
V = np.array([0.010, 0.020, 0.015, 0.030, 0.025, 0.012])


def test_dersimonian_laird_matches_statsmodels():
    from statsmodels.stats.meta_analysis import combine_effects

    sm_res = combine_effects(Y, V, method_re="chi2")
    res = stats_meta.meta_analysis(Y, V, method="DL", ci="normal")
    assert res.tau2 == pytest.approx(sm_res.tau2, rel=1e-8)
    frame = sm_res.summary_frame()
    assert res.pooled.estimate == pytest.approx(frame.loc["random effect", "eff"], rel=1e-8)
    assert res.pooled.se == pytest.approx(frame.loc["random effect", "sd_eff"], rel=1e-8)
    assert res.q == pytest.approx(sm_res.q, rel=1e-8)
    assert res.i2 == pytest.approx(max(0, (res.q - 5) / res.q))


def test_reml_maximises_restricted_likelihood():
    from scipy.optimize import minimize_scalar

    def neg_reml(tau2):
        w = 1 / (V + tau2)
        mu = np.sum(w * Y) / np.sum(w)
        return 0.5 * (np.sum(np.log(V + tau2)) + np.log(np.sum(w)) + np.sum(w * (Y - mu) ** 2))

    best = minimize_scalar(neg_reml, bounds=(0, 1), method="bounded", options={"xatol": 1e-10}).x
    res = stats_meta.meta_analysis(Y, V, method="REML")
    assert res.tau2 == pytest.approx(best, abs=1e-6)


def test_homogeneous_studies_have_zero_tau2_and_hksj_is_wider():
    y = np.array([0.1, 0.1, 0.1, 0.1])
    v = np.array([0.01, 0.02, 0.01, 0.03])
    res = stats_meta.meta_analysis(y, v, scale="log")
    assert res.tau2 == 0 and res.i2 == 0
    wald = stats_meta.meta_analysis(Y, V, ci="normal")
    hk = stats_meta.meta_analysis(Y, V, ci="hksj")
    mod = stats_meta.meta_analysis(Y, V, ci="hksj_modified")
    assert hk.pooled.df == 5 and hk.ci_method == "hksj"
    # HKSJ by hand: the Wald variance times the weighted residual spread, t on k - 1 df
    w = 1 / (V + hk.tau2)
    q = np.sum(w * (Y - hk.pooled.estimate) ** 2) / 5
    assert hk.pooled.se == pytest.approx(wald.pooled.se * np.sqrt(q))
    from scipy import stats

    assert hk.pooled.ci_high - hk.pooled.estimate == pytest.approx(stats.t.ppf(0.975, 5) * hk.pooled.se)
    assert mod.pooled.se == pytest.approx(wald.pooled.se * np.sqrt(max(1, q)))
    assert (mod.pooled.ci_high - mod.pooled.ci_low) >= (wald.pooled.ci_high - wald.pooled.ci_low)
    with pytest.raises(ValueError):
        stats_meta.meta_analysis([0.1], [0.01])
    with pytest.raises(ValueError):
        stats_meta.meta_analysis([0.1, 0.2], [0.01, 0.0])


def test_meta_table_and_forest_plot():
    res = stats_meta.meta_analysis(Y, V, labels=[f"site {i}" for i in range(6)], scale="log")
    table = res.table()
    assert len(table) == 7 and table["weight_pct"].iloc[:6].sum() == pytest.approx(100)
    assert table.iloc[-1]["estimate"] == pytest.approx(np.exp(res.pooled.estimate))
    fig = cohort_display.plot_forest(res, title="test")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "Pooled"
    assert ax.get_xscale() == "log"
    summary = res.summary()
    assert summary["k"] == 6 and 0 <= summary["i2_pct"] <= 100


# ------------------------------------------------------------------ one call per site


@pytest.fixture(scope="module")
def three_sites():
    parts = [make_cohort(n=250, seed=20 + i, site_id=s, prefix=s[:2].upper()) for i, s in enumerate(SITES)]
    return cohort.CohortData(
        pd.concat([p[0] for p in parts], ignore_index=True), pd.concat([p[1] for p in parts], ignore_index=True)
    )


def test_site_effects_and_pooled(three_sites):
    assert three_sites.sites == list(SITES)
    res = cohort.site_effects("reading", "swemwbs", three_sites, m=3, deltas=(-2.0,))
    table = res.table()
    assert (table["site_id"] == "reading").all()
    assert table["method"].iloc[0] == "Mixed model, MI (m=3)"
    assert any("complete cases" in m for m in table["method"])
    assert any("AIPW" in m for m in table["method"])
    assert any("delta -2" in m for m in table["method"])
    counts = {s: cohort.site_effects(s, "missing_episodes", three_sites, m=3) for s in SITES}
    assert counts["devon"].weighted is None
    meta = cohort.pooled("missing_episodes", site_results=counts)
    assert meta.k == 3 and meta.pooled.scale == "log"
    assert meta.labels == ("CS site 1", "CS site 2", "TIP site 1")  # synthetic data: pseudonyms
    cc = cohort.pooled("missing_episodes", site_results=counts, estimates="complete_case")
    assert cc.pooled.estimate != meta.pooled.estimate


# ------------------------------------------------------------------ chapter tables and figures


def test_display_helpers(three_sites):
    res = {s: cohort.site_effects(s, "swemwbs", three_sites, m=3, deltas=(-2.0,)) for s in SITES}
    truth = {(s, "swemwbs"): 0.08 for s in SITES}
    table = cohort_display.effects_display(res, truth)
    assert list(table.index) == ["CS site 1", "CS site 2", "TIP site 1"]
    assert "Doubly robust (AIPW)" in table.columns and table["True value"].iloc[0] == f"{18 * 0.08:.2f}"
    primary = res["devon"].estimate("primary")
    shown = cohort.display_estimate(primary, "swemwbs", "primary")
    assert shown.estimate == pytest.approx(18 * primary.estimate) and shown.p_value == primary.p_value
    assert cohort.display_estimate(res["devon"].estimate("aipw"), "swemwbs", "aipw") == res["devon"].estimate("aipw")
    assert 0 <= cohort.truth_covered(res, truth) <= 3
    with pytest.raises(KeyError):
        res["devon"].estimate("nonsense")
    with pytest.raises(ValueError):
        results.Estimate.from_se(0.1, 0.1, scale="log").scaled(2)
    meta = cohort.pooled("swemwbs", site_results=res, estimates="aipw")
    assert meta.k == 3
    fig = cohort_display.plot_forest_panels([meta, meta], ["a", "b"], ["x", "y"])
    assert len(fig.axes) == 2
    ps = {s: r.weighted.propensity for s, r in res.items()}
    bal = cohort_display.balance_display(ps)
    assert (bal["Largest |SMD| after"] < bal["Largest |SMD| before"]).all()
    assert cohort_display.plot_balance(ps).axes[0].get_xlabel().startswith("Absolute")
    attr = cohort_display.attrition_display(three_sites)
    assert len(attr) == 6 and (attr["Month 0"] >= attr["Month 18"]).all()


def test_delta_sensitivity_moves_with_delta(three_sites):
    sens = cohort.delta_sensitivity(three_sites, "missing_episodes", [0.0, np.log(1.5)], m=3)
    assert list(sens["delta"]) == [0.0, pytest.approx(np.log(1.5))]
    assert sens["pooled"].iloc[1] > sens["pooled"].iloc[0]
    fig = cohort_display.plot_delta(sens, "missing_episodes")
    assert fig.axes[0].get_ylabel() == "Pooled rate ratio"


def test_tipping_point_reads_the_delta_table():
    sens = pd.DataFrame(
        {
            "delta": np.log([1.0, 1.25, 1.5, 2.0]),
            "pooled": [0.80, 0.90, 1.02, 1.30],
            "ci_low": [0.70, 0.78, 0.90, 1.05],
            "ci_high": [0.92, 0.99, 1.15, 1.60],
        }
    ).iloc[::-1]  # order of rows must not matter
    tip = cohort.tipping_point(sens)
    assert tip.largest_factor == pytest.approx(2.0)
    assert tip.last_favourable_factor == pytest.approx(1.25)
    assert tip.first_unfavourable_factor == pytest.approx(2.0)
    assert tip.point_crosses_one is True
    # by hand: log 0.90 at log 1.25 and log 1.02 at log 1.5; log 1 lies at this share between
    share = -np.log(0.90) / (np.log(1.02) - np.log(0.90))
    assert tip.point_tipping_factor == pytest.approx(np.exp(np.log(1.25) + share * (np.log(1.5) - np.log(1.25))))
    assert 1.25 < tip.point_tipping_factor < 1.5


def test_tipping_point_when_nothing_changes():
    sens = pd.DataFrame(
        {"delta": np.log([1.0, 1.5]), "pooled": [0.95, 0.97], "ci_low": [0.8, 0.82], "ci_high": [1.1, 1.12]}
    )
    tip = cohort.tipping_point(sens)
    assert tip.last_favourable_factor is None and tip.first_unfavourable_factor is None
    assert tip.point_crosses_one is False and tip.point_tipping_factor is None


def test_crossing_interpolates_and_says_when_there_is_none():
    assert cohort.crossing([0, 1, 2], [-2, -1, 1]) == pytest.approx(1.5)
    assert cohort.crossing([0, 1], [0, 3]) == 0.0
    assert cohort.crossing([0, 1], [1, 3]) is None  # already past the level: no tipping within the range
    assert cohort.crossing([0, 1], [-3, -1]) is None


def test_heterogeneity_words():
    assert text.heterogeneity_words(10).startswith("little")
    assert text.heterogeneity_words(45).startswith("moderate")
    assert text.heterogeneity_words(74).startswith("marked")


def test_format_p():
    assert text.format_p(0.0001) == "p < 0.001"
    assert text.format_p(0.0164) == "p = 0.016"
    assert text.format_p(0.098) == "p = 0.098"
    assert text.format_p(0.1067) == "p = 0.11"
    assert text.format_p(0.0004, prefix=False) == "<0.001" and text.format_p(0.0123, prefix=False) == "0.012"
    assert text.format_p(0.1067, prefix=False) == "0.11"
    with pytest.raises(ValueError):
        text.format_p(float("nan"))


def test_manifest_truth_reads_the_generator_effects():
    manifest = {
        "sites": {"devon": {"cohort_effects": {"missing_episodes_rate_ratio": 0.8, "swemwbs_slope_per_month": 0.05}}}
    }
    truth = cohort.manifest_truth(manifest)
    assert truth[("devon", "missing_episodes")] == pytest.approx(np.log(0.8))
    assert truth[("devon", "swemwbs")] == pytest.approx(0.05)


# ---------------------------------------------------------------------------------------
# Numerically stable pieces: the same answer whatever the CPU's BLAS kernel
# ---------------------------------------------------------------------------------------
def test_covariance_factor_is_cholesky_and_fixes_signs_when_singular():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 3))
    cov = a.T @ a
    factor = stats_mi.covariance_factor(cov)
    assert np.allclose(factor, np.linalg.cholesky(cov))
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    f = stats_mi.covariance_factor(singular)
    assert np.allclose(f @ f.T, singular)
    # the sign convention: each column's largest component is not negative
    assert all(f[np.argmax(np.abs(f[:, j])), j] >= 0 for j in range(f.shape[1]))
    assert np.array_equal(stats_mi.covariance_factor(singular), f)


def test_independent_columns_drops_exact_redundancy_only():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 3))
    X = np.column_stack([np.ones(50), x[:, 0], x[:, 1], x[:, 0], np.zeros(50), x[:, 1] + 2 * x[:, 0], x[:, 2]])
    assert stats_mi.independent_columns(X) == [0, 1, 2, 6]
    nearly = np.column_stack([x[:, 0], x[:, 0] + 1e-4 * x[:, 1]])
    assert stats_mi.independent_columns(nearly) == [0, 1]


def test_newton_polish_reaches_the_optimum_from_anywhere_nearby():
    target = np.array([1.5, -0.25])
    hess = np.array([[4.0, 1.0], [1.0, 3.0]])

    def value_and_grad(x):
        d = x - target
        return float(0.5 * d @ hess @ d + 1e4), hess @ d

    for start in ([1.5001, -0.2502], [1.4999, -0.2497]):
        assert np.allclose(mixed.newton_polish(value_and_grad, np.array(start)), target, atol=1e-12, rtol=0)


def test_mixed_model_fit_does_not_depend_on_a_warm_start_on_the_boundary(small_long):
    covs = cohort_data.model_covariates("swemwbs")
    formula, _, _ = cohort_data.model_formula("swemwbs", "trend", covs)
    data = cohort_data._model_rows(small_long, "swemwbs", False)
    y, X, _ = cohort_data._design(data, formula)
    t = data["time"].to_numpy(float)
    Z = np.column_stack([np.ones_like(t), t])
    groups = data["person_id"].to_numpy()
    cold = mixed.lmm_reml_fast(y, X, Z, groups)
    # a previous fit that ended on the boundary (zero diagonal) or with flipped signs
    for theta0 in ([cold.theta[0], cold.theta[1], 0.0], -cold.theta):
        warm = mixed.lmm_reml_fast(y, X, Z, groups, theta0=np.array(theta0))
        assert np.allclose(warm.params, cold.params, rtol=0, atol=1e-8)
        assert np.allclose(warm.psi, cold.psi, rtol=1e-6, atol=1e-10)
