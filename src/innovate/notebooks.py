"""Execute the book's notebooks: in place, into the build's cache, or for the gates, in parallel.

    python -m innovate.notebooks execute [PATH ...]      # make notebooks: refresh committed outputs
    python -m innovate.notebooks cache [--path-output D] # make book: fill the execution cache

Committed outputs must match a fresh run (nbval checks them), so after any change to the
package or the data the notebooks are re-executed with ``execute`` and committed.

``cache`` is the first half of ``make book``. It drops the cached outputs of every notebook
whose inputs changed (:mod:`innovate.sphinxext.execution`), executes the notebooks that
have none in a pool of processes (one kernel a core, the slowest notebooks first), and
writes them into the jupyter-cache that MyST-NB reads; Sphinx then builds from the cache
without executing. Each notebook runs exactly as MyST-NB would run it (the same executor,
in its own folder, with the book's timeout), so the pages are the same.

:func:`execute_jobs` is the pool itself; the determinism and data-independence gates use
it to execute the book under other settings (a hash seed, a BLAS thread count, a data
folder) side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# AUDIT_VARIABLE: re-exported for the test session, which sets it for each kernel
from innovate.data import shared_results
from innovate.data.paths import AUDIT_VARIABLE as AUDIT_VARIABLE
from innovate.data.paths import project_root


def book_timeout(root: Path | None = None) -> int:
    """The book's execution timeout per cell (``execute: timeout`` in ``_config.yml``)."""
    import yaml

    config = yaml.safe_load(((project_root() if root is None else root) / "_config.yml").read_text(encoding="utf-8"))
    return int(config["execute"]["timeout"])


#: Beside executed notebooks written by :func:`write_executed`: their seconds and errors.
EXECUTIONS_FILE = "executions.json"


