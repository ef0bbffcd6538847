"""Tests of innovate.comparative: hand-checkable cases, known simulated effects, refusals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from innovate.errors import DataError
from innovate.show import area_display, figures
from innovate.stats import cits, did, synth
from innovate.stats.results import Estimate
from innovate.study import area, area_series

# --------------------------------------------------------------------------------------
# difference in differences


def two_by_two():
    # treated: 10 -> 16 (+6); controls: 5 -> 7 and 9 -> 11 (+2): DiD = 4
    return pd.DataFrame(
        {
            "unit": ["a", "a", "b", "b", "c", "c"],
            "year": [1, 2, 1, 2, 1, 2],
            "value": [10.0, 16.0, 5.0, 7.0, 9.0, 11.0],
            "treated": [1, 1, 0, 0, 0, 0],
            "post": [0, 1, 0, 1, 0, 1],
            "first_treated": [2, 2, 0, 0, 0, 0],
        }
    )


def test_did_2x2_is_the_difference_of_differences():
    assert did.did_2x2(two_by_two()) == pytest.approx(4.0)


def test_twfe_on_two_periods_equals_the_2x2():
    result = did.twfe_did(two_by_two(), min_pre=1)
    assert result.effect.estimate == pytest.approx(4.0)
    # one treated unit: placebo inference, no interval
    assert result.inference == "placebo-in-space permutation"
    assert math.isnan(result.effect.ci_low) and math.isnan(result.effect.se)


def staggered_panel(effect=2.0, seed=1, n_units=30, dynamic=False):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_units):
        g = 2019 if i < 5 else (2021 if i < 10 else 0)
        a = rng.normal(0, 2)
        for year in range(2015, 2025):
            e = (year - g) if g and year >= g else -1
            att = (effect + (0.5 * e if dynamic else 0.0)) if e >= 0 else 0.0
            rows.append(
                {
                    "unit": f"u{i:02d}",
                    "year": year,
                    "first_treated": g,
                    "value": a + 0.3 * (year - 2015) + att + rng.normal(0, 0.3),
                }
            )
    return pd.DataFrame(rows)


def test_twfe_recovers_a_constant_effect_with_cluster_robust_errors():
    result = did.twfe_did(staggered_panel())
    assert result.n_treated == 10 and result.n_units == 30
    assert result.inference.startswith("cluster-robust")
    assert result.effect.ci_low < 2.0 < result.effect.ci_high
    assert result.n_post == result.n_periods - result.n_pre


def test_did_result_holds_the_one_estimate_type():
    """The DiD result carries its ATT as the package's one Estimate (no loose estimate,
    lower, upper fields): a t interval on G - 1 df for cluster-robust errors, a normal one
    for Callaway-Sant'Anna, and its table row is read from that Estimate."""
    twfe = did.twfe_did(staggered_panel())
    assert isinstance(twfe.effect, Estimate) and twfe.effect.scale == "identity"
    assert twfe.effect.df == 29 and twfe.effect.level == 0.95  # 30 units = 30 clusters
    wald = Estimate.from_se(twfe.effect.estimate, twfe.effect.se, df=29)
    assert (twfe.effect.ci_low, twfe.effect.ci_high) == pytest.approx((wald.ci_low, wald.ci_high), rel=1e-12)
    assert twfe.effect.p_value == pytest.approx(wald.p_value, rel=1e-9)
    row = twfe.table().iloc[0]
    assert (row["estimate"], row["lower"], row["upper"], row["p_value"]) == (
        twfe.effect.estimate,
        twfe.effect.ci_low,
        twfe.effect.ci_high,
        twfe.effect.p_value,
    )
    cs = did.callaway_santanna(staggered_panel(), bootstrap=50, confidence=0.9)
    assert cs.effect.df is None and cs.effect.level == 0.9
    normal = Estimate.from_se(cs.effect.estimate, cs.effect.se, level=0.9)
    assert (cs.effect.ci_low, cs.effect.ci_high) == pytest.approx((normal.ci_low, normal.ci_high), rel=1e-12)
    for gone in ("estimate", "se", "lower", "upper", "p_value"):
        assert not hasattr(cs, gone)


def test_twfe_single_treated_unit_uses_placebo_permutation():
    panel = staggered_panel(effect=0.0, n_units=12)
    panel = panel[(panel["first_treated"] == 0) | (panel["unit"] == "u00")].copy()
    panel.loc[(panel["unit"] == "u00") & (panel["year"] >= 2019), "value"] += 10.0
    result = did.twfe_did(panel)
    assert result.n_treated == 1
    assert len(result.placebos) == 2  # the 12-unit panel has two never-treated units
    # the treated estimate beats every placebo, so p is the smallest attainable
    assert result.effect.p_value == pytest.approx(1 / (1 + len(result.placebos)))


