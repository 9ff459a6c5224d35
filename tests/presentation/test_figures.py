"""Publication figures: the numbers drawn, captions, fonts and reproducible files.

The checks read the plotted data back from the matplotlib artists (line coordinates, error-bar
segments, band polygons, histogram bars) rather than comparing pixels, so they hold on any
machine and any font.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

import econ
from econ.data import figure_labels
from econ.data.dataset import SIMULATED_LABEL
from econ.estimation.inequality import lorenz_curve
from econ.presentation import figures
from econ.presentation.figures import (
    STYLE,
    Chart,
    MissingFontWarning,
    bootstrap_distribution_plot,
    cjk_font,
    coefficient_plot,
    event_study_plot,
    fonts,
    lorenz_plot,
)

ROOT = Path(__file__).resolve().parents[2]


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def panel():
    return econ.read_panel(ROOT / "data" / "village_panel.parquet")


@pytest.fixture(scope="module")
def study(panel):
    return econ.gradient_event_study(panel, bootstrap=econ.WildBootstrap(reps=99, seed=1), seed=1,
                                     sup_t_draws=2000)


@pytest.fixture(scope="module")
def regression():
    # 30 township clusters: enough that the cluster-robust fit raises no few-clusters warning.
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"village_id": np.repeat(np.arange(60), 8),
                          "year": np.tile(np.arange(2015, 2023), 60)})
    frame["township_id"] = frame["village_id"] // 2
    frame["x"] = rng.normal(size=len(frame))
    frame["z"] = rng.normal(size=len(frame))
    frame["y"] = 0.15 * frame["x"] + rng.normal(size=len(frame))
    return econ.feols("y ~ x + z | village_id + year", frame,
                      cov=econ.Cluster("township_id"))


@pytest.fixture(scope="module")
def boot(regression):
    return regression.wild_bootstrap("x", econ.WildBootstrap(reps=199, seed=1, keep_draws=True))


def _texts(chart: Chart) -> list[str]:
    return [t.get_text() for t in chart.figure.findobj(Text)]


def _by_gid(chart: Chart, gid: str) -> list:
    return chart.figure.findobj(lambda artist: artist.get_gid() == gid)


def _legend(chart: Chart) -> list[str]:
    return [t.get_text() for t in chart.figure.axes[0].get_legend().get_texts()]


def _segments(collection) -> np.ndarray:
    return np.array([path.vertices for path in collection.get_paths()])


# --- event study -------------------------------------------------------------------------------


def test_event_study_draws_estimates_intervals_band_and_reference(study):
    frame = study.to_frame()
    chart = event_study_plot(study, title="Gradient")
    data, ax = chart.data, chart.figure.axes[0]
    assert isinstance(study, econ.EventStudy)
    assert data["period"].tolist() == frame["period"].tolist()
    np.testing.assert_array_equal(data["estimate"], frame["estimate"])

    line, = _by_gid(chart, "estimate")
    np.testing.assert_array_equal(line.get_xdata(), frame["period"].to_numpy(dtype=float))
    np.testing.assert_array_equal(line.get_ydata(), frame["estimate"])
    assert line.get_marker() == "o"

    # One error bar per year, from the pointwise lower to the upper bound.
    bars, = _by_gid(chart, "pointwise")
    expected = np.stack([np.column_stack([frame["period"], frame["conf_low"]]),
                         np.column_stack([frame["period"], frame["conf_high"]])], axis=1)
    np.testing.assert_allclose(_segments(bars), expected)

    # The band polygon passes through every uniform bound.
    band, = _by_gid(chart, "uniform")
    vertices = np.concatenate([p.vertices for p in band.get_paths()])
    for year, low, high in frame[["period", "band_low", "band_high"]].itertuples(
            index=False):
        for bound in (low, high):
            assert np.isclose(vertices, [year, bound]).all(axis=1).any(), (year, bound)

    reference, = _by_gid(chart, "reference")
    assert reference.get_xdata() == [study.reference, study.reference]
    assert reference.get_linestyle() == "--"
    zero, = _by_gid(chart, "zero")
    assert list(zero.get_ydata()) == [0, 0]
    assert data.loc[data["is_reference"], "period"].tolist() == [study.reference]
    assert _legend(chart) == ["Estimate", "Pointwise 95% CI", "Uniform 95% band",
                              "Reference year"]
    # The study's own (bootstrap) pre-trend test is printed under the axis label.
    pretrend = study.pretrend
    shown, = _by_gid(chart, "pretrend")
    assert shown.get_text() == (f"Pre-trends: wild bootstrap Wald p = {pretrend.pvalue:.3f} "
                                f"(B = {pretrend.reps:,})")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Year", "Estimate")
    assert chart.title == "Gradient" and "Gradient" in _texts(chart)


def test_simulated_caption_follows_the_flag_and_the_study(study):
    assert study.simulated
    # The study knows its panel is simulated, so the caption is on by default.
    assert SIMULATED_LABEL in _texts(event_study_plot(study))
    assert SIMULATED_LABEL not in _texts(event_study_plot(study, simulated=False))
    frame = study.to_frame()
    assert SIMULATED_LABEL not in _texts(event_study_plot(frame))
    assert SIMULATED_LABEL in _texts(event_study_plot(frame, simulated=True))


def test_reference_row_without_bounds_is_pinned_at_its_estimate():
    frame = pd.DataFrame({"year": [2019, 2020, 2021], "estimate": [0.3, 0.0, 0.5],
                          "conf_low": [0.1, np.nan, 0.2], "conf_high": [0.5, np.nan, 0.8],
                          "uniform_low": [0.0, np.nan, 0.1],
                          "uniform_high": [0.6, np.nan, 0.9]})
    chart = event_study_plot(frame, reference=2020, level=0.9)
    row = chart.data.set_index("period").loc[2020]
    assert row[["conf_low", "conf_high", "band_low", "band_high"]].tolist() == [0.0] * 4
    assert _legend(chart)[1:3] == ["Pointwise 90% CI", "Uniform 90% band"]


def test_callaway_santanna_dynamic_frame(panel):
    result = econ.att_gt(panel.data, outcome="assistance_funds", unit="village_id",
                         time="year", cohort="demonstration_year",
                         control="not_yet_treated").aggregate("dynamic")
    tidy = result.tidy()
    chart = event_study_plot(tidy, time="term", estimate="estimate",
                             uniform=("band_low", "band_high"), reference=-1)
    dynamic = tidy[tidy["term"] != "overall"]
    # "e=-3" is drawn at -3; the "overall" row is no point of the path.
    np.testing.assert_array_equal(chart.data["period"], dynamic["event_time"])
    np.testing.assert_allclose(chart.data["band_high"], dynamic["band_high"])
    assert chart.figure.axes[0].get_xlabel() == "Period relative to treatment"
    assert "Reference period" in _legend(chart)

    bare = event_study_plot(tidy, time="event_time", estimate="estimate", uniform=None)
    assert not _by_gid(bare, "uniform") and not _by_gid(bare, "reference")
    assert bare.data["band_low"].isna().all()
    assert len(bare.data) == len(dynamic)


def test_event_study_names_missing_columns(study):
    with pytest.raises(ValueError, match=r"'uniform_low'.*not found; available: .*'band_low'"):
        event_study_plot(study, uniform=("uniform_low", "uniform_high"))
    with pytest.raises(ValueError, match="'att'"):
        event_study_plot(study.to_frame(), estimate="att")


# --- the package's event-study result (canonical frame) ----------------------------------------


@dataclasses.dataclass(frozen=True)
class _EventStudyStandIn:
    """Stands in for the package's event-study result: ``to_frame()`` and the attributes."""

    frame: pd.DataFrame
    level: float = 0.95
    simulated: bool = False
    reference: int | None = None
    time_label: str = "relative period"

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()


