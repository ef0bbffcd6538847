"""The numbers the survey chapters' prose reads, one :class:`~innovate.show.glue.Numbers` per section.

The experiences chapter glues them under ``exp_`` and the learning-network chapter under
``circles_`` (``glue_numbers("exp_", survey_numbers.experience_sample(survey, 5))``). Shares
are per cent, at the decimals the prose prints.
"""

from __future__ import annotations

import pandas as pd

from innovate.data.sites import FRAMEWORK_LABELS
from innovate.errors import require_table
from innovate.show import text
from innovate.show.glue import Numbers
from innovate.study import surveys

#: The statement the partnership model compares every other statement with.
PARTNER_ITEM = "partner_in_decisions"


def partnership_item_terms() -> list[str]:
    """The model terms of the statements other than 'I was a partner in decisions' (its reference)."""
    return [f"item[{i}]" for i in surveys.ITEMS if i != PARTNER_ITEM]


def _terms(odds_ratios: pd.DataFrame, terms, what: str) -> pd.DataFrame:
    missing = [t for t in terms if t not in odds_ratios.index]
    if missing:
        raise ValueError(f"{what}: the model has no term {', '.join(missing)}")
    return odds_ratios.loc[list(terms)]


# ---------------------------------------------------------------------------------------
# Experiences of young people and parents or carers (prefix exp_)
# ---------------------------------------------------------------------------------------
def experience_sample(survey: pd.DataFrame, threshold: int) -> Numbers:
    """Who answered: respondents, the share who are young people, the share of answers missing."""
    require_table(survey, ["respondent_type", *surveys.ITEMS], "experience survey")
    answered = survey[list(surveys.ITEMS)].notna().to_numpy()
    return Numbers(
        {
            "threshold": int(threshold),
            "n_respondents": len(survey),
            "yp_pct": float(100 * (survey["respondent_type"] == "young_person").mean()),
            "item_missing_pct": float(100 * (1 - answered.mean())),
        },
        digits={"yp_pct": 0, "item_missing_pct": 1},
    )


def experience_agreement(by_site: pd.DataFrame, by_framework: pd.DataFrame) -> Numbers:
    """The statements agreed with least and most (mean over sites) and the widest gaps
    between sites and between frameworks, in percentage points."""
    require_table(by_site, ["item", "probability"], "agreement by site")
    require_table(by_framework, ["item", "probability"], "agreement by framework")
    overall = by_site.groupby("item")["probability"].mean()
    spread = by_site.groupby("item")["probability"].agg(lambda p: 100 * (p.max() - p.min()))
    fw_spread = by_framework.groupby("item")["probability"].agg(lambda p: 100 * (p.max() - p.min()))
    return Numbers(
        {
            "lowest_item": surveys.ITEM_LABELS[overall.idxmin()],
            "lowest_item_pct": float(100 * overall.min()),
            "highest_item": surveys.ITEM_LABELS[overall.idxmax()],
            "highest_item_pct": float(100 * overall.max()),
            "site_spread_max": float(spread.max()),
            "site_spread_item": surveys.ITEM_LABELS[spread.idxmax()],
            "framework_spread_max": float(fw_spread.max()),
        },
        digits={"lowest_item_pct": 0, "highest_item_pct": 0, "site_spread_max": 0, "framework_spread_max": 0},
    )


def experience_partnership(partner, by_type: pd.DataFrame) -> Numbers:
    """'I was a partner in decisions' against the other statements (``partner``: the
    :func:`innovate.study.surveys.partnership_fit`) and its standardised agreement by
    respondent type (``by_type``: :func:`innovate.study.surveys.partnership_by_type`)."""
    require_table(by_type, ["respondent_type", "probability"], "partnership by respondent type")
    ors = partner.odds_ratios().set_index("term")
    items = _terms(ors, partnership_item_terms(), "partnership model")
    young = _terms(ors, ["respondent_type[young_person]"], "partnership model")
    n_higher = int((items["lower"] > 1).sum())
    yp = by_type.loc[by_type["respondent_type"] == "young_person", "probability"]
    pc = by_type.loc[by_type["respondent_type"] == "parent_carer", "probability"]
    if yp.empty or pc.empty:
        raise ValueError("partnership by respondent type: needs rows for young people and for parents or carers")
    pct = ("yp_min", "yp_max", "pc_min", "pc_max")
    ratios = ("or_min", "or_max", "yp_or")
    return Numbers(
        {
            "n_higher": n_higher,
            "n_items": len(items),
            "higher_text": text.of_total(n_higher, len(items), "other statement"),  # 'all 5 other statements'
            "missing_text": text.plural(partner.n_missing, "statement"),  # '1 statement'
            "or_min": float(items["odds_ratio"].min()),
            "or_max": float(items["odds_ratio"].max()),
            "yp_or": float(young["odds_ratio"].iloc[0]),
            "n_used": int(partner.n_used),
            "n_missing": int(partner.n_missing),
            "yp_min": float(100 * yp.min()),
            "yp_max": float(100 * yp.max()),
            "pc_min": float(100 * pc.min()),
            "pc_max": float(100 * pc.max()),
        },
        digits={**dict.fromkeys(pct, 0), **dict.fromkeys(ratios, 2)},
    )


