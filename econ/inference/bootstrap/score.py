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
weights with ``2^G`` at most the replications give all sign patterns; the p-value rules are
those of the wild bootstrap (:mod:`econ.inference.bootstrap.wild`): a constant pattern
reproduces ``|t|``, so under the inclusive rule and enumeration the symmetric p-value is never
below ``2 / 2^G``.

The confidence interval inverts the test: the values ``b`` at which the symmetric p-value
exceeds ``1 - level``, each end found by bisection (every trial value a restricted refit, the
weight draws the same throughout).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from econ.estimation.poisson import FixedEffects, PoissonFit, restricted_fit
from econ.inference.bootstrap.settings import PValueRule, WildBootstrap
from econ.inference.bootstrap.wild import (
    _groupings,
    _pvalues,
    bootstrap_dimension,
    crve_clusters,
    smallest_pvalue,
)
from econ.inference.corrections import DEFAULT
from econ.inference.covariance import ClusterSpec, CovarianceSpec, cluster_sums, nested_k
from econ.inference.resampling import WeightStream, stream


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
    ci: tuple[float, float] | None = None


@dataclass(frozen=True, eq=False)
class _ScoreTest:
    """The score test of one coefficient at any hypothesised value, with fixed weight draws."""

    fit: PoissonFit
    column: int
    codes: np.ndarray
    clusters: int
    scale: float
    weights: WeightStream
    chunk_size: int

    def at(self, value: float) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        """Observed statistic, its draws, the restricted estimates and the influences."""
        params, mu = restricted_fit(self.fit, self.column, value)
        influence = influences(self.fit, mu, self.column, self.codes, self.clusters)
        observed = float(influence.sum() / np.sqrt(self.scale * (influence**2).sum()))
        draws = np.empty(self.weights.reps)
        for start in range(0, self.weights.reps, self.chunk_size):
            stop = min(start + self.chunk_size, self.weights.reps)
            v = self.weights.chunk(start, stop)
            draws[start:stop] = (influence @ v) / np.sqrt(self.scale
                                                          * ((influence**2) @ (v**2)))
        return observed, draws, params, influence

    def pvalue(self, value: float, rule: PValueRule) -> float:
        observed, draws, _, _ = self.at(value)
        return _pvalues(observed, draws, 1, rule)["symmetric"]

    def accepts(self, value: float, alpha: float, rule: PValueRule) -> tuple[bool, float]:
        """Whether the symmetric p-value at ``value`` exceeds ``alpha``, and a continuous
        margin: the draws' critical value at ``alpha`` less the observed ``|t|`` (positive
        inside the interval), which locates the end far better than a midpoint."""
        observed, draws, _, _ = self.at(value)
        accepted = _pvalues(observed, draws, 1, rule)["symmetric"] > alpha
        finite = np.abs(draws[np.isfinite(draws)])
        if not finite.size:
            return accepted, float("nan")
        rank = finite.size - min(int(alpha * finite.size) + 1, finite.size)
        return accepted, float(np.partition(finite, rank)[rank] - abs(observed))


