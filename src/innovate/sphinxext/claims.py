"""Traceable numbers: every glued value of the book in one machine-readable claims file.

Each number in the book's prose is glued from the code that computed it
(:func:`innovate.show.glue.glue`). This module collects those glued values, one *claim* per
glue name, with the chapter and notebook it came from, so that a reviewer can trace any
number on a page back to its computation and so that the gates can check that two builds
agree.

Where the values come from
    The Sphinx extension in this module (registered in ``_config.yml`` under
    ``sphinx.extra_extensions``) runs at the end of every ``make book``. MyST-NB writes the
    glue data of each executed notebook, exactly as it used them to render the pages, to
    ``_build/jupyter_execute/<docname>.glue.json`` (whether the notebook was executed in
    this build or taken from the execution cache). The extension reads those files for
    every document of the book and writes ``_build/claims.json``. The same extraction
    works on any executed notebook (:func:`glue_outputs`), which the determinism test
    uses to compare two clean executions.

Volatile values
    A value that is *meant* to change between builds of the same inputs (the git commit,
    the Python build of the machine) is glued under a name starting ``volatile_``. It is
    kept in the claims file, flagged ``"volatile": true``, and left out of every
    comparison (:func:`comparable`).

Numbers typed into prose
    :func:`typed_numbers` scans MyST Markdown for digits that are not inside a glue role,
    a citation, code, mathematics, a link target or a directive option, and that no entry
    of the short :data:`ALLOWED` list explains (years, section and stage numbers, scale
    bounds named with their instrument, ...). The test ``tests/test_prose_numbers.py``
    runs it over the whole book.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from innovate.data.paths import project_root

#: File name of the claims file, written next to the HTML folder (``_build/claims.json``).
CLAIMS_FILE = "claims.json"
#: Glue names starting with this prefix are expected to differ between builds.
VOLATILE_PREFIX = "volatile_"
#: Format version of the claims file.
SCHEMA_VERSION = 1
#: MIME prefix myst-nb's ``glue`` uses for values that are not displayed where computed.
GLUE_MIME_PREFIX = "application/papermill.record/"

#: Output metadata key naming the estimand of a glued value (``innovate.show.glue``).
ESTIMAND_METADATA = "innovate_estimand"

_IMAGE_MIMES = ("image/png", "image/svg+xml", "image/jpeg")
_FINGERPRINT = re.compile(r"content ([0-9a-f]{16})>")
_NUMPY_SCALAR = re.compile(r"^np\.(?:float|int|uint|bool_?)\d*\((.*)\)$")


# ---------------------------------------------------------------------------------------
# Glue outputs -> claims
# ---------------------------------------------------------------------------------------
def is_volatile(name: str) -> bool:
    """Whether a glue name marks a value that may change between builds (``volatile_*``)."""
    return name.startswith(VOLATILE_PREFIX)


def parse_value(text: str):
    """The Python value a glued ``text/plain`` representation stands for, or None.

    Plain literals (``38.0``, ``2022``, ``'Devon'``, ``True``) and numpy scalar reprs
    (``np.float64(38.0)``) are understood; anything else returns None.
    """
    text = text.strip()
    match = _NUMPY_SCALAR.match(text)
    if match:
        text = match.group(1)
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    return None


def _strip_prefix(data: Mapping[str, object], prefix: str) -> dict:
    return {(k[len(prefix) :] if prefix and k.startswith(prefix) else k): v for k, v in data.items()}


def claim_from_output(name: str, output: Mapping, chapter: str, notebook: str) -> dict:
    """One claim from one glue output (a ``display_data`` mapping with ``data``).

    ``kind`` is ``number``, ``text``, ``boolean``, ``figure`` (an image was glued),
    ``table`` (HTML was glued), ``figure_without_image`` (a Matplotlib figure whose image
    was never rendered: the page would show its ``repr``) or ``other``.
    """
    meta = output.get("metadata", {}) or {}
    prefix = (meta.get("scrapbook") or {}).get("mime_prefix", "")
    data = _strip_prefix(output.get("data", {}) or {}, prefix)
    text = data.get("text/plain", "")
    if isinstance(text, list):
        text = "".join(text)
    claim = {
        "name": name,
        "chapter": chapter,
        "notebook": notebook,
        "text": text,
        "value": None,
        "kind": "other",
        "volatile": is_volatile(name),
    }
    if meta.get(ESTIMAND_METADATA):
        claim["estimand"] = meta[ESTIMAND_METADATA]
    images = [m for m in _IMAGE_MIMES if m in data]
    if images:
        # A figure is identified by what it shows (the fingerprint in its text form, see
        # innovate.show.figures.figure_fingerprint), not by the PNG's bytes, which differ
        # from CPU to CPU although no pixel a reader could notice does.
        claim["kind"] = "figure"
        match = _FINGERPRINT.search(text)
        claim["fingerprint"] = match.group(1) if match else None
        return claim
    if "text/html" in data:
        claim["kind"] = "table"
        html = data["text/html"]
        html = "".join(html) if isinstance(html, list) else str(html)
        claim["html_sha256"] = hashlib.sha256(html.encode("utf-8")).hexdigest()
        return claim
    if text.startswith("<Figure size"):
        claim["kind"] = "figure_without_image"
        return claim
    value = parse_value(text)
    if isinstance(value, bool):
        claim["kind"], claim["value"] = "boolean", value
    elif isinstance(value, (int, float)):
        claim["kind"], claim["value"] = "number", value
    elif isinstance(value, str):
        claim["kind"], claim["value"] = "text", value
    return claim


def glue_outputs(notebook: Mapping) -> dict[str, dict]:
    """Every glue output of an executed notebook (nbformat v4 mapping), by glue name.

    Glue outputs are the ``display_data`` outputs whose metadata carries
    ``{"scrapbook": {"name": ...}}`` (what ``myst_nb.glue`` writes); the mime prefix is
    removed, as MyST-NB does. A name glued twice keeps its last value (MyST-NB warns, and
    the strict build fails).
    """
    found: dict[str, dict] = {}
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            scrap = (output.get("metadata", {}) or {}).get("scrapbook")
            if not scrap or "name" not in scrap:
                continue
            prefix = scrap.get("mime_prefix", "")
            metadata = {"scrapbook": {"name": scrap["name"]}}
            estimand = (output.get("metadata", {}) or {}).get(ESTIMAND_METADATA)
            if estimand:
                metadata[ESTIMAND_METADATA] = estimand
            found[scrap["name"]] = {
                "data": _strip_prefix(output.get("data", {}) or {}, prefix),
                "metadata": metadata,
                "output_type": output.get("output_type", "display_data"),
            }
    return found


def notebook_title(notebook: Mapping) -> str:
    """The first level-one heading of a notebook's Markdown cells ('' when there is none)."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for line in source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return ""


