"""The numbers the process chapters' prose reads, one :class:`~innovate.show.glue.Numbers` per section.

The stages chapter glues them under ``stages_``, the chapter on what promotes and sustains
innovation under ``promotes_`` and the trustworthy-innovation audit under ``trust_``.
Shares are per cent and durations months, at the decimals the prose prints.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from innovate.errors import require_table
from innovate.show import text
from innovate.show.glue import Numbers
from innovate.show.process_display import PRINCIPLE_LABELS
from innovate.show.text import agreeing, counted
from innovate.study import process

#: Stages a site had not yet passed when it was 'early' in its journey.
EARLY_STAGES = ("mobilising", "designing", "developing")


def _date(value) -> str:
    """A date as the prose writes it: '23 March 2020'."""
    return f"{pd.Timestamp(value):%-d %B %Y}"


# ---------------------------------------------------------------------------------------
# Stages of innovation (prefix stages_)
# ---------------------------------------------------------------------------------------
def stage_journeys(summary: pd.DataFrame, episodes: pd.DataFrame, context: pd.DataFrame, study_end) -> Numbers:
    """The sites' journeys to ``study_end``: setbacks, trajectories, months to integrating,
    the longest share of time stalled, and where the sites stood at the COVID-19 lockdown
    (the first context event whose label names COVID)."""
    require_table(
        summary,
        ["stalls", "regressions", "re_entries", "sustained", "grew", "months_to_integrating"],
        "journey summary",
    )
    require_table(episodes, ["site_id", "stalled_days", "days"], "stage episodes")
    require_table(context, ["label", "date"], "context events")
    reached = summary["months_to_integrating"].dropna()
    if reached.empty:
        raise ValueError("journey summary: no site reached integrating, so months to integrating has no range")
    stalled = episodes.groupby("site_id")[["stalled_days", "days"]].sum()
    covid = context.loc[context["label"].str.contains("COVID"), "date"]
    if covid.empty:
        raise ValueError("context events: no event whose label names COVID (the lockdown the prose dates)")
    lockdown = covid.iloc[0]
    at_lockdown = process.stage_on(episodes, lockdown)
    n_sites = len(summary)
    n_stalled, n_regressed = int((summary["stalls"] > 0).sum()), int((summary["regressions"] > 0).sum())
    n_sustained, n_grew = int(summary["sustained"].sum()), int(summary["grew"].sum())
    n_reentries = int(summary["re_entries"].sum())
    n_early = sum(1 for stage in at_lockdown.values() if stage in EARLY_STAGES)
    return Numbers(
        {
            "study_end": _date(study_end),
            "n_sites": n_sites,
            "n_episodes": len(episodes),
            "n_stalled_sites": n_stalled,
            "n_regressed_sites": n_regressed,
            "n_reentries": n_reentries,
            "n_sustained": n_sustained,
            "n_grew": n_grew,
            "n_reached_integrating": len(reached),
            # the counts as the sentences say them, right for every value ('all 6 journeys', '1 was')
            "stalled_text": text.of_total(n_stalled, n_sites, "journey"),
            "regressed_text": "none" if n_regressed == 0 else f"{n_regressed:,}",
            "reentries_text": text.plural(n_reentries, "time"),
            "reached_text": text.plural(len(reached), "journey"),
            "sustained_text": text.plural(n_sustained, "journey"),
            "grew_text": agreeing(n_grew, "was", "were"),
            "early_text": counted(n_early, "journey", "journeys", "was", "were"),
            "months_integrating_min": float(reached.min()),
            "months_integrating_max": float(reached.max()),
            "months_integrating_median": float(reached.median()),
            "stalled_pct_max": float(100 * (stalled["stalled_days"] / stalled["days"]).max()),
            "lockdown_date": _date(lockdown),
            "n_early_at_lockdown": n_early,
            "n_not_started_at_lockdown": sum(1 for stage in at_lockdown.values() if stage is None),
        },
        digits=dict.fromkeys(
            ("months_integrating_min", "months_integrating_max", "months_integrating_median", "stalled_pct_max"), 0
        ),
    )


# ---------------------------------------------------------------------------------------
# What promotes and sustains innovation (prefix promotes_)
# ---------------------------------------------------------------------------------------
def facilitator_shares(segments: pd.DataFrame, matrix, codes: Mapping[str, str], threshold: int) -> Numbers:
    """Coded segments: the facilitator share overall, in the early stages (mobilising,
    designing) and the late ones (integrating onwards), the three commonest facilitators
    and barriers, and how many cells of the site-by-stage matrix (``matrix``:
    :func:`innovate.study.process.framework_matrix`) disclosure control withheld."""
    require_table(segments, ["stage", "domain", "code"], "coded segments")
    by_stage = process.stage_shares(segments).set_index("stage")
    early = by_stage.loc[["mobilising", "designing"]]
    late = by_stage.loc[["integrating", "growing", "system_change"]]
    for name, part in (("all stages", by_stage), ("early stages", early), ("late stages", late)):
        if part["segments"].sum() == 0:
            raise ValueError(f"coded segments: none in the {name}, so the facilitator share is undefined")
    reasons = matrix.protected.counts_by_reason()
    n_withheld = int(reasons["primary"] + reasons["secondary"] + reasons["total"])
    n_cells = int(matrix.base.size)

    def share(part):
        return float(100 * part["facilitators"].sum() / part["segments"].sum())

    def top(domain):
        return ", ".join(codes[c].lower() for c in process.top_codes(segments, domain))

    return Numbers(
        {
            "threshold": int(threshold),
            "n_segments": int(by_stage["segments"].sum()),
            "fac_pct": share(by_stage),
            "fac_early_pct": share(early),
            "fac_late_pct": share(late),
            "top_facilitators": top("facilitator"),
            "top_barriers": top("barrier"),
            "n_withheld": n_withheld,
            "n_cells": n_cells,
            "withheld_text": text.of_total(n_withheld, n_cells, "count"),  # 'none of the 72 counts'
            "withheld_count_text": counted(n_withheld, "count", "counts", "was", "were"),  # '1 count was'
        },
        digits={"fac_pct": 0, "fac_early_pct": 0, "fac_late_pct": 0},
    )


def cross_case_numbers(result: Mapping, codes: Mapping[str, str]) -> Numbers:
    """One cross-case comparison (:func:`innovate.study.process.cross_case`): the sites in
    and out of the group, the smallest p-value the design allows (text: 'undefined' when
    the groups cannot be compared), how many codes reach it, and the code whose facilitator
    share differs most."""
    comparable = bool(result["comparable"])
    table = result["table"].dropna(subset=["share_p"])
    n_at_min = int((table["share_p"] <= result["smallest_p"] + 1e-9).sum()) if comparable else 0
    top = table.reindex(table["share_difference"].abs().sort_values(ascending=False, kind="stable").index)
    if comparable and top.empty:
        raise ValueError("cross-case comparison: comparable groups but no code with a p-value")
    n_in = int(result["n_in"])
    return Numbers(
        {
            "n_in": n_in,
            "n_out": int(result["n_sites"] - n_in),
            "min_p": f"{result['smallest_p']:.2f}" if comparable else "undefined",
            "n_codes": len(table),
            "n_at_min": n_at_min,
            "at_min_text": text.of_total(n_at_min, len(table), "code"),  # '3 of the 27 codes', 'all 27 codes'
            "in_text": text.plural(n_in, "journey"),  # '1 journey', '4 journeys'
            "top_code": codes[top["code"].iloc[0]].lower() if comparable else "none",
        }
    )


# ---------------------------------------------------------------------------------------
# Trustworthy innovation: the audit (prefix trust_)
# ---------------------------------------------------------------------------------------
def audit_numbers(
    questions: pd.DataFrame, scores: pd.DataFrame, min_segments: int, cuts: tuple[float, float]
) -> Numbers:
    """The audit (:func:`innovate.study.process.audit_scores`): questions and principles,
    the rubric's settings, the share of applicable cells at each score 0-3, and the
    principles with the lowest and highest mean score and the most cells not evidenced."""
    require_table(questions, ["principle"], "audit questions")
    require_table(scores, ["applies", "score"], "audit scores")
    audited = scores[scores["applies"]]
    if audited.empty:
        raise ValueError("audit scores: no question applies at any site and stage")
    principles = process.principle_summary(scores).set_index("principle")
    low, high = cuts
    values = {
        "n_questions": len(questions),
        "n_principles": questions["principle"].nunique(),
        "min_segments": int(min_segments),
        "cut_low": float(low),
        "cut_high": float(high),
        "n_cells": len(audited),
        **{f"pct_score_{k}": float(100 * (audited["score"] == k).mean()) for k in range(4)},
        "lowest_principle": PRINCIPLE_LABELS[principles["mean_score"].idxmin()].lower(),
        "lowest_principle_mean": float(principles["mean_score"].min()),
        "highest_principle": PRINCIPLE_LABELS[principles["mean_score"].idxmax()].lower(),
        "highest_principle_mean": float(principles["mean_score"].max()),
        "most_unevidenced": PRINCIPLE_LABELS[principles["not_evidenced"].idxmax()].lower(),
        "most_unevidenced_pct": float(principles["not_evidenced"].max()),
    }
    digits = {"cut_low": 0, "cut_high": 0, "lowest_principle_mean": 1, "highest_principle_mean": 1}
    digits |= {"most_unevidenced_pct": 0, **{f"pct_score_{k}": 0 for k in range(4)}}
    return Numbers(values, digits)
