"""The cross-site synthesis (issue #15 item 2): heterogeneity intervals and the prediction
interval in ``stats.meta``, the synthesis layer's reuse of the chapters' own numbers, the
trajectory comparison and the sentences and tables the chapter shows."""

from __future__ import annotations

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from innovate.show import cohort_display, synthesis_display
from innovate.stats import meta
from innovate.study import cohort, synthesis

# BCG vaccine trials (Colditz et al. 1994; metafor's dat.bcg): treated and control
# tuberculosis cases and non-cases, pooled as log risk ratios.
BCG = np.array(
    [
        (4, 119, 11, 128),
        (6, 300, 29, 274),
        (3, 228, 11, 209),
        (62, 13536, 248, 12619),
        (33, 5036, 47, 5761),
        (180, 1361, 372, 1079),
        (8, 2537, 10, 619),
        (505, 87886, 499, 87892),
        (29, 7470, 45, 7232),
        (17, 1699, 65, 1600),
        (186, 50448, 141, 27197),
        (5, 2493, 3, 2338),
        (27, 16886, 29, 17825),
    ],
    float,
)


def bcg():
    a, b, c, d = BCG.T
    y = np.log(a / (a + b)) - np.log(c / (c + d))
    v = 1 / a - 1 / (a + b) + 1 / c - 1 / (c + d)
    return y, v


Y = np.array([0.10, 0.45, -0.20])
V = np.array([0.01, 0.02, 0.04])


# --------------------------------------------------------------------------------------
# stats.meta: Q-profile and prediction interval
# --------------------------------------------------------------------------------------
def test_q_profile_reproduces_metafor_on_the_bcg_trials():
    # metafor: res <- rma(yi, vi, data = escalc("RR", ..., data = dat.bcg)) prints tau^2
    # 0.3132 and I^2 92.22%; confint(res) gives tau^2 from 0.1197 to 1.1115 (Q-profile) and
    # takes the I^2 interval from those ends with the same typical within-study variance
    y, v = bcg()
    res = meta.meta_analysis(y, v, method="REML", ci="normal", scale="log")
    assert res.tau2 == pytest.approx(0.3132, abs=1e-4)
    assert 100 * res.i2 == pytest.approx(92.22, abs=0.01)
    low, high = res.tau2_interval()
    assert (low, high) == pytest.approx((0.1197, 1.1115), abs=1e-4)
    i2_low, i2_high = res.i2_interval()
    assert (i2_low, i2_high) == pytest.approx((meta.i_squared(low, v), meta.i_squared(high, v)))
    assert i2_low < res.i2 < i2_high


def test_q_profile_ends_solve_the_generalised_q_equations():
    y, v = bcg()
    low, high = meta.q_profile_tau2(y, v, level=0.90)
    df = len(y) - 1
    assert meta.generalised_q(y, v, low) == pytest.approx(stats.chi2.ppf(0.95, df), rel=1e-8)
    assert meta.generalised_q(y, v, high) == pytest.approx(stats.chi2.ppf(0.05, df), rel=1e-8)


def test_q_profile_is_zero_when_the_sites_agree():
    assert meta.q_profile_tau2([0.2, 0.2, 0.2], V) == (0.0, 0.0)
    # Q(0) between the two quantiles: the lower end is zero, the upper end is not
    y = np.array([0.1, 0.25, 0.0])
    q0 = meta.generalised_q(y, V, 0.0)
    assert stats.chi2.ppf(0.025, 2) < q0 < stats.chi2.ppf(0.975, 2)
    low, high = meta.q_profile_tau2(y, V)
    assert low == 0.0 and high > 0


def test_q_profile_refuses_bad_input():
    with pytest.raises(ValueError, match="Q-profile"):
        meta.q_profile_tau2([0.1], [0.01])
    with pytest.raises(ValueError, match="Q-profile"):
        meta.q_profile_tau2([0.1, 0.2], [0.01, 0.0])


def test_prediction_interval_by_hand():
    res = meta.meta_analysis(Y, V, method="DL", ci="hksj")
    half = stats.t.ppf(0.975, 1) * np.sqrt(res.tau2 + res.pooled.se**2)  # k - 2 = 1 df
    low, high = res.prediction_interval()
    assert (low, high) == pytest.approx((res.pooled.estimate - half, res.pooled.estimate + half))
    assert low < res.pooled.ci_low and high > res.pooled.ci_high
    ratio = meta.meta_analysis(Y, V, method="DL", ci="hksj", scale="log")
    assert ratio.prediction_interval() == pytest.approx((np.exp(low), np.exp(high)))


def test_prediction_interval_needs_three_sites():
    with pytest.raises(ValueError, match="at least three"):
        meta.meta_analysis(Y[:2], V[:2]).prediction_interval()


