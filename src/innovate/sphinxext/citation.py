""" "Cite this book": the citation shown on the About page, made from ``CITATION.cff``.

``CITATION.cff`` is the one machine-readable statement of how to cite the book (GitHub and
Zenodo read it). This extension reads it when the build starts and offers the formatted
citation to the pages as the MyST substitution ``{{ cite_this_book }}``, so the citation a
reader copies can never drift from the file.
"""

from __future__ import annotations

from pathlib import Path

import yaml


def author_names(cff: dict) -> str:
    names = []
    for author in cff.get("authors", []):
        if "name" in author:
            names.append(author["name"])
        else:
            initials = " ".join(part[0] + "." for part in author.get("given-names", "").split())
            names.append(f"{author['family-names']}, {initials}".strip(", "))
    if len(names) > 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return names[0] if names else ""


def citation_text(cff: dict) -> str:
    """An author-year citation in Markdown: authors (year). *Title* (version). Address."""
    year = str(cff["date-released"])[:4]
    parts = [f"{author_names(cff)} ({year}). *{cff['title']}*"]
    if cff.get("version"):
        parts[0] += f" (version {cff['version']})"
    address = cff.get("url") or cff.get("repository-code")
    if cff.get("doi"):
        parts.append(f"https://doi.org/{cff['doi']}")
    elif address:
        parts.append(f"<{address}>")
    return ". ".join(parts) + "."


def _add_substitution(app, config) -> None:
    cff = yaml.safe_load((Path(app.srcdir) / "CITATION.cff").read_text(encoding="utf-8"))
    substitutions = dict(getattr(config, "myst_substitutions", None) or {})
    substitutions["cite_this_book"] = citation_text(cff)
    config.myst_substitutions = substitutions


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.citation]``."""
    app.connect("config-inited", _add_substitution)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
