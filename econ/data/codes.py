"""Integer codes for grouping columns, and the checks that run on them.

Shared by validation (does a village change township?) and estimation (is a fixed effect nested
in the cluster variable?), so both answer the question the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def group_codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes (-1 for missing) and the number of groups.

    Categoricals give their codes without copying; small-range integers (years) give
    ``value - min``; anything else is factorised.
    """
    # Codes stay in their narrow integer dtypes: on a national panel an int64 copy of every
    # key column would cost more memory than the checks themselves.
    if isinstance(values.dtype, pd.CategoricalDtype):
        return np.asarray(values.array.codes), len(values.cat.categories)
    if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans and len(values):
        numbers = values.to_numpy(dtype=np.int64)
        low, high = int(numbers.min()), int(numbers.max())
        if high - low < 1_000_000:
            # Straight into 32 bits (the differences fit), without an int64 temporary.
            narrow = np.empty(len(numbers), dtype=np.int32)
            np.subtract(numbers, low, out=narrow, casting="unsafe")
            return narrow, high - low + 1
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques)


def varying_groups(groups: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Codes of the groups whose value is not constant (all codes non-negative)."""
    if values.dtype.kind in "biu" and len(groups) > 1 and bool(
            np.all(groups[1:] >= groups[:-1])):
        # Rows sorted by group (a panel sorted by village): each group is one run, which
        # varies exactly where two neighbours in it differ. Sequential passes over narrow
        # codes, several times faster than the scatter and gather below. (Integer values
        # only: below, a lone NaN differs from itself and marks its group.)
        changes = (groups[1:] == groups[:-1]) & (values[1:] != values[:-1])
        return np.unique(groups[1:][changes])
    # Any row's value serves as the group's representative: a constant group matches it
    # everywhere, a varying one does not somewhere. Exact, O(n), no sorting.
    representative = np.zeros(n_groups, dtype=values.dtype)
    representative[groups] = values
    return np.unique(groups[values != representative[groups]])


def is_nested(inner: np.ndarray, n_inner: int, outer: np.ndarray) -> bool:
    """Whether every ``inner`` group lies within a single ``outer`` group."""
    # As in varying_groups, without collecting the varying groups: one O(n) comparison, in
    # slices (no n-row temporary, and a crossing found early ends it).
    representative = np.zeros(n_inner, dtype=outer.dtype)
    representative[inner] = outer
    step = 1 << 18
    return all(np.array_equal(outer[lo:lo + step], representative[inner[lo:lo + step]])
               for lo in range(0, len(inner), step))
