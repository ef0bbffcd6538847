"""No real organisation's name on a synthetic result (issue #19 item 1).

Scans the built HTML. A block is *synthetic-labelled* when its caption carries the
synthetic-data label (tables, and figures with their alt text), and a paragraph *glues a
synthetic number* when it holds a glued value and either says it speaks of synthetic data
or stands on a page whose every result comes from the case-level data. Inside those, no
real site name may appear. Real names stay where the evidence is real: public statistics,
public context (Ofsted judgements), published findings.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from book_html import book_pages, chapter_pages
from innovate.data import sites
from innovate.show.figures import SYNTHETIC_CAPTION_PREFIX

#: Pages whose every result comes from the case-level data (on the shipped book: synthetic).
CASE_LEVEL_PAGES = (
    "notebooks/themes/stages.html",
    "notebooks/themes/promotes-sustains.html",
    "notebooks/themes/trustworthy.html",
    "notebooks/themes/experiences.html",
    "notebooks/themes/circles.html",
    "notebooks/themes/outcomes.html",
    "notebooks/synthesis/across-sites.html",
)
#: A paragraph that says it speaks of synthetic data ("synthetic control" is a method, not data).
SAYS_SYNTHETIC = re.compile(r"\bsynthetic\b(?!\s+controls?\b)", re.I)
#: Where a page's source code is shown; names in code are not claims.
SKIPPED = {"pre", "script", "style"}
#: The pseudonyms themselves ("CS site 1"): glued as labels, they are not results.
PSEUDONYMS = {sites.pseudonym(s) for s in sites.SITE_IDS}


def real_names() -> list[str]:
    """Every way the book writes a site's real name: the short name, the register's
    organisation name and the organisation's own name inside it (e.g. Brighter Futures)."""
    register = sites.register()
    names = set(sites.SHORT_NAMES.values()) | set(register["site_name"])
    names |= {n.split(" (")[0] for n in register["site_name"]}
    return sorted(names, key=len, reverse=True)


NAMES = real_names()


def names_in(text: str) -> list[str]:
    return [n for n in NAMES if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]


