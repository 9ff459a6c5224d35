"""The Monte Carlo engine: many simulated datasets, each analysed, on a Dask cluster.

:func:`montecarlo` groups replications into tasks seeded from ``numpy.random.SeedSequence``
spawn keys, runs them on a ``dask.distributed`` cluster (an embedded LocalCluster by default,
an existing one by ``client=`` or ``ECON_SCHEDULER``) or in this process, and streams each
finished task to a Parquet file so an interrupted run resumes where it stopped.
"""

import sys
from types import ModuleType
from typing import Any

from econ.montecarlo.cluster import SCHEDULER_VARIABLE, SchedulerUnreachable
from econ.montecarlo.engine import montecarlo
from econ.montecarlo.simulation import Simulation
from econ.montecarlo.tasks import analysis_seed, replication_seed
from econ.results.montecarlo import MonteCarloResult

__all__ = [
    "SCHEDULER_VARIABLE",
    "MonteCarloResult",
    "SchedulerUnreachable",
    "Simulation",
    "analysis_seed",
    "montecarlo",
    "replication_seed",
]


class _CallableModule(ModuleType):
    """``econ.montecarlo(...)`` is the engine's entry point and ``econ.montecarlo`` is also this
    package (``from econ.montecarlo import Simulation``): Python binds the package to the name
    once it is imported, so the package itself is made callable rather than hidden."""

    def __call__(self, *args: Any, **kwargs: Any) -> MonteCarloResult:
        return montecarlo(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
