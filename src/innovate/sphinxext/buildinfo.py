"""What a build of the book was made from, and how long it took.

The reproducibility appendix calls this module at build time to show the package
versions against the pins in ``requirements.txt``, the git commit, checksums of every
data file (checked against the checksums shipped with the data), the seed of the
synthetic data, and the performance budget measured by ``benchmarks/bench_build.py``
(``benchmarks/results/build.json``).

It is also a small Sphinx extension (registered in ``_config.yml``):

* at the end of every build it writes ``_build/execution.json``: for every executed
  document, how MyST-NB obtained its outputs (executed now, or from the cache) and the
  execution time (the benchmark sums these);
* it keeps MyST-NB's execution cache per version of the data and pins
  (:func:`execution_cache_path`), and within it drops the outputs of exactly the notebooks
  whose imported ``innovate`` modules changed (:mod:`innovate.sphinxext.execution`), so
  that outputs cached from old data or old code are never shown and an edit re-executes
  only the chapters it can change;
* it keeps the reproducibility appendix honest in incremental builds: the appendix is
  re-read (and, by its own ``execution_mode: force`` metadata, re-executed) whenever the
  commit, the installed packages, the case-level data or the benchmark results differ
  from those it was last built with. Otherwise a cached appendix would show a stale commit.
"""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path

import pandas as pd

from innovate.data.paths import case_data_dir, derived_dir, project_root, public_dir, reference_dir
from innovate.show.glue import Numbers

#: The appendix this module keeps up to date (a Sphinx docname).
APPENDIX_DOCNAME = "notebooks/appendices/reproducibility"
#: Where the build benchmark writes its figures (committed).
BENCHMARK_FILE = Path("benchmarks") / "results" / "build.json"
#: Per-document execution data written at the end of a build, next to the HTML folder.
EXECUTION_FILE = "execution.json"
#: Files that record checksums of the files beside them.
CHECKSUM_FILES = ("SHA256SUMS",)

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;#]+)")


# ---------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------
def requirement_pins(path: Path | None = None) -> list[tuple[str, str]]:
    """(package, version) for every exact pin (``name==version``) of a requirements file."""
    path = project_root() / "requirements.txt" if path is None else Path(path)
    pins = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            pins.append((match.group(1), match.group(2)))
    return pins


