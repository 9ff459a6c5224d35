"""``did_imputation``: the imputation event study of Borusyak, Jaravel and Spiess (2024).

Two-way fixed-effects regressions with staggered treatment compare late with early treated
units and can weight effects negatively. The imputation estimator fits unit and period effects
on the untreated observations only, imputes the untreated outcome of every treated observation
and averages the differences: each estimand (by event time, or with any weights) uses only
clean comparisons and is the efficient one under homoskedastic errors and parallel trends.
Numerics: :mod:`econ.estimation.did.imputation`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.did.cohorts import period_label, recode
from econ.estimation.did.imputation import Panel, impute, pretrend
from econ.inference.distributions import f_sf
from econ.inference.linear_combinations import critical_value, std_errors
from econ.results.event_study import EventStudy, event_study_path
from econ.results.regression import WaldTest


def did_imputation(
    data: Dataset | pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    horizons: Sequence[int] | None = None,
    pretrends: int = 0,
    weights: str | None = None,
    estimand_weights: str | None = None,
    controls: Sequence[str] = (),
    cluster: str | None = None,
    leave_out: bool = False,
    level: float = 0.95,
) -> EventStudy:
    """Imputation estimator of effects by event time (Borusyak, Jaravel and Spiess 2024).

    As Stata's ``did_imputation`` (and the Python ``did_imputation`` port): ``Y(0)`` is fitted
    with unit and period effects (and ``controls``) on never- and not-yet-treated observations,
    imputed for treated ones, and ``tau_it = Y_it - Y(0)_it`` averaged by event time
    ``e = time - cohort``, each treated observation equally (times ``weights``).

    Parameters
    ----------
    data
        A long panel (:class:`~econ.Dataset` or DataFrame), one row per unit and period; it
        may be unbalanced.
    outcome, unit, time
        Columns of the numeric outcome, the unit id and the integer period.
    cohort
        The period each unit is first treated, constant within the unit; missing (or 0 when
        every period is positive) for never treated. Always-treated units are dropped with a
        warning and a note (:mod:`econ.estimation.did.cohorts`).
    horizons
        Event times ``e >= 0`` to estimate; default every event time in the data.
    pretrends
        Number ``K`` of pre-treatment event times ``-1..-K`` in the pre-trend test (BJS Test
        1): their coefficients join the path and ``pretrend`` holds the joint Wald test.
    weights
        Column of positive observation weights (analytic weights).
    estimand_weights
        Instead of event times, one estimand ``sum_it w_it tau_it`` with the weights ``w`` of
        this column on treated observations, normalised to sum to one (its single row has
        period 0).
    controls
        Numeric time-varying controls in the untreated-outcome model.
    cluster
        Cluster column for the standard errors (default: ``unit``); units must be nested in
        clusters.
    leave_out
        Average the effects of a cohort-period cell without the observation's own cluster in
        the variance (BJS's leave-out version, less downward biased in small cells).
    level
        Confidence level of the intervals (normal critical values).

    Returns
    -------
    EventStudy
        Effects by event time (``period``), with the pre-trend coefficients at ``-K..-1`` when
        ``pretrends > 0``; ``cov`` is the joint covariance (the pre-period block from the
        pre-trend regression, the post-period block BJS's conservative one); ``reference`` is
        None: neither block is normalised to a reference period.

    Raises
    ------
    ValueError
        Unknown or non-numeric columns, duplicate (unit, time) rows, a missing cohort timing
        column, no treated or no untreated observations, a horizon not in the data.
    econ.estimation.did.imputation.NoControlObservationsError
        A period with treated observations to impute but no untreated (never- or
        not-yet-treated) observation.
    """
    frame = data.data if isinstance(data, Dataset) else data
    simulated = isinstance(data, Dataset) and data.simulated
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if pretrends < 0:
        raise ValueError(f"pretrends must be >= 0, got {pretrends}")
    if horizons is not None and estimand_weights is not None:
        raise ValueError("give horizons or estimand_weights, not both")
    panel, rows, notes = _panel(frame, outcome=outcome, unit=unit, time=time, cohort=cohort,
                                 weights=weights, controls=tuple(controls),
                                 cluster=cluster, extra=estimand_weights)
    treated = panel.treated
    if not treated.any():
        raise ValueError(f"no treated observation: every row has {time!r} before its "
                         f"{cohort!r} (or no cohort)")
    if treated.all():
        raise ValueError("no untreated observation (never or not yet treated) to fit the "
                         "untreated outcome on")
    if estimand_weights is not None:
        w = frame[estimand_weights].to_numpy(dtype=float, na_value=np.nan)[rows]
        if np.isnan(w[treated]).any():
            raise ValueError(f"estimand_weights {estimand_weights!r} is missing on "
                             f"{int(np.isnan(w[treated]).sum())} treated row(s)")
        labels = np.array([0])
        columns = np.where(treated, w, 0.0)[:, None]
    else:
        events = np.sort(pd.unique(panel.event[treated])).astype(np.int64)
        labels = events if horizons is None else np.asarray(horizons, dtype=np.int64)
        absent = sorted(set(labels.tolist()) - set(events.tolist()))
        if absent:
            raise ValueError(f"horizons {absent} have no treated observation; event times "
                             f"in the data: {events.tolist()}")
        columns = np.column_stack([(treated & (panel.event == e)).astype(float)
                                   for e in labels])
    sums = (columns * panel.weights[:, None]).sum(axis=0)
    if np.any(sums == 0):
        raise ValueError("an estimand's weights sum to zero over the treated observations")
    fit = impute(panel, columns / sums, leave_out=leave_out)

    periods, estimates, scores = labels, fit.estimates, fit.scores
    pretrend_test = None
    if pretrends:
        pre = pretrend(panel, pretrends)
        periods = np.r_[np.arange(-pretrends, 0), labels]
        estimates = np.r_[pre.estimates[::-1], fit.estimates]
        scores = np.hstack([_by_cluster(pre.scores[:, ::-1], panel, treated), scores])
        wald = float(pre.estimates @ np.linalg.solve(pre.cov, pre.estimates)) / pretrends
        df_denom = pre.n_clusters - 1
        pretrend_test = WaldTest(wald, pretrends, df_denom,
                                 float(f_sf(wald, pretrends, df_denom)),
                                 f"effects at event times -{pretrends}..-1 are zero "
                                 f"(untreated observations; BJS Test 1)")
    cov = scores.T @ scores
    errors = std_errors(cov)
    path = event_study_path(periods, estimates, errors, critical_value(level, np.inf),
                            float("nan"), ())
    facts = (("Outcome", outcome), ("Observations", f"{len(panel.outcome):,}"),
             ("Untreated (fit) / treated (imputed)", f"{fit.n_untreated:,} / "
                                                     f"{fit.n_treated:,}"),
             ("Units", f"{panel.n_units:,}"), ("Controls", ", ".join(controls) or "none"),
             ("Clustered by", cluster or unit),
             ("Standard errors", "BJS conservative" + (" (leave-out)" if leave_out else "")))
    lines = (*notes,
             "Imputation estimator (Borusyak, Jaravel and Spiess 2024): untreated outcome "
             "fitted on never- and not-yet-treated observations with unit and period effects"
             + (" and controls" if controls else "") + ", effects averaged by event time"
             + (" with estimand_weights" if estimand_weights else "") + ".",
             *((f"Pre-period estimates are the pre-trend test's coefficients on untreated "
                f"observations (event times -{pretrends}..-1 against earlier and never-treated "
                f"ones); no period is a normalised reference.",) if pretrends else ()))
    return EventStudy(
        title=f"Event study (imputation, Borusyak-Jaravel-Spiess): {outcome}",
        outcome=outcome, path=path, cov=cov, df=float("inf"), level=level,
        time_label="relative period", reference=None, facts=facts, notes=lines,
        nobs=len(panel.outcome), pretrend=pretrend_test, simulated=simulated)


def _by_cluster(scores: np.ndarray, panel: Panel, treated: np.ndarray) -> np.ndarray:
    """Pre-trend scores are summed over the clusters of untreated rows; put them on the
    clusters of the whole panel (clusters without untreated rows score zero)."""
    present = np.flatnonzero(np.bincount(panel.cluster[~treated], minlength=panel.n_clusters))
    out = np.zeros((panel.n_clusters, scores.shape[1]))
    out[present] = scores
    return out


def _panel(frame: pd.DataFrame, *, outcome: str, unit: str, time: str, cohort: str,
           weights: str | None, controls: tuple[str, ...], cluster: str | None,
           extra: str | None) -> tuple[Panel, np.ndarray, list[str]]:
    roles = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort,
             **{f"control {c!r}": c for c in controls}}
    for role, name in (("weights", weights), ("cluster", cluster),
                       ("estimand_weights", extra)):
        if name is not None:
            roles[role] = name
    missing = [f"{role} {name!r}" for role, name in roles.items() if name not in frame.columns]
    if missing:
        raise ValueError(f"unknown column(s): {', '.join(missing)}; the data have columns "
                         f"{list(frame.columns)}")
    for role, name in (("outcome", outcome), ("time", time), *((f"control {c!r}", c)
                                                               for c in controls),
                       *((("weights", weights),) if weights else ())):
        dtype = frame[name].dtype
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            raise ValueError(f"{role} column {name!r} must be numeric, not {dtype}")
    if frame[unit].isna().any() or frame[time].isna().any():
        raise ValueError(f"unit {unit!r} and time {time!r} must not be missing: "
                         f"{int(frame[unit].isna().sum() + frame[time].isna().sum())} "
                         f"missing value(s)")
    times = frame[time].to_numpy(dtype=float)
    if not np.all(times == np.round(times)):
        raise ValueError(f"time {time!r} must hold whole periods (e.g. years)")
    notes: list[str] = []
    used = [outcome, *controls, *([weights] if weights else [])]
    incomplete = frame[used].isna().any(axis=1).to_numpy()
    if incomplete.any():
        notes.append(f"Dropped {int(incomplete.sum())} row(s) with a missing outcome, control "
                     f"or weight")
    rows = np.flatnonzero(~incomplete)
    sample = frame.iloc[rows]
    unit_code, unit_ids = pd.factorize(sample[unit], sort=True)
    period_code, period_values = pd.factorize(times[rows], sort=True)
    n_units = len(unit_ids)
    key = unit_code.astype(np.int64) * len(period_values) + period_code
    if np.bincount(key, minlength=n_units * len(period_values)).max() > 1:
        raise ValueError(f"duplicate ({unit}, {time}) rows: the panel must have one row per "
                         f"unit and period")
    cohorts = recode(sample[cohort], cohort, units=unit_code, n_units=n_units,
                     ids=sample[unit], periods=period_values, always_treated="drop")
    notes += cohorts.notes
    keep = ~cohorts.always[unit_code]
    rows, unit_code, period_code = rows[keep], unit_code[keep], period_code[keep]
    sample = frame.iloc[rows]
    unit_code = pd.factorize(unit_code, sort=True)[0]
    first = cohorts.first_treated[~cohorts.always][unit_code]
    t = period_values[period_code]
    event = t - first
    a = (np.ones(len(rows)) if weights is None else sample[weights].to_numpy(dtype=float))
    if np.any(a <= 0) or not np.all(np.isfinite(a)):
        raise ValueError(f"weights {weights!r} must be positive and finite")
    if cluster is None:
        cluster_code = unit_code
    else:
        if sample[cluster].isna().any():
            raise ValueError(f"cluster {cluster!r} is missing in "
                             f"{int(sample[cluster].isna().sum())} row(s)")
        cluster_code = pd.factorize(sample[cluster], sort=True)[0]
    cohort_code = pd.factorize(first, sort=True)[0]
    z = (sample[list(controls)].to_numpy(dtype=float) if controls
         else np.zeros((len(rows), 0)))
    panel = Panel(unit=unit_code.astype(np.int64), period=period_code.astype(np.int64),
                  outcome=sample[outcome].to_numpy(dtype=float), controls=z, weights=a,
                  cluster=cluster_code.astype(np.int64), cohort_code=cohort_code,
                  event=event, treated=np.isfinite(first) & (t >= first))
    if not np.isfinite(first).any():
        raise ValueError(f"no treated cohort in {cohort!r} (every unit never treated within "
                         f"the periods {period_label(period_values[0])}-"
                         f"{period_label(period_values[-1])})")
    return panel, rows, notes
