"""The wild cluster bootstrap against wildboottest (0.3.x) and pyfixest's wrapper around it.

With Rademacher weights and ``B > 2^G`` wildboottest enumerates all sign patterns (it needs
``2^G < B`` strictly; econ enumerates from ``2^G <= B``), so both sides hold the same ``2^G``
statistics in different orders: the sorted distributions are compared. wildboottest counts
``|t*| > |t|`` with no tie tolerance; under WCR11 the all-(+1) and all-(-1) patterns reproduce
``±t`` up to rounding and may or may not be counted there, so its p-value is recomputed from its
own draws with econ's tie rule (and its own p-value differs by at most those two patterns).

Not compared with wildboottest: variants ``"13"``/``"33"`` (its CV3 denominator crashes under
numpy 2) and the subcluster bootstrap (with ``bootcluster`` finer than ``cluster`` its CR1
denominator indexes a G x G array with the bootstrap clusters and raises IndexError). Both are
covered by the brute-force reference in test_wild_bootstrap_bruteforce.py.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
import wildboottest.wildboottest as wildboottest

import econ
from econ.inference.bootstrap.wild import TIE

# The models have few clusters by design; the warning itself is tested with the properties.
pytestmark = pytest.mark.filterwarnings("ignore::econ.FewClustersWarning")


def make_data(clusters: int, seed: int, n: int = 240) -> pd.DataFrame:
    """Unequal random clusters with a cluster shock; ``unit`` is nested in ``g``."""
    rng = np.random.default_rng(seed)
    g = np.sort(rng.integers(0, clusters, n))
    x1 = rng.normal(size=n) + 0.6 * rng.normal(size=clusters)[g]
    x2 = rng.normal(size=n)
    y = 1.0 + 0.08 * x1 - 0.5 * x2 + rng.normal(size=n) + rng.normal(size=clusters)[g]
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g,
                         "unit": g * 10 + np.arange(n) % 3})


def symmetric_pvalue(observed: float, draws: np.ndarray) -> float:
    """econ's strict rule: count ``|t*| > |t|`` beyond a relative 1e-10 tie band."""
    return float(np.mean(np.abs(draws) > abs(observed) + TIE * abs(observed)))


def run_wildboottest(df: pd.DataFrame, variant: str, restricted: bool, reps: int
                     ) -> tuple[float, np.ndarray, float]:
    """wildboottest's observed t, bootstrap t's and own p-value for ``x1 = 0``."""
    X = np.column_stack([np.ones(len(df)), df["x1"], df["x2"]])
    boot = wildboottest.WildboottestCL(X=X, Y=df["y"].to_numpy(), cluster=df["g"].to_numpy(),
                                       R=np.array([0.0, 1.0, 0.0]), B=reps, seed=1,
                                       parallel=False)
    boot.get_scores(bootstrap_type=variant, impose_null=restricted)
    boot.get_weights(weights_type="rademacher")
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    return float(np.ravel(boot.t_stat)[0]), np.ravel(boot.t_boot), float(boot.pvalue)


@pytest.mark.parametrize("clusters", [8, 11])
@pytest.mark.parametrize("restricted", [True, False], ids=["WCR", "WCU"])
@pytest.mark.parametrize("variant", ["11", "31"])
def test_enumeration_matches_wildboottest(variant: str, restricted: bool, clusters: int
                                          ) -> None:
    df = make_data(clusters, seed=clusters)
    reps = 2**clusters + 1
    t_ref, draws_ref, p_ref = run_wildboottest(df, variant, restricted, reps)
    result = econ.feols("y ~ x1 + x2", df, cov=econ.Cluster("g"))
    # wildboottest counts only draws more extreme than the observed t: the strict rule.
    settings = econ.WildBootstrap(reps=reps, variant=variant, restricted=restricted,
                                  keep_draws=True, pvalue_rule="strict")
    test = result.wild_bootstrap("x1", settings)
    assert test.enumerated and test.reps == len(draws_ref) == 2**clusters
    assert test.statistic == pytest.approx(t_ref, rel=1e-10)
    np.testing.assert_allclose(np.sort(test.draws), np.sort(draws_ref), rtol=0, atol=1e-10)
    assert test.pvalue == symmetric_pvalue(t_ref, draws_ref)
    assert abs(test.pvalue - p_ref) <= 2 / 2**clusters
    if restricted and variant == "11":
        # The default (inclusive) rule adds the two patterns that reproduce +/- t (with the
        # jackknife DGP of variant 31 they do not reproduce it exactly).
        inclusive = result.wild_bootstrap("x1", dataclasses.replace(settings,
                                                                    pvalue_rule="inclusive"))
        assert inclusive.pvalue == test.pvalue + 2 / 2**clusters


