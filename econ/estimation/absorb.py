"""Absorb fixed effects: project columns off any number of group-dummy sets.

Four routes, chosen automatically, all giving the same projection:

- one fixed effect: subtract (weighted) group means, exact;
- two fixed effects forming a complete unweighted grid (a balanced village-year panel): the
  closed form ``x - mean_i - mean_t + mean``, exact;
- two fixed effects, one with few levels (an unbalanced village-year panel): the small system
  left after eliminating the large effect, exact in one pass
  (:class:`~econ.estimation.absorb_exact.TwoWayAbsorber`);
- otherwise alternating projections (the method of alternating projections of Guimarães and
  Portugal 2010, as in reghdfe and fixest), accelerated by the Irons-Tuck extrapolation as in
  fixest, until a bound on the largest change in any column over a sweep is below ``tol`` times
  the column's scale.

A fixed effect nested in another one (year beside township x year) is left out first: it adds
no direction to the projection.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components

from econ.data.codes import is_nested
from econ.estimation.absorb_exact import TwoWayAbsorber, TwoWayLayout


@dataclass(frozen=True, eq=False)
class Absorber:
    """Projection off the dummies of ``codes`` (dense codes, one array per fixed effect)."""

    codes: tuple[np.ndarray, ...]
    weights: np.ndarray | None = None
    tol: float = 1e-10
    max_iter: int = 10_000

    @cached_property
    def levels(self) -> tuple[int, ...]:
        return tuple(int(c.max()) + 1 for c in self.codes)

    @cached_property
    def _totals(self) -> tuple[np.ndarray, ...]:
        w = self.weights
        return tuple(np.bincount(c, weights=w, minlength=m)
                     for c, m in zip(self.codes, self.levels, strict=True))

    @cached_property
    def _spanning(self) -> Absorber:
        """The same projection without the fixed effects nested in others (:func:`spanning`),
        so that fewer sets are alternated or an exact route applies."""
        kept = spanning(self.codes)
        if len(kept) == len(self.codes):
            return self
        return Absorber(tuple(self.codes[k] for k in kept), self.weights, self.tol,
                        self.max_iter)

    def demean(self, values: np.ndarray) -> tuple[np.ndarray, int]:
        """Return ``values`` (n x m) minus their projection on the dummies, and the sweeps.

        Raises
        ------
        RuntimeError
            If alternating projections have not converged after ``max_iter`` sweeps.
        """
        out = np.array(values, dtype=np.float64, order="F", copy=True)
        if not self.codes:
            return out, 0
        if len(self.codes) > 2 and self._spanning is not self:
            return self._spanning.demean(out)
        if len(self.codes) == 1:
            self._subtract_means(out, 0)
            return out, 1
        if len(self.codes) == 2 and self.weights is None and self._complete_grid():
            grand = out.mean(axis=0)
            first, second = self._means(out, 0), self._means(out, 1)
            out -= first[self.codes[0]] + second[self.codes[1]] - grand
            return out, 1
        layout = TwoWayLayout.of(self.codes)
        if layout is not None and (self.weights is None or bool(np.all(self.weights > 0))):
            weights = np.ones(len(out)) if self.weights is None else self.weights
            return TwoWayAbsorber(layout, weights).demean(out)
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
        totals = self._totals[k]
        means = np.empty((self.levels[k], values.shape[1]))
        for j in range(values.shape[1]):
            column = values[:, j] if w is None else values[:, j] * w
            means[:, j] = np.bincount(codes, weights=column, minlength=self.levels[k]) / totals
        return means

    def _subtract_means(self, values: np.ndarray, k: int) -> None:
        codes = self.codes[k]
        # Column by column: ``values`` is Fortran-ordered, so each column is contiguous.
        for j in range(values.shape[1]):
            column = values[:, j]
            weighted = column if self.weights is None else column * self.weights
            column -= (np.bincount(codes, weights=weighted, minlength=self.levels[k])
                       / self._totals[k])[codes]

    @cached_property
    def _crossings(self) -> dict[tuple[int, int], csr_matrix]:
        """Weight totals of each pair of levels of two fixed effects (``levels_k x levels_j``,
        at most one entry per row of the data)."""
        n = len(self.codes[0])
        w = np.ones(n) if self.weights is None else self.weights
        return {(k, j): coo_matrix((w, (self.codes[k], self.codes[j])),
                                   shape=(self.levels[k], self.levels[j])).tocsr()
                for k in range(len(self.codes)) for j in range(len(self.codes)) if k != j}

    def _alternate(self, out: np.ndarray) -> tuple[np.ndarray, int]:
        """Alternating projections on the fixed-effect coefficients, with the Irons and Tuck
        (1969) extrapolation every two sweeps, as fixest does (Berge 2018).

        A sweep over the rows (subtract one effect's group means, then the next's) is block
        Gauss-Seidel on the dummies' normal equations; run on the coefficients, a sweep costs
        one sparse product per pair of effects instead of two passes over the rows per column,
        and the extrapolation works on vectors of the levels' size. Every iterate is a
        combination of dummies, so the fixed point is the projection whatever the steps. The
        sweep's change of any row is at most the sum of the largest coefficient changes, which
        is the convergence measure.
        """
        K, m = len(self.codes), out.shape[1]
        w = self.weights
        sums = [np.column_stack([
            np.bincount(c, weights=out[:, j] if w is None else out[:, j] * w, minlength=size)
            for j in range(m)]) for c, size in zip(self.codes, self.levels, strict=True)]
        with np.errstate(invalid="ignore", divide="ignore"):
            inverse = [np.where(t > 0, 1.0 / t, 0.0)[:, None] for t in self._totals]
        crossings = self._crossings
        effects = [np.zeros((size, m)) for size in self.levels]

        def sweep() -> np.ndarray:
            change = np.zeros(m)
            for k in range(K):
                rest = sums[k].copy()
                for j in range(K):
                    if j != k:
                        rest -= crossings[k, j] @ effects[j]
                new = rest * inverse[k]
                change += np.abs(new - effects[k]).max(axis=0)
                effects[k] = new
            return change

        scale = np.maximum(np.abs(out).max(axis=0), 1.0)
        sweeps = 0
        while True:
            start = np.concatenate(effects)
            sweep()
            middle = np.concatenate(effects)
            change = sweep() / scale
            sweeps += 2
            if change.max() <= self.tol:
                break
            if sweeps >= self.max_iter:
                raise RuntimeError(
                    f"fixed-effect absorption did not converge in {sweeps} sweeps (largest "
                    f"relative change {change.max():.2e} > tol {self.tol:.0e}); raise "
                    f"max_iter or check for weakly connected fixed effects")
            last = np.concatenate(effects) - middle
            second = last - (middle - start)
            curvature = np.einsum("ij,ij->j", second, second)
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = np.where(curvature > 0,
                                  np.einsum("ij,ij->j", last, second) / curvature, 0.0)
            effects = np.split(np.concatenate(effects) - last * factor,
                               np.cumsum(self.levels)[:-1])
        for j in range(m):
            column = out[:, j]
            for k in range(K):
                column -= effects[k][self.codes[k], j]
        return out, sweeps


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


def spanning(codes: Sequence[np.ndarray]) -> list[int]:
    """Indices of the fixed effects left when each one nested in another is left out.

    A year effect beside township x year effects adds no direction: its dummies are sums of
    theirs. Of two identical groupings the first is kept.
    """
    levels = [int(c.max()) + 1 for c in codes]
    kept = list(range(len(codes)))
    for k in reversed(range(len(codes))):
        if any(is_nested(codes[j], levels[j], codes[k]) for j in kept if j != k):
            kept.remove(k)
    return kept


def fe_parameters(codes: Sequence[np.ndarray]) -> int:
    """Number of identified fixed-effect coefficients (levels less redundancies).

    Fixed effects nested in another add none (:func:`spanning`). Exact for one or two fixed
    effects (two: levels minus connected components of the bipartite level graph); for more,
    each further fixed effect is taken to add one redundancy, as fixest does.
    """
    if not codes:
        return 0
    codes = [codes[k] for k in spanning(codes)]
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
