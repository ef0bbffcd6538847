"""The cohort's models, outcome by outcome: GEE and mixed-model fits, multiple imputation and weighting of the cohort."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innovate.config import SEED, WAVE_MONTHS
from innovate.errors import require_columns
from innovate.stats.gee import GEEResult, fit_nb_gee, gee_nb_fast
from innovate.stats.mi import RubinResult, impute_arrays, rubin
from innovate.stats.mixed import (
    SINGULAR_CORRELATION,
    SLOPE_VARIANCE_TOLERANCE,
    MixedResult,
    _correlation,
    fit_lmm,
    lmm_reml_fast,
)
from innovate.stats.negbin import estimate_nb_alpha
from innovate.stats.results import Estimate, _effect_row
from innovate.stats.weighting import (
    MIN_PER_ARM,
    _logit_fit,
    _ps_design,
    change_effects,
    kish_ess,
    standardised_differences,
)
from innovate.study.cohort_data import (
    COVARIATES,
    OUTCOMES,
    PS_COVARIATES,
    TREATED_ARM,
    _check_outcome,
    _model_rows,
    design_matrix,
    model_covariates,
    model_formula,
    wide_frame,
)

#: Where a fault in the wide cohort frame comes from, for the engines' messages.
COHORT_SOURCE = "young_people.csv and outcomes.csv (the wide cohort frame)"


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
    """Negative binomial GEE of a cohort count outcome (see the module notes for the
    model): the design of :func:`model_formula` fitted by
    :func:`innovate.stats.gee.fit_nb_gee` (options as there)."""
    _check_outcome(long, outcome)
    if OUTCOMES[outcome].kind != "count":
        raise ValueError(f"{outcome} is not a count; use fit_mixed for scores")
    covs = model_covariates(outcome, covariates)
    _, term, follow_up = model_formula(outcome, effect, covs)
    data = _model_rows(long, outcome, follow_up)
    design = _design_frame(data, outcome, effect, covs)
    return fit_nb_gee(
        design,
        outcome,
        list(design.columns[3:]),
        term,
        group="person_id",
        time="wave_month",
        cov_struct=cov_struct,
        cov_type=cov_type,
        alpha=alpha,
        engine=engine,
        weights=weights,
        site_id=site_id,
    )


def _design_frame(
    data: pd.DataFrame, outcome: str, effect: str, covariates: Sequence[str], ancova: bool | None = None
) -> pd.DataFrame:
    """Person, wave, time, then the columns of :func:`design_matrix` (without the
    intercept) as a frame the stats engines take; the outcome is column 0."""
    y, X, names = design_matrix(data, outcome, effect, covariates, ancova)
    frame = pd.DataFrame(X[:, 1:], columns=names[1:])
    frame.insert(0, "wave_month", data["wave_month"].to_numpy())
    frame.insert(0, "person_id", data["person_id"].to_numpy())
    frame.insert(0, outcome, y)
    return frame


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
    """Linear mixed model (REML) for a cohort score: the design of :func:`model_formula`
    fitted by :func:`innovate.stats.mixed.fit_lmm` (random intercept and slope on
    months per young person, falling back to a random intercept and saying why).
    ``ancova`` overrides the outcome's default form (follow-up waves adjusted for
    baseline, or all waves)."""
    _check_outcome(long, outcome)
    if engine not in ("fast", "statsmodels"):
        raise ValueError(f"engine must be 'fast' or 'statsmodels', not {engine!r}")
    covs = model_covariates(outcome, covariates, ancova)
    _, term, follow_up = model_formula(outcome, effect, covs, ancova)
    data = _model_rows(long, outcome, follow_up)
    design = _design_frame(data, outcome, effect, covs, ancova)
    terms = list(design.columns[3:])
    if "time" not in design:
        design["time"] = data["time"].to_numpy(float)
    return fit_lmm(
        design,
        outcome,
        terms,
        term,
        group="person_id",
        time="time",
        random_slope=random_slope,
        engine=engine,
        site_id=site_id,
    )


def imputation_columns(outcome: str, auxiliary: Sequence[str] = ()) -> list[str]:
    """Columns to impute in wave order: the outcome's waves with any auxiliary outcomes'
    values at the same wave (so the order stays monotone for monotone dropout)."""
    names = [outcome, *[a for a in auxiliary if a != outcome]]
    return [f"{name}_{w}" for w in WAVE_MONTHS for name in names]


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


def impute_cohort(
    wide: pd.DataFrame,
    outcome: str,
    m: int = 20,
    seed: int = SEED,
    n_iter: int = 10,
    auxiliary: Sequence[str] = (),
    treatment: str = "treated",
    predictors: Sequence[str] | None = None,
) -> Imputations:
    """``m`` imputations of one outcome's waves (predictors: the arm column ``treatment``
    and the baseline covariates, or ``predictors``; ``auxiliary`` outcomes, e.g. missing
    episodes, imputed alongside and used as predictors; every value by predictive mean
    matching, counts modelled on the log(1 + count) scale). The engine,
    :func:`innovate.stats.mi.impute_arrays`, takes any columns."""
    cols = imputation_columns(outcome, auxiliary)
    require_columns(wide, cols, "outcomes.csv")
    predictors = [treatment, *COVARIATES] if predictors is None else list(predictors)
    rng = np.random.default_rng(seed)
    counts = [c for c in cols if OUTCOMES[c.rsplit("_", 1)[0]].kind == "count"]
    values = impute_arrays(
        wide, cols, predictors, m, rng, n_iter=n_iter, method="pmm", log1p=counts, source=COHORT_SOURCE
    )
    return Imputations(wide, tuple(cols), values)


def _shift(values: np.ndarray, imputed: np.ndarray, outcome: str, delta: float) -> np.ndarray:
    """The delta adjustment of :func:`apply_delta` on an array of values."""
    spec = OUTCOMES[outcome]
    out = np.array(values, float, copy=True)
    out[imputed] = out[imputed] * np.exp(delta) if spec.kind == "count" else out[imputed] + delta
    return np.clip(out, -np.inf if spec.low is None else spec.low, np.inf if spec.high is None else spec.high)


def apply_delta(
    completed: pd.DataFrame, original: pd.DataFrame, outcome: str, delta: float, arm: str | None = TREATED_ARM
) -> pd.DataFrame:
    """Pattern-mixture adjustment: shift the imputed values (only) of ``outcome`` by
    ``delta`` - added for scores (kept inside the scale), a factor ``exp(delta)`` for
    counts - in ``arm`` (both arms when None). ``delta`` states how much worse or
    better young people lost to follow-up fared than similar young people who stayed."""
    out = completed.copy()
    rows = np.ones(len(out), bool) if arm is None else (out["arm"].astype(str) == arm).to_numpy()
    for w in WAVE_MONTHS:
        col = f"{outcome}_{w}"
        imputed = original[col].isna().to_numpy() & rows
        out[col] = _shift(out[col].to_numpy(float), imputed, outcome, delta)
    return out


def wide_to_long(wide: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """The long frame of a (completed) wide frame: one row per person and wave."""
    cols = [f"{outcome}_{w}" for w in WAVE_MONTHS]
    other = [c for c in wide.columns if any(c == f"{o}_{w}" for o in OUTCOMES for w in WAVE_MONTHS)]
    keep = [c for c in wide.columns if c not in other]
    parts = []
    for w, col in zip(WAVE_MONTHS, cols):
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

    def __init__(
        self,
        wide: pd.DataFrame,
        outcome: str,
        analysis: str,
        effect: str,
        covariates: Sequence[str] | None,
        alpha: float | None = None,
        **options,
    ):
        self.outcome, self.analysis = outcome, analysis
        covs = model_covariates(outcome, covariates)
        _, self.term, follow_up = model_formula(outcome, effect, covs)
        cols = [f"{outcome}_{w}" for w in WAVE_MONTHS]
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
            self.theta: np.ndarray | None = None

    def fit(self, values: np.ndarray) -> Estimate:
        """Fit to one completed (persons x waves) array of the outcome, rows in the wide
        frame's order."""
        y = values[self.order][:, self.waves].ravel()
        if self.analysis == "gee":
            if self.alpha is None:
                self.alpha = estimate_nb_alpha(y, self.X)
            fit = gee_nb_fast(
                y,
                self.X,
                self.groups,
                self.alpha,
                self.options.get("cov_struct", "exchangeable"),
                self.options.get("cov_type", "robust"),
            )
            return Estimate.from_se(float(fit.params[self.k]), float(np.sqrt(fit.cov[self.k, self.k])), scale="log")
        lmm = lmm_reml_fast(y, self.X, self.Z, self.groups, theta0=self.theta)
        if lmm.converged:
            self.theta = lmm.theta
        if (
            not lmm.converged
            or lmm.psi[1, 1] * self.t_max**2 < SLOPE_VARIANCE_TOLERANCE * lmm.sigma2
            or abs(_correlation(lmm.psi)) > SINGULAR_CORRELATION
        ):
            lmm = lmm_reml_fast(y, self.X, self.Z[:, :1], self.groups)
        return Estimate.from_se(float(lmm.params[self.k]), float(np.sqrt(lmm.cov[self.k, self.k])))


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
        row.update(
            df=self.effect.df,
            fmi=self.pooled.fraction_missing_info,
            n_people=self.n_people,
            n_imputed_values=self.n_imputed_values,
            delta=self.delta,
            note=self.note,
        )
        return pd.DataFrame([row])


