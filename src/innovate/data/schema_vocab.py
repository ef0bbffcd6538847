"""The vocabularies of the case-level data contract: the values a column of the ten case
tables may take. Re-exported by :mod:`innovate.data.schemas`, where callers find them."""

from __future__ import annotations

from innovate.data import public, sites

#: The six case-study sites (from the site register) and the framework each operationalised.
SITE_IDS: tuple[str, ...] = sites.SITE_IDS
FRAMEWORKS: tuple[str, ...] = tuple(sites.FRAMEWORKS)
SITE_FRAMEWORKS: dict[str, str] = {s: f for f, pair in sites.FRAMEWORKS.items() for s in pair}
AREA_MEASURES: tuple[str, ...] = ("efr_referrals", "missing_episodes", "exploitation_identifications")
STAGES: tuple[str, ...] = ("mobilising", "designing", "developing", "integrating", "growing", "system_change")
STAGE_EVENT_TYPES: tuple[str, ...] = ("enter", "stall", "restart", "regress")
STAFF_ROLES: tuple[str, ...] = (
    "social_worker",
    "senior_practitioner",
    "youth_worker",
    "specialist_exploitation_worker",
    "family_support_worker",
    "team_manager",
)
PLACEMENT_TYPES: tuple[str, ...] = ("residential", "fostering", "secure", "supported_accommodation")
COST_CATEGORIES: tuple[str, ...] = ("start_up", "running")
COST_ITEMS: tuple[str, ...] = (
    "training",
    "practice_development",
    "project_management",
    "additional_staff",
    "partnership_work",
    "evaluation_and_data",
)
PARTICIPANT_ROLES: tuple[str, ...] = (
    "young_person",
    "parent_carer",
    "practitioner",
    "manager",
    "senior_leader",
    "partner_agency",
)
SURVEY_ITEMS: tuple[str, ...] = (
    "listened_to",
    "trusted_worker",
    "felt_safer",
    "partner_in_decisions",
    "help_fitted_needs",
    "overall_experience",
)
ORGANISATION_TYPES: tuple[str, ...] = (
    "local_authority",
    "voluntary_sector",
    "health",
    "police",
    "education",
    "other",
)
ENGAGEMENT_LEVELS: tuple[str, ...] = ("aware", "exploring", "adopting", "embedded")
OUTCOME_MEASURES: tuple[str, ...] = (
    "missing_episodes",
    "exploitation_risk_score",
    "swemwbs",
    "school_attendance_pct",
    "placement_moves",
    "justice_contact",
)
#: Status codes allowed in the public tidy frames ('' = a published number): the DfE and ONS
#: codes plus the codes the book assigns (innovate.data.public is the single truth for both).
PUBLIC_STATUS_CODES: tuple[str, ...] = tuple(dict.fromkeys(["", *public.STATUS_CODES, *public.BOOK_STATUS_CODES]))
