"""The built book's pages as every gate walks them: one definition, so that no gate skips a
page another reads."""

from __future__ import annotations

from pathlib import Path

from conftest import ROOT
from innovate.sphinxext import claims

#: Pages Sphinx writes itself, with none of the book's content.
SPHINX_PAGES = ("genindex.html", "search.html")


def book_pages(html_root: Path, generated: bool = True) -> list[Path]:
    """Every HTML page of the built book, sorted: folders whose name starts with '_' or '.'
    (the theme's assets, sources, images) left out, and with ``generated=False`` also
    Sphinx's own index and search pages (:data:`SPHINX_PAGES`)."""
    pages = []
    for path in sorted(html_root.rglob("*.html")):
        relative = path.relative_to(html_root)
        if any(part.startswith(("_", ".")) for part in relative.parts[:-1]):
            continue
        if not generated and relative.as_posix() in SPHINX_PAGES:
            continue
        pages.append(path)
    return pages


def chapter_pages() -> set[str]:
    """The page each executable chapter of the table of contents becomes, relative to the
    book's root: what a gate walking the book must reach, or it passes by reading nothing."""
    return {p.relative_to(ROOT).with_suffix(".html").as_posix() for p in claims.book_notebooks(ROOT)}
