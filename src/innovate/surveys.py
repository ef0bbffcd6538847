"""Young people's and families' experience, and the learning network's circles of engagement.

Both surveys give ordered answers, so both are modelled with proportional-odds
(cumulative logit) models, statsmodels' ``OrderedModel`` with a logit link:

    P(Y <= j | x) = expit(theta_j - x'beta),   j = 1 .. K-1

so ``exp(beta)`` is the odds ratio of answering in a higher category. Designs are built
here (dummy columns against a stated reference level) rather than from a formula, so
that counterfactual predictions are simple and transparent:

* **Standardised predictions** (marginal standardisation): every respondent is given the
  level of interest (a site, a framework, a nation) and keeps their other characteristics;
  the predicted probabilities are averaged. Differences between sites then do not reflect
  differences in who answered.
* **Intervals** for those predictions come from parametric simulation: parameter vectors
  drawn from the estimated multivariate normal (a fixed seed, so the book is
  reproducible), the standardised prediction recomputed for each, and the 2.5th and
  97.5th percentiles taken.

Rows with a missing answer or covariate are left out of that model only, and the count
left out is reported with the fit (``n_missing``); nothing is dropped silently. When the
same respondent (or organisation) gives several rows, standard errors are cluster-robust
by respondent.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from innovate import disclosure, figures
from innovate.errors import DataError, Problem
from innovate.schemas import SURVEY_ITEMS
from innovate.sites import FRAMEWORK_LABELS, FRAMEWORKS, SITE_IDS

#: The experience-survey items, as the schema defines them (the single truth).
ITEMS: tuple[str, ...] = SURVEY_ITEMS
ITEM_LABELS = {
    "listened_to": "I felt listened to",
    "trusted_worker": "I trusted my worker",
    "felt_safer": "I (or my child) felt safer",
    "partner_in_decisions": "I was a partner in decisions",
    "help_fitted_needs": "The help fitted my needs",
    "overall_experience": "Overall, my experience was good",
}
AGREEMENT = (1, 2, 3, 4, 5)
AGREEMENT_LABELS = {1: "Strongly disagree", 2: "Disagree", 3: "Neither", 4: "Agree", 5: "Strongly agree"}
RESPONDENT_LABELS = {"young_person": "Young people", "parent_carer": "Parents and carers"}
ENGAGEMENT = ("aware", "exploring", "adopting", "embedded")
ENGAGEMENT_LABELS = {"aware": "Aware", "exploring": "Exploring", "adopting": "Adopting", "embedded": "Embedded"}
NATIONS = ("England", "Scotland", "Wales", "Northern Ireland", "Overseas")
ORGANISATION_TYPES = ("local_authority", "voluntary_sector", "health", "police", "education", "other")
TRANSFERABILITY = (1, 2, 3, 4, 5)
SITE_FRAMEWORK = {s: f for f, pair in FRAMEWORKS.items() for s in pair}


# ---------------------------------------------------------------------------------------
# Designs and fits
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    """A categorical predictor: its column, its levels in order and its reference level."""

    column: str
    levels: tuple
    reference: object

    def dummies(self) -> list[str]:
        return [f"{self.column}[{lvl}]" for lvl in self.levels if lvl != self.reference]


def design(frame: pd.DataFrame, factors: Sequence[Factor], numeric: Sequence[str] = ()) -> pd.DataFrame:
    """Dummy columns for each factor (reference left out) and the numeric columns as floats."""
    cols = {}
    for f in factors:
        values = frame[f.column].astype(object)
        for lvl in f.levels:
            if lvl != f.reference:
                cols[f"{f.column}[{lvl}]"] = (values == lvl).astype(float).to_numpy()
    for c in numeric:
        cols[c] = frame[c].astype(float).to_numpy()
    return pd.DataFrame(cols, index=frame.index)


@dataclass
class OrdinalFit:
    """A fitted proportional-odds model and what is needed to predict from it."""

    outcome: str
    categories: tuple
    factors: tuple
    numeric: tuple
    data: pd.DataFrame  # the rows used
    params: pd.Series
    cov: pd.DataFrame
    n_used: int
    n_missing: int
    n_clusters: int | None
    converged: bool
    model: object = field(repr=False)

    @property
    def n_thresholds(self) -> int:
        return len(self.categories) - 1

    def odds_ratios(self) -> pd.DataFrame:
        """exp(beta) with 95% Wald intervals and p-values for every covariate (not thresholds)."""
        from scipy.stats import norm

        names = list(self.params.index[: len(self.params) - self.n_thresholds])
        b = self.params[names]
        se = np.sqrt(np.diag(self.cov.loc[names, names]))
        z = b / se
        return pd.DataFrame(
            {
                "term": names,
                "odds_ratio": np.exp(b.to_numpy()),
                "lower": np.exp(b.to_numpy() - 1.959963984540054 * se),
                "upper": np.exp(b.to_numpy() + 1.959963984540054 * se),
                "p": 2 * norm.sf(np.abs(z.to_numpy())),
            }
        )

    def _exog(self, frame: pd.DataFrame) -> np.ndarray:
        return design(frame, self.factors, self.numeric).to_numpy(dtype=float)

    def probabilities(self, frame: pd.DataFrame | None = None, params: np.ndarray | None = None) -> np.ndarray:
        """Predicted probability of each category (rows x categories)."""
        frame = self.data if frame is None else frame
        params = self.params.to_numpy() if params is None else params
        return np.asarray(self.model.predict(params, exog=self._exog(frame)))

    def standardised(
        self,
        column: str,
        levels: Sequence | None = None,
        top: Sequence | None = None,
        draws: int = 500,
        seed: int = 20240601,
        within: Mapping[str, object] | None = None,
    ) -> pd.DataFrame:
        """Marginally standardised probabilities for each level of ``column``.

        Every used row is set to the level and the predictions averaged. With ``top`` (the
        categories to add up, e.g. agree and strongly agree) one probability per level is
        returned with a simulation interval; otherwise one row per level and category.
        ``within`` restricts the rows averaged over (e.g. respondent_type='young_person').
        """
        factor = {f.column: f for f in self.factors}[column]
        levels = list(factor.levels) if levels is None else list(levels)
        if top is not None:
            fit = self
            if within:
                base = self.data
                for k, v in within.items():
                    base = base[base[k] == v]
                fit = OrdinalFit(**{**self.__dict__, "data": base})
            return standardised_grid(fit, [{column: lvl} for lvl in levels], top=top, draws=draws, seed=seed)
        base = self.data
        if within:
            for k, v in within.items():
                base = base[base[k] == v]
        rows = []
        for lvl in levels:
            probs = self.probabilities(base.assign(**{column: lvl})).mean(axis=0)
            for cat, p in zip(self.categories, probs):
                rows.append({column: lvl, "category": cat, "probability": float(p)})
        return pd.DataFrame(rows)


def fit_ordinal(
    frame: pd.DataFrame,
    outcome: str,
    categories: Sequence,
    factors: Sequence[Factor],
    numeric: Sequence[str] = (),
    cluster: str | None = None,
    file: str = "survey",
) -> OrdinalFit:
    """Fit a proportional-odds logit model; rows missing the outcome or a covariate are
    counted in ``n_missing`` and left out of this model only."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    needed = [outcome] + [f.column for f in factors] + list(numeric)
    missing_cols = [c for c in needed + ([cluster] if cluster else []) if c not in frame.columns]
    if missing_cols:
        raise DataError([Problem(file, "required-column", "column needed by the model is missing", column=c) for c in missing_cols])
    problems = []
    for f in factors:
        bad = ~frame[f.column].isna() & ~frame[f.column].isin(f.levels)
        for pos in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(file, "allowed-values", f"not one of {list(f.levels)}", f.column, int(pos) + 1, frame[f.column].iloc[pos]))
    out_ok = frame[outcome].isna() | frame[outcome].isin(categories)
    for pos in np.flatnonzero(~out_ok.to_numpy()):
        problems.append(Problem(file, "allowed-values", f"answer not one of {list(categories)}", outcome, int(pos) + 1, frame[outcome].iloc[pos]))
    if problems:
        raise DataError(problems)
    used = frame.dropna(subset=needed)
    n_missing = len(frame) - len(used)
    present = [c for c in categories if (used[outcome] == c).any()]
    endog = pd.Series(pd.Categorical(used[outcome], categories=present, ordered=True), index=used.index, name=outcome)
    exog = design(used, factors, numeric)
    # a dummy with no rows cannot be estimated: say so rather than fail obscurely
    empty = [c for c in exog.columns if exog[c].sum() == 0 and "[" in c]
    if empty:
        raise DataError([Problem(file, "model.empty_level", "no answers at this level; leave it out or merge it", column=c) for c in empty])
    model = OrderedModel(endog, exog, distr="logit")
    kwargs = {}
    n_clusters = None
    if cluster is not None:
        groups = pd.factorize(used[cluster])[0]
        n_clusters = int(groups.max() + 1)
        kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(method="bfgs", disp=False, maxiter=2000, **kwargs)
        converged = bool(res.mle_retvals.get("converged", False)) and bool(np.all(np.isfinite(np.asarray(res.bse))))
        if not converged:  # a second, derivative-free attempt from where BFGS stopped
            res = model.fit(start_params=np.asarray(res.params), method="nm", disp=False, maxiter=20000, **kwargs)
            res = model.fit(start_params=np.asarray(res.params), method="bfgs", disp=False, maxiter=2000, **kwargs)
            converged = bool(res.mle_retvals.get("converged", False)) and bool(np.all(np.isfinite(np.asarray(res.bse))))
    names = list(exog.columns) + [f"{a}/{b}" for a, b in zip(present[:-1], present[1:])]
    params = pd.Series(np.asarray(res.params), index=names)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=names, columns=names)
    return OrdinalFit(
        outcome=outcome,
        categories=tuple(present),
        factors=tuple(factors),
        numeric=tuple(numeric),
        data=used,
        params=params,
        cov=cov,
        n_used=len(used),
        n_missing=n_missing,
        n_clusters=n_clusters,
        converged=converged,
        model=model,
    )


