"""Build performance against the budget of issue 7 (``python -m benchmarks bench_build``).

Measures, on this machine:

* **clean build**: wall time of the same commands as ``make book`` (the notebooks executed
  side by side into the execution cache by ``python -m innovate.notebooks cache``, then
  ``jupyter-book build . --builder html -W -n --keep-going`` with the Makefile's
  environment) into a fresh temporary ``--path-output``, so that nothing comes from an
  execution cache and the working tree's ``_build`` is left alone;
* **notebook execution**: the per-notebook execution times of that build (MyST-NB's
  execution data, written to ``_build/execution.json`` by ``innovate.buildinfo``) and
  their sum, and the **ratio** of the clean build's wall time to that sum (at most 0.75
  on 2 cores is the goal of issue 13: the notebooks run side by side);
* **no-change rebuild**: the same commands again on the same output folder;
* **rebuild after a one-module edit**: a comment appended to one module
  (:data:`EDITED_MODULE`, restored afterwards), then the same commands: only the chapters
  that import that module run again;
* **page weight** of every page of the table of contents: its HTML plus the local images
  it shows.

Writes ``benchmarks/results/build.json`` (committed, with the date and commit it was
measured at), which the reproducibility appendix shows against the budgets (clean build
at most 5 minutes on a 2-core machine, no-change rebuild at most 20 s, no chapter page
above 2 MB with its images). After running it, re-execute the appendix
(``python -m innovate.notebooks execute notebooks/appendices/reproducibility.ipynb``) so
its committed outputs show the new figures.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

from innovate.sphinxext import buildinfo, claims

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "build.json"


#: The module the one-module-edit rebuild touches (one chapter draws with it).
EDITED_MODULE = ROOT / "src" / "innovate" / "show" / "practice_model.py"


def fill_command(path_output: Path) -> list[str]:
    """The first half of ``make book``: execute what the cache lacks, in parallel."""
    return [sys.executable, "-m", "innovate.notebooks", "cache", "--path-output", str(path_output)]


def build_command(path_output: Path) -> list[str]:
    """The ``make book`` command, writing into ``path_output``."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    return [
        str(jupyter_book),
        "build",
        str(ROOT),
        "--builder",
        "html",
        "-W",
        "-n",
        "--keep-going",
        "--path-output",
        str(path_output),
    ]


def build_env() -> dict[str, str]:
    """The environment ``make`` exports for the build (see the Makefile)."""
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    env.pop("INNOVATE_DATA_DIR", None)  # the book as shipped: the committed synthetic data
    return env


