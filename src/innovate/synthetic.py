"""The synthetic case-level data set: a calibrated, deterministic generator.

The study's case-level data are held under data-sharing agreements and cannot ship, so
the book ships synthetic data with the same schema (:mod:`innovate.schemas`). This
module generates every table of the contract for the six sites from stated models whose
true parameters are written to ``manifest.json``, so that every estimator in the book
can be checked against the truth.

Determinism: every random draw comes from ``np.random.default_rng([seed, stream])``, one
stream per table (so that changing the cohort size does not change the area series);
files are written with fixed float formatting, sorted rows and ``\\n`` line ends, and
the manifest has no timestamps. The same seed gives byte-identical files.

Calibration to real public statistics (:mod:`innovate.public`, DfE and ONS, OGL v3):

* area population: ONS mid-year estimates of children aged 0-17 for the area and year;
* ``efr_referrals``: the area's episodes with any of the five extra-familial factors
  identified at the end of assessment (child sexual exploitation, child criminal
  exploitation, going missing, gangs, trafficking; DfE children in need census), mean of
  the years ending March 2023-2025, divided by 12;
* ``exploitation_identifications``: the same for child sexual plus child criminal
  exploitation;
* ``missing_episodes``: the area's missing incidents of looked-after children (DfE), mean
  of the years ending March 2022-2024, divided by 12 (see :func:`calibration_targets`);
* North Lanarkshire (no DfE data): per-child rates of a stated English proxy LA, applied
  to a stated child population; its three comparators carry synthetic Scottish codes not
  assigned to any real council area. Safer London: the London region, against the three
  English regions with the child populations closest to London's.

In-memory building blocks for simulation studies: :func:`default_parameters`,
:func:`simulate_area_series`, :func:`simulate_cohort`, :func:`generate`; and
:func:`write` for files. Command line: ``python -m innovate synthesize --seed N --out DIR``.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from . import schemas

GENERATOR = "innovate.synthetic"
GENERATOR_VERSION = "1.0.0"
#: The seed of the committed data set in data/synthetic/.
DEFAULT_SEED = 20240601

SERIES_START = "2015-01-01"
SERIES_END = "2024-12-01"
COVID_START = "2020-04-01"
COVID_END = "2021-03-01"
#: Fieldwork waves of the qualitative study (one a year from May 2021).
FIELDWORK_WAVES = ("2021-05-15", "2022-05-15", "2023-05-15", "2024-05-15")
#: Stage events after this date are not generated (end of the study's observation).
JOURNEY_END = "2025-03-31"
#: Assumed child population (0-17) of North Lanarkshire, used for calibration only.
#: Derived from Understanding Glasgow's summary of NRS 2018-based projections (a 15% fall
#: "a reduction of over 9,300 children" implies about 62,000 children in 2018).
NORTH_LANARKSHIRE_CHILDREN = 62_000
NORTH_LANARKSHIRE_SOURCE = (
    "Understanding Glasgow, 'Population projections: Glasgow City Region' (NRS 2018-based projections): "
    "North Lanarkshire's child population projected to fall by 15%, over 9,300 children, implying about "
    "62,000 children in 2018. https://understandingglasgow.com/childrens-indicators/population/"
    "population-projections/glasgow-city-region"
)
SCOTTISH_COMPARATOR_CODES = ("S12000091", "S12000092", "S12000093")

# Streams: one per table, so tables are independent of each other's sizes.
_STREAMS = {
    "parameters": 0, "area_series": 1, "cohort": 2, "service_activity": 3, "placements": 4,
    "innovation_costs": 5, "stage_events": 6, "coded_segments": 7, "experience_survey": 8,
    "network_survey": 9,
}


def rng_for(seed: int, stream: str) -> np.random.Generator:
    """The random generator of one table: ``np.random.default_rng([seed, stream number])``."""
    return np.random.default_rng([int(seed), _STREAMS[stream]])


def _r(x: float, digits: int = 4) -> float:
    return float(round(float(x), digits))


# ======================================================================================
# Parameters
# ======================================================================================


@dataclass
class AreaSpec:
    """One area's series: code, role, population by year and calibrated monthly level."""

    area_code: str
    area_role: str  # 'site' | 'comparator'
    area_name: str
    population: dict[int, int]  # calendar year -> children aged 0-17
    monthly_level: dict[str, float]  # expected count a month over the calibration window
    log_trend_per_year: dict[str, float]  # per measure
    calibration: str


@dataclass
class ITSEffect:
    """True innovation effect on a site's own series (comparators have none).

    ``log E[Y_t] += post_t * (log(level_rate_ratio) + slope_change_per_month * (t - t0))``
    where ``t - t0`` counts months since the innovation start month (0 in that month).
    """

    level_rate_ratio: float
    slope_change_per_month: float


@dataclass
class CohortEffects:
    """True arm effects of the innovation on each outcome of the cohort (one site).

    Counts and binary outcomes: innovation x post-baseline (waves 6, 12, 18), on the
    rate-ratio / conditional odds-ratio scale. Scores: innovation x months since baseline
    (difference in slope, units a month).
    """

    missing_episodes_rate_ratio: float
    exploitation_risk_slope_per_month: float
    swemwbs_slope_per_month: float
    attendance_slope_per_month: float
    placement_moves_rate_ratio: float
    justice_contact_odds_ratio: float


@dataclass
class SiteParameters:
    site_id: str
    framework: str
    innovation_start: str  # ISO date, first of month used for the series
    areas: list[AreaSpec]
    its: dict[str, ITSEffect]
    cohort_effects: CohortEffects
    ethnicity: dict[str, float]
    journey: list[tuple[str, str, float]]  # (stage, event_type, months after the previous event)
    facilitator_logit: float  # site effect on the share of facilitator codes
    survey_effect: float  # site effect on the latent experience score
    cost_scale: float  # multiplies the innovation's cost lines


@dataclass
class SeriesModel:
    """Shared model of the monthly area series (see :func:`simulate_area_series`)."""

    harmonics: dict[str, list[float]]  # measure -> [sin1, cos1, sin2, cos2]
    dispersion: dict[str, float]  # NB2 alpha: Var = mu + alpha * mu^2
    covid_log_rate_ratio: dict[str, float]
    covid_start: str = COVID_START
    covid_end: str = COVID_END
    start: str = SERIES_START
    end: str = SERIES_END


@dataclass
class CohortModel:
    """Shared coefficients of the cohort model (see :func:`simulate_cohort`)."""

    per_arm: int = 300  # expected young people per arm and site
    recruitment_start: str = "2022-01-01"
    recruitment_days: int = 365
    female_share: float = 0.52
    age_probs: list[float] = field(default_factory=lambda: [0.03, 0.05, 0.09, 0.14, 0.19, 0.21, 0.17, 0.12])
    # propensity of the innovation arm (intercept solved per site so the mean is 0.5)
    ps_age: float = 0.30
    ps_risk: float = 0.12
    ps_looked_after: float = 0.45
    ps_log_prior_missing: float = 0.20
    # missing episodes (NB2 with a normal person random effect on the log scale)
    miss_intercept: float = 0.30
    miss_looked_after: float = 0.55
    miss_age: float = 0.06
    miss_log_prior: float = 0.45
    miss_risk_per5: float = 0.20
    miss_post: float = -0.15
    miss_post_risk_per5: float = -0.10
    miss_person_sd: float = 0.55
    miss_alpha: float = 0.60
    # exploitation-risk score (linear, random slope)
    risk_intercept: float = 13.0
    risk_z: float = 3.2
    risk_looked_after: float = 1.5
    risk_age: float = 0.4
    risk_slope: float = -0.10
    risk_slope_age: float = -0.010
    risk_slope_looked_after: float = 0.030
    risk_slope_log_prior: float = 0.020
    risk_slope_sd: float = 0.050
    risk_residual_sd: float = 1.8
    # SWEMWBS (metric score)
    swem_intercept: float = 20.5
    swem_z: float = -1.2
    swem_looked_after: float = -0.6
    swem_male: float = 0.7
    swem_person_sd: float = 2.8
    swem_slope: float = 0.03
    swem_slope_age: float = -0.006
    swem_slope_looked_after: float = -0.015
    swem_slope_sd: float = 0.040
    swem_residual_sd: float = 2.2
    # school attendance (percent)
    att_logit_intercept: float = 1.6
    att_logit_z: float = -0.5
    att_logit_looked_after: float = -0.4
    att_logit_age: float = -0.10
    att_slope: float = -0.15
    att_slope_age: float = -0.02
    att_slope_sd: float = 0.10
    att_residual_sd: float = 6.0
    # placement moves: Poisson process while in care, gamma frailty
    moves_intercept: float = -0.7  # log moves per 6 months in care
    moves_z: float = 0.25
    moves_log_prior: float = 0.15
    moves_post: float = 0.0
    moves_frailty_shape: float = 2.0
    care_entry_prob: float = 0.08  # chance a young person not looked after enters care in 18 months
    # justice contact (logistic with a normal person random effect)
    justice_intercept: float = -2.4
    justice_z: float = 0.5
    justice_looked_after: float = 0.4
    justice_male: float = 0.3
    justice_age: float = 0.15
    justice_post: float = -0.10
    justice_person_sd: float = 0.8
    # attrition (monotone, MAR on observed values)
    attr_intercept: float = -2.45
    attr_looked_after: float = 0.35
    attr_log_prev_missing: float = 0.25
    attr_age: float = 0.10
    attr_comparison: float = 0.30


