"""Intercepts that make expected shares hit their targets.

The shares are expectations over the standard normal endowment, computed by Gauss-Hermite
quadrature, so they depend on the parameters only: every county can be simulated on its own and
the result does not depend on which other counties are in the run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy.optimize import brentq
from scipy.special import expit

from econ.data.simulate.params import SimulationParams

_NODES, _WEIGHTS = hermegauss(80)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


@dataclass(frozen=True)
class Intercepts:
    """Logit intercepts solved from the target shares in :class:`SimulationParams`."""

    poverty: float
    deep: float
    assisted_post: float


def _solve(share: Callable[[float], float], target: float) -> float:
    return float(brentq(lambda a: share(a) - target, -30.0, 30.0, xtol=1e-12))


def solve_intercepts(params: SimulationParams) -> Intercepts:
    """Solve the poverty, deep-poverty and post-2021 team intercepts for ``params``."""
    v, d = params.villages, params.dispatch
    e = _NODES

    def poverty_share(a: float) -> float:
        return float(_WEIGHTS @ expit(a + v.poverty_slope * e))

    poverty = _solve(poverty_share, v.poverty_share)
    p_poor = expit(poverty + v.poverty_slope * e)

    def deep_share(a: float) -> float:
        return float(_WEIGHTS @ (p_poor * expit(a + v.deep_slope * e)))

    deep = _solve(deep_share, v.deep_share * v.poverty_share)

    def assisted_share(a: float) -> float:
        other = (1 - p_poor) * expit(a + d.assisted_slope_post * e)
        return float(_WEIGHTS @ (p_poor * d.team_retention_post + other))

    assisted = _solve(assisted_share, d.assisted_share_post)
    return Intercepts(poverty=poverty, deep=deep, assisted_post=assisted)


def probability(intercept: float, slope: float, x: np.ndarray) -> np.ndarray:
    """``logistic(intercept + slope * x)``."""
    return expit(intercept + slope * x)