def notebook_paths(root: Path | None = None) -> list[Path]:
    """Every notebook of the book, in a stable order (checkpoints excluded)."""
    root = project_root() if root is None else root
    return sorted(p for p in (root / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


#: The environment of a clean execution as ``make book`` and ``make notebooks`` run it
#: (None: the variable is removed). The committed outputs are made with these settings.
DEFAULT_RUN: dict[str, str | None] = {
    "MPLBACKEND": "Agg",
    "PYTHONHASHSEED": "0",
    "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    "OPENBLAS_NUM_THREADS": None,
    "INNOVATE_DATA_DIR": None,
}
#: The test session's execution: another hash seed and another BLAS summation order than
#: the committed outputs were made with, so comparing the two checks the committed outputs
#: and the determinism of the code at once (tests/gates/test_notebook_outputs.py).
SECOND_RUN: dict[str, str | None] = {**DEFAULT_RUN, "PYTHONHASHSEED": "4021", "OPENBLAS_NUM_THREADS": "1"}


@contextlib.contextmanager
def environment(settings: Mapping[str, str | None]):
    """Set (or with None remove) environment variables for the block; kernels started in it inherit them."""
    saved = {name: os.environ.get(name) for name in settings}
    try:
        for name, value in settings.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute_in_place(path: Path, timeout: int = 600) -> float:
    """Execute one notebook in its own folder with :data:`DEFAULT_RUN`'s settings and write it
    back; returns seconds taken. The gates rely on committed outputs made with those settings."""
    # Deferred: the notebook client loads only for a command that executes notebooks.
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    with environment(DEFAULT_RUN):
        client.execute()
    elapsed = time.perf_counter() - start
    # Execution metadata carries wall-clock timestamps; drop it so re-runs give the same file.
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(nb, path)
    return elapsed


# ---------------------------------------------------------------------------------------
# A pool of notebook executions
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Job:
    """One execution: a notebook, and the environment its kernel gets on top of ours.

    A value of None in ``env`` removes that variable (``INNOVATE_DATA_DIR``: the default data).
    """

    path: Path
    env: Mapping[str, str | None] = field(default_factory=dict)
    label: str = ""


@dataclass
class Executed:
    job: Job
    notebook: object  # nbformat.NotebookNode, with outputs
    seconds: float
    error: str | None


def _run(job: Job, timeout: int | None) -> Executed:
    """Execute one job in this (worker) process, as MyST-NB executes in cache mode."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ.clear()
    os.environ.update(_WORKER_ENV)
    for name, value in job.env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    path = Path(job.path).resolve()
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:  # from the source alone: nothing of an earlier run survives
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    result = single_nb_execution(nb, cwd=str(path.parent), timeout=timeout, allow_errors=False, meta_override=True)
    return Executed(job, result.nb, result.time, result.exc_string if result.err is not None else None)


_WORKER_ENV: dict[str, str] = {}


def _worker_start(env: Mapping[str, str]) -> None:
    # A worker runs many jobs: each starts from the caller's environment plus its own variables.
    _WORKER_ENV.clear()
    _WORKER_ENV.update(env)
    # Ctrl-C reaches the whole process group: the caller, not the worker, decides what stops
    # (a worker killed by it would leave its kernel, which runs in a session of its own, orphaned).
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, their children, ...), from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # "pid (name) state ppid ...": the name may hold spaces and brackets, so split after the last ")".
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    out, queue = [], [pid]
    while queue:
        for child in parents.get(queue.pop(), []):
            out.append(child)
            queue.append(child)
    return out


def kill_processes(pids: Iterable[int], grace: float = 3.0) -> None:
    """SIGTERM, then after ``grace`` seconds SIGKILL, every process of ``pids`` still alive."""
    pids = list(pids)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for pid in pids:
            try:
                os.kill(pid, sig)
                alive.append(pid)
            except ProcessLookupError:
                pass
        if not alive or sig == signal.SIGKILL:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_alive(p) for p in alive):
            time.sleep(0.05)
        pids = [p for p in alive if _alive(p)]


def cancel(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: its workers, and the kernels (and their children) they started."""
    # Frozen first, so that no worker starts another kernel between the listing and the kill.
    workers_ = list((getattr(pool, "_processes", None) or {}).keys())
    for pid in workers_:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP)
    below = [k for w in workers_ for k in descendants(w)]
    for pid in workers_:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    kill_processes(below)
    pool.shutdown(wait=True, cancel_futures=True)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has finished; only its parent's wait is due


def expected_seconds(root: Path | None = None) -> dict[str, float]:
    """Docname -> seconds its last execution took (to start the slowest first): from the last
    test session's pool (``_build/test-executions.json``, its first run), else from the last
    build benchmark (``benchmarks/results/build.json``)."""
    root = project_root() if root is None else root
    try:
        runs = json.loads((root / "_build" / "test-executions.json").read_text(encoding="utf-8"))
        return {k: float(v) for k, v in runs["second"].items()}
    except (OSError, KeyError, ValueError):
        pass
    path = root / "benchmarks" / "results" / "build.json"
    try:
        return {k: float(v) for k, v in json.loads(path.read_text(encoding="utf-8"))["notebook_seconds"].items()}
    except (OSError, KeyError, ValueError):
        return {}


def longest_first(jobs: Iterable[Job], root: Path | None = None) -> list[Job]:
    """Jobs ordered slowest first (longest-processing-time scheduling: the pool ends together)."""
    root = project_root() if root is None else Path(root)
    seconds = expected_seconds(root)

    def expected(job: Job) -> float:
        try:
            docname = Path(job.path).resolve().relative_to(root.resolve()).with_suffix("").as_posix()
        except ValueError:
            return 0.0
        return seconds.get(docname, 0.0)

    return sorted(jobs, key=expected, reverse=True)


def start_order(jobs: Iterable[Job], first: Callable[[Job], bool] | None = None, root: Path | None = None) -> list[Job]:
    """The order a pool starts ``jobs`` in: those ``first`` is true of, then the others, each
    group slowest first (:func:`longest_first`)."""
    ordered = longest_first(jobs, root)
    if first is None:
        return ordered
    return [job for job in ordered if first(job)] + [job for job in ordered if not first(job)]


def workers() -> int:
    """Processes to run side by side: ``INNOVATE_JOBS``, or one a core."""
    return max(1, int(os.environ.get("INNOVATE_JOBS") or os.cpu_count() or 1))


def execute_jobs(
    jobs: Iterable[Job],
    processes: int | None = None,
    timeout: int | None = None,
    stop=None,
    on_done=None,
    environ: Mapping[str, str] | None = None,
    first: Callable[[Job], bool] | None = None,
) -> list[Executed]:
    """Execute every job in a pool of processes, slowest first; results in the jobs' order.

    ``first``: the jobs it is true of start before the others (each group slowest first),
    so that what waits for them can start while the others run.

    ``stop`` (a ``threading.Event``) cancels every job when it is set: the ones not yet
    started, and the running ones, whose worker processes and kernels are killed (no
    orphan kernel outlives a cancelled session); the call then raises RuntimeError. ``on_done`` is called with each result as it comes.
    ``timeout`` per cell defaults to the book's. ``environ``: the environment the jobs start
    from (default: this process's now; a caller in a background thread passes the one it
    started with, so that a variable set meanwhile by other code never reaches a kernel).
    """
    import multiprocessing

    timeout = book_timeout() if timeout is None else timeout
    jobs = list(jobs)
    ordered = start_order(jobs, first)
    processes = min(processes or workers(), len(jobs)) or 1
    results: dict[int, Executed] = {}
    # spawn: a worker must not inherit the caller's threads or open database handles.
    context = multiprocessing.get_context("spawn")
    # The jobs share the results several chapters compute (innovate.data.shared_results),
    # for as long as this call lasts, unless the caller names a folder of its own.
    folder = tempfile.TemporaryDirectory(prefix="innovate-shared-results-")
    worker_env = {shared_results.SHARED_RESULTS_VARIABLE: folder.name, **(os.environ if environ is None else environ)}
    with (
        folder,
        ProcessPoolExecutor(processes, mp_context=context, initializer=_worker_start, initargs=(worker_env,)) as pool,
    ):
        futures = {pool.submit(_run, job, timeout): id(job) for job in ordered}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for future in done:
                results[futures[future]] = future.result()
                if on_done is not None:
                    on_done(results[futures[future]])
            if stop is not None and stop.is_set():
                cancel(pool)
                raise RuntimeError("notebook executions stopped before they finished")
    return [results[id(job)] for job in jobs]


class Background:
    """``work(*args, stop)`` run in a thread from now on; :meth:`close` cancels it and waits.

    The test session starts the book's executions this way; closing it (the session ended,
    finished or not: Ctrl-C, ``-x``, a failure) sets ``stop``, which :func:`execute_jobs`
    answers by killing its workers and their kernels.
    """

    def __init__(self, work: Callable[..., Any], *args: Any) -> None:
        import threading
        from concurrent.futures import ThreadPoolExecutor

        self.stop = threading.Event()
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="notebook-executions")
        self.future = self._thread.submit(work, *args, self.stop)

    def result(self):
        return self.future.result()

    def close(self) -> None:
        self.stop.set()
        self._thread.shutdown(wait=True)


