"""Tables and figures that set a framework's two sites side by side.

Two kinds, never mixed in one table or figure:

* **Public statistics** (real, real names): :func:`public_table` and :func:`public_figure`
  draw :class:`innovate.study.framework_compare.PairProfile`.
* **Case-level sections** (synthetic on the shipped book, pseudonyms): :class:`PairSection`
  puts the same section of the two sites' facades (:mod:`innovate.show.site_chapter`)
  together, so each number is the one the site chapter shows. Its tables go through the
  same disclosure control and synthetic caption as a site chapter's; its figures carry
  the watermark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innovate.show import cost_display, figures, process_display, site_chapter, survey_display
from innovate.show.glue import styled
from innovate.stats import disclosure
from innovate.study import surveys
from innovate.study.framework_compare import LEVEL_MEASURES, MEASURES, PairProfile

# ---------------------------------------------------------------------------------------
# public statistics
# ---------------------------------------------------------------------------------------


def _cell(measure: str, value: float, when: str) -> str:
    if value is None or not np.isfinite(value):
        return "not published"
    places = MEASURES[measure][2]
    number = f"£{value:,.0f}" if measure == "spend" else f"{value:,.{places}f}"
    return f"{number} ({when})" if when else number


def _when(row) -> str:
    if row["measure"] == "population_change":
        return f"{int(row['first_year'])} to {int(row['year'])}"
    return str(int(row["year"]))


def public_table(pair: PairProfile) -> pd.DataFrame:
    """One row per measure either area publishes: each area's value (with its year), the
    median of its own comparison areas, and its nation."""
    a, b = pair.site_ids
    nations = list(dict.fromkeys(pair.nations[s] for s in pair.site_ids))
    rows = []
    for measure, (label, unit, places) in MEASURES.items():
        mine = pair.rows[pair.rows["measure"] == measure].set_index("site_id")
        if mine.empty:
            continue
        row = {"Measure": label, "Unit": unit}
        for s in (a, b):
            name = pair.names[s]
            if s in mine.index:
                r = mine.loc[s]
                row[name] = _cell(measure, r["area"], _when(r))
                row[f"{name}: comparison areas (median)"] = (
                    _cell(measure, r["comparison"], "") if np.isfinite(r["comparison"]) else "-"
                )
            else:
                row[name] = "not published"
                row[f"{name}: comparison areas (median)"] = "-"
        for nation in nations:
            found = mine[mine["nation"] == nation]
            row[nation] = _cell(measure, float(found["national"].iloc[0]), "") if len(found) else "-"
        rows.append(row)
    return pd.DataFrame(rows)


def public_caption(pair: PairProfile) -> str:
    a, b = (pair.names[s] for s in pair.site_ids)
    kinds = "; ".join(f"{pair.names[s]} against {pair.comparison_kinds[s]}" for s in pair.site_ids)
    return (
        f"{a} and {b} side by side on the public measures each area publishes (real public statistics). "
        f"Each value is given with its year (years ending March for England's factors, missing children and "
        f"spend; 31 March or 31 July for children looked after); where both areas publish a measure the year "
        f"is the latest both publish. Comparison areas: {kinds}. Sources: DfE children in need and "
        f"looked-after children statistics, Section 251 outturn, ONS and NRS populations, Scottish Government "
        f"via ScotPHO and the Local Government Benchmarking Framework where a Scottish council is shown."
    )


def public_display(pair: PairProfile, name: str):
    frame = public_table(pair)
    return styled(frame.set_index("Measure"), name, fmt="{}", caption=public_caption(pair))


#: Short row labels for the figure (the table gives the full names and units).
FIGURE_LABELS = {
    m: label.replace(" identified at assessment", " (assessment factor)")
    .replace("Section 251 spend on children's and young people's services", "Section 251 spend per child")
    .replace("Looked-after children with more than one placement in the year", "More than one placement in the year")
    .replace("Children on the child protection register", "Child protection register")
    for m, (label, _unit, _places) in MEASURES.items()
}


def public_figure(pair: PairProfile):
    """Each area's value (and its comparison areas' median) as a multiple of its nation's
    value, one row per level measure: a scale on which English and Scottish measures and
    rates and money can sit together."""
    rows = pair.rows[pair.rows["measure"].isin(LEVEL_MEASURES)].dropna(subset=["ratio_to_national"])
    measures = [m for m in MEASURES if m in set(rows["measure"])]
    fig, ax = figures.new_figure("wide", aspect=0.2 + 0.055 * len(measures))
    colours = figures.colours(2)
    markers = ("o", "s")
    offsets = (-0.15, 0.15)
    for k, s in enumerate(pair.site_ids):
        mine = rows[rows["site_id"] == s].set_index("measure")
        y = [measures.index(m) + offsets[k] for m in mine.index]
        ax.scatter(mine["ratio_to_national"], y, marker=markers[k], color=colours[k], label=pair.names[s], zorder=3)
        comp = (mine["comparison"] / mine["national"]).where(mine["national"] != 0)
        ax.scatter(
            comp,
            y,
            marker=markers[k],
            facecolors="none",
            edgecolors=colours[k],
            label=f"{pair.names[s]}: comparison areas (median)",
            zorder=2,
        )
    ax.axvline(1.0, color="#555555", linestyle="--", linewidth=1)
    ax.set_yticks(range(len(measures)))
    ax.set_yticklabels([FIGURE_LABELS[m] for m in measures], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("Value as a multiple of the nation's (1 = the national value)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09 - 0.3 / max(len(measures), 1)), ncol=2, fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------
# case-level sections, two sites at a time
# ---------------------------------------------------------------------------------------
def _by_rows(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([first, second], ignore_index=True)


def _experience(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    key = first.columns[0]
    return first.merge(second, on=key, how="left", sort=False)


def _codes(one: site_chapter.Section, two: site_chapter.Section, top: int = 12) -> pd.DataFrame:
    frames = []
    for s in (one, two):
        t = s.table()[["Code", "Facilitator segments", "Barrier segments"]]
        frames.append(
            t.rename(
                columns={
                    "Facilitator segments": f"{s.label}: facilitator segments",
                    "Barrier segments": f"{s.label}: barrier segments",
                }
            )
        )
    out = frames[0].merge(frames[1], on="Code", how="outer").fillna(0)
    counts = [c for c in out.columns if c != "Code"]
    out[counts] = out[counts].astype(int)
    total = out[counts].sum(axis=1)
    out = out.assign(_total=total).sort_values(["_total", "Code"], ascending=[False, True], kind="stable")
    return out.drop(columns="_total").head(top).reset_index(drop=True)


def _audit(one: site_chapter.Section, two: site_chapter.Section) -> pd.DataFrame:
    rows = []
    for s in (one, two):
        v = s.numbers()
        rows.append(
            {
                "Site": s.label,
                "Question-stage cells audited": v["cells"],
                "Mean score (0 not evidenced to 3 met)": f"{v['mean_score']:.1f}",
                "Not evidenced (%)": f"{v['not_evidenced_percent']:.0f}",
                "Met (%)": f"{v['met_percent']:.0f}",
            }
        )
    return pd.DataFrame(rows)


def pair_table(one: site_chapter.Section, two: site_chapter.Section) -> pd.DataFrame:
    """The two sites' section tables as one, with human column headers."""
    if one.section != two.section:
        raise ValueError(f"pair_table: sections differ ({one.section!r}, {two.section!r})")
    name = one.section
    if not (one.available and two.available):
        return _by_rows(one.table(), two.table())
    if name in ("journey", "cohort_outcomes", "costs"):
        return _by_rows(one.table(), two.table())
    if name == "experience":
        return _experience(one.table(), two.table())
    if name == "facilitators_barriers":
        return _codes(one, two)
    if name == "trustworthy_audit":
        return _audit(one, two)
    raise KeyError(f"pair_table: no side-by-side table for section {name!r}")


