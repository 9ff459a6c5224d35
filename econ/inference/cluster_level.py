"""Cluster-level tests for few clusters: estimate the coefficient on each cluster, test their mean.

With few clusters, each containing many observations, the coefficient of interest can be
estimated on every cluster's rows alone. If those ``q`` estimates are (approximately) independent
and normal around the same coefficient, two tests keep their level whatever the dependence within
clusters and however unequal the clusters' variances:

- Ibragimov and Müller (2010), "t-statistic based correlation and heterogeneity robust
  inference", Journal of Business & Economic Statistics 28(4): the usual t test of the mean of
  the ``q`` estimates with ``q - 1`` degrees of freedom. By Bakirov and Székely (2005) it is
  conservative for independent normal estimates with unequal variances at two-sided levels of
  5% or lower.
- Canay, Romano and Shaikh (2017), "Randomization tests under an approximate symmetry
  assumption", Econometrica 85(3): the approximate randomization test that changes the signs of
  the centred estimates. Only the symmetry of their limiting distribution is used.

Both require the coefficient to be identified within each cluster used: a regressor that does
not vary within a cluster (a township-level treatment with township clusters) cannot be tested
this way. Clusters where it is not identified are reported and left out.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from econ.estimation import linear
from econ.estimation.linear import EstimationWarning, LinearFit
from econ.inference.distributions import t_sf
from econ.inference.linear_combinations import critical_value
from econ.spec.design import Design, Grouping

#: Most clusters whose ``2^q`` sign changes are enumerated (2^20 sums take 8 MB).
MAX_ENUMERATED = 20

#: Relative tolerance within which a sign change's statistic ties with the observed one.
TIE = 1e-10


@dataclass(frozen=True, eq=False)
class ClusterEstimates:
    """The coefficient of ``term`` estimated separately on each cluster's rows.

    Attributes
    ----------
    term
        The coefficient.
    cluster
        The cluster variable.
    labels
        Each cluster's value of the cluster variable.
    rows
        Rows of each cluster in the estimation sample.
    estimates
        The cluster's estimate (NaN where ``term`` is not identified in the cluster).
    identified
        Whether ``term`` is identified in the cluster.
    reasons
        Why it is not (empty where it is).
    full_sample
        The estimate of ``term`` on all rows, for comparison.
    """

    term: str
    cluster: str
    labels: np.ndarray
    rows: np.ndarray
    estimates: np.ndarray
    identified: np.ndarray
    reasons: tuple[str, ...]
    full_sample: float

    @property
    def used(self) -> np.ndarray:
        """The estimates of the clusters where ``term`` is identified."""
        return self.estimates[self.identified]

    @property
    def q(self) -> int:
        """Clusters used."""
        return int(self.identified.sum())


@dataclass(frozen=True, eq=False)
class ClusterLevelOutcome:
    """Numbers of a cluster-level test (wrapped for users by the results layer).

    Attributes
    ----------
    method
        ``"Ibragimov-Müller"`` or ``"Canay-Romano-Shaikh"``.
    value
        Hypothesised value of the coefficient.
    estimate
        Mean of the cluster estimates used.
    statistic
        ``sqrt(q) (mean - value) / sd`` (Ibragimov-Müller), its absolute value
        (Canay-Romano-Shaikh).
    p_value
        Two-sided p-value.
    conf_int, level
        Interval and its level (Ibragimov-Müller only).
    df
        Degrees of freedom of the t distribution (Ibragimov-Müller only).
    sign_changes
        Sign changes enumerated (Canay-Romano-Shaikh only).
    smallest_p_value
        Smallest p-value the test can give with these clusters.
    estimates
        The cluster estimates.
    """

    method: str
    value: float
    estimate: float
    statistic: float
    p_value: float
    conf_int: tuple[float, float] | None
    level: float | None
    df: int | None
    sign_changes: int | None
    smallest_p_value: float
    estimates: ClusterEstimates


def resolve_grouping(fit: LinearFit, grouping: str | Grouping) -> Grouping:
    """The grouping named ``grouping`` in ``fit.clusters``, or ``grouping`` itself.

    Parameters
    ----------
    fit
        A fitted model.
    grouping
        A cluster variable the fit was grouped by, or a :class:`~econ.spec.design.Grouping`
        of the fit's estimation sample.

    Returns
    -------
    Grouping

    Raises
    ------
    ValueError
        If the fit was not grouped by that variable, the grouping's length is not the fit's
        number of rows, or it has fewer than two groups.
    """
    if isinstance(grouping, str):
        if grouping not in fit.clusters:
            raise ValueError(
                f"the fit was not grouped by {grouping!r}: pass groups=[{grouping!r}] (or a "
                f"clustered cov) to the estimator so that the variable is resolved on the "
                f"estimation sample; grouped by: {sorted(fit.clusters) or 'nothing'}")
        found = fit.clusters[grouping]
    else:
        found = grouping
    if len(found.codes) != fit.nobs:
        raise ValueError(f"grouping {found.name!r} has {len(found.codes)} rows; the fit has "
                         f"{fit.nobs}")
    if found.groups < 2:
        raise ValueError(f"grouping {found.name!r} has {found.groups} group; cluster-level "
                         f"inference needs at least 2")
    return found


def term_index(fit: LinearFit, term: str) -> int:
    """Position of ``term`` among the fit's coefficients, or a ``ValueError`` naming them."""
    if term in fit.names:
        return fit.names.index(term)
    dropped = {d.name: d.reason for d in fit.dropped_coefficients}
    if term in dropped:
        raise ValueError(f"{term!r} was dropped from the fit ({dropped[term]})")
    raise ValueError(f"{term!r} is not a coefficient of the fit; coefficients: "
                     f"{list(fit.names)}")


