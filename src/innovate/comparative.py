"""Comparative designs for area panels: controlled ITS, difference-in-differences and
synthetic control.

Every estimator checks first whether the data can carry it and returns
:class:`innovate.its.NotEstimable` (with the reason) rather than fit what cannot be fitted:
the annual DfE series are short (assessment factors 2018-2025; missing from care
2015-2024), so a site that started in 2019 has one or two years before.

``controlled_its``
    treated and comparison series in one segmented regression with ``G``, ``G*t``,
    ``G*X`` and ``G*X*(t - T0)``; ``b6`` (``group_level``) and ``b7`` (``group_slope``)
    are the differences in level and trend change. Count GLMs on the stacked series
    (panel Newey-West errors optional), or ``method='prais_winsten'``: the difference of
    the two log rates with AR(1) errors (Bottomley, Scott and Isham 2019 model the
    difference; Linden found Prais-Winsten kept coverage where Newey-West did not).
``did_2x2`` / ``twfe_did``
    the difference of differences of means, and two-way fixed effects with
    cluster-robust errors (t on G - 1 degrees of freedom, G clusters).
``callaway_santanna``
    staggered adoption: ATT(g, t) = E[Y_t - Y_{g-1} | G = g] - E[Y_t - Y_{g-1} | C], with
    never-treated or not-yet-treated controls C (Callaway and Sant'Anna 2021), aggregated
    by event time; written here, not taken from a package.
``synthetic_control``
    weights on donor areas (non-negative, summing to one) that best reproduce the treated
    area's pre-period outcomes (constrained least squares, SLSQP), pre-period RMSPE, the
    post/pre RMSPE ratio and placebo-in-space inference: each donor in turn is treated as
    if it had the innovation, and the p-value is the share of areas (treated included)
    whose ratio is at least the treated area's (Abadie 2021).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from . import its
from .errors import DataError, Problem
from .its import Estimate, NotEstimable

# --------------------------------------------------------------------------------------
# helpers


def _require(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError([Problem(source, "required-column", "column not in the data", column=c) for c in absent])


def _numeric(frame: pd.DataFrame, column: str, source: str, allow_missing: bool = True) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    bad = values.isna() & frame[column].notna()
    if not allow_missing:
        bad = bad | frame[column].isna()
    if bad.any():
        raise DataError([Problem(source, "numeric", "not a number", column, int(i) + 1, frame[column].iloc[i])
                         for i in np.flatnonzero(bad.to_numpy())])
    return values


# --------------------------------------------------------------------------------------
# controlled interrupted time series


@dataclass(frozen=True)
class ControlledITSResult:
    """Controlled ITS: differences between treated and comparison series.

    ``group_level`` is exp(b6), the ratio of the treated series' level change to the
    comparison's; ``group_slope`` exp(b7), the ratio of their trend changes (per period).
    ``treated_level``/``treated_slope`` are the treated series' own changes (exp(b2+b6),
    exp(b3+b7)) and ``comparison_level``/``comparison_slope`` the comparison's (exp(b2),
    exp(b3)).
    """

    label: str
    method: str
    errors: str
    n_pre: int
    n_post: int
    t0: float
    group_level: Estimate
    group_slope: Estimate
    treated_level: Estimate
    treated_slope: Estimate
    comparison_level: Estimate
    comparison_slope: Estimate
    rho: float | None
    scale: float
    diagnostics: dict
    fitted: pd.DataFrame
    notes: tuple[str, ...] = ()
    estimable: bool = field(default=True, init=False)

    def table(self) -> pd.DataFrame:
        labels = {
            "group_level": "Difference in level change (ratio, treated / comparison)",
            "group_slope": "Difference in trend change (ratio per period)",
            "treated_level": "Treated: level change (rate ratio)",
            "treated_slope": "Treated: change in trend (per period)",
            "comparison_level": "Comparison: level change (rate ratio)",
            "comparison_slope": "Comparison: change in trend (per period)",
        }
        rows = []
        for key, text in labels.items():
            est = getattr(self, key)
            rows.append({"label": self.label, "method": self.method, "term": text, "estimate": est.estimate,
                         "lower": est.lower, "upper": est.upper, "p_value": est.p_value, "n_pre": self.n_pre,
                         "n_post": self.n_post, "note": "; ".join(self.notes)})
        return pd.DataFrame(rows)


def controlled_its(
    data: pd.DataFrame,
    *,
    group: str = "group",
    count: str = "count",
    post: str = "post",
    time: str = "time",
    offset: str | None = "population",
    season: str | None = None,
    date: str | None = None,
    method: str = "quasipoisson",
    errors: str = "model",
    harmonics: int = 0,
    period: float = 12,
    frequency: str = "monthly",
    maxlags: int | None = None,
    rate_per: float = 1.0,
    confidence: float = 0.95,
    covariates: tuple[str, ...] | list[str] = (),
    label: str = "",
    source: str = "<data frame>",
) -> ControlledITSResult | NotEstimable:
    """Controlled ITS of a treated series (``group`` 1) against a comparison series (0).

    Both series share the same periods and the same ``post`` coding (the comparison
    carries the treated site's intervention date). ``method`` is a count GLM
    ('poisson', 'quasipoisson', 'negbin'; ``errors='hac'`` gives panel Newey-West errors
    with each series its own panel) or 'prais_winsten' (difference of log rates, treated
    minus comparison, with AR(1) errors). ``covariates`` (count GLMs only) enter as
    effects shared by both series (for example a COVID-19 indicator); in the difference
    model shared effects cancel.
    """
    if method not in ("poisson", "quasipoisson", "negbin", "prais_winsten"):
        raise ValueError(f"method must be poisson, quasipoisson, negbin or prais_winsten, got {method!r}")
    covariates = list(covariates)
    needed = [group, count, post, time] + ([offset] if offset else []) + ([season] if harmonics else []) + covariates
    _require(data, needed, source)
    g = _numeric(data, group, source, allow_missing=False)
    bad = ~g.isin([0.0, 1.0])
    if bad.any():
        raise DataError([Problem(source, "allowed-values", "group must be 0 (comparison) or 1 (treated)", group, int(i) + 1,
                                 data[group].iloc[i]) for i in np.flatnonzero(bad.to_numpy())])
    if set(g.unique()) != {0.0, 1.0}:
        raise DataError([Problem(source, "both-groups", "the data need a treated (1) and a comparison (0) series", group)])
    # validate each series with the single-series checks
    frames = {}
    for value in (1.0, 0.0):
        part = data.loc[(g == value).to_numpy()]
        checked, dropped = its._check_input(part, count=count, post=post, time=time, offset=offset, season=season,
                                            harmonics=harmonics, period=period, source=source, missing="error")
        frames[value] = checked
    t_treated, t_comparison = frames[1.0]["_time"].to_numpy(), frames[0.0]["_time"].to_numpy()
    if not np.array_equal(t_treated, t_comparison) or not np.array_equal(frames[1.0]["_post"], frames[0.0]["_post"]):
        raise DataError([Problem(source, "aligned-series", "treated and comparison series must cover the same periods "
                                 "with the same post coding", time)])
    treated = frames[1.0]
    n_pre = int((treated["_post"] == 0).sum())
    n_post = int((treated["_post"] == 1).sum())
    need = its.MIN_POINTS_SEASONAL if harmonics else its.MIN_POINTS_EPOC
    if n_pre < need[0] or n_post < need[1]:
        return NotEstimable(label, f"{n_pre} periods before and {n_post} after; the minimum is {need[0]} and {need[1]}",
                            n_pre, n_post, method)
    t0 = float(treated.loc[treated["_post"] == 0, "_time"].max())
    z = stats.norm.ppf(0.5 + confidence / 2)
    notes: list[str] = []
    diagnostics: dict = {}
    rho = None

    if method == "prais_winsten":
        y1, y0 = treated["_y"].to_numpy(float), frames[0.0]["_y"].to_numpy(float)
        if (y1 <= 0).any() or (y0 <= 0).any():
            y1, y0 = y1 + 0.5, y0 + 0.5
            notes.append("0.5 added to every count before taking logs (a count of zero)")
        diff = (np.log(y1) - np.log(treated["_offset"].to_numpy(float))) - (
            np.log(y0) - np.log(frames[0.0]["_offset"].to_numpy(float)))
        Xd = its.design(treated, t0, harmonics, period, True)
        Xc = sm.add_constant(Xd, has_constant="add")
        pw = its.prais_winsten(diff, Xc.to_numpy(float))
        names = list(Xc.columns)
        params = pd.Series(pw["params"], index=names)
        cov = pd.DataFrame(pw["cov"], index=names, columns=names)
        dist = stats.t(pw["df_resid"])
        crit = dist.ppf(0.5 + confidence / 2)
        rho, scale = pw["rho"], float(pw["resid"] @ pw["resid"] / pw["df_resid"])
        resid, exog = pw["resid"], pw["exog"]

        def est(terms):
            return _ratio(params, cov, terms, dist, crit)

        group_level, group_slope = est(["level"]), est(["slope"])
        nan = Estimate(np.nan, np.nan, np.nan, np.nan)
        treated_level = treated_slope = comparison_level = comparison_slope = nan
        notes.append("difference of log rates: only the differences (treated minus comparison) are estimated")
        fitted = pd.DataFrame({"time": treated["_time"].to_numpy(), "post": treated["_post"].to_numpy(int),
                               "log_rate_difference": diff, "fitted_difference": Xc.to_numpy(float) @ pw["params"]})
    else:
        rows = []
        for value, part in frames.items():
            d = its.design(part, t0, harmonics, period, True)
            for c in covariates:
                d[f"cov_{c}"] = pd.to_numeric(part[c], errors="raise").to_numpy(float)
            d["y"] = part["_y"].to_numpy(float)
            d["log_offset"] = np.log(part["_offset"].to_numpy(float))
            d["group"] = value
            rows.append(d)
        stacked = pd.concat(rows, ignore_index=True)
        seasonal = [c for c in stacked.columns if c.startswith(("sin", "cos", "cov_"))]
        # y ~ time + level + slope + group + group:time + group:level + group:slope + seasonal terms
        exog = pd.DataFrame({"Intercept": 1.0, "time": stacked["time"], "level": stacked["level"],
                             "slope": stacked["slope"], "group": stacked["group"],
                             "group:time": stacked["group"] * stacked["time"],
                             "group:level": stacked["group"] * stacked["level"],
                             "group:slope": stacked["group"] * stacked["slope"]})
        for column in seasonal:
            exog[column] = stacked[column]
        y, log_offset = stacked["y"].to_numpy(float), stacked["log_offset"].to_numpy(float)
        if method == "negbin":
            alpha = its.estimate_nb_alpha(y, exog, log_offset, notes)
            family = sm.families.NegativeBinomial(alpha=max(alpha, 1e-8))
            diagnostics["alpha"] = alpha
        else:
            family = sm.families.Poisson()
        model = sm.GLM(y, exog, family=family, offset=log_offset)
        if errors == "hac":
            L = maxlags if maxlags is not None else its.newey_west_lags(len(treated))
            fit = model.fit(cov_type="hac-panel", cov_kwds={"groups": stacked["group"].astype(int).to_numpy(),
                                                            "maxlags": L})
            diagnostics["maxlags"] = L
        elif method == "quasipoisson":
            fit = model.fit(scale="X2")
        else:
            fit = model.fit()
        params, cov = fit.params, fit.cov_params()
        dist, crit = stats.norm, z
        scale = float(fit.pearson_chi2 / fit.df_resid)
        diagnostics["dispersion"] = scale

        def est(terms):
            return _ratio(params, cov, terms, dist, crit)

        group_level, group_slope = est(["group:level"]), est(["group:slope"])
        treated_level, treated_slope = est(["level", "group:level"]), est(["slope", "group:slope"])
        comparison_level, comparison_slope = est(["level"]), est(["slope"])
        # residual diagnostics on the treated series' Pearson residuals, in time order
        resid_all = np.asarray(fit.resid_pearson)
        resid = resid_all[(stacked["group"] == 1).to_numpy()]
        exog = model.exog[(stacked["group"] == 1).to_numpy()]
        eta = model.exog @ params.to_numpy() + stacked["log_offset"].to_numpy()
        fitted = pd.DataFrame({
            "time": stacked["time"], "group": stacked["group"].astype(int), "post": stacked["level"].astype(int),
            "count": stacked["y"], "rate": stacked["y"] / np.exp(stacked["log_offset"]) * rate_per,
            "fitted_rate": np.exp(eta - stacked["log_offset"]) * rate_per,
        })
    lags = its._diagnostic_lags(len(treated), frequency, period)
    lb = acorr_ljungbox(resid, lags=[lags])
    diagnostics["ljung_box_lags"] = lags
    diagnostics["ljung_box_p"] = float(lb["lb_pvalue"].iloc[0])
    diagnostics["breusch_godfrey_p"] = its.breusch_godfrey(resid, exog, lags)[1]
    diagnostics["durbin_watson"] = float(durbin_watson(resid))
    if date is not None and date in treated.columns:
        dates = dict(zip(treated["_time"], treated[date]))
        fitted.insert(1, "date", fitted["time"].map(dates))
    return ControlledITSResult(
        label=label, method=method, errors=errors if method != "prais_winsten" else "AR(1)", n_pre=n_pre, n_post=n_post,
        t0=t0, group_level=group_level, group_slope=group_slope, treated_level=treated_level,
        treated_slope=treated_slope, comparison_level=comparison_level, comparison_slope=comparison_slope, rho=rho,
        scale=scale, diagnostics=diagnostics, fitted=fitted, notes=tuple(notes),
    )


def _ratio(params: pd.Series, cov: pd.DataFrame, terms: list[str], dist, crit: float) -> Estimate:
    names = list(params.index)
    v = np.zeros(len(names))
    for term in terms:
        v[names.index(term)] = 1.0
    b = float(v @ params.to_numpy())
    se = float(np.sqrt(v @ cov.to_numpy() @ v))
    p = float(2 * dist.sf(abs(b / se))) if se > 0 else 0.0
    return Estimate(math.exp(b), math.exp(b - crit * se), math.exp(b + crit * se), p)


# --------------------------------------------------------------------------------------
# difference-in-differences


@dataclass(frozen=True)
class DiDResult:
    """A difference-in-differences estimate on the outcome's own scale."""

    label: str
    method: str
    estimate: float
    se: float
    lower: float
    upper: float
    p_value: float
    n_units: int
    n_treated: int
    n_periods: int
    n_pre: int
    notes: tuple[str, ...] = ()
    cells: pd.DataFrame | None = None
    inference: str = ""
    placebos: pd.DataFrame | None = None
    estimable: bool = field(default=True, init=False)

    @property
    def n_post(self) -> int:
        return self.n_periods - self.n_pre

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "label": self.label, "method": self.method, "term": "ATT", "estimate": self.estimate, "se": self.se,
            "lower": self.lower, "upper": self.upper, "p_value": self.p_value, "n_units": self.n_units,
            "n_treated": self.n_treated, "n_periods": self.n_periods, "n_pre": self.n_pre,
            "inference": self.inference, "note": "; ".join(self.notes),
        }])


