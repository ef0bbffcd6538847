"""The schemas of the ten case-level tables and of the public tidy frame, registered in
:data:`TABLES` by name. :mod:`innovate.data.schemas` looks them up (``schemas.get``) and
validates, reads and writes with them."""

from __future__ import annotations

from typing import Any

from innovate.config import FOLLOW_UP_MONTHS, NETWORK_NATIONS
from innovate.data.schema_engine import Column, Table
from innovate.data.schema_rules import (
    area_post_monotone,
    events_ordered,
    financial_year,
    first_of_month,
    network_consistent,
    outcomes_empty_iff_unobserved,
    outcomes_monotone,
    outcomes_waves,
    placements_dates,
    public_status,
    survey_answered,
)
from innovate.data.schema_vocab import (
    AREA_MEASURES,
    COST_CATEGORIES,
    COST_ITEMS,
    ENGAGEMENT_LEVELS,
    FRAMEWORKS,
    ORGANISATION_TYPES,
    PARTICIPANT_ROLES,
    PLACEMENT_TYPES,
    PUBLIC_STATUS_CODES,
    SITE_IDS,
    STAFF_ROLES,
    STAGE_EVENT_TYPES,
    STAGES,
)

_SITE = Column("site_id", "str", "Case-study site", allowed=SITE_IDS)
_PERSON = Column("person_id", "str", "Young person's study identifier (pseudonymous)", pattern=r"YP\d{5}")
_STAGE = Column("stage", "str", "Innovation stage (Lefevre, Hampson and Goldsmith 2023)", allowed=STAGES)
_FRAMEWORK = Column("framework", "str", "Practice framework", allowed=FRAMEWORKS)
_LIKERT: dict[str, Any] = dict(
    kind="int", nullable=True, min=1, max=5, unit="1-5 (strongly disagree .. strongly agree)"
)

TABLES: dict[str, Table] = {}


def _register(table: Table) -> Table:
    TABLES[table.name] = table
    return table


_register(
    Table(
        name="area_series",
        file="area_series.csv",
        description="Monthly counts for each site's area and three comparator areas, 2015-2024.",
        columns=(
            _SITE,
            Column(
                "area_code",
                "str",
                "DfE old LA code of the area, 'E12000007' for London, other GSS region codes for "
                "London's comparators, 'S12...' codes for Scottish areas",
                pattern=r"\d{3}|E12\d{6}|S12\d{6}",
            ),
            Column(
                "area_role", "str", "Whether the area is the site's own or a comparator", allowed=("site", "comparator")
            ),
            Column("month", "date", "Calendar month (first day of the month)", min="2015-01-01", max="2024-12-01"),
            Column(
                "measure",
                "str",
                "efr_referrals: referrals with extra-familial risk; missing_episodes: missing-from-home "
                "or care episodes; exploitation_identifications: children identified at risk of sexual or criminal "
                "exploitation",
                allowed=AREA_MEASURES,
            ),
            Column("count", "int", "Number of events in the month", "events per month", min=0, plausible_max=200_000),
            Column(
                "population_0_17",
                "int",
                "Children aged 0-17 in the area (ONS mid-year estimate for the year)",
                "children",
                min=1,
                plausible_max=3_000_000,
            ),
            Column(
                "post", "bool01", "1 from the site's innovation start month on (comparators carry their site's value)"
            ),
        ),
        key=("site_id", "area_code", "measure", "month"),
        checks=(
            ("first-of-month", "month is the first day of a month", first_of_month("month")),
            (
                "post-monotone",
                "post switches on once per series; comparators carry the site's post",
                area_post_monotone,
            ),
        ),
        sort_by=("site_id", "area_role", "area_code", "measure", "month"),
    )
)

