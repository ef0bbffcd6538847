"""Stage journeys, facilitator and barrier matrices, cross-case comparison and the audit."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from innovate.data import paths, sites
from innovate.errors import DataError
from innovate.show import process_display
from innovate.stats import disclosure, permutation
from innovate.study import process

C = disclosure.SUPPRESSED


def events_frame(rows):
    frame = pd.DataFrame(rows, columns=["site_id", "event_date", "stage", "event_type"])
    frame["event_date"] = pd.to_datetime(frame["event_date"])
    frame.insert(0, "event_id", [f"EV{i + 1:04d}" for i in range(len(frame))])
    return frame


#: A recursive journey: a stall and restart inside designing, a regression from
#: developing back to designing, a second visit to developing, then integrating.
RECURSIVE = [
    ("devon", "2019-01-01", "mobilising", "enter"),
    ("devon", "2019-04-01", "designing", "enter"),
    ("devon", "2019-07-01", "designing", "stall"),
    ("devon", "2019-10-01", "designing", "restart"),
    ("devon", "2020-01-01", "developing", "enter"),
    ("devon", "2020-07-01", "designing", "regress"),
    ("devon", "2021-01-01", "developing", "enter"),
    ("devon", "2021-06-01", "integrating", "enter"),
]
#: Stalled in designing at the end of the study.
STALLED = [
    ("hackney", "2019-01-01", "mobilising", "enter"),
    ("hackney", "2019-06-01", "designing", "enter"),
    ("hackney", "2020-03-23", "designing", "stall"),
]
#: A stall ended by a regression, then a renewal ('restart' of a later stage).
RENEWAL = [
    ("reading", "2019-01-01", "mobilising", "enter"),
    ("reading", "2019-03-01", "designing", "enter"),
    ("reading", "2019-09-01", "developing", "enter"),
    ("reading", "2020-01-01", "integrating", "enter"),
    ("reading", "2020-04-01", "integrating", "stall"),
    ("reading", "2020-10-01", "developing", "regress"),
    ("reading", "2021-02-01", "integrating", "restart"),
]
END = "2022-01-01"


def test_episode_durations_with_stall_regression_and_re_entry():
    eps = process.stage_episodes(events_frame(RECURSIVE), END)
    assert eps["stage"].tolist() == ["mobilising", "designing", "developing", "designing", "developing", "integrating"]
    assert eps["days"].tolist() == [90, 275, 182, 184, 151, 214]
    assert eps["entry"].tolist() == ["enter", "enter", "enter", "regress", "enter", "enter"]
    assert eps["visit"].tolist() == [1, 1, 1, 2, 2, 1]
    assert eps.loc[1, "stalled_days"] == 92 and eps.loc[1, "n_stalls"] == 1
    assert eps["open"].tolist() == [False] * 5 + [True]
    assert eps["months"].iloc[0] == pytest.approx(90 / (365.25 / 12))
    # episodes tile the journey: no gaps, no overlaps, ending at the study end
    assert (eps["start"].iloc[1:].to_numpy() == eps["end"].iloc[:-1].to_numpy()).all()
    assert eps["end"].iloc[-1] == pd.Timestamp(END)


def test_time_in_stage_counts_every_visit():
    eps = process.stage_episodes(events_frame(RECURSIVE), END)
    t = process.time_in_stage(eps).set_index("stage")
    assert t.loc["designing", "visits"] == 2 and t.loc["designing", "days"] == 275 + 184
    assert t.loc["developing", "days"] == 182 + 151
    assert t.loc["designing", "active_days"] == 275 + 184 - 92
    assert t.loc["system_change", "visits"] == 0 and t.loc["system_change", "days"] == 0
    assert t["days"].sum() == (pd.Timestamp(END) - pd.Timestamp("2019-01-01")).days


#: A smooth journey to growing: the only one of the four that counts as sustained.
SMOOTH = [
    ("sheffield", "2019-01-01", "mobilising", "enter"),
    ("sheffield", "2019-05-01", "designing", "enter"),
    ("sheffield", "2019-09-01", "designing", "stall"),
    ("sheffield", "2019-12-01", "designing", "restart"),
    ("sheffield", "2020-06-01", "developing", "enter"),
    ("sheffield", "2020-12-01", "integrating", "enter"),
    ("sheffield", "2021-08-01", "growing", "enter"),
]


def test_stalled_at_end_and_summary():
    ev = events_frame(RECURSIVE + STALLED + RENEWAL + SMOOTH)
    eps = process.stage_episodes(ev, END)
    hack = eps[eps["site_id"] == "hackney"]
    assert hack["stalled_at_end"].iloc[-1]
    assert hack["stalled_days"].iloc[-1] == (pd.Timestamp(END) - pd.Timestamp("2020-03-23")).days
    summary = process.journey_summary(ev, END).set_index("site_id")
    assert list(summary.index) == ["devon", "reading", "hackney", "sheffield"]  # the book's site order
    # Devon reached integrating but regressed on the way: not sustained by the book's rule
    assert summary.loc["devon", "trajectory"] == "stalled_or_fell_back" and not summary.loc["devon", "sustained"]
    assert summary.loc["devon", "regressions"] == 1 and summary.loc["devon", "re_entries"] == 2
    assert summary.loc["devon", "months_to_integrating"] == pytest.approx(
        (pd.Timestamp("2021-06-01") - pd.Timestamp("2019-01-01")).days / (365.25 / 12)
    )
    assert summary.loc["hackney", "trajectory"] == "stalled_or_fell_back"
    assert summary.loc["hackney", "current_stage"] == "designing" and summary.loc["hackney", "stalled_at_end"]
    assert np.isnan(summary.loc["hackney", "months_to_integrating"])
    assert not summary.loc["reading", "sustained"]  # regressed (after a stall) before its renewal
    # a restarted stall does not count against a journey
    assert summary.loc["sheffield", "sustained"] and summary.loc["sheffield", "grew"]
    assert summary.loc["sheffield", "stalls"] == 1
    assert summary["grew"].tolist() == [False, False, False, True]
    assert summary.loc["sheffield", "stalled_share"] == pytest.approx(
        91 / (pd.Timestamp(END) - pd.Timestamp("2019-01-01")).days
    )


def test_stall_ended_by_regression_and_renewal():
    eps = process.stage_episodes(events_frame(RENEWAL), END)
    integ = eps[eps["stage"] == "integrating"]
    assert integ["visit"].tolist() == [1, 2]
    assert integ["entry"].tolist() == ["enter", "restart"]
    first = integ.iloc[0]
    assert first["stalled_days"] == (pd.Timestamp("2020-10-01") - pd.Timestamp("2020-04-01")).days
    assert first["days"] == (pd.Timestamp("2020-10-01") - pd.Timestamp("2020-01-01")).days


@pytest.mark.parametrize(
    "rows,rule",
    [
        ([("devon", "2019-01-01", "mobilising", "stall")], "journey.first_event"),
        (
            [("devon", "2019-01-01", "designing", "enter"), ("devon", "2019-05-01", "growing", "regress")],
            "journey.regress_direction",
        ),
        (
            [("devon", "2019-01-01", "designing", "enter"), ("devon", "2019-05-01", "growing", "stall")],
            "journey.stall_stage",
        ),
        (
            [("devon", "2019-01-01", "designing", "enter"), ("devon", "2019-05-01", "designing", "restart")],
            "journey.restart_without_stall",
        ),
        (
            [("devon", "2019-01-01", "designing", "enter"), ("devon", "2019-05-01", "designing", "enter")],
            "journey.enter_same",
        ),
        (
            [("devon", "2019-01-01", "designing", "enter"), ("devon", "2023-05-01", "developing", "enter")],
            "journey.after_end",
        ),
        (
            [
                ("devon", "2019-01-01", "designing", "enter"),
                ("devon", "2019-02-01", "designing", "stall"),
                ("devon", "2019-03-01", "designing", "stall"),
            ],
            "journey.double_stall",
        ),
    ],
)
def test_broken_journeys_name_the_row(rows, rule):
    with pytest.raises(DataError) as err:
        process.stage_episodes(events_frame(rows), END)
    problem = err.value.problems[0]
    assert problem.rule == rule
    assert problem.file == "stage_events.csv"
    assert problem.row == len(rows)


def test_stage_on_a_date_and_display_tables():
    ev = events_frame(RECURSIVE + STALLED)
    eps = process.stage_episodes(ev, END)
    assert process.stage_on(eps, "2020-03-23") == {"devon": "developing", "hackney": "designing"}
    assert process.stage_on(eps, "2018-06-01") == {"devon": None, "hackney": None}
    table = process_display.journey_table(process.journey_summary(ev, END))
    assert table["Stalls, restarts and regressions"].tolist() == ["1 stall, 1 restart, 1 regression", "1 stall"]
    assert table["Stage at end of study"].tolist() == ["Integrating", "Designing (stalled)"]
    assert table["Months to integrating"].iloc[1] == "not reached"
    wide = process_display.time_in_stage_wide(process.time_in_stage(eps))
    assert wide.loc["CS site 1", "Designing"] == f"{459 / (365.25 / 12):.1f} (2 visits)"
    assert wide.loc["TS site 1", "Growing"] == "-"


def test_study_end_from_manifest_or_events():
    ev = events_frame(RECURSIVE)
    assert process.study_end_of(ev, {"study_end": "2023-03-31"}) == pd.Timestamp("2023-03-31")
    assert process.study_end_of(ev, {"process": {"study_end": "2023-06-30"}}) == pd.Timestamp("2023-06-30")
    assert process.study_end_of(ev) == pd.Timestamp(process.STUDY_END_DEFAULT)
    late = events_frame([("devon", "2019-01-01", "mobilising", "enter"), ("devon", "2026-02-10", "designing", "enter")])
    assert process.study_end_of(late) == pd.Timestamp("2026-02-28")


def test_stall_spans_match_stalled_days():
    ev = events_frame(RECURSIVE + STALLED)
    eps = process.stage_episodes(ev, END)
    spans = process_display.stall_spans(ev, END)
    assert [(s, (b - a).days) for s, a, b in spans] == [
        ("devon", 92),
        ("hackney", (pd.Timestamp(END) - pd.Timestamp("2020-03-23")).days),
    ]
    assert sum((b - a).days for _, a, b in spans) == eps["stalled_days"].sum()


def test_swimlane_figure_draws_every_episode_and_event():
    ev = events_frame(RECURSIVE + STALLED + RENEWAL)
    eps = process.stage_episodes(ev, END)
    ctx = process.context_events()
    fig = process_display.plot_swimlanes(eps, ev, ctx, study_end=END)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() == pytest.approx(0.62) and p.get_alpha() is None]
    assert len(bars) == len(eps)
    stalls = [p for p in ax.patches if p.get_alpha() is not None]
    assert len(stalls) == 3  # Devon's and Reading's ended stalls and Hackney's, open at the end
    assert {p.get_hatch() for p in bars} >= {"//", "xx"}
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("Regression" in t for t in labels) and any("COVID-19" in t for t in [x.get_text() for x in ax.texts])
    # synthetic journeys are named by pseudonym (the shipped data are synthetic)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["CS site 1", "TIP site 1", "TS site 1"]
    # real site events (Ofsted) are not drawn on synthetic lanes; the legend says what is synthetic
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "Journeys: synthetic data"
    assert not any("Ofsted" in t for t in labels) and any("(real, sourced)" in t for t in labels)


def test_swimlane_figure_draws_real_site_events_only_on_real_journeys():
    ev = events_frame(RECURSIVE + STALLED + RENEWAL)
    eps = process.stage_episodes(ev, END)
    ctx = process.context_events()
    real = process.real_site_labels()
    fig = process_display.plot_swimlanes(eps, ev, ctx, labels=real, study_end=END, journeys_real=True)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("Devon Ofsted" in t and "real" in t for t in labels)
    assert fig.axes[0].get_legend().get_title().get_text() == "Journeys: the study's records"


def test_context_events_are_sourced():
    ctx = process.context_events()
    assert (ctx["source_url"].str.startswith("https://")).all()
    covid = ctx[ctx["label"].str.contains("COVID")]
    assert covid["date"].iloc[0] == pd.Timestamp("2020-03-23") and covid["site_id"].iloc[0] == ""


def test_context_table_dates_at_their_precision():
    table = process_display.context_table(process.context_events())
    assert table["Date"].iloc[0] == "28 October 2019"
    assert "March 2020" in set(table["Date"])  # Devon's judgement is known to the month only
    assert "All sites" in set(table["Applies to"])
    assert table["Date"].tolist() == sorted(table["Date"].tolist(), key=lambda d: pd.Timestamp(d))


def test_context_events_reject_unsourced_rows(tmp_path):
    src = process.context_events()
    bad = src.copy()
    bad["date"] = bad["date"].dt.strftime("%Y-%m-%d")
    bad.loc[0, "source_url"] = ""
    bad.to_csv(tmp_path / process.CONTEXT_FILE, index=False)
    with pytest.raises(DataError) as err:
        process.context_events(tmp_path)
    assert err.value.problems[0].column == "source_url" and err.value.problems[0].row == 1


# --- facilitators and barriers ---------------------------------------------------------
def segments_frame(spec):
    """spec: list of (site, stage, domain, code, role, n)."""
    rows = []
    for site, stage, domain, code, role, n in spec:
        rows += [(site, 1, role, stage, code, domain)] * n
    frame = pd.DataFrame(rows, columns=["site_id", "wave", "participant_role", "stage", "code", "domain"])
    frame.insert(0, "segment_id", [f"SG{i + 1:05d}" for i in range(len(frame))])
    return frame


def test_segment_counts_keep_zeros():
    seg = segments_frame([("devon", "designing", "facilitator", "learning_culture", "practitioner", 4)])
    counts = process.segment_counts(seg)
    assert len(counts) == 1 * 6 * 2
    assert counts["segments"].sum() == 4
    assert counts.set_index(["stage", "domain"]).loc[("designing", "facilitator"), "segments"] == 4


def test_framework_matrix_counts_shares_and_suppression():
    spec = []
    for site, f, b in (("devon", 20, 10), ("hackney", 12, 3)):
        for stage in ("mobilising", "designing", "developing", "integrating", "growing", "system_change"):
            spec += [
                (site, stage, "facilitator", "learning_culture", "practitioner", f),
                (site, stage, "barrier", "workload_pressure", "manager", b),
            ]
    m = process.framework_matrix(segments_frame(spec))
    assert m.base.loc[("devon", "designing"), "facilitator"] == 20
    devon = m.counts_wide("facilitator").loc["CS site 1"]
    assert devon.tolist() == [20] * 6
    shares = m.shares_wide().loc["CS site 1"]
    assert shares.tolist() == [67.0] * 6  # 20 / 30, rounded half up
    # Hackney's 3 barriers per stage are small counts: withheld, and so is the facilitator
    # count beside them (secondary), the share, but never a total that would reveal them
    hb = m.counts_wide("barrier").loc["TS site 1"]
    assert (hb == C).all()
    assert (m.shares_wide().loc["TS site 1"] == C).all()
    disclosure.assert_protected(m.counts_wide("barrier"))
    disclosure.assert_protected(m.counts_wide("facilitator"))
    assert m.sites == ["devon", "hackney"]
    arr = m.share_array()
    assert arr.shape == (2, 6) and np.isnan(arr[1]).all() and arr[0, 0] == 67.0


def test_stage_shares_and_top_codes():
    seg = segments_frame(
        [
            ("devon", "designing", "facilitator", "learning_culture", "practitioner", 3),
            ("devon", "designing", "barrier", "workload_pressure", "manager", 1),
            ("hackney", "growing", "barrier", "workload_pressure", "manager", 4),
            ("hackney", "growing", "barrier", "risk_aversion", "manager", 4),
        ]
    )
    shares = process.stage_shares(seg).set_index("stage")
    assert shares.loc["designing", "share"] == pytest.approx(75) and shares.loc["growing", "share"] == 0
    assert np.isnan(shares.loc["mobilising", "share"])
    assert process.top_codes(seg, "barrier", 2) == ["workload_pressure", "risk_aversion"]
    assert process.code_labels()["risk_aversion"] == "Risk aversion"


def test_share_heatmap_annotates_every_cell():
    spec = [
        ("devon", "designing", "facilitator", "learning_culture", "practitioner", 30),
        ("devon", "designing", "barrier", "risk_aversion", "manager", 10),
        ("devon", "developing", "barrier", "risk_aversion", "manager", 2),
        ("devon", "integrating", "barrier", "risk_aversion", "manager", 3),
    ]
    m = process.framework_matrix(segments_frame(spec))
    assert m.share_status().tolist() == [["-", "shown", "c", "c", "-", "-"]]
    fig = process_display.plot_share_heatmap(m)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["-", "75", "c", "c", "-", "-"]


# --- cross-case comparison ----------------------------------------------------------
def test_permutation_p_exact():
    values = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 10.0, "e": 11.0, "f": 12.0}
    group = {s: ("sustained_or_grew" if s in "def" else "stalled_or_fell_back") for s in values}
    diff, p, n = permutation.permutation_p(values, group, "sustained_or_grew")
    assert diff == pytest.approx(9.0) and n == 20 and p == pytest.approx(2 / 20)
    assert permutation.smallest_p(6, 3) == pytest.approx(0.1)
    assert permutation.smallest_p(6, 2) == pytest.approx(1 / 15)
    group_all = {s: "sustained_or_grew" for s in values}
    assert np.isnan(permutation.permutation_p(values, group_all, "sustained_or_grew")[1])


def test_cross_case_on_a_planted_difference():
    sites = ["devon", "safer_london", "reading", "north_lanarkshire", "hackney", "sheffield"]
    sustained = {"devon", "reading", "sheffield"}
    spec = []
    for s in sites:
        good = s in sustained
        spec += [
            (s, "integrating", "facilitator", "leadership_commitment", "manager", 18 if good else 6),
            (s, "integrating", "barrier", "leadership_commitment", "manager", 6 if good else 18),
            (s, "developing", "facilitator", "learning_culture", "practitioner", 10),
            (s, "developing", "barrier", "learning_culture", "practitioner", 10),
        ]
    seg = segments_frame(spec)
    summary = pd.DataFrame({"site_id": sites, "sustained": [s in sustained for s in sites]})
    res = process.cross_case(seg, summary)
    t = res["table"].set_index("code")
    assert t.loc["leadership_commitment", "share_difference"] == pytest.approx(75 - 25)
    assert t.loc["leadership_commitment", "share_p"] == pytest.approx(0.1)  # as small as six cases allow
    assert t.loc["learning_culture", "share_difference"] == pytest.approx(0)
    assert t.loc["learning_culture", "share_p"] == pytest.approx(1.0)
    assert res["smallest_p"] == pytest.approx(0.1) and res["n_in"] == 3
    shown = process_display.cross_case_display(res, top=2)
    assert shown["Code"].iloc[0] == "Leadership commitment"
    assert shown.iloc[0, 1:4].tolist() == [75.0, 25.0, 50.0]
    disclosure.assert_protected(res["protected_counts"].table)
    # a mapping works as well; with everyone in one group there is nothing to compare
    same = process.cross_case(seg, {s: True for s in sites})
    assert not same["comparable"] and np.isnan(same["smallest_p"])
    with pytest.raises(ValueError):
        process_display.cross_case_display(same)
    assert process_display.cross_case_frame(same, ("a", "b")).iloc[0, 0].startswith("not possible")
    assert process_display.cross_case_frame(res, ("a", "b"), top=2).index[0] == "Leadership commitment"


# --- trustworthy audit ---------------------------------------------------------------
@pytest.mark.parametrize(
    "n,share,expected",
    [
        (0, np.nan, 0),
        (2, 100.0, 0),
        (3, 10.0, 1),
        (10, 39.9, 1),
        (10, 40.0, 2),
        (10, 69.9, 2),
        (10, 70.0, 3),
        (5, 100.0, 3),
    ],
)
def test_score_rubric(n, share, expected):
    assert process.score_from_share(n, share) == expected


def test_audit_questions_file_is_valid_and_grounded():
    q = process.audit_questions()
    assert 10 <= len(q) <= 14
    assert set(q["principle"]) == set(process.PRINCIPLES)
    assert (q["grounding"].str.len() > 40).all()
    assert "all" in set(q["stage"])
    assert set(q["stage"]) - {"all"} <= set(sites.STAGE_IDS)


def test_audit_questions_reject_unknown_codes(tmp_path):
    q = pd.read_csv(paths.reference_dir() / process.AUDIT_FILE, dtype=str, keep_default_na=False)
    q.loc[2, "evidence_codes"] = "no_such_code"
    q.to_csv(tmp_path / process.AUDIT_FILE, index=False)
    with pytest.raises(DataError) as err:
        process.audit_questions(tmp_path)
    assert err.value.problems[0].row == 3 and err.value.problems[0].rule == "codebook"


def test_audit_scores_follow_the_rule():
    q = process.audit_questions()
    spec = [
        # TQ03 (participation, designing; young people's and families' accounts only)
        ("devon", "designing", "facilitator", "youth_participation", "young_person", 4),
        ("devon", "designing", "barrier", "family_engagement", "parent_carer", 1),
        ("devon", "designing", "barrier", "youth_participation", "practitioner", 9),  # not counted for TQ03
        # TQ07 (safety, every stage)
        ("devon", "growing", "barrier", "workload_pressure", "practitioner", 8),
        ("devon", "growing", "facilitator", "practitioner_wellbeing", "manager", 2),
    ]
    scores = process.audit_scores(segments_frame(spec), q)
    s = scores.set_index(["site_id", "question_id", "stage"])
    tq03 = s.loc[("devon", "TQ03", "designing")]
    assert tq03["segments"] == 5 and tq03["share"] == pytest.approx(80) and tq03["score"] == 3
    assert not s.loc[("devon", "TQ03", "growing"), "applies"] and np.isnan(s.loc[("devon", "TQ03", "growing"), "score"])
    tq07 = s.loc[("devon", "TQ07", "growing")]
    assert tq07["segments"] == 10 and tq07["score"] == 1
    assert s.loc[("devon", "TQ07", "mobilising"), "score"] == 0  # applies, no evidence
    # TQ05 (relational practice / risk aversion, developing): no evidence at all -> 0
    assert s.loc[("devon", "TQ05", "developing"), "score"] == 0
    # a stage the site never reached is not audited
    later = process.audit_scores(segments_frame(spec), q, reached={"devon": {"mobilising", "designing", "developing"}})
    g = later.set_index(["site_id", "question_id", "stage"])
    assert not g.loc[("devon", "TQ07", "growing"), "applies"] and not g.loc[("devon", "TQ07", "growing"), "reached"]
    assert g.loc[("devon", "TQ03", "designing"), "score"] == 3
    eps = process.stage_episodes(events_frame(RECURSIVE), END)
    assert process.stages_reached(eps) == {"devon": {"mobilising", "designing", "developing", "integrating"}}
    m = process.audit_matrix(scores, "devon")
    assert m.shape == (len(q), 6) and m.loc["TQ03", "designing"] == 3
    ov = process.audit_overview(scores)
    applicable = scores[(scores["applies"]) & (scores["stage"] == "designing")]
    assert ov.loc["devon", "designing"] == pytest.approx(applicable["score"].mean())


def test_audit_figures_label_every_cell():
    q = process.audit_questions()
    spec = [("devon", "designing", "facilitator", "youth_participation", "young_person", 4)]
    scores = process.audit_scores(segments_frame(spec), q)
    fig, _ = process_display.plot_audit_heatmap(process.audit_matrix(scores, "devon"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert len(texts) == len(q) * 6 and "-" in texts and "0" in texts
    grid = process_display.plot_audit_grid(scores)
    assert len([a for a in grid.axes if a.get_title()]) == 1


def test_audit_display_tables():
    q = process.audit_questions()
    shown = process_display.audit_questions_table(q)
    assert shown.loc["TQ01", "Evidence (codes; whose accounts)"].endswith("young people and parents and carers only")
    assert shown.loc["TQ07", "Stage"] == "All stages"
    spec = [
        ("devon", "designing", "facilitator", "youth_participation", "young_person", 4),
        ("devon", "growing", "barrier", "workload_pressure", "practitioner", 8),
    ]
    scores = process.audit_scores(segments_frame(spec), q)
    ov = process_display.audit_overview_display(process.audit_overview(scores))
    assert ov.loc["CS site 1"].str.match(r"^\d\.\d$").all()
    ps = process.principle_summary(scores).set_index("principle")
    safety = scores[scores["applies"] & (scores["principle"] == "safety")]
    assert ps.loc["safety", "cells"] == len(safety)
    assert ps.loc["safety", "not_evidenced"] == pytest.approx(100 * (safety["score"] == 0).mean())


def test_rubric_table_follows_the_rule_in_use():
    table = process_display.rubric_table(4, (30.0, 60.0))
    assert table.loc[0, "Rule"] == "fewer than 4 relevant segments"
    assert table.loc[2, "Rule"] == "facilitators from 30% up to 60%"
    assert (
        process.score_from_share(4, 59.9, 4, (30.0, 60.0)) == 2
        and process.score_from_share(4, 60.0, 4, (30.0, 60.0)) == 3
    )


def test_rubric_table_has_no_column_headed_like_a_site():
    # "Reading" is a case-study site; a column so headed reads as that site's values (issue #17).
    table = process_display.rubric_table()
    assert list(table.columns) == ["Meaning", "Rule"]
    assert table.index.name == "Score"
