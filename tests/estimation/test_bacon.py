"""Goodman-Bacon decomposition: weights, the TWFE identity, each 2x2 by hand, and refusals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.models.bacon import bacon_decomposition

MPDTA = Path(__file__).resolve().parent.parent / "data" / "mpdta.csv"


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    frame = pd.read_csv(MPDTA).rename(columns={"first.treat": "first_treat"})
    frame["d"] = ((frame["year"] >= frame["first_treat"]) & (frame["first_treat"] > 0)).astype(
        float)
    return frame


@pytest.fixture(scope="module")
def staggered() -> pd.DataFrame:
    """Balanced panel with always-treated, three timing groups and never-treated units."""
    rng = np.random.default_rng(11)
    periods = np.arange(2001, 2009)
    starts = np.repeat([1995.0, 2003, 2005, 2007, np.nan], [7, 9, 12, 10, 14])
    frame = pd.DataFrame({"unit": np.repeat(np.arange(len(starts)), len(periods)),
                          "time": np.tile(periods, len(starts)),
                          "start": np.repeat(starts, len(periods))})
    treated = frame["time"] >= frame["start"]
    exposure = np.where(treated, frame["time"] - frame["start"].fillna(0), 0)
    effect = np.where(treated, 0.5 + 0.1 * np.minimum(exposure, 6), 0.0)
    frame["y"] = (rng.normal(size=len(starts))[frame["unit"]] + 0.2 * (frame["time"] - 2000)
                  + effect + rng.normal(scale=0.3, size=len(frame)))
    frame["d"] = treated.astype(float)
    return frame


def _group_rows(frame: pd.DataFrame, column: str, label: str, periods: np.ndarray) -> pd.Series:
    start = frame[column].where(frame[column] > 0)
    if label == "never":
        return start.isna() | (start > periods.max())
    if label == "always":
        return start <= periods.min()
    return start == float(label)


def _direct_2x2(frame: pd.DataFrame, row: pd.Series, *, column: str, outcome: str,
                time: str) -> float:
    """The 2x2 DiD from raw cell means on the comparison's subsample."""
    periods = np.sort(frame[time].unique())
    window = frame[(frame[time] >= row["first"]) & (frame[time] <= row["last"])]
    treated = window[_group_rows(window, column, row["treated"], periods)]
    control = window[_group_rows(window, column, row["control"], periods)]
    # Post periods start when the treated group's own treatment does; the control group's
    # treatment status is constant within the window.
    switch = float(row["treated"])
    post_t, post_c = treated[time] >= switch, control[time] >= switch
    return float((treated.loc[post_t, outcome].mean() - treated.loc[~post_t, outcome].mean())
                 - (control.loc[post_c, outcome].mean() - control.loc[~post_c, outcome].mean()))


