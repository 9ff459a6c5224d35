"""Table rendering: stable text in each format, escaping, the facts panel, and result
summaries rendered by the same writers."""

from __future__ import annotations

import pandas as pd
import pytest

import econ
from econ.results.summary import Summary


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
        _table().write(tmp_path / "t1", formats=["rtf"])


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


def _facts_table() -> econ.Table:
    return econ.Table("OLS: y", ("term", "estimate", "s.e."), (("x", "0.5", "(0.1)"),),
                      ("Note.",), facts=(("Formula", "y ~ x | unit"), ("Observations", "1,200")))


def test_facts_form_a_panel_under_the_body_in_every_format():
    table = _facts_table()
    text = table.to_text()
    assert text.index("x") < text.index("Formula: y ~ x | unit") < text.index("Note.")
    assert "Observations: 1,200" in text
    tex = table.to_latex()
    assert r"Formula & \multicolumn{2}{l}{y \textasciitilde{} x \textbar{} unit} \\" in tex
    assert tex.index(r"(0.1) \\") < tex.index("Formula") < tex.index(r"\bottomrule")
    assert ('<tr style="border-top: 1px solid"><th style="text-align: left">Formula</th>'
            '<td colspan="2" style="text-align: left">y ~ x | unit</td></tr>') in table.to_html()
    assert r"| Observations | 1,200 |  |" in table.to_markdown()
    assert table.to_csv() == "term,estimate,s.e.\nx,0.5,(0.1)\n"
    with pytest.raises(ValueError, match="facts need"):
        econ.Table("t", ("only",), (("a",),), facts=(("k", "v"),))


def test_summary_is_rendered_by_table():
    summary = Summary("OLS: y", (("Formula", "y ~ x | unit"), ("Observations", "1,200")),
                      ("term", "estimate", "s.e."), (("x", "0.5", "(0.1)"),), ("Note.",))
    table = summary.to_table()
    assert table == _facts_table()
    assert summary.as_text() == str(summary) == table.to_text()
    assert summary.as_html() == summary._repr_html_() == table.to_html()
    assert summary.as_latex(label="tab:ols") == table.to_latex(label="tab:ols")
    assert summary.as_markdown() == table.to_markdown()
    assert summary.as_csv() == table.to_csv()


# Every character LaTeX treats specially, or that the default OT1 encoding misprints, with the
# one way both summaries and tables write it.
ESCAPED = {
    ">=": r"\textgreater{}=", "≥": r"\ensuremath{\geq}", "<=": r"\textless{}=",
    "≤": r"\ensuremath{\leq}", "<": r"\textless{}", ">": r"\textgreater{}", "_": r"\_",
    "%": r"\%", "&": r"\&", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "#": r"\#",
    "$": r"\$", "{": r"\{", "}": r"\}", "\\": r"\textbackslash{}", "×": r"\ensuremath{\times}",
    "²": r"\textsuperscript{2}", "|": r"\textbar{}", " -1": r" \ensuremath{-}1",
}


@pytest.mark.parametrize("special", sorted(ESCAPED))
def test_summary_and_table_escape_latex_alike(special):
    text = f"a{special}b"
    fragment = f"a{ESCAPED[special]}b"
    summary = Summary(text, ((text, text),), (text, "x"), ((text, "1"),), (text,)).as_latex()
    table = econ.Table(text, (text, "x"), ((text, "1"),), (text,)).to_latex()
    shared = [rf"\caption{{{fragment}}}", rf"{fragment} & x \\", rf"{fragment} & 1 \\",
              rf"\item {fragment}"]
    for line in shared:
        assert line in summary.splitlines() and line in table.splitlines(), line
    assert rf"{fragment} & \multicolumn{{1}}{{l}}{{{fragment}}} \\" in summary.splitlines()
    assert summary.count(fragment) == 6 and table.count(fragment) == 4


def test_texts_fill_templates_and_head_columns_in_both_languages():
    import econ

    texts = econ.Texts({"title": ("Table {n}. Funds", "表{n} 资金")},
                       {"type": ("Village type", "村庄类型")})
    assert texts.say("title", "en", n=4) == "Table 4. Funds"
    assert texts.say("title", "zh", n=4) == "表4 资金"
    assert texts.heading("zh")("type") == "村庄类型"
    assert texts.heading("en")("year") == econ.variable_label("year", "en")
    with pytest.raises(ValueError):
        texts.heading("fr")
