"""Descriptive tables: summary statistics, the panel by period and village type, and who was
dispatched when.

Run alone with ``python replication/descriptives.py`` from the project root, or through
``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import econ

VARIABLES = ("assistance_funds", "projects", "collective_income", "income_per_capita",
             "industry_active")


SEED = None
REPS = None
NEEDS = ("unit_level", "endowment", "assistance_funds", "projects", "collective_income",
         "income_per_capita", "industry_active")


def main(*, panel: econ.Dataset, output: Path, reps: int | None = REPS) -> list[Path]:
    """Write tables 0-3 to ``output``; return the files written."""
    derived = econ.derive(panel)
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    written = econ.descriptive_table(
        derived, variables=(*VARIABLES, "endowment", "high_level", "rich"),
        title="Table 0. Summary statistics of the village panel (village-years)",
        notes=["Funds and collective income in 10,000 yuan; income per capita in yuan; "
               "high-level unit and rich village are shares."],
    ).write(output / "table0_summary_statistics")
    means = econ.describe_by(derived, by=("period", "typology"), variables=VARIABLES)
    means = means[["period", "typology", "village_years", "villages",
                   *(f"{v}_mean" for v in VARIABLES)]]
    written += econ.Table.from_frame(
        means,
        title="Table 1. Village-years, funds and outcomes by period and village type (means)",
        notes=[*notes, "Types: A municipal-or-higher unit and rich village; B county unit, "
               "rich; C county unit, poor; D municipal-or-higher, poor; (none) no team that "
               "year. Funds, collective income in 10,000 yuan; income per capita in yuan; "
               "industry_active is a share. Rich: baseline endowment above the median."],
    ).write(output / "table1_by_period_typology")
    levels = econ.count_by(derived, rows="year", columns="unit_level")
    written += econ.Table.from_frame(
        levels, index=True,
        title="Table 2. Villages by dispatching-unit level and year",
        notes=[*notes, "none: no resident team that year."],
    ).write(output / "table2_unit_levels_by_year")
    funds = econ.describe_by(derived, by=("period", "unit_level"),
                             variables=("assistance_funds",))
    written += econ.Table.from_frame(
        funds, title="Table 3. Assistance funds (10,000 yuan) by period and unit level",
        notes=notes,
    ).write(output / "table3_funds_by_period_level")
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