def _category_probabilities(fit: OrdinalFit, exog: np.ndarray, params: np.ndarray) -> np.ndarray:
    """P(category) for rows x parameter vectors: array (rows, vectors, categories).

    Cumulative logit: P(Y <= j) = expit(theta_j - x'beta), with the thresholds stored as
    in statsmodels (the first as is, the later ones as log increments).
    """
    from scipy.special import expit

    params = np.atleast_2d(params)
    k = exog.shape[1]
    beta, raw = params[:, :k], params[:, k:]
    theta = np.cumsum(np.column_stack([raw[:, 0], np.exp(raw[:, 1:])]), axis=1)  # (vectors, K-1)
    eta = exog @ beta.T  # (rows, vectors)
    cdf = expit(theta[None, :, :] - eta[:, :, None])  # (rows, vectors, K-1)
    n, v = eta.shape
    cdf = np.concatenate([np.zeros((n, v, 1)), cdf, np.ones((n, v, 1))], axis=2)
    return np.diff(cdf, axis=2)


def standardised_grid(fit: OrdinalFit, settings: Sequence[Mapping[str, object]], top: Sequence, draws: int = 500, seed: int = 20240601) -> pd.DataFrame:
    """Standardised P(top categories) for each setting (a mapping column -> level).

    For each setting every row used by the model takes those levels; predictions are
    averaged. Intervals: 2.5th and 97.5th percentiles over ``draws`` parameter vectors
    simulated from the fit's estimate and covariance with ``default_rng(seed)``.
    """
    idx = [fit.categories.index(c) for c in top]
    sims = np.random.default_rng(seed).multivariate_normal(fit.params.to_numpy(), fit.cov.to_numpy(), size=draws, method="cholesky")
    rows = []
    for setting in settings:
        x = fit._exog(fit.data.assign(**setting))
        # rows sharing a covariate pattern share a prediction: average over the patterns
        patterns, weights = np.unique(x, axis=0, return_counts=True)
        w = weights / weights.sum()
        est = float(w @ _category_probabilities(fit, patterns, fit.params.to_numpy())[:, 0, idx].sum(axis=1))
        sim = w @ _category_probabilities(fit, patterns, sims)[:, :, idx].sum(axis=2)
        rows.append({**setting, "probability": float(est), "lower": float(np.quantile(sim, 0.025)), "upper": float(np.quantile(sim, 0.975))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# Experience survey
# ---------------------------------------------------------------------------------------
def with_framework(survey: pd.DataFrame) -> pd.DataFrame:
    """The survey with each respondent's site framework added."""
    return survey.assign(framework=survey["site_id"].map(SITE_FRAMEWORK))


def _sites_in(survey) -> tuple:
    return tuple(s for s in SITE_IDS if s in set(survey["site_id"]))


def experience_fit(survey: pd.DataFrame, item: str, by: str = "site_id") -> OrdinalFit:
    """One item modelled by site (or framework), adjusted for respondent type and wave."""
    if item not in ITEMS:
        raise KeyError(f"unknown item {item!r}")
    data = with_framework(survey)
    if by == "site_id":
        sites = _sites_in(data)
        group = Factor("site_id", sites, sites[0])
    elif by == "framework":
        fws = tuple(f for f in FRAMEWORKS if f in set(data["framework"]))
        group = Factor("framework", fws, fws[0])
    else:
        raise ValueError("by must be 'site_id' or 'framework'")
    factors = [group, Factor("respondent_type", ("parent_carer", "young_person"), "parent_carer"), Factor("wave", (1, 2), 1)]
    return fit_ordinal(data, item, AGREEMENT, factors, file="experience_survey.csv")


def agreement_table(survey: pd.DataFrame, by: str = "site_id", draws: int = 500, seed: int = 20240601) -> pd.DataFrame:
    """Standardised probability of agreeing (4 or 5) with each item, per site or framework.

    Long frame: item, group, probability, lower, upper, n_used, n_missing.
    """
    rows = []
    for item in ITEMS:
        fit = experience_fit(survey, item, by)
        pred = fit.standardised(by, top=(4, 5), draws=draws, seed=seed)
        pred = pred.rename(columns={by: "group"})
        pred.insert(0, "item", item)
        pred["n_used"] = fit.n_used
        pred["n_missing"] = fit.n_missing
        rows.append(pred)
    return pd.concat(rows, ignore_index=True)


def respondents_table(survey: pd.DataFrame, threshold: int = 5, labels: Mapping[str, str] | None = None) -> disclosure.ProtectedTable:
    """Respondents by site and type (counts of people), protected, with totals."""
    counts = survey.groupby(["site_id", "respondent_type"]).size().unstack("respondent_type", fill_value=0)
    counts = counts.reindex(index=list(_sites_in(survey)), columns=list(RESPONDENT_LABELS), fill_value=0)
    labels = labels or {}
    counts.index = pd.Index([labels.get(s, s) for s in counts.index], name="Site")
    counts.columns = [RESPONDENT_LABELS[c] for c in counts.columns]
    return disclosure.protect(counts, threshold=threshold, totals="both")


def partnership_fit(survey: pd.DataFrame) -> OrdinalFit:
    """Within-respondent comparison: is partnership in decisions rated lower than the other items?

    Every answer of every respondent in one proportional-odds model with the item (reference:
    ``partner_in_decisions``), site, respondent type and wave; standard errors cluster-robust
    by respondent, since each answers several items. An odds ratio above 1 for an item means
    it is rated higher than partnership by the same people.
    """
    long = survey.melt(
        id_vars=["respondent_id", "site_id", "respondent_type", "wave"], value_vars=list(ITEMS), var_name="item", value_name="answer"
    )
    sites = _sites_in(survey)
    order = ("partner_in_decisions",) + tuple(i for i in ITEMS if i != "partner_in_decisions")
    factors = [
        Factor("item", order, "partner_in_decisions"),
        Factor("site_id", sites, sites[0]),
        Factor("respondent_type", ("parent_carer", "young_person"), "parent_carer"),
        Factor("wave", (1, 2), 1),
    ]
    return fit_ordinal(long, "answer", AGREEMENT, factors, cluster="respondent_id", file="experience_survey.csv")


def partnership_by_type(survey: pd.DataFrame, draws: int = 500, seed: int = 20240601) -> pd.DataFrame:
    """Standardised probability of agreeing they were partners in decisions, for young
    people and for parents and carers at each site (adjusted for wave)."""
    fit = experience_fit(survey, "partner_in_decisions", "site_id")
    sites = {f.column: f for f in fit.factors}["site_id"].levels
    settings = [{"respondent_type": r, "site_id": s} for r in ("young_person", "parent_carer") for s in sites]
    return standardised_grid(fit, settings, top=(4, 5), draws=draws, seed=seed)


def plot_agreement(table: pd.DataFrame, group_labels: Mapping[str, str] | None = None, items: Sequence[str] = ITEMS):
    """Dot-and-interval plot: P(agree) for each item (rows), one marker shape per group."""
    group_labels = group_labels or {}
    groups = list(dict.fromkeys(table["group"]))
    fig, ax = figures.new_figure("wide", aspect=0.5, layout="constrained")
    n = len(groups)
    offsets = np.linspace(-0.3, 0.3, n) if n > 1 else [0.0]
    for k, g in enumerate(groups):
        part = table[table["group"] == g].set_index("item").reindex(list(items))
        y = np.arange(len(items)) + offsets[k]
        ax.errorbar(
            part["probability"] * 100,
            y,
            xerr=[(part["probability"] - part["lower"]) * 100, (part["upper"] - part["probability"]) * 100],
            fmt=figures.MARKERS[k % len(figures.MARKERS)],
            color=figures.CYCLE[k % len(figures.CYCLE)],
            label=group_labels.get(g, g),
            capsize=2,
            ms=5,
            lw=1,
        )
    ax.set_yticks(range(len(items)))
    ax.set_yticklabels([ITEM_LABELS[i] for i in items])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Agree or strongly agree, % (standardised, 95% interval)")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    return fig


def plot_likert(survey: pd.DataFrame, items: Sequence[str] = ITEMS, by: str = "respondent_type"):
    """Stacked bars of the answers to each item, one bar per group; hatches mark the
    categories so colour is not the only cue. Shares of answered items (percent)."""
    groups = [g for g in RESPONDENT_LABELS if g in set(survey[by])] if by == "respondent_type" else list(dict.fromkeys(survey[by]))
    colours = [figures.PALETTE[c] for c in ("vermillion", "orange", "sky_blue", "bluish_green", "blue")]
    hatches = ["xx", "//", "", "\\\\", ".."]
    fig, ax = figures.new_figure("wide", aspect=0.55, layout="constrained")
    labels = []
    y = 0
    yticks = []
    for item in items:
        for g in groups:
            answers = survey.loc[survey[by] == g, item].dropna()
            shares = [(answers == c).mean() * 100 if len(answers) else 0 for c in AGREEMENT]
            left = 0.0
            for c, share in enumerate(shares):
                ax.barh(y, share, left=left, color=colours[c], hatch=hatches[c], edgecolor="white", height=0.8)
                left += share
            yticks.append(y)
            labels.append(f"{ITEM_LABELS[item]}: {RESPONDENT_LABELS.get(g, g)}")
            y += 1
        y += 0.6
    ax.set_yticks(yticks)
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("Share of answers, %")
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(facecolor=colours[c], hatch=hatches[c], edgecolor="white", label=AGREEMENT_LABELS[v]) for c, v in enumerate(AGREEMENT)],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=5,
        fontsize=8,
    )
    ax.grid(False)
    return fig


