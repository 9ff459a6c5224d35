"""Which study designs a loaded panel (or survey) can run, and what each one lacks.

A panel can pass validation and still be unusable for the study: the schema requires only the
codes and the year, while every design needs the dispatching unit's level and the village's
endowment (for :func:`econ.derive`), an outcome, and the columns behind its controls. This
module is the one place that says what each design needs. The lists are read from the designs'
own defaults (``outcome``, ``funds``, ``controls`` ...), so they follow the designs when those
change; only the columns behind :func:`econ.derive` and behind each control are stated here.

:func:`check_readiness` answers for a loaded dataset: per design ready or not, each missing
column with the reason (absent, or empty in every row) and, when the file had an unrecognised
header that resembles it, that header and the mapping that would use it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from econ.data.dataset import Dataset
from econ.data.derive import derive
from econ.data.headers import closest_header
from econ.data.schema import PANEL, SURVEY, TableSchema
from econ.study.designation import designation_effect
from econ.study.efficiency import efficiency
from econ.study.gradient import gradient_event_study
from econ.study.heterogeneity import heterogeneity
from econ.study.inequality import inequality
from econ.study.strong_alliance import strong_alliance
from econ.study.survey import ordered_models, survey_alpha, survey_descriptives

#: The columns :func:`econ.derive` needs for ``high_level``, ``rich`` and ``typology``, on which
#: every panel design rests.
DERIVE_NEEDS = ("unit_level", "endowment")
#: The panel column behind each control of :data:`econ.study.variables.CONTROLS`: a resident
#: team (any unit level), a strong department, designation as a demonstration village.
CONTROL_COLUMNS = {"team": "unit_level", "strong": "unit_strength",
                   "demonstration": "demonstration_year"}


@dataclass(frozen=True)
class Design:
    """A study design: its public name, what it produces and the columns it needs.

    ``optional`` maps columns the design uses when present to what they add.
    """

    name: str
    what: str
    needs: tuple[str, ...]
    optional: Mapping[str, str] = field(default_factory=dict)
    schema: TableSchema = PANEL


def _defaults(function: Callable[..., Any]) -> dict[str, Any]:
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def _panel_needs(function: Callable[..., Any]) -> tuple[str, ...]:
    """What a panel design needs with its default options."""
    options = _defaults(function)
    columns = [*DERIVE_NEEDS]
    columns += [options[key] for key in ("outcome", "value", "funds") if key in options]
    columns += list(options.get("outcomes", ()))
    columns += [CONTROL_COLUMNS[c] for c in options.get("controls", ())]
    return tuple(dict.fromkeys(columns))


def _survey_needs(function: Callable[..., Any]) -> tuple[str, ...]:
    options = _defaults(function)
    # The ordered models compare dispatching levels; the descriptives tabulate by level too.
    return tuple(dict.fromkeys(["unit_level", *options.get("items", ()),
                                *options.get("controls", ())]))


#: Every study design, by the name of its function in ``econ``.
DESIGNS: Mapping[str, Design] = {d.name: d for d in (
    Design("strong_alliance", "strong-alliance triple difference (level x endowment x post)",
           _panel_needs(strong_alliance)),
    Design("gradient_event_study", "year-by-year level x endowment gradient (event study)",
           _panel_needs(gradient_event_study)),
    Design("heterogeneity", "change after 2021 by village type or unit level",
           _panel_needs(heterogeneity)),
    Design("designation_effect", "effect of demonstration-village designation",
           _panel_needs(designation_effect)),
    Design("efficiency", "returns of cumulative funds by village type",
           _panel_needs(efficiency), {"industry_active": "survival of assisted industries"}),
    Design("inequality", "Gini, Theil and between-type shares of funds",
           _panel_needs(inequality), {"population": "per-capita inequality (per_capita=True)"}),
    Design("survey_descriptives", "cadre-survey difficulties by unit level",
           _survey_needs(survey_descriptives), schema=SURVEY),
    Design("survey_alpha", "Cronbach's alpha of the difficulty items",
           _survey_needs(survey_alpha), schema=SURVEY),
    Design("ordered_models", "ordered logit of each difficulty on unit level",
           _survey_needs(ordered_models), schema=SURVEY),
)}


def design_needs(*designs: str) -> tuple[str, ...]:
    """The columns the named designs need together, in first-needed order.

    Raises
    ------
    KeyError
        For a name that is not a design, listing the designs.
    """
    columns: list[str] = []
    for name in designs:
        columns += _design(name).needs
    return tuple(dict.fromkeys(columns))


def _design(name: str) -> Design:
    if name not in DESIGNS:
        raise KeyError(f"{name!r} is not a study design; designs: {', '.join(DESIGNS)}")
    return DESIGNS[name]


def missing_columns(dataset: Dataset, columns: Sequence[str]) -> dict[str, str]:
    """``{column: why it cannot be used}`` for those of ``columns`` the dataset lacks.

    A column is lacking when it is absent or empty in every row. For an absent column the
    reason names the unrecognised header of the file that most resembles it, if any, with the
    mapping that would read it as the column (or lists the unrecognised headers).
    """
    data, schema = dataset.data, dataset.schema
    extras = list(dataset.report.extra_columns)
    # A header that resembles one absent column is not offered for the others.
    claimed = {near for column in schema.columns if column.name not in data.columns
               and (near := closest_header(column, extras)) is not None}
    unclaimed = [h for h in extras if h not in claimed]
    found: dict[str, str] = {}
    for name in columns:
        if name in data.columns:
            if len(data) and data[name].isna().all():
                found[name] = f"column {name!r} is empty in every row"
            continue
        label = f"{name!r} ({schema[name].chinese})" if name in schema.names else repr(name)
        near = closest_header(schema[name], extras) if name in schema.names else None
        if near is not None:
            found[name] = (f"no column {label}; the file's header {near!r} looks like it: "
                           f"map it with mapping={{{near!r}: {name!r}}} "
                           f"(command line: --map '{near}={name}')")
        elif unclaimed:
            shown = ", ".join(map(repr, unclaimed[:8])) + (", ..." if len(unclaimed) > 8
                                                             else "")
            found[name] = (f"no column {label}; headers not recognised: {shown}; if one of "
                           f"them is it, map it (--map '<header>={name}')")
        else:
            found[name] = f"no column {label}"
    return found


@dataclass(frozen=True)
class DesignReadiness:
    """One design's verdict: the columns it lacks and, if its study variables cannot be made
    from the data, why."""

    design: Design
    missing: Mapping[str, str]
    #: Optional columns absent, with what the design leaves out without them.
    without: Mapping[str, str]
    problem: str | None = None

    @property
    def ready(self) -> bool:
        return not self.missing and self.problem is None

    def line(self) -> str:
        """``ready`` or ``NOT READY``, the design's name and what it produces or lacks."""
        head = f"{'ready' if self.ready else 'NOT READY':<9}  {self.design.name:<21} "
        if not self.ready:
            lacks = [*self.missing, *(["usable study variables"] if self.problem else [])]
            return head + "lacks " + ", ".join(lacks)
        text = head + self.design.what
        if self.without:
            text += " (without " + "; ".join(f"{c}: no {what}" for c, what in
                                              self.without.items()) + ")"
        return text


