"""The exact two-way weighted projection against least squares on explicit dummies, on every
route: dense or sparse cell table, rows sorted by the large effect or not, several components
of the level graph (a singular small system), and the block route for a small effect with many
levels in small components."""

from __future__ import annotations

import numpy as np
import pytest

import econ.estimation.absorb_exact as absorb_exact
from econ.estimation.absorb_exact import MAX_SMALL_LEVELS, TwoWayAbsorber, TwoWayLayout


def _dummies_residuals(large: np.ndarray, small: np.ndarray, w: np.ndarray,
                       X: np.ndarray) -> np.ndarray:
    D = np.column_stack([np.eye(large.max() + 1)[large], np.eye(small.max() + 1)[small]])
    root = np.sqrt(w)[:, None]
    coef = np.linalg.lstsq(D * root, X * root, rcond=None)[0]
    return X - D @ coef


def _codes(rng: np.random.Generator, levels: tuple[int, int], shuffle: bool
           ) -> tuple[np.ndarray, np.ndarray]:
    """Four rows per level of the large effect, a random small one with every level present;
    rows sorted by the large effect unless ``shuffle``."""
    la, lb = levels
    large = np.repeat(np.arange(la), 4)
    small = rng.integers(0, lb, size=len(large))
    small[:lb] = np.arange(lb)
    if shuffle:
        order = rng.permutation(len(large))
        large, small = large[order], small[order]
    return large, small


@pytest.mark.parametrize(("levels", "shuffle"), [((40, 6), False), ((40, 6), True),
                                                 ((300, 25), True)])
def test_projection_equals_dummy_regression(levels, shuffle):
    rng = np.random.default_rng(3)
    la, lb = levels
    large, small = _codes(rng, levels, shuffle)
    w = rng.uniform(0.2, 3.0, size=len(large))
    X = rng.normal(size=(len(large), 3))
    layout = TwoWayLayout.of((small, large))  # either order
    assert layout is not None and layout.levels == (la, lb)
    assert (layout.runs is None) == shuffle
    assert (layout.cells is None) == (la * lb > 2 * len(large))
    out, sweeps = TwoWayAbsorber(layout, w).demean(X)
    np.testing.assert_allclose(out, _dummies_residuals(large, small, w, X), atol=1e-10)
    assert sweeps == 1


def test_disconnected_levels_and_limits():
    # Two separate blocks of the level graph: the small system has a two-dimensional null
    # space, which the pseudo-inverse handles.
    large = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    small = np.array([0, 1, 0, 1, 2, 3, 2, 3])
    w = np.linspace(0.5, 2.0, 8)
    X = np.arange(16.0).reshape(8, 2) ** 1.5
    layout = TwoWayLayout.of((large, small))
    assert layout is not None
    out, _ = TwoWayAbsorber(layout, w).demean(X)
    np.testing.assert_allclose(out, _dummies_residuals(large, small, w, X), atol=1e-10)
    # One connected chain of more levels than the limit has no exact route; as many levels in
    # separate pairs do.
    many = np.arange(MAX_SMALL_LEVELS + 1)
    chain = (np.r_[many, many[:-1]], np.r_[many, many[1:]])
    assert TwoWayLayout.of(chain) is None
    pairs = TwoWayLayout.of((many, many))
    assert pairs is not None and pairs.components is not None
    assert TwoWayLayout.of((large,)) is None


@pytest.mark.parametrize("shuffle", [False, True])
def test_small_components_are_solved_block_by_block(monkeypatch, shuffle):
    """Villages and township x year effects, both nested in townships of 1 to 4 villages over
    2 to 4 years (blocks of several sizes), some village-years missing, with weights."""
    monkeypatch.setattr(absorb_exact, "MAX_SMALL_LEVELS", 6)
    rng = np.random.default_rng(5)
    rows = []
    village = 0
    for township in range(30):
        years = 2 + township % 3
        for _ in range(1 + township % 4):
            rows += [(village, township * 4 + year) for year in range(years)
                     if rng.random() > 0.15 or year == 0]
            village += 1
    villages, cells = np.array(rows).T
    _, twpyear = np.unique(cells, return_inverse=True)
    if shuffle:
        order = rng.permutation(len(villages))
        villages, twpyear = villages[order], twpyear[order]
    w = rng.uniform(0.2, 3.0, size=len(villages))
    X = rng.normal(size=(len(villages), 3))
    layout = TwoWayLayout.of((villages, twpyear))
    assert layout is not None and layout.components is not None
    assert len(np.unique(np.bincount(layout.components))) > 1  # several block sizes
    out, sweeps = TwoWayAbsorber(layout, w).demean(X)
    large, small = layout.large, layout.small
    np.testing.assert_allclose(out, _dummies_residuals(large, small, w, X), atol=1e-10)
    assert sweeps == 1


@pytest.mark.parametrize(("levels", "shuffle"), [((40, 6), False), ((40, 6), True),
                                                 ((300, 25), True)])
def test_unweighted_is_weights_of_one_and_overwrite_works_in_place(levels, shuffle):
    # Without weights the totals are counts and nothing is multiplied by 1: the same numbers
    # bit for bit as weights of 1, on the dense and sparse cell tables, sorted or not.
    rng = np.random.default_rng(8)
    large, small = _codes(rng, levels, shuffle)
    layout = TwoWayLayout.of((large, small))
    assert layout is not None
    X = rng.normal(size=(len(large), 3))
    before = X.copy()
    unweighted, _ = TwoWayAbsorber(layout, None).demean(X)
    ones, _ = TwoWayAbsorber(layout, np.ones(len(large))).demean(X)
    np.testing.assert_array_equal(unweighted, ones)
    np.testing.assert_allclose(unweighted, _dummies_residuals(large, small, np.ones(len(large)),
                                                              X), atol=1e-10)
    np.testing.assert_array_equal(X, before)  # not overwritten unless asked
    owned = np.asfortranarray(X)
    out, _ = TwoWayAbsorber(layout, None).demean(owned, overwrite=True)
    assert out is owned
    np.testing.assert_array_equal(out, unweighted)
    # A C-ordered array is copied even when it may be overwritten.
    c_order = np.ascontiguousarray(before)
    out, _ = TwoWayAbsorber(layout, None).demean(c_order, overwrite=True)
    assert out is not c_order
    np.testing.assert_array_equal(c_order, before)