# ---------------------------------------------------------------------------------------
# Network survey: circles of engagement and transferability
# ---------------------------------------------------------------------------------------
def _network_factors(net: pd.DataFrame) -> list[Factor]:
    fws = tuple(f for f in FRAMEWORKS if f in set(net["framework"]))
    nations = tuple(n for n in NATIONS if n in set(net["nation"]))
    types = tuple(t for t in ORGANISATION_TYPES if t in set(net["organisation_type"]))
    return [
        Factor("framework", fws, fws[0]),
        Factor("nation", nations, "England" if "England" in nations else nations[0]),
        Factor("organisation_type", types, "local_authority" if "local_authority" in types else types[0]),
    ]


def adoption_fit(net: pd.DataFrame) -> OrdinalFit:
    """Circle of engagement (aware < exploring < adopting < embedded) by framework, nation and
    organisation type, adjusted for years since first contact; cluster-robust by organisation."""
    return fit_ordinal(net, "engagement", ENGAGEMENT, _network_factors(net), numeric=("years_since_first_contact",), cluster="organisation_id", file="network_survey.csv")


def transferability_fit(net: pd.DataFrame) -> OrdinalFit:
    """Perceived transferability (1-5) by framework, nation, organisation type and circle of
    engagement; cluster-robust by organisation."""
    factors = _network_factors(net) + [Factor("engagement", ENGAGEMENT, "aware")]
    return fit_ordinal(net, "perceived_transferability", TRANSFERABILITY, factors, cluster="organisation_id", file="network_survey.csv")


