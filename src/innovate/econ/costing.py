"""Bottom-up costing: staff time, placements and innovation costs per young person over the follow-up."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from innovate.config import FOLLOW_UP_MONTHS
from innovate.econ.prices import (
    GREEN_BOOK_SCHEDULE,
    fy_start,
    fy_start_of_dates,
    to_price_year,
)
from innovate.econ.unit_costs import PLACEMENT_RATE_ITEM, unit_costs
from innovate.errors import DataError, Problem

#: Weeks in a year, for converting annual amounts to weekly ones (365.25 / 7).
WEEKS_PER_YEAR = 365.25 / 7

#: Years over which an innovation's start-up costs are annuitised (an ASSUMPTION: the
#: useful life of training and practice development before it must be renewed).
START_UP_LIFE_YEARS = 5.0


# ---------------------------------------------------------------------------------------
# Bottom-up process costing
# ---------------------------------------------------------------------------------------


def _months_between(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Whole calendar months from ``earlier``'s month to ``later``'s month."""
    return ((later.dt.year - earlier.dt.year) * 12 + (later.dt.month - earlier.dt.month)).to_numpy()


def component_column(component: str, year: int) -> str:
    """Column name of a cost or effect component in discount year ``year``."""
    return f"{component}@y{int(year)}"


def split_column(column: str) -> tuple[str, int]:
    name, _, year = column.rpartition("@y")
    return name, int(year)


def staff_hourly_costs(table: pd.DataFrame | None = None) -> dict[str, float]:
    """Cost per contact hour by staff role, ``PRICE_YEAR`` prices (from the unit-cost table)."""
    table = unit_costs() if table is None else table
    rows = table[table["item"].str.startswith("staff_contact_hour:")]
    return {item.split(":", 1)[1]: float(v) for item, v in zip(rows["item"], rows["amount_gbp_price_year"])}


