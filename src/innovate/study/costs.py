"""Costs and value for money: unit costs, process costing, cost-consequence and
cost-effectiveness analysis with their uncertainty.

The module follows the order of an economic evaluation reported to CHEERS 2022
(Husereau et al. 2022):

1. **Unit costs** (``build_unit_costs``, ``unit_costs``): Section 251 weekly unit costs
   by area and financial year from the DfE Local Authority Interactive Tool (public,
   cash prices), the National Audit Office's 2025 cost of a children's home place, and
   staff-time hourly costs (the New Economy unit cost database figure for a children's
   social worker, from PSSRU, at 2013-14 prices; other roles as stated ratios, flagged
   as assumptions). Every row carries its source, unit, price year and an assumption
   flag. Everything is converted to one price year (``PRICE_YEAR``) with the HM Treasury
   GDP deflators (``to_price_year``).
2. **Process costing** (``build_cost_data``) in the manner of the Cost Calculator for
   Children's Services: contact hours x hourly unit cost by staff role
   (``activity_components``); placement days x the area's weekly unit cost / 7 for that
   financial year and placement type (``placement_components``); the innovation's own
   start-up and running costs, kept apart and apportioned to the young people it served
   by a stated rule (``innovation_components``); discounting at the Green Book rates
   (``discount_factors``) applied by ``CostEffectModel``.
3. **Cost per young person** (``cost_per_young_person``) by site and arm, and the
   **cost-consequence** table (``CeaResult.consequences``): costs beside every outcome,
   none collapsed into another; comparisons weighted for baseline differences and loss
   to follow-up (``analysis_weights``).
4. **Cost-effectiveness** (``cost_effectiveness``): incremental cost and effect, the
   ICER with its quadrant (``icer``), incremental net benefit (``net_benefit``), a
   paired non-parametric bootstrap stratified by site and arm (``stratified_bootstrap``)
   with percentile and BCa intervals (``percentile_interval``, ``bca_interval``), the
   acceptability curve (``ceac``), one-way sensitivity (``one_way_sensitivity``) and
   probabilistic sensitivity (``probabilistic_sensitivity``).
5. **Per-site sections** (``site_cost_summary``): every analysis above for one site,
   the function the site chapters call; ``plot_*`` functions draw the figures.

Money is in pounds sterling at ``PRICE_YEAR`` prices unless a name says otherwise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.config import COSTS_SEED, ENGLAND_CODE
from innovate.data import casedata, sites
from innovate.data.paths import case_data_dir
from innovate.data.sites import SITE_IDS
from innovate.econ.cea import (
    _CLIENT_SHARE,
    DISCOUNT_RANGE,
    PARAMETERS,
    CostEffectModel,
    Icer,
    ceac,
    icer,
    net_benefit,
    quadrant_of,
)
from innovate.econ.costing import (
    WEEKS_PER_YEAR,
    activity_components,
    component_column,
    innovation_components,
    placement_components,
    split_column,
    staff_hourly_costs,
)
from innovate.econ.prices import (
    GREEN_BOOK_SCHEDULE,
    PRICE_YEAR,
    constant_schedule,
    discount_factors,
)
from innovate.econ.unit_costs import STAFF_ROLES, unit_costs
from innovate.errors import DataError, Problem
from innovate.stats.bootstrap import (
    CI_LEVEL,
    StratifiedBootstrap,
    arm_difference,
    bca_interval,
    percentile_interval,
    stratified_bootstrap,
)
from innovate.study import cohort_data, cohort_models

#: Counts of young people from 1 to this are withheld in every table shown (DfE practice).
DISCLOSURE_THRESHOLD = 5


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
# Analyses: cost per young person, cost-consequence, cost-effectiveness
# ---------------------------------------------------------------------------------------

#: Replicates of every bootstrap in the book (drawn from ``COSTS_SEED``).
BOOTSTRAP_REPS = 2000
#: An incremental effect smaller than this (missing episodes per young person over 18
#: months, i.e. 5 per 100 young people) is treated as no difference: the ICER is undefined.
EFFECT_TOLERANCE = 0.05
#: Willingness to pay per missing episode averted (GBP, ``PRICE_YEAR`` prices) over which
#: the acceptability curve is drawn, and the illustrative value used for the tornado.
#: No agreed monetary value of a missing episode averted exists in the sources used here.
WTP_GRID = np.arange(0.0, 50_001.0, 500.0)
WTP_REFERENCE = 10_000.0

COMPONENT_GROUPS: dict[str, str] = {
    "staff": "Staff contact time",
    "placement": "Placements",
    "innovation:running": "Innovation running costs",
    "innovation:start_up": "Innovation start-up (annuitised)",
}


def component_group(component: str) -> str:
    """The reporting group of a cost component ('staff:youth_worker' -> 'Staff contact time')."""
    for prefix, label in COMPONENT_GROUPS.items():
        if component == prefix or component.startswith(prefix + ":") or component.split(":")[0] == prefix:
            return label
    raise KeyError(component)


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


def _scope(frame: pd.DataFrame, site_id: str | None) -> pd.DataFrame:
    if site_id is None:
        return frame
    part = frame[frame["site_id"] == site_id]
    if part.empty:
        raise DataError(
            [Problem("young_people.csv", "unknown-site", "no young people for this site", "site_id", None, site_id)]
        )
    return part


def cost_per_young_person(
    prep: Prepared, reps: int = BOOTSTRAP_REPS, seed: int = COSTS_SEED, schedule=GREEN_BOOK_SCHEDULE
) -> pd.DataFrame:
    """Mean discounted cost per young person by site and arm, by component group.

    All young people (costs are administrative records, complete for everyone), plain
    means (what was spent on the young people in each arm, not an effect), with a BCa
    95% interval for the total from a bootstrap within site and arm.
    """
    frame = prep.frame
    cols = prep.cost_columns
    boot = stratified_bootstrap(frame, cols, ["site_id", "arm"], reps=reps, seed=seed)
    model = CostEffectModel(cols, cols, [], None)
    d = discount_factors(model.cost_years, schedule)
    groups = [component_group(c) for c in model.cost_components]
    labels = list(dict.fromkeys(COMPONENT_GROUPS.values()))
    rows = []
    for s, stratum in boot.strata.iterrows():
        row = {"site_id": stratum["site_id"], "arm": stratum["arm"], "n": int(stratum["n"])}
        for label in labels:
            mask = np.array([g == label for g in groups], dtype=float)
            row[label] = float((boot.point[s] * d * mask).sum())
        total = lambda m, s=s: (m[..., s, :] * d).sum(axis=-1)  # noqa: E731
        est, rep, jk = boot.apply(total)
        row["Total"] = float(est)
        row["ci_low"], row["ci_high"] = bca_interval(est, rep, jk, groups=boot.jackknife_groups)
        rows.append(row)
    out = pd.DataFrame(rows)
    order = {s: i for i, s in enumerate(prep.sites())}
    out["_o"] = out["site_id"].map(order)
    return out.sort_values(["_o", "arm"], ascending=[True, False]).drop(columns="_o").reset_index(drop=True)


@dataclass
class CeaResult:
    """Costs and consequences of one scope (a site, or all sites standardised by site)."""

    scope: str
    n: dict[str, int]
    boot: StratifiedBootstrap
    model: CostEffectModel
    outcome_columns: list[str]
    schedule: tuple | float  # discounting steps, or a flat rate
    effect_tolerance: float
    notes: list[str]

    # --- statistics over stratum means -----------------------------------------------------
    def _diff(self):
        return arm_difference(self.boot)

    def cost_effect(self, means: np.ndarray, params: Mapping[str, object] | None = None, schedule=None) -> np.ndarray:
        """(…, 2): incremental discounted cost and effect (innovation minus comparison)."""
        return self._diff()(self.model.evaluate(means, params, self.schedule if schedule is None else schedule))

    def arm_values(self, means: np.ndarray) -> np.ndarray:
        """(…, S, 2 + n_outcomes): weighted cost, effect and outcome means per stratum."""
        ce = self.model.evaluate(means, None, self.schedule)
        assert self.model.weight_idx is not None  # built with a weight column (_w)
        w = means[..., [self.model.weight_idx]]
        outs = means[..., [self.boot.column(c) for c in self.outcome_columns]] / w
        return np.concatenate([ce, outs], axis=-1)

    # --- results ----------------------------------------------------------------------------
    @property
    def point(self) -> np.ndarray:
        return self.cost_effect(self.boot.point[None])[0]

    @property
    def replicates(self) -> np.ndarray:
        return self.cost_effect(self.boot.replicates)

    @property
    def delta_cost(self) -> float:
        return float(self.point[0])

    @property
    def delta_effect(self) -> float:
        return float(self.point[1])

    @property
    def icer(self) -> Icer:
        return icer(self.delta_cost, self.delta_effect, self.effect_tolerance)

    def intervals(self, wtp: float = WTP_REFERENCE, level: float = CI_LEVEL) -> pd.DataFrame:
        """Incremental cost, effect and net benefit at ``wtp``: estimate, percentile and BCa."""
        jk = self.cost_effect(self.boot.jackknife)
        rep = self.replicates
        est = self.point
        rows = []
        for name, e, r, j in (
            ("Incremental cost (GBP)", est[0], rep[:, 0], jk[:, 0]),
            ("Incremental effect (episodes averted)", est[1], rep[:, 1], jk[:, 1]),
            (
                f"Incremental net benefit at GBP {wtp:,.0f} per episode averted",
                wtp * est[1] - est[0],
                wtp * rep[:, 1] - rep[:, 0],
                wtp * jk[:, 1] - jk[:, 0],
            ),
        ):
            plo, phi = percentile_interval(r, level)
            blo, bhi = bca_interval(e, r, j, level, groups=self.boot.jackknife_groups)
            rows.append(
                {
                    "measure": name,
                    "estimate": float(e),
                    "percentile_low": plo,
                    "percentile_high": phi,
                    "bca_low": blo,
                    "bca_high": bhi,
                }
            )
        return pd.DataFrame(rows)

    def net_benefit(self, wtp: float) -> float:
        return float(net_benefit(wtp, self.delta_effect, self.delta_cost))

    def ceac(self, wtp=WTP_GRID) -> np.ndarray:
        rep = self.replicates
        return ceac(rep[:, 1], rep[:, 0], wtp)

    def quadrant_shares(self) -> dict[str, float]:
        rep = self.replicates
        q = quadrant_of(rep[:, 0], rep[:, 1])
        return {k: float((q == k).mean()) for k in ("north_east", "south_east", "south_west", "north_west")}

    def consequences(self, level: float = CI_LEVEL) -> pd.DataFrame:
        """The cost-consequence table: cost and every outcome, arm by arm, none collapsed."""
        diff = self._diff()
        values = lambda m: diff(self.arm_values(m))  # noqa: E731
        est, rep, jk = self.boot.apply(values)
        arms = self.arm_values(self.boot.point[None])[0]
        strata = self.boot.strata
        totals = strata.groupby("site_id", sort=False)["n"].sum()
        site_w = (totals / totals.sum()).to_dict()
        specs = [
            {
                "column": "cost",
                "label": "Cost per young person (GBP, discounted)",
                "unit": f"GBP, {PRICE_YEAR} prices",
                "better": "lower",
            },
            {
                "column": "effect",
                "label": "Missing episodes averted (discounted)",
                "unit": "episodes",
                "better": "higher",
            },
        ] + list(CEA_OUTCOMES)
        rows = []
        for k, spec in enumerate(specs):
            if spec["column"] == "effect":
                continue  # the CEA effect is minus the first outcome; shown there undiscounted
            means = {}
            for arm in ("innovation", "comparison"):
                idx = strata.index[strata["arm"] == arm]
                means[arm] = float(sum(site_w[strata.loc[i, "site_id"]] * arms[i, k] for i in idx))
            plo, phi = percentile_interval(rep[:, k], level)
            blo, bhi = bca_interval(est[k], rep[:, k], jk[:, k], level, groups=self.boot.jackknife_groups)
            favours = "innovation" if (est[k] < 0) == (spec["better"] == "lower") else "comparison"
            excludes_zero = (blo > 0 or bhi < 0) if np.isfinite(blo) else (plo > 0 or phi < 0)
            rows.append(
                {
                    "outcome": spec["column"],
                    "measure": spec["label"],
                    "unit": spec["unit"],
                    "better": spec["better"],
                    "innovation": means["innovation"],
                    "comparison": means["comparison"],
                    "difference": float(est[k]),
                    "bca_low": blo,
                    "bca_high": bhi,
                    "percentile_low": plo,
                    "percentile_high": phi,
                    "direction": f"favours {favours}" if excludes_zero else "no clear difference",
                }
            )
        return pd.DataFrame(rows)


def cost_effectiveness(
    prep: Prepared,
    site_id: str | None = None,
    reps: int = BOOTSTRAP_REPS,
    seed: int = COSTS_SEED,
    schedule=GREEN_BOOK_SCHEDULE,
    effect_tolerance: float = EFFECT_TOLERANCE,
) -> CeaResult:
    """Cost-consequence and cost-effectiveness of the innovation arm against comparison.

    Complete cases (observed at 18 months) weighted by ``weight`` (propensity x follow-up,
    see ``analysis_weights``); a paired bootstrap within site and arm (``reps``
    replicates); with all sites, the estimate standardises across sites (each site's
    difference weighted by its share of young people), so no site is compared with another.
    """
    frame = _scope(prep.frame, site_id)
    complete = frame[frame["complete"] == 1]
    columns = prep.cost_columns + prep.effect_columns + list(CEA_OUTCOME_COLUMNS)
    data = weighted(complete, columns)
    boot = stratified_bootstrap(data, columns + ["_w"], ["site_id", "arm"], reps=reps, seed=seed)
    model = CostEffectModel(columns + ["_w"], prep.cost_columns, prep.effect_columns, "_w")
    n = complete.groupby("arm").size().to_dict()
    notes = [n_ for n_ in prep.data.notes if site_id is None or n_.startswith(site_id)]
    return CeaResult(
        site_id or "all",
        {a: int(n.get(a, 0)) for a in ("innovation", "comparison")},
        boot,
        model,
        list(CEA_OUTCOME_COLUMNS),
        float(schedule) if isinstance(schedule, (int, float)) else tuple(schedule),
        effect_tolerance,
        notes,
    )


# ---------------------------------------------------------------------------------------
# Sensitivity analyses
# ---------------------------------------------------------------------------------------


def nao_residential_multiplier(table: pd.DataFrame | None = None) -> float:
    """NAO average children's home place cost (weekly) over the England Section 251
    residential weekly unit cost of the same year, both in ``PRICE_YEAR`` prices."""
    table = unit_costs() if table is None else table
    nao = table[table["item"] == "childrens_home_place"].iloc[0]
    s251 = table[
        (table["item"] == "residential_care")
        & (table["area_code"] == ENGLAND_CODE)
        & (table["financial_year"] == nao["financial_year"])
    ].iloc[0]
    return float(nao["amount_gbp_price_year"] / WEEKS_PER_YEAR / s251["amount_gbp_price_year"])


def one_way_sensitivity(
    result: CeaResult, wtp: float = WTP_REFERENCE, table: pd.DataFrame | None = None, level: float = CI_LEVEL
) -> pd.DataFrame:
    """Incremental net benefit at ``wtp`` as each input moves over its stated range.

    Unit costs (``PARAMETERS``), the residential rate at the NAO average, the discount
    rate (``DISCOUNT_RANGE``, flat) and the effect size (the BCa interval of the
    incremental effect). ``width`` is the extent of the bar from the base case to both
    ends; rows are sorted by it, widest first (a tornado).
    """
    point = result.boot.point[None]
    base_dc, base_de = result.cost_effect(point)[0]
    base = wtp * base_de - base_dc
    rows = []

    def inb(params=None, schedule=None, effect=None):
        dc, de = result.cost_effect(point, params, schedule)[0]
        return float(wtp * (de if effect is None else effect) - dc)

    for name, p in PARAMETERS.items():
        rows.append(
            {
                "parameter": name,
                "label": p.label,
                "range": p.range_reason,
                "low_value": p.low,
                "high_value": p.high,
                "inb_low": inb({name: p.low}),
                "inb_high": inb({name: p.high}),
            }
        )
    nao = nao_residential_multiplier(table)
    rows.append(
        {
            "parameter": "residential_nao",
            "label": "Residential rate at the NAO (2025) average",
            "range": "children's home place cost (NAO) instead of Section 251",
            "low_value": nao,
            "high_value": nao,
            "inb_low": inb({"residential_rate": nao}),
            "inb_high": inb({"residential_rate": nao}),
        }
    )
    lo_r, hi_r = DISCOUNT_RANGE
    rows.append(
        {
            "parameter": "discount_rate",
            "label": "Discount rate (flat)",
            "range": f"{lo_r:.1%} to {hi_r:.1%}",
            "low_value": lo_r,
            "high_value": hi_r,
            "inb_low": inb(schedule=constant_schedule(lo_r)),
            "inb_high": inb(schedule=constant_schedule(hi_r)),
        }
    )
    effect = result.intervals(wtp, level).iloc[1]
    lo_e, hi_e = effect["bca_low"], effect["bca_high"]
    if not (np.isfinite(lo_e) and np.isfinite(hi_e)):
        lo_e, hi_e = effect["percentile_low"], effect["percentile_high"]
    rows.append(
        {
            "parameter": "effect",
            "label": "Incremental effect",
            "range": f"its {level:.0%} interval",
            "low_value": lo_e,
            "high_value": hi_e,
            "inb_low": inb(effect=lo_e),
            "inb_high": inb(effect=hi_e),
        }
    )
    out = pd.DataFrame(rows)
    out["base_inb"] = base
    ends = out[["inb_low", "inb_high", "base_inb"]].to_numpy()
    out["width"] = ends.max(axis=1) - ends.min(axis=1)  # the bar drawn from the base case to both ends
    return out.sort_values("width", ascending=False, kind="stable").reset_index(drop=True)


def draw_parameters(n: int, seed: int = COSTS_SEED) -> dict[str, np.ndarray]:
    """Draws of the unit-cost multipliers for the probabilistic sensitivity analysis.

    Gamma (mean 1, stated CV) for cost multipliers; beta for the share of a social
    worker's time that is client-related (mean 40/55) which turns the hourly cost into a
    cost per contact hour; log-normal (median 1) for each role's ratio to a social worker.
    """
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    for name, p in PARAMETERS.items():
        if p.distribution == "gamma":
            shape = 1.0 / p.spread**2
            out[name] = rng.gamma(shape, 1.0 / shape, n)
        elif p.distribution == "beta-share":
            hourly = rng.gamma(100.0, 1.0 / 100.0, n)  # CV 10% on the cost per hour of time
            share = rng.beta(_CLIENT_SHARE * p.spread, (1 - _CLIENT_SHARE) * p.spread, n)
            out[name] = hourly * _CLIENT_SHARE / share
        elif p.distribution == "lognormal":
            for role in STAFF_ROLES:
                if role != "social_worker":
                    out[f"ratio:{role}"] = np.exp(rng.normal(0.0, p.spread, n))
        else:
            raise ValueError(f"unknown distribution {p.distribution!r}")
    return out


@dataclass
class PsaResult:
    delta_cost: np.ndarray
    delta_effect: np.ndarray
    draws: dict[str, np.ndarray]

    def ceac(self, wtp=WTP_GRID) -> np.ndarray:
        return ceac(self.delta_effect, self.delta_cost, wtp)


def probabilistic_sensitivity(result: CeaResult, seed: int = COSTS_SEED + 1) -> PsaResult:
    """Sampling and parameter uncertainty together: bootstrap replicate j is costed with
    parameter draw j (``draw_parameters``), one draw per replicate."""
    reps = result.boot.replicates
    draws = draw_parameters(reps.shape[0], seed)
    ce = result.cost_effect(reps, draws)
    return PsaResult(ce[:, 0], ce[:, 1], draws)


# ---------------------------------------------------------------------------------------
# Loading, and the per-site summary the site chapters reuse
# ---------------------------------------------------------------------------------------

CASE_TABLES = ("young_people", "outcomes", "service_activity", "placements", "innovation_costs")


def load_cost_data(site_id: str | None = None, folder: Path | str | None = None) -> CostData:
    """Cost every young person in the case-level data (or one site's), from
    ``innovate.data.casedata``; unit costs from ``data/reference/unit_costs.csv``."""
    tables = {name: casedata.load(name, folder) for name in CASE_TABLES}
    people = tables["young_people"]
    if site_id is not None:
        people = _scope(people, site_id)
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


_PREPARED: dict[tuple, Prepared] = {}


def prepared(site_id: str | None = None, folder: Path | str | None = None) -> Prepared:
    """``prepare(load_cost_data(...))``, kept for the session (the inputs are read-only)."""
    base = str(Path(folder).resolve() if folder is not None else case_data_dir())
    key = (base, site_id)
    if key not in _PREPARED:
        whole = _PREPARED.get((base, None))
        # every step is site by site (costing, weights), so a site's slice of the whole is the same
        _PREPARED[key] = (
            subset(whole, site_id)
            if whole is not None and site_id is not None
            else prepare(load_cost_data(site_id, folder))
        )
    return _PREPARED[key]


def subset(prep: Prepared, site_id: str) -> Prepared:
    """One site's part of a ``Prepared`` (costs and weights are computed site by site)."""
    data = prep.data
    frame = _scope(data.frame, site_id).reset_index(drop=True)
    people = None if data.people is None else data.people[data.people["site_id"] == site_id]
    summary = data.innovation_summary
    summary = summary[summary["site_id"] == site_id].reset_index(drop=True) if "site_id" in summary else summary
    notes = [n for n in data.notes if n.startswith(f"{site_id}:")]
    sub = CostData(frame, data.cost_columns, data.effect_columns, summary, notes, people)
    return Prepared(
        sub,
        prep.weights[prep.weights["site_id"] == site_id].reset_index(drop=True),
        _scope(prep.frame, site_id).reset_index(drop=True),
    )


@dataclass
class SiteCostSummary:
    """Everything a chapter shows about one site's costs and value for money."""

    site_id: str
    cost_per_young_person: pd.DataFrame
    result: CeaResult
    consequences: pd.DataFrame
    intervals: pd.DataFrame
    tornado: pd.DataFrame
    psa: PsaResult
    wtp: float
    notes: list[str]

    @property
    def icer(self) -> Icer:
        return self.result.icer

    def acceptability(self, wtp=WTP_GRID) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "wtp": np.asarray(wtp, dtype=float),
                "bootstrap": self.result.ceac(wtp),
                "probabilistic": self.psa.ceac(wtp),
            }
        )

    def numbers(self) -> dict[str, float]:
        """Key numbers for the prose (glue them; never type them). Interval ends are BCa,
        or percentile where the BCa correction is undefined."""
        cp = self.cost_per_young_person
        mean_cost = {arm: float(np.average(part["Total"], weights=part["n"])) for arm, part in cp.groupby("arm")}
        iv = self.intervals.copy()
        for end in ("low", "high"):  # BCa where defined, else the percentile interval (said in the docs)
            bca = iv[f"bca_{end}"].to_numpy(dtype=float)
            iv[f"bca_{end}"] = np.where(np.isfinite(bca), bca, iv[f"percentile_{end}"].to_numpy(dtype=float))
        p_ref = float(self.result.ceac([self.wtp])[0])
        p_zero = float(self.result.ceac([0.0])[0])
        out = {
            "cost_innovation": mean_cost["innovation"],
            "cost_comparison": mean_cost["comparison"],
            "delta_cost": self.result.delta_cost,
            "delta_cost_low": float(iv.loc[0, "bca_low"]),
            "delta_cost_high": float(iv.loc[0, "bca_high"]),
            "delta_effect": self.result.delta_effect,
            "delta_effect_low": float(iv.loc[1, "bca_low"]),
            "delta_effect_high": float(iv.loc[1, "bca_high"]),
            "inb": float(iv.loc[2, "estimate"]),
            "inb_low": float(iv.loc[2, "bca_low"]),
            "inb_high": float(iv.loc[2, "bca_high"]),
            "p_cost_effective": p_ref,
            "p_cost_saving": p_zero,
            "p_cost_effective_psa": float(self.psa.ceac([self.wtp])[0]),
            "n_innovation": self.result.n["innovation"],
            "n_comparison": self.result.n["comparison"],
        }
        if self.icer.reported:
            out["icer"] = self.icer.value
        return out


