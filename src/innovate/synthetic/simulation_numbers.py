"""The numbers the simulation appendix reads, one :class:`~innovate.show.glue.Numbers` per section.

The appendix glues them under ``sim_`` (the run's time and processes, which differ between
machines, under ``volatile_sim_``). Coverages are proportions at three decimals and biases
at four, as the prose prints them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from innovate.errors import require_table
from innovate.show.glue import Numbers
from innovate.show.text import agreeing, of_them
from innovate.synthetic import parameters, simulation

#: The estimators whose coverage and bias the prose quotes one by one.
QUOTED_ESTIMATORS: tuple[str, ...] = (
    "gee_available",
    "gee_mi",
    "pooled_hksj",
    "pooled_wald",
    "mixed_risk",
    "mixed_risk_growth",
    "ipw_swemwbs",
    "aipw_swemwbs",
    "its_level",
    "mixed_swemwbs",
)

#: The three pooled intervals of the pooling study, as :func:`simulation.pooling_study` names them.
WALD, HKSJ, HKSJ_FLOOR = "Wald", "HKSJ", "HKSJ, never narrower than Wald"


def design(settings: simulation.Settings, n_estimates: int) -> Numbers:
    """The simulation's design: the coverage target, replications, cohort per arm (and the
    book's own), imputations, and how many estimates were made in all."""
    low, high = simulation.COVERAGE_TARGET
    return Numbers(
        {
            "target_low": float(low),
            "target_high": float(high),
            "replications": int(settings.replications),
            "per_arm": int(settings.per_arm),
            "book_per_arm": int(parameters.default_parameters(settings.seed).cohort.per_arm),
            "m": int(settings.m),
            "n_estimates": int(n_estimates),
        },
        digits={"target_low": 2, "target_high": 2},
    )


def run(manifest: dict, n_jobs: int) -> Numbers:
    """How long the stored run took (seconds, from its manifest) and on how many processes."""
    if "seconds" not in manifest:
        raise ValueError("simulation manifest: no 'seconds'")
    return Numbers({"seconds": float(manifest["seconds"]), "jobs": int(n_jobs)}, digits={"seconds": 0})


def _outside_sentence(outside: pd.DataFrame) -> str:
    if outside.empty:
        return "None falls outside it."
    parts = "; ".join(
        f"{simulation.SHORT_LABELS[r.estimator]} covers {r.coverage:.3f} (Monte Carlo SE {r.coverage_mcse:.3f}), "
        + (
            "within two Monte Carlo standard errors of the target range"
            if r.target_within_2mcse
            else "further from the target than chance explains"
        )
        for r in outside.itertuples()
    )
    return f"Outside the range: {parts}."


def coverage(summary: pd.DataFrame, quoted: Sequence[str] = QUOTED_ESTIMATORS) -> Numbers:
    """Coverage and bias (:meth:`simulation.SimulationResult.summary`): how many of the
    book's estimators (not the comparators) cover inside the target range or within two
    Monte Carlo standard errors of it, a sentence on those outside, each quoted estimator's
    coverage and bias with their Monte Carlo errors, and the growth model's bias in units
    of the spread of its estimates."""
    columns = ["estimator", "coverage", "coverage_mcse", "bias", "bias_mcse", "empirical_sd", "in_target"]
    require_table(summary, [*columns, "target_within_2mcse"], "simulation summary")
    book = summary[~summary["estimator"].isin(simulation.COMPARATORS)]
    if book.empty:
        raise ValueError("simulation summary: only comparators, none of the book's estimators")
    by = summary.set_index("estimator")
    absent = [k for k in (*quoted, "mixed_risk_growth") if k not in by.index]
    if absent:
        raise ValueError(f"simulation summary: no row for estimator(s) {', '.join(dict.fromkeys(absent))}")
    n_in, n_compatible = int(book["in_target"].sum()), int(book["target_within_2mcse"].sum())
    values = {
        "n_book_estimators": len(book),
        "n_in_target": n_in,
        "n_compatible": n_compatible,
        # the counts as the sentences say them, right for every value ('1 has', 'all of them have')
        "in_target_text": agreeing(n_in, "has", "have"),
        "compatible_text": agreeing(n_compatible, "is", "are"),
        "in_target_of_text": of_them(n_in, len(book), "has", "have", "does not have"),
        "cov_min": float(book["coverage"].min()),
        "cov_max": float(book["coverage"].max()),
        "outside_sentence": _outside_sentence(book[~book["in_target"].astype(bool)]),
    }
    digits = {"cov_min": 3, "cov_max": 3}
    for key in quoted:
        for stat, places in (("cov", 3), ("cov_mcse", 3), ("bias", 4), ("bias_mcse", 4)):
            column = {"cov": "coverage", "cov_mcse": "coverage_mcse"}.get(stat, stat)
            values[f"{key}_{stat}"] = float(by.at[key, column])
            digits[f"{key}_{stat}"] = places
    growth = by.loc["mixed_risk_growth"]
    values["growth_bias_in_sd"] = float(abs(growth["bias"]) / growth["empirical_sd"])
    digits["growth_bias_in_sd"] = 1
    return Numbers(values, digits)


def pooling(pool: pd.DataFrame, base_tau: float, replications: int) -> Numbers:
    """The pooling study (:func:`simulation.pooling_study`, taus 0, the generator's and four
    times it): the Wald interval's coverage at tau 0, at the generator's tau and at the
    largest; the HKSJ interval's range; the floored HKSJ variant's at tau 0."""
    require_table(pool, ["interval", "tau", "coverage"], "pooling study")
    by_interval = {name: part.set_index("tau")["coverage"] for name, part in pool.groupby("interval")}
    absent = [name for name in (WALD, HKSJ, HKSJ_FLOOR) if name not in by_interval]
    if absent:
        raise ValueError(f"pooling study: no interval {', '.join(absent)}")
    wald = by_interval[WALD]
    taus = [0.0, base_tau, 4 * base_tau]
    if any(t not in wald.index for t in taus) or 0.0 not in by_interval[HKSJ_FLOOR].index:
        raise ValueError(f"pooling study: needs taus {taus} for the Wald interval and 0 for the floored HKSJ")
    values = {
        "pool_reps": int(replications),
        "pool_wald_0": float(wald.loc[0.0]),
        "pool_wald_gen": float(wald.loc[base_tau]),
        "pool_wald_max": float(wald.loc[4 * base_tau]),
        "pool_hksj_min": float(by_interval[HKSJ].min()),
        "pool_hksj_max": float(by_interval[HKSJ].max()),
        "pool_mod_0": float(by_interval[HKSJ_FLOOR].loc[0.0]),
    }
    return Numbers(values, dict.fromkeys([k for k in values if k != "pool_reps"], 3))
