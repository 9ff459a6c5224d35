"""Tables 4-6 and Figures 3-4: the strong-alliance triple difference across specifications,
changes by village type and level, and the bootstrap distribution behind the main test.

Run alone with ``python replication/strong_alliance.py`` from the project root, or through
``econ replicate`` (``--reps`` sets the bootstrap replications).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import econ

SEED = 20240501
REPS = 9999
NEEDS = ("unit_level", "endowment", "assistance_funds", "unit_strength", "demonstration_year")
TERMS = ("level:endow:post", "endow:post", "level:post", "level", "level:endow")
LABELS = {"level:endow:post": "Unit level × Endowment × Post-2021 (strong alliance)",
          "level": "Unit level"}
TYPES = {"A": "A: high level, rich", "B": "B: county, rich", "C": "C: county, poor",
         "D": "D: high level, poor"}
SPECIFICATIONS = (("binary", "continuous", "High-level unit, endowment"),
                  ("ordered", "continuous", "Level rank, endowment"),
                  ("binary", "binary", "High-level unit, rich village"))


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the triple-difference tables and figures; return the files written."""
    # The draws feed Figure 4, the bootstrap distribution behind the triple-difference test.
    bootstrap = econ.WildBootstrap(reps=reps, seed=SEED, keep_draws=True)
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    designs = [econ.strong_alliance(panel, unit_rank=rank, endowment=endowment,
                                    bootstrap=bootstrap)
               for rank, endowment, _ in SPECIFICATIONS]
    design = designs[0]
    columns = ["effect", "coefficient", "estimate", "std_error", "p_cluster", "p_bootstrap",
               "boot_conf_low", "boot_conf_high", "expected_sign", "nobs"]
    written = econ.Table.from_frame(
        design.tidy()[columns], digits=4,
        title="Table 4. Strong alliance: unit level x endowment x transition",
        notes=[*notes, *design.notes, f"Standard errors clustered by township (CR1); wild "
               f"cluster bootstrap WCR11, Rademacher, B = {reps}, seed {SEED}."],
    ).write(output / "table4_strong_alliance")
    models = [econ.Model(d["triple_difference"].regression, title=title,
                         bootstrap=[d[name].bootstrap for name in
                                    ("gradient_change", "level_effect", "triple_difference")])
              for d, (_, _, title) in zip(designs, SPECIFICATIONS, strict=True)]
    written += econ.etable(
        models, keep=[f"^{t}$" for t in TERMS], labels=LABELS, stars_from="bootstrap",
        title="Table 4b. The triple difference across specifications",
        notes=["Village and year fixed effects; controls: resident team, strong unit, "
               "designation by cohort and year."],
    ).write(output / "table4b_strong_alliance_specifications", formats=("md", "tex", "html"))
    for by, number in (("typology", 5), ("unit_level", 6)):
        result = econ.heterogeneity(panel, by=by, bootstrap=bootstrap)
        what = "village type" if by == "typology" else "unit level"
        tidy = result.tidy()
        written += econ.Table.from_frame(
            tidy[columns[:-2]], digits=4,
            title=f"Table {number}. Change in funds after 2021 by {what}",
            notes=[*notes, *result.effects.notes,
                   f"Equal effects: CR1 F test p = {result.equality.pvalue:.4g}; wild "
                   f"bootstrap Wald p = {result.equality_bootstrap.pvalue:.4g}."],
        ).write(output / f"table{number}_change_by_{by}")
        if by == "typology":
            intervals = pd.concat([
                tidy.assign(interval="CR1 95% CI"),
                tidy.assign(interval="Wild bootstrap 95% CI", conf_low=tidy["boot_conf_low"],
                            conf_high=tidy["boot_conf_high"])])
            chart = econ.coefficient_plot(
                intervals, term="effect", group="interval", labels=TYPES,
                simulated=panel.simulated,
                xlabel="Change in log(1 + funds) after 2021",
                title="Figure 3. Change in funds after 2021 by village type")
            written += chart.save(output / "figure3_change_by_typology")
    chart = econ.bootstrap_distribution_plot(
        design["triple_difference"].bootstrap, simulated=panel.simulated,
        title="Figure 4. Wild bootstrap t statistics of the triple difference")
    return written + chart.save(output / "figure4_bootstrap_triple_difference")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
