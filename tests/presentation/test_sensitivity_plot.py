"""The sensitivity plot and the side-by-side event-study plot: the numbers they show."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.models.sensitivity import honest_did, sensitivity_band
from econ.presentation.figures.chart import Chart
from econ.presentation.figures.sensitivity import (
    event_study_comparison_plot,
    sensitivity_plot,
)
from econ.results.event_study import EventStudy, event_study_path
from econ.results.sensitivity import SensitivityBand


def study(simulated: bool = True, shift: float = 0.0) -> EventStudy:
    periods = np.array([-4, -3, -2, 0, 1, 2])
    beta = np.array([0.01, -0.02, 0.01, 0.2, 0.25, 0.3]) + shift
    sigma = np.diag(np.full(6, 0.03**2)) + 0.0002
    path = event_study_path(periods, beta, np.sqrt(np.diag(sigma)), 1.96, float("nan"), (-1,))
    return EventStudy(title="test", outcome="y", path=path, cov=sigma, df=float("inf"),
                      level=0.95, time_label="relative period", reference=-1,
                      simulated=simulated)


def test_sensitivity_plot_shows_the_result() -> None:
    result = honest_did(study(), bounds=[0.0, 1.0, 2.0])
    chart = sensitivity_plot(result, title="Sensitivity")
    assert isinstance(chart, Chart)
    assert chart.data["label"].tolist() == ["original", "0", "1", "2"]
    np.testing.assert_allclose(chart.data["conf_low"].iloc[1:], result.bounds["conf_low"])
    np.testing.assert_allclose(chart.data.loc[0, ["conf_low", "conf_high"]].to_numpy(float),
                               result.original)
    texts = [t.get_text() for t in chart.figure.texts]
    assert any("SIMULATED" in t.upper() for t in texts)
    assert chart.to_png()[:4] == b"\x89PNG"


def test_sensitivity_plot_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match=r"econ\.honest_did"):
        sensitivity_plot(study())  # type: ignore[arg-type]


def test_comparison_plot_stacks_both_paths() -> None:
    a, b = study(), study(simulated=False, shift=0.1)
    chart = event_study_comparison_plot([a, b], ["A", "B"], title="Both")
    assert chart.data.groupby("estimator").size().to_dict() == {"A": 7, "B": 7}
    b_rows = chart.data[chart.data["estimator"] == "B"]
    expected = b.to_frame()["estimate"].to_numpy()
    np.testing.assert_allclose(b_rows["estimate"].to_numpy(), expected)
    assert any("SIMULATED" in t.get_text().upper() for t in chart.figure.texts)
    with pytest.raises(ValueError, match="one label per event study"):
        event_study_comparison_plot([a, b], ["A"])


def test_event_study_plot_draws_each_post_period_robust_set():
    """The band is each post period's honest_did set at the bound; open ends run to the edge
    of the axes."""
    mpdta = pd.read_csv(Path(__file__).parents[1] / "data" / "mpdta.csv")
    study = econ.att_gt(mpdta, outcome="lemp", unit="countyreal", time="year",
                        cohort="first.treat", base_period="universal"
                        ).aggregate("dynamic").event_study()
    band = sensitivity_band(study, bound=0.5)
    for period, low, high in band.table.itertuples(index=False):
        one = honest_did(study, bounds=[0.5], target=int(period))
        assert (low, high) == (one.bounds["conf_low"].iloc[0], one.bounds["conf_high"].iloc[0])
    chart = econ.event_study_plot(study, sensitivity=band)
    drawn = chart.data.dropna(subset=["robust_low"])
    assert list(drawn["period"]) == list(band.table["period"])
    legend = chart.figure.axes[0].get_legend() or chart.figure.legends[0]
    assert "Robust 95% (Mbar = 0.5)" in [t.get_text() for t in legend.get_texts()]
    open_band = SensitivityBand("relative magnitudes", "C-LF", 2.0, 0.95,
                                band.table.assign(robust_high=np.inf))
    chart = econ.event_study_plot(study, sensitivity=open_band)
    top = chart.figure.axes[0].get_ylim()[1]
    bars = next(c for c in chart.figure.axes[0].collections if c.get_gid() == "robust")
    assert max(segment[:, 1].max() for segment in bars.get_segments()) == top
