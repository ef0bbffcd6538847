"""The section numbers the appendices glue with one call: values, digits, sentences for every count, bad input."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from innovate.data import deflators as data_deflators
from innovate.econ import prices
from innovate.show import appendix_numbers as an
from innovate.show import text
from innovate.sphinxext import buildinfo
from innovate.synthetic import simulation, simulation_numbers


# --- sentences that agree with their count -------------------------------------------------
@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (21, 25, "21 of them are read"),
        (1, 25, "1 of them is read"),
        (25, 25, "all of them are read"),
        (2, 2, "both of them are read"),
        (0, 25, "none of them is read"),
        (0, 2, "neither of them is read"),
        (1, 1, "it is read"),
        (0, 1, "it is not read"),
    ],
)
def test_of_them_agrees_for_every_count(k, n, expected):
    assert text.of_them(k, n, "is read", "are read", "is not read") == expected


def test_counts_that_are_not_counts_are_refused():
    with pytest.raises(ValueError, match="larger than the whole"):
        text.of_them(3, 2, "is", "are", "is not")
    with pytest.raises(ValueError, match="not a count"):
        text.counted(1.5, "file", "files", "is", "are")
    assert text.counted(1, "file", "files", "is", "are") == "1 file is"
    assert text.counted(1204, "file", "files", "is", "are") == "1,204 files are"
    assert text.agreeing(1, "was", "were") == "1 was" and text.agreeing(0, "was", "were") == "0 were"


@pytest.mark.parametrize(
    ("loaders", "shipped", "read"),
    [
        (["a", "", "b"], "3 files are shipped in 2 folders", "2 of them are read"),
        (["a"], "1 file is shipped in 1 folder", "it is read"),
        (["", ""], "2 files are shipped in 2 folders", "neither of them is read"),
    ],
)
def test_public_files(loaders, shipped, read):
    provenance = pd.DataFrame({"folder": ["dfe", "ons", "ons"][: len(loaders)], "loader": loaders})
    v = an.public_files(provenance).values
    assert v["public_files"] == len(loaders) and v["public_files_read"] == sum(1 for x in loaders if x)
    assert v["public_shipped_text"] == shipped and v["public_read_text"] == read
    assert v["public_files_text"].startswith(f"{len(loaders)} verbatim or subset file")


def test_checksums_and_missing_releases_read_as_english():
    v = an.checksums_checked(pd.DataFrame({"ok": [True, True, False]})).values
    assert (v["checksums_total"], v["checksums_ok"]) == (3, 2)
    assert v["checksums_checked_text"] == "All 3 entries were checked" and v["checksums_ok_text"] == "2 match"
    one = an.checksums_checked(pd.DataFrame({"ok": [True]})).values
    assert one["checksums_checked_text"] == "The one entry was checked" and one["checksums_ok_text"] == "1 matches"
    stitch = pd.DataFrame(
        {
            "release": ["CLA 2022 release", "CLA 2024 release"],
            "superseded values revised later": [1, 0],
            "superseded values absent later": [1204, 0],
        }
    )
    v = an.missing_releases(stitch).values
    assert v["missing_revised_text"] == "1 was" and v["missing_absent_text"] == "1,204 belong"
    assert (v["missing_revised"], v["missing_absent"]) == (1, 1204)
    with pytest.raises(ValueError, match="0 rows for release 'CLA 2023 release'"):
        an.missing_releases(stitch, "CLA 2023 release")


def test_rate_rule_register_documents_and_validation():
    v = an.rate_rule({"matched": 150, "compared": 152, "years": "2015-2017"}, 7).values
    assert v["rates_matched_text"] == "150 of the 152 local authority rates" and v["sfr_smallest_count"] == 7
    with pytest.raises(ValueError, match="missing years"):
        an.rate_rule({"matched": 1, "compared": 1}, 7)
    v = an.site_register(pd.DataFrame({"start_is_assumption": [1, 1, 0]})).values
    assert (v["sites"], v["sites_assumed"], v["sites_assumed_text"]) == (3, 2, "2 of the 3 sites")
    documents = an.case_data_documents(
        pd.DataFrame({"code": ["a"]}), {"generator_version": "1.2", "seed": 9}, pd.DataFrame({"table": ["t", "t", "u"]})
    ).values
    assert documents["codes_text"] == "1 code" and documents["synthetic_seed"] == 9
    assert (documents["dictionary_tables"], documents["dictionary_columns"]) == (2, 3)
    with pytest.raises(ValueError, match="manifest: missing seed"):
        an.case_data_documents(pd.DataFrame({"code": []}), {"generator_version": "1"}, pd.DataFrame({"table": ["t"]}))
    report = SimpleNamespace(rows={"a.csv": 1, "b.csv": 1200}, problems=[])
    v = an.validation_report(report).values
    assert (v["validated_files_text"], v["validated_rows_text"], v["validated_problems_text"]) == (
        "2 files",
        "1,201 rows",
        "0 problems",
    )


def test_deflator_example_uses_the_table_it_is_given():
    table = data_deflators.gdp_deflators()
    numbers = an.deflator_example(table)
    base = table.loc[table["gdp_deflator"] == 100, "fiscal_year"].item()
    assert numbers.values["deflator_base"] == base
    assert numbers.values["deflator_example_real"] == pytest.approx(prices.to_price_year(1000, "2019-20", base))
    assert numbers.values["deflator_first_forecast"] == table.loc[table["is_forecast"], "fiscal_year"].iloc[0]
    assert numbers.digits == {"deflator_example_real": 0}
    with pytest.raises(ValueError, match="0 years at index 100"):
        an.deflator_example(table.assign(gdp_deflator=table["gdp_deflator"] + 1))


# --- ITS validation -------------------------------------------------------------------------
def sicily_table(r_difference=(2e-7, 4e-6)):
    return pd.DataFrame(
        {
            "model": [4, 4],
            "term": ["level", "slope"],
            "quantity": ["estimate", "estimate"],
            "published": [0.894, 1.001],
            "reproduced": [0.89354823, 1.0012],
            "r_rerun": [0.89354831, 1.0012],
            "r_difference": list(r_difference),
            "agrees": [False, True],
        }
    )


def test_sicily_reproduction():
    numbers = an.sicily_reproduction(sicily_table())
    v = numbers.values
    assert (v["n_values"], v["n_agree"], v["r_places"]) == (2, 1, 5)
    assert v["m4_reproduced"] == v["m4_3dp"] == v["m4_4dp"] == 0.89354823 and v["m4_r"] == 0.89354831
    assert numbers.digits == {"m4_published": 3, "m4_reproduced": 6, "m4_r": 6, "m4_3dp": 3, "m4_4dp": 4}
    with pytest.raises(ValueError, match="agrees exactly"):
        an.sicily_reproduction(sicily_table((0.0, 0.0)))
    with pytest.raises(ValueError, match="0 rows for model 4's step change"):
        an.sicily_reproduction(sicily_table().assign(model=3))


def test_sicily_diagnostics_and_variants():
    m3 = SimpleNamespace(
        diagnostics={"ljung_box_p": 0.2, "ljung_box_lags": 24.0, "breusch_godfrey_p": 0.3, "durbin_watson": 1.9}
    )
    m4 = SimpleNamespace(diagnostics={"slope_test_stat": 0.5, "slope_test_p": 0.48}, scale=1.7)
    v = an.sicily_diagnostics(m3, m4).values
    assert v["m3_lb_lags"] == 24 and isinstance(v["m3_lb_lags"], int) and v["m4_scale"] == 1.7
    variants = an.sicily_variants(pd.Series([0.89, 0.87, 0.91]))
    assert variants.values == {"variants_min": 0.87, "variants_max": 0.91}
    with pytest.raises(ValueError, match="no models"):
        an.sicily_variants(pd.Series([], dtype=float))


# --- simulation appendix ------------------------------------------------------------------
def summary_frame():
    estimators = list(dict.fromkeys([*simulation_numbers.QUOTED_ESTIMATORS, *simulation.COMPARATORS]))
    rows = []
    for k, name in enumerate(estimators):
        inside = name != "gee_mi"
        rows.append(
            {
                "estimator": name,
                "coverage": 0.95 if inside else 0.91,
                "coverage_mcse": 0.02,
                "bias": 0.001 * k,
                "bias_mcse": 0.0005,
                "empirical_sd": 0.5,
                "in_target": inside,
                "target_within_2mcse": True,
            }
        )
    return pd.DataFrame(rows)


def test_simulation_coverage():
    summary = summary_frame()
    numbers = simulation_numbers.coverage(summary)
    v = numbers.values
    book = summary[~summary["estimator"].isin(simulation.COMPARATORS)]
    assert v["n_book_estimators"] == len(book) and v["n_in_target"] == len(book) - 1 and v["n_compatible"] == len(book)
    assert (v["cov_min"], v["cov_max"]) == (0.91, 0.95)
    n = len(book)
    assert (v["in_target_text"], v["compatible_text"]) == (f"{n - 1} have", f"{n} are")
    assert v["in_target_of_text"] == f"{n - 1} of them have"
    label = simulation.SHORT_LABELS["gee_mi"]
    assert v["outside_sentence"] == (
        f"Outside the range: {label} covers 0.910 (Monte Carlo SE 0.020), "
        "within two Monte Carlo standard errors of the target range."
    )
    growth = summary.set_index("estimator").loc["mixed_risk_growth"]
    assert v["growth_bias_in_sd"] == pytest.approx(abs(growth["bias"]) / 0.5)
    assert numbers.digits["gee_mi_bias"] == 4 and numbers.digits["gee_mi_cov"] == 3
    every = simulation_numbers.coverage(summary.assign(in_target=True)).values
    assert every["outside_sentence"] == "None falls outside it." and every["in_target_of_text"] == "all of them have"
    with pytest.raises(ValueError, match="no row for estimator"):
        simulation_numbers.coverage(summary[summary["estimator"] != "its_level"])


def test_simulation_design_run_and_pooling():
    settings = simulation.Settings(replications=7, per_arm=30, m=2)
    v = simulation_numbers.design(settings, 70).values
    assert (v["replications"], v["per_arm"], v["m"], v["n_estimates"]) == (7, 30, 2, 70)
    assert (v["target_low"], v["target_high"]) == simulation.COVERAGE_TARGET
    assert simulation_numbers.run({"seconds": 12.3}, 2).values == {"seconds": 12.3, "jobs": 2}
    tau = 0.1
    pool = pd.DataFrame(
        [
            (name, t, c)
            for name, cov in (
                ("Wald", (0.95, 0.9, 0.8)),
                ("HKSJ", (0.94, 0.95, 0.96)),
                ("HKSJ, never narrower than Wald", (0.98, 0.96, 0.95)),
            )
            for t, c in zip((0.0, tau, 4 * tau), cov)
        ],
        columns=["interval", "tau", "coverage"],
    )
    v = simulation_numbers.pooling(pool, tau, 4000).values
    assert (v["pool_reps"], v["pool_wald_0"], v["pool_wald_gen"], v["pool_wald_max"]) == (4000, 0.95, 0.9, 0.8)
    assert (v["pool_hksj_min"], v["pool_hksj_max"], v["pool_mod_0"]) == (0.94, 0.96, 0.98)
    with pytest.raises(ValueError, match="no interval HKSJ"):
        simulation_numbers.pooling(pool[pool["interval"] == "Wald"], tau, 4000)


# --- reproducibility appendix ---------------------------------------------------------------
def test_buildinfo_numbers():
    versions = pd.DataFrame({"package": ["a", "b", "c"], "matches pin": ["yes", "no", "yes"]})
    assert buildinfo.package_numbers(versions).values == {"n_pinned_packages": 3, "n_packages_off_pin": 1}
    sums = pd.DataFrame({"matches shipped checksum": ["yes", "no", "", "yes"]})
    assert buildinfo.checksum_numbers(sums).values == {
        "n_data_files": 4,
        "n_checksums_match": 2,
        "n_checksums_differ": 1,
    }
    bench = buildinfo.benchmark_numbers(buildinfo.load_benchmark())
    assert set(bench.values) == set(buildinfo.benchmark_summary(buildinfo.load_benchmark()))
    assert bench.digits == {k: d for k, d in buildinfo.BENCHMARK_DIGITS.items() if k in bench.values}
    assert set(buildinfo.environment_numbers().values) == {"commit", "python", "blas"}
