"""Table 12: the cadre survey — difficulties by dispatching level (ordered logit).

Reads ``data/cadre_survey.parquet`` beside the panel. Run alone with
``python replication/survey.py`` from the project root, or through ``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import econ

SEED = 20240501
REPS = 499
NEEDS = ()
SURVEY = Path(__file__).resolve().parent.parent / "data" / "cadre_survey.parquet"


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the survey tables; return the files written (the panel is not used)."""
    survey = econ.read_survey(SURVEY)
    notes = [econ.SIMULATED_LABEL] if survey.simulated else []
    result = econ.ordered_models(survey, reps=reps, seed=SEED)
    coefficients = result.coefficients
    written = econ.Table.from_frame(
        coefficients, digits=4,
        title="Table 12. Difficulties by dispatching level: ordered logit (reference: county)",
        notes=[*notes, f"Respondent bootstrap B = {reps}, seed {SEED}; Holm and Romano-Wolf "
                       f"adjust across the four difficulties; Cronbach's alpha of the four "
                       f"items {econ.survey_alpha(survey):.3f}."],
    ).write(output / "table12_survey_ordered_logit")
    written += econ.Table.from_frame(
        result.marginal_effects, digits=4,
        title="Table 13. Average marginal effects on P(difficulty >= 4) by level",
        notes=notes,
    ).write(output / "table13_survey_marginal_effects")
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
