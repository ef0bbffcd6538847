"""Hand computed values to the prose.

Every number in the book's prose is glued from the code that computed it. ``glue``
turns numpy scalars into plain Python values and rounds every float, once, to the
decimals the reader sees (``digits``), so that the stored value, the notebook's committed
output and the claims file all hold what the page shows and nothing finer. Digits beyond
those a reader sees are rounding noise: they move when the CPU's BLAS kernels or the
order of a sum change, and publishing or comparing them would make the book differ from
machine to machine. A test checks that every glued float is shown in the prose at exactly
the precision it was stored with.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from innovate.show.glue_output import ESTIMAND_METADATA, GLUE_PREFIX, display_glued
from innovate.stats.results import at_precision

__all__ = [
    "ESTIMAND_METADATA",
    "GLUE_PREFIX",
    "Numbers",
    "at_precision",
    "display_glued",
    "glue",
    "glue_many",
    "glue_numbers",
    "plain",
    "styled",
]


def plain(value):
    """A numpy scalar as the Python int or float it stands for; other values unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def glue(name: str, value, digits: int | None = None, display: bool = False, estimand: str | None = None):
    """Glue one value for ``{glue:text}`` in the prose; returns the stored value.

    A float must say how many decimals the reader sees (``digits``, matching the format
    the prose uses, e.g. ``:.2f`` for ``digits=2``, ``:.0f`` or ``:,.0f`` for 0) and is
    stored rounded to them. Integers, text and booleans are stored as they are.
    ``estimand`` names the quantity (a key :func:`innovate.study.estimands.describe` knows);
    it is written with the value, so the claims gate can check that one quantity is
    quoted with one value wherever it appears.
    """
    if estimand is not None:
        from innovate.study.estimands import describe

        describe(estimand)  # an unknown key fails here, where it is typed
    value = plain(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"glue {name!r}: value {value!r} is not finite; the prose cannot cite it")
        if digits is None:
            raise TypeError(f"glue {name!r}: a float needs digits= (the decimals the reader sees), got {value!r}")
        value = at_precision(value, digits)
    display_glued(name, value, display=display, estimand=estimand)
    return value


def glue_many(values: dict, prefix: str = "", digits: int | None = None, display: bool = False) -> dict:
    """Glue every item of a mapping, names prefixed, floats at ``digits``; returns the stored values."""
    return {f"{prefix}{k}": glue(f"{prefix}{k}", v, digits=digits, display=display) for k, v in values.items()}


#: HTML attribute that marks a displayed table as counts of people, so the gates can check
#: that disclosure control was applied to it (its value is the suppression threshold).
PEOPLE_COUNTS_ATTRIBUTE = "data-people-counts"


def _escaped(value):
    """Text from data made inert in HTML: ``&`` and ``<`` are all that can open markup or an entity in a cell."""
    if isinstance(value, str) and ("&" in value or "<" in value):
        return value.replace("&", "&amp;").replace("<", "&lt;")
    return value


def _escaped_labels(index):
    if not any(_escaped(v) is not v for v in index.to_flat_index()):
        return index
    if getattr(index, "nlevels", 1) > 1:
        return index.map(lambda labels: tuple(_escaped(v) for v in labels))
    return index.map(_escaped)


def _escaped_frame(frame):
    """``frame`` with every text cell and label escaped (a copy only where something changes)."""
    out = frame
    for position, column in enumerate(frame.columns):
        cells = frame.iloc[:, position]
        if cells.dtype == object or str(cells.dtype) in ("string", "str"):
            escaped = cells.map(_escaped)
            if not escaped.equals(cells):
                if out is frame:
                    out = frame.copy()
                out.isetitem(position, escaped)
    index, columns = _escaped_labels(frame.index), _escaped_labels(frame.columns)
    if index is not frame.index or columns is not frame.columns:
        out = out.copy() if out is frame else out
        out.index, out.columns = index, columns
    return out


def styled(
    frame,
    name: str,
    fmt="{:,.0f}",
    na_rep: str = "not published",
    caption: str | None = None,
    people_threshold: int | None = None,
):
    """A table for display with a fixed HTML id, so that re-running gives identical output.

    pandas gives every Styler a random id by default; a fixed one keeps notebook outputs
    reproducible (nbval compares them) and lets a chapter link to the table. Pass
    ``people_threshold`` for a table of counts of people that has been through
    ``innovate.stats.disclosure``: the table is marked so the book's gates can check it.

    Every text cell, row and column label and the caption are HTML-escaped: a string from
    the data folder (a site name, a code, a file name) is shown as text, never run as markup.
    """
    styler = _escaped_frame(frame).style.format(fmt, na_rep=na_rep).set_uuid(name)
    if caption:
        styler = styler.set_caption(_escaped(caption))
    if people_threshold is not None:
        styler = styler.set_table_attributes(f'{PEOPLE_COUNTS_ATTRIBUTE}="{int(people_threshold)}"')
    return styler


@dataclass(frozen=True)
class Numbers:
    """A section's numbers for the prose, ready to glue with one call (:func:`glue_numbers`).

    ``values``: name -> value (floats at full precision; :func:`glue` rounds them once);
    ``digits``: the decimals the reader sees for each float; ``estimands``: name -> key of
    :mod:`innovate.study.estimands` for the values that are a named quantity.
    A float without declared digits, or a digit or estimand for a name that is not there,
    is refused here, where the section is assembled, not when the prose is read.
    """

    values: Mapping[str, object]
    digits: Mapping[str, int] = field(default_factory=dict)
    estimands: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        values = {k: plain(v) for k, v in self.values.items()}
        object.__setattr__(self, "values", values)
        floats = sorted(k for k, v in values.items() if isinstance(v, float) and k not in self.digits)
        if floats:
            raise ValueError(f"floats without declared digits: {', '.join(floats)}")
        stray = sorted((set(self.digits) | set(self.estimands)) - set(values))
        if stray:
            raise ValueError(f"digits or estimands for names that are not among the values: {', '.join(stray)}")

    def numbers(self) -> dict[str, object]:
        return dict(self.values)

    def __or__(self, other: Numbers) -> Numbers:
        """Two sections' numbers as one (a name in both is refused: one name, one number)."""
        both = sorted(set(self.values) & set(other.values))
        if both:
            raise ValueError(f"names in both sections: {', '.join(both)}")
        return Numbers(
            {**self.values, **other.values},
            {**self.digits, **other.digits},
            {**self.estimands, **other.estimands},
        )


def glue_numbers(prefix: str, result, digits: dict | None = None, display: bool = False) -> dict:
    """Glue a whole section with one call: every item of ``result.numbers()`` under
    ``prefix + name``, each float at the decimals the section declared for it
    (``result.digits``), each with the estimand it declared (``result.estimands``, if any),
    so the chapter never restates a precision. ``result`` may also be a plain mapping, with
    ``digits`` giving the decimals of its floats. Returns the stored values.
    """
    if hasattr(result, "numbers"):
        values = result.numbers()
        declared = dict(getattr(result, "digits", {}) or {})
        estimands = dict(getattr(result, "estimands", {}) or {})
    else:
        values = dict(result)
        declared, estimands = {}, {}
    declared.update(digits or {})
    return {
        f"{prefix}{k}": glue(f"{prefix}{k}", v, digits=declared.get(k), display=display, estimand=estimands.get(k))
        for k, v in values.items()
    }
