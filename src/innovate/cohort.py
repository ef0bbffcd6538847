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
Two engines compute the GEE and the mixed model: ``engine="statsmodels"`` calls
``smf.gee`` / ``smf.mixedlm`` directly; ``engine="fast"`` (the default) solves the same
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
half draws from numpy's global random state (the book requires every draw from a seeded
``np.random.default_rng``) and refits a formula per variable and iteration, too slow for
the simulation study. The engine here is the same algorithm (Bayesian linear regression
draws and predictive mean matching; van Buuren 2018) in vectorised numpy. When dropout is
monotone (once lost, always lost, as in the cohort design), variables are imputed in wave
order from covariates and earlier waves in one pass, which is exact for monotone data;
otherwise the chained equations iterate.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from .errors import DataError, Problem

#: The four waves (months since baseline) of the cohort design.
WAVES: tuple[int, ...] = (0, 6, 12, 18)
#: Arm labels; the innovation arm is the "treated" group.
ARMS: tuple[str, str] = ("innovation", "comparison")
TREATED_ARM = "innovation"
#: Default seed of the imputations (the synthetic data set's seed).
DEFAULT_SEED = 20240601


@dataclass(frozen=True)
class OutcomeSpec:
    """What an outcome is and how it is modelled."""

    name: str
    label: str
    kind: str  # 'count' | 'score' | 'binary'
    low: float | None
    high: float | None
    higher_is_better: bool
    baseline_covariate: str | None = None  # a covariate that *is* the outcome at wave 0
    unit: str = ""
    #: Model the follow-up waves adjusting for the baseline value (analysis of covariance)
    #: rather than all four waves: needed when the baseline value itself decides who
    #: receives the innovation, as for exploitation risk, or the growth model's slope
    #: absorbs regression to the mean.
    ancova: bool = False


#: The repeated outcomes of ``outcomes.csv`` (ranges from the data contract).
OUTCOMES: dict[str, OutcomeSpec] = {
    "missing_episodes": OutcomeSpec(
        "missing_episodes", "Missing episodes", "count", 0, None, False, "log_prior_missing", "episodes in 6 months"
    ),
    "exploitation_risk_score": OutcomeSpec(
        "exploitation_risk_score", "Exploitation risk score", "score", 0, 30, False, "baseline_risk_score",
        "points (0-30)", ancova=True,
    ),
    "swemwbs": OutcomeSpec("swemwbs", "SWEMWBS wellbeing", "score", 7, 35, True, None, "points (7-35)"),
    "school_attendance_pct": OutcomeSpec(
        "school_attendance_pct", "School attendance", "score", 0, 100, True, None, "percentage points"
    ),
    "placement_moves": OutcomeSpec(
        "placement_moves", "Placement moves", "count", 0, None, False, None, "moves in 6 months"
    ),
    "justice_contact": OutcomeSpec("justice_contact", "Justice contact", "binary", 0, 1, False),
}

#: Baseline covariates of the outcome and propensity models (built by :func:`person_frame`).
#: ``log_prior_missing`` is log(1 + missing episodes in the six months before baseline).
COVARIATES: tuple[str, ...] = (
    "age_at_baseline",
    "female",
    "looked_after",
    "log_prior_missing",
    "baseline_risk_score",
)
#: Ethnicity levels; the propensity model uses indicators against 'white'.
ETHNICITIES: tuple[str, ...] = ("white", "black", "asian", "mixed", "other")
#: Covariates of the propensity-score model (ethnicity as indicators).
PS_COVARIATES: tuple[str, ...] = COVARIATES + tuple(f"eth_{e}" for e in ETHNICITIES[1:])

YOUNG_PEOPLE_COLUMNS = (
    "person_id",
    "site_id",
    "arm",
    "sex",
    "age_at_baseline",
    "ethnicity",
    "looked_after",
    "prior_missing_episodes",
    "baseline_risk_score",
)
OUTCOME_COLUMNS = ("person_id", "wave_month", "observed")

Z95 = float(stats.norm.ppf(0.975))


# ======================================================================================
# Estimates and their tidy rows
# ======================================================================================


@dataclass(frozen=True)
class Estimate:
    """One effect with its 95% interval, on the model's scale (log for counts).

    ``df`` is None for a normal-theory interval, else the t degrees of freedom used.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    scale: str = "identity"  # 'log' -> exponentiate for a ratio
    df: float | None = None

    @classmethod
    def from_se(cls, estimate: float, se: float, scale: str = "identity", df: float | None = None) -> Estimate:
        finite_df = df is not None and np.isfinite(df)
        q = float(special.stdtrit(df, 0.975)) if finite_df else Z95
        stat = estimate / se if se > 0 else np.nan
        p = 2 * (special.stdtr(df, -abs(stat)) if finite_df else special.ndtr(-abs(stat)))
        return cls(float(estimate), float(se), float(estimate - q * se), float(estimate + q * se), float(p), scale,
                   float(df) if finite_df else None)

    def natural(self) -> tuple[float, float, float]:
        """(estimate, lower, upper) on the natural scale: ratios for log-scale effects."""
        if self.scale == "log":
            return float(np.exp(self.estimate)), float(np.exp(self.ci_low)), float(np.exp(self.ci_high))
        return self.estimate, self.ci_low, self.ci_high

    def covers(self, truth: float) -> bool:
        """Whether the 95% interval contains ``truth`` (on the model's scale)."""
        return bool(self.ci_low <= truth <= self.ci_high)

    def scaled(self, factor: float) -> Estimate:
        """The estimate in other units (e.g. a slope per month times 18 = the difference
        over 18 months); the p-value is unchanged. Identity scale only."""
        if self.scale != "identity" or factor <= 0:
            raise ValueError("only an identity-scale estimate can be rescaled, by a positive factor")
        return Estimate(self.estimate * factor, self.se * factor, self.ci_low * factor, self.ci_high * factor,
                        self.p_value, self.scale, self.df)


def format_p(p: float) -> str:
    """A p-value for prose: 'p = 0.016', 'p = 0.10' (two significant figures at most three
    decimals), or 'p < 0.001'."""
    if not np.isfinite(p):
        raise ValueError("p-value is not finite")
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.2f}" if p >= 0.1 else f"p = {p:.3f}"


def heterogeneity_words(i2_pct: float) -> str:
    """A plain description of I-squared (per cent) for prose, using the conventional
    rough bands: below 25 little, 25 to 50 moderate, 50 and above marked."""
    if i2_pct < 25:
        return "little difference between the sites beyond chance"
    if i2_pct < 50:
        return "moderate differences between the sites"
    return "marked differences between the sites"


def _effect_row(est: Estimate, **labels) -> dict:
    value, low, high = est.natural()
    return {
        **labels,
        "measure": "rate ratio" if est.scale == "log" else "difference",
        "estimate": value,
        "ci_low": low,
        "ci_high": high,
        "p_value": est.p_value,
        "model_estimate": est.estimate,
        "se": est.se,
        "scale": est.scale,
    }


# ======================================================================================
# Frames
# ======================================================================================


def _require(frame: pd.DataFrame, columns: Iterable[str], file: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError([Problem(file, "missing column", f"column {c!r} is required by the cohort analysis", column=c)
                         for c in missing])


def person_frame(young_people: pd.DataFrame, site_id: str | None = None) -> pd.DataFrame:
    """One row per young person with the modelling covariates (``treated``, ``female``,
    ``log_prior_missing``, ethnicity indicators), restricted to ``site_id`` when given."""
    _require(young_people, YOUNG_PEOPLE_COLUMNS, "young_people.csv")
    yp = young_people
    if site_id is not None:
        yp = yp[yp["site_id"].astype(str) == site_id]
        if yp.empty:
            raise DataError([Problem("young_people.csv", "unknown site", f"no young people for site {site_id!r}",
                                     column="site_id", value=site_id)])
    arm = yp["arm"].astype(str)
    bad = ~arm.isin(ARMS)
    if bad.any():
        raise DataError([Problem("young_people.csv", "allowed values", f"arm must be one of {ARMS}",
                                 column="arm", row=int(r) + 1, value=v) for r, v in arm[bad].items()])
    numeric = {}
    problems = []
    for c in ("age_at_baseline", "looked_after", "prior_missing_episodes", "baseline_risk_score"):
        values = pd.to_numeric(yp[c], errors="coerce")
        for r in values.index[values.isna()]:
            problems.append(Problem("young_people.csv", "complete covariate", f"{c} must be a number for every "
                                    "young person (the cohort models need it)", column=c, row=int(r) + 1,
                                    value=yp.at[r, c]))
        numeric[c] = values.to_numpy(dtype=float)
    if problems:
        raise DataError(problems)
    out = pd.DataFrame(
        {
            "person_id": yp["person_id"].astype(str).to_numpy(),
            "site_id": yp["site_id"].astype(str).to_numpy(),
            "arm": arm.to_numpy(),
            "treated": (arm == TREATED_ARM).astype(int).to_numpy(),
            "age_at_baseline": numeric["age_at_baseline"],
            "female": (yp["sex"].astype(str) == "female").astype(int).to_numpy(),
            "looked_after": numeric["looked_after"].astype(int),
            "prior_missing_episodes": numeric["prior_missing_episodes"],
            "log_prior_missing": np.log1p(numeric["prior_missing_episodes"]),
            "baseline_risk_score": numeric["baseline_risk_score"],
        }
    )
    eth = yp["ethnicity"].astype(str).to_numpy()
    for e in ETHNICITIES[1:]:
        out[f"eth_{e}"] = (eth == e).astype(int)
    out["eth_not_white"] = (eth != "white").astype(int)
    return out.sort_values("person_id", kind="stable").reset_index(drop=True)


def long_frame(young_people: pd.DataFrame, outcomes: pd.DataFrame, site_id: str | None = None,
               observed_only: bool = True) -> pd.DataFrame:
    """Outcomes merged with the person covariates, one row per person and wave.

    Adds ``time`` (months since baseline) and ``post`` (after baseline). With
    ``observed_only`` (the default) waves lost to follow-up are left out; they are
    counted, not dropped silently: :func:`attrition_table` reports them.
    """
    _require(outcomes, OUTCOME_COLUMNS, "outcomes.csv")
    persons = person_frame(young_people, site_id)
    ids = outcomes["person_id"].astype(str)
    known = set(persons["person_id"]) if site_id is None else set(young_people["person_id"].astype(str))
    orphans = outcomes.index[~ids.isin(known)]
    if len(orphans):
        raise DataError([Problem("outcomes.csv", "foreign key", "person_id not in young_people.csv",
                                 column="person_id", row=int(r) + 1, value=outcomes.at[r, "person_id"])
                         for r in orphans[:50]])
    out = outcomes[ids.isin(set(persons["person_id"]))].copy()
    out["person_id"] = out["person_id"].astype(str)
    bad_wave = out.index[~out["wave_month"].isin(WAVES)]
    if len(bad_wave):
        raise DataError([Problem("outcomes.csv", "allowed values", f"wave_month must be one of {WAVES}",
                                 column="wave_month", row=int(r) + 1, value=out.at[r, "wave_month"])
                         for r in bad_wave[:50]])
    out["wave_month"] = out["wave_month"].astype(int)
    out["observed"] = out["observed"].astype(int)
    long = out.merge(persons, on="person_id", how="left", validate="many_to_one")
    long["time"] = long["wave_month"].astype(float)
    long["post"] = (long["wave_month"] > 0).astype(int)
    if observed_only:
        long = long[long["observed"] == 1]
    return long.sort_values(["person_id", "wave_month"], kind="stable").reset_index(drop=True)


def _check_outcome(long: pd.DataFrame, outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}; expected one of {sorted(OUTCOMES)}")
    _require(long, [outcome], "outcomes.csv")
    observed = (long["observed"] == 1) if "observed" in long else pd.Series(True, index=long.index)
    gaps = long.index[observed & long[outcome].isna()]
    if len(gaps):
        raise DataError([Problem("outcomes.csv", "observed wave has an outcome",
                                 f"{outcome} is empty in a wave marked observed", column=outcome, row=int(r) + 1,
                                 value=long.at[r, "person_id"]) for r in gaps[:50]])


def wide_frame(young_people: pd.DataFrame, outcomes: pd.DataFrame, outcome: str | Sequence[str],
               site_id: str | None = None, long: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per young person: covariates and ``{outcome}_{wave}`` for each wave and
    each named outcome (empty where the wave was lost to follow-up). ``long`` reuses a
    :func:`long_frame` built with ``observed_only=False`` for the same site."""
    names = [outcome] if isinstance(outcome, str) else list(outcome)
    if long is None:
        long = long_frame(young_people, outcomes, site_id, observed_only=False)
    wide = person_frame(young_people, site_id).set_index("person_id")
    for name in names:
        _check_outcome(long, name)
        values = long.pivot(index="person_id", columns="wave_month", values=name).reindex(columns=list(WAVES))
        values.columns = [f"{name}_{w}" for w in WAVES]
        wide = wide.join(values.astype(float), how="left")
    return wide.reset_index()


def attrition_table(young_people: pd.DataFrame, outcomes: pd.DataFrame, site_id: str | None = None) -> pd.DataFrame:
    """Young people observed at each wave, by arm (counts of people: pass them through
    disclosure control before showing them)."""
    long = long_frame(young_people, outcomes, site_id, observed_only=False)
    table = long.groupby(["arm", "wave_month"])["observed"].agg(["sum", "size"]).reset_index()
    table = table.rename(columns={"sum": "observed", "size": "enrolled"})
    table["observed"] = table["observed"].astype(int)
    table["retained_pct"] = 100 * table["observed"] / table["enrolled"]
    return table


def _ancova(outcome: str, ancova: bool | None) -> bool:
    return OUTCOMES[outcome].ancova if ancova is None else bool(ancova)


def model_covariates(outcome: str, covariates: Sequence[str] | None = None, ancova: bool | None = None) -> list[str]:
    """The covariates of an outcome's model: ``COVARIATES`` minus, for a score modelled
    on all four waves, the covariate that is the outcome's own baseline (it is wave 0 of
    the outcome there; analysis-of-covariance models keep it)."""
    covs = list(COVARIATES if covariates is None else covariates)
    spec = OUTCOMES[outcome]
    if spec.kind == "score" and not _ancova(outcome, ancova) and spec.baseline_covariate in covs:
        covs.remove(spec.baseline_covariate)
    return covs


def model_formula(outcome: str, effect: str, covariates: Sequence[str], ancova: bool | None = None
                  ) -> tuple[str, str, bool]:
    """(formula, effect term, follow-up waves only) of an outcome's model.

    Counts, ``effect='post'``: ``y ~ treated + covariates`` on waves 6-18 (the baseline
    count enters through ``log_prior_missing``). Counts, ``'trend'``: ``y ~ treated * time
    + covariates`` on all waves. Scores: ``y ~ treated * time + covariates * time`` on all
    waves (``'post'``: ``post`` in place of ``time``); scores marked ``ancova`` use the
    follow-up waves with the baseline value among the covariates (``'post'``: ``y ~
    treated + covariates``). ``ancova`` overrides the outcome's default form.
    """
    kind = OUTCOMES[outcome].kind
    covs = list(covariates)
    if effect not in ("post", "trend"):
        raise ValueError(f"effect must be 'post' or 'trend', not {effect!r}")
    if kind == "count":
        if effect == "post":
            return f"{outcome} ~ " + " + ".join(["treated", *covs]), "treated", True
        return f"{outcome} ~ " + " + ".join(["treated * time", *covs]), "treated:time", False
    var = "time" if effect == "trend" else "post"
    ancova = _ancova(outcome, ancova)
    if ancova and effect == "post":
        return f"{outcome} ~ " + " + ".join(["treated", *covs]), "treated", True
    rhs = [f"treated * {var}"] + ([f"({' + '.join(covs)}) * {var}"] if covs else [])
    return f"{outcome} ~ " + " + ".join(rhs), f"treated:{var}", ancova


def _design(data: pd.DataFrame, formula: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Response and design matrix of a formula (patsy), for the statsmodels engine."""
    import patsy

    y, X = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="raise")
    return y.to_numpy(float).ravel(), X.to_numpy(float), list(X.columns)


