"""Read the real DfE and ONS statistics into tidy long frames.

The HM Treasury and ONS deflators are read by :mod:`innovate.data.deflators`; the
missing-from-care series, stitched from several releases, by :mod:`innovate.data.missing`.

Every loader returns the same shape: one row per area, year and measure, with

``area_code`` (DfE old LA code for LAs, GSS code for regions and England), ``new_la_code``,
``area_name``, ``level`` ('National', 'Regional', 'Local authority'), ``year``,
``measure``, ``value`` (float, missing where the source withholds it) and ``status``
('' for a published number, otherwise the DfE code: 'c' suppressed, 'x' not available,
'z' not applicable, 'u' low reliability, 'k' rounds to zero, ...).

A status code never becomes zero. An unknown code raises an error naming file, column,
row and value.

Conventions used throughout (and stated in the book's Data appendix):

* ``year`` for DfE collections is the year ending 31 March (2018 = April 2017 to March
  2018). For the ONS mid-year estimates it is the mid-year (30 June) of the estimate.
* Rates per 10,000 children divide a DfE count for the year ending 31 March ``Y`` by the
  ONS 0-17 mid-year estimate for ``Y - 1`` (the estimate nearest the middle of the
  collection year). This is the rule DfE itself follows: its published looked-after rates
  for 2025 use the 2024 mid-year estimate, which the tests check. Where the needed
  estimate is not in the file (a year after the last estimate), the latest estimate is
  carried forward and ``population_note`` says so; nothing is filled silently.
* LAs are joined on the DfE old (three-digit) code. GSS codes change (Sheffield is
  E08000019 in DfE files and E08000039 in current ONS products): ``to_old_code``
  translates either to the old code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.config import ENGLAND_CODE
from innovate.data.paths import public_dir
from innovate.errors import DataError, Problem, require_columns

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
    "-": "not available (LAIT)",
    "": "blank in source",
}

#: Codes the book itself assigns (documented; never produced from a published number).
BOOK_STATUS_CODES: dict[str, str] = {
    "gap": "published as 0 but documented as a recording gap, so treated as missing",
}

#: The extra-familial risk factors recorded at the end of a children-in-need assessment.
EXTRA_FAMILIAL_FACTORS: dict[str, str] = {
    "Child_sexual_exploitation": "Child sexual exploitation",
    "Child_criminal_exploitation": "Child criminal exploitation",
    "Going_missing": "Going missing",
    "Gangs": "Gangs",
    "Trafficking": "Trafficking",
}

LEVELS = ("National", "Regional", "Local authority")

OUTCOMES_ENABLERS = "dfe_csc_outcomes_enablers"
GOODAIR = "goodair_csc_raw"
LAIT = "dfe_lait"
DEFLATORS = "deflators"

ASSESSMENT_FACTORS_FILE = f"{OUTCOMES_ENABLERS}/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"
POPULATION_FILE = f"{OUTCOMES_ENABLERS}/ons_mid-year_population_estimates_2012_to_2024.csv"
CIN_FILE = f"{OUTCOMES_ENABLERS}/b1_children_in_need_2013_to_2025.csv"
REFERRALS_FILE = f"{OUTCOMES_ENABLERS}/c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
CLA_RATES_FILE = f"{OUTCOMES_ENABLERS}/cla_number_and_rate_per_10k_children.csv"
SN_2021_FILE = f"{OUTCOMES_ENABLERS}/New_Statistical_Neighbour_Groupings_April_2021.csv"
SN_2025_FILE = f"{OUTCOMES_ENABLERS}/sn_model_2025_wide.csv"
LTLA_UTLA_FILE = f"{OUTCOMES_ENABLERS}/LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
LAIT_FILE = f"{LAIT}/lait_bds_selected_indicators_long.csv"
LAIT_DICTIONARY_FILE = f"{LAIT}/lait_data_dictionary_selected.csv"
HMT_DEFLATORS_FILE = f"{DEFLATORS}/hmt_gdp_deflators_fy_march2026.csv"
ONS_DEFLATOR_FILE = f"{DEFLATORS}/ons_ybgb_gdp_implied_deflator_2025q1.csv"

#: GSS codes the book uses for the current English regions (names as in DfE files).
REGION_NAMES: dict[str, str] = {
    "E12000001": "North East",
    "E12000002": "North West",
    "E12000003": "Yorkshire and The Humber",
    "E12000004": "East Midlands",
    "E12000005": "West Midlands",
    "E12000006": "East of England",
    "E12000007": "London",
    "E12000008": "South East",
    "E12000009": "South West",
    "E13000001": "Inner London",
    "E13000002": "Outer London",
}

#: ONS codes that differ from the code the DfE files carry for the same LA (old code -> code).
#: Sheffield was recoded by ONS; the DfE files and the April 2023 ONS lookup still carry E08000019.
ONS_RECODED: dict[str, str] = {"373": "E08000039"}

#: Published values documented as recording gaps (file, old LA code, measure, year).
#: ``measure`` '*' means every measure of that file, area and year. Only a published 0 is
#: affected; the value becomes missing with status 'gap'.
KNOWN_GAPS: list[tuple[str, str, str, int]] = [
    # Hackney: cyber-attack in October 2020; LAIT shows 0 % of looked-after children missing in 2021.
    (LAIT_FILE, "204", "Children_missing", 2021),
    # ... and the DfE 2024 release shows 0 for every missing and away count of Hackney in 2021.
    (f"{GOODAIR}/la_cla_missing_or_away_2020_to_2024_release2024.csv", "204", "*", 2021),
]


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(public_dir().parent.parent))
    except ValueError:
        return str(path)


def _path(relative_path: str, folder: Path | None) -> tuple[Path, str]:
    path = (folder or public_dir()) / relative_path
    return path, _relative(path)


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


def _read_csv(path: Path, file: str, required: list[str] | None = None) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False).astype(object)
    require_columns(frame, required or [], file)
    return frame


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
    path, file = _path(relative_path, folder)
    names = measures if isinstance(measures, dict) else {m: m for m in measures}
    keys = [
        "time_period",
        "geographic_level",
        "country_code",
        "region_code",
        "region_name",
        "old_la_code",
        "new_la_code",
        "la_name",
        "country_name",
    ] + list(extra_keys or [])
    frame = _read_csv(path, file, required=list(names) + keys)
    _check_levels(frame, file)
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


def _check_levels(frame: pd.DataFrame, file: str, column: str = "geographic_level") -> None:
    bad = ~frame[column].isin(LEVELS)
    if bad.any():
        raise DataError(
            [
                Problem(
                    file,
                    "allowed-values",
                    f"geographic level must be one of {LEVELS}",
                    column,
                    int(i) + 1,
                    frame.at[i, column],
                )
                for i in frame.index[bad]
            ]
        )


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
            "region_code": long["region_code"].where(level != "National", ""),
            "year": long["time_period"].str[:4].astype(int),
            "measure": long["measure"],
            "value": long["value"].astype(float),
            "status": long["status"].astype(str),
        }
    )
    for key in extra_keys or []:
        out[key] = long[key].to_numpy()
    return _sorted(out)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    order = {lvl: i for i, lvl in enumerate(LEVELS)}
    frame = frame.assign(_level=frame["level"].map(order))
    frame = frame.sort_values(["_level", "area_code", "measure", "year"], kind="stable")
    return frame.drop(columns="_level").reset_index(drop=True)


# --- children in need ---------------------------------------------------------------------


def assessment_factors(factors: list[str] | None = None, folder: Path | None = None) -> pd.DataFrame:
    """Episodes with each factor identified at the end of assessment, 2018-2025.

    ``year`` is the year ending 31 March. By default the five extra-familial factors;
    ``measure`` holds the readable factor name.
    """
    chosen = factors or list(EXTRA_FAMILIAL_FACTORS)
    names = {f: EXTRA_FAMILIAL_FACTORS.get(f, f.replace("_", " ")) for f in chosen}
    return read_dfe_wide(ASSESSMENT_FACTORS_FILE, names, folder=folder)


#: Children-in-need measures (b1), column -> readable name.
CIN_MEASURES: dict[str, str] = {
    "Anypoint_child": "Children in need at any point in the year",
    "Started_child": "Children starting an episode of need",
    "At31_episodes": "Children in need at 31 March",
}

#: Referral measures (c1), column -> readable name.
REFERRAL_MEASURES: dict[str, str] = {
    "referral_count": "Referrals",
    "rereferral_count": "Re-referrals within 12 months",
    "rereferral_percent": "Re-referrals within 12 months (%)",
    "no_further_action_count": "Referrals with no further action",
    "referral_child_count": "Children referred",
}


def children_in_need(measures: list[str] | None = None, folder: Path | None = None) -> pd.DataFrame:
    """DfE children-in-need counts (b1), 2013-2025, years ending 31 March."""
    chosen = {m: CIN_MEASURES.get(m, m) for m in (measures or CIN_MEASURES)}
    return read_dfe_wide(CIN_FILE, chosen, folder=folder)


def referrals(measures: list[str] | None = None, folder: Path | None = None) -> pd.DataFrame:
    """DfE referrals to children's social care (c1), 2013-2025, years ending 31 March."""
    chosen = {m: REFERRAL_MEASURES.get(m, m) for m in (measures or REFERRAL_MEASURES)}
    return read_dfe_wide(REFERRALS_FILE, chosen, folder=folder)


