"""Young people's and families' experience, and the learning network's circles of engagement.

Both surveys give ordered answers, so both are modelled with proportional-odds
(cumulative logit) models, statsmodels' ``OrderedModel`` with a logit link:

    P(Y <= j | x) = expit(theta_j - x'beta),   j = 1 .. K-1

so ``exp(beta)`` is the odds ratio of answering in a higher category. Designs are built
here (dummy columns against a stated reference level) rather than from a formula, so
that counterfactual predictions are simple and transparent:

* **Standardised predictions** (marginal standardisation): every respondent is given the
  level of interest (a site, a framework, a nation) and keeps their other characteristics;
  the predicted probabilities are averaged. Differences between sites then do not reflect
  differences in who answered.
* **Intervals** for those predictions come from parametric simulation: parameter vectors
  drawn from the estimated multivariate normal (a fixed seed, so the book is
  reproducible), the standardised prediction recomputed for each, and the 2.5th and
  97.5th percentiles taken.

Rows with a missing answer or covariate are left out of that model only, and the count
left out is reported with the fit (``n_missing``); nothing is dropped silently. When the
same respondent (or organisation) gives several rows, standard errors are cluster-robust
by respondent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from innovate.config import NETWORK_NATIONS, SEED
from innovate.data.schemas import SURVEY_ITEMS
from innovate.data.sites import FRAMEWORK_LABELS, FRAMEWORKS, SITE_IDS
from innovate.stats import disclosure
from innovate.stats.ordinal import Factor, OrdinalFit, fit_ordinal, standardised_grid

#: The experience-survey items, as the schema defines them (the single truth).
ITEMS: tuple[str, ...] = SURVEY_ITEMS
ITEM_LABELS = {
    "listened_to": "I felt listened to",
    "trusted_worker": "I trusted my worker",
    "felt_safer": "I (or my child) felt safer",
    "partner_in_decisions": "I was a partner in decisions",
    "help_fitted_needs": "The help fitted my needs",
    "overall_experience": "Overall, my experience was good",
}
AGREEMENT = (1, 2, 3, 4, 5)
AGREEMENT_LABELS = {1: "Strongly disagree", 2: "Disagree", 3: "Neither", 4: "Agree", 5: "Strongly agree"}
RESPONDENT_LABELS = {"young_person": "Young people", "parent_carer": "Parents and carers"}
ENGAGEMENT = ("aware", "exploring", "adopting", "embedded")
ENGAGEMENT_LABELS = {"aware": "Aware", "exploring": "Exploring", "adopting": "Adopting", "embedded": "Embedded"}
ORGANISATION_TYPES = ("local_authority", "voluntary_sector", "health", "police", "education", "other")
TRANSFERABILITY = (1, 2, 3, 4, 5)
SITE_FRAMEWORK = {s: f for f, pair in FRAMEWORKS.items() for s in pair}


# ---------------------------------------------------------------------------------------
# Experience survey
# ---------------------------------------------------------------------------------------
def with_framework(survey: pd.DataFrame) -> pd.DataFrame:
    """The survey with each respondent's site framework added."""
    return survey.assign(framework=survey["site_id"].map(SITE_FRAMEWORK))


def _sites_in(survey) -> tuple:
    return tuple(s for s in SITE_IDS if s in set(survey["site_id"]))


def experience_fit(survey: pd.DataFrame, item: str, by: str = "site_id") -> OrdinalFit:
    """One item modelled by site (or framework), adjusted for respondent type and wave."""
    if item not in ITEMS:
        raise KeyError(f"unknown item {item!r}")
    data = with_framework(survey)
    if by == "site_id":
        sites = _sites_in(data)
        group = Factor("site_id", sites, sites[0])
    elif by == "framework":
        fws = tuple(f for f in FRAMEWORKS if f in set(data["framework"]))
        group = Factor("framework", fws, fws[0])
    else:
        raise ValueError("by must be 'site_id' or 'framework'")
    factors = [
        group,
        Factor("respondent_type", ("parent_carer", "young_person"), "parent_carer"),
        Factor("wave", (1, 2), 1),
    ]
    return fit_ordinal(data, item, AGREEMENT, factors, file="experience_survey.csv")


def agreement_table(survey: pd.DataFrame, by: str = "site_id", draws: int = 500, seed: int = SEED) -> pd.DataFrame:
    """Standardised probability of agreeing (4 or 5) with each item, per site or framework.

    Long frame: item, group, probability, lower, upper, n_used, n_missing.
    """
    rows = []
    for item in ITEMS:
        fit = experience_fit(survey, item, by)
        pred = fit.standardised(by, top=(4, 5), draws=draws, seed=seed)
        pred = pred.rename(columns={by: "group"})
        pred.insert(0, "item", item)
        pred["n_used"] = fit.n_used
        pred["n_missing"] = fit.n_missing
        rows.append(pred)
    return pd.concat(rows, ignore_index=True)


def respondents_table(
    survey: pd.DataFrame, threshold: int = 5, labels: Mapping[str, str] | None = None
) -> disclosure.ProtectedTable:
    """Respondents by site and type (counts of people), protected, with totals."""
    counts = survey.groupby(["site_id", "respondent_type"]).size().unstack("respondent_type", fill_value=0)
    counts = counts.reindex(index=list(_sites_in(survey)), columns=list(RESPONDENT_LABELS), fill_value=0)
    labels = labels or {}
    counts.index = pd.Index([labels.get(s, s) for s in counts.index], name="Site")
    counts.columns = [RESPONDENT_LABELS[c] for c in counts.columns]
    return disclosure.protect(counts, threshold=threshold, totals="both")


