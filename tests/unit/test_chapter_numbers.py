"""One-call glue sections of the costs, outcomes, national and synthesis chapters (show.*_display).

Each function returns an ``innovate.show.glue.Numbers``: these tests check the values against
a hand computation on small inputs, the decimals declared for the floats (the prose's
formats), the estimand tags, the sentences for every count (issue #17 item 5), and that bad
input is refused with the column or row named.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from innovate.econ import unit_costs
from innovate.show import cohort_display, cost_display, national_display, synthesis_display, text
from innovate.show.glue import Numbers
from innovate.stats.meta import scale_meta
from innovate.study import cohort
from innovate.study.cohort import TippingPoint
from innovate.study.estimands import describe

SITES = ("devon", "reading", "hackney")


def _check(numbers: Numbers) -> dict:
    """Every float has digits and every estimand is a known key; the values as a dict."""
    assert isinstance(numbers, Numbers)
    for name in numbers.estimands.values():
        describe(name)
    return numbers.numbers()


# ---------------------------------------------------------------------------------------
# costs
# ---------------------------------------------------------------------------------------
def test_unit_cost_numbers_read_the_table():
    table = unit_costs.unit_costs()
    numbers = cost_display.unit_cost_numbers(table)
    k = _check(numbers)
    sw = table[table["item"] == "staff_contact_hour:social_worker"].iloc[0]
    assert k["sw_client_cash"] == sw["amount_gbp"] and k["sw_price_year"] == sw["price_year"]
    assert numbers.digits["sw_client_real"] == 2 and numbers.digits["uprating_factor"] == 3
    assert k["rate_next"] == k["rate_bound"] + 1 and k["rate_first"] == 0 and k["level_pct"] == 95
    assert k["res_england_growth_pct"] == pytest.approx(100 * (k["res_england_last"] / k["res_england_first"] - 1))
    assert k["n_assumed_roles"] == int(table["is_assumption"].sum())


def test_unit_cost_numbers_name_a_missing_row():
    table = unit_costs.unit_costs()
    with pytest.raises(KeyError, match="childrens_home_place"):
        cost_display.unit_cost_numbers(table[table["item"] != "childrens_home_place"])


def test_method_numbers():
    prep = SimpleNamespace(frame=pd.DataFrame({"complete": [True, True, True, False]}))
    numbers = cost_display.method_numbers(prep)
    assert _check(numbers)["complete_pct"] == 75.0 and numbers.digits["complete_pct"] == 0


def _per_person():
    return pd.DataFrame(
        {
            "site_id": ["devon", "devon", "reading", "reading"],
            "arm": ["innovation", "comparison", "innovation", "comparison"],
            "n": [10, 30, 20, 40],
            "Placements": [100.0, 200.0, 50.0, 0.0],
            "Total": [400.0, 400.0, 200.0, 100.0],
            "Innovation running costs": [30.0, 0.0, 70.0, 0.0],
            "Innovation start-up (annuitised)": [10.0, 0.0, 5.0, 0.0],
        }
    )


def test_spending_numbers():
    summary = SimpleNamespace(
        numbers=lambda: {"cost_innovation": 266.7, "cost_comparison": 228.6}, cost_per_young_person=_per_person()
    )
    people = pd.DataFrame(
        {
            "site_id": ["devon"] * 4 + ["reading"] * 4,
            "arm": ["innovation", "innovation", "comparison", "comparison"] * 2,
            "looked_after": [1, 1, 0, 1, 0, 0, 1, 1],
        }
    )
    k = _check(cost_display.spending_numbers(summary, people, SITES))
    placements = 10 * 100 + 30 * 200 + 20 * 50
    total = 10 * 400 + 30 * 400 + 20 * 200 + 40 * 100
    assert k["placement_share_pct"] == pytest.approx(100 * placements / total)
    assert (k["own_min"], k["own_max"]) == (40.0, 75.0)
    assert (k["sites_more_lac"], k["sites_n"]) == (1, 3)
    assert k["sites_more_lac_text"] == "1 of the 3 sites"


def test_consequence_numbers():
    cons = pd.DataFrame(
        {
            "outcome": ["cost", "missing_episodes_18m", "swemwbs_18", "exploitation_risk_18"],
            "difference": [-1234.4, -0.5, 1.25, -0.75],
            "direction": ["no clear difference", "fewer", "no clear difference", "lower"],
        }
    )
    numbers = cost_display.consequence_numbers(SimpleNamespace(consequences=cons))
    k = _check(numbers)
    assert k["cca_delta_cost_text"] == "£1,234 less"
    assert (k["cca_missing_diff"], k["cca_swem_diff"], k["cca_risk_diff"]) == (-0.5, 1.25, -0.75)
    assert (k["cca_n_clear"], k["cca_n_outcomes"], k["cca_clear_text"]) == (2, 3, "2 of the 3 outcomes")
    assert numbers.estimands["cca_missing_diff"] == "costs.missing_18m.undiscounted"


def _cost_summary(reported: bool):
    k = {
        "delta_cost": 500.0,
        "delta_cost_low": -100.0,
        "delta_cost_high": 1100.0,
        "delta_effect": 0.3,
        "delta_effect_low": 0.1,
        "delta_effect_high": 0.5,
        "inb": 2500.0,
        "inb_low": -10.0,
        "inb_high": 5000.0,
        "p_cost_effective": 0.8,
        "p_cost_saving": 0.1,
        "p_cost_effective_psa": 0.75,
    }
    shares = {"north_east": 0.6, "south_east": 0.3, "south_west": 0.04, "north_west": 0.06}
    return SimpleNamespace(
        numbers=lambda: k,
        icer=SimpleNamespace(reported=reported, value=1666.67),
        result=SimpleNamespace(quadrant_shares=lambda: shares),
    )


@pytest.mark.parametrize("reported", [True, False])
def test_value_numbers(reported):
    numbers = cost_display.value_numbers(_cost_summary(reported))
    k = _check(numbers)
    assert k["dc_text"] == "£500 more" and k["dc_interval_text"] == "-£100 to £1,100"
    assert k["plane_sentence"] == "The interval of the cost includes no difference"
    assert k["icer_text"] == ("£1,667 per missing episode averted" if reported else k["icer_text"])
    assert reported or k["icer_text"].startswith("not reported")
    assert (k["p_ce_pct"], k["share_ne_pct"], k["share_nw_pct"]) == (80.0, 60.0, 6.0)
    assert numbers.digits["de"] == 2 and numbers.estimands == {
        "de": "costs.missing_averted_18m.discounted",
        "de_low": "costs.missing_averted_18m.discounted#ci_low",
        "de_high": "costs.missing_averted_18m.discounted#ci_high",
        "p_ce_pct": "costs.p_cost_effective_pct",
    }


def test_sensitivity_numbers_and_their_bad_input():
    tornado = pd.DataFrame(
        {
            "parameter": ["placement", "discount_rate"],
            "label": ["Placement costs", "Discount rate"],
            "width": [900.0, 40.0],
        }
    )
    summary = _cost_summary(True)
    summary.tornado = tornado
    k = _check(cost_display.sensitivity_numbers(summary))
    assert (k["tornado_top"], k["tornado_second"], k["tornado_discount_width"]) == (
        "placement costs",
        "discount rate",
        40.0,
    )
    assert k["p_ce_psa_pct"] == 75.0
    summary.tornado = tornado.iloc[:1]
    with pytest.raises(ValueError, match="parameter"):
        cost_display.sensitivity_numbers(summary)


def test_site_count_numbers():
    def site(dc, de, low, high):
        return SimpleNamespace(
            result=SimpleNamespace(delta_cost=dc, delta_effect=de),
            intervals=pd.DataFrame({"bca_low": [low], "bca_high": [high]}),
        )

    summaries = {
        "devon": site(-5.0, 0.1, -9.0, 2.0),
        "reading": site(5.0, 0.2, 1.0, 9.0),
        "hackney": site(-1.0, 0.3, -2.0, 1.0),
    }
    numbers = cost_display.site_count_numbers(summaries)
    k = _check(numbers)
    assert (k["sites_cheaper"], k["sites_more_effective"], k["sites_interval_zero"]) == (2, 3, 2)
    # the synthesis chapter counts the same sites its own way: one estimand each, so they must agree
    assert numbers.estimands == {
        "sites_cheaper": "costs.sites_cheaper",
        "sites_more_effective": "costs.sites_more_effective",
    }
    assert (k["sites_cheaper_text"], k["sites_more_effective_text"]) == ("2 of the 3 sites", "all 3 sites")


# ---------------------------------------------------------------------------------------
# outcomes
# ---------------------------------------------------------------------------------------
def test_attrition_numbers_and_their_bad_input():
    attrition = pd.DataFrame(
        {
            "Site": ["A", "A", "B", "B"],
            "Arm": ["innovation", "comparison"] * 2,
            "Month 0": [10, 10, 30, 10],
            "Month 18": [8, 5, 24, 7],
        }
    )
    numbers = cohort_display.attrition_numbers(attrition, 2)
    k = _check(numbers)
    assert (k["n_people"], k["n_sites"]) == (60, 2)
    assert k["retained_pct"] == pytest.approx(100 * 44 / 60)
    assert (k["retained_innovation_pct"], k["retained_comparison_pct"]) == (80.0, 60.0)
    with pytest.raises(KeyError, match="Month 18"):
        cohort_display.attrition_numbers(attrition.drop(columns="Month 18"), 2)


def test_assumption_numbers():
    k = _check(
        cohort_display.assumption_numbers(
            {"missing_episodes": (np.log(1.25),), "swemwbs": (-2.0,), "exploitation_risk_score": (2.0,)}
        )
    )
    assert k["delta_missing_pct"] == pytest.approx(25.0) and (k["delta_swemwbs"], k["delta_risk"]) == (2.0, 2.0)


def test_tipping_numbers_say_what_happens_and_what_does_not():
    tip = TippingPoint(2.0, 1.25, 1.75, True, 1.5)
    numbers = cohort_display.tipping_numbers(tip)
    k = _check(numbers)
    assert k["delta_max_pct"] == 100.0 and k["tipping_point_pct"] == pytest.approx(50.0)
    assert "75% more missing episodes." in k["tipping_sentence"] and "up to 25% more." in k["favourable_sentence"]
    assert k["point_crosses_one"] == "passes"
    k = _check(cohort_display.tipping_numbers(TippingPoint(2.0, None, None, False, None)))
    assert "tipping_point_pct" not in k and k["point_crosses_one"] == "stays below"
    assert k["tipping_sentence"] == "Its interval does not lie wholly above one anywhere in this range."
    assert k["favourable_sentence"] == "Its interval includes one even under the primary analysis."


def _propensity(before, after, notes=()):
    return SimpleNamespace(
        max_abs_smd_before=before, max_abs_smd_after=after, ess_treated=8.0, n_treated=10,
        ess_control=9.0, n_control=20, notes=list(notes),
    )  # fmt: skip


def test_balance_numbers():
    results = {
        "swemwbs": {
            "devon": SimpleNamespace(weighted=SimpleNamespace(propensity=_propensity(0.4, 0.05))),
            "reading": SimpleNamespace(
                weighted=SimpleNamespace(propensity=_propensity(0.3, 0.12, ["dropped eth_other"]))
            ),
        },
        "missing_episodes": {"devon": SimpleNamespace(primary=SimpleNamespace(pooled=SimpleNamespace(m=20)))},
    }
    k = _check(cohort_display.balance_numbers(results))
    assert (k["m"], k["smd_before_max"], k["smd_after_max"]) == (20, 0.4, 0.12)
    assert (k["balanced_text"], k["collapsed_text"]) == ("1 of the 2 sites", "1 of the 2 sites")
    assert k["ess_min_pct"] == 45.0


class _Effects:
    """A site's effects: one estimate for every kind asked for, a primary fit and a slope flag."""

    def __init__(self, outcome, estimate, se, scale):
        self.outcome = outcome
        self._estimate = SimpleNamespace(
            estimate=estimate, se=se, scale=scale, covers=lambda truth: abs(truth - estimate) < 1.96 * se
        )
        self.primary = SimpleNamespace(n_people=50)
        self.available_case = SimpleNamespace(random_slope=True)

    def estimate(self, kind="primary"):
        return self._estimate