def _canonical(periods, references, *, band: bool = True,
               reference_bounds: float = np.nan) -> pd.DataFrame:
    """A result frame: effects growing after period 0 (or the first reference), NaN band
    columns when ``band`` is false, reference rows at zero with ``reference_bounds``."""
    period = np.asarray(list(periods), dtype=np.int64)
    start = period[np.searchsorted(period, max(references))] if len(period) else 0
    since = period - start
    estimate = np.where(since > 0, 0.12 * since, 0.03 * np.cos(period))
    std_error = 0.05 + 0.01 * np.abs(since)
    frame = pd.DataFrame({"period": period, "estimate": estimate, "std_error": std_error,
                          "conf_low": estimate - 1.96 * std_error,
                          "conf_high": estimate + 1.96 * std_error,
                          "band_low": estimate - 2.8 * std_error if band else np.nan,
                          "band_high": estimate + 2.8 * std_error if band else np.nan,
                          "is_reference": np.isin(period, references)})
    ref = frame["is_reference"]
    frame.loc[ref, "estimate"] = 0.0
    frame.loc[ref, "std_error"] = np.nan
    columns = ["conf_low", "conf_high", *(["band_low", "band_high"] if band else [])]
    frame.loc[ref, columns] = reference_bounds
    return frame


def _stand_in(time_label: str, band: bool, **options) -> _EventStudyStandIn:
    if time_label == "year":
        frame = _canonical(range(2015, 2023), [2020], band=band, reference_bounds=0.0)
        return _EventStudyStandIn(frame, reference=2020, time_label="year", **options)
    frame = _canonical(range(-4, 4), [-1], band=band)
    return _EventStudyStandIn(frame, reference=-1, **options)


