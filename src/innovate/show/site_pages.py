"""The words of a site chapter: key messages, the site's public context, its confounders,
what sustains it and the summary.

Two kinds of text live here.

* **Generation time** (:func:`context_markdown`, :func:`confounders_markdown`,
  :func:`chapter_fields`): facts from the curated reference files
  (``data/reference/site_context.csv``, ``context_events.csv``, ``sites.csv``), written
  into the chapter's Markdown when :mod:`innovate.show.site_template` renders it, each with
  its source. They carry no computed number.
* **Run time** (:func:`public_messages`, :func:`scotland_messages`, :func:`case_messages`):
  sentences with numbers, built from the computed sections at the precision each section
  declares and glued as text, so no number in a site chapter is typed by hand. Sentences
  on synthetic results name the site by its pseudonym only.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from innovate.data import site_context, sites
from innovate.study import process

KINDS = ("la", "region", "scotland")


def kind(site_id: str) -> str:
    """'la' (an English local authority), 'region' (Safer London) or 'scotland'."""
    record = sites.site(site_id)
    if record.nation == "Scotland":
        return "scotland"
    return "region" if record.area_level == "Regional" else "la"


def slug(site_id: str) -> str:
    return site_id.replace("_", "-")


_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAY_RANGE = re.compile(rf"\b\d{{1,2}}-\d{{1,2}} ({_MONTHS})\b")


def _detail(text: str) -> str:
    """An event's detail with a span of days ('16-27 September 2019') given as its month:
    the chapter dates events to the day or the month, never to a span."""
    return _DAY_RANGE.sub(r"\1", text)


def _month(value) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


# ---------------------------------------------------------------------------------------
# generation time: facts with sources
# ---------------------------------------------------------------------------------------
def _cite(row) -> str:
    if row["citation_key"]:
        return f" {{cite:p}}`{row['citation_key']}`"
    if row["source_url"]:
        return f" (Source: [{row['source']}]({row['source_url']}).)"
    return ""


def context_markdown(site_id: str) -> str:
    """The site and its innovation, from public sources, as Markdown (no computed numbers)."""
    facts = site_context.for_site(site_id)
    record = sites.site(site_id)
    heads = {
        "organisation": "**The organisation.**",
        "framework": f"**The framework: {record.framework_label}.**",
        "aim": "**What it set out to change.**",
        "context": "**Public context.**",
    }
    lines: list[str] = []
    for topic, head in heads.items():
        rows = facts[facts["topic"] == topic]
        if topic == "aim" and rows.empty:
            lines.append(
                f"{head} No public source the book could check states what this site's work set out to change; "
                "the book does not guess."
            )
            continue
        if rows.empty:
            continue
        lines.append(head + " " + " ".join(r["statement"] + _cite(r) for _, r in rows.iterrows()))
    events = process.context_events()
    mine = events[(events["site_id"] == site_id) | (events["site_id"] == "")].sort_values("date")
    if len(mine):
        items = [
            f"- {_month(e['date']) if e['date_precision'] == 'month' else pd.Timestamp(e['date']).strftime('%d %B %Y').lstrip('0')}: "
            f"{e['label']}. {_detail(e['detail'])}. (Source: [{e['source']}]({e['source_url']}).)"
            for _, e in mine.iterrows()
        ]
        lines.append("**Inspection judgements and events on the timeline.**\n\n" + "\n".join(items))
    missing = facts[facts["topic"] == "not_found"]
    start = (
        f"The book dates the start of the innovation to {_month(record.innovation_start)}"
        + (", an assumption: " if record.start_is_assumption else ": ")
        + "the site register gives the reason."
    )
    gaps = [start, *missing["statement"].tolist()]
    lines.append("**What no public source says.** " + " ".join(gaps))
    return "\n\n".join(lines)


def confounders_markdown(site_id: str) -> str:
    """What else changed in this site's area around the innovation (public facts only)."""
    record = sites.site(site_id)
    events = process.context_events()
    mine = events[(events["site_id"] == site_id) | (events["site_id"] == "")].sort_values("date")
    items = []
    for _, e in mine.iterrows():
        items.append(f"- {e['label']} ({_month(e['date'])}): {_detail(e['detail'])}.")
    facts = site_context.for_site(site_id)
    for _, r in facts[facts["topic"] == "context"].iterrows():
        items.append(f"- {r['statement']}")
    if record.start_is_assumption:
        items.append(
            f"- The start date ({_month(record.innovation_start)}) is an assumption; the sensitivity check that "
            "counts the innovation from a year later shows how much the estimates lean on it."
        )
    if record.area_level == "Regional":
        items.append(
            "- The area is the whole London region, while the charity works with some young people in some "
            "boroughs: any change in London's rates mixes its work with everything else London's boroughs did."
        )
    items.append(
        "- Recording practice: areas differ, and change over time, in how they recognise and record "
        "extra-familial risk, so a change in a recorded rate may be a change in recording."
    )
    return "\n".join(items)


