"""Display tables and figures for the cohort chapter: effects, attrition, balance, forest plots, delta sensitivity."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from innovate.config import WAVE_MONTHS
from innovate.show import figures
from innovate.show.glue import Numbers
from innovate.show.text import format_p, heterogeneity_words, number_word, of_total
from innovate.stats.its import ITSResult
from innovate.stats.meta import MetaResult, scale_meta
from innovate.study import area_series, cohort, estimands
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


# ---------------------------------------------------------------------------------------
# The outcomes chapter's numbers, one section at a time (``glue_numbers("coh_", ...)``)
# ---------------------------------------------------------------------------------------

#: Largest absolute standardised mean difference after weighting that counts as balanced.
SMD_TARGET = 0.1

#: The prose's short name of each score outcome, and the estimand key's.
_SCORES = {"swemwbs": ("swem", "swemwbs"), "exploitation_risk_score": ("risk", "risk")}


def attrition_numbers(attrition: pd.DataFrame, n_sites: int) -> Numbers:
    """Young people at baseline and the share kept to eighteen months, overall and by arm
    (``attrition``: :func:`attrition_display`, before disclosure control)."""
    missing = {"Arm", "Month 0", "Month 18"} - set(attrition.columns)
    if missing:
        raise KeyError(f"attrition table: no column(s) {sorted(missing)}")
    n_people = int(attrition["Month 0"].sum())
    kept = attrition.groupby("Arm")[["Month 0", "Month 18"]].sum()
    values = {
        "n_people": n_people,
        "n_sites": n_sites,
        "retained_pct": 100 * float(attrition["Month 18"].sum()) / n_people,
        **{
            f"retained_{arm}_pct": 100 * float(kept.at[arm, "Month 18"] / kept.at[arm, "Month 0"])
            for arm in ("innovation", "comparison")
        },
    }
    return Numbers(values, dict.fromkeys(("retained_pct", "retained_innovation_pct", "retained_comparison_pct"), 0))


def assumption_numbers(deltas: dict[str, tuple[float, ...]]) -> Numbers:
    """The delta adjustments the chapter assumes for young people lost to follow-up: extra
    missing episodes in per cent (``deltas`` holds the log rate ratio) and the score shifts in points."""
    return Numbers(
        {
            "delta_missing_pct": 100 * (np.exp(deltas["missing_episodes"][0]) - 1),
            "delta_swemwbs": abs(deltas["swemwbs"][0]),
            "delta_risk": abs(deltas["exploitation_risk_score"][0]),
        },
        {"delta_missing_pct": 0, "delta_swemwbs": 0, "delta_risk": 0},
    )


def balance_numbers(results: dict[str, dict[str, SiteEffects]]) -> Numbers:
    """Imputations and propensity weighting: the number of imputations, the largest SMD
    before and after weighting, how many sites are balanced, the smallest effective sample
    share and how many sites' models had to be changed (``results``: outcome -> site -> effects)."""
    # Scores always carry the weighted analyses (site_effects' default for them).
    propensity = {s: r.weighted.propensity for s, r in results["swemwbs"].items() if r.weighted is not None}
    balance = balance_display(propensity)
    n = len(propensity)
    n_balanced = int((balance["Largest |SMD| after"] < SMD_TARGET).sum())
    n_collapsed = int(sum(bool(p.notes) for p in propensity.values()))
    ess = min(min(p.ess_treated / p.n_treated, p.ess_control / p.n_control) for p in propensity.values())
    values = {
        "m": next(iter(results["missing_episodes"].values())).primary.pooled.m,
        "smd_target": SMD_TARGET,
        "smd_before_max": float(balance["Largest |SMD| before"].max()),
        "smd_after_max": float(balance["Largest |SMD| after"].max()),
        "n_balanced": n_balanced,
        "balanced_text": of_total(n_balanced, n, "site"),  # 'all 6 sites'
        "ess_min_pct": 100 * ess,
        "n_collapsed": n_collapsed,
        "collapsed_text": of_total(n_collapsed, n, "site"),
    }
    return Numbers(values, {"smd_target": 1, "smd_before_max": 2, "smd_after_max": 2, "ess_min_pct": 0})


