"""The words of a framework chapter: its placeholders (generation time) and its sentences
with numbers (run time).

* **Generation time** (:func:`chapter_fields`, :func:`kind`): names, pseudonyms, dates and
  the caveats that follow from what kind of area each site is, from the curated site
  register; written into the chapter's Markdown when
  :mod:`innovate.show.site_template` renders it. No computed number.
* **Run time** (:func:`public_messages`, :func:`case_messages`,
  :func:`contrast_messages`): sentences built from the computed comparison at the
  precision it declares, glued as text. Sentences on public statistics name the areas;
  sentences on the case-level data name the sites by their labels (pseudonyms on
  synthetic data) and never say a real name.
"""

from __future__ import annotations

import pandas as pd

from innovate.data import sites
from innovate.show import site_pages
from innovate.study.framework_compare import MEASURES, PairProfile

#: Where each framework's definition lives (Markdown, included into its chapter).
DEFINITIONS = "book/frameworks/definitions"


def kind(framework: str) -> str:
    """'england' when both sites' areas are English, 'mixed' when one is Scottish."""
    nations = {sites.site(s).nation for s in sites.FRAMEWORKS[framework]}
    return "england" if nations == {"England"} else "mixed"


def _area_sentence(site_id: str) -> str:
    record = sites.site(site_id)
    name = sites.SHORT_NAMES[site_id]
    k = site_pages.kind(site_id)
    if k == "scotland":
        return (
            f"{name} is a Scottish council, set against Scotland's other councils; Scotland is not in the "
            "Department for Education's statistics, so its area is described by the Scottish series the book ships."
        )
    if k == "region":
        return (
            f"{name}'s area in the statistics is the whole {record.dfe_area_name} region, set against the "
            "other English regions, while the charity works with some young people in some boroughs."
        )
    return f"{name} is an English local authority, set against its ten statistical neighbours."


def pair_note(framework: str) -> str:
    """What kinds of area the two sites are, and what that does to comparing them."""
    a, b = sites.FRAMEWORKS[framework]
    text = [_area_sentence(a), _area_sentence(b)]
    if kind(framework) == "mixed":
        text.append(
            "England and Scotland define and count children's social care differently (Scotland has its own "
            "children's hearings system, and its counts are taken at 31 July, England's at 31 March), so only a "
            "few measures can be set side by side, and even those are not like for like."
        )
    elif site_pages.kind(a) != site_pages.kind(b):
        text.append(
            "A region and a local authority are areas of a different size and make-up, so the two are set "
            "against different comparison areas and their differences are not the difference between two services."
        )
    return " ".join(text)


#: One sentence per framework for the key messages, each claim one its source makes (see
#: the definitions under :data:`DEFINITIONS` and their status notes).
IN_BRIEF: dict[str, str] = {
    "contextual_safeguarding": (
        "Contextual Safeguarding asks child protection to target the social conditions of abuse - the peer "
        "groups, schools and places where young people are harmed outside the family - and to measure change "
        "in those contexts, with partners who hold influence over them {cite:p}`firmin2020contextual`."
    ),
    "trauma_informed_practice": (
        "A trauma-informed approach asks a service to realise how widespread the impact of trauma is, recognise "
        "its signs, respond by building that knowledge into policy and practice, and resist re-traumatising "
        "the people it serves {cite:p}`samhsa2014trauma`."
    ),
    "transitional_safeguarding": (
        "Transitional Safeguarding is an approach to safeguarding adolescents and young adults that works "
        "fluidly across developmental stages and learns from both children's and adults' safeguarding "
        "{cite:p}`holmes2018transitional`."
    ),
}


def area_name(site_id: str) -> str:
    """The name of a site's area in the public statistics (London for Safer London)."""
    return sites.site(site_id).dfe_area_name or sites.SHORT_NAMES[site_id]


def _month(value) -> str:
    return pd.Timestamp(value).strftime("%B %Y")


def chapter_fields(framework: str) -> dict[str, str]:
    """The placeholders of the framework template for one framework."""
    if framework not in sites.FRAMEWORKS:
        raise KeyError(f"unknown framework {framework!r}; known: {', '.join(sites.FRAMEWORKS)}")
    a, b = sites.FRAMEWORKS[framework]
    slug = framework.replace("_", "-")
    starts = []
    for s in (a, b):
        record = sites.site(s)
        starts.append(
            f"the innovation at {sites.SHORT_NAMES[s]} from {_month(record.innovation_start)}"
            + (" (an assumption)" if record.start_is_assumption else "")
        )
    return {
        "framework": framework,
        "slug": slug,
        "p": f"fw_{framework}_",
        "title": sites.FRAMEWORK_LABELS[framework],
        "initials": sites.framework_initials(framework),
        "name_1": sites.SHORT_NAMES[a],
        "name_2": sites.SHORT_NAMES[b],
        "organisation_1": sites.site(a).site_name,
        "organisation_2": sites.site(b).site_name,
        "area_1": area_name(a),
        "area_2": area_name(b),
        "slug_1": site_pages.slug(a),
        "slug_2": site_pages.slug(b),
        "pseudonym_1": sites.pseudonym(a),
        "pseudonym_2": sites.pseudonym(b),
        "definition": f"../../{DEFINITIONS}/{slug}.md",
        "pair_note": pair_note(framework),
        "in_brief": IN_BRIEF[framework],
        "starts": "The book dates " + " and ".join(starts) + "; the site register gives each reason.",
    }


