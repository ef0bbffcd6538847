"""Read the real DfE, ONS and HM Treasury statistics into tidy long frames.

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

import hashlib
import re
from dataclasses import dataclass
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
ENGLAND_CODE = "E92000001"

OUTCOMES = "dfe_csc_outcomes_enablers"
GOODAIR = "goodair_csc_raw"
LAIT = "dfe_lait"
DEFLATORS = "deflators"

ASSESSMENT_FACTORS_FILE = f"{OUTCOMES}/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv"
POPULATION_FILE = f"{OUTCOMES}/ons_mid-year_population_estimates_2012_to_2024.csv"
CIN_FILE = f"{OUTCOMES}/b1_children_in_need_2013_to_2025.csv"
REFERRALS_FILE = f"{OUTCOMES}/c1_children_in_need_referrals_and_rereferrals_2013_to_2025.csv"
CLA_RATES_FILE = f"{OUTCOMES}/cla_number_and_rate_per_10k_children.csv"
SN_2021_FILE = f"{OUTCOMES}/New_Statistical_Neighbour_Groupings_April_2021.csv"
SN_2025_FILE = f"{OUTCOMES}/sn_model_2025_wide.csv"
LTLA_UTLA_FILE = f"{OUTCOMES}/LTLA-UTLA_Apr23_Lookup_England-Wales.csv"
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
    missing = [c for c in required or [] if c not in frame.columns]
    if missing:
        raise DataError([Problem(file=file, column=m, rule="required-column", message="column not in file") for m in missing])
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
    keys = ["time_period", "geographic_level", "country_code", "region_code", "region_name",
            "old_la_code", "new_la_code", "la_name", "country_name"] + list(extra_keys or [])
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
        raise DataError([
            Problem(file, "allowed-values", f"geographic level must be one of {LEVELS}", column, int(i) + 1, frame.at[i, column])
            for i in frame.index[bad]
        ])


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
    frame = read_dfe_wide(CLA_RATES_FILE, {"children_count": "count"}, extra_keys=extra + ["population_estimate", "rate_per_10000"],
                          folder=folder)
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


def rate_per_10k(frame: pd.DataFrame, population: pd.DataFrame | None = None, lag: int = 1,
                 per: float = 10_000.0) -> pd.DataFrame:
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
    clash = [c for c in ("count", "population", "population_year", "population_note", "population_status")
             if c in frame.columns]
    if clash:
        raise ValueError(f"rate_per_10k: the frame already has column(s) {clash}; rename them first")
    pop = child_population() if population is None else population
    pop = pop[["area_code", "level", "year", "value", "status"]].rename(
        columns={"year": "population_year", "value": "population", "status": "population_status"})
    duplicated = pop.duplicated(["area_code", "level", "population_year"])
    if duplicated.any():
        raise DataError([Problem("population", "unique-key", "more than one estimate for an area and year",
                                 "area_code", int(i) + 1, pop.at[i, "area_code"]) for i in pop.index[duplicated]])
    first, last = int(pop["population_year"].min()), int(pop["population_year"].max())
    out = frame.copy()
    out["count"] = out["value"]
    wanted = out["year"].astype(int).to_numpy() - lag
    if (wanted < first).any():
        years = sorted(set(out.loc[wanted < first, "year"]))
        raise DataError([Problem(f"data/public/{POPULATION_FILE}", "population-year",
                                 f"the first estimate is for {first}; DfE year {y} needs {y - lag}",
                                 "year", value=int(y)) for y in years])
    # Beyond the last estimate in the file, the last estimate is carried forward (flagged).
    carried = wanted > last
    out["population_year"] = np.minimum(wanted, last).astype(int)
    out = out.merge(pop, on=["area_code", "level", "population_year"], how="left")
    notes = np.full(len(out), "", dtype=object)
    notes[carried] = [f"no estimate for {w}; {last} carried forward" for w in wanted[carried]]
    no_pop = out["population"].isna().to_numpy()
    has_row = out["population_status"].notna().to_numpy()
    notes[no_pop & ~has_row] = [f"no ONS 0-17 estimate for this area in {y}"
                                for y in out.loc[no_pop & ~has_row, "population_year"]]
    notes[no_pop & has_row] = [f"population estimate withheld ({st})"
                               for st in out.loc[no_pop & has_row, "population_status"]]
    out["population_note"] = notes
    out["value"] = out["count"] / out["population"] * per
    count_missing = out["count"].isna()
    status = np.where(count_missing, out["status"],
                      np.where(no_pop, out["population_status"].fillna("x").replace("", "x"), ""))
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
    out = pd.DataFrame({
        "old_la_code": las["area_code"].to_numpy(),
        "new_la_code": las["new_la_code"].to_numpy(),
        "la_name": las["area_name"].to_numpy(),
        "region_code": las["region_code"].to_numpy(),
        "last_year": las["year"].to_numpy(),
    })
    path, file = _path(LTLA_UTLA_FILE, folder)
    utla = _read_csv(path, file, ["UTLA23CD", "UTLA23NM"]).drop_duplicates("UTLA23CD")
    by_code = set(utla["UTLA23CD"])
    by_name = dict(zip(utla["UTLA23NM"].map(_normalise_name), utla["UTLA23CD"]))
    current = out["last_year"] == out["last_year"].max()
    # Names are matched only for authorities that still exist: an abolished county (Dorset,
    # 835) must not take the code of its successor of the same name.
    ons = [code if code in by_code else (by_name.get(_normalise_name(name), "") if now else "")
           for code, name, now in zip(out["new_la_code"], out["la_name"], current)]
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
    mapping = {**dict(zip(lookup["old_la_code"], lookup["old_la_code"])),
               **dict(zip(lookup["new_la_code"], lookup["old_la_code"])),
               **{c: o for c, o in zip(lookup["ons_code"], lookup["old_la_code"]) if c}}
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
    layouts = {2021: (SN_2021_FILE, ["LA num", "LA Name"], 5, "SN1"),
               2025: (SN_2025_FILE, ["old_la_code", "la_name"], 4, "SN_1")}
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
                problems.append(Problem(file, "code-format", "neighbour code must be a DfE old LA code",
                                        str(header[first + 2 * k]), i, ncode))
            if closeness not in CLOSENESS_ORDER:
                problems.append(Problem(file, "allowed-values", f"closeness must be one of {CLOSENESS_ORDER}",
                                        str(header[first + 2 * k + 1]), i, closeness))
            rows.append((code, name, k + 1, ncode, closeness, section))
    if problems:
        raise DataError(problems)
    table = pd.DataFrame(rows, columns=["old_la_code", "la_name", "rank", "neighbour_code", "closeness", "section"])
    names = dict(zip(table["old_la_code"], table["la_name"]))
    table["neighbour_name"] = table["neighbour_code"].map(names).fillna("")
    table["model"] = model
    return table[["model", "section", "old_la_code", "la_name", "rank", "neighbour_code", "neighbour_name", "closeness"]]


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
    "2015": ["CLA_MissDuringYear", "CLA_MissIncs", "CLA_MissMoreOnce", "CLA_Miss31Mar",
             "CLA_AwayDuringYear", "CLA_AwayIncs", "CLA_AwayMoreOnce", "CLA_Away31Mar"],
    "2017": ["Miss_Miss_DuringYear", "Miss_Miss_Incs", "Miss_Miss_MoreOnce", "Miss_Miss_31Mar",
             "Miss_Away_DuringYear", "Miss_Away_Incs", "Miss_Away_MoreOnce", "Miss_Away_31Mar"],
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
    Release("CLA 2022 release", f"{GOODAIR}/la_cla_missing_or_away_2018_to_2022_release2022.csv",
            (2018, 2019, 2020, 2021, 2022), "ees", category_column="cla_group"),
    Release("CLA 2024 release", f"{GOODAIR}/la_cla_missing_or_away_2020_to_2024_release2024.csv",
            (2020, 2021, 2022, 2023, 2024), "ees", category_column="CLA_group"),
)

_SFR_LEVELS = {"NATIONAL": "National", "REGION": "Regional", "LA": "Local authority"}
_SFR_REGION_BY_NAME = {name.upper(): code for code, name in REGION_NAMES.items()}


def _read_sfr(release: Release, folder: Path | None) -> pd.DataFrame:
    path, file = _path(release.file, folder)
    columns = _SFR_COLUMNS[release.column_set]
    frame = _read_csv(path, file, ["New_geog_code", "geog_l", "geog_c", "geog_n"] + columns)
    unknown = ~frame["geog_l"].isin(_SFR_LEVELS)
    if unknown.any():
        raise DataError([Problem(file, "allowed-values", "geog_l must be NATIONAL, REGION or LA", "geog_l", int(i) + 1,
                                 frame.at[i, "geog_l"]) for i in frame.index[unknown]])
    level = frame["geog_l"].map(_SFR_LEVELS)
    names = frame["geog_n"].str.strip()
    region_code = names.str.upper().map(_SFR_REGION_BY_NAME)
    bad_region = (level == "Regional") & region_code.isna()
    if bad_region.any():
        raise DataError([Problem(file, "allowed-values", "unknown region name", "geog_n", int(i) + 1, names[i])
                         for i in frame.index[bad_region]])
    area_code = np.select([level == "National", level == "Regional"], [ENGLAND_CODE, region_code], default=frame["geog_c"])
    area_name = np.select([level == "National", level == "Regional"], ["England", region_code.map(REGION_NAMES)],
                          default=names)
    parts = []
    for column, measure in zip(columns, MISSING_MEASURES):
        value, status = parse_values(frame[column], file, column)
        parts.append(pd.DataFrame({
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
        }))
    # Codes are kept as printed. In these 2015-2017 releases 'x' covers both small counts
    # withheld for confidentiality (no LA count from 1 to 5 appears in them) and whole
    # returns not shown (Devon 2015), so it cannot be read as the later 'c'.
    return pd.concat(parts, ignore_index=True)


def _read_ees(release: Release, folder: Path | None) -> pd.DataFrame:
    path, file = _path(release.file, folder)
    frame = _read_csv(path, file, ["time_period", "geographic_level", "country_code", "country_name", "region_code",
                                   "region_name", "old_la_code", "la_name", "new_la_code", release.category_column,
                                   "number"])
    _check_levels(frame, file)
    frame = frame[frame[release.category_column].isin(_RELEASE_LABELS)]
    value, status = parse_values(frame["number"], file, "number")
    long = frame.assign(measure=frame[release.category_column].map(_RELEASE_LABELS), value=value, status=status)
    tidy = _standardise_geography(long.assign(source_row=long.index.to_numpy() + 1), extra_keys=["source_row"])
    tidy = tidy.rename(columns={"measure": "measure_id"})
    tidy["source_column"] = "number"
    years = set(tidy["year"])
    if not years <= set(release.years):
        raise DataError([Problem(file, "year-range", f"release covers {release.years}", "time_period", value=y)
                         for y in sorted(years - set(release.years))])
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
        hit = ((out["source_file"] == gap_file) & (out["area_code"] == code) & (out["year"] == gap_year)
               & (out["value"] == 0) & ((out["measure_id"] == measure) if measure != "*" else True))
        out["value"] = out["value"].mask(hit)
        out["status"] = np.where(hit, "gap", out["status"].astype(object))
    columns = ["area_code", "new_la_code", "area_name", "level", "region_code", "year", "measure", "value", "status",
               "measure_id", "source", "source_file"]
    return _sorted(out[columns])


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
S251_SPEND = ("SafeguardingFinance", "TotalLACFinance", "FamilySupportFinance", "YoungPeopleFinance",
              "YouthJusticeFinance", "OtherChildren&FamilyFinance", "C&YPExpenditure", "SureStartFinance")
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
    frame = _read_csv(path, file, ["Short Desc", "Data item", "Years", "LA and Regions", "Values", "LA Number", "Region"])
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
        raise DataError([Problem(file, "code-format", "LA Number must be a three-digit code", "LA Number", int(i) + 1,
                                 frame.at[i, "LA Number"]) for i in frame.index[bad]])
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
        raise DataError([Problem(file, "year-format", "Years must be 'YYYY' or 'YYYY-YY (..)'", "Years", int(i) + 1,
                                 frame.at[i, "Years"]) for i in frame.index[np.isnan(year)]])
    out = pd.DataFrame({
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
    })
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


# --- deflators ----------------------------------------------------------------------------

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
            problems.append(Problem(file, "year-format", "fiscal_year must be 'YYYY-YY' matching fiscal_year_start",
                                    "fiscal_year", int(i) + 1, row["fiscal_year"]))
        if row["is_forecast"] not in ("true", "false"):
            problems.append(Problem(file, "allowed-values", "is_forecast must be true or false", "is_forecast",
                                    int(i) + 1, row["is_forecast"]))
    value, status = parse_values(frame["gdp_deflator"], file, "gdp_deflator")
    for i in frame.index[value.isna() | (value <= 0)]:
        problems.append(Problem(file, "positive", "deflator must be a positive number", "gdp_deflator", int(i) + 1,
                                frame.at[i, "gdp_deflator"]))
    if problems:
        raise DataError(problems)
    return pd.DataFrame({
        "fiscal_year": frame["fiscal_year"].astype(str),
        "fiscal_year_start": frame["fiscal_year_start"].astype(int),
        "gdp_deflator": value.astype(float),
        "is_forecast": frame["is_forecast"].eq("true"),
    })


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
            problems.append(Problem(file, "year-format", "financial year must be 'YYYY-YY' (e.g. '2019-20') or a start year",
                                    "fiscal_year", i + 1, item))
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
        raise DataError([Problem(file, "price-year-range", f"no deflator: the table runs {lo} to {hi}", "fiscal_year",
                                 value=f"{s}-{(s + 1) % 100:02d}") for s in sorted(set(outside))])
    return np.array([index[s] for s in starts], dtype=float)


def is_forecast_year(fy, deflators: pd.DataFrame | None = None) -> np.ndarray:
    """Whether each financial year's deflator is forecast-based (2025-26 on in the March 2026 table)."""
    table = gdp_deflators() if deflators is None else deflators
    price_index(fy, table)  # raises for a year outside the table
    flags = dict(zip(table["fiscal_year_start"], table["is_forecast"]))
    return np.array([flags[s] for s in _fy_start(fy, HMT_DEFLATORS_FILE)], dtype=bool)


