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

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from . import schemas
from .errors import DataError, Problem
from .paths import reference_dir

# ---------------------------------------------------------------------------------------
# Constants and stated assumptions
# ---------------------------------------------------------------------------------------

#: The one price year every amount is converted to (HM Treasury financial year).
PRICE_YEAR = "2024-25"

#: Green Book discount schedule as (last year the rate applies to, rate): 3.5% for years
#: 0-30 and 3.0% for years 31-75 (HM Treasury 2022). The Green Book steps down further
#: after year 75; no horizon in this book comes near that, so longer horizons raise.
GREEN_BOOK_SCHEDULE: tuple[tuple[float, float], ...] = ((30.0, 0.035), (75.0, 0.030))

#: Weeks in a year, for converting annual amounts to weekly ones (365.25 / 7).
WEEKS_PER_YEAR = 365.25 / 7

#: Counts of young people from 1 to this are withheld in every table shown (DfE practice).
DISCLOSURE_THRESHOLD = 5

#: Level of every confidence interval the chapters show.
CI_LEVEL = 0.95

#: Follow-up of the cohort in months (waves at 0, 6, 12 and 18 months).
FOLLOW_UP_MONTHS = 18

#: Years over which an innovation's start-up costs are annuitised (an ASSUMPTION: the
#: useful life of training and practice development before it must be renewed).
START_UP_LIFE_YEARS = 5.0

# Categories come from the case-level schemas, the single truth for allowed values.
STAFF_ROLES: tuple[str, ...] = schemas.STAFF_ROLES
PLACEMENT_TYPES: tuple[str, ...] = schemas.PLACEMENT_TYPES
INNOVATION_ITEMS: tuple[str, ...] = schemas.COST_ITEMS
COST_CATEGORIES: tuple[str, ...] = schemas.COST_CATEGORIES

#: The staff-time source: New Economy's unit cost database (from PSSRU's Unit Costs of
#: Health and Social Care), cost of a children's services social worker, 2013-14 prices,
#: excluding qualification costs, including on-costs, overheads and capital.
NEW_ECONOMY_SOURCE = (
    "New Economy Unit Cost Database (Manchester), valuation 'cost per hour for a children's "
    "services social worker', from PSSRU Unit Costs of Health and Social Care; national average, "
    "excluding qualification costs; including salary on-costs, overheads and capital"
)
NEW_ECONOMY_URL = "http://www.globalvaluexchange.org/valuations/584580a11c584a1f40e4382b"
NEW_ECONOMY_PRICE_YEAR = "2013-14"
#: GBP per hour of a children's social worker's time, and per hour of client-related
#: work (the latter spreads non-contact time over contact hours), 2013-14 prices.
SOCIAL_WORKER_HOURLY_GBP = 40.0
SOCIAL_WORKER_CLIENT_HOURLY_GBP = 55.0

#: Hourly cost of each role relative to a children's social worker. ASSUMPTIONS of this
#: book, not published figures: no offline source gave children's-services rates for
#: these roles. They are varied in the sensitivity analyses (log-normal, see PSA_SPREAD).
ROLE_RATIOS: dict[str, float] = {
    "social_worker": 1.0,
    "senior_practitioner": 1.15,
    "youth_worker": 0.70,
    "specialist_exploitation_worker": 1.0,
    "family_support_worker": 0.65,
    "team_manager": 1.40,
}
ROLE_RATIO_REASONS: dict[str, str] = {
    "social_worker": "the published rate",
    "senior_practitioner": "assumed 15% above a social worker (a higher grade on the same pay spine)",
    "youth_worker": "assumed 30% below a social worker (a lower pay grade; unqualified in social work)",
    "specialist_exploitation_worker": "assumed equal to a social worker (usually a qualified social worker in a specialist post)",
    "family_support_worker": "assumed 35% below a social worker (a support grade)",
    "team_manager": "assumed 40% above a social worker (a management grade)",
}

#: The National Audit Office (2025) average cost of a children's home place, England.
NAO_HOME_PLACE_GBP_PER_YEAR = 318_400.0
NAO_PRICE_YEAR = "2023-24"
NAO_SOURCE = (
    "National Audit Office (2025) Managing children's residential care: average cost of a "
    "children's home place in 2023-24 (England)"
)
NAO_URL = (
    "https://www.nao.org.uk/press-releases/"
    "government-needs-better-oversight-to-tackle-market-failures-in-childrens-residential-care"
)
NAO_CITATION = "nao2025residential"

#: Section 251 weekly unit costs in the LAIT file: indicator -> (item, label).
S251_INDICATORS: dict[str, tuple[str, str]] = {
    "RescareFinance": ("residential_care", "residential care"),
    "FosteringFinance": ("fostering", "fostering"),
    "LACFinance": ("looked_after_all", "all looked-after children"),
}
S251_SOURCE = (
    "DfE Section 251 outturn, weekly unit cost (approximate, rounded to GBP 5), via the "
    "Local Authority Interactive Tool, indicator {indicator}"
)
S251_URL = "https://explore-education-statistics.service.gov.uk/find-statistics/la-and-school-expenditure"
S251_CITATION = ""

#: Which weekly S251 rate prices each placement type, and why.
PLACEMENT_RATE_ITEM: dict[str, str] = {
    "residential": "residential_care",
    "fostering": "fostering",
    "secure": "residential_care",
    "supported_accommodation": "looked_after_all",
}
PLACEMENT_RATE_REASON: dict[str, str] = {
    "residential": "Section 251 residential care weekly unit cost of the area and year",
    "fostering": "Section 251 fostering weekly unit cost of the area and year",
    "secure": (
        "no public weekly unit cost for secure children's homes in the data: priced at the "
        "Section 251 residential care rate (an underestimate if secure places cost more)"
    ),
    "supported_accommodation": (
        "no Section 251 line for supported accommodation in the data: priced at the weekly "
        "unit cost of all looked-after children of the area and year"
    ),
}

#: Unit-cost areas: the sites' areas, London and England (LAIT 'LA Number').
UNIT_COST_AREAS: dict[str, tuple[str, str]] = {
    # area_code: (LAIT LA Number, name)
    "878": ("878", "Devon"),
    "870": ("870", "Reading"),
    "204": ("204", "Hackney"),
    "373": ("373", "Sheffield"),
    "E12000007": ("986", "London"),
    "E92000001": ("970", "England"),
}
ENGLAND_CODE = "E92000001"

UNIT_COSTS_FILE = "unit_costs.csv"
UNIT_COST_COLUMNS: tuple[str, ...] = (
    "item",
    "area_code",
    "area_name",
    "financial_year",
    "unit",
    "amount_gbp",
    "price_year",
    "amount_gbp_price_year",
    "price_year_converted_to",
    "source",
    "source_url",
    "citation_key",
    "is_assumption",
    "note",
)

# ---------------------------------------------------------------------------------------
# Financial years and price years
# ---------------------------------------------------------------------------------------


def financial_year(dates) -> np.ndarray:
    """The UK financial year ('2019-20') of each date (years run 1 April to 31 March)."""
    d = np.asarray(pd.to_datetime(pd.Series(dates)).to_numpy(), dtype="datetime64[D]")
    start = fy_start_of_dates(d)
    years, inverse = np.unique(start, return_inverse=True)
    names = np.array([f"{y}-{(y + 1) % 100:02d}" for y in years], dtype=object)
    return names[inverse.ravel()] if len(years) else np.array([], dtype=object)


def fy_start_of_dates(days: np.ndarray) -> np.ndarray:
    """Start year of the financial year of each ``datetime64[D]`` value (vectorised)."""
    months = days.astype("datetime64[M]").astype(np.int64)
    year = months // 12 + 1970
    month = months % 12 + 1
    return year - (month < 4).astype(np.int64)


def fy_start(fy: str) -> int:
    """The calendar year in which a financial year ('2019-20') starts."""
    text = str(fy).strip()
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        raise ValueError(f"not a financial year of the form '2019-20': {fy!r}")
    start = int(text[:4])
    if (start + 1) % 100 != int(text[5:]):
        raise ValueError(f"not a financial year of the form '2019-20': {fy!r}")
    return start


def deflators() -> pd.DataFrame:
    """HM Treasury GDP deflators by financial year (``PRICE_YEAR`` = 100).

    The data layer's loader, ``innovate.public.gdp_deflators`` (columns ``fiscal_year``,
    ``fiscal_year_start``, ``gdp_deflator``, ``is_forecast``).
    """
    from . import public

    return public.gdp_deflators()


def to_price_year(amounts, from_fy, to_fy: str = PRICE_YEAR, table: pd.DataFrame | None = None):
    """Convert cash amounts of financial year(s) ``from_fy`` to ``to_fy`` prices.

    ``amount * deflator[to_fy] / deflator[from_fy]`` with the HM Treasury GDP deflators
    (``innovate.public.to_price_year``). Cash amounts must come from outturn years: a
    ``from_fy`` whose deflator is forecast-based raises ``DataError``, as does a year
    outside the table.
    """
    from . import public

    table = deflators() if table is None else table
    forecast = public.is_forecast_year(from_fy, table)
    if np.any(forecast):
        years = sorted({str(y) for y, f in zip(np.atleast_1d(np.asarray(from_fy, dtype=object)), np.atleast_1d(forecast)) if f})
        raise DataError([
            Problem(public.HMT_DEFLATORS_FILE, "deflator-outturn",
                    "cash amounts must come from an outturn year, not a forecast-based deflator year",
                    "is_forecast", value=y)
            for y in years
        ])
    return public.to_price_year(amounts, from_fy, to_fy, table)


def deflator_ratio(from_fy, to_fy: str = PRICE_YEAR, table: pd.DataFrame | None = None) -> np.ndarray:
    """The multiplier(s) from ``from_fy`` prices to ``to_fy`` prices."""
    years = np.atleast_1d(np.asarray(from_fy, dtype=object))
    return np.asarray(to_price_year(np.ones(len(years)), years, to_fy, table), dtype=float)


# ---------------------------------------------------------------------------------------
# Discounting
# ---------------------------------------------------------------------------------------