def _check_identity(result, frame: pd.DataFrame, formula: str, unit: str) -> None:
    twfe = econ.feols(formula, frame, cov=econ.Cluster(unit)).params["d"]
    table = result.tidy()
    assert table["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert (table["weight"] > 0).all()
    assert abs(result.estimate - twfe) < 1e-10
    assert abs(result.twfe - twfe) < 1e-10
    by_type = result.by_type()
    assert float(by_type["weight"] @ by_type["estimate"]) == pytest.approx(twfe, abs=1e-10)


def test_mpdta_reproduces_twfe(mpdta):
    result = bacon_decomposition(mpdta, outcome="lemp", unit="countyreal", time="year",
                                 treated_from="first_treat")
    _check_identity(result, mpdta, "lemp ~ d | countyreal + year", "countyreal")
    table = result.tidy()
    assert set(table["type"]) == {"earlier vs later treated", "later vs earlier treated",
                                  "treated vs never treated"}
    assert len(table) == 9  # three timing groups: 3 pairs x 2 + 3 against never treated
    assert result.parts.group_sizes == {"2004": 20, "2006": 40, "2007": 131, "never": 309}


def test_mpdta_each_2x2_is_a_direct_did(mpdta):
    result = bacon_decomposition(mpdta, outcome="lemp", unit="countyreal", time="year",
                                 treated_from="first_treat")
    for _, row in result.tidy().iterrows():
        direct = _direct_2x2(mpdta, row, column="first_treat", outcome="lemp", time="year")
        assert row["estimate"] == pytest.approx(direct, abs=1e-12), row.to_dict()


def test_all_four_comparison_types(staggered):
    result = bacon_decomposition(staggered, outcome="y", unit="unit", time="time",
                                 treated_from="start")
    _check_identity(result, staggered, "y ~ d | unit + time", "unit")
    table = result.tidy()
    assert list(result.by_type()["type"]) == ["earlier vs later treated",
                                              "later vs earlier treated",
                                              "treated vs never treated",
                                              "treated vs always treated"]
    always = table[table["type"] == "treated vs always treated"]
    assert set(always["control"]) == {"always"} and len(always) == 3
    # The cohort rule shared by the DiD estimators keeps the always-treated units here.
    assert result.parts.group_sizes["always"] == 7
    assert result.parts.notes == ("7 always-treated unit(s) (cohort <= first period 2001) kept "
                                  "as the always-treated comparison group (Goodman-Bacon 2021)",)
    for _, row in table.iterrows():
        direct = _direct_2x2(staggered, row, column="start", outcome="y", time="time")
        assert row["estimate"] == pytest.approx(direct, abs=1e-12), row.to_dict()


def test_boolean_status_gives_the_same_decomposition(staggered):
    by_start = bacon_decomposition(staggered, outcome="y", unit="unit", time="time",
                                   treated_from="start")
    by_status = bacon_decomposition(staggered.assign(on=staggered["d"] > 0), outcome="y",
                                    unit="unit", time="time", treated_from="on")
    pd.testing.assert_frame_equal(by_start.tidy(), by_status.tidy())


def test_simulated_panel_reproduces_twfe_and_is_labelled():
    panel = econ.simulate("wp").dataset
    frame = panel.data
    cohort = frame["demonstration_year"]
    dataset = panel.with_columns(
        {"y": np.log1p(frame["assistance_funds"]),
         "d": (frame["year"] >= cohort).fillna(False).astype("float64")},
        {"y": "log1p(assistance_funds)", "d": "year >= demonstration_year"})
    result = bacon_decomposition(dataset, outcome="y", unit="village_id", time="year",
                                 treated_from="demonstration_year")
    _check_identity(result, dataset.data, "y ~ d | village_id + year", "village_id")
    for _, row in result.tidy().iterrows():
        direct = _direct_2x2(dataset.data.assign(year=dataset.data["year"].astype(float)), row,
                             column="demonstration_year", outcome="y", time="year")
        assert row["estimate"] == pytest.approx(direct, abs=1e-12)
    assert econ.SIMULATED_LABEL in result.summary().as_text()
    assert econ.SIMULATED_LABEL in result._repr_html_()


def test_summary_forms(mpdta):
    result = bacon_decomposition(mpdta, outcome="lemp", unit="countyreal", time="year",
                                 treated_from="first_treat")
    text = repr(result)
    assert "treated vs never treated" in text and "TWFE estimate: -0.036549" in text
    assert econ.SIMULATED_LABEL not in text
    assert "<table" in result._repr_html_()
    assert r"\begin{tabular}" in result.summary().as_latex()


def test_unbalanced_panel_is_refused(mpdta):
    with pytest.raises(ValueError, match=r"unbalanced: 1 of 500 units .*balanced panels only"):
        bacon_decomposition(mpdta.iloc[1:], outcome="lemp", unit="countyreal", time="year",
                            treated_from="first_treat")


def test_missing_outcome_is_refused(mpdta):
    frame = mpdta.assign(lemp=mpdta["lemp"].where(mpdta.index != 3))
    with pytest.raises(ValueError, match=r"'lemp' is missing in 1 row.*unbalanced"):
        bacon_decomposition(frame, outcome="lemp", unit="countyreal", time="year",
                            treated_from="first_treat")


def test_duplicate_rows_are_refused(mpdta):
    with pytest.raises(ValueError, match="appear more than once"):
        bacon_decomposition(pd.concat([mpdta, mpdta.iloc[:1]]), outcome="lemp",
                            unit="countyreal", time="year", treated_from="first_treat")


def test_treatment_that_switches_off_is_refused(staggered):
    status = (staggered["d"] > 0) & ~((staggered["unit"] == 10) & (staggered["time"] == 2008))
    with pytest.raises(ValueError, match="not absorbing: it switches off again in 1 unit"):
        bacon_decomposition(staggered.assign(on=status), outcome="y", unit="unit",
                            time="time", treated_from="on")


def test_start_period_changing_within_a_unit_is_refused(staggered):
    start = staggered["start"].where(staggered["unit"] != 10, staggered["time"])
    with pytest.raises(ValueError, match=r"'start' changes within 1 unit\(s\), e\.g\. 10: "
                                         r".*not absorbing"):
        bacon_decomposition(staggered.assign(start=start), outcome="y", unit="unit",
                            time="time", treated_from="start")


def test_common_timing_leaves_no_variation(staggered):
    start = np.where(staggered["start"].between(2002, 2008), 2005.0, np.nan)
    frame = staggered.assign(start=start)
    only_treated = frame[frame["start"].notna()]
    with pytest.raises(ValueError, match="collinear with the time fixed effects"):
        bacon_decomposition(only_treated, outcome="y", unit="unit", time="time",
                            treated_from="start")
    never = staggered.assign(start=np.nan)
    with pytest.raises(ValueError, match=r"no unit's treatment .* starts inside the panel"):
        bacon_decomposition(never, outcome="y", unit="unit", time="time", treated_from="start")
