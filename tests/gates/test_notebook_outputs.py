"""The committed outputs of every notebook are what its code gives (nbval's check, from the
session's executions), and the data-independence gate's shortcut is sound.

``pytest --nbval`` executes every notebook once more in the foreground and compares each
cell's outputs with the committed ones. The session's pool already executes every notebook
from its source (``book_executions`` in tests/conftest.py, with the second-run settings), so
the same comparison is made against that execution, by nbval's rules
(:func:`innovate.notebooks.output_differences`: images and metadata left out,
tests/nbval-sanitize.cfg applied, streams coalesced, ``nbval-ignore-output`` cells skipped).
``make nbval`` still runs nbval itself.
"""

from __future__ import annotations

import pytest

from conftest import ROOT
from innovate import notebooks as nbs

pytestmark = pytest.mark.book


def test_every_notebook_executes_and_its_committed_outputs_are_what_it_gives(book_executions):
    errors = book_executions.errors["second"]
    assert errors == [], "execution failed:\n" + "\n".join(errors)[-4000:]
    assert {nbs.docname(p, ROOT) for p in book_executions.notebooks} == set(book_executions.differences)
    found = [line for lines in book_executions.differences.values() for line in lines]
    assert found == [], (
        "committed outputs differ from a fresh execution (re-execute with "
        "`python -m innovate.notebooks execute PATH` and commit):\n" + "\n".join(found[:30])
    )


def test_notebooks_declared_free_of_case_data_never_ask_for_it(book_executions):
    # Each kernel of the session's first run recorded its calls of case_data_dir (an audit
    # file per notebook); a notebook in CASE_DATA_FREE must have none, or the other-data
    # gate would wrongly reuse its default-data execution.
    book = {nbs.docname(p, ROOT): p for p in book_executions.notebooks}
    assert set(nbs.CASE_DATA_FREE) <= set(book), "CASE_DATA_FREE names a notebook not in the book"
    readers = sorted(name for name in nbs.CASE_DATA_FREE if book_executions.audit(book[name]).exists())
    assert readers == [], f"declared free of case data but read it: {readers}"
    # The audit works: the site chapters read the case data.
    assert book_executions.audit(ROOT / "notebooks" / "sites" / "devon.ipynb").exists()