def installed_version(package: str) -> str | None:
    """The installed version of a distribution, or None when it is not installed."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def package_versions(pins: Iterable[tuple[str, str]] | None = None) -> pd.DataFrame:
    """Each pinned package with its pinned and installed versions and whether they match."""
    pins = requirement_pins() if pins is None else list(pins)
    rows = []
    for name, pinned in pins:
        installed = installed_version(name)
        rows.append(
            {
                "package": name,
                "pinned": pinned,
                "installed": installed if installed is not None else "not installed",
                "matches pin": "yes" if installed == pinned else "no",
            }
        )
    return pd.DataFrame(rows, columns=["package", "pinned", "installed", "matches pin"])


# ---------------------------------------------------------------------------------------
# Git
# ---------------------------------------------------------------------------------------
def git_commit(root: Path | None = None) -> dict | None:
    """The commit the working tree is at and whether tracked files differ from it.

    Returns ``{"commit": <40 hex>, "short": <12 hex>, "modified": bool}``, or None when
    git or the repository is not available (a source archive, a Binder image).
    """
    root = project_root() if root is None else Path(root)
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=30)
        if head.returncode != 0:
            return None
        diff = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = head.stdout.strip()
    return {"commit": commit, "short": commit[:12], "modified": bool(diff.stdout.strip())}


def describe_commit(info: dict | None) -> str:
    """A commit as prose: ``'abc123def456'``, with a note when the tree was modified."""
    if info is None:
        return "not available (no git repository)"
    return info["short"] + (" with uncommitted changes" if info["modified"] else "")


# ---------------------------------------------------------------------------------------
# Linear algebra libraries
# ---------------------------------------------------------------------------------------
def blas_libraries() -> list[dict]:
    """The BLAS libraries loaded by numpy and scipy, with the kernels they run.

    OpenBLAS picks its kernels by CPU (SkylakeX, Haswell, ...), which moves the last bits
    of a computation; the book publishes numbers at the precision a reader sees, which
    those bits cannot reach, and records the kernel so a reviewer can compare machines.
    One dict per library: ``library``, ``version``, ``kernel``, ``threads``.
    """
    # Imported here on purpose: the libraries must be loaded before threadpoolctl is asked which are.
    import numpy  # noqa: F401  (load the libraries before asking which are loaded)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_info

    return [
        {
            "library": info.get("internal_api", "unknown"),
            "version": info.get("version") or "unknown",
            "kernel": info.get("architecture") or "unknown",
            "threads": int(info.get("num_threads", 0)),
        }
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    ]


def describe_blas(libraries: Iterable[Mapping]) -> str:
    """The BLAS libraries as prose: 'OpenBLAS 0.3.31 with its SkylakeX kernels (2 threads)'."""
    names = {"openblas": "OpenBLAS", "mkl": "Intel MKL", "blis": "BLIS"}
    parts = sorted(
        {
            f"{names.get(lib['library'], lib['library'])} {lib['version']} with its {lib['kernel']} kernels "
            f"({lib['threads']} thread{'s' if lib['threads'] != 1 else ''})"
            for lib in libraries
        }
    )
    return "; ".join(parts) if parts else "not detected"


# ---------------------------------------------------------------------------------------
# Data checksums
# ---------------------------------------------------------------------------------------
def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def recorded_checksums(folder: Path) -> dict[str, str]:
    """Checksums shipped with the data: ``SHA256SUMS`` files and a generator ``manifest.json``.

    Keys are paths relative to ``folder`` (POSIX style).
    """
    folder = Path(folder)
    recorded: dict[str, str] = {}
    for sums in sorted(folder.rglob("SHA256SUMS")):
        base = sums.parent.relative_to(folder)
        for line in sums.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) >= 2 and re.fullmatch(r"[0-9a-f]{64}", parts[0]):
                name = parts[-1].lstrip("*")
                recorded[(base / name).as_posix()] = parts[0]
    from innovate.data.paths import synthetic_manifest

    manifest = synthetic_manifest(folder)
    files = manifest.get("files", {}) if manifest is not None else {}
    for name, info in files.items() if isinstance(files, Mapping) else ():
        if isinstance(info, Mapping) and "sha256" in info:
            recorded[name] = str(info["sha256"]).lower()
    return recorded


def contract_files(folder: Path) -> list[Path]:
    """The files of the case-level contract present in ``folder`` (the ten tables, the
    manifest and the README), and nothing else: a stray file, whatever its name, is never
    listed, read or published."""
    from innovate.data import schemas
    from innovate.data.schema_engine import regular_file

    names = [schemas.get(n).file for n in schemas.CASE_TABLES] + [schemas.MANIFEST_FILE, "README.md"]
    return [folder / name for name in sorted(names) if regular_file(folder / name, name) is None]


#: How a real extract is shown in the appendix: one line, no file names.
EXTRACT_LABEL = "(the study's extract: files of the contract)"


def data_checksums(folders: Mapping[str, Path] | None = None) -> pd.DataFrame:
    """Every data file with its size, SHA-256 and whether it matches a shipped checksum.

    ``folders`` maps a label to a folder; by default the real public statistics, the
    reference facts and the case-level data the book runs on. ``recorded`` is "yes" when
    the file matches the checksum shipped with it, "no" when it does not, and "none" when
    no checksum was shipped for it (the checksum files themselves, READMEs).

    The case-level folder is listed by :func:`case_level_rows`: only the files of the
    contract, and for a real extract only their count, size and one digest of them all.
    """
    if folders is None:
        folders = {"public": public_dir(), "reference": reference_dir(), "case-level": case_data_dir()}
    rows = []
    for label, folder in folders.items():
        folder = Path(folder)
        if not folder.exists():
            continue
        if label == "case-level":
            rows += case_level_rows(folder, label)
            continue
        recorded = recorded_checksums(folder)
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
            if "__pycache__" in path.parts:
                continue
            rel = path.relative_to(folder).as_posix()
            digest = sha256_file(path)
            expected = recorded.get(rel)
            rows.append(
                {
                    "data": label,
                    "file": rel,
                    "bytes": path.stat().st_size,
                    "sha256": digest,
                    "matches shipped checksum": "none" if expected is None else ("yes" if expected == digest else "no"),
                }
            )
    return pd.DataFrame(rows, columns=["data", "file", "bytes", "sha256", "matches shipped checksum"])


def case_level_rows(folder: Path, label: str = "case-level") -> list[dict]:
    """What the appendix publishes about the case-level folder.

    Synthetic data (the manifest says so): each file of the contract with its checksum,
    checked against the manifest. A real extract: one row, the number of contract files,
    their total size and one SHA-256 over their checksums, so that a reader can tell two
    builds' data apart without learning any file name from the folder.
    """
    from innovate.data.paths import synthetic_manifest

    folder = Path(folder)
    files = contract_files(folder)
    manifest = synthetic_manifest(folder)
    if manifest is not None:
        recorded = {
            name: str(info.get("sha256", "")).lower()
            for name, info in (manifest.get("files") or {}).items()
            if isinstance(info, Mapping)
        }
        rows = []
        for path in files:
            digest = sha256_file(path)
            expected = recorded.get(path.name)
            rows.append(
                {
                    "data": label,
                    "file": path.name,
                    "bytes": path.stat().st_size,
                    "sha256": digest,
                    "matches shipped checksum": "none" if expected is None else ("yes" if expected == digest else "no"),
                }
            )
        return rows
    folder_digest = hashlib.sha256()
    for path in files:
        folder_digest.update(path.name.encode())
        folder_digest.update(sha256_file(path).encode())
    return [
        {
            "data": label,
            "file": f"{EXTRACT_LABEL}: {len(files)}",
            "bytes": sum(p.stat().st_size for p in files),
            "sha256": folder_digest.hexdigest(),
            "matches shipped checksum": "none",
        }
    ]


def checksum_summary(checksums: pd.DataFrame) -> pd.DataFrame:
    """Per data folder: files, bytes, and how many match, differ from or lack a shipped checksum."""
    if checksums.empty:
        return pd.DataFrame(columns=["files", "bytes", "match", "differ", "no checksum shipped"])
    flags = checksums["matches shipped checksum"]
    summary = pd.DataFrame(
        {
            "files": checksums.groupby("data", sort=False).size(),
            "bytes": checksums.groupby("data", sort=False)["bytes"].sum(),
            "match": (flags == "yes").groupby(checksums["data"], sort=False).sum(),
            "differ": (flags == "no").groupby(checksums["data"], sort=False).sum(),
            "no checksum shipped": (flags == "none").groupby(checksums["data"], sort=False).sum(),
        }
    )
    summary.index.name = "data"
    return summary.astype("int64")


def _content_digest(folder: Path, digest) -> None:
    if folder.exists():
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(sha256_file(path).encode())


def data_fingerprint(folder: Path | None = None) -> str:
    """One SHA-256 over a data folder's location and the names and checksums of its files."""
    folder = case_data_dir() if folder is None else Path(folder)
    digest = hashlib.sha256(str(folder.resolve()).encode())
    _content_digest(folder, digest)
    return digest.hexdigest()


