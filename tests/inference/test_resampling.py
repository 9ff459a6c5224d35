"""The shared resampling stream: chunk invariance, seeds, moments, and the pre-existing draws.

The references at the end re-implement the draws each engine made before the engines shared
:mod:`econ.inference.resampling`, independently of it, so that published results for an
``int`` seed are known to be unchanged bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from econ.data.seeds import entropy
from econ.inference.resampling import (
    CLUSTER_BLOCK,
    DISTRIBUTIONS,
    WILD_BLOCK,
    check_distribution,
    multiplicities,
    resampled_rows,
    stream,
)

REPS = 10_000
CHUNKS = (1, 7, 4096, 10_000)
G = 14  # 2^G > REPS: Rademacher weights are drawn, not enumerated
ROWS = 30


def _orders(reps: int = REPS, sizes: tuple[int, ...] = CHUNKS
            ) -> list[tuple[int, list[int]]]:
    """(chunk size, chunk starts) read forwards, backwards and, in chunks of 1000 that
    straddle block edges, in a random order."""
    out = []
    for size in sizes:
        starts = list(range(0, reps, size))
        out += [(size, starts), (size, starts[::-1])]
    starts = list(range(0, reps, 1000))
    out.append((1000, [starts[i] for i in np.random.default_rng(0).permutation(len(starts))]))
    return out


# chunk invariance --------------------------------------------------------------------------
@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_wild_weights_are_chunk_and_order_invariant(distribution: str) -> None:
    weights = stream(distribution, G, REPS, seed=3)
    assert not weights.enumerate
    whole = weights.chunk(0, REPS)
    for size, starts in _orders():
        out = np.empty_like(whole)
        for start in starts:
            out[:, start:start + size] = weights.chunk(start, min(start + size, REPS))
        assert np.array_equal(out, whole), size


def test_rademacher_enumeration_is_chunk_and_order_invariant() -> None:
    weights = stream("rademacher", 10, 2**10 + 1, seed=3)
    assert weights.enumerate and weights.reps == 2**10
    whole = weights.chunk(0, weights.reps)
    for size, starts in _orders(weights.reps, (1, 7, 1024)):
        out = np.empty_like(whole)
        for start in starts:
            out[:, start:start + size] = weights.chunk(start, min(start + size, weights.reps))
        assert np.array_equal(out, whole)
    # Every sign pattern once, the first all +1 and the last all -1.
    assert np.unique(whole, axis=1).shape[1] == 2**10
    assert (whole[:, 0] == 1).all() and (whole[:, -1] == -1).all()


def test_multiplicities_are_chunk_and_order_invariant() -> None:
    whole = multiplicities(G, 3, 0, REPS)
    for size, starts in _orders():
        out = np.empty_like(whole)
        for start in starts:
            out[start:start + size] = multiplicities(G, 3, start, min(start + size, REPS))
        assert np.array_equal(out, whole), size


def test_resampled_rows_are_chunk_and_order_invariant() -> None:
    reps = 300

    def first_two(replicate: int) -> np.ndarray:
        draws = resampled_rows(ROWS, 3, replicate)
        return np.concatenate([next(draws), next(draws)])

    whole = np.array([first_two(r) for r in range(reps)])
    for size, starts in _orders(reps, (1, 7, 4096)):
        out = np.empty_like(whole)
        for start in starts:
            for r in range(start, min(start + size, reps)):
                out[r] = first_two(r)
        assert np.array_equal(out, whole), size
    assert whole.min() >= 0 and whole.max() < ROWS


# seeds ------------------------------------------------------------------------------------
def test_generator_seed_is_reproducible_given_its_state() -> None:
    for distribution in DISTRIBUTIONS:
        a = stream(distribution, G, 500, np.random.default_rng(42))
        b = stream(distribution, G, 500, np.random.default_rng(42))
        assert a.seed == b.seed
        assert np.array_equal(a.chunk(0, 500), b.chunk(0, 500))
        # The resolved entropy as an int seed gives the same draws again.
        assert np.array_equal(stream(distribution, G, 500, a.seed).chunk(0, 500),
                              a.chunk(0, 500))
    rng = np.random.default_rng(42)
    first, second = entropy(rng), entropy(rng)
    assert first == entropy(np.random.default_rng(42)) and first != second


def test_seeds_are_validated() -> None:
    assert entropy(np.int64(7)) == 7 and isinstance(entropy(np.int64(7)), int)
    with pytest.raises(ValueError, match="non-negative"):
        entropy(-1)
    for bad in (True, 1.5, "7", None):
        with pytest.raises(TypeError, match="int or a numpy Generator"):
            entropy(bad)
    with pytest.raises(ValueError, match="unknown weights 'gaussian'"):
        check_distribution("gaussian")
    with pytest.raises(ValueError, match="unknown weights"):
        stream("gaussian", G, 10, 1)


def test_different_seeds_and_blocks_differ() -> None:
    weights = stream("normal", G, 3 * WILD_BLOCK, 1).chunk(0, 3 * WILD_BLOCK)
    blocks = np.split(weights, 3, axis=1)
    assert not np.array_equal(blocks[0], blocks[1])
    assert not np.array_equal(weights, stream("normal", G, 3 * WILD_BLOCK, 2).chunk(
        0, 3 * WILD_BLOCK))
    counts = multiplicities(G, 1, 0, 2 * CLUSTER_BLOCK)
    assert not np.array_equal(counts[:CLUSTER_BLOCK], counts[CLUSTER_BLOCK:])


# distributions ----------------------------------------------------------------------------
MOMENTS = {  # E v, E v^2, E v^3
    "rademacher": (0.0, 1.0, 0.0),
    "webb": (0.0, 1.0, 0.0),
    "mammen": (0.0, 1.0, 1.0),
    "normal": (0.0, 1.0, 0.0),
}
SUPPORT = {
    "rademacher": np.array([-1.0, 1.0]),
    "webb": np.sort(np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0,
                              np.sqrt(1.5)])),
    "mammen": np.array([-(np.sqrt(5) - 1) / 2, (np.sqrt(5) + 1) / 2]),
}


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_wild_weights_have_the_right_moments(distribution: str) -> None:
    v = stream(distribution, 50, 20_000, seed=11).chunk(0, 20_000).ravel()
    for power, target in enumerate(MOMENTS[distribution], start=1):
        values = v**power
        # Six Monte Carlo standard errors: a false alarm about once in 10^8 runs.
        bound = 6 * values.std() / np.sqrt(values.size) + 1e-12
        assert abs(values.mean() - target) < bound, (power, values.mean())
    if distribution in SUPPORT:
        np.testing.assert_allclose(np.unique(v), SUPPORT[distribution], rtol=1e-15)
    if distribution == "webb":
        shares = np.unique(v, return_counts=True)[1] / v.size
        assert np.all(np.abs(shares - 1 / 6) < 6 * np.sqrt(1 / 6 * 5 / 6 / v.size))
    if distribution == "mammen":
        share = np.mean(v < 0)
        p = (np.sqrt(5) + 1) / (2 * np.sqrt(5))
        assert abs(share - p) < 6 * np.sqrt(p * (1 - p) / v.size)


def test_multiplicities_sum_to_g_with_mean_one() -> None:
    counts = multiplicities(G, 5, 0, REPS)
    assert counts.shape == (REPS, G)
    assert np.all(counts.sum(axis=1) == G)
    assert np.all(counts >= 0) and np.array_equal(counts, np.round(counts))
    # Each cluster's count is Binomial(G, 1/G): mean 1, variance 1 - 1/G.
    bound = 6 * np.sqrt((1 - 1 / G) / REPS)
    assert np.all(np.abs(counts.mean(axis=0) - 1) < bound)


# the draws each engine made before the shared stream --------------------------------------
def _reference_generator(seed: int, block: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def _reference_wild(distribution: str, clusters: int, reps: int, seed: int) -> np.ndarray:
    webb = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
    root5 = np.sqrt(5.0)
    columns = []
    for block in range(-(-reps // 4096)):
        rng = _reference_generator(seed, block)
        shape = (4096, clusters)
        if distribution == "rademacher":
            count = 4096 * clusters
            bits = np.unpackbits(rng.integers(0, 256, size=-(-count // 8), dtype=np.uint8))
            draws = (bits[:count].reshape(shape) * 2.0) - 1.0
        elif distribution == "webb":
            draws = webb[rng.integers(0, 6, size=shape)]
        elif distribution == "mammen":
            draws = np.where(rng.random(shape) < (root5 + 1) / (2 * root5),
                             -(root5 - 1) / 2, (root5 + 1) / 2)
        else:
            draws = rng.standard_normal(shape)
        columns.append(draws.T)
    return np.hstack(columns)[:, :reps]


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
@pytest.mark.parametrize(("clusters", "seed"), [(15, 20240501), (40, 3)])
def test_wild_weights_are_bit_identical_to_the_original_stream(distribution: str,
                                                               clusters: int, seed: int
                                                               ) -> None:
    reps = 9000  # three blocks, the last partial
    got = stream(distribution, clusters, reps, seed).chunk(0, reps)
    assert got.flags.c_contiguous
    assert np.array_equal(got, _reference_wild(distribution, clusters, reps, seed))


def test_rademacher_enumeration_is_the_original_binary_order() -> None:
    got = stream("rademacher", 5, 40, seed=1).chunk(0, 32)
    expected = np.array([[1.0 - 2.0 * ((b >> g) & 1) for b in range(32)] for g in range(5)])
    assert np.array_equal(got, expected)


def test_multiplicities_are_bit_identical_to_the_original_stream() -> None:
    reps, clusters, seed = 2500, 15, 20210501
    expected = np.zeros((reps, clusters))
    for block in range(-(-reps // 1024)):
        picks = _reference_generator(seed, block).integers(0, clusters, size=(1024, clusters))
        for row, pick in enumerate(picks[:reps - block * 1024]):
            expected[block * 1024 + row] = np.bincount(pick, minlength=clusters)
    assert np.array_equal(multiplicities(clusters, seed, 0, reps), expected)


def test_resampled_rows_are_the_original_spawned_streams() -> None:
    reps, seed = 25, 11
    children = np.random.SeedSequence(seed).spawn(reps)
    for r in range(reps):
        rng = np.random.default_rng(children[r])
        draws = resampled_rows(ROWS, seed, r)
        for _ in range(3):  # the first resample and two redraws
            assert np.array_equal(next(draws), rng.integers(0, ROWS, size=ROWS))
