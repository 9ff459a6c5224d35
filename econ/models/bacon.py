"""``econ.bacon_decomposition``: the Goodman-Bacon decomposition of a TWFE DiD estimate."""

from __future__ import annotations

import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.did.bacon import decompose
from econ.results.bacon import BaconDecomposition


def bacon_decomposition(data: Dataset | pd.DataFrame, *, outcome: str, unit: str, time: str,
                        treated_from: str) -> BaconDecomposition:
    """Goodman-Bacon (2021) decomposition of the two-way fixed-effects DiD estimate.

    Parameters
    ----------
    data
        A balanced panel (:class:`~econ.Dataset` or DataFrame): one row per unit and period,
        with the outcome in every row.
    outcome, unit, time
        Column names; ``time`` must be numeric.
    treated_from
        The period each unit is first treated (constant within the unit; missing, or 0 when all
        periods are positive, for never treated; at or before the first period for always
        treated, kept as the always-treated comparison group: the rule shared by every DiD
        estimator, :mod:`econ.estimation.did.cohorts`), or a boolean treatment status that
        stays on once on.

    Returns
    -------
    BaconDecomposition
        ``tidy()`` lists each 2x2 comparison with its estimate and weight, ``by_type()``
        sums them by comparison type, ``twfe`` is the estimate they reproduce.

    Raises
    ------
    ValueError
        For an unbalanced panel, a treatment that is not absorbing, or one with no variation
        left after the unit and time fixed effects.
    """
    frame = data.data if isinstance(data, Dataset) else data
    simulated = isinstance(data, Dataset) and data.simulated
    parts = decompose(frame, outcome=outcome, unit=unit, time=time, treated_from=treated_from)
    return BaconDecomposition(parts, outcome, unit, time, treated_from, simulated)
