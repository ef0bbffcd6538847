"""The book's estimands: one key per quantity a chapter quotes, with what it is.

A number quoted in two places must be the same number. Each glued value that states an
effect names its estimand (``innovate.show.glue.glue(..., estimand=KEY)``); the key
travels with the value into ``_build/claims.json``, and a gate fails when one key
carries two values. Two quantities that differ by design (an 18-month level among
those followed up against a change over 18 months pooled by random effects) get two
keys, and the chapter that quotes both says how they differ.

Sign convention, stated once: every difference is **innovation minus comparison**; the
one exception is the cost-effectiveness effect, *missing episodes averted*, which is
comparison minus innovation so that a positive number is a gain (the economic
evaluation's convention) and which is discounted.

A key is one of :data:`ESTIMANDS` (a quantity of the whole study), or one of
:data:`SITE_ESTIMANDS` at one site (``KEY@site_id``: :func:`at_site`), the site and
framework chapters quoting the same section of one site; either may be followed by one
end of the interval quoted with it (``KEY#ci_low``, ``KEY#ci_high``: :func:`interval_end`).
A published statistic of a site's area in one year is ``public.MEASURE.GROUP.YEAR@site_id``
(:func:`public_key`): the site, framework and national chapters each read it their own way.
"""

from __future__ import annotations

from innovate.data.published_measures import PUBLISHED_MEASURES
from innovate.data.schema_vocab import SITE_IDS, SURVEY_ITEMS

#: key -> what the quantity is (the population, the contrast, the model and the scale).
ESTIMANDS: dict[str, str] = {
    # outcomes chapter: cohort analyses pooled across sites by random effects
    "cohort.missing.rate_ratio.pooled_mi": (
        "Missing episodes: rate ratio, innovation over comparison, over the three follow-up waves; "
        "negative binomial GEE on multiply imputed data, pooled by random effects (HKSJ interval)."
    ),
    "cohort.swemwbs.change_18m.pooled_mi_mixed": (
        "SWEMWBS: difference (innovation minus comparison) in the average change over 18 months, "
        "the mixed model's difference in monthly slope times 18, on multiply imputed data, pooled by random effects."
    ),
    "cohort.swemwbs.change_18m.pooled_aipw": (
        "SWEMWBS: difference (innovation minus comparison) in the change from baseline to 18 months, "
        "doubly robust (AIPW) on the imputed data, pooled by random effects."
    ),
    "cohort.risk.change_18m.pooled_mi_mixed": (
        "Exploitation risk score: difference (innovation minus comparison) in the change over 18 months, "
        "analysis-of-covariance mixed model (slope times 18) on multiply imputed data, pooled by random effects."
    ),
    "cohort.risk.change_18m.pooled_aipw": (
        "Exploitation risk score: difference (innovation minus comparison) in the change from baseline to "
        "18 months, doubly robust (AIPW) on the imputed data, pooled by random effects."
    ),
    # synthesis chapter: where the true effect of a new site like these six would lie (the
    # pooled estimate above with tau-squared added; t with k - 2 df), each end one quantity
    "cohort.missing.rate_ratio.prediction_low": (
        "Missing episodes: lower end of the 95% prediction interval of the site rate ratio, from the random-effects "
        "pooling of the primary (MI) site estimates."
    ),
    "cohort.missing.rate_ratio.prediction_high": (
        "Missing episodes: upper end of the 95% prediction interval of the site rate ratio, from the random-effects "
        "pooling of the primary (MI) site estimates."
    ),
    "cohort.swemwbs.change_18m.prediction_low": (
        "SWEMWBS: lower end of the 95% prediction interval of a site's difference in change over 18 months "
        "(mixed model, MI), from the random-effects pooling."
    ),
    "cohort.swemwbs.change_18m.prediction_high": (
        "SWEMWBS: upper end of the 95% prediction interval of a site's difference in change over 18 months "
        "(mixed model, MI), from the random-effects pooling."
    ),
    "cohort.risk.change_18m.prediction_low": (
        "Exploitation risk score: lower end of the 95% prediction interval of a site's difference in change over "
        "18 months (ANCOVA mixed model, MI), from the random-effects pooling."
    ),
    "cohort.risk.change_18m.prediction_high": (
        "Exploitation risk score: upper end of the 95% prediction interval of a site's difference in change over "
        "18 months (ANCOVA mixed model, MI), from the random-effects pooling."
    ),
    # costs chapter: all sites standardised by site, weighted for arm and follow-up
    "costs.missing_averted_18m.discounted": (
        "Missing episodes averted per young person over 18 months (comparison minus innovation), discounted; "
        "site-standardised, inverse-probability weighted for arm and follow-up (the cost-effectiveness effect)."
    ),
    "costs.missing_18m.undiscounted": (
        "Missing episodes per young person over 18 months, innovation minus comparison, undiscounted; "
        "site-standardised, weighted for arm and follow-up (cost-consequence table)."
    ),
    "costs.swemwbs_at_18m.weighted_followed_up": (
        "SWEMWBS at 18 months, innovation minus comparison, among young people followed up; "
        "site-standardised, weighted for arm and follow-up (cost-consequence table)."
    ),
    "costs.risk_at_18m.weighted_followed_up": (
        "Exploitation risk score at 18 months, innovation minus comparison, among young people followed up; "
        "site-standardised, weighted for arm and follow-up (cost-consequence table)."
    ),
    "costs.cost_18m.discounted": (
        "Cost per young person over 18 months, innovation minus comparison, GBP at 2024-25 prices, discounted; "
        "site-standardised, weighted for arm and follow-up."
    ),
}


