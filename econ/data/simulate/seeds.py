"""Turn a seed or a Generator into the root entropy from which every county stream is derived."""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 20240501

Seed = int | np.random.Generator


def root_entropy(seed: Seed) -> int:
    """An integer root for ``SeedSequence``: the seed itself, or one draw from the Generator."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise TypeError(f"seed must be a non-negative int or a numpy Generator, not {seed!r}")
    return int(seed)
