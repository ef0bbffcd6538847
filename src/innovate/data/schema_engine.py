"""The schema engine: column and table definitions, and reading a CSV file with file-level faults reported first.

The case-level schemas themselves are registered in :mod:`innovate.data.schemas`."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.errors import Problem

KINDS = ("int", "float", "str", "date", "bool01")

# --------------------------------------------------------------------------------------
# The engine
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: type, emptiness, ranges, allowed values and what it means."""

    name: str
    kind: str
    description: str
    unit: str = ""
    nullable: bool = False
    min: float | str | None = None  # a date column gives ISO dates
    max: float | str | None = None
    #: values above this are rejected as implausible (an absurd number, not a range rule)
    plausible_max: float | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    #: decimals used when the generator writes the column (floats only)
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}; use one of {KINDS}")


Check = Callable[[pd.DataFrame, str], list[Problem]]


@dataclass(frozen=True)
class Table:
    """One dataset: its file, columns, unique key, foreign keys and row rules."""

    name: str
    file: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()
    checks: tuple[tuple[str, str, Check], ...] = ()  # (rule, description, function)
    sort_by: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def _short(value: object) -> object:
    if isinstance(value, str) and len(value) > 60:
        return value[:57] + "..."
    return value


_NAN_TEXT = ("nan", "+nan", "-nan")
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _parse_column(col: Column, text: pd.Series, file: str) -> tuple[pd.Series, list[Problem]]:
    """Parse one column of text cells into its kind; return the values and the problems."""
    problems: list[Problem] = []
    stripped = text.str.strip()
    empty = stripped == ""
    if not col.nullable and empty.any():
        for i in np.flatnonzero(empty.to_numpy()):
            problems.append(Problem(file, "not-null", "a value is required", col.name, int(i) + 1, ""))

    def bad(mask: np.ndarray, rule: str, message: str, values: pd.Series) -> None:
        for i in np.flatnonzero(mask):
            problems.append(Problem(file, rule, message, col.name, int(i) + 1, _short(values.iloc[i])))

    if col.kind in ("int", "float", "bool01"):
        number = pd.to_numeric(stripped.where(~empty, None), errors="coerce").astype(float)
        nan_text = stripped.str.lower().isin(_NAN_TEXT).to_numpy()
        bad(nan_text, "not-finite", "not-a-number value", stripped)
        unparsed = (number.isna() & ~empty).to_numpy() & ~nan_text
        what = {"int": "a whole number", "float": "a number", "bool01": "0 or 1"}[col.kind]
        bad(unparsed, "type", f"not {what}", stripped)
        finite = np.isfinite(number.to_numpy(dtype=float, na_value=np.nan))
        present = (~number.isna()).to_numpy()
        bad(present & ~finite, "not-finite", "infinite or not-a-number value", stripped)
        ok = present & finite
        values = number.to_numpy(dtype=float, na_value=np.nan)
        if col.kind in ("int", "bool01"):
            nonint = ok & (np.floor(np.where(ok, values, 0.0)) != np.where(ok, values, 0.0))
            bad(nonint, "type", f"not {what}", stripped)
        if col.kind == "bool01":
            bad(ok & ~np.isin(values, [0.0, 1.0]), "allowed-values", "must be 0 or 1", stripped)
        if col.plausible_max is not None:
            bad(
                ok & (values > col.plausible_max),
                "implausible-value",
                f"implausibly large (above {col.plausible_max:g}{' ' + col.unit if col.unit else ''})",
                stripped,
            )
        if col.min is not None:
            bad(
                ok & (values < col.min),
                "range",
                f"below the minimum {col.min:g}" + (" (negative count)" if col.min == 0 and col.kind == "int" else ""),
                stripped,
            )
        if col.max is not None:
            bad(ok & (values > col.max), "range", f"above the maximum {col.max:g}", stripped)
        if col.kind == "float":
            parsed = pd.Series(values, index=text.index, name=col.name)
        else:
            has_na = np.isnan(values).any()
            if has_na or not ok.all() or np.abs(np.where(ok, values, 0.0)).max(initial=0.0) >= 2.0**62:
                parsed = pd.Series(np.where(ok, values, np.nan), index=text.index, name=col.name)
            else:
                parsed = pd.Series(values.astype(np.int64), index=text.index, name=col.name)
        return parsed, problems

    if col.kind == "date":
        shape_ok = stripped.str.match(_DATE_TEXT).fillna(False).to_numpy()
        parsed = pd.to_datetime(stripped.where(shape_ok, None), format="%Y-%m-%d", errors="coerce")
        invalid = (~empty).to_numpy() & (~shape_ok | parsed.isna().to_numpy())
        bad(invalid, "type", "not a date in ISO form YYYY-MM-DD", stripped)
        ok = (~parsed.isna()).to_numpy()
        if col.min is not None or col.max is not None:
            lo = pd.Timestamp(col.min) if col.min is not None else None
            hi = pd.Timestamp(col.max) if col.max is not None else None
            if lo is not None:
                bad(ok & (parsed < lo).to_numpy(), "range", f"before {lo.date()}", stripped)
            if hi is not None:
                bad(ok & (parsed > hi).to_numpy(), "range", f"after {hi.date()}", stripped)
        parsed.name = col.name
        return parsed, problems

    # str
    values = stripped.astype(str)
    present = (~empty).to_numpy()
    if col.allowed is not None:
        outside = present & ~values.isin(col.allowed).to_numpy()
        shown = ", ".join(col.allowed) if len(col.allowed) <= 8 else ", ".join(col.allowed[:8]) + ", ..."
        label = "unknown site" if col.name == "site_id" else "unknown category"
        bad(outside, "allowed-values", f"{label}; allowed: {shown}", stripped)
    if col.pattern is not None:
        mismatch = present & ~values.str.fullmatch(col.pattern).fillna(False).to_numpy()
        bad(mismatch, "pattern", f"does not match the pattern {col.pattern}", stripped)
    out = values.where(present, None) if col.nullable else values
    return out.astype(str) if not col.nullable else out, problems


