"""Read village panels and cadre surveys from the files researchers have, and write them back.

Supported inputs: CSV/TSV (UTF-8, UTF-8 with BOM, GBK/GB18030, detected), Excel ``.xlsx``,
Stata ``.dta``, a parquet file, a folder of parquet partitions, or a pandas DataFrame. Writing
is in :mod:`econ.data.writing`; :func:`write_panel` is re-exported here.
"""

from __future__ import annotations

import csv
import io
import json
import struct
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from econ.data.dataset import SIMULATED_LABEL, Dataset, LoadReport
from econ.data.encoding import decode
from econ.data.headers import HEADER_SEARCH_ROWS, HeaderLayout, locate_header
from econ.data.problems import Problem, UnreadableFileError
from econ.data.schema import PANEL, SURVEY, TableSchema
from econ.data.validation import YEAR_RANGE, validate
from econ.data.writing import METADATA_KEY, SIMULATED_HEADERS, write_panel

__all__ = ["read_panel", "read_survey", "write_panel"]

Source = str | Path | pd.DataFrame
HeaderRow = int | tuple[int, int] | None
#: Significant digits Excel keeps for a number: a longer numeric code is rounded.
EXCEL_DIGITS = 15
_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".dta", ".parquet", ".pq")
_MISSING = ["", "NA", "N/A", "NaN", "nan", "NULL", "null", "None", "."]


def read_panel(
    source: Source,
    *,
    mapping: Mapping[str, str] | None = None,
    value_mapping: Mapping[str, Mapping[str, str]] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: HeaderRow = None,
    year_range: tuple[int, int] = YEAR_RANGE,
) -> Dataset:
    """Load and validate a village-year panel.

    Parameters
    ----------
    source
        A path (``.csv``, ``.tsv``, ``.txt``, ``.xlsx``, ``.dta``, ``.parquet``, or a folder of
        parquet files) or a DataFrame.
    mapping
        ``{your header: canonical name}`` for headers that the built-in English and Chinese
        aliases do not cover, e.g. ``{"帮扶单位级别": "unit_level"}``.
    value_mapping
        ``{canonical column: {your value: canonical value}}``, e.g.
        ``{"unit_level": {"区直": "county"}}``.
    encoding
        Text encoding of a CSV; by default UTF-8 (with or without BOM) and then GB18030/GBK are
        tried.
    sheet
        Excel sheet name or position. By default the first sheet, or, when it holds no
        header naming the required columns (a cover or notes sheet), the first sheet that
        does, which the load report names.
    header_row
        The header's row in the file or sheet, counted from 1 (or two adjacent rows for a
        two-row header with merged cells). By default the first non-empty row, or a later
        one that names more columns (rows above it, such as a title ``XX县驻村帮扶台账``,
        are skipped and reported); two header rows are combined when that names more
        columns (``派出单位`` over ``层级`` is ``派出单位层级``).
    year_range
        Inclusive range of plausible years; years outside it are reported as errors.

    Returns
    -------
    Dataset
        Canonical columns and dtypes, sorted by ``(village_id, year)``, with a
        :class:`~econ.data.dataset.LoadReport` of every rename and recode, the encoding chosen
        and why, the empty rows skipped and any plausibility warnings.

    Raises
    ------
    ValidationError
        Listing every problem found (missing, repeated or wrongly united columns, unknown
        categories, non-numeric, infinite or yes/no values in numbers, codes that lost digits,
        total rows, duplicate village-years, years out of range, negative amounts, villages
        that change township or county, Excel formulas without values), each with its rows
        (counted from 1 after the header, blank lines included) and values and how to fix it.
    UnreadableFileError
        When the file is empty or not readable in the format its suffix names.
    LookupError
        When ``encoding`` is not a known codec name.
    """
    return _read(source, PANEL, mapping=mapping, value_mapping=value_mapping,
                 encoding=encoding, sheet=sheet, header_row=header_row, year_range=year_range)


def read_survey(
    source: Source,
    *,
    mapping: Mapping[str, str] | None = None,
    value_mapping: Mapping[str, Mapping[str, str]] | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: HeaderRow = None,
) -> Dataset:
    """Load and validate a cadre survey (one row per respondent, Likert items 1-5).

    Parameters are as for :func:`read_panel`.
    """
    return _read(source, SURVEY, mapping=mapping, value_mapping=value_mapping,
                 encoding=encoding, sheet=sheet, header_row=header_row, year_range=YEAR_RANGE)


