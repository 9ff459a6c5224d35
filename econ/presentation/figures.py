"""Publication figures: event studies, coefficient plots, Lorenz curves and bootstrap draws.

Every plot function returns a :class:`Chart`: the matplotlib figure together with the tidy
numbers it shows, so a figure can be checked (and tabulated) from its data rather than its
pixels. Figures are built with the object-oriented API only (``matplotlib.figure.Figure`` on
an Agg canvas); ``matplotlib.pyplot`` is never imported, so no GUI backend starts and no
global figure registry grows.

One print-ready style, :data:`STYLE`, is applied while a figure is created and again while it
is saved. Fonts default to DejaVu Sans, which ships with matplotlib, so a figure looks the same
on every machine; saving leaves out dates and version strings, so the same input gives
byte-identical PNG and PDF files with the same matplotlib installation.

Chinese labels (``language="zh"``) need a CJK font: an installed one is found by
:func:`cjk_font`, or a font file or family is passed as ``font=``. Without one, a
:class:`MissingFontWarning` is emitted and the English labels are drawn instead, so a figure
never shows empty boxes for missing glyphs.
"""

from __future__ import annotations

import io
import math
import os
import re
import threading
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib import font_manager, ft2font, ticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.rcsetup import cycler

from econ.data.dataset import SIMULATED_LABEL
from econ.estimation.inequality import lorenz_curve

__all__ = [
    "CJK_FAMILIES",
    "STYLE",
    "Chart",
    "MissingFontWarning",
    "bootstrap_distribution_plot",
    "cjk_font",
    "coefficient_plot",
    "event_study_plot",
    "lorenz_plot",
]

Width = Literal["single", "double"] | float

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies and still
# apart when a journal prints in greyscale (markers and line styles differ as well).
_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_LINESTYLES = ("-", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "--", (0, (1, 1)))
_REFERENCE_GREY = "0.35"

_DEFAULT_FAMILY = "DejaVu Sans"

STYLE: dict[str, Any] = {
    "font.family": [_DEFAULT_FAMILY],
    "font.sans-serif": [_DEFAULT_FAMILY],
    "font.size": 9.0,
    "axes.titlesize": 9.0,
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.0,
    "ytick.labelsize": 8.0,
    "legend.fontsize": 7.5,
    "mathtext.fontset": "dejavusans",
    "axes.linewidth": 0.6,
    "axes.edgecolor": "0.15",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "axes.axisbelow": True,
    "figure.titlesize": 9.0,
    "figure.titleweight": "normal",
    "axes.prop_cycle": cycler(color=list(_COLORS)),
    "grid.linewidth": 0.4,
    "grid.color": "0.88",
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.direction": "out",
    "ytick.direction": "out",
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "patch.linewidth": 0.5,
    "legend.frameon": False,
    "legend.handlelength": 1.8,
    "legend.borderaxespad": 0.3,
    "figure.dpi": 100.0,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.dpi": 300.0,
    # A fixed canvas size: a journal column is exactly 3.5 in wide, so no tight bounding box.
    "savefig.bbox": "standard",
    # TrueType (Type 42) fonts keep PDF text editable and are what journals ask for.
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    # SVG element ids are random unless salted; a fixed salt keeps SVG output reproducible.
    "svg.hashsalt": "econ.presentation.figures",
    "axes.formatter.use_locale": False,
}
"""The rcParams of every figure: 9 pt sans-serif, thin axes, no top or right spine, a light
grid on the value axis. :class:`Chart` reapplies them when saving, because matplotlib reads
some of them (fonts of tick labels created at draw time, PDF font type) only then."""

_WIDTHS = {"single": 3.5, "double": 7.0}

CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
    "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei", "PingFang SC",
    "Heiti SC", "Hiragino Sans GB", "STHeiti", "AR PL UMing CN", "AR PL UKai CN",
    "Droid Sans Fallback", "Noto Serif CJK SC", "Source Han Serif SC", "SimSun",
    # A .ttc collection is indexed under its first face, which is Japanese for Noto and
    # Source Han; those faces still hold the simplified characters used in the labels.
    "Noto Sans CJK JP", "Source Han Sans", "Noto Sans CJK TC", "Noto Sans CJK KR",
)
"""Families :func:`cjk_font` looks for, in order of preference."""

_FONT_FIX = ("install one (e.g. `apt install fonts-noto-cjk`, then clear matplotlib's font "
             "cache) or pass font=\"/path/to/font.otf\"")

