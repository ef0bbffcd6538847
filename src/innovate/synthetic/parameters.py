"""Parameters of the synthetic-data generator, calibrated to the real public statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from innovate.config import ENGLAND_CODE, PRICE_YEAR, SEED
from innovate.data import missing as data_missing
from innovate.data import public, schemas
from innovate.data import sites as data_sites

GENERATOR = "innovate.synthetic"
GENERATOR_VERSION = "1.0.0"

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
    "parameters": 0,
    "area_series": 1,
    "cohort": 2,
    "service_activity": 3,
    "placements": 4,
    "innovation_costs": 5,
    "stage_events": 6,
    "coded_segments": 7,
    "experience_survey": 8,
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

    start_up: dict[str, float] = field(
        default_factory=lambda: {
            "training": 60_000.0,
            "practice_development": 80_000.0,
            "project_management": 50_000.0,
            "partnership_work": 30_000.0,
            "evaluation_and_data": 20_000.0,
        }
    )
    running: dict[str, float] = field(
        default_factory=lambda: {
            "additional_staff": 250_000.0,
            "training": 25_000.0,
            "project_management": 30_000.0,
            "partnership_work": 20_000.0,
            "evaluation_and_data": 15_000.0,
            "practice_development": 12_000.0,
        }
    )
    start_up_years: int = 2
    second_start_up_year_share: float = 0.5
    noise_sd: float = 0.20  # log-normal noise on each line
    price_year: str = PRICE_YEAR
    last_year: str = "2024-25"


@dataclass
class ActivityModel:
    """Contact hours by role: monthly chance of any contact and mean hours when in contact."""

    p_contact: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "comparison": {
                "social_worker": 0.85,
                "senior_practitioner": 0.15,
                "youth_worker": 0.15,
                "specialist_exploitation_worker": 0.08,
                "family_support_worker": 0.25,
                "team_manager": 0.30,
            },
            "innovation": {
                "social_worker": 0.80,
                "senior_practitioner": 0.20,
                "youth_worker": 0.45,
                "specialist_exploitation_worker": 0.40,
                "family_support_worker": 0.30,
                "team_manager": 0.30,
            },
        }
    )
    mean_hours: dict[str, dict[str, float]] = field(
        default_factory=lambda: {
            "comparison": {
                "social_worker": 3.0,
                "senior_practitioner": 1.5,
                "youth_worker": 2.5,
                "specialist_exploitation_worker": 2.0,
                "family_support_worker": 3.0,
                "team_manager": 0.5,
            },
            "innovation": {
                "social_worker": 2.8,
                "senior_practitioner": 1.5,
                "youth_worker": 4.0,
                "specialist_exploitation_worker": 3.5,
                "family_support_worker": 3.0,
                "team_manager": 0.6,
            },
        }
    )
    #: framework -> role whose chance of contact is multiplied by 1.3 in the innovation arm
    framework_emphasis: dict[str, str] = field(
        default_factory=lambda: {
            "contextual_safeguarding": "specialist_exploitation_worker",
            "trauma_informed_practice": "family_support_worker",
            "transitional_safeguarding": "youth_worker",
        }
    )
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


def _missing_incidents() -> pd.DataFrame:
    """Looked-after children's missing incidents by area and year (:mod:`innovate.data.missing`), if available."""
    frame = data_missing.missing_from_care(["missing_incidents"])
    # A zero can be a recording gap (Hackney's 2021 return), so zero years are skipped.
    return frame[~(frame["value"] == 0)]


def _statistical_neighbours(old_la_code: str) -> list[str]:
    """The DfE statistical neighbours (2021 model) of an LA, closest first."""
    return [str(n.old_la_code) for n in public.statistical_neighbours(old_la_code, model=2021)]


