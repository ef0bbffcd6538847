"""One house style for every figure in the book.

Colour-blind-safe palette (Okabe and Ito), sizes that fit the book's text column, a
visible watermark on anything drawn from synthetic data, and a single way of handing a
figure to a chapter (``glue_figure``) so that alt text is always supplied where the
figure is placed.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from typing import Any

import matplotlib
import numpy as np

from innovate.data import paths
from innovate.show import panels
from innovate.show.glue_output import display_glued

matplotlib.use("Agg")  # the book renders figures to files; no screen is assumed

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import Collection  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.image import AxesImage, imsave  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.rcsetup import cycler  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from matplotlib.typing import RcKeyType  # noqa: E402

#: Okabe-Ito palette, distinguishable under the common colour-vision deficiencies.
PALETTE: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
#: Order in which series take colours (yellow last: weak contrast on white).
CYCLE: list[str] = [
    PALETTE[k]
    for k in ("blue", "orange", "bluish_green", "vermillion", "reddish_purple", "sky_blue", "black", "yellow")
]
#: One marker per series so that colour is never the only cue.
MARKERS: list[str] = ["o", "s", "^", "D", "v", "P", "X", "*"]

#: Widths in inches: the text column and a wide figure.
WIDTH = {"text": 6.5, "wide": 8.5}

SYNTHETIC_LABEL = "Synthetic data - illustrative"
SYNTHETIC_CAPTION_PREFIX = "Synthetic data (illustrative, not findings about a named organisation)."

_STYLE: dict[RcKeyType, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "svg.hashsalt": "innovate",  # deterministic SVG ids
    "axes.prop_cycle": cycler(color=CYCLE),
}


def apply_style() -> None:
    """Set the house style for every figure drawn after the call."""
    plt.rcParams.update(_STYLE)


def new_figure(width: str = "text", aspect: float = 0.6, nrows: int = 1, ncols: int = 1, **kwargs):
    """A figure and axes in the house style; ``width`` is 'text' or 'wide'."""
    apply_style()
    w = WIDTH[width]
    fig, axes = plt.subplots(nrows, ncols, figsize=(w, w * aspect), **kwargs)
    return fig, axes


def colours(n: int) -> list[str]:
    """The first ``n`` colours of the house cycle (repeats past eight)."""
    return [CYCLE[i % len(CYCLE)] for i in range(n)]


def watermark(fig: Figure, label: str = SYNTHETIC_LABEL) -> Figure:
    """Stamp a figure drawn from synthetic data so that it cannot be mistaken for findings."""
    fig.text(
        0.5,
        0.5,
        label,
        transform=fig.transFigure,
        ha="center",
        va="center",
        rotation=20,
        fontsize=22,
        color="#7f7f7f",
        alpha=0.25,
        zorder=100,
    )
    fig.text(0.99, 0.005, label, ha="right", va="bottom", fontsize=8, color="#444444")
    fig._innovate_synthetic = True  # type: ignore[attr-defined]  # a mark read by tests and by glue_figure
    return fig


def is_watermarked(fig: Figure) -> bool:
    return bool(getattr(fig, "_innovate_synthetic", False))


def synthetic_caption(caption: str) -> str:
    """Caption text with the synthetic-data prefix every such figure and table carries."""
    return f"{SYNTHETIC_CAPTION_PREFIX} {caption}"


#: Caption prefix of results from the study's own case-level extract.
EXTRACT_CAPTION_PREFIX = "The study's case-level records."


def case_evidence_caption() -> str:
    """The caption prefix for a result from the case-level data, by the data folder's
    evidence status (:func:`innovate.data.paths.evidence_status`, the one place it is
    decided): the synthetic-data label, or the extract's."""
    return SYNTHETIC_CAPTION_PREFIX if paths.is_synthetic() else EXTRACT_CAPTION_PREFIX


def case_caption(caption: str) -> str:
    """Caption text for a table or figure from the case-level data (see :func:`case_evidence_caption`)."""
    return f"{case_evidence_caption()} {caption}"


#: A figure's content is compared at the resolution a reader sees: positions in whole
#: pixels of the rendered image, image data to three significant digits.
FINGERPRINT_DIGITS = 3


#: Decimal places a value is snapped to before it is rounded to a whole pixel.
SNAP_DECIMALS = 6


def _whole(array: np.ndarray) -> np.ndarray:
    """Whole pixels, the same on every CPU. A position that is exactly half a pixel in exact
    arithmetic (an edge or a centred text at k + 0.5) comes out a hair either side of it as
    the BLAS kernels change, and plain rounding then goes up on one CPU and down on another
    (it did, for the outcomes chapter's narrow forest plot under OPENBLAS_CORETYPE=Prescott).
    Snapped first to a millionth of a pixel, it is exactly k + 0.5 everywhere, and rounds
    the same way (to even)."""
    return np.round(np.round(array, SNAP_DECIMALS))


def _feed(digest, tag: str, values) -> None:
    array = np.asarray(values, dtype=float)
    array = np.where(np.isfinite(array), _whole(array), -(2.0**53))  # NaN and inf as one marker
    digest.update(tag.encode("utf-8"))
    digest.update(np.ascontiguousarray(array, dtype=np.int64).tobytes())


