"""A long panel turned into the group-by-period arrays of de Chaisemartin and D'Haultfoeuille.

The design of DID_l (de Chaisemartin and D'Haultfoeuille 2024, "Difference-in-differences
estimators of intertemporal treatment effects"), as their ``did_multiplegt_dyn``:

- a group's *baseline* treatment is its treatment in the first period; ``F_g`` is the first
  period its treatment differs from the baseline (never, for groups that never switch);
- groups whose treatment goes both above and below their baseline are dropped (the authors'
  default: their effects mix increases and decreases);
- baseline values at which every group switches at the same date (or no group switches) are
  dropped: no group with that baseline can serve as a control for another;
- ``T_g``, the last period in which a group's effects can be estimated, is the last period
  before the last group with its baseline treatment switches; a group switching after ``T_g``
  (no not-yet-switched group with its baseline remains) is a control only;
- ``S_g`` is 1 for switchers *in* (treatment above the baseline after ``F_g``), 0 for
  switchers *out*.

Periods are the sorted distinct values of ``time``: the estimator works with their positions
(one period apart), as the authors' command does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

IN, OUT, NEITHER = 1, 0, -1


class NoSwitchersError(ValueError):
    """No group's treatment ever changes: there is no effect to estimate."""


class MissingTreatmentError(ValueError):
    """A group's treatment is missing in some period (or its row is absent)."""


class ConstantTreatmentError(ValueError):
    """The treatment takes a single value: nothing switches, nothing can be compared."""


class NoControlsError(ValueError):
    """Switchers whose first switch has no not-yet-switched group with the same baseline."""


@dataclass(frozen=True, eq=False)
class SwitchPanel:
    """Groups (rows) by periods (columns), after the design's drops.

    ``outcome`` is NaN where unobserved; ``treatment`` is complete; ``first_switch`` is the
    position of ``F_g`` (``n_periods`` for groups that never switch); ``last_period`` the
    position of ``T_g``; ``direction`` :data:`IN`, :data:`OUT` or :data:`NEITHER` (never
    switches, or switches after ``T_g``); ``baseline_code`` integer codes of the baseline
    treatment; ``cluster`` integer codes (``None``: each group is its own cluster).
    """

    groups: np.ndarray
    periods: np.ndarray
    outcome: np.ndarray
    treatment: np.ndarray
    controls: np.ndarray
    control_names: tuple[str, ...]
    baseline_code: np.ndarray
    first_switch: np.ndarray
    last_period: np.ndarray
    direction: np.ndarray
    cluster: np.ndarray | None
    notes: tuple[str, ...]

    @property
    def n_groups(self) -> int:
        return int(self.outcome.shape[0])

    @property
    def n_periods(self) -> int:
        return int(self.outcome.shape[1])

    @property
    def baseline(self) -> np.ndarray:
        return self.treatment[:, 0]

    @property
    def effects_available(self) -> np.ndarray:
        """``L_g``: how many effects each switcher contributes to (``T_g - F_g + 1``)."""
        return self.last_period - self.first_switch + 1

    def subset(self, keep: np.ndarray, note: str | None = None) -> SwitchPanel:
        """The design recomputed on the groups in ``keep``."""
        cluster = None if self.cluster is None else self.cluster[keep]
        notes = self.notes + ((note,) if note else ())
        return _design(self.groups[keep], self.periods, self.outcome[keep],
                       self.treatment[keep], self.controls[keep], self.control_names, cluster,
                       notes)


def _codes(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_inverse=True)[1].reshape(-1)


def _first_switch(treatment: np.ndarray) -> np.ndarray:
    # Periods left out (NaN) come after the first switch, so they never decide it.
    changed = treatment != treatment[:, :1]
    return np.where(changed.any(axis=1), changed.argmax(axis=1), treatment.shape[1])


