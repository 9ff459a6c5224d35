"""The cohort rule shared by the DiD estimators: codes, masks, notes, warnings and refusals."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from econ.estimation.did.cohorts import CohortError, recode
from econ.models.bacon import bacon_decomposition
from econ.models.staggered import att_gt
from econ.models.sun_abraham import sun_abraham

MPDTA = Path(__file__).resolve().parent.parent / "data" / "mpdta.csv"
PERIODS = np.arange(2001.0, 2006.0)


def _recode(per_unit, *, periods=PERIODS, always_treated="keep", anticipation=0, ids=None):
    """Recode one cohort per unit, each unit observed in every period."""
    values = pd.Series(np.repeat(np.asarray(per_unit, dtype=float), len(periods)))
    n = len(per_unit)
    units = np.repeat(np.arange(n), len(periods))
    labels = np.repeat(np.asarray(ids if ids is not None else [f"u{i}" for i in range(n)]),
                       len(periods))
    return recode(values, "g", units=units, n_units=n, ids=labels,
                  periods=np.asarray(periods, dtype=float), always_treated=always_treated,
                  anticipation=anticipation)


def test_codes_and_masks_partition_the_units():
    cohorts = _recode([np.nan, 0, np.inf, 2009, 2003, 2005, 2001, 1990])
    np.testing.assert_array_equal(cohorts.first_treated,
                                  [np.inf] * 4 + [2003, 2005, 2001, 1990])
    np.testing.assert_array_equal(cohorts.never, [1, 1, 1, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(cohorts.always, [0, 0, 0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(cohorts.treated, [0, 0, 0, 0, 1, 1, 0, 0])
    assert (cohorts.n_never, cohorts.n_always, cohorts.n_treated) == (4, 2, 2)
    assert cohorts.notes == (
        "1 unit(s) first treated after the last period 2005 are never treated within the "
        "panel and counted as never treated",
        "2 always-treated unit(s) (cohort <= first period 2001) kept as the always-treated "
        "comparison group (Goodman-Bacon 2021)")


def test_zero_is_a_period_when_some_period_is_not_positive():
    cohorts = _recode([0, np.nan, -1, 2], periods=np.arange(-2.0, 3.0))
    np.testing.assert_array_equal(cohorts.first_treated, [0, np.inf, -1, 2])
    np.testing.assert_array_equal(cohorts.treated, [1, 0, 1, 1])
    assert cohorts.notes == ()


def test_drop_warns_and_notes_the_count():
    with pytest.warns(UserWarning, match=r"Dropped 2 always-treated unit\(s\) \(cohort <= "
                                         r"first period 2001\): already treated when first "
                                         r"observed, .*no effect of theirs is identified"):
        cohorts = _recode([2001, 1999, 2004, np.nan], always_treated="drop")
    assert cohorts.n_always == 2 and cohorts.notes[0].startswith("Dropped 2 always-treated")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _recode([2004, np.nan], always_treated="drop").notes == ()


def test_anticipation_moves_both_bounds():
    with pytest.warns(UserWarning, match=r"first period 2001 \+ anticipation 1"):
        cohorts = _recode([2002, 2003, 2006, 2007], always_treated="drop", anticipation=1)
    np.testing.assert_array_equal(cohorts.always, [1, 0, 0, 0])
    np.testing.assert_array_equal(cohorts.treated, [0, 1, 1, 0])
    np.testing.assert_array_equal(cohorts.first_treated, [2002, 2003, 2006, np.inf])
    assert "after the last period 2005 + anticipation 1" in cohorts.notes[0]


def test_missing_and_zero_in_one_unit_are_both_never_treated():
    values = pd.Series([np.nan, 0.0, 2003.0, 2003.0])
    cohorts = recode(values, "g", units=np.array([0, 0, 1, 1]), n_units=2,
                     ids=np.array(["a", "a", "b", "b"]), periods=np.array([2001.0, 2002.0]),
                     always_treated="keep")
    np.testing.assert_array_equal(cohorts.never, [True, True])


def test_cohort_changing_within_a_unit_names_example_units():
    values = pd.Series([2003.0, 2004.0, 2003.0, 2003.0, np.nan, 2002.0])
    with pytest.raises(CohortError, match=r"cohort 'g' changes within 2 unit\(s\), e\.g\. "
                                          r"alpha, gamma: .*not absorbing"):
        recode(values, "g", units=np.array([0, 0, 1, 1, 2, 2]), n_units=3,
               ids=np.array(["alpha", "alpha", "beta", "beta", "gamma", "gamma"]),
               periods=np.array([2001.0, 2002.0]), always_treated="keep")
    ids = [f"county {i}" for i in range(8)]
    periods = np.array([2001.0, 2002.0])
    with pytest.raises(CohortError, match=r"within 8 unit\(s\), e\.g\. county 0, county 1, "
                                          r"county 2, county 3, county 4:"):
        recode(pd.Series(np.tile([2003.0, 2004.0], 8)), "g", units=np.repeat(np.arange(8), 2),
               n_units=8, ids=np.repeat(ids, 2), periods=periods, always_treated="keep")


@pytest.mark.parametrize("values", [pd.Series(["2003", "2004"]), pd.Series([True, False])],
                         ids=["text", "boolean"])
def test_non_numeric_cohort_is_refused(values):
    with pytest.raises(CohortError, match=r"cohort 'g' must be numeric .* not (str|object|bool)$"):
        recode(values, "g", units=np.array([0, 1]), n_units=2, ids=np.array(["a", "b"]),
               periods=np.array([2001.0]), always_treated="drop")
    assert issubclass(CohortError, ValueError)


def _cohort_sizes(result) -> dict[int, int]:
    """Units per treated cohort of a Sun-Abraham result, as its summary facts report them."""
    listed = dict(result.facts)["Treated cohorts (units)"]
    pairs = (item.split(": ") for item in listed.split(", "))
    return {int(cohort): int(units) for cohort, units in pairs}


def test_the_three_estimators_apply_one_rule():
    """Callaway-Sant'Anna and Sun-Abraham drop the always-treated units with the same note;
    Goodman-Bacon keeps them as its always-treated group."""
    mpdta = pd.read_csv(MPDTA).rename(columns={"first.treat": "first_treat"})
    frame = mpdta.assign(first_treat=mpdta["first_treat"].replace({2004: 2003}))
    note = ("Dropped 20 always-treated unit(s) (cohort <= first period 2003): already treated "
            "when first observed, they have no untreated period, so no effect of theirs is "
            "identified")
    with pytest.warns(UserWarning, match=r"Dropped 20 always-treated") as caught:
        cs = att_gt(frame, outcome="lemp", unit="countyreal", time="year",
                    cohort="first_treat", bootstrap=None)
        sa = sun_abraham(frame, outcome="lemp", unit="countyreal", time="year",
                         cohort="first_treat")
    # Both warnings point at the caller's line, not inside the package.
    assert {Path(w.filename).name for w in caught} == {Path(__file__).name}
    assert note in cs.effects.panel.notes and note in sa.notes
    assert cs.effects.panel.n_units == 480 and sum(_cohort_sizes(sa).values()) == 171
    bacon = bacon_decomposition(frame, outcome="lemp", unit="countyreal", time="year",
                                treated_from="first_treat")
    assert bacon.parts.group_sizes["always"] == 20
    assert bacon.parts.notes == ("20 always-treated unit(s) (cohort <= first period 2003) "
                                 "kept as the always-treated comparison group "
                                 "(Goodman-Bacon 2021)",)
