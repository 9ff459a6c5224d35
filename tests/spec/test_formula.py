"""Formula parsing and design building."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from econ.spec.design import build
from econ.spec.formula import Factor, FormulaError, parse


def test_parts_of_a_formula():
    f = parse("y1 + y2 ~ a + b:c + C(t, ref='x') + i(e, d, ref=[-1, -2]) | u + v")
    assert f.outcomes == ("y1", "y2") and f.fixed_effects == ("u", "v")
    assert not f.intercept
    assert [t.label for t in f.terms] == ["a", "b:c", "C(t)", "i(e, d)"]
    assert f.terms[2].factors[0] == Factor("t", "C", ("x",))
    assert f.terms[3].factors[0] == Factor("e", "i", (-1, -2), "d")
    assert f.columns == ("y1", "y2", "a", "b", "c", "t", "e", "d", "u", "v")


def test_star_expands_and_intercept_rules():
    f = parse("y ~ a*b")
    assert [t.label for t in f.terms] == ["a", "b", "a:b"] and f.intercept
    assert not parse("y ~ a - 1").intercept and not parse("y ~ 0 + a").intercept


@pytest.mark.parametrize("bad", ["y = a", "y ~ a ~ b", "y ~ a | u | v", "y ~ a + + b",
                                 "y ~ logg(a)", "y ~ i(a, ref=1, bins=2)", "1y ~ a"])
def test_bad_formulas_are_named(bad):
    with pytest.raises(FormulaError):
        parse(bad)


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "x": [0.5, np.nan, 1.5, 2.0, 2.5, 3.0],
        "t": pd.Categorical(["a", "b", "c", "a", "b", "c"]),
        "e": pd.array([-2, -1, 0, None, 1, -1], dtype="Int64"),
        "d": [True, False, True, True, False, True],
        "u": ["g1", "g1", "g2", "g2", "g3", "g3"],
    })


def test_design_columns_names_and_dropped_rows(frame):
    design = build(parse("y ~ x + C(t) + i(e, ref=-1) + x:d"), frame)
    assert design.names == ("Intercept", "x", "C(t)[b]", "C(t)[c]", "e::-2", "e::0", "e::1",
                            "x:d")
    assert design.dropped == {"missing x": 1}
    assert list(design.rows) == [0, 2, 3, 4, 5]
    # a missing event time is a row in no period (never treated), not a dropped row
    np.testing.assert_array_equal(design.X[:, 4:7].sum(axis=1), [1, 1, 0, 1, 0])
    np.testing.assert_array_equal(design.X[:, 7], [0.5, 1.5, 2.0, 0.0, 3.0])


def test_interaction_of_indicator_and_value(frame):
    design = build(parse("y ~ i(e, d, ref=-1)"), frame)
    assert design.names == ("Intercept", "e::-2:d", "e::0:d", "e::1:d")
    np.testing.assert_array_equal(design.X[:, 1], [1, 0, 0, 0, 0, 0])


def test_unknown_columns_and_refs_are_named(frame):
    with pytest.raises(FormulaError, match=r"\['z'\] not in the data"):
        build(parse("y ~ z"), frame)
    with pytest.raises(FormulaError, match=r"ref=\[7\] not among the values of 'e'"):
        build(parse("y ~ i(e, ref=7)"), frame)
    with pytest.raises(FormulaError, match="not numeric"):
        build(parse("u ~ x"), frame)


def test_weights_and_cluster_columns_must_be_present(frame):
    design = build(parse("y ~ d"), frame.assign(w=[1.0, 0.0, 2.0, 1.0, 1.0, 1.0]),
                   weights="w", clusters=("u",))
    assert design.dropped == {"zero w": 1}
    # The cluster variable is resolved once, on the rows kept: dense codes and their values.
    grouping = design.clusters["u"]
    kept = frame["u"].to_numpy()[design.rows]
    assert grouping.labels[grouping.codes].tolist() == kept.tolist()
    assert sorted(set(grouping.codes.tolist())) == list(range(grouping.groups))
    with pytest.raises(FormulaError, match="negative"):
        build(parse("y ~ d"), frame.assign(w=-1.0), weights="w")


@pytest.mark.parametrize(("text", "message"), [
    ("y ~ y + x", r"\['y'\] .* both the outcome and a regressor"),
    ("y ~ x | y", r"\['y'\] .* both the outcome"),
    ("y ~ x |", r"ends with '\|' but names no fixed effect"),
])
def test_formulas_that_cannot_mean_anything_are_named(text, message):
    with pytest.raises(FormulaError, match=message):
        parse(text)


def test_infinite_values_in_a_used_column_are_named(frame):
    bad = frame.assign(x=[np.inf, 1.0, 2.0, 3.0, 1e400, 5.0])
    with pytest.raises(FormulaError, match=r"'x' is infinite in 2 row\(s\)"):
        build(parse("y ~ x"), bad)
