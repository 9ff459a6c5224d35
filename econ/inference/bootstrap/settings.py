"""Typed settings of a wild cluster bootstrap, passed as one object wherever one runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from econ.data.seeds import DEFAULT_SEED, Seed, entropy
from econ.inference.resampling import DEFAULT_REPS, Distribution, check_distribution

Variant = Literal["11", "13", "31", "33"]
PValueRule = Literal["inclusive", "strict"]
VARIANTS: tuple[Variant, ...] = ("11", "13", "31", "33")


def _names(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)


@dataclass(frozen=True, kw_only=True)
class WildBootstrap:
    """Settings of a wild cluster bootstrap test (and its confidence interval).

    Parameters
    ----------
    reps
        Replications B; with Rademacher weights and ``2^G <= B`` all ``2^G`` sign patterns
        are used instead.
    distribution
        Weight distribution: ``"rademacher"``, ``"webb"`` (six-point, for very few clusters),
        ``"mammen"`` or ``"normal"``.
    variant
        ``"11"``, ``"13"``, ``"31"`` or ``"33"`` (MacKinnon, Nielsen and Webb 2023): first
        digit the DGP residuals (3 = jackknife), second the variance (3 = CV3).
    restricted
        Impose the null on the bootstrap DGP (WCR, recommended) or not (WCU).
    cluster
        CRVE cluster variable(s) of the bootstrap statistic; by default those of the result's
        cluster-robust covariance (CR1, CR2 or CR3). Several give multiway variances.
    bootstrap_cluster
        Variable(s) whose groups share a weight (several: their intersection). A finer variable
        than ``cluster`` gives the subcluster bootstrap. Default: the cluster variable, or
        with multiway clustering the dimension with the fewest clusters.
    seed
        An int or a ``numpy.random.Generator`` (one integer is drawn from it, here, so the
        settings record the seed actually used). Results are identical for a seed whatever
        ``chunk_size`` and ``threads``.
    ci_level
        Level of the confidence interval (one restriction), or ``None`` for none.
    chunk_size
        Replications processed at once (memory is O(chunk_size x G) per thread).
    threads
        Chunks processed in parallel. By default all cores for the general computation, and
        one thread (with BLAS's own threads for large products) for the usual one-restriction
        test, whose many small steps run faster on one.
    keep_draws
        Keep the bootstrap statistics in the result.
    pvalue_rule
        ``"inclusive"`` (default): draws at least as extreme as the observed statistic count,
        so under full enumeration the observed sample is one of the draws and the test is valid
        at any number of clusters (a symmetric p-value is never below ``2 / 2^G``);
        ``"strict"``: only more extreme draws count (wildboottest, fwildclusterboot), for
        comparisons. See :mod:`econ.inference.bootstrap.wild`.
    progress
        Show the replications done on standard error: ``None`` (default) on a terminal when the
        run lasts more than a second (never in a log, a test or a notebook), ``True`` always,
        ``False`` never (see :mod:`econ.inference.progress`). Results do not depend on it.

    Examples
    --------
    >>> WildBootstrap(reps=9999, distribution="webb", seed=7)
    >>> WildBootstrap(cluster="county_id", bootstrap_cluster="township_id")   # subcluster
    """

    reps: int = DEFAULT_REPS
    distribution: Distribution = "rademacher"
    variant: Variant = "11"
    restricted: bool = True
    cluster: tuple[str, ...] | None = None
    bootstrap_cluster: tuple[str, ...] | None = None
    seed: int = field(default=DEFAULT_SEED)
    ci_level: float | None = 0.95
    chunk_size: int = 16384
    threads: int | None = None
    keep_draws: bool = False
    pvalue_rule: PValueRule = "inclusive"
    progress: bool | None = None

    def __init__(self, *, reps: int = DEFAULT_REPS, distribution: Distribution = "rademacher",
                 variant: Variant = "11", restricted: bool = True,
                 cluster: str | Sequence[str] | None = None,
                 bootstrap_cluster: str | Sequence[str] | None = None,
                 seed: Seed = DEFAULT_SEED, ci_level: float | None = 0.95,
                 chunk_size: int = 16384, threads: int | None = None,
                 keep_draws: bool = False, pvalue_rule: PValueRule = "inclusive",
                 progress: bool | None = None) -> None:
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        check_distribution(distribution)
        for name, number in (("reps", reps), ("chunk_size", chunk_size)):
            if isinstance(number, bool) or not isinstance(number, int | np.integer):
                raise ValueError(f"{name} must be a whole number, got {number!r}")
        if reps < 1 or chunk_size < 1:
            raise ValueError(f"reps and chunk_size must be positive, got reps={reps}, "
                             f"chunk_size={chunk_size}")
        if pvalue_rule not in ("inclusive", "strict"):
            raise ValueError(f"pvalue_rule must be 'inclusive' or 'strict', got {pvalue_rule!r}")
        if progress is not None and not isinstance(progress, bool):
            raise ValueError(f"progress must be True, False or None, got {progress!r}")
        if ci_level is not None and not 0 < ci_level < 1:
            raise ValueError(f"ci_level must be in (0, 1) or None, got {ci_level}")
        values = {"reps": int(reps), "distribution": distribution, "variant": variant,
                  "restricted": bool(restricted), "cluster": _names(cluster),
                  "bootstrap_cluster": _names(bootstrap_cluster), "seed": entropy(seed),
                  "ci_level": ci_level, "chunk_size": int(chunk_size), "threads": threads,
                  "keep_draws": bool(keep_draws), "pvalue_rule": pvalue_rule,
                  "progress": progress}
        for name, value in values.items():
            object.__setattr__(self, name, value)