def did_2x2(panel: pd.DataFrame, *, unit: str = "unit", outcome: str = "value", treated: str = "treated",
            post: str = "post") -> float:
    """The canonical 2x2 difference in differences of means:
    (treated after - treated before) - (control after - control before)."""
    _require(panel, [unit, outcome, treated, post], "<panel>")
    means = panel.groupby([treated, post])[outcome].mean()
    for key in [(1, 1), (1, 0), (0, 1), (0, 0)]:
        if key not in means.index:
            raise DataError([Problem("<panel>", "cells", f"no rows with {treated}={key[0]}, {post}={key[1]}", treated)])
    return float((means[(1, 1)] - means[(1, 0)]) - (means[(0, 1)] - means[(0, 0)]))


def _clean_panel(panel: pd.DataFrame, unit: str, time: str, outcome: str, source: str) -> tuple[pd.DataFrame, list[str]]:
    _require(panel, [unit, time, outcome], source)
    frame = panel.copy()
    frame[outcome] = _numeric(frame, outcome, source)
    frame[time] = _numeric(frame, time, source, allow_missing=False)
    dup = frame.duplicated([unit, time], keep=False)
    if dup.any():
        raise DataError([Problem(source, "unique-key", f"({unit}, {time}) appears more than once", time, int(i) + 1)
                         for i in np.flatnonzero(dup.to_numpy())])
    notes = []
    missing = frame[outcome].isna()
    if missing.any():
        gone = frame.loc[missing, [unit, time]]
        listed = ", ".join(f"{u} {int(t)}" for u, t in gone.itertuples(index=False))
        notes.append(f"{int(missing.sum())} unit-period(s) without a value excluded: {listed}")
        frame = frame.loc[~missing]
    return frame.reset_index(drop=True), notes


