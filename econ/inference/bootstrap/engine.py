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
rather than by BLAS, whose summation order depends on the number of columns and threads, or
by BLAS on pieces whose products are exact (:func:`exact_split`, weights of +-1): a draw's
statistic is then the same bit for bit whatever the chunk size or thread count.

One restriction with a CR1 variance whose CRVE clusters each lie in one bootstrap cluster (the
usual one-way case) takes :class:`Compact`, which expands the variance so that a draw costs
``2k`` sums over the clusters per score set; other tests take :class:`Problem`'s
cluster-by-draw arrays.
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
class CrossProducts:
    """``X'X`` and ``X'y`` within each non-empty pair (CRVE cluster h, bootstrap cluster g).

    Everything the bootstrap needs is a function of these, so one pass over the data serves
    every hypothesis, value of ``r`` and variant tested on the same fit.
    """

    h: np.ndarray   # (P,) CRVE cluster of each pair
    g: np.ndarray   # (P,) bootstrap cluster of each pair
    XX: np.ndarray  # (P, k, k)
    Xy: np.ndarray  # (P, k)

    @classmethod
    def build(cls, X: np.ndarray, y: np.ndarray, h_codes: np.ndarray, g_codes: np.ndarray,
              G: int) -> CrossProducts:
        if h_codes is g_codes:
            # One-way: the pairs are the clusters (dense codes).
            present, of_row = np.arange(G, dtype=np.int64) * (G + 1), g_codes
        else:
            present, of_row = _pair_codes(h_codes, g_codes, G)
        P, k = len(present), X.shape[1]
        starts = np.flatnonzero(of_row[1:] != of_row[:-1]) + 1
        if len(starts) * _RUN_COST < len(of_row) * k * (k + 3) // 2:
            XX, Xy = _by_runs(X, y, of_row, starts, P)
        else:
            XX = np.empty((P, k, k))
            for i in range(k):
                for j in range(i, k):
                    XX[:, i, j] = np.bincount(of_row, weights=X[:, i] * X[:, j], minlength=P)
                    XX[:, j, i] = XX[:, i, j]
            Xy = np.column_stack([np.bincount(of_row, weights=X[:, i] * y, minlength=P)
                                  for i in range(k)])
        return cls(present // G, present % G, XX, Xy)

    def by(self, which: str, groups: int) -> tuple[np.ndarray, np.ndarray]:
        """``X'X`` and ``X'y`` summed by ``"h"`` or ``"g"``."""
        codes = self.h if which == "h" else self.g
        if len(codes) == groups:
            # Every group is one pair (one-way clustering): nothing to sum.
            if np.array_equal(codes, np.arange(groups)):
                return self.XX, self.Xy
            return self.XX[np.argsort(codes)], self.Xy[np.argsort(codes)]
        XX, Xy = np.zeros((groups, *self.XX.shape[1:])), np.zeros((groups, self.Xy.shape[1]))
        np.add.at(XX, codes, self.XX)
        np.add.at(Xy, codes, self.Xy)
        return XX, Xy


class Problem:
    """Precomputed pieces of a wild bootstrap test of ``R b = r`` on one fit."""

    def __init__(self, products: tuple[CrossProducts, ...], A: np.ndarray, R: np.ndarray,
                 boot_groups: int, dimensions: tuple[Dimension, ...], *, restricted: bool,
                 variant: str) -> None:
        self.products, self.A, self.R = products, A, R
        self.k, self.q = A.shape[0], R.shape[0]
        self.W = R @ A
        self.G = boot_groups
        self.dimensions = dimensions
        self.restricted, self.variant = restricted, variant
        self.XgXg, self.Xgy = products[0].by("g", boot_groups)
        self.beta = A @ self.Xgy.sum(axis=0)
        # Pair indices of each bootstrap cluster, where a CRVE cluster spans several pairs.
        self.by_g = tuple(None if _one_pair_each(p) else _members(p.g, boot_groups)
                          for p in products)
        if variant[1] == "3":
            # CV3 removes one bootstrap cluster at a time: (X'X - X_g'X_g)^{-1}.
            loo_inv = _loo_inverses(self.XgXg.sum(axis=0), self.XgXg)
            self.RM = np.einsum("qk,gkj->gqj", R, loo_inv)  # G x q x k
        # Exact-split pieces of S, W S and E S for each score set (see draw's signs).
        self._operators: dict[Scores, tuple[np.ndarray, np.ndarray]] = {}
        # W X_h'X_h A per CRVE cluster h, stacked (H*q x k) for each dimension.
        self.E = tuple(
            np.einsum("qk,hkj,jl->hql", self.W, p.by("h", d.groups)[0], A).reshape(
                d.groups * self.q, self.k)
            for p, d in zip(products, dimensions, strict=True))

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
            return self.scores_at(self._jackknife_coefficients(r))
        return self.scores_at(self.null_estimate(r))

    def scores_at(self, coefficients: np.ndarray) -> Scores:
        """Scores of ``y - X b`` with ``b`` one vector or one per bootstrap cluster (G x k)."""
        per_g = coefficients.ndim == 2
        cells = []
        for p in self.products:
            b = coefficients[p.g] if per_g else coefficients[None, :]
            s = p.Xy - np.einsum("pkj,pj->pk", p.XX, np.broadcast_to(b, p.Xy.shape))
            cells.append(s)
        first = cells[0]
        S = np.column_stack([np.bincount(self.products[0].g, weights=first[:, i],
                                         minlength=self.G) for i in range(self.k)]).T
        return Scores(S, tuple(np.einsum("pk,qk->pq", c, self.W) for c in cells))

    def _jackknife_coefficients(self, r: np.ndarray) -> np.ndarray:
        XtX, Xty = self.XgXg.sum(axis=0), self.Xgy.sum(axis=0)
        coefs = np.empty((self.G, self.k))
        for g in range(self.G):
            inv = np.linalg.pinv(XtX - self.XgXg[g])
            b = inv @ (Xty - self.Xgy[g])
            if self.restricted:
                middle = np.linalg.lstsq(self.R @ inv @ self.R.T, self.R @ b - r, rcond=None)[0]
                b = b - inv @ self.R.T @ middle
            coefs[g] = b
        return coefs

    # statistics for a chunk of weights ---------------------------------------------------
    def draw(self, scores: Scores, v: np.ndarray, *, signs: bool = False
             ) -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
        """For each column of ``v``: the numerator ``R b* - R b0`` (q x B) and the variance terms.

        The terms are ``(weight, z)`` pairs whose weighted ``sum_h z_h z_h'`` is the bootstrap
        variance, ``z`` of shape (H, q, B). Both are linear in the scores, so the pieces for two
        score sets combine.

        With ``signs`` (weights in {-1, 0, 1}) and at most ``2k`` bootstrap clusters, the
        products with the weights are exact BLAS products (:func:`exact_split`) of ``S``,
        ``W S`` and each ``E S``, the products reassociated: the same values up to rounding,
        bit-identical for any chunk or thread count. Their ``2G`` multiply-adds per value
        then cost less than the sums in fixed order over the ``k`` coefficients (an event
        study with year dummies, k = 66 and G = 31: 0.14 instead of 0.22 s at B = 9,999; with
        k = 4 and G = 50 the fixed order was twice as fast).
        """
        if signs and self.G <= 2 * self.k:
            Sv, WSv, ESv = self._signed(scores, v)
            return WSv, self._terms(scores, v, Sv, WSv, ESv)
        Sv = fixed_order_dot(scores.S, v)  # k x B
        WSv = fixed_order_dot(self.W, Sv)
        return WSv, self._terms(scores, v, Sv, WSv)

    def _signed(self, scores: Scores, v: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """``S v``, ``W S v`` and each ``E S v`` by exact products (see :meth:`draw`)."""
        if scores not in self._operators:
            K = np.vstack([scores.S, self.W @ scores.S, *(E @ scores.S for E in self.E)])
            pieces, scale = exact_split(K)
            self._operators[scores] = (np.ascontiguousarray(pieces.T), scale)
        pieces, scale = self._operators[scores]
        m = len(scale)
        out = np.empty((m, v.shape[1]))
        # In pieces of replications whose products stay under 64 MB.
        step = max(32, (1 << 23) // (2 * m))
        for lo in range(0, v.shape[1], step):
            block = _split_product(pieces, v[:, lo:lo + step].T, m)
            np.multiply(block, scale[:, None], out=out[:, lo:lo + step])
        bounds = np.cumsum([self.k, self.q, *(len(E) for E in self.E)])
        Sv, WSv, *ESv = np.split(out, bounds[:-1])
        return Sv, WSv, ESv

    def _terms(self, scores: Scores, v: np.ndarray, Sv: np.ndarray, WSv: np.ndarray,
               ESv: list[np.ndarray] | None = None) -> list[tuple[float, np.ndarray]]:
        if self.variant[1] == "3":
            own = np.einsum("gqk,kg->gq", self.RM, scores.S)[:, :, None] * v[:, None, :]
            loo = np.zeros_like(own)
            for j in range(self.k):
                loo += self.RM[:, :, j, None] * Sv[j]
            return [((self.G - 1) / self.G, loo - own - WSv[None, :, :])]
        terms = []
        for n, (d, p, members, cells, E) in enumerate(zip(
                self.dimensions, self.products, self.by_g, scores.cells, self.E, strict=True)):
            z = -(fixed_order_dot(E, Sv) if ESv is None else ESv[n]).reshape(d.groups, self.q, -1)
            if members is None:
                # Each CRVE cluster has one pair: one term each, as in the loop below.
                z[p.h] += cells[:, :, None] * v[p.g][:, None, :]
            for g, pairs in enumerate(members or ()):
                # Pairs of one bootstrap cluster sit in distinct CRVE clusters: no collisions.
                z[p.h[pairs]] += cells[pairs][:, :, None] * v[g]
            terms.append((d.sign * d.scale, z))
        return terms


class Compact:
    """Draws of a one-restriction CR1 test whose CRVE clusters each lie in one bootstrap cluster.

    Then cluster ``h``'s bootstrap score is ``z_h = c_h v_g(h) - E_h sigma`` with
    ``sigma = S v`` (k values per draw) and the variance expands to

        sum_h z_h^2 = sum_g v_g^2 Q_g - 2 sigma' F v + sigma' M sigma,

    with ``Q_g = sum_{h in g} c_h^2``, ``F_g = sum_{h in g} E_h' c_h`` and ``M = sum_h E_h'E_h``
    (weighted over the terms of a multiway variance). Rotating by the eigenvectors ``U`` of
    ``M`` (``M = U diag(lambda) U'``) leaves, per draw, the ``2k`` sums ``tau = U'S v`` and
    ``psi = U'F v`` per score set and O(k) arithmetic: the draws cost O(G k) instead of
    O((G + H) k) through cluster-by-draw arrays. With two score sets (null and slope, for the
    interval) the same sums give the quadratic ``a + 2 b t + c t^2`` in one pass.

    The sums over the clusters are the only products with the weights. With weights in
    ``{-1, 1}`` (Rademacher, and enumeration) they are BLAS products of :func:`exact_split`
    pieces (the slope set's high pieces only), exact whatever the order of summation, so
    bit-identical for any chunk or thread count; other weights use :func:`fixed_order_dot`.
    """

    def __init__(self, problem: Problem, score_sets: tuple[Scores, ...], signs: bool) -> None:
        k, G = problem.k, problem.G
        weighted = [(d.sign * d.scale, p, E) for d, p, E in
                    zip(problem.dimensions, problem.products, problem.E, strict=True)]
        M = sum(w * (E.T @ E) for w, _, E in weighted)
        self.lam, U = np.linalg.eigh(M)
        self.w = (problem.W @ U)[0]
        self.k, self.sets, self.signs = k, len(score_sets), signs
        rows, quadratic = [], []
        for one in score_sets:
            F = np.zeros((G, k))
            for (w, p, E), cells in zip(weighted, one.cells, strict=True):
                np.add.at(F, p.g, w * E[p.h] * cells)
            rows += [U.T @ one.S, U.T @ F.T]
        if len(score_sets) > 1:
            # The slope set's numerator w' tau is one more sum over the clusters, cheaper in
            # the product than from tau per draw; the null set's is from tau, as ever.
            rows.append(self.w @ rows[2])
        for i, j in ((0, 0), (0, 1), (1, 1))[:1 if len(score_sets) == 1 else 3]:
            quadratic.append(sum(np.bincount(p.g, weights=w * score_sets[i].cells[n][:, 0]
                                             * score_sets[j].cells[n][:, 0], minlength=G)
                                 for n, (w, p, _) in enumerate(weighted)))
        self.K = np.vstack(rows)
        self.Q = np.vstack(quadratic)
        # With v_g^2 = 1 the first term is a constant.
        self.Q_sum = self.Q.sum(axis=1)
        self.pieces: np.ndarray | None = None
        # Per score set, a bound on every draw's size in _cancelled (weights of +-1 only).
        self.largest: list[float | None] = [None, None]
        # The slope set (rows past the null set's 2k) keeps its high pieces only: its sums,
        # exact for its entries rounded at 2^-(52 - log2 G) of each row's largest, place the
        # interval's ends far inside the bisection's tolerance; the null set's, whose variance
        # gives the p-value, stay correctly rounded.
        self.low = 2 * k
        self.scale: np.ndarray | None = None
        if signs:
            pieces, scale = exact_split(self.K)
            pieces = np.vstack([pieces[:len(self.K)], pieces[len(self.K):len(self.K) + self.low]])
            scales = np.concatenate([scale, scale[:self.low]])
            if np.all((scales >= 2.0**-900) & (scales <= 2.0**900)):
                # Scaled by powers of two far from underflow and overflow, the pieces' products
                # stay exact and their sums are those of the unscaled pieces times the scale,
                # bit for bit: no multiplication per draw.
                pieces *= scales[:, None]
            else:
                self.scale = scale
            self.pieces = np.ascontiguousarray(pieces.T)
            # |tau| <= sum_g |U' s_g| and |psi| likewise when |v_g| = 1 (U is orthogonal).
            norms = [np.linalg.norm(self.K[i:i + k], axis=0).sum()
                     for i in range(0, 2 * k * self.sets, k)]
            for s in range(self.sets):
                tau, psi = norms[2 * s], norms[2 * s + 1]
                terms = np.abs(self.lam).max() * tau * tau + 2 * tau * psi
                # (Rounding of the draws' sizes, relative 1e-15, stays far inside the margin.)
                self.largest[s] = float(self.Q_sum[2 * s] + terms
                                        + 1e-6 * (abs(self.Q_sum[2 * s]) + terms))

    def evaluate(self, V: np.ndarray, out: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
        """Rows (N0, a), or (N0, N1, a, b, c) with two score sets, for weights ``V``
        (replications x clusters), written into ``out`` if given, and the draws whose variance
        (``a``, or ``c``) the expansion cannot give to :data:`CANCELLATION`: a sum of squares
        near zero computed as a difference of large terms (one or two treated clusters, whose
        restricted scores nearly vanish) loses its digits, and such draws must be summed
        cluster by cluster."""
        if self.pieces is not None:
            sums = _split_product(self.pieces, V, self.low)
            if self.scale is not None:
                sums *= self.scale[:, None]
            # Constant per row: each broadcasts against the draws.
            Qv = self.Q_sum[:, None]
        else:
            sums = fixed_order_dot(self.K, V.T)
            Qv = fixed_order_dot(self.Q, (V * V).T)
        k, lam = self.k, self.lam[:, None]
        tau = [sums[2 * k * s:2 * k * s + k] for s in range(self.sets)]
        psi = [sums[2 * k * s + k:2 * k * (s + 1)] for s in range(self.sets)]
        if out is None:
            out = np.empty((2 * self.sets + 1, len(V)))
        _rows_sum(self.w[:, None] * tau[0], out[0])
        if self.sets > 1:
            out[1] = sums[4 * k]
        np.add(Qv[0], _rows_sum(tau[0] * (lam * tau[0] - 2 * psi[0])), out=out[self.sets])
        unsure = _cancelled(out[self.sets], Qv[0], tau[0], psi[0], lam, self.largest[0])
        if self.sets == 1:
            return out, unsure
        alpha = lam * tau[1] - psi[1]
        np.add(Qv[1], _rows_sum(tau[0] * alpha - tau[1] * psi[0]), out=out[3])
        np.add(Qv[2], _rows_sum(tau[1] * (alpha - psi[1])), out=out[4])
        return out, unsure | _cancelled(out[4], Qv[2], tau[1], psi[1], lam, self.largest[1])


#: A variance from :class:`Compact`'s expansion below this share of the size of its terms has
#: lost more than four of its sixteen digits: the draw is summed cluster by cluster instead.
CANCELLATION = 1e-4


def _cancelled(var: np.ndarray, Qv: np.ndarray, tau: np.ndarray, psi: np.ndarray,
               lam: np.ndarray, largest: float | None = None) -> np.ndarray:
    if largest is not None:
        # A bound on every draw's size settles most draws without their norms; the others
        # get the test below, so the draws flagged are the same.
        unsure = ~(var > CANCELLATION * largest)
        if unsure.any():
            rows = np.flatnonzero(unsure)
            unsure[rows] = _cancelled(var[rows], Qv if Qv.shape[-1] == 1 else Qv[rows],
                                      tau[:, rows], psi[:, rows], lam)
        return unsure
    # Rounding in the rotation and the sums is relative to M's largest eigenvalue and to the
    # norms of tau and psi, not to each term: the size bounds it.
    tau2, psi2 = _rows_sum(tau * tau), _rows_sum(psi * psi)
    size = Qv + np.abs(lam).max() * tau2 + 2 * np.sqrt(tau2 * psi2)
    return ~(var > CANCELLATION * size)


#: Multiply-adds (m x n x k) up to which OpenBLAS computes a product on one thread. Above it
#: every product wakes its thread pool, which on a busy machine costs far more than a small
#: product: those are cut into row slices under the threshold.
_ONE_THREAD = 1 << 18


def _split_product(pieces: np.ndarray, V: np.ndarray, low: int) -> np.ndarray:
    """``high V' + low V'`` of :func:`exact_split`'s pieces (given transposed, G x (m + low):
    the high pieces of m rows, then the low pieces of the first ``low``), each product exact;
    shape m x replications."""
    G, width = pieces.shape
    step = _ONE_THREAD // (width * G)
    if step < 32:
        both = V @ pieces
    else:
        both = np.empty((len(V), width))
        for lo in range(0, len(V), step):
            np.matmul(V[lo:lo + step], pieces, out=both[lo:lo + step])
    m = width - low
    sums = np.ascontiguousarray(both[:, :m].T)
    sums[:low] += both[:, m:].T
    return sums


def compact_applies(problem: Problem) -> bool:
    """Whether :class:`Compact` computes this problem's draws: one restriction, CR1 variance,
    each CRVE cluster of every term within one bootstrap cluster."""
    return (problem.q == 1 and problem.variant[1] == "1"
            and all(members is None for members in problem.by_g))


def _one_pair_each(products: CrossProducts) -> bool:
    """Whether each CRVE cluster lies within one bootstrap cluster (has one pair)."""
    return len(np.unique(products.h)) == len(products.h)


def _rows_sum(terms: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The rows of ``terms`` added one after another, in order (``np.sum`` over rows sums
    pairwise when there is one column, so a draw's value would depend on its piece)."""
    if out is None:
        out = terms[0].copy()
    else:
        out[:] = terms[0]
    for row in terms[1:]:
        out += row
    return out


def exact_split(K: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``K`` (m x G) as two stacked pieces (2m x G) whose products with signs are exact, and
    the power of two that scales each row back.

    Each row is scaled by a power of two to below 2 in magnitude (exactly); its pieces are
    integer multiples of a power of two small enough that any sum of ``G`` of their entries,
    signed, is an integer below ``2^53`` of that unit: a product ``piece @ V.T`` with ``V`` in
    ``{-1, 0, 1}`` then has no rounding at all, in whatever order BLAS sums it. The high piece
    keeps ``52 - ceil(log2 G)`` bits of each row's largest entry, the low piece as many of the
    rest, so ``(high v + low v) * scale`` is ``K v`` correctly rounded but for the
    ``2^-(104 - 2 log2 G)`` of the row's scale left out.
    """
    G = K.shape[1]
    bits = 52 - int(np.ceil(np.log2(max(G, 2))))
    _, exponent = np.frexp(np.abs(K).max(axis=1))
    scale = np.ldexp(1.0, exponent - 1)
    scaled = K / scale[:, None]
    high = np.ldexp(np.rint(np.ldexp(scaled, bits - 1)), 1 - bits)
    low = np.ldexp(np.rint(np.ldexp(scaled - high, 2 * bits - 1)), 1 - 2 * bits)
    return np.vstack([high, low]), scale


#: Cost of one run of equal pair codes, in passes over one row of one column: the cross
#: products are summed run by run (a Python iteration and a BLAS product each) when that is
#: cheaper than ``k (k + 3) / 2`` weighted bincounts over every row.
_RUN_COST = 2000


def _pair_codes(h_codes: np.ndarray, g_codes: np.ndarray, G: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """Codes ``h * G + g`` of the non-empty pairs, and each row's pair."""
    codes = h_codes.astype(np.int64) * G + g_codes
    size = int(codes.max()) + 1
    if size <= 8 * len(codes) + 1024:
        present = np.flatnonzero(np.bincount(codes, minlength=size))
        lookup = np.zeros(size, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        return present, lookup[codes]
    present, of_row = np.unique(codes, return_inverse=True)
    return present, of_row


def _by_runs(X: np.ndarray, y: np.ndarray, of_row: np.ndarray, starts: np.ndarray, P: int
             ) -> tuple[np.ndarray, np.ndarray]:
    """``X'X`` and ``X'y`` of each pair from the runs of rows sharing a pair code.

    Data sorted by unit (villages within townships) come in few long runs, so a loop over the
    runs reads each row once, where the bincounts read each column ``k + 1`` times and form
    ``k (k + 3) / 2`` products of columns first.
    """
    k = X.shape[1]
    XX, Xy = np.zeros((P, k, k)), np.zeros((P, k))
    # Long runs are cut so that each product stays on one BLAS thread (see _ONE_THREAD).
    longest = max(1, _ONE_THREAD // (k * k))
    bounds = np.concatenate([[0], starts, [len(of_row)]])
    for start, stop in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        pair = of_row[start]
        for lo in range(start, stop, longest):
            hi = min(lo + longest, stop)
            rows = X[lo:hi]
            XX[pair] += rows.T @ rows
            Xy[pair] += rows.T @ y[lo:hi]
    return XX, Xy


def _members(pair_g: np.ndarray, G: int) -> tuple[np.ndarray, ...]:
    """Pair indices of each bootstrap cluster."""
    order = np.argsort(pair_g, kind="stable")
    return tuple(np.split(order, np.searchsorted(pair_g[order], np.arange(1, G))))


def variance(terms: list[tuple[float, np.ndarray]]) -> np.ndarray:
    """``sum_terms weight * sum_h z_h z_h'``: shape (q, q, B), summed over h in order."""
    total = None
    for w, z in terms:
        acc = np.zeros((z.shape[1], z.shape[1], z.shape[2]))
        for h in range(z.shape[0]):  # in order: numpy's own reduction may not be
            acc += z[h, :, None, :] * z[h, None, :, :]
        total = w * acc if total is None else total + w * acc
    assert total is not None, "variance needs at least one term"
    return total


def statistic(numerator: np.ndarray, var: np.ndarray) -> np.ndarray:
    """t (q = 1) or Wald/q (q > 1) for each replication."""
    if numerator.shape[0] == 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            return numerator[0] / np.sqrt(var[0, 0])
    solved = np.linalg.solve(np.moveaxis(var, 2, 0), np.moveaxis(numerator, 1, 0)[:, :, None])
    return np.einsum("bq,bq->b", np.moveaxis(numerator, 1, 0), solved[:, :, 0]) / len(numerator)


# cluster-level helpers ----------------------------------------------------------------------
def _loo_inverses(XtX: np.ndarray, XgXg: np.ndarray) -> np.ndarray:
    inverses = np.empty_like(XgXg)
    for g in range(len(XgXg)):
        inverses[g] = np.linalg.pinv(XtX - XgXg[g])
    return inverses