# rcParams are process-wide; holding this lock while a figure is built or saved keeps two
# threads from drawing with each other's style.
_LOCK = threading.RLock()


class MissingFontWarning(UserWarning):
    """Chinese labels were asked for but no font with CJK glyphs is available."""


@dataclass(frozen=True, eq=False, repr=False)
class Chart:
    """A finished figure and exactly the numbers it shows.

    Attributes
    ----------
    figure
        The matplotlib figure (object-oriented API, Agg canvas).
    data
        Tidy frame with one row per plotted point; each plot function documents its columns.
    title
        The title drawn above the axes (may be empty).
    style
        The rcParams the figure was drawn with (:data:`STYLE` plus the font chain); they are
        applied again when the figure is saved or rendered.
    """

    figure: Figure
    data: pd.DataFrame
    title: str
    style: Mapping[str, Any] = field(default_factory=lambda: dict(STYLE))

    def __repr__(self) -> str:
        width, height = self.figure.get_size_inches()
        return (f"Chart(title={self.title!r}, points={len(self.data)}, "
                f"size={width:g}x{height:g} in)")

    def save(self, stem: str | Path, *, formats: Sequence[str] = ("png", "pdf"),
             dpi: float = 300) -> list[Path]:
        """Write the figure as ``stem.png``, ``stem.pdf`` (and ``stem.svg`` if asked).

        Output is deterministic: timestamps and the software version are left out of the
        metadata, so the same figure gives the same bytes on the same matplotlib version.

        Parameters
        ----------
        stem
            Path without extension; parent folders are created. A dot in the stem is kept
            (``fig.v2`` becomes ``fig.v2.png``).
        formats
            Any of ``"png"``, ``"pdf"`` and ``"svg"``.
        dpi
            Resolution of the PNG (the PDF and SVG are vector graphics).

        Returns
        -------
        list of Path
            The files written, in the order of ``formats``.
        """
        unknown = [f for f in formats if f not in _METADATA]
        if unknown:
            raise ValueError(f"unsupported format(s) {unknown}; choose from "
                             f"{sorted(_METADATA)}")
        base = Path(stem)
        base.parent.mkdir(parents=True, exist_ok=True)
        written = []
        for fmt in formats:
            path = base.with_name(f"{base.name}.{fmt}")
            self._write(path, fmt, dpi)
            written.append(path)
        return written

    def to_png(self, *, dpi: float = 150) -> bytes:
        """The figure as PNG bytes (deterministic, like :meth:`save`)."""
        buffer = io.BytesIO()
        self._write(buffer, "png", dpi)
        return buffer.getvalue()

    def _write(self, target: Path | io.BytesIO, fmt: str, dpi: float) -> None:
        with _styled(self.style):
            if isinstance(self.figure.get_layout_engine(), ConstrainedLayoutEngine):
                # Each constrained-layout pass measures the artists where the previous pass
                # left them (tick labels, a legend anchored to the axes, a fixed aspect), so
                # successive saves could differ by a fraction of a point. Two passes settle
                # the layout; freezing it then makes every save the same bytes.
                for _ in range(2):
                    self.figure.draw_without_rendering()
                self.figure.set_layout_engine("none")
            self.figure.savefig(target, format=fmt, dpi=dpi, metadata=dict(_METADATA[fmt]))

    def _repr_png_(self) -> bytes:
        return self.to_png()


# Keys set to None are left out of the file; without a date or version string, saving is a
# pure function of the figure.
_METADATA: dict[str, dict[str, Any]] = {
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
    "svg": {"Date": None, "Creator": None},
}


@contextmanager
def _styled(style: Mapping[str, Any]) -> Iterator[None]:
    with _LOCK, mpl.rc_context(dict(style)):
        yield


# --- fonts -----------------------------------------------------------------------------------


def cjk_font() -> str | None:
    """The first family of :data:`CJK_FAMILIES` known to matplotlib's font manager, or None.

    Fonts installed after matplotlib built its font cache are not seen until the cache is
    rebuilt (delete ``~/.cache/matplotlib``) or the file is passed to a plot as ``font=``.
    """
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


@lru_cache(maxsize=64)
def _charset(fname: str) -> frozenset[int]:
    return frozenset(ft2font.FT2Font(fname).get_charmap())


def _family_file(family: str) -> str | None:
    try:
        return font_manager.fontManager.findfont(font_manager.FontProperties(family=family),
                                                 fallback_to_default=False)
    except ValueError:
        return None


