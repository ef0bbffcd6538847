"""The package's layer contract (pyproject.toml, ``[tool.importlinter]``) holds.

import-linter builds the import graph of ``innovate`` and checks the contracts: layers
import only downward (entry points > sphinxext > synthetic > show > study > econ > stats >
data > errors), ``stats`` reads no data files and draws nothing, only the presentation
layers import matplotlib, and no two modules of one layer import each other in a cycle.
A new upward import or cycle fails here, naming the import chain.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lint_imports() -> subprocess.CompletedProcess:
    command = [str(Path(sys.executable).with_name("lint-imports")), "--config", str(ROOT / "pyproject.toml")]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_every_layer_contract_is_kept():
    done = lint_imports()
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_contract_names_every_subpackage():
    """A new subpackage must be placed in a layer, not slip past the contract."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {part.strip() for layer in layers for part in layer.split("|")}
    package = ROOT / "src" / "innovate"
    present = {f"innovate.{p.name}" for p in package.iterdir() if (p / "__init__.py").exists()}
    present |= {f"innovate.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    assert present <= named, f"not in any layer: {sorted(present - named)}"


#: "No module much over 800 lines" (issue #11): a module that grows past 800 is split by
#: what its code is, with the old module re-exporting its public names.
MAX_MODULE_LINES = 800


def test_no_module_is_much_over_800_lines():
    package = ROOT / "src" / "innovate"
    sizes = {
        p.relative_to(package).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in package.rglob("*.py")
    }
    too_long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split them): {too_long}"
