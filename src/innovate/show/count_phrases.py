"""Counts in clauses whose verb must agree with them, for every value.

:mod:`innovate.show.text` gives the noun phrases ('1 code', '3 of the 6 sites'); these add
the verb ('1 file is', '25 files are', 'none of them is read'), so that a sentence built
from numbers reads correctly whatever the data give.
"""

from __future__ import annotations

from innovate.show import text


def _count(n) -> int:
    if isinstance(n, bool) or not float(n).is_integer() or n < 0:
        raise ValueError(f"not a count: {n!r}")
    return int(n)


def counted(n: int, singular: str, plural_form: str, verb_singular: str, verb_plural: str) -> str:
    """'1 file is', '25 files are': a count, its noun and a verb agreeing with it."""
    return f"{text.plural(n, singular, plural_form)} {verb_singular if _count(n) == 1 else verb_plural}"


def of_them(k: int, n: int, verb_singular: str, verb_plural: str, verb_negated: str) -> str:
    """'21 of them are read', 'all of them are read', 'none of them is read', 'it is not read'
    (of one): the part of a group just named, with the verb in agreement."""
    k, n = _count(k), _count(n)
    if k > n:
        raise ValueError(f"{k} of {n}: the part is larger than the whole")
    if n == 1:
        return f"it {verb_singular if k == 1 else verb_negated}"
    if k == n:
        return f"{'both' if n == 2 else 'all'} of them {verb_plural}"
    if k == 0:
        return f"{'neither' if n == 2 else 'none'} of them {verb_singular}"
    return f"{k:,} of them {verb_singular if k == 1 else verb_plural}"


def agreeing(n: int, verb_singular: str, verb_plural: str) -> str:
    """'1 was', '4 were', '1,204 belong': a bare count and a verb agreeing with it."""
    return f"{_count(n):,} {verb_singular if _count(n) == 1 else verb_plural}"
