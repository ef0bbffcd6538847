"""Re-execute the book's notebooks in place (``make notebooks``).

Committed outputs must match a fresh run (nbval checks them), so after any change to the
package or the data the notebooks are re-executed with this command and committed.

    python -m innovate.notebooks execute [PATH ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from innovate.data.paths import project_root


def notebook_paths(root: Path | None = None) -> list[Path]:
    """Every notebook of the book, in a stable order (checkpoints excluded)."""
    root = project_root() if root is None else root
    return sorted(p for p in (root / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def execute_in_place(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in its own folder and write it back; returns seconds taken."""
    # Deferred: the notebook client loads only for a command that executes notebooks.
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    elapsed = time.perf_counter() - start
    # Execution metadata carries wall-clock timestamps; drop it so re-runs give the same file.
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m innovate.notebooks", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute notebooks in place (all of them by default)")
    run.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = args.paths or notebook_paths()
    for path in paths:
        seconds = execute_in_place(Path(path))
        print(f"{seconds:6.1f} s  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
