"""Issue 12, item 2: a failed build's log names file, column, row and rule, never a young
person's identifier nor an absolute path (the data folder's location may name a project, a
person or a secure server)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest

from innovate import notebooks
from innovate.errors import DataError, Problem

CORPUS = Path(__file__).resolve().parents[1] / "bad_files"
#: A made-up identifier of the right shape, planted so that the test can look for it in the log.
PLANTED = "YP97531"


def test_a_data_error_withholds_identifiers_and_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.setenv("INNOVATE_DATA_DIR", str(tmp_path / "extract"))
    error = DataError(
        [
            Problem(
                str(tmp_path / "extract" / "outcomes.csv"),
                "foreign-key",
                "no such young person",
                "person_id",
                7,
                PLANTED,
            ),
            Problem(str(tmp_path / "elsewhere" / "lookup.csv"), "exists", "file not found"),
            Problem("young_people.csv", "allowed", "not an allowed value", "sex", 3, "mal"),
        ]
    )
    text = str(error)
    assert PLANTED not in text and str(tmp_path) not in text
    assert "$INNOVATE_DATA_DIR/outcomes.csv, column 'person_id', row 7: [foreign-key] no such young person" in text
    assert "(value withheld: an identifier)" in text
    assert "lookup.csv: [exists] file not found" in text
    # a value that identifies nobody still helps the reader find the fault
    assert "young_people.csv, column 'sex', row 3: [allowed] not an allowed value (value 'mal')" in text


def book(root: Path, code: str) -> Path:
    """A one-chapter book whose chapter runs ``code``."""
    root.mkdir()
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n- file: chapter\n", encoding="utf-8")
    (root / "intro.md").write_text("# Intro\n", encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "chapter.ipynb")
    return root


def extract(tmp_path: Path) -> Path:
    folder = tmp_path / "secure-server" / "jane-smith-project" / "extract"
    shutil.copytree(CORPUS / "_base", folder)
    return folder


def plant(folder: Path, table: str, column: str, value: str) -> None:
    path = folder / table
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    rows[1][rows[0].index(column)] = value
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


# A chapter that reads the data and fails the way a chapter-level check does: a DataError
# naming a young person, in a file given by its absolute path.
CHAPTER = """
import os
from pathlib import Path
from innovate.data import casedata
from innovate.errors import DataError, Problem
Path(os.environ["MARKER"]).write_text("ran")
people = casedata.load("young_people")
raise DataError([Problem(str(Path(os.environ["INNOVATE_DATA_DIR"]) / "young_people.csv"), "chapter-check",
                         "a check a chapter makes", "person_id", 1, people["person_id"].iloc[0])])
"""


def test_a_faulty_folder_stops_before_any_chapter_with_a_report_without_values(tmp_path, monkeypatch):
    folder = extract(tmp_path)
    plant(folder, "young_people.csv", "person_id", PLANTED + "X")  # breaks the identifier pattern
    monkeypatch.setenv("INNOVATE_DATA_DIR", str(folder))
    monkeypatch.setenv("MARKER", str(tmp_path / "ran"))
    root = book(tmp_path / "book", CHAPTER)
    with pytest.raises(RuntimeError) as failed:
        notebooks.fill_cache(root, tmp_path / "build", processes=1, log=lambda *a, **k: None)
    log = str(failed.value)
    assert not (tmp_path / "ran").exists(), "a chapter ran on a folder that fails validation"
    assert "young_people.csv, person_id, 1, (value withheld)" in log
    assert PLANTED not in log and str(tmp_path) not in log and "jane-smith" not in log


def test_a_failed_chapter_logs_no_identifier_and_no_absolute_path(tmp_path, monkeypatch):
    folder = extract(tmp_path)
    monkeypatch.setenv("INNOVATE_DATA_DIR", str(folder))
    monkeypatch.setenv("MARKER", str(tmp_path / "ran"))
    root = book(tmp_path / "book", CHAPTER)
    first = next(iter(csv.DictReader((folder / "young_people.csv").open(encoding="utf-8"))))["person_id"]
    with pytest.raises(RuntimeError) as failed:
        notebooks.fill_cache(root, tmp_path / "build", processes=1, log=lambda *a, **k: None)
    log = str(failed.value)
    assert (tmp_path / "ran").exists()
    assert log.startswith("chapter.ipynb: execution failed")
    assert "$INNOVATE_DATA_DIR/young_people.csv, column 'person_id', row 1: [chapter-check]" in log
    assert first not in log, "a young person's identifier is in the log"
    assert str(tmp_path) not in log and "jane-smith" not in log