@dataclass
class CostModel:
    """Innovation costs: 2024-25 prices per item a year before the site's scale and noise."""

    start_up: dict[str, float] = field(default_factory=lambda: {
        "training": 60_000.0, "practice_development": 80_000.0, "project_management": 50_000.0,
        "partnership_work": 30_000.0, "evaluation_and_data": 20_000.0})
    running: dict[str, float] = field(default_factory=lambda: {
        "additional_staff": 250_000.0, "training": 25_000.0, "project_management": 30_000.0,
        "partnership_work": 20_000.0, "evaluation_and_data": 15_000.0, "practice_development": 12_000.0})
    start_up_years: int = 2
    second_start_up_year_share: float = 0.5
    noise_sd: float = 0.20  # log-normal noise on each line
    price_year: str = "2024-25"
    last_year: str = "2024-25"


@dataclass
class ActivityModel:
    """Contact hours by role: monthly chance of any contact and mean hours when in contact."""

    p_contact: dict[str, dict[str, float]] = field(default_factory=lambda: {
        "comparison": {"social_worker": 0.85, "senior_practitioner": 0.15, "youth_worker": 0.15,
                       "specialist_exploitation_worker": 0.08, "family_support_worker": 0.25, "team_manager": 0.30},
        "innovation": {"social_worker": 0.80, "senior_practitioner": 0.20, "youth_worker": 0.45,
                       "specialist_exploitation_worker": 0.40, "family_support_worker": 0.30, "team_manager": 0.30},
    })
    mean_hours: dict[str, dict[str, float]] = field(default_factory=lambda: {
        "comparison": {"social_worker": 3.0, "senior_practitioner": 1.5, "youth_worker": 2.5,
                       "specialist_exploitation_worker": 2.0, "family_support_worker": 3.0, "team_manager": 0.5},
        "innovation": {"social_worker": 2.8, "senior_practitioner": 1.5, "youth_worker": 4.0,
                       "specialist_exploitation_worker": 3.5, "family_support_worker": 3.0, "team_manager": 0.6},
    })
    #: framework -> role whose chance of contact is multiplied by 1.3 in the innovation arm
    framework_emphasis: dict[str, str] = field(default_factory=lambda: {
        "contextual_safeguarding": "specialist_exploitation_worker",
        "trauma_informed_practice": "family_support_worker",
        "transitional_safeguarding": "youth_worker"})
    hours_shape: float = 2.0  # gamma shape of hours given contact
    risk_hours_per_point: float = 0.03  # log hours per risk-score point above 15
    open_months_shape: float = 2.0
    open_months_scale: float = 6.0
    min_open_months: int = 3


@dataclass
class Parameters:
    """Everything the generator needs; every field is written to the manifest."""

    seed: int
    sites: dict[str, SiteParameters]
    series: SeriesModel
    cohort: CohortModel
    costs: CostModel
    activity: ActivityModel
    calibration: dict[str, object]


# --------------------------------------------------------------------------------------
# Calibration from the real public statistics
# --------------------------------------------------------------------------------------

_FACTOR_YEARS = (2023, 2024, 2025)
_MISSING_YEARS = (2022, 2023, 2024)
_CALIBRATION_WINDOW = ("2022-04-01", "2024-12-01")
#: 'c' (a suppressed count of 1-5) counts as 3 in calibration only.
_SUPPRESSED_AS = 3.0


def _annual_mean(frame: pd.DataFrame, measures: list[str], years: tuple[int, ...]) -> pd.Series:
    """Mean over ``years`` of the sum over ``measures``, by area; 'c' counts as 3, other codes skip the year."""
    part = frame[frame["measure"].isin(measures) & frame["year"].isin(years)].copy()
    value = part["value"].where(part["status"] != "c", _SUPPRESSED_AS)
    part = part.assign(value=value)
    complete = part.groupby(["area_code", "year"])["value"].agg(lambda s: s.notna().all() and len(s) == len(measures))
    sums = part.groupby(["area_code", "year"])["value"].sum()
    sums = sums[complete]
    return sums.groupby(level="area_code").mean()


def _missing_incidents() -> pd.DataFrame | None:
    """Looked-after children's missing incidents by area and year from innovate.public, if available."""
    from . import public

    frame = public.missing_from_care(["missing_incidents"])
    # A zero can be a recording gap (Hackney's 2021 return), so zero years are skipped.
    return frame[~(frame["value"] == 0)]


def _statistical_neighbours(old_la_code: str) -> list[str]:
    """The DfE statistical neighbours (2021 model) of an LA, closest first."""
    from . import public

    return [str(n.old_la_code) for n in public.statistical_neighbours(old_la_code, model=2021)]


def calibration_targets() -> dict[str, object]:
    """Real public magnitudes the generator is calibrated to (DfE, ONS; OGL v3).

    Returns per area code: ``efr`` (monthly episodes with an extra-familial factor),
    ``exploitation`` (monthly CSE + CCE episodes), ``missing`` (monthly missing incidents),
    ``population`` (year -> children 0-17) and ``name``; plus the rules used.
    """
    from . import public

    factors = public.assessment_factors()
    pop = public.child_population()
    efr = _annual_mean(factors, list(public.EXTRA_FAMILIAL_FACTORS.values()), _FACTOR_YEARS) / 12.0
    exploit = _annual_mean(factors, ["Child sexual exploitation", "Child criminal exploitation"], _FACTOR_YEARS) / 12.0
    missing_frame = _missing_incidents()
    incidents = _annual_mean(missing_frame, [str(missing_frame["measure"].iloc[0])], _MISSING_YEARS) / 12.0
    ratio = _r(float(incidents["E92000001"] / efr["E92000001"]), 4)
    missing_rule = (f"looked-after children's missing incidents (DfE, innovate.public.missing_from_care), mean of years "
                    f"ending March {_MISSING_YEARS[0]}-{_MISSING_YEARS[-1]} / 12 (zero years skipped as possible "
                    f"recording gaps); an area without a figure uses efr x the England ratio {ratio}")
    population = pop[pop["status"] == ""].pivot_table(index="area_code", columns="year", values="value", aggfunc="first")
    names = pop.drop_duplicates("area_code").set_index("area_code")["area_name"]
    return {
        "efr": efr, "exploitation": exploit, "missing": incidents, "missing_ratio": ratio,
        "population": population, "names": names, "levels": pop.drop_duplicates("area_code").set_index("area_code")["level"],
        "rules": {
            "efr_referrals": "DfE children in need census, episodes with any of the five extra-familial factors at the end "
                             f"of assessment, mean of years ending March {_FACTOR_YEARS[0]}-{_FACTOR_YEARS[-1]} / 12 "
                             "('c' counted as 3; years with other codes skipped)",
            "exploitation_identifications": "the same for child sexual plus child criminal exploitation",
            "missing_episodes": missing_rule,
            "population_0_17": "ONS mid-year estimate of children aged 0-17 for the calendar year (DfE file)",
            "calibration_window": f"expected counts average the monthly level over {_CALIBRATION_WINDOW[0]}.."
                                  f"{_CALIBRATION_WINDOW[1]}",
        },
    }


def _population_by_year(cal: dict, code: str) -> dict[int, int]:
    row = cal["population"].loc[code]
    return {int(y): int(round(v)) for y, v in row.items() if 2015 <= int(y) <= 2024 and pd.notna(v)}


def _levels_for(cal: dict, code: str) -> dict[str, float]:
    efr = float(cal["efr"].get(code, np.nan))
    exploit = float(cal["exploitation"].get(code, np.nan))
    missing = float(cal["missing"].get(code, np.nan)) if len(cal["missing"]) else np.nan
    if not math.isfinite(missing):
        missing = efr * cal["missing_ratio"]
    return {"efr_referrals": _r(efr, 3), "missing_episodes": _r(missing, 3), "exploitation_identifications": _r(exploit, 3)}


