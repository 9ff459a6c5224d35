"""Inequality of assistance between villages, by year and period, with a cluster bootstrap.

Each year's measures are computed over that year's villages; a period's value is the mean of
its years' values, and the change is transition minus poverty alleviation. All are bootstrapped
together by resampling clusters (townships by default) with replacement, so the intervals
respect the dependence within a township across villages and years.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from econ.data.dataset import Dataset
from econ.data.derive import PERIODS, ensure_derived
from econ.data.seeds import DEFAULT_SEED, Seed
from econ.estimation.inequality import MEASURE_NAMES, TheilKind, measures, theil_decompositions
from econ.inference.cluster_bootstrap import cluster_bootstrap
from econ.inference.resampling import CLUSTER_REPS
from econ.results.inequality import InequalityResult, tidy_table

UNASSIGNED = "unassisted"


def inequality(
    panel: Dataset,
    *,
    value: str = "assistance_funds",
    per_capita: bool = False,
    by_year: bool = True,
    groups: Sequence[str] = ("typology",),
    cluster: str = "township_id",
    reps: int = CLUSTER_REPS,
    seed: Seed = DEFAULT_SEED,
    chunk_size: int = 128,
    level: float = 0.95,
    missing_groups: Literal["drop", "group"] = "drop",
) -> InequalityResult:
    """Gini, Theil T/L, CV, top shares and Theil between-group shares, by year and period.

    Parameters
    ----------
    panel
        A village-year panel (derived variables are added if absent).
    value
        The allocation; divided by ``population`` when ``per_capita``.
    by_year
        Keep the yearly rows in the result (period rows and the change are always given).
    groups
        Columns to decompose Theil T and L by.
    missing_groups
        Rows with a missing group value (e.g. the typology of an unassisted village-year):
        ``"drop"`` leaves them out of the whole analysis (the count is in the notes);
        ``"group"`` keeps them as their own group, ``"unassisted"``.
    cluster, reps, seed, chunk_size, level
        The cluster bootstrap (see :func:`econ.inference.cluster_bootstrap.cluster_bootstrap`).

    Raises
    ------
    ValueError
        On missing or negative values, or a column the analysis needs being absent.
    """
    panel = ensure_derived(panel)
    data = panel.data
    if missing_groups not in ("drop", "group"):
        raise ValueError(f"missing_groups must be 'drop' or 'group', got {missing_groups!r}")
    needed = [value, cluster, "year", *groups, *(["population"] if per_capita else [])]
    absent = [c for c in needed if c not in data.columns]
    if absent:
        raise ValueError(f"the panel has no column(s) {absent}")
    notes = []
    lacking = data[list(groups)].isna().any(axis=1).to_numpy()
    if lacking.any() and missing_groups == "drop":
        data = data.loc[~lacking]
        notes.append(f"{int(lacking.sum())} village-year(s) with a missing "
                     f"{'/'.join(groups)} left out (missing_groups='drop').")
    elif lacking.any():
        notes.append(f"Missing group values form their own group, {UNASSIGNED!r}.")
    y = data[value].astype("float64").to_numpy()
    if per_capita:
        y = y / data["population"].astype("float64").to_numpy()
    missing = int(np.isnan(y).sum())
    if missing:
        raise ValueError(f"{missing} missing value(s) of {value!r}; drop or fill them first")
    years = data["year"].astype("int64").to_numpy()
    year_list = sorted(np.unique(years).tolist())
    period_of = data.groupby(data["year"].astype("int64"))["period"].first()
    with_l = bool(np.all(y > 0))
    names = [m for m in MEASURE_NAMES if with_l or m != "theil_l"]
    kinds: tuple[TheilKind, ...] = ("T", "L") if with_l else ("T",)
    names += [f"between_share_{k}[{g}]" for g in groups for k in kinds]
    labels = {g: data[g].astype(object).where(data[g].notna(), UNASSIGNED).astype(str)
              .to_numpy() for g in groups}
    masks = [years == t for t in year_list]

    def statistic(weights: np.ndarray) -> np.ndarray:
        out = []
        for mask in masks:
            w, v = weights[:, mask], y[mask]
            found = measures(v, w, theil_l_required=False).as_dict()
            cols: list[float | np.ndarray] = []
            for m in MEASURE_NAMES:
                if with_l or m != "theil_l":
                    found_m = found[m]
                    assert found_m is not None  # theil_l is None only if some value is not > 0
                    cols.append(found_m)
            for g in groups:
                cols += [found.between_share for found in theil_decompositions(
                    v, labels[g][mask], kinds=kinds, weights=w, allow_singletons=True)]
            out.append(np.column_stack(cols))
        return np.concatenate(out, axis=1)

    boot = cluster_bootstrap(statistic, data[cluster].to_numpy(), reps=reps, seed=seed,
                             chunk_size=chunk_size, level=level)
    m = len(names)
    est_year = boot.estimate.reshape(len(year_list), m)
    draws_year = boot.draws.reshape(reps, len(year_list), m)
    in_period = [np.array([period_of[t] == p for t in year_list]) for p in PERIODS]
    est_period = [est_year[sel].mean(axis=0) for sel in in_period]
    draws_period = [draws_year[:, sel].mean(axis=1) for sel in in_period]
    keys: list[tuple[str, str, str]] = []
    estimates, draws = [], []
    if by_year:
        for i, t in enumerate(year_list):
            keys += [("year", str(t), n) for n in names]
            estimates.append(est_year[i])
            draws.append(draws_year[:, i])
    for p, e, d in zip(PERIODS, est_period, draws_period, strict=True):
        keys += [("period", p, n) for n in names]
        estimates.append(e)
        draws.append(d)
    keys += [("change", f"{PERIODS[1]} - {PERIODS[0]}", n) for n in names]
    estimates.append(est_period[1] - est_period[0])
    draws.append(draws_period[1] - draws_period[0])
    table = tidy_table(keys, np.concatenate(estimates), np.concatenate(draws, axis=1), level)
    notes += [f"A period's value is the mean of its years' values; {value}"
             + (" per capita" if per_capita else "") + " across villages within each year."]
    if not with_l:
        notes.append("Theil L omitted: the values include zeros (Theil T allows them).")
    return InequalityResult(table, value, cluster, boot.clusters, reps, boot.seed, level,
                            tuple(notes), panel.simulated)
