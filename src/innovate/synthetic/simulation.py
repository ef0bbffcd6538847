"""Simulation-based validation of the outcome estimators on the project's own generator.

Each replication draws a fresh data set from :mod:`innovate.synthetic` (the generator
that made the book's synthetic data) with known true effects, runs the book's
estimators exactly as the chapters call them, and records estimate, standard error and
95% interval against the truth. :func:`summarise` turns the replications into bias,
root mean squared error, coverage of the 95% interval, and their Monte Carlo standard
errors (the uncertainty that comes from running a finite number of replications).

Estimators (one row each per site and replication unless stated):

``its_level`` / ``its_slope``
    :func:`innovate.study.area_series.fit_site_series` (quasi-Poisson, two harmonic pairs, COVID-19
    indicator, population offset) on the site's own monthly series of referrals with
    extra-familial risk. Truth: the generator's level rate ratio and slope change. The
    generator counts months since the start from 0 in the first post-intervention month,
    the ITS model from 1 (``X_t (t - T0)`` with ``T0`` the last month before), so the ITS
    level coefficient's truth is ``log(level_rate_ratio) - slope_change_per_month``.
``gee_available`` / ``gee_mi``
    negative binomial GEE of missing episodes (arm x post-baseline rate ratio) on the
    observed waves, and on ``m`` imputations pooled by Rubin's rules (the chapter's
    primary analysis). Truth: ``log(missing_episodes_rate_ratio)``.
``mixed_swemwbs``
    linear mixed model of SWEMWBS, arm x months. Truth: ``swemwbs_slope_per_month``.
``mixed_risk``
    linear mixed model of the exploitation risk score on the follow-up waves, adjusted
    for the baseline score (the analysis-of-covariance form the chapter uses, because
    the baseline score decides who receives the innovation). Truth:
    ``exploitation_risk_slope_per_month``.
``mixed_risk_growth``
    the same outcome with the growth model on all four waves (shown to explain why the
    chapter does not use it: selection on the baseline score makes it biased).
``ipw_swemwbs`` / ``aipw_swemwbs``
    propensity-weighted and doubly robust effects on the change in SWEMWBS from baseline
    to 18 months, on ``m`` imputations. Truth: 18 x ``swemwbs_slope_per_month``.
``pooled_hksj`` / ``pooled_wald`` (one row per replication)
    random-effects (DerSimonian-Laird) pooling of the six ``gee_mi`` site estimates,
    with the Hartung-Knapp-Sidik-Jonkman interval (the chapter's) and the plain Wald
    interval (for comparison). So that the pooled estimand is the mean of a
    distribution of site effects, as the random-effects model assumes, each
    replication draws the six sites' true log rate ratios for missing episodes from a
    normal distribution whose mean and SD are those of the generator's six values.
    Truth: that mean.

Every replication ``r`` draws from ``np.random.default_rng([seed, r])``: results do not
depend on how replications are split between worker processes.
"""

from __future__ import annotations

import copy
import math
import multiprocessing as mp
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from innovate.config import FOLLOW_UP_MONTHS, SEED
from innovate.stats import its, results
from innovate.stats import meta as stats_meta
from innovate.study import area_series, cohort_data, cohort_models
from innovate.synthetic import generator, parameters

#: Estimator keys in display order, with labels.
ESTIMATORS: dict[str, str] = {
    "its_level": "ITS level change (quasi-Poisson), log rate ratio",
    "its_slope": "ITS slope change (quasi-Poisson), log rate ratio per month",
    "gee_available": "GEE (NB), observed waves only, log rate ratio",
    "gee_mi": "GEE (NB) after multiple imputation, log rate ratio",
    "mixed_swemwbs": "Mixed model, SWEMWBS slope difference per month",
    "mixed_risk": "Mixed model (follow-up, baseline-adjusted), exploitation risk slope difference per month",
    "mixed_risk_growth": "Mixed model (all four waves), exploitation risk slope difference per month",
    "ipw_swemwbs": "Propensity-weighted (IPW) SWEMWBS change, 0-18 months",
    "aipw_swemwbs": "Doubly robust (AIPW) SWEMWBS change, 0-18 months",
    "pooled_hksj": "Pooled GEE effect, random effects with HKSJ interval",
    "pooled_wald": "Pooled GEE effect, random effects with Wald interval",
}
#: Estimators the book does not use, run to show why (excluded from the target check).
COMPARATORS: tuple[str, ...] = ("gee_available", "mixed_risk_growth", "pooled_wald")
#: The target range of 95% interval coverage.
COVERAGE_TARGET = (0.93, 0.97)
ITS_MEASURE = "efr_referrals"


