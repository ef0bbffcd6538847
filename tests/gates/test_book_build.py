"""The book builds strictly: no Sphinx warning, no notebook error, every toc page written."""

from __future__ import annotations

import re

import pytest
import yaml

from conftest import ROOT

pytestmark = pytest.mark.book


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
            files += [s["file"] for s in chapter.get("sections", [])]
    return files


def test_book_builds_without_warnings(built_book):
    assert built_book.returncode == 0, built_book.log[-4000:]
    # Sphinx reports problems as "path: WARNING: ..." / "ERROR:"; the Jupyter kernel's own log
    # lines ("[IPKernelApp] WARNING | ...") are not build warnings.
    warnings = [line for line in built_book.log.splitlines() if re.search(r"\b(WARNING|ERROR|CRITICAL):", line)]
    assert warnings == []


def test_every_toc_page_is_written(built_book):
    missing = [f for f in toc_files() if not (built_book.html / f"{f}.html").exists()]
    assert missing == []
    assert (built_book.html / "index.html").exists()


def test_glued_numbers_are_rendered(built_book):
    """A glue role that failed would leave its raw name or an error marker in the page."""
    page = (built_book.html / "notebooks/themes/national-and-local-picture.html").read_text()
    assert "england_cse_2018" not in page
    assert "20,000" in page  # England's 2018 CSE episodes, read from the DfE file


def test_bibliography_page_lists_cited_works(built_book):
    references = (built_book.html / "book/references.html").read_text()
    assert "Towards a synthesised directional map of the stages of innovation" in references
    intro = (built_book.html / "book/intro.html").read_text()
    assert "Lefevre" in intro and "2023" in intro  # author-year citation style


def test_the_data_package_is_written_beside_the_pages_and_the_data_appendix_links_to_it(built_book):
    import zipfile

    from innovate.data import datapackage

    archive = built_book.html / datapackage.DOWNLOAD_PATH
    assert archive.is_file()
    with zipfile.ZipFile(archive) as package:
        assert "datapackage.json" in package.namelist()
    appendix = (built_book.html / "notebooks/appendices/data.html").read_text(encoding="utf-8")
    assert f'href="../../{datapackage.DOWNLOAD_PATH}"' in appendix