def score_bootstrap(fit: PoissonFit, term: str, value: float, *, spec: CovarianceSpec,
                    settings: WildBootstrap, std_error: float | None = None) -> ScoreOutcome:
    """Test ``term = value`` in ``fit`` by the restricted wild score bootstrap.

    The clusters are ``settings.cluster`` or those of ``spec`` (one variable: the score
    bootstrap draws one weight per cluster of the statistic's variance). ``settings``' seed,
    replications, weight distribution, p-value rule and interval level are used (the test is
    always restricted; ``variant`` does not apply).

    With ``settings.ci_level`` and ``std_error`` (the coefficient's standard error, used only
    to bracket the ends), the interval is the set of values the symmetric test does not
    reject at ``1 - ci_level``, found by bisection with the same weight draws at every value
    (each a restricted refit). It is unbounded where the test cannot reject (too few
    clusters for the level).
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
    ssc = spec.ssc if isinstance(spec, ClusterSpec) else DEFAULT
    scale = ssc.cluster_scale(G) * ssc.scale(fit.nobs, nested_k(fit, [codes], ssc))
    weights = stream(settings.distribution, G, settings.reps, settings.seed)
    test = _ScoreTest(fit, fit.names.index(term), codes, G, scale, weights,
                      settings.chunk_size)
    observed, draws, params, influence = test.at(value)
    floor = smallest_pvalue(settings.distribution, G, weights.reps, weights.enumerate,
                            settings.pvalue_rule)
    ci = None
    if settings.ci_level is not None and std_error is not None:
        ci = _interval(test, float(fit.params[test.column]), std_error,
                       1 - settings.ci_level, floor, settings.pvalue_rule)
    return ScoreOutcome(observed, draws, _pvalues(observed, draws, 1, settings.pvalue_rule),
                        weights.reps, weights.enumerate, cluster, G, floor, params,
                        influence, ci)


def _interval(test: _ScoreTest, estimate: float, std_error: float, alpha: float,
              floor: float, rule: PValueRule) -> tuple[float, float]:
    """Ends of ``{b : p(b) > alpha}`` around ``estimate`` (where the score is zero, p = 1)."""
    if floor > alpha or not std_error > 0:
        return (-np.inf, np.inf)
    ends = []
    for sign in (-1.0, 1.0):
        inside, step = estimate, 2 * std_error
        outside = estimate + sign * step
        margin_in = None
        # Widen until the test rejects; give up (unbounded) after 2^12 standard errors.
        for _ in range(12):
            accepted, margin_out = test.accepts(outside, alpha, rule)
            if not accepted:
                break
            inside, margin_in, step = outside, margin_out, 2 * step
            outside = estimate + sign * step
        else:
            ends.append(sign * np.inf)
            continue
        ends.append(_narrow(test, inside, outside, margin_in, margin_out, alpha, rule,
                            1e-6 * std_error))
    return ends[0], ends[1]


def _narrow(test: _ScoreTest, inside: float, outside: float, margin_in: float | None,
            margin_out: float, alpha: float, rule: PValueRule, tolerance: float) -> float:
    """The last accepted value once ``[inside, outside]`` is within ``tolerance``.

    Each refit is costly, so the next value is where the margin (see
    :meth:`_ScoreTest.accepts`) interpolates to zero (regula falsi, Illinois variant: an end
    kept twice has its margin halved), at least a quarter of the tolerance inside the bracket;
    a midpoint where the margins give no direction or the bracket did not halve over the last
    two steps (so never much slower than bisection). Acceptance is always decided by the
    p-value itself, so the end is that of bisection, to the tolerance.
    """
    kept = 0  # +1: inside kept last time, -1: outside kept
    widths = [np.inf, np.inf]  # the bracket's width one and two steps ago
    while abs(outside - inside) > tolerance:
        width = outside - inside
        halved = abs(width) <= widths[0] / 2
        widths = [widths[1], abs(width)]
        if halved and margin_in is not None and np.isfinite(margin_in) \
                and np.isfinite(margin_out) and margin_in > margin_out:
            # Past the interpolated end by half the tolerance, away from the end just
            # moved: an accurate interpolation then closes the bracket in one step.
            share = margin_in / (margin_in - margin_out) - kept * tolerance / (2 * abs(width))
            guard = tolerance / (4 * abs(width))
            middle = inside + min(max(share, guard), 1 - guard) * width
        else:
            middle = inside + width / 2
        accepted, margin = test.accepts(middle, alpha, rule)
        if accepted:
            inside, margin_in = middle, margin
            if kept == -1 and margin_out is not None:
                margin_out /= 2
            kept = -1
        else:
            outside, margin_out = middle, margin
            if kept == 1 and margin_in is not None:
                margin_in /= 2
            kept = 1
    return inside


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
