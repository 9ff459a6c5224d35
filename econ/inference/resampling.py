"""The one stream of random draws behind every resampling engine, and their defaults.

The stream
----------
A seed is turned into an integer *entropy* ``e`` (:func:`~econ.data.seeds.entropy`). Draws
come in fixed blocks of replicates; block ``j`` has its own generator
``PCG64(SeedSequence(e, spawn_key=(j,)))`` (:func:`block_generator`). Any range of replicates
is read from whole or partial blocks, so the draws of replicate ``b`` depend only on ``e`` and
``b``: results are the same bit for bit whatever the chunk size or the order chunks are read
in. Each kind of draw has its own fixed block length, part of the stream's definition:

- wild-bootstrap weights (:func:`stream`), :data:`WILD_BLOCK` replicates per block, used by the
  wild cluster bootstrap and the Callaway-Sant'Anna multiplier bootstrap;
- cluster multiplicities of the pairs bootstrap (:func:`multiplicities`), :data:`CLUSTER_BLOCK`;
- permutations of cluster-level assignments for randomization inference
  (:func:`permutations`), :data:`PERMUTATION_BLOCK` replicates per block;
- resampled rows of the respondent bootstrap (:func:`resampled_rows`), one replicate per block,
  because a rejected resample is redrawn from its replicate's generator an unknown number of
  times. ``SeedSequence(e).spawn(reps)[b]`` is the same generator, so this is also the scheme
  that spawning children per replicate gives.

The block lengths are those each engine used before they shared this module, so an ``int``
seed gives the draws it gave then.

Seeds
-----
:data:`~econ.data.seeds.Seed` is an ``int`` (non-negative) or a
:class:`numpy.random.Generator`. A generator is read once, 64 random bits taken as the
entropy, so the draws are reproducible given its state and it advances by that one draw.
Engines resolve a seed once per call and report the entropy as their seed: passing that
``int`` back reproduces the draws.

Defaults
--------
:data:`~econ.data.seeds.DEFAULT_SEED` is every engine's default seed (and the simulation's).
Replications differ by engine because the cost of a replicate and the precision needed differ:

- :data:`DEFAULT_REPS` (9999), the wild cluster bootstrap: a replicate costs ``O(G)`` once the
  regression is precomputed, and its p-values near 0.05 or 0.01 and the test-inverted interval
  need a fine grid (the Monte Carlo standard error of ``p = 0.05`` is 0.002);
- :data:`MULTIPLIER_REPS` (999), the Callaway-Sant'Anna multiplier bootstrap, as R's
  ``did`` (``biters = 1000``): every draw of every ATT(g, t) cell is kept in memory so that
  aggregations reuse them, and the IQR standard errors and the 95% sup-t quantile are stable
  at this size;
- :data:`CLUSTER_REPS` (999), the cluster (pairs) bootstrap: a replicate re-evaluates the
  statistic on all observations, and 999 puts the 95% percentile interval's ends on the 25th
  and 975th ordered draws;
- :data:`RESPONDENT_REPS` (499), the respondent bootstrap: a replicate refits every item's
  ordered model by Newton's method, and ``(B + 1) * 0.05`` is still an integer for the
  bootstrap-t p-values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args

import numpy as np

from econ.data.seeds import Seed, entropy

Distribution = Literal["rademacher", "webb", "mammen", "normal"]
DISTRIBUTIONS: tuple[str, ...] = get_args(Distribution)

DEFAULT_REPS = 9999
MULTIPLIER_REPS = 999
CLUSTER_REPS = 999
RESPONDENT_REPS = 499

WILD_BLOCK = 4096
CLUSTER_BLOCK = 1024

_WEBB = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
_SQRT5 = np.sqrt(5.0)
_MAMMEN = np.array([-(_SQRT5 - 1) / 2, (_SQRT5 + 1) / 2])
_MAMMEN_P = (_SQRT5 + 1) / (2 * _SQRT5)


def block_generator(seed: int, block: int) -> np.random.Generator:
    """The generator of block ``block`` of the stream with entropy ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed,
                                                                      spawn_key=(block,))))


def check_distribution(distribution: str) -> None:
    """Raise ``ValueError`` unless ``distribution`` names a wild-bootstrap weight distribution."""
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"unknown weights {distribution!r}: the bootstrap weight distribution "
                         f"is one of {', '.join(DISTRIBUTIONS)}")


