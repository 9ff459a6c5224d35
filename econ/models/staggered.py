"""``econ.att_gt``: the Callaway-Sant'Anna (2021) staggered difference-in-differences."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.did.aggregate import basis as aggregation_basis
from econ.estimation.did.callaway_santanna import BasePeriod, Control, Method, estimate
from econ.estimation.did.panel import Balance, prepare
from econ.inference.multiplier import InfluenceInference, Multiplier
from econ.results.staggered import ATTgtResult

#: R's did bootstraps by default; so does att_gt.
DEFAULT_MULTIPLIER = Multiplier()


def att_gt(
    data: Dataset | pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] = (),
    control: Control = "never_treated",
    method: Method = "dr",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    balance: Balance = "balanced",
    cluster: str | None = None,
    weights: str | None = None,
    bootstrap: Multiplier | None = DEFAULT_MULTIPLIER,
    level: float = 0.95,
) -> ATTgtResult:
    """Group-time average treatment effects ATT(g, t) under staggered adoption.

    Callaway and Sant'Anna (2021) for panel data, following R's ``did::att_gt``: one 2x2
    difference-in-differences per cohort ``g`` and period ``t``, estimated by outcome
    regression, inverse probability weighting or the doubly robust estimator of Sant'Anna and
    Zhao (2020), each with its influence function. Aggregate with
    ``result.aggregate("simple" | "group" | "dynamic" | "calendar")``.

    Parameters
    ----------
    data
        A long panel, one row per unit and period: a :class:`~econ.Dataset` or a DataFrame.
    outcome, unit, time
        Columns of the (numeric) outcome, the unit id and the (numeric) period.
    cohort
        Column of the first treated period, constant within a unit. Missing, or 0 when every
        period is positive (R's did uses 0; the study panel's ``demonstration_year`` is
        missing), means never treated; always-treated units (cohort at or before the first
        period plus ``anticipation``) are dropped with a warning and a note; cohorts after the
        last period count as never treated (the rule shared by every DiD estimator:
        :mod:`econ.estimation.did.cohorts`).
    covariates
        Numeric columns conditioned on (parallel trends given covariates). Each comparison
        uses their values in its earlier period (the base period, as in R's did).
    control
        ``"never_treated"`` or ``"not_yet_treated"`` (never treated plus units first treated
        after the later of the two periods, plus ``anticipation``).
    method
        ``"dr"`` (doubly robust, R's default), ``"ipw"`` (normalised inverse probability
        weights, logit propensity score) or ``"reg"`` (outcome regression).
    base_period
        ``"varying"`` (pre-treatment ATT(g, t) compare ``t`` with ``t - 1``) or
        ``"universal"`` (every period compared with ``g - anticipation - 1``).
    anticipation
        Periods before ``g`` in which units may already respond.
    balance
        ``"balanced"`` (R's default): drop units not observed in every period;
        ``"pairwise"``: keep them, each ATT(g, t) using the units observed in both its periods.
    cluster
        Column of clusters (constant within a unit) for standard errors and the bootstrap;
        by default each unit is its own cluster. Units are always nested in clusters here.
    weights
        Column of non-negative sampling weights, constant within a unit.
    bootstrap
        :class:`~econ.Multiplier` settings (draws, weight distribution, seed) of the
        multiplier bootstrap for standard errors and uniform (sup-t) bands, as R's default;
        ``None`` gives analytic standard errors and no uniform band.
    level
        Confidence level of the intervals and bands.

    Returns
    -------
    ATTgtResult
        ``tidy()``, ``summary()``, ``aggregate(kind)``; labelled as simulated when ``data`` is
        a simulated :class:`~econ.Dataset`.

    Raises
    ------
    ValueError
        Unknown columns, a non-numeric outcome, time, cohort or covariate, duplicate rows, a
        cohort changing within a unit, no never-treated units with
        ``control="never_treated"``, or an unknown option.
    """
    frame = data.data if isinstance(data, Dataset) else data
    simulated = isinstance(data, Dataset) and data.simulated
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    inference = (InfluenceInference(bootstrap=False, alpha=1 - level) if bootstrap is None
                 else bootstrap.inference(1 - level))
    if control not in ("never_treated", "not_yet_treated"):
        raise ValueError(f"control must be 'never_treated' or 'not_yet_treated', got "
                         f"{control!r}")
    panel = prepare(frame, outcome=outcome, unit=unit, time=time, cohort=cohort,
                    covariates=covariates, weights=weights, cluster=cluster, control=control,
                    anticipation=anticipation, balance=balance)
    effects = estimate(panel, control=control, method=method, base_period=base_period,
                       anticipation=anticipation)
    # Every aggregation's influence function combines the cells' influence functions with
    # cohort-membership indicators (the estimated weights): drawing the bootstrap weights
    # once for these columns serves all aggregations.
    basis = (inference.basis(aggregation_basis(effects), panel.cluster) if inference.bootstrap
             else None)
    cells = np.eye(effects.att.size + effects.groups.size, effects.att.size)
    uncertainty = inference.compute(effects.influence, panel.cluster, effects.estimated, basis,
                                    cells)
    return ATTgtResult(effects, inference, outcome, cluster, simulated, uncertainty, basis)
