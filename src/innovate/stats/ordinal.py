"""Proportional-odds (cumulative logit) models with explicit designs, and standardised predictions by simulation."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from innovate.config import SEED
from innovate.errors import DataError, Problem, require_columns


# ---------------------------------------------------------------------------------------
# Designs and fits
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    """A categorical predictor: its column, its levels in order and its reference level."""

    column: str
    levels: tuple
    reference: object

    def dummies(self) -> list[str]:
        return [f"{self.column}[{lvl}]" for lvl in self.levels if lvl != self.reference]


def design(frame: pd.DataFrame, factors: Sequence[Factor], numeric: Sequence[str] = ()) -> pd.DataFrame:
    """Dummy columns for each factor (reference left out) and the numeric columns as floats."""
    cols = {}
    for f in factors:
        values = frame[f.column].astype(object)
        for lvl in f.levels:
            if lvl != f.reference:
                cols[f"{f.column}[{lvl}]"] = (values == lvl).astype(float).to_numpy()
    for c in numeric:
        cols[c] = frame[c].astype(float).to_numpy()
    return pd.DataFrame(cols, index=frame.index)


@dataclass
class OrdinalFit:
    """A fitted proportional-odds model and what is needed to predict from it."""

    outcome: str
    categories: tuple
    factors: tuple
    numeric: tuple
    data: pd.DataFrame  # the rows used
    params: pd.Series
    cov: pd.DataFrame
    n_used: int
    n_missing: int
    n_clusters: int | None
    converged: bool
    model: Any = field(repr=False)  # a fitted statsmodels OrderedModel

    @property
    def n_thresholds(self) -> int:
        return len(self.categories) - 1

    def odds_ratios(self) -> pd.DataFrame:
        """exp(beta) with 95% Wald intervals and p-values for every covariate (not thresholds)."""
        # Deferred (kernel start-up): scipy.stats loads only when odds ratios are asked for.
        from scipy.stats import norm

        names = list(self.params.index[: len(self.params) - self.n_thresholds])
        b = self.params[names]
        se = np.sqrt(np.diag(self.cov.loc[names, names]))
        z = b / se
        return pd.DataFrame(
            {
                "term": names,
                "odds_ratio": np.exp(b.to_numpy()),
                "lower": np.exp(b.to_numpy() - 1.959963984540054 * se),
                "upper": np.exp(b.to_numpy() + 1.959963984540054 * se),
                "p": 2 * norm.sf(np.abs(z.to_numpy())),
            }
        )

    def _exog(self, frame: pd.DataFrame) -> np.ndarray:
        return design(frame, self.factors, self.numeric).to_numpy(dtype=float)

    def probabilities(self, frame: pd.DataFrame | None = None, params: np.ndarray | None = None) -> np.ndarray:
        """Predicted probability of each category (rows x categories)."""
        frame = self.data if frame is None else frame
        params = self.params.to_numpy() if params is None else params
        return np.asarray(self.model.predict(params, exog=self._exog(frame)))

    def standardised(
        self,
        column: str,
        levels: Sequence | None = None,
        top: Sequence | None = None,
        draws: int = 500,
        seed: int = SEED,
        within: Mapping[str, object] | None = None,
    ) -> pd.DataFrame:
        """Marginally standardised probabilities for each level of ``column``.

        Every used row is set to the level and the predictions averaged. With ``top`` (the
        categories to add up, e.g. agree and strongly agree) one probability per level is
        returned with a simulation interval; otherwise one row per level and category.
        ``within`` restricts the rows averaged over (e.g. respondent_type='young_person').
        """
        factor = {f.column: f for f in self.factors}[column]
        levels = list(factor.levels) if levels is None else list(levels)
        if top is not None:
            fit = self
            if within:
                base = self.data
                for k, v in within.items():
                    base = base[base[k] == v]
                fit = OrdinalFit(**{**self.__dict__, "data": base})
            return standardised_grid(fit, [{column: lvl} for lvl in levels], top=top, draws=draws, seed=seed)
        base = self.data
        if within:
            for k, v in within.items():
                base = base[base[k] == v]
        rows = []
        for lvl in levels:
            probs = self.probabilities(base.assign(**{column: lvl})).mean(axis=0)
            for cat, p in zip(self.categories, probs):
                rows.append({column: lvl, "category": cat, "probability": float(p)})
        return pd.DataFrame(rows)


def fit_ordinal(
    frame: pd.DataFrame,
    outcome: str,
    categories: Sequence,
    factors: Sequence[Factor],
    numeric: Sequence[str] = (),
    cluster: str | None = None,
    file: str = "survey",
) -> OrdinalFit:
    """Fit a proportional-odds logit model; rows missing the outcome or a covariate are
    counted in ``n_missing`` and left out of this model only."""
    # Deferred (kernel start-up): statsmodels loads only when an ordinal model is fitted.
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    needed = [outcome] + [f.column for f in factors] + list(numeric)
    require_columns(frame, needed + ([cluster] if cluster else []), file, "column needed by the model is missing")
    problems = []
    for f in factors:
        bad = ~frame[f.column].isna() & ~frame[f.column].isin(f.levels)
        for pos in np.flatnonzero(bad.to_numpy()):
            problems.append(
                Problem(
                    file,
                    "allowed-values",
                    f"not one of {list(f.levels)}",
                    f.column,
                    int(pos) + 1,
                    frame[f.column].iloc[pos],
                )
            )
    out_ok = frame[outcome].isna() | frame[outcome].isin(categories)
    for pos in np.flatnonzero(~out_ok.to_numpy()):
        problems.append(
            Problem(
                file,
                "allowed-values",
                f"answer not one of {list(categories)}",
                outcome,
                int(pos) + 1,
                frame[outcome].iloc[pos],
            )
        )
    if problems:
        raise DataError(problems)
    used = frame.dropna(subset=needed)
    n_missing = len(frame) - len(used)
    present = [c for c in categories if (used[outcome] == c).any()]
    endog = pd.Series(pd.Categorical(used[outcome], categories=present, ordered=True), index=used.index, name=outcome)
    exog = design(used, factors, numeric)
    # a dummy with no rows cannot be estimated: say so rather than fail obscurely
    empty = [c for c in exog.columns if exog[c].sum() == 0 and "[" in c]
    if empty:
        raise DataError(
            [
                Problem(file, "model.empty_level", "no answers at this level; leave it out or merge it", column=c)
                for c in empty
            ]
        )
    model = OrderedModel(endog, exog, distr="logit")
    kwargs = {}
    n_clusters = None
    if cluster is not None:
        groups = pd.factorize(used[cluster])[0]
        n_clusters = int(groups.max() + 1)
        kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", disp=False, maxiter=2000, **kwargs)
        converged = bool(res.mle_retvals.get("converged", False)) and bool(np.all(np.isfinite(np.asarray(res.bse))))
        if not converged:  # a second, derivative-free attempt from where BFGS stopped
            res = model.fit(start_params=np.asarray(res.params), method="nm", disp=False, maxiter=20000, **kwargs)
            res = model.fit(start_params=np.asarray(res.params), method="bfgs", disp=False, maxiter=2000, **kwargs)
            converged = bool(res.mle_retvals.get("converged", False)) and bool(np.all(np.isfinite(np.asarray(res.bse))))
    names = list(exog.columns) + [f"{a}/{b}" for a, b in zip(present[:-1], present[1:])]
    params = pd.Series(np.asarray(res.params), index=names)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=names, columns=names)
    return OrdinalFit(
        outcome=outcome,
        categories=tuple(present),
        factors=tuple(factors),
        numeric=tuple(numeric),
        data=used,
        params=params,
        cov=cov,
        n_used=len(used),
        n_missing=n_missing,
        n_clusters=n_clusters,
        converged=converged,
        model=model,
    )


def _category_probabilities(fit: OrdinalFit, exog: np.ndarray, params: np.ndarray) -> np.ndarray:
    """P(category) for rows x parameter vectors: array (rows, vectors, categories).

    Cumulative logit: P(Y <= j) = expit(theta_j - x'beta), with the thresholds stored as
    in statsmodels (the first as is, the later ones as log increments).
    """
    # Deferred (kernel start-up): scipy loads only when predictions are simulated.
    from scipy.special import expit

    params = np.atleast_2d(params)
    k = exog.shape[1]
    beta, raw = params[:, :k], params[:, k:]
    theta = np.cumsum(np.column_stack([raw[:, 0], np.exp(raw[:, 1:])]), axis=1)  # (vectors, K-1)
    eta = exog @ beta.T  # (rows, vectors)
    cdf = expit(theta[None, :, :] - eta[:, :, None])  # (rows, vectors, K-1)
    n, v = eta.shape
    cdf = np.concatenate([np.zeros((n, v, 1)), cdf, np.ones((n, v, 1))], axis=2)
    return np.diff(cdf, axis=2)


def standardised_grid(
    fit: OrdinalFit, settings: Sequence[Mapping[str, object]], top: Sequence, draws: int = 500, seed: int = SEED
) -> pd.DataFrame:
    """Standardised P(top categories) for each setting (a mapping column -> level).

    For each setting every row used by the model takes those levels; predictions are
    averaged. Intervals: 2.5th and 97.5th percentiles over ``draws`` parameter vectors
    simulated from the fit's estimate and covariance with ``default_rng(seed)``.
    """
    idx = [fit.categories.index(c) for c in top]
    sims = np.random.default_rng(seed).multivariate_normal(
        fit.params.to_numpy(), fit.cov.to_numpy(), size=draws, method="cholesky"
    )
    rows = []
    for setting in settings:
        x = fit._exog(fit.data.assign(**setting))
        # rows sharing a covariate pattern share a prediction: average over the patterns
        patterns, weights = np.unique(x, axis=0, return_counts=True)
        w = weights / weights.sum()
        est = float(w @ _category_probabilities(fit, patterns, fit.params.to_numpy())[:, 0, idx].sum(axis=1))
        sim = w @ _category_probabilities(fit, patterns, sims)[:, :, idx].sum(axis=2)
        rows.append(
            {
                **setting,
                "probability": float(est),
                "lower": float(np.quantile(sim, 0.025)),
                "upper": float(np.quantile(sim, 0.975)),
            }
        )
    return pd.DataFrame(rows)
