"""The two sites of one framework side by side: their areas in public statistics, and a
contrast between their case-level estimates.

Each framework was operationalised by two sites (:data:`innovate.data.sites.FRAMEWORKS`).
:func:`pair_profile` sets their areas next to each other on the public series each area
publishes, from the same profiles the site chapters use
(:func:`innovate.study.area_profile.site_profile` for an English area,
:func:`innovate.study.scotland_area.council_profile` for North Lanarkshire), so a number
in a framework chapter is the number its site chapter shows. For a measure both areas
publish, the year shown is the latest year both publish; otherwise each area's latest.

Real public statistics only: areas carry their real names. The case-level contrast
(:func:`ratio_of_ratios`) works on numbers and knows no names.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from innovate.config import ENGLAND_CODE
from innovate.data import public, sites
from innovate.data.published_measures import PUBLISHED_MEASURES
from innovate.stats.results import numbers_at_precision
from innovate.study import area_profile, estimands, scotland_area

#: Rows of the side-by-side table: id -> (readable name, unit, decimals), defined with the
#: published series (:data:`innovate.data.published_measures.PUBLISHED_MEASURES`).
MEASURES: dict[str, tuple[str, str, int]] = PUBLISHED_MEASURES
#: Measures whose values are levels a reader can set against the nation's (the figure
#: shows them as a multiple of the national value); a percentage change is not one.
LEVEL_MEASURES = tuple(m for m in MEASURES if m != "population_change")
NATIONAL_NAMES = {"England": "England", "Scotland": "Scotland"}


def _series(site_id: str) -> tuple[dict[str, pd.DataFrame], str, str]:
    """Each published measure of a site's area as a frame (year, area, comparison, national),
    the area's name and what its comparison areas are."""
    record = sites.site(site_id)
    out: dict[str, pd.DataFrame] = {}
    if record.nation == "Scotland":
        p = scotland_area.council_profile()
        v = p.values
        for key, name in (("register", "register"), ("looked_after", "looked_after")):
            scale = 10 if key == "looked_after" else 1  # per 1,000 -> per 10,000, as England publishes it
            out[key] = pd.DataFrame(
                {
                    "year": [2021],
                    "area": [v[f"{name}_area"] * scale],
                    "comparison": [v[f"{name}_median"] * scale],
                    "national": [v[f"{name}_scotland"] * scale],
                }
            )
        b = p.benchmarking[p.benchmarking["code"] == "CHN23"]
        out["placements"] = pd.DataFrame(
            {
                "year": b["year"].str[:4].astype(int) + 1,  # the financial year by its end, as England's are
                "area": b["council"].to_numpy(),
                "comparison": b["council_median"].to_numpy(),
                "national": b["scotland"].to_numpy(),
            }
        )
        pop = p.population
        out["population"] = pd.DataFrame(
            {"year": pop["year"], "area": pop["council"], "comparison": float("nan"), "national": pop["scotland"]}
        )
        return out, p.name, "Scotland's councils"
    english_area = area_profile.site_profile(site_id)
    for measure, comp in english_area.comparisons.items():
        s = comp.summary
        out[measure.lower()] = pd.DataFrame(
            {"year": s["year"], "area": s["site"], "comparison": s["comparison_median"], "national": s["england"]}
        )
    lac = english_area.looked_after
    out["looked_after"] = pd.DataFrame(
        {"year": lac["year"], "area": lac["site"], "comparison": lac["comparison_median"], "national": lac["england"]}
    )
    spend = english_area.spend[english_area.spend["line"] == area_profile.SPEND_MEASURES["C&YPExpenditure"]]
    out["spend"] = pd.DataFrame(
        {
            "year": spend["year"],
            "area": spend["site"],
            "comparison": spend["comparison_median"],
            "national": spend["england"],
        }
    )
    pop = public.child_population()
    pop = pop[pop["measure"] == "Children aged 0-17"]
    own = pop[pop["area_code"] == english_area.spec.code].set_index("year")["value"]
    eng = pop[pop["area_code"] == ENGLAND_CODE].set_index("year")["value"]
    years = sorted(own.index)
    out["population"] = pd.DataFrame(
        {
            "year": years,
            "area": own.reindex(years).to_numpy(float),
            "comparison": float("nan"),
            "national": eng.reindex(years).to_numpy(float),
        }
    )
    kind = "its statistical neighbours" if english_area.spec.level == "Local authority" else "the other English regions"
    return out, english_area.spec.name, kind


def _latest_common(a: pd.DataFrame | None, b: pd.DataFrame | None) -> tuple[int | None, int | None]:
    """The years to show: the latest both publish, else each one's latest."""
    ya = set(a.dropna(subset=["area"])["year"]) if a is not None else set()
    yb = set(b.dropna(subset=["area"])["year"]) if b is not None else set()
    both = ya & yb
    if both:
        return max(both), max(both)
    return (max(ya) if ya else None), (max(yb) if yb else None)


