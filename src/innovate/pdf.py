"""The book as a PDF: the single-page HTML build printed by headless Chromium.

``make pdf`` builds the book with Sphinx's ``singlehtml`` builder (from the same execution
cache as ``make book``, so no chapter runs twice) and then runs ``python -m innovate.pdf``,
which opens that page in Debian's Chromium with the network closed, waits for MathJax, adds
a title page and a table of contents, and prints it with page numbers, a PDF outline and
tagged (accessible) structure.

Why Chromium and not LaTeX: the chapters' tables and figures are HTML outputs of notebooks,
styled and captioned for the web; printing the page the reader sees keeps them as they are,
needs no TeX installation, and uses the browser the accessibility gates already rely on.
Chromium cannot number pages inside the document, so the contents are filled in two passes:
print once, find the page on which each chapter's title falls, write the page numbers into
the contents (a fixed-height list, so the page count does not change), and print again.
"""

from __future__ import annotations

import argparse
import html
import io
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path(os.environ.get("INNOVATE_CHROMIUM", "/usr/bin/chromium"))

#: What the printed page leaves out: the web page's navigation, buttons and folded code (the
#: print edition shows results; the code is in the online edition and the repository).
PRINT_CSS = """
@page { size: A4; margin: 18mm 16mm 18mm 16mm; }
html, body { background: white !important; }
.bd-header, .bd-header-article, #pst-back-to-top, .bd-sidebar-primary, .bd-sidebar-secondary, .header-article, .bd-footer,
.bd-footer-article, .bd-footer-content, .prev-next-area, .search-button-field, .theme-switch-button,
.headerlink, .toggle-details, details.above-input, details.hide, .cell_input, .copybtn,
#jb-print-docs-body, .skip-link, .admonition.dropdown .toggle-button { display: none !important; }
.bd-main, .bd-content, .bd-article-container, .bd-article, .bd-page-width { max-width: none !important;
  width: 100% !important; margin: 0 !important; padding: 0 !important; }
body { font-size: 10.5pt; }
/* The theme hides a page's first h1 in print (it prints the title in a header instead). */
.bd-main .bd-content .bd-article h1:first-of-type { display: block !important; }
span[id^="document-"] + section { break-before: page; }
figure, img, table, .admonition { break-inside: avoid; }
table { font-size: 8pt; }
.cell_output { overflow: visible !important; max-height: none !important; }
a { color: inherit; text-decoration: none; }
#pdf-front { break-after: page; }
#pdf-title { height: 240mm; display: flex; flex-direction: column; justify-content: center; break-after: page; }
#pdf-title h1 { font-size: 26pt; border: none; }
#pdf-contents li { display: flex; justify-content: space-between; line-height: 1.5; }
#pdf-contents li .pdf-leader { flex: 1; border-bottom: 1px dotted #888; margin: 0 0.4em 0.35em; }
"""

#: Page numbers and the short title at the foot of every page (Chromium's print template).
FOOTER = (
    '<div style="font-size:8px;width:100%;padding:0 16mm;display:flex;justify-content:space-between;'
    'color:#444"><span>{title}</span><span><span class="pageNumber"></span> / '
    '<span class="totalPages"></span></span></div>'
)


@dataclass(frozen=True)
class Chapter:
    anchor: str
    title: str


@dataclass(frozen=True)
class PrintedBook:
    path: Path
    pages: int
    bytes: int
    chapters: tuple[Chapter, ...]
    contents_pages: dict[str, int]


def title_page(cff: dict) -> str:
    """Title, authors, version, date, licence and the citation, from ``CITATION.cff``."""
    from innovate.sphinxext.citation import author_names, citation_text

    cite = re.sub(r"\*(.+?)\*", r"<em>\1</em>", html.escape(citation_text(cff)))
    cite = re.sub(r"&lt;(https?://[^&]+)&gt;", r"\1", cite)
    return (
        '<div id="pdf-title">'
        f"<h1>{html.escape(cff['title'])}</h1>"
        f"<p>{html.escape(author_names(cff))}</p>"
        f"<p>Version {html.escape(str(cff.get('version', '')))}, {html.escape(str(cff['date-released']))}</p>"
        "<p>Text and figures: CC BY 4.0. Code: MIT. Public statistics: Open Government Licence v3.0. "
        "Synthetic case-level data are illustrative and describe no real person.</p>"
        f"<p>Cite as: {cite}</p>"
        "<p>This is the print edition: it shows every result and leaves out the code that computed "
        "it, which the online edition and the repository show beside each number.</p>"
        "</div>"
    )


def contents(chapters: list[Chapter], pages: dict[str, int] | None = None) -> str:
    """The table of contents; page numbers where known (the same height either way)."""
    items = []
    for chapter in chapters:
        number = str(pages.get(chapter.anchor, "")) if pages else ""
        items.append(
            f'<li><a href="#{html.escape(chapter.anchor)}">{html.escape(chapter.title)}</a>'
            f'<span class="pdf-leader"></span><span class="pdf-page">{number or "&nbsp;"}</span></li>'
        )
    return f'<div id="pdf-contents"><h1>Contents</h1><ul style="list-style:none;padding:0">{"".join(items)}</ul></div>'


