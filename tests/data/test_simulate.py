"""The simulated panel and survey: determinism, schema, the study's argument, and recovery."""

from __future__ import annotations

import importlib.util
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import statsmodels.api as sm
from statsmodels.miscmodels.ordinal_model import OrderedModel

import econ
from econ.data.schema import DIFFICULTIES, HIGH_LEVELS, PANEL, SURVEY, pandas_dtype
from econ.data.simulate import PRESETS, SimulatedPanel, Structure, simulate
from econ.data.simulate.panel import canonical
from econ.data.simulate.survey import design_matrix
from econ.data.simulate.truth import Design, pseudo_true

YEARS = PRESETS["wp"].structure.years


@pytest.fixture(scope="module")
def wp() -> SimulatedPanel:
    return simulate("wp")


@pytest.fixture(scope="module")
def province() -> SimulatedPanel:
    return simulate("province")


def _frame(panel: SimulatedPanel) -> pd.DataFrame:
    d = panel.data
    return pd.DataFrame({
        "village_id": d["village_id"], "township_id": d["township_id"], "year": d["year"],
        "y": np.log1p(d["assistance_funds"]),
        "post": (d["year"] >= 2021).to_numpy(dtype=float),
        "team": d["unit_level"].notna().to_numpy(dtype=float),
        "high": d["unit_level"].isin(HIGH_LEVELS).to_numpy(dtype=float),
        "strong": (d["unit_strength"] == "strong").to_numpy(dtype=float),
        "endowment": d["endowment"],
        "rich": (d["endowment"] > panel.truth.rich_threshold).to_numpy(dtype=float),
    })


# --- determinism and schema ---------------------------------------------------------------

def test_same_seed_is_bit_identical_and_another_seed_differs(wp: SimulatedPanel) -> None:
    pd.testing.assert_frame_equal(simulate("wp").data, wp.data)
    assert not simulate("wp", seed=7).data["assistance_funds"].equals(wp.data["assistance_funds"])
    a = simulate("wp", seed=np.random.default_rng(3)).data
    b = simulate("wp", seed=np.random.default_rng(3)).data
    pd.testing.assert_frame_equal(a, b)


def test_columns_and_dtypes_follow_the_schema(wp: SimulatedPanel) -> None:
    assert tuple(wp.data.columns) == PANEL.names
    for column in PANEL.columns:
        series = wp.data[column.name]
        pd.testing.assert_series_equal(series.astype(pandas_dtype(column)), series)
    assert "SIMULATED" in wp.label and wp.config == "wp"


def test_keys_sorting_nesting_and_ranges(wp: SimulatedPanel) -> None:
    d = wp.data
    assert not d.duplicated(["village_id", "year"]).any()
    assert d.sort_values(["village_id", "year"]).index.equals(d.index)
    assert (d.groupby("village_id")["year"].nunique() == len(YEARS)).all()
    for inner, outer in PANEL.nesting:
        assert (d.groupby(inner)[outer].nunique() == 1).all(), (inner, outer)
    assert d["county_id"].nunique() == 2
    assert 200 <= d["village_id"].nunique() <= 500
    for column in PANEL.columns:
        if column.nonnegative:
            assert (d[column.name].dropna() >= 0).all(), column.name
    team = d["unit_level"].notna()
    assert (d["first_secretary"] == team).all()
    assert (d.loc[~team, "team_size"] == 0).all() and (d.loc[team, "team_size"] >= 1).all()
    assert d.loc[team, "team_size"].median() == 3


# --- the study's argument in raw means ------------------------------------------------------

def test_benefits_all_then_strong_alliance_in_raw_means(wp: SimulatedPanel) -> None:
    f = _frame(wp)
    pre, post = f[f["post"] == 0], f[f["post"] == 1]
    assert pre.loc[pre["rich"] == 0, "y"].mean() > pre.loc[pre["rich"] == 1, "y"].mean()
    teams = f[f["team"] == 1]
    cells = teams.groupby(["post", "high", "rich"])["y"].mean()
    # Before 2021 no high-level unit sits in a rich village, so the pre-period contrast of
    # means is empty; the difference in differences of means is taken after 2021 and the
    # full triple difference on within-cell endowment slopes.
    assert (cells[1, 1, 1] - cells[1, 1, 0]) - (cells[1, 0, 1] - cells[1, 0, 0]) > 0
    assert cells[1].idxmax() == (1, 1)
    slope = teams.groupby(["post", "high"])[["endowment", "y"]].apply(
        lambda c: np.polyfit(c["endowment"], c["y"], 1)[0])
    triple = (slope[1, 1] - slope[1, 0]) - (slope[0, 1] - slope[0, 0])
    assert np.sign(triple) == np.sign(wp.truth.triple_difference) == 1
    assert post.loc[post["rich"] == 1, "y"].mean() > post.loc[post["rich"] == 0, "y"].mean()