def _missing_glyphs(texts: Iterable[str], families: Sequence[str]) -> list[str]:
    """Characters of ``texts`` that none of ``families`` can draw (sorted, unique)."""
    chars = {c for text in texts for c in text if c.isprintable() and not c.isspace()}
    for family in families:
        if not chars:
            break
        fname = _family_file(family)
        if fname is not None:
            chars -= {c for c in chars if ord(c) in _charset(fname)}
    return sorted(chars)


def _looks_like_path(font: str | Path) -> bool:
    if isinstance(font, Path):
        return True
    return (os.sep in font or "/" in font
            or Path(font).suffix.lower() in {".ttf", ".otf", ".ttc", ".otc"})


def _register(font: str | Path) -> str:
    """The family name of ``font``, registering it first when it is a file."""
    if not _looks_like_path(font):
        if font not in {entry.name for entry in font_manager.fontManager.ttflist}:
            raise ValueError(f"font family {font!r} is not known to matplotlib; pass the path "
                             f"of the font file instead (font=\"/path/to/font.otf\")")
        return str(font)
    path = Path(font).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"font file {str(path)!r} not found")
    real = os.path.realpath(path)
    with _LOCK:
        known = {os.path.realpath(entry.fname) for entry in font_manager.fontManager.ttflist}
        if real not in known:
            font_manager.fontManager.addfont(real)
    return ft2font.FT2Font(real).family_name


def _fonts(language: str, font: str | Path | None, table: Mapping[str, Mapping[str, str]],
           user_texts: Iterable[str]) -> tuple[Mapping[str, str], dict[str, Any]]:
    """Labels in ``language`` (or English) and the rcParams with a font chain that draws them.

    ``user_texts`` (titles, term and group names) are drawn whatever the language, so they
    count towards the glyphs needed too.
    """
    if language not in table:
        raise ValueError(f"language must be one of {sorted(table)}, got {language!r}")
    user = [t for t in user_texts if t]
    chain = [_register(font)] if font is not None else []
    if _DEFAULT_FAMILY not in chain:
        chain.append(_DEFAULT_FAMILY)
    labels = table[language]
    if _missing_glyphs([*labels.values(), *user], chain):
        cjk = cjk_font()
        if cjk is not None:
            # Chinese text reads best set wholly in the CJK face; English text keeps DejaVu
            # for its Latin letters and takes only the missing glyphs from the CJK font.
            lead = language == "zh" and font is None
            chain = [cjk, *chain] if lead else [*chain, cjk]
        else:
            if language != "en":
                named = f"the font {font!s} lacks Chinese glyphs" if font is not None else (
                    "no CJK font was found")
                warnings.warn(f"{named}, so labels fall back to English; to draw Chinese "
                              f"labels {_FONT_FIX}", MissingFontWarning, stacklevel=3)
                labels = table["en"]
            absent = _missing_glyphs([*labels.values(), *user], chain)
            if absent:
                raise ValueError(f"no available font can draw {''.join(absent)!r} (in the "
                                 f"title or the term/group labels); {_FONT_FIX}")
    chain = list(dict.fromkeys(chain))
    style = {**STYLE, "font.family": chain, "font.sans-serif": chain}
    if chain[0] != _DEFAULT_FAMILY:
        # Several CJK fonts (SimHei among them) have no U+2212 minus sign; the ASCII hyphen is
        # in every font.
        style["axes.unicode_minus"] = False
    return labels, style


# --- shared layout -----------------------------------------------------------------------------


def _inches(width: Width) -> float:
    if isinstance(width, str):
        if width not in _WIDTHS:
            raise ValueError(f"width must be 'single', 'double' or inches, got {width!r}")
        return _WIDTHS[width]
    value = float(width)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"width must be positive, got {width!r}")
    return value


def _figure(width: Width, height: float | None, ratio: float,
            wide_ratio: float) -> tuple[Figure, Axes]:
    w = _inches(width)
    # A double-column figure keeps about the height of a single-column one: it spreads the
    # same content sideways rather than growing taller than a page can hold.
    h = w * (wide_ratio if w >= 5.0 else ratio) if height is None else float(height)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"height must be positive, got {height!r}")
    figure = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _legend_above(ax: Axes, handles: Sequence[Any] | None = None, *, ncols: int = 1) -> None:
    # Above the axes the legend can never hide an estimate, whatever the data; the
    # constrained layout counts it as part of the axes and makes room for it.
    kwargs = {} if handles is None else {"handles": list(handles)}
    ax.legend(**kwargs, loc="lower left", bbox_to_anchor=(0.0, 1.02), borderaxespad=0.0,
              ncols=ncols, columnspacing=1.2)


