"""Across the sites: the cross-site synthesis, from the calls the other chapters already make.

Nothing here estimates anything anew. Each site's cohort effect is the site facade's
(:meth:`innovate.study.site_report.SiteReport.cohort_outcomes`, the number the site
chapter quotes) and the sites are pooled by :func:`innovate.study.cohort.pooled`, the
outcomes chapter's call, so the pooled estimates are that chapter's to the digit. Each
site's costs are the facade's (:func:`innovate.study.costs.site_cost_summary`), and the
all-sites result is the costs chapter's :func:`innovate.study.costs.summarise` of the
site-standardised data: the per-site cost results are not pooled a second way.

What this module adds is the cross-site reading: the heterogeneity of each pooled outcome
with its intervals (Q-profile for tau-squared and I-squared) and the prediction interval;
the sites side by side; and the comparison of sites whose innovation sustained or grew
with those where it stalled, an exploratory comparison of six cases by exact permutation
over the site labels (:func:`innovate.stats.permutation.permutation_p`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innovate.config import FOLLOW_UP_MONTHS
from innovate.data import sites
from innovate.stats.meta import MetaResult, scale_meta
from innovate.stats.permutation import permutation_p, smallest_p
from innovate.stats.results import numbers_at_precision
from innovate.study import cohort, costs, process, site_report
from innovate.study.cohort_data import OUTCOMES as COHORT_OUTCOMES
from innovate.study.site_report import SectionResult

#: The outcomes pooled across the sites, in the outcomes chapter's order.
POOLED_OUTCOMES: tuple[str, ...] = ("missing_episodes", "swemwbs", "exploitation_risk_score")

#: How each pooled outcome's effect reads, for tables and figures.
OUTCOME_LABELS: dict[str, str] = {
    "missing_episodes": "Missing episodes (rate ratio)",
    "swemwbs": f"SWEMWBS wellbeing (difference in change over {FOLLOW_UP_MONTHS} months, points)",
    "exploitation_risk_score": f"Exploitation risk (difference in change over {FOLLOW_UP_MONTHS} months, points)",
}

#: Whether a lower value of each outcome's effect favours the innovation.
LOWER_IS_BETTER: dict[str, bool] = {"missing_episodes": True, "swemwbs": False, "exploitation_risk_score": True}

#: Prefix of the glue names and estimand keys of each pooled outcome (the outcomes chapter's).
OUTCOME_KEYS: dict[str, str] = {"missing_episodes": "missing", "swemwbs": "swemwbs", "exploitation_risk_score": "risk"}


def _sites_present(site_ids: Sequence[str] | None) -> list[str]:
    if site_ids is not None:
        return list(site_ids)
    return cohort.CohortData.load().sites


# ======================================================================================
# 1. Outcomes pooled across the sites
# ======================================================================================
@dataclass(frozen=True)
class PooledOutcome:
    """One outcome across the sites: the facade's site sections and their random-effects
    pooling on the chapter's display scale (model scale: log rate ratio for counts, the
    difference in change over the follow-up for scores)."""

    outcome: str
    meta: MetaResult
    sections: Mapping[str, SectionResult]
    level: float = 0.95

    @property
    def ratio(self) -> bool:
        return self.meta.pooled.scale == "log"

    @property
    def null(self) -> float:
        """The value that means no difference (1 for a ratio, 0 for a difference)."""
        return 1.0 if self.ratio else 0.0

    def values(self) -> dict[str, object]:
        """Raw (unrounded) values; :meth:`numbers` rounds them to :meth:`digits`."""
        s = self.meta.summary()
        tau2_low, tau2_high = self.meta.tau2_interval(self.level)
        i2_low, i2_high = self.meta.i2_interval(self.level)
        pi_low, pi_high = self.meta.prediction_interval(self.level)
        return {
            "k": int(s["k"]),
            "pooled": float(s["pooled"]),
            "low": float(s["ci_low"]),
            "high": float(s["ci_high"]),
            "p_value": float(s["p_value"]),
            "tau2": float(s["tau2"]),
            "tau2_low": float(tau2_low),
            "tau2_high": float(tau2_high),
            "tau": float(s["tau"]),
            "i2_pct": float(s["i2_pct"]),
            "i2_low_pct": 100 * float(i2_low),
            "i2_high_pct": 100 * float(i2_high),
            "q_p_value": float(s["q_p_value"]),
            "pi_low": float(pi_low),
            "pi_high": float(pi_high),
            "pi_includes_null": bool(pi_low <= self.null <= pi_high),
            "ci_includes_null": bool(s["ci_low"] <= self.null <= s["ci_high"]),
        }

    def favours_innovation(self) -> bool:
        """Whether the pooled estimate lies on the side of no difference that favours the innovation."""
        below = self.meta.pooled.natural()[0] < self.null
        return below if LOWER_IS_BETTER[self.outcome] else not below

    def digits(self) -> dict[str, int]:
        """The decimals a reader sees: the outcomes chapter's for the values it also quotes."""
        return {
            "pooled": 2,
            "low": 2,
            "high": 2,
            "p_value": 3,
            "tau2": 3,
            "tau2_low": 3,
            "tau2_high": 3,
            "tau": 2,
            "i2_pct": 0,
            "i2_low_pct": 0,
            "i2_high_pct": 0,
            "q_p_value": 3,
            "pi_low": 2,
            "pi_high": 2,
        }

    def numbers(self) -> dict[str, object]:
        return numbers_at_precision(self.values(), self.digits())

    def site_rows(self) -> pd.DataFrame:
        """One row per site: the facade's primary estimate and interval at the facade's
        precision (what the site chapter prints), the framework and the pooling weight."""
        weights = dict(zip(self.meta.labels, self.meta.weights))  # labelled by cohort.site_label
        rows = []
        for site_id, section in self.sections.items():
            k = section.numbers()
            rows.append(
                {
                    "site_id": site_id,
                    "label": cohort.site_label(site_id),
                    "framework": sites.site(site_id).framework_label,
                    "estimate": k["primary"],
                    "ci_low": k["primary_low"],
                    "ci_high": k["primary_high"],
                    "weight_pct": 100 * float(weights[cohort.site_label(site_id)]),
                }
            )
        return pd.DataFrame(rows)