def figure_fingerprint(fig: Figure, drawn: bool = False) -> str:
    """A digest of what a reader can see in a figure: every visible text with its
    position, and every line, marker, bar, area and image, at whole-pixel resolution (of
    the figure's dpi: :class:`RenderedFigure` sets the PNG's).

    The bytes of a PNG change when the last bits of a plotted value do (for example when
    the CPU's BLAS kernel changes), although not one pixel a reader could notice moves;
    this digest does not. Tests and the claims file compare figures by it, not by bytes.
    ``drawn=True`` says the figure's canvas has just been drawn as it is (as
    :class:`RenderedFigure` draws it), so its layout is read, not made again.
    """
    # Tick labels and layout exist only once the figure is drawn; a draw without rendering
    # lays everything out exactly as a full draw does, without rasterising.
    if not drawn:
        fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # the Agg canvas the book draws on
    digest = hashlib.sha256()
    _feed(digest, "size", np.asarray(fig.get_size_inches()) * fig.dpi)
    for artist in fig.findobj():
        if not artist.get_visible():
            continue
        if isinstance(artist, Text):
            text = artist.get_text()
            if text:
                digest.update(b"text" + text.encode("utf-8"))
                box = artist.get_window_extent(renderer)  # pixels, whatever the data's units
                _feed(digest, "at", [box.x0, box.y0, box.x1, box.y1])
        elif isinstance(artist, Line2D):
            _feed(digest, "line", artist.get_transform().transform(artist.get_xydata()))
        elif isinstance(artist, Collection):
            offsets = np.asarray(artist.get_offsets())
            if len(offsets):
                _feed(digest, "offsets", artist.get_offset_transform().transform(offsets))
            for path in artist.get_paths():
                if len(np.asarray(path.vertices)):
                    _feed(digest, "path", artist.get_transform().transform(path.vertices))
        elif isinstance(artist, Patch):
            vertices = np.asarray(artist.get_path().vertices)
            if len(vertices):
                _feed(digest, "patch", artist.get_transform().transform(vertices))
        elif isinstance(artist, AxesImage):
            data: np.ndarray = np.ma.filled(np.ma.asarray(artist.get_array(), dtype=float), np.nan)
            scale = 10.0 ** (FINGERPRINT_DIGITS - 1 - np.floor(np.log10(np.nanmax(np.abs(data)) or 1.0)))
            _feed(digest, "image", data * scale)
    return digest.hexdigest()[:16]


#: No timestamps or software versions in a PNG: the same figure gives the same bytes.
PNG_METADATA: dict[str, Any] = {"Software": None}


def _tight_box(fig: Figure) -> Bbox:
    """What ``savefig(bbox_inches="tight")`` crops to, in inches, from the last layout: the
    tight box of everything drawn, padded by ``savefig.pad_inches`` as savefig pads it."""
    box = fig.get_tightbbox(fig.canvas.get_renderer())  # type: ignore[attr-defined]  # Agg canvas
    pad = matplotlib.rcParams["savefig.pad_inches"]
    return box.padded(pad, pad)


def _png_as_laid_out(fig: Figure, dpi: int) -> bytes:
    """The figure as a PNG at ``dpi``, cropped as ``bbox_inches="tight"`` crops it, rendered
    by savefig from the last layout (the layout engine held off, as matplotlib holds it off
    for that draw). Used when something is drawn outside the figure, which only a render of
    the tight box itself shows."""
    box = _tight_box(fig)
    engine = fig.get_layout_engine()
    buffer = io.BytesIO()
    fig.set_layout_engine("none")
    try:
        fig.savefig(buffer, format="png", dpi=dpi, metadata=PNG_METADATA, bbox_inches=box)
    finally:
        fig.set_layout_engine(engine)
    return buffer.getvalue()


def _png_from_canvas(fig: Figure, dpi: int) -> bytes:
    """The figure as a PNG, cut from its canvas just drawn at ``dpi``: the tight box of
    everything drawn, padded by ``savefig.pad_inches`` (the background colour where the pad
    reaches past the canvas), as ``savefig(bbox_inches="tight")`` frames it, to the nearest
    whole pixel.

    ``savefig(bbox_inches="tight")`` lays the figure out and draws it twice more (once to
    find the box, once to render it), and the text is measured again on each new renderer:
    most of a chapter's figure time. Cutting the canvas the fingerprint has just read costs
    none of that. Something drawn past the figure's edge is on no canvas, so then the box is
    rendered by savefig (:func:`_png_as_laid_out`).
    """
    canvas = fig.canvas
    content = fig.get_tightbbox(canvas.get_renderer())  # type: ignore[attr-defined]  # Agg canvas
    width, height = canvas.get_width_height()
    (left, bottom), (right, top) = np.asarray(content.get_points()) * dpi
    if left < 0 or bottom < 0 or right > width or top > height:
        return _png_as_laid_out(fig, dpi)
    pad = matplotlib.rcParams["savefig.pad_inches"]
    box = content.padded(pad, pad)
    columns, rows = int(box.width * dpi), int(box.height * dpi)
    x0, y0 = round(box.x0 * dpi), round(height - box.y1 * dpi)  # the image's rows run downwards
    background = np.round(np.asarray(to_rgba(fig.get_facecolor())) * 255)
    image = np.empty((rows, columns, 4), dtype=np.uint8)
    image[:] = background.astype(np.uint8)
    drawn = np.asarray(canvas.buffer_rgba())  # type: ignore[attr-defined]  # Agg canvas
    top_row, left_column = max(y0, 0), max(x0, 0)
    bottom_row, right_column = min(y0 + rows, height), min(x0 + columns, width)
    image[top_row - y0 : bottom_row - y0, left_column - x0 : right_column - x0] = drawn[
        top_row:bottom_row, left_column:right_column
    ]
    buffer = io.BytesIO()
    imsave(buffer, image, format="png", origin="upper", dpi=dpi, metadata=PNG_METADATA)
    return buffer.getvalue()