def _wide(width: Width) -> bool:
    return _inches(width) >= 5.0


def _finish(figure: Figure, ax: Axes, title: str, simulated: bool) -> None:
    if title:
        # A figure title rather than an axes title: it sits above a legend placed over the
        # axes instead of colliding with it.
        figure.suptitle(title, x=0.01, ha="left", wrap=True).set_gid("title")
    if simulated:
        # supxlabel rather than fig.text: the constrained layout reserves room for it, so the
        # caption never overlaps the axis label.
        caption = figure.supxlabel(SIMULATED_LABEL, x=0.01, ha="left", fontsize=6.5,
                                   color="0.3", wrap=True)
        caption.set_gid("simulated")


def _percent(level: float) -> str:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    return f"{100 * level:.10g}%"


def _simulated(simulated: bool | None, source: object) -> bool:
    if simulated is not None:
        return bool(simulated)
    return bool(getattr(source, "simulated", False))


def _require(frame: pd.DataFrame, columns: Iterable[str | None], where: str) -> None:
    wanted = [c for c in columns if c is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise ValueError(f"{where}: column(s) {missing} not found; available: "
                         f"{[str(c) for c in frame.columns]}")


# --- event study -----------------------------------------------------------------------------

_EVENT_TEXT = {
    "en": {"year": "Year", "period": "Period relative to treatment", "estimate": "Estimate",
           "pointwise": "Pointwise {level} CI", "uniform": "Uniform {level} band",
           "reference_year": "Reference year", "reference_period": "Reference period"},
    "zh": {"year": "年份", "period": "相对处理时期", "estimate": "估计值",
           "pointwise": "逐点{level}置信区间", "uniform": "{level}一致置信带",
           "reference_year": "基准年", "reference_period": "基准期"},
}

_NUMBER_AT_END = re.compile(r"(-?\d+(?:\.\d+)?)\s*$")


def _periods(values: pd.Series) -> np.ndarray:
    """Numeric periods; labels such as ``"e=-2"`` give -2 and ``"overall"`` gives NaN."""
    numeric = pd.to_numeric(values, errors="coerce")
    if values.dtype.kind in "biuf" or numeric.notna().all():
        return numeric.to_numpy(dtype=float)
    parsed = values.astype(str).str.extract(_NUMBER_AT_END, expand=False)
    return pd.to_numeric(parsed, errors="coerce").to_numpy(dtype=float)


def event_study_plot(
    path: pd.DataFrame | Any,
    *,
    reference: float | None = None,
    estimate: str = "estimate",
    time: str = "year",
    pointwise: tuple[str, str] | None = ("conf_low", "conf_high"),
    uniform: tuple[str, str] | None = ("uniform_low", "uniform_high"),
    level: float | None = None,
    title: str = "",
    xlabel: str | None = None,
    ylabel: str | None = None,
    width: Width = "single",
    height: float | None = None,
    language: str = "en",
    font: str | Path | None = None,
    simulated: bool | None = None,
) -> Chart:
    """Event-study path: estimates by period with pointwise intervals and a uniform band.

    Parameters
    ----------
    path
        A DataFrame, or an object whose ``to_frame()`` returns one (e.g. the result of
        ``econ.gradient_event_study``). Its ``reference``, ``level`` and ``simulated``
        attributes, when present, are the defaults of the options of the same names.
    reference
        Period the path is normalised to; drawn as a dashed vertical line. ``None`` (and no
        ``reference`` attribute) draws none.
    estimate, time
        Columns of the point estimates and of the period. A text period such as
        Callaway-Sant'Anna's ``"e=-2"`` is read as the number at its end; rows without one
        (the ``"overall"`` row) are not drawn.
    pointwise
        Lower and upper column of the pointwise intervals (error bars), or ``None``.
    uniform
        Lower and upper column of the simultaneous band (shaded), or ``None``. For a
        Callaway-Sant'Anna dynamic aggregation pass ``time="term", estimate="att",
        uniform=("band_low", "band_high")``.
    level
        Coverage named in the legend (default: ``path.level``, else 0.95).
    title, xlabel, ylabel
        Title, and axis labels replacing the defaults ("Year" or "Period relative to
        treatment", and "Estimate").
    width, height
        ``"single"`` (3.5 in), ``"double"`` (7 in) or a width in inches; height in inches
        (default: 0.8 of the width, 0.45 from 5 in up).
    language, font
        ``"en"`` or ``"zh"`` labels, and an optional font file or family (see :func:`cjk_font`).
    simulated
        Caption the figure with the simulated-data label (default: ``path.simulated``).

    Returns
    -------
    Chart
        ``data`` has columns ``period``, ``estimate``, ``conf_low``, ``conf_high``,
        ``band_low``, ``band_high`` (NaN when not drawn) and ``is_reference``, sorted by
        period. A reference row whose bounds are missing is drawn, and reported, with
        zero-width bounds at its estimate: the normalisation leaves it no uncertainty.

    Raises
    ------
    ValueError
        When a named column is missing (the message lists the available ones) or no row
        has a numeric period.
    """
    frame = path if isinstance(path, pd.DataFrame) else path.to_frame()
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"path must be a DataFrame or have to_frame(); got {type(path)!r}")
    _require(frame, [time, estimate, *(pointwise or ()), *(uniform or ())], "event_study_plot")
    if reference is None:
        reference = getattr(path, "reference", None)
    if level is None:
        level = float(getattr(path, "level", 0.95))
    percent = _percent(level)
    simulated = _simulated(simulated, path)

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
    data = data.sort_values("period", kind="stable", ignore_index=True)
    data["is_reference"] = (data["period"] == reference) if reference is not None else False
    for name, pair in (("conf", pointwise), ("band", uniform)):
        if pair is not None:
            for side in ("low", "high"):
                column = f"{name}_{side}"
                gap = data["is_reference"] & data[column].isna()
                data.loc[gap, column] = data.loc[gap, "estimate"]
    if (data["period"] == data["period"].round()).all():
        data["period"] = data["period"].astype(np.int64)

    is_year = time == "year"
    text, style = _fonts(language, font, _EVENT_TEXT,
                         [title, xlabel or "", ylabel or ""])
    x = data["period"].to_numpy(dtype=float)
    color = _COLORS[0]
    with _styled(style):
        figure, ax = _figure(width, height, 0.8, 0.45)
        handles = []
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
        ax.axhline(0.0, color=_REFERENCE_GREY, linewidth=0.6, zorder=2, gid="zero")
        if reference is not None:
            key = "reference_year" if is_year else "reference_period"
            handles.append(ax.axvline(float(reference), color=_REFERENCE_GREY,
                                      linestyle="--", linewidth=0.8, zorder=2,
                                      label=text[key], gid="reference"))
        ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins="auto", integer=True))
        ax.xaxis.set_major_formatter(ticker.StrMethodFormatter("{x:g}"))
        ax.set_xlabel(xlabel if xlabel is not None else text["year" if is_year else "period"])
        ax.set_ylabel(ylabel if ylabel is not None else text["estimate"])
        _legend_above(ax, handles, ncols=len(handles) if _wide(width) else 2)
        _finish(figure, ax, title, simulated)
    return Chart(figure, data, title, style)


