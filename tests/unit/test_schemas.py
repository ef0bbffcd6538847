"""The declarative schema engine: types, ranges, keys, row rules, reading faults, dictionary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from innovate.data import dictionary, schema_engine, schemas, sites
from innovate.errors import Problem


def text(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, dtype=object)


def person(**overrides) -> dict:
    row = {
        "person_id": "YP00001",
        "site_id": "devon",
        "arm": "innovation",
        "sex": "female",
        "age_at_baseline": "15",
        "ethnicity": "white",
        "looked_after": "0",
        "prior_missing_episodes": "2",
        "baseline_risk_score": "14.5",
        "baseline_date": "2022-03-01",
    }
    row.update(overrides)
    return row


def rules_of(problems: list[Problem]) -> set[tuple[str, str | None, int | None]]:
    return {(p.rule, p.column, p.row) for p in problems}


def test_valid_frame_is_typed_and_clean():
    frame, problems = schemas.validate_frame(
        "young_people", text([person(), person(person_id="YP00002", arm="comparison")])
    )
    assert problems == []
    assert frame["age_at_baseline"].dtype == np.int64
    assert frame["baseline_risk_score"].dtype == np.float64
    assert str(frame["baseline_date"].dtype).startswith("datetime64")
    assert pd.api.types.is_string_dtype(frame["site_id"])
    assert frame.loc[1, "arm"] == "comparison"


def test_every_problem_is_reported_not_only_the_first():
    rows = [
        person(age_at_baseline="9"),
        person(person_id="YP00002", sex="other", baseline_risk_score="31"),
        person(person_id="YP00003", prior_missing_episodes="-1", baseline_date="2022-02-30"),
    ]
    _, problems = schemas.validate_frame("young_people", text(rows))
    found = rules_of(problems)
    assert ("range", "age_at_baseline", 1) in found
    assert ("allowed-values", "sex", 2) in found
    assert ("range", "baseline_risk_score", 2) in found
    assert ("range", "prior_missing_episodes", 3) in found
    assert ("type", "baseline_date", 3) in found  # 30 February is not a date
    negative = next(p for p in problems if p.column == "prior_missing_episodes")
    assert "negative count" in negative.message
    assert negative.value == "-1"
    assert all(p.file == "young_people.csv" for p in problems)


def test_integer_columns_reject_fractions_and_text_and_absurd_numbers():
    rows = [
        person(age_at_baseline="15.5"),
        person(person_id="YP00002", age_at_baseline="x"),
        person(person_id="YP00003", prior_missing_episodes="1e300"),
        person(person_id="YP00004", baseline_risk_score="nan"),
    ]
    _, problems = schemas.validate_frame("young_people", text(rows))
    found = rules_of(problems)
    assert ("type", "age_at_baseline", 1) in found
    assert ("type", "age_at_baseline", 2) in found
    assert ("implausible-value", "prior_missing_episodes", 3) in found
    assert ("not-finite", "baseline_risk_score", 4) in found


def test_unknown_site_is_named_as_such():
    _, problems = schemas.validate_frame("young_people", text([person(site_id="bristol")]))
    (p,) = problems
    assert (p.rule, p.column, p.row, p.value) == ("allowed-values", "site_id", 1, "bristol")
    assert p.message.startswith("unknown site")


def test_missing_and_unexpected_columns():
    row = person()
    del row["ethnicity"]
    row["notes"] = "x"
    _, problems = schemas.validate_frame("young_people", text([row]))
    found = {(p.rule, p.column) for p in problems}
    assert ("missing-column", "ethnicity") in found
    assert ("unexpected-column", "notes") in found


def test_duplicate_key_names_both_rows():
    _, problems = schemas.validate_frame("young_people", text([person(), person(arm="comparison")]))
    (p,) = problems
    assert p.rule == "duplicate-key" and p.row == 2 and "row 1" in p.message


def outcome_rows(person_id="YP00001", observed=(1, 1, 0, 0)) -> list[dict]:
    rows = []
    for wave, obs in zip((0, 6, 12, 18), observed):
        values = dict(
            missing_episodes="1",
            exploitation_risk_score="12.0",
            swemwbs="20.00",
            school_attendance_pct="90.0",
            placement_moves="0",
            justice_contact="0",
        )
        if not obs:
            values = {k: "" for k in values}
        rows.append({"person_id": person_id, "wave_month": str(wave), "observed": str(obs), **values})
    return rows


def test_outcome_rules():
    good, problems = schemas.validate_frame("outcomes", text(outcome_rows()))
    assert problems == []
    assert good["missing_episodes"].isna().sum() == 2  # empty where lost, as float NaN
    rows = outcome_rows(observed=(1, 0, 1, 1))
    rows[1]["swemwbs"] = "19.00"  # recorded although unobserved
    rows += outcome_rows("YP00002")[:3]  # no wave 18
    _, problems = schemas.validate_frame("outcomes", text(rows))
    found = rules_of(problems)
    assert ("empty-iff-unobserved", "swemwbs", 2) in found
    assert ("monotone-attrition", "observed", 3) in found
    assert ("all-waves", "wave_month", 5) in found


def test_placement_dates_and_event_order():
    rows = [
        {
            "placement_id": "PL000001",
            "person_id": "YP00001",
            "site_id": "devon",
            "placement_type": "fostering",
            "start_date": "2022-05-01",
            "end_date": "2022-04-30",
        }
    ]
    _, problems = schemas.validate_frame("placements", text(rows))
    assert rules_of(problems) == {("date-order", "end_date", 1)}
    events = [
        {"event_id": f"EV000{i}", "site_id": s, "event_date": d, "stage": "mobilising", "event_type": "enter"}
        for i, (s, d) in enumerate([("devon", "2020-01-01"), ("reading", "2019-01-01"), ("devon", "2019-12-31")], 1)
    ]
    _, problems = schemas.validate_frame("stage_events", text(events))
    assert rules_of(problems) == {("date-order", "event_date", 3)}  # another site's earlier date is fine


def test_area_series_post_rules():
    def row(area, role, month, post):
        return {
            "site_id": "devon",
            "area_code": area,
            "area_role": role,
            "month": month,
            "measure": "efr_referrals",
            "count": "3",
            "population_0_17": "1000",
            "post": post,
        }

    rows = [
        row("878", "site", "2019-03-01", "0"),
        row("878", "site", "2019-04-01", "1"),
        row("878", "site", "2019-05-01", "0"),
        row("933", "comparator", "2019-04-01", "0"),
        row("933", "comparator", "2019-05-15", "0"),
    ]
    _, problems = schemas.validate_frame("area_series", text(rows))
    found = rules_of(problems)
    assert ("post-monotone", "post", 3) in found
    assert ("post-consistent", "post", 4) in found
    assert ("first-of-month", "month", 5) in found


def test_financial_year_pattern():
    rows = [
        {
            "site_id": "devon",
            "financial_year": fy,
            "cost_category": "running",
            "item": "training",
            "amount_gbp": "10.00",
        }
        for fy in ("2019-20", "2019-21", "2099-00")
    ]
    _, problems = schemas.validate_frame("innovation_costs", text(rows))
    found = rules_of(problems)
    assert ("financial-year", "financial_year", 2) in found
    assert ("range", "financial_year", 3) in found
    assert not any(p.row == 1 for p in problems)


def test_read_text_file_level_faults(tmp_path):
    def check(name: str, data: bytes, rule: str):
        path = tmp_path / name
        path.write_bytes(data)
        frame, problems = schemas.read_table("network_survey", path)
        assert frame is None
        assert rule in {p.rule for p in problems}, problems
        return problems

    check("a.csv", b"", "empty-file")
    check("b.csv", b"organisation_id;nation\nORG0001;England\n", "delimiter")
    (p,) = check("c.csv", "organisation_id,nation\nORG0001,Engl\xe4nd\n".encode("latin-1"), "encoding")
    assert "UTF-8" in p.message and p.value == "0xe4"
    header = ",".join(schemas.get("network_survey").column_names) + "\n"
    check("d.csv", header.encode(), "no-rows")
    _, problems = schemas.read_table("network_survey", tmp_path / "absent.csv")
    assert [p.rule for p in problems] == ["missing-file"]


def test_ragged_rows_are_reported(tmp_path):
    cols = schemas.get("network_survey").column_names
    good = "ORG0001,England,health,contextual_safeguarding,aware,3,1.5"
    path = tmp_path / "network_survey.csv"
    path.write_text(
        ",".join(cols) + "\n" + good + "\n" + good.replace("ORG0001", "ORG0002") + ",extra\n", encoding="utf-8"
    )
    _, problems = schemas.read_table("network_survey", path)
    assert ("field-count", None, 2) in rules_of(problems)


def test_public_tidy_status_rule():
    frame = pd.DataFrame(
        {
            "area_code": ["878", "878", "878"],
            "new_la_code": ["E10000008"] * 3,
            "area_name": ["Devon"] * 3,
            "level": ["Local authority"] * 3,
            "year": [2018, 2019, 2020],
            "measure": ["CSE"] * 3,
            "value": [205.0, np.nan, 0.0],
            "status": ["", "c", "c"],
            "region_code": ["E12000009"] * 3,
        }
    )
    problems = schemas.validate_public(frame)
    assert rules_of(problems) == {("status-value", "value", 3)}  # a 'c' must never hold a number


def test_site_vocabulary_comes_from_the_register():
    assert schemas.SITE_IDS == sites.SITE_IDS
    register = sites.register()
    assert set(register["site_id"]) == set(schemas.SITE_IDS)
    assert dict(zip(register["site_id"], register["framework"])) == schemas.SITE_FRAMEWORKS


def test_dictionary_covers_every_column_of_every_table():
    d = dictionary.dictionary()
    assert list(d.columns) == [
        "table",
        "file",
        "column",
        "type",
        "unit",
        "allowed",
        "range",
        "nullable",
        "key",
        "description",
    ]
    for name in schemas.CASE_TABLES:
        assert d[d["table"] == name]["column"].tolist() == schemas.get(name).column_names
    assert (d["description"].str.len() > 0).all()
    swem = d[(d["table"] == "outcomes") & (d["column"] == "swemwbs")].iloc[0]
    assert swem["range"] == "7 .. 35" and swem["nullable"] == "yes"
    r = dictionary.rules()
    assert {"duplicate-key", "foreign-key", "monotone-attrition", "date-order"} <= set(r["rule"])


def test_to_csv_text_round_trip_is_exact():
    frame, _ = schemas.validate_frame("outcomes", text(outcome_rows()))
    out = schemas.to_csv_text("outcomes", frame.iloc[::-1])  # sorted on writing
    lines = out.splitlines()
    assert lines[0] == ",".join(schemas.get("outcomes").column_names)
    assert lines[1] == "YP00001,0,1,1,12.0,20.00,90.0,0,0"
    assert lines[3] == "YP00001,12,0,,,,,,"
    assert out.endswith("\n") and "\r" not in out


def test_unknown_table_and_kind():
    with pytest.raises(KeyError):
        schemas.get("nonsense")
    with pytest.raises(ValueError):
        schema_engine.Column("x", "complex", "no such kind")


@pytest.mark.parametrize(
    "loader", ["public.assessment_factors", "public.child_population", "missing.missing_from_care"]
)
def test_public_loaders_return_frames_that_pass_the_public_schema(loader):
    from innovate.data import missing, public

    module, name = loader.split(".")
    frame = getattr({"public": public, "missing": missing}[module], name)()
    assert schemas.validate_public(frame, file=loader) == []


def test_a_spreadsheet_export_with_bom_and_crlf_reads_cleanly(tmp_path):
    cols = schemas.get("network_survey").column_names
    body = ",".join(cols) + "\r\n" + "ORG0001,Wales,police,transitional_safeguarding,exploring,4,0.5\r\n\r\n"
    path = tmp_path / "network_survey.csv"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    frame, problems = schemas.read_table("network_survey", path)
    assert problems == []
    assert frame.loc[0, "organisation_id"] == "ORG0001" and frame.loc[0, "years_since_first_contact"] == 0.5


def test_manifest_rules(tmp_path):
    assert set(dictionary.manifest_dictionary()["key"]) == {"seed", "generator", "generator_version", "sites", "files"}
    path = tmp_path / "manifest.json"
    path.write_text('{"seed": "x", "sites": {"devon": {}, "atlantis": {}}}', encoding="utf-8")
    _, problems = dictionary.validate_manifest(path)
    found = {(p.rule, p.column) for p in problems}
    assert {
        ("missing-key", "generator"),
        ("missing-key", "files"),
        ("type", "seed"),
        ("missing-key", "sites"),
        ("allowed-values", "sites"),
    } <= found
    path.write_text("{not json", encoding="utf-8")
    _, problems = dictionary.validate_manifest(path)
    assert [p.rule for p in problems] == ["json"]
