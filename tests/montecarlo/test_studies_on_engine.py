"""The size and coverage studies on the engine give the numbers of their sequential loops.

Each study's replications are compared, value for value, with the loop the study ran before
it moved onto :func:`econ.montecarlo.montecarlo` (the loops are written out here), on a few
replications in process. That the engine's numbers do not depend on the workers is
test_montecarlo_engine.py's business.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from dataclasses import asdict
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import econ
from econ.montecarlo import montecarlo

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def test_size_wild_bootstrap_replications_equal_the_sequential_loop():
    script = _load("size_wild_bootstrap")
    design = script.Design()
    run = montecarlo(partial(script.replicate, design), script.tests, reps=4, seed=20240501,
                     workers=0)
    expected = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        for child in np.random.SeedSequence(20240501).spawn(4):
            rng = np.random.default_rng(child)
            result = econ.feols("y ~ x", design.draw(rng), cov=econ.Cluster("cluster"))
            weight_seed = int(rng.integers(2**31))
            rademacher = result.wild_bootstrap("x", econ.WildBootstrap(reps=1024,
                                                                       ci_level=None))
            webb = result.wild_bootstrap("x", econ.WildBootstrap(
                reps=999, distribution="webb", seed=weight_seed, ci_level=None))
            expected.append([rademacher.pvalue, webb.pvalue, float(result.pvalues["x"])])
    got = run.replications[["wcr_rademacher", "wcr_webb", "cr1"]].to_numpy()
    assert np.array_equal(got, np.array(expected))


@pytest.mark.filterwarnings("ignore::econ.FewClustersWarning")
def test_coverage_strong_alliance_replication_equals_the_sequential_loop():
    script = _load("coverage_strong_alliance")
    run = montecarlo(partial(script.panel, 1000), partial(script.designs, 49), reps=1,
                     workers=0)
    row = run.replications.iloc[0]
    sim = econ.simulate("wp", seed=1000)
    settings = econ.WildBootstrap(reps=49, seed=0)
    triple = econ.strong_alliance(sim.dataset, bootstrap=settings)["triple_difference"]
    low, high = triple.bootstrap.ci
    truth = sim.truth.triple_difference
    assert row["triple_difference"] == triple.row()["estimate"]
    assert row["triple_difference_covered"] == float(low <= truth <= high)
    designation = econ.designation_effect(sim.dataset, bootstrap=settings)
    assert row["designation"] == designation.estimate


def test_few_cluster_size_counts_equal_the_sequential_loop():
    script = _load("size_few_clusters")
    randomization = script.randomization_function()
    expected: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for r in range(3):
            script.simulate_dataset(script.Design(4), 20240612, r, r < 2, randomization,
                                    expected)
    args = type("Args", (), {"clusters": [4], "seed": 20240612, "workers": 0,
                             "scheduler": None})()
    tallies, _ = script.simulate(args, 3, 2, randomization)
    assert {k: asdict(t) for k, t in tallies.items()} == {k: asdict(t)
                                                          for k, t in expected.items()}
