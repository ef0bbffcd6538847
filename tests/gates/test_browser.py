"""The built book in a real browser: console, images, accessibility, links, screenshots.

Headless Chromium from Debian (``/usr/bin/chromium``; never a downloaded browser) is driven
by Playwright over EVERY page of the built book, served from the build's ``html`` folder by
a local HTTP server on 127.0.0.1. The network is closed: every request that does not go to
the local server is refused (``browser_visits.REFUSING_PROXY``), so the book must work offline (MathJax included: it is served
from the book's own ``_static/mathjax``, see ``book/_static/mathjax/README.md``). The visits
are made by ``tests/browser_visits.py``, in the session's background as soon as the HTML
build is done (tests/conftest.py), by one browser (``BROWSER_WORKERS``) that visits every
page in three views, reusing one tab per view:

* **desktop**: 1400 px wide, light colour mode;
* **dark**: 1400 px wide, dark colour mode (the reader's system preference, which the
  theme's "auto" mode follows);
* **mobile**: 390 px wide (a phone), light colour mode.

Each page is checked for:

* **console errors** and uncaught exceptions (desktop view). Refused external loads are
  not counted as failures (they are what a reader without a network would see, not a
  fault of the book); anything else that fails (a missing local file, a script error) is;
* **alternative text**: every ``<img>`` has an ``alt`` that is meaningful (not empty on a
  content image, not a file name or path, not a generic word such as "png");
* **axe-core** (``node_modules/axe-core``, pinned in ``package.json``/``package-lock.json``)
  reports no serious or critical violation; any minor or moderate one must be in
  ``ALLOWED_MINOR`` with the reason it cannot be fixed. Every rule runs in the desktop
  view; the colour rules run again in the dark view (it changes nothing but the colours)
  and every other rule in the phone view (it changes nothing but the layout):
  ``browser_visits.VIEW_AXE``;
* **mathematics**: MathJax is what makes formulae readable by screen readers (it adds
  assistive MathML), so every page with mathematics must end up typeset, offline;
* **multi-panel figures** (more than one panel a row, as their glued text form says):
  on the phone the image the browser shows is the figure's narrow layout (one panel a
  row, glued beside it) at no less than ``MIN_PHONE_SCALE`` of its size, and on the
  desktop the figure as drawn.

Internal links and anchors are checked statically over the same pages. A screenshot of
every page in every view is saved to ``test-artifacts/`` (``<view>/<page>.jpg``, the page
from the top, at most ``SHOT_MAX_HEIGHT`` pixels; kept by CI as artifacts) with an index,
``test-artifacts/screenshots.txt``.

If Chromium, Playwright or axe-core is missing the tests FAIL; a developer may set
``INNOVATE_SKIP_BROWSER=1`` to skip them locally, which is refused when ``CI`` is set.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from book_html import book_pages
from browser_visits import (
    ARTIFACTS,
    VIEWS,
    Visits,
    missing_browser_tools,
    parse_page,
    visit_book,
)
from innovate.sphinxext.narrowfigures import NARROW_SUFFIX

pytestmark = [pytest.mark.browser]

#: axe-core violations below "serious" that cannot be fixed in the book, with the reason.
#: (Serious and critical ones are never allowed.) Empty: everything found has been fixed.
ALLOWED_MINOR: dict[str, str] = {}

GENERIC_ALT = {
    "image",
    "img",
    "figure",
    "fig",
    "picture",
    "photo",
    "graph",
    "chart",
    "plot",
    "png",
    "jpg",
    "jpeg",
    "svg",
    "gif",
    "icon",
    "untitled",
    "alt",
    "alt text",
    "placeholder",
}
FILE_LIKE_ALT = re.compile(r"(?i)\.(png|jpe?g|gif|svg|webp|bmp)\b|(^|\s)(\.\.?/|/|_images|_static|_build)\S*")


# ---------------------------------------------------------------------------------------
# Whether the browser tests can run
# ---------------------------------------------------------------------------------------
def browser_decision(missing: list[str], environ: dict) -> str:
    """'run', 'skip' (local opt-out) or 'fail' given what is missing and the environment."""
    if not missing:
        return "run"
    if environ.get("INNOVATE_SKIP_BROWSER") == "1" and not environ.get("CI"):
        return "skip"
    return "fail"


def require_browser_tools() -> None:
    missing = missing_browser_tools()
    decision = browser_decision(missing, dict(os.environ))
    if decision == "skip":
        pytest.skip("INNOVATE_SKIP_BROWSER=1: browser tests skipped locally; missing: " + "; ".join(missing))
    if decision == "fail":
        pytest.fail(
            "browser tests cannot run (set INNOVATE_SKIP_BROWSER=1 to skip locally; never on CI); missing: "
            + "; ".join(missing),
            pytrace=False,
        )


def test_browser_decision():
    assert browser_decision([], {}) == "run"
    assert browser_decision(["chromium"], {}) == "fail"
    assert browser_decision(["chromium"], {"INNOVATE_SKIP_BROWSER": "1"}) == "skip"
    assert browser_decision(["chromium"], {"INNOVATE_SKIP_BROWSER": "1", "CI": "true"}) == "fail"
    assert browser_decision([], {"INNOVATE_SKIP_BROWSER": "1", "CI": "true"}) == "run"


# ---------------------------------------------------------------------------------------
# Pages of the built book
# ---------------------------------------------------------------------------------------


def link_problems(html_root: Path, pages: list[Path]) -> list[str]:
    """Internal links (``<a href>`` and meta refresh) whose file or #fragment is missing."""
    problems = []
    root = html_root.resolve()
    for page in pages:
        parsed = parse_page(page)
        where = page.relative_to(html_root).as_posix()
        targets = parsed.links + ([parsed.refresh] if parsed.refresh else [])
        for href in targets:
            url = urlparse(href)
            if url.scheme or url.netloc or href.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = page if not url.path else (page.parent / unquote(url.path)).resolve()
            if url.path.endswith("/") or (target.exists() and target.is_dir()):
                target = target / "index.html"
            if not str(target.resolve()).startswith(str(root)):
                problems.append(f"{where}: {href!r} leaves the book")
                continue
            if not target.exists():
                problems.append(
                    f"{where}: {href!r} -> missing file {target.relative_to(root) if str(target).startswith(str(root)) else target}"
                )
                continue
            fragment = unquote(url.fragment)
            if fragment and target.suffix == ".html" and fragment not in parse_page(target).ids:
                problems.append(f"{where}: {href!r} -> no id {fragment!r} in {target.relative_to(root).as_posix()}")
    return problems


