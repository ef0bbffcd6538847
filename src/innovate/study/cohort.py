"""Young people's repeated outcomes: GEE, mixed models, imputation, weighting, pooling.

The cohort tables (``young_people`` and ``outcomes`` of the data contract) hold one row
per young person and one row per person and wave (months 0, 6, 12 and 18). This module
turns them into the analyses the outcomes chapter shows, one call per site
(:func:`site_effects`) and one call per outcome across sites (:func:`pooled`).

Models
------
Counts (missing episodes): generalised estimating equations (GEE; Liang and Zeger) with a
negative binomial variance ``mu + alpha mu^2`` and log link. GEE holds ``alpha`` fixed, so
it is estimated first by maximum likelihood in a negative binomial regression of the same
mean model (:func:`estimate_nb_alpha`; the same estimate as statsmodels' discrete
``NegativeBinomial``, tested, in a fraction of the time). Working correlation exchangeable (default)
or AR(1) over the waves; robust (sandwich) errors, or the Mancl-DeRouen
``bias_reduced`` sandwich for few clusters. The effect (``effect="post"``) is the
innovation-versus-comparison rate ratio over the follow-up waves (6, 12, 18 months),
adjusted for the baseline count and covariates - the arm x post-baseline contrast in its
analysis-of-covariance form. ``effect="trend"`` fits all four waves with arm x time.

Scores (SWEMWBS, exploitation risk): linear mixed models fitted by REML with a random
intercept and a random slope on months since baseline per young person; fixed effects
arm x time plus each baseline covariate and its interaction with time (so that slopes
that differ with age or care status are not mistaken for an arm effect). If the random
slope variance is about zero, the random-effects covariance is singular (intercept-slope
correlation +-1) or the fit does not converge, the model is refitted with a random
intercept only and the result says so (``random_slope`` False, ``note``). The effect is
the difference in slope (points per month), innovation minus comparison. The exploitation
risk score is modelled on the follow-up waves adjusted for its baseline value (``ancova``
in :data:`OUTCOMES`): the baseline score helps decide who is referred to the innovation,
and a growth model of all four waves would read the regression to the mean that follows
as an effect (shown in the simulation appendix).

Attrition (primary handling): multiple imputation by chained equations on the wide frame
(one row per young person), ``m`` = 20 by default, pooled by Rubin's rules with the
Barnard-Rubin degrees of freedom; the same model on the observed waves and on complete
cases as sensitivity analyses; the delta-adjusted pattern-mixture analysis for data
missing not at random.

Comparison groups: logistic propensity score on baseline covariates, stabilised weights,
a balance table of standardised mean differences before and after weighting, Kish
effective sample sizes, and inverse-probability-weighted (IPW) and doubly robust (AIPW)
effects on the change in a score from baseline to 18 months.

Pooling: random-effects meta-analysis (DerSimonian-Laird or REML tau-squared), I-squared,
Cochran's Q, and a forest plot; the pooled interval uses the Hartung-Knapp-Sidik-Jonkman
adjustment by default because the Wald interval undercovers with six sites once they
differ (see the simulation appendix).

Engines
-------
Two engines compute the GEE and the mixed model (:func:`innovate.stats.gee.fit_nb_gee`,
:func:`innovate.stats.mixed.fit_lmm`, which take any frame): ``engine="statsmodels"`` calls
statsmodels' ``GEE`` / ``MixedLM`` directly; ``engine="fast"`` (the default) solves the same
estimating equations and the same REML criterion in vectorised numpy, because the
statsmodels fits loop over young people in Python (about a second per mixed model at a
site), too slow for twenty imputations at six sites or for a simulation study. The unit
tests check that both engines agree (GEE coefficients to 1e-6; mixed-model coefficients
to 1e-4). The fast GEE follows statsmodels step by step (Fisher scoring, the same
exchangeable moment estimator, the same sandwich and Mancl-DeRouen formulas). The fast
mixed model maximises the REML likelihood using the fact that young people with the same
observed waves share one covariance matrix; its standard errors are the model-based
``(X' V^-1 X)^-1`` (as in R's nlme), which differ from statsmodels' full-Hessian errors in
the third decimal. AR(1) working correlation and weighted GEE use statsmodels.

Why our own chained equations rather than ``statsmodels.imputation.mice.MICEData``: the
analysis models are longitudinal (GEE and mixed models on the long frame), which
``MICE.fit`` cannot run, so only the imputation half of statsmodels would be used; that
half (which now accepts a seeded generator, ``rng=``) refits a formula per variable and
iteration, hundreds of times slower here (measured in :mod:`innovate.stats.mi`).
The engine here is the same algorithm (Bayesian linear regression
draws and predictive mean matching; van Buuren 2018) in vectorised numpy. When dropout is
monotone (once lost, always lost, as in the cohort design), variables are imputed in wave
order from covariates and earlier waves in one pass, which is exact for monotone data;
otherwise the chained equations iterate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from innovate.config import FOLLOW_UP_MONTHS, SEED
from innovate.data import casedata, shared_results, sites
from innovate.data.sites import SITE_IDS
from innovate.stats.gee import GEEResult
from innovate.stats.meta import MetaResult, meta_analysis
from innovate.stats.mixed import MixedResult
from innovate.stats.results import Estimate
from innovate.study.cohort_data import (
    OUTCOMES,
    long_frame,
    wide_frame,
)
from innovate.study.cohort_models import (
    CompleteCaseResult,
    MIResult,
    WeightedResult,
    complete_case,
    default_analysis,
    default_auxiliary,
    default_effect,
    fit_gee,
    fit_mixed,
    impute_cohort,
    mi_from_wide,
    weighted_from_wide,
)

# ======================================================================================
# One call per site, and pooling across sites
# ======================================================================================


@dataclass(frozen=True)
class CohortData:
    """The two cohort tables."""

    young_people: pd.DataFrame
    outcomes: pd.DataFrame

    @classmethod
    def load(cls, folder=None) -> CohortData:
        return cls(casedata.load("young_people", folder), casedata.load("outcomes", folder))

    @property
    def sites(self) -> list[str]:
        present = set(self.young_people["site_id"].astype(str))
        return [s for s in SITE_IDS if s in present] + sorted(present - set(SITE_IDS))


@dataclass(frozen=True)
class SiteEffects:
    """Every estimate of one outcome at one site, primary (MI) first."""

    site_id: str
    outcome: str
    primary: MIResult
    available_case: GEEResult | MixedResult
    complete_case: CompleteCaseResult
    delta: tuple[MIResult, ...] = ()
    weighted: WeightedResult | None = None
    extra: tuple = field(default_factory=tuple)

    def estimate(self, name: str) -> Estimate:
        """One estimate by name: 'primary', 'available_case', 'complete_case', 'delta'
        (the first delta-adjusted analysis), 'ipw' or 'aipw'."""
        if name in ("primary", "available_case", "complete_case"):
            return getattr(self, name).effect
        if name == "delta" and self.delta:
            return self.delta[0].effect
        if name in ("ipw", "aipw") and self.weighted is not None:
            return getattr(self.weighted, name)
        raise KeyError(f"no {name!r} estimate for {self.outcome} at {self.site_id}")

    def table(self) -> pd.DataFrame:
        parts = [self.primary.table(), self.available_case.table(), self.complete_case.table()]
        parts += [d.table() for d in self.delta]
        if self.weighted is not None:
            parts.append(self.weighted.table())
        parts += [e.table() for e in self.extra]
        frame = pd.concat(parts, ignore_index=True)
        frame["site_id"] = self.site_id
        frame["outcome"] = self.outcome
        first = ["site_id", "outcome", "method", "measure", "estimate", "ci_low", "ci_high", "p_value"]
        return frame[first + [c for c in frame.columns if c not in first]]


def site_effects(
    site_id: str,
    outcome: str = "missing_episodes",
    data: CohortData | None = None,
    m: int = 20,
    seed: int = SEED,
    deltas: Sequence[float] = (),
    weighted: bool | None = None,
    engine: str = "fast",
) -> SiteEffects:
    """Every analysis of one outcome at one site, in one call.

    Primary: the arm effect on ``m`` imputations pooled by Rubin's rules (GEE for
    counts, mixed model for scores). Sensitivity: the same model on all observed waves
    ("available case": valid under MAR for the mixed model; for GEE only if dropout does
    not depend on earlier outcomes), complete cases, and delta-adjusted imputations for
    each value of ``deltas``. For scores (``weighted`` default), the propensity-weighted
    and doubly robust effects on the change from baseline to 18 months.
    """
    data = data or CohortData.load()
    analysis = default_analysis(outcome)
    effect = default_effect(outcome)
    aux = default_auxiliary(outcome)
    wide = wide_frame(data.young_people, data.outcomes, [outcome, *aux], site_id)
    long = long_frame(data.young_people, data.outcomes, site_id)
    completed = impute_cohort(wide, outcome, m=m, seed=seed, auxiliary=aux)
    primary = mi_from_wide(wide, outcome, analysis, effect=effect, site_id=site_id, completed=completed)
    available: GEEResult | MixedResult
    if analysis == "gee":
        available = fit_gee(long, outcome, effect=effect, engine=engine, site_id=site_id)
    else:
        available = fit_mixed(long, outcome, effect=effect, engine=engine, site_id=site_id)
    cc = complete_case(long, outcome, analysis, effect=effect, site_id=site_id)
    delta_results = _delta_results(wide, outcome, site_id, completed, deltas)
    if weighted is None:
        weighted = OUTCOMES[outcome].kind == "score"
    wres = weighted_from_wide(wide, outcome, site_id=site_id, completed=completed) if weighted else None
    return SiteEffects(site_id, outcome, primary, available, cc, delta_results, wres)


def _delta_results(wide, outcome: str, site_id: str, completed, deltas: Sequence[float]) -> tuple[MIResult, ...]:
    analysis, effect = default_analysis(outcome), default_effect(outcome)
    return tuple(
        mi_from_wide(wide, outcome, analysis, effect=effect, site_id=site_id, completed=completed, delta=d)
        for d in deltas
    )


def shared_site_effects(
    site_id: str, outcome: str = "missing_episodes", m: int = 20, deltas: Sequence[float] = ()
) -> SiteEffects:
    """:func:`site_effects` on the book's case data with the default settings, its base
    analyses computed once per batch of chapter executions
    (:mod:`innovate.data.shared_results`) and the delta-adjusted ones, if any, added here.

    The site, framework, outcomes and synthesis chapters all need the same site estimates;
    this gives each exactly what its own call of :func:`site_effects` would (a unit test
    compares them), computed once.
    """
    base = shared_results.shared(
        "cohort_site_effects", (site_id, outcome, m), lambda: site_effects(site_id, outcome, CohortData.load(), m=m)
    )
    if not deltas:
        return base
    data = CohortData.load()
    aux = default_auxiliary(outcome)
    wide = wide_frame(data.young_people, data.outcomes, [outcome, *aux], site_id)
    completed = impute_cohort(wide, outcome, m=m, seed=SEED, auxiliary=aux)
    return replace(base, delta=_delta_results(wide, outcome, site_id, completed, deltas))


def pooled(
    outcome: str = "missing_episodes",
    data: CohortData | None = None,
    estimates: str = "primary",
    method: str = "DL",
    ci: str = "hksj",
    site_results: dict[str, SiteEffects] | None = None,
    **kwargs,
) -> MetaResult:
    """Random-effects pooling across sites of one outcome's site estimates.

    ``estimates`` picks the site estimate pooled (see :meth:`SiteEffects.estimate`):
    'primary' (MI), 'available_case', 'complete_case', 'delta', 'ipw' or 'aipw'.
    ``site_results`` reuses :func:`site_effects` results.
    """
    if site_results is None:
        data = data or CohortData.load()
        site_results = {s: site_effects(s, outcome, data, **kwargs) for s in data.sites}
    order = [s for s in SITE_IDS if s in site_results] + sorted(set(site_results) - set(SITE_IDS))
    ests = [site_results[s].estimate(estimates) for s in order]
    return meta_analysis(
        [e.estimate for e in ests],
        [e.se**2 for e in ests],
        [site_label(s) for s in order],
        method=method,
        ci=ci,
        scale=ests[0].scale,
    )


def site_label(site_id: str) -> str:
    """How cohort results name a site: its pseudonym on synthetic data, its short real name
    on the study's extract (:func:`innovate.data.sites.display_name`)."""
    return sites.display_name(site_id)


