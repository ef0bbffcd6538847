"""Hand computed values to the prose.

Every number in the book's prose is glued from the code that computed it. ``glue``
turns numpy scalars into plain Python values first, so that the stored value, the
notebook's committed output and the claims file all agree.
"""

from __future__ import annotations

import numpy as np


def plain(value):
    """A numpy scalar as the Python int or float it stands for; other values unchanged."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def glue(name: str, value, display: bool = False):
    """Glue one value for ``{glue:text}`` in the prose; returns the plain value."""
    from myst_nb import glue as _glue

    value = plain(value)
    if isinstance(value, float) and not np.isfinite(value):
        raise ValueError(f"glue {name!r}: value {value!r} is not finite; the prose cannot cite it")
    _glue(name, value, display=display)
    return value


def glue_many(values: dict, prefix: str = "", display: bool = False) -> dict:
    """Glue every item of a mapping, names prefixed; returns the plain values."""
    return {f"{prefix}{k}": glue(f"{prefix}{k}", v, display=display) for k, v in values.items()}


#: HTML attribute that marks a displayed table as counts of people, so the gates can check
#: that disclosure control was applied to it (its value is the suppression threshold).
PEOPLE_COUNTS_ATTRIBUTE = "data-people-counts"


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
    ``innovate.disclosure``: the table is marked so the book's gates can check it.
    """
    styler = frame.style.format(fmt, na_rep=na_rep).set_uuid(name)
    if caption:
        styler = styler.set_caption(caption)
    if people_threshold is not None:
        styler = styler.set_table_attributes(f'{PEOPLE_COUNTS_ATTRIBUTE}="{int(people_threshold)}"')
    return styler
