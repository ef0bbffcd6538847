"""A site's monthly area series (synthetic case-level data) and the interrupted time series fitted to it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from innovate.data import casedata
from innovate.stats.cits import ControlledITSResult, controlled_its
from innovate.stats.its import ITSResult, NotEstimable, fit_its
from innovate.study import area

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
        frame = casedata.load("area_series")
    if measure not in AREA_SERIES_MEASURES:
        raise KeyError(f"unknown area-series measure {measure!r}; known: {', '.join(AREA_SERIES_MEASURES)}")
    part = frame[(frame["site_id"] == site_id) & (frame["measure"] == measure) & (frame["area_role"] == role)]
    if part.empty:
        raise KeyError(f"no {role} rows for site {site_id!r} and measure {measure!r} in area_series")
    grouped = part.groupby("month", sort=True).agg(
        count=("count", "sum"),
        population=("population_0_17", "sum"),
        post=("post", "max"),
        areas=("area_code", "nunique"),
    )
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
    series of ``innovate.study.area.PUBLIC_MEASURES`` (no harmonics; 3 years before and 3
    after needed; years without a published value are excluded and listed in ``dropped``).
    Rates are per 10,000 children aged 0-17.
    """
    if source == "synthetic":
        data = area_series(site_id, measure, frame)
        if covid:
            kwargs.setdefault("covariates", ["covid"])
        return fit_its(
            data,
            count="count",
            post="post",
            time="time",
            offset="population",
            season="month",
            date="date",
            method=method,
            errors=errors,
            harmonics=2 if harmonics is None else harmonics,
            frequency="monthly",
            rate_per=10_000,
            label=f"{site_id}: {AREA_SERIES_MEASURES[measure]}",
            source="area_series.csv",
            **kwargs,
        )
    if source == "public":
        return area.fit_public_series(site_id, measure, panel=panel, method=method, errors=errors, **kwargs)
    raise ValueError(f"source must be 'synthetic' or 'public', got {source!r}")


