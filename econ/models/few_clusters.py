"""``econ.few_cluster_inference``: every few-cluster method that applies, and which to report.

The study's data have two counties and about thirty townships, exactly where cluster-robust
inference breaks. For one coefficient of a fitted regression this runs, for each clustering
variable the fit was grouped by (``cov=`` and ``groups=`` of :func:`econ.feols`):

- CR1 with ``t(G - 1)``, CR2 with Bell-McCaffrey (Satterthwaite) degrees of freedom and with
  Imbens-Kolesár degrees of freedom (Satterthwaite under a cluster random-effects working
  model), CR3 (the leave-one-cluster-out jackknife): analytic, and over-rejecting (CR1) or
  conservative (CR3) with few clusters;
- the restricted wild cluster bootstrap with Rademacher and with Webb weights (valid p-values at
  every G under full enumeration, never below ``2 / 2^G``), and the wild *subcluster* bootstrap
  (the CRVE by the coarse variable, one weight per finer group nested in it: MacKinnon and Webb
  2018), the documented choice for county-level clustering;
- the Ibragimov-Muller t test and the Canay-Romano-Shaikh randomization test on cluster-by-
  cluster estimates, where the coefficient is estimable within each cluster;
- cluster diagnostics (sizes, leverage, partial leverage, leave-one-out estimates, the
  effective number of clusters G*), in ``diagnostics``.

- randomization inference, when the treatment assignment is given (:class:`Assignment`).

Each row states what it assumes and the smallest p-value it can give with these clusters; the
recommendation follows MacKinnon, Nielsen and Webb (2023, "Cluster-robust inference: a guide to
empirical practice") and the package's size benchmark (``benchmarks/size_few_clusters.py``): no
test by a variable with two or three clusters, which cannot reject at 5%; randomization
inference, when the assignment is given, below about a dozen clusters or with one or two treated
clusters (or says that no test at 5% is available when it has too few assignments); without it,
below about a dozen clusters with more than two of them treated, CR2 with Imbens-Kolesár degrees
of freedom (the one method that held its size there in the benchmark, where every wild
bootstrap rejected 7-8% of true nulls); otherwise the restricted wild bootstrap, with Webb
weights below about a dozen clusters, flagged as conservative with one or two treated
clusters.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from econ.data.codes import is_nested
from econ.data.dataset import Dataset
from econ.data.seeds import DEFAULT_SEED, Seed, entropy
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.cluster_diagnostics import cluster_diagnostics
from econ.inference.cluster_level import (
    MAX_ENUMERATED,
    canay_romano_shaikh_test,
    cluster_estimates,
    ibragimov_muller_test,
)
from econ.inference.covariance import Cluster, ClusterSpec, FewClustersWarning
from econ.inference.cr2 import CR2
from econ.inference.cr3 import CR3
from econ.inference.distributions import t_quantile
from econ.inference.resampling import DEFAULT_REPS, Distribution
from econ.models.randomization import randomization_inference
from econ.results.cluster_diagnostics import ClusterDiagnostics
from econ.results.few_clusters import COLUMNS, FewClusterInference
from econ.results.iv import IVResult
from econ.results.poisson import PoissonResult
from econ.results.regression import RegressionResult

#: Below this many clusters Rademacher weights have too few distinct patterns: Webb's six-point
#: weights are recommended (Webb 2023; MacKinnon, Nielsen and Webb 2023).
WEBB_BELOW = 12
#: With this many clusters or fewer no bootstrap or randomization test by the variable can
#: reject at 5% (its smallest attainable p-value is 2/2^G >= 0.25).
HOPELESS = 3
#: With this many treated (or untreated) clusters or fewer the restricted wild bootstrap is
#: conservative (MacKinnon and Webb 2017, 2018).
FEW_TREATED = 2
#: Below this effective number of clusters (G*) one or two clusters carry the coefficient.
FEW_EFFECTIVE = 5
IMBENS_KOLESAR = "CR2, Imbens-Kolesár df"

Row = dict[str, object]


@dataclass(frozen=True)
class Assignment:
    """How the treatment was assigned, for randomization inference.

    Parameters
    ----------
    data
        The data the model was fitted on.
    treatment
        The column assigned at the cluster level (constant within each cluster).
    strata
        A column constant within clusters inside which the assignment was randomised.
    """

    data: Dataset | pd.DataFrame
    treatment: str
    strata: str | None = None


def few_cluster_inference(
    result: RegressionResult,
    term: str,
    *,
    clusters: Sequence[str] | None = None,
    reps: int = DEFAULT_REPS,
    seed: Seed = DEFAULT_SEED,
    level: float = 0.95,
    assignment: Assignment | None = None,
) -> FewClusterInference:
    """Test ``term = 0`` under every few-cluster method that applies to ``result``.

    Parameters
    ----------
    result
        A fitted regression; its clustering variables are those it was grouped by
        (``econ.feols(..., cov=Cluster("county_id"), groups=["township_id"])``).
    term
        The coefficient tested.
    clusters
        The clustering variables to use (default: every grouping of the fit, coarsest first).
    reps, seed
        Wild bootstrap replications and seed (the same seed for every bootstrap).
    level
        Confidence level of the intervals.
    assignment
        The treatment column and the data (:class:`Assignment`): adds randomization inference
        for each clustering within which the treatment is constant. It is exact when the
        treatment was assigned at random across clusters, whatever their number and sizes, and
        is then recommended below :data:`WEBB_BELOW` clusters, where the wild bootstrap's
        size depends on the design, and with one or two treated clusters at any number of
        clusters, where the restricted wild bootstrap is conservative (see
        ``benchmarks/size_few_clusters.py``); when it cannot reject at ``1 - level`` with so
        few assignments, the recommendation says that no test at that level is available.

    Returns
    -------
    FewClusterInference
        A table with each method's p-value, interval and smallest attainable p-value, what it
        assumes, and the recommended method with its reason.
    """
    if isinstance(result, PoissonResult):
        raise ValueError(f"few_cluster_inference covers least-squares fits; for the Poisson "
                         f"coefficient {term!r} use result.wild_bootstrap({term!r}) (the "
                         f"restricted wild score bootstrap of Kline and Santos 2012)")
    if isinstance(result, IVResult):
        # Every method here resamples or refits the least-squares problem; for 2SLS/LIML the
        # weak-instrument-robust and bootstrap counterparts live on the IV result.
        raise ValueError(f"few_cluster_inference covers least-squares fits; for the IV "
                         f"coefficient {term!r} use result.wild_bootstrap({term!r}) (the wild "
                         f"restricted efficient bootstrap, valid with few clusters) and "
                         f"result.anderson_rubin() (robust to weak instruments)")
    if term not in result.names:
        raise KeyError(f"no coefficient {term!r}; coefficients: {list(result.names)}")
    groupings = result.fit.clusters
    names = list(clusters) if clusters is not None else sorted(
        groupings, key=lambda n: groupings[n].groups)
    missing = [n for n in names if n not in groupings]
    if missing or not names:
        raise ValueError(f"the fit is not grouped by {missing or 'any variable'}: fit with "
                         f"cov=Cluster(...) and groups=[...] naming the clustering variables "
                         f"(for example groups=['county_id', 'township_id'])")
    entropy_ = entropy(seed)
    rows: list[Row] = []
    diagnostics: dict[str, ClusterDiagnostics] = {}
    with warnings.catch_warnings():
        # This function is where the few-clusters warning points: it does not repeat it.
        warnings.simplefilter("ignore", FewClustersWarning)
        for name in names:
            rows += _analytic_rows(result, term, name, level)
            rows += _bootstrap_rows(result, term, name, reps, entropy_, level)
            rows += _cluster_level_rows(result, term, name, level)
            if assignment is not None:
                rows += _randomization_rows(result, term, name, assignment, reps, entropy_)
            diagnostics[name] = ClusterDiagnostics.of(cluster_diagnostics(result.fit, term,
                                                                          name))
            for finer in names:
                if _nested_in(result, finer, name):
                    rows += _bootstrap_rows(result, term, name, reps, entropy_, level,
                                            bootstrap_cluster=finer)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    recommendation, reason = _recommend(names, result, diagnostics, table, 1 - level)
    notes = (f"Wild bootstraps: restricted (WCR11), B = {reps:,} (all 2^G sign patterns when "
             f"fewer), seed {entropy_}, inclusive p-value rule.",
             "smallest p: the smallest p-value the method can give with these clusters.")
    return FewClusterInference(term, float(result.params[term]), table, recommendation,
                               reason, level, diagnostics=dict(diagnostics), notes=notes,
                               simulated=result.simulated)


def _nested_in(result: RegressionResult, finer: str, coarse: str) -> bool:
    groupings = result.fit.clusters
    inner, outer = groupings[finer], groupings[coarse]
    return inner.groups > outer.groups and is_nested(inner.codes, inner.groups, outer.codes)


def _analytic_rows(result: RegressionResult, term: str, name: str, level: float) -> list[Row]:
    groups = result.fit.clusters[name].groups
    specs: list[tuple[str, Callable[[], ClusterSpec], str]] = [
        ("CR1, t(G-1)", lambda: Cluster(name),
         "many clusters of similar size; over-rejects with few"),
        ("CR2, Bell-McCaffrey df", lambda: CR2(name, df="satterthwaite"),
         "errors independent across clusters; small-sample bias corrected"),
        (IMBENS_KOLESAR, lambda: CR2(name, df="imbens_kolesar"),
         "errors independent across clusters; df from a cluster random-effects model"),
        ("CR3 jackknife, t(G-1)", lambda: CR3(name),
         "errors independent across clusters; conservative with few"),
    ]
    rows: list[Row] = []
    for method, make, assumes in specs:
        try:
            other = result.with_cov(make())
        except ValueError as error:
            # The reason (a leave-one-out design that is not identified, data too large for
            # CR2) is kept short in the table; the full message is in the notes.
            rows.append(_row(name, groups, method, float("nan"), (float("nan"),) * 2,
                             float("nan"), "not computed: " + str(error).split(":")[0]))
            continue
        # tidy() uses each coefficient's own df (CR2's Bell-McCaffrey df differ by term).
        row = next(r for r in other.tidy(level).to_dict("records") if r["term"] == term)
        rows.append(_row(name, groups, method, float(row["p_value"]),
                         (float(row["conf_low"]), float(row["conf_high"])), 0.0, assumes))
    return rows


def _bootstrap_rows(result: RegressionResult, term: str, name: str, reps: int, seed: int,
                    level: float, *, bootstrap_cluster: str | None = None) -> list[Row]:
    groups = result.fit.clusters[name].groups
    rows: list[Row] = []
    kinds: tuple[Distribution, ...] = (("rademacher",) if bootstrap_cluster is not None
                                       else ("rademacher", "webb"))
    for distribution in kinds:
        settings = WildBootstrap(reps=reps, seed=seed, distribution=distribution,
                                 cluster=name, bootstrap_cluster=bootstrap_cluster,
                                 ci_level=level)
        test = result.wild_bootstrap(term, settings)
        if bootstrap_cluster is None:
            method = f"WCR, {distribution.capitalize()}"
            assumes = "errors independent across clusters"
        else:
            method = f"WCR subcluster, weights by {bootstrap_cluster}"
            assumes = (f"CRVE by {name}; {bootstrap_cluster}s within a {name} independent "
                       f"enough to share no weight")
        ci = test.ci if test.ci is not None else (float("nan"), float("nan"))
        rows.append(_row(name, groups, method, test.pvalue, ci, test.smallest_pvalue,
                         assumes + (f" ({test.reps:,} patterns)" if test.enumerated else "")))
    return rows


def _cluster_level_rows(result: RegressionResult, term: str, name: str, level: float
                        ) -> list[Row]:
    """Ibragimov-Muller and Canay-Romano-Shaikh on the cluster-by-cluster estimates."""
    groups = result.fit.clusters[name].groups
    estimates = cluster_estimates(result.fit, term, name)
    if estimates.q < 2:
        reason = (f"not computed: {term} is estimable within {estimates.q} of the {groups} "
                  f"clusters (it needs variation inside each cluster)")
        return [_row(name, groups, method, float("nan"), (float("nan"),) * 2, float("nan"),
                     reason) for method in ("Ibragimov-Muller", "Canay-Romano-Shaikh")]
    rows: list[Row] = []
    im = ibragimov_muller_test(estimates, level=level)
    interval = im.conf_int if im.conf_int is not None else (float("nan"), float("nan"))
    rows.append(_row(name, groups, "Ibragimov-Muller", im.p_value, interval, 0.0,
                     f"cluster estimates independent, about normal ({estimates.q} used)"))
    if estimates.q > MAX_ENUMERATED:
        rows.append(_row(name, groups, "Canay-Romano-Shaikh", float("nan"),
                         (float("nan"),) * 2, float("nan"),
                         f"not computed: more than {MAX_ENUMERATED} usable clusters"))
    else:
        crs = canay_romano_shaikh_test(estimates)
        rows.append(_row(name, groups, "Canay-Romano-Shaikh", crs.p_value,
                         (float("nan"), float("nan")), crs.smallest_p_value,
                         f"cluster estimates independent and symmetric ({estimates.q} used)"))
    return rows


def _randomization_rows(result: RegressionResult, term: str, name: str,
                        assignment: Assignment, reps: int, seed: int) -> list[Row]:
    groups = result.fit.clusters[name].groups
    method = "Randomization inference"
    try:
        test = randomization_inference(
            result.fit.formula.text, assignment.data, term=term,
            treatment=assignment.treatment, cluster=name, strata=assignment.strata,
            weights=result.fit.design.weights_name, reps=reps, seed=seed)
    except ValueError as error:
        return [_row(name, groups, method, float("nan"), (float("nan"),) * 2, float("nan"),
                     "not computed: " + str(error).split(":")[0])]
    kind = (f"all {test.assignments:,} assignments" if test.enumerated
            else f"{test.reps:,} random assignments")
    return [_row(name, groups, method, test.pvalue, (float("nan"), float("nan")),
                 test.smallest_p, f"treatment assigned at random across clusters ({kind})")]


def _treated_clusters(result: RegressionResult, term: str, name: str) -> int:
    """Clusters in which the term's regressor is non-zero somewhere (treated clusters when it
    is a treatment dummy or its interaction)."""
    design, fit = result.fit.design, result.fit
    column = design.X[fit.sample, design.names.index(term)]
    codes = fit.clusters[name].codes
    return int(np.unique(codes[column != 0]).size)


def _row(clustering: str, clusters: int, method: str, p: float, ci: tuple[float, float],
         smallest: float, assumes: str) -> Row:
    return {"clustering": clustering, "clusters": clusters, "method": method, "p_value": p,
            "conf_low": ci[0], "conf_high": ci[1], "smallest_p": smallest, "assumes": assumes}


def _recommend(names: list[str], result: RegressionResult,
               diagnostics: dict[str, ClusterDiagnostics], table: pd.DataFrame, alpha: float
               ) -> tuple[str, str]:
    """The method to report for the clustering the fit chose, and why.

    The rule follows the package's size benchmark (``benchmarks/size_few_clusters.py``, results
    in ``benchmarks/results/size_few_clusters.md``), which measured each method at 2-30 unequal
    clusters with 1, 2 and G/2 of them treated.
    """
    groupings = result.fit.clusters
    chosen = (result.cov_spec.by[0] if isinstance(result.cov_spec, ClusterSpec)
              and result.cov_spec.by[0] in names else names[0])
    groups = groupings[chosen].groups
    term = str(diagnostics[chosen].term)
    treated = _treated_clusters(result, term, chosen)
    # A regressor that is zero in most clusters (or non-zero in all but one or two) leaves one
    # or two clusters carrying the contrast: MacKinnon and Webb (2017, 2018).
    few_treated = treated <= FEW_TREATED or 0 < groups - treated <= FEW_TREATED
    randomization = _computed(table, chosen, "Randomization inference")
    if groups <= HOPELESS:
        method, reason = _hopeless(chosen, names, result)
    elif randomization is not None and (groups < WEBB_BELOW or few_treated):
        method, reason = _randomization(chosen, groups, treated, few_treated,
                                        float(randomization["smallest_p"]), alpha)
    elif (groups < WEBB_BELOW and not few_treated
          and _computed(table, chosen, IMBENS_KOLESAR) is not None):
        method, reason = _imbens_kolesar(result, chosen, term, treated)
    else:
        method, reason = _wild(chosen, groups, term, treated, few_treated)
    effective = diagnostics[chosen].effective_clusters
    reason += (f" Effective number of clusters for this coefficient (Carter, Schnepel and "
               f"Steigerwald's G*): {effective:.1f} of {groups}.")
    if effective < FEW_EFFECTIVE:
        reason += (" With so few effective clusters the coefficient's variation sits in one or "
                   "a few clusters (see the diagnostics' partial leverage): CR1 and CR2 "
                   "p-values are far too small; read the wild bootstrap p-value as the most "
                   "that can be claimed.")
    hopeless = [n for n in names if n != chosen and groupings[n].groups <= HOPELESS]
    for name in hopeless:
        reason += (f" Clustered by {name} ({groupings[name].groups} clusters) no valid test "
                   f"can reject at 5% (smallest wild bootstrap p-value "
                   f"{2 / 2**groupings[name].groups:.2f}); the subcluster bootstrap by "
                   f"{chosen} keeps the {name}-level CRVE.")
    return method, reason


def _hopeless(chosen: str, names: list[str], result: RegressionResult) -> tuple[str, str]:
    groupings = result.fit.clusters
    groups = groupings[chosen].groups
    finer = [n for n in names if groupings[n].groups > HOPELESS]
    alternatives = "; ".join(
        f"WCR by {n} (G = {groupings[n].groups}: assumes independence across {n})"
        for n in finer)
    subcluster = [n for n in finer if _nested_in(result, n, chosen)]
    if subcluster:
        alternatives += (f"; the subcluster bootstrap (CRVE by {chosen}, weights by "
                         f"{subcluster[0]})")
    smallest = 2 / 2**groups
    reason = (f"with {groups} clusters in {chosen!r} no valid test clustered by it can "
              f"reject at 5%: the wild bootstrap's smallest attainable p-value is "
              f"{smallest:.2f}, and CR1 with t({groups - 1}) over-rejects badly.")
    if alternatives:
        return (f"Do not cluster by {chosen}; report " + alternatives.split(";")[0],
                reason + " Alternatives, each with what it assumes: " + alternatives + ".")
    return (f"No valid test by {chosen}", reason + " Group the fit by a finer variable "
            "(groups=[...]) to see the alternatives.")


def _randomization(chosen: str, groups: int, treated: int, few_treated: bool,
                   smallest: float, alpha: float) -> tuple[str, str]:
    why = (f"{treated} of {groups} clusters treated" if few_treated
           else f"{groups} clusters")
    wild = ("the restricted wild bootstrap is conservative with so few treated clusters and "
            "the unrestricted one over-rejects (MacKinnon and Webb 2017, 2018)" if few_treated
            else "the wild bootstrap rejected 7.6-8.0% of true nulls at 5% with 8-10 unequal "
                 "clusters, half of them treated, in the package's size benchmark")
    if smallest > alpha:
        return (f"No test by {chosen} can reject at {alpha:.0%}",
                f"{why}: randomization inference, exact if the treatment was assigned at "
                f"random across clusters, has too few distinct assignments to reject at "
                f"{alpha:.0%} (its smallest p-value is {smallest:.3f}); {wild} "
                f"(benchmarks/size_few_clusters.py). Report the randomization p-value and say "
                f"that no test at {alpha:.0%} is available with this design.")
    return (f"Randomization inference by {chosen}",
            f"{why} with the treatment assigned across them: randomization inference is exact "
            f"if the assignment was random, whatever the clusters' sizes; {wild} "
            f"(benchmarks/size_few_clusters.py).")


def _wild(chosen: str, groups: int, term: str, treated: int, few_treated: bool
          ) -> tuple[str, str]:
    weights = "Webb" if groups < WEBB_BELOW else "Rademacher"
    if groups < WEBB_BELOW:
        reason = (f"{groups} clusters: Rademacher weights give only 2^{groups} = {2**groups} "
                  f"sign patterns; Webb's six-point weights give a finer reference "
                  f"distribution (MacKinnon, Nielsen and Webb 2023).")
    else:
        reason = (f"{groups} clusters: the restricted wild cluster bootstrap with Rademacher "
                  f"weights (MacKinnon, Nielsen and Webb 2023); CR1 t-tests over-reject below "
                  f"about 30 clusters or with unequal ones.")
    if few_treated:
        reason += (f" Only {treated} of {groups} clusters have a non-zero {term} (or only "
                   f"{groups - treated} a zero one): the restricted wild bootstrap is then "
                   f"conservative by construction, its bootstrap distribution being dominated "
                   f"by the few treated clusters' residuals (MacKinnon and Webb 2017, 2018; at "
                   f"most 6.5% and mostly 0-3% of true nulls rejected at 5% in the package's "
                   f"size benchmark): read a rejection as strong evidence and a non-rejection "
                   f"with care. If the treatment was assigned at random across clusters, pass "
                   f"assignment= for randomization inference, which is exact.")
    elif groups < WEBB_BELOW:
        # Reached when CR2 could not be computed (its row says why): the recommendation
        # falls back on a test known to be liberal here.
        reason += (f" Caution: CR2 with Imbens-Kolesár df, recommended with {groups} clusters "
                   f"and more than two treated, could not be computed (see its row); the wild "
                   f"bootstrap rejected 7.7-8.0% of true nulls at 5% with 6-10 unequal "
                   f"clusters, half of them treated, in the package's size benchmark "
                   f"(benchmarks/size_few_clusters.py). If the treatment was assigned at random "
                   f"across clusters, pass assignment= for randomization inference, which is "
                   f"exact.")
    return f"WCR, {weights} by {chosen}", reason


def _computed(table: pd.DataFrame, chosen: str, method: str) -> pd.Series | None:
    """The method's row for the clustering, if it gave a p-value."""
    rows = table[(table["clustering"] == chosen) & (table["method"] == method)]
    if rows.empty or not np.isfinite(rows["p_value"].iloc[0]):
        return None
    return rows.iloc[0]


def _imbens_kolesar(result: RegressionResult, chosen: str, term: str, treated: int
                    ) -> tuple[str, str]:
    groups = result.fit.clusters[chosen].groups
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        covariance = result.with_cov(CR2(chosen, df="imbens_kolesar")).covariance
    assert covariance.df_by_coef is not None
    df = float(covariance.df_by_coef[list(result.names).index(term)])
    return (f"{IMBENS_KOLESAR} by {chosen}",
            f"{groups} clusters, {treated} of them with a non-zero {term}: CR2 with "
            f"Satterthwaite degrees of freedom under a working model with a cluster random "
            f"effect (Imbens and Kolesár 2016) held its size at 4-10 unequal clusters with "
            f"half of them treated in the package's size benchmark, where the restricted wild "
            f"bootstrap rejected 7.7-8.0% of true nulls at 5% and CR2 with Bell-McCaffrey df "
            f"up to 8% (benchmarks/size_few_clusters.py). Its degrees of freedom here are "
            f"{df:.1f} (two-sided 5% critical value {float(t_quantile(0.975, df)):.2f}). If the "
            f"treatment was assigned at random across clusters, pass assignment= for "
            f"randomization inference, which is exact.")
