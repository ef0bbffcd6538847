"""Shared fixtures: the book is executed and built once per test session and shared by the gates.

How a full run (``make test``) spends the machine's cores
    The foreground runs the unit tests; everything else starts in the background as soon as
    the tests are collected, at a lower priority (``BACKGROUND_NICE``), so that both end
    together, and the gates that read it are moved to the end of the session:

    * **the build** (``built_book``): the book is built once, at once, from the committed
      outputs (:func:`committed`), into the session's folder with an execution cache of its
      own; then the browser visits every page (``visited_book``, tests/browser_visits.py)
      and the print edition is made (``printed``);
    * **the executions**: every notebook is executed ONCE, from its source, with the
      second-run settings (another hash seed, one BLAS thread: ``innovate.notebooks.SECOND_RUN``),
      and those that read the case-level data once more on another synthetic data set, on
      one pool of processes (:func:`innovate.notebooks.execute_jobs`), the other data's first.

    One execution serves several gates:

    * **committed outputs** (what ``pytest --nbval`` checks, tests/gates/test_notebook_outputs.py):
      the fresh outputs, compared by nbval's rules, equal the committed ones; so the build
      from the committed outputs is the build from the fresh ones (a difference fails);
    * **determinism** (tests/gates/test_determinism.py): the committed outputs are made with
      the default settings (``python -m innovate.notebooks execute`` runs every kernel with
      ``DEFAULT_RUN``), the fresh ones with another hash seed and BLAS thread count, so
      equal claims and visible outputs mean those settings change nothing;
    * **data independence**: the book is built (``other_book``) from the executions on the
      other data for the notebooks that read it, and the committed outputs of those that
      never do (``innovate.notebooks.CASE_DATA_FREE``, checked by recording every call of
      ``case_data_dir`` in the second run), as soon as those executions are done.

    ``pytest --nbval`` (nbval's own comparison, a third execution) remains available by hand:
    ``make nbval``.
"""

from __future__ import annotations

import datetime
import functools
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

from innovate import notebooks as nbs

ROOT = Path(__file__).resolve().parents[1]
# The book's executions start processes from a background thread while the unit tests start
# and fork their own in the main thread. One clean run on 2026-12-05 lost the background's
# first process to "OSError: [Errno 14] Bad address" raised by the vfork'ed child; the
# subprocess module's documented failsafe turns vfork off (fork and exec are used instead).
subprocess._USE_VFORK = False  # type: ignore[attr-defined]
#: Seed of the second synthetic data set of the data-independence gate (not the committed one's).
OTHER_SEED = 7
#: Its young people per arm and site: half the committed set's 300. Another size as well as
#: another seed (a count or a threshold fitted to the committed data shows), and the
#: chapters that fit models to the cohort run in about half the time.
OTHER_PER_ARM = 150
#: Where each execution writes the tables it protected (read by the disclosure gate's ACRO check).
EXPORT_VARIABLE = "INNOVATE_DISCLOSURE_EXPORT"
#: The gates that need the book's executions, by module; they run at the end of the session.
EXECUTION_GATES = ("test_determinism.py", "test_data_independence.py", "test_notebook_outputs.py")
#: The settings of the runs (kept here under their old names for the gates).
DEFAULT_RUN = nbs.DEFAULT_RUN
SECOND_RUN = nbs.SECOND_RUN


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
    environ: dict[str, str] | None = None,
) -> BuiltBook:
    """Run the same strict build as `make book` and capture its log.

    As ``make book``: the notebooks the execution cache lacks are executed in parallel
    (``python -m innovate.notebooks cache``; taken from ``executed`` when given), then
    Jupyter Book renders from the cache.
    """
    # ``environ``: the environment to build in (the session's background passes the one it
    # started with: a test may set a variable meanwhile, as the extract gate sets the data folder).
    env = {
        **(os.environ if environ is None else environ),
        "MPLBACKEND": "Agg",
        "PYTHONHASHSEED": "0",
        **(extra_env or {}),
    }
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
    """Executed notebooks of the session, one folder per run.

    ``second``: every notebook with ``SECOND_RUN``'s settings; ``other``: on the other data
    set (the notebooks that read it, executed on it; the others as committed); ``audit``:
    one file per notebook that called ``case_data_dir`` in the second run; ``disclosure``:
    the tables each run protected.
    """

    folder: Path
    notebooks: list[Path]
    synthesized: subprocess.CompletedProcess
    other_data: Path
    errors: dict[str, list[str]]
    differences: dict[str, list[str]]  # notebook -> cells whose outputs differ from the committed ones

    def run(self, name: str) -> Path:
        return self.folder / name

    def audit(self, notebook: Path) -> Path:
        return self.folder / "audit" / (nbs.docname(notebook, ROOT).replace("/", "__") + ".log")