def test_missing_numbers_read_the_pooled_rate_ratio_and_the_truth():
    site_results = {s: _Effects("missing_episodes", np.log(r), 0.1, "log") for s, r in zip(SITES, (0.7, 0.8, 0.9))}
    meta = cohort.pooled("missing_episodes", site_results=site_results)
    truth = {(s, "missing_episodes"): np.log(0.8) for s in SITES}
    numbers = cohort_display.missing_numbers(meta, site_results, truth)
    k = _check(numbers)
    assert k["missing_pooled"] == pytest.approx(meta.summary()["pooled"]) and k["missing_direction"] == "fewer"
    assert k["missing_change_pct"] == pytest.approx(100 * (1 - k["missing_pooled"]))
    assert numbers.estimands == {
        "missing_pooled": "cohort.missing.rate_ratio.pooled_mi",
        "missing_low": "cohort.missing.rate_ratio.pooled_mi#ci_low",
        "missing_high": "cohort.missing.rate_ratio.pooled_mi#ci_high",
        "missing_tau": "cohort.missing.rate_ratio.pooled_tau",
        "missing_i2": "cohort.missing.rate_ratio.pooled_i2_pct",
    }
    assert (
        "true rate ratio at" in k["missing_truth_sentence"]
        and "the three true values average 0.80." in k["missing_truth_sentence"]
    )
    assert cohort_display.missing_numbers(meta, site_results, None).numbers()["missing_truth_sentence"] == ""


