"""Input checks shared by the estimators: required columns and numeric columns, with errors that name the column."""

from __future__ import annotations

import numpy as np
import pandas as pd

from innovate.errors import DataError, Problem

# --------------------------------------------------------------------------------------
# helpers


def _require(frame: pd.DataFrame, columns: list[str], source: str) -> None:
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError([Problem(source, "required-column", "column not in the data", column=c) for c in absent])


def _numeric(frame: pd.DataFrame, column: str, source: str, allow_missing: bool = True) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    bad = values.isna() & frame[column].notna()
    if not allow_missing:
        bad = bad | frame[column].isna()
    if bad.any():
        raise DataError(
            [
                Problem(source, "numeric", "not a number", column, int(i) + 1, frame[column].iloc[i])
                for i in np.flatnonzero(bad.to_numpy())
            ]
        )
    return values
