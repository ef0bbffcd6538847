"""The synthetic generator: determinism, manifest, validity, calibration and the stated models."""

from __future__ import annotations

import copy
import hashlib
import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from innovate.config import NETWORK_NATIONS, SEED
from innovate.data import dictionary, public, schemas, sites
from innovate.data import missing as data_missing
from innovate.data.validate import format_problem, validate_folder
from innovate.econ import prices
from innovate.synthetic import generator, parameters
from innovate.synthetic import truth as synthetic_truth


@pytest.fixture(scope="module")
def params():
    return parameters.default_parameters()


@pytest.fixture(scope="module")
def small(tmp_path_factory, params):
    """Two writes with the default seed and one with another seed, at a reduced cohort size."""
    root = tmp_path_factory.mktemp("syn")
    a = generator.write(root / "a", params=params, per_arm=6)
    generator.write(root / "b", params=parameters.default_parameters(), per_arm=6)
    generator.write(root / "c", seed=11, per_arm=6)
    return root / "a", root / "b", root / "c", a


@pytest.fixture(scope="module")
def tables(params):
    return generator.generate(params=params, per_arm=40)


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_seed_gives_byte_identical_files(small):
    a, b, _, paths = small
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert len(names) == len(schemas.CASE_TABLES) + 1
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_another_seed_gives_different_files(small):
    a, _, c, _ = small
    for name in schemas.CASE_TABLES:
        file = schemas.get(name).file
        assert sha(a / file) != sha(c / file), file
    assert json.loads((c / "manifest.json").read_text())["seed"] == 11


def test_manifest_checksums_match_and_hold_no_timestamp(small):
    a, _, _, _ = small
    manifest = json.loads((a / "manifest.json").read_text())
    for name in schemas.CASE_TABLES:
        file = schemas.get(name).file
        assert manifest["files"][file]["sha256"] == sha(a / file)
        assert manifest["files"][file]["rows"] == len((a / file).read_text().splitlines()) - 1
    _, problems = dictionary.validate_manifest(a / "manifest.json")
    assert problems == []
    text = (a / "manifest.json").read_text()
    assert "2026-" not in text and "timestamp" not in text.lower()
    assert manifest["generator_version"] == parameters.GENERATOR_VERSION


def test_generated_data_pass_validation(small):
    a, _, c, _ = small
    for folder in (a, c):
        report = validate_folder(folder)
        assert report.ok, [format_problem(p) for p in report.problems[:10]]


def test_cohort_size_is_a_parameter_and_does_not_change_other_tables(small, tables):
    a, _, _, _ = small
    yp = pd.read_csv(a / "young_people.csv")
    assert len(yp) == 6 * 2 * 6
    assert len(tables["young_people"]) == 6 * 2 * 40
    # One random stream per table: the area series do not depend on the cohort size.
    assert schemas.to_csv_text("area_series", tables["area_series"]) == (a / "area_series.csv").read_text()


def test_manifest_holds_the_true_parameters(small, params):
    a, _, _, _ = small
    manifest = json.loads((a / "manifest.json").read_text())
    for sid in schemas.SITE_IDS:
        site = manifest["sites"][sid]
        for m in schemas.AREA_MEASURES:
            assert site["its"][m]["level_rate_ratio"] == params.sites[sid].its[m].level_rate_ratio
        assert (
            site["cohort_effects"]["missing_episodes_rate_ratio"]
            == params.sites[sid].cohort_effects.missing_episodes_rate_ratio
        )
    assert set(manifest["attrition_model"]) >= {"attr_intercept", "attr_looked_after", "attr_comparison"}
    assert "proxy" in manifest["calibration"]["north_lanarkshire"]
    effects = synthetic_truth.true_effects(params)
    assert set(effects["site_id"]) == set(schemas.SITE_IDS)
    assert {
        "missing_episodes",
        "swemwbs",
        "exploitation_risk_score",
        "school_attendance_pct",
        "placement_moves",
        "justice_contact",
    } <= set(effects.loc[effects["design"] == "cohort", "measure"])


def test_effects_vary_by_site(params):
    rr = {sid: sp.cohort_effects.missing_episodes_rate_ratio for sid, sp in params.sites.items()}
    assert len(set(rr.values())) == 6
    assert all(0.5 < v < 1.0 for v in rr.values())
    assert all(0.5 < sp.its[m].level_rate_ratio < 1.5 for sp in params.sites.values() for m in schemas.AREA_MEASURES)


# --- calibration ---------------------------------------------------------------------------