def _segments(length: int, start: int, stop: int) -> Iterator[tuple[int, slice, slice]]:
    # (block, rows of the output, rows of the block) covering replicates start .. stop - 1.
    for block in range(start // length, (stop - 1) // length + 1):
        lo, hi = max(start, block * length), min(stop, (block + 1) * length)
        yield block, slice(lo - start, hi - start), slice(lo - block * length,
                                                         hi - block * length)


def _wild(distribution: Distribution, rng: np.random.Generator, shape: tuple[int, int]
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
    return rng.standard_normal(shape)


@lru_cache(maxsize=2)
def _wild_block(distribution: Distribution, clusters: int, seed: int, block: int, rows: int
                ) -> np.ndarray:
    # Kept for the next chunk: chunks smaller than a block would otherwise redraw it each time.
    # Only the first ``rows`` replicates of the block are drawn: each generator fills its
    # output in order, so they are the first rows of the full block (999 draws for 50,000
    # units then hold 0.4 GB, not the 1.6 GB of a whole block).
    draws = _wild(distribution, block_generator(seed, block), (rows, clusters))
    draws.flags.writeable = False
    return draws


@dataclass(frozen=True)
class WeightStream:
    """Wild-bootstrap weights of ``reps`` replications for ``clusters`` bootstrap clusters.

    With ``enumerate=True`` (Rademacher only) the replications are the ``2^G`` sign patterns,
    in binary order (pattern ``b`` has ``v_g = +1`` where bit ``g`` of ``b`` is 0), the first
    being all ``+1``. ``seed`` is the stream's entropy (see :func:`~econ.data.seeds.entropy`).
    """

    distribution: Distribution
    clusters: int
    reps: int
    seed: int
    enumerate: bool = False

    def chunk(self, start: int, stop: int) -> np.ndarray:
        """Weights of replications ``start .. stop - 1``, shape ``(clusters, stop - start)``."""
        if not 0 <= start <= stop <= self.reps:
            raise ValueError(f"replications {start} .. {stop - 1} are outside the stream's "
                             f"0 .. {self.reps - 1}")
        if self.enumerate:
            patterns = np.arange(start, stop, dtype=np.int64)
            bits = (patterns[None, :] >> np.arange(self.clusters)[:, None]) & 1
            return 1.0 - 2.0 * bits
        # Filled column by column so the layout (and any BLAS product on it) is what
        # callers have always received: C order, clusters by replications.
        out = np.empty((self.clusters, stop - start))
        for block, into, within in _segments(WILD_BLOCK, start, stop):
            # The rows drawn depend on reps only, never on the chunk, so draws stay
            # chunk-invariant.
            rows = min(WILD_BLOCK, self.reps - block * WILD_BLOCK)
            out[:, into] = _wild_block(self.distribution, self.clusters, self.seed, block,
                                       rows)[within].T
        return out

    @property
    def blocks(self) -> int:
        """Blocks of :data:`WILD_BLOCK` replications the stream is read in."""
        return -(-self.reps // WILD_BLOCK)

    def pieces(self, block: int, rows: int) -> Iterator[tuple[int, np.ndarray]]:
        """Weights of block ``block``, replication-major, in consecutive pieces.

        Yields ``(start, weights)``: the first replication of the piece and its weights, shape
        ``(replications, clusters)`` (the transpose of :meth:`chunk`'s layout, same values). A
        piece holds at most ``rows`` replications (rounded down to a multiple of 32, at least
        32), so memory is ``O(rows x clusters)`` whatever the block length. The block's
        generator is read in order, piece after piece: the same draws as drawing the block at
        once (a multiple of 32 replications is a whole number of 32-bit words of Rademacher
        signs).
        """
        first = block * WILD_BLOCK
        count = min(WILD_BLOCK, self.reps - first)
        if not 0 <= block < self.blocks:
            raise ValueError(f"block {block} is outside the stream's 0 .. {self.blocks - 1}")
        size = max(32, rows - rows % 32)
        if self.enumerate:
            for lo in range(0, count, size):
                patterns = np.arange(first + lo, first + min(lo + size, count), dtype=np.int64)
                yield first + lo, 1.0 - 2.0 * ((patterns[:, None]
                                                >> np.arange(self.clusters)) & 1)
            return
        rng = block_generator(self.seed, block)
        if self.distribution == "rademacher":
            total = -(-count * self.clusters // 8)
            taken = 0
            for lo in range(0, count, size):
                hi = min(lo + size, count)
                # Interior pieces end on a byte (32 x clusters bits); the last takes the rest.
                nbytes = total - taken if hi == count else (hi - lo) * self.clusters // 8
                taken += nbytes
                signs = np.take(_SIGNS, rng.integers(0, 256, size=nbytes, dtype=np.uint8),
                                axis=0).reshape(-1)
                yield first + lo, signs[:(hi - lo) * self.clusters].reshape(hi - lo,
                                                                            self.clusters)
            return
        for lo in range(0, count, size):
            hi = min(lo + size, count)
            yield first + lo, _wild(self.distribution, rng, (hi - lo, self.clusters))


#: The eight Rademacher signs of each byte, most significant bit first (``np.unpackbits``).
_SIGNS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1) * 2.0 - 1.0


def stream(distribution: Distribution, clusters: int, reps: int, seed: Seed) -> WeightStream:
    """Wild-bootstrap weights: ``reps`` draws, or all ``2^G`` Rademacher sign patterns.

    Parameters
    ----------
    distribution
        ``"rademacher"`` (+-1), ``"webb"`` (six points), ``"mammen"`` (two points, third
        moment 1) or ``"normal"``; each has mean 0 and variance 1.
    clusters
        Number of bootstrap clusters ``G`` (rows of each chunk).
    reps
        Replications; with Rademacher weights and ``2^G <= reps`` the stream enumerates the
        ``2^G`` patterns instead.
    seed
        Seed of the stream (resolved once, see :func:`~econ.data.seeds.entropy`).

    Returns
    -------
    WeightStream
        Read with :meth:`WeightStream.chunk`; its ``reps`` is the number of replications.
    """
    check_distribution(distribution)
    resolved = entropy(seed)
    if distribution == "rademacher" and clusters < 63 and 2**clusters <= reps:
        return WeightStream(distribution, clusters, 2**clusters, resolved, enumerate=True)
    return WeightStream(distribution, clusters, reps, resolved)


@lru_cache(maxsize=2)
def _cluster_block(clusters: int, seed: int, block: int) -> np.ndarray:
    picks = block_generator(seed, block).integers(0, clusters, size=(CLUSTER_BLOCK, clusters))
    # Offsetting each replicate's picks by its row lets one bincount count all rows at once.
    flat = (picks + np.arange(CLUSTER_BLOCK)[:, None] * clusters).ravel()
    counts = np.bincount(flat, minlength=CLUSTER_BLOCK * clusters)
    counts = counts.reshape(CLUSTER_BLOCK, clusters).astype(float)
    counts.flags.writeable = False
    return counts


def multiplicities(clusters: int, seed: int, start: int, stop: int) -> np.ndarray:
    """How often each cluster is drawn in replicates ``start .. stop - 1`` of a pairs bootstrap.

    Parameters
    ----------
    clusters
        Number of clusters ``G``; each replicate draws ``G`` of them with replacement.
    seed
        The stream's entropy. A range is one read of the stream, so a generator must be
        resolved once with :func:`~econ.data.seeds.entropy` before reading several ranges.
    start, stop
        Replicates to return.

    Returns
    -------
    numpy.ndarray
        Shape ``(stop - start, G)``, floats; each row sums to ``G``.
    """
    out = np.empty((stop - start, clusters))
    for block, into, within in _segments(CLUSTER_BLOCK, start, stop):
        out[into] = _cluster_block(clusters, seed, block)[within]
    return out


def resampled_rows(rows: int, seed: int, replicate: int) -> Iterator[np.ndarray]:
    """Resamples of ``rows`` row indices with replacement for one replicate, one per ``next``.

    The first is the replicate's resample; the following ones replace resamples the caller
    rejects, so replicate ``b``'s draws depend only on ``seed`` and ``b``.

    Parameters
    ----------
    rows
        Number of rows ``n``; each resample has ``n`` indices in ``0 .. n - 1``.
    seed
        The stream's entropy (resolve a generator once with :func:`~econ.data.seeds.entropy`).
    replicate
        The replicate ``b`` (its block).

    Yields
    ------
    numpy.ndarray
        ``n`` integer row indices.
    """
    rng = block_generator(seed, replicate)
    while True:
        yield rng.integers(0, rows, size=rows)


#: Replicates per block of the cluster permutations of randomization inference.
PERMUTATION_BLOCK = 1024


@lru_cache(maxsize=2)
def _permutation_block(strata: tuple[int, ...], seed: int, block: int) -> np.ndarray:
    rng = block_generator(seed, block)
    codes = np.asarray(strata, dtype=np.int64)
    out = np.empty((PERMUTATION_BLOCK, len(codes)), dtype=np.int64)
    # Strata are shuffled in order of their codes, each row independently, so a block is
    # fixed by the strata, the entropy and the block number alone.
    for stratum in np.unique(codes):
        members = np.flatnonzero(codes == stratum)
        out[:, members] = rng.permuted(np.tile(members, (PERMUTATION_BLOCK, 1)), axis=1)
    out.flags.writeable = False
    return out


def permutations(strata: np.ndarray, seed: int, start: int, stop: int) -> np.ndarray:
    """Uniform random permutations of clusters within strata, replicates ``start .. stop - 1``.

    Row ``b`` maps each cluster ``g`` to the cluster ``pi_b(g)`` whose treatment it receives;
    ``pi_b(g)`` is in ``g``'s stratum, and within each stratum every permutation is equally
    likely. Replicates come in blocks of :data:`PERMUTATION_BLOCK` from
    :func:`block_generator`, so replicate ``b`` depends only on the strata, ``seed`` and ``b``.

    Parameters
    ----------
    strata
        Integer stratum code of each of the ``G`` clusters (all equal: one stratum).
    seed
        The stream's entropy (resolve a generator once with :func:`~econ.data.seeds.entropy`).
    start, stop
        Replicates to return.

    Returns
    -------
    numpy.ndarray
        Shape ``(stop - start, G)``, integer cluster indices; each row is a permutation.
    """
    key = tuple(int(code) for code in np.asarray(strata))
    out = np.empty((stop - start, len(key)), dtype=np.int64)
    for block, into, within in _segments(PERMUTATION_BLOCK, start, stop):
        out[into] = _permutation_block(key, seed, block)[within]
    return out
