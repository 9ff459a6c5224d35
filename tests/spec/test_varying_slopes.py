"""Varying slopes (fixest's ``a[x]`` and ``a[[x]]``) against least squares with explicit dummies.

fixest's meaning (``?feols``, section "Varying slopes"): ``a[x]`` is the fixed effect ``a``
plus one slope on ``x`` per group of ``a``; ``a[[x]]`` the slopes alone. pyfixest 0.60 has no
varying slopes, so the reference is the same model with the dummy columns ``1[a = g]`` and
``1[a = g] * x`` written out, fitted by statsmodels OLS/WLS (coefficients and standard errors,
relative tolerance 1e-8) or numpy least squares.

Degrees of freedom follow fixest's count (``nparams`` in fixest_env.R): one coefficient per
group and slope variable, the fixed effects' levels less one reference per further effect. Where
the dummies are not redundant that is the rank statsmodels counts; where they are (unit trends
beside year effects: the trends sum to the year, which the year effects span) fixest counts one
more parameter than the rank, and so does econ: the reference's variance is rescaled by
``(n - rank) / (n - K)`` with K written out in the test. Clustered by a variable the groups are
nested in, fixest leaves the groups' intercepts out of K but keeps their slopes; the reference
is statsmodels' uncorrected cluster sandwich times ``G / (G - 1) * (n - 1) / (n - K)``.

The data are simulated here (seeded): 48 units (``u``) in 8 townships over 2011-2018, 10% of
the rows dropped, unit-specific trends in the outcome.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.sandwich_covariance import cov_cluster
from statsmodels.tools.sm_exceptions import SingularMatrixWarning

from econ.cli import main
from econ.data.derive import derive
from econ.data.io import read_panel
from econ.estimation.absorb import Absorber, fe_parameters
from econ.estimation.linear import SlopesNotSupported
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.covariance import IID, Cluster
from econ.inference.cr2 import CR2
from econ.inference.cr3 import CR3
from econ.models.feols import feols
from econ.models.poisson import fepois
from econ.spec.design import build
from econ.spec.formula import FormulaError, Slope, parse

TOL = 1e-8
pytestmark = pytest.mark.filterwarnings("ignore::econ.inference.covariance.FewClustersWarning")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(20261130)
    units, years = 48, np.arange(2011, 2019)
    frame = pd.DataFrame({"u": np.repeat(np.arange(units), len(years)),
                          "year": np.tile(years, units)})
    frame["township"] = frame.u // 6
    n = len(frame)
    frame["g"] = rng.integers(0, 5, n)  # cuts across units
    frame["z"] = rng.normal(size=n) + 1.0
    frame["w"] = rng.uniform(0.5, 2.0, n)
    trend = rng.normal(size=units)
    frame["x"] = rng.normal(size=n) + 0.3 * trend[frame.u] * (frame.year - 2011)
    frame["y"] = (1.5 * frame.x + rng.normal(size=units)[frame.u]
                  + trend[frame.u] * (frame.year - 2011) + 0.5 * frame.z * (frame.u % 3)
                  + 0.2 * (frame.year - 2011) ** 0.5 + rng.normal(size=n))
    frame["count"] = rng.poisson(2.0, n)
    return frame.iloc[np.sort(rng.choice(n, int(0.9 * n), replace=False))].reset_index(drop=True)


def dummies(values: pd.Series) -> np.ndarray:
    return pd.get_dummies(values).to_numpy(dtype=float)


def slopes(values: pd.Series, variable: pd.Series) -> np.ndarray:
    return dummies(values) * variable.to_numpy(dtype=float)[:, None]


# Each model with its explicit columns (after x) and fixest's K less the regressors.
def explicit(frame: pd.DataFrame, formula: str) -> tuple[list[np.ndarray], int]:
    U, Y, G = dummies(frame.u), dummies(frame.year), dummies(frame.g)
    nu, ny, ng = U.shape[1], Y.shape[1], G.shape[1]
    z, t = frame.z, frame.year.astype(float)
    return {
        "y ~ x | u[z]": ([U, slopes(frame.u, z)], 2 * nu),
        "y ~ x | u[[z]]": ([slopes(frame.u, z)], nu),
        "y ~ x | u[[z]] + g": ([slopes(frame.u, z), G], nu + ng),
        "y ~ x | u[year] + year": ([U, slopes(frame.u, t), Y[:, 1:]], 2 * nu + ny - 1),
        "y ~ x | u[z, year] + g^year": (
            [U, slopes(frame.u, z), slopes(frame.u, t),
             dummies(frame.g.astype(str) + "_" + frame.year.astype(str))[:, 1:]],
            3 * nu + len(frame.groupby(["g", "year"]).size()) - 1),
        "y ~ x | u[z] + u[[year]]": ([U, slopes(frame.u, z), slopes(frame.u, t)], 3 * nu),
    }[formula]


FORMULAS = ["y ~ x | u[z]", "y ~ x | u[[z]]", "y ~ x | u[[z]] + g", "y ~ x | u[year] + year",
            "y ~ x | u[z, year] + g^year", "y ~ x | u[z] + u[[year]]"]


def reference(frame: pd.DataFrame, formula: str):
    blocks, fe_k = explicit(frame, formula)
    X = np.column_stack([frame.x.to_numpy(), *blocks])
    with warnings.catch_warnings():
        # Expected where the dummies are redundant (trends beside year effects).
        warnings.simplefilter("ignore", SingularMatrixWarning)
        return sm.OLS(frame.y.to_numpy(), X).fit(), 1 + fe_k


def test_parsed_as_fixest_reads_them():
    f = parse("y ~ x | u[z]")
    assert f.fixed_effects == ("u",) and f.slopes == (Slope("u", ("z",)),)
    assert not f.intercept
    f = parse("y ~ x | u[[z, year]] + g")
    assert f.fixed_effects == ("g",) and f.slopes == (Slope("u", ("z", "year")),)
    only = parse("y ~ x | u[[z]]")
    assert only.fixed_effects == () and not only.intercept  # fixest adds no intercept either
    gathered = parse("y ~ x | u[z] + u[[year]] + g^year[z]")
    assert gathered.fixed_effects == ("u", "g^year")
    assert gathered.slopes == (Slope("u", ("z", "year")), Slope("g^year", ("z",)))
    assert gathered.columns == ("y", "x", "u", "g", "year", "z")
    assert Slope("u", ("z", "year")).label == "u[[z, year]]"


@pytest.mark.parametrize(("formula", "message"), [
    ("y ~ x | u[z]]", "unbalanced"),
    ("y ~ x | u[[z]", "unbalanced"),
    ("y ~ x | u[[z] ]", "varying slopes are written"),
    ("y ~ x | u[log(z)]", "not a column name"),
    ("y ~ x | u[u]", "slope on its own identifier"),
    ("y ~ x | u[z]g", "varying slopes are written"),
    ("z ~ x | u[z]", "both the outcome and a regressor or fixed effect"),
])
def test_malformed_slopes_are_named(formula, message):
    with pytest.raises(FormulaError, match=message):
        parse(formula)


def test_non_numeric_slope_variable_is_refused(data):
    with pytest.raises(FormulaError, match=r"'label' in the varying slopes u\[\[label\]\] is "
                                           r"not numeric"):
        build(parse("y ~ x | u[label]"), data.assign(label=data.g.astype(str)))


@pytest.mark.parametrize("formula", FORMULAS)
def test_coefficients_and_iid_errors_equal_explicit_dummies(data, formula):
    ours = feols(formula, data, cov=IID())
    ref, k = reference(data, formula)
    n = len(data)
    assert ours.fit.fe_params + 1 == k
    np.testing.assert_allclose(ours.params["x"], ref.params[0], rtol=TOL)
    # statsmodels divides by n - rank; fixest and econ by n - K (K >= rank).
    np.testing.assert_allclose(ours.std_errors["x"],
                               ref.bse[0] * np.sqrt(ref.df_resid / (n - k)), rtol=TOL)


def test_unit_trends_beside_year_effects_count_one_parameter_more_than_the_rank(data):
    # Documents fixest's count that econ follows: the trends sum to the year, spanned by the
    # year effects, and that redundancy is not subtracted.
    ref, k = reference(data, "y ~ x | u[year] + year")
    assert len(data) - ref.df_resid == k - 1
    ref, k = reference(data, "y ~ x | u[z] + u[[year]]")
    assert len(data) - ref.df_resid == k


def test_weighted(data):
    formula = "y ~ x | u[z] + g"
    ours = feols(formula, data, cov=IID(), weights="w")
    U, G = dummies(data.u), dummies(data.g)
    X = np.column_stack([data.x, U, slopes(data.u, data.z), G[:, 1:]])
    ref = sm.WLS(data.y.to_numpy(), X, weights=data.w.to_numpy()).fit()
    np.testing.assert_allclose(ours.params["x"], ref.params[0], rtol=TOL)
    np.testing.assert_allclose(ours.std_errors["x"], ref.bse[0], rtol=TOL)


@pytest.mark.parametrize("formula", ["y ~ x | u[year] + year", "y ~ x | u[[z]] + g"])
def test_clustered_by_a_variable_the_groups_are_nested_in(data, formula):
    ours = feols(formula, data, cov=Cluster("township"))
    ref, k = reference(data, formula)
    n, groups = len(data), data.township.nunique()
    units = data.u.nunique()
    # fixest: the u intercepts (nested in the township) leave K, less one; u's slopes stay.
    nested_k = k - (units - 1) if "u[" in formula and "u[[" not in formula else k
    sandwich = cov_cluster(ref, data.township.to_numpy(), use_correction=False)
    expected = np.sqrt(sandwich[0, 0] * groups / (groups - 1) * (n - 1) / (n - nested_k))
    np.testing.assert_allclose(ours.params["x"], ref.params[0], rtol=TOL)
    np.testing.assert_allclose(ours.std_errors["x"], expected, rtol=TOL)


def test_known_unit_trends_are_recovered(data):
    # x loads on the unit trends: two-way effects alone are biased, unit trends remove it.
    trends = feols("y ~ x | u[year] + year", data)
    two_way = feols("y ~ x | u + year", data)
    assert abs(trends.params["x"] - 1.5) < 3 * trends.std_errors["x"]
    assert abs(two_way.params["x"] - 1.5) > 10 * two_way.std_errors["x"]


def test_same_as_the_slopes_written_as_regressors(data):
    absorbed = feols("y ~ x | u[z] + year", data, cov=Cluster("township"))
    assert absorbed.fit.fe_names == ("u", "year")
    assert absorbed.fit.slope_names == ("z (u)",)
    written = feols("y ~ x + z + C(u):z | u + year", data, cov=Cluster("township"))
    np.testing.assert_allclose(absorbed.params["x"], written.params["x"], rtol=TOL)
    np.testing.assert_allclose(absorbed.std_errors["x"], written.std_errors["x"], rtol=TOL)


def jackknife(frame: pd.DataFrame, X: np.ndarray, cluster: str) -> float:
    """CR3 standard error of the first coefficient: leave each cluster out, least squares on
    the explicit columns (minimum norm where a dummy is left without rows)."""
    y, codes = frame.y.to_numpy(), frame[cluster].to_numpy()
    full = np.linalg.lstsq(X, y, rcond=None)[0][0]
    shifts = np.array([np.linalg.lstsq(X[codes != c], y[codes != c], rcond=None)[0][0] - full
                       for c in np.unique(codes)])
    g = len(shifts)
    return float(np.sqrt((g - 1) / g * shifts @ shifts))


@pytest.mark.parametrize("cluster", ["township", "g"])
def test_cr3_and_wild_bootstrap_refit_crossed_slopes_as_dummies(data, cluster):
    # By township the slopes are nested in the clusters; by g they cut across them and the
    # jackknife and the bootstrap refit them as dummy-times-variable columns.
    formula = "y ~ x | u[z] + year"
    ours = feols(formula, data, cov=CR3(cluster))
    X = np.column_stack([data.x, dummies(data.u), slopes(data.u, data.z),
                         dummies(data.year)[:, 1:]])
    np.testing.assert_allclose(ours.std_errors["x"], jackknife(data, X, cluster), rtol=1e-7)
    settings = WildBootstrap(reps=199, seed=7, ci_level=None, cluster=(cluster,))
    spelled = "y ~ x + z + C(u):z + C(u) + C(year)"
    a = feols(formula, data, cov=Cluster(cluster)).wild_bootstrap("x", settings)
    b = feols(spelled, data, cov=Cluster(cluster)).wild_bootstrap("x", settings)
    # The same draws give the same bootstrap distribution; the t statistics differ by the
    # constant small-sample factor (K counts the u intercepts in the spelled-out model even
    # when they are nested in the township), which leaves the p-values unchanged.
    np.testing.assert_allclose(a.estimate, b.estimate, rtol=TOL)
    assert a.pvalues == pytest.approx(b.pvalues, abs=1e-12)


def test_methods_without_slopes_refuse_them(data):
    with pytest.raises(SlopesNotSupported, match=r"CR2 does not handle varying slopes "
                                                 r"\(u\[\[z\]\]\)"):
        feols("y ~ x | u[z]", data, cov=CR2("township"))
    with pytest.raises(SlopesNotSupported, match="fepois"):
        fepois("count ~ x | u[z]", data)


def test_missing_slope_values_are_dropped_and_counted(data):
    holes = data.assign(z=data.z.where(np.arange(len(data)) % 50 != 0))
    result = feols("y ~ x | u[z]", holes)
    assert result.dropped_rows == {"missing z": int(holes.z.isna().sum())}
    assert result.nobs == len(data) - holes.z.isna().sum()


def test_a_group_of_one_row_is_dropped_as_a_singleton(data):
    lonely = pd.concat([data, data.iloc[[0]].assign(g=99)], ignore_index=True)
    with pytest.warns(UserWarning, match="singleton"):
        result = feols("y ~ x | g[[z]] + u", lonely)
    assert result.dropped_rows == {"singleton fixed-effect groups": 1}


def test_absorber_projects_on_the_slope_columns(data):
    """The projection itself, against the residuals of a least-squares fit on the explicit
    columns: a slope constant in one group (no direction there), one zero in a group, a
    variable with a large mean (years), weights, slopes alone."""
    rng = np.random.default_rng(5)
    frame = data.copy()
    frame.loc[frame.u == 3, "z"] = 2.0  # constant in a group that also has its intercept
    frame.loc[frame.g == 1, "z"] = 0.0  # zero in a group of a slopes-only effect
    u = pd.factorize(frame.u)[0]
    g = pd.factorize(frame.g)[0]
    year = frame.year.to_numpy(dtype=float)
    z = frame.z.to_numpy()
    values = rng.normal(size=(len(frame), 3))
    w = frame.w.to_numpy()
    cases = [
        (Absorber((u,), w, slopes=((u, np.column_stack([z, year])),)),
         [dummies(frame.u), slopes(frame.u, frame.z), slopes(frame.u, frame.year)]),
        (Absorber((u,), w, slopes=((g, z[:, None]),)),
         [dummies(frame.u), slopes(frame.g, frame.z)]),
        (Absorber((), None, slopes=((u, year[:, None]), (g, z[:, None]))),
         [slopes(frame.u, frame.year), slopes(frame.g, frame.z)]),
    ]
    for absorber, blocks in cases:
        D = np.column_stack(blocks)
        weights = np.ones(len(frame)) if absorber.weights is None else absorber.weights
        root = np.sqrt(weights)[:, None]
        coef = np.linalg.lstsq(D * root, values * root, rcond=None)[0]
        expected = values - D @ coef
        got, _ = absorber.demean(values)
        np.testing.assert_allclose(got, expected, atol=1e-8 * np.abs(values).max())
    # One block alone (an effect with its slopes) is exact after the first sweep.
    assert cases[0][0].demean(values)[1] == 2


def test_parameter_count_is_fixests(data):
    u, year = pd.factorize(data.u)[0], pd.factorize(data.year)[0]
    z = data.z.to_numpy()[:, None]
    units, years = u.max() + 1, year.max() + 1
    assert fe_parameters((u, year), ((u, z),)) == 2 * units + years - 1
    assert fe_parameters((), ((u, np.column_stack([z, z])),)) == 2 * units
    assert fe_parameters((u, year)) == units + years - 1


def test_econ_fit_accepts_them(capsys):
    panel = Path(__file__).resolve().parents[2] / "data" / "village_panel.parquet"
    formula = "assistance_funds ~ high_level:post | village_id[year] + year"
    assert main(["fit", formula, str(panel), "--cluster", "township_id"]) == 0
    printed = capsys.readouterr().out
    reference = feols(formula, derive(read_panel(panel)), cov=Cluster("township_id"))
    assert str(reference.summary()) in printed
    assert main(["fit", formula, str(panel), "--cluster", "township_id", "--vcov", "cr2"]) == 2
    assert "CR2 does not handle varying slopes (village_id[[year]])" in capsys.readouterr().err


def test_slow_convergence_of_slopes_alone_is_explained():
    # Slopes on years without the group intercepts nearly repeat the other effect's intercepts
    # (1[a = g] * year is close to 2005 * 1[a = g]): alternating projections crawl.
    rng = np.random.default_rng(1)
    n = 3000
    a, b = rng.integers(0, 30, n), rng.integers(0, 8, n)
    year = rng.integers(2000, 2010, n).astype(float)
    absorber = Absorber((b,), None, max_iter=50, slopes=((a, year[:, None]),))
    with pytest.raises(RuntimeError, match=r"did not converge in 50 sweeps.*absorb the "
                                           r"effect too, a\[x\]"):
        absorber.demean(rng.normal(size=(n, 1)))
