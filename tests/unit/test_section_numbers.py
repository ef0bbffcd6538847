"""The section numbers the survey and process chapters glue with one call: values, digits, bad input."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_process import events_frame  # the stage-events fixture of the process tests

from innovate.data.sites import FRAMEWORK_LABELS
from innovate.show import process_numbers, survey_numbers
from innovate.show.glue import Numbers
from innovate.study import process, surveys


def fit_with(rows, n_used=10, n_missing=0):
    """A fitted ordinal model as the section functions read it: odds ratios, rows used and missing."""
    frame = pd.DataFrame(rows, columns=["term", "odds_ratio", "lower", "upper"])
    return SimpleNamespace(odds_ratios=lambda: frame.copy(), n_used=n_used, n_missing=n_missing)


# --- experiences ------------------------------------------------------------------------
def survey_frame():
    items = {item: [4.0, 5.0, 3.0, 2.0] for item in surveys.ITEMS}
    items[surveys.ITEMS[0]] = [4.0, np.nan, 3.0, 2.0]  # one answer missing
    return pd.DataFrame({"respondent_type": ["young_person"] * 3 + ["parent_carer"], **items})


def test_experience_sample_values_and_digits():
    numbers = survey_numbers.experience_sample(survey_frame(), threshold=5)
    assert isinstance(numbers, Numbers)
    assert numbers.values["threshold"] == 5 and numbers.values["n_respondents"] == 4
    assert numbers.values["yp_pct"] == pytest.approx(75)
    assert numbers.values["item_missing_pct"] == pytest.approx(100 / (4 * len(surveys.ITEMS)))
    assert numbers.digits == {"yp_pct": 0, "item_missing_pct": 1}


def test_experience_sample_names_a_missing_column():
    with pytest.raises(ValueError, match="experience survey, column 'respondent_type': \\[missing-column\\]"):
        survey_numbers.experience_sample(survey_frame().drop(columns="respondent_type"), threshold=5)


def test_a_section_refuses_an_empty_table_rather_than_state_numbers_of_nothing():
    with pytest.raises(ValueError, match="experience survey: \\[no-rows\\]"):
        survey_numbers.experience_sample(survey_frame().iloc[:0], threshold=5)
    events = events_frame(JOURNEYS)
    episodes = process.stage_episodes(events, END)
    summary = process.journey_summary(events, END)
    with pytest.raises(ValueError, match="stage episodes: \\[no-rows\\]"):
        process_numbers.stage_journeys(summary, episodes.iloc[:0], CONTEXT, pd.Timestamp(END))


def test_experience_agreement_lowest_highest_and_spread():
    first, second = surveys.ITEMS[0], surveys.ITEMS[1]
    by_site = pd.DataFrame(
        {"item": [first, first, second, second], "group": ["a", "b", "a", "b"], "probability": [0.2, 0.4, 0.9, 0.5]}
    )
    by_framework = pd.DataFrame({"item": [first, first], "group": ["x", "y"], "probability": [0.3, 0.35]})
    v = survey_numbers.experience_agreement(by_site, by_framework).values
    assert v["lowest_item"] == surveys.ITEM_LABELS[first] and v["lowest_item_pct"] == pytest.approx(30)
    assert v["highest_item"] == surveys.ITEM_LABELS[second] and v["highest_item_pct"] == pytest.approx(70)
    assert v["site_spread_max"] == pytest.approx(40) and v["site_spread_item"] == surveys.ITEM_LABELS[second]
    assert v["framework_spread_max"] == pytest.approx(5)


def test_partnership_counts_statements_clearly_above_and_reads_as_english():
    terms = survey_numbers.partnership_item_terms()
    assert len(terms) == len(surveys.ITEMS) - 1 and f"item[{survey_numbers.PARTNER_ITEM}]" not in terms
    rows = [(t, 2.0 + k, 1.5 if k else 0.9, 3.0 + k) for k, t in enumerate(terms)]  # the first is not clearly above
    rows.append(("respondent_type[young_person]", 1.234, 0.8, 1.9))
    by_type = pd.DataFrame(
        {"respondent_type": ["young_person", "young_person", "parent_carer"], "probability": [0.3, 0.5, 0.4]}
    )
    numbers = survey_numbers.experience_partnership(fit_with(rows, n_used=99, n_missing=1), by_type)
    v = numbers.values
    n = len(terms)
    assert v["n_higher"] == n - 1 and v["n_items"] == n
    assert v["higher_text"] == f"{n - 1} of the {n} other statements"
    assert v["missing_text"] == "1 statement" and v["n_used"] == 99 and v["n_missing"] == 1
    assert (v["or_min"], v["or_max"], v["yp_or"]) == (2.0, 2.0 + n - 1, 1.234)
    assert (v["yp_min"], v["yp_max"], v["pc_min"], v["pc_max"]) == pytest.approx((30, 50, 40, 40))
    assert numbers.digits["yp_or"] == 2 and numbers.digits["pc_max"] == 0


def test_partnership_refuses_a_model_without_its_terms_or_a_missing_respondent_type():
    by_type = pd.DataFrame({"respondent_type": ["young_person", "parent_carer"], "probability": [0.3, 0.4]})
    with pytest.raises(ValueError, match="partnership model: the model has no term"):
        survey_numbers.experience_partnership(fit_with([("respondent_type[young_person]", 1, 1, 1)]), by_type)
    rows = [(t, 2.0, 1.5, 3.0) for t in survey_numbers.partnership_item_terms()]
    rows.append(("respondent_type[young_person]", 1.2, 0.8, 1.9))
    with pytest.raises(ValueError, match="parents or carers"):
        survey_numbers.experience_partnership(fit_with(rows), by_type.iloc[:1])


# --- circles of engagement -------------------------------------------------------------
def test_circles_sample():
    network = pd.DataFrame(
        {"organisation_id": ["A", "A", "B", "C"], "nation": ["England", "England", "Wales", "Wales"]}
    )
    numbers = survey_numbers.circles_sample(network)
    assert numbers.values == {"n_orgs": 3, "n_rows": 4, "n_nations": 2, "multi_pct": pytest.approx(100 / 3)}
    assert numbers.digits == {"multi_pct": 0}


@pytest.mark.parametrize(
    ("bounds", "text"), [([(1.2, 2.0), (0.5, 1.5)], "1 of the 2 nations"), ([(0.8, 1.1)] * 3, "none of the 3 nations")]
)
def test_circles_adoption_counts_nations_that_differ_clearly(bounds, text):
    rows = [("years_since_first_contact", 1.5, 1.3, 1.7)]
    rows += [(f"nation[{k}]", 1.0, lo, hi) for k, (lo, hi) in enumerate(bounds)]
    predicted = pd.DataFrame({"probability": [0.25, 0.6]})
    numbers = survey_numbers.circles_adoption(fit_with(rows), predicted)
    v = numbers.values
    assert (v["years_or"], v["years_lo"], v["years_hi"]) == (1.5, 1.3, 1.7)
    assert v["n_nation_terms"] == len(bounds) and v["nations_clear"] == text
    assert (v["adopt_min"], v["adopt_max"]) == pytest.approx((25, 60))
    assert numbers.digits["years_or"] == 2 and numbers.digits["adopt_max"] == 0


def test_circles_adoption_needs_nation_terms():
    with pytest.raises(ValueError, match="no nation terms"):
        survey_numbers.circles_adoption(
            fit_with([("years_since_first_contact", 1.5, 1.3, 1.7)]), pd.DataFrame({"probability": [0.5]})
        )


def test_circles_transfer_names_the_frameworks_rated_highest_and_lowest():
    fw = list(FRAMEWORK_LABELS)
    predicted = pd.DataFrame({"framework": [fw[0], fw[0], fw[1], fw[1]], "probability": [0.5, 0.7, 0.2, 0.3]})
    numbers = survey_numbers.circles_transfer(fit_with([("engagement[embedded]", 3.14, 2.0, 4.9)]), predicted)
    v = numbers.values
    assert v["transfer_high_fw"] == FRAMEWORK_LABELS[fw[0]] and v["transfer_high_pct"] == pytest.approx(60)
    assert v["transfer_low_fw"] == FRAMEWORK_LABELS[fw[1]] and v["transfer_low_pct"] == pytest.approx(25)
    assert v["embedded_or"] == 3.14 and numbers.digits["embedded_or"] == 1


# --- stages ------------------------------------------------------------------------------
JOURNEYS = [
    ("devon", "2019-01-01", "mobilising", "enter"),
    ("devon", "2020-01-01", "developing", "enter"),
    ("devon", "2021-01-01", "integrating", "enter"),
    ("hackney", "2019-01-01", "mobilising", "enter"),
    ("hackney", "2019-06-01", "designing", "enter"),
    ("hackney", "2020-06-01", "designing", "stall"),
    ("reading", "2020-06-01", "mobilising", "enter"),
]
END = "2022-01-01"
CONTEXT = pd.DataFrame({"label": ["Ofsted", "COVID-19 lockdown"], "date": pd.to_datetime(["2019-05-01", "2020-03-23"])})


def test_stage_journeys_values():
    events = events_frame(JOURNEYS)
    episodes = process.stage_episodes(events, END)
    summary = process.journey_summary(events, END)
    numbers = process_numbers.stage_journeys(summary, episodes, CONTEXT, pd.Timestamp(END))
    v = numbers.values
    assert v["study_end"] == "1 January 2022" and v["lockdown_date"] == "23 March 2020"
    assert v["n_sites"] == 3 and v["n_episodes"] == len(episodes) and v["n_stalled_sites"] == 1
    # at the lockdown Devon was developing, Hackney designing, Reading not yet started
    assert v["n_early_at_lockdown"] == 2 and v["n_not_started_at_lockdown"] == 1
    assert v["n_reached_integrating"] == 1 and v["months_integrating_min"] == v["months_integrating_max"]
    # the sentences agree with their counts: one journey, one stall, none fell back
    assert (v["stalled_text"], v["regressed_text"], v["reentries_text"]) == ("1 of the 3 journeys", "none", "0 times")
    assert (v["reached_text"], v["sustained_text"], v["grew_text"]) == ("1 journey", "1 journey", "0 were")
    assert v["early_text"] == "2 journeys were"
    assert numbers.digits["stalled_pct_max"] == 0 and 0 < v["stalled_pct_max"] < 100


def test_stage_journeys_needs_the_lockdown_and_a_site_at_integrating():
    events = events_frame(JOURNEYS)
    episodes = process.stage_episodes(events, END)
    summary = process.journey_summary(events, END)
    with pytest.raises(ValueError, match="names COVID"):
        process_numbers.stage_journeys(summary, episodes, CONTEXT.iloc[:1], END)
    early = process.journey_summary(events_frame(JOURNEYS[3:]), END)
    with pytest.raises(ValueError, match="no site reached integrating"):
        process_numbers.stage_journeys(early, episodes, CONTEXT, END)


# --- what promotes and sustains ------------------------------------------------------------
def segments_frame(spec):
    rows = []
    for site, stage, domain, code, n in spec:
        rows += [(site, 1, "practitioner", stage, code, domain)] * n
    frame = pd.DataFrame(rows, columns=["site_id", "wave", "participant_role", "stage", "code", "domain"])
    frame.insert(0, "segment_id", [f"SG{i + 1:05d}" for i in range(len(frame))])
    return frame


def test_facilitator_shares_early_late_and_withheld_cells():
    spec = []
    for stage, fac, bar in (("mobilising", 9, 1), ("designing", 6, 4), ("integrating", 2, 8), ("growing", 3, 7)):
        spec += [
            ("devon", stage, "facilitator", "learning_culture", fac),
            ("devon", stage, "barrier", "workload_pressure", bar),
        ]
    segments = segments_frame(spec)
    matrix = process.framework_matrix(segments, threshold=5)
    numbers = process_numbers.facilitator_shares(segments, matrix, process.code_labels(), threshold=5)
    v = numbers.values
    assert v["threshold"] == 5 and v["n_segments"] == 40
    assert v["fac_pct"] == pytest.approx(50) and v["fac_early_pct"] == pytest.approx(75)
    assert v["fac_late_pct"] == pytest.approx(25)
    assert v["top_facilitators"] == "learning culture" and v["top_barriers"] == "workload pressure"
    assert v["n_cells"] == matrix.base.size and v["n_withheld"] > 0
    assert v["withheld_text"] == f"{v['n_withheld']} of the {v['n_cells']} counts"
    assert v["withheld_count_text"] == f"{v['n_withheld']} counts were"
    assert numbers.digits == {"fac_pct": 0, "fac_early_pct": 0, "fac_late_pct": 0}


def test_facilitator_shares_refuse_stages_without_segments():
    segments = segments_frame([("devon", "mobilising", "facilitator", "learning_culture", 6)])
    matrix = process.framework_matrix(segments, threshold=5)
    with pytest.raises(ValueError, match="none in the late stages"):
        process_numbers.facilitator_shares(segments, matrix, process.code_labels(), threshold=5)


def cross_case_result(comparable=True, n_in=1):
    table = pd.DataFrame(
        {
            "code": ["learning_culture", "workload_pressure", "risk_aversion"],
            "share_p": [1 / 6, 1 / 6, 0.5],
            "share_difference": [10.0, -40.0, 5.0],
        }
    )
    return {"comparable": comparable, "table": table, "smallest_p": 1 / 6, "n_in": n_in, "n_sites": 6}


def test_cross_case_numbers():
    codes = process.code_labels()
    v = process_numbers.cross_case_numbers(cross_case_result(), codes).values
    assert v == {
        "n_in": 1,
        "n_out": 5,
        "min_p": "0.17",
        "n_codes": 3,
        "n_at_min": 2,
        "at_min_text": "2 of the 3 codes",
        "in_text": "1 journey",
        "top_code": codes["workload_pressure"].lower(),
    }
    none = process_numbers.cross_case_numbers(cross_case_result(comparable=False, n_in=0), codes).values
    assert none["min_p"] == "undefined" and none["top_code"] == "none" and none["at_min_text"] == "none of the 3 codes"
    assert none["in_text"] == "0 journeys"


# --- trustworthy innovation ---------------------------------------------------------------
def test_audit_numbers():
    questions = pd.DataFrame({"question_id": ["TQ1", "TQ2", "TQ3"], "principle": ["rights", "safety", "safety"]})
    scores = pd.DataFrame(
        {
            "principle": ["rights", "rights", "safety", "safety", "safety"],
            "applies": [True, True, True, True, False],
            "score": [3.0, 2.0, 0.0, 1.0, np.nan],
        }
    )
    numbers = process_numbers.audit_numbers(questions, scores, 3, (40.0, 70.0))
    v = numbers.values
    assert (v["n_questions"], v["n_principles"], v["min_segments"], v["n_cells"]) == (3, 2, 3, 4)
    assert (v["cut_low"], v["cut_high"]) == (40.0, 70.0)
    assert [v[f"pct_score_{k}"] for k in range(4)] == pytest.approx([25, 25, 25, 25])
    assert v["lowest_principle"] == "safety" and v["lowest_principle_mean"] == pytest.approx(0.5)
    assert v["highest_principle"] == "rights" and v["highest_principle_mean"] == pytest.approx(2.5)
    assert v["most_unevidenced"] == "safety" and v["most_unevidenced_pct"] == pytest.approx(50)
    assert numbers.digits["lowest_principle_mean"] == 1 and numbers.digits["pct_score_3"] == 0
    with pytest.raises(ValueError, match="no question applies"):
        process_numbers.audit_numbers(questions, scores.assign(applies=False), 3, (40.0, 70.0))


def test_no_withheld_count_reads_as_none():
    spec = [("devon", stage, "facilitator", "learning_culture", 20) for stage in process.STAGE_IDS]
    spec += [("devon", stage, "barrier", "workload_pressure", 10) for stage in process.STAGE_IDS]
    segments = segments_frame(spec)
    matrix = process.framework_matrix(segments, threshold=5)
    v = process_numbers.facilitator_shares(segments, matrix, process.code_labels(), threshold=5).values
    assert v["n_withheld"] == 0 and v["withheld_text"] == f"none of the {v['n_cells']} counts"
    assert v["withheld_count_text"] == "0 counts were"
