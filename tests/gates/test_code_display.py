"""The book's one code-display rule holds on every built page (issue #17 item 1).

``innovate.sphinxext.codecells`` applies the rule at build time; this gate reads the built
HTML and checks what a reader gets: every piece of code shown sits folded behind a toggle
(inside a ``<details>``), and none of it is plumbing (an import or a bare ``glue(...)``
line: the code shown is exactly what the rule keeps of it). The chapters must also show
their analysis code at all, or the introduction's promise ("computed by the code beside
it") would be broken by a rule that removed everything.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from innovate.sphinxext.codecells import analysis_code


class CodeCells(HTMLParser):
    """The code inputs of one page: their text and whether each is folded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inputs: list[dict] = []
        self._stack: list[tuple[str, bool, bool]] = []  # (tag, opens details, opens an input)
        self._details = 0
        self._input: dict | None = None
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        opens_input = tag == "div" and "cell_input" in classes and self._input is None
        self._stack.append((tag, tag == "details", opens_input))
        if tag == "details":
            self._details += 1
        if opens_input:
            self._input = {"text": "", "folded": self._details > 0}

    def handle_endtag(self, tag):
        while self._stack:
            open_tag, details, opens_input = self._stack.pop()
            if details:
                self._details -= 1
            if opens_input and self._input is not None:
                self.inputs.append(self._input)
                self._input = None
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._input is not None:
            self._input["text"] += data


def page_problems(html: str, page: str) -> tuple[int, list[str]]:
    """(how many code inputs the page shows, what breaks the rule)."""
    parser = CodeCells()
    parser.feed(html)
    problems = []
    for number, cell in enumerate(parser.inputs, 1):
        code = cell["text"].strip("\n")
        if not cell["folded"]:
            problems.append(f"{page}: code cell {number} is shown unfolded: {code[:60]!r}")
        kept = analysis_code(code)
        if kept != code.rstrip():
            shown = sorted(set(code.splitlines()) - set(kept.splitlines()))
            problems.append(f"{page}: code cell {number} shows plumbing: {shown[:3]}")
    return len(parser.inputs), problems


FOLDED = (
    '<div class="cell docutils container"><details class="hide above-input"><summary>Show code</summary>'
    '<div class="cell_input docutils container"><div class="highlight"><pre>'
    '<span class="n">rate</span> <span class="o">=</span> <span class="n">fit</span>()\n</pre></div></div></details></div>'
)


def test_folded_analysis_code_passes():
    assert page_problems(FOLDED, "x.html") == (1, [])


def test_unfolded_code_and_plumbing_are_found():
    unfolded = FOLDED.replace('<details class="hide above-input"><summary>Show code</summary>', "").replace(
        "</details>", ""
    )
    count, problems = page_problems(unfolded, "x.html")
    assert count == 1 and "unfolded" in problems[0]
    plumbing = FOLDED.replace("rate</span>", 'rate</span>\nglue("rate", rate)\nimport numpy as np\n<span>x')
    count, problems = page_problems(plumbing, "x.html")
    assert count == 1 and "plumbing" in problems[0] and 'glue("rate", rate)' in problems[0]


def book_problems(html_root: Path) -> tuple[dict[str, int], list[str]]:
    """Code inputs shown per executable chapter that quotes glued values, and what breaks the rule."""
    shown, problems = {}, []
    for path in sorted((html_root / "notebooks").rglob("*.html")):
        page = path.relative_to(html_root).as_posix()
        html = path.read_text(encoding="utf-8")
        count, found = page_problems(html, page)
        if 'class="pasted-text"' in html:  # a chapter quoting computed numbers (not a diagram only)
            shown[page] = count
        problems += found
    return shown, problems


@pytest.mark.book
def test_every_chapter_follows_the_code_display_rule(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    shown, problems = book_problems(built_book.html)
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)
    # The analysis is there to be opened, in every chapter that quotes computed numbers.
    assert shown and all(count > 0 for count in shown.values()), shown