def inputs_fingerprint(package: Path | None = None) -> str:
    """One SHA-256 over everything outside a notebook that its outputs depend on.

    The content of every data file the book reads (public statistics, reference facts, the
    case-level data folder in use, wherever it lives), the source of the ``innovate``
    package, and the pinned requirements.
    """
    digest = hashlib.sha256()
    root = project_root()
    package = Path(__file__).resolve().parents[1] if package is None else Path(package)
    for label, folder in (
        ("public", public_dir()),
        ("reference", reference_dir()),
        ("case-level", case_data_dir()),
        ("derived", derived_dir()),
        ("package", package),
    ):
        digest.update(label.encode())
        _content_digest(Path(folder), digest)
    for name in ("requirements.txt", "constraints.txt"):
        path = root / name
        digest.update(name.encode())
        digest.update(sha256_file(path).encode() if path.exists() else b"")
    return digest.hexdigest()


def shared_inputs_fingerprint() -> str:
    """One SHA-256 over the inputs every notebook shares: the data in use and the pins.

    The ``innovate`` package is left out: each notebook is keyed on the modules it runs
    (:func:`innovate.sphinxext.execution.notebook_key`).
    """
    digest = hashlib.sha256()
    folders = (("public", public_dir()), ("reference", reference_dir()), ("case-level", case_data_dir()))
    # The derived data (stored simulation replications) are read like data, so they key like data.
    for label, folder in (*folders, ("derived", derived_dir())):
        digest.update(label.encode())
        digest.update(str(Path(folder).resolve()).encode())
        _content_digest(Path(folder), digest)
    root = project_root()
    for name in ("requirements.txt", "constraints.txt"):
        path = root / name
        digest.update(name.encode())
        digest.update(sha256_file(path).encode() if path.exists() else b"")
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------
def synthetic_provenance(folder: Path | None = None) -> dict | None:
    """Seed, generator, version and regeneration command of a synthetic data folder.

    None when the folder holds no generator manifest (real data).
    """
    folder = case_data_dir() if folder is None else Path(folder)
    manifest = folder / "manifest.json"
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    return {
        "seed": data.get("seed"),
        "generator": data.get("generator"),
        "generator_version": data.get("generator_version"),
        "command": data.get("command"),
    }


