"""The working table of the study designs: outcome, unit rank, endowment and controls.

The study variables themselves (``post``, ``high_level``, ``rich``, ``designation_cell`` ...)
come from :func:`econ.data.derive.ensure_derived`; this module only chooses among them for a
design and names the choice in the formula:

- ``y``: the outcome, by default ``log(1 + assistance_funds)``;
- ``level``: 1 for a municipal-or-higher unit (``unit_rank="binary"``), or the rank of the
  unit (``unit_rank="ordered"``: 0 no team, 1 township, 2 county, 3 municipal, 4 provincial,
  5 central);
- ``endow``: the village's baseline endowment (``endowment="continuous"``) or ``rich``
  (``endowment="binary"``);
- controls (default ``team``, ``strong``, ``demonstration``): a resident team is in post, the
  unit is a strong department, and designation as a demonstration village (one dummy per
  cohort and year since designation, the ``designation_cell``). Each changes within villages
  at the 2021 re-dispatch and is correlated with level and endowment, so leaving it out loads
  its effect onto the effects of interest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, cast

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.data.derive import ensure_derived
from econ.inference.bootstrap.settings import WildBootstrap
from econ.inference.covariance import Cluster
from econ.models.feols import feols
from econ.results.regression import RegressionResult

TRIPLE = "level:endow:post"
CONTROLS = ("team", "strong", "demonstration")
#: The bootstrap every design runs unless told otherwise.
DEFAULT_BOOTSTRAP = WildBootstrap()
UnitRank = Literal["binary", "ordered"]
Endowment = Literal["continuous", "binary"]
Transform = Literal["log1p", "none"]


def working_table(panel: Dataset, *, outcome: str, transform: Transform, unit_rank: UnitRank,
                  endowment: Endowment, post_year: int) -> tuple[Dataset, pd.DataFrame]:
    """The derived panel and a copy of its table with the design's columns added."""
    derived = ensure_derived(panel, post_year=post_year)
    data = derived.to_pandas()
    if outcome not in data.columns:
        raise ValueError(f"outcome {outcome!r} is not in the panel; columns: "
                         f"{list(data.columns)}")
    values = data[outcome].astype("float64")
    if transform == "log1p":
        if (values < 0).any():
            raise ValueError(f"log1p needs {outcome!r} >= 0; pass transform='none'")
        values = cast(pd.Series, np.log1p(values))  # a ufunc of a Series is a Series
    elif transform != "none":
        raise ValueError("transform must be 'log1p' or 'none'")
    data["y"] = values
    if unit_rank == "binary":
        data["level"] = data["high_level"].astype("float64")
    elif unit_rank == "ordered":
        rank = data["unit_level"].cat.codes.to_numpy() + 1  # -1 (no team) becomes 0
        data["level"] = rank.astype("float64")
    else:
        raise ValueError("unit_rank must be 'binary' or 'ordered'")
    if endowment == "continuous":
        data["endow"] = data["baseline_endowment"].astype("float64")
    elif endowment == "binary":
        data["endow"] = data["rich"].astype("float64")
    else:
        raise ValueError("endowment must be 'continuous' or 'binary'")
    data["post"] = data["post"].astype("float64")
    data["team"] = data["assisted"].astype("float64")
    if "unit_strength" in data.columns:
        data["strong"] = (data["unit_strength"] == "strong").astype("float64")
    return derived, data


def control_terms(data: pd.DataFrame, controls: Sequence[str]) -> str:
    """`` + team + strong + i(designation_cell)`` for the chosen controls."""
    column = {"demonstration": "designation_cell"}
    absent = [c for c in controls if column.get(c, c) not in data.columns]
    if absent:
        raise ValueError(f"control(s) {absent} are not in the panel")
    return "".join(f" + i({column[c]})" if c in column else f" + {c}" for c in controls)


def fit(formula: str, data: pd.DataFrame, *, cluster: str, simulated: bool,
        bootstrap: WildBootstrap | None) -> RegressionResult:
    """``feols`` on a design's working table, clustered by ``cluster`` and grouped by the
    bootstrap's variables too, keeping the panel's simulated-data flag."""
    groups = [] if bootstrap is None else [
        *(bootstrap.cluster or ()), *(bootstrap.bootstrap_cluster or ())]
    result = feols(formula, Dataset(data, simulated=simulated), cov=Cluster(cluster),
                   groups=groups)
    assert isinstance(result, RegressionResult)
    return result


def main_fit(data: pd.DataFrame, controls: Sequence[str], *, cluster: str, simulated: bool,
             bootstrap: WildBootstrap | None) -> RegressionResult:
    """The triple-difference regression with village and year effects (and its controls)."""
    formula = (f"y ~ {TRIPLE} + endow:post + level:post + level:endow + level"
               f"{control_terms(data, controls)} | village_id + year")
    return fit(formula, data, cluster=cluster, simulated=simulated, bootstrap=bootstrap)
