"""The unit-cost table (``data/reference/unit_costs.csv``): published unit costs, their sources and stated assumptions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from innovate.config import ENGLAND_CODE
from innovate.data import deflators as data_deflators
from innovate.data import public, schemas
from innovate.data.paths import reference_dir
from innovate.econ.prices import PRICE_YEAR, deflators, to_price_year
from innovate.errors import DataError, Problem, require_columns

# Categories come from the case-level schemas, the single truth for allowed values.
STAFF_ROLES: tuple[str, ...] = schemas.STAFF_ROLES
PLACEMENT_TYPES: tuple[str, ...] = schemas.PLACEMENT_TYPES
INNOVATION_ITEMS: tuple[str, ...] = schemas.COST_ITEMS
COST_CATEGORIES: tuple[str, ...] = schemas.COST_CATEGORIES

#: The staff-time source: New Economy's unit cost database (from PSSRU's Unit Costs of
#: Health and Social Care), cost of a children's services social worker, 2013-14 prices,
#: excluding qualification costs, including on-costs, overheads and capital.
NEW_ECONOMY_SOURCE = (
    "New Economy Unit Cost Database (Manchester), valuation 'cost per hour for a children's "
    "services social worker', from PSSRU Unit Costs of Health and Social Care; national average, "
    "excluding qualification costs; including salary on-costs, overheads and capital"
)
NEW_ECONOMY_URL = "http://www.globalvaluexchange.org/valuations/584580a11c584a1f40e4382b"
NEW_ECONOMY_PRICE_YEAR = "2013-14"
#: GBP per hour of a children's social worker's time, and per hour of client-related
#: work (the latter spreads non-contact time over contact hours), 2013-14 prices.
SOCIAL_WORKER_HOURLY_GBP = 40.0
SOCIAL_WORKER_CLIENT_HOURLY_GBP = 55.0

#: Hourly cost of each role relative to a children's social worker. ASSUMPTIONS of this
#: book, not published figures: no offline source gave children's-services rates for
#: these roles. They are varied in the sensitivity analyses (log-normal, see PSA_SPREAD).
ROLE_RATIOS: dict[str, float] = {
    "social_worker": 1.0,
    "senior_practitioner": 1.15,
    "youth_worker": 0.70,
    "specialist_exploitation_worker": 1.0,
    "family_support_worker": 0.65,
    "team_manager": 1.40,
}
ROLE_RATIO_REASONS: dict[str, str] = {
    "social_worker": "the published rate",
    "senior_practitioner": "assumed 15% above a social worker (a higher grade on the same pay spine)",
    "youth_worker": "assumed 30% below a social worker (a lower pay grade; unqualified in social work)",
    "specialist_exploitation_worker": "assumed equal to a social worker (usually a qualified social worker in a specialist post)",
    "family_support_worker": "assumed 35% below a social worker (a support grade)",
    "team_manager": "assumed 40% above a social worker (a management grade)",
}

#: The National Audit Office (2025) average cost of a children's home place, England.
NAO_HOME_PLACE_GBP_PER_YEAR = 318_400.0
NAO_PRICE_YEAR = "2023-24"
NAO_SOURCE = (
    "National Audit Office (2025) Managing children's residential care: average cost of a "
    "children's home place in 2023-24 (England)"
)
NAO_URL = (
    "https://www.nao.org.uk/press-releases/"
    "government-needs-better-oversight-to-tackle-market-failures-in-childrens-residential-care"
)
NAO_CITATION = "nao2025residential"

#: Section 251 weekly unit costs in the LAIT file: indicator -> (item, label).
S251_INDICATORS: dict[str, tuple[str, str]] = {
    "RescareFinance": ("residential_care", "residential care"),
    "FosteringFinance": ("fostering", "fostering"),
    "LACFinance": ("looked_after_all", "all looked-after children"),
}
S251_SOURCE = (
    "DfE Section 251 outturn, weekly unit cost (approximate, rounded to GBP 5), via the "
    "Local Authority Interactive Tool, indicator {indicator}"
)
S251_URL = "https://explore-education-statistics.service.gov.uk/find-statistics/la-and-school-expenditure"
S251_CITATION = ""

#: Which weekly S251 rate prices each placement type, and why.
PLACEMENT_RATE_ITEM: dict[str, str] = {
    "residential": "residential_care",
    "fostering": "fostering",
    "secure": "residential_care",
    "supported_accommodation": "looked_after_all",
}
PLACEMENT_RATE_REASON: dict[str, str] = {
    "residential": "Section 251 residential care weekly unit cost of the area and year",
    "fostering": "Section 251 fostering weekly unit cost of the area and year",
    "secure": (
        "no public weekly unit cost for secure children's homes in the data: priced at the "
        "Section 251 residential care rate (an underestimate if secure places cost more)"
    ),
    "supported_accommodation": (
        "no Section 251 line for supported accommodation in the data: priced at the weekly "
        "unit cost of all looked-after children of the area and year"
    ),
}

#: Unit-cost areas: the sites' areas, London and England (LAIT 'LA Number').
UNIT_COST_AREAS: dict[str, tuple[str, str]] = {
    # area_code: (LAIT LA Number, name)
    "878": ("878", "Devon"),
    "870": ("870", "Reading"),
    "204": ("204", "Hackney"),
    "373": ("373", "Sheffield"),
    "E12000007": ("986", "London"),
    ENGLAND_CODE: ("970", "England"),
}

UNIT_COSTS_FILE = "unit_costs.csv"
UNIT_COST_COLUMNS: tuple[str, ...] = (
    "item",
    "area_code",
    "area_name",
    "financial_year",
    "unit",
    "amount_gbp",
    "price_year",
    "amount_gbp_price_year",
    "price_year_converted_to",
    "source",
    "source_url",
    "citation_key",
    "is_assumption",
    "note",
)


# ---------------------------------------------------------------------------------------
# The unit-cost table (data/reference/unit_costs.csv)
# ---------------------------------------------------------------------------------------


def _row(**values) -> dict:
    row = {c: "" for c in UNIT_COST_COLUMNS}
    row.update(values)
    return row


def build_unit_costs(public_folder: Path | None = None) -> pd.DataFrame:
    """The unit-cost table, built from the public files and the stated published figures.

    Rows: Section 251 weekly unit costs (residential care, fostering, all looked-after
    children) for each unit-cost area and financial year from the LAIT file (cash prices
    of that year; a '-' in the source stays empty with a note); the NAO (2025) cost of a
    children's home place; the New Economy / PSSRU social worker hourly costs; the other
    staff roles as stated ratios (flagged as assumptions). Every row is also converted to
    ``PRICE_YEAR`` prices with the HM Treasury GDP deflators.
    """
    table = deflators() if public_folder is None else data_deflators.gdp_deflators(public_folder)
    lait = public.lait(list(S251_INDICATORS), folder=public_folder)
    rows: list[dict] = []
    for area_code, (lait_number, name) in UNIT_COST_AREAS.items():
        part = lait[lait["area_code"] == (lait_number if area_code not in (ENGLAND_CODE, "E12000007") else area_code)]
        if part.empty:
            raise DataError(
                [
                    Problem(
                        public.LAIT_FILE, "unit-cost-area", "area not in the LAIT file", "LA Number", None, lait_number
                    )
                ]
            )
        for _, r in part.sort_values(["measure", "financial_year"]).iterrows():
            item, label = S251_INDICATORS[r["measure"]]
            published = np.isfinite(r["value"])
            rows.append(
                _row(
                    item=item,
                    area_code=area_code,
                    area_name=name,
                    financial_year=r["financial_year"],
                    unit="GBP per child per week",
                    amount_gbp=float(r["value"]) if published else np.nan,
                    price_year=r["financial_year"],
                    source=S251_SOURCE.format(indicator=r["measure"]),
                    source_url=S251_URL,
                    citation_key=S251_CITATION,
                    is_assumption=0,
                    note=("Section 251 outturn weekly unit cost of " + label + " (DfE, OGL v3)")
                    if published
                    else f"not published in LAIT (status {r['status']!r}); left empty, never read as zero",
                )
            )
    rows.append(
        _row(
            item="childrens_home_place",
            area_code=ENGLAND_CODE,
            area_name="England",
            financial_year=NAO_PRICE_YEAR,
            unit="GBP per place per year",
            amount_gbp=NAO_HOME_PLACE_GBP_PER_YEAR,
            price_year=NAO_PRICE_YEAR,
            source=NAO_SOURCE,
            source_url=NAO_URL,
            citation_key=NAO_CITATION,
            is_assumption=0,
            note="used in the sensitivity analysis as an alternative residential rate (weekly = annual / (365.25 / 7))",
        )
    )
    for item, amount, unit, note in (
        (
            "staff_hour:social_worker",
            SOCIAL_WORKER_HOURLY_GBP,
            "GBP per hour of working time",
            "uprated from 2013-14 prices with the HM Treasury GDP deflator; the low value of the one-way sensitivity analysis",
        ),
        (
            "staff_contact_hour:social_worker",
            SOCIAL_WORKER_CLIENT_HOURLY_GBP,
            "GBP per hour of client-related work",
            "uprated from 2013-14 prices with the HM Treasury GDP deflator; prices each recorded contact hour",
        ),
    ):
        rows.append(
            _row(
                item=item,
                area_code=ENGLAND_CODE,
                area_name="England (national average)",
                financial_year=NEW_ECONOMY_PRICE_YEAR,
                unit=unit,
                amount_gbp=amount,
                price_year=NEW_ECONOMY_PRICE_YEAR,
                source=NEW_ECONOMY_SOURCE,
                source_url=NEW_ECONOMY_URL,
                citation_key="",
                is_assumption=0,
                note=note,
            )
        )
    for role in STAFF_ROLES:
        if role == "social_worker":
            continue
        ratio = ROLE_RATIOS[role]
        rows.append(
            _row(
                item=f"staff_contact_hour:{role}",
                area_code=ENGLAND_CODE,
                area_name="England (national average)",
                financial_year=NEW_ECONOMY_PRICE_YEAR,
                unit="GBP per hour of client-related work",
                amount_gbp=ratio * SOCIAL_WORKER_CLIENT_HOURLY_GBP,
                price_year=NEW_ECONOMY_PRICE_YEAR,
                source=f"ASSUMPTION: {ratio:g} x the social worker rate (no published source used)",
                source_url="",
                citation_key="",
                is_assumption=1,
                note=f"{ROLE_RATIO_REASONS[role]}; varied in the sensitivity analyses; uprated with the GDP deflator",
            )
        )
    frame = pd.DataFrame(rows, columns=list(UNIT_COST_COLUMNS))
    amounts = frame["amount_gbp"].astype(float)
    converted = np.full(len(frame), np.nan)
    ok = amounts.notna().to_numpy()
    converted[ok] = to_price_year(amounts[ok].to_numpy(), frame.loc[ok, "price_year"].to_numpy(), PRICE_YEAR, table)
    frame["amount_gbp_price_year"] = np.round(converted, 2)
    frame["price_year_converted_to"] = PRICE_YEAR
    frame["is_assumption"] = frame["is_assumption"].astype(int)
    for column in UNIT_COST_COLUMNS:
        if column not in ("amount_gbp", "amount_gbp_price_year", "is_assumption"):
            frame[column] = frame[column].astype(str).astype(object)
    return frame


def write_unit_costs(path: Path | None = None, public_folder: Path | None = None) -> Path:
    """Write ``build_unit_costs()`` to ``data/reference/unit_costs.csv`` (or ``path``)."""
    path = reference_dir() / UNIT_COSTS_FILE if path is None else Path(path)
    frame = build_unit_costs(public_folder)
    frame.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format="%.2f")
    return path


def unit_costs(path: Path | None = None) -> pd.DataFrame:
    """The unit-cost table, read and checked.

    Every row must name its item, unit, price year and source; amounts are numbers >= 0
    (empty only where the note says the source did not publish one). Problems raise
    ``DataError`` naming file, column, row and rule.
    """
    path = reference_dir() / UNIT_COSTS_FILE if path is None else Path(path)
    file = f"data/reference/{path.name}" if path.parent == reference_dir() else str(path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    problems: list[Problem] = []
    require_columns(raw, UNIT_COST_COLUMNS, file)
    for column in ("item", "area_code", "unit", "price_year", "source", "price_year_converted_to"):
        for i in np.flatnonzero(raw[column].str.strip().eq("").to_numpy()):
            problems.append(
                Problem(file, "required-value", f"every unit cost states its {column}", column, int(i) + 1, "")
            )
    for column in ("amount_gbp", "amount_gbp_price_year"):
        values = pd.to_numeric(raw[column].where(raw[column] != ""), errors="coerce")
        bad = (raw[column] != "") & (values.isna() | (values < 0))
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(
                Problem(
                    file, "non-negative-number", "amount must be a number >= 0", column, int(i) + 1, raw[column].iloc[i]
                )
            )
        empty = (raw[column] == "") & ~raw["note"].str.contains("not published")
        for i in np.flatnonzero(empty.to_numpy()):
            problems.append(
                Problem(
                    file,
                    "explained-gap",
                    "an empty amount needs a note saying it was not published",
                    column,
                    int(i) + 1,
                    "",
                )
            )
    for i in np.flatnonzero(~raw["is_assumption"].isin(["0", "1"]).to_numpy()):
        problems.append(
            Problem(
                file,
                "allowed-values",
                "is_assumption must be 0 or 1",
                "is_assumption",
                int(i) + 1,
                raw["is_assumption"].iloc[i],
            )
        )
    for i in np.flatnonzero((raw["price_year_converted_to"] != PRICE_YEAR).to_numpy()):
        problems.append(
            Problem(
                file,
                "price-year",
                f"amounts must be converted to {PRICE_YEAR}",
                "price_year_converted_to",
                int(i) + 1,
                raw["price_year_converted_to"].iloc[i],
            )
        )
    keys = raw[["item", "area_code", "financial_year"]]
    for i in np.flatnonzero(keys.duplicated().to_numpy()):
        problems.append(
            Problem(
                file,
                "unique-key",
                "item, area_code and financial_year must be unique",
                "item",
                int(i) + 1,
                "/".join(keys.iloc[i]),
            )
        )
    if problems:
        raise DataError(problems)
    frame = raw.copy()
    for column in ("amount_gbp", "amount_gbp_price_year"):
        frame[column] = pd.to_numeric(frame[column].where(frame[column] != ""), errors="coerce").astype(float)
    frame["is_assumption"] = frame["is_assumption"].astype(int)
    for column in UNIT_COST_COLUMNS:
        if column not in ("amount_gbp", "amount_gbp_price_year", "is_assumption"):
            frame[column] = frame[column].astype(str).astype(object)
    return frame
