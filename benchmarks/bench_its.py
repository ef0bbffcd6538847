"""Interrupted time series at scale (``python -m benchmarks bench_its``).

Measures, on this machine, the wall time (and the process CPU time, which a busy machine
inflates less) of:

* **annual public ITS**: a quasi-Poisson segmented regression (population offset, level
  and slope change) for every English local authority and every extra-familial factor
  recorded at assessment (DfE children in need census, years ending March 2018-2025).
  No single innovation date applies to every authority, so the benchmark interrupts
  every series at the same point: the year ending March 2021, the first year of COVID-19.
  Series with fewer than 3 points either side (criminal exploitation, recorded from 2022;
  authorities with withheld values) come back "not estimable": counted, not fitted;
* **annual public ITS, Newey-West**: the same with HAC errors;
* **monthly synthetic ITS**: every site and measure of the case-level ``area_series``
  (quasi-Poisson, two harmonic pairs, COVID-19 indicator), repeated 20 times;
* **monthly synthetic controlled ITS**: site against its summed comparators, same models.

Run directly (``python benchmarks/bench_its.py``) it prints the figures; ``run()`` returns
them for ``python -m benchmarks``.
"""

from __future__ import annotations

import time
import warnings

import pandas as pd

INTERRUPTION_YEAR = 2021


def _annual_series(rates: pd.DataFrame) -> list[tuple[str, str, pd.DataFrame]]:
    las = rates[rates["level"] == "Local authority"]
    out = []
    for (code, measure), part in las.groupby(["area_code", "measure"], sort=True):
        data = part.sort_values("year")[["year", "count", "population"]].copy()
        data["post"] = (data["year"] >= INTERRUPTION_YEAR).astype(int)
        out.append((code, measure, data))
    return out


def bench_public(errors: str = "model") -> dict[str, float]:
    from innovate.data import public
    from innovate.stats import its

    t0 = time.perf_counter()
    rates = public.rate_per_10k(public.assessment_factors())
    series = _annual_series(rates)
    load = time.perf_counter() - t0
    fitted = refused = 0
    t1, c1 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _code, _measure, data in series:
            result = its.fit_its(
                data,
                count="count",
                post="post",
                time="year",
                offset="population",
                frequency="annual",
                method="quasipoisson",
                errors=errors,
                missing="drop",
                rate_per=10_000,
            )
            if result.estimable:
                fitted += 1
            else:
                refused += 1
    fit, cpu = time.perf_counter() - t1, time.process_time() - c1
    n_las = rates.loc[rates["level"] == "Local authority", "area_code"].nunique()
    return {
        "local_authorities": int(n_las),
        "factors": int(rates["measure"].nunique()),
        "series": len(series),
        "fitted": fitted,
        "not_estimable": refused,
        "load_seconds": load,
        "fit_seconds": fit,
        "fit_cpu_seconds": cpu,
        "ms_per_series": 1000.0 * fit / max(len(series), 1),
    }


def bench_synthetic(repeats: int = 20) -> dict[str, float]:
    from innovate.data import casedata, sites
    from innovate.study import area_series

    frame = casedata.load("area_series")
    t0, c0 = time.perf_counter(), time.process_time()
    n = 0
    for _ in range(repeats):
        for site_id in sites.SITE_IDS:
            for measure in area_series.AREA_SERIES_MEASURES:
                area_series.fit_site_series(site_id, measure, source="synthetic", frame=frame)
                n += 1
    single, single_cpu = time.perf_counter() - t0, time.process_time() - c0
    t1, c1 = time.perf_counter(), time.process_time()
    m = 0
    for _ in range(repeats):
        for site_id in sites.SITE_IDS:
            for measure in area_series.AREA_SERIES_MEASURES:
                area_series.site_controlled_its(site_id, measure, frame=frame)
                m += 1
    controlled, controlled_cpu = time.perf_counter() - t1, time.process_time() - c1
    return {
        "fits": n,
        "seconds": single,
        "cpu_seconds": single_cpu,
        "ms_per_fit": 1000 * single / n,
        "controlled_fits": m,
        "controlled_seconds": controlled,
        "controlled_cpu_seconds": controlled_cpu,
        "ms_per_controlled_fit": 1000 * controlled / m,
    }


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    for key, value in bench_public("model").items():
        figures[f"annual public ITS, quasi-Poisson: {key}"] = value
    for key, value in bench_public("hac").items():
        if key in ("fit_seconds", "fit_cpu_seconds", "ms_per_series"):
            figures[f"annual public ITS, Newey-West: {key}"] = value
    try:
        for key, value in bench_synthetic().items():
            figures[f"monthly synthetic ITS: {key}"] = value
    except FileNotFoundError as error:  # no case-level data folder
        figures["monthly synthetic ITS: skipped"] = str(error)
    return figures


if __name__ == "__main__":
    start = time.perf_counter()
    for key, value in run().items():
        print(f"{key:<60} {value:>12.3f}" if isinstance(value, float) else f"{key:<60} {value!s:>12}")
    print(f"{'total wall time, seconds':<60} {time.perf_counter() - start:>12.3f}")
