"""What promotes and sustains innovation: stage journeys, facilitators and barriers, and
the trustworthy-innovation audit.

Three analyses of the process data (``stage_events`` and ``coded_segments``):

**Stage journeys.** Each site moves through the six stages of innovation of Lefevre,
Hampson and Goldsmith (2023) - mobilising, designing, developing, integrating, growing,
system change - but not in a straight line. :func:`stage_episodes` turns a site's dated
events into *episodes*: an ``enter`` starts an episode of a new stage; a ``regress``
starts an episode of an earlier stage; a ``restart`` after a stall resumes the same
episode (the stalled days are counted), while a ``restart`` naming another stage starts
a new episode of that stage (a renewal). A stage entered again is a new visit and counts
again, so time in a stage is the sum over its visits. An episode still open at the end of
the study is cut at ``study_end`` and flagged ``open``. Journeys that break the event
rules (a first event that is not ``enter``, a stall outside the current stage, a
``regress`` to a stage that is not earlier, a ``restart`` of the current stage with no
stall, an event after the end of the study) raise :class:`DataError` naming the row.

**Facilitators and barriers.** Framework-analysis matrices (Gale et al. 2013) of coded
segments by site, stage and domain, as counts and as the facilitator share of each
site-stage cell; both are built from one protected base table (site x stage rows,
facilitator and barrier columns, row totals) so that the published counts and shares
cannot be differenced (:mod:`innovate.stats.disclosure`). :func:`cross_case` compares sites
whose innovation was sustained or grew with those that stalled or fell back, code by
code, with an exact permutation test over the site labels: with six cases it is
exploratory and the smallest attainable p-value is reported beside the results.

**Trustworthy innovation audit.** After Hampson, Goldsmith and Lefevre (2021): the book's
own questions (``data/reference/trustworthy_audit_questions.csv``), each tied to a stage
or to every stage, to the codes that evidence it and, for some, to the voices that must
be heard (young people, parents and carers). The scoring rule is documented in
:func:`audit_scores`. The audit's code is in :mod:`innovate.study.trustworthy_audit`; its
names are found here too.

Context events on the timelines come from ``data/reference/context_events.csv`` (public
sources only, each with its address). Ofsted judgements are included only where the
date and the grade were confirmed in a public source; the others (for example Hackney's
and Sheffield's 2019 inspections, whose publication months were not confirmed) are left
out rather than guessed. North Lanarkshire is inspected by the Care Inspectorate in
Scotland and Safer London is a charity, so neither has an Ofsted judgement of an LA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from innovate.data import sites as sites_module
from innovate.data.paths import reference_dir
from innovate.data.sites import SITE_IDS, STAGE_IDS, codebook, register
from innovate.errors import DataError, Problem, missing_columns
from innovate.stats import disclosure
from innovate.stats.permutation import permutation_p, smallest_p
from innovate.study.trustworthy_audit import (
    AUDIT_COLUMNS,
    AUDIT_FILE,
    PRINCIPLES,
    SCORE_LABELS,
    audit_matrix,
    audit_overview,
    audit_questions,
    audit_scores,
    principle_summary,
    score_from_share,
    stages_reached,
)

#: The public names: the journey and facilitator analyses defined here and the audit
#: (defined in innovate.study.trustworthy_audit, found here too).
__all__ = [
    "EVENTS_FILE",
    "SEGMENTS_FILE",
    "CONTEXT_FILE",
    "DAYS_PER_MONTH",
    "STAGE_ORDER",
    "STAGE_LABELS",
    "STAGE_SHORT",
    "DOMAINS",
    "TRAJECTORY_LABELS",
    "EMBEDDED_FROM",
    "GROWING_FROM",
    "STUDY_END_DEFAULT",
    "site_labels",
    "real_site_labels",
    "stage_episodes",
    "time_in_stage",
    "journey_summary",
    "stage_on",
    "study_end_of",
    "data_study_end",
    "CONTEXT_COLUMNS",
    "context_events",
    "segment_counts",
    "stage_shares",
    "top_codes",
    "code_labels",
    "FrameworkMatrix",
    "framework_matrix",
    "site_code_profile",
    "cross_case",
    "AUDIT_COLUMNS",
    "AUDIT_FILE",
    "PRINCIPLES",
    "SCORE_LABELS",
    "audit_matrix",
    "audit_overview",
    "audit_questions",
    "audit_scores",
    "principle_summary",
    "score_from_share",
    "stages_reached",
]

EVENTS_FILE = "stage_events.csv"
SEGMENTS_FILE = "coded_segments.csv"
CONTEXT_FILE = "context_events.csv"

DAYS_PER_MONTH = 365.25 / 12
STAGE_ORDER = {s: i + 1 for i, s in enumerate(STAGE_IDS)}
STAGE_LABELS = {
    "mobilising": "Mobilising",
    "designing": "Designing",
    "developing": "Developing",
    "integrating": "Integrating",
    "growing": "Growing",
    "system_change": "System change",
}
#: Short labels written inside the timeline bars (so colour is never the only cue).
STAGE_SHORT = {
    "mobilising": "Mob",
    "designing": "Des",
    "developing": "Dev",
    "integrating": "Int",
    "growing": "Gro",
    "system_change": "Sys",
}
DOMAINS = ("facilitator", "barrier")
TRAJECTORY_LABELS = {
    "sustained_or_grew": "Sustained or grew",
    "stalled_or_fell_back": "Stalled or fell back",
}
#: The stage from which an innovation counts as embedded in everyday practice.
EMBEDDED_FROM = "integrating"
#: The stage from which an innovation counts as growing beyond its first home.
GROWING_FROM = "growing"
#: End of the observation window when the data do not state one: the synthetic journeys
#: run to the end of March 2025 (four years from the start of fieldwork in May 2021,
#: rounded to a financial year end). A real extract states its own in its manifest.
STUDY_END_DEFAULT = "2025-03-31"


def site_labels() -> dict[str, str]:
    """How results from the case-level data name the sites (tables, figure axes, prose):
    pseudonyms on synthetic data, real names on the study's extract
    (:func:`innovate.data.sites.display_names`)."""
    return sites_module.display_names(tuple(register()["site_id"]))


def real_site_labels() -> dict[str, str]:
    """Real short names, for real evidence only (public context events, public statistics)."""
    return {s: sites_module.SHORT_NAMES[s] for s in register()["site_id"]}


# ---------------------------------------------------------------------------------------
# Stage journeys
# ---------------------------------------------------------------------------------------
def _file_row(events: pd.DataFrame, label) -> int | None:
    """1-based data row of an event: the frame's index when it is the file's row order."""
    try:
        return int(label) + 1
    except (TypeError, ValueError):
        return None


def stage_episodes(events: pd.DataFrame, study_end, site_id: str | None = None) -> pd.DataFrame:
    """Episodes of each stage per site, with stalls counted inside them.

    Columns: ``site_id``, ``episode`` (1.. per site), ``stage``, ``stage_order``, ``entry``
    (enter / regress / restart), ``visit`` (1 for the first time in that stage, 2 for the
    second ...), ``start``, ``end``, ``days``, ``months``, ``n_stalls``, ``stalled_days``,
    ``open`` (still running at ``study_end``), ``stalled_at_end``.
    """
    study_end = pd.Timestamp(study_end)
    frame = events if site_id is None else events[events["site_id"] == site_id]
    problems: list[Problem] = []
    rows: list[dict] = []
    for sid, part in frame.groupby("site_id", sort=False):
        part = part.sort_values("event_date", kind="stable")
        # The running episode (None before the first 'enter'; the checks below skip any
        # other event until then, which the type checker cannot follow).
        current: Any = None
        visits: dict[str, int] = {}
        stalled_since = None
        episode_no = 0

        def close(at):
            nonlocal stalled_since
            if current is None:
                return
            if stalled_since is not None:
                current["stalled_days"] += (at - stalled_since).days
                stalled_since = None
            current["end"] = at
            rows.append(dict(current))

        for label, ev in part.iterrows():
            row = _file_row(events, label)
            when, stage, kind = pd.Timestamp(ev["event_date"]), ev["stage"], ev["event_type"]
            if when > study_end:
                problems.append(
                    Problem(
                        EVENTS_FILE,
                        "journey.after_end",
                        f"event after the end of the study ({study_end.date()})",
                        "event_date",
                        row,
                        str(when.date()),
                    )
                )
                continue
            if current is None and kind != "enter":
                problems.append(
                    Problem(
                        EVENTS_FILE,
                        "journey.first_event",
                        f"a site's journey must start with 'enter' (site {sid})",
                        "event_type",
                        row,
                        kind,
                    )
                )
                continue
            start_new = None
            if kind == "enter":
                if current is not None and stage == current["stage"]:
                    problems.append(
                        Problem(
                            EVENTS_FILE,
                            "journey.enter_same",
                            f"'enter' into the stage the site is already in (site {sid})",
                            "stage",
                            row,
                            stage,
                        )
                    )
                    continue
                start_new = "enter"
            elif kind == "regress":
                if STAGE_ORDER[stage] >= STAGE_ORDER[current["stage"]]:
                    problems.append(
                        Problem(
                            EVENTS_FILE,
                            "journey.regress_direction",
                            f"'regress' must fall back to an earlier stage than {current['stage']} (site {sid})",
                            "stage",
                            row,
                            stage,
                        )
                    )
                    continue
                start_new = "regress"
            elif kind == "stall":
                if stage != current["stage"]:
                    problems.append(
                        Problem(
                            EVENTS_FILE,
                            "journey.stall_stage",
                            f"'stall' names a stage the site is not in (current: {current['stage']}, site {sid})",
                            "stage",
                            row,
                            stage,
                        )
                    )
                    continue
                if stalled_since is not None:
                    problems.append(
                        Problem(
                            EVENTS_FILE,
                            "journey.double_stall",
                            f"'stall' while already stalled (site {sid})",
                            "event_type",
                            row,
                            kind,
                        )
                    )
                    continue
                stalled_since = when
                current["n_stalls"] += 1
            elif kind == "restart":
                if stage == current["stage"]:
                    if stalled_since is None:
                        problems.append(
                            Problem(
                                EVENTS_FILE,
                                "journey.restart_without_stall",
                                f"'restart' of the current stage with no stall before it (site {sid})",
                                "event_type",
                                row,
                                kind,
                            )
                        )
                        continue
                    current["stalled_days"] += (when - stalled_since).days
                    stalled_since = None
                else:
                    start_new = "restart"
            if start_new is not None:
                close(when)
                episode_no += 1
                visits[stage] = visits.get(stage, 0) + 1
                current = {
                    "site_id": sid,
                    "episode": episode_no,
                    "stage": stage,
                    "stage_order": STAGE_ORDER[stage],
                    "entry": start_new,
                    "visit": visits[stage],
                    "start": when,
                    "end": None,
                    "n_stalls": 0,
                    "stalled_days": 0,
                    "open": False,
                    "stalled_at_end": False,
                }
        if current is not None:
            stalled_end = stalled_since is not None
            current["open"] = True
            current["stalled_at_end"] = stalled_end
            close(study_end)
    if problems:
        raise DataError(problems)
    columns = [
        "site_id",
        "episode",
        "stage",
        "stage_order",
        "entry",
        "visit",
        "start",
        "end",
        "days",
        "months",
        "n_stalls",
        "stalled_days",
        "open",
        "stalled_at_end",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(rows)
    out["start"] = pd.to_datetime(out["start"])
    out["end"] = pd.to_datetime(out["end"])
    out["days"] = (out["end"] - out["start"]).dt.days.astype(int)
    out["months"] = out["days"] / DAYS_PER_MONTH
    out["stalled_days"] = out["stalled_days"].astype(int)
    return out[columns].reset_index(drop=True)


def time_in_stage(episodes: pd.DataFrame) -> pd.DataFrame:
    """Per site and stage: visits, total days and months, stalled days (every visit counts)."""
    full = pd.MultiIndex.from_product(
        [list(dict.fromkeys(episodes["site_id"])), list(STAGE_IDS)], names=["site_id", "stage"]
    )
    agg = episodes.groupby(["site_id", "stage"]).agg(
        visits=("episode", "size"),
        days=("days", "sum"),
        stalled_days=("stalled_days", "sum"),
        n_stalls=("n_stalls", "sum"),
    )
    agg = agg.reindex(full, fill_value=0).reset_index()
    agg["months"] = agg["days"] / DAYS_PER_MONTH
    agg["active_days"] = agg["days"] - agg["stalled_days"]
    return agg[["site_id", "stage", "visits", "days", "months", "stalled_days", "active_days", "n_stalls"]]


def journey_summary(events: pd.DataFrame, study_end) -> pd.DataFrame:
    """One row per site: where its journey stands at the end of the study and how it got there.

    ``sustained`` (the book's main contrast for the cross-case comparison): the
    site reached ``integrating`` or beyond, is at ``integrating`` or beyond at the end of the
    study, is not stalled there, and never regressed on the way (a stall that was
    restarted does not count against it: stalls are ordinary in recursive journeys).
    ``trajectory`` is the label of that contrast: ``sustained_or_grew`` or
    ``stalled_or_fell_back``. ``grew`` (a sensitivity contrast): at ``growing`` or
    ``system_change`` at the end and not stalled there.
    """
    eps = stage_episodes(events, study_end)
    out = []
    for sid, part in eps.groupby("site_id", sort=False):
        ev = events[events["site_id"] == sid]
        last = part.iloc[-1]
        furthest = max(part["stage_order"])
        reached = part.loc[part["stage_order"] >= STAGE_ORDER[EMBEDDED_FROM], "start"]
        start = part["start"].min()
        regressions = int((ev["event_type"] == "regress").sum())
        sustained = bool(
            furthest >= STAGE_ORDER[EMBEDDED_FROM]
            and last["stage_order"] >= STAGE_ORDER[EMBEDDED_FROM]
            and not last["stalled_at_end"]
            and regressions == 0
        )
        grew = bool(last["stage_order"] >= STAGE_ORDER[GROWING_FROM] and not last["stalled_at_end"])
        out.append(
            {
                "site_id": sid,
                "first_event": start,
                "current_stage": last["stage"],
                "furthest_stage": STAGE_IDS[furthest - 1],
                "episodes": len(part),
                "stalls": int((ev["event_type"] == "stall").sum()),
                "restarts": int((ev["event_type"] == "restart").sum()),
                "regressions": regressions,
                "re_entries": int((part["visit"] > 1).sum()),
                "stalled_at_end": bool(last["stalled_at_end"]),
                "months_to_integrating": (reached.min() - start).days / DAYS_PER_MONTH if len(reached) else np.nan,
                "stalled_share": part["stalled_days"].sum() / max(part["days"].sum(), 1),
                "sustained": sustained,
                "grew": grew,
                "trajectory": "sustained_or_grew" if sustained else "stalled_or_fell_back",
            }
        )
    frame = pd.DataFrame(out)
    order = {s: i for i, s in enumerate(SITE_IDS)}
    return frame.sort_values("site_id", key=lambda s: s.map(order)).reset_index(drop=True)


def stage_on(episodes: pd.DataFrame, date) -> dict[str, str | None]:
    """The stage each site was in on ``date`` (None before its journey began)."""
    date = pd.Timestamp(date)
    out = {}
    for sid, part in episodes.groupby("site_id", sort=False):
        hit = part[(part["start"] <= date) & (date < part["end"])]
        out[sid] = hit["stage"].iloc[0] if len(hit) else None
    return out


def study_end_of(events: pd.DataFrame, manifest: dict | None = None):
    """The end of the observation window: the manifest's ``study_end`` when it has one,
    else :data:`STUDY_END_DEFAULT`, or the last day of the month of the latest event when
    an event falls after that."""
    if manifest:
        for key in ("study_end", "process_end", "observation_end"):
            if key in manifest:
                return pd.Timestamp(manifest[key])
        for section in manifest.values():
            if isinstance(section, dict):
                for key in ("study_end", "process_end", "observation_end"):
                    if key in section:
                        return pd.Timestamp(section[key])
    last = pd.Timestamp(events["event_date"].max())
    default = pd.Timestamp(STUDY_END_DEFAULT)
    return default if last <= default else last + pd.offsets.MonthEnd(0)


def data_study_end(events: pd.DataFrame):
    """:func:`study_end_of` with the configured data folder's manifest when it has one: the
    study's extract may carry none, and a chapter must not need the generator's file."""
    from innovate.data import casedata

    try:
        manifest = casedata.manifest()
    except FileNotFoundError:
        manifest = None
    return study_end_of(events, manifest)


# ---------------------------------------------------------------------------------------
# Context events
# ---------------------------------------------------------------------------------------
CONTEXT_COLUMNS = ("event_id", "date", "date_precision", "site_id", "kind", "label", "detail", "source", "source_url")


def context_events(folder=None) -> pd.DataFrame:
    """Public context events for the timelines (``site_id`` empty = every site)."""
    path = (folder or reference_dir()) / CONTEXT_FILE
    file = f"data/reference/{CONTEXT_FILE}"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8").astype(object)
    problems = missing_columns(frame, CONTEXT_COLUMNS, file)
    if not problems:
        for i, r in frame.iterrows():
            row = int(i) + 1
            if pd.isna(pd.to_datetime(r["date"], format="%Y-%m-%d", errors="coerce")):
                problems.append(Problem(file, "date-format", "not an ISO date YYYY-MM-DD", "date", row, r["date"]))
            if r["date_precision"] not in ("day", "month"):
                problems.append(
                    Problem(file, "allowed-values", "day or month", "date_precision", row, r["date_precision"])
                )
            if r["site_id"] and r["site_id"] not in SITE_IDS:
                problems.append(Problem(file, "allowed-values", "unknown site_id", "site_id", row, r["site_id"]))
            if r["kind"] not in ("national", "inspection"):
                problems.append(Problem(file, "allowed-values", "national or inspection", "kind", row, r["kind"]))
            if not str(r["source_url"]).startswith("https://"):
                problems.append(
                    Problem(
                        file,
                        "url-format",
                        "every context event needs an https source",
                        "source_url",
                        row,
                        r["source_url"],
                    )
                )
            for c in ("label", "source"):
                if not str(r[c]).strip():
                    problems.append(Problem(file, "required-value", "must not be empty", c, row))
    if problems:
        raise DataError(problems)
    frame["date"] = pd.to_datetime(frame["date"], format="%Y-%m-%d")
    return frame


# ---------------------------------------------------------------------------------------
# Facilitators and barriers
# ---------------------------------------------------------------------------------------
def segment_counts(segments: pd.DataFrame, by: Sequence[str] = ("site_id", "stage", "domain")) -> pd.DataFrame:
    """Counts of coded segments over the full grid of ``by`` (zeros kept, nothing dropped)."""
    levels = {"site_id": list(SITE_IDS), "stage": list(STAGE_IDS), "domain": list(DOMAINS)}
    grid = []
    for col in by:
        vals = levels.get(col)
        if vals is None:
            vals = sorted(segments[col].dropna().unique().tolist())
        else:
            present = [v for v in vals if v in set(segments[col])]
            vals = vals if col != "site_id" else present or vals
        grid.append(vals)
    index = pd.MultiIndex.from_product(grid, names=list(by))
    counts = segments.groupby(list(by)).size().reindex(index, fill_value=0)
    return counts.rename("segments").reset_index()


def stage_shares(segments: pd.DataFrame) -> pd.DataFrame:
    """Across all sites, per stage: coded segments, facilitator segments and the facilitator %."""
    counts = segment_counts(segments, ("stage", "domain")).pivot_table(
        index="stage", columns="domain", values="segments", aggfunc="sum", sort=False
    )
    counts = counts.reindex(index=list(STAGE_IDS), columns=list(DOMAINS), fill_value=0)
    out = pd.DataFrame(
        {
            "stage": list(STAGE_IDS),
            "segments": (counts["facilitator"] + counts["barrier"]).to_numpy(),
            "facilitators": counts["facilitator"].to_numpy(),
        }
    )
    out["share"] = np.where(
        out["segments"] > 0, 100 * out["facilitators"] / out["segments"].where(out["segments"] > 0, 1), np.nan
    )
    return out


def top_codes(segments: pd.DataFrame, domain: str, n: int = 3) -> list[str]:
    """The ``n`` codes most often coded in ``domain`` across all sites (ties: alphabetical)."""
    counts = segments.loc[segments["domain"] == domain, "code"].value_counts()
    frame = (
        counts.rename_axis("code")
        .reset_index(name="n")
        .sort_values(["n", "code"], ascending=[False, True], kind="stable")
    )
    return frame["code"].head(n).tolist()


def code_labels() -> dict[str, str]:
    book = codebook()
    return dict(zip(book["code"], book["label"]))


@dataclass
class FrameworkMatrix:
    """Facilitator and barrier counts per site and stage, protected for publication."""

    base: pd.DataFrame  # rows site x stage: facilitator, barrier (true counts)
    protected: disclosure.ProtectedTable  # the base with row totals, suppression applied
    shares: pd.DataFrame  # facilitator share (%) of each site-stage cell, protected

    def counts_wide(self, domain: str, labels: dict[str, str] | None = None) -> pd.DataFrame:
        """Display matrix: sites (rows) x stages (columns) of one domain's counts ('c' where withheld)."""
        return self._wide(self.protected.table, domain, labels)

    def totals_wide(self, labels: dict[str, str] | None = None) -> pd.DataFrame:
        return self._wide(self.protected.table, disclosure.TOTAL, labels)

    def shares_wide(self, labels: dict[str, str] | None = None) -> pd.DataFrame:
        """Display matrix of the facilitator share (%) per site and stage."""
        return self._wide(self.shares, "facilitator", labels)

    def _wide(self, table, column, labels):
        labels = labels or site_labels()
        body = table.iloc[: len(self.base)]
        wide = pd.DataFrame(
            {STAGE_LABELS[g]: [body.loc[(s, g), column] for s in self.sites] for g in STAGE_IDS},
            index=pd.Index([labels.get(s, s) for s in self.sites], name="Site"),
            dtype=object,
        )
        return wide

    @property
    def sites(self) -> list[str]:
        return list(dict.fromkeys(self.base.index.get_level_values("site_id")))

    def share_array(self) -> np.ndarray:
        """Facilitator shares as floats (NaN where withheld or empty) in site x stage order."""
        wide = self._wide(self.shares, "facilitator", {s: s for s in self.sites})
        return wide.apply(
            lambda col: pd.to_numeric(col.where(~col.isin([disclosure.SUPPRESSED, disclosure.EMPTY])), errors="coerce")
        ).to_numpy(dtype=float)

    def share_status(self) -> np.ndarray:
        """'shown', 'c' (withheld) or '-' (no segments) for each site x stage cell."""
        wide = self._wide(self.shares, "facilitator", {s: s for s in self.sites}).to_numpy(dtype=object)
        return np.where(wide == disclosure.SUPPRESSED, "c", np.where(wide == disclosure.EMPTY, "-", "shown"))


def framework_matrix(
    segments: pd.DataFrame, threshold: int = 5, site_ids: Sequence[str] | None = None
) -> FrameworkMatrix:
    """The site x stage x domain matrix of coded segments, counts and shares, protected."""
    counts = segment_counts(segments, ("site_id", "stage", "domain"))
    if site_ids is not None:
        counts = counts[counts["site_id"].isin(site_ids)]
    base = counts.pivot_table(
        index=["site_id", "stage"], columns="domain", values="segments", aggfunc="sum", sort=False
    )
    base = base.reindex(columns=list(DOMAINS), fill_value=0).astype(int)
    base.columns.name = None
    protected = disclosure.protect(base, list(DOMAINS), threshold=threshold, totals="row")
    shares = disclosure.protected_shares(base, protected, list(DOMAINS), axis="row", decimals=0)
    return FrameworkMatrix(base=base, protected=protected, shares=shares)


# ---------------------------------------------------------------------------------------
# Cross-case comparison
# ---------------------------------------------------------------------------------------
def site_code_profile(segments: pd.DataFrame) -> pd.DataFrame:
    """Per site and code: segments, facilitator segments, prevalence per 100 segments at the
    site, and the facilitator share of that code's segments (NaN when the code is absent)."""
    counts = segments.groupby(["site_id", "code", "domain"]).size().unstack("domain", fill_value=0)
    counts = counts.reindex(columns=list(DOMAINS), fill_value=0)
    sites = [s for s in SITE_IDS if s in set(segments["site_id"])]
    codes = sorted(segments["code"].unique())
    counts = counts.reindex(pd.MultiIndex.from_product([sites, codes], names=["site_id", "code"]), fill_value=0)
    out = counts.reset_index()
    out["segments"] = out["facilitator"] + out["barrier"]
    site_total = out.groupby("site_id")["segments"].transform("sum")
    out["per_100"] = 100 * out["segments"] / site_total
    out["facilitator_share"] = np.where(
        out["segments"] > 0, 100 * out["facilitator"] / out["segments"].where(out["segments"] > 0, 1), np.nan
    )
    return out


def cross_case(segments: pd.DataFrame, groups, threshold: int = 5) -> dict:
    """What distinguishes one group of sites from the rest, code by code.

    ``groups`` maps site -> True (the group of interest, e.g. sustained or grew) / False;
    a DataFrame from :func:`journey_summary` uses its ``sustained`` column. For each code:
    the mean over sites of its prevalence (segments per 100 coded at the site) and of its
    facilitator share, in each group; the differences (group minus rest) and exact
    two-sided permutation p-values over the site labels. Returns ``table`` (the values),
    ``protected_counts`` (segments per code and group after disclosure control, used to
    withhold shares in :func:`cross_case_display`), ``groups``, ``n_in``, ``n_sites`` and
    ``smallest_p``, the smallest p-value the design can produce. Exploratory: with six
    cases, chance alone often produces differences as large.
    """
    if isinstance(groups, pd.DataFrame):
        groups = dict(zip(groups["site_id"], groups["sustained"]))
    groups = {s: bool(v) for s, v in groups.items()}
    label = {s: ("in" if v else "out") for s, v in groups.items()}
    prof = site_code_profile(segments)
    prof = prof[prof["site_id"].isin(groups)]
    rows = []
    for code, part in prof.groupby("code", sort=True):
        prev = dict(zip(part["site_id"], part["per_100"]))
        share = dict(zip(part["site_id"], part["facilitator_share"]))
        d_prev, p_prev, _ = permutation_p(prev, label, "in")
        d_share, p_share, n_perm = permutation_p(share, label, "in")
        g = part.assign(group=part["site_id"].map(label))
        mean_prev = g.groupby("group")["per_100"].mean()
        mean_share = g.groupby("group")["facilitator_share"].mean()
        n_seg = g.groupby("group")["segments"].sum()
        rows.append(
            {
                "code": code,
                "segments_in": int(n_seg.get("in", 0)),
                "segments_out": int(n_seg.get("out", 0)),
                "per_100_in": mean_prev.get("in", np.nan),
                "per_100_out": mean_prev.get("out", np.nan),
                "per_100_difference": d_prev,
                "per_100_p": p_prev,
                "share_in": mean_share.get("in", np.nan),
                "share_out": mean_share.get("out", np.nan),
                "share_difference": d_share,
                "share_p": p_share,
                "relabellings": n_perm,
            }
        )
    table = pd.DataFrame(rows)
    k = sum(groups.values())
    n = len(groups)
    comparable = 0 < k < n
    protected = None
    if comparable:
        counts = table.set_index("code")[["segments_in", "segments_out"]]
        protected = disclosure.protect(counts, threshold=threshold, totals="column")
    return {
        "table": table,
        "protected_counts": protected,
        "groups": groups,
        "n_in": k,
        "n_sites": n,
        "comparable": comparable,
        "smallest_p": smallest_p(n, k) if comparable else float("nan"),
    }
