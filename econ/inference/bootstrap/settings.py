"""Typed options of a wild cluster bootstrap, for designs that run several tests."""

from __future__ import annotations

from dataclasses import dataclass

from econ.inference.bootstrap.weights import Distribution


@dataclass(frozen=True)
class WildBootstrap:
    """Settings passed to ``RegressionResult.wild_bootstrap`` for each named effect.

    Examples
    --------
    >>> WildBootstrap(reps=9999, weights="webb", seed=7)
    >>> WildBootstrap(bootstrap_cluster="township_id")   # with cluster="county_id": subcluster
    """

    reps: int = 9999
    weights: Distribution = "rademacher"
    variant: str = "11"
    restricted: bool = True
    bootstrap_cluster: str | None = None
    seed: int = 20240501
    ci_level: float | None = 0.95
    keep_draws: bool = False

    def options(self) -> dict[str, object]:
        return {"reps": self.reps, "weights": self.weights, "variant": self.variant,
                "restricted": self.restricted, "bootstrap_cluster": self.bootstrap_cluster,
                "seed": self.seed, "ci_level": self.ci_level, "keep_draws": self.keep_draws}
