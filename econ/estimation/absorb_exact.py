"""Exact weighted projection off two fixed effects when one of them has few levels, or splits
into small connected pieces.

With fixed effects ``a`` (many levels, e.g. villages) and ``b`` (few, e.g. years), the
weighted normal equations of the dummies are

    diag(d_a) alpha + C gamma = D_a' W x,      C' alpha + diag(d_b) gamma = D_b' W x,

with ``d`` the weight totals of each level and ``C`` the weight totals of each (a, b) cell.
Eliminating ``alpha`` leaves the small system ``S gamma = D_b' W x - C' (D_a' W x / d_a)`` with
``S = diag(d_b) - C' diag(1 / d_a) C`` (``levels_b`` square; singular by one dimension per
connected component of the level graph, so it is solved by its pseudo-inverse: any solution
gives the same projection). One pass over the rows per column replaces the tens of sweeps
alternating projections need with changing weights, as in every IRLS iteration of a Poisson fit.

``S`` couples two levels of ``b`` only through a level of ``a`` they share, so it is block
diagonal over the connected components of the level graph. When ``b`` has many levels but every
component few (villages and township x year effects, both nested in townships, once the year
effect nested in township x year is left out), ``S`` is a sparse matrix whose blocks are
pseudo-inverted one component at a time, batched by block size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.linalg
from scipy.sparse import csr_matrix, diags_array
from scipy.sparse.csgraph import connected_components

#: Most levels of the smaller fixed effect in one connected component for the exact route (each
#: component's block of the small system is solved densely).
MAX_SMALL_LEVELS = 1_000
#: Eigenvalues of ``S`` below this share of its largest are its null directions.
NULL_SHARE = 1e-10
#: Most (large, small) cells held as a dense table; beyond it the cells are a sparse matrix.
DENSE_CELLS = 20_000_000


@dataclass(frozen=True, eq=False)
class TwoWayLayout:
    """Two fixed effects' codes and what every weighted projection on them reuses.

    ``large`` and ``small`` are dense codes (``0 .. L - 1``, every level present), ``small``
    the one with fewer levels; ``components`` the connected component of each level of
    ``small`` when it has more than :data:`MAX_SMALL_LEVELS` levels (``None``: one block).
    """

    large: np.ndarray
    small: np.ndarray
    components: np.ndarray | None = None

    @classmethod
    def of(cls, codes: tuple[np.ndarray, ...]) -> TwoWayLayout | None:
        """The layout of two fixed effects one of which has few levels, or whose level graph
        has no component with more than :data:`MAX_SMALL_LEVELS` of them, else ``None``."""
        if len(codes) != 2:
            return None
        first, second = codes
        if int(first.max()) < int(second.max()):
            first, second = second, first
        la, lb = int(first.max()) + 1, int(second.max()) + 1
        if lb <= MAX_SMALL_LEVELS:
            return cls(first, second)
        # Nodes: the large effect's levels, then the small one's; an edge per row.
        graph = csr_matrix((np.ones(len(first), dtype=np.int8), (first, la + second)),
                           shape=(la + lb, la + lb))
        _, labels = connected_components(graph, directed=False)
        components = labels[la:]
        if int(np.bincount(components).max()) > MAX_SMALL_LEVELS:
            return None
        return cls(first, second, components)

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
    """Projection off the dummies of the two fixed effects of ``layout`` with ``weights``
    (``None``: every row weighs 1), exact."""

    layout: TwoWayLayout
    weights: np.ndarray | None

    @cached_property
    def _system(self) -> tuple[np.ndarray, np.ndarray | csr_matrix, BlockInverse]:
        """Weight totals of the large effect's levels, of the cells, and ``S^+``."""
        layout, w = self.layout, self.weights
        la, lb = layout.levels
        # (Unweighted, the totals are counts: the same numbers as summed weights of 1.)
        d_a = (layout.sums(w) if w is not None else layout.runs[1].astype(np.float64)
               if layout.runs is not None
               else np.bincount(layout.large, minlength=la).astype(np.float64))
        d_b = np.bincount(layout.small, weights=w, minlength=lb).astype(np.float64)
        cells: np.ndarray | csr_matrix
        if layout.cells is not None:
            cells = np.bincount(layout.cells, weights=w,
                                minlength=la * lb).astype(np.float64).reshape(la, lb)
            schur: np.ndarray | csr_matrix = np.diag(d_b) - cells.T @ (cells / d_a[:, None])
        else:
            cells = csr_matrix((np.ones(len(layout.large)) if w is None else w,
                                (layout.large, layout.small)), shape=(la, lb))
            # Each stored cell divided by its row's total (scipy's broadcasting multiply is
            # several times slower on a million cells).
            scaled = csr_matrix((cells.data / np.repeat(d_a, np.diff(cells.indptr)),
                                 cells.indices, cells.indptr), shape=(la, lb))
            schur = csr_matrix(diags_array(d_b) - cells.T @ scaled)
            if layout.components is None:
                schur = schur.toarray()
        return d_a, cells, BlockInverse.of(schur, layout.components)

    def demean(self, values: np.ndarray, *, overwrite: bool = False
               ) -> tuple[np.ndarray, int]:
        """``values`` (n x m) less their weighted projection on the dummies; 1 pass (in place
        with ``overwrite``, as :meth:`~econ.estimation.absorb.Absorber.demean`)."""
        d_a, cells, inverse = self._system
        layout = self.layout
        la, lb = layout.levels
        out = owned_columns(values, overwrite)
        m = out.shape[1]
        r_a, r_b = np.empty((la, m)), np.empty((lb, m))
        for j in range(m):
            weighted = out[:, j] if self.weights is None else out[:, j] * self.weights
            r_a[:, j] = layout.sums(weighted)
            r_b[:, j] = np.bincount(layout.small, weights=weighted, minlength=lb)
        # All columns in one product each: the level tables are small next to the rows.
        gamma = inverse.apply(r_b - cells.T @ (r_a / d_a[:, None]))
        alpha = (r_a - cells @ gamma) / d_a[:, None]
        # One row-length scratch for the gathers of every column.
        scratch = np.empty(len(out))
        for j in range(m):
            column = out[:, j]
            column -= layout.expand(alpha[:, j])
            column -= np.take(gamma[:, j], layout.small, out=scratch)
        return out, 1