def describe_case_data(provenance: Mapping | None) -> str:
    """The case-level data of a build in words (its seed and generator when synthetic)."""
    if provenance is None:
        return "not synthetic: the data folder carries no generator manifest"
    return (
        f"synthetic, generated by {provenance.get('generator') or 'the project generator'} version "
        f"{provenance.get('generator_version')} with seed {provenance.get('seed')}"
    )


# ---------------------------------------------------------------------------------------
# Performance budget
# ---------------------------------------------------------------------------------------
#: The budgets of issue 7: clean build, no-change rebuild, heaviest chapter page.
BUDGETS = {
    "clean_build_seconds": 300.0,
    "nochange_rebuild_seconds": 20.0,
    "max_page_bytes": 2 * 1024 * 1024,
}


def load_benchmark(path: Path | None = None) -> dict:
    """The committed build benchmark (``benchmarks/results/build.json``).

    Raises ``FileNotFoundError`` naming the command that makes it when it is missing.
    """
    path = project_root() / BENCHMARK_FILE if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: run `python -m benchmarks bench_build` to measure the build")
    return json.loads(path.read_text(encoding="utf-8"))


#: Decimals at which the reproducibility appendix shows each float of benchmark_summary.
BENCHMARK_DIGITS = {
    "clean_build_minutes": 1,
    "notebook_seconds": 0,
    "build_to_notebook_ratio": 2,
    "rebuild_seconds": 1,
    "max_page_mb": 2,
    "budget_clean_minutes": 0,
    "budget_rebuild_seconds": 0,
    "budget_page_mb": 0,
}


def benchmark_summary(results: Mapping) -> dict:
    """The benchmark's headline figures, ready to glue (minutes, seconds, megabytes)."""
    figures = results["figures"]
    commit = results.get("commit")
    return {
        "measured_at": results["measured_at"],
        "commit": "not recorded"
        if not commit
        else commit["commit"][:12] + (" with uncommitted changes" if commit.get("modified") else ""),
        "cpu_count": int(results["machine"]["cpu_count"]),
        "clean_build_minutes": figures["clean_build_seconds"] / 60,
        "notebook_seconds": figures["notebook_seconds_sum"],
        "notebooks": int(figures["notebooks_executed"]),
        # The notebooks run side by side (one kernel a core), so the build's wall time is a
        # fraction of their summed execution time; not a remainder to subtract.
        "build_to_notebook_ratio": figures["clean_build_seconds"] / figures["notebook_seconds_sum"],
        "rebuild_seconds": figures["nochange_rebuild_seconds"],
        "pages": int(figures["pages"]),
        "max_page_mb": figures["max_page_bytes"] / 2**20,
        "heaviest_page": results.get("heaviest_page", ""),
        "budget_clean_minutes": BUDGETS["clean_build_seconds"] / 60,
        "budget_rebuild_seconds": BUDGETS["nochange_rebuild_seconds"],
        "budget_page_mb": BUDGETS["max_page_bytes"] / 2**20,
        "within_budget": "all within budget"
        if all(figures[k] <= BUDGETS[k] for k in ("clean_build_seconds", "nochange_rebuild_seconds", "max_page_bytes"))
        else "not all within budget",
    }


