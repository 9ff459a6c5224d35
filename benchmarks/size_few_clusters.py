"""Monte Carlo size of few-cluster tests (issue 12): rejection rates at 5% under the null.

Design. ``G`` clusters (``G`` in 2, 3, 4, 5, 6, 8, 10, 15, 20, 30) of unequal sizes, growing
geometrically from 20 to 100 rows (the largest five times the smallest; about ``50 G`` rows in
all), each cut into four subclusters of consecutive rows. The outcome does not depend on the
regressors, ``y = 1 + 0 d + 0 x + u``, with

- ``x = sqrt(0.5) z_g + sqrt(0.5) e``: half of the covariate's variance is a cluster effect;
- ``u = sqrt(0.2) a_g + sqrt(0.8) s(x) e'``: a cluster random effect plus heteroskedastic noise,
  ``s(x)^2 = (1 + x^2) / 2``;

all shocks standard normal. The treatment ``d`` is constant within clusters: ``k`` clusters
drawn at random are treated, for ``k`` = 1, 2 and ``floor(G/2)`` (a design is run once when two
of these coincide, and only ``k < G`` can be estimated). The designs share each dataset's
``y`` and ``x`` and take the first ``k`` clusters of one random order, so they differ only in
``d`` (common random numbers). Each dataset comes from ``numpy.random.default_rng([seed, G,
r])``, which also draws the bootstrap and permutation seeds, so any dataset can be rerun alone.

Tests of ``b_d = 0`` at 5%, all through the public API of econ, on the fit
``econ.feols("y ~ d + x", data, cov=econ.Cluster("g"), groups=["sub"])``:

- CR1 with ``t(G - 1)``; CR2 with Bell-McCaffrey (Satterthwaite) df and with Imbens-Kolesár df
  (Satterthwaite under a cluster random-effects working model); CR3 (leave-one-cluster-out
  jackknife) with ``t(G - 1)``: CR3 refuses when a leave-one-out design is not identified (one
  treated cluster), counted apart;
- the restricted wild cluster bootstrap (WCR11) with Rademacher and with Webb weights, and the
  unrestricted one (WCU11) with the same weights; B = 399, and all ``2^G`` Rademacher sign
  patterns where ``2^G <= 399`` (the inclusive p-value rule, which makes that test exact);
- the wild subcluster bootstrap: CRVE by cluster, one Rademacher weight per subcluster;
- randomization inference (``econ.models.randomization.randomization_inference``, when that
  module exists): the clusters' treatment values reassigned (all assignments when at most 399,
  otherwise 399 random ones), statistic the coefficient. The assignment is random, so it is
  exact.

Ibragimov-Muller and Canay-Romano-Shaikh need the tested coefficient estimable within every
cluster, which ``b_d`` is not; they test ``b_x = 0`` instead (also true), on the cluster-by-
cluster estimates, and are reported once per dataset in rows marked ``b_x``, beside CR2 with
Imbens-Kolesár df for the same ``b_x``.

The recommendation of ``econ.few_cluster_inference`` (no test with ``G <= 3``; below 12
clusters CR2 with Imbens-Kolesár df, or WCR with Webb weights when one or two clusters are
treated; WCR with Rademacher weights from 12) is read once per ``G`` and design from one
simulated dataset, and its method's rejection rates are gathered in a second table.

Rejection rates are given with their Monte Carlo standard errors ``sqrt(p (1 - p) / R)``; the
methods that can be recommended (the restricted wild bootstraps and CR2 with Imbens-Kolesár df)
run on every dataset (1,000 per G), the other methods on the first ``--others`` (500).

    python benchmarks/size_few_clusters.py            # full run: 11-18 min, 2 Dask workers, 2 cores
    python benchmarks/size_few_clusters.py --quick    # smoke run, under a minute
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import NamedTuple, Protocol

import cloudpickle
import numpy as np
import pandas as pd

import econ
from econ.inference.cluster_level import (
    canay_romano_shaikh_test,
    cluster_estimates,
    ibragimov_muller_test,
)
from econ.inference.resampling import Distribution
from econ.montecarlo import montecarlo

# Dask workers cannot import this script by name: its functions travel by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])

LEVEL = 0.05
CLUSTER_COUNTS = (2, 3, 4, 5, 6, 8, 10, 15, 20, 30)
SUBCLUSTERS = 4
REPS = 399
RESULTS = Path(__file__).parent / "results" / "size_few_clusters.md"
TALLIES = RESULTS.with_suffix(".json")
BX = "b_x"

#: Method keys, their labels, and whether they run on every dataset (the recommended ones).
METHODS: dict[str, tuple[str, bool]] = {
    "cr1": ("CR1, t(G-1)", False),
    "cr2": ("CR2, Bell-McCaffrey df", False),
    "cr2_ik": ("CR2, Imbens-Kolesár df", True),
    "cr3": ("CR3, t(G-1)", False),
    "wcr_rademacher": ("WCR, Rademacher", True),
    "wcr_webb": ("WCR, Webb", True),
    "wcu_rademacher": ("WCU, Rademacher", False),
    "wcu_webb": ("WCU, Webb", False),
    "subcluster": ("WCR subcluster, Rademacher by sub", False),
    "randomization": ("Randomization inference", False),
    "ibragimov_muller": ("Ibragimov-Muller (tests b_x)", False),
    "canay_romano_shaikh": ("Canay-Romano-Shaikh (tests b_x)", False),
    "cr2_ik_x": ("CR2, Imbens-Kolesár df (tests b_x)", False),
}


class RandomizationTestLike(Protocol):
    """What the benchmark reads from a randomization test."""

    pvalue: float
    smallest_p: float
    enumerated: bool


RandomizationFunction = Callable[..., RandomizationTestLike]

class Outcome(NamedTuple):
    """A test's p-value, the smallest p-value it reports it can give, and whether that bound
    is exact (all draws enumerated, or an analytic test) rather than an expectation."""

    pvalue: float
    smallest: float = 0.0
    exact: bool = True


def randomization_function() -> RandomizationFunction | None:
    """``randomization_inference`` if econ has it yet (it is being written), else ``None``."""
    try:
        module = importlib.import_module("econ.models.randomization")
    except (ImportError, SyntaxError):
        # The module is work in progress in the shared tree: leave the column out.
        return None
    found = getattr(module, "randomization_inference", None)
    return found if callable(found) else None


@dataclass(frozen=True)
class Design:
    """Cluster sizes and variance shares of the simulated datasets (module docstring)."""

    clusters: int
    smallest: int = 20
    ratio: float = 5.0
    x_cluster_share: float = 0.5
    u_cluster_share: float = 0.2

    def sizes(self) -> np.ndarray:
        """Sizes growing geometrically from ``smallest`` to ``ratio * smallest``."""
        steps = np.linspace(0.0, 1.0, self.clusters)
        return np.round(self.smallest * self.ratio**steps).astype(np.int64)

    def treated_counts(self) -> tuple[int, ...]:
        """Distinct numbers of treated clusters among 1, 2 and G/2 that leave a control."""
        wanted = {1, 2, self.clusters // 2}
        return tuple(sorted(k for k in wanted if 1 <= k < self.clusters))

    def draw(self, rng: np.random.Generator) -> tuple[pd.DataFrame, np.ndarray]:
        """One dataset under the null, and a random order of the clusters for treatment."""
        sizes = self.sizes()
        codes = np.repeat(np.arange(self.clusters), sizes)
        # Consecutive quarters of each cluster: subcluster s of cluster g is 4 g + s.
        position = np.concatenate([np.arange(n) * SUBCLUSTERS // n for n in sizes])
        n, g = len(codes), self.clusters
        x = (np.sqrt(self.x_cluster_share) * rng.normal(size=g)[codes]
             + np.sqrt(1 - self.x_cluster_share) * rng.normal(size=n))
        scale = np.sqrt((1 + x**2) / 2)
        u = (np.sqrt(self.u_cluster_share) * rng.normal(size=g)[codes]
             + np.sqrt(1 - self.u_cluster_share) * scale * rng.normal(size=n))
        frame = pd.DataFrame({"y": 1.0 + u, "x": x, "g": codes,
                              "sub": SUBCLUSTERS * codes + position})
        return frame, rng.permutation(g)


@dataclass
class Tally:
    """Rejections at 5% of one method in one cell, and the datasets where it ran or refused.

    ``attainable`` counts the datasets where the method could have rejected at all (its
    smallest attainable p-value, as the test reports it, at most 5%); ``below`` those where
    the p-value is below that reported smallest p-value, which should never happen.
    """

    rejections: int = 0
    computed: int = 0
    refused: int = 0
    attainable: int = 0
    below: int = 0
    reasons: set[str] = field(default_factory=set)

    def add(self, outcome: Outcome | None, reason: str = "") -> None:
        """Count a p-value, or a refusal (``None``) with its reason."""
        if outcome is None:
            self.refused += 1
            self.reasons.add(reason)
            return
        self.computed += 1
        self.rejections += int(outcome.pvalue <= LEVEL)
        self.attainable += int(outcome.smallest <= LEVEL)
        self.below += int(outcome.exact and outcome.pvalue < outcome.smallest * (1 - 1e-9))

    @property
    def rate(self) -> float:
        return self.rejections / self.computed if self.computed else float("nan")

    @property
    def std_error(self) -> float:
        if not self.computed:
            return float("nan")
        return float(np.sqrt(self.rate * (1 - self.rate) / self.computed))


Key = tuple[int, str, str]


def _pvalue(compute: Callable[[], Outcome]) -> tuple[Outcome | None, str]:
    """A method's outcome, or ``None`` and the first clause of the reason it refused."""
    try:
        return compute(), ""
    except ValueError as error:
        # The first clause, without the cluster it names, tells refusals apart in the table.
        first = str(error).split(";")[0].split(". ")[0].split(" (")[0]
        return None, re.sub(r"\bg=\d+", "g=j", first)[:120]


