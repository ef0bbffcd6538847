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
wrong delimiter, header only, ragged rows). :func:`to_csv_text` writes a frame the way the
generator does. :mod:`innovate.data.dictionary` gives the data dictionary the Data appendix
shows.

The pieces live beside this module, which is where callers find all of them:
:mod:`~innovate.data.schema_engine` (the engine), :mod:`~innovate.data.schema_vocab` (the
allowed values), :mod:`~innovate.data.schema_rules` (the row rules) and
:mod:`~innovate.data.schema_tables` (the schemas themselves, in :data:`TABLES`).
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from innovate.data.schema_engine import Column, Table, _parse_column, text_chunks
from innovate.data.schema_tables import CASE_TABLES, MANIFEST_FILE, TABLES
from innovate.data.schema_vocab import (
    AREA_MEASURES,
    COST_CATEGORIES,
    COST_ITEMS,
    ENGAGEMENT_LEVELS,
    FRAMEWORKS,
    ORGANISATION_TYPES,
    OUTCOME_MEASURES,
    PARTICIPANT_ROLES,
    PLACEMENT_TYPES,
    PUBLIC_STATUS_CODES,
    SITE_FRAMEWORKS,
    SITE_IDS,
    STAFF_ROLES,
    STAGE_EVENT_TYPES,
    STAGES,
    SURVEY_ITEMS,
)
from innovate.errors import Problem, listed, more_rows

#: What callers find here: the vocabularies and schemas (defined beside this module) and
#: reading, validating and writing with them.
__all__ = [
    "SITE_IDS",
    "FRAMEWORKS",
    "SITE_FRAMEWORKS",
    "AREA_MEASURES",
    "STAGES",
    "STAGE_EVENT_TYPES",
    "STAFF_ROLES",
    "PLACEMENT_TYPES",
    "COST_CATEGORIES",
    "COST_ITEMS",
    "PARTICIPANT_ROLES",
    "SURVEY_ITEMS",
    "ORGANISATION_TYPES",
    "ENGAGEMENT_LEVELS",
    "OUTCOME_MEASURES",
    "PUBLIC_STATUS_CODES",
    "CASE_TABLES",
    "MANIFEST_FILE",
    "TABLES",
    "Column",
    "Table",
    "get",
    "validate_frame",
    "check_foreign_keys",
    "read_table",
    "validate_public",
    "to_csv_text",
]

# --------------------------------------------------------------------------------------
# Validating and reading
# --------------------------------------------------------------------------------------


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
