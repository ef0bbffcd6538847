"""Launches that start: every chapter opens with the one setup cell, and that cell, run in a
bare virtual environment without the book's package (as on Colab), installs the package
from a clone of the book and finds the data.

The bare environment borrows the third-party packages of the book's own environment
through a ``.pth`` line (so pip finds the reader's pins satisfied instead of downloading
them again); the book's package itself stays invisible there, because the editable
install's own ``.pth`` hook is not processed from a directory added that way.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

from conftest import ROOT
from innovate import launch

PYTHON = shutil.which("python3.11") or sys.executable


def test_every_chapter_and_template_starts_with_the_one_setup_cell():
    url = launch.repository_url(ROOT)
    paths = launch.chapter_paths(ROOT)
    assert len(paths) >= 20
    assert [p for p in (launch.problem(path, url) for path in paths) if p] == []


def test_the_book_shows_no_code_of_the_setup_cell():
    from innovate.sphinxext import codecells

    assert launch.SETUP_TAG in codecells.SETUP_TAGS
    cell = ("code", launch.setup_source(launch.repository_url(ROOT)), ("remove-cell", launch.SETUP_TAG))
    assert codecells._shown(cell) == ""


def test_the_setup_cell_clones_the_address_set_in_config():
    assert launch.repository_url(ROOT) in launch.setup_source(launch.repository_url(ROOT))


def _bare_venv(folder: Path) -> Path:
    subprocess.run([PYTHON, "-m", "venv", str(folder)], check=True, capture_output=True, timeout=300)
    python = folder / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "book-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def test_the_setup_cell_installs_the_package_in_a_bare_environment(tmp_path):
    python = _bare_venv(tmp_path / "venv")
    missing = subprocess.run([str(python), "-c", "import innovate"], capture_output=True, text=True)
    assert missing.returncode != 0, "the bare environment must not see the book's package"

    clone = tmp_path / "source"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    kernel_dir = tmp_path / "kernel"
    kernel_dir.mkdir()
    setup = launch.setup_source(launch.repository_url(ROOT))
    after = textwrap.dedent(
        """
        import json
        from innovate.data import casedata, paths
        tables = casedata.load_all()
        print(json.dumps({"root": str(paths.project_root()), "tables": sorted(tables)}))
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "INNOVATE_ROOT", "INNOVATE_DATA_DIR"}}
    env[launch.SOURCE_VARIABLE] = str(clone)
    run = subprocess.run(
        [str(python), "-c", setup + "\n" + after],
        cwd=kernel_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(result["root"]) == kernel_dir / launch.CLONE_FOLDER
    assert len(result["tables"]) >= 5