_register(
    Table(
        name="young_people",
        file="young_people.csv",
        description="One row per young person in the cohort, with baseline characteristics.",
        columns=(
            _PERSON,
            _SITE,
            Column(
                "arm",
                "str",
                "innovation: worked with under the site's innovation; comparison: usual practice",
                allowed=("innovation", "comparison"),
            ),
            Column("sex", "str", "Sex as recorded", allowed=("female", "male")),
            Column("age_at_baseline", "int", "Age in whole years at baseline", "years", min=10, max=17),
            Column("ethnicity", "str", "Ethnic group (broad)", allowed=("white", "black", "asian", "mixed", "other")),
            Column("looked_after", "bool01", "1 if looked after by the local authority at baseline"),
            Column(
                "prior_missing_episodes",
                "int",
                "Missing episodes in the 6 months before baseline",
                "episodes",
                min=0,
                plausible_max=500,
            ),
            Column(
                "baseline_risk_score",
                "float",
                "Exploitation-risk score at baseline (higher = more risk)",
                "score 0-30",
                min=0,
                max=30,
                decimals=1,
            ),
            Column("baseline_date", "date", "Date of the baseline assessment", min="2015-01-01", max="2030-12-31"),
        ),
        key=("person_id",),
        sort_by=("person_id",),
    )
)

_register(
    Table(
        name="outcomes",
        file="outcomes.csv",
        description="Repeated outcomes: one row per young person and wave (0, 6, 12, 18 months); outcomes empty when lost "
        "to follow-up.",
        columns=(
            _PERSON,
            Column("wave_month", "int", "Months since baseline", "months", min=0, max=FOLLOW_UP_MONTHS),
            Column(
                "observed", "bool01", "1 if seen at this wave; 0 if lost to follow-up (then every outcome is empty)"
            ),
            Column(
                "missing_episodes",
                "int",
                "Missing episodes in the 6 months before the wave",
                "episodes",
                nullable=True,
                min=0,
                plausible_max=500,
            ),
            Column(
                "exploitation_risk_score",
                "float",
                "Exploitation-risk score (higher = more risk)",
                "score 0-30",
                nullable=True,
                min=0,
                max=30,
                decimals=1,
            ),
            Column(
                "swemwbs",
                "float",
                "Short Warwick-Edinburgh Mental Wellbeing Scale, metric score",
                "score 7-35",
                nullable=True,
                min=7,
                max=35,
                decimals=2,
            ),
            Column(
                "school_attendance_pct",
                "float",
                "Attendance as a share of possible sessions in the 6 months before the wave",
                "percent",
                nullable=True,
                min=0,
                max=100,
                decimals=1,
            ),
            Column(
                "placement_moves",
                "int",
                "Placement moves in the 6 months before the wave",
                "moves",
                nullable=True,
                min=0,
                plausible_max=60,
            ),
            Column(
                "justice_contact",
                "bool01",
                "1 if any contact with the youth justice system in the 6 months before the wave",
                nullable=True,
            ),
        ),
        key=("person_id", "wave_month"),
        foreign_keys=((("person_id",), "young_people", ("person_id",)),),
        checks=(
            ("all-waves", "every person has all four waves", outcomes_waves),
            ("empty-iff-unobserved", "outcomes are empty exactly when observed = 0", outcomes_empty_iff_unobserved),
            ("monotone-attrition", "once lost to follow-up, a person stays lost", outcomes_monotone),
        ),
        sort_by=("person_id", "wave_month"),
    )
)

_register(
    Table(
        name="service_activity",
        file="service_activity.csv",
        description="Contact hours by staff role, per young person and month, for 18 months from baseline.",
        columns=(
            _PERSON,
            _SITE,
            Column("month", "date", "Calendar month (first day of the month)", min="2015-01-01", max="2030-12-01"),
            Column("staff_role", "str", "Role of the worker", allowed=STAFF_ROLES),
            Column(
                "contact_hours",
                "float",
                "Hours of direct and case work for the young person in the month",
                "hours",
                min=0,
                max=744,
                decimals=2,
            ),
        ),
        key=("person_id", "month", "staff_role"),
        foreign_keys=((("person_id", "site_id"), "young_people", ("person_id", "site_id")),),
        checks=(("first-of-month", "month is the first day of a month", first_of_month("month")),),
        sort_by=("person_id", "month", "staff_role"),
    )
)

