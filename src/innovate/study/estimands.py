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
"""

from __future__ import annotations

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


def describe(key: str) -> str:
    """What an estimand is; ``KeyError`` naming the known keys for an unknown one."""
    if key not in ESTIMANDS:
        raise KeyError(f"unknown estimand {key!r}; known: {', '.join(sorted(ESTIMANDS))}")
    return ESTIMANDS[key]