@dataclass(frozen=True)
class Settings:
    """What one simulation study runs.

    ``per_arm`` young people per arm and site (the book's data set has 300; smaller
    cohorts keep the appendix within its time budget and widen intervals without
    changing what coverage means); ``m`` imputations for the MI estimators.
    """

    replications: int = 100
    per_arm: int = 100
    m: int = 5
    seed: int = SEED
    sites: tuple[str, ...] | None = None  # default: every site of the generator
    estimators: tuple[str, ...] = tuple(ESTIMATORS)
    n_jobs: int = 1


@dataclass
class _Base:
    params: parameters.Parameters
    sites: list[str]
    mu: float
    tau: float
    area_templates: dict = field(default_factory=dict)  # site -> expected counts (area_series rows)
    series_templates: dict = field(default_factory=dict)  # site -> its.area_series frame


_BASE_CACHE: dict[int, _Base] = {}


def _base(seed: int) -> _Base:
    """The generator's parameters for ``seed`` and the site-effect distribution (cached)."""
    if seed not in _BASE_CACHE:
        params = parameters.default_parameters(seed)
        sites = list(params.sites)
        logs = np.log([params.sites[s].cohort_effects.missing_episodes_rate_ratio for s in sites])
        base = _Base(params, sites, float(np.mean(logs)), float(np.std(logs, ddof=1)))
        for s in sites:
            expected = generator.area_expected(params, s)
            keep = (expected["area_role"] == "site") & (expected["measure"] == ITS_MEASURE)
            template = expected[keep].sort_values("month").reset_index(drop=True)
            base.area_templates[s] = template
            base.series_templates[s] = area_series.area_series(s, ITS_MEASURE, template.assign(count=0))
        _BASE_CACHE[seed] = base
    return _BASE_CACHE[seed]


def draw_parameters(base: _Base, rng: np.random.Generator):
    """A copy of the generator's parameters with each site's true log rate ratio for
    missing episodes drawn from N(mu, tau^2); returns the parameters and the draws."""
    params = copy.deepcopy(base.params)
    logs = rng.normal(base.mu, base.tau, len(base.sites))
    for s, value in zip(base.sites, logs):
        eff = params.sites[s].cohort_effects
        params.sites[s].cohort_effects = replace(eff, missing_episodes_rate_ratio=float(math.exp(value)))
    return params, dict(zip(base.sites, logs))


def simulate_site_series(base: _Base, site_id: str, rng: np.random.Generator) -> pd.DataFrame:
    """One draw of a site's own monthly series (the ``area_series`` rows of
    :data:`ITS_MEASURE`): negative binomial (gamma-Poisson) counts around the
    generator's expected counts, with the generator's dispersion - the model of
    :func:`innovate.synthetic.generator.simulate_area_series`, for one area and measure only."""
    template = base.area_templates[site_id]
    alpha = float(base.params.series.dispersion[ITS_MEASURE])
    mu = template["expected"].to_numpy(float)
    lam = mu * rng.gamma(1.0 / alpha, alpha, len(mu)) if alpha > 0 else mu
    out = template.drop(columns="expected").copy()
    out["count"] = rng.poisson(lam).astype(np.int64)
    return out


def fit_site_its(base: _Base, site_id: str, rows: pd.DataFrame):
    """:func:`innovate.study.area_series.fit_site_series` on simulated ``area_series`` rows of one site
    and measure, without rebuilding the series frame each time: the same call
    ``fit_site_series`` makes (quasi-Poisson, two harmonic pairs, COVID-19 indicator,
    population offset; tested equal)."""
    data = base.series_templates[site_id].copy()
    data["count"] = rows.sort_values("month")["count"].to_numpy()
    return its.fit_its(
        data,
        count="count",
        post="post",
        time="time",
        offset="population",
        season="month",
        date="date",
        method="quasipoisson",
        errors="model",
        harmonics=2,
        frequency="monthly",
        rate_per=10_000,
        covariates=["covid"],
        label=f"{site_id}: {ITS_MEASURE}",
        source="area_series.csv",
    )


