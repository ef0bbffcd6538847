"""Errors that name the file, column, row and rule, as every bad input must."""

from __future__ import annotations

import os
import re
import unicodedata
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

#: How many problems of one file, column and rule a check lists before it only counts the
#: rest (None: list all). The validator sets it so that a file with a million bad cells
#: gives a short report and does not build a million problem records.
LISTED_PER_RULE: ContextVar[int | None] = ContextVar("LISTED_PER_RULE", default=None)

#: Characters shown as themselves in a report: printable ASCII. Everything else is written
#: as ``<U+XXXX NAME>`` (or ``\xNN`` for control bytes), so that a terminal escape, a
#: carriage return or a newline in a file name or cell cannot forge a report line, and a
#: Cyrillic "а" or a zero-width space cannot pass for what it imitates.
_PLAIN = re.compile(r"[ -~]*")
#: Letters with accents (é, ü, ...) are kept readable; they imitate nothing in the contract.
_LATIN_LETTER = re.compile(r"LATIN (SMALL|CAPITAL) LETTER [A-Z]+ WITH ")


def visible(text: object) -> str:
    """``text`` with every control, invisible or look-alike character spelt out visibly."""
    text = str(text)
    if _PLAIN.fullmatch(text):
        return text
    out = []
    for ch in text:
        if " " <= ch <= "~":
            out.append(ch)
            continue
        code = ord(ch)
        name = unicodedata.name(ch, "")
        if code < 0x20 or 0x7F <= code <= 0x9F:  # C0 and C1 controls, DEL
            out.append(f"\\x{code:02x}")
        elif _LATIN_LETTER.match(name) and unicodedata.category(ch) in ("Ll", "Lu"):
            out.append(ch)
        else:
            out.append(f"<U+{code:04X}{' ' + name if name else ''}>")
    return "".join(out)


def is_identifier(column: object) -> bool:
    """Whether a column holds identifiers (``person_id``, ``placement_id``, ...).

    A message that can reach a build log or a traceback never prints such a value: it may
    be a young person's identifier. The validator's own report (``python -m innovate
    validate``), read by the analyst inside the secure environment, still shows it.
    """
    name = str(column).strip().lower()
    return name == "id" or name.endswith("_id")


#: The variable naming the case-level data folder (as innovate.data.paths reads it).
_DATA_DIR_VARIABLE = "INNOVATE_DATA_DIR"


def shown_path(file: object) -> str:
    """A file as a message names it: never an absolute path.

    A path inside the case-level data folder is given relative to it (the folder's own
    location may name a project, a person or a secure server); any other absolute path by
    its file name. Names that are already relative (``young_people.csv``) are kept.
    """
    text = str(file)
    path = Path(text)
    if not path.is_absolute():
        return text
    folder = os.environ.get(_DATA_DIR_VARIABLE)
    if folder:
        try:
            inside = path.resolve().relative_to(Path(folder).resolve())
        except (ValueError, OSError):
            pass
        else:
            return f"${_DATA_DIR_VARIABLE}/{inside.as_posix()}" if inside.parts else f"${_DATA_DIR_VARIABLE}"
    return path.name


@dataclass(frozen=True)
class Problem:
    """One problem with one value (or one file, when column and row do not apply)."""

    file: str
    rule: str
    message: str
    column: str | None = None
    row: int | None = None  # 1-based data row (the header is row 0)
    value: object = None
    #: When not 0, this line stands for ``more`` problems of the rule that were not listed.
    more: int = 0

    def __str__(self) -> str:
        # What a DataError says, and so what a failed chapter's traceback prints: file,
        # column, row and rule, never an identifier's value nor an absolute path.
        where = [visible(shown_path(self.file))]
        if self.column is not None:
            where.append(f"column {visible(repr(self.column))}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.value is None:
            shown = ""
        elif is_identifier(self.column):
            shown = " (value withheld: an identifier)"
        else:
            shown = f" (value {visible(repr(self.value))})"
        return f"{', '.join(where)}: [{visible(self.rule)}] {visible(self.message)}{shown}"


def more_rows(file: str, rule: str, column: str | None, count: int) -> Problem:
    """The line that stands for ``count`` problems of one rule that were not listed."""
    return Problem(file, rule, f"... and {count:,} more with this rule, not listed", column, more=count)


def listed(indices, limit: int | None = None):
    """The first of ``indices`` to list under the current cap, and how many are left over."""
    limit = LISTED_PER_RULE.get() if limit is None else limit
    if limit is None or len(indices) <= limit:
        return indices, 0
    return indices[:limit], len(indices) - limit


def cap(problems: list[Problem], limit: int | None) -> list[Problem]:
    """At most ``limit`` problems per file, column and rule, the rest folded into one count line each."""
    if limit is None:
        return list(problems)
    shown: dict[tuple, int] = {}
    extra: dict[tuple, int] = {}
    out = []
    for p in problems:
        key = (p.file, p.column, p.rule)
        if p.more:
            extra[key] = extra.get(key, 0) + p.more
        elif shown.get(key, 0) < limit:
            shown[key] = shown.get(key, 0) + 1
            out.append(p)
        else:
            extra[key] = extra.get(key, 0) + 1
    out += [more_rows(file, rule, column, n) for (file, column, rule), n in extra.items()]
    return out


class DataError(ValueError):
    """Raised when input breaks a rule; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        head = "\n".join(str(p) for p in self.problems[:20])
        more = "" if len(self.problems) <= 20 else f"\n... and {len(self.problems) - 20} more"
        super().__init__(f"{len(self.problems)} problem(s):\n{head}{more}")


#: The rule a missing column breaks, wherever it is found (schema checks, loaders, estimators).
MISSING_COLUMN = "missing-column"


def missing_columns(
    frame, columns: list[str] | tuple[str, ...], file: str, message: str = "required column not in the data"
) -> list[Problem]:
    """One ``missing-column`` problem for each of ``columns`` that ``frame`` lacks (for checks that
    collect every problem before raising). ``frame`` is anything with ``.columns``."""
    present = set(frame.columns)
    return [Problem(file, MISSING_COLUMN, message, column=c) for c in columns if c not in present]


def require_columns(
    frame, columns: list[str] | tuple[str, ...], file: str, message: str = "required column not in the data"
) -> None:
    """Raise ``DataError`` naming every column of ``columns`` that ``frame`` lacks (rule ``missing-column``)."""
    problems = missing_columns(frame, columns, file, message)
    if problems:
        raise DataError(problems)


#: The rule a table with no rows breaks where a section computes numbers from it.
NO_ROWS = "no-rows"


def require_table(frame, columns: list[str] | tuple[str, ...], file: str) -> None:
    """:func:`require_columns`, and at least one row: a section computed from an empty table
    would state numbers about nothing (rule ``no-rows``)."""
    problems = missing_columns(frame, columns, file)
    if not problems and len(frame) == 0:
        problems = [Problem(file, NO_ROWS, "the table has no rows")]
    if problems:
        raise DataError(problems)
