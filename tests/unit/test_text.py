"""Sentences built from numbers read correctly for every value (issue #17 item 5)."""

from __future__ import annotations

import pandas as pd
import pytest

from innovate.show import text


@pytest.mark.parametrize(
    ("n", "expected", "in_words"),
    [(0, "0 codes", "no codes"), (1, "1 code", "one code"), (2, "2 codes", "two codes"), (12, "12 codes", "12 codes")],
)
def test_plural(n, expected, in_words):
    assert text.plural(n, "code") == expected
    assert text.plural(n, "code", words=True) == in_words


def test_plural_irregular_and_large():
    assert text.plural(1, "city", "cities") == "1 city"
    assert text.plural(3, "city", "cities") == "3 cities"
    assert text.plural(1204, "row") == "1,204 rows"
    assert text.plural(2.0, "site") == "2 sites"


def test_number_word():
    assert [text.number_word(n) for n in (1, 6, 9, 10, 2500)] == ["one", "six", "nine", "10", "2,500"]


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        (0, 4, "none of the 4 nations"),
        (1, 4, "1 of the 4 nations"),
        (3, 4, "3 of the 4 nations"),
        (4, 4, "all 4 nations"),
        (2, 2, "both nations"),
        (0, 2, "neither nation"),
        (1, 2, "1 of the 2 nations"),
        (1, 1, "the one nation"),
        (0, 1, "no nation"),
        (0, 0, "no nations"),
    ],
)
def test_of_total(k, n, expected):
    assert text.of_total(k, n, "nation") == expected


def test_of_total_says_all_rather_than_n_of_n():
    assert f"at {text.of_total(6, 6, 'site')}" == "at all 6 sites"
    assert text.of_total(2, 3, "city", "cities") == "2 of the 3 cities"


@pytest.mark.parametrize("bad", [(5, 4), (-1, 4), (1.5, 4), (True, 4)])
def test_of_total_refuses_what_is_not_a_count(bad):
    with pytest.raises(ValueError):
        text.of_total(*bad, "site")


def test_join_words():
    assert text.join_words([]) == ""
    assert text.join_words(["Devon"]) == "Devon"
    assert text.join_words(["Devon", "Hackney"]) == "Devon and Hackney"
    assert text.join_words(["a", "b", "c"]) == "a, b and c"
    assert text.join_words(["a", "b"], "or") == "a or b"
    assert text.join_words(x for x in (1, 2, 3)) == "1, 2 and 3"


def test_header():
    assert text.header("fiscal_year") == "Fiscal year"
    assert text.header("gdp_deflator") == "GDP deflator"
    assert text.header("sha256") == "SHA-256"
    assert text.header("matches") == "Matches"
    assert text.header("ATT") == "ATT"
    with pytest.raises(ValueError):
        text.header("_")


def test_with_headers():
    frame = pd.DataFrame({"site_name": ["x"], "area_code": ["E1"], "start": ["2020"]})
    shown = text.with_headers(frame, start="Innovation started")
    assert list(shown.columns) == ["Site name", "Area code", "Innovation started"]
    with pytest.raises(KeyError, match="nowhere"):
        text.with_headers(frame, nowhere="X")
