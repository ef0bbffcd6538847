"""Random-effects meta-analysis (DerSimonian-Laird and REML, with the Hartung-Knapp-Sidik-Jonkman
interval), the Q-profile interval for tau-squared and I-squared, and the prediction interval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import optimize, stats

from innovate.stats.results import Estimate, _effect_row

# ======================================================================================
# Random-effects meta-analysis across sites
# ======================================================================================


@dataclass(frozen=True)
class MetaResult:
    """Random-effects pooling of site estimates (model scale: log for rate ratios)."""

    labels: tuple[str, ...]
    estimates: np.ndarray
    variances: np.ndarray
    pooled: Estimate
    tau2: float
    i2: float
    q: float
    q_df: int
    q_p_value: float
    weights: np.ndarray  # random-effects weights, summing to one
    method: str
    ci_method: str
    fixed: Estimate

    @property
    def k(self) -> int:
        return len(self.estimates)

    def table(self) -> pd.DataFrame:
        """One row per site and a last row for the pooled estimate (natural scale)."""
        rows = []
        for lab, y, v, w in zip(self.labels, self.estimates, self.variances, self.weights):
            row = _effect_row(Estimate.from_se(float(y), float(np.sqrt(v)), scale=self.pooled.scale), study=lab)
            row["weight_pct"] = 100 * float(w)
            rows.append(row)
        row = _effect_row(self.pooled, study="Pooled (random effects)")
        row["weight_pct"] = 100.0
        rows.append(row)
        return pd.DataFrame(rows)

    def tau2_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Q-profile interval for tau-squared (:func:`q_profile_tau2`), in the units of
        ``estimates`` (the model scale)."""
        return q_profile_tau2(self.estimates, self.variances, level)

    def i2_interval(self, level: float = 0.95) -> tuple[float, float]:
        """I-squared at the ends of the Q-profile interval for tau-squared (a share, 0 to 1),
        with the same typical within-study variance as the point estimate, so that the
        interval and ``i2`` are on one definition."""
        low, high = self.tau2_interval(level)
        return i_squared(low, self.variances), i_squared(high, self.variances)

    def prediction_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Where the true effect of a new site like these would lie: ``mu +- t(k-2) *
        sqrt(tau^2 + SE(mu)^2)`` (the form of Higgins, Thompson and Spiegelhalter), with
        the pooled estimate's own standard error (Hartung-Knapp-Sidik-Jonkman when that is
        the interval used) and tau-squared from the pooling method; on the natural scale
        (ratios for log-scale effects). Needs at least three sites."""
        if self.k < 3:
            raise ValueError(f"a prediction interval needs at least three estimates (t with k-2 df), got {self.k}")
        half = float(stats.t.ppf(0.5 + level / 2, self.k - 2)) * float(np.sqrt(self.tau2 + self.pooled.se**2))
        low, high = self.pooled.estimate - half, self.pooled.estimate + half
        if self.pooled.scale == "log":
            return float(np.exp(low)), float(np.exp(high))
        return float(low), float(high)

    def summary(self) -> dict:
        value, low, high = self.pooled.natural()
        return {
            "k": self.k,
            "pooled": value,
            "ci_low": low,
            "ci_high": high,
            "p_value": self.pooled.p_value,
            "tau2": self.tau2,
            "tau": float(np.sqrt(self.tau2)),
            "i2_pct": 100 * self.i2,
            "q": self.q,
            "q_df": self.q_df,
            "q_p_value": self.q_p_value,
            "method": self.method,
            "ci_method": self.ci_method,
        }


def scale_meta(meta: MetaResult, factor: float) -> MetaResult:
    """A meta-analysis of identity-scale effects in other units (e.g. slope per month x 18
    = difference over 18 months): estimates and intervals times ``factor``, variances and
    tau-squared times its square; I-squared, Q and the weights are unchanged."""
    if meta.pooled.scale != "identity" or factor <= 0:
        raise ValueError("only identity-scale results can be rescaled, by a positive factor")
    return replace(
        meta,
        estimates=meta.estimates * factor,
        variances=meta.variances * factor**2,
        pooled=meta.pooled.scaled(factor),
        tau2=meta.tau2 * factor**2,
        fixed=meta.fixed.scaled(factor),
    )


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1 / v
    mu = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - mu) ** 2)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return float(max(0.0, (q - (len(y) - 1)) / c)) if c > 0 else 0.0


def _tau2_reml(y: np.ndarray, v: np.ndarray, tol: float = 1e-12, max_iter: int = 1000) -> float:
    """REML tau-squared by the fixed-point iteration of Viechtbauer (2005), from DL."""
    tau2 = _tau2_dl(y, v)
    for _ in range(max_iter):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        new = max(0.0, float(np.sum(w**2 * ((y - mu) ** 2 - v)) / np.sum(w**2) + 1 / np.sum(w)))
        if abs(new - tau2) < tol:
            return new
        tau2 = new
    return tau2


def generalised_q(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """The generalised Q statistic ``sum w_i (y_i - mu_w)^2`` with ``w_i = 1 / (v_i + tau2)``;
    it falls as tau2 rises and follows chi-squared with k - 1 df at the true tau2."""
    w = 1 / (np.asarray(v, float) + tau2)
    y = np.asarray(y, float)
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


def q_profile_tau2(estimates, variances, level: float = 0.95) -> tuple[float, float]:
    """Q-profile confidence interval for tau-squared (Viechtbauer 2007; metafor's default).

    The ends solve ``Q(tau2) = chi2`` quantiles with k - 1 df: the lower end at the upper
    quantile, the upper end at the lower quantile. An end whose equation has no root above
    zero (Q at zero already below the quantile) is zero, so with little heterogeneity the
    interval starts at zero and can be {0}.
    """
    y, v = np.asarray(estimates, float), np.asarray(variances, float)
    if len(y) < 2 or len(v) != len(y) or np.any(v <= 0) or not (0 < level < 1):
        raise ValueError("the Q-profile needs at least two estimates, positive variances and 0 < level < 1")
    df = len(y) - 1
    q0 = generalised_q(y, v, 0.0)

    def end(quantile: float) -> float:
        target = float(stats.chi2.ppf(quantile, df))
        if q0 <= target:
            return 0.0
        high = max(1.0, 10 * float(np.var(y)))
        while generalised_q(y, v, high) > target:  # Q falls towards zero as tau2 grows
            high *= 2
        return float(optimize.brentq(lambda t: generalised_q(y, v, t) - target, 0.0, high, xtol=1e-12, rtol=1e-12))

    return end(0.5 + level / 2), end(0.5 - level / 2)


def typical_variance(variances: np.ndarray) -> float:
    """Higgins and Thompson's (2002) typical within-study variance,
    ``(k - 1) sum(w) / ((sum w)^2 - sum(w^2))`` with ``w = 1/v``."""
    w = 1 / np.asarray(variances, float)
    return float((len(w) - 1) * w.sum() / (w.sum() ** 2 - (w**2).sum()))


def i_squared(tau2: float, variances: np.ndarray) -> float:
    """I-squared in its tau-squared form, ``tau^2 / (tau^2 + s^2)`` (s^2: :func:`typical_variance`)."""
    tau2 = max(0.0, float(tau2))
    return tau2 / (tau2 + typical_variance(variances))


def meta_analysis(
    estimates: Sequence[float],
    variances: Sequence[float],
    labels: Sequence[str] | None = None,
    method: str = "DL",
    ci: str = "hksj",
    scale: str = "identity",
) -> MetaResult:
    """Random-effects meta-analysis of site estimates.

    ``method``: 'DL' (DerSimonian-Laird) or 'REML' for tau-squared. ``ci``: 'normal'
    (Wald), 'hksj' (Hartung-Knapp-Sidik-Jonkman: t with k-1 degrees of freedom and the
    variance rescaled by the weighted residual spread ``q``) or 'hksj_modified' (the same
    with ``max(1, q)``, never narrower than the Wald interval). The book uses 'hksj': in
    the simulation appendix, with six sites, the Wald interval undercovers once the sites
    differ and the modified interval overcovers when they do not.
    ``I^2 = tau^2 / (tau^2 + s^2)``, the share of the total variance due to
    heterogeneity, with tau-squared from the pooling ``method`` and Higgins and
    Thompson's (2002) typical within-study variance ``s^2 = (k - 1) sum(w) / ((sum w)^2
    - sum(w^2))``, ``w = 1/v`` (metafor's definition for every estimator). Under DL it
    equals ``max(0, (Q - df) / Q)`` from Cochran's Q; under REML it is consistent with
    the tau-squared that weights the pooled estimate.
    """
    y = np.asarray(estimates, float)
    v = np.asarray(variances, float)
    k = len(y)
    if k < 2 or len(v) != k:
        raise ValueError("meta-analysis needs at least two estimates with one variance each")
    if np.any(~np.isfinite(y)) or np.any(~np.isfinite(v)) or np.any(v <= 0):
        raise ValueError("estimates must be finite and variances finite and positive")
    labels = tuple(labels) if labels is not None else tuple(f"study {i + 1}" for i in range(k))
    w_fe = 1 / v
    mu_fe = float(np.sum(w_fe * y) / np.sum(w_fe))
    q = float(np.sum(w_fe * (y - mu_fe) ** 2))
    if method.upper() == "DL":
        tau2 = _tau2_dl(y, v)
    elif method.upper() == "REML":
        tau2 = _tau2_reml(y, v)
    else:
        raise ValueError(f"method must be 'DL' or 'REML', not {method!r}")
    w = 1 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    se = float(np.sqrt(1 / np.sum(w)))
    if ci == "normal":
        pooled = Estimate.from_se(mu, se, scale=scale)
    elif ci in ("hksj", "hksj_modified"):
        qhk = float(np.sum(w * (y - mu) ** 2) / (k - 1))
        factor = max(1.0, qhk) if ci == "hksj_modified" else qhk
        pooled = Estimate.from_se(mu, se * np.sqrt(factor), scale=scale, df=k - 1)
    else:
        raise ValueError(f"ci must be 'normal', 'hksj' or 'hksj_modified', not {ci!r}")
    return MetaResult(
        labels=labels,
        estimates=y,
        variances=v,
        pooled=pooled,
        tau2=float(tau2),
        i2=i_squared(tau2, v),
        q=q,
        q_df=k - 1,
        q_p_value=float(stats.chi2.sf(q, k - 1)),
        weights=w / w.sum(),
        method=method.upper(),
        ci_method=ci,
        fixed=Estimate.from_se(mu_fe, float(np.sqrt(1 / np.sum(w_fe))), scale=scale),
    )


def pooled_intervals(
    estimates: np.ndarray, variances: Sequence[float] | np.ndarray, ci: str = "hksj"
) -> tuple[np.ndarray, ...]:
    """DerSimonian-Laird pooled estimate and interval of every row of ``estimates`` at once.

    Row ``i`` gives exactly (bit for bit) ``meta_analysis(estimates[i], variances, ci=ci).pooled``'s
    ``estimate``, ``ci_low`` and ``ci_high``: the same operations on the same numbers, row-wise
    (a simulation pools tens of thousands of replications). Returns (estimate, low, high).
    """
    y = np.asarray(estimates, float)
    v = np.asarray(variances, float)
    k = y.shape[1]
    if k < 2 or len(v) != k or np.any(v <= 0):
        raise ValueError("meta-analysis needs at least two estimates with one positive variance each")
    w = 1 / v
    mu_fe = (np.sum(w * y, axis=1) / np.sum(w))[:, None]
    q = np.sum(w * (y - mu_fe) ** 2, axis=1)
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = np.maximum(0.0, (q - (k - 1)) / c) if c > 0 else np.zeros(len(y))
    wr = 1 / (v + tau2[:, None])
    mu = np.sum(wr * y, axis=1) / np.sum(wr, axis=1)
    se = np.sqrt(1 / np.sum(wr, axis=1))
    if ci == "normal":
        crit = Estimate.from_se(0.0, 1.0).ci_high
    elif ci in ("hksj", "hksj_modified"):
        qhk = np.sum(wr * (y - mu[:, None]) ** 2, axis=1) / (k - 1)
        se = se * np.sqrt(np.maximum(1.0, qhk) if ci == "hksj_modified" else qhk)
        crit = Estimate.from_se(0.0, 1.0, df=k - 1).ci_high
    else:
        raise ValueError(f"ci must be 'normal', 'hksj' or 'hksj_modified', not {ci!r}")
    return mu, mu - crit * se, mu + crit * se