def claims_from_glue(glue: Mapping[str, Mapping], chapter: str, notebook: str) -> list[dict]:
    """Claims for one chapter from its glue data, in the order the values were glued."""
    return [claim_from_output(name, output, chapter, notebook) for name, output in glue.items()]


def claims_from_notebook(notebook: Mapping, notebook_path: str, chapter: str | None = None) -> list[dict]:
    """Claims of an executed notebook (its title is the chapter unless one is given)."""
    title = notebook_title(notebook) if chapter is None else chapter
    return claims_from_glue(glue_outputs(notebook), title, notebook_path)


# ---------------------------------------------------------------------------------------
# The claims file
# ---------------------------------------------------------------------------------------
def claims_document(claims: Iterable[dict]) -> dict:
    """The claims file's content: a version and the claims sorted by notebook (stable)."""
    ordered = sorted(list(claims), key=lambda c: c["notebook"])  # stable: glue order kept
    return {"schema_version": SCHEMA_VERSION, "claims": ordered}


def write_claims(path: Path, claims: Iterable[dict]) -> Path:
    """Write the claims file (deterministic JSON: sorted keys, no timestamps)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(claims_document(claims), indent=1, sort_keys=True, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def load_claims(path: Path) -> list[dict]:
    """The claims of a claims file."""
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    if document.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path}: claims file schema {document.get('schema_version')!r}, expected {SCHEMA_VERSION}")
    return document["claims"]


_COMPARED = ("kind", "value", "text", "fingerprint", "html_sha256")


def comparable(claims: Iterable[dict]) -> dict[tuple[str, str], tuple]:
    """(notebook, name) -> the fields two builds must agree on; volatile claims left out."""
    return {
        (c["notebook"], c["name"]): tuple(c.get(k) for k in _COMPARED)
        for c in claims
        if not c.get("volatile", is_volatile(c["name"]))
    }


def diff_claims(first: Iterable[dict], second: Iterable[dict]) -> list[str]:
    """Human-readable differences between two sets of claims (empty when they agree)."""
    a, b = comparable(first), comparable(second)
    out = []
    for key in sorted(set(a) | set(b)):
        if key not in b:
            out.append(f"{key[0]}: {key[1]!r} only in the first build")
        elif key not in a:
            out.append(f"{key[0]}: {key[1]!r} only in the second build")
        elif a[key] != b[key]:
            changed = [f"{f}: {x!r} != {y!r}" for f, x, y in zip(_COMPARED, a[key], b[key]) if x != y]
            out.append(f"{key[0]}: {key[1]!r} differs ({'; '.join(changed)})")
    return out


# ---------------------------------------------------------------------------------------
# One quantity, one value
# ---------------------------------------------------------------------------------------
def estimand_conflicts(claims: Iterable[dict]) -> list[str]:
    """Estimands quoted with more than one value anywhere in the book (empty when none).

    A claim names its quantity by the ``estimand`` key its glue call gave; the same key
    glued under two names (two chapters, or a chapter and its summary) must hold the same
    value, at the precision the reader sees.
    """
    seen: dict[str, dict[object, list[str]]] = {}
    for claim in claims:
        key = claim.get("estimand")
        if not key or claim.get("volatile"):
            continue
        seen.setdefault(key, {}).setdefault(claim.get("value"), []).append(f"{claim['notebook']}: {claim['name']}")
    out = []
    for key in sorted(seen):
        if len(seen[key]) > 1:
            quoted = "; ".join(f"{value!r} ({', '.join(where)})" for value, where in seen[key].items())
            out.append(f"estimand {key!r} carries {len(seen[key])} values: {quoted}")
    return out


# ---------------------------------------------------------------------------------------
# Numbers at the precision the reader sees
# ---------------------------------------------------------------------------------------
#: A ``{glue:text}`` reference: optional ``path::`` prefix, the name, an optional format.
GLUE_TEXT_REFERENCE = re.compile(r"\{glue(?::text)?\}`(?:[^`]*::)?([^`:]+)(?::([^`]*))?`")


def format_decimals(spec: str | None) -> int | None:
    """Decimals a glue format shows: ``.2f`` and ``,.2f`` show 2, ``.1%`` shows 3 of the
    stored fraction, ``d`` and ``,d`` show 0; None for no format or a text format."""
    if not spec or spec == "s":
        return None
    match = re.fullmatch(r",?\.(\d+)([f%])", spec)
    if match:
        return int(match.group(1)) + (2 if match.group(2) == "%" else 0)
    if spec in ("d", ",d"):
        return 0
    raise ValueError(f"glue format {spec!r} is not one the book uses (.Nf, ,.Nf, .N%, d, ,d, s)")


def displayed_formats(texts: Iterable[str]) -> dict[str, set[str | None]]:
    """Glue name -> every format it is shown with in the given MyST texts."""
    found: dict[str, set[str | None]] = {}
    for text in texts:
        for name, spec in GLUE_TEXT_REFERENCE.findall(text):
            found.setdefault(name.strip(), set()).add(spec or None)
    return found


def precision_problems(claims: Iterable[dict], formats: Mapping[str, set]) -> list[str]:
    """Glued floats that hold more digits than the prose shows.

    A float is stored at the decimals the reader sees (``innovate.show.glue.glue``), so every
    comparison of two builds compares what a page shows and nothing finer; digits beyond
    those are rounding noise that changes with the CPU. An integer shown with ``:d`` or a
    float shown with ``:.2f`` pass when the stored value has no digit beyond the format's.
    """
    problems = []
    for claim in claims:
        value = claim.get("value")
        if claim.get("kind") != "number" or claim.get("volatile") or not isinstance(value, float):
            continue
        where = f"{claim['notebook']}: {claim['name']} = {value!r}"
        specs = formats.get(claim["name"], set())
        shown = [format_decimals(s) for s in specs]
        places = [p for p in shown if p is not None]
        if not specs:
            continue  # stored at the digits its glue call gave; no page shows more
        if None in shown:
            problems.append(f"{where} is shown without a number format")
        elif "d" in specs or ",d" in specs:
            problems.append(f"{where} is a float shown with an integer format")
        elif round(value, max(places)) != value:
            problems.append(f"{where} holds digits beyond the {max(places)} decimals the prose shows")
    return problems


# ---------------------------------------------------------------------------------------
# Sphinx extension: write _build/claims.json at the end of every build
# ---------------------------------------------------------------------------------------
def collect_from_build(glue_folder: Path, docs: Mapping[str, tuple[str, str]]) -> list[dict]:
    """Claims of a Sphinx build: ``docs`` maps docname -> (chapter title, source path)."""
    claims: list[dict] = []
    for docname in sorted(docs):
        glue_file = Path(glue_folder).joinpath(*f"{docname}.glue.json".split("/"))
        if not glue_file.exists():
            continue
        chapter, source = docs[docname]
        glue = json.loads(glue_file.read_text(encoding="utf-8"))
        claims += claims_from_glue(glue, chapter, source)
    return claims


def _write_build_claims(app, exception) -> None:
    # Only the HTML build writes the claims: the single-page build for the PDF reads the same
    # cache and must not overwrite them mid-test.
    if exception is not None or app.builder.name != "html":
        return
    env = app.env
    root = Path(app.srcdir)
    docs = {}
    for docname in env.found_docs:
        title = env.titles.get(docname)
        source = Path(env.doc2path(docname))
        try:
            source = source.relative_to(root)
        except ValueError:
            pass
        docs[docname] = (title.astext() if title is not None else docname, source.as_posix())
    build_dir = Path(app.outdir).parent
    write_claims(build_dir / CLAIMS_FILE, collect_from_build(build_dir / "jupyter_execute", docs))


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.claims]``."""
    app.connect("build-finished", _write_build_claims)
    return {"version": str(SCHEMA_VERSION), "parallel_read_safe": True, "parallel_write_safe": True}


