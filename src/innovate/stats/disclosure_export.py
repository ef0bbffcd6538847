"""Every protected table written out for an independent output check (ACRO).

When the environment variable ``INNOVATE_DISCLOSURE_EXPORT`` names a folder,
:func:`innovate.stats.disclosure.protect` writes one JSON file there for each table it
protects: the row and column labels, the true counts, the rule applied, and which entries
(cells and totals) the book withholds. A count of ``n`` in a cell is ``n`` records with that
row and column label, so the file is the exact specification of the crosstab the table
shows; the disclosure gate rebuilds every one with ACRO, in ACRO's own environment, and
fails when ACRO flags an entry the book shows (``tests/gates/test_disclosure_gate.py``).

The folder holds the true small counts: like the data folder, it belongs inside the
secure environment and is never published. Without the variable nothing is written.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from pathlib import Path

import numpy as np

#: The environment variable naming the export folder.
ENVIRONMENT_VARIABLE = "INNOVATE_DISCLOSURE_EXPORT"


def _caller() -> str:
    """The first caller outside this module and disclosure.py (which code made the table)."""
    here = {Path(__file__).resolve(), Path(__file__).with_name("disclosure.py").resolve()}
    for frame in inspect.stack(context=0)[1:]:
        path = Path(frame.filename)
        if path.resolve() not in here:
            # a module path relative to the package, or a notebook cell's name; never an absolute path
            parts = path.parts
            name = "/".join(parts[parts.index("innovate") :]) if "innovate" in parts else path.name
            return f"{name}:{frame.lineno} ({frame.function})"
    return "unknown"  # pragma: no cover - protect() always has a caller


def export(
    counts: np.ndarray,
    withheld: np.ndarray,
    row_labels: list[str],
    column_labels: list[str],
    row_totals: bool,
    column_totals: bool,
    settings: dict,
) -> Path | None:
    """Write one protected table for the audit; ``counts`` and ``withheld`` include the totals.

    ``counts`` is the table augmented with its totals (a last column for row totals, a last
    row for column totals), ``withheld`` the same shape, true where the book shows "c".
    Returns the file written, or None when the variable is not set.
    """
    folder = os.environ.get(ENVIRONMENT_VARIABLE)
    if not folder:
        return None
    document = {
        "source": _caller(),
        "rule": settings["rule"],
        "threshold": int(settings["threshold"]),
        "zeros_disclosive": bool(settings["zeros_disclosive"]),
        "rounding": settings["rounding"],
        "rows": [str(r) for r in row_labels],
        "columns": [str(c) for c in column_labels],
        "row_totals": bool(row_totals),
        "column_totals": bool(column_totals),
        "counts": np.asarray(counts, dtype=np.int64).tolist(),
        "withheld": np.asarray(withheld, dtype=bool).tolist(),
    }
    text = json.dumps(document, indent=1, sort_keys=True)
    # Named by content, so the same table protected twice (or by two processes) is one file.
    name = hashlib.sha256(text.encode("utf-8")).hexdigest()[:20] + ".json"
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    target = out / name
    partial = out / f".{name}.{os.getpid()}.part"
    partial.write_text(text + "\n", encoding="utf-8")
    partial.replace(target)
    return target