def display_estimate(est: Estimate, outcome: str, method: str) -> Estimate:
    """An estimate on the chapter's display scale: rate ratio for counts (natural scale
    via :meth:`Estimate.natural`); for scores, the difference in change over the 18
    months of follow-up (slope per month x 18; IPW and AIPW already are)."""
    if OUTCOMES[outcome].kind == "score" and method not in ("ipw", "aipw"):
        return est.scaled(FOLLOW_UP_MONTHS)
    return est


def manifest_truth(manifest: dict) -> dict[tuple[str, str], float]:
    """True cohort effects of a synthetic data set on the model scale: log rate ratio for
    missing episodes, slope difference per month for the scores."""
    keys = {
        "missing_episodes": "missing_episodes_rate_ratio",
        "swemwbs": "swemwbs_slope_per_month",
        "exploitation_risk_score": "exploitation_risk_slope_per_month",
        "school_attendance_pct": "attendance_slope_per_month",
        "placement_moves": "placement_moves_rate_ratio",
    }
    out = {}
    for site_id, site in manifest.get("sites", {}).items():
        effects = site.get("cohort_effects", {})
        for outcome, key in keys.items():
            if key in effects:
                value = float(effects[key])
                out[(site_id, outcome)] = float(np.log(value)) if key.endswith("rate_ratio") else value
    return out


