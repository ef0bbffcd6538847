"""The register of the study's six case-study sites.

One row per site in ``data/reference/sites.csv``: the organisation, the framework it
innovated with, its nation, the codes under which its area appears in the public
statistics, and the date its innovation started with the source of that date. Where no
dated public source was found, the date is a stated assumption (``start_is_assumption``
is 1 and ``start_source`` says why the date was chosen).

Codes: ``old_la_code`` is the DfE three-digit LA code (the join key for DfE files);
``new_la_code`` is the GSS code the DfE files carry; ``area_code`` is the code the
book's area series use (the old LA code for an English LA, the region code for Safer
London, the Scottish council code for North Lanarkshire); ``ons_current_code`` is the
code in current ONS products (Sheffield differs: E08000039).
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from innovate.config import NATIONS
from innovate.data import paths
from innovate.data.paths import reference_dir
from innovate.errors import DataError, Problem, missing_columns

SITES_FILE = "sites.csv"

#: The six sites in the book's order (framework by framework).
SITE_IDS: tuple[str, ...] = (
    "devon",
    "safer_london",
    "reading",
    "north_lanarkshire",
    "hackney",
    "sheffield",
)

#: The three frameworks and the two sites that operationalised each.
FRAMEWORKS: dict[str, tuple[str, str]] = {
    "contextual_safeguarding": ("devon", "safer_london"),
    "trauma_informed_practice": ("reading", "north_lanarkshire"),
    "transitional_safeguarding": ("hackney", "sheffield"),
}

#: Readable framework names for tables and prose.
FRAMEWORK_LABELS: dict[str, str] = {
    "contextual_safeguarding": "Contextual Safeguarding",
    "trauma_informed_practice": "Trauma-Informed Practice",
    "transitional_safeguarding": "Transitional Safeguarding",
}

AREA_LEVELS = ("Local authority", "Regional")

COLUMNS: tuple[str, ...] = (
    "site_id",
    "site_name",
    "framework",
    "nation",
    "dfe_area_name",
    "old_la_code",
    "new_la_code",
    "innovation_start",
    "start_is_assumption",
    "start_source",
    "source_url",
    "area_code",
    "area_level",
    "ons_current_code",
)


@dataclass(frozen=True)
class Site:
    """One site of the register (attribute access, or ``record["field"]``)."""

    site_id: str
    site_name: str
    framework: str
    nation: str
    dfe_area_name: str
    old_la_code: str
    new_la_code: str
    innovation_start: pd.Timestamp
    start_is_assumption: int
    start_source: str
    source_url: str
    area_code: str
    area_level: str
    ons_current_code: str

    def __getitem__(self, key: str):
        return getattr(self, key)

    @property
    def framework_label(self) -> str:
        return FRAMEWORK_LABELS[self.framework]

    @property
    def in_dfe_data(self) -> bool:
        """Whether the site's area appears in DfE (England) statistics."""
        return self.nation == "England"

    def as_dict(self) -> dict:
        return asdict(self)


def _check(frame: pd.DataFrame, file: str) -> list[Problem]:
    problems: list[Problem] = []
    extra = [c for c in frame.columns if c not in COLUMNS]
    problems += missing_columns(frame, COLUMNS, file)
    problems += [Problem(file, "unexpected-column", "column not in the register schema", column=c) for c in extra]
    if problems:
        return problems
    site_to_framework = {s: f for f, pair in FRAMEWORKS.items() for s in pair}
    seen: set[str] = set()
    for i, row in frame.iterrows():
        r = int(i) + 1
        sid = row["site_id"]
        if sid not in SITE_IDS:
            problems.append(Problem(file, "allowed-values", "unknown site_id", "site_id", r, sid))
        elif sid in seen:
            problems.append(Problem(file, "unique-key", "duplicate site_id", "site_id", r, sid))
        else:
            seen.add(sid)
            if row["framework"] != site_to_framework[sid]:
                problems.append(
                    Problem(
                        file,
                        "allowed-values",
                        f"framework of {sid} must be {site_to_framework[sid]}",
                        "framework",
                        r,
                        row["framework"],
                    )
                )
        if row["nation"] not in NATIONS:
            problems.append(Problem(file, "allowed-values", "unknown nation", "nation", r, row["nation"]))
        if row["area_level"] not in AREA_LEVELS:
            problems.append(Problem(file, "allowed-values", "unknown area level", "area_level", r, row["area_level"]))
        if row["start_is_assumption"] not in ("0", "1"):
            problems.append(
                Problem(file, "allowed-values", "must be 0 or 1", "start_is_assumption", r, row["start_is_assumption"])
            )
        if pd.isna(pd.to_datetime(row["innovation_start"], format="%Y-%m-%d", errors="coerce")):
            problems.append(
                Problem(
                    file, "date-format", "not an ISO date YYYY-MM-DD", "innovation_start", r, row["innovation_start"]
                )
            )
        for column in ("site_name", "start_source", "source_url", "area_code"):
            if not str(row[column]).strip():
                problems.append(Problem(file, "required-value", "must not be empty", column, r))
        if row["old_la_code"] and not row["old_la_code"].isdigit():
            problems.append(
                Problem(file, "code-format", "DfE old LA code is three digits", "old_la_code", r, row["old_la_code"])
            )
        if (
            row["nation"] == "England"
            and row["area_level"] == "Local authority"
            and row["area_code"] != row["old_la_code"]
        ):
            problems.append(
                Problem(
                    file, "area-code", "an English LA's area_code is its old LA code", "area_code", r, row["area_code"]
                )
            )
        if not str(row["source_url"]).startswith("https://") and str(row["source_url"]).strip():
            problems.append(
                Problem(file, "url-format", "source must be an https address", "source_url", r, row["source_url"])
            )
    absent = [s for s in SITE_IDS if s not in seen]
    problems += [Problem(file, "complete", f"site {s!r} missing from the register", "site_id") for s in absent]
    return problems


