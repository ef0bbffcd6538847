"""One schema per dataset: the single truth for columns, types, ranges and keys.

A small declarative engine (no third-party validation library, so that every message is
exact and validation of the whole synthetic set takes well under a second a table):

* :class:`Column` - a name, a kind (``int``, ``float``, ``str``, ``date``, ``bool01``),
  whether it may be empty, a hard range, a plausible maximum (values above it are
  rejected as absurd, e.g. ``1e300``), the allowed values, a pattern, a description and
  a unit;
* :class:`Table` - the columns, the unique key, foreign keys into other tables and row
  rules (``checks``) such as "end date not before start date" or "attrition is
  monotone".

:func:`validate_frame` checks a frame of text cells (as read from a CSV) and returns the
typed frame and *every* problem found, each an :class:`innovate.errors.Problem` naming the
file, column, 1-based data row (the header is row 0), value and rule. :func:`read_table`
does the same for a file and also catches file-level faults (missing, empty, not UTF-8,
wrong delimiter, header only, ragged rows). :func:`dictionary` gives the data dictionary
the Data appendix shows.
"""

from __future__ import annotations

import csv
import io
import math
import re
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from innovate.config import FOLLOW_UP_MONTHS, NETWORK_NATIONS, WAVE_MONTHS
from innovate.data import public, sites
from innovate.data.schema_engine import Check, Column, Table, _parse_column, text_chunks
from innovate.errors import Problem, listed, more_rows

# --------------------------------------------------------------------------------------
# Vocabularies of the case-level contract
# --------------------------------------------------------------------------------------

#: The six case-study sites (from the site register) and the framework each operationalised.
SITE_IDS: tuple[str, ...] = sites.SITE_IDS
FRAMEWORKS: tuple[str, ...] = tuple(sites.FRAMEWORKS)
SITE_FRAMEWORKS: dict[str, str] = {s: f for f, pair in sites.FRAMEWORKS.items() for s in pair}
AREA_MEASURES: tuple[str, ...] = ("efr_referrals", "missing_episodes", "exploitation_identifications")
STAGES: tuple[str, ...] = ("mobilising", "designing", "developing", "integrating", "growing", "system_change")
STAGE_EVENT_TYPES: tuple[str, ...] = ("enter", "stall", "restart", "regress")
STAFF_ROLES: tuple[str, ...] = (
    "social_worker",
    "senior_practitioner",
    "youth_worker",
    "specialist_exploitation_worker",
    "family_support_worker",
    "team_manager",
)
PLACEMENT_TYPES: tuple[str, ...] = ("residential", "fostering", "secure", "supported_accommodation")
COST_CATEGORIES: tuple[str, ...] = ("start_up", "running")
COST_ITEMS: tuple[str, ...] = (
    "training",
    "practice_development",
    "project_management",
    "additional_staff",
    "partnership_work",
    "evaluation_and_data",
)
PARTICIPANT_ROLES: tuple[str, ...] = (
    "young_person",
    "parent_carer",
    "practitioner",
    "manager",
    "senior_leader",
    "partner_agency",
)
SURVEY_ITEMS: tuple[str, ...] = (
    "listened_to",
    "trusted_worker",
    "felt_safer",
    "partner_in_decisions",
    "help_fitted_needs",
    "overall_experience",
)
ORGANISATION_TYPES: tuple[str, ...] = (
    "local_authority",
    "voluntary_sector",
    "health",
    "police",
    "education",
    "other",
)
ENGAGEMENT_LEVELS: tuple[str, ...] = ("aware", "exploring", "adopting", "embedded")
OUTCOME_MEASURES: tuple[str, ...] = (
    "missing_episodes",
    "exploitation_risk_score",
    "swemwbs",
    "school_attendance_pct",
    "placement_moves",
    "justice_contact",
)
#: Status codes allowed in the public tidy frames ('' = a published number): the DfE and ONS
#: codes plus the codes the book assigns (innovate.data.public is the single truth for both).
PUBLIC_STATUS_CODES: tuple[str, ...] = tuple(dict.fromkeys(["", *public.STATUS_CODES, *public.BOOK_STATUS_CODES]))


def _header_problems(table: Table, names, file: str, strict_columns: bool) -> list[Problem]:
    problems = [
        Problem(file, "missing-column", "required column not in the file", c.name)
        for c in table.columns
        if c.name not in names
    ]
    if strict_columns:
        for name in names:
            if name not in table.column_names:
                problems.append(
                    Problem(
                        file,
                        "unexpected-column",
                        f"column not in the {table.name} schema (expected: {', '.join(table.column_names)})",
                        str(name),
                    )
                )
    return problems