# ---------------------------------------------------------------------------------------
# What a notebook reads, and what its committed outputs must equal
# ---------------------------------------------------------------------------------------
#: Notebooks that never read the case-level data (``innovate.data.paths.case_data_dir`` is
#: never called when they run), so an execution on another data set gives their default
#: outputs: the data-independence gate does not execute them again. A notebook missing
#: here is executed (the safe default); tests/gates/test_notebook_outputs.py fails if one
#: listed here reads the case data.
CASE_DATA_FREE: tuple[str, ...] = (
    "notebooks/appendices/simulation-validation",
    "notebooks/appendices/its-validation",
    "notebooks/argument/practice-model",
)


def docname(path: Path, root: Path | None = None) -> str:
    """``notebooks/sites/devon`` for ``<root>/notebooks/sites/devon.ipynb``."""
    root = project_root() if root is None else Path(root)
    return Path(path).resolve().relative_to(root.resolve()).with_suffix("").as_posix()


def reads_case_data(path: Path, root: Path | None = None) -> bool:
    """Whether a notebook may read the case-level data (every notebook not in :data:`CASE_DATA_FREE`)."""
    return docname(path, root) not in CASE_DATA_FREE


#: What nbval leaves out when it compares outputs (its defaults without nbdime).
NBVAL_SKIP = frozenset(
    {
        "metadata",
        "traceback",
        "prompt_number",
        "output_type",
        "name",
        "execution_count",
        "application/vnd.jupyter.widget-view+json",
        "image/png",
        "image/jpeg",
    }
)


def sanitize_patterns(path: Path) -> list[tuple[object, str]]:
    """The (regex, replacement) pairs of an nbval sanitize file (tests/nbval-sanitize.cfg)."""
    import configparser
    import re

    config = configparser.ConfigParser()
    config.read(path)
    return [(re.compile(config[section]["regex"]), config[section]["replace"]) for section in config.sections()]


def _coalesced(outputs: list) -> list:
    # nbval's own stream handling (streams of one name merged, carriage returns folded),
    # on a copy: it edits the outputs it is given.
    import copy

    import nbformat
    from nbval.plugin import coalesce_streams, transform_streams_for_comparison  # type: ignore[import-untyped]

    nodes = [nbformat.from_dict(copy.deepcopy(dict(o))) for o in outputs]
    return transform_streams_for_comparison(coalesce_streams(nodes))


