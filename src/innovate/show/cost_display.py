"""Display tables and figures for costs and value for money; every money figure names its price year."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from innovate.econ.cea import DISCOUNT_RANGE, PARAMETERS
from innovate.econ.costing import FOLLOW_UP_MONTHS, START_UP_LIFE_YEARS, WEEKS_PER_YEAR
from innovate.econ.prices import GREEN_BOOK_SCHEDULE, PRICE_YEAR, deflator_ratio, fy_start
from innovate.econ.unit_costs import ENGLAND_CODE, ROLE_RATIOS, S251_INDICATORS, STAFF_ROLES, UNIT_COST_AREAS
from innovate.show import figures
from innovate.show.glue import Numbers
from innovate.show.text import of_total
from innovate.stats import disclosure
from innovate.stats.bootstrap import CI_LEVEL
from innovate.study.costs import (
    BOOTSTRAP_REPS,
    COMPONENT_GROUPS,
    DISCLOSURE_THRESHOLD,
    EFFECT_TOLERANCE,
    WTP_GRID,
    WTP_REFERENCE,
    CeaResult,
    SiteCostSummary,
    nao_residential_multiplier,
)
from innovate.study.estimands import with_interval

# ---------------------------------------------------------------------------------------
# Display helpers (tables)
# ---------------------------------------------------------------------------------------


def money(value: float, decimals: int = 0) -> str:
    """'£12,345' (or '-£1,234'); NaN shows as 'not estimable'."""
    if value is None or not np.isfinite(value):
        return "not estimable"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.{decimals}f}"


def interval_text(low: float, high: float, fmt: Callable[[float], str]) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "not estimable"
    return f"{fmt(low)} to {fmt(high)}"


def consequences_display(table: pd.DataFrame) -> pd.DataFrame:
    """The cost-consequence table as text, every money figure marked with its price year."""
    rows = []
    for _, r in table.iterrows():
        is_money = r["unit"].startswith("GBP")
        is_prop = r["unit"] == "proportion"
        fmt: Callable[..., str]
        if is_money:
            fmt = money
        elif is_prop:
            fmt = lambda v: f"{v:.2f}"  # noqa: E731
        else:
            fmt = lambda v: f"{v:,.2f}"  # noqa: E731
        rows.append(
            {
                "Measure": r["measure"],
                "Unit": r["unit"],
                "Innovation arm": fmt(r["innovation"]),
                "Comparison arm": fmt(r["comparison"]),
                "Difference": fmt(r["difference"]),
                "95% interval (BCa)": interval_text(r["bca_low"], r["bca_high"], fmt),
                "What the interval shows": r["direction"],
            }
        )
    return pd.DataFrame(rows)


def cost_table_display(table: pd.DataFrame, site_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Cost per young person by site and arm, as text, with the count of young people
    protected by ``innovate.stats.disclosure.protect_table``."""
    counts = table[["site_id", "arm", "n"]].copy()
    counts["site_id"] = counts["site_id"].map(lambda s: (site_labels or {}).get(s, s))
    protected = disclosure.protect_table(
        counts.rename(columns={"n": "Young people"}), count_columns=["Young people"], threshold=DISCLOSURE_THRESHOLD
    )
    out = pd.DataFrame(
        {
            "Site": protected["site_id"].to_numpy(),
            "Arm": protected["arm"].to_numpy(),
            "Young people": protected["Young people"].to_numpy(),
        }
    )
    for label in COMPONENT_GROUPS.values():
        out[label] = table[label].map(money).to_numpy()
    out["Total"] = table["Total"].map(money).to_numpy()
    out["95% interval (BCa)"] = [interval_text(lo, hi, money) for lo, hi in zip(table["ci_low"], table["ci_high"])]
    out.attrs["disclosure"] = protected.attrs.get("disclosure")
    return out


# ---------------------------------------------------------------------------------------
# Figures (house style from innovate.show.figures; colour never the only cue)
# ---------------------------------------------------------------------------------------

