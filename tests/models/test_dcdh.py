"""did_multiplegt against the authors' Python port, py-did-multiplegt-dyn, run in the test.

References: the Gentzkow-Shapiro-Sinkinson newspapers panel the authors publish
(``reference/gentzkow_newspapers_balanced.md`` says how it was cut) and a simulated panel with a
non-binary treatment that rises or falls, sometimes twice. Each reference call is written out in
``_reference``. Tolerances: estimates 1e-8, standard errors 1e-6 (both agree to ~1e-15).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from econ.estimation.did.dcdh import estimate
from econ.estimation.did.dcdh_panel import (
    ConstantTreatmentError,
    MissingTreatmentError,
    NoControlsError,
    NoSwitchersError,
    prepare,
)
from econ.models.dcdh import did_multiplegt

pl = pytest.importorskip("polars")
peer = pytest.importorskip("did_multiplegt_dyn")

NEWSPAPERS = Path(__file__).parent / "reference" / "gentzkow_newspapers_balanced.parquet"


@pytest.fixture
def port(monkeypatch: pytest.MonkeyPatch):
    """The port calls ``polars.count()`` without arguments, which polars 1.0+ refuses; give it
    ``polars.len()`` there for the duration of a test."""
    original = pl.count
    monkeypatch.setattr(pl, "count",
                        lambda *a, **k: pl.len() if not (a or k) else original(*a, **k))
    return peer.DidMultiplegtDyn


def _reference(port, frame: pd.DataFrame, *, outcome: str, group: str, time: str,
               treatment: str, effects: int, placebos: int, **options) -> pd.DataFrame:
    """``DidMultiplegtDyn(df, outcome, group, time, treatment, effects=..., placebo=...,
    **options).fit()``: its effects (periods 1..L), placebos (-1..-K) and average total effect
    (period 0) as ``period``, ``estimate``, ``std_error``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = port(pl.from_pandas(frame), outcome, group, time, treatment, effects=effects,
                   placebo=placebos, **options).fit()
    out = fit.result["did_multiplegt_dyn"]
    parts = [(out["Effects"], 1)]
    if out.get("Placebos") is not None:
        parts.append((out["Placebos"], -1))
    rows = [(sign * (i + 1), float(row["Estimate"]), float(row["SE"]))
            for block, sign in parts for i, (_, row) in enumerate(block.iterrows())]
    ate = out.get("ATE")
    if ate is not None and np.isfinite(float(ate["Estimate"].iloc[0])):
        rows.append((0, float(ate["Estimate"].iloc[0]), float(ate["SE"].iloc[0])))
    return pd.DataFrame(rows, columns=["period", "estimate", "std_error"]).set_index("period")


def _ours(frame: pd.DataFrame, *, outcome: str, group: str, time: str, treatment: str,
          effects: int, placebos: int, cluster: str | None = None, switchers: str = "both",
          normalized: bool = False, trends_lin: bool = False,
          controls: tuple[str, ...] = ()) -> pd.DataFrame:
    panel = prepare(frame, outcome=outcome, group=group, time=time, treatment=treatment,
                    cluster=cluster, controls=controls)
    result = estimate(panel, effects=effects, placebos=placebos, switchers=switchers,  # type: ignore[arg-type]
                      normalized=normalized, trends_lin=trends_lin)
    table = result.table.set_index("period")[["estimate", "std_error"]]
    if np.isfinite(result.average_total_effect):
        table.loc[0] = [result.average_total_effect, result.average_total_effect_se]
    return table


def _simulated(seed: int = 7, groups: int = 300, periods: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 3, groups).astype(float)
    first = rng.integers(2, periods + 3, groups)
    step = rng.choice([-1.0, 1.0, 2.0], groups)
    t = np.arange(periods)[None, :]
    d = np.where(t >= first[:, None], base[:, None] + step[:, None], base[:, None])
    again = rng.random(groups) < 0.3
    d = np.where(again[:, None] & (t >= first[:, None] + 2), d + np.sign(step)[:, None], d)
    change = d - base[:, None]
    y = (rng.normal(size=groups)[:, None] + rng.normal(size=periods)[None, :] + 0.5 * change
         + 0.2 * np.where(t >= first[:, None] + 1, change, 0.0)
         + rng.normal(size=(groups, periods)))
    # Controls: white noise, and one with a group-specific trend that moves the outcome.
    x1 = rng.normal(size=(groups, periods))
    x2 = (np.arange(periods)[None, :] * 0.1 * rng.normal(size=(groups, 1))
          + rng.normal(size=(groups, periods)))
    y = y + 0.4 * x2
    return pd.DataFrame({"g": np.repeat(np.arange(groups), periods),
                         "t": np.tile(np.arange(periods) + 2000, groups), "d": d.ravel(),
                         "y": y.ravel(), "cl": np.repeat(np.arange(groups) % 30, periods),
                         "x1": x1.ravel(), "x2": x2.ravel()})


