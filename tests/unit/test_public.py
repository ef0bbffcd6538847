"""The public-statistics loaders read the real files exactly, keep every status code and never invent a zero."""

from __future__ import annotations

import csv
import shutil

import numpy as np
import pandas as pd
import pytest

from innovate.data import checksums, public
from innovate.data import missing as data_missing
from innovate.data.paths import public_dir
from innovate.errors import DataError


@pytest.fixture(scope="module")
def factors():
    return public.assessment_factors()


@pytest.fixture(scope="module")
def missing():
    return data_missing.missing_from_care()


@pytest.fixture(scope="module")
def releases():
    return data_missing.missing_releases()


def _one(frame, **where):
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, where
    return rows.iloc[0]


# --- children in need -------------------------------------------------------------------


def test_cse_episodes_2018_england_and_devon(factors):
    cse = factors[factors["measure"] == "Child sexual exploitation"]
    assert _one(cse, level="National", year=2018)["value"] == 20000
    devon = _one(cse, area_code="878", year=2018)
    assert devon["value"] == 205
    assert devon["status"] == ""
    assert devon["new_la_code"] == "E10000008"
    assert devon["area_name"] == "Devon"


def test_tidy_shape(factors):
    for column in ("area_code", "new_la_code", "area_name", "level", "year", "measure", "value", "status"):
        assert column in factors.columns
    assert set(factors["level"]) == {"National", "Regional", "Local authority"}
    assert factors["value"].dtype == float
    assert factors.duplicated(["level", "area_code", "measure", "year"]).sum() == 0


def test_every_real_c_cell_is_missing_with_status_c(factors):
    """Find the 'c' cells in the raw file and check each one in the tidy frame."""
    path = public_dir() / public.ASSESSMENT_FACTORS_FILE
    cells = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["geographic_level"] != "Local authority":
                continue
            for column, measure in public.EXTRA_FAMILIAL_FACTORS.items():
                if row[column].strip() == "c":
                    cells.append((row["old_la_code"], int(row["time_period"]), measure))
    assert len(cells) > 50  # the file really has suppressed cells
    indexed = factors.set_index(["area_code", "year", "measure"])
    for cell in cells:
        hit = indexed.loc[cell]
        assert np.isnan(hit["value"]), cell
        assert hit["status"] == "c", cell
    # ... and no suppressed or unavailable cell anywhere reads as a number.
    coded = factors[factors["status"] != ""]
    assert coded["value"].isna().all()
    assert (factors.loc[factors["status"] == "", "value"].notna()).all()


def test_hackney_cyber_attack_years_are_x_not_zero(factors):
    cse = factors[(factors["measure"] == "Child sexual exploitation") & (factors["area_code"] == "204")]
    gap = cse[cse["year"].isin([2021, 2022])]
    assert list(gap["status"]) == ["x", "x"]
    assert gap["value"].isna().all()


def _copy_public_file(tmp_path, relative):
    target = tmp_path / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(public_dir() / relative, target)
    return target


def test_unknown_status_code_raises_naming_file_column_row(tmp_path):
    target = _copy_public_file(tmp_path, public.ASSESSMENT_FACTORS_FILE)
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    column = header.index("Child_sexual_exploitation")
    cells = lines[7].split(",")
    cells[column] = "q"  # data row 7
    lines[7] = ",".join(cells)
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        public.assessment_factors(folder=tmp_path)
    [problem] = info.value.problems
    assert problem.file.endswith("c3_factors_identified_at_end_of_assessment_2018_to_2025.csv")
    assert problem.column == "Child_sexual_exploitation"
    assert problem.row == 7
    assert problem.rule == "status-code"
    assert problem.value == "q"


def test_missing_column_raises(tmp_path):
    target = _copy_public_file(tmp_path, public.CIN_FILE)
    frame = pd.read_csv(target, dtype=str, keep_default_na=False).drop(columns=["Started_child"])
    frame.to_csv(target, index=False)
    with pytest.raises(DataError) as info:
        public.children_in_need(folder=tmp_path)
    assert [(p.rule, p.column) for p in info.value.problems] == [("missing-column", "Started_child")]


def test_children_in_need_and_referrals_read():
    cin = public.children_in_need()
    refs = public.referrals()
    assert set(cin["year"]) == set(range(2013, 2026))
    assert set(refs["year"]) == set(range(2013, 2026))
    assert _one(refs, level="National", year=2025, measure="Referrals")["value"] == 632830
    assert (
        _one(cin, level="National", year=2025, measure="Children in need at any point in the year")["value"] == 704430
    )


# --- codes ------------------------------------------------------------------------------