def pooled_outcome(outcome: str, site_ids: Sequence[str] | None = None, m: int = 20) -> PooledOutcome:
    """The sites' primary (multiple imputation) estimates of ``outcome`` from the site facade,
    pooled by random effects with the outcomes chapter's call (DerSimonian-Laird tau-squared,
    Hartung-Knapp-Sidik-Jonkman interval); scores shown as the difference in change over the
    follow-up, as that chapter shows them."""
    if outcome not in COHORT_OUTCOMES:
        raise KeyError(f"unknown cohort outcome {outcome!r}; known: {', '.join(COHORT_OUTCOMES)}")
    ids = _sites_present(site_ids)
    sections = {s: site_report.site(s).cohort_outcomes(outcome, m=m) for s in ids}
    meta = cohort.pooled(outcome, site_results={s: sec.data["effects"] for s, sec in sections.items()})
    if COHORT_OUTCOMES[outcome].kind == "score":
        meta = scale_meta(meta, FOLLOW_UP_MONTHS)
    return PooledOutcome(outcome, meta, sections)


def pooled_outcomes(site_ids: Sequence[str] | None = None, m: int = 20) -> dict[str, PooledOutcome]:
    """:func:`pooled_outcome` for every outcome of :data:`POOLED_OUTCOMES`."""
    ids = _sites_present(site_ids)
    return {o: pooled_outcome(o, ids, m=m) for o in POOLED_OUTCOMES}


# ======================================================================================
# 2. Costs and value across the sites
# ======================================================================================
QUADRANT_WORDS = {
    "dominant": "cheaper and more effective",
    "dominated": "dearer and less effective",
    "north_east": "dearer and more effective",
    "south_west": "cheaper and less effective",
    "undefined": "no difference in effect",
}


