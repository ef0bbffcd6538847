"""The tables of an HTML page as DataFrames of the text they display (standard library
only), so that :func:`innovate.stats.disclosure.assert_protected` can check a rendered
page for small counts exactly as a reader would see it."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd


class _TableParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables: list[list[list[tuple[str, str]]]] = []
        self._stack: list[list] = []
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = [tag, ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append((self._cell[0], self._cell[1].strip()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            self._stack[-1].append(self._row)
            self._row = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def frames_from_html(html: str) -> list[pd.DataFrame]:
    """Every ``<table>`` of an HTML page as a DataFrame of strings (standard library only).

    Leading rows made only of ``<th>`` cells form the header (joined with " / " when
    there are several); cells stay as displayed text, so ``"c"`` and ``"1,234"`` survive.
    Row header cells (``<th>`` in a body row) become the index.
    """
    frames = []
    for rows in _parse_tables(html):
        header_rows = []
        body: list = []
        for r in rows:
            if not body and r and all(tag == "th" for tag, _ in r):
                header_rows.append([t for _, t in r])
            else:
                body.append(r)
        width = max([len(r) for r in body] + [len(h) for h in header_rows] + [0])
        if width == 0:
            continue
        n_index = max((sum(1 for tag, _ in r[:width] if tag == "th") for r in body), default=0)
        names = []
        for k in range(width):
            parts = [h[k] if k < len(h) else "" for h in header_rows]
            # pandas writes the index name on its own header row; skip blanks
            name = " / ".join(p for p in parts if p) or f"column {k + 1}"
            names.append(name)
        data = [[t for _, t in r] + [""] * (width - len(r)) for r in body]
        frame = pd.DataFrame(data, columns=_unique(names), dtype=object)
        if n_index:
            frame = frame.set_index(list(frame.columns[:n_index]))
        frames.append(frame)
    return frames


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if n in seen:
            seen[n] += 1
            out.append(f"{n} ({seen[n]})")
        else:
            seen[n] = 0
            out.append(n)
    return out


def _parse_tables(html: str):
    parser = _TableParser()
    parser.feed(html)
    return parser.tables