def _english_areas(cal: dict) -> list[str]:
    """English LAs with factor data and a population for every year 2015-2024 (so not re-drawn by reorganisation)."""
    levels = cal["levels"]
    pop = cal["population"]
    years = [y for y in range(2015, 2025)]
    full = pop.index[pop.reindex(columns=years).notna().all(axis=1)]
    return [c for c in levels.index if levels[c] == "Local authority" and c in cal["efr"].index
            and math.isfinite(cal["efr"][c]) and c in full and math.isfinite(cal["exploitation"].get(c, np.nan))]


def default_parameters(seed: int = DEFAULT_SEED, per_arm: int = 300) -> Parameters:
    """The generator's parameters: calibrated magnitudes plus site effects drawn with ``seed``.

    Site-varying true effects are drawn once from ``default_rng([seed, 0])`` around
    framework means (stated in the code and the manifest) and rounded to 4 decimals, so
    that the manifest holds exactly the values used.
    """
    from . import sites as site_register

    rng = rng_for(seed, "parameters")
    register = site_register.register()
    cal = calibration_targets()
    series_trend = {"efr_referrals": 0.06, "missing_episodes": -0.01, "exploitation_identifications": 0.08}
    other_sites = {str(c) for c in register["area_code"]}

    framework_means = {
        # ITS level change (log rate ratio) per measure, and slope change per month (log scale)
        "its_log_level": {
            "contextual_safeguarding": {"efr_referrals": -0.10, "missing_episodes": -0.12, "exploitation_identifications": 0.10},
            "trauma_informed_practice": {"efr_referrals": -0.06, "missing_episodes": -0.08, "exploitation_identifications": 0.04},
            "transitional_safeguarding": {"efr_referrals": -0.08, "missing_episodes": -0.10, "exploitation_identifications": 0.06},
        },
        "its_slope_mean": -0.0015, "its_slope_sd": 0.0010, "its_level_sd": 0.04,
        "cohort_log_rr_missing": {"contextual_safeguarding": -0.22, "trauma_informed_practice": -0.12,
                                  "transitional_safeguarding": -0.16},
        "cohort_site_sd": 0.06,
    }
    ethnicity = {
        "devon": [0.90, 0.02, 0.02, 0.04, 0.02],
        "safer_london": [0.38, 0.28, 0.13, 0.14, 0.07],
        "reading": [0.60, 0.11, 0.15, 0.10, 0.04],
        "north_lanarkshire": [0.94, 0.01, 0.02, 0.02, 0.01],
        "hackney": [0.35, 0.30, 0.10, 0.16, 0.09],
        "sheffield": [0.72, 0.07, 0.10, 0.07, 0.04],
    }
    journeys = {
        "devon": [("mobilising", "enter", 0), ("designing", "enter", 5), ("developing", "enter", 7),
                  ("integrating", "enter", 10), ("growing", "enter", 12), ("growing", "stall", 8),
                  ("growing", "restart", 5), ("system_change", "enter", 9)],
        "safer_london": [("mobilising", "enter", 0), ("designing", "enter", 6), ("developing", "enter", 8),
                         ("developing", "stall", 6), ("developing", "restart", 6), ("integrating", "enter", 8),
                         ("growing", "enter", 12)],
        "reading": [("mobilising", "enter", 0), ("designing", "enter", 6), ("developing", "enter", 8),
                    ("integrating", "enter", 12), ("growing", "enter", 14)],
        "north_lanarkshire": [("mobilising", "enter", 0), ("designing", "enter", 7), ("developing", "enter", 9),
                              ("developing", "stall", 5), ("developing", "restart", 8), ("integrating", "enter", 10)],
        "hackney": [("mobilising", "enter", 0), ("designing", "enter", 5), ("developing", "enter", 7),
                    ("integrating", "enter", 10), ("developing", "regress", 9), ("integrating", "enter", 9)],
        "sheffield": [("mobilising", "enter", 0), ("designing", "enter", 6), ("designing", "stall", 5),
                      ("designing", "restart", 5), ("developing", "enter", 6), ("integrating", "enter", 10),
                      ("growing", "enter", 12)],
    }
    english = _english_areas(cal)
    site_pop_2018 = {}
    params_sites: dict[str, SiteParameters] = {}
    proxy_note = ""
    for _, row in register.iterrows():
        sid = str(row["site_id"])
        framework = str(row["framework"])
        start = pd.Timestamp(row["innovation_start"]).replace(day=1).strftime("%Y-%m-%d")
        areas: list[AreaSpec] = []
        code = str(row["area_code"])
        if sid == "north_lanarkshire":
            # Proxy: the English LA with the child population closest to the stated figure.
            candidates = [c for c in english if c not in other_sites]
            pops = {c: float(cal["population"].loc[c, 2018]) for c in candidates}
            proxy = min(pops, key=lambda c: (abs(pops[c] - NORTH_LANARKSHIRE_CHILDREN), c))
            proxy_levels = _levels_for(cal, proxy)
            proxy_pop = pops[proxy]
            proxy_note = (f"North Lanarkshire has no DfE data: per-child monthly rates of the proxy English LA "
                          f"{proxy} ({cal['names'][proxy]}, the English LA outside the study whose 2018 child population "
                          f"is closest to {NORTH_LANARKSHIRE_CHILDREN:,}) applied to {NORTH_LANARKSHIRE_CHILDREN:,} children "
                          f"(falling 0.8% a year); comparators {', '.join(SCOTTISH_COMPARATOR_CODES)} are synthetic "
                          "codes not assigned to any real council area, with populations and rates scaled from the proxy "
                          "by stated random factors.")
            rates = {m: v / proxy_pop for m, v in proxy_levels.items()}
            base_pop = NORTH_LANARKSHIRE_CHILDREN
            for k, acode in enumerate((code,) + SCOTTISH_COMPARATOR_CODES):
                role = "site" if k == 0 else "comparator"
                pfac = 1.0 if k == 0 else _r(rng.uniform(0.55, 1.35), 3)
                rfac = 1.0 if k == 0 else _r(math.exp(rng.normal(0, 0.15)), 3)
                p = {y: int(round(base_pop * pfac * (1 - 0.008) ** (y - 2018))) for y in range(2015, 2025)}
                lvl = {m: _r(rates[m] * p[2023] * rfac, 3) for m in rates}
                areas.append(AreaSpec(acode, role, "North Lanarkshire" if k == 0 else f"Synthetic Scottish comparator {k}",
                                      p, lvl, {m: _r(t + rng.normal(0, 0.02)) for m, t in series_trend.items()},
                                      f"proxy {proxy} rates x {rfac} on population x {pfac}"))
        else:
            if sid == "safer_london":
                levels = cal["levels"]
                regions = [c for c in levels.index if levels[c] == "Regional" and c != code and c.startswith("E12")]
                london = float(cal["population"].loc[code, 2018])
                comparators = sorted(regions, key=lambda c: (abs(float(cal["population"].loc[c, 2018]) - london), c))[:3]
                rule = "English regions with the 2018 child populations closest to London's"
            else:
                neighbours = _statistical_neighbours(code)
                comparators = [c for c in neighbours if c not in other_sites and c in english][:3]
                rule = "first three DfE statistical neighbours (2021 model) outside the study with factor data and a population for every year 2015-2024"
            for k, acode in enumerate([code] + comparators):
                areas.append(AreaSpec(
                    acode, "site" if k == 0 else "comparator", str(cal["names"][acode]), _population_by_year(cal, acode),
                    _levels_for(cal, acode), {m: _r(t + rng.normal(0, 0.02)) for m, t in series_trend.items()},
                    "own public magnitudes" + ("" if k == 0 else f"; comparator chosen as: {rule}")))
        site_pop_2018[sid] = areas[0].population[2018]
        its = {}
        for m in schemas.AREA_MEASURES:
            lvl = framework_means["its_log_level"][framework][m] + rng.normal(0, framework_means["its_level_sd"])
            slope = rng.normal(framework_means["its_slope_mean"], framework_means["its_slope_sd"])
            its[m] = ITSEffect(_r(math.exp(lvl)), _r(slope, 5))
        sd = framework_means["cohort_site_sd"]
        effects = CohortEffects(
            missing_episodes_rate_ratio=_r(math.exp(framework_means["cohort_log_rr_missing"][framework] + rng.normal(0, sd))),
            exploitation_risk_slope_per_month=_r(rng.normal(-0.08, 0.025)),
            swemwbs_slope_per_month=_r(rng.normal(0.06, 0.02)),
            attendance_slope_per_month=_r(rng.normal(0.12, 0.04)),
            placement_moves_rate_ratio=_r(math.exp(rng.normal(-0.15, 0.08))),
            justice_contact_odds_ratio=_r(math.exp(rng.normal(-0.25, 0.10))),
        )
        params_sites[sid] = SiteParameters(
            site_id=sid, framework=framework, innovation_start=start, areas=areas, its=its, cohort_effects=effects,
            ethnicity=dict(zip(("white", "black", "asian", "mixed", "other"), ethnicity[sid])),
            journey=[(s, e, float(d)) for s, e, d in journeys[sid]],
            facilitator_logit=_r(rng.normal(0.2, 0.4)),
            survey_effect=_r(rng.normal(0.0, 0.3)),
            cost_scale=0.0,
        )
    ref = float(np.median(list(site_pop_2018.values())))
    for sid, sp in params_sites.items():
        sp.cost_scale = _r(min(max(math.sqrt(site_pop_2018[sid] / ref), 0.6), 1.6), 3)
    series = SeriesModel(
        harmonics={"efr_referrals": [0.05, -0.03, 0.04, 0.02], "missing_episodes": [-0.06, -0.05, 0.02, -0.02],
                   "exploitation_identifications": [0.04, -0.02, 0.03, 0.01]},
        dispersion={"efr_referrals": 0.01, "missing_episodes": 0.015, "exploitation_identifications": 0.02},
        covid_log_rate_ratio={"efr_referrals": -0.20, "missing_episodes": -0.25, "exploitation_identifications": -0.15},
    )
    calibration = {
        "rules": cal["rules"],
        "north_lanarkshire": proxy_note,
        "north_lanarkshire_population_source": NORTH_LANARKSHIRE_SOURCE,
        "framework_means": framework_means,
        "cost_scale": "square root of the site's 2018 child population over the median site's, bounded to 0.6-1.6",
        "sources": "DfE children in need census (factors at the end of assessment); DfE children looked after "
                   "(missing incidents); ONS mid-year population estimates; HM Treasury GDP deflators (March 2026). "
                   "Open Government Licence v3.0.",
    }
    return Parameters(seed=int(seed), sites=params_sites, series=series, cohort=CohortModel(per_arm=int(per_arm)),
                      costs=CostModel(), activity=ActivityModel(), calibration=calibration)


