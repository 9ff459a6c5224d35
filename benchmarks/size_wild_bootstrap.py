"""Monte Carlo size check: the restricted wild cluster bootstrap against the CR1 t-test.

Design (a few clusters of very unequal sizes, where CR1 t-tests over-reject; MacKinnon and
Webb 2017): G = 10 clusters whose sizes grow geometrically by a factor 1.25 (24 to 179 rows,
N = 800), and ``y = 1 + 0 * x + u`` with

- ``x = sqrt(0.5) z_g + sqrt(0.5) e``: half of the regressor's variance is a cluster effect;
- ``u = sqrt(0.1) a_g + sqrt(0.9) s(x) e'``: a cluster random effect plus heteroskedastic noise,
  ``s(x)^2 = (1 + x^2) / 2``;

all shocks standard normal. The null ``b_x = 0`` is true. Each replication draws its data from
its own child of ``SeedSequence(seed)`` (and the Webb weights' seed from the same child), so any
replication can be reproduced alone. The replications run on ``econ.montecarlo`` (a local Dask
cluster by default; ``--workers 0`` in this process, ``--scheduler`` an existing cluster), with
the same numbers whatever the workers. Tests at 5%:

- WCR11 with Rademacher weights: ``reps=1024`` makes econ enumerate all ``2^10`` sign patterns;
- WCR11 with Webb weights, B = 999;
- the CR1 t-test, ``t`` with G - 1 degrees of freedom (``result.pvalues``).

Rejection rates are printed with their Monte Carlo standard errors ``sqrt(p (1 - p) / R)``.
With more unequal clusters (a factor 1.5, sizes 7 to 271) WCR11 itself over-rejects somewhat
(about 6-6.7% in exploratory runs of 3,000 replications) while CR1 rejects about 16%.

    python benchmarks/size_wild_bootstrap.py [--reps 3000] [--seed 20240501] [--workers N]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from functools import partial

import cloudpickle
import numpy as np
import pandas as pd

import econ
from econ.montecarlo import montecarlo

# Dask workers cannot import this script by name: its functions travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

LEVEL = 0.05


@dataclass(frozen=True)
class Design:
    """Parameters of the simulated datasets (see the module docstring)."""

    clusters: int = 10
    total: int = 800
    ratio: float = 1.25
    x_cluster_share: float = 0.5
    u_cluster_share: float = 0.1
    heteroskedasticity: float = 1.0

    def sizes(self) -> np.ndarray:
        """Cluster sizes proportional to ``ratio ** g``, summing to about ``total``."""
        shares = self.ratio ** np.arange(self.clusters)
        return np.round(self.total * shares / shares.sum()).astype(np.int64)

    def draw(self, rng: np.random.Generator) -> pd.DataFrame:
        """One dataset under the null ``b_x = 0``."""
        codes = np.repeat(np.arange(self.clusters), self.sizes())
        n, g = len(codes), self.clusters
        x = (np.sqrt(self.x_cluster_share) * rng.normal(size=g)[codes]
             + np.sqrt(1 - self.x_cluster_share) * rng.normal(size=n))
        h = self.heteroskedasticity
        scale = np.sqrt((1 + h * x**2) / (1 + h))
        u = (np.sqrt(self.u_cluster_share) * rng.normal(size=g)[codes]
             + np.sqrt(1 - self.u_cluster_share) * scale * rng.normal(size=n))
        return pd.DataFrame({"y": 1.0 + u, "x": x, "cluster": codes})


@dataclass(frozen=True)
class Rate:
    """A rejection rate over ``reps`` replications and its Monte Carlo standard error."""

    rejections: int
    reps: int

    @property
    def rate(self) -> float:
        return self.rejections / self.reps

    @property
    def std_error(self) -> float:
        return float(np.sqrt(self.rate * (1 - self.rate) / self.reps))

    def __str__(self) -> str:
        return f"{100 * self.rate:5.2f}% (MC s.e. {100 * self.std_error:.2f})"


@dataclass(frozen=True)
class SizeCheck:
    """Rejection rates at 5% of the three tests under a true null."""

    design: Design
    seed: int
    wcr_rademacher: Rate
    wcr_webb: Rate
    cr1: Rate


def replicate(design: Design, seed: np.random.SeedSequence) -> tuple[pd.DataFrame, int]:
    """One dataset from a replication's SeedSequence, and the Webb weights' seed drawn after it
    from the same stream (as before the engine, so the numbers are unchanged)."""
    rng = np.random.default_rng(seed)
    return design.draw(rng), int(rng.integers(2**31))


def tests(drawn: tuple[pd.DataFrame, int], seed: int) -> dict[str, float]:
    """The three p-values of one dataset (``seed``, the engine's, is not used: the Webb
    weights take the seed drawn with the data)."""
    data, weight_seed = drawn
    clusters = int(data["cluster"].nunique())
    result = econ.feols("y ~ x", data, cov=econ.Cluster("cluster"))
    rademacher = result.wild_bootstrap("x", econ.WildBootstrap(reps=2**clusters, ci_level=None))
    if not rademacher.enumerated:
        raise RuntimeError("econ did not enumerate the Rademacher sign patterns")
    webb = result.wild_bootstrap("x", econ.WildBootstrap(reps=999, distribution="webb",
                                                         seed=weight_seed, ci_level=None))
    return {"wcr_rademacher": rademacher.pvalue, "wcr_webb": webb.pvalue,
            "cr1": float(result.pvalues["x"])}


def simulate(reps: int = 3000, seed: int = 20240501, design: Design | None = None, *,
             workers: int | None = None, client: str | None = None) -> SizeCheck:
    """Rejection rates at 5% over ``reps`` datasets, each from a child of ``SeedSequence(seed)``,
    run on the Monte Carlo engine (``workers=0``: in this process; ``client``: a scheduler).

    Raises ``RuntimeError`` if a replication failed (econ not enumerating the Rademacher
    patterns, which the stated design depends on, among others).
    """
    design = design or Design()
    run = montecarlo(partial(replicate, design), tests, reps=reps, seed=seed, workers=workers,
                     client=client, task_size=max(1, reps // 60))
    if run.n_failed:
        raise RuntimeError(f"{run.n_failed} replications failed: "
                           f"{run.failures['error'].iloc[0]}")
    rows = run.replications
    rates = [Rate(int((rows[name] < LEVEL).sum()), reps)
             for name in ("wcr_rademacher", "wcr_webb", "cr1")]
    return SizeCheck(design, seed, *rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3000, help="simulated datasets")
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--workers", type=int, default=None,
                        help="local Dask workers (default one per core; 0: in this process)")
    parser.add_argument("--scheduler", default=None, help="an existing cluster's scheduler")
    args = parser.parse_args()

    design = Design()
    sizes = design.sizes()
    print(f"size check: G = {design.clusters} clusters, sizes {sizes.tolist()} "
          f"(N = {sizes.sum()}), {args.reps:,} datasets, seed {args.seed}")
    print(f"  design: {design}")
    started = time.perf_counter()
    check = simulate(args.reps, args.seed, design, workers=args.workers, client=args.scheduler)
    print(f"rejection rates at {LEVEL:.0%} under the null ({time.perf_counter() - started:.1f}s):")
    print(f"  WCR11 Rademacher, all 1,024 patterns: {check.wcr_rademacher}")
    print(f"  WCR11 Webb, B = 999:                  {check.wcr_webb}")
    print(f"  CR1 t-test, t(G - 1):                 {check.cr1}")


if __name__ == "__main__":
    main()