def test_score_numbers():
    results = {
        o: {s: _Effects(o, v / cohort.FOLLOW_UP_MONTHS, 0.05, "identity") for s, v in zip(SITES, values)}
        for o, values in (("swemwbs", (1.0, 2.0, 3.0)), ("exploitation_risk_score", (-1.0, -2.0, 0.5)))
    }
    metas = {o: scale_meta(cohort.pooled(o, site_results=results[o]), cohort.FOLLOW_UP_MONTHS) for o in results}
    numbers = cohort_display.score_numbers(results, metas, None)
    k = _check(numbers)
    assert k["swem_pooled"] == pytest.approx(metas["swemwbs"].summary()["pooled"])
    assert (k["swem_random_slope_sites"], k["risk_random_slope_sites"]) == (3, 3)
    assert (k["swem_direction"], k["scores_truth_sentence"]) == ("rose more", "")
    assert k["risk_direction"] == "a larger fall in risk in the innovation arms"
    assert numbers.estimands["risk_aipw"] == "cohort.risk.change_18m.pooled_aipw"
    # the interval, tau and I-squared the synthesis chapter quotes too
    assert numbers.estimands["swem_low"] == "cohort.swemwbs.change_18m.pooled_mi_mixed#ci_low"
    assert numbers.estimands["risk_i2"] == "cohort.risk.change_18m.pooled_i2_pct"


