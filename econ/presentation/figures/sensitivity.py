"""Sensitivity plot: robust confidence sets as the parallel-trends restriction is relaxed, and
event-study paths of several estimators side by side."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.artist import Artist

from econ.data.figure_labels import FigureText
from econ.presentation.figures.arguments import coverage_percent, is_simulated
from econ.presentation.figures.chart import Chart
from econ.presentation.figures.fonts import labels_and_style
from econ.presentation.figures.style import (
    COLORS,
    REFERENCE_GREY,
    Width,
    finish,
    legend_above,
    new_figure,
    styled,
)
from econ.results.event_study import EventStudy
from econ.results.sensitivity import Sensitivity

SENSITIVITY: FigureText = {
    "original": ("Original {level} CI (parallel trends)", "原始{level}置信区间（平行趋势）"),
    "robust": ("Robust {level} set ({method})", "稳健{level}置信集（{method}）"),
    "Mbar": ("Mbar (relative magnitudes)", "Mbar（相对幅度）"),
    "M": ("M (smoothness)", "M（平滑度）"),
    "estimate": ("Confidence set", "置信集"),
    "breakdown": ("{target}\nbreakdown {name} = {value}", "{target}\n临界{name} = {value}"),
}

COMPARISON: FigureText = {
    "period": ("Period relative to treatment", "相对处理时期"),
    "estimate": ("Estimate", "估计值"),
    "pointwise": ("pointwise {level} CI", "逐点{level}置信区间"),
}


def sensitivity_plot(
    result: Sensitivity,
    *,
    title: str = "",
    ylabel: str | None = None,
    width: Width = "single",
    height: float | None = None,
    language: str = "en",
    font: str | Path | None = None,
    simulated: bool | None = None,
) -> Chart:
    """Robust confidence sets against the bound ``Mbar`` or ``M``, beside the original interval.

    Parameters
    ----------
    result
        A :class:`~econ.results.sensitivity.Sensitivity` from :func:`econ.honest_did`.
    title, width, height, language, font, simulated
        As :func:`econ.event_study_plot` (``simulated`` defaults to ``result.simulated``).
    ylabel
        The y axis: what the estimate is and in which unit (default "Estimate").

    Returns
    -------
    Chart
        ``data``: ``label`` (``"original"`` or the bound), ``M``, ``conf_low``,
        ``conf_high``, ``is_original``; open ends are drawn to the axes' edge.
    """
    if not isinstance(result, Sensitivity):
        raise TypeError(f"sensitivity_plot takes the result of econ.honest_did, not "
                        f"{type(result).__name__}")
    frame = result.bounds
    data = pd.concat([
        pd.DataFrame({"label": ["original"], "M": [np.nan], "conf_low": [result.original[0]],
                      "conf_high": [result.original[1]], "is_original": [True]}),
        frame.assign(label=[f"{m:.4g}" for m in frame["M"]], is_original=False)[
            ["label", "M", "conf_low", "conf_high", "is_original"]]], ignore_index=True)
    percent = coverage_percent(result.level)
    text, style = labels_and_style(language, font, SENSITIVITY,
                                   [title, result.target, ylabel or ""])
    simulated = is_simulated(simulated, result)
    values = frame["M"].to_numpy(dtype=float)
    step = float(np.min(np.diff(np.unique(values)))) if len(np.unique(values)) > 1 else 1.0
    x_original = values.min() - 1.2 * step
    with styled(style):
        figure, ax = new_figure(width, height, 0.8, 0.45)
        handles: list[Artist] = []
        handles.append(ax.vlines([x_original], [result.original[0]], [result.original[1]],
                                 color=COLORS[1], linewidth=2.0,
                                 label=text["original"].format(level=percent),
                                 gid="original"))
        low = frame["conf_low"].to_numpy(dtype=float)
        high = frame["conf_high"].to_numpy(dtype=float)
        finite = np.concatenate([low[np.isfinite(low)], high[np.isfinite(high)],
                                 list(result.original)])
        pad = 0.1 * (finite.max() - finite.min() + 1e-12)
        bottom, top = finite.min() - pad, finite.max() + pad
        handles.append(ax.vlines(values, np.where(np.isfinite(low), low, bottom),
                                 np.where(np.isfinite(high), high, top), color=COLORS[0],
                                 linewidth=2.0,
                                 label=text["robust"].format(level=percent,
                                                             method=result.method),
                                 gid="robust"))
        ax.axhline(result.null, color=REFERENCE_GREY, linewidth=0.8, linestyle="--")
        if np.isfinite(result.breakdown) and result.breakdown <= values.max():
            ax.axvline(result.breakdown, color=REFERENCE_GREY, linewidth=0.8, linestyle=":",
                       gid="breakdown")
        ax.set_ylim(bottom, top)
        ax.set_xticks([x_original, *values],
                      ["orig.", *(f"{v:.3g}" for v in values)])
        ax.set_xlabel(text[result.bound_name])
        ax.set_ylabel(text["estimate"] if ylabel is None else ylabel)
        breakdown = ("> " + f"{result.breakdown_upper:.3g}" if np.isinf(result.breakdown)
                     else f"{result.breakdown:.3g}")
        ax.text(0.02, 0.98, text["breakdown"].format(name=result.bound_name, value=breakdown,
                                                     target=result.target),
                transform=ax.transAxes, ha="left", va="top", fontsize="small", zorder=6,
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})
        legend_above(ax, handles)
        finish(figure, title, simulated)
    return Chart(figure, data, title, style)


def event_study_comparison_plot(
    studies: Sequence[EventStudy],
    labels: Sequence[str],
    *,
    window: tuple[float, float] | None = None,
    title: str = "",
    xlabel: str | None = None,
    ylabel: str | None = None,
    width: Width = "double",
    height: float | None = None,
    language: str = "en",
    font: str | Path | None = None,
    simulated: bool | None = None,
) -> Chart:
    """Event-study paths of several estimators on one axes, slightly offset, with pointwise
    intervals.

    Parameters
    ----------
    studies, labels
        The event-study results and their legend labels (same length).
    window
        ``(first, last)`` periods drawn (default: all).
    title, xlabel, ylabel, width, height, language, font
        As :func:`econ.event_study_plot` (the axes say what the estimate is, in which unit,
        and what the periods count; the defaults are "Estimate" and "Period relative to
        treatment").
    simulated
        Caption as simulated (default: any of the studies is).

    Returns
    -------
    Chart
        ``data``: ``estimator``, ``period``, ``estimate``, ``conf_low``, ``conf_high``,
        ``is_reference``.
    """
    if len(studies) != len(labels) or not studies:
        raise ValueError("give one label per event study (and at least one study)")
    text, style = labels_and_style(language, font, COMPARISON,
                                   [title, *labels, xlabel or "", ylabel or ""])
    level = studies[0].level
    percent = coverage_percent(level)
    frames = [s.to_frame().assign(estimator=label) for s, label in zip(studies, labels,
                                                                        strict=True)]
    if window is not None:
        frames = [f[f["period"].between(*window)].reset_index(drop=True) for f in frames]
    data = pd.concat(frames, ignore_index=True)[
        ["estimator", "period", "estimate", "conf_low", "conf_high", "is_reference"]]
    if simulated is None:
        simulated = any(is_simulated(None, s) for s in studies)
    offsets = np.linspace(-0.12, 0.12, len(studies)) if len(studies) > 1 else [0.0]
    with styled(style):
        figure, ax = new_figure(width, height, 0.8, 0.45)
        handles: list[Artist] = []
        for k, (frame, label) in enumerate(zip(frames, labels, strict=True)):
            x = frame["period"].to_numpy(dtype=float) + offsets[k]
            color = COLORS[k % len(COLORS)]
            line, = ax.plot(x[~frame["is_reference"].to_numpy(dtype=bool)],
                            frame["estimate"][~frame["is_reference"].to_numpy(dtype=bool)],
                            color=color, marker="os^D"[k % 4],
                            linestyle="none", zorder=4,
                            label=f"{label} ({text['pointwise'].format(level=percent)})")
            ax.vlines(x, frame["conf_low"], frame["conf_high"], color=color, linewidth=0.9,
                      zorder=3)
            reference = frame["is_reference"].to_numpy(dtype=bool)
            # A reference period is zero by construction: drawn hollow.
            ax.plot(x[reference], frame["estimate"][reference], marker="os^D"[k % 4],
                    linestyle="none", color=color, markerfacecolor="white", zorder=5)
            handles.append(line)
        ax.axhline(0.0, color=REFERENCE_GREY, linewidth=0.8)
        periods = data["period"].to_numpy(dtype=float)
        if (periods < 0).any() and (periods >= 0).any():
            ax.axvline(-0.5, color=REFERENCE_GREY, linewidth=0.8, linestyle="--")
        ax.set_xticks(np.unique(periods))
        ax.set_xlabel(text["period"] if xlabel is None else xlabel)
        ax.set_ylabel(text["estimate"] if ylabel is None else ylabel)
        legend_above(ax, handles)
        finish(figure, title, bool(simulated))
    return Chart(figure, data, title, style)
