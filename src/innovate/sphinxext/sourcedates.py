""" "Last updated" on each page is the date of the last commit of its source, not the build date.

Sphinx fills ``last_updated`` with the time of the build, so every rebuild of unchanged
text claimed the page had just been revised. This extension (registered in
``_config.yml``) replaces it with the committer date of the last commit that touched the
page's source file (``git log -1 --format=%cs -- FILE``), formatted with
``html_last_updated_fmt``. Where git or the repository is absent (a source archive), or
the file has never been committed, no date is shown: a page never carries a date that
depends on when or where it was built.
"""

from __future__ import annotations

import datetime
import subprocess
from functools import cache
from pathlib import Path


@cache
def commit_date(path: str) -> datetime.date | None:
    """Committer date of the last commit touching ``path``; None without git, repository or commit."""
    file = Path(path)
    try:
        done = subprocess.run(
            ["git", "log", "-1", "--format=%cs", "--", file.name],
            cwd=file.parent,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    text = done.stdout.strip()
    if done.returncode != 0 or not text:
        return None
    return datetime.date.fromisoformat(text)


def last_updated(path: str | None, fmt: str | None) -> str | None:
    """The text for "Last updated on ...", or None to show none."""
    if not path or fmt is None:
        return None
    date = commit_date(str(path))
    return None if date is None else date.strftime(fmt or "%d %B %Y")


def _page_context(app, pagename, templatename, context, doctree):
    source = app.env.doc2path(pagename) if pagename in app.env.all_docs else None
    context["last_updated"] = last_updated(source, app.config.html_last_updated_fmt)


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.sourcedates]``."""
    # After Sphinx's own handler, which sets the build time.
    app.connect("html-page-context", _page_context, priority=800)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
