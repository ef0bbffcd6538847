"""Paired, stratified, vectorised non-parametric bootstrap, with percentile and BCa intervals."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from innovate.config import BOOTSTRAP_SEED
from innovate.errors import DataError, Problem

#: Level of every confidence interval the chapters show.
CI_LEVEL = 0.95


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

    @property
    def jackknife_groups(self) -> np.ndarray:
        """Sizes of the jackknife's blocks, one per stratum in order: the ``groups`` of
        :func:`bca_interval` (each stratum is a separate sample)."""
        return self.strata["n"].to_numpy(dtype=int) if self.jackknife.shape[0] else np.empty(0, dtype=int)

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
    seed: int = BOOTSTRAP_SEED,
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
                Problem(
                    file="(analysis frame)",
                    rule="bootstrap-stratum-size",
                    message=f"stratum {dict(r[list(strata)])} has fewer than 2 individuals",
                )
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


def arm_difference(
    boot: StratifiedBootstrap,
    weights: Mapping[Hashable, float] | None = None,
    treated: Hashable = "innovation",
    control: Hashable = "comparison",
    *,
    arm: str = "arm",
    by: str | None = "site_id",
) -> Callable[[np.ndarray], np.ndarray]:
    """A statistic: the difference in means, treated minus control, standardised over ``by``.

    The bootstrap's strata are keyed by the ``arm`` column (values ``treated`` and
    ``control``) and, unless ``by`` is None, by the ``by`` column (the book: ``site_id``).
    The statistic is the sum over the groups g of ``by`` of w_g * (mean_treated,g -
    mean_control,g), with w_g the group's share of individuals (or ``weights[g]``); with
    one group, or ``by=None``, it is the plain difference in means. Every group needs both
    arms and no other. Arm and group values are matched as text (the strata hold them as
    text). Returns (..., K).
    """
    table = boot.strata
    for column in (arm, by):
        if column is not None and column not in table.columns:
            raise DataError(
                [
                    Problem(
                        "(bootstrap strata)",
                        "missing-column",
                        f"the strata have no column {column!r} (strata: {', '.join(map(str, table.columns))})",
                        column,
                    )
                ]
            )
    # the strata hold their keys as text, so arms, groups and weights are matched as text
    group = table[by].astype(str) if by is not None else pd.Series("", index=table.index)
    arms_of = table[arm].astype(str)
    treated_key, control_key = str(treated), str(control)
    given = {str(g): w for g, w in (weights or {}).items()}
    groups = list(dict.fromkeys(group))
    totals = table.groupby(group.to_numpy(), sort=False)["n"].sum()
    shares = {g: given.get(g, totals[g] / totals.sum()) for g in groups}
    coef = np.zeros(len(table))
    for i in range(len(table)):
        if arms_of.iloc[i] == treated_key:
            coef[i] = shares[group.iloc[i]]
        elif arms_of.iloc[i] == control_key:
            coef[i] = -shares[group.iloc[i]]
    for g in groups:
        arms = set(arms_of[(group == g).to_numpy()])
        if arms != {treated_key, control_key}:
            where = f"{by} {g}" if by is not None else "the data"
            raise DataError(
                [
                    Problem(
                        file="(analysis frame)",
                        rule="both-arms",
                        message=f"{where} needs both arms ({treated_key} and {control_key}), has {sorted(arms)}",
                        column=arm,
                    )
                ]
            )

    def statistic(means: np.ndarray) -> np.ndarray:
        return np.tensordot(means, coef, axes=([-2], [0]))

    return statistic


def percentile_interval(replicates, level: float = CI_LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval (linear interpolation between order statistics)."""
    r = np.asarray(replicates, dtype=float).ravel()
    alpha = (1 - level) / 2
    lo, hi = np.quantile(r, [alpha, 1 - alpha])
    return float(lo), float(hi)


def bca_interval(
    estimate: float,
    replicates,
    jackknife_values,
    level: float = CI_LEVEL,
    groups: Sequence[int] | np.ndarray | None = None,
) -> tuple[float, float]:
    """Bias-corrected and accelerated bootstrap interval (Efron 1987).

    Bias correction z0 = Phi^-1(share of replicates below the estimate, ties counted
    half). Acceleration from the jackknife, in the multi-sample form (Efron and
    Tibshirani 1993, eq. 15.36; as ``scipy.stats.bootstrap`` computes it for a statistic
    of several samples): ``jackknife_values`` are the statistic with each individual
    left out in turn, in consecutive blocks of ``groups[j]`` values for sample (stratum)
    ``j``; with U_ji = (n_j - 1)(mean_j - value_ji),
    a = sum_j sum_i U_ji^3 / n_j^3 / (6 (sum_j sum_i U_ji^2 / n_j^2)^1.5).
    Without ``groups`` the values form one sample, and a = sum(d^3) / (6 sum(d^2)^1.5)
    with d = mean - value. Returns NaNs when the correction is undefined (every
    replicate on one side of the estimate).
    """
    r = np.asarray(replicates, dtype=float).ravel()
    jk = np.asarray(jackknife_values, dtype=float).ravel()
    b = r.size
    share = ((r < estimate).sum() + 0.5 * (r == estimate).sum()) / b
    if share <= 0 or share >= 1:
        return float("nan"), float("nan")
    z0 = stats.norm.ppf(share)
    a = _acceleration(jk, [jk.size] if groups is None else groups)
    alpha = (1 - level) / 2
    z = stats.norm.ppf([alpha, 1 - alpha])
    adj = stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))
    lo, hi = np.quantile(r, adj)
    return float(lo), float(hi)


def _acceleration(jk: np.ndarray, groups: Sequence[int] | np.ndarray) -> float:
    """The BCa acceleration from jackknife values in consecutive per-sample blocks."""
    sizes = np.asarray(groups, dtype=int)
    if sizes.sum() != jk.size or np.any(sizes < 2):
        raise ValueError(f"jackknife blocks {list(sizes)} must each have 2+ values and cover all {jk.size} values")
    num = den = 0.0
    for block in np.split(jk, np.cumsum(sizes)[:-1]):
        n = block.size
        u = (n - 1) * (block.mean() - block)
        num += float((u**3).sum()) / n**3
        den += float((u**2).sum()) / n**2
    return num / (6.0 * den**1.5) if den > 0 else 0.0
