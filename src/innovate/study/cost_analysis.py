"""The analyses of the cost frame: cost per young person, the cost-consequence table,
cost-effectiveness with its bootstrap, and the one-way and probabilistic sensitivity
analyses (steps 3 and 4 of :mod:`innovate.study.costs`, where callers find these)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innovate.config import COSTS_SEED, ENGLAND_CODE
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
from innovate.econ.costing import WEEKS_PER_YEAR
from innovate.econ.prices import GREEN_BOOK_SCHEDULE, PRICE_YEAR, constant_schedule, discount_factors
from innovate.econ.unit_costs import STAFF_ROLES, unit_costs
from innovate.stats.bootstrap import (
    CI_LEVEL,
    StratifiedBootstrap,
    arm_difference,
    bca_interval,
    percentile_interval,
    stratified_bootstrap,
)
from innovate.study.cost_data import CEA_OUTCOME_COLUMNS, CEA_OUTCOMES, Prepared, scope, weighted

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
        # innovation minus comparison, standardised over sites (the book's columns and arms)
        return arm_difference(self.boot, treated="innovation", control="comparison", arm="arm", by="site_id")

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
    frame = scope(prep.frame, site_id)
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
