"""The built book in a real browser: console, images, accessibility, links, screenshots.

Headless Chromium from Debian (``/usr/bin/chromium``; never a downloaded browser) is driven
by Playwright over EVERY page of the built book, served from ``_build/html`` by a local
HTTP server on 127.0.0.1. The network is closed: every request that does not go to the
local server is aborted, so the book must work offline (MathJax included: it is served
from the book's own ``_static/mathjax``, see ``book/_static/mathjax/README.md``). Four
browsers side by side (``BROWSER_WORKERS``) share the pages; each visits its pages in three
views, reusing one tab per view:

* **desktop**: 1400 px wide, light colour mode;
* **dark**: 1400 px wide, dark colour mode (the reader's system preference, which the
  theme's "auto" mode follows);
* **mobile**: 390 px wide (a phone), light colour mode.

Each page is checked for:

* **console errors** and uncaught exceptions (desktop view). Aborted external loads are
  not counted as failures (they are what a reader without a network would see, not a
  fault of the book); anything else that fails (a missing local file, a script error) is;
* **alternative text**: every ``<img>`` has an ``alt`` that is meaningful (not empty on a
  content image, not a file name or path, not a generic word such as "png");
* **axe-core** (``node_modules/axe-core``, pinned in ``package.json``/``package-lock.json``)
  in every view (in the dark view, the colour rules only: nothing else changes with the
  colours) reports no serious or critical violation; any minor or moderate one must be in
  ``ALLOWED_MINOR`` with the reason it cannot be fixed;
* **mathematics**: MathJax is what makes formulae readable by screen readers (it adds
  assistive MathML), so every page with mathematics must end up typeset, offline;
* **multi-panel figures** (more than one panel a row, as their glued text form says):
  on the phone the image the browser shows is the figure's narrow layout (one panel a
  row, glued beside it) at no less than ``MIN_PHONE_SCALE`` of its size, and on the
  desktop the figure as drawn.

Internal links and anchors are checked statically over the same pages. A screenshot of
every page in every view is saved to ``test-artifacts/`` (``<view>/<page>.png``, the page
from the top, at most ``SHOT_MAX_HEIGHT`` pixels; kept by CI as artifacts) with an index,
``test-artifacts/screenshots.txt``.

If Chromium, Playwright or axe-core is missing the tests FAIL; a developer may set
``INNOVATE_SKIP_BROWSER=1`` to skip them locally, which is refused when ``CI`` is set.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from conftest import ROOT
from innovate.sphinxext.narrowfigures import NARROW_SUFFIX

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

pytestmark = [pytest.mark.browser]

CHROMIUM = Path(os.environ.get("INNOVATE_CHROMIUM", "/usr/bin/chromium"))
NODE_MODULES = ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The views every page is visited in: viewport and colour scheme.
VIEWS = {
    "desktop": {"viewport": {"width": 1400, "height": 900}, "color_scheme": "light"},
    "dark": {"viewport": {"width": 1400, "height": 900}, "color_scheme": "dark"},
    "mobile": {
        "viewport": {"width": 390, "height": 844},
        "color_scheme": "light",
        "is_mobile": True,
        "has_touch": True,
    },
}
#: axe-core rules run in each view (None: all). Only colours change in the dark view.
VIEW_RULES = {"desktop": None, "dark": ["color-contrast", "link-in-text-block"], "mobile": None}
#: Screenshots stop at this height: enough to show a page's opening, tables and figures.
SHOT_MAX_HEIGHT = 6000

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


def missing_browser_tools() -> list[str]:
    missing = []
    if not (CHROMIUM.exists() or shutil.which(str(CHROMIUM))):
        missing.append(f"Chromium at {CHROMIUM} (Debian package 'chromium'; .ci/run installs it)")
    if not AXE.exists():
        missing.append(f"{AXE.relative_to(ROOT)} (run `npm ci`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the Python package playwright (requirements-dev.txt)")
    return missing


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
class _PageParser(HTMLParser):
    """Ids, links and a meta refresh of one HTML page."""

    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.refresh: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        if tag == "a" and attrs.get("href") is not None:
            self.links.append(attrs["href"])
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "refresh":
            match = re.search(r"url=(.+)$", attrs.get("content") or "", re.IGNORECASE)
            if match:
                self.refresh = match.group(1).strip().strip("'\"")


@functools.cache
def parse_page(path: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def book_pages(html_root: Path) -> list[Path]:
    """Every HTML page of the book (theme assets and dot-folders left out)."""
    pages = []
    for path in sorted(html_root.rglob("*.html")):
        parts = path.relative_to(html_root).parts
        if any(part.startswith(("_", ".")) for part in parts[:-1]):
            continue
        pages.append(path)
    return pages


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
class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture(scope="module")
def served_book(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    handler = functools.partial(_QuietHandler, directory=str(built_book.html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield built_book.html, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(served_book):
    """Where the book is served, and the external addresses the browsers were refused."""
    require_browser_tools()
    html_root, base = served_book
    return {"base": base, "html": html_root, "blocked": set()}


#: Browsers visiting side by side, each a share of the pages in every view. A visit mostly
#: waits (page load, axe's timers, the screenshot's compositing): one browser kept one core
#: about a third busy, so four in turn take about a quarter of the wall time on two cores.
BROWSER_WORKERS = 4


def _visit_in_one_browser(base: str, html_root: Path, relatives: list[str], blocked: set[str]) -> dict:
    """view -> page -> report for ``relatives``, by a browser of this thread's own (Playwright's
    synchronous API is used by one thread per instance)."""
    from playwright.sync_api import sync_playwright

    def route(request_route):
        url = request_route.request.url
        if url.startswith(base):
            request_route.continue_()
            return
        blocked.add(url)
        request_route.abort()

    out: dict[str, dict[str, dict]] = {}
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            for view, options in VIEWS.items():
                context = chromium.new_context(**options)
                context.route("**/*", route)
                tab = context.new_page()
                console: list[dict] = []
                tab.on(
                    "console",
                    lambda m, c=console: c.append(
                        {"type": m.type, "text": m.text, "url": (m.location or {}).get("url", "")}
                    ),
                )
                tab.on("pageerror", lambda e, c=console: c.append({"type": "pageerror", "text": str(e), "url": ""}))
                try:
                    out[view] = {relative: visit(tab, console, base, view, relative) for relative in relatives}
                finally:
                    context.close()
        finally:
            chromium.close()
    return out


IMAGES_JS = """els => els.map(e => ({
    src: e.getAttribute('src'), alt: e.getAttribute('alt'), role: e.getAttribute('role'),
    hidden: e.closest('[aria-hidden="true"]') !== null,
    current: e.currentSrc, natural: e.naturalWidth, shown: e.getBoundingClientRect().width}))"""
MATHJAX_READY_JS = """async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
    return {math: document.querySelectorAll('.math').length,
            typeset: document.querySelectorAll('mjx-container').length,
            mathjax: !!(window.MathJax && MathJax.version)};
}"""
AXE_JS = """async (rules) => (await axe.run(document, rules ? {runOnly: {type: 'rule', values: rules},
        resultTypes: ['violations']} : {resultTypes: ['violations']})).violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
