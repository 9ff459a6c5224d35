"""Issue 14, "done when": the README's quick start followed literally on a GBK CSV with Chinese
headers that lacks two optional columns (``collective_income`` and ``industry_active``) makes
every table whose columns are present and says which were skipped and why.

The file is the README's practice file (the SIMULATED panel written as GBK with Chinese headers)
without those two columns. The default test runs the shell quick start with the quick
replication steps; the slow one runs the Python quick start as printed and every replication
step.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from econ.cli import main
from econ.data.dataset import Dataset
from econ.data.io import read_panel, write_panel

ROOT = Path(__file__).resolve().parent.parent
LACKING = ("collective_income", "industry_active")
FORMULA = "assistance_funds ~ high_level:rich:post + rich:post | village_id + year"
#: Steps and the reason each is skipped on this panel (from the columns their scripts need).
SKIPPED = {"descriptives": "collective_income, industry_active",
           "efficiency": "collective_income"}


@pytest.fixture(scope="module")
def practice_file(tmp_path_factory) -> Path:
    """The README's ``示例面板.csv``, lacking two optional columns."""
    panel = read_panel(ROOT / "data" / "village_panel.parquet")
    path = tmp_path_factory.mktemp("own") / "示例面板.csv"
    write_panel(Dataset(panel.data.drop(columns=list(LACKING)), simulated=panel.simulated),
                path, encoding="gbk", chinese_headers=True)
    return path


def _replicate(capsys, monkeypatch, panel: Path, output: Path, *extra: str) -> tuple[int, str]:
    monkeypatch.chdir(ROOT)  # the README runs it from the project root
    code = main(["replicate", "--panel", str(panel), "--output", str(output), *extra])
    return code, capsys.readouterr().err


def _check_skips(code: int, err: str, output: Path, ran: list[str]) -> dict[str, dict]:
    assert code == 1  # data problems stopped some steps; the others ran
    steps = {s["step"]: s for s in json.loads((output / "manifest.json").read_text(
        encoding="utf-8"))["steps"]}
    for step, columns in SKIPPED.items():
        assert f"step {step} skipped: the panel has no column(s) {columns}" in err
        assert steps[step]["status"] == "skipped" and columns in steps[step]["reason"]
    for step in ran:
        assert steps[step]["status"] == "done", steps[step]
        assert steps[step]["outputs"], step
        for output_file in steps[step]["outputs"]:
            assert (output / output_file["file"]).is_file()
    assert "Traceback" not in err
    return steps


def test_the_shell_quick_start_on_an_own_gbk_panel(practice_file, tmp_path, capsys,
                                                     monkeypatch):
    # econ validate 示例面板.csv: loads, says which designs and steps lack what.
    assert main(["validate", str(practice_file), "--root", str(ROOT)]) == 0
    out = capsys.readouterr().out
    assert "(csv, gb18030)" in out and "村庄编码 -> village_id" in out
    assert "NOT READY  efficiency            lacks collective_income" in out
    for step, columns in SKIPPED.items():
        assert f"skipped    {step:<21} lacks {columns}" in out
    assert "runs       strong_alliance" in out and "ready      strong_alliance" in out

    # econ fit ... --cluster township_id --bootstrap high_level:rich:post
    assert main(["fit", FORMULA, str(practice_file), "--cluster", "township_id",
                 "--bootstrap", "high_level:rich:post", "--reps", "199"]) == 0
    out = capsys.readouterr().out
    assert "high_level:rich:post" in out and "bootstrap" in out.lower()
    # econ fit "..." --cluster township_id --format latex --language zh
    assert main(["fit", FORMULA, str(practice_file), "--cluster", "township_id",
                 "--format", "latex", "--language", "zh"]) == 0
    assert "\\begin{tabular" in capsys.readouterr().out

    # econ replicate --panel 示例面板.csv, with the quick steps and the two that are skipped.
    output = tmp_path / "output"
    code, err = _replicate(capsys, monkeypatch, practice_file, output, "--steps",
                           *SKIPPED, "inequality", "survey", "--reps", "99")
    _check_skips(code, err, output, ["inequality", "survey"])


@pytest.mark.slow
def test_the_python_quick_start_and_every_replication_step(practice_file, tmp_path, capsys,
                                                           monkeypatch):
    import econ

    # The README's Python quick start, as printed (bootstrap at its 9,999 draws).
    monkeypatch.chdir(tmp_path)
    panel = econ.read_panel(practice_file)
    study = econ.derive(panel)
    econ.descriptive_table(study, language="zh")
    fit = econ.feols("assistance_funds ~ high_level:rich:post + rich:post + high_level:post"
                     " | village_id + year", study, cov=econ.Cluster("township_id"))
    test = fit.wild_bootstrap("high_level:rich:post", econ.WildBootstrap(reps=9999, seed=1))
    assert 0 <= test.pvalue <= 1
    design = econ.strong_alliance(study)
    path = econ.gradient_event_study(study)
    written = econ.etable(design, title="Table 4").write("table4")
    written += econ.event_study_plot(path, title="Figure 1").save("figure1")
    assert all(Path(p).is_file() for p in written)

    # econ replicate --panel 示例面板.csv: every step whose columns are present.
    output = tmp_path / "output"
    code, err = _replicate(capsys, monkeypatch, practice_file, output)
    steps = [p.stem for p in sorted((ROOT / "replication").glob("*.py"))
             if not p.stem.startswith("_")]
    _check_skips(code, err, output, [s for s in steps if s not in SKIPPED])
