"""The peer-reviewed ITS tutorial data (Lopez Bernal, Cummins and Gasparrini 2017) and its published results, read from ``data/reference``."""

from __future__ import annotations

import pandas as pd

from innovate.data.paths import project_root

# --------------------------------------------------------------------------------------
# validation against Lopez Bernal, Cummins and Gasparrini (2017)

SICILY_FILE = "sicily.csv"
SICILY_REFERENCE_FILE = "sicily_reference.csv"


def _peer_dir():
    return project_root() / "data" / "peer"


def sicily() -> pd.DataFrame:
    """The tutorial's data: monthly acute coronary events in Sicily, 2002-2006, with the
    January 2005 smoking ban (``smokban``), the age-standardised population ``stdpop`` and a
    ``date`` column (first of the month)."""
    frame = pd.read_csv(_peer_dir() / SICILY_FILE)
    frame["date"] = pd.to_datetime(dict(year=frame["year"], month=frame["month"], day=1))
    return frame


def sicily_reference() -> pd.DataFrame:
    """Published reference values and the R re-run (see ``data/peer/README.md``)."""
    return pd.read_csv(_peer_dir() / SICILY_REFERENCE_FILE)
