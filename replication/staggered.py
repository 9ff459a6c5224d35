"""Table 7: staggered designation of demonstration villages (Callaway-Sant'Anna, Bacon).

The ATT of designation on log(1 + funds) by event time with not-yet-designated villages as
controls, and the Goodman-Bacon decomposition of the naive two-way fixed-effects estimate.
In the shipped SIMULATED panel designation goes with the 2021 re-dispatch of stronger units,
so the Callaway-Sant'Anna comparisons mix designation with the units sent with it; the note
gives ``econ.designation_effect``, which holds the unit fixed. Run alone or through
``econ replicate``. Tables are written in English and in Chinese (``*_zh`` files).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import econ

SEED = 20240501
REPS = 999
NEEDS = ("unit_level", "endowment", "assistance_funds", "unit_strength", "demonstration_year")
SECONDS = 0.4  # on the shipped panel: orders a first run (econ.replication.Script)
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
HEADS = {"term": ("Years since designation", "认定后年数"),
         "conf_low": ("Pointwise 95% CI", "逐点95%置信区间"),
         "band_low": ("Uniform 95% band", "95%一致置信带"),
         "type": ("Comparison", "比较类型"), "comparisons": ("2x2 comparisons", "2×2比较数")}
COMPARISONS = {"earlier vs later treated": ("Earlier vs later designated", "先认定组对后认定组"),
               "later vs earlier treated": ("Later vs earlier designated (forbidden)",
                                            "后认定组对先认定组（禁止比较）"),
               "treated vs never treated": ("Designated vs never designated",
                                            "认定组对从未认定组")}
TEXT = {
    "overall": ("Average over post periods", "事后各期平均"),
    "t7": ("Table 7. ATT of designation by event time (Callaway-Sant'Anna)",
           "表7 示范村认定的平均处理效应：分认定后年数（Callaway-Sant'Anna）"),
    "t7_note": ("Outcome log(1 + funds); not-yet-designated villages as controls; doubly "
                "robust; multiplier bootstrap B = {reps}, seed {seed} for the uniform band. "
                "Simple ATT {att:.4f} (s.e. {se:.4f}).",
                "被解释变量为ln(1+帮扶资金)；以尚未认定的村庄为对照组；双重稳健估计；一致置信带"
                "由乘数自助法得到（B = {reps}，随机种子{seed}）。简单平均处理效应{att:.4f}"
                "（标准误{se:.4f}）。"),
    "t7_held": ("Designation goes with the 2021 re-dispatch of stronger units in this panel; "
                "holding the dispatching unit fixed (econ.designation_effect) the average "
                "effect is {effect:.4f}, wild bootstrap 95% CI [{low:.4f}, {high:.4f}] "
                "(B = {reps}).",
                "本面板中示范村认定与2021年更强单位的重新派驻同时发生；控制派出单位不变"
                "（econ.designation_effect）时平均效应为{effect:.4f}，野自助法95%置信区间"
                "[{low:.4f}, {high:.4f}]（B = {reps}）。"),
    "t8": ("Table 8. Goodman-Bacon decomposition of the two-way fixed-effects estimate",
           "表8 双向固定效应估计量的Goodman-Bacon分解"),
    "t8_note": ("TWFE estimate {twfe:.4f} = the weighted sum of the 2x2 comparisons; "
                "comparisons of later- with earlier-designated villages use already treated "
                "villages as controls.",
                "双向固定效应估计值{twfe:.4f}为各2×2比较的加权和；后认定组对先认定组的比较以"
                "已处理村庄为对照。"),
}


TEXTS = econ.Texts(TEXT, HEADS)


def _event_time(term: str, language: str) -> str:
    """``e=-3`` as ``-3``; the overall average named."""
    if term == "overall":
        return TEXT["overall"][LANGUAGES.index(language)]
    return term.removeprefix("e=")


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the staggered-adoption tables; return the files written."""
    data = panel.to_pandas()
    data["y"] = np.log1p(data["assistance_funds"])
    result = econ.att_gt(data, outcome="y", unit="village_id", time="year",
                         cohort="demonstration_year", control="not_yet_treated",
                         bootstrap=econ.Multiplier(reps=reps, seed=SEED))
    by_event_time = result.aggregate("dynamic")
    dynamic = by_event_time.tidy()
    simple = result.aggregate("simple").tidy()
    held = econ.designation_effect(panel, bootstrap=econ.WildBootstrap(reps=max(reps, 999),
                                                                       seed=SEED))
    low, high = held.bootstrap.ci
    bacon = econ.bacon_decomposition(data, outcome="y", unit="village_id", time="year",
                                     treated_from="demonstration_year")
    written: list[Path] = []
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        notes = [SIMULATED[language]] if panel.simulated else []
        end = SUFFIX[language]
        table = dynamic.assign(term=[_event_time(str(t), language) for t in dynamic["term"]])
        written += econ.Table.from_frame(
            table[["term", "estimate", "std_error", "conf_low", "conf_high", "band_low",
                   "band_high"]],
            digits=4, title=TEXTS.say("t7", language), header=TEXTS.heading(language),
            labels=("term",),
            intervals={"conf_low": "conf_high", "band_low": "band_high"},
            notes=[*notes, TEXTS.say("t7_note", language, reps=reps, seed=SEED,
                                att=simple["estimate"].iloc[0],
                                se=simple["std_error"].iloc[0]),
                   TEXTS.say("t7_held", language, effect=held.estimate, low=low, high=high,
                        reps=max(reps, 999))],
        ).write(output / f"table7_designation_att{end}", width="shrink")
        comparisons = bacon.by_type()
        comparisons = comparisons.assign(
            type=[COMPARISONS.get(t, (t, t))[which] for t in comparisons["type"]])
        written += econ.Table.from_frame(
            comparisons, digits=4, title=TEXTS.say("t8", language), header=TEXTS.heading(language),
            labels=("type",), notes=[*notes, TEXTS.say("t8_note", language, twfe=bacon.twfe)],
        ).write(output / f"table8_bacon{end}", width="shrink")
    chart = econ.event_study_plot(
        by_event_time.event_study(), simulated=panel.simulated,
        ylabel="ATT on log(1 + funds)", xlabel="Years since designation",
        title="Figure 5. ATT of designation by years since designation (Callaway-Sant'Anna)")
    return written + chart.save(output / "figure5_designation_event_study")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
