"""Interrupted time series (ITS) for counts with a population offset.

The model is the segmented regression of Lopez Bernal, Cummins and Gasparrini (2017)::

    log E[Y_t] = log N_t + b0 + b1*t + b2*X_t + b3*X_t*(t - T0)
                 + sum_k [g_k sin(2*pi*k*m_t/P) + d_k cos(2*pi*k*m_t/P)]

``X_t`` is 1 from the first post-intervention period on, ``T0`` is the last
pre-intervention period, ``m_t`` the season (month) and ``P`` its period. ``exp(b2)`` is
the immediate level change (a rate ratio), ``exp(b3)`` the change in trend per period and
``exp(b1 + b3)`` the post-intervention trend. The slope term counts time *since the
intervention*, ``X_t*(t - T0)``; ``X_t*t`` would make ``b2`` the level change at ``t = 0``.

Methods (``method``):

``poisson``
    Poisson GLM with ``log N_t`` as offset (scale 1).
``quasipoisson``
    the same coefficients; standard errors scaled by the Pearson chi-squared over its
    degrees of freedom (R's ``quasipoisson``).
``negbin``
    negative binomial (NB2, variance ``mu + alpha*mu^2``): ``alpha`` is estimated by
    maximum likelihood (statsmodels' discrete ``NegativeBinomial``) and the GLM is then
    fitted with that ``alpha`` fixed, so that the same error options apply.
``prais_winsten``
    linear regression of the log rate ``log(Y_t / N_t)`` with AR(1) errors, by iterated
    Prais-Winsten feasible GLS (the first observation is kept, scaled by
    ``sqrt(1 - rho^2)``; statsmodels' ``GLSAR`` drops it). Inference on ``t`` with the
    residual degrees of freedom. A zero count makes the log undefined; then 0.5 is added
    to every count and the result says so.
``arima``
    regression of the log rate with ARIMA(1,0,0) errors by exact maximum likelihood
    (statsmodels ``SARIMAX``); same zero-count rule.

For the three GLMs, ``errors="hac"`` gives Newey-West standard errors with
``floor(4 (T/100)^(2/9))`` lags unless ``maxlags`` is given.

Too few points are refused, not fitted: at least 3 before and 3 after (Cochrane EPOC) and,
for monthly series with seasonal terms, 12 and 12 (Wagner et al. 2002). The function then
returns a :class:`NotEstimable` result that carries the reason.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from .errors import DataError, Problem

METHODS = ("poisson", "quasipoisson", "negbin", "prais_winsten", "arima")
GLM_METHODS = ("poisson", "quasipoisson", "negbin")
ERRORS = ("model", "hac")
FREQUENCIES = ("monthly", "annual")

#: Minimum points before and after: Cochrane EPOC (3 and 3); monthly with seasonal terms
#: 12 and 12 (Wagner et al. 2002). These are the least that can be fitted, not a power rule.
MIN_POINTS_EPOC = (3, 3)
MIN_POINTS_SEASONAL = (12, 12)

#: Terms of the design, in order.
LEVEL, SLOPE, TIME = "level", "slope", "time"

TERM_LABELS = {
    "level": "Level change (rate ratio)",
    "slope": "Change in trend (rate ratio per period)",
    "pre_trend": "Trend before (rate ratio per period)",
    "post_trend": "Trend after (rate ratio per period)",
}


def newey_west_lags(n: int) -> int:
    """The usual Newey-West lag rule, ``floor(4 (n/100)^(2/9))`` (at least 1)."""
    return max(1, int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0))))


def harmonic_terms(season: np.ndarray | pd.Series, pairs: int, period: float = 12.0) -> pd.DataFrame:
    """``pairs`` sine and cosine pairs of ``season`` with the given period (R's ``tsModel::harmonic``).

    Columns ``sin1, cos1, sin2, cos2, ...``.
    """
    if pairs < 0 or pairs > period / 2:
        raise ValueError(f"harmonic pairs must be between 0 and period/2 ({period / 2}), got {pairs}")
    x = np.asarray(season, dtype=float)
    out = {}
    for k in range(1, pairs + 1):
        angle = 2.0 * np.pi * k * x / period
        out[f"sin{k}"] = np.sin(angle)
        out[f"cos{k}"] = np.cos(angle)
    return pd.DataFrame(out, index=getattr(season, "index", None))


# --------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class NotEstimable:
    """A model that was not fitted, and why (too few points, no variation, ...)."""

    label: str
    reason: str
    n_pre: int = 0
    n_post: int = 0
    method: str = ""
    estimable: bool = field(default=False, init=False)

    def table(self) -> pd.DataFrame:
        """One row saying the model was not estimable and why."""
        return pd.DataFrame(
            [
                {
                    "label": self.label,
                    "method": self.method,
                    "term": "not estimable",
                    "estimate": np.nan,
                    "lower": np.nan,
                    "upper": np.nan,
                    "p_value": np.nan,
                    "n_pre": self.n_pre,
                    "n_post": self.n_post,
                    "note": self.reason,
                }
            ]
        )

    def __str__(self) -> str:
        return f"{self.label}: not estimable - {self.reason}"


@dataclass(frozen=True)
class Estimate:
    """A ratio with its confidence interval and p-value (for the coefficient's null of 0)."""

    estimate: float
    lower: float
    upper: float
    p_value: float

    def __iter__(self):
        return iter((self.estimate, self.lower, self.upper))


@dataclass(frozen=True)
class ITSResult:
    """A fitted interrupted time series.

    Ratios are ``exp`` of the coefficients: ``level`` the immediate level change,
    ``slope`` the change in trend per period, ``pre_trend`` and ``post_trend`` the trends
    per period before and after (``post_trend = pre_trend * slope``). ``fitted`` has one row
    per period used: observed and fitted rates, the counterfactual (no intervention) with
    its confidence band, and the deseasonalised versions (season fixed at ``deseason_at``).
    """

    label: str
    method: str
    errors: str
    frequency: str
    n_pre: int
    n_post: int
    t0: float
    harmonics: int
    period: float
    level: Estimate
    slope: Estimate | None
    pre_trend: Estimate
    post_trend: Estimate | None
    scale: float
    alpha: float | None
    rho: float | None
    maxlags: int | None
    diagnostics: dict
    fitted: pd.DataFrame
    params: pd.Series
    cov: pd.DataFrame
    rate_per: float
    confidence: float
    notes: tuple[str, ...] = ()
    dropped: tuple = ()
    estimable: bool = field(default=True, init=False)

    @property
    def level_rr(self) -> float:
        return self.level.estimate

    @property
    def level_ci(self) -> tuple[float, float]:
        return (self.level.lower, self.level.upper)

    @property
    def slope_rr(self) -> float:
        return np.nan if self.slope is None else self.slope.estimate

    @property
    def slope_ci(self) -> tuple[float, float]:
        return (np.nan, np.nan) if self.slope is None else (self.slope.lower, self.slope.upper)

    def table(self) -> pd.DataFrame:
        """Tidy frame: one row per reported ratio."""
        rows = []
        for key in ("level", "slope", "pre_trend", "post_trend"):
            est = getattr(self, key)
            if est is None:
                continue
            rows.append(
                {
                    "label": self.label,
                    "method": self.method if self.method not in GLM_METHODS else f"{self.method} ({self.errors} SE)",
                    "term": TERM_LABELS[key],
                    "estimate": est.estimate,
                    "lower": est.lower,
                    "upper": est.upper,
                    "p_value": est.p_value,
                    "n_pre": self.n_pre,
                    "n_post": self.n_post,
                    "note": "; ".join(self.notes),
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        """The headline numbers as plain floats (for glue)."""
        out = {
            "level_rr": self.level.estimate,
            "level_lower": self.level.lower,
            "level_upper": self.level.upper,
            "level_p": self.level.p_value,
            "pre_trend": self.pre_trend.estimate,
            "n_pre": self.n_pre,
            "n_post": self.n_post,
            "scale": self.scale,
        }
        if self.slope is not None:
            out.update(
                slope_rr=self.slope.estimate,
                slope_lower=self.slope.lower,
                slope_upper=self.slope.upper,
                slope_p=self.slope.p_value,
                post_trend=self.post_trend.estimate,
            )
        return {k: float(v) for k, v in out.items()}


def results_table(results) -> pd.DataFrame:
    """Stack the ``table()`` of several results (fitted or not estimable)."""
    frames = [r.table() for r in results]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


# --------------------------------------------------------------------------------------
# input checks


def _check_input(
    data: pd.DataFrame,
    *,
    count: str,
    post: str,
    time: str,
    offset: str | None,
    season: str | None,
    harmonics: int,
    period: float,
    source: str,
    missing: str,
) -> tuple[pd.DataFrame, list[dict]]:
    """Validate and return the rows to fit (sorted by time) and the rows dropped."""
    needed = [c for c in (count, post, time, offset, season if harmonics else None) if c is not None]
    absent = [c for c in needed if c not in data.columns]
    if absent:
        raise DataError([Problem(source, "required-column", "column not in the data", column=c) for c in absent])
    problems: list[Problem] = []
    frame = data.reset_index(drop=True).copy()
    frame["_row"] = np.arange(1, len(frame) + 1)

    def numeric(column: str) -> pd.Series:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        for i in frame.index[bad]:
            problems.append(Problem(source, "numeric", "not a number", column, int(frame.at[i, "_row"]), frame.at[i, column]))
        return values.astype(float)

    t = numeric(time)
    y = numeric(count)
    x = numeric(post)
    for i in frame.index[t.isna()]:
        problems.append(Problem(source, "required-value", "time is missing", time, int(frame.at[i, "_row"])))
    for i in frame.index[(y < 0).fillna(False)]:
        problems.append(Problem(source, "non-negative", "a count cannot be negative", count, int(frame.at[i, "_row"]), y[i]))
    for i in frame.index[~x.isin([0.0, 1.0])]:
        problems.append(Problem(source, "allowed-values", "post must be 0 or 1", post, int(frame.at[i, "_row"]), frame.at[i, post]))
    if offset is not None:
        n = numeric(offset)
        for i in frame.index[~(n > 0).fillna(False) & frame[offset].notna()]:
            problems.append(Problem(source, "positive", "the population offset must be > 0", offset, int(frame.at[i, "_row"]), n[i]))
        frame["_offset"] = n
    else:
        frame["_offset"] = 1.0
    if harmonics:
        s = numeric(season)
        for i in frame.index[~s.between(1, period).fillna(False)]:
            problems.append(Problem(source, "range", f"season must lie in 1..{period:g}", season, int(frame.at[i, "_row"]), frame.at[i, season]))
        frame["_season"] = s
    else:
        frame["_season"] = 0.0
    if problems:
        raise DataError(problems)
    frame["_time"], frame["_y"], frame["_post"] = t, y, x
    frame = frame.sort_values("_time", kind="stable")
    dup = frame["_time"].duplicated(keep=False)
    if dup.any():
        raise DataError([Problem(source, "unique-key", "time appears more than once", time, int(r), v)
                         for r, v in zip(frame.loc[dup, "_row"], frame.loc[dup, "_time"])])
    steps = np.diff(frame["_post"].to_numpy())
    if (steps < 0).any():
        pos = int(np.argmax(steps < 0)) + 1
        raise DataError([Problem(source, "monotone", "post must be 0 up to the intervention and 1 from then on",
                                 post, int(frame["_row"].iloc[pos]), frame[post].iloc[pos])])
    incomplete = frame["_y"].isna() | frame["_offset"].isna()
    dropped: list[dict] = []
    if incomplete.any():
        if missing != "drop":
            raise DataError([Problem(source, "required-value", "count or offset is missing (pass missing='drop' to "
                                     "exclude and report such periods)", count, int(r)) for r in frame.loc[incomplete, "_row"]])
        dropped = [{"row": int(r), "time": float(tt)} for r, tt in zip(frame.loc[incomplete, "_row"], frame.loc[incomplete, "_time"])]
        frame = frame.loc[~incomplete]
    return frame.reset_index(drop=True), dropped


# --------------------------------------------------------------------------------------
# the fit


def design(frame: pd.DataFrame, t0: float, harmonics: int, period: float, slope_change: bool) -> pd.DataFrame:
    """The regressors: ``level`` (X_t), ``time``, ``slope`` (X_t*(t - T0)) and harmonics."""
    out = pd.DataFrame(
        {
            TIME: frame["_time"].to_numpy(float),
            LEVEL: frame["_post"].to_numpy(float),
        }
    )
    if slope_change:
        out[SLOPE] = out[LEVEL] * (out[TIME] - t0)
    if harmonics:
        out = pd.concat([out, harmonic_terms(frame["_season"].to_numpy(float), harmonics, period)], axis=1)
    return out


def _formula(columns) -> str:
    return "y ~ " + " + ".join(columns)


def prais_winsten(y: np.ndarray, X: np.ndarray, max_iter: int = 200, tol: float = 1e-10) -> dict:
    """Iterated Prais-Winsten feasible GLS for a linear model with AR(1) errors.

    ``X`` includes the constant. Returns ``params``, ``cov`` (sigma^2 (X*'X*)^-1 on the
    transformed data), ``rho``, the transformed-model residuals ``resid`` (approximately
    white if the AR(1) model holds), ``df_resid`` and ``iterations``.
    """
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    n, k = X.shape
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    rho = 0.0
    for iteration in range(1, max_iter + 1):
        e = y - X @ beta
        rho_new = float(np.dot(e[1:], e[:-1]) / np.dot(e[:-1], e[:-1])) if np.dot(e[:-1], e[:-1]) > 0 else 0.0
        rho_new = float(np.clip(rho_new, -0.99, 0.99))
        ys, Xs = _pw_transform(y, X, rho_new)
        beta = np.linalg.lstsq(Xs, ys, rcond=None)[0]
        converged = abs(rho_new - rho) < tol
        rho = rho_new
        if converged:
            break
    ys, Xs = _pw_transform(y, X, rho)
    resid = ys - Xs @ beta
    df_resid = n - k - 1  # rho is estimated too
    sigma2 = float(resid @ resid / df_resid)
    cov = sigma2 * np.linalg.inv(Xs.T @ Xs)
    return {"params": beta, "cov": cov, "rho": rho, "resid": resid, "df_resid": df_resid,
            "iterations": iteration, "exog": Xs}


def _pw_transform(y: np.ndarray, X: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    ys = np.empty_like(y)
    Xs = np.empty_like(X)
    c = math.sqrt(1.0 - rho**2)
    ys[0], Xs[0] = c * y[0], c * X[0]
    ys[1:] = y[1:] - rho * y[:-1]
    Xs[1:] = X[1:] - rho * X[:-1]
    return ys, Xs


def breusch_godfrey(resid: np.ndarray, exog: np.ndarray, lags: int) -> tuple[float, float]:
    """Breusch-Godfrey LM test of serial correlation up to ``lags`` in ``resid``.

    Auxiliary OLS of the residuals on ``exog`` and their own lags (missing lags set to 0,
    as statsmodels' ``acorr_breusch_godfrey`` does); LM = n R^2 ~ chi2(lags).
    """
    e = np.asarray(resid, float)
    n = e.size
    lagged = np.column_stack([np.concatenate([np.zeros(j), e[:-j]]) for j in range(1, lags + 1)])
    Z = np.column_stack([exog, lagged])
    fit = np.linalg.lstsq(Z, e, rcond=None)[0]
    u = e - Z @ fit
    centred = e - e.mean()
    r2 = 1.0 - (u @ u) / (centred @ centred)
    lm = n * r2
    return float(lm), float(stats.chi2.sf(lm, lags))


def estimate_nb_alpha(y: np.ndarray, exog: pd.DataFrame, log_offset: np.ndarray, notes: list[str] | None = None) -> float:
    """Maximum-likelihood NB2 dispersion ``alpha`` (statsmodels discrete ``NegativeBinomial``).

    ``exog`` includes the constant. Starts from the Poisson coefficients; Newton's method
    first, BFGS if Newton fails. When the data show no overdispersion beyond Poisson the
    maximum lies at the boundary ``alpha = 0``; the optimiser then stops near zero and
    ``notes`` says so.
    """
    poisson = sm.GLM(y, exog, family=sm.families.Poisson(), offset=log_offset).fit()
    model = sm.NegativeBinomial(y, exog, offset=log_offset, loglike_method="nb2")
    start = np.r_[np.asarray(poisson.params), 0.1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = model.fit(start_params=start, method="newton", maxiter=200, disp=0)
        params = np.asarray(fit.params)
        ok = fit.mle_retvals.get("converged", False) and np.all(np.isfinite(params)) and params[-1] > 0
        if not ok:
            fit = model.fit(start_params=start, method="bfgs", maxiter=2000, disp=0)
            params = np.asarray(fit.params)
            ok = fit.mle_retvals.get("converged", False) and np.all(np.isfinite(params))
    alpha = float(params[-1]) if np.isfinite(params[-1]) else 0.0
    if notes is not None:
        if alpha < 1e-4:
            notes.append("negative binomial alpha at (or near) zero: no overdispersion beyond Poisson")
        elif not ok:
            notes.append("negative binomial alpha: optimiser did not report convergence")
    return max(alpha, 0.0)


def with_intercept(X: pd.DataFrame) -> pd.DataFrame:
    """The design with a leading ``Intercept`` column (named as in a formula fit)."""
    out = X.copy()
    out.insert(0, "Intercept", 1.0)
    return out


def _diagnostic_lags(n: int, frequency: str, period: float) -> int:
    cap = int(period) if frequency == "monthly" else 2
    return int(max(1, min(cap, n // 4)))


def fit_its(
    data: pd.DataFrame,
    *,
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
    slope_change: bool = True,
    frequency: str = "monthly",
    maxlags: int | None = None,
    rate_per: float = 1.0,
    deseason_at: float = 6,
    confidence: float = 0.95,
    missing: str = "error",
    covariates: tuple[str, ...] | list[str] = (),
    label: str = "",
    source: str = "<data frame>",
) -> ITSResult | NotEstimable:
    """Fit a segmented regression ITS model (see the module docstring).

    ``data`` has one row per period: ``count`` (the outcome), ``post`` (0 before, 1 from
    the intervention on), ``time`` (period number; gaps allowed), optionally ``offset``
    (population; rates are ``count / offset * rate_per``), ``season`` (month 1..period, for
    harmonics) and ``date`` (carried to ``fitted`` for plotting).

    ``covariates`` are further numeric columns added to the design (for example an
    indicator of the COVID-19 restrictions); they are held at their observed values in
    the counterfactual.

    Bad input raises ``DataError``; too few points return :class:`NotEstimable`.
    ``missing='drop'`` excludes periods with no count and lists them in ``dropped``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if errors not in ERRORS:
        raise ValueError(f"errors must be one of {ERRORS}, got {errors!r}")
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {FREQUENCIES}, got {frequency!r}")
    if frequency == "annual" and harmonics:
        raise ValueError("annual series take no seasonal harmonics (harmonics=0)")
    if method not in GLM_METHODS and errors != "model":
        raise ValueError(f"errors={errors!r} applies to the GLM methods; {method} models the autocorrelation itself")
    covariates = list(covariates)
    absent = [c for c in covariates if c not in data.columns]
    if absent:
        raise DataError([Problem(source, "required-column", "covariate not in the data", column=c) for c in absent])
    frame, dropped = _check_input(
        data, count=count, post=post, time=time, offset=offset, season=season, harmonics=harmonics,
        period=period, source=source, missing=missing,
    )
    for c in covariates:
        values = pd.to_numeric(frame[c], errors="coerce")
        if values.isna().any():
            i = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise DataError([Problem(source, "numeric", "covariate must be a number in every period", c,
                                     int(frame["_row"].iloc[i]), frame[c].iloc[i])])
    n_pre = int((frame["_post"] == 0).sum())
    n_post = int((frame["_post"] == 1).sum())
    need = MIN_POINTS_SEASONAL if harmonics else MIN_POINTS_EPOC
    rule = "12 before and 12 after for a seasonal monthly model (Wagner et al. 2002)" if harmonics else \
        "3 before and 3 after (Cochrane EPOC)"
    if n_pre < need[0] or n_post < need[1]:
        return NotEstimable(label, f"{n_pre} periods before and {n_post} after; the minimum is {rule}",
                            n_pre, n_post, method)
    if not (frame["_y"] > 0).any():
        return NotEstimable(label, "every count is zero", n_pre, n_post, method)
    pre_times = frame.loc[frame["_post"] == 0, "_time"]
    t0 = float(pre_times.max())
    X = design(frame, t0, harmonics, period, slope_change)
    for c in covariates:
        X[f"cov_{c}"] = pd.to_numeric(frame[c]).to_numpy(float)
    k = X.shape[1] + 1 + (1 if method == "negbin" else 0)
    if len(frame) - k < 2:
        return NotEstimable(label, f"{len(frame)} points for {k} parameters leave too few degrees of freedom",
                            n_pre, n_post, method)
    notes: list[str] = []
    if dropped:
        notes.append(f"{len(dropped)} period(s) without a count excluded")
    L = maxlags if maxlags is not None else newey_west_lags(len(frame))
    z = stats.norm.ppf(0.5 + confidence / 2)
    alpha_nb = rho = None
    log_offset = np.log(frame["_offset"].to_numpy(float))
    y = frame["_y"].to_numpy(float)
    exog_frame = with_intercept(X)
    diagnostics: dict = {"model": _formula(X.columns) + (" + offset(log population)" if offset else "")}

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if method in GLM_METHODS:
            if method == "negbin":
                alpha_nb = estimate_nb_alpha(y, exog_frame, log_offset, notes)
                family = sm.families.NegativeBinomial(alpha=max(alpha_nb, 1e-8))
            else:
                family = sm.families.Poisson()
            # the GLM of the formula in diagnostics["model"], on the explicit design (faster than patsy)
            model = sm.GLM(y, exog_frame, family=family, offset=log_offset)
            if errors == "hac":
                fit = model.fit(cov_type="HAC", cov_kwds={"maxlags": L})
            elif method == "quasipoisson":
                fit = model.fit(scale="X2")
            else:
                fit = model.fit()
            params, cov = fit.params, fit.cov_params()
            crit, dist = z, stats.norm
            scale = float(fit.pearson_chi2 / fit.df_resid)
            resid = np.asarray(fit.resid_pearson)
            exog = model.exog
            diagnostics["pearson_chi2"] = float(fit.pearson_chi2)
            diagnostics["df_resid"] = float(fit.df_resid)
            diagnostics["dispersion"] = scale
            diagnostics["dispersion_p"] = float(stats.chi2.sf(fit.pearson_chi2, fit.df_resid))
            diagnostics["deviance"] = float(fit.deviance)
            if slope_change and errors == "model":
                reduced = sm.GLM(y, exog_frame.drop(columns=SLOPE), family=family, offset=log_offset).fit()
                ddev = float(reduced.deviance - fit.deviance)
                if method == "quasipoisson":
                    diagnostics["slope_test"] = "F"
                    diagnostics["slope_test_stat"] = ddev / scale
                    diagnostics["slope_test_p"] = float(stats.f.sf(ddev / scale, 1, fit.df_resid))
                else:
                    diagnostics["slope_test"] = "likelihood ratio"
                    diagnostics["slope_test_stat"] = ddev
                    diagnostics["slope_test_p"] = float(stats.chi2.sf(ddev, 1))
        else:
            counts = y
            if (counts <= 0).any():
                counts = counts + 0.5
                notes.append("0.5 added to every count before taking logs (a count of zero)")
            log_rate = np.log(counts) - log_offset
            names = list(exog_frame.columns)
            if method == "prais_winsten":
                pw = prais_winsten(log_rate, exog_frame.to_numpy(float))
                params = pd.Series(pw["params"], index=names)
                cov = pd.DataFrame(pw["cov"], index=names, columns=names)
                rho = pw["rho"]
                resid, exog = pw["resid"], pw["exog"]
                dist = stats.t(pw["df_resid"])
                crit = dist.ppf(0.5 + confidence / 2)
                scale = float(resid @ resid / pw["df_resid"])
            else:
                from statsmodels.tsa.statespace.sarimax import SARIMAX

                arima = SARIMAX(log_rate, exog=exog_frame.to_numpy(float), order=(1, 0, 0), trend="n")
                # start from the Prais-Winsten estimates, which are close to the exact likelihood's
                pw = prais_winsten(log_rate, exog_frame.to_numpy(float))
                start = np.r_[pw["params"], pw["rho"], pw["resid"] @ pw["resid"] / len(log_rate)]
                afit = arima.fit(disp=False, maxiter=2000, method="bfgs", start_params=start, cov_type="approx")
                if not afit.mle_retvals.get("converged", True):
                    notes.append("ARIMA likelihood optimiser did not report convergence")
                k_exog = exog_frame.shape[1]
                params = pd.Series(np.asarray(afit.params)[:k_exog], index=names)
                cov = pd.DataFrame(np.asarray(afit.cov_params())[:k_exog, :k_exog], index=names, columns=names)
                rho = float(np.asarray(afit.params)[k_exog])
                resid = np.asarray(afit.resid)
                exog = exog_frame.to_numpy(float)
                crit, dist = z, stats.norm
                scale = float(np.asarray(afit.params)[-1])
    for w in caught:
        if issubclass(w.category, (DeprecationWarning, FutureWarning)):
            continue
        text = str(w.message).split("\n")[0]
        if "converge" in text.lower() or "Convergence" in w.category.__name__:
            notes.append(f"optimiser warning: {text}")

    lags = _diagnostic_lags(len(frame), frequency, period)
    lb = acorr_ljungbox(resid, lags=[lags])
    diagnostics["ljung_box_lags"] = lags
    diagnostics["ljung_box_stat"] = float(lb["lb_stat"].iloc[0])
    diagnostics["ljung_box_p"] = float(lb["lb_pvalue"].iloc[0])
    bg_stat, bg_p = breusch_godfrey(resid, exog, lags)
    diagnostics["breusch_godfrey_stat"], diagnostics["breusch_godfrey_p"] = bg_stat, bg_p
    diagnostics["durbin_watson"] = float(durbin_watson(resid))
    diagnostics["residuals"] = resid
    if len(frame) < 24:
        notes.append("short series: autocorrelation tests have little power")
    if dropped and method in ("prais_winsten", "arima"):
        notes.append("AR(1) errors assume equally spaced periods; excluded periods break that")

    def ratio(terms: list[str]) -> Estimate:
        v = np.zeros(len(params))
        for term in terms:
            v[list(params.index).index(term)] = 1.0
        b = float(v @ params.to_numpy())
        se = float(np.sqrt(v @ cov.to_numpy() @ v))
        stat = b / se if se > 0 else np.inf
        p = float(2 * dist.sf(abs(stat)))
        return Estimate(math.exp(b), math.exp(b - crit * se), math.exp(b + crit * se), p)

    level = ratio([LEVEL])
    pre = ratio([TIME])
    slope = ratio([SLOPE]) if slope_change else None
    post_trend = ratio([TIME, SLOPE]) if slope_change else None

    fitted = _predictions(frame, X, params, cov, crit, rate_per, harmonics, period, deseason_at, date)
    return ITSResult(
        label=label, method=method, errors=errors, frequency=frequency, n_pre=n_pre, n_post=n_post, t0=t0,
        harmonics=harmonics, period=period, level=level, slope=slope, pre_trend=pre, post_trend=post_trend,
        scale=scale, alpha=alpha_nb, rho=rho, maxlags=L if errors == "hac" else None, diagnostics=diagnostics,
        fitted=fitted, params=params, cov=cov, rate_per=rate_per, confidence=confidence, notes=tuple(notes),
        dropped=tuple(dropped),
    )


def _linear(Xm: pd.DataFrame, params: pd.Series, cov: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    M = with_intercept(Xm)[list(params.index)].to_numpy(float)
    eta = M @ params.to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", M, cov.to_numpy(), M))
    return eta, se


def _predictions(frame, X, params, cov, crit, rate_per, harmonics, period, deseason_at, date) -> pd.DataFrame:
    """Observed, fitted and counterfactual rates (with a band), seasonal and deseasonalised."""
    offset = frame["_offset"].to_numpy(float)
    out = pd.DataFrame({"time": frame["_time"].to_numpy(float)})
    if date is not None and date in frame.columns:
        out["date"] = frame[date].to_numpy()
    out["post"] = frame["_post"].to_numpy(int)
    out["count"] = frame["_y"].to_numpy(float)
    out["offset"] = offset
    out["rate"] = out["count"] / offset * rate_per
    counterfactual = X.copy()
    counterfactual[LEVEL] = 0.0
    if SLOPE in counterfactual:
        counterfactual[SLOPE] = 0.0
    eta, _ = _linear(X, params, cov)
    out["fitted_rate"] = np.exp(eta) * rate_per
    eta_cf, se_cf = _linear(counterfactual, params, cov)
    out["counterfactual_rate"] = np.exp(eta_cf) * rate_per
    out["counterfactual_lower"] = np.exp(eta_cf - crit * se_cf) * rate_per
    out["counterfactual_upper"] = np.exp(eta_cf + crit * se_cf) * rate_per
    if harmonics:
        fixed = harmonic_terms(np.full(len(X), float(deseason_at)), harmonics, float(period))
        Xd, Cd = X.copy(), counterfactual.copy()
        for c in fixed.columns:
            Xd[c] = fixed[c].to_numpy()
            Cd[c] = fixed[c].to_numpy()
        eta_d, _ = _linear(Xd, params, cov)
        eta_cd, se_cd = _linear(Cd, params, cov)
    else:
        eta_d, eta_cd, se_cd = eta, eta_cf, se_cf
    out["trend_rate"] = np.exp(eta_d) * rate_per
    out["counterfactual_trend_rate"] = np.exp(eta_cd) * rate_per
    out["counterfactual_trend_lower"] = np.exp(eta_cd - crit * se_cd) * rate_per
    out["counterfactual_trend_upper"] = np.exp(eta_cd + crit * se_cd) * rate_per
    return out


# --------------------------------------------------------------------------------------
# validation against Lopez Bernal, Cummins and Gasparrini (2017)

SICILY_FILE = "sicily.csv"
SICILY_REFERENCE_FILE = "sicily_reference.csv"

#: The tutorial's four models: (method, harmonic pairs, slope change).
SICILY_MODELS: dict[int, tuple[str, int, bool]] = {
    1: ("poisson", 0, False),
    2: ("quasipoisson", 0, False),
    3: ("quasipoisson", 2, False),
    4: ("quasipoisson", 2, True),
}


def _peer_dir():
    from .paths import project_root

    return project_root() / "data" / "peer"


def sicily() -> pd.DataFrame:
    """The tutorial's data: monthly acute coronary events in Sicily, 2002-2006, with the
    January 2005 smoking ban (``smokban``), the age-standardised population ``stdpop`` and a
    ``date`` column (first of the month)."""
    frame = pd.read_csv(_peer_dir() / SICILY_FILE)
    frame["date"] = pd.to_datetime(dict(year=frame["year"], month=frame["month"], day=1))
    return frame


def sicily_reference() -> pd.DataFrame:
    """Published reference values and the R re-run (see ``data/peer/README.md``)."""
    return pd.read_csv(_peer_dir() / SICILY_REFERENCE_FILE)


def fit_sicily(model: int, data: pd.DataFrame | None = None, **kwargs) -> ITSResult:
    """Fit one of the tutorial's four models (1-4) with this module."""
    method, pairs, slope = SICILY_MODELS[model]
    data = sicily() if data is None else data
    options = dict(count="aces", post="smokban", time="time", offset="stdpop", season="month", date="date",
                   method=method, harmonics=pairs, slope_change=slope, rate_per=100_000,
                   label=f"Sicily model {model}", source=f"data/peer/{SICILY_FILE}")
    options.update(kwargs)
    return fit_its(data, **options)


def sicily_reproduction(decimals: int = 3) -> pd.DataFrame:
    """Published values next to this module's estimates, one row per reported number.

    ``agrees`` is True when the estimate rounded to the number of decimals the published
    value carries equals it; ``r_difference`` is the largest absolute difference from the
    R re-run.
    """
    ref = sicily_reference()
    rows = []
    for model in SICILY_MODELS:
        result = fit_sicily(model)
        for term in ("level", "slope"):
            pub = ref[(ref["model"] == model) & (ref["term"] == term) & (ref["source"] == "published")]
            if pub.empty:
                continue
            rerun = ref[(ref["model"] == model) & (ref["term"] == term) & (ref["source"] != "published")].iloc[0]
            est = getattr(result, term)
            p = pub.iloc[0]
            for part, value in (("estimate", est.estimate), ("lower", est.lower), ("upper", est.upper)):
                published = p[part]
                if pd.isna(published):
                    continue
                places = _decimals(published, decimals)
                rows.append({
                    "model": model, "term": term, "quantity": part, "published": float(published),
                    "reproduced": float(value), "reproduced_rounded": round(float(value), places),
                    "agrees": bool(abs(round(float(value), places) - float(published)) < 10 ** -(places + 3)),
                    "r_rerun": float(rerun[part]), "r_difference": abs(float(value) - float(rerun[part])),
                })
    return pd.DataFrame(rows)


def _decimals(value: float, default: int) -> int:
    text = f"{value:.6f}".rstrip("0")
    return max(default, len(text.split(".")[1]) if "." in text else 0)


# --------------------------------------------------------------------------------------
# a site's series

#: Synthetic monthly area-series measures (``area_series.csv``) and their readable names.
AREA_SERIES_MEASURES: dict[str, str] = {
    "efr_referrals": "Referrals with extra-familial risk",
    "missing_episodes": "Missing episodes",
    "exploitation_identifications": "Exploitation identifications",
}


#: The months of COVID-19 restrictions the monthly models can adjust for: April 2020 to
#: March 2021, the first financial year of the pandemic (national lockdowns from 23 March
#: 2020, in November 2020 and from January to March 2021; schools closed to most pupils
#: in two of those periods). A documented choice, the same for every site.
COVID_MONTHS = (pd.Timestamp("2020-04-01"), pd.Timestamp("2021-03-01"))


def covid_indicator(dates) -> np.ndarray:
    """1 for months within :data:`COVID_MONTHS`, else 0."""
    d = pd.to_datetime(pd.Series(dates))
    return ((d >= COVID_MONTHS[0]) & (d <= COVID_MONTHS[1])).astype(int).to_numpy()


def area_series(site_id: str, measure: str, frame: pd.DataFrame | None = None, role: str = "site") -> pd.DataFrame:
    """One site's monthly series from the case-level ``area_series`` table, ready for
    :func:`fit_its`: ``time`` (1..n), ``month`` (1..12), ``date``, ``count``, ``population``,
    ``post``, ``area_code``. ``role`` 'site' gives the site's own area; 'comparison' sums
    its comparator areas (counts and populations) into one series."""
    if frame is None:
        from . import casedata

        frame = casedata.load("area_series")
    if measure not in AREA_SERIES_MEASURES:
        raise KeyError(f"unknown area-series measure {measure!r}; known: {', '.join(AREA_SERIES_MEASURES)}")
    part = frame[(frame["site_id"] == site_id) & (frame["measure"] == measure) & (frame["area_role"] == role)]
    if part.empty:
        raise KeyError(f"no {role} rows for site {site_id!r} and measure {measure!r} in area_series")
    grouped = part.groupby("month", sort=True).agg(count=("count", "sum"), population=("population_0_17", "sum"),
                                                   post=("post", "max"), areas=("area_code", "nunique"))
    out = grouped.reset_index().rename(columns={"month": "date"})
    out["date"] = pd.to_datetime(out["date"])
    months = out["date"].dt.year * 12 + out["date"].dt.month
    out["time"] = (months - months.iloc[0] + 1).astype(int)
    out["month"] = out["date"].dt.month.astype(int)
    out["area_code"] = ",".join(sorted(part["area_code"].astype(str).unique()))
    out["covid"] = covid_indicator(out["date"])
    return out[["time", "date", "month", "count", "population", "post", "covid", "area_code", "areas"]]


def fit_site_series(
    site_id: str,
    measure: str,
    source: str = "synthetic",
    method: str = "quasipoisson",
    errors: str = "model",
    harmonics: int | None = None,
    panel: pd.DataFrame | None = None,
    frame: pd.DataFrame | None = None,
    covid: bool = True,
    **kwargs,
) -> ITSResult | NotEstimable:
    """ITS of one site's own area series, with the population as offset.

    ``source='synthetic'``: the monthly case-level ``area_series`` (two harmonic pairs by
    default; 12 months before and after needed; ``covid=True`` adds an indicator of the
    months in :data:`COVID_MONTHS`). ``source='public'``: the annual DfE
    series of ``innovate.comparative.PUBLIC_MEASURES`` (no harmonics; 3 years before and 3
    after needed; years without a published value are excluded and listed in ``dropped``).
    Rates are per 10,000 children aged 0-17.
    """
    if source == "synthetic":
        data = area_series(site_id, measure, frame)
        if covid:
            kwargs.setdefault("covariates", ["covid"])
        return fit_its(data, count="count", post="post", time="time", offset="population", season="month",
                       date="date", method=method, errors=errors, harmonics=2 if harmonics is None else harmonics,
                       frequency="monthly", rate_per=10_000, label=f"{site_id}: {AREA_SERIES_MEASURES[measure]}",
                       source="area_series.csv", **kwargs)
    if source == "public":
        from . import comparative

        panel = comparative.area_panel(site_id, measure) if panel is None else panel
        data = panel[panel["role"] == "site"].sort_values("year").copy()
        data["post"] = (data["year"] >= data["first_treated"]).astype(int)
        data["date"] = data["year"]
        return fit_its(data, count="count", post="post", time="year", offset="population", date="date",
                       method=method, errors=errors, harmonics=0, frequency="annual", rate_per=10_000,
                       missing="drop", label=f"{site_id}: {comparative.PUBLIC_MEASURES[measure]}",
                       source=f"public DfE series ({measure})", **kwargs)
    raise ValueError(f"source must be 'synthetic' or 'public', got {source!r}")


def area_series_results(site_ids, measures=None, frame: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
    """:func:`fit_site_series` (synthetic monthly source) for every site and measure, one row
    each: ``level`` and ``slope`` rate ratios with 95% limits, periods before and after, and
    ``note`` (the reason when not estimable)."""
    if frame is None:
        from . import casedata

        frame = casedata.load("area_series")
    rows = []
    for site_id in site_ids:
        for measure in measures or AREA_SERIES_MEASURES:
            r = fit_site_series(site_id, measure, source="synthetic", frame=frame, **kwargs)
            row = {"site_id": site_id, "measure": measure, "n_pre": r.n_pre, "n_post": r.n_post}
            if r.estimable:
                row.update(level=r.level.estimate, level_lower=r.level.lower, level_upper=r.level.upper,
                           slope=r.slope.estimate, slope_lower=r.slope.lower, slope_upper=r.slope.upper,
                           note="; ".join(r.notes))
            else:
                row.update(level=np.nan, level_lower=np.nan, level_upper=np.nan, slope=np.nan, slope_lower=np.nan,
                           slope_upper=np.nan, note="not estimable: " + r.reason)
            rows.append(row)
    return pd.DataFrame(rows)


def manifest_truth(manifest: dict) -> pd.DataFrame:
    """The generator's true ITS effects (synthetic data only), in this module's terms.

    The generator counts the slope from the innovation's first month (0 there); this module
    counts it from the last month before (1 in the first month after), so the true level
    change here is ``level_rate_ratio * exp(slope_change_per_month)``; the slope change is
    the same. Columns ``site_id``, ``measure``, ``true_level``, ``true_slope`` (rate ratio per
    month).
    """
    rows = []
    for site_id, record in manifest.get("sites", {}).items():
        for measure, effect in record.get("its", {}).items():
            slope = float(effect["slope_change_per_month"])
            rows.append({"site_id": site_id, "measure": measure,
                         "true_level": float(effect["level_rate_ratio"]) * math.exp(slope),
                         "true_slope": math.exp(slope)})
    return pd.DataFrame(rows, columns=["site_id", "measure", "true_level", "true_slope"])


def compare_with_truth(results: pd.DataFrame, truth: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Add the true values and whether each 95% interval covers them (``level_covered``,
    ``slope_covered``). ``prefix`` names the estimate columns (e.g. 'group_' for controlled ITS)."""
    out = results.merge(truth, on=["site_id", "measure"], how="left")
    for part in ("level", "slope"):
        lo, hi = out[f"{prefix}{part}_lower"], out[f"{prefix}{part}_upper"]
        out[f"{part}_covered"] = (lo <= out[f"true_{part}"]) & (out[f"true_{part}"] <= hi)
    return out


def monthly_results_display(single: pd.DataFrame, controlled: pd.DataFrame | None = None,
                            names: dict | None = None) -> pd.DataFrame:
    """A readable table of :func:`area_series_results` (and, if given, the controlled ITS
    results and the true values added by :func:`compare_with_truth`): estimates with their
    95% intervals as text."""
    def ci(est, lo, hi, places):
        if not np.isfinite(est):
            return "not estimable"
        return f"{est:.{places}f} ({lo:.{places}f} to {hi:.{places}f})"

    rows = []
    ctrl = None if controlled is None else controlled.set_index(["site_id", "measure"])
    for r in single.itertuples(index=False):
        row = {"Site": (names or {}).get(r.site_id, r.site_id), "Measure": AREA_SERIES_MEASURES[r.measure],
               "ITS: level change": ci(r.level, r.level_lower, r.level_upper, 3),
               "ITS: trend change per month": ci(r.slope, r.slope_lower, r.slope_upper, 4)}
        if ctrl is not None:
            c = ctrl.loc[(r.site_id, r.measure)]
            row["Controlled ITS: level ratio"] = ci(c["group_level"], c["group_level_lower"], c["group_level_upper"], 3)
            row["Controlled ITS: trend ratio per month"] = ci(c["group_slope"], c["group_slope_lower"],
                                                              c["group_slope_upper"], 4)
        if "true_level" in single.columns:
            row["True level change"] = f"{r.true_level:.3f}"
            row["True trend change"] = f"{r.true_slope:.4f}"
        rows.append(row)
    return pd.DataFrame(rows).set_index(["Site", "Measure"])


# --------------------------------------------------------------------------------------
# the standard figure


def plot_its(
    result: ITSResult,
    ax=None,
    synthetic: bool = False,
    title: str | None = None,
    ylabel: str | None = None,
    xlabel: str | None = None,
    intervention_label: str = "Intervention",
    show_seasonal: bool = True,
    legend: bool = True,
):
    """The standard ITS figure: observed rates (points), the fitted model, the
    counterfactual without the intervention (dashed, with its confidence band) and a
    vertical line where the intervention starts. Returns the Figure.

    With seasonal terms the fitted seasonal curve is drawn thin and the deseasonalised
    trend thick; the counterfactual shown is the deseasonalised one. ``synthetic=True``
    stamps the synthetic-data watermark.
    """
    from . import figures

    if not getattr(result, "estimable", False):
        raise ValueError(f"nothing to plot: {result}")
    if ax is None:
        fig, ax = figures.new_figure(aspect=0.55)
    else:
        fig = ax.figure
    f = result.fitted
    x = f["date"] if "date" in f.columns else f["time"]
    pre, post = f["post"] == 0, f["post"] == 1
    blue, orange, grey = figures.PALETTE["blue"], figures.PALETTE["vermillion"], "#555555"
    ax.scatter(x[pre], f.loc[pre, "rate"], marker=figures.MARKERS[0], s=16, color=grey, label="Observed, before", zorder=3)
    ax.scatter(x[post], f.loc[post, "rate"], marker=figures.MARKERS[1], s=16, facecolor="white", edgecolor=grey,
               label="Observed, after", zorder=3)
    if result.harmonics and show_seasonal:
        ax.plot(x, f["fitted_rate"], color=blue, linewidth=0.8, alpha=0.7, label="Fitted (with season)")
    trend_label = "Fitted trend (deseasonalised)" if result.harmonics else "Fitted"
    for part in (pre, post):
        ax.plot(x[part], f.loc[part, "trend_rate"], color=blue, linewidth=2.0,
                label=trend_label if part is pre else None)
    # counterfactual from the last pre-intervention period onwards
    cf = f["time"] >= result.t0
    ax.plot(x[cf], f.loc[cf, "counterfactual_trend_rate"], color=orange, linestyle="--", linewidth=1.8,
            label="Counterfactual (no intervention)")
    pct = int(round(100 * result.confidence))
    ax.fill_between(x[cf], f.loc[cf, "counterfactual_trend_lower"], f.loc[cf, "counterfactual_trend_upper"],
                    color=orange, alpha=0.18, linewidth=0, label=f"Counterfactual {pct}% confidence band")
    last_pre = x[f["time"] == result.t0].iloc[0]
    first_post = x[post].iloc[0]
    cut = last_pre + (first_post - last_pre) / 2
    ax.axvline(cut, color="black", linestyle=":", linewidth=1.2, label=intervention_label)
    ax.set_ylabel(ylabel or "Rate")
    ax.set_xlabel(xlabel or ("Date" if "date" in f.columns else "Period"))
    ax.set_ylim(bottom=0)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    if synthetic:
        figures.watermark(fig)
    return fig


def plot_its_panels(results: list, titles: list[str], ncols: int = 2, synthetic: bool = False,
                    ylabel: str = "Rate", intervention_label: str = "Intervention"):
    """Several ITS figures side by side (one legend, below). Results that are not
    estimable get an empty panel that says why."""
    from . import figures

    nrows = int(math.ceil(len(results) / ncols))
    fig, axes = figures.new_figure(width="wide", aspect=0.32 * nrows + 0.06, nrows=nrows, ncols=ncols, squeeze=False,
                                   layout="constrained")
    flat = axes.ravel()
    for ax, result, title in zip(flat, results, titles):
        if getattr(result, "estimable", False):
            plot_its(result, ax=ax, title=title, ylabel=ylabel, legend=False, intervention_label=intervention_label)
            ax.title.set_fontsize(9)
            ax.tick_params(labelsize=8)
            ax.set_xlabel("")
        else:
            ax.set_title(title, fontsize=9)
            ax.text(0.5, 0.5, "not estimable:\n" + result.reason, ha="center", va="center", fontsize=8,
                    wrap=True, transform=ax.transAxes)
            ax.set_axis_off()
    for ax in flat[len(results):]:
        ax.set_axis_off()
    handles, labels = next((a.get_legend_handles_labels() for a in flat if a.get_legend_handles_labels()[0]),
                           ([], []))
    fig.legend(handles, labels, loc="outside upper center", ncol=4, fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.025, 1, 0.975))  # room for the footnote line
    if synthetic:
        figures.watermark(fig)
    return fig


def plot_residual_acf(result: ITSResult, lags: int | None = None, ax=None, title: str | None = None):
    """Autocorrelation of the model's residuals with approximate 95% limits (+-1.96/sqrt(n))."""
    from statsmodels.tsa.stattools import acf

    from . import figures

    resid = np.asarray(result.diagnostics["residuals"], float)
    n = resid.size
    lags = lags or min(24, n - 2)
    values = acf(resid, nlags=lags, fft=False)[1:]
    if ax is None:
        fig, ax = figures.new_figure(aspect=0.45)
    else:
        fig = ax.figure
    k = np.arange(1, lags + 1)
    ax.vlines(k, 0, values, color=figures.PALETTE["blue"], linewidth=1.5)
    ax.plot(k, values, linestyle="none", marker=figures.MARKERS[0], color=figures.PALETTE["blue"], markersize=4,
            label="Residual autocorrelation")
    limit = 1.96 / math.sqrt(n)
    ax.axhline(limit, color=figures.PALETTE["vermillion"], linestyle="--", linewidth=1, label="Approximate 95% limits")
    ax.axhline(-limit, color=figures.PALETTE["vermillion"], linestyle="--", linewidth=1)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Lag (periods)")
    ax.set_ylabel("Autocorrelation")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    return fig
