"""Numbers in prose are glued, not typed.

Scans the Markdown of every chapter (``book/**/*.md`` and the Markdown cells of
``notebooks/**/*.ipynb``) for digits outside glue roles, citations, code, maths, link
targets and directive options, with the short allow-list of ``innovate.claims.ALLOWED``
(years, section and stage numbers, named scale bounds, rate denominators, ...).
"""

from __future__ import annotations

import json

import pytest

from conftest import ROOT
from innovate.sphinxext import claims


@pytest.mark.parametrize(
    "text",
    [
        "Referrals fell by 38 per cent.",
        "There were 1,234 young people.",
        "The mean score was 3.5.",
        "A share of 20%.",
        "Costs changed by -3.5 units.",
        "1. First point\n2. Second point with 7 sites",
        "```{glue:figure} fig-x\n:alt: anything 45\n:name: fig-x\n\nCaption with 12 people.\n```",
        ":::{note}\nInside a note, 9 cases.\n:::",
        "| site | n |\n|---|---|\n| Devon | 17 |",
        "[a link about 2 things](https://example.org/3)",
        "A 16-year-old.",
        "F on 1 degree of freedom.",
        "Counts from 1 to 5 are withheld.",
    ],
)
def test_typed_numbers_are_flagged(text):
    assert claims.typed_numbers(text) != []


@pytest.mark.parametrize(
    "text",
    [
        "Glued: {glue:text}`n_people:,.0f` young people, {glue}`share`.",
        "Cited {cite:p}`lopezbernal2017its` and {cite:t}`husereau2022cheers`.",
        "Years 2018 and 2019-20, the 1990s, 2015-01-01, and 31 March 2025.",
        "Section 251 returns, stage 3, stages 4 to 5, items 18-20, wave 2, Table 1, Key Stage 4.",
        "SWEMWBS 7-35, WEMWBS (14-70), a 1-5 agreement scale.",
        "Rates per 10,000 children aged 0-17; DfE rounds to the nearest 10.",
        "OGL v3, CC BY 4.0, Open Government Licence v3.0, Python 3.11, Jupyter Book 1.",
        "Codes E12000007, S12000050 and COVID-19; CHU9D utilities; the 3rd wave.",
        "Inline `code 12`, maths $x_1 = 3$ and $$y = 2$$.",
        "```python\nx = 5\n```",
        "```{math}\ny = 3x + 2\n```",
        "## 3.1 Methods\n\n(sec-x)=\n% a comment with 5\n<!-- hidden 12 -->",
        "See [the guidance](https://example.org/page-2).",
        "---\njupytext: {version: 1.2}\n---\n# Title",
        "With 95% confidence intervals, 95% limits and p below 0.05; the 2.5th and 97.5th percentiles.",
        "Regression with ARIMA(1,0,0) errors, re-run in R 4.2.2; model 3 and Model 4.",
        "The answer (1 strongly disagree to 5 strongly agree).",
    ],
)
def test_allowed_and_non_prose_digits_are_not_flagged(text):
    assert claims.typed_numbers(text) == []


def test_findings_name_the_file_and_line():
    found = claims.typed_numbers("# Title\n\nSome text.\nThere were 42 people.\n", "book/x.md")
    assert [(f.source, f.line, f.number) for f in found] == [("book/x.md", 4, "42")]
    assert "book/x.md:4: '42'" in str(found[0])


def test_numbers_inside_directive_bodies_keep_their_line():
    text = "Intro.\n\n```{note}\n:class: tip\n\nA note with 7 items.\n```\n"
    found = claims.typed_numbers(text, "x.md")
    assert [(f.line, f.number) for f in found] == [(6, "7")]


def book_sources():
    """Chapters: Markdown under book/ and notebooks under notebooks/ (not _templates etc.)."""
    files = sorted((ROOT / "book").rglob("*.md")) + sorted((ROOT / "notebooks").rglob("*.ipynb"))
    return [p for p in files if not any(part.startswith(("_", ".")) for part in p.relative_to(ROOT).parts)]


def test_the_book_has_no_numbers_typed_into_prose():
    findings = []
    for path in book_sources():
        relative = path.relative_to(ROOT).as_posix()
        if path.suffix == ".ipynb":
            findings += claims.notebook_typed_numbers(json.loads(path.read_text(encoding="utf-8")), relative)
        else:
            findings += claims.typed_numbers(path.read_text(encoding="utf-8"), relative)
    assert findings == [], "numbers typed into prose (glue them, or spell out a non-result):\n" + "\n".join(
        str(f) for f in findings
    )
