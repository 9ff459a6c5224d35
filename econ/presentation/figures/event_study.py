"""Event-study plot: estimates by period with pointwise intervals and a uniform band."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from matplotlib import ticker
from matplotlib.artist import Artist

from econ.data.figure_labels import EVENT_STUDY
from econ.inference.pretrend import joint_wald
from econ.presentation.figures.arguments import (
    coverage_percent,
    is_simulated,
    require_columns,
)
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
from econ.results.bootstrap import WildBootstrapTest
from econ.results.regression import WaldTest
from econ.results.sensitivity import SensitivityBand
from econ.results.staggered import AggregateResult

Bounds = tuple[str, str]

# A frame with these columns is the package's event-study result (``to_frame()``): its
# periods, bounds and reference rows are read from fixed columns.
_CANONICAL = frozenset({"period", "is_reference"})
_CANONICAL_BAND = ("band_low", "band_high")
_LEGACY_BAND = ("uniform_low", "uniform_high")

# time_label -> the labels of the x axis and of the reference line.
_TIME_KEYS = {"year": ("year", "reference_year"),
              "relative period": ("period", "reference_period")}

_NUMBER_AT_END = re.compile(r"(-?\d+(?:\.\d+)?)\s*$")


def _periods(values: pd.Series) -> np.ndarray:
    """Numeric periods; labels such as ``"e=-2"`` give -2 and ``"overall"`` gives NaN."""
    numeric = pd.to_numeric(values, errors="coerce")
    if values.dtype.kind in "biuf" or numeric.notna().all():
        return numeric.to_numpy(dtype=float)
    parsed = values.astype(str).str.extract(_NUMBER_AT_END, expand=False)
    return pd.to_numeric(parsed, errors="coerce").to_numpy(dtype=float)


def _path_data(frame: pd.DataFrame, time: str, estimate: str, pointwise: Bounds | None,
               uniform: Bounds | None, flagged: np.ndarray | float | None) -> pd.DataFrame:
    """The plotted rows, sorted by period; ``flagged`` marks reference rows.

    ``flagged`` is a boolean array over the rows of ``frame`` (a canonical frame), or the
    reference period to match (``None``: no reference row).
    """
    period = _periods(frame[time])
    keep = np.isfinite(period)
    if not keep.any():
        raise ValueError(f"event_study_plot: column {time!r} has no numeric period")
    data = pd.DataFrame({"period": period[keep],
                         "estimate": frame[estimate].to_numpy(dtype=float)[keep]})
    for name, pair in (("conf", pointwise), ("band", uniform)):
        for side, column in zip(("low", "high"), pair or (None, None), strict=True):
            data[f"{name}_{side}"] = (np.nan if column is None
                                      else frame[column].to_numpy(dtype=float)[keep])
    if isinstance(flagged, np.ndarray):
        data["is_reference"] = flagged[keep]
    else:
        data["is_reference"] = (data["period"] == flagged) if flagged is not None else False
    data = data.sort_values("period", kind="stable", ignore_index=True)
    for name, pair in (("conf", pointwise), ("band", uniform)):
        if pair is not None:
            for side in ("low", "high"):
                column = f"{name}_{side}"
                gap = data["is_reference"] & data[column].isna()
                data.loc[gap, column] = data.loc[gap, "estimate"]
    if (data["period"] == data["period"].round()).all():
        data["period"] = data["period"].astype(np.int64)
    return data


def event_study_plot(
    path: pd.DataFrame | Any,
    *,
    reference: float | None = None,
    estimate: str = "estimate",
    time: str | None = None,
    pointwise: Bounds | None = ("conf_low", "conf_high"),
    uniform: Bounds | Literal["auto"] | None = "auto",
    level: float | None = None,
    title: str = "",
    xlabel: str | None = None,
    ylabel: str | None = None,
    width: Width = "single",
    height: float | None = None,
    language: str = "en",
    font: str | Path | None = None,
    simulated: bool | None = None,
    onset: float | Literal["auto"] | None = "auto",
    pretrend: bool = True,
    sensitivity: SensitivityBand | None = None,
) -> Chart:
    """Event-study path: estimates by period with pointwise intervals and a uniform band.

    Parameters
    ----------
    path
        An event-study result (:class:`~econ.EventStudy` from ``econ.gradient_event_study``,
        ``econ.sun_abraham`` or a Callaway-Sant'Anna dynamic aggregation, which is converted
        with its ``event_study()``), another object with ``to_frame()``, or a DataFrame. The
        object's ``reference``, ``level`` and ``simulated`` attributes, when present, are the
        defaults of the options of the same names. A *canonical* frame has the columns ``period``,
        ``estimate``, ``std_error``, ``conf_low``, ``conf_high``, ``band_low``,
        ``band_high`` and ``is_reference``: its rows flagged ``is_reference`` are the
        reference rows, its band is drawn unless ``band_low`` and ``band_high`` are all
        missing, and the object's ``time_label`` (``"year"`` or ``"relative period"``, the
        default) names the x axis.
    reference
        Period the path is normalised to; drawn as a dashed vertical line. ``None`` (and no
        ``reference`` attribute) draws none, except that for a canonical frame the line
        then marks each period flagged ``is_reference``.
    estimate, time
        Columns of the point estimates and of the period (default ``"period"`` for a
        canonical frame, ``"year"`` otherwise). A text period such as Callaway-Sant'Anna's
        ``"e=-2"`` is read as the number at its end; rows without one (the ``"overall"``
        row) are not drawn.
    pointwise
        Lower and upper column of the pointwise intervals (error bars), or ``None``.
    uniform
        Lower and upper column of the simultaneous band (shaded), or ``None``. ``"auto"``
        takes ``("band_low", "band_high")`` of a canonical frame and
        ``("uniform_low", "uniform_high")`` of any other.
    level
        Coverage named in the legend (default: ``path.level``, else 0.95).
    title, xlabel, ylabel
        Title, and axis labels replacing the defaults ("Year" or "Period relative to
        treatment", and "Estimate").
    width, height
        ``"single"`` (3.5 in), ``"double"`` (7 in) or a width in inches; height in inches
        (default: 0.8 of the width, 0.45 from 5 in up).
    language, font
        ``"en"`` or ``"zh"`` labels, and an optional font file or family (see
        :func:`~econ.presentation.figures.cjk_font`).
    simulated
        Caption the figure with the simulated-data label (default: ``path.simulated``).
    onset
        Period at which treatment starts, marked by a dotted line; ``"auto"`` puts it at -0.5
        for relative periods and draws none for years; ``None`` draws none.
    pretrend
        Print the pre-trend test under the axis label: the path's own ``pretrend`` test, or
        else a joint Wald test of the estimated periods before ``onset`` from ``path.cov``.
    sensitivity
        Robust confidence sets of the post-period effects (``econ.sensitivity_band``: each
        period's Rambachan-Roth set at one bound), drawn beside the pointwise intervals; an
        open end is drawn to the edge of the axes with an arrow.

    Returns
    -------
    Chart
        ``data`` has columns ``period``, ``estimate``, ``conf_low``, ``conf_high``,
        ``band_low``, ``band_high`` (NaN when not drawn) and ``is_reference``, sorted by
        period, and ``robust_low``, ``robust_high`` with ``sensitivity``. A reference row
        whose bounds are missing is drawn, and reported, with zero-width bounds at its
        estimate: the normalisation leaves it no uncertainty.

    Raises
    ------
    TypeError
        When ``path`` is neither a DataFrame nor has ``to_frame()`` returning one.
    ValueError
        When a needed column is missing (the message names it and lists the available
        ones), no row has a numeric period, ``time_label`` is unknown, or ``reference`` is
        not among the periods a canonical frame flags as reference.
    """
    if isinstance(path, AggregateResult):
        path = path.event_study()
    if not (onset is None or onset == "auto" or isinstance(onset, int | float)):
        raise ValueError(f"onset must be a period (a number), 'auto' or None; got {onset!r}")
    frame = path if isinstance(path, pd.DataFrame) else path.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"path must be a DataFrame or have to_frame(); got {type(path)!r}")
    canonical = _CANONICAL <= set(frame.columns)
    if time is None:
        time = "period" if canonical else "year"
    auto_band = isinstance(uniform, str)
    if isinstance(uniform, str):
        if uniform != "auto":
            raise ValueError(f"uniform must be two column names, None or 'auto'; got "
                             f"{uniform!r}")
        uniform = _CANONICAL_BAND if canonical else _LEGACY_BAND
    require_columns(frame, [time, estimate, *(pointwise or ()), *(uniform or ())],
                    "event_study_plot")
    if canonical and auto_band and frame[list(_CANONICAL_BAND)].isna().to_numpy().all():
        # A result without a uniform band still carries the columns, all missing.
        uniform = None
    if reference is None:
        reference = getattr(path, "reference", None)
    if level is None:
        level = float(getattr(path, "level", 0.95))
    percent = coverage_percent(level)
    simulated = is_simulated(simulated, path)

    if canonical:
        time_label = getattr(path, "time_label", "relative period")
        data = _path_data(frame, time, estimate, pointwise, uniform,
                          frame["is_reference"].eq(True).to_numpy())
        flagged = sorted(float(p) for p in data.loc[data["is_reference"], "period"].unique())
        if reference is not None and flagged and float(reference) not in flagged:
            raise ValueError(f"event_study_plot: reference={reference!r}, but the rows "
                             f"flagged is_reference are at {flagged}")
        lines = [float(reference)] if reference is not None else flagged
    else:
        time_label = "year" if time == "year" else "relative period"
        data = _path_data(frame, time, estimate, pointwise, uniform, reference)
        lines = [float(reference)] if reference is not None else []
    if time_label not in _TIME_KEYS:
        raise ValueError(f"event_study_plot: time_label must be one of {sorted(_TIME_KEYS)}, "
                         f"got {time_label!r}")
    axis_key, reference_key = _TIME_KEYS[time_label]

    x = data["period"].to_numpy(dtype=float)
    if onset == "auto":
        # Relative periods: treatment starts between -1 and 0.
        onset = -0.5 if (canonical and time_label == "relative period" and (x < 0).any()
                         and (x >= 0).any()) else None
    text, style = labels_and_style(language, font, EVENT_STUDY,
                                   [title, xlabel or "", ylabel or ""])
    tested = _pretrend_text(path, onset, text) if pretrend else None
    color = COLORS[0]
    with styled(style):
        figure, ax = new_figure(width, height, 0.8, 0.45)
        handles: list[Artist] = []
        line, = ax.plot(x, data["estimate"], color=color, marker="o", zorder=4,
                        label=text["estimate"], gid="estimate")
        handles.append(line)
        if pointwise is not None:
            bars = data[["conf_low", "conf_high"]].notna().all(axis=1).to_numpy()
            handles.append(ax.vlines(x[bars], data["conf_low"][bars], data["conf_high"][bars],
                                     color=color, linewidth=0.9, zorder=3,
                                     label=text["pointwise"].format(level=percent),
                                     gid="pointwise"))
        if uniform is not None:
            handles.append(ax.fill_between(x, data["band_low"], data["band_high"], color=color,
                                           alpha=0.18, linewidth=0, zorder=1,
                                           label=text["uniform"].format(level=percent),
                                           gid="uniform"))
        if sensitivity is not None:
            data = data.merge(sensitivity.table, on="period", how="left")
            handles.append(_robust_sets(ax, data, sensitivity, text))
        ax.axhline(0.0, color=REFERENCE_GREY, linewidth=0.6, zorder=2, gid="zero")
        for j, spot in enumerate(lines):
            # One legend entry however many periods are normalised.
            marker = ax.axvline(spot, color=REFERENCE_GREY, linestyle="--", linewidth=0.8,
                                zorder=2, label=text[reference_key] if j == 0 else "_",
                                gid="reference")
            if j == 0:
                handles.append(marker)
        if onset is not None:
            handles.append(ax.axvline(float(onset), color="0.15", linestyle=":",
                                      linewidth=1.0, zorder=2, label=text["onset"],
                                      gid="onset"))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins="auto", integer=True))
        ax.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:g}"))
        ax.set_xlabel(xlabel if xlabel is not None else text[axis_key])
        ax.set_ylabel(ylabel if ylabel is not None else text["estimate"])
        if tested:
            # Under the axis label, outside the axes: it cannot cover an estimate, and the
            # constrained layout makes room for it.
            ax.annotate(tested, xy=(0.0, 0.0), xycoords=("axes fraction", ax.xaxis.label),
                        xytext=(0.0, -3.0), textcoords="offset points", ha="left", va="top",
                        fontsize=7, gid="pretrend", annotation_clip=False)
        legend_above(ax, handles, ncols=len(handles) if is_wide(width) else 2)
        finish(figure, title, simulated)
    return Chart(figure, data, title, style)


def _robust_sets(ax: Any, data: pd.DataFrame, band: SensitivityBand,
                 text: dict[str, str]) -> Artist:
    """The robust sets as bars just right of each period's interval; open ends run to the
    edge of the axes, which the finite numbers already drawn have set, with an arrow."""
    rows = data[data["robust_low"].notna()]
    x = rows["period"].to_numpy(dtype=float) + 0.18
    low, high = rows["robust_low"].to_numpy(), rows["robust_high"].to_numpy()
    finite = np.concatenate([low[np.isfinite(low)], high[np.isfinite(high)],
                             np.asarray(ax.get_ylim())])
    ax.set_ylim(finite.min(), finite.max())
    bottom, top = ax.get_ylim()
    color = COLORS[1]
    label = text["robust"].format(level=coverage_percent(band.level),
                                  bound=f"{band.bound_name} = {band.bound:g}")
    bars = ax.vlines(x, np.clip(low, bottom, top), np.clip(high, bottom, top), color=color,
                     linewidth=2.2, alpha=0.55, zorder=3, label=label, gid="robust")
    for xi, lo, hi in zip(x, low, high, strict=True):
        if not np.isfinite(lo):
            ax.plot(xi, bottom, marker="v", color=color, markersize=4, zorder=3)
        if not np.isfinite(hi):
            ax.plot(xi, top, marker="^", color=color, markersize=4, zorder=3)
    return bars


def _pretrend_text(path: Any, onset: float | None, text: dict[str, str]) -> str | None:
    """The pre-trend test of ``path`` for the legend: its own test if it carries one, else a
    joint Wald test of the estimated periods before ``onset`` from its covariance."""
    own = getattr(path, "pretrend", None)
    if isinstance(own, WildBootstrapTest):
        shown = f"< 1/{own.reps}" if own.pvalue == 0 and not own.enumerated else (
            f"= {own.pvalue:.3f}")
        return text["pretrend_boot"].format(p=shown, reps=f"{own.reps:,}")
    if isinstance(own, WaldTest):
        return text["pretrend_wald"].format(p=_p(own.pvalue), q=own.df_num,
                                            s="" if own.df_num == 1 else "s")
    cov = getattr(path, "cov", None)
    periods = getattr(path, "periods", None)
    if onset is None or cov is None or periods is None:
        return None
    before = np.asarray(periods, dtype=float) < float(onset)
    if not before.any():
        return None
    estimates = np.asarray(path.params, dtype=float)
    test = joint_wald(estimates[before], np.asarray(cov)[np.ix_(before, before)],
                      float(getattr(path, "df", np.inf)))
    return text["pretrend_wald"].format(p=_p(test.pvalue), q=test.q,
                                        s="" if test.q == 1 else "s")


def _p(value: float) -> str:
    return "< 0.001" if value < 0.001 else f"= {value:.3f}"
