"""Build performance against the budget of issue 7 (``python -m benchmarks bench_build``).

Measures, on this machine:

* **clean build**: wall time of the same command as ``make book`` (``jupyter-book build .
  --builder html -W -n --keep-going`` with the Makefile's environment) into a fresh
  temporary ``--path-output``, so that nothing comes from an execution cache and the
  working tree's ``_build`` is left alone;
* **notebook execution**: the per-notebook execution times of that build (MyST-NB's
  execution data, written to ``_build/execution.json`` by ``innovate.buildinfo``) and
  their sum, to set the clean build against the time spent running analyses;
* **no-change rebuild**: the same command again on the same output folder;
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


def timed_build(path_output: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(build_command(path_output), cwd=ROOT, env=build_env(), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"the book build failed (exit {done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}")
    return seconds


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
        clean = timed_build(folder)
        execution = json.loads((folder / "_build" / buildinfo.EXECUTION_FILE).read_text(encoding="utf-8"))
        rebuild = timed_build(folder)
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
        "command": "jupyter-book build . --builder html -W -n --keep-going --path-output <fresh temporary folder>",
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
    return {k: (float(v) if isinstance(v, float) else v) for k, v in results["figures"].items()}


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<40} {value}")
