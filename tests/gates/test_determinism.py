"""Same inputs, same numbers: two clean executions of the book give identical claims.

Every notebook of the table of contents is executed twice from its committed source with
the outputs cleared (nothing from an execution cache), in two separate processes running
side by side, and the glued values of the two runs are compared (``innovate.claims``;
values glued as ``volatile_*``, such as the commit, are left out by design).

Why executions and not two full Sphinx builds: the claims are exactly the glue outputs of
the executed notebooks. MyST-NB obtains them by running each notebook with nbclient, with
the ``python3`` kernel, in the notebook's own folder (``run_in_temp: false``) and the same
environment; Sphinx only renders them. ``innovate.claims.execute_for_claims`` does the same
execution, so two of them are two clean builds as far as the numbers go, at the cost of the
notebooks alone. That the Sphinx extension writes the same claims as the notebooks hold is
checked separately (``tests/gates/test_claims.py``).

The second run uses a different ``PYTHONHASHSEED`` from the first (``make`` fixes it at 0;
a reader re-running a chapter in Binder does not), so a result that depends on the order
of a set or dict of strings is caught too.
"""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from conftest import ROOT
from innovate.sphinxext import claims

pytestmark = pytest.mark.book


def execute(notebooks, out, executed, hash_seed: str) -> subprocess.Popen:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": hash_seed, "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    env.pop("INNOVATE_DATA_DIR", None)
    command = [sys.executable, "-m", "innovate.sphinxext.claims", "execute", "--out", str(out), "--executed", str(executed)]
    return subprocess.Popen(command + [str(p) for p in notebooks], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_clean_executions_give_identical_claims(tmp_path):
    notebooks = claims.book_notebooks(ROOT)
    assert notebooks, "the book has no notebooks"
    runs = {
        "first": execute(notebooks, tmp_path / "first.json", tmp_path / "first", "0"),
        "second": execute(notebooks, tmp_path / "second.json", tmp_path / "second", "4021"),
    }
    for name, process in runs.items():
        output, _ = process.communicate(timeout=1800)
        assert process.returncode == 0, f"{name} execution failed:\n{output[-4000:]}"
    first = claims.load_claims(tmp_path / "first.json")
    second = claims.load_claims(tmp_path / "second.json")
    assert len(claims.comparable(first)) > 0
    assert {c["notebook"] for c in first} >= {
        p.relative_to(ROOT).as_posix() for p in notebooks if claims.glue_outputs(nbformat.read(p, as_version=4))
    }
    differences = claims.diff_claims(first, second)
    assert differences == [], "claims differ between two clean executions:\n" + "\n".join(differences)
