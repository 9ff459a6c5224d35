"""Table 9: returns of funds and survival of industries by village type.

Run alone with ``python replication/efficiency.py`` from the project root, or through
``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import econ

SEED = 20240501
REPS = 9999
NEEDS = ("unit_level", "endowment", "assistance_funds", "collective_income", "income_per_capita")


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the efficiency tables; return the files written."""
    result = econ.efficiency(panel, bootstrap=econ.WildBootstrap(reps=reps, seed=SEED))
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    tests = [f"Equal slopes ({r.outcome}): CR1 F p = {r.equality.pvalue:.4g}; wild bootstrap "
             f"Wald p = {r.equality_bootstrap.pvalue:.4g} (B = {reps}, seed {SEED})."
             for r in result.returns]
    written = econ.Table.from_frame(
        result.tidy()[["outcome", "type", "slope", "std_error", "p_value", "conf_low",
                       "conf_high"]], digits=4,
        title="Table 9. Returns of cumulative funds (log) on log outcomes by village type",
        notes=[*notes, "Village and year fixed effects; CR1 by township; types as of 2021.",
               *tests],
    ).write(output / "table9_returns_by_type")
    survival = result.survival
    written += econ.Table.from_frame(
        survival.table, digits=3,
        title="Table 10. Share of pre-2021 industries still active in the last year, by type",
        notes=[*notes, f"{survival.villages} villages; LPM (HC1), logit and probit fitted "
                       f"probabilities; equal shares (LPM) p = "
                       f"{survival.equality_lpm.pvalue:.4g}."],
    ).write(output / "table10_industry_survival")
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