def test_area_numbers():
    series = [SimpleNamespace(level_rr=r, level_ci=(r - 0.1, r + 0.1)) for r in (0.8, 1.2, 0.85)]
    k = _check(cohort_display.area_numbers(series, SITES, pd.DataFrame()))
    assert (k["area_level_min"], k["area_level_max"], k["area_level_below_one"], k["area_truth_sentence"]) == (
        0.8,
        1.2,
        2,
        "",
    )


# ---------------------------------------------------------------------------------------
# the national and local picture
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "k,n,opening",
    [(5, 19, "Five of them sit"), (1, 19, "One of them sits"), (0, 19, "None of them sits"), (12, 19, "12 of them sit"),
     (19, 19, "All of them sit"), (2, 2, "Both sit"), (0, 2, "Neither sits"), (1, 1, "It sits"), (0, 1, "It does not")],
)  # fmt: skip
def test_of_them_is_grammatical_for_every_count(k, n, opening):
    assert text.of_them_opening(k, n, "sit", "sits") == opening


def test_of_them_refuses_a_part_larger_than_the_whole():
    with pytest.raises(ValueError):
        text.of_them_opening(3, 2, "sit", "sits")


def test_england_numbers():
    england = pd.DataFrame(
        {"Child sexual exploitation": [200.0, 150.0, 100.0], "Child criminal exploitation": [np.nan, 40.0, 50.0]},
        index=[2018, 2022, 2025],
    )
    k = _check(national_display.england_numbers(england))
    assert (k["cse_2018"], k["cse_2025"], k["cse_change_pct"]) == (200.0, 100.0, 50.0)
    assert (k["cce_first_year"], k["cce_first"], k["cce_2025"], k["cce_change_pct"]) == (2022, 40.0, 50.0, 25.0)


