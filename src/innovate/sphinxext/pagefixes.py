"""Fixes applied to every HTML page at build time, found by the book's browser gates.

A small Sphinx extension (registered in ``_config.yml``). Each fix answers a failure that
``tests/test_browser.py`` found in the theme's output, and is kept to the narrowest change:

* **Duplicate inline scripts.** Jupyter Book 1 loads ``sphinx-thebe`` and
  ``sphinx-togglebutton``, which register their inline configuration scripts in a way that
  Sphinx emits twice per page. The repeated ``const THEBE_JS_URL = ...`` is a JavaScript
  ``SyntaxError`` on every page (a console error). Each page keeps the first copy of every
  script.
* **Bibliography roles.** Docutils writes the bibliography as ``role="list"`` whose
  entries carry ``role="doc-biblioentry"``, a role deprecated in DPUB-ARIA 1.1 and not a
  list item, so assistive technology sees a list without items (axe-core rules
  ``aria-required-children``, critical, and ``aria-deprecated-role``). Entries become
  ``role="listitem"``.
* **Collapsed-cell toggles.** MyST-NB names the ``<summary>`` of a hidden cell "Toggle
  hidden content" while its visible text is "Show code cell source", which fails WCAG 2.5.3
  "label in name" (axe-core ``label-content-name-mismatch``, serious). The ``aria-label`` is
  dropped, so the toggle is named by the text a sighted reader sees.
* **Blank corner cells of tables.** pandas writes the empty cells above a table's row
  labels as ``<th>&nbsp;</th>``: headers with no text (axe-core ``empty-table-header``).
  They head nothing, so they are given ``role="cell"``; the markup stays ``<th>`` so tools
  that read the table (the disclosure gate) see the same header rows.

* **The execution table without a caption.** MyST-NB's ``nb-exec-table`` directive (the
  reproducibility appendix) builds a table with no title, and headers "Run Time (s)" and a
  bare emoji for the status. Every table of the book has a caption (issue #17's gate,
  ``tests/gates/test_tables_and_alt.py``), so a post-transform that runs just after
  MyST-NB's gives it one and plain headers.

The theme's other accessibility failures are fixed in its templates
(``book/_templates``); see that folder's README.
"""

from __future__ import annotations

import re

_BIBLIOENTRY = re.compile(r'(<div class="citation" id="[^"]*" )role="doc-biblioentry"')
_SUMMARY_LABEL = re.compile(r'<summary aria-label="Toggle hidden content">')
_BLANK_HEADER = re.compile(r'<th class="(blank(?: [^"]*)?)"\s*>(\s*(?:&nbsp;|&#160;)?\s*)</th>')


def script_key(script) -> tuple:
    """What makes two script entries the same script: file name and inline body."""
    filename = getattr(script, "filename", script)
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename or ""), attributes.get("body", ""))


def unique_scripts(scripts: list) -> list:
    """The page's scripts with later copies of the same script removed (order kept)."""
    seen = set()
    out = []
    for script in scripts:
        key = script_key(script)
        if key in seen:
            continue
        seen.add(key)
        out.append(script)
    return out


def fix_bibliography_roles(body: str) -> str:
    """Bibliography entries as list items of their ``role="list"`` container."""
    return _BIBLIOENTRY.sub(r'\1role="listitem"', body)


def fix_toggle_labels(body: str) -> str:
    """Collapsed-cell toggles named by their visible text."""
    return _SUMMARY_LABEL.sub("<summary>", body)


def fix_blank_headers(body: str) -> str:
    """Empty pandas corner cells marked as plain cells rather than headers."""
    return _BLANK_HEADER.sub(r'<th class="\1" role="cell">\2</th>', body)


def fix_body(body: str) -> str:
    """Every fix to a page's body HTML."""
    return fix_blank_headers(fix_toggle_labels(fix_bibliography_roles(body)))


#: MyST-NB's execution table, by its header row.
EXEC_TABLE_HEADERS = ["Document", "Modified", "Method", "Run Time (s)", "Status"]
EXEC_TABLE_CAPTION = (
    "Executable chapters of this build: when each notebook was last modified, how its outputs were "
    "obtained (executed in this build, or from the execution cache), its run time and whether it succeeded."
)
PLAIN_HEADERS = {"Document": "Chapter (notebook)", "Run Time (s)": "Run time (seconds)", "Status": "Succeeded"}


def caption_execution_tables(document) -> int:
    """Give MyST-NB's execution tables a caption and plain headers; returns how many."""
    from docutils import nodes

    done = 0
    for table in list(document.findall(nodes.table)):
        heads = [row for row in table.findall(nodes.thead)]
        if not heads or any(isinstance(child, nodes.title) for child in table.children):
            continue
        entries = [entry for entry in heads[0].findall(nodes.entry)]
        if [e.astext().strip() for e in entries] != EXEC_TABLE_HEADERS:
            continue
        table.insert(0, nodes.title(EXEC_TABLE_CAPTION, EXEC_TABLE_CAPTION))
        if not table["ids"]:  # Sphinx's HTML writer needs an id on a captioned table
            document.set_id(table)
        for entry in entries:
            plain = PLAIN_HEADERS.get(entry.astext().strip())
            if plain:
                entry.children = [nodes.paragraph(plain, plain)]
        for row in table.findall(nodes.row):
            cells = list(row.findall(nodes.entry))
            if len(cells) == len(EXEC_TABLE_HEADERS) and cells[-1].astext() in ("\u2705", "\u274c"):
                word = "yes" if cells[-1].astext() == "\u2705" else "no"
                cells[-1].children = [nodes.paragraph(word, word)]
        done += 1
    return done


def _page_context(app, pagename, templatename, context, doctree):
    if "script_files" in context:
        context["script_files"] = unique_scripts(list(context["script_files"]))
    if "body" in context:
        context["body"] = fix_body(context["body"])


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.pagefixes]``."""
    # Run after the theme and the other extensions have filled the page context.
    app.connect("html-page-context", _page_context, priority=900)
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class CaptionExecutionTables(SphinxPostTransform):
        default_priority = 9  # just after MyST-NB's ExecutionStatsPostTransform (8)

        def run(self, **kwargs):
            caption_execution_tables(self.document)

    app.add_post_transform(CaptionExecutionTables)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
