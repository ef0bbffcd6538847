"""The cost-effectiveness plane's axes: quadrant_of and icer classify every boundary
point alike (a cheaper option with equal effect is weakly dominant)."""

from __future__ import annotations

import numpy as np
import pytest

from innovate.econ import cea

#: (delta cost, delta effect) -> quadrant_of's label and icer's quadrant (no tolerance)
BOUNDARY = [
    ((-5.0, 0.0), "south_east", "dominant"),  # same effect, cheaper: weakly dominant
    ((5.0, 0.0), "north_west", "dominated"),  # same effect, dearer: weakly dominated
    ((0.0, 2.0), "south_east", "dominant"),  # a gain at no extra cost
    ((0.0, -2.0), "north_west", "dominated"),  # a loss at no saving
    ((0.0, 0.0), "origin", "undefined"),  # no difference at all
    ((3.0, 2.0), "north_east", "north_east"),
    ((-3.0, -2.0), "south_west", "south_west"),
]
PLANE = {"dominant": "south_east", "dominated": "north_west", "undefined": "origin"}


@pytest.mark.parametrize("point, quadrant, icer_quadrant", BOUNDARY)
def test_quadrant_of_and_icer_agree_on_the_axes(point, quadrant, icer_quadrant):
    dc, de = point
    assert str(cea.quadrant_of([dc], [de])[0]) == quadrant
    result = cea.icer(dc, de)
    assert result.quadrant == icer_quadrant
    assert PLANE.get(result.quadrant, result.quadrant) == quadrant


def test_weak_dominance_reports_no_ratio_and_says_weakly():
    result = cea.icer(-5.0, 0.0)
    assert not result.reported and "weakly dominates" in result.reason
    assert "weakly dominated" in cea.icer(5.0, 0.0).reason


def test_a_positive_tolerance_still_leaves_the_band_undefined():
    assert cea.icer(-5.0, 0.0, effect_tolerance=0.05).quadrant == "undefined"
    assert cea.icer(-5.0, 0.04, effect_tolerance=0.05).quadrant == "undefined"


def test_quadrant_of_vectorised_on_exact_ties():
    q = cea.quadrant_of(np.array([-1.0, 1.0, 0.0]), np.array([0.0, 0.0, 0.0]))
    assert list(q) == ["south_east", "north_west", "origin"]
