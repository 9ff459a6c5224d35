"""Coefficient plot: estimates with their confidence intervals, one row per term."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from econ.data.figure_labels import COEFFICIENT
from econ.presentation.figures.arguments import is_simulated, require_columns
from econ.presentation.figures.chart import Chart
from econ.presentation.figures.fonts import labels_and_style
from econ.presentation.figures.style import (
    COLORS,
    MARKERS,
    REFERENCE_GREY,
    Width,
    finish,
    is_wide,
    legend_above,
    new_figure,
    styled,
)


def coefficient_plot(
    estimates: pd.DataFrame | Any,
    *,
    term: str = "term",
    estimate: str = "estimate",
    low: str | None = "conf_low",
    high: str | None = "conf_high",
    group: str | None = None,
    labels: Mapping[str, str] | None = None,
    title: str = "",
    xlabel: str | None = None,
    width: Width = "single",
    height: float | None = None,
    language: str = "en",
    font: str | Path | None = None,
    simulated: bool | None = None,
) -> Chart:
    """Horizontal dot-and-whisker plot of estimates with their confidence intervals.

    Parameters
    ----------
    estimates
        Tidy DataFrame with one row per term (per group), or an object with ``tidy()``
        such as a regression result.
    term, estimate, low, high
        Columns of the term names, the estimates and the interval bounds (``low=None`` and
        ``high=None`` draw points only).
    group
        Column distinguishing specifications: each gets its own colour and marker, dodged
        vertically around the term's row, and a legend entry.
    labels
        Display names for terms (``{"high_level:rich:post": "Level x endowment x post"}``).
    title, xlabel
        Title, and the value-axis label (default "Estimate").
    width, height
        ``"single"``, ``"double"`` or inches; height in inches (default grows with the rows).
    language, font
        ``"en"`` or ``"zh"`` labels, and an optional font file or family.
    simulated
        Caption the figure with the simulated-data label (default: ``estimates.simulated``).

    Returns
    -------
    Chart
        ``data`` has columns ``term``, (``group``), ``estimate``, ``conf_low``,
        ``conf_high`` and ``position`` (the y coordinate; the first term is at 0, at the top).

    Raises
    ------
    ValueError
        On a missing column or a term repeated within a group.
    """
    frame = estimates if isinstance(estimates, pd.DataFrame) else estimates.tidy()
    require_columns(frame, [term, estimate, low, high, group], "coefficient_plot")
    if (low is None) != (high is None):
        raise ValueError("coefficient_plot: give both low and high, or neither")
    keys = [term] if group is None else [group, term]
    repeated = frame.duplicated(keys)
    if repeated.any():
        first = frame.loc[repeated, keys].iloc[0].tolist()
        raise ValueError(f"coefficient_plot: {first} appears more than once; pass group= to "
                         f"tell specifications apart")
    names = {str(k): str(v) for k, v in (labels or {}).items()}
    terms = [str(t) for t in pd.unique(frame[term].astype(str))]
    groups = ([None] if group is None
              else [str(g) for g in pd.unique(frame[group].astype(str))])
    k = len(groups)
    step = min(0.8 / k, 0.25) if k > 1 else 0.0
    row = {t: i for i, t in enumerate(terms)}

    data = pd.DataFrame({"term": frame[term].astype(str).to_numpy()})
    if group is not None:
        data["group"] = frame[group].astype(str).to_numpy()
    data["estimate"] = frame[estimate].to_numpy(dtype=float)
    data["conf_low"] = np.nan if low is None else frame[low].to_numpy(dtype=float)
    data["conf_high"] = np.nan if high is None else frame[high].to_numpy(dtype=float)
    offset = (np.zeros(len(data)) if group is None else
              data["group"].map({g: (j - (k - 1) / 2) * step for j, g in enumerate(groups)}))
    data["position"] = data["term"].map(row).to_numpy(dtype=float) + np.asarray(offset)
    data = data.sort_values(["position"], kind="stable", ignore_index=True)

    shown = [names.get(t, t) for t in terms]
    text, style = labels_and_style(
        language, font, COEFFICIENT,
        [title, xlabel or "", *shown, *(g for g in groups if g is not None)])
    n = len(terms)
    default_height = 0.75 + 0.24 * n * max(1.0, 0.55 * k) + (0.25 if k > 1 else 0.0)
    with styled(style):
        figure, ax = new_figure(width, height if height is not None else default_height,
                                1.0, 1.0)
        ax.grid(False)
        ax.grid(True, axis="x")
        for j, g in enumerate(groups):
            part = data if g is None else data[data["group"] == g]
            color, marker = COLORS[j % len(COLORS)], MARKERS[j % len(MARKERS)]
            tag = "" if g is None else f":{g}"
            if low is not None:
                ax.hlines(part["position"], part["conf_low"], part["conf_high"], color=color,
                          linewidth=0.9, zorder=3, gid=f"whiskers{tag}")
            ax.plot(part["estimate"], part["position"], linestyle="none", marker=marker,
                    color=color, markersize=4, zorder=4, label="_" if g is None else g,
                    gid=f"estimates{tag}")
        ax.axvline(0.0, color=REFERENCE_GREY, linewidth=0.6, zorder=2, gid="zero")
        ax.set_yticks(range(n), labels=shown)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlabel(xlabel if xlabel is not None else text["estimate"])
        if group is not None:
            legend_above(ax, ncols=min(k, 5 if is_wide(width) else 3))
        finish(figure, title, is_simulated(simulated, estimates))
    return Chart(figure, data, title, style)
