"""Restricted wild score bootstrap of one coefficient of a Poisson fit (Kline and Santos 2012).

A nonlinear model is not re-estimated in each replication. The null ``b_k = value`` is imposed
by refitting with ``b_k`` in the offset; at that restricted fit the score contribution of
cluster ``g`` is ``S_g = sum_i x~_i w_i (y_i - mu~_i)``, with ``x~`` the regressors projected
off the fixed effects at the restricted weights ``w mu~`` (which removes the fixed effects'
own scores, as the partitioned inverse of the full Hessian would). Each cluster's influence on
``b_k`` is ``a_g = (H^-1 S_g)_k``, with ``H = sum_i w_i mu~_i x~_i x~_i'``. The statistic is the
cluster-robust score (LM) t statistic

    t = sum_g a_g / sqrt(c sum_g a_g^2),

with ``c`` the CR1 small-sample factor, and its bootstrap draws perturb each cluster's score by
a wild weight ``v_g``:

    t*_b = sum_g v_gb a_g / sqrt(c sum_g v_gb^2 a_g^2).

Under the null ``E S_g = 0``, so the draws mimic the statistic's distribution. Rademacher
weights with ``2^G`` at most the replications give all sign patterns (an exact randomization
test when the scores are symmetric); the p-value rules are those of the wild bootstrap
(:mod:`econ.inference.bootstrap.wild`): a constant pattern reproduces ``|t|``, so under the
inclusive rule and enumeration the symmetric p-value is never below ``2 / 2^G``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from econ.estimation.poisson import FixedEffects, PoissonFit, restricted_fit
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.bootstrap.wild import (
    _groupings,
    _pvalues,
    bootstrap_dimension,
    crve_clusters,
    smallest_pvalue,
)
from econ.inference.corrections import DEFAULT
from econ.inference.covariance import ClusterSpec, CovarianceSpec, cluster_sums, nested_k
from econ.inference.resampling import stream


@dataclass(frozen=True, eq=False)
class ScoreOutcome:
    """Numbers of a score bootstrap test (wrapped for users by the results layer)."""

    statistic: float
    draws: np.ndarray
    pvalues: dict[str, float]
    reps: int
    enumerated: bool
    cluster: tuple[str, ...]
    clusters: int
    smallest_pvalue: float
    restricted_params: np.ndarray
    influence: np.ndarray


def score_bootstrap(fit: PoissonFit, term: str, value: float, *, spec: CovarianceSpec,
                    settings: WildBootstrap) -> ScoreOutcome:
    """Test ``term = value`` in ``fit`` by the restricted wild score bootstrap.

    The clusters are ``settings.cluster`` or those of ``spec`` (one variable: the score
    bootstrap draws one weight per cluster of the statistic's variance). ``settings``' seed,
    replications, weight distribution and p-value rule are used; its variant, restriction
    and interval options do not apply (the test is always restricted, with no interval).
    """
    cluster = crve_clusters(spec, settings)
    if settings.bootstrap_cluster is not None and settings.bootstrap_cluster != cluster:
        raise ValueError("the score bootstrap draws one weight per cluster of its variance: "
                         "bootstrap_cluster must be left unset or equal cluster")
    if len(cluster) != 1:
        raise ValueError(f"the score bootstrap is one-way: cluster by one variable, not "
                         f"{list(cluster)}")
    if term not in fit.names:
        raise KeyError(f"no coefficient {term!r}; coefficients: {list(fit.names)}")
    grouping = _groupings(fit, bootstrap_dimension(settings, _groupings(fit, cluster,
                                                                        "cluster")),
                          "cluster")[0]
    codes, G = grouping.codes, grouping.groups
    column = fit.names.index(term)
    params, mu = restricted_fit(fit, column, value)
    influence = influences(fit, mu, column, codes, G)
    ssc = spec.ssc if isinstance(spec, ClusterSpec) else DEFAULT
    c = ssc.cluster_scale(G) * ssc.scale(fit.nobs, nested_k(fit, [codes], ssc))
    observed = float(influence.sum() / np.sqrt(c * (influence**2).sum()))
    weights = stream(settings.distribution, G, settings.reps, settings.seed)
    draws = np.empty(weights.reps)
    for start in range(0, weights.reps, settings.chunk_size):
        stop = min(start + settings.chunk_size, weights.reps)
        v = weights.chunk(start, stop)
        draws[start:stop] = (influence @ v) / np.sqrt(c * ((influence**2) @ (v**2)))
    return ScoreOutcome(
        observed, draws, _pvalues(observed, draws, 1, settings.pvalue_rule), weights.reps,
        weights.enumerate, cluster, G,
        smallest_pvalue(settings.distribution, G, weights.reps, weights.enumerate,
                        settings.pvalue_rule),
        params, influence)


def influences(fit: PoissonFit, mu: np.ndarray, column: int, codes: np.ndarray, G: int
               ) -> np.ndarray:
    """``a_g = (H^-1 S_g)_column`` of each cluster at the fitted means ``mu``."""
    kept = [list(fit.design.names).index(n) for n in fit.names]
    X = fit.design.X[fit.sample][:, kept]
    user_w = np.ones(fit.nobs) if fit.weights is None else fit.weights
    weights = user_w * mu
    X_tilde, _ = FixedEffects(fit.fe_codes).demean(weights, X)
    hessian = (X_tilde * weights[:, None]).T @ X_tilde
    scores = X_tilde * (user_w * (fit.outcome_values - mu))[:, None]
    direction = np.linalg.solve(hessian, np.eye(len(kept))[:, column])
    return cluster_sums(scores, codes, G) @ direction
