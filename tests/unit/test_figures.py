"""Figures are compared by what a reader can see (their fingerprint), not by PNG bytes."""

from __future__ import annotations

import numpy as np

from innovate.show import figures


def drawn(ys, title="A title", bars=(3.0, 4.0), image=None):
    fig, ax = figures.new_figure()
    ax.plot([1, 2, 3], ys, marker="o")
    ax.bar([1, 2], bars)
    ax.set_title(title)
    if image is not None:
        ax.imshow(image)
    return fig


def test_a_change_no_pixel_shows_leaves_the_fingerprint_unchanged():
    base = figures.figure_fingerprint(drawn([1.0, 4.0, 9.0]))
    assert figures.figure_fingerprint(drawn([1.0, 4.0, 9.0 + 1e-9])) == base
    assert figures.figure_fingerprint(drawn([1.0, 4.0, 9.0], bars=(3.0, 4.0 + 1e-10))) == base


def test_a_half_pixel_rounds_the_same_way_whatever_the_last_bits():
    """423.5 computed by one BLAS kernel and by another: the same whole pixel (plain rounding
    gave 423 and 424, and the outcomes chapter's fingerprint moved on another CPU)."""
    below, above = np.nextafter(423.5, 0.0), np.nextafter(423.5, 1000.0)
    assert np.round(below) != np.round(above)  # the problem
    assert figures._whole(np.array([below, 423.5, above])).tolist() == [424.0, 424.0, 424.0]
    assert figures._whole(np.array([422.5 - 1e-12, 422.5 + 1e-12])).tolist() == [422.0, 422.0]
    assert figures._whole(np.array([3.4999, 3.5001, -2.7])).tolist() == [3.0, 4.0, -3.0]


def test_a_change_a_reader_sees_changes_the_fingerprint():
    base = figures.figure_fingerprint(drawn([1.0, 4.0, 9.0]))
    assert figures.figure_fingerprint(drawn([1.0, 4.0, 9.5])) != base
    assert figures.figure_fingerprint(drawn([1.0, 4.0, 9.0], title="Another title")) != base
    assert figures.figure_fingerprint(drawn([1.0, 4.0, 9.0], bars=(3.0, 5.0))) != base
    heat = np.array([[0.10, 0.20], [0.30, 0.40]])
    with_image = figures.figure_fingerprint(drawn([1.0, 4.0, 9.0], image=heat))
    assert figures.figure_fingerprint(drawn([1.0, 4.0, 9.0], image=heat + 1e-12)) == with_image
    assert figures.figure_fingerprint(drawn([1.0, 4.0, 9.0], image=heat * 2)) != with_image


def test_a_rendered_figure_shows_its_fingerprint_in_its_text_form():
    fig = figures.watermark(drawn([1.0, 4.0, 9.0]))
    rendered = figures.RenderedFigure(fig)
    assert rendered.png.startswith(b"\x89PNG")
    assert repr(rendered).endswith(f", synthetic data, content {rendered.fingerprint}>")
    assert len(rendered.fingerprint) == 16


def _pixels(png: bytes) -> np.ndarray:
    import io

    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def _tight_png(fig, dpi=110) -> bytes:
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    return buffer.getvalue()


def _figure(layout: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.2), layout=layout)
    for ax in axes:
        ax.plot([2015, 2020, 2024], [310.0, 295.5, 330.25], marker="o", label="Referrals per 10,000")
        ax.set_title("Children in need, a long title that reaches the edge")
    # A legend outside the axes: the tight box must reach it, as savefig's does.
    axes[1].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("Two panels")
    return fig


def test_a_figure_drawn_past_its_edge_is_rendered_as_savefig_tight_renders_it():
    """A title reaching past the figure's edge is on no canvas: RenderedFigure then renders
    the tight box with savefig, from the one layout, and the pixels are those of
    ``savefig(bbox_inches="tight")``, for either layout engine; the figure is left as it was."""
    import matplotlib.pyplot as plt

    for layout in ("constrained", "none"):
        fig = _figure(layout)
        if layout == "none":
            fig.tight_layout()
        engine, dpi = fig.get_layout_engine(), fig.get_dpi()
        rendered = figures.RenderedFigure(fig)
        assert fig.get_layout_engine() is engine and fig.get_dpi() == dpi
        fresh = _figure(layout) if layout == "constrained" else fig
        expected = _pixels(_tight_png(fresh))
        plt.close(fig)
        plt.close(fresh)
        assert _pixels(rendered.png).shape == expected.shape, layout
        assert np.array_equal(_pixels(rendered.png), expected), layout


def _inside_figure(layout: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.2), layout=layout)
    for ax in axes:
        ax.plot([2015, 2020, 2024], [310.0, 295.5, 330.25], marker="o", label="Referrals")
        ax.set_title("Children in need")
    axes[1].legend()
    fig.suptitle("Two panels")
    figures.watermark(fig)
    if layout == "none":
        fig.tight_layout()
    return fig


def test_a_figure_inside_its_edges_is_cut_from_its_one_render_framed_as_savefig_tight_frames_it():
    """Everything inside the figure: the PNG is cut from the canvas drawn once, and it is
    exactly what savefig renders for the tight box moved to whole pixels (so the cut is
    neither shifted nor flipped), the same size as ``savefig(bbox_inches="tight")``."""
    import io

    import matplotlib.pyplot as plt
    from matplotlib.transforms import Bbox

    dpi = 110
    for layout in ("constrained", "none"):
        fig = _inside_figure(layout)
        rendered = figures.RenderedFigure(fig, dpi=dpi)
        assert _pixels(rendered.png).shape == _pixels(_tight_png(_inside_figure(layout), dpi)).shape, layout
        fig.set_dpi(dpi)
        fig.canvas.draw()
        cut = _pixels(figures._png_from_canvas(fig, dpi))
        box = figures._tight_box(fig)
        _, height = fig.canvas.get_width_height()
        rows, columns = cut.shape[:2]
        left, top = round(box.x0 * dpi), round(height - box.y1 * dpi)
        whole = Bbox.from_bounds(left / dpi, (height - top - rows) / dpi, (columns + 1e-6) / dpi, (rows + 1e-6) / dpi)
        fig.set_layout_engine("none")
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches=whole)
        plt.close("all")
        assert np.array_equal(cut, _pixels(buffer.getvalue())), layout


def test_the_pad_past_the_canvas_is_the_figure_background():
    """A tight box within a pad of the edge: the pad beyond the canvas is the figure's colour."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained", facecolor="#fdf6e3")
    ax.plot([0, 1], [0, 1])
    rendered = _pixels(figures.RenderedFigure(fig).png)
    plt.close(fig)
    corner = rendered[0, 0]
    assert tuple(corner) == (0xFD, 0xF6, 0xE3, 255)
