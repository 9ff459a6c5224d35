"""Lorenz curves of one or more distributions, with the line of equality."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from econ.data.figure_labels import LORENZ
from econ.estimation.inequality import lorenz_curve
from econ.presentation.figures.chart import Chart
from econ.presentation.figures.fonts import labels_and_style
from econ.presentation.figures.style import (
    COLORS,
    LINESTYLES,
    REFERENCE_GREY,
    Width,
    finish,
    new_figure,
    styled,
)


def _curve(label: str, value: object) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(value, tuple | list) and len(value) == 2 and all(
            np.ndim(part) == 1 for part in value):
        pop, share = (np.asarray(part, dtype=float) for part in value)
        if pop.shape != share.shape or pop.size < 2:
            raise ValueError(f"lorenz_plot: curve {label!r} needs two arrays of the same "
                             f"length (at least 2), got {pop.shape} and {share.shape}")
        if not (np.isfinite(pop).all() and np.isfinite(share).all()):
            raise ValueError(f"lorenz_plot: curve {label!r} has missing or infinite points")
        return pop, share
    try:
        return lorenz_curve(np.asarray(value, dtype=float))
    except ValueError as error:
        raise ValueError(f"lorenz_plot: curve {label!r}: {error}") from error


def lorenz_plot(
    curves: Mapping[str, Any],
    *,
    title: str = "",
    xlabel: str | None = None,
    ylabel: str | None = None,
    width: Width = "single",
    height: float | None = None,
    language: str = "en",
    font: str | Path | None = None,
    simulated: bool = False,
) -> Chart:
    """Lorenz curves of one or more distributions, with the line of equality.

    Parameters
    ----------
    curves
        Mapping of label to either ``(population_share, value_share)`` arrays, as returned by
        :func:`econ.estimation.inequality.lorenz_curve`, or a 1-D array of values (funds per
        village, say), whose curve is then computed with ``lorenz_curve``.
    title, xlabel, ylabel
        Title, and axis labels replacing "Cumulative share of villages" and "Cumulative share
        of funds".
    width, height
        ``"single"``, ``"double"`` or inches; height in inches (default: the width, or 0.6 of
        it from 5 in up; the axes stay square).
    language, font
        ``"en"`` or ``"zh"`` labels, and an optional font file or family.
    simulated
        Caption the figure with the simulated-data label.

    Returns
    -------
    Chart
        ``data`` has columns ``group`` (the label), ``population_share`` and ``value_share``,
        one row per point of each curve.

    Raises
    ------
    TypeError
        When ``curves`` is not a non-empty mapping.
    ValueError
        On a curve that is not a valid Lorenz curve or set of non-negative values.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError("lorenz_plot: curves must be a non-empty mapping of label -> values "
                        "or (population_share, value_share)")
    points = {str(label): _curve(str(label), value) for label, value in curves.items()}
    data = pd.concat([pd.DataFrame({"group": label, "population_share": pop,
                                    "value_share": share})
                      for label, (pop, share) in points.items()], ignore_index=True)
    text, style = labels_and_style(language, font, LORENZ,
                                   [title, xlabel or "", ylabel or "", *points])
    with styled(style):
        figure, ax = new_figure(width, height, 1.0, 0.6)
        for j, (label, (pop, share)) in enumerate(points.items()):
            ax.plot(pop, share, color=COLORS[j % len(COLORS)],
                    linestyle=LINESTYLES[j % len(LINESTYLES)], linewidth=1.2, label=label,
                    gid=f"lorenz:{label}")
        ax.plot([0.0, 1.0], [0.0, 1.0], color=REFERENCE_GREY, linestyle="--", linewidth=0.7,
                label=text["equality"], gid="equality")
        ax.set_xlim(0.0, 1.0)
        ax.set_ylim(0.0, 1.0)
        ax.set_aspect("equal")
        ticks = np.linspace(0.0, 1.0, 6)
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        ax.set_xlabel(xlabel if xlabel is not None else text["x"])
        ax.set_ylabel(ylabel if ylabel is not None else text["y"])
        # The curves lie below the diagonal, so the upper-left triangle is always free.
        ax.legend(loc="upper left")
        finish(figure, title, simulated)
    return Chart(figure, data, title, style)
