"""Propensity-score weighting: effective sample size, standardised differences, IPW and AIPW effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innovate.errors import DataError, Problem
from innovate.stats.gee import _solve
from innovate.stats.mi import independent_columns, rubin
from innovate.stats.results import Estimate


def kish_ess(weights: np.ndarray) -> float:
    """Kish's effective sample size, (sum w)^2 / sum w^2."""
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / (w**2).sum())


def standardised_differences(
    frame: pd.DataFrame, covariates: Sequence[str], treated: np.ndarray, weights: np.ndarray | None = None
) -> pd.DataFrame:
    """Standardised mean differences (innovation minus comparison) before and, with
    ``weights``, after weighting; the denominator is the unweighted pooled SD
    sqrt((s1^2 + s0^2) / 2) both times, so only the means move (Austin and Stuart)."""
    t = np.asarray(treated).astype(bool)
    rows = []
    for c in covariates:
        x = frame[c].to_numpy(dtype=float)
        s = np.sqrt((x[t].var(ddof=1) + x[~t].var(ddof=1)) / 2)
        m1, m0 = x[t].mean(), x[~t].mean()
        row = {
            "covariate": c,
            "mean_innovation": m1,
            "mean_comparison": m0,
            "smd_before": (m1 - m0) / s if s > 0 else 0.0,
        }
        if weights is not None:
            w = np.asarray(weights, float)
            wm1, wm0 = np.average(x[t], weights=w[t]), np.average(x[~t], weights=w[~t])
            row.update(
                weighted_mean_innovation=wm1, weighted_mean_comparison=wm0, smd_after=(wm1 - wm0) / s if s > 0 else 0.0
            )
        rows.append(row)
    return pd.DataFrame(rows)


#: A binary covariate of the propensity model needs this many young people with the
#: characteristic in each arm; sparser ethnicity levels are combined, others dropped.
MIN_PER_ARM = 10


def _ps_design(frame: pd.DataFrame, covariates: Sequence[str]) -> np.ndarray:
    return np.hstack([np.ones((len(frame), 1)), frame[list(covariates)].to_numpy(dtype=float)])