def normalise(text: str) -> str:
    """A title as compared: ligatures unfolded (text extracted from a PDF reads "ﬃ" for
    "ffi"), lower case, without any white space (PDF outlines drop or add it)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def outline_entries(reader) -> list[tuple[str, int]]:
    """The PDF outline (Chromium makes it from the headings) as (title, 1-based page), in order."""

    def walk(items):
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                yield item.title, reader.get_destination_page_number(item) + 1

    return list(walk(reader.outline))


def find_pages(entries: list[tuple[str, int]], chapters: list[Chapter], first_page: int) -> dict[str, int]:
    """The page of each chapter: the first outline entry, after the previous chapter's, whose
    title is the chapter's. The first chapter starts on ``first_page`` (the page after the
    contents) whether or not its title is a heading the outline shows."""
    found: dict[str, int] = {}
    position = 0
    for number, chapter in enumerate(chapters):
        title = normalise(chapter.title)
        for index in range(position, len(entries)):
            if normalise(entries[index][0]).startswith(title) and entries[index][1] >= first_page:
                found[chapter.anchor] = entries[index][1]
                position = index + 1
                break
        else:
            if number == 0:
                found[chapter.anchor] = first_page
    return found


_BROKEN_IMAGES_JS = """() => Array.from(document.images)
    .filter(img => !img.complete || img.naturalWidth === 0).map(img => img.getAttribute('src'))"""

_CHAPTERS_JS = """() => {
    // In a singlehtml build each document starts with <span id="document-NAME">, followed by its
    // top section; the root document's section comes first, unmarked.
    const first = document.querySelector('article section');
    const sections = [first, ...Array.from(document.querySelectorAll('span[id^="document-"]'))
        .map(span => span.nextElementSibling)].filter(s => s && s.tagName === 'SECTION');
    return sections.map(s => {
        const h = s.querySelector('h1, h2, h3, h4');
        return [s.id, h ? h.textContent.replace(/[#\u00b6]\\s*$/, '').trim() : ''];
    });
}"""


_REDIRECT = re.compile(r'url=([^"\'>\s]+)')


def single_page(build: Path) -> Path:
    """The whole book as one page at the root of a singlehtml build folder.

    Sphinx writes the single page under the root document's name (``book/intro.html``) but
    with every path relative to the build root, so it is copied to the root before printing.
    """
    index = build / "index.html"
    target = _REDIRECT.search(index.read_text(encoding="utf-8"))
    source = build / target.group(1) if target else index
    page = build / "print-edition.html"
    page.write_bytes(source.read_bytes())
    return page


def render(build: Path, out: Path, cff: dict) -> PrintedBook:
    """Print the singlehtml build in folder ``build`` to ``out``."""
    singlehtml = single_page(build)
    # Deferred on purpose: Playwright and pypdf load only for the print edition.
    from playwright.sync_api import sync_playwright
    from pypdf import PdfReader

    url = singlehtml.resolve().as_uri()
    footer = FOOTER.format(title=html.escape(cff["title"]))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page()
            # The print edition is made from the files alone: nothing is fetched from a network.
            page.route(
                "**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort()
            )
            page.goto(url, wait_until="load")
            broken = page.evaluate(_BROKEN_IMAGES_JS)
            if broken:
                raise RuntimeError(f"{len(broken)} image(s) did not load, e.g. {broken[0]}")
            page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
            page.emulate_media(media="print")
            page.add_style_tag(content=PRINT_CSS)
            chapters = [Chapter(a, t) for a, t in page.evaluate(_CHAPTERS_JS) if t]

            def print_with(pages: dict[str, int] | None) -> bytes:
                front = title_page(cff) + contents(chapters, pages)
                page.evaluate(
                    """(front) => {
                        document.getElementById('pdf-front')?.remove();
                        const div = document.createElement('div'); div.id = 'pdf-front'; div.innerHTML = front;
                        const main = document.querySelector('article') || document.querySelector('main') || document.body;
                        main.prepend(div);
                    }""",
                    front,
                )
                return page.pdf(
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=footer,
                    print_background=False,
                    outline=True,
                    tagged=True,
                    prefer_css_page_size=True,
                )

            first = PdfReader(io.BytesIO(print_with(None)))
            # The first page that says "Contents" (read page by page: extracting the text of
            # all of them took 10 s of the 338-page book, for a page near the front).
            contents_end = next((i + 1 for i, p in enumerate(first.pages) if "Contents" in (p.extract_text() or "")), 1)
            pages = find_pages(outline_entries(first), chapters, contents_end + 1)
            final = print_with(pages)
        finally:
            browser.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(final)
    count = len(PdfReader(io.BytesIO(final)).pages)
    return PrintedBook(out, count, len(final), tuple(chapters), pages)


def main(argv: list[str] | None = None) -> int:
    import yaml

    parser = argparse.ArgumentParser(prog="python -m innovate.pdf", description=__doc__.split("\n\n")[0])
    parser.add_argument("build", type=Path, help="the singlehtml build folder (_build/singlehtml)")
    parser.add_argument("out", type=Path, help="the PDF to write")
    parser.add_argument("--citation", type=Path, default=Path("CITATION.cff"))
    args = parser.parse_args(argv)
    if not (args.build / "index.html").is_file():
        print(f"no single-page build in {args.build}: run the singlehtml build first (make pdf)", file=sys.stderr)
        return 1
    cff = yaml.safe_load(args.citation.read_text(encoding="utf-8"))
    book = render(args.build, args.out, cff)
    missing = [c.title for c in book.chapters if c.anchor not in book.contents_pages]
    print(f"wrote {book.path}: {book.pages} pages, {book.bytes:,} bytes, {len(book.chapters)} chapters")
    if missing:
        print("no page found for: " + "; ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
