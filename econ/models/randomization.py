"""``econ.randomization_inference``: p-values from reassigning a cluster-level treatment.

With a handful of clusters, cluster-robust t-tests over-reject. When the treatment was
assigned to whole clusters (townships, counties), the assignment itself gives a test of the
sharp null of no effect: reassign the clusters' treatment values as the design could have,
refit, and see where the observed statistic falls among those of the other assignments. With
all distinct assignments enumerated the p-value is exact.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations, product
from typing import Literal, get_args

import numpy as np
import pandas as pd

from econ.data.codes import group_codes, varying_groups
from econ.data.dataset import Dataset
from econ.data.seeds import DEFAULT_SEED, Seed, entropy
from econ.estimation.absorb import absorbed
from econ.estimation.linear import EstimationWarning
from econ.inference.covariance import ClusterSpec, CovarianceSpec, FewClustersWarning
from econ.inference.resampling import permutations
from econ.models.feols import feols
from econ.results.randomization import RandomizationTest
from econ.results.regression import RegressionResult
from econ.spec.design import build
from econ.spec.formula import Formula, parse

Statistic = Literal["coefficient", "t"]
STATISTICS: tuple[str, ...] = get_args(Statistic)

#: Relative gap below which ``|T*|`` and ``|T|`` count as tied, so that an assignment whose
#: statistic equals the observed one in exact arithmetic (its mirror image, say) is counted as
#: at least as extreme whatever the rounding of the two fits.
RELATIVE_TIE = 1e-9

#: Relative norm of the term's column, once partialled off the other regressors, under which
#: an assignment is refitted instead of partialled: far above the fit's own collinearity
#: threshold, so the shortcut is never taken where a refit could drop a regressor.
NEAR_COLLINEAR = 1e-6


@dataclass(frozen=True, eq=False)
class _Clusters:
    """The assignment being reassigned: clusters, their treatment values and strata.

    ``codes`` gives each row's cluster (``0 .. G - 1``); ``values`` each cluster's treatment
    value, in the column's own dtype; ``kinds`` an integer code per distinct value, and
    ``strata`` a stratum code per cluster.
    """

    codes: np.ndarray
    values: pd.api.extensions.ExtensionArray
    kinds: np.ndarray
    strata: np.ndarray

    def column(self, source: np.ndarray) -> pd.api.extensions.ExtensionArray:
        """The treatment column when cluster ``g`` receives the value of cluster
        ``source[g]``."""
        return self.values.take(source[self.codes])


def randomization_inference(
    formula: str,
    data: Dataset | pd.DataFrame,
    *,
    term: str,
    treatment: str,
    cluster: str,
    strata: str | None = None,
    statistic: Statistic = "coefficient",
    cov: CovarianceSpec | None = None,
    weights: str | None = None,
    reps: int = 999,
    seed: Seed = DEFAULT_SEED,
    keep_draws: bool = False,
) -> RandomizationTest:
    """Randomization inference for a coefficient when treatment was assigned by cluster.

    Each assignment gives the clusters' treatment values to the clusters in another order
    (within strata, when given); the ``treatment`` column is replaced accordingly and the
    model refitted with :func:`~econ.feols`, and the statistic of ``term`` recorded. When the
    number of distinct assignments is at most ``reps`` all of them are enumerated and the
    p-value is exact; otherwise ``reps`` random permutations are drawn.

    Parameters
    ----------
    formula
        A one-outcome :func:`~econ.feols` formula using the ``treatment`` column itself (for
        a DiD, ``"y ~ treated:post | village_id + year"``, not a precomputed product, which
        the reassignment would leave unchanged).
    data
        A :class:`~econ.Dataset` or a DataFrame. Every row needs its cluster, treatment and
        stratum; the clusters are those of all its rows.
    term
        The coefficient tested, e.g. ``"treated:post"``.
    treatment
        Column constant within each cluster: the assignment that is reassigned.
    cluster
        Column of the unit of assignment (e.g. ``"township_id"``).
    strata
        Column constant within clusters; values are reassigned only among clusters of the
        same stratum (e.g. ``"county_id"`` when each county assigned its own townships).
    statistic
        ``"coefficient"`` (default) or ``"t"``, the coefficient over its standard error
        under ``cov``.
    cov
        Covariance of the t statistic (default ``IID()``); also passed to every fit, so that
        rows missing a cluster variable of ``cov`` are left out of every fit alike.
    weights
        Column of observation weights (WLS).
    reps
        Enumerate when the distinct assignments are at most this many; otherwise the number
        of random permutations.
    seed
        Seed of the permutations, an ``int`` or a :class:`numpy.random.Generator` (read once);
        permutation ``b`` depends only on the seed and ``b``.
    keep_draws
        Keep the reference statistics in the result's ``draws``.

    Returns
    -------
    RandomizationTest
        ``pvalue``, ``smallest_p``, ``assignments``, ``tidy()`` and ``summary()``.

    Raises
    ------
    ValueError
        If the treatment or strata are not constant within clusters, a cluster, treatment or
        stratum is missing, the formula does not use the treatment or has several outcomes,
        or an assignment changes which regressors are identified.
    KeyError
        If ``term`` is not a coefficient of the fitted model.

    Notes
    -----
    For the coefficient of a model linear in a numeric treatment whose other columns do not
    move with it (``y ~ treated:post + controls | FE``, the usual case), the coefficient
    under every assignment comes from one partialling of the term's per-cluster pieces
    instead of a refit (``engine="partialled"`` in the result; equal to a refit up to
    rounding). Every other case is refitted.
    """
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {STATISTICS}, got {statistic!r}")
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer) or reps < 1:
        raise ValueError(f"reps must be a positive integer, got {reps!r}")
    resolved = entropy(seed)
    frame = data.data if isinstance(data, Dataset) else data
    parsed = parse(formula)
    if treatment not in parsed.columns:
        raise ValueError(f"treatment {treatment!r} is not used by {formula!r}: reassigning it "
                         f"would change nothing (write products such as {treatment}:post in "
                         f"the formula rather than as precomputed columns)")
    design = _clusters(frame, treatment, cluster, strata)
    by = cov.by if isinstance(cov, ClusterSpec) else ()
    used = list(dict.fromkeys([*parsed.columns, *([weights] if weights else []), *by]))
    # A private copy of the columns the fits read: its treatment column is overwritten in turn.
    sample = frame[[c for c in used if c in frame.columns]].copy()
    observed = _fit(formula, sample, cov, weights)
    if term not in observed.names:
        dropped = observed.dropped_coefficients.get(term)
        raise KeyError(f"no coefficient {term!r} in {formula!r}"
                       + (f" (dropped: {dropped})" if dropped else "")
                       + f"; coefficients: {list(observed.names)}")
    value = _statistic(observed, term, statistic)
    count = _assignments(design.kinds, design.strata)
    enumerated = count <= reps
    sources = (np.array(list(_enumerate(design.kinds, design.strata))) if enumerated
               else permutations(design.strata, resolved, 0, reps))
    draws = (_partialled(observed, parsed, sample, design, treatment, term, weights, by,
                         sources) if statistic == "coefficient" else None)
    engine = "refit" if draws is None else "partialled"
    if draws is None:
        draws = _refits(observed, formula, sample, design, treatment, term, statistic, cov,
                        weights, sources)
    threshold = abs(value) * (1 - RELATIVE_TIE)
    extreme = int((np.abs(draws) >= threshold).sum())
    if enumerated:
        # The observed assignment is one of those enumerated, so it is already counted.
        pvalue = extreme / len(draws)
        top = np.abs(draws).max() * (1 - RELATIVE_TIE)
        smallest = float((np.abs(draws) >= top).sum()) / len(draws)
    else:
        pvalue = (1 + extreme) / (1 + reps)
        smallest = 1 / (1 + reps)
    return RandomizationTest(
        term=term, kind=statistic, statistic=value,
        estimate=float(observed.params[term]), pvalue=pvalue, extreme=extreme,
        smallest_p=smallest, reps=len(draws), enumerated=enumerated, assignments=count,
        formula=formula, covariance=observed.covariance.label, treatment=treatment,
        cluster=cluster, strata=strata, clusters=len(design.kinds),
        n_strata=len(np.unique(design.strata)), seed=resolved, engine=engine,
        simulated=isinstance(data, Dataset) and data.simulated,
        draws=draws if keep_draws else None)


def _fit(formula: str, sample: pd.DataFrame, cov: CovarianceSpec | None,
         weights: str | None) -> RegressionResult:
    result = feols(formula, sample, cov=cov, weights=weights)
    if isinstance(result, tuple):
        raise ValueError(f"{formula!r} has several outcomes; randomization inference tests "
                         f"one coefficient of one model")
    return result


def _refits(observed: RegressionResult, formula: str, sample: pd.DataFrame,
            design: _Clusters, treatment: str, term: str, statistic: Statistic,
            cov: CovarianceSpec | None, weights: str | None, sources: np.ndarray
            ) -> np.ndarray:
    """The statistic of ``term`` under each assignment, refitting the model each time."""
    draws = np.empty(len(sources))
    # The observed fit has already warned about singletons, dropped regressors and few
    # clusters; every reassignment would repeat the same warnings.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        warnings.simplefilter("ignore", FewClustersWarning)
        for b, source in enumerate(sources):
            sample[treatment] = design.column(source)
            refit = _fit(formula, sample, cov, weights)
            if refit.names != observed.names:
                raise ValueError(
                    f"assignment {b} changes the regressors identified ({list(refit.names)} "
                    f"instead of {list(observed.names)}, dropped {refit.dropped_coefficients})"
                    f": {term!r} is not comparable across assignments")
            draws[b] = _statistic(refit, term, statistic)
    return draws


def _partialled(observed: RegressionResult, parsed: Formula, sample: pd.DataFrame,
                design: _Clusters, treatment: str, term: str, weights: str | None,
                by: tuple[str, ...], sources: np.ndarray) -> np.ndarray | None:
    """The coefficient of ``term`` under each assignment without refitting, or ``None``.

    When every column is linear in the treatment and ``term``'s is the only one of them the
    fit keeps, that column is ``sum_g t_g c_g``, ``c_g`` being the column with treatment 1 in
    cluster ``g`` and 0 elsewhere. By Frisch-Waugh-Lovell the coefficient is ``t'a / t'Ht``,
    with ``a`` and ``H`` the products of the ``c_g`` (partialled off the fixed effects and
    the other regressors) with the outcome and with each other: one partialling serves every
    assignment. ``None`` (refit instead) for other models; when a column the fit left out
    might not be left out under another assignment (it is not absorbed by the fixed effects,
    cluster piece by cluster piece if it moves with the treatment); when an assignment comes
    near making the term collinear; or when the observed assignment does not reproduce the
    fitted coefficient.
    """
    column = sample[treatment]
    if not (_linear(parsed, treatment, weights) and (pd.api.types.is_numeric_dtype(column)
                                                      or pd.api.types.is_bool_dtype(column))):
        return None
    fit = observed.fit
    ones, zeros = (build(parsed, sample.assign(**{treatment: value}), weights=weights,
                         clusters=by) for value in (1.0, 0.0))
    moving = (ones.X != zeros.X).any(axis=0)
    kept = np.isin(ones.names, fit.names)
    if ones.names != fit.design.names or [ones.names[j] for j in np.flatnonzero(
            moving & kept)] != [term]:
        return None
    X, clusters = ones.X[fit.sample], design.codes[fit.rows]
    absorber = fit.absorber()
    left_out = np.column_stack([X[:, ~moving & ~kept], *(
        _pieces(X[:, j], clusters, len(design.kinds)) for j in np.flatnonzero(moving & ~kept))])
    # Pieces absorbed within 1e-8 / sqrt(G) of their norm leave every combination of them
    # absorbed within the fit's own 1e-8: the pieces of a column are orthogonal.
    if left_out.shape[1] and not absorbed(left_out, absorber.demean(left_out)[0],
                                          tol=1e-8 / np.sqrt(len(design.kinds))).all():
        return None
    basis = absorber.demean(_pieces(X[:, ones.names.index(term)], clusters,
                                    len(design.kinds)))[0]
    if fit.weights is not None:
        basis *= np.sqrt(fit.weights)[:, None]
    q = np.linalg.qr(fit.X[:, [j for j, name in enumerate(fit.names) if name != term]])[0]
    partialled = basis - q @ (q.T @ basis)
    outcome = fit.y - q @ (q.T @ fit.y)
    values = design.values.to_numpy(dtype=np.float64)
    # Row 0 is the observed assignment, the check of everything above.
    t = values[np.vstack([np.arange(len(values)), sources])]
    denominator = np.einsum("rg,gh,rh->r", t, partialled.T @ partialled, t)
    norms = np.einsum("rg,gh,rh->r", t, basis.T @ basis, t)
    if (denominator <= NEAR_COLLINEAR**2 * norms).any():
        return None
    coefficients = t @ (partialled.T @ outcome) / denominator
    if not np.isclose(coefficients[0], observed.params[term], rtol=1e-8, atol=0):
        return None
    return coefficients[1:]


def _pieces(values: np.ndarray, clusters: np.ndarray, count: int) -> np.ndarray:
    """``values`` split by cluster: column ``g`` holds them in cluster ``g``'s rows, else 0."""
    out = np.zeros((len(values), count))
    out[np.arange(len(values)), clusters] = values
    return out