@pytest.mark.parametrize("time_label", ["relative period", "year"])
@pytest.mark.parametrize("band", [True, False])
def test_event_study_result_is_drawn_from_its_own_columns(time_label, band):
    result = _stand_in(time_label, band, level=0.9, simulated=True)
    frame = result.to_frame()
    chart = event_study_plot(result)
    data, ax = chart.data, chart.figure.axes[0]
    assert list(data.columns) == ["period", "estimate", "conf_low", "conf_high", "band_low",
                                  "band_high", "is_reference"]
    assert data["period"].dtype == np.int64
    assert data["period"].tolist() == frame["period"].tolist()
    np.testing.assert_array_equal(data["estimate"], frame["estimate"])
    assert data["is_reference"].tolist() == frame["is_reference"].tolist()
    # The reference row is pinned at its estimate, zero, whether its bounds were 0 or NaN.
    pinned = data.loc[data["is_reference"], ["conf_low", "conf_high"]].to_numpy()
    assert (pinned == 0.0).all()
    others = ~data["is_reference"]
    np.testing.assert_array_equal(data.loc[others, "conf_low"], frame.loc[others, "conf_low"])

    x = frame["period"].to_numpy(dtype=float)
    line, = _by_gid(chart, "estimate")
    np.testing.assert_array_equal(line.get_xdata(), x)
    bars, = _by_gid(chart, "pointwise")
    expected = np.stack([np.column_stack([x, data["conf_low"]]),
                         np.column_stack([x, data["conf_high"]])], axis=1)
    np.testing.assert_allclose(_segments(bars), expected)
    if band:
        polygon, = _by_gid(chart, "uniform")
        vertices = np.concatenate([p.vertices for p in polygon.get_paths()])
        for period, low, high in data[["period", "band_low", "band_high"]].itertuples(
                index=False):
            for bound in (low, high):
                assert np.isclose(vertices, [period, bound]).all(axis=1).any(), (period, bound)
    else:
        assert not _by_gid(chart, "uniform")
        assert data["band_low"].isna().all() and data["band_high"].isna().all()

    reference, = _by_gid(chart, "reference")
    assert reference.get_xdata() == [result.reference, result.reference]
    year = time_label == "year"
    assert _legend(chart) == ["Estimate", "Pointwise 90% CI",
                              *(["Uniform 90% band"] if band else []),
                              "Reference year" if year else "Reference period",
                              *([] if year else ["Treatment onset"])]
    assert ax.get_xlabel() == ("Year" if year else "Period relative to treatment")
    assert SIMULATED_LABEL in _texts(chart)


def test_canonical_frame_alone_and_chart_data_replot_the_same():
    frame = _canonical(range(-3, 3), [-1])
    chart = event_study_plot(frame)
    # Without a result object there is no time_label: periods are relative, 95% by default.
    assert chart.figure.axes[0].get_xlabel() == "Period relative to treatment"
    assert _legend(chart)[1] == "Pointwise 95% CI"
    assert SIMULATED_LABEL not in _texts(chart)
    pd.testing.assert_frame_equal(event_study_plot(chart.data).data, chart.data)


def test_keyword_options_still_apply_to_a_result():
    result = _stand_in("relative period", True)
    bare = event_study_plot(result, uniform=None, pointwise=None, xlabel="Years since")
    assert not _by_gid(bare, "uniform") and not _by_gid(bare, "pointwise")
    assert bare.data[["conf_low", "band_low"]].isna().all().all()
    assert bare.figure.axes[0].get_xlabel() == "Years since"
    # An explicit reference must agree with the rows the result flags.
    assert event_study_plot(result, reference=-1).data["is_reference"].sum() == 1
    with pytest.raises(ValueError, match=r"reference=0, but .* flagged is_reference are at"):
        event_study_plot(result, reference=0)
    with pytest.raises(ValueError, match="uniform must be"):
        event_study_plot(result, uniform="band")


