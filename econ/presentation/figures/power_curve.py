"""Power curves: power against effect size, one curve per test and design size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from econ.data.figure_labels import POWER_METHODS, FigureText
from econ.presentation.figures.chart import Chart
from econ.presentation.figures.fonts import labels_and_style
from econ.presentation.figures.style import (
    COLORS,
    LINESTYLES,
    MARKERS,
    REFERENCE_GREY,
    Width,
    finish,
    legend_above,
    new_figure,
    styled,
)
from econ.results.power import PowerResult

POWER: FigureText = {
    "x": ("Effect size", "效应大小"),
    "y": ("Power", "检验功效"),
    "level": ("Test level", "检验水平"),
    "target": ("Target power", "目标功效"),
    **POWER_METHODS,
}


def power_curve_plot(
    result: PowerResult,
    *,
    title: str = "",
    xlabel: str | None = None,
    width: Width = "single",
    height: float | None = None,
    language: str = "en",
    font: str | Path | None = None,
) -> Chart:
    """Simulated power against effect size, with 95% Monte Carlo intervals.

    One curve per test (colour and marker) and design size (line style); dashed lines at the
    test level and the target power, so the size of each test is read at effect 0 and its
    minimum detectable effect where its curve crosses the target.

    Parameters
    ----------
    result
        A :class:`~econ.results.power.PowerResult` (``econ.power(...)``).
    title, xlabel
        Title, and the x-axis label replacing "Effect size".
    width, height
        ``"single"``, ``"double"`` or inches; height in inches.
    language, font
        ``"en"`` or ``"zh"`` labels, and an optional font file or family.

    Returns
    -------
    Chart
        ``data``: the power table plotted (sizes, ``effect``, ``method``, ``power``,
        ``mc_se``, ``reps``, ``failed``) with ``curve``, the legend label, and ``low`` and
        ``high``, ``power -/+ 1.96 mc_se`` clipped to [0, 1].
    """
    if not isinstance(result, PowerResult):
        raise TypeError(f"power_curve_plot needs a PowerResult (econ.power(...)), got "
                        f"{type(result).__name__}")
    order = result.power["method"].map(result.methods.index).rename("order")
    data = (result.power.assign(order=order)
            .sort_values(["order", *result.sizes, "effect"]).drop(columns="order")
            .reset_index(drop=True))
    several = [s for s in result.sizes if data[s].nunique() > 1]
    size_label = pd.Series(
        [", ".join(f"{s} {v}" for s, v in zip(several, row, strict=True))
         for row in data[several].astype(str).itertuples(index=False)],
        index=data.index) if several else None
    text, style = labels_and_style(language, font, POWER,
                                   [title, xlabel or "", *data["method"].unique()])
    named = data["method"].map(lambda m: text.get(m, m))
    data["curve"] = named if size_label is None else named + ": " + size_label
    data["low"] = np.clip(data["power"] - 1.959964 * data["mc_se"], 0.0, 1.0)
    data["high"] = np.clip(data["power"] + 1.959964 * data["mc_se"], 0.0, 1.0)
    sizes = list(dict.fromkeys(size_label)) if size_label is not None else [None]
    with styled(style):
        figure, ax = new_figure(width, height, 0.75, 0.6)
        for curve, rows in data.groupby("curve", sort=False):
            method = rows["method"].iloc[0]
            j = result.methods.index(method)
            k = sizes.index(size_label[rows.index[0]]) if size_label is not None else 0
            ax.errorbar(rows["effect"], rows["power"],
                        yerr=[rows["power"] - rows["low"], rows["high"] - rows["power"]],
                        color=COLORS[j % len(COLORS)], marker=MARKERS[j % len(MARKERS)],
                        markersize=3.5, linestyle=LINESTYLES[k % len(LINESTYLES)],
                        linewidth=1.1, capsize=1.5, elinewidth=0.7, label=str(curve),
                        gid=f"power:{curve}")
        ax.axhline(result.alpha, color=REFERENCE_GREY, linestyle=":", linewidth=0.7,
                   label=f"{text['level']} {result.alpha:g}", gid="level")
        ax.axhline(result.target, color=REFERENCE_GREY, linestyle="--", linewidth=0.7,
                   label=f"{text['target']} {result.target:g}", gid="target")
        ax.set_ylim(0.0, 1.0)
        ax.set_xlabel(xlabel if xlabel is not None else text["x"])
        ax.set_ylabel(text["y"])
        legend_above(ax, ncols=2)
        finish(figure, title, result.simulated)
    return Chart(figure, data, title, style)
