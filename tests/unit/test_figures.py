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
