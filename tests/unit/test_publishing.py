"""Publishing settings: the deploy workflow runs what the README and CI run, and the
repository's address lives in one place (``_config.yml``)."""

from __future__ import annotations

import re

import yaml

from conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
GITHUB_REPO = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+")


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _runs(job: dict) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_the_workflow_tests_with_ci_then_builds_with_make_book_then_deploys():
    jobs = _workflow()["jobs"]
    assert ".ci/run" in _runs(jobs["test"])
    assert jobs["build"]["needs"] == "test" and jobs["deploy"]["needs"] == "build"
    assert "make book" in _runs(jobs["build"]) and "make pdf" in _runs(jobs["build"])
    upload = [s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert upload and upload[0]["with"]["path"] == "_build/html"
    assert any(s.get("uses", "").startswith("actions/deploy-pages") for s in jobs["deploy"]["steps"])


def test_the_workflow_uses_python_311_like_the_makefile():
    jobs = _workflow()["jobs"]
    assert {jobs[name]["container"] for name in ("test", "build")} == {"python:3.11-bookworm"}
    assert "3, 11" in (ROOT / "Makefile").read_text()


def test_the_commands_the_workflow_runs_exist():
    readme = (ROOT / "README.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text() and "make test" in readme
    assert re.search(r"^book:", makefile, re.M)
    from innovate.data import datapackage

    # make book writes the data package (innovate.sphinxext.datadownload); the workflow checks it is there.
    assert f"_build/html/{datapackage.DOWNLOAD_PATH}" in "\n".join(_runs(_workflow()["jobs"]["build"]))
    assert "innovate.sphinxext.datadownload" in (ROOT / "_config.yml").read_text()


def test_the_repository_address_is_set_once_in_config_and_repeated_nowhere_else_differently():
    address = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert citation["repository-code"] == address
    for path in [ROOT / "README.md", *ROOT.glob("book/**/*.md"), *ROOT.glob("notebooks/**/*.ipynb")]:
        for found in GITHUB_REPO.findall(path.read_text(encoding="utf-8")):
            if "innovate-project" in found:
                assert found.rstrip(".") == address, f"{path.relative_to(ROOT)} names {found}, not {address}"