@dataclass(frozen=True)
class CostSynthesis:
    """Each site's costs and value (the facade's sections) beside the all-sites result of
    the costs chapter (site-standardised, not a pooling of the site results)."""

    sections: Mapping[str, SectionResult]
    overall: costs.SiteCostSummary

    def site_rows(self) -> pd.DataFrame:
        """One row per site, at the facade's precision: incremental cost and effect with their
        intervals, the quadrant of the point estimate, and the probabilities of a saving and
        of cost-effectiveness at the reference willingness to pay."""
        rows = []
        for site_id, section in self.sections.items():
            k = section.numbers()
            summary = section.data["summary"]
            rows.append(
                {
                    "site_id": site_id,
                    "label": cohort.site_label(site_id),
                    "framework": sites.site(site_id).framework_label,
                    "n": int(k["n_innovation"] + k["n_comparison"]),
                    "delta_cost": k["delta_cost"],
                    "delta_cost_low": k["delta_cost_low"],
                    "delta_cost_high": k["delta_cost_high"],
                    "delta_effect": k["delta_effect"],
                    "delta_effect_low": k["delta_effect_low"],
                    "delta_effect_high": k["delta_effect_high"],
                    "quadrant": summary.icer.quadrant,
                    "p_cost_saving": k["p_cost_saving"],
                    "p_cost_effective": k["p_cost_effective"],
                }
            )
        return pd.DataFrame(rows)

    def values(self) -> dict[str, object]:
        rows = self.site_rows()
        k = self.overall.numbers()
        cost_spans = (rows["delta_cost_low"] <= 0) & (rows["delta_cost_high"] >= 0)
        effect_spans = (rows["delta_effect_low"] <= 0) & (rows["delta_effect_high"] >= 0)
        return {
            "n_sites": len(rows),
            "sites_cheaper": int((rows["delta_cost"] < 0).sum()),
            "sites_more_effective": int((rows["delta_effect"] > 0).sum()),
            "sites_dominant": int((rows["quadrant"] == "dominant").sum()),
            "sites_both_intervals_span": int((cost_spans & effect_spans).sum()),
            "sites_p_ce_over_half": int((rows["p_cost_effective"] > 0.5).sum()),
            "p_ce_site_min_pct": 100 * float(rows["p_cost_effective"].min()),
            "p_ce_site_max_pct": 100 * float(rows["p_cost_effective"].max()),
            "delta_cost": float(k["delta_cost"]),
            "delta_effect": float(k["delta_effect"]),
            "delta_effect_low": float(k["delta_effect_low"]),
            "delta_effect_high": float(k["delta_effect_high"]),
            "p_cost_effective_pct": 100 * float(k["p_cost_effective"]),
            "overall_quadrant": self.overall.icer.quadrant,
            "wtp": float(self.overall.wtp),
        }

    def digits(self) -> dict[str, int]:
        return {
            "p_ce_site_min_pct": 0,
            "p_ce_site_max_pct": 0,
            "delta_cost": 0,
            "delta_effect": 2,
            "delta_effect_low": 2,
            "delta_effect_high": 2,
            "p_cost_effective_pct": 0,
            "wtp": 0,
        }

    def numbers(self) -> dict[str, object]:
        return numbers_at_precision(self.values(), self.digits())


def cost_synthesis(site_ids: Sequence[str] | None = None, reps: int = costs.BOOTSTRAP_REPS) -> CostSynthesis:
    """Every site's costs section from the facade, and the costs chapter's all-sites summary."""
    prep = costs.prepared()
    ids = list(site_ids) if site_ids is not None else prep.sites()
    sections = {s: site_report.site(s).costs(reps=reps) for s in ids}
    return CostSynthesis(sections, costs.summarise(prep, reps=reps))


# ======================================================================================
# 3. What distinguishes the sites that sustained
# ======================================================================================
#: Site-level measures compared between trajectories: column -> (label, compared on the log scale).
PROFILE_MEASURES: dict[str, tuple[str, bool]] = {
    "stalls": ("Stalls on the journey", False),
    "months_to_integrating": ("Months to reach integrating", False),
    "stalled_percent": ("Time stalled (%)", False),
    "facilitator_percent": ("Coded segments that are facilitators (%)", False),
    "audit_mean_score": ("Trustworthy-innovation audit, mean score", False),
    "missing_rr": ("Missing episodes, rate ratio", True),
    "swemwbs_diff": ("SWEMWBS, difference in change (points)", False),
    "risk_diff": ("Exploitation risk, difference in change (points)", False),
    "delta_cost": ("Incremental cost (GBP)", False),
    "delta_effect": ("Missing episodes averted", False),
    "p_cost_effective": ("Probability cost-effective", False),
}


