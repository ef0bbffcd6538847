"""Run every benchmark module and print its figures: ``python -m benchmarks [name ...]``."""

from __future__ import annotations

import importlib
import json
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


#: The figures issue 13 asks for, by benchmark and key (printed together at the end).
HEADLINE = (
    ("bench_build", "clean_build_to_notebook_seconds", "clean build / summed notebook time"),
    ("bench_build", "notebook_seconds_sum", "summed notebook time, seconds"),
    ("bench_build", "one_module_edit_rebuild_seconds", "rebuild after a one-module edit, seconds"),
    ("bench_build", "max_page_bytes", "largest page weight, bytes"),
    ("bench_build", "heaviest page", "largest page"),
    ("bench_test", "make test wall time, seconds", "make test wall time (last full run), seconds"),
    ("bench_test", "make test CPU time (all processes), seconds", "make test CPU time (last full run), seconds"),
    ("bench_test", "load average (1, 5, 15 min) at the end", "load average when it ended"),
    ("bench_its", "annual public ITS, quasi-Poisson: fit_seconds", "ITS, every English LA x factor, seconds"),
    ("bench_its", "annual public ITS, quasi-Poisson: fit_cpu_seconds", "ITS, every English LA x factor, CPU-seconds"),
)


def headline(results: dict) -> None:
    """The issue's figures in one block (those of the benchmarks that ran)."""
    lines = [(label, results[bench][key]) for bench, key, label in HEADLINE if key in results.get(bench, {})]
    slowest = [(k.split(": ", 1)[1], v) for k, v in results.get("bench_build", {}).items() if k.startswith("slowest")]
    lines += [(f"slowest notebook {i}: {name}", seconds) for i, (name, seconds) in enumerate(slowest, 1)]
    if lines:
        print("== headline")
    for label, value in lines:
        print(f"   {label:<55} {value:>12.3f}" if isinstance(value, float) else f"   {label:<55} {value!s:>12}")


def main(argv: list[str]) -> int:
    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    results = {}
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        figures = module.run()
        for key, value in figures.items():
            print(f"   {key:<55} {value:>12.3f}" if isinstance(value, float) else f"   {key:<55} {value!s:>12}")
        results[name] = figures
    headline(results)
    out = HERE.parent / "_build" / "benchmarks.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": platform.platform(), "results": results}, indent=2, sort_keys=True))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
