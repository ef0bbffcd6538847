"""Tables and figures of the cross-site synthesis (:mod:`innovate.study.synthesis`).

Tables carry human headers and text cells at the precision the site and theme chapters
print; figures use the house style, and a figure from the case-level data is watermarked
where the chapter glues it (``glue_case_figure``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from innovate.config import FOLLOW_UP_MONTHS
from innovate.show import cohort_display, figures
from innovate.show.cost_display import interval_text, money, signed_money_text
from innovate.show.glue import Numbers
from innovate.show.text import format_p, heterogeneity_words
from innovate.stats import disclosure
from innovate.study import costs, process
from innovate.study.estimands import COHORT_QUANTITIES, pooled_keys, with_interval
from innovate.study.synthesis import (
    OUTCOME_KEYS,
    OUTCOME_LABELS,
    PROFILE_MEASURES,
    QUADRANT_WORDS,
    CostSynthesis,
    PooledOutcome,
)

#: Short outcome names for table columns and figure panels.
SHORT_OUTCOMES = {
    "missing_episodes": "Missing episodes",
    "swemwbs": "SWEMWBS wellbeing",
    "exploitation_risk_score": "Exploitation risk",
}


def _sites(n: int) -> str:
    return f"{n} site" if n == 1 else f"{n} sites"


def _interval(value: float, low: float, high: float, places: int = 2) -> str:
    return f"{value:.{places}f} ({low:.{places}f} to {high:.{places}f})"


def _pct(value: float) -> str:
    return f"{value:.0f}%"


# ---------------------------------------------------------------------------------------
# 1. outcomes pooled across the sites
# ---------------------------------------------------------------------------------------
def outcomes_table(pooled: Mapping[str, PooledOutcome]) -> pd.DataFrame:
    """Sites down the side, one column per outcome: each site's primary estimate and 95%
    interval as its site chapter prints it, then the pooled estimate and the prediction
    interval (from :meth:`PooledOutcome.numbers`, the outcomes chapter's precision)."""
    first = next(iter(pooled.values()))
    frame = first.site_rows()[["label", "framework"]].rename(columns={"label": "Site", "framework": "Framework"})
    pooled_row = {"Site": "Pooled (random effects)"}
    pi_row = {"Site": "95% prediction interval", "Framework": "A new site like these"}
    for outcome, p in pooled.items():
        rows = p.site_rows()
        column = SHORT_OUTCOMES.get(outcome, outcome)
        frame[column] = [
            _interval(e, lo, hi) for e, lo, hi in zip(rows["estimate"], rows["ci_low"], rows["ci_high"], strict=True)
        ]
        k: dict[str, Any] = p.numbers()
        pooled_row[column] = _interval(k["pooled"], k["low"], k["high"])
        pi_row[column] = f"{k['pi_low']:.2f} to {k['pi_high']:.2f}"
    pooled_row["Framework"] = f"All {len(frame)}"
    return pd.concat([frame, pd.DataFrame([pooled_row, pi_row])], ignore_index=True)


def heterogeneity_table(pooled: Mapping[str, PooledOutcome]) -> pd.DataFrame:
    """One row per outcome: the pooled estimate, tau-squared and I-squared with their
    Q-profile intervals, Cochran's Q test and the prediction interval."""
    rows = []
    for outcome, p in pooled.items():
        k: dict[str, Any] = p.numbers()
        rows.append(
            {
                "Outcome": OUTCOME_LABELS.get(outcome, outcome),
                "Pooled (95% CI)": _interval(k["pooled"], k["low"], k["high"]),
                "Tau-squared (95% CI)": f"{k['tau2']:.3f} ({k['tau2_low']:.3f} to {k['tau2_high']:.3f})",
                "I-squared (95% CI)": f"{k['i2_pct']:.0f}% ({k['i2_low_pct']:.0f}% to {k['i2_high_pct']:.0f}%)",
                "Test of heterogeneity, p": format_p(k["q_p_value"], prefix=False),
                "95% prediction interval": f"{k['pi_low']:.2f} to {k['pi_high']:.2f}",
            }
        )
    return pd.DataFrame(rows)


def plot_pooled_forests(pooled: Mapping[str, PooledOutcome], follow_up_months: int):
    """The outcomes chapter's three forest panels, each with its prediction interval."""
    metas = [p.meta for p in pooled.values()]
    titles = [SHORT_OUTCOMES.get(o, o) for o in pooled]
    xlabels = [
        "Rate ratio (log scale)" if p.ratio else f"Difference in change\nover {follow_up_months} months (points)"
        for p in pooled.values()
    ]
    predictions = [p.meta.prediction_interval(p.level) for p in pooled.values()]
    return cohort_display.plot_forest_panels(metas, titles, xlabels, predictions=predictions)


# ---------------------------------------------------------------------------------------
# 2. costs and value across the sites
# ---------------------------------------------------------------------------------------
def cost_table(cost: CostSynthesis) -> pd.DataFrame:
    """One row per site (the facade's numbers, as each site chapter prints them) and a last
    row for all sites (the costs chapter's site-standardised result); counts of young
    people pass disclosure control."""
    rows = cost.site_rows()
    k: dict[str, Any] = cost.overall.numbers()
    wtp = money(cost.overall.wtp)

    def row(label, framework, n, dc, dcl, dch, de, del_, deh, quadrant, p0, p1):
        return {
            "Site": label,
            "Framework": framework,
            "Young people analysed": n,
            "Incremental cost per young person": f"{money(dc)} ({interval_text(dcl, dch, money)})",
            "Missing episodes averted": f"{de:.2f} ({interval_text(del_, deh, lambda v: f'{v:.2f}')})",
            "Point estimate": QUADRANT_WORDS[quadrant],
            "Probability of a saving": f"{p0:.2f}",
            f"Probability cost-effective at {wtp}": f"{p1:.2f}",
        }

    columns = ["label", "framework", "n", "delta_cost", "delta_cost_low", "delta_cost_high", "delta_effect"]
    columns += ["delta_effect_low", "delta_effect_high", "quadrant", "p_cost_saving", "p_cost_effective"]
    out = [row(*[r[c] for c in columns]) for _, r in rows.iterrows()]
    out.append(
        row(
            "All sites (standardised by site)",
            f"All {len(rows)}",
            int(k["n_innovation"] + k["n_comparison"]),
            k["delta_cost"],
            k["delta_cost_low"],
            k["delta_cost_high"],
            k["delta_effect"],
            k["delta_effect_low"],
            k["delta_effect_high"],
            cost.overall.icer.quadrant,
            k["p_cost_saving"],
            k["p_cost_effective"],
        )
    )
    frame = pd.DataFrame(out)
    # the all-sites count is the sum of the sites': protected with them as their total row,
    # so that no withheld site count can be worked back from it
    sites_n = frame.iloc[:-1][["Site", "Young people analysed"]]
    if int(sites_n["Young people analysed"].sum()) != int(frame["Young people analysed"].iloc[-1]):
        raise ValueError("the all-sites cost result does not hold the young people of the sites shown")
    protected = disclosure.protect(
        sites_n, ["Young people analysed"], threshold=costs.DISCLOSURE_THRESHOLD, totals="column"
    ).table
    frame["Young people analysed"] = protected["Young people analysed"].to_numpy()
    frame.attrs["disclosure"] = protected.attrs.get("disclosure")
    return frame


def plot_costs_by_site(cost: CostSynthesis):
    """Two panels sharing the sites: incremental cost per young person and missing episodes
    averted, each site's point and 95% interval, and the all-sites result as a diamond."""
    rows = cost.site_rows()
    k: dict[str, Any] = cost.overall.numbers()
    n = len(rows)
    fig, axes = figures.new_figure(width="wide", aspect=0.05 * (n + 2) + 0.16, ncols=2, sharey=True)
    ypos = np.arange(n, 0, -1) + 1.0
    blue, red = figures.PALETTE["blue"], figures.PALETTE["vermillion"]
    panels = (
        ("delta_cost", "Incremental cost per young person (GBP thousands)", 1e-3),
        ("delta_effect", "Missing episodes averted per young person", 1.0),
    )
    for ax, (col, xlabel, unit) in zip(axes, panels, strict=True):
        for i, (_, r) in enumerate(rows.iterrows()):
            ax.plot([r[f"{col}_low"] * unit, r[f"{col}_high"] * unit], [ypos[i]] * 2, color=blue, lw=1.5)
            ax.plot(r[col] * unit, ypos[i], marker="s", color=blue, linestyle="none", label="Site" if i == 0 else None)
        lo, mid, hi = k[f"{col}_low"] * unit, k[col] * unit, k[f"{col}_high"] * unit
        ax.fill([lo, mid, hi, mid], [1, 1.3, 1, 0.7], color=red, label="All sites (standardised by site)")
        ax.axvline(0.0, color="#444444", linestyle="--", lw=1, label="No difference")
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
    axes[0].set_yticks([*ypos, 1.0])
    axes[0].set_yticklabels([*rows["label"], "All sites"])
    axes[0].set_ylim(0.4, n + 1.6)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


# ---------------------------------------------------------------------------------------
# 3. sustaining and stalling
# ---------------------------------------------------------------------------------------
def _value(v: float, places: int) -> str:
    return "-" if not np.isfinite(v) else f"{v:,.{places}f}"


def profile_table(profile: pd.DataFrame) -> pd.DataFrame:
    """One row per site: trajectory, journey, coded facilitators, audit, outcomes and costs."""
    return pd.DataFrame(
        {
            "Site": profile["label"],
            "Framework": profile["framework"],
            "Trajectory": [
                process.TRAJECTORY_LABELS["sustained_or_grew" if s else "stalled_or_fell_back"]
                for s in profile["sustained"]
            ],
            "Stage at the end": profile["current_stage"],
            "Stalls": profile["stalls"],
            "Regressions": profile["regressions"],
            "Months to integrating": [_value(v, 0) for v in profile["months_to_integrating"]],
            "Facilitators (% of segments)": [_value(v, 0) for v in profile["facilitator_percent"]],
            "Audit mean score": [_value(v, 1) for v in profile["audit_mean_score"]],
            "Missing episodes (rate ratio)": [_value(v, 2) for v in profile["missing_rr"]],
            "SWEMWBS (points)": [_value(v, 2) for v in profile["swemwbs_diff"]],
            "Exploitation risk (points)": [_value(v, 2) for v in profile["risk_diff"]],
            "Incremental cost (GBP)": [money(v) for v in profile["delta_cost"]],
            "Probability cost-effective": [_value(v, 2) for v in profile["p_cost_effective"]],
        }
    )


#: Decimals each compared measure is shown with (the site chapters' precision).
MEASURE_PLACES = {
    "stalls": 1,
    "months_to_integrating": 0,
    "stalled_percent": 0,
    "facilitator_percent": 0,
    "audit_mean_score": 1,
    "missing_rr": 2,
    "swemwbs_diff": 2,
    "risk_diff": 2,
    "delta_cost": 0,
    "delta_effect": 2,
    "p_cost_effective": 2,
}


def comparison_table(comparison: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """The trajectory comparison as text: each measure's mean in the two groups of sites,
    the difference (a ratio for rate ratios), the exact permutation p-value and the
    smallest p-value the group sizes allow."""
    rows = []
    for _, r in comparison.iterrows():
        places = MEASURE_PLACES.get(r["measure"], 2)

        def fmt(v, places=places, measure=r["measure"]):
            return money(v) if measure == "delta_cost" else _value(v, places)

        rows.append(
            {
                "Measure (mean over sites)": r["label"],
                f"{names[0]} (sites)": f"{fmt(r['mean_in'])} ({r['n_in']})",
                f"{names[1]} (sites)": f"{fmt(r['mean_out'])} ({r['n_out']})",
                "Difference": f"ratio {r['difference']:.2f}" if r["scale"] == "ratio" else fmt(r["difference"]),
                "Exact p": "-" if not np.isfinite(r["p_value"]) else format_p(r["p_value"], prefix=False),
                "Smallest attainable p": "-" if not np.isfinite(r["smallest_p"]) else f"{r['smallest_p']:.2f}",
            }
        )
    return pd.DataFrame(rows)


#: Where each measure means no difference, drawn as a dashed line.
NO_DIFFERENCE = {"missing_rr": 1.0, "swemwbs_diff": 0.0, "risk_diff": 0.0, "delta_cost": 0.0, "delta_effect": 0.0}


def plot_trajectory_strips(profile: pd.DataFrame, measures: Sequence[str], names: Sequence[str], group="sustained"):
    """Small multiples, one per measure: each site as a labelled point in its trajectory
    group, so a reader sees six cases, not two averages. Sites with the same value share
    one point and one label."""
    import textwrap

    from matplotlib.ticker import MaxNLocator

    n = len(measures)
    ncols = 3
    nrows = int(np.ceil(n / ncols))
    fig, axes = figures.new_figure(width="wide", aspect=0.32 * nrows, nrows=nrows, ncols=ncols, squeeze=False)
    markers = {True: ("o", figures.PALETTE["blue"]), False: ("D", figures.PALETTE["vermillion"])}
    for ax, measure in zip(axes.ravel(), measures):
        title = PROFILE_MEASURES[measure][0]
        for flag in (True, False):
            part = profile[profile[group].astype(bool) == flag].dropna(subset=[measure])
            marker, colour = markers[flag]
            x = 0 if flag else 1
            for value, same in part.groupby(measure, sort=True):
                ax.plot(x, value, marker=marker, color=colour, linestyle="none", markersize=6)
                text = ", ".join(same["label"])
                ax.annotate(text, (x, value), xytext=(6, 0), textcoords="offset points", fontsize=6, va="center")
        if measure in NO_DIFFERENCE:
            ax.axhline(NO_DIFFERENCE[measure], color="#444444", linestyle="--", lw=0.8)
        if measure in ("stalls", "regressions"):
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xticks([0, 1])
        ax.set_xticklabels([textwrap.fill(name, 12) for name in names], fontsize=7)
        ax.set_xlim(-0.4, 1.9)
        ax.set_title(title, fontsize=8)
        ax.grid(axis="x", visible=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------------------
# sentences for the prose (built here so that they read right on any data set)
# ---------------------------------------------------------------------------------------
def pooled_reading(p: PooledOutcome) -> str:
    """The pooled interval and the prediction interval read together, in one sentence."""
    k: dict[str, Any] = p.numbers()
    side = "the innovation arms" if p.favours_innovation() else "the comparison arms"
    if k["ci_includes_null"]:
        return "the average across the sites cannot be told apart from no difference"
    if k["pi_includes_null"]:
        return (
            f"on average the sites favour {side}, but the prediction interval includes no difference, "
            "so a new site like these could see no effect, or the opposite one"
        )
    return f"on average the sites favour {side}, and so does the whole prediction interval"


def pooled_readings(pooled: Mapping[str, PooledOutcome]) -> dict[str, int]:
    """How many outcomes' pooled intervals, and how many prediction intervals, exclude no difference."""
    numbers = [p.numbers() for p in pooled.values()]
    return {
        "outcomes": len(numbers),
        "ci_excludes": sum(not k["ci_includes_null"] for k in numbers),
        "pi_excludes": sum(not k["pi_includes_null"] for k in numbers),
    }


def cost_reading(cost: CostSynthesis) -> str:
    """What the sites' costs and effects add up to, in one sentence."""
    k: dict[str, Any] = cost.numbers()
    n, span = k["n_sites"], k["sites_both_intervals_span"]
    if span == n:
        first = (
            "At every site both intervals include no difference: no site's innovation is shown to cost more or "
            "less than its usual practice, or to avert more or fewer missing episodes"
        )
    elif span == 0:
        first = "At every site at least one of the two intervals excludes no difference"
    else:
        first = (
            f"At {_sites(span)} of the {n} both intervals include no difference; at the other "
            f"{_sites(n - span)} at least one excludes it"
        )
    return (
        f"{first}, and the probability that the innovation is cost-effective at {money(k['wtp'])} per episode "
        f"averted runs from {k['p_ce_site_min_pct']:.0f}% to {k['p_ce_site_max_pct']:.0f}% across the sites"
    )


def trajectory_reading(comparison: pd.DataFrame, names: Sequence[str]) -> str:
    """How the sites divide by trajectory and what an exact test can say with groups of those sizes."""
    first = comparison.iloc[0]
    n_in, n_out = int(first["n_in"]), int(first["n_out"])
    if n_in == 0 or n_out == 0:
        return (
            f"Every site's journey ended {names[0 if n_out == 0 else 1].lower()} by the book's rule, so there is "
            "no second group to compare them with"
        )
    tested = comparison.dropna(subset=["p_value"])
    at_min = int((tested["p_value"] <= tested["smallest_p"] + 1e-9).sum())
    return (
        f"{_sites(n_in)} {names[0].lower()} and {_sites(n_out)} {names[1].lower()}; with groups of these sizes "
        f"the smallest p-value an exact test over the site labels can give is {first['smallest_p']:.2f}, and "
        f"{'none' if at_min == 0 else at_min} of the {len(tested)} measures compared reach"
        f"{'es' if at_min == 1 else ''} it"
    )


def trajectory_outcomes_reading(comparison: pd.DataFrame, names: Sequence[str]) -> str:
    """Whether the sites that sustained also did better for young people and at what cost."""
    rows = comparison.set_index("measure")
    rr, cost = rows.loc["missing_rr"], rows.loc["delta_cost"]
    if not (np.isfinite(rr["mean_in"]) and np.isfinite(rr["mean_out"])):
        return "With one group empty, the outcomes cannot be set against the trajectories"
    better = "lower" if rr["mean_in"] < rr["mean_out"] else "higher"
    return (
        f"At the sites that {names[0].lower()}, the rate ratio of missing episodes averaged "
        f"{rr['mean_in']:.2f} (geometric mean) against {rr['mean_out']:.2f} where the innovation "
        f"{names[1].lower()} ({better}, {'more' if better == 'lower' else 'less'} favourable to the innovation, "
        f"where it sustained), and the incremental cost per young "
        f"person averaged {money(cost['mean_in'])} against {money(cost['mean_out'])} (exact p = "
        f"{format_p(rr['p_value'], prefix=False)} and {format_p(cost['p_value'], prefix=False)})"
    )


# ---------------------------------------------------------------------------------------
# the chapter's numbers, one section at a time (``glue_numbers("syn_", ...)``)
# ---------------------------------------------------------------------------------------
#: The pooled estimate each outcome's estimand keys (:func:`innovate.study.estimands.pooled_keys`) name.
_POOLED_ESTIMATE = {"missing": "pooled_mi", "swemwbs": "pooled_mi_mixed", "risk": "pooled_mi_mixed"}

#: The chapter's value name of each role of :func:`innovate.study.estimands.pooled_keys`.
_ROLE_NAMES = {"pooled": "pooled", "low": "low", "high": "high", "tau": "tau", "i2": "i2_pct"}

#: Values of :meth:`PooledOutcome.numbers` glued as they are, at the outcome's digits.
_POOLED_VALUES = ("low", "high", "tau", "tau2", "tau2_low", "tau2_high", "i2_pct", "i2_low_pct", "i2_high_pct")


def pooled_numbers(pooled: Mapping[str, PooledOutcome], n_sites: int) -> Numbers:
    """The outcomes pooled across the sites: per outcome the pooled estimate, its interval,
    heterogeneity and prediction interval, p-values and readings in words; then how many
    outcomes' intervals exclude no difference, the prediction interval's degrees of freedom,
    the sites and the follow-up."""
    values: dict[str, object] = {"n_sites": n_sites, "follow_up": FOLLOW_UP_MONTHS}
    digits: dict[str, int] = {}
    estimands: dict[str, str] = {}
    for outcome, p in pooled.items():
        key = OUTCOME_KEYS[outcome]
        k, places = p.numbers(), p.digits()
        keys = pooled_keys(outcome, _POOLED_ESTIMATE[key])
        values[f"{key}_pooled"] = k["pooled"]
        digits[f"{key}_pooled"] = 2
        estimands |= {f"{key}_{_ROLE_NAMES[role]}": estimand for role, estimand in keys.items()}
        for name in _POOLED_VALUES:
            values[f"{key}_{name}"] = k[name]
            digits[f"{key}_{name}"] = places[name]
        for end in ("low", "high"):
            values[f"{key}_pi_{end}"] = k[f"pi_{end}"]
            digits[f"{key}_pi_{end}"] = 2
            estimands[f"{key}_pi_{end}"] = f"{COHORT_QUANTITIES[outcome][0]}.prediction_{end}"
        values |= {
            f"{key}_p": format_p(cast(float, k["p_value"])),
            f"{key}_q_p": format_p(cast(float, k["q_p_value"])),
            f"{key}_heterogeneity": heterogeneity_words(cast(float, k["i2_pct"])),
            f"{key}_reading": pooled_reading(p),
        }
    readings = pooled_readings(pooled)
    values |= {
        "n_outcomes": readings["outcomes"],
        "n_ci_excludes": readings["ci_excludes"],
        "n_pi_excludes": readings["pi_excludes"],
        "pi_df": pooled["missing_episodes"].meta.k - 2,
    }
    return Numbers(values, digits, estimands)


def cost_numbers(cost: CostSynthesis) -> Numbers:
    """Costs across the sites: how many sites' innovations cost less, averted more, dominate
    or have both intervals spanning no difference, the range of the probability of
    cost-effectiveness, the all-sites result of the costs chapter and a sentence reading them."""
    c, overall = cost.numbers(), cost.overall.numbers()
    values = {
        "costs_n_sites": c["n_sites"],
        "costs_cheaper": c["sites_cheaper"],
        "costs_more_effective": c["sites_more_effective"],
        "costs_dominant": c["sites_dominant"],
        "costs_both_span": c["sites_both_intervals_span"],
        "costs_p_ce_min": c["p_ce_site_min_pct"],
        "costs_p_ce_max": c["p_ce_site_max_pct"],
        "costs_dc_text": signed_money_text(overall["delta_cost"]),
        "costs_de": overall["delta_effect"],
        "costs_de_low": overall["delta_effect_low"],
        "costs_de_high": overall["delta_effect_high"],
        "costs_p_ce": c["p_cost_effective_pct"],
        "costs_wtp": costs.WTP_REFERENCE,
        "cost_reading": cost_reading(cost),
    }
    digits = {"costs_p_ce_min": 0, "costs_p_ce_max": 0, "costs_de": 2, "costs_de_low": 2, "costs_de_high": 2}
    digits |= {"costs_p_ce": 0, "costs_wtp": 0}
    keys = with_interval("costs_de", "costs.missing_averted_18m.discounted")
    keys |= {"costs_p_ce": "costs.p_cost_effective_pct", "costs_cheaper": "costs.sites_cheaper"}
    keys["costs_more_effective"] = "costs.sites_more_effective"
    return Numbers(values, digits, keys)


def trajectory_numbers(
    primary: pd.DataFrame, grew: pd.DataFrame, codes: Mapping, names: Sequence[str], grew_names: Sequence[str]
) -> Numbers:
    """The comparison of trajectories in sentences: the code whose facilitator share differs
    most between the groups (``codes``: :func:`innovate.study.synthesis.trajectory_codes`),
    how the sites divide under the primary grouping and the sensitivity one (``primary``,
    ``grew``: :func:`innovate.study.synthesis.compare_trajectories`) and the outcomes by group."""
    if codes["comparable"]:
        table = codes["table"].dropna(subset=["share_difference"])
        top = table.reindex(table["share_difference"].abs().sort_values(ascending=False, kind="stable").index)
        top_code = (
            "the code whose facilitator share differs most between the two groups is "
            f"{process.code_labels()[top['code'].iloc[0]].lower()}"
        )
    else:
        top_code = "no code can be compared, because the sites do not fall into two groups"
    return Numbers(
        {
            "traj_top_code": top_code,
            "traj_reading": trajectory_reading(primary, names),
            "traj_grew_reading": trajectory_reading(grew, grew_names),
            "traj_outcomes": trajectory_outcomes_reading(primary, names),
        }
    )
