"""The book's practice model for complex safeguarding, as data and as two conceptual figures.

The model has a core (a trusted relationship: being *known by* professionals), four
components around it, an organisational ring (the conditions that let practitioners work
this way) and an outer structural ring (the conditions that shape harm and that services
alone cannot change). Each component lists its principles, its tensions, the published
sources it rests on (keys of ``references.bib``) and the trustworthy-innovation audit
questions (``data/reference/trustworthy_audit_questions.csv``) that would test it. The
tests check those keys and question ids against the files, so the model cannot cite
what the book does not hold.

Both figures are **conceptual**: they draw no data, real or synthetic, and carry no
synthetic-data watermark. Colours are the Okabe-Ito palette of :mod:`innovate.show.figures`,
and every colour is paired with a text label, so colour is never the only cue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.patches import Circle, FancyArrowPatch, Wedge

from innovate.show.figures import PALETTE, apply_style


@dataclass(frozen=True)
class Component:
    """One component of the practice model."""

    key: str
    title: str
    short: tuple[str, ...]  # two or three words a line, drawn in the figure
    principles: tuple[str, ...]
    tensions: tuple[str, ...]
    sources: tuple[str, ...]
    audit_questions: tuple[str, ...]
    colour: str


CORE = ("Known by", "professionals:", "a trusted", "relationship")

COMPONENTS: tuple[Component, ...] = (
    Component(
        key="partners",
        title="Young people and families as partners",
        short=("Young people and", "families as partners"),
        principles=(
            "Participation as influence, with feedback on what changed",
            "A working alliance with parents, not only an assessment of parenting",
            "Co-design at every stage of an innovation",
        ),
        tensions=(
            "Partnership when danger is acute or a parent is implicated",
            "Tokenism and participation fatigue",
        ),
        sources=(
            "lefevre2019bothand",
            "featherstone2014reimagining",
            "firmin2022beyond",
            "cocker2022transitional",
            "hampson2021ethical",
            "ruch2010relationship",
        ),
        audit_questions=("TQ01", "TQ03", "TQ10", "TQ13"),
        colour=PALETTE["blue"],
    ),
    Component(
        key="contexts",
        title="Assessing peer, environmental, individual and familial risk",
        short=("Peer, place, person", "and family risk"),
        principles=(
            "The context is a target of intervention, not only the child",
            "Welfare before criminal justice",
            "Lawful, proportionate information-sharing that the young person knows about",
            "Name the structural drivers of harm",
        ),
        tensions=(
            "Privacy against contextual intervention",
            "Net-widening and stigmatising places",
            "Capture by policing; racial profiling",
        ),
        sources=(
            "firmin2020contextual",
            "firmin2022beyond",
            "wroe2020watching",
            "lloyd2020nfa",
            "csprp2020hard",
            "hmg2023working",
        ),
        audit_questions=("TQ02", "TQ04", "TQ12"),
        colour=PALETTE["bluish_green"],
    ),
    Component(
        key="trauma",
        title="Understanding and mitigating trauma for young people and practitioners",
        short=("Trauma: young people", "and practitioners"),
        principles=(
            "Realise, recognise, respond, and resist re-traumatisation",
            "Treat service actions (relocation, secure care, repeated assessment) as possible harms",
            "Containment, supervision and reflective space for staff",
            "Choice and control as capabilities",
        ),
        tensions=(
            "Pathologising; trauma as a new label",
            "Safety through restriction",
            "Thin evidence; staff care treated as a cost",
        ),
        sources=(
            "samhsa2014trauma",
            "sweeney2018paradigm",
            "hickle2020trauma",
            "bunting2019trauma",
            "menzies1960defence",
            "lefevre2025conducive",
        ),
        audit_questions=("TQ05", "TQ07"),
        colour=PALETTE["orange"],
    ),
    Component(
        key="rights",
        title="Protection alongside rights to autonomy, privacy and voice",
        short=("Protection with", "autonomy, privacy, voice"),
        principles=(
            "Both/and: protection and participation together",
            "Rights that grow with age, not a step at eighteen",
            "Every child is a child: guard against adultification",
            "Do not criminalise children who are exploited",
        ),
        tensions=(
            "Autonomy against protection for young people aged 16-25",
            "Adultification as false autonomy",
            "Restriction of liberty; privacy against sharing",
        ),
        sources=(
            "lefevre2019bothand",
            "cocker2022transitional",
            "holmes2018transitional",
            "wroe2020watching",
            "davis2022adultification",
            "davis2020boys",
            "bernard2019intersectional",
        ),
        audit_questions=("TQ04", "TQ09", "TQ13"),
        colour=PALETTE["reddish_purple"],
    ),
)

ORGANISATIONAL_RING = ("Conducive zone", "Containment and supervision", "Trustworthy innovation")
STRUCTURAL_RING = ("Poverty", "Racism", "Exclusion", "Law and thresholds")


def component(key: str) -> Component:
    """The component with this key (KeyError names the known keys)."""
    for c in COMPONENTS:
        if c.key == key:
            return c
    raise KeyError(f"no practice-model component {key!r}; known: {[c.key for c in COMPONENTS]}")


def all_sources() -> list[str]:
    """Every bibliography key the model rests on, in first-use order."""
    return list(dict.fromkeys(k for c in COMPONENTS for k in c.sources))


def all_audit_questions() -> list[str]:
    """Every audit question the model is tested by, sorted."""
    return sorted({q for c in COMPONENTS for q in c.audit_questions})


# ---------------------------------------------------------------------------------------
# Figure 1: the model
# ---------------------------------------------------------------------------------------
_R_CORE, _R_COMPONENTS, _R_ORG, _R_STRUCT = 1.05, 2.35, 2.95, 3.55
_GREY = "#E8E8E8"
_MID = "#CFCFCF"


def _ring_labels(ax, labels, radius, start_deg, span_deg, fontsize, colour="black", weight="normal"):
    """Place labels evenly along an arc, rotated to follow it."""
    n = len(labels)
    for i, label in enumerate(labels):
        angle = np.deg2rad(start_deg - span_deg * (i + 0.5) / n)
        x, y = radius * np.cos(angle), radius * np.sin(angle)
        rotation = np.rad2deg(angle) - 90
        if y < 0:
            rotation += 180
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            rotation=rotation,
            fontsize=fontsize,
            color=colour,
            fontweight=weight,
            rotation_mode="anchor",
        )


def model_figure() -> Figure:
    """The practice model: core, four components, organisational ring and structural ring.

    Arrows cross the rings where the model's main tensions press in from outside (structure
    shaping harm) and where the organisation's anxieties press on practice.
    """
    apply_style()
    # Constrained layout: the house glue (``figures.glue_figure``) then leaves the layout alone.
    fig = plt.figure(figsize=(7.5, 7.5), layout="constrained")
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)
    engine.set(w_pad=0, h_pad=0)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xlim(-4.1, 4.1)
    ax.set_ylim(-4.1, 4.1)
    ax.set_aspect("equal")
    ax.axis("off")

    ax.add_patch(Circle((0, 0), _R_STRUCT, facecolor=_GREY, edgecolor="black", linewidth=1.0))
    ax.add_patch(Circle((0, 0), _R_ORG, facecolor=_MID, edgecolor="black", linewidth=1.0))
    # Four component quadrants, clockwise from top-left.
    starts = (90, 0, 270, 180)
    for comp, start in zip(COMPONENTS, starts):
        ax.add_patch(
            Wedge(
                (0, 0),
                _R_COMPONENTS,
                start,
                start + 90,
                facecolor=comp.colour,
                edgecolor="white",
                linewidth=2.5,
                alpha=0.9,
            )
        )
    ax.add_patch(Circle((0, 0), _R_CORE, facecolor="white", edgecolor="black", linewidth=1.5))
    ax.text(0, 0, "\n".join(CORE), ha="center", va="center", fontsize=9, fontweight="bold", linespacing=1.2)

    # Component labels in the middle of each quadrant (numbered as in the chapter).
    label_angles = (135, 45, 315, 225)
    for number, (comp, angle) in enumerate(zip(COMPONENTS, label_angles), start=1):
        r = (_R_CORE + _R_COMPONENTS) / 2 + 0.05
        x, y = r * np.cos(np.deg2rad(angle)), r * np.sin(np.deg2rad(angle))
        text = f"C{number}\n" + "\n".join(comp.short)
        colour = "white" if comp.colour == PALETTE["blue"] else "black"  # contrast on each fill
        ax.text(x, y, text, ha="center", va="center", fontsize=8.8, color=colour, fontweight="bold", linespacing=1.25)

    _ring_labels(
        ax,
        ("Organisation: " + ORGANISATIONAL_RING[0],) + ORGANISATIONAL_RING[1:],
        (_R_COMPONENTS + _R_ORG) / 2,
        150,
        300,
        8.2,
    )
    _ring_labels(
        ax, ("Structure: " + STRUCTURAL_RING[0],) + STRUCTURAL_RING[1:], (_R_ORG + _R_STRUCT) / 2, 150, 300, 8.2
    )

    # Pressures crossing the rings: structure shaping harm, anxiety shaping practice.
    arrows = (
        (110, "structure shapes harm"),
        (-70, "anxiety and blame press on practice"),
    )
    for angle, label in arrows:
        a = np.deg2rad(angle)
        tail = (3.95 * np.cos(a), 3.95 * np.sin(a))
        head = (2.05 * np.cos(a), 2.05 * np.sin(a))
        ax.add_patch(
            FancyArrowPatch(tail, head, arrowstyle="-|>", mutation_scale=16, color=PALETTE["vermillion"], linewidth=2.0)
        )
        lx, ly = 4.0 * np.cos(a), 4.0 * np.sin(a)
        ax.text(
            lx,
            ly + (0.12 if ly > 0 else -0.12),
            label,
            ha="center",
            va="bottom" if ly > 0 else "top",
            fontsize=8.2,
            color="black",
            style="italic",
        )

    # Rights gates where information crosses from the contexts component outwards.
    for angle in (20, 70):
        a = np.deg2rad(angle)
        x, y = (_R_COMPONENTS + 0.02) * np.cos(a), (_R_COMPONENTS + 0.02) * np.sin(a)
        ax.plot([x], [y], marker="s", markersize=9, color=PALETTE["black"], markeredgecolor="white")
    gate = np.deg2rad(70)
    ax.annotate(
        "rights gate:\npurpose, lawful basis,\nthe young person's voice",
        xy=((_R_COMPONENTS + 0.02) * np.cos(gate), (_R_COMPONENTS + 0.02) * np.sin(gate)),
        xytext=(4.05, 3.75),
        fontsize=7.8,
        ha="right",
        va="center",
        arrowprops={"arrowstyle": "-", "color": "black", "linewidth": 0.8},
    )
    fig._innovate_conceptual = True  # type: ignore[attr-defined]  # marks a schematic: drawn from no data
    return fig


# ---------------------------------------------------------------------------------------
# Figure 2: protection and autonomy across adolescence and early adulthood (C4)
# ---------------------------------------------------------------------------------------
AGE_MIN, AGE_MAX, LEGAL_AGE = 10, 25, 18


def legal_step(ages: np.ndarray) -> np.ndarray:
    """Today's legal pattern, schematically: full child protection, then none, at eighteen."""
    return np.where(np.asarray(ages, dtype=float) < LEGAL_AGE, 1.0, 0.0)


