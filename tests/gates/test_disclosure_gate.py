"""Disclosure gate: no table the book shows reveals a small count of people.

Scans every ``<table>`` of every page of the built book (notebook outputs, Markdown tables,
theme tables alike) with ``innovate.disclosure``:

1. **Marked tables.** A table shown with ``innovate.report.styled(..., people_threshold=N)``
   carries ``data-people-counts="N"``: it claims to be counts of people that went through
   ``innovate.disclosure``. Every whole-number cell of its count columns must then lie
   outside 1..N (``"c"`` for the withheld ones), checked by ``disclosure.assert_protected``
   after reading the displayed text (``"1,234"`` is 1234).
2. **Tables of case-level (synthetic) data**, recognised by the caption prefix every table
   and figure from case-level data must carry (``figures.synthetic_caption``), in the
   table's own ``<caption>`` or in the caption of the figure that holds it: every table with
   a whole-number column that is not a label or a statistic (year, wave, age, score, rate,
   share, ...) must carry the marker. Case-level data are about young people; a
   whole-number column there is presumed a count of people unless the author has
   protected and marked it. This is the strict rule, and it is what lets the same book run
   safely on the real extract. (Chapters mix real and synthetic evidence, so the decision
   is made per table, not per page.)
3. **Every other table**: an unmarked table whose caption or column headings speak of people
   (people, young people, children, respondents, participants, families, n, ...) must not
   show a whole-number count from 1 to the DfE threshold of 5.

Rules 2 and 3 use the displayed text only, so they also catch a table displayed directly
from a DataFrame without ``styled``.

4. **An independent check with ACRO**, the output checker UK trusted research environments
   use. Every table the book's executions protect (``innovate.stats.disclosure.protect``) is
   written out with its true counts (``innovate.stats.disclosure_export``); ACRO, in its own
   environment (``.venv-acro``, made by ``make test``), rebuilds each from its records with
   ``ACRO(suppress=False).crosstab`` under the book's rule (``acro_check.py`` says how the
   thresholds are made comparable) and the gate fails if ACRO flags an entry the book shows.
   The one deliberate difference: ACRO's threshold check flags zero cells, and the book,
   following the DfE convention, shows zeros unless a table sets ``zeros_disclosive``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from book_html import book_pages, chapter_pages
from innovate.errors import DataError
from innovate.show.figures import SYNTHETIC_CAPTION_PREFIX
from innovate.show.glue import PEOPLE_COUNTS_ATTRIBUTE
from innovate.stats import disclosure, disclosure_export

ROOT = Path(__file__).resolve().parents[2]
#: ACRO's own Python (make .venv-acro; requirements-acro.txt) and the script it runs.
ACRO_PYTHON = ROOT / ".venv-acro" / "bin" / "python"
ACRO_CHECK = Path(__file__).with_name("acro_check.py")
#: The runs of the session's executions whose protected tables ACRO checks.
ACRO_RUNS = ("second", "other")

#: DfE practice: counts from 1 to 5 are replaced by "c".
DEFAULT_THRESHOLD = 5
#: The start of the caption every synthetic table and figure carries.
SYNTHETIC_MARK = SYNTHETIC_CAPTION_PREFIX.split(",")[0]  # "Synthetic data (illustrative"
PEOPLE_WORDS = re.compile(
    r"(?i)\b(people|persons?|young\s+people|children|child|respondents?|participants?|individuals|"
    r"famil(?:y|ies)|parents?|carers?|pupils|adolescents|cases|n)\b"
)
LABEL_WORDS = re.compile(
    r"(?i)(^|[\s_/(])(year|years|wave|month|months|age|order|rank|id|code|score|scale|item|stage|period|"
    r"quarter|week|day|days|date|level|version|decile|quintile|percent|pct|%|share|rate|ratio|mean|median|"
    r"sd|se|ci|estimate|coef|seconds|bytes|kb|mb|digits|seed)([\s_/)]|$)"
)
#: Units that are not people: a column headed only by one of these (and no word for people)
#: counts places, organisations, records or events, e.g. "Site areas", "Question-stage cells
#: audited", "Stalls". A heading that also names people ("Young people at the sites") stays a
#: count of people.
NOT_PEOPLE_UNITS = re.compile(
    r"(?i)\b(areas?|sites?|councils?|authorities|regions?|nations?|cells|stalls|regressions|"
    r"measures|series|files|tables|rows|columns|packages|notebooks|chapters)\b"
)
WHOLE_NUMBER = re.compile(r"^\s*-?\d{1,3}(,\d{3})*\s*$|^\s*-?\d+\s*$")
NOT_SHOWN = {"", "c", "x", "z", "k", "-", "..", "not published", "not recorded", "nan", "<na>"}


def whole_number(text: str) -> int | None:
    return int(text.replace(",", "")) if WHOLE_NUMBER.match(text) else None


def count_columns(frame) -> list:
    """Columns whose shown values are all whole numbers, except labels and statistics."""
    found = []
    for column in frame.columns:
        name = " ".join(map(str, column)) if isinstance(column, tuple) else str(column)
        if LABEL_WORDS.search(name) or (NOT_PEOPLE_UNITS.search(name) and not PEOPLE_WORDS.search(name)):
            continue
        shown = [str(v).strip() for v in frame[column].tolist() if str(v).strip().lower() not in NOT_SHOWN]
        if shown and all(whole_number(v) is not None for v in shown):
            found.append(column)
    return found


def is_synthetic_table(table) -> bool:
    """Whether a table's caption, or that of the figure holding it, marks synthetic data."""
    captions = [table.find("caption")]
    figure = table.find_parent("figure")
    if figure is not None:
        captions.append(figure.find("figcaption"))
    return any(c is not None and SYNTHETIC_MARK in c.get_text(" ") for c in captions)


