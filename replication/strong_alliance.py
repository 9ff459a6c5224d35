"""Table 4 and 5: the strong-alliance triple difference, and changes by village type and level.

Run alone with ``python replication/strong_alliance.py`` from the project root, or through
``econ replicate`` (``--reps`` sets the bootstrap replications).
"""

from __future__ import annotations

from pathlib import Path

import econ

SEED = 20240501


def main(*, panel: econ.Dataset, output: Path, reps: int = 9999) -> list[Path]:
    """Write the triple-difference and heterogeneity tables; return the files written."""
    bootstrap = econ.WildBootstrap(reps=reps, seed=SEED)
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    design = econ.strong_alliance(panel, bootstrap=bootstrap)
    columns = ["effect", "coefficient", "estimate", "std_error", "p_cluster", "p_bootstrap",
               "boot_conf_low", "boot_conf_high", "expected_sign", "nobs"]
    written = econ.Table.from_frame(
        design.tidy()[columns], digits=4,
        title="Table 4. Strong alliance: unit level x endowment x transition",
        notes=[*notes, *design.notes, f"Standard errors clustered by township (CR1); wild "
               f"cluster bootstrap WCR11, Rademacher, B = {reps}, seed {SEED}."],
    ).write(output / "table4_strong_alliance")
    for by, number in (("typology", 5), ("unit_level", 6)):
        result = econ.heterogeneity(panel, by=by, bootstrap=bootstrap)
        what = "village type" if by == "typology" else "unit level"
        written += econ.Table.from_frame(
            result.tidy()[columns[:-2]], digits=4,
            title=f"Table {number}. Change in funds after 2021 by {what}",
            notes=[*notes, *result.effects.notes,
                   f"Equal effects: CR1 F test p = {result.equality.pvalue:.4g}; wild "
                   f"bootstrap Wald p = {result.equality_bootstrap.pvalue:.4g}."],
        ).write(output / f"table{number}_change_by_{by}")
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
