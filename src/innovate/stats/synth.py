"""Synthetic control: donor weights on the simplex and the treated-minus-synthetic gap.

Why our own: the book uses the basic estimator (Abadie, Diamond and Hainmueller; weights
on the simplex matching the pre-period outcome path, no predictor weighting) with
in-space placebos. That is a small constrained least-squares problem solved with scipy;
packages on PyPI (e.g. ``pysyncon``, ``scpi-pkg``) add predictor-weight optimisation and
prediction intervals that the book does not use, at the cost of a further dependency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

from innovate.errors import DataError, Problem
from innovate.stats.did import _clean_panel
from innovate.stats.its import NotEstimable

# --------------------------------------------------------------------------------------
# synthetic control


@dataclass(frozen=True)
class SyntheticControlResult:
    """Synthetic control for one treated unit."""

    label: str
    treated: str
    weights: pd.Series
    series: pd.DataFrame
    pre_rmspe: float
    post_rmspe: float
    ratio: float
    att: float
    p_value: float
    placebos: pd.DataFrame
    n_pre: int
    n_post: int
    notes: tuple[str, ...] = ()
    placebo_gaps: pd.DataFrame | None = None  # one row per placebo unit, one column per period
    estimable: Literal[True] = field(default=True, init=False)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "label": self.label,
                    "method": "synthetic control",
                    "treated": self.treated,
                    "att": self.att,
                    "pre_rmspe": self.pre_rmspe,
                    "post_rmspe": self.post_rmspe,
                    "rmspe_ratio": self.ratio,
                    "p_value": self.p_value,
                    "n_donors": int(len(self.weights)),
                    "n_pre": self.n_pre,
                    "n_post": self.n_post,
                    "note": "; ".join(self.notes),
                }
            ]
        )


def synthetic_weights(treated_pre: np.ndarray, donors_pre: np.ndarray) -> np.ndarray:
    """Weights w >= 0 with sum(w) = 1 minimising ||y1 - Y0 w||^2 over the pre-period (SLSQP)."""
    y1 = np.asarray(treated_pre, float)
    Y0 = np.asarray(donors_pre, float)
    k = Y0.shape[1]
    scale = float(np.abs(Y0).max()) or 1.0
    y1s, Y0s = y1 / scale, Y0 / scale
    w0 = np.full(k, 1.0 / k)

    def loss(w):
        r = y1s - Y0s @ w
        return float(r @ r)

    def grad(w):
        return -2.0 * Y0s.T @ (y1s - Y0s @ w)

    res = optimize.minimize(
        loss,
        w0,
        jac=grad,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * k,
        constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1.0, "jac": lambda w: np.ones(k)}],
        options={"ftol": 1e-14, "maxiter": 1000},
    )
    w = np.clip(res.x, 0.0, None)
    return w / w.sum()


def _fit_sc(wide: pd.DataFrame, treated: str, donors: list[str], pre_mask: np.ndarray):
    y1 = wide[treated].to_numpy(float)
    Y0 = wide[donors].to_numpy(float)
    w = synthetic_weights(y1[pre_mask], Y0[pre_mask])
    synth = Y0 @ w
    gap = y1 - synth
    pre_rmspe = float(np.sqrt(np.mean(gap[pre_mask] ** 2)))
    post_rmspe = float(np.sqrt(np.mean(gap[~pre_mask] ** 2)))
    return w, synth, gap, pre_rmspe, post_rmspe


def synthetic_control(
    panel: pd.DataFrame,
    *,
    treated: str,
    first_treated_period: float,
    donors: list[str] | None = None,
    unit: str = "unit",
    time: str = "year",
    outcome: str = "value",
    min_pre: int = 5,
    min_donors: int = 3,
    label: str = "",
    source: str = "<panel>",
) -> SyntheticControlResult | NotEstimable:
    """Synthetic control of ``treated`` from a pre-specified donor pool.

    Periods before ``first_treated_period`` are the pre-period. Donors and the treated
    unit need a value in every period used; a period where any of them lacks one is
    excluded and named in ``notes``, and a donor with no values is dropped and named.
    ``min_pre`` (default 5) is this book's pre-specified least pre-period: with fewer
    points the weights match noise (Abadie 2021 asks for a long pre-period).

    The placebo p-value is (1 + number of donors whose post/pre RMSPE ratio is at least
    the treated unit's) / (1 + number of donors), each placebo fitted from the other
    donors (the treated unit excluded).
    """
    frame, notes = _clean_panel(panel, unit, time, outcome, source)
    frame[unit] = frame[unit].astype(str)
    wide = frame.pivot(index=time, columns=unit, values=outcome).sort_index()
    treated = str(treated)
    if treated not in wide.columns:
        raise DataError([Problem(source, "treated-unit", "the treated unit has no rows", unit, value=treated)])
    pool = [str(d) for d in (donors if donors is not None else wide.columns) if str(d) != treated]
    absent = [d for d in pool if d not in wide.columns]
    if absent:
        notes.append("donor(s) without any value dropped: " + ", ".join(absent))
    pool = [d for d in pool if d in wide.columns]
    wide = wide[[treated] + pool]
    # periods where the treated unit has no value are excluded (named in notes by
    # _clean_panel); a donor lacking a value in any remaining period is dropped and named,
    # so that every period keeps the same donors.
    wide = wide.loc[wide[treated].notna()]
    gappy = [d for d in pool if wide[d].isna().any()]
    if gappy:
        notes.append("donor(s) without a value in every period dropped: " + ", ".join(gappy))
        pool = [d for d in pool if d not in gappy]
        wide = wide[[treated] + pool]
    pre_mask = np.asarray(wide.index < first_treated_period)
    n_pre, n_post = int(pre_mask.sum()), int((~pre_mask).sum())
    if n_pre < min_pre:
        return NotEstimable(
            label,
            f"{n_pre} pre-period(s); at least {min_pre} are needed for a synthetic control",
            n_pre,
            n_post,
            "synthetic control",
        )
    if n_post < 1:
        return NotEstimable(label, "no post-period", n_pre, n_post, "synthetic control")
    if len(pool) < min_donors:
        return NotEstimable(
            label,
            f"{len(pool)} donor(s) with complete data; at least {min_donors} needed",
            n_pre,
            n_post,
            "synthetic control",
        )
    w, synth, gap, pre_rmspe, post_rmspe = _fit_sc(wide, treated, pool, pre_mask)
    ratio = post_rmspe / pre_rmspe if pre_rmspe > 0 else np.inf
    placebo_rows, gaps = [], {}
    for d in pool:
        others = [o for o in pool if o != d]
        _, _, pgap, ppre, ppost = _fit_sc(wide, d, others, pre_mask)
        placebo_rows.append(
            {
                "unit": d,
                "pre_rmspe": ppre,
                "post_rmspe": ppost,
                "ratio": ppost / ppre if ppre > 0 else np.inf,
                "att": float(pgap[~pre_mask].mean()),
            }
        )
        gaps[d] = pgap
    placebos = pd.DataFrame(placebo_rows)
    placebo_gaps = pd.DataFrame(gaps, index=wide.index).T
    p_value = float((1 + (placebos["ratio"] >= ratio).sum()) / (1 + len(placebos)))
    if len(pool) < 19:
        notes.append(f"{len(pool)} donors: the smallest attainable placebo p-value is {1 / (1 + len(pool)):.3f}")
    series = pd.DataFrame(
        {
            "time": wide.index.to_numpy(),
            "treated": wide[treated].to_numpy(float),
            "synthetic": synth,
            "gap": gap,
            "post": (~pre_mask).astype(int),
        }
    )
    return SyntheticControlResult(
        label,
        treated,
        pd.Series(w, index=pool, name="weight"),
        series,
        pre_rmspe,
        post_rmspe,
        ratio,
        float(gap[~pre_mask].mean()),
        p_value,
        placebos,
        n_pre,
        n_post,
        tuple(notes),
        placebo_gaps,
    )
