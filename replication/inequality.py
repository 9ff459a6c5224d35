"""Table 11 and Figure 2: inequality of funds by period, the between-type share over time, and
Lorenz curves by period (figure and data).

Run alone with ``python replication/inequality.py`` from the project root, or through
``econ replicate`` (``--reps`` sets the township-bootstrap replicates).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import econ

SEED = 20240501
REPS = 999
NEEDS = ("unit_level", "endowment", "assistance_funds")
POINTS = np.linspace(0.0, 1.0, 21)


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the inequality tables and the Lorenz and between-share figure data."""
    result = econ.inequality(panel, reps=reps, seed=SEED)
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    table = result.tidy()
    written = econ.Table.from_frame(
        table[table["scope"] != "year"], digits=4,
        title="Table 11. Inequality of assistance funds by period and its change",
        notes=[*notes, *result.notes, f"Township cluster bootstrap, {result.reps} replicates, "
                                      f"seed {SEED}; percentile {result.level:.0%} intervals."],
    ).write(output / "table11_inequality")
    share = table[(table["scope"] == "year")
                  & table["measure"].str.startswith("between_share_T")]
    written += econ.Table.from_frame(
        share[["label", "estimate", "conf_low", "conf_high"]].rename(columns={"label": "year"}),
        digits=4, labels=("year",),
        title="Figure 2a data. Between-type share of Theil T inequality of funds by year",
        notes=notes,
    ).write(output / "figure2a_between_share_data")
    derived = econ.derive(panel)
    rows, curves = [], {}
    for period, frame in derived.data.groupby("period", observed=True):
        funds = frame.groupby("village_id", observed=True)["assistance_funds"].sum()
        population, share = econ.lorenz_curve(funds.to_numpy())
        # The legend says which years each curve covers and how unequal it is.
        name = str(period).replace("_", " ").capitalize()
        label = (f"{name} {frame['year'].min()}-{frame['year'].max()} "
                 f"(Gini {econ.gini(funds.to_numpy()):.3f})")
        curves[label] = (population, share)
        rows += [{"period": period, "population_share": p,
                  "funds_share": float(np.interp(p, population, share))} for p in POINTS]
    written += econ.Table.from_frame(
        pd.DataFrame(rows), digits=4,
        title="Figure 2b data. Lorenz curves of village funds (summed over each period)",
        notes=notes,
    ).write(output / "figure2b_lorenz_data")
    chart = econ.lorenz_plot(curves, simulated=panel.simulated,
                             title="Figure 2. Lorenz curves of village funds by period")
    return written + chart.save(output / "figure2_lorenz")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
