"""Difference-in-differences: the 2x2 comparison, two-way fixed effects and Callaway and Sant'Anna's staggered estimator.

Why our own Callaway-Sant'Anna: Python ports exist on PyPI (``csdid``, ``differences``),
but the book needs only the unconditional estimator (no covariates) on small annual area
panels, with never- or not-yet-treated controls, a seeded bootstrap over units (by cohort) from a
``numpy.random.Generator`` and a :class:`NotEstimable` result that says why a panel
cannot be analysed; that is about 150 lines here, checked against a hand-computed
cell and a simulated panel with dynamic effects (``tests/unit/test_comparative.py``),
and avoids a further dependency for one estimator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from innovate.config import DID_BOOTSTRAP_SEED
from innovate.errors import DataError, Problem, require_columns
from innovate.stats.checks import _numeric
from innovate.stats.its import NotEstimable
from innovate.stats.results import Estimate

# --------------------------------------------------------------------------------------
# difference-in-differences


@dataclass(frozen=True)
class DiDResult:
    """A difference-in-differences estimate of the average effect on the treated (ATT).

    ``effect`` is the package's one :class:`~innovate.stats.results.Estimate`, on the
    outcome's own scale (``scale='identity'``): estimate, standard error, interval at
    ``level``, p-value, and ``df`` when the interval is a t interval. With placebo
    inference (one treated unit) the p-value comes from the placebos and the standard
    error and interval are NaN: no interval is claimed. ``inference`` says which.
    """

    label: str
    method: str
    effect: Estimate
    n_units: int
    n_treated: int
    n_periods: int
    n_pre: int
    notes: tuple[str, ...] = ()
    cells: pd.DataFrame | None = None
    inference: str = ""
    placebos: pd.DataFrame | None = None
    estimable: Literal[True] = field(default=True, init=False)

    @property
    def n_post(self) -> int:
        return self.n_periods - self.n_pre

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "label": self.label,
                    "method": self.method,
                    "term": "ATT",
                    "estimate": self.effect.estimate,
                    "se": self.effect.se,
                    "lower": self.effect.ci_low,
                    "upper": self.effect.ci_high,
                    "p_value": self.effect.p_value,
                    "n_units": self.n_units,
                    "n_treated": self.n_treated,
                    "n_periods": self.n_periods,
                    "n_pre": self.n_pre,
                    "inference": self.inference,
                    "note": "; ".join(self.notes),
                }
            ]
        )


def did_2x2(
    panel: pd.DataFrame, *, unit: str = "unit", outcome: str = "value", treated: str = "treated", post: str = "post"
) -> float:
    """The canonical 2x2 difference in differences of means:
    (treated after - treated before) - (control after - control before)."""
    require_columns(panel, [unit, outcome, treated, post], "<panel>")
    means = panel.groupby([treated, post])[outcome].mean()
    for key in [(1, 1), (1, 0), (0, 1), (0, 0)]:
        if key not in means.index:
            raise DataError([Problem("<panel>", "cells", f"no rows with {treated}={key[0]}, {post}={key[1]}", treated)])
    return float((means[(1, 1)] - means[(1, 0)]) - (means[(0, 1)] - means[(0, 0)]))


def _clean_panel(
    panel: pd.DataFrame, unit: str, time: str, outcome: str, source: str
) -> tuple[pd.DataFrame, list[str]]:
    require_columns(panel, [unit, time, outcome], source)
    frame = panel.copy()
    frame[outcome] = _numeric(frame, outcome, source)
    frame[time] = _numeric(frame, time, source, allow_missing=False)
    dup = frame.duplicated([unit, time], keep=False)
    if dup.any():
        raise DataError(
            [
                Problem(source, "unique-key", f"({unit}, {time}) appears more than once", time, int(i) + 1)
                for i in np.flatnonzero(dup.to_numpy())
            ]
        )
    notes = []
    missing = frame[outcome].isna()
    if missing.any():
        gone = frame.loc[missing, [unit, time]]
        listed = ", ".join(f"{u} {int(t)}" for u, t in gone.itertuples(index=False))
        notes.append(f"{int(missing.sum())} unit-period(s) without a value excluded: {listed}")
        frame = frame.loc[~missing]
    return frame.reset_index(drop=True), notes


def _twfe_design(frame: pd.DataFrame, unit: str, time: str, treat: np.ndarray) -> np.ndarray:
    """``[D, unit dummies, time dummies (first dropped)]``: the two-way fixed effects design."""
    units = pd.get_dummies(frame[unit].astype(str), dtype=float).to_numpy()
    times = pd.get_dummies(frame[time], dtype=float).to_numpy()[:, 1:]
    return np.column_stack([treat.astype(float), units, times])


def _twfe_estimate(frame: pd.DataFrame, unit: str, time: str, outcome: str, treat: np.ndarray) -> float:
    X = _twfe_design(frame, unit, time, treat)
    return float(np.linalg.lstsq(X, frame[outcome].to_numpy(float), rcond=None)[0][0])


def twfe_did(
    panel: pd.DataFrame,
    *,
    unit: str = "unit",
    time: str = "year",
    outcome: str = "value",
    first_treated: str = "first_treated",
    min_pre: int = 2,
    confidence: float = 0.95,
    label: str = "",
    source: str = "<panel>",
) -> DiDResult | NotEstimable:
    """Two-way fixed effects DiD: ``Y_it = a_i + l_t + beta D_it + e_it`` with
    ``D_it = 1`` when unit ``i`` is treated by ``t`` (``t >= first_treated``; never-treated
    units have ``first_treated`` missing or 0).

    Inference: with two or more treated units, cluster-robust standard errors by unit and
    t on G - 1 degrees of freedom (G clusters). With a single treated unit cluster-robust
    errors are not valid; the p-value then comes from placebos in space - each comparison
    unit in turn is given the treated unit's adoption year and the estimate recomputed -
    as the share of units (treated included) whose absolute estimate is at least the
    treated one's, and no interval is given. With staggered timing and changing effects
    the TWFE coefficient is a weighted average that can mislead; see
    :func:`callaway_santanna`.
    """
    import statsmodels.api as sm  # deferred: statsmodels costs seconds at import; chapters that never fit a model skip it

    frame, notes = _clean_panel(panel, unit, time, outcome, source)
    require_columns(frame, [first_treated], source)
    g = pd.to_numeric(frame[first_treated], errors="coerce").fillna(0.0).to_numpy()
    treat = (g > 0) & (frame[time].to_numpy(float) >= g)
    units = frame[unit].astype(str).to_numpy()
    treated_units = sorted(set(units[g > 0]))
    controls = sorted(set(units[g == 0]))
    n_units = len(set(units))
    periods = np.sort(frame[time].unique())
    first = g[g > 0].min() if (g > 0).any() else np.nan
    n_pre = int((periods < first).sum()) if np.isfinite(first) else 0
    reason = None
    if not treated_units:
        reason = "no treated unit"
    elif not controls:
        reason = "no never-treated or comparison unit"
    elif n_pre < min_pre:
        reason = f"{n_pre} period(s) before the first adoption; at least {min_pre} needed"
    elif not treat.any():
        reason = "no treated period observed"
    if reason:
        return NotEstimable(label, reason, n_pre, int(len(periods) - n_pre), "two-way fixed effects")
    clusters = pd.factorize(frame[unit].astype(str))[0]
    fit = sm.OLS(frame[outcome].to_numpy(float), _twfe_design(frame, unit, time, treat)).fit(
        cov_type="cluster", cov_kwds={"groups": clusters}
    )
    b = float(fit.params[0])
    if len(treated_units) >= 2:
        G = len(np.unique(clusters))
        se = float(fit.bse[0])
        dist = stats.t(G - 1)
        crit = dist.ppf(0.5 + confidence / 2)
        p = float(2 * dist.sf(abs(b / se))) if se > 0 else np.nan
        effect = Estimate(b, se, b - crit * se, b + crit * se, p, "identity", float(G - 1), confidence)
        placebos, inference = None, "cluster-robust (t, G - 1 df)"
        if len(treated_units) < 5:
            notes.append(f"{len(treated_units)} treated clusters: cluster-robust errors are unreliable with so few")
    else:
        adoption = float(first)
        rows = []
        untreated = frame.loc[g == 0]
        skipped = []
        for c in controls:
            mine = untreated[unit].astype(str).to_numpy() == c
            fake = mine & (untreated[time].to_numpy(float) >= adoption)
            if not fake.any() or fake.sum() == mine.sum():
                skipped.append(c)  # no period after, or none before: the placebo is not identified
                continue
            rows.append({"unit": c, "estimate": _twfe_estimate(untreated, unit, time, outcome, fake)})
        placebos = pd.DataFrame(rows, columns=["unit", "estimate"])
        p = float((1 + (placebos["estimate"].abs() >= abs(b) - 1e-12).sum()) / (1 + len(placebos)))
        effect = Estimate(b, np.nan, np.nan, np.nan, p, "identity", None, confidence)
        inference = "placebo-in-space permutation"
        if skipped:
            notes.append("placebo area(s) without periods both before and after skipped: " + ", ".join(skipped))
        notes.append(
            f"one treated area: p-value from {len(placebos)} placebo areas (smallest attainable "
            f"{1 / (1 + len(placebos)):.3f}); no interval"
        )
    return DiDResult(
        label,
        "two-way fixed effects",
        effect,
        n_units,
        len(treated_units),
        len(periods),
        n_pre,
        tuple(notes),
        None,
        inference,
        placebos,
    )


def callaway_santanna(
    panel: pd.DataFrame,
    *,
    unit: str = "unit",
    time: str = "year",
    outcome: str = "value",
    first_treated: str = "first_treated",
    control: str = "never",
    min_pre: int = 1,
    bootstrap: int = 999,
    seed: int = DID_BOOTSTRAP_SEED,
    confidence: float = 0.95,
    label: str = "",
    source: str = "<panel>",
) -> DiDResult | NotEstimable:
    """Staggered difference-in-differences (Callaway and Sant'Anna 2021), unconditional.

    ATT(g, t) = mean over cohort g of (Y_t - Y_{g-1}) minus the same mean over the
    controls: never-treated units (``control='never'``) or, in addition, units not yet
    treated by ``max(t, g-1)`` (``control='notyet'``). Cells need a unit of the cohort and
    a control with values at both ``t`` and ``g-1``. The overall ATT averages the
    post-adoption cells (t >= g) weighted by cohort size; ``cells`` holds every ATT(g, t)
    with its event time ``e = t - g`` and a Welch standard error where the cohort and the
    controls each hold at least two units.

    The overall standard error comes from a bootstrap over units stratified by cohort
    (treated cohorts and controls resampled separately, ``seed`` fixed). With one unit
    in a cohort the bootstrap holds that unit fixed and so understates uncertainty; the
    result says so.
    """
    if control not in ("never", "notyet"):
        raise ValueError("control must be 'never' or 'notyet'")
    frame, notes = _clean_panel(panel, unit, time, outcome, source)
    require_columns(frame, [first_treated], source)
    frame["_g"] = pd.to_numeric(frame[first_treated], errors="coerce").fillna(0.0)
    per_unit = frame.groupby(unit)["_g"].nunique()
    if (per_unit > 1).any():
        bad = per_unit.index[per_unit > 1][0]
        raise DataError(
            [
                Problem(
                    source,
                    "constant-within-unit",
                    "first_treated differs across a unit's rows",
                    first_treated,
                    value=bad,
                )
            ]
        )
    wide = frame.pivot(index=unit, columns=time, values=outcome)
    cohort = frame.groupby(unit)["_g"].first().reindex(wide.index)
    periods = np.asarray(wide.columns, float)
    cohorts = sorted(c for c in cohort.unique() if c > 0)
    if not cohorts:
        return NotEstimable(label, "no treated unit", 0, 0, "Callaway-Sant'Anna")
    if control == "never" and not (cohort == 0).any():
        return NotEstimable(label, "no never-treated unit to compare with", 0, 0, "Callaway-Sant'Anna")
    usable = [c for c in cohorts if int((periods < c).sum()) >= min_pre and (c - 1) in periods]
    skipped = [c for c in cohorts if c not in usable]
    if skipped:
        notes.append(
            "cohort(s) "
            + ", ".join(str(int(c)) for c in skipped)
            + f" dropped: fewer than {min_pre} period(s) before adoption or no value the year before"
        )
    if not usable:
        return NotEstimable(
            label, f"no cohort has {min_pre} period(s) before adoption in the data", 0, 0, "Callaway-Sant'Anna"
        )

    W = wide.to_numpy(float)
    G = cohort.to_numpy(float)
    column = {t: j for j, t in enumerate(periods)}
    # the (cohort, period) cells and their control rules, fixed once
    plan = []
    for gval in usable:
        base = gval - 1
        for t in periods:
            if t != base:
                plan.append((gval, t, column[t], column[base]))

    def att_cells(W: np.ndarray, G: np.ndarray, with_se: bool) -> list[tuple]:
        out = []
        for gval, t, jt, jb in plan:
            members = G == gval
            if control == "never":
                ctrl = G == 0
            else:
                ctrl = (G == 0) | ((G > max(t, gval - 1)) & (G != gval))
            diff = W[:, jt] - W[:, jb]
            dt = diff[members & np.isfinite(diff)]
            dc = diff[ctrl & np.isfinite(diff)]
            if dt.size == 0 or dc.size == 0:
                continue
            se = np.nan
            if with_se and dt.size > 1 and dc.size > 1:
                se = math.sqrt(dt.var(ddof=1) / dt.size + dc.var(ddof=1) / dc.size)
            out.append((int(gval), t, t - gval, float(dt.mean() - dc.mean()), se, dt.size, dc.size))
        return out

    def overall(cells: list[tuple]) -> float:
        post = [(c[3], c[5]) for c in cells if c[2] >= 0]
        if not post:
            return np.nan
        att, n = np.array(post).T
        return float(np.average(att, weights=n))

    cell_list = att_cells(W, G, True)
    cells = pd.DataFrame(cell_list, columns=["cohort", "time", "event_time", "att", "se", "n_treated", "n_control"])
    est = overall(cell_list)
    if not np.isfinite(est):
        return NotEstimable(
            label, "no post-adoption cell has a treated unit and a control with values", 0, 0, "Callaway-Sant'Anna"
        )
    rng = np.random.default_rng(seed)
    strata = [np.flatnonzero(G == key) for key in np.unique(G)]
    replicates = np.empty(bootstrap)
    for b in range(bootstrap):
        rows = np.concatenate([idx[rng.integers(0, idx.size, idx.size)] for idx in strata])
        replicates[b] = overall(att_cells(W[rows], G[rows], False))
    replicates = replicates[np.isfinite(replicates)]
    se = float(np.std(replicates, ddof=1)) if replicates.size > 1 else np.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = float(2 * stats.norm.sf(abs(est / se))) if np.isfinite(se) and se > 0 else np.nan
    if (cells["n_treated"] < 2).any():
        notes.append(
            "cohorts of one unit: the bootstrap holds those units fixed, so the standard error "
            "understates uncertainty; read as a sensitivity analysis"
        )
    n_pre = int(min((periods < c).sum() for c in usable))
    return DiDResult(
        label,
        f"Callaway-Sant'Anna ({control}-treated controls)",
        Estimate(est, se, est - z * se, est + z * se, p, "identity", None, confidence),
        int(len(wide)),
        int((cohort > 0).sum()),
        int(len(periods)),
        n_pre,
        tuple(notes),
        cells,
        "bootstrap over units, stratified by cohort",
    )


def event_study(cells: pd.DataFrame) -> pd.DataFrame:
    """Aggregate ATT(g, t) cells by event time (weights: treated units in the cell)."""
    rows = []
    for e, part in cells.groupby("event_time"):
        rows.append(
            {
                "event_time": int(e),
                "att": float(np.average(part["att"], weights=part["n_treated"])),
                "cells": len(part),
                "n_treated": int(part["n_treated"].sum()),
            }
        )
    return pd.DataFrame(rows)
