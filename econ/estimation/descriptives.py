"""Descriptive statistics of a village panel by period, typology or any other grouping."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from econ.data.dataset import Dataset

#: Outcomes summarised by default, in table order, when present in the panel.
DEFAULT_VARIABLES = ("assistance_funds", "projects", "infrastructure_invest",
                     "collective_income", "income_per_capita", "industry_active",
                     "relapse_households")


def describe_by(
    panel: Dataset,
    *,
    by: Sequence[str] = ("period", "typology"),
    variables: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Village-years, villages, and the mean and standard deviation of each variable by group.

    Parameters
    ----------
    panel
        A validated (usually :func:`econ.derive`-d) panel.
    by
        Grouping columns; rows with a missing group value form their own ``"(none)"`` group so
        that every village-year is counted.
    variables
        Numeric or boolean columns to summarise; by default those of :data:`DEFAULT_VARIABLES`
        present in the panel.

    Returns
    -------
    pandas.DataFrame
        One row per group with ``village_years``, ``villages`` and ``<variable>_mean`` and
        ``<variable>_sd`` columns (booleans summarise as shares); a final ``All`` row.
    """
    data = panel.data
    absent = [c for c in (*by, *(variables or ())) if c not in data.columns]
    if absent:
        raise ValueError(f"describe_by: the panel has no column {absent}; available: "
                         f"{list(data.columns)}. Run econ.derive(panel) for derived variables.")
    names = [v for v in (variables or DEFAULT_VARIABLES) if v in data.columns]
    groups = {c: _with_none(data[c]) for c in by}
    values = data[names].astype("float64")
    frame = pd.concat([pd.DataFrame(groups), values, data["village_id"]], axis=1)
    grouped = frame.groupby(list(by), sort=True, observed=True)
    table = pd.DataFrame({"village_years": grouped.size(),
                          "villages": grouped["village_id"].nunique()})
    total: dict[str, float] = {"village_years": len(frame),
                               "villages": frame["village_id"].nunique()}
    for name in names:
        table[f"{name}_mean"] = grouped[name].mean()
        table[f"{name}_sd"] = grouped[name].std()
        total[f"{name}_mean"] = values[name].mean()
        total[f"{name}_sd"] = values[name].std()
    table = table.reset_index()
    all_row = {**{c: "All" for c in by}, **total}
    return pd.concat([table, pd.DataFrame([all_row])], ignore_index=True)


def count_by(panel: Dataset, *, rows: str = "year", columns: str = "unit_level") -> pd.DataFrame:
    """Village counts in a cross-tabulation (e.g. unit level by year), with a ``none`` column."""
    data = panel.data
    for name in (rows, columns):
        if name not in data.columns:
            raise ValueError(f"count_by: the panel has no column {name!r}")
    column_values = data[columns].astype(object).where(data[columns].notna(), "none")
    table = pd.crosstab(data[rows], column_values, margins=True, margins_name="All")
    order = [c for c in _category_order(data[columns]) if c in table.columns]
    rest = [c for c in table.columns if c not in order]
    return table[order + rest].rename_axis(index=rows, columns=columns)


def _with_none(series: pd.Series) -> pd.Series:
    """Missing group values become the group "(none)", listed after the categories."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.add_categories("(none)").fillna("(none)")
    return series.astype(object).where(series.notna(), "(none)")


def _category_order(series: pd.Series) -> list[object]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return list(series.cat.categories)
    return sorted(series.dropna().unique())


def summary_statistics(panel: Dataset, *,
                       variables: Sequence[str] | None = None) -> pd.DataFrame:
    """Count, mean, standard deviation, minimum, quartiles and maximum of each variable.

    Parameters
    ----------
    panel
        A validated (possibly :func:`econ.derive`-d) panel.
    variables
        Numeric or boolean columns; by default those of :data:`DEFAULT_VARIABLES` present.

    Returns
    -------
    pandas.DataFrame
        One row per variable: ``variable``, ``n`` (non-missing), ``missing``, ``mean``, ``sd``,
        ``min``, ``p25``, ``median``, ``p75``, ``max`` (booleans as 0/1, so the mean is a
        share).
    """
    data = panel.data
    names = list(variables or [v for v in DEFAULT_VARIABLES if v in data.columns])
    absent = [c for c in names if c not in data.columns]
    if absent:
        raise ValueError(f"summary_statistics: the panel has no column {absent}; available: "
                         f"{list(data.columns)}. Run econ.derive(panel) for derived variables.")
    not_numeric = [c for c in names if not (pd.api.types.is_numeric_dtype(data[c].dtype)
                                            or pd.api.types.is_bool_dtype(data[c].dtype))]
    if not_numeric:
        raise ValueError(f"summary_statistics needs numeric or boolean columns; {not_numeric} "
                         f"are not (use describe_by or count_by for categories)")
    rows = []
    for name in names:
        values = data[name].astype("float64")
        present = values.dropna()
        quartiles = present.quantile([0.25, 0.5, 0.75]).to_numpy()
        rows.append({"variable": name, "n": int(present.size),
                     "missing": int(values.size - present.size), "mean": present.mean(),
                     "sd": present.std(), "min": present.min(), "p25": quartiles[0],
                     "median": quartiles[1], "p75": quartiles[2], "max": present.max()})
    return pd.DataFrame(rows)
