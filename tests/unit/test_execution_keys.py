"""The execution cache invalidates precisely: an edit re-executes only the chapters it can change.

``make book`` (``python -m innovate.notebooks cache``) and the Sphinx extension both ask
:func:`innovate.sphinxext.execution.invalidate` which cached notebooks are stale, and
execute exactly the notebooks whose records it dropped. These tests edit a copy of the
package and check which of the book's notebooks lose their cached outputs.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn

from conftest import ROOT
from innovate.sphinxext import claims, execution

SHARED = "shared-inputs"
PRACTICE_MODEL = (ROOT / "notebooks" / "argument" / "practice-model.ipynb").resolve()
DATA_APPENDIX = (ROOT / "notebooks" / "appendices" / "data.ipynb").resolve()


@pytest.fixture()
def package(tmp_path):
    """A copy of the innovate package that a test may edit."""
    copy = tmp_path / "innovate"
    shutil.copytree(execution.package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def cached(cache_path, notebooks):
    """A cache holding an 'executed' record of each notebook, as MyST-NB would write it."""
    cache = get_cache(str(cache_path))
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        cache.cache_notebook_bundle(CacheBundleIn(nb, str(path)), check_validity=False, overwrite=True)
    return cache


def still_cached(cache, notebooks) -> set:
    out = set()
    for path in notebooks:
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
            out.add(path)
        except KeyError:
            pass
    return out


def edit(path):
    path.write_text(path.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")


def test_a_notebook_runs_the_modules_it_imports_and_what_they_import(package):
    modules = {
        p.relative_to(package).as_posix()
        for p in execution.notebook_modules(nbformat.read(PRACTICE_MODEL, as_version=4), package)
    }
    assert {"__init__.py", "show/__init__.py", "show/figures.py", "show/practice_model.py"} <= modules
    assert "stats/its.py" not in modules and "study/area.py" not in modules
    data = {
        p.relative_to(package).as_posix()
        for p in execution.notebook_modules(nbformat.read(DATA_APPENDIX, as_version=4), package)
    }
    # data.validate imports more of the data layer; those modules count too
    assert {"data/validate.py", "data/paths.py", "errors.py"} <= data


def test_imports_anywhere_count_relative_ones_resolved():
    import ast

    tree = ast.parse("import innovate.a\ndef f():\n    from .b import c\n    from .. import d\n")
    names = execution.imported_names(tree, "innovate.x.y", is_package=False)
    assert {"innovate.a", "innovate.x.b", "innovate.x.b.c", "innovate", "innovate.d"} <= names


def test_an_edit_re_executes_the_chapters_that_use_the_module_and_no_other(tmp_path, package):
    notebooks = [p.resolve() for p in claims.book_notebooks(ROOT)]
    keys = execution.notebook_keys(notebooks, SHARED, package)
    cache_path = tmp_path / "cache"
    assert execution.invalidate(cache_path, keys) == sorted(notebooks)  # a new cache: nothing known
    cache = cached(cache_path, notebooks)
    assert execution.invalidate(cache_path, keys) == []  # nothing changed: nothing dropped
    assert still_cached(cache, notebooks) == set(notebooks)

    # practice_model.py is drawn by one chapter only
    edit(package / "show" / "practice_model.py")
    changed = execution.invalidate(cache_path, execution.notebook_keys(notebooks, SHARED, package))
    assert changed == [PRACTICE_MODEL]
    assert still_cached(cache, notebooks) == set(notebooks) - {PRACTICE_MODEL}

    # stats/its.py is used (through innovate.study) by many chapters, but not by practice-model
    cache = cached(cache_path, [PRACTICE_MODEL])
    edit(package / "stats" / "its.py")
    changed = execution.invalidate(cache_path, execution.notebook_keys(notebooks, SHARED, package))
    users = [
        p
        for p in notebooks
        if package / "stats" / "its.py" in execution.notebook_modules(nbformat.read(p, as_version=4), package)
    ]
    assert changed == sorted(users) and PRACTICE_MODEL not in changed and len(users) >= 2
    assert still_cached(cache, notebooks) == set(notebooks) - set(users)


def test_the_data_and_pins_change_every_key(package):
    notebooks = [PRACTICE_MODEL, DATA_APPENDIX]
    before = execution.notebook_keys(notebooks, SHARED, package)
    after = execution.notebook_keys(notebooks, SHARED + "-other-data", package)
    assert all(before[p] != after[p] for p in notebooks)


def test_package_data_files_change_every_key(package):
    notebooks = [PRACTICE_MODEL, DATA_APPENDIX]
    before = execution.notebook_keys(notebooks, SHARED, package)
    (package / "py.typed").write_text("partial\n")
    after = execution.notebook_keys(notebooks, SHARED, package)
    assert all(before[p] != after[p] for p in notebooks)


def test_a_chapter_template_changes_no_key(package):
    """A template is read only when the chapters are written from it; the written chapter's
    cells key its own record."""
    notebooks = [PRACTICE_MODEL, DATA_APPENDIX]
    before = execution.notebook_keys(notebooks, SHARED, package)
    edit(package / "show" / "templates" / "site-chapter.ipynb")
    assert execution.notebook_keys(notebooks, SHARED, package) == before


def test_sphinx_reads_again_exactly_the_pages_whose_inputs_changed(tmp_path):
    from types import SimpleNamespace

    from innovate.sphinxext import buildinfo

    a, b = tmp_path / "notebooks" / "a.ipynb", tmp_path / "notebooks" / "b.ipynb"
    app = SimpleNamespace(srcdir=str(tmp_path), innovate_notebook_keys={a: "1", b: "1"})
    env = SimpleNamespace(found_docs={"notebooks/a", "notebooks/b"})
    assert buildinfo._outdated(app, env, set(), set(), set()) == ["notebooks/a", "notebooks/b"]  # first build
    assert buildinfo._outdated(app, env, set(), set(), set()) == []  # nothing changed
    app.innovate_notebook_keys = {a: "1", b: "2"}
    assert buildinfo._outdated(app, env, set(), set(), set()) == ["notebooks/b"]
