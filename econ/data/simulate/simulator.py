"""The public entry point: ``simulate`` and its methods."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from econ.data.seeds import DEFAULT_SEED, Seed, entropy
from econ.data.simulate import partitions
from econ.data.simulate.panel import SimulatedPanel, build_panel
from econ.data.simulate.params import PRESETS, SimulationParams
from econ.data.simulate.rotation import Rotation, SimulatedRotation, add_rotation_outcome
from econ.data.simulate.survey import SimulatedSurvey, SurveyParams, build_survey


class Simulator:
    """Simulated study data with known truth; use the instance :data:`simulate`.

    ``simulate("wp")`` gives the two-county panel, ``simulate("province")`` J-province scale
    (about 9,400 villages) and ``simulate.write_partitions(path)`` the national scale on disk.
    Every result says it is SIMULATED in its ``label``.
    """

    @property
    def presets(self) -> Mapping[str, SimulationParams]:
        """The named configurations: ``wp``, ``province`` and ``national``."""
        return PRESETS

    def __call__(self, config: str = "wp", *, seed: Seed = DEFAULT_SEED,
                 params: SimulationParams | None = None) -> SimulatedPanel:
        """Simulate a village-year panel.

        Parameters
        ----------
        config
            A preset name (``"wp"``, ``"province"``, ``"national"``); recorded on the result.
        seed
            A non-negative int or a ``numpy.random.Generator`` (one draw is taken from it).
            Each county uses the stream ``SeedSequence([seed, county_index])``.
        params
            Parameters to use instead of the preset's, e.g.
            ``dataclasses.replace(simulate.presets["wp"], funds=...)``.

        Returns
        -------
        SimulatedPanel
            ``data`` (canonical panel), ``truth``, ``params``, ``config``, ``seed``, ``label``.
        """
        return build_panel(self._params(config, params), config=config,
                           entropy=entropy(seed))

    def rotation(self, config: str = "wp", *, seed: Seed = DEFAULT_SEED,
                 params: SimulationParams | None = None,
                 rotation: Rotation | None = None) -> SimulatedRotation:
        """The panel ``simulate(config, seed=seed, params=params)`` (unchanged) with
        ``unit_rank`` and ``rotation_outcome``, an outcome with known dynamic effects of
        changes in the unit's rank (:mod:`econ.data.simulate.rotation`)."""
        return add_rotation_outcome(self(config, seed=seed, params=params), rotation)

    def cadre_survey(self, n: int = 124, *, seed: Seed = DEFAULT_SEED,
                     params: SurveyParams | None = None) -> SimulatedSurvey:
        """Simulate ``n`` resident cadres' answers on the four difficulties (Likert 1-5)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        return build_survey(params or SurveyParams(), n, entropy=entropy(seed))

    def write_partitions(self, path: str | Path, config: str = "national", *,
                         seed: Seed = DEFAULT_SEED, params: SimulationParams | None = None,
                         villages_per_chunk: int = 25_000,
                         progress: Callable[[int, int], None] | None = None) -> list[Path]:
        """Write a panel too large for memory as ``path/part-NNNNN.parquet`` files.

        Rows are identical to ``simulate(config, seed=seed, params=params).data`` read in file
        order, whatever ``villages_per_chunk``; see :mod:`econ.data.simulate.partitions`.
        Memory holds one chunk at a time: with the default 25,000 villages per file the
        national preset (about 6.5 million rows, 21 files) peaks near 360 MB. Returns the files
        written, in order. ``progress(done, counties)`` is called after each county.
        """
        return partitions.write_partitions(self._params(config, params), path,
                                           entropy=entropy(seed),
                                           villages_per_chunk=villages_per_chunk,
                                           progress=progress)

    def __repr__(self) -> str:
        return f"<econ simulate: presets {', '.join(PRESETS)}; SIMULATED data only>"

    @staticmethod
    def _params(config: str, params: SimulationParams | None) -> SimulationParams:
        if params is not None:
            return params
        if config not in PRESETS:
            raise ValueError(f"unknown config {config!r}; choose one of {', '.join(PRESETS)} "
                             "or pass params=")
        return PRESETS[config]


simulate = Simulator()
