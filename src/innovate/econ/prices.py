"""Financial years, price years (HM Treasury GDP deflators) and Green Book discounting."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from innovate.config import PRICE_YEAR
from innovate.data import deflators as data_deflators
from innovate.data import public
from innovate.errors import DataError, Problem

# ---------------------------------------------------------------------------------------
# Constants and stated assumptions
# ---------------------------------------------------------------------------------------

#: Green Book discount schedule as (last year the rate applies to, rate): 3.5% for years
#: 0-30 and 3.0% for years 31-75 (HM Treasury 2022). The Green Book steps down further
#: after year 75; no horizon in this book comes near that, so longer horizons raise.
GREEN_BOOK_SCHEDULE: tuple[tuple[float, float], ...] = ((30.0, 0.035), (75.0, 0.030))

# ---------------------------------------------------------------------------------------
# Financial years and price years
# ---------------------------------------------------------------------------------------


def financial_year(dates) -> np.ndarray:
    """The UK financial year ('2019-20') of each date (years run 1 April to 31 March)."""
    d = np.asarray(pd.to_datetime(pd.Series(dates)).to_numpy(), dtype="datetime64[D]")
    start = fy_start_of_dates(d)
    years, inverse = np.unique(start, return_inverse=True)
    names = np.array([f"{y}-{(y + 1) % 100:02d}" for y in years], dtype=object)
    return names[inverse.ravel()] if len(years) else np.array([], dtype=object)


def fy_start_of_dates(days: np.ndarray) -> np.ndarray:
    """Start year of the financial year of each ``datetime64[D]`` value (vectorised)."""
    months = days.astype("datetime64[M]").astype(np.int64)
    year = months // 12 + 1970
    month = months % 12 + 1
    return year - (month < 4).astype(np.int64)


def fy_start(fy: str) -> int:
    """The calendar year in which a financial year ('2019-20') starts."""
    text = str(fy).strip()
    if len(text) != 7 or text[4] != "-" or not (text[:4] + text[5:]).isdigit():
        raise ValueError(f"not a financial year of the form '2019-20': {fy!r}")
    start = int(text[:4])
    if (start + 1) % 100 != int(text[5:]):
        raise ValueError(f"not a financial year of the form '2019-20': {fy!r}")
    return start


def deflators() -> pd.DataFrame:
    """HM Treasury GDP deflators by financial year (``PRICE_YEAR`` = 100).

    The data layer's loader, :func:`innovate.data.deflators.gdp_deflators` (columns
    ``fiscal_year``, ``fiscal_year_start``, ``gdp_deflator``, ``is_forecast``).
    """
    return data_deflators.gdp_deflators()


def to_price_year(amounts, from_fy, to_fy: str = PRICE_YEAR, table: pd.DataFrame | None = None):
    """Convert cash amounts of financial year(s) ``from_fy`` to ``to_fy`` prices.

    ``amount * deflator[to_fy] / deflator[from_fy]`` with the HM Treasury GDP deflators.
    Vectorised: ``amounts`` and ``from_fy`` may be scalars, arrays or Series of the same
    length (years as '2019-20' or start years); a scalar gives a float and a Series a
    Series. Cash amounts must come from outturn years: a ``from_fy`` whose deflator is
    forecast-based raises ``DataError``, as does a year outside the table.
    """
    table = deflators() if table is None else table
    forecast = data_deflators.is_forecast_year(from_fy, table)
    if np.any(forecast):
        years = sorted(
            {str(y) for y, f in zip(np.atleast_1d(np.asarray(from_fy, dtype=object)), np.atleast_1d(forecast)) if f}
        )
        raise DataError(
            [
                Problem(
                    public.HMT_DEFLATORS_FILE,
                    "deflator-outturn",
                    "cash amounts must come from an outturn year, not a forecast-based deflator year",
                    "is_forecast",
                    value=y,
                )
                for y in years
            ]
        )
    values = np.asarray(amounts, dtype=float)
    source = data_deflators.price_index(from_fy, table)
    target = data_deflators.price_index(to_fy, table)
    if source.size == 1 and values.ndim == 0:
        return float(values * target[0] / source[0])
    factor = target[0] / source if target.size == 1 else target / source
    result = values * factor
    if isinstance(amounts, pd.Series):
        return pd.Series(result, index=amounts.index, name=amounts.name)
    return result


def deflator_ratio(from_fy, to_fy: str = PRICE_YEAR, table: pd.DataFrame | None = None) -> np.ndarray:
    """The multiplier(s) from ``from_fy`` prices to ``to_fy`` prices."""
    years = np.atleast_1d(np.asarray(from_fy, dtype=object))
    return np.asarray(to_price_year(np.ones(len(years)), years, to_fy, table), dtype=float)


# ---------------------------------------------------------------------------------------
# Discounting
# ---------------------------------------------------------------------------------------


def constant_schedule(rate: float, horizon: float = 75.0) -> tuple[tuple[float, float], ...]:
    """A flat discount schedule (for sensitivity analyses)."""
    if not (-0.5 < rate < 1.0):
        raise ValueError(f"discount rate {rate!r} is outside a sensible range")
    return ((float(horizon), float(rate)),)


def discount_factors(years, schedule: Sequence[tuple[float, float]] | float = GREEN_BOOK_SCHEDULE) -> np.ndarray:
    """Discount factors for amounts falling in year ``t`` after baseline (year 0 = 1).

    ``schedule`` lists ``(last_year, rate)`` steps in order: the rate applies to the years
    up to and including ``last_year`` and the factor chains across steps, so under the
    Green Book schedule year 31 has ``1 / (1.035**30 * 1.03)``. A float is a flat rate.
    Years may be fractional; negative years or years past the schedule raise ValueError.
    """
    if isinstance(schedule, (int, float)):
        schedule = constant_schedule(float(schedule))
    t = np.asarray(years, dtype=float)
    if np.any(~np.isfinite(t)) or np.any(t < 0):
        raise ValueError("discounting years must be finite and >= 0")
    last = schedule[-1][0]
    if np.any(t > last):
        raise ValueError(f"the discount schedule covers years 0-{last:g}; got a year beyond it")
    log_factor = np.zeros_like(t)
    previous = 0.0
    for bound, rate in schedule:
        span = np.clip(t - previous, 0.0, bound - previous)
        log_factor -= span * math.log1p(rate)
        previous = bound
    return np.exp(log_factor)


def present_value(amounts, years, schedule=GREEN_BOOK_SCHEDULE) -> float:
    """Sum of amounts discounted to year 0: sum_t C_t * D(t)."""
    return float(np.sum(np.asarray(amounts, dtype=float) * discount_factors(years, schedule)))
