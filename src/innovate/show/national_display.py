"""Figures and numbers for the chapter on the national and local picture of extra-familial risk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from innovate.show import figures
from innovate.show.glue import Numbers
from innovate.show.text import capitalised, of_them_opening, of_total, plural
from innovate.study import area, national
from innovate.study.estimands import public_key


def plot_factor_trends(table: pd.DataFrame, title: str | None = None):
    """Lines with markers, one per factor, years ending 31 March on the x axis."""
    fig, ax = figures.new_figure(aspect=0.55)
    long = table.reset_index().melt(id_vars="year", var_name="factor", value_name="episodes")
    figures.line_chart(long.dropna(), x="year", y="episodes", series="factor", ax=ax, order=list(table.columns))
    ax.set_xlabel("Year ending 31 March")
    ax.set_ylabel("Assessment episodes with the factor")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_xticks(np.asarray(table.index, dtype=int))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title)
    fig.text(0.01, 0.005, "Source: DfE, Children in need census (OGL v3)", fontsize=8, ha="left", va="bottom")
    return fig


# ---------------------------------------------------------------------------------------
# The chapter's numbers, one section at a time (``glue_numbers(prefix, ...)``)
# ---------------------------------------------------------------------------------------

#: The p-value below which the chapter counts an analysis (the prose says "p below 0.05").
P_BELOW = 0.05


def _singular(k: int, n: int) -> bool:
    """Whether 'k of the n things' (as :func:`innovate.show.text.of_total` words it) takes a
    singular verb: 'one of the 4 has', 'the one thing has', 'no thing has', 'neither thing has'."""
    return k == 1 or n == 1 or (n == 2 and k == 0)


def england_numbers(england: pd.DataFrame, end: int = 2025, cse_start: int = 2018) -> Numbers:
    """England's assessment episodes with child sexual exploitation from ``cse_start`` to
    ``end`` and with criminal exploitation from its first recorded year (``england``:
    :func:`innovate.study.national.england_factors`)."""
    cse = national.change(england, "Child sexual exploitation", cse_start, end)
    cce_first = national.first_recorded_year(england, "Child criminal exploitation")
    cce = national.change(england, "Child criminal exploitation", cce_first, end)
    values = {
        f"cse_{cse_start}": cse["start"],
        f"cse_{end}": cse["end"],
        "cse_change_pct": abs(cse["percent"]),
        "cce_first_year": cce_first,
        "cce_first": cce["start"],
        f"cce_{end}": cce["end"],
        "cce_change_pct": cce["percent"],
    }
    return Numbers(values, {k: 0 for k, v in values.items() if isinstance(v, float)})


def site_factor_numbers(summary: pd.DataFrame, first_site: str = "devon") -> Numbers:
    """Child sexual exploitation per 10,000 children in each site's area in the latest year,
    beside its comparison median and England, how many areas lie below their median (also as
    'in k of the n areas') and ``first_site``'s first year (``summary``: :func:`innovate.study.area.site_summary`)."""
    cse = summary[summary["measure"] == "Child_sexual_exploitation"].set_index("site_id")
    if first_site not in cse.index:
        raise KeyError(f"site summary: no Child_sexual_exploitation row for site {first_site!r} (column 'site_id')")
    values: dict[str, object] = {}
    keys: dict[str, str] = {}
    for site_id in cse.index:
        values[f"{site_id}_cse_latest"] = float(cse.loc[site_id, "site_latest"])
        values[f"{site_id}_cse_comparison"] = float(cse.loc[site_id, "comparison_median_latest"])
        year = int(cse.loc[site_id, "latest_year"])  # the site chapters quote the same year's values
        for name, group in (("latest", "area"), ("comparison", "comparison")):
            keys[f"{site_id}_cse_{name}"] = public_key("child_sexual_exploitation", group, year, site_id)
    below = int((cse["site_latest"] < cse["comparison_median_latest"]).sum())
    values |= {
        "cse_latest_year": int(cse["latest_year"].max()),
        "cse_england_latest": float(cse["england_latest"].iloc[0]),
        "cse_sites_below_comparison": below,
        "cse_sites_n": len(cse),
        "cse_below_text": of_total(below, len(cse), "area"),  # 'in 2 of the 5 areas', 'in all 5 areas'
        f"{first_site}_cse_first": float(cse.loc[first_site, "site_first"]),
        f"{first_site}_cse_first_year": int(cse.loc[first_site, "first_year"]),
    }
    return Numbers(values, {k: 1 for k, v in values.items() if isinstance(v, float)}, keys)


def missing_numbers(site_id: str = "devon") -> Numbers:
    """Children missing per 10,000 in England in the first and last year published (taken
    from ``site_id``'s comparison, which carries England's series)."""
    england = area.site_vs_neighbours(site_id, "children_missing").summary.set_index("year")["england"]
    values = {
        "first_year": int(england.index.min()),
        "last_year": int(england.index.max()),
        "england_first": float(england.iloc[0]),
        "england_last": float(england.iloc[-1]),
    }
    return Numbers(values, {"england_first": 1, "england_last": 1})