# ---------------------------------------------------------------------------------------
# Numbers typed into prose
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TypedNumber:
    """A number written as digits in prose rather than glued."""

    source: str
    line: int
    number: str
    context: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.number!r} in {self.context!r}"


_N = r"\d+(?:[.,]\d+)*"
_RANGE = rf"{_N}\s*(?:-|–|to|and)\s*{_N}"

#: The short, principled allow-list: digits that are not results. Each entry is a regular
#: expression (matched on the prose once code, roles, maths and link targets are removed;
#: ``(?i)`` marks the case-insensitive ones) and the reason it is not a claim.
ALLOWED: tuple[tuple[str, str], ...] = (
    # Calendar references: years 1900-2099, decades, financial and academic years, ISO dates.
    (r"\b(?:19|20)\d{2}-\d{2}-\d{2}\b", "an ISO date"),
    (
        r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:January|February|March|April|May|June|July|August|September|"
        r"October|November|December)\b",
        "a day of a month",
    ),
    (r"\b(?:19|20)\d{2}(?:\s*(?:-|–|/)\s*(?:(?:19|20)\d{2}|\d{2}))?s?\b", "a year, decade or financial year"),
    # Structural references: the number names a part of a document, model or study design.
    (
        rf"(?i)\b(?:sections?|chapters?|parts?|appendix|appendices|stages?|items?|waves?|steps?|"
        rf"figures?|tables?|questions?|phases?|levels?|key stage|tiers?|models?|equations?)\s+{_N}"
        rf"(?:\s*(?:,|-|–|to|and|or)\s*{_N})*\b",
        "a section, chapter, stage, item, wave, model or similar reference",
    ),
    # Named measurement scales with their bounds: SWEMWBS 7-35, a 1-5 scale.
    (rf"\b[A-Z][A-Z0-9]*[A-Z][A-Z0-9-]*\s*\(?\s*(?:score\s+)?{_RANGE}\)?", "bounds of a named scale"),
    (rf"(?i)\b{_RANGE}(?:-point)?\s+(?:agreement\s+|rating\s+|likert\s+)?scale\b", "bounds of a rating scale"),
    (
        r"\(\s*\d+\s+[A-Za-z][A-Za-z ,'-]{0,40}?\s+to\s+\d+\s+[A-Za-z][A-Za-z ,'-]{0,40}?\)",
        "bounds of a rating scale with their labels: (1 strongly disagree to 5 strongly agree)",
    ),
    # Population denominators and age bands that define a measure.
    (r"(?i)\bper\s+(?:100|1,000|10,000|100,000)\b", "a rate's denominator"),
    (r"(?i)\bnearest\s+(?:5|10|100|1,000)\b", "a rounding base of a published rule"),
    (rf"(?i)\baged?\s+{_RANGE}\b|\b0\s*(?:-|–|to)\s*17\b", "an age band that defines a population"),
    # Conventions of statistical method: interval levels, significance thresholds, model orders.
    (
        r"(?i)\b(?:90|95|99)(?:\.\d)?\s?(?:%|per\s?cent)\s+(?:(?:confidence|credible|prediction|uncertainty|"
        r"bootstrap|percentile)\s+)?(?:intervals?|limits|bands?|CIs?)\b",
        "the level of an interval",
    ),
    (r"(?i)\bp\s*(?:<|≤|<=|below|under|less than)\s*0?\.(?:1|05|01|001)\b", "a conventional significance level"),
    (r"\b(?:S?ARIMA|ARMA|AR|MA)\s*\(\s*\d+(?:\s*,\s*\d+)*\s*\)", "the order of a time-series model"),
    # Names of standards, licences and software versions.
    (
        r"(?i)\b(?:CC BY(?:-[A-Z]+)*|Attribution|licen[cs]e|Python|Jupyter Book|version)\s+v?\d+(?:\.\d+)*\b",
        "a version in a name",
    ),
    (r"\b(?:R|Stata|SAS|SPSS)\s+\d+(?:\.\d+)+\b", "a software version"),
)
_ALLOWED = [(re.compile(p), why) for p, why in ALLOWED]

