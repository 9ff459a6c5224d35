"""The strong-alliance triple difference: unit level x endowment x transition."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.data.derive import POST_YEAR
from econ.inference.bootstrap.settings import WildBootstrap
from econ.results.design import DesignResult, NamedEffect
from econ.results.regression import RegressionResult
from econ.study.variables import (
    CONTROLS,
    DEFAULT_BOOTSTRAP,
    TRIPLE,
    Endowment,
    Transform,
    UnitRank,
    control_terms,
    fit,
    main_fit,
    working_table,
)


def strong_alliance(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    transform: Transform = "log1p",
    unit_rank: UnitRank = "binary",
    endowment: Endowment = "continuous",
    cluster: str = "township_id",
    post_year: int = POST_YEAR,
    controls: Sequence[str] = CONTROLS,
    bootstrap: WildBootstrap | None = DEFAULT_BOOTSTRAP,
) -> DesignResult:
    """The strong-alliance triple difference: unit level x endowment x transition.

    Main regression (village and year fixed effects, CR1 by ``cluster``)::

        y ~ level:endow:post + endow:post + level:post + level:endow + level + controls
            | village_id + year

    The endowment gradient before 2021 is absorbed by the village effects there, so it comes
    from a companion regression on the pre-transition years with township and year effects,
    ``y ~ endow + level + controls | township_id + year``. Variables and options are those of
    :mod:`econ.study.variables` (``unit_rank`` is binary high-level or the ordered rank of the
    dispatching unit).

    Reported effects: ``gradient_pre`` (benefits all: expected negative), ``gradient_change``
    (its change after ``post_year``: expected positive), ``level_effect`` (higher units bring
    more: expected positive) and ``triple_difference`` (strong alliance: expected positive).
    """
    _, data = working_table(panel, outcome=outcome, transform=transform, unit_rank=unit_rank,
                            endowment=endowment, post_year=post_year)
    main = main_fit(data, controls, cluster=cluster, simulated=panel.simulated,
                    bootstrap=bootstrap)
    # Designation starts with the transition, so it has no place among the pre-period controls.
    pre_extra = control_terms(data, [c for c in controls if c != "demonstration"])
    pre = fit(f"y ~ endow + level{pre_extra} | township_id + year",
              data[data["year"] < post_year], cluster=cluster, simulated=panel.simulated,
              bootstrap=bootstrap)
    specs = [
        ("gradient_pre", pre, "endow", "endowment gradient before the transition", -1),
        ("gradient_change", main, "endow:post", "change of the gradient after it", 1),
        ("level_effect", main, "level", "higher dispatching unit", 1),
        ("triple_difference", main, TRIPLE, "level x endowment after the transition", 1),
    ]
    for name, result, coefficient, _, _ in specs:
        if coefficient not in result.names:
            reason = result.dropped_coefficients.get(coefficient, "not estimated")
            raise ValueError(f"{name} ({coefficient}) is not identified in this panel: "
                             f"{reason}. It needs variation in unit level and endowment "
                             f"within villages over time")
    _require_every_cell(main, data, post_year)
    effects = tuple(
        NamedEffect(name, coefficient, meaning, sign, result,
                    None if bootstrap is None else result.wild_bootstrap(coefficient, bootstrap))
        for name, result, coefficient, meaning, sign in specs)
    notes = (f"Outcome: {'log(1 + ' + outcome + ')' if transform == 'log1p' else outcome}; "
             f"unit rank: {unit_rank}; endowment: {endowment}; post: year >= {post_year}.",
             f"Controls: {', '.join(controls) or 'none'}. gradient_pre from "
             f"y ~ endow + level + controls | township_id + year on the pre-transition years.",
             "Inference: report the wild cluster bootstrap p-values and intervals. CR1 intervals "
             "under-cover when the treated cells sit in few clusters (over 166 SIMULATED wp "
             "panels the CR1 95% interval of the binary triple difference covered the truth 81% "
             "of the time, the wild bootstrap interval 97.6%)."
             if bootstrap is not None else
             "No wild bootstrap was run: CR1 intervals under-cover when the treated cells sit in "
             "few clusters; pass bootstrap=econ.WildBootstrap(...) for the p-values and "
             "intervals to report.")
    return DesignResult("Strong alliance: triple difference", effects, notes, panel.simulated)


def _require_every_cell(main: RegressionResult, data: pd.DataFrame, post_year: int) -> None:
    """Refuse a triple difference whose comparison terms were dropped.

    The triple difference is the post-minus-pre change of the level x endowment contrast; if a
    lower-order term of it (``level:endow``, ``level:post``, ``endow:post``, ``level``) is not
    estimated, the "triple difference" is some other contrast (with no high-level unit in a rich
    village before ``post_year``, only the post-period one).
    """
    lost = [t for t in ("level:endow", "level:post", "endow:post", "level")
            if t not in main.names]
    if not lost:
        return
    reasons = "; ".join(f"{t} {main.dropped_coefficients.get(t, 'not estimated')}" for t in lost)
    before = data["year"] < post_year
    cells = (data.assign(period=np.where(before, "before", "from"))
             .groupby(["period", "level", "endow"])["village_id"].nunique())
    message = [f"the triple difference is not identified in this panel: {reasons}."]
    if set(np.unique(data["endow"])) <= {0.0, 1.0} and set(np.unique(data["level"])) <= {0.0,
                                                                                         1.0}:
        empty = [f"level={int(lv)}, endowment={int(en)} {'before' if p == 'before' else 'from'} "
                 f"{post_year}" for p in ("before", "from") for lv in (0.0, 1.0)
                 for en in (0.0, 1.0) if cells.get((p, lv, en), 0) == 0]
        if empty:
            message.append(f"No village-years in the cell(s): {', '.join(empty)}.")
    message.append("Use the continuous endowment (endowment='continuous'), an ordered unit "
                   "rank, or a panel where every level x endowment cell is observed in both "
                   "periods.")
    raise ValueError(" ".join(message))
