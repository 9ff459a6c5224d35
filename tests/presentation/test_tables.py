"""Table rendering: stable text in each format, escaping, and the simulated-data note."""

from __future__ import annotations

import pandas as pd
import pytest

import econ


def _table() -> econ.Table:
    frame = pd.DataFrame({"group": ["A_1", "B & C"], "n": [1200, 3], "mean": [2.5, float("nan")],
                          "flag": [True, False]})
    return econ.Table.from_frame(frame, title="Means by 100% type", notes=["SIMULATED DATA"],
                                 digits=2)


def test_markdown_is_exact():
    assert _table().to_markdown() == (
        "**Means by 100% type**\n\n| group | n | mean | flag |\n| --- | --- | --- | --- |\n"
        "| A_1 | 1,200 | 2.50 | yes |\n| B & C | 3 |  | no |\n\n*SIMULATED DATA*\n"
    )


def test_latex_is_escaped_booktabs_with_notes():
    tex = _table().to_latex()
    assert r"\caption{Means by 100\% type}" in tex
    assert r"A\_1 & 1,200 & 2.50 & yes \\" in tex and r"B \& C & 3 &  & no \\" in tex
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    assert r"\item SIMULATED DATA" in tex
    assert tex.count(r"\begin{") == tex.count(r"\end{")


def test_write_creates_each_format(tmp_path):
    paths = _table().write(tmp_path / "t1")
    assert [p.suffix for p in paths] == [".md", ".tex", ".html", ".csv"]
    assert pd.read_csv(paths[3]).shape == (2, 4)
    assert [p.name for p in _table().write(tmp_path / "t1.v2", formats=["txt"])] == ["t1.v2.txt"]
    with pytest.raises(ValueError, match="unknown table format"):
        _table().write(tmp_path / "t1", formats=["docx"])


def test_index_and_label_columns_print_plainly():
    frame = pd.DataFrame({"year": [2013, 2021], "villages": [1200, 1300]}).set_index("year")
    table = econ.Table.from_frame(frame, title="t", index=True)
    assert table.rows == (("2013", "1,200"), ("2021", "1,300"))
    again = econ.Table.from_frame(frame.reset_index(), title="t", labels=("year",))
    assert again.rows == table.rows


def test_latex_keeps_a_titles_own_number_and_labels_written_tables(tmp_path):
    table = econ.Table.from_frame(pd.DataFrame({"a": [1]}), title="Table 4b. Triple difference")
    tex = table.to_latex(label="tab:t4b")
    assert r"\renewcommand{\thetable}{4b}" in tex and r"\caption{Triple difference}" in tex
    assert tex.index(r"\addtocounter{table}{-1}") < tex.index(r"\caption")
    assert r"\label{tab:t4b}" in tex
    plain = _table().to_latex()
    assert r"\renewcommand" not in plain and r"\label" not in plain
    written = table.write(tmp_path / "table4b triple", formats=["tex"])[0]
    assert r"\label{tab:table4b-triple}" in written.read_text(encoding="utf-8")
