"""Issue #15: three framework chapters from one template, rendered by the site chapters'
renderer; their two sites side by side (public statistics and case-level sections)."""

from __future__ import annotations

import json
import math
import re
import shutil

import matplotlib

matplotlib.use("Agg")
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from innovate.data import sites  # noqa: E402
from innovate.data.paths import project_root  # noqa: E402
from innovate.show import framework_chapter, framework_pages, site_template  # noqa: E402
from innovate.sphinxext import claims  # noqa: E402
from innovate.study import area_profile, framework_compare, scotland_area  # noqa: E402

FRAMEWORKS = tuple(sites.FRAMEWORKS)
SLUGS = {f: f.replace("_", "-") for f in FRAMEWORKS}


# --- one renderer, two families ------------------------------------------------------------
def test_committed_framework_chapters_are_the_template_rendered():
    assert site_template.differences(family="frameworks") == []
    assert site_template.main(["check"]) == 0


def test_a_drifted_framework_chapter_is_caught(tmp_path):
    folder = tmp_path / "notebooks" / "frameworks"
    shutil.copytree(project_root() / "notebooks" / "frameworks", folder)
    assert site_template.differences(root=tmp_path, family="frameworks") == []
    path = folder / "trauma-informed-practice.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source += "\n\nA sentence edited into the rendered chapter only."
    nbformat.write(nb, path)
    found = site_template.differences(root=tmp_path, family="frameworks")
    assert len(found) == 1 and "trauma-informed-practice.ipynb" in found[0] and "differs" in found[0]
    (folder / "transitional-safeguarding.ipynb").unlink()
    assert any(
        "transitional-safeguarding.ipynb: missing" in f
        for f in site_template.differences(tmp_path, family="frameworks")
    )


def test_a_changed_framework_template_is_caught(tmp_path):
    nb = nbformat.read(site_template.FRAMEWORKS.template, as_version=4)
    nb.cells[0].source += "\n\nA sentence added to the template only."
    changed = tmp_path / "framework-chapter.ipynb"
    nbformat.write(nb, changed)
    assert len(site_template.differences(template=changed, family="frameworks")) == len(FRAMEWORKS)


def test_write_all_keeps_outputs_of_unchanged_cells(tmp_path):
    folder = tmp_path / "notebooks" / "frameworks"
    shutil.copytree(project_root() / "notebooks" / "frameworks", folder)
    path = folder / "contextual-safeguarding.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = "drifted"
    nbformat.write(nb, path)
    assert site_template.write_all(root=tmp_path, family="frameworks") == [path]
    fresh = nbformat.read(path, as_version=4)
    committed = nbformat.read(site_template.chapter_path("contextual_safeguarding"), as_version=4)
    assert [c.get("outputs") for c in fresh.cells] == [c.get("outputs") for c in committed.cells]


