"""The data as a download: every HTML build writes the data package beside the pages.

When the build finishes without error, the synthetic case-level tables and the public
statistics, with the Frictionless ``datapackage.json`` generated from the schemas
(:func:`innovate.data.datapackage.write_archive`), are written to
``<html>/_downloads/innovate-data.zip``, where the data appendix links to them. The archive
is byte for byte the same for the same data. A build on the study's extract writes no
archive: real case-level data are never packaged, and the appendix says so.
"""

from __future__ import annotations

from pathlib import Path

from innovate.data import datapackage, paths

#: Builders whose output a reader browses (the PDF is printed from singlehtml).
HTML_BUILDERS = {"html", "dirhtml", "singlehtml"}


def write_download(outdir: Path) -> Path | None:
    """Write the archive under ``outdir``; None when the case data are not synthetic."""
    case = paths.case_data_dir()
    if not paths.is_synthetic(case):
        return None
    return datapackage.write_archive(case, paths.public_dir(), Path(outdir) / datapackage.DOWNLOAD_PATH)


def _build_finished(app, exception) -> None:
    if exception is None and app.builder.name in HTML_BUILDERS:
        write_download(Path(app.outdir))


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.datadownload]``."""
    app.connect("build-finished", _build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