class RenderedFigure:
    """A figure rendered once to PNG, displayed the same way whatever matplotlib backend is active.

    Gluing a matplotlib Figure directly depends on the kernel's inline backend having
    registered an image formatter; with a non-interactive backend only its text repr is
    stored and the book silently loses the picture. Rendering here makes the PNG explicit.
    Its text form carries the figure's fingerprint (:func:`figure_fingerprint`), which is
    what notebook tests and the claims file compare: the PNG's bytes are not reproducible
    across CPUs, what it shows is. A figure with more than one panel a row says how many
    (the book offers it again, one panel a row, for small screens: :func:`glue_figure`).
    """

    def __init__(self, fig: Figure, dpi: int = 110):
        # The figure is laid out and rendered once, at the PNG's resolution: the fingerprint
        # reads that layout and the PNG is cut from that canvas.
        shown_dpi = fig.get_dpi()
        fig.set_dpi(dpi)
        try:
            fig.canvas.draw()
            self.fingerprint = figure_fingerprint(fig, drawn=True)
            self.png = _png_from_canvas(fig, dpi)
        finally:
            fig.set_dpi(shown_dpi)
        self.per_row = panels.panels_per_row(fig)
        self.synthetic = is_watermarked(fig)
        width, height = fig.get_size_inches()
        self.size = (round(width * dpi), round(height * dpi))

    def _repr_png_(self) -> bytes:
        return self.png

    def __repr__(self) -> str:
        layout = f", {self.per_row} panels a row" if self.per_row > 1 else ""
        label = ", synthetic data" if self.synthetic else ""
        return f"<figure {self.size[0]}x{self.size[1]} px{layout}{label}, content {self.fingerprint}>"


#: Suffix of the glue name under which a multi-panel figure's narrow layout is glued.
NARROW_SUFFIX = "__narrow"


def narrow_name(name: str) -> str:
    """The glue name of the narrow layout of the figure glued as ``name``."""
    return name + NARROW_SUFFIX


def glue_figure(name: str, fig: Figure, synthetic: bool = False) -> None:
    """Hand a figure to the chapter (placed with ``{glue:figure}`` and its ``:alt:``).

    ``synthetic=True`` adds the watermark, so the label cannot be forgotten. A figure with
    more than one panel a row is glued a second time, its same panels one a row
    (:func:`innovate.show.panels.narrow_layout`), under :func:`narrow_name`: the book shows
    that one on a phone (:mod:`innovate.sphinxext.narrowfigures`). Both are the same
    figure, so the narrow one carries the watermark exactly when the wide one does. The
    figure is closed afterwards; nothing is displayed where the code runs.
    """
    if synthetic and not is_watermarked(fig):
        watermark(fig)
    constrained = fig.get_constrained_layout()
    if not constrained:
        fig.tight_layout()
    display_glued(name, RenderedFigure(fig), display=False)
    if panels.narrow_layout(fig):
        if not constrained:
            fig.tight_layout()
        display_glued(narrow_name(name), RenderedFigure(fig), display=False)
    plt.close(fig)


def glue_case_figure(name: str, fig: Figure) -> None:
    """:func:`glue_figure` for a figure drawn from the case-level data: watermarked exactly
    when the data folder is synthetic."""
    glue_figure(name, fig, synthetic=paths.is_synthetic())


def line_chart(
    frame,
    x: str,
    y: str,
    series: str,
    ax=None,
    order: Iterable[str] | None = None,
    labels: dict[str, str] | None = None,
):
    """Lines with markers, one per value of ``series``, from a tidy long frame."""
    if ax is None:
        _, ax = new_figure()
    keys = list(order) if order is not None else list(dict.fromkeys(frame[series]))
    for i, key in enumerate(keys):
        part = frame[frame[series] == key].sort_values(x)
        ax.plot(
            part[x],
            part[y],
            marker=MARKERS[i % len(MARKERS)],
            color=CYCLE[i % len(CYCLE)],
            label=(labels or {}).get(key, key),
        )
    return ax