def test_unit_level_changes_within_villages_at_redispatch_and_rotation(wp: SimulatedPanel) -> None:
    level = wp.data.pivot(index="village_id", columns="year", values="unit_level")
    level = level.apply(lambda c: c.astype("string").fillna("none"))
    for before, after in ((2020, 2021), (2022, 2023)):
        both = (level[before] != "none") & (level[after] != "none")
        assert (level.loc[both, before] != level.loc[both, after]).sum() >= 10
        assert ((level[before] != "none") & (level[after] == "none")).any()
    assert (level[2021] == level[2022]).all() and (level[2015] == level[2020]).all()


def test_demonstration_cohorts_and_types(wp: SimulatedPanel) -> None:
    d = wp.data[wp.data["year"] == 2021].set_index("village_id")
    cohorts = d["demonstration_year"]
    assert set(cohorts.dropna().unique()) == {2021, 2022, 2023, 2024}
    assert cohorts.isna().mean() > 0.5
    high = d["unit_level"].isin(HIGH_LEVELS)
    rich = d["endowment"] > wp.truth.rich_threshold
    county = d["unit_level"].isin(["county", "township"])
    share_a = cohorts[high & rich].notna().mean()
    share_c = cohorts[county & ~rich].notna().mean()
    assert share_a > 0.5 > 0.2 > share_c
    att = wp.truth.demonstration_att
    assert set(att["cohort"]) == {2021, 2022, 2023, 2024}
    assert (att.groupby("cohort")["att"].apply(lambda s: s.is_monotonic_increasing)).all()


def test_collective_income_and_industry_follow_the_calibration(wp: SimulatedPanel) -> None:
    d = wp.data
    income_2020 = d.loc[d["year"] == 2020, "collective_income"]
    assert (income_2020 >= 3).mean() > 0.75
    assert 0.25 <= (income_2020 > 5).mean() <= 2 / 3
    a_village = d[(d["year"] >= 2021) & d["unit_level"].isin(HIGH_LEVELS)
                  & (d["endowment"] > wp.truth.rich_threshold)]
    assert a_village["assistance_funds"].max() > 300
    late = d[d["year"] == 2025].set_index("village_id")["industry_active"]
    rich = d[d["year"] == 2025].set_index("village_id")["endowment"] > wp.truth.rich_threshold
    assert late[~rich].mean() < late[rich].mean()


def test_province_matches_j_province_facts(province: SimulatedPanel) -> None:
    assert abs(province.data["village_id"].nunique() - 9400) < 500
    assert abs(province.truth.assisted_share_reform - 0.221) < 0.01
    assert abs(province.truth.newly_posted_rotation - 2200) < 300
    assert province.truth.censored_share < 1e-3


# --- recovery of the truth ------------------------------------------------------------------

_NAMES = ["team", "high", "strong", "high_post", "high_m", "m_post", "triple"]


