"""Multi-panel figures on a phone: the same panels again, one a row.

A figure with two or three panels a row is drawn for the book's wide column (8.5 in). On a
phone the browser scales it to about 360 px, and its 7-10 pt text shrinks to 3-5 px:
unreadable. Rather than each figure function drawing a second layout,
:func:`narrow_layout` takes any figure whose panels sit on one grid (``plt.subplots``,
:func:`innovate.show.figures.new_figure`) and moves the same axes, with everything drawn
on them, into one column of a narrow figure. Nothing is redrawn, so the narrow figure
shows exactly the same data, text and watermark as the wide one.

:func:`innovate.show.figures.glue_figure` glues both; the book's Sphinx extension
:mod:`innovate.sphinxext.narrowfigures` lets the browser pick the narrow one on a small
screen and the wide one otherwise (and in print).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.gridspec import GridSpec, SubplotSpec
from matplotlib.legend import Legend
from matplotlib.offsetbox import VPacker
from matplotlib.text import Text

#: Width of the narrow layout in inches: at the book's 110 dpi a phone's ~360 px column
#: shows it at about 0.8 of its size, so 8 pt text stays about 10 px high.
NARROW_WIDTH = 4.0
#: A narrow panel is never flatter than this (height over width).
MIN_PANEL_ASPECT = 0.5
#: A panel that only holds the grid's legend gets this share of a panel's height.
LEGEND_PANEL_SHARE = 0.5


@dataclass(frozen=True)
class PanelGrid:
    """The panels of a figure laid out on one grid, in reading order (row by row)."""

    nrows: int
    ncols: int
    panels: tuple[Axes, ...]
    columns: tuple[int, ...]  # the column of each panel


def panel_grid(fig: Figure) -> PanelGrid | None:
    """The figure's panel grid, or None when its axes are not simple cells of one grid.

    Colour bars and legends drawn beside the panels are not cells and are left out; a
    figure with a panel spanning several cells, or panels on two grids, is not a simple
    grid and is left as it is.
    """
    cells: list[tuple[Axes, SubplotSpec]] = [
        (ax, spec) for ax in fig.axes if (spec := ax.get_subplotspec()) is not None
    ]
    if not cells:
        return None
    grid = cells[0][1].get_gridspec()
    if any(spec.get_gridspec() is not grid for _, spec in cells):
        return None
    if any(spec.num1 != spec.num2 for _, spec in cells):
        return None
    nrows, ncols = grid.get_geometry()
    ordered = sorted(cells, key=lambda cell: cell[1].num1)
    return PanelGrid(nrows, ncols, tuple(ax for ax, _ in ordered), tuple(spec.colspan.start for _, spec in ordered))


def panels_per_row(fig: Figure) -> int:
    """How many panels a row the figure shows (1 for a single plot or a figure that is not a grid)."""
    grid = panel_grid(fig)
    if grid is None:
        return 1
    used_columns = {column for ax, column in zip(grid.panels, grid.columns, strict=True) if _has_content(ax)}
    return max(len(used_columns), 1)


def _has_content(ax: Axes) -> bool:
    """Whether a panel shows anything (an empty cell of a grid is switched off and bare)."""
    if ax.axison:
        return True
    return bool(ax.lines or ax.patches or ax.collections or ax.images or ax.texts or ax.get_legend())


def _only_legend(ax: Axes) -> bool:
    return not ax.axison and ax.get_legend() is not None and not (ax.lines or ax.patches or ax.collections or ax.images)


def _labels_shown(axis) -> bool:
    ticks = axis.get_major_ticks()
    return bool(ticks) and (ticks[0].label1.get_visible() or ticks[0].label2.get_visible())


def _shared(ax: Axes, name: str) -> list[Axes]:
    """The axes sharing ``ax``'s x or y axis (``ax`` included)."""
    group = ax.get_shared_y_axes() if name == "y" else ax.get_shared_x_axes()
    return group.get_siblings(ax)


def _show_shared_labels(panels: list[Axes]) -> None:
    """Tick labels and axis labels hidden because a neighbouring panel showed them.

    Shared axes (``sharex``/``sharey``) label only the outer panels; a panel whose labels
    were hidden with ``tick_params`` because it was not in the first column is labelled
    again, since in one column every panel is at the edge.
    """
    for ax in panels:
        if not ax.axison:
            continue
        for axis, name, side in ((ax.yaxis, "y", "labelleft"), (ax.xaxis, "x", "labelbottom")):
            if not axis.get_major_ticks() or _labels_shown(axis):
                continue
            options = {side: True}
            # in the size of a shared neighbour's labels (set_yticklabels(..., fontsize=) sets its own only)
            for other in _shared(ax, name):
                other_axis = getattr(other, f"{name}axis")
                if other is not ax and _labels_shown(other_axis):
                    options["labelsize"] = other_axis.get_major_ticks()[0].label1.get_fontsize()
                    break
            ax.tick_params(axis="y" if name == "y" else "x", **options)
        for axis, name in ((ax.yaxis, "y"), (ax.xaxis, "x")):
            if axis.get_label_text():
                continue
            labels = [getattr(other, f"{name}axis").get_label_text() for other in _shared(ax, name)]
            label = next((text for text in labels if text), "")
            if label:
                axis.set_label_text(label)