def mi_from_wide(
    wide: pd.DataFrame,
    outcome: str,
    analysis: str | None = None,
    m: int = 20,
    seed: int = SEED,
    n_iter: int = 10,
    effect: str | None = None,
    delta: float = 0.0,
    delta_arm: str | None = TREATED_ARM,
    site_id: str | None = None,
    completed: Imputations | None = None,
    auxiliary: Sequence[str] = (),
    covariates: Sequence[str] | None = None,
    **options,
) -> MIResult:
    """Multiple imputation on a wide frame: impute (or reuse ``completed``), fit the
    analysis model to each completed data set with the fast engine, pool by Rubin's
    rules; ``delta`` shifts the imputed values first (:func:`apply_delta`)."""
    analysis = analysis or default_analysis(outcome)
    effect = effect or default_effect(outcome)
    if completed is None:
        completed = impute_cohort(wide, outcome, m=m, seed=seed, n_iter=n_iter, auxiliary=auxiliary)
    prepared = _Prepared(wide, outcome, analysis, effect, covariates, **options)
    cols = [f"{outcome}_{w}" for w in WAVE_MONTHS]
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


def multiple_imputation(
    young_people: pd.DataFrame,
    outcomes: pd.DataFrame,
    outcome: str = "missing_episodes",
    site_id: str | None = None,
    m: int = 20,
    seed: int = SEED,
    auxiliary: Sequence[str] | None = None,
    **kwargs,
) -> MIResult:
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
        row = _effect_row(
            self.effect, site_id=self.site_id, outcome=self.outcome, method=f"{self.method}, complete cases"
        )
        row.update(n_people=self.n_people, n_excluded=self.n_excluded)
        return pd.DataFrame([row])


