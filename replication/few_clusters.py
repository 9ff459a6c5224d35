"""Table 14 and Figure 6: the strong-alliance triple difference under every few-cluster method.

The panel has two counties and about thirty townships. ``econ.few_cluster_inference`` tests the
triple difference clustered by county and by township with each method that applies (CR1, CR2,
CR3, wild cluster bootstraps, the subcluster bootstrap, and the cluster-level tests where the
coefficient is estimable within clusters), reports the smallest p-value each can give and
recommends one. Run alone from the project root or through ``econ replicate``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import econ

SEED = 20240501
REPS = 9999
NEEDS = ("unit_level", "endowment", "assistance_funds")
TRIPLE = "high_level:rich:post"
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
SIMULATED = {"en": econ.SIMULATED_LABEL, "zh": "模拟数据：" + econ.SIMULATED_LABEL}
HEADS = {"clusters": ("G", "聚类数G"), "smallest_p": ("Smallest p", "最小可得p值")}
TEXT = {
    "t14": ("Table 14. The triple difference under each few-cluster method",
            "表14 少聚类推断方法下的三重差分检验"),
    "estimate": ("Triple difference (high-level unit x rich village x post-2021) {estimate:.4f}; "
                 "outcome log(1 + funds); village and year fixed effects.",
                 "三重差分（高层级单位×禀赋强×过渡期）估计值{estimate:.4f}；被解释变量为"
                 "ln(1+帮扶资金)；村庄与年份固定效应。"),
    "recommended": ("", "推荐方法：{method}。"),
    "blank": ("Smallest p: the smallest p-value the method can give with these clusters; "
              "empty rows: the method does not apply (see Assumes).",
              "最小可得p值：给定聚类时该方法能得到的最小p值；空行：该方法不适用。"),
}


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write the few-cluster table and figure; return the files written."""
    derived = econ.derive(panel)
    data = derived.to_pandas()
    data["y"] = np.log1p(data["assistance_funds"])
    fit = econ.feols(f"y ~ {TRIPLE} + rich:post + high_level:post + high_level"
                     " | village_id + year", econ.Dataset(data, simulated=panel.simulated),
                     cov=econ.Cluster("township_id"), groups=["county_id"])
    result = econ.few_cluster_inference(fit, TRIPLE, reps=reps, seed=SEED)
    table = result.tidy()
    written: list[Path] = []
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        own = [SIMULATED[language]] if panel.simulated else []
        shown = table.assign(clustering=[econ.variable_label(c, language)
                                         for c in table["clustering"]])
        columns = ["clustering", "clusters", "method", "p_value", "conf_low", "conf_high",
                   "smallest_p"]
        if language == "en":
            # What each method assumes, once per method, in the notes: as a column it made
            # the table twice the width of a page.
            assumed = dict(zip(table["method"], table["assumes"], strict=True))
            explained = [f"Recommended: {result.recommendation}. {result.reason}",
                         *result.notes, "Assumes: " + "; ".join(
                             f"{method}: {text}" for method, text in assumed.items()) + "."]
        else:
            explained = [_say("recommended", language, method=result.recommendation)]
        written += econ.Table.from_frame(
            shown[columns], digits=4, title=TEXT["t14"][which], header=_heading(language),
            labels=("clustering", "method"), pvalues=("p_value",),
            intervals={"conf_low": "conf_high"},
            notes=[*own, _say("estimate", language, estimate=result.estimate), *explained,
                   _say("blank", language)],
        ).write(output / f"table14_few_clusters{SUFFIX[language]}", width="shrink")
    shown = table[np.isfinite(table["p_value"].to_numpy(dtype=float))]
    shown = shown.assign(clustering=[f"By {econ.variable_label(c).lower()}"
                                     for c in shown["clustering"]])
    chart = econ.coefficient_plot(
        shown, term="method", estimate="p_value", low=None, high=None, group="clustering",
        simulated=panel.simulated, xlabel="p-value of the triple difference", width="double",
        title="Figure 6. p-values by few-cluster method and clustering level")
    return written + chart.save(output / "figure6_few_clusters")


def _say(key: str, language: str, **values: object) -> str:
    return TEXT[key][LANGUAGES.index(language)].format(**values)


def _heading(language: str):
    def head(name: str) -> str:
        return (HEADS[name][LANGUAGES.index(language)] if name in HEADS
                else econ.variable_label(name, language))
    return head


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
