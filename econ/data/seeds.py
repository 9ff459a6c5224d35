"""Seeds: one default for the whole package, and the rule that turns a seed into entropy.

Every random stream of the package (simulation, every bootstrap) takes an ``int`` seed or a
``numpy.random.Generator``; a generator is read once, so the integer actually used can be
recorded in results and passed back to reproduce them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    import numpy as np

#: The package's one default seed (simulated data, bootstraps, band simulations).
DEFAULT_SEED = 20240501

# Spelled as a string, an annotation only: the command line reads DEFAULT_SEED from here, and
# `econ replicate` starts its workers' imports before it imports numpy itself.
Seed: TypeAlias = "int | np.random.Generator"


def entropy(seed: Seed) -> int:
    """The stream's entropy: an ``int`` seed itself, or 64 bits drawn once from a generator.

    Parameters
    ----------
    seed
        A non-negative ``int`` or a :class:`numpy.random.Generator` (advanced by one draw).

    Returns
    -------
    int
        The entropy; as a seed it gives the same draws again.

    Raises
    ------
    TypeError
        If ``seed`` is neither an integer nor a generator (booleans included).
    ValueError
        If ``seed`` is a negative integer.
    """
    import numpy as np

    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**64, dtype=np.uint64))
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed must be an int or a numpy Generator, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be non-negative, got {seed}")
    return int(seed)
