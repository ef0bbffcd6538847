"""The study's fixed settings, each defined once: seeds, codes, follow-up, nations, price year.

Every layer may import this module (it sits with :mod:`innovate.errors` at the bottom of
the package) and it imports nothing of the package, so a setting changed here changes
everywhere. Modules import the names they use (``from innovate.config import SEED``), so
``innovate.econ.prices.PRICE_YEAR`` and the like still read the one value.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------

#: The book's seed: the committed synthetic data set (data/synthetic/), multiple
#: imputations, the simulation study and the ordinal models' simulation draws.
SEED = 20240601
#: Seed of the stratified bootstrap when a caller gives none (innovate.stats.bootstrap).
BOOTSTRAP_SEED = 20240501
#: Seed of the Callaway-Sant'Anna multiplier bootstrap (the staggered-adoption analysis).
DID_BOOTSTRAP_SEED = 20240401
#: Seed of the cost-effectiveness bootstraps and the probabilistic sensitivity analysis.
COSTS_SEED = 20250501

# ---------------------------------------------------------------------------------------
# Places
# ---------------------------------------------------------------------------------------

#: GSS code of England (the national rows of the DfE and ONS files).
ENGLAND_CODE = "E92000001"
#: The four nations of the UK, in the order the book lists them.
NATIONS: tuple[str, ...] = ("England", "Scotland", "Wales", "Northern Ireland")
#: Where a learning-network survey respondent works: a UK nation or overseas.
NETWORK_NATIONS: tuple[str, ...] = (*NATIONS, "Overseas")

# ---------------------------------------------------------------------------------------
# Follow-up and prices
# ---------------------------------------------------------------------------------------

#: Months after baseline at which the cohort's outcomes are recorded (the waves).
WAVE_MONTHS: tuple[int, ...] = (0, 6, 12, 18)
#: Follow-up of the cohort in months (the last wave).
FOLLOW_UP_MONTHS: int = WAVE_MONTHS[-1]
#: The one price year every amount is converted to (HM Treasury financial year).
PRICE_YEAR = "2024-25"
