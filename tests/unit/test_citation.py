"""The citation on the About page is made from CITATION.cff, so the two cannot drift."""

from __future__ import annotations

import yaml

from conftest import ROOT
from innovate.sphinxext.citation import author_names, citation_text


def test_the_citation_is_made_from_citation_cff():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    text = citation_text(cff)
    assert text.startswith(f"{author_names(cff)} ({str(cff['date-released'])[:4]}). *{cff['title']}*")
    assert f"version {cff['version']}" in text and cff["repository-code"] in text


def test_person_authors_are_family_name_and_initials_joined_with_and():
    cff = {"authors": [{"family-names": "Lefevre", "given-names": "Michelle"}, {"name": "A Team"}]}
    assert author_names(cff) == "Lefevre, M. and A Team"


def test_a_doi_is_preferred_to_the_repository_address():
    cff = {
        "authors": [{"name": "T"}],
        "title": "B",
        "date-released": "2027-01-02",
        "doi": "10.5281/zenodo.1",
        "repository-code": "https://example.org/r",
    }
    assert citation_text(cff) == "T (2027). *B*. https://doi.org/10.5281/zenodo.1."


def test_the_about_page_shows_the_substitution():
    assert "{{ cite_this_book }}" in (ROOT / "book" / "about.md").read_text()
