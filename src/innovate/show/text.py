"""Numbers in words for prose (p-values, heterogeneity, counts, plurals, lists) and table headers."""

from __future__ import annotations

import numpy as np


def format_p(p: float, prefix: bool = True) -> str:
    """A p-value, the book's one format: two significant figures at most three decimals
    ('p = 0.016', 'p = 0.10') or 'p < 0.001'. ``prefix=False`` drops the 'p ' for a
    table column headed p ('0.016', '0.10', '<0.001')."""
    if not np.isfinite(p):
        raise ValueError("p-value is not finite")
    if p < 0.001:
        return "p < 0.001" if prefix else "<0.001"
    value = f"{p:.2f}" if p >= 0.1 else f"{p:.3f}"
    return f"p = {value}" if prefix else value


def heterogeneity_words(i2_pct: float) -> str:
    """A plain description of I-squared (per cent) for prose, using the conventional
    rough bands: below 25 little, 25 to 50 moderate, 50 and above marked."""
    if i2_pct < 25:
        return "little difference between the sites beyond chance"
    if i2_pct < 50:
        return "moderate differences between the sites"
    return "marked differences between the sites"


# ---------------------------------------------------------------------------------------
# Sentences built from numbers: plurals, number words, "k of the n", lists
# ---------------------------------------------------------------------------------------
_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def number_word(n: int) -> str:
    """A count as prose writes it: "no" for zero, words for one to nine, figures from 10 ("12", "1,204")."""
    n = _count(n)
    return _WORDS[n] if n < 10 else f"{n:,}"


def plural(n: int, singular: str, plural_form: str | None = None, words: bool = False) -> str:
    """'1 code', '2 codes', '0 codes'; irregular plurals by ``plural_form`` ('1 city', '2 cities').
    ``words=True`` spells one to nine ('two codes', 'no codes')."""
    n = _count(n)
    noun = singular if n == 1 else (plural_form or singular + "s")
    return f"{number_word(n) if words else f'{n:,}'} {noun}"


def of_total(k: int, n: int, singular: str, plural_form: str | None = None) -> str:
    """'k of the n things' as a reader would say it, for every k: 'none of the 4 nations',
    'all 6 sites', 'both sites', 'neither site', 'the one site', 'no site' (of one), '3 of the 6 sites'."""
    k, n = _count(k), _count(n)
    if k > n:
        raise ValueError(f"{k} of {n} {singular}: the part is larger than the whole")
    nouns = plural_form or singular + "s"
    if n == 0:
        return f"no {nouns}"
    if n == 1:
        return f"the one {singular}" if k == 1 else f"no {singular}"
    if k == 0:
        return f"neither {singular}" if n == 2 else f"none of the {n:,} {nouns}"
    if k == n:
        return f"both {nouns}" if n == 2 else f"all {n:,} {nouns}"
    return f"{k:,} of the {n:,} {nouns}"


def join_words(items, conjunction: str = "and") -> str:
    """'a', 'a and b', 'a, b and c' (no serial comma, as the rest of the book); '' for none."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _count(n) -> int:
    """A count as an int; a float that is not whole, or a negative number, is refused."""
    if isinstance(n, bool) or not float(n).is_integer() or n < 0:
        raise ValueError(f"not a count: {n!r}")
    return int(n)


# Counts in clauses whose verb must agree with them, for every value: the noun phrases
# above give "1 code" and "3 of the 6 sites"; these add the verb ("1 file is", "none of them is read").
def counted(n: int, singular: str, plural_form: str, verb_singular: str, verb_plural: str) -> str:
    """'1 file is', '25 files are': a count, its noun and a verb agreeing with it."""
    return f"{plural(n, singular, plural_form)} {verb_singular if _count(n) == 1 else verb_plural}"


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


def capitalised(text: str) -> str:
    """A phrase made the start of a sentence ('none of the 4 areas' -> 'None of the 4 areas')."""
    return text[:1].upper() + text[1:]


def of_them_opening(k: int, n: int, verb: str, verb_one: str) -> str:
    """The opening 'k of them <verb>' of a sentence about ``n`` things, for every k:
    'Five of them sit', 'One of them sits', 'None of them sits', 'All of them sit',
    'Both sit', 'Neither sits', 'It sits', 'It does not' (``verb_one``: the verb after one thing). Mid-sentence, with
    figures and a negated verb: :func:`of_them`."""
    of_total(k, n, "thing")  # refuses k > n and what is not a count
    if n == 1:
        return f"It {verb_one}" if k == 1 else "It does not"
    if n == 2 and k in (0, 2):
        return "Neither " + verb_one if k == 0 else "Both " + verb
    if k == 0:
        return f"None of them {verb_one}"
    if k == n:
        return f"All of them {verb}"
    return f"{capitalised(number_word(k))} of them {verb_one if k == 1 else verb}"


#: Words whose capitals a header keeps ('GSS code', 'SHA-256'), by the lowercase form.
_HEADER_WORDS = {"gdp": "GDP", "gss": "GSS", "sha256": "SHA-256", "id": "ID", "uk": "UK", "csv": "CSV"}


def header(name: str) -> str:
    """A data-frame column name as a table header: 'fiscal_year' -> 'Fiscal year',
    'gdp_deflator' -> 'GDP deflator', 'site name' -> 'Site name'."""
    words = [_HEADER_WORDS.get(w.lower(), w) for w in str(name).replace("_", " ").split()]
    if not words:
        raise ValueError(f"empty column name: {name!r}")
    first = words[0]
    words[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(words)


def with_headers(frame, **renamed):
    """``frame`` with every column headed by :func:`header`, or by ``renamed`` where given
    (keyword = column name)."""
    unknown = set(renamed) - set(map(str, frame.columns))
    if unknown:
        raise KeyError(f"with_headers: no column(s) {sorted(unknown)} in {list(frame.columns)}")
    return frame.rename(columns={c: renamed.get(str(c), header(c)) for c in frame.columns})
