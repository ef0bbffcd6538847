"""The cost analysis frame: one row per young person with every cost component beside the
outcomes over the follow-up, and the weights that adjust for who was in which arm and who
was followed up (steps 2 and 3 of :mod:`innovate.study.costs`, where callers find these)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.config import ENGLAND_CODE
from innovate.data import casedata, sites
from innovate.data.sites import SITE_IDS
from innovate.econ.costing import (
    activity_components,
    component_column,
    innovation_components,
    placement_components,
    split_column,
    staff_hourly_costs,
)
from innovate.econ.unit_costs import unit_costs
from innovate.errors import DataError, Problem
from innovate.study import cohort_data, cohort_models

# ---------------------------------------------------------------------------------------
# Outcomes over the follow-up
# ---------------------------------------------------------------------------------------

#: The outcomes set beside the costs (none collapsed into another): column, label, unit,
#: which direction is better, and how the 18-month value is formed.
CEA_OUTCOMES: tuple[dict, ...] = (
    {
        "column": "missing_episodes_18m",
        "label": "Missing episodes over 18 months (undiscounted)",
        "unit": "episodes per young person",
        "better": "lower",
        "how": "sum of the counts at 6, 12 and 18 months",
    },
    {
        "column": "exploitation_risk_18",
        "label": "Exploitation-risk score at 18 months",
        "unit": "score 0-30",
        "better": "lower",
        "how": "score at the 18-month wave",
    },
    {
        "column": "swemwbs_18",
        "label": "Wellbeing (SWEMWBS) at 18 months",
        "unit": "metric score 7-35",
        "better": "higher",
        "how": "score at the 18-month wave",
    },
    {
        "column": "attendance_18",
        "label": "School attendance at 18 months",
        "unit": "% of sessions",
        "better": "higher",
        "how": "attendance in the 6 months before the 18-month wave",
    },
    {
        "column": "placement_moves_18m",
        "label": "Placement moves over 18 months",
        "unit": "moves per young person",
        "better": "lower",
        "how": "sum of the counts at 6, 12 and 18 months",
    },
    {
        "column": "justice_contact_18m",
        "label": "Any youth justice contact in 18 months",
        "unit": "proportion",
        "better": "lower",
        "how": "1 if any contact at 6, 12 or 18 months",
    },
)
CEA_OUTCOME_COLUMNS = tuple(o["column"] for o in CEA_OUTCOMES)

#: The effect measure of the cost-effectiveness analysis (higher = better).
EFFECT_LABEL = "missing episodes averted per young person over 18 months"


def person_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per young person: 18-month outcomes, effect components and completeness.

    ``complete`` is 1 when the young person was observed at 18 months (attrition is
    monotone, so then at every wave). Outcomes of incomplete young people are NaN.
    The effect components are minus the missing episodes in each discount year
    (waves 6 and 12 cover months 0-11, year 0; wave 18 covers months 12-17, year 1),
    so that higher is better.
    """
    wide = outcomes.pivot(index="person_id", columns="wave_month")
    observed = wide["observed"]
    complete = (observed.get(18, pd.Series(0, index=wide.index)) == 1).astype(int)

    def col(name, wave):
        return wide[name][wave].astype(float)

    out = pd.DataFrame(index=wide.index)
    out["complete"] = complete
    out["missing_episodes_18m"] = col("missing_episodes", 6) + col("missing_episodes", 12) + col("missing_episodes", 18)
    out["exploitation_risk_18"] = col("exploitation_risk_score", 18)
    out["swemwbs_18"] = col("swemwbs", 18)
    out["attendance_18"] = col("school_attendance_pct", 18)
    out["placement_moves_18m"] = col("placement_moves", 6) + col("placement_moves", 12) + col("placement_moves", 18)
    out["justice_contact_18m"] = (
        ((col("justice_contact", 6) + col("justice_contact", 12) + col("justice_contact", 18)) > 0)
        .astype(float)
        .where(complete == 1)
    )
    out[component_column("effect", 0)] = -(col("missing_episodes", 6) + col("missing_episodes", 12))
    out[component_column("effect", 1)] = -col("missing_episodes", 18)
    out["missing_episodes_baseline"] = col("missing_episodes", 0)
    out.index.name = "person_id"
    return out.reset_index()


# ---------------------------------------------------------------------------------------
# The analysis frame: one row per young person, costs and consequences side by side
# ---------------------------------------------------------------------------------------


def area_of_site(site_id: str) -> tuple[str, bool]:
    """The unit-cost area of a site and whether it is a stand-in (an assumption).

    English local authorities use their own Section 251 costs; Safer London uses the
    London region's; North Lanarkshire (Scotland, outside DfE data) uses England's
    average, a stated assumption.
    """
    record = sites.site(site_id)
    if record.nation == "England":
        return str(record.area_code), False
    return ENGLAND_CODE, True