# ---------------------------------------------------------------------------------------
# run time: sentences with numbers
# ---------------------------------------------------------------------------------------
#: The measures the key messages quote, first those both areas publish.
KEY_MEASURES = ("child_sexual_exploitation", "child_criminal_exploitation", "children_missing", "looked_after")


def _value(measure: str, v: float) -> str:
    places = MEASURES[measure][2]
    if measure == "spend":
        return f"£{v:,.0f}"
    return f"{v:,.{places}f}"


def _when(row) -> str:
    if row["measure"] == "population_change":
        return f"{int(row['first_year'])} to {int(row['year'])}"
    if row["nation"] == "Scotland":
        return (
            f"31 July {int(row['year'])}" if row["measure"] in ("register", "looked_after") else str(int(row["year"]))
        )
    return f"year to March {int(row['year'])}" if row["measure"] != "looked_after" else f"31 March {int(row['year'])}"


def measure_sentence(pair: PairProfile, measure: str) -> str | None:
    """One sentence on a measure both areas publish, or None."""
    rows = pair.rows[pair.rows["measure"] == measure].set_index("site_id")
    if len(rows) < 2:
        return None
    a, b = (rows.loc[s] for s in pair.site_ids)
    nationals = {a["nation"]: a["national"], b["nation"]: b["national"]}
    if measure == "population_change":
        national = "; ".join(f"{n} {v:.1f}%" for n, v in nationals.items())
        return (
            f"From {int(a['first_year'])} to {int(a['year'])}, the number of children aged 0-17 changed by "
            f"{a['area']:.1f}% in {a['area_name']} and {b['area']:.1f}% in {b['area_name']} ({national})."
        )
    label, unit, _ = MEASURES[measure]
    same_when = _when(a) == _when(b)
    parts_a = f"{_value(measure, a['area'])} in {a['area_name']}" + ("" if same_when else f" ({_when(a)})")
    parts_b = f"{_value(measure, b['area'])} in {b['area_name']}" + ("" if same_when else f" ({_when(b)})")
    national = "; ".join(f"{n} {_value(measure, v)}" for n, v in nationals.items())
    when = f", {_when(a)}" if same_when else ""
    return f"{label}{when}, {unit}: {parts_a} and {parts_b} ({national})."


def public_messages(pair: PairProfile) -> dict[str, object]:
    """Sentences on the two areas' public statistics, each number at its table's precision."""
    shared = [m for m in MEASURES if (pair.rows["measure"] == m).sum() == 2]
    quoted = [m for m in KEY_MEASURES if m in shared][:3] or shared[:2]
    # quoted holds only measures both areas publish, so every sentence exists
    out: dict[str, object] = {"km_public": " ".join(filter(None, (measure_sentence(pair, m) for m in quoted)))}
    if "population_change" in shared:
        out["population"] = measure_sentence(pair, "population_change")
    only = []
    for s in pair.site_ids:
        mine = set(pair.rows.loc[pair.rows["site_id"] == s, "measure"]) - set(shared)
        if mine:
            names = ", ".join(MEASURES[m][0].lower() for m in MEASURES if m in mine)
            only.append(f"for {pair.names[s]} only: {names}")
    out["one_area_only"] = (
        "Published for one area only - " + "; ".join(only) + "." if only else "Both areas publish every measure shown."
    )
    out["shared_measures"] = len(shared)
    out["measures"] = len(set(pair.rows["measure"]))
    return out


def case_messages(sections_1: dict, sections_2: dict) -> dict[str, str]:
    """The site chapters' case sentences for both sites (``s1_``, ``s2_`` prefixes)."""
    out: dict[str, str] = {}
    for tag, sec in (("s1_", sections_1), ("s2_", sections_2)):
        words = site_pages.case_messages(sec["journey"], sec["facilitators_barriers"], sec["costs"])
        out.update({tag + k: v for k, v in words.items()})
    return out


def contrast_messages(contrast: dict, label_1: str, label_2: str, synthetic: bool) -> dict[str, str]:
    """The between-site contrast of the cohort rate ratios, in words (numbers glued apart)."""
    data = "In the synthetic data" if synthetic else "In the study's data"
    verdict = (
        "excludes no difference, so the two sites' estimates differ by more than chance alone would easily give"
        if contrast["excludes_one"]
        else "includes no difference, so the two sites' estimates cannot be told apart"
    )
    return {"contrast_lead": f"{data}, the rate ratio at {label_1} over that at {label_2}", "contrast_verdict": verdict}
