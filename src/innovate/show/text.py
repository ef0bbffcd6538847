"""Numbers in words for prose: p-values and heterogeneity."""

from __future__ import annotations

import numpy as np


def format_p(p: float, prefix: bool = True) -> str:
    """A p-value, the book's one format: two significant figures at most three decimals
    ('p = 0.016', 'p = 0.10') or 'p < 0.001'. ``prefix=False`` drops the 'p ' for a
    table column headed p ('0.016', '0.10', '<0.001')."""
    if not np.isfinite(p):
        raise ValueError("p-value is not finite")
    if p < 0.001:
        return "p < 0.001" if prefix else "<0.001"
    value = f"{p:.2f}" if p >= 0.1 else f"{p:.3f}"
    return f"p = {value}" if prefix else value


def heterogeneity_words(i2_pct: float) -> str:
    """A plain description of I-squared (per cent) for prose, using the conventional
    rough bands: below 25 little, 25 to 50 moderate, 50 and above marked."""
    if i2_pct < 25:
        return "little difference between the sites beyond chance"
    if i2_pct < 50:
        return "moderate differences between the sites"
    return "marked differences between the sites"
