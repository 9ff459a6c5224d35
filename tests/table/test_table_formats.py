"""Choosing formats: Table.write, the run-wide table_formats, econ replicate --formats and
econ fit --format docx/xlsx --output."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import docx
import openpyxl
import pytest

import econ
from econ.cli import main
from econ.replication import replicate
from econ.table import DEFAULT_FORMATS, FORMATS, table_formats


def test_write_makes_word_and_excel_beside_the_text_formats(tmp_path, known):
    assert {"docx", "xlsx"} <= set(FORMATS)
    paths = known.write(tmp_path / "t7", formats=("md", "docx", "xlsx"))
    assert [p.name for p in paths] == ["t7.md", "t7.docx", "t7.xlsx"]
    assert docx.Document(str(paths[1])).tables and openpyxl.load_workbook(paths[2]).sheetnames
    assert [p.suffix for p in known.write(tmp_path / "plain")] == [
        f".{f}" for f in DEFAULT_FORMATS]


def test_run_formats_replace_each_callers_own_and_end_with_the_block(tmp_path, known):
    with table_formats(("txt", "docx")) as chosen:
        assert chosen == ("txt", "docx")
        assert [p.suffix for p in known.write(tmp_path / "a")] == [".txt", ".docx"]
        # A script that names its formats gets the run's: the run decides for every table.
        assert [p.suffix for p in known.write(tmp_path / "b", formats=["md"])] == [
            ".txt", ".docx"]
        with table_formats(["xlsx"]):
            assert [p.suffix for p in known.write(tmp_path / "c")] == [".xlsx"]
        assert [p.suffix for p in known.write(tmp_path / "d")] == [".txt", ".docx"]
    assert [p.suffix for p in known.write(tmp_path / "e", formats=["md"])] == [".md"]
    with pytest.raises(RuntimeError), table_formats(["md"]):
        raise RuntimeError
    assert [p.suffix for p in known.write(tmp_path / "f", formats=["csv"])] == [".csv"]


def test_run_formats_do_not_reach_other_threads(tmp_path, known):
    seen = []
    with table_formats(["xlsx"]):
        worker = threading.Thread(target=lambda: seen.append(known.write(tmp_path / "t")))
        worker.start()
        worker.join()
    assert [p.suffix for p in seen[0]] == [f".{f}" for f in DEFAULT_FORMATS]


@pytest.mark.parametrize(("formats", "message"), [
    (["docx", "rtf"], r"unknown table format\(s\) \['rtf'\]"),
    ("docx", "not the string 'docx'"),
    ([], "no table formats given"),
])
def test_bad_formats_are_named(tmp_path, known, formats, message):
    with pytest.raises(ValueError, match=message):
        known.write(tmp_path / "t", formats=formats)
    with pytest.raises(ValueError, match=message), table_formats(formats):
        pass


@pytest.fixture
def project(tmp_path) -> Path:
    """A project whose one replication script names its own formats (like Table 4b's)."""
    (tmp_path / "replication").mkdir()
    (tmp_path / "replication" / "tiny.py").write_text(
        "from pathlib import Path\n\nimport econ\n\nSEED = None\nREPS = None\nNEEDS = ()\n\n\n"
        "def main(*, panel, output: Path, reps=None) -> list[Path]:\n"
        "    table = econ.Table('Table 1. Tiny', ('', 'n'), (('rows', f'{len(panel):,}'),))\n"
        "    return table.write(output / 'table1', formats=('md', 'tex'))\n",
        encoding="utf-8")
    return tmp_path


def test_replicate_writes_every_table_in_the_chosen_formats_and_records_them(project,
                                                                                panel_path):
    manifest = json.loads(replicate(root=project, panel_path=panel_path,
                                    formats=["docx", "xlsx"]).manifest.read_text(encoding="utf-8"))
    assert manifest["table_formats"] == ["docx", "xlsx"]
    assert [o["file"] for o in manifest["steps"][0]["outputs"]] == ["table1.docx",
                                                                   "table1.xlsx"]
    default = json.loads(replicate(root=project, panel_path=panel_path).manifest
                         .read_text(encoding="utf-8"))
    assert default["table_formats"] is None
    assert [o["file"] for o in default["steps"][0]["outputs"]] == ["table1.md", "table1.tex"]
    with pytest.raises(ValueError, match="unknown table format"):
        replicate(root=project, panel_path=panel_path, formats=["pdf"], output=project / "never")
    assert not (project / "never").exists()  # refused before any step ran


def test_cli_replicate_formats(project, capsys, panel_path):
    out = project / "out"
    assert main(["replicate", "--root", str(project), "--panel", str(panel_path), "--output",
                 str(out), "--formats", "docx,.xlsx, md"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "table1.docx", "table1.md", "table1.xlsx"]
    capsys.readouterr()
    with pytest.raises(SystemExit) as bad:
        main(["replicate", "--root", str(project), "--formats", "docx,doc"])
    assert bad.value.code == 2 and "unknown table format(s) ['doc']" in capsys.readouterr().err


FORMULA = "assistance_funds ~ high_level:post | village_id + year"


@pytest.mark.parametrize("kind", ["docx", "xlsx", "markdown"])
def test_cli_fit_writes_the_table_to_output(tmp_path, capsys, panel_path, kind):
    target = tmp_path / f"t.{'md' if kind == 'markdown' else kind}"
    assert main(["fit", FORMULA, str(panel_path), "--cluster", "township_id", "--format", kind,
                 "--output", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote {target}\n"
    if kind == "docx":
        cells = [c.text for row in docx.Document(str(target)).tables[0].rows for c in row.cells]
        assert "High-level unit × Post-2021" in cells
    elif kind == "xlsx":
        sheet = openpyxl.load_workbook(target)["Numbers"]
        assert any(isinstance(c.value, float) for row in sheet.iter_rows() for c in row)
    else:
        assert "High-level unit × Post-2021" in target.read_text(encoding="utf-8")


@pytest.mark.parametrize(("arguments", "message"), [
    (["--format", "docx"], "--format docx writes a file: add --output FILE.docx"),
    (["--format", "docx", "--output", "t.xlsx"], "does not end in .docx"),
    (["--output", "t.md"], "--output writes the regression table: add --format"),
    (["--format", "xlsx", "--output", "missing/t.xlsx"], "folder missing does not exist"),
])
def test_cli_fit_output_mistakes_are_usage_errors(tmp_path, capsys, monkeypatch, panel_path,
                                                  arguments, message):
    monkeypatch.chdir(tmp_path)
    assert main(["fit", FORMULA, str(panel_path), *arguments]) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_summaries_and_descriptive_tables_write_word_and_excel(tmp_path, fits, panel_path):
    main_fit = fits[0]
    panel = econ.derive(econ.read_panel(panel_path))
    for name, table in (("summary", main_fit.summary().to_table()),
                        ("descriptives", econ.descriptive_table(panel, language="zh"))):
        written = table.write(tmp_path / name, formats=("docx", "xlsx"))
        assert all(p.stat().st_size > 0 for p in written)
