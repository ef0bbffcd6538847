"""Cost-effectiveness arithmetic: ICERs, quadrants, net benefit, acceptability curves, and the cost-effect model over stratum means."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from innovate.econ.costing import START_UP_LIFE_YEARS, annuity_factor, split_column
from innovate.econ.prices import GREEN_BOOK_SCHEDULE, discount_factors
from innovate.econ.unit_costs import (
    SOCIAL_WORKER_CLIENT_HOURLY_GBP,
    SOCIAL_WORKER_HOURLY_GBP,
    STAFF_ROLES,
)

# ---------------------------------------------------------------------------------------
# Incremental analysis: ICER, quadrants, net benefit, acceptability
# ---------------------------------------------------------------------------------------

QUADRANTS = {
    "dominant": "more effective and no more costly, so the innovation dominates and no ICER is needed",
    "dominated": "less effective and no less costly, so the innovation is dominated and no ICER is needed",
    "north_east": "more effective and more costly, so the ICER is the extra cost per extra unit of effect",
    "south_west": "less effective and less costly, so the ICER is the saving per unit of effect given up",
    "undefined": "the difference in effect is too close to zero for a cost per unit of effect to mean anything",
}
#: Reasons for an exactly equal effect (no effect tolerance): weak dominance.
WEAK_DOMINANCE = {
    "dominant": "as effective and less costly, so the innovation weakly dominates and no ICER is needed",
    "dominated": "as effective and more costly, so the innovation is weakly dominated and no ICER is needed",
}
#: Where each result lies on the cost-effectiveness plane, for prose and tables.
QUADRANT_LABELS = {
    "dominant": "south-east quadrant (dominant)",
    "dominated": "north-west quadrant (dominated)",
    "north_east": "north-east quadrant",
    "south_west": "south-west quadrant",
    "undefined": "band of no difference in effect",
}


@dataclass(frozen=True)
class Icer:
    """An incremental cost-effectiveness result with its quadrant."""

    delta_cost: float
    delta_effect: float
    quadrant: str
    value: float  # NaN where no ratio is reported
    reason: str

    @property
    def reported(self) -> bool:
        return bool(np.isfinite(self.value))


def icer(delta_cost: float, delta_effect: float, effect_tolerance: float = 0.0) -> Icer:
    """Classify an incremental result on the cost-effectiveness plane.

    ``delta_effect`` is oriented so that higher is better (e.g. episodes averted).
    ``|delta_effect| <= effect_tolerance`` (with a positive tolerance) leaves the ICER
    undefined (the ratio would be driven by noise in a near-zero denominator). Dominance
    (more effective and no more costly, or less effective and no less costly) reports no
    ratio: a negative ICER mixes the two and is never read as a number. With no
    tolerance, an exactly equal effect is weakly dominant when the innovation costs less
    and weakly dominated when it costs more (:func:`quadrant_of` places such points the
    same way); no difference in either is undefined. The north-east and south-west
    quadrants report ``delta_cost / delta_effect``; in the south-west it is the saving
    per unit of effect given up, acceptable only when it exceeds the willingness to pay.
    """
    dc = float(delta_cost)
    de = float(delta_effect)
    if not (np.isfinite(dc) and np.isfinite(de)):
        raise ValueError("incremental cost and effect must be finite")
    if effect_tolerance < 0:
        raise ValueError("effect_tolerance must be >= 0")
    if abs(de) <= effect_tolerance and (effect_tolerance > 0 or dc == 0):
        return Icer(dc, de, "undefined", float("nan"), QUADRANTS["undefined"])
    if de == 0:
        quadrant = "dominant" if dc < 0 else "dominated"
        return Icer(dc, de, quadrant, float("nan"), WEAK_DOMINANCE[quadrant])
    if de > 0 and dc <= 0:
        return Icer(dc, de, "dominant", float("nan"), QUADRANTS["dominant"])
    if de < 0 and dc >= 0:
        return Icer(dc, de, "dominated", float("nan"), QUADRANTS["dominated"])
    quadrant = "north_east" if de > 0 else "south_west"
    return Icer(dc, de, quadrant, dc / de, QUADRANTS[quadrant])


def quadrant_of(delta_cost, delta_effect) -> np.ndarray:
    """Quadrant of each (cost, effect) pair: 'north_east', 'north_west' (dominated),
    'south_east' (dominant), 'south_west', as :func:`icer` classifies it with no effect
    tolerance. Points on an axis count as weakly dominant or dominated: a gain at no
    extra cost, or the same effect at a lower cost, is 'south_east'; a loss at no
    saving, or the same effect at a higher cost, is 'north_west'. A point with no
    difference in either (the origin) is 'origin'."""
    dc = np.asarray(delta_cost, dtype=float)
    de = np.asarray(delta_effect, dtype=float)
    return np.select(
        [
            (de == 0) & (dc == 0),
            (de > 0) & (dc > 0),
            ((de > 0) & (dc <= 0)) | ((de == 0) & (dc < 0)),
            ((de < 0) & (dc >= 0)) | ((de == 0) & (dc > 0)),
        ],
        ["origin", "north_east", "south_east", "north_west"],
        default="south_west",
    )


def net_benefit(wtp, delta_effect, delta_cost) -> np.ndarray:
    """Incremental net monetary benefit INB(lambda) = lambda * dE - dC.

    Broadcasts: ``wtp`` of shape (L,) against replicates of shape (B,) gives (L, B)
    when called as ``net_benefit(wtp[:, None], de[None, :], dc[None, :])``.
    """
    return np.asarray(wtp, dtype=float) * np.asarray(delta_effect, dtype=float) - np.asarray(delta_cost, dtype=float)


def ceac(delta_effect, delta_cost, wtp) -> np.ndarray:
    """Cost-effectiveness acceptability curve: P(INB(lambda) > 0) over replicates.

    The share of paired replicates with ``lambda * dE - dC > 0`` at each willingness to
    pay; at lambda = 0 this is the share of replicates in which the innovation costs less.
    """
    de = np.asarray(delta_effect, dtype=float).ravel()
    dc = np.asarray(delta_cost, dtype=float).ravel()
    if de.shape != dc.shape or de.size == 0:
        raise ValueError("paired replicates of effect and cost of the same non-zero length are needed")
    lam = np.atleast_1d(np.asarray(wtp, dtype=float))
    inb = lam[:, None] * de[None, :] - dc[None, :]
    return (inb > 0).mean(axis=1)


def parametric_ceac(
    delta_effect: float, delta_cost: float, var_effect: float, var_cost: float, cov: float, wtp
) -> np.ndarray:
    """Normal-theory acceptability: Phi(INB_hat / se(INB)) with
    var(INB) = lambda^2 var(dE) + var(dC) - 2 lambda cov(dE, dC)."""
    lam = np.atleast_1d(np.asarray(wtp, dtype=float))
    inb = lam * delta_effect - delta_cost
    var = lam**2 * var_effect + var_cost - 2 * lam * cov
    se = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, inb / se, np.sign(inb) * np.inf)
    return stats.norm.cdf(z)


# ---------------------------------------------------------------------------------------
# The cost-effect model: discounting and unit-cost multipliers over stratum means
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Parameter:
    """An input varied in the sensitivity analyses (a multiplier on its components)."""

    name: str
    label: str
    components: tuple[str, ...]
    low: float
    high: float
    range_reason: str
    distribution: str  # 'gamma', 'beta-share', 'lognormal' or 'fixed'
    spread: float  # CV (gamma), SD of the log (lognormal), effective sample size (beta)
    psa_reason: str


_OTHER_ROLES = tuple(f"staff:{r}" for r in STAFF_ROLES if r != "social_worker")
_CLIENT_SHARE = SOCIAL_WORKER_HOURLY_GBP / SOCIAL_WORKER_CLIENT_HOURLY_GBP

PARAMETERS: dict[str, Parameter] = {
    "staff_hourly": Parameter(
        "staff_hourly",
        "Staff cost per contact hour (all roles)",
        tuple(f"staff:{r}" for r in STAFF_ROLES),
        _CLIENT_SHARE,
        1 / _CLIENT_SHARE,
        "low: GBP 40 per hour of working time instead of GBP 55 per hour of client-related work; high: the same ratio upwards",
        "beta-share",
        100.0,
        "cost per hour of time (gamma, CV 10%) divided by the share of time that is client-related "
        "(beta, mean 40/55, effective sample size 100)",
    ),
    "role_ratios": Parameter(
        "role_ratios",
        "Ratios of other roles to a social worker",
        _OTHER_ROLES,
        0.7,
        1.3,
        "assumed ratios, -30% to +30%",
        "lognormal",
        0.15,
        "each role's ratio log-normal, SD of the log 0.15",
    ),
    "residential_rate": Parameter(
        "residential_rate",
        "Residential (and secure) weekly unit cost",
        ("placement:residential", "placement:secure"),
        0.8,
        1.2,
        "Section 251 rate -20% to +20%",
        "gamma",
        0.10,
        "gamma, mean 1, CV 10%",
    ),
    "fostering_rate": Parameter(
        "fostering_rate",
        "Fostering weekly unit cost",
        ("placement:fostering",),
        0.8,
        1.2,
        "Section 251 rate -20% to +20%",
        "gamma",
        0.10,
        "gamma, mean 1, CV 10%",
    ),
    "looked_after_rate": Parameter(
        "looked_after_rate",
        "Supported accommodation weekly unit cost",
        ("placement:supported_accommodation",),
        0.8,
        1.2,
        "Section 251 all-looked-after rate -20% to +20%",
        "gamma",
        0.10,
        "gamma, mean 1, CV 10%",
    ),
    "innovation_running": Parameter(
        "innovation_running",
        "Innovation running costs per young person",
        ("innovation:running",),
        0.5,
        1.5,
        "caseload at any time twice the cohort (low) or two-thirds of it (high)",
        "gamma",
        0.15,
        "gamma, mean 1, CV 15%",
    ),
    "innovation_start_up": Parameter(
        "innovation_start_up",
        "Innovation start-up costs per young person",
        ("innovation:start_up",),
        0.0,
        annuity_factor(START_UP_LIFE_YEARS) / annuity_factor(3.0),
        "low: excluded (a steady-state service); high: annuitised over 3 years instead of 5",
        "gamma",
        0.15,
        "gamma, mean 1, CV 15%",
    ),
}

#: Range of the discount rate in the one-way analysis (base: the Green Book schedule).
DISCOUNT_RANGE = (0.0, 0.06)


class CostEffectModel:
    """Discounted cost and effect per stratum from stratum means of components.

    Linear in the means, so it applies alike to the point estimate, every bootstrap
    replicate and every jackknife value; unit-cost multipliers (``PARAMETERS``) and the
    discount schedule can be changed without re-costing anyone.
    """

    def __init__(
        self,
        columns: Sequence[str],
        cost_columns: Sequence[str],
        effect_columns: Sequence[str],
        weight_column: str | None = None,
    ):
        self.columns = list(columns)
        self.weight_idx = None if weight_column is None else self.columns.index(weight_column)
        self.cost_idx = np.array([self.columns.index(c) for c in cost_columns], dtype=np.int64)
        self.effect_idx = np.array([self.columns.index(c) for c in effect_columns], dtype=np.int64)
        self.cost_components = [split_column(c)[0] for c in cost_columns]
        self.cost_years = np.array([split_column(c)[1] for c in cost_columns], dtype=float)
        self.effect_years = np.array([split_column(c)[1] for c in effect_columns], dtype=float)

    def multipliers(self, params: Mapping[str, Any] | None = None) -> np.ndarray:
        """(…, n_cost) multipliers on the cost columns; values may be arrays of draws."""
        shape: tuple[int, ...] = ()
        for value in (params or {}).values():
            shape = np.broadcast_shapes(shape, np.shape(value))
        mult = np.ones(shape + (len(self.cost_components),))
        for name, value in (params or {}).items():
            if name.startswith("ratio:"):
                comps: tuple[str, ...] = (f"staff:{name.split(':', 1)[1]}",)
            elif name in PARAMETERS:
                comps = PARAMETERS[name].components
            else:
                raise KeyError(f"unknown parameter {name!r}")
            cols = [i for i, c in enumerate(self.cost_components) if c in comps]
            mult[..., cols] *= np.asarray(value, dtype=float)[..., None]
        return mult

    def evaluate(
        self,
        means: np.ndarray,
        params: Mapping[str, object] | None = None,
        schedule=GREEN_BOOK_SCHEDULE,
        components: Sequence[str] | None = None,
    ) -> np.ndarray:
        """(…, S, 2): discounted cost and discounted effect of each stratum.

        ``components`` restricts the cost to those components (e.g. only staff time).
        """
        d_cost = discount_factors(self.cost_years, schedule)
        d_eff = discount_factors(self.effect_years, schedule)
        mult = self.multipliers(params)
        if components is not None:
            keep = np.array([any(c.startswith(p) for p in components) for c in self.cost_components], dtype=float)
            mult = mult * keep
        weights = mult * d_cost  # (..., n_cost)
        cost_means = means[..., self.cost_idx]  # (..., S, n_cost)
        cost = (cost_means * weights[..., None, :]).sum(axis=-1)
        effect = (means[..., self.effect_idx] * d_eff).sum(axis=-1)
        if self.weight_idx is not None:  # Hajek weighted means: mean(w * y) / mean(w)
            cost = cost / means[..., self.weight_idx]
            effect = effect / means[..., self.weight_idx]
        return np.stack([cost, effect], axis=-1)