def graduated(ages: np.ndarray, midpoint: float = 18.0, spread: float = 2.2) -> np.ndarray:
    """A schematic smooth decline of protective intervention with age (a logistic slope)."""
    ages = np.asarray(ages, dtype=float)
    return 1.0 / (1.0 + np.exp((ages - midpoint) / spread))


def age_figure(adultification_shift: float = 2.5) -> Figure:
    """Protection set against autonomy by age: the legal step, the graduated slope and the
    way adultification moves the slope earlier for racialised children. Schematic only."""
    apply_style()
    fig = plt.figure(figsize=(7.0, 4.0), layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    ages = np.linspace(AGE_MIN, AGE_MAX, 301)
    slope = graduated(ages)
    shifted = graduated(ages, midpoint=18.0 - adultification_shift)
    ax.fill_between(
        ages,
        shifted,
        slope,
        color=PALETTE["vermillion"],
        alpha=0.18,
        linewidth=0,
        label="Protection lost to adultification",
    )
    ax.plot(
        ages,
        legal_step(ages),
        color=PALETTE["black"],
        linewidth=2.0,
        linestyle="--",
        label="Today: a legal step at eighteen",
    )
    ax.plot(
        ages, slope, color=PALETTE["blue"], linewidth=2.5, label="Model: protection eases gradually as autonomy grows"
    )
    ax.plot(
        ages,
        shifted,
        color=PALETTE["vermillion"],
        linewidth=2.0,
        linestyle=":",
        label="Adultification: the same slope, started too early",
    )
    ax.set_xlim(AGE_MIN, AGE_MAX)
    ax.set_ylim(-0.05, 1.12)
    ax.set_xticks(range(AGE_MIN, AGE_MAX + 1, 1))
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["autonomy\nled", "protection\nled"])
    ax.set_xlabel("Age (years)")
    ax.set_ylabel("Balance of the response")
    ax.grid(False)
    ax.legend(loc="lower left", fontsize=8, frameon=True, framealpha=0.95)
    ax.set_title("Schematic, not data", fontsize=9, loc="left", style="italic")
    fig._innovate_conceptual = True  # type: ignore[attr-defined]  # marks a schematic: drawn from no data
    return fig


def figure_texts(fig: Figure) -> list[str]:
    """Every text string drawn in a figure (titles, labels, annotations, legends)."""
    found = fig.findobj(match=lambda a: hasattr(a, "get_text") and callable(a.get_text))
    texts = [cast(Any, t).get_text() for t in found]  # any artist with text, not only Text
    return [t for t in texts if t]
