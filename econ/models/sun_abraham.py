"""``sun_abraham``: the interaction-weighted event study of Sun and Abraham (2021).

Two-way fixed-effects event studies with one coefficient per relative period are biased when
effects differ across adoption cohorts: each coefficient mixes in other periods' effects through
the already-treated units. The saturated regression gives every treated cohort its own relative-
period effects, estimated against a clean control group (never-treated units, or the
last-treated cohort before it is treated), and averages them with the cohorts' shares.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.did.sun_abraham import Control, interaction_weights, saturated_design
from econ.inference.covariance import Cluster, CovarianceSpec
from econ.inference.linear_combinations import critical_value
from econ.models.feols import feols
from econ.results.event_study import EventStudy, event_study_path
from econ.results.regression import RegressionResult


def sun_abraham(
    data: Dataset | pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] = (),
    control: Control = "never_treated",
    ref: int | Sequence[int] = -1,
    cluster: str | Sequence[str] | CovarianceSpec | None = None,
    weights: str | None = None,
    level: float = 0.95,
) -> EventStudy:
    """Interaction-weighted event study (Sun and Abraham 2021), as fixest's ``sunab()``.

    Fits ``outcome ~ cohort x relative-period dummies + covariates | unit + time`` and averages
    the cohort-specific effects at each relative period with the cohorts' shares of the
    observations there; standard errors come from the full covariance of the cohort-specific
    coefficients with the shares held fixed.

    Parameters
    ----------
    data
        A long panel (:class:`~econ.Dataset` or DataFrame); it may be unbalanced.
    outcome, unit, time
        Column names; ``time`` holds integer periods (years).
    cohort
        The period each unit is first treated, constant within the unit. Missing (or 0, when
        every period is positive) marks never-treated units; a cohort after the last period is
        never treated within the panel. Always-treated units (cohort at or before the first
        period) are dropped with a warning and counted in ``notes`` (the rule shared by every
        DiD estimator: :mod:`econ.estimation.did.cohorts`).
    covariates
        Further formula terms, e.g. ``("population", "C(unit_type)")``.
    control
        ``"never_treated"`` (default) or ``"last_treated"``: the last-treated cohort as the only
        control, with the periods from its treatment on and any never-treated units dropped.
    ref
        Reference relative period(s), normalised to zero; every cohort must be observed at one.
    cluster
        Cluster variable(s) for CR1 standard errors, or any covariance spec (``CR2(...)``);
        default: clustered by ``unit``, as fixest does with unit fixed effects.
    weights
        Column of positive observation weights; the cohort shares are then weighted too.
    level
        Confidence level of the intervals.

    Returns
    -------
    EventStudy
        The package's event-study result: ``tidy()`` by relative period, ``to_frame()`` for
        plots, ``cohort_effects()``, ``att()``, ``summary()``; the saturated fit is
        ``regression``.

    Raises
    ------
    ValueError
        For a reference period outside the data or missing for a cohort, no never-treated units
        with ``control="never_treated"``, or a cohort effect not identified after the fixed
        effects (named in the message).
    """
    frame = data.data if isinstance(data, Dataset) else data
    simulated = isinstance(data, Dataset) and data.simulated
    refs = (ref,) if isinstance(ref, int | np.integer) else tuple(ref)
    design = saturated_design(frame, unit=unit, time=time, cohort=cohort, control=control,
                              ref=refs)
    if isinstance(cluster, CovarianceSpec):
        spec = cluster
    else:
        spec = Cluster(*((unit,) if cluster is None else
                         (cluster,) if isinstance(cluster, str) else tuple(cluster)))
    # Positional throughout: the caller's index may have duplicates.
    sample = frame.iloc[design.rows].reset_index(drop=True)
    dummies = pd.DataFrame(design.dummies, columns=list(design.columns))
    sample = pd.concat([sample, dummies], axis=1)
    terms = [*design.columns, *covariates]
    formula = f"{outcome} ~ {' + '.join(terms)} | {unit} + {time}"
    labels = {c.column: f"cohort {c.cohort}, relative period {c.rel_time}" for c in design.cells}
    regression = _fit(formula, sample, spec, weights, labels)
    used = regression.fit.rows
    row_weights = (np.ones(len(used)) if regression.fit.weights is None
                   else regression.fit.weights)
    counts = row_weights @ design.dummies[used]
    rel_times, shares = interaction_weights(design.cells, counts)
    positions = [regression.names.index(c) for c in design.columns]
    aggregation = np.zeros((len(rel_times), len(regression.names)))
    aggregation[:, positions] = shares
    effects = regression.lincom(aggregation, [str(t) for t in rel_times], level=level)
    cov = aggregation @ regression.covariance.cov @ aggregation.T
    cells = pd.DataFrame({
        "cohort": [c.cohort for c in design.cells],
        "period": [c.rel_time for c in design.cells],
        "term": list(design.columns), "n_obs": counts,
        "weight": shares.sum(axis=0)})
    path = event_study_path(rel_times, effects["estimate"].to_numpy(),
                            effects["std_error"].to_numpy(),
                            critical_value(level, regression.df_resid), float("nan"), refs)
    cohorts = ", ".join(f"{c}: {n}" for c, n in design.cohort_sizes.items())
    facts = (("Outcome", outcome), ("Observations", f"{regression.nobs:,}"),
             ("Control", f"{control.replace('_', ' ')} ({design.n_control_units:,} units)"),
             ("Treated cohorts (units)", cohorts),
             ("Fixed effects", " + ".join(regression.fit.fe_names)),
             ("Covariance", regression.covariance.label))
    notes = (*design.notes,
             "Interaction-weighted estimates (Sun and Abraham 2021): cohort-specific effects "
             "averaged with cohort shares at each relative period; cohort_effects() lists them.",
             *(f"Dropped rows: {k}: {v}" for k, v in regression.dropped_rows.items()))
    return EventStudy(
        title=f"Event study (Sun-Abraham): {outcome}", outcome=outcome, path=path, cov=cov,
        df=regression.df_resid, level=level, time_label="relative period",
        reference=refs[0], facts=facts, notes=notes, nobs=regression.nobs,
        regression=regression, cells=cells, simulated=simulated)


def _fit(formula: str, sample: pd.DataFrame, spec: CovarianceSpec, weights: str | None,
         cells: dict[str, str]) -> RegressionResult:
    """Fit, refusing a design where a cohort-specific effect is not identified."""
    # Warnings are held until the fit is known to be usable: a dropped cohort dummy becomes an
    # error naming the cell, other warnings (few clusters, singletons) are passed on.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = feols(formula, sample, cov=spec, weights=weights)
        except ValueError as error:
            if "is identified" in str(error):
                raise ValueError(
                    "no cohort-specific effect is identified: the treatment has no variation "
                    "left after the unit and time fixed effects (" + "; ".join(cells.values())
                    + "); check that the control group is observed in the same periods as "
                    "the cohorts") from None
            raise
    if not isinstance(result, RegressionResult):
        raise ValueError("sun_abraham takes one outcome; call it once per outcome")
    def readable(reason: str) -> str:
        return re.sub(r"\w+", lambda m: f"({cells[m[0]]})" if m[0] in cells else m[0], reason)

    lost = {cells[name]: readable(why) for name, why in result.dropped_coefficients.items()
            if name in cells}
    if lost:
        raise ValueError(
            "cohort-specific effect(s) not identified after the unit and time fixed effects "
            "(no variation left to estimate them): "
            + "; ".join(f"{cell} ({why})" for cell, why in lost.items())
            + ". Check that the control group is observed in the same periods as the cohorts")
    for item in caught:
        warnings.warn(item.message, item.category, stacklevel=3)
    return result
