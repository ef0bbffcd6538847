"""innovate.sphinxext.codecells: one code-display rule for every chapter (issue #17 item 1)."""

from __future__ import annotations

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from innovate.sphinxext import codecells

CELL = """\
import numpy as np

from innovate.show.glue import glue, styled

# the rate per 10,000
rate = 1e4 * counts / population
glue("rate", rate, digits=1)
_ = glue("rate_text", f"{rate:.1f}")
share = glue("share", float(np.mean(rate > 1)), digits=2)
for key, value in summary.items():
    glue(f"x_{key}", value)
if truth is not None:
    glue("truth", "known")
else:
    glue("truth", "")
warnings.filterwarnings("ignore")
styled(table, "t", caption="A table.")
"""


def test_plumbing_is_removed_and_analysis_kept():
    assert codecells.analysis_code(CELL) == (
        '# the rate per 10,000\nrate = 1e4 * counts / population\nshare = glue("share", float(np.mean(rate > 1)), digits=2)\n'
        'styled(table, "t", caption="A table.")'
    )


def test_a_cell_of_plumbing_only_shows_nothing():
    assert codecells.analysis_code('from innovate import x\n\nglue("a", 1)\n_ = glue_case_figure("f", fig)\n') == ""


def test_a_loop_that_computes_is_analysis():
    code = 'for s in sites:\n    fits[s] = fit(s)\n    glue(f"{s}_rr", fits[s].rr)\n'
    assert codecells.analysis_code(code) == code.rstrip()


def test_code_that_does_not_parse_loses_only_its_magics():
    assert codecells.analysis_code("%matplotlib inline\nx = (\n") == "x = ("


def _document():
    document = new_document("<test>", get_default_settings(Parser))
    return document


def _cell(index, source, classes=("cell",), with_input=True, output=True, hide_mode=None):
    container = nodes.container(nb_element="cell_code", cell_index=index, classes=list(classes))
    if hide_mode:
        container["hide_mode"] = hide_mode
    if with_input:
        container += nodes.container(
            "", nodes.literal_block(source, source), nb_element="cell_code_source", classes=["cell_input"]
        )
    if output:
        container += nodes.container("", nodes.paragraph(text="out"), nb_element="cell_code_output")
    return container


def _located(node, path, cell_index):
    node.source, node.line = path, (cell_index + 1) * codecells.CELL_LINES + 1
    for child in node.findall(nodes.Element):
        child.source = path
    return node


def test_the_rule_folds_analysis_removes_plumbing_and_restores_removed_cells():
    path = "/book/notebooks/x.ipynb"
    cells = [
        ("code", "import pandas as pd\n", ("remove-input",)),  # 0: plumbing, input removed
        ("code", "table = fit(data)\nstyled(table, 't')", ()),  # 1: shown inline today -> folded
        ("markdown", "Some prose.", ()),  # 2
        ("code", "effect = model.effect()\nglue('effect', effect)", ("remove-cell",)),  # 3: dropped by MyST-NB
        ("markdown", "The effect is ...", ()),  # 4
        ("code", "plot(series)", ("remove-input",)),  # 5: input absent -> restored, folded
    ]
    document = _document()
    section = _located(nodes.section(), path, 0)
    document += section
    section += _located(_cell(0, cells[0][1], with_input=False, output=False), path, 0)
    section += _located(_cell(1, cells[1][1]), path, 1)
    section += _located(nodes.paragraph(text="Some prose."), path, 2)
    prose = _located(nodes.paragraph(text="The effect is ..."), path, 4)
    section += prose
    section += _located(_cell(5, cells[5][1], with_input=False), path, 5)

    shown = codecells.apply_rule(document, ("Show code", "Hide code"), cells_of={path: cells}.__getitem__)

    assert shown == 3
    containers = [n for n in document.findall(nodes.container) if n.get("nb_element") == "cell_code"]
    assert [c["cell_index"] for c in containers] == [0, 1, 3, 5]
    by_index = {c["cell_index"]: c for c in containers}
    assert "hide_mode" not in by_index[0] and not list(by_index[0].findall(nodes.literal_block))
    for index, code in (
        (1, "table = fit(data)\nstyled(table, 't')"),
        (3, "effect = model.effect()"),
        (5, "plot(series)"),
    ):
        container = by_index[index]
        assert container["hide_mode"] == "input" and container["prompt_show"] == "Show code"
        assert container.children[0]["nb_element"] == "cell_code_source"
        assert container.children[0].astext() == code
    # the restored cell stands where it stood: after cell 2's prose, before cell 4's
    assert section.index(by_index[3]) == section.index(prose) - 1


def test_a_hidden_output_stays_hidden():
    document = _document()
    path = "/b/y.ipynb"
    document += _located(_cell(0, "x = f()\nx", hide_mode="output"), path, 0)
    codecells.apply_rule(document, ("s", "h"), cells_of={path: [("code", "x = f()\nx", ("hide-output",))]}.__getitem__)
    (container,) = [n for n in document.findall(nodes.container) if n.get("nb_element") == "cell_code"]
    assert container["hide_mode"] == "input+output"


def test_a_parameters_cell_shows_no_code():
    assert codecells._shown(("code", 'site_id = "devon"', ("parameters", "remove-cell"))) == ""
    assert codecells._shown(("code", "x = fit()", ("remove-cell",))) == "x = fit()"


def test_a_glue_call_that_computes_its_value_is_shown():
    code = (
        'glue("or", float(ors.loc["years", "odds_ratio"]), digits=2)\n'
        'glue("n_clear", int(((terms["lower"] > 1) | (terms["upper"] < 1)).sum()))\n'
        'glue("label", f"{summary.pooled:.2f} ({low} to {high})")\n'
        'glue_figure("fig-model", pm.model_figure())\n'
        'glue_case_figure("fig-costs", fig)\n'
    )
    assert codecells.analysis_code(code) == (
        'glue("n_clear", int(((terms["lower"] > 1) | (terms["upper"] < 1)).sum()))\n'
        'glue_figure("fig-model", pm.model_figure())'
    )
