"""Statistical disclosure control: METHODS section 5 test vectors and recovery attacks."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from innovate.errors import DataError
from innovate.stats import disclosure

C = disclosure.SUPPRESSED


def attack(display: pd.DataFrame, truth: pd.DataFrame, totals: str) -> list[tuple]:
    """An independent attacker: every withheld body cell it can pin to one integer.

    Uses everything shown (exact cells, row/column/grand totals) and non-negativity.
    """
    cols = list(truth.columns)
    n, k = truth.shape
    body = display.iloc[:n][cols]
    bounds = []
    for i, j in itertools.product(range(n), range(k)):
        v = body.iloc[i, j]
        bounds.append((0, None) if v == C else (float(v), float(v)))
    a_eq, b_eq = [], []
    if totals in ("row", "both"):
        for i in range(n):
            v = display.iloc[i][disclosure.TOTAL]
            if v != C:
                m = np.zeros((n, k))
                m[i] = 1
                a_eq.append(m.ravel())
                b_eq.append(float(v))
    if totals in ("column", "both"):
        for j, c in enumerate(cols):
            v = display.iloc[n][c]
            if v != C:
                m = np.zeros((n, k))
                m[:, j] = 1
                a_eq.append(m.ravel())
                b_eq.append(float(v))
    if totals == "both" and display.iloc[n][disclosure.TOTAL] != C:
        a_eq.append(np.ones(n * k))
        b_eq.append(float(display.iloc[n][disclosure.TOTAL]))
    targets = []
    for i, j in itertools.product(range(n), range(k)):
        if body.iloc[i, j] == C:
            m = np.zeros((n, k))
            m[i, j] = 1
            targets.append(((truth.index[i], cols[j]), m))
    if totals in ("row", "both"):
        for i in range(n):
            if display.iloc[i][disclosure.TOTAL] == C:
                m = np.zeros((n, k))
                m[i] = 1
                targets.append(((truth.index[i], disclosure.TOTAL), m))
    if totals in ("column", "both"):
        for j, c in enumerate(cols):
            if display.iloc[n][c] == C:
                m = np.zeros((n, k))
                m[:, j] = 1
                targets.append(((disclosure.TOTAL, c), m))
    pinned = []
    kw = dict(A_eq=np.array(a_eq), b_eq=np.array(b_eq)) if a_eq else {}
    for key, m in targets:
        c = m.ravel()
        lo = linprog(c, bounds=bounds, method="highs", **kw)
        hi = linprog(-c, bounds=bounds, method="highs", **kw)
        if lo.status == 0 and hi.status == 0 and (-hi.fun - lo.fun) < 0.5:
            pinned.append(key)
    return pinned


# --- METHODS.md test vectors ------------------------------------------------------------
def test_one_line_vector():
    out = disclosure.protect_table(pd.DataFrame({"a": [0], "b": [3], "c": [7], "d": [12]}))
    assert out.iloc[0].tolist() == [0, C, C, 12]


def test_one_column_vector():
    out = disclosure.protect_table(pd.DataFrame({"n": [0, 3, 7, 12]}))
    assert out["n"].tolist() == [0, C, C, 12]


@pytest.mark.parametrize(
    "value,base,expected",
    [(14, 10, 10), (25, 10, 30), (15, 10, 20), (2.5, 1, 3), (3.5, 1, 4), (12, 5, 10), (13, 5, 15), (0, 10, 0)],
)
def test_round_half_up(value, base, expected):
    assert disclosure.round_half_up(value, base) == expected


def test_round_half_up_is_not_bankers_rounding():
    assert round(2.5) == 2  # the trap the module avoids
    assert disclosure.round_half_up(2.5) == 3
    assert disclosure.round_half_up(0.125, 0.01) == pytest.approx(0.13)


@pytest.mark.parametrize("value,expected", [(12, 10), (13, 15), (9, C), (1, C), (0, 0), (10, 10), (17, 15), (18, 20)])
def test_ons_10_5_scalar(value, expected):
    assert disclosure.ons_10_5(value) == expected


def test_ons_10_5_table_rounds_and_suppresses():
    frame = pd.DataFrame({"a": [12, 40, 9], "b": [13, 22, 30]}, index=["x", "y", "z"])
    res = disclosure.protect(frame, rule="ons_10_5")
    out = res.table
    assert out.loc["z", "a"] == C  # 9 < 10: primary
    assert out.loc["z", "b"] == C  # secondary in row z
    # every shown value is a multiple of 5 and at least 10
    shown = [v for v in out.to_numpy().ravel() if v != C]
    assert all(v % 5 == 0 and v >= 10 for v in shown)
    assert out.loc["x", "b"] == 15 and out.loc["y", "b"] == C or out.loc["x", "a"] == C


def test_rounding_interval():
    assert disclosure.rounding_interval(10, 10) == (5, 14)
    assert disclosure.rounding_interval(30, 10) == (25, 34)
    assert disclosure.rounding_interval(0, 5) == (0, 2)
    for shown, base in [(10, 10), (15, 5), (20, 10)]:
        lo, hi = disclosure.rounding_interval(shown, base)
        assert all(disclosure.round_half_up(v, base) == shown for v in range(lo, hi + 1))
        assert disclosure.round_half_up(lo - 1, base) != shown and disclosure.round_half_up(hi + 1, base) != shown


# --- primary and secondary suppression ---------------------------------------------------
def test_threshold_is_configurable_and_zeros_optional():
    frame = pd.DataFrame({"a": [0, 8, 20], "b": [30, 40, 50]})
    assert disclosure.protect_table(frame, threshold=5)["a"].tolist() == [0, 8, 20]
    out = disclosure.protect_table(frame, threshold=10)
    assert out.loc[1, "a"] == C
    out0 = disclosure.protect_table(frame, zeros_disclosive=True)
    assert out0.loc[0, "a"] == C


def test_secondary_leaves_no_line_with_a_single_suppressed_cell():
    rng = np.random.default_rng(20240601)
    for _ in range(30):
        values = rng.integers(0, 25, size=(5, 4))
        frame = pd.DataFrame(values, columns=list("abcd"))
        out = disclosure.protect_table(frame).to_numpy() == C
        for i in range(5):
            line = out[i]
            if line.sum() == 1:  # allowed only when no non-zero cell is left to withhold
                assert all(values[i, j] == 0 for j in range(4) if not line[j])
        for j in range(4):
            line = out[:, j]
            if line.sum() == 1:
                assert all(values[i, j] == 0 for i in range(5) if not line[i])


def test_secondary_picks_next_smallest_non_zero():
    frame = pd.DataFrame({"a": [2], "b": [0], "c": [9], "d": [6], "e": [40]})
    res = disclosure.protect(frame)
    assert res.table.iloc[0].tolist() == [C, 0, 9, C, 40]
    reasons = dict(zip(res.suppressed["column"], res.suppressed["reason"]))
    assert reasons == {"a": "primary", "d": "secondary"}


def test_record_names_what_was_withheld():
    frame = pd.DataFrame({"site": ["x", "y"], "n": [3, 40], "m": [20, 30]})
    res = disclosure.protect(frame, ["n", "m"])
    assert set(res.suppressed.columns) == {"row", "column", "value", "reason"}
    assert ("x", "n", "primary") in set(zip(res.suppressed["row"], res.suppressed["column"], res.suppressed["reason"]))
    assert res.table.attrs["disclosure"]["threshold"] == 5
    assert res.counts_by_reason()["primary"] == 1
    assert res.table["site"].tolist() == ["x", "y"]
    assert all(res.table[c].dtype == object for c in ["n", "m"])


# --- totals ---------------------------------------------------------------------------
def test_totals_are_added_and_safe():
    frame = pd.DataFrame({"a": [10, 3, 20], "b": [12, 15, 2], "c": [30, 40, 50]}, index=["x", "y", "z"])
    res = disclosure.protect(frame, totals="both")
    out = res.table
    assert out.loc["Total", "c"] == 120
    assert out.loc["x", disclosure.TOTAL] == 52
    assert attack(out, frame, "both") == []


def test_total_is_withheld_when_it_gives_a_cell_away():
    # Row r2 holds one suppressed cell beside a zero: its total would reveal it.
    frame = pd.DataFrame({"a": [3, 0], "b": [10, 20]}, index=["r1", "r2"])
    res = disclosure.protect(frame, totals="both")
    assert attack(res.table, frame, "both") == []
    assert "total" in set(res.suppressed["reason"])


def test_bridge_between_two_cycles_is_caught_by_the_audit():
    # Two 2x2 suppression cycles joined by one cell: each line has >= 2 suppressed cells,
    # yet the bridging cell is determined by the totals. The audit must withhold more.
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(rng.integers(20, 60, size=(4, 4)), columns=list("abcd"), index=list("pqrs"))
    pattern = [
        ("p", "a"),
        ("p", "b"),
        ("q", "a"),
        ("q", "b"),
        ("r", "c"),
        ("r", "d"),
        ("s", "c"),
        ("s", "d"),
        ("p", "c"),
    ]
    force = [((r,), c) for r, c in pattern]
    naive = disclosure.protect(frame, totals="both", force=force, audit=False)
    assert attack(naive.table, frame, "both") == [("p", "c")]  # the attacker wins without the audit
    safe = disclosure.protect(frame, totals="both", force=force)
    assert attack(safe.table, frame, "both") == []


def test_small_totals_are_suppressed():
    frame = pd.DataFrame({"a": [2, 0], "b": [1, 30]}, index=["x", "y"])
    out = disclosure.protect_table(frame, totals="row")
    assert out.loc["x", disclosure.TOTAL] == C


def test_totals_rounded_half_up():
    frame = pd.DataFrame({"a": [12, 13], "b": [20, 40]}, index=["x", "y"])
    out = disclosure.protect_table(frame, totals="both", total_rounding=10)
    assert out.loc["Total", "a"] == 30  # 25 rounds half up to 30
    assert out.loc["x", disclosure.TOTAL] == 30  # 32 -> 30
    assert out.loc["Total", disclosure.TOTAL] == 90  # 85 -> 90
    assert out.loc["x", "a"] == 12  # cells are not rounded


def test_random_tables_resist_the_attacker():
    rng = np.random.default_rng(11)
    for trial in range(15):
        shape = (int(rng.integers(2, 6)), int(rng.integers(2, 5)))
        values = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 35], size=shape)
        frame = pd.DataFrame(
            values, columns=[f"c{j}" for j in range(shape[1])], index=[f"r{i}" for i in range(shape[0])]
        )
        for totals in ("row", "column", "both"):
            out = disclosure.protect_table(frame, totals=totals)
            assert attack(out, frame, totals) == [], (trial, totals, frame)
            disclosure.assert_protected(out)


# --- consistency across tables --------------------------------------------------------
def test_linked_tables_share_suppression():
    # Two tables both show the (site x, count n) cell; table B suppresses it (and its
    # neighbour) for its own reasons, so table A must withhold it too.
    a = pd.DataFrame({"site": ["x", "y", "z"], "n": [30, 25, 40], "m": [50, 60, 70]})
    b = pd.DataFrame({"site": ["x", "y", "w"], "n": [30, 25, 3], "k": [40, 20, 30]})
    alone = disclosure.protect_table(a, ["n", "m"])
    assert (alone.to_numpy() == C).sum() == 0
    res = disclosure.protect_tables({"a": a, "b": b}, {"a": ["n", "m"], "b": ["n", "k"]})
    ta, tb = res["a"].table, res["b"].table
    for site in ("x", "y", "z"):
        if site in set(tb["site"]):
            ra = ta.loc[ta["site"] == site, "n"].iloc[0]
            rb = tb.loc[tb["site"] == site, "n"].iloc[0]
            assert (ra == C) == (rb == C)
    assert (ta["n"] == C).sum() >= 1
    assert "linked" in set(res["a"].suppressed["reason"])


# --- shares ---------------------------------------------------------------------------
def test_shares_hide_with_their_counts_and_totals():
    frame = pd.DataFrame({"a": [10, 3, 20], "b": [12, 15, 2], "c": [30, 40, 50]}, index=["x", "y", "z"])
    res = disclosure.protect(frame, totals="row")
    shares = disclosure.protected_shares(frame, res, axis="row")
    assert shares.loc["x", "a"] == pytest.approx(19.2)
    for i in frame.index:
        for c in frame.columns:
            assert (shares.loc[i, c] == C) == (res.table.loc[i, c] == C or res.table.loc[i, disclosure.TOTAL] == C)
    with pytest.raises(ValueError):
        disclosure.protected_shares(frame, disclosure.protect(frame), axis="row")


# --- checking what is shown -----------------------------------------------------------
def test_assert_protected_names_the_cell():
    frame = pd.DataFrame({"site": ["x", "y"], "n": [40, 3], "year": [2019, 2020]})
    with pytest.raises(DataError) as err:
        disclosure.assert_protected(frame, source="stages.ipynb")
    problem = err.value.problems[0]
    assert problem.column == "n" and problem.row == 2 and problem.rule == "disclosure.small_count"
    assert "stages.ipynb" in str(err.value)


def test_assert_protected_accepts_protected_tables_and_ignores_statistics():
    frame = pd.DataFrame({"n": [40, 3, 12], "mean_score": [1.0, 2.0, 3.0], "wave": [1, 2, 3]})
    disclosure.assert_protected(disclosure.protect_table(frame, ["n"]))
    disclosure.assert_protected(pd.DataFrame({"share": [2.5, 3.0], "rate": [1, 2]}))
    with pytest.raises(DataError):
        disclosure.assert_protected(pd.DataFrame({"n": ["1,234", "4"]}))


def test_html_round_trip():
    frame = pd.DataFrame({"a": [3, 40, 22], "b": [10, 20, 31]}, index=pd.Index(["x", "y", "z"], name="site"))
    html = disclosure.protect_table(frame, totals="both").to_html()
    [parsed] = disclosure.frames_from_html("<p>text</p>" + html)
    assert list(parsed.columns) == ["a", "b", "Total"]
    assert parsed.loc["x", "a"] == C
    disclosure.assert_protected(parsed)
    raw = disclosure.frames_from_html(frame.to_html())[0]
    with pytest.raises(DataError):
        disclosure.assert_protected(raw)


# --- bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [-1, 2.5, None, "many"])
def test_bad_counts_are_named(bad):
    frame = pd.DataFrame({"n": [10, bad, 30]}, dtype=object)
    with pytest.raises(DataError) as err:
        disclosure.protect_table(frame, ["n"])
    assert err.value.problems[0].column == "n" and err.value.problems[0].row == 2


def test_unknown_rule_and_columns():
    frame = pd.DataFrame({"n": [10, 20]})
    with pytest.raises(ValueError):
        disclosure.protect_table(frame, rule="nope")
    with pytest.raises(DataError):
        disclosure.protect_table(frame, ["missing"])
    with pytest.raises(ValueError):
        disclosure.protect_table(frame, totals="diagonal")


# --- issue 12: a "c" is at least 1 when zeros are shown ----------------------------------------
def reader_attack(display: pd.DataFrame, truth: pd.DataFrame, lower: int) -> list[tuple]:
    """The attacker with a reader's knowledge: every "c" body cell is at least ``lower``."""
    cols = list(truth.columns)
    n, k = truth.shape
    body = display.iloc[:n][cols]
    bounds = [
        (lower, None) if body.iloc[i, j] == C else (float(body.iloc[i, j]),) * 2
        for i, j in itertools.product(range(n), range(k))
    ]
    a_eq, b_eq = [], []
    for i in range(n):
        v = display.iloc[i][disclosure.TOTAL]
        if v != C:
            m = np.zeros((n, k))
            m[i] = 1
            a_eq.append(m.ravel())
            b_eq.append(float(v))
    pinned = []
    for i, j in itertools.product(range(n), range(k)):
        if body.iloc[i, j] != C:
            continue
        m = np.zeros((n, k))
        m[i, j] = 1
        kw = dict(A_eq=np.array(a_eq), b_eq=np.array(b_eq)) if a_eq else {}
        lo = linprog(m.ravel(), bounds=bounds, method="highs", **kw)
        hi = linprog(-m.ravel(), bounds=bounds, method="highs", **kw)
        if lo.status == 0 and hi.status == 0 and (-hi.fun - lo.fun) < 0.5:
            pinned.append((truth.index[i], cols[j]))
    return pinned


