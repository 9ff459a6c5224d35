"""Figures 5b-5c and Table 7b: the designation event study, heterogeneity-robust and honest.

Table 7b is written in English and in Chinese (``*_zh`` files).

Figure 5 (``staggered.py``) shows Callaway-Sant'Anna estimates of designation with pre-period
estimates away from zero. This step re-estimates the event study with the imputation estimator
of Borusyak, Jaravel and Spiess beside Callaway-Sant'Anna (with a universal base period, so
that event time -1 is a reference), tests pre-trends for each (the joint Wald test of the
Callaway-Sant'Anna pre-period estimates; BJS's Test 1 on untreated observations), and asks how
far parallel trends may fail before the average effect over event times 0-3 loses significance
(Rambachan-Roth relative magnitudes and smoothness, breakdown values) and how powerful the
pre-test was (Roth 2022). The imputation estimates have no reference period (their pre-period
coefficients come from a separate regression on untreated observations), so the sensitivity
analysis is reported for Callaway-Sant'Anna only. Run alone or through ``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import econ

SEED = 20240501
REPS = 999
NEEDS = ("assistance_funds", "demonstration_year")
SECONDS = 3.1  # on the shipped panel: orders a first run (econ.replication.Script)
#: Event times used by the sensitivity analysis (consecutive around the reference -1).
WINDOW = (-6, 3)
#: Pre-period event times in BJS's pre-trend test.
LEADS = 5
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
ESTIMATORS = {"cs": ("Callaway-Sant'Anna", "Callaway-Sant'Anna"),
              "bjs": ("Imputation (BJS)", "插补估计量（BJS）")}
HEADS = {"estimator": ("Estimator", "估计量"),
         "average": ("Average effect, years 0-3", "平均效应（第0-3年）"),
         "test": ("Pre-trend test", "预趋势检验"), "statistic": ("Statistic", "统计量"),
         "p": ("Pre-trend p", "预趋势检验p值"),
         "breakdown_mbar": ("Breakdown Mbar", "临界值Mbar"),
         "breakdown_m": ("Breakdown M", "临界值M"),
         "robust_low": ("Robust 95% set, Mbar = 1", "稳健95%置信集（Mbar = 1）")}
TEXT = {
    "t7b": ("Table 7b. Designation: pre-trend tests and breakdown values of the average "
            "effect over event times 0-3",
            "表7b 示范村认定：预趋势检验与认定后第0-3年平均效应的临界值"),
    "design": (
        "Outcome log(1 + funds); event times -6..3 around the reference -1 for "
        "Callaway-Sant'Anna (not-yet-designated controls, universal base period), BJS "
        "pre-trend test on untreated observations with {leads} leads. Breakdown: the smallest "
        "bound at which the 95% robust set for the average effect contains 0 (relative "
        "magnitudes Mbar: C-LF hybrid, seed {seed}; smoothness M: FLCI). The imputation "
        "estimates have no reference period, so no sensitivity analysis.",
        "被解释变量为ln(1+帮扶资金)；Callaway-Sant'Anna估计以-1期为参照，事件时间-6至3"
        "（以尚未认定的村庄为对照，统一基期）；BJS预趋势检验基于未处理观测，含{leads}个提前期。"
        "临界值：平均效应的95%稳健置信集包含0时的最小约束（相对幅度Mbar：C-LF混合法，随机种子"
        "{seed}；平滑性M：FLCI）。插补估计量没有参照期，故不做敏感性分析。"),
    "power": (
        "Roth (2022): a linear pre-trend of slope {slope:.4f} per year would be detected by "
        "the pre-test with probability {power:.0%}; conditional on passing, it would bias the "
        "average effect by {bias:.3f}.",
        "Roth (2022)：斜率为每年{slope:.4f}的线性预趋势被预检验发现的概率为{power:.0%}；"
        "在通过预检验的条件下，它使平均效应偏倚{bias:.3f}。"),
}


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the robust designation event study; return the files written."""
    data = panel.to_pandas()
    data["y"] = np.log1p(data["assistance_funds"])
    sample = econ.Dataset(data, simulated=panel.simulated)
    simulated = [econ.SIMULATED_LABEL] if panel.simulated else []
    cs = econ.att_gt(sample, outcome="y", unit="village_id", time="year",
                     cohort="demonstration_year", control="not_yet_treated",
                     base_period="universal", bootstrap=econ.Multiplier(reps=reps, seed=SEED))
    cs_study = cs.aggregate("dynamic").event_study()
    imputation = econ.did_imputation(sample, outcome="y", unit="village_id", time="year",
                                cohort="demonstration_year", pretrends=LEADS)
    high = WINDOW[1]
    written = econ.event_study_comparison_plot(
        [cs_study, imputation], ["Callaway-Sant'Anna (not yet treated, universal base)",
                                 "Imputation (Borusyak-Jaravel-Spiess)"], window=WINDOW,
        title="Figure 5b. Effect of designation on log(1 + funds) by years since designation",
        xlabel="Years since designation", ylabel="ATT on log(1 + funds)",
        simulated=panel.simulated).save(output / "figure5b_designation_robust_event_study")

    relative = econ.honest_did(cs_study, window=WINDOW, target="average")
    smooth = econ.honest_did(cs_study, window=WINDOW, target="average",
                             restriction="smoothness")
    power = econ.pretest_power(cs_study, window=WINDOW, power=0.8)
    written += econ.sensitivity_plot(
        relative, simulated=panel.simulated, ylabel="ATT on log(1 + funds)",
        title="Figure 5c. Designation effect (average, event times 0-3) as parallel trends "
              "is relaxed").save(output / "figure5c_designation_sensitivity")

    band = econ.sensitivity_band(cs_study, bound=1.0, window=WINDOW)
    written += econ.event_study_plot(
        cs_study, sensitivity=band, simulated=panel.simulated,
        xlabel="Years since designation", ylabel="ATT on log(1 + funds)",
        title="Figure 5d. Designation event study with Rambachan-Roth robust sets "
              "(Mbar = 1)").save(output / "figure5d_designation_robust_sets")

    cs_wald = econ.pretrend_test(cs_study, window=WINDOW)
    bjs = imputation.pretrend
    assert bjs is not None  # pretrends > 0
    post = cs_study.params.loc[0:high]
    imputation_post = imputation.params.loc[0:high]
    rows = [
        {**_row("cs", post.mean(), cs_wald), "breakdown_mbar": relative.breakdown,
         "breakdown_m": smooth.breakdown,
         "robust_low": relative.bounds.set_index("M").loc[1.0, "conf_low"],
         "robust_high": relative.bounds.set_index("M").loc[1.0, "conf_high"]},
        {**_row("bjs", imputation_post.mean(), bjs), "breakdown_mbar": np.nan,
         "breakdown_m": np.nan, "robust_low": np.nan, "robust_high": np.nan},
    ]
    table = pd.DataFrame(rows)
    bias = power.periods.set_index("period")["bias_if_passed"].loc[0:high].mean()
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        written += econ.Table.from_frame(
            table.assign(estimator=[ESTIMATORS[e][which] for e in table["estimator"]]),
            digits=3, labels=("estimator", "test"), pvalues=("p",),
            intervals={"robust_low": "robust_high"},
            header={name: words[which] for name, words in HEADS.items()},
            title=TEXT["t7b"][which],
            notes=[*([SIMULATED[language]] if panel.simulated else []),
                   TEXT["design"][which].format(leads=LEADS, seed=SEED),
                   TEXT["power"][which].format(slope=power.slope, power=power.power,
                                               bias=bias)],
        ).write(output / f"table7b_designation_breakdown{SUFFIX[language]}", width="shrink")
    written += econ.Table.from_frame(
        pd.concat([relative.tidy(), smooth.tidy().iloc[1:]], ignore_index=True)
        .drop(columns="contains_null")
        .pipe(lambda frame: frame.assign(restriction=frame["restriction"].str.capitalize())),
        digits=4, labels=("restriction", "method"), intervals={"conf_low": "conf_high"},
        header={"restriction": "Restriction", "method": "Method", "M": "Bound (Mbar or M)",
                "conf_low": "Robust 95% set"},
        title="Figure 5c data. Robust 95% sets for the average designation effect "
              "(Callaway-Sant'Anna)", notes=simulated,
    ).write(output / "figure5c_designation_sensitivity_data")
    return written


def _row(name: str, average: float, test: econ.WaldTest) -> dict[str, object]:
    """Estimator, average effect and its pre-trend test."""
    q, df = test.df_num, test.df_denom
    label = f"F({q}, {df:g})" if np.isfinite(df) else f"χ²({q})/{q}"
    return {"estimator": name, "average": float(average), "test": label,
            "statistic": test.statistic, "p": test.pvalue}


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
