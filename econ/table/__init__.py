"""Render a finished table as LaTeX (booktabs), HTML, Markdown, plain text, CSV, Word and Excel.

This is the package's only table writer: result summaries (``econ.results``) and the paper
tables (``econ.presentation``) both render through :class:`Table`, so a character is escaped
the same way wherever it is printed. It therefore imports nothing from the rest of ``econ``.

The same numbers always render to the same bytes: fixed digits, no locale, no timestamps (Word
and Excel files included), so a replication run can be compared byte for byte with the
previous one. Files are written whole or not at all.

Modules: :mod:`~econ.table.core` (the :class:`Table` and the choice of formats),
:mod:`~econ.table.text` (Markdown, text, HTML, CSV), :mod:`~econ.table.latex`,
:mod:`~econ.table.word`, :mod:`~econ.table.excel`, :mod:`~econ.table.cells` (what a cell
says: stars, numbers, intervals) and :mod:`~econ.table.files` (atomic, reproducible writes).
"""

from econ.table.core import (
    DEFAULT_FORMATS,
    FORMATS,
    Table,
    check_formats,
    format_number,
    format_pvalue,
    table_formats,
)
from econ.table.latex import LATEX_PREAMBLE
from econ.table.style import WordStyle

__all__ = ["DEFAULT_FORMATS", "FORMATS", "LATEX_PREAMBLE", "Table", "WordStyle",
           "check_formats", "format_number", "format_pvalue",
           "table_formats"]