def predicted_by_framework_and_nation(fit: OrdinalFit, top: Sequence, draws: int = 400, seed: int = 20240601) -> pd.DataFrame:
    """Standardised P(top categories) for every framework in every nation, with intervals.

    Each organisation-framework row is set to the framework and nation in turn and the
    predictions averaged over the rows (their other characteristics kept).
    """
    fws = {f.column: f for f in fit.factors}["framework"].levels
    nations = {f.column: f for f in fit.factors}["nation"].levels
    settings = [{"framework": fw, "nation": n} for fw in fws for n in nations]
    return standardised_grid(fit, settings, top=top, draws=draws, seed=seed)


def engagement_counts(net: pd.DataFrame, threshold: int = 5) -> disclosure.ProtectedTable:
    """Organisations in each circle of engagement with each framework (protected, with totals)."""
    counts = net.groupby(["framework", "engagement"]).size().unstack("engagement", fill_value=0)
    fws = [f for f in FRAMEWORKS if f in counts.index]
    counts = counts.reindex(index=fws, columns=list(ENGAGEMENT), fill_value=0)
    counts.index = pd.Index([FRAMEWORK_LABELS[f] for f in counts.index], name="Framework")
    counts.columns = [ENGAGEMENT_LABELS[c] for c in counts.columns]
    return disclosure.protect(counts, threshold=threshold, totals="both")