def _site_summary(latest):
    return pd.DataFrame(
        {
            "site_id": list(SITES),
            "measure": "Child_sexual_exploitation",
            "first_year": 2018,
            "site_first": [14.3, 5.0, 6.0],
            "latest_year": 2025,
            "site_latest": latest,
            "comparison_median_latest": [7.0, 8.0, 9.0],
            "england_latest": 10.2,
        }
    )


@pytest.mark.parametrize(
    "latest,text",
    [
        ([4.0, 12.0, 10.0], "1 of the 3 areas"),
        ([4.0, 5.0, 6.0], "all 3 areas"),
        ([8.0, 9.0, 10.0], "none of the 3 areas"),
    ],
)
def test_site_factor_numbers(latest, text):
    numbers = national_display.site_factor_numbers(_site_summary(latest))
    k = _check(numbers)
    assert k["cse_below_text"] == text and k["cse_sites_n"] == 3
    assert (k["reading_cse_latest"], k["devon_cse_first"], k["devon_cse_first_year"]) == (latest[1], 14.3, 2018)
    assert numbers.digits["hackney_cse_comparison"] == 1
    # the same year's statistics as the site chapters quote them
    assert numbers.estimands["reading_cse_latest"] == "public.child_sexual_exploitation.area.2025@reading"
    assert numbers.estimands["hackney_cse_comparison"] == "public.child_sexual_exploitation.comparison.2025@hackney"


def test_site_factor_numbers_name_a_missing_site():
    with pytest.raises(KeyError, match="site_id"):
        national_display.site_factor_numbers(_site_summary([1.0, 2.0, 3.0]), first_site="sheffield")


def _analyses(p_values, floors):
    designs = ["Interrupted time series", "Difference in differences", "Synthetic control"]
    n = len(p_values)
    return pd.DataFrame(
        {
            "site_id": ["devon"] * 3 + ["reading"] * (n - 3),
            "measure": "m",
            "design": (designs * 2)[:n],
            "note": ["fitted"] * (n - 1) + ["not estimable: too short"],
            "p_value": p_values,
            "p_floor": floors,
        }
    )