def chapter_fields(site_id: str) -> dict[str, str]:
    """The placeholders of the chapter template for one site."""
    record = sites.site(site_id)
    return {
        "site_id": site_id,
        "slug": slug(site_id),
        "p": f"site_{site_id}_",
        "title": record.site_name,
        "name": sites.SHORT_NAMES[site_id],
        "pseudonym": sites.pseudonym(site_id),
        "framework": record.framework_label,
        "start": _month(record.innovation_start),
        "start_status": "an assumption (no dated public source was found)"
        if record.start_is_assumption
        else "taken from a dated public source",
        "context": context_markdown(site_id),
        "confounders": confounders_markdown(site_id),
    }


# ---------------------------------------------------------------------------------------
# run time: sentences with numbers
# ---------------------------------------------------------------------------------------
def _money(value) -> str:
    return f"{'-' if value < 0 else ''}£{abs(value):,.0f}"


def _n(value, places: int) -> str:
    return f"{value:,.{places}f}"


def public_messages(profile) -> dict[str, str]:
    """Sentences on an English area's public statistics (:class:`AreaProfile`)."""
    v, name = profile.numbers(), profile.spec.name
    kind_word = "its statistical neighbours" if profile.spec.level == "Local authority" else "the other English regions"
    out: dict[str, str] = {}
    if "child_sexual_exploitation_area" in v:
        out["km_rates"] = (
            f"In the year to March {v['child_sexual_exploitation_year']}, child sexual exploitation was identified at "
            f"assessment at {_n(v['child_sexual_exploitation_area'], 1)} per 10,000 children in {name}, "
            f"{v['child_sexual_exploitation_vs_neighbours']} the median of {kind_word} "
            f"({_n(v['child_sexual_exploitation_neighbours'], 1)}; England {_n(v['child_sexual_exploitation_england'], 1)})."
        )
    if "children_missing_area" in v:
        out["km_missing"] = (
            f"Looked-after children who went missing: {_n(v['children_missing_area'], 1)} per 10,000 children in "
            f"{v['children_missing_year']}, {v['children_missing_vs_neighbours']} the comparison median of "
            f"{_n(v['children_missing_neighbours'], 1)} (England {_n(v['children_missing_england'], 1)})."
        )
    if "spend_area" in v:
        out["km_spend"] = (
            f"Section 251 spend on children's and young people's services was £{_n(v['spend_area'], 0)} per child "
            f"in 2024-25 at 2024-25 prices, against a comparison median of £{_n(v['spend_neighbours'], 0)} and "
            f"£{_n(v['spend_england'], 0)} in England."
        )
    out["km_analyses"] = analyses_sentence(profile)
    out["summary_public"] = " ".join(out.get(k, "") for k in ("km_rates", "km_missing")).strip()
    return out