#: Registers already parsed and checked, by file and content: ``site()`` reads the register at
#: every call (hundreds of times in a build), and parsing and checking it takes 5 ms.
_REGISTERS: dict[tuple[str, str], pd.DataFrame] = {}


def register(folder: Path | None = None) -> pd.DataFrame:
    """The site register as a DataFrame in the book's site order.

    Codes are strings (old LA codes keep their leading digits exactly), ``innovation_start``
    is datetime64 and ``start_is_assumption`` an int. Raises ``DataError`` naming file,
    column, row and rule when the file breaks the register's rules.
    """
    path = (folder or reference_dir()) / SITES_FILE
    file = f"data/reference/{SITES_FILE}" if folder is None else str(path)
    data = path.read_bytes()
    key = (str(path.resolve()), hashlib.sha256(data).hexdigest())
    if key not in _REGISTERS:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8").astype(object)
        problems = _check(frame, file)
        if problems:
            raise DataError(problems)
        frame["innovation_start"] = pd.to_datetime(frame["innovation_start"], format="%Y-%m-%d")
        frame["start_is_assumption"] = frame["start_is_assumption"].astype(int)
        order = {s: i for i, s in enumerate(SITE_IDS)}
        frame = frame.sort_values("site_id", key=lambda s: s.map(order)).reset_index(drop=True)
        _REGISTERS[key] = frame[list(COLUMNS)]
    # a copy: a caller that changes its frame cannot change the next caller's
    return _REGISTERS[key].copy()


def site(site_id: str, folder: Path | None = None) -> Site:
    """The register record of one site; ``KeyError`` for an unknown id."""
    if site_id not in SITE_IDS:
        raise KeyError(f"unknown site_id {site_id!r}; known: {', '.join(SITE_IDS)}")
    row = register(folder).set_index("site_id").loc[site_id]
    values = {c: row[c] for c in COLUMNS if c != "site_id"}
    values["innovation_start"] = pd.Timestamp(values["innovation_start"])
    values["start_is_assumption"] = int(values["start_is_assumption"])
    return Site(site_id=site_id, **values)


def sites(folder: Path | None = None) -> list[Site]:
    """Every site record, in the book's order."""
    return [site(s, folder) for s in SITE_IDS]


def framework_of(site_id: str) -> str:
    """The framework id a site operationalised."""
    for framework, pair in FRAMEWORKS.items():
        if site_id in pair:
            return framework
    raise KeyError(f"unknown site_id {site_id!r}")


#: Short readable names of the sites (real names: for real evidence only, see :func:`label`).
SHORT_NAMES: dict[str, str] = {
    "devon": "Devon",
    "safer_london": "Safer London",
    "reading": "Reading",
    "north_lanarkshire": "North Lanarkshire",
    "hackney": "Hackney",
    "sheffield": "Sheffield",
}


def framework_initials(framework: str) -> str:
    """Initials of a framework's readable name: 'Trauma-Informed Practice' -> 'TIP'."""
    if framework not in FRAMEWORK_LABELS:
        raise KeyError(f"unknown framework {framework!r}; known: {', '.join(FRAMEWORK_LABELS)}")
    return "".join(word[0] for word in re.split(r"[\s-]+", FRAMEWORK_LABELS[framework]) if word)


def pseudonym(site_id: str) -> str:
    """The site's pseudonym for results from case-level data: '<framework initials> site <n>',
    ``n`` the site's place among its framework's two sites in the book's order
    (``devon`` -> 'CS site 1', ``north_lanarkshire`` -> 'TIP site 2').

    Derived from the fixed register order rather than stored in ``sites.csv``, so it is
    stable across the book and the register's published checksum does not move.
    """
    for framework, pair in FRAMEWORKS.items():
        if site_id in pair:
            return f"{framework_initials(framework)} site {pair.index(site_id) + 1}"
    raise KeyError(f"unknown site_id {site_id!r}; known: {', '.join(SITE_IDS)}")


