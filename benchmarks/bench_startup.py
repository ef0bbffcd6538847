"""What each chapter spends before its first analysis (``python -m benchmarks bench_startup``).

For every notebook of the book, the wall time of a fresh Python process that runs only the
notebook's import statements (every ``import``/``from ... import`` line of its code
cells), in the notebook's folder, with the Makefile's environment. That is the start-up a
kernel pays before the first analysis; the package defers its heaviest imports
(statsmodels) to the functions that fit models, so a chapter that fits none never loads
them. Also: a bare interpreter, for the floor.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from innovate.sphinxext import claims

ROOT = Path(__file__).resolve().parents[1]


def import_lines(path: Path) -> str:
    """The import statements of a notebook's code cells (single-line ones), in order."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for line in source.splitlines():
            if line.startswith(("import ", "from ")) and not line.rstrip().endswith(("(", "\\")):
                lines.append(line)
    return "\n".join(lines)


def timed(code: str, cwd: Path) -> float:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def run() -> dict[str, float]:
    figures: dict[str, float] = {"bare interpreter, seconds": timed("pass", ROOT)}
    # A chapter's first glue: it once imported myst_nb and with it nbformat and jsonschema's
    # format grammar (about 1.6 s in every kernel); innovate.show.glue now writes the output itself.
    figures["first glue call (import and glue one value), seconds"] = timed(
        "from innovate.show.glue import glue\nglue('x', 1)", ROOT
    )
    figures["myst_nb's glue, for comparison, seconds"] = timed("from myst_nb import glue\nglue('x', 1)", ROOT)
    for path in claims.book_notebooks(ROOT):
        name = path.relative_to(ROOT).with_suffix("").as_posix()
        figures[f"imports of {name}, seconds"] = timed(import_lines(path), path.parent)
    figures["load average (1 min) at the end"] = os.getloadavg()[0]
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<70} {value:>8.2f}")
