"""innovate.pagefixes: the page fixes the browser gates asked for."""

from __future__ import annotations

from types import SimpleNamespace

from innovate.sphinxext import pagefixes


def script(filename, body=None, priority=500):
    attributes = {"body": body} if body is not None else {}
    return SimpleNamespace(filename=filename, attributes=attributes, priority=priority)


def test_repeated_inline_scripts_are_removed_in_order():
    scripts = [
        script("a.js"),
        script("", "const X = 1"),
        script("b.js"),
        script("", "const X = 1", 800),
        script("a.js"),
        script("", "const Y = 2"),
    ]
    kept = pagefixes.unique_scripts(scripts)
    assert [(s.filename, s.attributes.get("body")) for s in kept] == [
        ("a.js", None),
        ("", "const X = 1"),
        ("b.js", None),
        ("", "const Y = 2"),
    ]


def test_bibliography_entries_become_list_items():
    body = '<div role="list" class="citation-list">\n<div class="citation" id="id6" role="doc-biblioentry">\n'
    fixed = pagefixes.fix_body(body)
    assert 'role="doc-biblioentry"' not in fixed and '<div class="citation" id="id6" role="listitem">' in fixed


def test_toggles_are_named_by_their_visible_text():
    body = '<summary aria-label="Toggle hidden content">\n<p>Show code cell source</p></summary>'
    assert pagefixes.fix_body(body) == "<summary>\n<p>Show code cell source</p></summary>"


def test_only_blank_corner_headers_become_cells():
    body = (
        '<th class="blank level0" >&nbsp;</th><th class="blank" >&nbsp;</th>'
        '<th class="blank col0" >x</th><th class="col_heading level0 col0" >n</th>'
    )
    assert pagefixes.fix_body(body) == (
        '<th class="blank level0" role="cell">&nbsp;</th><th class="blank" role="cell">&nbsp;</th>'
        '<th class="blank col0" >x</th><th class="col_heading level0 col0" >n</th>'
    )


def test_page_context_hook_applies_the_fixes():
    context = {
        "script_files": [script("", "const X = 1"), script("", "const X = 1")],
        "body": '<summary aria-label="Toggle hidden content">',
    }
    pagefixes._page_context(None, "p", "page.html", context, None)
    assert len(context["script_files"]) == 1 and context["body"] == "<summary>"


def _exec_table(headers, rows):
    from docutils import nodes

    table = nodes.table()
    group = nodes.tgroup(cols=len(headers))
    table += group
    head, body = nodes.thead(), nodes.tbody()
    group += head
    group += body
    for parent, cells in [(head, headers), *[(body, r) for r in rows]]:
        row = nodes.row()
        parent += row
        for text in cells:
            row += nodes.entry("", nodes.paragraph(text, text))
    return table


def test_the_execution_table_gets_a_caption_and_plain_headers():
    from docutils import nodes
    from docutils.frontend import get_default_settings
    from docutils.parsers.rst import Parser
    from docutils.utils import new_document

    document = new_document("<test>", get_default_settings(Parser))
    document += _exec_table(pagefixes.EXEC_TABLE_HEADERS, [["notebooks/x", "2026-12-05", "cache", "4.1", "\u2705"]])
    document += _exec_table(["Area", "Rate"], [["Devon", "1.0"]])
    assert pagefixes.caption_execution_tables(document) == 1
    first, other = document.findall(nodes.table)
    assert first.children[0].astext() == pagefixes.EXEC_TABLE_CAPTION
    assert first["ids"]
    assert [e.astext() for e in first.findall(nodes.entry)] == [
        "Chapter (notebook)",
        "Modified",
        "Method",
        "Run time (seconds)",
        "Succeeded",
        "notebooks/x",
        "2026-12-05",
        "cache",
        "4.1",
        "yes",
    ]
    assert not any(isinstance(c, nodes.title) for c in other.children)
    assert pagefixes.caption_execution_tables(document) == 0  # once only
