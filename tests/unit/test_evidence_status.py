"""The evidence status of the case-level data is decided in one place (the folder's
manifest) and every site name on a case-level result follows it (issue #12 item 4,
issue #19 item 1)."""

from __future__ import annotations

import json

import pytest

from innovate.data import paths, sites
from innovate.errors import DataError
from innovate.study import cohort, process


def folder_with(tmp_path, manifest, name="case"):
    folder = tmp_path / name
    folder.mkdir()
    if manifest is not None:
        text = manifest if isinstance(manifest, str) else json.dumps(manifest)
        (folder / "manifest.json").write_text(text, encoding="utf-8")
    return folder


def test_the_shipped_data_are_synthetic():
    assert paths.evidence_status(paths.synthetic_dir()) == "synthetic"
    assert paths.is_synthetic(paths.synthetic_dir())


@pytest.mark.parametrize(
    "manifest, status",
    [(None, "extract"), ({"synthetic": True, "seed": 1}, "synthetic"), ({"synthetic": False}, "extract")],
)
def test_the_manifest_decides(tmp_path, manifest, status):
    folder = folder_with(tmp_path, manifest)
    assert paths.evidence_status(folder) == status
    assert paths.is_synthetic(folder) is (status == "synthetic")


@pytest.mark.parametrize(
    "manifest, message",
    [
        ({"seed": 1}, "must say"),
        ({"synthetic": "yes"}, "must say"),
        ([1, 2], "must say"),
        ("{not json", "cannot read the manifest"),
    ],
)
def test_a_manifest_that_does_not_say_is_refused(tmp_path, manifest, message):
    # a guess either way is wrong: real names on synthetic results, or real findings labelled illustrative
    folder = folder_with(tmp_path, manifest)
    with pytest.raises(DataError, match=message) as caught:
        paths.evidence_status(folder)
    problem = caught.value.problems[0]
    assert problem.file == "manifest.json" and problem.rule == "evidence-status"


def test_display_names_follow_the_evidence(tmp_path):
    synthetic = folder_with(tmp_path, {"synthetic": True}, "generated")
    extract = folder_with(tmp_path, None, "extract")
    assert sites.display_name("hackney", synthetic) == "TS site 1"
    assert sites.display_name("hackney", extract) == "Hackney"
    assert sites.display_names(folder=synthetic) == {s: sites.pseudonym(s) for s in sites.SITE_IDS}
    assert sites.display_names(("devon",), extract) == {"devon": "Devon"}


def test_every_case_level_label_follows_the_configured_folder(monkeypatch, tmp_path):
    assert process.site_labels()["devon"] == "CS site 1"
    assert cohort.site_label("north_lanarkshire") == "TIP site 2"
    assert process.real_site_labels()["devon"] == "Devon"  # public context keeps real names
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(folder_with(tmp_path, None)))
    assert process.site_labels()["devon"] == "Devon"
    assert cohort.site_label("north_lanarkshire") == "North Lanarkshire"


def test_captions_and_watermarks_follow_the_evidence(monkeypatch, tmp_path):
    import matplotlib.pyplot as plt

    from innovate.show import figures

    assert figures.case_caption("Costs.") == f"{figures.SYNTHETIC_CAPTION_PREFIX} Costs."
    monkeypatch.setattr(figures, "glue_figure", lambda name, fig, synthetic=False: fig.__setattr__("_seen", synthetic))
    fig = plt.figure()
    figures.glue_case_figure("x", fig)
    assert fig._seen is True
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(folder_with(tmp_path, None)))
    assert figures.case_caption("Costs.") == f"{figures.EXTRACT_CAPTION_PREFIX} Costs."
    assert "ynthetic" not in figures.case_evidence_caption()
    figures.glue_case_figure("x", fig)
    assert fig._seen is False
    plt.close(fig)


def test_the_observation_window_does_not_need_a_manifest(monkeypatch, tmp_path):
    import shutil

    from innovate.data import casedata

    events = casedata.load("stage_events")
    with_manifest = process.data_study_end(events)
    extract = tmp_path / "extract"
    shutil.copytree(paths.synthetic_dir(), extract, ignore=shutil.ignore_patterns("manifest.json"))
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(extract))
    assert process.data_study_end(events) == process.study_end_of(events, None)
    assert with_manifest == process.study_end_of(events, casedata.manifest(paths.synthetic_dir()))