# Digits that are part of an identifier (E12000007, v3, COVID-19, CHU9D) are not numbers.
# Possessive quantifiers: "2.5th" is an ordinal, never the number "2".
_NUMBER = re.compile(r"(?<![\w./])(?<!\w-)\d++(?:[.,]\d++)*+%?(?![\w.,]\d|\w)")
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,}|:{3,})\s*(\{[^}]*\})?\s*(.*)$")
# Directives whose body is code, maths or raw output, never prose.
_NON_PROSE = {
    "code",
    "code-block",
    "code-cell",
    "sourcecode",
    "literalinclude",
    "math",
    "raw",
    "eval-rst",
    "glue:math",
    "bibliography",
    "tableofcontents",
    "toctree",
    "mermaid",
    "csv-table",
    "nb-exec-table",
}
_OPTION = re.compile(r"^\s*:[\w-]+:")
_ROLE = re.compile(r"\{[\w:.+-]+\}(`+)(?:.+?)\1", re.DOTALL)
_CODE = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)[^$\n]+?(?<![\s\\])\$(?!\d)")
_LINK_TARGET = re.compile(r"\]\([^)]*\)|\]\[[^\]]*\]")
_REF_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_URL = re.compile(r"<?https?://[^\s>)]+>?|\bwww\.[^\s)]+")
_HTML = re.compile(r"<!--.*?-->|</?[A-Za-z][^>\n]*>", re.DOTALL)
_TARGET = re.compile(r"^\s*\([\w:.-]+\)=\s*$", re.MULTILINE)
_COMMENT = re.compile(r"^\s*%.*$", re.MULTILINE)
_SUBSTITUTION = re.compile(r"\{\{.*?\}\}")
_LIST_MARKER = re.compile(r"^(\s*(?:>\s*)*)\d+[.)](?=\s)", re.MULTILINE)
_FOOTNOTE = re.compile(r"\[\^[^\]]+\]")
_HEADING_NUMBER = re.compile(r"^(\s*#{1,6}\s+)(?:\d+(?:\.\d+)*\.?)(?=\s)", re.MULTILINE)