class Blocks(HTMLParser):
    """Tables (caption, text), figures (caption, alt) and paragraphs (text, glued?)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[dict] = []
        self._open: list[dict] = []
        self._caption = 0
        self._skip = 0
        self._pasted: str | None = None

    def _gap(self) -> None:
        # cells and lines are separate words, as a reader sees them
        for b in self._open:
            b["text"] += " "

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag not in ("span", "a", "em", "strong", "code"):
            self._gap()
        if tag in SKIPPED:
            self._skip += 1
        elif tag == "table":
            self._open.append({"kind": "table", "caption": "", "text": "", "alt": "", "tag": tag})
        elif tag == "figure":
            self._open.append({"kind": "figure", "caption": "", "text": "", "alt": "", "tag": tag})
        elif tag in ("p", "li", "dd") and not self._caption and not any(b["kind"] != "paragraph" for b in self._open):
            self._open.append({"kind": "paragraph", "caption": "", "text": "", "alt": "", "tag": tag, "glued": False})
        elif tag in ("caption", "figcaption"):
            self._caption += 1
        elif tag == "img" and self._open:
            self._open[-1]["alt"] += " " + (a.get("alt") or "")
        if tag == "span" and "pasted-text" in (a.get("class") or "").split():
            self._pasted = ""

    def handle_endtag(self, tag):
        if tag == "span" and self._pasted is not None:
            # A glued pseudonym (the site chapters say "its pseudonym, CS site 1") names no
            # result; any other glued value makes the paragraph one that quotes a result.
            if self._pasted.strip() not in PSEUDONYMS:
                for b in self._open:
                    if b["kind"] == "paragraph":
                        b["glued"] = True
            self._pasted = None
        if tag not in ("span", "a", "em", "strong", "code"):
            self._gap()
        if tag in SKIPPED:
            self._skip = max(0, self._skip - 1)
        elif tag in ("caption", "figcaption"):
            self._caption = max(0, self._caption - 1)
        elif self._open and self._open[-1]["tag"] == tag:
            self.blocks.append(self._open.pop())

    def handle_data(self, data):
        if self._pasted is not None:
            self._pasted += data
        if self._skip or not self._open:
            return
        for b in self._open:
            b["text"] += data
            if self._caption and b["kind"] != "paragraph":
                b["caption"] += data


def page_findings(html: str, page: str) -> list[str]:
    """Real site names inside synthetic-labelled tables, figures and glued paragraphs."""
    parser = Blocks()
    parser.feed(html)
    case_page = page in CASE_LEVEL_PAGES
    found = []
    for b in parser.blocks:
        if b["kind"] in ("table", "figure"):
            if SYNTHETIC_CAPTION_PREFIX not in " ".join(b["caption"].split()):
                continue
            names = names_in(b["text"] + " " + b["alt"])
            what = f"synthetic {b['kind']}"
        else:
            if not b["glued"] or not (case_page or SAYS_SYNTHETIC.search(b["text"])):
                continue
            names = names_in(b["text"])
            what = "paragraph gluing a synthetic number"
        if names:
            label = " ".join((b["caption"] or b["text"]).split())[:90]
            found.append(f"{page}: {what} names {', '.join(names)}: {label!r}")
    return found


def book_findings(html_root: Path) -> list[str]:
    found = []
    for path in book_pages(html_root, generated=False):
        page = path.relative_to(html_root).as_posix()
        found += page_findings(path.read_text(encoding="utf-8"), page)
    return found


# ---------------------------------------------------------------------------------------
# The scanner, on hand-made pages
# ---------------------------------------------------------------------------------------
TABLE = (
    f"<table><caption>{SYNTHETIC_CAPTION_PREFIX} Journeys.</caption><tr><th>{{site}}</th><td>stalled</td></tr></table>"
)
FIGURE = (
    '<figure><img alt="One lane per site: {site}." src="x.png"/>'
    f"<figcaption><p><span class='caption-text'>{SYNTHETIC_CAPTION_PREFIX} Lanes.</span></p></figcaption></figure>"
)
PARAGRAPH = '<p>In the synthetic data, {site} cost <span class="pasted-text">£12</span> more.</p>'


@pytest.mark.parametrize("block", [TABLE, FIGURE, PARAGRAPH])
def test_a_real_name_on_a_synthetic_result_is_found(block):
    found = page_findings(block.format(site="Hackney"), "notebooks/themes/x.html")
    assert len(found) == 1 and "Hackney" in found[0]
    assert page_findings(block.format(site="TS site 1"), "notebooks/themes/x.html") == []


def test_real_evidence_keeps_real_names():
    public_table = "<table><caption>Real public statistics: DfE.</caption><tr><th>Devon</th></tr></table>"
    public_paragraph = '<p>The rate in Devon was <span class="pasted-text">12.3</span> per 10,000.</p>'
    method = '<p>The synthetic control for Sheffield has an error of <span class="pasted-text">1.2</span>.</p>'
    unglued = "<p>In the synthetic data nothing is a finding about Devon.</p>"
    code = f"<table><caption>{SYNTHETIC_CAPTION_PREFIX} x</caption><tr><td><pre>'Devon'</pre></td></tr></table>"
    for html in (public_table, public_paragraph, method, unglued, code):
        assert page_findings(html, "notebooks/themes/national-and-local-picture.html") == [], html


def test_every_glued_paragraph_of_a_case_level_page_counts():
    html = '<ul><li>Reading journeys: <span class="pasted-text">3</span> stalls.</li></ul>'
    assert page_findings(html, "notebooks/themes/stages.html")
    assert page_findings(html, "notebooks/themes/national-and-local-picture.html") == []


def test_a_glued_pseudonym_is_a_label_not_a_result():
    label = '<p>Results carry the pseudonym <span class="pasted-text">CS site 1</span>, not Devon.</p>'
    assert page_findings(label, CASE_LEVEL_PAGES[0]) == []
    result = '<p>Results carry <span class="pasted-text">CS site 1</span>; Devon cost <span class="pasted-text">£12</span>.</p>'
    assert page_findings(result, CASE_LEVEL_PAGES[0]) != []


def test_names_cover_the_register():
    assert {"Devon", "Hackney", "Safer London", "North Lanarkshire", "Brighter Futures for Children"} <= set(NAMES)
    assert names_in("CS site 1 and TIP site 2") == []
    assert names_in("City & Hackney Safeguarding Adults Board") == [
        "City & Hackney Safeguarding Adults Board",
        "Hackney",
    ]


# ---------------------------------------------------------------------------------------
# The built book
# ---------------------------------------------------------------------------------------
@pytest.mark.book
def test_no_real_name_on_a_synthetic_result_in_the_built_book(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    walked = {page.relative_to(built_book.html).as_posix() for page in book_pages(built_book.html, generated=False)}
    assert chapter_pages() <= walked, f"pages not walked: {sorted(chapter_pages() - walked)}"
    assert book_findings(built_book.html) == []