def complete_case(
    long: pd.DataFrame,
    outcome: str,
    analysis: str | None = None,
    effect: str | None = None,
    site_id: str | None = None,
    **kwargs,
) -> CompleteCaseResult:
    """The analysis on young people observed at all four waves (a sensitivity analysis:
    valid only if those lost to follow-up are like those who stayed)."""
    analysis = analysis or default_analysis(outcome)
    effect = effect or default_effect(outcome)
    obs = long[long["observed"] == 1] if "observed" in long else long
    counts = obs.groupby("person_id")["wave_month"].nunique()
    complete = set(counts.index[counts == len(WAVE_MONTHS)])
    data = obs[obs["person_id"].isin(complete)]
    if analysis == "gee":
        est = fit_gee(data, outcome, effect=effect, **kwargs).effect
    else:
        est = fit_mixed(data, outcome, effect=effect, **kwargs).effect
    name = "GEE (NB)" if analysis == "gee" else "Mixed model"
    return CompleteCaseResult(
        outcome, name, est, len(complete), int(long["person_id"].nunique() - len(complete)), site_id
    )


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
        return pd.DataFrame(
            [
                {"arm": TREATED_ARM, "n": self.n_treated, "effective_n": self.ess_treated},
                {"arm": "comparison", "n": self.n_control, "effective_n": self.ess_control},
            ]
        )