def _linear(parsed: Formula, treatment: str, weights: str | None) -> bool:
    """Whether every column is linear in the treatment: it enters each term at most once, as
    a number (not ``C()``, ``i()`` or an ``i()`` slope), and is no outcome, fixed effect or
    weight."""
    if treatment in (*parsed.outcomes, *parsed.fixed_effects, weights):
        return False
    for term in parsed.terms:
        uses = [f for f in term.factors if treatment in f.columns]
        if len(uses) > 1 or any(f.kind != "value" or f.by is not None for f in uses):
            return False
    return True


def _statistic(result: RegressionResult, term: str, statistic: Statistic) -> float:
    table = result.params if statistic == "coefficient" else result.tstats
    return float(table[term])


def _clusters(frame: pd.DataFrame, treatment: str, cluster: str, strata: str | None
              ) -> _Clusters:
    """Resolve clusters, refusing a treatment or strata that vary within a cluster."""
    wanted = [treatment, cluster, *([strata] if strata else [])]
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        raise ValueError(f"column(s) {absent} not in the data; available: "
                         f"{list(frame.columns)}")
    for name in wanted:
        missing = int(frame[name].isna().sum())
        if missing:
            raise ValueError(f"{name!r} is missing in {missing} row(s): every row needs its "
                             f"cluster, treatment and stratum to be reassigned; drop them first")
    raw, _ = group_codes(frame[cluster])
    # Categories without rows are not clusters; np.unique numbers the others densely.
    present, codes = np.unique(raw, return_inverse=True)
    first = np.zeros(len(present), dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    labels = frame[cluster].to_numpy(dtype=object)[first]
    kinds = _constant(frame, treatment, codes, labels, cluster, "treatment")
    strata_codes = (np.zeros(len(codes), dtype=np.int64) if strata is None
                    else _constant(frame, strata, codes, labels, cluster, "strata"))
    return _Clusters(codes, frame[treatment].array.take(first), kinds[first],
                     strata_codes[first])


def _constant(frame: pd.DataFrame, name: str, codes: np.ndarray, labels: np.ndarray,
              cluster: str, role: str) -> np.ndarray:
    """Integer codes of column ``name`` by row, refusing one that varies within a cluster."""
    values = pd.factorize(frame[name])[0]
    varying = varying_groups(codes, values, len(labels))
    if len(varying):
        examples = ", ".join(str(label) for label in labels[varying[:5]])
        nested = " (the strata must be nested: clusters within strata)" if role == "strata" else ""
        raise ValueError(f"{role} {name!r} varies within {len(varying)} cluster(s) of "
                         f"{cluster!r}, e.g. {examples}{nested}: randomization inference "
                         f"reassigns whole clusters, so it must be constant within each")
    return values


def _assignments(kinds: np.ndarray, strata: np.ndarray) -> int:
    """Distinct assignments: the product over strata of multinomial coefficients."""
    total = 1
    for stratum in np.unique(strata):
        here = kinds[strata == stratum]
        left = len(here)
        for size in np.unique(here, return_counts=True)[1]:
            total *= math.comb(left, int(size))
            left -= int(size)
    return total


def _enumerate(kinds: np.ndarray, strata: np.ndarray) -> Iterator[np.ndarray]:
    """Every distinct assignment once, as the cluster each cluster takes its value from."""
    members = [np.flatnonzero(strata == s) for s in np.unique(strata)]
    arrangements = [list(_arrangements(m, kinds[m])) for m in members]
    for choice in product(*arrangements):
        source = np.empty(len(kinds), dtype=np.int64)
        for where, arrangement in zip(members, choice, strict=True):
            source[where] = arrangement
        yield source


def _arrangements(members: np.ndarray, kinds: np.ndarray) -> Iterator[np.ndarray]:
    """Distinct orderings of one stratum's values: the positions of each value in turn are
    chosen among those still free, so orderings that only swap equal values appear once."""
    groups = [members[kinds == kind] for kind in np.unique(kinds)]

    def place(free: tuple[int, ...], level: int, source: np.ndarray) -> Iterator[np.ndarray]:
        if level == len(groups):
            yield source.copy()
            return
        for chosen in combinations(free, len(groups[level])):
            source[list(chosen)] = groups[level]
            yield from place(tuple(p for p in free if p not in chosen), level + 1, source)

    yield from place(tuple(range(len(members))), 0, np.empty(len(members), dtype=np.int64))
