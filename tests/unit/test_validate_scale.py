"""Issue 12, item 8: the validator's memory grows with the rows of a file, not faster.

The committed synthetic set with its rows repeated 100 times (670 MB of CSV) took 8.6 GB:
the rule that a comparator area carries its site's ``post`` joined each row with every
repeat of its site's row, so 100 repeats made 10,000 rows a month. And under pandas 3 the
validator's text columns were never made categoricals (text is the ``str`` dtype there,
not ``object``), so a typed table held a Python-sized string a cell.
"""

from __future__ import annotations

import tracemalloc

import pandas as pd

from innovate.data import paths, schemas
from innovate.errors import LISTED_PER_RULE

TIMES = 10


def tiled(tmp_path, name: str, times: int = TIMES):
    table = schemas.get(name)
    header, _, body = (paths.synthetic_dir() / table.file).read_bytes().partition(b"\n")
    path = tmp_path / table.file
    path.write_bytes(header + b"\n" + body * times)
    return table, path


def test_the_area_rules_hold_memory_in_proportion_to_the_rows(tmp_path):
    token = LISTED_PER_RULE.set(20)  # as the validator lists them: every repeated row breaks the key
    try:
        check_area_rules(tmp_path)
    finally:
        LISTED_PER_RULE.reset(token)


def check_area_rules(tmp_path):
    table, path = tiled(tmp_path, "area_series")
    frame, problems = schemas.read_table(table, path, compact=True)
    assert frame is not None and any(p.rule == "duplicate-key" for p in problems)
    tracemalloc.start()
    try:
        again = schemas._table_rules(table, frame, table.file)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert {p.rule for p in again} == {p.rule for p in problems if p.rule in {q.rule for q in again}}
    # A few working copies of the rows (about 125 bytes a row, 10 or 100 repeats alike), not a
    # row for every pair of repeats (the old join: 510 bytes a row at 4 repeats, 1,070 at 10).
    per_row = peak / len(frame)
    assert per_row < 300, f"the whole-table rules took {per_row:.0f} bytes a row ({peak / 2**20:.0f} MB)"


def test_the_validator_keeps_text_columns_as_categoricals():
    # The committed file as it is (96,000 rows, one chunk): the dtype is chosen a column at a
    # time whatever the rows, and a tiled copy only added 97,000 duplicate keys to list (20 s).
    table = schemas.get("service_activity")
    path = paths.synthetic_dir() / table.file
    frame, _ = schemas.read_table(table, path, compact=True)
    text = [c.name for c in table.columns if c.kind == "str"]
    assert text and all(isinstance(frame[c].dtype, pd.CategoricalDtype) for c in text), frame.dtypes.to_dict()
    # and a table read for the chapters keeps plain text
    plain, _ = schemas.read_table(table, path)
    assert not any(isinstance(plain[c].dtype, pd.CategoricalDtype) for c in text)
