"""Issue #14: six site chapters from one template, their public facts and statistics, and
the area report for any English local authority."""

from __future__ import annotations

import html
import json
import re
import shutil

import matplotlib

matplotlib.use("Agg")
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from innovate import cli  # noqa: E402
from innovate.data import public, scotland, site_context, sites  # noqa: E402
from innovate.data.paths import project_root  # noqa: E402
from innovate.econ import prices  # noqa: E402
from innovate.errors import DataError  # noqa: E402
from innovate.show import area_report, site_pages, site_template  # noqa: E402
from innovate.sphinxext import claims  # noqa: E402
from innovate.study import area, area_profile, scotland_area  # noqa: E402

ENGLISH = [s.site_id for s in sites.sites() if s.in_dfe_data]
#: A local authority that is not a study site, nor a statistical neighbour's exclusion.
NON_SITE_LA = "879"  # Plymouth


# --- one template, six chapters ----------------------------------------------------------
def test_committed_chapters_are_the_template_rendered():
    assert site_template.differences() == []


def test_a_changed_template_is_caught(tmp_path):
    nb = nbformat.read(site_template.TEMPLATE, as_version=4)
    nb.cells[0].source += "\n\nA sentence added to the template only."
    changed = tmp_path / "site-chapter.ipynb"
    nbformat.write(nb, changed)
    assert len(site_template.differences(template=changed)) == len(sites.SITE_IDS)


def test_template_has_one_parameters_cell_and_renders_every_placeholder():
    nb = nbformat.read(site_template.TEMPLATE, as_version=4)
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    for site_id in sites.SITE_IDS:
        rendered = site_template.render(site_id)
        text = "\n".join(c.source for c in rendered.cells)
        assert "{{" not in text, site_id
        params = [c.source for c in rendered.cells if "parameters" in c.metadata.get("tags", [])]
        assert params == [f'site_id = "{site_id}"  # the site this chapter is about (injected by the generator)']


def test_unknown_placeholder_is_an_error_naming_the_cell(tmp_path):
    nb = nbformat.read(site_template.TEMPLATE, as_version=4)
    nb.cells[0].source += " {{no_such_field}}"
    bad = tmp_path / "bad.ipynb"
    nbformat.write(nb, bad)
    with pytest.raises(KeyError, match=r"bad.ipynb, cell 0: unknown placeholder \{\{no_such_field\}\}"):
        site_template.render("devon", bad)


SECTION_ORDER = [
    "Key messages",
    "The site and its innovation",
    "The area in public statistics",
    "The area analyses",
    "What the study's case-level data show",
    "What sustains it",
    "Summary",
]


@pytest.mark.parametrize("site_id", sites.SITE_IDS)
def test_chapter_sections_in_order_and_prose_numbers_glued(site_id):
    nb = site_template.render(site_id)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    headings = [line[3:] for text in markdown for line in text.splitlines() if line.startswith("## ")]
    assert headings == SECTION_ORDER
    text = "\n\n".join(markdown)
    assert claims.typed_numbers(text, site_id) == []
    # every figure has alt text; every synthetic figure caption starts "Synthetic data"
    figures_md = re.findall(r"```\{glue:figure\}[^\n]*\n(.*?)```", text, flags=re.S)
    assert figures_md and all(":alt: " in f for f in figures_md)
    for f in figures_md:
        caption = f.split("\n\n", 1)[1]
        if "_fig_journey" in f or ":alt:" in f and "synthetic data" in f.split("\n")[0]:
            assert caption.startswith("Synthetic data")


@pytest.mark.parametrize("site_id", sites.SITE_IDS)
def test_synthetic_block_never_names_the_site(site_id):
    text = "\n\n".join(c.source for c in site_template.render(site_id).cells if c.cell_type == "markdown")
    block = text[text.index("## What the study's case-level data show") : text.index("## What sustains it")]
    for real in (sites.SHORT_NAMES[site_id], sites.site(site_id).site_name):
        assert real not in block


@pytest.mark.parametrize("site_id", sites.SITE_IDS)
def test_case_sentences_carry_the_pseudonym_only(site_id):
    from innovate.show.site_chapter import site_chapter

    chapter = site_chapter(site_id)
    messages = site_pages.case_messages(chapter.journey(), chapter.facilitators_barriers(), chapter.costs(reps=100))
    pseudonym = sites.pseudonym(site_id)
    assert messages["case_label"] == pseudonym
    for text in messages.values():
        for real in (sites.SHORT_NAMES[site_id], sites.site(site_id).site_name):
            assert real not in text