def test_twfe_refuses_too_few_pre_periods():
    panel = staggered_panel()
    result = did.twfe_did(panel[panel["year"] >= 2018], min_pre=2)
    assert not result.estimable and "1 period(s) before" in result.reason


def test_callaway_santanna_hand_checkable_cell():
    # cohort 2: unit a; controls b, c (never treated); periods 1..3
    panel = pd.DataFrame(
        {
            "unit": list("aaabbbccc"),
            "year": [1, 2, 3] * 3,
            "value": [1.0, 5.0, 8.0, 2.0, 3.0, 4.0, 0.0, 2.0, 2.0],
            "first_treated": [2, 2, 2, 0, 0, 0, 0, 0, 0],
        }
    )
    result = did.callaway_santanna(panel, bootstrap=50)
    cells = result.cells.set_index("time")
    # ATT(2,2) = (5-1) - mean(3-2, 2-0) = 4 - 1.5; ATT(2,3) = (8-1) - mean(4-2, 2-0) = 7 - 2
    assert cells.loc[2, "att"] == pytest.approx(2.5)
    assert cells.loc[3, "att"] == pytest.approx(5.0)
    assert result.effect.estimate == pytest.approx((2.5 + 5.0) / 2)


def test_callaway_santanna_recovers_dynamic_effects_where_twfe_is_biased():
    panel = staggered_panel(dynamic=True, seed=4)
    result = did.callaway_santanna(panel, bootstrap=199, seed=1)
    study = did.event_study(result.cells).set_index("event_time")
    for e in range(0, 4):
        assert study.loc[e, "att"] == pytest.approx(2.0 + 0.5 * e, abs=0.4)
    for e in (-3, -2):
        assert abs(study.loc[e, "att"]) < 0.4  # parallel pre-trends
    assert result.effect.se > 0 and result.effect.ci_low < result.effect.estimate < result.effect.ci_high


def test_callaway_santanna_not_yet_treated_controls_use_later_cohorts():
    panel = staggered_panel(seed=2)
    never = did.callaway_santanna(panel, bootstrap=20)
    notyet = did.callaway_santanna(panel, control="notyet", bootstrap=20)
    n_never = never.cells.set_index(["cohort", "time"]).loc[(2019, 2019), "n_control"]
    n_notyet = notyet.cells.set_index(["cohort", "time"]).loc[(2019, 2019), "n_control"]
    assert n_notyet == n_never + 5  # the 2021 cohort is not yet treated in 2019
    assert notyet.effect.estimate == pytest.approx(2.0, abs=0.4)


def test_callaway_santanna_is_deterministic_and_refuses_without_controls():
    panel = staggered_panel(seed=3)
    a = did.callaway_santanna(panel, bootstrap=50, seed=9)
    b = did.callaway_santanna(panel, bootstrap=50, seed=9)
    assert a.effect.se == b.effect.se
    treated_only = panel[panel["first_treated"] > 0]
    assert not did.callaway_santanna(treated_only).estimable


def test_did_reports_excluded_missing_values():
    panel = two_by_two()
    extra = pd.DataFrame(
        {"unit": ["d", "d"], "year": [1, 2], "value": [np.nan, 3.0], "treated": 0, "post": [0, 1], "first_treated": 0}
    )
    result = did.twfe_did(pd.concat([panel, extra], ignore_index=True), min_pre=1)
    assert any("d 1" in n for n in result.notes)


def test_did_duplicate_rows_raise():
    panel = pd.concat([two_by_two(), two_by_two().iloc[[0]]], ignore_index=True)
    with pytest.raises(DataError, match="unique-key"):
        did.twfe_did(panel, min_pre=1)


# --------------------------------------------------------------------------------------
# synthetic control


def sc_panel(effect=3.0, seed=0, n_donors=8, years=range(2000, 2025), start=2015):
    """Donors with independent paths; the treated unit is 0.5, 0.3, 0.2 of donors 0, 3, 7 plus the effect."""
    rng = np.random.default_rng(seed)
    years = np.array(list(years))
    donors = {f"d{i:02d}": 10 + np.cumsum(rng.normal(0, 1, len(years))) for i in range(n_donors)}
    w = np.zeros(n_donors)
    w[[0, 3, 7]] = [0.5, 0.3, 0.2]
    treated = sum(w[i] * donors[f"d{i:02d}"] for i in range(n_donors)) + np.where(years >= start, effect, 0.0)
    rows = [{"unit": "T", "year": y, "value": v} for y, v in zip(years, treated)]
    for name, series in donors.items():
        rows += [{"unit": name, "year": y, "value": v} for y, v in zip(years, series)]
    return pd.DataFrame(rows), w


