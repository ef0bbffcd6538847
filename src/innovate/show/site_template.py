"""Render the book's templated chapters: six site chapters and three framework chapters.

One renderer serves every family of chapters. A family (:class:`Family`) names its
template (next to this module, under ``templates/``), the ids it is rendered for, where
each chapter is written and the placeholder fields of each id:

* ``sites``: ``templates/site-chapter.ipynb`` -> ``notebooks/sites/<slug>.ipynb``, one per
  site, fields from :func:`innovate.show.site_pages.chapter_fields`;
* ``frameworks``: ``templates/framework-chapter.ipynb`` ->
  ``notebooks/frameworks/<slug>.ipynb``, one per framework, fields from
  :func:`innovate.show.framework_pages.chapter_fields`.

Templates follow papermill's convention: the cell tagged ``parameters`` holds a default
id, which rendering replaces with the chapter's. Markdown cells carry placeholders
``{{name}}``, and a cell whose metadata has ``<family key>.only`` (``site_template.only``,
``framework_template.only``) is kept only for the variants listed (for sites the kind of
area: ``la``, ``region``, ``scotland``; for frameworks the nations of the pair:
``england``, ``mixed``).

    python -m innovate.show.site_template render     # write every templated chapter
    python -m innovate.show.site_template check      # exit 1 if any differs

Rendering keeps the outputs of a chapter already on disk when its cell sources are
unchanged, so the executed notebooks are not disturbed; a changed cell loses its outputs
and the chapter must be re-executed (``python -m innovate.notebooks execute``).
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from innovate.data import sites
from innovate.data.paths import project_root
from innovate.show import framework_pages, site_pages

TEMPLATES = Path(__file__).resolve().parent / "templates"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class Family:
    """A family of chapters rendered from one template."""

    name: str
    template: Path
    ids: tuple[str, ...]
    folder: str  # under the project root
    key: str  # metadata key of the template's cells and of the rendered notebook
    parameter: str  # the variable the parameters cell sets
    about: str  # what the id is, for the parameters cell's comment
    fields: Callable[[str], dict[str, str]]
    variant: Callable[[str], str]

    def slug(self, item_id: str) -> str:
        return item_id.replace("_", "-")

    def path(self, item_id: str, root: Path | None = None) -> Path:
        return (root or project_root()) / self.folder / f"{self.slug(item_id)}.ipynb"

    def parameters_line(self, item_id: str) -> str:
        return f'{self.parameter} = "{item_id}"  # the {self.about} this chapter is about (injected by the generator)'


SITES = Family(
    name="sites",
    template=TEMPLATES / "site-chapter.ipynb",
    ids=sites.SITE_IDS,
    folder="notebooks/sites",
    key="site_template",
    parameter="site_id",
    about="site",
    fields=site_pages.chapter_fields,
    variant=site_pages.kind,
)
FRAMEWORKS = Family(
    name="frameworks",
    template=TEMPLATES / "framework-chapter.ipynb",
    ids=tuple(sites.FRAMEWORKS),
    folder="notebooks/frameworks",
    key="framework_template",
    parameter="framework",
    about="framework",
    fields=framework_pages.chapter_fields,
    variant=framework_pages.kind,
)
FAMILIES: dict[str, Family] = {f.name: f for f in (SITES, FRAMEWORKS)}
#: The site template (kept for callers that name it directly).
TEMPLATE = SITES.template


def family_of(item_id: str) -> Family:
    """The family whose chapters include ``item_id`` (a site id or a framework id)."""
    for family in FAMILIES.values():
        if item_id in family.ids:
            return family
    known = ", ".join(i for f in FAMILIES.values() for i in f.ids)
    raise KeyError(f"no templated chapter for {item_id!r}; known: {known}")


def chapter_path(item_id: str, root: Path | None = None) -> Path:
    return family_of(item_id).path(item_id, root)


def _fill(text: str, fields: dict[str, str], where: str) -> str:
    def sub(match):
        key = match.group(1)
        if key not in fields:
            raise KeyError(f"{where}: unknown placeholder {{{{{key}}}}}; known: {', '.join(sorted(fields))}")
        return fields[key]

    return _PLACEHOLDER.sub(sub, text)


def render(item_id: str, template: Path | None = None):
    """The chapter notebook of one site or framework (no outputs), as an ``nbformat`` node."""
    import nbformat

    family = family_of(item_id)
    template = template or family.template
    nb = nbformat.read(template, as_version=4)
    fields = family.fields(item_id)
    variant = family.variant(item_id)
    slug = family.slug(item_id)
    cells = []
    for i, cell in enumerate(nb.cells):
        only = cell.metadata.get(family.key, {}).get("only")
        if only is not None and variant not in only:
            continue
        cell = copy.deepcopy(cell)
        cell.metadata.pop(family.key, None)
        if "parameters" in cell.metadata.get("tags", []):
            # papermill's convention: the parameters cell carries the injected value
            cell.source = family.parameters_line(item_id)
        else:
            cell.source = _fill(cell.source, fields, f"{template.name}, cell {i}")
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.pop("id", None)
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop(family.key, None)
    nb.metadata[family.key] = {
        family.parameter: item_id,
        "template": f"src/innovate/show/templates/{family.template.name}",
    }
    for n, cell in enumerate(nb.cells):
        cell["id"] = f"{slug}-{n:02d}"
    return nb


def stripped(nb) -> list[tuple]:
    """What must match between a committed chapter and the template: cell types, sources,
    tags and ids (outputs, execution counts and kernel metadata are left out)."""
    keys = [f.key for f in FAMILIES.values()]
    return [(c.cell_type, c.get("id"), c.source, tuple(c.metadata.get("tags", []))) for c in nb.cells] + [
        ("metadata", None, repr([nb.metadata.get(k) for k in keys]), ())
    ]


def _families(family: str | None) -> list[Family]:
    if family is None:
        return list(FAMILIES.values())
    if family not in FAMILIES:
        raise KeyError(f"unknown chapter family {family!r}; known: {', '.join(FAMILIES)}")
    return [FAMILIES[family]]


def differences(root: Path | None = None, template: Path | None = None, family: str | None = None) -> list[str]:
    """The chapters that differ from a fresh rendering, apart from outputs.

    ``family`` limits the check to one family (default: all). ``template`` replaces the
    template of the families checked (for tests); it is an error without ``family``
    unless it replaces the site template, the one use before frameworks had chapters.
    """
    import nbformat

    chosen = _families(family if family is not None or template is None else SITES.name)
    out = []
    for fam in chosen:
        for item_id in fam.ids:
            path = fam.path(item_id, root)
            if not path.exists():
                out.append(f"{path}: missing")
                continue
            committed = nbformat.read(path, as_version=4)
            if stripped(committed) != stripped(render(item_id, template)):
                out.append(f"{path}: differs from the template (run python -m innovate.show.site_template render)")
    return out


def write_all(root: Path | None = None, family: str | None = None) -> list[Path]:
    """Render every chapter; keep a chapter's outputs where its cells are unchanged."""
    import nbformat

    written = []
    for fam in _families(family):
        for item_id in fam.ids:
            path = fam.path(item_id, root)
            fresh = render(item_id)
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
                fresh.metadata.update({k: v for k, v in old.metadata.items() if k != fam.key})
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(fresh, path)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m innovate.show.site_template", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["render", "check"])
    parser.add_argument("--family", choices=sorted(FAMILIES), help="only this family of chapters (default: all)")
    args = parser.parse_args(argv)
    if args.command == "render":
        for path in write_all(family=args.family):
            print(f"wrote {path}")
        return 0
    problems = differences(family=args.family)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
