"""Fixed-effect absorption routes against explicit dummies (statsmodels OLS on C() dummies)
and pyfixest.

Every route must give the projection itself, so the coefficients equal those of the dummy
regression to round-off: the exact two-way route on an unbalanced panel (including the
rounding-size null eigenvalue of its small system), the accelerated alternating projections on
three crossed effects, and a fixed effect nested in another, which adds nothing.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

import econ
from econ.estimation.absorb import Absorber, fe_parameters, spanning
from econ.estimation.linear import EstimationWarning


def _untreated_mpdta() -> pd.DataFrame:
    mpdta = pd.read_csv(__file__.rsplit("/", 2)[0] + "/data/mpdta.csv")
    first = mpdta["first.treat"].replace(0, np.nan)
    untreated = mpdta[~(mpdta["year"] >= first)].copy()
    event = untreated["year"] - first[untreated.index]
    for h in (1, 2, 3):
        untreated[f"pre{h}"] = (event == -h).astype(float)
    return untreated


def test_exact_two_way_route_on_an_unbalanced_real_panel():
    # mpdta's untreated rows: 500 counties, 5 years, unbalanced. The small system's null
    # direction comes out as an eigenvalue of -2e-12, which must not be inverted.
    data = _untreated_mpdta()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", EstimationWarning)  # singleton counties dropped
        ours = econ.feols("lemp ~ pre1 + pre2 + pre3 | countyreal + year", data)
    dummies = smf.ols("lemp ~ pre1 + pre2 + pre3 + C(countyreal) + C(year)", data).fit()
    assert ours.fit.iterations == 1
    np.testing.assert_allclose(ours.params.to_numpy(),
                               dummies.params[["pre1", "pre2", "pre3"]].to_numpy(),
                               rtol=0, atol=1e-10)


@pytest.fixture(scope="module")
def crossed() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 600
    data = pd.DataFrame({"unit": rng.integers(0, 40, n), "year": rng.integers(0, 6, n),
                         "shift": rng.integers(0, 5, n), "x": rng.normal(size=n)})
    data["region"] = data["unit"] // 10  # nested in unit
    data["y"] = (data["x"] + rng.normal(size=40)[data["unit"]] + rng.normal(size=6)[data["year"]]
                 + rng.normal(size=5)[data["shift"]] + rng.normal(size=n))
    return data


def test_three_crossed_effects_equal_dummies_and_a_nested_one_adds_nothing(crossed):
    ours = econ.feols("y ~ x | unit + year + shift", crossed)
    nested = econ.feols("y ~ x | unit + year + shift + region", crossed)
    dummies = smf.ols("y ~ x + C(unit) + C(year) + C(shift)", crossed).fit()
    assert ours.fit.iterations > 1
    # Alternating projections stop at tol = 1e-10 on the data's scale.
    assert ours.params["x"] == pytest.approx(dummies.params["x"], abs=1e-8)
    assert ours.std_errors["x"] == pytest.approx(dummies.bse["x"], rel=1e-7)
    assert nested.params["x"] == pytest.approx(ours.params["x"], abs=1e-12)
    # The nested effect's levels still count in the degrees of freedom, as pyfixest counts
    # them: its standard errors are pyfixest's.
    import pyfixest

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyfixest's own pandas deprecations
        peer = pyfixest.feols("y ~ x | unit + year + shift + region", crossed, vcov="iid")
    assert nested.params["x"] == pytest.approx(peer.coef()["x"], abs=1e-8)
    assert nested.std_errors["x"] == pytest.approx(peer.se()["x"], rel=1e-8)


def test_nested_effects_are_left_out_of_the_projection_and_the_count(crossed):
    codes = [pd.factorize(crossed[c])[0] for c in ("unit", "year", "region", "shift")]
    assert spanning(codes) == [0, 1, 3]
    # Identical groupings: the first is kept.
    assert spanning([codes[0], codes[0].copy()]) == [0]
    # Counted as fixest counts it: its levels less one redundancy.
    assert fe_parameters(codes) == (fe_parameters([codes[0], codes[1], codes[3]])
                                    + int(codes[2].max()))
    values = crossed[["y", "x"]].to_numpy()
    with_region, sweeps = Absorber(tuple(codes)).demean(values)
    without, sweeps_without = Absorber((codes[0], codes[1], codes[3])).demean(values)
    np.testing.assert_array_equal(with_region, without)
    assert sweeps == sweeps_without
