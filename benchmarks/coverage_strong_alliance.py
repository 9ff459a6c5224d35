"""Monte Carlo check of the study designs on SIMULATED `wp` panels.

For each seed, simulate a panel with known truth and record (a) the triple difference of
``econ.strong_alliance`` and (b) the average designation effect of ``econ.designation_effect``,
and whether each wild-bootstrap 95% CI covers the truth. The panels run on ``econ.montecarlo``
(a local Dask cluster by default; ``--workers 0`` in this process, ``--scheduler`` an existing
cluster); panel ``i`` is ``simulate("wp", seed=1000 + i)`` with bootstrap seed ``i``, as in the
sequential version, so the numbers are unchanged.

    python benchmarks/coverage_strong_alliance.py [--panels 200] [--reps 399] [--workers N]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from functools import partial

import cloudpickle
import numpy as np

import econ
from econ.data.simulate import SimulatedPanel
from econ.montecarlo import montecarlo

# Dask workers cannot import this script by name: its functions travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


@dataclass(frozen=True)
class Coverage:
    """Mean truth and estimate, Monte Carlo s.e. of the error, and CI coverage."""

    truth: float
    mean: float
    monte_carlo_se: float
    coverage: float
    panels: int


def panel(first_seed: int, seed: np.random.SeedSequence) -> tuple[SimulatedPanel, int]:
    """Panel ``i`` (the replication's index, its spawn key) is ``simulate("wp",
    seed=first_seed + i)``, as before the engine, so the numbers are unchanged."""
    index = seed.spawn_key[0]
    return econ.simulate("wp", seed=first_seed + index), index


def designs(reps: int, drawn: tuple[SimulatedPanel, int], seed: int) -> dict[str, float]:
    """Both designs' estimates, truths and whether the 95% bootstrap CI covers the truth.

    The bootstrap seed is the panel's index, not the engine's ``seed``, to keep the numbers
    of the sequential script.
    """
    sim, index = drawn
    settings = econ.WildBootstrap(reps=reps, seed=index)
    found = {}
    triple = econ.strong_alliance(sim.dataset, bootstrap=settings)["triple_difference"]
    low, high = triple.bootstrap.ci
    truth = sim.truth.triple_difference
    found.update(triple_difference=triple.row()["estimate"], triple_difference_truth=truth,
                 triple_difference_covered=low <= truth <= high)
    designation = econ.designation_effect(sim.dataset, bootstrap=settings)
    low, high = designation.bootstrap.ci
    truth = sim.truth.demonstration_att_overall
    found.update(designation=designation.estimate, designation_truth=truth,
                 designation_covered=low <= truth <= high)
    return found


def run(panels: int = 200, reps: int = 399, first_seed: int = 1000, *,
        workers: int | None = None, client: str | None = None) -> dict[str, Coverage]:
    """Simulate ``panels`` panels on the Monte Carlo engine; summarise both designs' estimates
    against the truth (``workers=0``: in this process; ``client``: an existing scheduler)."""
    result = montecarlo(partial(panel, first_seed), partial(designs, reps), reps=panels,
                        workers=workers, client=client, task_size=max(1, panels // 50))
    if result.n_failed:
        raise RuntimeError(f"{result.n_failed} panels failed: "
                           f"{result.failures['error'].iloc[0]}")
    rows = result.replications
    summary = {}
    for name in ("triple_difference", "designation"):
        errors = rows[name] - rows[f"{name}_truth"]
        summary[name] = Coverage(float(rows[f"{name}_truth"].mean()), float(rows[name].mean()),
                                 float(errors.std(ddof=1) / np.sqrt(panels)),
                                 float(rows[f"{name}_covered"].mean()), panels)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=200)
    parser.add_argument("--reps", type=int, default=399)
    parser.add_argument("--workers", type=int, default=None,
                        help="local Dask workers (default one per core; 0: in this process)")
    parser.add_argument("--scheduler", default=None, help="an existing cluster's scheduler")
    args = parser.parse_args()
    for name, result in run(args.panels, args.reps, workers=args.workers,
                            client=args.scheduler).items():
        print(f"{name}: SIMULATED wp panels {result.panels}; mean truth {result.truth:.4f}; "
              f"mean estimate {result.mean:.4f} (Monte Carlo s.e. of the error "
              f"{result.monte_carlo_se:.4f}); bootstrap 95% CI coverage {result.coverage:.3f}")


if __name__ == "__main__":
    main()