def alt_problem(image: dict) -> str | None:
    """Why an image's alt text is not meaningful, or None when it is."""
    alt = image.get("alt")
    decorative = (image.get("role") or "") in ("presentation", "none") or bool(image.get("hidden"))
    if alt is None:
        return "no alt attribute"
    text = " ".join(alt.split())
    if not text:
        return None if decorative else "empty alt on a content image"
    source = (image.get("src") or "").split("?")[0]
    if FILE_LIKE_ALT.search(text) or (source and text == source.rsplit("/", 1)[-1]):
        return f"alt text {text!r} is a file name or path"
    if text.lower() in GENERIC_ALT:
        return f"alt text {text!r} says nothing about the image"
    if len(text) < 4:
        return f"alt text {text!r} is too short to describe the image"
    return None


def test_alt_problem():
    assert alt_problem({"alt": "Line chart of referrals per 10,000 children, 2015 to 2024", "src": "a.png"}) is None
    assert alt_problem({"alt": "Binder logo", "src": "_static/images/logo_binder.svg"}) is None
    assert alt_problem({"alt": "", "src": "x.png", "role": "presentation"}) is None
    assert alt_problem({"alt": None, "src": "x.png"}) == "no alt attribute"
    assert alt_problem({"alt": "  ", "src": "x.png"}) == "empty alt on a content image"
    assert "file name" in alt_problem({"alt": "../_images/abc123.png", "src": "../_images/abc123.png"})
    assert "file name" in alt_problem({"alt": "fig-1.png", "src": "x"})
    assert "says nothing" in alt_problem({"alt": "PNG", "src": "x.png"})


