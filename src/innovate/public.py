"""Read the real DfE, ONS and HM Treasury statistics into tidy long frames.

Every loader returns the same shape: one row per area, year and measure, with

``area_code`` (DfE old LA code for LAs, GSS code for regions and England), ``new_la_code``,
``area_name``, ``level`` ('National', 'Regional', 'Local authority'), ``year``,
``measure``, ``value`` (float, missing where the source withholds it) and ``status``
('' for a published number, otherwise the DfE code: 'c' suppressed, 'x' not available,
'z' not applicable, 'u' low reliability, 'k' rounds to zero, ...).

A status code never becomes zero. An unknown code raises an error naming file, column,
row and value.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .errors import DataError, Problem
from .paths import public_dir

#: DfE and ONS status codes that stand in for a number, with their meaning.
STATUS_CODES: dict[str, str] = {
    "c": "suppressed (small count)",
    "x": "not available / not collected",
    "z": "not applicable",
    "u": "low reliability",
    "k": "rounds to zero (under 0.5)",
    "low": "rounds to zero",
    "..": "not available",
    ":": "not available",
    "": "blank in source",
}

#: The extra-familial risk factors recorded at the end of a children-in-need assessment.
EXTRA_FAMILIAL_FACTORS: dict[str, str] = {
    "Child_sexual_exploitation": "Child sexual exploitation",
    "Child_criminal_exploitation": "Child criminal exploitation",
    "Going_missing": "Going missing",
    "Gangs": "Gangs",
    "Trafficking": "Trafficking",
}

LEVEL_NAMES = {"National": "National", "Regional": "Regional", "Local authority": "Local authority"}

ASSESSMENT_FACTORS_FILE = "dfe_csc_outcomes_enablers/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"
POPULATION_FILE = "dfe_csc_outcomes_enablers/ons_mid-year_population_estimates_2012_to_2024.csv"


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(public_dir().parent.parent))
    except ValueError:
        return str(path)


def parse_values(raw: pd.Series, file: str, column: str) -> tuple[pd.Series, pd.Series]:
    """Split a column of published text into numbers and status codes.

    Returns ``(value, status)``. Thousands separators are removed. A cell that is
    neither a number nor a known status code raises ``DataError``.
    """
    text = raw.astype("string").str.strip().fillna("")
    cleaned = text.str.replace(",", "", regex=False)
    value = pd.to_numeric(cleaned, errors="coerce").astype(float)
    is_code = value.isna()
    codes = text.where(is_code, "")
    unknown = is_code & ~codes.str.lower().isin(STATUS_CODES.keys())
    if unknown.any():
        problems = [
            Problem(
                file=file,
                column=column,
                row=int(i) + 1,
                value=text.iloc[pos],
                rule="status-code",
                message=f"neither a number nor a known status code ({', '.join(repr(c) for c in STATUS_CODES if c)})",
            )
            for pos, i in enumerate(raw.index)
            if unknown.iloc[pos]
        ]
        raise DataError(problems)
    status = codes.str.lower().astype(object)
    return value, status


def read_dfe_wide(
    relative_path: str,
    measures: list[str] | dict[str, str],
    extra_keys: list[str] | None = None,
    folder: Path | None = None,
) -> pd.DataFrame:
    """Read a DfE explore-education-statistics CSV with one column per measure.

    ``measures`` lists the columns to keep (a dict renames them). Returns the tidy long
    frame described in the module docstring, plus any ``extra_keys`` columns.
    """
    path = (folder or public_dir()) / relative_path
    file = _relative(path)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    names = measures if isinstance(measures, dict) else {m: m for m in measures}
    missing = [m for m in names if m not in frame.columns]
    if missing:
        raise DataError([Problem(file=file, column=m, rule="required-column", message="column not in file") for m in missing])
    keys = ["time_period", "geographic_level", "country_code", "region_code", "region_name",
            "old_la_code", "new_la_code", "la_name", "country_name"] + list(extra_keys or [])
    parts = []
    for column, name in names.items():
        value, status = parse_values(frame[column], file, column)
        part = frame[keys].copy()
        part["measure"] = name
        part["value"] = value.to_numpy()
        part["status"] = status.to_numpy()
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    return _standardise_geography(long, extra_keys)


def _standardise_geography(long: pd.DataFrame, extra_keys: list[str] | None = None) -> pd.DataFrame:
    level = long["geographic_level"]
    area_code = np.select(
        [level == "National", level == "Regional"],
        [long["country_code"], long["region_code"]],
        default=long["old_la_code"],
    )
    area_name = np.select(
        [level == "National", level == "Regional"],
        [long["country_name"], long["region_name"]],
        default=long["la_name"],
    )
    out = pd.DataFrame(
        {
            "area_code": area_code.astype(str),
            "new_la_code": long["new_la_code"].where(level == "Local authority", ""),
            "area_name": area_name.astype(str),
            "level": level,
            "region_code": long["region_code"],
            "year": long["time_period"].str[:4].astype(int),
            "measure": long["measure"],
            "value": long["value"].astype(float),
            "status": long["status"].astype(str),
        }
    )
    for key in extra_keys or []:
        out[key] = long[key].to_numpy()
    return out.sort_values(["level", "area_code", "measure", "year"], kind="stable").reset_index(drop=True)


def assessment_factors(factors: list[str] | None = None, folder: Path | None = None) -> pd.DataFrame:
    """Episodes with each factor identified at the end of assessment, 2018-2025.

    ``year`` is the year ending 31 March. By default the five extra-familial factors;
    ``measure`` holds the readable factor name.
    """
    chosen = factors or list(EXTRA_FAMILIAL_FACTORS)
    names = {f: EXTRA_FAMILIAL_FACTORS.get(f, f.replace("_", " ")) for f in chosen}
    return read_dfe_wide(ASSESSMENT_FACTORS_FILE, names, folder=folder)


def child_population(folder: Path | None = None) -> pd.DataFrame:
    """ONS mid-year estimates of children aged 0-17 by area and year (2012-2024)."""
    return read_dfe_wide(POPULATION_FILE, {"population_estimate": "Children aged 0-17"}, folder=folder)


def england(frame: pd.DataFrame) -> pd.DataFrame:
    """The national rows of a tidy frame."""
    return frame[frame["level"] == "National"].reset_index(drop=True)