def test_synthetic_weights_are_a_convex_combination_and_recover_the_truth():
    panel, w = sc_panel()
    result = synth.synthetic_control(panel, treated="T", first_treated_period=2015)
    assert result.weights.min() >= 0 and result.weights.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(result.weights.to_numpy(), w, atol=1e-3)
    assert result.pre_rmspe < 1e-3
    assert result.att == pytest.approx(3.0, abs=1e-2)
    assert result.p_value == pytest.approx(1 / 9)  # beats all 8 placebos
    assert result.ratio > result.placebos["ratio"].max()


def test_synthetic_control_no_effect_is_not_significant():
    panel, _ = sc_panel(effect=0.0, seed=1)
    result = synth.synthetic_control(panel, treated="T", first_treated_period=2015)
    assert abs(result.att) < 0.01
    assert result.p_value > 0.1


def test_synthetic_weights_solver_on_a_tiny_case():
    # y is exactly 0.25*a + 0.75*b
    a, b, d = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, 5.0]), np.array([10.0, 10.0, 10.0])
    w = synth.synthetic_weights(0.25 * a + 0.75 * b, np.column_stack([a, b, d]))
    np.testing.assert_allclose(w, [0.25, 0.75, 0.0], atol=1e-6)


def test_synthetic_control_refuses_short_pre_periods_and_few_donors():
    panel, _ = sc_panel(years=range(2011, 2025))
    short = synth.synthetic_control(panel, treated="T", first_treated_period=2015)
    assert not short.estimable and "4 pre-period(s)" in short.reason
    few = synth.synthetic_control(panel, treated="T", first_treated_period=2015, donors=["d00", "d01"], min_pre=3)
    assert not few.estimable and "donor" in few.reason


def test_synthetic_control_drops_and_names_gappy_donors():
    panel, _ = sc_panel()
    panel.loc[(panel["unit"] == "d05") & (panel["year"] == 2012), "value"] = np.nan
    result = synth.synthetic_control(panel, treated="T", first_treated_period=2015)
    assert "d05" not in result.weights.index
    assert any("d05" in n for n in result.notes)


# --------------------------------------------------------------------------------------
# controlled ITS


