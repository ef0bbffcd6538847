"""Visiting every page of the built book in headless Chromium: the browser gate's work.

The gate's checks are in tests/gates/test_browser.py; the visits are here so that the test
session can make them in the background as soon as the HTML build is done (tests/conftest.py),
while the unit tests and the notebook executions go on, and the browser tests only read
the reports. :func:`visit_book` serves the build on 127.0.0.1, visits every page in every
view (``VIEWS``) with ``BROWSER_WORKERS`` browsers side by side, refuses every request that
leaves the local server, and saves a screenshot of every page in every view.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

from book_html import book_pages
from conftest import ROOT

os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

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
#: axe-core's options in each view. Colours are set by the colour mode, not by the width
#: (book.css has no media query; the theme's change the layout, not the colours), so the
#: colour rules run in the desktop and dark views and every other rule in the desktop and
#: phone views: the dark view changes nothing but the colours, the phone view nothing but
#: the layout. (Colour contrast is axe's costliest rule: about 0.6 s a page.)
COLOUR_RULES = ["color-contrast", "link-in-text-block"]
VIEW_AXE: dict[str, dict] = {
    "desktop": {},
    "dark": {"runOnly": {"type": "rule", "values": COLOUR_RULES}},
    "mobile": {"rules": {rule: {"enabled": False} for rule in COLOUR_RULES}},
}
#: Screenshots stop at this height: enough to show a page's opening, tables and figures.
SHOT_MAX_HEIGHT = 6000


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


#: Where the server serves axe-core beside the book: loaded by URL like the book's own
#: scripts, it is compiled once and cached (an inline script is compiled on every page).
AXE_URL = "_axe/axe.min.js"


class _QuietHandler(SimpleHTTPRequestHandler):
    """The built book, and axe-core at ``AXE_URL``; cacheable for the visits (the book does
    not change while it is visited), so the browser compiles each script once."""

    def translate_path(self, path):
        if urlparse(path).path == "/" + AXE_URL:
            return str(AXE)
        return super().translate_path(path)

    def end_headers(self):
        self.send_header("Cache-Control", "max-age=3600")
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


#: Browsers visiting side by side, each a share of the pages in every view. One browser keeps
#: about 1.4 of the two cores busy (a visit is mostly layout, axe's checks and the
#: screenshot's encoding); two took the same wall time (141 s against 144 s) for 30% more
#: CPU, which the executions and the unit tests beside them need.
BROWSER_WORKERS = 1
#: Where every request that does not go to the local server is sent, and refused: nothing
#: listens there. (Intercepting requests with Playwright's routes would do the same but turns
#: the browser's cache off, and every page would load and compile every script again.)
REFUSING_PROXY = "http://127.0.0.1:9"


def _visit_in_one_browser(
    base: str, html_root: Path, relatives: list[str], blocked: set[str], artifacts: Path = ARTIFACTS
) -> dict:
    """view -> page -> report for ``relatives``, by a browser of this thread's own (Playwright's
    synchronous API is used by one thread per instance). Requests that leave the local server
    are refused (``REFUSING_PROXY``) and recorded in ``blocked``."""
    from playwright.sync_api import sync_playwright

    def record(request) -> None:
        if not request.url.startswith((base, "data:", "blob:")):
            blocked.add(request.url)

    out: dict[str, dict[str, dict]] = {}
    with sync_playwright() as playwright:
        # The local server is reached directly (bypass), everything else through the proxy.
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=LAUNCH_ARGS,
            proxy={"server": REFUSING_PROXY, "bypass": "127.0.0.1"},
        )
        try:
            for view, options in VIEWS.items():
                context = chromium.new_context(**options)
                context.on("request", record)
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
                    out[view] = {
                        relative: visit(tab, console, base, view, relative, artifacts) for relative in relatives
                    }
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
AXE_JS = """async (options) => (await axe.run(document, {...options, resultTypes: ['violations']})).violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
    targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
#: The colour mode the theme actually shows (it follows the system's in "auto" mode).
THEME_JS = "() => document.documentElement.dataset.theme"


#: Screenshots are JPEG: a page 6,000 px tall encodes in about two thirds of a PNG's time,
#: and at this quality text and figures read as well for a reviewer.
SHOT_QUALITY = 85


def screenshot_path(view: str, relative: str, artifacts: Path = ARTIFACTS) -> Path:
    return artifacts / view / relative.replace("/", "__").replace(".html", ".jpg")


def visit(tab, console: list, base: str, view: str, relative: str, artifacts: Path = ARTIFACTS) -> dict:
    """Load one page in a view's tab, check it, screenshot it; everything the checks need."""
    console.clear()
    tab.goto(base + relative, wait_until="load")
    math = tab.evaluate(MATHJAX_READY_JS)
    images = tab.eval_on_selector_all("img", IMAGES_JS)
    tab.add_script_tag(url=base + AXE_URL)
    violations = tab.evaluate(AXE_JS, VIEW_AXE[view])
    theme = tab.evaluate(THEME_JS)
    height = tab.evaluate("() => document.documentElement.scrollHeight")
    width = VIEWS[view]["viewport"]["width"]
    shot = screenshot_path(view, relative, artifacts)
    shot.parent.mkdir(parents=True, exist_ok=True)
    tab.screenshot(
        path=str(shot),
        type="jpeg",
        quality=SHOT_QUALITY,
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": min(height, SHOT_MAX_HEIGHT)},
    )
    return {
        "console": list(console),
        "images": images,
        "violations": violations,
        "math": math,
        "theme": theme,
        "screenshot": shot,
    }


@dataclass
class Visits:
    """Every page's report in every view (view -> page -> report, in the book's page order),
    where the pages were served from, and the external addresses the browsers refused."""

    reports: dict[str, dict[str, dict]]
    base: str
    html: Path
    blocked: set[str] = field(default_factory=set)


def visit_book(html_root: Path, artifacts: Path = ARTIFACTS) -> Visits:
    """Serve ``html_root`` on 127.0.0.1 and visit every page in every view (``BROWSER_WORKERS``
    browsers side by side, one tab per view each, pages dealt out in turn); the screenshots
    go to ``artifacts`` (emptied first) with an index, ``screenshots.txt``."""
    pages = [p for p in book_pages(html_root) if not parse_page(p).refresh]  # a redirect's target is visited itself
    relatives = [p.relative_to(html_root).as_posix() for p in pages]
    if artifacts.exists():
        shutil.rmtree(artifacts)
    blocked: set[str] = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html_root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        shares = [relatives[k::BROWSER_WORKERS] for k in range(BROWSER_WORKERS)]
        with ThreadPoolExecutor(BROWSER_WORKERS) as pool:
            parts = list(
                pool.map(lambda share: _visit_in_one_browser(base, html_root, share, blocked, artifacts), shares)
            )
    finally:
        server.shutdown()
        server.server_close()
    # In the book's page order, whichever browser visited the page.
    out = {view: {r: part[view][r] for r in relatives for part in parts if r in part.get(view, {})} for view in VIEWS}
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "screenshots.txt").write_text(
        "".join(
            f"{view}\t{page}\t{report['screenshot'].relative_to(artifacts).as_posix()}\n"
            for view, reports in out.items()
            for page, report in reports.items()
        )
    )
    return Visits(out, base, html_root, blocked)
