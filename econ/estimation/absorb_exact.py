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
class TwoWayLayout:
    """Two fixed effects' codes and what every weighted projection on them reuses.

    ``large`` and ``small`` are dense codes (``0 .. L - 1``, every level present), ``small``
    the one with fewer levels.
    """

    large: np.ndarray
    small: np.ndarray

    @classmethod
    def of(cls, codes: tuple[np.ndarray, ...]) -> TwoWayLayout | None:
        """The layout of two fixed effects one of which has few levels, else ``None``."""
        if len(codes) != 2:
            return None
        first, second = codes
        if int(first.max()) < int(second.max()):
            first, second = second, first
        if int(second.max()) + 1 > MAX_SMALL_LEVELS:
            return None
        return cls(first, second)

    @cached_property
    def levels(self) -> tuple[int, int]:
        return int(self.large.max()) + 1, int(self.small.max()) + 1

    @cached_property
    def runs(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Start and length of each level's block when rows are sorted by the large effect
        (a panel sorted by village): block sums and expansions then need no scatter."""
        if (np.diff(self.large) < 0).any():
            return None
        starts = np.flatnonzero(np.r_[True, self.large[1:] != self.large[:-1]])
        return starts, np.diff(np.r_[starts, len(self.large)])

    @cached_property
    def cells(self) -> np.ndarray | None:
        """Cell code of each row for a dense cell table, or ``None`` when it would be big."""
        la, lb = self.levels
        # A dense table is worth it only while it is not much larger than the data.
        dense = la * lb <= min(DENSE_CELLS, 2 * len(self.large))
        return self.large * lb + self.small if dense else None

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` within each level of the large effect."""
        if self.runs is not None:
            return np.add.reduceat(values, self.runs[0])
        return np.bincount(self.large, weights=values, minlength=self.levels[0])

    def expand(self, per_level: np.ndarray) -> np.ndarray:
        """Each row's value of ``per_level`` (one per level of the large effect)."""
        if self.runs is not None:
            return np.repeat(per_level, self.runs[1])
        return per_level[self.large]


@dataclass(frozen=True, eq=False)
class TwoWayAbsorber:
    """Projection off the dummies of the two fixed effects of ``layout`` with ``weights``,
    exact."""

    layout: TwoWayLayout
    weights: np.ndarray

    @cached_property
    def _system(self) -> tuple[np.ndarray, np.ndarray | csr_matrix, np.ndarray]:
        """Weight totals of the large effect's levels, of the cells, and ``S^+``."""
        layout, w = self.layout, self.weights
        la, lb = layout.levels
        d_a = layout.sums(w)
        d_b = np.bincount(layout.small, weights=w, minlength=lb)
        cells: np.ndarray | csr_matrix
        if layout.cells is not None:
            cells = np.bincount(layout.cells, weights=w, minlength=la * lb).reshape(la, lb)
            schur = np.diag(d_b) - cells.T @ (cells / d_a[:, None])
        else:
            cells = csr_matrix((w, (layout.large, layout.small)), shape=(la, lb))
            scaled = csr_matrix(cells.multiply(1 / d_a[:, None]))
            schur = np.diag(d_b) - (cells.T @ scaled).toarray()
        # The null directions (one per connected component) come out of the elimination as
        # eigenvalues of rounding size, which may be negative and above pinvh's default cutoff
        # (-2e-12 on mpdta's untreated rows): inverted, they blow a null vector up to 1e11 and
        # the projection loses five digits. A cutoff relative to the largest eigenvalue drops
        # them; a genuine eigenvalue is a weight total, far above it.
        return d_a, cells, scipy.linalg.pinvh(schur, atol=0.0, rtol=1e-10)

    def demean(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        """``values`` (n x m) less their weighted projection on the dummies; 1 pass."""
        d_a, cells, inverse = self._system
        layout = self.layout
        la, lb = layout.levels
        out = np.array(values, dtype=np.float64, order="F", copy=True)
        m = out.shape[1]
        r_a, r_b = np.empty((la, m)), np.empty((lb, m))
        for j in range(m):
            weighted = out[:, j] * self.weights
            r_a[:, j] = layout.sums(weighted)
            r_b[:, j] = np.bincount(layout.small, weights=weighted, minlength=lb)
        # All columns in one product each: the level tables are small next to the rows.
        gamma = inverse @ (r_b - cells.T @ (r_a / d_a[:, None]))
        alpha = (r_a - cells @ gamma) / d_a[:, None]
        for j in range(m):
            column = out[:, j]
            column -= layout.expand(alpha[:, j])
            column -= gamma[:, j][layout.small]
        return out, 1