def _twfe_design(frame: pd.DataFrame, unit: str, time: str, treat: np.ndarray) -> np.ndarray:
    """``[D, unit dummies, time dummies (first dropped)]``: the two-way fixed effects design."""
    units = pd.get_dummies(frame[unit].astype(str), dtype=float).to_numpy()
    times = pd.get_dummies(frame[time], dtype=float).to_numpy()[:, 1:]
    return np.column_stack([treat.astype(float), units, times])


def _twfe_estimate(frame: pd.DataFrame, unit: str, time: str, outcome: str, treat: np.ndarray) -> float:
    X = _twfe_design(frame, unit, time, treat)
    return float(np.linalg.lstsq(X, frame[outcome].to_numpy(float), rcond=None)[0][0])


def twfe_did(
    panel: pd.DataFrame,
    *,
    unit: str = "unit",
    time: str = "year",
    outcome: str = "value",
    first_treated: str = "first_treated",
    min_pre: int = 2,
    confidence: float = 0.95,
    label: str = "",
    source: str = "<panel>",
) -> DiDResult | NotEstimable:
    """Two-way fixed effects DiD: ``Y_it = a_i + l_t + beta D_it + e_it`` with
    ``D_it = 1`` when unit ``i`` is treated by ``t`` (``t >= first_treated``; never-treated
    units have ``first_treated`` missing or 0).

    Inference: with two or more treated units, cluster-robust standard errors by unit and
    t on G - 1 degrees of freedom (G clusters). With a single treated unit cluster-robust
    errors are not valid; the p-value then comes from placebos in space - each comparison
    unit in turn is given the treated unit's adoption year and the estimate recomputed -
    as the share of units (treated included) whose absolute estimate is at least the
    treated one's, and no interval is given. With staggered timing and changing effects
    the TWFE coefficient is a weighted average that can mislead; see
    :func:`callaway_santanna`.
    """
    frame, notes = _clean_panel(panel, unit, time, outcome, source)
    _require(frame, [first_treated], source)
    g = pd.to_numeric(frame[first_treated], errors="coerce").fillna(0.0).to_numpy()
    treat = (g > 0) & (frame[time].to_numpy(float) >= g)
    units = frame[unit].astype(str).to_numpy()
    treated_units = sorted(set(units[g > 0]))
    controls = sorted(set(units[g == 0]))
    n_units = len(set(units))
    periods = np.sort(frame[time].unique())
    first = g[g > 0].min() if (g > 0).any() else np.nan
    n_pre = int((periods < first).sum()) if np.isfinite(first) else 0
    reason = None
    if not treated_units:
        reason = "no treated unit"
    elif not controls:
        reason = "no never-treated or comparison unit"
    elif n_pre < min_pre:
        reason = f"{n_pre} period(s) before the first adoption; at least {min_pre} needed"
    elif not treat.any():
        reason = "no treated period observed"
    if reason:
        return NotEstimable(label, reason, n_pre, int(len(periods) - n_pre), "two-way fixed effects")
    clusters = pd.factorize(frame[unit].astype(str))[0]
    fit = sm.OLS(frame[outcome].to_numpy(float), _twfe_design(frame, unit, time, treat)).fit(
        cov_type="cluster", cov_kwds={"groups": clusters})
    b = float(fit.params[0])
    if len(treated_units) >= 2:
        G = len(np.unique(clusters))
        se = float(fit.bse[0])
        dist = stats.t(G - 1)
        crit = dist.ppf(0.5 + confidence / 2)
        p = float(2 * dist.sf(abs(b / se))) if se > 0 else np.nan
        lower, upper, placebos, inference = b - crit * se, b + crit * se, None, "cluster-robust (t, G - 1 df)"
        if len(treated_units) < 5:
            notes.append(f"{len(treated_units)} treated clusters: cluster-robust errors are unreliable with so few")
    else:
        adoption = float(first)
        rows = []
        untreated = frame.loc[g == 0]
        skipped = []
        for c in controls:
            mine = untreated[unit].astype(str).to_numpy() == c
            fake = mine & (untreated[time].to_numpy(float) >= adoption)
            if not fake.any() or fake.sum() == mine.sum():
                skipped.append(c)  # no period after, or none before: the placebo is not identified
                continue
            rows.append({"unit": c, "estimate": _twfe_estimate(untreated, unit, time, outcome, fake)})
        placebos = pd.DataFrame(rows, columns=["unit", "estimate"])
        p = float((1 + (placebos["estimate"].abs() >= abs(b) - 1e-12).sum()) / (1 + len(placebos)))
        se, lower, upper = np.nan, np.nan, np.nan
        inference = "placebo-in-space permutation"
        if skipped:
            notes.append("placebo area(s) without periods both before and after skipped: " + ", ".join(skipped))
        notes.append(f"one treated area: p-value from {len(placebos)} placebo areas (smallest attainable "
                     f"{1 / (1 + len(placebos)):.3f}); no interval")
    return DiDResult(label, "two-way fixed effects", b, se, lower, upper, p, n_units, len(treated_units),
                     len(periods), n_pre, tuple(notes), None, inference, placebos)


