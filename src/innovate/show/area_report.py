"""Figures, tables, captions and alt text for an area's public statistics, and the
standalone area report (``python -m innovate area-report``).

The same functions draw the public-statistics part of an English site chapter and the
report for any local authority, so both show the same figures, tables, caveats and
sources. Everything here is real public statistics: no synthetic label, real names.
"""

from __future__ import annotations

import base64
import html
import io
import math
from pathlib import Path

import pandas as pd

from innovate.show import area_display, figures
from innovate.study import area_profile
from innovate.study.area import PUBLIC_MEASURES, AreaComparison

SHORT = {m: label.replace(" identified at assessment", "") for m, label in PUBLIC_MEASURES.items()}


def _fmt(v, places=1, prefix=""):
    return (
        "not published" if v is None or (isinstance(v, float) and not math.isfinite(v)) else f"{prefix}{v:,.{places}f}"
    )


# ---------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------
def rates_table(profile: area_profile.AreaProfile) -> pd.DataFrame:
    """Latest year with a value for the area, per measure: area, comparison median and
    range, England (rates per 10,000 children; looked-after rate as DfE publishes it)."""
    rows = []
    items = [(SHORT[m], c.summary) for m, c in profile.comparisons.items()]
    items.append(("Children looked after at 31 March (DfE's published rate)", profile.looked_after))
    for label, s in items:
        got = s.dropna(subset=["site"])
        last = got.iloc[-1] if len(got) else None
        places = 0 if label.startswith("Children looked after") else 1
        rows.append(
            {
                "Measure (per 10,000 children)": label,
                "Latest year (ending March)": "" if last is None else str(int(last["year"])),
                profile.spec.name: _fmt(None if last is None else float(last["site"]), places),
                "Comparison areas (median)": "" if last is None else _fmt(float(last["comparison_median"]), places),
                "Comparison areas (range)": ""
                if last is None
                else f"{_fmt(float(last['comparison_min']), places)} to {_fmt(float(last['comparison_max']), places)}",
                "England": "" if last is None else _fmt(float(last["england"]), places),
            }
        )
    return pd.DataFrame(rows)


def spend_table(profile: area_profile.AreaProfile) -> pd.DataFrame:
    """Section 251 gross spend per child aged 0-17 in the latest year, at 2024-25 prices."""
    rows = []
    for line, s in profile.spend.groupby("line", sort=False):
        got = s.dropna(subset=["site"])
        last = got.iloc[-1] if len(got) else None
        rows.append(
            {
                "Spend line (GBP per child aged 0-17, 2024-25 prices)": line,
                "Financial year": "" if last is None else last["financial_year"],
                profile.spec.name: _fmt(None if last is None else float(last["site"]), 0, "£"),
                "Comparison areas (median)": "" if last is None else _fmt(float(last["comparison_median"]), 0, "£"),
                "England": "" if last is None else _fmt(float(last["england"]), 0, "£"),
            }
        )
    return pd.DataFrame(rows)


def _interval(lo, hi, places):
    return "" if pd.isna(lo) or pd.isna(hi) else f"{lo:.{places}f} to {hi:.{places}f}"


def designs_table(table: pd.DataFrame) -> pd.DataFrame:
    """The area analyses with human headers (one row per design, and per check if present)."""
    places = table["key"].map({"its": 2, "cits": 2, "did": 2, "synth": 2})
    out = pd.DataFrame(
        {
            "Design": table["design"],
            "Scale": table["scale"],
            "Estimate": ["" if pd.isna(v) else f"{v:.{p}f}" for v, p in zip(table["estimate"], places, strict=True)],
            "95% interval": [
                _interval(lo, hi, p) for lo, hi, p in zip(table["lower"], table["upper"], places, strict=True)
            ],
            "P-value": ["" if pd.isna(v) else f"{v:.3f}" for v in table["p_value"]],
            "Years before": table["n_pre"].astype(int),
            "Years after": table["n_post"].astype(int),
            "Note": table["note"],
        }
    )
    if "check" in table.columns:
        out.insert(0, "Check", table["check"])
    return out


def comparison_areas_table(profile: area_profile.AreaProfile) -> pd.DataFrame:
    spec = profile.spec
    rows = [{"Comparison area": spec.names.get(c, c), "Code": c, "Used": "yes"} for c in spec.donors]
    rows += [
        {"Comparison area": spec.names.get(c, c), "Code": c, "Used": "no: a study site's area"} for c in spec.excluded
    ]
    return pd.DataFrame(rows)


def sources_table() -> pd.DataFrame:
    return pd.DataFrame([{"Source": s, "Address": u or "see data/public/README.md"} for s, u in area_profile.SOURCES])


# ---------------------------------------------------------------------------------------
# figures and their alt text
# ---------------------------------------------------------------------------------------
def _as_comparison(profile, summary: pd.DataFrame, label: str) -> AreaComparison:
    spec = profile.spec
    return AreaComparison(
        spec.key,
        spec.name,
        spec.name,
        label,
        label,
        spec.first_post_year,
        spec.start_is_assumption,
        pd.DataFrame(),
        summary.reset_index(drop=True),
        spec.excluded,
        (),
    )


