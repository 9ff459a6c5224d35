"""``econ validate`` reports readiness per study design and replication step, fails on a panel
that no design can use, and takes header and value mappings from the command line."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from econ.cli import main
from econ.data.dataset import Dataset
from econ.data.io import read_panel, write_panel
from econ.replication import replicate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def panel() -> Dataset:
    full = read_panel(ROOT / "data" / "village_panel.parquet")
    # Eight villages (four of them ever designated) keep the files small and the runs quick.
    data = full.data
    designated = data["demonstration_year"].notna()
    villages = [*data.loc[designated, "village_id"].unique()[:4],
                *data.loc[~designated, "village_id"].unique()[:4]]
    return Dataset(full.data[full.data["village_id"].isin(villages)], simulated=True)


def _csv(panel: Dataset, path: Path, *, rename: dict[str, str] | None = None,
         drop: tuple[str, ...] = (), replace: tuple[str, str] | None = None) -> Path:
    write_panel(Dataset(panel.data.drop(columns=list(drop)), simulated=True), path,
                encoding="gbk", chinese_headers=True)
    text = path.read_text(encoding="gbk")
    header, body = text.split("\n", 1)
    for old, new in (rename or {}).items():
        header = header.replace(old, new)
    if replace is not None:
        body = body.replace(*replace)
    path.write_text(header + "\n" + body, encoding="gbk")
    return path


def _run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["validate", *args, "--root", str(ROOT)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_an_unrecognised_unit_level_header_fails_and_names_the_mapping(tmp_path, panel, capsys):
    path = _csv(panel, tmp_path / "台账.csv", rename={"派出单位层级": "帮扶单位级别"})
    code, out, err = _run(capsys, str(path))
    assert code == 1
    assert "ready for no study design (lacking unit_level" in err and "--map" in err
    assert "NOT READY  strong_alliance       lacks unit_level" in out
    assert "'帮扶单位级别' looks like it" in out and "--map '帮扶单位级别=unit_level'" in out
    assert "skipped    strong_alliance       lacks unit_level" in out  # the replication step
    # The mapping it names, given inline, makes the same file ready.
    code, out, err = _run(capsys, str(path), "--map", "帮扶单位级别=unit_level",
                          "--for", "strong_alliance")
    assert code == 0, err
    assert "帮扶单位级别 -> unit_level" in out
    assert "ready      strong_alliance" in out and "runs       strong_alliance" in out


def test_for_requires_the_named_designs_and_steps(tmp_path, panel, capsys):
    path = _csv(panel, tmp_path / "p.csv", drop=("collective_income", "industry_active"))
    code, out, err = _run(capsys, str(path))
    assert code == 0  # ready for most designs: the others are listed, not fatal
    assert "NOT READY  efficiency            lacks collective_income" in out
    assert "skipped    descriptives          lacks collective_income, industry_active" in out
    code, out, err = _run(capsys, str(path), "--for", "strong_alliance", "descriptives")
    assert code == 1
    assert "step descriptives (lacks collective_income, industry_active)" in err
    assert "strong_alliance" not in err
    code, _, err = _run(capsys, str(path), "--for", "efficiency")
    assert code == 1 and "efficiency (lacks collective_income)" in err
    code, _, _ = _run(capsys, str(path), "--for", "heterogeneity", "inequality")
    assert code == 0
    code, _, err = _run(capsys, str(path), "--for", "strong_aliance")
    assert code == 2 and "not a study design or replication step" in err


def test_value_mappings_inline_and_from_files(tmp_path, panel, capsys):
    path = _csv(panel, tmp_path / "p.csv", rename={"派出单位层级": "帮扶单位级别"},
                replace=(",county,", ",区直,"))
    code, _, err = _run(capsys, str(path), "--map", "帮扶单位级别=unit_level")
    assert code == 1 and "'区直'" in err and "--map COLUMN:VALUE=ALLOWED" in err
    code, out, err = _run(capsys, str(path), "--map", "帮扶单位级别=unit_level",
                          "--map", "帮扶单位级别：区直=county")  # full-width colon
    assert code == 0, err
    assert "recoded unit_level: 区直 -> county" in out
    files = {
        "m.json": json.dumps({"columns": {"帮扶单位级别": "unit_level"},
                              "values": {"unit_level": {"区直": "county"}}},
                             ensure_ascii=False),
        "m.toml": '[columns]\n"帮扶单位级别" = "unit_level"\n\n[values.unit_level]\n'
                  '"区直" = "county"\n',
        "m.yaml": "mapping:\n  帮扶单位级别: unit_level\nvalue_mapping:\n  unit_level:\n"
                  "    区直: county\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        code, out, err = _run(capsys, str(path), "--mapping", str(tmp_path / name))
        assert code == 0, (name, err)
        assert "recoded unit_level: 区直 -> county" in out


def test_a_bad_mapping_is_a_usage_error_naming_line_or_key(tmp_path, panel, capsys):
    path = _csv(panel, tmp_path / "p.csv")
    bad = tmp_path / "bad.toml"
    bad.write_text('[columns]\n帮扶单位级别 = "unit_level"\n', encoding="utf-8")
    code, _, err = _run(capsys, str(path), "--mapping", str(bad))
    assert code == 2 and "line 2" in err and "needs quotes" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"columns": {"a": "unit_level",}}', encoding="utf-8")
    code, _, err = _run(capsys, str(path), "--mapping", str(bad))
    assert code == 2 and "not valid JSON" in err and "line 1" in err
    bad.write_text('{"columns": {"a": "unit_levle"}, "valeus": {}}', encoding="utf-8")
    code, _, err = _run(capsys, str(path), "--mapping", str(bad))
    assert code == 2
    assert "did you mean 'unit_level'" in err and "unknown section 'valeus'" in err
    code, _, err = _run(capsys, str(path), "--map", "帮扶单位级别")
    assert code == 2 and "expected HEADER=COLUMN" in err
    code, _, err = _run(capsys, str(path), "--mapping", str(tmp_path / "absent.yaml"))
    assert code == 2 and "no mapping file" in err


def test_fit_takes_the_mapping(tmp_path, panel, capsys):
    path = _csv(panel, tmp_path / "p.csv", rename={"派出单位层级": "帮扶单位级别"})
    formula = "assistance_funds ~ high_level:post | village_id + year"
    assert main(["fit", formula, str(path)]) == 2  # derive names the missing unit_level
    assert "unit_level" in capsys.readouterr().err
    assert main(["fit", formula, str(path), "--map", "帮扶单位级别=unit_level"]) == 0
    assert "high_level:post" in capsys.readouterr().out


def test_survey_readiness(capsys):
    code = main(["validate", str(ROOT / "data" / "cadre_survey.parquet"), "--survey"])
    out = capsys.readouterr().out
    assert code == 0
    assert "ready      ordered_models" in out and "replication steps" not in out


@pytest.mark.skipif("mapping" not in inspect.signature(replicate).parameters,
                    reason="econ.replication.replicate takes no mapping yet (the patch in "
                           "helpers/reports/ownpanel-replication.patch)")
def test_replicate_takes_the_mapping(tmp_path, panel, capsys, monkeypatch):
    path = _csv(panel, tmp_path / "p.csv", rename={"派出单位层级": "帮扶单位级别"},
                replace=(",county,", ",区直,"))
    monkeypatch.chdir(ROOT)
    args = ["replicate", "--panel", str(path), "--steps", "descriptives",
            "--output", str(tmp_path / "out")]
    assert main(args) == 1  # the unit level is not recognised: the step is skipped
    assert main([*args, "--map", "帮扶单位级别=unit_level", "--map", "unit_level:区直=county"]) == 0
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["steps"][0]["status"] == "done"
    assert manifest["input"]["mapping"] == {"帮扶单位级别": "unit_level"}
    capsys.readouterr()


def test_a_broken_replication_script_does_not_stop_validation(tmp_path, panel, capsys):
    scripts = tmp_path / "root" / "replication"
    scripts.mkdir(parents=True)
    (scripts / "broken.py").write_text("def main(:\n", encoding="utf-8")
    (scripts / "needs_more.py").write_text(
        "SEED = None\nREPS = None\nNEEDS = ('relapse_households', 'population')\n"
        "def main(*, panel, output, reps):\n    return []\n", encoding="utf-8")
    path = _csv(panel, tmp_path / "p.csv", drop=("population",))
    code = main(["validate", str(path), "--root", str(tmp_path / "root")])
    out = capsys.readouterr().out
    assert code == 0
    assert "unknown    broken                script cannot be loaded (SyntaxError" in out
    assert "skipped    needs_more            lacks population" in out
