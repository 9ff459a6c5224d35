"""CR2: the bias-reduced linearization cluster-robust covariance, with Satterthwaite df.

Bell and McCaffrey (2002), "Bias reduction in standard errors for linear regression with
multi-stage samples", Survey Methodology 28(2); Imbens and Kolesár (2016), "Robust standard
errors in small samples: some practical advice", REStat 98(4); Pustejovsky and Tipton (2018),
"Small-sample methods for cluster-robust variance estimation and hypothesis testing in fixed
effects models", JBES 36(4). clubSandwich's ``vcovCR(type = "CR2")`` and
``coef_test(test = "Satterthwaite")`` in R.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
import scipy.linalg
import scipy.sparse

from econ.estimation.absorb import Absorber
from econ.estimation.linear import LinearFit, refuse_slopes
from econ.inference.corrections import DEFAULT, SmallSample
from econ.inference.covariance import ClusterSpec, CovarianceResult, cluster_sums

#: Limits that keep CR2 to the small data it is meant for: every cluster's ``n_g x n_g``
#: block is eigendecomposed (cost ``n_g^3``), and the dummies of all fixed effects but the
#: largest are held as a dense ``n x levels`` matrix.
MAX_ROWS = 200_000
MAX_CLUSTER_ROWS = 5_000
MAX_DUMMY_CELLS = 50_000_000

#: Eigenvalues of ``I - H_gg`` at or below this are zero (a fixed effect nested in the cluster
#: fits its rows exactly); clubSandwich uses 1e-12 for the same pseudo-inverse square root.
ZERO_EIGENVALUE = 1e-10

#: A cluster's ``A_g X_g`` goes through the low rank of its leverage block (see
#: :func:`_adjusted`) when the block's factors have fewer columns than this share of its rows.
LOW_RANK_SHARE = 0.5

#: The random effect's part of the working model's ``C' Omega C`` below this share of the
#: independent part is rounding (a fixed effect nested in the clusters absorbs the effect).
NEGLIGIBLE = 1e-12

DegreesOfFreedom = Literal["residual", "satterthwaite", "imbens_kolesar"]
DEGREES_OF_FREEDOM: tuple[DegreesOfFreedom, ...] = ("residual", "satterthwaite",
                                                   "imbens_kolesar")


@dataclass(frozen=True, init=False)
class CR2(ClusterSpec):
    """Bias-reduced linearization (Bell-McCaffrey) cluster-robust covariance.

    ``V = (X'X)^{-1} sum_g X_g' A_g e_g e_g' A_g X_g (X'X)^{-1}`` with
    ``A_g = (I - H_gg)^{-1/2}``, the symmetric inverse square root of the cluster's block of
    ``I - H``. ``H`` is the hat matrix of the full model, fixed-effect dummies included:
    ``H_gg = P_D,gg + X_g (X'X)^{-1} X_g'`` with ``P_D`` the projection on the dummies and
    ``X`` the within-transformed regressors. Where a fixed effect is nested in the clusters
    ``I - H_gg`` is singular and ``A_g`` is the pseudo-inverse square root (eigenvalues at or
    below ``1e-10`` treated as zero), as in Pustejovsky and Tipton (2018) and clubSandwich.
    With weights everything is computed on the regression scaled by root weights (the
    ``X``, ``y`` and residuals of the fit), i.e. the weights are treated as inverse variances
    of the working model. There is no further small-sample factor: CR2 is unbiased under
    i.i.d. errors by construction (and clubSandwich's CR2 has no ``G / (G - 1)`` either).

    Degrees of freedom:

    - ``"residual"``: ``G - 1`` for every coefficient, as for CR1.
    - ``"satterthwaite"``: for coefficient ``k`` (Bell and McCaffrey 2002; Imbens and Kolesár
      2016; Pustejovsky and Tipton 2018, eq. 11 with working model ``I``), with
      ``u_g = A_g X_g (X'X)^{-1} e_k`` placed in cluster ``g``'s rows of an ``n``-vector and
      the ``G x G`` matrix ``P_gh = u_g' (I - H) u_h``,
      ``df_k = (trace P)^2 / sum_{g,h} P_gh^2``, the formula of clubSandwich's
      ``coef_test(..., test = "Satterthwaite")`` (its ``2 E^2 / V`` with
      ``E = trace P`` and ``V = 2 sum P_gh^2``) and of dfadjust's
      ``dfadjustSE(..., IK = FALSE)``, checked against the latter to 1e-8. The result's
      ``df_by_coef`` holds every coefficient's df; its ``df`` is their minimum.
    - ``"imbens_kolesar"``: the same Satterthwaite df under a working model with a cluster
      random effect, ``Omega = sigma^2 I + rho J`` (``J`` ones within each cluster), as
      Imbens and Kolesár (2016, section IV) recommend for few clusters: ``P`` becomes
      ``C' Omega C`` with ``C = (I - H) U``, ``rho`` the average product of residuals of
      different rows in one cluster and ``sigma^2`` the mean squared residual less ``rho``
      (both from the fit's residuals; ``rho`` set to 0 when negative, so that ``Omega`` is a
      covariance matrix). Within-cluster correlation lowers the df where the clusters differ
      in size, which is what keeps the test's size at 6-10 unequal clusters (the package's
      size benchmark). With a fixed effect nested in the clusters (village effects, township
      clusters) the cluster effect is absorbed, ``S = 0``, and the df are Bell-McCaffrey's.
      Equal to Kolesár's R package dfadjust,
      ``dfadjustSE(model, clustervar, IK = TRUE, rho0 = TRUE)``, to 1e-8
      (``tests/inference/test_cr2_imbens_kolesar.py``). Not defined for weighted
      fits.

    Cost: one ``n_g x n_g`` eigendecomposition per cluster (``sum_g n_g^3``) plus
    ``O(n x levels)`` for the fixed-effect dummies other than the one with most levels, whose
    projection is exact through its group means (Frisch-Waugh-Lovell), so no alternating
    projections are needed. ``compute`` refuses more than 200,000 rows, a cluster of more than
    5,000 rows, or more than 50 million cells of secondary dummies: CR2 is for few clusters
    and small samples; use :class:`~econ.inference.cr3.CR3` or the wild cluster bootstrap on
    larger data.

    Parameters
    ----------
    by
        The cluster variable.
    df
        ``"residual"`` (``G - 1``), ``"satterthwaite"`` (Bell-McCaffrey, per coefficient) or
        ``"imbens_kolesar"`` (Satterthwaite under a cluster random-effects working model), see
        above.

    Examples
    --------
    >>> CR2("township_id")
    >>> CR2("township_id", df="satterthwaite")
    >>> CR2("township_id", df="imbens_kolesar")
    """

    df: DegreesOfFreedom
    kind: ClassVar[str] = "CR2"
    multiway: ClassVar[bool] = False

    def __init__(self, *by: str, df: DegreesOfFreedom = "residual",
                 ssc: SmallSample = DEFAULT) -> None:
        if df not in DEGREES_OF_FREEDOM:
            raise ValueError(f"df must be one of {', '.join(map(repr, DEGREES_OF_FREEDOM))}, "
                             f"got {df!r}")
        super().__init__(*by, ssc=ssc)
        object.__setattr__(self, "df", df)

    @property
    def label(self) -> str:
        """``CR2 (cluster)``, with the degrees of freedom named unless they are ``G - 1``."""
        names = {"residual": "", "satterthwaite": ", Bell-McCaffrey df",
                 "imbens_kolesar": ", Imbens-Kolesár df"}
        return super().label + names[self.df]

    def compute(self, fit: LinearFit) -> CovarianceResult:
        # The leverage blocks are built from the fixed effects' dummies alone.
        refuse_slopes(fit, "CR2")
        if self.df == "imbens_kolesar" and fit.weights is not None:
            raise ValueError("CR2 with df='imbens_kolesar' is not defined for weighted fits "
                             "(its working model is for unweighted rows): use "
                             "df='satterthwaite' or fit without weights")
        (grouping,) = self.groupings(fit)
        codes, g, name = grouping.codes, grouping.groups, grouping.name
        _check_size(fit, codes, name)
        dummies = DummyProjection.of(fit)
        members = _members(codes, g)
        weighted = np.empty_like(fit.X)  # rows of cluster g: A_g X_g
        for rows in members:
            weighted[rows] = _adjusted(fit, dummies, rows)
        scores = cluster_sums(weighted * fit.residuals[:, None], codes, g)
        cov = fit.xtx_inv @ (scores.T @ scores) @ fit.xtx_inv
        if self.df == "residual":
            return CovarianceResult(self.label, cov, float(g - 1), self.by, (g,))
        working = (random_effects_model(fit.residuals, codes, g)
                   if self.df == "imbens_kolesar" else None)
        by_coef = satterthwaite_df(fit, dummies, codes, g, weighted @ fit.xtx_inv, working)
        return CovarianceResult(self.label, cov, float(by_coef.min()), self.by, (g,), by_coef)


@dataclass(frozen=True)
class DummyProjection:
    """``P_D``, the projection on the fixed-effect dummies in the root-weight metric.

    By Frisch-Waugh-Lovell, ``P_D = P_1 + P_Z``: ``P_1`` projects on the dummies of the fixed
    effect with most levels (exact group means) and ``Z`` holds the other fixed effects'
    dummies with the first one projected out, a dense ``n x levels`` matrix that is small for
    the usual year effects.
    """

    first: np.ndarray | None
    root_w: np.ndarray
    level_weights: np.ndarray
    z: np.ndarray
    z_gram_pinv: np.ndarray

    @classmethod
    def of(cls, fit: LinearFit) -> DummyProjection:
        n = fit.nobs
        w = np.ones(n) if fit.weights is None else fit.weights
        if not fit.fe_codes:
            return cls(None, np.sqrt(w), np.ones(0), np.zeros((n, 0)), np.zeros((0, 0)))
        first, *rest = sorted(fit.fe_codes, key=lambda c: -(int(c.max()) + 1))
        dense = (np.column_stack([np.eye(int(c.max()) + 1)[c] for c in rest]) if rest
                 else np.zeros((n, 0)))
        z = Absorber((first,), fit.weights).demean(dense)[0] * np.sqrt(w)[:, None]
        # The stacked dummies are redundant with each other (one level per extra effect, more
        # if disconnected): a pseudo-inverse projects on their span all the same.
        gram_pinv = scipy.linalg.pinvh(z.T @ z, rtol=1e-10) if rest else np.zeros((0, 0))
        return cls(first, np.sqrt(w), np.bincount(first, weights=w), z, gram_pinv)

    def block(self, rows: np.ndarray) -> np.ndarray:
        """``P_D[rows, rows]``."""
        if self.first is None:
            return np.zeros((len(rows), len(rows)))
        levels, root = self.first[rows], self.root_w[rows]
        same = levels[:, None] == levels[None, :]
        block = same * np.outer(root, root) / self.level_weights[levels][None, :]
        z = self.z[rows]
        return block + z @ self.z_gram_pinv @ z.T

    def factors(self, rows: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """``P_D[rows, rows] = U diag(d) U' + sum F K F'``: ``U``'s orthonormal columns are the
        largest effect's levels present in ``rows`` (root weights, normalised), ``d`` their
        shares of each level's weight, and the ``(F, K)`` pairs the other effects' part."""
        if self.first is None:
            return np.zeros((len(rows), 0)), np.zeros(0), []
        present, local = np.unique(self.first[rows], return_inverse=True)
        root = self.root_w[rows]
        inside = np.bincount(local, weights=root * root, minlength=len(present))
        basis = np.zeros((len(rows), len(present)))
        basis[np.arange(len(rows)), local] = root / np.sqrt(inside[local])
        others = [(self.z[rows], self.z_gram_pinv)] if self.z.shape[1] else []
        return basis, inside / self.level_weights[present], others

    def gram(self, left: np.ndarray, right: np.ndarray, codes: np.ndarray, g: int
             ) -> np.ndarray:
        """``L' P_D R`` for ``L`` and ``R`` (``n x G``) holding ``left`` and ``right`` in each
        cluster's rows and zeros elsewhere."""
        if self.first is None:
            return np.zeros((g, g))
        shape = (len(self.level_weights), g)
        cells = [scipy.sparse.csr_array((self.root_w * v, (self.first, codes)), shape=shape)
                 for v in (left, right)]
        first_part = (cells[0].T @ scipy.sparse.diags_array(1 / self.level_weights)
                      @ cells[1]).toarray()
        if not self.z.shape[1]:
            return first_part
        zl, zr = (cluster_sums(self.z * v[:, None], codes, g) for v in (left, right))
        return first_part + zl @ self.z_gram_pinv @ zr.T


def random_effects_model(residuals: np.ndarray, codes: np.ndarray, g: int
                         ) -> tuple[float, float]:
    """``(sigma^2, rho)`` of the working model ``sigma^2 I + rho J`` from the residuals.

    ``rho`` is the mean product of two residuals of different rows of one cluster (set to 0
    when negative), ``sigma^2`` the mean squared residual less ``rho`` (Imbens and Kolesár
    2016; dfadjust's estimator).
    """
    n = len(residuals)
    ssr = float(residuals @ residuals)
    sums = np.bincount(codes, weights=residuals, minlength=g)
    sizes = np.bincount(codes, minlength=g).astype(float)
    pairs = float(sizes @ sizes) - n
    rho = max((float(sums @ sums) - ssr) / pairs, 0.0) if pairs > 0 else 0.0
    return max(ssr / n - rho, 0.0), rho


def satterthwaite_df(fit: LinearFit, dummies: DummyProjection, codes: np.ndarray, g: int,
                     loadings: np.ndarray, working: tuple[float, float] | None = None
                     ) -> np.ndarray:
    """Per-coefficient Satterthwaite df; ``loadings`` rows of cluster g are ``A_g X_g (X'X)^-1``.

    ``P = U'(I - H)U = U'U - U'P_D U - (X'U)' (X'X)^{-1} (X'U)`` for each coefficient's ``U``;
    ``U'U`` is diagonal because the clusters' rows do not overlap. With a random-effects
    working model ``(sigma^2, rho)`` it is ``C' Omega C = sigma^2 P + rho S'S`` instead, with
    ``C = (I - H) U`` and ``S`` its cluster sums: ``S = 1'U - 1'P_D U - (X'1)' (X'X)^{-1} X'U``.
    """
    ones = np.ones(fit.nobs)
    x_ones = cluster_sums(fit.X, codes, g)
    df = np.empty(loadings.shape[1])
    for k in range(loadings.shape[1]):
        u = loadings[:, k]
        xu = cluster_sums(fit.X * u[:, None], codes, g)
        p = (np.diag(np.bincount(codes, weights=u * u, minlength=g))
             - dummies.gram(u, u, codes, g) - xu @ fit.xtx_inv @ xu.T)
        if working is not None:
            sigma2, rho = working
            s = (np.diag(np.bincount(codes, weights=u, minlength=g))
                 - dummies.gram(ones, u, codes, g) - x_ones @ fit.xtx_inv @ xu.T)
            ss = s.T @ s
            # With fixed effects nested in the clusters S is zero but for rounding: keep
            # Bell-McCaffrey's P as it is, so that the two df agree to the bit.
            if rho * np.abs(ss).max() > NEGLIGIBLE * sigma2 * np.abs(p).max():
                p = sigma2 * p + rho * ss
        df[k] = np.trace(p) ** 2 / np.sum(p * p)
    return df


def _adjustment(fit: LinearFit, dummies: DummyProjection, rows: np.ndarray) -> np.ndarray:
    """``A_g = (I - H_gg)^{-1/2}``, pseudo-inverse square root on zero eigenvalues."""
    x = fit.X[rows]
    residual_maker = np.eye(len(rows)) - dummies.block(rows) - x @ fit.xtx_inv @ x.T
    values, vectors = np.linalg.eigh(residual_maker)
    keep = values > ZERO_EIGENVALUE
    inverse_root = np.zeros_like(values)
    inverse_root[keep] = 1 / np.sqrt(values[keep])
    return (vectors * inverse_root) @ vectors.T


def _adjusted(fit: LinearFit, dummies: DummyProjection, rows: np.ndarray) -> np.ndarray:
    """``A_g X_g``, through the low rank of ``H_gg`` when the cluster is large.

    ``H_gg = U diag(d) U' + V K V'``: ``U`` the largest fixed effect's levels in the cluster
    (orthonormal columns), ``V`` the other effects' projected dummies and ``X``, ``m`` columns
    in all, often far fewer than the ``n_g`` rows (a township's villages, the years and the
    regressors, against its village-years). With ``B = [U, Q]``, ``Q R2`` the QR factors of
    ``V`` less its projection on ``U``, ``H_gg = B M B'`` for a small ``M``, so
    ``I - H_gg = (I - B B') + B (I - M) B'``: ``A_g`` is the identity off ``B``'s span and
    ``(I - M)``'s (pseudo-)inverse square root on it. One ``m x m`` eigendecomposition instead
    of one of ``n_g x n_g``, for the same matrix up to rounding.
    """
    x = fit.X[rows]
    basis, shares, others = dummies.factors(rows)
    v = np.column_stack([f for f, _ in others] + [x])
    m = basis.shape[1] + v.shape[1]
    if m >= LOW_RANK_SHARE * len(rows):
        return _adjustment(fit, dummies, rows) @ x
    on_basis = basis.T @ v
    q, r2 = np.linalg.qr(v - basis @ on_basis)
    full = np.hstack([basis, q])
    # F = [U, V] = full @ R with R = [[I, U'V], [0, R2]]; H_gg = full @ R K R' @ full'.
    R = np.block([[np.eye(basis.shape[1]), on_basis],
                  [np.zeros((q.shape[1], basis.shape[1])), r2]])
    K = scipy.linalg.block_diag(np.diag(shares), *[k for _, k in others], fit.xtx_inv)
    inner = np.eye(m) - R @ K @ R.T
    values, vectors = np.linalg.eigh((inner + inner.T) / 2)
    keep = values > ZERO_EIGENVALUE
    inverse_root = np.zeros_like(values)
    inverse_root[keep] = 1 / np.sqrt(values[keep])
    projected = full.T @ x
    return x + full @ ((vectors * inverse_root) @ (vectors.T @ projected) - projected)


def _members(codes: np.ndarray, g: int) -> list[np.ndarray]:
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes, minlength=g))[:-1])


def _check_size(fit: LinearFit, codes: np.ndarray, name: str) -> None:
    n, largest = fit.nobs, int(np.bincount(codes).max())
    levels = sorted(int(c.max()) + 1 for c in fit.fe_codes)
    cells = n * sum(levels[:-1])
    if n > MAX_ROWS or largest > MAX_CLUSTER_ROWS or cells > MAX_DUMMY_CELLS:
        raise ValueError(
            f"CR2 is too costly here ({n:,} rows, largest cluster of {name!r} {largest:,} "
            f"rows, {cells:,} cells of secondary fixed-effect dummies; limits "
            f"{MAX_ROWS:,}, {MAX_CLUSTER_ROWS:,} and {MAX_DUMMY_CELLS:,}): it "
            f"eigendecomposes every cluster's block of the hat matrix. Use CR3({name!r}) or "
            f"the wild cluster bootstrap")
