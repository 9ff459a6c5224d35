"""The effect of demonstration designation, holding the dispatch that changes with it fixed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.data.derive import POST_YEAR
from econ.inference.bootstrap.settings import WildBootstrap
from econ.results.design import DesignationEffect
from econ.study.variables import (
    CONTROLS,
    DEFAULT_BOOTSTRAP,
    Transform,
    main_fit,
    working_table,
)

CELL = "designation_cell::"


def designation_effect(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    transform: Transform = "log1p",
    cluster: str = "township_id",
    controls: Sequence[str] = CONTROLS,
    level: float = 0.95,
    bootstrap: WildBootstrap | None = DEFAULT_BOOTSTRAP,
) -> DesignationEffect:
    """ATT of demonstration designation, conditioning on the dispatch that changes with it.

    Designation is not randomly timed: it follows the 2021 re-dispatch of stronger units, which
    also raise funds, so comparisons of designated and not-yet-designated villages (Callaway and
    Sant'Anna) mix the two. This design estimates one coefficient per cohort and year since
    designation in the triple-difference regression of :func:`econ.strong_alliance`, which
    holds the unit's level and strength and the team fixed, and averages them weighted by
    village-years (the simple aggregation). Requires the ``demonstration`` control.
    """
    if "demonstration" not in controls:
        raise ValueError("designation_effect needs 'demonstration' among the controls")
    _, data = working_table(panel, outcome=outcome, transform=transform, unit_rank="binary",
                            endowment="continuous", post_year=POST_YEAR)
    result = main_fit(data, controls, cluster=cluster, simulated=panel.simulated,
                      bootstrap=bootstrap)
    sizes = data["designation_cell"].value_counts()
    names = [n for n in result.names if n.startswith(CELL)]
    if not names:
        raise ValueError("no designated village-years with an identified effect: the panel has "
                         "no demonstration_year, or designation is absorbed by the fixed effects")
    cells = pd.DataFrame({
        "cohort": [int(n.removeprefix(CELL).split(":")[0]) for n in names],
        "event_time": [int(n.split(":")[-1]) for n in names],
        "estimate": result.params[names].to_numpy(),
        "rows": [int(sizes[n.removeprefix(CELL)]) for n in names],
    })
    weights = np.zeros(len(result.names))
    weights[[result.names.index(n) for n in names]] = cells["rows"] / cells["rows"].sum()
    average = result.lincom(weights, ["designation"], level=level).iloc[0]
    boot = (None if bootstrap is None else
            result.wild_bootstrap((weights[None, :], np.zeros(1)), bootstrap))
    return DesignationEffect(float(average["estimate"]), float(average["std_error"]),
                             (float(average["conf_low"]), float(average["conf_high"])), level,
                             cells, boot, result, panel.simulated)
