"""The pool of notebook executions (``innovate.notebooks``): each job runs with its own settings.

The determinism gate's second run differs from the first only by the environment its
kernels get (another hash seed, one BLAS thread), and the data-independence gate's by its
data folder; a pool that leaked one job's variables into the next would check nothing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT
from innovate import notebooks

SHOW = "import os\nprint([os.environ.get(k) for k in ('PYTHONHASHSEED', 'OPENBLAS_NUM_THREADS', 'INNOVATE_DATA_DIR')])"


def notebook(path, code):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def printed(result) -> str:
    return "".join(o.get("text", "") for o in result.notebook.cells[0].outputs).strip()


def test_each_job_runs_with_its_own_environment_and_failures_are_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("INNOVATE_DATA_DIR", "/elsewhere")
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    show = notebook(tmp_path / "show.ipynb", SHOW)
    broken = notebook(tmp_path / "broken.ipynb", "raise ValueError('on purpose')")
    jobs = [
        notebooks.Job(show, {"PYTHONHASHSEED": "4021", "OPENBLAS_NUM_THREADS": "1"}, "second"),
        notebooks.Job(show, {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": None, "INNOVATE_DATA_DIR": None}, "first"),
        notebooks.Job(broken, {}, "broken"),
        notebooks.Job(show, {}, "inherited"),
    ]
    second, first, failed, inherited = notebooks.execute_jobs(jobs, processes=1, timeout=120)
    assert printed(second) == "['4021', '1', '/elsewhere']"
    assert printed(first) == "['0', None, None]"  # nothing of the previous job on that worker survives
    assert printed(inherited) == "['0', None, '/elsewhere']"
    assert second.error is None and first.error is None
    assert failed.error is not None and "on purpose" in failed.error

    written = notebooks.write_executed([first, failed], tmp_path, tmp_path / "out")
    ready = notebooks.read_executed(tmp_path, written)
    assert list(ready) == [show.resolve()]  # a failed execution is never taken for a good one


def test_jobs_start_from_the_environment_they_are_given_not_the_one_set_meanwhile(tmp_path, monkeypatch):
    # The test session's background executes while foreground tests set variables for themselves.
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    started_with = {**os.environ, "INNOVATE_DATA_DIR": "/as-the-session-started"}
    monkeypatch.setenv("INNOVATE_DATA_DIR", "/set-by-a-test-meanwhile")
    show = notebook(tmp_path / "show.ipynb", SHOW)
    (done,) = notebooks.execute_jobs([notebooks.Job(show)], processes=1, timeout=120, environ=started_with)
    assert printed(done) == "['0', None, '/as-the-session-started']"


def test_output_comparison_follows_nbval_rules(tmp_path):
    patterns = notebooks.sanitize_patterns(ROOT / "tests" / "nbval-sanitize.cfg")

    def nb(*outputs, tags=()):
        cell = nbformat.v4.new_code_cell("x", execution_count=1, outputs=list(outputs))
        cell.metadata["tags"] = list(tags)
        book = nbformat.v4.new_notebook()
        book.cells = [nbformat.v4.new_markdown_cell("prose"), cell]
        return book

    text = nbformat.v4.new_output
    a = nb(text("stream", name="stdout", text="took 0x7f00aa11bb22 in 3.2 s\n"))
    b = nb(
        text("stream", name="stdout", text="took 0x7f00aa11bb99 "),
        text("stream", name="stdout", text="in 9 s\n"),
    )
    assert notebooks.output_differences(a, b, patterns, "t") == []  # sanitized, coalesced
    png = nb(text("display_data", data={"image/png": "AAAA", "text/plain": "<Figure>"}))
    other_png = nb(text("display_data", data={"image/png": "BBBB", "text/plain": "<Figure>"}))
    assert notebooks.output_differences(png, other_png, patterns, "t") == []
    changed = nb(text("execute_result", data={"text/plain": "0.957"}, execution_count=1))
    committed = nb(text("execute_result", data={"text/plain": "0.958"}, execution_count=1))
    assert notebooks.output_differences(changed, committed, patterns, "t") == [
        "t: cell 1 outputs differ from the committed ones (text/plain)"
    ]
    ignored = nb(text("execute_result", data={"text/plain": "0.958"}), tags=["nbval-ignore-output"])
    assert notebooks.output_differences(changed, ignored, patterns, "t") == []
    missing = nb()
    assert notebooks.output_differences(changed, missing, patterns, "t") != []


def test_a_cancelled_pool_leaves_no_worker_or_kernel_behind(tmp_path):
    # What happens when a test session ends early (Ctrl-C, -x, a failure): pytest_unconfigure
    # closes the background executions, which must kill the running kernels, not wait for them.
    started_file = tmp_path / "kernel.pid"
    code = (
        f"import os, time\nwith open({str(started_file)!r}, 'w') as f:\n    f.write(str(os.getpid()))\ntime.sleep(600)"
    )
    slow = notebook(tmp_path / "slow.ipynb", code)
    jobs = [notebooks.Job(slow), notebooks.Job(slow)]
    background = notebooks.Background(lambda stop: notebooks.execute_jobs(jobs, processes=1, timeout=900, stop=stop))
    deadline = time.monotonic() + 120
    while not (started_file.exists() and started_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    kernel = int(started_file.read_text())
    # This pool's worker (the kernel's parent) and everything below it; other pools of this
    # process (a full session runs the book's in the background) are not this test's.
    worker = parent(kernel)
    assert worker in notebooks.descendants(os.getpid())
    below = [worker, *notebooks.descendants(worker)]
    assert kernel in below
    closing = time.monotonic()
    background.close()
    assert time.monotonic() - closing < 30, "closing waited for the running notebook"
    with pytest.raises(RuntimeError, match="stopped before they finished"):
        background.result()
    assert [(p, command_line(p)) for p in below if notebooks._alive(p)] == []


def parent(pid: int) -> int:
    stat = (Path("/proc") / str(pid) / "stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_the_jobs_asked_for_first_start_first_each_group_slowest_first(tmp_path):
    """The test session runs the other data's executions first, so that the book built from
    them can start while the second run goes on."""
    (tmp_path / "_build").mkdir()
    seconds = {"second": {"notebooks/a": 5.0, "notebooks/b": 30.0, "notebooks/c": 12.0}}
    (tmp_path / "_build" / "test-executions.json").write_text(json.dumps(seconds))
    jobs = [
        notebooks.Job(tmp_path / "notebooks" / f"{name}.ipynb", {}, label)
        for name, label in (("a", "second"), ("b", "second"), ("c", "second"), ("a", "other"), ("c", "other"))
    ]
    order = notebooks.start_order(jobs, lambda job: job.label == "other", root=tmp_path)
    assert [(job.path.stem, job.label) for job in order] == [
        ("c", "other"),
        ("a", "other"),
        ("b", "second"),
        ("c", "second"),
        ("a", "second"),
    ]
    assert notebooks.start_order(jobs, root=tmp_path) == notebooks.longest_first(jobs, tmp_path)