def _prose_blocks(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of the parts of a MyST document that are prose.

    Front matter, fenced code, maths and raw directives are dropped; directive options
    are dropped; the bodies of other directives (captions, admonitions, tables) are prose.
    """
    lines = text.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":  # YAML front matter
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                start = i + 1
                break
    return _blocks(lines[start:], start + 1)


def _blocks(lines: list[str], first_line: int) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    buffer: list[str] = []
    buffer_start = first_line
    i = 0

    def flush():
        nonlocal buffer
        if buffer:
            out.append((buffer_start, "\n".join(buffer)))
        buffer = []

    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence and not (fence.group(2).startswith(":") and not fence.group(3)):
            flush()
            mark = fence.group(2)
            name = (fence.group(3) or "").strip("{}").strip()
            end = i + 1
            closing = re.compile(rf"^\s*{re.escape(mark[0])}{{{len(mark)},}}\s*$")
            while end < len(lines) and not closing.match(lines[end]):
                end += 1
            body = lines[i + 1 : end]
            is_code = mark[0] in "`~" and not fence.group(3)
            if not is_code and name not in _NON_PROSE:
                # skip the option block at the top of the directive, keep the body
                k = 0
                while k < len(body) and (_OPTION.match(body[k]) or (k == 0 and body[k].strip() == "---")):
                    if body[k].strip() == "---":  # YAML-style options
                        k += 1
                        while k < len(body) and body[k].strip() != "---":
                            k += 1
                    k += 1
                out += _blocks(body[k:], first_line + i + 1 + k)
            i = end + 1
            buffer_start = first_line + i
            continue
        if line.strip().startswith("$$"):
            # display maths: skip to the closing $$ (same line or later)
            flush()
            rest = line.strip()[2:]
            end = i
            if "$$" not in rest:
                end = i + 1
                while end < len(lines) and "$$" not in lines[end]:
                    end += 1
            i = end + 1
            buffer_start = first_line + i
            continue
        if not buffer:
            buffer_start = first_line + i
        buffer.append(line)
        i += 1
    flush()
    return out


def _blank(match: re.Match) -> str:
    """Replace a span by spaces, keeping newlines so line numbers survive."""
    return "".join("\n" if ch == "\n" else " " for ch in match.group(0))


def _keep_link_text(text: str) -> str:
    return _LINK_TARGET.sub(_blank, text)


def strip_non_prose(text: str) -> str:
    """A prose block with roles, code, maths, link targets, URLs and HTML blanked out."""
    for pattern in (
        _ROLE,
        _CODE,
        _DISPLAY_MATH,
        _INLINE_MATH,
        _REF_DEFINITION,
        _URL,
        _HTML,
        _TARGET,
        _COMMENT,
        _SUBSTITUTION,
        _FOOTNOTE,
    ):
        text = pattern.sub(_blank, text)
    text = _keep_link_text(text)
    text = _LIST_MARKER.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)
    text = _HEADING_NUMBER.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - len(m.group(1))), text)
    return text


def typed_numbers(text: str, source: str = "text", first_line: int = 1) -> list[TypedNumber]:
    """Numbers written as digits in the prose of a MyST Markdown text (see module doc)."""
    found = []
    for start, block in _prose_blocks(text):
        prose = strip_non_prose(block)
        for pattern, _why in _ALLOWED:
            prose = pattern.sub(_blank, prose)
        original = block.split("\n")
        for match in _NUMBER.finditer(prose):
            line_index = prose.count("\n", 0, match.start())
            line_text = original[line_index] if line_index < len(original) else ""
            found.append(
                TypedNumber(source, first_line - 1 + start + line_index, match.group(0), line_text.strip()[:120])
            )
    return found


def notebook_typed_numbers(notebook: Mapping, source: str) -> list[TypedNumber]:
    """Typed numbers in the Markdown cells of a notebook (line numbers count within a cell)."""
    found = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("cell_type") != "markdown":
            continue
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else text
        found += typed_numbers(text, f"{source} [cell {index + 1}]")
    return found


# ---------------------------------------------------------------------------------------
# The book's documents
# ---------------------------------------------------------------------------------------
def toc_documents(root: Path) -> list[str]:
    """Every document of ``_toc.yml`` (Sphinx docnames, root first, in reading order)."""
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []) or []:
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return [n[: -len(Path(n).suffix)] if Path(n).suffix in (".md", ".ipynb") else n for n in names]


def document_source(root: Path, docname: str) -> Path:
    """The source file of a docname (``.ipynb`` or ``.md``)."""
    for suffix in (".ipynb", ".md"):
        path = Path(root) / f"{docname}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"no .ipynb or .md source for {docname!r} under {root}")


def book_notebooks(root: Path) -> list[Path]:
    """The notebooks of the book, in table-of-contents order."""
    return [p for p in (document_source(root, d) for d in toc_documents(root)) if p.suffix == ".ipynb"]


# ---------------------------------------------------------------------------------------
# Executing notebooks afresh (used by the determinism gate)
# ---------------------------------------------------------------------------------------
def execute_for_claims(
    paths: Iterable[Path], root: Path, out_dir: Path | None = None, timeout: int = 600
) -> list[dict]:
    """Execute notebooks afresh, as MyST-NB does in a clean build, and return their claims.

    Each notebook runs with the ``python3`` kernel in its own folder (the book's
    ``run_in_temp: false``), from the committed source with its outputs cleared, so nothing
    comes from a cache. Executed copies are written under ``out_dir`` when it is given.
    Claims are named by the notebook's path relative to ``root``, as in ``claims.json``.
    """
    # Deferred: the notebook client loads only when notebooks are executed, not with Sphinx.
    import nbformat
    from nbclient import NotebookClient

    claims: list[dict] = []
    for path in paths:
        path = Path(path).resolve()
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        NotebookClient(
            nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
        relative = path.relative_to(Path(root).resolve()).as_posix()
        if out_dir is not None:
            target = Path(out_dir) / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
        claims += claims_from_notebook(nb, relative)
    return claims


def main(argv: list[str] | None = None) -> int:
    """``python -m innovate.sphinxext.claims execute --out claims.json NOTEBOOK ...``."""
    parser = argparse.ArgumentParser(
        prog="python -m innovate.sphinxext.claims", description="Collect the book's glued values."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute notebooks afresh and write their claims")
    run.add_argument("notebooks", nargs="+", type=Path)
    run.add_argument("--out", required=True, type=Path, help="claims file to write")
    run.add_argument("--executed", type=Path, default=None, help="folder for the executed notebooks")
    scan = sub.add_parser("typed-numbers", help="list numbers typed into prose instead of glued")
    scan.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "execute":
        write_claims(args.out, execute_for_claims(args.notebooks, project_root(), args.executed))
        return 0
    findings = []
    for path in args.files:
        if path.suffix == ".ipynb":
            findings += notebook_typed_numbers(json.loads(path.read_text(encoding="utf-8")), str(path))
        else:
            findings += typed_numbers(path.read_text(encoding="utf-8"), str(path))
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