def to_price_year(amount, from_fy, to_fy="2024-25", deflators: pd.DataFrame | None = None):
    """Re-express cash amounts of ``from_fy`` in the prices of ``to_fy`` with the GDP deflator.

    ``amount * deflator[to_fy] / deflator[from_fy]``. Vectorised: ``amount`` and
    ``from_fy`` may be scalars, arrays or Series of the same length (years as '2019-20'
    or start years). A year outside the table raises ``DataError``; use
    ``is_forecast_year`` to flag conversions that rest on forecast deflators.
    """
    table = gdp_deflators() if deflators is None else deflators
    values = np.asarray(amount, dtype=float)
    source = price_index(from_fy, table)
    target = price_index(to_fy, table)
    if source.size == 1 and values.ndim == 0:
        result = float(values * target[0] / source[0])
        return result
    factor = target[0] / source if target.size == 1 else target / source
    result = values * factor
    if isinstance(amount, pd.Series):
        return pd.Series(result, index=amount.index, name=amount.name)
    return result


def ons_gdp_deflator(folder: Path | None = None) -> pd.DataFrame:
    """ONS series YBGB (GDP implied deflator, 2022 = 100), calendar years: ``year``, ``ybgb``.

    An independent cross-check on the HM Treasury table (different base and year basis).
    """
    path, file = _path(ONS_DEFLATOR_FILE, folder)
    raw = pd.read_csv(path, dtype=str, header=None, keep_default_na=False, names=["period", "value"])
    annual = raw[raw["period"].str.fullmatch(r"\d{4}")]
    value, status = parse_values(annual["value"], file, "value")
    return pd.DataFrame({"year": annual["period"].astype(int).to_numpy(), "ybgb": value.to_numpy()})


