"""CR3: the leave-one-cluster-out jackknife, computed from cluster cross products (no refits).

MacKinnon, Nielsen and Webb (2023), "Fast and reliable jackknife and bootstrap methods for
cluster-robust inference", Journal of Applied Econometrics 38(5), call it CV3; Bell and
McCaffrey (2002) call its unscaled form CR3. It is conservative where CR1 over-rejects: with few
or very unequal clusters, or when one cluster carries much of a regressor's variation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from econ.estimation.linear import LinearFit
from econ.inference.corrections import DEFAULT, SmallSample
from econ.inference.covariance import ClusterSpec, CovarianceResult, cluster_sums
from econ.spec.design import Grouping

#: Smallest eigenvalue of the scaled leave-one-out ``X'X``, relative to the largest, below which
#: a coefficient is taken to be unidentified without the cluster.
SINGULAR_TOL = 1e-10


@dataclass(frozen=True, init=False)
class CR3(ClusterSpec):
    """Leave-one-cluster-out jackknife covariance (CV3 of MacKinnon, Nielsen and Webb 2023).

    With ``beta_(g)`` the estimate without cluster ``g``,

    ``V = (G - 1) / G * sum_g (beta_(g) - c)(beta_(g) - c)'``,

    where ``c`` is the full-sample estimate ``beta`` (``center=False``, the default: CV3 of
    MacKinnon, Nielsen and Webb 2023, and pyfixest's ``CRV3``), or the mean of the ``beta_(g)``
    (``center=True``: the classical jackknife, Stata's ``vce(jackknife)``). Centring on the mean
    gives a covariance smaller by ``G / (G - 1) * (mean - beta)(mean - beta)'``, usually a
    negligible difference. No other small-sample factor is applied; t and F tests use
    ``G - 1`` degrees of freedom.

    Each ``beta_(g)`` comes from cluster cross products without refitting:
    ``beta_(g) - beta = -(X'X - X_g'X_g)^{-1} X_g'e_g``, the same as
    ``(X'X - X_g'X_g)^{-1} (X'y - X_g'y_g) - beta``, with ``X``, ``y`` and ``e`` the fit's
    weighted, fixed-effect-free arrays. The cost is one ``p x p`` solve per cluster.

    Fixed effects: this equals the jackknife that refits the full model (dummies included)
    without each cluster exactly when every fixed effect is nested in the clusters (village
    effects with township clusters), because then removing a cluster removes its fixed effects'
    rows whole and leaves the others' projection unchanged. When a fixed effect cuts across the
    clusters (year effects with township clusters) it is the usual "fast" jackknife that keeps
    that projection at its full-sample value; a refit re-estimates the year effects without the
    cluster and gives a somewhat different matrix (for the test panel in
    ``tests/inference/test_cr2_cr3.py`` the standard errors differ by a few percent). pyfixest
    0.60's ``CRV3`` refits whenever the model has fixed effects, so it matches this estimator
    (after its ``G / (G - 1)`` and ``(n - 1) / (n - K)`` factors) only with nested fixed effects
    or none.

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
        (a regressor that varies only within that cluster): the jackknife is undefined then.

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
    codes, g, name = grouping.codes, grouping.groups, grouping.name
    p = fit.X.shape[1]
    xtx = fit.X.T @ fit.X
    within = np.stack([cluster_sums(fit.X * fit.X[:, [j]], codes, g) for j in range(p)], axis=1)
    remaining = xtx[None, :, :] - within
    unidentified = _first_singular(remaining, np.diag(xtx))
    if unidentified is not None:
        cluster, vector = unidentified
        value = grouping.labels[cluster]
        involved = [n for n, v in zip(fit.names, np.abs(vector), strict=True)
                    if v > 1e-6 * np.abs(vector).max()]
        raise ValueError(
            f"CR3: without cluster {name}={value!r}, coefficient(s) {', '.join(involved)} "
            f"cannot be estimated (the regressor varies only within that cluster), so the "
            f"leave-one-cluster-out jackknife is undefined; use Cluster({name!r}) or CR2")
    score_sums = cluster_sums(fit.X * fit.residuals[:, None], codes, g)
    return -np.linalg.solve(remaining, score_sums[:, :, None])[:, :, 0]


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
