"""Figures and display tables for area series: interrupted time series, a site against its neighbours, synthetic control."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from innovate.show import figures
from innovate.stats.its import ITSResult
from innovate.stats.synth import SyntheticControlResult
from innovate.study.area import PUBLIC_MEASURES, AreaComparison, site_vs_neighbours
from innovate.study.area_series import AREA_SERIES_MEASURES


def monthly_results_display(
    single: pd.DataFrame, controlled: pd.DataFrame | None = None, names: dict | None = None
) -> pd.DataFrame:
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
        row = {
            "Site": (names or {}).get(r.site_id, r.site_id),
            "Measure": AREA_SERIES_MEASURES[r.measure],
            "ITS: level change": ci(r.level, r.level_lower, r.level_upper, 3),
            "ITS: trend change per month": ci(r.slope, r.slope_lower, r.slope_upper, 4),
        }
        if ctrl is not None:
            c = ctrl.loc[(r.site_id, r.measure)]
            row["Controlled ITS: level ratio"] = ci(c["group_level"], c["group_level_lower"], c["group_level_upper"], 3)
            row["Controlled ITS: trend ratio per month"] = ci(
                c["group_slope"], c["group_slope_lower"], c["group_slope_upper"], 4
            )
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
    ax.scatter(
        x[pre], f.loc[pre, "rate"], marker=figures.MARKERS[0], s=16, color=grey, label="Observed, before", zorder=3
    )
    ax.scatter(
        x[post],
        f.loc[post, "rate"],
        marker=figures.MARKERS[1],
        s=16,
        facecolor="white",
        edgecolor=grey,
        label="Observed, after",
        zorder=3,
    )
    if result.harmonics and show_seasonal:
        ax.plot(x, f["fitted_rate"], color=blue, linewidth=0.8, alpha=0.7, label="Fitted (with season)")
    trend_label = "Fitted trend (deseasonalised)" if result.harmonics else "Fitted"
    for part in (pre, post):
        ax.plot(
            x[part], f.loc[part, "trend_rate"], color=blue, linewidth=2.0, label=trend_label if part is pre else None
        )
    # counterfactual from the last pre-intervention period onwards
    cf = f["time"] >= result.t0
    ax.plot(
        x[cf],
        f.loc[cf, "counterfactual_trend_rate"],
        color=orange,
        linestyle="--",
        linewidth=1.8,
        label="Counterfactual (no intervention)",
    )
    pct = int(round(100 * result.confidence))
    ax.fill_between(
        x[cf],
        f.loc[cf, "counterfactual_trend_lower"],
        f.loc[cf, "counterfactual_trend_upper"],
        color=orange,
        alpha=0.18,
        linewidth=0,
        label=f"Counterfactual {pct}% confidence band",
    )
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


def plot_its_panels(
    results: list,
    titles: list[str],
    ncols: int = 2,
    synthetic: bool = False,
    ylabel: str = "Rate",
    intervention_label: str = "Intervention",
):
    """Several ITS figures side by side (one legend, below). Results that are not
    estimable get an empty panel that says why."""
    nrows = int(math.ceil(len(results) / ncols))
    fig, axes = figures.new_figure(
        width="wide", aspect=0.32 * nrows + 0.06, nrows=nrows, ncols=ncols, squeeze=False, layout="constrained"
    )
    flat = axes.ravel()
    for ax, result, title in zip(flat, results, titles):
        if getattr(result, "estimable", False):
            plot_its(result, ax=ax, title=title, ylabel=ylabel, legend=False, intervention_label=intervention_label)
            ax.title.set_fontsize(9)
            ax.tick_params(labelsize=8)
            ax.set_xlabel("")
        else:
            ax.set_title(title, fontsize=9)
            ax.text(
                0.5,
                0.5,
                "not estimable:\n" + result.reason,
                ha="center",
                va="center",
                fontsize=8,
                wrap=True,
                transform=ax.transAxes,
            )
            ax.set_axis_off()
    for ax in flat[len(results) :]:
        ax.set_axis_off()
    handles, labels = next((a.get_legend_handles_labels() for a in flat if a.get_legend_handles_labels()[0]), ([], []))
    fig.legend(handles, labels, loc="outside upper center", ncol=4, fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.025, 1, 0.975))  # room for the footnote line
    if synthetic:
        figures.watermark(fig)
    return fig


def plot_residual_acf(result: ITSResult, lags: int | None = None, ax=None, title: str | None = None):
    """Autocorrelation of the model's residuals with approximate 95% limits (+-1.96/sqrt(n))."""
    # Deferred (kernel start-up): statsmodels loads only when the residual plot is drawn.
    from statsmodels.tsa.stattools import acf

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
    ax.plot(
        k,
        values,
        linestyle="none",
        marker=figures.MARKERS[0],
        color=figures.PALETTE["blue"],
        markersize=4,
        label="Residual autocorrelation",
    )
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


