"""Power and minimum detectable effects of the study's designs, by simulation on the engine.

``power(design, effects=..., counties=..., townships=..., villages=..., methods=...)`` simulates
``reps`` panels per design size and effect with :func:`econ.montecarlo.montecarlo`, tests the
design's coefficient with each inference method at level ``alpha`` and reports the share of
rejections (the power; at effect 0, the size) with its Monte Carlo standard error, and the
minimum detectable effect at the target power. Every size and effect uses the same replication
seeds, so the power curves are not jagged by independent noise between effects.

Designs: :class:`StrongAllianceDesign` (the triple difference of
:func:`econ.study.strong_alliance.strong_alliance` on simulated panels of a given number of
counties, townships per county and villages per township, with the true triple difference set
to the effect), :class:`RotationPowerDesign` (the dCDH rotation design of
:func:`econ.study.rotation.rotation_design`, the unit effects scaled by the effect), and
:class:`TwoSampleMeans`, a two-sample difference in means with known
variance whose power has a closed form (the engine's check).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, cast

import numpy as np

from econ.data.derive import POST_YEAR
from econ.data.seeds import DEFAULT_SEED, Seed
from econ.data.simulate import SimulatedPanel
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.distributions import norm_cdf, norm_isf, norm_sf
from econ.montecarlo.engine import montecarlo
from econ.montecarlo.simulation import Simulation
from econ.montecarlo.tasks import DataStep
from econ.results.power import PowerResult, minimum_detectable
from econ.study.rotation import rotation_design
from econ.study.variables import CONTROLS, TRIPLE, main_fit, working_table

if TYPE_CHECKING:
    from distributed import Client


class PowerDesign(Protocol):
    """A design :func:`power` can simulate: data by size and effect, and p-values by method.

    ``sizes`` maps each size name to its default; ``methods`` lists the tests it offers. The
    instance is also the engine's data step, called as ``design(seed, effect=..., **sizes)``
    (each design names its own sizes, so the protocol leaves the call's signature open).
    """

    name: ClassVar[str]
    sizes: ClassVar[Mapping[str, int]]
    methods: ClassVar[tuple[str, ...]]

    def pvalues(self, data: Any, seed: int, methods: Sequence[str]) -> dict[str, float]: ...


@dataclass(frozen=True)
class StrongAllianceDesign:
    """The strong-alliance triple difference on SIMULATED panels of a chosen size.

    Each replication simulates a panel of the ``config`` preset (with ``overrides``, see
    :class:`~econ.montecarlo.Simulation`) with ``counties`` counties of exactly ``townships``
    townships of ``villages`` villages each and the true triple difference (``funds.triple``)
    set to the effect, fits the main regression of the design (village and year effects,
    controls, clustered by township) and tests ``level:endow:post = 0``:

    - ``cr1``: the CR1 t-test, ``t(G - 1)``;
    - ``wild_bootstrap``: the restricted wild cluster bootstrap by township (WCR11);
    - ``subcluster_bootstrap``: the same statistic with one weight per village
      (the wild subcluster bootstrap; MacKinnon and Webb 2018).

    Randomization inference is not offered: no variable of the triple difference is assigned
    by cluster (the unit level follows the counties' ranking of villages, endowment is a
    village attribute whose own gradient changes at the transition), so reassigning one would
    not test the triple difference alone.
    """

    config: str = "wp"
    overrides: tuple[tuple[str, Any], ...] | Mapping[str, Any] = ()
    bootstrap_reps: int = 399
    distribution: str = "rademacher"

    name: ClassVar[str] = "strong-alliance triple difference"
    sizes: ClassVar[Mapping[str, int]] = {"counties": 2, "townships": 15, "villages": 11}
    methods: ClassVar[tuple[str, ...]] = ("cr1", "wild_bootstrap", "subcluster_bootstrap")

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", Simulation(self.config, self.overrides).overrides)

    def __call__(self, seed: np.random.SeedSequence, /, *, effect: float, counties: int,
                 townships: int, villages: int) -> SimulatedPanel:
        cell = {"structure.n_counties": counties,
                "structure.townships_per_county": (townships, townships),
                "structure.villages_per_township": (villages, villages),
                "funds.triple": effect}
        return Simulation(self.config, self.overrides)(seed, **cell)

    def pvalues(self, data: SimulatedPanel, seed: int, methods: Sequence[str]
                ) -> dict[str, float]:
        _, table = working_table(data.dataset, outcome="assistance_funds", transform="log1p",
                                 unit_rank="binary", endowment="continuous",
                                 post_year=POST_YEAR)
        options = dict(reps=self.bootstrap_reps, distribution=self.distribution, seed=seed,
                       ci_level=None, threads=1)
        subcluster = WildBootstrap(bootstrap_cluster="village_id", **options)  # type: ignore[arg-type]
        main = main_fit(table, CONTROLS, cluster="township_id", simulated=True,
                        bootstrap=subcluster if "subcluster_bootstrap" in methods else None)
        if TRIPLE not in main.names:
            reason = main.dropped_coefficients.get(TRIPLE, "not estimated")
            raise ValueError(f"the triple difference is not identified in this panel: {reason}")
        found = {}
        for method in methods:
            if method == "cr1":
                found[method] = float(main.pvalues[TRIPLE])
            elif method == "wild_bootstrap":
                found[method] = main.wild_bootstrap(TRIPLE, WildBootstrap(**options)).pvalue  # type: ignore[arg-type]
            elif method == "subcluster_bootstrap":
                found[method] = main.wild_bootstrap(TRIPLE, subcluster).pvalue
        found["estimate"] = float(main.params[TRIPLE])
        return found


@dataclass(frozen=True)
class TwoSampleMeans:
    """Two groups of ``n`` normal draws with known standard deviation ``sd``; the effect is the
    difference of their means.

    Methods: ``z``, the two-sided z-test with the known variance, whose power is
    :meth:`closed_form`; ``randomization``, the permutation test of the difference in means
    (``randomization_reps`` random relabellings, ``p = (1 + extreme) / (1 + reps)``).
    """

    sd: float = 1.0
    randomization_reps: int = 199

    name: ClassVar[str] = "two-sample difference in means, known variance"
    sizes: ClassVar[Mapping[str, int]] = {"n": 50}
    methods: ClassVar[tuple[str, ...]] = ("z", "randomization")

    def __call__(self, seed: np.random.SeedSequence, /, *, effect: float, n: int
                 ) -> np.ndarray:
        draws = np.random.default_rng(seed).normal(0.0, self.sd, size=(2, n))
        draws[1] += effect
        return draws

    def pvalues(self, data: np.ndarray, seed: int, methods: Sequence[str]) -> dict[str, float]:
        n = data.shape[1]
        difference = float(data[1].mean() - data[0].mean())
        found = {}
        if "z" in methods:
            z = difference / (self.sd * np.sqrt(2 / n))
            found["z"] = float(2 * norm_sf(abs(z)))
        if "randomization" in methods:
            pooled = data.ravel()
            rng = np.random.default_rng(seed)
            order = rng.permuted(np.tile(np.arange(2 * n), (self.randomization_reps, 1)),
                                 axis=1)
            shuffled = pooled[order]
            draws = shuffled[:, n:].mean(axis=1) - shuffled[:, :n].mean(axis=1)
            extreme = int((np.abs(draws) >= abs(difference) * (1 - 1e-12)).sum())
            found["randomization"] = (1 + extreme) / (1 + self.randomization_reps)
        return found

    def closed_form(self, effect: float, n: int, alpha: float = 0.05) -> float:
        """Power of the two-sided z-test: ``Phi(d - z) + Phi(-d - z)``, ``d = effect /
        (sd sqrt(2 / n))``, ``z = Phi^-1(1 - alpha / 2)``."""
        shift = effect / (self.sd * np.sqrt(2 / n))
        critical = norm_isf(alpha / 2)
        return float(norm_cdf(shift - critical) + norm_cdf(-shift - critical))


@dataclass(frozen=True)
class RotationPowerDesign:
    """The rotation design (:func:`econ.study.rotation.rotation_design`) on SIMULATED panels.

    The rotation design estimates the effect of a change in the dispatching unit's level rank
    (de Chaisemartin-D'Haultfoeuille, from the 2021 baseline), which in the simulation comes
    from every effect of the unit in post at once: a team, its level, its strength and the
    level-by-endowment term. The effect size is therefore a multiple of those four parameters
    of the ``config`` preset (``funds.team``, ``funds.level``, ``funds.strength``,
    ``funds.triple``): 1 is the shipped panel, 0 a panel in which no change of unit moves
    funds (the null, so effect 0 gives the size). Sizes as for the strong alliance.

    Method ``dcdh``: the two-sided z-test of the pooled average total effect per level (all
    villages, switchers in and out pooled) with the estimator's clustered (township)
    influence-function variance. The wild, subcluster and randomization tests are not
    offered: the package has no bootstrap of the dCDH estimator, and the level changes are
    not assigned by cluster.
    """

    config: str = "wp"
    overrides: tuple[tuple[str, Any], ...] | Mapping[str, Any] = ()

    name: ClassVar[str] = "rotation design (dCDH, change of unit level)"
    sizes: ClassVar[Mapping[str, int]] = {"counties": 2, "townships": 15, "villages": 11}
    methods: ClassVar[tuple[str, ...]] = ("dcdh",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", Simulation(self.config, self.overrides).overrides)

    def __call__(self, seed: np.random.SeedSequence, /, *, effect: float, counties: int,
                 townships: int, villages: int) -> SimulatedPanel:
        step = Simulation(self.config, self.overrides)
        funds = step.params().funds
        cell = {"structure.n_counties": counties,
                "structure.townships_per_county": (townships, townships),
                "structure.villages_per_township": (villages, villages),
                **{f"funds.{name}": effect * getattr(funds, name)
                   for name in ("team", "level", "strength", "triple")}}
        return step(seed, **cell)

    def pvalues(self, data: SimulatedPanel, seed: int, methods: Sequence[str]
                ) -> dict[str, float]:
        result = rotation_design(data.dataset, directions=("both",), placebos=0)
        pooled = result.average_effects
        row = pooled[pooled["group"] == "all"]
        if row.empty:
            raise ValueError(f"no switcher in this panel: {result.missing}")
        estimate, error = float(row["estimate"].iloc[0]), float(row["std_error"].iloc[0])
        if not (np.isfinite(estimate) and np.isfinite(error) and error > 0):
            raise ValueError(f"the average effect is not estimated: {estimate} (s.e. {error})")
        return {"dcdh": float(2 * norm_sf(abs(estimate / error))), "estimate": estimate}


DESIGNS: Mapping[str, type] = {"strong_alliance": StrongAllianceDesign,
                               "rotation": RotationPowerDesign,
                               "two_sample": TwoSampleMeans}


def power(
    design: str | PowerDesign = "strong_alliance",
    *,
    effects: Sequence[float],
    methods: Sequence[str] | None = None,
    reps: int = 200,
    alpha: float = 0.05,
    target: float = 0.8,
    seed: Seed = DEFAULT_SEED,
    output: str | Path | None = None,
    client: Client | str | None = None,
    workers: int | None = None,
    task_size: int | None = None,
    progress: bool | None = None,
    **sizes: int | Sequence[int],
) -> PowerResult:
    """Simulated power and minimum detectable effect of a design's tests.

    Parameters
    ----------
    design
        ``"strong_alliance"`` (:class:`StrongAllianceDesign` with its defaults),
        ``"rotation"`` (:class:`RotationPowerDesign`), ``"two_sample"``, or a design
        instance (e.g. ``StrongAllianceDesign(bootstrap_reps=999,
        overrides={"funds.township_year_sd": 0.3})``).
    effects
        Effect sizes to simulate (for the strong alliance, the true triple difference in log
        points; for the rotation, a multiple of the shipped unit effects); include 0 to see
        each test's size.
    methods
        Tests to run (default: all the design offers); for the strong alliance ``"cr1"``,
        ``"wild_bootstrap"``, ``"subcluster_bootstrap"``; for the rotation ``"dcdh"``.
    reps
        Simulated datasets per size and effect.
    alpha, target
        Test level, and the power at which the MDE is read.
    seed
        Root seed of the engine.
    output, client, workers, task_size, progress
        Passed to :func:`econ.montecarlo.montecarlo` (Parquet folder to resume from, Dask
        client or scheduler address, embedded cluster size or 0 for in process, ...).
    **sizes
        The design's sizes, each one number or several: for the strong alliance
        ``counties``, ``townships`` (per county) and ``villages`` (per township); for
        ``two_sample`` ``n`` per group. Defaults are the design's.

    Returns
    -------
    PowerResult
        ``power`` and ``mde`` tables, ``to_table()``, ``summary()``, and the engine's run;
        :func:`econ.presentation.figures.power_curve.power_curve_plot` draws the curves.

    Raises
    ------
    ValueError
        On an unknown design, size name or method, no effects, or alpha/target outside (0, 1).
    """
    chosen = _design(design)
    offered = tuple(chosen.methods)
    picked = offered if methods is None else tuple(dict.fromkeys(methods))
    if "randomization" in picked and "randomization" not in offered:
        raise ValueError(f"randomization inference is not available for the {chosen.name}: "
                         f"{_no_randomization(chosen)}; choose among {', '.join(offered)}")
    unknown = [m for m in picked if m not in offered]
    if unknown or not picked:
        raise ValueError(f"unknown method(s) {unknown or picked} for the {chosen.name}; "
                         f"choose among {', '.join(offered)}")
    wrong = [s for s in sizes if s not in chosen.sizes]
    if wrong:
        raise ValueError(f"unknown size(s) {wrong} for the {chosen.name}; it has "
                         f"{', '.join(chosen.sizes)}")
    values = [float(e) for e in np.atleast_1d(np.asarray(effects, dtype=float))]
    if not values or not np.isfinite(values).all():
        raise ValueError(f"effects must be one or more finite numbers, got {effects!r}")
    for name, level in (("alpha", alpha), ("target", target)):
        if not 0 < level < 1:
            raise ValueError(f"{name} must be in (0, 1), got {level}")
    grid: dict[str, list[Any]] = {}
    for name, default in chosen.sizes.items():
        given = sizes.get(name, default)
        numbers = [given] if isinstance(given, int | np.integer) else list(given)
        if not numbers or any(isinstance(v, bool) or not isinstance(v, int | np.integer)
                              or v < 1 for v in numbers):
            raise ValueError(f"{name} must be positive whole numbers, got {given!r}")
        grid[name] = [int(v) for v in numbers]
    grid["effect"] = values
    run = montecarlo(cast(DataStep, chosen), partial(_pvalues, chosen, picked), reps=reps,
                     grid=grid, seed=seed, output=output, client=client, workers=workers,
                     task_size=task_size, progress=progress)
    names = tuple(chosen.sizes)
    table = (run.rejection_rates(list(picked), level=alpha)
             .rename(columns={"test": "method", "rate": "power", "replications": "reps"}))
    table = table[[*names, "effect", "method", "power", "mc_se", "reps", "failed"]]
    return PowerResult(design=chosen.name, sizes=names, methods=picked, power=table,
                       mde=minimum_detectable(table, names, target), alpha=alpha,
                       target=target, reps=reps, montecarlo=run)


def _pvalues(design: PowerDesign, methods: tuple[str, ...], data: Any, seed: int
             ) -> dict[str, float]:
    """The engine's analysis step: the design's p-values of one replication."""
    return design.pvalues(data, seed, methods)


def _design(design: str | PowerDesign) -> PowerDesign:
    if isinstance(design, str):
        if design not in DESIGNS:
            raise ValueError(f"unknown design {design!r}; choose one of "
                             f"{', '.join(DESIGNS)} or pass a design instance")
        made: PowerDesign = DESIGNS[design]()
        return made
    return design


def _no_randomization(design: PowerDesign) -> str:
    if isinstance(design, StrongAllianceDesign):
        return ("no variable of the triple difference is assigned by cluster, so "
                "reassigning one would not test the triple difference alone")
    if isinstance(design, RotationPowerDesign):
        return "the changes of unit level are not assigned by cluster"
    return "the design has no cluster-level assignment to reassign"