def test_rescaled_meta_rescales_the_prediction_interval_and_keeps_i2():
    res = meta.meta_analysis(Y, V, method="DL")
    scaled = meta.scale_meta(res, 18.0)
    assert scaled.prediction_interval() == pytest.approx(tuple(18 * np.array(res.prediction_interval())))
    assert scaled.i2_interval() == pytest.approx(res.i2_interval())
    assert scaled.tau2_interval() == pytest.approx(tuple(18**2 * np.array(res.tau2_interval())))


# --------------------------------------------------------------------------------------
# show: the forest plot's prediction interval
# --------------------------------------------------------------------------------------
def _horizontal_spans(ax):
    """The (left, right) ends of every horizontal segment of the axes' line collections."""
    return [
        tuple(sorted(seg[:, 0]))
        for coll in ax.collections
        if hasattr(coll, "get_segments")
        for seg in coll.get_segments()
        if len(seg) == 2 and seg[0][1] == seg[1][1]
    ]


def test_forest_draws_the_prediction_interval_only_when_given():
    res = meta.meta_analysis(Y, V, method="DL", scale="log")
    pi = res.prediction_interval()
    fig = cohort_display.plot_forest(res, prediction=pi)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "95% prediction interval" in labels
    assert any(span == pytest.approx(pi) for span in _horizontal_spans(fig.axes[0]))
    plt.close(fig)
    fig = cohort_display.plot_forest(res)
    assert "95% prediction interval" not in fig.axes[0].get_legend_handles_labels()[1]
    plt.close(fig)


# --------------------------------------------------------------------------------------
# study.synthesis: the chapters' own numbers, and the trajectory comparison
# --------------------------------------------------------------------------------------
def test_the_pooled_outcome_is_the_outcomes_chapters_call_on_the_site_chapters_estimates():
    # the outcomes chapter: cohort.pooled over cohort.site_effects, slope x 18 for scores
    data = cohort.CohortData.load()
    ids = data.sites[:3]
    got = synthesis.pooled_outcome("swemwbs", ids, m=3)
    effects = {s: cohort.site_effects(s, "swemwbs", data, m=3) for s in ids}
    expected = meta.scale_meta(cohort.pooled("swemwbs", site_results=effects), 18)
    assert got.meta.pooled.estimate == pytest.approx(expected.pooled.estimate, rel=1e-12)
    assert got.meta.tau2 == pytest.approx(expected.tau2, rel=1e-12)
    rows = got.site_rows()
    # each site's row is the site chapter's number (the facade's, rounded once)
    for _, r in rows.iterrows():
        shown = got.sections[r["site_id"]].numbers()
        assert (r["estimate"], r["ci_low"], r["ci_high"]) == (
            shown["primary"],
            shown["primary_low"],
            shown["primary_high"],
        )
    assert rows["weight_pct"].sum() == pytest.approx(100)


def profile(sustained, rr=(0.8, 0.9, 1.0, 1.25, 1.1, 0.95)):
    ids = ["devon", "safer_london", "reading", "north_lanarkshire", "hackney", "sheffield"]
    return pd.DataFrame(
        {
            "site_id": ids,
            "label": [f"site {i}" for i in range(6)],
            "sustained": sustained,
            "stalls": [0, 0, 0, 3, 3, 3],
            "missing_rr": list(rr),
        }
    )


MEASURES = {"stalls": ("Stalls", False), "missing_rr": ("Rate ratio", True)}


def test_compare_trajectories_by_hand():
    out = synthesis.compare_trajectories(profile([True] * 3 + [False] * 3), measures=MEASURES).set_index("measure")
    stalls = out.loc["stalls"]
    # perfectly separated groups of three: only the observed labelling and its mirror are as extreme
    assert (stalls["mean_in"], stalls["mean_out"], stalls["difference"]) == (0, 3, -3)
    assert stalls["p_value"] == pytest.approx(2 / 20) and stalls["smallest_p"] == pytest.approx(2 / 20)
    assert stalls["relabellings"] == 20
    rr = out.loc["missing_rr"]
    geo_in, geo_out = (0.8 * 0.9 * 1.0) ** (1 / 3), (1.25 * 1.1 * 0.95) ** (1 / 3)
    assert (rr["mean_in"], rr["mean_out"]) == pytest.approx((geo_in, geo_out))
    assert rr["difference"] == pytest.approx(geo_in / geo_out) and rr["scale"] == "ratio"


def test_compare_trajectories_with_one_group_empty_says_so():
    out = synthesis.compare_trajectories(profile([True] * 6), measures=MEASURES)
    assert out["p_value"].isna().all() and out["smallest_p"].isna().all()
    text = synthesis_display.trajectory_reading(out, ("Sustained or grew", "Stalled or fell back"))
    assert "no second group" in text and "sustained or grew" in text
    with pytest.raises(KeyError, match="no column 'grew'"):
        synthesis.compare_trajectories(profile([True] * 6), "grew", MEASURES)


