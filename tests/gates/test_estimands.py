"""One estimand, one number (issue #19 item 3).

Every glued effect names its estimand (``glue(..., estimand=KEY)``, keys in
``innovate.study.estimands``); the key travels into ``_build/claims.json``. The gate
fails when one key carries two values anywhere in the book, and when the book tags no
estimands at all (a gate that cannot fail is no gate).
"""

from __future__ import annotations

import nbformat
import pytest

from conftest import ROOT
from innovate.data import sites
from innovate.show import glue as show_glue
from innovate.sphinxext import claims
from innovate.study import estimands


def claim(name, value, key, notebook="notebooks/themes/costs.ipynb"):
    return {"name": name, "notebook": notebook, "value": value, "kind": "number", "volatile": False, "estimand": key}


def test_two_values_for_one_estimand_fail():
    # the book before this gate: "missing episodes averted" quoted as 0.77 in one costs table
    # and -0.78 in another (opposite signs of one count, one of them discounted)
    key = "costs.missing_averted_18m.discounted"
    found = claims.estimand_conflicts([claim("costs_de", 0.77, key), claim("costs_cca_missing", -0.78, key)])
    assert len(found) == 1 and key in found[0] and "0.77" in found[0] and "-0.78" in found[0]
    # wellbeing: 0.90 in outcomes, 0.91 in costs, if both claim to be the same quantity
    key = "cohort.swemwbs.change_18m.pooled_mi_mixed"
    assert claims.estimand_conflicts(
        [claim("coh_swem_pooled", 0.90, key, "notebooks/themes/outcomes.ipynb"), claim("costs_swem", 0.91, key)]
    )


def test_one_value_quoted_twice_and_different_estimands_pass():
    a, b = "costs.missing_averted_18m.discounted", "costs.missing_18m.undiscounted"
    ok = [claim("costs_de", 0.77, a), claim("site_de", 0.77, a, "notebooks/sites/devon.ipynb"), claim("x", -0.78, b)]
    assert claims.estimand_conflicts(ok) == []
    assert claims.estimand_conflicts([{**claim("v", 1.0, a), "volatile": True}, claim("w", 2.0, a)]) == []


def test_the_estimand_travels_from_the_glue_output_into_the_claim():
    assert show_glue.ESTIMAND_METADATA == claims.ESTIMAND_METADATA
    output = {
        "output_type": "display_data",
        "data": {f"{claims.GLUE_MIME_PREFIX}text/plain": "0.77"},
        "metadata": {
            "scrapbook": {"name": "costs_de", "mime_prefix": claims.GLUE_MIME_PREFIX},
            claims.ESTIMAND_METADATA: "costs.missing_averted_18m.discounted",
        },
    }
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Costs"), nbformat.v4.new_code_cell("x = 1")]
    nb.cells[1].outputs = [nbformat.from_dict(output)]
    (found,) = claims.claims_from_notebook(nb, "nb.ipynb")
    assert found["estimand"] == "costs.missing_averted_18m.discounted" and found["value"] == 0.77
    assert "estimand" not in claims.claim_from_output("n", {"data": {"text/plain": "1"}, "metadata": {}}, "C", "nb")


def test_an_unknown_estimand_is_refused_where_it_is_glued():
    with pytest.raises(KeyError, match="unknown estimand 'costs.typo'"):
        show_glue.glue("x", 1.0, digits=1, estimand="costs.typo")


def test_a_site_estimand_names_a_known_quantity_site_and_interval_end():
    key = estimands.at_site("cohort.missing.rate_ratio.site_mi", "devon")
    assert estimands.describe(key).startswith("At site devon: Missing episodes at the site: rate ratio")
    assert estimands.describe(estimands.interval_end(key, "low")).startswith("Lower end of the 95% interval")
    assert estimands.is_known(estimands.interval_end("cohort.swemwbs.change_18m.pooled_mi_mixed", "high"))
    for bad, rule in (
        ("cohort.missing.rate_ratio.site_mi", "unknown estimand"),  # a site quantity without its site
        ("cohort.missing.rate_ratio.pooled_mi@devon", "unknown site estimand"),  # a whole-study one at a site
        ("cohort.missing.rate_ratio.site_mi@brighton", "unknown site 'brighton'"),
        ("cohort.missing.rate_ratio.pooled_mi#ci_mid", "unknown interval end 'ci_mid'"),
    ):
        assert not estimands.is_known(bad)
        with pytest.raises(KeyError, match=rule):
            estimands.describe(bad)


def test_a_published_statistic_is_keyed_by_measure_group_year_and_site():
    key = estimands.public_key("looked_after", "comparison", 2025, "reading")
    assert key == "public.looked_after.comparison.2025@reading"
    assert estimands.describe(key) == (
        "At site reading: Children looked after (per 10,000 children aged 0-17), the median of the site's "
        "comparison areas, 2025 (published statistics)."
    )
    for bad in ("public.looked_after.neighbours.2025@reading", "public.knife_crime.area.2025@reading"):
        with pytest.raises(KeyError, match="unknown public statistic"):
            estimands.describe(bad)
    with pytest.raises(KeyError, match="unknown site 'brighton'"):
        estimands.describe("public.looked_after.area.2025@brighton")


def test_a_site_section_refuses_an_estimand_for_a_value_it_lacks_or_an_unknown_key():
    from innovate.study.site_report import SectionResult

    args = ("costs", "devon", "synthetic", {"delta_cost": -1.0}, {"delta_cost": 0})
    assert SectionResult(*args, estimands={"delta_cost": "costs.cost_18m.discounted@devon"}).estimands
    with pytest.raises(ValueError, match="estimands for values it does not have: inb"):
        SectionResult(*args, estimands={"inb": "costs.net_benefit@devon"})
    with pytest.raises(KeyError, match="unknown site estimand 'costs.typo'"):
        SectionResult(*args, estimands={"delta_cost": "costs.typo@devon"})


def committed_claims() -> list[dict]:
    found = []
    for path in claims.book_notebooks(ROOT):
        found += claims.claims_from_notebook(nbformat.read(path, as_version=4), path.relative_to(ROOT).as_posix())
    return found


def check(found: list[dict]) -> None:
    tagged = [c for c in found if c.get("estimand")]
    keys = {c["estimand"] for c in tagged}
    assert len(keys) >= 6, f"only {len(keys)} estimands are tagged: the gate would pass vacuously"
    unknown = sorted(key for key in keys if not estimands.is_known(key))
    assert unknown == [], f"unknown estimand keys: {unknown}"
    # every site's effects are tagged where its site chapter quotes them, and again where
    # its framework chapter does, so the two must agree
    for site in sites.SITE_IDS:
        key = estimands.at_site("cohort.missing.rate_ratio.site_mi", site)
        quoted = {c["notebook"].split("/")[1] for c in tagged if c["estimand"] == key}
        assert quoted == {"sites", "frameworks"}, f"{key}: quoted in {sorted(quoted)}"
    # published statistics of a site's area, read three ways (site, framework, national chapter)
    public = {c["notebook"].split("/")[-1] for c in tagged if c["estimand"].startswith("public.")}
    assert {"devon.ipynb", "contextual-safeguarding.ipynb", "national-and-local-picture.ipynb"} <= public, public
    assert claims.estimand_conflicts(found) == []


def test_one_value_per_estimand_in_the_committed_notebooks():
    check(committed_claims())


@pytest.mark.book
def test_one_value_per_estimand_in_the_built_book(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    check(claims.load_claims(built_book.html.parent / claims.CLAIMS_FILE))