def test_sheffield_codes_join_on_the_old_code(factors):
    assert public.to_old_code("E08000039") == "373"  # current ONS code
    assert public.to_old_code("E08000019") == "373"  # code in DfE files
    assert public.to_old_code(["373", "E10000008"]) == ["373", "878"]
    lookup = public.code_lookup().set_index("old_la_code")
    assert lookup.loc["373", "new_la_code"] == "E08000019"
    assert lookup.loc["373", "ons_code"] == "E08000039"
    # An ONS-coded frame (as a current ONS product would give) joins to DfE rows via the old code.
    ons = pd.DataFrame({"ons_code": ["E08000039", "E10000008"], "label": ["Sheffield", "Devon"]})
    ons["area_code"] = public.to_old_code(ons["ons_code"])
    cse = factors[(factors["measure"] == "Child sexual exploitation") & (factors["year"] == 2019)]
    joined = ons.merge(cse, on="area_code", how="left", validate="one_to_one")
    assert joined["area_name"].tolist() == ["Sheffield", "Devon"]
    assert joined["value"].notna().all()
    assert len(public.area(cse, "E08000039")) == 1


def test_abolished_authority_does_not_take_its_successors_code():
    lookup = public.code_lookup().set_index("old_la_code")
    assert lookup.loc["835", "ons_code"] == ""  # old Dorset county is not the new Dorset (838)
    with pytest.raises(KeyError, match="unknown LA code"):
        public.to_old_code("E99999999")


# --- rates ------------------------------------------------------------------------------


def test_rate_per_10k_by_hand_for_devon():
    cla = public.looked_after_rates()
    row = _one(
        public.rate_per_10k(cla),
        area_code="878",
        year=2024,
        measure="Children looked after on 31 March each year per 10,000 children",
    )
    # By hand from the files: 873 children looked after at 31 March 2024 (cla_number_and_rate file);
    # ONS mid-2023 estimate of children aged 0-17 in Devon 147,790 (population file).
    assert row["count"] == 873
    assert row["population_year"] == 2023
    assert row["population"] == 147790
    assert row["value"] == pytest.approx(873 / 147790 * 10000)
    assert round(row["value"]) == row["published_rate"] == 59


def test_rate_rule_reproduces_every_published_la_rate():
    rates = public.rate_per_10k(public.looked_after_rates())
    las = rates[(rates["level"] == "Local authority") & rates["published_rate"].notna() & rates["value"].notna()]
    assert len(las) > 2000
    assert (las["population"] == las["published_population"]).all()
    assert (np.floor(las["value"] + 0.5) == las["published_rate"]).all()


def test_rate_carries_the_last_population_forward_with_a_note():
    factors = public.assessment_factors(["Going_missing"])
    later = factors.assign(year=factors["year"] + 1)  # pretend 2026 data exist: needs a 2025 estimate
    rates = public.rate_per_10k(later)
    devon = _one(rates, area_code="878", year=2026)
    assert devon["population_year"] == 2024
    assert devon["population_note"] == "no estimate for 2025; 2024 carried forward"
    assert (rates.loc[rates["year"] <= 2025, "population_note"].str.contains("carried").sum()) == 0


def test_rate_for_a_withheld_count_stays_missing(factors):
    rates = public.rate_per_10k(factors[factors["status"] == "c"])
    assert rates["value"].isna().all()
    assert (rates["status"] == "c").all()


def test_rate_for_an_area_without_population_is_flagged_not_zero(missing):
    rates = public.rate_per_10k(missing[(missing["area_code"] == "835") & (missing["year"] == 2015)])
    assert rates["value"].isna().all()
    assert rates["population_note"].str.startswith("population estimate withheld").all()


def test_rate_refuses_years_before_the_first_estimate(factors):
    early = factors.assign(year=2012)
    with pytest.raises(DataError, match="population-year"):
        public.rate_per_10k(early)


# --- statistical neighbours ---------------------------------------------------------------


def test_statistical_neighbours_both_models():
    devon21 = public.statistical_neighbours("878", model=2021)
    assert len(devon21) == 10
    assert (devon21[0].old_la_code, devon21[0].la_name, devon21[0].closeness) == ("933", "Somerset", "extremely close")
    devon25 = public.statistical_neighbours("878", model=2025)
    assert [n.old_la_code for n in devon25][:3] == ["845", "838", "926"]
    assert all(n.closeness == "very close" for n in devon25)
    sheffield = public.statistical_neighbours("E08000039", model=2025)
    assert sheffield[0].la_name == "Kirklees"
    assert [n.rank for n in sheffield] == list(range(1, 11))
    for model in (2021, 2025):
        table = public.statistical_neighbour_table(model)
        assert set(table["closeness"]) <= set(public.CLOSENESS_ORDER)
        assert (table.groupby(["section", "old_la_code"]).size() == 10).all()


