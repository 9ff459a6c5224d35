"""Covariance estimators as small typed objects: ``IID()``, ``HC1()``, ``Cluster("township_id")``.

Each is applied to a :class:`~econ.estimation.linear.LinearFit` without refitting and returns a
:class:`CovarianceResult`. Small-sample corrections come from :mod:`econ.inference.corrections`.
"""

from __future__ import annotations

import itertools
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from econ.data.codes import is_nested
from econ.estimation.linear import LinearFit
from econ.inference.corrections import DEFAULT, SmallSample
from econ.spec.design import Grouping

#: Below this many clusters cluster-robust t-tests over-reject (Cameron, Gelbach and Miller 2008).
FEW_CLUSTERS = 30


class FewClustersWarning(UserWarning):
    """Cluster-robust inference is unreliable here; use the wild cluster bootstrap."""


@dataclass(frozen=True, eq=False)
class CovarianceResult:
    """A covariance matrix and what inference with it needs.

    Attributes
    ----------
    label
        E.g. ``"CR1 (township_id)"``.
    cov
        ``p x p`` covariance of the coefficients.
    df
        Degrees of freedom of t and F tests (``G_min - 1`` for clustered, ``n - K`` otherwise).
    clusters, n_clusters
        Cluster variables and their number of groups.
    df_by_coef
        Each coefficient's own t degrees of freedom where the estimator provides them (CR2
        with Satterthwaite df); ``df`` is then their minimum, used for joint tests.
    """

    label: str
    cov: np.ndarray
    df: float
    clusters: tuple[str, ...] = ()
    n_clusters: tuple[int, ...] = ()
    df_by_coef: np.ndarray | None = None


class CovarianceSpec(ABC):
    """A covariance estimator choice; ``compute(fit)`` applies it."""

    @abstractmethod
    def compute(self, fit: LinearFit) -> CovarianceResult:
        """The covariance of ``fit``'s coefficients."""


def _residual_dof(fit: LinearFit, ssc: SmallSample, kind: str) -> int:
    """The parameter count K of the ``n / (n - K)`` corrections, refusing ``n <= K``."""
    k = ssc.k(len(fit.names), fit.fe_params, 0, 0)
    if fit.nobs <= k:
        # fixest's count: every fixed effect's levels less one redundancy each, including an
        # effect nested in another (which adds no direction to the fit).
        raise ValueError(
            f"{kind} standard errors need residual degrees of freedom: {fit.nobs} row(s) for "
            f"{k} parameter(s) ({len(fit.names)} regressor(s) and {fit.fe_params} of the fixed "
            f"effects {' + '.join(fit.fe_names)}); drop a fixed effect nested in another, "
            f"or cluster by a variable the fixed effects are nested in")
    return k


@dataclass(frozen=True)
class IID(CovarianceSpec):
    """Homoskedastic errors: ``RSS / (n - K) (X'X)^{-1}``."""

    ssc: SmallSample = DEFAULT

    def compute(self, fit: LinearFit) -> CovarianceResult:
        n, k = fit.nobs, _residual_dof(fit, self.ssc, "IID")
        known = fit.scale
        sigma2 = (fit.rss / (n - 1) if known is None else known) * self.ssc.scale(n, k)
        return CovarianceResult("IID", sigma2 * fit.xtx_inv, float(n - k))


@dataclass(frozen=True)
class HC1(CovarianceSpec):
    """Heteroskedasticity-robust (White) with the ``n / (n - K)`` correction."""

    ssc: SmallSample = DEFAULT

    def compute(self, fit: LinearFit) -> CovarianceResult:
        n, k = fit.nobs, _residual_dof(fit, self.ssc, "HC1")
        scores = fit.X * fit.residuals[:, None]
        meat = scores.T @ scores
        scale = self.ssc.scale(n, k) * self.ssc.cluster_scale(n)
        return CovarianceResult("HC1", scale * fit.xtx_inv @ meat @ fit.xtx_inv, float(n - k))


@dataclass(frozen=True, init=False)
class ClusterSpec(CovarianceSpec):
    """A cluster-robust covariance: the cluster variable(s) ``by`` and a small-sample choice.

    The kinds are :class:`Cluster` (CR1, one-way or multiway), :class:`~econ.CR2` and
    :class:`~econ.CR3`; all take the variables the same way, positionally. The model resolves
    ``by`` to integer codes when it is fitted (rows where a variable is missing are dropped
    and reported there); every clustered result can be wild-bootstrapped by them.
    """

    by: tuple[str, ...]
    ssc: SmallSample
    #: Short name of the kind, used in labels ("CR1", "CR2", "CR3").
    kind: ClassVar[str] = "CR1"
    #: Whether several variables (multiway clustering) are supported.
    multiway: ClassVar[bool] = True

    def __init__(self, *by: str, ssc: SmallSample = DEFAULT) -> None:
        if not by or not all(isinstance(b, str) for b in by):
            raise ValueError(f"{type(self).__name__} needs the cluster variable name(s), e.g. "
                             f"{type(self).__name__}('township_id'); got {by!r}")
        if len(by) > 1 and not self.multiway:
            raise ValueError(f"{type(self).__name__} is one-way: pass one cluster variable, "
                             f"not {list(by)} (Cluster(...) handles multiway clustering)")
        object.__setattr__(self, "by", tuple(by))
        object.__setattr__(self, "ssc", ssc)

    @property
    def label(self) -> str:
        return f"{self.kind} ({', '.join(self.by)})"

    def groupings(self, fit: LinearFit) -> list[Grouping]:
        """The fit's groupings of ``by``, refusing fewer than 2 clusters."""
        missing = [b for b in self.by if b not in fit.clusters]
        if missing:
            raise ValueError(
                f"the fit was not grouped by {missing}: pass cov={type(self).__name__}"
                f"({', '.join(repr(b) for b in self.by)}) to the estimator so that the "
                f"variables are resolved (and rows where they are missing dropped) when it "
                f"fits; grouped by: {sorted(fit.clusters) or 'nothing'}")
        found = [fit.clusters[b] for b in self.by]
        for g in found:
            if g.groups < 2:
                raise ValueError(f"cluster variable {g.name!r} has {g.groups} group in the "
                                 f"estimation sample; clustering needs at least 2 (and "
                                 f"ideally 30+)")
        return found


