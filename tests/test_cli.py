"""The ``econ`` command run as a subprocess: help a newcomer can follow, readable errors and
exit codes scripts can rely on, and ``econ fit`` printing the same numbers as ``econ.feols``."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

import econ
from econ.cli import ProgressBar, main

ROOT = Path(__file__).resolve().parent.parent
PANEL = ROOT / "data" / "village_panel.parquet"
FORMULA = "assistance_funds ~ high_level:rich:post + rich:post | village_id + year"


def _econ(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "econ.cli", *args], cwd=cwd,
                          capture_output=True, text=True, encoding="utf-8", check=False)


def test_help_lists_every_command_with_examples_and_exit_codes(capsys):
    run = _econ("--help")
    assert run.returncode == 0
    for command in ("validate", "fit", "replicate", "simulate"):
        assert command in run.stdout
    assert "examples:" in run.stdout and "exit codes: 0 success" in run.stdout
    # Each command's own help, in process (the console entry point calls the same main).
    helps = {}
    for command in ("validate", "fit", "replicate", "simulate"):
        with pytest.raises(SystemExit) as stop:
            main([command, "--help"])
        assert stop.value.code == 0
        helps[command] = capsys.readouterr().out
        assert "usage: econ " + command in helps[command]
    assert "formula syntax" in helps["fit"]


def test_a_bad_file_gives_a_readable_error_and_exit_code_1(tmp_path):
    bad = tmp_path / "坏数据.csv"
    bad.write_text("村庄编码,年份,乡镇编码,县编码,市编码,帮扶项目资金\n"
                   "001,2020,T1,C1,X,12.5\n001,2020,T1,C1,X,abc\n", encoding="gbk")
    run = _econ("validate", str(bad))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "duplicate" in run.stderr and "assistance_funds" in run.stderr
    assert "abc" in run.stderr


def test_usage_errors_exit_2_without_a_traceback(tmp_path, capsys):
    run = _econ("fit", "assistance_funds ~ nope | village_id", str(PANEL))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr and "column(s) ['nope'] not in the data" in run.stderr
    for args in (["validate", str(tmp_path / "absent.csv")],
                 ["fit", FORMULA, str(PANEL), "--vcov", "cr2"],
                 ["fit", FORMULA, str(PANEL), "--bootstrap", "rich:post"],
                 ["fit", FORMULA, str(PANEL), "--cluster", "township_id", "--bootstrap", "x"],
                 ["replicate", "--steps", "nope"]):
        assert main(args) == 2, args
        assert capsys.readouterr().err.startswith("econ "), args
    with pytest.raises(SystemExit) as stop:
        main(["frobnicate"])
    assert stop.value.code == 2
    with pytest.raises(SystemExit) as stop:
        main(["replicate", "--workers", "0"])
    assert stop.value.code == 2 and "--workers: must be at least 1" in capsys.readouterr().err


def test_fit_prints_the_summary_of_feols():
    run = _econ("fit", FORMULA, str(PANEL), "--cluster", "township_id")
    assert run.returncode == 0, run.stderr
    reference = econ.feols(FORMULA, econ.derive(econ.read_panel(PANEL)),
                           cov=econ.Cluster("township_id"))
    assert str(reference.summary()) in run.stdout
    assert econ.SIMULATED_LABEL in run.stdout


def test_fit_with_cr2_and_imbens_kolesar_df(capsys):
    args = ["fit", FORMULA, str(PANEL), "--cluster", "township_id", "--vcov", "cr2", "--df",
            "imbens_kolesar"]
    assert main(args) == 0
    reference = econ.feols(FORMULA, econ.derive(econ.read_panel(PANEL)),
                           cov=econ.CR2("township_id", df="imbens_kolesar"))
    assert str(reference.summary()) in capsys.readouterr().out
    assert main(["fit", FORMULA, str(PANEL), "--cluster", "township_id", "--df",
                 "satterthwaite"]) == 2
    assert "--df sets the degrees of freedom of --vcov cr2" in capsys.readouterr().err


def test_fit_with_the_poisson_model_prints_the_summary_of_fepois(capsys):
    formula = "projects ~ high_level:post | village_id + year"
    assert main(["fit", formula, str(PANEL), "--cluster", "township_id",
                 "--model", "poisson"]) == 0
    reference = econ.fepois(formula, econ.derive(econ.read_panel(PANEL)),
                            cov=econ.Cluster("township_id"))
    assert str(reference.summary()) in capsys.readouterr().out
    assert main(["fit", formula, str(PANEL), "--model", "poisson", "--split",
                 "county_id"]) == 2
    assert "--split/--fsplit work with --model ols only" in capsys.readouterr().err


@pytest.mark.parametrize(("fmt", "marker"), [("latex", r"\toprule"), ("markdown", "| --- |"),
                                             ("html", "<table")])
def test_fit_prints_a_paper_table(fmt, marker):
    run = _econ("fit", FORMULA, str(PANEL), "--cluster", "township_id", "--bootstrap",
                "rich:post", "--reps", "199", "--format", fmt)
    assert run.returncode == 0, run.stderr
    assert marker in run.stdout and "wild bootstrap" in run.stdout.lower()


def test_progress_bar_redraws_on_a_terminal_and_prints_lines_otherwise():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen, log = Terminal(), io.StringIO()
    for stream in (screen, log):
        bar = ProgressBar(stream, width=4)
        for step, name in ((1, "a"), (2, "b")):
            bar(step, 2, name, None)
            bar(step, 2, name, 1.5)
    drawn = screen.getvalue()
    assert drawn.count("\r") == 4 and "[##--] 1/2 a" in drawn and "[####] 2/2 b" in drawn
    assert drawn.endswith("\n") and drawn.count("\n") == 1
    assert log.getvalue().splitlines() == ["[1/2] a ...", "[1/2] a done in 1.5s",
                                           "[2/2] b ...", "[2/2] b done in 1.5s"]


def test_replicate_starts_its_workers_before_this_process_imports_pandas_or_numpy():
    # replicate() starts the workers' fork server first, so that its imports run beside this
    # process's own; reading the command line's --map options must not load pandas (~0.4 s)
    # or numpy (~0.1 s) before that.
    code = ("import sys, econ.cli, econ.replication\n"
            "def replicate(**options):\n"
            "    print(any(m in sys.modules for m in ('pandas', 'numpy')), options['mapping'],\n"
            "          options['value_mapping'])\n"
            "    raise SystemExit(0)\n"
            "econ.replication.replicate = replicate\n"
            "econ.cli.main(['replicate', '--map', 'village=village_id', "
            "'--map', 'unit_level:prov=provincial'])\n")
    result = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                            text=True)
    assert result.stdout.split("\n")[0] == ("False {'village': 'village_id'} "
                                            "{'unit_level': {'prov': 'provincial'}}")


def test_the_command_skips_the_collections_at_exit():
    # Garbage left when the process ends is not collected (the interpreter's last collections
    # would scan every object the command loaded); a cycle made after the command shows it.
    code = ("import econ.cli\n"
            "try:\n"
            "    econ.cli.main(['--version'])\n"
            "except SystemExit:\n"
            "    pass\n"
            "class Cycle:\n"
            "    def __del__(self):\n"
            "        print('collected')\n"
            "cycle = Cycle()\n"
            "cycle.self = cycle\n"
            "del cycle\n")
    for run in (code, code.replace("econ.cli.main(['--version'])", "raise SystemExit")):
        result = subprocess.run([sys.executable, "-c", run], check=True, capture_output=True,
                                text=True)
        assert ("collected" in result.stdout) == (run != code)


def test_version_unknown_encoding_bad_seed_and_no_silent_overwrite(tmp_path, capsys):
    with pytest.raises(SystemExit) as version:
        main(["--version"])
    assert version.value.code == 0 and capsys.readouterr().out.strip() == (
        f"econ {econ.__version__}")
    csv = tmp_path / "p.csv"
    econ.write_panel(econ.simulate("wp", seed=1).dataset, csv)
    assert main(["validate", str(csv), "--encoding", "nope"]) == 2
    assert "unknown encoding" in (err := capsys.readouterr().err) and "nope" in err
    assert main(["simulate", str(tmp_path / "s.parquet"), "--seed", "-1"]) == 2
    assert "--seed must be a non-negative integer" in capsys.readouterr().err
    assert main(["simulate", str(csv), "--seed", "2"]) == 2
    assert "exists; pass --force" in capsys.readouterr().err
    before = csv.read_bytes()
    assert main(["simulate", str(csv), "--seed", "2", "--force"]) == 0
    assert csv.read_bytes() != before
