"""Check a folder of case-level files before the book runs on it.

For an analyst holding a real extract: ``python -m innovate validate DIR`` checks every
file of the contract against its schema (:mod:`innovate.data.schemas`), then the keys across
tables (every young person in outcomes, service activity and placements exists in the
cohort with the same site; every code of the coded segments is in the reference
codebook), and, when a ``manifest.json`` is present (synthetic data), its checksums.

It prints every problem as ``file, column, row, value, rule: message`` and exits 0 only
when everything passes. It only reads: nothing in the folder is changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from innovate.data import dictionary, schemas
from innovate.data.casedata import check_codes, known_codes
from innovate.errors import Problem


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


def format_problem(p: Problem) -> str:
    """``file, column, row, value, rule: message`` ('-' where a part does not apply)."""
    column = p.column if p.column is not None else "-"
    row = str(p.row) if p.row is not None else "-"
    value = "-" if p.value is None else repr(p.value) if isinstance(p.value, str) else str(p.value)
    return f"{p.file}, {column}, {row}, {value}, {p.rule}: {p.message}"


def validate_folder(folder: Path | str, codebook_folder: Path | None = None) -> Report:
    """Check every case-level file in ``folder``; never modifies anything."""
    start = time.perf_counter()
    folder = Path(folder)
    report = Report(folder=folder)
    if not folder.is_dir():
        report.problems.append(Problem(str(folder), "missing-folder", "not a folder"))
        report.seconds = time.perf_counter() - start
        return report
    frames: dict[str, pd.DataFrame] = {}
    codes = known_codes(codebook_folder)
    for name in schemas.CASE_TABLES:
        table = schemas.get(name)
        frame, problems = schemas.read_table(table, folder / table.file, file=table.file)
        if frame is not None:
            report.rows[table.file] = len(frame)
            frames[name] = frame
            if name == "coded_segments":
                problems += check_codes(frame, table.file, codes)
        report.problems.extend(problems)
    for name, frame in frames.items():
        report.problems.extend(schemas.check_foreign_keys(schemas.get(name), frame, frames))
    manifest = folder / schemas.MANIFEST_FILE
    if manifest.exists():
        _, problems = dictionary.validate_manifest(manifest, folder)
        report.problems.extend(problems)
    known = {schemas.get(n).file for n in schemas.CASE_TABLES} | {schemas.MANIFEST_FILE, "README.md"}
    report.ignored = sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in known)
    report.seconds = time.perf_counter() - start
    return report
