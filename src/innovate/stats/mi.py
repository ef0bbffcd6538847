"""Multiple imputation by chained equations on arrays, and Rubin's rules.

Why our own chained equations rather than ``statsmodels.imputation.mice.MICEData``
(re-measured with statsmodels 0.15.0, the pinned version): ``MICEData`` now takes a
seeded ``numpy.random.Generator`` (``rng=``) and draws only from it, so reproducibility
is no longer a reason. Three reasons remain. (1) Speed: on a 600-person cohort frame
with eight wave columns to impute (1,014 missing values), twenty imputations take 0.4 s
here and about 190 s with ``MICEData`` (ten cycles each; it refits a formula model per
variable and cycle), too slow for twenty imputations at six sites or for the simulation
study. (2) Method: the analysis needs counts modelled on the log(1 + count) scale with
donors' values returned unchanged, draws of the residual variance from its posterior,
and one exact pass in wave order when dropout is monotone; ``MICEData`` perturbs the
coefficients from their normal approximation and always cycles. (3) Its analysis half
(``MICE.fit``) cannot run the longitudinal analysis models, so only the imputation half
would be used. Replacing the engine would change the book's imputations, so it is kept;
the algorithm is the standard one (Bayesian linear regression draws and predictive mean
matching; van Buuren 2018).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innovate.errors import DataError, Problem
from innovate.stats.results import Estimate

# ======================================================================================
# Multiple imputation by chained equations
# ======================================================================================


def is_monotone(missing: np.ndarray) -> bool:
    """Whether every row's observed columns come first (once missing, always missing)."""
    m = np.asarray(missing, bool)
    return bool(np.all(m[:, :-1] <= m[:, 1:])) if m.shape[1] > 1 else True


def chained_equations(
    wide: pd.DataFrame,
    impute: Sequence[str],
    predictors: Sequence[str],
    m: int,
    rng: np.random.Generator,
    n_iter: int = 10,
    method: str | dict = "pmm",
    bounds: dict | None = None,
    k_pmm: int = 5,
    log1p: Sequence[str] = (),
    source: str = "(imputation frame)",
) -> list[pd.DataFrame]:
    """``m`` completed copies of ``wide`` (see :func:`impute_arrays` for the method)."""
    values = impute_arrays(wide, impute, predictors, m, rng, n_iter, method, bounds, k_pmm, log1p, source)
    completed = []
    for i in range(m):
        done = wide.copy()
        done[list(impute)] = values[i]
        completed.append(done)
    return completed


