"""Render the six site chapters from one template.

``templates/site-chapter.ipynb`` (next to this module) is the one source of every site
chapter. It follows papermill's convention: the cell tagged ``parameters`` holds a default
``site_id``, which rendering replaces with the site's. Markdown cells carry placeholders
``{{name}}`` filled from :func:`innovate.show.site_pages.chapter_fields` (facts from the
curated reference files, each with its source), and a cell whose metadata has
``site_template.only`` is kept only for those kinds of area (``la``, ``region``,
``scotland``: :func:`innovate.show.site_pages.kind`).

    python -m innovate.show.site_template render            # write notebooks/sites/*.ipynb
    python -m innovate.show.site_template check             # exit 1 if any differs

Rendering keeps the outputs of a chapter already on disk when its cell sources are
unchanged, so the executed notebooks are not disturbed; a changed cell loses its outputs
and the chapter must be re-executed (``python -m innovate.notebooks execute``).
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

from innovate.data import sites
from innovate.data.paths import project_root
from innovate.show import site_pages

TEMPLATE = Path(__file__).resolve().parent / "templates" / "site-chapter.ipynb"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def chapter_path(site_id: str, root: Path | None = None) -> Path:
    return (root or project_root()) / "notebooks" / "sites" / f"{site_pages.slug(site_id)}.ipynb"


def _fill(text: str, fields: dict[str, str], where: str) -> str:
    def sub(match):
        key = match.group(1)
        if key not in fields:
            raise KeyError(f"{where}: unknown placeholder {{{{{key}}}}}; known: {', '.join(sorted(fields))}")
        return fields[key]

    return _PLACEHOLDER.sub(sub, text)


def render(site_id: str, template: Path = TEMPLATE):
    """The chapter notebook of one site (no outputs), as an ``nbformat`` node."""
    import nbformat

    nb = nbformat.read(template, as_version=4)
    fields = site_pages.chapter_fields(site_id)
    area_kind = site_pages.kind(site_id)
    cells = []
    for i, cell in enumerate(nb.cells):
        only = cell.metadata.get("site_template", {}).get("only")
        if only is not None and area_kind not in only:
            continue
        cell = copy.deepcopy(cell)
        cell.metadata.pop("site_template", None)
        if "parameters" in cell.metadata.get("tags", []):
            # papermill's convention: the parameters cell carries the injected value
            cell.source = f'site_id = "{site_id}"  # the site this chapter is about (injected by the generator)'
        else:
            cell.source = _fill(cell.source, fields, f"{template.name}, cell {i}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.pop("id", None)
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("site_template", None)
    nb.metadata["site_template"] = {"site_id": site_id, "template": "src/innovate/show/templates/site-chapter.ipynb"}
    for n, cell in enumerate(nb.cells):
        cell["id"] = f"{site_pages.slug(site_id)}-{n:02d}"
    return nb


def stripped(nb) -> list[tuple]:
    """What must match between a committed chapter and the template: cell types, sources,
    tags and ids (outputs, execution counts and kernel metadata are left out)."""
    return [(c.cell_type, c.get("id"), c.source, tuple(c.metadata.get("tags", []))) for c in nb.cells] + [
        ("metadata", None, repr(nb.metadata.get("site_template")), ())
    ]


def differences(root: Path | None = None, template: Path = TEMPLATE) -> list[str]:
    """The chapters that differ from a fresh rendering, apart from outputs."""
    import nbformat

    out = []
    for site_id in sites.SITE_IDS:
        path = chapter_path(site_id, root)
        if not path.exists():
            out.append(f"{path}: missing")
            continue
        committed = nbformat.read(path, as_version=4)
        if stripped(committed) != stripped(render(site_id, template)):
            out.append(f"{path}: differs from the template (run python -m innovate.show.site_template render)")
    return out


def write_all(root: Path | None = None) -> list[Path]:
    """Render every site's chapter; keep a chapter's outputs where its cells are unchanged."""
    import nbformat

    written = []
    for site_id in sites.SITE_IDS:
        path = chapter_path(site_id, root)
        fresh = render(site_id)
        if path.exists():
            old = nbformat.read(path, as_version=4)
            if stripped(old) == stripped(fresh):
                continue
            previous = {c.get("id"): c for c in old.cells}
            for cell in fresh.cells:
                before = previous.get(cell.get("id"))
                if cell.cell_type == "code" and before is not None and before.source == cell.source:
                    cell.outputs = before.get("outputs", [])
                    cell.execution_count = before.get("execution_count")
            fresh.metadata.update({k: v for k, v in old.metadata.items() if k not in ("site_template",)})
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(fresh, path)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m innovate.show.site_template", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["render", "check"])
    args = parser.parse_args(argv)
    if args.command == "render":
        for path in write_all():
            print(f"wrote {path}")
        return 0
    problems = differences()
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
