"""The true effects behind the synthetic data, and the generator's manifest."""

from __future__ import annotations

import math
from dataclasses import asdict

import numpy as np
import pandas as pd

from innovate.synthetic.parameters import GENERATOR, GENERATOR_VERSION, CohortModel, Parameters


def _jsonable(obj: object) -> object:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return float(f"{f:.10g}") if math.isfinite(f) else None
    return obj


_EFFECT_SUFFIXES = ("rate_ratio", "slope_per_month", "odds_ratio")
_OUTCOME_OF = {"exploitation_risk": "exploitation_risk_score", "attendance": "school_attendance_pct"}


def true_effects(params: Parameters) -> pd.DataFrame:
    """The true effects as a tidy table: site, design, measure, parameter, value."""
    rows = []
    for sid, sp in params.sites.items():
        for m, e in sp.its.items():
            rows.append((sid, "area_series", m, "level_rate_ratio", e.level_rate_ratio))
            rows.append((sid, "area_series", m, "slope_change_per_month", e.slope_change_per_month))
        for k, v in asdict(sp.cohort_effects).items():
            for suffix in _EFFECT_SUFFIXES:
                if k.endswith(suffix):
                    stem = k[: -len(suffix) - 1]
                    rows.append((sid, "cohort", _OUTCOME_OF.get(stem, stem), suffix, v))
    frame = pd.DataFrame(rows, columns=["site_id", "design", "measure", "parameter", "value"])
    return frame


#: The stated models, in words and symbols, as written to the manifest (names are fields of
#: CohortModel / CohortEffects / SeriesModel; t = months since baseline; post = t > 0; innov = 1
#: in the innovation arm; LAC = looked_after; prior = prior_missing_episodes; risk0 = baseline_risk_score).
MODEL_EQUATIONS: dict[str, str] = {
    "area_series": "count_t ~ NB2(mu_t, dispersion[measure]) as gamma-Poisson; log mu_t = log population_0_17 + b0 + "
    "log_trend_per_year * (t - t_c)/12 + h1 sin(2 pi m/12) + h2 cos(2 pi m/12) + h3 sin(4 pi m/12) + "
    "h4 cos(4 pi m/12) + covid_log_rate_ratio * [Apr 2020..Mar 2021] + [site's own area only] post_t * "
    "(log level_rate_ratio + slope_change_per_month * (t - t0)); t = months from January 2015, m = calendar "
    "month 1-12, t0 = innovation start month, t_c = centre of the calibration window; b0 makes the mean of "
    "mu over the calibration window equal monthly_level",
    "baseline": "age = 10 + Categorical(age_probs); female ~ Bernoulli(female_share); ethnicity ~ site Categorical; "
    "LAC ~ Bernoulli(expit(-1.2 + 0.15 (age-14))); z ~ N(0,1) (latent, not in the data); prior ~ "
    "NB2(exp(0.6 + 0.6 LAC + 0.5 z + 0.1 (age-14)), 0.8); level = risk_intercept + risk_z z + "
    "risk_looked_after LAC + risk_age (age-14); risk0 = clip(round(level + e0, 1), 0, 30), e0 ~ N(0, "
    "risk_residual_sd)",
    "arm": "innov ~ Bernoulli(expit(a + ps_age (age-14) + ps_risk (risk0-15) + ps_looked_after LAC + "
    "ps_log_prior_missing log1p(prior))), a solved per site so that the mean propensity in the sample is 0.5",
    "missing_episodes": "wave 0 = prior; t > 0: NB2(mu, miss_alpha), log mu = miss_intercept + miss_looked_after LAC + "
    "miss_age (age-14) + miss_log_prior log1p(prior) + miss_risk_per5 (risk0-15)/5 + u + miss_post + "
    "miss_post_risk_per5 (risk0-15)/5 + log(missing_episodes_rate_ratio) innov, u ~ N(0, miss_person_sd)",
    "exploitation_risk_score": "wave 0 = risk0; t > 0: clip(round(level + s t + e, 1), 0, 30), s = risk_slope + "
    "risk_slope_age (age-14) + risk_slope_looked_after LAC + risk_slope_log_prior log1p(prior) + "
    "exploitation_risk_slope_per_month innov + N(0, risk_slope_sd), e ~ N(0, risk_residual_sd)",
    "swemwbs": "clip(round(W + s t + e, 2), 7, 35), W = swem_intercept + swem_z z + swem_looked_after LAC + swem_male male "
    "+ N(0, swem_person_sd), s = swem_slope + swem_slope_age (age-14) + swem_slope_looked_after LAC + "
    "swemwbs_slope_per_month innov + N(0, swem_slope_sd), e ~ N(0, swem_residual_sd)",
    "school_attendance_pct": "clip(round(A + s t + e, 1), 0, 100), A = 100 expit(att_logit_intercept + att_logit_z z + "
    "att_logit_looked_after LAC + att_logit_age (age-14)), s = att_slope + att_slope_age (age-14) + "
    "attendance_slope_per_month innov + N(0, att_slope_sd), e ~ N(0, att_residual_sd)",
    "placement_moves": "moves in the 6 months before the wave ~ Poisson(rate x months in care in that window / 6), rate = "
    "exp(moves_intercept + moves_z z + moves_log_prior log1p(prior)) x Gamma(moves_frailty_shape, "
    "1/moves_frailty_shape) x exp(post (moves_post + log(placement_moves_rate_ratio) innov)); LAC entered "
    "care U(6.5, 48) months before baseline, others enter with probability care_entry_prob at U(0, 18) "
    "months after; placements.csv holds one placement from entry plus one per move",
    "justice_contact": "Bernoulli(expit(justice_intercept + justice_z z + justice_looked_after LAC + justice_male male + "
    "justice_age (age-14) + v + post (justice_post + log(justice_contact_odds_ratio) innov))), v ~ N(0, "
    "justice_person_sd); the odds ratio is conditional on v",
    "attrition": "everyone observed at wave 0; at 6, 12, 18 months a young person observed at the previous wave is lost "
    "with probability expit(attr_intercept + attr_looked_after LAC + attr_log_prev_missing log1p(missing "
    "episodes at the previous wave) + attr_age (age-14) + attr_comparison (1 - innov)) and stays lost: "
    "monotone, missing at random given observed values",
}