def test_analyses_numbers():
    frame = _analyses([0.01, 0.03, 0.09, 0.5, 0.2, np.nan], [np.nan, np.nan, 0.09, np.nan, np.nan, 0.1])
    k = _check(national_display.analyses_numbers(frame))
    assert (k["total"], k["estimable"], k["its_estimable"], k["sc_estimable"]) == (6, 5, 2, 1)
    assert (k["its_text"], k["sc_text"]) == ("2 interrupted time series", "1 synthetic control")
    assert (k["n_placebo"], k["n_at_floor"], k["at_floor_text"]) == (1, 1, "It sits")
    assert (k["p_below_005"], k["p_below_text"], k["all_three"]) == (2, "2 of the 5 fitted analyses have", 0)
    one = _analyses([0.01, 0.3, 0.3, 0.5, 0.2, np.nan], [np.nan, np.nan, 0.09, np.nan, np.nan, 0.1])
    assert national_display.analyses_numbers(one).numbers()["p_below_text"] == "1 of the 5 fitted analyses has"
    with pytest.raises(ValueError, match="p_floor"):
        national_display.analyses_numbers(frame.assign(p_floor=np.nan))


def test_synthetic_control_and_staggered_numbers():
    sc = SimpleNamespace(pre_rmspe=1.16, att=-2.44, ratio=2.2, p_value=0.55, weights=[0.5] * 10)
    k = _check(national_display.synthetic_control_numbers(sc))
    assert (k["gap"], k["direction"], k["donors"]) == (2.44, "below", 10)
    staggered = pd.DataFrame(
        {
            "measure": ["children_missing"] * 2,
            "control": ["never treated", "not yet treated"],
            "att": [-0.93, -0.94],
            "lower": [-2.14, -2.0],
            "upper": [0.28, 0.1],
            "n_units": [41, 41],
        }
    )
    k = _check(national_display.staggered_numbers(staggered))
    assert (k["att"], k["areas"], k["zero"], k["att_notyet"]) == (-0.93, 41, "includes", -0.94)
    with pytest.raises(KeyError, match="not yet treated"):
        national_display.staggered_numbers(staggered.iloc[:1])


def test_its_and_error_model_numbers():
    single = pd.DataFrame(
        {
            "level_covered": [True, True, False],
            "slope_covered": [True] * 3,
            "level_lower": [1.0, 1.0, 1.0],
            "level_upper": [1.2, 1.5, 2.0],
        }
    )
    k = _check(national_display.its_numbers(single, single, synthetic=True))
    assert (k["its_level_covered_text"], k["its_slope_covered_text"]) == ("2 of the 3 series", "all 3 series")
    assert k["its_median_ci_ratio"] == 1.5
    assert set(national_display.its_numbers(single, single, synthetic=False).numbers()) == {"its_median_ci_ratio"}
    sensitivity = pd.DataFrame({"ljung_box_lags": [np.nan, 12.0]})
    agreement = {"n_series": 18, "n_autocorrelated": 0, "max_level_ratio": 1.12, "n_conclusion_differs": 2}
    k = _check(national_display.error_model_numbers(sensitivity, agreement))
    assert (k["autocorrelated_text"], k["lb_lags"]) == ("none of the 18 series", 12)


# ---------------------------------------------------------------------------------------
# the synthesis across sites
# ---------------------------------------------------------------------------------------
def _pooled(outcome_includes_null: bool):
    values = {
        "pooled": 0.8, "low": 0.6, "high": 1.1, "p_value": 0.123, "tau2": 0.012, "tau2_low": 0.0, "tau2_high": 0.2,
        "tau": 0.11, "i2_pct": 30.0, "i2_low_pct": 0.0, "i2_high_pct": 80.0, "q_p_value": 0.2, "pi_low": 0.4,
        "pi_high": 1.6, "pi_includes_null": True, "ci_includes_null": outcome_includes_null,
    }  # fmt: skip
    digits = {k: 2 for k in ("pooled", "low", "high", "tau", "pi_low", "pi_high")}
    digits |= {k: 3 for k in ("p_value", "tau2", "tau2_low", "tau2_high", "q_p_value")}
    digits |= {"i2_pct": 0, "i2_low_pct": 0, "i2_high_pct": 0}
    return SimpleNamespace(
        numbers=lambda: values, digits=lambda: digits, favours_innovation=lambda: True, meta=SimpleNamespace(k=6)
    )