def looked_after_rates(folder: Path | None = None) -> pd.DataFrame:
    """DfE looked-after children counts with the population and rate DfE published, 2021-2025.

    ``measure`` is the population type (e.g. 'Children looked after on 31 March each
    year'); columns ``value`` (count), ``published_population`` and ``published_rate`` (per 10,000,
    as published, rounded). Used to check this module's rate rule against DfE's.
    """
    extra = ["population_type"]
    frame = read_dfe_wide(
        CLA_RATES_FILE,
        {"children_count": "count"},
        extra_keys=extra + ["population_estimate", "rate_per_10000"],
        folder=folder,
    )
    path, file = _path(CLA_RATES_FILE, folder)
    pop, pop_status = parse_values(frame["population_estimate"], file, "population_estimate")
    rate, rate_status = parse_values(frame["rate_per_10000"], file, "rate_per_10000")
    frame["measure"] = frame["population_type"]
    frame["published_population"] = pop.to_numpy()
    frame["published_rate"] = rate.to_numpy()
    frame["published_rate_status"] = rate_status.to_numpy()
    return _sorted(frame.drop(columns=["population_type", "population_estimate", "rate_per_10000"]))


# --- population and rates ----------------------------------------------------------------


def child_population(folder: Path | None = None) -> pd.DataFrame:
    """ONS mid-year estimates of children aged 0-17 by area and year (2012-2024)."""
    return read_dfe_wide(POPULATION_FILE, {"population_estimate": "Children aged 0-17"}, folder=folder)


