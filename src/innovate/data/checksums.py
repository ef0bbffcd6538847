"""Provenance and checksums of the shipped public statistics, and the data appendix's tables about them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from innovate.data.deflators import ons_gdp_deflator
from innovate.data.missing import MISSING_RELEASES, missing_releases
from innovate.data.paths import public_dir
from innovate.data.public import (
    ASSESSMENT_FACTORS_FILE,
    BOOK_STATUS_CODES,
    CIN_FILE,
    CLA_RATES_FILE,
    DEFLATORS,
    GOODAIR,
    HMT_DEFLATORS_FILE,
    KNOWN_GAPS,
    LAIT,
    LAIT_DICTIONARY_FILE,
    LAIT_FILE,
    LEVELS,
    LTLA_UTLA_FILE,
    ONS_DEFLATOR_FILE,
    OUTCOMES_ENABLERS,
    POPULATION_FILE,
    REFERRALS_FILE,
    SN_2021_FILE,
    SN_2025_FILE,
    STATUS_CODES,
    _path,
    _relative,
    code_lookup,
    looked_after_rates,
    rate_per_10k,
    statistical_neighbour_table,
)
from innovate.errors import DataError, Problem

# --- provenance and checksums -------------------------------------------------------------

#: Where each folder of data/public came from (as recorded in data/public/README.md).
PROVENANCE: dict[str, dict[str, str]] = {
    OUTCOMES_ENABLERS: {
        "publisher": "Department for Education (with ONS populations and lookups)",
        "repository": "dfe-analytical-services/CSC_outcomes_and_enablers (data-raw/)",
        "commit": "2f5d11a431050523dab58810083259d3313029ae",
        "licence": "Open Government Licence v3.0",
        "changes": "none (verbatim downloads)",
    },
    GOODAIR: {
        "publisher": "Department for Education",
        "repository": "BenGoodair/childrens_social_care_data (Raw_Data/)",
        "commit": "ca4389abf37edc6531b03995b1d30be0e1a37807",
        "licence": "Open Government Licence v3.0",
        "changes": "renamed only",
    },
    LAIT: {
        "publisher": "Department for Education (LAIT)",
        "repository": "dfe-analytical-services/local-authority-interactive-tool (01_data/02_prod/bds_long_0.parquet)",
        "commit": "2e30e3959a6ab8b2d22941b84764da41a40ac91b",
        "licence": "Open Government Licence v3.0",
        "changes": "42 indicators kept, values unchanged",
    },
    DEFLATORS: {
        "publisher": "HM Treasury; Office for National Statistics",
        "repository": "ncl-icb-analytics/dbt-ncl-analytics (seeds/uk_cost_indices.csv); "
        "Defra-Data-Science-Centre-of-Excellence/DefraUtils (data-raw/gdp_deflators.csv)",
        "commit": "213ca0542d527cc1d0c4e4fe2a5877bd8049a6ca; 8a30bcaba1b40964a4225fc1cfb2746187728610",
        "licence": "Open Government Licence v3.0",
        "changes": "none",
    },
    # North Lanarkshire's chapter: four files of the project's Scottish collection, copied unchanged
    # (their own provenance, per file, is in data/public/scotland/README.md)
    "scotland": {
        "publisher": "Scottish Government via Public Health Scotland (ScotPHO); National Records of Scotland; "
        "Improvement Service (LGBF)",
        "repository": "humaniverse/healthindexscotland (data-raw/healthy-lives/data/scotpho_data.csv); "
        "ScotGovAnalysis/population_estimates; JJCoen/Vax-Scotland; clarabrigitta/rsv_disruption; "
        "Improvement-Service/LGBF_Analysis (data/data-Jan22.rds)",
        "commit": "71b73dd2f81e64342a580b8aa89cf7cd730771f5; fe285fa168307c8865537335ccc5134495e1c2f1; "
        "887aea537e7d40df1850b687abf86ad58290f692; a9aee709702a6e5fb77e73ee460110e76553bd34; "
        "8b78b630c60dcbaf57ea66f034d0bbf1a37993e9",
        "licence": "Open Government Licence v3.0 (ScotPHO, NRS); the LGBF file's licence is not stated",
        "changes": "rows kept and reshaped to long; council codes recoded to 2019 codes; populations summed by age",
    },
}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path | None = None) -> pd.DataFrame:
    """Every entry of every ``SHA256SUMS`` under data/public, recomputed.

    Columns ``folder``, ``file``, ``bytes``, ``expected``, ``actual``, ``ok``; plus rows
    with ``expected`` '' for data files present in a folder but not listed (``ok`` False).
    """
    root = folder or public_dir()
    rows = []
    for sums in sorted(root.glob("*/SHA256SUMS")):
        listed = set()
        for line_no, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or not re.fullmatch(r"[0-9a-f]{64}", parts[0]):
                raise DataError(
                    [
                        Problem(
                            _relative(sums), "checksum-format", "expected '<sha256>  <file>'", row=line_no, value=line
                        )
                    ]
                )
            expected, name = parts[0], parts[1].strip().lstrip("*")
            listed.add(name)
            path = sums.parent / name
            actual = sha256(path) if path.exists() else ""
            rows.append(
                (
                    sums.parent.name,
                    name,
                    path.stat().st_size if path.exists() else 0,
                    expected,
                    actual,
                    actual == expected,
                )
            )
        for path in sorted(sums.parent.iterdir()):
            if path.is_file() and path.name != "SHA256SUMS" and path.name not in listed:
                rows.append((sums.parent.name, path.name, path.stat().st_size, "", sha256(path), False))
    return pd.DataFrame(rows, columns=["folder", "file", "bytes", "expected", "actual", "ok"])


def verify_checksums(folder: Path | None = None) -> pd.DataFrame:
    """``checksums()``, raising ``DataError`` naming each file whose checksum does not match."""
    table = checksums(folder)
    bad = table[~table["ok"]]
    if not bad.empty:
        raise DataError(
            [
                Problem(
                    f"data/public/{r.folder}/{r.file}",
                    "checksum",
                    "file not listed in SHA256SUMS" if not r.expected else "SHA-256 differs from SHA256SUMS",
                    value=r.actual[:12],
                )
                for r in bad.itertuples()
            ]
        )
    return table


#: What each shipped file holds (from data/public/README.md) and which loader reads it
#: (module and function under ``innovate.data``).
FILE_CONTENT: dict[str, tuple[str, str]] = {
    ASSESSMENT_FACTORS_FILE: (
        "Children in need census: episodes with each factor identified at the end of assessment",
        "public.assessment_factors",
    ),
    CIN_FILE: ("Children in need: at any point, started, ended, at 31 March", "public.children_in_need"),
    REFERRALS_FILE: ("Referrals, re-referrals and no further action", "public.referrals"),
    f"{OUTCOMES_ENABLERS}/d3_cpps_subsequent_plan_2013_to_2025.csv": (
        "Child protection plans: second or subsequent plans",
        "",
    ),
    f"{OUTCOMES_ENABLERS}/d5_cpps_at31march_by_duration_2013_to_2025.csv": (
        "Child protection plans at 31 March by duration",
        "",
    ),
    POPULATION_FILE: (
        "ONS mid-year estimates of children aged 0-17 (the denominator for rates)",
        "public.child_population",
    ),
    CLA_RATES_FILE: (
        "Children looked after, starting and ceasing: counts, populations and rates per 10,000",
        "public.looked_after_rates",
    ),
    f"{OUTCOMES_ENABLERS}/la_cla_during_year_new_placements.csv": (
        "Looked-after children: new placements by distance and location",
        "",
    ),
    f"{OUTCOMES_ENABLERS}/la_cla_placement_stability.csv": ("Looked-after children: placement stability", ""),
    f"{OUTCOMES_ENABLERS}/la_conviction_health_outcome_cla.csv": (
        "Looked-after children: convictions, substance misuse, SDQ, health",
        "",
    ),
    f"{OUTCOMES_ENABLERS}/la_care_leavers_activity.csv": ("Care leavers: activity", ""),
    f"{OUTCOMES_ENABLERS}/la_care_leavers_accommodation_suitability.csv": (
        "Care leavers: suitability of accommodation",
        "",
    ),
    f"{OUTCOMES_ENABLERS}/csww_indicators_2017_to_2025.csv": ("Children's social work workforce", ""),
    SN_2021_FILE: ("DfE statistical neighbours, April 2021 model", "public.statistical_neighbours"),
    SN_2025_FILE: ("DfE statistical neighbours, 2025 model", "public.statistical_neighbours"),
    LTLA_UTLA_FILE: ("ONS lower- to upper-tier authority lookup, April 2023", "public.code_lookup"),
    f"{GOODAIR}/SFR34_Missing2015.csv": (
        "Looked-after children missing or away without authorisation (SFR 34/2015)",
        "missing.missing_from_care",
    ),
    f"{GOODAIR}/SFR41_Missing2016.csv": (
        "Looked-after children missing or away without authorisation (SFR 41/2016)",
        "missing.missing_from_care",
    ),
    f"{GOODAIR}/SFR50_Missing_2017.csv": (
        "Looked-after children missing or away without authorisation (SFR 50/2017)",
        "missing.missing_from_care",
    ),
    f"{GOODAIR}/la_cla_missing_or_away_2018_to_2022_release2022.csv": (
        "Looked-after children missing or away without authorisation (2022 release)",
        "missing.missing_from_care",
    ),
    f"{GOODAIR}/la_cla_missing_or_away_2020_to_2024_release2024.csv": (
        "Looked-after children missing or away without authorisation (2024 release)",
        "missing.missing_from_care",
    ),
    f"{GOODAIR}/la_cla_who_started_to_be_looked_after_2018_to_2022.csv": ("Children starting to be looked after", ""),
    f"{GOODAIR}/cla_time_series_1994_2024_national.csv": ("National looked-after children time series", ""),
    f"{GOODAIR}/national_cla_who_were_missing_release2024.csv": (
        "National breakdowns of children missing from care",
        "",
    ),
    LAIT_FILE: ("LAIT indicators: Section 251 spend and unit costs, missing, workforce, care leavers", "public.lait"),
    LAIT_DICTIONARY_FILE: ("LAIT definitions of the selected indicators", "public.lait_dictionary"),
    HMT_DEFLATORS_FILE: (
        "HM Treasury GDP deflators at market prices, March 2026 (2024-25 = 100)",
        "deflators.gdp_deflators",
    ),
    ONS_DEFLATOR_FILE: ("ONS GDP implied deflator YBGB (2022 = 100), a cross-check", "deflators.ons_gdp_deflator"),
    "scotland/child_protection_register_31july_scotpho.csv": (
        "Children on the child protection register at 31 July, by council (ScotPHO)",
        "scotland.child_protection_register",
    ),
    "scotland/looked_after_children_31july_scotpho.csv": (
        "Children looked after at 31 July, by council (ScotPHO)",
        "scotland.looked_after",
    ),
    "scotland/population_aged_0_15_and_0_17_derived.csv": (
        "Children aged 0-15 and 0-17 by council, summed from NRS mid-year estimates",
        "scotland.child_population",
    ),
    "scotland/lgbf_children_indicators_chn9_chn22_chn23.csv": (
        "Local Government Benchmarking Framework children's indicators CHN9, CHN22, CHN23, by council",
        "scotland.benchmarking",
    ),
}

_LEVEL_WORDS = {
    "National": "England",
    "Regional": "regions",
    "Local authority": "LAs",
    "NATIONAL": "England",
    "REGION": "regions",
    "LA": "LAs",
}


def _coverage(relative_path: str, folder: Path | None) -> tuple[str, str, int]:
    """(years, geography, data rows) of one shipped file, read from the file itself."""
    path, file = _path(relative_path, folder)
    if relative_path == ONS_DEFLATOR_FILE:
        series = ons_gdp_deflator(folder)
        return f"{series['year'].min()}-{series['year'].max()}", "UK", len(series)
    frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    rows = len(frame)
    if "time_period" in frame.columns:
        years = frame["time_period"].str[:4].astype(int)
        levels = [lvl for lvl in LEVELS if lvl in set(frame.get("geographic_level", []))]
        return f"{years.min()}-{years.max()}", ", ".join(_LEVEL_WORDS[lvl] for lvl in levels), rows
    if "geog_l" in frame.columns:
        year = next(r.years[0] for r in MISSING_RELEASES if r.file == relative_path)
        levels = [lvl for lvl in ("NATIONAL", "REGION", "LA") if lvl in set(frame["geog_l"])]
        return str(year), ", ".join(_LEVEL_WORDS[lvl] for lvl in levels), rows
    if "Years" in frame.columns:
        years = sorted(set(frame["Years"].str.strip()))
        return f"{years[0].split(' ')[0]} to {years[-1].split(' ')[0]}", "England, regions, LAs", rows
    if "fiscal_year" in frame.columns:
        return f"{frame['fiscal_year'].iloc[0]} to {frame['fiscal_year'].iloc[-1]}", "UK", rows
    if relative_path == SN_2021_FILE:
        return "2021 model", "LAs", int(statistical_neighbour_table(2021, folder)["old_la_code"].nunique())
    if relative_path == SN_2025_FILE:
        return "2025 model", "LAs", rows
    if relative_path == LTLA_UTLA_FILE:
        return "April 2023", "England and Wales authorities", rows
    if relative_path == LAIT_DICTIONARY_FILE:
        return "", "", rows
    if "council_code" in frame.columns:  # the Scottish files: year "2021" or financial year "2012-13"
        years = frame["year"].str[:4].astype(int)
        return f"{years.min()}-{years.max()}", "Scotland, councils", rows
    raise KeyError(f"no coverage rule for {relative_path}")


def provenance(folder: Path | None = None) -> pd.DataFrame:
    """One row per shipped public file: folder, file, content, years, geography, rows,
    publisher, source repository, commit, licence, changes and the loader that reads it.

    Years, geography and rows are read from the files themselves.
    """
    rows = []
    for relative_path, (content, loader) in FILE_CONTENT.items():
        years, geography, n = _coverage(relative_path, folder)
        folder_name, name = relative_path.split("/", 1)
        source = PROVENANCE[folder_name]
        rows.append(
            {
                "folder": folder_name,
                "file": name,
                "content": content,
                "years": years,
                "geography": geography,
                "rows": n,
                "publisher": source["publisher"],
                "repository": source["repository"],
                "commit": source["commit"],
                "licence": source["licence"],
                "changes": source["changes"],
                "loader": f"innovate.data.{loader}" if loader else "",
            }
        )
    return pd.DataFrame(rows)


def missing_release_summary(folder: Path | None = None) -> pd.DataFrame:
    """How the 2015-2024 missing-from-care series is stitched: per release, the years it
    covers, the years it supplies, values kept, values superseded, how many superseded
    values a later release revised, and how many it no longer carries (areas re-drawn by
    reorganisation)."""
    every = missing_releases(folder)
    key = ["level", "area_code", "year", "measure_id"]
    winners = every[~every["superseded"]].set_index(key)["value"]
    rows = []
    for release in MISSING_RELEASES:
        part = every[every["source"] == release.source]
        lost = part[part["superseded"]]
        index = pd.MultiIndex.from_frame(lost[key])
        present = index.isin(winners.index)
        later = winners.reindex(index[present])
        revised = int((~np.isclose(lost["value"].to_numpy()[present], later.to_numpy(), equal_nan=True)).sum())
        used = sorted(set(part.loc[~part["superseded"], "year"]))
        rows.append(
            {
                "release": release.source,
                "file": release.file.split("/", 1)[1],
                "years in release": f"{min(release.years)}-{max(release.years)}"
                if len(release.years) > 1
                else str(release.years[0]),
                "years used": (f"{used[0]}-{used[-1]}" if len(used) > 1 else str(used[0])) if used else "none",
                "values used": int((~part["superseded"]).sum()),
                "values superseded": int(len(lost)),
                "superseded values revised later": revised,
                "superseded values absent later": int((~present).sum()),
            }
        )
    return pd.DataFrame(rows)


def rate_rule_check(folder: Path | None = None) -> dict[str, int | str]:
    """How many of DfE's published LA rates per 10,000 this module's rule reproduces exactly
    (after DfE's rounding to whole numbers)."""
    rates = rate_per_10k(looked_after_rates(folder))
    las = rates[(rates["level"] == "Local authority") & rates["published_rate"].notna() & rates["value"].notna()]
    matched = int((np.floor(las["value"] + 0.5) == las["published_rate"]).sum())
    return {"compared": int(len(las)), "matched": matched, "years": f"{las['year'].min()}-{las['year'].max()}"}


def provenance_sources() -> pd.DataFrame:
    """One row per folder of data/public: publisher, source repository, commit, licence, changes."""
    return pd.DataFrame([{"folder": folder, **record} for folder, record in PROVENANCE.items()])


def status_code_table() -> pd.DataFrame:
    """The status codes the loaders keep (published codes, then the book's own), with meanings."""
    rows = [
        {"code": code if code else "(blank)", "meaning": meaning, "assigned by": "publisher"}
        for code, meaning in STATUS_CODES.items()
    ]
    rows += [
        {"code": code, "meaning": meaning, "assigned by": "this book (documented gap)"}
        for code, meaning in BOOK_STATUS_CODES.items()
    ]
    return pd.DataFrame(rows)


def known_gaps_table() -> pd.DataFrame:
    """The published zeros the book treats as recording gaps (``KNOWN_GAPS``)."""
    names = dict(zip(*_la_names()))
    return pd.DataFrame(
        [
            {
                "file": f,
                "area": f"{names.get(code, code)} ({code})",
                "measure": "every measure" if measure == "*" else measure,
                "year": year,
            }
            for f, code, measure, year in KNOWN_GAPS
        ]
    )


def _la_names() -> tuple[list[str], list[str]]:
    lookup = code_lookup()
    return list(lookup["old_la_code"]), list(lookup["la_name"])


def smallest_published_count(
    sources: tuple[str, ...] = ("SFR 34/2015", "SFR 41/2016", "SFR 50/2017"), folder: Path | None = None
) -> int:
    """The smallest non-zero LA count published in the given missing-from-care releases.

    In the 2015-2017 releases it is 6: no count from 1 to 5 is printed, which is why their
    ``x`` is read as covering withheld small counts (as well as returns not shown).
    """
    every = missing_releases(folder)
    part = every[every["source"].isin(sources) & (every["level"] == "Local authority") & (every["value"] > 0)]
    return int(part["value"].min())
