"""Tables 9-10: returns of funds and survival of industries by village type, in English and
in Chinese (``*_zh`` files).

Run alone with ``python replication/efficiency.py`` from the project root, or through
``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import econ

SEED = 20240501
REPS = 9999
NEEDS = ("unit_level", "endowment", "assistance_funds", "collective_income", "income_per_capita")
SECONDS = 0.2  # on the shipped panel: orders a first run (econ.replication.Script)
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
TYPES = {"A": ("A: high level, rich", "A：高层级、禀赋强"),
         "B": ("B: county or township, rich", "B：县乡级、禀赋强"),
         "C": ("C: county or township, poor", "C：县乡级、禀赋弱"),
         "D": ("D: high level, poor", "D：高层级、禀赋弱")}
HEADS = {"type": ("Village type", "村庄类型"), "outcome": ("Outcome (log)", "结果变量（对数）"),
         "slope": ("Return", "回报弹性"), "lpm": ("LPM", "线性概率模型"),
         "separated": ("Perfectly predicted", "完全预测")}
YES = {True: ("yes", "是"), False: ("no", "否")}
TEXT = {
    "t9": ("Table 9. Returns of cumulative funds (log) on log outcomes by village type",
           "表9 累计帮扶资金（对数）对结果变量（对数）的回报：分村庄类型"),
    "t9_note": ("Slopes of log outcomes on log cumulative funds by type (elasticities); village "
                "and year fixed effects; standard errors clustered by township (CR1); types as "
                "of 2021.",
                "各类型村庄结果变量对数对累计帮扶资金对数的斜率（弹性）；村庄与年份固定效应；标准误"
                "按乡镇聚类（CR1）；类型以2021年为准。"),
    "equal": ("Equal slopes ({outcome}): CR1 F test p {f}; wild bootstrap Wald p {b} "
              "(B = {reps}, seed {seed}).",
              "斜率相等的检验（{outcome}）：CR1 F检验p {f}；野自助法Wald检验p {b}（B = {reps}，"
              "随机种子{seed}）。"),
    "t10": ("Table 10. Share of pre-2021 industries still active in the last year, by type",
            "表10 2021年前产业在末年仍存续的比例：分村庄类型"),
    "t10_note": ("{villages} villages; fitted probabilities of the linear probability model "
                 "(HC1), logit and probit; perfectly predicted: every village of the type has "
                 "the same outcome, so logit and probit fit it exactly; equal shares (LPM) "
                 "p {p}.",
                 "{villages}个村庄；线性概率模型（HC1）、Logit与Probit的拟合概率；完全预测："
                 "该类型村庄结果相同，Logit与Probit完全拟合；各类型比例相等的检验（线性概率模型）"
                 "p {p}。"),
}


TEXTS = econ.Texts(TEXT, HEADS)


def _p(value: float, reps: int | None = None) -> str:
    """``= 0.123``, ``< 0.001`` or ``< 1/B`` for a note, as the tables print p-values."""
    shown = econ.Table.from_frame(pd.DataFrame({"p": [value]}), title="", pvalues=("p",),
                                  bootstrap={} if reps is None else {"p": reps}).rows[0][0]
    return shown if shown.startswith("<") else f"= {shown}"


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the efficiency tables; return the files written."""
    result = econ.efficiency(panel, bootstrap=econ.WildBootstrap(reps=reps, seed=SEED))
    survival = result.survival
    written: list[Path] = []
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        notes = [SIMULATED[language]] if panel.simulated else []
        end = SUFFIX[language]
        tests = [TEXTS.say("equal", language, outcome=econ.variable_label(r.outcome, language),
                      f=_p(r.equality.pvalue), b=_p(r.equality_bootstrap.pvalue, reps),
                      reps=reps, seed=SEED)
                 for r in result.returns]
        returns = result.tidy()[["outcome", "type", "slope", "std_error", "p_value", "conf_low",
                                 "conf_high"]]
        returns = returns.assign(
            outcome=[econ.variable_label(o, language) for o in returns["outcome"]],
            type=[TYPES.get(t, (t, t))[which] for t in returns["type"]])
        written += econ.Table.from_frame(
            returns, digits=3, title=TEXTS.say("t9", language), header=TEXTS.heading(language),
            labels=("outcome", "type"), pvalues=("p_value",),
            intervals={"conf_low": "conf_high"},
            notes=[*notes, TEXTS.say("t9_note", language), *tests],
        ).write(output / f"table9_returns_by_type{end}", width="shrink")
        if survival is None:
            # A panel without industry_active: Table 9 only (the runner records the files).
            continue
        shares = survival.table.assign(
            type=[TYPES.get(t, (t, t))[which] for t in survival.table["type"]],
            separated=[YES[bool(s)][which] for s in survival.table["separated"]])
        written += econ.Table.from_frame(
            shares, digits=3, title=TEXTS.say("t10", language), header=TEXTS.heading(language),
            labels=("type", "separated"),
            notes=[*notes, TEXTS.say("t10_note", language, villages=survival.villages,
                                p=_p(survival.equality_lpm.pvalue))],
        ).write(output / f"table10_industry_survival{end}", width="shrink")
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