def rate_per_10k(
    frame: pd.DataFrame, population: pd.DataFrame | None = None, lag: int = 1, per: float = 10_000.0
) -> pd.DataFrame:
    """Rates per 10,000 children aged 0-17 for every row of a tidy frame of counts.

    The denominator for a DfE year ending 31 March ``Y`` is the ONS mid-year estimate for
    ``Y - lag`` (``lag=1``, DfE's own rule). Where that estimate is beyond the last year in
    the population file, the latest estimate is carried forward and ``population_note``
    records it. Where the area has no estimate (or it is itself withheld) the rate is
    missing with status 'x' (or the population's own status) and a note; never 0.

    Returns the input's columns with ``value`` the rate, ``measure`` suffixed
    ' per 10,000 children', plus ``count``, ``population``, ``population_year`` and
    ``population_note``.
    """
    clash = [
        c
        for c in ("count", "population", "population_year", "population_note", "population_status")
        if c in frame.columns
    ]
    if clash:
        raise ValueError(f"rate_per_10k: the frame already has column(s) {clash}; rename them first")
    pop = child_population() if population is None else population
    pop = pop[["area_code", "level", "year", "value", "status"]].rename(
        columns={"year": "population_year", "value": "population", "status": "population_status"}
    )
    duplicated = pop.duplicated(["area_code", "level", "population_year"])
    if duplicated.any():
        raise DataError(
            [
                Problem(
                    "population",
                    "unique-key",
                    "more than one estimate for an area and year",
                    "area_code",
                    int(i) + 1,
                    pop.at[i, "area_code"],
                )
                for i in pop.index[duplicated]
            ]
        )
    first, last = int(pop["population_year"].min()), int(pop["population_year"].max())
    out = frame.copy()
    out["count"] = out["value"]
    wanted = out["year"].astype(int).to_numpy() - lag
    if (wanted < first).any():
        years = sorted(set(out.loc[wanted < first, "year"]))
        raise DataError(
            [
                Problem(
                    f"data/public/{POPULATION_FILE}",
                    "population-year",
                    f"the first estimate is for {first}; DfE year {y} needs {y - lag}",
                    "year",
                    value=int(y),
                )
                for y in years
            ]
        )
    # Beyond the last estimate in the file, the last estimate is carried forward (flagged).
    carried = wanted > last
    out["population_year"] = np.minimum(wanted, last).astype(int)
    out = out.merge(pop, on=["area_code", "level", "population_year"], how="left")
    notes = np.full(len(out), "", dtype=object)
    notes[carried] = [f"no estimate for {w}; {last} carried forward" for w in wanted[carried]]
    no_pop = out["population"].isna().to_numpy()
    has_row = out["population_status"].notna().to_numpy()
    notes[no_pop & ~has_row] = [
        f"no ONS 0-17 estimate for this area in {y}" for y in out.loc[no_pop & ~has_row, "population_year"]
    ]
    notes[no_pop & has_row] = [
        f"population estimate withheld ({st})" for st in out.loc[no_pop & has_row, "population_status"]
    ]
    out["population_note"] = notes
    out["value"] = out["count"] / out["population"] * per
    count_missing = out["count"].isna()
    status = np.where(
        count_missing, out["status"], np.where(no_pop, out["population_status"].fillna("x").replace("", "x"), "")
    )
    out["status"] = status.astype(str)
    out["measure"] = out["measure"].astype(str) + " per 10,000 children"
    out = out.drop(columns=["population_status"])
    return _sorted(out)