def _grid(panels: list[tuple[AreaComparison, str, str]], ncols: int = 3):
    nrows = int(math.ceil(len(panels) / ncols))
    fig, axes = figures.new_figure(
        width="wide", aspect=0.3 * nrows + 0.08, nrows=nrows, ncols=ncols, squeeze=False, layout="constrained"
    )
    flat = axes.ravel()
    for ax, (comp, title, ylabel) in zip(flat, panels):
        area_display.plot_site_vs_neighbours(comp, ax=ax, title=title)
        ax.get_legend().remove()
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xticks(comp.summary["year"].astype(int).tolist()[::2])
        ax.xaxis.label.set_fontsize(8)
    handles, labels = max((a.get_legend_handles_labels() for a in flat[: len(panels)]), key=lambda hl: len(hl[0]))
    area_display._panel_legend(fig, flat, len(panels), handles, labels)
    return fig


def rates_figure(profile: area_profile.AreaProfile):
    panels = [(c, SHORT[m], "Rate per 10,000 children") for m, c in profile.comparisons.items()]
    # the source is in the caption: a source line in the figure collides with the legend below
    return _grid(panels)


def care_and_spend_figure(profile: area_profile.AreaProfile):
    panels = [
        (
            _as_comparison(profile, profile.looked_after, "lac"),
            "Children looked after at 31 March",
            "Per 10,000 children",
        )
    ]
    for line in ("All children's and young people's services", "Children looked after", "Safeguarding"):
        s = profile.spend[profile.spend["line"] == line].drop(columns=["line", "financial_year"])
        panels.append((_as_comparison(profile, s, line), f"Spend: {line.lower()}", "GBP per child, 2024-25 prices"))
    fig = _grid(panels, ncols=2)
    for ax in fig.axes[1:4]:
        ax.set_xlabel("Financial year ending March", fontsize=8)
    return fig


def analysis_figure(profile: area_profile.AreaProfile):
    """The synthetic control when it could be fitted, else the ITS of the area, else the
    area against its comparison areas (what the data do allow)."""
    sc, its_result = profile.results["synth"], profile.results["its"]
    if getattr(sc, "estimable", False):
        return area_display.plot_synthetic_control(sc, treated_label=profile.spec.name)
    if getattr(its_result, "estimable", False):
        return area_display.plot_its(
            its_result,
            title=f"{profile.spec.name}: looked-after children who went missing",
            ylabel="Per 10,000 children",
            xlabel="Year ending 31 March",
            intervention_label="Innovation start" + (" (assumed)" if profile.spec.start_is_assumption else ""),
        )
    comp = profile.comparisons["children_missing"]
    fig, ax = figures.new_figure("text")
    area_display.plot_site_vs_neighbours(comp, ax=ax)
    return fig


def _years(summary: pd.DataFrame) -> str:
    y = summary.dropna(subset=["site", "comparison_median", "england"], how="all")["year"]
    return f"{int(y.min())} to {int(y.max())}" if len(y) else "no years"


def rates_alt(profile: area_profile.AreaProfile) -> str:
    spec = profile.spec
    measures = ", ".join(SHORT[m].lower() for m in profile.comparisons)
    higher = [
        SHORT[m].lower() for m in profile.comparisons if profile.values.get(f"{m.lower()}_vs_neighbours") == "above"
    ]
    return (
        f"Small line charts, one per measure ({measures}), of rates per 10,000 children in {spec.name}, "
        "the median and range of its comparison areas, and England, by year ending March. "
        + (
            f"In the latest year {spec.name} is above its comparison median on {', '.join(higher)} and below it on the others."
            if higher
            else f"In the latest year {spec.name} is below its comparison median on every measure with a value."
        )
        + (" A vertical line marks the innovation start." if spec.first_post_year else "")
    )


def care_and_spend_alt(profile: area_profile.AreaProfile) -> str:
    spec = profile.spec
    lac = profile.values.get("looked_after_vs_neighbours", "")
    spend = profile.values.get("spend_vs_neighbours", "")
    return (
        f"Four line charts for {spec.name}, its comparison areas (median and range) and England: children looked after "
        f"at 31 March per 10,000 children ({_years(profile.looked_after)}), and Section 251 spend per child at 2024-25 "
        "prices on all children's and young people's services, on children looked after and on safeguarding. "
        f"In the latest year {spec.name}'s looked-after rate is {lac} its comparison median and its total spend per "
        f"child is {spend} it."
    )


def analysis_alt(profile: area_profile.AreaProfile) -> str:
    spec = profile.spec
    if getattr(profile.results["synth"], "estimable", False):
        return (
            f"Two panels. Left: looked-after children who went missing per 10,000 children in {spec.name} and its "
            "synthetic control, by year ending March, with the adoption marked. Right: the gap between them for "
            f"{spec.name} and for every placebo comparison area."
        )
    if getattr(profile.results["its"], "estimable", False):
        return (
            f"Line chart of looked-after children who went missing per 10,000 children in {spec.name} by year ending "
            "March: observed rates as points, the fitted interrupted time series, and the dashed counterfactual trend "
            "with its confidence band after the innovation start."
        )
    return (
        f"Line chart of looked-after children who went missing per 10,000 children in {spec.name}, the median and "
        "range of its comparison areas, and England, by year ending March."
    )