def synthesize_command(params: Parameters) -> str:
    """The command that writes this data set again (``--per-arm`` only when not the default)."""
    size = "" if params.cohort.per_arm == CohortModel.per_arm else f" --per-arm {params.cohort.per_arm}"
    return f"python -m innovate synthesize --seed {params.seed}{size} --out DIR"


def manifest_dict(params: Parameters, files: dict[str, dict[str, object]]) -> dict:
    """The manifest: seed, generator, true parameters per site, shared models, calibration, files."""
    sites_out = {}
    for sid, sp in params.sites.items():
        d = asdict(sp)
        d["its_definition"] = (
            "log E[count_t] includes post_t * (log(level_rate_ratio) + slope_change_per_month * "
            "(t - t0)), t - t0 = months since the innovation start month (0 in that month); "
            "site's own area only, comparators have no effect"
        )
        d["cohort_effects_definition"] = (
            "missing episodes and placement moves: rate ratio innovation vs comparison at waves 6-18 (arm x post); "
            "justice contact: conditional odds ratio (person random effect) arm x post; risk score, SWEMWBS, "
            "attendance: difference in slope per month (arm x months since baseline), before clipping to the scale"
        )
        sites_out[sid] = d
    return _jsonable(
        {
            "generator": GENERATOR,
            "generator_version": GENERATOR_VERSION,
            "seed": params.seed,
            "synthetic": True,
            "statement": "Synthetic data generated by the project's own generator; not the study's data. Illustrative only.",
            "command": synthesize_command(params),
            "sites": sites_out,
            "series_model": asdict(params.series),
            "cohort_model": asdict(params.cohort),
            "model_equations": MODEL_EQUATIONS,
            "attrition_model": {k: v for k, v in asdict(params.cohort).items() if k.startswith("attr_")},
            "cost_model": asdict(params.costs),
            "activity_model": asdict(params.activity),
            "calibration": params.calibration,
            "files": files,
        }
    )  # type: ignore[return-value]