def test_statistical_neighbours_pre_reorganisation_and_unknown():
    dorset = public.statistical_neighbours("835", model=2021)  # listed under 'Old SNs' in the 2021 file
    assert dorset[0].old_la_code == "893"
    with pytest.raises(KeyError):
        public.statistical_neighbours("835", model=2025)
    with pytest.raises(ValueError):
        public.statistical_neighbour_table(2019)


# --- missing from care -------------------------------------------------------------------


def test_missing_series_covers_2015_to_2024_with_sources(missing):
    assert set(missing["year"]) == set(range(2015, 2025))
    sources = missing.groupby("year")["source"].unique().map(list).to_dict()
    assert sources[2015] == ["SFR 34/2015"] and sources[2016] == ["SFR 41/2016"] and sources[2017] == ["SFR 50/2017"]
    assert all(sources[y] == ["CLA 2022 release"] for y in (2018, 2019))
    assert all(sources[y] == ["CLA 2024 release"] for y in range(2020, 2025))
    assert set(missing["measure_id"]) == set(data_missing.MISSING_MEASURES)
    assert missing.duplicated(["level", "area_code", "measure", "year"]).sum() == 0


def test_later_release_wins_where_values_differ(missing, releases):
    # Hampshire (850), missing incidents in 2020: 1,383 in the 2022 release, revised to 1,399 in 2024.
    both = releases[
        (releases["area_code"] == "850") & (releases["year"] == 2020) & (releases["measure_id"] == "missing_incidents")
    ]
    by_source = dict(zip(both["source"], both["value"]))
    assert by_source == {"CLA 2022 release": 1383.0, "CLA 2024 release": 1399.0}
    assert dict(zip(both["source"], both["superseded"])) == {"CLA 2022 release": True, "CLA 2024 release": False}
    chosen = _one(missing, area_code="850", year=2020, measure_id="missing_incidents")
    assert chosen["value"] == 1399
    assert chosen["source"] == "CLA 2024 release"


def test_old_releases_read_by_position(missing):
    devon = missing[missing["area_code"] == "878"].set_index(["year", "measure_id"])
    # SFR 41/2016 row for Devon: 82, 257, 46, x, 19, 35, 6, 0
    assert devon.loc[(2016, "children_missing"), "value"] == 82
    assert devon.loc[(2016, "missing_incidents"), "value"] == 257
    assert devon.loc[(2016, "missing_at_31_march"), "status"] == "x"
    assert np.isnan(devon.loc[(2016, "missing_at_31_march"), "value"])
    assert devon.loc[(2016, "away_at_31_march"), "value"] == 0  # a published zero stays zero
    # SFR 34/2015: Devon's missing counts were not shown
    assert devon.loc[(2015, "children_missing"), "status"] == "x"
    # 2017 uses different column names (Miss_Miss_...)
    assert devon.loc[(2017, "missing_incidents"), "value"] == 932


def test_old_release_regions_get_their_own_codes(missing):
    regions = missing[(missing["year"] == 2015) & (missing["level"] == "Regional")]
    assert set(regions["area_code"]) == set(public.REGION_NAMES)
    inner = _one(regions, area_code="E13000001", measure_id="children_missing")
    assert inner["area_name"] == "Inner London" and inner["value"] == 330
    sheffield = _one(missing, area_code="373", year=2015, measure_id="children_missing")
    assert sheffield["region_code"] == "E12000003"


def test_missing_status_codes_never_zero(missing, releases):
    assert missing.loc[missing["status"] != "", "value"].isna().all()
    raw = public_dir() / data_missing.MISSING_RELEASES[-1].file
    with open(raw, encoding="utf-8-sig", newline="") as handle:
        c_cells = [
            (r["old_la_code"], int(r["time_period"]), data_missing._RELEASE_LABELS[r["CLA_group"]])
            for r in csv.DictReader(handle)
            if r["number"] == "c"
            and r["geographic_level"] == "Local authority"
            and r["CLA_group"] in data_missing._RELEASE_LABELS
        ]
    assert len(c_cells) > 100
    latest = releases[releases["source"] == "CLA 2024 release"].set_index(["area_code", "year", "measure_id"])
    for cell in c_cells:
        assert latest.loc[cell, "status"] == "c"
        assert np.isnan(latest.loc[cell, "value"])


def test_missing_unknown_measure():
    with pytest.raises(KeyError, match="unknown missing-from-care measure"):
        data_missing.missing_from_care(["runaways"])
    extra = data_missing.missing_from_care(["looked_after_during_year"])
    assert set(extra["year"]) == set(range(2018, 2025))


# --- LAIT ---------------------------------------------------------------------------------


