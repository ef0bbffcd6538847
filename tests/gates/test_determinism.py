"""Same inputs, same numbers: a clean execution with another hash seed and BLAS thread count
gives the claims and visible outputs of the committed notebooks.

The committed notebooks are clean executions with the default settings: ``python -m
innovate.notebooks execute`` (``make notebooks``) runs every kernel with
``innovate.notebooks.DEFAULT_RUN`` whatever the caller's environment. The session's pool
executes every notebook from its source with the outputs cleared (nothing from an execution
cache; ``book_executions`` in ``tests/conftest.py``) with ``SECOND_RUN``'s settings, and the
glued values of the two are compared (``innovate.claims``; values glued as ``volatile_*``,
such as the commit, are left out by design), and so is every visible output.

That the committed outputs are what the current code gives with the default settings is
checked by the same comparison (tests/gates/test_notebook_outputs.py): if the code gives the
committed outputs under the second settings, and the committed outputs were made under the
default ones, the two settings give the same outputs. (One execution serves both checks
where two were run before: a change that made outputs depend on the seed would have to
reproduce the committed outputs exactly under the second settings to pass unseen.)

Why executions and not two full Sphinx builds: the claims are exactly the glue outputs of
the executed notebooks. MyST-NB obtains them by running each notebook with nbclient, with
the ``python3`` kernel, in the notebook's own folder (``run_in_temp: false``) and the same
environment; Sphinx only renders them. ``innovate.notebooks.execute_jobs`` does the same
execution (MyST-NB's own executor). That the Sphinx extension writes the same claims as the
notebooks hold is checked separately (``tests/gates/test_claims.py``).

The second run differs from the first in two ways a reader's machine may differ from the
build machine: another ``PYTHONHASHSEED`` (``make`` fixes it at 0; a reader re-running a
chapter in Binder does not), so a result that depends on the order of a set or dict of
strings is caught; and another floating-point configuration, ``OPENBLAS_NUM_THREADS=1``
against the default thread count, which changes the order in which BLAS sums, so a result
that depends on the last bits of a sum (an optimiser's path, a tie, a factorisation of a
singular matrix) is caught. The CPU's kernel choice (``OPENBLAS_CORETYPE``) is left as the
machine sets it. Both the claims and every visible output of every cell (text and tables;
figures by their fingerprint) must agree.
"""

from __future__ import annotations

import configparser
import re

import nbformat
import pytest

from conftest import ROOT
from innovate.sphinxext import claims

pytestmark = pytest.mark.book


def test_two_clean_executions_give_identical_claims(book_executions, tmp_path):
    notebooks = book_executions.notebooks
    assert notebooks, "the book has no notebooks"
    errors = book_executions.errors["second"]
    assert errors == [], "second execution failed:\n" + "\n".join(errors)[-4000:]
    second = book_executions.run("second")
    for name, folder in (("first", ROOT), ("second", second)):
        found = [folder / p.relative_to(ROOT) for p in notebooks]
        claims.write_claims(
            tmp_path / f"{name}.json",
            [
                c
                for p in found
                for c in claims.claims_from_notebook(nbformat.read(p, as_version=4), p.relative_to(folder).as_posix())
            ],
        )
    first = claims.load_claims(tmp_path / "first.json")
    again = claims.load_claims(tmp_path / "second.json")
    assert len(claims.comparable(first)) > 0
    assert {c["notebook"] for c in again} >= {
        p.relative_to(ROOT).as_posix() for p in notebooks if claims.glue_outputs(nbformat.read(p, as_version=4))
    }
    differences = claims.diff_claims(first, again)
    assert differences == [], "claims differ between two clean executions:\n" + "\n".join(differences)
    outputs = []
    for path in notebooks:
        relative = path.relative_to(ROOT)
        outputs += visible_output_differences(
            nbformat.read(path, as_version=4),
            nbformat.read(second / relative, as_version=4),
            relative.as_posix(),
        )
    assert outputs == [], "visible outputs differ between two clean executions:\n" + "\n".join(outputs[:20])


def sanitize_patterns() -> list[tuple[re.Pattern, str]]:
    """The patterns nbval applies (tests/nbval-sanitize.cfg): volatile text, PNG bytes."""
    config = configparser.ConfigParser()
    config.read(ROOT / "tests" / "nbval-sanitize.cfg")
    return [(re.compile(config[section]["regex"]), config[section]["replace"]) for section in config.sections()]


def visible_output_differences(first, second, notebook: str) -> list[str]:
    """Cells whose outputs differ as nbval would see them (images by their fingerprint)."""
    patterns = sanitize_patterns()

    def shown(cell) -> list:
        out = []
        for output in cell.get("outputs", []):
            for mime, payload in sorted((output.get("data") or {}).items()):
                if mime.endswith(("image/png", "image/jpeg")):
                    continue
                text = "".join(payload) if isinstance(payload, list) else str(payload)
                for pattern, replacement in patterns:
                    text = pattern.sub(replacement, text)
                out.append((mime, text))
            if output.get("output_type") == "stream":
                out.append(("stream", "".join(output.get("text", ""))))
        return out

    # Cells tagged nbval-ignore-output hold only volatile_* values (the commit, timings),
    # which differ between runs by design; nbval skips them for the same reason.
    return [
        f"{notebook}: cell {i}"
        for i, (a, b) in enumerate(zip(first.cells, second.cells))
        if a.cell_type == "code" and "nbval-ignore-output" not in a.metadata.get("tags", []) and shown(a) != shown(b)
    ]