def owned_columns(values: np.ndarray, overwrite: bool) -> np.ndarray:
    """``values`` itself if it may be overwritten and is float64 in Fortran order (contiguous
    columns), else a copy that is."""
    if overwrite and values.dtype == np.float64 and values.flags.f_contiguous:
        return values
    return np.array(values, dtype=np.float64, order="F", copy=True)


@dataclass(frozen=True, eq=False)
class BlockInverse:
    """A generalized inverse ``G`` (``S G S = S``) of the symmetric small system ``S``.

    ``levels[i]`` (``blocks x size``) holds the rows of the blocks of one size and
    ``inverses[i]`` (``blocks x size x size``) their inverses. Any generalized inverse gives a
    solution of ``S gamma = r`` for the right-hand sides here, and every solution the same
    projection.
    """

    levels: tuple[np.ndarray, ...]
    inverses: tuple[np.ndarray, ...]

    @classmethod
    def of(cls, matrix: np.ndarray | csr_matrix, components: np.ndarray | None
           ) -> BlockInverse:
        """Inverse of ``matrix``, block diagonal over the rows sharing a ``components`` label
        (``None``: one dense block)."""
        if components is None:
            # The null directions (one per connected component) come out of the elimination
            # as eigenvalues of rounding size, which may be negative and above pinvh's default
            # cutoff (-2e-12 on mpdta's untreated rows): inverted, they blow a null vector up
            # to 1e11 and the projection loses five digits. A cutoff relative to the largest
            # eigenvalue drops them; a genuine eigenvalue is a weight total, far above it.
            inverse = scipy.linalg.pinvh(np.asarray(matrix), atol=0.0, rtol=NULL_SHARE)
            return cls((np.arange(len(inverse))[None, :],), (inverse[None],))
        coo = csr_matrix(matrix).tocoo()
        order = np.argsort(components, kind="stable")
        sizes = np.bincount(components)
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        position = np.empty(len(components), dtype=np.int64)
        position[order] = np.arange(len(components)) - np.repeat(starts, sizes)
        levels, inverses = [], []
        for size in np.unique(sizes):
            chosen = np.flatnonzero(sizes == size)
            slot = np.full(len(sizes), -1)
            slot[chosen] = np.arange(len(chosen))
            rows = order[np.repeat(starts[chosen], size) + np.tile(np.arange(size),
                                                                  len(chosen))]
            blocks = np.zeros((len(chosen), size, size))
            inside = slot[components[coo.row]] >= 0
            blocks[slot[components[coo.row[inside]]], position[coo.row[inside]],
                   position[coo.col[inside]]] = coo.data[inside]
            # A connected component's block is singular only along the constant vector (its
            # rows sum to zero): with its first level's coefficient fixed at zero the rest is
            # positive definite, and one batched inverse replaces an eigendecomposition.
            inverse = np.zeros_like(blocks)
            if size > 1:
                inverse[:, 1:, 1:] = np.linalg.inv(blocks[:, 1:, 1:])
            levels.append(rows.reshape(len(chosen), size))
            inverses.append(inverse)
        return cls(tuple(levels), tuple(inverses))

    def apply(self, values: np.ndarray) -> np.ndarray:
        """``G @ values`` for ``values`` (rows x m)."""
        out = np.empty_like(values)
        for rows, inverse in zip(self.levels, self.inverses, strict=True):
            out[rows] = inverse @ values[rows]
        return out
