"""Cluster cross products of the wild bootstrap: the run-by-run and bincount routes agree with a
direct per-pair sum (numpy on the selected rows), whatever the row order."""

from __future__ import annotations

import numpy as np
import pytest

from econ.inference.bootstrap import engine


@pytest.mark.parametrize("order", ["sorted", "shuffled"])
@pytest.mark.parametrize("run_cost", [0, 10**12], ids=["runs", "bincounts"])
def test_cross_products_match_direct_sums(monkeypatch, order, run_cost):
    rng = np.random.default_rng(3)
    n, G = 3000, 7
    g = np.sort(rng.integers(0, G, n))
    h = np.sort(rng.integers(0, 11, n))  # CRVE clusters crossing the bootstrap clusters
    if order == "shuffled":
        perm = rng.permutation(n)
        g, h = g[perm], h[perm]
    X, y = rng.normal(size=(n, 3)), rng.normal(size=n)
    monkeypatch.setattr(engine, "_RUN_COST", run_cost)
    products = engine.CrossProducts.build(X, y, h, g, G)
    assert len(products.h) == len(set(zip(h.tolist(), g.tolist(), strict=True)))
    for p, (hp, gp) in enumerate(zip(products.h, products.g, strict=True)):
        rows = (h == hp) & (g == gp)
        np.testing.assert_allclose(products.XX[p], X[rows].T @ X[rows], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(products.Xy[p], X[rows].T @ y[rows], rtol=1e-12, atol=1e-12)
        assert np.array_equal(products.XX[p], products.XX[p].T)