def constant_schedule(rate: float, horizon: float = 75.0) -> tuple[tuple[float, float], ...]:
    """A flat discount schedule (for sensitivity analyses)."""
    if not (-0.5 < rate < 1.0):
        raise ValueError(f"discount rate {rate!r} is outside a sensible range")
    return ((float(horizon), float(rate)),)


def discount_factors(years, schedule: Sequence[tuple[float, float]] | float = GREEN_BOOK_SCHEDULE) -> np.ndarray:
    """Discount factors for amounts falling in year ``t`` after baseline (year 0 = 1).

    ``schedule`` lists ``(last_year, rate)`` steps in order: the rate applies to the years
    up to and including ``last_year`` and the factor chains across steps, so under the
    Green Book schedule year 31 has ``1 / (1.035**30 * 1.03)``. A float is a flat rate.
    Years may be fractional; negative years or years past the schedule raise ValueError.
    """
    if isinstance(schedule, (int, float)):
        schedule = constant_schedule(float(schedule))
    t = np.asarray(years, dtype=float)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("discounting years must be finite and >= 0")
    last = schedule[-1][0]
    if np.any(t > last):
        raise ValueError(f"the discount schedule covers years 0-{last:g}; got a year beyond it")
    log_factor = np.zeros_like(t)
    previous = 0.0
    for bound, rate in schedule:
        span = np.clip(t - previous, 0.0, bound - previous)
        log_factor -= span * math.log1p(rate)
        previous = bound
    return np.exp(log_factor)


def present_value(amounts, years, schedule=GREEN_BOOK_SCHEDULE) -> float:
    """Sum of amounts discounted to year 0: sum_t C_t * D(t)."""
    return float(np.sum(np.asarray(amounts, dtype=float) * discount_factors(years, schedule)))


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
    ``|delta_effect| <= effect_tolerance`` leaves the ICER undefined (the ratio would be
    driven by noise in a near-zero denominator). Dominance (more effective and no more
    costly, or less effective and no less costly) reports no ratio: a negative ICER
    mixes the two and is never read as a number. The north-east and south-west
    quadrants report ``delta_cost / delta_effect``; in the south-west it is the saving
    per unit of effect given up, acceptable only when it exceeds the willingness to pay.
    """
    dc = float(delta_cost)
    de = float(delta_effect)
    if not (np.isfinite(dc) and np.isfinite(de)):
        raise ValueError("incremental cost and effect must be finite")
    if effect_tolerance < 0:
        raise ValueError("effect_tolerance must be >= 0")
    if abs(de) <= effect_tolerance:
        return Icer(dc, de, "undefined", float("nan"), QUADRANTS["undefined"])
    if de > 0 and dc <= 0:
        return Icer(dc, de, "dominant", float("nan"), QUADRANTS["dominant"])
    if de < 0 and dc >= 0:
        return Icer(dc, de, "dominated", float("nan"), QUADRANTS["dominated"])
    quadrant = "north_east" if de > 0 else "south_west"
    return Icer(dc, de, quadrant, dc / de, QUADRANTS[quadrant])


def quadrant_of(delta_cost, delta_effect) -> np.ndarray:
    """Quadrant of each (cost, effect) pair: 'north_east', 'north_west' (dominated),
    'south_east' (dominant), 'south_west'. Points on an axis go to the quadrant the
    ``icer`` function gives them (zero cost with a gain counts as dominant)."""
    dc = np.asarray(delta_cost, dtype=float)
    de = np.asarray(delta_effect, dtype=float)
    return np.select(
        [(de > 0) & (dc > 0), (de <= 0) & (dc >= 0), (de > 0) & (dc <= 0)],
        ["north_east", "north_west", "south_east"],
        default="south_west",
    )


def net_benefit(wtp, delta_effect, delta_cost) -> np.ndarray:
    """Incremental net monetary benefit INB(lambda) = lambda * dE - dC.

    Broadcasts: ``wtp`` of shape (L,) against replicates of shape (B,) gives (L, B)
    when called as ``net_benefit(wtp[:, None], de[None, :], dc[None, :])``.
    """
    return np.asarray(wtp, dtype=float) * np.asarray(delta_effect, dtype=float) - np.asarray(
        delta_cost, dtype=float
    )


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


def parametric_ceac(delta_effect: float, delta_cost: float, var_effect: float, var_cost: float,
                    cov: float, wtp) -> np.ndarray:
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
# Paired, stratified, vectorised non-parametric bootstrap
# ---------------------------------------------------------------------------------------


@dataclass
class StratifiedBootstrap:
    """Replicate stratum means from a paired bootstrap within strata.

    ``point`` (S, K): the stratum means of each column in the data; ``replicates``
    (B, S, K): the same in each bootstrap replicate (individuals resampled with all their
    columns together, within their stratum, so strata keep their sizes); ``jackknife``
    (N, S, K): stratum means with each individual left out in turn (for BCa).
    A statistic is any function of an array (..., S, K) -> (...), applied alike to all
    three by ``apply``.
    """

    columns: list[str]
    strata: pd.DataFrame  # one row per stratum: its key columns and n
    point: np.ndarray
    replicates: np.ndarray
    jackknife: np.ndarray
    seed: int

    @property
    def n_replicates(self) -> int:
        return int(self.replicates.shape[0])

    def column(self, name: str) -> int:
        return self.columns.index(name)

    def apply(self, statistic: Callable[[np.ndarray], np.ndarray]):
        """(estimate, replicate values, jackknife values) of a statistic."""
        return (
            np.asarray(statistic(self.point[None]))[0],
            np.asarray(statistic(self.replicates)),
            np.asarray(statistic(self.jackknife)),
        )


def _stratum_codes(frame: pd.DataFrame, by: Sequence[str]) -> tuple[np.ndarray, pd.DataFrame]:
    keys = frame[list(by)].astype(str)
    table = keys.drop_duplicates().sort_values(list(by), kind="stable").reset_index(drop=True)
    table["_code"] = np.arange(len(table))
    codes = keys.merge(table, on=list(by), how="left")["_code"].to_numpy()
    sizes = np.bincount(codes, minlength=len(table))
    table = table.drop(columns="_code")
    table["n"] = sizes
    return codes, table


def stratified_bootstrap(
    frame: pd.DataFrame,
    columns: Sequence[str],
    strata: Sequence[str],
    reps: int = 2000,
    seed: int = 20240501,
    chunk: int = 1000,
    jackknife: bool = True,
) -> StratifiedBootstrap:
    """Paired non-parametric bootstrap of stratum means, vectorised.

    Each replicate resamples the individuals of every stratum (e.g. site x arm) with
    replacement, keeping every column of an individual together (cost and effect are
    paired). Draws come from ``np.random.default_rng(seed)`` as index matrices, chunk by
    chunk (``chunk`` replicates at a time, a fixed order, so results depend only on the
    seed); an index matrix becomes a matrix of counts (``np.bincount``) and the stratum
    means are one matrix product. Missing values are not allowed: say how they were
    handled before calling.
    """
    if reps < 1:
        raise ValueError("reps must be >= 1")
    columns = list(columns)
    values = frame[columns].to_numpy(dtype=float)
    if not np.isfinite(values).all():
        bad = np.argwhere(~np.isfinite(values))
        row, col = bad[0]
        raise DataError(
            [
                Problem(
                    file="(analysis frame)",
                    rule="bootstrap-finite",
                    message="bootstrap columns must be complete; handle missing data first",
                    column=columns[col],
                    row=int(row) + 1,
                    value=values[row, col],
                )
            ]
        )
    codes, table = _stratum_codes(frame, strata)
    if (table["n"] < 2).any():
        small = table[table["n"] < 2]
        raise DataError(
            [
                Problem(file="(analysis frame)", rule="bootstrap-stratum-size",
                        message=f"stratum {dict(r[list(strata)])} has fewer than 2 individuals")
                for _, r in small.iterrows()
            ]
        )
    n_strata, k = len(table), len(columns)
    order = np.argsort(codes, kind="stable")
    blocks = [values[order][codes[order] == s] for s in range(n_strata)]
    point = np.stack([b.mean(axis=0) for b in blocks])
    rng = np.random.default_rng(seed)
    out = np.empty((reps, n_strata, k))
    for start in range(0, reps, chunk):
        b = min(chunk, reps - start)
        for s, block in enumerate(blocks):
            n = block.shape[0]
            idx = rng.integers(0, n, size=(b, n), dtype=np.int64)
            idx += (np.arange(b, dtype=np.int64) * n)[:, None]
            counts = np.bincount(idx.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
            out[start : start + b, s, :] = counts @ block / n  # float @ float: BLAS
    if jackknife:
        jk_parts = []
        for s, block in enumerate(blocks):
            n = block.shape[0]
            loo = (point[s][None, :] * n - block) / (n - 1)  # (n, K)
            part = np.broadcast_to(point, (n, n_strata, k)).copy()
            part[:, s, :] = loo
            jk_parts.append(part)
        jk = np.concatenate(jk_parts, axis=0)
    else:
        jk = np.empty((0, n_strata, k))
    return StratifiedBootstrap(columns, table, point, out, jk, seed)


def arm_difference(boot: StratifiedBootstrap, site_weights: Mapping[str, float] | None = None,
                   treated: str = "innovation", control: str = "comparison") -> Callable[[np.ndarray], np.ndarray]:
    """A statistic: the site-standardised difference in means, treated minus control.

    For strata keyed by ``site_id`` and ``arm``: sum over sites of w_s * (mean_treated -
    mean_control), with w_s the site's share of individuals (or ``site_weights``). With
    one site it is the plain difference in means. Returns (..., K).
    """
    table = boot.strata
    sites = list(dict.fromkeys(table["site_id"]))
    totals = table.groupby("site_id", sort=False)["n"].sum()
    weights = {s: (site_weights or {}).get(s, totals[s] / totals.sum()) for s in sites}
    coef = np.zeros(len(table))
    for i, row in table.iterrows():
        if row["arm"] == treated:
            coef[i] = weights[row["site_id"]]
        elif row["arm"] == control:
            coef[i] = -weights[row["site_id"]]
    for s in sites:
        arms = set(table.loc[table["site_id"] == s, "arm"])
        if arms != {treated, control}:
            raise DataError([Problem(file="(analysis frame)", rule="both-arms",
                                     message=f"site {s!r} needs both arms, has {sorted(arms)}")])

    def statistic(means: np.ndarray) -> np.ndarray:
        return np.tensordot(means, coef, axes=([-2], [0]))

    return statistic


def percentile_interval(replicates, level: float = CI_LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval (linear interpolation between order statistics)."""
    r = np.asarray(replicates, dtype=float).ravel()
    alpha = (1 - level) / 2
    lo, hi = np.quantile(r, [alpha, 1 - alpha])
    return float(lo), float(hi)


