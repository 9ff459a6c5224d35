"""The replication pipeline end to end on a small panel: outputs, manifest, byte-identical rerun."""

from __future__ import annotations

import ast
import gc
import hashlib
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

import econ
from econ import replication
from econ.cli import main
from econ.replication import find_steps, replicate

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path, raw_panel) -> Path:
    shutil.copytree(ROOT / "replication", tmp_path / "replication",
                    ignore=shutil.ignore_patterns("output", "__pycache__"))
    (tmp_path / "data").mkdir()
    econ.write_panel(econ.read_panel(raw_panel), tmp_path / "data" / "village_panel.parquet")
    return tmp_path


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.name != "manifest.json"}


def test_replicate_writes_tables_and_a_complete_manifest(project):
    (project / "replication" / "tiny.py").write_text(
        "from pathlib import Path\n\nSEED = 5\nREPS = 7\nNEEDS = ()\n\n\n"
        "def main(*, panel, output: Path, reps: int = REPS) -> list[Path]:\n"
        "    path = output / 'tiny.txt'\n"
        "    path.write_text(f'{len(panel)} rows, {reps} reps, seed {SEED}\\n')\n"
        "    return [path]\n", encoding="utf-8")
    manifest_path = replicate(root=project, steps=["descriptives", "tiny"]).manifest
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    tiny = manifest["steps"][1]
    assert (tiny["seed"], tiny["reps"]) == (5, 7)  # the script's own seed and default, recorded
    assert (manifest["steps"][0]["seed"], manifest["steps"][0]["reps"]) == (None, None)
    files = {o["file"] for s in manifest["steps"] for o in s["outputs"]}
    assert "table1_by_period_typology.tex" in files and "table2_unit_levels_by_year.md" in files
    assert set(manifest["versions"]) >= {"econ", "numpy", "pandas", "python"}
    assert len(manifest["input"]["sha256"]) == 64
    assert manifest["input"]["simulated"] is False
    first = _contents(manifest_path.parent)
    replicate(root=project, steps=["descriptives", "tiny"])
    assert _contents(manifest_path.parent) == first
    # --reps reaches the steps that bootstrap, and only those.
    manifest = json.loads(replicate(root=project, steps=["descriptives", "tiny"], reps=3)
                          .manifest.read_text(encoding="utf-8"))
    assert [s["reps"] for s in manifest["steps"]] == [None, 3]


def test_steps_missing_columns_are_skipped_and_data_problems_recorded(project, capsys):
    """A panel without unit_strength or demonstration_year: the steps that need them are
    skipped with the reason, a step stopped by a data problem is recorded as failed, the others
    run, the manifest is written, and the command exits 1."""
    (project / "replication" / "broken.py").write_text(
        "SEED = None\nREPS = None\nNEEDS = ()\n\n\n"
        "def main(*, panel, output, reps=None):\n"
        "    raise ValueError('column x has a problem')\n", encoding="utf-8")
    thin = econ.read_panel(project / "data" / "village_panel.parquet").data.drop(
        columns=["unit_strength", "demonstration_year"])
    econ.write_panel(econ.Dataset(thin), project / "thin.parquet")
    run = replicate(root=project, panel_path=project / "thin.parquet",
                    steps=["descriptives", "strong_alliance", "broken"])
    assert run.incomplete == {
        "strong_alliance": "skipped: the panel has no column(s) unit_strength, "
                           "demonstration_year",
        "broken": "failed: column x has a problem"}
    steps = json.loads(run.manifest.read_text(encoding="utf-8"))["steps"]
    assert [(s["step"], s["status"]) for s in steps] == [
        ("descriptives", "done"), ("strong_alliance", "skipped"), ("broken", "failed")]
    assert main(["replicate", "--root", str(project), "--panel", str(project / "thin.parquet"),
                 "--steps", "descriptives", "strong_alliance"]) == 1
    assert "step strong_alliance skipped: the panel has no column(s) unit_strength" in (
        capsys.readouterr().err)


