"""The strong-alliance design by PPML on the shipped (simulated) panel: the same terms as the
log-linear main regression, estimates that do not move with the unit of the outcome while
log(1 + y)'s do (Chen and Roth 2024), and the score bootstrap of the triple difference."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import econ
from econ.models.poisson import fepois
from econ.study.strong_alliance_ppml import strong_alliance_log1p, strong_alliance_ppml
from econ.study.variables import TRIPLE, control_terms, working_table


@pytest.fixture(scope="module")
def panel() -> econ.Dataset:
    return econ.read_panel("data/village_panel.parquet")


@pytest.fixture(autouse=True)
def _few_clusters():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", econ.FewClustersWarning)
        yield


def test_same_terms_as_the_main_regression_and_unit_free(panel):
    funds = strong_alliance_ppml(panel)
    ols = strong_alliance_log1p(panel)
    main = econ.strong_alliance(panel, bootstrap=None)["triple_difference"].regression
    assert funds.names == main.names and funds.simulated
    np.testing.assert_allclose(ols.params, main.params, atol=1e-10)
    yuan = strong_alliance_ppml(panel, scale=10_000.0)
    np.testing.assert_allclose(yuan.params, funds.params, atol=1e-7)
    np.testing.assert_allclose(yuan.std_errors, funds.std_errors, rtol=1e-6)
    shifted = strong_alliance_log1p(panel, scale=10_000.0)
    assert abs(shifted.params[TRIPLE] - ols.params[TRIPLE]) > 0.01


def test_projects_match_a_direct_fepois_and_bootstrap(panel):
    projects = strong_alliance_ppml(panel, outcome="projects")
    _, data = working_table(panel, outcome="projects", transform="none", unit_rank="binary",
                            endowment="continuous", post_year=2021)
    direct = fepois(f"y ~ {TRIPLE} + endow:post + level:post + level:endow + level"
                    f"{control_terms(data, ('team', 'strong', 'demonstration'))}"
                    " | village_id + year", data, cov=econ.Cluster("township_id"))
    np.testing.assert_allclose(projects.params.to_numpy(), direct.params.to_numpy(),
                               atol=1e-12)
    test = projects.wild_bootstrap(TRIPLE, econ.WildBootstrap(reps=999, seed=4))
    assert 0 < test.pvalue <= 1 and test.variant == "score"
    with pytest.raises(ValueError, match="scale must be positive"):
        strong_alliance_ppml(panel, scale=0.0)
