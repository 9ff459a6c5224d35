"""Every error path of the regression: named, counted, never a bare LinAlgError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import econ
from econ.estimation.linear import EstimationWarning


@pytest.fixture
def panel() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    units, years = 40, 6
    frame = pd.DataFrame({
        "unit": np.repeat(np.arange(units), years),
        "year": np.tile(np.arange(2015, 2015 + years), units),
    })
    frame["cluster"] = frame["unit"] // 2
    frame["x"] = rng.normal(size=len(frame))
    frame["z"] = rng.normal(size=len(frame))
    frame["const_in_unit"] = rng.normal(size=units)[frame["unit"]]
    frame["y"] = 1.0 + 0.5 * frame["x"] + rng.normal(size=len(frame))
    return frame


def test_absorbed_regressor_is_dropped_by_name(panel):
    with pytest.warns(EstimationWarning, match="const_in_unit .absorbed by the fixed effects unit"):
        res = econ.feols("y ~ x + const_in_unit | unit + year", panel)
    assert res.names == ("x",)
    reason = "absorbed by the fixed effects unit + year"
    assert res.dropped_coefficients == {"const_in_unit": reason}


def test_collinear_regressor_names_its_partners(panel):
    data = panel.assign(w=2 * panel["x"] - panel["z"])
    with pytest.warns(EstimationWarning, match="w .collinear with x, z"):
        res = econ.feols("y ~ x + z + w | unit", data)
    assert res.names == ("x", "z")


def test_nothing_identified_is_an_error(panel):
    with pytest.raises(ValueError, match=r"no regressor .* is identified"), \
            pytest.warns(EstimationWarning):
        econ.feols("y ~ const_in_unit | unit", panel)


def test_one_cluster_is_an_error(panel):
    with pytest.raises(ValueError, match="'one' has 1 group"):
        econ.feols("y ~ x | unit", panel.assign(one=1), cov=econ.Cluster("one"))
    res = econ.feols("y ~ x | unit", panel.assign(one=1), groups=["one"])
    for spec in (econ.Cluster("one"), econ.CR2("one"), econ.CR3("one")):
        with pytest.raises(ValueError, match="'one' has 1 group"):
            res.with_cov(spec)


def test_a_covariance_by_a_variable_not_resolved_at_the_fit_names_the_fix(panel):
    res = econ.feols("y ~ x | unit", panel)
    with pytest.raises(ValueError, match=r"not grouped by \['cluster'\].*cov=Cluster"):
        res.with_cov(econ.Cluster("cluster"))


def test_cr2_and_cr3_are_one_way_cluster_specifications():
    assert isinstance(econ.CR2("g"), econ.ClusterSpec) and econ.CR3("g").by == ("g",)
    with pytest.raises(ValueError, match="one-way"):
        econ.CR2("g", "t")
    with pytest.raises(ValueError, match="cluster variable name"):
        econ.CR3()


def test_few_clusters_warn_and_point_to_the_bootstrap(panel):
    with pytest.warns(econ.FewClustersWarning, match="only 20 clusters in 'cluster'.*wild"):
        econ.feols("y ~ x | unit", panel, cov=econ.Cluster("cluster"))


def test_unequal_clusters_warn(panel):
    sizes = panel.assign(big=np.where(panel["unit"] < 35, 0, panel["unit"]))
    with pytest.warns(econ.FewClustersWarning):
        econ.feols("y ~ x", sizes, cov=econ.Cluster("big"))


def test_singletons_are_removed_and_counted(panel):
    data = pd.concat([panel, pd.DataFrame({"unit": [99], "year": [2015], "cluster": [99],
                                           "x": [0.1], "z": [0.2], "const_in_unit": [0.0],
                                           "y": [3.0]})], ignore_index=True)
    with pytest.warns(EstimationWarning, match="1 row.* singleton"):
        res = econ.feols("y ~ x | unit + year", data)
    assert res.dropped_rows == {"singleton fixed-effect groups": 1}
    assert res.nobs == len(panel)


def test_all_singletons_is_an_error(panel):
    data = panel.assign(single=np.arange(len(panel)))
    with pytest.raises(ValueError, match=r"every row .* is a singleton"), \
            pytest.warns(EstimationWarning):
        econ.feols("y ~ x | single", data)


def test_missing_values_are_dropped_and_reported(panel):
    data = panel.copy()
    data.loc[[3, 8], "x"] = np.nan
    data.loc[[5], "cluster"] = np.nan
    with pytest.warns(econ.FewClustersWarning):
        res = econ.feols("y ~ x | unit", data, cov=econ.Cluster("cluster"))
    assert res.dropped_rows == {"missing x": 2, "missing cluster": 1}
    assert res.nobs == len(panel) - 3
    assert "missing x: 2" in res.summary().as_text()


def test_rows_missing_a_cluster_variable_are_dropped_and_counted_at_the_fit(panel):
    data = panel.assign(partial=np.where(panel.index < 10, np.nan, panel["cluster"]))
    with pytest.warns(econ.FewClustersWarning):
        res = econ.feols("y ~ x | unit", data, cov=econ.Cluster("partial"))
    assert res.dropped_rows["missing partial"] == 10 and res.nobs == len(panel) - 10


def test_non_convergence_is_reported(panel):
    # Three crossed fixed effects take alternating projections (two have an exact route).
    data = panel.assign(c=np.arange(len(panel)) % 4)
    with pytest.raises(RuntimeError, match="did not converge in 2 sweeps"):
        econ.feols("y ~ x | unit + year + c", data, max_iter=2, tol=1e-14)


def test_fewer_rows_than_regressors_is_a_named_error():
    data = pd.DataFrame({"y": [1.0, 2.0, 3.0], "a": [1.0, 0.0, 2.0], "b": [0.0, 1.0, 5.0],
                         "c": [3.0, 1.0, 0.5], "d": [1.0, 4.0, 2.0]})
    with pytest.raises(ValueError, match=r"3 row\(s\) left for 5 regressor\(s\)"):
        econ.feols("y ~ a + b + c + d", data)


def test_progress_is_shown_when_asked_and_silent_otherwise(panel, capsys):
    econ.feols("y ~ x | unit + year", panel, progress=True)
    shown = capsys.readouterr().err
    assert f"feols on {len(panel):,} rows" in shown and "3/3 (100%)" in shown
    econ.feols("y ~ x | unit + year", panel)  # not a terminal: nothing drawn
    assert capsys.readouterr().err == ""


def test_no_residual_degrees_of_freedom_is_a_named_error():
    # A grouping identical to the unit effect still counts its levels, as fixest counts them:
    # 8 rows, 1 regressor and 8 fixed-effect parameters leave none for IID or HC1.
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"unit": np.repeat(np.arange(4), 2), "time": np.tile([0, 1], 4),
                         "x": rng.normal(size=8), "y": rng.normal(size=8)})
    data["township"] = data["unit"]
    with pytest.raises(ValueError, match=r"IID standard errors need residual degrees of "
                                         r"freedom: 8 row\(s\) for 9 parameter\(s\)"):
        econ.feols("y ~ x | unit + time + township", data)
    with pytest.raises(ValueError, match="HC1 standard errors need residual degrees"):
        econ.feols("y ~ x | unit + time + township", data, cov=econ.HC1())
    with pytest.warns(econ.FewClustersWarning):
        clustered = econ.feols("y ~ x | unit + time + township", data,
                               cov=econ.Cluster("unit"))
    assert np.isfinite(clustered.std_errors["x"])