def budget_table(results: Mapping) -> pd.DataFrame:
    """The measured figures against their budgets, one row per budget."""
    figures = results["figures"]
    rows = [
        ("Clean build (seconds)", figures["clean_build_seconds"], BUDGETS["clean_build_seconds"]),
        ("No-change rebuild (seconds)", figures["nochange_rebuild_seconds"], BUDGETS["nochange_rebuild_seconds"]),
        ("Heaviest chapter page (MB)", figures["max_page_bytes"] / 2**20, BUDGETS["max_page_bytes"] / 2**20),
    ]
    return pd.DataFrame(
        [
            {"measure": m, "measured": float(v), "budget": float(b), "within budget": "yes" if v <= b else "no"}
            for m, v, b in rows
        ]
    ).set_index("measure")


def notebook_times(results: Mapping) -> pd.DataFrame:
    """Per-notebook execution time of the benchmarked clean build, slowest first."""
    rows = [{"notebook": k, "seconds": float(v)} for k, v in results.get("notebook_seconds", {}).items()]
    frame = pd.DataFrame(rows, columns=["notebook", "seconds"])
    return frame.sort_values(["seconds", "notebook"], ascending=[False, True]).set_index("notebook")


def page_weights(results: Mapping) -> pd.DataFrame:
    """Per chapter page: HTML and image bytes (in kB), heaviest first."""
    rows = [
        {
            "page": page,
            "HTML (kB)": w["html_bytes"] / 1024,
            "images (kB)": w["image_bytes"] / 1024,
            "total (kB)": (w["html_bytes"] + w["image_bytes"]) / 1024,
        }
        for page, w in results.get("page_bytes", {}).items()
    ]
    frame = pd.DataFrame(rows, columns=["page", "HTML (kB)", "images (kB)", "total (kB)"])
    return frame.sort_values(["total (kB)", "page"], ascending=[False, True]).set_index("page")


# ---------------------------------------------------------------------------------------
# Sphinx extension
# ---------------------------------------------------------------------------------------
def build_fingerprint(root: Path | None = None) -> str:
    """What the appendix shows that can change without its source changing."""
    root = project_root() if root is None else Path(root)
    parts = [
        json.dumps(git_commit(root), sort_keys=True),
        json.dumps(sorted((n, installed_version(n) or "") for n, _ in requirement_pins(root / "requirements.txt"))),
        data_fingerprint(),
    ]
    bench = root / BENCHMARK_FILE
    parts.append(sha256_file(bench) if bench.exists() else "")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _outdated(app, env, added, changed, removed):
    outdated = []
    # A notebook whose inputs changed since this environment last read it must be read
    # again: its cached outputs were dropped (_key_execution_cache), its source is unchanged.
    keys = getattr(app, "innovate_notebook_keys", {})
    known = getattr(env, "innovate_notebook_keys", {})
    srcdir = Path(app.srcdir).resolve()
    for path, key in keys.items():
        docname = path.relative_to(srcdir).with_suffix("").as_posix()
        if docname in env.found_docs and known.get(docname) != key:
            outdated.append(docname)
    env.innovate_notebook_keys = {p.relative_to(srcdir).with_suffix("").as_posix(): k for p, k in keys.items()}
    if APPENDIX_DOCNAME not in env.found_docs:
        return outdated
    fingerprint = build_fingerprint(Path(app.srcdir))
    if getattr(env, "innovate_build_fingerprint", None) == fingerprint:
        return outdated
    env.innovate_build_fingerprint = fingerprint
    return sorted(set(outdated) | {APPENDIX_DOCNAME})


