"""Load the case-level tables, validated against their schemas.

The folder is :func:`innovate.data.paths.case_data_dir` (``$INNOVATE_DATA_DIR`` or the
committed synthetic set), so a research team with the study's real extract points the
book at it with one setting. Every table is checked against :mod:`innovate.data.schemas`
before it is returned; a file that breaks a rule raises
:class:`innovate.errors.DataError` listing every problem (file, column, row, value,
rule) and nothing is returned from it.

Frames come back typed: dates as ``datetime64``, categories and identifiers as ``str``,
counts as ``int64`` (as ``float64`` with NaN where a count may be empty, e.g. outcomes
of a young person lost to follow-up), 0/1 flags as ``int64``.

Results are cached per (folder, table) and invalidated when the file changes; callers
receive a copy-on-write copy, so changing a returned frame never changes the cache.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from innovate.data import schemas
from innovate.data.paths import case_data_dir, reference_dir
from innovate.errors import DataError, Problem

TABLE_NAMES: tuple[str, ...] = schemas.CASE_TABLES

_CACHE: dict[tuple[str, str], tuple[tuple[int, int], pd.DataFrame]] = {}


def _folder(folder: Path | str | None) -> Path:
    return Path(folder).resolve() if folder is not None else case_data_dir()


def _stamp(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_mtime_ns, st.st_size)


def known_codes(folder: Path | None = None) -> set[str] | None:
    """The codes of the reference codebook, or None when the codebook is absent."""
    path = (folder or reference_dir()) / "codebook.csv"
    if not path.exists():
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return set(frame["code"].astype(str))


def check_codes(frame: pd.DataFrame, file: str, codes: set[str] | None = None) -> list[Problem]:
    """Every code of coded segments is in the reference codebook."""
    codes = known_codes() if codes is None else codes
    if codes is None or "code" not in frame.columns:
        return []
    bad = ~frame["code"].isin(codes)
    return [
        Problem(file, "codebook", "code not in data/reference/codebook.csv", "code", int(i) + 1, frame["code"].iloc[i])
        for i in bad.to_numpy().nonzero()[0]
    ]


def read(name: str, folder: Path | str | None = None) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read and check one table without raising: ``(frame or None, problems)``."""
    table = schemas.get(name)
    path = _folder(folder) / table.file
    frame, problems = schemas.read_table(table, path, file=table.file)
    if frame is not None and table.name == "coded_segments":
        problems += check_codes(frame, table.file)
    return frame, problems


def load(name: str, folder: Path | str | None = None) -> pd.DataFrame:
    """One case-level table, validated and typed (see the module docstring).

    ``name`` is a table name such as ``'young_people'`` (or its file name). Raises
    ``DataError`` with every problem when the file breaks its schema.
    """
    table = schemas.get(name)
    base = _folder(folder)
    path = base / table.file
    key = (str(base), table.name)
    if path.exists():
        stamp = _stamp(path)
        hit = _CACHE.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[1].copy(deep=False)
    frame, problems = read(table.name, base)
    if problems or frame is None:
        raise DataError(problems or [Problem(table.file, "unreadable", "the file could not be read")])
    _CACHE[key] = (_stamp(path), frame)
    return frame.copy(deep=False)


def load_all(folder: Path | str | None = None) -> dict[str, pd.DataFrame]:
    """Every case-level table, each validated, plus the cross-table keys.

    Raises one ``DataError`` listing the problems of every table (not only the first).
    """
    base = _folder(folder)
    frames: dict[str, pd.DataFrame] = {}
    problems: list[Problem] = []
    for name in TABLE_NAMES:
        try:
            frames[name] = load(name, base)
        except DataError as err:
            problems.extend(err.problems)
    for name, frame in frames.items():
        problems.extend(schemas.check_foreign_keys(schemas.get(name), frame, frames))
    if problems:
        raise DataError(problems)
    return frames


def manifest(folder: Path | str | None = None) -> dict:
    """The generator's ``manifest.json`` (seed, true parameters, checksums) as a dict.

    Raises ``FileNotFoundError`` when the folder holds no manifest (a real extract has
    none; see :func:`innovate.data.paths.is_synthetic`).
    """
    path = _folder(folder) / schemas.MANIFEST_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{schemas.MANIFEST_FILE} not found in the data folder: it holds no generator manifest (real data?)"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def clear_cache() -> None:
    """Forget every cached table."""
    _CACHE.clear()
