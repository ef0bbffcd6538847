"""Comparative designs for area panels: controlled ITS, difference-in-differences and
synthetic control.

Every estimator checks first whether the data can carry it and returns
:class:`innovate.stats.its.NotEstimable` (with the reason) rather than fit what cannot be fitted:
the annual DfE series are short (assessment factors 2018-2025; missing from care
2015-2024), so a site that started in 2019 has one or two years before.

``controlled_its``
    treated and comparison series in one segmented regression with ``G``, ``G*t``,
    ``G*X`` and ``G*X*(t - T0)``; ``b6`` (``group_level``) and ``b7`` (``group_slope``)
    are the differences in level and trend change. Count GLMs on the stacked series
    (panel Newey-West errors optional), or ``method='prais_winsten'``: the difference of
    the two log rates with AR(1) errors (Bottomley, Scott and Isham 2019 model the
    difference; Linden found Prais-Winsten kept coverage where Newey-West did not).
``did_2x2`` / ``twfe_did``
    the difference of differences of means, and two-way fixed effects with
    cluster-robust errors (t on G - 1 degrees of freedom, G clusters).
``callaway_santanna``
    staggered adoption: ATT(g, t) = E[Y_t - Y_{g-1} | G = g] - E[Y_t - Y_{g-1} | C], with
    never-treated or not-yet-treated controls C (Callaway and Sant'Anna 2021), aggregated
    by event time; written here, not taken from a package.
``synthetic_control``
    weights on donor areas (non-negative, summing to one) that best reproduce the treated
    area's pre-period outcomes (constrained least squares, SLSQP), pre-period RMSPE, the
    post/pre RMSPE ratio and placebo-in-space inference: each donor in turn is treated as
    if it had the innovation, and the p-value is the share of areas (treated included)
    whose ratio is at least the treated area's (Abadie 2021).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from innovate.config import DID_BOOTSTRAP_SEED
from innovate.data import missing, public, sites
from innovate.data.paths import public_dir, reference_dir
from innovate.stats import its
from innovate.stats.did import DiDResult, callaway_santanna, twfe_did
from innovate.stats.its import NotEstimable
from innovate.stats.synth import SyntheticControlResult, synthetic_control

# --------------------------------------------------------------------------------------
# a site's area against its statistical neighbours (real DfE statistics)

#: Public measures a site's area can be compared on: id -> readable name.
PUBLIC_MEASURES: dict[str, str] = {
    "Child_sexual_exploitation": "Child sexual exploitation identified at assessment",
    "Child_criminal_exploitation": "Child criminal exploitation identified at assessment",
    "Going_missing": "Going missing identified at assessment",
    "Gangs": "Gangs identified at assessment",
    "Trafficking": "Trafficking identified at assessment",
    "children_missing": "Looked-after children who went missing",
}

#: English regions (GSS codes): the comparison pool for a region-wide site (Safer London).
ENGLISH_REGIONS = tuple(f"E1200000{i}" for i in range(1, 10))

#: The year whose collection was disrupted by the first COVID-19 lockdowns (year ending
#: 31 March 2021 holds April 2020 to March 2021).
COVID_YEAR = 2021


def first_post_year(start) -> int:
    """The first DfE year (ending 31 March) counted as after an innovation that started on
    ``start``: the first year whose second half (1 October to 31 March) begins on or after
    the start, so that at least half of it is exposed."""
    start = pd.Timestamp(start)
    year = start.year
    while pd.Timestamp(year=year - 1, month=10, day=1) < start:
        year += 1
    return int(year)


def _public_counts(measure: str) -> pd.DataFrame:
    if measure in public.EXTRA_FAMILIAL_FACTORS:
        counts = public.assessment_factors([measure])
    elif measure == "children_missing":
        counts = missing.missing_from_care(["children_missing"])
        counts = counts.drop(columns=[c for c in ("measure_id", "source", "source_file") if c in counts.columns])
    else:
        raise KeyError(f"unknown public measure {measure!r}; known: {', '.join(PUBLIC_MEASURES)}")
    return counts


@functools.lru_cache(maxsize=16)
def _public_rates_cached(measure: str, folder: str) -> pd.DataFrame:
    return public.rate_per_10k(_public_counts(measure))


def _public_rates(measure: str) -> pd.DataFrame:
    """Rates per 10,000 children for a public measure (cached per data folder; a copy)."""
    return _public_rates_cached(measure, str(public_dir())).copy()


def comparison_areas(site_id: str, model: int = 2021) -> dict:
    """The site's own area, its pre-specified comparison pool and what was excluded.

    English LAs: the ten DfE statistical neighbours (``model`` 2021 groupings, the model in
    force during the study), minus the other study sites' areas (their innovations are of
    the same kind). Safer London: the other English regions. Returns a dict with
    ``area_code``, ``level``, ``donors`` (codes), ``names`` (code -> name), ``excluded``.
    """
    cached = _comparison_areas_cached(site_id, model, str(public_dir()), str(reference_dir()))
    return {k: (list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, dict) else v) for k, v in cached.items()}


@functools.lru_cache(maxsize=32)
def _comparison_areas_cached(site_id: str, model: int, _public: str, _reference: str) -> dict:
    record = sites.site(site_id)
    if not record.in_dfe_data:
        raise ValueError(f"{record.site_name} is not covered by DfE statistics (nation: {record.nation})")
    study_areas = {s.area_code for s in sites.sites() if s.site_id != site_id}
    if record.area_level == "Regional":
        pool = [r for r in ENGLISH_REGIONS if r != record.area_code]
        names = dict(public.REGION_NAMES)
        level = "Regional"
    else:
        neighbours = public.statistical_neighbours(record.old_la_code, model=model)
        pool = [n.old_la_code for n in neighbours]
        names = {n.old_la_code: n.la_name for n in neighbours}
        level = "Local authority"
    excluded = [c for c in pool if c in study_areas]
    return {
        "area_code": record.area_code,
        "level": level,
        "donors": tuple(c for c in pool if c not in excluded),
        "names": names,
        "excluded": tuple(excluded),
        "site": record,
    }


def area_panel(site_id: str, measure: str, model: int = 2021) -> pd.DataFrame:
    """Annual panel of rates per 10,000 children aged 0-17 for a site's area, its comparison
    areas and England.

    Columns: ``unit`` (area code), ``area_name``, ``role`` ('site', 'comparison',
    'England'), ``year`` (ending 31 March), ``value`` (rate), ``count``, ``population``,
    ``status`` (DfE status code where the value is withheld; never read as zero),
    ``first_treated`` (the site's first post year; 0 for the others).
    """

    areas = comparison_areas(site_id, model)
    rates = _public_rates(measure)
    keep = rates["area_code"].isin([areas["area_code"], *areas["donors"]]) & rates["level"].eq(areas["level"])
    national = rates["level"].eq("National")
    panel = rates.loc[keep | national].copy()
    panel["role"] = np.where(
        panel["level"] == "National",
        "England",
        np.where(panel["area_code"] == areas["area_code"], "site", "comparison"),
    )
    first = first_post_year(areas["site"].innovation_start)
    panel["first_treated"] = np.where(panel["role"] == "site", first, 0)
    panel = panel.rename(columns={"area_code": "unit"})
    columns = ["unit", "area_name", "role", "year", "value", "count", "population", "status", "first_treated"]
    order = {"site": 0, "comparison": 1, "England": 2}
    panel = panel.sort_values(["role", "unit", "year"], key=lambda s: s.map(order) if s.name == "role" else s)
    return panel[columns].reset_index(drop=True)


@dataclass(frozen=True)
class AreaComparison:
    """A site's area against its comparison areas and England on one public measure."""

    site_id: str
    site_name: str
    area_name: str
    measure: str
    measure_label: str
    first_post_year: int
    start_is_assumption: bool
    panel: pd.DataFrame
    summary: pd.DataFrame
    excluded: tuple[str, ...]
    notes: tuple[str, ...]


def site_vs_neighbours(site_id: str, measure: str, model: int = 2021) -> AreaComparison:
    """Rates per 10,000 children for the site's area, the median and range of its comparison
    areas, and England, one row per year (``summary``), with the caveats that apply."""
    areas = comparison_areas(site_id, model)
    panel = area_panel(site_id, measure, model)
    site_rows = panel[panel["role"] == "site"].set_index("year")
    comp = panel[panel["role"] == "comparison"]
    eng = panel[panel["role"] == "England"].set_index("year")
    years = sorted(panel["year"].unique())
    grouped = comp.groupby("year")["value"]
    summary = pd.DataFrame(
        {
            "year": years,
            "site": site_rows["value"].reindex(years).to_numpy(),
            "comparison_median": grouped.median().reindex(years).to_numpy(),
            "comparison_min": grouped.min().reindex(years).to_numpy(),
            "comparison_max": grouped.max().reindex(years).to_numpy(),
            "comparison_areas_with_value": grouped.count().reindex(years).fillna(0).astype(int).to_numpy(),
            "england": eng["value"].reindex(years).to_numpy(),
            "site_status": site_rows["status"].reindex(years).fillna("").to_numpy(),
        }
    )
    # years in which nothing was published for anyone (e.g. before a factor was collected) are left out
    summary = summary[summary[["site", "comparison_median", "england"]].notna().any(axis=1)].reset_index(drop=True)
    record = areas["site"]
    notes = _caveats(measure, summary, record)
    return AreaComparison(
        site_id,
        record.site_name,
        record.dfe_area_name or record.area_code,
        measure,
        PUBLIC_MEASURES[measure],
        first_post_year(record.innovation_start),
        bool(record.start_is_assumption),
        panel,
        summary,
        tuple(areas["excluded"]),
        tuple(notes),
    )


def _caveats(measure: str, summary: pd.DataFrame, record) -> list[str]:
    notes = []
    if measure == "Child_criminal_exploitation":
        notes.append(
            "child criminal exploitation is recorded only from the year ending March 2022: "
            "no before-and-after comparison is possible"
        )
    gaps = summary.loc[summary["site"].isna() & (summary["site_status"] != ""), "year"].tolist()
    if gaps:
        notes.append("no published value for the site's area in " + ", ".join(str(int(y)) for y in gaps))
    if COVID_YEAR in set(summary["year"]):
        notes.append(f"the year ending March {COVID_YEAR} carries the disruption of COVID-19")
    if record.start_is_assumption:
        notes.append("the innovation start date is an assumption (see the site register)")
    notes.append("areas differ in how they recognise and record extra-familial risk")
    return notes


def fit_public_series(
    site_id: str,
    measure: str,
    panel: pd.DataFrame | None = None,
    method: str = "quasipoisson",
    errors: str = "model",
    **kwargs,
):
    """ITS of one site's own area on the annual DfE series of :data:`PUBLIC_MEASURES` (no
    harmonics; 3 years before and 3 after needed; years without a published value are
    excluded and listed in ``dropped``). Rates are per 10,000 children aged 0-17."""
    panel = area_panel(site_id, measure) if panel is None else panel
    data = panel[panel["role"] == "site"].sort_values("year").copy()
    data["post"] = (data["year"] >= data["first_treated"]).astype(int)
    data["date"] = data["year"]
    return its.fit_its(
        data,
        count="count",
        post="post",
        time="year",
        offset="population",
        date="date",
        method=method,
        errors=errors,
        harmonics=0,
        frequency="annual",
        rate_per=10_000,
        missing="drop",
        label=f"{site_id}: {PUBLIC_MEASURES[measure]}",
        source=f"public DfE series ({measure})",
        **kwargs,
    )


@dataclass(frozen=True)
class SiteAnalyses:
    """The quasi-experimental analyses that a site's public series allow (or why not)."""

    site_id: str
    measure: str
    its: its.ITSResult | NotEstimable
    did: DiDResult | NotEstimable
    synthetic: SyntheticControlResult | NotEstimable

    def table(self) -> pd.DataFrame:
        """One row per design: estimate, interval, p-value, periods, and the reason when not estimable."""
        rows = []
        for design, result, scale in (
            ("Interrupted time series (site only)", self.its, "rate ratio (level change)"),
            ("Difference in differences (two-way fixed effects)", self.did, "difference in rate per 10,000"),
            ("Synthetic control", self.synthetic, "mean gap in rate per 10,000"),
        ):
            row = {
                "design": design,
                "scale": scale,
                "estimate": np.nan,
                "lower": np.nan,
                "upper": np.nan,
                "p_value": np.nan,
                "p_floor": np.nan,
                "n_pre": getattr(result, "n_pre", 0),
                "n_post": getattr(result, "n_post", 0),
                "note": "",
            }
            if not result.estimable:
                row["note"] = "not estimable: " + result.reason
            elif isinstance(result, its.ITSResult):
                ratio, lower, upper = result.level.natural()
                row.update(
                    estimate=ratio,
                    lower=lower,
                    upper=upper,
                    p_value=result.level.p_value,
                    note="; ".join(result.notes),
                )
            elif isinstance(result, DiDResult):
                row.update(
                    estimate=result.effect.estimate,
                    lower=result.effect.ci_low,
                    upper=result.effect.ci_high,
                    p_value=result.effect.p_value,
                    p_floor=placebo_floor(result.placebos),
                    note="; ".join(result.notes),
                )
            elif isinstance(result, SyntheticControlResult):
                row.update(
                    estimate=result.att,
                    p_value=result.p_value,
                    p_floor=placebo_floor(result.placebos),
                    note=f"pre-period RMSPE {result.pre_rmspe:.2f}; post/pre RMSPE ratio {result.ratio:.1f}; "
                    + "; ".join(result.notes),
                )
            rows.append(row)
        return pd.DataFrame(rows)


def placebo_floor(placebos: pd.DataFrame | None) -> float:
    """The smallest p-value a placebo-in-space test can give: the treated area alone at
    least as extreme, 1 / (1 + number of placebo areas); NaN when the p-value does not come
    from placebos (a cluster-robust or model-based one)."""
    if placebos is None or not len(placebos):
        return float("nan")
    return 1.0 / (1 + len(placebos))


def site_analyses(site_id: str, measure: str, model: int = 2021) -> SiteAnalyses:
    """Annual ITS of the site's area (quasi-Poisson, population offset, 3+3 minimum), TWFE
    difference in differences against the comparison areas (2 pre-periods minimum) and a
    synthetic control from them (5 pre-periods minimum), on real DfE statistics."""
    comparison = site_vs_neighbours(site_id, measure, model)
    panel = comparison.panel
    label = f"{site_id}: {measure}"
    its_result = fit_public_series(site_id, measure, panel=panel)
    sub = panel[panel["role"] != "England"]
    did = twfe_did(sub, unit="unit", time="year", outcome="value", first_treated="first_treated", label=label)
    sc = synthetic_control(
        sub,
        treated=str(panel.loc[panel["role"] == "site", "unit"].iloc[0]),
        first_treated_period=comparison.first_post_year,
        unit="unit",
        time="year",
        outcome="value",
        label=label,
    )
    return SiteAnalyses(site_id, measure, its_result, did, sc)


def site_summary(site_ids: list[str], measures: list[str], model: int = 2021) -> pd.DataFrame:
    """For each site and measure: the first and latest year with a value for the site's area,
    its rate then, and the comparison median and England in the latest year."""
    rows = []
    for site_id in site_ids:
        for measure in measures:
            comparison = site_vs_neighbours(site_id, measure, model)
            s = comparison.summary.dropna(subset=["site"])
            if s.empty:
                continue
            first, last = s.iloc[0], s.iloc[-1]
            rows.append(
                {
                    "site_id": site_id,
                    "area": comparison.area_name,
                    "measure": measure,
                    "first_year": int(first["year"]),
                    "site_first": float(first["site"]),
                    "latest_year": int(last["year"]),
                    "site_latest": float(last["site"]),
                    "comparison_median_latest": float(last["comparison_median"]),
                    "england_latest": float(last["england"]),
                }
            )
    return pd.DataFrame(rows)


def analyses_table(site_ids: list[str], measures: list[str], model: int = 2021) -> pd.DataFrame:
    """``SiteAnalyses.table()`` for every site and measure, stacked, with the site and measure."""
    frames = []
    for site_id in site_ids:
        for measure in measures:
            table = site_analyses(site_id, measure, model).table()
            table.insert(0, "measure", measure)
            table.insert(0, "site_id", site_id)
            frames.append(table)
    return pd.concat(frames, ignore_index=True)


def describe_analyses(table: pd.DataFrame) -> pd.DataFrame:
    """A compact, readable version of :func:`analyses_table` for display: one text column
    with the estimate, its interval (or the inference used) and p-value, or why the design
    was not estimable."""
    names = {s.site_id: s.dfe_area_name or s.site_name for s in sites.sites()}
    measures = {k: v.replace(" identified at assessment", " (assessment factor)") for k, v in PUBLIC_MEASURES.items()}
    rows = []
    for r in table.itertuples(index=False):
        if str(r.note).startswith("not estimable"):
            result = r.note
        else:
            if r.design.startswith("Interrupted"):
                text = f"level change RR {r.estimate:.2f} ({r.lower:.2f} to {r.upper:.2f})"
            elif np.isfinite(r.lower):
                text = f"{r.estimate:+.2f} per 10,000 ({r.lower:+.2f} to {r.upper:+.2f})"
            else:
                text = f"{r.estimate:+.2f} per 10,000; placebo"
            result = f"{text}, p = {r.p_value:.2f}"
            if np.isfinite(getattr(r, "p_floor", np.nan)):
                result += f" (smallest possible {r.p_floor:.2f})"
        rows.append(
            {
                "Area": names.get(r.site_id, r.site_id),
                "Measure": measures[r.measure],
                "Design": r.design,
                "Years before": int(r.n_pre),
                "Years after": int(r.n_post),
                "Result": result,
            }
        )
    return pd.DataFrame(rows)


def staggered_panel(measure: str, site_ids: list[str] | None = None, model: int = 2021) -> pd.DataFrame:
    """One annual panel of the English LA sites (each with its own first post year) and the
    union of their comparison areas (never treated), for a staggered difference in
    differences. Columns ``unit``, ``year``, ``value`` (rate per 10,000), ``first_treated``."""
    chosen = site_ids or [s.site_id for s in sites.english_la_sites()]
    parts = []
    for site_id in chosen:
        panel = area_panel(site_id, measure, model)
        parts.append(panel[panel["role"] != "England"][["unit", "year", "value", "first_treated"]])
    stacked = pd.concat(parts, ignore_index=True)
    # an area in two sites' pools appears once; a site's own area keeps its adoption year
    stacked = stacked.sort_values("first_treated", ascending=False).drop_duplicates(["unit", "year"])
    return stacked.sort_values(["unit", "year"]).reset_index(drop=True)


def staggered_sites(
    measure: str,
    control: str = "never",
    site_ids: list[str] | None = None,
    bootstrap: int = 999,
    seed: int = DID_BOOTSTRAP_SEED,
    model: int = 2021,
) -> DiDResult | NotEstimable:
    """Callaway-Sant'Anna ATT across the English LA sites (a sensitivity analysis: one or two
    areas per adoption year)."""
    return callaway_santanna(
        staggered_panel(measure, site_ids, model),
        unit="unit",
        time="year",
        outcome="value",
        first_treated="first_treated",
        control=control,
        bootstrap=bootstrap,
        seed=seed,
        label=f"English LA sites: {measure}",
    )


def staggered_table(measures: list[str], controls: tuple[str, ...] = ("never", "notyet"), **kwargs) -> pd.DataFrame:
    """:func:`staggered_sites` for several measures and control groups, one row each:
    the overall ATT (rate per 10,000), its bootstrap interval and p-value, or why not."""
    rows = []
    for measure in measures:
        for control in controls:
            r = staggered_sites(measure, control=control, **kwargs)
            row: dict[str, object] = {
                "measure": measure,
                "control": {"never": "never treated", "notyet": "not yet treated"}[control],
            }
            if r.estimable:
                row.update(
                    att=r.effect.estimate,
                    lower=r.effect.ci_low,
                    upper=r.effect.ci_high,
                    p_value=r.effect.p_value,
                    n_treated=r.n_treated,
                    n_units=r.n_units,
                    note="",
                )
            else:
                row.update(
                    att=np.nan,
                    lower=np.nan,
                    upper=np.nan,
                    p_value=np.nan,
                    n_treated=0,
                    n_units=0,
                    note="not estimable: " + r.reason,
                )
            rows.append(row)
    return pd.DataFrame(rows)