@dataclass(frozen=True)
class Readiness:
    """The readiness of a dataset for each study design of its kind (panel or survey)."""

    designs: tuple[DesignReadiness, ...]

    def __getitem__(self, name: str) -> DesignReadiness:
        for item in self.designs:
            if item.design.name == name:
                return item
        raise KeyError(f"{name!r} was not checked; checked: "
                       f"{', '.join(d.design.name for d in self.designs)}")

    @property
    def ready(self) -> tuple[str, ...]:
        """Names of the designs the data can run."""
        return tuple(d.design.name for d in self.designs if d.ready)

    def lines(self) -> list[str]:
        """A line per design, then each missing column's reason once."""
        reasons: dict[str, str] = {}
        for item in self.designs:
            reasons.update(item.missing)
            if item.problem:
                reasons["study variables"] = item.problem
        return [d.line() for d in self.designs] + [f"  {name}: {why}"
                                                   for name, why in reasons.items()]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        return self.tidy().to_html(index=False)

    def tidy(self) -> pd.DataFrame:
        """One row per design: name, ready, missing columns, reason."""
        return pd.DataFrame({
            "design": [d.design.name for d in self.designs],
            "ready": [d.ready for d in self.designs],
            "missing": [", ".join(d.missing) for d in self.designs],
            "reason": ["; ".join([*d.missing.values(), *([d.problem] if d.problem else [])])
                       for d in self.designs],
        })


def check_readiness(dataset: Dataset, designs: Sequence[str] | None = None) -> Readiness:
    """Whether ``dataset`` has what each study design needs.

    Parameters
    ----------
    dataset
        A panel from :func:`econ.read_panel` or a survey from :func:`econ.read_survey`.
    designs
        Names from :data:`DESIGNS`; by default every design for the dataset's kind.

    Returns
    -------
    Readiness
        Per design: ready or not, each missing column with the reason, optional columns
        absent. For a panel, :func:`econ.derive` is also run when its columns are there: a
        failure (a village with no endowment in any year, an own column clashing with a
        derived one) makes every panel design not ready, with its message.
    """
    names = ([n for n, d in DESIGNS.items() if d.schema is dataset.schema] if designs is None
             else list(designs))
    chosen = [_design(n) for n in names]
    wrong = [d.name for d in chosen if d.schema is not dataset.schema]
    if wrong:
        raise ValueError(f"design(s) {', '.join(wrong)} need a {chosen[0].schema.name}, not "
                         f"a {dataset.schema.name}")
    problem = None
    if dataset.schema is PANEL and not missing_columns(dataset, DERIVE_NEEDS):
        try:
            derive(dataset)
        except ValueError as error:
            problem = f"the study variables cannot be derived: {error}"
    return Readiness(tuple(
        DesignReadiness(d, missing_columns(dataset, d.needs),
                        {c: what for c, what in d.optional.items()
                         if c in missing_columns(dataset, [c])},
                        problem if d.schema is PANEL else None)
        for d in chosen))
