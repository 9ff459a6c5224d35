"""CR3: the leave-one-cluster-out jackknife, computed from cluster cross products (no refits).

MacKinnon, Nielsen and Webb (2023), "Fast and reliable jackknife and bootstrap methods for
cluster-robust inference", Journal of Applied Econometrics 38(5), call it CV3; Bell and
McCaffrey (2002) call its unscaled form CR3. It is conservative where CR1 over-rejects: with few
or very unequal clusters, or when one cluster carries much of a regressor's variation.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import scipy.linalg

from econ.estimation import linear
from econ.estimation.linear import (
    EstimationWarning,
    LinearFit,
    crossed_effects,
    too_many_levels,
    with_dummies,
)
from econ.inference.corrections import DEFAULT, SmallSample
from econ.inference.covariance import ClusterSpec, CovarianceResult, cluster_sums
from econ.spec.design import Grouping

#: Smallest eigenvalue of the scaled leave-one-out ``X'X``, relative to the largest, below which
#: it is singular. Cholesky pivots this small relative to the largest diagonal send a cluster
#: to the eigendecomposition, which tells which coefficients are lost.
SINGULAR_TOL = 1e-10

#: Length of a coefficient's unit vector's projection on the null space of the scaled
#: leave-one-out ``X'X`` above which that coefficient is unidentified without the cluster.
NULL_TOL = 1e-6


@dataclass(frozen=True, init=False)
class CR3(ClusterSpec):
    """Leave-one-cluster-out jackknife covariance (CV3 of MacKinnon, Nielsen and Webb 2023).

    With ``beta_(g)`` the estimate of the same model refitted without cluster ``g`` (its fixed
    effects re-estimated on the remaining rows),

    ``V = (G - 1) / G * sum_g (beta_(g) - c)(beta_(g) - c)'``,

    where ``c`` is the full-sample estimate ``beta`` (``center=False``, the default: CV3 of
    MacKinnon, Nielsen and Webb 2023, and pyfixest's ``CRV3``), or the mean of the ``beta_(g)``
    (``center=True``: the classical jackknife, Stata's ``vce(jackknife)``). Centring on the mean
    gives a covariance smaller by ``G / (G - 1) * (mean - beta)(mean - beta)'``, usually a
    negligible difference. No other small-sample factor is applied; t and F tests use
    ``G - 1`` degrees of freedom.

    Each ``beta_(g)`` comes from cluster cross products without refitting:
    ``beta_(g) - beta = -(Z'Z - Z_g'Z_g)^{-1} Z_g'e_g``, with ``Z`` and ``e`` a weighted,
    fixed-effect-free design and its residuals, and ``Z_g``, ``e_g`` their rows in cluster
    ``g``. What ``Z`` is depends on the fixed effects:

    * nested in the clusters (village effects with township clusters), or none: ``Z`` is the
      fit's ``X``. Removing a cluster removes those effects' levels whole and leaves their
      projection on the other rows unchanged. Cost: one ``p x p`` solve per cluster.
    * not nested (year effects with firm clusters): removing a cluster changes their
      estimates, so the model is refitted once with them as dummy regressors (nested effects
      stay absorbed) and ``Z`` is that refit's design, ``p + d`` columns for ``d`` dummies;
      the rows of the original coefficients are kept. Cost: the refit, ``n (p + d)^2`` for
      the cross products, and per cluster one ``m x m`` factorisation, ``m`` the smaller of
      its number of rows and ``p + d``. A fixed effect with more levels than
      :func:`~econ.estimation.linear.dummy_limit` allows (2,000, fewer on large data) is
      refused. When dropping a cluster leaves some
      dummies unidentified (a year observed only in that cluster, or its reference level),
      a generalised inverse of ``Z'Z - Z_g'Z_g`` is used: the refit cannot estimate those
      dummies either, but the original coefficients are the same for every solution.

    Either way ``V`` equals, up to rounding, the jackknife from refitting the model with the
    same formula on the data without each cluster; pyfixest 0.60's ``CRV3`` computes that
    jackknife too, times ``G / (G - 1)`` and ``(n - 1) / (n - K)``.

    Parameters
    ----------
    by
        The cluster variable.
    center
        Centre on the mean of the leave-one-out estimates instead of the full-sample estimate.

    Raises
    ------
    ValueError
        From ``compute``, if some coefficient is not identified without one of the clusters
        (a regressor that varies only within that cluster): the jackknife is undefined then;
        or if a fixed effect not nested in the clusters has more levels than
        :func:`~econ.estimation.linear.dummy_limit` allows.

    Examples
    --------
    >>> CR3("township_id")
    >>> CR3("township_id", center=True)
    """

    center: bool
    kind: ClassVar[str] = "CR3"
    multiway: ClassVar[bool] = False

    def __init__(self, *by: str, center: bool = False, ssc: SmallSample = DEFAULT) -> None:
        super().__init__(*by, ssc=ssc)
        object.__setattr__(self, "center", bool(center))

    def compute(self, fit: LinearFit) -> CovarianceResult:
        (grouping,) = self.groupings(fit)
        g = grouping.groups
        shifts = leave_one_out_shifts(fit, grouping)
        if self.center:
            shifts = shifts - shifts.mean(axis=0)
        cov = (g - 1) / g * shifts.T @ shifts
        return CovarianceResult(self.label, cov, float(g - 1), self.by, (g,))


def leave_one_out_shifts(fit: LinearFit, grouping: Grouping) -> np.ndarray:
    """``G x p`` matrix of ``beta_(g) - beta``, one row per cluster of ``grouping``."""
    crossed = crossed_effects(fit, grouping.codes)
    if not crossed:
        return _nested_shifts(fit, grouping)
    too_many = too_many_levels(fit, crossed)
    if too_many:
        raise ValueError(
            f"CR3: fixed effect(s) {', '.join(too_many)} are not nested in the clusters "
            f"{grouping.name!r} and have too many levels to refit as dummies (at most "
            f"{linear.dummy_limit(fit.nobs):,} columns on {fit.nobs:,} rows); the jackknife "
            f"would re-estimate each level without every cluster, which is too costly. Cluster by "
            f"a variable that contains them, or use Cluster({grouping.name!r})")
    # The original fit already warned about anything dropped; the refit's warnings repeat
    # that or concern only dummies (collinear with a regressor the fixed effect absorbed).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        refit = with_dummies(fit, crossed)
    # Regressors keep their order ahead of the dummies, but one the fixed effect absorbed may
    # reappear among them, so the original coefficients are found by name.
    columns = np.array([refit.names.index(name) for name in fit.names])
    return _crossed_shifts(refit, grouping, columns)


def _nested_shifts(fit: LinearFit, grouping: Grouping) -> np.ndarray:
    """The shifts when ``fit.X`` stays valid without each cluster: one batched solve."""
    codes, g = grouping.codes, grouping.groups
    p = fit.X.shape[1]
    xtx = fit.X.T @ fit.X
    within = np.stack([cluster_sums(fit.X * fit.X[:, [j]], codes, g) for j in range(p)], axis=1)
    remaining = xtx[None, :, :] - within
    unidentified = _first_singular(remaining, np.diag(xtx))
    if unidentified is not None:
        cluster, vector = unidentified
        involved = [n for n, v in zip(fit.names, np.abs(vector), strict=True)
                    if v > 1e-6 * np.abs(vector).max()]
        raise _unidentified(grouping, cluster, involved)
    score_sums = cluster_sums(fit.X * fit.residuals[:, None], codes, g)
    return -np.linalg.solve(remaining, score_sums[:, :, None])[:, :, 0]


def _crossed_shifts(refit: LinearFit, grouping: Grouping, columns: np.ndarray) -> np.ndarray:
    """The shifts of the coefficients at ``columns`` of a refit with dummies, cluster by
    cluster (the stacked ``q x q`` matrices of every cluster, ``q = p + d``, may not fit in
    memory).

    A cluster of ``n_g < q`` rows uses the push-through identity
    ``(A - Z_g'Z_g)^{-1} Z_g' = A^{-1} Z_g' (I - Z_g A^{-1} Z_g')^{-1}``, ``A = Z'Z``: an
    ``n_g x n_g`` factorisation instead of a ``q x q`` one, so that many dummies and small
    clusters cost about as much as forming ``Z'Z``.
    """
    # Unit-length columns make the singularity tests independent of the regressors' units;
    # the shifts are scaled back at the end.
    scale = 1 / np.linalg.norm(refit.X, axis=0)
    Z, e = refit.X * scale, refit.residuals
    q = Z.shape[1]
    full = Z.T @ Z
    root = scipy.linalg.cholesky(full, lower=True)
    inverse_rows = scipy.linalg.cho_solve((root, True), np.eye(q)[:, columns]).T
    order = np.argsort(grouping.codes, kind="stable")
    bounds = np.searchsorted(grouping.codes[order], np.arange(grouping.groups + 1))
    shifts = np.empty((grouping.groups, len(columns)))
    for cluster in range(grouping.groups):
        rows = order[bounds[cluster]:bounds[cluster + 1]]
        z, score = Z[rows], Z[rows].T @ e[rows]
        if len(rows) < q:
            half = scipy.linalg.solve_triangular(root, z.T, lower=True)
            weights = _definite_solve(np.eye(len(rows)) - half.T @ half, e[rows])
            step = None if weights is None else inverse_rows @ (z.T @ weights)
        else:
            solution = _definite_solve(full - z.T @ z, score)
            step = None if solution is None else solution[columns]
        if step is None:
            solution, lost = _generalised_solve(full - z.T @ z, score, columns)
            if lost.any():
                raise _unidentified(grouping, cluster, [refit.names[j] for j in columns[lost]])
            step = solution[columns]
        shifts[cluster] = -step * scale[columns]
    return shifts


def _definite_solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """``matrix^{-1} rhs`` by Cholesky, or None when ``matrix`` is (near) singular."""
    # A pivot near zero means the cluster takes (almost) all the information in some
    # direction; only the eigendecomposition can tell lost dummies from lost coefficients.
    try:
        factor, lower = scipy.linalg.cho_factor(matrix)
    except np.linalg.LinAlgError:
        return None
    if np.diag(factor).min() ** 2 <= SINGULAR_TOL * np.diag(matrix).max():
        return None
    return scipy.linalg.cho_solve((factor, lower), rhs)


def _generalised_solve(matrix: np.ndarray, rhs: np.ndarray, columns: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """A solution of the consistent system ``matrix @ x = rhs``, and which entries among
    ``columns`` it does not identify (a projection on the null space above ``NULL_TOL``).

    The identified entries are the same for every solution; this is the minimum-norm one.
    """
    values, vectors = np.linalg.eigh(matrix)
    null = values <= SINGULAR_TOL * values[-1]
    lost = np.linalg.norm(vectors[np.ix_(columns, np.flatnonzero(null))], axis=1) > NULL_TOL
    kept = vectors[:, ~null]
    return kept @ ((kept.T @ rhs) / values[~null]), lost


def _unidentified(grouping: Grouping, cluster: int, involved: list[str]) -> ValueError:
    """The error for coefficients that cannot be estimated without ``cluster``."""
    return ValueError(
        f"CR3: without cluster {grouping.name}={grouping.labels[cluster]!r}, coefficient(s) "
        f"{', '.join(involved)} cannot be estimated (outside that cluster the regressor is "
        f"zero, constant or collinear with the others and the fixed effects), so the "
        f"leave-one-cluster-out jackknife is undefined; use Cluster({grouping.name!r}) or CR2")


def _first_singular(remaining: np.ndarray, diagonal: np.ndarray
                    ) -> tuple[int, np.ndarray] | None:
    """The first cluster whose leave-one-out ``X'X`` is singular, with its null direction.

    Scaling by the full-sample diagonal makes the eigenvalue test independent of the
    regressors' units.
    """
    scale = 1 / np.sqrt(diagonal)
    values, vectors = np.linalg.eigh(remaining * scale[:, None] * scale[None, :])
    singular = np.flatnonzero(values[:, 0] <= SINGULAR_TOL * values[:, -1])
    if not len(singular):
        return None
    return int(singular[0]), vectors[singular[0], :, 0]
