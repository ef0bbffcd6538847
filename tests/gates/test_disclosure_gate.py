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
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from innovate.errors import DataError
from innovate.show.figures import SYNTHETIC_CAPTION_PREFIX
from innovate.show.glue import PEOPLE_COUNTS_ATTRIBUTE
from innovate.stats import disclosure

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
WHOLE_NUMBER = re.compile(r"^\s*-?\d{1,3}(,\d{3})*\s*$|^\s*-?\d+\s*$")
NOT_SHOWN = {"", "c", "x", "z", "k", "-", "..", "not published", "not recorded", "nan", "<na>"}


def whole_number(text: str) -> int | None:
    return int(text.replace(",", "")) if WHOLE_NUMBER.match(text) else None


def count_columns(frame) -> list:
    """Columns whose shown values are all whole numbers, except labels and statistics."""
    found = []
    for column in frame.columns:
        name = " ".join(map(str, column)) if isinstance(column, tuple) else str(column)
        if LABEL_WORDS.search(name):
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


def test_gate_rejects_a_malformed_marker():
    bad = MARKED_SAFE.replace(f'{PEOPLE_COUNTS_ATTRIBUTE}="5"', f'{PEOPLE_COUNTS_ATTRIBUTE}="five"')
    assert "not a whole-number threshold" in table_problems(page(bad), "p.html")[0]


# ---------------------------------------------------------------------------------------
# The built book
# ---------------------------------------------------------------------------------------
def book_pages(html_root: Path) -> list[Path]:
    return sorted(
        p
        for p in html_root.rglob("*.html")
        if not {"_static", "_sources", "_images"} & set(p.relative_to(html_root).parts)
    )


@pytest.mark.book
def test_no_table_in_the_book_shows_an_unprotected_small_count(built_book):
    assert built_book.returncode == 0, built_book.log[-3000:]
    pages = book_pages(built_book.html)
    assert pages, "no pages built"
    problems = []
    for path in pages:
        problems += table_problems(path.read_text(encoding="utf-8"), path.relative_to(built_book.html).as_posix())
    assert problems == [], "\n".join(problems)