#: Columns that count people or coded segments (disclosure control before display).
def _count_columns(frame: pd.DataFrame, section: str) -> list[str]:
    if section == "facilitators_barriers":
        return [c for c in frame.columns if c.endswith("segments")]
    return [c for c in site_chapter.COUNT_COLUMNS.get(section, []) if c in frame.columns]


class PairSection:
    """One case-level section for both sites of a framework."""

    def __init__(self, one: site_chapter.Section, two: site_chapter.Section):
        self.one, self.two = one, two

    @property
    def synthetic(self) -> bool:
        return self.one.synthetic or self.two.synthetic

    @property
    def labels(self) -> tuple[str, str]:
        return self.one.label, self.two.label

    def table(self) -> pd.DataFrame:
        return pair_table(self.one, self.two)

    def display(self, name: str, caption: str):
        """The captioned, disclosure-checked table (see :func:`innovate.show.site_chapter.display`)."""
        frame = self.table()
        counts = _count_columns(frame, self.one.section)
        threshold = None
        if counts:
            frame = disclosure.protect_table(frame, count_columns=counts, threshold=site_chapter.DISCLOSURE_THRESHOLD)
            threshold = site_chapter.DISCLOSURE_THRESHOLD
        text = figures.synthetic_caption(caption) if self.synthetic else caption
        return styled(frame.set_index(frame.columns[0]), name, fmt="{}", caption=text, people_threshold=threshold)

    def figure(self):
        fig = _PAIR_FIGURES[self.one.section](self.one, self.two)
        if self.synthetic and not figures.is_watermarked(fig):
            figures.watermark(fig)
        return fig


