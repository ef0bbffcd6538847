"""The public-statistics profile of an English area: one code path for a study site and
for any other local authority (``python -m innovate area-report``).

A profile sets the area against its pre-specified comparison areas (its ten DfE
statistical neighbours; for a region, the other English regions) and England on:

* the extra-familial factors identified at assessment and looked-after children who went
  missing (rates per 10,000 children, :data:`innovate.study.area.PUBLIC_MEASURES`);
* children looked after at 31 March (DfE's published rate per 10,000);
* Section 251 spend per child aged 0-17, at one price year (HM Treasury GDP deflators);

and runs the area analyses the annual series allow - ITS of the area alone, controlled
ITS against the pooled comparison areas, two-way fixed-effects DiD and synthetic control -
each with its sensitivity checks (leaving out the COVID-19 year; starting a year later;
the 2025 statistical-neighbour model).

For a study site the comparison set is the one :func:`innovate.study.area.comparison_areas`
fixes (the other sites' areas excluded), so a site chapter and the area report of the same
authority show the same numbers; a test holds them equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from innovate.data import public, shared_results
from innovate.econ import prices
from innovate.stats import cits
from innovate.stats.did import twfe_did
from innovate.stats.results import numbers_at_precision
from innovate.stats.synth import synthetic_control
from innovate.study import area, estimands

#: Measures whose rate series the profile compares (id -> readable name).
RATE_MEASURES = area.PUBLIC_MEASURES
#: Measures the area analyses are run on (the longest series first).
ANALYSIS_MEASURES = ("children_missing", "Child_sexual_exploitation", "Going_missing")
#: Section 251 lines shown, per child aged 0-17 (LAIT indicator -> readable name).
SPEND_MEASURES: dict[str, str] = {
    "C&YPExpenditure": "All children's and young people's services",
    "TotalLACFinance": "Children looked after",
    "SafeguardingFinance": "Safeguarding",
    "FamilySupportFinance": "Family support services",
    "YoungPeopleFinance": "Services for young people",
}
PRICE_YEAR = "2024-25"
LOOKED_AFTER_MEASURE = "Children looked after on 31 March each year"

SOURCES: tuple[tuple[str, str], ...] = (
    (
        "DfE, Children in need (factors identified at the end of assessment), 2018-2025",
        "https://explore-education-statistics.service.gov.uk/find-statistics/characteristics-of-children-in-need",
    ),
    (
        "DfE, Children looked after in England (missing from care; looked-after rates), 2015-2025",
        "https://explore-education-statistics.service.gov.uk/find-statistics/children-looked-after-in-england-including-adoptions",
    ),
    (
        "DfE, Local Authority Interactive Tool (Section 251 outturn), 2016-17 to 2024-25",
        "https://www.gov.uk/government/publications/local-authority-interactive-tool-lait",
    ),
    ("DfE, statistical neighbour groupings (April 2021 model; 2025 model for a sensitivity check)", ""),
    ("ONS, mid-year population estimates, children aged 0-17, 2012-2024", ""),
    (
        "HM Treasury, GDP deflators at market prices (March 2026)",
        "https://www.gov.uk/government/collections/gdp-deflators-at-market-prices-and-money-gdp",
    ),
)


@dataclass(frozen=True)
class AreaSpec:
    """An English area and its pre-specified comparison set."""

    code: str  # old LA code ('878') or region GSS code ('E12000007')
    name: str
    level: str  # 'Local authority' or 'Regional'
    start: pd.Timestamp
    start_is_assumption: bool
    donors: tuple[str, ...]
    names: dict = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    site_id: str | None = None
    model: int = 2021

    @property
    def first_post_year(self) -> int:
        return area.first_post_year(self.start)

    @property
    def key(self) -> str:
        return self.site_id or self.code


def spec_for_site(site_id: str, model: int = 2021) -> AreaSpec:
    """The area of a study site, with the comparison set the site chapters use."""
    areas = area.comparison_areas(site_id, model)
    record = areas["site"]
    return AreaSpec(
        code=str(areas["area_code"]),
        name=record.dfe_area_name or record.area_code,
        level=areas["level"],
        start=pd.Timestamp(record.innovation_start),
        start_is_assumption=bool(record.start_is_assumption),
        donors=tuple(areas["donors"]),
        names=dict(areas["names"]),
        excluded=tuple(areas["excluded"]),
        site_id=site_id,
        model=model,
    )


def spec_for_la(la_code: str, start, model: int = 2021) -> AreaSpec:
    """Any English local authority by its DfE three-digit code (or GSS code), with its ten
    statistical neighbours as the comparison set and ``start`` (a date or 'YYYY-MM') as the
    start of the innovation being looked at."""
    code = str(la_code).strip()
    if not code.isdigit():
        code = str(public.to_old_code(code))
    rates = area._public_rates("children_missing")
    las = rates[rates["level"] == "Local authority"].drop_duplicates("area_code").set_index("area_code")["area_name"]
    if code not in las.index:
        raise KeyError(
            f"local authority {la_code!r} is not in the DfE files (give the three-digit DfE code, e.g. 878 for Devon)"
        )
    try:
        when = pd.Timestamp(start)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"start {start!r} is not a date (use YYYY-MM or YYYY-MM-DD)") from exc
    neighbours = public.statistical_neighbours(code, model=model)
    return AreaSpec(
        code=code,
        name=str(las[code]),
        level="Local authority",
        start=when,
        start_is_assumption=False,
        donors=tuple(n.old_la_code for n in neighbours),
        names={n.old_la_code: n.la_name for n in neighbours},
        model=model,
    )


def _with_model(spec: AreaSpec, model: int) -> AreaSpec:
    if spec.level != "Local authority" or model == spec.model:
        return spec
    neighbours = public.statistical_neighbours(spec.code, model=model)
    pool = [n.old_la_code for n in neighbours]
    return replace(
        spec,
        donors=tuple(c for c in pool if c not in spec.excluded),
        names={n.old_la_code: n.la_name for n in neighbours},
        model=model,
    )


# ---------------------------------------------------------------------------------------
# rates against the comparison areas
# ---------------------------------------------------------------------------------------
def panel(spec: AreaSpec, measure: str, first_post: int | None = None) -> pd.DataFrame:
    """The annual panel of :func:`innovate.study.area.area_panel` for any area spec."""
    rates = area._public_rates(measure)
    keep = rates["area_code"].isin([spec.code, *spec.donors]) & rates["level"].eq(spec.level)
    out = rates.loc[keep | rates["level"].eq("National")].copy()
    out["role"] = np.where(
        out["level"] == "National", "England", np.where(out["area_code"] == spec.code, "site", "comparison")
    )
    out["first_treated"] = np.where(out["role"] == "site", first_post or spec.first_post_year, 0)
    out = out.rename(columns={"area_code": "unit"})
    order = {"site": 0, "comparison": 1, "England": 2}
    out = out.sort_values(["role", "unit", "year"], key=lambda s: s.map(order) if s.name == "role" else s)
    columns = ["unit", "area_name", "role", "year", "value", "count", "population", "status", "first_treated"]
    return out[columns].reset_index(drop=True)


def comparison(spec: AreaSpec, measure: str) -> area.AreaComparison:
    """The area's rate, its comparison areas' median and range, and England, by year."""
    p = panel(spec, measure)
    own = p[p["role"] == "site"].set_index("year")
    eng = p[p["role"] == "England"].set_index("year")
    grouped = p[p["role"] == "comparison"].groupby("year")["value"]
    years = sorted(p["year"].unique())
    summary = pd.DataFrame(
        {
            "year": years,
            "site": own["value"].reindex(years).to_numpy(),
            "comparison_median": grouped.median().reindex(years).to_numpy(),
            "comparison_min": grouped.min().reindex(years).to_numpy(),
            "comparison_max": grouped.max().reindex(years).to_numpy(),
            "comparison_areas_with_value": grouped.count().reindex(years).fillna(0).astype(int).to_numpy(),
            "england": eng["value"].reindex(years).to_numpy(),
            "site_status": own["status"].reindex(years).fillna("").to_numpy(),
        }
    )
    summary = summary[summary[["site", "comparison_median", "england"]].notna().any(axis=1)].reset_index(drop=True)
    notes = area._caveats(measure, summary, SimpleNamespace(start_is_assumption=spec.start_is_assumption))
    return area.AreaComparison(
        spec.key,
        spec.name,
        spec.name,
        measure,
        RATE_MEASURES[measure],
        spec.first_post_year,
        spec.start_is_assumption,
        p,
        summary,
        spec.excluded,
        tuple(notes),
    )


def looked_after(spec: AreaSpec) -> pd.DataFrame:
    """Children looked after at 31 March per 10,000 children (DfE's published rate): the
    area, its comparison areas' median and range, and England, by year."""
    return _published_summary(spec, public.looked_after_rates(), LOOKED_AFTER_MEASURE, "published_rate")


def _published_summary(spec: AreaSpec, frame: pd.DataFrame, measure: str, column: str) -> pd.DataFrame:
    frame = frame[frame["measure"] == measure]
    own = frame[(frame["area_code"] == spec.code) & (frame["level"] == spec.level)].set_index("year")[column]
    comp = frame[frame["area_code"].isin(spec.donors) & (frame["level"] == spec.level)].groupby("year")[column]
    eng = frame[frame["level"] == "National"].set_index("year")[column]
    years = sorted(frame["year"].unique())
    return pd.DataFrame(
        {
            "year": years,
            "site": own.reindex(years).to_numpy(float),
            "comparison_median": comp.median().reindex(years).to_numpy(float),
            "comparison_min": comp.min().reindex(years).to_numpy(float),
            "comparison_max": comp.max().reindex(years).to_numpy(float),
            "england": eng.reindex(years).to_numpy(float),
        }
    )


def spend_per_child(spec: AreaSpec, price_year: str = PRICE_YEAR) -> pd.DataFrame:
    """Section 251 gross spend per child aged 0-17 at ``price_year`` prices, for each line of
    :data:`SPEND_MEASURES`: the area, its comparison areas' median, England, by financial year.

    The population is the ONS mid-year estimate inside the financial year (mid-2024 for
    2024-25); cash is converted with HM Treasury's GDP deflator (:func:`innovate.econ.prices.to_price_year`).
    """
    spend = public.section251("spend")
    spend = spend[spend["measure"].isin(list(SPEND_MEASURES))].copy()
    pop = public.child_population()
    pop = pop.assign(year=pop["year"] + 1)[["area_code", "level", "year", "value"]].rename(
        columns={"value": "children"}
    )
    spend = spend.merge(pop, on=["area_code", "level", "year"], how="left")
    real = prices.to_price_year(spend["value"].to_numpy(float), spend["financial_year"].to_numpy(), price_year)
    spend["per_child"] = np.asarray(real, float) / spend["children"].to_numpy(float)
    rows = []
    for measure, label in SPEND_MEASURES.items():
        summary = _published_summary(spec, spend.assign(measure=spend["measure"]), measure, "per_child")
        fy = spend.drop_duplicates("year").set_index("year")["financial_year"]
        summary.insert(1, "financial_year", summary["year"].map(fy))
        summary.insert(0, "line", label)
        rows.append(summary)
    return pd.concat(rows, ignore_index=True)


# ---------------------------------------------------------------------------------------
# the area analyses and their sensitivity checks
# ---------------------------------------------------------------------------------------
DESIGNS = (
    ("its", "Interrupted time series (area only)", "rate ratio (level change)"),
    ("cits", "Controlled interrupted time series (against the pooled comparison areas)", "ratio of rate ratios"),
    ("did", "Difference in differences (two-way fixed effects)", "difference in rate per 10,000"),
    ("synth", "Synthetic control", "mean gap in rate per 10,000"),
)


def _pooled(p: pd.DataFrame) -> pd.DataFrame:
    """The area (group 1) and the sum of its comparison areas (group 0), years with both."""
    # years without a published value for the area are left out (listed in the panel's status)
    site = p[p["role"] == "site"].dropna(subset=["count", "population"]).assign(group=1)
    comp = p[p["role"] == "comparison"].dropna(subset=["count", "population"])
    comp = comp.groupby("year", as_index=False)[["count", "population"]].sum().assign(group=0)
    comp["first_treated"] = int(site["first_treated"].iloc[0]) if len(site) else 0
    comp = comp[comp["year"].isin(site["year"])]
    site = site[site["year"].isin(comp["year"])]
    both = pd.concat([site[["year", "count", "population", "group", "first_treated"]], comp], ignore_index=True)
    both["post"] = (both["year"] >= both["first_treated"]).astype(int)
    return both.sort_values(["group", "year"]).reset_index(drop=True)


def fit_designs(spec: AreaSpec, measure: str, p: pd.DataFrame | None = None, first_post: int | None = None) -> dict:
    """ITS, controlled ITS, DiD and synthetic control of one measure (each a result or
    :class:`~innovate.stats.its.NotEstimable` with its reason)."""
    first = first_post or spec.first_post_year
    p = panel(spec, measure, first) if p is None else p
    label = f"{spec.name}: {measure}"
    its_result = area.fit_public_series(spec.key, measure, panel=p)
    pooled = _pooled(p)
    cits_result = cits.controlled_its(
        pooled,
        group="group",
        count="count",
        post="post",
        time="year",
        offset="population",
        frequency="annual",
        rate_per=10_000,
        label=label,
        source=f"public DfE series ({measure})",
    )
    sub = p[p["role"] != "England"]
    did = twfe_did(sub, unit="unit", time="year", outcome="value", first_treated="first_treated", label=label)
    sc = synthetic_control(
        sub, treated=spec.code, first_treated_period=first, unit="unit", time="year", outcome="value", label=label
    )
    return {"its": its_result, "cits": cits_result, "did": did, "synth": sc}


def _row(key: str, result) -> dict:
    row = {"estimate": np.nan, "lower": np.nan, "upper": np.nan, "p_value": np.nan, "note": ""}
    row["n_pre"], row["n_post"] = getattr(result, "n_pre", 0), getattr(result, "n_post", 0)
    if not getattr(result, "estimable", False):
        row["note"] = "not estimable: " + str(result.reason)
        return row
    if key == "its":
        est = result.level
    elif key == "cits":
        est = result.group_level
    else:
        est = None
    if est is not None:
        value, lower, upper = est.natural()  # rate ratios for the count models
        row.update(estimate=value, lower=lower, upper=upper, p_value=est.p_value)
    elif key == "did":
        e = result.effect
        row.update(estimate=e.estimate, lower=e.ci_low, upper=e.ci_high, p_value=e.p_value)
    else:
        row.update(estimate=result.att, p_value=result.p_value)
        row["note"] = f"pre-period RMSPE {result.pre_rmspe:.2f}; post/pre RMSPE ratio {result.ratio:.1f}"
    extra = "; ".join(getattr(result, "notes", ()) or ())
    row["note"] = "; ".join(str(x) for x in (row["note"], extra) if x)
    return row


def designs_table(spec: AreaSpec, measure: str, results: dict | None = None) -> pd.DataFrame:
    """One row per design: estimate, interval, p-value, years before and after, note."""
    results = results or fit_designs(spec, measure)
    rows = []
    for key, design, scale in DESIGNS:
        rows.append({"key": key, "measure": measure, "design": design, "scale": scale, **_row(key, results[key])})
    return pd.DataFrame(rows)


SENSITIVITY = (
    ("primary", "As pre-specified"),
    ("no_covid", "Leaving out the year ending March 2021 (COVID-19)"),
    ("later_start", "Innovation counted from one year later"),
    ("model_2025", "2025 statistical-neighbour model"),
)


def sensitivity_table(spec: AreaSpec, measure: str) -> pd.DataFrame:
    """Each design under each sensitivity check (the rows a reader needs to judge how much
    the primary estimate leans on one choice)."""
    frames = []
    for key, label in SENSITIVITY:
        s, first = spec, spec.first_post_year
        p = None
        if key == "no_covid":
            p = panel(spec, measure)
            p = p[p["year"] != area.COVID_YEAR].reset_index(drop=True)
        elif key == "later_start":
            first = spec.first_post_year + 1
        elif key == "model_2025":
            if spec.level != "Local authority":
                continue
            s = _with_model(spec, 2025)
        results = fit_designs(s, measure, p=p, first_post=first)
        frames.append(designs_table(s, measure, results).assign(check=label))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------------------------------
# the profile
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AreaProfile:
    """Everything the public-statistics part of a chapter or an area report shows."""

    spec: AreaSpec
    comparisons: dict
    looked_after: pd.DataFrame
    spend: pd.DataFrame
    designs: pd.DataFrame
    sensitivity: pd.DataFrame
    results: dict
    values: dict
    digits: dict
    notes: tuple[str, ...]
    estimands: dict = field(default_factory=dict)  # a study site's published statistics (estimands.public_key)

    def numbers(self) -> dict:
        return numbers_at_precision(self.values, self.digits)


def _latest(summary: pd.DataFrame, prefix: str, values: dict, digits: dict, places: int = 1) -> None:
    got = summary.dropna(subset=["site"])
    if got.empty:
        return
    last = got.iloc[-1]
    values[f"{prefix}_year"] = int(last["year"])
    for name, column in (("area", "site"), ("neighbours", "comparison_median"), ("england", "england")):
        values[f"{prefix}_{name}"] = float(last[column])
        digits[f"{prefix}_{name}"] = places
    values[f"{prefix}_vs_neighbours"] = "above" if last["site"] > last["comparison_median"] else "below"


#: The estimand group (:data:`innovate.study.estimands.PUBLIC_GROUPS`) of each value :func:`_latest` writes.
_GROUPS = {"area": "area", "neighbours": "comparison", "england": "national"}


def _public_keys(values: dict, prefixes, site_id: str) -> dict[str, str]:
    """The estimand of each latest-year value of a study site's profile (its year is in the values)."""
    return {
        f"{prefix}_{name}": estimands.public_key(prefix, group, values[f"{prefix}_year"], site_id)
        for prefix in prefixes
        if f"{prefix}_year" in values
        for name, group in _GROUPS.items()
    }


def profile(spec: AreaSpec, measures=tuple(RATE_MEASURES), analysis_measure: str = "children_missing") -> AreaProfile:
    """The public-statistics profile of ``spec`` (see the module docstring)."""
    comparisons = {m: comparison(spec, m) for m in measures}
    values: dict[str, object] = {"name": spec.name, "first_post_year": spec.first_post_year}
    digits: dict[str, int] = {}
    for m, comp in comparisons.items():
        _latest(comp.summary, m.lower(), values, digits)
    lac = looked_after(spec)
    _latest(lac, "looked_after", values, digits, places=0)
    spend = spend_per_child(spec)
    total = spend[spend["line"] == SPEND_MEASURES["C&YPExpenditure"]]
    _latest(total, "spend", values, digits, places=0)
    prefixes = [m.lower() for m in comparisons] + ["looked_after", "spend"]
    keys = _public_keys(values, prefixes, spec.site_id) if spec.site_id is not None else {}
    results = fit_designs(spec, analysis_measure)
    designs = designs_table(spec, analysis_measure, results)
    sensitivity = sensitivity_table(spec, analysis_measure)
    fitted = designs[~designs["note"].str.startswith("not estimable")]
    values["designs_estimable"] = len(fitted)
    values["designs_total"] = len(designs)
    for _, r in fitted.iterrows():
        places = 2 if r["key"] in ("its", "cits") else 1
        for col in ("estimate", "lower", "upper"):
            if pd.notna(r[col]):
                values[f"{r['key']}_{col}"] = float(r[col])
                digits[f"{r['key']}_{col}"] = places
        if pd.notna(r["p_value"]):
            values[f"{r['key']}_p"] = float(r["p_value"])
            digits[f"{r['key']}_p"] = 2
    notes: list[str] = []
    for m, comp in comparisons.items():
        for n in comp.notes:
            # a gap is specific to its measure; the other caveats hold for every measure
            if n.startswith("no published"):
                n = RATE_MEASURES[m] + ": " + n.replace("the site's area", spec.name)
            if n not in notes:
                notes.append(n)
    if spec.excluded:
        names = ", ".join(spec.names.get(c, c) for c in spec.excluded)
        notes.append(f"left out of the comparison areas because they are study sites: {names}")
    return AreaProfile(
        spec, comparisons, lac, spend, designs, sensitivity, results, values, digits, tuple(notes), estimands=keys
    )


def site_profile(site_id: str) -> AreaProfile:
    """The profile of a study site's English area (the same comparison set as its chapter);
    its site chapter and its framework chapter share it within a batch (innovate.data.shared_results)."""
    return shared_results.shared("area_site_profile", (site_id,), lambda: profile(spec_for_site(site_id)))


def la_profile(la_code: str, start) -> AreaProfile:
    """The profile of any English local authority from public data alone."""
    return profile(spec_for_la(la_code, start))
