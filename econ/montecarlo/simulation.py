"""A data step from an ``econ.simulate`` configuration with overrides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from econ.data.simulate import PRESETS, SimulatedPanel, SimulationParams, simulate


@dataclass(frozen=True)
class Simulation:
    """Simulated panels of a preset with some parameters changed: a Monte Carlo data step.

    Parameters
    ----------
    config
        A preset of :data:`econ.simulate.presets` (``"wp"``, ``"province"``, ``"national"``).
    overrides
        Parameters to change, by ``"section.name"``: ``{"funds.triple": 0.3,
        "structure.n_counties": 4}``. A grid cell of :func:`~econ.montecarlo.montecarlo`
        with the same kind of names overrides them again per cell.

    Calling it with a replication's ``SeedSequence`` (and a cell's values) returns the
    :class:`~econ.data.simulate.SimulatedPanel`, its truth included.
    """

    config: str = "wp"
    overrides: tuple[tuple[str, Any], ...] | Mapping[str, Any] = ()

    def __post_init__(self) -> None:
        if self.config not in PRESETS:
            raise ValueError(f"unknown config {self.config!r}; choose one of "
                             f"{', '.join(PRESETS)}")
        pairs = tuple(sorted(dict(self.overrides).items()))
        object.__setattr__(self, "overrides", pairs)
        self.params(**dict(pairs))  # fail here, not in every replication

    def params(self, **cell: Any) -> SimulationParams:
        """The preset's parameters with the overrides and then ``cell`` applied."""
        params = PRESETS[self.config]
        for path, value in (*dict(self.overrides).items(), *cell.items()):
            section, _, name = path.partition(".")
            part = getattr(params, section, None) if name else None
            if part is None or name not in {f.name for f in fields(part)}:
                sections = ", ".join(f.name for f in fields(params))
                raise ValueError(f"unknown simulation parameter {path!r}: use "
                                 f"'section.name' with a section among {sections} (see "
                                 f"econ.data.simulate.params)")
            params = replace(params, **{section: replace(part, **{name: value})})
        return params

    def __call__(self, seed: np.random.SeedSequence, /, **cell: Any) -> SimulatedPanel:
        return simulate(self.config, seed=np.random.default_rng(seed),
                        params=self.params(**cell))
