"""The pins agree: the reader's (requirements.txt), Binder's (environment.yml), the
developer's (requirements-dev.txt) and the full lock (constraints.txt); and Binder gets no
test tools."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_pins(name: str = "requirements.txt") -> dict[str, str]:
    """Exact pins of one requirements file (its ``-r`` includes are not followed)."""
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-r "):
            continue
        package, sep, version = line.partition("==")
        assert sep, f"{name}: {line!r} is not pinned exactly with =="
        pins[_normalise(package)] = version.strip()
    return pins


#: Packages only the tests and development tools use: never in the reader's environment.
TEST_ONLY = {"nbval", "pytest", "pytest-xdist", "playwright", "import-linter", "ruff", "mypy", "frictionless"}


def environment_pins() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):  # the pip: section installs the package itself
            continue
        name, _, version = item.partition("=")
        if _normalise(name) in {"python", "pip"}:
            continue
        assert version, f"environment.yml: {item!r} is not pinned"
        pins[_normalise(name)] = version.lstrip("=")
    return pins


def test_requirements_and_environment_pin_the_same_packages():
    assert set(requirement_pins()) == set(environment_pins())


def test_requirements_and_environment_pin_the_same_versions():
    req, env = requirement_pins(), environment_pins()
    differ = {name: (req[name], env[name]) for name in req if req[name] != env.get(name)}
    assert differ == {}


def test_environment_targets_python_311_on_conda_forge_and_installs_the_package():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    assert "python=3.11" in env["dependencies"]
    pip_items = [i for i in env["dependencies"] if isinstance(i, dict)]
    assert pip_items and "-e ." in pip_items[0]["pip"]


def test_constraints_agree_with_requirements():
    """constraints.txt (the full lock) must not contradict a direct pin of either file."""
    locked = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, sep, version = line.strip().partition("==")
        if sep:
            locked[_normalise(name)] = version
    for name, version in {**requirement_pins(), **requirement_pins("requirements-dev.txt")}.items():
        assert locked.get(name) == version, f"{name}: requirements {version}, constraints {locked.get(name)}"


def test_the_developer_file_adds_the_test_tools_to_the_readers_pins():
    dev = (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "-r requirements.txt" in dev
    assert set(requirement_pins("requirements-dev.txt")) == TEST_ONLY


def test_binder_and_colab_install_no_test_tool():
    assert not TEST_ONLY & set(requirement_pins())
    assert not TEST_ONLY & set(environment_pins())
    # Binder reads binder/ or .binder/ before the root: no such folder may shadow environment.yml.
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()


def test_jupyter_book_is_version_1():
    assert requirement_pins()["jupyter-book"].startswith("1.")


def test_the_book_build_reads_no_virtual_environment():
    """Sphinx would read the Markdown files inside a virtual environment's packages (a build
    with .venv-acro present warned about statsmodels' and numpy's own documents)."""
    excluded = set(yaml.safe_load((ROOT / "_config.yml").read_text())["exclude_patterns"])
    makefile = (ROOT / "Makefile").read_text()
    venvs = set(re.findall(r"^(?:VENV|ACRO_VENV)\s*:=\s*(\S+)", makefile, re.M))
    assert venvs == {".venv", ".venv-acro"}
    assert {f"{venv}/*" for venv in venvs} <= excluded