def site_profile(
    outcomes: Mapping[str, PooledOutcome], cost: CostSynthesis, site_ids: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per site: its journey (trajectory by the stages chapter's rule), coded
    facilitators and trustworthy audit, cohort effects and costs, each from the site facade
    at the precision its site chapter prints."""
    ids = list(site_ids) if site_ids is not None else list(outcomes[POOLED_OUTCOMES[0]].sections)
    estimate = {o: dict(zip(p.site_rows()["site_id"], p.site_rows()["estimate"])) for o, p in outcomes.items()}
    cost_rows = cost.site_rows().set_index("site_id")
    rows = []
    for site_id in ids:
        report = site_report.site(site_id)
        journey = report.journey()
        j = journey.numbers()
        fb = report.facilitators_barriers().numbers()
        audit = report.trustworthy_audit().numbers()
        rows.append(
            {
                "site_id": site_id,
                "label": cohort.site_label(site_id),
                "framework": sites.site(site_id).framework_label,
                "sustained": bool(j["sustained"]),
                "grew": bool(journey.data["summary"].loc[0, "grew"]),
                "current_stage": j["current_stage"],
                "stalls": int(j["stalls"]),
                "regressions": int(j["regressions"]),
                "months_to_integrating": j.get("months_to_integrating", float("nan")),
                "stalled_percent": j["stalled_percent"],
                "facilitator_percent": fb["facilitator_percent"],
                "audit_mean_score": audit.get("mean_score", float("nan")),
                "missing_rr": estimate["missing_episodes"].get(site_id, float("nan")),
                "swemwbs_diff": estimate["swemwbs"].get(site_id, float("nan")),
                "risk_diff": estimate["exploitation_risk_score"].get(site_id, float("nan")),
                "delta_cost": float(cost_rows.at[site_id, "delta_cost"]),
                "delta_effect": float(cost_rows.at[site_id, "delta_effect"]),
                "p_cost_effective": float(cost_rows.at[site_id, "p_cost_effective"]),
            }
        )
    return pd.DataFrame(rows)


def compare_trajectories(
    profile: pd.DataFrame, group: str = "sustained", measures: Mapping[str, tuple[str, bool]] = PROFILE_MEASURES
) -> pd.DataFrame:
    """Each measure's mean in the sites where ``group`` is true against the rest, the
    difference and its exact two-sided permutation p-value over the site labels.

    Log-scale measures (rate ratios) are compared as geometric means, their difference as a
    ratio of geometric means. With six sites the smallest attainable p-value is large
    (``smallest_p``), and the comparison is exploratory.
    """
    if group not in profile.columns:
        raise KeyError(f"no column {group!r} in the site profile; columns: {', '.join(profile.columns)}")
    label = {s: ("in" if bool(g) else "out") for s, g in zip(profile["site_id"], profile[group])}
    rows = []
    for column, (name, log) in measures.items():
        raw = dict(zip(profile["site_id"], profile[column].astype(float)))
        values = {s: (math.log(v) if log and v > 0 else v) for s, v in raw.items()}
        present = {s: v for s, v in values.items() if math.isfinite(v)}
        k_in = sum(label[s] == "in" for s in present)
        diff, p, n_perm = permutation_p(present, label, "in")
        mean_in = np.mean([v for s, v in present.items() if label[s] == "in"]) if k_in else np.nan
        mean_out = np.mean([v for s, v in present.items() if label[s] == "out"]) if len(present) > k_in else np.nan
        if log:
            mean_in, mean_out, diff = np.exp(mean_in), np.exp(mean_out), np.exp(diff)
        rows.append(
            {
                "measure": column,
                "label": name,
                "scale": "ratio" if log else "difference",
                "n_in": k_in,
                "n_out": len(present) - k_in,
                "mean_in": float(mean_in),
                "mean_out": float(mean_out),
                "difference": float(diff),
                "p_value": float(p),
                "relabellings": int(n_perm),
                "smallest_p": smallest_p(len(present), k_in) if 0 < k_in < len(present) else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def trajectory_codes(segments: pd.DataFrame, profile: pd.DataFrame, group: str = "sustained") -> dict:
    """The code-by-code cross-case comparison of the promotes chapter
    (:func:`innovate.study.process.cross_case`) for the same grouping of sites."""
    return process.cross_case(segments, dict(zip(profile["site_id"], profile[group])))


def quadrant_words(quadrant: str) -> str:
    """Plain words for a quadrant of the cost-effectiveness plane."""
    return QUADRANT_WORDS[quadrant]