def calibration_targets() -> dict[str, Any]:
    """Real public magnitudes the generator is calibrated to (DfE, ONS; OGL v3).

    Returns per area code: ``efr`` (monthly episodes with an extra-familial factor),
    ``exploitation`` (monthly CSE + CCE episodes), ``missing`` (monthly missing incidents),
    ``population`` (year -> children 0-17) and ``name``; plus the rules used.
    """
    factors = public.assessment_factors()
    pop = public.child_population()
    efr = _annual_mean(factors, list(public.EXTRA_FAMILIAL_FACTORS.values()), _FACTOR_YEARS) / 12.0
    exploit = _annual_mean(factors, ["Child sexual exploitation", "Child criminal exploitation"], _FACTOR_YEARS) / 12.0
    missing_frame = _missing_incidents()
    incidents = _annual_mean(missing_frame, [str(missing_frame["measure"].iloc[0])], _MISSING_YEARS) / 12.0
    ratio = _r(float(incidents[ENGLAND_CODE] / efr[ENGLAND_CODE]), 4)
    missing_rule = (
        f"looked-after children's missing incidents (DfE, innovate.public.missing_from_care), mean of years "
        f"ending March {_MISSING_YEARS[0]}-{_MISSING_YEARS[-1]} / 12 (zero years skipped as possible "
        f"recording gaps); an area without a figure uses efr x the England ratio {ratio}"
    )
    population = pop[pop["status"] == ""].pivot_table(
        index="area_code", columns="year", values="value", aggfunc="first"
    )
    names = pop.drop_duplicates("area_code").set_index("area_code")["area_name"]
    return {
        "efr": efr,
        "exploitation": exploit,
        "missing": incidents,
        "missing_ratio": ratio,
        "population": population,
        "names": names,
        "levels": pop.drop_duplicates("area_code").set_index("area_code")["level"],
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
    return {
        "efr_referrals": _r(efr, 3),
        "missing_episodes": _r(missing, 3),
        "exploitation_identifications": _r(exploit, 3),
    }


def _english_areas(cal: dict) -> list[str]:
    """English LAs with factor data and a population for every year 2015-2024 (so not re-drawn by reorganisation)."""
    levels = cal["levels"]
    pop = cal["population"]
    years = [y for y in range(2015, 2025)]
    full = pop.index[pop.reindex(columns=years).notna().all(axis=1)]
    return [
        c
        for c in levels.index
        if levels[c] == "Local authority"
        and c in cal["efr"].index
        and math.isfinite(cal["efr"][c])
        and c in full
        and math.isfinite(cal["exploitation"].get(c, np.nan))
    ]


def default_parameters(seed: int = SEED, per_arm: int = 300) -> Parameters:
    """The generator's parameters: calibrated magnitudes plus site effects drawn with ``seed``.

    Site-varying true effects are drawn once from ``default_rng([seed, 0])`` around
    framework means (stated in the code and the manifest) and rounded to 4 decimals, so
    that the manifest holds exactly the values used.
    """
    rng = rng_for(seed, "parameters")
    register = data_sites.register()
    cal = calibration_targets()
    series_trend = {"efr_referrals": 0.06, "missing_episodes": -0.01, "exploitation_identifications": 0.08}
    other_sites = {str(c) for c in register["area_code"]}

    framework_means: dict[str, Any] = {
        # ITS level change (log rate ratio) per measure, and slope change per month (log scale)
        "its_log_level": {
            "contextual_safeguarding": {
                "efr_referrals": -0.10,
                "missing_episodes": -0.12,
                "exploitation_identifications": 0.10,
            },
            "trauma_informed_practice": {
                "efr_referrals": -0.06,
                "missing_episodes": -0.08,
                "exploitation_identifications": 0.04,
            },
            "transitional_safeguarding": {
                "efr_referrals": -0.08,
                "missing_episodes": -0.10,
                "exploitation_identifications": 0.06,
            },
        },
        "its_slope_mean": -0.0015,
        "its_slope_sd": 0.0010,
        "its_level_sd": 0.04,
        "cohort_log_rr_missing": {
            "contextual_safeguarding": -0.22,
            "trauma_informed_practice": -0.12,
            "transitional_safeguarding": -0.16,
        },
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
        "devon": [
            ("mobilising", "enter", 0),
            ("designing", "enter", 5),
            ("developing", "enter", 7),
            ("integrating", "enter", 10),
            ("growing", "enter", 12),
            ("growing", "stall", 8),
            ("growing", "restart", 5),
            ("system_change", "enter", 9),
        ],
        "safer_london": [
            ("mobilising", "enter", 0),
            ("designing", "enter", 6),
            ("developing", "enter", 8),
            ("developing", "stall", 6),
            ("developing", "restart", 6),
            ("integrating", "enter", 8),
            ("growing", "enter", 12),
        ],
        "reading": [
            ("mobilising", "enter", 0),
            ("designing", "enter", 6),
            ("developing", "enter", 8),
            ("integrating", "enter", 12),
            ("growing", "enter", 14),
        ],
        "north_lanarkshire": [
            ("mobilising", "enter", 0),
            ("designing", "enter", 7),
            ("developing", "enter", 9),
            ("developing", "stall", 5),
            ("developing", "restart", 8),
            ("integrating", "enter", 10),
        ],
        "hackney": [
            ("mobilising", "enter", 0),
            ("designing", "enter", 5),
            ("developing", "enter", 7),
            ("integrating", "enter", 10),
            ("developing", "regress", 9),
            ("integrating", "enter", 9),
        ],
        "sheffield": [
            ("mobilising", "enter", 0),
            ("designing", "enter", 6),
            ("designing", "stall", 5),
            ("designing", "restart", 5),
            ("developing", "enter", 6),
            ("integrating", "enter", 10),
            ("growing", "enter", 12),
        ],
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
            proxy_note = (
                f"North Lanarkshire has no DfE data: per-child monthly rates of the proxy English LA "
                f"{proxy} ({cal['names'][proxy]}, the English LA outside the study whose 2018 child population "
                f"is closest to {NORTH_LANARKSHIRE_CHILDREN:,}) applied to {NORTH_LANARKSHIRE_CHILDREN:,} children "
                f"(falling 0.8% a year); comparators {', '.join(SCOTTISH_COMPARATOR_CODES)} are synthetic "
                "codes not assigned to any real council area, with populations and rates scaled from the proxy "
                "by stated random factors."
            )
            rates = {m: v / proxy_pop for m, v in proxy_levels.items()}
            base_pop = NORTH_LANARKSHIRE_CHILDREN
            for k, acode in enumerate((code,) + SCOTTISH_COMPARATOR_CODES):
                role = "site" if k == 0 else "comparator"
                pfac = 1.0 if k == 0 else _r(rng.uniform(0.55, 1.35), 3)
                rfac = 1.0 if k == 0 else _r(math.exp(rng.normal(0, 0.15)), 3)
                p = {y: int(round(base_pop * pfac * (1 - 0.008) ** (y - 2018))) for y in range(2015, 2025)}
                lvl = {m: _r(rates[m] * p[2023] * rfac, 3) for m in rates}
                areas.append(
                    AreaSpec(
                        acode,
                        role,
                        "North Lanarkshire" if k == 0 else f"Synthetic Scottish comparator {k}",
                        p,
                        lvl,
                        {m: _r(t + rng.normal(0, 0.02)) for m, t in series_trend.items()},
                        f"proxy {proxy} rates x {rfac} on population x {pfac}",
                    )
                )
        else:
            if sid == "safer_london":
                levels = cal["levels"]
                regions = [c for c in levels.index if levels[c] == "Regional" and c != code and c.startswith("E12")]
                london = float(cal["population"].loc[code, 2018])
                comparators = sorted(regions, key=lambda c: (abs(float(cal["population"].loc[c, 2018]) - london), c))[
                    :3
                ]
                rule = "English regions with the 2018 child populations closest to London's"
            else:
                neighbours = _statistical_neighbours(code)
                comparators = [c for c in neighbours if c not in other_sites and c in english][:3]
                rule = "first three DfE statistical neighbours (2021 model) outside the study with factor data and a population for every year 2015-2024"
            for k, acode in enumerate([code] + comparators):
                areas.append(
                    AreaSpec(
                        acode,
                        "site" if k == 0 else "comparator",
                        str(cal["names"][acode]),
                        _population_by_year(cal, acode),
                        _levels_for(cal, acode),
                        {m: _r(t + rng.normal(0, 0.02)) for m, t in series_trend.items()},
                        "own public magnitudes" + ("" if k == 0 else f"; comparator chosen as: {rule}"),
                    )
                )
        site_pop_2018[sid] = areas[0].population[2018]
        its = {}
        for m in schemas.AREA_MEASURES:
            lvl = framework_means["its_log_level"][framework][m] + rng.normal(0, framework_means["its_level_sd"])
            slope = rng.normal(framework_means["its_slope_mean"], framework_means["its_slope_sd"])
            its[m] = ITSEffect(_r(math.exp(lvl)), _r(slope, 5))
        sd = framework_means["cohort_site_sd"]
        effects = CohortEffects(
            missing_episodes_rate_ratio=_r(
                math.exp(framework_means["cohort_log_rr_missing"][framework] + rng.normal(0, sd))
            ),
            exploitation_risk_slope_per_month=_r(rng.normal(-0.08, 0.025)),
            swemwbs_slope_per_month=_r(rng.normal(0.06, 0.02)),
            attendance_slope_per_month=_r(rng.normal(0.12, 0.04)),
            placement_moves_rate_ratio=_r(math.exp(rng.normal(-0.15, 0.08))),
            justice_contact_odds_ratio=_r(math.exp(rng.normal(-0.25, 0.10))),
        )
        params_sites[sid] = SiteParameters(
            site_id=sid,
            framework=framework,
            innovation_start=start,
            areas=areas,
            its=its,
            cohort_effects=effects,
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
        harmonics={
            "efr_referrals": [0.05, -0.03, 0.04, 0.02],
            "missing_episodes": [-0.06, -0.05, 0.02, -0.02],
            "exploitation_identifications": [0.04, -0.02, 0.03, 0.01],
        },
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
    return Parameters(
        seed=int(seed),
        sites=params_sites,
        series=series,
        cohort=CohortModel(per_arm=int(per_arm)),
        costs=CostModel(),
        activity=ActivityModel(),
        calibration=calibration,
    )