def test_devon_calibrated_to_its_public_magnitudes(params):
    factors = public.assessment_factors()
    devon = factors[(factors["area_code"] == "878") & factors["year"].isin([2023, 2024, 2025])]
    assert set(devon["status"]) <= {"", "c"}
    value = devon["value"].where(devon["status"] != "c", 3.0)  # the stated rule: a suppressed 1-5 counts as 3
    expected = value.groupby(devon["year"]).sum().mean() / 12
    area = params.sites["devon"].areas[0]
    assert area.area_code == "878" and area.area_role == "site"
    assert area.monthly_level["efr_referrals"] == pytest.approx(expected, abs=1e-3)
    pop = public.child_population()
    assert area.population[2019] == int(pop[(pop["area_code"] == "878") & (pop["year"] == 2019)]["value"].iloc[0])
    missing = data_missing.missing_from_care(["missing_incidents"])
    m = missing[(missing["area_code"] == "878") & missing["year"].isin([2022, 2023, 2024])]["value"].mean() / 12
    assert area.monthly_level["missing_episodes"] == pytest.approx(m, abs=1e-3)


def test_comparators_are_statistical_neighbours_or_regions(params):
    register = sites.register()
    site_codes = set(register["area_code"])
    for sid, sp in params.sites.items():
        roles = [a.area_role for a in sp.areas]
        assert roles == ["site", "comparator", "comparator", "comparator"]
        comparators = [a.area_code for a in sp.areas[1:]]
        assert not set(comparators) & site_codes
        if sid in ("devon", "reading", "hackney", "sheffield"):
            neighbours = [n.old_la_code for n in public.statistical_neighbours(sp.areas[0].area_code, model=2021)]
            assert set(comparators) <= set(neighbours)
    assert all(a.area_code.startswith("E12") for a in params.sites["safer_london"].areas)
    assert [a.area_code for a in params.sites["north_lanarkshire"].areas[1:]] == list(
        parameters.SCOTTISH_COMPARATOR_CODES
    )


def test_expected_series_matches_the_calibration_and_the_stated_effects(params):
    frame = generator.area_expected(params, "reading")
    window = frame["month"].between(*parameters._CALIBRATION_WINDOW)
    for area in params.sites["reading"].areas:
        for m in schemas.AREA_MEASURES:
            part = frame[window & (frame["area_code"] == area.area_code) & (frame["measure"] == m)]
            assert part["expected"].mean() == pytest.approx(area.monthly_level[m], rel=1e-9)
    # Level and slope change: ratio to the same model without the innovation.
    flat = copy.deepcopy(params)
    for m in schemas.AREA_MEASURES:
        flat.sites["reading"].its[m] = parameters.ITSEffect(1.0, 0.0)
    base = generator.area_expected(flat, "reading")
    site = (frame["area_role"] == "site") & (frame["measure"] == "missing_episodes")
    ratio = frame.loc[site, "expected"].to_numpy() / base.loc[site, "expected"].to_numpy()
    post = frame.loc[site, "post"].to_numpy()
    t0 = int(np.argmax(post))
    eff = params.sites["reading"].its["missing_episodes"]
    rel = ratio / ratio[0]
    assert rel[t0 - 1] == pytest.approx(1.0)
    assert rel[t0] == pytest.approx(eff.level_rate_ratio)
    assert rel[t0 + 12] == pytest.approx(eff.level_rate_ratio * math.exp(12 * eff.slope_change_per_month))
    start = pd.Timestamp(sites.site("reading").innovation_start).replace(day=1)
    assert frame.loc[site, "month"].iloc[t0] == start
    # Comparators carry the site's post but have no effect.
    comp = (frame["area_role"] == "comparator") & (frame["measure"] == "missing_episodes")
    c_ratio = frame.loc[comp, "expected"].to_numpy() / base.loc[comp, "expected"].to_numpy()
    assert np.allclose(c_ratio, 1.0)


def test_area_counts_are_overdispersed_with_a_covid_dip(tables):
    a = tables["area_series"]
    london = a[(a["area_code"] == "E12000007") & (a["measure"] == "efr_referrals")]
    assert london["count"].var() > london["count"].mean()
    covid = london["month"].between(parameters.COVID_START, parameters.COVID_END)
    around = london["month"].between("2019-04-01", "2020-03-01") | london["month"].between("2021-04-01", "2022-03-01")
    assert london.loc[covid, "count"].mean() < london.loc[around, "count"].mean()


# --- cohort --------------------------------------------------------------------------------


