"""The site register: six sites, codes as the DfE files carry them, dated starts with sources."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from innovate.data import sites
from innovate.data.paths import reference_dir
from innovate.errors import DataError


def test_register_has_six_sites_in_book_order():
    frame = sites.register()
    assert list(frame["site_id"]) == list(sites.SITE_IDS)
    assert frame["site_id"].is_unique
    assert list(frame.columns) == list(sites.COLUMNS)


def test_frameworks_pair_the_sites_as_the_study_did():
    frame = sites.register().set_index("site_id")
    for framework, pair in sites.FRAMEWORKS.items():
        assert set(frame.index[frame["framework"] == framework]) == set(pair)
    assert sites.framework_of("reading") == "trauma_informed_practice"
    with pytest.raises(KeyError):
        sites.framework_of("atlantis")


def test_types_and_dates():
    frame = sites.register()
    assert pd.api.types.is_datetime64_any_dtype(frame["innovation_start"])
    assert frame["start_is_assumption"].isin([0, 1]).all()
    assert (frame["innovation_start"] >= "2015-01-01").all() and (frame["innovation_start"] <= "2024-12-01").all()
    # Every start is a first of month (the area series are monthly).
    assert (frame["innovation_start"].dt.day == 1).all()
    # Every row carries a source sentence and an address.
    assert frame["start_source"].str.len().gt(40).all()
    assert frame["source_url"].str.startswith("https://").all()


def test_codes_match_the_dfe_files():
    sheffield = sites.site("sheffield")
    assert (sheffield.old_la_code, sheffield.new_la_code, sheffield.ons_current_code) == (
        "373",
        "E08000019",
        "E08000039",
    )
    assert sites.site("devon")["old_la_code"] == "878"
    assert sites.site("reading").new_la_code == "E06000038"
    assert sites.site("hackney").area_code == "204"
    assert sites.site("safer_london").area_code == "E12000007"
    assert sites.site("safer_london").area_level == "Regional"
    assert not sites.site("north_lanarkshire").in_dfe_data
    assert [s.site_id for s in sites.english_la_sites()] == ["devon", "reading", "hackney", "sheffield"]


def test_codes_exist_in_the_public_statistics():
    from innovate.data import public

    factors = public.assessment_factors(["Going_missing"])
    las = factors[factors["level"] == "Local authority"]
    for s in sites.english_la_sites():
        rows = las[las["area_code"] == s.old_la_code]
        assert not rows.empty, s.site_id
        assert set(rows["new_la_code"]) == {s.new_la_code}
        assert set(rows["area_name"]) == {s.dfe_area_name}


def test_unknown_site_raises_keyerror():
    with pytest.raises(KeyError, match="unknown site_id"):
        sites.site("atlantis")


def test_record_is_readable_both_ways():
    devon = sites.site("devon")
    assert devon["framework"] == devon.framework == "contextual_safeguarding"
    assert devon.framework_label == "Contextual Safeguarding"
    assert isinstance(devon.innovation_start, pd.Timestamp)
    assert devon.as_dict()["site_id"] == "devon"


@pytest.fixture
def copy_of_register(tmp_path):
    shutil.copy(reference_dir() / "sites.csv", tmp_path / "sites.csv")
    return tmp_path


def _rewrite(folder, edit):
    frame = pd.read_csv(folder / "sites.csv", dtype=str, keep_default_na=False)
    frame = edit(frame)
    frame.to_csv(folder / "sites.csv", index=False)


def test_a_register_read_again_reflects_its_file_and_not_a_caller_s_edits(copy_of_register):
    # register() keeps what it parsed, keyed on the file and its content: an edit to the file
    # is read, a good file read before a bad one does not hide the bad one, and a frame a
    # caller changed is not what the next caller gets.
    first = sites.register(copy_of_register)
    first.loc[0, "framework"] = "changed by a caller"
    assert sites.register(copy_of_register).loc[0, "framework"] != "changed by a caller"

    def later_start(frame):
        frame.loc[0, "innovation_start"] = "2020-01-01"
        return frame

    _rewrite(copy_of_register, later_start)
    assert sites.register(copy_of_register).loc[0, "innovation_start"] == pd.Timestamp("2020-01-01")
    assert sites.site("devon", copy_of_register).innovation_start == pd.Timestamp("2020-01-01")
    _rewrite(copy_of_register, lambda f: f.drop(columns=["start_source"]))
    with pytest.raises(DataError):
        sites.register(copy_of_register)


def test_bad_framework_is_named(copy_of_register):
    def edit(frame):
        frame.loc[2, "framework"] = "contextual_safeguarding"
        return frame

    _rewrite(copy_of_register, edit)
    with pytest.raises(DataError) as info:
        sites.register(copy_of_register)
    problem = info.value.problems[0]
    assert (problem.column, problem.row, problem.rule) == ("framework", 3, "allowed-values")
    assert problem.file.endswith("sites.csv")


def test_bad_date_and_duplicate_are_all_reported(copy_of_register):
    def edit(frame):
        frame.loc[0, "innovation_start"] = "01/04/2019"
        frame.loc[5, "site_id"] = "devon"
        return frame

    _rewrite(copy_of_register, edit)
    with pytest.raises(DataError) as info:
        sites.register(copy_of_register)
    rules = {(p.rule, p.column, p.row) for p in info.value.problems}
    assert ("date-format", "innovation_start", 1) in rules
    assert ("unique-key", "site_id", 6) in rules
    assert ("complete", "site_id", None) in rules  # sheffield is now missing


def test_missing_column_is_named(copy_of_register):
    _rewrite(copy_of_register, lambda f: f.drop(columns=["start_source"]))
    with pytest.raises(DataError) as info:
        sites.register(copy_of_register)
    assert [(p.rule, p.column) for p in info.value.problems] == [("missing-column", "start_source")]


def test_stages_are_the_six_in_order():
    frame = sites.stages()
    assert tuple(frame["stage_id"]) == sites.STAGE_IDS
    assert list(frame["order"]) == [1, 2, 3, 4, 5, 6]
    assert (frame["source"] == "lefevre2023stages").all()


def test_stage_source_is_in_the_bibliography():
    from innovate.data.paths import project_root

    bib = (project_root() / "references.bib").read_text(encoding="utf-8")
    assert "@article{lefevre2023stages," in bib


def test_codebook_codes_are_unique_and_well_formed():
    frame = sites.codebook()
    assert 20 <= len(frame) <= 30
    assert frame["code"].is_unique
    assert set(frame["domain_hint"]) == {"facilitator", "barrier", "both"}
    for code in (
        "leadership_commitment",
        "practitioner_buy_in",
        "workforce_turnover",
        "funding_security",
        "partnership_working",
        "data_systems",
        "youth_participation",
        "organisational_culture",
        "national_policy",
        "inspection_pressure",
        "covid19_disruption",
        "training_capacity",
        "learning_culture",
    ):
        assert code in set(frame["code"]), code


def test_codebook_duplicate_is_named(tmp_path):
    frame = pd.read_csv(reference_dir() / "codebook.csv", dtype=str, keep_default_na=False)
    frame.loc[3, "code"] = frame.loc[0, "code"]
    frame.loc[5, "domain_hint"] = "neutral"
    frame.to_csv(tmp_path / "codebook.csv", index=False)
    with pytest.raises(DataError) as info:
        sites.codebook(tmp_path)
    found = {(p.rule, p.column, p.row) for p in info.value.problems}
    assert ("unique-key", "code", 4) in found
    assert ("allowed-values", "domain_hint", 6) in found


def test_stage_order_broken_is_named(tmp_path):
    frame = pd.read_csv(reference_dir() / "stages.csv", dtype=str, keep_default_na=False)
    frame = frame.iloc[[1, 0, 2, 3, 4, 5]]
    frame.to_csv(tmp_path / "stages.csv", index=False)
    with pytest.raises(DataError, match="stage_id"):
        sites.stages(tmp_path)
