"""Linear mixed models (REML) with a random intercept and slope: a fast engine on arrays and the statsmodels fallback.

Why a fast engine beside statsmodels' ``MixedLM``: statsmodels loops over groups in
Python (about a second per fit at a site), too slow for twenty imputations at six sites
and for the simulation study. The engine here maximises the same REML criterion using
the fact that people with the same observed waves share one covariance matrix; it
agrees with ``MixedLM`` on the coefficients (tested, including on public data). Its
standard errors are the model-based ``(X' V^-1 X)^-1`` (as in R's nlme).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

from innovate.stats.gee import _clusters, _inv
from innovate.stats.results import Estimate, _effect_row

# ======================================================================================
# Linear mixed models for scores
# ======================================================================================


@dataclass(frozen=True)
class MixedResult:
    """A linear mixed model effect (difference in slope, points per month)."""

    outcome: str
    effect: Estimate
    term: str
    random_slope: bool
    note: str
    variance_components: dict
    n_people: int
    n_obs: int
    converged: bool
    params: pd.Series
    engine: str
    site_id: str | None = None

    def table(self) -> pd.DataFrame:
        row = _effect_row(self.effect, site_id=self.site_id, outcome=self.outcome, method="Mixed model", term=self.term)
        row.update(
            random_effects="intercept + slope" if self.random_slope else "intercept only",
            n_people=self.n_people,
            n_obs=self.n_obs,
            note=self.note,
        )
        return pd.DataFrame([row])


#: The random slope counts as zero when its variance times the squared follow-up
#: (18 months) is below this share of the residual variance; the model also falls back
#: to a random intercept when the intercept-slope correlation is +-1 (a singular fit).
SLOPE_VARIANCE_TOLERANCE = 1e-3


#: An intercept-slope correlation beyond this (in absolute value) is a singular fit.
SINGULAR_CORRELATION = 0.999


def _correlation(psi: np.ndarray) -> float:
    d = np.sqrt(psi[0, 0] * psi[1, 1])
    return float(psi[0, 1] / d) if d > 0 else 0.0


#: Largest absolute gradient of the REML criterion (-2 log-likelihood scale, Cholesky
#: parameters) accepted as converged.
GRADIENT_TOLERANCE = 1e-3


#: Smallest diagonal element of a warm start's Cholesky factor (unit-scaled Z).
WARM_START_FLOOR = 0.05


def _positive_diagonal(theta: np.ndarray, q: int) -> np.ndarray:
    """The same Cholesky factor (lower triangle, row by row) with a non-negative diagonal.

    ``L`` and ``L`` with a column's sign flipped give the same ``L L'``; choosing the
    positive one makes the parameters, and warm starts taken from them, unique.
    """
    L = np.zeros((q, q))
    L[np.tril_indices(q)] = theta
    L = L * np.where(np.diag(L) < 0, -1.0, 1.0)[None, :]
    return L[np.tril_indices(q)]


def newton_polish(value_and_grad, x: np.ndarray, max_steps: int = 20, step_tol: float = 1e-10) -> np.ndarray:
    """Newton steps from a point a quasi-Newton optimiser accepted, to the optimum itself.

    BFGS stops once the gradient is small, at a point that depends on its path, and its
    path depends on rounding, so on the CPU's BLAS kernel (the pooled estimates of the
    book moved in the fourth significant digit from one CPU to another). Newton's method
    with a finite-difference Hessian of the analytic gradient converges quadratically to
    the same point from any nearby start. A step is taken only while the Hessian is
    positive definite and the criterion does not rise beyond rounding; otherwise the
    point is returned as it is (e.g. on a flat boundary of the parameter space).
    """
    x = np.asarray(x, float).copy()
    value, grad = value_and_grad(x)
    for _ in range(max_steps):
        h = 1e-5 * np.maximum(1.0, np.abs(x))
        hessian = np.empty((len(x), len(x)))
        for j in range(len(x)):
            e = np.zeros_like(x)
            e[j] = h[j]
            hessian[:, j] = (value_and_grad(x + e)[1] - value_and_grad(x - e)[1]) / (2 * h[j])
        hessian = (hessian + hessian.T) / 2
        try:
            factor = np.linalg.cholesky(hessian)  # fails unless positive definite
            step = np.linalg.solve(factor.T, np.linalg.solve(factor, grad))
        except np.linalg.LinAlgError:
            break
        new_value, new_grad = value_and_grad(x - step)
        if not np.isfinite(new_value) or new_value > value + 1e-9 * max(1.0, abs(value)):
            break
        x, value, grad = x - step, new_value, new_grad
        if float(np.max(np.abs(step))) < step_tol:
            break
    return x


@dataclass(frozen=True)
class _LMMFit:
    params: np.ndarray
    cov: np.ndarray
    sigma2: float
    psi: np.ndarray  # covariance of the random effects (absolute units)
    converged: bool
    objective: float
    theta: np.ndarray  # the optimiser's parameters (for warm starts)


def _lmm_patterns(y: np.ndarray, X: np.ndarray, Z: np.ndarray, groups: np.ndarray) -> tuple:
    """Sufficient statistics of the REML likelihood by pattern of random-effect design.

    Young people whose observed waves (rows of Z) are the same share one V_i, so the
    likelihood needs only, per pattern, sum X_i[t]X_i[s]', sum X_i[t]y_i[s] and sum
    y_i[t]y_i[s]. Patterns are padded to the longest one (zero rows of Z and zero
    statistics, so the padding adds an identity block that changes nothing).
    """
    idx, mask, sizes = _clusters(groups)
    T, p, q = idx.shape[1], X.shape[1], Z.shape[1]
    zs, ns, sxx, sxy, syy = [], [], [], [], []
    for k in np.unique(sizes):
        who = np.flatnonzero(sizes == k)
        rows = idx[who, :k]
        keys, inverse = np.unique(Z[rows].reshape(len(who), -1), axis=0, return_inverse=True)
        inverse = np.asarray(inverse).ravel()
        for u in range(len(keys)):
            sel = rows[inverse == u]
            Xs, ys = X[sel], y[sel]
            zp = np.zeros((T, q))
            zp[:k] = keys[u].reshape(k, q)
            a = np.zeros((T, T, p, p))
            a[:k, :k] = np.einsum("ntp,nsq->tspq", Xs, Xs)
            b = np.zeros((T, T, p))
            b[:k, :k] = np.einsum("ntp,ns->tsp", Xs, ys)
            c = np.zeros((T, T))
            c[:k, :k] = np.einsum("nt,ns->ts", ys, ys)
            zs.append(zp)
            ns.append(len(sel))
            sxx.append(a)
            sxy.append(b)
            syy.append(c)
    return np.array(zs), np.array(ns, float), np.array(sxx), np.array(sxy), np.array(syy)


def lmm_reml_fast(
    y: np.ndarray, X: np.ndarray, Z: np.ndarray, groups: np.ndarray, theta0: np.ndarray | None = None
) -> _LMMFit:
    """REML fit of ``y = X b + Z u_i + e`` with ``u_i ~ N(0, Psi)``, ``e ~ N(0, s2 I)``.

    The criterion ``(N - p) log(rss) + sum log|H_i| + log|X'H^-1X|`` (``H_i = V_i / s2``)
    is profiled over ``s2`` and parameterised by the Cholesky factor of ``Psi / s2``
    (columns of Z scaled to unit spread); it is minimised by BFGS with its analytic
    gradient, polished by Nelder-Mead if BFGS stops short. The fixed effects are GLS
    given the variance parameters, with covariance ``s2 (X'H^-1X)^-1``. ``theta0``
    (e.g. the ``theta`` of a previous fit to similar data) warm-starts the optimiser.
    """
    N, p = X.shape
    q = Z.shape[1]
    zscale = np.array([Z[:, j].std() if Z[:, j].std() > 0 else 1.0 for j in range(q)])
    Zp, n_u, Sxx, Sxy, Syy = _lmm_patterns(y, X, Z / zscale, groups)
    Zt = np.swapaxes(Zp, 1, 2)
    eye = np.eye(Zp.shape[1])
    tril = np.tril_indices(q)
    units = []
    for r, c in zip(*tril):
        E = np.zeros((q, q))
        E[r, c] = 1.0
        units.append(E)

    def pieces(theta: np.ndarray):
        L = np.zeros((q, q))
        L[tril] = theta
        H = Zp @ (L @ L.T) @ Zt + eye
        Hinv = np.linalg.inv(H)
        A = np.einsum("kts,ktspq->pq", Hinv, Sxx)
        b = np.einsum("kts,ktsp->p", Hinv, Sxy)
        c = float(np.sum(Hinv * Syy))
        return L, H, Hinv, A, b, c

    def value_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        L, H, Hinv, A, b, c = pieces(theta)
        try:
            Ainv = np.linalg.inv(A)
        except np.linalg.LinAlgError:
            return 1e300, np.zeros_like(theta)
        beta = Ainv @ b
        rss = c - b @ beta
        if not np.isfinite(rss) or rss <= 0:
            return 1e300, np.zeros_like(theta)
        value = (N - p) * np.log(rss) + float(n_u @ np.linalg.slogdet(H)[1]) + np.linalg.slogdet(A)[1]
        grad = np.empty_like(theta)
        for j, E in enumerate(units):
            dH = Zp @ (E @ L.T + L @ E.T) @ Zt
            dHinv = -Hinv @ dH @ Hinv
            dA = np.einsum("kts,ktspq->pq", dHinv, Sxx)
            db = np.einsum("kts,ktsp->p", dHinv, Sxy)
            dc = float(np.sum(dHinv * Syy))
            drss = dc - 2 * beta @ db + beta @ dA @ beta
            grad[j] = (N - p) * drss / rss + float(n_u @ np.einsum("ktt->k", Hinv @ dH)) + float(np.sum(Ainv * dA.T))
        return float(value), grad

    diagonal = [i for i, (r, cc) in enumerate(zip(*tril)) if r == cc]
    if theta0 is None or len(theta0) != len(tril[0]):
        theta0 = np.zeros(len(tril[0]))
        theta0[diagonal] = [1.0] + [0.3] * (q - 1)
    else:
        # A warm start on the boundary (a zero diagonal element of the Cholesky factor) sits
        # on a plane the gradient never leaves: the criterion is even in that element. Start
        # from a point off it, so the optimum found does not depend on the previous fit.
        theta0 = _positive_diagonal(np.asarray(theta0, float), q)
        theta0[diagonal] = np.maximum(theta0[diagonal], WARM_START_FLOOR)
    best = optimize.minimize(value_and_grad, np.asarray(theta0, float), jac=True, method="BFGS", options={"gtol": 1e-5})
    # BFGS often ends with "precision loss" at the optimum of a criterion of size ~1e4,
    # at a point that depends on its path; Newton steps from there reach the optimum
    # itself, and convergence is judged by the gradient at the polished point.
    theta = newton_polish(value_and_grad, np.asarray(best.x, float))

    def gradient_is_small(th: np.ndarray) -> bool:
        return float(np.max(np.abs(value_and_grad(th)[1]))) < GRADIENT_TOLERANCE

    converged = gradient_is_small(theta)
    if not converged:
        polish = optimize.minimize(
            lambda th: value_and_grad(th)[0],
            theta,
            method="Nelder-Mead",
            options={"maxiter": 3000, "xatol": 1e-7, "fatol": 1e-7},
        )
        if polish.fun <= value_and_grad(theta)[0]:
            theta = newton_polish(value_and_grad, np.asarray(polish.x, float))
        converged = gradient_is_small(theta)
    theta = _positive_diagonal(theta, q)
    best = optimize.OptimizeResult(x=theta, fun=value_and_grad(theta)[0])
    L, _, _, A, b, c = pieces(best.x)
    beta = np.linalg.solve(A, b)
    sigma2 = float((c - b @ beta) / (N - p))
    psi = sigma2 * (L @ L.T) / np.outer(zscale, zscale)
    return _LMMFit(beta, sigma2 * _inv(A), sigma2, psi, converged, float(best.fun), np.asarray(best.x))


def _fit_mixedlm_statsmodels(y: np.ndarray, exog: pd.DataFrame, groups: np.ndarray, exog_re: pd.DataFrame):
    """The first converged REML fit over BFGS, L-BFGS and Powell (statsmodels' L-BFGS can
    stall on a singular random-effects covariance), or the last fit and the problems."""
    # Deferred (kernel start-up): statsmodels loads only when its engine is used.
    import statsmodels.api as sm

    messages: list[str] = []
    last = None
    for method in ("bfgs", "lbfgs", "powell"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = sm.MixedLM(y, exog, groups=groups, exog_re=exog_re)
            try:
                fit = model.fit(reml=True, method=[method])
            except (np.linalg.LinAlgError, ValueError) as exc:
                messages.append(f"{method}: fit failed ({exc})")
                continue
        if fit.converged and np.all(np.isfinite(fit.bse)):
            return fit, messages
        messages.append(f"{method}: did not converge")
        last = fit
    return last, messages


def fit_lmm(
    data: pd.DataFrame,
    outcome: str,
    terms: list[str] | tuple[str, ...],
    effect: str,
    group: str = "person_id",
    time: str = "time",
    random_slope: bool = True,
    engine: str = "fast",
    site_id: str | None = None,
) -> MixedResult:
    """Linear mixed model (REML) of the column ``outcome`` on an intercept and the
    columns ``terms`` (interactions as ready-made columns), with a random intercept per
    ``group`` and, with ``random_slope``, a random slope on ``time``; ``effect`` (one of
    ``terms``) is the coefficient reported. No treatment arm is needed: with
    ``terms=[time]`` and ``effect=time`` it is a one-group growth model.

    Falls back to a random intercept, and says why, when the slope variance is about
    zero (below ``SLOPE_VARIANCE_TOLERANCE`` of the residual variance over the longest
    ``|time|``), the intercept-slope correlation is +-1, or the fit does not converge.
    ``engine``: 'fast' (:func:`lmm_reml_fast`) or 'statsmodels' (``MixedLM``). Rows need
    not be sorted; they are sorted (stably) by ``group`` and ``time``.
    """
    terms = list(terms)
    if effect not in terms:
        raise ValueError(f"the effect {effect!r} is not among the terms {terms}")
    if engine not in ("fast", "statsmodels"):
        raise ValueError(f"engine must be 'fast' or 'statsmodels', not {engine!r}")
    absent = [c for c in [outcome, group, time, *terms] if c not in data.columns]
    if absent:
        raise ValueError(f"the model frame has no column(s) {absent}")
    rows = data.sort_values([group, time], kind="stable")
    y = rows[outcome].to_numpy(float)
    if np.isnan(y).any():
        raise ValueError(f"{outcome} has empty values in rows to be modelled")
    names = ["Intercept", *terms]
    X = np.column_stack([np.ones(len(rows)), rows[terms].to_numpy(float)])
    groups = rows[group].to_numpy()
    t = rows[time].to_numpy(float)
    t_max = float(np.max(np.abs(t))) if len(t) else 1.0
    k = names.index(effect)

    def slope_reason(psi: np.ndarray, resid: float, converged: bool, se_ok: bool) -> str | None:
        slope_var = float(psi[1, 1])
        if not converged:
            return "the random-slope model did not converge"
        if slope_var * t_max**2 < SLOPE_VARIANCE_TOLERANCE * resid:
            return f"the random-slope variance was estimated as about zero ({slope_var:.2g})"
        if abs(_correlation(psi)) > SINGULAR_CORRELATION:
            return (
                "the random-effects covariance was singular (intercept-slope correlation "
                f"{_correlation(psi):+.3f}): the data do not support a separate random slope"
            )
        if not se_ok:
            return "the random-slope model gave no standard error for the effect"
        return None

    note = ""
    used_slope = False
    if engine == "fast":
        fit = None
        if random_slope:
            fit = lmm_reml_fast(y, X, np.column_stack([np.ones_like(t), t]), groups)
            reason = slope_reason(fit.psi, fit.sigma2, fit.converged, bool(np.isfinite(fit.cov[k, k])))
            if reason is None:
                used_slope = True
            else:
                note, fit = f"Random intercept only: {reason}.", None
        if fit is None:
            fit = lmm_reml_fast(y, X, np.ones((len(y), 1)), groups)
            if not random_slope:
                note = "Random intercept only (as requested)."
        params = pd.Series(fit.params, index=names)
        se = float(np.sqrt(fit.cov[k, k]))
        components = {"residual": fit.sigma2, "intercept": float(fit.psi[0, 0])}
        if used_slope:
            components.update(slope=float(fit.psi[1, 1]), intercept_slope=float(fit.psi[0, 1]))
        converged = fit.converged
    else:
        exog = pd.DataFrame(X, columns=names)
        re_slope = pd.DataFrame({"Group": np.ones_like(t), time: t})
        fit = None
        if random_slope:
            fit, messages = _fit_mixedlm_statsmodels(y, exog, groups, re_slope)
            if fit is None:
                reason = "the random-slope model could not be fitted (" + "; ".join(messages) + ")"
            else:
                reason = slope_reason(
                    fit.cov_re.to_numpy(),
                    float(fit.scale),
                    bool(fit.converged),
                    bool(np.isfinite(fit.bse.get(effect, np.nan))),
                )
            if reason is None:
                used_slope = True
            else:
                note, fit = f"Random intercept only: {reason}.", None
        if fit is None:
            fit, messages = _fit_mixedlm_statsmodels(y, exog, groups, re_slope[["Group"]])
            if fit is None:
                raise RuntimeError(f"mixed model for {outcome} failed: {messages}")
            if not random_slope:
                note = "Random intercept only (as requested)."
        params = fit.fe_params
        se = float(fit.bse[effect])
        components = {"residual": float(fit.scale), "intercept": float(fit.cov_re.iloc[0, 0])}
        if used_slope:
            components.update(slope=float(fit.cov_re.iloc[1, 1]), intercept_slope=float(fit.cov_re.iloc[0, 1]))
        converged = bool(fit.converged)
    return MixedResult(
        outcome,
        Estimate.from_se(float(params.iloc[k]), se),
        effect,
        used_slope,
        note,
        components,
        int(len(np.unique(groups))),
        int(len(y)),
        bool(converged),
        params,
        engine,
        site_id,
    )
