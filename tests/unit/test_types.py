"""mypy (pinned in requirements-dev.txt) finds nothing in the package, with the settings in
pyproject.toml (``[tool.mypy]``: untyped function bodies checked, no implicit Optional,
unused ``type: ignore`` comments reported)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MYPY = Path(sys.executable).with_name("mypy")


def test_mypy_is_clean():
    done = subprocess.run(
        [str(MYPY), "--no-incremental", "--config-file", "pyproject.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "Success" in done.stdout
