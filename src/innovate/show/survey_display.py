"""Display tables and figures for the experience and learning-network surveys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from innovate.data.sites import FRAMEWORK_LABELS
from innovate.show import figures
from innovate.show.text import format_p
from innovate.stats import disclosure
from innovate.stats.ordinal import OrdinalFit
from innovate.study.surveys import (
    AGREEMENT,
    AGREEMENT_LABELS,
    ENGAGEMENT,
    ENGAGEMENT_LABELS,
    ITEM_LABELS,
    ITEMS,
    ORGANISATION_TYPES,
    RESPONDENT_LABELS,
)


def plot_agreement(table: pd.DataFrame, group_labels: Mapping[str, str] | None = None, items: Sequence[str] = ITEMS):
    """Dot-and-interval plot: P(agree) for each item (rows), one marker shape per group."""
    group_labels = group_labels or {}
    groups = list(dict.fromkeys(table["group"]))
    fig, ax = figures.new_figure("wide", aspect=0.5, layout="constrained")
    n = len(groups)
    offsets = np.linspace(-0.3, 0.3, n) if n > 1 else [0.0]
    for k, g in enumerate(groups):
        part = table[table["group"] == g].set_index("item").reindex(list(items))
        y = np.arange(len(items)) + offsets[k]
        ax.errorbar(
            part["probability"] * 100,
            y,
            xerr=[(part["probability"] - part["lower"]) * 100, (part["upper"] - part["probability"]) * 100],
            fmt=figures.MARKERS[k % len(figures.MARKERS)],
            color=figures.CYCLE[k % len(figures.CYCLE)],
            label=group_labels.get(g, g),
            capsize=2,
            ms=5,
            lw=1,
        )
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels([ITEM_LABELS[i] for i in items])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Agree or strongly agree, % (standardised, 95% interval)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig


def plot_likert(survey: pd.DataFrame, items: Sequence[str] = ITEMS, by: str = "respondent_type"):
    """Stacked bars of the answers to each item, one bar per group; hatches mark the
    categories so colour is not the only cue. Shares of answered items (percent)."""
    groups = (
        [g for g in RESPONDENT_LABELS if g in set(survey[by])]
        if by == "respondent_type"
        else list(dict.fromkeys(survey[by]))
    )
    colours = [figures.PALETTE[c] for c in ("vermillion", "orange", "sky_blue", "bluish_green", "blue")]
    hatches = ["xx", "//", "", "\\\\", ".."]
    fig, ax = figures.new_figure("wide", aspect=0.55, layout="constrained")
    labels = []
    y: float = 0
    yticks = []
    for item in items:
        for g in groups:
            answers = survey.loc[survey[by] == g, item].dropna()
            shares = [(answers == c).mean() * 100 if len(answers) else 0 for c in AGREEMENT]
            left = 0.0
            for c, share in enumerate(shares):
                ax.barh(y, share, left=left, color=colours[c], hatch=hatches[c], edgecolor="white", height=0.8)
                left += share
            yticks.append(y)
            labels.append(f"{ITEM_LABELS[item]}: {RESPONDENT_LABELS.get(g, g)}")
            y += 1
        y += 0.6
    ax.set_yticks(yticks)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of answers, %")
    # Deferred with the rest of matplotlib: loaded when a figure is drawn.
    from matplotlib.patches import Patch

    ax.legend(
        handles=[
            Patch(facecolor=colours[c], hatch=hatches[c], edgecolor="white", label=AGREEMENT_LABELS[v])
            for c, v in enumerate(AGREEMENT)
        ],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=5,
        fontsize=8,
    )
    ax.grid(False)
    return fig


def plot_circles(protected: disclosure.ProtectedTable):
    """Circles of engagement: for each framework, nested circles whose areas are the
    organisations at that circle or closer in (embedded innermost). Labels carry the
    protected counts, so the picture never shows a small count."""
    # Deferred with the rest of matplotlib: loaded when a figure is drawn.
    from matplotlib.patches import Circle

    table = protected.table
    frameworks = [i for i in table.index if i != disclosure.TOTAL]
    # areas from true counts would reveal withheld cells; use the shown (protected) ones and
    # draw withheld circles at the size of the next circle in, dashed
    fig, axes = figures.new_figure("wide", aspect=0.42, ncols=len(frameworks), squeeze=False, layout="constrained")
    levels = [ENGAGEMENT_LABELS[e] for e in ENGAGEMENT]
    colours = [figures.PALETTE[c] for c in ("sky_blue", "yellow", "bluish_green", "blue")]
    shown_totals = [v for f in frameworks for v in [table.loc[f, disclosure.TOTAL]] if v != disclosure.SUPPRESSED]
    biggest = max(shown_totals) if shown_totals else 1
    for ax, fw in zip(axes[0], frameworks):
        ax.set_aspect("equal")
        ax.axis("off")
        cumulative = 0
        radii = []
        known = True
        for lvl in reversed(levels):  # embedded first (innermost)
            v = table.loc[fw, lvl]
            if v == disclosure.SUPPRESSED:
                known = False
            else:
                cumulative += v
            radii.append((lvl, cumulative, v, known))
        for k, (lvl, cum, v, ok) in reversed(list(enumerate(radii))):
            r = np.sqrt(max(cum, 0.5) / biggest)
            colour = colours[len(levels) - 1 - k]
            ax.add_patch(Circle((0, 0), r, facecolor=colour, edgecolor="black", lw=0.8, ls="-" if ok else "--"))
        inner = 0.0
        for k, (lvl, cum, v, ok) in enumerate(radii):
            r = np.sqrt(max(cum, 0.5) / biggest)
            y = 0.0 if k == 0 else (r + inner) / 2  # the middle of the ring
            ax.text(
                0,
                y,
                f"{lvl} {v}",
                ha="center",
                va="center",
                fontsize=7,
                bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75),
            )
            inner = r
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_title(fw, fontsize=9)
    return fig


def plot_framework_nation(pred: pd.DataFrame, ylabel: str):
    """Dots with intervals: the standardised probability for each framework (marker and
    colour) in each nation (x)."""
    fig, ax = figures.new_figure("wide", aspect=0.45, layout="constrained")
    nations = list(dict.fromkeys(pred["nation"]))
    fws = list(dict.fromkeys(pred["framework"]))
    offsets = np.linspace(-0.2, 0.2, len(fws)) if len(fws) > 1 else [0.0]
    for k, fw in enumerate(fws):
        part = pred[pred["framework"] == fw].set_index("nation").reindex(nations)
        x = np.arange(len(nations)) + offsets[k]
        ax.errorbar(
            x,
            part["probability"] * 100,
            yerr=[(part["probability"] - part["lower"]) * 100, (part["upper"] - part["probability"]) * 100],
            fmt=figures.MARKERS[k],
            color=figures.CYCLE[k],
            label=FRAMEWORK_LABELS.get(fw, fw),
            capsize=2,
            lw=1,
        )
    ax.set_xticks(range(len(nations)))
    ax.set_xticklabels(nations)
    ax.set_ylim(0, 100)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------
# Tables to show
# ---------------------------------------------------------------------------------------
def term_label(term: str, labels: Mapping[str, str] | None = None) -> str:
    """A readable name for a model term such as ``site_id[hackney]`` or ``item[listened_to]``."""
    labels = dict(labels or {})
    if "[" not in term:
        return labels.get(term, term.replace("_", " ").capitalize())
    column, level = term[:-1].split("[", 1)
    names = {
        "site_id": "Site",
        "framework": "Framework",
        "nation": "Nation",
        "organisation_type": "Organisation type",
        "respondent_type": "Respondent",
        "wave": "Wave",
        "item": "Item",
        "engagement": "Circle",
    }
    readable = {
        **{k: v for k, v in ITEM_LABELS.items()},
        **FRAMEWORK_LABELS,
        **RESPONDENT_LABELS,
        **ENGAGEMENT_LABELS,
        **{t: t.replace("_", " ").capitalize() for t in ORGANISATION_TYPES},
        **labels,
    }
    return f"{names.get(column, column)}: {readable.get(level, level)}"


def odds_ratio_display(
    fit: OrdinalFit, labels: Mapping[str, str] | None = None, terms: Sequence[str] | None = None
) -> pd.DataFrame:
    """Odds ratios with 95% intervals and p-values as text, one row per term."""
    ors = fit.odds_ratios()
    if terms is not None:
        ors = ors[ors["term"].isin(terms)]
    return pd.DataFrame(
        {
            "Term (against its reference)": [term_label(t, labels) for t in ors["term"]],
            "Odds ratio": [f"{v:.2f}" for v in ors["odds_ratio"]],
            "95% interval": [f"{lo:.2f} to {hi:.2f}" for lo, hi in zip(ors["lower"], ors["upper"])],
            "p": [format_p(p, prefix=False) for p in ors["p"]],
        }
    )


def agreement_display(table: pd.DataFrame, group_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Items (rows) x groups (columns): standardised % agreeing with its 95% interval, as text."""
    group_labels = group_labels or {}
    groups = list(dict.fromkeys(table["group"]))
    t = table.set_index(["item", "group"])
    data = {}
    for g in groups:
        data[group_labels.get(g, g)] = [
            f"{100 * t.loc[(i, g), 'probability']:.0f} ({100 * t.loc[(i, g), 'lower']:.0f} to {100 * t.loc[(i, g), 'upper']:.0f})"
            for i in ITEMS
        ]
    return pd.DataFrame(data, index=pd.Index([ITEM_LABELS[i] for i in ITEMS], name="Item (% agreeing, 95% interval)"))


def partnership_display(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Sites (rows) x respondent types (columns): standardised % agreeing they were partners
    in decisions, with the 95% interval, as text."""
    labels = labels or {}
    sites = list(dict.fromkeys(table["site_id"]))
    t = table.set_index(["respondent_type", "site_id"])
    data = {}
    for rtype in ("young_person", "parent_carer"):
        data[RESPONDENT_LABELS[rtype]] = [
            f"{100 * t.loc[(rtype, s), 'probability']:.0f} ({100 * t.loc[(rtype, s), 'lower']:.0f} to {100 * t.loc[(rtype, s), 'upper']:.0f})"
            for s in sites
        ]
    return pd.DataFrame(data, index=pd.Index([labels.get(s, s) for s in sites], name="Site (% agreeing, 95% interval)"))