# --- codes --------------------------------------------------------------------------------


def _normalise_name(name: str) -> str:
    name = name.lower().replace("&", "and")
    name = re.sub(r",\s*(city|county) of$", "", name)
    name = re.sub(r"\b(city of|county of)\b", "", name)
    return re.sub(r"[^a-z]", "", name)


def code_lookup(folder: Path | None = None) -> pd.DataFrame:
    """One row per DfE local authority: old code, the GSS code DfE files carry, name, region, ONS code.

    Built from the latest year of the children-in-need file (b1) and the ONS April 2023
    lower- to upper-tier lookup. ``ons_code`` is the code in ONS products; it equals
    ``new_la_code`` except where ONS recoded an authority (``ONS_RECODED``).
    """
    cin = children_in_need(["Anypoint_child"], folder=folder)
    las = cin[cin["level"] == "Local authority"].sort_values("year")
    las = las.drop_duplicates("area_code", keep="last")
    out = pd.DataFrame(
        {
            "old_la_code": las["area_code"].to_numpy(),
            "new_la_code": las["new_la_code"].to_numpy(),
            "la_name": las["area_name"].to_numpy(),
            "region_code": las["region_code"].to_numpy(),
            "last_year": las["year"].to_numpy(),
        }
    )
    path, file = _path(LTLA_UTLA_FILE, folder)
    utla = _read_csv(path, file, ["UTLA23CD", "UTLA23NM"]).drop_duplicates("UTLA23CD")
    by_code = set(utla["UTLA23CD"])
    by_name = dict(zip(utla["UTLA23NM"].map(_normalise_name), utla["UTLA23CD"]))
    current = out["last_year"] == out["last_year"].max()
    # Names are matched only for authorities that still exist: an abolished county (Dorset,
    # 835) must not take the code of its successor of the same name.
    ons = [
        code if code in by_code else (by_name.get(_normalise_name(name), "") if now else "")
        for code, name, now in zip(out["new_la_code"], out["la_name"], current)
    ]
    out["ons_code"] = ons
    for old, code in ONS_RECODED.items():
        out.loc[out["old_la_code"] == old, "ons_code"] = code
    return out.sort_values("old_la_code").reset_index(drop=True)