def _design(groups: np.ndarray, periods: np.ndarray, outcome: np.ndarray, treatment: np.ndarray,
            controls: np.ndarray, control_names: tuple[str, ...], cluster: np.ndarray | None,
            notes: tuple[str, ...]) -> SwitchPanel:
    n_periods = treatment.shape[1]
    baseline = treatment[:, 0]
    first = _first_switch(treatment)
    code = _codes(baseline)
    last_switch = np.zeros(code.max() + 1 if code.size else 0, dtype=np.int64)
    np.maximum.at(last_switch, code, first)
    last = last_switch[code] - 1
    post = (np.arange(n_periods)[None, :] >= first[:, None]) & (
        np.arange(n_periods)[None, :] <= last[:, None])
    above = np.where(post, treatment > baseline[:, None], False).any(axis=1)
    direction = np.where(first <= last, np.where(above, IN, OUT), NEITHER)
    return SwitchPanel(groups, periods, outcome, treatment, controls, control_names, code,
                       first, last, direction, cluster, notes)


def _table(frame: pd.DataFrame, group: str, time: str, column: str, groups: pd.Index,
           periods: pd.Index) -> np.ndarray:
    wide = frame.pivot(index=group, columns=time, values=column)
    return wide.reindex(index=groups, columns=periods).to_numpy(dtype=float)


def _describe(groups: np.ndarray, periods: np.ndarray, mask: np.ndarray, limit: int = 5) -> str:
    rows, cols = np.nonzero(mask)
    shown = ", ".join(f"{groups[r]!s} in {periods[c]!s}" for r, c in
                      zip(rows[:limit], cols[:limit], strict=True))
    more = f" and {rows.size - limit} more" if rows.size > limit else ""
    return shown + more


def prepare(frame: pd.DataFrame, *, outcome: str, group: str, time: str, treatment: str,
            controls: Sequence[str] = (), cluster: str | None = None) -> SwitchPanel:
    """Check a long panel and build the design of DID_l.

    Raises
    ------
    KeyError
        A named column is absent.
    ValueError
        Duplicate (group, period) rows, a non-numeric outcome, treatment or control, or a
        cluster that changes within a group.
    MissingTreatmentError
        The treatment is missing (or the row absent) for some group and period.
    ConstantTreatmentError
        The treatment takes only one value.
    NoSwitchersError
        No group's treatment changes, or none is left once the design's drops are made.
    """
    names = [outcome, group, time, treatment, *controls, *([cluster] if cluster else [])]
    absent = [c for c in dict.fromkeys(names) if c not in frame.columns]
    if absent:
        raise KeyError(f"column(s) {absent} not in the data; available: {list(frame.columns)}")
    for column, role in [(outcome, "outcome"), (treatment, "treatment"),
                         *((c, "control") for c in controls)]:
        if not (pd.api.types.is_numeric_dtype(frame[column])
                or pd.api.types.is_bool_dtype(frame[column])):
            raise ValueError(f"the {role} {column!r} must be numeric, got {frame[column].dtype}")
    keys = frame[[group, time]]
    if keys.isna().any().any():
        raise ValueError(f"{group!r} or {time!r} is missing in "
                         f"{int(keys.isna().any(axis=1).sum())} row(s): drop those rows first")
    duplicated = keys.duplicated(keep=False)
    if duplicated.any():
        first = keys[duplicated].iloc[0]
        raise ValueError(f"{int(duplicated.sum())} rows share a ({group}, {time}) pair, e.g. "
                         f"{first[group]!r} in {first[time]!r}: one row per group and period")
    columns = [outcome, treatment, *controls]
    data = frame[[group, time, *columns]].copy()
    for column in columns:
        data[column] = pd.to_numeric(data[column].astype("Float64"), errors="coerce")
    groups = pd.Index(pd.unique(data[group])).sort_values()
    periods = pd.Index(pd.unique(data[time])).sort_values()
    d = _table(data, group, time, treatment, groups, periods)
    missing = np.isnan(d)
    if missing.any():
        raise MissingTreatmentError(
            f"the treatment {treatment!r} is missing (or the row is absent) for "
            f"{int(missing.sum())} group-period(s): "
            f"{_describe(groups.to_numpy(), periods.to_numpy(), missing)}. DID_l needs each "
            f"group's treatment in every period to know when it switches: fill the known "
            f"values or drop the groups")
    if np.unique(d).size < 2:
        raise ConstantTreatmentError(
            f"the treatment {treatment!r} takes a single value ({d.flat[0]:g}) in every group "
            f"and period: there are no switches to estimate effects from")
    y = _table(data, group, time, outcome, groups, periods)
    x = (np.stack([_table(data, group, time, c, groups, periods) for c in controls], axis=2)
         if controls else np.zeros((len(groups), len(periods), 0)))
    for j, column in enumerate(controls):
        gaps = np.isnan(x[:, :, j])
        if gaps.any():
            where = _describe(groups.to_numpy(), periods.to_numpy(), gaps)
            raise ValueError(f"the control {column!r} is missing for {int(gaps.sum())} "
                             f"group-period(s): {where}; DID_l with controls needs them in "
                             f"every period: fill them or drop the groups")
    cluster_codes = None
    if cluster is not None:
        per_group = frame[[group, cluster]].drop_duplicates()
        if per_group[group].duplicated().any() or per_group[cluster].isna().any():
            bad = per_group.loc[per_group[group].duplicated(keep=False), group].unique()[:5]
            raise ValueError(f"the cluster {cluster!r} must be one non-missing value per group; "
                             f"it varies or is missing in group(s) {list(bad)}: groups must be "
                             f"nested in clusters")
        labels = per_group.set_index(group)[cluster].reindex(groups)
        cluster_codes = _codes(labels.astype(str).to_numpy())
    panel = _design(groups.to_numpy(), periods.to_numpy(), y, d, x, tuple(controls),
                    cluster_codes, ())
    if (panel.first_switch == panel.n_periods).all():
        raise NoSwitchersError(
            f"no group's treatment {treatment!r} ever changes from its first-period value: "
            f"DID_l compares groups that switch with groups that have not yet switched")
    return _drop_unusable(panel)


