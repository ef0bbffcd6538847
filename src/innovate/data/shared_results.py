"""Results computed once and read by every chapter of one batch of executions.

Several chapters run the same analysis: each site chapter fits its site's cohort models,
each framework chapter its two sites', the outcomes chapter and the synthesis all six.
Every chapter runs in a kernel of its own, so an in-process cache does not help; when a
batch of executions (``python -m innovate.notebooks``, the test session) names a folder
in ``INNOVATE_SHARED_RESULTS``, the first kernel to compute a result stores it there and
the others read it. Without the variable nothing is stored and :func:`shared` just computes.

A result is keyed on what it depends on beyond its arguments: the case-level data (the
folder and the bytes of its files), the package's source (the bytes of every module) and
the settings a batch runs with (hash seed, BLAS threads). A result found under a key is
the one the same code computed from the same data with the same settings, so reading it
gives the chapter what computing it would; a folder kept by mistake cannot serve a stale one.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from innovate.data import paths

#: Folder of the batch's shared results (unset: every chapter computes its own).
SHARED_RESULTS_VARIABLE = "INNOVATE_SHARED_RESULTS"
#: The settings a result may depend on besides code and data (the test session varies them).
SETTINGS = ("PYTHONHASHSEED", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")

T = TypeVar("T")


@functools.lru_cache(maxsize=1)
def _source_digest() -> str:
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _data_digest(folder: str) -> str:
    digest = hashlib.sha256()
    root = Path(folder)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def result_key(name: str, arguments: tuple) -> str:
    """The digest a result is stored under: its name and arguments, the case data, the
    package's source and the batch's settings."""
    folder = str(paths.case_data_dir().resolve())
    parts = (
        name,
        repr(arguments),
        folder,
        _data_digest(folder),
        _source_digest(),
        tuple((s, os.environ.get(s)) for s in SETTINGS),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def shared(name: str, arguments: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, or the result another kernel of this batch stored for the same key.

    While one kernel computes a result the others that need it wait for it (a lock on the
    key's file) rather than compute it too; if that kernel dies, the lock is released with
    it and the next one computes.
    """
    folder = os.environ.get(SHARED_RESULTS_VARIABLE)
    if not folder:
        return compute()
    path = Path(folder) / f"{name}-{result_key(name, arguments)}.pickle"
    with path.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with path.open("rb") as stored:
                return pickle.load(stored)
        except FileNotFoundError:
            pass
        value = compute()
        # Written aside and renamed: a reader never sees half a file.
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with partial.open("wb") as out:
            pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)
        return value