# --- provenance and checksums -------------------------------------------------------------

#: Where each folder of data/public came from (as recorded in data/public/README.md).
PROVENANCE: dict[str, dict[str, str]] = {
    OUTCOMES: {
        "publisher": "Department for Education (with ONS populations and lookups)",
        "repository": "dfe-analytical-services/CSC_outcomes_and_enablers (data-raw/)",
        "commit": "2f5d11a431050523dab58810083259d3313029ae",
        "licence": "Open Government Licence v3.0",
        "changes": "none (verbatim downloads)",
    },
    GOODAIR: {
        "publisher": "Department for Education",
        "repository": "BenGoodair/childrens_social_care_data (Raw_Data/)",
        "commit": "ca4389abf37edc6531b03995b1d30be0e1a37807",
        "licence": "Open Government Licence v3.0",
        "changes": "renamed only",
    },
    LAIT: {
        "publisher": "Department for Education (LAIT)",
        "repository": "dfe-analytical-services/local-authority-interactive-tool (01_data/02_prod/bds_long_0.parquet)",
        "commit": "2e30e3959a6ab8b2d22941b84764da41a40ac91b",
        "licence": "Open Government Licence v3.0",
        "changes": "42 indicators kept, values unchanged",
    },
    DEFLATORS: {
        "publisher": "HM Treasury; Office for National Statistics",
        "repository": "ncl-icb-analytics/dbt-ncl-analytics (seeds/uk_cost_indices.csv); "
                      "Defra-Data-Science-Centre-of-Excellence/DefraUtils (data-raw/gdp_deflators.csv)",
        "commit": "213ca0542d527cc1d0c4e4fe2a5877bd8049a6ca; 8a30bcaba1b40964a4225fc1cfb2746187728610",
        "licence": "Open Government Licence v3.0",
        "changes": "none",
    },
}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path | None = None) -> pd.DataFrame:
    """Every entry of every ``SHA256SUMS`` under data/public, recomputed.

    Columns ``folder``, ``file``, ``bytes``, ``expected``, ``actual``, ``ok``; plus rows
    with ``expected`` '' for data files present in a folder but not listed (``ok`` False).
    """
    root = folder or public_dir()
    rows = []
    for sums in sorted(root.glob("*/SHA256SUMS")):
        listed = set()
        for line_no, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[0]):
                raise DataError([Problem(_relative(sums), "checksum-format", "expected '<sha256>  <file>'", row=line_no,
                                         value=line)])
            expected, name = parts[0], parts[1].strip().lstrip("*")
            listed.add(name)
            path = sums.parent / name
            actual = sha256(path) if path.exists() else ""
            rows.append((sums.parent.name, name, path.stat().st_size if path.exists() else 0, expected, actual,
                         actual == expected))
        for path in sorted(sums.parent.iterdir()):
            if path.is_file() and path.name != "SHA256SUMS" and path.name not in listed:
                rows.append((sums.parent.name, path.name, path.stat().st_size, "", sha256(path), False))
    return pd.DataFrame(rows, columns=["folder", "file", "bytes", "expected", "actual", "ok"])


