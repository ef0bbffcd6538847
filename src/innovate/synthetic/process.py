"""Synthetic process-evaluation tables: each site's journey, coded interview segments and the two surveys.

Part of the synthetic data set (:mod:`innovate.synthetic.generator` assembles every table
and writes the files). Each function draws from the stream it is given, so a table's
draws do not depend on the others'. The models and their parameters are stated in each
docstring and in ``manifest.json`` (:mod:`innovate.synthetic.truth`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.special import expit

from innovate.data import schemas
from innovate.synthetic.parameters import FIELDWORK_WAVES, JOURNEY_END, Parameters


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
    frame = frame.sort_values(
        ["site_id", "event_date"], key=lambda s: s.map(order) if s.name == "site_id" else s, kind="stable"
    ).reset_index(drop=True)
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


def simulate_coded_segments(
    params: Parameters, events: pd.DataFrame, codebook: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
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
_ITEM_SHIFT = {
    "listened_to": 0.25,
    "trusted_worker": 0.35,
    "felt_safer": -0.10,
    "partner_in_decisions": -0.30,
    "help_fitted_needs": 0.0,
    "overall_experience": 0.15,
}


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
            rows.append(
                {
                    "site_id": sid,
                    "respondent_type": "young_person" if yp[i] else "parent_carer",
                    "wave": int(wave[i]),
                    **{k: v[i] for k, v in items.items()},
                }
            )
    frame = pd.DataFrame(rows)
    frame.insert(0, "respondent_id", [f"R{i + 1:05d}" for i in range(len(frame))])
    return frame


_NATION_P = {"England": 0.55, "Scotland": 0.14, "Wales": 0.10, "Northern Ireland": 0.07, "Overseas": 0.14}
_TYPE_P = {
    "local_authority": 0.30,
    "voluntary_sector": 0.25,
    "health": 0.12,
    "police": 0.10,
    "education": 0.13,
    "other": 0.10,
}
_FRAMEWORK_P = {
    "contextual_safeguarding": {
        "England": 0.75,
        "Scotland": 0.45,
        "Wales": 0.60,
        "Northern Ireland": 0.50,
        "Overseas": 0.55,
    },
    "trauma_informed_practice": {
        "England": 0.45,
        "Scotland": 0.80,
        "Wales": 0.60,
        "Northern Ireland": 0.55,
        "Overseas": 0.50,
    },
    "transitional_safeguarding": {
        "England": 0.40,
        "Scotland": 0.20,
        "Wales": 0.30,
        "Northern Ireland": 0.20,
        "Overseas": 0.15,
    },
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
    return pd.DataFrame(
        rows,
        columns=[
            "organisation_id",
            "nation",
            "organisation_type",
            "framework",
            "engagement",
            "perceived_transferability",
            "years_since_first_contact",
        ],
    )