@dataclass(frozen=True, init=False)
class Cluster(ClusterSpec):
    """Cluster-robust (CR1) by one or more variables; several give Cameron-Gelbach-Miller.

    Examples
    --------
    >>> Cluster("township_id")                 # one-way
    >>> Cluster("township_id", "year")         # two-way
    """

    def compute(self, fit: LinearFit) -> CovarianceResult:
        found = self.groupings(fit)
        codes = [g.codes for g in found]
        sizes = tuple(g.groups for g in found)
        n = fit.nobs
        k = nested_k(fit, codes, self.ssc)
        scores = fit.X * fit.residuals[:, None]
        meat = np.zeros((len(fit.names), len(fit.names)))
        g_min = min(sizes)
        for r in range(1, len(codes) + 1):
            for subset in itertools.combinations(range(len(codes)), r):
                joint = intersect([codes[i] for i in subset])
                g = int(joint.max()) + 1
                g_adj = g_min if self.ssc.cluster_df == "min" else g
                sums = cluster_sums(scores, joint, g)
                meat += (-1) ** (r + 1) * self.ssc.cluster_scale(g_adj) * (sums.T @ sums)
        cov = self.ssc.scale(n, k) * fit.xtx_inv @ meat @ fit.xtx_inv
        df = float(g_min - 1) if self.ssc.t_df == "min" else float(n - k)
        return CovarianceResult(self.label, cov, df, self.by, sizes)


def intersect(codes: list[np.ndarray]) -> np.ndarray:
    """Dense codes of the intersection of several clusterings."""
    if len(codes) == 1:
        return codes[0]
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for c in codes:
        combined = combined * (int(c.max()) + 1) + c
    _, dense = np.unique(combined, return_inverse=True)
    return dense


def cluster_sums(scores: np.ndarray, codes: np.ndarray, g: int) -> np.ndarray:
    """``G x p`` sums of the score rows within each cluster."""
    return np.column_stack([np.bincount(codes, weights=scores[:, j], minlength=g)
                            for j in range(scores.shape[1])])


def nested_k(fit: LinearFit, clusters: list[np.ndarray], ssc: SmallSample) -> int:
    """K of the small-sample correction, leaving out fixed effects nested in a cluster."""
    nested = [c for c in fit.fe_codes
              if any(is_nested(c, int(c.max()) + 1, cl) for cl in clusters)]
    levels = sum(int(c.max()) + 1 for c in nested)
    return ssc.k(len(fit.names), fit.fe_params, levels, len(nested))


def warn_few_clusters(groupings: list[Grouping]) -> None:
    """Warn when clusters are few (< 30) or very unequal in size, pointing to the bootstrap.

    Called once per covariance computed, that is once per fitted result.
    """
    for grouping in groupings:
        sizes = np.bincount(grouping.codes)
        name = grouping.name
        if len(sizes) < FEW_CLUSTERS:
            warnings.warn(
                f"only {len(sizes)} clusters in {name!r}: cluster-robust t-tests over-reject "
                f"with fewer than {FEW_CLUSTERS}; use the wild cluster bootstrap for inference "
                f"(econ.few_cluster_inference(result, term) runs every few-cluster method and "
                f"says which to report)",
                FewClustersWarning, stacklevel=5)
        elif sizes.max() > 10 * np.median(sizes):
            warnings.warn(
                f"clusters in {name!r} are very unequal (largest {sizes.max()} rows, median "
                f"{np.median(sizes):g}): cluster-robust inference is unreliable; prefer the "
                f"wild cluster bootstrap (see econ.few_cluster_inference)", FewClustersWarning,
                stacklevel=5)


def estimate_covariance(fit: LinearFit, spec: CovarianceSpec) -> CovarianceResult:
    """``spec`` applied to ``fit``: the one place a result's covariance is computed, so the
    few-clusters warning is issued once for each fitted result."""
    result = spec.compute(fit)
    if isinstance(spec, ClusterSpec):
        warn_few_clusters(spec.groupings(fit))
    return result