# ======================================================================================
# Area series
# ======================================================================================


def _months(start: str, end: str) -> pd.DatetimeIndex:
    return pd.date_range(start, end, freq="MS")


def _nb(rng: np.random.Generator, mu: np.ndarray, alpha: float | np.ndarray) -> np.ndarray:
    """Negative binomial (NB2) draws as a gamma-Poisson mixture: Var = mu + alpha mu^2."""
    alpha = np.broadcast_to(np.asarray(alpha, dtype=float), np.shape(mu))
    lam = np.where(alpha > 0, mu * rng.gamma(1.0 / np.maximum(alpha, 1e-12), np.maximum(alpha, 1e-12)), mu)
    return rng.poisson(lam)


def area_expected(params: Parameters, site_id: str) -> pd.DataFrame:
    """Expected monthly counts (no noise) of every area and measure of a site.

    ``log mu_t = log N_t + b0 + trend * (t - t_c)/12 + harmonics(month) + covid_t
    + post_t * [log(level RR) + slope * (t - t0)]`` (the innovation term for the site's
    own area only); ``b0`` is set so that the mean of ``mu`` over the calibration window
    equals the calibrated monthly level.
    """
    sp = params.sites[site_id]
    sm = params.series
    months = _months(sm.start, sm.end)
    t = np.arange(len(months), dtype=float)
    month_of_year = months.month.to_numpy()
    start = pd.Timestamp(sp.innovation_start)
    t0 = float((start.year - months[0].year) * 12 + start.month - months[0].month)
    post = (t >= t0).astype(int)
    covid = np.asarray((months >= pd.Timestamp(sm.covid_start)) & (months <= pd.Timestamp(sm.covid_end)))
    window = np.asarray((months >= pd.Timestamp(_CALIBRATION_WINDOW[0])) & (months <= pd.Timestamp(_CALIBRATION_WINDOW[1])))
    t_c = float(np.mean(t[window]))
    frames = []
    for area in sp.areas:
        pop = np.array([area.population[y] for y in months.year], dtype=float)
        for m in schemas.AREA_MEASURES:
            h = sm.harmonics[m]
            w = 2 * np.pi * month_of_year / 12.0
            log_mu = (np.log(pop) + area.log_trend_per_year[m] * (t - t_c) / 12.0
                      + h[0] * np.sin(w) + h[1] * np.cos(w) + h[2] * np.sin(2 * w) + h[3] * np.cos(2 * w)
                      + sm.covid_log_rate_ratio[m] * covid)
            if area.area_role == "site":
                eff = sp.its[m]
                log_mu = log_mu + post * (math.log(eff.level_rate_ratio) + eff.slope_change_per_month * (t - t0))
            b0 = math.log(area.monthly_level[m]) - math.log(np.mean(np.exp(log_mu[window])))
            frames.append(pd.DataFrame({
                "site_id": site_id, "area_code": area.area_code, "area_role": area.area_role, "month": months,
                "measure": m, "expected": np.exp(log_mu + b0), "population_0_17": pop.astype(np.int64), "post": post,
            }))
    return pd.concat(frames, ignore_index=True)


def simulate_area_series(params: Parameters, rng: np.random.Generator, sites: list[str] | None = None) -> pd.DataFrame:
    """Monthly area series (the ``area_series`` table) for the given sites (default all).

    Counts are negative binomial (gamma-Poisson) around :func:`area_expected`.
    """
    parts = []
    for sid in sites or list(params.sites):
        exp_frame = area_expected(params, sid)
        alpha = exp_frame["measure"].map(params.series.dispersion).to_numpy(dtype=float)
        counts = _nb(rng, exp_frame["expected"].to_numpy(), alpha)
        parts.append(exp_frame.drop(columns="expected").assign(count=counts.astype(np.int64)))
    out = pd.concat(parts, ignore_index=True)
    return out[schemas.get("area_series").column_names]


# ======================================================================================
# Cohort: young people and outcomes
# ======================================================================================


def _solve_intercept(lin: np.ndarray, target: float = 0.5) -> float:
    return float(brentq(lambda a: float(np.mean(expit(a + lin))) - target, -30, 30))


