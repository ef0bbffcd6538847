"""Which notebooks an edit can change: per-notebook input keys for the execution cache.

MyST-NB's execution cache (jupyter-cache) recognises a notebook by its own code alone. The
outputs also depend on what the code reads: the data, the pinned packages, and the modules
of the ``innovate`` package it imports. This module keys every notebook on exactly those:

* the **shared inputs** (every data file the book reads and the pins), the same for every
  notebook: :func:`innovate.sphinxext.buildinfo.shared_inputs_fingerprint`;
* the **modules it imports**, transitively: the ``innovate`` modules named in its code
  cells, then every ``innovate`` module those import (at the top or inside a function,
  since a deferred import runs as soon as the function is called), with the
  ``__init__`` of each package on the way, and the package's non-Python files.

:func:`invalidate` removes from a cache the records of every notebook whose key changed,
so that an edit to ``innovate/stats/its.py`` re-executes the chapters that import it and
no other. The Sphinx extension (:mod:`innovate.sphinxext.buildinfo`) calls it at the start
of every build, and ``python -m innovate.notebooks cache`` (``make book``) calls it before
it executes the stale notebooks in parallel. The keys of the records in a cache are kept
beside it in :data:`KEYS_FILE`.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path

#: Beside the cache database: notebook (absolute path) -> input key of its cached records.
KEYS_FILE = "innovate-inputs.json"
#: The package's own name: only its modules are followed (others are keyed by the pins).
PACKAGE = "innovate"


def package_dir() -> Path:
    """The folder of the ``innovate`` package in use."""
    return Path(__file__).resolve().parents[1]


def module_file(name: str, package: Path) -> Path | None:
    """The source file of an ``innovate`` module (``innovate.stats.its`` -> .../stats/its.py)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package.joinpath(*parts[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def module_name(path: Path, package: Path) -> str:
    """The dotted name of a module file of the package."""
    relative = path.relative_to(package).with_suffix("")
    parts = [PACKAGE, *relative.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(tree: ast.AST, module: str = "", is_package: bool = False) -> set[str]:
    """Every module name an AST imports, anywhere in it (``from X import y`` gives X and X.y)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            names.add(origin)
            names.update(f"{origin}.{alias.name}" for alias in node.names)
    return names


def code_tree(source: str) -> ast.AST | None:
    """The AST of notebook code, IPython magics and shell lines left out (None if unparsable)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


@functools.lru_cache(maxsize=4096)
def _module_imports(path: Path, package: Path, mtime_ns: int, size: int) -> frozenset[str]:
    # Keyed on the file's stamp as well as its path: an edited module is parsed again.
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(imported_names(tree, module_name(path, package), path.name == "__init__.py"))


def dependencies(roots: Iterable[str], package: Path) -> set[Path]:
    """The package's module files that importing ``roots`` runs, transitively."""
    found: set[Path] = set()
    seen: set[str] = set()
    queue = list(roots)
    while queue:
        name = queue.pop()
        if name in seen:
            continue
        seen.add(name)
        # Importing a.b.c runs a/__init__, a/b/__init__ and a/b/c.
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):
            path = module_file(".".join(parts[:depth]), package)
            if path is None or path in found:
                continue
            found.add(path)
            stat = path.stat()
            queue += _module_imports(path, package, stat.st_mtime_ns, stat.st_size)
    return found


def notebook_modules(notebook: Mapping, package: Path | None = None) -> list[Path]:
    """The package's module files a notebook's code can run, sorted.

    Code that cannot be parsed (unusual IPython syntax) depends on every module.
    """
    package = package_dir() if package is None else Path(package)
    roots: set[str] = set()
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        tree = code_tree("".join(source) if isinstance(source, list) else source)
        if tree is None:
            return sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)
        roots |= imported_names(tree)
    return sorted(dependencies((r for r in roots if r.split(".")[0] == PACKAGE), package))


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


#: Package folders of files no chapter reads when it runs: the chapter templates are read
#: only by ``python -m innovate.show.site_template render``, which writes the chapters, and
#: a chapter's own cells are in its cache record already.
UNREAD_DATA = ("show/templates",)


def package_data_digest(package: Path) -> str:
    """Digest of the package's non-Python files (any module may read them), but the
    chapter templates (:data:`UNREAD_DATA`)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")):
        relative = path.relative_to(package).as_posix()
        if "__pycache__" in path.parts or relative.startswith(tuple(f"{folder}/" for folder in UNREAD_DATA)):
            continue
        digest.update(relative.encode())
        digest.update(_file_digest(path).encode())
    return digest.hexdigest()


def notebook_key(notebook: Mapping, shared: str, package: Path | None = None, data: str | None = None) -> str:
    """One notebook's input key: the shared inputs and the source of every module it runs
    (``data``: :func:`package_data_digest`, when the caller has it already)."""
    package = package_dir() if package is None else Path(package)
    digest = hashlib.sha256(shared.encode())
    digest.update((package_data_digest(package) if data is None else data).encode())
    for path in notebook_modules(notebook, package):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(_file_digest(path).encode())
    return digest.hexdigest()


def notebook_keys(paths: Iterable[Path], shared: str, package: Path | None = None) -> dict[Path, str]:
    """Absolute notebook path -> input key, for each notebook given (``shared``: the shared
    inputs' fingerprint, :func:`innovate.sphinxext.buildinfo.shared_inputs_fingerprint`)."""
    package = package_dir() if package is None else Path(package)
    data = package_data_digest(package)
    # json, not nbformat: only the code cells are read, and validation costs seconds
    return {
        Path(p).resolve(): notebook_key(json.loads(Path(p).read_text(encoding="utf-8")), shared, package, data)
        for p in sorted(set(paths))
    }


# ---------------------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------------------
def recorded_keys(cache_path: Path) -> dict[str, str]:
    """The keys of the records in a cache (empty for a new cache)."""
    path = Path(cache_path) / KEYS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def invalidate(cache_path: Path, keys: Mapping[Path, str]) -> list[Path]:
    """Drop the cached outputs of every notebook whose input key changed; returns those notebooks.

    Every record of such a notebook goes (also records of earlier versions of its code,
    which could otherwise match again after an undo), then the new keys are written: from
    here on, every record of these notebooks in the cache is made from the current inputs.
    """
    from jupyter_cache import get_cache

    cache_path = Path(cache_path)
    cache_path.mkdir(parents=True, exist_ok=True)
    cache = get_cache(str(cache_path))
    before = recorded_keys(cache_path)
    changed = [p for p, key in sorted(keys.items()) if before.get(str(p)) != key]
    stale = {str(p) for p in changed}
    for record in cache.list_cache_records():
        if str(Path(record.uri).resolve()) in stale:
            try:
                cache.remove_cache(record.pk)
            except KeyError:  # its notebook file is already gone; the record still goes
                from jupyter_cache.cache.db import NbCacheRecord

                NbCacheRecord.remove_records([record.pk], cache.db)
    after = {**before, **{str(p): key for p, key in keys.items()}}
    (cache_path / KEYS_FILE).write_text(json.dumps(after, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return changed
