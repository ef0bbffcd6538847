"""Tests of innovate.costs: hand-computed cases first, then simulation checks."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from innovate.econ import cea, costing, prices, unit_costs
from innovate.errors import DataError
from innovate.show import cost_display
from innovate.stats import bootstrap
from innovate.study import costs

# ---------------------------------------------------------------------------------------
# Discounting (hand-computed)
# ---------------------------------------------------------------------------------------


def test_discount_factors_green_book_first_years():
    f = prices.discount_factors([0, 1, 2, 0.5])
    assert f[0] == 1.0
    assert f[1] == pytest.approx(1 / 1.035, rel=1e-12)
    assert f[2] == pytest.approx(1 / 1.035**2, rel=1e-12)
    assert f[3] == pytest.approx(1 / math.sqrt(1.035), rel=1e-12)


def test_discount_factors_step_after_year_30_chains():
    f = prices.discount_factors([30, 31, 40, 75])
    assert f[0] == pytest.approx(1.035**-30, rel=1e-12)
    assert f[1] == pytest.approx(1.035**-30 / 1.03, rel=1e-12)
    assert f[2] == pytest.approx(1.035**-30 * 1.03**-10, rel=1e-12)
    assert f[3] == pytest.approx(1.035**-30 * 1.03**-45, rel=1e-12)
    # a hand value: 1 / 1.035^30 = 0.356278...
    assert f[0] == pytest.approx(0.35627841, abs=1e-8)


def test_discount_factors_flat_rate_and_errors():
    assert prices.discount_factors([3], 0.0)[0] == 1.0
    assert prices.discount_factors([2], 0.10)[0] == pytest.approx(1 / 1.21)
    with pytest.raises(ValueError):
        prices.discount_factors([-1])
    with pytest.raises(ValueError):
        prices.discount_factors([76])


def test_present_value_hand_computed():
    # 100 now, 100 in a year, 100 in two years at 3.5%
    pv = prices.present_value([100, 100, 100], [0, 1, 2])
    assert pv == pytest.approx(100 + 100 / 1.035 + 100 / 1.035**2)
    assert pv == pytest.approx(289.96943, abs=1e-5)


# ---------------------------------------------------------------------------------------
# ICER, quadrants and net benefit (hand-computed)
# ---------------------------------------------------------------------------------------


def test_icer_north_east():
    r = cea.icer(1000.0, 2.0)
    assert r.quadrant == "north_east" and r.value == 500.0 and r.reported


def test_icer_south_west_is_saving_per_unit_lost():
    r = cea.icer(-900.0, -3.0)
    assert r.quadrant == "south_west" and r.value == 300.0


def test_icer_dominant_and_dominated_report_no_ratio():
    r = cea.icer(-50.0, 1.0)
    assert r.quadrant == "dominant" and not r.reported and math.isnan(r.value)
    r = cea.icer(0.0, 1.0)
    assert r.quadrant == "dominant"
    r = cea.icer(50.0, -1.0)
    assert r.quadrant == "dominated" and not r.reported
    r = cea.icer(0.0, -1.0)
    assert r.quadrant == "dominated"


def test_icer_effect_near_zero_is_undefined_with_reason():
    r = cea.icer(1000.0, 0.004, effect_tolerance=0.01)
    assert r.quadrant == "undefined" and not r.reported
    assert "zero" in r.reason
    r = cea.icer(1000.0, 0.0)  # no tolerance: the same effect at a higher cost
    assert r.quadrant == "dominated" and "weakly" in r.reason
    # just outside the tolerance it is a ratio again
    assert cea.icer(1000.0, 0.02, effect_tolerance=0.01).value == pytest.approx(50_000.0)


def test_icer_rejects_bad_input():
    with pytest.raises(ValueError):
        cea.icer(float("nan"), 1.0)
    with pytest.raises(ValueError):
        cea.icer(1.0, 1.0, effect_tolerance=-1)


def test_quadrant_of_vectorised():
    q = cea.quadrant_of([1, 1, -1, -1, 0], [1, -1, 1, -1, 1])
    assert list(q) == ["north_east", "north_west", "south_east", "south_west", "south_east"]


def test_net_benefit_hand_computed():
    assert cea.net_benefit(1000.0, 2.0, 1500.0) == pytest.approx(500.0)
    assert cea.net_benefit(0.0, 2.0, 1500.0) == pytest.approx(-1500.0)
    grid = cea.net_benefit(np.array([0.0, 500.0, 1000.0])[:, None], np.array([1.0, 2.0]), np.array([100.0, 300.0]))
    np.testing.assert_allclose(grid, [[-100, -300], [400, 700], [900, 1700]])


def test_ceac_at_zero_is_share_of_replicates_costing_less():
    rng = np.random.default_rng(7)
    dc = rng.normal(50, 100, 4000)
    de = rng.normal(0.2, 0.5, 4000)
    curve = cea.ceac(de, dc, [0.0, 100.0, 1e9])
    assert curve[0] == pytest.approx((dc < 0).mean(), abs=0)
    # a huge willingness to pay: the share with a gain in effect
    assert curve[2] == pytest.approx((de > 0).mean(), abs=1e-3)
    # hand case
    assert list(cea.ceac([1.0, -1.0, 2.0, 0.5], [10.0, -5.0, 30.0, -1.0], [0.0, 10.0])) == [
        0.5,
        0.25,
    ]  # at 10: INB 0 is not > 0


def test_ceac_is_monotone_for_positive_effects():
    de = np.array([0.5, 1.0, 2.0])
    dc = np.array([100.0, 100.0, 100.0])
    curve = cea.ceac(de, dc, np.linspace(0, 1000, 11))
    assert np.all(np.diff(curve) >= 0)


def test_parametric_ceac_hand_case():
    # INB(lambda) = 100 * 1 - 50 = 50; var = 100^2 * 0.04 + 400 - 0 = 800
    p = cea.parametric_ceac(1.0, 50.0, 0.04, 400.0, 0.0, [100.0])
    assert p[0] == pytest.approx(stats.norm.cdf(50 / math.sqrt(800)))


# ---------------------------------------------------------------------------------------
# Bootstrap
# ---------------------------------------------------------------------------------------


def _two_arm_frame(rng, n_per_arm=(60, 40), sites=("a", "b")):
    rows = []
    for s, site in enumerate(sites):
        for arm, n in zip(("innovation", "comparison"), n_per_arm):
            cost = rng.gamma(2.0, 500.0 + 100 * s + (200 if arm == "innovation" else 0), n)
            effect = rng.normal(1.0 if arm == "innovation" else 0.5, 1.0, n) + 0.001 * cost
            rows.append(pd.DataFrame({"site_id": site, "arm": arm, "cost": cost, "effect": effect}))
    return pd.concat(rows, ignore_index=True)


def test_bootstrap_is_deterministic_and_keeps_strata_sizes():
    frame = _two_arm_frame(np.random.default_rng(1))
    a = bootstrap.stratified_bootstrap(frame, ["cost", "effect"], ["site_id", "arm"], reps=300, seed=11)
    b = bootstrap.stratified_bootstrap(frame, ["cost", "effect"], ["site_id", "arm"], reps=300, seed=11)
    c = bootstrap.stratified_bootstrap(frame, ["cost", "effect"], ["site_id", "arm"], reps=300, seed=12)
    np.testing.assert_array_equal(a.replicates, b.replicates)
    assert not np.array_equal(a.replicates, c.replicates)
    assert list(a.strata["n"]) == [40, 60, 40, 60]  # sorted: (a, comparison), (a, innovation), ...
    assert a.replicates.shape == (300, 4, 2)
    # point estimates are the stratum means
    means = frame.groupby(["site_id", "arm"])[["cost", "effect"]].mean().to_numpy()
    np.testing.assert_allclose(a.point, means)


def test_bootstrap_resamples_pairs_within_strata():
    # In each stratum cost == 10 * effect for every person, so every replicate keeps it.
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"site_id": "s", "arm": np.repeat(["innovation", "comparison"], 30)})
    frame["effect"] = rng.normal(size=60)
    frame["cost"] = 10 * frame["effect"]
    boot = bootstrap.stratified_bootstrap(frame, ["cost", "effect"], ["site_id", "arm"], reps=200, seed=1)
    np.testing.assert_allclose(boot.replicates[..., 0], 10 * boot.replicates[..., 1])
    # a stratum whose values are all equal never varies
    frame.loc[frame["arm"] == "comparison", ["cost", "effect"]] = 5.0
    boot = bootstrap.stratified_bootstrap(frame, ["cost", "effect"], ["site_id", "arm"], reps=50, seed=1)
    comparison = list(boot.strata["arm"]).index("comparison")
    assert np.all(boot.replicates[:, comparison, :] == 5.0)


def test_bootstrap_chunking_does_not_change_shapes_or_means():
    frame = _two_arm_frame(np.random.default_rng(5))
    boot = bootstrap.stratified_bootstrap(frame, ["cost"], ["site_id", "arm"], reps=2500, seed=2, chunk=1000)
    assert boot.replicates.shape == (2500, 4, 1)
    # the bootstrap distribution of a mean centres on the sample mean
    np.testing.assert_allclose(boot.replicates.mean(axis=0), boot.point, rtol=0.02)


def test_bootstrap_rejects_missing_values_and_tiny_strata():
    frame = _two_arm_frame(np.random.default_rng(1))
    frame.loc[3, "cost"] = np.nan
    with pytest.raises(DataError) as err:
        bootstrap.stratified_bootstrap(frame, ["cost"], ["site_id", "arm"], reps=10)
    assert err.value.problems[0].column == "cost" and err.value.problems[0].row == 4
    tiny = pd.DataFrame(
        {"site_id": ["a", "a", "a"], "arm": ["innovation", "innovation", "comparison"], "cost": [1.0, 2.0, 3.0]}
    )
    with pytest.raises(DataError):
        bootstrap.stratified_bootstrap(tiny, ["cost"], ["site_id", "arm"], reps=10)


def test_arm_difference_is_site_weighted():
    frame = _two_arm_frame(np.random.default_rng(9), n_per_arm=(30, 20), sites=("a", "b"))
    frame = pd.concat(
        [frame, frame[frame["site_id"] == "b"].assign(site_id="b")], ignore_index=True
    )  # site b twice as big
    boot = bootstrap.stratified_bootstrap(frame, ["cost", "effect"], ["site_id", "arm"], reps=20, seed=1)
    stat = bootstrap.arm_difference(boot)
    est, reps, jk = boot.apply(stat)
    g = frame.groupby(["site_id", "arm"])["cost"].mean()
    hand = (1 / 3) * (g["a", "innovation"] - g["a", "comparison"]) + (2 / 3) * (
        g["b", "innovation"] - g["b", "comparison"]
    )
    assert est[0] == pytest.approx(hand)
    assert reps.shape == (20, 2) and jk.shape == (len(frame), 2)


def test_jackknife_values_are_leave_one_out_means():
    frame = pd.DataFrame(
        {"site_id": "s", "arm": ["innovation"] * 4 + ["comparison"] * 3, "cost": [1.0, 2.0, 3.0, 6.0, 1.0, 1.0, 4.0]}
    )
    boot = bootstrap.stratified_bootstrap(frame, ["cost"], ["site_id", "arm"], reps=5, seed=1)
    _, _, jk = boot.apply(bootstrap.arm_difference(boot))
    # strata sorted: comparison first. Leaving out the comparison 4.0: 4 - 1 = 3
    assert sorted(np.round(jk[:, 0], 10)) == sorted(
        np.round(
            [
                3 - (1 + 4) / 2,
                3 - (1 + 4) / 2,
                3 - 1.0,  # comparison left out (mean of innovation = 3)
                (2 + 3 + 6) / 3 - 2,
                (1 + 3 + 6) / 3 - 2,
                (1 + 2 + 6) / 3 - 2,
                (1 + 2 + 3) / 3 - 2,
            ],
            10,
        )
    )


def test_bca_matches_scipy_on_a_skewed_mean():
    x = np.random.default_rng(2024).exponential(1.0, 60)
    frame = pd.DataFrame({"site_id": "s", "arm": "x", "v": x})
    boot = bootstrap.stratified_bootstrap(frame, ["v"], ["site_id", "arm"], reps=40_000, seed=5)
    est, reps, jk = boot.apply(lambda m: m[..., 0, 0])
    lo, hi = bootstrap.bca_interval(est, reps, jk)
    ref = stats.bootstrap((x,), np.mean, n_resamples=40_000, method="BCa", random_state=5).confidence_interval
    assert lo == pytest.approx(ref.low, abs=0.01)
    assert hi == pytest.approx(ref.high, abs=0.01)
    # skewed data: BCa shifts right of the percentile interval
    plo, phi = bootstrap.percentile_interval(reps)
    assert lo > plo and hi > phi


def test_bca_hand_case_with_no_bias_and_no_acceleration_is_percentile():
    # symmetric replicates around the estimate and symmetric jackknife values: z0 = a = 0
    reps = np.concatenate([np.linspace(-1, 1, 1001)])
    jk = np.array([-1.0, 1.0, -2.0, 2.0])
    assert bootstrap.bca_interval(0.0, reps, jk) == pytest.approx(bootstrap.percentile_interval(reps))
    assert all(math.isnan(v) for v in bootstrap.bca_interval(5.0, reps, jk))  # every replicate below


def test_percentile_interval_coverage_on_simulated_data():
    """200 simulated two-arm trials x 500 replicates: 95% intervals cover the truth ~95%."""
    rng = np.random.default_rng(20240601)
    true_diff = 2.0 * 600.0 - 2.0 * 500.0  # gamma means: shape * scale
    covered = 0
    n_sims = 200
    for sim in range(n_sims):
        frame = pd.DataFrame(
            {
                "site_id": "s",
                "arm": np.repeat(["innovation", "comparison"], 80),
                "cost": np.concatenate([rng.gamma(2.0, 600.0, 80), rng.gamma(2.0, 500.0, 80)]),
            }
        )
        boot = bootstrap.stratified_bootstrap(frame, ["cost"], ["site_id", "arm"], reps=500, seed=sim, jackknife=False)
        _, reps, _ = boot.apply(bootstrap.arm_difference(boot))
        lo, hi = bootstrap.percentile_interval(reps[:, 0])
        covered += lo <= true_diff <= hi
    coverage = covered / n_sims
    assert 0.90 <= coverage <= 0.99, coverage


# ---------------------------------------------------------------------------------------
# Price years and the unit-cost table
# ---------------------------------------------------------------------------------------


def _deflator_rows():
    import csv

    from innovate.data.paths import public_dir

    with open(public_dir() / "deflators" / "hmt_gdp_deflators_fy_march2026.csv", encoding="utf-8") as f:
        return {r["fiscal_year"]: float(r["gdp_deflator"]) for r in csv.DictReader(f)}


def test_price_year_conversion_against_the_deflator_table():
    table = _deflator_rows()
    assert prices.to_price_year(100.0, "2013-14") == pytest.approx(100.0 * table["2024-25"] / table["2013-14"])
    # by hand from the published index: 2024-25 = 100, 2013-14 = 73.0337
    assert prices.to_price_year(55.0, "2013-14") == pytest.approx(55.0 * 100 / 73.0337, rel=1e-9)
    out = prices.to_price_year([1000.0, 1000.0], ["2019-20", "2024-25"])
    np.testing.assert_allclose(out, [1000.0 * 100 / table["2019-20"], 1000.0])
    assert prices.to_price_year(50.0, "2024-25", to_fy="2019-20") == pytest.approx(50.0 * table["2019-20"] / 100)


def test_price_year_rejects_forecast_and_unknown_years():
    with pytest.raises(DataError) as err:
        prices.to_price_year(1.0, "2026-27")
    assert err.value.problems[0].rule == "deflator-outturn"
    with pytest.raises(DataError):
        prices.to_price_year(1.0, "1990-91")


def test_financial_year_boundaries():
    fy = prices.financial_year(["2022-03-31", "2022-04-01", "2023-01-15", "2000-04-01"])
    assert list(fy) == ["2021-22", "2022-23", "2022-23", "2000-01"]
    assert prices.fy_start("2019-20") == 2019
    with pytest.raises(ValueError):
        prices.fy_start("2019-21")


def test_unit_cost_file_is_in_step_with_the_public_files():
    """data/reference/unit_costs.csv is what build_unit_costs() makes from data/public."""
    built = unit_costs.build_unit_costs()
    shipped = unit_costs.unit_costs()
    assert list(shipped.columns) == list(unit_costs.UNIT_COST_COLUMNS)
    assert len(built) == len(shipped)
    for column in unit_costs.UNIT_COST_COLUMNS:
        if column in ("amount_gbp", "amount_gbp_price_year"):
            np.testing.assert_allclose(shipped[column].to_numpy(), built[column].to_numpy(), rtol=0, atol=0.005)
        else:
            assert shipped[column].astype(str).tolist() == built[column].astype(str).tolist(), column


def test_unit_cost_rows_state_source_unit_and_price_year():
    table = unit_costs.unit_costs()
    for column in ("source", "unit", "price_year"):
        assert (table[column].str.strip() != "").all()
    assert set(table["price_year_converted_to"]) == {prices.PRICE_YEAR}
    staff = table[table["item"].str.startswith("staff_contact_hour:")].set_index("item")
    # the published rate is not an assumption; every other role is, and says so
    assert staff.loc["staff_contact_hour:social_worker", "is_assumption"] == 0
    others = staff.drop(index="staff_contact_hour:social_worker")
    assert (others["is_assumption"] == 1).all() and others["source"].str.startswith("ASSUMPTION").all()
    # uprated with the GDP deflator from 2013-14
    table_d = _deflator_rows()
    assert staff.loc["staff_contact_hour:social_worker", "amount_gbp_price_year"] == pytest.approx(
        55.0 * table_d["2024-25"] / table_d["2013-14"], abs=0.005
    )
    nao = table[table["item"] == "childrens_home_place"].iloc[0]
    assert nao["amount_gbp"] == 318_400.0 and nao["price_year"] == "2023-24"
    assert nao["citation_key"] == "nao2025residential"


def test_section_251_rows_match_the_lait_file():
    import csv

    from innovate.data.paths import public_dir

    with open(public_dir() / "dfe_lait" / "lait_bds_selected_indicators_long.csv", encoding="utf-8-sig") as f:
        raw = [
            r
            for r in csv.DictReader(f)
            if r["Short Desc"] == "RescareFinance"
            and r["LA and Regions"] == "Reading"
            and r["Years"].startswith("2022-23")
        ]
    table = unit_costs.unit_costs()
    row = table[
        (table["item"] == "residential_care") & (table["area_code"] == "870") & (table["financial_year"] == "2022-23")
    ].iloc[0]
    assert row["amount_gbp"] == float(raw[0]["Values"])
    assert row["unit"] == "GBP per child per week"


def test_unit_cost_loader_names_file_column_and_row(tmp_path):
    table = unit_costs.unit_costs()
    broken = table.copy()
    broken.loc[2, "source"] = ""
    broken.loc[4, "amount_gbp"] = -1.0
    path = tmp_path / "unit_costs.csv"
    broken.to_csv(path, index=False)
    with pytest.raises(DataError) as err:
        unit_costs.unit_costs(path)
    found = {(p.column, p.row, p.rule) for p in err.value.problems}
    assert ("source", 3, "required-value") in found
    assert ("amount_gbp", 5, "non-negative-number") in found


def test_nao_multiplier_hand_computed():
    table = unit_costs.unit_costs()
    nao = table[table["item"] == "childrens_home_place"].iloc[0]["amount_gbp_price_year"]
    s251 = table[
        (table["item"] == "residential_care")
        & (table["area_code"] == unit_costs.ENGLAND_CODE)
        & (table["financial_year"] == "2023-24")
    ].iloc[0]["amount_gbp_price_year"]
    assert costs.nao_residential_multiplier(table) == pytest.approx(nao / (365.25 / 7) / s251)


# ---------------------------------------------------------------------------------------
# Process costing (hand-computed)
# ---------------------------------------------------------------------------------------


def _people(rows):
    return pd.DataFrame(rows, columns=["person_id", "site_id", "arm", "baseline_date"]).assign(
        baseline_date=lambda f: pd.to_datetime(f["baseline_date"])
    )


def test_activity_components_by_role_and_discount_year():
    people = _people([("YP1", "s", "innovation", "2022-03-15")])
    activity = pd.DataFrame(
        {
            "person_id": "YP1",
            "site_id": "s",
            "month": pd.to_datetime(["2022-03-01", "2023-02-01", "2023-03-01", "2023-03-01"]),
            "staff_role": ["social_worker", "social_worker", "social_worker", "youth_worker"],
            "contact_hours": [2.0, 1.5, 4.0, 1.0],
        }
    )
    out = costing.activity_components(activity, people, {"social_worker": 60.0, "youth_worker": 40.0})
    assert out.loc["YP1", "staff:social_worker@y0"] == pytest.approx(3.5 * 60)  # months 0 and 11
    assert out.loc["YP1", "staff:social_worker@y1"] == pytest.approx(4.0 * 60)  # month 12
    assert out.loc["YP1", "staff:youth_worker@y1"] == pytest.approx(40.0)
    late = activity.assign(month=pd.to_datetime(["2022-03-01", "2023-02-01", "2023-09-01", "2023-03-01"]))
    with pytest.raises(DataError) as err:
        costing.activity_components(late, people, {"social_worker": 60.0, "youth_worker": 40.0})
    assert err.value.problems[0].column == "month" and err.value.problems[0].row == 3
    with pytest.raises(DataError):
        costing.activity_components(activity, people, {"social_worker": 60.0})


def test_placement_days_hand_counts():
    people = _people([("YP1", "s", "innovation", "2022-03-15"), ("YP2", "s", "comparison", "2022-01-01")])
    placements = pd.DataFrame(
        {
            "placement_id": ["P1", "P2", "P3", "P4"],
            "person_id": ["YP1", "YP2", "YP2", "YP2"],
            "site_id": "s",
            "placement_type": ["residential", "fostering", "fostering", "secure"],
            "start_date": pd.to_datetime(["2022-03-20", "2021-12-01", "2022-12-25", "2023-06-20"]),
            "end_date": pd.to_datetime(["2022-04-05", "2022-01-10", "2023-01-05", "2023-08-01"]),
        }
    )
    days = costing.placement_days(placements, people)
    got = {(r.person_id, r.placement_type, r.financial_year, r.year): r.days for r in days.itertuples()}
    assert got == {
        ("YP1", "residential", "2021-22", 0): 12,  # 20-31 March 2022
        ("YP1", "residential", "2022-23", 0): 5,  # 1-5 April 2022
        ("YP2", "fostering", "2021-22", 0): 10,  # 1-10 January 2022 (December is before baseline)
        ("YP2", "fostering", "2022-23", 0): 7,  # 25-31 December 2022
        ("YP2", "fostering", "2022-23", 1): 5,  # 1-5 January 2023, after the first anniversary
        ("YP2", "secure", "2023-24", 1): 11,  # 20-30 June 2023; the window ends the day before 18 months
    }


def _rate_table():
    rows = []
    for fy, res, fos, lac in (("2021-22", 7000.0, 700.0, 2100.0), ("2022-23", 7700.0, 770.0, 2310.0)):
        for item, v in (("residential_care", res), ("fostering", fos), ("looked_after_all", lac)):
            rows.append({"item": item, "area_code": "A", "financial_year": fy, "amount_gbp_price_year": v})
    return pd.DataFrame(rows)


def test_placement_components_price_each_day_at_its_year_and_type():
    people = _people([("YP1", "s", "innovation", "2022-03-15"), ("YP2", "s", "comparison", "2022-01-01")])
    placements = pd.DataFrame(
        {
            "placement_id": ["P1", "P2", "P3"],
            "person_id": ["YP1", "YP2", "YP2"],
            "site_id": "s",
            "placement_type": ["residential", "secure", "supported_accommodation"],
            "start_date": pd.to_datetime(["2022-03-20", "2022-12-25", "2023-06-20"]),
            "end_date": pd.to_datetime(["2022-04-05", "2023-01-05", "2023-08-01"]),
        }
    )
    wide, notes = costing.placement_components(placements, people, _rate_table(), {"s": "A"})
    assert wide.loc["YP1", "placement:residential@y0"] == pytest.approx(12 * 7000 / 7 + 5 * 7700 / 7)
    # secure is priced at the residential rate
    assert wide.loc["YP2", "placement:secure@y0"] == pytest.approx(7 * 7700 / 7)
    assert wide.loc["YP2", "placement:secure@y1"] == pytest.approx(5 * 7700 / 7)
    # 2023-24 is not in the table: the nearest year (2022-23) in real terms, with a note
    assert wide.loc["YP2", "placement:supported_accommodation@y1"] == pytest.approx(11 * 2310 / 7)
    assert any("2023-24" in n and "2022-23" in n for n in notes)


def test_innovation_costs_apportioned_per_day_of_follow_up():
    people = _people(
        [
            ("A1", "s", "innovation", "2024-04-01"),
            ("A2", "s", "innovation", "2024-04-01"),
            ("C1", "s", "comparison", "2024-04-01"),
        ]
    )
    start_up = 100_000.0
    innovation = pd.DataFrame(
        {
            "site_id": "s",
            "financial_year": ["2024-25", "2024-25"],
            "cost_category": ["running", "start_up"],
            "item": ["additional_staff", "training"],
            "amount_gbp": [730_000.0, start_up],
        }
    )
    wide, summary, notes = costing.innovation_components(innovation, people)
    # 2024-25 has 365 days and 2 innovation-arm young people: 1,000 a day each
    assert wide.loc["A1", "innovation:running@y0"] == pytest.approx(365 * 1000.0)
    # 1 April - 30 September 2025 (183 days) priced at the nearest year's running costs, with a note
    assert wide.loc["A1", "innovation:running@y1"] == pytest.approx(183 * 730_000.0 / (365 * 2))
    assert any("2025-26" in n for n in notes)
    annuity = (1 - 1.035**-5) / 0.035
    assert costing.annuity_factor(5) == pytest.approx(annuity)
    per_day = start_up / annuity / (365 * 2)
    assert wide.loc["A2", "innovation:start_up@y0"] == pytest.approx(365 * per_day)
    assert wide.loc["A2", "innovation:start_up@y1"] == pytest.approx(183 * per_day)
    assert "C1" not in wide.index  # the comparison arm carries none of the innovation's costs
    assert summary.loc[0, "start_up_total"] == pytest.approx(start_up)


def test_person_outcomes_sums_and_completeness():
    rows = []
    for pid, observed, eps in (("YP1", [1, 1, 1, 1], [5, 2, 1, 3]), ("YP2", [1, 1, 0, 0], [4, 3, None, None])):
        for w, o, e in zip((0, 6, 12, 18), observed, eps):
            rows.append(
                {
                    "person_id": pid,
                    "wave_month": w,
                    "observed": o,
                    "missing_episodes": e,
                    "exploitation_risk_score": 10.0 + w if o else np.nan,
                    "swemwbs": 20.0 if o else np.nan,
                    "school_attendance_pct": 90.0 if o else np.nan,
                    "placement_moves": 1 if o else np.nan,
                    "justice_contact": (1 if w == 12 else 0) if o else np.nan,
                }
            )
    out = costs.person_outcomes(pd.DataFrame(rows)).set_index("person_id")
    assert out.loc["YP1", "complete"] == 1 and out.loc["YP2", "complete"] == 0
    assert out.loc["YP1", "missing_episodes_18m"] == 6
    assert out.loc["YP1", "effect@y0"] == -3 and out.loc["YP1", "effect@y1"] == -3
    assert out.loc["YP1", "exploitation_risk_18"] == 28.0
    assert out.loc["YP1", "placement_moves_18m"] == 3 and out.loc["YP1", "justice_contact_18m"] == 1.0
    assert np.isnan(out.loc["YP2", "missing_episodes_18m"]) and np.isnan(out.loc["YP2", "justice_contact_18m"])


def test_cost_effect_model_discounts_and_multiplies():
    columns = [
        "staff:social_worker@y0",
        "staff:social_worker@y1",
        "placement:residential@y1",
        "effect@y0",
        "effect@y1",
        "_w",
    ]
    model = cea.CostEffectModel(columns, columns[:3], columns[3:5], "_w")
    means = np.array([[[100.0, 103.5, 207.0, 1.0, 1.035, 1.0]]])  # one stratum
    cost, effect = model.evaluate(means)[0, 0]
    assert cost == pytest.approx(100 + 100 + 200)
    assert effect == pytest.approx(2.0)
    cost, _ = model.evaluate(means, {"staff_hourly": 2.0, "residential_rate": 0.5})[0, 0]
    assert cost == pytest.approx(200 + 200 + 100)
    # weighted means: mean(w * y) / mean(w)
    cost, _ = model.evaluate(means * np.array([1, 1, 1, 1, 1, 2.0]))[0, 0]
    assert cost == pytest.approx(200.0)
    # flat 0% discounting leaves the second year alone; draws broadcast
    assert model.evaluate(means, schedule=0.0)[0, 0, 0] == pytest.approx(100 + 103.5 + 207)
    draws = model.evaluate(np.repeat(means, 3, axis=0), {"staff_hourly": np.array([1.0, 2.0, 3.0])})
    np.testing.assert_allclose(draws[:, 0, 0], [400.0, 600.0, 800.0])
    with pytest.raises(KeyError):
        model.multipliers({"no_such_input": 1.0})


def test_parameter_draws_have_the_stated_means():
    draws = costs.draw_parameters(40_000, seed=3)
    assert draws["residential_rate"].mean() == pytest.approx(1.0, abs=0.005)
    assert draws["residential_rate"].std() == pytest.approx(0.10, abs=0.005)
    assert (draws["staff_hourly"] > 0).all()
    assert np.median(draws["ratio:team_manager"]) == pytest.approx(1.0, abs=0.01)
    again = costs.draw_parameters(10, seed=3)
    np.testing.assert_array_equal(again["fostering_rate"], costs.draw_parameters(10, seed=3)["fostering_rate"])


# ---------------------------------------------------------------------------------------
# End to end on the shipped case-level data (one site, few replicates)
# ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def devon():
    return costs.site_cost_summary("devon", reps=300)


def test_site_summary_is_consistent(devon):
    res = devon.result
    cons = devon.consequences.set_index("measure")
    # the cost row of the consequence table is the incremental cost of the CEA
    assert cons.iloc[0]["difference"] == pytest.approx(res.delta_cost)
    # the CEA effect is minus the (discounted) difference in missing episodes: same sign
    assert np.sign(res.delta_effect) == -np.sign(
        cons.loc["Missing episodes over 18 months (undiscounted)", "difference"]
    )
    rep = res.replicates
    assert res.ceac([0.0])[0] == pytest.approx((rep[:, 0] < 0).mean())
    assert set(devon.tornado["parameter"]) >= set(cea.PARAMETERS) | {"discount_rate", "effect", "residential_nao"}
    widths = devon.tornado["width"].to_numpy()
    assert np.all(np.diff(widths) <= 1e-9)  # widest first
    k = devon.numbers()
    assert k["delta_cost_low"] <= k["delta_cost"] <= k["delta_cost_high"] or not np.isfinite(k["delta_cost_low"])
    assert devon.icer.quadrant in cea.QUADRANTS
    assert devon.cost_per_young_person["site_id"].eq("devon").all()


def test_site_summary_is_deterministic(devon):
    again = costs.summarise(costs.prepared("devon"), "devon", reps=300)
    np.testing.assert_array_equal(again.result.replicates, devon.result.replicates)
    assert again.numbers() == devon.numbers()


def test_costs_are_split_into_start_up_and_running(devon):
    frame = costs.prepared("devon").frame
    innovation = frame[frame["arm"] == "innovation"]
    comparison = frame[frame["arm"] == "comparison"]
    start_cols = [c for c in frame.columns if c.startswith("innovation:start_up")]
    run_cols = [c for c in frame.columns if c.startswith("innovation:running")]
    assert innovation[start_cols].to_numpy().sum() > 0 and innovation[run_cols].to_numpy().sum() > 0
    assert comparison[start_cols + run_cols].to_numpy().sum() == 0


def test_tables_for_display_pass_disclosure_control(devon):
    from innovate.stats import disclosure

    table = cost_display.cost_table_display(devon.cost_per_young_person)
    disclosure.assert_protected(table)
    assert table["Total"].str.startswith("£").all()


def test_a_site_slice_of_the_whole_equals_the_site_costed_alone(devon):
    from innovate.study import costs

    whole = costs.prepare(costs.load_cost_data())
    sliced = costs.summarise(costs.subset(whole, "devon"), "devon", reps=300)
    assert sliced.numbers() == devon.numbers()


def test_plots_return_figures_with_every_series_marked(devon):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    fig = cost_display.plot_ce_plane({"Devon": devon.result})
    assert isinstance(fig, Figure)
    points = fig.axes[0].collections[0].get_offsets()
    assert len(points) == devon.result.boot.n_replicates
    np.testing.assert_allclose(points[:, 0], devon.result.replicates[:, 1])  # effect on x, cost on y
    acc = devon.acceptability()
    fig2 = cost_display.plot_ceac(
        {"bootstrap": (acc["wtp"], acc["bootstrap"]), "probabilistic": (acc["wtp"], acc["probabilistic"])}
    )
    markers = {
        line.get_marker() for line in fig2.axes[0].get_lines() if line.get_label() in ("bootstrap", "probabilistic")
    }
    assert len(markers) == 2  # never colour alone
    fig3 = cost_display.plot_tornado(devon.tornado)
    assert len(fig3.axes[0].get_yticklabels()) == len(devon.tornado)
    fig4 = cost_display.plot_cost_components(devon.cost_per_young_person)
    fig5 = cost_display.plot_unit_cost_trends(unit_costs.unit_costs())
    assert len(fig5.axes) == 2
    for f in (fig, fig2, fig3, fig4, fig5):
        plt.close(f)


def test_the_site_table_gives_quadrant_probabilities_not_a_verdict(devon):
    shares = devon.result.quadrant_shares()
    assert sum(shares.values()) == pytest.approx(1.0)
    text = cost_display.quadrant_shares_text(shares)
    assert text.count("%") == 4 and "dominant" not in text
    assert text.startswith(f"more effective, costlier {100 * shares['north_east']:.0f}%")
    table = cost_display.site_summary_table({"devon": devon}, {"devon": "CS site 1"})
    assert "Quadrant" not in table.columns and table.loc[0, "Bootstrap replicates by quadrant"] == text
    assert table.loc[0, "Site"] == "CS site 1"
    shown = cost_display.consequences_display(devon.consequences)
    assert "Reading" not in shown.columns  # a column header must not read as a site's name
    assert list(devon.consequences["outcome"])[:2] == ["cost", "missing_episodes_18m"]


def test_interval_verdict_names_which_intervals_include_no_difference():
    assert cost_display.interval_verdict((-5, 10), (-0.1, 0.3)) == "Both intervals include no difference"
    assert cost_display.interval_verdict((2, 10), (-0.1, 0.3)) == "The interval of the effect includes no difference"
    assert cost_display.interval_verdict((-5, 10), (0.1, 0.3)) == "The interval of the cost includes no difference"
    assert cost_display.interval_verdict((2, 10), (0.1, 0.3)) == "Neither interval includes no difference"
    assert cost_display.interval_verdict((0, 10), (0.1, 0.3)).startswith("The interval of the cost")  # 0 is inside
