"""The independent output check: ACRO rebuilds every table the book protected.

Run by the Python of ACRO's own environment (``.venv-acro``, pins in
``requirements-acro.txt``; ACRO needs an older pandas than the book), never by the book's:

    .venv-acro/bin/python tests/gates/acro_check.py EXPORT_FOLDER

``EXPORT_FOLDER`` holds the tables ``innovate.stats.disclosure_export`` wrote, one JSON file
each. For every table the records it counts are rebuilt (a count of n in a cell is n records
carrying that row and column), tabulated with ``acro.ACRO(suppress=False).crosstab`` (with
margins when the book shows totals), and every entry ACRO's checks do not pass is
reported. ACRO is given the book's rule, so the two verdicts are comparable: ACRO flags a
count below ``safe_threshold`` and the book withholds counts 1..threshold, so
``safe_threshold = threshold + 1`` (ACRO's own default is 10, the ONS rule's 9 + 1);
``zeros_are_disclosive`` is the book's setting (ACRO's default is true; the DfE convention
the book follows shows zeros). ACRO's threshold check flags a zero cell even when zeros
are not disclosive, so each flagged entry says whether it is a zero and the gate decides.

Prints one JSON document: {file name: {"source": ..., "flagged": [[row, column, checks,
is_zero], ...]}} with row and column as positions (the last position past the body is the
total); the values themselves are never printed.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import acro
import pandas as pd
from acro.version import __version__ as acro_version

MARGIN = "__book_total__"


def records(counts: list[list[int]], n: int, k: int) -> tuple[pd.Series, pd.Series]:
    """One record per person counted: the row and column positions as categories (so an
    all-zero row or column stays in the table)."""
    rows, columns = [], []
    for i in range(n):
        for j in range(k):
            rows += [i] * counts[i][j]
            columns += [j] * counts[i][j]
    return (
        pd.Series(pd.Categorical(rows, categories=range(n)), name="row"),
        pd.Series(pd.Categorical(columns, categories=range(k)), name="column"),
    )


def check(document: dict) -> list[list]:
    n, k = len(document["rows"]), len(document["columns"])
    counts = document["counts"]
    checker = acro.ACRO(suppress=False)
    # The book's rule, given to ACRO through the configuration its checks read.
    checker.config["safe_threshold"] = int(document["threshold"]) + 1
    checker.config["zeros_are_disclosive"] = bool(document["zeros_disclosive"])
    index, columns = records(counts, n, k)
    if len(index) == 0:
        return []  # nobody counted: nothing ACRO could flag but zeros, which the book rule decides
    margins = bool(document["row_totals"] or document["column_totals"])
    checker.crosstab(index, columns, margins=margins, margins_name=MARGIN)
    (output,) = checker.results.results.values()
    outcome = output.outcome
    flagged = []
    for label_i, row in outcome.iterrows():
        i = n if label_i == MARGIN else int(label_i)
        for label_j, verdict in row.items():
            j = k if label_j == MARGIN else int(label_j)
            if str(verdict).strip() == "ok":
                continue
            value = (
                sum(counts[a][b] for a in (range(n) if i == n else [i]) for b in (range(k) if j == k else [j]))
                if margins or (i < n and j < k)
                else None
            )
            flagged.append([i, j, str(verdict).strip(), value == 0])
    return flagged


def main(argv: list[str]) -> int:
    logging.disable(logging.INFO)  # ACRO logs every call at INFO; the report is the output
    if len(argv) != 1:
        print("usage: acro_check.py EXPORT_FOLDER", file=sys.stderr)
        return 2
    report = {}
    for path in sorted(Path(argv[0]).glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        report[path.name] = {"source": document["source"], "flagged": check(document)}
    json.dump({"acro": acro_version, "tables": report}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
