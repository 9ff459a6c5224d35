"""econ: econometrics for village-based assistance (驻村帮扶) research.

The public API, in the order data flows through it:

- load and validate: :func:`read_panel`, :func:`read_survey`, :func:`write_panel`;
- study variables: :func:`derive`;
- regression: :func:`feols` with :class:`IID`, :class:`HC1` and the cluster specifications
  (:class:`ClusterSpec`) :class:`Cluster` (CR1), :class:`CR2`, :class:`CR3`; inference with
  :class:`WildBootstrap` settings, ``result.lincom``;
- study designs: :func:`strong_alliance`, :func:`gradient_event_study`,
  :func:`heterogeneity`, :func:`designation_effect`;
- staggered adoption: :func:`att_gt` (with :class:`Multiplier` settings), :func:`sun_abraham`,
  :func:`bacon_decomposition`; event studies of every kind are one :class:`EventStudy`;
- tables for papers: :func:`etable` (regressions side by side), :func:`descriptive_table`,
  :func:`describe_by`, :func:`count_by`, :class:`Table`;
- figures for papers: :func:`event_study_plot`, :func:`coefficient_plot`, :func:`lorenz_plot`,
  :func:`bootstrap_distribution_plot` (each a :class:`Chart` holding the plotted numbers);
- simulated data with known truth: :data:`simulate`.
"""

import ast
import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from econ.version import __version__

# The public names load on first use (PEP 562), so that ``import econ`` and every ``econ``
# command start without pandas, scipy, statsmodels and matplotlib until they need them. The
# imports below are the one list of what is exported and from where: type checkers read them,
# and at run time they are parsed once into the name -> module table.
if TYPE_CHECKING:
    from econ.data.dataset import SIMULATED_LABEL, Dataset, LoadReport
    from econ.data.derive import derive
    from econ.data.io import read_panel, read_survey, write_panel
    from econ.data.labels import Texts, term_label, variable_label
    from econ.data.mapping import LoadMapping, MappingError, load_mapping
    from econ.data.problems import (
        Problem,
        UnencodableError,
        UnreadableFileError,
        ValidationError,
    )
    from econ.data.schema import PANEL, SCHEMA_VERSION, SURVEY
    from econ.data.simulate import SimulatedPanel, SimulatedSurvey, SimulationParams, simulate
    from econ.data.simulate.rotation import Rotation, RotationTruth, SimulatedRotation
    from econ.estimation.descriptives import count_by, describe_by, summary_statistics
    from econ.estimation.did.dcdh_panel import (
        ConstantTreatmentError,
        MissingTreatmentError,
        NoControlsError,
        NoSwitchersError,
    )
    from econ.estimation.did.imputation import NoControlObservationsError
    from econ.estimation.inequality import gini, lorenz_curve, theil_decomposition, theil_l, theil_t
    from econ.estimation.iv import InstrumentError
    from econ.estimation.linear import SlopesNotSupported
    from econ.estimation.poisson import ConvergenceError
    from econ.inference.bootstrap.settings import WildBootstrap
    from econ.inference.corrections import SmallSample
    from econ.inference.covariance import HC1, IID, Cluster, ClusterSpec, FewClustersWarning
    from econ.inference.cr2 import CR2
    from econ.inference.cr3 import CR3
    from econ.inference.iv import WeakInstrumentWarning
    from econ.inference.multiplier import Multiplier
    from econ.models.bacon import bacon_decomposition
    from econ.models.binary import group_probabilities
    from econ.models.dcdh import dcdh_estimate, did_multiplegt
    from econ.models.feols import feols
    from econ.models.few_clusters import Assignment, few_cluster_inference
    from econ.models.imputation import did_imputation
    from econ.models.iv import feiv
    from econ.models.poisson import fepois
    from econ.models.randomization import randomization_inference
    from econ.models.sensitivity import (
        NoReferencePeriodError,
        SensitivityInputError,
        honest_did,
        pretest_power,
        pretrend_test,
        sensitivity_band,
    )
    from econ.models.staggered import att_gt
    from econ.models.sun_abraham import sun_abraham
    from econ.montecarlo import MonteCarloResult, SchedulerUnreachable, Simulation
    from econ.presentation.descriptive_table import descriptive_table
    from econ.presentation.figures import (
        Chart,
        MissingFontWarning,
        bootstrap_distribution_plot,
        cjk_font,
        coefficient_plot,
        event_study_plot,
        lorenz_plot,
    )
    from econ.presentation.figures.power_curve import power_curve_plot
    from econ.presentation.figures.sensitivity import event_study_comparison_plot, sensitivity_plot
    from econ.presentation.regression_table import Model, Stars, etable
    from econ.results.bacon import BaconDecomposition
    from econ.results.bootstrap import WildBootstrapTest
    from econ.results.design import DesignationEffect, DesignResult, Heterogeneity, NamedEffect
    from econ.results.efficiency import Efficiency
    from econ.results.event_study import EventStudy
    from econ.results.few_clusters import FewClusterInference
    from econ.results.inequality import InequalityResult
    from econ.results.iv import AndersonRubinSet, IVBootstrapTest, IVResult
    from econ.results.multiple import MultipleResults
    from econ.results.poisson import PoissonResult
    from econ.results.power import PowerResult
    from econ.results.randomization import RandomizationTest
    from econ.results.regression import RegressionResult, WaldTest
    from econ.results.rotation import RotationDesign
    from econ.results.sensitivity import PretestPower, Sensitivity, SensitivityBand
    from econ.results.staggered import AggregateResult, ATTgtResult
    from econ.results.survey import OrderedModels
    from econ.spec.formula import FormulaError
    from econ.study.designation import designation_effect
    from econ.study.efficiency import efficiency
    from econ.study.gradient import gradient_event_study
    from econ.study.heterogeneity import heterogeneity
    from econ.study.inequality import inequality
    from econ.study.power import RotationPowerDesign, StrongAllianceDesign, TwoSampleMeans, power
    from econ.study.readiness import DESIGNS, check_readiness, design_needs
    from econ.study.rotation import rotation_design
    from econ.study.strong_alliance import strong_alliance
    from econ.study.strong_alliance_ppml import strong_alliance_log1p, strong_alliance_ppml
    from econ.study.survey import ordered_models, survey_alpha, survey_descriptives
    from econ.table import Table


