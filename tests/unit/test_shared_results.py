"""Results shared between the chapters of one batch of executions (innovate.data.shared_results)."""

from __future__ import annotations

import numpy as np
import pytest

from innovate.data import paths, shared_results
from innovate.study import cohort


@pytest.fixture
def counted():
    calls = []

    def compute():
        calls.append(1)
        return {"estimate": 0.91, "calls": len(calls)}

    return compute, calls


def test_without_a_folder_every_call_computes(monkeypatch, counted):
    compute, calls = counted
    monkeypatch.delenv(shared_results.SHARED_RESULTS_VARIABLE, raising=False)
    shared_results.shared("x", (1,), compute)
    shared_results.shared("x", (1,), compute)
    assert len(calls) == 2


def test_with_a_folder_a_result_is_computed_once_and_read_after(monkeypatch, tmp_path, counted):
    compute, calls = counted
    monkeypatch.setenv(shared_results.SHARED_RESULTS_VARIABLE, str(tmp_path))
    first = shared_results.shared("x", (1,), compute)
    again = shared_results.shared("x", (1,), compute)
    other = shared_results.shared("x", (2,), compute)
    assert len(calls) == 2 and first == again == {"estimate": 0.91, "calls": 1} and other["calls"] == 2
    assert not list(tmp_path.glob("*.partial"))


def test_the_key_changes_with_the_data_and_the_settings(monkeypatch, tmp_path):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    base = shared_results.result_key("x", (1,))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert shared_results.result_key("x", (1,)) != base
    monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "young_people.csv").write_text("a\n1\n")
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(folder))
    in_copy = shared_results.result_key("x", (1,))
    assert in_copy != base
    shared_results._data_digest.cache_clear()
    (folder / "young_people.csv").write_text("a\n2\n")
    assert shared_results.result_key("x", (1,)) != in_copy  # same folder, other bytes


def test_shared_site_effects_are_what_the_chapters_own_call_gives(monkeypatch, tmp_path):
    monkeypatch.setenv(shared_results.SHARED_RESULTS_VARIABLE, str(tmp_path))
    site, outcome, deltas = "hackney", "exploitation_risk_score", (np.log(1.5),)
    own = cohort.site_effects(site, outcome, cohort.CohortData.load(), deltas=deltas)
    first = cohort.shared_site_effects(site, outcome, deltas=deltas)  # computes and stores the base
    stored = cohort.shared_site_effects(site, outcome, deltas=deltas)  # reads it
    assert len(list(tmp_path.glob("cohort_site_effects-*.pickle"))) == 1
    for result in (first, stored):
        assert result.table().equals(own.table())


def _slow_result(folder: str, started: str) -> tuple[int, float]:
    import os
    import time
    from pathlib import Path

    os.environ[shared_results.SHARED_RESULTS_VARIABLE] = folder

    def compute():
        Path(started, str(os.getpid())).touch()
        time.sleep(1.0)
        return os.getpid()

    return shared_results.shared("slow", (1,), compute), time.time()


def test_kernels_wanting_one_result_at_once_compute_it_once(tmp_path):
    import multiprocessing

    started = tmp_path / "started"
    started.mkdir()
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool.starmap(_slow_result, [(str(tmp_path), str(started))] * 3)
    assert len(list(started.iterdir())) == 1  # one computed, two waited and read
    assert len({pid for pid, _ in results}) == 1