def analyses_numbers(analyses: pd.DataFrame) -> Numbers:
    """What the comparative analyses of the site areas gave: how many could be fitted, by
    design, the placebo p-value floors, how many reach them, and how many have p below
    :data:`P_BELOW` (``analyses``: :func:`innovate.study.area.analyses_table`)."""
    estimable = ~analyses["note"].str.startswith("not estimable")
    placebo = estimable & analyses["p_floor"].notna()
    if not placebo.any():
        raise ValueError("analyses table: no fitted analysis has a placebo p-value floor (column 'p_floor')")
    small_p = estimable & (analyses["p_value"] < P_BELOW)
    all_three = (
        analyses.assign(ok=small_p).groupby(["site_id", "measure"])["ok"].agg(lambda x: bool(x.all()) and len(x) == 3)
    )
    n_its = int((estimable & analyses["design"].str.startswith("Interrupted")).sum())
    n_sc = int((estimable & (analyses["design"] == "Synthetic control")).sum())
    n_placebo, n_floor = int(placebo.sum()), int((placebo & (analyses["p_value"] <= analyses["p_floor"] + 1e-12)).sum())
    n_small, n_estimable = int(small_p.sum()), int(estimable.sum())
    values = {
        "total": int(len(analyses)),
        "estimable": n_estimable,
        "its_estimable": n_its,
        "its_text": plural(n_its, "interrupted time series", "interrupted time series"),
        "sc_estimable": n_sc,
        "sc_text": plural(n_sc, "synthetic control"),
        "n_placebo": n_placebo,
        "floor_min": float(analyses.loc[placebo, "p_floor"].min()),
        "floor_max": float(analyses.loc[placebo, "p_floor"].max()),
        "n_at_floor": n_floor,
        "at_floor_text": of_them_opening(n_floor, n_placebo, "sit", "sits"),  # 'Five of them sit'
        "p_below_005": n_small,
        "p_below_text": capitalised(of_total(n_small, n_estimable, "fitted analysis", "fitted analyses"))
        + (" has" if _singular(n_small, n_estimable) else " have"),  # '2 of the 26 fitted analyses have'
        "all_three": int(all_three.sum()),
    }
    return Numbers(values, {"floor_min": 2, "floor_max": 2})


def synthetic_control_numbers(result) -> Numbers:
    """One synthetic control in words: its fit before the start, the average gap after and
    its direction, the ratio of errors after to before, the placebo p-value and the donors
    (``result``: a site's ``SiteAnalyses.synthetic``)."""
    values = {
        "pre_rmspe": result.pre_rmspe,
        "gap": abs(result.att),
        "direction": "below" if result.att < 0 else "above",
        "ratio": result.ratio,
        "p": result.p_value,
        "donors": int(len(result.weights)),
    }
    return Numbers(values, {"pre_rmspe": 2, "gap": 2, "ratio": 1, "p": 2})


def staggered_numbers(staggered: pd.DataFrame, measure: str = "children_missing") -> Numbers:
    """The staggered difference in differences of one measure: the ATT with its interval with
    never-treated controls, whether the interval includes no change, the areas, and the ATT
    with not-yet-treated controls (``staggered``: :func:`innovate.study.area.staggered_table`)."""
    rows = staggered[staggered["measure"] == measure].set_index("control")
    missing = {"never treated", "not yet treated"} - set(rows.index)
    if missing:
        raise KeyError(f"staggered table: no row for {measure!r} with control {sorted(missing)} (column 'control')")
    never, notyet = rows.loc["never treated"], rows.loc["not yet treated"]
    values = {
        "att": float(never["att"]),
        "lower": float(never["lower"]),
        "upper": float(never["upper"]),
        "areas": int(never["n_units"]),
        "zero": "includes" if never["lower"] <= 0 <= never["upper"] else "excludes",
        "att_notyet": float(notyet["att"]),
    }
    return Numbers(values, {"att": 2, "lower": 2, "upper": 2, "att_notyet": 2})


def its_numbers(single: pd.DataFrame, controlled: pd.DataFrame, synthetic: bool) -> Numbers:
    """The monthly area series: on synthetic data, how many intervals of the single-series
    and controlled models contain the true change in level and in trend (also as 'k of the n
    series'); always, the typical width of the interval of the change in level (upper over lower)."""
    values: dict[str, object] = {}
    if synthetic:
        n = int(len(single))
        level, slope = int(single["level_covered"].sum()), int(single["slope_covered"].sum())
        values |= {
            "its_n_series": n,
            "its_level_covered": level,
            "its_level_covered_text": of_total(level, n, "series", "series"),
            "its_slope_covered": slope,
            "its_slope_covered_text": of_total(slope, n, "series", "series"),
            "cits_level_covered": int(controlled["level_covered"].sum()),
            "cits_slope_covered": int(controlled["slope_covered"].sum()),
        }
    values["its_median_ci_ratio"] = float((single["level_upper"] / single["level_lower"]).median())
    return Numbers(values, {"its_median_ci_ratio": 2})


def error_model_numbers(sensitivity: pd.DataFrame, agreement: dict) -> Numbers:
    """The error-model sensitivity analysis in numbers: series, those with autocorrelated
    residuals (also as 'k of the n series'), the largest ratio of a change in level to the
    primary one, the series whose conclusion differs and the Ljung-Box lags (``sensitivity``,
    ``agreement``: :mod:`innovate.study.area_series`)."""
    n, k = agreement["n_series"], agreement["n_autocorrelated"]
    values = {
        "n_series": n,
        "n_autocorrelated": k,
        "autocorrelated_text": of_total(k, n, "series", "series"),
        "max_ratio": agreement["max_level_ratio"],
        "n_differs": agreement["n_conclusion_differs"],
        "lb_lags": int(sensitivity["ljung_box_lags"].dropna().iloc[0]),
    }
    return Numbers(values, {"max_ratio": 2})