def verify_checksums(folder: Path | None = None) -> pd.DataFrame:
    """``checksums()``, raising ``DataError`` naming each file whose checksum does not match."""
    table = checksums(folder)
    bad = table[~table["ok"]]
    if not bad.empty:
        raise DataError([
            Problem(f"data/public/{r.folder}/{r.file}", "checksum",
                    "file not listed in SHA256SUMS" if not r.expected else "SHA-256 differs from SHA256SUMS",
                    value=r.actual[:12])
            for r in bad.itertuples()
        ])
    return table


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


#: What each shipped file holds (from data/public/README.md) and which loader reads it.
FILE_CONTENT: dict[str, tuple[str, str]] = {
    ASSESSMENT_FACTORS_FILE: ("Children in need census: episodes with each factor identified at the end of assessment",
                              "assessment_factors"),
    CIN_FILE: ("Children in need: at any point, started, ended, at 31 March", "children_in_need"),
    REFERRALS_FILE: ("Referrals, re-referrals and no further action", "referrals"),
    f"{OUTCOMES}/d3_cpps_subsequent_plan_2013_to_2025.csv": ("Child protection plans: second or subsequent plans", ""),
    f"{OUTCOMES}/d5_cpps_at31march_by_duration_2013_to_2025.csv": ("Child protection plans at 31 March by duration", ""),
    POPULATION_FILE: ("ONS mid-year estimates of children aged 0-17 (the denominator for rates)", "child_population"),
    CLA_RATES_FILE: ("Children looked after, starting and ceasing: counts, populations and rates per 10,000",
                     "looked_after_rates"),
    f"{OUTCOMES}/la_cla_during_year_new_placements.csv": ("Looked-after children: new placements by distance and location", ""),
    f"{OUTCOMES}/la_cla_placement_stability.csv": ("Looked-after children: placement stability", ""),
    f"{OUTCOMES}/la_conviction_health_outcome_cla.csv": ("Looked-after children: convictions, substance misuse, SDQ, health", ""),
    f"{OUTCOMES}/la_care_leavers_activity.csv": ("Care leavers: activity", ""),
    f"{OUTCOMES}/la_care_leavers_accommodation_suitability.csv": ("Care leavers: suitability of accommodation", ""),
    f"{OUTCOMES}/csww_indicators_2017_to_2025.csv": ("Children's social work workforce", ""),
    SN_2021_FILE: ("DfE statistical neighbours, April 2021 model", "statistical_neighbours"),
    SN_2025_FILE: ("DfE statistical neighbours, 2025 model", "statistical_neighbours"),
    LTLA_UTLA_FILE: ("ONS lower- to upper-tier authority lookup, April 2023", "code_lookup"),
    f"{GOODAIR}/SFR34_Missing2015.csv": ("Looked-after children missing or away without authorisation (SFR 34/2015)",
                                          "missing_from_care"),
    f"{GOODAIR}/SFR41_Missing2016.csv": ("Looked-after children missing or away without authorisation (SFR 41/2016)",
                                          "missing_from_care"),
    f"{GOODAIR}/SFR50_Missing_2017.csv": ("Looked-after children missing or away without authorisation (SFR 50/2017)",
                                           "missing_from_care"),
    f"{GOODAIR}/la_cla_missing_or_away_2018_to_2022_release2022.csv": (
        "Looked-after children missing or away without authorisation (2022 release)", "missing_from_care"),
    f"{GOODAIR}/la_cla_missing_or_away_2020_to_2024_release2024.csv": (
        "Looked-after children missing or away without authorisation (2024 release)", "missing_from_care"),
    f"{GOODAIR}/la_cla_who_started_to_be_looked_after_2018_to_2022.csv": ("Children starting to be looked after", ""),
    f"{GOODAIR}/cla_time_series_1994_2024_national.csv": ("National looked-after children time series", ""),
    f"{GOODAIR}/national_cla_who_were_missing_release2024.csv": ("National breakdowns of children missing from care", ""),
    LAIT_FILE: ("LAIT indicators: Section 251 spend and unit costs, missing, workforce, care leavers", "lait"),
    LAIT_DICTIONARY_FILE: ("LAIT definitions of the selected indicators", "lait_dictionary"),
    HMT_DEFLATORS_FILE: ("HM Treasury GDP deflators at market prices, March 2026 (2024-25 = 100)", "gdp_deflators"),
    ONS_DEFLATOR_FILE: ("ONS GDP implied deflator YBGB (2022 = 100), a cross-check", "ons_gdp_deflator"),
}