def impute_arrays(
    wide: pd.DataFrame,
    impute: Sequence[str],
    predictors: Sequence[str],
    m: int,
    rng: np.random.Generator,
    n_iter: int = 10,
    method: str | dict = "pmm",
    bounds: dict | None = None,
    k_pmm: int = 5,
    log1p: Sequence[str] = (),
    source: str = "(imputation frame)",
) -> np.ndarray:
    """Chained equations: the ``impute`` columns of ``m`` completed data sets, an array
    of shape (m, rows, columns).

    Each variable of ``impute`` is regressed on the ``predictors`` and on the other
    imputed variables among rows where it is observed; coefficients and residual
    variance are drawn from their posterior (flat prior), and missing values are filled
    by predictive mean matching (``'pmm'``: a random donor among the ``k_pmm`` observed
    values whose predicted means are closest, so counts stay whole and scores in range)
    or by a normal draw clipped to ``bounds`` (``'norm'``). Columns named in ``log1p``
    (counts) are modelled, and used as predictors, as log(1 + value), which suits the
    log-linear mean of a count; donors' values are returned unchanged. When the missing
    pattern is monotone in the order of ``impute``, one pass in that order with earlier
    variables as predictors is exact; otherwise the chained equations iterate ``n_iter``
    times. Any frame will do: the columns are arguments; ``source`` names the data in
    error messages (a file, or a description of the frame).
    """
    impute = list(impute)
    predictors = list(predictors)
    base = wide[predictors].to_numpy(dtype=float)
    if np.isnan(base).any():
        row, col = np.argwhere(np.isnan(base))[0]
        raise DataError(
            [
                Problem(
                    source,
                    "complete predictors",
                    "imputation predictors must be complete",
                    column=predictors[int(col)],
                    row=int(row) + 1,
                )
            ]
        )
    values = wide[impute].to_numpy(dtype=float)
    missing = np.isnan(values)
    for j, col in enumerate(impute):
        if missing[:, j].all():
            raise DataError(
                [
                    Problem(
                        source,
                        "some observed values",
                        "cannot impute a variable with no observed values",
                        column=col,
                    )
                ]
            )
    methods = {c: (method[c] if isinstance(method, dict) else method) for c in impute}
    for c, meth in methods.items():
        if meth not in ("pmm", "norm"):
            raise ValueError(f"imputation method must be 'pmm' or 'norm', not {meth!r}")
    bounds = bounds or {}
    logged = np.array([c in set(log1p) for c in impute])
    if logged.any() and np.nanmin(values[:, logged]) < 0:
        raise ValueError("log1p columns must be non-negative")
    work_values = np.where(logged[None, :], np.log1p(np.where(np.isnan(values), 0, values)), values)
    work_values[missing] = np.nan
    monotone = is_monotone(missing)
    Xbase = np.hstack([np.ones((len(wide), 1)), base])
    completed = np.empty((m, *values.shape))
    for i in range(m):
        current = values.copy()  # original scale
        work = work_values.copy()  # modelling scale
        if monotone:
            passes = 1
        else:
            passes = n_iter
            for j in range(len(impute)):
                miss = missing[:, j]
                if miss.any():
                    pick = rng.choice(np.flatnonzero(~miss), size=int(miss.sum()))
                    current[miss, j], work[miss, j] = values[pick, j], work_values[pick, j]
        for _it in range(passes):
            for j, col in enumerate(impute):
                miss = missing[:, j]
                if not miss.any():
                    continue
                others = work[:, :j] if monotone else np.delete(work, j, axis=1)
                X = np.hstack([Xbase, others])
                donors, draw = _draw(X, work[:, j], miss, methods[col], k_pmm, rng)
                if donors is not None:
                    current[miss, j] = values[donors, j]
                    work[miss, j] = work_values[donors, j]
                else:
                    assert draw is not None  # _draw returns donors (pmm) or a draw (norm)
                    low, high = bounds.get(col, (None, None))
                    orig = np.expm1(draw) if logged[j] else draw
                    orig = np.clip(orig, -np.inf if low is None else low, np.inf if high is None else high)
                    current[miss, j] = orig
                    work[miss, j] = np.log1p(orig) if logged[j] else orig
        completed[i] = current
    return completed


def covariance_factor(cov: np.ndarray) -> np.ndarray:
    """A factor ``F`` with ``F F' = cov``, the same on every machine up to rounding.

    Cholesky's factor is unique for a positive definite matrix, so a draw ``F z`` moves
    only in its last bits when the BLAS kernel changes. An eigendecomposition is not
    unique (each eigenvector's sign, and any rotation within a repeated eigenvalue, is
    the library's choice), and different CPUs made different choices, which changed the
    imputations completely. Only a singular covariance (collinear predictors) falls back
    to the eigendecomposition, with each eigenvector's sign fixed so that its largest
    component is positive.
    """
    cov = np.asarray(cov, float)
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(cov)
        pivot = np.argmax(np.abs(vecs), axis=0)
        vecs = vecs * np.where(vecs[pivot, np.arange(vecs.shape[1])] < 0, -1.0, 1.0)
        return vecs * np.sqrt(np.clip(vals, 0, None))


#: A column whose part not explained by the earlier columns is smaller than this share
#: of its length counts as redundant (far above rounding error, far below real signal).
COLLINEARITY_TOLERANCE = 1e-8


def independent_columns(X: np.ndarray, tol: float = COLLINEARITY_TOLERANCE) -> list[int]:
    """Indices of a maximal set of linearly independent columns of ``X``, chosen greedily
    from the left (so the intercept and the design's own order decide what is kept).

    Gram-Schmidt with re-orthogonalisation: a column is kept when its residual on the
    columns already kept is longer than ``tol`` times its own length. The choice depends
    on the data, not on the BLAS kernel, unless a column is collinear to within ``tol``.
    """
    X = np.asarray(X, float)
    keep: list[int] = []
    basis = np.empty((X.shape[0], 0))
    for j in range(X.shape[1]):
        column = X[:, j]
        length = float(np.sqrt(column @ column))
        if length == 0.0:
            continue
        residual = column - basis @ (basis.T @ column)
        residual -= basis @ (basis.T @ residual)
        size = float(np.sqrt(residual @ residual))
        if size > tol * length:
            keep.append(j)
            basis = np.column_stack([basis, residual / size])
    return keep


#: Decimals kept in predicted values before donors are matched on them (see _quantised).
MATCHING_DECIMALS = 9


