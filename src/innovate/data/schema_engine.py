"""The schema engine: column and table definitions, and reading a CSV file with file-level faults reported first.

The case-level schemas themselves are registered in :mod:`innovate.data.schema_tables` (and
found through :mod:`innovate.data.schemas`)."""

from __future__ import annotations

import codecs
import csv
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.errors import LISTED_PER_RULE, Problem, listed, more_rows

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


def _parse_column(col: Column, text: pd.Series, file: str, offset: int = 0) -> tuple[pd.Series, list[Problem]]:
    """Parse one column of text cells into its kind; return the values and the problems.

    ``offset``: data rows before the first of ``text`` (when a file is read in chunks).
    """
    problems: list[Problem] = []
    stripped = text.str.strip()
    empty = stripped == ""

    def bad(mask: np.ndarray, rule: str, message: str, values: pd.Series) -> None:
        rows, more = listed(np.flatnonzero(mask))
        for i in rows:
            problems.append(Problem(file, rule, message, col.name, offset + int(i) + 1, _short(values.iloc[i])))
        if more:
            problems.append(more_rows(file, rule, col.name, more))

    if not col.nullable:
        bad(empty.to_numpy(), "not-null", "a value is required", stripped)

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
        # re.ASCII: \\d means the digits 0-9 only, not Arabic-Indic or full-width digits.
        mismatch = present & ~values.str.fullmatch(col.pattern, flags=re.ASCII).fillna(False).to_numpy()
        bad(mismatch, "pattern", f"does not match the pattern {col.pattern} (ASCII letters and digits)", stripped)
    out = values.where(present, None) if col.nullable else values
    return out.astype(str) if not col.nullable else out, problems


# --------------------------------------------------------------------------------------
# Reading files: file-level faults first, then the schema
# --------------------------------------------------------------------------------------


#: Rows parsed and checked at a time, so that memory grows with the typed table, not with
#: the text of the file (a 190 MB file once took 3.9 GB read whole).
CHUNK_ROWS = 200_000
#: The longest cell the reader accepts (the longest legitimate cell of the contract is a
#: few dozen characters; a stray unclosed quote swallows the rest of the file into one).
MAX_FIELD = 1 << 16

_KINDS_OF_PATH = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def regular_file(path: Path, file: str) -> Problem | None:
    """None when ``path`` is a regular file that can be read; otherwise the problem.

    Checked without following links and before opening, so that a named pipe or a device
    where a CSV should be is reported instead of blocking the reader for ever.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Problem(file, "missing-file", "file not found")
    except OSError as err:
        return Problem(file, "unreadable", f"the file cannot be examined ({err.strerror or type(err).__name__})")
    if stat.S_ISLNK(info.st_mode):
        return Problem(file, "not-a-file", "is a symbolic link, not a file; copy the file itself into the folder")
    for test, what in _KINDS_OF_PATH:
        if test(info.st_mode):
            return Problem(file, "not-a-file", f"is {what}, not a file")
    if not stat.S_ISREG(info.st_mode):
        return Problem(file, "not-a-file", "is not a regular file")
    if not os.access(path, os.R_OK):
        return Problem(file, "unreadable", "the file cannot be read (permission denied)")
    return None


def _encoding_problem(path: Path, file: str) -> Problem | None:
    """Check the whole file is UTF-8 (a UTF-8 byte-order mark allowed), reading it in blocks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lines = 0
    with open(path, "rb") as handle:
        first = handle.read(4)
        for bom, name in _OTHER_BOMS:
            if first.startswith(bom):
                return Problem(
                    file,
                    "encoding",
                    f"the file is {name} (it starts with a {name} byte-order mark); save it as UTF-8",
                    row=0,
                    value=first[: len(bom)].hex(),
                )
        block = first
        while True:
            if b"\x00" in block:
                at = offset + block.index(b"\x00")
                return Problem(
                    file,
                    "encoding",
                    f"a NUL byte at byte offset {at}: this is not a text file (or it is UTF-16 without a "
                    "byte-order mark); save it as UTF-8 text",
                    row=lines + block[: block.index(b"\x00")].count(b"\n"),
                    value="0x00",
                )
            held = decoder.getstate()[0]  # the start of a character cut by the previous block
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as err:
                data = held + block
                at = offset - len(held) + err.start
                bad = data[err.start] if err.start < len(data) else 0
                line = lines + data[: err.start].count(b"\n") - held.count(b"\n")
                return Problem(
                    file,
                    "encoding",
                    f"not valid UTF-8: byte 0x{bad:02x} at byte offset {at} (data row {line}); save the file as UTF-8",
                    row=line,
                    value=f"0x{bad:02x}",
                )
            if not block:
                return None
            offset += len(block)
            lines += block.count(b"\n")
            block = handle.read(1 << 20)


