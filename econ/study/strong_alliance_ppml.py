"""The strong-alliance triple difference by Poisson pseudo-maximum likelihood (PPML).

The log-linear design (:func:`econ.study.strong_alliance.strong_alliance`) models
``log(1 + funds)``. With zeros in the outcome its estimates are not a percentage effect and
change with the unit the outcome is measured in (Chen and Roth 2024, QJE): ``log(1 + y)``
behaves like ``log(y)`` for large ``y`` but like ``y`` near zero, so the coefficient mixes the
intensive margin in logs with the extensive margin in levels, in proportions that a rescaling
of ``y`` (yuan instead of 10,000 yuan) shifts. PPML fits ``E[y | x] = exp(x'b + effects)``
on ``y`` itself: ``exp(b) - 1`` is the proportional change of the mean, zeros are used as they
are, and a change of unit moves only the fixed effects.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.data.derive import POST_YEAR
from econ.inference.covariance import Cluster
from econ.models.poisson import fepois
from econ.results.poisson import PoissonResult
from econ.results.regression import RegressionResult
from econ.study.variables import (
    CONTROLS,
    TRIPLE,
    Endowment,
    UnitRank,
    control_terms,
    fit,
    working_table,
)


def strong_alliance_ppml(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    unit_rank: UnitRank = "binary",
    endowment: Endowment = "continuous",
    cluster: str = "township_id",
    post_year: int = POST_YEAR,
    controls: Sequence[str] = CONTROLS,
    scale: float = 1.0,
) -> PoissonResult:
    """The triple-difference regression of the strong-alliance design, by PPML.

    Same terms, controls, fixed effects and clustering as the log-linear main regression::

        E[y] = exp(level:endow:post + endow:post + level:post + level:endow + level
                   + controls + village + year)

    Parameters
    ----------
    panel
        The village panel.
    outcome
        A non-negative outcome (funds, project counts, relapse households).
    unit_rank, endowment, cluster, post_year, controls
        As in :func:`~econ.study.strong_alliance.strong_alliance`.
    scale
        Multiplies the outcome first (a change of unit); PPML slopes do not depend on it.

    Returns
    -------
    PoissonResult
        CR1 by ``cluster``; ``wild_bootstrap(term)`` runs the score bootstrap.
    """
    data = _scaled(panel, outcome, scale, unit_rank, endowment, post_year)
    data[outcome] = data.pop("y")
    result = fepois(_formula(outcome, data, controls), Dataset(data, simulated=panel.simulated),
                    cov=Cluster(cluster))
    assert isinstance(result, PoissonResult)
    if TRIPLE not in result.names:
        reason = result.dropped_coefficients.get(TRIPLE, "not estimated")
        raise ValueError(f"the triple difference ({TRIPLE}) of {outcome!r} is not identified "
                         f"by PPML in this panel: {reason}")
    return result


def strong_alliance_log1p(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    unit_rank: UnitRank = "binary",
    endowment: Endowment = "continuous",
    cluster: str = "township_id",
    post_year: int = POST_YEAR,
    controls: Sequence[str] = CONTROLS,
    scale: float = 1.0,
) -> RegressionResult:
    """The log-linear main regression on ``log(1 + scale * outcome)``, by least squares.

    With ``scale=1`` it is the main regression of
    :func:`~econ.study.strong_alliance.strong_alliance` (outcome named
    ``log1p_<outcome>``); other scales show how its estimates
    move with the unit of the outcome (Chen and Roth 2024), which PPML's do not.
    """
    data = _scaled(panel, outcome, scale, unit_rank, endowment, post_year)
    name = f"log1p_{outcome}"
    data[name] = np.log1p(data.pop("y"))
    return fit(_formula(name, data, controls), data, cluster=cluster,
               simulated=panel.simulated, bootstrap=None)


def _formula(outcome: str, data: pd.DataFrame, controls: Sequence[str]) -> str:
    # The terms and effects of the main regression (econ.study.variables.main_fit), with the
    # outcome named, so that tables can tell the outcomes apart.
    return (f"{outcome} ~ {TRIPLE} + endow:post + level:post + level:endow + level"
            f"{control_terms(data, controls)} | village_id + year")


def _scaled(panel: Dataset, outcome: str, scale: float, unit_rank: UnitRank,
            endowment: Endowment, post_year: int) -> pd.DataFrame:
    """The design's working table with ``y = scale * outcome`` (refusing negative values)."""
    if not scale > 0:
        raise ValueError(f"scale must be positive (a change of unit), got {scale}")
    _, data = working_table(panel, outcome=outcome, transform="none", unit_rank=unit_rank,
                            endowment=endowment, post_year=post_year)
    data["y"] = data["y"] * scale
    return data