_register(
    Table(
        name="placements",
        file="placements.csv",
        description="Care placements of young people in the cohort, with dates.",
        columns=(
            Column("placement_id", "str", "Placement identifier", pattern=r"PL\d{6}"),
            _PERSON,
            _SITE,
            Column("placement_type", "str", "Type of placement", allowed=PLACEMENT_TYPES),
            Column("start_date", "date", "First day of the placement", min="2005-01-01", max="2030-12-31"),
            Column(
                "end_date",
                "date",
                "Last day of the placement (or of the observation period)",
                min="2005-01-01",
                max="2030-12-31",
            ),
        ),
        key=("placement_id",),
        foreign_keys=((("person_id", "site_id"), "young_people", ("person_id", "site_id")),),
        checks=(("date-order", "end_date is not before start_date", placements_dates),),
        sort_by=("placement_id",),
    )
)

_register(
    Table(
        name="innovation_costs",
        file="innovation_costs.csv",
        description="Start-up and running costs of each site's innovation by financial year, cash prices of that year.",
        columns=(
            _SITE,
            Column("financial_year", "str", "Financial year April-March, e.g. 2019-20", pattern=r"\d{4}-\d{2}"),
            Column(
                "cost_category",
                "str",
                "start_up: one-off costs of setting up; running: recurrent costs",
                allowed=COST_CATEGORIES,
            ),
            Column("item", "str", "What the money paid for", allowed=COST_ITEMS),
            Column(
                "amount_gbp",
                "float",
                "Amount spent",
                "GBP, cash prices of the financial year",
                min=0,
                plausible_max=50_000_000,
                decimals=2,
            ),
        ),
        key=("site_id", "financial_year", "cost_category", "item"),
        checks=(("financial-year", "financial years look like 2019-20", financial_year),),
        sort_by=("site_id", "financial_year", "cost_category", "item"),
    )
)

_register(
    Table(
        name="stage_events",
        file="stage_events.csv",
        description="Dated events in each site's innovation journey through the six stages.",
        columns=(
            Column("event_id", "str", "Event identifier", pattern=r"EV\d{4}"),
            _SITE,
            Column("event_date", "date", "Date of the event", min="2010-01-01", max="2030-12-31"),
            Column("stage", "str", "Stage entered, stalled in, restarted or regressed to", allowed=STAGES),
            Column(
                "event_type",
                "str",
                "enter: moved into the stage; stall: progress stopped; restart: progress resumed; "
                "regress: fell back to the (earlier) stage",
                allowed=STAGE_EVENT_TYPES,
            ),
        ),
        key=("event_id",),
        checks=(("date-order", "per site, events are in date order", events_ordered),),
        sort_by=("event_id",),
    )
)

_register(
    Table(
        name="coded_segments",
        file="coded_segments.csv",
        description="Coded segments of interviews and focus groups (codes only; no text of speech).",
        columns=(
            Column("segment_id", "str", "Segment identifier", pattern=r"SG\d{5}"),
            _SITE,
            Column("wave", "int", "Fieldwork wave (one a year)", min=1, max=4),
            Column("participant_role", "str", "Who was speaking", allowed=PARTICIPANT_ROLES),
            _STAGE,
            Column("code", "str", "Code from the codebook (data/reference/codebook.csv)", pattern=r"[a-z0-9_]+"),
            Column(
                "domain",
                "str",
                "Whether the segment describes a facilitator or a barrier",
                allowed=("facilitator", "barrier"),
            ),
        ),
        key=("segment_id",),
        sort_by=("segment_id",),
    )
)

