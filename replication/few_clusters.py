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
SECONDS = 0.6  # on the shipped panel: orders a first run (econ.replication.Script)
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
    "recommended": ("Recommended: {method}. {reason}", "推荐方法：{method}。理由：{reason}"),
    "blank": ("Smallest p: the smallest p-value the method can give with these clusters; "
              "empty rows: the method does not apply (see Assumes).",
              "最小可得p值：给定聚类时该方法能得到的最小p值；空行：该方法不适用（见前提假设）。"),
}
#: The English sentences ``econ.few_cluster_inference`` explains its recommendation with, and
#: their Chinese. ``{name}`` matches a value and is carried over (variable names and the
#: ``why``/``wild``/``alternatives`` clauses are translated on the way); the package's text
#: is matched in order, so a sentence it gains later is kept in English rather than lost.
SENTENCES = (
    ("{G} clusters: Rademacher weights give only 2^{G} = {P} sign patterns; Webb's six-point "
     "weights give a finer reference distribution (MacKinnon, Nielsen and Webb 2023).",
     "{G}个聚类：Rademacher权重只有2^{G} = {P}种符号组合；Webb六点权重的自助分布更细"
     "（MacKinnon, Nielsen and Webb 2023）。"),
    ("{G} clusters: the restricted wild cluster bootstrap with Rademacher weights (MacKinnon, "
     "Nielsen and Webb 2023); CR1 t-tests over-reject below about 30 clusters or with unequal "
     "ones.",
     "{G}个聚类：采用Rademacher权重的受约束野聚类自助法（MacKinnon, Nielsen and Webb 2023）；"
     "聚类少于约30个或规模不等时，CR1 t检验过度拒绝。"),
    ("Only {T} of {G} clusters have a non-zero {term} (or only {U} a zero one): the restricted "
     "wild bootstrap is then conservative by construction, its bootstrap distribution being "
     "dominated by the few treated clusters' residuals (MacKinnon and Webb 2017, 2018; at most "
     "6.5% and mostly 0-3% of true nulls rejected at 5% in the package's size benchmark): read "
     "a rejection as strong evidence and a non-rejection with care.",
     "{G}个聚类中只有{T}个的{term}不为零（或只有{U}个为零）：此时受约束野自助法的自助分布由"
     "少数处理聚类的残差主导，必然偏保守（MacKinnon and Webb 2017, 2018；在本软件包的检验水平"
     "基准中，5%水平下对真原假设的拒绝率至多6.5%，多数为0-3%）：拒绝可视为强证据，不拒绝则需"
     "谨慎解读。"),
    ("If the treatment was assigned at random across clusters, pass assignment= for "
     "randomization inference, which is exact.",
     "若处理在聚类间随机分配，可传入assignment=进行随机化推断，其检验是精确的。"),
    ("{G} clusters, {T} of them with a non-zero {term}: CR2 with Satterthwaite degrees of "
     "freedom under a working model with a cluster random effect (Imbens and Kolesár 2016) held "
     "its size at 4-10 unequal clusters with half of them treated in the package's size "
     "benchmark, where the restricted wild bootstrap rejected 7.7-8.0% of true nulls at 5% and "
     "CR2 with Bell-McCaffrey df up to 8% (benchmarks/size_few_clusters.py).",
     "{G}个聚类，其中{T}个的{term}不为零：在聚类随机效应工作模型下计算Satterthwaite自由度的CR2"
     "（Imbens and Kolesár 2016）在本软件包的检验水平基准中，于4-10个规模不等、半数受处理的"
     "聚类下保持了名义水平；同一设计下受约束野自助法在5%水平上拒绝了7.7-8.0%的真原假设，采用"
     "Bell-McCaffrey自由度的CR2最高达8%（benchmarks/size_few_clusters.py）。"),
    ("Caution: CR2 with Imbens-Kolesár df, recommended with {G} clusters and more than two "
     "treated, could not be computed (see its row); the wild bootstrap rejected 7.7-8.0% of "
     "true nulls at 5% with 6-10 unequal clusters, half of them treated, in the package's size "
     "benchmark (benchmarks/size_few_clusters.py).",
     "注意：在{G}个聚类且受处理聚类多于两个时推荐的Imbens-Kolesár自由度CR2未能计算（见其所在行）；"
     "在本软件包的检验水平基准（benchmarks/size_few_clusters.py）中，6-10个规模不等、半数受处理的"
     "聚类下，野自助法在5%水平上拒绝了7.7-8.0%的真原假设。"),
    ("Its degrees of freedom here are {D} (two-sided 5% critical value {C}).",
     "此处其自由度为{D}（5%双侧临界值为{C}）。"),
    ("{why}: randomization inference, exact if the treatment was assigned at random across "
     "clusters, has too few distinct assignments to reject at {A} (its smallest p-value is "
     "{S}); {wild} (benchmarks/size_few_clusters.py). Report the randomization p-value and say "
     "that no test at {A} is available with this design.",
     "{why}：随机化推断在处理随机分配于聚类间时是精确的，但不同的分配方式太少，无法在{A}水平上"
     "拒绝（其最小p值为{S}）；{wild}（benchmarks/size_few_clusters.py）。应报告随机化推断p值，"
     "并说明此设计下没有{A}水平的检验。"),
    ("{why} with the treatment assigned across them: randomization inference is exact if the "
     "assignment was random, whatever the clusters' sizes; {wild} "
     "(benchmarks/size_few_clusters.py).",
     "{why}，处理在聚类间分配：若分配是随机的，无论聚类规模如何，随机化推断都是精确的；{wild}"
     "（benchmarks/size_few_clusters.py）。"),
    ("with {G} clusters in '{c}' no valid test clustered by it can reject at 5%: the wild "
     "bootstrap's smallest attainable p-value is {S}, and CR1 with t({D}) over-rejects badly.",
     "按{c}聚类只有{G}个聚类，没有有效检验能在5%水平上拒绝：野自助法的最小可得p值为{S}，而"
     "采用t({D})分布的CR1严重过度拒绝。"),
    ("Alternatives, each with what it assumes: {alternatives}.",
     "可选方法及其前提假设：{alternatives}。"),
    ("Group the fit by a finer variable (groups=[...]) to see the alternatives.",
     "请在估计时用groups=[...]给出更细的分组变量，以查看可选方法。"),
    ("Effective number of clusters for this coefficient (Carter, Schnepel and Steigerwald's "
     "G*): {E} of {G}.",
     "该系数的有效聚类数（Carter, Schnepel and Steigerwald的G*）：{E}（共{G}个聚类）。"),
    ("With so few effective clusters the coefficient's variation sits in one or a few clusters "
     "(see the diagnostics' partial leverage): CR1 and CR2 p-values are far too small; read "
     "the wild bootstrap p-value as the most that can be claimed.",
     "有效聚类数如此之少，该系数的变异集中于一个或少数几个聚类（见诊断中的偏杠杆值）：CR1与CR2"
     "的p值远远偏小；野自助法p值是所能主张的上限。"),
    ("Clustered by {n} ({G} clusters) no valid test can reject at 5% (smallest wild bootstrap "
     "p-value {S}); the subcluster bootstrap by {c} keeps the {n}-level CRVE.",
     "按{n}聚类（{G}个聚类）时没有有效检验能在5%水平上拒绝（野自助法最小p值为{S}）；按{c}的"
     "子聚类自助法保留了{n}层级的聚类稳健方差。"),
)
#: The recommended method's name.
METHODS = (
    ("WCR, {w} by {c}", "WCR（{w}权重），按{c}聚类"),
    ("CR2, Imbens-Kolesár df by {c}", "CR2（Imbens-Kolesár自由度），按{c}聚类"),
    ("Randomization inference by {c}", "随机化推断，按{c}聚类"),
    ("No test by {c} can reject at {A}", "按{c}聚类时没有检验能在{A}水平上拒绝"),
    ("Do not cluster by {c}; report WCR by {n} (G = {g}: assumes independence across {n})",
     "不宜按{c}聚类；报告按{n}聚类的WCR（G = {g}：假设各{n}之间相互独立）"),
    ("No valid test by {c}", "按{c}聚类时无有效检验"),
    ("WCR subcluster, weights by {n}", "WCR子聚类自助法，权重按{n}"),
    ("Wild bootstraps: restricted (WCR11), B = {B} (all 2^G sign patterns when fewer), seed "
     "{seed}, inclusive p-value rule.",
     "野自助法：受约束（WCR11），B = {B}（符号组合少于B时全部枚举2^G种），随机种子{seed}，"
     "p值含等号规则。"),
)
#: Clauses inside the sentences above.
CLAUSES = (
    ("{T} of {G} clusters treated", "{G}个聚类中{T}个受处理"),
    ("{G} clusters", "{G}个聚类"),
    ("the restricted wild bootstrap is conservative with so few treated clusters and the "
     "unrestricted one over-rejects (MacKinnon and Webb 2017, 2018)",
     "处理聚类如此之少时，受约束野自助法偏保守，无约束野自助法则过度拒绝（MacKinnon and Webb "
     "2017, 2018）"),
    ("the wild bootstrap rejected 7.6-8.0% of true nulls at 5% with 8-10 unequal clusters, half "
     "of them treated, in the package's size benchmark",
     "在本软件包的检验水平基准中，8-10个规模不等、半数受处理的聚类下，野自助法在5%水平上拒绝了"
     "7.6-8.0%的真原假设"),
    ("WCR by {n} (G = {g}: assumes independence across {n})",
     "按{n}聚类的WCR（G = {g}：假设各{n}之间相互独立）"),
    ("the subcluster bootstrap (CRVE by {c}, weights by {n})",
     "子聚类自助法（按{c}计算聚类稳健方差，权重按{n}）"),
)
#: What each method assumes (the table's ``assumes`` column).
ASSUMES = (
    ("many clusters of similar size; over-rejects with few", "聚类多且规模相近；聚类少时过度拒绝"),
    ("errors independent across clusters; small-sample bias corrected",
     "误差在聚类间独立；已校正小样本偏误"),
    ("errors independent across clusters; conservative with few",
     "误差在聚类间独立；聚类少时偏保守"),
    ("errors independent across clusters; df from a cluster random-effects model",
     "误差在聚类间独立；自由度来自聚类随机效应工作模型"),
    ("errors independent across clusters ({P} patterns)", "误差在聚类间独立（{P}种符号组合）"),
    ("errors independent across clusters", "误差在聚类间独立"),
    ("CRVE by {c}; {n}s within a {c} independent enough to share no weight",
     "按{c}计算聚类稳健方差；同一{c}内的各{n}足够独立，可不共用权重"),
    ("cluster estimates independent, about normal ({q} used)",
     "各聚类的估计值相互独立、近似正态（使用{q}个）"),
    ("cluster estimates independent and symmetric ({q} used)",
     "各聚类的估计值相互独立且对称（使用{q}个）"),
    ("treatment assigned at random across clusters (all {N} assignments)",
     "处理在聚类间随机分配（全部{N}种分配）"),
    ("treatment assigned at random across clusters ({N} random assignments)",
     "处理在聚类间随机分配（{N}次随机分配）"),
    ("not computed: {term} is estimable within {q} of the {G} clusters (it needs variation "
     "inside each cluster)",
     "未计算：{term}仅在{G}个聚类中的{q}个内可估计（需要聚类内部的变异）"),
    ("not computed: more than {M} usable clusters", "未计算：可用聚类多于{M}个"),
    ("not computed: {error}", "未计算：{error}"),
)
#: Values that are variable names.
VARIABLES = ("c", "n", "term")