def _journey_figure(one, two):
    data = [s.result.data for s in (one, two)]
    return process_display.plot_swimlanes(
        pd.concat([d["episodes"] for d in data], ignore_index=True),
        pd.concat([d["events"] for d in data], ignore_index=True),
        None,  # no context events: their labels name real organisations and places
        site_ids=[one.site_id, two.site_id],
        labels={one.site_id: one.label, two.site_id: two.label},
        study_end=max(d["study_end"] for d in data),
    )


_METHODS = {
    "primary": "Multiple imputation (primary)",
    "available_case": "Available case",
    "complete_case": "Complete case",
}


def _cohort_figure(one, two):
    fig, ax = figures.new_figure("text", aspect=0.5)
    colours = figures.colours(2)
    y, ticks = 0, []
    for k, s in enumerate((one, two)):
        v = s.numbers()
        for method, name in _METHODS.items():
            if method in v:
                ax.errorbar(
                    v[method],
                    y,
                    xerr=[[v[method] - v[method + "_low"]], [v[method + "_high"] - v[method]]],
                    fmt="os"[k],
                    color=colours[k],
                    capsize=3,
                )
                ticks.append(f"{s.label}: {name}")
                y += 1
    ax.set_yticks(range(len(ticks)))
    ax.set_yticklabels(ticks, fontsize=8)
    ax.invert_yaxis()
    scale = one.result.data["effects"].primary.effect.scale
    ax.axvline(1.0 if scale == "log" else 0.0, color="#777777", linestyle="--", linewidth=1)
    outcome = one.result.data["outcome"].replace("_", " ").capitalize()
    ax.set_xlabel(f"{outcome}: innovation against comparison (95% CI)")
    return fig


def _experience_figure(one, two):
    table = pd.concat([one.result.data["agreement"], two.result.data["agreement"]], ignore_index=True)
    return survey_display.plot_agreement(table, {one.site_id: one.label, two.site_id: two.label}, items=surveys.ITEMS)


def _costs_figure(one, two):
    return cost_display.plot_ce_plane({s.label: s.result.data["summary"].result for s in (one, two)})


def _codes_figure(one, two):
    t = _codes(one, two, top=10).iloc[::-1]
    fig, axes = figures.new_figure("wide", aspect=0.45, ncols=2, sharey=True)
    colours = figures.colours(2)
    y = np.arange(len(t))
    for ax, s in zip(axes, (one, two), strict=True):
        ax.barh(y, t[f"{s.label}: facilitator segments"], color=colours[0], label="Facilitator")
        ax.barh(y, -t[f"{s.label}: barrier segments"], color=colours[1], label="Barrier", hatch="//")
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_title(s.label)
        ax.set_xlabel("Coded segments (barriers to the left)")
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(t["Code"], fontsize=8)
    axes[1].legend(loc="lower right", fontsize=8)
    return fig


def _audit_figure(one, two):
    # not sharey: the two sites' audits may cover different questions
    fig, axes = figures.new_figure("wide", aspect=0.55, ncols=2)
    for ax, s in zip(axes, (one, two), strict=True):
        process_display.plot_audit_heatmap(s.result.data["matrix"], title=s.label, ax=ax)
    return fig


_PAIR_FIGURES = {
    "journey": _journey_figure,
    "cohort_outcomes": _cohort_figure,
    "experience": _experience_figure,
    "costs": _costs_figure,
    "facilitators_barriers": _codes_figure,
    "trustworthy_audit": _audit_figure,
}

#: The case-level sections a framework chapter shows, in order.
CASE_SECTIONS = tuple(_PAIR_FIGURES)


class FrameworkChapter:
    """A framework chapter's calls: the public pair and each case section for both sites."""

    def __init__(self, framework: str):
        from innovate.data import sites

        if framework not in sites.FRAMEWORKS:
            raise KeyError(f"unknown framework {framework!r}; known: {', '.join(sites.FRAMEWORKS)}")
        self.framework = framework
        self.site_ids = sites.FRAMEWORKS[framework]
        self.sites = tuple(site_chapter.site_chapter(s) for s in self.site_ids)

    def __repr__(self) -> str:
        return f"FrameworkChapter({self.framework!r})"

    def section(self, name: str, **kwargs) -> PairSection:
        """The same facade call on both sites (``journey``, ``costs``, ...)."""
        if name not in CASE_SECTIONS:
            raise KeyError(f"no side-by-side section {name!r}; sections: {', '.join(CASE_SECTIONS)}")
        one, two = (getattr(chapter, name)(**kwargs) for chapter in self.sites)
        return PairSection(one, two)


def framework_chapter(framework: str) -> FrameworkChapter:
    """The chapter facade of one framework: ``framework_chapter('contextual_safeguarding').section('costs')``."""
    return FrameworkChapter(framework)
