"""Per-cluster leverage, partial leverage and influence, and the effective number of clusters.

The measures of MacKinnon, Nielsen and Webb (2023), "Leverage, influence, and the jackknife in
clustered regression models: Reliable inference using summclust", Stata Journal 23(4), and the
effective number of clusters of Carter, Schnepel and Steigerwald (2017), "Asymptotic behavior of
a t-test robust to cluster heterogeneity", Review of Economics and Statistics 99(4). They show
when cluster-robust inference is fragile: one cluster with most of the leverage, or most of the
variation of the regressor of interest, makes CR1 t tests over-reject however many clusters
there are.

Everything is computed from the fit's weighted, fixed-effect-free arrays ``X`` (``n x k``) and
residuals, with no refit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from econ.estimation.linear import LinearFit, crossed_effects
from econ.inference.cluster_level import resolve_grouping, term_index
from econ.inference.covariance import cluster_sums
from econ.inference.cr3 import SINGULAR_TOL
from econ.spec.design import Grouping


@dataclass(frozen=True, eq=False)
class ClusterDiagnosticsOutcome:
    """Numbers of the cluster diagnostics (wrapped for users by the results layer).

    Attributes
    ----------
    term, cluster
        The coefficient and the cluster variable.
    labels
        Each cluster's value of the cluster variable.
    sizes
        Rows per cluster.
    leverage
        ``L_g``; they sum to ``coefficients``.
    partial_leverage
        Share of ``term``'s partialled-out variation in each cluster; they sum to 1.
    leave_out
        ``term``'s estimate without the cluster (NaN where some coefficient is not identified
        without it).
    estimate
        ``term``'s full-sample estimate.
    coefficients
        Coefficients of the within-transformed regression (``k``).
    effective_clusters
        ``G*(0)`` for ``term``.
    not_nested
        Fixed effects not nested in the clusters (the leave-one-out estimates then differ from
        refits; see :func:`cluster_diagnostics`).
    """

    term: str
    cluster: str
    labels: np.ndarray
    sizes: np.ndarray
    leverage: np.ndarray
    partial_leverage: np.ndarray
    leave_out: np.ndarray
    estimate: float
    coefficients: int
    effective_clusters: float
    not_nested: tuple[str, ...]


def cluster_diagnostics(fit: LinearFit, term: str, grouping: str | Grouping
                        ) -> ClusterDiagnosticsOutcome:
    """Leverage, partial leverage, leave-one-out estimates and ``G*(0)``, cluster by cluster.

    With ``X`` the fit's within-transformed, weighted regressors (``k`` columns), ``X_g`` its
    rows in cluster ``g`` and ``a`` the unit vector picking ``term``:

    - leverage ``L_g = tr(X_g (X'X)^{-1} X_g')``, the trace of the cluster's block of the hat
      matrix of the within-transformed regression. The fixed effects' own leverage is not
      included (their dummies are partialled out, not regressors), so ``sum_g L_g = k``;
      the average is ``k / G``.
    - partial leverage ``z_g'z_g / z'z`` with ``z = X (X'X)^{-1} a``, which is proportional to
      the residual of ``term``'s column regressed on the other regressors and the fixed effects
      (Frisch-Waugh-Lovell): the share of ``term``'s identifying variation in cluster ``g``.
      It is the same as in the regression with the fixed effects as dummies.
    - the estimate without cluster ``g``, ``b - a'(X'X - X_g'X_g)^{-1} X_g'e_g``, from cluster
      cross products (no refit). It equals a refit without the cluster when every fixed effect
      is nested in the clusters (or there are none); otherwise the fixed effects keep their
      full-sample projection (the "fast" jackknife), and the outcome lists the fixed effects
      that are not nested. Where dropping the cluster leaves some coefficient unidentified it
      is NaN.
    - the effective number of clusters of Carter, Schnepel and Steigerwald (2017) for
      ``term``, with the within-cluster correlation of the errors set to zero (``rho = 0``, the
      ``G*(0)`` that summclust reports by default), errors homoskedastic:

      ``gamma_g = a'(X'X)^{-1} X_g'X_g (X'X)^{-1} a``,
      ``Gamma = (1/G) sum_g (gamma_g - mean(gamma))^2 / mean(gamma)^2``,
      ``G* = G / (1 + Gamma)``.

      Since ``gamma_g`` is proportional to the partial leverage ``P_g``, this is
      ``1 / sum_g P_g^2``: ``G`` for equal shares, 1 when one cluster has all the variation.

    Parameters
    ----------
    fit
        A fitted linear model.
    term
        The coefficient of interest.
    grouping
        The cluster variable (a name the fit was grouped by, or a grouping of its rows).

    Returns
    -------
    ClusterDiagnosticsOutcome
    """
    found = resolve_grouping(fit, grouping)
    j = term_index(fit, term)
    codes, g = found.codes, found.groups
    X = fit.X
    hat_diagonal = np.einsum("ij,jk,ik->i", X, fit.xtx_inv, X)
    leverage = np.bincount(codes, weights=hat_diagonal, minlength=g)
    z = X @ fit.xtx_inv[:, j]
    gamma = np.bincount(codes, weights=z**2, minlength=g)
    partial = gamma / gamma.sum()
    effective = g / (1 + float(np.mean((gamma - gamma.mean()) ** 2)) / gamma.mean() ** 2)
    not_nested = crossed_effects(fit, codes)
    return ClusterDiagnosticsOutcome(
        term, found.name, found.labels, np.bincount(codes, minlength=g), leverage, partial,
        fit.params[j] + _leave_out_shifts(fit, codes, g)[:, j], float(fit.params[j]),
        X.shape[1], effective, not_nested)


def _leave_out_shifts(fit: LinearFit, codes: np.ndarray, g: int) -> np.ndarray:
    """``G x k`` matrix of ``b_(g) - b``, with NaN rows where ``X'X - X_g'X_g`` is singular.

    A jackknife covariance needs every cluster's shift and must refuse a singular one; a
    diagnostic reports the others, since a cluster without which a coefficient is unidentified
    is itself the finding.
    """
    X, k = fit.X, fit.X.shape[1]
    xtx = X.T @ X
    within = np.stack([cluster_sums(X * X[:, [i]], codes, g) for i in range(k)], axis=1)
    remaining = xtx[None, :, :] - within
    # Scaling by the full-sample diagonal makes the singularity test free of units.
    scale = 1 / np.sqrt(np.diag(xtx))
    values = np.linalg.eigvalsh(remaining * scale[:, None] * scale[None, :])
    regular = values[:, 0] > SINGULAR_TOL * values[:, -1]
    scores = cluster_sums(X * fit.residuals[:, None], codes, g)
    shifts = np.full((g, k), np.nan)
    shifts[regular] = -np.linalg.solve(remaining[regular], scores[regular][:, :, None])[:, :, 0]
    return shifts
