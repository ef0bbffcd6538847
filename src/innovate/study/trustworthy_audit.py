"""The trustworthy-innovation audit (after Hampson, Goldsmith and Lefevre 2021): the book's
own questions, the rubric that scores them from the coded segments, and the tables of
scores by site, stage and principle. :mod:`innovate.study.process` describes the analysis
and is where the chapters find these names."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from innovate.data.paths import reference_dir
from innovate.data.schemas import PARTICIPANT_ROLES
from innovate.data.sites import SITE_IDS, STAGE_IDS, codebook
from innovate.errors import DataError, Problem, missing_columns

AUDIT_FILE = "trustworthy_audit_questions.csv"
PRINCIPLES = ("rights", "participation", "social_justice", "safety", "transparency", "accountability")
AUDIT_COLUMNS = ("question_id", "principle", "stage", "question", "evidence_codes", "evidence_roles", "grounding")
SCORE_LABELS = {0: "Not evidenced", 1: "Concern", 2: "Partly met", 3: "Met"}


def audit_questions(folder=None, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """The book's trustworthy-innovation questions, validated; code and role lists split."""
    path = (folder or reference_dir()) / AUDIT_FILE
    file = f"data/reference/{AUDIT_FILE}"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8").astype(object)
    problems = missing_columns(frame, AUDIT_COLUMNS, file)
    if problems:
        raise DataError(problems)
    known = set(codes) if codes is not None else set(codebook()["code"])
    for i, r in frame.iterrows():
        row = int(i) + 1
        for c in AUDIT_COLUMNS:
            if not str(r[c]).strip():
                problems.append(Problem(file, "required-value", "must not be empty", c, row))
        if r["principle"] not in PRINCIPLES:
            problems.append(Problem(file, "allowed-values", f"one of {PRINCIPLES}", "principle", row, r["principle"]))
        if r["stage"] != "all" and r["stage"] not in STAGE_IDS:
            problems.append(Problem(file, "allowed-values", "a stage id or 'all'", "stage", row, r["stage"]))
        for code in str(r["evidence_codes"]).split(";"):
            if code.strip() and code.strip() not in known:
                problems.append(
                    Problem(
                        file,
                        "codebook",
                        "evidence code not in data/reference/codebook.csv",
                        "evidence_codes",
                        row,
                        code,
                    )
                )
        roles = str(r["evidence_roles"]).split(";")
        if roles != ["any"]:
            for role in roles:
                if role.strip() not in PARTICIPANT_ROLES:
                    problems.append(
                        Problem(
                            file,
                            "allowed-values",
                            "'any' or participant roles separated by ';'",
                            "evidence_roles",
                            row,
                            role,
                        )
                    )
    for i in frame.index[frame["question_id"].duplicated()]:
        problems.append(
            Problem(file, "unique-key", "duplicate question_id", "question_id", int(i) + 1, frame.at[i, "question_id"])
        )
    if problems:
        raise DataError(problems)
    frame["codes"] = [tuple(c.strip() for c in s.split(";") if c.strip()) for s in frame["evidence_codes"]]
    frame["roles"] = [None if s == "any" else tuple(r.strip() for r in s.split(";")) for s in frame["evidence_roles"]]
    return frame


def score_from_share(
    n_segments: int, share: float, min_segments: int = 3, cuts: tuple[float, float] = (40.0, 70.0)
) -> int:
    """The audit rubric for one question, site and stage.

    0 *not evidenced*: fewer than ``min_segments`` relevant coded segments;
    1 *concern*: facilitators under ``cuts[0]`` % of them;
    2 *partly met*: ``cuts[0]`` % up to ``cuts[1]`` %;
    3 *met*: ``cuts[1]`` % or more.
    """
    if n_segments < min_segments:
        return 0
    if share < cuts[0]:
        return 1
    if share < cuts[1]:
        return 2
    return 3


def stages_reached(episodes: pd.DataFrame) -> dict[str, set[str]]:
    """The stages each site had entered by the end of the study."""
    return {s: set(part["stage"]) for s, part in episodes.groupby("site_id", sort=False)}


def audit_scores(
    segments: pd.DataFrame,
    questions: pd.DataFrame,
    min_segments: int = 3,
    cuts: tuple[float, float] = (40.0, 70.0),
    reached: Mapping[str, Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Score every question for every site and stage it applies to (see :func:`score_from_share`).

    Evidence for a question at a site and stage is the coded segments of that site and stage
    whose code is one of the question's ``evidence_codes`` and, where the question names
    ``evidence_roles``, whose speaker held one of those roles (a question about young
    people's participation is evidenced only by young people's and families' own
    accounts). The score is read from the facilitator share of that evidence. Absence of
    evidence scores 0: an innovation cannot show it is trustworthy without it.
    Rows for stages a question does not cover carry ``applies = False`` and no score; with
    ``reached`` (site -> stages entered, from :func:`stages_reached`), so do stages a site
    never reached (``reached = False``): there is nothing there to audit.
    """
    sites = [s for s in SITE_IDS if s in set(segments["site_id"])]
    rows = []
    seg = segments
    for _, q in questions.iterrows():
        relevant = seg[seg["code"].isin(q["codes"])]
        if q["roles"] is not None:
            relevant = relevant[relevant["participant_role"].isin(q["roles"])]
        n = relevant.groupby(["site_id", "stage"]).size()
        f = relevant[relevant["domain"] == "facilitator"].groupby(["site_id", "stage"]).size()
        for s in sites:
            for g in STAGE_IDS:
                got_there = reached is None or g in set(reached.get(s, ()))
                applies = (q["stage"] == "all" or q["stage"] == g) and got_there
                n_sg = int(n.get((s, g), 0))
                f_sg = int(f.get((s, g), 0))
                share = 100 * f_sg / n_sg if n_sg else np.nan
                rows.append(
                    {
                        "site_id": s,
                        "question_id": q["question_id"],
                        "principle": q["principle"],
                        "stage": g,
                        "reached": got_there,
                        "applies": applies,
                        "segments": n_sg if applies else 0,
                        "facilitators": f_sg if applies else 0,
                        "share": share if applies else np.nan,
                        "score": score_from_share(n_sg, share, min_segments, cuts) if applies else np.nan,
                    }
                )
    return pd.DataFrame(rows)


def audit_matrix(scores: pd.DataFrame, site_id: str) -> pd.DataFrame:
    """Questions (rows) x stages (columns) of one site's scores (NaN where not applicable)."""
    part = scores[scores["site_id"] == site_id]
    wide = part.pivot_table(
        index="question_id", columns="stage", values="score", aggfunc="first", dropna=False, sort=False
    )
    order = list(dict.fromkeys(part["question_id"]))
    return wide.reindex(index=order, columns=list(STAGE_IDS))


def audit_overview(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean score over the questions that apply, per site (rows) and stage (columns)."""
    part = scores[scores["applies"]]
    wide = part.pivot_table(index="site_id", columns="stage", values="score", aggfunc="mean", sort=False)
    order = [s for s in SITE_IDS if s in wide.index]
    return wide.reindex(index=order, columns=list(STAGE_IDS))


def principle_summary(scores: pd.DataFrame) -> pd.DataFrame:
    """Per principle, over every audited site, question and stage: cells audited, mean score
    and the percentage of cells with no evidence (score 0)."""
    part = scores[scores["applies"]]
    out = part.groupby("principle").agg(
        cells=("score", "size"), mean_score=("score", "mean"), not_evidenced=("score", lambda s: 100 * (s == 0).mean())
    )
    return out.reindex([p for p in PRINCIPLES if p in out.index]).reset_index()
