"""Display tables and figures for stage journeys, facilitators and barriers, and the trustworthy-innovation audit."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from innovate.data.sites import SITE_IDS, STAGE_IDS, codebook
from innovate.show import figures
from innovate.stats import disclosure
from innovate.study.process import (
    SCORE_LABELS,
    STAGE_LABELS,
    STAGE_SHORT,
    TRAJECTORY_LABELS,
    FrameworkMatrix,
    audit_matrix,
    code_labels,
    real_site_labels,
    site_labels,
)

#: One hatch pattern per stage, drawn over the stage colour.
STAGE_HATCH = {
    "mobilising": "",
    "designing": "//",
    "developing": "..",
    "integrating": "xx",
    "growing": "\\\\",
    "system_change": "oo",
}


def stage_colours() -> dict[str, str]:
    """A colour per stage from the house palette (with a hatch and a label as well)."""
    pal = figures.PALETTE
    return {
        "mobilising": pal["sky_blue"],
        "designing": pal["orange"],
        "developing": pal["yellow"],
        "integrating": pal["bluish_green"],
        "growing": pal["blue"],
        "system_change": pal["reddish_purple"],
    }


def journey_table(summary: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The journey summary in words, ready to show (no bare counts: events are described)."""
    labels = labels or site_labels()

    def events(r):
        parts = []
        for col, word in (("stalls", "stall"), ("restarts", "restart"), ("regressions", "regression")):
            n = int(r[col])
            if n:
                parts.append(f"{n} {word}{'s' if n > 1 else ''}")
        return ", ".join(parts) if parts else "none"

    return pd.DataFrame(
        {
            "Site": [labels.get(s, s) for s in summary["site_id"]],
            "Journey began": [f"{d:%B %Y}" for d in summary["first_event"]],
            "Stage at end of study": [
                STAGE_LABELS[s] + (" (stalled)" if st else "")
                for s, st in zip(summary["current_stage"], summary["stalled_at_end"])
            ],
            "Stalls, restarts and regressions": [events(r) for _, r in summary.iterrows()],
            "Months to integrating": [
                ("not reached" if np.isnan(m) else f"{m:.1f}") for m in summary["months_to_integrating"]
            ],
            "Trajectory": [TRAJECTORY_LABELS[t] for t in summary["trajectory"]],
        }
    )


def time_in_stage_wide(time: pd.DataFrame, labels: dict[str, str] | None = None, decimals: int = 1) -> pd.DataFrame:
    """Months in each stage (rows: sites; columns: stages); '-' for a stage never entered,
    and the number of visits in brackets where a stage was entered more than once."""
    labels = labels or site_labels()
    sites = [s for s in SITE_IDS if s in set(time["site_id"])]
    t = time.set_index(["site_id", "stage"])
    data = {}
    for g in STAGE_IDS:
        col = []
        for s in sites:
            r = t.loc[(s, g)]
            if r["visits"] == 0:
                col.append("-")
            else:
                text = f"{r['months']:.{decimals}f}"
                if r["visits"] > 1:
                    text += f" ({int(r['visits'])} visits)"
                col.append(text)
        data[STAGE_LABELS[g]] = col
    return pd.DataFrame(data, index=pd.Index([labels.get(s, s) for s in sites], name="Site"))


