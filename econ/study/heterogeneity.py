"""Post-transition changes by village type or by dispatching-unit level."""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np

from econ.data.dataset import Dataset
from econ.data.derive import POST_YEAR
from econ.inference.bootstrap.settings import WildBootstrap
from econ.results.design import DesignResult, Heterogeneity, NamedEffect
from econ.study.variables import DEFAULT_BOOTSTRAP, Transform, fit, working_table


def heterogeneity(
    panel: Dataset,
    *,
    by: Literal["typology", "unit_level"] = "typology",
    outcome: str = "assistance_funds",
    transform: Transform = "log1p",
    cluster: str = "township_id",
    post_year: int = POST_YEAR,
    bootstrap: WildBootstrap | None = DEFAULT_BOOTSTRAP,
) -> Heterogeneity:
    """Change after ``post_year`` by village type (A/B/C/D) or by dispatching-unit level.

    Each village is classified by its type (or its unit's level) in ``post_year``;
    ``y ~ i(group, post) | village_id + year`` gives each group's change relative to villages
    without a team that year, and the equality of the group effects is tested (CR1 F test and
    wild bootstrap Wald test).
    """
    if by not in ("typology", "unit_level"):
        raise ValueError(f"by must be 'typology' or 'unit_level', got {by!r}")
    _, data = working_table(panel, outcome=outcome, transform=transform, unit_rank="binary",
                            endowment="binary", post_year=post_year)
    at_start = data.loc[data["year"] == post_year, ["village_id", by]]
    if at_start.empty:
        raise ValueError(f"no rows in {post_year}: cannot classify villages at the transition")
    groups = at_start.set_index("village_id")[by].astype(object)
    data["group"] = data["village_id"].map(groups).astype("string")
    result = fit("y ~ i(group, post) | village_id + year", data, cluster=cluster,
                 simulated=panel.simulated, bootstrap=bootstrap)
    names = list(result.names)
    if len(names) < 2:
        raise ValueError(f"fewer than two {by} groups are identified; nothing to compare")
    effects = tuple(
        NamedEffect(name.split("::")[1].split(":")[0], name, f"change after {post_year}", 0,
                    result, None if bootstrap is None else result.wild_bootstrap(name,
                                                                                 bootstrap))
        for name in names)
    differences = np.zeros((len(names) - 1, len(names)))
    differences[:, 0] = 1.0
    differences[np.arange(len(names) - 1), np.arange(1, len(names))] = -1.0
    equality = result.wald_test(differences)
    joint = (None if bootstrap is None else result.wild_bootstrap(
        (differences, np.zeros(len(names) - 1)), replace(bootstrap, ci_level=None)))
    title = f"Change after {post_year} by {'village type' if by == 'typology' else 'unit level'}"
    notes = (f"Groups fixed at {post_year}; reference: villages without a team then.",)
    return Heterogeneity(DesignResult(title, effects, notes, panel.simulated), equality, joint)
