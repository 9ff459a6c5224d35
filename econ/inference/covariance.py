"""Covariance estimators as small typed objects: ``IID()``, ``HC1()``, ``Cluster("township_id")``.

Each is applied to a :class:`~econ.estimation.linear.LinearFit` without refitting and returns a
:class:`CovarianceResult`. Small-sample corrections come from :mod:`econ.inference.corrections`.
"""

from __future__ import annotations

import itertools
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from econ.data.codes import group_codes, is_nested
from econ.estimation.linear import LinearFit
from econ.inference.corrections import DEFAULT, SmallSample

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

    @property
    def cluster_columns(self) -> tuple[str, ...]:
        """Columns the estimator needs non-missing in the estimation sample."""
        return ()


@dataclass(frozen=True)
class IID(CovarianceSpec):
    """Homoskedastic errors: ``RSS / (n - K) (X'X)^{-1}``."""

    ssc: SmallSample = DEFAULT

    def compute(self, fit: LinearFit) -> CovarianceResult:
        n, k = fit.nobs, self.ssc.k(len(fit.names), fit.fe_params, 0, 0)
        sigma2 = fit.rss / (n - 1) * self.ssc.scale(n, k)
        return CovarianceResult("IID", sigma2 * fit.xtx_inv, float(n - k))


@dataclass(frozen=True)
class HC1(CovarianceSpec):
    """Heteroskedasticity-robust (White) with the ``n / (n - K)`` correction."""

    ssc: SmallSample = DEFAULT

    def compute(self, fit: LinearFit) -> CovarianceResult:
        n, k = fit.nobs, self.ssc.k(len(fit.names), fit.fe_params, 0, 0)
        scores = fit.X * fit.residuals[:, None]
        meat = scores.T @ scores
        scale = self.ssc.scale(n, k) * self.ssc.cluster_scale(n)
        return CovarianceResult("HC1", scale * fit.xtx_inv @ meat @ fit.xtx_inv, float(n - k))


@dataclass(frozen=True, init=False)
class Cluster(CovarianceSpec):
    """Cluster-robust (CR1) by one or more variables; several give Cameron-Gelbach-Miller.

    Examples
    --------
    >>> Cluster("township_id")                 # one-way
    >>> Cluster("township_id", "year")         # two-way
    """

    by: tuple[str, ...]
    ssc: SmallSample

    def __init__(self, *by: str, ssc: SmallSample = DEFAULT) -> None:
        if not by:
            raise ValueError("Cluster needs at least one variable, e.g. Cluster('township_id')")
        object.__setattr__(self, "by", tuple(by))
        object.__setattr__(self, "ssc", ssc)

    @property
    def cluster_columns(self) -> tuple[str, ...]:
        return self.by

    def compute(self, fit: LinearFit) -> CovarianceResult:
        codes = [usable_cluster_codes(fit, name) for name in self.by]
        sizes = tuple(int(c.max()) + 1 for c in codes)
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
        label = f"CR1 ({', '.join(self.by)})"
        return CovarianceResult(label, cov, df, self.by, sizes)


def cluster_codes(fit: LinearFit, name: str) -> np.ndarray:
    """Dense codes of cluster variable ``name`` on ``fit``'s estimation sample."""
    if name not in fit.data.columns:
        raise ValueError(f"cluster variable {name!r} is not in the data; available: "
                         f"{list(fit.data.columns)}")
    values = fit.data[name].iloc[fit.rows]
    codes, _ = group_codes(values)
    if (codes < 0).any():
        raise ValueError(
            f"cluster variable {name!r} is missing in {(codes < 0).sum()} row(s) of the "
            f"estimation sample; pass cov=Cluster({name!r}) when fitting so those rows are "
            f"dropped (and reported), or fill the variable")
    present = np.bincount(codes)
    return (np.cumsum(present > 0) - 1)[codes]


def usable_cluster_codes(fit: LinearFit, name: str) -> np.ndarray:
    """Cluster codes, refusing fewer than 2 clusters and warning when they are few or unequal."""
    codes = cluster_codes(fit, name)
    groups = int(codes.max()) + 1
    if groups < 2:
        raise ValueError(f"cluster variable {name!r} has {groups} group in the estimation "
                         f"sample; clustering needs at least 2 (and ideally 30+)")
    warn_few_clusters((name,), [codes])
    return codes


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


def warn_few_clusters(names: tuple[str, ...], codes: list[np.ndarray]) -> None:
    """Warn when clusters are few (< 30) or very unequal in size, pointing to the bootstrap."""
    for name, c in zip(names, codes, strict=True):
        sizes = np.bincount(c)
        if len(sizes) < FEW_CLUSTERS:
            warnings.warn(
                f"only {len(sizes)} clusters in {name!r}: cluster-robust t-tests over-reject "
                f"with fewer than {FEW_CLUSTERS}; use the wild cluster bootstrap for inference",
                FewClustersWarning, stacklevel=4)
        elif sizes.max() > 10 * np.median(sizes):
            warnings.warn(
                f"clusters in {name!r} are very unequal (largest {sizes.max()} rows, median "
                f"{np.median(sizes):g}): cluster-robust inference is unreliable; prefer the "
                f"wild cluster bootstrap", FewClustersWarning, stacklevel=4)
