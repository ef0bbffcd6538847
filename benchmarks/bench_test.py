"""The wall time of the last full ``make test`` (``python -m benchmarks bench_test``).

A full run takes many minutes, so this benchmark does not start one: every pytest session
that runs the book's gates records its wall time, its outcome and the load average in
``_build/test-session.json`` (``tests/conftest.py``), and this prints the last record.
Measure afresh with ``make test``, then run this.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "_build" / "test-session.json"
#: Seconds of each notebook execution of the last session's pool (tests/conftest.py).
EXECUTIONS = ROOT / "_build" / "test-executions.json"


def run() -> dict[str, float]:
    if not RECORD.exists():
        return {"make test": f"not measured yet: run `make test`, which writes {RECORD.relative_to(ROOT)}"}
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    figures = {
        "make test wall time, seconds": float(record["seconds"]),
        "make test wall time, minutes": float(record["seconds"]) / 60,
        "make test CPU time (all processes), seconds": (
            float(record["cpu_seconds"]) if "cpu_seconds" in record else "not recorded"
        ),
        "tests run (passed, failed)": f"{record['passed']}, {record['failed']}",
        "exit status": record["exitstatus"],
        "finished at (UTC)": record["finished"],
        "load average (1, 5, 15 min) at the end": " ".join(f"{x:.1f}" for x in record["load_average"]),
        "full run (unit tests and every gate)": record["full"],
    }
    if EXECUTIONS.exists():
        runs = json.loads(EXECUTIONS.read_text(encoding="utf-8"))
        for label, seconds in sorted(runs.items()):
            figures[f"notebook executions, run {label!r}: count"] = len(seconds)
            figures[f"notebook executions, run {label!r}: summed seconds"] = float(sum(seconds.values()))
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<45} {value}")
