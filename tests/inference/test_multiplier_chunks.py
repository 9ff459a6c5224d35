"""Multiplier bootstrap draws are the same bits whatever the chunk size (the project's rule for
randomness), with and without clusters and for every weight distribution."""

from __future__ import annotations

import numpy as np
import pytest

from econ.inference.multiplier import multiplier_bootstrap


@pytest.mark.parametrize("distribution", ["rademacher", "mammen", "webb"])
@pytest.mark.parametrize("clustered", [False, True], ids=["units", "clusters"])
def test_draws_are_bit_identical_for_any_chunk_size(distribution, clustered):
    rng = np.random.default_rng(1)
    influence = rng.normal(size=(3000, 12))
    cluster = rng.integers(0, 700, size=3000) if clustered else None
    draws = [multiplier_bootstrap(influence, cluster=cluster, reps=999,
                                  distribution=distribution, seed=5, alpha=0.05,
                                  chunk_size=chunk).draws
             for chunk in (1, 7, 100, 1024, 5000)]
    for other in draws[1:]:
        assert np.array_equal(other, draws[0])
