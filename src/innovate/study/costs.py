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

Every name above is found here. The code lives in :mod:`innovate.econ` (unit costs,
costing, discounting, cost-effectiveness arithmetic), :mod:`innovate.stats.bootstrap`,
:mod:`innovate.study.cost_data` (the analysis frame and its weights, steps 2-3) and
:mod:`innovate.study.cost_analysis` (the analyses, steps 3-4); this module holds step 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.config import COSTS_SEED
from innovate.data.paths import case_data_dir
from innovate.econ.cea import (
    CostEffectModel,
    Icer,
    ceac,
    icer,
    net_benefit,
)
from innovate.econ.costing import (
    activity_components,
    innovation_components,
    placement_components,
)
from innovate.econ.prices import (
    GREEN_BOOK_SCHEDULE,
    PRICE_YEAR,
    discount_factors,
)
from innovate.econ.unit_costs import unit_costs
from innovate.stats.bootstrap import (
    CI_LEVEL,
    StratifiedBootstrap,
    bca_interval,
    percentile_interval,
    stratified_bootstrap,
)
from innovate.study.cost_analysis import (
    BOOTSTRAP_REPS,
    COMPONENT_GROUPS,
    EFFECT_TOLERANCE,
    WTP_GRID,
    WTP_REFERENCE,
    CeaResult,
    PsaResult,
    component_group,
    cost_effectiveness,
    cost_per_young_person,
    draw_parameters,
    nao_residential_multiplier,
    one_way_sensitivity,
    probabilistic_sensitivity,
)
from innovate.study.cost_data import (
    CASE_TABLES,
    CEA_OUTCOME_COLUMNS,
    CEA_OUTCOMES,
    EFFECT_LABEL,
    MIN_INDICATOR_COUNT,
    CostData,
    Prepared,
    analysis_weights,
    area_of_site,
    build_cost_data,
    load_cost_data,
    person_outcomes,
    prepare,
    ps_covariates,
    scope,
    subset,
    weighted,
)

#: The module's public names: its own (the per-site section) and those of the steps it
#: gathers, as the module notes list them.
__all__ = [
    "DISCLOSURE_THRESHOLD",
    "SiteCostSummary",
    "prepared",
    "site_cost_summary",
    "summarise",
    "CASE_TABLES",
    "CEA_OUTCOMES",
    "CEA_OUTCOME_COLUMNS",
    "EFFECT_LABEL",
    "MIN_INDICATOR_COUNT",
    "CostData",
    "Prepared",
    "analysis_weights",
    "area_of_site",
    "build_cost_data",
    "load_cost_data",
    "person_outcomes",
    "prepare",
    "ps_covariates",
    "scope",
    "subset",
    "weighted",
    "BOOTSTRAP_REPS",
    "COMPONENT_GROUPS",
    "EFFECT_TOLERANCE",
    "WTP_GRID",
    "WTP_REFERENCE",
    "CeaResult",
    "PsaResult",
    "component_group",
    "cost_effectiveness",
    "cost_per_young_person",
    "draw_parameters",
    "nao_residential_multiplier",
    "one_way_sensitivity",
    "probabilistic_sensitivity",
    "CostEffectModel",
    "Icer",
    "ceac",
    "icer",
    "net_benefit",
    "activity_components",
    "innovation_components",
    "placement_components",
    "GREEN_BOOK_SCHEDULE",
    "PRICE_YEAR",
    "discount_factors",
    "unit_costs",
    "CI_LEVEL",
    "StratifiedBootstrap",
    "bca_interval",
    "percentile_interval",
    "stratified_bootstrap",
]

#: Counts of young people from 1 to this are withheld in every table shown (DfE practice).
DISCLOSURE_THRESHOLD = 5


# ---------------------------------------------------------------------------------------
# The per-site summary the site chapters reuse
# ---------------------------------------------------------------------------------------


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
