"""The national picture of extra-familial risk, from the DfE children-in-need census.

Small, named summaries that the chapters call, so that no notebook computes a change or
draws a chart by hand.
"""

from __future__ import annotations

import pandas as pd

from innovate.data import public


def england_factors(frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """England's episodes with each extra-familial factor, one row per year, one column per factor.

    Missing values stay missing (criminal exploitation is recorded only from 2022).
    """
    frame = public.assessment_factors() if frame is None else frame
    national = public.england(frame)
    table = national.pivot(index="year", columns="measure", values="value")
    order = [name for name in public.EXTRA_FAMILIAL_FACTORS.values() if name in table.columns]
    table = table[order]
    table.columns.name = None
    return table


def first_recorded_year(table: pd.DataFrame, measure: str) -> int:
    """The first year in which a measure has a published value."""
    present = table[measure].dropna()
    if present.empty:
        raise ValueError(f"{measure!r} has no published value in the table")
    return int(present.index.min())


def change(table: pd.DataFrame, measure: str, start: int, end: int) -> dict[str, float]:
    """Values at two years and the change between them, absolute and in per cent."""
    for year in (start, end):
        if year not in table.index or pd.isna(table.loc[year, measure]):
            raise ValueError(f"{measure!r} has no published value for {year}")
    first, last = float(table.loc[start, measure]), float(table.loc[end, measure])
    return {
        "start": first,
        "end": last,
        "difference": last - first,
        "percent": 100.0 * (last - first) / first,
    }
