"""Regression tables: golden files in every format, well-formed LaTeX and HTML, and the numbers
in the cells are the results' numbers.

Regenerate the golden files after an intended change with
``ECON_UPDATE_GOLDEN=1 python -m pytest tests/presentation/test_regression_table.py`` and review
the diff.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.results.summary import Summary

ROOT = Path(__file__).resolve().parent.parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
RENDER = {"tex": "to_latex", "html": "to_html", "md": "to_markdown", "txt": "to_text",
          "csv": "to_csv"}


@pytest.fixture(scope="module")
def fits():
    """Two fits on the shipped (simulated) panel and a seeded wild bootstrap of the first."""
    derived = econ.derive(econ.read_panel(ROOT / "data" / "village_panel.parquet"))
    data = derived.with_columns(
        {"y": np.log1p(derived.data["assistance_funds"]),
         **{n: derived.data[n].astype("float64") for n in ("high_level", "rich", "post")}},
        {"y": "log(1 + assistance_funds)"})
    main = econ.feols("y ~ high_level:rich:post + rich:post + high_level:post + high_level"
                      " | village_id + year", data, cov=econ.Cluster("township_id"))
    pooled = econ.feols("y ~ high_level + rich | township_id + year", data, cov=econ.HC1())
    test = main.wild_bootstrap("high_level:rich:post", econ.WildBootstrap(reps=999, seed=11))
    return main, pooled, test


@pytest.fixture(scope="module")
def english(fits):
    main, pooled, test = fits
    return econ.etable([econ.Model(main, title="Village FE", bootstrap=[test]), pooled],
                       title="Table R1. Funds, unit level and endowment",
                       notes=["Outcome: log(1 + assistance funds)."])


@pytest.fixture(scope="module")
def chinese(fits):
    main, pooled, _ = fits
    return econ.etable([main, pooled], language="zh", beneath="ci", title="表R1 帮扶资金")


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("ECON_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.mark.parametrize("fmt", sorted(RENDER))
def test_english_table_matches_golden(english, fmt):
    _golden(f"etable_en.{fmt}", getattr(english, RENDER[fmt])())


@pytest.mark.parametrize("fmt", ["tex", "html", "txt"])
def test_chinese_table_matches_golden(chinese, fmt):
    _golden(f"etable_zh.{fmt}", getattr(chinese, RENDER[fmt])())


def test_cells_are_the_results_numbers(fits, english):
    main, pooled, test = fits
    rows = {r[0]: r[1:] for r in english.rows}
    term = "High-level unit × Rich village × Post-2021"
    estimate, below = english.rows[0][1], english.rows[1][1]
    assert english.rows[0][0] == term
    stars = econ.Stars().mark(float(main.pvalues["high_level:rich:post"]))
    assert stars and estimate == f"{main.params['high_level:rich:post']:.3f}{stars}"
    assert below == f"({main.std_errors['high_level:rich:post']:.3f})"
    assert rows["High-level unit"][1].startswith(f"{pooled.params['high_level']:.3f}")
    assert rows["Observations"] == (f"{main.nobs:,}", f"{pooled.nobs:,}")
    assert rows["R²"] == (f"{main.r2:.3f}", f"{pooled.r2:.3f}")
    assert rows["Within R²"] == (f"{main.r2_within:.3f}", f"{pooled.r2_within:.3f}")
    # The bootstrap rows sit under a row naming the term.
    labels = [r[0] for r in english.rows]
    at = labels.index(term, 2)
    assert english.rows[at][1:] == ("", "")
    assert english.rows[at + 1] == ("  Wild bootstrap p", f"{test.pvalue:.3f}", "")
    assert english.rows[at + 2][:2] == ("  Wild bootstrap 95% CI",
                                        f"[{test.ci[0]:.3f}, {test.ci[1]:.3f}]")
    assert rows["Village fixed effects"] == ("Yes", "No")
    assert rows["Township fixed effects"] == ("No", "Yes")
    assert rows["Standard errors"] == ("CR1", "HC1")
    assert rows["Clusters"] == ("Township (31)", "")
    assert econ.SIMULATED_LABEL in english.notes


def test_stars_follow_the_levels_and_can_come_from_the_bootstrap(fits):
    main, _, test = fits
    term = "high_level:rich:post"
    p = float(main.pvalues[term])
    assert econ.Stars().mark(p) == ("***" if p < 0.01 else "**" if p < 0.05 else
                                    "*" if p < 0.1 else "")
    assert econ.Stars(levels=(0.5,), symbols=("+",)).mark(0.4) == "+"
    strict = econ.Stars(levels=(test.pvalue * 0.999,), symbols=("†",))
    analytic = econ.etable(econ.Model(main, bootstrap=[test]), keep=[term], stars=strict)
    booted = econ.etable(econ.Model(main, bootstrap=[test]), keep=[term], stars=strict,
                         stars_from="bootstrap")
    assert not booted.rows[0][1].endswith("†")
    assert analytic.rows[0][1].endswith("†") == (p < test.pvalue * 0.999)
    assert any("wild-bootstrap p-values" in n for n in booted.notes)
    with pytest.raises(ValueError, match="decrease"):
        econ.Stars(levels=(0.01, 0.05), symbols=("*", "**"))


def test_beneath_options_and_keep_drop(fits):
    main, _, _ = fits
    term = "high_level:post"
    lower, upper = main.conf_int(0.9).loc[term]
    ci = econ.etable(main, keep=[term], beneath="ci", level=0.9)
    assert ci.rows[1][1] == f"[{lower:.3f}, {upper:.3f}]"
    assert "90% confidence intervals in brackets." in ci.notes
    t = econ.etable(main, keep=[term], beneath="tstat", digits=2)
    assert t.rows[1][1] == f"({main.tstats[term]:.2f})"
    none = econ.etable(main, keep=[term], beneath="none")
    assert none.rows[1][0] == "Village fixed effects"
    ordered = econ.etable(main, keep=["^high_level$", "rich"], drop=[r"high_level:rich"])
    assert [r[0] for r in ordered.rows[:4:2]] == ["High-level unit", "Rich village × Post-2021"]
    with pytest.raises(ValueError, match="no coefficient left"):
        econ.etable(main, keep=["nothing_like_this"])


def test_design_results_expand_into_their_regressions():
    panel = econ.read_panel(ROOT / "data" / "village_panel.parquet")
    design = econ.strong_alliance(panel, bootstrap=econ.WildBootstrap(reps=99, seed=3))
    table = econ.etable(design, labels={"level:endow:post": "Strong alliance"})
    assert table.header == ("", "(1)", "(2)")
    labels = [r[0] for r in table.rows]
    assert labels[:8:2] == ["Endowment", "Endowment × Post-2021", "Unit level",
                            "Strong alliance"]
    effect = design["triple_difference"]
    assert table.rows[6][2].startswith(f"{effect.regression.params['level:endow:post']:.3f}")
    assert labels[labels.index("Strong alliance", 8) + 1] == "  Wild bootstrap p"
    assert not any(label.startswith("Demonstration") for label in labels)
    # The controls the design used are said, not hidden.
    assert table.rows[labels.index("Controls")][1:] == ("Yes", "Yes")
    assert any(n.startswith("Controls not shown: (1) Resident team, Strong unit")
               for n in table.notes)


def test_bad_inputs_are_named(fits):
    main, pooled, test = fits
    with pytest.raises(ValueError, match="not about a single coefficient"):
        econ.Model(pooled, bootstrap=[test])
    with pytest.raises(TypeError, match="not dict"):
        econ.etable([{"a": 1}])
    with pytest.raises(ValueError, match="beneath"):
        econ.etable(main, beneath="stderr")
    with pytest.raises(ValueError, match="language"):
        econ.etable(main, language="fr")


# well-formedness ---------------------------------------------------------------------------
def _check_latex(tex: str) -> None:
    body = "\n".join(line for line in tex.splitlines() if not line.startswith("%"))
    stack: list[str] = []
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", body):
        if kind == "begin":
            stack.append(name)
        else:
            assert stack and stack.pop() == name, f"\\end{{{name}}} does not close an open env"
    assert not stack, f"unclosed environments {stack}"
    depth = 0
    for match in re.finditer(r"\\.|[{}]", body):
        token = match.group()
        depth += token == "{"
        depth -= token == "}"
        assert depth >= 0, "unbalanced braces"
    assert depth == 0
    columns = len(re.search(r"\\begin\{tabular\}\{([lcr]+)\}", body).group(1))
    for line in body.splitlines():
        if line.endswith(r"\\"):
            spans = sum(int(n) - 1 for n in re.findall(r"\\multicolumn\{(\d+)\}", line))
            assert len(re.findall(r"(?<!\\)&", line)) + 1 + spans == columns, line
    assert body.index(r"\toprule") < body.index(r"\midrule") < body.index(r"\bottomrule")


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self.rows[-1].append("")

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"</{tag}> closes nothing open"

    def handle_data(self, data):
        if self.stack and self.stack[-1] in ("td", "th", "em") and self.rows:
            self.rows[-1][-1] += data


@pytest.mark.parametrize("which", ["english", "chinese"])
def test_latex_is_well_formed_and_html_parses(which, request):
    table = request.getfixturevalue(which)
    _check_latex(table.to_latex())
    parser = _Cells()
    parser.feed(table.to_html())
    parser.close()
    assert not parser.stack
    cells = [tuple(r) for r in parser.rows]
    expected = [*table.header_rows, *table.rows]
    assert cells[:len(expected)] == expected
    assert [r[0] for r in cells[len(expected):]] == list(table.notes)


def _compile(engine: str, preamble: str, latex: str, folder: Path) -> None:
    document = ("\\documentclass{article}\\usepackage{booktabs,threeparttable}" + preamble
                + "\\begin{document}\n" + latex + "\\end{document}\n")
    (folder / "t.tex").write_text(document, encoding="utf-8")
    run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                         cwd=folder, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-2000:]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX installed")
def test_latex_compiles(english, tmp_path):
    _compile("pdflatex", "", english.to_latex(), tmp_path)


def _awkward_summary(fits) -> Summary:
    """A fit's summary with every character LaTeX treats specially added to each part."""
    base = fits[0].summary()
    odd = r"≥ >= <= ≤ < > _ % & ^ ~ # $ { } \ × ² | -1"
    return Summary(f"{base.title} {odd}", (*base.facts, (odd, odd)), base.header,
                   (*base.rows, (odd, *base.rows[0][1:])), (*base.notes, odd))


