"""econ.inference.distributions against scipy.stats: the same numbers, bit for bit."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from econ.inference import distributions as d

DFS = [0.5, 1, 2.5, 7, 30, 1e6, np.inf, 0, -1, np.nan]
STATISTICS = [-np.inf, -3, -0.0, 0.0, 1e-300, 1e-8, 0.7, 1.96, 3.3, 50, 1e4, np.inf, np.nan]
PROBABILITIES = [0.0, 1e-12, 0.025, 0.5, 0.5 + 1e-16, 0.9, 0.95, 0.975, 0.995, 1 - 1e-12, 1.0,
                 -0.1, 1.1, np.nan]


def same(a: object, b: object) -> bool:
    """Equal as floats, 0.0 not matching -0.0 (a table would print -0.00); NaN matches NaN."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    numbers = ~np.isnan(a)
    return bool(np.array_equal(a, b, equal_nan=True)
                and np.array_equal(np.signbit(a[numbers]), np.signbit(b[numbers])))


@pytest.mark.parametrize("df", DFS)
def test_t(df: float) -> None:
    for x in STATISTICS:
        assert same(d.t_sf(x, df), stats.t.sf(x, df)), (x, df)
    for p in PROBABILITIES:
        assert same(d.t_quantile(p, df), stats.t.ppf(p, df)), (p, df)


@pytest.mark.parametrize("dfn", DFS)
def test_f(dfn: float) -> None:
    for dfd, x in itertools.product(DFS, STATISTICS):
        assert same(d.f_sf(x, dfn, dfd), stats.f.sf(x, dfn, dfd)), (x, dfn, dfd)
    for dfd, p in itertools.product(DFS, PROBABILITIES):
        assert same(d.f_quantile(p, dfn, dfd), stats.f.ppf(p, dfn, dfd)), (p, dfn, dfd)


@pytest.mark.parametrize("df", DFS)
def test_chi2(df: float) -> None:
    for x in STATISTICS:
        assert same(d.chi2_sf(x, df), stats.chi2.sf(x, df)), (x, df)


def test_normal() -> None:
    for x in STATISTICS:
        assert same(d.norm_cdf(x), stats.norm.cdf(x)), x
        assert same(d.norm_sf(x), stats.norm.sf(x)), x
        assert same(d.norm_pdf(x), stats.norm.pdf(x)), x
    for p in PROBABILITIES:
        assert same(d.norm_ppf(p), stats.norm.ppf(p)), p
        assert same(d.norm_isf(p), stats.norm.isf(p)), p
    x = np.random.default_rng(5).normal(size=(3, 40)) * 4
    assert same(d.norm_pdf(x), stats.norm.pdf(x)) and same(d.norm_sf(x), stats.norm.sf(x))


def test_arrays_broadcast_as_scipy_stats() -> None:
    rng = np.random.default_rng(3)
    x, df = rng.normal(size=(4, 50)) * 3, rng.uniform(0.5, 80, size=50)
    assert same(d.t_sf(x, df), stats.t.sf(x, df))
    p = rng.uniform(size=50)
    assert same(d.t_quantile(p, df), stats.t.ppf(p, df))
    assert same(d.f_sf(np.abs(x), 3, df), stats.f.sf(np.abs(x), 3, df))
    assert same(d.chi2_sf(np.abs(x), df), stats.chi2.sf(np.abs(x), df))