def organisations_by_nation(net: pd.DataFrame, threshold: int = 5) -> disclosure.ProtectedTable:
    """Organisations responding, by nation and type (each counted once), protected."""
    orgs = net.drop_duplicates("organisation_id")
    counts = orgs.groupby(["nation", "organisation_type"]).size().unstack("organisation_type", fill_value=0)
    counts = counts.reindex(index=[n for n in NATIONS if n in counts.index], columns=[t for t in ORGANISATION_TYPES], fill_value=0)
    counts.index.name = "Nation"
    counts.columns = [t.replace("_", " ").capitalize() for t in counts.columns]
    return disclosure.protect(counts, threshold=threshold, totals="both")


def plot_circles(protected: disclosure.ProtectedTable):
    """Circles of engagement: for each framework, nested circles whose areas are the
    organisations at that circle or closer in (embedded innermost). Labels carry the
    protected counts, so the picture never shows a small count."""
    from matplotlib.patches import Circle

    table = protected.table
    frameworks = [i for i in table.index if i != disclosure.TOTAL]
    # areas from true counts would reveal withheld cells; use the shown (protected) ones and
    # draw withheld circles at the size of the next circle in, dashed
    fig, axes = figures.new_figure("wide", aspect=0.42, ncols=len(frameworks), squeeze=False, layout="constrained")
    levels = [ENGAGEMENT_LABELS[e] for e in ENGAGEMENT]
    colours = [figures.PALETTE[c] for c in ("sky_blue", "yellow", "bluish_green", "blue")]
    shown_totals = [v for f in frameworks for v in [table.loc[f, disclosure.TOTAL]] if v != disclosure.SUPPRESSED]
    biggest = max(shown_totals) if shown_totals else 1
    for ax, fw in zip(axes[0], frameworks):
        ax.set_aspect("equal")
        ax.axis("off")
        cumulative = 0
        radii = []
        known = True
        for lvl in reversed(levels):  # embedded first (innermost)
            v = table.loc[fw, lvl]
            if v == disclosure.SUPPRESSED:
                known = False
            else:
                cumulative += v
            radii.append((lvl, cumulative, v, known))
        for k, (lvl, cum, v, ok) in reversed(list(enumerate(radii))):
            r = np.sqrt(max(cum, 0.5) / biggest)
            colour = colours[len(levels) - 1 - k]
            ax.add_patch(Circle((0, 0), r, facecolor=colour, edgecolor="black", lw=0.8, ls="-" if ok else "--"))
        inner = 0.0
        for k, (lvl, cum, v, ok) in enumerate(radii):
            r = np.sqrt(max(cum, 0.5) / biggest)
            y = 0.0 if k == 0 else (r + inner) / 2  # the middle of the ring
            ax.text(0, y, f"{lvl} {v}", ha="center", va="center", fontsize=7,
                    bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.75))
            inner = r
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        ax.set_title(fw, fontsize=9)
    return fig


