"""Errors that name the file, column, row and rule, as every bad input must."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem with one value (or one file, when column and row do not apply)."""

    file: str
    rule: str
    message: str
    column: str | None = None
    row: int | None = None  # 1-based data row (the header is row 0)
    value: object = None

    def __str__(self) -> str:
        where = [self.file]
        if self.column is not None:
            where.append(f"column {self.column!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        shown = "" if self.value is None else f" (value {self.value!r})"
        return f"{', '.join(where)}: [{self.rule}] {self.message}{shown}"


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
