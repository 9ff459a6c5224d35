"""Multiple estimation (sw, csw, sw0, csw0, several outcomes, split, fsplit) against pyfixest.

pyfixest runs the same formula strings; its models are matched to econ's by name (both name a
model by its formula, and econ's expansion order is fixest's). Coefficients and standard errors
agree to 1e-8 (relative): each model has at most one fixed effect, which pyfixest demeans
exactly. The data are simulated here (seeded).
"""

from __future__ import annotations

import pickle
import warnings
from dataclasses import FrozenInstanceError

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from econ.cli import main
from econ.data.derive import derive
from econ.data.io import read_panel
from econ.inference.covariance import IID, Cluster
from econ.models.feols import feols
from econ.presentation.regression_table import etable
from econ.results.multiple import MultipleResults
from econ.spec.formula import FormulaError, expand

TOL = 1e-8
pytestmark = pytest.mark.filterwarnings("ignore::econ.inference.covariance.FewClustersWarning")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(17)
    n = 1500
    frame = pd.DataFrame({
        "u": rng.integers(0, 40, n),
        "v": rng.integers(0, 5, n),
        "region": rng.choice(["east", "north", "west"], n),
        "x1": rng.normal(size=n),
        "x2": rng.normal(size=n),
        "x3": rng.uniform(1, 2, n),
    })
    frame["y"] = 0.5 * frame.x1 - 0.3 * frame.x2 + 0.1 * frame.u + rng.normal(size=n)
    frame["y2"] = frame.y + frame.x3 + rng.normal(size=n)
    return frame


def _pyfixest(formula: str, data: pd.DataFrame, vcov, **options):
    with warnings.catch_warnings():
        # pyfixest's own pandas/numpy deprecation warnings are errors in this suite.
        warnings.simplefilter("ignore")
        return pf.feols(formula, data, vcov=vcov, **options)


def _same_models(ours: MultipleResults, reference) -> None:
    fitted = reference.all_fitted_models
    assert list(ours.names) == [_pyfixest_name(k) for k in fitted]
    for name, key in zip(ours.names, fitted, strict=True):
        result, other = ours[name], fitted[key]
        names = list(result.names)
        assert set(names) == set(other.coef().index)
        np.testing.assert_allclose(result.params, other.coef()[names], rtol=TOL, atol=1e-12)
        np.testing.assert_allclose(result.std_errors, other.se()[names], rtol=TOL, atol=1e-12)
        assert result.nobs == other._N


def _pyfixest_name(key: str) -> str:
    # pyfixest: "y ~ x1 | u (Sample: region = east)", "(Sample: region = all)" for the full
    # sample of fsplit; econ: "... (sample: region = east)", "(sample: all)".
    return key.replace("(Sample: ", "(sample: ").replace("region = all", "all")


@pytest.mark.parametrize("formula", [
    "y ~ sw(x1, x2, log(x3))",
    "y ~ x1 + csw(x2, x3) | u",
    "y ~ sw0(x1, x2)",
    "y ~ csw0(x1, x2 + x3)",
    "y + y2 ~ x1 + csw(x2, I(x3 ** 2)) | sw(u, v)",
    "y ~ x1 | csw(u, v)",
])
@pytest.mark.parametrize(("cov", "vcov"), [(IID(), "iid"), (Cluster("u"), {"CRV1": "u"})])
def test_stepwise_and_several_outcomes_match_pyfixest(data, formula, cov, vcov):
    ours = feols(formula, data, cov=cov)
    assert isinstance(ours, MultipleResults)
    _same_models(ours, _pyfixest(formula, data, vcov))


def test_expansion_order_is_fixests():
    models = expand("c(y1, y2) ~ x + csw0(a, b) | sw(u, v^w)")
    assert [m.text for m in models] == [
        "y1 ~ x | u", "y1 ~ x + a | u", "y1 ~ x + a + b | u",
        "y2 ~ x | u", "y2 ~ x + a | u", "y2 ~ x + a + b | u",
        "y1 ~ x | v^w", "y1 ~ x + a | v^w", "y1 ~ x + a + b | v^w",
        "y2 ~ x | v^w", "y2 ~ x + a | v^w", "y2 ~ x + a + b | v^w"]
    assert [m.text for m in expand("y ~ x | u")] == ["y ~ x | u"]
    assert [m.text for m in expand("y ~ sw(x) | csw(u)")] == ["y ~ x | u"]


def test_c_outcomes_equal_plus_outcomes(data):
    plus, listed = feols("y + y2 ~ x1 | u", data), feols("c(y, y2) ~ x1 | u", data)
    assert plus.names == listed.names == ("y ~ x1 | u", "y2 ~ x1 | u")
    for a, b in zip(plus, listed, strict=True):
        np.testing.assert_array_equal(a.params, b.params)


def test_each_outcome_keeps_its_own_rows(data):
    # As in fixest: a missing second outcome does not shrink the first outcome's sample.
    holes = data.assign(y2=data.y2.where(data.index % 7 != 0))
    first, second = feols("y + y2 ~ x1", holes)
    assert first.nobs == len(data) and second.nobs == int(holes.y2.notna().sum())
    assert second.dropped_rows == {"missing y2": int(holes.y2.isna().sum())}


@pytest.mark.parametrize("option", ["split", "fsplit"])
def test_split_and_fsplit_match_pyfixest(data, option):
    formula = "y ~ csw(x1, x2) | u"
    ours = feols(formula, data, cov=Cluster("u"), **{option: "region"})
    _same_models(ours, _pyfixest(formula, data, {"CRV1": "u"}, **{option: "region"}))
    expected = (["all"] if option == "fsplit" else []) + [
        f"region = {r}" for r in ("east", "north", "west")]
    assert list(dict.fromkeys(ours.samples)) == expected


