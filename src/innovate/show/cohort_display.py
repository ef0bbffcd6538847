"""Display tables and figures for the cohort chapter: effects, attrition, balance, forest plots, delta sensitivity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from innovate.config import WAVE_MONTHS
from innovate.show import figures
from innovate.stats.meta import MetaResult
from innovate.study.cohort import (
    FOLLOW_UP_MONTHS,
    CohortData,
    SiteEffects,
    _has,
    display_estimate,
    site_label,
)
from innovate.study.cohort_data import ARMS, OUTCOMES, attrition_table
from innovate.study.cohort_models import PropensityResult


def plot_forest(
    meta: MetaResult,
    ax=None,
    title: str | None = None,
    xlabel: str | None = None,
    prediction: tuple[float, float] | None = None,
):
    """Forest plot: one row per site (square sized by weight, 95% CI line), the pooled
    estimate as a diamond, and a dashed line at no difference. ``prediction`` (natural
    scale, e.g. :meth:`MetaResult.prediction_interval`) adds the prediction interval as a
    capped line through the diamond. Returns the Figure."""
    # Deferred with the rest of matplotlib: loaded when a figure is drawn.
    import matplotlib.ticker as ticker

    if ax is None:
        fig, ax = figures.new_figure(aspect=0.065 * (meta.k + 2) + 0.15)
    else:
        fig = ax.figure
    table = meta.table()
    ratio = meta.pooled.scale == "log"
    n = meta.k
    ypos = np.arange(n, 0, -1) + 1.0
    site_colour, pooled_colour = figures.PALETTE["blue"], figures.PALETTE["vermillion"]
    for i in range(n):
        row = table.iloc[i]
        ax.plot([row["ci_low"], row["ci_high"]], [ypos[i]] * 2, color=site_colour, lw=1.5)
        ax.plot(
            row["estimate"],
            ypos[i],
            marker="s",
            color=site_colour,
            linestyle="none",
            markersize=4 + 10 * np.sqrt(row["weight_pct"] / 100),
            label="Site estimate" if i == 0 else None,
        )
    pooled_row = table.iloc[-1]
    dx = [pooled_row["ci_low"], pooled_row["estimate"], pooled_row["ci_high"], pooled_row["estimate"]]
    if prediction is not None:
        # drawn first, so the diamond sits on top and the line shows only beyond it; the
        # centre is the arithmetic midpoint of the ends, which are exact on a log axis too
        ax.errorbar(
            (prediction[0] + prediction[1]) / 2,
            1.0,
            xerr=[[(prediction[1] - prediction[0]) / 2]],
            fmt="none",
            ecolor="#444444",
            elinewidth=1.2,
            capsize=4,
            label="95% prediction interval",
        )
    ax.fill(dx, [1, 1.3, 1, 0.7], color=pooled_colour, label="Pooled (random effects)")
    ax.axvline(1.0 if ratio else 0.0, color="#444444", linestyle="--", lw=1, label="No difference")
    ax.set_yticks([*ypos, 1.0])
    ax.set_yticklabels([*meta.labels, "Pooled"])
    if ratio:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0)))
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%.2g"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_ylim(0.4, n + 1.6)
    ax.set_xlabel(xlabel or ("Rate ratio (95% CI, log scale)" if ratio else "Difference (95% CI)"))
    ax.grid(axis="y", visible=False)
    if title:
        ax.set_title(title)
    return fig


# ======================================================================================
# Tables and figures for the chapter
# ======================================================================================

#: How each method is named in the chapter's tables, in display order.
METHOD_LABELS: dict[str, str] = {
    "primary": "Multiple imputation (primary)",
    "available_case": "Observed waves only",
    "complete_case": "Complete cases",
    "delta": "MI, delta-adjusted",
    "ipw": "Propensity-weighted (IPW)",
    "aipw": "Doubly robust (AIPW)",
}


def effects_display(
    site_results: dict[str, SiteEffects],
    truth: dict | None = None,
    methods: Sequence[str] | None = None,
    places: int | None = None,
) -> pd.DataFrame:
    """One row per site: each method's estimate and 95% interval as text, on the display
    scale (:func:`display_estimate`), and the true value when ``truth`` is given
    (:func:`manifest_truth`)."""
    first = next(iter(site_results.values()))
    outcome = first.outcome
    kind = OUTCOMES[outcome].kind
    places = places if places is not None else (2 if kind == "count" else 2)
    if methods is None:
        methods = [m for m in METHOD_LABELS if _has(first, m)]
    rows = []
    for site_id, res in site_results.items():
        row = {"Site": site_label(site_id)}
        for m in methods:
            value, low, high = display_estimate(res.estimate(m), outcome, m).natural()
            row[METHOD_LABELS[m]] = f"{value:.{places}f} ({low:.{places}f} to {high:.{places}f})"
        if truth is not None and (site_id, outcome) in truth:
            t = truth[(site_id, outcome)]
            row["True value"] = f"{(np.exp(t) if kind == 'count' else t * FOLLOW_UP_MONTHS):.{places}f}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("Site")


def attrition_display(data: CohortData) -> pd.DataFrame:
    """Young people observed at each wave, by site and arm (counts of people: protect
    them with :mod:`innovate.stats.disclosure` before showing them)."""
    rows = []
    for site_id in data.sites:
        table = attrition_table(data.young_people, data.outcomes, site_id)
        for arm in ARMS:
            part = table[table["arm"] == arm].set_index("wave_month")
            row: dict[str, object] = {"Site": site_label(site_id), "Arm": arm}
            row.update({f"Month {w}": int(part.at[w, "observed"]) for w in WAVE_MONTHS})
            rows.append(row)
    return pd.DataFrame(rows)


def balance_display(propensity: dict[str, PropensityResult]) -> pd.DataFrame:
    """Per site: the largest absolute standardised mean difference before and after
    weighting, and the Kish effective sample size of each arm."""
    rows = []
    for site_id, ps in propensity.items():
        rows.append(
            {
                "Site": site_label(site_id),
                "Largest |SMD| before": ps.max_abs_smd_before,
                "Largest |SMD| after": ps.max_abs_smd_after,
                "Effective n, innovation": ps.ess_treated,
                "Effective n, comparison": ps.ess_control,
                "Changes to the model": "; ".join(ps.notes) or "none",
            }
        )
    return pd.DataFrame(rows).set_index("Site")


#: Readable covariate names for the balance plot.
COVARIATE_LABELS: dict[str, str] = {
    "age_at_baseline": "Age",
    "female": "Female",
    "looked_after": "Looked after",
    "log_prior_missing": "Missing episodes before (log)",
    "baseline_risk_score": "Baseline risk score",
    "eth_black": "Black",
    "eth_asian": "Asian",
    "eth_mixed": "Mixed",
    "eth_other": "Other ethnicity",
    "eth_not_white": "Not white",
}


def plot_balance(propensity: dict[str, PropensityResult], ax=None):
    """Love plot: absolute standardised mean difference of each covariate before (open
    circles) and after (filled squares) weighting, every site, with the 0.1 target."""
    covs = [c for c in COVARIATE_LABELS if any(c in ps.covariates for ps in propensity.values())]
    if ax is None:
        fig, ax = figures.new_figure(aspect=0.075 * len(covs) + 0.25)
    else:
        fig = ax.figure
    ypos = {c: len(covs) - i for i, c in enumerate(covs)}
    before_c, after_c = figures.PALETTE["vermillion"], figures.PALETTE["blue"]
    first = True
    for ps in propensity.values():
        bal = ps.balance.set_index("covariate")
        ys = [ypos[c] for c in bal.index if c in ypos]
        ax.scatter(
            [abs(bal.at[c, "smd_before"]) for c in bal.index if c in ypos],
            ys,
            marker="o",
            facecolor="none",
            edgecolor=before_c,
            s=22,
            label="Before weighting" if first else None,
        )
        ax.scatter(
            [abs(bal.at[c, "smd_after"]) for c in bal.index if c in ypos],
            ys,
            marker="s",
            color=after_c,
            s=14,
            label="After weighting" if first else None,
        )
        first = False
    ax.axvline(0.1, color="#444444", linestyle="--", lw=1, label="Target 0.1")
    ax.set_yticks(list(ypos.values()))
    ax.set_yticklabels([COVARIATE_LABELS[c] for c in covs])
    ax.set_xlabel("Absolute standardised mean difference (innovation vs comparison)")
    ax.set_xlim(left=0)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_forest_panels(
    metas: Sequence[MetaResult],
    titles: Sequence[str],
    xlabels: Sequence[str],
    predictions: Sequence[tuple[float, float]] | None = None,
):
    """Forest plots side by side, one per outcome (see :func:`plot_forest`), each with its
    prediction interval when ``predictions`` is given."""
    k = max(m.k for m in metas)
    fig, axes = figures.new_figure(
        width="wide", aspect=0.06 * (k + 2) + 0.14, ncols=len(metas), squeeze=False, sharey=False
    )
    preds = list(predictions) if predictions is not None else [None] * len(metas)
    for ax, meta, title, xlabel, pred in zip(axes.ravel(), metas, titles, xlabels, preds, strict=True):
        plot_forest(meta, ax=ax, title=title, xlabel=xlabel, prediction=pred)
    for ax in axes.ravel()[1:]:
        # hidden, not blanked: the narrow layout (one panel a row) shows them again
        ax.tick_params(axis="y", labelleft=False)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    # a fourth entry (the prediction interval) goes on a second row, clear of the watermark's footer
    two_rows = len(labels) > 3
    fig.legend(handles, labels, loc="lower center", ncol=2 if two_rows else 3, fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.12 if two_rows else 0.06, 1, 1))
    return fig


def plot_delta(sensitivity: pd.DataFrame, outcome: str, ax=None, xlabel: str | None = None):
    """The pooled effect against the delta of the pattern-mixture analysis, with its 95%
    interval, and the line of no difference: where the interval reaches the line is the
    tipping point."""
    if ax is None:
        fig, ax = figures.new_figure(aspect=0.5)
    else:
        fig = ax.figure
    ratio = OUTCOMES[outcome].kind == "count"
    x = sensitivity["delta"].to_numpy()
    colour = figures.PALETTE["blue"]
    ax.fill_between(
        x,
        sensitivity["ci_low"],
        sensitivity["ci_high"],
        color=colour,
        alpha=0.2,
        linewidth=0,
        label="95% confidence interval",
    )
    ax.plot(x, sensitivity["pooled"], color=colour, marker=figures.MARKERS[0], label="Pooled estimate")
    ax.axhline(1.0 if ratio else 0.0, color="#444444", linestyle="--", lw=1, label="No difference")
    ax.axvline(0.0, color="#888888", linestyle=":", lw=1, label="Primary analysis (delta 0)")
    ax.set_xlabel(xlabel or "delta")
    ax.set_ylabel("Pooled rate ratio" if ratio else f"Pooled difference over {FOLLOW_UP_MONTHS} months")
    ax.legend(loc="best", fontsize=8)
    return fig
