"""Tables and figures for a Scottish council against Scotland's councils (real statistics)."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from innovate.show import figures
from innovate.study.scotland_area import ScotlandProfile


def summary_table(p: ScotlandProfile) -> pd.DataFrame:
    """The council, the median and range of the 32 councils, and Scotland, on each measure."""
    v = p.numbers()
    rows = []
    for key, label, year in (
        ("register", "Children on the child protection register per 1,000 aged 0-15", "31 July 2021"),
        ("looked_after", "Looked-after children per 1,000 aged 0-17", "31 July 2021"),
    ):
        rows.append(
            {
                "Measure": label,
                "When": year,
                p.name: f"{v[f'{key}_area']:.1f}",
                "Councils (median)": f"{v[f'{key}_median']:.1f}",
                "Councils (range)": f"{v[f'{key}_min']:.1f} to {v[f'{key}_max']:.1f}",
                "Scotland": f"{v[f'{key}_scotland']:.1f}",
                "Rank (1 = highest)": f"{v[f'{key}_rank']} of {v[f'{key}_ranked']}",
            }
        )
    b = p.benchmarking
    for code in ("CHN9", "CHN22", "CHN23"):
        last = b[(b["code"] == code) & b["council"].notna()].iloc[-1]
        rows.append(
            {
                "Measure": f"{last['label']} (LGBF {code})",
                "When": last["year"],
                p.name: f"{last['council']:.1f}",
                "Councils (median)": f"{last['council_median']:.1f}",
                "Councils (range)": f"{last['council_min']:.1f} to {last['council_max']:.1f}",
                "Scotland": "" if pd.isna(last["scotland"]) else f"{last['scotland']:.1f}",
                "Rank (1 = highest)": "",
            }
        )
    pop = p.population.iloc[[0, -1]]
    rows.append(
        {
            "Measure": "Children aged 0-17 (NRS mid-year estimate)",
            "When": f"{int(pop['year'].iloc[0])} and {int(pop['year'].iloc[1])}",
            p.name: f"{int(pop['council'].iloc[0]):,} and {int(pop['council'].iloc[1]):,}",
            "Councils (median)": "",
            "Councils (range)": "",
            "Scotland": f"{int(pop['scotland'].iloc[0]):,} and {int(pop['scotland'].iloc[1]):,}",
            "Rank (1 = highest)": "",
        }
    )
    return pd.DataFrame(rows)


def not_published_table(p: ScotlandProfile) -> pd.DataFrame:
    return pd.DataFrame(
        p.not_published, columns=["Not published by council (in any file the book found)", "Where to look"]
    )


def councils_figure(p: ScotlandProfile):
    """Two panels of horizontal bars, one bar per council, the council highlighted and
    Scotland's rate as a dashed line. Tall enough for 32 council names at 8 points, which
    stay legible on a phone (the narrow layout keeps each panel this tall)."""
    fig, axes = figures.new_figure(width="wide", aspect=0.95, ncols=2, layout="constrained")
    colours = figures.PALETTE
    for ax, (comp, scot, title) in zip(
        axes,
        (
            (p.register, p.values["register_scotland"], "Child protection register\nper 1,000 aged 0-15"),
            (p.looked_after, p.values["looked_after_scotland"], "Looked-after children\nper 1,000 aged 0-17"),
        ),
    ):
        c = comp.councils.dropna(subset=["value"]).iloc[::-1]
        y = np.arange(len(c))
        ax.barh(
            y,
            c["value"],
            color=[colours["vermillion"] if own else colours["sky_blue"] for own in c["is_council"]],
            hatch=None,
        )
        ax.axvline(scot, color="black", linestyle="--", linewidth=1, label="Scotland")
        ax.set_yticks(y)
        ax.set_yticklabels(c["council_name"], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("31 July 2021", fontsize=9)
        ax.legend(fontsize=8, loc="lower right")
    return fig


def benchmarking_figure(p: ScotlandProfile):
    """One panel per LGBF indicator: the council, the median and range of councils, Scotland."""
    b = p.benchmarking
    codes = ["CHN9", "CHN22", "CHN23"]
    fig, axes = figures.new_figure(width="wide", aspect=0.35, ncols=3, layout="constrained")
    c = figures.PALETTE
    for ax, code in zip(axes, codes):
        s = b[b["code"] == code].dropna(subset=["council_median"])
        x = np.arange(len(s))
        ax.fill_between(
            x, s["council_min"], s["council_max"], color=c["sky_blue"], alpha=0.25, linewidth=0, label="Councils: range"
        )
        ax.plot(
            x, s["council_median"], color=c["blue"], linestyle=":", marker=figures.MARKERS[2], label="Councils: median"
        )
        ax.plot(x, s["scotland"], color=c["black"], linestyle="--", marker=figures.MARKERS[1], label="Scotland")
        ax.plot(x, s["council"], color=c["vermillion"], linewidth=2, marker=figures.MARKERS[0], label=p.name)
        ax.set_xticks(x[::3])
        ax.set_xticklabels(s["year"].iloc[::3], fontsize=8)
        ax.set_title(textwrap.fill(f"{code}: {s['label'].iloc[0]}", 34), fontsize=8)
        ax.set_ylabel("Per cent", fontsize=8)
        ax.set_xlabel("LGBF year", fontsize=8)
    axes[0].legend(fontsize=8, loc="lower left")
    return fig


def captions(p: ScotlandProfile) -> dict[str, str]:
    return {
        "summary": f"{p.name} against Scotland's councils and Scotland (real public statistics: Scottish Government "
        "via ScotPHO, NRS, Improvement Service LGBF).",
        "not_published": "Series Scotland does not publish by council in any file the book found, and where a "
        "reader would look.",
    }


def councils_alt(p: ScotlandProfile) -> str:
    v = p.numbers()
    return (
        f"Two horizontal bar charts, one bar per Scottish council, of children on the child protection register per "
        f"1,000 aged 0-15 and looked-after children per 1,000 aged 0-17 at 31 July 2021, with {p.name} highlighted "
        f"and Scotland's rate as a dashed line. {p.name} is {v['register_vs_median']} the council median on the "
        f"register and {v['looked_after_vs_median']} it on looked-after children."
    )


def benchmarking_alt(p: ScotlandProfile) -> str:
    return (
        f"Three line charts by LGBF year, 2010-11 to 2019-20, for {p.name}, the median and range of Scotland's "
        "councils and Scotland: the percentage of looked-after children cared for in the community, child "
        "protection re-registrations within 18 months, and looked-after children with more than one placement "
        "in the year."
    )