def timed_build(path_output: Path) -> tuple[float, list[str]]:
    """Wall seconds of ``make book`` (both its commands) into ``path_output``, and the
    notebooks its first command executed."""
    start = time.perf_counter()
    executed: list[str] = []
    for command in (fill_command(path_output), build_command(path_output)):
        done = subprocess.run(command, cwd=ROOT, env=build_env(), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(
                f"the book build failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}"
            )
        if command[1:3] == ["-m", "innovate.notebooks"]:
            executed = [line.split("  ", 1)[1].strip() for line in done.stdout.splitlines() if line.endswith(".ipynb")]
    return time.perf_counter() - start, executed


def timed_edit_rebuild(path_output: Path) -> tuple[float, list[str]]:
    """``make book`` after an edit to :data:`EDITED_MODULE` (restored byte for byte
    afterwards, whatever happens): wall seconds and the notebooks executed again."""
    original = EDITED_MODULE.read_bytes()
    try:
        EDITED_MODULE.write_bytes(original + b"\n# benchmark: a one-module edit\n")
        return timed_build(path_output)
    finally:
        EDITED_MODULE.write_bytes(original)


def toc_docnames(root: Path = ROOT) -> list[str]:
    """Every document of the table of contents, in order."""
    return claims.toc_documents(root)


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            src = dict(attrs).get("src")
            if src:
                self.sources.append(src)


def page_weight(html_root: Path, docname: str) -> dict[str, int]:
    """Bytes of a page's HTML and of the local images it shows (each image counted once)."""
    page = html_root / f"{docname}.html"
    if docname == "book/intro" and not page.exists():
        page = html_root / "index.html"
    parser = _Images()
    parser.feed(page.read_text(encoding="utf-8"))
    image_bytes = 0
    for src in sorted(set(parser.sources)):
        url = urlparse(src)
        if url.scheme in ("data",):
            image_bytes += len(src)
            continue
        if url.scheme or url.netloc:
            continue
        path = (page.parent / unquote(url.path)).resolve()
        if path.is_file():
            image_bytes += path.stat().st_size
    return {"html_bytes": page.stat().st_size, "image_bytes": image_bytes}


def measure(keep: Path | None = None) -> dict:
    """Run the measurements; returns the results document written to build.json."""
    folder = Path(tempfile.mkdtemp(prefix="innovate-bench-build-")) if keep is None else keep
    try:
        clean, _ = timed_build(folder)
        execution = json.loads((folder / "_build" / buildinfo.EXECUTION_FILE).read_text(encoding="utf-8"))
        rebuild, _ = timed_build(folder)
        edit_rebuild, reexecuted = timed_edit_rebuild(folder)
        html = folder / "_build" / "html"
        pages = {doc: page_weight(html, doc) for doc in toc_docnames()}
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    notebook_seconds = {
        doc: round(float(rec["runtime"]), 3) for doc, rec in execution.items() if rec.get("runtime") is not None
    }
    methods = sorted({rec.get("method") for rec in execution.values()})
    heaviest = max(pages, key=lambda d: pages[d]["html_bytes"] + pages[d]["image_bytes"])
    commit = buildinfo.git_commit(ROOT)
    figures = {
        "clean_build_seconds": round(clean, 2),
        "notebook_seconds_sum": round(sum(notebook_seconds.values()), 2),
        "notebooks_executed": len(notebook_seconds),
        "nochange_rebuild_seconds": round(rebuild, 2),
        "clean_build_to_notebook_seconds": round(clean / max(sum(notebook_seconds.values()), 1e-9), 3),
        "one_module_edit_rebuild_seconds": round(edit_rebuild, 2),
        "one_module_edit_notebooks_executed": len(reexecuted),
        "pages": len(pages),
        "max_page_bytes": pages[heaviest]["html_bytes"] + pages[heaviest]["image_bytes"],
    }
    return {
        "measured_at": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d"),
        "commit": None if commit is None else {"commit": commit["commit"], "modified": commit["modified"]},
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "command": "make book (python -m innovate.notebooks cache; jupyter-book build . --builder html -W -n "
        "--keep-going) with --path-output <fresh temporary folder>",
        "load_average": os.getloadavg(),
        "edited_module": EDITED_MODULE.relative_to(ROOT).as_posix(),
        "one_module_edit_executed": reexecuted,
        "execution_methods": methods,
        "budgets": buildinfo.BUDGETS,
        "figures": figures,
        "heaviest_page": heaviest,
        "notebook_seconds": notebook_seconds,
        "page_bytes": pages,
    }


def run() -> dict[str, float]:
    results = measure()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"   written {RESULTS.relative_to(ROOT)} (re-execute notebooks/appendices/reproducibility.ipynb)")
    figures = {k: (float(v) if isinstance(v, float) else v) for k, v in results["figures"].items()}
    slowest = sorted(results["notebook_seconds"].items(), key=lambda kv: -kv[1])[:5]
    for name, seconds in slowest:
        figures[f"slowest notebook: {name}"] = float(seconds)
    figures["one-module edit: notebooks executed again"] = ", ".join(results["one_module_edit_executed"]) or "none"
    figures["heaviest page"] = results["heaviest_page"]
    figures["load average (1, 5, 15 min) at the end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<40} {value}")
