"""Write a validated panel or survey to the formats researchers share, atomically.

A file is written under a temporary name in the target's folder and renamed into place only
when complete, so an error (a value the encoding cannot hold, a full disk) never leaves a
truncated file that would later load as a shorter panel.
"""

from __future__ import annotations

import codecs
import json
import secrets
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from econ.data.dataset import SIMULATED_LABEL, Dataset
from econ.data.problems import UnencodableError
from econ.data.schema import SCHEMA_VERSION

METADATA_KEY = b"econ"
#: Column that marks simulated data in formats without file metadata (CSV, Excel, Stata): every
#: row holds :data:`SIMULATED_LABEL`, so the label is visible to anyone who opens the file.
SIMULATED_COLUMN = "simulated_data"
SIMULATED_HEADERS = (SIMULATED_COLUMN, "模拟数据")

Format = Literal["parquet", "csv", "excel", "stata"]
_SUFFIX_FORMATS: dict[str, Format] = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv",
                                      ".xlsx": "excel", ".dta": "stata"}


def write_panel(
    data: Dataset | pd.DataFrame,
    path: str | Path,
    *,
    encoding: str = "utf-8",
    chinese_headers: bool = False,
) -> Path:
    """Write a validated panel or survey; the format follows the suffix.

    Parquet (the native format) keeps dtypes exactly and records the schema version and whether
    the data are simulated in the file's metadata under the key ``econ``. CSV, Excel and Stata
    are for sharing; simulated data get a last column ``simulated_data`` (模拟数据) holding the
    simulated-data label in every row, which :func:`read_panel` recognises and removes. Reading
    any of them back with :func:`read_panel` gives the same panel, exactly for CSV and Stata;
    Excel keeps floating-point numbers to 16 significant digits (openpyxl writes them with
    ``%.16g``; Excel itself shows 15).

    Parameters
    ----------
    data
        A :class:`~econ.data.dataset.Dataset` (or a DataFrame already in canonical form).
    path
        Target file: ``.parquet``, ``.csv``, ``.xlsx`` or ``.dta``.
    encoding
        CSV text encoding (``"utf-8"``, ``"utf-8-sig"`` for Excel on Windows, ``"gbk"``,
        ``"gb18030"``).
    chinese_headers
        Write the schema's Chinese column names instead of the English ones.

    Returns
    -------
    Path
        The file written.

    Raises
    ------
    UnencodableError
        When a CSV value or header has a character ``encoding`` cannot hold (GBK lacks rare
        characters of names, such as 𠮷); nothing is written.
    LookupError
        For an unknown encoding.
    ValueError
        For an unknown suffix.
    """
    dataset = data if isinstance(data, Dataset) else Dataset(data)
    target = Path(path)
    fmt = _SUFFIX_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise ValueError(f"cannot write {str(target)!r}: use one of "
                         f"{', '.join(sorted(_SUFFIX_FORMATS))}")
    frame = dataset.data
    if dataset.simulated and fmt != "parquet":
        frame = frame.assign(**{SIMULATED_COLUMN: SIMULATED_LABEL})
    if chinese_headers:
        names = {c.name: c.chinese for c in dataset.schema.columns}
        frame = frame.rename(columns={**names, SIMULATED_COLUMN: SIMULATED_HEADERS[1]})
    if fmt == "parquet":
        table = pa.Table.from_pandas(frame, preserve_index=False)
        info = {"schema_version": SCHEMA_VERSION, "table": dataset.schema.name,
                "simulated": dataset.simulated}
        meta = {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(info).encode()}
        _atomically(target, lambda file: pq.write_table(table.replace_schema_metadata(meta),
                                                        file))
    elif fmt == "csv":
        _check_encodable(frame, encoding, target)
        _atomically(target, lambda file: frame.to_csv(file, index=False, encoding=encoding))
    elif fmt == "excel":
        _atomically(target, lambda file: frame.to_excel(file, index=False))
    else:
        stata = _stata_frame(frame)
        _atomically(target, lambda file: stata.to_stata(file, write_index=False, version=118))
    return target


def _atomically(target: Path, write: Callable[[Path], object]) -> None:
    """Run ``write`` on a temporary file beside ``target``, then rename it into place."""
    # Same folder, so the rename cannot cross file systems; the suffix is kept because pandas
    # chooses the Excel writer by it. The writer creates the file, so it gets the usual mode.
    temporary = target.with_name(f".{target.stem}.{secrets.token_hex(6)}.partial{target.suffix}")
    try:
        write(temporary)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _check_encodable(frame: pd.DataFrame, encoding: str, target: Path) -> None:
    """Raise :class:`UnencodableError` naming the cells ``encoding`` cannot write, if any.

    Only text is checked (numbers are ASCII), once per distinct value.
    """
    codecs.lookup(encoding)  # an unknown name raises LookupError before anything is written
    cells: list[tuple[str, int, str]] = [
        (str(name), 0, str(name)) for name in frame.columns if not _encodes(str(name), encoding)]
    for name, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            distinct = column.cat.categories
        elif column.dtype == object or pd.api.types.is_string_dtype(column.dtype):
            distinct = pd.Index(pd.unique(column.dropna()))
        else:
            continue
        for value in distinct:
            if not _encodes(str(value), encoding):
                row = int(np.flatnonzero((column == value).to_numpy(dtype=bool,
                                                                    na_value=False))[0]) + 1
                cells.append((str(name), row, str(value)))
    if cells:
        raise UnencodableError(str(target), encoding, cells)


def _encodes(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _stata_frame(frame: pd.DataFrame) -> pd.DataFrame:
    # Stata has no nullable boolean or integer types and no missing strings: booleans become
    # 0/1 with '.', nullable integers become doubles with '.', missing strings become "".
    out: dict[Hashable, pd.Series] = {}
    for name, column in frame.items():
        if isinstance(column.dtype, pd.CategoricalDtype):
            out[name] = column.astype(object).fillna("").astype(str)
        elif pd.api.types.is_bool_dtype(column.dtype) or str(column.dtype) == "Int64":
            out[name] = column.astype("float64")
        elif pd.api.types.is_string_dtype(column.dtype):
            out[name] = column.astype(object).fillna("").astype(str)
        else:
            out[name] = column
    return pd.DataFrame(out)
