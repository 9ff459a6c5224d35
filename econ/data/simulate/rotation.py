"""A simulated outcome with known dynamic effects of changes in the dispatching unit's level.

The panel's own outcomes respond to the unit's level only through ``high_level`` (and change
at the rotation together with the unit's strength), so they have no simple dynamic truth. This
module adds, beside a simulated panel and without touching any of its columns or draws, an
outcome ``rotation_outcome`` (log points) that responds to each change in the unit's *rank*
(``unit_rank``: -1 no team, 0 township, 1 county, 2 municipal, 3 provincial, 4 central) with
known dynamic effects, for checking the de Chaisemartin-D'Haultfoeuille estimator:

``rotation_outcome_it = a_i + trend * (t - first year) + u_township(i),t + e_it
+ sum over changes (s >= from_year, s <= t) of (rank_is - rank_i,s-1) * effects[min(t - s, K - 1)]``

``effects[l - 1]`` is the effect ``l`` years on (``l = 1`` the year of the change) of a rise of
one rank kept since, constant after the last entry; ``u`` are township-year shocks and ``e``
AR(1) errors. Changes before ``from_year`` (the 2015 campaign, the 2021 re-dispatch) set the
baseline and have no effect, so with the default ``from_year`` 2022 only the 2023 rotation
moves the outcome. For a village whose rank changes once, by ``c``, DID_l is ``c x
effects[l - 1]``; the normalised DID^n_l is ``effects[l - 1] / l``; the average total effect per
unit of treatment over effects ``1..L`` is the mean of ``effects[:L]``
(:class:`RotationTruth`).

Draws come from their own stream, ``SeedSequence(panel seed, spawn_key=(ROTATION_STREAM,))``,
never from the county streams, so the panel is bit for bit the one ``simulate`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.data.schema import PANEL
from econ.data.simulate.panel import SimulatedPanel, simulated_dataset

#: Spawn key of the rotation outcome's stream (13: the issue that asked for it).
ROTATION_STREAM = 13


@dataclass(frozen=True)
class Rotation:
    """Parameters of ``rotation_outcome``.

    Parameters
    ----------
    effects
        Effect of a one-rank rise ``l = 1, 2, ...`` years after it (log points), held at the
        last value afterwards.
    from_year
        First year whose rank changes move the outcome.
    intercept, trend
        Level and common yearly trend.
    village_sd, township_year_sd, error_sd, ar1
        Village effects, township-year shocks (so clustering by township matters) and AR(1)
        errors with stationary standard deviation ``error_sd``.
    """

    effects: tuple[float, ...] = (0.10, 0.16, 0.20)
    from_year: int = 2022
    intercept: float = 3.0
    trend: float = 0.05
    village_sd: float = 0.35
    township_year_sd: float = 0.10
    error_sd: float = 0.20
    ar1: float = 0.3

    def __post_init__(self) -> None:
        if not self.effects:
            raise ValueError("Rotation.effects needs at least one effect")
        if not -1 < self.ar1 < 1:
            raise ValueError(f"Rotation.ar1 must be in (-1, 1), got {self.ar1}")


@dataclass(frozen=True, eq=False)
class RotationTruth:
    """The true dynamic effects behind ``rotation_outcome``.

    Attributes
    ----------
    effects
        One row per ``period`` ``l`` (1..K): ``effect`` of a one-rank rise ``l`` years on (the
        DID_l of a switcher whose rank rose by one), ``lag_effect`` (the effect of the rank
        ``l - 1`` years earlier, ``effect`` differenced) and ``normalized`` (``effect / l``: the
        DID^n_l of a single change).
    from_year
        First year whose changes have effects.
    treatment
        The treatment column, ``unit_rank``.
    switchers_in, switchers_out
        Villages whose rank rose, fell, from ``from_year`` on (first change).
    """

    effects: pd.DataFrame
    from_year: int
    treatment: str
    switchers_in: int
    switchers_out: int

    def effect(self, period: int) -> float:
        """DID_l per rank of change, for ``period`` = l >= 1 (the last effect beyond K)."""
        values = self.effects["effect"].to_numpy()
        return float(values[min(period, values.size) - 1])

    def average_total_effect(self, effects: int) -> float:
        """The average total effect per unit of treatment over effects ``1..effects`` when every
        switcher changes once and is observed that long: the mean of those effects."""
        return float(np.mean([self.effect(p) for p in range(1, effects + 1)]))


@dataclass(frozen=True, eq=False)
class SimulatedRotation:
    """A simulated panel with ``unit_rank`` and ``rotation_outcome`` added, and their truth.

    ``data`` has the panel's columns (unchanged) then ``unit_rank`` and ``rotation_outcome``;
    ``panel`` is the :class:`SimulatedPanel` it extends.
    """

    data: pd.DataFrame
    truth: RotationTruth
    rotation: Rotation
    panel: SimulatedPanel

    @property
    def dataset(self) -> Dataset:
        """``data`` as a :class:`~econ.data.dataset.Dataset` flagged as simulated."""
        return simulated_dataset(self.data, PANEL, self.panel.config, self.panel.seed)


def unit_rank(unit_level: pd.Series) -> np.ndarray:
    """The dispatching unit's rank: the ``unit_level`` category code, -1 with no team."""
    return unit_level.cat.codes.to_numpy().astype(np.int64)


