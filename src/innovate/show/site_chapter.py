"""Tables and figures for the site facade, and the object a site chapter calls.

:func:`innovate.study.site` computes a site's sections (data and numbers) in the study
layer, which may import neither ``show`` nor matplotlib. This module, one layer up,
turns each :class:`~innovate.study.site_report.SectionResult` into a table with human
column headers (:func:`table`) and a figure drawn with the show layer's existing plot
functions (:func:`figure`), and :class:`SiteChapter` puts the three together so that
each section of a chapter is one call::

    chapter = SiteChapter("devon")
    costs = chapter.costs()
    glue_numbers("devon_costs_", costs)   # every number at its declared digits
    costs.table(); costs.figure()

Synthetic results are labelled with the site's pseudonym everywhere (row labels,
titles, legends) and their figures carry the synthetic watermark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innovate.data import sites
from innovate.show import area_display, cohort_display, cost_display, figures, process_display, survey_display
from innovate.show.glue import styled
from innovate.stats import disclosure
from innovate.study import area, process, surveys
from innovate.study.area_series import AREA_SERIES_MEASURES
from innovate.study.site_report import SECTIONS, SectionResult, SiteReport


def _message_figure(section: SectionResult, text: str):
    fig, ax = figures.new_figure("text", aspect=0.25)
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=9)
    return fig


def _mark(section: SectionResult, fig):
    if section.synthetic and not figures.is_watermarked(fig):
        figures.watermark(fig)
    return fig


# ---------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------
def _public_table(s: SectionResult) -> pd.DataFrame:
    rows = []
    for measure, comp in s.data.items():
        got = comp.summary.dropna(subset=["site"])
        last = got.iloc[-1] if len(got) else None
        rows.append(
            {
                "Measure (per 10,000 children)": comp.measure_label,
                "Latest year": "" if last is None else f"{int(last['year'])}",
                s.label: "not published" if last is None else f"{last['site']:.1f}",
                "Statistical neighbours (median)": "" if last is None else f"{last['comparison_median']:.1f}",
                "Neighbours' range": ""
                if last is None
                else f"{last['comparison_min']:.1f} to {last['comparison_max']:.1f}",
                "England": "" if last is None or pd.isna(last["england"]) else f"{last['england']:.1f}",
            }
        )
    return pd.DataFrame(rows)


def _area_table(s: SectionResult) -> pd.DataFrame:
    if "table" in s.data:
        t = s.data["table"]
        fmt = lambda v, p=2: "" if pd.isna(v) else f"{v:.{p}f}"  # noqa: E731
        return pd.DataFrame(
            {
                "Design": t["design"],
                "Scale": t["scale"],
                "Estimate": [fmt(v) for v in t["estimate"]],
                "95% interval": [
                    "" if pd.isna(lo) else f"{lo:.2f} to {hi:.2f}"
                    for lo, hi in zip(t["lower"], t["upper"], strict=True)
                ],
                "P-value": [fmt(v, 3) for v in t["p_value"]],
                "Years before": t["n_pre"],
                "Years after": t["n_post"],
                "Note": t["note"],
            }
        )
    k = s.numbers()
    rows = []
    for key, name in (("level_ratio", "Level change (rate ratio)"), ("slope_ratio", "Change in monthly trend (ratio)")):
        if key in k:
            rows.append(
                {"Estimate": name, "Value": str(k[key]), "95% interval": f"{k[key + '_low']} to {k[key + '_high']}"}
            )
    return pd.DataFrame(rows, columns=["Estimate", "Value", "95% interval"])


def _journey_table(s: SectionResult) -> pd.DataFrame:
    return process_display.journey_table(s.data["summary"], {s.site_id: s.label})


def _cohort_table(s: SectionResult) -> pd.DataFrame:
    table = cohort_display.effects_display(
        {s.site_id: s.data["effects"]}, methods=["primary", "available_case", "complete_case"]
    )
    table.index = pd.Index([s.label], name="Site")
    return table.reset_index()


def _experience_table(s: SectionResult) -> pd.DataFrame:
    return survey_display.agreement_display(s.data["agreement"], {s.site_id: s.label}).reset_index()


def _costs_table(s: SectionResult) -> pd.DataFrame:
    return cost_display.site_summary_table({s.site_id: s.data["summary"]}, {s.site_id: s.label})


def _fb_table(s: SectionResult) -> pd.DataFrame:
    p, labels = s.data["profile"], s.data["labels"]
    out = pd.DataFrame(
        {
            "Code": [labels.get(c, c) for c in p["code"]],
            "Facilitator segments": p["facilitator"].astype(int),
            "Barrier segments": p["barrier"].astype(int),
            "Per 100 segments at the site": p["per_100"].round(1),
            "Facilitator share (%)": p["facilitator_share"].round(0),
        }
    )
    return out.sort_values("Per 100 segments at the site", ascending=False, kind="stable").reset_index(drop=True)


def _audit_table(s: SectionResult) -> pd.DataFrame:
    matrix = s.data["matrix"]
    out = matrix.rename(columns=process.STAGE_LABELS)
    out.index = pd.Index([str(q) for q in out.index], name="Question")
    return out.reset_index()


_TABLES = {
    "public_statistics": _public_table,
    "area_outcomes": _area_table,
    "journey": _journey_table,
    "cohort_outcomes": _cohort_table,
    "experience": _experience_table,
    "costs": _costs_table,
    "facilitators_barriers": _fb_table,
    "trustworthy_audit": _audit_table,
}


#: Columns of a section's table that count people or coded segments: protected by disclosure
#: control before display (counts of 1 to 5 withheld), on synthetic data as on the extract.
COUNT_COLUMNS: dict[str, list[str]] = {
    "costs": ["Young people analysed"],
    "facilitators_barriers": ["Facilitator segments", "Barrier segments"],
}
DISCLOSURE_THRESHOLD = 5


def display(section: SectionResult, name: str, caption: str):
    """The section's table for a chapter: first column as the index, count columns through
    disclosure control and marked as such, the caption prefixed when the data are synthetic."""
    frame = table(section)
    counts = [c for c in COUNT_COLUMNS.get(section.section, []) if c in frame.columns] if section.available else []
    threshold = None
    if counts:
        frame = disclosure.protect_table(frame, count_columns=counts, threshold=DISCLOSURE_THRESHOLD)
        threshold = DISCLOSURE_THRESHOLD
    text = figures.synthetic_caption(caption) if section.synthetic else caption
    return styled(frame.set_index(frame.columns[0]), name, fmt="{}", caption=text, people_threshold=threshold)


def table(section: SectionResult) -> pd.DataFrame:
    """The section's table with human column headers (a one-row note when not available)."""
    if not section.available:
        return pd.DataFrame({"Section": [section.title], "Note": ["; ".join(section.notes)]})
    return _TABLES[section.section](section)


