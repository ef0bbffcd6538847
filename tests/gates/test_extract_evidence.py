"""A folder shaped like the study's extract (no generator manifest) is shown as real
evidence, not synthetic (issue #12 item 4): the chapters that used to need the generator's
manifest run on it, their captions drop the synthetic label and their case-level results
name the sites by their real names. The evidence status is read in one place
(``innovate.data.paths.evidence_status``)."""

from __future__ import annotations

import shutil

import pytest

from conftest import ROOT
from innovate.data import paths, sites
from innovate.show.figures import EXTRACT_CAPTION_PREFIX, SYNTHETIC_CAPTION_PREFIX
from innovate.sphinxext import claims

pytestmark = pytest.mark.book  # executes chapters afresh: slow

#: The chapters that read the generator's manifest before the evidence status was decided once.
CHAPTERS = ("stages", "promotes-sustains", "trustworthy")


def test_chapters_run_on_a_folder_without_a_manifest(tmp_path, monkeypatch):
    extract = tmp_path / "extract"
    shutil.copytree(paths.synthetic_dir(), extract, ignore=shutil.ignore_patterns("manifest.json"))
    monkeypatch.setenv(paths.DATA_DIR_VARIABLE, str(extract))
    notebooks = [ROOT / "notebooks" / "themes" / f"{name}.ipynb" for name in CHAPTERS]
    found = claims.execute_for_claims(notebooks, ROOT, out_dir=tmp_path / "executed")
    captions = {c["notebook"]: c["value"] for c in found if c["name"] == "case_evidence_caption"}
    assert set(captions.values()) == {EXTRACT_CAPTION_PREFIX}, captions
    for name in CHAPTERS:
        text = (tmp_path / "executed" / "notebooks" / "themes" / f"{name}.ipynb").read_text(encoding="utf-8")
        assert SYNTHETIC_CAPTION_PREFIX not in text.replace("\\n", " "), f"{name}: labelled synthetic"
        assert ", synthetic data, content" not in text, f"{name}: a figure carries the watermark"
        assert sites.SHORT_NAMES["hackney"] in text and sites.pseudonym("hackney") not in text, name
