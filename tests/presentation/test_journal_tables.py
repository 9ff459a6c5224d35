"""What a journal needs from a table: readable headings, p-values as a journal prints them,
rows the author adds, column names, the controls a model used and an honest stars note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import econ
from econ.table import format_pvalue


@pytest.fixture(scope="module")
def fits():
    rng = np.random.default_rng(8)
    n = 300
    g = np.repeat(np.arange(30), 10)
    data = pd.DataFrame({"x": rng.normal(size=n), "team": rng.normal(size=n),
                         "strong": rng.normal(size=n), "g": g})
    data["y"] = 0.5 * data["x"] + 0.2 * data["team"] + rng.normal(size=n) + rng.normal(
        size=30)[g]
    short = econ.feols("y ~ x", data, cov=econ.Cluster("g"))
    long = econ.feols("y ~ x + team + strong", data, cov=econ.Cluster("g"))
    return short, long


def test_pvalues_print_as_journals_print_them():
    assert [format_pvalue(p) for p in (0.0004, 0.001, 0.0123, 1.0, float("nan"))] == [
        "< 0.001", "0.001", "0.012", "1.000", ""]
    assert format_pvalue(0.0, reps=9999) == "< 1/9999"
    assert format_pvalue(0.0) == "< 0.001"  # an analytic p of 0 is a bound, not a count


def test_from_frame_headings_pvalues_and_intervals():
    frame = pd.DataFrame({"effect": ["a", "b"], "estimate": [1.0, -2.0],
                          "p_value": [0.0002, 0.3], "p_bootstrap": [0.0, 0.25],
                          "conf_low": [0.5, -3.0], "conf_high": [1.5, -1.0]})
    table = econ.Table.from_frame(
        frame, title="Table 2. Effects", digits=2, labels=("effect",),
        header=lambda c: econ.variable_label(c, "zh"), pvalues=("p_value",),
        bootstrap={"p_bootstrap": 999}, intervals={"conf_low": "conf_high"})
    assert table.header == ("效应", "估计值", "p值", "p值（野自助法）", "95%置信区间")
    assert table.rows == (("a", "1.00", "< 0.001", "< 1/999", "[0.50, 1.50]"),
                          ("b", "-2.00", "0.300", "0.250", "[-3.00, -1.00]"))
    with pytest.raises(ValueError, match=r"\['pval'\]"):
        econ.Table.from_frame(frame, title="t", pvalues=("pval",))


def test_result_columns_have_labels_in_both_languages():
    for name in ("estimate", "std_error", "p_value", "p_bootstrap", "villages"):
        english, chinese = econ.variable_label(name), econ.variable_label(name, "zh")
        assert "_" not in english and chinese != name and english != chinese
    assert econ.variable_label("assistance_funds_mean") == "Assistance funds, mean"
    assert econ.variable_label("not_a_variable_mean") == "not_a_variable_mean"


def test_add_rows_names_and_controls(fits):
    short, long = fits
    table = econ.etable({"Baseline": short, "With controls": long}, keep=["^x$"],
                        add_rows={"Mean of dep. var.": [1.23456, 1.23456],
                                  "Sample": ["All", "All"]})
    rows = {r[0]: r[1:] for r in table.rows}
    assert table.extra_header[1] == ("", "Baseline", "With controls")
    assert rows["Mean of dep. var."] == ("1.235", "1.235") and rows["Sample"] == ("All", "All")
    assert rows["Controls"] == ("No", "Yes")
    labels = [r[0] for r in table.rows]
    assert labels.index("Controls") < labels.index("Mean of dep. var.") < labels.index(
        "Observations")
    assert "Controls not shown: (2) Resident team, Strong unit." in table.notes
    named = econ.etable([short, long], names=["A", "B"], controls=False, keep=["^x$"])
    assert named.extra_header[1] == ("", "A", "B") and "Controls" not in [
        r[0] for r in named.rows]
    with pytest.raises(ValueError, match="one value each"):
        econ.etable([short, long], add_rows={"Mean": [1.0]})
    with pytest.raises(ValueError, match="one heading per column"):
        econ.etable([short, long], names=["only one"])


def test_a_bare_table_number_is_not_the_caption(fits):
    short, _ = fits
    assert econ.etable(short, title="Table 4").title == "Table 4. Regression results"
    assert econ.etable(short, title="表4", language="zh").title == "表4 回归结果"
    tex = econ.etable(short, title="Table 4").to_latex()
    assert r"\renewcommand{\thetable}{4}" in tex and r"\caption{Regression results}" in tex


def test_stars_say_which_rows_come_from_the_bootstrap(fits):
    long = fits[1]
    tested = long.wild_bootstrap("x", econ.WildBootstrap(reps=99, seed=1))
    table = econ.etable(econ.Model(long, bootstrap=[tested]), stars_from="bootstrap",
                        keep=["^x$", "team"])
    assert any(n.startswith("Stars from the wild-bootstrap p-values for x and from the "
                            "analytic p-values for the other coefficients") for n in table.notes)
    only = econ.etable(econ.Model(long, bootstrap=[tested]), stars_from="bootstrap",
                       keep=["^x$"])
    assert any(n.startswith("Stars from the wild-bootstrap p-values:") for n in only.notes)
    with pytest.raises(ValueError, match="in some columns only"):
        econ.etable([econ.Model(long, bootstrap=[tested]), long], stars_from="bootstrap",
                    keep=["^x$"])


def test_a_bootstrap_p_of_zero_is_below_one_over_b():
    rng = np.random.default_rng(2)
    g = np.repeat(np.arange(30), 10)
    x = rng.normal(size=300)
    data = pd.DataFrame({"y": 3 * x + rng.normal(size=300), "x": x, "g": g})
    fit = econ.feols("y ~ x", data, cov=econ.Cluster("g"))
    test = fit.wild_bootstrap("x", econ.WildBootstrap(reps=99, seed=1))
    assert test.pvalue == 0
    table = econ.etable(econ.Model(fit, bootstrap=[test]), keep=["^x$"])
    assert ("  Wild bootstrap p", "< 1/99") in table.rows
    assert any(n.startswith("< 1/B: none of the B bootstrap draws") for n in table.notes)


def test_infinite_interval_ends_and_an_interval_first_in_its_row():
    table = econ.Table.from_frame(pd.DataFrame({"low": [float("-inf"), 1.0],
                                                "high": [float("inf"), 2.0]}),
                                  title="t", intervals={"low": "high"})
    assert table.rows == (("[−∞, ∞]",), ("[1.000, 2.000]",))
    tex = table.to_latex()
    # Not read as the optional argument of \midrule or \\ on the line before.
    assert "\n{}[\\ensuremath{-}\\ensuremath{\\infty}, \\ensuremath{\\infty}] \\\\" in tex
    assert "\n{}[1.000, 2.000] \\\\" in tex
