"""Wild-bootstrap weight distributions and a chunk-invariant stream of draws.

Draws come in fixed blocks of :data:`BLOCK` replications, block ``j`` from its own generator
``PCG64(SeedSequence(seed, spawn_key=(j,)))``. Any chunk of replications is assembled from
whole or partial blocks, so the weights of replication ``b`` depend only on ``seed`` and ``b``:
results are identical bit for bit whatever the chunk size or the order chunks are processed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

Distribution = Literal["rademacher", "webb", "mammen", "normal"]
BLOCK = 4096

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_SQRT5 = np.sqrt(5.0)
_MAMMEN = np.array([-(_SQRT5 - 1) / 2, (_SQRT5 + 1) / 2])
_MAMMEN_P = (_SQRT5 + 1) / (2 * _SQRT5)


def _draw(distribution: Distribution, rng: np.random.Generator, shape: tuple[int, int]
          ) -> np.ndarray:
    if distribution == "rademacher":
        # One random byte gives eight signs.
        count = shape[0] * shape[1]
        bits = np.unpackbits(rng.integers(0, 256, size=-(-count // 8), dtype=np.uint8))
        return (bits[:count].reshape(shape) * 2.0) - 1.0
    if distribution == "webb":
        return _WEBB[rng.integers(0, 6, size=shape)]
    if distribution == "mammen":
        return np.where(rng.random(shape) < _MAMMEN_P, _MAMMEN[0], _MAMMEN[1])
    if distribution == "normal":
        return rng.standard_normal(shape)
    raise ValueError(f"unknown weights {distribution!r}; choose rademacher, webb, mammen or "
                     f"normal")


@lru_cache(maxsize=2)
def _block(distribution: Distribution, clusters: int, seed: int, block: int) -> np.ndarray:
    # Kept for the next chunk: chunks smaller than a block would otherwise redraw it each time.
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))
    draws = _draw(distribution, rng, (BLOCK, clusters))
    draws.flags.writeable = False
    return draws


@dataclass(frozen=True)
class WeightStream:
    """Weights for ``reps`` replications of ``clusters`` bootstrap clusters.

    With ``enumerate=True`` (Rademacher only) the replications are the ``2^G`` sign patterns,
    in binary order (pattern ``b`` has ``v_g = +1`` where bit ``g`` of ``b`` is 0), the first
    being all ``+1``.
    """

    distribution: Distribution
    clusters: int
    reps: int
    seed: int
    enumerate: bool = False

    def chunk(self, start: int, stop: int) -> np.ndarray:
        """Weights of replications ``start .. stop - 1``, shape ``(clusters, stop - start)``."""
        if self.enumerate:
            patterns = np.arange(start, stop, dtype=np.int64)
            bits = (patterns[None, :] >> np.arange(self.clusters)[:, None]) & 1
            return 1.0 - 2.0 * bits
        out = np.empty((self.clusters, stop - start))
        first, last = start // BLOCK, (stop - 1) // BLOCK
        for block in range(first, last + 1):
            draws = _block(self.distribution, self.clusters, self.seed, block)
            lo, hi = max(start, block * BLOCK), min(stop, (block + 1) * BLOCK)
            out[:, lo - start:hi - start] = draws[lo - block * BLOCK:hi - block * BLOCK].T
        return out


def stream(distribution: Distribution, clusters: int, reps: int, seed: int) -> WeightStream:
    """A stream of ``reps`` draws, or all ``2^G`` Rademacher patterns when ``2^G <= reps``."""
    if distribution == "rademacher" and clusters < 63 and 2**clusters <= reps:
        return WeightStream(distribution, clusters, 2**clusters, seed, enumerate=True)
    _draw(distribution, np.random.default_rng(0), (1, 1))  # validates the name early
    return WeightStream(distribution, clusters, reps, seed)
