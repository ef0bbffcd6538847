"""The numbers the data appendix and the ITS validation appendix read, one
:class:`~innovate.show.glue.Numbers` per section.

The data appendix glues them under ``data_``, the ITS validation under ``sicily_``. Counts
that open a clause also come as text with the noun and verb in agreement for every value
('1 file is shipped', '25 files are shipped', 'none of them is read'), so the prose never
reads '1 files' or 'All 1 entries'.
"""

from __future__ import annotations

import math

import pandas as pd

from innovate.econ import prices
from innovate.errors import require_columns
from innovate.show import text
from innovate.show.glue import Numbers
from innovate.show.text import agreeing, counted, of_them

#: The worked example of the prices section: this many pounds in this financial year.
DEFLATOR_EXAMPLE = (1000, "2019-20")


# ---------------------------------------------------------------------------------------
# The data appendix (prefix data_)
# ---------------------------------------------------------------------------------------
def public_files(provenance: pd.DataFrame) -> Numbers:
    """The shipped public files (:func:`innovate.data.checksums.provenance`): files, folders
    and how many a loader reads (a file with no loader is kept for reference)."""
    require_columns(provenance, ["folder", "loader"], "provenance")
    n, folders = len(provenance), int(provenance["folder"].nunique())
    read = int((provenance["loader"] != "").sum())
    return Numbers(
        {
            "public_files": n,
            "public_folders": folders,
            "public_files_read": read,
            "public_shipped_text": f"{counted(n, 'file', 'files', 'is', 'are')} shipped in {text.plural(folders, 'folder')}",
            "public_read_text": of_them(read, n, "is read", "are read", "is not read"),
            "public_files_text": text.plural(n, "verbatim or subset file"),
        }
    )


def checksums_checked(sums: pd.DataFrame) -> Numbers:
    """The checksums recomputed at build time (:func:`innovate.data.checksums.verify_checksums`)."""
    require_columns(sums, ["ok"], "checksums")
    total, ok = len(sums), int(sums["ok"].sum())
    checked = {0: "No entry was checked", 1: "The one entry was checked"}.get(
        total, f"All {total:,} entries were checked"
    )
    return Numbers(
        {
            "checksums_total": total,
            "checksums_ok": ok,
            "checksums_checked_text": checked,
            "checksums_ok_text": agreeing(ok, "matches", "match"),
        }
    )


def rate_rule(check: dict, smallest_count: int) -> Numbers:
    """DfE's rate rule against its published rates (:func:`innovate.data.checksums.rate_rule_check`)
    and the smallest count printed where ``x`` marks withheld values."""
    missing = [k for k in ("matched", "compared", "years") if k not in check]
    if missing:
        raise ValueError(f"rate rule check: missing {', '.join(missing)}")
    return Numbers(
        {
            "sfr_smallest_count": int(smallest_count),
            "rates_matched": int(check["matched"]),
            "rates_matched_text": text.of_total(check["matched"], check["compared"], "local authority rate"),
            "rates_compared": int(check["compared"]),
            "rates_years": check["years"],
        }
    )


def missing_releases(stitch: pd.DataFrame, release: str = "CLA 2022 release") -> Numbers:
    """Of the values ``release`` gave that a later release superseded: how many were revised
    and how many belong to areas the later release no longer carries
    (:func:`innovate.data.checksums.missing_release_summary`)."""
    columns = ["superseded values revised later", "superseded values absent later"]
    require_columns(stitch, ["release", *columns], "missing-from-care releases")
    rows = stitch[stitch["release"] == release]
    if len(rows) != 1:
        raise ValueError(f"missing-from-care releases: {len(rows)} rows for release {release!r}, expected 1")
    revised, absent = (int(rows[c].iloc[0]) for c in columns)
    return Numbers(
        {
            "missing_revised": revised,
            "missing_absent": absent,
            "missing_revised_text": agreeing(revised, "was", "were"),
            "missing_absent_text": agreeing(absent, "belongs", "belong"),
        }
    )


def deflator_example(deflators: pd.DataFrame) -> Numbers:
    """The deflators' reference year (index 100), the first forecast-based year, and
    :data:`DEFLATOR_EXAMPLE` in reference-year prices."""
    require_columns(deflators, ["gdp_deflator", "fiscal_year", "is_forecast"], "GDP deflators")
    base = deflators.loc[deflators["gdp_deflator"] == 100, "fiscal_year"]
    if len(base) != 1:
        raise ValueError(f"GDP deflators: {len(base)} years at index 100, expected 1 reference year")
    forecast = deflators.loc[deflators["is_forecast"].astype(bool), "fiscal_year"]
    if forecast.empty:
        raise ValueError("GDP deflators: no forecast-based year")
    cash, year = DEFLATOR_EXAMPLE
    return Numbers(
        {
            "deflator_base": base.item(),
            "deflator_first_forecast": forecast.iloc[0],
            "deflator_example_year": year,
            "deflator_example_cash": cash,
            "deflator_example_real": float(prices.to_price_year(cash, year, base.item(), table=deflators)),
        },
        digits={"deflator_example_real": 0},
    )


