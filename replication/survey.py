"""Tables 12-13: the cadre survey — difficulties by dispatching level (ordered logit) and the
average marginal effects of the level, in English and in Chinese (``*_zh`` files).

Reads ``data/cadre_survey.parquet`` beside the panel. Run alone with
``python replication/survey.py`` from the project root, or through ``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import econ

SEED = 20240501
REPS = 499
NEEDS = ()
SECONDS = 2.0  # on the shipped panel: orders a first run (econ.replication.Script)
SURVEY = Path(__file__).resolve().parent.parent / "data" / "cadre_survey.parquet"
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
LEVELS = {"township": ("Township", "乡镇级"), "county": ("County", "县级"),
          "municipal": ("Municipal", "市级"), "provincial": ("Provincial", "省级"),
          "central": ("Central", "中央")}
HEADS = {"item": ("Difficulty", "困难"), "term": ("Unit level", "派出单位层级"),
         "level": ("Unit level", "派出单位层级"), "p_value": ("p", "p值"),
         "p_holm": ("p (Holm)", "p值（Holm）"), "p_bootstrap": ("p (bootstrap-t)",
                                                          "p值（自助法t）"),
         "p_romano_wolf": ("p (Romano-Wolf)", "p值（Romano-Wolf）"),
         "ame": ("Marginal effect", "平均边际效应"),
         "ame_std_error": ("Bootstrap std. error", "自助法标准误"),
         "conf_low": ("Bootstrap 95% CI", "自助法95%置信区间")}
TEXT = {
    "t12": ("Table 12. Difficulties by dispatching level: ordered {link} (reference: {ref})",
            "表12 分派出单位层级的驻村困难：有序{link}模型（参照组：{ref}）"),
    "t12_note": (
        "Ordered {link} of each difficulty (answers 1-5) on the dispatching unit's level and "
        "months in post; {n:,} respondents. p: asymptotic; Holm: adjusted across the four "
        "difficulties from the asymptotic p; bootstrap-t: respondent bootstrap, unadjusted "
        "(smallest attainable 1/(B + 1)); Romano-Wolf: step-down adjustment across the four "
        "difficulties from the studentized bootstrap. Adjusted p-values are given for the "
        "unit levels only.",
        "各项困难（1-5分）对派出单位层级与驻村时长的有序{link}模型；受访者{n:,}人。p值：渐近"
        "p值；Holm：由渐近p值在四项困难间调整；自助法t：按受访者重抽样的自助法，未调整（最小"
        "可得值为1/(B + 1)）；Romano-Wolf：由学生化自助法在四项困难间逐步调整。调整后的p值"
        "仅对单位层级给出。"),
    "boot": ("Respondent bootstrap B = {reps}, seed {seed}{redrawn}; Cronbach's alpha of the "
             "four items {alpha:.3f}.",
             "受访者自助法B = {reps}，随机种子{seed}{redrawn}；四项困难的Cronbach's α为"
             "{alpha:.3f}。"),
    "redrawn": (", {n} resamples redrawn", "，重抽{n}次"),
    "order": ("Unit levels from lowest to highest rank.", "单位层级按级别由低到高排列。"),
    "t13": ("Table 13. Average marginal effects on P(difficulty >= 4) by level",
            "表13 单位层级对P(困难评分≥4)的平均边际效应"),
    "t13_note": (
        "Average change in the probability of answering 4 or 5 when the dispatching unit is "
        "at the given level instead of {ref}, holding months in post at observed values; "
        "bootstrap standard error and {level:.0%} percentile interval from the respondent "
        "bootstrap (B = {reps}, seed {seed}).",
        "派出单位由{ref}变为该层级时，回答4或5分的概率的平均变化（驻村时长取观测值）；"
        "自助法标准误与{level:.0%}百分位置信区间来自受访者自助法（B = {reps}，随机种子"
        "{seed}）。"),
}


TEXTS = econ.Texts(TEXT, HEADS)


def _ranked(frame: pd.DataFrame, column: str, language: str) -> pd.DataFrame:
    """Rows by difficulty, unit levels by rank and then the controls, labelled; the
    difficulty printed on its block's first row only."""
    which = LANGUAGES.index(language)
    ranks = {level: i for i, level in enumerate(econ.SURVEY["unit_level"].categories)}
    items = {item: i for i, item in enumerate(dict.fromkeys(frame["item"]))}
    order = sorted(range(len(frame)), key=lambda i: (
        items[frame["item"].iloc[i]], ranks.get(frame[column].iloc[i], len(ranks))))
    out = frame.iloc[order].reset_index(drop=True)
    first = ~out["item"].duplicated()
    return out.assign(
        item=[econ.variable_label(v, language) if f else "" for v, f in
              zip(out["item"], first, strict=True)],
        **{column: [LEVELS[v][which] if v in LEVELS else econ.variable_label(v, language)
                    for v in out[column]]})


def _blocks(table: econ.Table) -> econ.Table:
    """A rule before each difficulty's block of rows."""
    starts = tuple(i for i, row in enumerate(table.rows) if i and row[0])
    return econ.Table(table.title, table.header, table.rows, table.notes, rules=starts)


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the survey tables; return the files written (the panel is not used)."""
    survey = econ.read_survey(SURVEY)
    result = econ.ordered_models(survey, reps=reps, seed=SEED)
    alpha = econ.survey_alpha(survey)
    written: list[Path] = []
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        notes = [SIMULATED[language]] if survey.simulated else []
        reference = LEVELS[result.reference_unit][which]
        reference = reference.lower() if language == "en" else reference
        redrawn = (TEXTS.say("redrawn", language, n=result.redrawn) if result.redrawn else "")
        link = result.link if language == "en" else result.link.capitalize()
        coefficients = _ranked(result.coefficients, "term", language)
        written += _blocks(econ.Table.from_frame(
            coefficients[["item", "term", "estimate", "std_error", "p_value", "p_holm",
                          "p_bootstrap", "p_romano_wolf"]],
            digits=3, title=TEXTS.say("t12", language, link=link, ref=reference),
            header=TEXTS.heading(language), labels=("item", "term"),
            pvalues=("p_value", "p_holm"),
            bootstrap={"p_bootstrap": reps, "p_romano_wolf": reps},
            notes=[*notes, TEXTS.say("t12_note", language, link=link, n=result.nobs),
                   TEXTS.say("boot", language, reps=reps, seed=SEED, redrawn=redrawn, alpha=alpha),
                   TEXTS.say("order", language)],
        )).write(output / f"table12_survey_ordered_logit{SUFFIX[language]}", width="shrink")
        effects = _ranked(result.marginal_effects, "level", language)
        written += _blocks(econ.Table.from_frame(
            effects, digits=3, title=TEXTS.say("t13", language), header=TEXTS.heading(language),
            labels=("item", "level"), intervals={"conf_low": "conf_high"},
            notes=[*notes, TEXTS.say("t13_note", language, ref=reference, level=result.level,
                                reps=reps, seed=SEED), TEXTS.say("order", language)],
        )).write(output / f"table13_survey_marginal_effects{SUFFIX[language]}", width="shrink")
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
