"""``Multiplier`` settings of the Callaway-Sant'Anna multiplier bootstrap."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from econ.data.seeds import DEFAULT_SEED
from econ.inference.multiplier import InfluenceInference, Multiplier, multiplier_bootstrap
from econ.inference.resampling import MULTIPLIER_REPS

RNG = np.random.default_rng(0)
INFLUENCE = RNG.normal(size=(120, 3))
CLUSTER = np.repeat(np.arange(24), 5)


def test_defaults_and_keywords_only():
    settings = Multiplier()
    assert (settings.reps, settings.distribution, settings.seed, settings.chunk_size) == (
        MULTIPLIER_REPS, "rademacher", DEFAULT_SEED, 1024)
    with pytest.raises(TypeError):
        Multiplier(999)  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.reps = 5  # type: ignore[misc]


@pytest.mark.parametrize(("options", "message"), [
    ({"reps": 0}, "reps"), ({"chunk_size": 0}, "chunk_size"),
    ({"distribution": "gaussian"}, "unknown weights 'gaussian'"), ({"seed": -1}, "seed")])
def test_validated(options, message):
    with pytest.raises(ValueError, match=message):
        Multiplier(**options)


def test_generator_seed_is_fixed_at_construction():
    a = Multiplier(seed=np.random.default_rng(4))
    assert isinstance(a.seed, int)
    assert a == Multiplier(seed=np.random.default_rng(4))
    assert a == Multiplier(seed=a.seed)


def test_inference_bootstraps_with_these_settings():
    settings = Multiplier(reps=400, distribution="webb", seed=np.random.default_rng(9),
                          chunk_size=7)
    inference = settings.inference(alpha=0.1)
    assert inference == InfluenceInference(bootstrap=True, reps=400, distribution="webb",
                                           seed=settings.seed, alpha=0.1, chunk_size=7)
    direct = multiplier_bootstrap(INFLUENCE, cluster=CLUSTER, reps=400, distribution="webb",
                                  seed=settings.seed, alpha=0.1)
    # Draws are the same whichever chunk size; the basis is reused exactly.
    out = inference.compute(INFLUENCE, CLUSTER, basis=inference.basis(INFLUENCE, CLUSTER))
    np.testing.assert_allclose(out.std_errors, direct.std_errors, rtol=1e-12)
    assert out.uniform_critical_value == pytest.approx(direct.critical_value, rel=1e-12)
    assert f"seed {settings.seed}" in out.label and "webb" in out.label


def test_influence_inference_reads_a_generator_once():
    inference = InfluenceInference(seed=np.random.default_rng(2), reps=200)
    first = inference.compute(INFLUENCE, None)
    second = inference.compute(INFLUENCE, None)
    np.testing.assert_array_equal(first.std_errors, second.std_errors)
    with pytest.raises(ValueError, match="unknown weights"):
        InfluenceInference(distribution="gaussian")  # type: ignore[arg-type]