# --- coefficient plot --------------------------------------------------------------------------

_COEF_TEXT = {"en": {"estimate": "Estimate"}, "zh": {"estimate": "估计值"}}


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
    _require(frame, [term, estimate, low, high, group], "coefficient_plot")
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
    text, style = _fonts(language, font, _COEF_TEXT,
                         [title, xlabel or "", *shown, *(g for g in groups if g is not None)])
    n = len(terms)
    default_height = 0.75 + 0.24 * n * max(1.0, 0.55 * k) + (0.25 if k > 1 else 0.0)
    with _styled(style):
        figure, ax = _figure(width, height if height is not None else default_height, 1.0, 1.0)
        ax.grid(False)
        ax.grid(True, axis="x")
        for j, g in enumerate(groups):
            part = data if g is None else data[data["group"] == g]
            color, marker = _COLORS[j % len(_COLORS)], _MARKERS[j % len(_MARKERS)]
            tag = "" if g is None else f":{g}"
            if low is not None:
                ax.hlines(part["position"], part["conf_low"], part["conf_high"], color=color,
                          linewidth=0.9, zorder=3, gid=f"whiskers{tag}")
            ax.plot(part["estimate"], part["position"], linestyle="none", marker=marker,
                    color=color, markersize=4, zorder=4, label="_" if g is None else g,
                    gid=f"estimates{tag}")
        ax.axvline(0.0, color=_REFERENCE_GREY, linewidth=0.6, zorder=2, gid="zero")
        ax.set_yticks(range(n), labels=shown)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlabel(xlabel if xlabel is not None else text["estimate"])
        if group is not None:
            _legend_above(ax, ncols=min(k, 5 if _wide(width) else 3))
        _finish(figure, ax, title, _simulated(simulated, estimates))
    return Chart(figure, data, title, style)