def missing_numbers(meta: MetaResult, site_results: dict[str, SiteEffects], truth: dict | None) -> Numbers:
    """Missing episodes pooled over the sites: the rate ratio, its interval and heterogeneity,
    in words, beside the Wald interval and the available- and complete-case estimates; on
    synthetic data (``truth``, see :func:`innovate.study.cohort.manifest_truth`) a sentence
    on how often the intervals contain the generator's truth."""
    s = meta.summary()
    sites = list(site_results)
    truth_sentence = ""
    if truth is not None:
        covered = cohort.truth_covered(site_results, truth)
        true_pooled = float(np.exp(np.mean([truth[(site, "missing_episodes")] for site in sites])))
        truth_sentence = (
            "Because the data are synthetic, the truth is known: the 95% intervals of the primary analysis contain "
            f"the generator's true rate ratio at {of_total(int(covered), len(sites), 'site')}, and the "
            f"{number_word(len(sites))} true values average {true_pooled:.2f}."
        )

    def pooled(**kwargs):
        return cohort.pooled("missing_episodes", site_results=site_results, **kwargs).summary()

    values = {
        "missing_pooled": s["pooled"],
        "missing_low": s["ci_low"],
        "missing_high": s["ci_high"],
        "missing_p": format_p(s["p_value"]),
        "missing_i2": s["i2_pct"],
        "missing_tau": s["tau"],
        "missing_q_p": format_p(s["q_p_value"]),
        "missing_change_pct": abs(100 * (1 - s["pooled"])),
        "missing_direction": "fewer" if s["pooled"] < 1 else "more",
        "missing_ci_has_one": "does not rule out" if s["ci_low"] <= 1 <= s["ci_high"] else "rules out",
        "missing_truth_sentence": truth_sentence,
    }
    wald = pooled(ci="normal")
    values |= {"missing_wald_low": wald["ci_low"], "missing_wald_high": wald["ci_high"]}
    values["missing_available_pooled"] = pooled(estimates="available_case")["pooled"]
    values["missing_complete_pooled"] = pooled(estimates="complete_case")["pooled"]
    digits = dict.fromkeys(("missing_pooled", "missing_low", "missing_high", "missing_tau"), 2)
    digits |= dict.fromkeys(("missing_wald_low", "missing_wald_high", "missing_available_pooled"), 2)
    digits |= {"missing_complete_pooled": 2, "missing_i2": 0, "missing_change_pct": 0}
    keys = estimands.pooled_keys("missing_episodes", "pooled_mi")
    return Numbers(values, digits, {f"missing_{role}": key for role, key in keys.items()})


def tipping_numbers(tip: cohort.TippingPoint) -> Numbers:
    """The delta-adjusted sensitivity analysis of missing episodes in sentences: the largest
    assumption tried, where the interval first lies above one, where the pooled rate ratio
    reaches one, and how far the interval stays below one."""

    def pct(factor: float) -> float:
        return 100 * (factor - 1)

    values: dict[str, object] = {"delta_max_pct": pct(tip.largest_factor)}
    if tip.first_unfavourable_factor is not None:
        values["tipping_sentence"] = (
            "Its interval first lies wholly above one when they are assumed to have had "
            f"{pct(tip.first_unfavourable_factor):.0f}% more missing episodes."
        )
    else:
        values["tipping_sentence"] = "Its interval does not lie wholly above one anywhere in this range."
    digits = {"delta_max_pct": 0}
    if tip.point_tipping_factor is not None:
        values["tipping_point_pct"] = pct(tip.point_tipping_factor)
        digits["tipping_point_pct"] = 0
        values["tipping_point_sentence"] = (
            "The pooled rate ratio itself reaches one, the tipping point of the point estimate, when they are "
            f"assumed to have had {pct(tip.point_tipping_factor):.0f}% more missing episodes than predicted "
            "(interpolated between the assumptions tried)."
        )
    else:
        values["tipping_point_sentence"] = "The pooled rate ratio itself does not reach one within this range."
    values["point_crosses_one"] = "passes" if tip.point_crosses_one else "stays below"
    if tip.last_favourable_factor is not None:
        values["favourable_sentence"] = (
            f"Its interval lies wholly below one for assumptions up to {pct(tip.last_favourable_factor):.0f}% more."
        )
    else:
        values["favourable_sentence"] = "Its interval includes one even under the primary analysis."
    return Numbers(values, digits)


