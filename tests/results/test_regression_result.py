"""The result object: tests, intervals, covariance swaps, tidy frames and summaries."""

from __future__ import annotations

import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.datasets import grunfeld

import econ


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame = grunfeld.load_pandas().data
    frame["year"] = frame["year"].astype(int)
    return frame


@pytest.fixture(scope="module")
def result(data) -> econ.RegressionResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        return econ.feols("invest ~ value + capital | firm + year", data,
                          cov=econ.Cluster("firm", ssc=econ.SmallSample(fixef_k="full")))


@pytest.fixture(scope="module")
def reference(data):
    return smf.ols("invest ~ value + capital + C(firm) + C(year)", data).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["firm"])[0]}, use_t=True)


def test_wald_test_matches_statsmodels(result, reference):
    ours = result.wald_test(["value", "capital"])
    theirs = reference.f_test("value = 0, capital = 0")
    assert np.isclose(ours.statistic, float(theirs.fvalue), rtol=1e-8)
    assert ours.df_num == 2 and ours.df_denom == theirs.df_denom == 10
    assert np.isclose(ours.pvalue, float(theirs.pvalue), rtol=1e-8)
    matrix = result.wald_test(np.array([[1.0, -1.0]]), 0.0)
    single = reference.t_test("value - capital = 0")
    assert np.isclose(matrix.statistic, float(single.tvalue.item()) ** 2, rtol=1e-8)


def test_conf_int_uses_t_with_cluster_df(result, reference):
    ours = result.conf_int(0.9)
    theirs = reference.conf_int(0.1).loc[["value", "capital"]]
    np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-8)
    with pytest.raises(ValueError, match="level"):
        result.conf_int(95)


def test_with_cov_returns_a_new_result_and_leaves_the_old(result):
    iid = result.with_cov(econ.IID())
    assert iid is not result and iid.fit is result.fit
    assert result.covariance.label.startswith("CR1") and iid.covariance.label == "IID"
    assert not np.allclose(iid.std_errors, result.std_errors)
    with pytest.raises(AttributeError):
        result.fit = None  # type: ignore[misc]


def test_tidy_columns(result):
    table = result.tidy()
    assert list(table.columns) == ["term", "estimate", "std_error", "statistic", "p_value",
                                   "conf_low", "conf_high"]
    assert table["term"].tolist() == ["value", "capital"]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []

    def handle_data(self, data: str) -> None:
        self.cells.append(data)


def test_summary_text_html_latex(result):
    summary = result.summary()
    text = summary.as_text()
    assert "Covariance: CR1 (firm)" in text and "Fixed effects: firm + year" in text
    parser = _Collector()
    parser.feed(result._repr_html_())
    assert "value" in parser.cells and "Within R-squared" in parser.cells
    latex = summary.as_latex()
    assert latex.count(r"\begin{") == latex.count(r"\end{") and r"\toprule" in latex


def test_several_outcomes_share_the_design(data):
    first, second = econ.feols("invest + value ~ capital | firm", data, cov=econ.HC1())
    alone = econ.feols("value ~ capital | firm", data, cov=econ.HC1())
    assert first.fit.outcome == "invest" and second.fit.outcome == "value"
    np.testing.assert_allclose(second.params, alone.params, rtol=1e-12)


def test_three_fixed_effects_match_dummies(data):
    frame = data.assign(era=(data["year"] - 1935) // 5)
    absorbed = econ.feols("invest ~ value + capital | firm + year + era", frame,
                          tol=1e-13)
    dummies = smf.ols("invest ~ value + capital + C(firm) + C(year)", frame).fit()
    np.testing.assert_allclose(absorbed.params, dummies.params[["value", "capital"]],
                               rtol=1e-8)


def test_rounding_below_zero_is_a_zero_standard_error():
    # 8 rows, 2 clusters, 1 residual df: a clustered variance that is 0 in exact arithmetic.
    frame = pd.DataFrame({"y": [1.0, 2.0, 2.5, 4.0, 1.5, 2.2, 3.1, 3.9],
                          "x": [0.0, 1.0, 2.0, 3.0, 0.5, 1.5, 2.5, 3.5],
                          "g": [0, 0, 0, 0, 1, 1, 1, 1]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        res = econ.feols("y ~ x + g", frame, cov=econ.Cluster("g"))
    assert np.isfinite(res.std_errors).all()


# one path for options and results -----------------------------------------------------------
def test_lincom_matches_statsmodels_t_test(data):
    ours = econ.feols("invest ~ value + capital", data)
    theirs = smf.ols("invest ~ value + capital", data).fit().t_test("value - capital = 0")
    table = ours.lincom([[0.0, 1.0, -1.0]], ["value - capital"], level=0.9)
    row = table.iloc[0]
    assert row["term"] == "value - capital"
    assert row["estimate"] == pytest.approx(float(theirs.effect[0]), rel=1e-8)
    assert row["std_error"] == pytest.approx(float(theirs.sd[0, 0]), rel=1e-8)
    assert row["p_value"] == pytest.approx(float(theirs.pvalue), rel=1e-8)
    low, high = theirs.conf_int(alpha=0.1)[0]
    assert (row["conf_low"], row["conf_high"]) == pytest.approx((low, high), rel=1e-8)
    # Named weights: a DataFrame's columns are matched to the coefficients.
    named = ours.lincom(pd.DataFrame({"capital": [-1.0], "value": [1.0]}, index=["diff"]))
    assert named["estimate"].iloc[0] == pytest.approx(row["estimate"], rel=1e-12)
    with pytest.raises(KeyError, match="x9"):
        ours.lincom(pd.DataFrame({"x9": [1.0]}))


def test_intervals_are_conf_low_and_conf_high_everywhere(result, reference):
    ci = result.conf_int(0.9)
    assert list(ci.columns) == ["conf_low", "conf_high"]
    theirs = reference.conf_int(alpha=0.1).loc[["value", "capital"]]
    # The same point estimates; statsmodels' interval uses its own small-sample factor and df,
    # so compare the centres and check the tidy frame carries the same bounds.
    np.testing.assert_allclose((ci["conf_low"] + ci["conf_high"]) / 2,
                               (theirs[0] + theirs[1]) / 2, rtol=1e-8)
    tidy = result.tidy(0.9).set_index("term")
    pd.testing.assert_frame_equal(tidy[["conf_low", "conf_high"]], ci, check_names=False)


def test_the_fit_carries_codes_and_the_parsed_formula_not_the_data(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        fit = econ.feols("invest ~ value + capital | year", data, cov=econ.Cluster("firm"))
    assert not hasattr(fit.fit, "data")
    assert fit.fit.formula.fixed_effects == ("year",)
    grouping = fit.fit.clusters["firm"]
    assert grouping.groups == data["firm"].nunique()
    assert list(grouping.labels[grouping.codes]) == list(data["firm"].iloc[fit.fit.rows])


def test_results_hold_numbers_and_do_not_compute_when_built(result):
    """A result is built from a fit and a covariance computed before; constructing one again
    from the same pieces recomputes nothing and changes nothing."""
    again = econ.RegressionResult(result.fit, result.cov_spec, result.covariance,
                                  result.simulated)
    assert again.covariance is result.covariance
    pd.testing.assert_series_equal(again.std_errors, result.std_errors)
