"""The site facade: one call per section of a site chapter.

``site(site_id)`` returns a :class:`SiteReport`; each of its methods computes one section
of the chapter with the study functions the theme chapters already use (so a site
chapter quotes the same estimand as the theme chapter, computed the same way) and
returns a :class:`SectionResult`:

``public_statistics()``    the area against its DfE statistical neighbours and England (real)
``journey()``              innovation stages: episodes, stalls, where it stands (case-level)
``area_outcomes()``        ITS / DiD / synthetic control on the public annual series (real),
                           or ITS on the monthly case-level area series (``source='synthetic'``)
``cohort_outcomes()``      the cohort's primary (MI) and sensitivity estimates (case-level)
``experience()``           standardised % agreeing with each survey item (case-level)
``costs()``                costs and value for money (case-level)
``facilitators_barriers()`` coded facilitators and barriers (case-level)
``trustworthy_audit()``    the trustworthy-innovation audit scores (case-level)

Layers. This module is in ``study`` and carries data and numbers only: ``study`` may not
import ``show`` or matplotlib (the import-linter contract in ``pyproject.toml``). The
section's ``.table()`` and ``.figure()`` live one layer up, in
:mod:`innovate.show.site_chapter`, whose ``SiteChapter`` wraps this report and gives every
section ``.numbers()``, ``.table()`` and ``.figure()`` - the object a notebook uses.

Precision. A section stores raw values and declares, per value, the decimals a reader
sees (``digits``); :meth:`SectionResult.numbers` rounds every float once, with the book's
one rounding rule (:func:`innovate.stats.results.at_precision`), and
``innovate.show.glue.glue_numbers(prefix, section)`` glues them all with those digits.

Evidence. Every section says what it rests on: ``"public"`` (real public statistics),
``"synthetic"`` (the shipped synthetic case-level data) or ``"extract"`` (the study's own
case-level extract, a data folder without a generator manifest). The site is labelled
by :func:`innovate.data.sites.label`: its real name on real evidence, its pseudonym
("CS site 1") on synthetic results.

Expensive sections (cohort multiple imputation, cost bootstraps, the survey models) are
cached per data folder and settings, so a chapter and its tests pay for them once.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from innovate.data import casedata, paths, shared_results, sites
from innovate.stats.results import numbers_at_precision
from innovate.study import area, area_series, cohort, costs, estimands, process, surveys

#: The sections of a site chapter, in the chapter's order: method name -> title.
SECTIONS: dict[str, str] = {
    "public_statistics": "The area in public statistics",
    "journey": "The innovation journey",
    "area_outcomes": "Area outcomes",
    "cohort_outcomes": "Outcomes for young people (cohort)",
    "experience": "Young people's and families' experience",
    "costs": "Costs and value for money",
    "facilitators_barriers": "Facilitators and barriers",
    "trustworthy_audit": "Trustworthy innovation audit",
}

EVIDENCE_LABELS = {
    "public": "Real public statistics",
    "synthetic": "Synthetic case-level data (illustrative)",
    "extract": "The study's case-level extract",
}

#: Public measures shown in the public-statistics section (DfE, per 10,000 children).
PUBLIC_SECTION_MEASURES = (
    "Child_sexual_exploitation",
    "Child_criminal_exploitation",
    "Going_missing",
    "Gangs",
    "children_missing",
)


def case_evidence() -> str:
    """'synthetic' or 'extract': what the configured case-level data folder holds."""
    return paths.evidence_status()


@dataclass(frozen=True)
class SectionResult:
    """One section of a site chapter: its data, its numbers and what evidence they rest on.

    ``values`` are raw (unrounded) plain values; ``digits`` gives, for each float, the
    decimals the reader sees. ``data`` holds the frames and result objects the show layer
    turns into a table and a figure. ``available`` is False when the site's data cannot
    carry the section (``notes`` say why), e.g. DfE statistics for a Scottish site.
    ``estimands`` names, for each value that is an effect or a probability the book may
    quote elsewhere, its estimand at this site (:mod:`innovate.study.estimands`): the site
    and framework chapters glue the same section, and the claims gate holds one value per key.
    """

    section: str
    site_id: str
    evidence: str
    values: Mapping[str, object]
    digits: Mapping[str, int]
    data: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    available: bool = True
    estimands: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.section not in SECTIONS:
            raise ValueError(f"unknown section {self.section!r}; known: {', '.join(SECTIONS)}")
        if self.evidence not in EVIDENCE_LABELS:
            raise ValueError(
                f"section {self.section!r}: evidence must be one of {', '.join(EVIDENCE_LABELS)}, got {self.evidence!r}"
            )
        undeclared = [k for k, v in self.values.items() if isinstance(v, float) and k not in self.digits]
        if undeclared:
            raise ValueError(f"section {self.section!r}: floats without declared digits: {', '.join(undeclared)}")
        stray = sorted(set(self.estimands) - set(self.values))
        if stray:
            raise ValueError(f"section {self.section!r}: estimands for values it does not have: {', '.join(stray)}")
        for key in self.estimands.values():
            estimands.describe(key)  # an unknown key fails here, where it is declared

    @property
    def title(self) -> str:
        return SECTIONS[self.section]

    @property
    def synthetic(self) -> bool:
        return self.evidence == "synthetic"

    @property
    def real(self) -> bool:
        return not self.synthetic

    @property
    def label(self) -> str:
        """How this result names its site: real name on real evidence, else the pseudonym."""
        return sites.label(self.site_id, real=self.real)

    @property
    def evidence_label(self) -> str:
        return EVIDENCE_LABELS[self.evidence]

    def numbers(self) -> dict[str, Any]:
        """Plain values for glue, every float rounded once to its declared digits; values
        that are not finite (an estimate that could not be made) are left out and named in
        ``notes``-style by :meth:`not_reported`."""
        plain = {k: v.item() if isinstance(v, np.generic) else v for k, v in self.values.items()}
        return numbers_at_precision(plain, self.digits)

    def not_reported(self) -> list[str]:
        """Names of values left out of :meth:`numbers` because they are not finite."""
        return [k for k, v in self.values.items() if isinstance(v, float | np.floating) and not math.isfinite(float(v))]


# ---------------------------------------------------------------------------------------
# cached computations (keyed by the data folders, so a changed setting is a new entry)
# ---------------------------------------------------------------------------------------
def _case_key() -> str:
    return str(paths.case_data_dir())


@functools.lru_cache(maxsize=64)
def _cohort_effects(site_id: str, outcome: str, m: int, _folder: str) -> cohort.SiteEffects:
    return cohort.shared_site_effects(site_id, outcome, m=m)


@functools.lru_cache(maxsize=16)
def _cost_summary(site_id: str, reps: int, _folder: str) -> costs.SiteCostSummary:
    # Shared by the site, framework and synthesis chapters of one batch (innovate.data.shared_results).
    return shared_results.shared(
        "site_cost_summary", (site_id, reps), lambda: costs.site_cost_summary(site_id, reps=reps)
    )


@functools.lru_cache(maxsize=4)
def _agreement(draws: int, _folder: str) -> pd.DataFrame:
    return shared_results.shared(
        "survey_agreement",
        (draws,),
        lambda: surveys.agreement_table(casedata.load("experience_survey"), "site_id", draws=draws),
    )


@functools.lru_cache(maxsize=4)
def _audit_scores(min_segments: int, cuts: tuple[float, float], _folder: str) -> pd.DataFrame:
    events = casedata.load("stage_events")
    episodes = process.stage_episodes(events, process.study_end_of(events, casedata.manifest()))
    return process.audit_scores(
        casedata.load("coded_segments"),
        process.audit_questions(),
        min_segments=min_segments,
        cuts=cuts,
        reached=process.stages_reached(episodes),
    )


def _estimate_values(prefix: str, low_high: tuple[float, float, float], digits: int, out: dict, dig: dict) -> None:
    value, low, high = low_high
    for suffix, v in (("", value), ("_low", low), ("_high", high)):
        out[f"{prefix}{suffix}"] = float(v)
        dig[f"{prefix}{suffix}"] = digits


#: The site estimands (:data:`innovate.study.estimands.SITE_ESTIMANDS`) of the costs
#: section's values: those quoted with an interval, and the rest.
_COST_ESTIMANDS_WITH_INTERVALS = {
    "delta_cost": "costs.cost_18m.discounted",
    "delta_effect": "costs.missing_averted_18m.discounted",
    "inb": "costs.net_benefit",
}
_COST_ESTIMANDS = {
    "cost_innovation": "costs.cost_innovation_18m",
    "cost_comparison": "costs.cost_comparison_18m",
    "p_cost_effective": "costs.p_cost_effective",
    "p_cost_saving": "costs.p_cost_saving",
    "p_cost_effective_psa": "costs.p_cost_effective_psa",
}


class SiteReport:
    """The report of one site: one method per section of its chapter."""

    def __init__(self, site_id: str):
        if site_id not in sites.SITE_IDS:
            raise KeyError(f"unknown site_id {site_id!r}; the register holds: {', '.join(sites.SITE_IDS)}")
        self.site_id = site_id
        self.record = sites.site(site_id)

    def __repr__(self) -> str:
        return f"SiteReport({self.site_id!r})"

    def label(self, real: bool) -> str:
        return sites.label(self.site_id, real=real)

    # -- real public statistics ---------------------------------------------------------
    def public_statistics(self, measures=PUBLIC_SECTION_MEASURES, model: int = 2021) -> SectionResult:
        """The area against its statistical neighbours and England: for each measure, the
        latest year with a published value for the area."""
        if not self.record.in_dfe_data:
            note = (
                f"{self.record.site_name} is in {self.record.nation}: DfE statistics do not cover it; "
                "Scottish council statistics are the source for this area"
            )
            return SectionResult("public_statistics", self.site_id, "public", {}, {}, {}, (note,), available=False)
        values: dict[str, object] = {}
        digits: dict[str, int] = {}
        comparisons = {}
        notes: list[str] = []
        for measure in measures:
            comp = area.site_vs_neighbours(self.site_id, measure, model)
            comparisons[measure] = comp
            rows = comp.summary.dropna(subset=["site"])
            key = measure.lower()
            if rows.empty:
                notes.append(f"{comp.measure_label}: no published value for the area")
                continue
            last = rows.iloc[-1]
            values[f"{key}_year"] = int(last["year"])
            for name, column in (("area", "site"), ("neighbours", "comparison_median"), ("england", "england")):
                values[f"{key}_{name}"] = float(last[column])
                digits[f"{key}_{name}"] = 1
            notes += [f"{comp.measure_label}: {n}" for n in comp.notes]
        return SectionResult("public_statistics", self.site_id, "public", values, digits, comparisons, tuple(notes))

    # -- area outcomes ----------------------------------------------------------------
    def area_outcomes(self, measure: str | None = None, source: str = "public") -> SectionResult:
        """``source='public'``: ITS, two-way fixed-effects DiD and synthetic control on the
        annual DfE series ``measure`` (default children missing from care; real evidence).
        ``source='synthetic'``: ITS on the case-level monthly area series ``measure``
        (default referrals with extra-familial risk)."""
        if source == "public":
            measure = measure or "children_missing"
            if not self.record.in_dfe_data:
                note = f"{self.record.site_name} is not covered by DfE statistics ({self.record.nation})"
                return SectionResult(
                    "area_outcomes", self.site_id, "public", {}, {}, {"measure": measure}, (note,), False
                )
            analyses = area.site_analyses(self.site_id, measure)
            values: dict[str, object] = {}
            digits: dict[str, int] = {}
            table = analyses.table()
            for key, (_, row) in zip(("its", "did", "synth"), table.iterrows(), strict=True):
                values[f"{key}_estimable"] = not str(row["note"]).startswith("not estimable")
                if values[f"{key}_estimable"]:
                    places = 2 if key == "its" else 1
                    for col in ("estimate", "lower", "upper"):
                        values[f"{key}_{col}"] = float(row[col])
                        digits[f"{key}_{col}"] = places
                    values[f"{key}_p"] = float(row["p_value"])
                    digits[f"{key}_p"] = 3
            data = {"measure": measure, "analyses": analyses, "table": table}
            return SectionResult("area_outcomes", self.site_id, "public", values, digits, data)
        if source == "synthetic":
            measure = measure or "efr_referrals"
            result = area_series.fit_site_series(self.site_id, measure)
            values, digits = {"estimable": bool(getattr(result, "estimable", False))}, {}
            notes: tuple[str, ...] = ()
            if result.estimable:
                _estimate_values("level_ratio", result.level.natural(), 2, values, digits)
                if result.slope is not None:
                    _estimate_values("slope_ratio", result.slope.natural(), 3, values, digits)
                values["n_pre"], values["n_post"] = int(result.n_pre), int(result.n_post)
            else:
                notes = (f"not estimable: {result.reason}",)
            data = {"measure": measure, "result": result}
            return SectionResult("area_outcomes", self.site_id, case_evidence(), values, digits, data, notes)
        raise ValueError(f"area_outcomes: source must be 'public' or 'synthetic', got {source!r}")

    # -- case-level sections ---------------------------------------------------------------
    def journey(self) -> SectionResult:
        """Stage episodes, stalls and where the innovation stands at the end of the study."""
        events = casedata.load("stage_events")
        study_end = process.study_end_of(events, casedata.manifest())
        mine = events[events["site_id"] == self.site_id]
        episodes = process.stage_episodes(events, study_end, self.site_id)
        summary = process.journey_summary(events, study_end)
        row = summary[summary["site_id"] == self.site_id]
        if row.empty:
            raise KeyError(f"no stage events for site {self.site_id!r} in stage_events")
        r = row.iloc[0]
        values = {
            "current_stage": process.STAGE_LABELS[r["current_stage"]],
            "furthest_stage": process.STAGE_LABELS[r["furthest_stage"]],
            "episodes": int(r["episodes"]),
            "stalls": int(r["stalls"]),
            "restarts": int(r["restarts"]),
            "regressions": int(r["regressions"]),
            "stalled_at_end": bool(r["stalled_at_end"]),
            "sustained": bool(r["sustained"]),
            "months_to_integrating": float(r["months_to_integrating"]),
            "stalled_percent": 100 * float(r["stalled_share"]),
        }
        digits = {"months_to_integrating": 0, "stalled_percent": 0}
        data = {"events": mine, "episodes": episodes, "summary": row.reset_index(drop=True), "study_end": study_end}
        return SectionResult("journey", self.site_id, case_evidence(), values, digits, data)

    def cohort_outcomes(self, outcome: str = "missing_episodes", m: int = 20) -> SectionResult:
        """The cohort effect at this site: multiple imputation (primary), available case and
        complete case, on the display scale (rate ratio for counts, 18-month difference for
        scores). Cached per site, outcome and ``m``."""
        effects = _cohort_effects(self.site_id, outcome, m, _case_key())
        values: dict[str, object] = {}
        digits: dict[str, int] = {}
        keys: dict[str, str] = {}
        quantity = estimands.COHORT_QUANTITIES[outcome][0]
        for method in ("primary", "available_case", "complete_case"):
            est = cohort.display_estimate(effects.estimate(method), outcome, method)
            _estimate_values(method, est.natural(), 2, values, digits)
            site_method = "mi" if method == "primary" else method
            keys |= estimands.with_interval(method, estimands.at_site(f"{quantity}.site_{site_method}", self.site_id))
        values["primary_p"] = float(effects.primary.effect.p_value)
        digits["primary_p"] = 3
        values["m"] = int(m)
        data = {"outcome": outcome, "effects": effects}
        return SectionResult("cohort_outcomes", self.site_id, case_evidence(), values, digits, data, estimands=keys)

    def experience(self, draws: int = 500) -> SectionResult:
        """Standardised % agreeing (4 or 5) with each experience item, from the model over all
        sites (the same estimand as the experiences chapter)."""
        table = _agreement(draws, _case_key())
        mine = table[table["group"] == self.site_id].reset_index(drop=True)
        if mine.empty:
            raise KeyError(f"no experience survey responses for site {self.site_id!r}")
        values: dict[str, object] = {}
        digits: dict[str, int] = {}
        keys: dict[str, str] = {}
        for _, r in mine.iterrows():
            for suffix, column in (("", "probability"), ("_low", "lower"), ("_high", "upper")):
                values[f"{r['item']}{suffix}"] = 100 * float(r[column])
                digits[f"{r['item']}{suffix}"] = 0
            keys |= estimands.with_interval(
                r["item"], estimands.at_site(f"experience.{r['item']}.agree_pct", self.site_id)
            )
        values["respondents"] = int(mine["n_used"].max())
        return SectionResult(
            "experience", self.site_id, case_evidence(), values, digits, {"agreement": mine}, estimands=keys
        )

    def costs(self, reps: int = costs.BOOTSTRAP_REPS) -> SectionResult:
        """Costs per young person and value for money (the costs chapter's site summary)."""
        summary = _cost_summary(self.site_id, reps, _case_key())
        raw = summary.numbers()
        # The ICER exists only where it means something (see costs.SiteCostSummary); a glued
        # name that comes and goes with the data would make the chapter depend on the data
        # set's luck, so the section leaves it to the summary table.
        raw.pop("icer", None)
        money = {
            "cost_innovation",
            "cost_comparison",
            "delta_cost",
            "delta_cost_low",
            "delta_cost_high",
            "inb",
            "inb_low",
            "inb_high",
        }
        digits = {k: (0 if k in money else 2) for k, v in raw.items() if isinstance(v, float)}
        values = {k: (int(v) if isinstance(v, int | np.integer) else float(v)) for k, v in raw.items()}
        values["wtp"] = float(summary.wtp)
        digits["wtp"] = 0
        keys = {name: estimands.at_site(key, self.site_id) for name, key in _COST_ESTIMANDS.items()}
        for name, key in _COST_ESTIMANDS_WITH_INTERVALS.items():
            keys |= estimands.with_interval(name, estimands.at_site(key, self.site_id))
        return SectionResult(
            "costs",
            self.site_id,
            case_evidence(),
            values,
            digits,
            {"summary": summary},
            tuple(summary.notes),
            estimands=keys,
        )

    def facilitators_barriers(self, n: int = 3) -> SectionResult:
        """Coded facilitators and barriers at this site: totals, the facilitator share and the
        ``n`` codes most often coded in each domain."""
        segments = casedata.load("coded_segments")
        mine = segments[segments["site_id"] == self.site_id]
        if mine.empty:
            raise KeyError(f"no coded segments for site {self.site_id!r}")
        labels = process.code_labels()
        profile = process.site_code_profile(segments)
        profile = profile[(profile["site_id"] == self.site_id) & (profile["segments"] > 0)].reset_index(drop=True)
        n_fac = int((mine["domain"] == "facilitator").sum())
        values = {
            "segments": len(mine),
            "facilitators": n_fac,
            "barriers": len(mine) - n_fac,
            "facilitator_percent": 100 * n_fac / len(mine),
            "top_facilitators": ", ".join(labels.get(c, c).lower() for c in process.top_codes(mine, "facilitator", n)),
            "top_barriers": ", ".join(labels.get(c, c).lower() for c in process.top_codes(mine, "barrier", n)),
        }
        return SectionResult(
            "facilitators_barriers",
            self.site_id,
            case_evidence(),
            values,
            {"facilitator_percent": 0},
            {"profile": profile, "labels": labels},
        )

    def trustworthy_audit(self, min_segments: int = 3, cuts: tuple[float, float] = (40.0, 70.0)) -> SectionResult:
        """The trustworthy-innovation audit of this site (the trustworthy chapter's rubric)."""
        scores = _audit_scores(min_segments, tuple(cuts), _case_key())
        mine = scores[(scores["site_id"] == self.site_id) & scores["applies"]]
        values = {
            "cells": len(mine),
            "mean_score": float(mine["score"].mean()) if len(mine) else float("nan"),
            "not_evidenced_percent": float(100 * (mine["score"] == 0).mean()) if len(mine) else float("nan"),
            "met_percent": float(100 * (mine["score"] == 3).mean()) if len(mine) else float("nan"),
        }
        digits = {"mean_score": 1, "not_evidenced_percent": 0, "met_percent": 0}
        data = {"matrix": process.audit_matrix(scores, self.site_id), "scores": mine.reset_index(drop=True)}
        return SectionResult("trustworthy_audit", self.site_id, case_evidence(), values, digits, data)

    def sections(self) -> dict[str, SectionResult]:
        """Every section with its default settings, in the chapter's order."""
        return {name: getattr(self, name)() for name in SECTIONS}


def site(site_id: str) -> SiteReport:
    """The report of one site of the register; ``KeyError`` naming the known ids otherwise."""
    return SiteReport(site_id)