def committed(notebooks: list[Path]) -> list[nbs.Executed]:
    """The committed notebooks as executions (for :func:`innovate.notebooks.write_executed`).

    The session's builds take their outputs from them: the notebook-outputs gate shows they
    are what a fresh execution gives (any difference fails it), and a build can start at
    once instead of waiting for the executions. Those builds have execution caches of their
    own, in the session's folder, so a committed output that turns out to be out of date
    never reaches the developer's ``_build`` cache.
    """
    import nbformat

    return [nbs.Executed(nbs.Job(p), nbformat.read(p, as_version=4), 0.0, None) for p in notebooks]


def _execute_book(folder: Path, environ: dict[str, str], other_ready: Future, stop) -> BookExecutions:
    """Both runs on one pool, the other data's first: as soon as they are done, their folder
    (with the committed outputs of the notebooks that never read the data) is handed to
    ``other_ready`` and the other-data build starts while the second run goes on. Whatever
    happens, ``other_ready`` is answered: the build waiting for it must never wait forever."""
    try:
        return _execute_runs(folder, environ, other_ready, stop)
    finally:
        if not other_ready.done():
            other_ready.set_exception(RuntimeError("the executions ended before those on the other data were done"))


def _execute_runs(folder: Path, environ: dict[str, str], other_ready: Future, stop) -> BookExecutions:
    import nbformat

    from innovate.sphinxext import claims

    notebooks = claims.book_notebooks(ROOT)
    data = folder / "data"
    synthesized = subprocess.run(
        [
            sys.executable,
            "-m",
            "innovate",
            "synthesize",
            "--seed",
            str(OTHER_SEED),
            "--per-arm",
            str(OTHER_PER_ARM),
            "--out",
            str(data),
        ],  # fmt: skip
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (folder / "audit").mkdir()

    def _export(run: str) -> dict[str, str]:
        # Every table protected in a run is written out for the disclosure gate's ACRO check
        # (innovate.stats.disclosure_export); the notebooks' outputs do not change.
        return {EXPORT_VARIABLE: str(folder / "disclosure" / run)}

    jobs = []
    for path in notebooks:
        audit = str(folder / "audit" / (nbs.docname(path, ROOT).replace("/", "__") + ".log"))
        jobs.append(nbs.Job(path, {**SECOND_RUN, nbs.AUDIT_VARIABLE: audit, **_export("second")}, "second"))
    readers = [p for p in notebooks if nbs.reads_case_data(p, ROOT)]
    if synthesized.returncode == 0:
        jobs += [
            nbs.Job(p, {**DEFAULT_RUN, "INNOVATE_DATA_DIR": str(data), **_export("other")}, "other") for p in readers
        ]
    else:
        other_ready.set_result(None)  # the gate reports the generator's failure
    other: list[nbs.Executed] = []

    def on_done(result: nbs.Executed) -> None:
        if result.job.label != "other":
            return
        other.append(result)
        if len(other) == len(readers):
            # The notebooks that never read the case data give their committed outputs on any data.
            unread = committed([p for p in notebooks if not nbs.reads_case_data(p, ROOT)])
            other_ready.set_result(nbs.write_executed(other + unread, ROOT, folder / "other"))

    results = nbs.execute_jobs(
        jobs, stop=stop, environ=environ, on_done=on_done, first=lambda job: job.label == "other"
    )
    second = [r for r in results if r.job.label == "second"]
    nbs.write_executed(second, ROOT, folder / "second")
    patterns = nbs.sanitize_patterns(ROOT / "tests" / "nbval-sanitize.cfg")
    differences = {}
    for result in second:
        if result.error is not None:
            continue
        committed_nb = nbformat.read(result.job.path, as_version=4)
        label = nbs.docname(result.job.path, ROOT)
        differences[label] = nbs.output_differences(result.notebook, committed_nb, patterns, label)
    # Each execution's seconds, kept after the session (python -m benchmarks bench_test).
    seconds = {
        label: {nbs.docname(r.job.path, ROOT): round(r.seconds, 1) for r in part}
        for label, part in (("second", second), ("other", other))
    }
    EXECUTION_SECONDS.parent.mkdir(exist_ok=True)
    EXECUTION_SECONDS.write_text(json.dumps(seconds, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    errors = {
        "second": [f"{r.job.path}:\n{r.error}" for r in second if r.error is not None],
        "other": [f"{r.job.path}:\n{r.error}" for r in other if r.error is not None],
    }
    return BookExecutions(folder, notebooks, synthesized, data, errors, differences)


#: The niceness of the session's background work (executions, builds, browsers). The
#: foreground is one process, the background keeps both cores busy: at equal priority the
#: foreground got about half a core while the background ran, and the unit tests were left
#: running alone on one core at the end. At a lower priority the background takes what the
#: foreground leaves, and both end together.
BACKGROUND_NICE = 10


def _lower_priority() -> None:
    """This thread, and every process or thread it starts from now on, at ``BACKGROUND_NICE``
    (on Linux the nice value belongs to the thread, and what it starts inherits it)."""
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKGROUND_NICE)


def _in_background(work):
    """``work`` run at ``BACKGROUND_NICE`` (the executions' thread is not one of the builds')."""

    @functools.wraps(work)
    def lowered(*args, **kwargs):
        _lower_priority()
        return work(*args, **kwargs)

    return lowered


def _no_executions(folder: Path, environ: dict[str, str], other_ready: Future, stop) -> BookExecutions:
    """In a session whose tests need no execution (only the builds, say)."""
    other_ready.set_result(None)
    raise RuntimeError("this session's tests asked for no notebook execution")


class _Background(nbs.Background):
    """The session's executions and builds, in the background, each as soon as it can start.

    At once: the HTML build from the committed outputs (``html``, :func:`committed`) and the
    executions (:func:`_execute_book`). When the HTML build is done: the browser's visits of
    every page (``visited``, tests/browser_visits.py) and the print edition (``printed``).
    When the executions on the other data are done (they go first): the book built from them
    (``other``, the data-independence gate). Only what the session's tests need is started
    (``wants``); the gates wait for the results while the foreground runs the unit tests.
    The builds go to the session's folder, with execution caches of their own.
    """

    def __init__(self, wants: frozenset[str] = frozenset()):
        self.folder = Path(tempfile.mkdtemp(prefix="innovate-executions-"))
        # The environment as the session started: the executions and builds run beside tests
        # that set variables for themselves (monkeypatch.setenv), which must not reach them.
        self.environ = dict(os.environ)
        self.other_ready: Future = Future()
        executions = _execute_book if "executions" in wants else _no_executions
        super().__init__(_in_background(executions), self.folder, self.environ, self.other_ready)
        self.builds = ThreadPoolExecutor(4, thread_name_prefix="book-builds", initializer=_lower_priority)
        wants_html = wants & {"html", "printed", "visited"}
        self.html = self.builds.submit(self._html) if wants_html else None
        self.visited = self.builds.submit(self._visited) if "visited" in wants else None
        self.printed = self.builds.submit(self._printed) if "printed" in wants else None
        self.other = self.builds.submit(self._other) if "other" in wants else None

    def _html(self) -> BuiltBook:
        from innovate.sphinxext import claims

        # The committed outputs stand in for the build's own executions only when the build
        # runs with the default settings (as they were made); otherwise it executes them itself.
        same = all(self.environ.get(k) in (None, "") for k, v in DEFAULT_RUN.items() if v is None)
        executed = None
        if same:
            executed = nbs.write_executed(committed(claims.book_notebooks(ROOT)), ROOT, self.folder / "committed")
        return build_book(executed=executed, path_output=self.folder / "book", environ=self.environ)

    def _visited(self):
        built = self.html.result() if self.html is not None else None
        if built is None or built.returncode != 0:
            return None  # the build gate reports the failure
        import browser_visits

        if browser_visits.missing_browser_tools():
            return None  # the browser gate fails or skips, saying what is missing
        return browser_visits.visit_book(built.html)

    def _other(self) -> BuiltBook | None:
        executed = self.other_ready.result()
        if executed is None:
            return None  # the gate reports the generator's failure
        return build_book(
            ROOT,
            extra_env={"INNOVATE_DATA_DIR": str(self.folder / "data")},
            path_output=self.folder / "other-build",
            executed=executed,
            environ=self.environ,
        )

    def _printed(self):
        built = self.html.result() if self.html is not None else None
        if built is None or built.returncode != 0:
            return None  # the build gate reports the failure
        return print_book(self.folder / "pdf" / "book.pdf", self.environ, path_output=self.folder / "book")

    def close(self):
        self.stop.set()  # a build waiting for the executions gets their cancellation at once
        super().close()
        self.builds.shutdown(wait=True, cancel_futures=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def print_book(out: Path, environ: dict[str, str] | None = None, path_output: Path | None = None):
    """``make pdf``: the single-page build (from the HTML build's execution cache) printed
    by headless Chromium (``innovate.pdf``); a ``PrintedBook``, or the failed build's log.
    ``path_output``: where the HTML build went (as jupyter-book's option), if not to the book."""
    import yaml

    from innovate import pdf

    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    out_option = [] if path_output is None else ["--path-output", str(path_output)]
    command = [str(jupyter_book), "build", str(ROOT), "--builder", "singlehtml", "-W", "-n", "--keep-going"]
    env = os.environ if environ is None else environ
    done = subprocess.run(command + out_option, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return done.stdout[-3000:] + done.stderr[-3000:]
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    out.parent.mkdir(parents=True, exist_ok=True)
    return pdf.render((path_output if path_output is not None else ROOT) / "_build" / "singlehtml", out, cff)


_KEY = pytest.StashKey[_Background]()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Start the book's executions (and the builds from them) when a gate needs them, and
    run those gates last, in the order their inputs become ready."""
    if config.getoption("quick"):
        _quick_selection(config, items)
    needs = [item for item in items if item.path.name in EXECUTION_GATES or "book_executions" in item.fixturenames]
    book = [item for item in items if item.get_closest_marker("book") or item.get_closest_marker("browser")]
    builds = [item for item in items if {"built_book", "other_book", "printed"} & set(item.fixturenames)]
    if not needs and not book and not builds:
        return
    # The foreground runs the unit tests and the slow gates that need no execution while the
    # pool executes; then the gates on the executions, then those on the builds, the browser last.
    last = set(map(id, book)) | set(map(id, needs)) | set(map(id, builds))
    tail = sorted((i for i in items if id(i) in last), key=_waits_for)  # stable: file order within a rank
    items[:] = [i for i in items if id(i) not in last] + tail
    if (needs or builds) and not config.option.collectonly:
        wants = {"executions"} if needs else set()
        if builds:
            wants.add("html")
        if any(i.path.name == "test_data_independence.py" for i in items):
            wants |= {"other", "executions"}
        if any("printed" in i.fixturenames for i in items):
            wants.add("printed")
        if any("visited_book" in i.fixturenames for i in items):
            wants.add("visited")
        config.stash[_KEY] = _Background(frozenset(wants))


def _waits_for(item) -> int:
    """When a test's inputs are ready, in the session's order: 0, needs nothing of the
    session's; 1, the HTML build (it starts at once, from the committed outputs); 2, the
    browser's visits or the print edition (after it); 3, the executions; 4, the book built
    from the other data (after its executions, which go first, and the build)."""
    names = set(item.fixturenames)
    if "other_book" in names:
        return 4
    if item.path.name in EXECUTION_GATES or "book_executions" in names:
        return 3
    if "visited_book" in names or "printed" in names:
        return 2
    if "built_book" in names:
        return 1
    return 0


_SESSION = pytest.StashKey[dict]()
#: The seconds of each notebook execution of the last session that ran the pool.
EXECUTION_SECONDS = ROOT / "_build" / "test-executions.json"
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
    # A full run (what `make test` runs): the unit tests and every gate on the book's executions.
    items = session.items
    names = {i.path.name for i in items}
    session.config.stash[_SESSION]["full"] = set(EXECUTION_GATES) <= names and any(
        i.path.parent.name == "unit" for i in items
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
        # CPU of this process and of every process it waited for (pool workers and, through
        # them, the kernels and builds): what the run cost, whatever else loaded the machine.
        "cpu_seconds": round(_cpu_seconds(), 1),
        "passed": len(stats.get("passed", [])),
        "failed": len(stats.get("failed", [])) + len(stats.get("error", [])),
        "exitstatus": int(exitstatus),
        "finished": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
        "load_average": list(os.getloadavg()),
        "full": True,
    }
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")


def _cpu_seconds() -> float:
    import resource

    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


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
    return background.result()


@pytest.fixture(scope="session")
def built_book(request) -> BuiltBook:
    """The HTML build ``make book`` makes, from the session's executions when it has them."""
    background = request.config.stash.get(_KEY, None)
    if background is None or background.html is None:
        return build_book()
    return background.html.result()


@pytest.fixture(scope="session")
def visited_book(request, built_book):
    """The browser's visits of every page (``browser_visits.Visits``), made in the background
    as soon as the HTML build was done; None when they were not (the gate visits itself)."""
    background = request.config.stash.get(_KEY, None)
    if background is None or background.visited is None:
        return None
    return background.visited.result()


@pytest.fixture(scope="session")
def other_book(request, book_executions) -> BuiltBook:
    """The book built from the other synthetic data set (the data-independence gate)."""
    background = request.config.stash[_KEY]
    if background.other is not None:
        return background.other.result()
    return background._other()


@pytest.fixture(scope="session")
def printed(request, built_book, tmp_path_factory):
    """The print edition made from the HTML build's cache (``make pdf``)."""
    assert built_book.returncode == 0, "the HTML build failed; see test_book_build"
    background = request.config.stash.get(_KEY, None)
    made = background.printed.result() if background is not None and background.printed is not None else None
    if made is None:
        made = print_book(tmp_path_factory.mktemp("pdf") / "book.pdf")
    assert not isinstance(made, str), made
    return made


@pytest.fixture(autouse=True)
def _close_figures():
    """Every test's figures are closed after it (pyplot keeps each one open until closed)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
