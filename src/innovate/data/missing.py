"""Looked-after children missing from care, 2015-2024: the DfE releases read into one tidy frame."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.config import ENGLAND_CODE
from innovate.data.public import (
    GOODAIR,
    KNOWN_GAPS,
    REGION_NAMES,
    _check_levels,
    _path,
    _read_csv,
    _sorted,
    _standardise_geography,
    code_lookup,
    parse_values,
)
from innovate.errors import DataError, Problem

# --- looked-after children missing from care, 2015-2024 -----------------------------------

#: Measure id -> readable name. The eight measures every release from 2015 to 2024 carries.
MISSING_MEASURES: dict[str, str] = {
    "children_missing": "Children who went missing",
    "missing_incidents": "Missing incidents",
    "children_missing_repeat": "Children who went missing more than once",
    "missing_at_31_march": "Children missing at 31 March",
    "children_away": "Children away without authorisation",
    "away_incidents": "Away-without-authorisation incidents",
    "children_away_repeat": "Children away without authorisation more than once",
    "away_at_31_march": "Children away without authorisation at 31 March",
}
#: Measures only the 2018 and later releases carry.
MISSING_MEASURES_FROM_2018: dict[str, str] = {
    "looked_after_during_year": "Children looked after during the year",
}

#: Column of each old statistical first release -> measure id.
_SFR_COLUMNS = {
    "2015": [
        "CLA_MissDuringYear",
        "CLA_MissIncs",
        "CLA_MissMoreOnce",
        "CLA_Miss31Mar",
        "CLA_AwayDuringYear",
        "CLA_AwayIncs",
        "CLA_AwayMoreOnce",
        "CLA_Away31Mar",
    ],
    "2017": [
        "Miss_Miss_DuringYear",
        "Miss_Miss_Incs",
        "Miss_Miss_MoreOnce",
        "Miss_Miss_31Mar",
        "Miss_Away_DuringYear",
        "Miss_Away_Incs",
        "Miss_Away_MoreOnce",
        "Miss_Away_31Mar",
    ],
}

#: Category labels of the 2018+ releases -> measure id.
_RELEASE_LABELS: dict[str, str] = {
    "Children who had a missing incident during the year": "children_missing",
    "Number of missing incidents during the year": "missing_incidents",
    "Children who went missing more than once during the year": "children_missing_repeat",
    "Children missing at 31 March": "missing_at_31_march",
    "Children who were away from placement without authorisation during the year": "children_away",
    "Number of away from placement without authorisation incidents during the year": "away_incidents",
    "Children who were away from placement without authorisation more than once during the year": "children_away_repeat",
    "Children away from placement without authorisation at 31 March": "away_at_31_march",
    "Children looked after during the year": "looked_after_during_year",
}


@dataclass(frozen=True)
class Release:
    """One published release of the missing-from-care statistics."""

    source: str
    file: str
    years: tuple[int, ...]
    kind: str  # 'sfr' (wide, 2015-2017) or 'ees' (long, 2018 on)
    column_set: str = ""
    category_column: str = ""


MISSING_RELEASES: tuple[Release, ...] = (
    Release("SFR 34/2015", f"{GOODAIR}/SFR34_Missing2015.csv", (2015,), "sfr", "2015"),
    Release("SFR 41/2016", f"{GOODAIR}/SFR41_Missing2016.csv", (2016,), "sfr", "2015"),
    Release("SFR 50/2017", f"{GOODAIR}/SFR50_Missing_2017.csv", (2017,), "sfr", "2017"),
    Release(
        "CLA 2022 release",
        f"{GOODAIR}/la_cla_missing_or_away_2018_to_2022_release2022.csv",
        (2018, 2019, 2020, 2021, 2022),
        "ees",
        category_column="cla_group",
    ),
    Release(
        "CLA 2024 release",
        f"{GOODAIR}/la_cla_missing_or_away_2020_to_2024_release2024.csv",
        (2020, 2021, 2022, 2023, 2024),
        "ees",
        category_column="CLA_group",
    ),
)

_SFR_LEVELS = {"NATIONAL": "National", "REGION": "Regional", "LA": "Local authority"}
_SFR_REGION_BY_NAME = {name.upper(): code for code, name in REGION_NAMES.items()}


def _read_sfr(release: Release, folder: Path | None) -> pd.DataFrame:
    path, file = _path(release.file, folder)
    columns = _SFR_COLUMNS[release.column_set]
    frame = _read_csv(path, file, ["New_geog_code", "geog_l", "geog_c", "geog_n"] + columns)
    unknown = ~frame["geog_l"].isin(_SFR_LEVELS)
    if unknown.any():
        raise DataError(
            [
                Problem(
                    file,
                    "allowed-values",
                    "geog_l must be NATIONAL, REGION or LA",
                    "geog_l",
                    int(i) + 1,
                    frame.at[i, "geog_l"],
                )
                for i in frame.index[unknown]
            ]
        )
    level = frame["geog_l"].map(_SFR_LEVELS)
    names = frame["geog_n"].str.strip()
    region_code = names.str.upper().map(_SFR_REGION_BY_NAME)
    bad_region = (level == "Regional") & region_code.isna()
    if bad_region.any():
        raise DataError(
            [
                Problem(file, "allowed-values", "unknown region name", "geog_n", int(i) + 1, names[i])
                for i in frame.index[bad_region]
            ]
        )
    area_code = np.select(
        [level == "National", level == "Regional"], [ENGLAND_CODE, region_code], default=frame["geog_c"]
    )
    area_name = np.select(
        [level == "National", level == "Regional"], ["England", region_code.map(REGION_NAMES)], default=names
    )
    parts = []
    for column, measure in zip(columns, MISSING_MEASURES):
        value, status = parse_values(frame[column], file, column)
        parts.append(
            pd.DataFrame(
                {
                    "area_code": area_code.astype(str),
                    "new_la_code": frame["New_geog_code"].where(level == "Local authority", ""),
                    "area_name": area_name.astype(str),
                    "level": level,
                    "year": release.years[0],
                    "measure_id": measure,
                    "value": value.to_numpy(),
                    "status": status.to_numpy(),
                    "source_column": column,
                    "source_row": frame.index.to_numpy() + 1,
                }
            )
        )
    # Codes are kept as printed. In these 2015-2017 releases 'x' covers both small counts
    # withheld for confidentiality (no LA count from 1 to 5 appears in them) and whole
    # returns not shown (Devon 2015), so it cannot be read as the later 'c'.
    return pd.concat(parts, ignore_index=True)


def _read_ees(release: Release, folder: Path | None) -> pd.DataFrame:
    path, file = _path(release.file, folder)
    frame = _read_csv(
        path,
        file,
        [
            "time_period",
            "geographic_level",
            "country_code",
            "country_name",
            "region_code",
            "region_name",
            "old_la_code",
            "la_name",
            "new_la_code",
            release.category_column,
            "number",
        ],
    )
    _check_levels(frame, file)
    frame = frame[frame[release.category_column].isin(_RELEASE_LABELS)]
    value, status = parse_values(frame["number"], file, "number")
    long = frame.assign(measure=frame[release.category_column].map(_RELEASE_LABELS), value=value, status=status)
    tidy = _standardise_geography(long.assign(source_row=long.index.to_numpy() + 1), extra_keys=["source_row"])
    tidy = tidy.rename(columns={"measure": "measure_id"})
    tidy["source_column"] = "number"
    years = set(tidy["year"])
    if not years <= set(release.years):
        raise DataError(
            [
                Problem(file, "year-range", f"release covers {release.years}", "time_period", value=y)
                for y in sorted(years - set(release.years))
            ]
        )
    return tidy


def missing_releases(folder: Path | None = None) -> pd.DataFrame:
    """Every value of every missing-from-care release, before stitching.

    Columns: the tidy columns plus ``measure_id``, ``source`` (release), ``source_file``,
    ``source_column``, ``source_row`` and ``superseded`` (True where a later release covers the same year).
    """
    parts = []
    for release in MISSING_RELEASES:
        part = _read_sfr(release, folder) if release.kind == "sfr" else _read_ees(release, folder)
        part["source"] = release.source
        part["source_file"] = release.file
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    winner = {}
    for rank, release in enumerate(MISSING_RELEASES):
        for year in release.years:
            winner[year] = release.source  # later releases overwrite earlier ones
    out["superseded"] = out["source"] != out["year"].map(winner)
    out["measure"] = out["measure_id"].map({**MISSING_MEASURES, **MISSING_MEASURES_FROM_2018})
    # The 2015-2017 files carry no region for an LA: take it from the code lookup.
    region = out["region_code"].fillna("").astype(str)
    lookup = dict(zip(*_la_regions(folder)))
    fill = out["level"].eq("Local authority") & region.eq("")
    region[fill] = out.loc[fill, "area_code"].map(lookup).fillna("")
    region[out["level"] == "Regional"] = out.loc[out["level"] == "Regional", "area_code"]
    region[out["level"] == "National"] = ""
    out["region_code"] = region
    return out


def _la_regions(folder: Path | None) -> tuple[list[str], list[str]]:
    lookup = code_lookup(folder)
    return list(lookup["old_la_code"]), list(lookup["region_code"])


def missing_from_care(measures: list[str] | None = None, folder: Path | None = None) -> pd.DataFrame:
    """Looked-after children missing or away from placement, 2015-2024, stitched across releases.

    For each year the latest release that covers it wins (the 2024 release for 2020-2024,
    the 2022 release for 2018-2019, the statistical first releases for 2015-2017): a later
    release replaces the whole year, so authorities re-drawn by reorganisation are not
    counted twice. ``source`` names the release of every value. Published zeros documented as
    recording gaps (``KNOWN_GAPS``: Hackney 2021) become missing with status 'gap'. ``measures`` are ids of
    ``MISSING_MEASURES`` (default: all eight, carried by every release) and optionally
    'looked_after_during_year' (2018 on).
    """
    chosen = list(measures or MISSING_MEASURES)
    known = {**MISSING_MEASURES, **MISSING_MEASURES_FROM_2018}
    unknown = [m for m in chosen if m not in known]
    if unknown:
        raise KeyError(f"unknown missing-from-care measure(s): {unknown}; known: {list(known)}")
    every = missing_releases(folder)
    out = every[~every["superseded"] & every["measure_id"].isin(chosen)].copy()
    for gap_file, code, measure, gap_year in KNOWN_GAPS:
        hit = (
            (out["source_file"] == gap_file)
            & (out["area_code"] == code)
            & (out["year"] == gap_year)
            & (out["value"] == 0)
            & ((out["measure_id"] == measure) if measure != "*" else True)
        )
        out["value"] = out["value"].mask(hit)
        out["status"] = np.where(hit, "gap", out["status"].astype(object))
    columns = [
        "area_code",
        "new_la_code",
        "area_name",
        "level",
        "region_code",
        "year",
        "measure",
        "value",
        "status",
        "measure_id",
        "source",
        "source_file",
    ]
    return _sorted(out[columns])