def analyses_sentence(profile) -> str:
    v = profile.numbers()
    fitted, total = v["designs_estimable"], v["designs_total"]
    parts = [f"Of the {total} area analyses of looked-after children who went missing, {fitted} could be fitted."]
    if "its_estimate" in v and "its_lower" in v:
        parts.append(
            f"The interrupted time series of the area alone gives a rate ratio of {_n(v['its_estimate'], 2)} "
            f"(95% interval {_n(v['its_lower'], 2)} to {_n(v['its_upper'], 2)})"
            + (
                f"; against the pooled comparison areas, {_n(v['cits_estimate'], 2)} "
                f"({_n(v['cits_lower'], 2)} to {_n(v['cits_upper'], 2)})."
                if "cits_lower" in v
                else "."
            )
        )
    if "did_estimate" in v:
        parts.append(
            f"The difference in differences is {_n(v['did_estimate'], 1)} per 10,000 children"
            + (f" (placebo p-value {_n(v['did_p'], 2)})." if "did_p" in v else ".")
        )
    if "synth_estimate" in v:
        parts.append(f"The synthetic control's mean gap is {_n(v['synth_estimate'], 1)} per 10,000 children.")
    parts.append("None of these is the effect of the innovation without the caveats and confounders below.")
    return " ".join(parts)


def scotland_messages(profile) -> dict[str, str]:
    """Sentences on a Scottish council (:class:`ScotlandProfile`)."""
    v, name = profile.numbers(), profile.name
    return {
        "km_rates": (
            f"At 31 July 2021, {v['register_count']:,} children were on the child protection register in {name}, "
            f"{_n(v['register_area'], 1)} per 1,000 children aged 0-15, {v['register_vs_median']} the median of "
            f"Scotland's councils ({_n(v['register_median'], 1)}; Scotland {_n(v['register_scotland'], 1)})."
        ),
        "km_missing": (
            f"{v['looked_after_count']:,} children were looked after at 31 July 2021, {_n(v['looked_after_area'], 1)} "
            f"per 1,000 aged 0-17, {v['looked_after_vs_median']} the council median of "
            f"{_n(v['looked_after_median'], 1)} (Scotland {_n(v['looked_after_scotland'], 1)})."
        ),
        "km_spend": (
            f"In {v['lgbf_last_year']}, {_n(v['chn23_area'], 1)}% of {name}'s looked-after children had more than "
            f"one placement in the year, against a council median of {_n(v['chn23_median'], 1)}%; the child "
            f"population aged 0-17 changed by {_n(v['population_change_percent'], 1)}% from "
            f"{v['population_first_year']} to {v['population_last_year']} (Scotland "
            f"{_n(v['population_scotland_change_percent'], 1)}%)."
        ),
        "km_analyses": (
            "No area analysis can be run: the book holds the council's register and looked-after counts for one "
            "year only, and Scotland publishes no council series of extra-familial harm like the English factors."
        ),
        "summary_public": (
            f"{name}'s register and looked-after rates in 2021 were both {v['register_vs_median']} the median of "
            "Scotland's councils."
            if v["register_vs_median"] == v["looked_after_vs_median"]
            else f"{name}'s register rate in 2021 was {v['register_vs_median']} the median of Scotland's councils "
            f"and its looked-after rate {v['looked_after_vs_median']} it."
        ),
    }


def case_messages(journey, facilitators, costs=None) -> dict[str, str]:
    """Sentences on the case-level sections; the site is named as each section labels it
    (its pseudonym on synthetic data)."""
    j, f = journey.numbers(), facilitators.numbers()
    label = journey.label
    data = "In the synthetic data" if journey.synthetic else "In the study's data"
    stalls = j["stalls"]
    journey_text = (
        f"{data}, {label} reached the {j['furthest_stage'].lower()} stage and stood at "
        f"{j['current_stage'].lower()} at the end of the study, after {j['episodes']} stage episodes and "
        f"{stalls} stall{'s' if stalls != 1 else ''}"
        + (", and is counted as sustained." if j["sustained"] else "; it is not counted as sustained.")
    )
    sustain = (
        f"{data}, {_n(f['facilitator_percent'], 0)}% of the {f['segments']:,} coded segments at {label} were "
        f"facilitators. Most often coded as facilitators: {f['top_facilitators']}; as barriers: {f['top_barriers']}."
    )
    out = {"km_case": journey_text, "sustain": sustain, "case_label": label}
    if costs is not None:
        c = costs.numbers()
        if "delta_cost" in c:
            out["costs_text"] = (
                f"{data}, the adjusted difference in cost per young person at {label} (innovation minus comparison) "
                f"was {_money(c['delta_cost'])} (95% interval {_money(c['delta_cost_low'])} to "
                f"{_money(c['delta_cost_high'])})."
            )
    return out


def finite(value) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)