def partnership_fit(survey: pd.DataFrame) -> OrdinalFit:
    """Within-respondent comparison: is partnership in decisions rated lower than the other items?

    Every answer of every respondent in one proportional-odds model with the item (reference:
    ``partner_in_decisions``), site, respondent type and wave; standard errors cluster-robust
    by respondent, since each answers several items. An odds ratio above 1 for an item means
    it is rated higher than partnership by the same people.
    """
    long = survey.melt(
        id_vars=["respondent_id", "site_id", "respondent_type", "wave"],
        value_vars=list(ITEMS),
        var_name="item",
        value_name="answer",
    )
    sites = _sites_in(survey)
    order = ("partner_in_decisions",) + tuple(i for i in ITEMS if i != "partner_in_decisions")
    factors = [
        Factor("item", order, "partner_in_decisions"),
        Factor("site_id", sites, sites[0]),
        Factor("respondent_type", ("parent_carer", "young_person"), "parent_carer"),
        Factor("wave", (1, 2), 1),
    ]
    return fit_ordinal(long, "answer", AGREEMENT, factors, cluster="respondent_id", file="experience_survey.csv")


def partnership_by_type(survey: pd.DataFrame, draws: int = 500, seed: int = SEED) -> pd.DataFrame:
    """Standardised probability of agreeing they were partners in decisions, for young
    people and for parents and carers at each site (adjusted for wave)."""
    fit = experience_fit(survey, "partner_in_decisions", "site_id")
    sites = {f.column: f for f in fit.factors}["site_id"].levels
    settings = [{"respondent_type": r, "site_id": s} for r in ("young_person", "parent_carer") for s in sites]
    return standardised_grid(fit, settings, top=(4, 5), draws=draws, seed=seed)


# ---------------------------------------------------------------------------------------
# Network survey: circles of engagement and transferability
# ---------------------------------------------------------------------------------------
def _network_factors(net: pd.DataFrame) -> list[Factor]:
    fws = tuple(f for f in FRAMEWORKS if f in set(net["framework"]))
    nations = tuple(n for n in NETWORK_NATIONS if n in set(net["nation"]))
    types = tuple(t for t in ORGANISATION_TYPES if t in set(net["organisation_type"]))
    return [
        Factor("framework", fws, fws[0]),
        Factor("nation", nations, "England" if "England" in nations else nations[0]),
        Factor("organisation_type", types, "local_authority" if "local_authority" in types else types[0]),
    ]


def adoption_fit(net: pd.DataFrame) -> OrdinalFit:
    """Circle of engagement (aware < exploring < adopting < embedded) by framework, nation and
    organisation type, adjusted for years since first contact; cluster-robust by organisation."""
    return fit_ordinal(
        net,
        "engagement",
        ENGAGEMENT,
        _network_factors(net),
        numeric=("years_since_first_contact",),
        cluster="organisation_id",
        file="network_survey.csv",
    )


def transferability_fit(net: pd.DataFrame) -> OrdinalFit:
    """Perceived transferability (1-5) by framework, nation, organisation type and circle of
    engagement; cluster-robust by organisation."""
    factors = _network_factors(net) + [Factor("engagement", ENGAGEMENT, "aware")]
    return fit_ordinal(
        net, "perceived_transferability", TRANSFERABILITY, factors, cluster="organisation_id", file="network_survey.csv"
    )


def predicted_by_framework_and_nation(
    fit: OrdinalFit, top: Sequence, draws: int = 400, seed: int = SEED
) -> pd.DataFrame:
    """Standardised P(top categories) for every framework in every nation, with intervals.

    Each organisation-framework row is set to the framework and nation in turn and the
    predictions averaged over the rows (their other characteristics kept).
    """
    fws = {f.column: f for f in fit.factors}["framework"].levels
    nations = {f.column: f for f in fit.factors}["nation"].levels
    settings = [{"framework": fw, "nation": n} for fw in fws for n in nations]
    return standardised_grid(fit, settings, top=top, draws=draws, seed=seed)


def engagement_counts(net: pd.DataFrame, threshold: int = 5) -> disclosure.ProtectedTable:
    """Organisations in each circle of engagement with each framework (protected, with totals)."""
    counts = net.groupby(["framework", "engagement"]).size().unstack("engagement", fill_value=0)
    fws = [f for f in FRAMEWORKS if f in counts.index]
    counts = counts.reindex(index=fws, columns=list(ENGAGEMENT), fill_value=0)
    counts.index = pd.Index([FRAMEWORK_LABELS[f] for f in counts.index], name="Framework")
    counts.columns = [ENGAGEMENT_LABELS[c] for c in counts.columns]
    return disclosure.protect(counts, threshold=threshold, totals="both")


def organisations_by_nation(net: pd.DataFrame, threshold: int = 5) -> disclosure.ProtectedTable:
    """Organisations responding, by nation and type (each counted once), protected."""
    orgs = net.drop_duplicates("organisation_id")
    counts = orgs.groupby(["nation", "organisation_type"]).size().unstack("organisation_type", fill_value=0)
    counts = counts.reindex(
        index=[n for n in NETWORK_NATIONS if n in counts.index], columns=[t for t in ORGANISATION_TYPES], fill_value=0
    )
    counts.index.name = "Nation"
    counts.columns = [t.replace("_", " ").capitalize() for t in counts.columns]
    return disclosure.protect(counts, threshold=threshold, totals="both")
