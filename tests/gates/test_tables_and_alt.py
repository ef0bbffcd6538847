"""Every table captioned and headed for a reader; every image's alt text plain words (issue #17).

Scans the built HTML of every page (the session's one build, shared with the other gates):

* **captions**: every ``<table>`` has a non-empty ``<caption>`` (a screen reader announces it;
  a reader skimming finds the table by it);
* **headers**: no column header in ``snake_case`` (a data-frame name leaking through), no
  leaked pandas index (row headers 0, 1, 2, ...), no column whose header and cells are all
  empty, and no bare "Lower"/"Upper" in a table that never says which interval they bound;
* **alt text**: every ``<img>`` has an ``alt``; it is not empty on a content image and holds
  no markup (a ``{glue:text}`` role, backticks or tags leak when a directive option is not
  parsed as MyST).

The browser gate (``test_browser.py``) checks alt text for meaning (not a file name, not a
generic word); this one reads the HTML without a browser, so it runs with the build.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from book_html import book_pages, chapter_pages

#: A header that is a data-frame column name rather than words ("fiscal_year", "site_name").
SNAKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]+\b")
#: What markup looks like when it leaks into alt text.
MARKUP = re.compile(r"\{glue|\{[a-z-]+:[a-z-]*\}|`|<|>|\{\{|\}\}")
#: The bounds of an interval, which need the interval named somewhere in the table.
BOUND = re.compile(r"^(lower|upper)$", re.I)
NAMES_INTERVAL = re.compile(r"\b\d+(\.\d+)?\s*%|per cent|interval|\bCI\b", re.I)


class Tables(HTMLParser):
    """Tables (caption, header rows, body rows) and images of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.images: list[dict] = []
        self._open: list[dict] = []
        self._cell: dict | None = None
        self._caption = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._open.append({"caption": "", "head": [], "body": [], "section": "body"})
        elif not self._open:
            pass
        elif tag == "caption":
            self._caption += 1
        elif tag == "thead":
            self._open[-1]["section"] = "head"
        elif tag == "tbody":
            self._open[-1]["section"] = "body"
        elif tag == "tr":
            table = self._open[-1]
            table[table["section"]].append([])
        elif tag in ("th", "td"):
            table = self._open[-1]
            if not table[table["section"]]:
                table[table["section"]].append([])
            classes = (a.get("class") or "").split()
            self._cell = {"tag": tag, "text": "", "classes": classes, "span": int(a.get("colspan") or 1)}
            table[table["section"]][-1].append(self._cell)
        if tag == "img":
            hidden = (a.get("role") or "") in ("presentation", "none") or a.get("aria-hidden") == "true"
            self.images.append({"alt": a.get("alt"), "src": a.get("src") or "", "decorative": hidden})

    def handle_endtag(self, tag):
        if tag == "table" and self._open:
            self.tables.append(self._open.pop())
        elif tag == "caption":
            self._caption = max(0, self._caption - 1)
        elif tag in ("th", "td"):
            self._cell = None

    def handle_data(self, data):
        if self._open and self._caption:
            self._open[-1]["caption"] += data
        elif self._cell is not None:
            self._cell["text"] += data


def _text(cell: dict) -> str:
    return " ".join(cell["text"].split())


def _label(table: dict) -> str:
    first = table["head"][:1] or table["body"][:1]
    return " | ".join(_text(c) for c in (first[0] if first else []))[:70]


def table_problems(table: dict) -> list[str]:
    """What a reader would trip over in one parsed table."""
    problems = []
    caption = " ".join(table["caption"].split())
    if not caption:
        problems.append("no caption")
    # Column headers (row labels are data: a file name may well have underscores).
    headers = [c for row in table["head"] for c in row if c["tag"] == "th" and "row_heading" not in c["classes"]]
    snake = sorted({m for c in headers for m in SNAKE.findall(_text(c))})
    if snake:
        problems.append(f"snake_case header(s) {snake}")
    row_headings = [_text(c) for row in table["body"] for c in row[:1] if c["tag"] == "th"]
    named_index = any("index_name" in c["classes"] for row in table["head"] for c in row)
    if not named_index and len(row_headings) >= 2 and row_headings == [str(i) for i in range(len(row_headings))]:
        problems.append("leaked pandas index (row headers 0, 1, 2, ...)")
    bounds = [_text(c) for c in headers if BOUND.match(_text(c))]
    named = NAMES_INTERVAL.search(caption) or any(NAMES_INTERVAL.search(_text(c)) for c in headers)
    if bounds and not named:
        problems.append(f"{'/'.join(bounds)} without the interval named (e.g. '95% CI')")
    # A column (by position, header rows without spans only) with no header and no cell text.
    if table["head"] and all(c["span"] == 1 for c in table["head"][-1]):
        last = table["head"][-1]
        for position, head in enumerate(last):
            if _text(head) or "blank" in head["classes"] or "index_name" in head["classes"]:
                continue
            cells = [row[position] for row in table["body"] if len(row) == len(last)]
            if cells and not any(_text(c) for c in cells):
                problems.append(f"empty column {position + 1}")
    return problems


