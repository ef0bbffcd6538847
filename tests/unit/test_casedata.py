"""casedata.load: validated, typed tables from the data folder; caching; errors; manifest."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from innovate.data import casedata, paths, schemas
from innovate.errors import DataError

CORPUS = Path(__file__).resolve().parents[1] / "bad_files"


def test_round_trip_of_the_committed_data():
    folder = paths.synthetic_dir()
    for name in schemas.CASE_TABLES:
        frame = casedata.load(name)
        table = schemas.get(name)
        assert list(frame.columns) == table.column_names
        raw = pd.read_csv(folder / table.file, dtype=str, keep_default_na=False)
        assert len(frame) == len(raw)
        assert schemas.to_csv_text(table, frame) == (folder / table.file).read_text(encoding="utf-8")


def test_types():
    yp = casedata.load("young_people")
    assert str(yp["baseline_date"].dtype).startswith("datetime64")
    assert yp["age_at_baseline"].dtype == np.int64
    assert pd.api.types.is_string_dtype(yp["arm"])
    out = casedata.load("outcomes.csv")  # the file name works too
    assert out["missing_episodes"].dtype == np.float64
    assert out.loc[out["observed"] == 0, "missing_episodes"].isna().all()


def test_cache_is_used_and_callers_cannot_change_it():
    first = casedata.load("stage_events")
    first.loc[0, "stage"] = "changed"
    again = casedata.load("stage_events")
    assert again.loc[0, "stage"] == "mobilising"


def test_environment_variable_points_at_another_folder(tmp_path, monkeypatch):
    folder = tmp_path / "extract"
    shutil.copytree(CORPUS / "_base", folder)
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(folder))
    assert len(casedata.load("young_people")) == len(pd.read_csv(folder / "young_people.csv"))
    assert set(casedata.load_all()) == set(schemas.CASE_TABLES)


def test_a_bad_file_raises_every_problem_and_changed_files_are_reread(tmp_path):
    folder = tmp_path / "extract"
    shutil.copytree(CORPUS / "_base", folder)
    assert len(casedata.load("outcomes", folder)) > 0
    shutil.copy(CORPUS / "out_of_range_score" / "outcomes.csv", folder / "outcomes.csv")
    with pytest.raises(DataError) as err:
        casedata.load("outcomes", folder)
    (problem,) = err.value.problems
    assert (problem.file, problem.column, problem.row, problem.rule) == ("outcomes.csv", "swemwbs", 1, "range")


def test_load_all_checks_keys_across_tables(tmp_path):
    folder = tmp_path / "extract"
    shutil.copytree(CORPUS / "_base", folder)
    shutil.copy(CORPUS / "orphan_key" / "outcomes.csv", folder / "outcomes.csv")
    casedata.load("outcomes", folder)  # fine on its own
    with pytest.raises(DataError) as err:
        casedata.load_all(folder)
    assert {p.rule for p in err.value.problems} == {"foreign-key"}
    assert all(p.value == "YP99999" for p in err.value.problems)


def test_codes_are_checked_against_the_codebook(tmp_path):
    folder = tmp_path / "extract"
    shutil.copytree(CORPUS / "_base", folder)
    shutil.copy(CORPUS / "unknown_code" / "coded_segments.csv", folder / "coded_segments.csv")
    with pytest.raises(DataError) as err:
        casedata.load("coded_segments", folder)
    assert err.value.problems[0].rule == "codebook"


def test_manifest():
    manifest = casedata.manifest()
    assert manifest["seed"] == 20240601
    assert set(manifest["sites"]) == set(schemas.SITE_IDS)
    assert json.loads((paths.synthetic_dir() / "manifest.json").read_text()) == manifest


def test_manifest_missing_for_a_real_extract(tmp_path):
    with pytest.raises(FileNotFoundError):
        casedata.manifest(tmp_path)