def plot_site_vs_neighbours(comparison: AreaComparison, ax=None, title: str | None = None):
    """Site's rate (solid, circles), comparison-area median (dotted, triangles) and range
    (band), England (dashed, squares), a vertical line before the first post year."""
    s = comparison.summary
    if ax is None:
        fig, ax = figures.new_figure(aspect=0.55)
    else:
        fig = ax.figure
    c = figures.PALETTE
    ax.fill_between(
        s["year"],
        s["comparison_min"],
        s["comparison_max"],
        color=c["sky_blue"],
        alpha=0.25,
        linewidth=0,
        label="Comparison areas: range",
    )
    ax.plot(
        s["year"],
        s["comparison_median"],
        color=c["blue"],
        linestyle=":",
        marker=figures.MARKERS[2],
        label="Comparison areas: median",
    )
    ax.plot(s["year"], s["england"], color=c["black"], linestyle="--", marker=figures.MARKERS[1], label="England")
    ax.plot(
        s["year"],
        s["site"],
        color=c["vermillion"],
        linewidth=2.2,
        marker=figures.MARKERS[0],
        label=comparison.area_name,
    )
    if s["year"].min() < comparison.first_post_year <= s["year"].max():
        ax.axvline(
            comparison.first_post_year - 0.5,
            color="black",
            linestyle="-.",
            linewidth=1,
            label="Innovation start" + (" (assumed)" if comparison.start_is_assumption else ""),
        )
    ax.set_xlabel("Year ending 31 March")
    ax.set_ylabel("Rate per 10,000 children")
    ax.set_xticks(s["year"].astype(int).tolist())
    ax.set_ylim(bottom=0)
    ax.set_title(title or comparison.measure_label, fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def plot_site_panels(site_id: str, measures: list[str] | None = None, ncols: int = 3, model: int = 2021):
    """One panel per measure: the site's area, its comparison areas (median and range) and
    England, rates per 10,000 children (real DfE statistics). One legend, below."""
    measures = list(measures or [m for m in PUBLIC_MEASURES if m != "children_missing"])
    nrows = int(math.ceil(len(measures) / ncols))
    fig, axes = figures.new_figure(
        width="wide", aspect=0.3 * nrows + 0.08, nrows=nrows, ncols=ncols, squeeze=False, layout="constrained"
    )
    flat = axes.ravel()
    for ax, measure in zip(flat, measures):
        comparison = site_vs_neighbours(site_id, measure, model)
        plot_site_vs_neighbours(
            comparison, ax=ax, title=PUBLIC_MEASURES[measure].replace(" identified at assessment", "")
        )
        ax.get_legend().remove()
        ax.tick_params(labelsize=7)
        ax.set_xticks(comparison.summary["year"].astype(int).tolist()[::2])
        ax.xaxis.label.set_fontsize(8)
        ax.yaxis.label.set_fontsize(8)
    handles, labels = max((a.get_legend_handles_labels() for a in flat[: len(measures)]), key=lambda hl: len(hl[0]))
    _panel_legend(fig, flat, len(measures), handles, labels)
    fig.get_layout_engine().set(rect=(0, 0.03, 1, 0.97))  # room for the source line
    fig.text(
        0.01, 0.005, "Source: DfE children in need census; ONS mid-year estimates (OGL v3)", fontsize=7, va="bottom"
    )
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
    nrows = int(math.ceil(len(site_ids) / ncols))
    fig, axes = figures.new_figure(
        width="wide", aspect=0.3 * nrows + 0.08, nrows=nrows, ncols=ncols, squeeze=False, layout="constrained"
    )
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
    labels = [
        "Site's area"
        if lab not in ("Comparison areas: range", "Comparison areas: median", "England")
        and not lab.startswith("Innovation")
        else lab
        for lab in labels
    ]
    _panel_legend(fig, flat, len(site_ids), handles, labels)
    return fig


def plot_synthetic_control(
    result: SyntheticControlResult,
    title: str | None = None,
    treated_label: str = "Treated",
    ylabel: str = "Rate per 10,000 children",
    synthetic: bool = False,
):
    """Left: the treated series and its synthetic control. Right: the gap (treated minus
    synthetic) for the treated unit and every placebo, with the adoption marked."""
    if not getattr(result, "estimable", False):
        raise ValueError(f"nothing to plot: {result}")
    fig, (left, right) = figures.new_figure(width="wide", aspect=0.38, ncols=2)
    s = result.series
    c = figures.PALETTE
    first_post = s.loc[s["post"] == 1, "time"].min()
    last_pre = s.loc[s["post"] == 0, "time"].max()
    cut = (first_post + last_pre) / 2
    left.plot(
        s["time"], s["treated"], color=c["vermillion"], marker=figures.MARKERS[0], linewidth=2, label=treated_label
    )
    left.plot(
        s["time"], s["synthetic"], color=c["blue"], marker=figures.MARKERS[1], linestyle="--", label="Synthetic control"
    )
    left.axvline(cut, color="black", linestyle="-.", linewidth=1, label="Adoption")
    left.set_ylabel(ylabel)
    left.set_ylim(bottom=0)
    left.legend(fontsize=8, loc="best")
    right.axhline(0, color="black", linewidth=0.8)
    gaps = result.placebo_gaps if result.placebo_gaps is not None else pd.DataFrame()
    for i, (_unit, row) in enumerate(gaps.iterrows()):
        right.plot(
            s["time"],
            row.to_numpy(float),
            color="#999999",
            linewidth=0.8,
            linestyle="-",
            label="Placebo areas" if i == 0 else None,
        )
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


def error_model_display(table: pd.DataFrame, labels: dict[str, str], measure_labels: dict[str, str]) -> pd.DataFrame:
    """The error-model sensitivity table as text: one row per site and measure, the primary
    model's autocorrelation diagnostics, then the change in level (rate ratio, 95% interval)
    under each error model."""
    rows = []
    for (site_id, measure), part in table.groupby(["site_id", "measure"], sort=False):
        primary = part.iloc[0]
        row = {
            "Site": labels.get(site_id, site_id),
            "Measure": measure_labels.get(measure, measure),
            "Ljung-Box p": f"{primary['ljung_box_p']:.2f}" if pd.notna(primary.get("ljung_box_p")) else "-",
            "Durbin-Watson": f"{primary['durbin_watson']:.2f}" if pd.notna(primary.get("durbin_watson")) else "-",
        }
        for _, r in part.iterrows():
            row[r["model"]] = (
                f"{r['level']:.2f} ({r['level_lower']:.2f} to {r['level_upper']:.2f})"
                if pd.notna(r.get("level"))
                else "not estimable"
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index(["Site", "Measure"])
