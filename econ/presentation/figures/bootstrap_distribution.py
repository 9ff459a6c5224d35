"""Histogram of wild bootstrap statistics with the observed statistic and critical values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.container import BarContainer

from econ.data.figure_labels import BOOTSTRAP
from econ.presentation.figures.arguments import coverage_percent
from econ.presentation.figures.chart import Chart
from econ.presentation.figures.fonts import labels_and_style
from econ.presentation.figures.style import (
    COLORS,
    REFERENCE_GREY,
    Width,
    finish,
    is_wide,
    legend_above,
    new_figure,
    styled,
)


def bootstrap_distribution_plot(
    test: Any,
    *,
    bins: int = 60,
    level: float = 0.95,
    title: str = "",
    width: Width = "single",
    height: float | None = None,
    language: str = "en",
    font: str | Path | None = None,
    simulated: bool = False,
) -> Chart:
    """Histogram of wild bootstrap statistics with the observed statistic and critical values.

    Parameters
    ----------
    test
        A :class:`econ.results.bootstrap.WildBootstrapTest` fitted with ``keep_draws=True``.
    bins
        Histogram bins (the histogram is a density: its bars have total area 1).
    level
        The critical values are ``±quantile(|t*|, level)`` for one restriction (symmetric
        test) and ``quantile(W*, level)`` for a joint Wald test.
    title
        Title drawn above the axes.
    width, height
        ``"single"``, ``"double"`` or inches; height in inches (default: 0.8 of the width,
        0.45 from 5 in up).
    language, font
        ``"en"`` or ``"zh"`` labels, and an optional font file or family.
    simulated
        Caption the figure with the simulated-data label.

    Returns
    -------
    Chart
        ``data`` has one column, ``t_star``: the finite bootstrap statistics drawn (Wald
        statistics for a joint test). The observed statistic and the other numbers shown are
        in ``data.attrs``: ``statistic``, ``critical_value``, ``pvalue``, ``method``, ``reps``
        and ``dropped`` (non-finite draws left out).

    Raises
    ------
    ValueError
        When the test kept no draws (rerun ``wild_bootstrap(..., keep_draws=True)``).
    """
    if getattr(test, "draws", None) is None:
        raise ValueError("bootstrap_distribution_plot: the test has no bootstrap draws; rerun "
                         "wild_bootstrap(..., keep_draws=True)")
    draws = np.asarray(test.draws, dtype=float).ravel()
    finite = draws[np.isfinite(draws)]
    if finite.size == 0:
        raise ValueError("bootstrap_distribution_plot: every bootstrap draw is non-finite")
    if int(bins) < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    percent = coverage_percent(level)
    joint = "wald" in test.pvalues
    critical = float(np.quantile(finite if joint else np.abs(finite), level))
    statistic, pvalue, reps = float(test.statistic), float(test.pvalue), int(test.reps)
    data = pd.DataFrame({"t_star": finite})
    data.attrs.update({"statistic": statistic, "critical_value": critical, "pvalue": pvalue,
                       "method": str(test.method), "reps": reps,
                       "dropped": int(draws.size - finite.size)})

    text, style = labels_and_style(language, font, BOOTSTRAP, [title])
    kind = "wald" if joint else "t"
    p_text = f"p < {1 / reps:.2g}" if pvalue == 0 else f"p = {pvalue:.3f}"
    spots = [critical] if joint else [-critical, critical]
    with styled(style):
        figure, ax = new_figure(width, height, 0.8, 0.45)
        _, _, bars = ax.hist(finite, bins=int(bins), density=True, color="0.72",
                             edgecolor="white", linewidth=0.3, zorder=1,
                             label=f"{text['draws_' + kind]} ({test.method}, B = {reps:,})")
        assert isinstance(bars, BarContainer)  # one data set drawn as bars
        for bar in bars:
            bar.set_gid("histogram")
        ax.axvline(statistic, color=COLORS[1], linewidth=1.2, zorder=3,
                   label=f"{text['observed']} {statistic:.2f} ({p_text})", gid="observed")
        label = text["critical_one" if joint else "critical"].format(level=percent)
        for j, spot in enumerate(spots):
            ax.axvline(spot, color=REFERENCE_GREY, linestyle="--", linewidth=0.8, zorder=2,
                       label=f"{label} ({'±' * (not joint)}{critical:.2f})" if j == 0 else "_",
                       gid="critical")
        ax.set_xlabel(text[kind])
        ax.set_ylabel(text["density"])
        legend_above(ax, ncols=3 if is_wide(width) else 1)
        finish(figure, title, simulated)
    return Chart(figure, data, title, style)