def test_link_problems(tmp_path):
    (tmp_path / "a.html").write_text(
        '<a href="b.html#there">b</a><a href="b.html#nowhere">x</a><a href="c.html">c</a>'
        '<a href="#top">t</a><a id="top"></a><a href="https://example.org/">e</a>'
    )
    (tmp_path / "b.html").write_text('<h1 id="there">B</h1>')
    (tmp_path / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=a.html" />')
    problems = link_problems(tmp_path, book_pages(tmp_path))
    assert problems == [
        "a.html: 'b.html#nowhere' -> no id 'nowhere' in b.html",
        "a.html: 'c.html' -> missing file c.html",
    ]


@pytest.mark.book
def test_internal_links_and_anchors_resolve(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    pages = book_pages(built_book.html)
    assert len(pages) >= 3
    problems = link_problems(built_book.html, pages)
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------------------------------
# The browser pass
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def visits(built_book, visited_book) -> Visits:
    """Every page in every view, visited in the session's background as soon as the HTML
    build was done (``visited_book`` in tests/conftest.py), or here when it was not."""
    assert built_book.returncode == 0, built_book.log[-3000:]
    require_browser_tools()
    return visited_book if visited_book is not None else visit_book(built_book.html)


@pytest.fixture(scope="module")
def browser(visits):
    """Where the book was served, and the external addresses the browsers were refused."""
    return {"base": visits.base, "html": visits.html, "blocked": visits.blocked}


@pytest.fixture(scope="module")
def all_reports(visits):
    """view -> page -> report, every page of the book in every view."""
    return visits.reports


@pytest.fixture(scope="module")
def reports(all_reports):
    """The desktop view's reports (console, images and mathematics are checked there)."""
    return all_reports["desktop"]


def console_errors(report: dict, blocked: set[str]) -> list[str]:
    """Console errors, except the failed loads of external requests the browser refused
    (``browser_visits.REFUSING_PROXY``)."""
    errors = []
    for message in report["console"]:
        if message["type"] not in ("error", "pageerror"):
            continue
        if message["url"] in blocked or (
            "net::ERR_PROXY_CONNECTION_FAILED" in message["text"]
            and message["url"]
            and not message["url"].startswith("http://127.0.0.1")
        ):
            continue
        errors.append(f"{message['type']}: {message['text']} ({message['url']})")
    return errors


def test_requests_that_leave_the_local_server_are_refused_and_recorded(tmp_path):
    """The network is closed: an image and a script from elsewhere never load, the browser
    records them as refused, and their failed loads are the only console errors forgiven."""
    require_browser_tools()
    site = tmp_path / "site"
    (site / "book").mkdir(parents=True)
    (site / "book" / "intro.html").write_text(
        '<html lang="en"><head><title>A page</title></head><body><main><h1>A page</h1>'
        '<img src="http://example.org/picture.png" alt="A picture kept elsewhere">'
        '<script src="https://cdn.example.com/tool.js"></script></main></body></html>'
    )
    visited = visit_book(site, artifacts=tmp_path / "artifacts")
    assert visited.blocked == {"http://example.org/picture.png", "https://cdn.example.com/tool.js"}
    report = visited.reports["desktop"]["book/intro.html"]
    failed = [m for m in report["console"] if m["url"] in visited.blocked]
    assert len(failed) == 2 and all("ERR_PROXY_CONNECTION_FAILED" in m["text"] for m in failed)
    assert [e for e in console_errors(report, visited.blocked) if "favicon" not in e] == []
    assert [image["natural"] for image in report["images"]] == [0]  # it never loaded


def test_every_page_was_visited(reports, built_book):
    expected = {
        p.relative_to(built_book.html).as_posix() for p in book_pages(built_book.html) if not parse_page(p).refresh
    }
    assert set(reports) == expected
    assert "book/intro.html" in reports


def test_no_console_errors(reports, browser):
    problems = {page: errs for page, report in reports.items() if (errs := console_errors(report, browser["blocked"]))}
    assert problems == {}, "\n".join(f"{page}: {e}" for page, errs in problems.items() for e in errs)


def test_every_image_has_meaningful_alt_text(reports):
    problems = [
        f"{page}: {image['src']}: {why}"
        for page, report in reports.items()
        for image in report["images"]
        if (why := alt_problem(image))
    ]
    assert problems == [], "\n".join(problems)


def test_no_serious_or_critical_accessibility_violations(all_reports):
    problems = [
        f"{view}: {page}: {v['id']} ({v['impact']}, {v['count']} elements: {v['help']}) e.g. {v['targets']}"
        for view, reports in all_reports.items()
        for page, report in reports.items()
        for v in report["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert problems == [], "\n".join(problems)


def test_other_accessibility_violations_are_allow_listed(all_reports):
    problems = [
        f"{view}: {page}: {v['id']} ({v['impact']}: {v['help']}) e.g. {v['targets']}"
        for view, reports in all_reports.items()
        for page, report in reports.items()
        for v in report["violations"]
        if v["impact"] not in ("serious", "critical") and v["id"] not in ALLOWED_MINOR
    ]
    assert problems == [], "\n".join(problems)


def test_mathematics_is_typeset_offline(reports):
    untypeset = [page for page, r in reports.items() if r["math"]["math"] and not r["math"]["typeset"]]
    assert untypeset == []


def test_every_view_shows_its_colour_mode(all_reports):
    """The dark view really is dark (else its colour checks would check the light page)."""
    wrong = [
        f"{view}: {page}: theme {report['theme']!r}"
        for view, reports in all_reports.items()
        for page, report in reports.items()
        if report["theme"] != VIEWS[view]["color_scheme"]
    ]
    assert wrong == []


#: A multi-panel figure on the phone is shown at no less than this share of its pixels: its
#: 8-10 pt text (12-15 px at the book's 110 dpi) stays at least about 8 px high. The figure
#: as drawn (8.5 in, 935 px) would be shown at about 0.38.
MIN_PHONE_SCALE = 0.65
_PANELS_A_ROW = re.compile(r", (\d+) panels a row")


def multi_panel_figures(glue_folder: Path) -> list[dict]:
    """Every glued figure with more than one panel a row, from the build's glue data
    (``innovate.sphinxext.claims``): its page, name, and the SHA-256 of its image and of
    its narrow layout's (None when it has none)."""

    def png_sha(output: dict | None) -> str | None:
        data = (output or {}).get("data", {})
        png = next((v for k, v in data.items() if k.endswith("image/png")), None)
        return hashlib.sha256(base64.b64decode(png)).hexdigest() if png else None

    found = []
    for path in sorted(glue_folder.rglob("*.glue.json")):
        glue = json.loads(path.read_text(encoding="utf-8"))
        page = path.relative_to(glue_folder).as_posix().removesuffix(".glue.json") + ".html"
        for name, output in glue.items():
            text = next((v for k, v in output.get("data", {}).items() if k.endswith("text/plain")), "")
            match = _PANELS_A_ROW.search("".join(text) if isinstance(text, list) else text)
            if match and int(match.group(1)) > 1:
                found.append(
                    {
                        "page": page,
                        "name": name,
                        "wide": png_sha(output),
                        "narrow": png_sha(glue.get(name + NARROW_SUFFIX)),
                    }
                )
    return found


def shown_images(report: dict, base: str, html_root: Path) -> dict[str, dict]:
    """The images a page shows, by the SHA-256 of the file the browser chose (``currentSrc``)."""
    shown = {}
    for image in report["images"]:
        if not image["current"] or not image["current"].startswith(base):
            continue
        path = html_root / unquote(urlparse(image["current"]).path).lstrip("/")
        shown[hashlib.sha256(path.read_bytes()).hexdigest()] = image
    return shown


def test_multi_panel_figures_show_one_panel_a_row_on_a_phone(all_reports, browser):
    """Issue #17 item 4: at 390 px a multi-panel figure is its narrow layout, legible; at 1400 px the figure as drawn."""
    html_root, base = browser["html"], browser["base"]
    expected = multi_panel_figures(html_root.parent / "jupyter_execute")
    assert expected, "no glued figure says it has more than one panel a row"
    problems = []
    for figure in expected:
        where = f"{figure['page']}: {figure['name']}"
        if figure["narrow"] is None:
            problems.append(f"{where}: no narrow layout was glued")
            continue
        desktop = shown_images(all_reports["desktop"][figure["page"]], base, html_root)
        phone = shown_images(all_reports["mobile"][figure["page"]], base, html_root)
        if figure["wide"] not in desktop or figure["narrow"] in desktop:
            problems.append(f"{where}: the desktop view does not show the figure as drawn")
        if figure["narrow"] not in phone or figure["wide"] in phone:
            problems.append(f"{where}: the phone shows the figure as drawn, not its narrow layout")
            continue
        image = phone[figure["narrow"]]
        if image["shown"] < MIN_PHONE_SCALE * image["natural"]:
            problems.append(f"{where}: shown at {image['shown'] / image['natural']:.2f} of its size on the phone")
    assert problems == [], "\n".join(problems)


def test_a_screenshot_of_every_page_in_every_view(all_reports):
    assert set(all_reports) == set(VIEWS)
    pages = {view: set(reports) for view, reports in all_reports.items()}
    assert pages["dark"] == pages["desktop"] == pages["mobile"]
    blank = [
        str(report["screenshot"])
        for reports in all_reports.values()
        for report in reports.values()
        if not report["screenshot"].exists() or report["screenshot"].stat().st_size < 10_000
    ]
    assert blank == [], "missing or blank screenshots:\n" + "\n".join(blank)
    listed = (ARTIFACTS / "screenshots.txt").read_text().splitlines()
    assert len(listed) == sum(len(r) for r in all_reports.values())