def label(site_id: str, real: bool) -> str:
    """The name to print for a site on a result: its short real name when the evidence is
    real (public statistics, or case-level data from the study's own extract), its
    :func:`pseudonym` when the evidence is synthetic. Never the real name on synthetic data."""
    if site_id not in SITE_IDS:
        raise KeyError(f"unknown site_id {site_id!r}; known: {', '.join(SITE_IDS)}")
    return SHORT_NAMES[site_id] if real else pseudonym(site_id)


def display_name(site_id: str, folder: Path | None = None) -> str:
    """The name to print for a site on a result computed from the case-level data.

    The one switch for every chapter: the pseudonym while the configured case-level folder
    is synthetic, the short real name on the study's own extract (the evidence status is
    read from the folder's manifest by :func:`innovate.data.paths.evidence_status`).
    Public statistics and public context name the real site with :data:`SHORT_NAMES`.
    """
    return label(site_id, real=not paths.is_synthetic(folder))


def display_names(site_ids=SITE_IDS, folder: Path | None = None) -> dict[str, str]:
    """:func:`display_name` for several sites (default: all six, in the book's order)."""
    real = not paths.is_synthetic(folder)
    return {s: label(s, real=real) for s in site_ids}


def english_la_sites(folder: Path | None = None) -> list[Site]:
    """Sites whose area is a single English LA in DfE data (excludes Safer London and North Lanarkshire)."""
    return [s for s in sites(folder) if s.nation == "England" and s.area_level == "Local authority"]


# --- the other curated reference tables -------------------------------------------------

STAGES_FILE = "stages.csv"
CODEBOOK_FILE = "codebook.csv"

#: The six stages of innovation (Lefevre, Hampson and Goldsmith 2023), in order.
STAGE_IDS: tuple[str, ...] = ("mobilising", "designing", "developing", "integrating", "growing", "system_change")
DOMAIN_HINTS = ("facilitator", "barrier", "both")
CODE_LEVELS = ("team", "organisation", "system", "context")


def _read_reference(
    name: str, columns: tuple[str, ...], folder: Path | None
) -> tuple[pd.DataFrame, str, list[Problem]]:
    path = (folder or reference_dir()) / name
    file = f"data/reference/{name}" if folder is None else str(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8").astype(object)
    problems = missing_columns(frame, columns, file)
    problems += [
        Problem(file, "unexpected-column", "column not in the schema", column=c)
        for c in frame.columns
        if c not in columns
    ]
    if not problems:
        for column in columns:
            for i in frame.index[frame[column].str.strip() == ""]:
                problems.append(Problem(file, "required-value", "must not be empty", column, int(i) + 1))
    return frame, file, problems


def stages(folder: Path | None = None) -> pd.DataFrame:
    """The six innovation stages in order: ``order`` (int), ``stage_id``, ``name``, ``description``, ``source``."""
    columns = ("order", "stage_id", "name", "description", "source")
    frame, file, problems = _read_reference(STAGES_FILE, columns, folder)
    if not problems:
        if tuple(frame["stage_id"]) != STAGE_IDS:
            problems.append(
                Problem(
                    file,
                    "allowed-values",
                    f"stage_id must be, in order: {', '.join(STAGE_IDS)}",
                    "stage_id",
                    value=tuple(frame["stage_id"]),
                )
            )
        if tuple(frame["order"]) != tuple(str(i) for i in range(1, len(STAGE_IDS) + 1)):
            problems.append(
                Problem(file, "allowed-values", "order must run 1..6", "order", value=tuple(frame["order"]))
            )
    if problems:
        raise DataError(problems)
    frame["order"] = frame["order"].astype(int)
    return frame


def codebook(folder: Path | None = None) -> pd.DataFrame:
    """Codes for facilitators and barriers: ``code``, ``label``, ``definition``, ``domain_hint``, ``level``."""
    columns = ("code", "label", "definition", "domain_hint", "level")
    frame, file, problems = _read_reference(CODEBOOK_FILE, columns, folder)
    if not problems:
        for i, row in frame.iterrows():
            if row["domain_hint"] not in DOMAIN_HINTS:
                problems.append(
                    Problem(
                        file, "allowed-values", f"one of {DOMAIN_HINTS}", "domain_hint", int(i) + 1, row["domain_hint"]
                    )
                )
            if row["level"] not in CODE_LEVELS:
                problems.append(
                    Problem(file, "allowed-values", f"one of {CODE_LEVELS}", "level", int(i) + 1, row["level"])
                )
            if not row["code"].replace("_", "").isalnum() or row["code"] != row["code"].lower():
                problems.append(
                    Problem(
                        file,
                        "code-format",
                        "lower-case letters, digits and underscores",
                        "code",
                        int(i) + 1,
                        row["code"],
                    )
                )
        for i in frame.index[frame["code"].duplicated()]:
            problems.append(Problem(file, "unique-key", "duplicate code", "code", int(i) + 1, frame.at[i, "code"]))
    if problems:
        raise DataError(problems)
    return frame