# ---------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------
def _public_figure(s: SectionResult):
    return area_display.plot_site_panels(s.site_id, list(s.data))


def _area_figure(s: SectionResult):
    if "analyses" in s.data:
        sc = s.data["analyses"].synthetic
        if getattr(sc, "estimable", False):
            return area_display.plot_synthetic_control(sc, treated_label=s.label)
        comp = area.site_vs_neighbours(s.site_id, s.data["measure"])
        fig, ax = figures.new_figure("text")
        area_display.plot_site_vs_neighbours(comp, ax=ax, title=s.label)
        return fig
    result = s.data["result"]
    if not getattr(result, "estimable", False):
        return _message_figure(s, "; ".join(s.notes))
    return area_display.plot_its(
        result,
        synthetic=s.synthetic,
        title=f"{s.label}: {AREA_SERIES_MEASURES[s.data['measure']]}",
        ylabel="Per 10,000 children",
    )


def _journey_figure(s: SectionResult):
    # no context events: their labels name real organisations and places
    return process_display.plot_swimlanes(
        s.data["episodes"],
        s.data["events"],
        None,
        site_ids=[s.site_id],
        labels={s.site_id: s.label},
        study_end=s.data["study_end"],
    )


def _cohort_figure(s: SectionResult):
    effects, outcome = s.data["effects"], s.data["outcome"]
    names = {
        "primary": "Multiple imputation (primary)",
        "available_case": "Available case",
        "complete_case": "Complete case",
    }
    fig, ax = figures.new_figure("text", aspect=0.4)
    k = s.numbers()
    for i, (method, name) in enumerate(names.items()):
        if method in k:
            ax.errorbar(
                k[method],
                i,
                xerr=[[k[method] - k[method + "_low"]], [k[method + "_high"] - k[method]]],
                fmt="o",
                color="black",
                capsize=3,
            )
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(list(names.values()))
    ax.invert_yaxis()
    null = 1.0 if effects.primary.effect.scale == "log" else 0.0
    ax.axvline(null, color="#777777", linestyle="--", linewidth=1)
    ax.set_xlabel(f"{outcome.replace('_', ' ').capitalize()}: innovation against comparison (95% CI)")
    ax.set_title(s.label)
    return fig


