"""Result types shared by the estimators: an effect with its standard error and interval."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import special, stats


def at_precision(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` decimals (negative zero becomes zero: noise around
    zero must not print a minus sign on one machine and not on another). The one rounding
    rule of the book: glue (``innovate.show.glue``) and the site facade's ``numbers()`` use it."""
    rounded = round(float(value), int(digits))
    return 0.0 if rounded == 0 else rounded


def numbers_at_precision(values: Mapping[str, object], digits: Mapping[str, int]) -> dict[str, object]:
    """Values ready for glue: every float rounded once by :func:`at_precision` to its
    declared ``digits``; a float that is not finite (an estimate that could not be made) is
    left out; anything else passes unchanged. The ``numbers()`` of the site facade and of
    the area profiles use it."""
    out: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, float):
            if not math.isfinite(value):
                continue
            value = at_precision(value, digits[key])
        out[key] = value
    return out


Z95 = float(stats.norm.ppf(0.975))


# ======================================================================================
# Estimates and their tidy rows
# ======================================================================================


@dataclass(frozen=True)
class Estimate:
    """One effect with its confidence interval (95% unless ``level`` says otherwise), on
    the model's scale (log for counts and rates): the package's one result type for an
    estimate with an interval. ``natural()`` gives the estimate and interval on the
    natural scale (ratios for log-scale effects).

    ``df`` is None for a normal-theory interval, else the t degrees of freedom used.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    scale: str = "identity"  # 'log' -> exponentiate for a ratio
    df: float | None = None
    level: float = 0.95

    @classmethod
    def from_se(
        cls, estimate: float, se: float, scale: str = "identity", df: float | None = None, level: float = 0.95
    ) -> Estimate:
        """The Wald interval ``estimate -+ q se`` (q normal, or t with ``df``) and the
        two-sided p-value for a null of zero."""
        finite_df = df is not None and np.isfinite(df)
        tail = 0.5 + level / 2
        if finite_df:
            q = float(special.stdtrit(df, tail))
        else:
            q = Z95 if tail == 0.975 else float(special.ndtri(tail))
        stat = estimate / se if se > 0 else np.nan
        p = 2 * (special.stdtr(df, -abs(stat)) if finite_df else special.ndtr(-abs(stat)))
        return cls(
            float(estimate),
            float(se),
            float(estimate - q * se),
            float(estimate + q * se),
            float(p),
            scale,
            float(df) if finite_df and df is not None else None,
            float(level),
        )

    def natural(self) -> tuple[float, float, float]:
        """(estimate, lower, upper) on the natural scale: ratios for log-scale effects."""
        if self.scale == "log":
            return float(np.exp(self.estimate)), float(np.exp(self.ci_low)), float(np.exp(self.ci_high))
        return self.estimate, self.ci_low, self.ci_high

    def covers(self, truth: float) -> bool:
        """Whether the interval contains ``truth`` (on the model's scale)."""
        return bool(self.ci_low <= truth <= self.ci_high)

    def scaled(self, factor: float) -> Estimate:
        """The estimate in other units (e.g. a slope per month times 18 = the difference
        over 18 months); the p-value is unchanged. Identity scale only."""
        if self.scale != "identity" or factor <= 0:
            raise ValueError("only an identity-scale estimate can be rescaled, by a positive factor")
        return Estimate(
            self.estimate * factor,
            self.se * factor,
            self.ci_low * factor,
            self.ci_high * factor,
            self.p_value,
            self.scale,
            self.df,
            self.level,
        )


def _effect_row(est: Estimate, **labels) -> dict:
    value, low, high = est.natural()
    return {
        **labels,
        "measure": "rate ratio" if est.scale == "log" else "difference",
        "estimate": value,
        "ci_low": low,
        "ci_high": high,
        "p_value": est.p_value,
        "model_estimate": est.estimate,
        "se": est.se,
        "scale": est.scale,
    }