@dataclass
class CostData:
    """Per-person cost components and outcomes, with the notes of every costing rule used."""

    frame: pd.DataFrame
    cost_columns: list[str]
    effect_columns: list[str]
    innovation_summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    people: pd.DataFrame | None = None

    def complete(self) -> pd.DataFrame:
        return self.frame[self.frame["complete"] == 1].reset_index(drop=True)


def build_cost_data(
    people: pd.DataFrame,
    outcomes: pd.DataFrame,
    activity: pd.DataFrame,
    placements: pd.DataFrame,
    innovation: pd.DataFrame,
    table: pd.DataFrame | None = None,
    areas: Mapping[str, str] | None = None,
) -> CostData:
    """Cost every young person bottom-up and set the outcomes beside the costs.

    Costs are in ``PRICE_YEAR`` prices, split by component and discount year (not yet
    discounted; discounting is applied by ``CostEffectModel``).
    """
    table = unit_costs() if table is None else table
    notes: list[str] = []
    if areas is None:
        areas = {}
        for site_id in sorted(people["site_id"].unique()):
            code, stand_in = area_of_site(site_id)
            areas[site_id] = code
            if stand_in:
                notes.append(f"{site_id}: no Section 251 data for the area; England's unit costs are used (assumption)")
    hourly = staff_hourly_costs(table)
    staff = activity_components(activity, people, hourly)
    place, place_notes = placement_components(placements, people, table, areas)
    innov, innov_summary, innov_notes = innovation_components(innovation, people)
    notes += place_notes + innov_notes
    base = people[["person_id", "site_id", "arm"]].set_index("person_id")
    wide = base.join([staff, place, innov], how="left")
    cost_columns = sorted(c for c in wide.columns if "@y" in c)
    # every component in every discount year, so the model sees a fixed layout
    comps = sorted({split_column(c)[0] for c in cost_columns})
    years = sorted({split_column(c)[1] for c in cost_columns} | {0, 1})
    cost_columns = [component_column(c, y) for c in comps for y in years]
    wide = wide.reindex(columns=["site_id", "arm", *cost_columns])
    wide[cost_columns] = wide[cost_columns].fillna(0.0)
    wide = wide.reset_index().merge(person_outcomes(outcomes), on="person_id", how="left", validate="one_to_one")
    effect_columns = [component_column("effect", y) for y in (0, 1)]
    return CostData(wide, cost_columns, effect_columns, innov_summary, notes, people)


# ---------------------------------------------------------------------------------------
# Adjustment for who was in which arm, and for who was followed up
# ---------------------------------------------------------------------------------------


#: An indicator covariate (e.g. one ethnic group) enters a site's propensity model only when
#: at least this many young people in each arm have it; sparser groups stay with the
#: reference group, because a handful of young people can separate the arms perfectly.
MIN_INDICATOR_COUNT = 10


def ps_covariates(persons: pd.DataFrame) -> list[str]:
    """The covariates of a site's propensity model: ``innovate.study.cohort_data.PS_COVARIATES``
    without indicators held by fewer than ``MIN_INDICATOR_COUNT`` young people in an arm."""
    keep = []
    for c in cohort_data.PS_COVARIATES:
        x = persons[c].to_numpy(dtype=float)
        if set(np.unique(x)) <= {0.0, 1.0} and c.startswith("eth_"):
            t = persons["treated"].to_numpy() == 1
            if min(x[t].sum(), x[~t].sum()) < MIN_INDICATOR_COUNT:
                continue
        keep.append(c)
    return keep


def analysis_weights(people: pd.DataFrame, complete: pd.Series | None = None) -> pd.DataFrame:
    """Stabilised inverse-probability weights, estimated site by site.

    ``w_arm``: the propensity-score weight for being in the innovation arm given the
    baseline covariates (``innovate.study.cohort_models.propensity_weights``: logistic model, stabilised
    P(T)/e(X) and (1 - P(T))/(1 - e(X))) on ``ps_covariates``. The arms were not
    randomised, so unweighted differences would mix the innovation with who was offered it.
    ``w_obs``: for young people observed at 18 months, the stabilised inverse probability
    of being observed given arm and baseline covariates (the same logistic machinery);
    attrition is assumed missing at random given these. ``weight = w_arm * w_obs`` for the
    complete cases. Returns one row per young person with ``max_abs_smd`` (the worst
    covariate balance after weighting at the site) and the Kish effective sizes.
    """
    rows = []
    for site_id in sorted(people["site_id"].astype(str).unique()):
        persons = cohort_data.person_frame(people, site_id)
        covariates = ps_covariates(persons)
        ps = cohort_models.propensity_weights(persons, covariates)
        part = persons[["person_id", "site_id", "arm"]].copy()
        part["w_arm"] = ps.weights
        part["max_abs_smd"] = ps.max_abs_smd_after
        part["ess_innovation"] = ps.ess_treated
        part["ess_comparison"] = ps.ess_control
        if complete is not None:
            observed = persons["person_id"].map(complete).fillna(0).astype(int).to_numpy()
            persons = persons.assign(observed=observed)
            if observed.min() == observed.max():
                w_obs = np.ones(len(persons))
            else:
                obs = cohort_models.propensity_weights(persons, tuple(covariates) + ("treated",), treatment="observed")
                w_obs = np.where(observed == 1, obs.weights, 0.0)
            part["w_obs"] = w_obs
            part["weight"] = part["w_arm"] * part["w_obs"]
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def weighted(frame: pd.DataFrame, columns: Sequence[str], weight: str = "weight") -> pd.DataFrame:
    """The frame with a column ``_w`` and each of ``columns`` multiplied by the weight.

    Stratum means of these give Hajek weighted means as mean(w * y) / mean(w), which a
    bootstrap of the columns can form replicate by replicate (and the jackknife too).
    """
    out = frame.copy()
    w = out[weight].to_numpy(dtype=float)
    out["_w"] = w
    for c in columns:
        out[c] = out[c].to_numpy(dtype=float) * w
    return out