def _truncate_crossings(panel: SwitchPanel) -> SwitchPanel:
    """Leave out each group's periods from the first one by which its treatment has been both
    above and below its baseline (the authors' rule: such periods mix increases and
    decreases)."""
    t = panel.treatment
    base = panel.baseline[:, None]
    crossed = (np.maximum.accumulate(t > base, axis=1)
               & np.maximum.accumulate(t < base, axis=1))
    if not crossed.any():
        return panel
    outcome = np.where(crossed, np.nan, panel.outcome)
    treatment = np.where(crossed, np.nan, t)
    controls = np.where(crossed[:, :, None], np.nan, panel.controls)
    note = (f"{int(crossed.any(axis=1).sum())} group(s) went both above and below their "
            f"baseline treatment: their {int(crossed.sum())} group-period(s) from the first "
            f"such crossing on were left out")
    return _design(panel.groups, panel.periods, outcome, treatment, controls,
                   panel.control_names, panel.cluster, (*panel.notes, note))


def _drop_unusable(panel: SwitchPanel) -> SwitchPanel:
    panel = _truncate_crossings(panel)
    code, first = panel.baseline_code, panel.first_switch
    uninformative = np.zeros(panel.n_groups, dtype=bool)
    for c in np.unique(code):
        members = code == c
        if np.unique(first[members]).size < 2:
            uninformative |= members
    if uninformative.any():
        values = ", ".join(f"{v:g}" for v in np.unique(panel.baseline[uninformative]))
        panel = panel.subset(~uninformative,
                             f"{int(uninformative.sum())} group(s) with baseline treatment "
                             f"{values} were dropped: all groups with that baseline switch at "
                             f"the same date (or never), so none can serve as a control")
    if not (panel.direction != NEITHER).any():
        raise NoSwitchersError(
            "no switcher is left with a not-yet-switched group of the same baseline treatment "
            "to compare with: " + "; ".join(panel.notes or ("no effect can be estimated",)))
    return panel


def uncontrolled_switchers(panel: SwitchPanel) -> np.ndarray:
    """Groups that switch when no group with their baseline treatment is still unswitched."""
    return (panel.first_switch < panel.n_periods) & (panel.direction == NEITHER)


def distinct_per_key(keys: np.ndarray, cluster: np.ndarray, n_keys: int) -> np.ndarray:
    """Number of distinct clusters per key (a presence table when it is small enough)."""
    width = int(cluster.max()) + 1
    codes = keys * width + cluster
    if n_keys * width <= 50_000_000:
        present = np.zeros(n_keys * width, dtype=bool)
        present[codes] = True
        return present.reshape(n_keys, width).sum(axis=1)
    return np.bincount(np.unique(codes) // width, minlength=n_keys)
