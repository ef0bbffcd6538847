"""Traceable numbers: every glued value is collected into _build/claims.json.

Unit tests of ``innovate.claims`` (fast) and, over the built book (marked ``book``): the
claims file exists, agrees with the committed notebooks, covers every glue reference in
the prose, and holds no figure whose image was never rendered.
"""

from __future__ import annotations

import base64
import json
import re

import nbformat
import pytest

from conftest import ROOT
from innovate.sphinxext import claims


# ---------------------------------------------------------------------------------------
# Unit tests
# ---------------------------------------------------------------------------------------
def glue_output(name, data, prefix=claims.GLUE_MIME_PREFIX):
    return {
        "output_type": "display_data",
        "data": {f"{prefix}{k}": v for k, v in data.items()},
        "metadata": {"scrapbook": {"name": name, "mime_prefix": prefix}},
    }


def make_notebook(*outputs, title="A chapter"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {title}\n\nText."), nbformat.v4.new_code_cell("x = 1")]
    nb.cells[1].outputs = [nbformat.from_dict(o) for o in outputs]
    return nb


@pytest.mark.parametrize(
    "text, value",
    [
        ("38.0", 38.0),
        ("2022", 2022),
        ("'Devon'", "Devon"),
        ("True", True),
        ("np.float64(0.25)", 0.25),
        ("np.int64(7)", 7),
        ("<Figure size 650x357 with 1 Axes>", None),
        ("[1, 2]", None),
    ],
)
def test_parse_value(text, value):
    assert claims.parse_value(text) == value
    assert type(claims.parse_value(text)) is type(value)


def test_claim_kinds():
    png = base64.b64encode(b"\x89PNG fake image").decode()
    number = claims.claim_from_output("n", glue_output("n", {"text/plain": "12.5"}), "Ch", "nb.ipynb")
    text = claims.claim_from_output("s", glue_output("s", {"text/plain": "'Devon'"}), "Ch", "nb.ipynb")
    figure = claims.claim_from_output(
        "f",
        glue_output("f", {"text/plain": "<figure 715x429 px, content 0123456789abcdef>", "image/png": png}),
        "Ch",
        "nb.ipynb",
    )
    table = claims.claim_from_output(
        "t", glue_output("t", {"text/plain": "df", "text/html": "<table/>"}), "Ch", "nb.ipynb"
    )
    broken = claims.claim_from_output(
        "b", glue_output("b", {"text/plain": "<Figure size 650x357.5 with 1 Axes>"}), "Ch", "nb.ipynb"
    )
    assert (number["kind"], number["value"]) == ("number", 12.5)
    assert (text["kind"], text["value"]) == ("text", "Devon")
    assert figure["kind"] == "figure" and figure["fingerprint"] == "0123456789abcdef"
    assert "image_sha256" not in figure  # PNG bytes differ across CPUs; the fingerprint does not
    assert table["kind"] == "table" and len(table["html_sha256"]) == 64
    assert broken["kind"] == "figure_without_image"
    assert number["chapter"] == "Ch" and number["notebook"] == "nb.ipynb" and number["volatile"] is False


def test_glue_outputs_ignore_ordinary_outputs_and_strip_the_prefix():
    ordinary = {"output_type": "display_data", "data": {"text/plain": "5"}, "metadata": {}}
    nb = make_notebook(
        ordinary, glue_output("a", {"text/plain": "1"}), glue_output("b", {"text/plain": "2"}, prefix="")
    )
    found = claims.glue_outputs(nb)
    assert list(found) == ["a", "b"]
    assert found["a"]["data"] == {"text/plain": "1"}
    found_claims = claims.claims_from_notebook(nb, "notebooks/x.ipynb")
    assert [c["value"] for c in found_claims] == [1, 2]
    assert {c["chapter"] for c in found_claims} == {"A chapter"}


def test_volatile_claims_are_kept_but_not_compared():
    first = claims.claims_from_glue(
        {
            "volatile_commit": glue_output("volatile_commit", {"text/plain": "'abc'"}),
            "n": glue_output("n", {"text/plain": "3"}),
        },
        "Ch",
        "nb.ipynb",
    )
    second = claims.claims_from_glue(
        {
            "volatile_commit": glue_output("volatile_commit", {"text/plain": "'def'"}),
            "n": glue_output("n", {"text/plain": "3"}),
        },
        "Ch",
        "nb.ipynb",
    )
    assert first[0]["volatile"] is True
    assert claims.diff_claims(first, second) == []
    third = claims.claims_from_glue({"n": glue_output("n", {"text/plain": "4"})}, "Ch", "nb.ipynb")
    differences = claims.diff_claims(first, third)
    assert len(differences) == 1 and "'n' differs" in differences[0] and "3 != 4" in differences[0]
    assert claims.diff_claims(first, []) == ["nb.ipynb: 'n' only in the first build"]


def test_claims_file_is_deterministic_and_round_trips(tmp_path):
    found = claims.claims_from_notebook(make_notebook(glue_output("a", {"text/plain": "1.5"})), "nb.ipynb")
    one = claims.write_claims(tmp_path / "one.json", found)
    two = claims.write_claims(tmp_path / "two.json", list(reversed(found)))
    assert one.read_bytes() == two.read_bytes()
    assert claims.load_claims(one) == found
    (tmp_path / "old.json").write_text(json.dumps({"schema_version": 0, "claims": []}))
    with pytest.raises(ValueError, match="schema"):
        claims.load_claims(tmp_path / "old.json")


def test_collect_from_build_reads_myst_nb_glue_files(tmp_path):
    folder = tmp_path / "jupyter_execute" / "notebooks" / "themes"
    folder.mkdir(parents=True)
    glue = {
        "x": {"data": {"text/plain": "42"}, "metadata": {"scrapbook": {"name": "x"}}, "output_type": "display_data"}
    }
    (folder / "ch.glue.json").write_text(json.dumps(glue))
    docs = {"notebooks/themes/ch": ("Chapter", "notebooks/themes/ch.ipynb"), "book/intro": ("Intro", "book/intro.md")}
    found = claims.collect_from_build(tmp_path / "jupyter_execute", docs)
    assert [(c["name"], c["value"], c["chapter"], c["notebook"]) for c in found] == [
        ("x", 42, "Chapter", "notebooks/themes/ch.ipynb")
    ]


def test_toc_documents_and_book_notebooks():
    docs = claims.toc_documents(ROOT)
    assert docs[0] == "book/intro" and "book/references" in docs
    notebooks = claims.book_notebooks(ROOT)
    assert all(p.suffix == ".ipynb" and p.exists() for p in notebooks)
    assert ROOT / "notebooks/appendices/reproducibility.ipynb" in notebooks


# ---------------------------------------------------------------------------------------
# The built book
# ---------------------------------------------------------------------------------------
GLUE_REFERENCE = re.compile(
    r"\{glue(?::(?:text|md|any|figure|math))?\}`([^`]+)`|(?:`{3,}|:{3,})\{glue(?::\w+)?\}\s+(\S+)"
)


def glue_references(text: str) -> set[str]:
    """Glue names referenced in MyST text (format specs and ``path::`` prefixes removed)."""
    names = set()
    for role, directive in GLUE_REFERENCE.findall(text):
        key = role or directive
        if role and ":" in key.split("::")[-1]:
            key = key.rsplit(":", 1)[0]
        names.add(key.split("::")[-1].strip())
    return names


def test_glue_references_are_parsed():
    text = (
        "a {glue:text}`n:,.0f` b {glue}`m` c {glue:text}`other.ipynb::k:.1f`\n```{glue:figure} fig-x\n:alt: x\n```\n"
        ":::{glue:figure} fig-y\n:::"
    )
    assert glue_references(text) == {"n", "m", "k", "fig-x", "fig-y"}


@pytest.fixture(scope="module")
def built_claims(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    path = built_book.html.parent / claims.CLAIMS_FILE
    assert path.exists(), "the build did not write _build/claims.json (is innovate.claims in _config.yml?)"
    return claims.load_claims(path)


@pytest.mark.book
def test_claims_file_covers_every_notebook_of_the_book(built_claims):
    with_claims = {c["notebook"] for c in built_claims}
    for path in claims.book_notebooks(ROOT):
        relative = path.relative_to(ROOT).as_posix()
        if claims.glue_outputs(nbformat.read(path, as_version=4)):
            assert relative in with_claims, f"{relative} glues values but has no claims"
    assert all(c["chapter"] for c in built_claims)


@pytest.mark.book
def test_claims_file_agrees_with_the_committed_notebooks(built_claims):
    """The published values are those of the committed (nbval-checked) outputs.

    A difference means the build lost or changed a value between the notebooks and the
    claims file, or took stale outputs from its execution cache. (The test session builds
    into a fresh cache; what the cache is keyed on is tested in tests/unit/test_execution_keys.py
    and tests/unit/test_buildinfo.py.)
    """
    committed = []
    for path in claims.book_notebooks(ROOT):
        nb = nbformat.read(path, as_version=4)
        committed += claims.claims_from_notebook(nb, path.relative_to(ROOT).as_posix())
    assert claims.diff_claims(committed, built_claims) == []


@pytest.mark.book
def test_every_glue_reference_in_the_prose_is_a_claim(built_claims):
    names = {c["name"] for c in built_claims}
    missing = []
    for doc, text in book_texts().items():
        missing += [f"{doc}: {name}" for name in sorted(glue_references(text) - names)]
    assert missing == []


@pytest.mark.book
def test_every_glued_figure_carries_its_image(built_claims):
    """A figure glued without an image renders as '<Figure size ...>' text on the page."""
    broken = [f"{c['notebook']}: {c['name']}" for c in built_claims if c["kind"] == "figure_without_image"]
    assert broken == [], (
        "figures glued without a rendered image (the kernel's Matplotlib backend does not give "
        "IPython a PNG formatter): " + ", ".join(broken)
    )


# ---------------------------------------------------------------------------------------
# Numbers at the precision the reader sees
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "spec, decimals", [(".2f", 2), (",.0f", 0), (".1%", 3), ("d", 0), (",d", 0), (None, None), ("s", None)]
)
def test_format_decimals(spec, decimals):
    assert claims.format_decimals(spec) == decimals


def test_format_decimals_refuses_a_format_the_gate_cannot_read():
    with pytest.raises(ValueError, match="not one the book uses"):
        claims.format_decimals(".3g")


def test_precision_problems_flag_hidden_digits():
    def number(name, value):
        return {"name": name, "notebook": "nb.ipynb", "kind": "number", "value": value, "volatile": False}

    formats = claims.displayed_formats(
        [
            "a {glue:text}`ok:.2f` b {glue:text}`x.ipynb::fine:,.0f` "
            "{glue:text}`noisy:.2f` {glue:text}`bare` {glue:text}`count:d`"
        ]
    )
    found = claims.precision_problems(
        [
            number("ok", 0.93),
            number("fine", 1234.0),
            number("noisy", 1.8179615784457581),
            number("bare", 0.5),
            number("count", 7),
            number("unshown", 2.5),
            {**number("volatile_s", 1.23456), "volatile": True},
        ],
        formats,
    )
    assert len(found) == 2  # a float no prose shows keeps the digits its glue call gave
    assert "noisy" in found[0] and "beyond the 2 decimals" in found[0]
    assert "bare" in found[1] and "without a number format" in found[1]


def book_texts() -> dict[str, str]:
    """The MyST text of every document of the book, by docname (Markdown cells of notebooks)."""
    texts = {}
    for doc in claims.toc_documents(ROOT):
        source = claims.document_source(ROOT, doc)
        if source.suffix == ".ipynb":
            nb = nbformat.read(source, as_version=4)
            texts[doc] = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        else:
            texts[doc] = source.read_text(encoding="utf-8")
    return texts


def test_every_glued_float_is_stored_at_the_precision_the_reader_sees():
    """No published number carries digits a reader cannot see: those are rounding noise
    that differs from one CPU to another (issue: reproducible on any machine)."""
    committed = []
    for path in claims.book_notebooks(ROOT):
        committed += claims.claims_from_notebook(nbformat.read(path, as_version=4), path.relative_to(ROOT).as_posix())
    assert committed
    assert claims.precision_problems(committed, claims.displayed_formats(book_texts().values())) == []