def table_problems(html: str, page: str) -> list[str]:
    """Every disclosure problem of the tables of one page (see the module docstring)."""
    soup = BeautifulSoup(html, "html.parser")
    problems = []
    for index, table in enumerate(soup.find_all("table")):
        if table.find_parent("table") is not None:
            continue
        where = f"{page} table {index + 1}" + (f" (id {table.get('id')})" if table.get("id") else "")
        frames = disclosure.frames_from_html(str(table))
        if not frames:
            continue
        frame = frames[0]
        marker = table.get(PEOPLE_COUNTS_ATTRIBUTE)
        if marker is not None:
            try:
                threshold = int(marker)
            except ValueError:
                problems.append(f"{where}: {PEOPLE_COUNTS_ATTRIBUTE}={marker!r} is not a whole-number threshold")
                continue
            try:
                disclosure.assert_protected(
                    frame, threshold=threshold, count_columns=count_columns(frame), source=where
                )
            except DataError as error:
                problems += [f"{where}: {p.message} (column {p.column!r})" for p in error.problems]
            continue
        columns = count_columns(frame)
        if not columns:
            continue
        if is_synthetic_table(table):
            problems.append(
                f"{where}: a table in a synthetic-data chapter shows whole-number columns {list(map(str, columns))} "
                f"without the {PEOPLE_COUNTS_ATTRIBUTE} marker; protect it with innovate.disclosure and show it "
                "with innovate.report.styled(..., people_threshold=N)"
            )
            continue
        caption = table.find("caption")
        head = table.find("thead")
        headers = " ".join(  # the caption and the column headings (row labels name measures, not units)
            [caption.get_text(" ") if caption else ""]
            + ([th.get_text(" ") for th in head.find_all("th")] if head else [])
        )
        if PEOPLE_WORDS.search(headers):
            try:
                disclosure.assert_protected(frame, threshold=DEFAULT_THRESHOLD, count_columns=columns, source=where)
            except DataError as error:
                problems += [
                    f"{where}: unmarked table of people: {p.message} (column {p.column!r})" for p in error.problems
                ]
    return problems


# ---------------------------------------------------------------------------------------
# The gate's own tests
# ---------------------------------------------------------------------------------------
def page(*tables: str) -> str:
    return (
        f"<html><body><p>{SYNTHETIC_CAPTION_PREFIX} A figure elsewhere on the page.</p>{''.join(tables)}</body></html>"
    )


def synthetic(table: str, how: str = "caption") -> str:
    """The same table captioned as synthetic data (its own caption, or a figure's)."""
    if how == "caption":
        return table.replace(">", f"><caption>{SYNTHETIC_CAPTION_PREFIX} Young people by site.</caption>", 1)
    return f"<figure>{table}<figcaption><p>{SYNTHETIC_CAPTION_PREFIX} Young people.</p></figcaption></figure>"


