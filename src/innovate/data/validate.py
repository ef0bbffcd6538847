"""Check a folder of case-level files before the book runs on it.

For an analyst holding a real extract: ``python -m innovate validate DIR`` checks every
file of the contract against its schema (:mod:`innovate.data.schemas`), then the keys across
tables (every young person in outcomes, service activity and placements exists in the
cohort with the same site; every code of the coded segments is in the reference
codebook), then whether the values are plausible against each other and against the
reference facts (:func:`plausibility`), and, when a ``manifest.json`` is present
(synthetic data), its checksums and row counts.

It prints every problem as ``file, column, row, value, rule: message`` (at most
``limit`` per file, column and rule, the rest counted) and exits 0 only when everything
passes. It only reads: nothing in the folder is changed. The book build runs the same
check first (:mod:`innovate.sphinxext.datacheck`).
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.data import dictionary, schemas
from innovate.data.casedata import check_codes, known_codes
from innovate.data.schema_engine import regular_file
from innovate.errors import LISTED_PER_RULE, Problem, cap, listed, more_rows, visible

#: Problems listed per file, column and rule by default; the rest are counted.
DEFAULT_LIMIT = 20
#: A single innovation cost item above this many times the largest annual unit cost in
#: data/reference/unit_costs.csv is refused (a slipped decimal point, pence typed as pounds).
COST_ITEM_FACTOR = 10
_WEEKS_PER_YEAR = 52


@dataclass
class Report:
    """What a validation run found."""

    folder: Path
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # file -> data rows read
    ignored: list[str] = field(default_factory=list)  # files in the folder that are not part of the contract
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def count(self) -> int:
        """Problems found, including those counted but not listed."""
        return sum(p.more or 1 for p in self.problems)

    def table(self) -> pd.DataFrame:
        """The problems as a tidy frame: file, column, row, value, rule, message."""
        return pd.DataFrame(
            [
                {
                    "file": p.file,
                    "column": p.column,
                    "row": p.row,
                    "value": p.value,
                    "rule": p.rule,
                    "message": p.message,
                }
                for p in self.problems
            ],
            columns=["file", "column", "row", "value", "rule", "message"],
        )


def format_problem(p: Problem, values: bool = True) -> str:
    """``file, column, row, value, rule: message`` ('-' where a part does not apply).

    Every part is passed through :func:`innovate.errors.visible`, so a control character or
    terminal escape in a file name or cell cannot forge a line of the report, and look-alike
    or invisible characters are spelt out. ``values=False`` leaves the values out (the
    book build's log, which must not carry identifiers of young people).
    """
    column = visible(p.column) if p.column is not None else "-"
    row = str(p.row) if p.row is not None else "-"
    if not values and p.value is not None:
        value = "(value withheld)"
    else:
        value = "-" if p.value is None else visible(repr(p.value)) if isinstance(p.value, str) else visible(p.value)
    return f"{visible(p.file)}, {column}, {row}, {value}, {visible(p.rule)}: {visible(p.message)}"


def validate_folder(
    folder: Path | str, codebook_folder: Path | None = None, limit: int | None = DEFAULT_LIMIT
) -> Report:
    """Check every case-level file in ``folder``; never modifies anything.

    ``limit``: problems listed per file, column and rule (None lists all).
    """
    token = LISTED_PER_RULE.set(limit)
    try:
        return _validate(Path(folder), codebook_folder, limit)
    finally:
        LISTED_PER_RULE.reset(token)


def _validate(folder: Path, codebook_folder: Path | None, limit: int | None) -> Report:
    start = time.perf_counter()
    report = Report(folder=folder)
    if not folder.is_dir():
        report.problems.append(Problem(str(folder), "missing-folder", "not a folder"))
        report.seconds = time.perf_counter() - start
        return report
    frames: dict[str, pd.DataFrame] = {}
    codes = known_codes(codebook_folder)
    problems: list[Problem] = []
    for name in schemas.CASE_TABLES:
        table = schemas.get(name)
        frame, found = schemas.read_table(table, folder / table.file, file=table.file, compact=True)
        if frame is not None:
            report.rows[table.file] = len(frame)
            frames[name] = frame
            if name == "coded_segments":
                found += check_codes(frame, table.file, codes)
        problems.extend(found)
    for name, frame in frames.items():
        problems.extend(schemas.check_foreign_keys(schemas.get(name), frame, frames))
    problems.extend(plausibility(frames))
    manifest = folder / schemas.MANIFEST_FILE
    if manifest.exists() or manifest.is_symlink():
        _, found = dictionary.validate_manifest(manifest, folder)
        problems.extend(found)
    known = {schemas.get(n).file for n in schemas.CASE_TABLES} | {schemas.MANIFEST_FILE, "README.md"}
    report.ignored = sorted(p.name for p in folder.iterdir() if p.name not in known)
    report.problems = cap(problems, limit)
    report.seconds = time.perf_counter() - start
    return report


# --------------------------------------------------------------------------------------
# Plausibility: values that each pass their column's rules but not each other
# --------------------------------------------------------------------------------------


def _flag(file: str, rule: str, message: str, column: str, rows: np.ndarray, values) -> list[Problem]:
    shown, more = listed(rows)
    out = [Problem(file, rule, message, column, int(i) + 1, values(int(i))) for i in shown]
    if more:
        out.append(more_rows(file, rule, column, more))
    return out


def _month_start(dates: pd.Series) -> pd.Series:
    return dates.dt.to_period("M").dt.to_timestamp()


def plausibility(frames: dict[str, pd.DataFrame], today: _dt.date | None = None) -> list[Problem]:
    """Values that pass their own column's rules but are implausible together.

    Refused: service activity in a month before the young person's baseline; a baseline
    in the future or before the site's innovation started; ``post`` = 1 in a month before
    the site's innovation start; a young person with no outcome rows; a monthly count
    larger than the area's population of children; a single cost item more than
    :data:`COST_ITEM_FACTOR` times the largest annual unit cost of the reference data.
    """
    from innovate.data import sites

    problems: list[Problem] = []
    now: pd.Timestamp = pd.Timestamp(today or _dt.date.today())
    try:
        starts = sites.register().set_index("site_id")["innovation_start"]
    except Exception:  # the register is checked by its own tests; without it these rules cannot run
        starts = pd.Series(dtype="datetime64[ns]")
    yp = frames.get("young_people")
    if yp is not None and {"baseline_date", "site_id", "person_id"} <= set(yp.columns):
        file = schemas.get("young_people").file
        baseline = yp["baseline_date"]
        future = (baseline > now).to_numpy()
        problems += _flag(
            file,
            "implausible-date",
            f"baseline date is in the future (after {now.date()})",
            "baseline_date",
            np.flatnonzero(future),
            lambda i: str(baseline.iloc[i].date()),
        )
        start = yp["site_id"].astype(object).map(starts)
        early = (baseline < start).to_numpy() & start.notna().to_numpy()
        problems += _flag(
            file,
            "implausible-date",
            "baseline date is before the site's innovation started (site register)",
            "baseline_date",
            np.flatnonzero(early),
            lambda i: f"{baseline.iloc[i].date()} < {start.iloc[i].date()}",
        )
        outcomes = frames.get("outcomes")
        if outcomes is not None and "person_id" in outcomes.columns:
            absent = (~yp["person_id"].astype(object).isin(set(outcomes["person_id"].astype(object)))).to_numpy()
            problems += _flag(
                file,
                "no-outcomes",
                "the young person has no row in outcomes.csv",
                "person_id",
                np.flatnonzero(absent),
                lambda i: yp["person_id"].iloc[i],
            )
        activity = frames.get("service_activity")
        if activity is not None and {"person_id", "month"} <= set(activity.columns):
            first = _month_start(yp.set_index(yp["person_id"].astype(object))["baseline_date"])
            first = first[~first.index.duplicated()]
            due = pd.Series(pd.to_datetime(activity["person_id"].astype(object).map(first)), index=activity.index)
            before = (activity["month"] < due).to_numpy() & due.notna().to_numpy()
            problems += _flag(
                schemas.get("service_activity").file,
                "implausible-date",
                "activity in a month before the young person's baseline",
                "month",
                np.flatnonzero(before),
                lambda i: f"{activity['month'].iloc[i].date()} < {due.iloc[i].date()}",
            )
    area = frames.get("area_series")
    if area is not None and {"site_id", "month", "post", "count", "population_0_17"} <= set(area.columns):
        file = schemas.get("area_series").file
        start = _month_start(pd.to_datetime(area["site_id"].astype(object).map(starts)))
        early = ((area["post"] == 1) & (area["month"] < start)).to_numpy()
        problems += _flag(
            file,
            "implausible-post",
            "post = 1 in a month before the site's innovation start (site register)",
            "post",
            np.flatnonzero(early),
            lambda i: f"{area['month'].iloc[i].date()} < {start.iloc[i].date()}",
        )
        over = (area["count"] > area["population_0_17"]).to_numpy()
        problems += _flag(
            file,
            "implausible-value",
            "a monthly count larger than the area's population aged 0-17",
            "count",
            np.flatnonzero(over),
            lambda i: f"{area['count'].iloc[i]} > {area['population_0_17'].iloc[i]}",
        )
    costs = frames.get("innovation_costs")
    ceiling = _cost_ceiling()
    if costs is not None and "amount_gbp" in costs.columns and ceiling is not None:
        big = (costs["amount_gbp"] > ceiling).to_numpy()
        problems += _flag(
            schemas.get("innovation_costs").file,
            "implausible-value",
            f"a single cost item above GBP {ceiling:,.0f} ({COST_ITEM_FACTOR} times the largest annual unit cost "
            "in data/reference/unit_costs.csv)",
            "amount_gbp",
            np.flatnonzero(big),
            lambda i: f"{costs['amount_gbp'].iloc[i]:,.2f}",
        )
    return problems


def _cost_ceiling() -> float | None:
    """:data:`COST_ITEM_FACTOR` times the largest annual unit cost of the reference data."""
    from innovate.data.paths import reference_dir

    path = reference_dir() / "unit_costs.csv"
    if regular_file(path, path.name) is not None:
        return None
    units = pd.read_csv(path, usecols=["unit", "amount_gbp_price_year"])
    per_year = np.where(
        units["unit"].str.contains("per week"), _WEEKS_PER_YEAR, np.where(units["unit"].str.contains("per year"), 1, 0)
    )
    annual = (units["amount_gbp_price_year"] * per_year).max()
    return float(annual) * COST_ITEM_FACTOR if annual > 0 else None