def summarise(
    prep: Prepared,
    site_id: str | None = None,
    reps: int = BOOTSTRAP_REPS,
    seed: int = COSTS_SEED,
    wtp: float = WTP_REFERENCE,
) -> SiteCostSummary:
    """All cost analyses for one site (or ``None``: all sites, standardised by site)."""
    result = cost_effectiveness(prep, site_id, reps=reps, seed=seed)
    per_person = cost_per_young_person(prep, reps=reps, seed=seed)
    if site_id is not None:
        per_person = per_person[per_person["site_id"] == site_id].reset_index(drop=True)
    return SiteCostSummary(
        site_id=site_id or "all",
        cost_per_young_person=per_person,
        result=result,
        consequences=result.consequences(),
        intervals=result.intervals(wtp),
        tornado=one_way_sensitivity(result, wtp),
        psa=probabilistic_sensitivity(result, seed + 1),
        wtp=wtp,
        notes=result.notes,
    )


def site_cost_summary(
    site_id: str,
    folder: Path | str | None = None,
    reps: int = BOOTSTRAP_REPS,
    seed: int = COSTS_SEED,
    wtp: float = WTP_REFERENCE,
) -> SiteCostSummary:
    """The costs and value-for-money section of one site's chapter (same functions as the
    cross-site chapter; only that site's data are costed)."""
    return summarise(prepared(site_id, folder), site_id, reps=reps, seed=seed, wtp=wtp)