def callaway_santanna(
    panel: pd.DataFrame,
    *,
    unit: str = "unit",
    time: str = "year",
    outcome: str = "value",
    first_treated: str = "first_treated",
    control: str = "never",
    min_pre: int = 1,
    bootstrap: int = 999,
    seed: int = 20240401,
    confidence: float = 0.95,
    label: str = "",
    source: str = "<panel>",
) -> DiDResult | NotEstimable:
    """Staggered difference-in-differences (Callaway and Sant'Anna 2021), unconditional.

    ATT(g, t) = mean over cohort g of (Y_t - Y_{g-1}) minus the same mean over the
    controls: never-treated units (``control='never'``) or, in addition, units not yet
    treated by ``max(t, g-1)`` (``control='notyet'``). Cells need a unit of the cohort and
    a control with values at both ``t`` and ``g-1``. The overall ATT averages the
    post-adoption cells (t >= g) weighted by cohort size; ``cells`` holds every ATT(g, t)
    with its event time ``e = t - g`` and a Welch standard error where the cohort and the
    controls each hold at least two units.

    The overall standard error comes from a bootstrap over units stratified by cohort
    (treated cohorts and controls resampled separately, ``seed`` fixed). With one unit
    in a cohort the bootstrap holds that unit fixed and so understates uncertainty; the
    result says so.
    """
    if control not in ("never", "notyet"):
        raise ValueError("control must be 'never' or 'notyet'")
    frame, notes = _clean_panel(panel, unit, time, outcome, source)
    _require(frame, [first_treated], source)
    frame["_g"] = pd.to_numeric(frame[first_treated], errors="coerce").fillna(0.0)
    per_unit = frame.groupby(unit)["_g"].nunique()
    if (per_unit > 1).any():
        bad = per_unit.index[per_unit > 1][0]
        raise DataError([Problem(source, "constant-within-unit", "first_treated differs across a unit's rows",
                                 first_treated, value=bad)])
    wide = frame.pivot(index=unit, columns=time, values=outcome)
    cohort = frame.groupby(unit)["_g"].first().reindex(wide.index)
    periods = np.asarray(wide.columns, float)
    cohorts = sorted(c for c in cohort.unique() if c > 0)
    if not cohorts:
        return NotEstimable(label, "no treated unit", 0, 0, "Callaway-Sant'Anna")
    if control == "never" and not (cohort == 0).any():
        return NotEstimable(label, "no never-treated unit to compare with", 0, 0, "Callaway-Sant'Anna")
    usable = [c for c in cohorts if int((periods < c).sum()) >= min_pre and (c - 1) in periods]
    skipped = [c for c in cohorts if c not in usable]
    if skipped:
        notes.append("cohort(s) " + ", ".join(str(int(c)) for c in skipped) +
                     f" dropped: fewer than {min_pre} period(s) before adoption or no value the year before")
    if not usable:
        return NotEstimable(label, f"no cohort has {min_pre} period(s) before adoption in the data", 0, 0,
                            "Callaway-Sant'Anna")

    W = wide.to_numpy(float)
    G = cohort.to_numpy(float)
    column = {t: j for j, t in enumerate(periods)}
    # the (cohort, period) cells and their control rules, fixed once
    plan = []
    for gval in usable:
        base = gval - 1
        for t in periods:
            if t != base:
                plan.append((gval, t, column[t], column[base]))

    def att_cells(W: np.ndarray, G: np.ndarray, with_se: bool) -> list[tuple]:
        out = []
        for gval, t, jt, jb in plan:
            members = G == gval
            if control == "never":
                ctrl = G == 0
            else:
                ctrl = (G == 0) | ((G > max(t, gval - 1)) & (G != gval))
            diff = W[:, jt] - W[:, jb]
            dt = diff[members & np.isfinite(diff)]
            dc = diff[ctrl & np.isfinite(diff)]
            if dt.size == 0 or dc.size == 0:
                continue
            se = np.nan
            if with_se and dt.size > 1 and dc.size > 1:
                se = math.sqrt(dt.var(ddof=1) / dt.size + dc.var(ddof=1) / dc.size)
            out.append((int(gval), t, t - gval, float(dt.mean() - dc.mean()), se, dt.size, dc.size))
        return out

    def overall(cells: list[tuple]) -> float:
        post = [(c[3], c[5]) for c in cells if c[2] >= 0]
        if not post:
            return np.nan
        att, n = np.array(post).T
        return float(np.average(att, weights=n))

    cell_list = att_cells(W, G, True)
    cells = pd.DataFrame(cell_list, columns=["cohort", "time", "event_time", "att", "se", "n_treated", "n_control"])
    est = overall(cell_list)
    if not np.isfinite(est):
        return NotEstimable(label, "no post-adoption cell has a treated unit and a control with values", 0, 0,
                            "Callaway-Sant'Anna")
    rng = np.random.default_rng(seed)
    strata = [np.flatnonzero(G == key) for key in np.unique(G)]
    replicates = np.empty(bootstrap)
    for b in range(bootstrap):
        rows = np.concatenate([idx[rng.integers(0, idx.size, idx.size)] for idx in strata])
        replicates[b] = overall(att_cells(W[rows], G[rows], False))
    replicates = replicates[np.isfinite(replicates)]
    se = float(np.std(replicates, ddof=1)) if replicates.size > 1 else np.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = float(2 * stats.norm.sf(abs(est / se))) if np.isfinite(se) and se > 0 else np.nan
    if (cells["n_treated"] < 2).any():
        notes.append("cohorts of one unit: the bootstrap holds those units fixed, so the standard error "
                     "understates uncertainty; read as a sensitivity analysis")
    n_pre = int(min((periods < c).sum() for c in usable))
    return DiDResult(label, f"Callaway-Sant'Anna ({control}-treated controls)", est, se, est - z * se, est + z * se, p,
                     int(len(wide)), int((cohort > 0).sum()), int(len(periods)), n_pre, tuple(notes), cells,
                     "bootstrap over units, stratified by cohort")


def event_study(cells: pd.DataFrame) -> pd.DataFrame:
    """Aggregate ATT(g, t) cells by event time (weights: treated units in the cell)."""
    rows = []
    for e, part in cells.groupby("event_time"):
        rows.append({"event_time": int(e), "att": float(np.average(part["att"], weights=part["n_treated"])),
                     "cells": len(part), "n_treated": int(part["n_treated"].sum())})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------
# synthetic control


@dataclass(frozen=True)
class SyntheticControlResult:
    """Synthetic control for one treated unit."""

    label: str
    treated: str
    weights: pd.Series
    series: pd.DataFrame
    pre_rmspe: float
    post_rmspe: float
    ratio: float
    att: float
    p_value: float
    placebos: pd.DataFrame
    n_pre: int
    n_post: int
    notes: tuple[str, ...] = ()
    placebo_gaps: pd.DataFrame | None = None  # one row per placebo unit, one column per period
    estimable: bool = field(default=True, init=False)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "label": self.label, "method": "synthetic control", "treated": self.treated,
            "att": self.att, "pre_rmspe": self.pre_rmspe, "post_rmspe": self.post_rmspe,
            "rmspe_ratio": self.ratio, "p_value": self.p_value, "n_donors": int(len(self.weights)),
            "n_pre": self.n_pre, "n_post": self.n_post, "note": "; ".join(self.notes),
        }])


def synthetic_weights(treated_pre: np.ndarray, donors_pre: np.ndarray) -> np.ndarray:
    """Weights w >= 0 with sum(w) = 1 minimising ||y1 - Y0 w||^2 over the pre-period (SLSQP)."""
    y1 = np.asarray(treated_pre, float)
    Y0 = np.asarray(donors_pre, float)
    k = Y0.shape[1]
    scale = float(np.abs(Y0).max()) or 1.0
    y1s, Y0s = y1 / scale, Y0 / scale
    w0 = np.full(k, 1.0 / k)

    def loss(w):
        r = y1s - Y0s @ w
        return float(r @ r)

    def grad(w):
        return -2.0 * Y0s.T @ (y1s - Y0s @ w)

    res = optimize.minimize(loss, w0, jac=grad, method="SLSQP", bounds=[(0.0, 1.0)] * k,
                            constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(k)}],
                            options={"ftol": 1e-14, "maxiter": 1000})
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