def simulate_cohort(
    params: Parameters, rng: np.random.Generator, sites: list[str] | None = None, per_arm: int | None = None,
    return_latent: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame] | tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Young people and their four waves of outcomes (tables ``young_people``, ``outcomes``).

    Model (per site; coefficients in :class:`CohortModel`, arm effects in
    :class:`CohortEffects`): baseline covariates with a latent vulnerability ``z``;
    innovation arm with probability ``expit(a + ps_age (age-14) + ps_risk (risk-15) +
    ps_looked_after LAC + ps_log_prior_missing log1p(prior))`` (confounded: older, higher
    risk, looked after more likely innovation); missing episodes NB2 with a normal person
    random effect (wave 0 = prior missing episodes); risk score, SWEMWBS and attendance
    linear with person random intercepts and slopes on months; placement moves from a
    Poisson process while in care (also the placements table); justice contact logistic
    with a person random effect; monotone attrition at 6, 12, 18 months with
    ``expit(attr_intercept + ...)`` on observed values (MAR).

    With ``return_latent`` a third frame carries the complete (unmasked) outcomes and the
    latent values, used to build placements and service activity.
    """
    cm = params.cohort
    n_arm = int(per_arm if per_arm is not None else cm.per_arm)
    chosen = sites or list(params.sites)
    yp_parts, out_parts, latent_parts = [], [], []
    next_id = 1
    for sid in chosen:
        sp = params.sites[sid]
        eff = sp.cohort_effects
        n = 2 * n_arm
        age = 10 + rng.choice(8, size=n, p=np.asarray(cm.age_probs) / np.sum(cm.age_probs))
        female = rng.random(n) < cm.female_share
        eth_names = list(sp.ethnicity)
        eth_p = np.array([sp.ethnicity[e] for e in eth_names])
        ethnicity = np.array(eth_names, dtype=object)[rng.choice(len(eth_names), size=n, p=eth_p / eth_p.sum())]
        lac = (rng.random(n) < expit(-1.2 + 0.15 * (age - 14))).astype(int)
        z = rng.normal(size=n)
        prior = _nb(rng, np.exp(0.6 + 0.6 * lac + 0.5 * z + 0.1 * (age - 14)), 0.8)
        # exploitation-risk score: latent level, measured at waves with residual error
        level = cm.risk_intercept + cm.risk_z * z + cm.risk_looked_after * lac + cm.risk_age * (age - 14)
        e0 = rng.normal(0, cm.risk_residual_sd, n)
        risk0 = np.clip(np.round(level + e0, 1), 0, 30)
        lin = (cm.ps_age * (age - 14) + cm.ps_risk * (risk0 - 15) + cm.ps_looked_after * lac
               + cm.ps_log_prior_missing * np.log1p(prior))
        a = _solve_intercept(lin)
        innovation = (rng.random(n) < expit(a + lin)).astype(int)
        start = pd.Timestamp(cm.recruitment_start)
        baseline = start + pd.to_timedelta(rng.integers(0, cm.recruitment_days, n), unit="D")
        ids = [f"YP{next_id + i:05d}" for i in range(n)]
        next_id += n
        if next_id > 99999:
            raise ValueError("too many young people for the five-digit person_id (YP00001..YP99999)")
        male = (~female).astype(int)
        waves = np.array(schemas.WAVE_MONTHS, dtype=float)  # months
        post = (waves > 0).astype(float)
        W = len(waves)
        # missing episodes
        u = rng.normal(0, cm.miss_person_sd, n)
        eta = (cm.miss_intercept + cm.miss_looked_after * lac + cm.miss_age * (age - 14) + cm.miss_log_prior * np.log1p(prior)
               + cm.miss_risk_per5 * (risk0 - 15) / 5 + u)
        log_mu = (eta[:, None] + post[None, :] * (cm.miss_post + cm.miss_post_risk_per5 * (risk0[:, None] - 15) / 5
                                                  + math.log(eff.missing_episodes_rate_ratio) * innovation[:, None]))
        missing = _nb(rng, np.exp(log_mu), cm.miss_alpha)
        missing[:, 0] = prior
        # exploitation-risk score
        slope_r = (cm.risk_slope + cm.risk_slope_age * (age - 14) + cm.risk_slope_looked_after * lac
                   + cm.risk_slope_log_prior * np.log1p(prior) + eff.exploitation_risk_slope_per_month * innovation
                   + rng.normal(0, cm.risk_slope_sd, n))
        risk = level[:, None] + slope_r[:, None] * waves[None, :] + rng.normal(0, cm.risk_residual_sd, (n, W))
        risk[:, 0] = level + e0
        risk = np.clip(np.round(risk, 1), 0, 30)
        # SWEMWBS
        w_level = (cm.swem_intercept + cm.swem_z * z + cm.swem_looked_after * lac + cm.swem_male * male
                   + rng.normal(0, cm.swem_person_sd, n))
        slope_w = (cm.swem_slope + cm.swem_slope_age * (age - 14) + cm.swem_slope_looked_after * lac
                   + eff.swemwbs_slope_per_month * innovation + rng.normal(0, cm.swem_slope_sd, n))
        swem = np.clip(np.round(w_level[:, None] + slope_w[:, None] * waves[None, :]
                                + rng.normal(0, cm.swem_residual_sd, (n, W)), 2), 7, 35)
        # attendance
        a_level = 100 * expit(cm.att_logit_intercept + cm.att_logit_z * z + cm.att_logit_looked_after * lac
                              + cm.att_logit_age * (age - 14))
        slope_a = (cm.att_slope + cm.att_slope_age * (age - 14) + eff.attendance_slope_per_month * innovation
                   + rng.normal(0, cm.att_slope_sd, n))
        attend = np.clip(np.round(a_level[:, None] + slope_a[:, None] * waves[None, :]
                                  + rng.normal(0, cm.att_residual_sd, (n, W)), 1), 0, 100)
        # justice contact
        v = rng.normal(0, cm.justice_person_sd, n)
        logit_j = (cm.justice_intercept + cm.justice_z * z + cm.justice_looked_after * lac + cm.justice_male * male
                   + cm.justice_age * (age - 14) + v)[:, None] + post[None, :] * (
                       cm.justice_post + math.log(eff.justice_contact_odds_ratio) * innovation[:, None])
        justice = (rng.random((n, W)) < expit(logit_j)).astype(int)
        # care: entry for those not looked after; placement moves as a Poisson process while in care
        window_start = waves - 6.0  # months relative to baseline
        entry = np.where(lac == 1, -rng.uniform(6.5, 48.0, n), np.where(rng.random(n) < cm.care_entry_prob,
                                                                         rng.uniform(0, 18.0, n), np.inf))
        frail = rng.gamma(cm.moves_frailty_shape, 1.0 / cm.moves_frailty_shape, n)
        rate = np.exp(cm.moves_intercept + cm.moves_z * z + cm.moves_log_prior * np.log1p(prior))[:, None] * frail[:, None] * \
            np.exp(post[None, :] * (cm.moves_post + math.log(eff.placement_moves_rate_ratio) * innovation[:, None]))
        in_care = np.clip(waves[None, :] - np.maximum(window_start[None, :], entry[:, None]), 0, 6.0)  # months in care
        moves = rng.poisson(rate * in_care / 6.0)
        # attrition (monotone, MAR)
        observed = np.ones((n, W), dtype=int)
        for k in range(1, W):
            p_drop = expit(cm.attr_intercept + cm.attr_looked_after * lac + cm.attr_log_prev_missing * np.log1p(missing[:, k - 1])
                           + cm.attr_age * (age - 14) + cm.attr_comparison * (1 - innovation))
            drop = rng.random(n) < p_drop
            observed[:, k] = observed[:, k - 1] * (~drop)
        yp_parts.append(pd.DataFrame({
            "person_id": ids, "site_id": sid, "arm": np.where(innovation == 1, "innovation", "comparison"),
            "sex": np.where(female, "female", "male"), "age_at_baseline": age.astype(np.int64), "ethnicity": ethnicity,
            "looked_after": lac.astype(np.int64), "prior_missing_episodes": prior.astype(np.int64),
            "baseline_risk_score": risk0, "baseline_date": baseline,
        }))
        rep = np.repeat(np.array(ids, dtype=object), W)
        obs_flat = observed.ravel()
        full = pd.DataFrame({
            "person_id": rep, "wave_month": np.tile(np.array(schemas.WAVE_MONTHS, dtype=np.int64), n), "observed": obs_flat,
            "missing_episodes": missing.ravel().astype(float), "exploitation_risk_score": risk.ravel(),
            "swemwbs": swem.ravel(), "school_attendance_pct": attend.ravel(), "placement_moves": moves.ravel().astype(float),
            "justice_contact": justice.ravel().astype(float),
        })
        masked = full.copy()
        for c in schemas.OUTCOME_COLUMNS:
            masked[c] = masked[c].where(obs_flat == 1)
        out_parts.append(masked)
        if return_latent:
            latent_parts.append(pd.DataFrame({
                "person_id": ids, "site_id": sid, "z": z, "care_entry_month": entry, "propensity_intercept": a,
                "arm": np.where(innovation == 1, "innovation", "comparison"), "baseline_date": baseline,
                "age": age, "risk0": risk0,
                **{f"moves_{int(w)}": moves[:, k] for k, w in enumerate(waves)},
            }))
    young_people = pd.concat(yp_parts, ignore_index=True)
    outcomes = pd.concat(out_parts, ignore_index=True)
    if return_latent:
        return young_people, outcomes, pd.concat(latent_parts, ignore_index=True)
    return young_people, outcomes


# ======================================================================================
# Service activity and placements
# ======================================================================================


def simulate_service_activity(params: Parameters, young_people: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Contact hours by staff role and month for 18 months from each baseline (rows with hours > 0)."""
    am = params.activity
    n = len(young_people)
    framework = young_people["site_id"].map(lambda s: params.sites[s].framework).to_numpy()
    arm = young_people["arm"].to_numpy()
    risk = young_people["baseline_risk_score"].to_numpy()
    open_months = np.clip(np.round(rng.gamma(am.open_months_shape, am.open_months_scale * (1 + 0.03 * (risk - 15)).clip(0.5))
                                   + am.min_open_months), am.min_open_months, 18).astype(int)
    base_month = young_people["baseline_date"].dt.to_period("M").dt.to_timestamp().to_numpy()
    rows_person, rows_month, rows_role, rows_hours = [], [], [], []
    month_index = np.arange(18)
    active = month_index[None, :] < open_months[:, None]  # n x 18
    for role in schemas.STAFF_ROLES:
        p = np.array([params.activity.p_contact[a][role] for a in arm])
        boost = np.array([1.3 if (a == "innovation" and am.framework_emphasis[f] == role) else 1.0
                          for a, f in zip(arm, framework)])
        p = np.clip(p * boost, 0, 0.98)
        mean = np.array([params.activity.mean_hours[a][role] for a in arm]) * np.exp(am.risk_hours_per_point * (risk - 15))
        contact = active & (rng.random((n, 18)) < p[:, None])
        hours = rng.gamma(am.hours_shape, mean[:, None] / am.hours_shape, (n, 18))
        hours = np.round(hours * 4) / 4
        keep = contact & (hours > 0)
        i, k = np.nonzero(keep)
        rows_person.append(i)
        rows_month.append(k)
        rows_role.append(np.full(len(i), role, dtype=object))
        rows_hours.append(hours[i, k])
    i = np.concatenate(rows_person)
    k = np.concatenate(rows_month)
    months = _add_months(pd.DatetimeIndex(base_month[i]), k)
    frame = pd.DataFrame({
        "person_id": young_people["person_id"].to_numpy()[i], "site_id": young_people["site_id"].to_numpy()[i],
        "month": months, "staff_role": np.concatenate(rows_role), "contact_hours": np.concatenate(rows_hours),
    })
    return frame.sort_values(["person_id", "month", "staff_role"], kind="stable").reset_index(drop=True)