def activity_components(activity: pd.DataFrame, people: pd.DataFrame, hourly: Mapping[str, float]) -> pd.DataFrame:
    """Staff cost per young person by role and discount year (``PRICE_YEAR`` prices).

    Contact hours x the role's hourly cost. The discount year counts whole years since
    the young person's baseline month (months 0-11 are year 0). Activity outside the
    follow-up (before baseline, or 18+ months after) raises ``DataError``.
    """
    frame = activity.merge(people[["person_id", "baseline_date"]], on="person_id", how="left", validate="many_to_one")
    unknown_role = ~frame["staff_role"].isin(list(hourly))
    if unknown_role.any():
        i = int(np.flatnonzero(unknown_role.to_numpy())[0])
        raise DataError(
            [
                Problem(
                    "service_activity.csv",
                    "unit-cost",
                    "no hourly unit cost for this staff role",
                    "staff_role",
                    i + 1,
                    frame["staff_role"].iloc[i],
                )
            ]
        )
    months = _months_between(frame["month"], frame["baseline_date"])
    outside = (months < 0) | (months >= FOLLOW_UP_MONTHS)
    if outside.any():
        problems = [
            Problem(
                "service_activity.csv",
                "follow-up-window",
                f"month is outside the {FOLLOW_UP_MONTHS} months from the young person's baseline",
                "month",
                int(i) + 1,
                str(frame["month"].iloc[i].date()),
            )
            for i in np.flatnonzero(outside)[:50]
        ]
        raise DataError(problems)
    rate = frame["staff_role"].map(dict(hourly)).to_numpy(dtype=float)
    frame = frame.assign(
        column=[component_column(f"staff:{r}", y) for r, y in zip(frame["staff_role"], months // 12)],
        cost=frame["contact_hours"].to_numpy(dtype=float) * rate,
    )
    return frame.pivot_table(index="person_id", columns="column", values="cost", aggfunc="sum", fill_value=0.0)


def placement_days(placements: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Days in placement inside each young person's follow-up window, counted by
    placement type, financial year and discount year.

    The window runs from baseline to the day before the 18-month anniversary; a day is in
    discount year 1 from the 12-month anniversary on. Columns: person_id, placement_type,
    financial_year, year, days. (Days are expanded one by one as integers and counted
    with ``np.unique``, so every boundary - financial year and anniversary - is exact.)
    """
    frame = placements.merge(people[["person_id", "baseline_date"]], on="person_id", how="left", validate="many_to_one")
    day = "datetime64[D]"
    base = frame["baseline_date"].to_numpy().astype(day)
    anniversary = (frame["baseline_date"] + pd.DateOffset(months=12)).to_numpy().astype(day)
    end_window = (frame["baseline_date"] + pd.DateOffset(months=FOLLOW_UP_MONTHS)).to_numpy().astype(day) - 1
    first = np.maximum(frame["start_date"].to_numpy().astype(day), base)
    last = np.minimum(frame["end_date"].to_numpy().astype(day), end_window)
    n_days = np.maximum((last - first).astype(np.int64) + 1, 0)
    rows = np.repeat(np.arange(len(frame)), n_days)
    offsets = np.arange(n_days.sum()) - np.repeat(np.cumsum(n_days) - n_days, n_days)
    dates = first[rows] + offsets
    fy = fy_start_of_dates(dates)
    year = (dates >= anniversary[rows]).astype(np.int64)
    person_codes, persons = pd.factorize(frame["person_id"].astype(str))
    type_codes, types = pd.factorize(frame["placement_type"].astype(str))
    if len(rows) == 0:
        return pd.DataFrame(
            {
                "person_id": pd.Series(dtype=object),
                "placement_type": pd.Series(dtype=object),
                "financial_year": pd.Series(dtype=object),
                "year": pd.Series(dtype=np.int64),
                "days": pd.Series(dtype=np.int64),
            }
        )
    fy0 = int(fy.min())
    n_fy = int(fy.max()) - fy0 + 1
    key = ((person_codes[rows].astype(np.int64) * len(types) + type_codes[rows]) * n_fy + (fy - fy0)) * 2 + year
    counts = np.bincount(key)
    present = np.flatnonzero(counts)
    year_u = present % 2
    fy_u = (present // 2) % n_fy + fy0
    type_u = (present // (2 * n_fy)) % len(types)
    person_u = present // (2 * n_fy * len(types))
    return pd.DataFrame(
        {
            "person_id": np.asarray(persons, dtype=object)[person_u],
            "placement_type": np.asarray(types, dtype=object)[type_u],
            "financial_year": np.array([f"{y}-{(y + 1) % 100:02d}" for y in fy_u], dtype=object),
            "year": year_u.astype(np.int64),
            "days": counts[present].astype(np.int64),
        }
    )


def weekly_rate_lookup(
    table: pd.DataFrame, area_code: str
) -> tuple[Callable[[str, Sequence[str]], np.ndarray], list[str]]:
    """A function (placement type, financial years) -> weekly rate at ``PRICE_YEAR`` prices.

    Rates come from the area's Section 251 rows (``PLACEMENT_RATE_ITEM`` says which line
    prices each type). A financial year outside the published range takes the nearest
    published year's rate in real terms; each such use is returned as a note.
    """
    notes: list[str] = []
    s251 = table[(table["area_code"] == area_code) & table["item"].isin(set(PLACEMENT_RATE_ITEM.values()))]
    if s251.empty:
        raise DataError(
            [
                Problem(
                    "data/reference/unit_costs.csv",
                    "unit-cost-area",
                    "no Section 251 unit costs for the area",
                    "area_code",
                    None,
                    area_code,
                )
            ]
        )
    by_item = {
        item: dict(zip(part["financial_year"], part["amount_gbp_price_year"].astype(float)))
        for item, part in s251.dropna(subset=["amount_gbp_price_year"]).groupby("item")
    }

    def lookup(placement_type: str, years: Sequence[str]) -> np.ndarray:
        item = PLACEMENT_RATE_ITEM[placement_type]
        rates = by_item.get(item)
        if not rates:
            raise DataError(
                [
                    Problem(
                        "data/reference/unit_costs.csv",
                        "unit-cost-item",
                        "no weekly rate for this item and area",
                        "item",
                        None,
                        f"{item} / {area_code}",
                    )
                ]
            )
        published = sorted(rates, key=fy_start)
        out = []
        for fy in years:
            if fy in rates:
                out.append(rates[fy])
                continue
            nearest = min(published, key=lambda p: abs(fy_start(p) - fy_start(fy)))
            note = f"{item} {fy}: not published for area {area_code}; the {nearest} rate (real terms) is used"
            if note not in notes:
                notes.append(note)
            out.append(rates[nearest])
        return np.asarray(out, dtype=float)

    return lookup, notes


def placement_components(
    placements: pd.DataFrame, people: pd.DataFrame, table: pd.DataFrame, area_of_site: Mapping[str, str]
) -> tuple[pd.DataFrame, list[str]]:
    """Placement cost per young person by type and discount year (``PRICE_YEAR`` prices).

    Each placement day inside the follow-up costs one seventh of the weekly unit cost of
    the young person's site area for that financial year and placement type.
    """
    days = placement_days(placements, people)
    days = days.merge(people[["person_id", "site_id"]], on="person_id", how="left")
    notes: list[str] = []
    cost = np.zeros(len(days))
    for site_id, idx in days.groupby("site_id").indices.items():
        lookup, site_notes = weekly_rate_lookup(table, area_of_site[site_id])
        part = days.iloc[idx]
        for ptype, sub in part.groupby("placement_type").indices.items():
            years = part["financial_year"].to_numpy()[sub]
            unique, inverse = np.unique(years, return_inverse=True)
            cost[idx[sub]] = lookup(ptype, list(unique))[inverse] / 7.0 * part["days"].to_numpy()[sub]
        notes += [f"{site_id}: {n}" for n in site_notes]
    days["cost"] = cost
    days["column"] = [component_column(f"placement:{t}", y) for t, y in zip(days["placement_type"], days["year"])]
    wide = days.pivot_table(index="person_id", columns="column", values="cost", aggfunc="sum", fill_value=0.0)
    return wide, notes


def annuity_factor(years: float, rate: float = GREEN_BOOK_SCHEDULE[0][1]) -> float:
    """Present value of 1 a year for ``years`` years (paid at each year's end)."""
    if years <= 0:
        raise ValueError("years must be > 0")
    return float(years) if rate == 0 else float((1 - (1 + rate) ** -years) / rate)


def follow_up_days(people: pd.DataFrame) -> pd.DataFrame:
    """Days of follow-up of each young person by financial year and discount year."""
    window = pd.DataFrame(
        {
            "placement_id": people["person_id"].to_numpy(),
            "person_id": people["person_id"].to_numpy(),
            "placement_type": "follow_up",
            "start_date": people["baseline_date"].to_numpy(),
            "end_date": (people["baseline_date"] + pd.DateOffset(months=FOLLOW_UP_MONTHS)).to_numpy(),
        }
    )
    days = placement_days(window, people)
    return days[["person_id", "financial_year", "year", "days"]]


def _days_in_fy(fy: str) -> int:
    start = fy_start(fy)
    return (pd.Timestamp(start + 1, 4, 1) - pd.Timestamp(start, 4, 1)).days


def innovation_components(
    innovation: pd.DataFrame, people: pd.DataFrame, start_up_life: float = START_UP_LIFE_YEARS
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The innovation's own costs charged to the young people it served, per day of service.

    Rule (stated in the chapter), at each site, in ``PRICE_YEAR`` prices:

    * running costs of a financial year cost, per young person and day of follow-up in
      that year, the year's running costs / (days in the year x the number of the site's
      innovation-arm young people) - as if the innovation's caseload at any time were the
      size of the study cohort (a larger real caseload would mean a lower cost each);
    * start-up costs (all years) are annuitised over ``start_up_life`` years at 3.5%
      (an equivalent annual cost) and charged per day of follow-up the same way.

    Comparison-arm young people carry none of these costs. A year of follow-up with no
    running-cost row takes the nearest year's running costs (a note says so).
    Returns (person x component-year frame, site table, notes).
    """
    cash = innovation.copy()
    cash["amount"] = to_price_year(
        cash["amount_gbp"].to_numpy(dtype=float), cash["financial_year"].astype(str).to_numpy()
    )
    served = people[people["arm"] == "innovation"][["person_id", "site_id", "baseline_date"]]
    days = follow_up_days(served).merge(served[["person_id", "site_id"]], on="person_id")
    annuity = annuity_factor(start_up_life)
    parts, summary, notes = [], [], []
    for site_id, members in served.groupby("site_id"):
        site_costs = cash[cash["site_id"] == site_id]
        n = len(members)
        start_up = float(site_costs.loc[site_costs["cost_category"] == "start_up", "amount"].sum())
        running = site_costs[site_costs["cost_category"] == "running"].groupby("financial_year")["amount"].sum()
        site_days = days[days["site_id"] == site_id].copy()
        needed = sorted(site_days["financial_year"].unique(), key=fy_start)
        annual = {}
        for fy in needed:
            if fy in running.index:
                annual[fy] = float(running[fy])
            elif len(running):
                nearest = min(running.index, key=lambda p: abs(fy_start(p) - fy_start(fy)))
                annual[fy] = float(running[nearest])
                notes.append(f"{site_id}: no running costs recorded for {fy}; the {nearest} amount is used")
            else:
                annual[fy] = 0.0
                notes.append(f"{site_id}: no running costs recorded at all; running costs taken as zero")
        per_day = site_days["financial_year"].map(lambda fy: 1.0 / (_days_in_fy(fy) * n)).to_numpy()
        site_days["running"] = site_days["financial_year"].map(annual).to_numpy() * per_day * site_days["days"]
        site_days["start_up"] = (start_up / annuity) * per_day * site_days["days"]
        long = pd.concat(
            [
                site_days.assign(
                    column=[component_column("innovation:running", y) for y in site_days["year"]],
                    cost=site_days["running"],
                ),
                site_days.assign(
                    column=[component_column("innovation:start_up", y) for y in site_days["year"]],
                    cost=site_days["start_up"],
                ),
            ]
        )
        parts.append(
            long.pivot_table(index="person_id", columns="column", values="cost", aggfunc="sum", fill_value=0.0)
        )
        summary.append(
            {
                "site_id": site_id,
                "innovation_arm_n": n,
                "start_up_total": start_up,
                "start_up_equivalent_annual_cost": start_up / annuity,
                "running_total": float(running.sum()),
                "running_years": f"{min(running.index, key=fy_start)} to {max(running.index, key=fy_start)}"
                if len(running)
                else "",
                "running_per_year_follow_up": float(np.mean([annual[fy] for fy in needed])) if needed else 0.0,
                "charged_running": float(site_days["running"].sum()),
                "charged_start_up": float(site_days["start_up"].sum()),
            }
        )
    wide = pd.concat(parts).fillna(0.0) if parts else pd.DataFrame()
    wide.index.name = "person_id"
    return wide, pd.DataFrame(summary), notes
