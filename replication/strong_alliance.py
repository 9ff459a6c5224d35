"""Tables 4-6 and Figures 3-4: the strong-alliance triple difference across specifications,
changes by village type and level, and the bootstrap distribution behind the main test.

Every table is written in English and in Chinese (``*_zh`` files). Run alone with
``python replication/strong_alliance.py`` from the project root, or through ``econ replicate``
(``--reps`` sets the bootstrap replications).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import econ

SEED = 20240501
REPS = 9999
NEEDS = ("unit_level", "endowment", "assistance_funds", "unit_strength", "demonstration_year")
SECONDS = 1.4  # on the shipped panel: orders a first run (econ.replication.Script)
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
TERMS = ("level:endow:post", "endow:post", "level:post", "level", "level:endow")
# Short row labels keep Table 4b within the text width; the notes say what they stand for.
LABELS = {"en": {"level:endow:post": "Level × Endow. × Post (strong alliance)",
                 "endow:post": "Endow. × Post", "level:post": "Level × Post",
                 "level": "Level", "level:endow": "Level × Endow."},
          "zh": {"level:endow:post": "层级×禀赋×过渡期（强强联合）",
                 "endow:post": "禀赋×过渡期", "level:post": "层级×过渡期",
                 "level": "层级", "level:endow": "层级×禀赋"}}
TYPES = {"A": "A: high level, rich", "B": "B: county, rich", "C": "C: county, poor",
         "D": "D: high level, poor"}
SPECIFICATIONS = (("binary", "continuous", ("High level, endowment", "高层级，连续禀赋")),
                  ("ordered", "continuous", ("Level rank, endowment", "层级序数，连续禀赋")),
                  ("binary", "binary", ("High level, rich", "高层级，禀赋强")))
EFFECTS = {"gradient_pre": ("Gradient before 2021", "2021年前禀赋梯度"),
           "gradient_change": ("Gradient change", "禀赋梯度变化"),
           "level_effect": ("High-level unit", "高层级单位"),
           "triple_difference": ("Triple difference", "三重差分"),
           "A": ("A: high level, rich", "A：高层级、禀赋强"),
           "B": ("B: county or township, rich", "B：县乡级、禀赋强"),
           "C": ("C: county or township, poor", "C：县乡级、禀赋弱"),
           "D": ("D: high level, poor", "D：高层级、禀赋弱"),
           "township": ("Township", "乡镇级"), "county": ("County", "县级"),
           "municipal": ("Municipal", "市级"), "provincial": ("Provincial", "省级"),
           "central": ("Central", "中央")}
HEADS = {"effect": ("", ""), "expected_sign": ("Sign", "预期符号"), "nobs": ("N", "观测值")}
TEXT = {
    "t4": ("Table 4. Strong alliance: unit level x endowment x transition",
           "表4 强强联合：单位层级×资源禀赋×过渡期"),
    "t4_notes": (
        "Outcome log(1 + assistance funds); unit level: high-level (municipal or above) unit; "
        "endowment: baseline endowment (continuous); post: year 2021 or later. Controls: "
        "resident team, strong unit, designation by cohort and year; village and year fixed "
        "effects (the pre-2021 gradient: township and year fixed effects, pre-2021 years). "
        "Gradient: the endowment slope of funds; gradient change: endowment x post; "
        "triple difference: level x endowment x post (the strong alliance). "
        "Sign: the sign the strong-alliance hypothesis expects. Report the wild cluster "
        "bootstrap: CR1 intervals under-cover when the treated cells sit in few clusters.",
        "被解释变量为ln(1+帮扶资金)；单位层级为市级及以上的高层级单位；禀赋为基期资源禀赋"
        "（连续变量）；过渡期为2021年及以后。控制变量：驻村工作队、强势单位、分批次分年份的"
        "示范村认定；村庄与年份固定效应（2021年前的禀赋梯度：乡镇与年份固定效应，仅用2021年"
        "前的样本）。禀赋梯度为帮扶资金对禀赋的斜率；禀赋梯度变化为禀赋×过渡期；三重差分为"
        "层级×禀赋×过渡期（强强联合）。预期符号为强强联合假说预期的符号。以野聚类自助法结果为准：处理组集中于"
        "少数聚类时，CR1置信区间覆盖率不足。"),
    "t4b": ("Table 4b. The triple difference across specifications",
            "表4b 不同设定下的三重差分"),
    "t4b_note": ("Level: high-level unit (1, 3) or level rank (2); Endow.: baseline endowment "
                 "(1, 2) or rich village (3); Post: 2021 or later.",
                 "层级：高层级单位（1、3）或层级序数（2）；禀赋：基期资源禀赋（1、2）或禀赋强"
                 "（3）；过渡期：2021年及以后。"),
    "t5": ("Table 5. Change in funds after 2021 by village type",
           "表5 2021年后帮扶资金的变化：分村庄类型"),
    "t6": ("Table 6. Change in funds after 2021 by unit level",
           "表6 2021年后帮扶资金的变化：分单位层级"),
    "t56_note": ("Outcome log(1 + assistance funds); groups fixed at 2021; reference: villages "
                 "without a team then; village and year fixed effects.",
                 "被解释变量为ln(1+帮扶资金)；分组以2021年为准；参照组为当年无驻村工作队的村庄；"
                 "村庄与年份固定效应。"),
    "t6_order": ("Unit levels from lowest to highest rank.", "单位层级按级别由低到高排列。"),
    "se": ("Standard errors clustered by township (CR1); wild cluster bootstrap WCR11, "
           "Rademacher weights, B = {reps}, seed {seed}; p-values below 1/B are shown as < 1/B.",
           "标准误按乡镇聚类（CR1）；野聚类自助法WCR11，Rademacher权重，B = {reps}，随机种子"
           "{seed}；p值小于1/B时记为 < 1/B。"),
    "mc": ("Monte Carlo standard errors (how much another seed would move them): bootstrap "
           "interval ends at most {ends:.4f}{p}.",
           "蒙特卡洛标准误（换一个随机种子时的变动幅度）：自助法置信区间端点不超过{ends:.4f}{p}。"),
    "mc_p": ("; positive bootstrap p-values at most {p:.4f}", "；非零自助法p值不超过{p:.4f}"),
    "equal": ("Equal effects: CR1 F test p {f}; wild bootstrap Wald p {b}.",
              "各组效应相等的检验：CR1 F检验p {f}；野自助法Wald检验p {b}。"),
}
COLUMNS = ["effect", "estimate", "std_error", "p_cluster", "p_bootstrap", "boot_conf_low",
           "boot_conf_high"]


TEXTS = econ.Texts(TEXT, HEADS)


def _effects(tidy: pd.DataFrame, language: str) -> pd.DataFrame:
    which = LANGUAGES.index(language)
    return tidy.assign(effect=[EFFECTS.get(e, (e, e))[which] for e in tidy["effect"]])


def _p(value: float, reps: int | None) -> str:
    """``= 0.123``, ``< 0.001`` or ``< 1/B`` for a note, as the tables print p-values."""
    shown = econ.Table.from_frame(pd.DataFrame({"p": [value]}), title="", pvalues=("p",),
                                  bootstrap={} if reps is None else {"p": reps}).rows[0][0]
    return shown if shown.startswith("<") else f"= {shown}"


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the triple-difference tables and figures; return the files written."""
    # The draws feed Figure 4, the bootstrap distribution behind the triple-difference test.
    bootstrap = econ.WildBootstrap(reps=reps, seed=SEED, keep_draws=True)
    # Derived once here: each design below would otherwise derive the variables again.
    panel = econ.derive(panel)
    designs = [econ.strong_alliance(panel, unit_rank=rank, endowment=endowment,
                                    bootstrap=bootstrap)
               for rank, endowment, _ in SPECIFICATIONS]
    design = designs[0]
    ranks = econ.PANEL["unit_level"].categories
    results = {by: econ.heterogeneity(panel, by=by, bootstrap=bootstrap)
               for by in ("typology", "unit_level")}
    written: list[Path] = []
    for language in LANGUAGES:
        notes = [SIMULATED[language]] if panel.simulated else []
        end = SUFFIX[language]
        method = TEXTS.say("se", language, reps=reps, seed=SEED)
        tests = [e.bootstrap for e in design.effects if e.bootstrap is not None]
        positive = [t.pvalue_mc_se for t in tests if t.pvalue > 0]
        monte_carlo = TEXTS.say("mc", language,
                           ends=max(max(t.ci_mc_se or (0.0, 0.0)) for t in tests),
                           p=TEXTS.say("mc_p", language, p=max(positive)) if positive else "")
        written += econ.Table.from_frame(
            _effects(design.tidy(), language)[[*COLUMNS, "expected_sign", "nobs"]], digits=3,
            title=TEXTS.say("t4", language), header=TEXTS.heading(language), labels=("effect",),
            pvalues=("p_cluster",), bootstrap={"p_bootstrap": reps},
            intervals={"boot_conf_low": "boot_conf_high"},
            notes=[*notes, TEXTS.say("t4_notes", language), method, monte_carlo],
        ).write(output / f"table4_strong_alliance{end}", width="shrink")
        models = [econ.Model(d["triple_difference"].regression,
                             title=title[LANGUAGES.index(language)],
                             bootstrap=[d[name].bootstrap for name in
                                        ("gradient_change", "level_effect",
                                         "triple_difference")])
                  for d, (_, _, title) in zip(designs, SPECIFICATIONS, strict=True)]
        written += econ.etable(
            models, keep=[f"^{t}$" for t in TERMS], labels=LABELS[language],
            stars_from="bootstrap", language=language, title=TEXTS.say("t4b", language),
            notes=[TEXTS.say("t4b_note", language)],
        ).write(output / f"table4b_strong_alliance_specifications{end}",
                formats=("md", "tex", "html"), width="shrink")
        for by, number in (("typology", 5), ("unit_level", 6)):
            result = results[by]
            tidy = result.tidy()
            if by == "unit_level":
                tidy = tidy.set_index("effect").loc[[r for r in ranks
                                                     if r in set(tidy["effect"])]].reset_index()
            equal = TEXTS.say("equal", language, f=_p(result.equality.pvalue, None),
                         b=_p(result.equality_bootstrap.pvalue, reps))
            order = [TEXTS.say("t6_order", language)] if by == "unit_level" else []
            written += econ.Table.from_frame(
                _effects(tidy, language)[COLUMNS], digits=3,
                title=TEXTS.say(f"t{number}", language),
                header=TEXTS.heading(language), labels=("effect",), pvalues=("p_cluster",),
                bootstrap={"p_bootstrap": reps}, intervals={"boot_conf_low": "boot_conf_high"},
                notes=[*notes, TEXTS.say("t56_note", language), *order, method, equal],
            ).write(output / f"table{number}_change_by_{by}{end}", width="shrink")
    tidy = results["typology"].tidy()
    intervals = pd.concat([
        tidy.assign(interval="CR1 95% CI"),
        tidy.assign(interval="Wild bootstrap 95% CI", conf_low=tidy["boot_conf_low"],
                    conf_high=tidy["boot_conf_high"])])
    chart = econ.coefficient_plot(
        intervals, term="effect", group="interval", labels=TYPES, simulated=panel.simulated,
        xlabel="Change in log(1 + funds) after 2021",
        title="Figure 3. Change in funds after 2021 by village type")
    written += chart.save(output / "figure3_change_by_typology")
    chart = econ.bootstrap_distribution_plot(
        design["triple_difference"].bootstrap, simulated=panel.simulated,
        title="Figure 4. Wild bootstrap t statistics of the triple difference")
    return written + chart.save(output / "figure4_bootstrap_triple_difference")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
