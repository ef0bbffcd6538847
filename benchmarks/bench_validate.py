"""The validator at scale (``python -m benchmarks bench_validate``; issue 12, item 8).

Three folders are made under the system's temporary folder (never in the repository)
and each is checked by ``python -m innovate validate`` in a child process, whose wall
time and peak resident memory (``ru_maxrss``) are measured:

* **clean 10x**: the generator with ten times the young people per arm and site
  (3,000 instead of 300), so the cohort tables are ten times larger and all valid;
* **tiled 10x** and **tiled 100x**: every file of the committed synthetic set with its
  data rows repeated 10 or 100 times (about 66 MB and 660 MB). Every repeated row breaks
  its table's unique key, so these also measure a report of millions of problems, which
  the validator lists at most 20 per file, column and rule and counts the rest.

Run directly (``python benchmarks/bench_validate.py [clean10 tiled10 tiled100]``) it
prints the figures; ``run()`` returns them for ``python -m benchmarks``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLEAN_PER_ARM = 3_000
SEED = 20240601


def _tile(source: Path, target: Path, times: int) -> int:
    """Each CSV of ``source`` with its data rows repeated ``times`` times; returns the bytes written."""
    target.mkdir(parents=True)
    written = 0
    for path in sorted(source.glob("*.csv")):
        header, _, body = path.read_bytes().partition(b"\n")
        with open(target / path.name, "wb") as handle:
            handle.write(header + b"\n")
            for _ in range(times):
                handle.write(body)
        written += (target / path.name).stat().st_size
    return written


def _measure(folder: Path) -> dict[str, float]:
    """Wall time, peak memory, exit status and report lines of ``validate`` on ``folder``, in a child process."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    # VmHWM (the peak resident memory of this process image) rather than ru_maxrss, which
    # Linux carries over from the forking parent across exec.
    script = (
        "import resource, sys, time\n"
        "from innovate import cli\n"
        "t = time.perf_counter()\n"
        "code = cli.main(['validate', sys.argv[1]])\n"
        "wall = time.perf_counter() - t\n"
        "use = resource.getrusage(resource.RUSAGE_SELF)\n"
        "hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
        "sys.stderr.write(f'@@ {wall} {use.ru_utime + use.ru_stime} {hwm} {code}\\n')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, env=env, timeout=3600
    )
    marker = [line for line in done.stderr.splitlines() if line.startswith("@@ ")]
    if not marker:
        raise RuntimeError(f"validate failed: {done.stderr[-2000:]}")
    seconds, cpu, hwm_kb, code = marker[-1].split()[1:]
    return {
        "wall seconds": round(float(seconds), 2),
        "CPU seconds": round(float(cpu), 2),
        "peak MB": round(int(hwm_kb) / 1024, 1),
        "exit status": int(code),
        "report lines": len(done.stdout.splitlines()),
        "report bytes": len(done.stdout.encode()),
    }


def _size(folder: Path) -> float:
    return round(sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6, 1)


def run(cases: tuple[str, ...] = ("clean10", "tiled10", "tiled100")) -> dict[str, object]:
    from innovate.data.paths import synthetic_dir
    from innovate.synthetic import generator

    figures: dict[str, object] = {}
    scratch = Path(tempfile.mkdtemp(prefix="innovate-bench-validate-"))
    try:
        for case in cases:
            folder = scratch / case
            if case == "clean10":
                start = time.perf_counter()
                generator.write(folder, seed=SEED, per_arm=CLEAN_PER_ARM)
                figures[f"{case}: generate seconds"] = round(time.perf_counter() - start, 1)
            else:
                _tile(synthetic_dir(), folder, int(case.removeprefix("tiled")))
            figures[f"{case}: CSV MB"] = _size(folder)
            for key, value in _measure(folder).items():
                figures[f"{case}: {key}"] = value
            shutil.rmtree(folder)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return figures


if __name__ == "__main__":
    for key, value in run(tuple(sys.argv[1:]) or ("clean10", "tiled10", "tiled100")).items():
        print(f"{key:<40} {value}")