def to_old_code(codes, folder: Path | None = None):
    """Translate GSS codes (DfE's or current ONS) or old codes to DfE old LA codes.

    Accepts one code or a sequence; returns the same shape. An unknown code raises
    ``KeyError`` naming it.
    """
    lookup = code_lookup(folder)
    mapping = {
        **dict(zip(lookup["old_la_code"], lookup["old_la_code"])),
        **dict(zip(lookup["new_la_code"], lookup["old_la_code"])),
        **{c: o for c, o in zip(lookup["ons_code"], lookup["old_la_code"]) if c},
    }
    single = isinstance(codes, str)
    items = [codes] if single else list(codes)
    unknown = [c for c in items if c not in mapping]
    if unknown:
        raise KeyError(f"unknown LA code(s): {', '.join(map(str, unknown))}")
    result = [mapping[c] for c in items]
    return result[0] if single else result


# --- statistical neighbours ---------------------------------------------------------------


@dataclass(frozen=True)
class Neighbour:
    """One statistical neighbour: rank 1 is the closest."""

    rank: int
    old_la_code: str
    la_name: str
    closeness: str


CLOSENESS_ORDER = ("extremely close", "very close", "close", "somewhat close", "not close")


def statistical_neighbour_table(model: int = 2021, folder: Path | None = None) -> pd.DataFrame:
    """DfE statistical neighbours in long form: ``old_la_code``, ``la_name``, ``rank`` 1-10,
    ``neighbour_code``, ``neighbour_name``, ``closeness`` (lower case), ``section``.

    ``model`` is 2021 (April 2021 groupings) or 2025. The 2021 file also lists, below its
    main table, groupings for authorities abolished by reorganisation (Dorset, Poole,
    Bournemouth, Northamptonshire): ``section`` is 'pre-reorganisation' for those.
    """
    # Each model's file: its first two header cells, and the column of its first neighbour.
    layouts = {
        2021: (SN_2021_FILE, ["LA num", "LA Name"], 5, "SN1"),
        2025: (SN_2025_FILE, ["old_la_code", "la_name"], 4, "SN_1"),
    }
    if model not in layouts:
        raise ValueError(f"model must be 2021 or 2025, not {model!r}")
    relative, leading, first, first_name = layouts[model]
    path, file = _path(relative, folder)
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False, header=None).astype(object)
    header = list(raw.iloc[0])
    if header[:2] != leading or header[first] != first_name:
        expected = f"expected columns {leading[0]!r}, {leading[1]!r}, ..., {first_name!r}, ..."
        raise DataError([Problem(file, "layout", expected, row=0)])
    code_col, name_col = 0, 1
    rows = []
    section = "current"
    problems: list[Problem] = []
    for i in range(1, len(raw)):
        line = raw.iloc[i]
        code = str(line.iloc[code_col]).strip()
        if not code:
            if any(str(v).strip().lower().startswith("old sn") for v in line):
                section = "pre-reorganisation"
            continue
        name = str(line.iloc[name_col]).strip()
        for k in range(10):
            ncode = str(line.iloc[first + 2 * k]).strip()
            closeness = str(line.iloc[first + 2 * k + 1]).strip().lower()
            if not ncode.isdigit():
                problems.append(
                    Problem(
                        file,
                        "code-format",
                        "neighbour code must be a DfE old LA code",
                        str(header[first + 2 * k]),
                        i,
                        ncode,
                    )
                )
            if closeness not in CLOSENESS_ORDER:
                problems.append(
                    Problem(
                        file,
                        "allowed-values",
                        f"closeness must be one of {CLOSENESS_ORDER}",
                        str(header[first + 2 * k + 1]),
                        i,
                        closeness,
                    )
                )
            rows.append((code, name, k + 1, ncode, closeness, section))
    if problems:
        raise DataError(problems)
    table = pd.DataFrame(rows, columns=["old_la_code", "la_name", "rank", "neighbour_code", "closeness", "section"])
    names = dict(zip(table["old_la_code"], table["la_name"]))
    table["neighbour_name"] = table["neighbour_code"].map(names).fillna("")
    table["model"] = model
    return table[
        ["model", "section", "old_la_code", "la_name", "rank", "neighbour_code", "neighbour_name", "closeness"]
    ]


