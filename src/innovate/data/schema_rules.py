"""The row rules of the case-level schemas: checks over whole tables ("end date not before
start date", "attrition is monotone") that a column's own type and range cannot express.

Each rule takes the typed frame and the file name and returns every problem found, as
:class:`innovate.errors.Problem` naming file, column, 1-based row, value and rule; the
schemas in :mod:`innovate.data.schema_tables` attach them to their tables.
"""

from __future__ import annotations

import re
from contextvars import ContextVar

import numpy as np
import pandas as pd

from innovate.config import WAVE_MONTHS
from innovate.data.schema_engine import Check
from innovate.data.schema_vocab import OUTCOME_MEASURES, SITE_FRAMEWORKS, SURVEY_ITEMS
from innovate.errors import Problem, listed

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


def first_of_month(column: str) -> Check:
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


def area_post_monotone(frame: pd.DataFrame, file: str) -> list[Problem]:
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


def outcomes_empty_iff_unobserved(frame: pd.DataFrame, file: str) -> list[Problem]:
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


def outcomes_waves(frame: pd.DataFrame, file: str) -> list[Problem]:
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


def outcomes_monotone(frame: pd.DataFrame, file: str) -> list[Problem]:
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


def placements_dates(frame: pd.DataFrame, file: str) -> list[Problem]:
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


def financial_year(frame: pd.DataFrame, file: str) -> list[Problem]:
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


def events_ordered(frame: pd.DataFrame, file: str) -> list[Problem]:
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


def network_consistent(frame: pd.DataFrame, file: str) -> list[Problem]:
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


def survey_answered(frame: pd.DataFrame, file: str) -> list[Problem]:
    none = frame[list(SURVEY_ITEMS)].isna().all(axis=1).to_numpy()
    return [Problem(file, "empty-response", "no item answered", "listened_to", int(i) + 1, "") for i in _rows(none)]


def framework_matches_site(column: str = "framework") -> Check:
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


def public_status(frame: pd.DataFrame, file: str) -> list[Problem]:
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