def test_two_hidden_ones_beside_their_total_are_caught():
    # "c, c, 50 | total 52": zeros are shown, so each c is at least 1, and the total says
    # both are exactly 1. The total must be withheld.
    frame = pd.DataFrame({"a": [1, 30], "b": [1, 40], "c": [50, 60]}, index=["x", "y"])
    out = disclosure.protect_table(frame, totals="row")
    assert out.loc["x", "a"] == C and out.loc["x", "b"] == C
    assert out.loc["x", disclosure.TOTAL] == C
    assert reader_attack(out, frame, lower=1) == []


def test_hidden_cells_may_be_zero_when_zeros_are_withheld_too():
    # With zeros withheld, "c, c, 50 | 52" leaves each c anywhere in 0..2: the total may stay.
    frame = pd.DataFrame({"a": [1, 30], "b": [1, 40], "c": [50, 60]}, index=["x", "y"])
    out = disclosure.protect_table(frame, totals="row", zeros_disclosive=True)
    assert out.loc["x", disclosure.TOTAL] == 52
    assert reader_attack(out, frame, lower=0) == []


def test_random_tables_resist_a_reader_who_knows_zeros_are_shown():
    rng = np.random.default_rng(12)
    for trial in range(12):
        shape = (int(rng.integers(2, 5)), int(rng.integers(2, 5)))
        values = rng.choice([1, 1, 2, 3, 6, 8, 12, 20, 35], size=shape)
        frame = pd.DataFrame(
            values, columns=[f"c{j}" for j in range(shape[1])], index=[f"r{i}" for i in range(shape[0])]
        )
        out = disclosure.protect_table(frame, totals="row")
        assert reader_attack(out, frame, lower=1) == [], (trial, frame)