_register(
    Table(
        name="experience_survey",
        file="experience_survey.csv",
        description="Young people's and parents' or carers' experience survey, items on a 1-5 agreement scale.",
        columns=(
            Column("respondent_id", "str", "Respondent identifier", pattern=r"R\d{5}"),
            _SITE,
            Column("respondent_type", "str", "Who answered", allowed=("young_person", "parent_carer")),
            Column("wave", "int", "Survey wave", min=1, max=2),
            Column("listened_to", description="I felt listened to", **_LIKERT),
            Column("trusted_worker", description="I trusted my worker", **_LIKERT),
            Column("felt_safer", description="I (or my child) felt safer", **_LIKERT),
            Column(
                "partner_in_decisions", description="I was a partner in decisions about me (or my child)", **_LIKERT
            ),
            Column("help_fitted_needs", description="The help fitted my (or my child's) needs", **_LIKERT),
            Column("overall_experience", description="Overall, my experience was good", **_LIKERT),
        ),
        key=("respondent_id",),
        checks=(("empty-response", "at least one item is answered", survey_answered),),
        sort_by=("respondent_id",),
    )
)

_register(
    Table(
        name="network_survey",
        file="network_survey.csv",
        description="Learning-network survey: organisations' engagement with each framework they know.",
        columns=(
            Column("organisation_id", "str", "Organisation identifier", pattern=r"ORG\d{4}"),
            Column("nation", "str", "Where the organisation works", allowed=NETWORK_NATIONS),
            Column("organisation_type", "str", "Kind of organisation", allowed=ORGANISATION_TYPES),
            _FRAMEWORK,
            Column(
                "engagement",
                "str",
                "Circle of engagement: aware < exploring < adopting < embedded",
                allowed=ENGAGEMENT_LEVELS,
            ),
            Column(
                "perceived_transferability",
                "int",
                "How transferable the framework seems to the organisation's context",
                "1-5 (not at all .. very)",
                min=1,
                max=5,
            ),
            Column(
                "years_since_first_contact",
                "float",
                "Years since the organisation first engaged with the framework",
                "years",
                min=0,
                max=30,
                decimals=1,
            ),
        ),
        key=("organisation_id", "framework"),
        checks=(("consistent-organisation", "one nation and type per organisation", network_consistent),),
        sort_by=("organisation_id", "framework"),
    )
)

_register(
    Table(
        name="public_tidy",
        file="(public tidy frame)",
        description="The tidy long frame every innovate.data.public loader returns (real DfE / ONS statistics).",
        columns=(
            Column("area_code", "str", "DfE old LA code for local authorities; GSS code for regions and England"),
            Column(
                "new_la_code",
                "str",
                "Current GSS code of a local authority; empty for regions and England",
                nullable=True,
            ),
            Column("area_name", "str", "Area name as published"),
            Column("level", "str", "Geographic level", allowed=("National", "Regional", "Local authority")),
            Column("year", "int", "Year (for DfE statistics, the year ending 31 March)", min=1990, max=2100),
            Column("measure", "str", "What is counted"),
            Column("value", "float", "The published number; empty where the source withholds it", nullable=True),
            Column(
                "status",
                "str",
                "'' for a published number, else the DfE status code (c, x, z, u, k, ...)",
                nullable=True,
                allowed=PUBLIC_STATUS_CODES,
            ),
        ),
        key=("area_code", "level", "measure", "year"),
        checks=(("status-value", "a value is missing exactly when a status code says why", public_status),),
    )
)

#: The ten case-level tables in the order a folder is checked (parents before children).
CASE_TABLES: tuple[str, ...] = (
    "area_series",
    "young_people",
    "outcomes",
    "service_activity",
    "placements",
    "innovation_costs",
    "stage_events",
    "coded_segments",
    "experience_survey",
    "network_survey",
)
MANIFEST_FILE = "manifest.json"
