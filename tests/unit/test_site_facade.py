"""The site facade (issue #11 item 4): every section for every site, numbers at their
declared precision, human table headers, no real site name on a synthetic result."""

from __future__ import annotations

import math
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from innovate import study  # noqa: E402
from innovate.data import sites  # noqa: E402
from innovate.show import figures  # noqa: E402
from innovate.show.glue import glue_numbers  # noqa: E402
from innovate.show.site_chapter import site_chapter  # noqa: E402
from innovate.study.site_report import SECTIONS, SectionResult  # noqa: E402

#: Small settings keep the tests fast; the API's defaults are the book's.
FAST = {"cohort_outcomes": {"m": 3}, "costs": {"reps": 100}, "experience": {"draws": 50}}
CASES = [(s, name) for s in sites.SITE_IDS for name in SECTIONS] + [(s, "area_series") for s in sites.SITE_IDS]


def _section(site_id: str, name: str):
    chapter = site_chapter(site_id)
    if name == "area_series":
        return chapter.area_outcomes(source="synthetic")
    return getattr(chapter, name)(**FAST.get(name, {}))


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1].rstrip("0")) if "." in text and "e" not in text else 0


def _real_names(site_id: str) -> list[str]:
    record = sites.site(site_id)
    names = {sites.SHORT_NAMES[site_id], record.site_name, record.dfe_area_name}
    return [n for n in names if n]


@pytest.mark.parametrize(("site_id", "name"), CASES)
def test_every_section_for_every_site(site_id, name):
    sec = _section(site_id, name)
    assert sec.site_id == site_id
    assert sec.evidence in ("public", "synthetic", "extract")
    numbers = sec.numbers()
    for key, value in numbers.items():
        assert type(value) in (int, float, str, bool), (key, type(value))
        if isinstance(value, float):
            assert math.isfinite(value), key
            assert _decimals(value) <= sec.digits[key], (key, value, sec.digits[key])
    if sec.available and name not in ("area_series",):
        assert numbers, f"{name} at {site_id} gave no numbers"
    tab = sec.table()
    assert isinstance(tab, pd.DataFrame) and len(tab.columns)
    snake = [
        c for c in tab.columns if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", str(c)) or str(c).islower() and "_" in str(c)
    ]
    assert not snake, f"snake_case headers in {name}: {snake}"
    fig = sec.figure()
    try:
        assert isinstance(fig, Figure)
        if sec.synthetic:
            assert figures.is_watermarked(fig)
    finally:
        plt.close(fig)
    if sec.synthetic:
        shown = " ".join([sec.label, tab.to_string(), *(str(c) for c in tab.columns)])
        shown += " " + " ".join(str(v) for v in numbers.values())
        shown += " " + " ".join(
            t.get_text() for ax in fig.axes for t in [ax.title, *ax.get_yticklabels(), *ax.get_xticklabels()]
        )
        for real in _real_names(site_id):
            assert real not in shown, f"real name {real!r} on a synthetic {name} result"
        assert sec.label == sites.pseudonym(site_id)


def test_evidence_of_each_section():
    report = study.site("devon")
    assert report.public_statistics().evidence == "public"
    assert report.public_statistics().label == "Devon"
    assert report.journey().evidence == "synthetic"  # the shipped data folder has a manifest
    assert report.journey().label == "CS site 1"


def test_scottish_site_has_no_dfe_statistics_and_says_why():
    sec = study.site("north_lanarkshire").public_statistics()
    assert not sec.available
    assert "Scotland" in sec.notes[0]


def test_pseudonyms():
    assert [sites.pseudonym(s) for s in sites.SITE_IDS] == [
        "CS site 1",
        "CS site 2",
        "TIP site 1",
        "TIP site 2",
        "TS site 1",
        "TS site 2",
    ]
    assert sites.label("hackney", real=True) == "Hackney"
    assert sites.label("hackney", real=False) == "TS site 1"
    with pytest.raises(KeyError, match="unknown site_id 'york'"):
        sites.pseudonym("york")


def test_extract_folder_uses_real_names(monkeypatch, tmp_path):
    from innovate.study import site_report

    monkeypatch.setattr(site_report.paths, "evidence_status", lambda folder=None: "extract")
    sec = study.site("sheffield").journey()
    assert sec.evidence == "extract" and sec.label == "Sheffield"


def test_unknown_site_is_named():
    with pytest.raises(KeyError, match="unknown site_id 'york'"):
        study.site("york")


def test_numbers_round_once_and_refuse_undeclared_floats():
    sec = SectionResult("costs", "devon", "synthetic", {"a": 1.23456, "b": float("nan"), "n": 3}, {"a": 2, "b": 1})
    assert sec.numbers() == {"a": 1.23, "n": 3}
    assert sec.not_reported() == ["b"]
    with pytest.raises(ValueError, match="floats without declared digits: x"):
        SectionResult("costs", "devon", "synthetic", {"x": 0.5}, {})
    with pytest.raises(ValueError, match="unknown section 'summary'"):
        SectionResult("summary", "devon", "synthetic", {}, {})


def test_glue_numbers_takes_digits_from_the_section(monkeypatch):
    stored = {}
    from innovate.show import glue as glue_module

    monkeypatch.setattr(
        glue_module, "display_glued", lambda name, value, display=False, estimand=None: stored.__setitem__(name, value)
    )
    sec = SectionResult(
        "costs", "devon", "synthetic", {"delta_cost": -6172.4, "p": 0.456, "n": 12}, {"delta_cost": 0, "p": 2}
    )
    out = glue_numbers("devon_costs_", sec)
    assert stored == {"devon_costs_delta_cost": -6172.0, "devon_costs_p": 0.46, "devon_costs_n": 12} == out