_HATCHES = ("", "//", "..", "xx", "\\\\", "++")


def _gbp_axis(decimals: int = 0, thousands: bool = True):
    """Axis tick formatter: '-£2.5k' / '£40k' / '£1,234' (sign before the pound sign)."""

    def fmt(v, _pos=None):
        sign = "-" if v < 0 else ""
        if thousands:
            return f"{sign}£{abs(v) / 1000:,.{decimals}f}k"
        return f"{sign}£{abs(v):,.{decimals}f}"

    return fmt


ITEM_LABELS = {
    "residential_care": "Residential care",
    "fostering": "Fostering",
    "looked_after_all": "All looked-after children",
}


def plot_unit_cost_trends(
    table: pd.DataFrame, items: Sequence[str] = ("residential_care", "fostering"), areas: Sequence[str] | None = None
):
    """Section 251 weekly unit costs by area and year at ``PRICE_YEAR`` prices (real data)."""
    areas = list(areas or UNIT_COST_AREAS)
    fig, axes = figures.new_figure("wide", aspect=0.42, ncols=len(items), sharex=True)
    axes = np.atleast_1d(axes)
    colours = figures.colours(len(areas))
    for ax, item in zip(axes, items):
        part = table[(table["item"] == item) & table["area_code"].isin(areas)]
        for i, code in enumerate(areas):
            series = part[part["area_code"] == code].sort_values("financial_year")
            ax.plot(
                series["financial_year"],
                series["amount_gbp_price_year"],
                marker=figures.MARKERS[i % 8],
                color=colours[i],
                linestyle=("-", "--", ":", "-.")[i % 4],
                label=UNIT_COST_AREAS[code][1],
            )
        ax.set_title(ITEM_LABELS.get(item, item))
        ax.set_ylabel(f"GBP per child per week ({PRICE_YEAR} prices)")
        ax.tick_params(axis="x", rotation=45)
        ax.yaxis.set_major_formatter(_gbp_axis(thousands=False))
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def plot_cost_components(table: pd.DataFrame, site_labels: Mapping[str, str] | None = None):
    """Mean cost per young person by site and arm, stacked by component (hatched)."""
    labels = list(COMPONENT_GROUPS.values())
    rows = table.iloc[::-1].reset_index(drop=True)
    names = [f"{(site_labels or {}).get(s, s)} - {a}" for s, a in zip(rows["site_id"], rows["arm"])]
    fig, ax = figures.new_figure("wide", aspect=0.6, layout="constrained")
    left = np.zeros(len(rows))
    colours = figures.colours(len(labels))
    for i, label in enumerate(labels):
        values = rows[label].to_numpy(dtype=float)
        ax.barh(names, values, left=left, color=colours[i], hatch=_HATCHES[i], edgecolor="white", label=label)
        left += values
    ax.errorbar(
        rows["Total"],
        names,
        xerr=[rows["Total"] - rows["ci_low"], rows["ci_high"] - rows["Total"]],
        fmt="none",
        ecolor="black",
        capsize=3,
        label="95% interval of the total",
    )
    ax.set_xlabel(f"Mean cost per young person (GBP, {PRICE_YEAR} prices, discounted)")
    ax.xaxis.set_major_formatter(_gbp_axis())
    handles, texts = ax.get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside upper center", ncol=3, fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))  # room for the footer of a watermark
    return fig


