""" "Last updated" is the source's commit date, and no date at all without git (issue #17 item 6)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from innovate.sphinxext import sourcedates


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_date_is_the_last_commit_of_the_file_not_today(tmp_path):
    env = {**os.environ, "GIT_AUTHOR_DATE": "2024-03-07T12:00:00Z", "GIT_COMMITTER_DATE": "2024-03-07T12:00:00Z"}
    env.update(
        GIT_AUTHOR_NAME="a",
        GIT_AUTHOR_EMAIL="a@example.org",
        GIT_COMMITTER_NAME="a",
        GIT_COMMITTER_EMAIL="a@example.org",
    )
    page = tmp_path / "chapter.md"
    page.write_text("# A\n")
    for command in (["init", "-q"], ["add", "chapter.md"], ["commit", "-q", "-m", "first"]):
        subprocess.run(["git", *command], cwd=tmp_path, env=env, check=True)
    page.write_text("# A, edited but not committed\n")
    assert sourcedates.last_updated(str(page), "%d %B %Y") == "07 March 2024"
    new = tmp_path / "new.md"
    new.write_text("never committed")
    assert sourcedates.last_updated(str(new), "%d %B %Y") is None


def test_no_repository_no_date(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    page = tmp_path / "page.md"
    page.write_text("text")
    assert sourcedates.last_updated(str(page), "%d %B %Y") is None
    assert sourcedates.last_updated(None, "%d %B %Y") is None


def test_no_git_no_date(tmp_path, monkeypatch):
    sourcedates.commit_date.cache_clear()
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the path
    page = tmp_path / "page2.md"
    page.write_text("text")
    assert sourcedates.last_updated(str(page), "%d %B %Y") is None
