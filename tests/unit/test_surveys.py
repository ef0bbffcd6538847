"""Ordinal models of the experience and network surveys, on data with planted effects."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from innovate.errors import DataError
from innovate.show import survey_display
from innovate.stats import disclosure, ordinal
from innovate.study import surveys

CUTS = np.array([-2.0, -0.8, 0.4, 1.6])


def cumulative_logit(latent, rng):
    return 1 + (latent[:, None] + rng.logistic(0, 1, len(latent))[:, None] > CUTS[None, :]).sum(axis=1)


def experience(n_per_site=90, seed=1, site_effect=None, partner_shift=-0.8):
    """Respondents at three sites; Hackney's answers are planted higher, partnership lower."""
    rng = np.random.default_rng(seed)
    site_effect = site_effect or {"devon": 0.0, "reading": 0.0, "hackney": 1.0}
    rows = []
    for site, eff in site_effect.items():
        yp = rng.random(n_per_site) < 0.6
        wave = 1 + (rng.random(n_per_site) < 0.5)
        person = rng.normal(0, 0.5, n_per_site)
        answers = {}
        for item in surveys.ITEMS:
            shift = partner_shift if item == "partner_in_decisions" else 0.0
            answers[item] = cumulative_logit(eff + 0.3 * yp + person + shift, rng).astype(float)
        for i in range(n_per_site):
            rows.append(
                {
                    "site_id": site,
                    "respondent_type": "young_person" if yp[i] else "parent_carer",
                    "wave": int(wave[i]),
                    **{k: v[i] for k, v in answers.items()},
                }
            )
    frame = pd.DataFrame(rows)
    frame.insert(0, "respondent_id", [f"R{i + 1:05d}" for i in range(len(frame))])
    return frame


def network(n=260, seed=2):
    rng = np.random.default_rng(seed)
    rows = []
    nations = ["England", "Scotland", "Wales", "Northern Ireland", "Overseas"]
    types = list(surveys.ORGANISATION_TYPES)
    for i in range(n):
        nation = nations[int(rng.choice(5, p=[0.5, 0.15, 0.12, 0.08, 0.15]))]
        otype = types[int(rng.integers(0, len(types)))]
        for fw in ("contextual_safeguarding", "trauma_informed_practice", "transitional_safeguarding"):
            if rng.random() < 0.5:
                continue
            years = round(float(rng.gamma(2.0, 1.5)), 1)
            latent = (
                0.6 * years
                + (1.5 if fw == "trauma_informed_practice" and nation == "Scotland" else 0.0)
                + rng.logistic(0, 0.8)
            )
            level = int((latent > np.array([0.8, 2.0, 3.2])).sum())
            trans = int(np.clip(round(2.2 + 0.6 * level + rng.normal(0, 0.7)), 1, 5))
            rows.append((f"ORG{i + 1:04d}", nation, otype, fw, surveys.ENGAGEMENT[level], trans, years))
    return pd.DataFrame(
        rows,
        columns=[
            "organisation_id",
            "nation",
            "organisation_type",
            "framework",
            "engagement",
            "perceived_transferability",
            "years_since_first_contact",
        ],
    )


@pytest.fixture(scope="module")
def survey():
    return experience()


def test_fit_recovers_a_planted_site_effect(survey):
    fit = surveys.experience_fit(survey, "overall_experience")
    ors = fit.odds_ratios().set_index("term")
    assert ors.loc["site_id[hackney]", "odds_ratio"] > 1.5
    assert ors.loc["site_id[hackney]", "lower"] > 1
    assert 0.5 < ors.loc["site_id[reading]", "odds_ratio"] < 2
    assert fit.converged and fit.n_used == len(survey) and fit.n_missing == 0
    assert fit.categories == (1, 2, 3, 4, 5)


def test_probabilities_match_statsmodels_and_sum_to_one(survey):
    fit = surveys.experience_fit(survey, "listened_to")
    ours = ordinal._category_probabilities(fit, fit._exog(fit.data), fit.params.to_numpy())[:, 0, :]
    theirs = fit.probabilities()
    assert np.allclose(ours, theirs)
    assert np.allclose(ours.sum(axis=1), 1)


