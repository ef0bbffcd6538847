"""Scottish council statistics for North Lanarkshire (``data/public/scotland/``).

DfE statistics cover England only, so the North Lanarkshire chapter compares the council
with Scotland's 32 councils from the files the book ships in ``data/public/scotland/``
(provenance and checksums there): the child protection register and looked-after children
at 31 July 2021 (ScotPHO), children aged 0-15 and 0-17 in 2012-2022 (NRS, summed by age),
and three Local Government Benchmarking Framework indicators to 2019-20.

Every loader returns a tidy frame ``council_code, council_name, year, measure, value,
status`` (plus the file's provenance columns). A value the source did not publish is
missing with its ``status`` kept; a cell that is neither a number nor empty-with-a-status
is an error naming the file, column, row and rule.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.data.paths import public_dir
from innovate.errors import DataError, Problem

FOLDER = "scotland"
REGISTER_FILE = "child_protection_register_31july_scotpho.csv"
LOOKED_AFTER_FILE = "looked_after_children_31july_scotpho.csv"
POPULATION_FILE = "population_aged_0_15_and_0_17_derived.csv"
LGBF_FILE = "lgbf_children_indicators_chn9_chn22_chn23.csv"

SCOTLAND_CODE = "S92000003"
NORTH_LANARKSHIRE = "S12000050"
COLUMNS = ("council_code", "council_name", "year", "measure", "value", "status")
_CODE = re.compile(r"^S(12|92)\d{6}$")

#: LGBF indicators shipped: measure -> (LGBF code, the book's short label).
LGBF_MEASURES: dict[str, tuple[str, str]] = {
    "lgbf_chn9_pct_looked_after_children_in_community": (
        "CHN9",
        "Looked-after children cared for in the community (%)",
    ),
    "lgbf_chn22_pct_child_protection_reregistrations_within_18_months": (
        "CHN22",
        "Child protection re-registrations within 18 months (%)",
    ),
    "lgbf_chn23_pct_looked_after_children_more_than_one_placement_last_year": (
        "CHN23",
        "Looked-after children with more than one placement in the year (%)",
    ),
}

#: Series Scotland does not publish by council in any file the book could find, and where
#: a reader would look (from the provenance README of ``data/public/scotland``).
NOT_PUBLISHED_BY_COUNCIL: tuple[tuple[str, str], ...] = (
    (
        "Children on the child protection register by council, years other than 2021",
        "Scottish Government, Child Protection Statistics publication tables (e.g. 2023-24, Table 1.2); "
        "ScotPHO profiles indicator 13035",
    ),
    (
        "Concerns identified at child protection planning meetings (including child sexual and criminal "
        "exploitation) by council",
        "Scottish Government, Children's Social Work Statistics additional tables (small numbers suppressed)",
    ),
    (
        "Looked-after children by council, years other than 2021",
        "statistics.gov.scot dataset 'looked-after-children' (2009-2022); Scottish Government Looked After "
        "Children additional tables (e.g. 2023-24, Table 3.2); ScotPHO profiles indicator 20503",
    ),
    (
        "Children going missing, and extra-familial harm identified at assessment, by council",
        "no council-level national series was found; Scotland has no equivalent of the DfE children in need "
        "census factors",
    ),
    (
        "Child population 2023-2024, and the Census-2022-rebased estimates for 2012-2021",
        "National Records of Scotland, mid-year population estimates time series",
    ),
)


def _path(file: str, folder: Path | None) -> Path:
    return (folder or public_dir()) / FOLDER / file


def read(file: str, folder: Path | None = None) -> pd.DataFrame:
    """One Scottish file as a tidy frame with ``value`` numeric; errors name file, column, row, rule."""
    path = _path(file, folder)
    if not path.exists():
        raise DataError([Problem(str(path), "exists", "file not found")])
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise DataError([Problem(file, "required column", "column missing from the header", column=c) for c in missing])
    problems: list[Problem] = []
    value = pd.to_numeric(raw["value"].str.strip(), errors="coerce")
    for i in np.flatnonzero(raw["value"].str.strip().ne("") & value.isna()):
        problems.append(Problem(file, "number", "not a number", "value", int(i) + 1, raw["value"].iat[i]))
    for i in np.flatnonzero(raw["value"].str.strip().eq("") & raw["status"].str.strip().eq("")):
        problems.append(
            Problem(file, "status when empty", "empty value without a status saying why", "status", int(i) + 1, "")
        )
    for i in np.flatnonzero(~raw["council_code"].str.fullmatch(_CODE)):
        problems.append(
            Problem(file, "S12/S92 code", "not a council code", "council_code", int(i) + 1, raw["council_code"].iat[i])
        )
    if problems:
        raise DataError(problems)
    out = raw.copy()
    out["value"] = value.astype(float)
    return out


def _measure(file: str, measures: list[str] | tuple[str, ...], folder: Path | None) -> pd.DataFrame:
    frame = read(file, folder)
    unknown = sorted(set(measures) - set(frame["measure"]))
    if unknown:
        raise KeyError(
            f"{FOLDER}/{file}: no measure {', '.join(unknown)}; it holds {', '.join(frame['measure'].unique())}"
        )
    return frame[frame["measure"].isin(measures)].reset_index(drop=True)


def child_protection_register(folder: Path | None = None) -> pd.DataFrame:
    """Children on the register at 31 July 2021 by council: count and ScotPHO's rate per 1,000."""
    frame = _measure(REGISTER_FILE, ["children_on_child_protection_register", "rate_per_1000_aged_0_15"], folder)
    frame["year"] = frame["year"].astype(int)
    return frame


def looked_after(folder: Path | None = None) -> pd.DataFrame:
    """Looked-after children at 31 July 2021 by council: count and ScotPHO's rate per 1,000 aged 0-17."""
    frame = _measure(LOOKED_AFTER_FILE, ["children_looked_after", "rate_per_1000_aged_0_17"], folder)
    frame["year"] = frame["year"].astype(int)
    return frame


def child_population(folder: Path | None = None) -> pd.DataFrame:
    """Children aged 0-15 and 0-17 by council and Scotland, 2012-2022 (NRS, summed by age)."""
    frame = _measure(POPULATION_FILE, ["population_aged_0_15", "population_aged_0_17"], folder)
    frame["year"] = frame["year"].astype(int)
    return frame


def benchmarking(folder: Path | None = None) -> pd.DataFrame:
    """LGBF indicators CHN9, CHN22, CHN23 by council and Scotland; ``year`` is the LGBF year
    ('2019-20') and ``year_end`` the calendar year it ends in (2020)."""
    frame = _measure(LGBF_FILE, list(LGBF_MEASURES), folder)
    if not frame["year"].str.fullmatch(r"\d{4}-\d{2}").all():
        bad = int(np.flatnonzero(~frame["year"].str.fullmatch(r"\d{4}-\d{2}"))[0])
        raise DataError([Problem(LGBF_FILE, "YYYY-YY", "not an LGBF year", "year", bad + 1, frame["year"].iat[bad])])
    frame["year_end"] = frame["year"].str[:4].astype(int) + 1
    frame["label"] = frame["measure"].map(lambda m: LGBF_MEASURES[m][1])
    return frame
