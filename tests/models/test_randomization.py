"""Randomization inference: brute force, the permutation stream, size under the null, errors.

The brute force enumerates assignments with itertools and refits each with numpy least
squares on explicit dummies, independently of the package's design and absorption code.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from econ.data.dataset import SIMULATED_LABEL, Dataset
from econ.data.seeds import entropy
from econ.estimation.linear import EstimationWarning
from econ.inference.resampling import PERMUTATION_BLOCK, permutations
from econ.models.randomization import randomization_inference

FORMULA = "y ~ treat:post + x | village + year"
TERM = "treat:post"
TIE = 1e-9  # the relative tie tolerance the p-value is defined with


def _panel(treated: list[int], clusters: int = 8, seed: int = 1) -> pd.DataFrame:
    """Villages (2 to 4 per township) over 5 years; ``treat`` is set by township."""
    rng = np.random.default_rng(seed)
    rows = []
    for township in range(clusters):
        effect = rng.normal()
        for v in range(int(rng.integers(2, 5))):
            for year in range(5):
                rows.append({"township": f"T{township}", "village": f"T{township}V{v}",
                             "county": "A" if township < clusters // 2 else "B",
                             "year": year, "post": float(year >= 3),
                             "treat": float(township in treated),
                             "x": rng.normal(), "w": rng.uniform(0.5, 2.0),
                             "y": effect + rng.normal()})
    return pd.DataFrame(rows)


def _brute_statistic(frame: pd.DataFrame, treated_townships: set[str], kind: str,
                     weighted: bool) -> float:
    """``y ~ treat:post + x`` with every village and all but one year as dummies, by lstsq."""
    treat = frame["township"].isin(treated_townships).to_numpy(float)
    villages = pd.get_dummies(frame["village"]).to_numpy(float)
    years = pd.get_dummies(frame["year"]).to_numpy(float)[:, 1:]
    X = np.column_stack([treat * frame["post"].to_numpy(), frame["x"].to_numpy(), villages,
                         years])
    y = frame["y"].to_numpy()
    if weighted:
        root = np.sqrt(frame["w"].to_numpy())
        X, y = X * root[:, None], y * root
    beta, *_ = np.linalg.lstsq(X, y, rcond=None)
    if kind == "coefficient":
        return float(beta[0])
    residuals = y - X @ beta
    sigma2 = residuals @ residuals / (len(y) - np.linalg.matrix_rank(X))
    return float(beta[0] / np.sqrt(sigma2 * np.linalg.inv(X.T @ X)[0, 0]))


def _brute(frame: pd.DataFrame, assignments: list[set[str]], observed: set[str], kind: str,
           weighted: bool) -> tuple[np.ndarray, float]:
    draws = np.array([_brute_statistic(frame, a, kind, weighted) for a in assignments])
    value = _brute_statistic(frame, observed, kind, weighted)
    return draws, float(np.mean(np.abs(draws) >= abs(value) * (1 - TIE)))


# (a) against brute force -------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["coefficient", "t"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("formula", [FORMULA, "y ~ treat*post + x | village + year"])
def test_enumeration_matches_brute_force(kind: str, weighted: bool, formula: str) -> None:
    """8 townships, 3 treated: 56 assignments. The coefficient is partialled (``treat`` and
    ``post`` of ``treat*post`` are absorbed by the fixed effects under every assignment), the
    t statistic refitted; with weights the fixed effects are absorbed iteratively."""
    frame = _panel(treated=[1, 4, 6])
    names = [f"T{g}" for g in range(8)]
    assignments = [{names[g] for g in chosen} for chosen in itertools.combinations(range(8), 3)]
    draws, p = _brute(frame, assignments, {"T1", "T4", "T6"}, kind, weighted)
    with warnings.catch_warnings():
        # treat and post absorbed: the observed fit says so once
        warnings.simplefilter("ignore", EstimationWarning)
        result = randomization_inference(formula, frame, term=TERM, treatment="treat",
                                         cluster="township",
                                         statistic=kind,  # type: ignore[arg-type]
                                         weights="w" if weighted else None, keep_draws=True)
    assert result.engine == ("partialled" if kind == "coefficient" else "refit")
    assert result.enumerated and result.assignments == 56 and result.reps == 56
    assert result.pvalue == p
    assert result.draws is not None
    np.testing.assert_allclose(np.sort(result.draws), np.sort(draws), rtol=0, atol=1e-10)
    top = np.abs(draws).max()
    assert result.smallest_p == np.mean(np.abs(draws) >= top * (1 - TIE))
    assert result.statistic == pytest.approx(
        _brute_statistic(frame, {"T1", "T4", "T6"}, kind, weighted), abs=1e-10)


def test_strata_enumerate_within_each_stratum() -> None:
    """Two counties of four townships, two treated in each: C(4, 2)^2 = 36 assignments."""
    frame = _panel(treated=[0, 2, 5, 7])
    first, second = ([f"T{g}" for g in range(4)], [f"T{g}" for g in range(4, 8)])
    assignments = [set(a) | set(b) for a in itertools.combinations(first, 2)
                   for b in itertools.combinations(second, 2)]
    draws, p = _brute(frame, assignments, {"T0", "T2", "T5", "T7"}, "coefficient", False)
    result = randomization_inference(FORMULA, frame, term=TERM, treatment="treat",
                                     cluster="township", strata="county", keep_draws=True)
    assert result.enumerated and result.assignments == 36 and result.n_strata == 2
    assert result.pvalue == p
    assert result.draws is not None
    np.testing.assert_allclose(np.sort(result.draws), np.sort(draws), rtol=0, atol=1e-10)


def test_a_model_with_two_treatment_columns_is_refitted() -> None:
    """``treat + treat:post`` without fixed effects: two columns move with the treatment, so
    every assignment is refitted; brute force with explicit columns."""
    frame = _panel(treated=[1, 4, 6])
    names = [f"T{g}" for g in range(8)]

    def fit(treated: set[str]) -> float:
        treat = frame["township"].isin(treated).to_numpy(float)
        X = np.column_stack([np.ones(len(frame)), treat, treat * frame["post"], frame["x"]])
        return float(np.linalg.lstsq(X, frame["y"].to_numpy(), rcond=None)[0][2])

    draws = np.array([fit({names[g] for g in chosen})
                      for chosen in itertools.combinations(range(8), 3)])
    value = fit({"T1", "T4", "T6"})
    result = randomization_inference("y ~ treat + treat:post + x", frame, term=TERM,
                                     treatment="treat", cluster="township", keep_draws=True)
    assert result.engine == "refit"
    assert result.pvalue == np.mean(np.abs(draws) >= abs(value) * (1 - TIE))
    assert result.draws is not None
    np.testing.assert_allclose(np.sort(result.draws), np.sort(draws), rtol=0, atol=1e-10)


def test_an_assignment_that_changes_the_model_is_refused() -> None:
    """A control equal to the observed treat:post is dropped as collinear in the observed fit
    but identified under other assignments: the coefficients are not comparable."""
    frame = _panel(treated=[1, 4, 6])
    frame["z"] = frame["treat"] * frame["post"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)
        with pytest.raises(ValueError, match="changes the regressors identified"):
            randomization_inference("y ~ treat:post + z | village + year", frame, term=TERM,
                                    treatment="treat", cluster="township")


def test_multivalued_treatment_enumerates_distinct_assignments() -> None:
    """Doses 0, 0, 1, 1, 2, 2 over six townships: 6! / (2! 2! 2!) = 90 distinct assignments."""
    frame = _panel(treated=[], clusters=6, seed=3)
    doses = [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    frame["treat"] = frame["township"].str[1:].astype(int).map(dict(enumerate(doses)))
    distinct = sorted(set(itertools.permutations(doses)))
    assert len(distinct) == 90

    def fit(dose: tuple[float, ...]) -> float:
        treat = frame["township"].str[1:].astype(int).map(dict(enumerate(dose))).to_numpy()
        X = np.column_stack([np.ones(len(frame)), treat, frame["x"]])
        return float(np.linalg.lstsq(X, frame["y"].to_numpy(), rcond=None)[0][1])

    draws = np.array([fit(d) for d in distinct])
    value = fit(tuple(doses))
    result = randomization_inference("y ~ treat + x", frame, term="treat", treatment="treat",
                                     cluster="township", keep_draws=True)
    assert result.enumerated and result.assignments == 90
    assert result.pvalue == np.mean(np.abs(draws) >= abs(value) * (1 - TIE))
    assert result.draws is not None
    np.testing.assert_allclose(np.sort(result.draws), np.sort(draws), rtol=0, atol=1e-10)


def test_agrees_with_ritest_on_the_same_assignments() -> None:
    """ritest-python, given the 56 assignments as row-level treatment vectors, gives the same
    statistics and p-value; its own cluster permutations give a p-value within Monte Carlo
    error of the exact one."""
    ritest = pytest.importorskip("ritest")
    frame = _panel(treated=[1, 4, 6])
    names = [f"T{g}" for g in range(8)]
    matrix = np.array([frame["township"].isin({names[g] for g in chosen}).to_numpy(float)
                       for chosen in itertools.combinations(range(8), 3)])
    exact = randomization_inference("y ~ treat + x", frame, term="treat", treatment="treat",
                                    cluster="township", keep_draws=True)
    theirs = ritest.ritest(df=frame, permute_var="treat", formula="y ~ treat + x",
                           stat="treat", permutations=matrix, reps=len(matrix),
                           ci_mode="none", seed=1)
    assert exact.draws is not None
    np.testing.assert_allclose(np.sort(theirs.perm_stats), np.sort(exact.draws), atol=1e-10)
    assert theirs.pval == exact.pvalue
    # 2,000 draws of 56 assignments repeat them, which ritest warns about.
    with pytest.warns(UserWarning, match="Low uniqueness"):
        drawn = ritest.ritest(df=frame, permute_var="treat", formula="y ~ treat + x",
                              stat="treat", cluster="township", reps=2000, ci_mode="none",
                              seed=1)
    assert abs(drawn.pval - exact.pvalue) <= 4 * np.sqrt(exact.pvalue * (1 - exact.pvalue)
                                                         / 2000)


# (b) the permutation stream and seeds --------------------------------------------------------
def test_permutations_are_chunk_invariant_and_within_strata() -> None:
    strata = np.array([0, 1, 0, 2, 1, 0, 0, 2])
    reps = 2 * PERMUTATION_BLOCK + 37
    whole = permutations(strata, 11, 0, reps)
    for size in (1, 7, 1000, PERMUTATION_BLOCK):
        starts = list(range(0, reps, size))[::-1]
        pieces = {s: permutations(strata, 11, s, min(s + size, reps)) for s in starts}
        assert np.array_equal(np.vstack([pieces[s] for s in sorted(pieces)]), whole), size
    assert (np.sort(whole, axis=1) == np.arange(len(strata))).all()
    assert (strata[whole] == strata).all()
    assert not np.array_equal(whole, permutations(strata, 12, 0, reps))


def test_permutations_are_uniform() -> None:
    """The 24 orders of four clusters appear equally often (chi-square, 24,000 draws)."""
    draws = permutations(np.zeros(4, dtype=int), 5, 0, 24_000)
    index = {p: i for i, p in enumerate(itertools.permutations(range(4)))}
    counts = np.bincount([index[tuple(row)] for row in draws], minlength=24)
    assert stats.chisquare(counts).pvalue > 1e-3


def test_random_draws_depend_only_on_seed_and_replicate() -> None:
    frame = _panel(treated=[1, 4, 6])
    run = dict(term=TERM, treatment="treat", cluster="township", keep_draws=True)
    short = randomization_inference(FORMULA, frame, reps=20, seed=9, **run)
    long = randomization_inference(FORMULA, frame, reps=50, seed=9, **run)
    assert not short.enumerated and short.reps == 20 and short.assignments == 56
    assert short.draws is not None and long.draws is not None
    assert np.array_equal(long.draws[:20], short.draws)
    extreme = int((np.abs(long.draws) >= abs(long.statistic) * (1 - TIE)).sum())
    assert long.pvalue == (1 + extreme) / 51 and long.smallest_p == 1 / 51
    generated = randomization_inference(FORMULA, frame, reps=50,
                                        seed=np.random.default_rng(4), **run)
    assert generated.seed == entropy(np.random.default_rng(4))
    again = randomization_inference(FORMULA, frame, reps=50, seed=generated.seed, **run)
    assert generated.draws is not None and again.draws is not None
    assert np.array_equal(generated.draws, again.draws)
    assert not np.array_equal(generated.draws, long.draws)


# (c) size under the null ---------------------------------------------------------------------
def test_exact_size_under_the_null() -> None:
    """Six townships of unequal size, two treated at random, no effect: every p-value is one of
    k/15 and, the test being exact, P(p <= k/15) = k/15. Over 300 datasets the rejection rates
    at 1/15, 2/15 and 3/15 stay within three Monte Carlo standard errors above nominal, the p
    values pass a chi-square test of uniformity over the 15 values, and nothing is rejected at
    5% (below the smallest attainable p of 1/15). Excluding the observed assignment from the
    reference distribution, or any one-off count, fails the support check at once."""
    rng = np.random.default_rng(20240501)
    datasets, assignments = 300, 15
    pvalues = []
    for _ in range(datasets):
        sizes = rng.integers(2, 12, size=6)
        township = np.repeat(np.arange(6), sizes)
        treated = rng.choice(6, size=2, replace=False)
        frame = pd.DataFrame({
            "township": township, "treat": np.isin(township, treated).astype(float),
            "x": rng.normal(size=len(township)),
            # township shocks and heteroskedastic noise: CR1 t-tests over-reject here
            "y": (rng.normal(size=6) * 2)[township] + rng.normal(size=len(township))
            * (1 + township)})
        result = randomization_inference("y ~ treat + x", frame, term="treat",
                                         treatment="treat", cluster="township")
        assert result.enumerated and result.assignments == assignments
        pvalues.append(result.pvalue)
    k = np.rint(np.array(pvalues) * assignments)
    assert np.allclose(k, np.array(pvalues) * assignments) and k.min() >= 1
    for level in (1, 2, 3):
        alpha = level / assignments
        rate = np.mean(k <= level)
        assert rate <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / datasets), (level, rate)
    assert np.mean(np.array(pvalues) <= 0.05) == 0
    assert stats.chisquare(np.bincount(k.astype(int), minlength=16)[1:]).pvalue > 1e-3


# (d) errors ----------------------------------------------------------------------------------
def test_refuses_a_treatment_varying_within_clusters() -> None:
    frame = _panel(treated=[1, 4, 6])
    frame.loc[frame["village"] == "T4V1", "treat"] = 0.0
    with pytest.raises(ValueError, match=r"varies within 1 cluster.*T4"):
        randomization_inference(FORMULA, frame, term=TERM, treatment="treat",
                                cluster="township")


def test_refuses_a_term_not_in_the_model() -> None:
    frame = _panel(treated=[1, 4, 6])
    with pytest.raises(KeyError, match="no coefficient 'treat'"):
        randomization_inference(FORMULA, frame, term="treat", treatment="treat",
                                cluster="township")


def test_refuses_strata_not_nested() -> None:
    frame = _panel(treated=[1, 4, 6])
    frame.loc[frame["village"] == "T2V0", "county"] = "B"
    with pytest.raises(ValueError, match=r"strata 'county' varies.*T2.*nested"):
        randomization_inference(FORMULA, frame, term=TERM, treatment="treat",
                                cluster="township", strata="county")


def test_refuses_a_formula_without_the_treatment_and_missing_clusters() -> None:
    frame = _panel(treated=[1, 4, 6])
    frame["treat_post"] = frame["treat"] * frame["post"]
    with pytest.raises(ValueError, match="not used by"):
        randomization_inference("y ~ treat_post + x | village + year", frame,
                                term="treat_post", treatment="treat", cluster="township")
    frame.loc[0, "township"] = None
    with pytest.raises(ValueError, match="'township' is missing in 1 row"):
        randomization_inference(FORMULA, frame, term=TERM, treatment="treat",
                                cluster="township")
    with pytest.raises(ValueError, match="statistic must be one of"):
        randomization_inference(FORMULA, frame, term=TERM, treatment="treat",
                                cluster="township", statistic="z")  # type: ignore[arg-type]


# the result -----------------------------------------------------------------------------------
def test_result_tidy_and_summary_carry_the_simulated_label() -> None:
    data = Dataset(_panel(treated=[1, 4, 6]), simulated=True)
    result = randomization_inference(FORMULA, data, term=TERM, treatment="treat",
                                     cluster="township", strata="county", reps=20)
    table = result.tidy()
    assert list(table.columns) == ["term", "statistic", "p_value", "reps", "enumerated",
                                   "assignments", "smallest_p"]
    assert table.loc[0, "assignments"] == 4 * 6 and not table.loc[0, "enumerated"]
    assert result.draws is None
    text = repr(result)
    assert SIMULATED_LABEL in text and "20 random permutations of 24" in text
    assert "within county (2 strata)" in text
