"""Write a large simulated panel as a folder of parquet files, one bounded chunk at a time.

Layout: ``part-00000.parquet``, ``part-00001.parquet``, ... in ``path``; each file holds whole
counties in county order, so reading the files in name order (``econ.read_panel(path)`` or
``pyarrow.parquet.read_table(path)``) gives the single-shot panel row for row. Each file carries
the same ``econ`` metadata as :func:`econ.write_panel`, marking the data as simulated. Id
columns are cast per file, so when the schema stores ids as categoricals each file has its own
categories; cast the concatenated table with ``schema.pandas_dtype`` to compare it with the
single-shot panel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from econ.data.dataset import Dataset
from econ.data.io import write_panel
from econ.data.schema import PANEL
from econ.data.simulate.panel import canonical, county_blocks
from econ.data.simulate.params import SimulationParams


def write_partitions(params: SimulationParams, path: str | Path, *, entropy: int,
                     villages_per_chunk: int,
                     progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Simulate county by county and write a file whenever ``villages_per_chunk`` is reached.

    Memory holds at most one chunk plus one county. The output does not depend on
    ``villages_per_chunk`` beyond how rows are split into files. ``progress(done, counties)``
    is called after each county.
    """
    if villages_per_chunk < 1:
        raise ValueError("villages_per_chunk must be at least 1")
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    if any(folder.glob("*.parquet")):
        raise FileExistsError(f"{str(folder)!r} already holds parquet files; use an empty folder")
    n_years = len(params.structure.years)
    written: list[Path] = []
    pending: list[pd.DataFrame] = []
    villages = 0

    def flush() -> None:
        target = folder / f"part-{len(written):05d}.parquet"
        chunk = canonical(pd.concat(pending, ignore_index=True))
        written.append(write_panel(Dataset(chunk, PANEL, simulated=True), target))
        pending.clear()

    counties = params.structure.n_counties
    for done, (frame, _) in enumerate(county_blocks(params, entropy), start=1):
        if progress is not None:
            progress(done, counties)
        pending.append(frame)
        villages += len(frame) // n_years
        if villages >= villages_per_chunk:
            flush()
            villages = 0
    if pending:
        flush()
    return written