def _row(estimator: str, replication: int, site: str, truth: float, est: results.Estimate) -> dict:
    return {
        "estimator": estimator,
        "replication": replication,
        "site_id": site,
        "truth": float(truth),
        "estimate": est.estimate,
        "se": est.se,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
    }


def replicate(replication: int, settings: Settings) -> list[dict]:
    """One replication: simulate, estimate, and return one row per estimate."""
    base = _base(settings.seed)
    sites = list(settings.sites or base.sites)
    todo = set(settings.estimators)
    rng = np.random.default_rng([settings.seed, replication])
    params, log_rr = draw_parameters(base, rng)
    rows: list[dict] = []
    if todo & {"its_level", "its_slope"}:
        for s in sites:
            eff = params.sites[s].its[ITS_MEASURE]
            res = fit_site_its(base, s, simulate_site_series(base, s, rng))
            slope_truth = eff.slope_change_per_month
            for key, name, truth in (
                ("its_level", "level", math.log(eff.level_rate_ratio) - slope_truth),
                ("its_slope", "slope", slope_truth),
            ):
                if key in todo:
                    b = float(res.params[name])
                    se = float(np.sqrt(res.cov.loc[name, name]))
                    rows.append(_row(key, replication, s, truth, results.Estimate.from_se(b, se, scale="log")))
    cohort_keys = todo - {"its_level", "its_slope"}
    if not cohort_keys:
        return rows
    yp, out = generator.simulate_cohort(params, rng, sites=sites, per_arm=settings.per_arm)
    site_gee: dict[str, results.Estimate] = {}
    site_of = dict(zip(yp["person_id"], yp["site_id"]))
    out_site = out["person_id"].map(site_of).to_numpy()
    for s in sites:
        eff = params.sites[s].cohort_effects
        yp_s, out_s = yp[yp["site_id"] == s], out[out_site == s]
        every_wave = cohort_data.long_frame(yp_s, out_s, observed_only=False)
        long = every_wave[every_wave["observed"] == 1]
        wide = cohort_data.wide_frame(yp_s, out_s, ["missing_episodes", "swemwbs"], long=every_wave)
        if "gee_available" in todo:
            est = cohort_models.fit_gee(long, "missing_episodes").effect
            rows.append(_row("gee_available", replication, s, log_rr[s], est))
        if todo & {"gee_mi", "pooled_hksj", "pooled_wald"}:
            est = cohort_models.mi_from_wide(
                wide, "missing_episodes", m=settings.m, seed=int(rng.integers(2**31))
            ).effect
            site_gee[s] = est
            if "gee_mi" in todo:
                rows.append(_row("gee_mi", replication, s, log_rr[s], est))
        if "mixed_swemwbs" in todo:
            est = cohort_models.fit_mixed(long, "swemwbs").effect
            rows.append(_row("mixed_swemwbs", replication, s, eff.swemwbs_slope_per_month, est))
        if "mixed_risk" in todo:
            est = cohort_models.fit_mixed(long, "exploitation_risk_score").effect
            rows.append(_row("mixed_risk", replication, s, eff.exploitation_risk_slope_per_month, est))
        if "mixed_risk_growth" in todo:
            est = cohort_models.fit_mixed(long, "exploitation_risk_score", ancova=False).effect
            rows.append(_row("mixed_risk_growth", replication, s, eff.exploitation_risk_slope_per_month, est))
        if todo & {"ipw_swemwbs", "aipw_swemwbs"}:
            aux = cohort_models.default_auxiliary("swemwbs")
            w = cohort_models.weighted_from_wide(
                wide, "swemwbs", m=settings.m, seed=int(rng.integers(2**31)), auxiliary=aux
            )
            truth = FOLLOW_UP_MONTHS * eff.swemwbs_slope_per_month
            for key, est in (("ipw_swemwbs", w.ipw), ("aipw_swemwbs", w.aipw)):
                if key in todo:
                    rows.append(_row(key, replication, s, truth, est))
    if site_gee and todo & {"pooled_hksj", "pooled_wald"}:
        ests = [site_gee[s] for s in sites]
        for key, ci in (("pooled_hksj", "hksj"), ("pooled_wald", "normal")):
            if key in todo:
                meta = stats_meta.meta_analysis([e.estimate for e in ests], [e.se**2 for e in ests], ci=ci, scale="log")
                rows.append(_row(key, replication, "pooled", base.mu, meta.pooled))
    return rows