def _analytic(result: econ.RegressionResult, spec: econ.ClusterSpec, term: str = "d"
              ) -> Outcome:
    return Outcome(float(result.with_cov(spec).pvalues[term]))


def _wild(result: econ.RegressionResult, seed: int, distribution: Distribution, *,
          restricted: bool = True, bootstrap_cluster: str | None = None) -> Outcome:
    settings = econ.WildBootstrap(reps=REPS, distribution=distribution,
                                  restricted=restricted, seed=seed, ci_level=None,
                                  bootstrap_cluster=bootstrap_cluster, threads=1)
    test = result.wild_bootstrap("d", settings)
    return Outcome(float(test.pvalue), float(test.smallest_pvalue), test.enumerated)


def simulate_dataset(design: Design, seed: int, r: int, others: bool,
                     randomization: RandomizationFunction | None, tallies: dict[Key, Tally]
                     ) -> None:
    """Run every method on dataset ``r`` of ``design`` and add its p-values to ``tallies``.

    ``others`` says whether the methods beyond the two restricted wild bootstraps run too.
    """
    rng = np.random.default_rng([seed, design.clusters, r])
    frame, order = design.draw(rng)
    G = design.clusters
    first: econ.RegressionResult | None = None
    for k in design.treated_counts():
        seeds = [int(s) for s in rng.integers(2**31, size=6)]
        data = frame.assign(d=np.isin(frame["g"], order[:k]).astype(float))
        result = econ.feols("y ~ d + x", data, cov=econ.Cluster("g"), groups=["sub"])
        assert isinstance(result, econ.RegressionResult)
        if first is None:
            first = result
        tests = _tests_of_d(result, data, seeds, randomization if others else None)
        for method, test in tests.items():
            if others or METHODS[method][1]:
                tallies.setdefault((G, _design_label(k, G), method), Tally()).add(
                    *_pvalue(test))
    if others and first is not None:
        for method, test in _tests_of_x(first).items():
            tallies.setdefault((G, BX, method), Tally()).add(*_pvalue(test))