def _flattened(outputs: list, patterns) -> dict[str, list]:
    def clean(value):
        if isinstance(value, list):
            value = "".join(value)
        if isinstance(value, str):
            for regex, replacement in patterns:
                value = regex.sub(replacement, value)
        return value

    flat: dict[str, list] = {}
    for output in _coalesced(outputs):
        for key, value in output.items():
            if key in NBVAL_SKIP:
                continue
            if key == "data":
                for mime, payload in value.items():
                    if mime not in NBVAL_SKIP:
                        flat.setdefault(mime, []).append(clean(payload))
            else:
                flat.setdefault(key, []).append(clean(value))
    return flat


def output_differences(executed, committed, patterns, label: str = "") -> list[str]:
    """The code cells whose fresh outputs differ from the committed ones, by nbval's rules.

    As ``pytest --nbval`` compares them: images and metadata are left out, the sanitize
    patterns applied, streams coalesced; cells tagged ``nbval-ignore-output`` or
    ``nbval-skip`` and cells never run in the committed notebook are not compared (a never
    run cell that holds outputs is a difference). ``executed`` must be the same notebook
    (cell for cell) executed from its source.
    """
    problems = []
    if len(executed.cells) != len(committed.cells):
        return [f"{label}: {len(executed.cells)} cells executed, {len(committed.cells)} committed"]
    for i, (new, old) in enumerate(zip(executed.cells, committed.cells)):
        if old.cell_type != "code":
            continue
        tags = set(old.get("metadata", {}).get("tags", []))
        if tags & {"nbval-ignore-output", "nbval-skip"}:
            continue
        if old.get("execution_count") is None:
            if old.get("outputs"):
                problems.append(f"{label}: cell {i} was never run but holds outputs")
            continue
        a, b = _flattened(new.get("outputs", []), patterns), _flattened(old.get("outputs", []), patterns)
        if a != b:
            keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            problems.append(f"{label}: cell {i} outputs differ from the committed ones ({', '.join(keys)})")
    return problems


def write_executed(results: Iterable[Executed], root: Path, folder: Path) -> Path:
    """Write executed notebooks under ``folder`` (paths relative to ``root``) with their
    seconds and errors in ``folder/executions.json``; returns ``folder``."""
    import nbformat

    folder = Path(folder)
    record = {}
    for result in results:
        relative = Path(result.job.path).resolve().relative_to(Path(root).resolve())
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(result.notebook, target)
        record[relative.as_posix()] = {"seconds": result.seconds, "error": result.error}
    folder.mkdir(parents=True, exist_ok=True)
    (folder / EXECUTIONS_FILE).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return folder


def read_executed(root: Path, folder: Path) -> dict[Path, Executed]:
    """Notebook (absolute path) -> its successful execution written by :func:`write_executed`."""
    import nbformat

    path = Path(folder) / EXECUTIONS_FILE
    if not path.exists():
        return {}
    out = {}
    for relative, info in json.loads(path.read_text(encoding="utf-8")).items():
        if info.get("error") is None:
            source = (Path(root) / relative).resolve()
            nb = nbformat.read(Path(folder) / relative, as_version=4)
            out[source] = Executed(Job(source), nb, float(info["seconds"]), None)
    return out


# ---------------------------------------------------------------------------------------
# Filling the build's execution cache (make book)
# ---------------------------------------------------------------------------------------
def forced(notebook: Mapping) -> bool:
    """Whether MyST-NB executes this notebook whatever the cache holds (``execution_mode``)."""
    mode = (notebook.get("metadata", {}).get("mystnb") or {}).get("execution_mode")
    return mode is not None and mode != "cache"


