"""Regenerate the shipped SIMULATED data with a fixed seed.

Writes ``data/village_panel.parquet`` (the ``wp`` configuration: two counties, 2013-2025) and
``data/cadre_survey.parquet`` (124 resident cadres). Both files are flagged as simulated in their
parquet metadata, so every table and figure made from them carries the SIMULATED label. The
model and its true parameter values are in ``data/CODEBOOK.md``.

Run from anywhere: ``python data/make_data.py``.
"""

from __future__ import annotations

from pathlib import Path

import econ
from econ import SimulatedPanel, SimulatedSurvey, simulate

SEED = 20240501
HERE = Path(__file__).resolve().parent
PANEL_FILE = "village_panel.parquet"
SURVEY_FILE = "cadre_survey.parquet"


def build(seed: int = SEED) -> tuple[SimulatedPanel, SimulatedSurvey]:
    """The shipped panel and survey for ``seed``."""
    return simulate("wp", seed=seed), simulate.cadre_survey(124, seed=seed)


def main(folder: Path = HERE, *, seed: int = SEED) -> list[Path]:
    """Write both files into ``folder`` and return their paths."""
    panel, survey = build(seed)
    return [
        econ.write_panel(panel.dataset, folder / PANEL_FILE),
        econ.write_panel(survey.dataset, folder / SURVEY_FILE),
    ]


if __name__ == "__main__":
    for path in main():
        print(f"wrote {path} (SIMULATED)")
