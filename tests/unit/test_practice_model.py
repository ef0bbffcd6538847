"""The practice model: its sources and audit questions exist, and its figures draw what they say."""

from __future__ import annotations

import csv
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from conftest import ROOT
from innovate.show import practice_model as pm
from innovate.show.figures import PALETTE


def bib_keys() -> set[str]:
    text = (ROOT / "references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"^@\w+\{([^,\s]+),", text, flags=re.MULTILINE))


def audit_ids() -> set[str]:
    with open(ROOT / "data" / "reference" / "trustworthy_audit_questions.csv", newline="", encoding="utf-8") as f:
        return {row["question_id"] for row in csv.DictReader(f)}


def test_four_components_each_with_principles_tensions_sources_and_questions():
    assert len(pm.COMPONENTS) == 4
    assert len({c.key for c in pm.COMPONENTS}) == 4
    for c in pm.COMPONENTS:
        assert c.principles and c.tensions and c.sources and c.audit_questions, c.key


def test_every_source_is_in_the_bibliography():
    missing = [k for k in pm.all_sources() if k not in bib_keys()]
    assert missing == []


def test_every_audit_question_exists():
    assert set(pm.all_audit_questions()) <= audit_ids()


def test_colours_are_okabe_ito_and_distinct():
    colours = [c.colour for c in pm.COMPONENTS]
    assert set(colours) <= set(PALETTE.values())
    assert len(set(colours)) == len(colours)


def test_component_lookup_names_known_keys_on_error():
    assert pm.component("rights").title.startswith("Protection")
    with pytest.raises(KeyError, match="known"):
        pm.component("nope")


def test_model_figure_labels_every_part():
    fig = pm.model_figure()
    text = " ".join(pm.figure_texts(fig))
    for c in pm.COMPONENTS:
        for line in c.short:
            assert line in text
    for label in pm.ORGANISATIONAL_RING + pm.STRUCTURAL_RING:
        assert label in text
    assert "rights gate" in text
    assert not getattr(fig, "_innovate_synthetic", False)  # conceptual: no data, no watermark
    plt.close(fig)


def test_legal_step_is_at_eighteen_and_the_slope_falls_smoothly():
    ages = np.array([17.99, 18.0])
    assert pm.legal_step(ages).tolist() == [1.0, 0.0]
    curve = pm.graduated(np.linspace(pm.AGE_MIN, pm.AGE_MAX, 200))
    assert np.all(np.diff(curve) < 0)
    assert pm.graduated(np.array([18.0]))[0] == pytest.approx(0.5)


def test_adultification_moves_the_slope_earlier():
    ages = np.linspace(pm.AGE_MIN, pm.AGE_MAX, 50)
    assert np.all(pm.graduated(ages, midpoint=15.5) <= pm.graduated(ages))
    fig = pm.age_figure()
    assert "Schematic, not data" in pm.figure_texts(fig)
    plt.close(fig)