def test_unknown_id_and_family_are_errors():
    with pytest.raises(KeyError, match="no templated chapter for 'nowhere'"):
        site_template.render("nowhere")
    with pytest.raises(KeyError, match="unknown chapter family 'themes'"):
        site_template.differences(family="themes")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_chapter_opens_with_its_label_and_has_one_parameters_cell(framework):
    nb = site_template.render(framework)
    assert nb.cells[0].source.startswith(f"(framework-{SLUGS[framework]})=\n# {sites.FRAMEWORK_LABELS[framework]}")
    params = [c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert params == [f'framework = "{framework}"  # the framework this chapter is about (injected by the generator)']
    assert "{{" not in "\n".join(c.source for c in nb.cells)
    assert site_template.chapter_path(framework).name == f"{SLUGS[framework]}.ipynb"


SECTION_ORDER = [
    "Key messages",
    "Its two sites compared",
    "What the comparison can and cannot say with two sites",
    "Summary",
]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_sections_definition_and_prose_numbers(framework):
    nb = site_template.render(framework)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    headings = [line[3:] for text in markdown for line in text.splitlines() if line.startswith("## ")]
    assert headings == SECTION_ORDER
    text = "\n\n".join(markdown)
    assert claims.typed_numbers(text, framework) == []
    # the definition is included from its one source, which opens with its own heading
    include = re.search(r"```\{include\} (\S+)", text).group(1)
    definition = (site_template.chapter_path(framework).parent / include).resolve()
    assert definition == project_root() / "book" / "frameworks" / "definitions" / f"{SLUGS[framework]}.md"
    assert definition.read_text().startswith(f"## What {sites.FRAMEWORK_LABELS[framework]} is")
    figures_md = re.findall(r"```\{glue:figure\}[^\n]*\n(.*?)```", text, flags=re.S)
    assert len(figures_md) == 1 + len(framework_chapter.CASE_SECTIONS)
    for f in figures_md:
        alt = re.search(r":alt: (.*)", f).group(1)
        assert alt and not re.search(r"[`{}*_]", alt), alt  # alt text free of markup
        if "synthetic data" in alt:
            assert f.split("\n\n", 1)[1].startswith("Synthetic data")


def test_definitions_cite_only_keys_in_the_bibliography_and_type_no_numbers():
    bib = (project_root() / "references.bib").read_text()
    for framework in FRAMEWORKS:
        path = project_root() / framework_pages.DEFINITIONS / f"{SLUGS[framework]}.md"
        text = path.read_text()
        keys = {k.strip() for group in re.findall(r"\{cite:[pt]\}`([^`]+)`", text) for k in group.split(",")}
        assert keys and all(f"{{{k}," in bib for k in keys), keys
        assert claims.typed_numbers(text, str(path)) == []
        assert "*Evidence: published literature." in text
    for framework, sentence in framework_pages.IN_BRIEF.items():
        for key in re.findall(r"\{cite:p\}`([^`]+)`", sentence):
            assert f"{{{key}," in bib, framework


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_case_level_block_never_names_a_site(framework):
    text = "\n\n".join(c.source for c in site_template.render(framework).cells if c.cell_type == "markdown")
    block = text[text.index("### The two sites in the case-level data") : text.index("## What the comparison")]
    for site_id in sites.FRAMEWORKS[framework]:
        for real in (sites.SHORT_NAMES[site_id], sites.site(site_id).site_name):
            assert real not in block


def test_committed_framework_chapters_are_executed_without_errors():
    for framework in FRAMEWORKS:
        nb = json.loads(site_template.chapter_path(framework).read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["execution_count"] is not None for c in code), framework
        assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"], framework


def test_frameworks_part_follows_sites_in_the_table_of_contents():
    toc = (project_root() / "_toc.yml").read_text()
    sites_at, frameworks_at = toc.index("caption: Sites"), toc.index("caption: Frameworks")
    assert sites_at < frameworks_at
    between = toc[sites_at:frameworks_at]
    assert "caption:" not in between[len("caption: Sites") :]
    part = toc[frameworks_at:].split("caption:", 2)[1]
    assert [f"notebooks/frameworks/{SLUGS[f]}" for f in FRAMEWORKS] == re.findall(r"file: (\S+)", part)


# --- the two areas side by side --------------------------------------------------------------
def test_kind_and_pair_note_follow_the_areas():
    assert framework_pages.kind("trauma_informed_practice") == "mixed"
    assert framework_pages.kind("transitional_safeguarding") == "england"
    assert "children's hearings" in framework_pages.pair_note("trauma_informed_practice")
    assert "whole London region" in framework_pages.pair_note("contextual_safeguarding")


@pytest.fixture(scope="module")
def tip_pair():
    """Reading and North Lanarkshire side by side, read once (about 1 s a reading; no test
    changes it: the tables are built from copies of its rows)."""
    return framework_compare.pair_profile("trauma_informed_practice")


def test_pair_profile_quotes_the_site_chapters_numbers(tip_pair):
    pair = framework_compare.pair_profile("transitional_safeguarding")
    rows = pair.rows.set_index(["measure", "site_id"])
    for site_id in ("hackney", "sheffield"):
        v = area_profile.site_profile(site_id).values
        for measure in ("child_sexual_exploitation", "children_missing", "looked_after", "spend"):
            assert rows.loc[(measure, site_id), "area"] == pytest.approx(v[f"{measure}_area"])
            assert rows.loc[(measure, site_id), "year"] == v[f"{measure}_year"]
    scot = scotland_area.council_profile().values
    tip = tip_pair.rows.set_index(["measure", "site_id"])
    assert tip.loc[("register", "north_lanarkshire"), "area"] == pytest.approx(scot["register_area"])
    # per 1,000 as Scotland publishes it, per 10,000 as England does
    assert tip.loc[("looked_after", "north_lanarkshire"), "area"] == pytest.approx(10 * scot["looked_after_area"])
    assert ("child_sexual_exploitation", "north_lanarkshire") not in tip.index


def test_a_shared_measure_is_shown_for_the_latest_year_both_publish(tip_pair):
    tip = tip_pair.rows.set_index(["measure", "site_id"])
    assert (
        tip.loc[("looked_after", "reading"), "year"] == tip.loc[("looked_after", "north_lanarkshire"), "year"] == 2021
    )
    lac = area_profile.site_profile("reading").looked_after.set_index("year")
    assert tip.loc[("looked_after", "reading"), "area"] == lac.loc[2021, "site"]
    change = tip.xs("population_change", level="measure")
    assert set(change["first_year"]) == {2012} and set(change["year"]) == {2022}
    assert framework_compare._latest_common(
        pd.DataFrame({"year": [2022, 2023, 2025], "area": [1.0, 2.0, 3.0]}),
        pd.DataFrame({"year": [2022, 2023, 2024], "area": [1.0, float("nan"), 3.0]}),
    ) == (2022, 2022)


def test_public_table_has_human_headers_and_says_what_is_not_published(tip_pair):
    pair = tip_pair
    table = framework_chapter.public_table(pair)
    assert list(table.columns[:2]) == ["Measure", "Unit"]
    assert {"Reading", "North Lanarkshire", "England", "Scotland"} <= set(table.columns)
    assert not any("_" in c for c in table.columns)
    row = table.set_index("Measure").loc["Child sexual exploitation identified at assessment"]
    assert row["North Lanarkshire"] == "not published" and row["Reading"].endswith("(2025)")
    html = framework_chapter.public_display(pair, "t").to_html()
    assert "<caption>" in html and "Synthetic" not in html
    messages = framework_pages.public_messages(pair)
    assert messages["shared_measures"] == 2 and messages["measures"] == len(table)
    assert "for North Lanarkshire only: children on the child protection register" in messages["one_area_only"]


def test_ratio_of_ratios():
    z = 1.959964
    got = framework_compare.ratio_of_ratios((2.0, 1.0, 4.0), (1.0, 0.5, 2.0))
    se = math.hypot(math.log(4) / (2 * z), math.log(4) / (2 * z))
    assert got["ratio"] == pytest.approx(2.0)
    assert got["low"] == pytest.approx(2.0 * math.exp(-z * se)) and got["high"] == pytest.approx(2.0 * math.exp(z * se))
    assert got["excludes_one"] is False
    back = framework_compare.ratio_of_ratios((1.0, 0.5, 2.0), (2.0, 1.0, 4.0))
    assert back["ratio"] * got["ratio"] == pytest.approx(1.0)
    assert framework_compare.ratio_of_ratios((3.0, 2.5, 3.6), (1.0, 0.9, 1.1))["excludes_one"] is True
    with pytest.raises(ValueError, match="site b needs 0 < low <= estimate <= high"):
        framework_compare.ratio_of_ratios((1.0, 0.5, 2.0), (1.0, 1.2, 2.0))


# --- the case-level sections side by side ----------------------------------------------------
@pytest.fixture(scope="module")
def cs_chapter():
    return framework_chapter.framework_chapter("contextual_safeguarding")


def test_pair_tables_carry_both_pseudonyms_and_the_site_chapters_rows(cs_chapter):
    journey = cs_chapter.section("journey")
    assert journey.labels == ("CS site 1", "CS site 2")
    table = journey.table()
    assert list(table["Site"]) == ["CS site 1", "CS site 2"]
    single = journey.one.table()
    pd.testing.assert_frame_equal(table.iloc[[0]].reset_index(drop=True), single)
    experience = cs_chapter.section("experience").table()
    assert list(experience.columns[1:]) == ["CS site 1", "CS site 2"]
    assert list(experience.iloc[:, 0]) == list(cs_chapter.section("experience").one.table().iloc[:, 0])


def test_pair_table_of_codes_is_protected_and_synthetic(cs_chapter):
    from innovate.stats import disclosure

    section = cs_chapter.section("facilitators_barriers")
    html = section.display("t", "Coded segments.").to_html()
    assert 'data-people-counts="5"' in html and html.count("Synthetic data (illustrative") == 1
    shown = disclosure.frames_from_html(html)[0]
    counts = [c for c in shown.columns if str(c).endswith("segments")]
    assert len(counts) == 4
    for column in counts:
        assert all(not 1 <= int(v) <= 5 for v in shown[column].astype(str) if v.isdigit())


def test_pair_figures_are_watermarked(cs_chapter):
    from innovate.show import figures

    for name in ("cohort_outcomes", "trustworthy_audit"):
        assert figures.is_watermarked(cs_chapter.section(name).figure())
    with pytest.raises(KeyError, match="no side-by-side section 'area_outcomes'"):
        cs_chapter.section("area_outcomes")


def test_case_and_contrast_sentences_carry_pseudonyms_only(cs_chapter):
    sections = {n: cs_chapter.section(n) for n in ("journey", "facilitators_barriers", "costs")}
    words = framework_pages.case_messages(
        {n: s.one for n, s in sections.items()}, {n: s.two for n, s in sections.items()}
    )
    assert words["s1_case_label"] == "CS site 1" and words["s2_case_label"] == "CS site 2"
    contrast = framework_pages.contrast_messages({"excludes_one": False}, "CS site 1", "CS site 2", True)
    for text in [*words.values(), *contrast.values()]:
        for site_id in sites.FRAMEWORKS["contextual_safeguarding"]:
            assert sites.SHORT_NAMES[site_id] not in text