# ---------------------------------------------------------------------------------------
# The analysis frame with its weights, built once; one site's part of it
# ---------------------------------------------------------------------------------------


@dataclass
class Prepared:
    """Cost data with analysis weights: everything the analyses need, built once."""

    data: CostData
    weights: pd.DataFrame
    frame: pd.DataFrame  # every young person, with w_arm (and weight for the complete cases)

    @property
    def cost_columns(self) -> list[str]:
        return self.data.cost_columns

    @property
    def effect_columns(self) -> list[str]:
        return self.data.effect_columns

    def sites(self) -> list[str]:
        present = set(self.frame["site_id"])
        return [s for s in SITE_IDS if s in present] + sorted(present - set(SITE_IDS))


def prepare(data: CostData) -> Prepared:
    """Attach the propensity and follow-up weights (``analysis_weights``)."""
    complete = data.frame.set_index("person_id")["complete"]
    people = _people_for_weights(data)
    weights = analysis_weights(people, complete)
    frame = data.frame.merge(
        weights[["person_id", "w_arm", "w_obs", "weight"]], on="person_id", how="left", validate="one_to_one"
    )
    return Prepared(data, weights, frame)


def _people_for_weights(data: CostData) -> pd.DataFrame:
    people = getattr(data, "people", None)
    if people is None:
        raise ValueError("CostData was built without the young_people table")
    return people


def scope(frame: pd.DataFrame, site_id: str | None) -> pd.DataFrame:
    """The rows of one site (all rows for ``None``); an error naming the site if it has none."""
    if site_id is None:
        return frame
    part = frame[frame["site_id"] == site_id]
    if part.empty:
        raise DataError(
            [Problem("young_people.csv", "unknown-site", "no young people for this site", "site_id", None, site_id)]
        )
    return part


CASE_TABLES = ("young_people", "outcomes", "service_activity", "placements", "innovation_costs")


def load_cost_data(site_id: str | None = None, folder: Path | str | None = None) -> CostData:
    """Cost every young person in the case-level data (or one site's), from
    ``innovate.data.casedata``; unit costs from ``data/reference/unit_costs.csv``."""
    tables = {name: casedata.load(name, folder) for name in CASE_TABLES}
    people = tables["young_people"]
    if site_id is not None:
        people = scope(people, site_id)
        ids = set(people["person_id"])
        tables = {
            "young_people": people,
            "outcomes": tables["outcomes"][tables["outcomes"]["person_id"].isin(ids)],
            "service_activity": tables["service_activity"][tables["service_activity"]["person_id"].isin(ids)],
            "placements": tables["placements"][tables["placements"]["person_id"].isin(ids)],
            "innovation_costs": tables["innovation_costs"][tables["innovation_costs"]["site_id"] == site_id],
        }
    return build_cost_data(
        tables["young_people"],
        tables["outcomes"],
        tables["service_activity"],
        tables["placements"],
        tables["innovation_costs"],
    )


def subset(prep: Prepared, site_id: str) -> Prepared:
    """One site's part of a ``Prepared`` (costs and weights are computed site by site)."""
    data = prep.data
    frame = scope(data.frame, site_id).reset_index(drop=True)
    people = None if data.people is None else data.people[data.people["site_id"] == site_id]
    summary = data.innovation_summary
    summary = summary[summary["site_id"] == site_id].reset_index(drop=True) if "site_id" in summary else summary
    notes = [n for n in data.notes if n.startswith(f"{site_id}:")]
    sub = CostData(frame, data.cost_columns, data.effect_columns, summary, notes, people)
    return Prepared(
        sub,
        prep.weights[prep.weights["site_id"] == site_id].reset_index(drop=True),
        scope(prep.frame, site_id).reset_index(drop=True),
    )