_LEVEL_WORDS = {"National": "England", "Regional": "regions", "Local authority": "LAs",
                "NATIONAL": "England", "REGION": "regions", "LA": "LAs"}


def _coverage(relative_path: str, folder: Path | None) -> tuple[str, str, int]:
    """(years, geography, data rows) of one shipped file, read from the file itself."""
    path, file = _path(relative_path, folder)
    if relative_path == ONS_DEFLATOR_FILE:
        series = ons_gdp_deflator(folder)
        return f"{series['year'].min()}-{series['year'].max()}", "UK", len(series)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    rows = len(frame)
    if "time_period" in frame.columns:
        years = frame["time_period"].str[:4].astype(int)
        levels = [lvl for lvl in LEVELS if lvl in set(frame.get("geographic_level", []))]
        return f"{years.min()}-{years.max()}", ", ".join(_LEVEL_WORDS[lvl] for lvl in levels), rows
    if "geog_l" in frame.columns:
        year = next(r.years[0] for r in MISSING_RELEASES if r.file == relative_path)
        levels = [lvl for lvl in ("NATIONAL", "REGION", "LA") if lvl in set(frame["geog_l"])]
        return str(year), ", ".join(_LEVEL_WORDS[lvl] for lvl in levels), rows
    if "Years" in frame.columns:
        years = sorted(set(frame["Years"].str.strip()))
        return f"{years[0].split(' ')[0]} to {years[-1].split(' ')[0]}", "England, regions, LAs", rows
    if "fiscal_year" in frame.columns:
        return f"{frame['fiscal_year'].iloc[0]} to {frame['fiscal_year'].iloc[-1]}", "UK", rows
    if relative_path == SN_2021_FILE:
        return "2021 model", "LAs", int(statistical_neighbour_table(2021, folder)["old_la_code"].nunique())
    if relative_path == SN_2025_FILE:
        return "2025 model", "LAs", rows
    if relative_path == LTLA_UTLA_FILE:
        return "April 2023", "England and Wales authorities", rows
    if relative_path == LAIT_DICTIONARY_FILE:
        return "", "", rows
    raise KeyError(f"no coverage rule for {relative_path}")