# --- Lorenz curves -----------------------------------------------------------------------------

_LORENZ_TEXT = {
    "en": {"x": "Cumulative share of villages", "y": "Cumulative share of funds",
           "equality": "Line of equality"},
    "zh": {"x": "村庄累计占比", "y": "资金累计占比", "equality": "绝对平均线"},
}


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
    """
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError("lorenz_plot: curves must be a non-empty mapping of label -> values "
                        "or (population_share, value_share)")
    points = {str(label): _curve(str(label), value) for label, value in curves.items()}
    data = pd.concat([pd.DataFrame({"group": label, "population_share": pop,
                                    "value_share": share})
                      for label, (pop, share) in points.items()], ignore_index=True)
    text, style = _fonts(language, font, _LORENZ_TEXT,
                         [title, xlabel or "", ylabel or "", *points])
    with _styled(style):
        figure, ax = _figure(width, height, 1.0, 0.6)
        for j, (label, (pop, share)) in enumerate(points.items()):
            ax.plot(pop, share, color=_COLORS[j % len(_COLORS)],
                    linestyle=_LINESTYLES[j % len(_LINESTYLES)], linewidth=1.2, label=label,
                    gid=f"lorenz:{label}")
        ax.plot([0.0, 1.0], [0.0, 1.0], color=_REFERENCE_GREY, linestyle="--", linewidth=0.7,
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
        _finish(figure, ax, title, simulated)
    return Chart(figure, data, title, style)


# --- wild bootstrap draws ----------------------------------------------------------------------

_BOOT_TEXT = {
    "en": {"t": "t statistic", "wald": "Wald statistic",
           "draws_t": "Bootstrap t statistics", "draws_wald": "Bootstrap Wald statistics",
           "density": "Density", "observed": "Observed",
           "critical": "{level} critical values", "critical_one": "{level} critical value"},
    "zh": {"t": "t统计量", "wald": "Wald统计量",
           "draws_t": "自助法t统计量", "draws_wald": "自助法Wald统计量",
           "density": "密度", "observed": "观测值",
           "critical": "{level}临界值", "critical_one": "{level}临界值"},
}


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
    percent = _percent(level)
    joint = "wald" in test.pvalues
    critical = float(np.quantile(finite if joint else np.abs(finite), level))
    statistic, pvalue, reps = float(test.statistic), float(test.pvalue), int(test.reps)
    data = pd.DataFrame({"t_star": finite})
    data.attrs.update({"statistic": statistic, "critical_value": critical, "pvalue": pvalue,
                       "method": str(test.method), "reps": reps,
                       "dropped": int(draws.size - finite.size)})

    text, style = _fonts(language, font, _BOOT_TEXT, [title])
    kind = "wald" if joint else "t"
    p_text = f"p < {1 / reps:.2g}" if pvalue == 0 else f"p = {pvalue:.3f}"
    spots = [critical] if joint else [-critical, critical]
    with _styled(style):
        figure, ax = _figure(width, height, 0.8, 0.45)
        _, _, bars = ax.hist(finite, bins=int(bins), density=True, color="0.72",
                             edgecolor="white", linewidth=0.3, zorder=1,
                             label=f"{text['draws_' + kind]} ({test.method}, B = {reps:,})")
        for bar in bars:
            bar.set_gid("histogram")
        ax.axvline(statistic, color=_COLORS[1], linewidth=1.2, zorder=3,
                   label=f"{text['observed']} {statistic:.2f} ({p_text})", gid="observed")
        label = text["critical_one" if joint else "critical"].format(level=percent)
        for j, spot in enumerate(spots):
            ax.axvline(spot, color=_REFERENCE_GREY, linestyle="--", linewidth=0.8, zorder=2,
                       label=f"{label} ({'±' * (not joint)}{critical:.2f})" if j == 0 else "_",
                       gid="critical")
        ax.set_xlabel(text[kind])
        ax.set_ylabel(text["density"])
        _legend_above(ax, ncols=3 if _wide(width) else 1)
        _finish(figure, ax, title, simulated)
    return Chart(figure, data, title, style)
