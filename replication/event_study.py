"""Figure 1: the event study of the level x endowment gradient around 2021.

Writes the figure (PNG, PDF) and its data (year, estimate, pointwise and uniform bounds) with
the bootstrap pre-trend test. Run alone from the project root or through ``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import econ

SEED = 20240501
REPS = 9999
NEEDS = ("unit_level", "endowment", "assistance_funds", "unit_strength", "demonstration_year")
SECONDS = 1.0  # on the shipped panel: orders a first run (econ.replication.Script)


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the event-study path; return the files written."""
    bootstrap = econ.WildBootstrap(reps=reps, seed=SEED)
    study = econ.gradient_event_study(panel, bootstrap=bootstrap, seed=SEED)
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    pretrend = study.pretrend
    notes += [f"Reference year {study.reference}; uniform band: sup-t critical value "
              f"{study.band_critical_value:.3f}; pre-trend wild bootstrap Wald p = "
              f"{pretrend.pvalue:.4g} (B = {pretrend.reps}, seed {SEED})."]
    written = econ.Table.from_frame(
        study.to_frame().rename(columns={"period": "year"}), digits=4, labels=("year",),
        header=econ.variable_label,
        intervals={"conf_low": "conf_high", "band_low": "band_high"},
        title="Figure 1 data. Level x endowment gradient by year (event study)", notes=notes,
    ).write(output / "figure1_event_study_data", width="shrink")
    chart = econ.event_study_plot(
        study, onset=study.reference + 0.5,
        ylabel="Gradient on log(1 + funds)",
        title=f"Figure 1. Unit level x endowment gradient by year (relative to "
              f"{study.reference})")
    return written + chart.save(output / "figure1_event_study")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