def _within(f: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    # The panel is balanced, so two-way demeaning is the exact fixed-effects projection.
    x = f[columns]
    return (x - x.groupby(f["village_id"]).transform("mean")
            - x.groupby(f["year"]).transform("mean") + x.mean())


def _twfe(panel: SimulatedPanel, moderator: str) -> sm.regression.linear_model.RegressionResults:
    f = _frame(panel)
    m = f[moderator]
    f = f.assign(high_post=f["high"] * f["post"], high_m=f["high"] * m, m_post=m * f["post"],
                 triple=f["high"] * m * f["post"])
    cohort = panel.data["demonstration_year"].fillna(0).to_numpy()
    event = f["year"].to_numpy() - cohort
    dummies = []
    for c in np.unique(cohort[cohort > 0]):
        for k in range(int(YEARS[-1] - c) + 1):
            name = f"d{int(c)}_{k}"
            f[name] = ((cohort == c) & (event == k)).astype(float)
            dummies.append(name)
    names = [*_NAMES, *dummies]
    w = _within(f, ["y", *names])
    groups = pd.factorize(f["township_id"])[0]
    return sm.OLS(w["y"], w[names]).fit(cov_type="cluster", cov_kwds={"groups": groups})


def test_pseudo_true_equals_structural_parameters_with_continuous_endowment(
        wp: SimulatedPanel) -> None:
    params = wp.params
    design = Design.from_frame(wp.data, len(YEARS))
    coef = pseudo_true(params, design, design.endowment)
    f = params.funds
    expected = [f.team, f.level, f.strength, 0.0, 0.0, f.gradient_post - f.gradient_pre, f.triple]
    np.testing.assert_allclose(coef, expected, atol=1e-9)


def test_twfe_recovers_the_triple_difference_and_level_effect(wp: SimulatedPanel) -> None:
    fit = _twfe(wp, "endowment")
    truth = wp.truth
    for name, value in (("triple", truth.triple_difference), ("high", truth.level_effect),
                        ("strong", truth.strength_effect), ("team", truth.team_effect),
                        ("m_post", truth.endowment_gradient_change)):
        assert abs(fit.params[name] - value) < 3.5 * fit.bse[name], (name, fit.params[name])


def test_twfe_with_binary_rich_recovers_its_pseudo_true_value(province: SimulatedPanel) -> None:
    # Few high-level units sit in rich villages before 2021, so the binary contrast needs the
    # province's numbers to be estimated with any precision.
    design = Design.from_frame(province.data, len(YEARS))
    rich = design.endowment > province.truth.rich_threshold
    expected = pseudo_true(province.params, design, rich)
    assert expected[-1] == province.truth.triple_difference_rich
    fit = _twfe(province, "rich")
    for name, value in zip(_NAMES, expected, strict=True):
        assert abs(fit.params[name] - value) < 3.5 * fit.bse[name], (name, fit.params[name])


@pytest.mark.slow
def test_twfe_is_unbiased_over_seeds() -> None:
    estimates = np.array([_twfe(simulate("wp", seed=s), "endowment").params[["triple", "high"]]
                          for s in range(40)])
    truth = simulate("wp").truth
    spread = estimates.std(axis=0) / np.sqrt(len(estimates))
    bias = estimates.mean(axis=0) - [truth.triple_difference, truth.level_effect]
    assert (np.abs(bias) < 3.5 * spread).all(), bias


# --- partitions -----------------------------------------------------------------------------

def test_partitions_equal_the_single_shot_panel_whatever_the_chunk(tmp_path) -> None:
    params = replace(PRESETS["national"], structure=Structure(
        n_counties=7, townships_per_county=(3, 5), villages_per_township=(4, 9),
        counties_per_city=3))
    whole = simulate("national", params=params, seed=11).data
    for size in (25, 60, 10_000):
        files = simulate.write_partitions(tmp_path / str(size), params=params, seed=11,
                                          villages_per_chunk=size)
        assert [p.name for p in files] == sorted(p.name for p in files)
        assert (len(files) > 1) == (size < 10_000)
        back = canonical(pd.concat([pd.read_parquet(p) for p in files], ignore_index=True))
        pd.testing.assert_frame_equal(back, whole)
    with pytest.raises(FileExistsError):
        simulate.write_partitions(tmp_path / "25", params=params, seed=11)


@pytest.mark.slow
def test_national_partitions_cover_half_a_million_villages(tmp_path) -> None:
    files = simulate.write_partitions(tmp_path, "national", villages_per_chunk=50_000)
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in files)
    n_years = len(PRESETS["national"].structure.years)
    assert rows % n_years == 0 and 480_000 < rows // n_years < 520_000
    first = pd.read_parquet(files[0])
    assert 50_000 <= first["village_id"].nunique() < 50_000 + 400


# --- survey ---------------------------------------------------------------------------------

def test_survey_schema_determinism_and_range() -> None:
    survey = simulate.cadre_survey()
    d = survey.data
    assert len(d) == 124 and tuple(d.columns) == SURVEY.names
    for column in SURVEY.columns:
        pd.testing.assert_series_equal(d[column.name].astype(pandas_dtype(column)), d[column.name])
    pd.testing.assert_frame_equal(d, simulate.cadre_survey().data)
    assert not d.equals(simulate.cadre_survey(seed=1).data)
    for item in DIFFICULTIES:
        assert d[item].between(1, 5).all()
    assert survey.truth.link == "logit" and "SIMULATED" in survey.label
    by_level = d.groupby("unit_level", observed=True)["resource_mobilisation"].mean()
    assert by_level["county"] > by_level["provincial"]


def test_ordered_logit_recovers_the_latent_model() -> None:
    survey = simulate.cadre_survey(20_000, seed=5)
    d = survey.data
    x = design_matrix(d["unit_level"], d["unit_type"], d["tenure_months"])
    y = d["resource_mobilisation"].to_numpy(dtype=int)
    fit = OrderedModel(y, x, distr="logit").fit(method="bfgs", disp=False, maxiter=500)
    truth = survey.truth.coefficients.loc["resource_mobilisation"]
    se = fit.bse[x.columns]
    assert (np.abs(fit.params[x.columns] - truth) < 4 * se).all()
    cuts = fit.model.transform_threshold_params(fit.params)[1:-1]
    np.testing.assert_allclose(cuts, survey.truth.cutpoints.loc["resource_mobilisation"],
                               atol=0.15)


# --- shipped data ---------------------------------------------------------------------------

def test_shipped_files_are_regenerated_exactly_by_make_data(tmp_path) -> None:
    root = Path(__file__).resolve().parents[2] / "data"
    spec = importlib.util.spec_from_file_location("make_data", root / "make_data.py")
    make_data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_data)
    fresh = make_data.main(tmp_path)
    for new in fresh:
        shipped = root / new.name
        pd.testing.assert_frame_equal(pd.read_parquet(new), pd.read_parquet(shipped))
    assert econ.read_panel(root / make_data.PANEL_FILE).simulated
    assert econ.read_survey(root / make_data.SURVEY_FILE).simulated