def test_standardised_prediction_is_the_average_counterfactual(survey):
    fit = surveys.experience_fit(survey, "listened_to")
    pred = ordinal.standardised_grid(fit, [{"site_id": "hackney"}, {"site_id": "devon"}], top=(4, 5), draws=200, seed=5)
    manual = fit.probabilities(fit.data.assign(site_id="hackney"))[:, 3:].sum(axis=1).mean()
    assert pred.loc[0, "probability"] == pytest.approx(manual)
    assert (pred["lower"] < pred["probability"]).all() and (pred["probability"] < pred["upper"]).all()
    assert pred.loc[0, "probability"] > pred.loc[1, "probability"]
    again = ordinal.standardised_grid(
        fit, [{"site_id": "hackney"}, {"site_id": "devon"}], top=(4, 5), draws=200, seed=5
    )
    pd.testing.assert_frame_equal(pred, again)  # seeded: identical intervals
    full = fit.standardised("site_id")
    assert np.allclose(full.groupby("site_id")["probability"].sum(), 1)


def test_missing_answers_are_counted_not_hidden(survey):
    holed = survey.copy()
    holed.loc[[0, 5, 9], "felt_safer"] = np.nan
    fit = surveys.experience_fit(holed, "felt_safer")
    assert fit.n_missing == 3 and fit.n_used == len(survey) - 3
    table = surveys.agreement_table(holed, "framework", draws=50)
    assert set(table.loc[table["item"] == "felt_safer", "n_missing"]) == {3}
    assert set(table["group"]) == {"contextual_safeguarding", "trauma_informed_practice", "transitional_safeguarding"}


def test_bad_answers_name_the_cell(survey):
    bad = survey.copy()
    bad["felt_safer"] = bad["felt_safer"].astype(object)
    bad.loc[4, "felt_safer"] = 7
    with pytest.raises(DataError) as err:
        surveys.experience_fit(bad, "felt_safer")
    p = err.value.problems[0]
    assert p.column == "felt_safer" and p.row == 5 and p.file == "experience_survey.csv"
    with pytest.raises(KeyError):
        surveys.experience_fit(survey, "no_such_item")


def test_partnership_rated_below_other_items_within_respondents(survey):
    fit = surveys.partnership_fit(survey)
    ors = fit.odds_ratios().set_index("term")
    for item in surveys.ITEMS:
        if item != "partner_in_decisions":
            assert ors.loc[f"item[{item}]", "lower"] > 1
    assert fit.n_clusters == len(survey)
    no_gap = surveys.partnership_fit(experience(partner_shift=0.0, seed=3))
    assert (
        no_gap.odds_ratios().set_index("term").loc["item[listened_to]", "lower"]
        < 1
        < no_gap.odds_ratios().set_index("term").loc["item[listened_to]", "upper"]
    )


def test_partnership_by_type(survey):
    table = surveys.partnership_by_type(survey, draws=100)
    assert len(table) == 2 * 3
    yp = table[table["respondent_type"] == "young_person"].set_index("site_id")["probability"]
    pc = table[table["respondent_type"] == "parent_carer"].set_index("site_id")["probability"]
    assert (yp > pc).all()  # planted: young people answer higher


def test_respondents_table_is_protected():
    small = experience(n_per_site=20, seed=4)
    small = small[~((small["site_id"] == "devon") & (small["respondent_type"] == "parent_carer"))]
    small = pd.concat(
        [small, experience(n_per_site=3, seed=9, site_effect={"devon": 0.0}).assign(respondent_type="parent_carer")]
    )
    table = surveys.respondents_table(small).table
    assert table.loc["devon", "Parents and carers"] == disclosure.SUPPRESSED
    disclosure.assert_protected(table)