@contextmanager
def pyfixest_quiet() -> Iterator[list[warnings.WarningMessage]]:
    """Silence pyfixest's pandas deprecations; record the rest (its enumeration notice)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=pd.errors.PandasDeprecationWarning)
        yield caught


def run_pyfixest(df: pd.DataFrame, formula: str, reps: int, weights: str = "rademacher",
                 seed: int = 7) -> tuple[float, float, np.ndarray, list[str]]:
    """pyfixest's t, p-value, bootstrap t's and warning messages for ``x1 = 0``."""
    with pyfixest_quiet() as caught:
        fit = pf.feols(formula, data=df, vcov={"CRV1": "g"})
        summary, draws = fit.wildboottest(param="x1", reps=reps, cluster="g", seed=seed,
                                          weights_type=weights, return_bootstrapped_t_stats=True)
    messages = [str(w.message) for w in caught]
    return float(summary["t value"]), float(summary["Pr(>|t|)"]), np.ravel(draws), messages


@pytest.mark.parametrize("formula", ["y ~ x1 + x2", "y ~ x1 + x2 | unit"],
                         ids=["no_fe", "nested_fe"])
def test_enumeration_matches_pyfixest(formula: str) -> None:
    clusters = 10
    df = make_data(clusters, seed=3, n=180)
    # reps > 2^G with Rademacher weights is what makes pyfixest (wildboottest) enumerate.
    t_ref, p_ref, draws_ref, messages = run_pyfixest(df, formula, reps=2**clusters + 1)
    assert any("full_enumeration" in m for m in messages)
    # pyfixest bootstraps the one-hot model and counts every dummy in K: fixef_k="full" makes
    # econ's small-sample factor the same (the default "nested" only rescales t and all t*).
    ssc = econ.SmallSample(fixef_k="full")
    result = econ.feols(formula, df, cov=econ.Cluster("g", ssc=ssc))
    test = result.wild_bootstrap("x1", econ.WildBootstrap(reps=2**clusters + 1, keep_draws=True,
                                                          pvalue_rule="strict"))
    assert test.enumerated and len(draws_ref) == test.reps == 2**clusters
    assert test.statistic == pytest.approx(t_ref, rel=1e-10)
    np.testing.assert_allclose(np.sort(test.draws), np.sort(draws_ref), rtol=0, atol=1e-10)
    assert test.pvalue == symmetric_pvalue(t_ref, draws_ref)
    assert abs(test.pvalue - p_ref) <= 2 / 2**clusters
    default = econ.feols(formula, df, cov=econ.Cluster("g")).wild_bootstrap(
        "x1", econ.WildBootstrap(reps=2000, pvalue_rule="strict"))
    assert default.pvalues == test.pvalues


@pytest.mark.parametrize("formula", ["y ~ x1 + x2", "y ~ x1 + x2 | unit"],
                         ids=["no_fe", "nested_fe"])
def test_webb_pvalue_within_monte_carlo_error_of_pyfixest(formula: str) -> None:
    # Independent Webb draws on both sides (16 clusters, so econ does not enumerate): the two
    # p-values estimate the same limit; 4 standard errors of one plus 2/B covers the gap.
    df = make_data(16, seed=21, n=320)
    reps = 1999
    _, p_ref, _, _ = run_pyfixest(df, formula, reps=reps, weights="webb")
    result = econ.feols(formula, df, cov=econ.Cluster("g"))
    test = result.wild_bootstrap("x1", econ.WildBootstrap(reps=reps, distribution="webb", seed=99))
    assert not test.enumerated and test.reps == reps
    p = test.pvalue
    assert 0.02 < p < 0.98
    assert abs(p - p_ref) <= 4 * np.sqrt(p * (1 - p) / reps) + 2 / reps
