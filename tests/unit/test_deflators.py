"""The deflator files (innovate.data.deflators) and the one price-year conversion built on them
(innovate.econ.prices.to_price_year), checked against the published table by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from innovate.data import deflators
from innovate.econ import prices
from innovate.errors import DataError


def _one(frame: pd.DataFrame, **where) -> pd.Series:
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, where
    return rows.iloc[0]


def test_deflator_table():
    table = deflators.gdp_deflators()
    assert _one(table, fiscal_year="2024-25")["gdp_deflator"] == 100
    assert list(table.loc[table["is_forecast"], "fiscal_year"])[0] == "2025-26"
    assert not table.loc[table["fiscal_year_start"] <= 2024, "is_forecast"].any()


def test_to_price_year_checked_by_hand():
    # From the HM Treasury March 2026 table: 2019-20 = 80.8738, 2024-25 = 100, 2016-17 = 76.0754,
    # 2022-23 = 91.2996.
    assert prices.to_price_year(1000, "2019-20") == pytest.approx(1000 * 100 / 80.8738)
    assert prices.to_price_year(1000, "2019-20", "2024-25") == pytest.approx(1236.4944, abs=1e-4)
    assert prices.to_price_year(500, 2016, "2022-23") == pytest.approx(500 * 91.2996 / 76.0754)
    amounts = pd.Series([100.0, 200.0, 300.0], index=[7, 8, 9])
    years = pd.Series(["2016-17", "2019-20", "2024-25"], index=[7, 8, 9])
    out = prices.to_price_year(amounts, years)
    assert list(out.index) == [7, 8, 9]
    np.testing.assert_allclose(out.to_numpy(), [100 * 100 / 76.0754, 200 * 100 / 80.8738, 300.0])
    assert prices.to_price_year(100, "2024-25", "2024-25") == 100


def test_price_year_errors_and_forecast_flags():
    with pytest.raises(DataError) as info:
        prices.to_price_year(1, "1999-00")
    assert info.value.problems[0].rule == "price-year-range"
    assert "hmt_gdp_deflators_fy_march2026.csv" in info.value.problems[0].file
    with pytest.raises(DataError):
        prices.to_price_year(1, "2019-20", "2031-32")
    with pytest.raises(DataError, match="year-format"):
        prices.to_price_year(1, "2019-21")
    assert deflators.is_forecast_year(["2024-25", "2025-26", "2030-31"]).tolist() == [False, True, True]


def test_ons_cross_check_series():
    ons = deflators.ons_gdp_deflator().set_index("year")["ybgb"]
    assert ons.loc[2022] == 100.0
    # Both series grow between 2019 and 2024 by broadly similar amounts (different bases and years).
    hmt = deflators.gdp_deflators().set_index("fiscal_year_start")["gdp_deflator"]
    assert abs(ons.loc[2024] / ons.loc[2019] - hmt.loc[2024] / hmt.loc[2019]) < 0.05
