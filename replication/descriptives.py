"""Descriptive tables: summary statistics, the panel by period and village type, and who was
dispatched when, each in English and in Chinese (``*_zh`` files).

Run alone with ``python replication/descriptives.py`` from the project root, or through
``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import econ

VARIABLES = ("assistance_funds", "projects", "collective_income", "income_per_capita",
             "industry_active")


SEED = None
REPS = None
NEEDS = ("unit_level", "endowment", "assistance_funds", "projects", "collective_income",
         "income_per_capita", "industry_active")
SECONDS = 0.2  # on the shipped panel: orders a first run (econ.replication.Script)
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
# Short headings: the full names and units are in the notes.
HEADS = {
    "period": ("Period", "时期"), "typology": ("Type", "类型"),
    "unit_level": ("Unit level", "单位层级"), "year": ("Year", "年份"),
    "village_years": ("Village-years", "村庄-年"), "villages": ("Villages", "村庄数"),
    "assistance_funds_mean": ("Funds", "帮扶资金"), "projects_mean": ("Projects", "项目数"),
    "collective_income_mean": ("Coll. income", "集体收入"),
    "income_per_capita_mean": ("Income p.c.", "人均收入"),
    "industry_active_mean": ("Industry", "产业存续"),
    "assistance_funds_sd": ("SD", "标准差"),
}
PERIODS = {"poverty_alleviation": ("Poverty alleviation", "脱贫攻坚期"),
           "transition": ("Transition", "过渡期"), "All": ("All", "合计")}
LEVELS = {"township": ("Township", "乡镇级"), "county": ("County", "县级"),
          "municipal": ("Municipal", "市级"), "provincial": ("Provincial", "省级"),
          "central": ("Central", "中央"), "none": ("None", "无"), "(none)": ("None", "无"),
          "All": ("All", "合计")}
TYPES = {"A": ("A", "A"), "B": ("B", "B"), "C": ("C", "C"), "D": ("D", "D"),
         "(none)": ("None", "无"), "All": ("All", "合计")}
TEXT = {
    "t0": ("Table 0. Summary statistics of the village panel (village-years)",
           "表0 村庄面板的描述性统计（村庄-年）"),
    "t0_note": ("Funds and collective income in 10,000 yuan; income per capita in yuan; "
                "high-level unit and rich village are shares.",
                "帮扶资金与村集体经济收入单位为万元，人均可支配收入单位为元；高层级单位与资源"
                "禀赋强为比例。"),
    "t1": ("Table 1. Village-years, funds and outcomes by period and village type (means)",
           "表1 分时期、分村庄类型的样本量、帮扶资金与结果变量（均值）"),
    "t1_note": ("Types: A municipal-or-higher unit and rich village; B county or township "
                "unit, rich; C county or township unit, poor; D municipal-or-higher, poor; "
                "None: no team that year. Means of funds and collective income (10,000 yuan), "
                "projects, income per capita (yuan) and the share of active industries. Rich: "
                "baseline endowment above the median.",
                "类型：A为市级及以上单位帮扶、资源禀赋强；B为县乡单位、禀赋强；C为县乡单位、禀赋"
                "弱；D为市级及以上单位、禀赋弱；无：当年无驻村工作队。表中为均值：帮扶资金与集体"
                "收入（万元）、项目数、人均收入（元）、产业存续比例。禀赋强：基期资源禀赋高于"
                "中位数。"),
    "t2": ("Table 2. Villages by dispatching-unit level and year",
           "表2 分年份、分派出单位层级的村庄数"),
    "t2_note": ("Unit levels from lowest to highest rank; None: no resident team that year.",
                "单位层级按级别由低到高排列；无：当年无驻村工作队。"),
    "t3": ("Table 3. Assistance funds (10,000 yuan) by period and unit level",
           "表3 分时期、分单位层级的帮扶资金（万元）"),
    "t3_note": ("Mean and standard deviation of funds per village-year; unit levels from "
                "lowest to highest rank.",
                "帮扶资金为村庄-年均值与标准差；单位层级按级别由低到高排列。"),
}


TEXTS = econ.Texts(TEXT, {**LEVELS, **HEADS})


def _periods(derived: econ.Dataset) -> dict:
    """Each period as the years it covers in this panel (its name goes in a note)."""
    years = derived.data.groupby("period", observed=True)["year"].agg(["min", "max"])
    spans = {period: (f"{years.loc[period, 'min']}-{years.loc[period, 'max']}",
                      f"{years.loc[period, 'min']}—{years.loc[period, 'max']}年")
             for period in PERIODS if period in years.index}
    return {**PERIODS, **spans}


def _period_note(periods: dict, language: str) -> str:
    which = LANGUAGES.index(language)
    named = [f"{periods[p][which]}：{PERIODS[p][which]}" if which else
             f"{periods[p][which]}: {PERIODS[p][which].lower()}"
             for p in PERIODS if p != "All" and p in periods]
    return ("；".join(named) + "。") if which else ("Periods: " + "; ".join(named) + ".")


def _relabel(frame, column: str, words: dict, language: str):
    which = LANGUAGES.index(language)
    return frame.assign(**{column: [words.get(str(v), (str(v),) * 2)[which]
                                    for v in frame[column]]})


def main(*, panel: econ.Dataset, output: Path, reps: int | None = REPS) -> list[Path]:
    """Write tables 0-3 to ``output`` in English and Chinese; return the files written."""
    derived = econ.derive(panel)
    ranks = econ.PANEL["unit_level"].categories
    means = econ.describe_by(derived, by=("period", "typology"), variables=VARIABLES)
    means = means[["period", "typology", "village_years", "villages",
                   *(f"{v}_mean" for v in VARIABLES)]]
    levels = econ.count_by(derived, rows="year", columns="unit_level")
    levels = levels[[c for c in (*ranks, "none", "All") if c in levels.columns]]
    funds = econ.describe_by(derived, by=("period", "unit_level"),
                             variables=("assistance_funds",))
    written: list[Path] = []
    for language in LANGUAGES:
        notes = [SIMULATED[language]] if panel.simulated else []
        end = SUFFIX[language]
        head = TEXTS.heading(language)
        written += econ.descriptive_table(
            derived, variables=(*VARIABLES, "endowment", "high_level", "rich"),
            language=language, title=TEXTS.say("t0", language),
            notes=[TEXTS.say("t0_note", language)],
            digits=2,
        ).write(output / f"table0_summary_statistics{end}", width="shrink")
        periods = _periods(derived)
        shown = _relabel(_relabel(means, "period", periods, language), "typology", TYPES,
                         language)
        written += econ.Table.from_frame(
            shown, title=TEXTS.say("t1", language), header=head, labels=("period", "typology"),
            notes=[*notes, _period_note(periods, language), TEXTS.say("t1_note", language)],
        ).write(output / f"table1_by_period_typology{end}", width="shrink")
        by_year = levels.rename(index={"All": LEVELS["All"][LANGUAGES.index(language)]})
        written += econ.Table.from_frame(
            by_year, index=True, title=TEXTS.say("t2", language), header=head,
            notes=[*notes, TEXTS.say("t2_note", language)],
        ).write(output / f"table2_unit_levels_by_year{end}", width="shrink")
        shown = _relabel(_relabel(funds, "period", periods, language), "unit_level", LEVELS,
                         language)
        written += econ.Table.from_frame(
            shown, title=TEXTS.say("t3", language), header=head,
            labels=("period", "unit_level"),
            notes=[*notes, _period_note(periods, language), TEXTS.say("t3_note", language)],
        ).write(output / f"table3_funds_by_period_level{end}", width="shrink")
    return written


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
