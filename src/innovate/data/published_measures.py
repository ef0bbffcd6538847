"""The published series a chapter quotes for a site's area, with their units: one
definition for the framework chapters' side-by-side table and for the estimand keys of
published statistics (:func:`innovate.study.estimands.public_key`)."""

from __future__ import annotations

#: id -> (readable name, unit, decimals shown). Rates of the English factors are per 10,000
#: children aged 0-17 in the year ending March.
PUBLISHED_MEASURES: dict[str, tuple[str, str, int]] = {
    "child_sexual_exploitation": ("Child sexual exploitation identified at assessment", "per 10,000 children", 1),
    "child_criminal_exploitation": ("Child criminal exploitation identified at assessment", "per 10,000 children", 1),
    "going_missing": ("Going missing identified at assessment", "per 10,000 children", 1),
    "gangs": ("Gangs identified at assessment", "per 10,000 children", 1),
    "trafficking": ("Trafficking identified at assessment", "per 10,000 children", 1),
    "children_missing": ("Looked-after children who went missing", "per 10,000 children", 1),
    "looked_after": ("Children looked after", "per 10,000 children aged 0-17", 0),
    "spend": ("Section 251 spend on children's and young people's services", "GBP per child, 2024-25 prices", 0),
    "register": ("Children on the child protection register", "per 1,000 children aged 0-15", 1),
    "placements": ("Looked-after children with more than one placement in the year", "% of looked-after children", 1),
    "population_change": ("Change in the number of children aged 0-17", "% change", 1),
}
