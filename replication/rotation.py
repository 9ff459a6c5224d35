"""Table 9 and Figures 6-7: the rotation design (de Chaisemartin-D'Haultfoeuille DID_l).

Effects on log(1 + funds) of a change in the dispatching unit's level from its 2021 level (the
2023 rotation), for moves to a higher-level and to a lower-level unit, for all villages and by
endowment (below / above the median), with placebos and the average effect per level of change.
Moves down are sign-flipped (effect per level gained). In the shipped SIMULATED panel a change of
rank includes gaining or losing a team. Table 11 and Figures 8-9: Rambachan-Roth sensitivity of
the first-year effect (all villages) to violations of parallel trends, with breakdown values.
Run alone from the project root or through ``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import econ

SEED = 20240501
REPS = None
NEEDS = ("unit_level", "endowment", "assistance_funds")


def main(*, panel: econ.Dataset, output: Path, reps: int | None = REPS) -> list[Path]:
    """Write the rotation design's table and event-study figures; return the files written."""
    design = econ.rotation_design(panel)
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    tidy = design.tidy()
    tidy = tidy[~tidy["is_reference"]]
    placebo = {key: study.pretrend.pvalue for key, study in design.studies.items()
               if study.pretrend is not None}
    averages = design.average_effects.assign(
        switchers=design.average_effects["switchers"].astype(int),
        placebo_p=[placebo.get((g, d), float("nan")) for g, d in
                   zip(design.average_effects["group"], design.average_effects["direction"],
                       strict=True)])
    direction = {"in": "to higher level", "out": "to lower level", "both": "either"}
    written = econ.Table.from_frame(
        tidy.assign(direction=tidy["direction"].map(direction))[
            ["group", "direction", "period", "estimate", "std_error", "conf_low",
             "conf_high"]],
        digits=4, labels=("group", "direction", "period"), intervals={"conf_low": "conf_high"},
        title="Table 9. Effect of a change in the dispatching unit's level (dCDH DID_l)",
        notes=[*notes,
               f"Outcome {design.outcome}, {design.years[0]}-{design.years[1]}; treatment the "
               f"unit's level as a rank (no team lowest); period l: l-th year from the first "
               f"change, -1: placebo; moves down sign-flipped (per level gained); standard "
               f"errors clustered by township; endowment groups split at the median "
               f"({design.threshold:.3f}).",
               *(f"{_name(g, d, direction)}: not estimated; {reason}"
                 for (g, d), reason in design.missing.items())],
    ).write(output / "table9_rotation_dcdh")
    written += econ.Table.from_frame(
        averages.assign(direction=averages["direction"].map(direction)),
        digits=4, labels=("group", "direction"), pvalues=("placebo_p",),
        title="Table 10. Average effect per level of change and placebo test (dCDH)",
        notes=[*notes, "Average total effect per unit of treatment (de Chaisemartin-"
                       "D'Haultfoeuille): effects weighted by switchers, over the average "
                       "change in level; placebo_p: Wald test that the placebo is zero."],
    ).write(output / "table10_rotation_average_effects")
    for number, move in ((6, "in"), (7, "out")):
        study = design.studies.get(("all", move))
        if study is None:
            continue
        # Period 0 is the last year before the change; the change happens in period 1.
        chart = econ.event_study_plot(
            study, onset=0.5, title=f"Figure {number}. Moving {direction[move]}: effect on "
                         f"{design.outcome} by year since the change (dCDH)")
        written += chart.save(output / f"figure{number}_rotation_{move}")
    written += _sensitivity(design, output, notes, direction)
    return written


def _sensitivity(design, output: Path, notes: list[str], direction: dict[str, str]
                 ) -> list[Path]:
    """Rambachan-Roth bounds on the first-year effect of each move (all villages)."""
    rows, written = [], []
    for number, move in ((8, "in"), (9, "out")):
        study = design.studies.get(("all", move))
        if study is None:
            continue
        magnitudes = econ.honest_did(study, restriction="relative magnitudes", seed=SEED)
        smooth = econ.honest_did(study, restriction="smoothness")
        for result in (magnitudes, smooth):
            rows.append({"move": direction[move], "restriction": result.restriction,
                         "estimate": result.estimate, "conf_low": result.original[0],
                         "conf_high": result.original[1], "breakdown": result.breakdown,
                         "searched_to": result.breakdown_upper})
        written += econ.sensitivity_plot(
            magnitudes, title=f"Figure {number}. Moving {direction[move]}: first-year effect "
                              f"as parallel trends is relaxed (relative magnitudes)"
        ).save(output / f"figure{number}_rotation_{move}_sensitivity")
    if rows:
        written += econ.Table.from_frame(
            pd.DataFrame(rows), digits=3, labels=("move", "restriction"),
            intervals={"conf_low": "conf_high"},
            header={"conf_low": "95% CI, parallel trends", "breakdown": "breakdown value",
                    "searched_to": "searched up to"},
            title="Table 11. Sensitivity of the first-year effect to parallel trends "
                  "(Rambachan-Roth breakdown values)",
            notes=[*notes, "breakdown: the smallest Mbar (relative magnitudes: post-period "
                           "violations up to Mbar times the largest pre-period change; "
                           "conditional least-favourable hybrid) or M (smoothness: the slope "
                           "of the violation changes by at most M per year; FLCI) at which "
                           "the 95% set contains 0 (inf: not reached up to the bound searched); "
                           "only one placebo year bounds the pre-period changes."],
        ).write(output / "table11_rotation_sensitivity")
    return written


def _name(group: str, move: str, direction: dict[str, str]) -> str:
    return f"{group}, {direction[move]}"


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
