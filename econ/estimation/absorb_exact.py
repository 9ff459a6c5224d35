"""Exact weighted projection off two fixed effects when one of them has few levels.

With fixed effects ``a`` (many levels, e.g. villages) and ``b`` (few, e.g. years), the
weighted normal equations of the dummies are

    diag(d_a) alpha + C gamma = D_a' W x,      C' alpha + diag(d_b) gamma = D_b' W x,

with ``d`` the weight totals of each level and ``C`` the weight totals of each (a, b) cell.
Eliminating ``alpha`` leaves the small system ``S gamma = D_b' W x - C' (D_a' W x / d_a)`` with
``S = diag(d_b) - C' diag(1 / d_a) C`` (``levels_b`` square; singular by one dimension per
connected component of the level graph, so it is solved by its pseudo-inverse: any solution
gives the same projection). One pass over the rows per column replaces the tens of sweeps
alternating projections need with changing weights, as in every IRLS iteration of a Poisson fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg
from scipy.sparse import csr_matrix

#: Most levels of the smaller fixed effect for the exact route (its system is solved densely).
MAX_SMALL_LEVELS = 1_000
#: Most (large, small) cells held as a dense table; beyond it the cells are a sparse matrix.
DENSE_CELLS = 20_000_000


@dataclass(frozen=True, eq=False)
class TwoWayAbsorber:
    """Projection off the dummies of ``large`` and ``small`` with ``weights``, exact.

    ``large`` and ``small`` are dense codes (``0 .. L - 1``, every level present).
    """

    large: np.ndarray
    small: np.ndarray
    weights: np.ndarray

    @staticmethod
    def applies(codes: tuple[np.ndarray, ...]) -> bool:
        """Whether the exact route applies: two fixed effects, one with few levels."""
        return len(codes) == 2 and min(int(c.max()) + 1 for c in codes) <= MAX_SMALL_LEVELS

    @classmethod
    def of(cls, codes: tuple[np.ndarray, ...], weights: np.ndarray) -> TwoWayAbsorber:
        """The absorber for two code arrays in either order."""
        first, second = codes
        if int(first.max()) < int(second.max()):
            first, second = second, first
        return cls(first, second, weights)

    @cached_property
    def _system(self) -> tuple[np.ndarray, np.ndarray | csr_matrix, np.ndarray]:
        """Weight totals of the large effect's levels, of the cells, and ``S^+``."""
        la, lb = int(self.large.max()) + 1, int(self.small.max()) + 1
        w = self.weights
        d_a = np.bincount(self.large, weights=w, minlength=la)
        d_b = np.bincount(self.small, weights=w, minlength=lb)
        cells: np.ndarray | csr_matrix
        if la * lb <= DENSE_CELLS:
            cells = np.bincount(self.large * lb + self.small, weights=w,
                                minlength=la * lb).reshape(la, lb)
            schur = np.diag(d_b) - cells.T @ (cells / d_a[:, None])
        else:
            cells = csr_matrix((w, (self.large, self.small)), shape=(la, lb))
            scaled = csr_matrix(cells.multiply(1 / d_a[:, None]))
            schur = np.diag(d_b) - (cells.T @ scaled).toarray()
        return d_a, cells, scipy.linalg.pinvh(schur)

    def demean(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        """``values`` (n x m) less their weighted projection on the dummies; 1 pass."""
        d_a, cells, inverse = self._system
        la, lb = len(d_a), inverse.shape[0]
        out = np.array(values, dtype=np.float64, order="F", copy=True)
        m = out.shape[1]
        r_a, r_b = np.empty((la, m)), np.empty((lb, m))
        for j in range(m):
            weighted = out[:, j] * self.weights
            r_a[:, j] = np.bincount(self.large, weights=weighted, minlength=la)
            r_b[:, j] = np.bincount(self.small, weights=weighted, minlength=lb)
        # All columns in one product each: the level tables are small next to the rows.
        gamma = inverse @ (r_b - cells.T @ (r_a / d_a[:, None]))
        alpha = (r_a - cells @ gamma) / d_a[:, None]
        for j in range(m):
            column = out[:, j]
            column -= alpha[:, j][self.large]
            column -= gamma[:, j][self.small]
        return out, 1
