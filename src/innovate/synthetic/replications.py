"""The simulation study's replications as derived data: computed once, read by the appendix.

The simulation appendix runs 100 replications of every estimator (about two CPU-seconds
each). Running them on every execution of the book (the build, the determinism run, the
notebook-output check) cost several CPU-minutes a time for the same numbers, so they are
produced by one command and stored with their provenance::

    python -m innovate simulate            # writes data/derived/simulation/

``replications.csv`` holds one row per estimate (floats written at full round-trip
precision, so reading gives back the same bits); ``manifest.json`` holds the settings,
the file's SHA-256 and row count, the command, and the digest of the package's source
that made it. :func:`load` refuses a file whose checksum or settings do not match.

Nothing here is a hard-coded result: ``tests/unit/test_replications.py`` recomputes a
sample of replications with :func:`innovate.synthetic.simulation.replicate` and requires
them to equal the stored rows bit for bit, so stored rows that the current code would
not give fail the tests.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from innovate.data.paths import derived_dir
from innovate.errors import DataError, Problem
from innovate.synthetic import simulation

FILE = "replications.csv"
MANIFEST = "manifest.json"
COMMAND = "python -m innovate simulate"
#: Settings fields that decide the numbers (``n_jobs`` does not: each replication has its own stream).
DECIDING = ("replications", "per_arm", "m", "seed", "sites", "estimators")


def folder() -> Path:
    """Where the book's replications live: ``data/derived/simulation``."""
    return derived_dir() / "simulation"


def settings_record(settings: simulation.Settings) -> dict:
    """The settings that decide the numbers, as JSON values."""
    record = asdict(settings)
    out = {k: record[k] for k in DECIDING}
    out["sites"] = None if out["sites"] is None else list(out["sites"])
    out["estimators"] = list(out["estimators"])
    return out


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write(settings: simulation.Settings, out: Path | None = None, source_digest: str = "") -> Path:
    """Run the replications of ``settings`` and write them with their manifest; returns the CSV.

    ``source_digest``: a digest of the package modules the simulation runs (the command
    passes it), kept as provenance.
    """
    out = folder() if out is None else Path(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = simulation.run(settings)
    seconds = time.perf_counter() - started
    path = out / FILE
    # float_format None: pandas writes the shortest repr that reads back to the same float.
    result.estimates.to_csv(path, index=False, lineterminator="\n")
    manifest = {
        "command": COMMAND,
        "settings": settings_record(settings),
        "file": FILE,
        "sha256": _sha256(path),
        "rows": int(len(result.estimates)),
        "source_digest": source_digest,
        # How long it took here: shown in the appendix as a volatile value, not a result.
        "seconds": round(seconds, 1),
        "jobs": int(settings.n_jobs),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    return path


def manifest(where: Path | None = None) -> dict:
    """The manifest of the stored replications."""
    where = folder() if where is None else Path(where)
    path = where / MANIFEST
    if not path.exists():
        raise DataError([Problem(str(path), "missing-file", f"no stored replications; run `{COMMAND}`")])
    return json.loads(path.read_text(encoding="utf-8"))


def load(settings: simulation.Settings, where: Path | None = None) -> simulation.SimulationResult:
    """The stored replications of ``settings``, checked against their manifest."""
    where = folder() if where is None else Path(where)
    info = manifest(where)
    path = where / info["file"]
    wanted = settings_record(settings)
    if info["settings"] != wanted:
        changed = sorted(k for k in wanted if info["settings"].get(k) != wanted[k])
        message = f"stored for other settings ({', '.join(changed)}); run `{COMMAND}`"
        raise DataError([Problem(str(where / MANIFEST), "stale-derived-data", message, column="settings")])
    if not path.exists() or _sha256(path) != info["sha256"]:
        message = f"missing, or its SHA-256 differs from {MANIFEST}; run `{COMMAND}`"
        raise DataError([Problem(str(path), "checksum", message)])
    frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
    if len(frame) != info["rows"]:
        message = f"{len(frame)} rows, {MANIFEST} says {info['rows']}"
        raise DataError([Problem(str(path), "row-count", message)])
    return simulation.SimulationResult(replace(settings, n_jobs=int(info["jobs"])), frame)
