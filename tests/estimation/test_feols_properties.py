"""Properties of ``econ.feols`` that hold for any data, checked on small random panels.

Panels of 4-12 units x 3-6 periods, balanced or with missing cells, with 1-3 regressors and
optional weights reach every absorption route: the closed forms (one fixed effect; a complete
unweighted unit-year grid) and alternating projections (missing cells or weights).

Tolerances: the closed forms are exact up to rounding, so they are held to 1e-8 against the
dummy-variable regression. Alternating projections stop when a sweep moves no column by more
than ``tol`` (1e-10) of its scale; the remaining error can be orders larger than that last step
when convergence is slow, hence 1e-6 for that route.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import econ
from econ.estimation.linear import EstimationWarning
from econ.inference.covariance import CovarianceSpec
from econ.results.regression import RegressionResult

# derandomize and no example database: the same examples on every run and every machine.
PROPERTY = settings(max_examples=30, deadline=None, derandomize=True, database=None)

# The dummy-variable regression counts every unit and year coefficient in K; the absorbed one by
# default leaves out fixed effects nested in the cluster variable (units are nested in
# townships). Counting them in both (fixef_k="full", Stata's areg rule) gives the two
# parameterisations the same CR1 scale (n - 1) / (n - K), so any difference is a real one.
# IID and HC1 count every fixed-effect coefficient either way.
FULL_K = econ.SmallSample(fixef_k="full")
COVARIANCES: tuple[CovarianceSpec, ...] = (
    econ.IID(), econ.HC1(), econ.Cluster("township", ssc=FULL_K))


@dataclass(frozen=True)
class Panel:
    """A random panel: ``y``, regressors ``x1..xk``, ``unit``, ``time``, ``township``, ``w``."""

    data: pd.DataFrame
    regressors: tuple[str, ...]
    weighted: bool

    @property
    def weights(self) -> str | None:
        return "w" if self.weighted else None

    @property
    def rhs(self) -> str:
        return " + ".join(self.regressors)


def _observed(rng: np.random.Generator, units: int, periods: int, balanced: bool) -> np.ndarray:
    """Units x periods mask of observed cells: connected and without singleton groups.

    Period 0 is observed for every unit, which links all units and periods in one component (so
    the dummies are not collinear). Every unit gets a second period (period 1) and every period
    a second unit (units 0 and 1), so no fixed-effect group has a single row: singletons are
    dropped with a warning and would leave the two parameterisations with different samples.
    The last cell is always missing when unbalanced and neither repair touches it, so the panel
    is really incomplete and takes the alternating-projections route.
    """
    if balanced:
        return np.ones((units, periods), dtype=bool)
    mask = rng.random((units, periods)) > rng.uniform(0.1, 0.5)
    mask[:, 0] = True
    mask[units - 1, periods - 1] = False
    mask[mask.sum(axis=1) < 2, 1] = True
    mask[:2, mask.sum(axis=0) < 2] = True
    return mask


@st.composite
def panels(draw: st.DrawFn, *, balanced: bool | None = None,
           weighted: bool | None = None) -> Panel:
    """Draw the dimensions and a seed; values come from a numpy Generator with that seed."""
    units = draw(st.integers(4, 12))
    periods = draw(st.integers(3, 6))
    k = draw(st.integers(1, 3))
    weighted = draw(st.booleans()) if weighted is None else weighted
    balanced = draw(st.booleans()) if balanced is None else balanced
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    unit, period = np.nonzero(_observed(rng, units, periods, balanced))
    n = len(unit)
    # A few residual degrees of freedom beyond the unit, period and slope coefficients: with
    # one or two left, the residuals can be forced to make a clustered variance exactly zero,
    # and rounding then turns it negative.
    assume(n - (units + periods - 1 + k) >= 3)
    X = rng.normal(size=(n, k))
    effects = rng.normal(size=units)[unit] + rng.normal(size=periods)[period]
    beta = rng.uniform(0.5, 2.0, size=k) * rng.choice([-1.0, 1.0], size=k)
    # Heteroskedastic noise, so that IID, HC1 and CR1 standard errors genuinely differ.
    noise = rng.normal(size=n) * (1.0 + np.abs(X[:, 0]))
    frame = pd.DataFrame(X, columns=[f"x{j + 1}" for j in range(k)])
    frame["y"] = X @ beta + effects + noise
    frame["unit"] = unit
    frame["time"] = 2015 + period
    frame["township"] = unit // 2
    frame["w"] = rng.uniform(0.5, 2.0, size=n)
    return Panel(frame, tuple(frame.columns[:k]), weighted)


@contextmanager
def few_clusters() -> Iterator[None]:
    """Allow the FewClustersWarning that panels this small (2-6 townships) always raise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        yield