def plot_framework_nation(pred: pd.DataFrame, ylabel: str):
    """Dots with intervals: the standardised probability for each framework (marker and
    colour) in each nation (x)."""
    fig, ax = figures.new_figure("wide", aspect=0.45, layout="constrained")
    nations = list(dict.fromkeys(pred["nation"]))
    fws = list(dict.fromkeys(pred["framework"]))
    offsets = np.linspace(-0.2, 0.2, len(fws)) if len(fws) > 1 else [0.0]
    for k, fw in enumerate(fws):
        part = pred[pred["framework"] == fw].set_index("nation").reindex(nations)
        x = np.arange(len(nations)) + offsets[k]
        ax.errorbar(
            x,
            part["probability"] * 100,
            yerr=[(part["probability"] - part["lower"]) * 100, (part["upper"] - part["probability"]) * 100],
            fmt=figures.MARKERS[k],
            color=figures.CYCLE[k],
            label=FRAMEWORK_LABELS.get(fw, fw),
            capsize=2,
            lw=1,
        )
    ax.set_xticks(range(len(nations)))
    ax.set_xticklabels(nations)
    ax.set_ylim(0, 100)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------
# Tables to show
# ---------------------------------------------------------------------------------------
def term_label(term: str, labels: Mapping[str, str] | None = None) -> str:
    """A readable name for a model term such as ``site_id[hackney]`` or ``item[listened_to]``."""
    labels = dict(labels or {})
    if "[" not in term:
        return labels.get(term, term.replace("_", " ").capitalize())
    column, level = term[:-1].split("[", 1)
    names = {
        "site_id": "Site",
        "framework": "Framework",
        "nation": "Nation",
        "organisation_type": "Organisation type",
        "respondent_type": "Respondent",
        "wave": "Wave",
        "item": "Item",
        "engagement": "Circle",
    }
    readable = {
        **{k: v for k, v in ITEM_LABELS.items()},
        **FRAMEWORK_LABELS,
        **RESPONDENT_LABELS,
        **ENGAGEMENT_LABELS,
        **{t: t.replace("_", " ").capitalize() for t in ORGANISATION_TYPES},
        **labels,
    }
    return f"{names.get(column, column)}: {readable.get(level, level)}"