def bca_interval(estimate: float, replicates, jackknife_values, level: float = CI_LEVEL) -> tuple[float, float]:
    """Bias-corrected and accelerated bootstrap interval (Efron 1987).

    Bias correction z0 = Phi^-1(share of replicates below the estimate, ties counted
    half); acceleration a from the jackknife: sum(d^3) / (6 * sum(d^2)^1.5) with
    d = mean(jackknife) - jackknife. Returns NaNs when the correction is undefined
    (every replicate on one side of the estimate).
    """
    r = np.asarray(replicates, dtype=float).ravel()
    jk = np.asarray(jackknife_values, dtype=float).ravel()
    b = r.size
    share = ((r < estimate).sum() + 0.5 * (r == estimate).sum()) / b
    if share <= 0 or share >= 1:
        return float("nan"), float("nan")
    z0 = stats.norm.ppf(share)
    d = jk.mean() - jk
    denom = 6.0 * (d**2).sum() ** 1.5
    a = (d**3).sum() / denom if denom > 0 else 0.0
    alpha = (1 - level) / 2
    z = stats.norm.ppf([alpha, 1 - alpha])
    adj = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    lo, hi = np.quantile(r, adj)
    return float(lo), float(hi)


# ---------------------------------------------------------------------------------------
# Bottom-up process costing
# ---------------------------------------------------------------------------------------