#: Each cohort outcome's quantity, as the keys name it, with its label and the scale its
#: sites are pooled on (the scale of tau).
COHORT_QUANTITIES: dict[str, tuple[str, str, str]] = {
    "missing_episodes": ("cohort.missing.rate_ratio", "Missing episodes", "log rate ratio"),
    "swemwbs": ("cohort.swemwbs.change_18m", "SWEMWBS", "difference in change over 18 months"),
    "exploitation_risk_score": (
        "cohort.risk.change_18m",
        "Exploitation risk score",
        "difference in change over 18 months",
    ),
}

for _key, _label, _scale in COHORT_QUANTITIES.values():
    # the pooling's heterogeneity, quoted by the outcomes and the synthesis chapters
    ESTIMANDS[f"{_key}.pooled_tau"] = (
        f"{_label}: between-site standard deviation (tau) of the {_scale}, from the random-effects pooling "
        "of the primary (MI) site estimates."
    )
    ESTIMANDS[f"{_key}.pooled_i2_pct"] = (
        f"{_label}: I-squared (%), the share of the variation between the primary (MI) site estimates "
        "beyond chance, from the random-effects pooling."
    )

ESTIMANDS |= {
    # the costs and synthesis chapters: all sites, and counts of sites
    "costs.p_cost_effective_pct": (
        "Probability (%) that the innovation is cost-effective at the reference willingness to pay per missing "
        "episode averted; all sites, site-standardised (bootstrap)."
    ),
    "costs.sites_cheaper": "Number of sites whose difference in cost per young person (innovation minus "
    "comparison, adjusted) is below zero.",
    "costs.sites_more_effective": "Number of sites whose innovation arm averted missing episodes (the adjusted "
    "difference in effect, comparison minus innovation, above zero).",
}

#: Quantities estimated at one site (quoted as ``KEY@site_id``): key -> what it is there.
SITE_ESTIMANDS: dict[str, str] = {}

_COHORT_METHODS = {
    "mi": "on multiply imputed data (the site's primary estimate)",
    "available_case": "on the young people with each wave observed (available case)",
    "complete_case": "on the young people observed at every wave (complete case)",
}
for _key, _label, _scale in COHORT_QUANTITIES.values():
    _contrast = (
        "rate ratio, innovation over comparison, over the three follow-up waves, negative binomial GEE"
        if _key.endswith("rate_ratio")
        else "difference (innovation minus comparison) in the change over 18 months, mixed model"
    )
    for _method, _data in _COHORT_METHODS.items():
        SITE_ESTIMANDS[f"{_key}.site_{_method}"] = f"{_label} at the site: {_contrast}, {_data}."

for _item in SURVEY_ITEMS:
    SITE_ESTIMANDS[f"experience.{_item}.agree_pct"] = (
        f"Experience survey item {_item!r} at the site: percentage agreeing (4 or 5), standardised by the "
        "ordinal model over all sites (the experiences chapter's estimand)."
    )

SITE_ESTIMANDS |= {
    "costs.cost_innovation_18m": "Mean discounted cost per young person over 18 months in the site's innovation "
    "arm, every young person (a plain mean, not an effect), GBP at 2024-25 prices.",
    "costs.cost_comparison_18m": "Mean discounted cost per young person over 18 months in the site's comparison "
    "arm, every young person (a plain mean, not an effect), GBP at 2024-25 prices.",
    "costs.cost_18m.discounted": "Cost per young person over 18 months at the site, innovation minus comparison, "
    "GBP at 2024-25 prices, discounted; weighted for arm and follow-up.",
    "costs.missing_averted_18m.discounted": "Missing episodes averted per young person over 18 months at the "
    "site (comparison minus innovation), discounted; weighted for arm and follow-up.",
    "costs.net_benefit": "Incremental net benefit per young person at the site at the reference willingness to "
    "pay per missing episode averted, GBP.",
    "costs.p_cost_effective": "Probability (0 to 1) that the site's innovation is cost-effective at the "
    "reference willingness to pay (bootstrap).",
    "costs.p_cost_saving": "Probability (0 to 1) that the site's innovation costs less than the comparison "
    "(bootstrap).",
    "costs.p_cost_effective_psa": "Probability (0 to 1) that the site's innovation is cost-effective at the "
    "reference willingness to pay under the probabilistic sensitivity analysis.",
}