def test_split_rows_with_missing_values_are_in_no_sample(data):
    holes = data.assign(region=data.region.where(data.index % 10 != 0))
    results = feols("y ~ x1", holes, fsplit="region")
    missing = int(holes.region.isna().sum())
    assert results["y ~ x1 (sample: all)"].nobs == len(data)
    assert sum(r.nobs for r in results[1:]) == len(data) - missing
    assert results.notes == (f"{missing} row(s) with region missing are in no split sample",)


def test_collection_is_a_frozen_named_tuple_of_results(data):
    results = feols("y ~ sw(x2, x1) | u", data)
    on_x2, on_x1 = results  # unpacks like the tuple feols returned for several outcomes
    assert results[1] is on_x1 and results["y ~ x2 | u"] is on_x2
    assert list(results) == [on_x2, on_x1] and len(results) == 2
    assert dict(results.items()) == {"y ~ x1 | u": on_x1, "y ~ x2 | u": on_x2}
    with pytest.raises(FrozenInstanceError):
        results.names = ("a", "b")  # type: ignore[misc]
    with pytest.raises(KeyError, match=r"no model 'y ~ x3'.*y ~ x2 \| u"):
        results["y ~ x3"]
    wide = results.params
    assert list(wide.columns) == list(results.names) and list(wide.index) == ["x2", "x1"]
    assert wide.loc["x2", "y ~ x2 | u"] == on_x2.params["x2"]
    assert np.isnan(wide.loc["x2", "y ~ x1 | u"])
    assert results.std_errors.loc["x1", "y ~ x1 | u"] == on_x1.std_errors["x1"]
    copy = pickle.loads(pickle.dumps(results))
    assert copy.names == results.names
    np.testing.assert_array_equal(copy[0].params, on_x2.params)


def test_tidy_summary_and_html(data):
    results = feols("y ~ csw(x1, x2)", data, split="region")
    tidy = results.tidy()
    assert list(tidy.columns[:4]) == ["model", "outcome", "sample", "term"]
    assert len(tidy) == sum(len(r.names) for r in results)
    row = tidy[(tidy.model == "y ~ x1 + x2 (sample: region = west)") & (tidy.term == "x2")]
    west = results["y ~ x1 + x2 (sample: region = west)"]
    assert row.estimate.item() == west.params["x2"]
    assert row.std_error.item() == west.std_errors["x2"]
    text = str(results.summary())
    assert "OLS: 6 models" in text and "y ~ x1 (sample: region = east)" in text
    assert "<table" in results._repr_html_() and repr(results) == text


def test_etable_has_one_column_per_model_headed_by_sample(data):
    results = feols("y ~ x1 + csw0(x2)", data, fsplit="region")
    table = etable(results)
    assert table.header == ("", *(f"({i})" for i in range(1, 9)))
    assert ("", "all", "all", "region = east", "region = east", "region = north",
            "region = north", "region = west", "region = west") in table.extra_header
    combined = etable([results, feols("y ~ x1", data)])
    assert len(combined.header) == 10


def test_split_variable_missing_and_other_bad_input_are_named(data):
    with pytest.raises(FormulaError, match=r"split variable 'county' is not in the data"):
        feols("y ~ x1", data, split="county")
    with pytest.raises(FormulaError, match=r"split='region' or fsplit='v', not both"):
        feols("y ~ x1", data, split="region", fsplit="v")
    with pytest.raises(FormulaError, match=r"unbalanced parentheses in 'y ~ sw\(x1, x2'"):
        feols("y ~ sw(x1, x2", data)
    with pytest.raises(FormulaError, match=r"unbalanced parentheses.*closes nothing"):
        feols("y ~ sw(x1, x2))", data)
    with pytest.raises(FormulaError, match=r"2 sw/csw/sw0/csw0 calls in one part"):
        feols("y ~ sw(x1, x2) + csw(x3)", data)
    with pytest.raises(FormulaError, match=r"fixed effects and no regressor"):
        feols("y ~ sw0(x1) | u", data)
    with pytest.raises(FormulaError, match=r"sw/csw cannot be used on the outcome side"):
        feols("sw(y, y2) ~ x1", data)
    # A model that cannot be fitted is named within the collection.
    with pytest.raises(ValueError, match=r"model 'y ~ x1 \(sample: v = 0\)'.*no rows left"):
        feols("y ~ x1", data.assign(x1=data.x1.where(data.v != 0)), split="v")


def test_econ_fit_runs_multiple_estimation(tmp_path, capsys):
    panel = "data/village_panel.parquet"
    formula = ("c(assistance_funds, log1p(assistance_funds)) ~ rich:post + csw0(high_level:post)"
               " | village_id + year")
    code = main(["fit", formula, panel, "--cluster", "township_id", "--split", "county_id",
                 "--format", "markdown"])
    out = capsys.readouterr().out
    assert code == 0
    assert "(8)" in out and "county_id = C01" in out and "log1p(assistance_funds)" in out
    direct = feols(formula, derive(read_panel(panel)), cov=Cluster("township_id"),
                   split="county_id")
    assert f"{direct[0].params['rich:post']:.3f}" in out
    assert main(["fit", "assistance_funds ~ sw(rich:post, high_level:post) | village_id + year",
                 panel, "--fsplit", "county_id"]) == 0
    out = capsys.readouterr().out
    assert "Model (1) of 6: assistance_funds ~ rich:post | village_id + year (sample: all)" in out
    assert main(["fit", "log(projects) ~ rich:post", panel]) == 2
    assert "where projects is zero or negative: 1,401 row(s)" in capsys.readouterr().err
    assert main(["fit", "assistance_funds ~ rich:post", panel, "--split", "nowhere"]) == 2
    assert "split variable 'nowhere'" in capsys.readouterr().err