def _months_between(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Whole calendar months from ``earlier``'s month to ``later``'s month."""
    return ((later.dt.year - earlier.dt.year) * 12 + (later.dt.month - earlier.dt.month)).to_numpy()


def component_column(component: str, year: int) -> str:
    """Column name of a cost or effect component in discount year ``year``."""
    return f"{component}@y{int(year)}"


def split_column(column: str) -> tuple[str, int]:
    name, _, year = column.rpartition("@y")
    return name, int(year)


def staff_hourly_costs(table: pd.DataFrame | None = None) -> dict[str, float]:
    """Cost per contact hour by staff role, ``PRICE_YEAR`` prices (from the unit-cost table)."""
    table = unit_costs() if table is None else table
    rows = table[table["item"].str.startswith("staff_contact_hour:")]
    return {item.split(":", 1)[1]: float(v) for item, v in zip(rows["item"], rows["amount_gbp_price_year"])}


def activity_components(activity: pd.DataFrame, people: pd.DataFrame, hourly: Mapping[str, float]) -> pd.DataFrame:
    """Staff cost per young person by role and discount year (``PRICE_YEAR`` prices).

    Contact hours x the role's hourly cost. The discount year counts whole years since
    the young person's baseline month (months 0-11 are year 0). Activity outside the
    follow-up (before baseline, or 18+ months after) raises ``DataError``.
    """
    frame = activity.merge(people[["person_id", "baseline_date"]], on="person_id", how="left", validate="many_to_one")
    unknown_role = ~frame["staff_role"].isin(list(hourly))
    if unknown_role.any():
        i = int(np.flatnonzero(unknown_role.to_numpy())[0])
        raise DataError([Problem("service_activity.csv", "unit-cost", "no hourly unit cost for this staff role",
                                 "staff_role", i + 1, frame["staff_role"].iloc[i])])
    months = _months_between(frame["month"], frame["baseline_date"])
    outside = (months < 0) | (months >= FOLLOW_UP_MONTHS)
    if outside.any():
        problems = [Problem("service_activity.csv", "follow-up-window",
                            f"month is outside the {FOLLOW_UP_MONTHS} months from the young person's baseline",
                            "month", int(i) + 1, str(frame["month"].iloc[i].date())) for i in np.flatnonzero(outside)[:50]]
        raise DataError(problems)
    rate = frame["staff_role"].map(dict(hourly)).to_numpy(dtype=float)
    frame = frame.assign(
        column=[component_column(f"staff:{r}", y) for r, y in zip(frame["staff_role"], months // 12)],
        cost=frame["contact_hours"].to_numpy(dtype=float) * rate,
    )
    return frame.pivot_table(index="person_id", columns="column", values="cost", aggfunc="sum", fill_value=0.0)


def placement_days(placements: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Days in placement inside each young person's follow-up window, counted by
    placement type, financial year and discount year.

    The window runs from baseline to the day before the 18-month anniversary; a day is in
    discount year 1 from the 12-month anniversary on. Columns: person_id, placement_type,
    financial_year, year, days. (Days are expanded one by one as integers and counted
    with ``np.unique``, so every boundary - financial year and anniversary - is exact.)
    """
    frame = placements.merge(people[["person_id", "baseline_date"]], on="person_id", how="left", validate="many_to_one")
    day = "datetime64[D]"
    base = frame["baseline_date"].to_numpy().astype(day)
    anniversary = (frame["baseline_date"] + pd.DateOffset(months=12)).to_numpy().astype(day)
    end_window = (frame["baseline_date"] + pd.DateOffset(months=FOLLOW_UP_MONTHS)).to_numpy().astype(day) - 1
    first = np.maximum(frame["start_date"].to_numpy().astype(day), base)
    last = np.minimum(frame["end_date"].to_numpy().astype(day), end_window)
    n_days = np.maximum((last - first).astype(np.int64) + 1, 0)
    rows = np.repeat(np.arange(len(frame)), n_days)
    offsets = np.arange(n_days.sum()) - np.repeat(np.cumsum(n_days) - n_days, n_days)
    dates = first[rows] + offsets
    fy = fy_start_of_dates(dates)
    year = (dates >= anniversary[rows]).astype(np.int64)
    person_codes, persons = pd.factorize(frame["person_id"].astype(str))
    type_codes, types = pd.factorize(frame["placement_type"].astype(str))
    if len(rows) == 0:
        return pd.DataFrame({"person_id": pd.Series(dtype=object), "placement_type": pd.Series(dtype=object),
                             "financial_year": pd.Series(dtype=object), "year": pd.Series(dtype=np.int64),
                             "days": pd.Series(dtype=np.int64)})
    fy0 = int(fy.min())
    n_fy = int(fy.max()) - fy0 + 1
    key = ((person_codes[rows].astype(np.int64) * len(types) + type_codes[rows]) * n_fy + (fy - fy0)) * 2 + year
    counts = np.bincount(key)
    present = np.flatnonzero(counts)
    year_u = present % 2
    fy_u = (present // 2) % n_fy + fy0
    type_u = (present // (2 * n_fy)) % len(types)
    person_u = present // (2 * n_fy * len(types))
    return pd.DataFrame({
        "person_id": np.asarray(persons, dtype=object)[person_u],
        "placement_type": np.asarray(types, dtype=object)[type_u],
        "financial_year": np.array([f"{y}-{(y + 1) % 100:02d}" for y in fy_u], dtype=object),
        "year": year_u.astype(np.int64),
        "days": counts[present].astype(np.int64),
    })


def weekly_rate_lookup(table: pd.DataFrame, area_code: str) -> tuple[Callable[[str, Sequence[str]], np.ndarray], list[str]]:
    """A function (placement type, financial years) -> weekly rate at ``PRICE_YEAR`` prices.

    Rates come from the area's Section 251 rows (``PLACEMENT_RATE_ITEM`` says which line
    prices each type). A financial year outside the published range takes the nearest
    published year's rate in real terms; each such use is returned as a note.
    """
    notes: list[str] = []
    s251 = table[(table["area_code"] == area_code) & table["item"].isin(set(PLACEMENT_RATE_ITEM.values()))]
    if s251.empty:
        raise DataError([Problem("data/reference/unit_costs.csv", "unit-cost-area", "no Section 251 unit costs for the area",
                                 "area_code", None, area_code)])
    by_item = {
        item: dict(zip(part["financial_year"], part["amount_gbp_price_year"].astype(float)))
        for item, part in s251.dropna(subset=["amount_gbp_price_year"]).groupby("item")
    }

    def lookup(placement_type: str, years: Sequence[str]) -> np.ndarray:
        item = PLACEMENT_RATE_ITEM[placement_type]
        rates = by_item.get(item)
        if not rates:
            raise DataError([Problem("data/reference/unit_costs.csv", "unit-cost-item", "no weekly rate for this item and area",
                                     "item", None, f"{item} / {area_code}")])
        published = sorted(rates, key=fy_start)
        out = []
        for fy in years:
            if fy in rates:
                out.append(rates[fy])
                continue
            nearest = min(published, key=lambda p: abs(fy_start(p) - fy_start(fy)))
            note = f"{item} {fy}: not published for area {area_code}; the {nearest} rate (real terms) is used"
            if note not in notes:
                notes.append(note)
            out.append(rates[nearest])
        return np.asarray(out, dtype=float)

    return lookup, notes


def placement_components(placements: pd.DataFrame, people: pd.DataFrame, table: pd.DataFrame,
                         area_of_site: Mapping[str, str]) -> tuple[pd.DataFrame, list[str]]:
    """Placement cost per young person by type and discount year (``PRICE_YEAR`` prices).

    Each placement day inside the follow-up costs one seventh of the weekly unit cost of
    the young person's site area for that financial year and placement type.
    """
    days = placement_days(placements, people)
    days = days.merge(people[["person_id", "site_id"]], on="person_id", how="left")
    notes: list[str] = []
    cost = np.zeros(len(days))
    for site_id, idx in days.groupby("site_id").indices.items():
        lookup, site_notes = weekly_rate_lookup(table, area_of_site[site_id])
        part = days.iloc[idx]
        for ptype, sub in part.groupby("placement_type").indices.items():
            years = part["financial_year"].to_numpy()[sub]
            unique, inverse = np.unique(years, return_inverse=True)
            cost[idx[sub]] = lookup(ptype, list(unique))[inverse] / 7.0 * part["days"].to_numpy()[sub]
        notes += [f"{site_id}: {n}" for n in site_notes]
    days["cost"] = cost
    days["column"] = [component_column(f"placement:{t}", y) for t, y in zip(days["placement_type"], days["year"])]
    wide = days.pivot_table(index="person_id", columns="column", values="cost", aggfunc="sum", fill_value=0.0)
    return wide, notes


def annuity_factor(years: float, rate: float = GREEN_BOOK_SCHEDULE[0][1]) -> float:
    """Present value of 1 a year for ``years`` years (paid at each year's end)."""
    if years <= 0:
        raise ValueError("years must be > 0")
    return float(years) if rate == 0 else float((1 - (1 + rate) ** -years) / rate)


def follow_up_days(people: pd.DataFrame) -> pd.DataFrame:
    """Days of follow-up of each young person by financial year and discount year."""
    window = pd.DataFrame({
        "placement_id": people["person_id"].to_numpy(),
        "person_id": people["person_id"].to_numpy(),
        "placement_type": "follow_up",
        "start_date": people["baseline_date"].to_numpy(),
        "end_date": (people["baseline_date"] + pd.DateOffset(months=FOLLOW_UP_MONTHS)).to_numpy(),
    })
    days = placement_days(window, people)
    return days[["person_id", "financial_year", "year", "days"]]


def _days_in_fy(fy: str) -> int:
    start = fy_start(fy)
    return (pd.Timestamp(start + 1, 4, 1) - pd.Timestamp(start, 4, 1)).days


def innovation_components(innovation: pd.DataFrame, people: pd.DataFrame,
                          start_up_life: float = START_UP_LIFE_YEARS) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The innovation's own costs charged to the young people it served, per day of service.

    Rule (stated in the chapter), at each site, in ``PRICE_YEAR`` prices:

    * running costs of a financial year cost, per young person and day of follow-up in
      that year, the year's running costs / (days in the year x the number of the site's
      innovation-arm young people) - as if the innovation's caseload at any time were the
      size of the study cohort (a larger real caseload would mean a lower cost each);
    * start-up costs (all years) are annuitised over ``start_up_life`` years at 3.5%
      (an equivalent annual cost) and charged per day of follow-up the same way.

    Comparison-arm young people carry none of these costs. A year of follow-up with no
    running-cost row takes the nearest year's running costs (a note says so).
    Returns (person x component-year frame, site table, notes).
    """
    cash = innovation.copy()
    cash["amount"] = to_price_year(cash["amount_gbp"].to_numpy(dtype=float),
                                   cash["financial_year"].astype(str).to_numpy())
    served = people[people["arm"] == "innovation"][["person_id", "site_id", "baseline_date"]]
    days = follow_up_days(served).merge(served[["person_id", "site_id"]], on="person_id")
    annuity = annuity_factor(start_up_life)
    parts, summary, notes = [], [], []
    for site_id, members in served.groupby("site_id"):
        site_costs = cash[cash["site_id"] == site_id]
        n = len(members)
        start_up = float(site_costs.loc[site_costs["cost_category"] == "start_up", "amount"].sum())
        running = site_costs[site_costs["cost_category"] == "running"].groupby("financial_year")["amount"].sum()
        site_days = days[days["site_id"] == site_id].copy()
        needed = sorted(site_days["financial_year"].unique(), key=fy_start)
        annual = {}
        for fy in needed:
            if fy in running.index:
                annual[fy] = float(running[fy])
            elif len(running):
                nearest = min(running.index, key=lambda p: abs(fy_start(p) - fy_start(fy)))
                annual[fy] = float(running[nearest])
                notes.append(f"{site_id}: no running costs recorded for {fy}; the {nearest} amount is used")
            else:
                annual[fy] = 0.0
                notes.append(f"{site_id}: no running costs recorded at all; running costs taken as zero")
        per_day = site_days["financial_year"].map(lambda fy: 1.0 / (_days_in_fy(fy) * n)).to_numpy()
        site_days["running"] = site_days["financial_year"].map(annual).to_numpy() * per_day * site_days["days"]
        site_days["start_up"] = (start_up / annuity) * per_day * site_days["days"]
        long = pd.concat([
            site_days.assign(column=[component_column("innovation:running", y) for y in site_days["year"]],
                             cost=site_days["running"]),
            site_days.assign(column=[component_column("innovation:start_up", y) for y in site_days["year"]],
                             cost=site_days["start_up"]),
        ])
        parts.append(long.pivot_table(index="person_id", columns="column", values="cost", aggfunc="sum", fill_value=0.0))
        summary.append({
            "site_id": site_id, "innovation_arm_n": n,
            "start_up_total": start_up, "start_up_equivalent_annual_cost": start_up / annuity,
            "running_total": float(running.sum()),
            "running_years": f"{min(running.index, key=fy_start)} to {max(running.index, key=fy_start)}" if len(running) else "",
            "running_per_year_follow_up": float(np.mean([annual[fy] for fy in needed])) if needed else 0.0,
            "charged_running": float(site_days["running"].sum()),
            "charged_start_up": float(site_days["start_up"].sum()),
        })
    wide = pd.concat(parts).fillna(0.0) if parts else pd.DataFrame()
    wide.index.name = "person_id"
    return wide, pd.DataFrame(summary), notes


# ---------------------------------------------------------------------------------------
# Outcomes over the follow-up
# ---------------------------------------------------------------------------------------

#: The outcomes set beside the costs (none collapsed into another): column, label, unit,
#: which direction is better, and how the 18-month value is formed.
OUTCOMES: tuple[dict, ...] = (
    {"column": "missing_episodes_18m", "label": "Missing episodes over 18 months", "unit": "episodes per young person",
     "better": "lower", "how": "sum of the counts at 6, 12 and 18 months"},
    {"column": "exploitation_risk_18", "label": "Exploitation-risk score at 18 months", "unit": "score 0-30",
     "better": "lower", "how": "score at the 18-month wave"},
    {"column": "swemwbs_18", "label": "Wellbeing (SWEMWBS) at 18 months", "unit": "metric score 7-35",
     "better": "higher", "how": "score at the 18-month wave"},
    {"column": "attendance_18", "label": "School attendance at 18 months", "unit": "% of sessions",
     "better": "higher", "how": "attendance in the 6 months before the 18-month wave"},
    {"column": "placement_moves_18m", "label": "Placement moves over 18 months", "unit": "moves per young person",
     "better": "lower", "how": "sum of the counts at 6, 12 and 18 months"},
    {"column": "justice_contact_18m", "label": "Any youth justice contact in 18 months", "unit": "proportion",
     "better": "lower", "how": "1 if any contact at 6, 12 or 18 months"},
)
OUTCOME_COLUMNS = tuple(o["column"] for o in OUTCOMES)

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
        (col("justice_contact", 6) + col("justice_contact", 12) + col("justice_contact", 18)) > 0
    ).astype(float).where(complete == 1)
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
    from . import sites

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


def build_cost_data(people: pd.DataFrame, outcomes: pd.DataFrame, activity: pd.DataFrame,
                    placements: pd.DataFrame, innovation: pd.DataFrame,
                    table: pd.DataFrame | None = None, areas: Mapping[str, str] | None = None) -> CostData:
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
        "staff_hourly", "Staff cost per contact hour (all roles)", tuple(f"staff:{r}" for r in STAFF_ROLES),
        _CLIENT_SHARE, 1 / _CLIENT_SHARE,
        "low: GBP 40 per hour of working time instead of GBP 55 per hour of client-related work; high: the same ratio upwards",
        "beta-share", 100.0,
        "cost per hour of time (gamma, CV 10%) divided by the share of time that is client-related "
        "(beta, mean 40/55, effective sample size 100)",
    ),
    "role_ratios": Parameter(
        "role_ratios", "Ratios of other roles to a social worker", _OTHER_ROLES, 0.7, 1.3,
        "assumed ratios, -30% to +30%", "lognormal", 0.15, "each role's ratio log-normal, SD of the log 0.15",
    ),
    "residential_rate": Parameter(
        "residential_rate", "Residential (and secure) weekly unit cost", ("placement:residential", "placement:secure"),
        0.8, 1.2, "Section 251 rate -20% to +20%", "gamma", 0.10, "gamma, mean 1, CV 10%",
    ),
    "fostering_rate": Parameter(
        "fostering_rate", "Fostering weekly unit cost", ("placement:fostering",), 0.8, 1.2,
        "Section 251 rate -20% to +20%", "gamma", 0.10, "gamma, mean 1, CV 10%",
    ),
    "looked_after_rate": Parameter(
        "looked_after_rate", "Supported accommodation weekly unit cost", ("placement:supported_accommodation",),
        0.8, 1.2, "Section 251 all-looked-after rate -20% to +20%", "gamma", 0.10, "gamma, mean 1, CV 10%",
    ),
    "innovation_running": Parameter(
        "innovation_running", "Innovation running costs per young person", ("innovation:running",), 0.5, 1.5,
        "caseload at any time twice the cohort (low) or two-thirds of it (high)", "gamma", 0.15,
        "gamma, mean 1, CV 15%",
    ),
    "innovation_start_up": Parameter(
        "innovation_start_up", "Innovation start-up costs per young person", ("innovation:start_up",), 0.0,
        annuity_factor(START_UP_LIFE_YEARS) / annuity_factor(3.0),
        "low: excluded (a steady-state service); high: annuitised over 3 years instead of 5", "gamma", 0.15,
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

    def __init__(self, columns: Sequence[str], cost_columns: Sequence[str], effect_columns: Sequence[str],
                 weight_column: str | None = None):
        self.columns = list(columns)
        self.weight_idx = None if weight_column is None else self.columns.index(weight_column)
        self.cost_idx = np.array([self.columns.index(c) for c in cost_columns], dtype=np.int64)
        self.effect_idx = np.array([self.columns.index(c) for c in effect_columns], dtype=np.int64)
        self.cost_components = [split_column(c)[0] for c in cost_columns]
        self.cost_years = np.array([split_column(c)[1] for c in cost_columns], dtype=float)
        self.effect_years = np.array([split_column(c)[1] for c in effect_columns], dtype=float)

    def multipliers(self, params: Mapping[str, object] | None = None) -> np.ndarray:
        """(…, n_cost) multipliers on the cost columns; values may be arrays of draws."""
        shape: tuple[int, ...] = ()
        for value in (params or {}).values():
            shape = np.broadcast_shapes(shape, np.shape(value))
        mult = np.ones(shape + (len(self.cost_components),))
        for name, value in (params or {}).items():
            if name.startswith("ratio:"):
                comps = (f"staff:{name.split(':', 1)[1]}",)
            elif name in PARAMETERS:
                comps = PARAMETERS[name].components
            else:
                raise KeyError(f"unknown parameter {name!r}")
            cols = [i for i, c in enumerate(self.cost_components) if c in comps]
            mult[..., cols] *= np.asarray(value, dtype=float)[..., None]
        return mult

    def evaluate(self, means: np.ndarray, params: Mapping[str, object] | None = None,
                 schedule=GREEN_BOOK_SCHEDULE, components: Sequence[str] | None = None) -> np.ndarray:
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


# ---------------------------------------------------------------------------------------
# The unit-cost table (data/reference/unit_costs.csv)
# ---------------------------------------------------------------------------------------


def _row(**values) -> dict:
    row = {c: "" for c in UNIT_COST_COLUMNS}
    row.update(values)
    return row


def build_unit_costs(public_folder: Path | None = None) -> pd.DataFrame:
    """The unit-cost table, built from the public files and the stated published figures.

    Rows: Section 251 weekly unit costs (residential care, fostering, all looked-after
    children) for each unit-cost area and financial year from the LAIT file (cash prices
    of that year; a '-' in the source stays empty with a note); the NAO (2025) cost of a
    children's home place; the New Economy / PSSRU social worker hourly costs; the other
    staff roles as stated ratios (flagged as assumptions). Every row is also converted to
    ``PRICE_YEAR`` prices with the HM Treasury GDP deflators.
    """
    from . import public

    table = deflators() if public_folder is None else public.gdp_deflators(public_folder)
    lait = public.lait(list(S251_INDICATORS), folder=public_folder)
    rows: list[dict] = []
    for area_code, (lait_number, name) in UNIT_COST_AREAS.items():
        part = lait[lait["area_code"] == (lait_number if area_code not in (ENGLAND_CODE, "E12000007") else area_code)]
        if part.empty:
            raise DataError([Problem(public.LAIT_FILE, "unit-cost-area", "area not in the LAIT file", "LA Number", None,
                                     lait_number)])
        for _, r in part.sort_values(["measure", "financial_year"]).iterrows():
            item, label = S251_INDICATORS[r["measure"]]
            published = np.isfinite(r["value"])
            rows.append(_row(
                item=item, area_code=area_code, area_name=name, financial_year=r["financial_year"],
                unit="GBP per child per week", amount_gbp=float(r["value"]) if published else np.nan,
                price_year=r["financial_year"], source=S251_SOURCE.format(indicator=r["measure"]),
                source_url=S251_URL, citation_key=S251_CITATION, is_assumption=0,
                note=("Section 251 outturn weekly unit cost of " + label + " (DfE, OGL v3)") if published
                else f"not published in LAIT (status {r['status']!r}); left empty, never read as zero",
            ))
    rows.append(_row(
        item="childrens_home_place", area_code=ENGLAND_CODE, area_name="England", financial_year=NAO_PRICE_YEAR,
        unit="GBP per place per year", amount_gbp=NAO_HOME_PLACE_GBP_PER_YEAR, price_year=NAO_PRICE_YEAR,
        source=NAO_SOURCE, source_url=NAO_URL, citation_key=NAO_CITATION, is_assumption=0,
        note="used in the sensitivity analysis as an alternative residential rate (weekly = annual / (365.25 / 7))",
    ))
    for item, amount, unit, note in (
        ("staff_hour:social_worker", SOCIAL_WORKER_HOURLY_GBP, "GBP per hour of working time",
         "uprated from 2013-14 prices with the HM Treasury GDP deflator; the low value of the one-way sensitivity analysis"),
        ("staff_contact_hour:social_worker", SOCIAL_WORKER_CLIENT_HOURLY_GBP, "GBP per hour of client-related work",
         "uprated from 2013-14 prices with the HM Treasury GDP deflator; prices each recorded contact hour"),
    ):
        rows.append(_row(
            item=item, area_code=ENGLAND_CODE, area_name="England (national average)",
            financial_year=NEW_ECONOMY_PRICE_YEAR, unit=unit, amount_gbp=amount, price_year=NEW_ECONOMY_PRICE_YEAR,
            source=NEW_ECONOMY_SOURCE, source_url=NEW_ECONOMY_URL, citation_key="", is_assumption=0, note=note,
        ))
    for role in STAFF_ROLES:
        if role == "social_worker":
            continue
        ratio = ROLE_RATIOS[role]
        rows.append(_row(
            item=f"staff_contact_hour:{role}", area_code=ENGLAND_CODE, area_name="England (national average)",
            financial_year=NEW_ECONOMY_PRICE_YEAR, unit="GBP per hour of client-related work",
            amount_gbp=ratio * SOCIAL_WORKER_CLIENT_HOURLY_GBP, price_year=NEW_ECONOMY_PRICE_YEAR,
            source=f"ASSUMPTION: {ratio:g} x the social worker rate (no published source used)", source_url="",
            citation_key="", is_assumption=1,
            note=f"{ROLE_RATIO_REASONS[role]}; varied in the sensitivity analyses; uprated with the GDP deflator",
        ))
    frame = pd.DataFrame(rows, columns=list(UNIT_COST_COLUMNS))
    amounts = frame["amount_gbp"].astype(float)
    converted = np.full(len(frame), np.nan)
    ok = amounts.notna().to_numpy()
    converted[ok] = to_price_year(amounts[ok].to_numpy(), frame.loc[ok, "price_year"].to_numpy(), PRICE_YEAR, table)
    frame["amount_gbp_price_year"] = np.round(converted, 2)
    frame["price_year_converted_to"] = PRICE_YEAR
    frame["is_assumption"] = frame["is_assumption"].astype(int)
    for column in UNIT_COST_COLUMNS:
        if column not in ("amount_gbp", "amount_gbp_price_year", "is_assumption"):
            frame[column] = frame[column].astype(str).astype(object)
    return frame


def write_unit_costs(path: Path | None = None, public_folder: Path | None = None) -> Path:
    """Write ``build_unit_costs()`` to ``data/reference/unit_costs.csv`` (or ``path``)."""
    path = reference_dir() / UNIT_COSTS_FILE if path is None else Path(path)
    frame = build_unit_costs(public_folder)
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format="%.2f")
    return path


def unit_costs(path: Path | None = None) -> pd.DataFrame:
    """The unit-cost table, read and checked.

    Every row must name its item, unit, price year and source; amounts are numbers >= 0
    (empty only where the note says the source did not publish one). Problems raise
    ``DataError`` naming file, column, row and rule.
    """
    path = reference_dir() / UNIT_COSTS_FILE if path is None else Path(path)
    file = f"data/reference/{path.name}" if path.parent == reference_dir() else str(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    problems: list[Problem] = []
    missing = [c for c in UNIT_COST_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError([Problem(file, "required-column", "column not in file", c) for c in missing])
    for column in ("item", "area_code", "unit", "price_year", "source", "price_year_converted_to"):
        for i in np.flatnonzero(raw[column].str.strip().eq("").to_numpy()):
            problems.append(Problem(file, "required-value", f"every unit cost states its {column}", column, int(i) + 1, ""))
    for column in ("amount_gbp", "amount_gbp_price_year"):
        values = pd.to_numeric(raw[column].where(raw[column] != ""), errors="coerce")
        bad = (raw[column] != "") & (values.isna() | (values < 0))
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(file, "non-negative-number", "amount must be a number >= 0", column, int(i) + 1,
                                    raw[column].iloc[i]))
        empty = (raw[column] == "") & ~raw["note"].str.contains("not published")
        for i in np.flatnonzero(empty.to_numpy()):
            problems.append(Problem(file, "explained-gap", "an empty amount needs a note saying it was not published",
                                    column, int(i) + 1, ""))
    for i in np.flatnonzero(~raw["is_assumption"].isin(["0", "1"]).to_numpy()):
        problems.append(Problem(file, "allowed-values", "is_assumption must be 0 or 1", "is_assumption", int(i) + 1,
                                raw["is_assumption"].iloc[i]))
    for i in np.flatnonzero((raw["price_year_converted_to"] != PRICE_YEAR).to_numpy()):
        problems.append(Problem(file, "price-year", f"amounts must be converted to {PRICE_YEAR}",
                                "price_year_converted_to", int(i) + 1, raw["price_year_converted_to"].iloc[i]))
    keys = raw[["item", "area_code", "financial_year"]]
    for i in np.flatnonzero(keys.duplicated().to_numpy()):
        problems.append(Problem(file, "unique-key", "item, area_code and financial_year must be unique", "item",
                                int(i) + 1, "/".join(keys.iloc[i])))
    if problems:
        raise DataError(problems)
    frame = raw.copy()
    for column in ("amount_gbp", "amount_gbp_price_year"):
        frame[column] = pd.to_numeric(frame[column].where(frame[column] != ""), errors="coerce").astype(float)
    frame["is_assumption"] = frame["is_assumption"].astype(int)
    for column in UNIT_COST_COLUMNS:
        if column not in ("amount_gbp", "amount_gbp_price_year", "is_assumption"):
            frame[column] = frame[column].astype(str).astype(object)
    return frame


# ---------------------------------------------------------------------------------------
# Adjustment for who was in which arm, and for who was followed up
# ---------------------------------------------------------------------------------------


#: An indicator covariate (e.g. one ethnic group) enters a site's propensity model only when
#: at least this many young people in each arm have it; sparser groups stay with the
#: reference group, because a handful of young people can separate the arms perfectly.
MIN_INDICATOR_COUNT = 10


def ps_covariates(persons: pd.DataFrame) -> list[str]:
    """The covariates of a site's propensity model: ``innovate.cohort.PS_COVARIATES``
    without indicators held by fewer than ``MIN_INDICATOR_COUNT`` young people in an arm."""
    from . import cohort

    keep = []
    for c in cohort.PS_COVARIATES:
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
    baseline covariates (``innovate.cohort.propensity_weights``: logistic model, stabilised
    P(T)/e(X) and (1 - P(T))/(1 - e(X))) on ``ps_covariates``. The arms were not
    randomised, so unweighted differences would mix the innovation with who was offered it.
    ``w_obs``: for young people observed at 18 months, the stabilised inverse probability
    of being observed given arm and baseline covariates (the same logistic machinery);
    attrition is assumed missing at random given these. ``weight = w_arm * w_obs`` for the
    complete cases. Returns one row per young person with ``max_abs_smd`` (the worst
    covariate balance after weighting at the site) and the Kish effective sizes.
    """
    from . import cohort

    rows = []
    for site_id in sorted(people["site_id"].astype(str).unique()):
        persons = cohort.person_frame(people, site_id)
        covariates = ps_covariates(persons)
        ps = cohort.propensity_weights(persons, covariates)
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
                obs = cohort.propensity_weights(persons, tuple(covariates) + ("treated",), treatment="observed")
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

#: Replicates of every bootstrap in the book, and the seed they are drawn from.
BOOTSTRAP_REPS = 2000
SEED = 20250501
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
        from .sites import SITE_IDS

        present = set(self.frame["site_id"])
        return [s for s in SITE_IDS if s in present] + sorted(present - set(SITE_IDS))


def prepare(data: CostData) -> Prepared:
    """Attach the propensity and follow-up weights (``analysis_weights``)."""
    complete = data.frame.set_index("person_id")["complete"]
    people = _people_for_weights(data)
    weights = analysis_weights(people, complete)
    frame = data.frame.merge(weights[["person_id", "w_arm", "w_obs", "weight"]], on="person_id", how="left",
                             validate="one_to_one")
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
        raise DataError([Problem("young_people.csv", "unknown-site", "no young people for this site", "site_id",
                                 None, site_id)])
    return part


def cost_per_young_person(prep: Prepared, reps: int = BOOTSTRAP_REPS, seed: int = SEED,
                          schedule=GREEN_BOOK_SCHEDULE) -> pd.DataFrame:
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
        row["ci_low"], row["ci_high"] = bca_interval(est, rep, jk)
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
    schedule: tuple
    effect_tolerance: float
    notes: list[str]

    # --- statistics over stratum means -----------------------------------------------------
    def _diff(self):
        return arm_difference(self.boot)

    def cost_effect(self, means: np.ndarray, params: Mapping[str, object] | None = None,
                    schedule=None) -> np.ndarray:
        """(…, 2): incremental discounted cost and effect (innovation minus comparison)."""
        return self._diff()(self.model.evaluate(means, params, self.schedule if schedule is None else schedule))

    def arm_values(self, means: np.ndarray) -> np.ndarray:
        """(…, S, 2 + n_outcomes): weighted cost, effect and outcome means per stratum."""
        ce = self.model.evaluate(means, None, self.schedule)
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
            (f"Incremental net benefit at GBP {wtp:,.0f} per episode averted",
             wtp * est[1] - est[0], wtp * rep[:, 1] - rep[:, 0], wtp * jk[:, 1] - jk[:, 0]),
        ):
            plo, phi = percentile_interval(r, level)
            blo, bhi = bca_interval(e, r, j, level)
            rows.append({"measure": name, "estimate": float(e), "percentile_low": plo, "percentile_high": phi,
                         "bca_low": blo, "bca_high": bhi})
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
        specs = [{"column": "cost", "label": "Cost per young person (GBP, discounted)", "unit": f"GBP, {PRICE_YEAR} prices",
                  "better": "lower"},
                 {"column": "effect", "label": "Missing episodes averted (discounted)", "unit": "episodes",
                  "better": "higher"}] + list(OUTCOMES)
        rows = []
        for k, spec in enumerate(specs):
            if spec["column"] == "effect":
                continue  # the CEA effect is minus the first outcome; shown there undiscounted
            means = {}
            for arm in ("innovation", "comparison"):
                idx = strata.index[strata["arm"] == arm]
                means[arm] = float(sum(site_w[strata.loc[i, "site_id"]] * arms[i, k] for i in idx))
            plo, phi = percentile_interval(rep[:, k], level)
            blo, bhi = bca_interval(est[k], rep[:, k], jk[:, k], level)
            favours = "innovation" if (est[k] < 0) == (spec["better"] == "lower") else "comparison"
            excludes_zero = (blo > 0 or bhi < 0) if np.isfinite(blo) else (plo > 0 or phi < 0)
            rows.append({
                "measure": spec["label"], "unit": spec["unit"], "better": spec["better"],
                "innovation": means["innovation"], "comparison": means["comparison"], "difference": float(est[k]),
                "bca_low": blo, "bca_high": bhi, "percentile_low": plo, "percentile_high": phi,
                "direction": f"favours {favours}" if excludes_zero else "no clear difference",
            })
        return pd.DataFrame(rows)


def cost_effectiveness(prep: Prepared, site_id: str | None = None, reps: int = BOOTSTRAP_REPS, seed: int = SEED,
                       schedule=GREEN_BOOK_SCHEDULE, effect_tolerance: float = EFFECT_TOLERANCE) -> CeaResult:
    """Cost-consequence and cost-effectiveness of the innovation arm against comparison.

    Complete cases (observed at 18 months) weighted by ``weight`` (propensity x follow-up,
    see ``analysis_weights``); a paired bootstrap within site and arm (``reps``
    replicates); with all sites, the estimate standardises across sites (each site's
    difference weighted by its share of young people), so no site is compared with another.
    """
    frame = _scope(prep.frame, site_id)
    complete = frame[frame["complete"] == 1]
    columns = prep.cost_columns + prep.effect_columns + list(OUTCOME_COLUMNS)
    data = weighted(complete, columns)
    boot = stratified_bootstrap(data, columns + ["_w"], ["site_id", "arm"], reps=reps, seed=seed)
    model = CostEffectModel(columns + ["_w"], prep.cost_columns, prep.effect_columns, "_w")
    n = complete.groupby("arm").size().to_dict()
    notes = [n_ for n_ in prep.data.notes if site_id is None or n_.startswith(site_id)]
    return CeaResult(site_id or "all", {a: int(n.get(a, 0)) for a in ("innovation", "comparison")}, boot, model,
                     list(OUTCOME_COLUMNS), float(schedule) if isinstance(schedule, (int, float)) else tuple(schedule),
                     effect_tolerance, notes)


# ---------------------------------------------------------------------------------------
# Sensitivity analyses
# ---------------------------------------------------------------------------------------


def nao_residential_multiplier(table: pd.DataFrame | None = None) -> float:
    """NAO average children's home place cost (weekly) over the England Section 251
    residential weekly unit cost of the same year, both in ``PRICE_YEAR`` prices."""
    table = unit_costs() if table is None else table
    nao = table[table["item"] == "childrens_home_place"].iloc[0]
    s251 = table[(table["item"] == "residential_care") & (table["area_code"] == ENGLAND_CODE)
                 & (table["financial_year"] == nao["financial_year"])].iloc[0]
    return float(nao["amount_gbp_price_year"] / WEEKS_PER_YEAR / s251["amount_gbp_price_year"])


def one_way_sensitivity(result: CeaResult, wtp: float = WTP_REFERENCE,
                        table: pd.DataFrame | None = None, level: float = CI_LEVEL) -> pd.DataFrame:
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
        rows.append({"parameter": name, "label": p.label, "range": p.range_reason, "low_value": p.low,
                     "high_value": p.high, "inb_low": inb({name: p.low}), "inb_high": inb({name: p.high})})
    nao = nao_residential_multiplier(table)
    rows.append({"parameter": "residential_nao", "label": "Residential rate at the NAO (2025) average",
                 "range": "children's home place cost (NAO) instead of Section 251", "low_value": nao,
                 "high_value": nao, "inb_low": inb({"residential_rate": nao}), "inb_high": inb({"residential_rate": nao})})
    lo_r, hi_r = DISCOUNT_RANGE
    rows.append({"parameter": "discount_rate", "label": "Discount rate (flat)", "range": f"{lo_r:.1%} to {hi_r:.1%}",
                 "low_value": lo_r, "high_value": hi_r, "inb_low": inb(schedule=constant_schedule(lo_r)),
                 "inb_high": inb(schedule=constant_schedule(hi_r))})
    effect = result.intervals(wtp, level).iloc[1]
    lo_e, hi_e = effect["bca_low"], effect["bca_high"]
    if not (np.isfinite(lo_e) and np.isfinite(hi_e)):
        lo_e, hi_e = effect["percentile_low"], effect["percentile_high"]
    rows.append({"parameter": "effect", "label": "Incremental effect", "range": f"its {level:.0%} interval",
                 "low_value": lo_e, "high_value": hi_e, "inb_low": inb(effect=lo_e), "inb_high": inb(effect=hi_e)})
    out = pd.DataFrame(rows)
    out["base_inb"] = base
    ends = out[["inb_low", "inb_high", "base_inb"]].to_numpy()
    out["width"] = ends.max(axis=1) - ends.min(axis=1)  # the bar drawn from the base case to both ends
    return out.sort_values("width", ascending=False, kind="stable").reset_index(drop=True)


def draw_parameters(n: int, seed: int = SEED) -> dict[str, np.ndarray]:
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


def probabilistic_sensitivity(result: CeaResult, seed: int = SEED + 1) -> PsaResult:
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
    ``innovate.casedata``; unit costs from ``data/reference/unit_costs.csv``."""
    from . import casedata

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
    return build_cost_data(tables["young_people"], tables["outcomes"], tables["service_activity"],
                           tables["placements"], tables["innovation_costs"])


_PREPARED: dict[tuple, Prepared] = {}


def prepared(site_id: str | None = None, folder: Path | str | None = None) -> Prepared:
    """``prepare(load_cost_data(...))``, kept for the session (the inputs are read-only)."""
    from .paths import case_data_dir

    base = str(Path(folder).resolve() if folder is not None else case_data_dir())
    key = (base, site_id)
    if key not in _PREPARED:
        whole = _PREPARED.get((base, None))
        # every step is site by site (costing, weights), so a site's slice of the whole is the same
        _PREPARED[key] = subset(whole, site_id) if whole is not None and site_id is not None else \
            prepare(load_cost_data(site_id, folder))
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
    return Prepared(sub, prep.weights[prep.weights["site_id"] == site_id].reset_index(drop=True),
                    _scope(prep.frame, site_id).reset_index(drop=True))


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
        return pd.DataFrame({"wtp": np.asarray(wtp, dtype=float), "bootstrap": self.result.ceac(wtp),
                             "probabilistic": self.psa.ceac(wtp)})

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


def summarise(prep: Prepared, site_id: str | None = None, reps: int = BOOTSTRAP_REPS, seed: int = SEED,
              wtp: float = WTP_REFERENCE) -> SiteCostSummary:
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


def site_cost_summary(site_id: str, folder: Path | str | None = None, reps: int = BOOTSTRAP_REPS,
                      seed: int = SEED, wtp: float = WTP_REFERENCE) -> SiteCostSummary:
    """The costs and value-for-money section of one site's chapter (same functions as the
    cross-site chapter; only that site's data are costed)."""
    return summarise(prepared(site_id, folder), site_id, reps=reps, seed=seed, wtp=wtp)


# ---------------------------------------------------------------------------------------
# Display helpers (tables)
# ---------------------------------------------------------------------------------------


def money(value: float, decimals: int = 0) -> str:
    """'£12,345' (or '-£1,234'); NaN shows as 'not estimable'."""
    if value is None or not np.isfinite(value):
        return "not estimable"
    sign = "-" if value < 0 else ""
    return f"{sign}£{abs(value):,.{decimals}f}"


def interval_text(low: float, high: float, fmt: Callable[[float], str]) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "not estimable"
    return f"{fmt(low)} to {fmt(high)}"


def consequences_display(table: pd.DataFrame) -> pd.DataFrame:
    """The cost-consequence table as text, every money figure marked with its price year."""
    rows = []
    for _, r in table.iterrows():
        is_money = r["unit"].startswith("GBP")
        is_prop = r["unit"] == "proportion"
        if is_money:
            fmt = money
        elif is_prop:
            fmt = lambda v: f"{v:.2f}"  # noqa: E731
        else:
            fmt = lambda v: f"{v:,.2f}"  # noqa: E731
        rows.append({
            "Measure": r["measure"],
            "Unit": r["unit"],
            "Innovation arm": fmt(r["innovation"]),
            "Comparison arm": fmt(r["comparison"]),
            "Difference": fmt(r["difference"]),
            "95% interval (BCa)": interval_text(r["bca_low"], r["bca_high"], fmt),
            "Reading": r["direction"],
        })
    return pd.DataFrame(rows)


def cost_table_display(table: pd.DataFrame, site_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Cost per young person by site and arm, as text, with the count of young people
    protected by ``innovate.disclosure.protect_table``."""
    from . import disclosure

    counts = table[["site_id", "arm", "n"]].copy()
    counts["site_id"] = counts["site_id"].map(lambda s: (site_labels or {}).get(s, s))
    protected = disclosure.protect_table(counts.rename(columns={"n": "Young people"}), count_columns=["Young people"],
                                           threshold=DISCLOSURE_THRESHOLD)
    out = pd.DataFrame({
        "Site": protected["site_id"].to_numpy(),
        "Arm": protected["arm"].to_numpy(),
        "Young people": protected["Young people"].to_numpy(),
    })
    for label in COMPONENT_GROUPS.values():
        out[label] = table[label].map(money).to_numpy()
    out["Total"] = table["Total"].map(money).to_numpy()
    out["95% interval (BCa)"] = [interval_text(lo, hi, money) for lo, hi in zip(table["ci_low"], table["ci_high"])]
    out.attrs["disclosure"] = protected.attrs.get("disclosure")
    return out


# ---------------------------------------------------------------------------------------
# Figures (house style from innovate.figures; colour never the only cue)
# ---------------------------------------------------------------------------------------

_HATCHES = ("", "//", "..", "xx", "\\\\", "++")


def _gbp_axis(decimals: int = 0, thousands: bool = True):
    """Axis tick formatter: '-£2.5k' / '£40k' / '£1,234' (sign before the pound sign)."""
    def fmt(v, _pos=None):
        sign = "-" if v < 0 else ""
        if thousands:
            return f"{sign}£{abs(v) / 1000:,.{decimals}f}k"
        return f"{sign}£{abs(v):,.{decimals}f}"
    return fmt
ITEM_LABELS = {"residential_care": "Residential care", "fostering": "Fostering",
               "looked_after_all": "All looked-after children"}


def plot_unit_cost_trends(table: pd.DataFrame, items: Sequence[str] = ("residential_care", "fostering"),
                          areas: Sequence[str] | None = None):
    """Section 251 weekly unit costs by area and year at ``PRICE_YEAR`` prices (real data)."""
    from . import figures

    areas = list(areas or UNIT_COST_AREAS)
    fig, axes = figures.new_figure("wide", aspect=0.42, ncols=len(items), sharex=True)
    axes = np.atleast_1d(axes)
    colours = figures.colours(len(areas))
    for ax, item in zip(axes, items):
        part = table[(table["item"] == item) & table["area_code"].isin(areas)]
        for i, code in enumerate(areas):
            series = part[part["area_code"] == code].sort_values("financial_year")
            ax.plot(series["financial_year"], series["amount_gbp_price_year"], marker=figures.MARKERS[i % 8],
                    color=colours[i], linestyle=("-", "--", ":", "-.")[i % 4], label=UNIT_COST_AREAS[code][1])
        ax.set_title(ITEM_LABELS.get(item, item))
        ax.set_ylabel(f"GBP per child per week ({PRICE_YEAR} prices)")
        ax.tick_params(axis="x", rotation=45)
        ax.yaxis.set_major_formatter(_gbp_axis(thousands=False))
    axes[-1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    return fig


def plot_cost_components(table: pd.DataFrame, site_labels: Mapping[str, str] | None = None):
    """Mean cost per young person by site and arm, stacked by component (hatched)."""
    from . import figures

    labels = list(COMPONENT_GROUPS.values())
    rows = table.iloc[::-1].reset_index(drop=True)
    names = [f"{(site_labels or {}).get(s, s)} - {a}" for s, a in zip(rows["site_id"], rows["arm"])]
    fig, ax = figures.new_figure("wide", aspect=0.6, layout="constrained")
    left = np.zeros(len(rows))
    colours = figures.colours(len(labels))
    for i, label in enumerate(labels):
        values = rows[label].to_numpy(dtype=float)
        ax.barh(names, values, left=left, color=colours[i], hatch=_HATCHES[i], edgecolor="white", label=label)
        left += values
    ax.errorbar(rows["Total"], names, xerr=[rows["Total"] - rows["ci_low"], rows["ci_high"] - rows["Total"]],
                fmt="none", ecolor="black", capsize=3, label="95% interval of the total")
    ax.set_xlabel(f"Mean cost per young person (GBP, {PRICE_YEAR} prices, discounted)")
    ax.xaxis.set_major_formatter(_gbp_axis())
    handles, texts = ax.get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside upper center", ncol=3, fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))  # room for the footer of a watermark
    return fig


def plot_ce_plane(results: Mapping[str, CeaResult], wtp: float = WTP_REFERENCE, max_points: int = 2000):
    """Bootstrap replicates of incremental effect (x) and cost (y), one panel per result."""
    from . import figures

    n = len(results)
    ncols = min(n, 3)
    nrows = int(math.ceil(n / ncols))
    fig, axes = figures.new_figure("wide" if n > 1 else "text", aspect=0.62 * nrows / max(ncols, 1) * (1.6 if n > 1 else 1),
                                   nrows=nrows, ncols=ncols, squeeze=False, layout="constrained")
    colours = figures.colours(2)
    for ax, (label, res) in zip(axes.ravel(), results.items()):
        rep = res.replicates[:max_points]
        ax.scatter(rep[:, 1], rep[:, 0], s=4, alpha=0.25, color=colours[0], marker="o", label="bootstrap replicates")
        ax.scatter([res.delta_effect], [res.delta_cost], s=60, color=colours[1], marker="D", edgecolor="black",
                   zorder=5, label="estimate")
        ax.axhline(0, color="black", linewidth=0.8)
        ax.axvline(0, color="black", linewidth=0.8)
        xmax = np.nanmax(np.abs(rep[:, 1])) * 1.05
        xs = np.linspace(-xmax, xmax, 2)
        ax.plot(xs, wtp * xs, linestyle="--", color="black", linewidth=1, label=f"£{wtp:,.0f} per episode averted")
        ax.set_title(label)
        if n == 1:
            ax.set_xlabel("Missing episodes averted per young person")
            ax.set_ylabel(f"Incremental cost (GBP, {PRICE_YEAR} prices)")
        ax.yaxis.set_major_formatter(_gbp_axis(thousands=n > 1))
        ymax = np.nanmax(np.abs(rep[:, 0])) * 1.05
        ax.set_ylim(-ymax, ymax)
        ax.set_xlim(-xmax, xmax)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    if n > 1:
        fig.supxlabel("Missing episodes averted per young person (innovation minus comparison)", fontsize=10)
        fig.supylabel(f"Incremental cost per young person (GBP, {PRICE_YEAR} prices)", fontsize=10)
    handles, texts = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, texts, loc="outside upper center", ncol=3, fontsize=8)
    fig.get_layout_engine().set(rect=(0, 0.04, 1, 0.96))  # room for the footer of a watermark
    return fig


def plot_ceac(curves: Mapping[str, tuple[np.ndarray, np.ndarray]], wtp_reference: float | None = WTP_REFERENCE):
    """Acceptability curves: probability the innovation is cost-effective by willingness to pay."""
    from . import figures

    fig, ax = figures.new_figure("text", aspect=0.6)
    colours = figures.colours(len(curves))
    styles = ("-", "--", ":", "-.")
    for i, (label, (x, y)) in enumerate(curves.items()):
        every = max(1, len(x) // 10)
        ax.plot(x, y, color=colours[i], linestyle=styles[i % 4], marker=figures.MARKERS[i % 8], markevery=every,
                label=label)
    if wtp_reference is not None:
        ax.axvline(wtp_reference, color="grey", linewidth=0.8, linestyle=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel(f"Willingness to pay per missing episode averted (GBP, {PRICE_YEAR} prices)")
    ax.set_ylabel("Probability cost-effective")
    ax.xaxis.set_major_formatter(_gbp_axis(thousands=False))
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_tornado(tornado: pd.DataFrame, wtp: float = WTP_REFERENCE):
    """One-way sensitivity: net benefit at ``wtp`` as each input moves (widest at the top)."""
    from . import figures

    t = tornado.iloc[::-1].reset_index(drop=True)
    base = float(t["base_inb"].iloc[0])
    fig, ax = figures.new_figure("wide", aspect=0.5)
    colours = figures.colours(3)
    y = np.arange(len(t))
    scenario = (t["low_value"] == t["high_value"]).to_numpy()
    ax.barh(y[~scenario], (t["inb_low"] - base)[~scenario], left=base, color=colours[0], hatch="//",
            edgecolor="white", label="input at its low value")
    ax.barh(y[~scenario], (t["inb_high"] - base)[~scenario], left=base, color=colours[1], hatch="..",
            edgecolor="white", label="input at its high value", alpha=0.85)
    if scenario.any():
        ax.barh(y[scenario], (t["inb_high"] - base)[scenario], left=base, color=colours[2], hatch="xx",
                edgecolor="white", label="alternative source (one value)")
    ax.axvline(base, color="black", linewidth=1, label="base case")
    ax.set_yticks(y, t["label"])
    ax.set_xlabel(f"Incremental net benefit per young person at £{wtp:,.0f} per episode averted (GBP, {PRICE_YEAR} prices)")
    ax.xaxis.set_major_formatter(_gbp_axis(decimals=1))
    ax.legend(fontsize=8, loc="lower right")
    return fig


# ---------------------------------------------------------------------------------------
# Display helpers for the chapters (text tables; every money figure names its price year)
# ---------------------------------------------------------------------------------------


def signed_money_text(value: float, more: str = "more", less: str = "less") -> str:
    """'£1,234 more' / '£1,234 less' (the sign carried by the words, not by a minus)."""
    return f"{money(abs(value))} {more if value >= 0 else less}"


def unit_cost_display(table: pd.DataFrame, year: str | None = None) -> pd.DataFrame:
    """The unit costs a chapter shows: staff time, the NAO figure, and the Section 251 rates of
    each area in ``year`` (default: the latest published), each with source and price years."""
    s251 = table[table["item"].isin([i for i, _ in S251_INDICATORS.values()])]
    year = year or max(s251["financial_year"], key=fy_start)
    rows = pd.concat([
        table[table["item"].str.startswith("staff_")],
        table[table["item"] == "childrens_home_place"],
        s251[s251["financial_year"] == year].assign(
            _o=lambda f: f["area_code"].map({c: i for i, c in enumerate(UNIT_COST_AREAS)})
        ).sort_values(["item", "_o"], ascending=[False, True]).drop(columns="_o"),
    ])
    hourly = rows["unit"].str.contains("hour").to_numpy()
    names = {**{f"staff_contact_hour:{r}": f"{r.replace('_', ' ').capitalize()}, per contact hour" for r in STAFF_ROLES},
             "staff_hour:social_worker": "Social worker, per hour of working time",
             "childrens_home_place": "Children's home place (NAO)",
             **{i: f"{ITEM_LABELS[i]} (Section 251)" for i in ITEM_LABELS}}
    return pd.DataFrame({
        "Unit cost": rows["item"].map(names).to_numpy(),
        "Area": rows["area_name"].to_numpy(),
        "Unit": rows["unit"].to_numpy(),
        "Amount as published": [money(v, 2 if h else 0) for v, h in zip(rows["amount_gbp"], hourly)],
        "Price year": rows["price_year"].to_numpy(),
        f"At {PRICE_YEAR} prices": [money(v, 2 if h else 0) for v, h in zip(rows["amount_gbp_price_year"], hourly)],
        "Assumption": np.where(rows["is_assumption"].to_numpy() == 1, "yes (stated ratio)", "no"),
    })


def intervals_display(intervals: pd.DataFrame) -> pd.DataFrame:
    """Incremental cost, effect and net benefit with percentile and BCa intervals, as text."""
    rows = []
    for _, r in intervals.iterrows():
        fmt = (lambda v: f"{v:,.2f}") if "effect (" in r["measure"] else money
        rows.append({"Measure": r["measure"], "Estimate": fmt(r["estimate"]),
                     "95% interval (percentile)": interval_text(r["percentile_low"], r["percentile_high"], fmt),
                     "95% interval (BCa)": interval_text(r["bca_low"], r["bca_high"], fmt)})
    return pd.DataFrame(rows)


def parameter_table() -> pd.DataFrame:
    """The inputs varied in the sensitivity analyses: one-way range and PSA distribution."""
    rows = [{"Input": p.label, "One-way range": p.range_reason, "Probabilistic distribution": p.psa_reason}
            for p in PARAMETERS.values()]
    rows.append({"Input": "Residential rate at the NAO (2025) average", "One-way range":
                 "one alternative value (NAO children's home place cost per week)", "Probabilistic distribution": "-"})
    rows.append({"Input": "Discount rate", "One-way range": f"flat {DISCOUNT_RANGE[0]:.1%} to {DISCOUNT_RANGE[1]:.1%}",
                 "Probabilistic distribution": "fixed at the Green Book schedule"})
    rows.append({"Input": "Incremental effect", "One-way range": "its 95% bootstrap interval (BCa)",
                 "Probabilistic distribution": "the bootstrap replicate paired with each draw"})
    return pd.DataFrame(rows)


def tornado_display(tornado: pd.DataFrame) -> pd.DataFrame:
    def value(v, name):
        if name == "discount_rate":
            return f"{v:.1%}"
        if name == "effect":
            return f"{v:.2f} episodes"
        return f"x {v:.2f}"

    return pd.DataFrame({
        "Input": tornado["label"].to_numpy(),
        "Range": tornado["range"].to_numpy(),
        "Low value": [value(v, n) for v, n in zip(tornado["low_value"], tornado["parameter"])],
        "High value": [value(v, n) for v, n in zip(tornado["high_value"], tornado["parameter"])],
        "Net benefit at low": tornado["inb_low"].map(money).to_numpy(),
        "Net benefit at high": tornado["inb_high"].map(money).to_numpy(),
    })


def consequences_by_site(summaries: Mapping[str, SiteCostSummary], labels: Mapping[str, str] | None = None
                         ) -> pd.DataFrame:
    """Per-site cost-consequence differences (innovation minus comparison) with BCa 95% intervals,
    one column per site, one row per measure: costs beside every outcome."""
    columns = {}
    measures = None
    for site_id, summary in summaries.items():
        table = summary.consequences
        measures = table["measure"].tolist() if measures is None else measures
        cells = []
        for _, r in table.iterrows():
            fmt = money if r["unit"].startswith("GBP") else (lambda v: f"{v:,.2f}")
            cells.append(f"{fmt(r['difference'])} ({interval_text(r['bca_low'], r['bca_high'], fmt)})")
        columns[(labels or {}).get(site_id, site_id)] = cells
    return pd.DataFrame({"Measure (innovation minus comparison)": measures, **columns})


def site_summary_table(summaries: Mapping[str, SiteCostSummary], labels: Mapping[str, str] | None = None
                       ) -> pd.DataFrame:
    """One row per site: incremental cost and effect with intervals, the quadrant and ICER,
    net benefit and the probability of cost-effectiveness at the reference willingness to pay."""
    from . import disclosure

    rows = []
    for site_id, s in summaries.items():
        k = s.numbers()
        rows.append({
            "Site": (labels or {}).get(site_id, site_id),
            "Young people analysed": k["n_innovation"] + k["n_comparison"],
            "Incremental cost": f"{money(k['delta_cost'])} ({interval_text(k['delta_cost_low'], k['delta_cost_high'], money)})",
            "Episodes averted": f"{k['delta_effect']:.2f} ({interval_text(k['delta_effect_low'], k['delta_effect_high'], lambda v: f'{v:.2f}')})",
            "Quadrant": QUADRANT_LABELS[s.icer.quadrant],
            "ICER (GBP per episode averted)": money(s.icer.value) if s.icer.reported else "not reported",
            f"Net benefit at {money(s.wtp)}": money(k["inb"]),
            "P(cost-effective)": f"{k['p_cost_effective']:.2f}",
        })
    out = pd.DataFrame(rows)
    protected = disclosure.protect_table(out[["Site", "Young people analysed"]], count_columns=["Young people analysed"],
                                           threshold=DISCLOSURE_THRESHOLD)
    out["Young people analysed"] = protected["Young people analysed"].to_numpy()
    out.attrs["disclosure"] = protected.attrs.get("disclosure")
    return out