def _tests_of_d(result: econ.RegressionResult, data: pd.DataFrame, seeds: list[int],
                randomization: RandomizationFunction | None
                ) -> dict[str, Callable[[], Outcome]]:
    """Each method's p-value of ``b_d = 0``, to be computed when called."""
    tests: dict[str, Callable[[], Outcome]] = {
        "wcr_rademacher": lambda: _wild(result, seeds[0], "rademacher"),
        "wcr_webb": lambda: _wild(result, seeds[1], "webb"),
        "cr1": lambda: Outcome(float(result.pvalues["d"])),
        "cr2": lambda: _analytic(result, econ.CR2("g", df="satterthwaite")),
        "cr2_ik": lambda: _analytic(result, econ.CR2("g", df="imbens_kolesar")),
        "cr3": lambda: _analytic(result, econ.CR3("g")),
        "wcu_rademacher": lambda: _wild(result, seeds[2], "rademacher", restricted=False),
        "wcu_webb": lambda: _wild(result, seeds[3], "webb", restricted=False),
        "subcluster": lambda: _wild(result, seeds[4], "rademacher", bootstrap_cluster="sub"),
    }
    if randomization is not None:
        function = randomization

        def randomization_test() -> Outcome:
            test = function("y ~ d + x", data, term="d", treatment="d", cluster="g",
                            reps=REPS, seed=seeds[5])
            return Outcome(float(test.pvalue), float(test.smallest_p), test.enumerated)

        tests["randomization"] = randomization_test
    return tests