def fill_cache(
    root: Path, build_dir: Path, processes: int | None = None, executed: Path | None = None, log=print
) -> list[Executed]:
    """Execute into ``build_dir``'s execution cache every book notebook it lacks; returns them.

    ``executed``: a folder of clean executions made with the same inputs and settings
    (:func:`write_executed`, as the test session makes them); a notebook found there is
    taken from it rather than executed again. Raises RuntimeError naming the notebooks that
    failed (their tracebacks in the message).
    """
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    from innovate.data.paths import case_data_dir
    from innovate.sphinxext import buildinfo, claims, datacheck, execution

    # Validate first (issue 12): with a faulty data folder no chapter runs, and the log gets
    # the validator's report without values, not the chapters' tracebacks.
    folder = case_data_dir()
    passed, report = datacheck.build_report(folder)
    if not passed:
        raise RuntimeError(report)
    cache_path = buildinfo.execution_cache_path(build_dir)
    cache_path.mkdir(parents=True, exist_ok=True)
    buildinfo.prune_execution_caches(cache_path)
    notebooks = claims.book_notebooks(root)
    keys = execution.notebook_keys(notebooks, buildinfo.shared_inputs_fingerprint())
    changed = execution.invalidate(cache_path, keys)
    cache = get_cache(str(cache_path))
    todo = []
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        if forced(nb):
            continue  # Sphinx executes it anyway
        try:
            cache.match_cache_notebook(nb)
        except KeyError:
            todo.append(Job(Path(path).resolve()))
    log(
        f"{len(todo)} of {len(notebooks)} notebooks to execute ({len(changed)} with changed inputs) into {cache_path}",
        flush=True,
    )
    if not todo:
        return []
    ready = read_executed(root, executed) if executed is not None else {}
    reused = [ready[job.path] for job in todo if job.path in ready]
    if reused:
        log(f"{len(reused)} of them taken from the clean executions in {executed}", flush=True)
    rest = [job for job in todo if job.path not in ready]

    def store(result: Executed) -> None:
        # As soon as a notebook is done, so that an interrupted run keeps what it finished.
        if result.error is None:
            cache.cache_notebook_bundle(
                CacheBundleIn(result.notebook, str(result.job.path), data={"execution_seconds": result.seconds}),
                check_validity=False,
                overwrite=True,
            )
        failed = "  FAILED" if result.error else ""
        log(f"{result.seconds:6.1f} s  {result.job.path.relative_to(root.resolve())}{failed}", flush=True)

    for result in reused:
        store(result)
    done = reused + (execute_jobs(rest, processes, on_done=store) if rest else [])
    failed = [r for r in done if r.error is not None]
    if failed:
        raise RuntimeError(
            "\n\n".join(
                f"{r.job.path.relative_to(root.resolve())}: execution failed\n{log_safe(r.error or '', root, folder)}"
                for r in failed
            )
        )
    return done


def log_safe(text: str, root: Path, data_folder: Path) -> str:
    """A failed chapter's traceback as the build log may print it: no absolute paths.

    The data folder's location becomes ``$INNOVATE_DATA_DIR``, the book's own folder is
    dropped (paths become relative to it) and the home folder becomes ``~`` (a user name).
    Values are kept out by the errors themselves (:class:`innovate.errors.Problem`).
    """
    replacements = [
        (str(Path(data_folder).resolve()), "$INNOVATE_DATA_DIR"),
        (str(Path(data_folder)), "$INNOVATE_DATA_DIR"),
    ]
    replacements += [(str(Path(root).resolve()) + os.sep, ""), (str(Path(root)) + os.sep, ""), (str(Path.home()), "~")]
    for old, new in sorted(set(replacements), key=lambda pair: -len(pair[0])):
        if old and old not in (os.sep, "~"):
            text = text.replace(old, new)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m innovate.notebooks", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute notebooks in place (all of them by default)")
    run.add_argument("paths", nargs="*", type=Path)
    fill = sub.add_parser("cache", help="execute the notebooks the build's cache lacks, in parallel")
    fill.add_argument("--path-output", type=Path, default=None, help="as jupyter-book's: the build goes to D/_build")
    fill.add_argument("--jobs", type=int, default=None, help="processes side by side (default: INNOVATE_JOBS or cores)")
    fill.add_argument("--executed", type=Path, default=None, help="take clean executions from this folder")
    args = parser.parse_args(argv)
    if args.command == "cache":
        root = project_root()
        build_dir = (args.path_output if args.path_output is not None else root) / "_build"
        start = time.perf_counter()
        try:
            done = fill_cache(root, build_dir, args.jobs, args.executed)
        except RuntimeError as error:
            print(error, file=sys.stderr)
            return 1
        total = sum(r.seconds for r in done)
        print(f"executed {len(done)} notebooks in {time.perf_counter() - start:.1f} s wall ({total:.1f} s summed)")
        return 0
    paths = args.paths or notebook_paths()
    # One after another, sharing what several chapters compute (innovate.data.shared_results).
    with tempfile.TemporaryDirectory(prefix="innovate-shared-results-") as folder:
        with environment(
            {shared_results.SHARED_RESULTS_VARIABLE: os.environ.get(shared_results.SHARED_RESULTS_VARIABLE) or folder}
        ):
            for path in paths:
                seconds = execute_in_place(Path(path))
                print(f"{seconds:6.1f} s  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