def _read(source: Source, schema: TableSchema, *, mapping, value_mapping, encoding, sheet,
          header_row, year_range) -> Dataset:
    layout = _Layout(schema, mapping or {}, header_row)
    frame, report, simulated = _load(source, encoding=encoding, sheet=sheet, layout=layout)
    if header_row is not None and layout.found is None and len(frame):
        raise ValueError(f"header_row applies to CSV and Excel files, not to {report.source} "
                         f"({report.format}), whose columns are named")
    frame, marked = _simulated_marker(frame)
    simulated = simulated or marked
    found: list[Problem] = []
    if report.format == "excel" and not isinstance(source, pd.DataFrame):
        found = _formula_problems(Path(source), layout, frame)
    checked = validate(frame, schema, source=report.source, mapping=mapping,
                       value_mapping=value_mapping, year_range=year_range, found=found,
                       digits=EXCEL_DIGITS if report.format == "excel" else None)
    report = replace(report, renamed=checked.renamed, recoded=checked.recoded,
                     extra_columns=checked.extra_columns,
                     warnings=(*report.warnings, *checked.warnings),
                     skipped_rows=checked.skipped_rows)
    return Dataset(checked.frame, schema, report, simulated)


def _formula_problems(path: Path, layout: _Layout, frame: pd.DataFrame) -> list[Problem]:
    """Columns pandas read as empty because their cells are formulas with no stored result."""
    from econ.data.excel import formulas_without_values

    empty = [str(name) for name, values in frame.items() if values.isna().all()]
    if not empty or not len(frame) or layout.found is None:
        return []
    return [Problem(
        "formulas without values", header,
        f"column {header!r} holds Excel formulas (e.g. {formula!r}) but no computed values, so "
        f"it reads as empty: the file was written by a program that does not calculate. Open "
        f"it in Excel or LibreOffice and save it (that stores the results), or write the values "
        f"instead of formulas.",
    ) for header, formula in formulas_without_values(
        path, layout.sheet, layout.found.names, empty, layout.found.data_start).items()]


class _Layout:
    """How to find the header of a text or Excel table, and what was found (for the report
    and the formula check)."""

    def __init__(self, schema: TableSchema, mapping: Mapping[str, str],
                 header_row: HeaderRow) -> None:
        self.schema, self.mapping, self.header_row = schema, mapping, header_row
        self.sheet: str | int = 0
        self.found: HeaderLayout | None = None
        self.notes: tuple[str, ...] = ()

    def apply(self, raw: pd.DataFrame) -> pd.DataFrame:
        """The rows below the header, under the header's names (kept as written: pandas'
        own handling renames a repeated ``year`` to ``year.1``, which would load the second
        column quietly as an extra; kept, validation reports it)."""
        self.found = locate_header(raw, self.schema, self.mapping, self.header_row)
        if self.found is None:
            return pd.DataFrame()
        self.notes += self.found.notes
        header = [name or f"Unnamed: {i}" for i, name in enumerate(self.found.names)]
        body = raw.iloc[self.found.data_start:].reset_index(drop=True)
        body.columns = pd.Index(header, dtype=object)
        return body


def _load(source: Source, *, encoding: str | None, sheet: str | int | None, layout: _Layout
          ) -> tuple[pd.DataFrame, LoadReport, bool]:
    if isinstance(source, pd.DataFrame):
        return source, LoadReport("a DataFrame", "DataFrame"), False
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"no file or folder at {str(path)!r}")
    where = repr(str(path))
    if path.is_dir():
        with _reading(path, "a folder of parquet files", pa.ArrowException):
            table = pq.read_table(path)
        simulated = _is_simulated(table)  # before the conversion releases the table
        return _to_pandas(table), LoadReport(where, "parquet folder"), simulated
    suffix = path.suffix.lower()
    if suffix in _SUFFIXES and path.stat().st_size == 0:
        raise UnreadableFileError(str(path), "it is empty (0 bytes): it was not saved or "
                                             "copied completely")
    if suffix in (".csv", ".tsv", ".txt"):
        decoded = decode(path.read_bytes(), encoding, where)
        sep = None if suffix == ".txt" else ("\t" if suffix == ".tsv" else ",")

        def parse(names: range | None = None) -> pd.DataFrame:
            return pd.read_csv(io.StringIO(decoded.text), sep=sep, dtype=str, header=None,
                               names=names, keep_default_na=False, na_values=_MISSING,
                               # Blank lines are kept (and skipped by validation, which
                               # reports them) so that row numbers match the file's lines.
                               skip_blank_lines=False, engine="c" if sep else "python")

        with _reading(path, "a CSV file", pd.errors.ParserError, pd.errors.EmptyDataError):
            try:
                frame = parse()
            except pd.errors.ParserError:
                width = _width_under_title(decoded.text, sep)
                if width is None:
                    raise
                frame = parse(range(width))
        table = layout.apply(frame)
        report = LoadReport(where, "csv", decoded.encoding, encoding_reason=decoded.reason,
                            warnings=layout.notes)
        return table, report, False
    if suffix in (".xlsx", ".xlsm"):
        table = layout.apply(_excel_sheet(path, sheet, layout))
        return table, LoadReport(where, "excel", warnings=layout.notes), False
    if suffix == ".dta":
        # pandas reports a truncated or foreign file as a bare struct.error.
        with _reading(path, "a Stata .dta file", struct.error, ValueError, EOFError):
            frame = pd.read_stata(path, convert_missing=False)
        return frame, LoadReport(where, "stata"), False
    if suffix in _SUFFIXES:
        with _reading(path, "a parquet file", pa.ArrowException):
            table = pq.read_table(path)
        simulated = _is_simulated(table)
        return _to_pandas(table), LoadReport(where, "parquet"), simulated
    raise ValueError(
        f"cannot read {where}: unknown file type {suffix!r}. Use .csv, .tsv, .xlsx, .dta, "
        f".parquet or a folder of parquet files, or load it with pandas and pass the DataFrame."
    )