def test_committed_chapters_are_executed_without_errors():
    for site_id in sites.SITE_IDS:
        nb = json.loads(site_template.chapter_path(site_id).read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(c["execution_count"] is not None for c in code), site_id
        assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"], site_id


def test_sites_part_in_the_table_of_contents():
    toc = (project_root() / "_toc.yml").read_text()
    for site_id in sites.SITE_IDS:
        assert f"notebooks/sites/{site_pages.slug(site_id)}" in toc


# --- public facts with sources -------------------------------------------------------------
def test_every_fact_has_a_source_and_every_site_a_gap_statement():
    facts = site_context.site_context()
    sourced = facts[facts["topic"] != "not_found"]
    assert (sourced["source_url"].str.startswith("https://") | sourced["citation_key"].ne("")).all()
    bib = (project_root() / "references.bib").read_text()
    for key in sourced["citation_key"][sourced["citation_key"] != ""]:
        assert f"{{{key}," in bib
    for site_id in sites.SITE_IDS:
        mine = site_context.for_site(site_id)
        assert {"organisation", "framework", "not_found"} <= set(mine["topic"])


def test_context_markdown_shows_every_fact_with_its_source():
    for site_id in sites.SITE_IDS:
        text = site_pages.context_markdown(site_id)
        for _, row in site_context.for_site(site_id).iterrows():
            assert row["statement"] in text
            if row["source_url"] and row["topic"] != "not_found":
                assert row["source_url"] in text


def test_hackney_context_has_the_pilot_and_the_cyber_attack():
    text = site_pages.context_markdown("hackney")
    assert "11 May 2017" in text and "13 October 2020" in text


def test_a_fact_without_a_source_is_rejected(tmp_path):
    shutil.copy(project_root() / "data" / "reference" / site_context.FILE, tmp_path / site_context.FILE)
    frame = pd.read_csv(tmp_path / site_context.FILE, dtype=str, keep_default_na=False)
    frame.loc[1, "source_url"] = ""
    frame.to_csv(tmp_path / site_context.FILE, index=False)
    with pytest.raises(DataError) as err:
        site_context.site_context(tmp_path)
    assert "site_context.csv" in str(err.value) and "source_url" in str(err.value) and "row 2" in str(err.value)


# --- Scotland ------------------------------------------------------------------------------
def test_scottish_files_load_and_north_lanarkshire_matches_the_file():
    raw = pd.read_csv(project_root() / "data/public/scotland" / scotland.REGISTER_FILE, dtype=str)
    own = raw[(raw["council_code"] == scotland.NORTH_LANARKSHIRE) & (raw["measure"] == "rate_per_1000_aged_0_15")]
    profile = scotland_area.council_profile()
    assert profile.numbers()["register_area"] == float(own["value"].iloc[0])
    assert profile.register.councils["council_code"].nunique() == 32
    assert profile.values["lgbf_last_year"] == "2019-20"
    # Scotland's rate is the sum of council counts over Scotland's population
    counts = raw[raw["measure"] == "children_on_child_protection_register"]["value"].astype(float).sum()
    pop = scotland.child_population()
    scot = pop[(pop["council_code"] == scotland.SCOTLAND_CODE) & (pop["measure"] == "population_aged_0_15")]
    assert profile.values["register_scotland"] == pytest.approx(
        counts / scot.loc[scot["year"] == 2021, "value"].iloc[0] * 1000
    )
    assert len(profile.not_published) >= 4


def test_scottish_bad_value_names_file_column_row(tmp_path):
    (tmp_path / "scotland").mkdir()
    src = project_root() / "data/public/scotland" / scotland.LOOKED_AFTER_FILE
    lines = src.read_text().splitlines()
    parts = lines[3].split(",")
    parts[4] = "lots"
    lines[3] = ",".join(parts)
    (tmp_path / "scotland" / scotland.LOOKED_AFTER_FILE).write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        scotland.looked_after(tmp_path)
    message = str(err.value)
    assert scotland.LOOKED_AFTER_FILE in message and "'value'" in message and "row 3" in message


# --- one code path for a site's area and any area -----------------------------------------
@pytest.mark.parametrize("site_id", ENGLISH)
def test_site_profile_shows_the_same_numbers_as_the_facade(site_id):
    spec = area_profile.spec_for_site(site_id)
    for measure in ("Child_sexual_exploitation", "children_missing"):
        ours = area_profile.comparison(spec, measure)
        theirs = area.site_vs_neighbours(site_id, measure)
        pd.testing.assert_frame_equal(ours.summary, theirs.summary)
        assert ours.notes == theirs.notes


def test_spend_per_child_is_spend_over_children_at_one_price_year():
    spec = area_profile.spec_for_la("878", "2019-04")
    spend = area_profile.spend_per_child(spec)
    row = spend[(spend["line"] == "All children's and young people's services") & (spend["year"] == 2020)].iloc[0]
    s251 = public.section251("spend")
    cash = s251[(s251["area_code"] == "878") & (s251["measure"] == "C&YPExpenditure") & (s251["year"] == 2020)]
    pop = public.child_population()
    children = pop[(pop["area_code"] == "878") & (pop["year"] == 2019) & (pop["level"] == "Local authority")]
    expected = prices.to_price_year(float(cash["value"].iloc[0]), "2019-20", "2024-25") / children["value"].iloc[0]
    assert row["financial_year"] == "2019-20"
    assert row["site"] == pytest.approx(expected)


def test_sensitivity_checks_change_what_they_say():
    spec = area_profile.spec_for_la(NON_SITE_LA, "2019-09")
    table = area_profile.sensitivity_table(spec, "children_missing")
    assert set(table["check"]) == {label for _, label in area_profile.SENSITIVITY}
    its_rows = table[table["key"] == "its"].set_index("check")
    primary, later = its_rows.loc["As pre-specified"], its_rows.loc["Innovation counted from one year later"]
    assert later["n_pre"] == primary["n_pre"] + 1
    no_covid = its_rows.loc["Leaving out the year ending March 2021 (COVID-19)"]
    assert no_covid["n_pre"] + no_covid["n_post"] == primary["n_pre"] + primary["n_post"] - 1


def test_area_report_for_a_non_site_authority(tmp_path, capsys):
    assert sites.site("devon").old_la_code != NON_SITE_LA
    assert NON_SITE_LA not in {s.old_la_code for s in sites.sites()}
    assert cli.main(["area-report", "--la", NON_SITE_LA, "--start", "2019-09", "--out", str(tmp_path)]) == 0
    assert "Plymouth" in capsys.readouterr().out
    page = (tmp_path / "index.html").read_text()
    assert "<h1>Plymouth: the area in public statistics</h1>" in page
    assert page.count('<img alt="') == 3 and page.count("<caption>") == 6
    assert "Synthetic data" not in page and "watermark" not in page
    spec = area_profile.spec_for_la(NON_SITE_LA, "2019-09")
    for code in spec.donors:
        assert html.escape(spec.names[code]) in page
    # the same table the chapters show
    profile = area_profile.profile(spec)
    assert area_report.rates_table(profile).to_html(index=False, border=0, na_rep="").split("<tbody>")[1][:200] in page


def test_area_report_rejects_an_unknown_authority(tmp_path, capsys):
    assert cli.main(["area-report", "--la", "999", "--start", "2019-09", "--out", str(tmp_path)]) == 1
    assert "999" in capsys.readouterr().err
    assert not (tmp_path / "index.html").exists()


def test_chapter_tables_of_counts_are_protected_and_marked():
    from innovate.show.site_chapter import site_chapter
    from innovate.stats import disclosure

    section = site_chapter("devon").facilitators_barriers()
    html_table = section.display("t", "Coded segments.").to_html()
    assert 'data-people-counts="5"' in html_table
    assert html_table.count("Synthetic data (illustrative") == 1
    shown = disclosure.frames_from_html(html_table)[0]
    for column in ("Facilitator segments", "Barrier segments"):
        values = [v for v in shown[column].astype(str) if v.isdigit()]
        assert all(not 1 <= int(v) <= 5 for v in values)
    raw = section.table()
    assert ((raw["Barrier segments"] >= 1) & (raw["Barrier segments"] <= 5)).any() == (
        "c" in set(shown["Barrier segments"].astype(str))
    )


def test_messages_quote_the_profiles_at_their_digits():
    profile = area_profile.site_profile("safer_london")
    v = profile.numbers()
    messages = site_pages.public_messages(profile)
    assert f"{v['child_sexual_exploitation_area']:.1f} per 10,000 children in London" in messages["km_rates"]
    assert "the median of the other English regions" in messages["km_rates"]
    assert f"£{v['spend_area']:,.0f} per child" in messages["km_spend"]
    scot = scotland_area.council_profile()
    text = site_pages.scotland_messages(scot)
    assert f"{scot.numbers()['register_count']:,} children were on the child protection register" in text["km_rates"]
    assert "below and below" not in text["summary_public"]