# ---------------------------------------------------------------------------------------
# Circles of engagement: the learning-network survey (prefix circles_)
# ---------------------------------------------------------------------------------------
def circles_sample(network: pd.DataFrame) -> Numbers:
    """Who answered: organisations, rows (organisation and framework), nations, and the
    share of organisations engaged with more than one framework."""
    require_table(network, ["organisation_id", "nation"], "network survey")
    per_org = network.groupby("organisation_id").size()
    return Numbers(
        {
            "n_orgs": network["organisation_id"].nunique(),
            "n_rows": len(network),
            "n_nations": network["nation"].nunique(),
            "multi_pct": float(100 * (per_org > 1).mean()),
        },
        digits={"multi_pct": 0},
    )


def circles_adoption(adoption, predicted: pd.DataFrame) -> Numbers:
    """The adoption model (:func:`innovate.study.surveys.adoption_fit`): the odds ratio per
    year since first contact, how many nations differ clearly from the reference, and the
    range of the standardised share adopting or embedded (``predicted``)."""
    require_table(predicted, ["probability"], "predicted adoption")
    ors = adoption.odds_ratios().set_index("term")
    years = _terms(ors, ["years_since_first_contact"], "adoption model").iloc[0]
    nations = ors[ors.index.str.startswith("nation[")]
    if nations.empty:
        raise ValueError("adoption model: no nation terms")
    n_clear = int(((nations["lower"] > 1) | (nations["upper"] < 1)).sum())
    return Numbers(
        {
            "years_or": float(years["odds_ratio"]),
            "years_lo": float(years["lower"]),
            "years_hi": float(years["upper"]),
            "n_nation_clear": n_clear,
            "n_nation_terms": len(nations),
            "nations_clear": text.of_total(n_clear, len(nations), "nation"),  # 'none of the 4 nations'
            "adopt_min": float(100 * predicted["probability"].min()),
            "adopt_max": float(100 * predicted["probability"].max()),
        },
        digits={"years_or": 2, "years_lo": 2, "years_hi": 2, "adopt_min": 0, "adopt_max": 0},
    )


def circles_transfer(transfer, predicted: pd.DataFrame) -> Numbers:
    """The transferability model (:func:`innovate.study.surveys.transferability_fit`): the
    odds ratio for embedded against aware, and the frameworks rated most and least
    transferable (standardised share rating 4 or 5, mean over nations; ``predicted``)."""
    require_table(predicted, ["framework", "probability"], "predicted transferability")
    ors = transfer.odds_ratios().set_index("term")
    embedded = _terms(ors, ["engagement[embedded]"], "transferability model").iloc[0]
    by_fw = predicted.groupby("framework")["probability"].mean()
    return Numbers(
        {
            "embedded_or": float(embedded["odds_ratio"]),
            "embedded_lo": float(embedded["lower"]),
            "embedded_hi": float(embedded["upper"]),
            "transfer_high_fw": FRAMEWORK_LABELS[by_fw.idxmax()],
            "transfer_high_pct": float(100 * by_fw.max()),
            "transfer_low_fw": FRAMEWORK_LABELS[by_fw.idxmin()],
            "transfer_low_pct": float(100 * by_fw.min()),
        },
        digits={"embedded_or": 1, "embedded_lo": 1, "embedded_hi": 1, "transfer_high_pct": 0, "transfer_low_pct": 0},
    )
