"""Issue 12, item 3: markup planted in a data folder is shown as text on the built page.

The validator refuses markup in every case-level CSV (each text column has a list of
allowed values or a pattern), so the text of a data folder that reaches a page is its
manifest's: the reproducibility appendix prints the generator, its version and the seed.
This gate plants ``<script>`` and ``<img onerror>`` strings there, executes that chapter
against the folder (``INNOVATE_DATA_DIR``), renders it with MyST-NB as the book does and
checks the page: the strings are visible text, and no script or event handler came from
them. (The unit test ``test_styled_tables_escape_markup_from_the_data`` checks the tables'
own escaping on the HTML string.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from innovate import notebooks

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "notebooks" / "appendices" / "reproducibility.ipynb"
PLANTED = {
    "generator": "<script>alert('planted-generator')</script>",
    "generator_version": '<img src=x onerror="alert(1)">',
    "seed": "<b onmouseover=alert(2)>7</b>",
}
#: The book's MyST extensions (_config.yml), so the page is parsed as the book parses it.
CONF = """
extensions = ["myst_nb"]
nb_execution_mode = "off"
myst_enable_extensions = ["amsmath", "colon_fence", "deflist", "dollarmath", "html_image", "substitution", "linkify"]
html_theme = "basic"
root_doc = "chapter"
"""


class Page(HTMLParser):
    """The page's elements with their attributes, script contents and visible text."""

    def __init__(self):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        (self.scripts if self._in_script else self.text).append(data)


def plant(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "synthetic", folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(PLANTED)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return folder


@pytest.mark.book
def test_markup_from_the_data_folder_is_text_on_the_built_page(tmp_path):
    folder = plant(tmp_path)
    (done,) = notebooks.execute_jobs(
        [notebooks.Job(CHAPTER, {"INNOVATE_DATA_DIR": str(folder)}, "markup")], processes=1, timeout=600
    )
    assert done.error is None, done.error
    source = tmp_path / "src"
    source.mkdir()
    done.notebook.metadata.pop("mystnb", None)  # executed above: render it as executed
    nbformat.write(done.notebook, source / "chapter.ipynb")
    (source / "conf.py").write_text(CONF, encoding="utf-8")
    built = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", str(source), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    page = Page()
    page.feed((tmp_path / "html" / "chapter.html").read_text(encoding="utf-8"))
    # Sphinx curls quotes in prose: compare with straight ones
    shown = " ".join(page.text).translate(str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}))
    for planted in PLANTED.values():
        assert planted in shown, f"{planted!r} is not shown as text"
    assert not [s for s in page.scripts if "planted-generator" in s or "alert(" in s], "planted script is live"
    handlers = [(tag, name) for tag, attrs in page.elements for name in attrs if name.startswith("on")]
    assert handlers == [], f"event handlers from the data on the page: {handlers}"
    assert not [attrs for tag, attrs in page.elements if tag == "img" and attrs.get("src") == "x"]
    assert "b" not in {tag for tag, _ in page.elements}
