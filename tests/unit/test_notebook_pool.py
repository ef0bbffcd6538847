"""The pool of notebook executions (``innovate.notebooks``): each job runs with its own settings.

The determinism gate's second run differs from the first only by the environment its
kernels get (another hash seed, one BLAS thread), and the data-independence gate's by its
data folder; a pool that leaked one job's variables into the next would check nothing.
"""

from __future__ import annotations

import nbformat

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