def test_a_script_must_declare_its_seed_and_replications(project):
    (project / "replication" / "undeclared.py").write_text(
        "NEEDS = ()\n\n\ndef main(*, panel, output, reps=None):\n    return []\n",
        encoding="utf-8")
    with pytest.raises(TypeError, match=r"undeclared.py must declare SEED"):
        replicate(root=project, steps=["undeclared"])


def test_full_replication_on_the_shipped_panel_is_byte_identical(tmp_path):
    shutil.copytree(ROOT / "replication", tmp_path / "replication",
                    ignore=shutil.ignore_patterns("output", "__pycache__"))
    shutil.copytree(ROOT / "data", tmp_path / "data")
    manifest_path = replicate(root=tmp_path, reps=49).manifest
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    steps = [s["step"] for s in manifest["steps"]]
    assert steps == list(find_steps(ROOT / "replication"))  # every script, in name order
    assert {"descriptives", "efficiency", "event_study", "few_clusters", "inequality", "ppml",
            "staggered", "strong_alliance", "survey"} <= set(steps)
    assert all(s["status"] == "done" for s in manifest["steps"]), manifest["steps"]
    assert manifest["input"]["simulated"] is True and manifest["bootstrap_reps"] == 49
    assert manifest["versions"]["matplotlib"]
    seeds = {s["step"]: s["seed"] for s in manifest["steps"]}
    assert seeds["strong_alliance"] == 20240501 and seeds["descriptives"] is None
    reps = {s["step"]: s["reps"] for s in manifest["steps"]}
    assert reps["strong_alliance"] == 49 and reps["descriptives"] is None
    first = _contents(manifest_path.parent)
    recorded = {o["file"]: o["sha256"] for s in manifest["steps"] for o in s["outputs"]}
    assert set(recorded) == set(first)
    assert all(hashlib.sha256(first[f]).hexdigest() == h for f, h in recorded.items())
    for stem in ("figure1_event_study", "figure2_lorenz", "figure3_change_by_typology",
                 "figure4_bootstrap_triple_difference", "figure5_designation_event_study",
                 "figure6_few_clusters"):
        assert first[f"{stem}.png"].startswith(b"\x89PNG") and first[f"{stem}.pdf"][:4] == b"%PDF"
    for table in ("table0_summary_statistics", "table4b_strong_alliance_specifications"):
        assert {f"{table}.tex", f"{table}.html", f"{table}.md"} <= set(first)
    for name, content in first.items():
        if name.endswith((".md", ".tex", ".html")):
            assert "SIMULATED DATA" in content.decode(), name
    # Again in this process, one step after another: the same bytes as the worker processes.
    replicate(root=tmp_path, reps=49, workers=1)
    assert _contents(manifest_path.parent) == first


def _worker_state() -> tuple[bool, int, bool, str | None]:
    return ({"matplotlib.figure", "econ.results.regression"} <= set(sys.modules),
            gc.get_freeze_count(), gc.isenabled(), os.environ.get(replication._SERVER_FLAG))


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                    reason="workers are spawned where there is no fork server")
def test_workers_start_with_the_steps_modules_imported_and_frozen():
    replication._start_fork_server(1)
    with replication._threads_per_worker(1), ProcessPoolExecutor(
            1, mp_context=replication._worker_context()) as pool:
        imported, frozen, collecting, flag = pool.submit(_worker_state).result()
    # Imported once in the fork server; its objects are frozen out of the workers' garbage
    # collections, which still run; the flag that made the server preload is gone.
    assert imported and frozen > 100_000 and collecting and flag is None
    assert replication._SERVER_FLAG not in os.environ
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_cli_replicate_and_exit_codes(project, capsys):
    assert main(["replicate", "--root", str(project), "--steps", "descriptives"]) == 0
    assert "[1/1] descriptives" in capsys.readouterr().out
    assert main(["replicate", "--root", str(project), "--steps", "nope"]) == 2
    assert "unknown replication step" in capsys.readouterr().err