def plot_ce_plane(results: Mapping[str, CeaResult], wtp: float = WTP_REFERENCE, max_points: int = 2000):
    """Bootstrap replicates of incremental effect (x) and cost (y), one panel per result."""
    n = len(results)
    ncols = min(n, 3)
    nrows = int(math.ceil(n / ncols))
    fig, axes = figures.new_figure(
        "wide" if n > 1 else "text",
        aspect=0.62 * nrows / max(ncols, 1) * (1.6 if n > 1 else 1),
        nrows=nrows,
        ncols=ncols,
        squeeze=False,
        layout="constrained",
    )
    colours = figures.colours(2)
    for ax, (label, res) in zip(axes.ravel(), results.items()):
        rep = res.replicates[:max_points]
        ax.scatter(rep[:, 1], rep[:, 0], s=4, alpha=0.25, color=colours[0], marker="o", label="bootstrap replicates")
        ax.scatter(
            [res.delta_effect],
            [res.delta_cost],
            s=60,
            color=colours[1],
            marker="D",
            edgecolor="black",
            zorder=5,
            label="estimate",
        )
        ax.axhline(0, color="black", linewidth=0.8)
        ax.axvline(0, color="black", linewidth=0.8)
        xmax = np.nanmax(np.abs(rep[:, 1])) * 1.05
        xs = np.linspace(-xmax, xmax, 2)
        ax.plot(xs, wtp * xs, linestyle="--", color="black", linewidth=1, label=f"£{wtp:,.0f} per episode averted")
        ax.set_title(label)
        if n == 1:
            ax.set_xlabel("Missing episodes averted per young person")
            ax.set_ylabel(f"Incremental cost (GBP, {PRICE_YEAR} prices)")
        ax.yaxis.set_major_formatter(_gbp_axis(thousands=n > 1))
        ymax = np.nanmax(np.abs(rep[:, 0])) * 1.05
        ax.set_ylim(-ymax, ymax)
        ax.set_xlim(-xmax, xmax)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    if n > 1:
        fig.supxlabel("Missing episodes averted per young person (innovation minus comparison)", fontsize=10)
        fig.supylabel(f"Incremental cost per young person (GBP, {PRICE_YEAR} prices)", fontsize=10)
    handles, texts = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside upper center", ncol=3, fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))  # room for the footer of a watermark
    return fig