def score_numbers(
    results: dict[str, dict[str, SiteEffects]], metas: dict[str, MetaResult], truth: dict | None
) -> Numbers:
    """Wellbeing and exploitation risk pooled over the sites (``metas``: each score's pooled
    result scaled to the change over the follow-up): estimate, interval, heterogeneity, the
    AIPW and delta-adjusted estimates, the sites fitted with a random slope, the direction in
    words and, on synthetic data, how often the intervals contain the truth."""
    values: dict[str, object] = {}
    digits: dict[str, int] = {}
    keys: dict[str, str] = {}
    for outcome, (key, short) in _SCORES.items():
        s = metas[outcome].summary()

        def pooled(estimates: str) -> MetaResult:
            return cohort.pooled(outcome, site_results=results[outcome], estimates=estimates)

        aipw = pooled("aipw").summary()
        delta = scale_meta(pooled("delta"), FOLLOW_UP_MONTHS).summary()
        slopes = sum(
            r.primary.n_people > 0 and bool(getattr(r.available_case, "random_slope", False))  # mixed models only
            for r in results[outcome].values()
        )
        section = {
            "pooled": s["pooled"],
            "low": s["ci_low"],
            "high": s["ci_high"],
            "p": format_p(s["p_value"]),
            "i2": s["i2_pct"],
            "heterogeneity": heterogeneity_words(s["i2_pct"]),
            "tau": s["tau"],
            "aipw": aipw["pooled"],
            "delta": delta["pooled"],
            "delta_low": delta["ci_low"],
            "delta_high": delta["ci_high"],
            "random_slope_sites": int(slopes),
        }
        values |= {f"{key}_{name}": v for name, v in section.items()}
        digits |= {f"{key}_{name}": 2 for name in ("pooled", "low", "high", "tau", "aipw", "delta", "delta_low")}
        digits |= {f"{key}_delta_high": 2, f"{key}_i2": 0}
        keys |= {f"{key}_{role}": e for role, e in estimands.pooled_keys(outcome, "pooled_mi_mixed").items()}
        keys[f"{key}_aipw"] = f"cohort.{short}.change_18m.pooled_aipw"
    values["scores_truth_sentence"] = ""
    if truth is not None:
        sites = list(results["swemwbs"])
        cover = {o: of_total(int(cohort.truth_covered(results[o], truth)), len(sites), "site") for o in _SCORES}
        mean = {o: FOLLOW_UP_MONTHS * float(np.mean([truth[(site, o)] for site in sites])) for o in _SCORES}
        values["scores_truth_sentence"] = (
            f"The primary intervals contain the generator's true values at {cover['swemwbs']} for wellbeing and at "
            f"{cover['exploitation_risk_score']} for exploitation risk; the true values average "
            f"{mean['swemwbs']:.2f} and {mean['exploitation_risk_score']:.2f} points."
        )
    values["swem_direction"] = "rose more" if metas["swemwbs"].pooled.estimate > 0 else "rose less"
    values["risk_direction"] = (
        "a larger fall in risk in the innovation arms"
        if metas["exploitation_risk_score"].pooled.estimate < 0
        else "a smaller fall in risk in the innovation arms"
    )
    return Numbers(values, digits, keys)


def area_numbers(
    series_results: Sequence[ITSResult], sites: Sequence[str], frame: pd.DataFrame, manifest=None
) -> Numbers:
    """Missing episodes in each site's area series: the range of the change in level, how
    many intervals lie below one and, on synthetic data (``manifest``: the generator's), how
    many contain the true change."""
    levels = np.array([r.level_rr for r in series_results])
    truth_sentence = ""
    if manifest is not None:
        single = area_series.compare_with_truth(
            area_series.area_series_results(sites, ["missing_episodes"], frame=frame),
            area_series.manifest_truth(manifest),
        )
        truth_sentence = (
            "The interval contains the generator's true change in level at "
            f"{of_total(int(single['level_covered'].sum()), len(sites), 'site')}."
        )
    values = {
        "area_level_min": float(levels.min()),
        "area_level_max": float(levels.max()),
        "area_level_below_one": int((np.array([r.level_ci[1] for r in series_results]) < 1).sum()),
        "area_truth_sentence": truth_sentence,
    }
    return Numbers(values, {"area_level_min": 2, "area_level_max": 2})