def _experience_figure(s: SectionResult):
    return survey_display.plot_agreement(s.data["agreement"], {s.site_id: s.label}, items=surveys.ITEMS)


def _costs_figure(s: SectionResult):
    return cost_display.plot_ce_plane({s.label: s.data["summary"].result})


def _fb_figure(s: SectionResult):
    p = _fb_table(s).head(10).iloc[::-1]
    fig, ax = figures.new_figure("text", aspect=0.6)
    y = np.arange(len(p))
    colours = figures.colours(2)
    ax.barh(y, p["Facilitator segments"], color=colours[0], label="Facilitator")
    ax.barh(y, -p["Barrier segments"], color=colours[1], label="Barrier", hatch="//")
    ax.set_yticks(y)
    ax.set_yticklabels(p["Code"], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("Coded segments (barriers to the left)")
    ax.set_title(s.label)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def _audit_figure(s: SectionResult):
    fig, _ = process_display.plot_audit_heatmap(s.data["matrix"], title=s.label)
    return fig


_FIGURES = {
    "public_statistics": _public_figure,
    "area_outcomes": _area_figure,
    "journey": _journey_figure,
    "cohort_outcomes": _cohort_figure,
    "experience": _experience_figure,
    "costs": _costs_figure,
    "facilitators_barriers": _fb_figure,
    "trustworthy_audit": _audit_figure,
}


def figure(section: SectionResult):
    """The section's figure (a matplotlib Figure); synthetic results carry the watermark."""
    if not section.available:
        return _message_figure(section, "; ".join(section.notes))
    return _mark(section, _FIGURES[section.section](section))


# ---------------------------------------------------------------------------------------
# the object a chapter calls
# ---------------------------------------------------------------------------------------
class Section:
    """One section as a chapter uses it: ``numbers()`` for glue, ``table()``, ``figure()``,
    and what the evidence is (``evidence``, ``synthetic``, ``label``)."""

    def __init__(self, result: SectionResult):
        self.result = result

    def __getattr__(self, name):  # section, site_id, evidence, label, digits, notes, ...
        return getattr(self.result, name)

    def __repr__(self) -> str:
        return f"Section({self.result.section!r}, site={self.result.label!r}, evidence={self.result.evidence!r})"

    def numbers(self) -> dict:
        return self.result.numbers()

    def table(self) -> pd.DataFrame:
        return table(self.result)

    def figure(self):
        return figure(self.result)

    def display(self, name: str, caption: str):
        """The captioned, disclosure-checked table a chapter shows (see :func:`display`)."""
        return display(self.result, name, caption)

    def caption(self, text: str) -> str:
        """Caption text, prefixed as synthetic when the section rests on synthetic data."""
        return figures.synthetic_caption(text) if self.result.synthetic else text


class SiteChapter:
    """A site chapter's sections, one call each (see :class:`innovate.study.site_report.SiteReport`)."""

    def __init__(self, site_id: str):
        self.report = SiteReport(site_id)
        self.site_id = site_id

    def __repr__(self) -> str:
        return f"SiteChapter({self.site_id!r})"

    def __getattr__(self, name):
        if name in SECTIONS:
            method = getattr(self.report, name)
            return lambda *args, **kwargs: Section(method(*args, **kwargs))
        raise AttributeError(f"SiteChapter has no section {name!r}; sections: {', '.join(SECTIONS)}")

    def __dir__(self):
        return [*super().__dir__(), *SECTIONS]

    @property
    def record(self) -> sites.Site:
        return self.report.record


def site_chapter(site_id: str) -> SiteChapter:
    """The chapter facade of one site: ``site_chapter('devon').costs().table()``."""
    return SiteChapter(site_id)
