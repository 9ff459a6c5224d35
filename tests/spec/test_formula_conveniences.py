"""Functions of variables and interacted fixed effects against pyfixest on the same formulas.

The data are simulated here (seeded). pyfixest names coefficients of functions as Python prints
them (``log(z + 1)``, ``I(x ** 2)``), and so does econ, so the names are compared too.
Tolerance 1e-8 (relative): with one fixed effect (or one interacted effect) pyfixest's
demeaning is exact after one sweep; with two it is iterated to ``fixef_tol=1e-13``.
pyfixest has neither ``log1p`` nor ``sqrt`` as formula functions: it is given numpy's spelling
``np.log1p``, which econ reads as well, so the strings are still the same.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from econ.inference.covariance import IID, Cluster
from econ.models.feols import feols
from econ.spec.design import build
from econ.spec.formula import FormulaError, expand, parse

TOL = 1e-8
# Few clusters (g has three) are the point of no test here.
pytestmark = pytest.mark.filterwarnings("ignore::econ.inference.covariance.FewClustersWarning")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(20261130)
    n = 2000
    frame = pd.DataFrame({
        "u": rng.integers(0, 40, n),
        "v": rng.integers(0, 4, n),
        "g": rng.choice(["east", "west", "north"], n),
        "x": rng.normal(size=n),
        "z": rng.uniform(0.5, 3.0, n),
        "w": rng.poisson(1.5, n).astype(float),  # counts with zeros: log1p, not log
    })
    frame["y"] = (1.0 + 0.5 * frame.x + np.log(frame.z) + 0.2 * frame.x ** 2
                  + 0.1 * frame.u + 0.3 * frame.v + rng.normal(size=n))
    frame["pos"] = np.exp(frame.y / 4)
    return frame


def _pyfixest(formula: str, data: pd.DataFrame, vcov, **options):
    # pyfixest itself raises pandas and numpy deprecation warnings, errors in this suite.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pf.feols(formula, data, vcov=vcov, fixef_tol=1e-13, **options)


def _compare(ours, reference) -> None:
    names = list(ours.names)
    assert set(names) == set(reference.coef().index)
    np.testing.assert_allclose(ours.params, reference.coef()[names], rtol=TOL, atol=1e-12)
    np.testing.assert_allclose(ours.std_errors, reference.se()[names], rtol=TOL, atol=1e-12)
    assert ours.nobs == reference._N


@pytest.mark.parametrize("formula", [
    "y ~ log(z) + np.log1p(w) + exp(x / 4) + np.sqrt(z) + I(x ** 2)",
    "y ~ log(z + 1) + I(x ** 2):z + x | u",
    "log(pos) ~ x + I(z * w - 1) | u^v",
    "np.log1p(w) ~ x + log(z) | u + v",
])
@pytest.mark.parametrize(("cov", "vcov"), [(IID(), "iid"), (Cluster("u"), {"CRV1": "u"})])
def test_functions_of_variables_match_pyfixest(data, formula, cov, vcov):
    _compare(feols(formula, data, cov=cov), _pyfixest(formula, data, vcov))


def test_caret_power_inside_I_is_the_square(data):
    # R's I(x^2); pyfixest cannot read it (it becomes a bitwise xor), so it gets I(x ** 2).
    ours = feols("y ~ I(x^2) + x | u", data)
    reference = _pyfixest("y ~ I(x ** 2) + x | u", data, "iid")
    assert ours.names == ("I(x ** 2)", "x")
    _compare(ours, reference)


@pytest.mark.parametrize(("formula", "cov", "vcov"), [
    ("y ~ x + log(z) | u^v", Cluster("u"), {"CRV1": "u"}),
    ("y ~ x + log(z) | u^v + g", IID(), "iid"),
    ("y ~ x | u^g + v", Cluster("v", "u"), {"CRV1": "v+u"}),
])
def test_interacted_fixed_effects_match_pyfixest(data, formula, cov, vcov):
    ours = feols(formula, data, cov=cov)
    _compare(ours, _pyfixest(formula, data, vcov))
    assert "u^" in ours.fe_names[0]


def test_interacted_effect_is_the_effect_of_a_combined_column(data):
    # An independent reference: the same model with the combination spelled out as a column.
    combined = data.assign(uv=data.u.astype(str) + "_" + data.v.astype(str))
    ours = feols("y ~ x + log(z) | u^v", data, cov=Cluster("u"))
    spelled = feols("y ~ x + log(z) | uv", combined, cov=Cluster("u"))
    np.testing.assert_allclose(ours.params, spelled.params, rtol=1e-12)
    np.testing.assert_allclose(ours.std_errors, spelled.std_errors, rtol=1e-12)
    assert build(parse("y ~ x | u^v"), data).fe_levels == (
        len(data.groupby(["u", "v"]).size()),)


def test_varying_slopes_equal_the_slopes_written_as_regressors(data):
    # fixest's u[x]: u absorbed with a slope on x per u (tests/spec/test_varying_slopes.py
    # has the full comparison). Reference: least squares with explicit dummies for u and u
    # times x (numpy), coefficient of log(z); and the same model spelled with regressors.
    ours = feols("y ~ log(z) | u[x]", data)
    spelled = feols("y ~ log(z) + x + C(u):x | u", data)
    dummies = pd.get_dummies(data.u).to_numpy(float)
    X = np.column_stack([np.log(data.z), dummies, dummies * data.x.to_numpy()[:, None]])
    beta = np.linalg.lstsq(X, data.y.to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(ours.params["log(z)"], beta[0], rtol=TOL)
    np.testing.assert_allclose(ours.std_errors["log(z)"], spelled.std_errors["log(z)"],
                               rtol=TOL)


def test_outcome_and_regressor_functions_are_parsed_and_named():
    f = parse("log(y) ~ log(x+10) + I(x^2)*z + exp(x/2) | a^b + c")
    assert f.outcomes == ("log(y)",)
    assert [t.label for t in f.terms] == ["log(x + 10)", "I(x ** 2)", "z", "I(x ** 2):z",
                                          "exp(x / 2)"]
    assert f.fixed_effects == ("a^b", "c")
    assert f.columns == ("y", "x", "z", "a", "b", "c")


def test_three_part_formulas_still_split_on_the_top_level_bar():
    # The IV syntax is dispatched by feols before parse; parse itself still rejects a third part.
    with pytest.raises(FormulaError, match=r"more than one '\|'"):
        parse("y ~ x | u | v")


@pytest.mark.parametrize(("formula", "message"), [
    ("y ~ logg(x)", r"unknown function 'logg'.*log, log1p, exp, sqrt, I"),
    ("y ~ I(sin(x))", r"unknown function 'sin'"),
    ("y ~ x^2", r"'x\^2' is an interaction power.*I\(x\^2\)"),
    ("y ~ x**2", r"write a power as I\(x\*\*2\)"),
    ("y ~ x / 2", r"arithmetic inside I\(\)"),
    ("y ~ log(x, 2)", r"log\(\) .* takes exactly one argument"),
    ("y ~ I(a.b)", r"cannot contain '\.'"),
    ("y ~ log(x", r"unbalanced parentheses"),
    ("y ~ x | a^a", r"repeats a column"),
])
def test_bad_formulas_are_named(formula, message):
    with pytest.raises(FormulaError, match=message):
        expand(formula)


def test_log_of_non_positive_values_is_an_error_naming_column_and_rows(data):
    zeros = int((data.w <= 0).sum())
    assert zeros > 0
    with pytest.raises(FormulaError, match=rf"log\(\) in 'log\(w\)' is undefined where w is "
                                           rf"zero or negative: {zeros} row\(s\).*'w'.*log1p"):
        feols("y ~ log(w) + x", data)
    with pytest.raises(FormulaError, match=rf"{zeros} row\(s\)"):
        feols("log(w) ~ x | u", data)
    with pytest.raises(FormulaError, match=r"sqrt\(\) .* negative: [\d,]+ row.*drop the rows"):
        feols("y ~ sqrt(x)", data)


def test_overflow_and_division_by_zero_are_named(data):
    with pytest.raises(FormulaError, match=r"exp\(x \* 1000\) .* not a finite number"):
        feols("y ~ exp(x * 1000)", data)
    with pytest.raises(FormulaError, match=r"w / w .* not a finite number in \d+ row"):
        feols("y ~ I(w / w)", data)
    with pytest.raises(FormulaError, match=r"'g', which is not numeric"):
        feols("y ~ log(g)", data)


def test_missing_values_in_a_function_argument_are_dropped_and_counted(data):
    holes = data.assign(z=data.z.where(data.index % 10 != 0))
    result = feols("y ~ log(z) | u", holes)
    assert result.dropped_rows == {"missing z": int(holes.z.isna().sum())}
    assert result.nobs == len(data) - int(holes.z.isna().sum())
