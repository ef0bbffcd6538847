"""innovate.sphinxext.narrowfigures on a tiny Sphinx project: one glued figure with a
narrow layout, one without."""

from __future__ import annotations

import base64
import io
import re

import nbformat
import pytest
from PIL import Image

from innovate.show import figures
from innovate.sphinxext import narrowfigures

GLUE_PREFIX = "application/papermill.record/"


def png(colour: str, size: tuple[int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def glued(name: str, image: str, text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output(
        "display_data",
        data={GLUE_PREFIX + "image/png": image, GLUE_PREFIX + "text/plain": text},
        metadata={"scrapbook": {"name": name, "mime_prefix": GLUE_PREFIX}},
    )


FIGURE = """```{{glue:figure}} {name}
:alt: {alt}
:name: fig-{name}

{caption}
```
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from sphinx.application import Sphinx

    src = tmp_path_factory.mktemp("src")
    (src / "conf.py").write_text(
        "extensions = ['myst_nb', 'innovate.sphinxext.narrowfigures']\n"
        "nb_execution_mode = 'off'\nexclude_patterns = ['_build']\n"
    )
    code = nbformat.v4.new_code_cell("glue_figure(...)")
    code.outputs = [
        glued("panels", png("red", (90, 30)), "<figure 90x30 px, 3 panels a row, content 0123456789abcdef>"),
        glued(figures.narrow_name("panels"), png("blue", (30, 90)), "<figure 30x90 px, content fedcba9876543210>"),
        glued("single", png("green", (40, 30)), "<figure 40x30 px, content 00112233aabbccdd>"),
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Page"),
        code,
        nbformat.v4.new_markdown_cell(FIGURE.format(name="panels", alt="Three panels.", caption="Wide caption.")),
        nbformat.v4.new_markdown_cell(FIGURE.format(name="single", alt="One panel.", caption="Single caption.")),
    ]
    nbformat.write(nb, src / "index.ipynb")
    out = {}
    for builder in ("html", "latex"):
        outdir = src / "_build" / builder
        app = Sphinx(str(src), str(src), str(outdir), str(src / "_build" / "doctrees" / builder), builder, status=None)
        app.build()
        assert app.statuscode == 0
        out[builder] = outdir
    return out


def image_bytes(outdir, src: str) -> bytes:
    return (outdir / src).read_bytes()


def test_the_narrow_companion_is_the_glue_name_with_the_suffix():
    assert figures.narrow_name("x_fig") == "x_fig" + narrowfigures.NARROW_SUFFIX


def test_a_multi_panel_figure_is_a_picture_with_its_narrow_layout_for_small_screens(built):
    page = (built["html"] / "index.html").read_text()
    pictures = re.findall(r"<picture[^>]*>.*?</picture>", page, flags=re.S)
    assert len(pictures) == 1
    picture = pictures[0]
    source = re.search(r'<source media="([^"]+)" srcset="([^"]+)"', picture)
    assert source and source.group(1) == narrowfigures.NARROW_MEDIA
    imgs = re.findall(r"<img [^>]*>", picture)
    assert len(imgs) == 1 and 'alt="Three panels."' in imgs[0]
    wide_src = re.search(r'src="([^"]+)"', imgs[0]).group(1)
    # the wide image is the red one as glued, the narrow one the blue one
    assert Image.open(built["html"] / wide_src).size == (90, 30)
    assert Image.open(built["html"] / source.group(2)).size == (30, 90)
    # one figure, one caption, one alt text
    figure = re.search(r'<figure[^>]*id="fig-panels".*?</figure>', page, flags=re.S).group(0)
    assert figure.count("<img") == 1 and figure.count("<figcaption") == 1 and "Wide caption." in figure


def test_a_single_panel_figure_stays_a_plain_image(built):
    page = (built["html"] / "index.html").read_text()
    figure = re.search(r'<figure[^>]*id="fig-single".*?</figure>', page, flags=re.S).group(0)
    assert "<picture" not in figure and figure.count("<img") == 1 and 'alt="One panel."' in figure


def test_other_builders_get_the_wide_figure_alone(built):
    tex = next(built["latex"].glob("*.tex")).read_text()
    included = re.findall(r"\\sphinxincludegraphics(?:\[[^]]*\])?\{\{([^}]+)\}", tex)
    assert len(included) == 2, included
    sizes = sorted(Image.open(next(built["latex"].glob(name + ".*"))).size for name in included)
    assert sizes == [(40, 30), (90, 30)]  # the single figure and the wide one; never the narrow (30x90)
