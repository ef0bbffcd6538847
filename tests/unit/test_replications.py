"""The simulation appendix's stored replications are what the code gives.

``python -m innovate simulate`` writes them (data/derived/simulation); the appendix reads
them. Here a sample of replications is recomputed with the current code and must equal
the stored rows: identifiers, counts and missing values exactly, floats to 1e-8 relative.
Another CPU's BLAS kernels move the last bits (under OPENBLAS_CORETYPE=Prescott by hand:
at most 1.3e-12 absolute, 1.3e-10 relative, on 2026-12-05), while an edit to any estimator,
the generator or the settings moves every replication by far more, so a stale file still
fails this test (rerun the command).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from innovate.errors import DataError
from innovate.synthetic import replications, simulation

#: First, last and one in the middle (each takes about two CPU-seconds).
SAMPLE = (0, 57, 99)


def stored_settings() -> simulation.Settings:
    record = replications.manifest()["settings"]
    sites = None if record["sites"] is None else tuple(record["sites"])
    return simulation.Settings(**{**record, "sites": sites, "estimators": tuple(record["estimators"])})


def test_a_sample_of_stored_replications_recomputes_on_this_machine():
    settings = stored_settings()
    stored = replications.load(settings).estimates
    assert sorted(stored["replication"].unique()) == list(range(settings.replications))
    for r in SAMPLE:
        again = simulation.estimates_frame(simulation.replicate(r, settings))
        mine = stored[stored["replication"] == r].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, again, check_exact=False, rtol=1e-8, atol=1e-9)


def test_the_appendix_settings_are_the_stored_ones():
    # The appendix asks for these; load() refuses others, so they must be what was stored.
    replications.load(simulation.Settings(replications=100, per_arm=100, m=5))


def test_write_then_load_round_trips_and_refuses_a_changed_file_or_settings(tmp_path):
    settings = simulation.Settings(replications=2, estimators=("its_level", "its_slope"))
    path = replications.write(settings, tmp_path, source_digest="test")
    direct = simulation.run(settings).estimates
    pd.testing.assert_frame_equal(replications.load(settings, tmp_path).estimates, direct, check_exact=True)

    with pytest.raises(DataError, match=r"manifest.json, column 'settings'.*stale-derived-data.*replications"):
        replications.load(simulation.Settings(replications=3, estimators=settings.estimators), tmp_path)

    path.write_text(path.read_text().replace("its_level,0", "its_level,1", 1))
    with pytest.raises(DataError, match=r"replications.csv: \[checksum\]"):
        replications.load(settings, tmp_path)

    (tmp_path / replications.MANIFEST).unlink()
    with pytest.raises(DataError, match=r"\[missing-file\] no stored replications; run `python -m innovate simulate`"):
        replications.load(settings, tmp_path)


def test_the_manifest_records_its_provenance():
    info = replications.manifest()
    assert info["command"] == replications.COMMAND
    assert len(info["sha256"]) == 64 and len(info["source_digest"]) == 64
    assert info["rows"] == len(pd.read_csv(replications.folder() / info["file"]))
    assert json.loads(json.dumps(info)) == info
