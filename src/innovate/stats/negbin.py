"""The negative binomial (NB2) dispersion of a log-linear mean model: the one estimator
of ``alpha`` in ``Var = mu + alpha mu^2`` used by the GEE engine and the ITS models.

Maximum likelihood by profiling: for each ``alpha`` the coefficients are found by IRLS,
and the profile log-likelihood is maximised over ``log alpha`` on a bounded interval.
This gives statsmodels' discrete ``NegativeBinomial(loglike_method='nb2')`` estimate
(tested, with and without an offset) in a fraction of the time, and it cannot fail to
converge: with no overdispersion beyond Poisson it returns the floor ``ALPHA_FLOOR``.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize
from scipy.special import gammaln

#: Smallest and largest alpha searched (the floor stands for "no overdispersion").
ALPHA_FLOOR, ALPHA_CEILING = 1e-8, 1e3
#: Below this, the estimate is reported as "at (or near) zero".
ALPHA_NEAR_ZERO = 1e-4


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.solve(a, b)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(a) @ b


def nb2_irls(
    y: np.ndarray,
    X: np.ndarray,
    alpha: float,
    beta: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    tol: float = 1e-10,
    maxiter: int = 100,
) -> np.ndarray:
    """Maximum likelihood coefficients of an NB2 log-linear model with ``alpha`` fixed
    (iteratively reweighted least squares); ``offset`` is added to the linear predictor."""
    off = np.zeros(len(y)) if offset is None else np.asarray(offset, float)
    if beta is None:
        beta = np.zeros(X.shape[1])
        beta[0] = np.log(max(y.sum() / np.exp(off).sum(), 1e-8))
    for _ in range(maxiter):
        mu = np.exp(np.clip(X @ beta + off, -700, 700))
        w = mu / (1 + alpha * mu)
        score = X.T @ (w * (y - mu) / mu)
        step = _solve((X * w[:, None]).T @ X, score)
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    return beta


def nb2_loglike(y: np.ndarray, mu: np.ndarray, alpha: float) -> float:
    """The NB2 log-likelihood of counts ``y`` with means ``mu``."""
    r = 1 / alpha
    return float(
        np.sum(gammaln(y + r) - gammaln(r) - gammaln(y + 1) + r * np.log(r / (r + mu)) + y * np.log(mu / (r + mu)))
    )


def estimate_nb_alpha(
    y: np.ndarray, X: np.ndarray, offset: np.ndarray | None = None, notes: list[str] | None = None
) -> float:
    """NB2 dispersion ``alpha`` of the mean model ``log mu = X b + offset`` by maximum
    likelihood (``X`` includes the constant). With no overdispersion the maximum lies at
    the boundary and the floor 1e-8 is returned; ``notes`` (if given) then says so."""
    y = np.asarray(y, float)
    X = np.asarray(X, float)
    off = None if offset is None else np.asarray(offset, float)
    state: dict = {"beta": None}

    def negll(log_alpha: float) -> float:
        alpha = float(np.exp(log_alpha))
        state["beta"] = nb2_irls(y, X, alpha, state["beta"], off)
        eta = X @ state["beta"] + (0.0 if off is None else off)
        return -nb2_loglike(y, np.exp(eta), alpha)

    res = optimize.minimize_scalar(
        negll, bounds=(np.log(ALPHA_FLOOR), np.log(ALPHA_CEILING)), method="bounded", options={"xatol": 1e-6}
    )
    alpha = float(np.exp(res.x))
    if notes is not None and alpha < ALPHA_NEAR_ZERO:
        notes.append("negative binomial alpha at (or near) zero: no overdispersion beyond Poisson")
    return alpha