def no_attrition(params):
    p = copy.deepcopy(params)
    p.cohort.attr_intercept = -50.0
    return p


def test_assignment_is_confounded(tables):
    yp = tables["young_people"]
    means = yp.groupby("arm")[
        ["age_at_baseline", "baseline_risk_score", "looked_after", "prior_missing_episodes"]
    ].mean()
    assert (means.loc["innovation"] > means.loc["comparison"]).all()
    share = (yp["arm"] == "innovation").mean()
    assert 0.4 < share < 0.6


def test_attrition_is_monotone_and_depends_on_observed_values(params):
    yp, out = generator.simulate_cohort(params, np.random.default_rng(5), sites=["sheffield"], per_arm=1500)
    wide = out.pivot(index="person_id", columns="wave_month", values="observed")
    assert (wide[0] == 1).all()
    assert (wide.diff(axis=1).fillna(0) <= 0).all().all()
    lost = 1 - wide[18]
    by_lac = lost.groupby(yp.set_index("person_id")["looked_after"]).mean()
    assert by_lac[1] > by_lac[0]
    assert 0.15 < lost.mean() < 0.5


def test_missing_episodes_rate_ratio_is_recovered(params):
    p = no_attrition(params)
    yp, out = generator.simulate_cohort(p, np.random.default_rng(3), sites=["devon"], per_arm=2000)
    d = out[out["wave_month"] > 0].merge(yp, on="person_id")
    d["innovation"] = (d["arm"] == "innovation").astype(int)
    d["log_prior"] = np.log1p(d["prior_missing_episodes"])
    d["risk5"] = (d["baseline_risk_score"] - 15) / 5
    fit = smf.poisson(
        "missing_episodes ~ innovation + looked_after + I(age_at_baseline - 14) + log_prior + risk5", d
    ).fit(disp=0)
    truth = math.log(params.sites["devon"].cohort_effects.missing_episodes_rate_ratio)
    assert fit.params["innovation"] == pytest.approx(truth, abs=0.12)
    # Ignoring the confounders gives a different (biased) answer.
    naive = smf.poisson("missing_episodes ~ innovation", d).fit(disp=0)
    assert abs(naive.params["innovation"] - truth) > 0.2


def test_swemwbs_slope_difference_is_recovered(params):
    p = no_attrition(params)
    yp, out = generator.simulate_cohort(p, np.random.default_rng(4), sites=["hackney"], per_arm=2000)
    d = out.merge(yp, on="person_id")
    d["innovation"] = (d["arm"] == "innovation").astype(int)
    d["age14"] = d["age_at_baseline"] - 14
    fit = smf.ols(
        "swemwbs ~ innovation * wave_month + age14:wave_month + looked_after * wave_month"
        " + baseline_risk_score + I(sex == 'male')",
        d,
    ).fit()
    truth = params.sites["hackney"].cohort_effects.swemwbs_slope_per_month
    assert fit.params["innovation:wave_month"] == pytest.approx(truth, abs=0.015)


def test_baseline_values_agree_across_tables(tables):
    yp = tables["young_people"].set_index("person_id")
    base = tables["outcomes"][tables["outcomes"]["wave_month"] == 0].set_index("person_id")
    assert (base["missing_episodes"] == yp["prior_missing_episodes"]).all()
    assert (base["exploitation_risk_score"] == yp["baseline_risk_score"]).all()


def test_placements_agree_with_placement_moves(tables):
    out = tables["outcomes"]
    complete = out.groupby("person_id")["observed"].min() == 1
    moves = out.groupby("person_id")["placement_moves"].sum()[complete]
    counts = tables["placements"].groupby("person_id").size()
    n = counts.reindex(moves.index).fillna(0)
    placed = n > 0
    assert ((n[placed] - 1) == moves[placed]).all()
    assert (moves[~placed] == 0).all()
    pl = tables["placements"].sort_values(["person_id", "start_date"])
    nxt = pl.groupby("person_id")["start_date"].shift(-1)
    gap = (nxt - pl["end_date"]).dropna()
    assert (gap == pd.Timedelta(days=1)).all()  # contiguous


def test_service_activity_covers_18_months_and_differs_by_arm(tables):
    sa = tables["service_activity"].merge(tables["young_people"][["person_id", "arm", "baseline_date"]], on="person_id")
    start = sa["baseline_date"].dt.to_period("M").dt.to_timestamp()
    months = (sa["month"].dt.year - start.dt.year) * 12 + sa["month"].dt.month - start.dt.month
    assert months.between(0, 17).all()
    per_person = sa.groupby(["arm", "staff_role"])["contact_hours"].sum() / tables["young_people"].groupby("arm").size()
    for role in ("specialist_exploitation_worker", "youth_worker"):
        assert per_person[("innovation", role)] > 1.5 * per_person[("comparison", role)]