def _excel_sheet(path: Path, sheet: str | int | None, layout: _Layout) -> pd.DataFrame:
    # Imported here: openpyxl takes longer to import than a small parquet file to read.
    from econ.data.excel import choose_sheet

    with _reading(path, "an Excel workbook", zipfile.BadZipFile, ValueError, KeyError), \
            pd.ExcelFile(path) as book:
        names = [str(name) for name in book.sheet_names]
        if sheet is None:
            layout.sheet, layout.notes = choose_sheet(book, layout.schema, layout.mapping)
            return pd.read_excel(book, sheet_name=layout.sheet, header=None, dtype=object)
        if sheet in names or (isinstance(sheet, int) and -len(names) <= sheet < len(names)):
            layout.sheet = sheet
            return pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
    # Raised outside the reader's guard: the workbook is fine, the sheet asked for is not in it.
    raise ValueError(f"{str(path)!r} has no sheet {sheet!r}; its sheets are "
                     f"{', '.join(map(repr, names))}: pass sheet=<name or position>")


def _width_under_title(text: str, sep: str | None) -> int | None:
    """The width of a table whose only shorter lines are at the top (a title typed above it
    without the trailing separators a spreadsheet would write), or ``None``: pandas takes the
    first line's width for the whole file and refuses the longer lines below it."""
    if sep is None:
        return None
    widths = [len(row) for row in csv.reader(io.StringIO(text), delimiter=sep) if row]
    width = max(widths, default=0)
    start = widths.index(width) if widths else 0
    # Title and note lines are a cell or two; a data line one field short is no title.
    title = widths[:start]
    if not 0 < start <= HEADER_SEARCH_ROWS or any(w > width // 2 for w in title) or any(
            w != width for w in widths[start:]):
        return None
    return width


@contextmanager
def _reading(path: Path, what: str, *errors: type[BaseException]) -> Iterator[None]:
    """Turn a reader's low-level failure into an error that names the file and its format."""
    try:
        yield
    except errors as error:
        raise UnreadableFileError(str(path), f"it is not readable as {what} "
                                             f"({type(error).__name__}: {error})") from error


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    # Each Arrow column is released once converted, so a large panel is not held twice in
    # memory. pyarrow fills pandas' consolidated blocks on its thread pool; one block per
    # column (split_blocks) would be filled on this thread alone: on a national panel that
    # is most of the read's time on one core.
    return table.to_pandas(self_destruct=True)


def _simulated_marker(frame: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Take out the simulated-data marker column written by :func:`write_panel`, if present."""
    present = [c for c in frame.columns if str(c).strip() in SIMULATED_HEADERS]
    if not present:
        return frame, False
    # Empty rows carry no marker; validation skips them.
    values = frame[present[0]].dropna().astype(str).str.strip()
    if not (values == SIMULATED_LABEL).all():
        raise ValueError(
            f"column {present[0]!r} is reserved for econ's simulated-data marker and must hold "
            f"{SIMULATED_LABEL!r} in every row; rename the column if it is your own data")
    return frame.drop(columns=present), True


def _is_simulated(table: pa.Table) -> bool:
    meta = table.schema.metadata or {}
    if METADATA_KEY not in meta:
        return False
    return bool(json.loads(meta[METADATA_KEY]).get("simulated", False))
