"""The rotation design: effects of moving to a higher- or lower-level dispatching unit.

The 2021 re-dispatch sends new units almost everywhere at once; the 2023 rotation then replaces
the unit in some villages and keeps it in others. From 2021 on, a village's unit level is a
treatment that is neither binary (no team, township ... central) nor absorbing (it can rise or
fall at the rotation). The estimator of de Chaisemartin and D'Haultfoeuille (2024) compares each
village whose level changes with the villages that had the same level in 2021 and have not
changed it yet, year by year after the change, separately for moves up and moves down and for
villages below and above the median endowment. Two-way fixed effects with this treatment would
weight some villages' effects negatively.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from econ.data.dataset import Dataset
from econ.data.derive import POST_YEAR
from econ.estimation.did.dcdh_panel import NoSwitchersError
from econ.models.dcdh import dcdh_estimate, dcdh_event_study
from econ.results.event_study import EventStudy
from econ.results.rotation import RotationDesign
from econ.study.variables import Transform, working_table

GROUPS = ("all", "low endowment", "high endowment")


def rotation_design(
    panel: Dataset,
    *,
    outcome: str = "assistance_funds",
    transform: Transform = "log1p",
    start: int = POST_YEAR,
    effects: int = 3,
    placebos: int = 1,
    directions: tuple[str, ...] = ("in", "out"),
    normalized: bool = False,
    cluster: str = "township_id",
    level: float = 0.95,
) -> RotationDesign:
    """dCDH event studies of a change in the dispatching unit's level, by endowment group.

    Parameters
    ----------
    panel
        The village panel (it needs ``unit_level``, ``endowment`` and the outcome).
    outcome, transform
        The outcome and ``"log1p"`` (log(1 + x), the default for funds) or ``"none"``.
    start
        First year of the window (default 2021, the re-dispatch): the level in ``start`` is the
        baseline, so the design is about the later changes (the 2023 rotation). Earlier years
        are left out because almost every village's unit changes at the 2021 re-dispatch.
    effects, placebos
        Years after the change (1 = the year of the change) and placebo years before it.
    directions
        Which switches to estimate: ``"in"`` (to a higher level), ``"out"`` (to a lower level,
        reported per level gained, i.e. sign-flipped) and/or ``"both"`` (pooled).
    normalized
        Report DID^n_l (per level of cumulated change) instead of DID_l.
    cluster
        Cluster of the standard errors (townships: the township-year shocks).
    level
        Confidence level.

    Returns
    -------
    RotationDesign
        One :class:`~econ.EventStudy` per endowment group (all villages, below and above the
        median endowment) and direction, the average total effect per level of change of each,
        and the cells that could not be estimated (no switcher) with the reason.

    Notes
    -----
    The treatment is the level as a rank (no team lowest, central highest; the ``ordered``
    coding of :func:`econ.strong_alliance`). A village's rank changes both with a new unit of
    another level and with gaining or losing a team. Switchers whose first change comes when no
    village with their 2021 rank is still unchanged have no control and are kept only as
    controls (as ``did_multiplegt_dyn`` does), counted in each study's notes.
    """
    unknown = [d for d in directions if d not in ("in", "out", "both")]
    if unknown or not directions:
        raise ValueError(f"directions must be among 'in', 'out', 'both'; got {directions}")
    _, data = working_table(panel, outcome=outcome, transform=transform, unit_rank="ordered",
                            endowment="binary", post_year=POST_YEAR)
    window = data[data["year"] >= start]
    if window["year"].nunique() < 2:
        raise ValueError(f"the panel has fewer than two years from {start}: no change to study")
    endowment = window.groupby("village_id", observed=True)["baseline_endowment"].first()
    threshold = float(endowment.median())
    samples = {"all": window,
               "low endowment": window[window["rich"].astype(bool).eq(False)],
               "high endowment": window[window["rich"].astype(bool)]}
    studies: dict[tuple[str, str], EventStudy] = {}
    missing: dict[tuple[str, str], str] = {}
    rows = []
    name = f"log(1 + {outcome})" if transform == "log1p" else outcome
    for group, sample in samples.items():
        for direction in directions:
            try:
                result = dcdh_estimate(
                    sample, outcome="y", group="village_id", time="year", treatment="level",
                    effects=effects, placebos=placebos, normalized=normalized,
                    switchers=direction, cluster=cluster, drop_uncontrolled=True)  # type: ignore[arg-type]
            except NoSwitchersError as error:
                missing[(group, direction)] = str(error)
                continue
            study = dcdh_event_study(result, outcome=name, treatment="unit level (rank)",
                                     switchers=direction, cluster=cluster, level=level,
                                     simulated=panel.simulated)
            studies[(group, direction)] = replace(
                study, title=f"dCDH DID_l, {name}: {group}, switchers {direction}")
            first = result.table[result.table["period"] == 1]
            rows.append({"group": group, "direction": direction,
                         "estimate": result.average_total_effect,
                         "std_error": result.average_total_effect_se,
                         "switchers": float(first["switchers"].iloc[0]) if len(first) else 0.0})
    years = (int(window["year"].min()), int(window["year"].max()))
    return RotationDesign(name, studies, pd.DataFrame(rows, columns=[
        "group", "direction", "estimate", "std_error", "switchers"]), missing, years,
        threshold, level, panel.simulated)


__all__ = ["GROUPS", "rotation_design"]
