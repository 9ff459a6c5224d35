"""The print style shared by every figure: rcParams, palette, figure size, legend and captions."""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Literal, cast

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler

from econ.data.dataset import SIMULATED_LABEL

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

Width = Literal["single", "double"] | float

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies and still
# apart when a journal prints in greyscale (markers and line styles differ as well).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
LINESTYLES = ("-", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), "--", (0, (1, 1)))
REFERENCE_GREY = "0.35"

DEFAULT_FAMILY = "DejaVu Sans"

STYLE: dict[str, Any] = {
    "font.family": [DEFAULT_FAMILY],
    "font.sans-serif": [DEFAULT_FAMILY],
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
    "axes.prop_cycle": cycler(color=list(COLORS)),
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
    # Figures choose their layout engine; a user's matplotlibrc must not add one when a saved
    # figure's engine is removed (Chart._write).
    "figure.autolayout": False,
    "figure.constrained_layout.use": False,
    # TrueType (Type 42) fonts keep PDF text editable and are what journals ask for.
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    # SVG element ids are random unless salted; a fixed salt keeps SVG output reproducible.
    # The salt is part of every SVG written, so it stays the same when modules move.
    "svg.hashsalt": "econ.presentation.figures",
    "axes.formatter.use_locale": False,
}
"""The rcParams of every figure: 9 pt sans-serif, thin axes, no top or right spine, a light
grid on the value axis. :class:`~econ.presentation.figures.Chart` reapplies them when saving,
because matplotlib reads some of them (fonts of tick labels created at draw time, PDF font
type) only then."""

_WIDTHS = {"single": 3.5, "double": 7.0}

# rcParams are process-wide; holding this lock while a figure is built or saved keeps two
# threads from drawing with each other's style.
LOCK = threading.RLock()


@contextmanager
def styled(style: Mapping[str, Any]) -> Iterator[None]:
    """Apply ``style`` to matplotlib's rcParams for the duration of the block.

    Parameters
    ----------
    style
        rcParams, usually :data:`STYLE` with a font chain.

    Yields
    ------
    None
        Inside the block the style is in force and :data:`LOCK` is held.
    """
    # The keys are rcParams names (matplotlib validates them); the stubs want their Literal.
    with LOCK, mpl.rc_context(cast("dict[RcKeyType, Any]", dict(style))):
        yield


def inches(width: Width) -> float:
    """The width in inches of ``"single"`` (3.5), ``"double"`` (7) or a positive number.

    Raises
    ------
    ValueError
        On an unknown name or a width that is not a positive finite number.
    """
    if isinstance(width, str):
        if width not in _WIDTHS:
            raise ValueError(f"width must be 'single', 'double' or inches, got {width!r}")
        return _WIDTHS[width]
    value = float(width)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"width must be positive, got {width!r}")
    return value


def is_wide(width: Width) -> bool:
    """Whether ``width`` spans both columns of a page (5 in or more)."""
    return inches(width) >= 5.0


def new_figure(width: Width, height: float | None, ratio: float,
               wide_ratio: float) -> tuple[Figure, Axes]:
    """A constrained-layout figure on an Agg canvas with one axes.

    Parameters
    ----------
    width
        ``"single"``, ``"double"`` or inches.
    height
        Inches; ``None`` takes ``ratio`` (or ``wide_ratio`` for a wide figure) of the width.
    ratio, wide_ratio
        Height as a share of the width for narrow and wide figures.

    Returns
    -------
    tuple of Figure and Axes
        The figure and its only axes.

    Raises
    ------
    ValueError
        On a width or height that is not positive.
    """
    w = inches(width)
    # A double-column figure keeps about the height of a single-column one: it spreads the
    # same content sideways rather than growing taller than a page can hold.
    h = w * (wide_ratio if w >= 5.0 else ratio) if height is None else float(height)
    if not (math.isfinite(h) and h > 0):
        raise ValueError(f"height must be positive, got {height!r}")
    figure = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def legend_above(ax: Axes, handles: Sequence[Any] | None = None, *, ncols: int = 1) -> None:
    """Place the legend in a band above the axes.

    Parameters
    ----------
    ax
        The axes whose artists are listed.
    handles
        The artists to list (default: every labelled artist of ``ax``).
    ncols
        Columns of legend entries.
    """
    # Above the axes the legend can never hide an estimate, whatever the data; the
    # constrained layout counts it as part of the axes and makes room for it.
    kwargs = {} if handles is None else {"handles": list(handles)}
    figure = ax.get_figure()
    for columns in range(max(ncols, 1), 0, -1):
        legend = ax.legend(**kwargs, loc="lower left", bbox_to_anchor=(0.0, 1.02),
                           borderaxespad=0.0, ncols=columns, columnspacing=1.2)
        if not isinstance(figure, Figure) or columns == 1:
            break
        # Anchored at the axes' left edge, a legend wider than the room to the figure's right
        # edge is cut off when saved (long row labels push the axes right): fewer columns.
        renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
        engine = figure.get_layout_engine()
        with warnings.catch_warnings():
            # A trial layout: what it warns about (a missing glyph, a figure too small) is
            # warned again when the figure is drawn for real. The engine alone places the
            # axes, and with them the legend (as in Chart._write).
            warnings.simplefilter("ignore")
            if engine is not None:
                engine.execute(figure)
        if legend.get_window_extent(renderer).x1 <= figure.bbox.x1 - 2:
            break


def finish(figure: Figure, title: str, simulated: bool) -> None:
    """Add the title and, for simulated data, the caption saying so.

    Parameters
    ----------
    figure
        The figure to finish.
    title
        Drawn at the top left; nothing when empty.
    simulated
        Whether to caption the figure with :data:`econ.data.dataset.SIMULATED_LABEL`.
    """
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
