"""Multi-panel figures legible on a phone: the narrow layout on small screens.

:func:`innovate.show.figures.glue_figure` glues a figure with more than one panel a row
twice: as drawn, under its name, and with the same panels one a row, under
:func:`innovate.show.figures.narrow_name`. This extension replaces MyST-NB's
``{glue:figure}`` directive with one that, when the narrow companion exists, writes the
figure's image as

    <picture><source media="screen and (max-width: 600px)" srcset="narrow.png"><img alt=... src="wide.png"></picture>

so the browser shows exactly one of the two images: the narrow one on a screen up to
600 px wide (a phone), the wide one on anything wider and in print (the PDF, ``innovate.pdf``,
prints with the print media type, which the ``screen`` condition excludes). The figure
keeps one caption, one name and one alt text (on the ``<img>``, which a ``<picture>``
always shows). Builders other than HTML get the wide image alone.
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote

from docutils import nodes
from myst_nb.core.variables import RetrievalError, render_variable_outputs
from myst_nb.ext.glue.directives import PasteFigureDirective
from myst_nb.ext.glue.utils import retrieve_glue_data
from sphinx.transforms.post_transforms import SphinxPostTransform

#: Screens this wide or narrower (CSS px) get the narrow layout; wider ones the figure as drawn.
NARROW_MEDIA = "screen and (max-width: 600px)"
#: Class of the ``<picture>`` element, for the book's styles and the browser gate.
PICTURE_CLASS = "narrow-figure"
#: The glue name suffix of a narrow layout (``innovate.show.figures.NARROW_SUFFIX``; not
#: imported, so that the Sphinx extension does not load matplotlib).
NARROW_SUFFIX = "__narrow"


class narrow_picture(nodes.General, nodes.Element):  # noqa: N801 - docutils names nodes in lower case
    """A figure's image (first child) with its narrow layout (second child)."""


def _first_image(nodes_list: list[nodes.Node]) -> nodes.image | None:
    for node in nodes_list:
        for image in node.findall(nodes.image):
            return image
    return None


class PasteResponsiveFigure(PasteFigureDirective):
    """MyST-NB's ``{glue:figure}``, with the narrow layout of the glued figure when there is one."""

    def run(self):
        result = super().run()
        figure = result[0] if result and isinstance(result[0], nodes.figure) else None
        wide = _first_image([figure]) if figure is not None else None
        if wide is None:
            return result
        try:
            data = retrieve_glue_data(self.document, self.arguments[0] + NARROW_SUFFIX)
        except RetrievalError:
            return result  # a figure with one panel a row has no narrow layout
        narrow = _first_image(render_variable_outputs([data], self.document, self.line, self.source))
        if narrow is None:
            return result
        narrow["alt"] = ""  # never shown as an <img>: the <source> of the wide image's <picture>
        picture = narrow_picture()
        wide.replace_self(picture)
        picture += wide
        picture += narrow
        return result


def image_uri(translator, image: nodes.image) -> str:
    """The address the HTML page uses for ``image`` (as Sphinx's ``visit_image`` computes it)."""
    uri = image["uri"]
    if uri in translator.builder.images:
        return posixpath.join(translator.builder.imgpath, quote(translator.builder.images[uri]))
    return uri


def visit_narrow_picture_html(translator, node: narrow_picture) -> None:
    wide, narrow = node.children
    translator.body.append(f'<picture class="{PICTURE_CLASS}">')
    translator.body.append(f'<source media="{NARROW_MEDIA}" srcset="{image_uri(translator, narrow)}" />')
    wide.walkabout(translator)
    translator.body.append("</picture>")
    raise nodes.SkipNode


class WideImageOnly(SphinxPostTransform):
    """Outside HTML a page has one size: the figure as drawn."""

    default_priority = 200

    def is_supported(self) -> bool:
        return self.app.builder.format != "html"

    def run(self, **kwargs) -> None:
        for picture in list(self.document.findall(narrow_picture)):
            picture.replace_self(picture.children[0])


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.narrowfigures]``."""
    app.setup_extension("myst_nb")
    app.add_node(narrow_picture, html=(visit_narrow_picture_html, None))
    app.add_directive_to_domain("glue", "figure", PasteResponsiveFigure, override=True)
    app.add_post_transform(WideImageOnly)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
