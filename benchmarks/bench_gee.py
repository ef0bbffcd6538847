"""Cohort models at scale (``python -m benchmarks bench_gee``).

Simulates a cohort with the project's generator (:func:`innovate.synthetic.simulate_cohort`)
large enough that the negative binomial GEE of missing episodes has at least 100,000
person-waves (follow-up waves observed), and times, wall and process CPU:

* **simulate**: the generator;
* **frames**: the long frame (outcomes merged with covariates);
* **NB alpha**: the dispersion by maximum likelihood (profile likelihood, IRLS);
* **GEE fast**: :func:`innovate.cohort.fit_gee`, vectorised engine, exchangeable,
  robust errors; and with the Mancl-DeRouen bias-reduced sandwich;
* **GEE statsmodels**: the same model with ``statsmodels`` GEE (the reference the fast
  engine is tested against), with the difference between the two estimates;
* **mixed model fast**: the SWEMWBS linear mixed model (REML, random intercept and
  slope) on the same cohort.

Run directly (``python benchmarks/bench_gee.py``) it prints the figures; ``run()`` returns
them for ``python -m benchmarks``.
"""

from __future__ import annotations

import time

import numpy as np

#: Young people per arm and site: 6 sites x 2 arms x 3,800 = 45,600 young people, about
#: 105,000 observed follow-up person-waves after attrition (136,800 before).
PER_ARM = 3_800
SEED = 20240601


def _timed(fn):
    t, c = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - t, time.process_time() - c


def run(per_arm: int = PER_ARM, statsmodels_reference: bool = True) -> dict[str, float]:
    from innovate.stats import negbin
    from innovate.study import cohort_data, cohort_models
    from innovate.synthetic import generator, parameters

    params = parameters.default_parameters(SEED)
    (yp, out), sim_s, sim_c = _timed(
        lambda: generator.simulate_cohort(params, np.random.default_rng(SEED), per_arm=per_arm)
    )
    long, frame_s, frame_c = _timed(lambda: cohort_data.long_frame(yp, out))
    covs = cohort_data.model_covariates("missing_episodes")
    data = cohort_data._model_rows(long, "missing_episodes", follow_up_only=True)
    y, X, names = cohort_data.design_matrix(data, "missing_episodes", "post", covs)
    alpha, alpha_s, alpha_c = _timed(lambda: negbin.estimate_nb_alpha(y, X))
    fast, fast_s, fast_c = _timed(lambda: cohort_models.fit_gee(long, alpha=alpha))
    br, br_s, br_c = _timed(lambda: cohort_models.fit_gee(long, alpha=alpha, cov_type="bias_reduced"))
    mixed, mixed_s, mixed_c = _timed(lambda: cohort_models.fit_mixed(long, "swemwbs"))
    if fast.n_obs < 100_000 and per_arm == PER_ARM:
        raise RuntimeError(f"only {fast.n_obs} person-waves: raise PER_ARM")
    figures = {
        "young people": int(len(yp)),
        "person-waves in the GEE (observed follow-up waves)": int(fast.n_obs),
        "person-waves in the mixed model (all observed waves)": int(mixed.n_obs),
        "simulate cohort, s": sim_s,
        "build long frame, s": frame_s,
        "NB alpha (profile ML), s": alpha_s,
        "GEE fast, exchangeable, robust, s": fast_s,
        "GEE fast, exchangeable, robust, cpu s": fast_c,
        "GEE fast, bias-reduced sandwich, s": br_s,
        "mixed model fast (REML, random slope), s": mixed_s,
        "mixed model fast, cpu s": mixed_c,
        "GEE rate ratio (fast)": float(np.exp(fast.effect.estimate)),
        "NB alpha": float(alpha),
        "working correlation": float(fast.working_correlation),
    }
    if statsmodels_reference:
        ref, ref_s, ref_c = _timed(lambda: cohort_models.fit_gee(long, alpha=alpha, engine="statsmodels"))
        figures.update(
            {
                "GEE statsmodels, exchangeable, robust, s": ref_s,
                "GEE statsmodels, cpu s": ref_c,
                "speed-up of the fast engine (wall)": ref_s / fast_s,
                "max |coefficient difference| fast vs statsmodels": float(
                    np.max(np.abs(fast.params.to_numpy() - ref.params.to_numpy()))
                ),
                "|SE difference| fast vs statsmodels (effect)": abs(fast.effect.se - ref.effect.se),
            }
        )
    return figures


if __name__ == "__main__":
    for key, value in run().items():
        print(f"{key:<55} {value:>14.6g}" if isinstance(value, float) else f"{key:<55} {value!s:>14}")