def _tests_of_x(result: econ.RegressionResult) -> dict[str, Callable[[], Outcome]]:
    """Cluster-level tests of ``b_x = 0``; ``d``, constant within clusters, drops out.

    ``ibragimov_muller(fit, "x", "g")`` and ``canay_romano_shaikh(fit, "x", "g")`` would each
    refit every cluster; the tests of the same cluster estimates give the same p-values.
    """
    estimates = cluster_estimates(result.fit, "x", "g")

    def crs() -> Outcome:
        test = canay_romano_shaikh_test(estimates)
        return Outcome(float(test.p_value), float(test.smallest_p_value))

    return {"ibragimov_muller": lambda: Outcome(float(ibragimov_muller_test(estimates).p_value)),
            "canay_romano_shaikh": crs,
            "cr2_ik_x": lambda: _analytic(result, econ.CR2("g", df="imbens_kolesar"), "x")}


def _design_label(k: int, clusters: int) -> str:
    return f"{k} treated" + (" (G/2)" if k == clusters // 2 and k > 1 else "")


def _treated(label: str) -> int:
    """Treated clusters of a design label (``BX`` rows sort last)."""
    return int(label.split(" ")[0]) if label != BX else 10**6


def recommendation(design: Design, k: int, seed: int, assigned: bool) -> str:
    """What ``econ.few_cluster_inference`` recommends on one dataset of ``design`` with ``k``
    treated clusters, given the treatment assignment (``assigned``) or not."""
    frame, order = design.draw(np.random.default_rng([seed, design.clusters, 10**6]))
    data = frame.assign(d=np.isin(frame["g"], order[:k]).astype(float))
    result = econ.feols("y ~ d + x", data, cov=econ.Cluster("g"), groups=["sub"])
    assert isinstance(result, econ.RegressionResult)
    # Clustering by g only: the question is which test by cluster, not whether to use another.
    found = econ.few_cluster_inference(
        result, "d", clusters=["g"], reps=REPS, seed=seed,
        assignment=econ.Assignment(data, "d") if assigned else None)
    return str(found.recommendation)


def recommended_method(text: str) -> str | None:
    """The method key of a recommendation, ``None`` for no valid test."""
    if text.startswith("Randomization"):
        return "randomization"
    if text.startswith("CR2, Imbens-Kolesár"):
        return "cr2_ik"
    if text.startswith("WCR, Webb"):
        return "wcr_webb"
    if text.startswith("WCR, Rademacher"):
        return "wcr_rademacher"
    return None


#: (G, design label, assignment given) -> the recommendation's text.
Recommendations = dict[tuple[int, str, bool], str]


def _percent(tally: Tally | None) -> str:
    if tally is None or not tally.computed:
        return "-"
    return f"{100 * tally.rate:.1f} ({100 * tally.std_error:.1f})"


def full_table(tallies: dict[Key, Tally]) -> str:
    """Markdown: one row per (G, design), one column per method."""
    methods = [m for m in METHODS if any(k[2] == m for k in tallies)]
    header = ["G", "design", *[METHODS[m][0] for m in methods]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    cells = sorted({(g, label) for g, label, _ in tallies},
                   key=lambda c: (c[0], _treated(c[1])))
    for g, label in cells:
        row = [str(g), label if label != BX else "any (tests b_x)"]
        row += [_percent(tallies.get((g, label, m))) for m in methods]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def counts_table(tallies: dict[Key, Tally]) -> str:
    """Markdown: datasets per method and cell, and refusals with their reasons."""
    lines = ["| G | design | method | datasets | refused | smallest p <= 5% | p below smallest p "
             "| reason |", "|---|---|---|---|---|---|---|---|"]
    for (g, label, method), tally in sorted(
            tallies.items(), key=lambda i: (i[0][0], _treated(i[0][1]), i[0][2])):
        reason = "; ".join(sorted(tally.reasons)).replace("|", "/")
        lines.append(f"| {g} | {label} | {METHODS[method][0]} | "
                     f"{tally.computed + tally.refused} | {tally.refused} | "
                     f"{tally.attainable} | {tally.below} | {reason} |")
    return "\n".join(lines)


def recommended_table(tallies: dict[Key, Tally], recommendations: Recommendations) -> str:
    """Markdown: the recommended method and its rejection rate by G and design, without and
    with the treatment assignment given to ``few_cluster_inference``."""
    lines = ["| G | design | recommended without assignment | rejects | recommended with "
             "assignment= | rejects |", "|---|---|---|---|---|---|"]
    cells = sorted({(g, label) for g, label, _ in recommendations},
                   key=lambda c: (c[0], _treated(c[1])))
    for g, label in cells:
        row = [str(g), label]
        for assigned in (False, True):
            method = recommended_method(recommendations[g, label, assigned])
            if method is None:
                row += [recommendations[g, label, assigned].split(":")[0].split(";")[0], "-"]
            else:
                mark = (" (exact)" if method == "randomization" else
                        " (conservative)" if conservative(g, label, method) else "")
                row += [METHODS[method][0] + mark, _percent(tallies.get((g, label, method)))]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def conservative(g: int, label: str, method: str) -> bool:
    """Whether the method is conservative by construction in this cell, so that only the upper
    end of the 3.5-6.5% band applies: randomization inference (an exact test whose p-value
    takes few values: its size is at most the level), and the restricted wild bootstrap with
    one or two treated (or untreated) clusters (MacKinnon and Webb 2017, 2018), as
    ``few_cluster_inference`` says in its reason."""
    k = _treated(label)
    return method == "randomization" or (method.startswith("wcr") and min(k, g - k) <= 2)


def band_check(tallies: dict[Key, Tally], recommendations: Recommendations
               ) -> tuple[list[str], list[str]]:
    """Recommended (cell, method) pairs rejecting outside 3.5-6.5% (above 6.5% where the
    method is conservative by construction), and those that cannot reject at all (smallest
    attainable p-value above 5% on every dataset)."""
    failures, impossible = [], []
    for (g, label, assigned), text in sorted(
            recommendations.items(), key=lambda i: (i[0][0], _treated(i[0][1]), i[0][2])):
        method = recommended_method(text)
        tally = tallies.get((g, label, method)) if method else None
        if method is None or tally is None or not tally.computed:
            continue
        cell = (f"G={g}, {label}, {METHODS[method][0]} "
                f"({'with' if assigned else 'without'} assignment)")
        low = 0.0 if conservative(g, label, method) else 0.035
        if not tally.attainable:
            impossible.append(cell)
        elif not low <= tally.rate <= 0.065:
            failures.append(f"{cell}: {100 * tally.rate:.1f}% "
                            f"(MC s.e. {100 * tally.std_error:.1f})")
    return failures, impossible


def save_tallies(tallies: dict[Key, Tally], meta: dict[str, object], path: Path) -> None:
    """The counts behind every table and the run's settings, so that the tables can be remade
    (``--tables-from``) without rerunning the simulation."""
    rows = [{"G": g, "design": label, "method": method, **asdict(t),
             "reasons": sorted(t.reasons)} for (g, label, method), t in tallies.items()]
    path.write_text(json.dumps({"meta": meta, "tallies": rows}, indent=1, ensure_ascii=False)
                    + "\n", encoding="utf-8")


def load_tallies(path: Path) -> tuple[dict[Key, Tally], dict[str, object]]:
    saved = json.loads(path.read_text(encoding="utf-8"))
    tallies = {(r.pop("G"), r.pop("design"), r.pop("method")):
               Tally(**{**r, "reasons": set(r["reasons"])}) for r in saved["tallies"]}
    return tallies, saved["meta"]


def below_note(tallies: dict[Key, Tally]) -> str:
    """Which methods gave p-values below the smallest p-value they reported."""
    methods = sorted({METHODS[m][0] for (_, _, m), t in tallies.items() if t.below})
    if not methods:
        return "No p-value was below its reported smallest p-value."
    cells = sum(1 for t in tallies.values() if t.below)
    return (f"p-values below the reported smallest p-value (in {cells} cells): "
            f"{'; '.join(methods)}: the reported smallest p-value is wrong there.")


def _revision() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True, cwd=Path(__file__).parent).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "econ"],
                               capture_output=True, text=True, check=True,
                               cwd=Path(__file__).parent).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    changed = [line[3:] for line in dirty if line.strip()]
    return head + (f" with uncommitted changes to {', '.join(changed)}" if changed else "")


