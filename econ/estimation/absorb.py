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

Varying slopes (fixest's ``a[x]``: columns ``1[a = g] * x``) are one more block of the
alternating projections: projecting on a block regresses on the slope variables within each
group, which generalises the group mean. Slopes on the groups of a fixed effect join its block
(intercept and slopes solved together per group, with the slope variables centred within the
group so that the small systems stay well conditioned); with slopes the exact routes are not
used, and one block alone is exact after one sweep.
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
from econ.estimation.absorb_exact import TwoWayAbsorber, TwoWayLayout, owned_columns

#: A slope variable whose within-group spread is below this fraction of its size in a group
#: is constant there: its slope is the group intercept's direction and is left out.
CONSTANT_IN_GROUP = 1e-9
#: Relative eigenvalue cutoff of a group's (scaled) system of intercept and slopes.
SLOPE_RCOND = 1e-10


@dataclass(frozen=True, eq=False)
class _Block:
    """One block of the alternating projections: per group ``g`` of ``codes``, the columns
    ``1[codes = g] * basis[:, p]``; ``basis`` ``None`` stands for the dummies alone."""

    codes: np.ndarray
    levels: int
    basis: np.ndarray | None = None
    slopes_alone: bool = False  # slopes without the group intercepts (fixest's a[[x]])

    @property
    def width(self) -> int:
        return 1 if self.basis is None else self.basis.shape[1]

    @property
    def size(self) -> int:
        return self.levels * self.width

    def sums(self, values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
        """``basis' W values`` per group: ``(levels * width) x m``, group-major."""
        m = values.shape[1]
        if self.basis is None:
            return np.column_stack([
                np.bincount(self.codes, weights=values[:, j] if weights is None
                            else values[:, j] * weights, minlength=self.levels)
                for j in range(m)])
        w = np.ones(len(self.codes)) if weights is None else weights
        out = np.empty((self.levels, self.width, m))
        for p in range(self.width):
            weighted = w * self.basis[:, p]
            for j in range(m):
                out[:, p, j] = np.bincount(self.codes, weights=values[:, j] * weighted,
                                           minlength=self.levels)
        return out.reshape(self.size, m)

    def entries(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Per basis column, each row's coefficient index and value (``None``: ones)."""
        if self.basis is None:
            return [(self.codes, None)]
        return [(self.codes * self.width + p, self.basis[:, p]) for p in range(self.width)]

    def inverse(self, weights: np.ndarray | None) -> np.ndarray:
        """The per-group inverse of ``basis' W basis``: ``levels x 1`` reciprocals for the
        dummies, else ``levels x width x width`` pseudo-inverses (a slope that is not
        identified in a group, its variable zero or constant there, gets none)."""
        if self.basis is None:
            totals = np.bincount(self.codes, weights=weights, minlength=self.levels)
            with np.errstate(invalid="ignore", divide="ignore"):
                return np.where(totals > 0, 1.0 / totals, 0.0)[:, None]
        w = np.ones(len(self.codes)) if weights is None else weights
        d = self.width
        gram = np.empty((self.levels, d, d))
        for p in range(d):
            for q in range(p, d):
                gram[:, p, q] = gram[:, q, p] = np.bincount(
                    self.codes, weights=w * self.basis[:, p] * self.basis[:, q],
                    minlength=self.levels)
        diagonal = np.diagonal(gram, axis1=1, axis2=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(diagonal > 0, 1.0 / np.sqrt(diagonal), 0.0)
        scaled = gram * scale[:, :, None] * scale[:, None, :]
        inverse = np.linalg.pinv(scaled, rcond=SLOPE_RCOND, hermitian=True)
        return inverse * scale[:, :, None] * scale[:, None, :]

    def solve(self, inverse: np.ndarray, rest: np.ndarray) -> np.ndarray:
        if self.basis is None:
            return rest * inverse
        m = rest.shape[1]
        return np.einsum("gpq,gqm->gpm", inverse,
                         rest.reshape(self.levels, self.width, m)).reshape(self.size, m)

    def bound(self) -> np.ndarray:
        """Largest absolute value of each basis column (a row's change is at most the sum of
        the coefficient changes times these)."""
        if self.basis is None:
            return np.ones(1)
        return np.abs(self.basis).max(axis=0)

    def subtract(self, column: np.ndarray, effects: np.ndarray) -> None:
        """``column -= `` the fitted block for one column's coefficients ``effects``."""
        if self.basis is None:
            column -= effects[self.codes]
            return
        per_group = effects.reshape(self.levels, self.width)
        for p in range(self.width):
            column -= per_group[self.codes, p] * self.basis[:, p]


@dataclass(frozen=True, eq=False)
class Absorber:
    """Projection off the dummies of ``codes`` (dense codes, one array per fixed effect) and
    off the varying slopes ``slopes``: pairs ``(codes, values)`` (``values`` ``n x k``), each
    absorbing the columns ``1[codes = g] * values[:, j]``."""

    codes: tuple[np.ndarray, ...]
    weights: np.ndarray | None = None
    tol: float = 1e-10
    max_iter: int = 10_000
    slopes: tuple[tuple[np.ndarray, np.ndarray], ...] = ()

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

    def demean(self, values: np.ndarray, *, overwrite: bool = False
               ) -> tuple[np.ndarray, int]:
        """Return ``values`` (n x m) minus their projection on the dummies, and the sweeps.

        With ``overwrite``, a float64 Fortran-ordered ``values`` is projected in place and
        returned (other arrays are still copied): at millions of rows every copy is memory
        the system must first hand over, page by page.

        Raises
        ------
        RuntimeError
            If alternating projections have not converged after ``max_iter`` sweeps.
        """
        out = owned_columns(values, overwrite)
        if self.slopes:
            return self._alternate(out)
        if not self.codes:
            return out, 0
        if len(self.codes) > 2 and self._spanning is not self:
            return self._spanning.demean(out, overwrite=True)
        if len(self.codes) == 1:
            self._subtract_means(out, 0)
            return out, 1
        if len(self.codes) == 2 and self.weights is None and self._complete_grid():
            grand = out.mean(axis=0)
            first, second = self._means(out, 0), self._means(out, 1)
            out -= first[self.codes[0]] + second[self.codes[1]] - grand
            return out, 1
        if self._exact is not None:
            return self._exact.demean(out, overwrite=True)
        return self._alternate(out)

    @cached_property
    def _exact(self) -> TwoWayAbsorber | None:
        """The exact two-way projection, when the two effects allow it (set up once: its
        small system serves every later call)."""
        layout = TwoWayLayout.of(self.codes)
        if layout is None or not (self.weights is None or bool(np.all(self.weights > 0))):
            return None
        return TwoWayAbsorber(layout, self.weights)

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
    def _blocks(self) -> tuple[_Block, ...]:
        """The blocks alternated: one per fixed effect, slopes joined to the effect on the same
        groups (nested effects left out) or standing alone."""
        if not self.slopes:
            return tuple(_Block(c, size) for c, size in zip(self.codes, self.levels,
                                                            strict=True))
        plain = [self.codes[k] for k in spanning(self.codes)] if self.codes else []
        joined: list[list[np.ndarray]] = [[] for _ in plain]
        alone: list[tuple[np.ndarray, np.ndarray]] = []
        for codes, values in self.slopes:
            same = [i for i, c in enumerate(plain) if np.array_equal(c, codes)]
            if same:
                joined[same[0]].append(values)
            else:
                alone.append((codes, values))
        n = len(self.slopes[0][0])
        w = np.ones(n) if self.weights is None else self.weights
        blocks = []
        for codes, slopes in zip(plain, joined, strict=True):
            size = int(codes.max()) + 1
            if not slopes:
                blocks.append(_Block(codes, size))
                continue
            values = np.column_stack(slopes)
            totals = np.bincount(codes, weights=w, minlength=size)
            centred = np.empty_like(values)
            for p in range(values.shape[1]):
                v = values[:, p]
                c = v - (np.bincount(codes, weights=w * v, minlength=size) / totals)[codes]
                spread = np.bincount(codes, weights=w * c * c, minlength=size)
                raw = np.bincount(codes, weights=w * v * v, minlength=size)
                # Centring leaves rounding noise where v is constant in a group; that noise
                # is not a direction of the projection.
                constant = spread <= CONSTANT_IN_GROUP**2 * raw
                centred[:, p] = np.where(constant[codes], 0.0, c)
            blocks.append(_Block(codes, size, np.column_stack([np.ones(n), centred])))
        blocks += [_Block(codes, int(codes.max()) + 1, values, slopes_alone=True)
                   for codes, values in alone]
        return tuple(blocks)

    @cached_property
    def _crossings(self) -> dict[tuple[int, int], csr_matrix]:
        """Weighted cross products of each pair of blocks' columns (``size_k x size_j``; for
        two fixed effects the weight totals of each pair of levels)."""
        blocks = self._blocks
        n = len(blocks[0].codes)
        w = np.ones(n) if self.weights is None else self.weights
        crossings = {}
        for k, first in enumerate(blocks):
            for j, second in enumerate(blocks):
                if k == j:
                    continue
                values, rows, columns = [], [], []
                for i, a in first.entries():
                    for jj, b in second.entries():
                        value = w if a is None else w * a
                        values.append(value if b is None else value * b)
                        rows.append(i)
                        columns.append(jj)
                crossings[k, j] = coo_matrix(
                    (np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
                    shape=(first.size, second.size)).tocsr()
        return crossings

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
        blocks = self._blocks
        K, m = len(blocks), out.shape[1]
        w = self.weights
        sums = [block.sums(out, w) for block in blocks]
        inverse = [block.inverse(w) for block in blocks]
        bounds = [block.bound() for block in blocks]
        crossings = self._crossings
        effects = [np.zeros((block.size, m)) for block in blocks]

        def sweep() -> np.ndarray:
            change = np.zeros(m)
            for k, block in enumerate(blocks):
                rest = sums[k].copy()
                for j in range(K):
                    if j != k:
                        rest -= crossings[k, j] @ effects[j]
                new = block.solve(inverse[k], rest)
                step = np.abs(new - effects[k])
                if block.basis is None:
                    change += step.max(axis=0)
                else:
                    change += bounds[k] @ step.reshape(block.levels, block.width, m).max(axis=0)
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
                alone = any(b.slopes_alone for b in blocks)
                raise RuntimeError(
                    f"fixed-effect absorption did not converge in {sweeps} sweeps (largest "
                    f"relative change {change.max():.2e} > tol {self.tol:.0e}); raise "
                    f"max_iter or check for weakly connected fixed effects"
                    + ("; slopes without their group's effect (a[[x]]) nearly repeat other "
                       "effects when x is far from zero (years): absorb the effect too, "
                       "a[x], if the model allows it" if alone else ""))
            last = np.concatenate(effects) - middle
            second = last - (middle - start)
            curvature = np.einsum("ij,ij->j", second, second)
            with np.errstate(invalid="ignore", divide="ignore"):
                factor = np.where(curvature > 0,
                                  np.einsum("ij,ij->j", last, second) / curvature, 0.0)
            effects = np.split(np.concatenate(effects) - last * factor,
                               np.cumsum([block.size for block in blocks])[:-1])
        for j in range(m):
            column = out[:, j]
            for k, block in enumerate(blocks):
                block.subtract(column, effects[k][:, j])
        return out, sweeps


def drop_singletons(codes: Sequence[np.ndarray]) -> np.ndarray:
    """Mask of rows to keep after repeatedly removing fixed-effect groups of one row.

    A singleton group's coefficient fits its row exactly, which leaves the regression unchanged
    but overstates the degrees of freedom (Correia 2015); fixest and reghdfe drop them too.
    """
    n = len(codes[0]) if codes else 0
    keep = np.ones(n, dtype=bool)
    every = True
    while True:
        single = np.zeros(n, dtype=bool)
        for c in codes:
            counts = np.bincount(c if every else c[keep], minlength=int(c.max()) + 1)
            # (A gather of booleans: an eighth of the memory of the counts'.)
            single |= np.take(counts == 1, c)
        single &= keep
        if not single.any():
            return keep
        keep &= ~single
        every = False


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


def fe_parameters(codes: Sequence[np.ndarray],
                  slopes: Sequence[tuple[np.ndarray, np.ndarray]] = ()) -> int:
    """Number of identified fixed-effect coefficients (levels less redundancies).

    Exact for one or two fixed effects (two: levels minus connected components of the
    bipartite level graph); for more, each further fixed effect is taken to add one
    redundancy, as fixest and pyfixest do. A fixed effect nested in another (year beside
    township x year) is counted too, as they count it, although it adds no direction to the
    projection (:func:`spanning` leaves it out there): standard errors then equal theirs, and
    err on the conservative side by its levels.

    Varying slopes ``(codes, values)`` add one coefficient per group and variable, as fixest
    counts them (``nparams``): a slope not identified in a group (its variable constant there)
    and a redundancy with other effects (unit trends beside year effects: the trends sum to
    the year) are not subtracted.
    """
    extra = sum((int(c.max()) + 1) * v.shape[1] for c, v in slopes if len(c))
    if not codes:
        return extra
    levels = [int(c.max()) + 1 for c in codes]
    if len(codes) == 1:
        return levels[0] + extra
    a, b = levels[0], levels[1]
    graph = coo_matrix((np.ones(len(codes[0]), dtype=np.int8), (codes[0], codes[1] + a)),
                       shape=(a + b, a + b))
    components, _ = connected_components(graph, directed=False)
    return a + b - components - (len(codes) - 2) + sum(levels[2:]) + extra


def column_norms(X: np.ndarray) -> np.ndarray:
    """Euclidean norm of each column, by dot products: no n x k temporary of squares."""
    return np.sqrt([float(c @ c) for c in X.T])


def absorbed(original: np.ndarray, demeaned: np.ndarray, *, tol: float = 1e-8) -> np.ndarray:
    """Columns that the fixed effects absorb: demeaned norm tiny relative to the original's."""
    before, after = column_norms(original), column_norms(demeaned)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return (before == 0) | (after <= tol * before)