#: The colour mode the theme actually shows (it follows the system's in "auto" mode).
THEME_JS = "() => document.documentElement.dataset.theme"


def screenshot_path(view: str, relative: str) -> Path:
    return ARTIFACTS / view / relative.replace("/", "__").replace(".html", ".png")


def visit(tab, console: list, base: str, view: str, relative: str) -> dict:
    """Load one page in a view's tab, check it, screenshot it; everything the checks need."""
    console.clear()
    tab.goto(base + relative, wait_until="load")
    math = tab.evaluate(MATHJAX_READY_JS)
    images = tab.eval_on_selector_all("img", IMAGES_JS)
    tab.add_script_tag(path=str(AXE))
    violations = tab.evaluate(AXE_JS, VIEW_RULES[view])
    theme = tab.evaluate(THEME_JS)
    height = tab.evaluate("() => document.documentElement.scrollHeight")
    width = VIEWS[view]["viewport"]["width"]
    shot = screenshot_path(view, relative)
    shot.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(
        path=str(shot), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": min(height, SHOT_MAX_HEIGHT)}
    )
    return {
        "console": list(console),
        "images": images,
        "violations": violations,
        "math": math,
        "theme": theme,
        "screenshot": shot,
    }


@pytest.fixture(scope="module")
def all_reports(browser):
    """view -> page -> report, every page of the book in every view (``BROWSER_WORKERS``
    browsers side by side, one tab per view each, pages dealt out in turn)."""
    html_root = browser["html"]
    pages = [p for p in book_pages(html_root) if not parse_page(p).refresh]  # a redirect's target is visited itself
    relatives = [p.relative_to(html_root).as_posix() for p in pages]
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    shares = [relatives[k::BROWSER_WORKERS] for k in range(BROWSER_WORKERS)]
    with ThreadPoolExecutor(BROWSER_WORKERS) as pool:
        parts = list(
            pool.map(lambda share: _visit_in_one_browser(browser["base"], html_root, share, browser["blocked"]), shares)
        )
    # In the book's page order, whichever browser visited the page.
    out = {view: {r: part[view][r] for r in relatives for part in parts if r in part.get(view, {})} for view in VIEWS}
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "screenshots.txt").write_text(
        "".join(
            f"{view}\t{page}\t{report['screenshot'].relative_to(ARTIFACTS).as_posix()}\n"
            for view, reports in out.items()
            for page, report in reports.items()
        )
    )
    return out


@pytest.fixture(scope="module")
def reports(all_reports):
    """The desktop view's reports (console, images and mathematics are checked there)."""
    return all_reports["desktop"]


def console_errors(report: dict, blocked: set[str]) -> list[str]:
    """Console errors, except the failed loads of external requests the test aborted."""
    errors = []
    for message in report["console"]:
        if message["type"] not in ("error", "pageerror"):
            continue
        if message["url"] in blocked or (
            "net::ERR_FAILED" in message["text"]
            and message["url"]
            and not message["url"].startswith("http://127.0.0.1")
        ):
            continue
        errors.append(f"{message['type']}: {message['text']} ({message['url']})")
    return errors


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