def _logit_fit(t: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Logistic regression coefficients (Newton-Raphson; separation raises)."""
    beta = np.zeros(X.shape[1])
    for _ in range(50):
        e = 1 / (1 + np.exp(-(X @ beta)))
        grad = X.T @ (t - e)
        hess = (X * (e * (1 - e))[:, None]).T @ X
        upd = _solve(hess, grad)
        beta = beta + upd
        if np.max(np.abs(upd)) < 1e-10:
            break
    if not np.all(np.isfinite(beta)) or np.max(np.abs(X @ beta)) > 30:
        raise ValueError("the propensity model separates the arms; the arms do not overlap")
    return beta


def ipw_effect(y: np.ndarray, treated: np.ndarray, X: np.ndarray) -> Estimate:
    """Inverse-probability-weighted (normalised, Hajek) difference in means with a
    logistic propensity score on ``X`` (constant included). The standard error is the
    M-estimation sandwich that accounts for estimating the propensity score (Lunceford
    and Davidian 2004); normalised weights make stabilisation irrelevant here."""
    y = np.asarray(y, float)
    t = np.asarray(treated, float)
    gamma = _logit_fit(t, X)
    e = 1 / (1 + np.exp(-(X @ gamma)))
    n, p = X.shape
    mu1 = np.sum(t * y / e) / np.sum(t / e)
    mu0 = np.sum((1 - t) * y / (1 - e)) / np.sum((1 - t) / (1 - e))
    psi = np.column_stack([X * (t - e)[:, None], t / e * (y - mu1), (1 - t) / (1 - e) * (y - mu0)])
    A = np.zeros((p + 2, p + 2))
    A[:p, :p] = (X * (e * (1 - e))[:, None]).T @ X / n
    A[p, :p] = (X * (t * (y - mu1) * (1 - e) / e)[:, None]).mean(axis=0)
    A[p, p] = np.mean(t / e)
    A[p + 1, :p] = -(X * ((1 - t) * (y - mu0) * e / (1 - e))[:, None]).mean(axis=0)
    A[p + 1, p + 1] = np.mean((1 - t) / (1 - e))
    Ainv = np.linalg.inv(A)
    V = Ainv @ (psi.T @ psi / n) @ Ainv.T / n
    c = np.zeros(p + 2)
    c[p], c[p + 1] = 1, -1
    return Estimate.from_se(float(mu1 - mu0), float(np.sqrt(c @ V @ c)))


def weighted_effects_frame(
    frame: pd.DataFrame,
    outcome: str,
    ps_covariates: Sequence[str],
    treatment: str = "treated",
    outcome_covariates: Sequence[str] | None = None,
    source: str = "(analysis frame)",
) -> tuple[Estimate, Estimate]:
    """IPW and AIPW effects of ``treatment`` (a 0/1 column) on ``outcome`` in any frame:
    the propensity model on an intercept and ``ps_covariates``, the AIPW outcome models
    on an intercept and ``outcome_covariates`` (default: the propensity covariates).
    Every column named must be complete; a gap is reported with ``source``, column and
    row. Returns (IPW, AIPW) as :func:`ipw_effect` and :func:`aipw_effect` give them."""
    ps = list(ps_covariates)
    out = ps if outcome_covariates is None else list(outcome_covariates)
    columns = list(dict.fromkeys([outcome, treatment, *ps, *out]))
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError([Problem(source, "required column", "column missing", column=c) for c in absent])
    values = frame[columns].to_numpy(dtype=float)
    if np.isnan(values).any():
        row, col = np.argwhere(np.isnan(values))[0]
        raise DataError(
            [
                Problem(
                    source, "complete values", "weighting needs complete values", column=columns[col], row=int(row) + 1
                )
            ]
        )
    t = frame[treatment].to_numpy(dtype=float)
    if not np.all(np.isin(t, (0.0, 1.0))):
        row = int(np.flatnonzero(~np.isin(t, (0.0, 1.0)))[0])
        raise DataError(
            [Problem(source, "binary treatment", "must be 0 or 1", column=treatment, row=row + 1, value=t[row])]
        )
    y = frame[outcome].to_numpy(dtype=float)
    X_ps, X_out = _ps_design(frame, ps), _ps_design(frame, out)
    return ipw_effect(y, t, X_ps), aipw_effect(y, t, X_ps, X_out)


def aipw_effect(y: np.ndarray, treated: np.ndarray, X_ps: np.ndarray, X_out: np.ndarray) -> Estimate:
    """Augmented IPW (doubly robust) average treatment effect: logistic propensity on
    ``X_ps``, linear outcome models fitted in each arm on ``X_out`` (constants included).

    The standard error is the stacked M-estimation sandwich (Lunceford and Davidian
    2004; Stefanski and Boos 2002): the logistic score equations, the two arms' least
    squares normal equations and the AIPW moment are solved together, and
    ``A^-1 B A^-T / n`` accounts for estimating the propensity score and both outcome
    models. (The efficient-influence-function variance alone treats the fitted models as
    known, which is exact only when both are correctly specified.) Point estimate and
    standard error equal statsmodels' ``TreatmentEffect(...).aipw()`` with a logit
    selection model (tested on the Cattaneo birth-weight data).
    """
    y = np.asarray(y, float)
    t = np.asarray(treated, float)
    X_ps = np.asarray(X_ps, float)
    X_out = np.asarray(X_out, float)
    gamma = _logit_fit(t, X_ps)
    e = 1 / (1 + np.exp(-(X_ps @ gamma)))
    # A column that repeats others within an arm (e.g. the baseline score when it is also
    # a propensity covariate) changes no fitted value; it is dropped so that each arm's
    # normal equations have a unique solution and the sandwich's A can be inverted.
    X1 = X_out[:, independent_columns(X_out[t == 1])]
    X0 = X_out[:, independent_columns(X_out[t == 0])]
    b1 = np.linalg.lstsq(X1[t == 1], y[t == 1], rcond=None)[0]
    b0 = np.linalg.lstsq(X0[t == 0], y[t == 0], rcond=None)[0]
    m1, m0 = X1 @ b1, X0 @ b0
    phi1 = m1 + t * (y - m1) / e
    phi0 = m0 + (1 - t) * (y - m0) / (1 - e)
    ate = float(np.mean(phi1 - phi0))
    return Estimate.from_se(ate, _aipw_sandwich_se(y, t, X_ps, X1, X0, e, m1, m0, phi1 - phi0 - ate))


def _aipw_sandwich_se(
    y: np.ndarray,
    t: np.ndarray,
    X_ps: np.ndarray,
    X1: np.ndarray,
    X0: np.ndarray,
    e: np.ndarray,
    m1: np.ndarray,
    m0: np.ndarray,
    psi_ate: np.ndarray,
) -> float:
    """Standard error of the AIPW effect from the stacked estimating equations
    (gamma: logistic scores; b1 on ``X1`` and b0 on ``X0``: normal equations of each
    arm; the AIPW moment)."""
    n, p = X_ps.shape
    k1, k0 = X1.shape[1], X0.shape[1]
    psi = np.column_stack(
        [X_ps * (t - e)[:, None], X1 * (t * (y - m1))[:, None], X0 * ((1 - t) * (y - m0))[:, None], psi_ate]
    )
    # A = -E[d psi / d theta], theta = (gamma, b1, b0, ate)
    d = p + k1 + k0 + 1
    A = np.zeros((d, d))
    g, o1, o0 = slice(0, p), slice(p, p + k1), slice(p + k1, p + k1 + k0)
    A[g, g] = (X_ps * (e * (1 - e))[:, None]).T @ X_ps / n
    A[o1, o1] = (X1 * t[:, None]).T @ X1 / n
    A[o0, o0] = (X0 * (1 - t)[:, None]).T @ X0 / n
    # derivative of the AIPW moment in gamma (through e), b1 and b0 (through m1, m0)
    A[-1, g] = (X_ps * (t * (y - m1) * (1 - e) / e + (1 - t) * (y - m0) * e / (1 - e))[:, None]).mean(axis=0)
    A[-1, o1] = -(X1 * (1 - t / e)[:, None]).mean(axis=0)
    A[-1, o0] = (X0 * (1 - (1 - t) / (1 - e))[:, None]).mean(axis=0)
    A[-1, -1] = 1.0
    Ainv = np.linalg.inv(A)
    V = Ainv @ (psi.T @ psi / n) @ Ainv.T / n
    return float(np.sqrt(V[-1, -1]))


# ======================================================================================
# The change from a first to a last measurement, over imputations
# ======================================================================================


@dataclass(frozen=True)
class ChangeEffects:
    """IPW and AIPW effects on a change score; ``m`` data sets (1: complete cases) of ``n`` rows."""

    ipw: Estimate
    aipw: Estimate
    m: int
    n: int


def change_effects(
    frame: pd.DataFrame,
    before: str,
    after: str,
    treatment: str,
    covariates: Sequence[str],
    completed: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
    source: str = "(analysis frame)",
) -> ChangeEffects:
    """IPW and AIPW effects of ``treatment`` (a 0/1 column) on ``after - before`` in any frame.

    The propensity model is on an intercept and ``covariates``; the AIPW outcome models add
    the ``before`` value. Without ``completed``, rows where ``before`` or ``after`` is
    missing are left out (complete cases). With ``completed`` - one ``(before values,
    after values)`` pair of arrays per imputed data set, rows in the frame's order - every
    row is used in each data set and the effects are pooled by Rubin's rules, with the
    complete-data degrees of freedom rows minus propensity parameters. ``treatment`` and
    ``covariates`` must be complete; a gap is reported with ``source``, column and row.
    """
    columns = list(dict.fromkeys([before, after, treatment, *covariates]))
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError([Problem(source, "required column", "column missing", column=c) for c in absent])
    _complete(frame, [treatment, *covariates], source)
    t_all = frame[treatment].to_numpy(float)
    X_all = _ps_design(frame, covariates)
    if completed is not None:
        sets = [(np.asarray(b, float), np.asarray(a, float), np.ones(len(frame), bool)) for b, a in completed]
    else:
        keep = frame[[before, after]].notna().all(axis=1).to_numpy()
        sets = [(frame[before].to_numpy(float), frame[after].to_numpy(float), keep)]
    q_ipw, u_ipw, q_dr, u_dr = [], [], [], []
    for y0, y1, keep in sets:
        y, t, xp = (y1 - y0)[keep], t_all[keep], X_all[keep]
        xo = np.column_stack([xp, y0[keep]])
        a, b = ipw_effect(y, t, xp), aipw_effect(y, t, xp, xo)
        q_ipw.append(a.estimate)
        u_ipw.append(a.se**2)
        q_dr.append(b.estimate)
        u_dr.append(b.se**2)
    if len(sets) > 1:
        dfc = len(frame) - X_all.shape[1]
        ipw, dr = rubin(q_ipw, u_ipw, df_complete=dfc).effect, rubin(q_dr, u_dr, df_complete=dfc).effect
        return ChangeEffects(ipw, dr, len(sets), len(frame))
    ipw, dr = Estimate.from_se(q_ipw[0], np.sqrt(u_ipw[0])), Estimate.from_se(q_dr[0], np.sqrt(u_dr[0]))
    return ChangeEffects(ipw, dr, 1, int(sets[0][2].sum()))


def _complete(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    """A DataError naming the first gap (column and row) in ``columns``."""
    values = frame[list(columns)].to_numpy(dtype=float)
    if np.isnan(values).any():
        row, col = np.argwhere(np.isnan(values))[0]
        raise DataError(
            [
                Problem(
                    source, "complete values", "weighting needs complete values", column=columns[col], row=int(row) + 1
                )
            ]
        )