def plot_ceac(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], wtp_reference: float | None = WTP_REFERENCE):
    """Acceptability curves: probability the innovation is cost-effective by willingness to pay."""
    fig, ax = figures.new_figure("text", aspect=0.6)
    colours = figures.colours(len(curves))
    styles = ("-", "--", ":", "-.")
    for i, (label, (x, y)) in enumerate(curves.items()):
        every = max(1, len(x) // 10)
        ax.plot(
            x, y, color=colours[i], linestyle=styles[i % 4], marker=figures.MARKERS[i % 8], markevery=every, label=label
        )
    if wtp_reference is not None:
        ax.axvline(wtp_reference, color="grey", linewidth=0.8, linestyle=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"Willingness to pay per missing episode averted (GBP, {PRICE_YEAR} prices)")
    ax.set_ylabel("Probability cost-effective")
    ax.xaxis.set_major_formatter(_gbp_axis(thousands=False))
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_tornado(tornado: pd.DataFrame, wtp: float = WTP_REFERENCE):
    """One-way sensitivity: net benefit at ``wtp`` as each input moves (widest at the top)."""
    t = tornado.iloc[::-1].reset_index(drop=True)
    base = float(t["base_inb"].iloc[0])
    fig, ax = figures.new_figure("wide", aspect=0.5)
    colours = figures.colours(3)
    y = np.arange(len(t))
    scenario = (t["low_value"] == t["high_value"]).to_numpy()
    ax.barh(
        y[~scenario],
        (t["inb_low"] - base)[~scenario],
        left=base,
        color=colours[0],
        hatch="//",
        edgecolor="white",
        label="input at its low value",
    )
    ax.barh(
        y[~scenario],
        (t["inb_high"] - base)[~scenario],
        left=base,
        color=colours[1],
        hatch="..",
        edgecolor="white",
        label="input at its high value",
        alpha=0.85,
    )
    if scenario.any():
        ax.barh(
            y[scenario],
            (t["inb_high"] - base)[scenario],
            left=base,
            color=colours[2],
            hatch="xx",
            edgecolor="white",
            label="alternative source (one value)",
        )
    ax.axvline(base, color="black", linewidth=1, label="base case")
    ax.set_yticks(y, t["label"])
    ax.set_xlabel(
        f"Incremental net benefit per young person at £{wtp:,.0f} per episode averted (GBP, {PRICE_YEAR} prices)"
    )
    ax.xaxis.set_major_formatter(_gbp_axis(decimals=1))
    ax.legend(fontsize=8, loc="lower right")
    return fig


# ---------------------------------------------------------------------------------------
# Display helpers for the chapters (text tables; every money figure names its price year)
# ---------------------------------------------------------------------------------------


def signed_money_text(value: float, more: str = "more", less: str = "less") -> str:
    """'£1,234 more' / '£1,234 less' (the sign carried by the words, not by a minus)."""
    return f"{money(abs(value))} {more if value >= 0 else less}"


def unit_cost_display(table: pd.DataFrame, year: str | None = None) -> pd.DataFrame:
    """The unit costs a chapter shows: staff time, the NAO figure, and the Section 251 rates of
    each area in ``year`` (default: the latest published), each with source and price years."""
    s251 = table[table["item"].isin([i for i, _ in S251_INDICATORS.values()])]
    year = year or max(s251["financial_year"], key=fy_start)
    rows = pd.concat(
        [
            table[table["item"].str.startswith("staff_")],
            table[table["item"] == "childrens_home_place"],
            s251[s251["financial_year"] == year]
            .assign(_o=lambda f: f["area_code"].map({c: i for i, c in enumerate(UNIT_COST_AREAS)}))
            .sort_values(["item", "_o"], ascending=[False, True])
            .drop(columns="_o"),
        ]
    )
    hourly = rows["unit"].str.contains("hour").to_numpy()
    names = {
        **{f"staff_contact_hour:{r}": f"{r.replace('_', ' ').capitalize()}, per contact hour" for r in STAFF_ROLES},
        "staff_hour:social_worker": "Social worker, per hour of working time",
        "childrens_home_place": "Children's home place (NAO)",
        **{i: f"{ITEM_LABELS[i]} (Section 251)" for i in ITEM_LABELS},
    }
    return pd.DataFrame(
        {
            "Unit cost": rows["item"].map(names).to_numpy(),
            "Area": rows["area_name"].to_numpy(),
            "Unit": rows["unit"].to_numpy(),
            "Amount as published": [money(v, 2 if h else 0) for v, h in zip(rows["amount_gbp"], hourly)],
            "Price year": rows["price_year"].to_numpy(),
            f"At {PRICE_YEAR} prices": [money(v, 2 if h else 0) for v, h in zip(rows["amount_gbp_price_year"], hourly)],
            "Assumption": np.where(rows["is_assumption"].to_numpy() == 1, "yes (stated ratio)", "no"),
        }
    )


def intervals_display(intervals: pd.DataFrame) -> pd.DataFrame:
    """Incremental cost, effect and net benefit with percentile and BCa intervals, as text."""
    rows = []
    for _, r in intervals.iterrows():
        fmt = (lambda v: f"{v:,.2f}") if "effect (" in r["measure"] else money
        rows.append(
            {
                "Measure": r["measure"],
                "Estimate": fmt(r["estimate"]),
                "95% interval (percentile)": interval_text(r["percentile_low"], r["percentile_high"], fmt),
                "95% interval (BCa)": interval_text(r["bca_low"], r["bca_high"], fmt),
            }
        )
    return pd.DataFrame(rows)


def parameter_table() -> pd.DataFrame:
    """The inputs varied in the sensitivity analyses: one-way range and PSA distribution."""
    rows = [
        {"Input": p.label, "One-way range": p.range_reason, "Probabilistic distribution": p.psa_reason}
        for p in PARAMETERS.values()
    ]
    rows.append(
        {
            "Input": "Residential rate at the NAO (2025) average",
            "One-way range": "one alternative value (NAO children's home place cost per week)",
            "Probabilistic distribution": "-",
        }
    )
    rows.append(
        {
            "Input": "Discount rate",
            "One-way range": f"flat {DISCOUNT_RANGE[0]:.1%} to {DISCOUNT_RANGE[1]:.1%}",
            "Probabilistic distribution": "fixed at the Green Book schedule",
        }
    )
    rows.append(
        {
            "Input": "Incremental effect",
            "One-way range": "its 95% bootstrap interval (BCa)",
            "Probabilistic distribution": "the bootstrap replicate paired with each draw",
        }
    )
    return pd.DataFrame(rows)


def tornado_display(tornado: pd.DataFrame) -> pd.DataFrame:
    def value(v, name):
        if name == "discount_rate":
            return f"{v:.1%}"
        if name == "effect":
            return f"{v:.2f} episodes"
        return f"x {v:.2f}"

    return pd.DataFrame(
        {
            "Input": tornado["label"].to_numpy(),
            "Range": tornado["range"].to_numpy(),
            "Low value": [value(v, n) for v, n in zip(tornado["low_value"], tornado["parameter"])],
            "High value": [value(v, n) for v, n in zip(tornado["high_value"], tornado["parameter"])],
            "Net benefit at low": tornado["inb_low"].map(money).to_numpy(),
            "Net benefit at high": tornado["inb_high"].map(money).to_numpy(),
        }
    )


def consequences_by_site(
    summaries: Mapping[str, SiteCostSummary], labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Per-site cost-consequence differences (innovation minus comparison) with BCa 95% intervals,
    one column per site, one row per measure: costs beside every outcome."""
    columns = {}
    measures = None
    for site_id, summary in summaries.items():
        table = summary.consequences
        measures = table["measure"].tolist() if measures is None else measures
        cells = []
        for _, r in table.iterrows():
            fmt = money if r["unit"].startswith("GBP") else (lambda v: f"{v:,.2f}")
            cells.append(f"{fmt(r['difference'])} ({interval_text(r['bca_low'], r['bca_high'], fmt)})")
        columns[(labels or {}).get(site_id, site_id)] = cells
    return pd.DataFrame({"Measure (innovation minus comparison)": measures, **columns})


#: Short names of the four quadrants of the cost-effectiveness plane (no verdict: a
#: quadrant is where a replicate falls, not what the innovation is).
QUADRANT_SHORT = {
    "north_east": "more effective, costlier",
    "south_east": "more effective, cheaper",
    "south_west": "less effective, cheaper",
    "north_west": "less effective, costlier",
}


def quadrant_shares_text(shares: Mapping[str, float]) -> str:
    """The bootstrap probability of each quadrant, in words: 'more effective, costlier 45%; ...'.

    Reported instead of the point estimate's quadrant, whose label ("dominant") reads as
    a verdict even when the interval spans zero."""
    return "; ".join(f"{QUADRANT_SHORT[q]} {100 * shares.get(q, 0.0):.0f}%" for q in QUADRANT_SHORT)


def interval_verdict(cost_interval: tuple[float, float], effect_interval: tuple[float, float]) -> str:
    """Which of the two 95% intervals (incremental cost, incremental effect) include no
    difference, as the opening of a sentence about the cost-effectiveness plane."""
    spans = [low <= 0 <= high for low, high in (cost_interval, effect_interval)]
    if all(spans):
        return "Both intervals include no difference"
    if any(spans):
        return "The interval of the " + ("cost" if spans[0] else "effect") + " includes no difference"
    return "Neither interval includes no difference"


def site_summary_table(
    summaries: Mapping[str, SiteCostSummary], labels: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per site: incremental cost and effect with intervals, the bootstrap share of
    replicates in each quadrant, the ICER where meaningful, net benefit and the probability
    of cost-effectiveness at the reference willingness to pay."""
    rows = []
    for site_id, s in summaries.items():
        k = s.numbers()
        rows.append(
            {
                "Site": (labels or {}).get(site_id, site_id),
                "Young people analysed": k["n_innovation"] + k["n_comparison"],
                "Incremental cost": f"{money(k['delta_cost'])} ({interval_text(k['delta_cost_low'], k['delta_cost_high'], money)})",
                "Episodes averted": f"{k['delta_effect']:.2f} ({interval_text(k['delta_effect_low'], k['delta_effect_high'], lambda v: f'{v:.2f}')})",
                "Bootstrap replicates by quadrant": quadrant_shares_text(s.result.quadrant_shares()),
                "ICER (GBP per episode averted)": money(s.icer.value) if s.icer.reported else "not reported",
                f"Net benefit at {money(s.wtp)}": money(k["inb"]),
                "P(cost-effective)": f"{k['p_cost_effective']:.2f}",
            }
        )
    out = pd.DataFrame(rows)
    protected = disclosure.protect_table(
        out[["Site", "Young people analysed"]], count_columns=["Young people analysed"], threshold=DISCLOSURE_THRESHOLD
    )
    out["Young people analysed"] = protected["Young people analysed"].to_numpy()
    out.attrs["disclosure"] = protected.attrs.get("disclosure")
    return out


# ---------------------------------------------------------------------------------------
# The costs chapter's numbers, one section at a time (glued with ``glue_numbers("costs_", ...)``)
# ---------------------------------------------------------------------------------------


def _row(table: pd.DataFrame, item: str) -> pd.Series:
    rows = table[table["item"] == item]
    if rows.empty:
        raise KeyError(f"unit-cost table: no row with item {item!r} (column 'item')")
    return rows.iloc[0]


def unit_cost_numbers(table: pd.DataFrame) -> Numbers:
    """The unit-cost section: the social-worker hour, the NAO place, Section 251 residential
    care in England from its first to its latest year, the stated role ratios, the Green
    Book discount schedule and the follow-up."""
    sw, sw_time, nao = (
        _row(table, i) for i in ("staff_contact_hour:social_worker", "staff_hour:social_worker", "childrens_home_place")
    )
    res = table[(table["item"] == "residential_care") & (table["area_code"] == ENGLAND_CODE)]
    if res.empty:
        raise KeyError(f"unit-cost table: no residential_care row for England ({ENGLAND_CODE}, column 'area_code')")
    res = res.set_index("financial_year")["amount_gbp_price_year"]
    first_fy, last_fy = min(res.index, key=fy_start), max(res.index, key=fy_start)
    (rate_bound, rate_1), (_, rate_2) = GREEN_BOOK_SCHEDULE
    values = {
        "sw_client_cash": sw["amount_gbp"],
        "sw_client_real": sw["amount_gbp_price_year"],
        "sw_time_cash": sw_time["amount_gbp"],
        "uprating_factor": deflator_ratio([sw["price_year"]])[0],
        "sw_price_year": sw["price_year"],
        "nao_cash": nao["amount_gbp"],
        "nao_weekly_real": nao["amount_gbp_price_year"] / WEEKS_PER_YEAR,
        "nao_ratio_pct": 100 * nao_residential_multiplier(table),
        "res_first_fy": first_fy,
        "res_last_fy": last_fy,
        "res_england_first": res[first_fy],
        "res_england_last": res[last_fy],
        "res_england_growth_pct": 100 * (res[last_fy] / res[first_fy] - 1),
        "n_assumed_roles": int(table["is_assumption"].sum()),
        "ratio_youth": ROLE_RATIOS["youth_worker"],
        "ratio_manager": ROLE_RATIOS["team_manager"],
        "rate_1_pct": 100 * rate_1,
        "rate_2_pct": 100 * rate_2,
        "rate_bound": int(rate_bound),
        "rate_next": int(rate_bound) + 1,
        "rate_first": 0,
        "follow_up": FOLLOW_UP_MONTHS,
        "level_pct": round(100 * CI_LEVEL),
    }
    digits = dict.fromkeys(("sw_client_cash", "sw_time_cash", "nao_cash", "nao_weekly_real", "nao_ratio_pct"), 0)
    digits |= dict.fromkeys(("res_england_first", "res_england_last", "res_england_growth_pct"), 0)
    digits |= {"sw_client_real": 2, "uprating_factor": 3, "ratio_youth": 2, "ratio_manager": 2}
    digits |= {"rate_1_pct": 1, "rate_2_pct": 1}
    return Numbers(values, digits)


def method_numbers(prep) -> Numbers:
    """The methods section: annuitisation life, complete cases, replicates, the effect
    tolerance and the willingness-to-pay reference and range (``prep``: ``costs.prepared()``)."""
    values = {
        "start_up_life": START_UP_LIFE_YEARS,
        "complete_pct": 100 * prep.frame["complete"].mean(),
        "reps": BOOTSTRAP_REPS,
        "effect_tolerance": EFFECT_TOLERANCE,
        "wtp_ref": WTP_REFERENCE,
        "wtp_max": float(WTP_GRID.max()),
    }
    digits = {"start_up_life": 0, "complete_pct": 0, "effect_tolerance": 2, "wtp_ref": 0, "wtp_max": 0}
    return Numbers(values, digits)


def spending_numbers(summary: SiteCostSummary, people: pd.DataFrame, sites: Sequence[str]) -> Numbers:
    """Cost per young person: each arm's mean, the placements' share of all spending, the
    range of the innovation's own cost per person, and the sites where more of the innovation
    arm was looked after (``people``: one row per young person, columns site_id, arm, looked_after)."""
    k = summary.numbers()
    per_person = summary.cost_per_young_person
    weight = per_person["n"]
    innov = per_person[per_person["arm"] == "innovation"]
    own = innov["Innovation running costs"] + innov["Innovation start-up (annuitised)"]
    lac = people.groupby(["site_id", "arm"])["looked_after"].mean().unstack()
    more_lac = int((lac["innovation"] > lac["comparison"]).sum())
    values = {
        "all_cost_innovation": k["cost_innovation"],
        "all_cost_comparison": k["cost_comparison"],
        "placement_share_pct": 100 * (per_person["Placements"] * weight).sum() / (per_person["Total"] * weight).sum(),
        "own_min": float(own.min()),
        "own_max": float(own.max()),
        "sites_more_lac": more_lac,
        "sites_n": len(sites),
        "sites_more_lac_text": of_total(more_lac, len(sites), "site"),  # 'all 6 sites'
    }
    digits = dict.fromkeys(
        ("all_cost_innovation", "all_cost_comparison", "placement_share_pct", "own_min", "own_max"), 0
    )
    return Numbers(values, digits)


def consequence_numbers(summary: SiteCostSummary) -> Numbers:
    """The cost-consequence section: the difference in cost in words, each outcome's
    difference and how many outcomes' intervals exclude no difference."""
    cons = summary.consequences
    n_clear = int((cons["direction"] != "no clear difference").iloc[1:].sum())
    by_outcome = cons.set_index("outcome")["difference"]
    values = {
        "cca_delta_cost_text": signed_money_text(cons.loc[0, "difference"]),
        "cca_missing_diff": by_outcome["missing_episodes_18m"],
        "cca_swem_diff": by_outcome["swemwbs_18"],
        "cca_risk_diff": by_outcome["exploitation_risk_18"],
        "cca_n_clear": n_clear,
        "cca_n_outcomes": len(cons) - 1,
        "cca_clear_text": of_total(n_clear, len(cons) - 1, "outcome"),
    }
    estimands = {
        "cca_missing_diff": "costs.missing_18m.undiscounted",
        "cca_swem_diff": "costs.swemwbs_at_18m.weighted_followed_up",
        "cca_risk_diff": "costs.risk_at_18m.weighted_followed_up",
    }
    return Numbers(values, dict.fromkeys(estimands, 2), estimands)


def value_numbers(summary: SiteCostSummary) -> Numbers:
    """Cost-effectiveness: incremental cost and effect with intervals, the plane's verdict,
    the ICER where it has a meaning, net benefit, the probabilities and the quadrant shares."""
    k, ic = summary.numbers(), summary.icer
    shares = summary.result.quadrant_shares()
    no_ratio = "not reported (no single ratio has a meaning where the point estimate lies)"
    values = {
        "dc_text": signed_money_text(k["delta_cost"]),
        "dc_interval_text": interval_text(k["delta_cost_low"], k["delta_cost_high"], money),
        "de": k["delta_effect"],
        "de_low": k["delta_effect_low"],
        "de_high": k["delta_effect_high"],
        "plane_sentence": interval_verdict(
            (k["delta_cost_low"], k["delta_cost_high"]), (k["delta_effect_low"], k["delta_effect_high"])
        ),
        "icer_text": f"£{ic.value:,.0f} per missing episode averted" if ic.reported else no_ratio,
        "inb_text": money(k["inb"]),
        "inb_interval_text": interval_text(k["inb_low"], k["inb_high"], money),
        "p_ce_pct": 100 * k["p_cost_effective"],
        "p_saving_pct": 100 * k["p_cost_saving"],
        **{f"share_{q}_pct": 100 * shares[quadrant] for q, quadrant in _QUADRANT_KEYS.items()},
    }
    digits = {"de": 2, "de_low": 2, "de_high": 2, "p_ce_pct": 0, "p_saving_pct": 0}
    digits |= {f"share_{q}_pct": 0 for q in _QUADRANT_KEYS}
    keys = with_interval("de", "costs.missing_averted_18m.discounted")
    return Numbers(values, digits, keys | {"p_ce_pct": "costs.p_cost_effective_pct"})


_QUADRANT_KEYS = {"ne": "north_east", "se": "south_east", "sw": "south_west", "nw": "north_west"}


def sensitivity_numbers(summary: SiteCostSummary) -> Numbers:
    """One-way and probabilistic sensitivity: the two widest inputs, the discount rate's
    width and the probability of cost-effectiveness under the probabilistic analysis."""
    tornado = summary.tornado
    if len(tornado) < 2 or "discount_rate" not in set(tornado["parameter"]):
        raise ValueError("tornado table: needs two inputs or more, one of them 'discount_rate' (column 'parameter')")
    values = {
        "tornado_top": tornado.loc[0, "label"].lower(),
        "tornado_top_width": tornado.loc[0, "width"],
        "tornado_second": tornado.loc[1, "label"].lower(),
        "tornado_second_width": tornado.loc[1, "width"],
        "tornado_discount_width": tornado.set_index("parameter").loc["discount_rate", "width"],
        "p_ce_psa_pct": 100 * summary.numbers()["p_cost_effective_psa"],
    }
    return Numbers(
        values,
        dict.fromkeys(("tornado_top_width", "tornado_second_width", "tornado_discount_width", "p_ce_psa_pct"), 0),
    )


def site_count_numbers(summaries: Mapping[str, SiteCostSummary]) -> Numbers:
    """How many sites' innovation arm cost less, averted more episodes, and had an interval
    of the incremental cost spanning zero; each also as 'k of the n sites'."""
    n = len(summaries)
    counts = {
        "cheaper": sum(bool(s.result.delta_cost < 0) for s in summaries.values()),
        "more_effective": sum(bool(s.result.delta_effect > 0) for s in summaries.values()),
        "interval_zero": sum(
            bool(s.intervals.loc[0, "bca_low"] < 0 and s.intervals.loc[0, "bca_high"] > 0) for s in summaries.values()
        ),
    }
    values: dict[str, object] = {f"sites_{key}": count for key, count in counts.items()}
    values |= {f"sites_{key}_text": of_total(count, n, "site") for key, count in counts.items()}
    keys = {"sites_cheaper": "costs.sites_cheaper", "sites_more_effective": "costs.sites_more_effective"}
    return Numbers(values, estimands=keys)
