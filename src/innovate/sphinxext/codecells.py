"""One code-display rule for every executable chapter, applied at build time (issue #17).

The introduction promises that every number is computed by the code beside it, so a
reader must be able to open that code; but imports and ``glue(...)`` lines are plumbing
that says nothing about the analysis. The rule, for every code cell of every notebook:

* the cell's **analysis code** (its source without the plumbing) is shown **folded**
  behind a toggle, beside the output or the prose it feeds;
* **plumbing** is removed: imports, bare ``glue(...)``/``glue_*`` calls that publish a
  value computed above (a name, a field of one, a constant), loops or branches made only
  of these, and settings (``warnings.filterwarnings``, ``set_option``). A glue call that
  computes the value it glues is analysis, and is shown;
* a cell with nothing left after that, or a cell of papermill ``parameters``, shows no
  code at all (its output, if any, stays).

Cell tags no longer decide what code is shown: ``hide-input``, ``remove-input`` and
``remove-cell`` on a code cell all get the same rule, so no chapter can drift from it.
(A ``remove-cell`` cell is dropped by MyST-NB before rendering; its analysis code is put
back, folded, where the cell stood, and its outputs stay hidden.) The tags stay in the
notebooks because the execution cache hashes cell metadata: rewriting them would force
every notebook to execute again for no change in what it computes.

Registered in ``_config.yml`` (``sphinx: extra_extensions``). Runs as a post-transform
before MyST-NB's ``HideInputCells`` (priority 199), which then draws the toggles.
"""

from __future__ import annotations

import ast
import json
import re
from functools import lru_cache
from pathlib import Path

from docutils import nodes

#: Calls that only publish a value to the prose (``glue``, ``glue_numbers``, ``glue_case_figure``...).
GLUE_CALL = re.compile(r"^glue(_\w+)?$|^\w*glue\w*$")
#: Method calls that only set up the session.
SETUP_CALLS = {"filterwarnings", "simplefilter", "set_option", "set_printoptions", "use", "rcParams"}
#: Where a cell's line numbers start in MyST-NB's doctree: (cell index + 1) * CELL_LINES.
CELL_LINES = 10000


def _call_name(call: ast.AST) -> str | None:
    if not isinstance(call, ast.Call):
        return None
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def is_plumbing(statement: ast.stmt) -> bool:
    """Whether a top-level statement is plumbing: an import, a bare glue call (also as
    ``_ = glue(...)``), a settings call, or a loop/branch/with made only of these."""
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return True
    value = None
    if isinstance(statement, ast.Expr):
        value = statement.value
    elif isinstance(statement, ast.Assign) and all(isinstance(t, ast.Name) and t.id == "_" for t in statement.targets):
        value = statement.value
    if value is not None:
        name = _call_name(value)
        if name is not None and name in SETUP_CALLS:
            return True
        # A glue call only publishes when what it glues was computed above (a name, a field,
        # a constant); one that computes its value is analysis and is shown, so that every
        # number stays "computed by the code beside it".
        return (
            name is not None
            and isinstance(value, ast.Call)
            and bool(GLUE_CALL.match(name))
            and all(_is_reference(a) for a in value.args[1:])
        )
    return False if not isinstance(statement, (ast.For, ast.While, ast.If, ast.With)) else _all_plumbing(statement)


def _all_plumbing(statement: ast.stmt) -> bool:
    bodies = [getattr(statement, "body", []), getattr(statement, "orelse", [])]
    inner = [s for body in bodies for s in body]
    return bool(inner) and all(is_plumbing(s) for s in inner)


#: Conversions that do not compute: ``float(x)``, ``int(row["n"])``.
CONVERSIONS = {"float", "int", "str", "bool"}


def _is_reference(node: ast.AST) -> bool:
    """Whether a glued value is only a reference to something computed before: a constant, a
    name, an attribute or item of one (with a constant or name key), a conversion of one,
    or an f-string of them."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return True
    if isinstance(node, ast.Attribute):
        return _is_reference(node.value)
    if isinstance(node, ast.Subscript):
        keys = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        return _is_reference(node.value) and all(isinstance(k, (ast.Constant, ast.Name)) for k in keys)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CONVERSIONS:
        return len(node.args) == 1 and not node.keywords and _is_reference(node.args[0])
    if isinstance(node, ast.JoinedStr):
        return all(_is_reference(v.value) if isinstance(v, ast.FormattedValue) else True for v in node.values)
    return False


def analysis_code(source: str) -> str:
    """A cell's source with the plumbing removed ('' when nothing is left).

    Code that does not parse as Python (a cell magic, say) is shown as it is, less its
    ``%``/``!`` lines, rather than guessed at."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        kept = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
        return _tidy(kept)
    lines = source.splitlines()
    drop: set[int] = set()
    for statement in tree.body:
        if is_plumbing(statement):
            first, last = statement.lineno - 1, (statement.end_lineno or statement.lineno) - 1
            drop.update(range(first, last + 1))
            # comments standing directly above a removed statement go with it
            above = first - 1
            while above >= 0 and lines[above].lstrip().startswith("#"):
                drop.add(above)
                above -= 1
    return _tidy([line for i, line in enumerate(lines) if i not in drop])