COUNTS = ("rejections", "computed", "refused", "attainable", "below")


def replicate(seed: int, others: int, randomization: RandomizationFunction | None,
              stream: np.random.SeedSequence, *, clusters: int) -> dict[str, float | str | None]:
    """Dataset ``r`` (the engine's replication index) of ``Design(clusters)``: its counts per
    design and method, flattened to ``"label|method|count"`` (and ``"...|reason"``)."""
    r = stream.spawn_key[0]
    tallies: dict[Key, Tally] = {}
    simulate_dataset(Design(clusters), seed, r, r < others, randomization, tallies)
    found: dict[str, float | str | None] = {}
    for (_, label, method), tally in tallies.items():
        found.update({f"{label}|{method}|{count}": getattr(tally, count) for count in COUNTS})
        found[f"{label}|{method}|reason"] = next(iter(tally.reasons), None)
    return found


def simulate(args: argparse.Namespace, datasets: int, others: int,
             randomization: RandomizationFunction | None
             ) -> tuple[dict[Key, Tally], dict[str, object]]:
    """Every method on every dataset, on the Monte Carlo engine: the counts and the settings.

    Dataset ``r`` of ``G`` clusters draws from ``default_rng([seed, G, r])`` whatever the
    worker, so the counts are those of the sequential loop.
    """
    # Read now: the shared tree may gain commits while the run, on the code imported here, goes.
    revision = _revision()
    started = time.perf_counter()
    run = montecarlo(partial(replicate, args.seed, others, randomization), reps=datasets,
                     grid={"clusters": list(args.clusters)}, seed=args.seed,
                     workers=args.workers, client=args.scheduler,
                     task_size=max(1, datasets // 50))
    if run.n_failed:
        raise RuntimeError(f"{run.n_failed} datasets failed: {run.failures['error'].iloc[0]}")
    tallies: dict[Key, Tally] = {}
    for clusters, rows in run.replications.groupby("clusters", sort=False):
        design = Design(int(clusters))
        for name in (c for c in rows.columns if c.endswith("|reason")):
            label, method, _ = name.split("|")
            counts = rows[[f"{label}|{method}|{count}" for count in COUNTS]]
            if counts.isna().all().all():
                continue
            reasons = {str(r) for r in rows[name].dropna()}
            tallies[(design.clusters, label, method)] = Tally(
                *(int(v) for v in counts.sum()), reasons=reasons)
        print(f"G = {design.clusters:2d}: sizes {design.sizes().min()}-"
              f"{design.sizes().max()} (N = {design.sizes().sum()})", flush=True)
    meta: dict[str, object] = {
        "seed": args.seed, "datasets": datasets, "others": others,
        "where": ("in one process" if args.workers == 0 else
                  "on a scheduler" if args.scheduler else
                  f"on {args.workers or 'one per core'} local Dask worker(s)"),
        "minutes": (time.perf_counter() - started) / 60,
        "python": platform.python_version(), "revision": revision}
    return tallies, meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 12 datasets per G, 4 for the other methods")
    parser.add_argument("--datasets", type=int, default=1000,
                        help="datasets per G for the restricted wild bootstraps")
    parser.add_argument("--others", type=int, default=500,
                        help="datasets per G for the other methods (the first of them)")
    parser.add_argument("--seed", type=int, default=20240612)
    parser.add_argument("--workers", type=int, default=None,
                        help="local Dask workers (default one per core; 0: in this process)")
    parser.add_argument("--scheduler", default=None, help="an existing cluster's scheduler")
    parser.add_argument("--clusters", type=int, nargs="*", default=list(CLUSTER_COUNTS))
    parser.add_argument("--tables-from", type=Path, default=None, metavar="JSON",
                        help="remake the tables from a saved run's counts (the recommendations "
                             "are read again from the current econ) instead of simulating")
    parser.add_argument("--output", type=Path, default=None,
                        help=f"Markdown file (default {RESULTS.name} in benchmarks/results; "
                             f"a --quick run writes none unless given)")
    args = parser.parse_args()
    datasets, others = (12, 4) if args.quick else (args.datasets, args.others)
    others = min(others, datasets)
    randomization = randomization_function()
    if args.tables_from is not None:
        tallies, meta = load_tallies(args.tables_from)
    else:
        tallies, meta = simulate(args, datasets, others, randomization)
    recommendations: Recommendations = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        for clusters in sorted({g for g, _, _ in tallies}):
            design = Design(clusters)
            for k in design.treated_counts():
                for assigned in (False, True):
                    recommendations[clusters, _design_label(k, clusters), assigned] = (
                        recommendation(design, k, int(str(meta["seed"])), assigned))

    failures, impossible = band_check(tallies, recommendations)
    ri_note = ("Randomization inference: `econ.models.randomization.randomization_inference`, "
               "statistic the coefficient." if randomization is not None else
               "Randomization inference: not run (`econ.models.randomization."
               "randomization_inference` does not exist in this revision).")
    report = "\n\n".join([
        "# Size of few-cluster tests (issue 12)",
        f"Rejection rates at 5% under the null, in percent, with Monte Carlo standard errors "
        f"in parentheses. `python benchmarks/size_few_clusters.py"
        f"{' --quick' if args.quick else ''}`: seed {meta['seed']}, {meta['datasets']} "
        f"datasets per G for the restricted wild bootstraps and {meta['others']} for the other "
        f"methods, B = {REPS} (Rademacher: all 2^G patterns when 2^G <= {REPS}), run time "
        f"{float(str(meta['minutes'])):.1f} min {meta.get('where', 'on one core')} "
        f"({meta['python']}, econ "
        f"{meta['revision']} at the start). Recommendations read with econ {_revision()}."
        + (f" {meta['note']}" if meta.get("note") else ""),
        "Design: cluster sizes 20 to 100 (geometric), four subclusters per cluster, cluster "
        "effects in x (half its variance) and u (a fifth), heteroskedastic noise; the treatment "
        "d is constant within clusters and given to k random clusters; y = 1 + u. Every "
        "method tests b_d = 0 except Ibragimov-Muller and Canay-Romano-Shaikh, which need a "
        "coefficient estimable within each cluster and test b_x = 0 (the covariate), once per "
        "dataset (rows 'any (tests b_x)'). " + ri_note,
        "## Recommended method (`econ.few_cluster_inference`, clustering by g)",
        "Each cell's recommendation is read from one dataset of that design, without and with "
        "`assignment=econ.Assignment(data, \"d\")` (randomization inference is then available). "
        "'No test by g can reject at 5%' is the recommendation when the only valid test has too "
        "few distinct assignments to reach 5%; 'Do not cluster by g' when G <= 3.",
        recommended_table(tallies, recommendations),
        "'(exact)': randomization inference, exact under the random assignment of this design, "
        "rejects at most 5% by construction (less where its few distinct p-values skip 5%); "
        "'(conservative)': the restricted wild bootstrap with one or two treated or untreated "
        "clusters, conservative by construction (MacKinnon and Webb 2017, 2018), as "
        "`few_cluster_inference` says in its reason. For both only the upper bound of 6.5% "
        "applies.",
        "Recommended method outside 3.5-6.5% (above 6.5% where conservative): "
        + ("; ".join(failures) if failures
                                                    else "none.")
        + ("\n\nCannot reject at 5% on any dataset (conservative by construction): "
           + "; ".join(impossible) if impossible else ""),
        "## All methods",
        full_table(tallies),
        "## Datasets and refusals",
        "'smallest p <= 5%': datasets where the smallest p-value the test reports it can give "
        "(`smallest_pvalue` of a wild bootstrap, `smallest_p` of randomization inference, "
        "`smallest_p_value` of Canay-Romano-Shaikh, 0 for t tests) is at most 5%, i.e. where it "
        "could reject at all. 'p below smallest p': datasets whose p-value is below that "
        "reported smallest p-value where that bound is exact (all draws enumerated), which a "
        "correct report never allows (with random draws the bound holds in expectation only). "
        + below_note(tallies),
        counts_table(tallies),
        "## Recommendations, verbatim",
        "\n".join(f"- G = {g}, {label}, {'with' if assigned else 'without'} assignment: "
                  f"{text}" for (g, label, assigned), text in recommendations.items()),
    ]) + "\n"
    print(report)
    output = args.output if args.output is not None or args.quick else RESULTS
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(report, encoding="utf-8")
        if args.tables_from is None:
            save_tallies(tallies, meta, output.with_suffix(".json"))
        print(f"written to {output}")


if __name__ == "__main__":
    main()