def _exports() -> dict[str, str]:
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    return {alias.asname or alias.name: str(node.module) for node in block.body
            if isinstance(node, ast.ImportFrom) for alias in node.names}


_EXPORTS = _exports()
_SUBPACKAGES = ("montecarlo",)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        if name in _SUBPACKAGES:
            # econ.montecarlo: the package, callable as the engine (econ/montecarlo).
            return importlib.import_module(f"econ.{name}")
        raise AttributeError(f"module 'econ' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBPACKAGES})


__all__ = [
    "CR2",
    "CR3",
    "DESIGNS",
    "HC1",
    "IID",
    "PANEL",
    "SCHEMA_VERSION",
    "SIMULATED_LABEL",
    "SURVEY",
    "ATTgtResult",
    "AggregateResult",
    "AndersonRubinSet",
    "Assignment",
    "BaconDecomposition",
    "Chart",
    "Cluster",
    "ClusterSpec",
    "ConstantTreatmentError",
    "ConvergenceError",
    "Dataset",
    "DesignResult",
    "DesignationEffect",
    "Efficiency",
    "EventStudy",
    "FewClusterInference",
    "FewClustersWarning",
    "FormulaError",
    "Heterogeneity",
    "IVBootstrapTest",
    "IVResult",
    "InequalityResult",
    "InstrumentError",
    "LoadMapping",
    "LoadReport",
    "MappingError",
    "MissingFontWarning",
    "MissingTreatmentError",
    "Model",
    "MonteCarloResult",
    "MultipleResults",
    "Multiplier",
    "NamedEffect",
    "NoControlObservationsError",
    "NoControlsError",
    "NoReferencePeriodError",
    "NoSwitchersError",
    "OrderedModels",
    "PoissonResult",
    "PowerResult",
    "PretestPower",
    "Problem",
    "RandomizationTest",
    "RegressionResult",
    "Rotation",
    "RotationDesign",
    "RotationPowerDesign",
    "RotationTruth",
    "SchedulerUnreachable",
    "Sensitivity",
    "SensitivityBand",
    "SensitivityInputError",
    "SimulatedPanel",
    "SimulatedRotation",
    "SimulatedSurvey",
    "Simulation",
    "SimulationParams",
    "SlopesNotSupported",
    "SmallSample",
    "Stars",
    "StrongAllianceDesign",
    "Table",
    "Texts",
    "TwoSampleMeans",
    "UnencodableError",
    "UnreadableFileError",
    "ValidationError",
    "WaldTest",
    "WeakInstrumentWarning",
    "WildBootstrap",
    "WildBootstrapTest",
    "__version__",
    "att_gt",
    "bacon_decomposition",
    "bootstrap_distribution_plot",
    "check_readiness",
    "cjk_font",
    "coefficient_plot",
    "count_by",
    "dcdh_estimate",
    "derive",
    "describe_by",
    "descriptive_table",
    "design_needs",
    "designation_effect",
    "did_imputation",
    "did_multiplegt",
    "efficiency",
    "etable",
    "event_study_comparison_plot",
    "event_study_plot",
    "feiv",
    "feols",
    "fepois",
    "few_cluster_inference",
    "gini",
    "gradient_event_study",
    "group_probabilities",
    "heterogeneity",
    "honest_did",
    "inequality",
    "load_mapping",
    "lorenz_curve",
    "lorenz_plot",
    "montecarlo",
    "ordered_models",
    "power",
    "power_curve_plot",
    "pretest_power",
    "pretrend_test",
    "randomization_inference",
    "read_panel",
    "read_survey",
    "rotation_design",
    "sensitivity_band",
    "sensitivity_plot",
    "simulate",
    "strong_alliance",
    "strong_alliance_log1p",
    "strong_alliance_ppml",
    "summary_statistics",
    "sun_abraham",
    "survey_alpha",
    "survey_descriptives",
    "term_label",
    "theil_decomposition",
    "theil_l",
    "theil_t",
    "variable_label",
    "write_panel",
]
