"""Absorb fixed effects: project columns off any number of group-dummy sets.

Three routes, chosen automatically, all giving the same projection:

- one fixed effect: subtract (weighted) group means, exact;
- two fixed effects forming a complete unweighted grid (a balanced village-year panel): the
  closed form ``x - mean_i - mean_t + mean``, exact;
- otherwise alternating projections (the method of alternating projections of Guimarães and
  Portugal 2010, as in reghdfe and fixest) until the largest change in any column is below
  ``tol`` times the column's scale.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Absorber:
    """Projection off the dummies of ``codes`` (dense codes, one array per fixed effect)."""

    codes: tuple[np.ndarray, ...]
    weights: np.ndarray | None = None
    tol: float = 1e-10
    max_iter: int = 10_000

    @property
    def levels(self) -> tuple[int, ...]:
        return tuple(int(c.max()) + 1 for c in self.codes)

    def _sums(self, k: int) -> np.ndarray:
        w = self.weights
        return np.bincount(self.codes[k], weights=w, minlength=self.levels[k])

    def demean(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        """Return ``values`` (n x m) minus their projection on the dummies, and the iterations.

        Raises
        ------
        RuntimeError
            If alternating projections have not converged after ``max_iter`` sweeps.
        """
        out = np.array(values, dtype=np.float64, order="F", copy=True)
        if not self.codes:
            return out, 0
        if len(self.codes) == 1:
            self._subtract_means(out, 0)
            return out, 1
        if len(self.codes) == 2 and self.weights is None and self._complete_grid():
            grand = out.mean(axis=0)
            first, second = self._means(out, 0), self._means(out, 1)
            out -= first[self.codes[0]] + second[self.codes[1]] - grand
            return out, 1
        return self._alternate(out)

    def _complete_grid(self) -> bool:
        n = len(self.codes[0])
        a, b = self.levels
        if a * b != n:
            return False
        cells = self.codes[0].astype(np.int64) * b + self.codes[1]
        return bool(np.bincount(cells, minlength=n).max() == 1)

    def _means(self, values: np.ndarray, k: int) -> np.ndarray:
        codes, w = self.codes[k], self.weights
        totals = self._sums(k)
        means = np.empty((self.levels[k], values.shape[1]))
        for j in range(values.shape[1]):
            column = values[:, j] if w is None else values[:, j] * w
            means[:, j] = np.bincount(codes, weights=column, minlength=self.levels[k]) / totals
        return means

    def _subtract_means(self, values: np.ndarray, k: int) -> None:
        values -= self._means(values, k)[self.codes[k]]

    def _alternate(self, out: np.ndarray) -> tuple[np.ndarray, int]:
        scale = np.maximum(np.abs(out).max(axis=0), 1.0)
        for sweep in range(1, self.max_iter + 1):
            before = out.copy()
            for k in range(len(self.codes)):
                self._subtract_means(out, k)
            change = np.abs(out - before).max(axis=0) / scale
            if change.max() <= self.tol:
                return out, sweep
        raise RuntimeError(
            f"fixed-effect absorption did not converge in {self.max_iter} sweeps (largest "
            f"relative change {change.max():.2e} > tol {self.tol:.0e}); raise max_iter or "
            f"check for weakly connected fixed effects"
        )


def drop_singletons(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Mask of rows to keep after repeatedly removing fixed-effect groups of one row.

    A singleton group's coefficient fits its row exactly, which leaves the regression unchanged
    but overstates the degrees of freedom (Correia 2015); fixest and reghdfe drop them too.
    """
    n = len(codes[0]) if codes else 0
    keep = np.ones(n, dtype=bool)
    while True:
        single = np.zeros(n, dtype=bool)
        for c in codes:
            counts = np.bincount(c[keep], minlength=int(c.max()) + 1)
            single |= keep & (counts[c] == 1)
        if not single.any():
            return keep
        keep &= ~single


def fe_parameters(codes: Sequence[np.ndarray]) -> int:
    """Number of identified fixed-effect coefficients (levels less redundancies).

    Exact for one or two fixed effects (two: levels minus connected components of the
    bipartite level graph); for more, each further fixed effect is taken to add one redundancy,
    as fixest does.
    """
    if not codes:
        return 0
    levels = [int(c.max()) + 1 for c in codes]
    if len(codes) == 1:
        return levels[0]
    a, b = levels[0], levels[1]
    graph = coo_matrix((np.ones(len(codes[0])), (codes[0], codes[1] + a)),
                       shape=(a + b, a + b))
    components, _ = connected_components(graph, directed=False)
    return a + b - components - (len(codes) - 2) + sum(levels[2:])


def absorbed(original: np.ndarray, demeaned: np.ndarray, *, tol: float = 1e-8) -> np.ndarray:
    """Columns that the fixed effects absorb: demeaned norm tiny relative to the original's."""
    before = np.linalg.norm(original, axis=0)
    after = np.linalg.norm(demeaned, axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return (before == 0) | (after <= tol * before)
