"""innovate.show.glue writes the output myst_nb.glue writes, without importing myst_nb."""

from __future__ import annotations

import subprocess
import sys

import IPython.display
import myst_nb.ext.glue as myst_glue
import pytest

from innovate.show import glue as glue_module
from innovate.show import glue_output


def test_the_prefix_is_myst_nbs():
    assert glue_module.GLUE_PREFIX == myst_glue.GLUE_PREFIX


@pytest.mark.parametrize("display", [False, True])
@pytest.mark.parametrize("value", [3, 0.25, "at all 6 sites", True])
def test_the_output_is_myst_nbs_own(monkeypatch, value, display):
    calls = {"ours": [], "myst_nb": []}

    def recorder(key):
        return lambda obj, raw=False, metadata=None: calls[key].append((obj, raw, metadata))

    monkeypatch.setattr(IPython.display, "display", recorder("ours"))
    monkeypatch.setattr(myst_glue, "ipy_display", recorder("myst_nb"))
    glue_output.display_glued("name", value, display=display)
    myst_glue.glue("name", value, display=display)
    assert calls["ours"] == calls["myst_nb"] and len(calls["ours"]) == 1


def test_an_estimand_is_added_to_the_metadata_only(monkeypatch):
    seen = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False, metadata=None: seen.append((obj, metadata)))
    glue_module.display_glued("x", 0.5, estimand="cohort.missing.rate_ratio.pooled_mi")
    bundle, metadata = seen[0]
    assert metadata[glue_module.ESTIMAND_METADATA] == "cohort.missing.rate_ratio.pooled_mi"
    assert metadata["scrapbook"] == {"name": "x", "mime_prefix": glue_module.GLUE_PREFIX}
    assert bundle == {glue_module.GLUE_PREFIX + "text/plain": "0.5"}


def test_gluing_imports_neither_myst_nb_nor_nbformat():
    # Each kernel that glues would otherwise pay for nbformat's jsonschema import (issue 13).
    code = (
        "import sys\n"
        "from innovate.show import figures, glue\n"
        "glue.glue('a', 1.25, digits=2)\n"
        "print(sorted(m for m in ('myst_nb', 'nbformat', 'jsonschema', 'sphinx') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_numbers_glue_with_one_call_at_their_digits_and_estimands(monkeypatch):
    seen = {}
    monkeypatch.setattr(
        glue_module,
        "display_glued",
        lambda name, value, display=False, estimand=None: seen.__setitem__(name, (value, estimand)),
    )
    section = glue_module.Numbers(
        {"irr": 0.9134, "n": 6, "text": "at all 6 sites"},
        digits={"irr": 2},
        estimands={"irr": "cohort.missing.rate_ratio.pooled_mi"},
    )
    out = glue_module.glue_numbers("outcomes_", section)
    assert out == {"outcomes_irr": 0.91, "outcomes_n": 6, "outcomes_text": "at all 6 sites"}
    assert seen["outcomes_irr"] == (0.91, "cohort.missing.rate_ratio.pooled_mi")
    assert seen["outcomes_n"] == (6, None)


def test_numbers_refuse_an_undeclared_float_a_stray_digit_and_a_name_twice():
    import numpy as np

    with pytest.raises(ValueError, match="floats without declared digits: share"):
        glue_module.Numbers({"share": np.float64(0.5)})
    with pytest.raises(ValueError, match="not among the values: gone"):
        glue_module.Numbers({"n": 1}, digits={"gone": 2})
    with pytest.raises(ValueError, match="names in both sections: n"):
        glue_module.Numbers({"n": 1}) | glue_module.Numbers({"n": 2})
    joined = glue_module.Numbers({"a": 1.5}, {"a": 1}) | glue_module.Numbers({"b": 2})
    assert joined.numbers() == {"a": 1.5, "b": 2} and joined.digits == {"a": 1}