def _has(res: SiteEffects, method: str) -> bool:
    try:
        res.estimate(method)
    except KeyError:
        return False
    return True


def truth_covered(site_results: dict[str, SiteEffects], truth: dict, method: str = "primary") -> int:
    """How many sites' 95% intervals (of ``method``) contain the true value."""
    return int(
        sum(
            res.estimate(method).covers(truth[(s, res.outcome)])
            for s, res in site_results.items()
            if (s, res.outcome) in truth
        )
    )


def delta_sensitivity(
    data: CohortData, outcome: str, deltas: Sequence[float], m: int = 20, seed: int = SEED
) -> pd.DataFrame:
    """The pooled (random-effects) effect of ``outcome`` across sites for each ``delta``
    of the pattern-mixture analysis (``delta = 0`` is the MI primary analysis): one row
    per delta with the pooled estimate and 95% interval on the display scale."""
    analysis, effect, aux = default_analysis(outcome), default_effect(outcome), default_auxiliary(outcome)
    per_site = {}
    for site_id in data.sites:
        wide = wide_frame(data.young_people, data.outcomes, [outcome, *aux], site_id)
        completed = impute_cohort(wide, outcome, m=m, seed=seed, auxiliary=aux)
        per_site[site_id] = (wide, completed)
    rows = []
    for d in deltas:
        ests = [
            mi_from_wide(wide, outcome, analysis, effect=effect, completed=done, delta=d).effect
            for wide, done in per_site.values()
        ]
        meta = meta_analysis([e.estimate for e in ests], [e.se**2 for e in ests], scale=ests[0].scale)
        value, low, high = display_estimate(meta.pooled, outcome, "primary").natural()
        rows.append({"delta": float(d), "pooled": value, "ci_low": low, "ci_high": high, "i2_pct": 100 * meta.i2})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class TippingPoint:
    """Where a delta-adjusted (pattern-mixture) sensitivity analysis changes its conclusion.

    Factors are ``exp(delta)``: 1.25 means the young people lost from the innovation arm are
    assumed to have fared 25% worse than the imputation model predicts. ``None`` where the
    event does not happen within the deltas tried.
    """

    largest_factor: float
    last_favourable_factor: float | None  # largest factor whose interval lies wholly below one
    first_unfavourable_factor: float | None  # smallest factor whose interval lies wholly above one
    point_crosses_one: bool  # whether the pooled estimate itself exceeds one anywhere
    #: the factor at which the pooled estimate reaches one (the tipping point), by linear
    #: interpolation of the log rate ratio between the deltas tried; None if it never does
    point_tipping_factor: float | None = None