def execution_records(nb_metadata: Mapping[str, Mapping]) -> dict[str, dict]:
    """docname -> {method, runtime, succeeded} from MyST-NB's per-document metadata."""
    out = {}
    for docname in sorted(nb_metadata):
        data = nb_metadata[docname].get("exec_data")
        if not data:
            continue
        out[docname] = {
            "method": data.get("method"),
            "runtime": data.get("runtime"),
            "succeeded": data.get("succeeded"),
        }
    return out


def _write_execution(app, exception) -> None:
    if exception is not None or app.builder.name != "html":  # not the PDF's single-page build
        return
    records = execution_records(getattr(app.env, "nb_metadata", {}) or {})
    path = Path(app.outdir).parent / EXECUTION_FILE
    path.write_text(json.dumps(records, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def execution_cache_path(build_dir: Path) -> Path:
    """The execution cache for the data and pins in use now (one cache per version of them)."""
    return Path(build_dir) / f".jupyter_cache-{shared_inputs_fingerprint()[:16]}"


def _key_execution_cache(app, config) -> None:
    """Keep MyST-NB's execution cache per version of the notebooks' inputs.

    The cache recognises a notebook by its own code alone, so after the data change (new
    synthetic data, a real extract through ``INNOVATE_DATA_DIR``, a corrected reference
    file) or a module it imports changes, it would serve outputs computed from the old
    inputs. The cache path follows the data and pins (:func:`shared_inputs_fingerprint`):
    when they change, Sphinx sees a changed setting, re-reads every document, and the
    notebooks run again. Within a cache, the outputs of each notebook whose imported
    modules changed are dropped (:func:`innovate.sphinxext.execution.invalidate`) and its
    page is read again (:func:`_outdated`). An explicitly configured cache path is left alone.
    """
    if getattr(config, "nb_execution_mode", None) != "cache" or getattr(config, "nb_execution_cache_path", ""):
        return
    current = execution_cache_path(Path(app.outdir).parent)
    config.nb_execution_cache_path = str(current)
    prune_execution_caches(current)
    from innovate.sphinxext import claims, execution

    app.innovate_notebook_keys = execution.notebook_keys(
        claims.book_notebooks(Path(app.srcdir)), shared_inputs_fingerprint()
    )
    execution.invalidate(current, app.innovate_notebook_keys)


#: Execution caches of earlier inputs kept besides the current one (to switch back cheaply).
KEEP_OLD_CACHES = 2


def prune_execution_caches(current: Path, keep: int = KEEP_OLD_CACHES) -> list[Path]:
    """Remove all but the ``keep`` most recent caches of earlier inputs; returns those removed."""
    current = Path(current)
    others = sorted(
        (p for p in current.parent.glob(".jupyter_cache-*") if p.is_dir() and p.name != current.name),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    removed = others[keep:]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return removed


def setup(app):
    """Sphinx entry point: ``sphinx: extra_extensions: [innovate.sphinxext.buildinfo]``."""
    app.connect("config-inited", _key_execution_cache)
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _write_execution)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


def package_numbers(versions: pd.DataFrame) -> Numbers:
    """For the prose: pinned packages (:func:`package_versions`) and how many differ from their pin."""
    return Numbers(
        {"n_pinned_packages": len(versions), "n_packages_off_pin": int((versions["matches pin"] == "no").sum())}
    )


def checksum_numbers(checksums: pd.DataFrame) -> Numbers:
    """For the prose: data files (:func:`data_checksums`), and how many match or differ from a shipped checksum."""
    matches = checksums["matches shipped checksum"]
    return Numbers(
        {
            "n_data_files": len(checksums),
            "n_checksums_match": int((matches == "yes").sum()),
            "n_checksums_differ": int((matches == "no").sum()),
        }
    )


def benchmark_numbers(results: Mapping) -> Numbers:
    """:func:`benchmark_summary` with each float's decimals (:data:`BENCHMARK_DIGITS`), to glue with one call."""
    summary = benchmark_summary(results)
    return Numbers(summary, {k: d for k, d in BENCHMARK_DIGITS.items() if k in summary})


def environment_numbers() -> Numbers:
    """For the prose: the commit, Python version and BLAS of this build (they differ between machines)."""
    return Numbers(
        {
            "commit": describe_commit(git_commit()),
            "python": platform.python_version(),
            "blas": describe_blas(blas_libraries()),
        }
    )