def statistical_neighbours(old_la_code: str, model: int = 2021, folder: Path | None = None) -> list[Neighbour]:
    """The ten DfE statistical neighbours of an LA (closest first) with DfE's closeness band.

    ``old_la_code`` may also be a GSS code (translated with ``to_old_code``).
    """
    code = str(old_la_code)
    if not code.isdigit():
        code = to_old_code(code, folder)
    table = statistical_neighbour_table(model, folder)
    rows = table[(table["old_la_code"] == code) & (table["section"] == "current")]
    if rows.empty:
        rows = table[table["old_la_code"] == code]
    if rows.empty:
        raise KeyError(f"LA {old_la_code!r} has no statistical neighbours in the {model} model")
    return [Neighbour(int(r.rank), r.neighbour_code, r.neighbour_name, r.closeness) for r in rows.itertuples()]


# --- LAIT: Section 251 spend, unit costs and other indicators ------------------------------

_LAIT_AGGREGATES = {
    "970": (ENGLAND_CODE, "England", "National"),
    "980": ("E12000001", "North East", "Regional"),
    "981": ("E12000002", "North West", "Regional"),
    "982": ("E12000003", "Yorkshire and The Humber", "Regional"),
    "983": ("E12000004", "East Midlands", "Regional"),
    "984": ("E12000005", "West Midlands", "Regional"),
    "985": ("E12000006", "East of England", "Regional"),
    "986": ("E12000007", "London", "Regional"),
    "987": ("E13000001", "Inner London", "Regional"),
    "988": ("E13000002", "Outer London", "Regional"),
    "989": ("E12000008", "South East", "Regional"),
    "990": ("E12000009", "South West", "Regional"),
}

#: Section 251 indicators in LAIT: gross spend (GBP, cash) and weekly unit costs (GBP per child-week).
S251_SPEND = (
    "SafeguardingFinance",
    "TotalLACFinance",
    "FamilySupportFinance",
    "YoungPeopleFinance",
    "YouthJusticeFinance",
    "OtherChildren&FamilyFinance",
    "C&YPExpenditure",
    "SureStartFinance",
)
S251_UNIT_COSTS = ("RescareFinance", "FosteringFinance", "LACFinance", "SWFinance", "AdoptionFinance", "SENFinance")


def lait_dictionary(folder: Path | None = None) -> pd.DataFrame:
    """LAIT definitions of the selected indicators (``Measure_short`` is the indicator id)."""
    path, file = _path(LAIT_DICTIONARY_FILE, folder)
    return _read_csv(path, file, ["Measure_short", "Measure", "y_axis_name", "Year_Type", "Description"])


