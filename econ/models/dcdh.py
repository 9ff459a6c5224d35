"""``did_multiplegt``: event-study effects of a treatment that need not be binary or absorbing.

de Chaisemartin and D'Haultfoeuille (2024) compare each group whose treatment changes (a
*switcher*) with the groups that had the same treatment in the first period and have not
changed it yet. DID_l, the effect ``l`` periods after the first change, is the average over
switchers of their outcome change from the period before the switch minus that of the
not-yet-switched groups; switchers out (treatment decreases) enter with the sign flipped, so
every estimate is the effect of an increase. Unlike two-way fixed effects it puts no negative
weight on any group's effect when effects vary, and it allows treatments that go up and down.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.estimation.did.dcdh import DCDHEstimate, Switchers, estimate
from econ.estimation.did.dcdh_panel import NoControlsError, prepare, uncontrolled_switchers
from econ.inference.distributions import chi2_sf, norm_ppf
from econ.results.event_study import EventStudy, event_study_path
from econ.results.regression import WaldTest


def did_multiplegt(
    data: Dataset | pd.DataFrame,
    *,
    outcome: str,
    group: str,
    time: str,
    treatment: str,
    effects: int = 1,
    placebos: int = 0,
    normalized: bool = False,
    switchers: Switchers = "both",
    controls: Sequence[str] = (),
    trends_lin: bool = False,
    cluster: str | None = None,
    drop_uncontrolled: bool = False,
    level: float = 0.95,
) -> EventStudy:
    """DID_l event-study effects (de Chaisemartin and D'Haultfoeuille 2024).

    The estimator of the authors' ``did_multiplegt_dyn`` (Stata, R, Python), with its default
    options: effects ``l = 1..effects`` after each switcher's first treatment change, placebos
    ``1..placebos`` before it, standard errors from the authors' influence functions with their
    conservative cohort demeaning.

    Parameters
    ----------
    data
        A long panel, one row per group and period (:class:`~econ.Dataset` or DataFrame).
    outcome, group, time, treatment
        Column names. ``treatment`` is numeric (binary, discrete or continuous) and must be
        known for every group in every period. Periods are the sorted distinct values of
        ``time``, taken one step apart. A missing outcome leaves that period out of the
        comparisons that need it.
    effects
        Number of dynamic effects; capped at what the design allows (a note says so).
    placebos
        Number of placebos (at most ``effects``); placebo ``l`` compares the outcome change
        from ``F_g - 1 - l`` to ``F_g - 1`` between the switchers of effect ``l`` and their
        controls. They appear as periods ``-1..-placebos``; period 0 (the last period before
        the switch) is the reference.
    normalized
        Divide DID_l by the switchers' average treatment change summed over ``F_g..F_g - 1 +
        l`` (DID^n_l: an effect per unit of treatment, averaging the effects of the current and
        lagged treatments).
    switchers
        ``"both"`` (pooled, weighted by the numbers of switchers), ``"in"`` (increases only)
        or ``"out"`` (decreases only, sign-flipped).
    controls
        Time-varying numeric controls (complete in every period). For each baseline treatment
        the first-differenced outcome is regressed on the first-differenced controls with
        period effects among the not-yet-switched groups, and every long difference of the
        outcome has that coefficient times the same difference of the controls taken off; the
        standard errors include the authors' correction for that first step.
    trends_lin
        Allow group-specific linear trends: the outcome is first-differenced and effect ``l``
        cumulates the first ``l`` effects on it, over the switchers observed ``l`` periods after
        their switch; groups first switching in the second period are dropped. No average total
        effect is reported.
    cluster
        Column of clusters (groups nested in them) for the standard errors; by default each
        group is its own cluster.
    drop_uncontrolled
        Switchers whose first change comes when no group with their baseline treatment is still
        unchanged have no control; by default that is a :class:`NoControlsError`. ``True``
        keeps them only as controls before their switch, as the authors' command does
        silently (counted in the notes).
    level
        Confidence level of the (normal) intervals.

    Returns
    -------
    EventStudy
        Effects at periods ``1..L`` and placebos at ``-1..-K``, reference period 0; ``cov``
        their covariance; ``pretrend`` the joint Wald test that the placebos are zero; the
        average total effect per unit of treatment, the numbers of switchers and the design's
        drops in ``facts`` and ``notes``.

    Raises
    ------
    NoSwitchersError
        No group's treatment ever changes (or none is comparable with a control).
    MissingTreatmentError
        The treatment is missing, or a group's row absent, in some period.
    ConstantTreatmentError
        The treatment takes only one value.
    NoControlsError
        Some switchers have no not-yet-switched group with their baseline treatment at their
        switch, and ``drop_uncontrolled`` is false.
    ValueError
        A bad option or column.
    """
    simulated = isinstance(data, Dataset) and data.simulated
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    result = dcdh_estimate(data, outcome=outcome, group=group, time=time, treatment=treatment,
                           effects=effects, placebos=placebos, normalized=normalized,
                           switchers=switchers, controls=controls, trends_lin=trends_lin,
                           cluster=cluster, drop_uncontrolled=drop_uncontrolled)
    return dcdh_event_study(result, outcome=outcome, treatment=treatment, switchers=switchers,
                            cluster=cluster, level=level, simulated=simulated)


def dcdh_estimate(
    data: Dataset | pd.DataFrame,
    *,
    outcome: str,
    group: str,
    time: str,
    treatment: str,
    effects: int = 1,
    placebos: int = 0,
    normalized: bool = False,
    switchers: Switchers = "both",
    controls: Sequence[str] = (),
    trends_lin: bool = False,
    cluster: str | None = None,
    drop_uncontrolled: bool = False,
) -> DCDHEstimate:
    """The numbers behind :func:`did_multiplegt` (same arguments): per period the estimate,
    standard error, switchers in and out and their mean treatment changes, the influence
    functions, and the average total effect per unit of treatment with its standard error."""
    frame = data.data if isinstance(data, Dataset) else data
    if switchers not in ("both", "in", "out"):
        raise ValueError(f"switchers must be 'both', 'in' or 'out', got {switchers!r}")
    if effects < 1 or placebos < 0:
        raise ValueError(f"effects must be at least 1 and placebos at least 0, got {effects} "
                         f"and {placebos}")
    panel = prepare(frame, outcome=outcome, group=group, time=time, treatment=treatment,
                    controls=controls, cluster=cluster)
    lonely = uncontrolled_switchers(panel)
    if lonely.any():
        names = ", ".join(str(g) for g in panel.groups[lonely][:5])
        message = (f"{int(lonely.sum())} switcher(s) ({names}{', ...' if lonely.sum() > 5 else ''}"
                   f") first change their {treatment!r} when no group with the same baseline "
                   f"treatment is still unchanged, so they have no control")
        if not drop_uncontrolled:
            raise NoControlsError(message + ": pass drop_uncontrolled=True to keep them as "
                                            "controls only (as did_multiplegt_dyn does)")
        panel = replace(panel, notes=(*panel.notes, message + "; they serve only as controls "
                                                              "before their switch"))
    if placebos > effects:
        panel = replace(panel, notes=(*panel.notes, f"{placebos} placebos requested; at most "
                                                    f"as many as effects ({effects}) are "
                                                    f"estimated"))
    return estimate(panel, effects=effects, placebos=min(placebos, effects),
                    switchers=switchers, normalized=normalized, trends_lin=trends_lin)


def dcdh_event_study(result: DCDHEstimate, *, outcome: str, treatment: str, switchers: str,
                     cluster: str | None, level: float = 0.95,
                     simulated: bool = False) -> EventStudy:
    """A :func:`dcdh_estimate` result as the package's :class:`~econ.EventStudy`."""
    table = result.table
    cov = result.covariance()
    order = np.argsort(table["period"].to_numpy(), kind="stable")
    critical = float(norm_ppf(0.5 + level / 2))
    path = event_study_path(table["period"].to_numpy()[order], table["estimate"].to_numpy()[order],
                            table["std_error"].to_numpy()[order], critical, float("nan"), (0,))
    effects = table[table["period"] > 0]
    facts = [("Treatment", treatment), ("Switchers", {"both": "in and out (pooled)",
                                                       "in": "in only", "out": "out only"}
                                        [switchers]),
             ("Groups", f"{result.n_groups:,}"),
             ("Switchers at effect 1", f"{effects['switchers'].iloc[0]:g} "
                                       f"({effects['switchers_in'].iloc[0]:g} in, "
                                       f"{effects['switchers_out'].iloc[0]:g} out)")
             if len(effects) else ("Switchers at effect 1", "0"),
             ("Standard errors", f"clustered by {cluster}" if cluster else "clustered by group"),
             ("Normalized", "yes (per unit of cumulated treatment change)"
              if result.normalized else "no")]
    if np.isfinite(result.average_total_effect):
        facts.append(("Average total effect per unit of treatment",
                      f"{result.average_total_effect:.4f} "
                      f"(s.e. {result.average_total_effect_se:.4f})"))
    return EventStudy(
        title=f"Event study (de Chaisemartin-D'Haultfoeuille DID_l): {outcome}",
        outcome=outcome, path=path, cov=cov[np.ix_(order, order)], df=float("inf"),
        level=level, time_label="relative period", reference=0, facts=tuple(facts),
        notes=result.notes, nobs=result.n_groups,
        pretrend=_placebo_test(table, cov), simulated=simulated)


def _placebo_test(table: pd.DataFrame, cov: np.ndarray) -> WaldTest | None:
    placebo = (table["period"] < 0).to_numpy()
    if not placebo.any():
        return None
    b = table["estimate"].to_numpy()[placebo]
    v = cov[np.ix_(placebo, placebo)]
    statistic = float(b @ np.linalg.pinv(v) @ b)
    q = int(placebo.sum())
    return WaldTest(statistic / q, q, float("inf"), float(chi2_sf(statistic, q)),
                    "all placebos = 0")
