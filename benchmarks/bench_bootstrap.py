"""The cost-effectiveness bootstrap at scale (``python -m benchmarks bench_bootstrap``).

Measures, on this machine, the wall time of a paired non-parametric bootstrap of
**10,000 replicates on 2,000 young people** (aim: under 2 s), with
``innovate.costs.stratified_bootstrap`` - index matrices drawn from a seeded
``np.random.default_rng``, turned into counts, and stratum means as one matrix product:

* **cost and effect**: two columns (the incremental cost and effect of a
  cost-effectiveness analysis), 12 strata (6 sites x 2 arms), with the jackknife that BCa
  needs;
* **+ statistics**: the same, then the site-standardised differences, percentile and BCa
  intervals and the acceptability curve over 101 willingness-to-pay values;
* **full model**: 24 cost components by discount year, 2 effect components, 6 outcomes
  and a weight (33 columns), as the chapter runs it;
* **loop baseline**: a plain Python loop over replicates (``rng.integers`` per stratum and
  ``mean`` per replicate), 1,000 replicates scaled to 10,000, to show what vectorising buys.

The data are simulated (gamma costs, normal effects), seeded; nothing here is a result.
Run directly (``python benchmarks/bench_bootstrap.py``) it prints the figures; ``run()``
returns them for ``python -m benchmarks``.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

N_PEOPLE = 2000
REPS = 10_000
SEED = 20250601


def simulated(n: int = N_PEOPLE, extra_columns: int = 0, seed: int = SEED) -> pd.DataFrame:
    """Young people over six sites and two arms with a skewed cost and a normal effect."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "site_id": rng.choice([f"site{i}" for i in range(6)], n),
            "arm": rng.choice(["innovation", "comparison"], n),
        }
    )
    innovation = (frame["arm"] == "innovation").to_numpy()
    frame["cost"] = rng.gamma(1.2, 20_000.0, n) + 2_000.0 * innovation
    frame["effect"] = rng.normal(-7.0, 5.0, n) + 0.8 * innovation
    for k in range(extra_columns):
        frame[f"x{k}"] = rng.gamma(1.0, 1_000.0, n)
    return frame


def _time(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_core() -> dict[str, float]:
    from innovate.econ import cea
    from innovate.stats import bootstrap
    from innovate.study import costs

    frame = simulated()

    def boot():
        return bootstrap.stratified_bootstrap(frame, ["cost", "effect"], ["site_id", "arm"], reps=REPS, seed=SEED)

    def with_statistics():
        b = boot()
        diff = bootstrap.arm_difference(b)
        est, rep, jk = b.apply(diff)
        bootstrap.percentile_interval(rep[:, 0])
        bootstrap.bca_interval(est[0], rep[:, 0], jk[:, 0], groups=b.jackknife_groups)
        bootstrap.bca_interval(est[1], rep[:, 1], jk[:, 1], groups=b.jackknife_groups)
        cea.ceac(rep[:, 1], rep[:, 0], costs.WTP_GRID[::5] if len(costs.WTP_GRID) > 101 else costs.WTP_GRID)
        return est

    def no_jackknife():
        return bootstrap.stratified_bootstrap(
            frame, ["cost", "effect"], ["site_id", "arm"], reps=REPS, seed=SEED, jackknife=False
        )

    return {
        "young_people": N_PEOPLE,
        "replicates": REPS,
        "bootstrap_2_columns_seconds": _time(boot),
        "bootstrap_without_jackknife_seconds": _time(no_jackknife),
        "bootstrap_plus_intervals_and_ceac_seconds": _time(with_statistics),
    }


def bench_full_model() -> dict[str, float]:
    from innovate.stats import bootstrap

    frame = simulated(extra_columns=31)
    columns = ["cost", "effect"] + [f"x{k}" for k in range(31)]
    seconds = _time(
        lambda: bootstrap.stratified_bootstrap(frame, columns, ["site_id", "arm"], reps=REPS, seed=SEED), repeat=2
    )
    return {"bootstrap_33_columns_seconds": seconds}


def bench_loop(reps: int = 1000) -> dict[str, float]:
    frame = simulated()
    values = frame[["cost", "effect"]].to_numpy()
    groups = [values[idx] for idx in frame.groupby(["site_id", "arm"]).indices.values()]

    def loop():
        rng = np.random.default_rng(SEED)
        out = np.empty((reps, len(groups), 2))
        for b in range(reps):
            for s, g in enumerate(groups):
                out[b, s] = g[rng.integers(0, len(g), len(g))].mean(axis=0)
        return out

    seconds = _time(loop, repeat=1)
    return {
        "python_loop_1000_replicates_seconds": seconds,
        "python_loop_scaled_to_10000_seconds": seconds * REPS / reps,
    }


def run() -> dict[str, float]:
    figures: dict[str, float] = {}
    figures.update(bench_core())
    figures.update(bench_full_model())
    figures.update(bench_loop())
    figures["speed_up_over_loop"] = (
        figures["python_loop_scaled_to_10000_seconds"] / figures["bootstrap_2_columns_seconds"]
    )
    figures["meets_2_second_aim"] = bool(figures["bootstrap_plus_intervals_and_ceac_seconds"] < 2.0)
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<50} {value}")
