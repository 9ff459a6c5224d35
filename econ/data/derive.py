"""The study's derived variables, defined once.

===================  =====================================================================
column               definition
===================  =====================================================================
``period``           ``"poverty_alleviation"`` (脱贫攻坚期) for years before ``post_year``,
                     ``"transition"`` (衔接过渡期) from ``post_year`` on.
``post``             ``year >= post_year`` (default 2021, the May 2021 re-dispatch).
``assisted``         the village has a dispatching unit that year (``unit_level`` present).
``high_level``       ``unit_level`` municipal or above (municipal, provincial, central);
                     ``False`` for county and township units and for unassisted village-years.
``baseline_endowment`` the village's mean ``endowment`` over years before ``post_year`` (its
                     first observed year's value if it has none), so ``rich`` cannot respond
                     to the transition itself.
``rich``             ``baseline_endowment`` above the median across villages (each village
                     counted once), or above ``rich_threshold`` when given.
``typology``         A (high level, rich), B (county or township unit, rich), C (county or
                     township unit, poor), D (high level, poor); missing when unassisted.
``demonstration``    ``year >= demonstration_year`` (designated and after).
``event_time``       ``year - demonstration_year``; missing for never-designated villages.
``designation_cell`` ``"<demonstration_year>:<event_time>"`` for designated village-years,
                     missing otherwise: the cohort-by-year-since-designation cell the study
                     designs control for (designation's effect grows with time since it and
                     differs by cohort).
===================  =====================================================================

The designs call :func:`ensure_derived`: a panel is derived once, and again only when it lacks a
derived column or was derived with another ``post_year``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from econ.data.dataset import Dataset
from econ.data.schema import HIGH_LEVELS

POST_YEAR = 2021
TYPOLOGY = ("A", "B", "C", "D")
#: Columns :func:`derive` adds.
DERIVED_COLUMNS = ("period", "post", "assisted", "high_level", "baseline_endowment", "rich",
                   "typology", "event_time", "demonstration", "designation_cell")
PERIODS = ("poverty_alleviation", "transition")


def derive(
    panel: Dataset,
    *,
    post_year: int = POST_YEAR,
    rich_threshold: float | None = None,
) -> Dataset:
    """Add the derived study variables (see the module table) to a validated panel.

    Parameters
    ----------
    panel
        A panel from :func:`econ.read_panel` or :func:`econ.simulate`.
    post_year
        First year of the transition period.
    rich_threshold
        ``rich`` means ``baseline_endowment > rich_threshold``; by default the median across
        villages.

    Returns
    -------
    Dataset
        A new dataset with the derived columns; ``derived`` records each definition used.

    Raises
    ------
    ValueError
        If a column a derivation needs is absent, naming the column and the variables that need
        it.
    """
    data = panel.data
    needs = {"unit_level": "high_level, typology", "endowment": "rich, typology"}
    missing = [f"{c!r} (needed for {v})" for c, v in needs.items() if c not in data.columns]
    if missing:
        raise ValueError(
            f"cannot derive the study variables: the panel has no column {', '.join(missing)}. "
            f"Load a panel with these columns or pass mapping= to read_panel."
        )
    year = data["year"].astype("int64")
    post = pd.Series(year >= post_year, dtype="boolean")
    period = pd.Categorical(np.where(post, PERIODS[1], PERIODS[0]), categories=PERIODS,
                            ordered=True)
    level = data["unit_level"]
    assisted = pd.Series(level.notna(), dtype="boolean")
    high = pd.Series(level.isin(HIGH_LEVELS).to_numpy(), dtype="boolean")

    baseline = _baseline_endowment(data, year, post_year)
    if baseline.isna().any():
        villages = data.loc[baseline.isna(), "village_id"].unique()
        raise ValueError(
            f"cannot derive 'rich': {len(villages)} village(s) have no endowment in any year, "
            f"for example {list(villages[:5])}. Fill 'endowment' for them."
        )
    threshold = (float(baseline.groupby(data["village_id"]).first().median())
                 if rich_threshold is None else float(rich_threshold))
    rich = pd.Series(baseline.to_numpy() > threshold, dtype="boolean")

    codes = np.where(high, np.where(rich, 0, 3), np.where(rich, 1, 2))
    codes = np.where(assisted, codes, -1)
    typology = pd.Categorical.from_codes(codes, categories=pd.Index(list(TYPOLOGY)))

    columns: dict[str, pd.Series] = {
        "period": pd.Series(period, index=data.index),
        "post": post,
        "assisted": assisted,
        "high_level": high,
        "baseline_endowment": baseline,
        "rich": rich,
        "typology": pd.Series(typology, index=data.index),
    }
    rule = "median across villages" if rich_threshold is None else "user threshold"
    notes = {
        "period": f"poverty_alleviation before {post_year}, transition from {post_year}",
        "post": f"year >= {post_year}",
        "assisted": "unit_level present",
        "high_level": "unit_level in " + "/".join(HIGH_LEVELS),
        "baseline_endowment": f"village mean endowment over years < {post_year}",
        "rich": f"baseline_endowment > {threshold:.6g} ({rule})",
        "typology": "A high&rich, B low&rich, C low&poor, D high&poor; missing if unassisted",
    }
    if "demonstration_year" in data.columns:
        designated = data["demonstration_year"].astype("Int64")
        columns["event_time"] = (year - designated).astype("Int64")
        after = (year >= designated).fillna(False).astype("boolean")
        columns["demonstration"] = after
        cell = (designated.astype("string") + ":" + columns["event_time"].astype("string"))
        columns["designation_cell"] = cell.where(after.to_numpy(dtype=bool), pd.NA)
        notes["event_time"] = "year - demonstration_year"
        notes["demonstration"] = "year >= demonstration_year"
        notes["designation_cell"] = "demonstration_year:event_time when designated"
    _check_collisions(panel, columns)
    return panel.with_columns(columns, notes)


def _check_collisions(panel: Dataset, columns: dict[str, pd.Series]) -> None:
    """Refuse to overwrite a column of the user's that has a derived variable's name but other
    values (a panel carrying its own ``high_level``); equal values (a derived panel saved and
    read back) are simply replaced."""
    clashes = []
    for name, values in columns.items():
        if name not in panel.data.columns or name in panel.derived:
            continue
        own, new = panel.data[name], values
        missing = own.isna().to_numpy()
        both = ~missing & ~new.isna().to_numpy()
        differ = int((missing != new.isna().to_numpy()).sum()) + int(
            (own[both].astype(str).to_numpy() != new[both].astype(str).to_numpy()).sum())
        if differ:
            clashes.append(f"{name!r} ({differ} row(s) differ from the derived definition)")
    if clashes:
        raise ValueError(
            f"the panel has its own column(s) {', '.join(clashes)} with the name of a derived "
            f"study variable; econ.derive would replace them. Rename them when loading "
            f"(read_panel(..., mapping={{'your column': 'another_name'}})) or drop them, and "
            f"see econ.derive for the definitions")


def ensure_derived(panel: Dataset, *, post_year: int = POST_YEAR) -> Dataset:
    """``panel`` if it already has the derived variables for ``post_year``, else
    :func:`derive` applied to it (the rule every study design follows)."""
    made = panel.derived.get("post")
    expected = [c for c in DERIVED_COLUMNS[:7] if c not in panel.data.columns]
    if made == f"year >= {post_year}" and not expected and (
            "demonstration_year" not in panel.data.columns
            or "designation_cell" in panel.data.columns):
        return panel
    return derive(panel, post_year=post_year)


def _baseline_endowment(data: pd.DataFrame, year: pd.Series, post_year: int) -> pd.Series:
    village = data["village_id"]
    endowment = data["endowment"].astype("float64")
    before = endowment.where(year < post_year)
    pre_mean = before.groupby(village).transform("mean")
    first = endowment.groupby(village).transform("first")
    return pre_mean.fillna(first).rename("baseline_endowment")
