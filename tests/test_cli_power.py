"""``econ power``: the power analysis from the command line (in process: --workers 0)."""

from __future__ import annotations

import time

import pytest

from econ.cli import main
from econ.montecarlo import SCHEDULER_VARIABLE, cluster


@pytest.fixture(autouse=True)
def quick_scheduler_timeout(monkeypatch):
    monkeypatch.delenv(SCHEDULER_VARIABLE, raising=False)
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 1.0)


def test_two_sample_power_table_and_figure(tmp_path, capsys):
    code = main(["power", "--design", "two_sample", "--effects", "0", "0.6", "--n", "20",
                 "--reps", "30", "--workers", "0", "--table", str(tmp_path / "power.md"),
                 "--figure", str(tmp_path / "power.png"), "--output", str(tmp_path / "runs")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Power: two-sample difference in means, known variance" in out
    assert "SIMULATED DATA" in out and "MDE at 80% power, z" in out
    assert (tmp_path / "power.png").stat().st_size > 0
    table = (tmp_path / "power.md").read_text(encoding="utf-8")
    assert "| n | effect | z-test | Randomization inference |" in table
    assert len(list((tmp_path / "runs").glob("task-*.parquet"))) > 0
    # Rerun on the same folder: every task read back, the same table printed.
    assert main(["power", "--design", "two_sample", "--effects", "0", "0.6", "--n", "20",
                 "--reps", "30", "--workers", "0", "--output",
                 str(tmp_path / "runs")]) == 0
    assert capsys.readouterr().out.split("\n")[:8] == out.split("\n")[:8]


@pytest.mark.filterwarnings("ignore::econ.FewClustersWarning")
def test_strong_alliance_from_the_command_line(capsys):
    code = main(["power", "--effects", "0.45", "--counties", "2", "--townships", "6",
                 "--villages", "6", "--reps", "2", "--methods", "cr1", "--workers", "0"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Power: strong-alliance triple difference" in out
    assert "counties  townships  villages  effect" in out


def test_rotation_design_from_the_command_line(capsys):
    code = main(["power", "--design", "rotation", "--effects", "1", "--townships", "6",
                 "--villages", "6", "--reps", "1", "--workers", "0"])
    assert code == 0
    assert "Power: rotation design (dCDH, change of unit level)" in capsys.readouterr().out


def test_unreachable_scheduler_is_a_usage_error_within_seconds(capsys, monkeypatch):
    started = time.monotonic()
    code = main(["power", "--design", "two_sample", "--effects", "0.5", "--reps", "5",
                 "--scheduler", "tcp://127.0.0.1:9"])
    assert code == 2
    assert "econ power: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in (
        capsys.readouterr().err)
    monkeypatch.setenv(SCHEDULER_VARIABLE, "tcp://127.0.0.1:9")
    assert main(["power", "--design", "two_sample", "--effects", "0.5", "--reps", "5"]) == 2
    assert "ECON_SCHEDULER environment variable" in capsys.readouterr().err
    assert time.monotonic() - started < 6


@pytest.mark.parametrize(("arguments", "message"), [
    (["--n", "20"], "unknown size(s) ['n'] for the strong-alliance triple difference"),
    (["--methods", "randomization"], "randomization inference is not available"),
    (["--table", "power.txt"], "--table power.txt: use one of .md"),
    (["--figure", "power.gif"], "--figure power.gif: use .png, .pdf or .svg"),
])
def test_bad_arguments_are_usage_errors(arguments, message, capsys):
    assert main(["power", "--effects", "0.3", "--reps", "2", "--workers", "0",
                 *arguments]) == 2
    assert message in capsys.readouterr().err