def context_table(context: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
    """The context events as a table to show, dates at the precision they are known.

    The events are real and public, so the sites carry their real names by default."""
    labels = labels or real_site_labels()
    return (
        pd.DataFrame(
            {
                "Date": [
                    f"{d:%-d %B %Y}" if p == "day" else f"{d:%B %Y}"
                    for d, p in zip(context["date"], context["date_precision"])
                ],
                "Applies to": [labels.get(s, s) if s else "All sites" for s in context["site_id"]],
                "Event": list(context["detail"]),
                "Source": list(context["source"]),
            }
        )
        .assign(_order=list(context["date"]))
        .sort_values("_order", kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )


# ---------------------------------------------------------------------------------------
# The swimlane figure
# ---------------------------------------------------------------------------------------
EVENT_MARKERS = {"stall": ("X", "Stall"), "restart": ("^", "Restart"), "regress": ("v", "Regression")}


def stall_spans(events: pd.DataFrame, study_end) -> list[tuple[str, pd.Timestamp, pd.Timestamp]]:
    """(site, start, end) of every stalled spell: from a stall to the next event of the
    site (restart, regression or a new stage) or to the end of the study."""
    spans = []
    study_end = pd.Timestamp(study_end)
    for sid, part in events.groupby("site_id", sort=False):
        part = part.sort_values("event_date", kind="stable")
        dates = list(pd.to_datetime(part["event_date"]))
        kinds = list(part["event_type"])
        for k, kind in enumerate(kinds):
            if kind == "stall":
                stop = dates[k + 1] if k + 1 < len(dates) else study_end
                spans.append((sid, dates[k], stop))
    return spans


def plot_swimlanes(
    episodes: pd.DataFrame,
    events: pd.DataFrame,
    context: pd.DataFrame | None = None,
    site_ids: Sequence[str] | None = None,
    labels: dict[str, str] | None = None,
    study_end=None,
    journeys_real: bool = False,
):
    """Site lanes of stage episodes (colour + hatch + label), event markers, context events.

    Stalled spans are overdrawn in grey stripes; national context events are dashed
    vertical lines labelled at the top. Site-specific context events (Ofsted judgements)
    are real, so they are drawn on a site's lane, as numbered diamonds listed in the
    legend, only when the journeys are real too (``journeys_real``, the study's extract):
    on synthetic journeys, named by pseudonym, a real judgement on the same lane would
    both invite reading one against the other and tie the pseudonym to the real site.
    The legend says which elements are synthetic and which are real.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    site_ids = list(site_ids) if site_ids is not None else [s for s in SITE_IDS if s in set(episodes["site_id"])]
    labels = labels or site_labels()
    colours = stage_colours()
    height = 0.9 + 0.55 * len(site_ids)
    fig, ax = figures.new_figure("wide", aspect=height / figures.WIDTH["wide"] + 0.12, layout="constrained")
    ax.grid(False)
    ax.grid(True, axis="x", alpha=0.3)
    lane = {s: len(site_ids) - 1 - i for i, s in enumerate(site_ids)}
    eps = episodes[episodes["site_id"].isin(site_ids)]
    for _, e in eps.iterrows():
        y: float = lane[e["site_id"]]
        start = pd.Timestamp(e["start"])
        width = pd.Timestamp(e["end"]) - start
        ax.barh(
            y,
            width,
            left=start,
            height=0.62,
            color=colours[e["stage"]],
            hatch=STAGE_HATCH[e["stage"]],
            edgecolor="#333333",
            linewidth=0.6,
        )
        if width.days > 150:
            ax.text(
                start + width / 2,
                y,
                STAGE_SHORT[e["stage"]],
                ha="center",
                va="center",
                fontsize=7,
                color="black",
                bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none", alpha=0.7),
            )
    ev = events[events["site_id"].isin(site_ids)]
    for sid, start, stop in stall_spans(
        ev, hi_end := (pd.Timestamp(study_end) if study_end is not None else pd.to_datetime(eps["end"]).max())
    ):
        ax.barh(
            lane[sid],
            stop - start,
            left=start,
            height=0.62,
            color="#7f7f7f",
            alpha=0.55,
            hatch="||",
            edgecolor="#333333",
            linewidth=0,
        )
    for kind, (marker, _) in EVENT_MARKERS.items():
        part = ev[ev["event_type"] == kind]
        if len(part):
            ax.scatter(
                pd.to_datetime(part["event_date"]),
                [lane[s] + 0.42 for s in part["site_id"]],
                marker=marker,
                s=36,
                color="black",
                zorder=5,
                clip_on=False,
            )
    handles: list = [
        Patch(
            facecolor=colours[s],
            hatch=STAGE_HATCH[s],
            edgecolor="#333333",
            label=f"{STAGE_SHORT[s]} = {STAGE_LABELS[s]}",
        )
        for s in STAGE_IDS
    ]
    handles += [Patch(facecolor="#7f7f7f", alpha=0.55, hatch="||", edgecolor="#333333", label="Stalled")]
    handles += [Line2D([], [], marker=m, ls="", color="black", label=lab) for m, lab in EVENT_MARKERS.values()]
    lo = pd.to_datetime(eps["start"]).min()
    hi = hi_end
    if context is not None and len(context):
        ctx = context[(context["date"] >= lo) & (context["date"] <= hi)]
        nat = ctx[ctx["site_id"] == ""]
        for _, c in nat.iterrows():
            ax.axvline(c["date"], color=figures.PALETTE["vermillion"], ls="--", lw=1.2, zorder=6)
            ax.text(
                c["date"],
                len(site_ids) - 0.35,
                " " + c["label"],
                color=figures.PALETTE["vermillion"],
                fontsize=8,
                va="bottom",
                ha="left",
            )
        local = (
            ctx[(ctx["site_id"] != "") & ctx["site_id"].isin(site_ids) & bool(journeys_real)]
            .sort_values("date", kind="stable")
            .reset_index(drop=True)
        )
        for k, c in local.iterrows():
            y = lane[c["site_id"]] - 0.42
            ax.scatter([c["date"]], [y], marker="D", s=34, color="white", edgecolor="black", zorder=7, clip_on=False)
            ax.text(c["date"], y - 0.05, f" {k + 1}", fontsize=7, va="top", ha="left")
        if len(nat):
            handles.append(
                Line2D([], [], color=figures.PALETTE["vermillion"], ls="--", label="National context (real, sourced)")
            )
        for k, c in local.iterrows():
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="D",
                    ls="",
                    markerfacecolor="white",
                    color="black",
                    label=f"{k + 1}: {labels.get(c['site_id'], c['site_id'])} {c['label']} ({c['date']:%b %Y}, real)",
                )
            )
    ax.set_yticks([lane[s] for s in site_ids])
    ax.set_yticklabels([labels.get(s, s) for s in site_ids])
    ax.set_ylim(-0.8, len(site_ids) - 0.2)
    ax.set_xlim(lo - pd.Timedelta(days=60), hi + pd.Timedelta(days=30))
    ax.set_xlabel("Date")
    journeys = "Journeys: the study's records" if journeys_real else "Journeys: synthetic data"
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=7,
        frameon=False,
        title=journeys,
        title_fontsize=7,
    )
    return fig


def plot_share_heatmap(matrix: FrameworkMatrix, labels: dict[str, str] | None = None):
    """Heatmap of the facilitator share per site and stage, every cell annotated.

    Withheld cells are hatched grey and marked 'c', cells with no segments (a stage not
    reached) are blank and marked '-'; the number in each cell carries the value, so the
    colour scale is never the only cue.
    """
    # Deferred with the rest of matplotlib: loaded when a figure is drawn.
    import matplotlib as mpl

    labels = labels or site_labels()
    values = matrix.share_array()
    status = matrix.share_status()
    sites = matrix.sites
    fig, ax = figures.new_figure("text", aspect=0.22 + 0.09 * len(sites), layout="constrained")
    ax.grid(False)
    cmap = mpl.colormaps["cividis"].with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=100, aspect="auto")
    for i, j in itertools.product(range(values.shape[0]), range(values.shape[1])):
        v = values[i, j]
        if status[i, j] == "c":
            ax.add_patch(
                mpl.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="///", edgecolor="#888888", lw=0)
            )
            ax.text(j, i, "c", ha="center", va="center", fontsize=8)
        elif status[i, j] == "-":
            ax.add_patch(mpl.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, facecolor="white", edgecolor="none"))
            ax.text(j, i, "-", ha="center", va="center", fontsize=8)
        else:
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=8, color="white" if v < 55 else "black")
    ax.set_xticks(range(len(STAGE_IDS)))
    ax.set_xticklabels([STAGE_LABELS[s] for s in STAGE_IDS], rotation=30, ha="right")
    ax.set_yticks(range(len(sites)))
    ax.set_yticklabels([labels.get(s, s) for s in sites])
    cbar = fig.colorbar(im, ax=ax, fraction=0.04)
    cbar.set_label("Facilitators, % of coded segments")
    return fig


def cross_case_display(
    result: dict,
    top: int = 8,
    labels: dict[str, str] | None = None,
    group_names: tuple[str, str] = ("sustained or grew", "stalled or fell back"),
) -> pd.DataFrame:
    """The codes whose facilitator share differs most between the two groups, ready to show.

    A group's share is withheld ('c') where its count of segments for the code is withheld
    by disclosure control.
    """
    if labels is None:
        book = codebook()
        labels = dict(zip(book["code"], book["label"]))
    if not result["comparable"]:
        raise ValueError("every site is in one group: there is nothing to compare")
    table = result["table"].dropna(subset=["share_difference"]).copy()
    table = table.reindex(table["share_difference"].abs().sort_values(ascending=False, kind="stable").index).head(top)
    prot = result["protected_counts"].table

    def shown(code, value, column):
        return disclosure.SUPPRESSED if prot.loc[code, column] == disclosure.SUPPRESSED else float(round(value))

    out = pd.DataFrame(
        {
            "Code": [labels.get(c, c) for c in table["code"]],
            f"Facilitator % ({group_names[0]})": [
                shown(c, v, "segments_in") for c, v in zip(table["code"], table["share_in"])
            ],
            f"Facilitator % ({group_names[1]})": [
                shown(c, v, "segments_out") for c, v in zip(table["code"], table["share_out"])
            ],
            "Difference (points)": [
                disclosure.SUPPRESSED
                if disclosure.SUPPRESSED in (prot.loc[c, "segments_in"], prot.loc[c, "segments_out"])
                else float(round(v))
                for c, v in zip(table["code"], table["share_difference"])
            ],
            "Exact p": [round(float(v), 2) for v in table["share_p"]],
        }
    )
    return out.astype(object)


def cross_case_frame(
    result: dict, group_names: tuple[str, str], top: int = 8, labels: dict[str, str] | None = None
) -> pd.DataFrame:
    """:func:`cross_case_display` indexed by code, or a one-line note when every site is in
    one group (so a chapter runs unchanged on data where no comparison is possible)."""
    if not result["comparable"]:
        return pd.DataFrame({"Comparison": ["not possible: every site is in one group"]})
    return cross_case_display(result, top=top, labels=labels, group_names=group_names).set_index("Code")


def plot_audit_heatmap(
    matrix: pd.DataFrame,
    row_labels: Sequence[str] | None = None,
    title: str | None = None,
    vmax: float = 3.0,
    ax=None,
    decimals: int = 0,
):
    """Heatmap of audit scores with the score written in every cell ('-' = not applicable).

    Uses a colour-blind-safe sequential map; digits carry the values so the colour is
    never the only cue.
    """
    # Deferred with the rest of matplotlib: loaded when a figure is drawn.
    import matplotlib as mpl

    values = matrix.to_numpy(dtype=float)
    if ax is None:
        fig, ax = figures.new_figure("wide", aspect=0.12 + 0.05 * values.shape[0])
    else:
        fig = ax.figure
    ax.grid(False)
    cmap = mpl.colormaps["cividis"].with_extremes(bad="#f2f2f2")
    im = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=0, vmax=vmax, aspect="auto")
    for i, j in itertools.product(range(values.shape[0]), range(values.shape[1])):
        v = values[i, j]
        text = "-" if np.isnan(v) else f"{v:.{decimals}f}"
        colour = "black" if np.isnan(v) or v >= 0.55 * vmax else "white"
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color=colour)
    ax.set_xticks(range(values.shape[1]))
    ax.set_xticklabels([STAGE_LABELS.get(c, c) for c in matrix.columns], rotation=30, ha="right")
    ax.set_yticks(range(values.shape[0]))
    ax.set_yticklabels(list(row_labels) if row_labels is not None else [str(i) for i in matrix.index], fontsize=8)
    if title:
        ax.set_title(title)
    return fig, im


def plot_audit_grid(scores: pd.DataFrame, site_ids: Sequence[str] | None = None, labels: dict[str, str] | None = None):
    """One question x stage heatmap per site, side by side, with a shared colour scale."""
    labels = labels or site_labels()
    site_ids = list(site_ids) if site_ids is not None else [s for s in SITE_IDS if s in set(scores["site_id"])]
    ncols = 3 if len(site_ids) > 2 else len(site_ids)
    nrows = math.ceil(len(site_ids) / ncols)
    n_q = scores["question_id"].nunique()
    fig, axes = figures.new_figure(
        "wide", aspect=nrows * (0.08 + 0.03 * n_q), nrows=nrows, ncols=ncols, squeeze=False, layout="constrained"
    )
    im = None
    for k, s in enumerate(site_ids):
        ax = axes[k // ncols][k % ncols]
        m = audit_matrix(scores, s)
        _, im = plot_audit_heatmap(m, row_labels=list(m.index), title=labels.get(s, s), ax=ax)
        if k % ncols:
            # hidden, not blanked: the narrow layout (one panel a row) shows them again
            ax.tick_params(axis="y", labelleft=False)
        ax.set_xticklabels([STAGE_SHORT[c] for c in m.columns], rotation=0, ha="center")
    for k in range(len(site_ids), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    cbar = fig.colorbar(im, ax=axes, fraction=0.03, shrink=0.6, ticks=[0, 1, 2, 3])
    cbar.set_ticklabels([f"{k} {v}" for k, v in SCORE_LABELS.items()])
    return fig


ROLE_LABELS = {
    "young_person": "young people",
    "parent_carer": "parents and carers",
    "practitioner": "practitioners",
    "manager": "managers",
    "senior_leader": "senior leaders",
    "partner_agency": "partner agencies",
}
PRINCIPLE_LABELS = {
    "rights": "Rights",
    "participation": "Participation",
    "social_justice": "Social justice",
    "safety": "Safety",
    "transparency": "Transparency",
    "accountability": "Accountability",
}


def audit_questions_table(questions: pd.DataFrame) -> pd.DataFrame:
    """The audit questions as a table to show, with whose accounts count as evidence."""
    labels = code_labels()
    return pd.DataFrame(
        {
            "Question": list(questions["question_id"]),
            "Principle": [PRINCIPLE_LABELS[p] for p in questions["principle"]],
            "Stage": ["All stages" if g == "all" else STAGE_LABELS[g] for g in questions["stage"]],
            "Asks": list(questions["question"]),
            "Evidence (codes; whose accounts)": [
                f"{'; '.join(labels.get(c, c).lower() for c in codes)}; "
                + ("anyone's" if roles is None else " and ".join(ROLE_LABELS[r] for r in roles) + " only")
                for codes, roles in zip(questions["codes"], questions["roles"])
            ],
            "Grounding": list(questions["grounding"]),
        }
    ).set_index("Question")


def audit_overview_display(
    overview: pd.DataFrame, labels: dict[str, str] | None = None, decimals: int = 1
) -> pd.DataFrame:
    """Mean audit score per site and stage as text; '-' where nothing was audited."""
    labels = labels or site_labels()
    out = overview.copy()
    out.index = pd.Index([labels.get(s, s) for s in out.index], name="Site")
    out.columns = [STAGE_LABELS[c] for c in out.columns]
    return out.map(lambda v: "-" if pd.isna(v) else f"{v:.{decimals}f}")


def rubric_table(min_segments: int = 3, cuts: tuple[float, float] = (40.0, 70.0)) -> pd.DataFrame:
    """The audit rubric of :func:`score_from_share` as a table, from the values in use."""
    return pd.DataFrame(
        {
            "Score": [0, 1, 2, 3],
            "Meaning": [SCORE_LABELS[k].lower() for k in range(4)],  # not "Reading": Reading is a site
            "Rule": [
                f"fewer than {min_segments} relevant segments",
                f"facilitators under {cuts[0]:.0f}% of them",
                f"facilitators from {cuts[0]:.0f}% up to {cuts[1]:.0f}%",
                f"facilitators {cuts[1]:.0f}% or more",
            ],
        }
    ).set_index("Score")