def test_trajectory_reading_counts_the_group_sizes_and_the_floor_of_p():
    out = synthesis.compare_trajectories(profile([True] * 5 + [False]), measures=MEASURES)
    text = synthesis_display.trajectory_reading(out, ("Sustained or grew", "Stalled or fell back"))
    assert text.startswith("5 sites sustained or grew and 1 site stalled or fell back")
    assert "can give is 0.17" in text


# --------------------------------------------------------------------------------------
# sentences: pooled and prediction intervals read together
# --------------------------------------------------------------------------------------
def pooled(outcome, estimates, variances, scale="identity"):
    return synthesis.PooledOutcome(outcome, meta.meta_analysis(estimates, variances, scale=scale), {})


def test_pooled_reading_covers_the_three_cases():
    v = [0.01] * 6
    agree = pooled("exploitation_risk_score", [-2.0, -2.1, -1.9, -2.0, -2.05, -1.95], v)
    assert agree.numbers()["pi_includes_null"] is False
    assert synthesis_display.pooled_reading(agree).endswith("so does the whole prediction interval")
    spread = pooled("swemwbs", [0.2, 1.6, 0.4, 1.9, 0.9, 1.2], v)
    k = spread.numbers()
    assert not k["ci_includes_null"] and k["pi_includes_null"]
    assert "favour the innovation arms, but the prediction interval includes" in synthesis_display.pooled_reading(
        spread
    )
    null = pooled("missing_episodes", np.log([0.9, 1.1, 1.0, 0.95, 1.05, 1.0]), v, scale="log")
    assert synthesis_display.pooled_reading(null).startswith("the average across the sites cannot")
    # a rise in the risk score favours the comparison arms
    worse = pooled("exploitation_risk_score", [2.0, 2.1, 1.9, 2.0, 2.05, 1.95], v)
    assert "favour the comparison arms" in synthesis_display.pooled_reading(worse)
    assert synthesis_display.pooled_readings({"a": agree, "b": spread, "c": null}) == {
        "outcomes": 3,
        "ci_excludes": 2,
        "pi_excludes": 1,
    }


# --------------------------------------------------------------------------------------
# costs: table with disclosure control, and the sentence
# --------------------------------------------------------------------------------------
def cost_section(n, dc, dc_ci, de, de_ci, p_ce, quadrant):
    numbers = {
        "n_innovation": n // 2,
        "n_comparison": n - n // 2,
        "delta_cost": dc,
        "delta_cost_low": dc_ci[0],
        "delta_cost_high": dc_ci[1],
        "delta_effect": de,
        "delta_effect_low": de_ci[0],
        "delta_effect_high": de_ci[1],
        "p_cost_saving": 0.5,
        "p_cost_effective": p_ce,
    }
    summary = SimpleNamespace(icer=SimpleNamespace(quadrant=quadrant))
    return SimpleNamespace(numbers=lambda: numbers, data={"summary": summary})


def cost_synthesis(ns, spans=True):
    ci = (-1000.0, 1000.0) if spans else (100.0, 900.0)
    ids = ["devon", "safer_london", "reading"]
    sections = {s: cost_section(n, 500.0, ci, 0.5, (-0.1, 1.0), 0.4 + 0.1 * i, "north_east") for i, (s, n) in
                enumerate(zip(ids, ns))}  # fmt: skip
    overall_numbers = {**cost_section(sum(ns), 400.0, ci, 0.4, (-0.1, 0.9), 0.6, "north_east").numbers()}
    overall = SimpleNamespace(numbers=lambda: overall_numbers, wtp=10000.0, icer=SimpleNamespace(quadrant="north_east"))
    return synthesis.CostSynthesis(sections, overall)


def test_cost_table_withholds_small_counts_and_keeps_the_total_consistent():
    table = synthesis_display.cost_table(cost_synthesis([400, 3, 420]))
    counts = table["Young people analysed"].tolist()
    assert counts[1] == "c" and counts[0] == "c"  # primary, then secondary so it cannot be worked back
    assert counts[3] == 823 and table["Site"].iloc[3].startswith("All sites")
    assert table.attrs["disclosure"]["suppressed"]
    assert "Probability cost-effective at £10,000" in table.columns


def test_cost_table_refuses_an_overall_result_on_other_young_people():
    syn = cost_synthesis([400, 300, 420])
    bad = synthesis.CostSynthesis(
        syn.sections,
        SimpleNamespace(numbers=lambda: {**syn.overall.numbers(), "n_innovation": 1}, wtp=1.0, icer=syn.overall.icer),
    )
    with pytest.raises(ValueError, match="does not hold the young people"):
        synthesis_display.cost_table(bad)


def test_cost_reading_says_where_the_intervals_include_no_difference():
    text = synthesis_display.cost_reading(cost_synthesis([400, 300, 420]))
    assert text.startswith("At every site both intervals include no difference")
    assert "from 40% to 60%" in text
    text = synthesis_display.cost_reading(cost_synthesis([400, 300, 420], spans=False))
    assert text.startswith("At every site at least one of the two intervals excludes")
