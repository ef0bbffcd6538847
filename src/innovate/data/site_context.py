"""Public facts about each site and its framework, with their sources
(``data/reference/site_context.csv``).

One row per fact: ``scope`` (a site id, a framework id), ``topic`` (``organisation``,
``aim``, ``context``, ``framework``, or ``not_found`` for what no public source the book
could check says), ``statement`` (the book's own words), ``source``, ``source_url`` and
``citation_key`` (a key of ``references.bib``). Every fact names a source with an address
or a bibliography key; a ``not_found`` row names none. Inspection judgements and the
COVID-19 lockdown are not repeated here: they are in ``context_events.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from innovate.data import sites
from innovate.data.paths import reference_dir
from innovate.errors import DataError, Problem

FILE = "site_context.csv"
COLUMNS = ("scope", "topic", "statement", "source", "source_url", "citation_key")
TOPICS = ("organisation", "aim", "context", "framework", "not_found")
#: The order topics are shown in a chapter.
TOPIC_ORDER = {t: i for i, t in enumerate(("organisation", "framework", "aim", "context", "not_found"))}


def site_context(folder: Path | None = None) -> pd.DataFrame:
    """The whole table, checked; a bad row is an error naming file, column, row and rule."""
    path = (folder or reference_dir()) / FILE
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems: list[Problem] = []
    for column in COLUMNS:
        if column not in frame.columns:
            problems.append(Problem(FILE, "required column", "column missing from the header", column=column))
    if problems:
        raise DataError(problems)
    scopes = set(sites.SITE_IDS) | set(sites.FRAMEWORKS)
    for i, row in frame.iterrows():
        n = int(i) + 1

        def bad(column, rule, message):
            problems.append(Problem(FILE, rule, message, column, n, row[column]))  # noqa: B023

        if row["scope"] not in scopes:
            bad("scope", "known scope", "not a site id or framework id of the register")
        if row["topic"] not in TOPICS:
            bad("topic", "known topic", f"topic must be one of {', '.join(TOPICS)}")
        if not row["statement"].strip():
            bad("statement", "required", "empty statement")
        if row["topic"] == "not_found":
            if row["source"] != "none found" or row["citation_key"]:
                bad("source", "not_found has no source", "a not_found row must say 'none found' and cite nothing")
        else:
            if not row["source"].strip() or row["source"] == "none found":
                bad("source", "sourced", "a fact needs a named source")
            if not (row["source_url"].startswith("https://") or row["citation_key"]):
                bad("source_url", "sourced", "a fact needs an https address or a bibliography key")
    if problems:
        raise DataError(problems)
    return frame


def for_site(site_id: str, folder: Path | None = None) -> pd.DataFrame:
    """The facts of one site and of its framework, in the chapter's order."""
    frame = site_context(folder)
    framework = sites.framework_of(site_id)
    mine = frame[frame["scope"].isin([site_id, framework])].copy()
    mine["_order"] = mine["topic"].map(TOPIC_ORDER)
    return mine.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