def _effect_of_changes(rank: np.ndarray, years: np.ndarray, rotation: Rotation) -> np.ndarray:
    effects = np.asarray(rotation.effects)
    change = np.diff(rank, axis=1, prepend=rank[:, :1]).astype(float)
    change[:, years < rotation.from_year] = 0.0
    out = np.zeros(rank.shape)
    for s in np.flatnonzero(change.any(axis=0)):
        since = np.arange(years.size - s)
        out[:, s:] += change[:, s, None] * effects[np.minimum(since, effects.size - 1)]
    return out


def add_rotation_outcome(panel: SimulatedPanel, rotation: Rotation | None = None
                         ) -> SimulatedRotation:
    """Add ``unit_rank`` and ``rotation_outcome`` to a simulated panel (see the module)."""
    rotation = rotation or Rotation()
    data = panel.data
    years = np.asarray(panel.params.structure.years)
    n_years = years.size
    rank = unit_rank(data["unit_level"]).reshape(-1, n_years)
    n = rank.shape[0]
    township = data["township_id"].cat.codes.to_numpy().reshape(-1, n_years)[:, 0]
    rng = np.random.default_rng(np.random.SeedSequence(panel.seed,
                                                       spawn_key=(ROTATION_STREAM,)))
    village = rng.normal(0.0, rotation.village_sd, size=n)
    shocks = rng.normal(0.0, rotation.township_year_sd,
                        size=(int(township.max()) + 1, n_years))[township]
    innovations = rng.standard_normal((n, n_years))
    errors = np.empty((n, n_years))
    errors[:, 0] = rotation.error_sd * innovations[:, 0]
    scale = rotation.error_sd * np.sqrt(1.0 - rotation.ar1**2)
    for t in range(1, n_years):
        errors[:, t] = rotation.ar1 * errors[:, t - 1] + scale * innovations[:, t]
    outcome = (rotation.intercept + village[:, None] + rotation.trend * (years - years[0])
               + shocks + errors + _effect_of_changes(rank, years, rotation))
    out = data.assign(unit_rank=rank.ravel(), rotation_outcome=outcome.ravel())
    window = rank[:, years >= rotation.from_year - 1]
    moved = window != window[:, :1]
    first = np.where(moved.any(axis=1), moved.argmax(axis=1), 0)
    direction = np.sign(window[np.arange(n), first] - window[:, 0])
    effects = np.asarray(rotation.effects)
    periods = np.arange(1, effects.size + 1)
    truth = RotationTruth(
        effects=pd.DataFrame({"period": periods, "effect": effects,
                              "lag_effect": np.diff(effects, prepend=0.0),
                              "normalized": effects / periods}),
        from_year=rotation.from_year, treatment="unit_rank",
        switchers_in=int((direction > 0).sum()), switchers_out=int((direction < 0).sum()))
    return SimulatedRotation(out, truth, rotation, panel)