def site_register(register: pd.DataFrame) -> Numbers:
    """The site register: sites, and those whose start date is a stated assumption."""
    require_columns(register, ["start_is_assumption"], "site register")
    assumed = int(register["start_is_assumption"].sum())
    return Numbers(
        {
            "sites": len(register),
            "sites_assumed": assumed,
            "sites_assumed_text": text.of_total(assumed, len(register), "site"),
        }
    )


def case_data_documents(codebook: pd.DataFrame, manifest: dict, dictionary: pd.DataFrame) -> Numbers:
    """The codebook's codes, the synthetic data's generator version and seed, and the data
    dictionary's tables and columns."""
    require_columns(dictionary, ["table"], "data dictionary")
    missing = [k for k in ("generator_version", "seed") if k not in manifest]
    if missing:
        raise ValueError(f"synthetic data manifest: missing {', '.join(missing)}")
    return Numbers(
        {
            "codes": len(codebook),
            "codes_text": text.plural(len(codebook), "code"),
            "synthetic_version": manifest["generator_version"],
            "synthetic_seed": manifest["seed"],
            "dictionary_tables": int(dictionary["table"].nunique()),
            "dictionary_columns": len(dictionary),
        }
    )


def validation_report(report) -> Numbers:
    """What the validator found in the case-level folder (:class:`innovate.data.validate.Report`)."""
    files, rows, problems = len(report.rows), sum(report.rows.values()), len(report.problems)
    return Numbers(
        {
            "validated_files": files,
            "validated_rows": rows,
            "validated_problems": problems,
            "validated_files_text": text.plural(files, "file"),
            "validated_rows_text": text.plural(rows, "row"),
            "validated_problems_text": text.plural(problems, "problem"),
        }
    )


# ---------------------------------------------------------------------------------------
# The ITS validation on the Sicily data (prefix sicily_)
# ---------------------------------------------------------------------------------------
def sicily_reproduction(table: pd.DataFrame) -> Numbers:
    """The tutorial's reference values against the book's (:func:`innovate.study.its_validation.sicily_reproduction`):
    how many agree, model 4's step change as listed, reproduced and re-run in R, and the
    decimal places to which every value agrees with the R re-run."""
    require_columns(
        table,
        ["model", "term", "quantity", "published", "reproduced", "r_rerun", "r_difference", "agrees"],
        "Sicily table",
    )
    rows = table[(table["model"] == 4) & (table["term"] == "level") & (table["quantity"] == "estimate")]
    if len(rows) != 1:
        raise ValueError(f"Sicily table: {len(rows)} rows for model 4's step change, expected 1")
    model4 = rows.iloc[0]
    worst = float(table["r_difference"].max())
    if not worst > 0:
        raise ValueError("Sicily table: the R re-run agrees exactly, so 'agrees to N decimal places' has no N")
    reproduced = float(model4["reproduced"])
    return Numbers(
        {
            "n_values": len(table),
            "n_agree": int(table["agrees"].sum()),
            "m4_published": float(model4["published"]),
            "m4_reproduced": reproduced,
            "m4_r": float(model4["r_rerun"]),
            "m4_3dp": reproduced,
            "m4_4dp": reproduced,
            "r_places": math.floor(-math.log10(worst)),
        },
        digits={"m4_published": 3, "m4_reproduced": 6, "m4_r": 6, "m4_3dp": 3, "m4_4dp": 4},
    )


def sicily_diagnostics(model3, model4) -> Numbers:
    """Model 4's test of a change in slope and Pearson scale; model 3's residual autocorrelation tests."""
    d3, d4 = model3.diagnostics, model4.diagnostics
    return Numbers(
        {
            "m4_f": float(d4["slope_test_stat"]),
            "m4_f_p": float(d4["slope_test_p"]),
            "m4_scale": float(model4.scale),
            "m3_lb_p": float(d3["ljung_box_p"]),
            "m3_lb_lags": int(d3["ljung_box_lags"]),
            "m3_bg_p": float(d3["breusch_godfrey_p"]),
            "m3_dw": float(d3["durbin_watson"]),
        },
        digits={"m4_f": 3, "m4_f_p": 3, "m4_scale": 3, "m3_lb_p": 3, "m3_bg_p": 3, "m3_dw": 2},
    )


def sicily_variants(step_changes: pd.Series) -> Numbers:
    """The range of model 4's step change (rate ratio) across error models."""
    if step_changes.empty:
        raise ValueError("Sicily variants: no models")
    return Numbers(
        {"variants_min": float(step_changes.min()), "variants_max": float(step_changes.max())},
        digits={"variants_min": 3, "variants_max": 3},
    )
