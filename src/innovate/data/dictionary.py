"""The data dictionary and the synthetic-data manifest: what each case-level column means, and the check of ``manifest.json``."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from innovate.data.schemas import CASE_TABLES, MANIFEST_FILE, SITE_IDS, get
from innovate.errors import Problem

# --------------------------------------------------------------------------------------
# manifest.json
# --------------------------------------------------------------------------------------

MANIFEST_KEYS: dict[str, str] = {
    "seed": "the generator's seed (int)",
    "generator": "name of the generator",
    "generator_version": "version of the generator",
    "sites": "per-site true parameters (ITS level and slope change per measure, cohort arm effects, ...)",
    "files": "per file: sha256 checksum and number of data rows",
}


def manifest_dictionary() -> pd.DataFrame:
    """The required keys of ``manifest.json`` (synthetic data only) and what each holds."""
    return pd.DataFrame({"key": list(MANIFEST_KEYS), "description": list(MANIFEST_KEYS.values())})


#: The largest manifest the checker reads (the generator's is about 50 kB).
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def _safe_name(name: object) -> str | None:
    """Why a file name in the manifest is refused, or None when it names a file in the folder itself."""
    if not isinstance(name, str) or not name:
        return "a file name must be non-empty text"
    if "/" in name or "\\" in name or name in (".", "..") or "\x00" in name:
        return "a file name must name a file in the folder itself (no '/', '\\', '..' or absolute paths)"
    return None


def validate_manifest(
    path: Path, folder: Path | None = None, file: str = MANIFEST_FILE
) -> tuple[dict | None, list[Problem]]:
    """Check ``manifest.json``: valid JSON, required keys, six sites, every checksum and row count,
    and that it lists every file of the contract in the folder.

    File names that would leave the folder (``../x``, ``/etc/passwd``, ``sub/x``) are refused
    without being opened; checksums may be written in upper or lower case.
    """
    from innovate.data.schema_engine import regular_file

    path = Path(path)
    folder = Path(folder) if folder is not None else path.parent
    problem = regular_file(path, file)
    if problem is not None:
        return None, [problem]
    try:
        size = path.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            return None, [
                Problem(
                    file,
                    "oversized-file",
                    f"the manifest is {size:,} bytes; a manifest is at most {MAX_MANIFEST_BYTES:,}",
                )
            ]
        raw = path.read_bytes()
    except OSError as err:
        return None, [Problem(file, "unreadable", f"the file cannot be read ({err.strerror or 'error'})")]
    if not raw:
        return None, [Problem(file, "empty-file", "file is empty (0 bytes)")]
    try:
        manifest = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        return None, [Problem(file, "encoding", f"not valid UTF-8 at byte offset {err.start}")]
    except json.JSONDecodeError as err:
        return None, [
            Problem(file, "json", f"not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})", row=err.lineno)
        ]
    except (RecursionError, ValueError) as err:  # nesting too deep, numbers too long
        return None, [Problem(file, "json", f"not usable JSON: {type(err).__name__}")]
    problems = []
    if not isinstance(manifest, dict):
        return None, [Problem(file, "json", "the manifest must be a JSON object")]
    for key, meaning in MANIFEST_KEYS.items():
        if key not in manifest:
            problems.append(Problem(file, "missing-key", f"required key missing: {meaning}", key))
    if "seed" in manifest and not (isinstance(manifest["seed"], int) and not isinstance(manifest["seed"], bool)):
        problems.append(Problem(file, "type", "seed must be an integer", "seed", value=_brief(manifest["seed"])))
    sites = manifest.get("sites")
    if "sites" in manifest and not isinstance(sites, dict):
        problems.append(Problem(file, "type", "sites must be an object keyed by site", "sites"))
    if isinstance(sites, dict):
        for site in SITE_IDS:
            if site not in sites:
                problems.append(
                    Problem(file, "missing-key", f"no true parameters for site {site}", "sites", value=site)
                )
        for site in sites:
            if site not in SITE_IDS:
                problems.append(Problem(file, "allowed-values", "unknown site", "sites", value=_brief(site)))
    files = manifest.get("files")
    if "files" in manifest and not isinstance(files, dict):
        problems.append(Problem(file, "type", "files must be an object: file name -> {sha256, rows}", "files"))
    if isinstance(files, dict):
        problems += _check_files(files, folder, file)
    return manifest, problems


def _brief(value: object) -> object:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_files(files: dict, folder: Path, file: str) -> list[Problem]:
    import hashlib

    from innovate.data.schema_engine import regular_file

    def sha256(path: Path) -> str:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    problems = []
    for name, entry in sorted(files.items(), key=lambda item: str(item[0])):
        why = _safe_name(name)
        if why is not None:
            problems.append(Problem(file, "manifest-path", why, "files", value=_brief(name)))
            continue
        if not isinstance(entry, dict):
            problems.append(
                Problem(file, "type", "each file entry must be an object {sha256, rows}", "files", value=name)
            )
            continue
        expected = entry.get("sha256")
        if not (isinstance(expected, str) and _SHA256.fullmatch(expected)):
            problems.append(Problem(file, "checksum", "sha256 must be 64 hexadecimal digits", "files", value=name))
            expected = None
        rows = entry.get("rows")
        if "rows" in entry and not (isinstance(rows, int) and not isinstance(rows, bool) and rows >= 0):
            problems.append(Problem(file, "type", "rows must be a whole number >= 0", "files", value=name))
            rows = None
        target = folder / name
        missing = regular_file(target, name)
        if missing is not None and missing.rule == "missing-file":
            problems.append(
                Problem(file, "checksum", "the manifest lists a file that is not in the folder", "files", value=name)
            )
            continue
        if missing is not None:
            continue  # reported where the file is read
        if expected is not None and expected.lower() != sha256(target):
            problems.append(
                Problem(
                    file,
                    "checksum",
                    "sha256 of the file differs from the manifest (file changed after generation?)",
                    "files",
                    value=name,
                )
            )
        if isinstance(rows, int) and name.endswith(".csv"):
            actual = _data_rows(target)
            if actual is not None and actual != rows:
                problems.append(
                    Problem(
                        file,
                        "row-count",
                        f"the manifest says {rows:,} data rows, the file has {actual:,}",
                        "files",
                        value=name,
                    )
                )
    listed_names = {str(n) for n in files}
    for name in (get(t).file for t in CASE_TABLES):
        if name not in listed_names and regular_file(folder / name, name) is None:
            problems.append(
                Problem(
                    file,
                    "manifest-omits",
                    "a file of the contract is in the folder but not in the manifest",
                    "files",
                    value=name,
                )
            )
    return problems


def _data_rows(path: Path) -> int | None:
    """Data rows of a CSV the way the generator counts them (lines after the header)."""
    try:
        with open(path, "rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    except OSError:
        return None
    return max(lines - 1, 0)


# --------------------------------------------------------------------------------------
# The data dictionary
# --------------------------------------------------------------------------------------


def _fmt(x: float | str | None) -> str:
    if x is None:
        return ""
    if isinstance(x, str):
        return x
    if math.isfinite(x) and float(x).is_integer():
        return f"{int(x):,}" if abs(x) >= 10_000 else str(int(x))
    return f"{x:g}"


def dictionary(tables: Iterable[str] | None = None) -> pd.DataFrame:
    """The data dictionary: one row per table and column (for the Data appendix).

    Columns: table, file, column, type, unit, allowed, range, nullable, key, description.
    """
    names = list(tables) if tables is not None else list(CASE_TABLES)
    rows = []
    for name in names:
        table = get(name)
        for col in table.columns:
            if col.min is not None or col.max is not None:
                rng = f"{_fmt(col.min)} .. {_fmt(col.max)}" if col.max is not None else f">= {_fmt(col.min)}"
            else:
                rng = ""
            if col.plausible_max is not None:
                rng = (rng + "; " if rng else "") + f"plausible up to {_fmt(col.plausible_max)}"
            rows.append(
                {
                    "table": table.name,
                    "file": table.file,
                    "column": col.name,
                    "type": {"bool01": "0/1", "str": "text", "int": "integer", "float": "number", "date": "date"}[
                        col.kind
                    ],
                    "unit": col.unit,
                    "allowed": ", ".join(col.allowed)
                    if col.allowed
                    else (f"pattern {col.pattern}" if col.pattern else ""),
                    "range": rng,
                    "nullable": "yes" if col.nullable else "no",
                    "key": "yes" if col.name in table.key else "",
                    "description": col.description,
                }
            )
    return pd.DataFrame(rows)


def rules(tables: Iterable[str] | None = None) -> pd.DataFrame:
    """Table-level rules (keys, foreign keys, row checks), one row each."""
    names = list(tables) if tables is not None else list(CASE_TABLES)
    rows = []
    for name in names:
        table = get(name)
        rows.append({"table": name, "rule": "duplicate-key", "description": f"unique key ({', '.join(table.key)})"})
        for cols, parent, pcols in table.foreign_keys:
            rows.append(
                {
                    "table": name,
                    "rule": "foreign-key",
                    "description": f"({', '.join(cols)}) exists in {parent} ({', '.join(pcols)})",
                }
            )
        for rule, description, _ in table.checks:
            rows.append({"table": name, "rule": rule, "description": description})
    return pd.DataFrame(rows)
