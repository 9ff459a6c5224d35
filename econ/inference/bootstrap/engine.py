"""The fast wild cluster bootstrap: cluster-level quantities once, then O(G q k) per draw.

Notation (Roodman, MacKinnon, Nielsen and Webb 2019; MacKinnon 2023). ``X`` (n x k) and ``y``
are the fit's within-transformed, root-weighted arrays, ``A = (X'X)^{-1}``, the hypothesis is
``R b = r`` with ``q`` rows and ``W = R A``. The bootstrap DGP is ``y* = X b0 + u0 . v`` with
``b0`` the restricted (WCR) or unrestricted (WCU) estimate, ``u0`` its residuals and ``v`` one
weight per bootstrap cluster ``g``. With ``s_g = X_g' u0_g`` (the columns of ``S``):

- numerator: ``R b* - R b0 = W S v``;
- CRVE cluster ``h`` score of the bootstrap fit, premultiplied by ``W``:
  ``z_h = sum_g W s_hg v_g - W X_h'X_h A S v``, with ``s_hg`` the score of the rows in both
  ``h`` and ``g``; the CR1 variance is ``c sum_h z_h z_h'`` (signed sums over the dimensions of
  multiway clustering).

Everything is linear in the scores, and the scores are affine in ``r`` under the null, so a
p-value at any ``r`` costs O(B) once two score sets are known: that is what the confidence
interval inverts. Variants (MacKinnon, Nielsen and Webb 2023): the first digit is the residuals
of the DGP (1: ``u0``; 3: jackknife, each cluster's from the estimate without it), the second the
variance in the statistic (1: CR1; 3: CV3 jackknife, one-way only).

Every product that involves the weights is summed in a fixed order (:func:`fixed_order_dot`)
rather than by BLAS, whose summation order depends on the number of columns and threads: a
draw's statistic is then the same bit for bit whatever the chunk size or thread count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Dimension:
    """One term of a (possibly multiway) CR1 variance: codes, group count, sign and scale."""

    codes: np.ndarray
    groups: int
    sign: float
    scale: float


@dataclass(frozen=True, eq=False)
class Scores:
    """Cluster scores of one residual vector.

    ``S`` is ``k x G`` (``s_g = X_g' u_g``); ``cells[d]`` holds, for each non-empty pair
    ``(h, g)`` of dimension ``d``'s CRVE cluster and the bootstrap cluster, ``W s_hg`` (pairs x q).
    """

    S: np.ndarray
    cells: tuple[np.ndarray, ...]

    def __sub__(self, other: Scores) -> Scores:
        return Scores(self.S - other.S,
                      tuple(a - b for a, b in zip(self.cells, other.cells, strict=True)))


def fixed_order_dot(M: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``M @ v`` summed over the inner index in ascending order.

    Each output entry is accumulated the same way whatever ``v``'s number of columns or the
    number of threads, unlike a BLAS product.
    """
    out = np.zeros((M.shape[0], v.shape[1]))
    for j in range(M.shape[1]):
        out += M[:, j, None] * v[j]
    return out


@dataclass(frozen=True, eq=False)
class _Pairs:
    """The non-empty (CRVE cluster h, bootstrap cluster g) pairs of one dimension."""

    of_row: np.ndarray      # pair index of each observation
    h: np.ndarray           # CRVE cluster of each pair
    by_g: tuple[np.ndarray, ...]  # pair indices of each bootstrap cluster

    @classmethod
    def build(cls, h_codes: np.ndarray, g_codes: np.ndarray, G: int) -> _Pairs:
        codes = h_codes.astype(np.int64) * G + g_codes
        present, of_row = np.unique(codes, return_inverse=True)
        pair_g = present % G
        order = np.argsort(pair_g, kind="stable")
        splits = np.searchsorted(pair_g[order], np.arange(1, G))
        return cls(of_row.ravel(), present // G, tuple(np.split(order, splits)))


class Problem:
    """Precomputed pieces of a wild bootstrap test of ``R b = r`` on one fit."""

    def __init__(self, X: np.ndarray, y: np.ndarray, A: np.ndarray, R: np.ndarray,
                 boot_codes: np.ndarray, boot_groups: int, dimensions: tuple[Dimension, ...],
                 *, restricted: bool, variant: str) -> None:
        self.X, self.y, self.A, self.R = X, y, A, R
        self.k, self.q = X.shape[1], R.shape[0]
        self.W = R @ A
        self.g_codes, self.G = boot_codes, boot_groups
        self.dimensions = dimensions
        self.restricted, self.variant = restricted, variant
        self.beta = A @ (X.T @ y)
        if variant[0] == "3" or variant[1] == "3":
            self.XgXg = _blocks(X, boot_codes, boot_groups)  # G x k x k
        if variant[1] == "3":
            # CV3 removes one bootstrap cluster at a time: (X'X - X_g'X_g)^{-1}.
            loo_inv = _loo_inverses(X.T @ X, self.XgXg)
            self.RM = np.einsum("qk,gkj->gqj", R, loo_inv)  # G x q x k
        else:
            self.pairs = tuple(_Pairs.build(d.codes, boot_codes, boot_groups)
                               for d in dimensions)
            # W X_h'X_h A per CRVE cluster h, stacked (H*q x k) for each dimension.
            self.E = tuple(self._e_matrix(d) for d in dimensions)

    def _e_matrix(self, d: Dimension) -> np.ndarray:
        XhXh = _blocks(self.X, d.codes, d.groups)
        return np.einsum("qk,hkj,jl->hql", self.W, XhXh, self.A).reshape(d.groups * self.q,
                                                                          self.k)

    # residuals and scores ---------------------------------------------------------------
    def null_estimate(self, r: np.ndarray) -> np.ndarray:
        """The DGP's coefficients: restricted least squares under ``R b = r``, or ``b``."""
        if not self.restricted:
            return self.beta
        middle = np.linalg.solve(self.R @ self.A @ self.R.T, self.R @ self.beta - r)
        return self.beta - self.A @ self.R.T @ middle

    def scores(self, r: np.ndarray) -> Scores:
        """Cluster scores of the DGP residuals at ``r`` (jackknifed for variants 3x)."""
        if self.variant[0] == "3":
            residuals = self._jackknife_residuals(r)
        else:
            residuals = self.y - self.X @ self.null_estimate(r)
        return self.scores_of(residuals)

    def scores_of(self, residuals: np.ndarray) -> Scores:
        xu = self.X * residuals[:, None]
        S = _group_sums(xu, self.g_codes, self.G).T  # k x G
        if self.variant[1] == "3":
            return Scores(S, ())
        cells = tuple(np.einsum("pk,qk->pq", _group_sums(xu, p.of_row, len(p.h)), self.W)
                      for p in self.pairs)
        return Scores(S, cells)

    def _jackknife_residuals(self, r: np.ndarray) -> np.ndarray:
        XtX, Xty = self.X.T @ self.X, self.X.T @ self.y
        Xgy = _group_sums(self.X * self.y[:, None], self.g_codes, self.G)
        coefs = np.empty((self.G, self.k))
        for g in range(self.G):
            inv = np.linalg.pinv(XtX - self.XgXg[g])
            b = inv @ (Xty - Xgy[g])
            if self.restricted:
                middle = np.linalg.lstsq(self.R @ inv @ self.R.T, self.R @ b - r, rcond=None)[0]
                b = b - inv @ self.R.T @ middle
            coefs[g] = b
        return self.y - np.einsum("nk,nk->n", self.X, coefs[self.g_codes])

    # statistics for a chunk of weights ---------------------------------------------------
    def numerator(self, scores: Scores, v: np.ndarray) -> np.ndarray:
        """``R b* - R b0`` for each column of ``v`` (q x B)."""
        return fixed_order_dot(self.W, fixed_order_dot(scores.S, v))

    def variance_terms(self, scores: Scores, v: np.ndarray) -> list[tuple[float, np.ndarray]]:
        """``(weight, z)`` pairs whose weighted ``sum z z'`` is the bootstrap variance.

        ``z`` has shape (H, q, B). Linear in the scores, so terms for two score sets combine.
        """
        Sv = fixed_order_dot(scores.S, v)  # k x B
        WSv = fixed_order_dot(self.W, Sv)
        if self.variant[1] == "3":
            own = np.einsum("gqk,kg->gq", self.RM, scores.S)[:, :, None] * v[:, None, :]
            loo = np.zeros_like(own)
            for j in range(self.k):
                loo += self.RM[:, :, j, None] * Sv[j]
            return [((self.G - 1) / self.G, loo - own - WSv[None, :, :])]
        terms = []
        for d, pairs, cells, E in zip(self.dimensions, self.pairs, scores.cells, self.E,
                                      strict=True):
            z = -fixed_order_dot(E, Sv).reshape(d.groups, self.q, -1)
            for g, members in enumerate(pairs.by_g):
                # Pairs of one bootstrap cluster sit in distinct CRVE clusters: no collisions.
                z[pairs.h[members]] += cells[members][:, :, None] * v[g]
            terms.append((d.sign * d.scale, z))
        return terms


def variance(terms: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """``sum_terms weight * sum_h z_h z_h'``: shape (q, q, B), summed over h in order."""
    total = None
    for w, z in terms:
        acc = np.zeros((z.shape[1], z.shape[1], z.shape[2]))
        for h in range(z.shape[0]):
            acc += z[h, :, None, :] * z[h, None, :, :]
        total = w * acc if total is None else total + w * acc
    return total


def statistic(numerator: np.ndarray, var: np.ndarray) -> np.ndarray:
    """t (q = 1) or Wald/q (q > 1) for each replication."""
    if numerator.shape[0] == 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            return numerator[0] / np.sqrt(var[0, 0])
    solved = np.linalg.solve(np.moveaxis(var, 2, 0), np.moveaxis(numerator, 1, 0)[:, :, None])
    return np.einsum("bq,bq->b", np.moveaxis(numerator, 1, 0), solved[:, :, 0]) / len(numerator)


# cluster-level helpers ----------------------------------------------------------------------
def _group_sums(values: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    """G x m sums of the rows of ``values`` by group."""
    return np.column_stack([np.bincount(codes, weights=values[:, j], minlength=groups)
                            for j in range(values.shape[1])])


def _blocks(X: np.ndarray, codes: np.ndarray, groups: int) -> np.ndarray:
    """``X_g' X_g`` for each group (groups x k x k)."""
    k = X.shape[1]
    products = np.empty((groups, k, k))
    for i in range(k):
        for j in range(i, k):
            products[:, i, j] = np.bincount(codes, weights=X[:, i] * X[:, j], minlength=groups)
            products[:, j, i] = products[:, i, j]
    return products


def _loo_inverses(XtX: np.ndarray, XgXg: np.ndarray) -> np.ndarray:
    inverses = np.empty_like(XgXg)
    for g in range(len(XgXg)):
        inverses[g] = np.linalg.pinv(XtX - XgXg[g])
    return inverses
