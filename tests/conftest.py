"""Shared fixtures: the book is executed and built once per test session and shared by the gates.

How a full run (``make test``) spends the machine's cores
    The gates need the book executed several ways: as ``make book`` runs it (the build,
    browser, claims, prose-number and disclosure gates read that one build), a second time
    with another hash seed and one BLAS thread (the determinism gate) and once on another
    synthetic data set (the data-independence gate). All of these executions are notebook
    executions, not Sphinx builds; they are queued, slowest notebook first, on one pool of
    processes (:func:`innovate.notebooks.execute_jobs`) that starts in the background as soon
    as the tests are collected. Meanwhile the unit tests and nbval run in the foreground, and
    the tests that need the executions are moved to the end of the session.

    The book build itself (``built_book``) takes the outputs of the clean default-settings
    executions of that pool for every notebook its execution cache lacks (they are the same
    executions ``make book`` would run: same settings, same inputs, from the source), and
    Sphinx then renders from the cache. The data-independence gate builds its book the same
    way from the executions on the other data.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Seed of the second synthetic data set of the data-independence gate (not the committed one's).
OTHER_SEED = 7
#: Where each execution writes the tables it protected (read by the disclosure gate's ACRO check).
EXPORT_VARIABLE = "INNOVATE_DISCLOSURE_EXPORT"
#: The gates that need the book's executions, by module; they run at the end of the session.
EXECUTION_GATES = ("test_determinism.py", "test_data_independence.py")
#: The environment of a clean execution as ``make book`` runs it (None: variable removed).
DEFAULT_RUN = {
    "MPLBACKEND": "Agg",
    "PYTHONHASHSEED": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "OPENBLAS_NUM_THREADS": None,
    "INNOVATE_DATA_DIR": None,
}
#: The determinism gate's second run: another hash seed, another BLAS summation order.
SECOND_RUN = {**DEFAULT_RUN, "PYTHONHASHSEED": "4021", "OPENBLAS_NUM_THREADS": "1"}


@dataclass(frozen=True)
class BuiltBook:
    html: Path
    log: str
    returncode: int


def build_book(
    root: Path = ROOT,
    extra_env: dict[str, str] | None = None,
    path_output: Path | None = None,
    executed: Path | None = None,
) -> BuiltBook:
    """Run the same strict build as `make book` and capture its log.

    As ``make book``: the notebooks the execution cache lacks are executed in parallel
    (``python -m innovate.notebooks cache``; taken from ``executed`` when given), then
    Jupyter Book renders from the cache.
    """
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", **(extra_env or {})}
    out = [] if path_output is None else ["--path-output", str(path_output)]
    fill = [sys.executable, "-m", "innovate.notebooks", "cache", *out]
    if executed is not None:
        fill += ["--executed", str(executed)]
    out_root = path_output if path_output is not None else root
    html = out_root / "_build" / "html"
    filled = subprocess.run(fill, cwd=root, env=env, capture_output=True, text=True, timeout=3600)
    if filled.returncode != 0:
        return BuiltBook(html=html, log=filled.stdout + filled.stderr, returncode=filled.returncode)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(root), "--builder", "html", "-W", "-n", "--keep-going", *out]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=1800)
    return BuiltBook(html=html, log=done.stdout + done.stderr, returncode=done.returncode)


# ---------------------------------------------------------------------------------------
# The book's executions, in the background
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BookExecutions:
    """Executed notebooks of the session, one folder per run (``first``, ``second``, ``other``)."""

    folder: Path
    notebooks: list[Path]
    synthesized: subprocess.CompletedProcess
    other_data: Path
    errors: dict[str, list[str]]

    def run(self, name: str) -> Path:
        return self.folder / name


def _execute_book(folder: Path, stop: threading.Event) -> BookExecutions:
    from innovate import notebooks as nbs
    from innovate.sphinxext import claims

    notebooks = claims.book_notebooks(ROOT)
    data = folder / "data"
    synthesized = subprocess.run(
        [sys.executable, "-m", "innovate", "synthesize", "--seed", str(OTHER_SEED), "--out", str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    runs = {"first": DEFAULT_RUN, "second": SECOND_RUN}
    if synthesized.returncode == 0:
        runs["other"] = {**DEFAULT_RUN, "INNOVATE_DATA_DIR": str(data)}
    # Every table protected in a run is written out for the disclosure gate's ACRO check
    # (innovate.stats.disclosure_export); the notebooks' outputs do not change.
    runs = {name: {**env, EXPORT_VARIABLE: str(folder / "disclosure" / name)} for name, env in runs.items()}
    jobs = [nbs.Job(path, env, name) for name, env in runs.items() for path in notebooks]
    results = nbs.execute_jobs(jobs, stop=stop)
    errors = {}
    for name in runs:
        mine = [r for r in results if r.job.label == name]
        nbs.write_executed(mine, ROOT, folder / name)
        errors[name] = [f"{r.job.path}:\n{r.error}" for r in mine if r.error is not None]
    return BookExecutions(folder, notebooks, synthesized, data, errors)


class _Background:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="innovate-executions-"))
        self.stop = threading.Event()
        self.thread = ThreadPoolExecutor(1, thread_name_prefix="book-executions")
        self.future: Future = self.thread.submit(_execute_book, self.folder, self.stop)

    def close(self):
        self.stop.set()
        self.thread.shutdown(wait=True)
        shutil.rmtree(self.folder, ignore_errors=True)


_KEY = pytest.StashKey[_Background]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Start the book's executions when a gate needs them, and run those gates last."""
    if config.getoption("quick"):
        _quick_selection(config, items)
    needs = [item for item in items if item.path.name in EXECUTION_GATES or "book_executions" in item.fixturenames]
    book = [item for item in items if item.get_closest_marker("book") or item.get_closest_marker("browser")]
    if not needs and not book:
        return
    # The gates that read a build or executions go last, in their own order, so the
    # foreground runs the unit tests and nbval while the pool executes.
    last = set(map(id, book)) | set(map(id, needs))
    items[:] = [i for i in items if id(i) not in last] + [i for i in items if id(i) in last]
    if needs and not config.option.collectonly:
        config.stash[_KEY] = _Background()