# ---------------------------------------------------------------------------------------
# captions (real data: no synthetic prefix)
# ---------------------------------------------------------------------------------------
def captions(profile: area_profile.AreaProfile) -> dict[str, str]:
    name = profile.spec.name
    kind = "statistical neighbours" if profile.spec.level == "Local authority" else "the other English regions"
    return {
        "rates": f"{name} against its comparison areas ({kind}) and England, latest year with a value "
        "(real public statistics, DfE and ONS).",
        "spend": f"Section 251 gross spend per child aged 0-17 in {name}, its comparison areas and England, "
        "at 2024-25 prices (real public statistics).",
        "designs": f"Area analyses of looked-after children who went missing in {name} (real public statistics).",
        "sensitivity": f"Sensitivity checks of the area analyses for {name} (real public statistics).",
        "comparison_areas": f"The comparison areas of {name}.",
        "sources": "Sources of the public statistics (Open Government Licence v3.0).",
    }


# ---------------------------------------------------------------------------------------
# the standalone page
# ---------------------------------------------------------------------------------------
def _png(fig) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _table_html(frame: pd.DataFrame, caption: str) -> str:
    body = frame.to_html(index=False, escape=True, border=0, na_rep="")
    return body.replace(
        '<table class="dataframe">', f'<table class="dataframe">\n<caption>{html.escape(caption)}</caption>', 1
    )


def report_html(profile: area_profile.AreaProfile) -> str:
    """A standalone HTML page: the same figures, tables, caveats and sources as a site chapter."""
    spec, v = profile.spec, profile.numbers()
    cap = captions(profile)
    start = spec.start.strftime("%B %Y")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Public statistics for {html.escape(spec.name)}</title>",
        "<style>body{font-family:sans-serif;max-width:60rem;margin:2rem auto;line-height:1.45}"
        "table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #ccc;padding:.25rem .5rem;"
        "text-align:left}caption{font-weight:bold;text-align:left}img{max-width:100%}</style></head><body>",
        f"<h1>{html.escape(spec.name)}: the area in public statistics</h1>",
        "<p>Real public statistics only (DfE, ONS, HM Treasury; Open Government Licence v3.0), produced by "
        "<code>python -m innovate area-report</code> with the same code as the site chapters of the Innovate book. "
        f"The innovation start given is {html.escape(start)}; the first year ending March counted as after it is "
        f"{v['first_post_year']}.</p>",
        "<h2>The area against its comparison areas and England</h2>",
        _table_html(rates_table(profile), cap["rates"]),
        f'<figure><img alt="{html.escape(rates_alt(profile))}" src="data:image/png;base64,{_png(rates_figure(profile))}">'
        f"<figcaption>{html.escape(cap['rates'])}</figcaption></figure>",
        _table_html(spend_table(profile), cap["spend"]),
        f'<figure><img alt="{html.escape(care_and_spend_alt(profile))}" '
        f'src="data:image/png;base64,{_png(care_and_spend_figure(profile))}">'
        f"<figcaption>{html.escape(cap['spend'])}</figcaption></figure>",
        "<h2>The area analyses</h2>",
        "<p>Four designs on the annual series of looked-after children who went missing: an interrupted time series "
        "of the area alone, a controlled interrupted time series against its comparison areas pooled, a two-way "
        "fixed-effects difference in differences and a synthetic control. Each is fitted only where the series "
        "is long enough; otherwise the table says why.</p>",
        _table_html(designs_table(profile.designs), cap["designs"]),
        f'<figure><img alt="{html.escape(analysis_alt(profile))}" '
        f'src="data:image/png;base64,{_png(analysis_figure(profile))}">'
        f"<figcaption>{html.escape(cap['designs'])}</figcaption></figure>",
        _table_html(designs_table(profile.sensitivity), cap["sensitivity"]),
        "<h2>Caveats</h2><ul>",
        *[f"<li>{html.escape(n)}</li>" for n in profile.notes],
        "<li>These are descriptive and quasi-experimental comparisons of areas; none is the effect of an "
        "innovation without these caveats.</li></ul>",
        _table_html(comparison_areas_table(profile), cap["comparison_areas"]),
        _table_html(sources_table(), cap["sources"]),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def write_report(profile: area_profile.AreaProfile, out: Path) -> Path:
    """Write ``index.html`` (figures embedded) into ``out``; returns its path."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "index.html"
    path.write_text(report_html(profile), encoding="utf-8")
    return path


__all__ = [
    "analysis_alt",
    "analysis_figure",
    "captions",
    "care_and_spend_alt",
    "care_and_spend_figure",
    "comparison_areas_table",
    "designs_table",
    "rates_alt",
    "rates_figure",
    "rates_table",
    "report_html",
    "sources_table",
    "spend_table",
    "write_report",
]