#: The ends of an interval, quoted on their own as ``KEY#end``.
INTERVAL_ENDS: dict[str, str] = {
    "ci_low": "Lower end of the 95% interval quoted with it",
    "ci_high": "Upper end of the 95% interval quoted with it",
}


#: The groups a published statistic of a site's area is quoted for.
PUBLIC_GROUPS: dict[str, str] = {
    "area": "the site's own area",
    "comparison": "the median of the site's comparison areas",
    "national": "the site's nation",
}


def public_key(measure: str, group: str, year: int, site_id: str) -> str:
    """The key of a published statistic (a measure of
    :data:`innovate.data.published_measures.PUBLISHED_MEASURES`) for a site's area, its comparison
    areas or its nation (:data:`PUBLIC_GROUPS`), in one year."""
    return at_site(f"public.{measure}.{group}.{int(year)}", site_id)


def _describe_public(base: str) -> str:
    parts = base.split(".")
    if len(parts) != 4 or parts[1] not in PUBLISHED_MEASURES or parts[2] not in PUBLIC_GROUPS or not parts[3].isdigit():
        raise KeyError(
            f"unknown public statistic {base!r}: public.MEASURE.GROUP.YEAR, MEASURE one of {', '.join(PUBLISHED_MEASURES)}, "
            f"GROUP one of {', '.join(PUBLIC_GROUPS)}"
        )
    label, unit, _ = PUBLISHED_MEASURES[parts[1]]
    return f"{label} ({unit}), {PUBLIC_GROUPS[parts[2]]}, {parts[3]} (published statistics)."


def at_site(key: str, site_id: str) -> str:
    """The key of :data:`SITE_ESTIMANDS` ``key`` at one site."""
    return f"{key}@{site_id}"


def interval_end(key: str, end: str) -> str:
    """The key of one end ('low' or 'high') of the interval quoted with estimand ``key``."""
    return f"{key}#ci_{end}"


def with_interval(name: str, key: str) -> dict[str, str]:
    """Value name -> estimand for a value quoted with its interval: ``name`` is ``key``,
    ``name_low`` and ``name_high`` the ends of its interval."""
    return {name: key, f"{name}_low": interval_end(key, "low"), f"{name}_high": interval_end(key, "high")}


def pooled_keys(outcome: str, pooled: str) -> dict[str, str]:
    """The estimands of a cohort outcome's pooled result as the chapters quote it, by role:
    the estimate (``pooled``: 'pooled_mi', 'pooled_mi_mixed', ...), the ends of its interval
    ('low', 'high'), tau and I-squared ('tau', 'i2')."""
    quantity = COHORT_QUANTITIES[outcome][0]
    key = f"{quantity}.{pooled}"
    return {
        "pooled": key,
        "low": interval_end(key, "low"),
        "high": interval_end(key, "high"),
        "tau": f"{quantity}.pooled_tau",
        "i2": f"{quantity}.pooled_i2_pct",
    }


def describe(key: str) -> str:
    """What an estimand is; ``KeyError`` naming the known keys for an unknown one."""
    quantity, _, end = key.partition("#")
    base, at, site = quantity.partition("@")
    if at and base.startswith("public."):
        what = _describe_public(base)
    else:
        table = SITE_ESTIMANDS if at else ESTIMANDS
        if base not in table:
            kind = "site estimand" if at else "estimand"
            raise KeyError(f"unknown {kind} {base!r} in {key!r}; known: {', '.join(sorted(table))}")
        what = table[base]
    if at and site not in SITE_IDS:
        raise KeyError(f"estimand {key!r}: unknown site {site!r}; known: {', '.join(SITE_IDS)}")
    text = f"At site {site}: {what}" if at else what
    if end:
        if end not in INTERVAL_ENDS:
            raise KeyError(f"estimand {key!r}: unknown interval end {end!r}; known: {', '.join(INTERVAL_ENDS)}")
        text = f"{INTERVAL_ENDS[end]}: {text}"
    return text


def is_known(key: str) -> bool:
    """Whether ``key`` names an estimand (:func:`describe` would describe it)."""
    try:
        describe(key)
    except KeyError:
        return False
    return True