def text_chunks(path: Path, file: str | None = None, chunk_rows: int = CHUNK_ROWS):
    """Read a CSV as text cells in chunks, reporting file-level faults instead of raising.

    Returns ``(header, chunks, problems)``: ``chunks`` is a generator of ``(offset, frame)``
    (``offset`` = data rows before the chunk) or None when the file cannot be read at all;
    ``problems`` grows while the chunks are read. Catches: missing file, something other
    than a file (folder, link, named pipe, device), unreadable, empty, not UTF-8 (UTF-16,
    NUL bytes), a delimiter other than a comma, header only, ragged rows, unclosed quotes,
    oversized fields. Every line ending (``\\n``, ``\\r\\n``, ``\\r``) is accepted.
    """
    path = Path(path)
    file = file or path.name
    problem = regular_file(path, file)
    if problem is not None:
        return None, None, [problem]
    try:
        if path.stat().st_size == 0:
            return (
                None,
                None,
                [Problem(file, "empty-file", "file is empty (0 bytes); expected a header row and data rows")],
            )
        problem = _encoding_problem(path, file)
    except OSError as err:
        return None, None, [Problem(file, "unreadable", f"the file cannot be read ({err.strerror or 'error'})")]
    if problem is not None:
        return None, None, [problem]
    handle = open(path, encoding="utf-8-sig", newline=None)  # newline=None: \r\n and \r read as \n
    reader = csv.reader(handle, strict=True)
    problems: list[Problem] = []
    try:
        first = next(reader, None)
    except csv.Error as err:
        handle.close()
        return None, None, [_csv_problem(file, err, 0)]
    if first is None or not any(cell.strip() for cell in first):
        handle.close()
        return None, None, [Problem(file, "empty-file", "no header row")]
    if len(first) == 1:
        for delimiter, name in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if delimiter in first[0]:
                handle.close()
                return (
                    None,
                    None,
                    [
                        Problem(
                            file,
                            "delimiter",
                            f"the header is separated by {name}s ({delimiter!r}), not commas; "
                            "save the file as comma-separated",
                            row=0,
                            value=_short(first[0]),
                        )
                    ],
                )
    header = [h.strip() for h in first]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            problems.append(Problem(file, "duplicate-column", "column name appears twice in the header", name, 0))
        seen.add(name)
    if problems:
        handle.close()
        return None, None, problems

    def chunks():
        width = len(header)
        rows: list[list[str]] = []
        offset = 0  # data rows yielded so far
        pending_blank = 0  # blank lines not yet known to be trailing
        row_no = 0
        ragged_shown = 0
        ragged_total = 0
        limit = LISTED_PER_RULE.get()
        try:
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as err:
                    problems.append(_csv_problem(file, err, row_no + pending_blank + 1))
                    break
                if not row or (len(row) == 1 and row[0] == ""):
                    pending_blank += 1
                    continue
                for _ in range(pending_blank):  # a blank line inside the data is a row of no fields
                    row_no += 1
                    problems.append(
                        Problem(file, "field-count", f"row is blank, the header has {width} fields", row=row_no)
                    )
                    rows.append([""] * width)
                pending_blank = 0
                row_no += 1
                if max(map(len, row)) > MAX_FIELD:
                    problems.append(
                        Problem(
                            file,
                            "oversized-field",
                            f"a field longer than {MAX_FIELD:,} characters (an unclosed quote?)",
                            row=row_no,
                            value=_short(max(row, key=len)),
                        )
                    )
                    row = [cell if len(cell) <= MAX_FIELD else "" for cell in row]
                if len(row) != width:
                    ragged_total += 1
                    if limit is None or ragged_shown < limit:
                        ragged_shown += 1
                        problems.append(
                            Problem(
                                file,
                                "field-count",
                                f"row has {len(row)} fields, the header has {width}"
                                + ("; a field may hold an unquoted comma" if len(row) > width else ""),
                                row=row_no,
                                value=_short(",".join(row)),
                            )
                        )
                    row = (row + [""] * width)[:width]
                rows.append(row)
                if len(rows) >= chunk_rows:
                    yield offset, pd.DataFrame(rows, columns=range(width), dtype=object).set_axis(header, axis=1)
                    offset = row_no
                    rows = []
            if rows:
                yield offset, pd.DataFrame(rows, columns=range(width), dtype=object).set_axis(header, axis=1)
            if ragged_total > ragged_shown:
                problems.append(more_rows(file, "field-count", None, ragged_total - ragged_shown))
            if row_no == 0 and not any(p.rule in ("csv-syntax", "oversized-field") for p in problems):
                problems.append(Problem(file, "no-rows", "header only: the file has no data rows"))
        finally:
            handle.close()

    return header, chunks(), problems


def _csv_problem(file: str, err: csv.Error, row: int) -> Problem:
    text = str(err)
    if "field larger than field limit" in text:
        return Problem(
            file, "oversized-field", "a field is too long to be a cell of this table (an unclosed quote?)", row=row
        )
    if "unexpected end of data" in text:
        return Problem(
            file,
            "csv-syntax",
            "a quote opened at or after this row is never closed; the rest of the file is unread",
            row=row,
        )
    return Problem(file, "csv-syntax", f"not valid CSV: {text}; the rest of the file is unread", row=row)


def read_text(path: Path, file: str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read a whole CSV as text cells (see :func:`text_chunks` for the faults caught)."""
    header, chunks, problems = text_chunks(path, file)
    if chunks is None:
        return None, problems
    frames = [frame for _, frame in chunks]
    if not frames:
        return pd.DataFrame({h: pd.Series([], dtype=object) for h in dict.fromkeys(header)}), problems
    return pd.concat(frames, ignore_index=True), problems