def _parts(template: str) -> list[tuple[str, str]]:
    """``template`` as (literal text, name of the value after it) pairs; the last name is
    empty."""
    pieces = template.split("{")
    parts, literal = [], pieces[0]
    for piece in pieces[1:]:
        name, after = piece.split("}", 1)
        parts.append((literal, name))
        literal = after
    return [*parts, (literal, "")]


def _match(template: str, text: str, *, whole: bool) -> tuple[dict[str, str], int] | None:
    """The values of ``template``'s ``{names}`` in ``text`` (which starts with it) and where
    the match ends; ``None`` if it does not match. A value never spans a sentence end and a
    repeated name must repeat its value."""
    parts = _parts(template)
    values: dict[str, str] = {}
    at = 0
    for (literal, name), (following, _) in zip(parts, [*parts[1:], ("", "")], strict=True):
        if not text.startswith(literal, at):
            return None
        at += len(literal)
        if not name:
            break
        if following:
            end = text.find(following, at)
        elif whole:
            end = len(text)
        else:
            return None
        value = text[at:end]
        if end <= at or ". " in value or values.setdefault(name, value) != value:
            return None
        at = end
    return (values, at) if at == len(text) or not whole else None


def _fill(chinese: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        if name in VARIABLES:
            values[name] = econ.term_label(value, "zh")
        elif name in ("why", "wild", "alternatives"):
            values[name] = "；".join(_translate(part, CLAUSES, whole=True)[0]
                                    for part in value.split("; "))
    return chinese.format(**values)


def _translate(text: str, table: tuple[tuple[str, str], ...], *, whole: bool = False
               ) -> tuple[str, str]:
    """Chinese of ``text`` read as a run of the ``table``'s sentences (``whole``: as one of
    them), and what is left over in English (empty when everything was recognised)."""
    done, rest = [], text.strip()
    while rest:
        for english, chinese in table:
            found = _match(english, rest, whole=whole)
            if found is not None and (whole or rest[found[1]:][:1] in ("", " ")):
                done.append(_fill(chinese, found[0]))
                rest = rest[found[1]:].strip()
                break
        else:
            break
    return "".join(done), rest


def chinese(text: str, table: tuple[tuple[str, str], ...] = SENTENCES, *,
            whole: bool = False) -> str:
    """The Chinese of a run of sentences of ``few_cluster_inference`` (``whole``: of one name
    or note in ``table``); a part it does not recognise is kept in English (in brackets)
    rather than dropped."""
    translated, rest = _translate(text, table, whole=whole)
    return translated + (f"（原文：{rest}）" if rest else "")


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
    clusterings = list(dict.fromkeys(table["clustering"]))
    for language in LANGUAGES:
        which = LANGUAGES.index(language)
        own = [SIMULATED[language]] if panel.simulated else []
        shown = table.assign(clustering=[econ.variable_label(c, language)
                                         for c in table["clustering"]],
                             method=[_method(m, language, clusterings) for m in table["method"]])
        columns = ["clustering", "clusters", "method", "p_value", "conf_low", "conf_high",
                   "smallest_p"]
        if language == "en":
            # What each method assumes, once per method, in the notes: as a column it made
            # the table twice the width of a page.
            assumed = dict(zip(shown["method"], table["assumes"], strict=True))
            explained = [_english(text, clusterings) for text in (
                TEXTS.say("recommended", language, method=result.recommendation,
                     reason=result.reason), *result.notes, "Assumes: " + "; ".join(
                    f"{method}: {text}" for method, text in assumed.items()) + ".")]
        else:
            assumed = {_method(m, language, clusterings): chinese(text, ASSUMES, whole=True)
                       for m, text in zip(table["method"], table["assumes"], strict=True)}
            explained = [TEXTS.say("recommended", language,
                              method=chinese(result.recommendation, METHODS, whole=True),
                              reason=chinese(result.reason)),
                         chinese(result.notes[0], METHODS, whole=True),
                         "前提假设：" + "".join(f"{method}：{text}。"
                                              for method, text in assumed.items())]
        written += econ.Table.from_frame(
            shown[columns], digits=4, title=TEXT["t14"][which], header=TEXTS.heading(language),
            labels=("clustering", "method"), pvalues=("p_value",),
            intervals={"conf_low": "conf_high"},
            notes=[*own, TEXTS.say("estimate", language, estimate=result.estimate), *explained,
                   TEXTS.say("blank", language)],
        ).write(output / f"table14_few_clusters{SUFFIX[language]}", width="shrink")
    shown = table[np.isfinite(table["p_value"].to_numpy(dtype=float))]
    shown = shown.assign(clustering=[f"By {econ.variable_label(c).lower()}"
                                     for c in shown["clustering"]],
                         method=[_method(m, "en", clusterings) for m in shown["method"]])
    chart = econ.coefficient_plot(
        shown, term="method", estimate="p_value", low=None, high=None, group="clustering",
        simulated=panel.simulated, xlabel="p-value of the triple difference", width="double",
        title="Figure 6. p-values by few-cluster method and clustering level")
    return written + chart.save(output / "figure6_few_clusters")


def _english(text: str, clusterings: list[str]) -> str:
    """``text`` with the clustering variables named in words (``township_id`` -> township)."""
    for name in clusterings:
        text = text.replace(name, econ.variable_label(name).lower())
    return text


def _method(name: str, language: str, clusterings: list[str]) -> str:
    """A method's name as the table prints it: the literature's name, variables in words."""
    if language == "en":
        return _english(name, clusterings)
    translated, rest = _translate(name, METHODS, whole=True)
    return name if rest else translated


TEXTS = econ.Texts(TEXT, HEADS)


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    main(panel=econ.read_panel(root / "data" / "village_panel.parquet"),
         output=root / "replication" / "output")