def test_network_models_recover_planted_effects():
    net = network()
    adopt = surveys.adoption_fit(net)
    ors = adopt.odds_ratios().set_index("term")
    assert ors.loc["years_since_first_contact", "lower"] > 1
    assert adopt.n_clusters == net["organisation_id"].nunique()
    pred = surveys.predicted_by_framework_and_nation(adopt, ("adopting", "embedded"), draws=100)
    assert len(pred) == 3 * 5
    # the planted Scottish uptake of trauma-informed practice
    p = pred.set_index(["framework", "nation"])["probability"]
    assert p[("trauma_informed_practice", "Scotland")] > p[("trauma_informed_practice", "England")]
    trans = surveys.transferability_fit(net)
    assert trans.odds_ratios().set_index("term").loc["engagement[embedded]", "odds_ratio"] > 3


def test_network_counts_and_figures():
    net = network()
    counts = surveys.engagement_counts(net)
    disclosure.assert_protected(counts.table)
    assert counts.table.loc[disclosure.TOTAL, disclosure.TOTAL] == len(net)
    by_nation = surveys.organisations_by_nation(net)
    disclosure.assert_protected(by_nation.table)
    fig = survey_display.plot_circles(counts)
    assert len(fig.axes) == 3 and sum(len(ax.patches) for ax in fig.axes) == 12
    pred = surveys.predicted_by_framework_and_nation(surveys.adoption_fit(net), ("adopting", "embedded"), draws=50)
    fig2 = survey_display.plot_framework_nation(pred, "Adopting or embedded, %")
    assert len(fig2.axes[0].get_legend().get_texts()) == 3


def test_experience_figures(survey):
    table = surveys.agreement_table(survey, "site_id", draws=50)
    fig = survey_display.plot_agreement(table)
    assert len(fig.axes[0].get_legend().get_texts()) == 3
    fig2 = survey_display.plot_likert(survey)
    assert len(fig2.axes[0].patches) >= len(surveys.ITEMS) * 2 * 5


def test_unknown_level_rejected():
    net = network(n=60)
    net.loc[0, "nation"] = "Atlantis"
    with pytest.raises(DataError) as err:
        surveys.adoption_fit(net)
    assert err.value.problems[0].column == "nation"


def test_display_tables(survey):
    fit = surveys.experience_fit(survey, "felt_safer")
    shown = survey_display.odds_ratio_display(fit, {"hackney": "Hackney"})
    assert shown["Term (against its reference)"].tolist()[:2] == ["Site: reading", "Site: Hackney"]
    assert all(" to " in v for v in shown["95% interval"])
    assert shown["p"].map(lambda v: v == "<0.001" or "." in v).all()
    table = surveys.agreement_table(survey, "site_id", draws=50)
    wide = survey_display.agreement_display(table, {"devon": "Devon"})
    assert list(wide.columns) == ["Devon", "reading", "hackney"] and len(wide) == len(surveys.ITEMS)
    row = table[(table["item"] == "listened_to") & (table["group"] == "devon")].iloc[0]
    assert wide.iloc[0, 0] == f"{100 * row['probability']:.0f} ({100 * row['lower']:.0f} to {100 * row['upper']:.0f})"
    assert survey_display.term_label("years_since_first_contact") == "Years since first contact"


def test_partnership_display(survey):
    table = surveys.partnership_by_type(survey, draws=50)
    wide = survey_display.partnership_display(table, {"devon": "Devon"})
    assert list(wide.columns) == ["Young people", "Parents and carers"]
    assert wide.index[0] == "Devon" and len(wide) == 3


def test_standardised_within_a_subgroup(survey):
    fit = surveys.experience_fit(survey, "overall_experience")
    young = fit.standardised("site_id", top=(4, 5), draws=50, within={"respondent_type": "young_person"})
    parents = fit.standardised("site_id", top=(4, 5), draws=50, within={"respondent_type": "parent_carer"})
    assert (young["probability"].to_numpy() > parents["probability"].to_numpy()).all()
    manual = (
        fit.probabilities(fit.data[fit.data["respondent_type"] == "young_person"].assign(site_id="devon"))[:, 3:]
        .sum(axis=1)
        .mean()
    )
    assert young.loc[0, "probability"] == pytest.approx(manual)