def _fit_sc(wide: pd.DataFrame, treated: str, donors: list[str], pre_mask: np.ndarray):
    y1 = wide[treated].to_numpy(float)
    Y0 = wide[donors].to_numpy(float)
    w = synthetic_weights(y1[pre_mask], Y0[pre_mask])
    synth = Y0 @ w
    gap = y1 - synth
    pre_rmspe = float(np.sqrt(np.mean(gap[pre_mask] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[~pre_mask] ** 2)))
    return w, synth, gap, pre_rmspe, post_rmspe


def synthetic_control(
    panel: pd.DataFrame,
    *,
    treated: str,
    first_treated_period: float,
    donors: list[str] | None = None,
    unit: str = "unit",
    time: str = "year",
    outcome: str = "value",
    min_pre: int = 5,
    min_donors: int = 3,
    label: str = "",
    source: str = "<panel>",
) -> SyntheticControlResult | NotEstimable:
    """Synthetic control of ``treated`` from a pre-specified donor pool.

    Periods before ``first_treated_period`` are the pre-period. Donors and the treated
    unit need a value in every period used; a period where any of them lacks one is
    excluded and named in ``notes``, and a donor with no values is dropped and named.
    ``min_pre`` (default 5) is this book's pre-specified least pre-period: with fewer
    points the weights match noise (Abadie 2021 asks for a long pre-period).

    The placebo p-value is (1 + number of donors whose post/pre RMSPE ratio is at least
    the treated unit's) / (1 + number of donors), each placebo fitted from the other
    donors (the treated unit excluded).
    """
    frame, notes = _clean_panel(panel, unit, time, outcome, source)
    frame[unit] = frame[unit].astype(str)
    wide = frame.pivot(index=time, columns=unit, values=outcome).sort_index()
    treated = str(treated)
    if treated not in wide.columns:
        raise DataError([Problem(source, "treated-unit", "the treated unit has no rows", unit, value=treated)])
    pool = [str(d) for d in (donors if donors is not None else wide.columns) if str(d) != treated]
    absent = [d for d in pool if d not in wide.columns]
    if absent:
        notes.append("donor(s) without any value dropped: " + ", ".join(absent))
    pool = [d for d in pool if d in wide.columns]
    wide = wide[[treated] + pool]
    # periods where the treated unit has no value are excluded (named in notes by
    # _clean_panel); a donor lacking a value in any remaining period is dropped and named,
    # so that every period keeps the same donors.
    wide = wide.loc[wide[treated].notna()]
    gappy = [d for d in pool if wide[d].isna().any()]
    if gappy:
        notes.append("donor(s) without a value in every period dropped: " + ", ".join(gappy))
        pool = [d for d in pool if d not in gappy]
        wide = wide[[treated] + pool]
    pre_mask = np.asarray(wide.index < first_treated_period)
    n_pre, n_post = int(pre_mask.sum()), int((~pre_mask).sum())
    if n_pre < min_pre:
        return NotEstimable(label, f"{n_pre} pre-period(s); at least {min_pre} are needed for a synthetic control",
                            n_pre, n_post, "synthetic control")
    if n_post < 1:
        return NotEstimable(label, "no post-period", n_pre, n_post, "synthetic control")
    if len(pool) < min_donors:
        return NotEstimable(label, f"{len(pool)} donor(s) with complete data; at least {min_donors} needed",
                            n_pre, n_post, "synthetic control")
    w, synth, gap, pre_rmspe, post_rmspe = _fit_sc(wide, treated, pool, pre_mask)
    ratio = post_rmspe / pre_rmspe if pre_rmspe > 0 else np.inf
    placebo_rows, gaps = [], {}
    for d in pool:
        others = [o for o in pool if o != d]
        _, _, pgap, ppre, ppost = _fit_sc(wide, d, others, pre_mask)
        placebo_rows.append({"unit": d, "pre_rmspe": ppre, "post_rmspe": ppost,
                             "ratio": ppost / ppre if ppre > 0 else np.inf, "att": float(pgap[~pre_mask].mean())})
        gaps[d] = pgap
    placebos = pd.DataFrame(placebo_rows)
    placebo_gaps = pd.DataFrame(gaps, index=wide.index).T
    p_value = float((1 + (placebos["ratio"] >= ratio).sum()) / (1 + len(placebos)))
    if len(pool) < 19:
        notes.append(f"{len(pool)} donors: the smallest attainable placebo p-value is {1 / (1 + len(pool)):.3f}")
    series = pd.DataFrame({"time": wide.index.to_numpy(), "treated": wide[treated].to_numpy(float),
                           "synthetic": synth, "gap": gap, "post": (~pre_mask).astype(int)})
    return SyntheticControlResult(label, treated, pd.Series(w, index=pool, name="weight"), series, pre_rmspe,
                                  post_rmspe, ratio, float(gap[~pre_mask].mean()), p_value, placebos, n_pre, n_post,
                                  tuple(notes), placebo_gaps)


# --------------------------------------------------------------------------------------
# a site's area against its statistical neighbours (real DfE statistics)

#: Public measures a site's area can be compared on: id -> readable name.
PUBLIC_MEASURES: dict[str, str] = {
    "Child_sexual_exploitation": "Child sexual exploitation identified at assessment",
    "Child_criminal_exploitation": "Child criminal exploitation identified at assessment",
    "Going_missing": "Going missing identified at assessment",
    "Gangs": "Gangs identified at assessment",
    "Trafficking": "Trafficking identified at assessment",
    "children_missing": "Looked-after children who went missing",
}

#: English regions (GSS codes): the comparison pool for a region-wide site (Safer London).
ENGLISH_REGIONS = tuple(f"E1200000{i}" for i in range(1, 10))

#: The year whose collection was disrupted by the first COVID-19 lockdowns (year ending
#: 31 March 2021 holds April 2020 to March 2021).
COVID_YEAR = 2021


def first_post_year(start) -> int:
    """The first DfE year (ending 31 March) counted as after an innovation that started on
    ``start``: the first year whose second half (1 October to 31 March) begins on or after
    the start, so that at least half of it is exposed."""
    start = pd.Timestamp(start)
    year = start.year
    while pd.Timestamp(year=year - 1, month=10, day=1) < start:
        year += 1
    return int(year)


def _public_counts(measure: str) -> pd.DataFrame:
    from . import public

    if measure in public.EXTRA_FAMILIAL_FACTORS:
        counts = public.assessment_factors([measure])
    elif measure == "children_missing":
        counts = public.missing_from_care(["children_missing"])
        counts = counts.drop(columns=[c for c in ("measure_id", "source", "source_file") if c in counts.columns])
    else:
        raise KeyError(f"unknown public measure {measure!r}; known: {', '.join(PUBLIC_MEASURES)}")
    return counts


@functools.lru_cache(maxsize=16)
def _public_rates_cached(measure: str, folder: str) -> pd.DataFrame:
    from . import public

    return public.rate_per_10k(_public_counts(measure))


def _public_rates(measure: str) -> pd.DataFrame:
    """Rates per 10,000 children for a public measure (cached per data folder; a copy)."""
    from .paths import public_dir

    return _public_rates_cached(measure, str(public_dir())).copy()


