"""Multi-panel figures one panel a row (issue #17 item 4): innovate.show.panels and the
narrow companion glue_figure glues."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest

from innovate.show import figures, panels


def grid_with_legend_cell():
    """Like area_display.plot_site_panels: five panels on a 2x3 grid, the legend in the sixth."""
    fig, axes = figures.new_figure("wide", aspect=0.68, nrows=2, ncols=3, squeeze=False, layout="constrained")
    flat = axes.ravel()
    for k, ax in enumerate(flat[:5]):
        ax.plot([0, 1, 2], [k, k + 1, k], label="Series")
        ax.set_title(f"Panel {k}")
    flat[5].set_axis_off()
    flat[5].legend(*flat[0].get_legend_handles_labels(), loc="center")
    return fig, list(flat)


def column_of(ax):
    spec = ax.get_subplotspec()
    return spec.rowspan.start, spec.colspan.start, spec.get_gridspec().get_geometry()


def test_a_grid_becomes_one_column_in_reading_order_and_keeps_its_legend_cell():
    fig, flat = grid_with_legend_cell()
    wide_height = fig.get_size_inches()[1]
    assert panels.panels_per_row(fig) == 3
    assert panels.narrow_layout(fig) is True
    assert [column_of(ax) for ax in flat] == [(i, 0, (6, 1)) for i in range(6)]
    width, height = fig.get_size_inches()
    assert width == panels.NARROW_WIDTH
    # five panels as tall as a wide row, the legend's cell half that
    assert height == pytest.approx(wide_height / 2 * (5 + panels.LEGEND_PANEL_SHARE))
    assert panels.panels_per_row(fig) == 1
    fig.draw_without_rendering()
    positions = [ax.get_position() for ax in flat]
    assert all(a.y0 > b.y1 for a, b in zip(positions, positions[1:]))  # top to bottom, no overlap
    plt.close(fig)


def test_an_empty_cell_is_dropped():
    fig, axes = figures.new_figure("wide", nrows=1, ncols=3)
    for ax in axes[:2]:
        ax.plot([0, 1], [1, 0])
    axes[2].set_axis_off()
    assert panels.narrow_layout(fig)
    assert len(fig.axes) == 2 and axes[2] not in fig.axes
    plt.close(fig)


def test_labels_hidden_for_the_neighbouring_panel_are_shown_again():
    fig, axes = figures.new_figure("wide", ncols=2, sharey=True)
    for ax in axes:
        ax.barh(["one", "two"], [1, 2])
    axes[0].set_ylabel("Code")
    axes[0].set_yticks([0, 1])
    axes[0].set_yticklabels(["one", "two"], fontsize=7)
    fig.draw_without_rendering()
    assert not axes[1].yaxis.get_major_ticks()[0].label1.get_visible()
    assert axes[1].get_ylabel() == ""
    # a panel that hid its labels itself, as the forest panels do
    fig2, axes2 = figures.new_figure("wide", ncols=2)
    for ax in axes2:
        ax.plot([0, 1], [0, 1])
    axes2[1].tick_params(axis="y", labelleft=False)
    for f, a in ((fig, axes[1]), (fig2, axes2[1])):
        assert panels.narrow_layout(f)
        f.draw_without_rendering()
        assert a.yaxis.get_major_ticks()[0].label1.get_visible()
    assert axes[1].get_ylabel() == "Code"
    assert axes[1].yaxis.get_major_ticks()[0].label1.get_fontsize() == 7  # as the neighbour's
    plt.close(fig)
    plt.close(fig2)


def test_figures_with_one_panel_a_row_or_no_simple_grid_are_left_alone():
    single, _ = figures.new_figure()
    column, _ = figures.new_figure(nrows=3, ncols=1)
    free = plt.figure(figsize=(8, 3))
    free.add_axes((0.1, 0.1, 0.35, 0.8))
    free.add_axes((0.55, 0.1, 0.35, 0.8))
    spanning = plt.figure(figsize=(8, 3))
    grid = spanning.add_gridspec(2, 2)
    spanning.add_subplot(grid[0, :])
    spanning.add_subplot(grid[1, 0])
    spanning.add_subplot(grid[1, 1])
    for fig in (single, column, free, spanning):
        size = tuple(fig.get_size_inches())
        assert panels.narrow_layout(fig) is False
        assert tuple(fig.get_size_inches()) == size
        plt.close(fig)


def glued(monkeypatch):
    found = []
    monkeypatch.setattr(figures, "display_glued", lambda name, value, display=False: found.append((name, value)))
    return found


@pytest.mark.parametrize("synthetic", [False, True])
def test_glue_figure_glues_the_narrow_layout_watermarked_exactly_when_the_wide_one_is(monkeypatch, synthetic):
    found = glued(monkeypatch)
    fig, _ = grid_with_legend_cell()
    same, _ = grid_with_legend_cell()
    if synthetic:
        figures.watermark(same)
    wide_alone = figures.RenderedFigure(same)
    figures.glue_figure("x_fig", fig, synthetic=synthetic)
    assert [name for name, _ in found] == ["x_fig", figures.narrow_name("x_fig")]
    wide, narrow = (value for _, value in found)
    assert wide.synthetic is narrow.synthetic is synthetic
    assert wide.fingerprint == wide_alone.fingerprint  # the wide figure is glued before it is laid out again
    assert "3 panels a row" in repr(wide) and "panels a row" not in repr(narrow)
    assert narrow.size[0] == round(panels.NARROW_WIDTH * 110)
    assert (", synthetic data" in repr(narrow)) is synthetic
    plt.close(same)


def test_a_figure_with_one_panel_a_row_is_glued_once(monkeypatch):
    found = glued(monkeypatch)
    fig, ax = figures.new_figure()
    ax.plot([0, 1], [0, 1])
    figures.glue_figure("one", fig, synthetic=True)
    assert [name for name, _ in found] == ["one"]
    assert "panels a row" not in repr(found[0][1])


def test_a_legend_across_the_figure_and_long_labels_fit_the_narrow_width():
    fig, axes = figures.new_figure("wide", ncols=2, layout="constrained")
    for ax in axes:
        for i in range(3):
            ax.plot([0, 1], [i, i + 1], label=f"A series with a long name {i}")
    legend = fig.legend(*axes[0].get_legend_handles_labels(), loc="outside upper center", ncol=3, fontsize=8)
    fig.supxlabel("Missing episodes averted per young person (innovation minus comparison)", fontsize=10)
    assert panels.narrow_layout(fig)
    columns = legend.get_children()[0].get_children()[1].get_children()
    assert len(columns) <= 2 and sum(len(c.get_children()) for c in columns) == 3
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    assert fig.get_tightbbox(renderer).width <= panels.NARROW_WIDTH * 1.05  # inches: nothing widens the image
    plt.close(fig)


def test_an_x_label_too_long_for_the_narrow_panel_is_broken_into_lines():
    fig, axes = figures.new_figure("wide", aspect=0.45, ncols=2, sharey=True)
    for ax in axes:
        ax.barh(range(5), range(1, 6))
        ax.set_xlabel("Coded segments (barriers to the left) in a label that is long")
    axes[0].set_yticks(range(5))
    axes[0].set_yticklabels([f"A long code name {i}" for i in range(5)], fontsize=8)
    fig.tight_layout()
    assert panels.narrow_layout(fig)
    fig.tight_layout()
    assert all("\n" in ax.get_xlabel() for ax in axes)
    fig.draw_without_rendering()
    assert fig.get_tightbbox(fig.canvas.get_renderer()).width <= panels.NARROW_WIDTH * 1.05
    plt.close(fig)