def _change(frame: pd.DataFrame, first: int, last: int, column: str) -> float:
    f = frame.set_index("year")[column]
    return float(100 * (f.loc[last] / f.loc[first] - 1))


@dataclass(frozen=True)
class PairProfile:
    """Two sites' areas side by side. ``rows``: one row per measure and site (``measure``,
    ``site_id``, ``area_name``, ``nation``, ``year`` (or ``first_year``-``year`` for a change),
    ``area``, ``comparison``, ``national``); ``values``/``digits`` for glue."""

    framework: str
    site_ids: tuple[str, str]
    names: dict
    nations: dict
    comparison_kinds: dict
    rows: pd.DataFrame
    values: dict
    digits: dict
    estimands: dict = field(default_factory=dict)  # each year's statistic (estimands.public_key)

    def numbers(self) -> dict:
        return numbers_at_precision(self.values, self.digits)


def pair_profile(framework: str) -> PairProfile:
    """The two sites of ``framework`` on every public measure either area publishes."""
    if framework not in sites.FRAMEWORKS:
        raise KeyError(f"unknown framework {framework!r}; known: {', '.join(sites.FRAMEWORKS)}")
    pair = sites.FRAMEWORKS[framework]
    series, names, kinds, nations = {}, {}, {}, {}
    for s in pair:
        series[s], names[s], kinds[s] = _series(s)
        nations[s] = sites.site(s).nation
    rows: list[dict] = []
    values: dict[str, object] = {}
    digits: dict[str, int] = {}
    keys: dict[str, str] = {}
    a, b = pair
    for measure, (_label, _unit, places) in MEASURES.items():
        source = "population" if measure == "population_change" else measure
        fa, fb = series[a].get(source), series[b].get(source)
        if measure == "population_change":
            assert fa is not None and fb is not None  # every area has a child population
            # the span both areas publish, so the two changes cover the same years
            common = sorted(set(fa["year"]) & set(fb["year"]))
            spans = {s: (common[0], common[-1]) for s in pair}
        else:
            ya, yb = _latest_common(fa, fb)
            spans = {a: (None, ya), b: (None, yb)}
        for s, frame in ((a, fa), (b, fb)):
            first, year = spans[s]
            if frame is None or year is None:
                continue
            if measure == "population_change":
                area, comparison = _change(frame, first, year, "area"), math.nan
                national = _change(frame, first, year, "national")
            else:
                r = frame[frame["year"] == year].iloc[0]
                area, comparison, national = float(r["area"]), float(r["comparison"]), float(r["national"])
            rows.append(
                {
                    "measure": measure,
                    "site_id": s,
                    "area_name": names[s],
                    "nation": nations[s],
                    "first_year": first,
                    "year": int(year),
                    "area": area,
                    "comparison": comparison,
                    "national": national,
                }
            )
            key = f"{s}_{measure}"
            values[f"{key}_year"] = int(year)
            for name, v in (("area", area), ("comparison", comparison), ("national", national)):
                if math.isfinite(v):
                    values[f"{key}_{name}"] = v
                    digits[f"{key}_{name}"] = places
                    if measure != "population_change":  # a change over a span, not one year's statistic
                        keys[f"{key}_{name}"] = estimands.public_key(measure, name, int(year), s)
    frame = pd.DataFrame(rows)
    frame["ratio_to_national"] = frame["area"] / frame["national"].where(frame["national"] != 0)
    return PairProfile(framework, pair, names, nations, kinds, frame, values, digits, keys)


def ratio_of_ratios(a: tuple[float, float, float], b: tuple[float, float, float], z: float = 1.959964) -> dict:
    """Site A's rate ratio over site B's, with a 95% interval, from each site's estimate and
    95% interval ``(estimate, low, high)``.

    Each standard error on the log scale is read back from its interval (the width over
    ``2 z``); the two sites' samples are independent, so the variances add. The result is
    the one between-site contrast two sites allow: it says whether the sites differ, not
    why.
    """
    for name, (est, low, high) in (("a", a), ("b", b)):
        if not (0 < low <= est <= high):
            raise ValueError(f"ratio_of_ratios: site {name} needs 0 < low <= estimate <= high, got {(est, low, high)}")
    se_a = (math.log(a[2]) - math.log(a[1])) / (2 * z)
    se_b = (math.log(b[2]) - math.log(b[1])) / (2 * z)
    log_ratio = math.log(a[0]) - math.log(b[0])
    se = math.hypot(se_a, se_b)
    return {
        "ratio": math.exp(log_ratio),
        "low": math.exp(log_ratio - z * se),
        "high": math.exp(log_ratio + z * se),
        "excludes_one": abs(log_ratio) > z * se,
    }