def _quantised(values: np.ndarray) -> np.ndarray:
    """Predictions rounded to MATCHING_DECIMALS before they are sorted and matched.

    Young people with the same covariates have the same prediction, but a BLAS kernel may
    compute two equal predictions with different last bits, which reorders ties and
    changes donors from one CPU to another; rounding far below any real difference makes
    equal predictions equal again, so ties are broken by the random draws alone.
    """
    return np.round(values, MATCHING_DECIMALS)


def _draw(
    X: np.ndarray, y: np.ndarray, miss: np.ndarray, method: str, k_pmm: int, rng: np.random.Generator
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """One Bayesian regression draw for the missing rows (see :func:`chained_equations`):
    the donor rows for predictive mean matching, or the normal draws."""
    obs_rows = np.flatnonzero(~miss)
    # A redundant predictor (e.g. a column that equals another among these rows) leaves
    # X'X singular, and whether a factorisation of a singular matrix succeeds depends on
    # rounding, so on the CPU; dropping it first changes no prediction.
    X = X[:, independent_columns(X[obs_rows])]
    Xo, yo = X[obs_rows], y[obs_rows]
    xtx_inv = np.linalg.inv(Xo.T @ Xo)
    beta = xtx_inv @ (Xo.T @ yo)
    resid = yo - Xo @ beta
    df = max(len(yo) - X.shape[1], 1)
    sigma2 = float(resid @ resid / df) * df / rng.chisquare(df)
    beta_draw = beta + covariance_factor((xtx_inv + xtx_inv.T) / 2 * sigma2) @ rng.standard_normal(len(beta))
    pred_mis = _quantised(X[miss] @ beta_draw)
    if method == "pmm":
        pred_obs = _quantised(Xo @ beta)
        k = min(k_pmm, len(yo))
        # Young people with the same covariates share a prediction; ties are broken at
        # random (as in mice), so every tied candidate can be a donor, not only the first
        # rows of the file.
        order = np.lexsort((rng.random(len(pred_obs)), pred_obs))
        sorted_pred = pred_obs[order]
        # the k nearest observed predictions lie in a window of 2k around the insertion point
        pos = np.searchsorted(sorted_pred, pred_mis)
        width = min(2 * k, len(yo))
        lo = np.clip(pos - k, 0, len(yo) - width)
        window = lo[:, None] + np.arange(width)[None, :]
        dist = np.abs(sorted_pred[window] - pred_mis[:, None])
        closest = np.lexsort((rng.random(dist.shape), dist), axis=1)[:, :k]
        nearest = np.take_along_axis(window, closest, axis=1)
        pick = nearest[np.arange(len(pred_mis)), rng.integers(0, k, len(pred_mis))]
        return obs_rows[order[pick]], None
    return None, pred_mis + np.sqrt(sigma2) * rng.standard_normal(len(pred_mis))


@dataclass(frozen=True)
class RubinResult:
    """Rubin's rules pooling of ``m`` completed-data estimates."""

    effect: Estimate
    m: int
    within: float
    between: float
    total: float
    relative_increase: float
    fraction_missing_info: float
    estimates: np.ndarray


def rubin(
    estimates: Sequence[float], variances: Sequence[float], df_complete: float | None = None, scale: str = "identity"
) -> RubinResult:
    """Pool completed-data estimates and variances by Rubin's rules: ``T = W + (1 + 1/m)
    B``; degrees of freedom ``(m - 1)(1 + 1/r)^2`` with ``r = (1 + 1/m) B / W``, combined
    with the complete-data degrees of freedom ``df_complete`` by Barnard and Rubin's rule
    when given."""
    q = np.asarray(estimates, float)
    u = np.asarray(variances, float)
    m = len(q)
    if m < 2:
        raise ValueError("Rubin's rules need at least two imputations")
    qbar = float(q.mean())
    w = float(u.mean())
    b = float(q.var(ddof=1))
    t = w + (1 + 1 / m) * b
    r = (1 + 1 / m) * b / w if w > 0 else np.inf
    lam = (1 + 1 / m) * b / t if t > 0 else 0.0
    df = (m - 1) * (1 + 1 / r) ** 2 if r > 0 else np.inf
    if df_complete is not None and np.isfinite(df_complete):
        obs = (df_complete + 1) / (df_complete + 3) * df_complete * (1 - lam)
        df = 1 / (1 / df + 1 / obs) if np.isfinite(df) else obs
    fmi = (r + 2 / (df + 3)) / (r + 1) if np.isfinite(df) and np.isfinite(r) else lam
    est = Estimate.from_se(qbar, float(np.sqrt(t)), scale=scale, df=float(df))
    return RubinResult(est, m, w, b, t, float(r), float(fmi), q)
