"""Run a wild cluster bootstrap test of ``R b = r`` on a fitted model.

p-value rules. A bootstrap statistic within a relative 1e-10 of the observed one *ties* it.

- ``"inclusive"`` (the default): a draw counts against the null when it is at least as extreme
  as the observed statistic, ``|t*| >= |t|`` (symmetric), ``t* >= t`` (upper), ``t* <= t``
  (lower), ``W* >= W`` (joint). Under full enumeration of Rademacher weights the observed sample
  is one of the draws: the patterns ``v = +1`` and ``v = -1`` reproduce ``t`` and ``-t`` under
  the restricted bootstrap, so the symmetric p-value is never below ``2 / 2^G``, and the test has
  its nominal size at any G (with two clusters no test can reject at 5%).
- ``"strict"``: only draws more extreme count (``>`` and ``<``): the convention of the
  wildboottest package and fwildclusterboot, kept for comparisons. Under enumeration it is lower
  by the ties' share and can reach 0 with two or three clusters, where it over-rejects badly.

With random draws ties have probability zero and both rules agree.

Fixed effects nested in the bootstrap clusters (villages within townships) stay absorbed. Any
other fixed effect (years) is put back as dummy regressors before bootstrapping, so that the
bootstrap residuals are re-projected on it exactly; fixed effects not nested with more levels
than :func:`~econ.estimation.linear.dummy_limit` allows (2,000 dummies, fewer on large data:
they would not fit in memory) are refused.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import NormalDist
from typing import TypeVar, cast
from weakref import WeakKeyDictionary

import numpy as np

from econ.estimation import linear
from econ.estimation.absorb import fe_parameters
from econ.estimation.linear import (
    LinearFit,
    crossed_effects,
    too_many_levels,
    with_dummies,
)
from econ.inference.bootstrap.engine import (
    Compact,
    CrossProducts,
    Dimension,
    Problem,
    Scores,
    compact_applies,
    statistic,
    variance,
)
from econ.inference.bootstrap.settings import PValueRule, WildBootstrap
from econ.inference.corrections import DEFAULT, SmallSample
from econ.inference.covariance import ClusterSpec, CovarianceSpec, intersect, nested_k
from econ.inference.progress import Progress
from econ.inference.resampling import Distribution, stream
from econ.spec.design import Grouping

TIE = 1e-10
_T = TypeVar("_T")
VARIANTS = ("11", "13", "31", "33")
#: Draws x bootstrap clusters below which the general path runs on one thread by default.
_THREADED = 1_000_000
#: Weights held per piece of a block (replications x clusters), 256 MB: the draws' memory
#: whatever the number of clusters (with many clusters the products are large enough per
#: piece for BLAS to run near its peak).
_PIECE = 1 << 25


@dataclass(frozen=True, eq=False)
class BootstrapOutcome:
    """Numbers of a wild bootstrap test (wrapped for users by the results layer)."""

    statistic: float
    estimate: np.ndarray
    std_error: float
    draws: np.ndarray
    pvalues: dict[str, float]
    reps: int
    enumerated: bool
    ci: tuple[float, float] | None
    bootstrap_clusters: int
    dummies: tuple[str, ...]
    cluster: tuple[str, ...]
    bootstrap_cluster: tuple[str, ...]
    smallest_pvalue: float
    ci_mc_se: tuple[float, float] | None = None


def wild_bootstrap(
    fit: LinearFit,
    R: np.ndarray,
    r: np.ndarray,
    *,
    spec: CovarianceSpec,
    settings: WildBootstrap,
) -> BootstrapOutcome:
    """Test ``R b = r`` (``R`` over ``fit.names``) by the wild cluster bootstrap.

    The CRVE clusters are ``settings.cluster`` or, by default, those of ``spec`` (any
    :class:`~econ.inference.covariance.ClusterSpec`: CR1, CR2 or CR3), with ``spec``'s
    small-sample correction; the bootstrap clusters are chosen by :func:`bootstrap_dimension`.
    """
    cluster = crve_clusters(spec, settings)
    ssc = spec.ssc if isinstance(spec, ClusterSpec) else DEFAULT
    crve_groups = _groupings(fit, cluster, "cluster")
    boot_names = bootstrap_dimension(settings, crve_groups)
    boot_groupings = _groupings(fit, boot_names, "bootstrap_cluster")
    boot, G = _memo(fit, ("boot", boot_names), lambda: _dense(boot_groupings))
    names = fit.names
    fit, dummies = _nested_or_dummies(fit, boot, boot_names)
    R = _align(R, names, fit)
    crve = [fit.clusters[c].codes for c in cluster]
    variant, reps, chunk_size = settings.variant, settings.reps, settings.chunk_size
    restricted, ci_level = settings.restricted, settings.ci_level
    if variant[1] == "3" and (len(cluster) > 1 or not np.array_equal(crve[0], boot)):
        raise ValueError(f"variant {variant!r} uses the CV3 jackknife variance, which needs "
                         f"one-way clustering by the bootstrap cluster; use variant '11' or "
                         f"'31' for multiway or subcluster bootstraps")
    nested = crve[0] is boot
    dimensions = _memo(fit, ("dimensions", cluster, ssc, nested),
                       lambda: _dimensions(fit, crve, ssc, nested=nested))
    products = tuple(_cross_products(fit, boot_names, boot, G, name, d.codes)
                     for name, d in zip(_dimension_names(cluster), dimensions, strict=True))
    problem = Problem(products, fit.xtx_inv, R, G, dimensions, restricted=restricted,
                      variant=variant)
    q = R.shape[0]
    estimate = R @ fit.params
    observed_var = variance(problem.draw(problem.scores_at(fit.params), np.ones((G, 1)))[1])
    observed = float(statistic((estimate - r)[:, None], observed_var)[0])
    std_error = float(np.sqrt(observed_var[0, 0, 0])) if q == 1 else float("nan")

    draws_of = stream(settings.distribution, G, reps, settings.seed)
    at_null = problem.scores(r)
    invert = ci_level is not None and q == 1 and restricted
    step = std_error if np.isfinite(std_error) and std_error > 0 else 1.0
    slope = problem.scores(r + step) - at_null if invert else None
    draws = np.empty(draws_of.reps)
    pieces = np.empty((5, draws_of.reps)) if invert else None
    bar = Progress(f"wild bootstrap ({G} clusters)", draws_of.reps, show=settings.progress)
    if bar.active:
        # Smaller chunks so that the counter moves; the draws do not depend on the chunking.
        chunk_size = min(chunk_size, max(256, -(-draws_of.reps // 50)))

    signs = draws_of.enumerate or settings.distribution == "rademacher"
    compact = (Compact(problem, (at_null,) if slope is None else (at_null, slope), signs=signs)
               if compact_applies(problem) else None)

    def summed(v: np.ndarray) -> np.ndarray:
        """Compact's rows for weights ``v`` (clusters x draws) from cluster-by-draw arrays."""
        numerator, terms = problem.draw(at_null, v)
        if slope is not None:
            return _affine_pieces(problem, numerator, terms, slope, v)
        return np.vstack([numerator[0], variance(terms)[0, 0]])

    def run_block(block: int) -> None:
        # Each block writes only its own slice, so blocks may run on any thread in any order.
        for start, v in draws_of.pieces(block, max(32, min(chunk_size, _PIECE // G))):
            stop = start + len(v)
            assert compact is not None
            values, unsure = compact.evaluate(
                v, None if pieces is None else pieces[:, start:stop])
            if unsure.any():
                exact = summed(np.ascontiguousarray(v[unsure].T))
                values[:len(exact), unsure] = exact
            draws[start:stop] = statistic(values[:1], values[None, None, -3 if invert else 1])
            bar.advance(stop - start)

    def run(start: int) -> None:
        # Each chunk writes only its own slice, so chunks may run on any thread in any order.
        stop = min(start + chunk_size, draws_of.reps)
        v = draws_of.chunk(start, stop)
        numerator, terms = problem.draw(at_null, v, signs=signs)
        if pieces is not None and slope is not None:
            pieces[:, start:stop] = _affine_pieces(problem, numerator, terms, slope, v, signs)
            # a, the variance at the null, is summed as variance() sums it.
            draws[start:stop] = statistic(numerator, pieces[None, None, 2, start:stop])
        else:
            draws[start:stop] = statistic(numerator, variance(terms))
        bar.advance(stop - start)

    task, starts = ((run_block, range(draws_of.blocks)) if compact is not None
                    else (run, range(0, draws_of.reps, chunk_size)))
    workers = min(settings.threads or os.cpu_count() or 1, len(starts))
    if compact is not None and settings.threads is None:
        # Compact's blocks are many small numpy calls with the interpreter held between them:
        # on two cores one thread ran them faster than two (first calls on fresh fits, 1M rows,
        # G = 50: B = 9,999 5.0 vs 9.6 ms, 99,999 21 vs 24 ms, 999,999 0.125 vs 0.168 s), and
        # a large product spreads over BLAS's own threads.
        workers = 1
    elif settings.threads is None and draws_of.reps * G < _THREADED:
        # A small general-path test is over before a pool pays for itself (joint test on the
        # shipped panel, B = 9,999, G = 31: 27 ms on one thread, 31 ms on two); a large one is
        # not (joint test, 1M rows, B = 99,999, G = 50: 112 ms on two, 149 ms on one).
        workers = 1
    with bar:
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(task, starts))
        else:
            for start in starts:
                task(start)
    floor = smallest_pvalue(settings.distribution, G, draws_of.reps, draws_of.enumerate,
                            settings.pvalue_rule, restricted=restricted, variant=variant)
    pvalues = _pvalues(observed, draws, q, settings.pvalue_rule)
    ci = ci_mc_se = None
    if ci_level is not None and q == 1 and floor > 1 - ci_level:
        # No value of the coefficient can be rejected: the interval is the whole line.
        ci, ci_mc_se = (-np.inf, np.inf), (np.nan, np.nan)
    elif ci_level is not None and q == 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            if pieces is None:
                def interval(level: float) -> tuple[float, float]:
                    return _percentile_t(draws, estimate[0], std_error, level)
                ci = interval(ci_level)
            else:
                # One tally per side, kept across the three inversions (see _Tally).
                args = (pieces, estimate[0], r[0], step, std_error, settings.pvalue_rule,
                        not np.any(pieces[4] < 0))
                sides = (_Tally(*args), _Tally(*args))
                ci = _invert(sides, estimate[0], std_error, ci_level)
                found = ci

                def interval(level: float) -> tuple[float, float]:
                    # The ends at levels one Monte Carlo standard deviation away start here.
                    return _invert(sides, estimate[0], std_error, level, found)
            ci_mc_se = ((0.0, 0.0) if draws_of.enumerate
                        else interval_mc_se(interval, ci_level, draws_of.reps))
    return BootstrapOutcome(observed, estimate, std_error, draws, pvalues, draws_of.reps,
                            draws_of.enumerate, ci, G, dummies, cluster, boot_names, floor,
                            ci_mc_se)


def pvalue_mc_se(pvalue: float, reps: int, enumerated: bool = False) -> float:
    """Monte Carlo standard error of a bootstrap p-value, ``sqrt(p (1 - p) / B)``.

    The count of ``B`` independent draws as extreme as the observed statistic is binomial, so
    this is the spread of the p-value across seeds. It is 0 under full enumeration (no
    randomness) and ``nan`` for a missing p-value.
    """
    if enumerated:
        return 0.0
    if not np.isfinite(pvalue):
        return float("nan")
    return float(np.sqrt(pvalue * (1 - pvalue) / reps))


def interval_mc_se(interval: Callable[[float], tuple[float, float]], level: float,
                   reps: int) -> tuple[float, float]:
    """Monte Carlo standard errors of the ends of a bootstrap interval at ``level``.

    Each end is where the bootstrap p-value crosses ``alpha = 1 - level``: a quantile of the
    bootstrap distribution. The share of ``B`` draws beyond the true end is binomial with
    standard deviation ``s = sqrt(alpha (1 - alpha) / B)``, so the order statistics that can
    stand in for the end, one Monte Carlo standard deviation either way, are those of the
    levels ``level - s`` and ``level + s`` (the binomial order-statistic band of a bootstrap
    quantile; Efron and Tibshirani 1993, ch. 19; Davidson and MacKinnon 2000). Half the
    distance between the two intervals' ends is each end's Monte Carlo standard error;
    ``interval(level)`` recomputes the interval from the same draws.
    """
    alpha = 1 - level
    spread = float(np.sqrt(alpha * (1 - alpha) / reps))
    narrow = interval(max(level - spread, 0.5 / reps))
    wide = interval(min(level + spread, 1 - 0.5 / reps))
    low, high = (abs(w - n) / 2 if np.isfinite(w) and np.isfinite(n) else float("nan")
                 for n, w in zip(narrow, wide, strict=True))
    return float(low), float(high)


#: Cluster codes and cluster-level cross products of each fit: reused by every test on the same
#: fit, and dropped with the fit.
_PRODUCTS: WeakKeyDictionary[LinearFit, dict[tuple, object]] = WeakKeyDictionary()


def _memo(fit: LinearFit, key: tuple, make: Callable[[], _T]) -> _T:
    """``make()``, computed once per fit and ``key`` (kept with the fit, dropped with it):
    what reads every row is not read again by the next test on the same fit."""
    cache = _PRODUCTS.setdefault(fit, {})
    if key not in cache:
        cache[key] = make()
    return cast(_T, cache[key])


def _dense(groupings: list[Grouping]) -> tuple[np.ndarray, int]:
    """Dense codes of the intersection of ``groupings``, and their number."""
    if len(groupings) == 1:
        return groupings[0].codes, groupings[0].groups
    codes = intersect([g.codes for g in groupings])
    return codes, int(codes.max()) + 1


def _cross_products(fit: LinearFit, boot_names: tuple[str, ...], boot: np.ndarray, G: int,
                    dimension: tuple[str, ...], codes: np.ndarray) -> CrossProducts:
    return _memo(fit, ("products", boot_names, dimension),
                 lambda: CrossProducts.build(fit.X, fit.y, codes, boot, G))


def crve_clusters(spec: CovarianceSpec, settings: WildBootstrap) -> tuple[str, ...]:
    """The variables of the bootstrap statistic's CRVE: the settings', else the result's."""
    if settings.cluster is not None:
        return settings.cluster
    if isinstance(spec, ClusterSpec):
        return spec.by
    raise ValueError("the wild bootstrap needs cluster variables: this result's covariance is "
                     f"{type(spec).__name__}, not clustered; fit with cov=Cluster(...) (or "
                     f"CR2/CR3) or pass WildBootstrap(cluster=...)")


def bootstrap_dimension(settings: WildBootstrap, crve: list[Grouping]) -> tuple[str, ...]:
    """Variables whose groups share a bootstrap weight.

    ``settings.bootstrap_cluster`` when given (a finer one gives the subcluster bootstrap);
    otherwise the CRVE cluster (one-way) or, with multiway clustering, the dimension with the
    fewest clusters, as MacKinnon, Nielsen and Webb (2021) recommend.
    """
    if settings.bootstrap_cluster is not None:
        return settings.bootstrap_cluster
    if len(crve) > 1:
        return (crve[int(np.argmin([g.groups for g in crve]))].name,)
    return (crve[0].name,)


def _groupings(fit: LinearFit, names: tuple[str, ...], option: str) -> list[Grouping]:
    missing = [n for n in names if n not in fit.clusters]
    if missing:
        raise ValueError(
            f"{option} {missing}: the fit was not grouped by it. Grouping variables are resolved "
            f"once, when the model is fitted (rows where they are missing are dropped and "
            f"reported there): fit again with groups={missing} (or cov=Cluster(...) by it). "
            f"Grouped by: {sorted(fit.clusters) or 'nothing'}")
    found = [fit.clusters[n] for n in names]
    for g in found:
        if g.groups < 2:
            raise ValueError(f"{option} {g.name!r} has {g.groups} group in the estimation "
                             f"sample; the wild bootstrap needs at least 2")
    return found


def _dimension_names(cluster: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Cluster names of each CGM term, in the order :func:`_dimensions` builds them."""
    return [tuple(cluster[i] for i in subset) for size in range(1, len(cluster) + 1)
            for subset in itertools.combinations(range(len(cluster)), size)]


def _nested_or_dummies(fit: LinearFit, boot: np.ndarray, boot_names: tuple[str, ...]
                       ) -> tuple[LinearFit, tuple[str, ...]]:
    """``fit``, or its refit with the fixed effects not nested in the bootstrap clusters
    ``boot`` (the groups of ``boot_names``) as dummies, and the names of those fixed effects;
    both cached with the fit (the nesting check reads every row)."""
    outside = _memo(fit, ("crossed", boot_names), lambda: crossed_effects(fit, boot))
    if not outside:
        return fit, ()
    too_many = too_many_levels(fit, outside)
    if too_many:
        raise ValueError(
            f"fixed effect(s) {too_many} are not nested in the bootstrap clusters {boot_names} "
            f"and have too many levels to refit as dummies (at most "
            f"{linear.dummy_limit(fit.nobs):,} columns on {fit.nobs:,} rows): the wild bootstrap "
            f"cannot absorb them correctly. Bootstrap by a coarser cluster that contains them "
            f"(WildBootstrap(bootstrap_cluster=...)), or include them as regressors")
    return _memo(fit, ("refit", outside),
                 lambda: _one_way_refit(fit, outside) or with_dummies(fit, outside)), outside


def _one_way_refit(fit: LinearFit, outside: tuple[str, ...]) -> LinearFit | None:
    """:func:`~econ.estimation.linear.with_dummies` for the common case, in a few passes.

    Two fixed effects, one crossing the bootstrap clusters (years) and one kept (villages),
    no weights, no varying slopes, no regressor dropped: the refit absorbs one fixed effect,
    which is subtracting its group means, exactly, and its dummies' group means are their
    shares in each group. The regressors, then the dummies (first level left out, as there),
    and the least squares solution from ``X'X``, which here is well conditioned (else
    ``None``, and the generic refit decides what to drop). At 6.5 million rows the generic
    refit's QR decomposition of ``n x k`` took most of a minute.
    """
    if (fit.weights is not None or fit.slopes or len(outside) != 1 or len(fit.fe_names) != 2
            or fit.dropped_coefficients):
        return None
    design = fit.design
    which = fit.fe_names.index(outside[0])
    crossed, kept = fit.fe_codes[which], fit.fe_codes[1 - which]
    levels, groups = int(crossed.max()) + 1, int(kept.max()) + 1
    counts = np.bincount(kept * levels + crossed, minlength=groups * levels).reshape(groups,
                                                                                      levels)
    sizes = counts.sum(axis=1)

    def within(x: np.ndarray) -> np.ndarray:
        # (np.take: several times faster than indexing with an array of rows.)
        return x - np.take(np.bincount(kept, weights=x, minlength=groups) / sizes, kept)

    k = len(fit.names)
    X = np.empty((len(kept), k + levels - 1), order="F")
    for j, name in enumerate(fit.names):
        X[:, j] = within(np.take(design.X[:, design.names.index(name)], fit.sample))
    shares = np.ascontiguousarray((counts / sizes[:, None]).T)
    for level in range(1, levels):
        np.subtract(crossed == level, np.take(shares[level], kept), out=X[:, k + level - 1])
    y = within(np.take(design.y[:, design.formula.outcomes.index(fit.outcome)], fit.sample))
    xtx = X.T @ X
    if np.linalg.cond(xtx) > 1e10:
        return None
    xtx_inv = np.linalg.inv(xtx)
    params = xtx_inv @ (X.T @ y)
    names = fit.names + tuple(f"{outside[0]}[{level}]" for level in range(1, levels))
    return dataclasses.replace(
        fit, names=names, params=params, X=X, y=y, residuals=y - X @ params, xtx_inv=xtx_inv,
        fe_names=(fit.fe_names[1 - which],), fe_codes=(kept,), fe_params=fe_parameters([kept]),
        tss_within=float(y @ y))


def _align(R: np.ndarray, names: tuple[str, ...], fit: LinearFit) -> np.ndarray:
    """``R`` over the coefficients ``names`` placed on ``fit``'s coefficients by name.

    A dummy refit keeps the original coefficients but not always at their positions: a
    regressor the crossed fixed effect had absorbed comes back, and a dummy goes instead.
    """
    if names == fit.names:
        return R
    aligned = np.zeros((R.shape[0], len(fit.names)))
    aligned[:, [fit.names.index(n) for n in names]] = R
    return aligned


def _dimensions(fit: LinearFit, crve: list[np.ndarray], ssc: SmallSample, *, nested: bool
                ) -> tuple[Dimension, ...]:
    """The terms of the CRVE; ``nested`` when the first cluster variable is the bootstrap
    cluster, in which every fixed effect left absorbed is nested (the others were refit as
    dummies), which spares the check."""
    n = fit.nobs
    k = (ssc.k(len(fit.names), fit.fe_params, sum(int(c.max()) + 1 for c in fit.fe_codes),
               len(fit.fe_codes)) if nested else nested_k(fit, crve, ssc))
    sizes = [int(c.max()) + 1 for c in crve]
    dims = []
    for size in range(1, len(crve) + 1):
        for subset in itertools.combinations(range(len(crve)), size):
            codes = intersect([crve[i] for i in subset])
            groups = int(codes.max()) + 1
            g_adj = min(sizes) if ssc.cluster_df == "min" else groups
            dims.append(Dimension(codes, groups, (-1.0) ** (size + 1),
                                  ssc.cluster_scale(g_adj) * ssc.scale(n, k)))
    return tuple(dims)


def _affine_pieces(problem: Problem, numerator: np.ndarray, terms, slope: Scores,
                   v: np.ndarray, signs: bool = False) -> np.ndarray:
    """Per draw: N0, N1 and the quadratic coefficients a, b, c of the variance in t.

    Each coefficient is summed over clusters in order and then weighted per term, as
    :func:`~econ.inference.bootstrap.engine.variance` sums the variance, so ``a`` is the
    variance at the null bit for bit (``terms`` and the slope's drawn alike: ``signs``, see
    :meth:`~econ.inference.bootstrap.engine.Problem.draw`).
    """
    n1, slope_terms = problem.draw(slope, v, signs=signs)
    coefficients = None
    scratch = np.empty(v.shape[1])
    for (w, z), (_, z1) in zip(terms, slope_terms, strict=True):
        sums = np.zeros((3, v.shape[1]))
        for h in range(z.shape[0]):  # summed in order: see engine.fixed_order_dot
            for row, (left, right) in enumerate(((z[h, 0], z[h, 0]), (z[h, 0], z1[h, 0]),
                                                 (z1[h, 0], z1[h, 0]))):
                np.multiply(left, right, out=scratch)
                sums[row] += scratch
        coefficients = w * sums if coefficients is None else coefficients + w * sums
    assert coefficients is not None, "the variance has at least one term"
    return np.vstack([numerator[0], n1[0], coefficients])


def _counted(draws: np.ndarray, observed: float | np.ndarray, rule: PValueRule
             ) -> np.ndarray:
    """Draws that count against the null: at least as large as ``observed`` (inclusive) or
    larger (strict), ties being within a relative :data:`TIE` (``observed`` broadcast
    against ``draws``)."""
    tie = TIE * np.maximum(np.abs(observed), 1e-300)
    return draws >= observed - tie if rule == "inclusive" else draws > observed + tie


def _pvalues(observed: float, draws: np.ndarray, q: int, rule: PValueRule) -> dict[str, float]:
    finite = draws[np.isfinite(draws)]
    if q > 1:
        return {"wald": float(np.mean(_counted(finite, observed, rule)))}
    upper = float(np.mean(_counted(finite, observed, rule)))
    lower = float(np.mean(_counted(-finite, -observed, rule)))
    return {
        "symmetric": float(np.mean(_counted(np.abs(finite), abs(observed), rule))),
        "equal_tailed": min(1.0, 2 * min(upper, lower)),
        "upper": upper,
        "lower": lower,
    }


def smallest_pvalue(distribution: Distribution, clusters: int, reps: int, enumerated: bool,
                    rule: PValueRule, *, restricted: bool = True, variant: str = "11") -> float:
    """The smallest symmetric (or Wald) p-value the test can give, in expectation.

    A weight vector ``v`` and any multiple ``c v`` give the same statistic, so every constant
    pattern (``v_g = c`` for all g, one per point ``c`` of a discrete weight distribution)
    reproduces the observed ``|t|``. With the inclusive rule they always count: under
    enumeration ``2 / 2^G``; with random draws from a distribution with ``k`` points, the
    constant patterns' share ``k^(1 - G)`` (Webb with G = 2: 1/6), at least one draw's
    ``1 / B``. The strict rule can give 0, and so can the unrestricted bootstrap (its observed
    pattern gives ``t* = 0``, not ``t``) and the jackknife DGP of variants 31 and 33 (whose
    constant patterns do not reproduce ``t`` exactly).
    """
    if rule == "strict" or not restricted or variant[0] == "3":
        return 0.0
    if enumerated:
        return 2 / reps
    points = {"rademacher": 2, "mammen": 2, "webb": 6}.get(distribution)
    constant = 0.0 if points is None else float(points) ** (1 - clusters)
    return max(1 / reps, constant)


class _Tally:
    """Draws counted against the null at a value ``r`` of the coefficient, for the inversion.

    The bootstrap statistic of each draw is affine over quadratic in ``t = (r - r0) / step``
    (``pieces``: N0, N1, a, b, c), so its status at any ``r`` costs O(B). Once the bisection
    has a bracket, :meth:`narrow` bounds each draw's statistic and the observed one over it:
    draws whose status cannot change there are counted once, and only the others, a share of
    B that shrinks with the bracket, are evaluated at values within it. The bounds are
    conservative, so the counts, hence the p-values and the interval, are those of evaluating
    every draw. Every narrowing is kept: a later one starts from the smallest that holds
    over its values, so searches near the same end (the Monte Carlo error's intervals) start
    from the draws the first search had left near it."""

    def __init__(self, pieces: np.ndarray, estimate: float, r0: float, step: float, se: float,
                 rule: PValueRule, convex: bool | None = None) -> None:
        self.pieces, self.estimate, self.r0, self.step, self.se = pieces, estimate, r0, step, se
        self.rule = rule
        # (low, high, draws still evaluated, (counted, finite) among the others): the current
        # narrowing and all so far; (low, high) is where each holds.
        self.state: _Narrowed | None = None
        self.kept: list[_Narrowed] = []
        # No c below 0 (none is, but for multiway variances' negative terms; NaN is left
        # undecided either way): then _decide needs no test of it per draw.
        self.convex = not np.any(pieces[4] < 0) if convex is None else convex

    def status(self, value: float, pieces: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Per draw: counted against the null at ``value``, and finite."""
        t = (value - self.r0) / self.step
        n0, n1, a, b, c = self.pieces if pieces is None else pieces
        # (Under np.errstate(invalid="ignore", divide="ignore"), set by the caller.)
        star = np.abs(n0 + t * n1) / np.sqrt(np.maximum(a + 2 * b * t + c * t * t, 0.0))
        finite = np.isfinite(star)
        observed = abs(self.estimate - value) / self.se
        return _counted(star, observed, self.rule) & finite, finite

    def pvalue(self, value: float) -> float:
        state = self.state
        if state is None or not state.low <= value <= state.high:
            state = self._parent(value, value)
        if state is None:
            counted, finite = self.status(value)
            extra = (0, 0)
        else:
            counted, finite = self.status(value, state.pieces)
            extra = state.fixed
        total = int(np.count_nonzero(finite)) + extra[1]
        if total == 0:
            return float("nan")
        return (int(np.count_nonzero(counted)) + extra[0]) / total

    def pvalues(self, values: np.ndarray) -> np.ndarray | None:
        """:meth:`pvalue` at each of ``values`` at once (the same numbers), if all lie where
        the current narrowing holds; else ``None``."""
        state = self.state
        if state is None or not (state.low <= values.min() and values.max() <= state.high):
            return None
        t = ((values - self.r0) / self.step)[:, None]
        n0, n1, a, b, c = state.pieces
        star = np.abs(n0 + t * n1) / np.sqrt(np.maximum(a + 2 * b * t + c * t * t, 0.0))
        finite = np.isfinite(star)
        counted = _counted(star, (np.abs(self.estimate - values) / self.se)[:, None],
                           self.rule) & finite
        return ((np.count_nonzero(counted, axis=1) + state.fixed[0])
                / (np.count_nonzero(finite, axis=1) + state.fixed[1]))

    def subset_size(self) -> int:
        return self.pieces.shape[1] if self.state is None else len(self.state.rows)

    def narrow(self, inside: float, outside: float) -> None:
        """From now on evaluate, between ``inside`` and ``outside``, only the draws whose
        status may change there.

        Over the bracket ``|N0 + t N1|`` lies between its smallest end (0 if it changes sign)
        and its largest, the variance between its tangent at the middle (a lower bound of the
        convex quadratic) and its largest end, the observed ``|t|`` between its ends: a draw
        whose smallest statistic exceeds the largest threshold is counted throughout, one whose
        largest falls short of the smallest is never counted. A relative margin of 1e-9 keeps
        the rounding of these bounds from deciding a draw.
        """
        low, high = sorted((inside, outside))
        parent = self._parent(low, high)
        if parent is not None and (parent.low, parent.high) == (low, high):
            self.state = parent
            return
        pieces = self.pieces if parent is None else parent.pieces
        bounds = self._bounds(low, high)
        local_parts, kept, counted = [], [], 0
        # In slices of draws whose temporaries, and the undecided draws' pieces, are still in
        # cache when gathered.
        for start in range(0, pieces.shape[1], _SLICE):
            part = pieces[:, start:start + _SLICE]
            always, undecided = _decide(part, *bounds, convex=self.convex)
            kept.append(np.take(part, undecided, axis=1))
            local_parts.append(undecided + start)
            counted += always
        local = np.concatenate(local_parts)
        fixed = (counted, pieces.shape[1] - len(local))
        rows = local
        if parent is not None:
            rows = parent.rows[local]
            fixed = (fixed[0] + parent.fixed[0], fixed[1] + parent.fixed[1])
        self.state = _Narrowed(low, high, rows, fixed, np.concatenate(kept, axis=1))
        self.kept.append(self.state)

    def _parent(self, low: float, high: float) -> _Narrowed | None:
        """The narrowing with the fewest draws that holds over the values, if any."""
        return min((s for s in self.kept if s.low <= low <= high <= s.high),
                   key=lambda s: len(s.rows), default=None)

    def _bounds(self, low: float, high: float) -> tuple[float, float, float, float]:
        """:func:`_decide`'s arguments for the values ``low`` .. ``high``: the ends in ``t``
        and the squared thresholds' extremes (see :meth:`narrow`)."""
        t1, t2 = sorted(((low - self.r0) / self.step, (high - self.r0) / self.step))
        observed = sorted(abs(self.estimate - v) / self.se for v in (low, high))
        if low <= self.estimate <= high:
            observed[0] = 0.0
        tie = 1 - TIE if self.rule == "inclusive" else 1 + TIE
        margin = 1 + 1e-9
        # Squared: statistic above the threshold iff numerator^2 > threshold^2 x variance.
        return t1, t2, (observed[0] * tie / margin) ** 2, (observed[1] * tie * margin) ** 2

    def reset(self) -> None:
        """Forget which narrowing is current (all stay kept)."""
        self.state = None


def _decide(pieces: np.ndarray, t1: float, t2: float, lowest: float, highest: float,
            convex: bool) -> tuple[int, np.ndarray]:
    """The number of draws counted throughout ``[t1, t2]``, and the positions of the draws
    undecided there (see :meth:`_Tally.narrow`), given the squared thresholds' extremes;
    ``convex`` when every ``c`` is known to be at least 0 (else the draws with ``c < 0`` stay
    undecided)."""
    n0, n1, a, b, c = pieces
    middle, half = (t1 + t2) / 2, (t2 - t1) / 2
    # In place, in few temporaries: this runs over every draw twice per interval. Near an
    # end most draws are never counted, so that test, the cheaper, runs first over all of
    # them and the other over the rest.
    # |N0 + t N1| is |e| -/+ d at most, and at least 0.
    e = n1 * middle
    e += n0
    np.abs(e, out=e)
    d = np.abs(n1)
    d *= half
    # The variance a + 2 b t + c t^2 is v at the middle with slope 2 g there: its largest
    # value is at an end, and, with c >= 0 (a sum of squares), it lies above its tangent.
    g = c * middle
    g += b
    v = b + g
    v *= middle
    v += a
    np.abs(g, out=g)
    g *= 2 * half  # the tangent's spread over the bracket
    var_low = v - g
    num_high = e + d
    num_high *= num_high
    bound = var_low * lowest
    # (A variance bound at or below 0 never satisfies this, as lowest >= 0; NaN anywhere
    # leaves a draw undecided, every comparison with it being false.)
    never = num_high < bound
    if not convex:
        never &= ~(c < 0)
    rest = np.flatnonzero(~never)
    e, d, g, v, var_low = e[rest], d[rest], g[rest], v[rest], var_low[rest]
    v += g
    v += c[rest] * (half * half)  # the largest variance
    e -= d
    np.maximum(e, 0.0, out=e)
    e *= e  # the smallest numerator, squared
    v *= highest
    always = e > v
    always &= var_low > 0
    if not convex:
        always &= ~(c[rest] < 0)
    return int(np.count_nonzero(always)), rest[~always]


#: Draws narrowed at once (their temporaries about 256 kB each).
_SLICE = 1 << 15


@dataclass(frozen=True)
class _Narrowed:
    low: float
    high: float
    rows: np.ndarray
    fixed: tuple[int, int]
    pieces: np.ndarray


#: Draws still evaluated at each midpoint above which the bisection narrows them again.
_NARROW = 256
#: Draws still evaluated at or below which the bisection ends in Python floats.
_SCALAR = 8
#: Draws whose interval guesses where a larger number's ends lie (see _invert).
_PILOT = 4096


def _pilot_ends(tallies: tuple[_Tally, ...], estimate: float, se: float, level: float
                ) -> tuple[float, float]:
    """The ends from the first :data:`_PILOT` draws: within a few hundredths of a standard
    error of the ends from all, a guess to start from (the ends are still those of all)."""
    pilots = tuple(_Tally(t.pieces[:, :_PILOT], t.estimate, t.r0, t.step, t.se, t.rule,
                          t.convex) for t in tallies)
    # Their search starts from the percentile-t interval of the same draws at the null, the
    # ends' usual guess, which the search moves from as far as needed (with few clusters
    # half a standard error); doubling out from the estimate took several more evaluations.
    with np.errstate(invalid="ignore", divide="ignore"):
        n0, _, a, _, _ = pilots[0].pieces
        star = np.abs(n0) / np.sqrt(a)
    star = star[np.isfinite(star)]
    if len(star) == 0:
        return _invert((pilots[0], pilots[1]), estimate, se, level, tolerance=1e-2)
    half = float(np.quantile(star, level)) * se
    # (Their Monte Carlo error is about 0.03 standard errors: a hundredth is close enough.)
    return _invert((pilots[0], pilots[1]), estimate, se, level,
                   (estimate - half, estimate + half), 0.25 * se, tolerance=1e-2)


def _reach(level: float, draws: int, se: float) -> float:
    """How far the ends from ``draws`` draws may lie from where infinitely many put them,
    and the ends at the levels :func:`interval_mc_se` visits from the ends at ``level``:
    four times the binomial standard deviation of the level over the density of the p-value
    at the end, which for a roughly normal statistic is ``2 phi(z_{1 - alpha / 2}) / se``."""
    alpha = 1 - level
    z = NormalDist().inv_cdf(1 - alpha / 2)
    density = 2 * NormalDist().pdf(z) / se
    return float(4 * np.sqrt(alpha * (1 - alpha) / draws) / density)


def _invert(tallies: tuple[_Tally, _Tally], estimate: float, se: float, level: float,
            near: tuple[float, float] | None = None, reach: float | None = None,
            tolerance: float = 1e-10) -> tuple[float, float]:
    """The values ``r`` whose symmetric p-value exceeds ``1 - level``: bracket, then bisect.

    ``tallies`` count the draws below and above the estimate. ``near``, guesses of the ends
    within about ``reach`` (by default :func:`_reach` of all the draws: the ends at a nearby
    level, as the Monte Carlo error's intervals are one binomial standard deviation of the
    level away), starts each bracket there instead of at the estimate, with steps of a
    quarter of ``reach``: the same ends, found with fewer evaluations. Without ``near``, the
    ends of the first :data:`_PILOT` draws serve when there are many. The bisection stops at
    a bracket of ``tolerance`` standard errors.
    """
    alpha = 1 - level
    draws = tallies[0].pieces.shape[1]
    if near is None and draws >= 4 * _PILOT:
        near, reach = _pilot_ends(tallies, estimate, se, level), _reach(level, _PILOT, se)
    reach = _reach(level, draws, se) if reach is None else reach
    bounds = []
    for tally, direction, start in zip(tallies, (-1.0, 1.0),
                                       near if near is not None else (np.nan, np.nan),
                                       strict=True):
        tally.reset()
        if np.isfinite(start):
            # The end at a nearby level is within a fraction of a standard error: the draws
            # that can change status there, a small share, serve the whole search.
            tally.narrow(start - reach, start + reach)
            inside, outside = _bracket_near(tally, estimate, start, direction, se, alpha,
                                            reach / 4)
        else:
            inside, outside = _bracket(tally, estimate, direction, se, alpha)
        if outside is None:
            bounds.append(direction * np.inf)
            continue
        # The p-value is a step function of r: stop once the bracket is far below the
        # resolution any reported digit needs.
        while abs(outside - inside) > tolerance * se:
            state = tally.state
            if (state is None or not state.low <= min(inside, outside)
                    or not max(inside, outside) <= state.high
                    or tally.subset_size() > _NARROW):
                tally.narrow(inside, outside)
            elif tally.subset_size() <= _SCALAR:
                inside, outside = _bisect_scalar(tally, inside, outside, alpha,
                                                 tolerance * se)
                break
            else:
                inside, outside, stuck = _bisect_levels(tally, inside, outside, alpha,
                                                        tolerance * se)
                if stuck:
                    break
                # 64 times narrower: most of these draws are decided there.
                tally.narrow(inside, outside)
                continue
            middle = (inside + outside) / 2
            if middle in (inside, outside):
                break
            if tally.pvalue(middle) > alpha:
                inside = middle
            else:
                outside = middle
        bounds.append((inside + outside) / 2)
    return bounds[0], bounds[1]


def _bisect_scalar(tally: _Tally, inside: float, outside: float, alpha: float, stop: float
                   ) -> tuple[float, float]:
    """The rest of :func:`_invert`'s bisection over a narrowing of a few draws, in Python
    floats: each p-value from the same operations, in the same order, as
    :meth:`_Tally.status` and :meth:`_Tally.pvalue` (hence the same decisions and bracket),
    without numpy's cost per call on arrays of a few values."""
    state = tally.state
    assert state is not None and state.low <= min(inside, outside)
    assert max(inside, outside) <= state.high
    draws = list(zip(*(row.tolist() for row in state.pieces), strict=True))
    fixed_counted, fixed_finite = state.fixed
    inclusive = tally.rule == "inclusive"
    while abs(outside - inside) > stop:
        middle = (inside + outside) / 2
        if middle in (inside, outside):
            break
        t = (middle - tally.r0) / tally.step
        observed = abs(tally.estimate - middle) / tally.se
        tie = TIE * max(abs(observed), 1e-300)
        counted, finite = fixed_counted, fixed_finite
        for n0, n1, a, b, c in draws:
            var = a + 2 * b * t + c * t * t
            # np.maximum(var, 0): NaN stays NaN, -0.0 becomes 0.0.
            root = math.sqrt(var if var > 0.0 or var != var else 0.0)
            top = abs(n0 + t * n1)
            if root != 0.0:
                star = top / root
            else:  # as numpy divides: inf, or NaN for 0 / 0 and NaN / 0
                star = math.inf if top > 0.0 else math.nan
            if math.isfinite(star):
                finite += 1
                counted += star >= observed - tie if inclusive else star > observed + tie
        if finite and counted / finite > alpha:
            inside = middle
        else:
            outside = middle
    return inside, outside


def _bisect_levels(tally: _Tally, inside: float, outside: float, alpha: float, stop: float,
                   levels: int = 6) -> tuple[float, float, bool]:
    """``levels`` steps of :func:`_invert`'s bisection with one evaluation of the p-values.

    The midpoints the next steps can visit form a binary tree, computed as the bisection
    computes them; their p-values come from one call (:meth:`_Tally.pvalues`), and the walk
    down the tree takes the bisection's decisions: the same bracket as step by step. Returns
    the bracket and whether the midpoint stopped moving.
    """
    brackets, middles = [(inside, outside)], []
    for node in range(2**levels - 1):
        low, high = brackets[node]
        middle = (low + high) / 2
        middles.append(middle)
        brackets += [(middle, high), (low, middle)]
    pvalues = tally.pvalues(np.array(middles))
    node = 0
    for _ in range(levels):
        if abs(outside - inside) <= stop:
            break
        middle = middles[node]
        if middle in (inside, outside):
            return inside, outside, True
        accepted = (pvalues[node] if pvalues is not None else tally.pvalue(middle)) > alpha
        if accepted:
            inside, node = middle, 2 * node + 1
        else:
            outside, node = middle, 2 * node + 2
    return inside, outside, False


def _bracket(tally: _Tally, estimate: float, direction: float, se: float, alpha: float
             ) -> tuple[float, float | None]:
    """An accepted and a rejected value on one side, doubling from one standard error."""
    inside, distance = estimate, se
    # Beyond a billion standard errors the bound is taken as infinite: there the bootstrap
    # variance is dominated by rounding and the p-value is no longer reliable.
    for _ in range(31):
        candidate = estimate + direction * distance
        if tally.pvalue(candidate) <= alpha:
            return inside, candidate
        inside, distance = candidate, distance * 2
    return inside, None


def _bracket_near(tally: _Tally, estimate: float, start: float, direction: float, se: float,
                  alpha: float, distance: float) -> tuple[float, float | None]:
    """Like :func:`_bracket`, from ``start``: steps of ``distance``, doubling, outward while
    accepted or inward (never past the estimate) while rejected."""
    if tally.pvalue(start) > alpha:
        inside = start
        while abs(inside - estimate) < 2**30 * se:
            candidate = inside + direction * distance
            if tally.pvalue(candidate) <= alpha:
                return inside, candidate
            inside, distance = candidate, distance * 2
        return inside, None
    outside = start
    while True:
        candidate = outside - direction * distance
        if direction * (candidate - estimate) <= 0:
            return estimate, outside
        if tally.pvalue(candidate) > alpha:
            return candidate, outside
        outside, distance = candidate, distance * 2


def _percentile_t(draws: np.ndarray, estimate: float, se: float, level: float
                  ) -> tuple[float, float]:
    """Unrestricted (WCU) studentized interval: estimate -/+ the level quantile of |t*| x se."""
    finite = np.abs(draws[np.isfinite(draws)])
    half = float(np.quantile(finite, level)) * se
    return estimate - half, estimate + half