def comparison_areas(site_id: str, model: int = 2021) -> dict:
    """The site's own area, its pre-specified comparison pool and what was excluded.

    English LAs: the ten DfE statistical neighbours (``model`` 2021 groupings, the model in
    force during the study), minus the other study sites' areas (their innovations are of
    the same kind). Safer London: the other English regions. Returns a dict with
    ``area_code``, ``level``, ``donors`` (codes), ``names`` (code -> name), ``excluded``.
    """
    from .paths import public_dir, reference_dir

    cached = _comparison_areas_cached(site_id, model, str(public_dir()), str(reference_dir()))
    return {k: (list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, dict) else v) for k, v in cached.items()}


@functools.lru_cache(maxsize=32)
def _comparison_areas_cached(site_id: str, model: int, _public: str, _reference: str) -> dict:
    from . import public, sites

    record = sites.site(site_id)
    if not record.in_dfe_data:
        raise ValueError(f"{record.site_name} is not covered by DfE statistics (nation: {record.nation})")
    study_areas = {s.area_code for s in sites.sites() if s.site_id != site_id}
    if record.area_level == "Regional":
        pool = [r for r in ENGLISH_REGIONS if r != record.area_code]
        names = dict(public.REGION_NAMES)
        level = "Regional"
    else:
        neighbours = public.statistical_neighbours(record.old_la_code, model=model)
        pool = [n.old_la_code for n in neighbours]
        names = {n.old_la_code: n.la_name for n in neighbours}
        level = "Local authority"
    excluded = [c for c in pool if c in study_areas]
    return {"area_code": record.area_code, "level": level, "donors": tuple(c for c in pool if c not in excluded),
            "names": names, "excluded": tuple(excluded), "site": record}


def area_panel(site_id: str, measure: str, model: int = 2021) -> pd.DataFrame:
    """Annual panel of rates per 10,000 children aged 0-17 for a site's area, its comparison
    areas and England.

    Columns: ``unit`` (area code), ``area_name``, ``role`` ('site', 'comparison',
    'England'), ``year`` (ending 31 March), ``value`` (rate), ``count``, ``population``,
    ``status`` (DfE status code where the value is withheld; never read as zero),
    ``first_treated`` (the site's first post year; 0 for the others).
    """
    from . import public

    areas = comparison_areas(site_id, model)
    rates = _public_rates(measure)
    keep = rates["area_code"].isin([areas["area_code"], *areas["donors"]]) & rates["level"].eq(areas["level"])
    national = rates["level"].eq("National")
    panel = rates.loc[keep | national].copy()
    panel["role"] = np.where(panel["level"] == "National", "England",
                             np.where(panel["area_code"] == areas["area_code"], "site", "comparison"))
    first = first_post_year(areas["site"].innovation_start)
    panel["first_treated"] = np.where(panel["role"] == "site", first, 0)
    panel = panel.rename(columns={"area_code": "unit"})
    columns = ["unit", "area_name", "role", "year", "value", "count", "population", "status", "first_treated"]
    order = {"site": 0, "comparison": 1, "England": 2}
    panel = panel.sort_values(["role", "unit", "year"], key=lambda s: s.map(order) if s.name == "role" else s)
    return panel[columns].reset_index(drop=True)


@dataclass(frozen=True)
class AreaComparison:
    """A site's area against its comparison areas and England on one public measure."""

    site_id: str
    site_name: str
    area_name: str
    measure: str
    measure_label: str
    first_post_year: int
    start_is_assumption: bool
    panel: pd.DataFrame
    summary: pd.DataFrame
    excluded: tuple[str, ...]
    notes: tuple[str, ...]


def site_vs_neighbours(site_id: str, measure: str, model: int = 2021) -> AreaComparison:
    """Rates per 10,000 children for the site's area, the median and range of its comparison
    areas, and England, one row per year (``summary``), with the caveats that apply."""
    areas = comparison_areas(site_id, model)
    panel = area_panel(site_id, measure, model)
    site_rows = panel[panel["role"] == "site"].set_index("year")
    comp = panel[panel["role"] == "comparison"]
    eng = panel[panel["role"] == "England"].set_index("year")
    years = sorted(panel["year"].unique())
    grouped = comp.groupby("year")["value"]
    summary = pd.DataFrame({
        "year": years,
        "site": site_rows["value"].reindex(years).to_numpy(),
        "comparison_median": grouped.median().reindex(years).to_numpy(),
        "comparison_min": grouped.min().reindex(years).to_numpy(),
        "comparison_max": grouped.max().reindex(years).to_numpy(),
        "comparison_areas_with_value": grouped.count().reindex(years).fillna(0).astype(int).to_numpy(),
        "england": eng["value"].reindex(years).to_numpy(),
        "site_status": site_rows["status"].reindex(years).fillna("").to_numpy(),
    })
    # years in which nothing was published for anyone (e.g. before a factor was collected) are left out
    summary = summary[summary[["site", "comparison_median", "england"]].notna().any(axis=1)].reset_index(drop=True)
    record = areas["site"]
    notes = _caveats(measure, summary, record)
    return AreaComparison(site_id, record.site_name, record.dfe_area_name or record.area_code, measure,
                          PUBLIC_MEASURES[measure], first_post_year(record.innovation_start),
                          bool(record.start_is_assumption), panel, summary, tuple(areas["excluded"]), tuple(notes))


def _caveats(measure: str, summary: pd.DataFrame, record) -> list[str]:
    notes = []
    if measure == "Child_criminal_exploitation":
        notes.append("child criminal exploitation is recorded only from the year ending March 2022: "
                     "no before-and-after comparison is possible")
    gaps = summary.loc[summary["site"].isna() & (summary["site_status"] != ""), "year"].tolist()
    if gaps:
        notes.append("no published value for the site's area in " + ", ".join(str(int(y)) for y in gaps))
    if COVID_YEAR in set(summary["year"]):
        notes.append(f"the year ending March {COVID_YEAR} carries the disruption of COVID-19")
    if record.start_is_assumption:
        notes.append("the innovation start date is an assumption (see the site register)")
    notes.append("areas differ in how they recognise and record extra-familial risk")
    return notes


