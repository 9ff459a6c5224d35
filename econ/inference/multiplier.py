"""Standard errors and uniform bands from influence functions: analytic and multiplier bootstrap.

An estimator with influence function ``psi`` (``n`` units by ``k`` parameters, scaled so that
``estimate - truth ~ mean(psi)``) has, with clusters ``c``, variance ``sum_c S_c^2 / n^2``
where ``S_c`` sums ``psi`` over the cluster's units (each unit its own cluster by default).

The multiplier bootstrap (Callaway and Sant'Anna 2021, sec. 4.1; R's ``did::mboot``) perturbs
the cluster sums with i.i.d. weights ``v_c`` (mean 0, variance 1): draw ``b`` is
``sum_c v_cb S_c / n``. As in R, standard errors are the draws' interquartile range over
that of the standard normal, and the uniform band's critical value is the ``1 - alpha``
quantile (inverse empirical CDF) of ``max_j |draw_j / se_j|``. Weights come from
:func:`econ.inference.resampling.stream`, the same stream as the wild cluster bootstrap's, so
the weights for a seed do not depend on the chunk size, and neither do the draws, bit for bit
(see :data:`PRODUCT_ROWS`). :class:`Multiplier` holds the bootstrap's settings;
:class:`InfluenceInference` applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy.special import ndtri

from econ.data.seeds import DEFAULT_SEED, Seed, entropy
from econ.inference.resampling import MULTIPLIER_REPS, Distribution, check_distribution, stream

# Standard errors at or below this are treated as degenerate (R's did uses the same cut).
DEGENERATE = np.sqrt(np.finfo(float).eps) * 10
# ndtri is the standard normal quantile (scipy.stats.norm.ppf calls it), without the
# import of scipy.stats that would double the time of a first att_gt call.
_NORMAL_IQR = ndtri(0.75) - ndtri(0.25)

#: Bootstrap weights held at once (256 MB) at most, whatever the chunk size: 999 draws for
#: 500,000 clusters in pieces of 64 instead of 4 GB. Smaller pieces would slow the BLAS
#: products (pieces of 160 draws for 50,000 clusters took twice as long as of 1,024).
PIECE_WEIGHTS = 2**25
#: Draws per product of weights and cluster sums. The stream's pieces start at multiples of 32
#: draws, so every draw is summed at the same row of a product of the same shape whatever the
#: chunk size or thread count: the same bits (a BLAS product's rounding can depend on where a
#: row falls among its tiles, and a piece's short last slice would otherwise move it).
PRODUCT_ROWS = 32


def cluster_sums(influence: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    """Sums of the influence function within clusters (rows: clusters)."""
    if cluster is None:
        return influence
    out = np.zeros((int(cluster.max()) + 1, influence.shape[1]))
    np.add.at(out, cluster, influence)
    return out


def analytic_std_errors(influence: np.ndarray, cluster: np.ndarray | None = None
                        ) -> np.ndarray:
    """``sqrt(sum_c S_c^2) / n`` per column; degenerate (near-zero) ones are NaN."""
    sums = cluster_sums(np.atleast_2d(influence.T).T, cluster)
    se = np.sqrt(np.sum(sums**2, axis=0)) / influence.shape[0]
    return np.where(se > DEGENERATE, se, np.nan)


@dataclass(frozen=True, kw_only=True)
class Multiplier:
    """Settings of the multiplier bootstrap of Callaway-Sant'Anna estimates.

    Parameters
    ----------
    reps
        Number of draws; with Rademacher weights and ``2^G <= reps`` all ``2^G`` sign
        patterns are used instead.
    distribution
        Distribution of the bootstrap weights ``v_c``: ``"rademacher"`` (R's did),
        ``"mammen"``, ``"webb"`` or ``"normal"``.
    seed
        Seed of the weight stream. A generator is read once, here
        (:func:`econ.inference.resampling.entropy`), and replaced by the resulting ``int``, so
        every estimate bootstrapped with these settings shares one set of draws.
    chunk_size
        Draws computed at once (rounded down to a multiple of 32, at least 32, and at most
        :data:`PIECE_WEIGHTS` weights; memory ``O(chunk_size x G)``); the weights do not
        depend on it, and the draws only to floating-point round-off (none for 128 or more
        in the tests).

    Raises
    ------
    ValueError
        If ``reps`` or ``chunk_size`` is below 1, or ``distribution`` is unknown.
    """

    reps: int = MULTIPLIER_REPS
    distribution: Distribution = "rademacher"
    seed: Seed = DEFAULT_SEED
    chunk_size: int = 1024

    def __post_init__(self) -> None:
        if self.reps < 1:
            raise ValueError(f"reps must be at least 1, got {self.reps}")
        if self.chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, got {self.chunk_size}")
        check_distribution(self.distribution)
        object.__setattr__(self, "seed", entropy(self.seed))

    def inference(self, alpha: float = 0.05) -> InfluenceInference:
        """These settings as the bootstrap of :class:`InfluenceInference` at level ``alpha``."""
        return InfluenceInference(bootstrap=True, reps=self.reps, distribution=self.distribution,
                                  seed=self.seed, alpha=alpha, chunk_size=self.chunk_size)


@dataclass(frozen=True, eq=False)
class BootstrapDraws:
    """Multiplier-bootstrap standard errors, the sup-t critical value and the draws.

    ``seed`` is the weight stream's entropy: as a seed it reproduces the draws.
    """

    std_errors: np.ndarray
    critical_value: float
    draws: np.ndarray
    reps: int
    distribution: Distribution
    seed: int
    clusters: int


def multiplier_bootstrap(
    influence: np.ndarray,
    *,
    cluster: np.ndarray | None = None,
    reps: int = MULTIPLIER_REPS,
    distribution: Distribution = "rademacher",
    seed: Seed = DEFAULT_SEED,
    alpha: float = 0.05,
    band: np.ndarray | None = None,
    chunk_size: int = 1024,
) -> BootstrapDraws:
    """Bootstrap the columns of ``influence`` (``n x k``) jointly.

    Parameters
    ----------
    influence
        Influence functions, one column per parameter.
    cluster
        Integer cluster codes per row (``0 .. G-1``); ``None``: each row its own cluster.
    reps
        Number of draws (with Rademacher weights and ``2^G <= reps`` all ``2^G`` sign patterns
        are used instead).
    distribution
        Distribution of the bootstrap weights: ``"rademacher"`` (R's did), ``"mammen"``,
        ``"webb"`` or ``"normal"``.
    seed
        Seed of the weight stream (an ``int`` or a generator, read once).
    alpha
        One minus the uniform band's coverage.
    band
        Boolean mask of the columns the uniform band covers (default: all). Degenerate
        columns (near-zero standard error) are always left out.
    chunk_size
        Draws computed at once (rounded down to a multiple of 32, at least 32, and at most
        :data:`PIECE_WEIGHTS` weights); memory is O(chunk_size x G).

    Returns
    -------
    BootstrapDraws
        Standard errors, the uniform band's critical value and the draws.
    """
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    influence = np.atleast_2d(influence.T).T
    sums = cluster_sums(influence, cluster)
    weight_stream = stream(distribution, sums.shape[0], reps, seed)
    draws = np.empty((weight_stream.reps, influence.shape[1]))
    # Weights are generated piece by piece (at most chunk_size draws, rounded to a multiple
    # of 32, and at most PIECE_WEIGHTS weights), never as a whole block of the stream.
    rows = min(chunk_size, max(32, PIECE_WEIGHTS // sums.shape[0]))
    for block in range(weight_stream.blocks):
        for start, weights in weight_stream.pieces(block, rows):
            draws[start:start + weights.shape[0]] = (_aligned_product(weights, sums)
                                                     / influence.shape[0])
    return summarise(draws, alpha=alpha, band=band, distribution=distribution,
                     seed=weight_stream.seed, clusters=sums.shape[0])


def _aligned_product(weights: np.ndarray, sums: np.ndarray) -> np.ndarray:
    """``weights @ sums`` in products of :data:`PRODUCT_ROWS` rows (the last padded)."""
    out = np.empty((len(weights), sums.shape[1]))
    for lo in range(0, len(weights), PRODUCT_ROWS):
        part = weights[lo:lo + PRODUCT_ROWS]
        if len(part) == PRODUCT_ROWS:
            np.matmul(part, sums, out=out[lo:lo + PRODUCT_ROWS])
        else:
            padded = np.zeros((PRODUCT_ROWS, part.shape[1]))
            padded[:len(part)] = part
            out[lo:] = (padded @ sums)[:len(part)]
    return out


def summarise(draws: np.ndarray, *, alpha: float, band: np.ndarray | None,
              distribution: Distribution, seed: int, clusters: int) -> BootstrapDraws:
    """IQR standard errors and the sup-t critical value of bootstrap ``draws`` (reps x k)."""
    high = np.quantile(draws, 0.75, axis=0, method="inverted_cdf")
    low = np.quantile(draws, 0.25, axis=0, method="inverted_cdf")
    se = (high - low) / _NORMAL_IQR
    se = np.where(se > DEGENERATE, se, np.nan)
    covered = np.isfinite(se) & (np.ones(se.size, dtype=bool) if band is None else band)
    if covered.any():
        sup = np.max(np.abs(draws[:, covered] / se[covered]), axis=1)
        critical = float(np.quantile(sup, 1 - alpha, method="inverted_cdf"))
    else:
        critical = float("nan")
    return BootstrapDraws(se, critical, draws, draws.shape[0], distribution, seed, clusters)


@dataclass(frozen=True, eq=False)
class DrawBasis:
    """Bootstrap draws of a set of basis columns, reused for any combination of them.

    Draws are linear in the influence function, so the draws of ``basis @ c`` are ``draws @
    c``: estimates derived later (aggregations) are bootstrapped with the same weights
    without drawing them again, given their coefficients ``c`` (:meth:`draws_of`) or, for
    any influence function in the span of ``basis``, by finding them (:meth:`draws_for`).
    """

    basis: np.ndarray
    draws: np.ndarray

    def draws_of(self, coefficients: np.ndarray) -> np.ndarray:
        """Draws of ``basis @ coefficients`` (columns), ``draws @ coefficients``.

        Each column is summed over the basis columns it uses: a combination of a few columns
        costs a few small products, and none is the mid-sized BLAS product whose threads
        wait to be scheduled on a busy machine.
        """
        out = np.empty((self.draws.shape[0], coefficients.shape[1]))
        for j in range(coefficients.shape[1]):
            used = np.flatnonzero(coefficients[:, j])
            out[:, j] = self.draws[:, used] @ coefficients[used, j]
        return out

    @cached_property
    def _normal_equations(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Zero columns (cells fixed at 0 or not estimated) carry no draws. The normal
        # equations of the unit-scaled columns are tiny (columns x columns) and, unlike a
        # QR or SVD of the n-row basis, cost one matrix product; the residual check in
        # draws_for catches any loss of accuracy.
        used = np.flatnonzero(np.any(self.basis != 0, axis=0))
        norms = np.linalg.norm(self.basis[:, used], axis=0)
        gram = self.basis[:, used].T @ self.basis[:, used] / np.outer(norms, norms)
        return used, norms, gram

    def draws_for(self, influence: np.ndarray) -> np.ndarray | None:
        """Draws of ``influence``'s columns, or ``None`` if they are not in the span."""
        used, norms, gram = self._normal_equations
        columns = self.basis[:, used]
        try:
            scaled = np.linalg.solve(gram, columns.T @ influence / norms[:, None])
        except np.linalg.LinAlgError:
            return None
        coef = scaled / norms[:, None]
        residual = np.abs(columns @ coef - influence).max(initial=0.0)
        if residual > 1e-9 * max(np.abs(influence).max(initial=0.0), 1e-300):
            return None
        return self.draws[:, used] @ coef


@dataclass(frozen=True)
class Uncertainty:
    """Standard errors, the pointwise and uniform critical values, and how they were made."""

    std_errors: np.ndarray
    pointwise_critical_value: float
    uniform_critical_value: float
    label: str


@dataclass(frozen=True)
class InfluenceInference:
    """How to turn influence functions into standard errors and bands.

    ``bootstrap=False`` gives analytic standard errors and no uniform band (its critical value
    is NaN); otherwise the multiplier bootstrap gives both, with weights of distribution
    ``distribution`` (see :class:`Multiplier`, whose :meth:`Multiplier.inference` builds this). A
    generator ``seed`` is read once, at construction, so that :meth:`basis` and
    :meth:`compute` draw the same weights.
    """

    bootstrap: bool = True
    reps: int = MULTIPLIER_REPS
    distribution: Distribution = "rademacher"
    seed: Seed = DEFAULT_SEED
    alpha: float = 0.05
    chunk_size: int = 1024

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.bootstrap and self.reps < 1:
            raise ValueError(f"reps must be at least 1, got {self.reps}")
        if self.bootstrap:
            check_distribution(self.distribution)
        object.__setattr__(self, "seed", entropy(self.seed))

    def basis(self, basis: np.ndarray, cluster: np.ndarray | None) -> DrawBasis | None:
        """Draws for ``basis`` to reuse in :meth:`compute` (``None`` without the bootstrap)."""
        if not self.bootstrap:
            return None
        out = multiplier_bootstrap(basis, cluster=cluster, reps=self.reps,
                                   distribution=self.distribution, seed=self.seed,
                                   alpha=self.alpha, chunk_size=self.chunk_size)
        return DrawBasis(basis, out.draws)

    def compute(self, influence: np.ndarray, cluster: np.ndarray | None,
                band: np.ndarray | None = None, basis: DrawBasis | None = None,
                coefficients: np.ndarray | None = None) -> Uncertainty:
        """Standard errors and critical values for the columns of ``influence``; with a
        ``basis`` (from :meth:`basis`, same settings) its draws are reused: those of
        ``basis.basis @ coefficients`` when the ``coefficients`` that give ``influence``
        are known, else when the basis spans ``influence``."""
        pointwise = float(ndtri(1 - self.alpha / 2))
        n_clusters = influence.shape[0] if cluster is None else int(cluster.max()) + 1
        if not self.bootstrap:
            return Uncertainty(analytic_std_errors(influence, cluster), pointwise, float("nan"),
                               f"analytic (influence function), {n_clusters} clusters")
        draws = None
        if basis is not None:
            draws = (basis.draws_for(influence) if coefficients is None
                     else basis.draws_of(coefficients))
        if draws is None:
            boot = multiplier_bootstrap(influence, cluster=cluster, reps=self.reps,
                                        distribution=self.distribution, seed=self.seed,
                                        alpha=self.alpha, band=band,
                                        chunk_size=self.chunk_size)
        else:
            assert isinstance(self.seed, int)  # __post_init__ replaced a generator by its entropy
            boot = summarise(draws, alpha=self.alpha, band=band, distribution=self.distribution,
                             seed=self.seed, clusters=n_clusters)
        return Uncertainty(boot.std_errors, pointwise, boot.critical_value,
                           f"multiplier bootstrap ({self.distribution}, {boot.reps} draws, seed "
                           f"{self.seed}), {n_clusters} clusters")
