"""Tables 15-17 and Figures 7-10: the rotation design (de Chaisemartin-D'Haultfoeuille DID_l).

Effects on log(1 + funds) of a change in the dispatching unit's level from its 2021 level (the
2023 rotation), for moves to a higher-level and to a lower-level unit, for all villages and by
endowment (below / above the median), with placebos and the average effect per level of change.
Moves down are sign-flipped (effect per level gained). In the shipped SIMULATED panel a change of
rank includes gaining or losing a team. Table 17 and Figures 9-10: Rambachan-Roth sensitivity of
the first-year effect (all villages) to violations of parallel trends, with breakdown values.
Tables in English and in Chinese (``*_zh`` files). Run alone from the project root or through
``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import econ

SEED = 20240501
REPS = None
NEEDS = ("unit_level", "endowment", "assistance_funds")
SECONDS = 2.3  # on the shipped panel: orders a first run (econ.replication.Script)
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
WORDS = {"all": ("All villages", "全部村庄"),
         "low endowment": ("Endowment below median", "禀赋低于中位数"),
         "high endowment": ("Endowment above median", "禀赋高于中位数"),
         "in": ("To a higher level", "升至更高层级"), "out": ("To a lower level", "降至更低层级"),
         "both": ("Either way", "双向"),
         "relative magnitudes": ("Relative magnitudes", "相对幅度"),
         "smoothness": ("Smoothness", "平滑性")}
HEADS = {"group": ("Villages", "村庄"), "direction": ("Move", "层级变化"),
         "move": ("Move", "层级变化"), "period": ("Year since change", "变化后年数"),
         "switchers": ("Switchers", "变化村庄数"),
         "placebo_p": ("Placebo p", "安慰剂检验p值"),
         "restriction": ("Restriction", "约束"),
         "conf_low": ("95% CI", "95%置信区间"),
         "breakdown": ("Breakdown value", "临界值"), "searched_to": ("Searched up to", "搜索上限")}
TEXT = {
    "t15": ("Table 15. Effect of a change in the dispatching unit's level (dCDH DID_l)",
            "表15 派出单位层级变化的效应（dCDH DID_l）"),
    "t15_note": ("Outcome log(1 + assistance funds), {first}-{last}; treatment: the unit's "
                 "level as a rank (no team lowest); year l: the l-th year from the first "
                 "change; -1: placebo; moves down sign-flipped (effect per level gained); "
                 "standard errors clustered by township; endowment groups split at the median "
                 "({threshold:.3f}).",
                 "被解释变量为ln(1+帮扶资金)，{first}-{last}年；处理变量为派出单位层级的序数"
                 "（无驻村工作队最低）；第l年：首次变化后的第l年；-1：安慰剂；层级降低的效应取"
                 "相反数（即每升高一级的效应）；标准误按乡镇聚类；禀赋分组以中位数（{threshold:.3f}）"
                 "为界。"),
    "missing": ("{group}, {move}: not estimated; {reason}", "{group}，{move}：未估计；{reason}"),
    "placebo": ("-1 (placebo)", "-1（安慰剂）"),
    "t16": ("Table 16. Average effect per level of change and placebo test (dCDH)",
            "表16 每级层级变化的平均效应与安慰剂检验（dCDH）"),
    "t16_note": ("Average total effect per unit of treatment (de Chaisemartin-D'Haultfoeuille): "
                 "effects weighted by switchers, over the average change in level; placebo p: "
                 "Wald test that the placebo is zero.",
                 "每单位处理的平均总效应（de Chaisemartin-D'Haultfoeuille）：按变化村庄数加权的"
                 "效应除以层级的平均变化；安慰剂检验p值：安慰剂效应为零的Wald检验。"),
    "t17": ("Table 17. Sensitivity of the first-year effect to parallel trends "
            "(Rambachan-Roth breakdown values)",
            "表17 第一年效应对平行趋势假设的敏感性（Rambachan-Roth临界值）"),
    "t17_note": ("All villages. Breakdown value: the smallest Mbar (relative magnitudes: "
                 "post-period violations up to Mbar times the largest pre-period change; "
                 "conditional least-favourable hybrid) or M (smoothness: the slope of the "
                 "violation changes by at most M per year; FLCI) at which the 95% set contains "
                 "0 (∞: not reached up to the bound searched); only one placebo year bounds the "
                 "pre-period changes. 95% CI: under parallel trends.",
                 "全部村庄。临界值：95%稳健置信集包含0时的最小Mbar（相对幅度：处理后对平行趋势的"
                 "偏离不超过处理前最大变化的Mbar倍；条件最不利混合法）或M（平滑性：偏离的斜率每年"
                 "变化不超过M；FLCI）（∞：在搜索上限内未达到）；处理前变化仅由一个安慰剂年份约束。"
                 "95%置信区间：平行趋势假设下。"),
}


TEXTS = econ.Texts(TEXT, HEADS)


def _words(frame: pd.DataFrame, columns: tuple[str, ...], language: str) -> pd.DataFrame:
    """``columns`` in words, each printed on the first row of its block only."""
    which = LANGUAGES.index(language)
    out = frame.reset_index(drop=True).copy()
    block = pd.Series(False, index=out.index)
    for column in columns:
        block |= out[column].ne(out[column].shift())
        shown = [WORDS[v][which] for v in out[column]]
        out[column] = [s if new else "" for s, new in zip(shown, block, strict=True)]
    return out


def main(*, panel: econ.Dataset, output: Path, reps: int | None = REPS) -> list[Path]:
    """Write the rotation design's tables and event-study figures; return the files written."""
    design = econ.rotation_design(panel)
    tidy = design.tidy()
    tidy = tidy[~tidy["is_reference"]]
    placebo = {key: study.pretrend.pvalue for key, study in design.studies.items()
               if study.pretrend is not None}
    averages = design.average_effects.assign(
        switchers=design.average_effects["switchers"].astype(int),
        placebo_p=[placebo.get((g, d), float("nan")) for g, d in
                   zip(design.average_effects["group"], design.average_effects["direction"],
                       strict=True)])
    sensitivity = _sensitivity(design)
    written: list[Path] = []
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        notes = [SIMULATED[language]] if panel.simulated else []
        end = SUFFIX[language]
        paths = _words(tidy, ("group", "direction"), language).assign(
            period=[TEXTS.say("placebo", language) if p == -1 else str(p) for p in tidy["period"]])
        written += econ.Table.from_frame(
            paths[["group", "direction", "period", "estimate", "std_error", "conf_low",
                   "conf_high"]],
            digits=3, labels=("group", "direction", "period"),
            intervals={"conf_low": "conf_high"}, header=TEXTS.heading(language),
            title=TEXTS.say("t15", language),
            notes=[*notes, TEXTS.say("t15_note", language, first=design.years[0],
                                last=design.years[1], threshold=design.threshold),
                   *(TEXTS.say("missing", language, group=WORDS[g][which], move=WORDS[d][which],
                          reason=reason) for (g, d), reason in design.missing.items())],
        ).write(output / f"table15_rotation_dcdh{end}", width="shrink")
        written += econ.Table.from_frame(
            _words(averages, ("group", "direction"), language)[
                ["group", "direction", "estimate", "std_error", "switchers", "placebo_p"]],
            digits=3, labels=("group", "direction"), pvalues=("placebo_p",),
            header=TEXTS.heading(language), title=TEXTS.say("t16", language),
            notes=[*notes, TEXTS.say("t16_note", language)],
        ).write(output / f"table16_rotation_average_effects{end}", width="shrink")
        if not sensitivity.empty:
            written += econ.Table.from_frame(
                _words(sensitivity, ("move", "restriction"), language)[
                    ["move", "restriction", "estimate", "conf_low", "conf_high", "breakdown",
                     "searched_to"]],
                digits=3, labels=("move", "restriction", "breakdown"),
                intervals={"conf_low": "conf_high"},
                header=TEXTS.heading(language), title=TEXTS.say("t17", language),
                notes=[*notes, TEXTS.say("t17_note", language)],
            ).write(output / f"table17_rotation_sensitivity{end}", width="shrink")
    for number, move in ((7, "in"), (8, "out")):
        study = design.studies.get(("all", move))
        if study is None:
            continue
        # Period 0 is the last year before the change; the change happens in period 1.
        chart = econ.event_study_plot(
            study, onset=0.5, simulated=panel.simulated, xlabel="Years since the change",
            ylabel="Effect on log(1 + funds)",
            title=f"Figure {number}. {WORDS[move][0]}: effect per level gained by year "
                  f"since the change (dCDH)")
        written += chart.save(output / f"figure{number}_rotation_{move}")
    for number, move in ((9, "in"), (10, "out")):
        if ("all", move) not in design.studies:
            continue
        written += econ.sensitivity_plot(
            econ.honest_did(design.studies[("all", move)], restriction="relative magnitudes",
                            seed=SEED), simulated=panel.simulated,
            ylabel="Effect on log(1 + funds)",
            title=f"Figure {number}. {WORDS[move][0]}: first-year effect as parallel trends "
                  f"is relaxed (relative magnitudes)"
        ).save(output / f"figure{number}_rotation_{move}_sensitivity")
    return written


def _sensitivity(design) -> pd.DataFrame:
    """Rambachan-Roth bounds on the first-year effect of each move (all villages)."""
    rows = []
    for move in ("in", "out"):
        study = design.studies.get(("all", move))
        if study is None:
            continue
        for result in (econ.honest_did(study, restriction="relative magnitudes", seed=SEED),
                       econ.honest_did(study, restriction="smoothness")):
            rows.append({"move": move, "restriction": result.restriction,
                         "estimate": result.estimate, "conf_low": result.original[0],
                         "conf_high": result.original[1], "breakdown": result.breakdown,
                         "searched_to": result.breakdown_upper})
    frame = pd.DataFrame(rows)
    if not frame.empty:
        # Not reached within the bound searched: no finite breakdown value to print.
        frame["breakdown"] = [f"{b:.3f}" if b < float("inf") else "∞"
                              for b in frame["breakdown"]]
    return frame


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
