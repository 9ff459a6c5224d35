"""Holm against statsmodels; Romano-Wolf and bootstrap-t p-values by their definitions."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from econ.inference.multiple_testing import bootstrap_pvalues, holm, romano_wolf


def test_holm_matches_statsmodels():
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.uniform(0, 0.2, size=6)
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], atol=1e-12)


def test_romano_wolf_properties():
    rng = np.random.default_rng(1)
    t_boot = np.abs(rng.standard_normal((999, 4)))
    t_obs = np.array([3.0, 0.5, 2.0, 1.0])
    adjusted = romano_wolf(t_obs, t_boot)
    single = (1 + (t_boot >= t_obs).sum(axis=0)) / 1000
    assert np.all(adjusted >= single)
    assert np.all(np.diff(adjusted[np.argsort(-t_obs)]) >= 0)
    # The first step compares the largest |t| with the maximum over all four.
    assert adjusted[0] == pytest.approx((1 + np.sum(t_boot.max(axis=1) >= 3.0)) / 1000)


def test_bootstrap_pvalues_by_definition():
    rng = np.random.default_rng(2)
    t_boot = rng.standard_normal((499, 3))
    t_obs = np.array([-2.5, 0.1, 1.7])
    expected = [(1 + np.sum(np.abs(t_boot[:, j]) >= abs(t_obs[j]))) / 500 for j in range(3)]
    np.testing.assert_allclose(bootstrap_pvalues(t_obs, t_boot), expected, rtol=0, atol=0)
    np.testing.assert_allclose(romano_wolf(t_obs[:1], t_boot[:, :1]), expected[:1])