def plot_site_vs_neighbours(comparison: AreaComparison, ax=None, title: str | None = None):
    """Site's rate (solid, circles), comparison-area median (dotted, triangles) and range
    (band), England (dashed, squares), a vertical line before the first post year."""
    from . import figures

    s = comparison.summary
    if ax is None:
        fig, ax = figures.new_figure(aspect=0.55)
    else:
        fig = ax.figure
    c = figures.PALETTE
    ax.fill_between(s["year"], s["comparison_min"], s["comparison_max"], color=c["sky_blue"], alpha=0.25, linewidth=0,
                    label="Comparison areas: range")
    ax.plot(s["year"], s["comparison_median"], color=c["blue"], linestyle=":", marker=figures.MARKERS[2],
            label="Comparison areas: median")
    ax.plot(s["year"], s["england"], color=c["black"], linestyle="--", marker=figures.MARKERS[1], label="England")
    ax.plot(s["year"], s["site"], color=c["vermillion"], linewidth=2.2, marker=figures.MARKERS[0],
            label=comparison.area_name)
    if s["year"].min() < comparison.first_post_year <= s["year"].max():
        ax.axvline(comparison.first_post_year - 0.5, color="black", linestyle="-.", linewidth=1,
                   label="Innovation start" + (" (assumed)" if comparison.start_is_assumption else ""))
    ax.set_xlabel("Year ending 31 March")
    ax.set_ylabel("Rate per 10,000 children")
    ax.set_xticks(s["year"].astype(int).tolist())
    ax.set_ylim(bottom=0)
    ax.set_title(title or comparison.measure_label, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


@dataclass(frozen=True)
class SiteAnalyses:
    """The quasi-experimental analyses that a site's public series allow (or why not)."""

    site_id: str
    measure: str
    its: object
    did: object
    synthetic: object

    def table(self) -> pd.DataFrame:
        """One row per design: estimate, interval, p-value, periods, and the reason when not estimable."""
        rows = []
        for design, result, scale in (("Interrupted time series (site only)", self.its, "rate ratio (level change)"),
                                      ("Difference in differences (two-way fixed effects)", self.did,
                                       "difference in rate per 10,000"),
                                      ("Synthetic control", self.synthetic, "mean gap in rate per 10,000")):
            row = {"design": design, "scale": scale, "estimate": np.nan, "lower": np.nan, "upper": np.nan,
                   "p_value": np.nan, "n_pre": getattr(result, "n_pre", 0), "n_post": getattr(result, "n_post", 0),
                   "note": ""}
            if not result.estimable:
                row["note"] = "not estimable: " + result.reason
            elif isinstance(result, its.ITSResult):
                row.update(estimate=result.level.estimate, lower=result.level.lower, upper=result.level.upper,
                           p_value=result.level.p_value, note="; ".join(result.notes))
            elif isinstance(result, DiDResult):
                row.update(estimate=result.estimate, lower=result.lower, upper=result.upper, p_value=result.p_value,
                           note="; ".join(result.notes))
            elif isinstance(result, SyntheticControlResult):
                row.update(estimate=result.att, p_value=result.p_value,
                           note=f"pre-period RMSPE {result.pre_rmspe:.2f}; post/pre RMSPE ratio {result.ratio:.1f}; "
                                + "; ".join(result.notes))
            rows.append(row)
        return pd.DataFrame(rows)


def site_analyses(site_id: str, measure: str, model: int = 2021) -> SiteAnalyses:
    """Annual ITS of the site's area (quasi-Poisson, population offset, 3+3 minimum), TWFE
    difference in differences against the comparison areas (2 pre-periods minimum) and a
    synthetic control from them (5 pre-periods minimum), on real DfE statistics."""
    comparison = site_vs_neighbours(site_id, measure, model)
    panel = comparison.panel
    label = f"{site_id}: {measure}"
    its_result = its.fit_site_series(site_id, measure, source="public", panel=panel)
    sub = panel[panel["role"] != "England"]
    did = twfe_did(sub, unit="unit", time="year", outcome="value", first_treated="first_treated", label=label)
    sc = synthetic_control(sub, treated=str(panel.loc[panel["role"] == "site", "unit"].iloc[0]),
                           first_treated_period=comparison.first_post_year, unit="unit", time="year",
                           outcome="value", label=label)
    return SiteAnalyses(site_id, measure, its_result, did, sc)


def plot_site_panels(site_id: str, measures: list[str] | None = None, ncols: int = 3, model: int = 2021):
    """One panel per measure: the site's area, its comparison areas (median and range) and
    England, rates per 10,000 children (real DfE statistics). One legend, below."""
    from . import figures

    measures = list(measures or [m for m in PUBLIC_MEASURES if m != "children_missing"])
    nrows = int(math.ceil(len(measures) / ncols))
    fig, axes = figures.new_figure(width="wide", aspect=0.3 * nrows + 0.08, nrows=nrows, ncols=ncols, squeeze=False,
                                   layout="constrained")
    flat = axes.ravel()
    name = ""
    for ax, measure in zip(flat, measures):
        comparison = site_vs_neighbours(site_id, measure, model)
        name = comparison.area_name
        plot_site_vs_neighbours(comparison, ax=ax, title=PUBLIC_MEASURES[measure].replace(" identified at assessment", ""))
        ax.get_legend().remove()
        ax.tick_params(labelsize=7)
        ax.set_xticks(comparison.summary["year"].astype(int).tolist()[::2])
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
    handles, labels = max((a.get_legend_handles_labels() for a in flat[:len(measures)]), key=lambda hl: len(hl[0]))
    _panel_legend(fig, flat, len(measures), handles, labels)
    fig.get_layout_engine().set(rect=(0, 0.03, 1, 0.97))  # room for the source line
    fig.text(0.01, 0.003, "Source: DfE children in need census; ONS mid-year estimates (OGL v3)", fontsize=7)
    return fig


def _panel_legend(fig, flat, used: int, handles, labels) -> None:
    """One legend for a grid of panels: in the first empty panel if there is one, else below."""
    for ax in flat[used:]:
        ax.set_axis_off()
    if used < len(flat):
        flat[used].legend(handles, labels, loc="center", fontsize=8, frameon=False)
    else:
        fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=8)


def plot_sites_measure(site_ids: list[str], measure: str, ncols: int = 3, model: int = 2021):
    """One panel per site for one measure (site, comparison areas, England)."""
    from . import figures

    nrows = int(math.ceil(len(site_ids) / ncols))
    fig, axes = figures.new_figure(width="wide", aspect=0.3 * nrows + 0.08, nrows=nrows, ncols=ncols, squeeze=False,
                                   layout="constrained")
    flat = axes.ravel()
    for ax, site_id in zip(flat, site_ids):
        comparison = site_vs_neighbours(site_id, measure, model)
        plot_site_vs_neighbours(comparison, ax=ax, title=comparison.area_name)
        ax.get_legend().remove()
        ax.tick_params(labelsize=7)
        ax.set_xticks(comparison.summary["year"].astype(int).tolist()[::2])
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
    handles, labels = flat[0].get_legend_handles_labels()
    labels = ["Site's area" if lab not in ("Comparison areas: range", "Comparison areas: median", "England")
              and not lab.startswith("Innovation") else lab for lab in labels]
    _panel_legend(fig, flat, len(site_ids), handles, labels)
    return fig


def site_summary(site_ids: list[str], measures: list[str], model: int = 2021) -> pd.DataFrame:
    """For each site and measure: the first and latest year with a value for the site's area,
    its rate then, and the comparison median and England in the latest year."""
    rows = []
    for site_id in site_ids:
        for measure in measures:
            comparison = site_vs_neighbours(site_id, measure, model)
            s = comparison.summary.dropna(subset=["site"])
            if s.empty:
                continue
            first, last = s.iloc[0], s.iloc[-1]
            rows.append({"site_id": site_id, "area": comparison.area_name, "measure": measure,
                         "first_year": int(first["year"]), "site_first": float(first["site"]),
                         "latest_year": int(last["year"]), "site_latest": float(last["site"]),
                         "comparison_median_latest": float(last["comparison_median"]),
                         "england_latest": float(last["england"])})
    return pd.DataFrame(rows)