def provenance(folder: Path | None = None) -> pd.DataFrame:
    """One row per shipped public file: folder, file, content, years, geography, rows,
    publisher, source repository, commit, licence, changes and the loader that reads it.

    Years, geography and rows are read from the files themselves.
    """
    rows = []
    for relative_path, (content, loader) in FILE_CONTENT.items():
        years, geography, n = _coverage(relative_path, folder)
        folder_name, name = relative_path.split("/", 1)
        source = PROVENANCE[folder_name]
        rows.append({
            "folder": folder_name, "file": name, "content": content, "years": years, "geography": geography,
            "rows": n, "publisher": source["publisher"], "repository": source["repository"],
            "commit": source["commit"], "licence": source["licence"], "changes": source["changes"],
            "loader": f"innovate.public.{loader}" if loader else "",
        })
    return pd.DataFrame(rows)


def missing_release_summary(folder: Path | None = None) -> pd.DataFrame:
    """How the 2015-2024 missing-from-care series is stitched: per release, the years it
    covers, the years it supplies, values kept, values superseded, how many superseded
    values a later release revised, and how many it no longer carries (areas re-drawn by
    reorganisation)."""
    every = missing_releases(folder)
    key = ["level", "area_code", "year", "measure_id"]
    winners = every[~every["superseded"]].set_index(key)["value"]
    rows = []
    for release in MISSING_RELEASES:
        part = every[every["source"] == release.source]
        lost = part[part["superseded"]]
        index = pd.MultiIndex.from_frame(lost[key])
        present = index.isin(winners.index)
        later = winners.reindex(index[present])
        revised = int((~np.isclose(lost["value"].to_numpy()[present], later.to_numpy(), equal_nan=True)).sum())
        used = sorted(set(part.loc[~part["superseded"], "year"]))
        rows.append({
            "release": release.source,
            "file": release.file.split("/", 1)[1],
            "years in release": f"{min(release.years)}-{max(release.years)}" if len(release.years) > 1 else str(release.years[0]),
            "years used": (f"{used[0]}-{used[-1]}" if len(used) > 1 else str(used[0])) if used else "none",
            "values used": int((~part["superseded"]).sum()),
            "values superseded": int(len(lost)),
            "superseded values revised later": revised,
            "superseded values absent later": int((~present).sum()),
        })
    return pd.DataFrame(rows)