def test_costs_start_up_first_then_running(tables, params):
    costs = tables["innovation_costs"]
    for sid, sp in params.sites.items():
        c = costs[costs["site_id"] == sid]
        years = sorted(c["financial_year"].unique())
        assert years[0] == generator._financial_year(pd.Timestamp(sp.innovation_start))
        assert years[-1] == "2024-25"
        assert set(c.loc[c["cost_category"] == "start_up", "financial_year"]) == set(years[:2])
        assert set(c.loc[c["cost_category"] == "running", "financial_year"]) == set(years[1:])


def test_cash_prices_use_the_deflator():
    p = parameters.default_parameters()
    p.costs.noise_sd = 0.0
    costs = generator.simulate_innovation_costs(p, np.random.default_rng(0))
    row = costs[
        (costs["site_id"] == "devon") & (costs["item"] == "additional_staff") & (costs["financial_year"] == "2020-21")
    ]
    real = p.costs.running["additional_staff"] * p.sites["devon"].cost_scale
    assert row["amount_gbp"].iloc[0] == pytest.approx(prices.to_price_year(real, "2024-25", "2020-21"), abs=0.01)


def test_stage_journeys(tables):
    ev = tables["stage_events"]
    kinds = ev.groupby("site_id")["event_type"].agg(set)
    assert sum({"stall", "restart"} <= k for k in kinds) >= 2
    assert sum("regress" in k for k in kinds) == 1
    assert (ev["event_date"] <= pd.Timestamp(parameters.JOURNEY_END)).all()
    first = ev.groupby("site_id").first()
    assert (first["stage"] == "mobilising").all() and (first["event_type"] == "enter").all()


def test_coded_segments_and_surveys(tables):
    seg = tables["coded_segments"]
    n = seg.groupby("site_id").size()
    assert n.between(150, 300).all()
    book = sites.codebook().set_index("code")["domain_hint"]
    hint = seg["code"].map(book)
    assert ((hint == "both") | (hint == seg["domain"])).all()
    share = seg.groupby("site_id")["domain"].apply(lambda s: (s == "facilitator").mean())
    assert share.max() - share.min() > 0.1  # the mix differs by site
    es = tables["experience_survey"]
    assert es.groupby("site_id").size().between(80, 150).all()
    items = es[list(schemas.SURVEY_ITEMS)]
    assert set(np.unique(items.stack().dropna())) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    assert items.isna().mean().max() < 0.05  # a little item non-response
    ns = tables["network_survey"]
    assert 150 <= ns["organisation_id"].nunique() <= 250
    assert set(ns["nation"]) == set(NETWORK_NATIONS)
    assert not ns.duplicated(["organisation_id", "framework"]).any()


def test_committed_set_is_the_default_seed():
    from innovate.data import casedata, paths

    manifest = casedata.manifest(paths.synthetic_dir())
    assert manifest["seed"] == SEED
    assert manifest["generator_version"] == parameters.GENERATOR_VERSION
    size = sum(p.stat().st_size for p in paths.synthetic_dir().iterdir())
    assert size < 15_000_000


def test_committed_files_are_exactly_what_the_generator_writes(tmp_path):
    """The committed data/synthetic is the generator's output for the default seed, byte for byte.

    Fails when the generator, the site register, the codebook or the public calibration
    inputs change without regenerating: run
    ``python -m innovate synthesize --seed 20240601 --out data/synthetic``.
    """
    from innovate.data import paths

    generator.write(tmp_path, seed=SEED)
    for name in [schemas.get(n).file for n in schemas.CASE_TABLES] + [schemas.MANIFEST_FILE]:
        assert (tmp_path / name).read_bytes() == (paths.synthetic_dir() / name).read_bytes(), name


def test_the_manifest_command_writes_the_same_data_set_again():
    from innovate.synthetic.parameters import default_parameters
    from innovate.synthetic.truth import synthesize_command

    assert synthesize_command(default_parameters(7)) == "python -m innovate synthesize --seed 7 --out DIR"
    smaller = default_parameters(7)
    smaller.cohort.per_arm = 150
    assert synthesize_command(smaller) == "python -m innovate synthesize --seed 7 --per-arm 150 --out DIR"
