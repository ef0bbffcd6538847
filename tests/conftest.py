"""Shared fixtures: the built book is made once per test session and shared by the gates."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class BuiltBook:
    html: Path
    log: str
    returncode: int


def build_book(
    root: Path = ROOT, extra_env: dict[str, str] | None = None, path_output: Path | None = None
) -> BuiltBook:
    """Run the same strict build as `make book` and capture its log."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(root), "--builder", "html", "-W", "-n", "--keep-going"]
    if path_output is not None:
        command += ["--path-output", str(path_output)]
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", **(extra_env or {})}
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    out_root = path_output if path_output is not None else root
    return BuiltBook(html=out_root / "_build" / "html", log=done.stdout + done.stderr, returncode=done.returncode)


@pytest.fixture(scope="session")
def built_book() -> BuiltBook:
    return build_book()