def cluster_estimates(fit: LinearFit, term: str, grouping: str | Grouping) -> ClusterEstimates:
    """Estimate the coefficient of ``term`` on each cluster's rows alone.

    Each cluster's rows of the fit's design (its estimation sample) are refitted with the same
    outcome, regressors, fixed effects and weights. Regressors the full fit dropped are left
    out, and ``term`` is placed last, so that it is the column dropped when it is collinear with
    the others within the cluster: its coefficient is then not identified there, and the cluster
    is reported (with the reason) and excluded. Other regressors collinear within a cluster (a
    township-level control within a township) are dropped silently: they do not change the
    estimate of ``term``. Singleton fixed-effect groups within a cluster are removed as in any
    fit. A cluster with fewer rows than regressors is reported as not identifying ``term``.

    Parameters
    ----------
    fit
        A fitted linear model.
    term
        The coefficient.
    grouping
        The cluster variable (a name the fit was grouped by, or a grouping of its rows).

    Returns
    -------
    ClusterEstimates
    """
    found = resolve_grouping(fit, grouping)
    full = float(fit.params[term_index(fit, term)])
    design = fit.design
    columns = np.array([*(design.names.index(n) for n in fit.names if n != term),
                        design.names.index(term)])
    names = tuple(design.names[c] for c in columns)
    outcome = design.formula.outcomes.index(fit.outcome)
    sizes = np.bincount(found.codes, minlength=found.groups)
    # Design rows of each cluster, in the order they appear in the design.
    order = np.argsort(found.codes, kind="stable")
    members = np.split(fit.sample[order], np.cumsum(sizes)[:-1])
    results = [_estimate_on(design, rows, columns, names, outcome, term) for rows in members]
    estimates = np.array([r[0] for r in results])
    reasons = tuple(r[1] for r in results)
    return ClusterEstimates(term, found.name, found.labels, sizes, estimates,
                            np.array([not r for r in reasons]), reasons, full)