def test_cli_validate(project, raw_panel, capsys):
    assert main(["validate", str(project / "data" / "village_panel.parquet")]) == 0
    assert "6 villages" in capsys.readouterr().out
    bad = raw_panel.assign(assistance_funds=-1.0)
    bad.to_csv(project / "bad.csv", index=False)
    assert main(["validate", str(project / "bad.csv")]) == 1
    assert "must not be negative" in capsys.readouterr().err
    assert main(["validate", str(project / "absent.csv")]) == 2


def test_cli_simulate_writes_labelled_data(tmp_path, capsys):
    assert main(["simulate", str(tmp_path / "wp.parquet"), "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "SIMULATED" in out and "triple_difference: " in out
    loaded = econ.read_panel(tmp_path / "wp.parquet")
    assert loaded.simulated
    pd.testing.assert_frame_equal(loaded.data, econ.simulate("wp", seed=3).data)
    assert main(["simulate", str(tmp_path / "s.csv"), "--survey", "--respondents", "30"]) == 0
    assert len(econ.read_survey(tmp_path / "s.csv")) == 30


@pytest.mark.parametrize("script", sorted((ROOT / "replication").glob("*.py")),
                         ids=lambda p: p.stem)
def test_scripts_use_only_the_public_api(script):
    """Replication scripts are examples for researchers: ``econ.<public name>`` and nothing
    from inside the package."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    allowed = {"__future__", "pathlib", "econ", "numpy", "pandas"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert {a.name for a in node.names} <= allowed, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom):
            assert node.module in allowed - {"econ"}, ast.unparse(node)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "econ"):
            assert node.attr in econ.__all__, f"econ.{node.attr} is not public"
    assert any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body)


def test_a_script_runs_alone(project):
    run = subprocess.run([sys.executable, str(project / "replication" / "descriptives.py")],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert (project / "replication" / "output" / "table0_summary_statistics.tex").is_file()


def test_efficiency_without_industry_survival_writes_table_9_only(tmp_path):
    # industry_active is optional: the survival table needs it, the returns table does not.
    panel = econ.read_panel(ROOT / "data" / "village_panel.parquet")
    source = tmp_path / "no_industry.parquet"
    econ.write_panel(econ.Dataset(panel.to_pandas().drop(columns=["industry_active"]),
                                  simulated=True), source)
    run = replicate(root=ROOT, panel_path=source, steps=["efficiency"], output=tmp_path / "out",
                    reps=19)
    step = json.loads(run.manifest.read_text(encoding="utf-8"))["steps"][0]
    files = {o["file"] for o in step["outputs"]}
    assert step["status"] == "done"
    assert "table9_returns_by_type.tex" in files
    assert not any(f.startswith("table10") for f in files)


def test_a_first_run_starts_the_steps_its_scripts_declare_longest(tmp_path):
    # Without a manifest (a fresh clone) the declared SECONDS order the steps; a manifest's
    # times, once there, replace them; a step with neither starts first.
    from econ.replication import _longest_first, _Step

    steps = [_Step("a", tmp_path, None, None, 0.5), _Step("b", tmp_path, None, None, 2.0),
             _Step("c", tmp_path, None, None, None), _Step("d", tmp_path, None, None, 1.0)]
    missing = tmp_path / "none.json"
    assert [s.name for s in _longest_first(steps, [missing])] == ["c", "b", "d", "a"]
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"steps": [{"step": "a", "seconds": 3.0},
                                              {"step": "b", "seconds": 0.1},
                                              {"step": "c", "seconds": 1.5},
                                              {"step": "d", "seconds": 0.2}]}),
                        encoding="utf-8")
    assert [s.name for s in _longest_first(steps, [missing, manifest])] == ["a", "c", "d", "b"]


def test_every_shipped_script_declares_its_seconds():
    from econ.replication import _load

    for path in sorted((ROOT / "replication").glob("*.py")):
        assert isinstance(_load(path).SECONDS, float), path.name
