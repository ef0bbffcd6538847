"""HM Treasury GDP deflators and the ONS implied deflator: financial years and price indices.

The data layer reads and checks the deflator files and answers "what is the index of this
financial year" and "is that index forecast-based"; converting amounts between price years
is :func:`innovate.econ.prices.to_price_year`, the one conversion the book uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.data.public import HMT_DEFLATORS_FILE, ONS_DEFLATOR_FILE, _path, _read_csv, parse_values
from innovate.errors import DataError, Problem

_FY_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


def gdp_deflators(folder: Path | None = None) -> pd.DataFrame:
    """HM Treasury GDP deflators at market prices (March 2026), financial years, 2024-25 = 100.

    Columns ``fiscal_year`` ('2019-20'), ``fiscal_year_start`` (int), ``gdp_deflator``,
    ``is_forecast`` (bool: 2025-26 on are OBR-forecast based, not published levels).
    """
    path, file = _path(HMT_DEFLATORS_FILE, folder)
    frame = _read_csv(path, file, ["fiscal_year_start", "fiscal_year", "gdp_deflator", "is_forecast"])
    problems = []
    for i, row in frame.iterrows():
        m = _FY_PATTERN.match(row["fiscal_year"])
        if not m or int(m.group(1)) != int(row["fiscal_year_start"]) or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            problems.append(
                Problem(
                    file,
                    "year-format",
                    "fiscal_year must be 'YYYY-YY' matching fiscal_year_start",
                    "fiscal_year",
                    int(i) + 1,
                    row["fiscal_year"],
                )
            )
        if row["is_forecast"] not in ("true", "false"):
            problems.append(
                Problem(
                    file,
                    "allowed-values",
                    "is_forecast must be true or false",
                    "is_forecast",
                    int(i) + 1,
                    row["is_forecast"],
                )
            )
    value, status = parse_values(frame["gdp_deflator"], file, "gdp_deflator")
    for i in frame.index[value.isna() | (value <= 0)]:
        problems.append(
            Problem(
                file,
                "positive",
                "deflator must be a positive number",
                "gdp_deflator",
                int(i) + 1,
                frame.at[i, "gdp_deflator"],
            )
        )
    if problems:
        raise DataError(problems)
    return pd.DataFrame(
        {
            "fiscal_year": frame["fiscal_year"].astype(str),
            "fiscal_year_start": frame["fiscal_year_start"].astype(int),
            "gdp_deflator": value.astype(float),
            "is_forecast": frame["is_forecast"].eq("true"),
        }
    )


def _fy_start(fy, file: str) -> np.ndarray:
    """Financial years as start years: accepts '2019-20', 2019 or arrays of either."""
    items = np.atleast_1d(np.asarray(fy, dtype=object))
    out = np.empty(items.shape, dtype=int)
    problems = []
    for i, item in enumerate(items):
        if isinstance(item, (int, np.integer)):
            out[i] = int(item)
            continue
        m = _FY_PATTERN.match(str(item))
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            problems.append(
                Problem(
                    file,
                    "year-format",
                    "financial year must be 'YYYY-YY' (e.g. '2019-20') or a start year",
                    "fiscal_year",
                    i + 1,
                    item,
                )
            )
            continue
        out[i] = int(m.group(1))
    if problems:
        raise DataError(problems)
    return out


def price_index(fy, deflators: pd.DataFrame | None = None) -> np.ndarray:
    """The GDP deflator for each financial year; ``DataError`` for a year outside the table."""
    table = gdp_deflators() if deflators is None else deflators
    file = f"data/public/{HMT_DEFLATORS_FILE}"
    starts = _fy_start(fy, file)
    index = dict(zip(table["fiscal_year_start"], table["gdp_deflator"]))
    outside = [s for s in starts if s not in index]
    if outside:
        lo, hi = table["fiscal_year"].iloc[0], table["fiscal_year"].iloc[-1]
        raise DataError(
            [
                Problem(
                    file,
                    "price-year-range",
                    f"no deflator: the table runs {lo} to {hi}",
                    "fiscal_year",
                    value=f"{s}-{(s + 1) % 100:02d}",
                )
                for s in sorted(set(outside))
            ]
        )
    return np.array([index[s] for s in starts], dtype=float)


def is_forecast_year(fy, deflators: pd.DataFrame | None = None) -> np.ndarray:
    """Whether each financial year's deflator is forecast-based (2025-26 on in the March 2026 table)."""
    table = gdp_deflators() if deflators is None else deflators
    price_index(fy, table)  # raises for a year outside the table
    flags = dict(zip(table["fiscal_year_start"], table["is_forecast"]))
    return np.array([flags[s] for s in _fy_start(fy, HMT_DEFLATORS_FILE)], dtype=bool)


def ons_gdp_deflator(folder: Path | None = None) -> pd.DataFrame:
    """ONS series YBGB (GDP implied deflator, 2022 = 100), calendar years: ``year``, ``ybgb``.

    An independent cross-check on the HM Treasury table (different base and year basis).
    """
    path, file = _path(ONS_DEFLATOR_FILE, folder)
    raw = pd.read_csv(path, dtype=str, header=None, keep_default_na=False, names=["period", "value"])
    annual = raw[raw["period"].str.fullmatch(r"\d{4}")]
    value, status = parse_values(annual["value"], file, "value")
    return pd.DataFrame({"year": annual["period"].astype(int).to_numpy(), "ybgb": value.to_numpy()})