def _typed(table: Table, text: pd.DataFrame, file: str, offset: int = 0) -> tuple[pd.DataFrame, list[Problem]]:
    """Parse the schema's columns of a frame of text cells (rows numbered from ``offset + 1``)."""
    problems: list[Problem] = []
    typed = {}
    for col in table.columns:
        if col.name not in text.columns:
            continue
        cells = text[col.name]
        if not (pd.api.types.is_string_dtype(cells) or cells.dtype == object):
            cells = cells.astype(str)
        cells = cells.fillna("").astype(str)
        typed[col.name], more = _parse_column(col, cells, file, offset)
        problems.extend(more)
    return pd.DataFrame(typed, index=text.index), problems


def _table_rules(table: Table, frame: pd.DataFrame, file: str) -> list[Problem]:
    """The rules over whole tables: the unique key and the row checks."""
    problems: list[Problem] = []
    if all(k in frame.columns for k in table.key) and len(frame):
        problems.extend(_duplicate_keys(frame, table, file))
    if len(frame.columns) == len(table.columns) and len(frame):
        for _rule, _description, check in table.checks:
            problems.extend(check(frame, file))
    return problems


def validate_frame(
    table: Table | str,
    text: pd.DataFrame,
    file: str | None = None,
    strict_columns: bool = True,
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check a frame of text cells against a schema.

    Returns ``(typed, problems)``: the typed frame (columns in schema order, dates as
    datetime64, categories as str, integer columns as int64 or float where some cells are
    empty) and every problem found. Rows are numbered from 1 (the header is row 0).
    """
    table = get(table) if isinstance(table, str) else table
    file = file or table.file
    problems = _header_problems(table, list(text.columns), file, strict_columns)
    frame, more = _typed(table, text.reset_index(drop=True), file)
    problems += more
    problems += _table_rules(table, frame, file)
    return frame, problems


def _duplicate_keys(frame: pd.DataFrame, table: Table, file: str) -> list[Problem]:
    keys = frame[list(table.key)]
    dup = keys.duplicated(keep="first").to_numpy()
    if not dup.any():
        return []
    first = keys.reset_index().groupby(list(table.key), dropna=False, sort=False)["index"].transform("min").to_numpy()
    out = []
    rows, more = listed(np.flatnonzero(dup))
    if more:
        out.append(more_rows(file, "duplicate-key", ", ".join(table.key), more))
    for i in rows:
        value = ", ".join(str(v.date()) if isinstance(v, pd.Timestamp) else str(v) for v in keys.iloc[i])
        out.append(
            Problem(
                file,
                "duplicate-key",
                f"key ({', '.join(table.key)}) repeats row {int(first[i]) + 1}",
                ", ".join(table.key),
                int(i) + 1,
                value,
            )
        )
    return out


def check_foreign_keys(
    child: Table, child_frame: pd.DataFrame, frames: dict[str, pd.DataFrame], file: str | None = None
) -> list[Problem]:
    """Every foreign key of ``child`` must exist in its parent table (when that is loaded)."""
    problems = []
    file = file or child.file
    for cols, parent_name, parent_cols in child.foreign_keys:
        parent = frames.get(parent_name)
        if (
            parent is None
            or any(c not in child_frame.columns for c in cols)
            or any(c not in parent.columns for c in parent_cols)
        ):
            continue
        known = pd.MultiIndex.from_frame(parent[list(parent_cols)].astype(str))
        mine = pd.MultiIndex.from_frame(child_frame[list(cols)].astype(str))
        orphan = ~mine.isin(known)
        rows, more = listed(np.flatnonzero(orphan))
        if more:
            problems.append(more_rows(file, "foreign-key", ", ".join(cols), more))
        for i in rows:
            value = ", ".join(str(v) for v in child_frame[list(cols)].iloc[i])
            problems.append(
                Problem(
                    file,
                    "foreign-key",
                    f"({', '.join(cols)}) not found in {get(parent_name).file} ({', '.join(parent_cols)})",
                    ", ".join(cols),
                    int(i) + 1,
                    value,
                )
            )
    return problems


def read_table(
    table: Table | str, path: Path, file: str | None = None, compact: bool = False
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read and validate one CSV file. Returns ``(typed frame or None, problems)``.

    The file is read and its cells parsed a chunk of rows at a time, so that only the typed
    table is held whole; the key and row rules then run over the whole table. ``compact``
    (the validator) keeps text columns as categoricals: a few bytes a cell instead of a
    Python string each, which is most of the memory of a large file.
    """
    table = get(table) if isinstance(table, str) else table
    file = file or Path(path).name
    header, chunks, problems = text_chunks(Path(path), file)
    if chunks is None:
        return None, problems
    found = _header_problems(table, header, file, True)
    parts = []
    for offset, text in chunks:
        typed, more = _typed(table, text.set_axis(range(offset, offset + len(text)), axis=0), file, offset)
        if compact:
            for name in typed.columns:
                # pandas 3 reads text as the "str" dtype, not object: both are compacted
                dtype = typed[name].dtype
                if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
                    typed[name] = typed[name].astype("category")
        parts.append(typed)
        found.extend(more)
    # (``problems`` is the reader's list: it has grown with the file-level faults met on the way.)
    if not parts or any(p.rule in ("no-rows", "csv-syntax") for p in problems):
        return None, problems + found
    frame = _concat(parts)
    found += _table_rules(table, frame, file)
    return frame, problems + found


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The chunks of one table as one frame (categoricals merged, not widened to text)."""
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    columns = {}
    for name in parts[0].columns:
        pieces = [part[name] for part in parts]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in pieces):
            columns[name] = pd.Series(union_categoricals(pieces), name=name)
        else:
            columns[name] = pd.concat(pieces, ignore_index=True)
    return pd.DataFrame(columns)


# --------------------------------------------------------------------------------------
# Row rules
# --------------------------------------------------------------------------------------


#: While a table's row rules run: how many problems each has left unlisted (see :func:`_capped`).
_UNLISTED: ContextVar[list[int] | None] = ContextVar("_UNLISTED", default=None)


def _capped(items):
    """The first of ``items`` to report under the validator's cap; the rest are only counted."""
    shown, more = listed(items)
    sink = _UNLISTED.get()
    if more and sink is not None:
        sink.append(more)
    return shown


def _rows(mask: np.ndarray | pd.Series) -> np.ndarray:
    return _capped(np.flatnonzero(np.asarray(mask, dtype=bool)))


def _first_of_month(column: str) -> Check:
    def check(frame: pd.DataFrame, file: str) -> list[Problem]:
        d = frame[column]
        bad = (d.notna() & (d.dt.day != 1)).to_numpy()
        return [
            Problem(
                file, "first-of-month", "must be the first day of a month", column, int(i) + 1, str(d.iloc[i].date())
            )
            for i in _rows(bad)
        ]

    return check


def _area_post_monotone(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Within one series, post switches from 0 to 1 once and never back."""
    problems = []
    order = frame.sort_values(["site_id", "area_code", "measure", "month"], kind="stable")
    prev_post = order.groupby(["site_id", "area_code", "measure"], sort=False)["post"].shift(1)
    back = (prev_post == 1) & (order["post"] == 0)
    for idx in _capped(order.index[back.to_numpy()]):
        problems.append(
            Problem(
                file,
                "post-monotone",
                "post returns to 0 after a month with post = 1 in the same series",
                "post",
                int(idx) + 1,
                0,
            )
        )
    # Comparators carry their site's post in the same month.
    site_rows = frame[frame["area_role"] == "site"][["site_id", "measure", "month", "post"]]
    if len(site_rows):
        # One site row per month: a repeated one is the duplicate-key rule's to report, and
        # joining on it multiplied the rows (a file tiled 100 times made 10,000 per month,
        # 8.6 GB); the join keeps one row per row of the file.
        site_rows = site_rows.drop_duplicates(["site_id", "measure", "month"])
        merged = frame.reset_index().merge(
            site_rows, on=["site_id", "measure", "month"], how="left", suffixes=("", "_site"), validate="many_to_one"
        )
        differs = merged["post_site"].notna() & (merged["post"] != merged["post_site"])
        for idx in _capped(merged.loc[differs, "index"]):
            problems.append(
                Problem(
                    file,
                    "post-consistent",
                    "a comparator's post differs from its site's post in the same month",
                    "post",
                    int(idx) + 1,
                    int(frame.at[idx, "post"]),
                )
            )
    roles = frame.groupby(["site_id", "area_code"])["area_role"].nunique()
    for (site, area), n in roles.items():
        if n > 1:
            idx = frame.index[(frame["site_id"] == site) & (frame["area_code"] == area)][0]
            problems.append(
                Problem(
                    file,
                    "role-consistent",
                    f"area {area} is both site and comparator for {site}",
                    "area_role",
                    int(idx) + 1,
                    area,
                )
            )
    return problems


def _outcomes_empty_iff_unobserved(frame: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    observed = frame["observed"].to_numpy()
    for name in OUTCOME_MEASURES:
        empty = frame[name].isna().to_numpy()
        for i in _rows((observed == 0) & ~empty):
            problems.append(
                Problem(
                    file,
                    "empty-iff-unobserved",
                    "an outcome is recorded although observed = 0",
                    name,
                    int(i) + 1,
                    frame[name].iloc[i],
                )
            )
        for i in _rows((observed == 1) & empty):
            problems.append(
                Problem(file, "empty-iff-unobserved", "an outcome is empty although observed = 1", name, int(i) + 1, "")
            )
    return problems


def _outcomes_waves(frame: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    bad_wave = ~frame["wave_month"].isin(WAVE_MONTHS)
    for i in _rows(bad_wave):
        problems.append(
            Problem(
                file,
                "allowed-values",
                f"wave_month must be one of {WAVE_MONTHS}",
                "wave_month",
                int(i) + 1,
                frame["wave_month"].iloc[i],
            )
        )
    people = frame["person_id"].drop_duplicates()
    first_row = pd.Series(people.index, index=people.to_numpy())
    absent: dict[str, list[int]] = {}
    for wave in WAVE_MONTHS:
        having = frame.loc[frame["wave_month"] == wave, "person_id"]
        for person in people[~people.isin(having)]:
            absent.setdefault(person, []).append(wave)
    for person, missing in _capped(list(absent.items())):
        problems.append(
            Problem(
                file,
                "all-waves",
                f"person has no row for wave(s) {missing}; every person needs all four waves",
                "wave_month",
                int(first_row[person]) + 1,
                person,
            )
        )
    return problems


def _outcomes_monotone(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Once lost to follow-up a person stays lost (monotone attrition)."""
    order = frame.sort_values(["person_id", "wave_month"], kind="stable")
    lost = (order["observed"] == 0).astype(np.int8)
    ever_lost = lost.groupby(order["person_id"], sort=False).cummax()
    before = ever_lost.groupby(order["person_id"], sort=False).shift(1, fill_value=0)
    back = (before == 1) & (order["observed"] == 1)
    return [
        Problem(
            file,
            "monotone-attrition",
            "observed again after being lost to follow-up at an earlier wave",
            "observed",
            int(idx) + 1,
            1,
        )
        for idx in _capped(order.index[back.to_numpy()])
    ]


def _placements_dates(frame: pd.DataFrame, file: str) -> list[Problem]:
    bad = (frame["end_date"] < frame["start_date"]).to_numpy()
    return [
        Problem(
            file,
            "date-order",
            "end_date is before start_date",
            "end_date",
            int(i) + 1,
            f"{frame['start_date'].iloc[i].date()} > {frame['end_date'].iloc[i].date()}",
        )
        for i in _rows(bad)
    ]


_FY = re.compile(r"^(\d{4})-(\d{2})$")


def _financial_year(frame: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    for i, fy in enumerate(frame["financial_year"].tolist()):
        m = _FY.match(fy)
        if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
            problems.append(
                Problem(
                    file,
                    "financial-year",
                    "not a financial year like 2019-20 (second part = first year + 1)",
                    "financial_year",
                    i + 1,
                    fy,
                )
            )
        elif not 2000 <= int(m.group(1)) <= 2035:
            problems.append(
                Problem(file, "range", "financial year outside 2000-01..2035-36", "financial_year", i + 1, fy)
            )
    return problems


def _events_ordered(frame: pd.DataFrame, file: str) -> list[Problem]:
    """Per site, events appear in date order (file order)."""
    problems = []
    prev = frame.groupby("site_id", sort=False)["event_date"].shift(1)
    back = (frame["event_date"] < prev).to_numpy()
    for i in _rows(back):
        problems.append(
            Problem(
                file,
                "date-order",
                f"event dated before the previous event of site {frame['site_id'].iloc[i]}; "
                "events must be in date order per site",
                "event_date",
                int(i) + 1,
                str(frame["event_date"].iloc[i].date()),
            )
        )
    return problems


def _network_consistent(frame: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    for column in ("nation", "organisation_type"):
        n = frame.groupby("organisation_id")[column].transform("nunique")
        first = frame.groupby("organisation_id")[column].transform("first")
        bad = ((n > 1) & (frame[column] != first)).to_numpy()
        for i in _rows(bad):
            problems.append(
                Problem(
                    file,
                    "consistent-organisation",
                    f"organisation has more than one {column}",
                    column,
                    int(i) + 1,
                    frame[column].iloc[i],
                )
            )
    return problems


def _survey_answered(frame: pd.DataFrame, file: str) -> list[Problem]:
    none = frame[list(SURVEY_ITEMS)].isna().all(axis=1).to_numpy()
    return [Problem(file, "empty-response", "no item answered", "listened_to", int(i) + 1, "") for i in _rows(none)]


def _framework_matches_site(column: str = "framework") -> Check:
    def check(frame: pd.DataFrame, file: str) -> list[Problem]:
        expected = frame["site_id"].map(SITE_FRAMEWORKS)
        bad = (expected.notna() & (frame[column] != expected)).to_numpy()
        return [
            Problem(
                file,
                "site-framework",
                f"framework does not match the site ({frame['site_id'].iloc[i]} is {expected.iloc[i]})",
                column,
                int(i) + 1,
                frame[column].iloc[i],
            )
            for i in _rows(bad)
        ]

    return check


def _public_status(frame: pd.DataFrame, file: str) -> list[Problem]:
    problems = []
    value_missing = frame["value"].isna().to_numpy()
    status = frame["status"].fillna("").astype(str).to_numpy()
    for i in _rows((status == "") & value_missing):
        problems.append(
            Problem(file, "status-value", "value is missing but no status code says why", "value", int(i) + 1, "")
        )
    for i in _rows((status != "") & ~value_missing):
        problems.append(
            Problem(
                file,
                "status-value",
                f"status {status[i]!r} withholds the number, so value must be missing "
                "(a status code never becomes a number)",
                "value",
                int(i) + 1,
                frame["value"].iloc[i],
            )
        )
    return problems


# --------------------------------------------------------------------------------------
# The schemas
# --------------------------------------------------------------------------------------

_SITE = Column("site_id", "str", "Case-study site", allowed=SITE_IDS)
_PERSON = Column("person_id", "str", "Young person's study identifier (pseudonymous)", pattern=r"YP\d{5}")
_STAGE = Column("stage", "str", "Innovation stage (Lefevre, Hampson and Goldsmith 2023)", allowed=STAGES)
_FRAMEWORK = Column("framework", "str", "Practice framework", allowed=FRAMEWORKS)
_LIKERT: dict[str, Any] = dict(
    kind="int", nullable=True, min=1, max=5, unit="1-5 (strongly disagree .. strongly agree)"
)

TABLES: dict[str, Table] = {}


def _register(table: Table) -> Table:
    TABLES[table.name] = table
    return table


_register(
    Table(
        name="area_series",
        file="area_series.csv",
        description="Monthly counts for each site's area and three comparator areas, 2015-2024.",
        columns=(
            _SITE,
            Column(
                "area_code",
                "str",
                "DfE old LA code of the area, 'E12000007' for London, other GSS region codes for "
                "London's comparators, 'S12...' codes for Scottish areas",
                pattern=r"\d{3}|E12\d{6}|S12\d{6}",
            ),
            Column(
                "area_role", "str", "Whether the area is the site's own or a comparator", allowed=("site", "comparator")
            ),
            Column("month", "date", "Calendar month (first day of the month)", min="2015-01-01", max="2024-12-01"),
            Column(
                "measure",
                "str",
                "efr_referrals: referrals with extra-familial risk; missing_episodes: missing-from-home "
                "or care episodes; exploitation_identifications: children identified at risk of sexual or criminal "
                "exploitation",
                allowed=AREA_MEASURES,
            ),
            Column("count", "int", "Number of events in the month", "events per month", min=0, plausible_max=200_000),
            Column(
                "population_0_17",
                "int",
                "Children aged 0-17 in the area (ONS mid-year estimate for the year)",
                "children",
                min=1,
                plausible_max=3_000_000,
            ),
            Column(
                "post", "bool01", "1 from the site's innovation start month on (comparators carry their site's value)"
            ),
        ),
        key=("site_id", "area_code", "measure", "month"),
        checks=(
            ("first-of-month", "month is the first day of a month", _first_of_month("month")),
            (
                "post-monotone",
                "post switches on once per series; comparators carry the site's post",
                _area_post_monotone,
            ),
        ),
        sort_by=("site_id", "area_role", "area_code", "measure", "month"),
    )
)

_register(
    Table(
        name="young_people",
        file="young_people.csv",
        description="One row per young person in the cohort, with baseline characteristics.",
        columns=(
            _PERSON,
            _SITE,
            Column(
                "arm",
                "str",
                "innovation: worked with under the site's innovation; comparison: usual practice",
                allowed=("innovation", "comparison"),
            ),
            Column("sex", "str", "Sex as recorded", allowed=("female", "male")),
            Column("age_at_baseline", "int", "Age in whole years at baseline", "years", min=10, max=17),
            Column("ethnicity", "str", "Ethnic group (broad)", allowed=("white", "black", "asian", "mixed", "other")),
            Column("looked_after", "bool01", "1 if looked after by the local authority at baseline"),
            Column(
                "prior_missing_episodes",
                "int",
                "Missing episodes in the 6 months before baseline",
                "episodes",
                min=0,
                plausible_max=500,
            ),
            Column(
                "baseline_risk_score",
                "float",
                "Exploitation-risk score at baseline (higher = more risk)",
                "score 0-30",
                min=0,
                max=30,
                decimals=1,
            ),
            Column("baseline_date", "date", "Date of the baseline assessment", min="2015-01-01", max="2030-12-31"),
        ),
        key=("person_id",),
        sort_by=("person_id",),
    )
)

_register(
    Table(
        name="outcomes",
        file="outcomes.csv",
        description="Repeated outcomes: one row per young person and wave (0, 6, 12, 18 months); outcomes empty when lost "
        "to follow-up.",
        columns=(
            _PERSON,
            Column("wave_month", "int", "Months since baseline", "months", min=0, max=FOLLOW_UP_MONTHS),
            Column(
                "observed", "bool01", "1 if seen at this wave; 0 if lost to follow-up (then every outcome is empty)"
            ),
            Column(
                "missing_episodes",
                "int",
                "Missing episodes in the 6 months before the wave",
                "episodes",
                nullable=True,
                min=0,
                plausible_max=500,
            ),
            Column(
                "exploitation_risk_score",
                "float",
                "Exploitation-risk score (higher = more risk)",
                "score 0-30",
                nullable=True,
                min=0,
                max=30,
                decimals=1,
            ),
            Column(
                "swemwbs",
                "float",
                "Short Warwick-Edinburgh Mental Wellbeing Scale, metric score",
                "score 7-35",
                nullable=True,
                min=7,
                max=35,
                decimals=2,
            ),
            Column(
                "school_attendance_pct",
                "float",
                "Attendance as a share of possible sessions in the 6 months before the wave",
                "percent",
                nullable=True,
                min=0,
                max=100,
                decimals=1,
            ),
            Column(
                "placement_moves",
                "int",
                "Placement moves in the 6 months before the wave",
                "moves",
                nullable=True,
                min=0,
                plausible_max=60,
            ),
            Column(
                "justice_contact",
                "bool01",
                "1 if any contact with the youth justice system in the 6 months before the wave",
                nullable=True,
            ),
        ),
        key=("person_id", "wave_month"),
        foreign_keys=((("person_id",), "young_people", ("person_id",)),),
        checks=(
            ("all-waves", "every person has all four waves", _outcomes_waves),
            ("empty-iff-unobserved", "outcomes are empty exactly when observed = 0", _outcomes_empty_iff_unobserved),
            ("monotone-attrition", "once lost to follow-up, a person stays lost", _outcomes_monotone),
        ),
        sort_by=("person_id", "wave_month"),
    )
)

_register(
    Table(
        name="service_activity",
        file="service_activity.csv",
        description="Contact hours by staff role, per young person and month, for 18 months from baseline.",
        columns=(
            _PERSON,
            _SITE,
            Column("month", "date", "Calendar month (first day of the month)", min="2015-01-01", max="2030-12-01"),
            Column("staff_role", "str", "Role of the worker", allowed=STAFF_ROLES),
            Column(
                "contact_hours",
                "float",
                "Hours of direct and case work for the young person in the month",
                "hours",
                min=0,
                max=744,
                decimals=2,
            ),
        ),
        key=("person_id", "month", "staff_role"),
        foreign_keys=((("person_id", "site_id"), "young_people", ("person_id", "site_id")),),
        checks=(("first-of-month", "month is the first day of a month", _first_of_month("month")),),
        sort_by=("person_id", "month", "staff_role"),
    )
)

_register(
    Table(
        name="placements",
        file="placements.csv",
        description="Care placements of young people in the cohort, with dates.",
        columns=(
            Column("placement_id", "str", "Placement identifier", pattern=r"PL\d{6}"),
            _PERSON,
            _SITE,
            Column("placement_type", "str", "Type of placement", allowed=PLACEMENT_TYPES),
            Column("start_date", "date", "First day of the placement", min="2005-01-01", max="2030-12-31"),
            Column(
                "end_date",
                "date",
                "Last day of the placement (or of the observation period)",
                min="2005-01-01",
                max="2030-12-31",
            ),
        ),
        key=("placement_id",),
        foreign_keys=((("person_id", "site_id"), "young_people", ("person_id", "site_id")),),
        checks=(("date-order", "end_date is not before start_date", _placements_dates),),
        sort_by=("placement_id",),
    )
)

_register(
    Table(
        name="innovation_costs",
        file="innovation_costs.csv",
        description="Start-up and running costs of each site's innovation by financial year, cash prices of that year.",
        columns=(
            _SITE,
            Column("financial_year", "str", "Financial year April-March, e.g. 2019-20", pattern=r"\d{4}-\d{2}"),
            Column(
                "cost_category",
                "str",
                "start_up: one-off costs of setting up; running: recurrent costs",
                allowed=COST_CATEGORIES,
            ),
            Column("item", "str", "What the money paid for", allowed=COST_ITEMS),
            Column(
                "amount_gbp",
                "float",
                "Amount spent",
                "GBP, cash prices of the financial year",
                min=0,
                plausible_max=50_000_000,
                decimals=2,
            ),
        ),
        key=("site_id", "financial_year", "cost_category", "item"),
        checks=(("financial-year", "financial years look like 2019-20", _financial_year),),
        sort_by=("site_id", "financial_year", "cost_category", "item"),
    )
)

_register(
    Table(
        name="stage_events",
        file="stage_events.csv",
        description="Dated events in each site's innovation journey through the six stages.",
        columns=(
            Column("event_id", "str", "Event identifier", pattern=r"EV\d{4}"),
            _SITE,
            Column("event_date", "date", "Date of the event", min="2010-01-01", max="2030-12-31"),
            Column("stage", "str", "Stage entered, stalled in, restarted or regressed to", allowed=STAGES),
            Column(
                "event_type",
                "str",
                "enter: moved into the stage; stall: progress stopped; restart: progress resumed; "
                "regress: fell back to the (earlier) stage",
                allowed=STAGE_EVENT_TYPES,
            ),
        ),
        key=("event_id",),
        checks=(("date-order", "per site, events are in date order", _events_ordered),),
        sort_by=("event_id",),
    )
)

_register(
    Table(
        name="coded_segments",
        file="coded_segments.csv",
        description="Coded segments of interviews and focus groups (codes only; no text of speech).",
        columns=(
            Column("segment_id", "str", "Segment identifier", pattern=r"SG\d{5}"),
            _SITE,
            Column("wave", "int", "Fieldwork wave (one a year)", min=1, max=4),
            Column("participant_role", "str", "Who was speaking", allowed=PARTICIPANT_ROLES),
            _STAGE,
            Column("code", "str", "Code from the codebook (data/reference/codebook.csv)", pattern=r"[a-z0-9_]+"),
            Column(
                "domain",
                "str",
                "Whether the segment describes a facilitator or a barrier",
                allowed=("facilitator", "barrier"),
            ),
        ),
        key=("segment_id",),
        sort_by=("segment_id",),
    )
)

_register(
    Table(
        name="experience_survey",
        file="experience_survey.csv",
        description="Young people's and parents' or carers' experience survey, items on a 1-5 agreement scale.",
        columns=(
            Column("respondent_id", "str", "Respondent identifier", pattern=r"R\d{5}"),
            _SITE,
            Column("respondent_type", "str", "Who answered", allowed=("young_person", "parent_carer")),
            Column("wave", "int", "Survey wave", min=1, max=2),
            Column("listened_to", description="I felt listened to", **_LIKERT),
            Column("trusted_worker", description="I trusted my worker", **_LIKERT),
            Column("felt_safer", description="I (or my child) felt safer", **_LIKERT),
            Column(
                "partner_in_decisions", description="I was a partner in decisions about me (or my child)", **_LIKERT
            ),
            Column("help_fitted_needs", description="The help fitted my (or my child's) needs", **_LIKERT),
            Column("overall_experience", description="Overall, my experience was good", **_LIKERT),
        ),
        key=("respondent_id",),
        checks=(("empty-response", "at least one item is answered", _survey_answered),),
        sort_by=("respondent_id",),
    )
)

_register(
    Table(
        name="network_survey",
        file="network_survey.csv",
        description="Learning-network survey: organisations' engagement with each framework they know.",
        columns=(
            Column("organisation_id", "str", "Organisation identifier", pattern=r"ORG\d{4}"),
            Column("nation", "str", "Where the organisation works", allowed=NETWORK_NATIONS),
            Column("organisation_type", "str", "Kind of organisation", allowed=ORGANISATION_TYPES),
            _FRAMEWORK,
            Column(
                "engagement",
                "str",
                "Circle of engagement: aware < exploring < adopting < embedded",
                allowed=ENGAGEMENT_LEVELS,
            ),
            Column(
                "perceived_transferability",
                "int",
                "How transferable the framework seems to the organisation's context",
                "1-5 (not at all .. very)",
                min=1,
                max=5,
            ),
            Column(
                "years_since_first_contact",
                "float",
                "Years since the organisation first engaged with the framework",
                "years",
                min=0,
                max=30,
                decimals=1,
            ),
        ),
        key=("organisation_id", "framework"),
        checks=(("consistent-organisation", "one nation and type per organisation", _network_consistent),),
        sort_by=("organisation_id", "framework"),
    )
)

_register(
    Table(
        name="public_tidy",
        file="(public tidy frame)",
        description="The tidy long frame every innovate.data.public loader returns (real DfE / ONS statistics).",
        columns=(
            Column("area_code", "str", "DfE old LA code for local authorities; GSS code for regions and England"),
            Column(
                "new_la_code",
                "str",
                "Current GSS code of a local authority; empty for regions and England",
                nullable=True,
            ),
            Column("area_name", "str", "Area name as published"),
            Column("level", "str", "Geographic level", allowed=("National", "Regional", "Local authority")),
            Column("year", "int", "Year (for DfE statistics, the year ending 31 March)", min=1990, max=2100),
            Column("measure", "str", "What is counted"),
            Column("value", "float", "The published number; empty where the source withholds it", nullable=True),
            Column(
                "status",
                "str",
                "'' for a published number, else the DfE status code (c, x, z, u, k, ...)",
                nullable=True,
                allowed=PUBLIC_STATUS_CODES,
            ),
        ),
        key=("area_code", "level", "measure", "year"),
        checks=(("status-value", "a value is missing exactly when a status code says why", _public_status),),
    )
)

#: The ten case-level tables in the order a folder is checked (parents before children).
CASE_TABLES: tuple[str, ...] = (
    "area_series",
    "young_people",
    "outcomes",
    "service_activity",
    "placements",
    "innovation_costs",
    "stage_events",
    "coded_segments",
    "experience_survey",
    "network_survey",
)
MANIFEST_FILE = "manifest.json"


def get(name: str) -> Table:
    """The schema of a table by name (``'young_people'``) or file name (``'young_people.csv'``)."""
    if name in TABLES:
        return TABLES[name]
    for table in TABLES.values():
        if table.file == name:
            return table
    raise KeyError(f"no schema named {name!r}; known: {', '.join(TABLES)}")


def validate_public(frame: pd.DataFrame, file: str = "(public tidy frame)") -> list[Problem]:
    """Check a tidy frame from :mod:`innovate.data.public` (extra columns allowed)."""
    text = pd.DataFrame({c: frame[c].astype(object).where(frame[c].notna(), "").astype(str) for c in frame.columns})
    _, problems = validate_frame("public_tidy", text, file, strict_columns=False)
    return problems


# --------------------------------------------------------------------------------------
# Writing (used by the generator, so that files are byte-identical for one seed)
# --------------------------------------------------------------------------------------


def to_csv_text(table: Table | str, frame: pd.DataFrame) -> str:
    """Format a typed frame as CSV text in schema order, sorted by the table's sort key,
    with fixed float decimals, ISO dates and ``\\n`` line ends."""
    table = get(table) if isinstance(table, str) else table
    frame = frame[table.column_names]
    if table.sort_by:
        frame = frame.sort_values(list(table.sort_by), kind="stable")
    out = {}
    for col in table.columns:
        s = frame[col.name]
        if col.kind == "date":
            text = s.dt.strftime("%Y-%m-%d").fillna("")
        elif col.kind == "float":
            fmt = f"{{:.{col.decimals if col.decimals is not None else 6}f}}"
            text = s.map(lambda v, f=fmt: "" if pd.isna(v) else f.format(v))
        elif col.kind in ("int", "bool01"):
            text = s.map(lambda v: "" if pd.isna(v) else str(int(v)))
        else:
            text = s.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
        out[col.name] = text.astype(str).to_numpy()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.column_names)
    writer.writerows(zip(*(out[c] for c in table.column_names)))
    return buffer.getvalue()