def _estimate_on(design: Design, rows: np.ndarray, columns: np.ndarray, names: tuple[str, ...],
                 outcome: int, term: str) -> tuple[float, str]:
    """``term``'s estimate on the design rows ``rows``, or NaN and why it is not identified."""
    if len(rows) < len(columns):
        # Fewer rows than regressors: the others then almost always span every column of the
        # cluster, and the least-squares routine expects at least as many rows as columns.
        return math.nan, f"{len(rows)} row(s) for {len(columns)} regressors"
    subset = Design(
        formula=design.formula, y=design.y[rows],
        X=np.asfortranarray(design.X[np.ix_(rows, columns)]), names=names,
        fe_names=design.fe_names, fe_codes=tuple(_dense(c[rows]) for c in design.fe_codes),
        weights=None if design.weights is None else design.weights[rows],
        rows=design.rows[rows], n_input=design.n_input, weights_name=design.weights_name,
        slopes=tuple(s.subset(rows) for s in design.slopes))
    with warnings.catch_warnings():
        # Dropping a collinear control or a singleton within one cluster is expected here; the
        # one drop that matters, of ``term`` itself, is reported as the reason below.
        warnings.simplefilter("ignore", EstimationWarning)
        try:
            refit = linear.fit(subset, outcome=outcome)
        except ValueError as exc:
            return math.nan, str(exc)
    if term in refit.names:
        return float(refit.params[refit.names.index(term)]), ""
    return math.nan, next(d.reason for d in refit.dropped_coefficients if d.name == term)


def _dense(codes: np.ndarray) -> np.ndarray:
    return np.unique(codes, return_inverse=True)[1].astype(np.int64)


def ibragimov_muller(fit: LinearFit, term: str, grouping: str | Grouping, *,
                     level: float = 0.95, value: float = 0.0) -> ClusterLevelOutcome:
    """Ibragimov-Müller test of ``term = value`` from the cluster-by-cluster estimates.

    See :func:`ibragimov_muller_test`; this first runs :func:`cluster_estimates`.
    """
    return ibragimov_muller_test(cluster_estimates(fit, term, grouping), level=level,
                                 value=value)


def ibragimov_muller_test(estimates: ClusterEstimates, *, level: float = 0.95,
                          value: float = 0.0) -> ClusterLevelOutcome:
    """The t test of the mean of the ``q`` cluster estimates, with ``q - 1`` degrees of freedom.

    With ``b_1 .. b_q`` the estimates, ``m`` their mean and ``s`` their standard deviation
    (divisor ``q - 1``), the statistic is ``t = sqrt(q) (m - value) / s``, the p-value
    ``2 P(T_{q-1} > |t|)`` and the interval ``m -+ t_{q-1, (1+level)/2} s / sqrt(q)``
    (Ibragimov and Müller 2010). The estimate is ``m``, the unweighted mean over clusters,
    not the full-sample estimate.

    Parameters
    ----------
    estimates
        From :func:`cluster_estimates`.
    level
        Confidence level of the interval. The conservativeness result behind the test covers
        two-sided levels of 5% or lower (``level >= 0.95``).
    value
        Hypothesised value.

    Returns
    -------
    ClusterLevelOutcome

    Raises
    ------
    ValueError
        If fewer than two clusters identify the coefficient.
    """
    used = _used(estimates, "Ibragimov-Müller")
    q = len(used)
    mean, sd = float(used.mean()), float(used.std(ddof=1))
    t = _t_statistic(used - value)
    half = critical_value(level, q - 1) * sd / math.sqrt(q)
    return ClusterLevelOutcome(
        "Ibragimov-Müller", value, mean, t, float(2 * t_sf(abs(t), q - 1)),
        (mean - half, mean + half), level, q - 1, None, 0.0, estimates)