def ps_covariates(
    persons: pd.DataFrame,
    covariates: Sequence[str] = PS_COVARIATES,
    treatment: str = "treated",
    min_per_arm: int = MIN_PER_ARM,
) -> tuple[list[str], list[str]]:
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
            notes.append(
                f"ethnicity as white / not white: fewer than {min_per_arm} young people in an arm for {levels}"
            )
        else:
            notes.append(f"ethnicity dropped: fewer than {min_per_arm} young people in an arm for {levels}")
    return used, notes


def propensity_weights(
    persons: pd.DataFrame,
    covariates: Sequence[str] = PS_COVARIATES,
    treatment: str = "treated",
    stabilised: bool = True,
) -> PropensityResult:
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
        score=e,
        weights=w,
        balance=standardised_differences(persons, used, t, w),
        ess_treated=kish_ess(w[t == 1]),
        ess_control=kish_ess(w[t == 0]),
        n_treated=int((t == 1).sum()),
        n_control=int((t == 0).sum()),
        params=pd.Series(gamma, index=["const", *used]),
        covariates=tuple(used),
        notes=tuple(notes),
    )


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
            row = _effect_row(
                est,
                site_id=self.site_id,
                outcome=self.outcome,
                method=name + (f", MI (m={self.m})" if self.m > 1 else ", complete cases"),
                term=f"change {WAVE_MONTHS[0]}-{WAVE_MONTHS[-1]} months",
            )
            row.update(
                n_people=self.n_people,
                ess_innovation=self.propensity.ess_treated,
                ess_comparison=self.propensity.ess_control,
                max_abs_smd_after=self.propensity.max_abs_smd_after,
            )
            rows.append(row)
        return pd.DataFrame(rows)


def weighted_from_wide(
    wide: pd.DataFrame,
    outcome: str,
    m: int = 20,
    seed: int = SEED,
    n_iter: int = 10,
    site_id: str | None = None,
    completed: Imputations | None = None,
    auxiliary: Sequence[str] = (),
    treatment: str = "treated",
) -> WeightedResult:
    """IPW and AIPW effects on the change in ``outcome`` from baseline to 18 months, on
    ``m`` imputations pooled by Rubin's rules (``m=1``: complete cases). The outcome
    model of AIPW adds the baseline value of the outcome to the propensity covariates.
    The book's wide cohort frame is assumed (``{outcome}_{wave}`` columns, the 0/1 arm
    column ``treatment``); the engine, :func:`innovate.stats.weighting.change_effects`,
    takes any frame."""
    if OUTCOMES[outcome].kind != "score":
        raise ValueError(f"the weighted change-score analysis is for scores, not {outcome}")
    first, last = f"{outcome}_{WAVE_MONTHS[0]}", f"{outcome}_{WAVE_MONTHS[-1]}"
    ps = propensity_weights(wide, treatment=treatment)
    sets = None
    if m > 1 or completed is not None:
        if completed is None:
            completed = impute_cohort(wide, outcome, m=m, seed=seed, n_iter=n_iter, auxiliary=auxiliary)
        sets = [(completed.column(first)[i], completed.column(last)[i]) for i in range(completed.m)]
    # the engine with the book's columns: the first and last waves, the arm indicator
    done = change_effects(wide, first, last, treatment, ps.covariates, sets, source=COHORT_SOURCE)
    return WeightedResult(outcome, done.ipw, done.aipw, ps, done.m, done.n, site_id)


def weighted_effects(
    young_people: pd.DataFrame,
    outcomes: pd.DataFrame,
    outcome: str = "swemwbs",
    site_id: str | None = None,
    m: int = 20,
    seed: int = SEED,
    auxiliary: Sequence[str] | None = None,
) -> WeightedResult:
    """:func:`weighted_from_wide` from the two cohort tables."""
    aux = default_auxiliary(outcome) if auxiliary is None else list(auxiliary)
    wide = wide_frame(young_people, outcomes, [outcome, *aux], site_id)
    return weighted_from_wide(wide, outcome, m=m, seed=seed, site_id=site_id, auxiliary=aux)
