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
never shows empty boxes for missing glyphs. The labels themselves are in
:mod:`econ.data.figure_labels`.

Modules: :mod:`~econ.presentation.figures.style` (rcParams, sizes, captions),
:mod:`~econ.presentation.figures.chart` (:class:`Chart` and its files),
:mod:`~econ.presentation.figures.fonts`, :mod:`~econ.presentation.figures.pdf_fonts` (the
TrueType font subsets of PDF files, without layout tables) and one module per plot.
"""

from econ.presentation.figures.bootstrap_distribution import bootstrap_distribution_plot
from econ.presentation.figures.chart import Chart
from econ.presentation.figures.coefficient import coefficient_plot
from econ.presentation.figures.event_study import event_study_plot
from econ.presentation.figures.fonts import CJK_FAMILIES, MissingFontWarning, cjk_font
from econ.presentation.figures.lorenz import lorenz_plot
from econ.presentation.figures.style import STYLE

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
