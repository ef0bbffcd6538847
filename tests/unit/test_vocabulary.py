"""One vocabulary across the package: each fixed setting, helper and name is defined once.

Read from the source (ast), so that a second definition, a copied literal or a docstring
naming a module that no longer exists fails here rather than drifting unnoticed.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter
from pathlib import Path

import pytest

from innovate import config

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "innovate"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))


def _trees() -> dict[Path, ast.Module]:
    return {p: ast.parse(p.read_text(encoding="utf-8"), filename=str(p)) for p in MODULES}


TREES = _trees()


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', '?')}"


def _functions(name: str) -> list[str]:
    return [
        _where(p, n)
        for p, tree in TREES.items()
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
    ]


def _module_assignments(name: str) -> list[str]:
    found = []
    for p, tree in TREES.items():
        for n in tree.body:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AnnAssign) else []
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                found.append(_where(p, n))
    return found


@pytest.mark.parametrize("name", ["to_price_year", "require_columns", "missing_columns"])
def test_one_definition_of_each_shared_helper(name):
    assert len(_functions(name)) == 1, _functions(name)


def test_no_private_copies_of_the_required_column_check():
    assert _functions("_require") == []


def test_one_rule_name_for_a_missing_column():
    from innovate.errors import MISSING_COLUMN

    assert MISSING_COLUMN == "missing-column"
    other_names = {"required-column", "missing column", "missing_column", "column-missing"}
    found = [
        _where(p, n)
        for p, tree in TREES.items()
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and n.value in other_names
    ]
    assert found == []


#: Values that belong to innovate.config and nowhere else (literal copies drift apart).
SETTINGS = {
    config.SEED,
    config.BOOTSTRAP_SEED,
    config.DID_BOOTSTRAP_SEED,
    config.COSTS_SEED,
    config.ENGLAND_CODE,
    config.NATIONS,
    config.NETWORK_NATIONS,
    config.WAVE_MONTHS,
}


def _literal(node: ast.AST):
    if isinstance(node, ast.Constant) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Tuple) and all(isinstance(e, ast.Constant) for e in node.elts):
        return tuple(e.value for e in node.elts if isinstance(e, ast.Constant))
    return None


def test_fixed_settings_are_defined_only_in_config():
    copies = [
        f"{_where(p, n)} {_literal(n)!r}"
        for p, tree in TREES.items()
        if p.name != "config.py"
        for n in ast.walk(tree)
        if _literal(n) in SETTINGS
    ]
    assert copies == []


def test_each_outcome_name_means_one_thing():
    # OUTCOMES is the cohort's outcome specifications; the other lists have their own names.
    defined = _module_assignments("OUTCOMES")
    assert len(defined) == 1 and defined[0].startswith("innovate/study/cohort_data.py:"), defined
    assert _module_assignments("OUTCOME_COLUMNS") == []


#: Text recorded in the committed data/synthetic/manifest.json (changing it rewrites the data
#: set's manifest and its checksum), not a reference a reader follows.
MANIFEST_TEXT = {"innovate.public.missing_from_care"}


def _resolves(reference: str) -> bool:
    parts = reference.split(".")
    for k in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:k]))
        except ImportError:
            continue
        for name in parts[k:]:
            if not hasattr(obj, name):
                return False
            obj = getattr(obj, name)
        return True
    return False


def test_docstrings_and_comments_name_modules_that_exist():
    names: Counter[str] = Counter()
    for p in MODULES:
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            for ref in re.findall(r"\binnovate(?:\.[A-Za-z_][A-Za-z_0-9]*)+", line):
                if ref not in MANIFEST_TEXT and not _resolves(ref):
                    names[f"{p.relative_to(PACKAGE.parent)}:{i}: {ref}"] += 1
    assert not names, sorted(names)
