"""The strong-alliance triple difference: unit level x endowment x transition."""

from __future__ import annotations

from collections.abc import Sequence

from econ.data.dataset import Dataset
from econ.data.derive import POST_YEAR
from econ.inference.bootstrap.settings import WildBootstrap
from econ.results.design import DesignResult, NamedEffect
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
    effects = tuple(
        NamedEffect(name, coefficient, meaning, sign, result,
                    None if bootstrap is None else result.wild_bootstrap(coefficient, bootstrap))
        for name, result, coefficient, meaning, sign in specs)
    notes = (f"Outcome: {'log(1 + ' + outcome + ')' if transform == 'log1p' else outcome}; "
             f"unit rank: {unit_rank}; endowment: {endowment}; post: year >= {post_year}.",
             f"Controls: {', '.join(controls) or 'none'}. gradient_pre from "
             f"y ~ endow + level + controls | township_id + year on the pre-transition years.")
    return DesignResult("Strong alliance: triple difference", effects, notes, panel.simulated)
