"""Statistical disclosure control for every table of people the book shows.

The rules follow the practice of the statistics the book draws on (see METHODS section 5):

* **Primary suppression.** A count from 1 to ``threshold`` (default 5, as the Department
  for Education's children-in-need statistics) is replaced by ``"c"``. Zeros are shown
  by default (DfE style); ``zeros_disclosive=True`` suppresses them too (the ACRO
  default for research outputs).
* **Secondary suppression.** In any row or column that holds exactly one suppressed cell,
  the next smallest non-zero cell of that line is suppressed too; this is repeated until
  no line changes. Ties go to the leftmost (or topmost) cell, so the result is
  deterministic.
* **Totals.** Totals are computed from the unrounded counts, suppressed themselves when
  small, optionally rounded, and suppressed whenever a suppressed cell could be recovered
  from them. Recovery is checked by an *interval audit*: for every suppressed value the
  smallest and largest values consistent with everything published (exact values,
  rounding intervals, non-negativity, row and column sums) are found by linear
  programming; a value whose interval holds a single integer is recoverable and the
  total that gives it away is withheld.
* **Rounding** is explicitly half-up, ``floor(x / base + 0.5) * base`` in exact decimal
  arithmetic (Python's ``round(2.5) == 2`` rounds half to even, which is not the
  published convention).
* **ONS 10-5 rule** (``rule="ons_10_5"``): counts under 10 suppressed, the rest rounded
  to the nearest 5.
* **Consistency across tables.** :func:`protect_tables` protects several tables that
  share cells (the same row label and column in more than one table, including shared
  totals) so that a cell withheld in one is withheld in all; otherwise the tables could
  be differenced.

:func:`protect_table` returns the table to display (object dtype, ``"c"`` strings) and
records what was suppressed in ``table.attrs["disclosure"]``; :func:`protect` returns
the same as a :class:`ProtectedTable` with the record as a DataFrame.
:func:`assert_protected` checks any displayed table (a DataFrame, or an HTML table read
with :func:`frames_from_html`, which lives in :mod:`innovate.stats.disclosure_html` and is
found here too) and raises naming the cell when a small count is shown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

import numpy as np
import pandas as pd

from innovate.errors import DataError, Problem
from innovate.stats import disclosure_export
from innovate.stats.disclosure_html import frames_from_html

__all__ = [
    "SUPPRESSED",
    "TOTAL",
    "EMPTY",
    "RULES",
    "round_half_up",
    "rounding_interval",
    "ons_10_5",
    "ProtectedTable",
    "protect",
    "protect_table",
    "protect_tables",
    "protected_shares",
    "assert_protected",
    "frames_from_html",
]

#: What a suppressed value shows (DfE convention: "c" = confidential).
SUPPRESSED = "c"
#: The label of added totals.
TOTAL = "Total"
#: What a share shows when there is nothing to divide by (an empty line).
EMPTY = "-"

RULES = {
    # rule: (threshold, rounding of every shown value, rounding of totals)
    "dfe": (5, None, None),
    "ons_10_5": (9, 5, 5),
}

_REASONS = ("primary", "secondary", "total", "linked")


# ---------------------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------------------
def round_half_up(value, base: int | float = 1) -> int | float:
    """Round ``value`` to the nearest multiple of ``base``, halves away from zero for x >= 0.

    Exact decimal arithmetic: ``round_half_up(25, 10) == 30``, ``round_half_up(14, 10) ==
    10``, ``round_half_up(2.5) == 3``. Returns an ``int`` when ``base`` is an integer.
    """
    if base <= 0:
        raise ValueError(f"rounding base must be positive, got {base!r}")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise ValueError("cannot round a missing value")
    x = Decimal(str(value))
    b = Decimal(str(base))
    multiple = (x / b + Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR)
    result = multiple * b
    if float(base).is_integer():
        return int(result)
    return float(result)


def rounding_interval(shown: float, base: float) -> tuple[int, int]:
    """The integers that round half-up to ``shown`` at ``base``: ``[lo, hi]`` inclusive."""
    lo = math.ceil(shown - base / 2)
    hi = math.ceil(shown + base / 2) - 1
    return max(lo, 0), hi


def ons_10_5(value: int):
    """The ONS 10-5 rule for one count: under 10 -> ``"c"``, else nearest 5 (half up)."""
    value = _as_count(value, "value", None)
    if 0 < value < 10:
        return SUPPRESSED
    return round_half_up(value, 5)


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------
@dataclass
class ProtectedTable:
    """A table ready to show and the record of what was withheld from it.

    ``suppressed`` holds the true values of the withheld cells (row, column, value,
    reason) for the analyst's audit trail: it must never be shown. The display table's
    ``attrs["disclosure"]`` carries the same record without the values.
    """

    table: pd.DataFrame
    suppressed: pd.DataFrame
    settings: dict = field(default_factory=dict)

    @property
    def n_suppressed(self) -> int:
        return int(len(self.suppressed))

    def counts_by_reason(self) -> dict[str, int]:
        """How many values were withheld for each reason (primary, secondary, total, linked)."""
        out = {r: 0 for r in _REASONS}
        for r in self.suppressed["reason"]:
            out[r] += 1
        return out

    def _repr_html_(self):  # pragma: no cover - display convenience
        return self.table._repr_html_()


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------
def _as_count(value, column, row) -> int:
    """A non-negative integer count, or a DataError naming the cell."""
    problem = None
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        problem = "a count of people is missing; a table to protect needs every count"
    else:
        try:
            f = float(value)
        except (TypeError, ValueError):
            problem = "a count of people must be a number"
        else:
            if not f.is_integer():
                problem = "a count of people must be a whole number"
            elif f < 0:
                problem = "a count of people cannot be negative"
    if problem is not None:
        raise DataError([Problem("table", "disclosure.count", problem, column=str(column), row=row, value=value)])
    return int(float(value))


def _row_name(frame: pd.DataFrame, i: int, label_columns: Sequence) -> str:
    if label_columns:
        return " / ".join(str(frame.iloc[i][c]) for c in label_columns)
    key = frame.index[i]
    if isinstance(key, tuple):
        return " / ".join(str(k) for k in key)
    return str(key)


def _row_key(frame: pd.DataFrame, i: int, label_columns: Sequence) -> tuple:
    if label_columns:
        return tuple(frame.iloc[i][c] for c in label_columns)
    key = frame.index[i]
    return key if isinstance(key, tuple) else (key,)


def _integers_in(lo: float, hi: float) -> int:
    """How many integers lie in [lo, hi] (inf-safe, tolerant of LP round-off)."""
    if not np.isfinite(hi):
        return 2  # unbounded above: never pinned
    return max(0, math.floor(hi + 1e-7) - math.ceil(lo - 1e-7) + 1)


# ---------------------------------------------------------------------------------------
# The core: a 2-D array of counts augmented with its totals
# ---------------------------------------------------------------------------------------
class _Grid:
    """The body of counts and its margins as one augmented array.

    With row totals the array gains a last column, with column totals a last row (and,
    with both, the grand total in the corner). Every entry is shown, rounded or withheld;
    every published entry is a linear function of the body cells.
    """

    def __init__(self, values: np.ndarray, row_totals: bool, col_totals: bool):
        self.values = values
        self.n, self.k = values.shape
        self.row_totals, self.col_totals = row_totals, col_totals
        R = self.n + (1 if col_totals else 0)
        K = self.k + (1 if row_totals else 0)
        aug = np.zeros((R, K), dtype=np.int64)
        aug[: self.n, : self.k] = values
        if row_totals:
            aug[: self.n, self.k] = values.sum(axis=1)
        if col_totals:
            aug[self.n, : self.k] = values.sum(axis=0)
        if row_totals and col_totals:
            aug[self.n, self.k] = values.sum()
        self.aug = aug
        self.sup = np.zeros((R, K), dtype=bool)
        self.why = np.full((R, K), None, dtype=object)
        #: Whether zeros are withheld too (then a "c" may stand for 0).
        self.zeros_disclosive = False

    # views used when the display is assembled
    @property
    def suppressed(self):
        return self.sup[: self.n, : self.k]

    @property
    def reason(self):
        return self.why[: self.n, : self.k]

    def is_cell(self, i, j) -> bool:
        return i < self.n and j < self.k

    def withhold(self, i, j, why) -> None:
        if not self.sup[i, j]:
            self.sup[i, j] = True
            self.why[i, j] = why

    def mask(self, i, j) -> np.ndarray:
        """Coefficients of entry (i, j) on the body cells."""
        m = np.zeros((self.n, self.k))
        rows = slice(None) if i == self.n else slice(i, i + 1)
        cols = slice(None) if j == self.k else slice(j, j + 1)
        m[rows, cols] = 1
        return m.ravel()


def _primary(grid: _Grid, threshold: int, zeros_disclosive: bool) -> None:
    small = (grid.aug >= 1) & (grid.aug <= threshold)
    if zeros_disclosive:
        small |= grid.aug == 0
    for (i, j), flag in np.ndenumerate(small):
        if flag:
            grid.withhold(i, j, "primary")


def _secondary(grid: _Grid) -> None:
    """Each body row and column holds zero or at least two suppressed cells (where possible)."""
    v, s = grid.values, grid.suppressed
    n_rows, n_cols = v.shape
    changed = True
    while changed:
        changed = False
        for lines, along_rows in ((range(n_rows), True), (range(n_cols), False)):
            for i in lines:
                line_s = s[i, :] if along_rows else s[:, i]
                line_v = v[i, :] if along_rows else v[:, i]
                if line_s.sum() != 1:
                    continue
                candidates = [(line_v[j], j) for j in range(len(line_v)) if not line_s[j] and line_v[j] > 0]
                if not candidates:
                    continue
                _, j = min(candidates)
                if along_rows:
                    grid.withhold(i, j, "secondary")
                else:
                    grid.withhold(j, i, "secondary")
                changed = True


def _audit(grid: _Grid, rounding, total_rounding) -> list[tuple[int, int]]:
    """Withheld entries a reader could pin to one integer from what is published.

    Linear programming over the body cells: each shown entry constrains its cells to the
    interval its shown value stands for (a point, or the rounding interval). A withheld
    cell is bounded as a reader can bound it: when zeros are shown, a "c" is never a zero,
    so it is at least 1 (a row "c, c, 50 | total 52" gives both cells away); when zeros are
    withheld too, at least 0. No upper bound is assumed: a "c" may be a secondary
    suppression of any size. An entry whose smallest and largest feasible values bracket a
    single integer is recoverable.
    """
    from scipy.optimize import linprog

    tbase = total_rounding if total_rounding is not None else rounding
    bounds: list[tuple[int | None, int | None]] = []
    for i in range(grid.n):
        for j in range(grid.k):
            if grid.sup[i, j]:
                # A zero withheld by a later fix (zeros shown) would make ">= 1" false for it:
                # bound it at 0, so the reader's model stays consistent with the truth.
                bounds.append((0 if grid.zeros_disclosive or grid.aug[i, j] == 0 else 1, None))
            elif rounding is None:
                bounds.append((int(grid.aug[i, j]),) * 2)
            else:
                bounds.append(rounding_interval(round_half_up(int(grid.aug[i, j]), rounding), rounding))
    a_ub, b_ub = [], []
    R, K = grid.aug.shape
    for i in range(R):
        for j in range(K):
            if grid.is_cell(i, j) or grid.sup[i, j]:
                continue
            true = int(grid.aug[i, j])
            lo, hi = (true, true) if tbase is None else rounding_interval(round_half_up(true, tbase), tbase)
            m = grid.mask(i, j)
            a_ub += [m, -m]
            b_ub += [hi, -lo]
    if not a_ub:
        return []  # only shown cells are published: a withheld value is unbounded
    a_ub_arr, b_ub_arr = np.array(a_ub), np.array(b_ub)
    pinned = []
    for i in range(R):
        for j in range(K):
            if not grid.sup[i, j]:
                continue
            c = grid.mask(i, j)
            lo = linprog(c, A_ub=a_ub_arr, b_ub=b_ub_arr, bounds=bounds, method="highs")
            hi = linprog(-c, A_ub=a_ub_arr, b_ub=b_ub_arr, bounds=bounds, method="highs")
            lo_v = lo.fun if lo.status == 0 else -np.inf
            hi_v = -hi.fun if hi.status == 0 else np.inf
            if _integers_in(lo_v, hi_v) == 1:
                pinned.append((i, j))
    return pinned


def _fix(grid: _Grid, entry: tuple[int, int]) -> bool:
    """Withhold one more entry so that ``entry`` stops being recoverable.

    A recoverable cell first withholds the totals of its row and column (the rule: no total
    may give a suppressed cell away). Otherwise the smallest shown non-zero entry of a line
    through ``entry`` (its row, then its column, totals included) is withheld; zeros last.
    """
    i, j = entry
    R, K = grid.aug.shape
    if grid.is_cell(i, j):
        if grid.row_totals and not grid.sup[i, grid.k]:
            grid.withhold(i, grid.k, "total")
            return True
        if grid.col_totals and not grid.sup[grid.n, j]:
            grid.withhold(grid.n, j, "total")
            return True
    lines = [[(i, b) for b in range(K)], [(a, j) for a in range(R)]]
    for nonzero in (True, False):
        for line in lines:
            cand = [(grid.aug[a, b], a, b) for a, b in line if not grid.sup[a, b] and (grid.aug[a, b] > 0) == nonzero]
            if cand:
                _, a, b = min(cand)
                grid.withhold(a, b, "total" if not grid.is_cell(a, b) else "secondary")
                return True
    # every entry of both lines is already withheld: withhold the smallest shown entry anywhere
    cand = [(grid.aug[a, b], a, b) for (a, b), s in np.ndenumerate(grid.sup) if not s]
    if not cand:
        return False
    _, a, b = min(cand)
    grid.withhold(a, b, "total" if not grid.is_cell(a, b) else "secondary")
    return True


def _protect_totals(grid: _Grid, rounding, total_rounding, audit: bool) -> None:
    if not audit or not (grid.row_totals or grid.col_totals):
        return
    for _ in range(grid.aug.size + 1):
        pinned = _audit(grid, rounding, total_rounding)
        if not pinned or not _fix(grid, pinned[0]):
            return
    raise RuntimeError("disclosure audit did not converge")  # pragma: no cover


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------
def _settings(rule, threshold, rounding, total_rounding):
    if rule not in RULES:
        raise ValueError(f"unknown disclosure rule {rule!r}; choose from {sorted(RULES)}")
    r_threshold, r_rounding, r_total = RULES[rule]
    threshold = r_threshold if threshold is None else int(threshold)
    rounding = r_rounding if rounding is None else rounding
    total_rounding = r_total if total_rounding is None else total_rounding
    if threshold < 0:
        raise ValueError("threshold must be >= 0")
    return threshold, rounding, total_rounding


def _count_columns(frame: pd.DataFrame, count_columns) -> list:
    if count_columns is None:
        cols = [
            c
            for c in frame.columns
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
        ]
    else:
        cols = list(count_columns)
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise DataError(
                [
                    Problem("table", "disclosure.columns", "count column not in the table", column=str(c))
                    for c in missing
                ]
            )
    if not cols:
        raise DataError([Problem("table", "disclosure.columns", "the table has no count columns to protect")])
    return cols


def protect(
    frame: pd.DataFrame,
    count_columns: Sequence[Hashable] | None = None,
    threshold: int | None = None,
    rounding: int | None = None,
    totals: str | None = None,
    *,
    rule: str = "dfe",
    zeros_disclosive: bool = False,
    total_rounding: int | None = None,
    total_label: str = TOTAL,
    force: Iterable[tuple] = (),
    audit: bool = True,
) -> ProtectedTable:
    """Protect a table of counts of people; returns the display table and the record.

    ``frame``: one row per table row; ``count_columns`` hold the counts (default: every
    numeric column); the other columns (or the index, when there are none) label the rows.
    ``threshold``: counts 1..threshold are withheld (default from ``rule``: 5 for ``dfe``,
    9 for ``ons_10_5``). ``rounding``: round every shown count half-up to this base.
    ``totals``: ``None`` (none shown), ``"row"`` (a total column), ``"column"`` (a total
    row) or ``"both"``. ``total_rounding``: round shown totals (DfE rounds national and
    regional totals to 10). ``force``: (row key, column) pairs to withhold whatever their
    value (row key = tuple of the label values; used to keep tables consistent).
    """
    if totals not in (None, "row", "column", "both"):
        raise ValueError("totals must be None, 'row', 'column' or 'both'")
    threshold, rounding, total_rounding = _settings(rule, threshold, rounding, total_rounding)
    cols = _count_columns(frame, count_columns)
    label_columns = [c for c in frame.columns if c not in cols]
    n_rows, n_cols = len(frame), len(cols)

    values = np.zeros((n_rows, n_cols), dtype=np.int64)
    problems = []
    for j, c in enumerate(cols):
        for i, x in enumerate(frame[c].tolist()):
            try:
                values[i, j] = _as_count(x, c, i + 1)
            except DataError as err:
                problems.extend(err.problems)
    if problems:
        raise DataError(problems)

    grid = _Grid(values, row_totals=totals in ("row", "both"), col_totals=totals in ("column", "both"))
    grid.zeros_disclosive = zeros_disclosive
    _primary(grid, threshold, zeros_disclosive)
    forced = {(tuple(k) if isinstance(k, tuple) else (k,), c) for k, c in force}
    if forced:
        for i in range(n_rows):
            key = _row_key(frame, i, label_columns)
            for j, c in enumerate(cols):
                if (key, c) in forced:
                    grid.withhold(i, j, "linked")
            if grid.row_totals and (key, total_label) in forced:
                grid.withhold(i, n_cols, "linked")
        for j, c in enumerate(cols):
            if grid.col_totals and ((total_label,), c) in forced:
                grid.withhold(n_rows, j, "linked")
    _secondary(grid)
    _protect_totals(grid, rounding, total_rounding, audit)
    return _assemble(
        frame, cols, label_columns, grid, threshold, rounding, total_rounding, total_label, rule, zeros_disclosive
    )


def _assemble(
    frame, cols, label_columns, grid, threshold, rounding, total_rounding, total_label, rule, zeros_disclosive
):
    tbase = total_rounding if total_rounding is not None else rounding
    n, k = grid.n, grid.k
    records = []

    def show(i, j, row_name, col_name):
        if grid.sup[i, j]:
            records.append(
                {"row": row_name, "column": str(col_name), "value": int(grid.aug[i, j]), "reason": grid.why[i, j]}
            )
            return SUPPRESSED
        base = rounding if grid.is_cell(i, j) else tbase
        value = int(grid.aug[i, j])
        return value if base is None else round_half_up(value, base)

    names = [_row_name(frame, i, label_columns) for i in range(n)]
    body = {}
    for j, c in enumerate(cols):
        body[c] = [show(i, j, names[i], c) for i in range(n)]
    if grid.row_totals:
        body[total_label] = [show(i, k, names[i], total_label) for i in range(n)]
    display = frame.copy()
    for c in list(body):
        display[c] = pd.Series(body[c], index=display.index, dtype=object)
    if grid.col_totals:
        extra = {c: "" for c in display.columns}
        if label_columns:
            extra[label_columns[0]] = total_label
        for j, c in enumerate(cols):
            extra[c] = show(n, j, total_label, c)
        if grid.row_totals:
            extra[total_label] = show(n, k, total_label, total_label)
        if label_columns:
            index = pd.Index([len(display)]) if isinstance(display.index, pd.RangeIndex) else pd.Index([total_label])
        elif isinstance(display.index, pd.MultiIndex):
            index = pd.MultiIndex.from_tuples(
                [(total_label,) + ("",) * (display.index.nlevels - 1)], names=display.index.names
            )
        else:
            index = pd.Index([total_label], name=display.index.name)
        row = pd.DataFrame([extra], columns=display.columns, index=index, dtype=object)
        display = pd.concat([display.astype(object), row])
        if isinstance(frame.index, pd.RangeIndex) and label_columns:
            display = display.reset_index(drop=True)
    for c in body:
        display[c] = display[c].astype(object)

    suppressed = pd.DataFrame(records, columns=["row", "column", "value", "reason"])
    shown_cols = [str(c) for c in body]
    settings = {
        "rule": rule,
        "threshold": threshold,
        "rounding": rounding,
        "total_rounding": total_rounding,
        "zeros_disclosive": zeros_disclosive,
        "count_columns": shown_cols,
        "suppressed": [{key: r[key] for key in ("row", "column", "reason")} for r in records],
    }
    display.attrs = {"disclosure": settings}
    # For the independent ACRO check of the disclosure gate (only when its folder is set).
    disclosure_export.export(grid.aug, grid.sup, names, shown_cols[:k], grid.row_totals, grid.col_totals, settings)
    return ProtectedTable(table=display, suppressed=suppressed, settings=settings)


def protect_table(
    frame: pd.DataFrame,
    count_columns: Sequence[Hashable] | None = None,
    threshold: int | None = None,
    rounding: int | None = None,
    totals: str | None = None,
    **kwargs,
) -> pd.DataFrame:
    """The display table of :func:`protect` (object dtype, ``"c"`` for withheld values).

    What was withheld (row, column, reason; never the value) is in
    ``result.attrs["disclosure"]``; use :func:`protect` for the full record.
    """
    return protect(frame, count_columns, threshold, rounding, totals, **kwargs).table


def protect_tables(
    tables: Mapping[str, pd.DataFrame],
    count_columns: Mapping[str, Sequence[Hashable]] | Sequence[Hashable] | None = None,
    *,
    max_rounds: int = 20,
    **kwargs,
) -> dict[str, ProtectedTable]:
    """Protect tables that share cells so that suppression is the same in all of them.

    A cell is identified by its row key (the tuple of label values, or the index) and its
    column name; a total row or column (``totals=...``) is identified in the same way, so
    two tables with the same row totals share them. Each table is protected, the cells
    withheld in any table are forced in every table holding them, and the round repeats
    until nothing changes. Cells that are sums of other tables' cells without being
    shown under the same key are not linked: publish such tables from one protected base
    table instead (the approach the book takes for the facilitator and barrier matrices).
    """
    withheld: set = set()
    results: dict[str, ProtectedTable] = {}
    for _ in range(max_rounds):
        new: set = set()
        for name, frame in tables.items():
            cols = count_columns.get(name) if isinstance(count_columns, Mapping) else count_columns
            res = protect(frame, cols, force=sorted(withheld, key=repr), **kwargs)
            results[name] = res
            new |= _withheld_keys(frame, res)
        if new <= withheld:
            return results
        withheld |= new
    raise RuntimeError("suppression across the linked tables did not settle")  # pragma: no cover


def _withheld_keys(frame: pd.DataFrame, res: ProtectedTable) -> set:
    table = res.table
    cols = res.settings["count_columns"]
    total = TOTAL
    label_columns = [c for c in frame.columns if c in table.columns and str(c) not in cols]
    keys = set()
    for pos in range(len(table)):
        if label_columns:
            key = tuple(table.iloc[pos][c] for c in label_columns)
            if key[0] == total and all(k == "" for k in key[1:]):
                key = (total,)
        else:
            k = table.index[pos]
            key = k if isinstance(k, tuple) else (k,)
            if key[0] == total:
                key = (total,)
        for c in table.columns:
            if str(c) in cols and table.iloc[pos][c] == SUPPRESSED:
                keys.add((key, c))
    return keys


def protected_shares(
    frame: pd.DataFrame,
    protected: ProtectedTable,
    count_columns: Sequence[Hashable] | None = None,
    axis: str = "row",
    decimals: int = 1,
) -> pd.DataFrame:
    """Percentages of each row's (or column's) total that give nothing away.

    A share is shown only where its count is shown and the total it divides by is shown
    (a share and its count reveal the total, so a withheld total withholds its line's
    shares). A line with no counts at all shows ``"-"``. Protect the counts with ``totals``
    covering ``axis`` so that the audit treats the totals as published.
    """
    if axis not in ("row", "column"):
        raise ValueError("axis must be 'row' or 'column'")
    cols = _count_columns(frame, count_columns)
    needed = "row" if axis == "row" else "column"
    if protected.settings.get("count_columns") is None:
        raise ValueError("protected must come from protect()")
    tab = protected.table
    has_row_tot = TOTAL in tab.columns and TOTAL not in [str(c) for c in cols]
    n = len(frame)
    has_col_tot = len(tab) > n
    if (needed == "row" and not has_row_tot) or (needed == "column" and not has_col_tot):
        raise ValueError(f"protect the counts with totals covering axis={axis!r} before computing shares")
    out = frame.copy().astype({c: object for c in cols})
    values = frame[cols].to_numpy(dtype=float)
    for i in range(n):
        for j, c in enumerate(cols):
            shown = tab.iloc[i][c] != SUPPRESSED
            if axis == "row":
                total_shown = tab.iloc[i][TOTAL] != SUPPRESSED
                denom = values[i].sum()
            else:
                total_shown = tab.iloc[n][c] != SUPPRESSED
                denom = values[:, j].sum()
            if shown and total_shown and denom > 0:
                out.iloc[i, out.columns.get_loc(c)] = float(round_half_up(100 * values[i, j] / denom, 10.0**-decimals))
            elif shown and total_shown:
                out.iloc[i, out.columns.get_loc(c)] = EMPTY
            else:
                out.iloc[i, out.columns.get_loc(c)] = SUPPRESSED
    out.attrs = {"disclosure": {"shares_of": axis, "count_columns": []}}
    return out


# ---------------------------------------------------------------------------------------
# Checking what is shown
# ---------------------------------------------------------------------------------------
_LABEL_WORDS = re.compile(
    r"(^|_|\b)(year|years|wave|month|months|age|order|rank|id|code|score|scale|item|stage|"
    r"period|quarter|lag|df|degree|week|day|days|date|level|version|decile|quintile|"
    r"percent|pct|share|rate|ratio|mean|median|sd|se|ci|p|estimate|coef|or|rr)(_|\b|$)",
    re.IGNORECASE,
)
_INT_TEXT = re.compile(r"^\s*-?\d{1,3}(,\d{3})*\s*$|^\s*-?\d+\s*$")


def _integer_value(x):
    """The integer a displayed value stands for, or None when it is not an integer count."""
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return int(x) if np.isfinite(x) and float(x).is_integer() else None
    if isinstance(x, str) and _INT_TEXT.match(x):
        return int(x.replace(",", "").strip())
    return None


def _looks_like_count_column(name, series: pd.Series) -> bool:
    text = " ".join(str(n) for n in name) if isinstance(name, tuple) else str(name)
    if _LABEL_WORDS.search(text.replace(" ", "_")):
        return False
    values = [
        v for v in series.tolist() if not (isinstance(v, str) and v.strip() in (SUPPRESSED, "", "-", "x", "z", "k"))
    ]
    values = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
    if not values:
        return False
    return all(_integer_value(v) is not None for v in values)


def assert_protected(
    frame: pd.DataFrame,
    threshold: int = 5,
    count_columns: Sequence[Hashable] | None = None,
    zeros_disclosive: bool = False,
    source: str = "table",
) -> None:
    """Raise a DataError naming every shown count of 1..threshold (a small count of people).

    Works on a table from :func:`protect_table` (its record says which columns are
    counts), on any displayed DataFrame, or on an HTML table read by
    :func:`frames_from_html`. Without ``count_columns`` and without a record, the columns
    whose shown values are all whole numbers are checked, except those whose names mark
    labels or statistics (year, wave, age, score, rate, share, ...).
    """
    record = frame.attrs.get("disclosure") if isinstance(frame.attrs, dict) else None
    if count_columns is None and record is not None:
        names = set(record.get("count_columns", []))
        count_columns = [c for c in frame.columns if str(c) in names]
    if count_columns is None:
        count_columns = [c for c in frame.columns if _looks_like_count_column(c, frame[c])]
    problems = []
    for c in count_columns:
        for pos, x in enumerate(frame[c].tolist()):
            v = _integer_value(x)
            if v is None:
                continue
            if (1 <= v <= threshold) or (zeros_disclosive and v == 0):
                label = frame.index[pos]
                problems.append(
                    Problem(
                        source,
                        "disclosure.small_count",
                        f"a count of {v} (1..{threshold}) is shown unprotected in row {label!r}",
                        column=str(c),
                        row=pos + 1,
                        value=x,
                    )
                )
    if problems:
        raise DataError(problems)