def test_lait_section251_and_unit_costs():
    unit = public.section251("unit_costs")
    devon = _one(unit, area_code="878", measure="RescareFinance", year=2017)
    assert devon["financial_year"] == "2016-17"
    assert devon["period"] == "2016-17 (OT)"
    assert devon["value"] == 2510
    assert devon["new_la_code"] == "E10000008"
    spend = public.section251("spend")
    assert _one(spend, area_code="878", measure="SafeguardingFinance", year=2017)["value"] == 28589459
    assert set(spend["financial_year"]) == {f"{y}-{(y + 1) % 100:02d}" for y in range(2016, 2025)}
    england = _one(spend, level="National", measure="SafeguardingFinance", year=2025)
    assert england["area_code"] == "E92000001"
    with pytest.raises(ValueError):
        public.section251("capital")


def test_lait_dash_is_missing_and_hackney_gap_flagged():
    frame = public.lait(["Children_missing", "LACFinance"])
    dashes = frame[frame["status"] == "-"]
    assert len(dashes) > 0 and dashes["value"].isna().all()
    hackney = _one(frame, area_code="204", measure="Children_missing", year=2021)
    assert hackney["status"] == "gap" and np.isnan(hackney["value"])
    assert _one(frame, area_code="204", measure="Children_missing", year=2020)["value"] == 16
    assert set(frame["level"]) == {"National", "Regional", "Local authority"}
    with pytest.raises(KeyError):
        public.lait(["NoSuchIndicator"])


def test_documented_hackney_gap_in_missing_series(missing, releases):
    hackney = missing[(missing["area_code"] == "204") & (missing["year"] == 2021)]
    assert len(hackney) == 8
    assert (hackney["status"] == "gap").all() and hackney["value"].isna().all()
    # the raw release still shows what DfE printed
    raw = releases[(releases["area_code"] == "204") & (releases["year"] == 2021) & ~releases["superseded"]]
    counts = raw[raw["measure_id"].isin(list(data_missing.MISSING_MEASURES))]
    assert len(counts) == 8 and (counts["value"] == 0).all()
    # ... while DfE shows Hackney looking after children that year: the zeros are a gap, not a fact.
    assert raw.loc[raw["measure_id"] == "looked_after_during_year", "value"].iloc[0] > 0
    # other years and other areas' published zeros are untouched
    assert _one(missing, area_code="204", year=2022, measure_id="missing_incidents")["value"] == 792
    assert _one(missing, area_code="420", year=2020, measure_id="children_missing")["value"] == 0


# --- provenance and the appendix helpers ----------------------------------------------------


def test_provenance_covers_every_shipped_file():
    table = checksums.provenance()
    # a folder's own README (the Scottish one is checksummed too) is documentation, not data
    shipped = {f"{r.folder}/{r.file}" for r in checksums.checksums().itertuples() if r.file != "README.md"}
    assert {f"{r.folder}/{r.file}" for r in table.itertuples()} == shipped
    assert table["licence"].str.startswith("Open Government Licence v3.0").all()  # LGBF: see its README
    c3 = table[table["file"].str.startswith("c3_")].iloc[0]
    assert (c3["years"], c3["geography"], c3["rows"]) == ("2018-2025", "England, regions, LAs", 1312)
    assert table.loc[table["file"] == "SFR41_Missing2016.csv", "years"].item() == "2016"


def test_missing_release_summary_accounts_for_every_value(releases):
    summary = checksums.missing_release_summary()
    assert summary["values used"].sum() + summary["values superseded"].sum() == len(releases)
    assert list(summary["years used"]) == ["2015", "2016", "2017", "2018-2019", "2020-2024"]
    row = summary.set_index("release").loc["CLA 2022 release"]
    assert row["superseded values revised later"] > 0  # Hampshire 2020 is one of them
    assert row["superseded values revised later"] + row["superseded values absent later"] <= row["values superseded"]


def test_rate_rule_check():
    check = checksums.rate_rule_check()
    assert check["compared"] > 2000 and check["matched"] == check["compared"]


def test_every_status_the_loaders_emit_is_documented(factors, missing):
    documented = set(public.STATUS_CODES) | set(public.BOOK_STATUS_CODES)
    frames = [
        factors,
        missing,
        public.lait(),
        public.children_in_need(),
        public.referrals(),
        public.child_population(),
        public.rate_per_10k(missing),
    ]
    for frame in frames:
        assert set(frame["status"]) <= documented
        assert frame.loc[frame["status"] != "", "value"].isna().all()


def test_small_appendix_tables():
    assert set(checksums.provenance_sources()["folder"]) == set(checksums.PROVENANCE)
    codes = checksums.status_code_table()
    assert {"c", "x", "z", "gap", "(blank)"} <= set(codes["code"])
    gaps = checksums.known_gaps_table()
    assert list(gaps["area"].unique()) == ["Hackney (204)"]
    assert len(gaps) == len(public.KNOWN_GAPS)