MARKED_SMALL = (
    f'<table {PEOPLE_COUNTS_ATTRIBUTE}="5"><thead><tr><th></th><th>young people</th></tr></thead>'
    "<tbody><tr><th>Devon</th><td>1,234</td></tr><tr><th>Reading</th><td>3</td></tr></tbody></table>"
)
MARKED_SAFE = (
    f'<table {PEOPLE_COUNTS_ATTRIBUTE}="5"><thead><tr><th></th><th>young people</th></tr></thead>'
    "<tbody><tr><th>Devon</th><td>1,234</td></tr><tr><th>Reading</th><td>c</td></tr>"
    "<tr><th>Hackney</th><td>0</td></tr></tbody></table>"
)
UNMARKED_COUNTS = (
    "<table><thead><tr><th>site</th><th>young people</th></tr></thead>"
    "<tbody><tr><td>Devon</td><td>120</td></tr><tr><td>Reading</td><td>2</td></tr></tbody></table>"
)
UNMARKED_YEARS = (
    "<table><thead><tr><th>measure</th><th>year</th><th>episodes</th></tr></thead>"
    "<tbody><tr><td>a</td><td>2018</td><td>20,000</td></tr></tbody></table>"
)
ESTIMATES = (
    "<table><thead><tr><th>term</th><th>rate ratio</th></tr></thead>"
    "<tbody><tr><td>level</td><td>0.85</td></tr></tbody></table>"
)


def test_gate_flags_a_small_count_in_a_marked_table():
    problems = table_problems(page(MARKED_SMALL), "p.html")
    assert len(problems) == 1 and "a count of 3" in problems[0] and "p.html table 1" in problems[0]
    assert table_problems(page(MARKED_SAFE), "p.html") == []


def test_gate_requires_the_marker_for_counts_in_synthetic_tables():
    for how in ("caption", "figure"):
        problems = table_problems(page(synthetic(UNMARKED_YEARS, how)), "s.html")
        assert len(problems) == 1 and "without the data-people-counts marker" in problems[0]
    assert table_problems(page(synthetic(ESTIMATES)), "s.html") == []
    assert table_problems(page(synthetic(MARKED_SAFE)), "s.html") == []
    # a real-statistics table on a page that also shows synthetic data is judged on its own
    assert table_problems(page(UNMARKED_YEARS, synthetic(ESTIMATES)), "s.html") == []


def test_gate_flags_small_unmarked_counts_of_people_elsewhere():
    problems = table_problems(page(UNMARKED_COUNTS), "p.html")
    assert len(problems) == 1 and "unmarked table of people" in problems[0]
    assert table_problems(page(UNMARKED_YEARS, ESTIMATES), "p.html") == []


def test_row_labels_about_people_do_not_make_a_table_of_areas_a_table_of_people():
    areas = (
        "<table><thead><tr><th></th><th>site areas</th></tr></thead>"
        "<tbody><tr><th>Looked-after children who went missing</th><td>4</td></tr></tbody></table>"
    )
    assert table_problems(page(areas), "p.html") == []


def test_a_column_counting_areas_or_events_is_not_a_count_of_people_but_one_naming_people_is():
    frame = pd.DataFrame({"Site areas": ["4"], "Stalls": ["2"], "Question-stage cells audited": ["3"]})
    assert count_columns(frame) == []
    frame = pd.DataFrame({"Young people at the sites": ["4"], "Children per area": ["3"], "Cases": ["2"]})
    assert count_columns(frame) == list(frame.columns)
    caption = "<caption>Effect per 10,000 children, with the number of site areas</caption>"
    table = f"<table>{caption}<thead><tr><th></th><th>Site areas</th></tr></thead><tbody><tr><th>A</th><td>4</td></tr></tbody></table>"
    assert table_problems(page(table), "p") == []


def test_gate_rejects_a_malformed_marker():
    bad = MARKED_SAFE.replace(f'{PEOPLE_COUNTS_ATTRIBUTE}="5"', f'{PEOPLE_COUNTS_ATTRIBUTE}="five"')
    assert "not a whole-number threshold" in table_problems(page(bad), "p.html")[0]