def test_several_reference_periods_get_one_legend_entry():
    frame = _canonical(range(-5, 3), [-5, -1])
    chart = event_study_plot(_EventStudyStandIn(frame))
    lines = _by_gid(chart, "reference")
    assert sorted(line.get_xdata()[0] for line in lines) == [-5.0, -1.0]
    assert _legend(chart).count("Reference period") == 1
    assert chart.data.loc[chart.data["is_reference"], "period"].tolist() == [-5, -1]
    # The result's own reference picks the line; both rows stay normalised.
    main = event_study_plot(_EventStudyStandIn(frame, reference=-1))
    assert [line.get_xdata()[0] for line in _by_gid(main, "reference")] == [-1.0]
    assert main.data["is_reference"].sum() == 2


def test_canonical_frame_missing_columns_are_named():
    frame = _canonical(range(-3, 3), [-1]).drop(columns=["conf_high", "band_low"])
    with pytest.raises(ValueError, match=r"\['conf_high', 'band_low'\] not found; available"):
        event_study_plot(_EventStudyStandIn(frame))
    with pytest.raises(ValueError, match=r"\['estimate'\] not found"):
        event_study_plot(_canonical(range(3), [0]).drop(columns="estimate"))
    with pytest.raises(ValueError, match="time_label must be one of"):
        event_study_plot(_EventStudyStandIn(_canonical(range(3), [0]), time_label="month"))


# --- coefficient plot --------------------------------------------------------------------------


def _coefficients() -> pd.DataFrame:
    return pd.DataFrame({
        "term": ["level", "endow:post", "level", "endow:post"],
        "estimate": [0.4, -0.2, 0.3, -0.1],
        "conf_low": [0.1, -0.5, 0.0, -0.45],
        "conf_high": [0.7, 0.1, 0.6, 0.25],
        "spec": ["baseline", "baseline", "controls", "controls"],
    })


def test_coefficient_plot_positions_and_whiskers():
    frame = _coefficients().iloc[:2]
    chart = coefficient_plot(frame, labels={"level": "Higher unit"})
    ax = chart.figure.axes[0]
    assert chart.data["position"].tolist() == [0.0, 1.0]
    points, = _by_gid(chart, "estimates")
    np.testing.assert_array_equal(points.get_xdata(), frame["estimate"])
    np.testing.assert_array_equal(points.get_ydata(), [0.0, 1.0])
    whiskers, = _by_gid(chart, "whiskers")
    np.testing.assert_allclose(_segments(whiskers),
                               [[[0.1, 0.0], [0.7, 0.0]], [[-0.5, 1.0], [0.1, 1.0]]])
    zero, = _by_gid(chart, "zero")
    assert list(zero.get_xdata()) == [0, 0]
    # The first term is at the top.
    assert ax.get_ylim() == (1.5, -0.5)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Higher unit", "endow:post"]
    assert ax.get_legend() is None


def test_coefficient_plot_dodges_groups_with_a_legend():
    chart = coefficient_plot(_coefficients(), group="spec", simulated=True)
    data = chart.data.set_index(["term", "group"])
    base, ctrl = data.loc[("level", "baseline")], data.loc[("level", "controls")]
    assert base["position"] < 0 < ctrl["position"]
    assert base["position"] + ctrl["position"] == pytest.approx(0.0)
    for group in ("baseline", "controls"):
        points, = _by_gid(chart, f"estimates:{group}")
        expected = chart.data[chart.data["group"] == group]
        np.testing.assert_array_equal(points.get_ydata(), expected["position"])
        np.testing.assert_array_equal(points.get_xdata(), expected["estimate"])
    assert _legend(chart) == ["baseline", "controls"]
    assert SIMULATED_LABEL in _texts(chart)


def test_coefficient_plot_takes_a_regression_and_rejects_duplicates(regression):
    chart = coefficient_plot(regression)
    assert chart.data["term"].tolist() == ["x", "z"]
    np.testing.assert_allclose(chart.data["conf_low"], regression.tidy()["conf_low"])
    with pytest.raises(ValueError, match="more than once"):
        coefficient_plot(_coefficients())
    with pytest.raises(ValueError, match=r"\['se'\] not found"):
        coefficient_plot(_coefficients(), low="se", group="spec")


