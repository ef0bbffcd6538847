"""The cohort's vocabulary (waves, arms, outcomes, covariates) and its person, long and wide frames."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innovate.config import WAVE_MONTHS
from innovate.errors import DataError, Problem, require_columns

#: Arm labels; the innovation arm is the "treated" group.
ARMS: tuple[str, str] = ("innovation", "comparison")
TREATED_ARM = "innovation"


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
        "exploitation_risk_score",
        "Exploitation risk score",
        "score",
        0,
        30,
        False,
        "baseline_risk_score",
        "points (0-30)",
        ancova=True,
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
#: Columns outcomes.csv must carry besides the measures: its key and the observed flag.
OUTCOMES_KEY_COLUMNS = ("person_id", "wave_month", "observed")


# ======================================================================================
# Frames
# ======================================================================================


def person_frame(young_people: pd.DataFrame, site_id: str | None = None) -> pd.DataFrame:
    """One row per young person with the modelling covariates (``treated``, ``female``,
    ``log_prior_missing``, ethnicity indicators), restricted to ``site_id`` when given."""
    require_columns(young_people, YOUNG_PEOPLE_COLUMNS, "young_people.csv")
    yp = young_people
    if site_id is not None:
        yp = yp[yp["site_id"].astype(str) == site_id]
        if yp.empty:
            raise DataError(
                [
                    Problem(
                        "young_people.csv",
                        "unknown site",
                        f"no young people for site {site_id!r}",
                        column="site_id",
                        value=site_id,
                    )
                ]
            )
    arm = yp["arm"].astype(str)
    bad = ~arm.isin(ARMS)
    if bad.any():
        raise DataError(
            [
                Problem(
                    "young_people.csv",
                    "allowed values",
                    f"arm must be one of {ARMS}",
                    column="arm",
                    row=int(r) + 1,
                    value=v,
                )
                for r, v in arm[bad].items()
            ]
        )
    numeric = {}
    problems = []
    for c in ("age_at_baseline", "looked_after", "prior_missing_episodes", "baseline_risk_score"):
        values = pd.to_numeric(yp[c], errors="coerce")
        for r in values.index[values.isna()]:
            problems.append(
                Problem(
                    "young_people.csv",
                    "complete covariate",
                    f"{c} must be a number for every young person (the cohort models need it)",
                    column=c,
                    row=int(r) + 1,
                    value=yp.at[r, c],
                )
            )
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


def long_frame(
    young_people: pd.DataFrame, outcomes: pd.DataFrame, site_id: str | None = None, observed_only: bool = True
) -> pd.DataFrame:
    """Outcomes merged with the person covariates, one row per person and wave.

    Adds ``time`` (months since baseline) and ``post`` (after baseline). With
    ``observed_only`` (the default) waves lost to follow-up are left out; they are
    counted, not dropped silently: :func:`attrition_table` reports them.
    """
    require_columns(outcomes, OUTCOMES_KEY_COLUMNS, "outcomes.csv")
    persons = person_frame(young_people, site_id)
    ids = outcomes["person_id"].astype(str)
    known = set(persons["person_id"]) if site_id is None else set(young_people["person_id"].astype(str))
    orphans = outcomes.index[~ids.isin(known)]
    if len(orphans):
        raise DataError(
            [
                Problem(
                    "outcomes.csv",
                    "foreign key",
                    "person_id not in young_people.csv",
                    column="person_id",
                    row=int(r) + 1,
                    value=outcomes.at[r, "person_id"],
                )
                for r in orphans[:50]
            ]
        )
    out = outcomes[ids.isin(set(persons["person_id"]))].copy()
    out["person_id"] = out["person_id"].astype(str)
    bad_wave = out.index[~out["wave_month"].isin(WAVE_MONTHS)]
    if len(bad_wave):
        raise DataError(
            [
                Problem(
                    "outcomes.csv",
                    "allowed values",
                    f"wave_month must be one of {WAVE_MONTHS}",
                    column="wave_month",
                    row=int(r) + 1,
                    value=out.at[r, "wave_month"],
                )
                for r in bad_wave[:50]
            ]
        )
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
    require_columns(long, [outcome], "outcomes.csv")
    observed = (long["observed"] == 1) if "observed" in long else pd.Series(True, index=long.index)
    gaps = long.index[observed & long[outcome].isna()]
    if len(gaps):
        raise DataError(
            [
                Problem(
                    "outcomes.csv",
                    "observed wave has an outcome",
                    f"{outcome} is empty in a wave marked observed",
                    column=outcome,
                    row=int(r) + 1,
                    value=long.at[r, "person_id"],
                )
                for r in gaps[:50]
            ]
        )


def wide_frame(
    young_people: pd.DataFrame,
    outcomes: pd.DataFrame,
    outcome: str | Sequence[str],
    site_id: str | None = None,
    long: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per young person: covariates and ``{outcome}_{wave}`` for each wave and
    each named outcome (empty where the wave was lost to follow-up). ``long`` reuses a
    :func:`long_frame` built with ``observed_only=False`` for the same site."""
    names = [outcome] if isinstance(outcome, str) else list(outcome)
    if long is None:
        long = long_frame(young_people, outcomes, site_id, observed_only=False)
    wide = person_frame(young_people, site_id).set_index("person_id")
    for name in names:
        _check_outcome(long, name)
        values = long.pivot(index="person_id", columns="wave_month", values=name).reindex(columns=list(WAVE_MONTHS))
        values.columns = [f"{name}_{w}" for w in WAVE_MONTHS]
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


def model_formula(
    outcome: str, effect: str, covariates: Sequence[str], ancova: bool | None = None
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
    # Deferred (kernel start-up): patsy loads only for the statsmodels engine.
    import patsy

    y, X = patsy.dmatrices(formula, data, return_type="dataframe", NA_action="raise")
    return y.to_numpy(float).ravel(), X.to_numpy(float), list(X.columns)


def design_matrix(
    data: pd.DataFrame, outcome: str, effect: str, covariates: Sequence[str], ancova: bool | None = None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
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