def _add_months(months: pd.DatetimeIndex, k: np.ndarray) -> pd.DatetimeIndex:
    total = months.year.to_numpy() * 12 + (months.month.to_numpy() - 1) + np.asarray(k, dtype=int)
    return pd.to_datetime({"year": total // 12, "month": total % 12 + 1, "day": 1})


def simulate_placements(params: Parameters, young_people: pd.DataFrame, latent: pd.DataFrame,
                        rng: np.random.Generator) -> pd.DataFrame:
    """Placements consistent with the cohort: one placement from entry to care, one more per move.

    Moves in each 6-month window before a wave are the ``placement_moves`` of that wave
    (the complete values, also for young people later lost to follow-up: placements are
    administrative records). Placements are contiguous; the last ends 18 months after
    baseline (end of observation).
    """
    lat = latent.set_index("person_id")
    rows = []
    for person, site, base, age, risk in zip(young_people["person_id"], young_people["site_id"],
                                                 young_people["baseline_date"], young_people["age_at_baseline"],
                                                 young_people["baseline_risk_score"]):
        info = lat.loc[person]
        entry = float(info["care_entry_month"])
        if not math.isfinite(entry):
            continue
        starts = [entry]
        for w in schemas.WAVE_MONTHS:
            k = int(info[f"moves_{w}"])
            if k:
                lo = max(w - 6.0, entry)
                starts.extend(sorted(rng.uniform(lo, w, k).tolist()))
        end = 18.0
        days = [int(math.floor(s * 30.4375)) for s in starts]
        # strictly increasing days (moves on the same day are pushed by one day)
        for j in range(1, len(days)):
            if days[j] <= days[j - 1]:
                days[j] = days[j - 1] + 1
        end_day = max(int(math.floor(end * 30.4375)), days[-1])
        for j, d in enumerate(days):
            age_then = age + d / 365.25
            p_res = expit(-2.0 + 0.3 * (age_then - 14) + 0.12 * (risk - 15))
            p_sec = 0.01 + (0.05 if risk > 22 else 0.0)
            p_sup = 0.30 if age_then >= 16 else 0.0
            u = rng.random()
            if u < p_sec:
                kind = "secure"
            elif u < p_sec + p_sup:
                kind = "supported_accommodation"
            elif u < p_sec + p_sup + p_res * (1 - p_sec - p_sup):
                kind = "residential"
            else:
                kind = "fostering"
            stop = (days[j + 1] - 1) if j + 1 < len(days) else end_day
            rows.append((person, site, kind, base + pd.Timedelta(days=d), base + pd.Timedelta(days=max(stop, d))))
    frame = pd.DataFrame(rows, columns=["person_id", "site_id", "placement_type", "start_date", "end_date"])
    frame = frame.sort_values(["person_id", "start_date"], kind="stable").reset_index(drop=True)
    frame.insert(0, "placement_id", [f"PL{i + 1:06d}" for i in range(len(frame))])
    return frame


# ======================================================================================
# Innovation costs
# ======================================================================================


def _financial_year(date: pd.Timestamp) -> str:
    y = date.year if date.month >= 4 else date.year - 1
    return f"{y}-{(y + 1) % 100:02d}"


def _deflators() -> dict[str, float]:
    """HM Treasury GDP deflator index by financial year, from innovate.public."""
    from . import public

    frame = public.gdp_deflators()
    return {str(k): float(v) for k, v in zip(frame["fiscal_year"], frame["gdp_deflator"])}


def simulate_innovation_costs(params: Parameters, rng: np.random.Generator, deflators: dict[str, float] | None = None
                              ) -> pd.DataFrame:
    """Start-up costs in the first financial years of each innovation, running costs after.

    Amounts are drawn in ``CostModel.price_year`` prices and converted to the cash prices
    of each year with the HM Treasury GDP deflator (cash = real x index_year / index_price_year).
    """
    cm = params.costs
    deflators = deflators if deflators is not None else _deflators()
    base_index = deflators[cm.price_year]
    last = int(cm.last_year[:4])
    rows = []
    for sid, sp in params.sites.items():
        first = int(_financial_year(pd.Timestamp(sp.innovation_start))[:4])
        for y in range(first, last + 1):
            fy = f"{y}-{(y + 1) % 100:02d}"
            k = y - first
            lines = []
            if k < cm.start_up_years:
                share = 1.0 if k == 0 else cm.second_start_up_year_share
                lines += [("start_up", item, amount * share) for item, amount in cm.start_up.items()]
            if k >= 1:
                lines += [("running", item, amount) for item, amount in cm.running.items()]
            for category, item, amount in lines:
                real = amount * sp.cost_scale * math.exp(rng.normal(0, cm.noise_sd))
                cash = real * deflators[fy] / base_index
                rows.append((sid, fy, category, item, round(cash, 2)))
    return pd.DataFrame(rows, columns=["site_id", "financial_year", "cost_category", "item", "amount_gbp"])


# ======================================================================================
# Stage events, coded segments, surveys
# ======================================================================================


def simulate_stage_events(params: Parameters, rng: np.random.Generator) -> pd.DataFrame:
    """Each site's journey: the scripted sequence of events with durations drawn around the script.

    The duration before each event is ``months x lognormal(0, 0.25)``; events after
    ``JOURNEY_END`` are not generated (the journey continues beyond the study).
    """
    end = pd.Timestamp(JOURNEY_END)
    rows = []
    for sid, sp in params.sites.items():
        date = pd.Timestamp(sp.innovation_start)
        for j, (stage, kind, months) in enumerate(sp.journey):
            if j > 0:
                days = int(round(months * math.exp(rng.normal(0, 0.25)) * 30.4375))
                date = date + pd.Timedelta(days=max(days, 14))
            if date > end:
                break
            rows.append((sid, date, stage, kind))
    frame = pd.DataFrame(rows, columns=["site_id", "event_date", "stage", "event_type"])
    order = {s: i for i, s in enumerate(params.sites)}
    frame = frame.sort_values(["site_id", "event_date"], key=lambda s: s.map(order) if s.name == "site_id" else s,
                              kind="stable").reset_index(drop=True)
    frame.insert(0, "event_id", [f"EV{i + 1:04d}" for i in range(len(frame))])
    return frame


def stage_at(events: pd.DataFrame, site_id: str, date: pd.Timestamp) -> tuple[str | None, bool, list[str]]:
    """The stage a site was in on ``date``, whether it was stalled or had regressed, and the stages reached."""
    ev = events[(events["site_id"] == site_id) & (events["event_date"] <= date)]
    if ev.empty:
        return None, False, []
    last = ev.iloc[-1]
    troubled = last["event_type"] in ("stall", "regress")
    reached = list(dict.fromkeys(ev["stage"].tolist()))
    return str(last["stage"]), bool(troubled), reached


def simulate_coded_segments(params: Parameters, events: pd.DataFrame, codebook: pd.DataFrame,
                            rng: np.random.Generator) -> pd.DataFrame:
    """Coded segments (~150-300 a site): codes only, no text of speech.

    ``P(facilitator) = expit(site effect + 0.15 x stage order - 0.9 if stalled or regressed
    at the wave)``; codes are drawn, within the domain, from codes whose ``domain_hint``
    allows it, with site-specific Dirichlet weights; a segment's stage is the site's stage at
    the wave (75%) or an earlier stage it had reached.
    """
    codes = codebook["code"].astype(str).tolist()
    hints = codebook["domain_hint"].astype(str).tolist()
    roles = list(schemas.PARTICIPANT_ROLES)
    role_p = np.array([0.18, 0.10, 0.32, 0.18, 0.10, 0.12])
    stage_order = {s: i for i, s in enumerate(schemas.STAGES)}
    rows = []
    for sid, sp in params.sites.items():
        n = int(rng.integers(150, 301))
        weights = rng.dirichlet(np.full(len(codes), 2.0))
        at_wave = {w: stage_at(events, sid, pd.Timestamp(d)) for w, d in enumerate(FIELDWORK_WAVES, start=1)}
        for _ in range(n):
            wave = int(rng.integers(1, 5))
            date = pd.Timestamp(FIELDWORK_WAVES[wave - 1])
            stage, troubled, reached = at_wave[wave]
            if stage is None:
                stage, reached = "mobilising", ["mobilising"]
            if rng.random() >= 0.75 and len(reached) > 1:
                stage = reached[int(rng.integers(0, len(reached)))]
            p_fac = expit(sp.facilitator_logit + 0.15 * stage_order[stage] - (0.9 if troubled else 0.0))
            domain = "facilitator" if rng.random() < p_fac else "barrier"
            allowed = np.array([h in (domain, "both") for h in hints])
            w = np.where(allowed, weights, 0.0)
            if "covid19_disruption" in codes and date.year > 2022:
                w[codes.index("covid19_disruption")] *= 0.2
            code = codes[int(rng.choice(len(codes), p=w / w.sum()))]
            role = roles[int(rng.choice(len(roles), p=role_p))]
            rows.append((sid, wave, role, stage, code, domain))
    frame = pd.DataFrame(rows, columns=["site_id", "wave", "participant_role", "stage", "code", "domain"])
    frame.insert(0, "segment_id", [f"SG{i + 1:05d}" for i in range(len(frame))])
    return frame


_CUTS = np.array([-2.2, -1.0, 0.2, 1.5])
_ITEM_SHIFT = {"listened_to": 0.25, "trusted_worker": 0.35, "felt_safer": -0.10, "partner_in_decisions": -0.30,
               "help_fitted_needs": 0.0, "overall_experience": 0.15}


def simulate_experience_survey(params: Parameters, rng: np.random.Generator) -> pd.DataFrame:
    """Experience survey (~80-150 respondents a site): cumulative-logit items on 1-5.

    ``latent = site effect + 0.25 (wave 2) + 0.20 (young person) + person N(0, 0.8) +
    item shift + logistic noise``, cut at (-2.2, -1.0, 0.2, 1.5); 1% of item answers
    left empty (item non-response).
    """
    rows = []
    for sid, sp in params.sites.items():
        n = int(rng.integers(80, 151))
        yp = rng.random(n) < 0.65
        wave = 1 + (rng.random(n) < 0.5).astype(int)
        person = rng.normal(0, 0.8, n)
        base = sp.survey_effect + 0.25 * (wave == 2) + 0.20 * yp + person
        items = {}
        for item, shift in _ITEM_SHIFT.items():
            latent = base + shift + rng.logistic(0, 1, n)
            score = 1 + (latent[:, None] > _CUTS[None, :]).sum(axis=1)
            score = score.astype(float)
            score[rng.random(n) < 0.01] = np.nan
            items[item] = score
        for i in range(n):
            rows.append({"site_id": sid, "respondent_type": "young_person" if yp[i] else "parent_carer",
                         "wave": int(wave[i]), **{k: v[i] for k, v in items.items()}})
    frame = pd.DataFrame(rows)
    frame.insert(0, "respondent_id", [f"R{i + 1:05d}" for i in range(len(frame))])
    return frame


_NATION_P = {"England": 0.55, "Scotland": 0.14, "Wales": 0.10, "Northern Ireland": 0.07, "Overseas": 0.14}
_TYPE_P = {"local_authority": 0.30, "voluntary_sector": 0.25, "health": 0.12, "police": 0.10, "education": 0.13, "other": 0.10}
_FRAMEWORK_P = {
    "contextual_safeguarding": {"England": 0.75, "Scotland": 0.45, "Wales": 0.60, "Northern Ireland": 0.50, "Overseas": 0.55},
    "trauma_informed_practice": {"England": 0.45, "Scotland": 0.80, "Wales": 0.60, "Northern Ireland": 0.55, "Overseas": 0.50},
    "transitional_safeguarding": {"England": 0.40, "Scotland": 0.20, "Wales": 0.30, "Northern Ireland": 0.20, "Overseas": 0.15},
}
_FRAMEWORK_YEARS = {"contextual_safeguarding": 3.5, "trauma_informed_practice": 3.0, "transitional_safeguarding": 2.0}
_ENGAGE_CUTS = np.array([0.6, 1.8, 3.0])


def simulate_network_survey(params: Parameters, rng: np.random.Generator) -> pd.DataFrame:
    """Learning-network survey (~150-250 organisations; one row per organisation and framework).

    Each organisation engages with each framework with a probability by nation (at least
    one); ``years_since_first_contact`` gamma around a framework mean; engagement is an
    ordinal cut of ``0.45 x years + 0.4 (local authority) + logistic(0, 0.8)`` at (0.6, 1.8, 3.0);
    transferability = round(2.4 + 0.5 x engagement level - 0.3 (overseas, Transitional
    Safeguarding) + N(0, 0.8)) kept within 1-5.
    """
    n = int(rng.integers(150, 251))
    nations = list(_NATION_P)
    types = list(_TYPE_P)
    nation = [nations[i] for i in rng.choice(len(nations), n, p=list(_NATION_P.values()))]
    otype = [types[i] for i in rng.choice(len(types), n, p=list(_TYPE_P.values()))]
    rows = []
    for i in range(n):
        engaged = [f for f in schemas.FRAMEWORKS if rng.random() < _FRAMEWORK_P[f][nation[i]]]
        if not engaged:
            engaged = [schemas.FRAMEWORKS[int(rng.integers(0, 3))]]
        for f in engaged:
            years = round(float(min(rng.gamma(2.0, _FRAMEWORK_YEARS[f] / 2.0), 30.0)), 1)
            latent = 0.45 * years + (0.4 if otype[i] == "local_authority" else 0.0) + rng.logistic(0, 0.8)
            level = int((latent > _ENGAGE_CUTS).sum())
            overseas_ts = 0.3 if (nation[i] == "Overseas" and f == "transitional_safeguarding") else 0.0
            trans = int(np.clip(np.round(2.4 + 0.5 * level - overseas_ts + rng.normal(0, 0.8)), 1, 5))
            rows.append((f"ORG{i + 1:04d}", nation[i], otype[i], f, schemas.ENGAGEMENT_LEVELS[level], trans, years))
    return pd.DataFrame(rows, columns=["organisation_id", "nation", "organisation_type", "framework", "engagement",
                                       "perceived_transferability", "years_since_first_contact"])


# ======================================================================================
# Everything together
# ======================================================================================


def _codebook() -> pd.DataFrame:
    from . import sites as site_register

    return site_register.codebook()


def generate(seed: int = DEFAULT_SEED, per_arm: int | None = None, params: Parameters | None = None
             ) -> dict[str, pd.DataFrame]:
    """Every case-level table, in memory, for one seed (``per_arm`` shrinks the cohort for tests)."""
    params = params if params is not None else default_parameters(seed)
    if per_arm is not None:
        params = copy.deepcopy(params)
        params.cohort.per_arm = int(per_arm)
    seed = params.seed
    tables: dict[str, pd.DataFrame] = {}
    tables["area_series"] = simulate_area_series(params, rng_for(seed, "area_series"))
    yp, outcomes, latent = simulate_cohort(params, rng_for(seed, "cohort"), return_latent=True)
    tables["young_people"] = yp
    tables["outcomes"] = outcomes
    tables["service_activity"] = simulate_service_activity(params, yp, rng_for(seed, "service_activity"))
    tables["placements"] = simulate_placements(params, yp, latent, rng_for(seed, "placements"))
    tables["innovation_costs"] = simulate_innovation_costs(params, rng_for(seed, "innovation_costs"))
    events = simulate_stage_events(params, rng_for(seed, "stage_events"))
    tables["stage_events"] = events
    tables["coded_segments"] = simulate_coded_segments(params, events, _codebook(), rng_for(seed, "coded_segments"))
    tables["experience_survey"] = simulate_experience_survey(params, rng_for(seed, "experience_survey"))
    tables["network_survey"] = simulate_network_survey(params, rng_for(seed, "network_survey"))
    return {name: tables[name] for name in schemas.CASE_TABLES}


def _jsonable(obj: object) -> object:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return float(f"{f:.10g}") if math.isfinite(f) else None
    return obj


_EFFECT_SUFFIXES = ("rate_ratio", "slope_per_month", "odds_ratio")
_OUTCOME_OF = {"exploitation_risk": "exploitation_risk_score", "attendance": "school_attendance_pct"}


def true_effects(params: Parameters) -> pd.DataFrame:
    """The true effects as a tidy table: site, design, measure, parameter, value."""
    rows = []
    for sid, sp in params.sites.items():
        for m, e in sp.its.items():
            rows.append((sid, "area_series", m, "level_rate_ratio", e.level_rate_ratio))
            rows.append((sid, "area_series", m, "slope_change_per_month", e.slope_change_per_month))
        for k, v in asdict(sp.cohort_effects).items():
            for suffix in _EFFECT_SUFFIXES:
                if k.endswith(suffix):
                    stem = k[: -len(suffix) - 1]
                    rows.append((sid, "cohort", _OUTCOME_OF.get(stem, stem), suffix, v))
    frame = pd.DataFrame(rows, columns=["site_id", "design", "measure", "parameter", "value"])
    return frame


#: The stated models, in words and symbols, as written to the manifest (names are fields of
#: CohortModel / CohortEffects / SeriesModel; t = months since baseline; post = t > 0; innov = 1
#: in the innovation arm; LAC = looked_after; prior = prior_missing_episodes; risk0 = baseline_risk_score).
MODEL_EQUATIONS: dict[str, str] = {
    "area_series": "count_t ~ NB2(mu_t, dispersion[measure]) as gamma-Poisson; log mu_t = log population_0_17 + b0 + "
                   "log_trend_per_year * (t - t_c)/12 + h1 sin(2 pi m/12) + h2 cos(2 pi m/12) + h3 sin(4 pi m/12) + "
                   "h4 cos(4 pi m/12) + covid_log_rate_ratio * [Apr 2020..Mar 2021] + [site's own area only] post_t * "
                   "(log level_rate_ratio + slope_change_per_month * (t - t0)); t = months from January 2015, m = calendar "
                   "month 1-12, t0 = innovation start month, t_c = centre of the calibration window; b0 makes the mean of "
                   "mu over the calibration window equal monthly_level",
    "baseline": "age = 10 + Categorical(age_probs); female ~ Bernoulli(female_share); ethnicity ~ site Categorical; "
                "LAC ~ Bernoulli(expit(-1.2 + 0.15 (age-14))); z ~ N(0,1) (latent, not in the data); prior ~ "
                "NB2(exp(0.6 + 0.6 LAC + 0.5 z + 0.1 (age-14)), 0.8); level = risk_intercept + risk_z z + "
                "risk_looked_after LAC + risk_age (age-14); risk0 = clip(round(level + e0, 1), 0, 30), e0 ~ N(0, "
                "risk_residual_sd)",
    "arm": "innov ~ Bernoulli(expit(a + ps_age (age-14) + ps_risk (risk0-15) + ps_looked_after LAC + "
           "ps_log_prior_missing log1p(prior))), a solved per site so that the mean propensity in the sample is 0.5",
    "missing_episodes": "wave 0 = prior; t > 0: NB2(mu, miss_alpha), log mu = miss_intercept + miss_looked_after LAC + "
                        "miss_age (age-14) + miss_log_prior log1p(prior) + miss_risk_per5 (risk0-15)/5 + u + miss_post + "
                        "miss_post_risk_per5 (risk0-15)/5 + log(missing_episodes_rate_ratio) innov, u ~ N(0, miss_person_sd)",
    "exploitation_risk_score": "wave 0 = risk0; t > 0: clip(round(level + s t + e, 1), 0, 30), s = risk_slope + "
                               "risk_slope_age (age-14) + risk_slope_looked_after LAC + risk_slope_log_prior log1p(prior) + "
                               "exploitation_risk_slope_per_month innov + N(0, risk_slope_sd), e ~ N(0, risk_residual_sd)",
    "swemwbs": "clip(round(W + s t + e, 2), 7, 35), W = swem_intercept + swem_z z + swem_looked_after LAC + swem_male male "
               "+ N(0, swem_person_sd), s = swem_slope + swem_slope_age (age-14) + swem_slope_looked_after LAC + "
               "swemwbs_slope_per_month innov + N(0, swem_slope_sd), e ~ N(0, swem_residual_sd)",
    "school_attendance_pct": "clip(round(A + s t + e, 1), 0, 100), A = 100 expit(att_logit_intercept + att_logit_z z + "
                             "att_logit_looked_after LAC + att_logit_age (age-14)), s = att_slope + att_slope_age (age-14) + "
                             "attendance_slope_per_month innov + N(0, att_slope_sd), e ~ N(0, att_residual_sd)",
    "placement_moves": "moves in the 6 months before the wave ~ Poisson(rate x months in care in that window / 6), rate = "
                       "exp(moves_intercept + moves_z z + moves_log_prior log1p(prior)) x Gamma(moves_frailty_shape, "
                       "1/moves_frailty_shape) x exp(post (moves_post + log(placement_moves_rate_ratio) innov)); LAC entered "
                       "care U(6.5, 48) months before baseline, others enter with probability care_entry_prob at U(0, 18) "
                       "months after; placements.csv holds one placement from entry plus one per move",
    "justice_contact": "Bernoulli(expit(justice_intercept + justice_z z + justice_looked_after LAC + justice_male male + "
                       "justice_age (age-14) + v + post (justice_post + log(justice_contact_odds_ratio) innov))), v ~ N(0, "
                       "justice_person_sd); the odds ratio is conditional on v",
    "attrition": "everyone observed at wave 0; at 6, 12, 18 months a young person observed at the previous wave is lost "
                 "with probability expit(attr_intercept + attr_looked_after LAC + attr_log_prev_missing log1p(missing "
                 "episodes at the previous wave) + attr_age (age-14) + attr_comparison (1 - innov)) and stays lost: "
                 "monotone, missing at random given observed values",
}


def manifest_dict(params: Parameters, files: dict[str, dict[str, object]]) -> dict:
    """The manifest: seed, generator, true parameters per site, shared models, calibration, files."""
    sites_out = {}
    for sid, sp in params.sites.items():
        d = asdict(sp)
        d["its_definition"] = ("log E[count_t] includes post_t * (log(level_rate_ratio) + slope_change_per_month * "
                               "(t - t0)), t - t0 = months since the innovation start month (0 in that month); "
                               "site's own area only, comparators have no effect")
        d["cohort_effects_definition"] = (
            "missing episodes and placement moves: rate ratio innovation vs comparison at waves 6-18 (arm x post); "
            "justice contact: conditional odds ratio (person random effect) arm x post; risk score, SWEMWBS, "
            "attendance: difference in slope per month (arm x months since baseline), before clipping to the scale")
        sites_out[sid] = d
    return _jsonable({
        "generator": GENERATOR,
        "generator_version": GENERATOR_VERSION,
        "seed": params.seed,
        "synthetic": True,
        "statement": "Synthetic data generated by the project's own generator; not the study's data. Illustrative only.",
        "command": f"python -m innovate synthesize --seed {params.seed} --out DIR",
        "sites": sites_out,
        "series_model": asdict(params.series),
        "cohort_model": asdict(params.cohort),
        "model_equations": MODEL_EQUATIONS,
        "attrition_model": {k: v for k, v in asdict(params.cohort).items() if k.startswith("attr_")},
        "cost_model": asdict(params.costs),
        "activity_model": asdict(params.activity),
        "calibration": params.calibration,
        "files": files,
    })  # type: ignore[return-value]


def write(out: Path | str, seed: int = DEFAULT_SEED, per_arm: int | None = None, params: Parameters | None = None
          ) -> dict[str, Path]:
    """Generate and write every table plus ``manifest.json`` into ``out``; returns the paths.

    The tables are validated against their schemas before writing; a generator bug raises
    ``DataError`` and writes nothing.
    """
    from .errors import DataError

    params = params if params is not None else default_parameters(seed)
    if per_arm is not None:
        params = copy.deepcopy(params)
        params.cohort.per_arm = int(per_arm)
    tables = generate(params=params)
    texts = {}
    typed = {}
    problems = []
    for name, frame in tables.items():
        table = schemas.get(name)
        text = schemas.to_csv_text(table, frame)
        texts[table.file] = text
        typed[name], more = schemas.validate_frame(
            table, pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False), table.file)
        problems += more
    for name, frame in typed.items():
        problems += schemas.check_foreign_keys(schemas.get(name), frame, typed)
    if problems:
        raise DataError(problems)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths, files = {}, {}
    for name, text in texts.items():
        data = text.encode("utf-8")
        (out / name).write_bytes(data)
        paths[name] = out / name
        files[name] = {"sha256": hashlib.sha256(data).hexdigest(), "rows": text.count("\n") - 1}
    manifest = manifest_dict(params, files)
    (out / schemas.MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    paths[schemas.MANIFEST_FILE] = out / schemas.MANIFEST_FILE
    return paths
