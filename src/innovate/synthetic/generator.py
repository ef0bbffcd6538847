"""The synthetic case-level data set: a calibrated, deterministic generator.

The study's case-level data are held under data-sharing agreements and cannot ship, so
the book ships synthetic data with the same schema (:mod:`innovate.data.schemas`). This
module generates every table of the contract for the six sites from stated models whose
true parameters are written to ``manifest.json``, so that every estimator in the book
can be checked against the truth. The area series, the cohort, service activity,
placements and innovation costs are drawn here; the process-evaluation tables (journeys,
coded segments, surveys) in :mod:`innovate.synthetic.process`.

Determinism: every random draw comes from ``np.random.default_rng([seed, stream])``, one
stream per table (so that changing the cohort size does not change the area series);
files are written with fixed float formatting, sorted rows and ``\\n`` line ends, and
the manifest has no timestamps. The same seed gives byte-identical files.

Calibration to real public statistics (:mod:`innovate.data.public`, DfE and ONS, OGL v3):

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
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

from innovate.config import FOLLOW_UP_MONTHS, SEED, WAVE_MONTHS
from innovate.data import deflators as data_deflators
from innovate.data import schemas
from innovate.data import sites as data_sites
from innovate.errors import DataError
from innovate.synthetic.parameters import (
    _CALIBRATION_WINDOW,
    Parameters,
    default_parameters,
    rng_for,
)
from innovate.synthetic.process import (
    simulate_coded_segments,
    simulate_experience_survey,
    simulate_network_survey,
    simulate_stage_events,
)
from innovate.synthetic.truth import manifest_dict

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
    window = np.asarray(
        (months >= pd.Timestamp(_CALIBRATION_WINDOW[0])) & (months <= pd.Timestamp(_CALIBRATION_WINDOW[1]))
    )
    t_c = float(np.mean(t[window]))
    frames = []
    for area in sp.areas:
        pop = np.array([area.population[y] for y in months.year], dtype=float)
        for m in schemas.AREA_MEASURES:
            h = sm.harmonics[m]
            w = 2 * np.pi * month_of_year / 12.0
            log_mu = (
                np.log(pop)
                + area.log_trend_per_year[m] * (t - t_c) / 12.0
                + h[0] * np.sin(w)
                + h[1] * np.cos(w)
                + h[2] * np.sin(2 * w)
                + h[3] * np.cos(2 * w)
                + sm.covid_log_rate_ratio[m] * covid
            )
            if area.area_role == "site":
                eff = sp.its[m]
                log_mu = log_mu + post * (math.log(eff.level_rate_ratio) + eff.slope_change_per_month * (t - t0))
            b0 = math.log(area.monthly_level[m]) - math.log(np.mean(np.exp(log_mu[window])))
            frames.append(
                pd.DataFrame(
                    {
                        "site_id": site_id,
                        "area_code": area.area_code,
                        "area_role": area.area_role,
                        "month": months,
                        "measure": m,
                        "expected": np.exp(log_mu + b0),
                        "population_0_17": pop.astype(np.int64),
                        "post": post,
                    }
                )
            )
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


@overload
def simulate_cohort(
    params: Parameters,
    rng: np.random.Generator,
    sites: list[str] | None = None,
    per_arm: int | None = None,
    return_latent: Literal[False] = False,
) -> tuple[pd.DataFrame, pd.DataFrame]: ...


@overload
def simulate_cohort(
    params: Parameters,
    rng: np.random.Generator,
    sites: list[str] | None = None,
    per_arm: int | None = None,
    *,
    return_latent: Literal[True],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]: ...


def simulate_cohort(
    params: Parameters,
    rng: np.random.Generator,
    sites: list[str] | None = None,
    per_arm: int | None = None,
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
        lin = (
            cm.ps_age * (age - 14)
            + cm.ps_risk * (risk0 - 15)
            + cm.ps_looked_after * lac
            + cm.ps_log_prior_missing * np.log1p(prior)
        )
        a = _solve_intercept(lin)
        innovation = (rng.random(n) < expit(a + lin)).astype(int)
        start = pd.Timestamp(cm.recruitment_start)
        baseline = start + pd.to_timedelta(rng.integers(0, cm.recruitment_days, n), unit="D")
        ids = [f"YP{next_id + i:05d}" for i in range(n)]
        next_id += n
        if next_id > 99999:
            raise ValueError("too many young people for the five-digit person_id (YP00001..YP99999)")
        male = (~female).astype(int)
        waves = np.array(WAVE_MONTHS, dtype=float)  # months
        post = (waves > 0).astype(float)
        W = len(waves)
        # missing episodes
        u = rng.normal(0, cm.miss_person_sd, n)
        eta = (
            cm.miss_intercept
            + cm.miss_looked_after * lac
            + cm.miss_age * (age - 14)
            + cm.miss_log_prior * np.log1p(prior)
            + cm.miss_risk_per5 * (risk0 - 15) / 5
            + u
        )
        log_mu = eta[:, None] + post[None, :] * (
            cm.miss_post
            + cm.miss_post_risk_per5 * (risk0[:, None] - 15) / 5
            + math.log(eff.missing_episodes_rate_ratio) * innovation[:, None]
        )
        missing = _nb(rng, np.exp(log_mu), cm.miss_alpha)
        missing[:, 0] = prior
        # exploitation-risk score
        slope_r = (
            cm.risk_slope
            + cm.risk_slope_age * (age - 14)
            + cm.risk_slope_looked_after * lac
            + cm.risk_slope_log_prior * np.log1p(prior)
            + eff.exploitation_risk_slope_per_month * innovation
            + rng.normal(0, cm.risk_slope_sd, n)
        )
        risk = level[:, None] + slope_r[:, None] * waves[None, :] + rng.normal(0, cm.risk_residual_sd, (n, W))
        risk[:, 0] = level + e0
        risk = np.clip(np.round(risk, 1), 0, 30)
        # SWEMWBS
        w_level = (
            cm.swem_intercept
            + cm.swem_z * z
            + cm.swem_looked_after * lac
            + cm.swem_male * male
            + rng.normal(0, cm.swem_person_sd, n)
        )
        slope_w = (
            cm.swem_slope
            + cm.swem_slope_age * (age - 14)
            + cm.swem_slope_looked_after * lac
            + eff.swemwbs_slope_per_month * innovation
            + rng.normal(0, cm.swem_slope_sd, n)
        )
        swem = np.clip(
            np.round(
                w_level[:, None] + slope_w[:, None] * waves[None, :] + rng.normal(0, cm.swem_residual_sd, (n, W)), 2
            ),
            7,
            35,
        )
        # attendance
        a_level = 100 * expit(
            cm.att_logit_intercept
            + cm.att_logit_z * z
            + cm.att_logit_looked_after * lac
            + cm.att_logit_age * (age - 14)
        )
        slope_a = (
            cm.att_slope
            + cm.att_slope_age * (age - 14)
            + eff.attendance_slope_per_month * innovation
            + rng.normal(0, cm.att_slope_sd, n)
        )
        attend = np.clip(
            np.round(
                a_level[:, None] + slope_a[:, None] * waves[None, :] + rng.normal(0, cm.att_residual_sd, (n, W)), 1
            ),
            0,
            100,
        )
        # justice contact
        v = rng.normal(0, cm.justice_person_sd, n)
        logit_j = (
            cm.justice_intercept
            + cm.justice_z * z
            + cm.justice_looked_after * lac
            + cm.justice_male * male
            + cm.justice_age * (age - 14)
            + v
        )[:, None] + post[None, :] * (cm.justice_post + math.log(eff.justice_contact_odds_ratio) * innovation[:, None])
        justice = (rng.random((n, W)) < expit(logit_j)).astype(int)
        # care: entry for those not looked after; placement moves as a Poisson process while in care
        window_start = waves - 6.0  # months relative to baseline
        entry = np.where(
            lac == 1,
            -rng.uniform(6.5, 48.0, n),
            np.where(rng.random(n) < cm.care_entry_prob, rng.uniform(0, FOLLOW_UP_MONTHS, n), np.inf),
        )
        frail = rng.gamma(cm.moves_frailty_shape, 1.0 / cm.moves_frailty_shape, n)
        rate = (
            np.exp(cm.moves_intercept + cm.moves_z * z + cm.moves_log_prior * np.log1p(prior))[:, None]
            * frail[:, None]
            * np.exp(post[None, :] * (cm.moves_post + math.log(eff.placement_moves_rate_ratio) * innovation[:, None]))
        )
        in_care = np.clip(waves[None, :] - np.maximum(window_start[None, :], entry[:, None]), 0, 6.0)  # months in care
        moves = rng.poisson(rate * in_care / 6.0)
        # attrition (monotone, MAR)
        observed = np.ones((n, W), dtype=int)
        for k in range(1, W):
            p_drop = expit(
                cm.attr_intercept
                + cm.attr_looked_after * lac
                + cm.attr_log_prev_missing * np.log1p(missing[:, k - 1])
                + cm.attr_age * (age - 14)
                + cm.attr_comparison * (1 - innovation)
            )
            drop = rng.random(n) < p_drop
            observed[:, k] = observed[:, k - 1] * (~drop)
        yp_parts.append(
            pd.DataFrame(
                {
                    "person_id": ids,
                    "site_id": sid,
                    "arm": np.where(innovation == 1, "innovation", "comparison"),
                    "sex": np.where(female, "female", "male"),
                    "age_at_baseline": age.astype(np.int64),
                    "ethnicity": ethnicity,
                    "looked_after": lac.astype(np.int64),
                    "prior_missing_episodes": prior.astype(np.int64),
                    "baseline_risk_score": risk0,
                    "baseline_date": baseline,
                }
            )
        )
        rep = np.repeat(np.array(ids, dtype=object), W)
        obs_flat = observed.ravel()
        full = pd.DataFrame(
            {
                "person_id": rep,
                "wave_month": np.tile(np.array(WAVE_MONTHS, dtype=np.int64), n),
                "observed": obs_flat,
                "missing_episodes": missing.ravel().astype(float),
                "exploitation_risk_score": risk.ravel(),
                "swemwbs": swem.ravel(),
                "school_attendance_pct": attend.ravel(),
                "placement_moves": moves.ravel().astype(float),
                "justice_contact": justice.ravel().astype(float),
            }
        )
        masked = full.copy()
        for c in schemas.OUTCOME_MEASURES:
            masked[c] = masked[c].where(obs_flat == 1)
        out_parts.append(masked)
        if return_latent:
            latent_parts.append(
                pd.DataFrame(
                    {
                        "person_id": ids,
                        "site_id": sid,
                        "z": z,
                        "care_entry_month": entry,
                        "propensity_intercept": a,
                        "arm": np.where(innovation == 1, "innovation", "comparison"),
                        "baseline_date": baseline,
                        "age": age,
                        "risk0": risk0,
                        **{f"moves_{int(w)}": moves[:, k] for k, w in enumerate(waves)},
                    }
                )
            )
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
    open_months = np.clip(
        np.round(
            rng.gamma(am.open_months_shape, am.open_months_scale * (1 + 0.03 * (risk - 15)).clip(0.5))
            + am.min_open_months
        ),
        am.min_open_months,
        FOLLOW_UP_MONTHS,
    ).astype(int)
    base_month = young_people["baseline_date"].dt.to_period("M").dt.to_timestamp().to_numpy()
    rows_person, rows_month, rows_role, rows_hours = [], [], [], []
    month_index = np.arange(FOLLOW_UP_MONTHS)
    active = month_index[None, :] < open_months[:, None]  # n x months
    for role in schemas.STAFF_ROLES:
        p = np.array([params.activity.p_contact[a][role] for a in arm])
        boost = np.array(
            [1.3 if (a == "innovation" and am.framework_emphasis[f] == role) else 1.0 for a, f in zip(arm, framework)]
        )
        p = np.clip(p * boost, 0, 0.98)
        mean = np.array([params.activity.mean_hours[a][role] for a in arm]) * np.exp(
            am.risk_hours_per_point * (risk - 15)
        )
        contact = active & (rng.random((n, FOLLOW_UP_MONTHS)) < p[:, None])
        hours = rng.gamma(am.hours_shape, mean[:, None] / am.hours_shape, (n, FOLLOW_UP_MONTHS))
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
    frame = pd.DataFrame(
        {
            "person_id": young_people["person_id"].to_numpy()[i],
            "site_id": young_people["site_id"].to_numpy()[i],
            "month": months,
            "staff_role": np.concatenate(rows_role),
            "contact_hours": np.concatenate(rows_hours),
        }
    )
    return frame.sort_values(["person_id", "month", "staff_role"], kind="stable").reset_index(drop=True)


def _add_months(months: pd.DatetimeIndex, k: np.ndarray) -> pd.DatetimeIndex:
    total = months.year.to_numpy() * 12 + (months.month.to_numpy() - 1) + np.asarray(k, dtype=int)
    return pd.to_datetime({"year": total // 12, "month": total % 12 + 1, "day": 1})


def simulate_placements(
    params: Parameters, young_people: pd.DataFrame, latent: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    """Placements consistent with the cohort: one placement from entry to care, one more per move.

    Moves in each 6-month window before a wave are the ``placement_moves`` of that wave
    (the complete values, also for young people later lost to follow-up: placements are
    administrative records). Placements are contiguous; the last ends 18 months after
    baseline (end of observation).
    """
    lat = latent.set_index("person_id")
    rows = []
    for person, site, base, age, risk in zip(
        young_people["person_id"],
        young_people["site_id"],
        young_people["baseline_date"],
        young_people["age_at_baseline"],
        young_people["baseline_risk_score"],
    ):
        info = lat.loc[person]
        entry = float(info["care_entry_month"])
        if not math.isfinite(entry):
            continue
        starts = [entry]
        for w in WAVE_MONTHS:
            k = int(info[f"moves_{w}"])
            if k:
                lo = max(w - 6.0, entry)
                starts.extend(sorted(rng.uniform(lo, w, k).tolist()))
        end = float(FOLLOW_UP_MONTHS)
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
    """HM Treasury GDP deflator index by financial year (:func:`innovate.data.deflators.gdp_deflators`)."""
    frame = data_deflators.gdp_deflators()
    return {str(k): float(v) for k, v in zip(frame["fiscal_year"], frame["gdp_deflator"])}


def simulate_innovation_costs(
    params: Parameters, rng: np.random.Generator, deflators: dict[str, float] | None = None
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
# Everything together
# ======================================================================================


def _codebook() -> pd.DataFrame:
    return data_sites.codebook()


def generate(seed: int = SEED, per_arm: int | None = None, params: Parameters | None = None) -> dict[str, pd.DataFrame]:
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


def write(
    out: Path | str, seed: int = SEED, per_arm: int | None = None, params: Parameters | None = None
) -> dict[str, Path]:
    """Generate and write every table plus ``manifest.json`` into ``out``; returns the paths.

    The tables are validated against their schemas before writing; a generator bug raises
    ``DataError`` and writes nothing.
    """
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
            table, pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False), table.file
        )
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
