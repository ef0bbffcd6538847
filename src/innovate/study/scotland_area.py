"""North Lanarkshire against Scotland's councils (real public statistics).

DfE statistics do not cover Scotland, so the North Lanarkshire chapter's public-statistics
part is built here from :mod:`innovate.data.scotland`: the child protection register and
looked-after children at 31 July 2021 (the only year the book holds by council), the
child population 2012-2022, and three council benchmarking (LGBF) indicators to 2019-20.
Each is set against the median and range of the 32 councils and Scotland. What Scotland
does not publish by council is listed in :data:`innovate.data.scotland.NOT_PUBLISHED_BY_COUNCIL`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from innovate.data import scotland
from innovate.stats.results import numbers_at_precision

#: The last LGBF year with values in the shipped snapshot (2020-21 is blank there).
LGBF_LAST_YEAR = "2019-20"


@dataclass(frozen=True)
class CouncilComparison:
    """One measure for every council: ``councils`` (code, name, value, rank), and the summary."""

    measure: str
    label: str
    year: str
    councils: pd.DataFrame
    council: str
    notes: tuple[str, ...]


def _councils(frame: pd.DataFrame, measure: str, council: str) -> pd.DataFrame:
    rows = frame[(frame["measure"] == measure) & (frame["council_code"] != scotland.SCOTLAND_CODE)]
    out = rows[["council_code", "council_name", "value", "status"]].reset_index(drop=True)
    # rank 1 is the highest rate; councils without a published value get no rank
    out["rank"] = out["value"].rank(ascending=False, method="min")
    out["is_council"] = out["council_code"] == council
    return out.sort_values("value", ascending=False, na_position="last").reset_index(drop=True)


def _scotland_rate(counts: pd.DataFrame, count_measure: str, pop_measure: str, year: int, per: int) -> float:
    """Scotland's rate from the sum of the published council counts over Scotland's population
    (a computation of this book; councils whose count was not published are left out)."""
    total = counts.loc[counts["measure"] == count_measure, "value"].sum(min_count=1)
    pop = scotland.child_population()
    denominator = pop[
        (pop["council_code"] == scotland.SCOTLAND_CODE) & (pop["measure"] == pop_measure) & (pop["year"] == year)
    ]["value"]
    return float(total / denominator.iloc[0] * per) if len(denominator) else float("nan")


@dataclass(frozen=True)
class ScotlandProfile:
    """What the North Lanarkshire chapter shows from Scottish statistics."""

    council: str
    name: str
    register: CouncilComparison
    looked_after: CouncilComparison
    population: pd.DataFrame
    benchmarking: pd.DataFrame
    values: dict
    digits: dict
    notes: tuple[str, ...]
    not_published: tuple[tuple[str, str], ...]

    def numbers(self) -> dict:
        return numbers_at_precision(self.values, self.digits)


def _summary(comp: CouncilComparison, prefix: str, scotland_value: float, values: dict, digits: dict) -> None:
    c = comp.councils
    own = c[c["is_council"]].iloc[0]
    values[f"{prefix}_area"] = float(own["value"])
    values[f"{prefix}_median"] = float(c["value"].median())
    values[f"{prefix}_min"] = float(c["value"].min())
    values[f"{prefix}_max"] = float(c["value"].max())
    values[f"{prefix}_scotland"] = scotland_value
    values[f"{prefix}_rank"] = int(own["rank"])
    values[f"{prefix}_ranked"] = int(c["rank"].notna().sum())
    values[f"{prefix}_vs_median"] = "above" if own["value"] > c["value"].median() else "below"
    for k in ("area", "median", "min", "max", "scotland"):
        digits[f"{prefix}_{k}"] = 1


def council_profile(council: str = scotland.NORTH_LANARKSHIRE) -> ScotlandProfile:
    """The council against Scotland's councils on the shipped Scottish series."""
    values: dict[str, object] = {}
    digits: dict[str, int] = {}
    reg = scotland.child_protection_register()
    register = CouncilComparison(
        "rate_per_1000_aged_0_15",
        "Children on the child protection register per 1,000 children aged 0-15, 31 July 2021",
        "2021",
        _councils(reg, "rate_per_1000_aged_0_15", council),
        council,
        (
            "ScotPHO's register rate is labelled per 1,000 children aged 0-15 while its numerator covers "
            "ages 0-17 and unborn children (ScotPHO's own indicator script); treat it with care",
        ),
    )
    lac = scotland.looked_after()
    looked = CouncilComparison(
        "rate_per_1000_aged_0_17",
        "Looked-after children per 1,000 children aged 0-17, 31 July 2021",
        "2021",
        _councils(lac, "rate_per_1000_aged_0_17", council),
        council,
        (),
    )
    _summary(
        register,
        "register",
        _scotland_rate(reg, "children_on_child_protection_register", "population_aged_0_15", 2021, 1000),
        values,
        digits,
    )
    own_count = reg[(reg["council_code"] == council) & (reg["measure"] == "children_on_child_protection_register")]
    values["register_count"] = int(own_count["value"].iloc[0])
    _summary(
        looked,
        "looked_after",
        _scotland_rate(lac, "children_looked_after", "population_aged_0_17", 2021, 1000),
        values,
        digits,
    )
    own_lac = lac[(lac["council_code"] == council) & (lac["measure"] == "children_looked_after")]
    values["looked_after_count"] = int(own_lac["value"].iloc[0])

    pop = scotland.child_population()
    pop = pop[pop["measure"] == "population_aged_0_17"]
    wide = pop.pivot_table(index="year", columns="council_code", values="value")
    population = pd.DataFrame(
        {
            "year": wide.index.astype(int),
            "council": wide[council].to_numpy(),
            "scotland": wide[scotland.SCOTLAND_CODE].to_numpy(),
        }
    )
    first, last = population.iloc[0], population.iloc[-1]
    values["population_first_year"], values["population_last_year"] = int(first["year"]), int(last["year"])
    values["population_first"], values["population_last"] = int(first["council"]), int(last["council"])
    values["population_change_percent"] = float(100 * (last["council"] / first["council"] - 1))
    values["population_scotland_change_percent"] = float(100 * (last["scotland"] / first["scotland"] - 1))
    digits["population_change_percent"] = digits["population_scotland_change_percent"] = 1

    bench = scotland.benchmarking()
    rows = []
    for measure, (code, label) in scotland.LGBF_MEASURES.items():
        m = bench[(bench["measure"] == measure) & bench["value"].notna()]
        councils = m[m["council_code"] != scotland.SCOTLAND_CODE].groupby("year")["value"]
        own = m[m["council_code"] == council].set_index("year")["value"]
        nation = m[m["council_code"] == scotland.SCOTLAND_CODE].set_index("year")["value"]
        years = sorted(m["year"].unique())
        rows.append(
            pd.DataFrame(
                {
                    "measure": measure,
                    "code": code,
                    "label": label,
                    "year": years,
                    "council": own.reindex(years).to_numpy(float),
                    "council_median": councils.median().reindex(years).to_numpy(float),
                    "council_min": councils.min().reindex(years).to_numpy(float),
                    "council_max": councils.max().reindex(years).to_numpy(float),
                    "scotland": nation.reindex(years).to_numpy(float),
                }
            )
        )
        last_row = rows[-1][rows[-1]["year"] == LGBF_LAST_YEAR]
        if len(last_row):
            key = code.lower()
            for name, col in (("area", "council"), ("median", "council_median"), ("scotland", "scotland")):
                v = float(last_row[col].iloc[0])
                values[f"{key}_{name}"] = v
                digits[f"{key}_{name}"] = 1
    values["lgbf_last_year"] = LGBF_LAST_YEAR
    benchmarking = pd.concat(rows, ignore_index=True)
    name = str(reg.loc[reg["council_code"] == council, "council_name"].iloc[0])
    notes = (
        *register.notes,
        "Scotland's rates are computed here from the sum of the published council counts and NRS's population; "
        "councils whose count was not published are left out of the sum",
        "the population estimates for 2012-2021 predate Census 2022 and 2022 is Census-based, so part of the "
        "change to 2022 comes from rebasing",
        "the LGBF snapshot is blank for 2020-21; its licence is not stated (check the Improvement Service's terms "
        "before quoting it in print)",
    )
    return ScotlandProfile(
        council,
        name,
        register,
        looked,
        population,
        benchmarking,
        values,
        digits,
        notes,
        scotland.NOT_PUBLISHED_BY_COUNCIL,
    )