def _chunk(args: tuple[Sequence[int], Settings]) -> list[dict]:
    indices, settings = args
    rows: list[dict] = []
    for r in indices:
        rows.extend(replicate(r, settings))
    return rows


@dataclass(frozen=True)
class SimulationResult:
    """The replications of a simulation study and their summary."""

    settings: Settings
    estimates: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        return summarise(self.estimates)


def run(settings: Settings | None = None, **kwargs) -> SimulationResult:
    """Run ``settings.replications`` replications (``kwargs`` override settings fields).

    ``n_jobs`` > 1 splits the replications between worker processes (fork); the
    results are identical to a single process because each replication has its own
    random stream and rows are sorted back into replication order.
    """
    settings = replace(settings or Settings(), **kwargs)
    unknown = set(settings.estimators) - set(ESTIMATORS)
    if unknown:
        raise ValueError(f"unknown estimators: {sorted(unknown)}")
    if settings.replications < 1:
        raise ValueError("replications must be at least 1")
    _base(settings.seed)  # build the cache before any fork
    indices = list(range(settings.replications))
    jobs = max(1, min(int(settings.n_jobs), len(indices)))
    if jobs == 1:
        rows = _chunk((indices, settings))
    else:
        parts = [indices[i::jobs] for i in range(jobs)]
        with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
            rows = [row for part in pool.map(_chunk, [(p, settings) for p in parts]) for row in part]
    return SimulationResult(settings, estimates_frame(rows))


def estimates_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of :func:`replicate` as one frame, by estimator (display order), replication and site."""
    frame = pd.DataFrame(rows)
    order = {k: i for i, k in enumerate(ESTIMATORS)}
    frame["_order"] = frame["estimator"].map(order)
    frame = frame.sort_values(["_order", "replication", "site_id"], kind="stable").drop(columns="_order")
    return frame.reset_index(drop=True)


def summarise(estimates: pd.DataFrame) -> pd.DataFrame:
    """Bias, RMSE, coverage and Monte Carlo standard errors per estimator.

    ``bias`` = mean(estimate - truth) with MC SE sd(error)/sqrt(n); ``rmse`` =
    sqrt(mean(error^2)); ``coverage`` = share of 95% intervals containing the truth,
    MC SE sqrt(c(1 - c)/n); ``se_ratio`` = mean model SE over the empirical SD of the
    errors (about 1 when the standard errors are right); ``in_target`` whether coverage
    lies in :data:`COVERAGE_TARGET`; ``target_within_2mcse`` whether the target range
    is within two MC SEs of the estimate (coverage compatible with the target).
    """
    rows = []
    for key in [k for k in ESTIMATORS if k in set(estimates["estimator"])]:
        part = estimates[estimates["estimator"] == key]
        err = part["estimate"].to_numpy() - part["truth"].to_numpy()
        covered = (part["ci_low"] <= part["truth"]) & (part["truth"] <= part["ci_high"])
        n = len(part)
        cov = float(covered.mean())
        mcse_cov = math.sqrt(max(cov * (1 - cov), 1e-12) / n)
        sd = float(err.std(ddof=1)) if n > 1 else float("nan")
        rows.append(
            {
                "estimator": key,
                "label": ESTIMATORS[key],
                "n_estimates": n,
                "replications": int(part["replication"].nunique()),
                "bias": float(err.mean()),
                "bias_mcse": sd / math.sqrt(n) if n > 1 else float("nan"),
                "rmse": float(np.sqrt(np.mean(err**2))),
                "empirical_sd": sd,
                "mean_se": float(part["se"].mean()),
                "se_ratio": float(part["se"].mean() / sd) if n > 1 and sd > 0 else float("nan"),
                "coverage": cov,
                "coverage_mcse": mcse_cov,
                "in_target": COVERAGE_TARGET[0] <= cov <= COVERAGE_TARGET[1],
                "target_within_2mcse": (cov + 2 * mcse_cov >= COVERAGE_TARGET[0])
                and (cov - 2 * mcse_cov <= COVERAGE_TARGET[1]),
            }
        )
    return pd.DataFrame(rows)


def default_jobs() -> int:
    """Worker processes for the appendix: the CPUs available to this process (max 2)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, min(2, n))


