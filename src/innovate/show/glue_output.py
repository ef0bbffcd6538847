"""The output a glued value is written as (what ``myst_nb.glue`` writes), on its own.

Apart from :mod:`innovate.show.glue` so that a module that only hands figures to the
prose (:mod:`innovate.show.figures`) does not import the study layer through ``glue``'s
estimand check: the execution cache keys each chapter on the modules it imports.
"""

from __future__ import annotations

#: Output metadata key that carries a glued value's estimand into the claims file.
ESTIMAND_METADATA = "innovate_estimand"

#: The MIME prefix of a glued value that is not displayed where it is computed
#: (``myst_nb.ext.glue.GLUE_PREFIX``; a unit test keeps the two equal).
GLUE_PREFIX = "application/papermill.record/"


def display_glued(name: str, value, display: bool = False, estimand: str | None = None) -> None:
    """Emit the output ``myst_nb.glue`` emits, optionally with the value's estimand.

    Written out here, not imported: ``myst_nb.glue`` imports nbformat and with it jsonschema,
    whose format checkers build a grammar on import (about 1.6 s in every kernel that glues,
    twice per chapter in a test session). MyST-NB keeps the whole output, metadata
    included, in the build's glue data, so the estimand reaches the claims file.
    """
    from IPython.core.formatters import format_display_data
    from IPython.display import display as ipy_display

    mimebundle, metadata = format_display_data(value)
    prefix = "" if display else GLUE_PREFIX
    metadata["scrapbook"] = {"name": name, "mime_prefix": prefix}
    if estimand is not None:
        metadata[ESTIMAND_METADATA] = estimand
    ipy_display({prefix + k: v for k, v in mimebundle.items()}, raw=True, metadata=metadata)
