"""The MathJax copy the book serves itself (book/_static/mathjax/README.md) is whole and wired."""

from __future__ import annotations

import hashlib
import re

import yaml

from conftest import ROOT

MATHJAX = ROOT / "book" / "_static" / "mathjax"
MATHJAX_VERSION = "3.2.2"


def test_every_vendored_mathjax_file_matches_its_checksum():
    listed = {}
    for line in (MATHJAX / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.removeprefix("./")] = digest
    on_disk = {
        str(path.relative_to(MATHJAX))
        for path in MATHJAX.rglob("*")
        if path.is_file() and path.name not in {"README.md", "SHA256SUMS"}
    }
    assert on_disk == set(listed), "files and SHA256SUMS disagree: regenerate SHA256SUMS"
    for name, digest in listed.items():
        assert hashlib.sha256((MATHJAX / name).read_bytes()).hexdigest() == digest, name


def test_the_vendored_mathjax_is_the_pinned_version():
    script = (MATHJAX / "tex-chtml.js").read_text(encoding="utf-8")
    assert f'.VERSION="{MATHJAX_VERSION}"' in script
    lock = (ROOT / "package-lock.json").read_text()
    assert re.search(r'"node_modules/mathjax":\s*\{\s*"version":\s*"' + re.escape(MATHJAX_VERSION), lock)


def test_the_book_loads_mathjax_from_its_own_static_folder():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]["config"]
    path = config["mathjax_path"]
    assert not re.match(r"(?i)^https?:", path), "MathJax must not come from a CDN"
    assert any((ROOT / folder / path).is_file() for folder in config["html_static_path"])