def cits_data(treated_level=0.8, comparison_level=1.05, seed=1, n=48, n_pre=24):
    rng = np.random.default_rng(seed)
    t = np.arange(1, n + 1)
    post = (t > n_pre).astype(int)
    rows = []
    for g, level in ((1, treated_level), (0, comparison_level)):
        eta = np.log(2e5) - 7 + 0.005 * t + post * np.log(level) + 0.2 * g
        rows.append(
            pd.DataFrame(
                {
                    "group": g,
                    "time": t,
                    "post": post,
                    "count": rng.poisson(np.exp(eta)),
                    "population": 2e5,
                    "month": (t - 1) % 12 + 1,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def test_controlled_its_recovers_the_difference_in_level_change():
    result = cits.controlled_its(cits_data(seed=3))
    truth = 0.8 / 1.05
    assert result.group_level.natural()[1] < truth < result.group_level.natural()[2]
    assert result.treated_level.natural()[0] == pytest.approx(
        result.group_level.natural()[0] * result.comparison_level.natural()[0], rel=1e-9
    )
    assert len(result.table()) == 6


def test_controlled_its_prais_winsten_models_the_difference():
    result = cits.controlled_its(cits_data(seed=5), method="prais_winsten")
    truth = 0.8 / 1.05
    assert result.group_level.natural()[1] < truth < result.group_level.natural()[2]
    assert result.rho is not None and math.isnan(result.treated_level.natural()[0])


def test_controlled_its_hac_panel_errors():
    result = cits.controlled_its(cits_data(seed=6), errors="hac")
    assert result.diagnostics["maxlags"] >= 1
    assert result.group_level.natural()[1] < result.group_level.natural()[0] < result.group_level.natural()[2]


def test_controlled_its_refuses_short_or_misaligned_series():
    short = cits.controlled_its(cits_data(n=5, n_pre=2))
    assert not short.estimable
    data = cits_data()
    data = data[~((data["group"] == 0) & (data["time"] == 10))]
    with pytest.raises(DataError, match="aligned"):
        cits.controlled_its(data)
    with pytest.raises(DataError, match="both"):
        cits.controlled_its(cits_data().assign(group=1))


# --------------------------------------------------------------------------------------
# a site's area on real DfE statistics


@pytest.mark.parametrize(
    "start, year",
    [("2019-04-01", 2020), ("2018-12-01", 2020), ("2020-04-01", 2021), ("2019-10-01", 2020), ("2019-10-02", 2021)],
)
def test_first_post_year_needs_half_a_year_of_exposure(start, year):
    assert area.first_post_year(start) == year


def test_comparison_areas_are_the_statistical_neighbours_minus_study_sites():
    areas = area.comparison_areas("devon")
    assert areas["area_code"] == "878" and len(areas["donors"]) + len(areas["excluded"]) == 10
    london = area.comparison_areas("safer_london")
    assert london["level"] == "Regional" and "E12000007" not in london["donors"] and len(london["donors"]) == 8
    with pytest.raises(ValueError, match="not covered"):
        area.comparison_areas("north_lanarkshire")


def test_site_vs_neighbours_devon_cse():
    comparison = area.site_vs_neighbours("devon", "Child_sexual_exploitation")
    s = comparison.summary
    assert s["year"].tolist() == list(range(2018, 2026))
    # Devon's 2018 rate: 205 episodes over ONS mid-2017 0-17 population 143,525
    assert s.loc[0, "site"] == pytest.approx(205 / 143_525 * 10_000)
    assert (s["comparison_min"] <= s["comparison_median"]).all()
    assert comparison.first_post_year == 2020
    assert any("COVID-19" in n for n in comparison.notes)
    fig = area_display.plot_site_vs_neighbours(comparison)
    assert not figures.is_watermarked(fig)


def test_criminal_exploitation_and_hackney_gap_caveats():
    cce = area.site_vs_neighbours("sheffield", "Child_criminal_exploitation")
    assert any("only from" in n for n in cce.notes)
    assert cce.summary["year"].min() == 2022
    hackney = area.site_vs_neighbours("hackney", "Child_sexual_exploitation")
    assert any("2021, 2022" in n for n in hackney.notes)


def test_hackney_2021_missing_from_care_zero_is_a_gap_not_a_zero():
    panel = area.area_panel("hackney", "children_missing")
    row = panel[(panel["role"] == "site") & (panel["year"] == 2021)].iloc[0]
    assert math.isnan(row["value"]) and row["status"] == "gap"


def test_site_analyses_refuse_what_the_public_series_cannot_carry():
    analyses = area.site_analyses("devon", "Child_sexual_exploitation")
    table = analyses.table()
    assert table["note"].iloc[0].startswith("not estimable")  # ITS: two years before
    assert table["note"].iloc[2].startswith("not estimable")  # synthetic control
    assert analyses.did.estimable and analyses.did.inference == "placebo-in-space permutation"
    cce = area.site_analyses("devon", "Child_criminal_exploitation").table()
    assert cce["note"].str.startswith("not estimable").all()


def test_site_controlled_its_on_a_contract_shaped_area_series():
    from test_its import area_series_frame

    frame = area_series_frame(effect=0.6, seed=8)
    result = area_series.site_controlled_its("devon", "efr_referrals", frame=frame)
    assert result.estimable
    assert result.group_level.natural()[1] < 0.6 < result.group_level.natural()[2]
    table = area_series.area_series_controlled(["devon"], ["efr_referrals"], frame=frame)
    assert table.loc[0, "group_level"] == pytest.approx(result.group_level.natural()[0])


def test_describe_analyses_gives_a_readable_line_per_design():
    table = area.analyses_table(["sheffield"], ["children_missing"])
    shown = area.describe_analyses(table)
    assert list(shown["Area"].unique()) == ["Sheffield"]
    assert len(shown) == 3
    assert shown["Result"].str.contains("p = ").all()


def test_synthetic_control_figure():
    panel, _ = sc_panel()
    result = synth.synthetic_control(panel, treated="T", first_treated_period=2015)
    assert result.placebo_gaps.shape == (8, len(result.series))
    fig = area_display.plot_synthetic_control(result, treated_label="T")
    assert len(fig.axes) == 2
    fig2 = area_display.plot_sites_measure(["devon", "reading"], "Gangs", ncols=3)
    assert fig2.axes[2].get_legend() is not None  # the legend sits in the empty panel


def test_staggered_panel_and_table_on_the_english_la_sites():
    panel = area.staggered_panel("children_missing")
    treated = panel.groupby("unit")["first_treated"].first()
    assert set(treated[treated > 0].index) == {"878", "870", "204", "373"}
    assert not panel.duplicated(["unit", "year"]).any()
    table = area.staggered_table(["children_missing", "Child_criminal_exploitation"], bootstrap=49)
    assert len(table) == 4
    missing = table[table["measure"] == "children_missing"]
    assert (missing["lower"] < missing["att"]).all() and (missing["n_treated"] == 4).all()
    cce = table[table["measure"] == "Child_criminal_exploitation"]
    assert cce["note"].str.startswith("not estimable").all()
