"""Table 4c: the strong-alliance triple difference on funds and project counts by Poisson
pseudo-maximum likelihood (PPML), beside the log(1 + y) least-squares version, in English and
in Chinese (``*_zh`` files).

Run alone with ``python replication/ppml.py`` from the project root, or through
``econ replicate`` (``--reps`` sets the score-bootstrap replications).
"""

from __future__ import annotations

from pathlib import Path

import econ

SEED = 20240517
REPS = 9999
NEEDS = ("unit_level", "endowment", "assistance_funds", "projects", "unit_strength",
         "demonstration_year")
SECONDS = 0.8  # on the shipped panel: orders a first run (econ.replication.Script)
TRIPLE = "level:endow:post"
TERMS = (TRIPLE, "endow:post", "level:post", "level", "level:endow")
LANGUAGES = ("en", "zh")
SUFFIX = {"en": "", "zh": "_zh"}
LABELS = {"en": {TRIPLE: "Level × Endow. × Post (strong alliance)", "level": "Unit level",
                 "endow:post": "Endow. × Post", "level:post": "Level × Post",
                 "level:endow": "Level × Endow.", "assistance_funds": "Funds",
                 "projects": "Projects", "log1p_assistance_funds": "log(1 + funds)",
                 "log1p_projects": "log(1 + projects)"},
          "zh": {TRIPLE: "层级×禀赋×过渡期（强强联合）", "level": "单位层级",
                 "endow:post": "禀赋×过渡期", "level:post": "层级×过渡期",
                 "level:endow": "层级×禀赋", "assistance_funds": "帮扶资金",
                 "projects": "项目数", "log1p_assistance_funds": "ln(1+帮扶资金)",
                 "log1p_projects": "ln(1+项目数)"}}
COLUMNS = {"en": ("OLS, 10,000 yuan", "OLS, yuan", "PPML, 10,000 yuan", "PPML, yuan", "OLS",
                  "PPML"),
           "zh": ("OLS，万元", "OLS，元", "PPML，万元", "PPML，元", "OLS", "PPML")}
TEXT = {
    "title": ("Table 4c. Strong alliance by PPML beside log(1 + y)",
              "表4c 强强联合：PPML与ln(1+y)回归的比较"),
    "model": (
        "PPML: E[y] = exp(x'b + village + year); exp(b) - 1 is the proportional change of "
        "mean funds (projects). OLS: log(1 + y) on the same terms. Level: high-level unit; "
        "Endow.: baseline endowment; Post: 2021 or later. Controls in both: resident team, "
        "strong unit, designation by cohort and year. Standard errors clustered by township "
        "(CR1).",
        "PPML：E[y] = exp(x'b + 村庄 + 年份)；exp(b) - 1为平均帮扶资金（项目数）的变化比例。"
        "OLS：ln(1+y)对相同变量回归。层级：高层级单位；禀赋：基期资源禀赋；过渡期：2021年及以后。"
        "两者的控制变量：驻村工作队、强势单位、分批次分年份的示范村认定。标准误按乡镇聚类（CR1）。"),
    "why": (
        "Why they differ (Chen and Roth 2024): log(1 + y) is close to log(y) for large y and "
        "to y near zero, so its coefficients mix proportional changes with changes at the "
        "zero margin in proportions that depend on the unit of y: the OLS columns in 10,000 "
        "yuan and in yuan differ, the PPML ones do not (only the fixed effects absorb the "
        "unit). Project counts are zero in many village-years, where the log(1 + y) "
        "coefficient is furthest from a percentage effect.",
        "两者为何不同（Chen and Roth 2024）：y较大时ln(1+y)接近ln(y)，y接近零时接近y，因此其"
        "系数以取决于y的计量单位的比例混合了比例变化与零值边际上的变化：以万元和以元计的OLS列"
        "不同，PPML列则相同（计量单位仅被固定效应吸收）。许多村庄-年的项目数为零，此时ln(1+y)的"
        "系数离百分比效应最远。"),
    "bootstrap": (
        "Bootstrap p-values and intervals of the triple difference: wild score bootstrap in "
        "the PPML columns (Kline and Santos 2012; interval = values the test does not reject, "
        "each a restricted refit), wild cluster bootstrap (WCR11) in the OLS columns; both "
        "restricted, Rademacher weights by township, B = {reps}, seed {seed}.",
        "三重差分的自助法p值与置信区间：PPML列为野得分自助法（Kline and Santos 2012；区间为检验"
        "不拒绝的取值，每个取值做一次受约束重估），OLS列为野聚类自助法（WCR11）；均为受约束"
        "自助法，按乡镇的Rademacher权重，B = {reps}，随机种子{seed}。"),
    "separated": ("Rows removed as separated (no finite PPML estimate): {rows}.",
                  "因完全分离而删除的观测（PPML无有限估计值）：{rows}。"),
}
#: Funds are recorded in 10,000 yuan; the same regressions in yuan show which estimates
#: depend on the unit.
YUAN = 10_000.0


def main(*, panel: econ.Dataset, output: Path, reps: int = REPS) -> list[Path]:
    """Write Table 4c; return the files written."""
    bootstrap = econ.WildBootstrap(reps=reps, seed=SEED)
    # Derived once here: each design below would otherwise derive the variables again.
    panel = econ.derive(panel)
    funds_ppml = econ.strong_alliance_ppml(panel)
    funds_ppml_yuan = econ.strong_alliance_ppml(panel, scale=YUAN)
    projects_ppml = econ.strong_alliance_ppml(panel, outcome="projects")
    funds_ols = econ.strong_alliance_log1p(panel)
    funds_ols_yuan = econ.strong_alliance_log1p(panel, scale=YUAN)
    projects_ols = econ.strong_alliance_log1p(panel, outcome="projects")
    columns = (funds_ols, funds_ols_yuan, funds_ppml, funds_ppml_yuan, projects_ols,
               projects_ppml)
    # PPML results run the wild score bootstrap, least-squares ones the wild cluster (WCR).
    models = [econ.Model(result, bootstrap=[result.wild_bootstrap(TRIPLE, bootstrap)])
              for result in columns]
    separated = {name: count for m in models for name, count in m.result.dropped_rows.items()
                 if name.startswith("separated")}
    written: list[Path] = []
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        notes = [TEXT["model"][which], TEXT["why"][which],
                 TEXT["bootstrap"][which].format(reps=reps, seed=SEED)]
        if separated:
            notes.append(TEXT["separated"][which].format(rows=", ".join(
                f"{k}: {v}" for k, v in separated.items())))
        titled = [econ.Model(m.result, title=title, bootstrap=m.bootstrap)
                  for m, title in zip(models, COLUMNS[language], strict=True)]
        written += econ.etable(
            titled, keep=[f"^{t}$" for t in TERMS], labels=LABELS[language],
            stars_from="bootstrap", fit_statistics=("nobs",), language=language,
            title=TEXT["title"][which], notes=notes,
        ).write(output / f"table4c_strong_alliance_ppml{SUFFIX[language]}",
                formats=("md", "tex", "html"), width="shrink")
    return written

if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