def design_matrix(data: pd.DataFrame, outcome: str, effect: str, covariates: Sequence[str],
                  ancova: bool | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Response, design matrix and column names of :func:`model_formula`, built directly
    (patsy takes ~40 ms a call, too slow for a simulation); the same columns in the same
    order as patsy gives for the formula (tested)."""
    formula, term, _ = model_formula(outcome, effect, covariates, ancova)
    n = len(data)
    cols: dict[str, np.ndarray] = {"Intercept": np.ones(n)}
    treated = data["treated"].to_numpy(float)
    covs = {c: data[c].to_numpy(float) for c in covariates}
    if term == "treated":
        cols["treated"] = treated
        cols.update(covs)
    else:
        var = term.split(":")[1]
        v = data[var].to_numpy(float)
        cols.update({"treated": treated, var: v, term: treated * v})
        cols.update(covs)
        if OUTCOMES[outcome].kind == "score":
            cols.update({f"{c}:{var}": x * v for c, x in covs.items()})
    y = data[outcome].to_numpy(float)
    if np.isnan(y).any():
        raise ValueError(f"{outcome} has empty values in rows to be modelled")
    return y, np.column_stack(list(cols.values())), list(cols)


def _model_rows(long: pd.DataFrame, outcome: str, follow_up_only: bool) -> pd.DataFrame:
    data = long if "observed" not in long else long[long["observed"] == 1]
    if follow_up_only:
        data = data[data["wave_month"] > 0]
    return data.sort_values(["person_id", "wave_month"], kind="stable").reset_index(drop=True)


def _clusters(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row index (n, T) of each cluster's rows padded with 0, the mask of real rows, and
    cluster sizes. Rows of a cluster must be contiguous."""
    groups = np.asarray(groups)
    if len(groups) == 0:
        raise ValueError("no rows to fit")
    change = np.r_[True, groups[1:] != groups[:-1]]
    starts = np.flatnonzero(change)
    sizes = np.diff(np.r_[starts, len(groups)])
    if len(np.unique(groups)) != len(starts):
        raise ValueError("rows of a young person must be contiguous (sort by person and wave)")
    T = int(sizes.max())
    idx = starts[:, None] + np.arange(T)[None, :]
    mask = np.arange(T)[None, :] < sizes[:, None]
    return np.where(mask, idx, 0), mask, sizes


# ======================================================================================
# GEE for counts
# ======================================================================================


@dataclass(frozen=True)
class GEEResult:
    """A negative binomial GEE effect (a rate ratio)."""

    outcome: str
    effect: Estimate
    term: str
    alpha: float
    cov_struct: str
    cov_type: str
    working_correlation: float
    n_people: int
    n_obs: int
    converged: bool
    params: pd.Series
    engine: str
    site_id: str | None = None
    note: str = ""

    def table(self) -> pd.DataFrame:
        row = _effect_row(self.effect, site_id=self.site_id, outcome=self.outcome, method="GEE (NB)", term=self.term)
        row.update(alpha=self.alpha, working_correlation=self.working_correlation, cov_struct=self.cov_struct,
                   cov_type=self.cov_type, n_people=self.n_people, n_obs=self.n_obs, note=self.note)
        return pd.DataFrame([row])


def _nb2_irls(y: np.ndarray, X: np.ndarray, alpha: float, beta: np.ndarray | None = None,
              tol: float = 1e-10, maxiter: int = 100) -> np.ndarray:
    """Maximum likelihood coefficients of an NB2 log-linear model with ``alpha`` fixed
    (iteratively reweighted least squares)."""
    if beta is None:
        beta = np.zeros(X.shape[1])
        beta[0] = np.log(max(y.mean(), 1e-8))
    for _ in range(maxiter):
        mu = np.exp(np.clip(X @ beta, -700, 700))
        w = mu / (1 + alpha * mu)
        score = X.T @ (w * (y - mu) / mu)
        step = _solve((X * w[:, None]).T @ X, score)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def _nb2_loglike(y: np.ndarray, mu: np.ndarray, alpha: float) -> float:
    from scipy.special import gammaln

    r = 1 / alpha
    return float(np.sum(gammaln(y + r) - gammaln(r) - gammaln(y + 1) + r * np.log(r / (r + mu))
                        + y * np.log(mu / (r + mu))))


def estimate_nb_alpha(y: np.ndarray, X: np.ndarray) -> float:
    """NB2 dispersion (``Var = mu + alpha mu^2``) of the marginal mean model by maximum
    likelihood (profile likelihood over log alpha, coefficients by IRLS); GEE then holds
    it fixed. The same estimate as statsmodels' discrete ``NegativeBinomial`` (tested),
    at a fraction of the time. With no overdispersion it returns a floor of 1e-8."""
    y = np.asarray(y, float)
    state = {"beta": None}

    def negll(log_alpha: float) -> float:
        alpha = float(np.exp(log_alpha))
        state["beta"] = _nb2_irls(y, X, alpha, state["beta"])
        return -_nb2_loglike(y, np.exp(X @ state["beta"]), alpha)

    res = optimize.minimize_scalar(negll, bounds=(np.log(1e-8), np.log(1e3)), method="bounded",
                                   options={"xatol": 1e-6})
    return float(np.exp(res.x))


@dataclass(frozen=True)
class _GEEFit:
    params: np.ndarray
    cov: np.ndarray
    rho: float
    converged: bool
    iterations: int


def gee_nb_fast(y: np.ndarray, X: np.ndarray, groups: np.ndarray, alpha: float, cov_struct: str = "exchangeable",
                cov_type: str = "robust", maxiter: int = 60, ctol: float = 1e-6) -> _GEEFit:
    """Negative binomial (log link) GEE in vectorised numpy, following statsmodels' GEE
    step by step: independence start, one Fisher-scoring step then one update of the
    exchangeable correlation per iteration, convergence when the score norm < ``ctol``,
    robust / naive / Mancl-DeRouen bias-reduced covariance. Rows of a cluster contiguous."""
    if cov_struct not in ("exchangeable", "independence"):
        raise ValueError("the fast GEE engine takes 'exchangeable' or 'independence'")
    idx, mask, sizes = _clusters(groups)
    M = mask.astype(float)
    Yp = y[idx] * M
    Xp = X[idx] * M[..., None]
    n, T, p = Xp.shape
    N = len(y)

    def parts(beta: np.ndarray, rho: float):
        mu = np.where(mask, np.exp(np.clip(Xp @ beta, -700, 700)), 1.0)
        sd = np.sqrt(mu + alpha * mu**2)
        D = mu[..., None] * Xp
        r = (Yp - mu) * M
        c = rho / (1 - rho) / (1 + rho * (sizes - 1))
        return mu, sd, D, r, c

    def vinv(x: np.ndarray, sd: np.ndarray, rho: float, c: np.ndarray) -> np.ndarray:
        if x.ndim == 3:
            x1 = x / sd[..., None]
            out = x1 / (1 - rho) - c[:, None, None] * x1.sum(axis=1, keepdims=True)
            return out / sd[..., None] * M[..., None]
        x1 = x / sd * M
        out = x1 / (1 - rho) - c[:, None] * x1.sum(axis=1, keepdims=True)
        return out / sd * M

    def step(beta: np.ndarray, rho: float):
        mu, sd, D, r, c = parts(beta, rho)
        VD = vinv(D, sd, rho, c)
        Vr = vinv(r, sd, rho, c)
        bmat = np.einsum("ntp,ntq->pq", D, VD)
        score = np.einsum("ntp,nt->p", D, Vr)
        return bmat, score

    def update_rho(beta: np.ndarray) -> float:
        mu, sd, _, r, _ = parts(beta, 0.0)
        res = r / sd * M
        ssr = (res**2).sum(axis=1)
        scale = ssr.sum() / (N - p)
        pairs = ((res.sum(axis=1) ** 2 - ssr) / 2).sum() / scale
        n_pairs = float((sizes * (sizes - 1) / 2).sum())
        return float(pairs / (n_pairs - p)) if n_pairs > p else 0.0

    # independence start (the GLM solution), as statsmodels starts from a GLM fit
    beta = np.zeros(p)
    beta[0] = np.log(max(y.mean(), 1e-8)) if np.allclose(X[:, 0], 1) else 0.0
    for _ in range(100):
        bmat, score = step(beta, 0.0)
        upd = _solve(bmat, score)
        beta = beta + upd
        if np.sqrt(np.sum(score**2)) < 1e-10:
            break
    rho = 0.0
    n_assoc = 0
    del_params = np.inf
    iterations = 0
    for iterations in range(1, maxiter + 1):
        bmat, score = step(beta, rho)
        beta = beta + _solve(bmat, score)
        del_params = float(np.sqrt(np.sum(score**2)))
        if del_params < ctol and n_assoc > 0:
            break
        if cov_struct == "exchangeable":
            rho = update_rho(beta)
        n_assoc += 1
    converged = del_params < ctol
    mu, sd, D, r, c = parts(beta, rho)
    VD = vinv(D, sd, rho, c)
    Vr = vinv(r, sd, rho, c)
    bmat = np.einsum("ntp,ntq->pq", D, VD)
    bmati = _inv(bmat)
    naive = bmati  # the NB family has scale 1
    if cov_type == "naive":
        cov = naive
    elif cov_type == "robust":
        u = np.einsum("ntp,nt->np", D, Vr)
        cov = bmati @ (u.T @ u) @ bmati
    elif cov_type == "bias_reduced":
        eye = np.eye(T)
        # V^-1 as explicit (n, T, T) matrices, zero outside the real rows
        Vinv = (eye[None] / (1 - rho) - c[:, None, None]) * (M[:, :, None] * M[:, None, :])
        Vinv = Vinv / (sd[:, :, None] * sd[:, None, :])
        H = np.einsum("ntp,pq,nsq->nts", D, naive, D) @ Vinv
        I_H = eye[None] - H
        aresid = np.linalg.solve(I_H, r[..., None])[..., 0]
        srt = np.einsum("ntp,nt->np", D, np.einsum("nts,ns->nt", Vinv, aresid))
        cov = naive @ (srt.T @ srt) @ naive
    else:
        raise ValueError(f"cov_type must be 'robust', 'bias_reduced' or 'naive', not {cov_type!r}")
    return _GEEFit(beta, cov, float(rho), bool(converged), iterations)


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a) @ b


