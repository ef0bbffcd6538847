"""Exact permutation tests over a small number of labelled cases."""

from __future__ import annotations

import itertools
import math

import numpy as np


def permutation_p(values: dict[str, float], group: dict[str, str], positive: str) -> tuple[float, float, int]:
    """Exact two-sided permutation test of a difference in group means over site labels.

    Returns (difference, p-value, number of relabellings). Sites with NaN values are left
    out (and so change the number of relabellings); the p-value counts every relabelling
    of the same group sizes whose absolute difference is at least the observed one.
    """
    sites = [s for s in values if not (isinstance(values[s], float) and math.isnan(values[s]))]
    k = sum(1 for s in sites if group[s] == positive)
    n = len(sites)
    if k == 0 or k == n:
        return float("nan"), float("nan"), 0
    v = np.array([values[s] for s in sites], dtype=float)
    observed_mask = np.array([group[s] == positive for s in sites])
    observed = v[observed_mask].mean() - v[~observed_mask].mean()
    extreme = 0
    total = 0
    for combo in itertools.combinations(range(n), k):
        mask = np.zeros(n, dtype=bool)
        mask[list(combo)] = True
        diff = v[mask].mean() - v[~mask].mean()
        total += 1
        if abs(diff) >= abs(observed) - 1e-12:
            extreme += 1
    return float(observed), extreme / total, total


def smallest_p(n_sites: int, n_positive: int) -> float:
    """The smallest two-sided exact permutation p-value attainable with these group sizes."""
    total = math.comb(n_sites, n_positive)
    # the observed labelling and, when the groups are the same size, its mirror image
    tied = 2 if 2 * n_positive == n_sites else 1
    return tied / total
