"""Validate the case-level data folder once, before any chapter runs (issue 12, item 5).

Without this a fault was found only when a chapter reached it: the costs chapter had
already run on faulty data, and an empty folder stopped the build after nearly three
minutes naming one file. At ``builder-inited`` - before any notebook executes - the
whole folder the book is pointed at (``INNOVATE_DATA_DIR``, by default the synthetic
set) goes through :func:`innovate.data.validate.validate_folder`, and the build stops
with the validator's full report when anything fails.

The report in the build log names file, column, row and rule but never a value (a value
may be a young person's identifier) nor the folder's absolute path. A folder that passed
is remembered by the checksum of its content, so an unchanged rebuild does not check it again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sphinx.errors import ExtensionError

#: Where the fingerprint of the last folder that passed is kept (next to the HTML folder).
STAMP_FILE = ".datacheck-passed"


class DataFolderError(ExtensionError):
    """The case-level data folder failed validation; the message is the whole report."""


def _fingerprint(folder: Path) -> str:
    from innovate.data.paths import reference_dir
    from innovate.sphinxext.buildinfo import data_fingerprint, sha256_file

    digest = hashlib.sha256()
    digest.update(data_fingerprint(folder).encode())
    digest.update(data_fingerprint(reference_dir()).encode())
    for path in sorted((Path(__file__).resolve().parents[1] / "data").glob("*.py")):
        digest.update(sha256_file(path).encode())
    return digest.hexdigest()


def build_report(folder: Path, limit: int = 20) -> tuple[bool, str]:
    """(passed, text) for ``folder``: the validator's report as the build log shows it."""
    from innovate.data.paths import DATA_DIR_VARIABLE
    from innovate.data.validate import format_problem, validate_folder

    report = validate_folder(folder, limit=limit)
    if report.ok:
        return True, f"case-level data: {len(report.rows)} files, {sum(report.rows.values()):,} rows, no problems"
    lines = [
        f"The case-level data folder (${DATA_DIR_VARIABLE}, or data/synthetic when it is not set) failed "
        f"validation: {report.count:,} problem(s). Nothing was built. Each line reads "
        "'file, column, row, value, rule: message'; values are withheld here, run "
        "`python -m innovate validate DIR` to see them.",
    ]
    lines += [format_problem(p, values=False).replace(str(folder), "DIR") for p in report.problems]
    return False, "\n".join(lines)


def check_data(app) -> None:
    """``builder-inited``: stop the build, with the full report, when the data folder fails."""
    from innovate.data.paths import case_data_dir

    folder = case_data_dir()
    stamp = Path(app.outdir).parent / STAMP_FILE
    fingerprint = _fingerprint(folder) if folder.is_dir() else ""
    if fingerprint and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == fingerprint:
        return
    passed, text = build_report(folder)
    if not passed:
        if stamp.is_file():
            stamp.unlink()
        raise DataFolderError(text)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(fingerprint + "\n", encoding="utf-8")


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.datacheck]``."""
    app.connect("builder-inited", check_data)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