def test_pooled_numbers():
    pooled = {"missing_episodes": _pooled(True), "swemwbs": _pooled(False), "exploitation_risk_score": _pooled(True)}
    numbers = synthesis_display.pooled_numbers(pooled, n_sites=6)
    k = _check(numbers)
    assert (k["n_sites"], k["n_outcomes"], k["n_ci_excludes"], k["n_pi_excludes"], k["pi_df"]) == (6, 3, 1, 0, 4)
    assert (k["missing_p"], k["risk_q_p"]) == ("p = 0.12", "p = 0.20")
    assert k["swemwbs_heterogeneity"] == "moderate differences between the sites"
    assert numbers.digits["risk_tau2"] == 3 and numbers.digits["missing_i2_high_pct"] == 0
    assert numbers.estimands["swemwbs_pooled"] == "cohort.swemwbs.change_18m.pooled_mi_mixed"
    assert numbers.estimands["missing_pi_high"] == "cohort.missing.rate_ratio.prediction_high"
    assert numbers.estimands["risk_high"] == "cohort.risk.change_18m.pooled_mi_mixed#ci_high"
    assert numbers.estimands["swemwbs_i2_pct"] == "cohort.swemwbs.change_18m.pooled_i2_pct"
    assert numbers.estimands["missing_tau"] == "cohort.missing.rate_ratio.pooled_tau"


def test_cost_numbers():
    c = {
        "n_sites": 6, "sites_cheaper": 2, "sites_more_effective": 5, "sites_dominant": 1, "sites_both_intervals_span": 6,
        "p_ce_site_min_pct": 40.0, "p_ce_site_max_pct": 90.0, "p_cost_effective_pct": 70.0, "wtp": 10000.0,
    }  # fmt: skip
    overall = {"delta_cost": -321.7, "delta_effect": 0.25, "delta_effect_low": 0.1, "delta_effect_high": 0.4}
    cost = SimpleNamespace(numbers=lambda: c, overall=SimpleNamespace(numbers=lambda: overall))
    numbers = synthesis_display.cost_numbers(cost)
    k = _check(numbers)
    assert (k["costs_dc_text"], k["costs_de"], k["costs_wtp"]) == ("£322 less", 0.25, 10000.0)
    assert k["cost_reading"].startswith("At every site both intervals include no difference")
    assert numbers.estimands == {
        "costs_de": "costs.missing_averted_18m.discounted",
        "costs_de_low": "costs.missing_averted_18m.discounted#ci_low",
        "costs_de_high": "costs.missing_averted_18m.discounted#ci_high",
        "costs_p_ce": "costs.p_cost_effective_pct",
        "costs_cheaper": "costs.sites_cheaper",
        "costs_more_effective": "costs.sites_more_effective",
    }


def test_trajectory_numbers():
    comparison = pd.DataFrame(
        {
            "measure": ["missing_rr", "delta_cost"],
            "n_in": [6, 6],
            "n_out": [0, 0],
            "mean_in": [0.8, 100.0],
            "mean_out": [np.nan, np.nan],
        }
    )
    names = ("Sustained or grew", "Stalled or fell back")
    codes = {
        "comparable": True,
        "table": pd.DataFrame(
            {"code": ["leadership_commitment", "practitioner_buy_in"], "share_difference": [0.1, -0.3]}
        ),
    }
    k = _check(synthesis_display.trajectory_numbers(comparison, comparison, codes, names, names))
    assert k["traj_top_code"].endswith("is practitioner buy-in")
    assert k["traj_reading"].startswith("Every site's journey ended sustained or grew")
    assert k["traj_outcomes"] == "With one group empty, the outcomes cannot be set against the trajectories"
    k = _check(synthesis_display.trajectory_numbers(comparison, comparison, {"comparable": False}, names, names))
    assert k["traj_top_code"].startswith("no code can be compared")
