"""The data dictionary and the synthetic-data manifest: what each case-level column means, and the check of ``manifest.json``."""

from __future__ import annotations

import json
import math
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


def validate_manifest(
    path: Path, folder: Path | None = None, file: str = MANIFEST_FILE
) -> tuple[dict | None, list[Problem]]:
    """Check ``manifest.json``: valid JSON, required keys, six sites, and every checksum."""
    import hashlib

    path = Path(path)
    folder = Path(folder) if folder is not None else path.parent
    if not path.exists():
        return None, [Problem(file, "missing-file", "file not found")]
    raw = path.read_bytes()
    if not raw:
        return None, [Problem(file, "empty-file", "file is empty (0 bytes)")]
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        return None, [Problem(file, "encoding", f"not valid UTF-8 at byte offset {err.start}")]
    except json.JSONDecodeError as err:
        return None, [
            Problem(file, "json", f"not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})", row=err.lineno)
        ]
    problems = []
    if not isinstance(manifest, dict):
        return None, [Problem(file, "json", "the manifest must be a JSON object")]
    for key, meaning in MANIFEST_KEYS.items():
        if key not in manifest:
            problems.append(Problem(file, "missing-key", f"required key missing: {meaning}", key))
    if "seed" in manifest and not (isinstance(manifest["seed"], int) and not isinstance(manifest["seed"], bool)):
        problems.append(Problem(file, "type", "seed must be an integer", "seed", value=manifest["seed"]))
    sites = manifest.get("sites")
    if isinstance(sites, dict):
        for site in SITE_IDS:
            if site not in sites:
                problems.append(
                    Problem(file, "missing-key", f"no true parameters for site {site}", "sites", value=site)
                )
        for site in sites:
            if site not in SITE_IDS:
                problems.append(Problem(file, "allowed-values", "unknown site", "sites", value=site))
    files = manifest.get("files")
    if isinstance(files, dict):
        for name, entry in sorted(files.items()):
            target = folder / name
            expected = entry.get("sha256") if isinstance(entry, dict) else None
            if not target.exists():
                problems.append(
                    Problem(
                        file, "checksum", "the manifest lists a file that is not in the folder", "files", value=name
                    )
                )
            elif expected != hashlib.sha256(target.read_bytes()).hexdigest():
                problems.append(
                    Problem(
                        file,
                        "checksum",
                        "sha256 of the file differs from the manifest (file changed after generation?)",
                        "files",
                        value=name,
                    )
                )
    return manifest, problems


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
