"""The simulated village-year panel: county blocks stitched together, with its truth."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

from econ.data.dataset import SIMULATED_LABEL, Dataset, LoadReport
from econ.data.schema import PANEL, TableSchema, pandas_dtype
from econ.data.simulate.calibration import solve_intercepts
from econ.data.simulate.county import simulate_county
from econ.data.simulate.params import SimulationParams
from econ.data.simulate.truth import PanelTruth, panel_truth


@dataclass(frozen=True, eq=False)
class SimulatedPanel:
    """A simulated panel and the truth it was generated from.

    Attributes
    ----------
    data
        One row per village and year in the canonical ``PANEL`` columns and dtypes, sorted by
        ``village_id`` and ``year``.
    truth
        The true estimands (:class:`~econ.data.simulate.truth.PanelTruth`).
    params
        The parameters used.
    config
        The preset name it was made from.
    seed
        The root entropy of the county streams; ``simulate(config, seed=seed, params=params)``
        reproduces ``data`` bit for bit.
    label
        The line every table or figure made from it must print: the data are SIMULATED.
    """

    data: pd.DataFrame
    truth: PanelTruth
    params: SimulationParams
    config: str
    seed: int
    label: str

    @property
    def dataset(self) -> Dataset:
        """The panel as a validated :class:`~econ.data.dataset.Dataset` flagged as simulated."""
        return simulated_dataset(self.data, PANEL, self.config, self.seed)


def simulated_dataset(data: pd.DataFrame, schema: TableSchema, config: str, seed: int) -> Dataset:
    """Wrap simulated data so tables made from it carry the SIMULATED label."""
    report = LoadReport(f"econ.simulate({config!r}, seed={seed})", "simulated")
    return Dataset(data, schema, report, simulated=True)


def label_for(config: str, seed: int) -> str:
    """The SIMULATED label naming the configuration and seed."""
    return f"{SIMULATED_LABEL}; config {config!r}, seed {seed}"


def canonical(frame: pd.DataFrame, schema: TableSchema = PANEL) -> pd.DataFrame:
    """Cast every column to the schema's dtype.

    Done once per assembled table rather than per county: categorical codes (ids) depend on the
    whole table's set of values.
    """
    return frame.astype({column.name: pandas_dtype(column) for column in schema.columns})


def county_blocks(params: SimulationParams, entropy: int, *, start: int = 0,
                  stop: int | None = None) -> Iterator[tuple[pd.DataFrame, int]]:
    """Yield ``(frame, newly_posted)`` for counties ``start`` to ``stop - 1``, one at a time."""
    intercepts = solve_intercepts(params)
    last = params.structure.n_counties if stop is None else stop
    for county in range(start, last):
        yield simulate_county(params, intercepts, entropy=entropy, county=county)


def build_panel(params: SimulationParams, *, config: str, entropy: int) -> SimulatedPanel:
    """Simulate every county, concatenate in county order and compute the truth."""
    frames, newly_posted = [], 0
    for frame, posted in county_blocks(params, entropy):
        frames.append(frame)
        newly_posted += posted
    data = canonical(pd.concat(frames, ignore_index=True))
    truth = panel_truth(params, data, newly_posted=newly_posted)
    return SimulatedPanel(data=data, truth=truth, params=params, config=config, seed=entropy,
                          label=label_for(config, entropy))