def crossing(delta: np.ndarray, values: np.ndarray, level: float = 0.0) -> float | None:
    """The first ``delta`` at which ``values`` (in order of ``delta``) reach ``level``,
    linearly interpolated between the two deltas that straddle it; None if they never do."""
    delta, values = np.asarray(delta, float), np.asarray(values, float) - level
    if values[0] >= 0:
        return float(delta[0]) if values[0] == 0 else None
    for i in range(1, len(values)):
        if values[i] >= 0:
            share = -values[i - 1] / (values[i] - values[i - 1])
            return float(delta[i - 1] + share * (delta[i] - delta[i - 1]))
    return None


def tipping_point(sensitivity: pd.DataFrame) -> TippingPoint:
    """Summarise :func:`delta_sensitivity` output (ratio outcomes: one means no difference)."""
    ordered = sensitivity.sort_values("delta")
    delta = ordered["delta"].to_numpy(float)
    factor = np.exp(delta)
    below = ordered["ci_high"].to_numpy(float) < 1.0
    above = ordered["ci_low"].to_numpy(float) > 1.0
    tip = crossing(delta, np.log(ordered["pooled"].to_numpy(float)))
    return TippingPoint(
        largest_factor=float(factor.max()),
        last_favourable_factor=float(factor[below].max()) if below.any() else None,
        first_unfavourable_factor=float(factor[above].min()) if above.any() else None,
        point_crosses_one=bool((ordered["pooled"].to_numpy(float) > 1.0).any()),
        point_tipping_factor=None if tip is None else float(np.exp(tip)),
    )
