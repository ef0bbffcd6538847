"""The first code cell of every chapter, so that a chapter launched anywhere can run.

A chapter opened from the book's launch buttons runs on Binder, where the environment
(``environment.yml``) already holds the package, or on Colab, where nothing of the book is
installed. The setup cell makes both work: where ``innovate`` cannot be imported it clones
the book's repository (the address in ``_config.yml``, the one place it is set), installs
the reader's pins and the package, and puts the package on the running kernel's path. The
data are then found the way the book finds them, from the package's own location
(:func:`innovate.data.paths.project_root`), whatever the working directory. Where the
package is installed (the book's build, Binder, a developer's machine) the cell does nothing.

The cell is removed from the rendered pages (tag ``remove-cell``): it is plumbing for
launches, not analysis.

    python -m innovate.launch write    # put the setup cell first in every chapter and template
    python -m innovate.launch check    # exit 1 if any chapter's setup cell is missing or differs

``tests/gates/test_launch.py`` runs the cell in a bare virtual environment.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

from innovate.data.paths import project_root

#: Marks the setup cell, so that ``write`` replaces it rather than adding a second one.
SETUP_TAG = "launch-setup"
#: Overrides the repository to clone (the launch test clones a local copy of the book).
SOURCE_VARIABLE = "INNOVATE_BOOK_SOURCE"
#: Where the clone goes, relative to the kernel's working directory.
CLONE_FOLDER = "innovate-book"


def repository_url(root: Path | None = None) -> str:
    """The repository's address, from ``repository: url:`` in ``_config.yml``."""
    config = yaml.safe_load(((root or project_root()) / "_config.yml").read_text(encoding="utf-8"))
    url = (config.get("repository") or {}).get("url")
    if not url:
        raise ValueError("_config.yml: repository: url: is not set; the launch setup cell needs it")
    return str(url)


def setup_source(url: str) -> str:
    """The setup cell's code: self-contained, because the package may not be importable yet."""
    return f'''# Launch setup (Colab or any kernel without the book's package): fetch the book and
# install it. Where the package is installed already (the book, Binder) this does nothing.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("innovate") is None:
    book = os.path.abspath("{CLONE_FOLDER}")
    if not os.path.isdir(book):
        source = os.environ.get("{SOURCE_VARIABLE}", "{url}")
        subprocess.run(["git", "clone", "--quiet", "--depth", "1", source, book], check=True)
    pins = [os.path.join(book, "requirements.txt"), os.path.join(book, "constraints.txt")]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "-r", pins[0], "-c", pins[1], "-e", book], check=True
    )
    sys.path.insert(0, os.path.join(book, "src"))  # an editable install is seen only after a restart
    print("The book's package is installed. If the session asks to restart, restart and run this cell again.")'''


def setup_cell(url: str):
    cell = nbformat.v4.new_code_cell(setup_source(url))
    cell.metadata["tags"] = ["remove-cell", SETUP_TAG]
    cell["id"] = SETUP_TAG  # a fixed id: writing the cell again changes nothing
    return cell


def chapter_paths(root: Path | None = None) -> list[Path]:
    """Every executable chapter and every chapter template."""
    root = root or project_root()
    templates = sorted((root / "src" / "innovate" / "show" / "templates").glob("*.ipynb"))
    return sorted(root.glob("notebooks/*/*.ipynb")) + templates


def _is_setup(cell) -> bool:
    return cell.cell_type == "code" and SETUP_TAG in cell.metadata.get("tags", [])


def _first_code(cells) -> int:
    return next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))


def problem(path: Path, url: str) -> str | None:
    """Why the chapter's first code cell is not the setup cell, or None."""
    nb = nbformat.read(path, as_version=4)
    first = _first_code(nb.cells)
    if first == len(nb.cells) or not _is_setup(nb.cells[first]):
        return f"{path}: the first code cell is not the launch setup cell (python -m innovate.launch write)"
    if nb.cells[first].source != setup_source(url):
        return f"{path}: the launch setup cell differs from the one _config.yml's address gives"
    if sum(_is_setup(c) for c in nb.cells) != 1:
        return f"{path}: more than one launch setup cell"
    return None


def write(path: Path, url: str) -> bool:
    """Put the setup cell first among the code cells; True when the file changed."""
    if problem(path, url) is None:
        return False
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if not _is_setup(c)]
    cell = setup_cell(url)
    nb.cells.insert(_first_code(nb.cells), cell)
    nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m innovate.launch", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["write", "check"])
    args = parser.parse_args(argv)
    url = repository_url()
    paths = chapter_paths()
    if args.action == "write":
        changed = [p for p in paths if write(p, url)]
        print(f"launch setup cell written to {len(changed)} of {len(paths)} notebooks")
        return 0
    problems = [p for p in (problem(path, url) for path in paths) if p]
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
