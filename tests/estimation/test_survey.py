"""Cadre-survey analysis: ordered models against statsmodels, AMEs, alpha.

The respondent bootstrap and the Holm and Romano-Wolf adjustments are tested in
``tests/inference/test_respondent_bootstrap.py`` and ``tests/inference/test_multiple_testing.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from statsmodels.miscmodels.ordinal_model import OrderedModel

import econ
from econ.data.dataset import SIMULATED_LABEL
from econ.data.problems import ValidationError
from econ.data.schema import DIFFICULTIES
from econ.estimation.survey import (
    _hessian,
    _loglike_and_score,
    _OrderedModel,
    cronbach_alpha,
    newton_ordered,
)
from econ.study.survey import ordered_models, survey_alpha, survey_descriptives

LEVEL_DUMMIES = ["municipal", "provincial", "central"]


@pytest.fixture(scope="module")
def shipped() -> econ.Dataset:
    return econ.read_survey(Path(__file__).parents[2] / "data" / "cadre_survey.parquet")


@pytest.fixture(scope="module")
def fitted(shipped):
    return ordered_models(shipped, reps=39, seed=11)


def _design(frame: pd.DataFrame) -> pd.DataFrame:
    exog = pd.DataFrame({name: (frame["unit_level"] == name).to_numpy(dtype=float)
                         for name in LEVEL_DUMMIES})
    exog["tenure_months"] = frame["tenure_months"].to_numpy(dtype=float)
    return exog


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_matches_statsmodels(shipped, link):
    result = ordered_models(shipped, link=link, reps=0)
    exog = _design(shipped.data)
    for item in DIFFICULTIES:
        direct = OrderedModel(shipped.data[item].to_numpy(dtype=float), exog,
                              distr=link).fit(method="bfgs", disp=False, maxiter=500)
        rows = result.coefficients[result.coefficients["item"] == item]
        np.testing.assert_allclose(rows["estimate"], direct.params.iloc[:4], rtol=0, atol=1e-8)
        np.testing.assert_allclose(rows["std_error"], direct.bse.iloc[:4], rtol=0, atol=1e-8)
        np.testing.assert_allclose(rows["p_value"], direct.pvalues.iloc[:4], rtol=0, atol=1e-8)
        cuts = direct.model.transform_threshold_params(direct.params.to_numpy())[1:-1]
        np.testing.assert_allclose(result.cutpoints.loc[item], cuts, rtol=0, atol=1e-8)


@pytest.mark.parametrize("link", ["logit", "probit"])
def test_fast_cdf_is_statsmodels_bit_for_bit(shipped, link):
    exog = _design(shipped.data)
    y = shipped.data[DIFFICULTIES[0]].to_numpy(dtype=float)
    ours, theirs = _OrderedModel(y, exog, distr=link), OrderedModel(y, exog, distr=link)
    points = np.array([-np.inf, -40.0, -1.5, -0.0, 0.0, 1e-300, 2.0, 40.0, np.inf, np.nan])
    np.testing.assert_array_equal(ours.cdf(points), theirs.cdf(points))
    fits = [model.fit(method="bfgs", disp=False, maxiter=500) for model in (ours, theirs)]
    for attribute in ("params", "bse", "pvalues"):
        np.testing.assert_array_equal(*(getattr(fit, attribute) for fit in fits))
    assert fits[0].llf == fits[1].llf


def test_marginal_effects_match_switching_dummies(shipped):
    result = ordered_models(shipped, reps=0)
    exog = _design(shipped.data)
    for item in DIFFICULTIES:
        y = shipped.data[item].to_numpy(dtype=float)
        direct = OrderedModel(y, exog, distr="logit").fit(method="bfgs", disp=False,
                                                           maxiter=500)
        high = np.unique(y) >= 4
        base = exog.to_numpy().copy()
        base[:, :3] = 0.0
        p0 = direct.model.predict(direct.params.to_numpy(), exog=base)[:, high].sum(axis=1)
        for c, name in enumerate(LEVEL_DUMMIES):
            switched = base.copy()
            switched[:, c] = 1.0
            p1 = direct.model.predict(direct.params.to_numpy(),
                                      exog=switched)[:, high].sum(axis=1)
            got = result.marginal_effects.set_index(["item", "level"]).loc[(item, name), "ame"]
            assert abs(got - np.mean(p1 - p0)) < 1e-6


def test_bootstrap_refit_matches_statsmodels(shipped):
    exog = _design(shipped.data)
    y = shipped.data["resource_mobilisation"].to_numpy(dtype=float)
    direct = OrderedModel(y, exog, distr="logit").fit(method="bfgs", disp=False, maxiter=500)
    cuts = direct.model.transform_threshold_params(direct.params.to_numpy())[1:-1]
    start = np.concatenate([direct.params.to_numpy()[:4] + 0.3, cuts + 0.2])
    theta, se = newton_ordered(np.searchsorted(np.unique(y), y), exog.to_numpy(), "logit",
                               start)
    # statsmodels' BFGS stops at its gradient tolerance (differences ~5e-6); the Newton
    # solution is at least as likely.
    np.testing.assert_allclose(theta[:4], direct.params.iloc[:4], atol=1e-4)
    np.testing.assert_allclose(theta[4:], cuts, atol=1e-4)
    np.testing.assert_allclose(se[:4], direct.bse.iloc[:4], rtol=1e-4)
    as_statsmodels = np.concatenate([theta[:5], np.log(np.diff(theta[4:]))])
    assert direct.model.loglike(as_statsmodels) >= direct.llf - 1e-12


@pytest.mark.parametrize("link", ["logit", "probit"])
@pytest.mark.parametrize("top", [5, 4])
def test_analytic_hessian_matches_differences_of_the_loglikelihood(link, top):
    # The Newton refit's Hessian is analytic; check it against a second-order central
    # difference of the log-likelihood itself (not of the score), with and without answers in
    # the top category (an infinite upper bound).
    rng = np.random.default_rng(11)
    x = rng.normal(size=(150, 3))
    codes = rng.integers(0, top, size=150)
    theta = np.concatenate([[0.4, -0.2, 0.1], np.linspace(-1.5, 1.2, top - 1)])
    hessian = _hessian(theta, codes, x, link)

    def loglike(t: np.ndarray) -> float:
        return _loglike_and_score(t, codes, x, link)[0]

    h, m = 1e-4, len(theta)
    numeric = np.empty((m, m))
    for i in range(m):
        for j in range(m):
            ei, ej = np.eye(m)[i] * h, np.eye(m)[j] * h
            numeric[i, j] = (loglike(theta + ei + ej) - loglike(theta + ei - ej)
                             - loglike(theta - ei + ej) + loglike(theta - ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-5 * np.abs(numeric).max())


def test_cronbach_alpha_by_hand():
    x = np.array([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 4, 5], [5, 3, 4]], dtype=float)
    k = 3
    sum_item_var = sum(np.sum((x[:, j] - x[:, j].mean()) ** 2) / 4 for j in range(k))
    total = x.sum(axis=1)
    total_var = np.sum((total - total.mean()) ** 2) / 4
    assert cronbach_alpha(x) == pytest.approx(k / (k - 1) * (1 - sum_item_var / total_var),
                                              abs=1e-12)
    with pytest.raises(ValueError, match="at least two items"):
        cronbach_alpha(x[:, :1])
    with pytest.raises(ValueError, match="no variation"):
        cronbach_alpha(np.column_stack([x[:, :2], np.full(5, 3.0)]))


def test_alpha_and_descriptives_on_shipped(shipped):
    data = shipped.data
    assert survey_alpha(shipped) == pytest.approx(
        cronbach_alpha(data[list(DIFFICULTIES)].to_numpy(dtype=float)))
    table = survey_descriptives(shipped)
    assert len(table) == 16
    row = table[(table.level == "central") & (table.item == "resource_mobilisation")].iloc[0]
    values = data.loc[data.unit_level == "central", "resource_mobilisation"].to_numpy(float)
    assert row.n == len(values)
    assert row["mean"] == pytest.approx(values.mean())
    assert row["sd"] == pytest.approx(values.std(ddof=1))
    assert row.share_high == pytest.approx(np.mean(values >= 4))


def test_level_effect_in_shipped_survey(fitted):
    rows = fitted.coefficients.set_index(["item", "term"])
    assert rows.loc[("resource_mobilisation", "central"), "estimate"] < 0
    assert rows.loc[("resource_mobilisation", "provincial"), "estimate"] < 0
    effects = fitted.marginal_effects.set_index(["item", "level"])
    assert effects.loc[("resource_mobilisation", "central"), "conf_high"] < 0


def test_recovers_truth_on_large_simulation():
    simulated = econ.simulate.cadre_survey(20_000, seed=1)
    data = simulated.dataset
    enterprise = (data.data["unit_type"] == "state_enterprise").astype("float64")
    data = data.with_columns({"state_enterprise": enterprise}, {"state_enterprise": "dummy"})
    result = ordered_models(data, items=("resource_mobilisation",),
                            controls=("state_enterprise", "tenure_months"), reps=0)
    truth = simulated.truth.coefficients.loc["resource_mobilisation"]
    rows = result.coefficients.set_index("term")
    for term in (*LEVEL_DUMMIES, "state_enterprise"):
        assert abs(rows.loc[term, "estimate"] - truth[term]) < 4 * rows.loc[term, "std_error"]
    tenure = rows.loc["tenure_months"]
    assert abs(tenure.estimate - truth["tenure_years"] / 12) < 4 * tenure.std_error


def test_simulated_label(fitted, shipped):
    assert fitted.simulated
    assert SIMULATED_LABEL in fitted.summary().as_text()
    assert (fitted.tidy()["label"] == SIMULATED_LABEL).all()
    real = ordered_models(shipped.to_pandas(), reps=0)
    assert not real.simulated
    assert SIMULATED_LABEL not in real.summary().as_text()
    assert "label" not in real.tidy().columns


def test_likert_outside_scale_rejected(shipped):
    frame = shipped.to_pandas()
    frame["overlapping_roles"] = frame["overlapping_roles"].astype("int64")
    frame.loc[0, "overlapping_roles"] = 6
    with pytest.raises(ValidationError, match="overlapping_roles"):
        econ.read_survey(frame)
    with pytest.raises(ValidationError):
        ordered_models(frame, reps=0)


def test_level_without_respondents(shipped):
    frame = shipped.to_pandas()
    frame = frame[frame["unit_level"] != "central"]
    with pytest.raises(ValueError, match="central"):
        ordered_models(frame, reps=0)


def test_item_with_single_category(shipped):
    frame = shipped.to_pandas()
    frame["multiple_managers"] = 3
    with pytest.raises(ValueError, match="single observed answer"):
        ordered_models(frame, reps=0)


def test_bad_options(shipped):
    with pytest.raises(ValueError, match="link"):
        ordered_models(shipped, link="cloglog", reps=0)
    with pytest.raises(ValueError, match="reference_unit"):
        ordered_models(shipped, reference_unit="township", reps=0)