# --------------------------------------------------------------------------------------
# Reading files: file-level faults first, then the schema
# --------------------------------------------------------------------------------------


def read_text(path: Path, file: str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a CSV as text cells, reporting file-level faults instead of raising.

    Catches: missing file, empty (0 bytes), not UTF-8, a delimiter other than a comma,
    header only, ragged rows (a row with more or fewer fields than the header).
    """
    path = Path(path)
    file = file or path.name
    if not path.exists():
        return None, [Problem(file, "missing-file", "file not found")]
    raw = path.read_bytes()
    if len(raw) == 0:
        return None, [Problem(file, "empty-file", "file is empty (0 bytes); expected a header row and data rows")]
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n")
        return None, [
            Problem(
                file,
                "encoding",
                f"not valid UTF-8: byte 0x{raw[err.start]:02x} at byte offset {err.start} "
                f"(data row {line}); save the file as UTF-8",
                row=line,
                value=f"0x{raw[err.start]:02x}",
            )
        ]
    lines = content.splitlines()
    header_line = lines[0] if lines else ""
    if "," not in header_line:
        for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if delimiter in header_line:
                return None, [
                    Problem(
                        file,
                        "delimiter",
                        f"the header is separated by {name}s ({delimiter!r}), not commas; "
                        "save the file as comma-separated",
                        row=0,
                        value=_short(header_line),
                    )
                ]
    rows = list(csv.reader(io.StringIO(content)))
    if not rows or not any(cell.strip() for cell in rows[0]):
        return None, [Problem(file, "empty-file", "no header row")]
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    # Blank trailing lines are not data.
    while body and (not body[-1] or all(c == "" for c in body[-1])) and len(body[-1]) <= 1:
        body.pop()
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(file, "duplicate-column", "column name appears twice in the header", name, 0))
        seen.add(name)
    if not body:
        problems.append(Problem(file, "no-rows", "header only: the file has no data rows"))
        return pd.DataFrame({h: pd.Series([], dtype=object) for h in dict.fromkeys(header)}), problems
    width = len(header)
    good = []
    for i, row in enumerate(body, start=1):
        if len(row) != width:
            problems.append(
                Problem(
                    file,
                    "field-count",
                    f"row has {len(row)} fields, the header has {width}"
                    + ("; a field may hold an unquoted comma" if len(row) > width else ""),
                    row=i,
                    value=_short(",".join(row)),
                )
            )
            row = (row + [""] * width)[:width]
        good.append(row)
    if problems and any(p.rule == "duplicate-column" for p in problems):
        return None, problems
    frame = pd.DataFrame(good, columns=header, dtype=object)
    return frame, problems
