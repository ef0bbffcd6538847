"""Input checks shared by the estimators: numeric columns, with errors that name the column.

(Required columns: :func:`innovate.errors.require_columns`, shared by every layer.)"""

from __future__ import annotations

import numpy as np
import pandas as pd

from innovate.errors import DataError, Problem

# --------------------------------------------------------------------------------------
# helpers


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
