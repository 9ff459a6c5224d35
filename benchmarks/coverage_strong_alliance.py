"""Monte Carlo check of the strong-alliance triple difference on SIMULATED `wp` panels.

For each seed, simulate a panel with known truth, fit ``econ.strong_alliance`` and record the
triple-difference estimate and whether its wild-bootstrap 95% CI covers the true coefficient.

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
    truth: float
    mean: float
    monte_carlo_se: float
    coverage: float
    panels: int


def run(panels: int = 200, reps: int = 399, first_seed: int = 1000) -> Coverage:
    """Simulate ``panels`` panels and summarise the triple-difference estimates."""
    estimates, covered = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        warnings.simplefilter("ignore", EstimationWarning)
        for i in range(panels):
            sim = econ.simulate("wp", seed=first_seed + i)
            effect = econ.strong_alliance(
                sim.dataset, bootstrap=econ.WildBootstrap(reps=reps, seed=i))["triple_difference"]
            low, high = effect.bootstrap.ci
            estimates.append(effect.row()["estimate"])
            covered.append(low <= sim.truth.triple_difference <= high)
    values = np.array(estimates)
    return Coverage(sim.truth.triple_difference, float(values.mean()),
                    float(values.std(ddof=1) / np.sqrt(panels)), float(np.mean(covered)), panels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", type=int, default=200)
    parser.add_argument("--reps", type=int, default=399)
    args = parser.parse_args()
    result = run(args.panels, args.reps)
    print(f"SIMULATED wp panels: {result.panels}; truth {result.truth:.4f}; mean estimate "
          f"{result.mean:.4f} (Monte Carlo s.e. {result.monte_carlo_se:.4f}); bootstrap 95% "
          f"CI coverage {result.coverage:.3f}")


if __name__ == "__main__":
    main()
