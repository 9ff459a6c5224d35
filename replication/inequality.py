"""Table 11 and Figure 2: inequality of funds by period, the between-type share over time, and
Lorenz curves by period (figure and data).

Run alone with ``python replication/inequality.py`` from the project root, or through
``econ replicate`` (``--reps`` sets the township-bootstrap replicates). Table 11 is written in
English and in Chinese (``*_zh``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import econ

SEED = 20240501
REPS = 999
NEEDS = ("unit_level", "endowment", "assistance_funds")
SECONDS = 0.7  # on the shipped panel: orders a first run (econ.replication.Script)
POINTS = np.linspace(0.0, 1.0, 21)
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
HEADS = {"label": ("Period", "时期"), "year": ("Year", "年份"),
         "measure": ("Measure", "指标"), "estimate": ("Estimate", "估计值")}
PERIODS = {"poverty_alleviation": ("Poverty alleviation", "脱贫攻坚期"),
           "transition": ("Transition", "过渡期"),
           "transition - poverty_alleviation": ("Change", "变化")}
MEASURES = {"gini": ("Gini", "基尼系数"), "theil_t": ("Theil T", "泰尔T指数"),
            "theil_l": ("Theil L", "泰尔L指数"), "cv": ("Coefficient of variation", "变异系数"),
            "top10_share": ("Top 10% share", "前10%村庄资金占比"),
            "top1_share": ("Top 1% share", "前1%村庄资金占比"),
            "between_share_T[typology]": ("Between-type share, Theil T",
                                          "类型间差异占比（泰尔T）"),
            "between_share_L[typology]": ("Between-type share, Theil L",
                                          "类型间差异占比（泰尔L）")}
TEXT = {
    "t11": ("Table 11. Inequality of assistance funds by period and its change",
            "表11 分时期的帮扶资金不平等程度及其变化"),
    "left_out": ("", "类型缺失的{count}个村庄-年未计入类型间分解。"),
    "mean_of_years": ("", "各时期数值为其各年数值的均值；每年在村庄间计算帮扶资金的不平等。"),
    "change": ("Change: transition minus poverty alleviation.", "变化：过渡期减脱贫攻坚期。"),
    "t11_boot": ("Township cluster bootstrap, {reps} replicates, seed {seed}; percentile "
                 "{level} intervals.",
                 "按乡镇的聚类自助法，{reps}次重抽样，随机种子{seed}；百分位{level}置信区间。"),
}


TEXTS = econ.Texts(TEXT, HEADS)


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the inequality tables and the Lorenz and between-share figure data."""
    result = econ.inequality(panel, reps=reps, seed=SEED)
    notes = [econ.SIMULATED_LABEL] if panel.simulated else []
    table = result.tidy()
    # "2438 village-year(s) with a missing typology left out (...)": the count, for Chinese.
    left_out = [n.split(" ")[0] for n in result.notes if "missing typology" in n]
    written: list[Path] = []
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        own = [SIMULATED[language]] if panel.simulated else []
        periods = table[table["scope"] != "year"]
        periods = periods.assign(
            label=[PERIODS.get(str(v), (str(v), str(v)))[which] for v in periods["label"]],
            measure=[MEASURES.get(str(m), (str(m), str(m)))[which]
                     for m in periods["measure"]])
        explained = (list(result.notes) if language == "en" else
                     [TEXTS.say("left_out", language, count=c) for c in left_out]
                     + [TEXTS.say("mean_of_years", language)])
        written += econ.Table.from_frame(
            periods[["label", "measure", "estimate", "std_error", "conf_low", "conf_high"]],
            digits=4, title=TEXTS.say("t11", language), header=TEXTS.heading(language),
            labels=("label", "measure"), intervals={"conf_low": "conf_high"},
            notes=[*own, TEXTS.say("change", language), *explained,
                   TEXTS.say("t11_boot", language, reps=result.reps, seed=SEED,
                        level=f"{result.level:.0%}")],
        ).write(output / f"table11_inequality{SUFFIX[language]}", width="shrink")
    share = table[(table["scope"] == "year")
                  & table["measure"].str.startswith("between_share_T")]
    written += econ.Table.from_frame(
        share[["label", "estimate", "conf_low", "conf_high"]].rename(columns={"label": "year"}),
        digits=4, labels=("year",), header=TEXTS.heading("en"), intervals={"conf_low": "conf_high"},
        title="Figure 2a data. Between-type share of Theil T inequality of funds by year",
        notes=notes,
    ).write(output / "figure2a_between_share_data", width="shrink")
    derived = econ.derive(panel)
    rows, curves = [], {}
    for period, frame in derived.data.groupby("period", observed=True):
        funds = frame.groupby("village_id", observed=True)["assistance_funds"].sum()
        population, share = econ.lorenz_curve(funds.to_numpy())
        # The legend says which years each curve covers and how unequal it is.
        name = str(period).replace("_", " ").capitalize()
        label = (f"{name} {frame['year'].min()}-{frame['year'].max()} "
                 f"(Gini {econ.gini(funds.to_numpy()):.3f})")
        curves[label] = (population, share)
        rows += [{"period": period, "population_share": p,
                  "funds_share": float(np.interp(p, population, share))} for p in POINTS]
    written += econ.Table.from_frame(
        pd.DataFrame(rows), digits=4, header=TEXTS.heading("en"),
        title="Figure 2b data. Lorenz curves of village funds (summed over each period)",
        notes=notes,
    ).write(output / "figure2b_lorenz_data", width="shrink")
    chart = econ.lorenz_plot(curves, simulated=panel.simulated,
                             title="Figure 2. Lorenz curves of village funds by period")
    return written + chart.save(output / "figure2_lorenz")


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