def format_p(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def odds_ratio_display(fit: OrdinalFit, labels: Mapping[str, str] | None = None, terms: Sequence[str] | None = None) -> pd.DataFrame:
    """Odds ratios with 95% intervals and p-values as text, one row per term."""
    ors = fit.odds_ratios()
    if terms is not None:
        ors = ors[ors["term"].isin(terms)]
    return pd.DataFrame(
        {
            "Term (against its reference)": [term_label(t, labels) for t in ors["term"]],
            "Odds ratio": [f"{v:.2f}" for v in ors["odds_ratio"]],
            "95% interval": [f"{lo:.2f} to {hi:.2f}" for lo, hi in zip(ors["lower"], ors["upper"])],
            "p": [format_p(p) for p in ors["p"]],
        }
    )


def agreement_display(table: pd.DataFrame, group_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Items (rows) x groups (columns): standardised % agreeing with its 95% interval, as text."""
    group_labels = group_labels or {}
    groups = list(dict.fromkeys(table["group"]))
    t = table.set_index(["item", "group"])
    data = {}
    for g in groups:
        data[group_labels.get(g, g)] = [
            f"{100 * t.loc[(i, g), 'probability']:.0f} ({100 * t.loc[(i, g), 'lower']:.0f} to {100 * t.loc[(i, g), 'upper']:.0f})"
            for i in ITEMS
        ]
    return pd.DataFrame(data, index=pd.Index([ITEM_LABELS[i] for i in ITEMS], name="Item (% agreeing, 95% interval)"))


def partnership_display(table: pd.DataFrame, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Sites (rows) x respondent types (columns): standardised % agreeing they were partners
    in decisions, with the 95% interval, as text."""
    labels = labels or {}
    sites = list(dict.fromkeys(table["site_id"]))
    t = table.set_index(["respondent_type", "site_id"])
    data = {}
    for rtype in ("young_person", "parent_carer"):
        data[RESPONDENT_LABELS[rtype]] = [
            f"{100 * t.loc[(rtype, s), 'probability']:.0f} ({100 * t.loc[(rtype, s), 'lower']:.0f} to {100 * t.loc[(rtype, s), 'upper']:.0f})"
            for s in sites
        ]
    return pd.DataFrame(data, index=pd.Index([labels.get(s, s) for s in sites], name="Site (% agreeing, 95% interval)"))