# --- Lorenz curves -----------------------------------------------------------------------------


def test_lorenz_plot_from_values_and_from_curves():
    rng = np.random.default_rng(5)
    funds = rng.gamma(1.5, 40.0, size=50)
    given = lorenz_curve(rng.gamma(4.0, 10.0, size=30))
    chart = lorenz_plot({"computed": funds, "given": given})
    ax = chart.figure.axes[0]
    expected = lorenz_curve(funds)
    line, = _by_gid(chart, "lorenz:computed")
    np.testing.assert_array_equal(line.get_xdata(), expected[0])
    np.testing.assert_array_equal(line.get_ydata(), expected[1])
    other, = _by_gid(chart, "lorenz:given")
    np.testing.assert_array_equal(other.get_xdata(), given[0])
    for curve in (line, other):
        assert (curve.get_xdata()[0], curve.get_ydata()[0]) == (0.0, 0.0)
        assert curve.get_xdata()[-1] == pytest.approx(1.0)
        assert curve.get_ydata()[-1] == pytest.approx(1.0)
    equality, = _by_gid(chart, "equality")
    assert list(equality.get_xdata()) == list(equality.get_ydata()) == [0.0, 1.0]
    assert "Line of equality" in _legend(chart)
    assert ax.get_xlim() == ax.get_ylim() == (0.0, 1.0)
    assert ax.get_aspect() == 1.0
    assert list(chart.data.columns) == ["group", "population_share", "value_share"]
    assert chart.data.groupby("group").size().to_dict() == {"computed": 51, "given": 31}
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Cumulative share of villages",
                                                  "Cumulative share of funds")


def test_lorenz_plot_rejects_bad_curves():
    with pytest.raises(ValueError, match=r"'bad'.*negative"):
        lorenz_plot({"bad": [1.0, -2.0, 3.0]})
    with pytest.raises(ValueError, match="same length"):
        lorenz_plot({"short": ([0.0, 0.5, 1.0], [0.0, 1.0])})


# --- wild bootstrap draws ----------------------------------------------------------------------


def test_bootstrap_plot_histogram_observed_and_critical_values(boot):
    chart = bootstrap_distribution_plot(boot, bins=30)
    bars = _by_gid(chart, "histogram")
    assert len(bars) == 30
    area = sum(bar.get_width() * bar.get_height() for bar in bars)
    assert area == pytest.approx(1.0)
    np.testing.assert_array_equal(chart.data["t_star"], boot.draws)
    observed, = _by_gid(chart, "observed")
    assert observed.get_xdata() == [boot.statistic, boot.statistic]
    critical = np.quantile(np.abs(boot.draws), 0.95)
    spots = sorted(line.get_xdata()[0] for line in _by_gid(chart, "critical"))
    np.testing.assert_allclose(spots, [-critical, critical])
    attrs = chart.data.attrs
    assert attrs["statistic"] == boot.statistic and attrs["pvalue"] == boot.pvalue
    assert attrs["critical_value"] == pytest.approx(critical)
    legend = " ".join(_legend(chart))
    assert f"p = {boot.pvalue:.3f}" in legend and boot.method in legend
    assert f"B = {boot.reps}" in legend


def test_bootstrap_plot_joint_test_has_one_critical_value(regression):
    joint = regression.wild_bootstrap(["x", "z"],
                                      econ.WildBootstrap(reps=99, seed=2, keep_draws=True))
    chart = bootstrap_distribution_plot(joint)
    line, = _by_gid(chart, "critical")
    assert line.get_xdata()[0] == pytest.approx(np.quantile(joint.draws, 0.95))
    assert chart.figure.axes[0].get_xlabel() == "Wald statistic"


def test_bootstrap_plot_needs_the_draws(boot):
    with pytest.raises(ValueError, match="keep_draws=True"):
        bootstrap_distribution_plot(dataclasses.replace(boot, draws=None))


# --- files, notebooks and style ----------------------------------------------------------------


