"""Figures for the national picture of extra-familial risk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from innovate.show import figures


def plot_factor_trends(table: pd.DataFrame, title: str | None = None):
    """Lines with markers, one per factor, years ending 31 March on the x axis."""
    fig, ax = figures.new_figure(aspect=0.55)
    long = table.reset_index().melt(id_vars="year", var_name="factor", value_name="episodes")
    figures.line_chart(long.dropna(), x="year", y="episodes", series="factor", ax=ax, order=list(table.columns))
    ax.set_xlabel("Year ending 31 March")
    ax.set_ylabel("Assessment episodes with the factor")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:,.0f}")
    ax.set_xticks(np.asarray(table.index, dtype=int))
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    if title:
        ax.set_title(title)
    fig.text(0.01, 0.005, "Source: DfE, Children in need census (OGL v3)", fontsize=8, ha="left", va="bottom")
    return fig
