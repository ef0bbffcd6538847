"""The one walk over a built book's pages that every gate uses (``tests/book_html.py``)."""

from __future__ import annotations

from book_html import book_pages, chapter_pages


def test_the_book_pages_are_every_page_but_assets_and_sphinx_own_pages(tmp_path):
    for page in (
        "index.html",
        "genindex.html",
        "search.html",
        "notebooks/sites/devon.html",
        "book/part1/methods.html",
        "_static/theme.html",
        "_sources/x.html",
        "notebooks/_images/y.html",
        ".doctrees/z.html",
    ):
        path = tmp_path / page
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("<html></html>", encoding="utf-8")
    walked = [p.relative_to(tmp_path).as_posix() for p in book_pages(tmp_path)]
    assert walked == [
        "book/part1/methods.html",
        "genindex.html",
        "index.html",
        "notebooks/sites/devon.html",
        "search.html",
    ]
    content = [p.relative_to(tmp_path).as_posix() for p in book_pages(tmp_path, generated=False)]
    assert content == ["book/part1/methods.html", "index.html", "notebooks/sites/devon.html"]


def test_every_executable_chapter_has_a_page_to_walk():
    pages = chapter_pages()
    assert "notebooks/sites/devon.html" in pages and "notebooks/themes/outcomes.html" in pages
    assert len(pages) >= 20