_SESSION = pytest.StashKey[dict]()
#: Every test's last duration (setup, call and teardown), for ``--quick``.
DURATIONS = ROOT / "_build" / "test-durations.json"
#: ``--quick`` (``make check``) leaves out the tests that last took longer than this.
QUICK_LIMIT = 0.5


def pytest_addoption(parser):
    parser.addoption(
        "--quick",
        action="store_true",
        help=f"leave out the tests that took over {QUICK_LIMIT} s when last run (make check; make test runs all)",
    )


def _last_durations() -> dict[str, float]:
    try:
        return json.loads(DURATIONS.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _quick_selection(config, items) -> None:
    durations = _last_durations()
    slow = [i for i in items if durations.get(i.nodeid, 0.0) > QUICK_LIMIT]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if durations.get(i.nodeid, 0.0) <= QUICK_LIMIT]


def pytest_runtest_logreport(report):
    durations = _DURATIONS_SEEN
    durations[report.nodeid] = durations.get(report.nodeid, 0.0) + report.duration


_DURATIONS_SEEN: dict[str, float] = {}


def pytest_sessionstart(session):
    session.config.stash[_SESSION] = {"start": time.perf_counter(), "full": False}


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session):
    # A full run: the book's gates and nbval's notebooks are all in it (what `make test` runs).
    items = session.items
    session.config.stash[_SESSION]["full"] = any(i.path.suffix == ".ipynb" for i in items) and any(
        i.path.name in EXECUTION_GATES for i in items
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Record every test's duration (for ``--quick``) and a full run's wall time (for
    ``python -m benchmarks bench_test``)."""
    if _DURATIONS_SEEN:
        DURATIONS.parent.mkdir(exist_ok=True)
        merged = {**_last_durations(), **{k: round(v, 3) for k, v in _DURATIONS_SEEN.items()}}
        DURATIONS.write_text(json.dumps(merged, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    record = config.stash.get(_SESSION, None)
    if not record or not record["full"] or config.option.collectonly:
        return
    stats = terminalreporter.stats
    out = ROOT / "_build" / "test-session.json"
    out.parent.mkdir(exist_ok=True)
    document = {
        "seconds": round(time.perf_counter() - record["start"], 1),
        "passed": len(stats.get("passed", [])),
        "failed": len(stats.get("failed", [])) + len(stats.get("error", [])),
        "exitstatus": int(exitstatus),
        "finished": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
        "load_average": list(os.getloadavg()),
        "full": True,
    }
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def pytest_unconfigure(config):
    background = config.stash.get(_KEY, None)
    if background is not None:
        background.close()


@pytest.fixture(scope="session")
def book_executions(request) -> BookExecutions:
    """The session's executions of the book (started in the background at collection)."""
    background = request.config.stash.get(_KEY, None)
    if background is None:  # a gate requested outside the collection hook's knowledge
        background = request.config.stash[_KEY] = _Background()
    return background.future.result()


@pytest.fixture(scope="session")
def built_book(request) -> BuiltBook:
    background = request.config.stash.get(_KEY, None)
    # The session's clean executions ran with DEFAULT_RUN's settings; they stand in for the
    # build's own only when the build runs with the same ones.
    same = all(os.environ.get(k) in (None, "") for k, v in DEFAULT_RUN.items() if v is None)
    if background is None or not same:
        return build_book()
    executions = background.future.result()
    return build_book(executed=executions.run("first"))