def alt_problem(image: dict) -> str | None:
    """Why an image's alt text is not plain words, or None."""
    alt = image["alt"]
    if alt is None:
        return "no alt attribute"
    text = " ".join(alt.split())
    if not text:
        return None if image["decorative"] else "empty alt on a content image"
    if MARKUP.search(text):
        return f"markup in alt text: {text[:90]!r}"
    return None


def page_problems(html: str, page: str) -> list[str]:
    parser = Tables()
    parser.feed(html)
    found = [f"{page}: table {_label(t)!r}: {p}" for t in parser.tables for p in table_problems(t)]
    found += [f"{page}: image {i['src']}: {why}" for i in parser.images if (why := alt_problem(i))]
    return found


def book_problems(html_root: Path) -> list[str]:
    found = []
    for path in book_pages(html_root, generated=False):
        page = path.relative_to(html_root).as_posix()
        found += page_problems(path.read_text(encoding="utf-8"), page)
    return found


# ---------------------------------------------------------------------------------------
# The checks, on hand-made pages
# ---------------------------------------------------------------------------------------
GOOD = (
    "<table><caption>Rate ratios with 95% intervals.</caption>"
    '<thead><tr><th class="blank level0">&nbsp;</th><th>Estimate</th><th>Lower</th><th>Upper</th></tr></thead>'
    '<tbody><tr><th class="row_heading">Devon</th><td>1.1</td><td>0.9</td><td>1.3</td></tr></tbody></table>'
)


def test_a_good_table_passes():
    assert page_problems(GOOD, "x.html") == []


def test_a_table_without_caption_is_found():
    html = GOOD.replace("<caption>Rate ratios with 95% intervals.</caption>", "<caption> </caption>")
    assert any("no caption" in p for p in page_problems(html, "x.html"))
    assert any("no caption" in p for p in page_problems("<table><tr><td>1</td></tr></table>", "x.html"))


def test_bad_headers_are_found():
    snake = "<table><caption>c</caption><thead><tr><th>fiscal_year</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"
    assert page_problems(snake.replace("fiscal_year", "Financial year"), "x.html") == []
    assert "snake_case" in page_problems(snake, "x.html")[0]
    index = (
        "<table><caption>c</caption><thead><tr><th></th><th>Area</th></tr></thead><tbody>"
        '<tr><th class="row_heading">0</th><td>a</td></tr><tr><th class="row_heading">1</th><td>b</td></tr></tbody></table>'
    )
    assert any("pandas index" in p for p in page_problems(index, "x.html"))
    scores = index.replace(
        "<th></th><th>Area</th></tr>", '<th></th><th>Area</th></tr><tr><th class="index_name">Score</th></tr>'
    )
    assert page_problems(scores, "x.html") == []  # a named index of 0, 1, 2 is data, not a leak
    bare = GOOD.replace("with 95% intervals", "")
    assert any("Lower/Upper without" in p for p in page_problems(bare, "x.html"))
    empty = (
        "<table><caption>c</caption><thead><tr><th>Area</th><th></th></tr></thead>"
        "<tbody><tr><td>a</td><td></td></tr><tr><td>b</td><td> </td></tr></tbody></table>"
    )
    assert page_problems(empty, "x.html") == ["x.html: table 'Area | ': empty column 2"]


def test_alt_text_with_markup_or_empty_is_found():
    def alt(html):
        return page_problems(html, "x.html")

    assert alt('<img src="a.png" alt="Bars per site over 18 months.">') == []
    assert alt('<img src="logo.svg" alt="" role="presentation">') == []
    assert "markup" in alt('<img src="a.png" alt="Bars over {glue:text}`n:d` months">')[0]
    assert "markup" in alt('<img src="a.png" alt="Bars over `n` months">')[0]
    assert "empty alt" in alt('<img src="a.png" alt=" ">')[0]
    assert "no alt" in alt('<img src="a.png">')[0]


# ---------------------------------------------------------------------------------------
# The built book
# ---------------------------------------------------------------------------------------
@pytest.mark.book
def test_every_table_is_captioned_and_headed_for_a_reader_and_every_alt_is_plain(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    walked = {page.relative_to(built_book.html).as_posix() for page in book_pages(built_book.html, generated=False)}
    assert chapter_pages() <= walked, f"pages not walked: {sorted(chapter_pages() - walked)}"
    problems = book_problems(built_book.html)
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)
