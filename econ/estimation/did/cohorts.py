"""Treatment cohorts of a staggered-adoption panel, recoded once for every DiD estimator.

A unit's cohort is the period it is first treated. The Callaway-Sant'Anna, Sun-Abraham and
Goodman-Bacon estimators all read it through :func:`recode`, under one rule:

- **Validation.** The cohort is numeric (not boolean) and the same in every row of a unit;
  otherwise :class:`CohortError` names the column and lists example units. A cohort that
  changes over time means the treatment is not absorbing (it switches off or restarts).
- **Never treated.** A missing (or infinite) cohort, and ``0`` when every period is positive
  (the convention of R's ``did``, Stata's ``csdid`` and the ``mpdta`` data). When some period
  is 0 or negative, a cohort of 0 is the period 0.
- **Treated after the panel.** A cohort later than the last period plus ``anticipation`` is
  never treated within the panel and is counted as never treated (reported in the notes).
- **Always treated.** A cohort at or before the first period plus ``anticipation``: the unit
  is already treated (or anticipating treatment) when first observed. Such units have no
  untreated period, so no cohort effect of theirs is identified. What is done with them
  follows from what each estimator computes:

  - Callaway-Sant'Anna and Sun-Abraham estimate cohort effects against untreated units, so
    they drop the always-treated units (``always_treated="drop"``): a ``UserWarning`` and a
    note in the result give their number. Keeping them as controls would compare with units
    whose treatment effect is already under way.
  - The Goodman-Bacon decomposition splits the two-way fixed-effects estimate, which does use
    these units, so it keeps them as the always-treated comparison group
    (``always_treated="keep"``), as its decomposition defines (Goodman-Bacon 2021); the note
    gives their number.

- **Treated.** Every other unit: first treated inside the panel, after an untreated period.

The first and last periods are those of the panel, not of each unit: in an unbalanced panel
a unit first observed after its cohort is still treated, not always treated. Only
Callaway-Sant'Anna takes an ``anticipation``; the other estimators use 0.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from econ.data.codes import varying_groups

AlwaysTreated = Literal["drop", "keep"]

#: Units listed in an error message about the cohort column.
EXAMPLES = 5


class CohortError(ValueError):
    """A cohort column that cannot be read as the period each unit is first treated."""


@dataclass(frozen=True, eq=False)
class Cohorts:
    """Each unit's cohort under the rule of the module docstring.

    Attributes
    ----------
    first_treated
        Per unit, the period it is first treated; ``inf`` for never treated (including cohorts
        after the last period).
    never, always, treated
        Per-unit masks that partition the units: never treated within the panel, treated from
        the first period (plus anticipation) on, and first treated inside the panel.
    notes
        What the recoding did, for the estimator's result; with ``always_treated="drop"`` the
        caller still has to remove the ``always`` units.
    """

    first_treated: np.ndarray
    never: np.ndarray
    always: np.ndarray
    treated: np.ndarray
    notes: tuple[str, ...] = ()

    @property
    def n_never(self) -> int:
        """Units never treated within the panel."""
        return int(self.never.sum())

    @property
    def n_always(self) -> int:
        """Units treated from the first period (plus anticipation) on."""
        return int(self.always.sum())

    @property
    def n_treated(self) -> int:
        """Units first treated inside the panel."""
        return int(self.treated.sum())


def recode(values: pd.Series, name: str, *, units: np.ndarray, n_units: int,
           ids: pd.Series | np.ndarray, periods: np.ndarray, always_treated: AlwaysTreated,
           anticipation: int = 0) -> Cohorts:
    """Validate a row-level cohort column and recode it per unit (rule: module docstring).

    Parameters
    ----------
    values
        The cohort of each row.
    name
        The column's name, for messages.
    units
        Each row's unit code, ``0 .. n_units - 1``; every code has a row.
    n_units
        Number of units.
    ids
        Each row's unit identifier, to name example units in errors.
    periods
        The panel's periods, sorted.
    always_treated
        ``"drop"``: warn that the always-treated units are dropped and note their number (the
        caller removes them); ``"keep"``: note them as the always-treated comparison group.
    anticipation
        Periods before its cohort in which a unit may already respond.

    Returns
    -------
    Cohorts
        Per-unit cohorts, the never/always/treated masks and the notes.

    Raises
    ------
    CohortError
        If the column is not numeric or changes within a unit.
    """
    if always_treated not in ("drop", "keep"):
        raise ValueError(f"always_treated must be 'drop' or 'keep', not {always_treated!r}")
    dtype = values.dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        raise CohortError(f"cohort {name!r} must be numeric (the period each unit is first "
                          f"treated, missing if never), not {dtype}")
    row = values.to_numpy(dtype=np.float64, na_value=np.nan)
    never_code = np.isnan(row) | (row == np.inf)
    if periods[0] > 0:
        never_code |= row == 0
    # Never-treated codes are unified before the within-unit check: a unit coded missing in
    # one row and 0 in another is never treated throughout, not a changing cohort.
    row = np.where(never_code, np.inf, row)
    varying = varying_groups(units, row, n_units)
    if len(varying):
        examples = pd.unique(np.asarray(ids)[np.isin(units, varying)])[:EXAMPLES]
        raise CohortError(
            f"cohort {name!r} changes within {len(varying)} unit(s), e.g. "
            f"{', '.join(str(e) for e in examples)}: it must be the one period each unit is "
            f"first treated; a start that changes means the treatment is not absorbing "
            f"(switches off or restarts)")
    first_treated = np.full(n_units, np.inf)
    first_treated[units] = row

    notes: list[str] = []
    first, last = period_label(periods[0]), period_label(periods[-1])
    shift = f" + anticipation {anticipation}" if anticipation else ""
    late = np.isfinite(first_treated) & (first_treated > periods[-1] + anticipation)
    if late.any():
        notes.append(f"{int(late.sum())} unit(s) first treated after the last period "
                     f"{last}{shift} are never treated within the panel and counted as never "
                     f"treated")
        first_treated[late] = np.inf
    never = first_treated == np.inf
    always = first_treated <= periods[0] + anticipation
    if always.any():
        count = int(always.sum())
        if always_treated == "drop":
            message = (f"Dropped {count} always-treated unit(s) (cohort <= first period "
                       f"{first}{shift}): already treated when first observed, they have no "
                       f"untreated period, so no effect of theirs is identified")
            # recode <- estimator <- public entry point <- the caller's code.
            warnings.warn(message, UserWarning, stacklevel=4)
        else:
            message = (f"{count} always-treated unit(s) (cohort <= first period {first}) kept "
                       f"as the always-treated comparison group (Goodman-Bacon 2021)")
        notes.append(message)
    return Cohorts(first_treated, never, always, ~never & ~always, tuple(notes))


def period_label(value: float) -> str:
    """A period as written in messages: whole numbers without a decimal point."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