def canay_romano_shaikh(fit: LinearFit, term: str, grouping: str | Grouping, *,
                        value: float = 0.0) -> ClusterLevelOutcome:
    """Canay-Romano-Shaikh randomization test of ``term = value`` from the cluster estimates.

    See :func:`canay_romano_shaikh_test`; this first runs :func:`cluster_estimates`.
    """
    return canay_romano_shaikh_test(cluster_estimates(fit, term, grouping), value=value)


def canay_romano_shaikh_test(estimates: ClusterEstimates, *, value: float = 0.0
                             ) -> ClusterLevelOutcome:
    """The approximate randomization test by sign changes of the centred cluster estimates.

    With ``S_j = b_j - value`` for the ``q`` clusters used, the statistic is the absolute
    t statistic of the cluster estimates, ``T(S) = |sqrt(q) mean(S) / sd(S)|`` (sd with
    divisor ``q - 1``), the studentized statistic Canay, Romano and Shaikh (2017) use for
    clustered data (a constant factor such as ``sqrt(q)`` changes no p-value). Every one of the
    ``M = 2^q`` sign changes ``g`` in ``{-1, 1}^q`` is applied, and the p-value is

    ``p = #{g : T(g S) >= T(S)} / M``,

    ties counting as at least as extreme, so that ``p <= alpha`` exactly when their
    non-randomized test rejects (``T(S)`` above the ``k``-th smallest ``T(g S)``,
    ``k = M - floor(M alpha)``); it is conservative where ties occur. ``T(S) = T(-S)``, so the
    smallest attainable p-value is ``2 / 2^q``: with 5 clusters (1/16) nothing is significant
    at 5%.

    Since ``sum S_j^2`` is the same under every sign change, ``T(g S)`` increases with
    ``|sum_j g_j S_j|`` (why studentizing does not change the test; Cai, Canay, Kim and Shaikh
    2023 show this in general): the sums are enumerated and compared instead of the ratios,
    which gives the same p-value and needs no division.

    Parameters
    ----------
    estimates
        From :func:`cluster_estimates`.
    value
        Hypothesised value.

    Returns
    -------
    ClusterLevelOutcome

    Raises
    ------
    ValueError
        If fewer than two clusters identify the coefficient, or more than
        :data:`MAX_ENUMERATED` do (the sign changes are enumerated, not sampled).
    """
    used = _used(estimates, "Canay-Romano-Shaikh")
    q = len(used)
    if q > MAX_ENUMERATED:
        raise ValueError(f"Canay-Romano-Shaikh: {q} clusters give 2^{q} sign changes; they are "
                         f"enumerated up to {MAX_ENUMERATED} clusters. With this many clusters "
                         f"use the wild cluster bootstrap or the Ibragimov-Müller test")
    centred = used - value
    sums = np.zeros(1)
    for s in centred:
        sums = np.concatenate([sums + s, sums - s])
    observed = abs(float(centred.sum()))
    tie = TIE * float(np.abs(centred).sum())
    p_value = np.count_nonzero(np.abs(sums) >= observed - tie) / sums.size
    return ClusterLevelOutcome(
        "Canay-Romano-Shaikh", value, float(used.mean()), abs(_t_statistic(centred)),
        float(p_value), None, None, None, int(sums.size), 2.0 / sums.size, estimates)


def _used(estimates: ClusterEstimates, method: str) -> np.ndarray:
    if estimates.q < 2:
        raise ValueError(
            f"{method}: {estimates.term!r} is identified in {estimates.q} of "
            f"{len(estimates.labels)} clusters of {estimates.cluster!r}; the test needs at "
            f"least 2 (it needs the coefficient to vary within clusters)")
    return estimates.used


def _t_statistic(centred: np.ndarray) -> float:
    """``sqrt(q) mean / sd``; infinite when the values are equal and off zero, 0 at zero."""
    mean, sd = float(centred.mean()), float(centred.std(ddof=1))
    if sd > 0:
        return math.sqrt(len(centred)) * mean / sd
    return 0.0 if mean == 0 else math.copysign(math.inf, mean)