def test_save_writes_png_and_pdf_byte_for_byte(tmp_path, boot):
    first = bootstrap_distribution_plot(boot, title="t*", simulated=True)
    paths = first.save(tmp_path / "a" / "fig.v1", dpi=120)
    assert [p.name for p in paths] == ["fig.v1.png", "fig.v1.pdf"]
    png, pdf = (p.read_bytes() for p in paths)
    assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
    again = first.save(tmp_path / "b" / "fig.v1", dpi=120)
    assert [p.read_bytes() for p in again] == [png, pdf]
    # A chart built anew from the same input gives the same files.
    rebuilt = bootstrap_distribution_plot(boot, title="t*", simulated=True)
    assert [p.read_bytes() for p in rebuilt.save(tmp_path / "c" / "fig", dpi=120)] == [png, pdf]
    with pytest.raises(ValueError, match="unsupported format"):
        first.save(tmp_path / "d", formats=("jpg",))


def test_repr_png_for_notebooks(study):
    chart = event_study_plot(study)
    assert chart._repr_png_().startswith(b"\x89PNG")
    assert "points=13" in repr(chart)


def test_style_width_and_no_leak_into_global_rcparams(study):
    before = dict(mpl.rcParams)
    chart = event_study_plot(study, width="double")
    assert chart.figure.get_size_inches().tolist() == pytest.approx([7.0, 3.15])
    assert event_study_plot(study, width=5, height=3).figure.get_size_inches().tolist() == [5, 3]
    ax = chart.figure.axes[0]
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.xaxis.label.get_fontsize() == STYLE["font.size"] == 9
    assert dict(mpl.rcParams) == before
    with pytest.raises(ValueError, match="width must be"):
        event_study_plot(study, width="triple")
    with pytest.raises(ValueError, match="language"):
        event_study_plot(study, language="fr")


def _imports(module) -> set[str]:
    tree = ast.parse(inspect.getsource(module))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {f"{node.module}.{alias.name}" for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) for alias in node.names}
    return imported


def test_package_uses_the_object_oriented_api_only():
    modules = [figures, *(importlib.import_module(f"{figures.__name__}.{info.name}")
                          for info in pkgutil.iter_modules(figures.__path__))]
    assert len(modules) > 5
    for module in modules:
        imported = _imports(module)
        assert not any("pyplot" in name for name in imported), module.__name__
        upper = ("econ.models", "econ.study", "econ.replication", "econ.cli")
        assert not any(name.startswith(upper) for name in imported)


def test_figure_labels_stay_in_the_data_layer():
    econ_imports = {name for name in _imports(figure_labels) if name.startswith("econ.")}
    assert econ_imports and all(name.startswith("econ.data.") for name in econ_imports)
    assert figure_labels.figure_text(figure_labels.LORENZ, "zh")["equality"] == "绝对平均线"
    with pytest.raises(ValueError, match="language must be"):
        figure_labels.figure_text(figure_labels.LORENZ, "fr")


# --- Chinese labels ----------------------------------------------------------------------------


def test_chinese_without_a_cjk_font_warns_and_draws_english(monkeypatch, study):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    with pytest.warns(MissingFontWarning, match="no CJK font was found") as caught:
        chart = event_study_plot(study, language="zh")
    message = str(caught[0].message)
    assert "English" in message and "fonts-noto-cjk" in message and "font=" in message
    assert chart.figure.axes[0].get_xlabel() == "Year"
    assert _legend(chart)[0] == "Estimate"
    # Rendering raises no missing-glyph warning: no boxes are drawn.
    assert chart.to_png().startswith(b"\x89PNG")

    with pytest.warns(MissingFontWarning):
        lorenz = lorenz_plot({"all": [1.0, 2.0, 5.0]}, language="zh")
    assert lorenz.figure.axes[0].get_ylabel() == "Cumulative share of funds"


def test_chinese_labels_are_wired_when_a_cjk_family_is_found(monkeypatch, study, boot):
    # Wiring only: "DejaVu Sans" stands in for a CJK family so the test runs on machines
    # without one. It has no Chinese glyphs, so the figures are inspected but never rendered.
    monkeypatch.setattr(fonts, "cjk_font", lambda: "DejaVu Sans")
    chart = event_study_plot(study, language="zh")
    ax = chart.figure.axes[0]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("年份", "估计值")
    assert _legend(chart) == ["估计值", "逐点95%置信区间", "95%一致置信带", "基准年"]
    assert _by_gid(chart, "pretrend")[0].get_text().startswith("事前趋势野自助法Wald检验：p ")
    assert chart.style["font.family"][0] == "DejaVu Sans"
    lorenz = lorenz_plot({"全部": [1.0, 2.0, 5.0]}, language="zh")
    assert lorenz.figure.axes[0].get_xlabel() == "村庄累计占比"
    assert "绝对平均线" in _legend(lorenz)
    hist = bootstrap_distribution_plot(boot, language="zh")
    assert hist.figure.axes[0].get_ylabel() == "密度"
    assert coefficient_plot(_coefficients(), group="spec",
                            language="zh").figure.axes[0].get_xlabel() == "估计值"


