"""The print edition (`make pdf`): it builds, opens, has a sensible length, and its contents
list every chapter of the table of contents with page numbers that are in order and true."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from conftest import ROOT
from innovate import pdf
from innovate.sphinxext import claims

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def printed(built_book, tmp_path_factory) -> pdf.PrintedBook:
    # After the HTML build, so the single-page build reads every notebook from the same cache.
    assert built_book.returncode == 0, "the HTML build failed; see test_build"
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(ROOT), "--builder", "singlehtml", "-W", "-n", "--keep-going"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    return pdf.render(ROOT / "_build" / "singlehtml", tmp_path_factory.mktemp("pdf") / "book.pdf", cff)


def test_the_pdf_opens_and_has_a_sensible_length(printed):
    reader = PdfReader(printed.path)
    assert len(reader.pages) == printed.pages
    documents = len(claims.toc_documents(ROOT))
    assert 2 * documents <= printed.pages <= 40 * documents
    assert reader.outline, "the PDF has no outline (bookmarks)"


def test_every_chapter_of_the_toc_is_in_the_contents_with_its_page(printed):
    assert len(printed.chapters) == len(claims.toc_documents(ROOT))
    pages = [printed.contents_pages.get(c.anchor) for c in printed.chapters]
    assert None not in pages, [c.title for c in printed.chapters if c.anchor not in printed.contents_pages]
    assert pages == sorted(pages) and pages[0] >= 3 and pages[-1] <= printed.pages
    contents = PdfReader(printed.path).pages[1].extract_text()
    for chapter in printed.chapters[:5]:
        assert pdf.normalise(chapter.title) in pdf.normalise(contents)


def test_each_chapter_title_is_on_the_page_the_contents_give(printed):
    reader = PdfReader(printed.path)
    for chapter in printed.chapters:
        text = pdf.normalise(reader.pages[printed.contents_pages[chapter.anchor] - 1].extract_text())
        assert pdf.normalise(chapter.title)[:20] in text, chapter.title