def _inv(a: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a)


def fit_gee(
    long: pd.DataFrame,
    outcome: str = "missing_episodes",
    effect: str = "post",
    cov_struct: str = "exchangeable",
    cov_type: str = "robust",
    covariates: Sequence[str] | None = None,
    alpha: float | None = None,
    engine: str = "fast",
    weights: np.ndarray | None = None,
    site_id: str | None = None,
) -> GEEResult:
    """Negative binomial GEE of a count outcome (see the module notes for the model).

    ``cov_struct``: 'exchangeable', 'ar1' (time = wave; statsmodels engine) or
    'independence'; ``cov_type``: 'robust', 'bias_reduced' (Mancl-DeRouen, for few
    clusters) or 'naive'. ``alpha`` is estimated by a negative binomial regression when
    not given. ``weights`` (one per row) make it a weighted GEE (statsmodels engine).
    """
    _check_outcome(long, outcome)
    if OUTCOMES[outcome].kind != "count":
        raise ValueError(f"{outcome} is not a count; use fit_mixed for scores")
    if cov_struct not in ("exchangeable", "ar1", "independence"):
        raise ValueError(f"cov_struct must be 'exchangeable', 'ar1' or 'independence', not {cov_struct!r}")
    if cov_type not in ("robust", "bias_reduced", "naive"):
        raise ValueError(f"cov_type must be 'robust', 'bias_reduced' or 'naive', not {cov_type!r}")
    if engine not in ("fast", "statsmodels"):
        raise ValueError(f"engine must be 'fast' or 'statsmodels', not {engine!r}")
    covs = model_covariates(outcome, covariates)
    formula, term, follow_up = model_formula(outcome, effect, covs)
    data = _model_rows(long, outcome, follow_up)
    y, X, names = design_matrix(data, outcome, effect, covs)
    groups = data["person_id"].to_numpy()
    if alpha is None:
        alpha = estimate_nb_alpha(y, X)
    notes: list[str] = []
    if engine == "fast" and cov_struct != "ar1" and weights is None:
        fit = gee_nb_fast(y, X, groups, alpha, cov_struct, cov_type)
        params = pd.Series(fit.params, index=names)
        se = float(np.sqrt(fit.cov[names.index(term), names.index(term)]))
        rho, converged, used = fit.rho, fit.converged, "fast"
    else:
        import statsmodels.api as sm

        structure = {"exchangeable": sm.cov_struct.Exchangeable, "independence": sm.cov_struct.Independence,
                     "ar1": lambda: sm.cov_struct.Autoregressive(grid=True)}[cov_struct]()
        wave_index = (data["wave_month"].to_numpy() // 6).astype(int)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = sm.GEE(y, X, groups=groups, time=wave_index, family=sm.families.NegativeBinomial(alpha=alpha),
                           cov_struct=structure, weights=weights)
            res = model.fit(cov_type=cov_type, maxiter=100)
        converged = not any("converge" in str(w.message).lower() or "iteration limit" in str(w.message).lower()
                            for w in caught)
        notes += [str(w.message).splitlines()[0] for w in caught if "converge" in str(w.message).lower()]
        params = pd.Series(np.asarray(res.params), index=names)
        se = float(np.asarray(res.bse)[names.index(term)])
        dep = structure.dep_params
        rho = float(np.atleast_1d(dep)[0]) if dep is not None and np.size(dep) else 0.0
        used = "statsmodels"
    if not converged:
        notes.append("GEE did not converge")
    est = Estimate.from_se(float(params[term]), se, scale="log")
    return GEEResult(outcome, est, term, float(alpha), cov_struct, cov_type, rho, int(len(np.unique(groups))),
                     int(len(y)), bool(converged), params, used, site_id, "; ".join(notes))


# ======================================================================================
# Linear mixed models for scores
# ======================================================================================


@dataclass(frozen=True)
class MixedResult:
    """A linear mixed model effect (difference in slope, points per month)."""

    outcome: str
    effect: Estimate
    term: str
    random_slope: bool
    note: str
    variance_components: dict
    n_people: int
    n_obs: int
    converged: bool
    params: pd.Series
    engine: str
    site_id: str | None = None

    def table(self) -> pd.DataFrame:
        row = _effect_row(self.effect, site_id=self.site_id, outcome=self.outcome, method="Mixed model",
                          term=self.term)
        row.update(random_effects="intercept + slope" if self.random_slope else "intercept only",
                   n_people=self.n_people, n_obs=self.n_obs, note=self.note)
        return pd.DataFrame([row])


#: The random slope counts as zero when its variance times the squared follow-up
#: (18 months) is below this share of the residual variance; the model also falls back
#: to a random intercept when the intercept-slope correlation is +-1 (a singular fit).
SLOPE_VARIANCE_TOLERANCE = 1e-3


#: An intercept-slope correlation beyond this (in absolute value) is a singular fit.
SINGULAR_CORRELATION = 0.999


def _correlation(psi: np.ndarray) -> float:
    d = np.sqrt(psi[0, 0] * psi[1, 1])
    return float(psi[0, 1] / d) if d > 0 else 0.0


#: Largest absolute gradient of the REML criterion (-2 log-likelihood scale, Cholesky
#: parameters) accepted as converged.
GRADIENT_TOLERANCE = 1e-3


#: Smallest diagonal element of a warm start's Cholesky factor (unit-scaled Z).
WARM_START_FLOOR = 0.05


def _positive_diagonal(theta: np.ndarray, q: int) -> np.ndarray:
    """The same Cholesky factor (lower triangle, row by row) with a non-negative diagonal.

    ``L`` and ``L`` with a column's sign flipped give the same ``L L'``; choosing the
    positive one makes the parameters, and warm starts taken from them, unique.
    """
    L = np.zeros((q, q))
    L[np.tril_indices(q)] = theta
    L = L * np.where(np.diag(L) < 0, -1.0, 1.0)[None, :]
    return L[np.tril_indices(q)]


def newton_polish(value_and_grad, x: np.ndarray, max_steps: int = 20, step_tol: float = 1e-10) -> np.ndarray:
    """Newton steps from a point a quasi-Newton optimiser accepted, to the optimum itself.

    BFGS stops once the gradient is small, at a point that depends on its path, and its
    path depends on rounding, so on the CPU's BLAS kernel (the pooled estimates of the
    book moved in the fourth significant digit from one CPU to another). Newton's method
    with a finite-difference Hessian of the analytic gradient converges quadratically to
    the same point from any nearby start. A step is taken only while the Hessian is
    positive definite and the criterion does not rise beyond rounding; otherwise the
    point is returned as it is (e.g. on a flat boundary of the parameter space).
    """
    x = np.asarray(x, float).copy()
    value, grad = value_and_grad(x)
    for _ in range(max_steps):
        h = 1e-5 * np.maximum(1.0, np.abs(x))
        hessian = np.empty((len(x), len(x)))
        for j in range(len(x)):
            e = np.zeros_like(x)
            e[j] = h[j]
            hessian[:, j] = (value_and_grad(x + e)[1] - value_and_grad(x - e)[1]) / (2 * h[j])
        hessian = (hessian + hessian.T) / 2
        try:
            step = np.linalg.solve(np.linalg.cholesky(hessian).T, np.linalg.solve(np.linalg.cholesky(hessian), grad))
        except np.linalg.LinAlgError:
            break
        new_value, new_grad = value_and_grad(x - step)
        if not np.isfinite(new_value) or new_value > value + 1e-9 * max(1.0, abs(value)):
            break
        x, value, grad = x - step, new_value, new_grad
        if float(np.max(np.abs(step))) < step_tol:
            break
    return x


@dataclass(frozen=True)
class _LMMFit:
    params: np.ndarray
    cov: np.ndarray
    sigma2: float
    psi: np.ndarray  # covariance of the random effects (absolute units)
    converged: bool
    objective: float
    theta: np.ndarray  # the optimiser's parameters (for warm starts)