# --------------------------------------------------------------------------------------
# Tables and figures for the appendix


def summary_display(summary: pd.DataFrame, places: dict | None = None) -> pd.DataFrame:
    """The summary as the appendix shows it: bias and coverage with their Monte Carlo
    standard errors in brackets, RMSE, the ratio of model to empirical standard error,
    and whether the estimator is one the book uses."""
    rows = []
    for r in summary.itertuples(index=False):
        p = (places or {}).get(r.estimator, _places(r.empirical_sd))
        rows.append(
            {
                "Estimator": r.label,
                "Used in the book": "no (comparison)" if r.estimator in COMPARATORS else "yes",
                "Estimates": f"{r.n_estimates:,d} estimates",
                "Bias (MC SE)": f"{r.bias:.{p}f} ({r.bias_mcse:.{p}f})",
                "RMSE": f"{r.rmse:.{p}f}",
                "Model SE / empirical SD": f"{r.se_ratio:.2f}",
                "Coverage (MC SE)": f"{r.coverage:.3f} ({r.coverage_mcse:.3f})",
            }
        )
    return pd.DataFrame(rows).set_index("Estimator")


def _places(sd: float) -> int:
    """Decimal places that show an error of size ``sd`` to about two significant figures."""
    if not np.isfinite(sd) or sd <= 0:
        return 3
    return int(min(6, max(2, 1 - math.floor(math.log10(sd)))))


def plot_coverage(summary: pd.DataFrame, ax=None):
    """Coverage of each estimator's 95% interval with +-2 Monte Carlo standard errors,
    the target band shaded and the nominal 0.95 dashed; estimators the book does not
    use are drawn with open markers."""
    # Deferred: matplotlib loads only when the appendix draws these figures, not for a run.
    from innovate.show import figures

    n = len(summary)
    if ax is None:
        fig, ax = figures.new_figure(aspect=0.07 * n + 0.3)
    else:
        fig = ax.figure
    y = np.arange(n, 0, -1)
    ax.axvspan(
        *COVERAGE_TARGET,
        color=figures.PALETTE["bluish_green"],
        alpha=0.18,
        linewidth=0,
        label=f"Target {COVERAGE_TARGET[0]:.2f}-{COVERAGE_TARGET[1]:.2f}",
    )
    ax.axvline(0.95, color="#444444", linestyle="--", lw=1, label="Nominal 0.95")
    used = ~summary["estimator"].isin(COMPARATORS).to_numpy()
    cov, err = summary["coverage"].to_numpy(), 2 * summary["coverage_mcse"].to_numpy()
    colour = figures.PALETTE["blue"]
    ax.errorbar(
        cov[used],
        y[used],
        xerr=err[used],
        fmt=figures.MARKERS[0],
        color=colour,
        capsize=3,
        label="Estimator used in the book (+-2 MC SE)",
    )
    if (~used).any():
        ax.errorbar(
            cov[~used],
            y[~used],
            xerr=err[~used],
            fmt=figures.MARKERS[1],
            color=figures.PALETTE["vermillion"],
            mfc="white",
            capsize=3,
            label="Comparison only (+-2 MC SE)",
        )
    ax.set_yticks(y)
    ax.set_yticklabels([_short(k) for k in summary["estimator"]])
    low = min(0.85, float(np.nanmin(cov - err)) - 0.01)
    ax.set_xlim(max(0.0, low), 1.005)
    ax.set_xlabel("Coverage of the 95% confidence interval")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.4, -0.1), ncol=2, fontsize=8)
    return fig


SHORT_LABELS: dict[str, str] = {
    "its_level": "ITS level change",
    "its_slope": "ITS slope change",
    "gee_available": "GEE, observed waves",
    "gee_mi": "GEE after MI",
    "mixed_swemwbs": "Mixed model, SWEMWBS",
    "mixed_risk": "Mixed model, risk (ANCOVA)",
    "mixed_risk_growth": "Mixed model, risk (growth)",
    "ipw_swemwbs": "IPW, SWEMWBS change",
    "aipw_swemwbs": "AIPW, SWEMWBS change",
    "pooled_hksj": "Pooled, HKSJ interval",
    "pooled_wald": "Pooled, Wald interval",
}