def estimates(formula: str, panel: Panel, **options: float
              ) -> tuple[RegressionResult, dict[str, np.ndarray]]:
    """Fit once; the regressors' coefficients and their IID, HC1 and CR1 standard errors."""
    names = list(panel.regressors)
    with few_clusters():
        result = econ.feols(formula, panel.data, weights=panel.weights, cov=COVARIANCES[-1],
                            **options)
        found = {"params": result.params[names].to_numpy()}
        for spec in COVARIANCES:
            found[type(spec).__name__] = result.with_cov(spec).std_errors[names].to_numpy()
    return result, found


def assert_close(actual: dict[str, np.ndarray], expected: dict[str, np.ndarray],
                 rel: float) -> None:
    """Each array within ``rel`` of the expected one, relative to its largest entry.

    Relative to the largest entry rather than entry by entry: an estimate that happens to lie
    near zero would otherwise be held to an absolute tolerance below rounding error.
    """
    assert actual.keys() == expected.keys()
    for key, want in expected.items():
        np.testing.assert_allclose(actual[key], want, rtol=rel,
                                   atol=rel * float(np.abs(want).max()), err_msg=key)


@PROPERTY
@given(panels(balanced=True, weighted=False))
def test_absorbing_a_complete_grid_equals_dummies(panel: Panel) -> None:
    absorbed, found = estimates(f"y ~ {panel.rhs} | unit + time", panel)
    _, dummies = estimates(f"y ~ {panel.rhs} + C(unit) + C(time)", panel)
    assert absorbed.fit.iterations == 1  # the closed form, not alternating projections
    assert_close(found, dummies, 1e-8)


@PROPERTY
@given(panels())
def test_absorbing_one_fixed_effect_equals_dummies(panel: Panel) -> None:
    """One fixed effect has an exact (weighted) group-mean form on any panel."""
    absorbed, found = estimates(f"y ~ {panel.rhs} | unit", panel)
    _, dummies = estimates(f"y ~ {panel.rhs} + C(unit)", panel)
    assert absorbed.fit.iterations == 1
    assert_close(found, dummies, 1e-8)


@PROPERTY
@given(panels(balanced=False))
def test_two_fixed_effects_off_the_grid_are_exact(panel: Panel) -> None:
    """Missing cells (and weights, when drawn) leave no closed form; with a fixed effect of
    few levels the small system left after eliminating the other is solved exactly."""
    absorbed, found = estimates(f"y ~ {panel.rhs} | unit + time", panel)
    _, dummies = estimates(f"y ~ {panel.rhs} + C(unit) + C(time)", panel)
    assert absorbed.fit.iterations == 1
    assert absorbed.nobs == len(panel.data)
    assert_close(found, dummies, 1e-8)


@PROPERTY
@given(panels(balanced=False))
def test_alternating_projections_agree_with_dummies(panel: Panel) -> None:
    """Three crossed fixed effects take the accelerated alternating projections (a nested
    fourth is tested in tests/estimation/test_absorb.py)."""
    data = panel.data
    # Three groups that cut across units and periods.
    shift = np.random.default_rng(len(data)).integers(0, 3, len(data))
    moved = Panel(data.assign(shift=shift), panel.regressors, panel.weighted)
    with warnings.catch_warnings():
        warnings.simplefilter("error", EstimationWarning)
        try:
            _, dummies = estimates(f"y ~ {panel.rhs} + C(unit) + C(time) + C(shift)", moved)
            absorbed, found = estimates(f"y ~ {panel.rhs} | unit + time + shift", moved)
        except EstimationWarning:
            # A shift group of one row, or its dummy collinear with the others, in a tiny panel.
            assume(False)
    assert absorbed.fit.iterations > 1
    assert_close(found, dummies, 1e-6)



@PROPERTY
@given(panels(), st.floats(1e-3, 1e3), st.booleans())
def test_rescaling_the_outcome_rescales_estimates(panel: Panel, size: float,
                                                  negative: bool) -> None:
    c = -size if negative else size
    formula = f"y ~ {panel.rhs} | unit + time"
    _, found = estimates(formula, panel)
    scaled = replace(panel, data=panel.data.assign(y=c * panel.data["y"]))
    _, rescaled = estimates(formula, scaled)
    expected = {key: (c if key == "params" else abs(c)) * value for key, value in found.items()}
    assert_close(rescaled, expected, 1e-9)


@PROPERTY
@given(panels(), st.integers(0, 2**32 - 1))
def test_permuting_rows_changes_nothing(panel: Panel, seed: int) -> None:
    formula = f"y ~ {panel.rhs} | unit + time"
    _, found = estimates(formula, panel)
    order = np.random.default_rng(seed).permutation(len(panel.data))
    shuffled = replace(panel, data=panel.data.iloc[order].reset_index(drop=True))
    _, permuted = estimates(formula, shuffled)
    assert_close(permuted, found, 1e-10)