def analyses_table(site_ids: list[str], measures: list[str], model: int = 2021) -> pd.DataFrame:
    """``SiteAnalyses.table()`` for every site and measure, stacked, with the site and measure."""
    frames = []
    for site_id in site_ids:
        for measure in measures:
            table = site_analyses(site_id, measure, model).table()
            table.insert(0, "measure", measure)
            table.insert(0, "site_id", site_id)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def plot_synthetic_control(result: SyntheticControlResult, title: str | None = None, treated_label: str = "Treated",
                           ylabel: str = "Rate per 10,000 children", synthetic: bool = False):
    """Left: the treated series and its synthetic control. Right: the gap (treated minus
    synthetic) for the treated unit and every placebo, with the adoption marked."""
    from . import figures

    if not getattr(result, "estimable", False):
        raise ValueError(f"nothing to plot: {result}")
    fig, (left, right) = figures.new_figure(width="wide", aspect=0.38, ncols=2)
    s = result.series
    c = figures.PALETTE
    first_post = s.loc[s["post"] == 1, "time"].min()
    last_pre = s.loc[s["post"] == 0, "time"].max()
    cut = (first_post + last_pre) / 2
    left.plot(s["time"], s["treated"], color=c["vermillion"], marker=figures.MARKERS[0], linewidth=2, label=treated_label)
    left.plot(s["time"], s["synthetic"], color=c["blue"], marker=figures.MARKERS[1], linestyle="--",
              label="Synthetic control")
    left.axvline(cut, color="black", linestyle="-.", linewidth=1, label="Adoption")
    left.set_ylabel(ylabel)
    left.set_ylim(bottom=0)
    left.legend(fontsize=8, loc="best")
    right.axhline(0, color="black", linewidth=0.8)
    for i, (_unit, row) in enumerate(result.placebo_gaps.iterrows()):
        right.plot(s["time"], row.to_numpy(float), color="#999999", linewidth=0.8, linestyle="-",
                   label="Placebo areas" if i == 0 else None)
    right.plot(s["time"], s["gap"], color=c["vermillion"], marker=figures.MARKERS[0], linewidth=2, label=treated_label)
    right.axvline(cut, color="black", linestyle="-.", linewidth=1)
    right.set_ylabel("Gap: actual minus synthetic")
    right.legend(fontsize=8, loc="best")
    for ax in (left, right):
        ax.set_xlabel("Year ending 31 March")
        ax.set_xticks(s["time"].astype(int).tolist())
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    if synthetic:
        figures.watermark(fig)
    return fig


def site_controlled_its(site_id: str, measure: str, frame: pd.DataFrame | None = None, method: str = "quasipoisson",
                        errors: str = "model", harmonics: int = 2, covid: bool = True) -> ControlledITSResult | NotEstimable:
    """Controlled ITS of a site's monthly area series (case-level ``area_series``) against
    the sum of its comparator areas: the differences in level and trend change.

    Same model as :func:`innovate.its.fit_site_series` (two harmonic pairs, a shared
    COVID-19 indicator), both series in one regression.
    """
    treated = its.area_series(site_id, measure, frame, role="site").assign(group=1)
    comparison = its.area_series(site_id, measure, frame, role="comparator").assign(group=0)
    data = pd.concat([treated, comparison], ignore_index=True)
    return controlled_its(data, group="group", count="count", post="post", time="time", offset="population",
                          season="month", date="date", method=method, errors=errors, harmonics=harmonics,
                          frequency="monthly", rate_per=10_000, covariates=["covid"] if covid and method != "prais_winsten" else [],
                          label=f"{site_id}: {its.AREA_SERIES_MEASURES[measure]}", source="area_series.csv")


def area_series_controlled(site_ids, measures=None, frame: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
    """:func:`site_controlled_its` for every site and measure: the differences in level
    (``group_level``) and slope change (``group_slope``) with 95% limits."""
    if frame is None:
        from . import casedata

        frame = casedata.load("area_series")
    rows = []
    for site_id in site_ids:
        for measure in measures or its.AREA_SERIES_MEASURES:
            r = site_controlled_its(site_id, measure, frame=frame, **kwargs)
            row = {"site_id": site_id, "measure": measure, "n_pre": r.n_pre, "n_post": r.n_post}
            if r.estimable:
                row.update(group_level=r.group_level.estimate, group_level_lower=r.group_level.lower,
                           group_level_upper=r.group_level.upper, group_slope=r.group_slope.estimate,
                           group_slope_lower=r.group_slope.lower, group_slope_upper=r.group_slope.upper,
                           note="; ".join(r.notes))
            else:
                row.update(group_level=np.nan, group_level_lower=np.nan, group_level_upper=np.nan,
                           group_slope=np.nan, group_slope_lower=np.nan, group_slope_upper=np.nan,
                           note="not estimable: " + r.reason)
            rows.append(row)
    return pd.DataFrame(rows)


def describe_analyses(table: pd.DataFrame) -> pd.DataFrame:
    """A compact, readable version of :func:`analyses_table` for display: one text column
    with the estimate, its interval (or the inference used) and p-value, or why the design
    was not estimable."""
    from . import sites

    names = {s.site_id: s.dfe_area_name or s.site_name for s in sites.sites()}
    measures = {k: v.replace(" identified at assessment", " (assessment factor)") for k, v in PUBLIC_MEASURES.items()}
    rows = []
    for r in table.itertuples(index=False):
        if str(r.note).startswith("not estimable"):
            result = r.note
        else:
            if r.design.startswith("Interrupted"):
                text = f"level change RR {r.estimate:.2f} ({r.lower:.2f} to {r.upper:.2f})"
            elif np.isfinite(r.lower):
                text = f"{r.estimate:+.2f} per 10,000 ({r.lower:+.2f} to {r.upper:+.2f})"
            else:
                text = f"{r.estimate:+.2f} per 10,000; placebo"
            result = f"{text}, p = {r.p_value:.2f}"
        rows.append({"Area": names.get(r.site_id, r.site_id), "Measure": measures[r.measure],
                     "Design": r.design, "Years before": int(r.n_pre), "Years after": int(r.n_post), "Result": result})
    return pd.DataFrame(rows)


def staggered_panel(measure: str, site_ids: list[str] | None = None, model: int = 2021) -> pd.DataFrame:
    """One annual panel of the English LA sites (each with its own first post year) and the
    union of their comparison areas (never treated), for a staggered difference in
    differences. Columns ``unit``, ``year``, ``value`` (rate per 10,000), ``first_treated``."""
    from . import sites

    chosen = site_ids or [s.site_id for s in sites.english_la_sites()]
    parts = []
    for site_id in chosen:
        panel = area_panel(site_id, measure, model)
        parts.append(panel[panel["role"] != "England"][["unit", "year", "value", "first_treated"]])
    stacked = pd.concat(parts, ignore_index=True)
    # an area in two sites' pools appears once; a site's own area keeps its adoption year
    stacked = stacked.sort_values("first_treated", ascending=False).drop_duplicates(["unit", "year"])
    return stacked.sort_values(["unit", "year"]).reset_index(drop=True)


def staggered_sites(measure: str, control: str = "never", site_ids: list[str] | None = None, bootstrap: int = 999,
                    seed: int = 20240401, model: int = 2021) -> DiDResult | NotEstimable:
    """Callaway-Sant'Anna ATT across the English LA sites (a sensitivity analysis: one or two
    areas per adoption year)."""
    return callaway_santanna(staggered_panel(measure, site_ids, model), unit="unit", time="year", outcome="value",
                             first_treated="first_treated", control=control, bootstrap=bootstrap, seed=seed,
                             label=f"English LA sites: {measure}")


def staggered_table(measures: list[str], controls: tuple[str, ...] = ("never", "notyet"), **kwargs) -> pd.DataFrame:
    """:func:`staggered_sites` for several measures and control groups, one row each:
    the overall ATT (rate per 10,000), its bootstrap interval and p-value, or why not."""
    rows = []
    for measure in measures:
        for control in controls:
            r = staggered_sites(measure, control=control, **kwargs)
            row = {"measure": measure, "control": {"never": "never treated", "notyet": "not yet treated"}[control]}
            if r.estimable:
                row.update(att=r.estimate, lower=r.lower, upper=r.upper, p_value=r.p_value, n_treated=r.n_treated,
                           n_units=r.n_units, note="")
            else:
                row.update(att=np.nan, lower=np.nan, upper=np.nan, p_value=np.nan, n_treated=0, n_units=0,
                           note="not estimable: " + r.reason)
            rows.append(row)
    return pd.DataFrame(rows)
