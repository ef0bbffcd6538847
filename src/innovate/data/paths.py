"""Where the book's data live.

Everything that reads a file asks this module for the folder, so that a research team
holding the study's confidential extract can point the whole book at it with one
setting (``INNOVATE_DATA_DIR``) and no code change.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from innovate.errors import DataError, Problem

#: Environment variable naming the folder of case-level data (default: the synthetic set).
DATA_DIR_VARIABLE = "INNOVATE_DATA_DIR"
#: Environment variable overriding the project root (used by tests that copy the book).
ROOT_VARIABLE = "INNOVATE_ROOT"


#: When set, :func:`case_data_dir` appends a line to this file at every call (tests only).
AUDIT_VARIABLE = "INNOVATE_CASE_DATA_AUDIT"


def project_root() -> Path:
    """The repository root, which is also the book root."""
    override = os.environ.get(ROOT_VARIABLE)
    if override:
        return Path(override).resolve()
    # src/innovate/data/paths.py -> the repository root is three levels up.
    return Path(__file__).resolve().parents[3]


def public_dir() -> Path:
    """Real public statistics, shipped read-only with provenance and checksums."""
    return project_root() / "data" / "public"


def reference_dir() -> Path:
    """Curated reference facts with their sources (site register, stages, unit costs)."""
    return project_root() / "data" / "reference"


def derived_dir() -> Path:
    """Data the package computes from its own code and stores (the simulation's replications)."""
    return project_root() / "data" / "derived"


def synthetic_dir() -> Path:
    """The committed synthetic case-level data set."""
    return project_root() / "data" / "synthetic"


def case_data_dir() -> Path:
    """The case-level data the book runs on: ``$INNOVATE_DATA_DIR`` or the synthetic set."""
    audit = os.environ.get(AUDIT_VARIABLE)
    if audit:
        # The test session's record of which notebooks ask for the case data (each kernel gets
        # its own file): the data-independence gate leaves out the ones that never do.
        with open(audit, "a", encoding="utf-8") as record:
            record.write("case_data_dir\n")
    override = os.environ.get(DATA_DIR_VARIABLE)
    if override:
        return Path(override).resolve()
    return synthetic_dir()


#: What a case-level folder holds, as its manifest declares it.
SYNTHETIC = "synthetic"
EXTRACT = "extract"
MANIFEST_FILE = "manifest.json"


def evidence_status(folder: Path | None = None) -> str:
    """What the case-level data are: ``"synthetic"`` or ``"extract"`` (the study's own records).

    The one place the book decides it; captions, watermarks and site names all follow it.
    The folder's ``manifest.json`` says so: ``"synthetic": true`` (what the generator
    writes) means synthetic, ``"synthetic": false`` means the study's extract, and a
    folder without a manifest (the shape of a real extract) is not synthetic. A manifest
    that is unreadable or does not say is refused rather than guessed: guessing "real"
    would print real names on synthetic results, guessing "synthetic" would label real
    findings as illustrations.
    """
    folder = case_data_dir() if folder is None else Path(folder)
    path = folder / MANIFEST_FILE
    if not path.exists():
        return EXTRACT
    try:
        manifest = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise DataError(
            [
                Problem(
                    MANIFEST_FILE,
                    "evidence-status",
                    # an OSError's text carries the absolute path: give only its reason
                    f"cannot read the manifest to learn what the data are: {err.strerror if isinstance(err, OSError) else err}",
                )
            ]
        ) from None
    flag = manifest.get("synthetic") if isinstance(manifest, dict) else None
    if not isinstance(flag, bool):
        raise DataError(
            [
                Problem(
                    MANIFEST_FILE,
                    "evidence-status",
                    'the manifest must say "synthetic": true (generated data) or false (the study\'s extract)',
                    "synthetic",
                    value=flag,
                )
            ]
        )
    return SYNTHETIC if flag else EXTRACT


def is_synthetic(folder: Path | None = None) -> bool:
    """Whether a case-level folder holds synthetic data (see :func:`evidence_status`)."""
    return evidence_status(folder) == SYNTHETIC


def synthetic_manifest(folder: Path | str) -> dict | None:
    """The generator manifest of ``folder`` when it says the data are synthetic, else None.

    Only a readable JSON object with ``"synthetic": true`` counts: a folder without one,
    or with a manifest that cannot be read, may hold a real extract and is treated as such
    (so that nothing overwrites it by mistake).
    """
    import json

    path = Path(folder) / "manifest.json"
    try:
        if not path.is_file():
            return None
        manifest = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(manifest, dict) and manifest.get("synthetic") is True:
        return manifest
    return None
