"""Uniform (simultaneous) confidence bands for a vector of estimates."""

from __future__ import annotations

import numpy as np

from econ.data.seeds import DEFAULT_SEED, Seed, entropy

#: Normal draws of the sup-t simulation.
SUP_T_DRAWS = 100_000


def sup_t_critical_value(cov: np.ndarray, level: float, *, draws: int = SUP_T_DRAWS,
                         seed: Seed = DEFAULT_SEED) -> float:
    """The ``level`` quantile of ``max_j |Z_j| / se_j`` for ``Z ~ N(0, cov)``.

    The sup-t band ``estimate -/+ c se`` then covers all coefficients at once with probability
    ``level`` asymptotically (Montiel Olea and Plagborg-Moller 2019). A coefficient with zero
    variance is left out of the maximum.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    errors = np.sqrt(np.clip(np.diag(cov), 0, None))
    rng = np.random.default_rng(entropy(seed))
    scale = np.where(errors > 0, errors, 1.0)
    corr = cov / np.outer(scale, scale)
    vals, vecs = np.linalg.eigh(corr)
    root = vecs * np.sqrt(np.clip(vals, 0, None))
    z = rng.standard_normal((draws, len(errors))) @ root.T
    return float(np.quantile(np.abs(z).max(axis=1), level))