SIMULATED_CASES = [
    {},
    {"cluster": "cl"},
    pytest.param({"switchers": "in"}, marks=pytest.mark.slow),
    {"switchers": "out"},
    pytest.param({"normalized": True}, marks=pytest.mark.slow),
    {"normalized": True, "cluster": "cl"},
    {"trends_lin": True},
    {"controls": ["x1", "x2"]},
    pytest.param({"controls": ["x2"], "switchers": "out", "normalized": True},
                 marks=pytest.mark.slow),
    pytest.param({"controls": ["x1", "x2"], "trends_lin": True}, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("options", SIMULATED_CASES, ids=lambda o: ",".join(o) or "default")
def test_simulated_panel_matches_the_port(port, options: dict) -> None:
    _assert_matches_the_port(port, _simulated(), options)


def _assert_matches_the_port(port, frame: pd.DataFrame, options: dict) -> None:
    """Four effects and two placebos, estimates to 1e-8 and standard errors to 1e-6."""
    columns = {"outcome": "y", "group": "g", "time": "t", "treatment": "d"}
    ours = _ours(frame, **columns, effects=4, placebos=2, **options)
    ref = _reference(port, frame, **columns, effects=4, placebos=2, **options)
    assert list(ours.index) == list(ref.index)
    np.testing.assert_allclose(ours["estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], ref["std_error"], rtol=0, atol=1e-6)


def test_controls_with_clusters_differ_from_the_port_only_by_its_cluster_count(port) -> None:
    # In the small-sample factor of the controls' correction the port counts, per period, the
    # distinct clusters of the not-yet-switched groups with polars' n_unique over a column that
    # is missing elsewhere, so it counts "missing" as one more cluster; econ counts clusters.
    # Adding that one cluster to econ's count reproduces the port to 1e-16 (checked by hand);
    # the difference left is of the order of 1e-5.
    frame = _simulated()
    columns = {"outcome": "y", "group": "g", "time": "t", "treatment": "d"}
    ours = _ours(frame, **columns, effects=3, placebos=1, cluster="cl", controls=("x1", "x2"))
    ref = _reference(port, frame, **columns, effects=3, placebos=1, cluster="cl",
                     controls=["x1", "x2"])
    np.testing.assert_allclose(ours["estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], ref["std_error"], rtol=1e-3, atol=0)
    assert not np.allclose(ours["std_error"], ref["std_error"], rtol=0, atol=1e-9)


def _design(kind: str, seed: int, groups: int = 150, periods: int = 7) -> pd.DataFrame:
    """Binary staggered adoption, adoption with no never-treated group (two doses), or a
    four-valued treatment that may switch back to its baseline or cross it."""
    rng = np.random.default_rng(seed)
    t = np.arange(periods)[None, :]
    if kind == "staggered":
        d = (t >= rng.integers(1, periods + 2, groups)[:, None]).astype(float)
    elif kind == "no_never":
        d = ((t >= rng.integers(2, periods, groups)[:, None])
             * rng.integers(1, 3, groups)[:, None]).astype(float)
    else:
        base = rng.integers(0, 4, groups).astype(float)[:, None]
        first = rng.integers(1, periods + 3, groups)[:, None]
        step = rng.choice([-2.0, -1.0, 1.0, 2.0], groups)[:, None]
        d = np.where(t >= first, base + step, base)
        d = np.where((rng.random(groups) < 0.3)[:, None] & (t >= first + 2), base, d)
        d = np.where((rng.random(groups) < 0.1)[:, None] & (t >= first + 3), base - step, d)
    y = (rng.normal(size=groups)[:, None] + 0.2 * t + 0.5 * (d - d[:, :1])
         + rng.normal(size=(groups, periods)))
    return pd.DataFrame({"g": np.repeat(np.arange(groups), periods),
                         "t": np.tile(np.arange(periods), groups), "d": d.ravel(),
                         "y": y.ravel(), "cl": np.repeat(rng.integers(0, 25, groups), periods),
                         "x1": rng.normal(size=groups * periods)})


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "options"), [
    ("staggered", {"cluster": "cl", "normalized": True}),
    ("no_never", {}),
    ("no_never", {"normalized": True, "cluster": "cl"}),
    ("switch_back", {"cluster": "cl"}),
    ("switch_back", {"switchers": "in", "trends_lin": True}),
    ("switch_back", {"controls": ["x1"]}),
], ids=lambda v: v if isinstance(v, str) else ",".join(v) or "default")
def test_other_designs_match_the_port(port, kind: str, options: dict) -> None:
    _assert_matches_the_port(port, _design(kind, seed=11), options)


@pytest.mark.slow
@pytest.mark.parametrize("options", [{"normalized": True}, {"switchers": "out"},
                                     {"trends_lin": True}],
                         ids=lambda o: ",".join(o))
def test_newspapers_panel_matches_the_port(port, options: dict) -> None:
    frame = pd.read_parquet(NEWSPAPERS)
    columns = {"outcome": "prestout", "group": "cnty90", "time": "year",
               "treatment": "numdailies"}
    ours = _ours(frame, **columns, effects=4, placebos=3, **options)
    ref = _reference(port, frame, **columns, effects=4, placebos=3, **options)
    assert list(ours.index) == list(ref.index)
    np.testing.assert_allclose(ours["estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], ref["std_error"], rtol=0, atol=1e-6)


def test_missing_outcomes_match_the_port(port) -> None:
    frame = _simulated()
    frame.loc[np.random.default_rng(3).random(len(frame)) < 0.05, "y"] = np.nan
    columns = {"outcome": "y", "group": "g", "time": "t", "treatment": "d"}
    ours = _ours(frame, **columns, effects=4, placebos=2, cluster="cl")
    ref = _reference(port, frame, **columns, effects=4, placebos=2, cluster="cl")
    assert list(ours.index) == list(ref.index)
    np.testing.assert_allclose(ours["estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(ours["std_error"], ref["std_error"], rtol=0, atol=1e-6)


def test_event_study_result_carries_effects_placebos_and_their_covariance(port) -> None:
    frame = pd.read_parquet(NEWSPAPERS)
    result = did_multiplegt(frame, outcome="prestout", group="cnty90", time="year",
                            treatment="numdailies", effects=3, placebos=2, cluster="st",
                            drop_uncontrolled=True)
    ref = _reference(port, frame, outcome="prestout", group="cnty90", time="year",
                     treatment="numdailies", effects=3, placebos=2, cluster="st")
    path = result.to_frame().set_index("period")
    assert list(path.index) == [-2, -1, 0, 1, 2, 3]
    assert path.loc[0, "is_reference"] and path.loc[0, "estimate"] == 0
    np.testing.assert_allclose(path.loc[[-2, -1, 1, 2, 3], "estimate"],
                               ref.loc[[-2, -1, 1, 2, 3], "estimate"], atol=1e-8)
    np.testing.assert_allclose(np.sqrt(np.diag(result.cov)),
                               ref.loc[[-2, -1, 1, 2, 3], "std_error"], atol=1e-6)
    z = 1.959963984540054
    np.testing.assert_allclose(path.loc[1, "conf_high"] - path.loc[1, "estimate"],
                               z * path.loc[1, "std_error"], rtol=1e-9)
    assert result.pretrend is not None and result.pretrend.df_num == 2
    assert any("no control" in note for note in result.notes)


def test_a_constant_effect_is_recovered_exactly_without_noise() -> None:
    # y = unit + period effects + 0.3 x treatment change: every DID_l is 0.3 x the switchers'
    # mean change, every placebo 0, and DID^n_l is 0.3 / l per unit of cumulated change.
    frame = _simulated()
    codes = frame["g"].to_numpy()
    base = frame.groupby("g")["d"].transform("first").to_numpy()
    frame["y"] = codes * 0.1 + (frame["t"] - 2000) * 0.05 + 0.3 * (frame["d"] - base)
    raw = did_multiplegt(frame, outcome="y", group="g", time="t", treatment="d", effects=3,
                         placebos=2, switchers="in")
    path = raw.to_frame().set_index("period")
    np.testing.assert_allclose(path.loc[[-2, -1], "estimate"], 0.0, atol=1e-12)
    panel = prepare(frame, outcome="y", group="g", time="t", treatment="d")
    table = estimate(panel, effects=3, placebos=0, switchers="in", normalized=False).table
    np.testing.assert_allclose(table["estimate"], 0.3 * table["dose"], atol=1e-12)
    assert estimate(panel, effects=1, placebos=0, switchers="both",
                    normalized=False).average_total_effect == pytest.approx(0.3, abs=1e-12)


# bad input -------------------------------------------------------------------------------
def _tiny(treatment: list[list[float]]) -> pd.DataFrame:
    d = np.asarray(treatment, dtype=float)
    g, t = d.shape
    return pd.DataFrame({"g": np.repeat(np.arange(g), t), "t": np.tile(np.arange(t), g),
                         "d": d.ravel(), "y": np.arange(g * t, dtype=float) ** 0.5})


def _fit(frame: pd.DataFrame, **options):
    return did_multiplegt(frame, outcome="y", group="g", time="t", treatment="d", **options)


def test_no_unit_ever_switches_is_a_named_error() -> None:
    with pytest.raises(NoSwitchersError, match="ever changes"):
        _fit(_tiny([[0, 0, 0], [1, 1, 1], [0, 0, 0]]))


def test_treatment_missing_in_between_is_a_named_error() -> None:
    frame = _tiny([[0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]])
    frame.loc[(frame["g"] == 1) & (frame["t"] == 2), "d"] = np.nan
    with pytest.raises(MissingTreatmentError, match=r"1 group-period\(s\): 1 in 2"):
        _fit(frame)
    absent = _tiny([[0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]]).drop(index=5)
    with pytest.raises(MissingTreatmentError, match="row is absent"):
        _fit(absent)


def test_a_treatment_with_one_value_is_a_named_error() -> None:
    with pytest.raises(ConstantTreatmentError, match="single value"):
        _fit(_tiny([[1, 1, 1], [1, 1, 1]]))


def test_no_not_yet_switched_control_at_a_switch_is_a_named_error() -> None:
    # Baseline 0: groups switch in periods 2 and 3 and none stays at 0, so at period 3 no
    # group with baseline 0 is still unswitched: the last switchers have no control.
    frame = _tiny([[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 1]])
    with pytest.raises(NoControlsError, match=r"2 switcher\(s\) \(2, 3\)"):
        _fit(frame)
    kept = _fit(frame, drop_uncontrolled=True)
    assert kept.periods.tolist() == [1]


def test_switches_without_any_comparison_group_is_no_switchers() -> None:
    # Every group with each baseline switches at the same date: nothing to compare.
    with pytest.raises(NoSwitchersError, match="switch at the same date"):
        _fit(_tiny([[0, 1, 1], [0, 1, 1], [1, 0, 0]]))


def test_missing_controls_are_a_named_error() -> None:
    frame = _simulated()
    frame.loc[3, "x1"] = np.nan
    with pytest.raises(ValueError, match="control 'x1' is missing for 1 group-period"):
        did_multiplegt(frame, outcome="y", group="g", time="t", treatment="d",
                       controls=["x1"])


def test_trends_lin_drops_groups_first_switching_in_the_second_period_with_a_note() -> None:
    frame = _tiny([[0, 1, 1, 1, 1], [0, 0, 0, 1, 1], [0, 0, 1, 1, 1], [0, 0, 0, 0, 0],
                   [0, 0, 0, 0, 0]])
    result = _fit(frame, trends_lin=True)
    assert any("1 group(s) first switching in the second period were dropped" in note
               for note in result.notes)


def test_bad_options_are_refused() -> None:
    frame = _simulated()
    with pytest.raises(ValueError, match="switchers must be"):
        _fit(frame.rename(columns={}), switchers="up")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="'w'"):
        did_multiplegt(frame, outcome="w", group="g", time="t", treatment="d")
    duplicated = pd.concat([frame, frame.iloc[:1]])
    with pytest.raises(ValueError, match="share a"):
        did_multiplegt(duplicated, outcome="y", group="g", time="t", treatment="d")
