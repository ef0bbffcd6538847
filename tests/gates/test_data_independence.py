"""The whole book builds from another data set through the data-folder setting alone.

A second synthetic data set is generated with another seed and half as many young
people (``python -m innovate synthesize --per-arm``) and the book is built from it, strictly, into a temporary output folder with
``INNOVATE_DATA_DIR`` pointing at it (in the background, beside the default build): no code change, no edit to the book. The notebooks
are executed on that data by the session's pool of processes (``book_executions`` in
``tests/conftest.py``, with ``INNOVATE_DATA_DIR`` set), and the build takes them into its
execution cache and renders, as ``make book`` does. The build must
succeed without a warning, and the glued values must differ from those of the default
build (so the new data were really read), while the book keeps the same chapters and the
same glued names.
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import OTHER_PER_ARM, OTHER_SEED, ROOT
from innovate.sphinxext import claims

pytestmark = pytest.mark.book

SPHINX_PROBLEM = re.compile(r"(WARNING|ERROR|CRITICAL|SEVERE):")


def sphinx_problems(log: str) -> list[str]:
    """Sphinx warnings and errors in a build log ("path:line: WARNING: ...")."""
    return [line for line in log.splitlines() if SPHINX_PROBLEM.search(line)]


def test_sphinx_problems_ignores_kernel_chatter():
    log = "[IPKernelApp] WARNING | Kernel is running over TCP\nbook/x.md:3: WARNING: undefined label\n"
    assert sphinx_problems(log) == ["book/x.md:3: WARNING: undefined label"]


def test_the_book_builds_from_a_second_synthetic_data_set(built_book, book_executions, other_book):
    data = book_executions.other_data
    made = book_executions.synthesized
    assert made.returncode == 0, made.stdout + made.stderr
    manifest = json.loads((data / "manifest.json").read_text())
    default_manifest = json.loads((ROOT / "data" / "synthetic" / "manifest.json").read_text())
    assert manifest["seed"] == OTHER_SEED != default_manifest["seed"]
    assert manifest["cohort_model"]["per_arm"] == OTHER_PER_ARM != default_manifest["cohort_model"]["per_arm"]
    other = other_book  # built in the background beside the default build (tests/conftest.py)
    assert other.returncode == 0, other.log[-4000:]
    assert sphinx_problems(other.log) == []

    assert built_book.returncode == 0, built_book.log[-3000:]
    default = claims.load_claims(built_book.html.parent / claims.CLAIMS_FILE)
    second = claims.load_claims(other.html.parent / claims.CLAIMS_FILE)
    assert set(claims.comparable(second)) == set(claims.comparable(default)), (
        "the book's glued names changed with the data"
    )
    differences = claims.diff_claims(default, second)
    assert differences, "no glued value changed: the build did not read INNOVATE_DATA_DIR"
    described = {c["name"]: c["value"] for c in second}
    assert f"seed {OTHER_SEED}" in described["case_data"]
