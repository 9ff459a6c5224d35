"""Returns of funds and industry survival by village type, on the shipped simulated panel."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import econ
from econ.study.efficiency import efficiency


@pytest.fixture(scope="module")
def shipped() -> econ.Dataset:
    return econ.read_panel("data/village_panel.parquet")


@pytest.fixture(scope="module")
def result(shipped):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        return efficiency(shipped, bootstrap=econ.WildBootstrap(reps=199, seed=2))


def test_returns_are_type_specific_slopes(shipped, result):
    income = next(r for r in result.returns if r.outcome == "income_per_capita")
    slopes = income.slopes.set_index("type")["slope"]
    assert list(slopes.index) == ["A", "B", "C", "D"]
    # the simulator gives weaker returns in low-endowment villages
    assert slopes["A"] > slopes["C"] and (slopes > 0).all()
    assert income.equality.pvalue < 0.01 and income.equality.df_num == 3
    # The bootstrap Wald test's observed statistic is the CR1 F of the equal-slopes
    # restrictions, computed independently by the analytic test.
    boot = income.equality_bootstrap
    assert boot.statistic == pytest.approx(income.equality.statistic, rel=1e-9)
    assert boot.reps == 199 and boot.cluster == ("township_id",)
    # With 31 township clusters the bootstrap and the F test agree on a clear rejection.
    assert boot.pvalue < 0.05
    assert "SIMULATED DATA" in result.summary().as_text()


def test_survival_models_reproduce_group_shares(shipped, result):
    table = result.survival.table.set_index("type")
    data = econ.derive(shipped).to_pandas()
    typed = data.loc[data["year"] == 2021].set_index("village_id")["typology"].astype(object)
    started = data.loc[(data["year"] == 2020) & data["industry_active"].notna(), "village_id"]
    last = data[(data["year"] == 2025) & data["village_id"].isin(started)].copy()
    last["type"] = last["village_id"].map(typed)
    last = last[last["type"].notna() & last["industry_active"].notna()]
    shares = last.groupby("type")["industry_active"].mean().astype(float)
    np.testing.assert_allclose(table["lpm"], shares[table.index], rtol=1e-12)
    # saturated logit and probit fit each type's share exactly (separated types at 0 or 1)
    np.testing.assert_allclose(table["logit"], shares[table.index], atol=1e-6)
    np.testing.assert_allclose(table["probit"], shares[table.index], atol=1e-6)
    assert table.loc["A", "lpm"] > table.loc["C", "lpm"]
    assert table["separated"].dtype == bool
    assert result.survival.villages == len(last)


def test_non_positive_outcome_is_refused(shipped):
    frame = shipped.to_pandas()
    frame.loc[0, "collective_income"] = 0.0
    with pytest.raises(ValueError, match="non-positive"), warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        efficiency(econ.read_panel(frame), outcomes=("collective_income",))
