"""Under full enumeration the observed sign pattern is one of the draws, so a wild bootstrap
p-value can never fall below the smallest one it reports (issue 12), however degenerate the
design: two and three clusters with one treated, where the treated cluster's dummy leaves the
restricted scores almost nothing and the variance of the statistic is a difference of large
numbers."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import econ


def one_treated(clusters: int, seed: int) -> pd.DataFrame:
    """The size benchmark's design: unequal clusters (20 to 100 rows), cluster effects in x and
    in the error, heteroskedastic noise, the first cluster of a random order treated."""
    rng = np.random.default_rng([20240612, clusters, seed])
    sizes = np.round(20 * 5.0 ** np.linspace(0.0, 1.0, clusters)).astype(np.int64)
    g = np.repeat(np.arange(clusters), sizes)
    x = np.sqrt(0.5) * rng.normal(size=clusters)[g] + np.sqrt(0.5) * rng.normal(size=len(g))
    u = (np.sqrt(0.2) * rng.normal(size=clusters)[g]
         + np.sqrt(0.8) * np.sqrt((1 + x**2) / 2) * rng.normal(size=len(g)))
    order = rng.permutation(clusters)
    return pd.DataFrame({"y": 1.0 + u, "x": x, "g": g,
                         "d": np.isin(g, order[:1]).astype(float)})


@pytest.mark.parametrize(("clusters", "seeds"), [(2, range(200)), (3, range(60))])
def test_enumerated_p_values_never_fall_below_the_floor(clusters, seeds):
    below = []
    for seed in seeds:
        data = one_treated(clusters, seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", econ.FewClustersWarning)
            fit = econ.feols("y ~ d + x", data, cov=econ.Cluster("g"))
            test = fit.wild_bootstrap("d", econ.WildBootstrap(reps=399, seed=seed,
                                                              ci_level=None))
        assert test.enumerated
        if test.pvalue < test.smallest_pvalue:
            below.append((seed, test.pvalue, test.statistic))
    assert not below, below