def lait(indicators: list[str] | tuple[str, ...] | None = None, folder: Path | None = None) -> pd.DataFrame:
    """LAIT indicators in the tidy long shape.

    ``measure`` is the LAIT short name (e.g. 'SafeguardingFinance', 'RescareFinance',
    'Children_missing'); ``label`` its LAIT description; ``unit`` its axis label;
    ``year_type`` ('Financial Year' or 'Calendar Year'); ``period`` the period as LAIT
    prints it ('2016-17 (OT)' or '2016'). ``year`` is the year ending 31 March for
    financial years (2016-17 -> 2017) and the year itself otherwise, and ``financial_year``
    holds '2016-17' for Section 251 rows. '-' becomes missing with status '-'. The Hackney
    2021 'Children_missing' 0 is a documented gap: missing with status 'gap'.
    """
    path, file = _path(LAIT_FILE, folder)
    frame = _read_csv(
        path, file, ["Short Desc", "Data item", "Years", "LA and Regions", "Values", "LA Number", "Region"]
    )
    if indicators is not None:
        wanted = list(indicators)
        unknown = sorted(set(wanted) - set(frame["Short Desc"]))
        if unknown:
            raise KeyError(f"LAIT indicator(s) not in {file}: {unknown}")
        frame = frame[frame["Short Desc"].isin(wanted)]
    value, status = parse_values(frame["Values"], file, "Values")
    number = frame["LA Number"].str.replace(r"\.0$", "", regex=True)
    bad = ~number.str.fullmatch(r"\d{3}")
    if bad.any():
        raise DataError(
            [
                Problem(
                    file,
                    "code-format",
                    "LA Number must be a three-digit code",
                    "LA Number",
                    int(i) + 1,
                    frame.at[i, "LA Number"],
                )
                for i in frame.index[bad]
            ]
        )
    aggregate = number.map(_LAIT_AGGREGATES)
    is_agg = aggregate.notna()
    level = np.where(is_agg, aggregate.str[2], "Local authority")
    area_code = np.where(is_agg, aggregate.str[0], number)
    area_name = np.where(is_agg, aggregate.str[1], frame["LA and Regions"])
    period = frame["Years"].str.strip()
    fy = period.str.extract(r"^(\d{4})-(\d{2})")
    is_fy = fy[0].notna()
    year = np.where(is_fy, fy[0].astype(float) + 1, pd.to_numeric(period.str[:4], errors="coerce"))
    if np.isnan(year).any():
        raise DataError(
            [
                Problem(
                    file,
                    "year-format",
                    "Years must be 'YYYY' or 'YYYY-YY (..)'",
                    "Years",
                    int(i) + 1,
                    frame.at[i, "Years"],
                )
                for i in frame.index[np.isnan(year)]
            ]
        )
    out = pd.DataFrame(
        {
            "area_code": area_code.astype(str),
            "new_la_code": "",
            "area_name": area_name.astype(str),
            "level": level,
            "region_code": "",
            "year": year.astype(int),
            "measure": frame["Short Desc"].to_numpy(),
            "value": value.to_numpy(),
            "status": status.to_numpy(),
            "period": period.to_numpy(),
            "financial_year": np.where(is_fy, fy[0].fillna("") + "-" + fy[1].fillna(""), ""),
        }
    )
    lookup = code_lookup(folder).set_index("old_la_code")
    las = out["level"] == "Local authority"
    out.loc[las, "new_la_code"] = out.loc[las, "area_code"].map(lookup["new_la_code"]).fillna("")
    out.loc[las, "region_code"] = out.loc[las, "area_code"].map(lookup["region_code"]).fillna("")
    out.loc[out["level"] == "Regional", "region_code"] = out.loc[out["level"] == "Regional", "area_code"]
    for gap_file, code, measure, gap_year in KNOWN_GAPS:
        if gap_file != LAIT_FILE:
            continue
        hit = (out["area_code"] == code) & (out["measure"] == measure) & (out["year"] == gap_year) & (out["value"] == 0)
        out["value"] = out["value"].mask(hit)
        out["status"] = np.where(hit, "gap", out["status"].astype(object))
    dictionary = lait_dictionary(folder).drop_duplicates("Measure_short").set_index("Measure_short")
    out["label"] = out["measure"].map(dictionary["Measure"]).fillna("")
    out["unit"] = out["measure"].map(dictionary["y_axis_name"]).fillna("")
    out["year_type"] = out["measure"].map(dictionary["Year_Type"]).fillna("").str.strip()
    return _sorted(out)


def section251(kind: str = "spend", folder: Path | None = None) -> pd.DataFrame:
    """Section 251 outturn by LA and year from LAIT: ``kind`` 'spend' (gross GBP, cash) or 'unit_costs'
    (GBP per child-week, cash)."""
    if kind not in ("spend", "unit_costs"):
        raise ValueError("kind must be 'spend' or 'unit_costs'")
    return lait(S251_SPEND if kind == "spend" else S251_UNIT_COSTS, folder=folder)


def england(frame: pd.DataFrame) -> pd.DataFrame:
    """The national rows of a tidy frame."""
    return frame[frame["level"] == "National"].reset_index(drop=True)


def area(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    """The rows of one area, given its old LA code, a GSS LA code or a region/country code."""
    if code.isdigit() or code in set(frame["area_code"]):
        key = code
    else:
        key = to_old_code(code)
    return frame[frame["area_code"] == key].reset_index(drop=True)