def test_summary_latex_is_well_formed(fits):
    for summary in (fits[0].summary(), _awkward_summary(fits)):
        _check_latex(summary.as_latex())


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no LaTeX installed")
def test_summary_latex_compiles(fits, tmp_path):
    _compile("pdflatex", "", fits[0].summary().as_latex() + _awkward_summary(fits).as_latex(),
             tmp_path)


def _cjk_family() -> str | None:
    if shutil.which("fc-list") is None:
        return None
    listing = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                             text=True, check=False).stdout.splitlines()
    return listing[0].split(",")[0].strip() if listing else None


def _has_xecjk() -> bool:
    if shutil.which("xelatex") is None or shutil.which("kpsewhich") is None:
        return False
    found = subprocess.run(["kpsewhich", "xeCJK.sty"], capture_output=True, text=True,
                           check=False)
    return bool(found.stdout.strip())


@pytest.mark.skipif(not _has_xecjk() or _cjk_family() is None,
                    reason="needs XeLaTeX with xeCJK and a CJK font")
def test_chinese_latex_compiles_with_xelatex(chinese, tmp_path):
    _compile("xelatex", f"\\usepackage{{xeCJK}}\\setCJKmainfont{{{_cjk_family()}}}",
             chinese.to_latex(), tmp_path)


def test_varying_slopes_get_their_own_row():
    rng = np.random.default_rng(2)
    unit, year = np.repeat(np.arange(30), 6), np.tile(np.arange(6), 30)
    data = pd.DataFrame({"unit": unit, "year": year, "x": rng.normal(size=180)})
    data["y"] = data["x"] + 0.2 * rng.normal(size=30)[unit] * year + rng.normal(size=180)
    plain = econ.feols("y ~ x | unit + year", data)
    trends = econ.feols("y ~ x | unit[year] + year", data)
    rows = {r[0]: r[1:] for r in econ.etable([plain, trends]).rows}
    assert rows["Slope on Year by unit"] == ("No", "Yes")
    assert rows["unit fixed effects"] == ("Yes", "Yes")
    assert ("unit的年份斜率", "否", "是") in econ.etable([plain, trends], language="zh").rows