# ---------------------------------------------------------------------------------------
# The built book
# ---------------------------------------------------------------------------------------
@pytest.mark.book
def test_no_table_in_the_book_shows_an_unprotected_small_count(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    pages = book_pages(built_book.html)
    walked = {page.relative_to(built_book.html).as_posix() for page in pages}
    assert chapter_pages() <= walked, f"pages not walked: {sorted(chapter_pages() - walked)}"
    problems = []
    for path in pages:
        problems += table_problems(path.read_text(encoding="utf-8"), path.relative_to(built_book.html).as_posix())
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------------------------------
# The independent check: ACRO
# ---------------------------------------------------------------------------------------
def acro_problems(folder: Path) -> tuple[list[str], int]:
    """Entries ACRO flags that the book shows, for every table exported to ``folder``;
    and how many tables ACRO checked. Messages name the table's source and the cell, never
    its value."""
    if not ACRO_PYTHON.exists():
        pytest.fail(f"ACRO's environment is missing ({ACRO_PYTHON.relative_to(ROOT)}): run `make .venv-acro`")
    done = subprocess.run(
        [str(ACRO_PYTHON), str(ACRO_CHECK), str(folder)], capture_output=True, text=True, timeout=900, cwd=ROOT
    )
    assert done.returncode == 0, f"acro_check.py failed:\n{done.stderr[-3000:]}"
    report = json.loads(done.stdout)
    problems = []
    for name, table in report["tables"].items():
        document = json.loads((folder / name).read_text(encoding="utf-8"))
        rows = document["rows"] + [disclosure.TOTAL]
        columns = document["columns"] + [disclosure.TOTAL]
        n, k = len(document["rows"]), len(document["columns"])
        for i, j, checks, zero in table["flagged"]:
            if (i == n and not document["column_totals"]) or (j == k and not document["row_totals"]):
                continue  # a margin the book does not show
            if zero and not document["zeros_disclosive"]:
                continue  # the DfE convention: zeros are shown (module docstring)
            if not document["withheld"][i][j]:
                problems.append(
                    f"{document['source']}: ACRO {report['acro']} flags ({checks}) row {rows[i]!r}, "
                    f"column {columns[j]!r}, which the book shows"
                )
    return problems, len(report["tables"])


def test_acro_flags_a_small_count_the_book_would_show(tmp_path):
    frame = pd.DataFrame({"site": ["CS site 1", "CS site 2", "TIP site 1"], "yes": [3, 50, 0], "no": [0, 7, 40]})
    protected = tmp_path / "protected"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(disclosure_export.ENVIRONMENT_VARIABLE, str(protected))
        shown = disclosure.protect(frame, ["yes", "no"], totals="both").table
    assert acro_problems(protected) == ([], 1)
    assert shown.loc[0, "yes"] == disclosure.SUPPRESSED
    # the same table published without protection: ACRO finds the 3 (not the zeros) and its row total
    leaked = tmp_path / "leaked"
    counts = np.array([[3, 0, 3], [50, 7, 57], [0, 40, 40], [53, 47, 100]])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(disclosure_export.ENVIRONMENT_VARIABLE, str(leaked))
        settings = {"rule": "dfe", "threshold": 5, "zeros_disclosive": False, "rounding": None}
        disclosure_export.export(counts, counts < 0, list(frame["site"]), ["yes", "no"], True, True, settings)
    problems, checked = acro_problems(leaked)
    assert checked == 1 and len(problems) == 2, problems
    assert "row 'CS site 1', column 'yes'" in problems[0] and "row 'CS site 1', column 'Total'" in problems[1]
    # zeros are flagged by ACRO's rule when the book's rule withholds them too
    settings["zeros_disclosive"] = True
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(disclosure_export.ENVIRONMENT_VARIABLE, str(tmp_path / "zeros"))
        disclosure_export.export(counts, counts < 0, list(frame["site"]), ["yes", "no"], True, True, settings)
    assert len(acro_problems(tmp_path / "zeros")[0]) == 4


@pytest.mark.book
def test_acro_finds_no_shown_small_count_in_any_table_the_book_protects(book_executions):
    for run in ACRO_RUNS:
        assert book_executions.errors.get(run) == [], f"the {run!r} execution failed: {book_executions.errors.get(run)}"
        folder = book_executions.run("disclosure") / run
        assert folder.is_dir(), f"the {run!r} execution exported no protected table to {folder}"
        problems, checked = acro_problems(folder)
        # every site chapter protects its own tables; far fewer means the export stopped working
        assert checked >= 10, f"ACRO checked only {checked} tables of the {run!r} execution"
        assert problems == [], "\n".join(problems)
