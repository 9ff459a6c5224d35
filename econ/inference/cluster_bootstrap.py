"""Cluster (pairs) bootstrap of any statistic, vectorised over replicates.

Replicate ``b`` resamples the ``G`` clusters with replacement; it is represented by the cluster
multiplicities ``m_b`` (how often each cluster was drawn), so a chunk of replicates is a
``(k, G)`` matrix and a statistic written for frequency weights evaluates all ``k`` at once on
the observation weights ``m[:, cluster_code]`` (:func:`observation_weights`).

The multiplicities come from :func:`econ.inference.resampling.multiplicities`, the stream all
resampling engines share, so those of replicate ``b`` depend only on the seed and ``b``: the
draws are the same bit for bit whatever ``chunk_size``, provided the statistic treats each row
on its own (row-wise reductions, no BLAS products across rows). Memory is bounded by
``chunk_size`` rows of weights at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.seeds import Seed, entropy
from econ.inference.resampling import CLUSTER_REPS, multiplicities


def observation_weights(counts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Frequency weights of the observations: each gets its cluster's multiplicity."""
    return counts[:, codes]


@dataclass(frozen=True)
class ClusterBootstrap:
    """Bootstrap draws of a statistic, its estimate on the data, percentile CI and SE.

    ``draws`` has shape ``(reps,)`` or ``(reps, m)`` for an ``m``-vector statistic; ``seed``
    is the stream's entropy, which reproduces the draws when passed back as the seed.
    """

    estimate: np.ndarray
    draws: np.ndarray
    clusters: int
    seed: int
    level: float

    @property
    def reps(self) -> int:
        return self.draws.shape[0]

    @property
    def std_error(self) -> np.ndarray:
        return np.nanstd(self.draws, axis=0, ddof=1)

    def conf_int(self, level: float | None = None) -> np.ndarray:
        """Percentile interval, rows ``(lower, upper)``; replicates giving NaN are ignored."""
        alpha = 1.0 - (self.level if level is None else level)
        return np.nanquantile(self.draws, [alpha / 2, 1 - alpha / 2], axis=0)


def cluster_bootstrap(
    statistic: Callable[[np.ndarray], np.ndarray],
    clusters: object,
    *,
    reps: int = CLUSTER_REPS,
    seed: Seed,
    chunk_size: int = 256,
    level: float = 0.95,
) -> ClusterBootstrap:
    """Bootstrap ``statistic`` by resampling clusters with replacement.

    Parameters
    ----------
    statistic
        Maps a ``(k, n)`` matrix of observation frequency weights to ``(k,)`` or ``(k, m)``
        values, one row per replicate; the estimate is its value at weights of one.
    clusters
        Cluster label of each of the ``n`` observations.
    reps
        Number of replicates.
    seed
        Seed of the multiplicities (an ``int`` or a generator, read once).
    chunk_size
        Replicates evaluated at once (memory is about ``chunk_size * n`` floats).
    level
        Confidence level of :meth:`ClusterBootstrap.conf_int`.

    Returns
    -------
    ClusterBootstrap
        The estimate, the draws and the resolved seed.
    """
    codes, labels = pd.factorize(pd.Series(np.asarray(clusters, dtype=object)), sort=True)
    if (codes < 0).any():
        raise ValueError(f"{int((codes < 0).sum())} observation(s) have no cluster label")
    if reps < 1 or chunk_size < 1:
        raise ValueError(f"reps and chunk_size must be positive, got {reps} and {chunk_size}")
    groups = len(labels)
    if groups < 2:
        raise ValueError("a cluster bootstrap needs at least 2 clusters")
    resolved = entropy(seed)
    estimate = np.asarray(statistic(np.ones((1, codes.size))))[0]
    draws = np.empty((reps, *estimate.shape))
    for start in range(0, reps, chunk_size):
        stop = min(reps, start + chunk_size)
        counts = multiplicities(groups, resolved, start, stop)
        draws[start:stop] = statistic(observation_weights(counts, codes))
    return ClusterBootstrap(estimate, draws, groups, resolved, level)
