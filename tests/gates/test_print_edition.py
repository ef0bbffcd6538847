"""The print edition (`make pdf`): it builds, opens, has a sensible length, and its contents
list every chapter of the table of contents with page numbers that are in order and true."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from conftest import ROOT
from innovate import pdf
from innovate.sphinxext import claims

pytestmark = [pytest.mark.browser]


# ``printed``: tests/conftest.py (made in the background once the HTML build is done).


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