def _short(key: str) -> str:
    return SHORT_LABELS.get(key, key)


# --------------------------------------------------------------------------------------
# Pooling at the book's cohort size


INTERVAL_LABELS = {"normal": "Wald", "hksj": "HKSJ", "hksj_modified": "HKSJ, never narrower than Wald"}


def pooling_study(
    variances: Sequence[float],
    taus: Sequence[float],
    mu: float = 0.0,
    replications: int = 10_000,
    seed: int = SEED,
    intervals: Sequence[str] = tuple(INTERVAL_LABELS),
) -> pd.DataFrame:
    """Coverage of the random-effects pooled interval (DerSimonian-Laird tau-squared; Wald,
    Hartung-Knapp-Sidik-Jonkman and modified HKSJ intervals) when site estimates are drawn as
    ``N(theta_i, v_i)`` with ``theta_i ~ N(mu, tau^2)``, for each ``tau``: the
    random-effects model's own assumptions, at chosen site variances (e.g. those of the
    book's cohort size). Every pooled interval is computed by
    :func:`innovate.stats.meta.pooled_intervals`, row for row what
    :func:`innovate.stats.meta.meta_analysis` gives. One row per tau and interval."""
    v = np.asarray(variances, float)
    rows = []
    for j, tau in enumerate(taus):
        rng = np.random.default_rng([seed, 1_000_000 + j])
        theta = mu + tau * rng.standard_normal((replications, len(v)))
        y = theta + np.sqrt(v) * rng.standard_normal((replications, len(v)))
        for ci in intervals:
            _, low, high = stats_meta.pooled_intervals(y, v, ci=ci)
            covered = float(np.count_nonzero((low <= mu) & (mu <= high)))
            widths = 0.0
            for width in (high - low).tolist():  # in order, as one pooling at a time added them
                widths += width
            cov = covered / replications
            rows.append(
                {
                    "tau": float(tau),
                    "interval": INTERVAL_LABELS[ci],
                    "coverage": cov,
                    "coverage_mcse": math.sqrt(cov * (1 - cov) / replications),
                    "mean_width": widths / replications,
                    "replications": replications,
                }
            )
    return pd.DataFrame(rows)


def book_size_variances(estimates: pd.DataFrame, estimator: str, per_arm: int, book_per_arm: int) -> pd.Series:
    """Each site's mean squared standard error of ``estimator`` in a simulation run with
    ``per_arm`` young people per arm, scaled to a cohort of ``book_per_arm`` (a variance
    falls in proportion to the number of young people)."""
    part = estimates[estimates["estimator"] == estimator]
    return (part["se"] ** 2).groupby(part["site_id"]).mean() * per_arm / book_per_arm


def plot_pooling(study: pd.DataFrame, ax=None, marker_tau: float | None = None):
    """Coverage of each pooled interval against the between-site SD tau (from
    :func:`pooling_study`), with the target band; ``marker_tau`` draws a dotted line at
    a chosen tau (e.g. the generator's)."""
    # Deferred: matplotlib loads only when the appendix draws these figures, not for a run.
    from innovate.show import figures

    if ax is None:
        fig, ax = figures.new_figure(aspect=0.62)
    else:
        fig = ax.figure
    ax.axhspan(
        *COVERAGE_TARGET,
        color=figures.PALETTE["bluish_green"],
        alpha=0.18,
        linewidth=0,
        label=f"Target {COVERAGE_TARGET[0]:.2f}-{COVERAGE_TARGET[1]:.2f}",
    )
    styles = ["-", "--", ":"]
    for i, (name, part) in enumerate(study.groupby("interval", sort=False)):
        part = part.sort_values("tau")
        ax.errorbar(
            part["tau"],
            part["coverage"],
            yerr=2 * part["coverage_mcse"],
            marker=figures.MARKERS[i],
            linestyle=styles[i % len(styles)],
            color=figures.colours(3)[i],
            capsize=3,
            label=name,
        )
    if marker_tau is not None:
        ax.axvline(marker_tau, color="#888888", linestyle=":", lw=1, label="Spread of the generator's site effects")
    ax.set_xlabel("Between-site standard deviation of the true log rate ratios (tau)")
    ax.set_ylabel("Coverage of the 95% interval")
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.2), ncol=2, fontsize=8)
    return fig
