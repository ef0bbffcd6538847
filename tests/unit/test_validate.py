"""The validator on the bad-file corpus (tests/bad_files) and on the committed synthetic data."""

from __future__ import annotations

import csv
import hashlib
import shutil
import time
from pathlib import Path

import pytest

from innovate.data import paths, schemas
from innovate.data.validate import format_problem, validate_folder

CORPUS = Path(__file__).resolve().parents[1] / "bad_files"
FAULTS = list(csv.DictReader((CORPUS / "faults.csv").open(encoding="utf-8")))


def assemble(fault: str, target: Path) -> Path:
    """_base/ with the fault folder laid over it (and any file named in _remove.txt deleted)."""
    shutil.copytree(CORPUS / "_base", target)
    for item in (CORPUS / fault).iterdir():
        if item.name == "_remove.txt":
            for name in item.read_text(encoding="utf-8").split():
                (target / name).unlink()
        else:
            shutil.copy(item, target / item.name)
    return target


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_base_of_the_corpus_is_valid():
    report = validate_folder(CORPUS / "_base")
    assert report.ok, [format_problem(p) for p in report.problems]
    assert set(report.rows) == {schemas.get(n).file for n in schemas.CASE_TABLES}


def test_corpus_covers_every_fault_the_issue_names():
    rules = {f["rule"] for f in FAULTS}
    required = {
        "missing-column",
        "unexpected-column",
        "type",
        "range",
        "allowed-values",
        "duplicate-key",
        "foreign-key",
        "date-order",
        "empty-file",
        "no-rows",
        "encoding",
        "delimiter",
        "implausible-value",
        "missing-file",
    }
    assert required <= rules
    assert {f["fault"] for f in FAULTS} == {
        p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    }


@pytest.mark.parametrize("fault", FAULTS, ids=[f["fault"] for f in FAULTS])
def test_every_planted_fault_is_caught_and_named(fault, tmp_path):
    folder = assemble(fault["fault"], tmp_path / "data")
    before = digest(folder)
    report = validate_folder(folder)
    assert not report.ok
    hits = [p for p in report.problems if p.file == fault["file"] and p.rule == fault["rule"]]
    assert hits, [format_problem(p) for p in report.problems]
    if fault["column"]:
        hits = [p for p in hits if p.column == fault["column"]]
        assert hits, f"rule {fault['rule']} not reported on column {fault['column']}"
    if fault["row"]:
        assert int(fault["row"]) in {p.row for p in hits}
    assert digest(folder) == before  # the validator modifies nothing


def test_problems_are_formatted_file_column_row_value_rule():
    from innovate.errors import Problem

    p = Problem("outcomes.csv", "range", "above the maximum 35", "swemwbs", 4, "41.50")
    assert format_problem(p) == "outcomes.csv, swemwbs, 4, '41.50', range: above the maximum 35"
    q = Problem("young_people.csv", "missing-file", "file not found")
    assert format_problem(q) == "young_people.csv, -, -, -, missing-file: file not found"


def test_folder_that_does_not_exist(tmp_path):
    report = validate_folder(tmp_path / "nowhere")
    assert [p.rule for p in report.problems] == ["missing-folder"]


def test_committed_synthetic_data_pass_in_under_ten_seconds():
    start = time.perf_counter()
    report = validate_folder(paths.synthetic_dir())
    elapsed = time.perf_counter() - start
    assert report.ok, [format_problem(p) for p in report.problems[:20]]
    assert elapsed < 10.0
    assert report.ignored == []
