"""Cluster bootstrap: chunk invariance, seeds, and agreement with a plain per-replicate loop."""

from __future__ import annotations

import numpy as np
import pytest

from econ.estimation.inequality import gini, theil_decomposition
from econ.inference.cluster_bootstrap import cluster_bootstrap
from econ.inference.resampling import CLUSTER_REPS, multiplicities

RNG = np.random.default_rng(5)
N = 90
CLUSTERS = np.repeat(np.arange(15), 6)
VALUES = RNG.gamma(1.5, 10.0, size=N)
GROUPS = RNG.integers(0, 3, size=N).astype(str)


def between_share(weights):
    return theil_decomposition(VALUES, GROUPS, weights=weights, allow_singletons=True
                               ).between_share


def both(weights):
    return np.column_stack([between_share(weights), gini(VALUES, weights)])


@pytest.mark.parametrize("statistic", [between_share, both])
def test_draws_identical_whatever_the_chunk_size(statistic):
    runs = [cluster_bootstrap(statistic, CLUSTERS, reps=1100, seed=9, chunk_size=c).draws
            for c in (1, 7, 1100)]
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[0], runs[2])
    other = cluster_bootstrap(statistic, CLUSTERS, reps=1100, seed=10, chunk_size=7).draws
    assert not np.array_equal(runs[0], other)


def test_vectorised_equals_plain_loop():
    reps = 200
    boot = cluster_bootstrap(both, CLUSTERS, reps=reps, seed=4, chunk_size=64)
    counts = multiplicities(15, 4, 0, reps)
    for b in range(reps):
        # resample clusters by physically repeating each cluster's rows
        rows = np.concatenate([np.flatnonzero(CLUSTERS == c).repeat(0) if m == 0 else
                               np.tile(np.flatnonzero(CLUSTERS == c), int(m))
                               for c, m in enumerate(counts[b])])
        d = theil_decomposition(VALUES[rows], GROUPS[rows], allow_singletons=True)
        assert boot.draws[b, 0] == pytest.approx(d.between_share, abs=1e-12)
        assert boot.draws[b, 1] == pytest.approx(gini(VALUES[rows]), abs=1e-12)
    assert np.all(counts.sum(axis=1) == 15)
    lower, upper = boot.conf_int()
    assert np.all(lower <= upper)
    assert np.all(boot.std_error > 0)
    np.testing.assert_allclose(boot.estimate, both(np.ones((1, N)))[0])


def test_generator_seed_is_read_once_and_recorded():
    a = cluster_bootstrap(gini_only, CLUSTERS, reps=50, seed=np.random.default_rng(8))
    b = cluster_bootstrap(gini_only, CLUSTERS, reps=50, seed=np.random.default_rng(8),
                          chunk_size=3)
    again = cluster_bootstrap(gini_only, CLUSTERS, reps=50, seed=a.seed)
    assert isinstance(a.seed, int) and a.seed == b.seed == again.seed
    assert np.array_equal(a.draws, b.draws) and np.array_equal(a.draws, again.draws)
    assert cluster_bootstrap(gini_only, CLUSTERS, seed=1).reps == CLUSTER_REPS


def gini_only(weights):
    return gini(VALUES, weights)


def test_errors():
    with pytest.raises(ValueError, match="at least 2 clusters"):
        cluster_bootstrap(between_share, np.zeros(N), reps=10, seed=1)
    with pytest.raises(ValueError, match="positive"):
        cluster_bootstrap(between_share, CLUSTERS, reps=0, seed=1)
