"""Reproduction of the published Sicily ITS results (Lopez Bernal, Cummins and Gasparrini 2017)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from innovate.data.sicily import SICILY_FILE, sicily, sicily_reference
from innovate.stats.its import ITSResult, fit_its

#: The tutorial's four models: (method, harmonic pairs, slope change).
SICILY_MODELS: dict[int, tuple[str, int, bool]] = {
    1: ("poisson", 0, False),
    2: ("quasipoisson", 0, False),
    3: ("quasipoisson", 2, False),
    4: ("quasipoisson", 2, True),
}


def fit_sicily(model: int, data: pd.DataFrame | None = None, **kwargs) -> ITSResult:
    """Fit one of the tutorial's four models (1-4) with this module."""
    method, pairs, slope = SICILY_MODELS[model]
    data = sicily() if data is None else data
    options: dict[str, Any] = dict(
        count="aces",
        post="smokban",
        time="time",
        offset="stdpop",
        season="month",
        date="date",
        method=method,
        harmonics=pairs,
        slope_change=slope,
        rate_per=100_000,
        label=f"Sicily model {model}",
        source=f"data/peer/{SICILY_FILE}",
    )
    options.update(kwargs)
    result = fit_its(data, **options)
    if not result.estimable:
        raise ValueError(f"Sicily model {model} was not estimable: {result.reason}")
    return result


def sicily_reproduction(decimals: int = 3) -> pd.DataFrame:
    """Published values next to this module's estimates, one row per reported number.

    ``agrees`` is True when the estimate rounded to the number of decimals the published
    value carries equals it; ``r_difference`` is the largest absolute difference from the
    R re-run.
    """
    ref = sicily_reference()
    rows = []
    for model in SICILY_MODELS:
        result = fit_sicily(model)
        for term in ("level", "slope"):
            pub = ref[(ref["model"] == model) & (ref["term"] == term) & (ref["source"] == "published")]
            if pub.empty:
                continue
            rerun = ref[(ref["model"] == model) & (ref["term"] == term) & (ref["source"] != "published")].iloc[0]
            ratio, lower, upper = getattr(result, term).natural()
            p = pub.iloc[0]
            for part, value in (("estimate", ratio), ("lower", lower), ("upper", upper)):
                published = p[part]
                if pd.isna(published):
                    continue
                places = _decimals(published, decimals)
                rows.append(
                    {
                        "model": model,
                        "term": term,
                        "quantity": part,
                        "published": float(published),
                        "reproduced": float(value),
                        "reproduced_rounded": round(float(value), places),
                        "agrees": bool(abs(round(float(value), places) - float(published)) < 10 ** -(places + 3)),
                        "r_rerun": float(rerun[part]),
                        "r_difference": abs(float(value) - float(rerun[part])),
                    }
                )
    return pd.DataFrame(rows)


def _decimals(value: float, default: int) -> int:
    text = f"{value:.6f}".rstrip("0")
    return max(default, len(text.split(".")[1]) if "." in text else 0)