def area_series_results(site_ids, measures=None, frame: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
    """:func:`fit_site_series` (synthetic monthly source) for every site and measure, one row
    each: ``level`` and ``slope`` rate ratios with 95% limits, periods before and after, and
    ``note`` (the reason when not estimable)."""
    if frame is None:
        frame = casedata.load("area_series")
    rows = []
    for site_id in site_ids:
        for measure in measures or AREA_SERIES_MEASURES:
            r = fit_site_series(site_id, measure, source="synthetic", frame=frame, **kwargs)
            row = {"site_id": site_id, "measure": measure, "n_pre": r.n_pre, "n_post": r.n_post}
            if r.estimable:
                level, level_lower, level_upper = r.level.natural()
                slope, slope_lower, slope_upper = r.slope.natural() if r.slope is not None else (np.nan,) * 3
                row.update(
                    level=level,
                    level_lower=level_lower,
                    level_upper=level_upper,
                    slope=slope,
                    slope_lower=slope_lower,
                    slope_upper=slope_upper,
                    note="; ".join(r.notes),
                )
            else:
                row.update(
                    level=np.nan,
                    level_lower=np.nan,
                    level_upper=np.nan,
                    slope=np.nan,
                    slope_lower=np.nan,
                    slope_upper=np.nan,
                    note="not estimable: " + r.reason,
                )
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
            rows.append(
                {
                    "site_id": site_id,
                    "measure": measure,
                    "true_level": float(effect["level_rate_ratio"]) * math.exp(slope),
                    "true_slope": math.exp(slope),
                }
            )
    return pd.DataFrame(rows, columns=["site_id", "measure", "true_level", "true_slope"])


def compare_with_truth(results: pd.DataFrame, truth: pd.DataFrame, prefix: str = "") -> pd.DataFrame:
    """Add the true values and whether each 95% interval covers them (``level_covered``,
    ``slope_covered``). ``prefix`` names the estimate columns (e.g. 'group_' for controlled ITS)."""
    out = results.merge(truth, on=["site_id", "measure"], how="left")
    for part in ("level", "slope"):
        lo, hi = out[f"{prefix}{part}_lower"], out[f"{prefix}{part}_upper"]
        out[f"{part}_covered"] = (lo <= out[f"true_{part}"]) & (out[f"true_{part}"] <= hi)
    return out


def site_controlled_its(
    site_id: str,
    measure: str,
    frame: pd.DataFrame | None = None,
    method: str = "quasipoisson",
    errors: str = "model",
    harmonics: int = 2,
    covid: bool = True,
) -> ControlledITSResult | NotEstimable:
    """Controlled ITS of a site's monthly area series (case-level ``area_series``) against
    the sum of its comparator areas: the differences in level and trend change.

    Same model as :func:`innovate.study.area_series.fit_site_series` (two harmonic pairs, a shared
    COVID-19 indicator), both series in one regression.
    """
    treated = area_series(site_id, measure, frame, role="site").assign(group=1)
    comparison = area_series(site_id, measure, frame, role="comparator").assign(group=0)
    data = pd.concat([treated, comparison], ignore_index=True)
    return controlled_its(
        data,
        group="group",
        count="count",
        post="post",
        time="time",
        offset="population",
        season="month",
        date="date",
        method=method,
        errors=errors,
        harmonics=harmonics,
        frequency="monthly",
        rate_per=10_000,
        covariates=["covid"] if covid and method != "prais_winsten" else [],
        label=f"{site_id}: {AREA_SERIES_MEASURES[measure]}",
        source="area_series.csv",
    )


def area_series_controlled(site_ids, measures=None, frame: pd.DataFrame | None = None, **kwargs) -> pd.DataFrame:
    """:func:`site_controlled_its` for every site and measure: the differences in level
    (``group_level``) and slope change (``group_slope``) with 95% limits."""
    if frame is None:
        frame = casedata.load("area_series")
    rows = []
    for site_id in site_ids:
        for measure in measures or AREA_SERIES_MEASURES:
            r = site_controlled_its(site_id, measure, frame=frame, **kwargs)
            row = {"site_id": site_id, "measure": measure, "n_pre": r.n_pre, "n_post": r.n_post}
            if r.estimable:
                level, level_lower, level_upper = r.group_level.natural()
                slope, slope_lower, slope_upper = r.group_slope.natural()
                row.update(
                    group_level=level,
                    group_level_lower=level_lower,
                    group_level_upper=level_upper,
                    group_slope=slope,
                    group_slope_lower=slope_lower,
                    group_slope_upper=slope_upper,
                    note="; ".join(r.notes),
                )
            else:
                row.update(
                    group_level=np.nan,
                    group_level_lower=np.nan,
                    group_level_upper=np.nan,
                    group_slope=np.nan,
                    group_slope_lower=np.nan,
                    group_slope_upper=np.nan,
                    note="not estimable: " + r.reason,
                )
            rows.append(row)
    return pd.DataFrame(rows)


#: The error models of the sensitivity analysis, in the order shown: (label, method, errors).
#: The first is the primary model; the others allow for overdispersion or autocorrelation
#: in other ways (validated on the Sicily data in the ITS appendix).
ERROR_MODELS: tuple[tuple[str, str, str], ...] = (
    ("Quasi-Poisson (primary)", "quasipoisson", "model"),
    ("Poisson, Newey-West", "poisson", "hac"),
    ("Negative binomial", "negbin", "model"),
    ("Prais-Winsten AR(1)", "prais_winsten", "model"),
    ("ARIMA(1,0,0) errors", "arima", "model"),
)


def error_model_sensitivity(site_ids, measures=None, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The autocorrelation diagnostics of each primary area-series ITS and its change in
    level under every error model of :data:`ERROR_MODELS`: one row per site, measure and
    model (``level``, ``level_lower``, ``level_upper``; the primary model's rows also carry
    ``ljung_box_p``, ``breusch_godfrey_p``, ``durbin_watson`` and ``ljung_box_lags``)."""
    if frame is None:
        frame = casedata.load("area_series")
    rows = []
    for site_id in site_ids:
        for measure in measures or AREA_SERIES_MEASURES:
            for label, method, errors in ERROR_MODELS:
                r = fit_site_series(site_id, measure, source="synthetic", frame=frame, method=method, errors=errors)
                row = {"site_id": site_id, "measure": measure, "model": label}
                if r.estimable:
                    level, level_lower, level_upper = r.level.natural()
                    row.update(level=level, level_lower=level_lower, level_upper=level_upper)
                    if method == "quasipoisson":
                        d = r.diagnostics
                        row.update(
                            ljung_box_p=d.get("ljung_box_p"),
                            ljung_box_lags=d.get("ljung_box_lags"),
                            breusch_godfrey_p=d.get("breusch_godfrey_p"),
                            durbin_watson=d.get("durbin_watson"),
                        )
                else:
                    row["note"] = r.reason
                rows.append(row)
    return pd.DataFrame(rows)


def error_model_agreement(table: pd.DataFrame, alpha: float = 0.05) -> dict[str, float | int]:
    """What :func:`error_model_sensitivity` says, in numbers for the prose: series fitted,
    series whose primary residuals show autocorrelation (Ljung-Box p below ``alpha``), the
    largest ratio between a sensitivity model's change in level and the primary one's, and
    the series where some model's 95% interval reaches a different conclusion about no
    change (excludes one where the primary's includes it, or the reverse)."""
    fitted = table.dropna(subset=["level"])
    primary = fitted[fitted["model"] == ERROR_MODELS[0][0]].set_index(["site_id", "measure"])
    others = fitted[fitted["model"] != ERROR_MODELS[0][0]]
    ratio = others.apply(lambda r: r["level"] / primary.loc[(r["site_id"], r["measure"]), "level"], axis=1)
    excludes = fitted.assign(x=(fitted["level_lower"] > 1) | (fitted["level_upper"] < 1))
    differ = excludes.groupby(["site_id", "measure"])["x"].nunique().gt(1)
    return {
        "n_series": int(len(primary)),
        "n_autocorrelated": int((primary["ljung_box_p"] < alpha).sum()),
        "max_level_ratio": float(np.exp(np.abs(np.log(ratio.to_numpy(float)))).max()) if len(ratio) else float("nan"),
        "n_conclusion_differs": int(differ.sum()),
    }
