"""Cluster (pairs) bootstrap of any statistic, vectorised over replicates.

Replicate ``b`` resamples the ``G`` clusters with replacement; it is represented by the cluster
multiplicities ``m_b`` (how often each cluster was drawn), so a chunk of replicates is a
``(k, G)`` matrix and a statistic written for frequency weights evaluates all ``k`` at once on
the observation weights ``m[:, cluster_code]`` (:func:`observation_weights`).

Draws come in fixed blocks of :data:`BLOCK` replicates, block ``j`` drawn from
``PCG64(SeedSequence(seed, spawn_key=(j,)))`` (as in
:mod:`econ.inference.bootstrap.weights`), so the multiplicities of replicate ``b`` depend only
on ``seed`` and ``b``: the draws are the same bit for bit whatever ``chunk_size``, provided the
statistic treats each row on its own (row-wise reductions, no BLAS products across rows).
Memory is bounded by ``chunk_size`` rows of weights at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

BLOCK = 1024


@lru_cache(maxsize=2)
def _block(clusters: int, seed: int, block: int) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    picks = rng.integers(0, clusters, size=(BLOCK, clusters))
    flat = (picks + np.arange(BLOCK)[:, None] * clusters).ravel()
    counts = np.bincount(flat, minlength=BLOCK * clusters).reshape(BLOCK, clusters)
    counts = counts.astype(float)
    counts.flags.writeable = False
    return counts


def multiplicities(clusters: int, seed: int, start: int, stop: int) -> np.ndarray:
    """Cluster multiplicities of replicates ``start .. stop - 1``, shape ``(stop - start, G)``."""
    out = np.empty((stop - start, clusters))
    for block in range(start // BLOCK, (stop - 1) // BLOCK + 1):
        counts = _block(clusters, seed, block)
        lo, hi = max(start, block * BLOCK), min(stop, (block + 1) * BLOCK)
        out[lo - start:hi - start] = counts[lo - block * BLOCK:hi - block * BLOCK]
    return out


def observation_weights(counts: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Frequency weights of the observations: each gets its cluster's multiplicity."""
    return counts[:, codes]


@dataclass(frozen=True)
class ClusterBootstrap:
    """Bootstrap draws of a statistic, its estimate on the data, percentile CI and SE.

    ``draws`` has shape ``(reps,)`` or ``(reps, m)`` for an ``m``-vector statistic.
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
    reps: int = 999,
    seed: int,
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
    reps, seed
        Number of replicates and the seed of the block streams.
    chunk_size
        Replicates evaluated at once (memory is about ``chunk_size * n`` floats).
    level
        Confidence level of :meth:`ClusterBootstrap.conf_int`.
    """
    codes, labels = pd.factorize(pd.Series(np.asarray(clusters, dtype=object)), sort=True)
    if (codes < 0).any():
        raise ValueError(f"{int((codes < 0).sum())} observation(s) have no cluster label")
    if reps < 1 or chunk_size < 1:
        raise ValueError(f"reps and chunk_size must be positive, got {reps} and {chunk_size}")
    groups = len(labels)
    if groups < 2:
        raise ValueError("a cluster bootstrap needs at least 2 clusters")
    estimate = np.asarray(statistic(np.ones((1, codes.size))))[0]
    draws = np.empty((reps, *estimate.shape))
    for start in range(0, reps, chunk_size):
        stop = min(reps, start + chunk_size)
        counts = multiplicities(groups, seed, start, stop)
        draws[start:stop] = statistic(observation_weights(counts, codes))
    return ClusterBootstrap(estimate, draws, groups, seed, level)
