"""The print edition's pieces that need no browser: title page, contents, page finding."""

from __future__ import annotations

import yaml

from conftest import ROOT
from innovate import pdf


def test_pages_come_from_the_outline_in_order_after_the_contents():
    outline = [("Contents", 2), ("Preface", 3), ("Why", 3), ("Methods", 5), ("Preface again", 9)]
    chapters = [pdf.Chapter("preface", "Preface"), pdf.Chapter("methods", "Methods")]
    assert pdf.find_pages(outline, chapters, first_page=3) == {"preface": 3, "methods": 5}


def test_outline_titles_that_lost_or_doubled_their_spaces_still_match():
    outline = [("Complex safeguarding and extra-familialharm", 12), ("Who it is forWho it is for", 14)]
    chapters = [pdf.Chapter("c", "Complex safeguarding and extra-familial harm"), pdf.Chapter("w", "Who it is for")]
    assert pdf.find_pages(outline, chapters, 3) == {"c": 12, "w": 14}


def test_ligatures_in_extracted_text_do_not_hide_a_title():
    assert pdf.normalise("She\ufb03eld Children") == pdf.normalise("Sheffield children")


def test_the_first_chapter_starts_after_the_contents_even_without_an_outline_entry():
    chapters = [pdf.Chapter("intro", "Innovation"), pdf.Chapter("x", "Missing")]
    assert pdf.find_pages([("Other", 4)], chapters, 3) == {"intro": 3}


def test_contents_keep_their_height_with_or_without_page_numbers():
    chapters = [pdf.Chapter("a", "A & B"), pdf.Chapter("b", "C")]
    before, after = pdf.contents(chapters), pdf.contents(chapters, {"a": 3, "b": 12})
    assert before.count("<li>") == after.count("<li>") == 2
    assert "A &amp; B" in after and ">12</span>" in after and "&nbsp;" in before


def test_the_title_page_is_made_from_citation_cff_and_escaped():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    page = pdf.title_page(cff)
    assert cff["title"] in page and str(cff["version"]) in page
    hostile = {**cff, "title": "<script>x</script>"}
    assert "<script>" not in pdf.title_page(hostile)