def narrow_layout(fig: Figure, width: float = NARROW_WIDTH) -> bool:
    """Move a multi-panel figure's panels into one column of a ``width``-inch figure, in place.

    Returns False (and changes nothing) when the figure has at most one panel a row or its
    axes are not one simple grid. Each narrow panel is as tall as a row of the wide figure
    (what it shows needs the same height: as many bars, labels or rows) and never flatter
    than :data:`MIN_PANEL_ASPECT`; empty cells are removed and a cell holding only the
    legend is kept, shorter. Legends across the figure are folded to two columns, or one when
    two are wider than the figure; titles, x-axis labels and figure texts wrap at its edge.
    """
    grid = panel_grid(fig)
    if grid is None or panels_per_row(fig) < 2:
        return False
    panels = [ax for ax in grid.panels if _has_content(ax)]
    for ax in grid.panels:
        if ax not in panels:
            ax.remove()
    _, height = fig.get_size_inches()
    row_height = max(height / grid.nrows, MIN_PANEL_ASPECT * width)
    shares = [LEGEND_PANEL_SHARE if _only_legend(ax) else 1.0 for ax in panels]
    fig.set_size_inches(width, row_height * sum(shares))
    column = GridSpec(len(panels), 1, figure=fig, height_ratios=shares)
    for i, ax in enumerate(panels):
        ax.set_subplotspec(column[i, 0])
    _show_shared_labels(panels)
    _wrap_long_texts(fig, panels)
    for legend in fig.legends:
        _fold_legend(legend, 2)
    if fig.legends:
        fig.draw_without_rendering()  # lays the legends out, to measure them
        for legend in fig.legends:
            if legend.get_window_extent().width > fig.bbox.width:
                _fold_legend(legend, 1)  # else the image widens and a phone shrinks it again
    return True


def _wrap_long_texts(fig: Figure, panels: list[Axes]) -> None:
    """Titles, x-axis labels and horizontal figure texts too long for the narrow figure are
    broken into lines: a label written for a wide panel would otherwise widen the image (and
    a phone would shrink it again). The line breaks are written into the text, so that the
    layout (constrained or tight) makes room for them; tick labels and rotated texts are
    left as they are."""
    texts = [ax.title for ax in panels] + [ax.xaxis.label for ax in panels]
    texts += [child for child in fig.get_children() if isinstance(child, Text)]
    if not fig.get_constrained_layout():
        fig.tight_layout()  # where the panels will be (constrained layout places them in the draw)
    fig.draw_without_rendering()  # places the texts, to measure them
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas the book draws on
    width = fig.bbox.width
    for text in texts:
        content = text.get_text()
        if not content or text.get_rotation() != 0 or not text.get_visible():
            continue
        box = text.get_window_extent(renderer)
        align = text.get_horizontalalignment()
        if align == "left":
            room = width - box.x0
        elif align == "right":
            room = box.x1
        else:
            room = 2 * min((box.x0 + box.x1) / 2, width - (box.x0 + box.x1) / 2)
        if box.width <= room:
            continue
        longest = max(len(line) for line in content.split("\n"))
        chars = max(int(longest * room / box.width * 0.95), 12)
        text.set_text("\n".join(textwrap.fill(line, chars) for line in content.split("\n")))


def _fold_legend(legend: Legend, ncols: int) -> None:
    """Re-pack a legend's entries into at most ``ncols`` columns.

    ``Legend.set_ncols`` only counts when the legend is built, so the entries (each a
    marker and its label) are moved into new columns of the legend's own box.
    """
    legend.set_ncols(ncols)
    _title, handle_box = legend.get_children()[0].get_children()
    columns = handle_box.get_children()
    entries = [entry for column in columns for entry in column.get_children()]
    if not columns or len(columns) <= ncols:
        return
    template = columns[0]
    if not isinstance(template, VPacker):
        return
    chunks = [list(chunk) for chunk in np.array_split(np.array(entries, dtype=object), ncols) if len(chunk)]
    # get_children gives the box's own list: replacing its items re-packs the legend
    columns[:] = [VPacker(pad=0, sep=template.sep, align=template.align, children=chunk) for chunk in chunks]
    figure = legend.get_figure(root=False)
    if figure is not None:
        legend.get_children()[0].set_figure(figure)
