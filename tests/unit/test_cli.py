"""``python -m innovate``: help, validate (exit codes, output format) and synthesize."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from innovate import cli
from innovate.data import paths

CORPUS = Path(__file__).resolve().parents[1] / "bad_files"


def run(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run(
        [sys.executable, "-m", "innovate", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_help_lists_the_commands():
    done = run("--help")
    assert done.returncode == 0
    for command in ("validate", "synthesize", "dictionary"):
        assert command in done.stdout
    done = run("synthesize", "--help")
    assert done.returncode == 0 and "--seed" in done.stdout


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "validate" in capsys.readouterr().out


# In the test's process: `python -m innovate` itself is run above and by test_validate_robust.
def test_validate_accepts_the_committed_synthetic_data(capsys):
    status = cli.main(["validate", str(paths.synthetic_dir())])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    assert out.startswith("OK: 10 files")


def test_validate_fails_and_names_file_column_row_rule(tmp_path, capsys):
    folder = tmp_path / "data"
    shutil.copytree(CORPUS / "_base", folder)
    shutil.copy(CORPUS / "negative_count" / "area_series.csv", folder / "area_series.csv")
    (folder / "young_people.csv").unlink()
    assert cli.main(["validate", str(folder)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert "area_series.csv, count, 3, '-3', range: below the minimum 0 (negative count)" in lines
    assert "young_people.csv, -, -, -, missing-file: file not found" in lines
    assert "FAILED" in err


def test_validate_notes_files_outside_the_contract(tmp_path, capsys):
    folder = tmp_path / "data"
    shutil.copytree(CORPUS / "_base", folder)
    (folder / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    assert cli.main(["validate", str(folder)]) == 0
    assert "extra.csv is not a case-level table" in capsys.readouterr().err


def test_synthesize_writes_a_valid_folder(tmp_path, capsys):
    out = tmp_path / "syn"
    assert cli.main(["synthesize", "--seed", "7", "--out", str(out), "--per-arm", "4"]) == 0
    assert (out / "manifest.json").exists()
    capsys.readouterr()
    assert cli.main(["validate", str(out)]) == 0


def test_dictionary_prints_csv(capsys):
    assert cli.main(["dictionary"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0] == "table,file,column,type,unit,allowed,range,nullable,key,description"
    assert "young_people,young_people.csv,person_id" in text


def test_default_seed_is_the_books_seed(capsys):
    from innovate.config import SEED
    from innovate.synthetic import parameters

    assert parameters.default_parameters().seed == SEED
    with pytest.raises(SystemExit):
        cli.main(["synthesize", "--help"])
    assert f"(default {SEED})" in capsys.readouterr().out