def test_text_no_font_can_draw_is_refused(monkeypatch, study):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    with pytest.raises(ValueError, match="no available font can draw"):
        event_study_plot(study, title="梯度")


def test_explicit_font_file_or_family(monkeypatch, study):
    monkeypatch.setattr(fonts, "cjk_font", lambda: None)
    dejavu = Path(mpl.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    chart = event_study_plot(study, font=dejavu)
    assert chart.style["font.family"] == ["DejaVu Sans"]
    with pytest.warns(MissingFontWarning, match="lacks Chinese glyphs"):
        event_study_plot(study, language="zh", font="DejaVu Sans")
    with pytest.raises(FileNotFoundError):
        event_study_plot(study, font="/no/such/font.otf")
    with pytest.raises(ValueError, match="not known to matplotlib"):
        event_study_plot(study, font="No Such Family")


@pytest.mark.skipif(cjk_font() is None, reason="no CJK font installed on this machine")
def test_chinese_renders_with_an_installed_cjk_font(tmp_path, study):
    chart = event_study_plot(study, language="zh", title="梯度事件研究")
    assert chart.style["font.family"][0] == cjk_font()
    png, pdf = chart.save(tmp_path / "zh")
    assert png.read_bytes().startswith(b"\x89PNG") and pdf.read_bytes().startswith(b"%PDF")


def test_a_path_without_its_own_test_gets_a_joint_wald_test_of_its_pre_periods(study):
    """The pre-trend p-value printed is the joint Wald test of the pre-period coefficients on
    the covariance the path carries (computed here through the pseudo-inverse)."""
    from scipy import stats

    bare = dataclasses.replace(study, pretrend=None)
    chart = event_study_plot(bare, onset=study.reference + 0.5)
    before = np.asarray(bare.periods, dtype=float) < study.reference + 0.5
    b = np.asarray(bare.params, dtype=float)[before]
    V = bare.cov[np.ix_(before, before)]
    statistic = float(b @ np.linalg.pinv(V) @ b) / len(b)
    p = stats.f.sf(statistic, len(b), bare.df) if np.isfinite(bare.df) else stats.chi2.sf(
        statistic * len(b), len(b))
    shown, = _by_gid(chart, "pretrend")
    expected = "< 0.001" if p < 0.001 else f"= {p:.3f}"
    plural = "" if len(b) == 1 else "s"
    assert shown.get_text() == (f"Pre-trends: joint Wald p {expected} ({len(b)} "
                                f"pre-period{plural})")
    onset, = _by_gid(chart, "onset")
    assert onset.get_xdata()[0] == study.reference + 0.5


NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")


@pytest.mark.skipif(not NOTO_CJK.is_file(), reason="no Noto Sans CJK font file")
def test_chinese_figures_keep_the_true_minus_sign(study):
    chart = event_study_plot(study, language="zh", font=NOTO_CJK)
    # A font of the chain draws U+2212, so matplotlib is not told to print ASCII hyphens.
    assert chart.style.get("axes.unicode_minus", True) is True
    chart.to_png()
    labels = [t.get_text() for t in chart.figure.axes[0].get_yticklabels()]
    negative = [label for label in labels if label[:1] in ("-", "\u2212")]
    assert negative and all(label.startswith("\u2212") for label in negative)


def test_a_legend_too_wide_for_its_columns_wraps_instead_of_being_cut(tmp_path):
    frame = pd.DataFrame({"term": ["A very long row label indeed", "B"] * 2,
                          "estimate": [1.0, 2.0, 1.1, 2.1], "conf_low": [0.5, 1.5, 0.4, 1.4],
                          "conf_high": [1.5, 2.5, 1.6, 2.6],
                          "group": ["CR1 95% CI"] * 2 + ["Wild bootstrap 95% CI"] * 2})
    chart = econ.coefficient_plot(frame, term="term", group="group")
    chart.save(tmp_path / "f", formats=("png",))
    figure = chart.figure
    legend = figure.axes[0].get_legend()
    assert legend.get_window_extent(figure.canvas.get_renderer()).x1 <= figure.bbox.x1