def _lmm_patterns(y: np.ndarray, X: np.ndarray, Z: np.ndarray, groups: np.ndarray) -> tuple:
    """Sufficient statistics of the REML likelihood by pattern of random-effect design.

    Young people whose observed waves (rows of Z) are the same share one V_i, so the
    likelihood needs only, per pattern, sum X_i[t]X_i[s]', sum X_i[t]y_i[s] and sum
    y_i[t]y_i[s]. Patterns are padded to the longest one (zero rows of Z and zero
    statistics, so the padding adds an identity block that changes nothing).
    """
    idx, mask, sizes = _clusters(groups)
    T, p, q = idx.shape[1], X.shape[1], Z.shape[1]
    zs, ns, sxx, sxy, syy = [], [], [], [], []
    for k in np.unique(sizes):
        who = np.flatnonzero(sizes == k)
        rows = idx[who, :k]
        keys, inverse = np.unique(Z[rows].reshape(len(who), -1), axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        for u in range(len(keys)):
            sel = rows[inverse == u]
            Xs, ys = X[sel], y[sel]
            zp = np.zeros((T, q))
            zp[:k] = keys[u].reshape(k, q)
            a = np.zeros((T, T, p, p))
            a[:k, :k] = np.einsum("ntp,nsq->tspq", Xs, Xs)
            b = np.zeros((T, T, p))
            b[:k, :k] = np.einsum("ntp,ns->tsp", Xs, ys)
            c = np.zeros((T, T))
            c[:k, :k] = np.einsum("nt,ns->ts", ys, ys)
            zs.append(zp), ns.append(len(sel)), sxx.append(a), sxy.append(b), syy.append(c)
    return np.array(zs), np.array(ns, float), np.array(sxx), np.array(sxy), np.array(syy)


def lmm_reml_fast(y: np.ndarray, X: np.ndarray, Z: np.ndarray, groups: np.ndarray,
                  theta0: np.ndarray | None = None) -> _LMMFit:
    """REML fit of ``y = X b + Z u_i + e`` with ``u_i ~ N(0, Psi)``, ``e ~ N(0, s2 I)``.

    The criterion ``(N - p) log(rss) + sum log|H_i| + log|X'H^-1X|`` (``H_i = V_i / s2``)
    is profiled over ``s2`` and parameterised by the Cholesky factor of ``Psi / s2``
    (columns of Z scaled to unit spread); it is minimised by BFGS with its analytic
    gradient, polished by Nelder-Mead if BFGS stops short. The fixed effects are GLS
    given the variance parameters, with covariance ``s2 (X'H^-1X)^-1``. ``theta0``
    (e.g. the ``theta`` of a previous fit to similar data) warm-starts the optimiser.
    """
    N, p = X.shape
    q = Z.shape[1]
    zscale = np.array([Z[:, j].std() if Z[:, j].std() > 0 else 1.0 for j in range(q)])
    Zp, n_u, Sxx, Sxy, Syy = _lmm_patterns(y, X, Z / zscale, groups)
    Zt = np.swapaxes(Zp, 1, 2)
    eye = np.eye(Zp.shape[1])
    tril = np.tril_indices(q)
    units = []
    for r, c in zip(*tril):
        E = np.zeros((q, q))
        E[r, c] = 1.0
        units.append(E)

    def pieces(theta: np.ndarray):
        L = np.zeros((q, q))
        L[tril] = theta
        H = Zp @ (L @ L.T) @ Zt + eye
        Hinv = np.linalg.inv(H)
        A = np.einsum("kts,ktspq->pq", Hinv, Sxx)
        b = np.einsum("kts,ktsp->p", Hinv, Sxy)
        c = float(np.sum(Hinv * Syy))
        return L, H, Hinv, A, b, c

    def value_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        L, H, Hinv, A, b, c = pieces(theta)
        try:
            Ainv = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            return 1e300, np.zeros_like(theta)
        beta = Ainv @ b
        rss = c - b @ beta
        if not np.isfinite(rss) or rss <= 0:
            return 1e300, np.zeros_like(theta)
        value = (N - p) * np.log(rss) + float(n_u @ np.linalg.slogdet(H)[1]) + np.linalg.slogdet(A)[1]
        grad = np.empty_like(theta)
        for j, E in enumerate(units):
            dH = Zp @ (E @ L.T + L @ E.T) @ Zt
            dHinv = -Hinv @ dH @ Hinv
            dA = np.einsum("kts,ktspq->pq", dHinv, Sxx)
            db = np.einsum("kts,ktsp->p", dHinv, Sxy)
            dc = float(np.sum(dHinv * Syy))
            drss = dc - 2 * beta @ db + beta @ dA @ beta
            grad[j] = ((N - p) * drss / rss + float(n_u @ np.einsum("ktt->k", Hinv @ dH))
                       + float(np.sum(Ainv * dA.T)))
        return float(value), grad

    diagonal = [i for i, (r, cc) in enumerate(zip(*tril)) if r == cc]
    if theta0 is None or len(theta0) != len(tril[0]):
        theta0 = np.zeros(len(tril[0]))
        theta0[diagonal] = [1.0] + [0.3] * (q - 1)
    else:
        # A warm start on the boundary (a zero diagonal element of the Cholesky factor) sits
        # on a plane the gradient never leaves: the criterion is even in that element. Start
        # from a point off it, so the optimum found does not depend on the previous fit.
        theta0 = _positive_diagonal(np.asarray(theta0, float), q)
        theta0[diagonal] = np.maximum(theta0[diagonal], WARM_START_FLOOR)
    best = optimize.minimize(value_and_grad, np.asarray(theta0, float), jac=True, method="BFGS",
                             options={"gtol": 1e-5})
    # BFGS often ends with "precision loss" at the optimum of a criterion of size ~1e4,
    # at a point that depends on its path; Newton steps from there reach the optimum
    # itself, and convergence is judged by the gradient at the polished point.
    theta = newton_polish(value_and_grad, np.asarray(best.x, float))

    def gradient_is_small(th: np.ndarray) -> bool:
        return float(np.max(np.abs(value_and_grad(th)[1]))) < GRADIENT_TOLERANCE

    converged = gradient_is_small(theta)
    if not converged:
        polish = optimize.minimize(lambda th: value_and_grad(th)[0], theta, method="Nelder-Mead",
                                   options={"maxiter": 3000, "xatol": 1e-7, "fatol": 1e-7})
        if polish.fun <= value_and_grad(theta)[0]:
            theta = newton_polish(value_and_grad, np.asarray(polish.x, float))
        converged = gradient_is_small(theta)
    theta = _positive_diagonal(theta, q)
    best = optimize.OptimizeResult(x=theta, fun=value_and_grad(theta)[0])
    L, _, _, A, b, c = pieces(best.x)
    beta = np.linalg.solve(A, b)
    sigma2 = float((c - b @ beta) / (N - p))
    psi = sigma2 * (L @ L.T) / np.outer(zscale, zscale)
    return _LMMFit(beta, sigma2 * _inv(A), sigma2, psi, converged, float(best.fun), np.asarray(best.x))


def _fit_mixedlm_statsmodels(formula: str, data: pd.DataFrame, re_formula: str):
    """The first converged REML fit over BFGS, L-BFGS and Powell (statsmodels' L-BFGS can
    stall on a singular random-effects covariance), or the last fit and the problems."""
    import statsmodels.formula.api as smf

    messages: list[str] = []
    last = None
    for method in ("bfgs", "lbfgs", "powell"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = smf.mixedlm(formula, data, groups=data["person_id"], re_formula=re_formula)
            try:
                fit = model.fit(reml=True, method=[method])
            except (np.linalg.LinAlgError, ValueError) as exc:
                messages.append(f"{method}: fit failed ({exc})")
                continue
        if fit.converged and np.all(np.isfinite(fit.bse)):
            return fit, messages
        messages.append(f"{method}: did not converge")
        last = fit
    return last, messages


def fit_mixed(
    long: pd.DataFrame,
    outcome: str = "swemwbs",
    effect: str = "trend",
    covariates: Sequence[str] | None = None,
    random_slope: bool = True,
    engine: str = "fast",
    site_id: str | None = None,
    ancova: bool | None = None,
) -> MixedResult:
    """Linear mixed model (REML) for a score: random intercept and slope on months per
    young person; falls back to a random intercept, and says why, when the slope
    variance is about zero or the fit does not converge. ``ancova`` overrides the
    outcome's default form (follow-up waves adjusted for baseline, or all waves)."""
    _check_outcome(long, outcome)
    if engine not in ("fast", "statsmodels"):
        raise ValueError(f"engine must be 'fast' or 'statsmodels', not {engine!r}")
    covs = model_covariates(outcome, covariates, ancova)
    formula, term, follow_up = model_formula(outcome, effect, covs, ancova)
    data = _model_rows(long, outcome, follow_up)
    y, X, names = design_matrix(data, outcome, effect, covs, ancova)
    groups = data["person_id"].to_numpy()
    t = data["time"].to_numpy(float)
    t_max = float(np.max(np.abs(t))) if len(t) else 1.0

    def slope_reason(psi: np.ndarray, resid: float, converged: bool, se_ok: bool) -> str | None:
        slope_var = float(psi[1, 1])
        if not converged:
            return "the random-slope model did not converge"
        if slope_var * t_max**2 < SLOPE_VARIANCE_TOLERANCE * resid:
            return f"the random-slope variance was estimated as about zero ({slope_var:.2g})"
        if abs(_correlation(psi)) > SINGULAR_CORRELATION:
            return ("the random-effects covariance was singular (intercept-slope correlation "
                    f"{_correlation(psi):+.3f}): the data do not support a separate random slope")
        if not se_ok:
            return "the random-slope model gave no standard error for the effect"
        return None

    note = ""
    used_slope = False
    if engine == "fast":
        fit = None
        if random_slope:
            fit = lmm_reml_fast(y, X, np.column_stack([np.ones_like(t), t]), groups)
            reason = slope_reason(fit.psi, fit.sigma2, fit.converged,
                                  bool(np.isfinite(fit.cov[names.index(term), names.index(term)])))
            if reason is None:
                used_slope = True
            else:
                note, fit = f"Random intercept only: {reason}.", None
        if fit is None:
            fit = lmm_reml_fast(y, X, np.ones((len(y), 1)), groups)
            if not random_slope:
                note = "Random intercept only (as requested)."
        params = pd.Series(fit.params, index=names)
        se = float(np.sqrt(fit.cov[names.index(term), names.index(term)]))
        components = {"residual": fit.sigma2, "intercept": float(fit.psi[0, 0])}
        if used_slope:
            components.update(slope=float(fit.psi[1, 1]), intercept_slope=float(fit.psi[0, 1]))
        converged = fit.converged
    else:
        fit = None
        if random_slope:
            fit, messages = _fit_mixedlm_statsmodels(formula, data, "~time")
            if fit is None:
                reason = "the random-slope model could not be fitted (" + "; ".join(messages) + ")"
            else:
                reason = slope_reason(fit.cov_re.to_numpy(), float(fit.scale), bool(fit.converged),
                                      bool(np.isfinite(fit.bse.get(term, np.nan))))
            if reason is None:
                used_slope = True
            else:
                note, fit = f"Random intercept only: {reason}.", None
        if fit is None:
            fit, messages = _fit_mixedlm_statsmodels(formula, data, "1")
            if fit is None:
                raise RuntimeError(f"mixed model for {outcome} failed: {messages}")
            if not random_slope:
                note = "Random intercept only (as requested)."
        params = fit.fe_params
        se = float(fit.bse[term])
        components = {"residual": float(fit.scale), "intercept": float(fit.cov_re.iloc[0, 0])}
        if used_slope:
            components.update(slope=float(fit.cov_re.iloc[1, 1]), intercept_slope=float(fit.cov_re.iloc[0, 1]))
        converged = bool(fit.converged)
    est = Estimate.from_se(float(params[term]), se)
    return MixedResult(outcome, est, term, used_slope, note, components, int(len(np.unique(groups))), int(len(y)),
                       bool(converged), params, engine, site_id)


# ======================================================================================
# Multiple imputation by chained equations
# ======================================================================================


def is_monotone(missing: np.ndarray) -> bool:
    """Whether every row's observed columns come first (once missing, always missing)."""
    m = np.asarray(missing, bool)
    return bool(np.all(m[:, :-1] <= m[:, 1:])) if m.shape[1] > 1 else True


def chained_equations(
    wide: pd.DataFrame,
    impute: Sequence[str],
    predictors: Sequence[str],
    m: int,
    rng: np.random.Generator,
    n_iter: int = 10,
    method: str | dict = "pmm",
    bounds: dict | None = None,
    k_pmm: int = 5,
    log1p: Sequence[str] = (),
) -> list[pd.DataFrame]:
    """``m`` completed copies of ``wide`` (see :func:`impute_arrays` for the method)."""
    values = impute_arrays(wide, impute, predictors, m, rng, n_iter, method, bounds, k_pmm, log1p)
    completed = []
    for i in range(m):
        done = wide.copy()
        done[list(impute)] = values[i]
        completed.append(done)
    return completed


def impute_arrays(
    wide: pd.DataFrame,
    impute: Sequence[str],
    predictors: Sequence[str],
    m: int,
    rng: np.random.Generator,
    n_iter: int = 10,
    method: str | dict = "pmm",
    bounds: dict | None = None,
    k_pmm: int = 5,
    log1p: Sequence[str] = (),
) -> np.ndarray:
    """Chained equations: the ``impute`` columns of ``m`` completed data sets, an array
    of shape (m, rows, columns).

    Each variable of ``impute`` is regressed on the ``predictors`` and on the other
    imputed variables among rows where it is observed; coefficients and residual
    variance are drawn from their posterior (flat prior), and missing values are filled
    by predictive mean matching (``'pmm'``: a random donor among the ``k_pmm`` observed
    values whose predicted means are closest, so counts stay whole and scores in range)
    or by a normal draw clipped to ``bounds`` (``'norm'``). Columns named in ``log1p``
    (counts) are modelled, and used as predictors, as log(1 + value), which suits the
    log-linear mean of a count; donors' values are returned unchanged. When the missing
    pattern is monotone in the order of ``impute``, one pass in that order with earlier
    variables as predictors is exact; otherwise the chained equations iterate ``n_iter``
    times.
    """
    impute = list(impute)
    predictors = list(predictors)
    base = wide[predictors].to_numpy(dtype=float)
    if np.isnan(base).any():
        bad_col = predictors[int(np.flatnonzero(np.isnan(base).any(axis=0))[0])]
        raise DataError([Problem("young_people.csv", "complete predictors", "imputation predictors must be complete",
                                 column=bad_col)])
    values = wide[impute].to_numpy(dtype=float)
    missing = np.isnan(values)
    for j, col in enumerate(impute):
        if missing[:, j].all():
            raise DataError([Problem("outcomes.csv", "some observed values",
                                     "cannot impute a variable with no observed values", column=col)])
    methods = {c: (method[c] if isinstance(method, dict) else method) for c in impute}
    for c, meth in methods.items():
        if meth not in ("pmm", "norm"):
            raise ValueError(f"imputation method must be 'pmm' or 'norm', not {meth!r}")
    bounds = bounds or {}
    logged = np.array([c in set(log1p) for c in impute])
    if logged.any() and np.nanmin(values[:, logged]) < 0:
        raise ValueError("log1p columns must be non-negative")
    work_values = np.where(logged[None, :], np.log1p(np.where(np.isnan(values), 0, values)), values)
    work_values[missing] = np.nan
    monotone = is_monotone(missing)
    Xbase = np.hstack([np.ones((len(wide), 1)), base])
    completed = np.empty((m, *values.shape))
    for i in range(m):
        current = values.copy()  # original scale
        work = work_values.copy()  # modelling scale
        if monotone:
            passes = 1
        else:
            passes = n_iter
            for j in range(len(impute)):
                miss = missing[:, j]
                if miss.any():
                    pick = rng.choice(np.flatnonzero(~miss), size=int(miss.sum()))
                    current[miss, j], work[miss, j] = values[pick, j], work_values[pick, j]
        for _it in range(passes):
            for j, col in enumerate(impute):
                miss = missing[:, j]
                if not miss.any():
                    continue
                others = work[:, :j] if monotone else np.delete(work, j, axis=1)
                X = np.hstack([Xbase, others])
                donors, draw = _draw(X, work[:, j], miss, methods[col], k_pmm, rng)
                if donors is not None:
                    current[miss, j] = values[donors, j]
                    work[miss, j] = work_values[donors, j]
                else:
                    low, high = bounds.get(col, (None, None))
                    orig = np.expm1(draw) if logged[j] else draw
                    orig = np.clip(orig, -np.inf if low is None else low, np.inf if high is None else high)
                    current[miss, j] = orig
                    work[miss, j] = np.log1p(orig) if logged[j] else orig
        completed[i] = current
    return completed


def covariance_factor(cov: np.ndarray) -> np.ndarray:
    """A factor ``F`` with ``F F' = cov``, the same on every machine up to rounding.

    Cholesky's factor is unique for a positive definite matrix, so a draw ``F z`` moves
    only in its last bits when the BLAS kernel changes. An eigendecomposition is not
    unique (each eigenvector's sign, and any rotation within a repeated eigenvalue, is
    the library's choice), and different CPUs made different choices, which changed the
    imputations completely. Only a singular covariance (collinear predictors) falls back
    to the eigendecomposition, with each eigenvector's sign fixed so that its largest
    component is positive.
    """
    cov = np.asarray(cov, float)
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(cov)
        pivot = np.argmax(np.abs(vecs), axis=0)
        vecs = vecs * np.where(vecs[pivot, np.arange(vecs.shape[1])] < 0, -1.0, 1.0)
        return vecs * np.sqrt(np.clip(vals, 0, None))


#: A column whose part not explained by the earlier columns is smaller than this share
#: of its length counts as redundant (far above rounding error, far below real signal).
COLLINEARITY_TOLERANCE = 1e-8


def independent_columns(X: np.ndarray, tol: float = COLLINEARITY_TOLERANCE) -> list[int]:
    """Indices of a maximal set of linearly independent columns of ``X``, chosen greedily
    from the left (so the intercept and the design's own order decide what is kept).

    Gram-Schmidt with re-orthogonalisation: a column is kept when its residual on the
    columns already kept is longer than ``tol`` times its own length. The choice depends
    on the data, not on the BLAS kernel, unless a column is collinear to within ``tol``.
    """
    X = np.asarray(X, float)
    keep: list[int] = []
    basis = np.empty((X.shape[0], 0))
    for j in range(X.shape[1]):
        column = X[:, j]
        length = float(np.sqrt(column @ column))
        if length == 0.0:
            continue
        residual = column - basis @ (basis.T @ column)
        residual -= basis @ (basis.T @ residual)
        size = float(np.sqrt(residual @ residual))
        if size > tol * length:
            keep.append(j)
            basis = np.column_stack([basis, residual / size])
    return keep


#: Decimals kept in predicted values before donors are matched on them (see _quantised).
MATCHING_DECIMALS = 9


def _quantised(values: np.ndarray) -> np.ndarray:
    """Predictions rounded to MATCHING_DECIMALS before they are sorted and matched.

    Young people with the same covariates have the same prediction, but a BLAS kernel may
    compute two equal predictions with different last bits, which reorders ties and
    changes donors from one CPU to another; rounding far below any real difference makes
    equal predictions equal again, so ties are broken by the random draws alone.
    """
    return np.round(values, MATCHING_DECIMALS)


def _draw(X: np.ndarray, y: np.ndarray, miss: np.ndarray, method: str, k_pmm: int,
          rng: np.random.Generator) -> tuple[np.ndarray | None, np.ndarray | None]:
    """One Bayesian regression draw for the missing rows (see :func:`chained_equations`):
    the donor rows for predictive mean matching, or the normal draws."""
    obs_rows = np.flatnonzero(~miss)
    # A redundant predictor (e.g. a column that equals another among these rows) leaves
    # X'X singular, and whether a factorisation of a singular matrix succeeds depends on
    # rounding, so on the CPU; dropping it first changes no prediction.
    X = X[:, independent_columns(X[obs_rows])]
    Xo, yo = X[obs_rows], y[obs_rows]
    xtx_inv = np.linalg.inv(Xo.T @ Xo)
    beta = xtx_inv @ (Xo.T @ yo)
    resid = yo - Xo @ beta
    df = max(len(yo) - X.shape[1], 1)
    sigma2 = float(resid @ resid / df) * df / rng.chisquare(df)
    beta_draw = beta + covariance_factor((xtx_inv + xtx_inv.T) / 2 * sigma2) @ rng.standard_normal(len(beta))
    pred_mis = _quantised(X[miss] @ beta_draw)
    if method == "pmm":
        pred_obs = _quantised(Xo @ beta)
        k = min(k_pmm, len(yo))
        # Young people with the same covariates share a prediction; ties are broken at
        # random (as in mice), so every tied candidate can be a donor, not only the first
        # rows of the file.
        order = np.lexsort((rng.random(len(pred_obs)), pred_obs))
        sorted_pred = pred_obs[order]
        # the k nearest observed predictions lie in a window of 2k around the insertion point
        pos = np.searchsorted(sorted_pred, pred_mis)
        width = min(2 * k, len(yo))
        lo = np.clip(pos - k, 0, len(yo) - width)
        window = lo[:, None] + np.arange(width)[None, :]
        dist = np.abs(sorted_pred[window] - pred_mis[:, None])
        closest = np.lexsort((rng.random(dist.shape), dist), axis=1)[:, :k]
        nearest = np.take_along_axis(window, closest, axis=1)
        pick = nearest[np.arange(len(pred_mis)), rng.integers(0, k, len(pred_mis))]
        return obs_rows[order[pick]], None
    return None, pred_mis + np.sqrt(sigma2) * rng.standard_normal(len(pred_mis))


@dataclass(frozen=True)
class RubinResult:
    """Rubin's rules pooling of ``m`` completed-data estimates."""

    effect: Estimate
    m: int
    within: float
    between: float
    total: float
    relative_increase: float
    fraction_missing_info: float
    estimates: np.ndarray


def rubin(estimates: Sequence[float], variances: Sequence[float], df_complete: float | None = None,
          scale: str = "identity") -> RubinResult:
    """Pool completed-data estimates and variances by Rubin's rules: ``T = W + (1 + 1/m)
    B``; degrees of freedom ``(m - 1)(1 + 1/r)^2`` with ``r = (1 + 1/m) B / W``, combined
    with the complete-data degrees of freedom ``df_complete`` by Barnard and Rubin's rule
    when given."""
    q = np.asarray(estimates, float)
    u = np.asarray(variances, float)
    m = len(q)
    if m < 2:
        raise ValueError("Rubin's rules need at least two imputations")
    qbar = float(q.mean())
    w = float(u.mean())
    b = float(q.var(ddof=1))
    t = w + (1 + 1 / m) * b
    r = (1 + 1 / m) * b / w if w > 0 else np.inf
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    df = (m - 1) * (1 + 1 / r) ** 2 if r > 0 else np.inf
    if df_complete is not None and np.isfinite(df_complete):
        obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        df = 1 / (1 / df + 1 / obs) if np.isfinite(df) else obs
    fmi = (r + 2 / (df + 3)) / (r + 1) if np.isfinite(df) and np.isfinite(r) else lam
    est = Estimate.from_se(qbar, float(np.sqrt(t)), scale=scale, df=float(df))
    return RubinResult(est, m, w, b, t, float(r), float(fmi), q)


def imputation_columns(outcome: str, auxiliary: Sequence[str] = ()) -> list[str]:
    """Columns to impute in wave order: the outcome's waves with any auxiliary outcomes'
    values at the same wave (so the order stays monotone for monotone dropout)."""
    names = [outcome, *[a for a in auxiliary if a != outcome]]
    return [f"{name}_{w}" for w in WAVES for name in names]


@dataclass(frozen=True)
class Imputations:
    """``m`` completed versions of a wide frame's imputed columns."""

    wide: pd.DataFrame  # the frame with its gaps
    columns: tuple[str, ...]
    values: np.ndarray  # (m, rows, columns)

    @property
    def m(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str) -> np.ndarray:
        """One column across imputations, shape (m, rows)."""
        return self.values[:, :, self.columns.index(name)]

    def frames(self) -> list[pd.DataFrame]:
        """The completed frames."""
        out = []
        for i in range(self.m):
            done = self.wide.copy()
            done[list(self.columns)] = self.values[i]
            out.append(done)
        return out


def impute_cohort(wide: pd.DataFrame, outcome: str, m: int = 20, seed: int = DEFAULT_SEED, n_iter: int = 10,
                  auxiliary: Sequence[str] = ()) -> Imputations:
    """``m`` imputations of one outcome's waves (predictors: arm and the baseline
    covariates; ``auxiliary`` outcomes, e.g. missing episodes, imputed alongside and used
    as predictors; every value by predictive mean matching, counts modelled on the
    log(1 + count) scale)."""
    cols = imputation_columns(outcome, auxiliary)
    _require(wide, cols, "outcomes.csv")
    predictors = ["treated", *COVARIATES]
    rng = np.random.default_rng(seed)
    counts = [c for c in cols if OUTCOMES[c.rsplit("_", 1)[0]].kind == "count"]
    values = impute_arrays(wide, cols, predictors, m, rng, n_iter=n_iter, method="pmm", log1p=counts)
    return Imputations(wide, tuple(cols), values)


def _shift(values: np.ndarray, imputed: np.ndarray, outcome: str, delta: float) -> np.ndarray:
    """The delta adjustment of :func:`apply_delta` on an array of values."""
    spec = OUTCOMES[outcome]
    out = np.array(values, float, copy=True)
    out[imputed] = out[imputed] * np.exp(delta) if spec.kind == "count" else out[imputed] + delta
    return np.clip(out, -np.inf if spec.low is None else spec.low, np.inf if spec.high is None else spec.high)


def apply_delta(completed: pd.DataFrame, original: pd.DataFrame, outcome: str, delta: float,
                arm: str | None = TREATED_ARM) -> pd.DataFrame:
    """Pattern-mixture adjustment: shift the imputed values (only) of ``outcome`` by
    ``delta`` - added for scores (kept inside the scale), a factor ``exp(delta)`` for
    counts - in ``arm`` (both arms when None). ``delta`` states how much worse or
    better young people lost to follow-up fared than similar young people who stayed."""
    out = completed.copy()
    rows = np.ones(len(out), bool) if arm is None else (out["arm"].astype(str) == arm).to_numpy()
    for w in WAVES:
        col = f"{outcome}_{w}"
        imputed = original[col].isna().to_numpy() & rows
        out[col] = _shift(out[col].to_numpy(float), imputed, outcome, delta)
    return out


def wide_to_long(wide: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The long frame of a (completed) wide frame: one row per person and wave."""
    cols = [f"{outcome}_{w}" for w in WAVES]
    other = [c for c in wide.columns if any(c == f"{o}_{w}" for o in OUTCOMES for w in WAVES)]
    keep = [c for c in wide.columns if c not in other]
    parts = []
    for w, col in zip(WAVES, cols):
        part = wide[keep].copy()
        part[outcome] = wide[col].to_numpy()
        part["wave_month"] = w
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    long["time"] = long["wave_month"].astype(float)
    long["post"] = (long["wave_month"] > 0).astype(int)
    long["observed"] = long[outcome].notna().astype(int)
    return long.sort_values(["person_id", "wave_month"], kind="stable").reset_index(drop=True)


def default_analysis(outcome: str) -> str:
    """GEE (negative binomial) for counts, the linear mixed model for scores."""
    kind = OUTCOMES[outcome].kind
    if kind == "count":
        return "gee"
    if kind == "score":
        return "mixed"
    raise ValueError(f"{outcome} is {kind}; the cohort models cover counts and scores")


def default_effect(outcome: str) -> str:
    """'post' (arm x post-baseline) for counts, 'trend' (arm x months) for scores - the
    forms in which the study's effects are defined."""
    return "post" if OUTCOMES[outcome].kind == "count" else "trend"


class _Prepared:
    """A model's design built once from a wide frame, refitted on many imputed outcomes.

    GEE's ``alpha`` is a working parameter (any fixed value gives consistent estimates
    and valid robust errors), so it is estimated on the first data set fitted and then
    held fixed, which analyses every imputation with the same model. The mixed model is
    warm-started from the previous imputation's variance parameters.
    """

    def __init__(self, wide: pd.DataFrame, outcome: str, analysis: str, effect: str,
                 covariates: Sequence[str] | None, alpha: float | None = None, **options):
        self.outcome, self.analysis = outcome, analysis
        covs = model_covariates(outcome, covariates)
        _, self.term, follow_up = model_formula(outcome, effect, covs)
        cols = [f"{outcome}_{w}" for w in WAVES]
        filled = wide.copy()
        filled[cols] = 0.0  # the design does not depend on the outcome
        data = _model_rows(wide_to_long(filled, outcome), outcome, follow_up)
        _, self.X, self.names = design_matrix(data, outcome, effect, covs)
        self.k = self.names.index(self.term)
        self.groups = data["person_id"].to_numpy()
        self.order = np.argsort(wide["person_id"].astype(str).to_numpy(), kind="stable")
        self.waves = slice(1, None) if follow_up else slice(None)
        self.alpha = alpha
        self.options = options
        if analysis == "mixed":
            t = data["time"].to_numpy(float)
            self.Z = np.column_stack([np.ones_like(t), t])
            self.t_max = float(np.abs(t).max())
            self.theta = None

    def fit(self, values: np.ndarray) -> Estimate:
        """Fit to one completed (persons x waves) array of the outcome, rows in the wide
        frame's order."""
        y = values[self.order][:, self.waves].ravel()
        if self.analysis == "gee":
            if self.alpha is None:
                self.alpha = estimate_nb_alpha(y, self.X)
            fit = gee_nb_fast(y, self.X, self.groups, self.alpha, self.options.get("cov_struct", "exchangeable"),
                              self.options.get("cov_type", "robust"))
            return Estimate.from_se(float(fit.params[self.k]), float(np.sqrt(fit.cov[self.k, self.k])), scale="log")
        fit = lmm_reml_fast(y, self.X, self.Z, self.groups, theta0=self.theta)
        if fit.converged:
            self.theta = fit.theta
        if (not fit.converged or fit.psi[1, 1] * self.t_max**2 < SLOPE_VARIANCE_TOLERANCE * fit.sigma2
                or abs(_correlation(fit.psi)) > SINGULAR_CORRELATION):
            fit = lmm_reml_fast(y, self.X, self.Z[:, :1], self.groups)
        return Estimate.from_se(float(fit.params[self.k]), float(np.sqrt(fit.cov[self.k, self.k])))


@dataclass(frozen=True)
class MIResult:
    """An effect estimated on ``m`` imputed data sets and pooled by Rubin's rules."""

    outcome: str
    method: str
    pooled: RubinResult
    n_people: int
    n_imputed_values: int
    delta: float = 0.0
    site_id: str | None = None
    note: str = ""

    @property
    def effect(self) -> Estimate:
        return self.pooled.effect

    def table(self) -> pd.DataFrame:
        label = f"{self.method}, MI (m={self.pooled.m})"
        if self.delta:
            label += f", delta {self.delta:+g}"
        row = _effect_row(self.effect, site_id=self.site_id, outcome=self.outcome, method=label)
        row.update(df=self.effect.df, fmi=self.pooled.fraction_missing_info, n_people=self.n_people,
                   n_imputed_values=self.n_imputed_values, delta=self.delta, note=self.note)
        return pd.DataFrame([row])


def mi_from_wide(wide: pd.DataFrame, outcome: str, analysis: str | None = None, m: int = 20,
                 seed: int = DEFAULT_SEED, n_iter: int = 10, effect: str | None = None, delta: float = 0.0,
                 delta_arm: str | None = TREATED_ARM, site_id: str | None = None,
                 completed: Imputations | None = None, auxiliary: Sequence[str] = (),
                 covariates: Sequence[str] | None = None, **options) -> MIResult:
    """Multiple imputation on a wide frame: impute (or reuse ``completed``), fit the
    analysis model to each completed data set with the fast engine, pool by Rubin's
    rules; ``delta`` shifts the imputed values first (:func:`apply_delta`)."""
    analysis = analysis or default_analysis(outcome)
    effect = effect or default_effect(outcome)
    if completed is None:
        completed = impute_cohort(wide, outcome, m=m, seed=seed, n_iter=n_iter, auxiliary=auxiliary)
    prepared = _Prepared(wide, outcome, analysis, effect, covariates, **options)
    cols = [f"{outcome}_{w}" for w in WAVES]
    Y = np.stack([completed.column(c) for c in cols], axis=2)  # (m, persons, waves)
    if delta:
        rows = np.ones(len(wide), bool) if delta_arm is None else (wide["arm"].astype(str) == delta_arm).to_numpy()
        imputed = wide[cols].isna().to_numpy() & rows[:, None]
        Y = np.stack([_shift(Y[i], imputed, outcome, delta) for i in range(len(Y))])
    ests, variances = [], []
    for values in Y:
        est = prepared.fit(values)
        ests.append(est.estimate)
        variances.append(est.se**2)
    n_people = len(wide)
    scale = "log" if OUTCOMES[outcome].kind == "count" else "identity"
    pooled = rubin(ests, variances, df_complete=max(n_people - prepared.X.shape[1], 1), scale=scale)
    n_imputed = int(wide[cols].isna().to_numpy().sum())
    name = "GEE (NB)" if analysis == "gee" else "Mixed model"
    return MIResult(outcome, name, pooled, n_people, n_imputed, delta, site_id)


def multiple_imputation(young_people: pd.DataFrame, outcomes: pd.DataFrame, outcome: str = "missing_episodes",
                        site_id: str | None = None, m: int = 20, seed: int = DEFAULT_SEED,
                        auxiliary: Sequence[str] | None = None, **kwargs) -> MIResult:
    """The arm effect on ``m`` chained-equation imputations pooled by Rubin's rules;
    ``delta`` != 0 gives the delta-adjusted (pattern-mixture) sensitivity analysis
    (:func:`apply_delta`). Score outcomes impute missing episodes alongside by default."""
    aux = default_auxiliary(outcome) if auxiliary is None else list(auxiliary)
    wide = wide_frame(young_people, outcomes, [outcome, *aux], site_id)
    return mi_from_wide(wide, outcome, m=m, seed=seed, site_id=site_id, auxiliary=aux, **kwargs)


def default_auxiliary(outcome: str) -> list[str]:
    """Auxiliary outcomes imputed alongside: missing episodes (the strongest predictor of
    dropout in the cohort design) for every other outcome."""
    return [] if outcome == "missing_episodes" else ["missing_episodes"]


@dataclass(frozen=True)
class CompleteCaseResult:
    """The analysis restricted to young people observed at every wave."""

    outcome: str
    method: str
    effect: Estimate
    n_people: int
    n_excluded: int
    site_id: str | None = None

    def table(self) -> pd.DataFrame:
        row = _effect_row(self.effect, site_id=self.site_id, outcome=self.outcome,
                          method=f"{self.method}, complete cases")
        row.update(n_people=self.n_people, n_excluded=self.n_excluded)
        return pd.DataFrame([row])


def complete_case(long: pd.DataFrame, outcome: str, analysis: str | None = None, effect: str | None = None,
                  site_id: str | None = None, **kwargs) -> CompleteCaseResult:
    """The analysis on young people observed at all four waves (a sensitivity analysis:
    valid only if those lost to follow-up are like those who stayed)."""
    analysis = analysis or default_analysis(outcome)
    effect = effect or default_effect(outcome)
    obs = long[long["observed"] == 1] if "observed" in long else long
    counts = obs.groupby("person_id")["wave_month"].nunique()
    complete = set(counts.index[counts == len(WAVES)])
    data = obs[obs["person_id"].isin(complete)]
    if analysis == "gee":
        est = fit_gee(data, outcome, effect=effect, **kwargs).effect
    else:
        est = fit_mixed(data, outcome, effect=effect, **kwargs).effect
    name = "GEE (NB)" if analysis == "gee" else "Mixed model"
    return CompleteCaseResult(outcome, name, est, len(complete), int(long["person_id"].nunique() - len(complete)),
                              site_id)


# ======================================================================================
# Propensity scores, balance, IPW and AIPW
# ======================================================================================


@dataclass(frozen=True)
class PropensityResult:
    """Propensity scores, stabilised weights and the balance they achieve."""

    score: np.ndarray
    weights: np.ndarray
    balance: pd.DataFrame
    ess_treated: float
    ess_control: float
    n_treated: int
    n_control: int
    params: pd.Series
    covariates: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def max_abs_smd_after(self) -> float:
        return float(self.balance["smd_after"].abs().max())

    @property
    def max_abs_smd_before(self) -> float:
        return float(self.balance["smd_before"].abs().max())

    @property
    def balanced(self) -> bool:
        """Every standardised mean difference after weighting below 0.1 in absolute value."""
        return self.max_abs_smd_after < 0.1

    def table(self) -> pd.DataFrame:
        """Young people and effective sample size by arm."""
        return pd.DataFrame([
            {"arm": TREATED_ARM, "n": self.n_treated, "effective_n": self.ess_treated},
            {"arm": "comparison", "n": self.n_control, "effective_n": self.ess_control},
        ])


def kish_ess(weights: np.ndarray) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / (w**2).sum())


def standardised_differences(frame: pd.DataFrame, covariates: Sequence[str], treated: np.ndarray,
                             weights: np.ndarray | None = None) -> pd.DataFrame:
    """Standardised mean differences (innovation minus comparison) before and, with
    ``weights``, after weighting; the denominator is the unweighted pooled SD
    sqrt((s1^2 + s0^2) / 2) both times, so only the means move (Austin and Stuart)."""
    t = np.asarray(treated).astype(bool)
    rows = []
    for c in covariates:
        x = frame[c].to_numpy(dtype=float)
        s = np.sqrt((x[t].var(ddof=1) + x[~t].var(ddof=1)) / 2)
        m1, m0 = x[t].mean(), x[~t].mean()
        row = {"covariate": c, "mean_innovation": m1, "mean_comparison": m0,
               "smd_before": (m1 - m0) / s if s > 0 else 0.0}
        if weights is not None:
            w = np.asarray(weights, float)
            wm1, wm0 = np.average(x[t], weights=w[t]), np.average(x[~t], weights=w[~t])
            row.update(weighted_mean_innovation=wm1, weighted_mean_comparison=wm0,
                       smd_after=(wm1 - wm0) / s if s > 0 else 0.0)
        rows.append(row)
    return pd.DataFrame(rows)


#: A binary covariate of the propensity model needs this many young people with the
#: characteristic in each arm; sparser ethnicity levels are combined, others dropped.
MIN_PER_ARM = 10


def ps_covariates(persons: pd.DataFrame, covariates: Sequence[str] = PS_COVARIATES,
                  treatment: str = "treated", min_per_arm: int = MIN_PER_ARM) -> tuple[list[str], list[str]]:
    """The covariates the propensity model can use at this site, and notes on changes.

    A binary covariate held by fewer than ``min_per_arm`` young people in either arm
    would (quasi-)separate the arms: sparse ethnicity levels are replaced by one
    'not white' indicator (dropped in turn if that is still sparse), other sparse or
    constant covariates are dropped; each change is noted.
    """
    t = persons[treatment].to_numpy(dtype=float) == 1
    used, notes = [], []

    def sparse(c: str) -> bool:
        x = persons[c].to_numpy(dtype=float)
        if np.all(np.isin(x, (0.0, 1.0))):
            return min(x[t].sum(), x[~t].sum(), (1 - x[t]).sum(), (1 - x[~t]).sum()) < min_per_arm
        return x.std() == 0

    eth = [c for c in covariates if c.startswith("eth_") and c != "eth_not_white"]
    sparse_eth = [c for c in eth if sparse(c)]
    for c in covariates:
        if c in eth and sparse_eth:
            continue
        if sparse(c):
            notes.append(f"{c} dropped: fewer than {min_per_arm} young people with it in an arm")
            continue
        used.append(c)
    if sparse_eth:
        levels = ", ".join(c.removeprefix("eth_") for c in sparse_eth)
        if "eth_not_white" in persons and not sparse("eth_not_white"):
            used.append("eth_not_white")
            notes.append(f"ethnicity as white / not white: fewer than {min_per_arm} young people in an arm "
                         f"for {levels}")
        else:
            notes.append(f"ethnicity dropped: fewer than {min_per_arm} young people in an arm for {levels}")
    return used, notes


def _ps_design(frame: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    return np.hstack([np.ones((len(frame), 1)), frame[list(covariates)].to_numpy(dtype=float)])


def _logit_fit(t: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Logistic regression coefficients (Newton-Raphson; separation raises)."""
    beta = np.zeros(X.shape[1])
    for _ in range(50):
        e = 1 / (1 + np.exp(-(X @ beta)))
        grad = X.T @ (t - e)
        hess = (X * (e * (1 - e))[:, None]).T @ X
        upd = _solve(hess, grad)
        beta = beta + upd
        if np.max(np.abs(upd)) < 1e-10:
            break
    if not np.all(np.isfinite(beta)) or np.max(np.abs(X @ beta)) > 30:
        raise ValueError("the propensity model separates the arms; the arms do not overlap")
    return beta


def propensity_weights(persons: pd.DataFrame, covariates: Sequence[str] = PS_COVARIATES,
                       treatment: str = "treated", stabilised: bool = True) -> PropensityResult:
    """Logistic propensity score of being in the innovation arm and stabilised weights
    P(T)/e(X) (innovation) and (1 - P(T))/(1 - e(X)) (comparison), with the balance table
    (covariates as used, see :func:`ps_covariates`)."""
    used, notes = ps_covariates(persons, covariates, treatment)
    X = _ps_design(persons, used)
    t = persons[treatment].to_numpy(dtype=float)
    gamma = _logit_fit(t, X)
    e = 1 / (1 + np.exp(-(X @ gamma)))
    p = t.mean() if stabilised else 1.0
    w = np.where(t == 1, p / e, ((1 - p) if stabilised else 1.0) / (1 - e))
    return PropensityResult(
        score=e, weights=w, balance=standardised_differences(persons, used, t, w),
        ess_treated=kish_ess(w[t == 1]), ess_control=kish_ess(w[t == 0]),
        n_treated=int((t == 1).sum()), n_control=int((t == 0).sum()),
        params=pd.Series(gamma, index=["const", *used]), covariates=tuple(used), notes=tuple(notes),
    )


def ipw_effect(y: np.ndarray, treated: np.ndarray, X: np.ndarray) -> Estimate:
    """Inverse-probability-weighted (normalised, Hajek) difference in means with a
    logistic propensity score on ``X`` (constant included). The standard error is the
    M-estimation sandwich that accounts for estimating the propensity score (Lunceford
    and Davidian 2004); normalised weights make stabilisation irrelevant here."""
    y = np.asarray(y, float)
    t = np.asarray(treated, float)
    gamma = _logit_fit(t, X)
    e = 1 / (1 + np.exp(-(X @ gamma)))
    n, p = X.shape
    mu1 = np.sum(t * y / e) / np.sum(t / e)
    mu0 = np.sum((1 - t) * y / (1 - e)) / np.sum((1 - t) / (1 - e))
    psi = np.column_stack([X * (t - e)[:, None], t / e * (y - mu1), (1 - t) / (1 - e) * (y - mu0)])
    A = np.zeros((p + 2, p + 2))
    A[:p, :p] = (X * (e * (1 - e))[:, None]).T @ X / n
    A[p, :p] = (X * (t * (y - mu1) * (1 - e) / e)[:, None]).mean(axis=0)
    A[p, p] = np.mean(t / e)
    A[p + 1, :p] = -(X * ((1 - t) * (y - mu0) * e / (1 - e))[:, None]).mean(axis=0)
    A[p + 1, p + 1] = np.mean((1 - t) / (1 - e))
    Ainv = np.linalg.inv(A)
    V = Ainv @ (psi.T @ psi / n) @ Ainv.T / n
    c = np.zeros(p + 2)
    c[p], c[p + 1] = 1, -1
    return Estimate.from_se(float(mu1 - mu0), float(np.sqrt(c @ V @ c)))


def aipw_effect(y: np.ndarray, treated: np.ndarray, X_ps: np.ndarray, X_out: np.ndarray) -> Estimate:
    """Augmented IPW (doubly robust) average treatment effect: logistic propensity on
    ``X_ps``, linear outcome models fitted in each arm on ``X_out`` (constants included),
    standard error from the efficient influence function. The point estimate equals
    statsmodels' ``TreatmentEffect(...).aipw()`` (tested)."""
    y = np.asarray(y, float)
    t = np.asarray(treated, float)
    gamma = _logit_fit(t, X_ps)
    e = 1 / (1 + np.exp(-(X_ps @ gamma)))
    b1 = np.linalg.lstsq(X_out[t == 1], y[t == 1], rcond=None)[0]
    b0 = np.linalg.lstsq(X_out[t == 0], y[t == 0], rcond=None)[0]
    m1, m0 = X_out @ b1, X_out @ b0
    phi1 = m1 + t * (y - m1) / e
    phi0 = m0 + (1 - t) * (y - m0) / (1 - e)
    ate = float(np.mean(phi1 - phi0))
    se = float(np.sqrt(np.sum((phi1 - phi0 - ate) ** 2)) / len(y))
    return Estimate.from_se(ate, se)


@dataclass(frozen=True)
class WeightedResult:
    """Propensity-weighted (IPW) and doubly robust (AIPW) effects on the change in a
    score from baseline to the last wave (on imputed data when ``m`` > 1)."""

    outcome: str
    ipw: Estimate
    aipw: Estimate
    propensity: PropensityResult
    m: int
    n_people: int
    site_id: str | None = None

    def table(self) -> pd.DataFrame:
        rows = []
        for name, est in (("Propensity-weighted (IPW)", self.ipw), ("Doubly robust (AIPW)", self.aipw)):
            row = _effect_row(est, site_id=self.site_id, outcome=self.outcome,
                              method=name + (f", MI (m={self.m})" if self.m > 1 else ", complete cases"),
                              term=f"change {WAVES[0]}-{WAVES[-1]} months")
            row.update(n_people=self.n_people, ess_innovation=self.propensity.ess_treated,
                       ess_comparison=self.propensity.ess_control,
                       max_abs_smd_after=self.propensity.max_abs_smd_after)
            rows.append(row)
        return pd.DataFrame(rows)


def weighted_from_wide(wide: pd.DataFrame, outcome: str, m: int = 20, seed: int = DEFAULT_SEED, n_iter: int = 10,
                       site_id: str | None = None, completed: Imputations | None = None,
                       auxiliary: Sequence[str] = ()) -> WeightedResult:
    """IPW and AIPW effects on the change in ``outcome`` from baseline to 18 months, on
    ``m`` imputations pooled by Rubin's rules (``m=1``: complete cases). The outcome
    model of AIPW adds the baseline value of the outcome to the propensity covariates."""
    if OUTCOMES[outcome].kind != "score":
        raise ValueError(f"the weighted change-score analysis is for scores, not {outcome}")
    first, last = f"{outcome}_{WAVES[0]}", f"{outcome}_{WAVES[-1]}"
    ps = propensity_weights(wide)
    t_all = wide["treated"].to_numpy(float)
    X_all = _ps_design(wide, ps.covariates)
    if m > 1 or completed is not None:
        if completed is None:
            completed = impute_cohort(wide, outcome, m=m, seed=seed, n_iter=n_iter, auxiliary=auxiliary)
        sets = [(completed.column(first)[i], completed.column(last)[i], np.ones(len(wide), bool))
                for i in range(completed.m)]
    else:
        keep = wide[[first, last]].notna().all(axis=1).to_numpy()
        sets = [(wide[first].to_numpy(float), wide[last].to_numpy(float), keep)]
    q_ipw, u_ipw, q_dr, u_dr = [], [], [], []
    for y0, y18, keep in sets:
        y, t, xp = (y18 - y0)[keep], t_all[keep], X_all[keep]
        xo = np.column_stack([xp, y0[keep]])
        a, b = ipw_effect(y, t, xp), aipw_effect(y, t, xp, xo)
        q_ipw.append(a.estimate), u_ipw.append(a.se**2), q_dr.append(b.estimate), u_dr.append(b.se**2)
    if len(sets) > 1:
        dfc = len(wide) - X_all.shape[1]
        ipw, dr = rubin(q_ipw, u_ipw, df_complete=dfc).effect, rubin(q_dr, u_dr, df_complete=dfc).effect
        used_m, n = len(sets), len(wide)
    else:
        ipw, dr = Estimate.from_se(q_ipw[0], np.sqrt(u_ipw[0])), Estimate.from_se(q_dr[0], np.sqrt(u_dr[0]))
        used_m, n = 1, int(sets[0][2].sum())
    return WeightedResult(outcome, ipw, dr, ps, used_m, n, site_id)


def weighted_effects(young_people: pd.DataFrame, outcomes: pd.DataFrame, outcome: str = "swemwbs",
                     site_id: str | None = None, m: int = 20, seed: int = DEFAULT_SEED,
                     auxiliary: Sequence[str] | None = None) -> WeightedResult:
    """:func:`weighted_from_wide` from the two cohort tables."""
    aux = default_auxiliary(outcome) if auxiliary is None else list(auxiliary)
    wide = wide_frame(young_people, outcomes, [outcome, *aux], site_id)
    return weighted_from_wide(wide, outcome, m=m, seed=seed, site_id=site_id, auxiliary=aux)


# ======================================================================================
# Random-effects meta-analysis across sites
# ======================================================================================


@dataclass(frozen=True)
class MetaResult:
    """Random-effects pooling of site estimates (model scale: log for rate ratios)."""

    labels: tuple[str, ...]
    estimates: np.ndarray
    variances: np.ndarray
    pooled: Estimate
    tau2: float
    i2: float
    q: float
    q_df: int
    q_p_value: float
    weights: np.ndarray  # random-effects weights, summing to one
    method: str
    ci_method: str
    fixed: Estimate

    @property
    def k(self) -> int:
        return len(self.estimates)

    def table(self) -> pd.DataFrame:
        """One row per site and a last row for the pooled estimate (natural scale)."""
        rows = []
        for lab, y, v, w in zip(self.labels, self.estimates, self.variances, self.weights):
            row = _effect_row(Estimate.from_se(float(y), float(np.sqrt(v)), scale=self.pooled.scale), study=lab)
            row["weight_pct"] = 100 * float(w)
            rows.append(row)
        row = _effect_row(self.pooled, study="Pooled (random effects)")
        row["weight_pct"] = 100.0
        rows.append(row)
        return pd.DataFrame(rows)

    def summary(self) -> dict:
        value, low, high = self.pooled.natural()
        return {"k": self.k, "pooled": value, "ci_low": low, "ci_high": high, "p_value": self.pooled.p_value,
                "tau2": self.tau2, "tau": float(np.sqrt(self.tau2)), "i2_pct": 100 * self.i2, "q": self.q,
                "q_df": self.q_df, "q_p_value": self.q_p_value, "method": self.method, "ci_method": self.ci_method}


def scale_meta(meta: MetaResult, factor: float) -> MetaResult:
    """A meta-analysis of identity-scale effects in other units (e.g. slope per month x 18
    = difference over 18 months): estimates and intervals times ``factor``, variances and
    tau-squared times its square; I-squared, Q and the weights are unchanged."""
    if meta.pooled.scale != "identity" or factor <= 0:
        raise ValueError("only identity-scale results can be rescaled, by a positive factor")
    return replace(meta, estimates=meta.estimates * factor, variances=meta.variances * factor**2,
                   pooled=meta.pooled.scaled(factor), tau2=meta.tau2 * factor**2, fixed=meta.fixed.scaled(factor))


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / v
    mu = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu) ** 2)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return float(max(0.0, (q - (len(y) - 1)) / c)) if c > 0 else 0.0


def _tau2_reml(y: np.ndarray, v: np.ndarray, tol: float = 1e-12, max_iter: int = 1000) -> float:
    """REML tau-squared by the fixed-point iteration of Viechtbauer (2005), from DL."""
    tau2 = _tau2_dl(y, v)
    for _ in range(max_iter):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        new = max(0.0, float(np.sum(w**2 * ((y - mu) ** 2 - v)) / np.sum(w**2) + 1 / np.sum(w)))
        if abs(new - tau2) < tol:
            return new
        tau2 = new
    return tau2


def meta_analysis(estimates: Sequence[float], variances: Sequence[float], labels: Sequence[str] | None = None,
                  method: str = "DL", ci: str = "hksj", scale: str = "identity") -> MetaResult:
    """Random-effects meta-analysis of site estimates.

    ``method``: 'DL' (DerSimonian-Laird) or 'REML' for tau-squared. ``ci``: 'normal'
    (Wald), 'hksj' (Hartung-Knapp-Sidik-Jonkman: t with k-1 degrees of freedom and the
    variance rescaled by the weighted residual spread ``q``) or 'hksj_modified' (the same
    with ``max(1, q)``, never narrower than the Wald interval). The book uses 'hksj': in
    the simulation appendix, with six sites, the Wald interval undercovers once the sites
    differ and the modified interval overcovers when they do not.
    ``I^2 = max(0, (Q - df) / Q)`` from Cochran's Q of the fixed-effect fit.
    """
    y = np.asarray(estimates, float)
    v = np.asarray(variances, float)
    k = len(y)
    if k < 2 or len(v) != k:
        raise ValueError("meta-analysis needs at least two estimates with one variance each")
    if np.any(~np.isfinite(y)) or np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise ValueError("estimates must be finite and variances finite and positive")
    labels = tuple(labels) if labels is not None else tuple(f"study {i + 1}" for i in range(k))
    w_fe = 1 / v
    mu_fe = float(np.sum(w_fe * y) / np.sum(w_fe))
    q = float(np.sum(w_fe * (y - mu_fe) ** 2))
    if method.upper() == "DL":
        tau2 = _tau2_dl(y, v)
    elif method.upper() == "REML":
        tau2 = _tau2_reml(y, v)
    else:
        raise ValueError(f"method must be 'DL' or 'REML', not {method!r}")
    w = 1 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se = float(np.sqrt(1 / np.sum(w)))
    if ci == "normal":
        pooled = Estimate.from_se(mu, se, scale=scale)
    elif ci in ("hksj", "hksj_modified"):
        qhk = float(np.sum(w * (y - mu) ** 2) / (k - 1))
        factor = max(1.0, qhk) if ci == "hksj_modified" else qhk
        pooled = Estimate.from_se(mu, se * np.sqrt(factor), scale=scale, df=k - 1)
    else:
        raise ValueError(f"ci must be 'normal', 'hksj' or 'hksj_modified', not {ci!r}")
    return MetaResult(
        labels=labels, estimates=y, variances=v, pooled=pooled, tau2=float(tau2),
        i2=float(max(0.0, (q - (k - 1)) / q)) if q > 0 else 0.0, q=q, q_df=k - 1,
        q_p_value=float(stats.chi2.sf(q, k - 1)), weights=w / w.sum(), method=method.upper(), ci_method=ci,
        fixed=Estimate.from_se(mu_fe, float(np.sqrt(1 / np.sum(w_fe))), scale=scale),
    )


def plot_forest(meta: MetaResult, ax=None, title: str | None = None, xlabel: str | None = None):
    """Forest plot: one row per site (square sized by weight, 95% CI line), the pooled
    estimate as a diamond, and a dashed line at no difference. Returns the Figure."""
    import matplotlib.ticker as ticker

    from . import figures

    if ax is None:
        fig, ax = figures.new_figure(aspect=0.065 * (meta.k + 2) + 0.15)
    else:
        fig = ax.figure
    table = meta.table()
    ratio = meta.pooled.scale == "log"
    n = meta.k
    ypos = np.arange(n, 0, -1) + 1.0
    site_colour, pooled_colour = figures.PALETTE["blue"], figures.PALETTE["vermillion"]
    for i in range(n):
        row = table.iloc[i]
        ax.plot([row["ci_low"], row["ci_high"]], [ypos[i]] * 2, color=site_colour, lw=1.5)
        ax.plot(row["estimate"], ypos[i], marker="s", color=site_colour, linestyle="none",
                markersize=4 + 10 * np.sqrt(row["weight_pct"] / 100), label="Site estimate" if i == 0 else None)
    pooled_row = table.iloc[-1]
    dx = [pooled_row["ci_low"], pooled_row["estimate"], pooled_row["ci_high"], pooled_row["estimate"]]
    ax.fill(dx, [1, 1.3, 1, 0.7], color=pooled_colour, label="Pooled (random effects)")
    ax.axvline(1.0 if ratio else 0.0, color="#444444", linestyle="--", lw=1, label="No difference")
    ax.set_yticks([*ypos, 1.0])
    ax.set_yticklabels([*meta.labels, "Pooled"])
    if ratio:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(base=10, subs=(0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.5, 2.0)))
        ax.xaxis.set_major_formatter(ticker.FormatStrFormatter("%.2g"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_ylim(0.4, n + 1.6)
    ax.set_xlabel(xlabel or ("Rate ratio (95% CI, log scale)" if ratio else "Difference (95% CI)"))
    ax.grid(axis="y", visible=False)
    if title:
        ax.set_title(title)
    return fig


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
        from . import casedata

        return cls(casedata.load("young_people", folder), casedata.load("outcomes", folder))

    @property
    def sites(self) -> list[str]:
        from .sites import SITE_IDS

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


def site_effects(site_id: str, outcome: str = "missing_episodes", data: CohortData | None = None, m: int = 20,
                 seed: int = DEFAULT_SEED, deltas: Sequence[float] = (), weighted: bool | None = None,
                 engine: str = "fast") -> SiteEffects:
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
    if analysis == "gee":
        available = fit_gee(long, outcome, effect=effect, engine=engine, site_id=site_id)
    else:
        available = fit_mixed(long, outcome, effect=effect, engine=engine, site_id=site_id)
    cc = complete_case(long, outcome, analysis, effect=effect, site_id=site_id)
    delta_results = tuple(mi_from_wide(wide, outcome, analysis, effect=effect, site_id=site_id, completed=completed,
                                       delta=d) for d in deltas)
    if weighted is None:
        weighted = OUTCOMES[outcome].kind == "score"
    wres = weighted_from_wide(wide, outcome, site_id=site_id, completed=completed) if weighted else None
    return SiteEffects(site_id, outcome, primary, available, cc, delta_results, wres)


def pooled(outcome: str = "missing_episodes", data: CohortData | None = None, estimates: str = "primary",
           method: str = "DL", ci: str = "hksj", site_results: dict[str, SiteEffects] | None = None,
           **kwargs) -> MetaResult:
    """Random-effects pooling across sites of one outcome's site estimates.

    ``estimates`` picks the site estimate pooled (see :meth:`SiteEffects.estimate`):
    'primary' (MI), 'available_case', 'complete_case', 'delta', 'ipw' or 'aipw'.
    ``site_results`` reuses :func:`site_effects` results.
    """
    if site_results is None:
        data = data or CohortData.load()
        site_results = {s: site_effects(s, outcome, data, **kwargs) for s in data.sites}
    from .sites import SITE_IDS

    order = [s for s in SITE_IDS if s in site_results] + sorted(set(site_results) - set(SITE_IDS))
    ests = [site_results[s].estimate(estimates) for s in order]
    return meta_analysis([e.estimate for e in ests], [e.se**2 for e in ests], [site_label(s) for s in order],
                         method=method, ci=ci, scale=ests[0].scale)


def site_label(site_id: str) -> str:
    """A short label for a site in tables and plots."""
    labels = {"devon": "Devon", "safer_london": "Safer London", "reading": "Reading",
              "north_lanarkshire": "North Lanarkshire", "hackney": "Hackney", "sheffield": "Sheffield"}
    return labels.get(site_id, site_id)


# ======================================================================================
# Tables and figures for the chapter
# ======================================================================================

#: How each method is named in the chapter's tables, in display order.
METHOD_LABELS: dict[str, str] = {
    "primary": "Multiple imputation (primary)",
    "available_case": "Observed waves only",
    "complete_case": "Complete cases",
    "delta": "MI, delta-adjusted",
    "ipw": "Propensity-weighted (IPW)",
    "aipw": "Doubly robust (AIPW)",
}
#: Months over which score effects are shown (the slope difference times 18).
FOLLOW_UP_MONTHS = WAVES[-1]


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
    keys = {"missing_episodes": "missing_episodes_rate_ratio", "swemwbs": "swemwbs_slope_per_month",
            "exploitation_risk_score": "exploitation_risk_slope_per_month",
            "school_attendance_pct": "attendance_slope_per_month", "placement_moves": "placement_moves_rate_ratio"}
    out = {}
    for site_id, site in manifest.get("sites", {}).items():
        effects = site.get("cohort_effects", {})
        for outcome, key in keys.items():
            if key in effects:
                value = float(effects[key])
                out[(site_id, outcome)] = float(np.log(value)) if key.endswith("rate_ratio") else value
    return out


def effects_display(site_results: dict[str, SiteEffects], truth: dict | None = None,
                    methods: Sequence[str] | None = None, places: int | None = None) -> pd.DataFrame:
    """One row per site: each method's estimate and 95% interval as text, on the display
    scale (:func:`display_estimate`), and the true value when ``truth`` is given
    (:func:`manifest_truth`)."""
    first = next(iter(site_results.values()))
    outcome = first.outcome
    kind = OUTCOMES[outcome].kind
    places = places if places is not None else (2 if kind == "count" else 2)
    if methods is None:
        methods = [m for m in METHOD_LABELS if _has(first, m)]
    rows = []
    for site_id, res in site_results.items():
        row = {"Site": site_label(site_id)}
        for m in methods:
            value, low, high = display_estimate(res.estimate(m), outcome, m).natural()
            row[METHOD_LABELS[m]] = f"{value:.{places}f} ({low:.{places}f} to {high:.{places}f})"
        if truth is not None and (site_id, outcome) in truth:
            t = truth[(site_id, outcome)]
            row["True value"] = f"{(np.exp(t) if kind == 'count' else t * FOLLOW_UP_MONTHS):.{places}f}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("Site")


def _has(res: SiteEffects, method: str) -> bool:
    try:
        res.estimate(method)
    except KeyError:
        return False
    return True


def truth_covered(site_results: dict[str, SiteEffects], truth: dict, method: str = "primary") -> int:
    """How many sites' 95% intervals (of ``method``) contain the true value."""
    return int(sum(res.estimate(method).covers(truth[(s, res.outcome)]) for s, res in site_results.items()
                   if (s, res.outcome) in truth))


def attrition_display(data: CohortData) -> pd.DataFrame:
    """Young people observed at each wave, by site and arm (counts of people: protect
    them with :mod:`innovate.disclosure` before showing them)."""
    rows = []
    for site_id in data.sites:
        table = attrition_table(data.young_people, data.outcomes, site_id)
        for arm in ARMS:
            part = table[table["arm"] == arm].set_index("wave_month")
            row = {"Site": site_label(site_id), "Arm": arm}
            row.update({f"Month {w}": int(part.at[w, "observed"]) for w in WAVES})
            rows.append(row)
    return pd.DataFrame(rows)


def balance_display(propensity: dict[str, PropensityResult]) -> pd.DataFrame:
    """Per site: the largest absolute standardised mean difference before and after
    weighting, and the Kish effective sample size of each arm."""
    rows = []
    for site_id, ps in propensity.items():
        rows.append({"Site": site_label(site_id), "Largest |SMD| before": ps.max_abs_smd_before,
                     "Largest |SMD| after": ps.max_abs_smd_after,
                     "Effective n, innovation": ps.ess_treated, "Effective n, comparison": ps.ess_control,
                     "Changes to the model": "; ".join(ps.notes) or "none"})
    return pd.DataFrame(rows).set_index("Site")


#: Readable covariate names for the balance plot.
COVARIATE_LABELS: dict[str, str] = {
    "age_at_baseline": "Age", "female": "Female", "looked_after": "Looked after",
    "log_prior_missing": "Missing episodes before (log)", "baseline_risk_score": "Baseline risk score",
    "eth_black": "Black", "eth_asian": "Asian", "eth_mixed": "Mixed", "eth_other": "Other ethnicity",
    "eth_not_white": "Not white",
}


def plot_balance(propensity: dict[str, PropensityResult], ax=None):
    """Love plot: absolute standardised mean difference of each covariate before (open
    circles) and after (filled squares) weighting, every site, with the 0.1 target."""
    from . import figures

    covs = [c for c in COVARIATE_LABELS if any(c in ps.covariates for ps in propensity.values())]
    if ax is None:
        fig, ax = figures.new_figure(aspect=0.075 * len(covs) + 0.25)
    else:
        fig = ax.figure
    ypos = {c: len(covs) - i for i, c in enumerate(covs)}
    before_c, after_c = figures.PALETTE["vermillion"], figures.PALETTE["blue"]
    first = True
    for ps in propensity.values():
        bal = ps.balance.set_index("covariate")
        ys = [ypos[c] for c in bal.index if c in ypos]
        ax.scatter([abs(bal.at[c, "smd_before"]) for c in bal.index if c in ypos], ys, marker="o",
                   facecolor="none", edgecolor=before_c, s=22, label="Before weighting" if first else None)
        ax.scatter([abs(bal.at[c, "smd_after"]) for c in bal.index if c in ypos], ys, marker="s",
                   color=after_c, s=14, label="After weighting" if first else None)
        first = False
    ax.axvline(0.1, color="#444444", linestyle="--", lw=1, label="Target 0.1")
    ax.set_yticks(list(ypos.values()))
    ax.set_yticklabels([COVARIATE_LABELS[c] for c in covs])
    ax.set_xlabel("Absolute standardised mean difference (innovation vs comparison)")
    ax.set_xlim(left=0)
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right", fontsize=8)
    return fig


def plot_forest_panels(metas: Sequence[MetaResult], titles: Sequence[str], xlabels: Sequence[str]):
    """Forest plots side by side, one per outcome (see :func:`plot_forest`)."""
    from . import figures

    k = max(m.k for m in metas)
    fig, axes = figures.new_figure(width="wide", aspect=0.06 * (k + 2) + 0.14, ncols=len(metas), squeeze=False,
                                   sharey=False)
    for ax, meta, title, xlabel in zip(axes.ravel(), metas, titles, xlabels):
        plot_forest(meta, ax=ax, title=title, xlabel=xlabel)
    for ax in axes.ravel()[1:]:
        ax.set_yticklabels([])
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, bbox_to_anchor=(0.5, -0.02))
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig


def delta_sensitivity(data: CohortData, outcome: str, deltas: Sequence[float], m: int = 20,
                      seed: int = DEFAULT_SEED) -> pd.DataFrame:
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
        ests = [mi_from_wide(wide, outcome, analysis, effect=effect, completed=done, delta=d).effect
                for wide, done in per_site.values()]
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


def tipping_point(sensitivity: pd.DataFrame) -> TippingPoint:
    """Summarise :func:`delta_sensitivity` output (ratio outcomes: one means no difference)."""
    ordered = sensitivity.sort_values("delta")
    factor = np.exp(ordered["delta"].to_numpy(float))
    below = ordered["ci_high"].to_numpy(float) < 1.0
    above = ordered["ci_low"].to_numpy(float) > 1.0
    return TippingPoint(
        largest_factor=float(factor.max()),
        last_favourable_factor=float(factor[below].max()) if below.any() else None,
        first_unfavourable_factor=float(factor[above].min()) if above.any() else None,
        point_crosses_one=bool((ordered["pooled"].to_numpy(float) > 1.0).any()),
    )


def plot_delta(sensitivity: pd.DataFrame, outcome: str, ax=None, xlabel: str | None = None):
    """The pooled effect against the delta of the pattern-mixture analysis, with its 95%
    interval, and the line of no difference: where the interval reaches the line is the
    tipping point."""
    from . import figures

    if ax is None:
        fig, ax = figures.new_figure(aspect=0.5)
    else:
        fig = ax.figure
    ratio = OUTCOMES[outcome].kind == "count"
    x = sensitivity["delta"].to_numpy()
    colour = figures.PALETTE["blue"]
    ax.fill_between(x, sensitivity["ci_low"], sensitivity["ci_high"], color=colour, alpha=0.2, linewidth=0,
                    label="95% confidence interval")
    ax.plot(x, sensitivity["pooled"], color=colour, marker=figures.MARKERS[0], label="Pooled estimate")
    ax.axhline(1.0 if ratio else 0.0, color="#444444", linestyle="--", lw=1, label="No difference")
    ax.axvline(0.0, color="#888888", linestyle=":", lw=1, label="Primary analysis (delta 0)")
    ax.set_xlabel(xlabel or "delta")
    ax.set_ylabel("Pooled rate ratio" if ratio else f"Pooled difference over {FOLLOW_UP_MONTHS} months")
    ax.legend(loc="best", fontsize=8)
    return fig
