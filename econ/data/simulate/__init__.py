"""Simulated village panels and cadre surveys with known true effects.

``simulate(config)`` returns a :class:`SimulatedPanel`; ``simulate.cadre_survey(n)`` a
:class:`SimulatedSurvey`; ``simulate.write_partitions(path)`` writes the national-scale panel to
disk in bounded chunks. The model, its parameters and the true estimands are documented in
``data/CODEBOOK.md`` and in :mod:`econ.data.simulate.params`.
"""

from econ.data.seeds import DEFAULT_SEED
from econ.data.simulate.panel import SimulatedPanel
from econ.data.simulate.params import (
    PRESETS,
    Designation,
    Dispatch,
    Funds,
    Outcomes,
    SimulationParams,
    Structure,
    Villages,
)
from econ.data.simulate.rotation import Rotation, RotationTruth, SimulatedRotation
from econ.data.simulate.simulator import Simulator, simulate
from econ.data.simulate.survey import ItemModel, SimulatedSurvey, SurveyParams, SurveyTruth
from econ.data.simulate.truth import PanelTruth

__all__ = [
    "DEFAULT_SEED",
    "PRESETS",
    "Designation",
    "Dispatch",
    "Funds",
    "ItemModel",
    "Outcomes",
    "PanelTruth",
    "Rotation",
    "RotationTruth",
    "SimulatedPanel",
    "SimulatedRotation",
    "SimulatedSurvey",
    "SimulationParams",
    "Simulator",
    "Structure",
    "SurveyParams",
    "SurveyTruth",
    "Villages",
    "simulate",
]
