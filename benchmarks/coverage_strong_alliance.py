"""Monte Carlo check of the study designs on SIMULATED `wp` panels.

For each seed, simulate a panel with known truth and record (a) the triple difference of
``econ.strong_alliance`` and (b) the average designation effect of ``econ.designation_effect``,
and whether each wild-bootstrap 95% CI covers the truth.

    python benchmarks/coverage_strong_alliance.py [--panels 200] [--reps 399]
"""

from __future__ import annotations

import argparse
import warnings
from dataclasses import dataclass

import numpy as np

import econ
from econ.estimation.linear import EstimationWarning


@dataclass(frozen=True)
class Coverage:
    """Mean truth and estimate, Monte Carlo s.e. of the error, and CI coverage."""

    truth: float
    mean: float
    monte_carlo_se: float
    coverage: float
    panels: int


def run(panels: int = 200, reps: int = 399, first_seed: int = 1000
        ) -> dict[str, Coverage]:
    """Simulate ``panels`` panels; summarise both designs' estimates against the truth."""
    found: dict[str, list[tuple[float, bool, float]]] = {"triple_difference": [],
                                                         "designation": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        warnings.simplefilter("ignore", EstimationWarning)
        for i in range(panels):
            sim = econ.simulate("wp", seed=first_seed + i)
            settings = econ.WildBootstrap(reps=reps, seed=i)
            triple = econ.strong_alliance(sim.dataset, bootstrap=settings)["triple_difference"]
            truth = sim.truth.triple_difference
            low, high = triple.bootstrap.ci
            found["triple_difference"].append((triple.row()["estimate"], low <= truth <= high,
                                               truth))
            designation = econ.designation_effect(sim.dataset, bootstrap=settings)
            truth = sim.truth.demonstration_att_overall
            low, high = designation.bootstrap.ci
            found["designation"].append((designation.estimate, low <= truth <= high, truth))
    summary = {}
    for name, rows in found.items():
        values = np.array([r[0] for r in rows])
        truths = np.array([r[2] for r in rows])
        errors = values - truths
        summary[name] = Coverage(float(truths.mean()), float(values.mean()),
                                 float(errors.std(ddof=1) / np.sqrt(panels)),
                                 float(np.mean([r[1] for r in rows])), panels)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=200)
    parser.add_argument("--reps", type=int, default=399)
    args = parser.parse_args()
    for name, result in run(args.panels, args.reps).items():
        print(f"{name}: SIMULATED wp panels {result.panels}; mean truth {result.truth:.4f}; "
              f"mean estimate {result.mean:.4f} (Monte Carlo s.e. of the error "
              f"{result.monte_carlo_se:.4f}); bootstrap 95% CI coverage {result.coverage:.3f}")


if __name__ == "__main__":
    main()
