"""Tables compiled by LaTeX: numbering, hyperref anchors, Chinese captions and the text width.

Each test needs a TeX installation (pdflatex; XeLaTeX with xeCJK and a CJK font for Chinese)
and is skipped without one. The log is read for what a reader would see as a fault: an
overfull box (a table wider than the text), a duplicate hyperref destination (two tables
sharing one anchor), an undefined reference.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import econ

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = r"\usepackage{booktabs,threeparttable,graphicx,tabularx,array}"
needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="no pdflatex installed")


def _cjk_family() -> str | None:
    if shutil.which("fc-list") is None:
        return None
    listing = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                             text=True, check=False).stdout.splitlines()
    return sorted(line.split(",")[0].strip() for line in listing)[0] if listing else None


def _has_xecjk() -> bool:
    if shutil.which("xelatex") is None or shutil.which("kpsewhich") is None:
        return False
    return bool(subprocess.run(["kpsewhich", "xeCJK.sty"], capture_output=True, text=True,
                               check=False).stdout.strip())


needs_xelatex = pytest.mark.skipif(not _has_xecjk() or _cjk_family() is None,
                                   reason="needs XeLaTeX with xeCJK and a CJK font")


def compile_latex(body: str, folder: Path, *, engine: str = "pdflatex",
                  preamble: str = r"\usepackage{hyperref}") -> tuple[str, str]:
    """Compile ``body`` twice (for references) in an article; return the log and the .aux.

    hyperref is loaded by default (with XeLaTeX it needs the pzdr font of
    texlive-fonts-recommended, so the Chinese test leaves it out).
    """
    document = (rf"\documentclass{{article}}{PACKAGES}{preamble}"
                "\n\\begin{document}\n" + body + "\n\\end{document}\n")
    (folder / "t.tex").write_text(document, encoding="utf-8")
    for _ in range(2):
        run = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                             cwd=folder, capture_output=True, text=True, check=False,
                             encoding="utf-8", errors="replace")
        assert run.returncode == 0, run.stdout[-3000:]
    log = (folder / "t.log").read_text(encoding="utf-8", errors="replace")
    return log, (folder / "t.aux").read_text(encoding="utf-8", errors="replace")


def _faults(log: str) -> list[str]:
    return re.findall(r"Overfull \\hbox.*|.*destination with the same identifier.*|"
                      r".*Reference .* undefined.*", log)


def _wide() -> econ.Table:
    labels = ["A row label long enough to push the table past the text block of the page"] * 3
    return econ.Table.from_frame(
        pd.DataFrame({"term": labels, "estimate": [1.5, -2.25, 3.0],
                      "std_error": [0.1, 0.2, 0.3], "p_value": [0.0001, 0.2, 0.04],
                      "conf_low": [1.0, -2.5, 2.0], "conf_high": [2.0, -2.0, 4.0]}),
        title="Table 7. A wide table", labels=("term",), pvalues=("p_value",),
        notes=["A note long enough to fill more than one line of the table's width, which "
               "threeparttable sets to the natural width of the tabular."])


@needs_pdflatex
def test_numbered_tables_keep_their_numbers_and_anchors(tmp_path):
    main = econ.feols("y ~ x", pd.DataFrame({"y": [1.0, 2.0, 2.5, 4.5, 5.0],
                                             "x": [0.0, 1.0, 2.0, 3.0, 4.0]}))
    tables = [econ.etable(main, title="Table 4"),
              econ.Table.from_frame(pd.DataFrame({"a": [1]}), title="Table 4b. Second"),
              econ.Table.from_frame(pd.DataFrame({"a": [2]}), title="Unnumbered")]
    body = "".join(t.to_latex(label=f"tab:{i}") for i, t in enumerate(tables))
    body += r"See \ref{tab:0}, \ref{tab:1} and \ref{tab:2}."
    log, aux = compile_latex(body, tmp_path)
    assert not _faults(log)
    numbers = dict(re.findall(r"\\newlabel\{tab:(\d)\}\{\{([^}]*)\}", aux))
    # "Table 4" is table 4, not "Table 1: Table 4"; the unnumbered one runs on from LaTeX's
    # counter, which the renumbered ones leave where it was.
    assert numbers == {"0": "4", "1": "4b", "2": "1"}
    anchors = re.findall(r"\\newlabel\{tab:\d\}\{\{[^}]*\}\{[^}]*\}\{[^}]*\}\{([^}]*)\}", aux)
    assert len(set(anchors)) == 3, anchors
    assert r"\caption{Regression results}" in tables[0].to_latex()


@pytest.mark.slow
@needs_pdflatex
@pytest.mark.parametrize("width", ["shrink", "tabularx"])
def test_a_wide_table_fits_the_text_width_when_asked(width, tmp_path):
    natural, _ = compile_latex(_wide().to_latex(), tmp_path)
    assert any(f.startswith("Overfull") for f in _faults(natural))  # the check can fail
    fitted, _ = compile_latex(_wide().to_latex(width=width), tmp_path)
    assert not _faults(fitted)


def test_latex_width_option_is_checked():
    with pytest.raises(ValueError, match="width must be"):
        _wide().to_latex(width="fit")  # type: ignore[arg-type]


@needs_xelatex
def test_chinese_table_is_captioned_with_its_own_number(tmp_path):
    table = econ.Table.from_frame(pd.DataFrame({"变量": ["帮扶资金"], "均值": [-1.5]}),
                                  title="表4 帮扶资金的描述统计", labels=("变量",))
    tex = table.to_latex(label="tab:zh")
    assert r"\renewcommand{\tablename}{表}" in tex and r"\caption{帮扶资金的描述统计}" in tex
    log, aux = compile_latex(tex + r"见表\ref{tab:zh}。", tmp_path, engine="xelatex",
                             preamble=rf"\usepackage{{xeCJK}}\setCJKmainfont{{{_cjk_family()}}}")
    assert not _faults(log)
    assert re.search(r"\\newlabel\{tab:zh\}\{\{4\}", aux)


@pytest.mark.slow
@needs_pdflatex
def test_replication_tables_compile_within_the_text_width(tmp_path):
    """Every English table of every replication step compiles with pdflatex, every Chinese
    one with XeLaTeX (when installed), none is wider than the text block, every table has
    its Chinese version, and no two steps write the same table or figure number."""
    from econ.replication import find_steps, replicate

    shutil.copytree(ROOT / "replication", tmp_path / "replication",
                    ignore=shutil.ignore_patterns("output", "__pycache__"))
    shutil.copytree(ROOT / "data", tmp_path / "data")
    out = tmp_path / "out"
    manifest = json.loads(replicate(root=tmp_path, steps=list(find_steps(ROOT / "replication")),
                                    output=out, reps=19).manifest.read_text(encoding="utf-8"))
    assert all(s["status"] == "done" for s in manifest["steps"]), manifest["steps"]
    owner: dict[str, str] = {}
    for step in manifest["steps"]:
        for output in step["outputs"]:
            number = re.match(r"^(table|figure)(\d+[a-z]?)_", output["file"])
            if number:
                key = number.group(1) + " " + number.group(2)
                assert owner.setdefault(key, step["step"]) == step["step"], (
                    f"{key} written by {owner[key]} and {step['step']}")
    english = sorted(p for p in out.glob("*.tex") if not p.stem.endswith("_zh"))
    chinese = sorted(out.glob("*_zh.tex"))
    tables = [p for p in english if p.stem.startswith("table")]
    assert len(tables) >= 21 and len(chinese) == len(tables), sorted(
        {p.stem for p in tables} - {p.stem.removesuffix("_zh") for p in chinese})
    for group, engine, preamble in (
            (english, "pdflatex", r"\usepackage{hyperref}"),
            (chinese, "xelatex", rf"\usepackage{{xeCJK}}\setCJKmainfont{{{_cjk_family()}}}")):
        if engine == "xelatex" and not (_has_xecjk() and _cjk_family()):
            continue
        folder = tmp_path / engine
        folder.mkdir()
        body = "".join(rf"\input{{{p.as_posix()}}}\clearpage" + "\n" for p in group)
        log, _ = compile_latex(body, folder, engine=engine, preamble=preamble)
        assert not _faults(log), _faults(log)