def _tidy(lines: list[str]) -> str:
    """Lines joined with runs of blank lines made single and none at either end."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line.rstrip())
    while out and not out[-1].strip():
        out.pop()
    return "\n".join(out)


@lru_cache(maxsize=64)
def _cells(path: str, mtime_ns: int) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    out = []
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        out.append((cell.get("cell_type", ""), source, tuple(cell.get("metadata", {}).get("tags", []))))
    return tuple(out)


def notebook_cells(path: Path) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """(cell type, source, tags) of every cell of a notebook file, read once per version."""
    return _cells(str(path), path.stat().st_mtime_ns)


#: Cells that set the notebook up rather than analyse: papermill's parameters (a site
#: chapter's site id, injected by the generator) and the launch setup cell that installs
#: the package on Colab (innovate.launch.SETUP_TAG; tests/gates/test_launch.py keeps them equal).
SETUP_TAGS = {"parameters", "injected-parameters", "launch-setup"}


def _shown(cell: tuple[str, str, tuple[str, ...]]) -> str:
    """The code a cell shows under the rule ('' for none)."""
    kind, source, tags = cell
    if kind != "code" or SETUP_TAGS & set(tags):
        return ""
    return analysis_code(source)


def _code_block(code: str) -> nodes.container:
    literal = nodes.literal_block(code, code, language="ipython3")
    return nodes.container("", literal, nb_element="cell_code_source", classes=["cell_input"])


def _fold(container: nodes.container, prompts: tuple[str, str]) -> None:
    """Fold the input of a cell container, keeping a hidden output hidden."""
    mode = container.get("hide_mode")
    container["hide_mode"] = (
        "input+output" if mode in ("output", "input+output") else ("all" if mode == "all" else "input")
    )
    container["prompt_show"], container["prompt_hide"] = prompts


def _unfold(container: nodes.container) -> None:
    mode = container.get("hide_mode")
    if mode == "input":
        del container["hide_mode"]
    elif mode == "input+output":
        container["hide_mode"] = "output"


def _top_level(node: nodes.Node) -> nodes.Node:
    """The body element holding ``node`` directly under a section or the document; for a
    section's title, the section itself."""
    while node.parent is not None and not isinstance(node.parent, (nodes.section, nodes.document)):
        node = node.parent
    if isinstance(node, nodes.title) and isinstance(node.parent, nodes.section):
        return node.parent
    return node


def _cell_of(node: nodes.Node) -> int | None:
    line = getattr(node, "line", None)
    return line // CELL_LINES - 1 if isinstance(line, int) and line >= CELL_LINES else None


def apply_rule(document: nodes.document, prompts: tuple[str, str], cells_of=None) -> int:
    """Apply the code-display rule to every notebook in a doctree (one page, or the whole
    book in the single-page build); returns how many cells show code.

    Nodes are matched to their notebook by ``node.source`` (the notebook's path, which
    MyST-NB sets on every node it renders) and to their cell by ``node.line``."""
    cells_of = cells_of or (lambda source: notebook_cells(Path(source)))
    by_source: dict[str, list[nodes.Element]] = {}
    for node in document.findall(nodes.Element):
        source = getattr(node, "source", None) or ""
        if source.endswith(".ipynb"):
            by_source.setdefault(source, []).append(node)
    return sum(_apply_to_notebook(found, cells_of(source), prompts) for source, found in by_source.items())


def _apply_to_notebook(found: list[nodes.Element], cells, prompts: tuple[str, str]) -> int:
    shown = 0
    rendered = {
        n["cell_index"]: n
        for n in found
        if isinstance(n, nodes.container)
        and n.get("nb_element") == "cell_code"
        and isinstance(n.get("cell_index"), int)
    }
    for index, container in rendered.items():
        code = _shown(cells[index]) if index < len(cells) else ""
        source = [c for c in container.children if c.get("nb_element") == "cell_code_source"]
        if not code:
            for child in source:
                container.remove(child)
            _unfold(container)
            continue
        block = _code_block(code)
        if source:
            container.replace(source[0], block)
        else:
            container.insert(0, block)
        _fold(container, prompts)
        shown += 1
    # Cells MyST-NB dropped (remove-cell): their analysis code goes back where they stood.
    removed = [
        (i, code)
        for i, (kind, source, tags) in enumerate(cells)
        if kind == "code" and i not in rendered and ("remove-cell" in tags or "remove_cell" in tags)
        if (code := _shown((kind, source, tags)))
    ]
    located = [(n, cell) for n in found if (cell := _cell_of(n)) is not None]
    for index, code in removed:
        container = nodes.container(
            "", _code_block(code), nb_element="cell_code", cell_index=index, classes=["cell", "tag_remove-cell"]
        )
        _fold(container, prompts)
        after = next((n for n, cell in located if cell > index), None)
        if after is None:  # the notebook's last cell: after everything else of the notebook
            last = _top_level(located[-1][0]) if located else None
            if last is None:
                continue
            last.parent.insert(last.parent.index(last) + 1, container)
        else:
            anchor = _top_level(after)
            anchor.parent.insert(anchor.parent.index(anchor), container)
        shown += 1
    return shown


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.codecells]``."""
    from sphinx.transforms.post_transforms import SphinxPostTransform

    class CodeDisplayRule(SphinxPostTransform):
        default_priority = 150  # before MyST-NB's HideInputCells (199) draws the toggles

        def run(self, **kwargs):
            config = self.env.mystnb_config  # type: ignore[attr-defined]  # MyST-NB sets it
            apply_rule(self.document, (config.code_prompt_show, config.code_prompt_hide))

    app.add_post_transform(CodeDisplayRule)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
