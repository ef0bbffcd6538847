"""Controlled interrupted time series: a treated series against a control series."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from innovate.errors import DataError, Problem, require_columns
from innovate.stats import its
from innovate.stats.checks import _numeric
from innovate.stats.its import NotEstimable
from innovate.stats.negbin import estimate_nb_alpha
from innovate.stats.results import Estimate

# --------------------------------------------------------------------------------------
# controlled interrupted time series


@dataclass(frozen=True)
class ControlledITSResult:
    """Controlled ITS: differences between treated and comparison series.

    Each effect is an :class:`~innovate.stats.results.Estimate` of a log-scale
    coefficient; ``.natural()`` gives the ratio and its interval. ``group_level`` is exp(b6), the ratio of the treated series' level change to the
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
    estimable: Literal[True] = field(default=True, init=False)

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
            ratio, lower, upper = est.natural()
            rows.append(
                {
                    "label": self.label,
                    "method": self.method,
                    "term": text,
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
    import statsmodels.api as sm  # deferred: statsmodels costs seconds at import; chapters that never fit a model skip it
    from statsmodels.stats.diagnostic import acorr_ljungbox
    from statsmodels.stats.stattools import durbin_watson

    if method not in ("poisson", "quasipoisson", "negbin", "prais_winsten"):
        raise ValueError(f"method must be poisson, quasipoisson, negbin or prais_winsten, got {method!r}")
    covariates = list(covariates)
    needed = [c for c in [group, count, post, time, offset, season if harmonics else None, *covariates] if c]
    require_columns(data, needed, source)
    g = _numeric(data, group, source, allow_missing=False)
    bad = ~g.isin([0.0, 1.0])
    if bad.any():
        raise DataError(
            [
                Problem(
                    source,
                    "allowed-values",
                    "group must be 0 (comparison) or 1 (treated)",
                    group,
                    int(i) + 1,
                    data[group].iloc[i],
                )
                for i in np.flatnonzero(bad.to_numpy())
            ]
        )
    if set(g.unique()) != {0.0, 1.0}:
        raise DataError(
            [Problem(source, "both-groups", "the data need a treated (1) and a comparison (0) series", group)]
        )
    # validate each series with the single-series checks
    frames = {}
    for value in (1.0, 0.0):
        part = data.loc[(g == value).to_numpy()]
        checked, dropped = its._check_input(
            part,
            count=count,
            post=post,
            time=time,
            offset=offset,
            season=season,
            harmonics=harmonics,
            period=period,
            source=source,
            missing="error",
        )
        frames[value] = checked
    t_treated, t_comparison = frames[1.0]["_time"].to_numpy(), frames[0.0]["_time"].to_numpy()
    if not np.array_equal(t_treated, t_comparison) or not np.array_equal(frames[1.0]["_post"], frames[0.0]["_post"]):
        raise DataError(
            [
                Problem(
                    source,
                    "aligned-series",
                    "treated and comparison series must cover the same periods with the same post coding",
                    time,
                )
            ]
        )
    treated = frames[1.0]
    n_pre = int((treated["_post"] == 0).sum())
    n_post = int((treated["_post"] == 1).sum())
    need = its.MIN_POINTS_SEASONAL if harmonics else its.MIN_POINTS_EPOC
    if n_pre < need[0] or n_post < need[1]:
        return NotEstimable(
            label,
            f"{n_pre} periods before and {n_post} after; the minimum is {need[0]} and {need[1]}",
            n_pre,
            n_post,
            method,
        )
    t0 = float(treated.loc[treated["_post"] == 0, "_time"].max())
    notes: list[str] = []
    diagnostics: dict = {}
    rho = None

    if method == "prais_winsten":
        y1, y0 = treated["_y"].to_numpy(float), frames[0.0]["_y"].to_numpy(float)
        if (y1 <= 0).any() or (y0 <= 0).any():
            y1, y0 = y1 + 0.5, y0 + 0.5
            notes.append("0.5 added to every count before taking logs (a count of zero)")
        diff = (np.log(y1) - np.log(treated["_offset"].to_numpy(float))) - (
            np.log(y0) - np.log(frames[0.0]["_offset"].to_numpy(float))
        )
        Xd = its.design(treated, t0, harmonics, period, True)
        Xc = sm.add_constant(Xd, has_constant="add")
        pw = its.prais_winsten(diff, Xc.to_numpy(float))
        names = list(Xc.columns)
        params = pd.Series(pw["params"], index=names)
        cov = pd.DataFrame(pw["cov"], index=names, columns=names)
        t_df = float(pw["df_resid"])
        rho, scale = pw["rho"], float(pw["resid"] @ pw["resid"] / pw["df_resid"])
        resid, exog = pw["resid"], pw["exog"]

        def est(terms):
            return _ratio(params, cov, terms, t_df, confidence)

        group_level, group_slope = est(["level"]), est(["slope"])
        nan = Estimate.from_se(np.nan, np.nan, scale="log")
        treated_level = treated_slope = comparison_level = comparison_slope = nan
        notes.append("difference of log rates: only the differences (treated minus comparison) are estimated")
        fitted = pd.DataFrame(
            {
                "time": treated["_time"].to_numpy(),
                "post": treated["_post"].to_numpy(int),
                "log_rate_difference": diff,
                "fitted_difference": Xc.to_numpy(float) @ pw["params"],
            }
        )
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
        exog = pd.DataFrame(
            {
                "Intercept": 1.0,
                "time": stacked["time"],
                "level": stacked["level"],
                "slope": stacked["slope"],
                "group": stacked["group"],
                "group:time": stacked["group"] * stacked["time"],
                "group:level": stacked["group"] * stacked["level"],
                "group:slope": stacked["group"] * stacked["slope"],
            }
        )
        for column in seasonal:
            exog[column] = stacked[column]
        y, log_offset = stacked["y"].to_numpy(float), stacked["log_offset"].to_numpy(float)
        if method == "negbin":
            alpha = estimate_nb_alpha(y, exog.to_numpy(float), log_offset, notes)
            family = sm.families.NegativeBinomial(alpha=max(alpha, 1e-8))
            diagnostics["alpha"] = alpha
        else:
            family = sm.families.Poisson()
        model = sm.GLM(y, exog, family=family, offset=log_offset)
        if errors == "hac":
            L = maxlags if maxlags is not None else its.newey_west_lags(len(treated))
            fit = model.fit(
                cov_type="hac-panel", cov_kwds={"groups": stacked["group"].astype(int).to_numpy(), "maxlags": L}
            )
            diagnostics["maxlags"] = L
        elif method == "quasipoisson":
            fit = model.fit(scale="X2")
        else:
            fit = model.fit()
        params, cov = fit.params, fit.cov_params()
        scale = float(fit.pearson_chi2 / fit.df_resid)
        diagnostics["dispersion"] = scale

        def est(terms):
            return _ratio(params, cov, terms, None, confidence)

        group_level, group_slope = est(["group:level"]), est(["group:slope"])
        treated_level, treated_slope = est(["level", "group:level"]), est(["slope", "group:slope"])
        comparison_level, comparison_slope = est(["level"]), est(["slope"])
        # residual diagnostics on the treated series' Pearson residuals, in time order
        resid_all = np.asarray(fit.resid_pearson)
        resid = resid_all[(stacked["group"] == 1).to_numpy()]
        exog = model.exog[(stacked["group"] == 1).to_numpy()]
        eta = model.exog @ params.to_numpy() + stacked["log_offset"].to_numpy()
        fitted = pd.DataFrame(
            {
                "time": stacked["time"],
                "group": stacked["group"].astype(int),
                "post": stacked["level"].astype(int),
                "count": stacked["y"],
                "rate": stacked["y"] / np.exp(stacked["log_offset"]) * rate_per,
                "fitted_rate": np.exp(eta - stacked["log_offset"]) * rate_per,
            }
        )
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
        label=label,
        method=method,
        errors=errors if method != "prais_winsten" else "AR(1)",
        n_pre=n_pre,
        n_post=n_post,
        t0=t0,
        group_level=group_level,
        group_slope=group_slope,
        treated_level=treated_level,
        treated_slope=treated_slope,
        comparison_level=comparison_level,
        comparison_slope=comparison_slope,
        rho=rho,
        scale=scale,
        diagnostics=diagnostics,
        fitted=fitted,
        notes=tuple(notes),
    )


def _ratio(params: pd.Series, cov: pd.DataFrame, terms: list[str], df: float | None, level: float) -> Estimate:
    """The sum of ``terms``' coefficients (a log ratio) with its interval: t with ``df``
    degrees of freedom, or normal when ``df`` is None."""
    names = list(params.index)
    v = np.zeros(len(names))
    for term in terms:
        v[names.index(term)] = 1.0
    b = float(v @ params.to_numpy())
    se = float(np.sqrt(v @ cov.to_numpy() @ v))
    return Estimate.from_se(b, se, scale="log", df=df, level=level)