def rate_rule_check(folder: Path | None = None) -> dict[str, int]:
    """How many of DfE's published LA rates per 10,000 this module's rule reproduces exactly
    (after DfE's rounding to whole numbers)."""
    rates = rate_per_10k(looked_after_rates(folder))
    las = rates[(rates["level"] == "Local authority") & rates["published_rate"].notna() & rates["value"].notna()]
    matched = int((np.floor(las["value"] + 0.5) == las["published_rate"]).sum())
    return {"compared": int(len(las)), "matched": matched,
            "years": f"{las['year'].min()}-{las['year'].max()}"}


def provenance_sources() -> pd.DataFrame:
    """One row per folder of data/public: publisher, source repository, commit, licence, changes."""
    return pd.DataFrame([{"folder": folder, **record} for folder, record in PROVENANCE.items()])


def status_code_table() -> pd.DataFrame:
    """The status codes the loaders keep (published codes, then the book's own), with meanings."""
    rows = [{"code": code if code else "(blank)", "meaning": meaning, "assigned by": "publisher"}
            for code, meaning in STATUS_CODES.items()]
    rows += [{"code": code, "meaning": meaning, "assigned by": "this book (documented gap)"}
             for code, meaning in BOOK_STATUS_CODES.items()]
    return pd.DataFrame(rows)


def known_gaps_table() -> pd.DataFrame:
    """The published zeros the book treats as recording gaps (``KNOWN_GAPS``)."""
    names = dict(zip(*_la_names()))
    return pd.DataFrame([{"file": f, "area": f"{names.get(code, code)} ({code})",
                          "measure": "every measure" if measure == "*" else measure, "year": year}
                         for f, code, measure, year in KNOWN_GAPS])


def _la_names() -> tuple[list[str], list[str]]:
    lookup = code_lookup()
    return list(lookup["old_la_code"]), list(lookup["la_name"])


def smallest_published_count(sources: tuple[str, ...] = ("SFR 34/2015", "SFR 41/2016", "SFR 50/2017"),
                             folder: Path | None = None) -> int:
    """The smallest non-zero LA count published in the given missing-from-care releases.

    In the 2015-2017 releases it is 6: no count from 1 to 5 is printed, which is why their
    ``x`` is read as covering withheld small counts (as well as returns not shown).
    """
    every = missing_releases(folder)
    part = every[every["source"].isin(sources) & (every["level"] == "Local authority") & (every["value"] > 0)]
    return int(part["value"].min())
