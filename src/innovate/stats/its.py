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
    maximum likelihood (:func:`innovate.stats.negbin.estimate_nb_alpha`) and the GLM is then
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
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from innovate.errors import DataError, Problem, require_columns
from innovate.stats.negbin import estimate_nb_alpha
from innovate.stats.results import Estimate

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
    estimable: Literal[False] = field(default=False, init=False)

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
class ITSResult:
    """A fitted interrupted time series.

    Each effect is an :class:`~innovate.stats.results.Estimate` of a log-scale
    coefficient (``.natural()`` gives the ratio and its interval); the ratios are ``exp``
    of the coefficients: ``level`` the immediate level change,
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
    estimable: Literal[True] = field(default=True, init=False)

    @property
    def level_rr(self) -> float:
        return self.level.natural()[0]

    @property
    def level_ci(self) -> tuple[float, float]:
        return self.level.natural()[1:]

    @property
    def slope_rr(self) -> float:
        return np.nan if self.slope is None else self.slope.natural()[0]

    @property
    def slope_ci(self) -> tuple[float, float]:
        return (np.nan, np.nan) if self.slope is None else self.slope.natural()[1:]

    def table(self) -> pd.DataFrame:
        """Tidy frame: one row per reported ratio."""
        rows = []
        for key in ("level", "slope", "pre_trend", "post_trend"):
            est = getattr(self, key)
            if est is None:
                continue
            ratio, lower, upper = est.natural()
            rows.append(
                {
                    "label": self.label,
                    "method": self.method if self.method not in GLM_METHODS else f"{self.method} ({self.errors} SE)",
                    "term": TERM_LABELS[key],
                    "estimate": ratio,
                    "lower": lower,
                    "upper": upper,
                    "p_value": est.p_value,
                    "n_pre": self.n_pre,
                    "n_post": self.n_post,
                    "note": "; ".join(self.notes),
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        """The headline numbers as plain floats (for glue)."""
        level, level_lower, level_upper = self.level.natural()
        out = {
            "level_rr": level,
            "level_lower": level_lower,
            "level_upper": level_upper,
            "level_p": self.level.p_value,
            "pre_trend": self.pre_trend.natural()[0],
            "n_pre": self.n_pre,
            "n_post": self.n_post,
            "scale": self.scale,
        }
        if self.slope is not None:
            slope, slope_lower, slope_upper = self.slope.natural()
            out.update(
                slope_rr=slope,
                slope_lower=slope_lower,
                slope_upper=slope_upper,
                slope_p=self.slope.p_value,
                post_trend=np.nan if self.post_trend is None else self.post_trend.natural()[0],
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
    require_columns(data, needed, source)
    problems: list[Problem] = []
    # Checks on numpy arrays, and the working columns added in one step: this runs once per
    # series, and the ITS of every English authority and factor fits hundreds of them.
    frame = data.reset_index(drop=True)
    rows = np.arange(1, len(frame) + 1)

    def numeric(column: str) -> np.ndarray:
        raw = frame[column]
        if pd.api.types.is_numeric_dtype(raw):  # nothing in it can fail to be a number
            return raw.to_numpy(dtype=float, na_value=np.nan)
        values = pd.to_numeric(raw, errors="coerce")
        for i in np.flatnonzero((values.isna() & raw.notna()).to_numpy()):
            problems.append(Problem(source, "numeric", "not a number", column, int(rows[i]), raw.iat[i]))
        return values.to_numpy(dtype=float, na_value=np.nan)

    t = numeric(time)
    y = numeric(count)
    x = numeric(post)
    for i in np.flatnonzero(np.isnan(t)):
        problems.append(Problem(source, "required-value", "time is missing", time, int(rows[i])))
    for i in np.flatnonzero(y < 0):
        problems.append(Problem(source, "non-negative", "a count cannot be negative", count, int(rows[i]), y[i]))
    for i in np.flatnonzero(~np.isin(x, (0.0, 1.0))):
        problems.append(
            Problem(source, "allowed-values", "post must be 0 or 1", post, int(rows[i]), frame[post].iat[i])
        )
    if offset is not None:
        n = numeric(offset)
        for i in np.flatnonzero(~(n > 0) & frame[offset].notna().to_numpy()):
            problems.append(
                Problem(source, "positive", "the population offset must be > 0", offset, int(rows[i]), n[i])
            )
    else:
        n = np.ones(len(frame))
    if harmonics:
        if season is None:
            raise ValueError("seasonal harmonics need a season column (season=...)")
        s = numeric(season)
        for i in np.flatnonzero(~((s >= 1) & (s <= period))):
            problems.append(
                Problem(
                    source, "range", f"season must lie in 1..{period:g}", season, int(rows[i]), frame[season].iat[i]
                )
            )
    else:
        s = np.zeros(len(frame))
    if problems:
        raise DataError(problems)
    work = {"_row": rows, "_offset": n, "_season": s, "_time": t, "_y": y, "_post": x}
    frame = pd.concat([frame.drop(columns=[c for c in work if c in frame]), pd.DataFrame(work)], axis=1)
    if (np.diff(t) < 0).any():
        frame = frame.sort_values("_time", kind="stable")
    times = frame["_time"].to_numpy()
    if (times[1:] == times[:-1]).any():  # sorted: a repeated time sits next to itself
        dup = frame["_time"].duplicated(keep=False)
        raise DataError(
            [
                Problem(source, "unique-key", "time appears more than once", time, int(r), v)
                for r, v in zip(frame.loc[dup, "_row"], frame.loc[dup, "_time"])
            ]
        )
    steps = np.diff(frame["_post"].to_numpy())
    if (steps < 0).any():
        pos = int(np.argmax(steps < 0)) + 1
        raise DataError(
            [
                Problem(
                    source,
                    "monotone",
                    "post must be 0 up to the intervention and 1 from then on",
                    post,
                    int(frame["_row"].iloc[pos]),
                    frame[post].iloc[pos],
                )
            ]
        )
    dropped: list[dict] = []
    if np.isnan(frame["_y"].to_numpy()).any() or np.isnan(frame["_offset"].to_numpy()).any():
        incomplete = frame["_y"].isna() | frame["_offset"].isna()
        if missing != "drop":
            raise DataError(
                [
                    Problem(
                        source,
                        "required-value",
                        "count or offset is missing (pass missing='drop' to exclude and report such periods)",
                        count,
                        int(r),
                    )
                    for r in frame.loc[incomplete, "_row"]
                ]
            )
        dropped = [
            {"row": int(r), "time": float(tt)}
            for r, tt in zip(frame.loc[incomplete, "_row"], frame.loc[incomplete, "_time"])
        ]
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
    return {
        "params": beta,
        "cov": cov,
        "rho": rho,
        "resid": resid,
        "df_resid": df_resid,
        "iterations": iteration,
        "exog": Xs,
    }


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
    import statsmodels.api as sm  # deferred: statsmodels costs seconds at import; chapters that never fit a model skip it
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.stats.stattools import durbin_watson

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
    require_columns(data, covariates, source, "covariate not in the data")
    frame, dropped = _check_input(
        data,
        count=count,
        post=post,
        time=time,
        offset=offset,
        season=season,
        harmonics=harmonics,
        period=period,
        source=source,
        missing=missing,
    )
    for c in covariates:
        values = pd.to_numeric(frame[c], errors="coerce")
        if values.isna().any():
            i = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise DataError(
                [
                    Problem(
                        source,
                        "numeric",
                        "covariate must be a number in every period",
                        c,
                        int(frame["_row"].iloc[i]),
                        frame[c].iloc[i],
                    )
                ]
            )
    n_pre = int((frame["_post"] == 0).sum())
    n_post = int((frame["_post"] == 1).sum())
    need = MIN_POINTS_SEASONAL if harmonics else MIN_POINTS_EPOC
    rule = (
        "12 before and 12 after for a seasonal monthly model (Wagner et al. 2002)"
        if harmonics
        else "3 before and 3 after (Cochrane EPOC)"
    )
    if n_pre < need[0] or n_post < need[1]:
        return NotEstimable(
            label, f"{n_pre} periods before and {n_post} after; the minimum is {rule}", n_pre, n_post, method
        )
    if not (frame["_y"] > 0).any():
        return NotEstimable(label, "every count is zero", n_pre, n_post, method)
    pre_times = frame.loc[frame["_post"] == 0, "_time"]
    t0 = float(pre_times.max())
    X = design(frame, t0, harmonics, period, slope_change)
    for c in covariates:
        X[f"cov_{c}"] = pd.to_numeric(frame[c]).to_numpy(float)
    k = X.shape[1] + 1 + (1 if method == "negbin" else 0)
    if len(frame) - k < 2:
        return NotEstimable(
            label, f"{len(frame)} points for {k} parameters leave too few degrees of freedom", n_pre, n_post, method
        )
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
                alpha_nb = estimate_nb_alpha(y, exog_frame.to_numpy(float), log_offset, notes)
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
            t_df, crit = None, z  # normal-theory intervals
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
                t_df = float(pw["df_resid"])
                crit = float(stats.t(t_df).ppf(0.5 + confidence / 2))
                scale = float(resid @ resid / pw["df_resid"])
            else:
                # Deferred: the state-space module is slow to import and only this fallback needs it.
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
                t_df, crit = None, z
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
        return Estimate.from_se(b, se, scale="log", df=t_df, level=confidence)

    level = ratio([LEVEL])
    pre = ratio([TIME])
    slope = ratio([SLOPE]) if slope_change else None
    post_trend = ratio([TIME, SLOPE]) if slope_change else None

    fitted = _predictions(frame, X, params, cov, crit, rate_per, harmonics, period, deseason_at, date)
    return ITSResult(
        label=label,
        method=method,
        errors=errors,
        frequency=frequency,
        n_pre=n_pre,
        n_post=n_post,
        t0=t0,
        harmonics=harmonics,
        period=period,
        level=level,
        slope=slope,
        pre_trend=pre,
        post_trend=post_trend,
        scale=scale,
        alpha=alpha_nb,
        rho=rho,
        maxlags=L if errors == "hac" else None,
        diagnostics=diagnostics,
        fitted=fitted,
        params=params,
        cov=cov,
        rate_per=rate_per,
        confidence=confidence,
        notes=tuple(notes),
        dropped=tuple(dropped),
    )


def _linear(M: np.ndarray, params: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    eta = M @ params
    se = np.sqrt(np.einsum("ij,jk,ik->i", M, cov, M))
    return eta, se


def _predictions(frame, X, params, cov, crit, rate_per, harmonics, period, deseason_at, date) -> pd.DataFrame:
    """Observed, fitted and counterfactual rates (with a band), seasonal and deseasonalised."""
    # On arrays, the design's columns in the parameters' order (as with_intercept names them):
    # the same products as on frames, without a frame per variant.
    names = list(params.index)
    design_ = with_intercept(X)[names].to_numpy(float)
    b, V = params.to_numpy(), cov.to_numpy()
    column = {name: j for j, name in enumerate(names)}
    counterfactual = design_.copy(order="K")
    counterfactual[:, column[LEVEL]] = 0.0
    if SLOPE in column:
        counterfactual[:, column[SLOPE]] = 0.0
    offset = frame["_offset"].to_numpy(float)
    count = frame["_y"].to_numpy(float)
    out = {"time": frame["_time"].to_numpy(float)}
    if date is not None and date in frame.columns:
        out["date"] = frame[date].to_numpy()
    out["post"] = frame["_post"].to_numpy(int)
    out["count"] = count
    out["offset"] = offset
    out["rate"] = count / offset * rate_per
    eta, _ = _linear(design_, b, V)
    out["fitted_rate"] = np.exp(eta) * rate_per
    eta_cf, se_cf = _linear(counterfactual, b, V)
    out["counterfactual_rate"] = np.exp(eta_cf) * rate_per
    out["counterfactual_lower"] = np.exp(eta_cf - crit * se_cf) * rate_per
    out["counterfactual_upper"] = np.exp(eta_cf + crit * se_cf) * rate_per
    if harmonics:
        fixed = harmonic_terms(np.full(len(X), float(deseason_at)), harmonics, float(period))
        Xd, Cd = design_.copy(order="K"), counterfactual.copy(order="K")
        for c in fixed.columns:
            Xd[:, column[c]] = fixed[c].to_numpy()
            Cd[:, column[c]] = fixed[c].to_numpy()
        eta_d, _ = _linear(Xd, b, V)
        eta_cd, se_cd = _linear(Cd, b, V)
    else:
        eta_d, eta_cd, se_cd = eta, eta_cf, se_cf
    out["trend_rate"] = np.exp(eta_d) * rate_per
    out["counterfactual_trend_rate"] = np.exp(eta_cd) * rate_per
    out["counterfactual_trend_lower"] = np.exp(eta_cd - crit * se_cd) * rate_per
    out["counterfactual_trend_upper"] = np.exp(eta_cd + crit * se_cd) * rate_per
    return pd.DataFrame(out)
