"""The replication steps in Chinese: the few-cluster recommendation and its reason, the survey
tables, and the readable labels of the newer steps.

The few-cluster reason is English prose written by ``econ.models.few_clusters``; Table 14's
Chinese notes translate it sentence by sentence (``replication/few_clusters.py``). Every text
the package can write is generated here from its own functions, so a sentence added or
reworded there fails this test instead of slipping into the Chinese table in English.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.models import few_clusters as package

ROOT = Path(__file__).resolve().parents[2]


def _step(name: str):
    spec = importlib.util.spec_from_file_location(f"replication_{name}",
                                                  ROOT / "replication" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def few():
    return _step("few_clusters")


def _no_english_left(text: str) -> None:
    # Names from the literature and the package (Rademacher, MacKinnon, WCR, assignment=) stay;
    # a run of ordinary English words would be an untranslated sentence.
    assert "原文" not in text, text
    assert not re.search(r"\b(?:the|of|with|and|clusters?|test)\s+[a-z]+\s+[a-z]+", text), text


def _translated(few, text: str, *, whole: bool = False, table=None) -> str:
    chinese, rest = few._translate(text, table or few.SENTENCES, whole=whole)
    assert rest == "", f"not translated: {rest!r}"
    _no_english_left(chinese)
    return chinese


@pytest.mark.parametrize(("groups", "treated", "few_treated"),
                         [(8, 4, False), (8, 1, True), (31, 15, False), (31, 2, True)])
def test_every_wild_bootstrap_reason_is_translated(few, groups, treated, few_treated):
    method, reason = package._wild("township_id", groups, "high_level:rich:post", treated,
                                   few_treated)
    chinese = _translated(few, reason)
    assert f"{groups}个聚类" in chinese
    if few_treated:
        assert f"{groups}个聚类中只有{treated}个" in chinese and "高层级单位" in chinese
    assert _translated(few, method, whole=True, table=few.METHODS).endswith("按乡镇聚类")


@pytest.mark.parametrize(("few_treated", "smallest"),
                         list(itertools.product([True, False], [0.01, 0.125])))
def test_every_randomization_reason_is_translated(few, few_treated, smallest):
    method, reason = package._randomization("county_id", 6, 1, few_treated, smallest, 0.05)
    chinese = _translated(few, reason)
    assert ("6个聚类中1个受处理" if few_treated else "6个聚类") in chinese
    if smallest > 0.05:
        assert f"最小p值为{smallest:.3f}" in chinese
    assert "县" in _translated(few, method, whole=True, table=few.METHODS)


def _panel(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({"township": np.repeat(np.arange(12), 10)})
    rows["county"] = rows["township"] // 6
    rows["x"] = rng.normal(size=len(rows))
    rows["y"] = 0.3 * rows["x"] + rng.normal(size=len(rows)) + rng.normal(size=12)[
        rows["township"]]
    return rows.rename(columns={"township": "township_id", "county": "county_id"})


@pytest.mark.filterwarnings("ignore::econ.inference.covariance.FewClustersWarning")
@pytest.mark.parametrize(("cluster", "groups"), [("township_id", "county_id"),
                                                 ("county_id", "township_id"),
                                                 ("county_id", None)])
def test_recommendation_reasons_of_whole_runs_are_translated(few, cluster, groups):
    fit = econ.feols("y ~ x", _panel(), cov=econ.Cluster(cluster),
                     **({"groups": [groups]} if groups else {}))
    result = econ.few_cluster_inference(fit, "x", reps=19, seed=1)
    reason = _translated(few, result.reason)
    assert "有效聚类数" in reason
    recommendation = _translated(few, result.recommendation, whole=True, table=few.METHODS)
    if cluster == "county_id":  # two counties: no valid test by county
        assert recommendation.startswith(("不宜按县聚类", "按县聚类时无有效检验")), recommendation
        assert "没有有效检验能在5%水平上拒绝" in reason
    _translated(few, result.notes[0], whole=True, table=few.METHODS)
    for method in set(result.table["method"]):
        assert "_id" not in few._method(method, "en", ["township_id", "county_id"])
    for assumes in set(result.table["assumes"]):
        if not assumes.startswith("not computed"):  # the reason there is an error message
            _translated(few, assumes, whole=True, table=few.ASSUMES)


def test_what_every_method_assumes_is_translated(few):
    for text, expected in (
            ("errors independent across clusters (4 patterns)", "误差在聚类间独立（4种符号组合）"),
            ("treatment assigned at random across clusters (all 20 assignments)",
             "处理在聚类间随机分配（全部20种分配）"),
            ("treatment assigned at random across clusters (999 random assignments)",
             "处理在聚类间随机分配（999次随机分配）"),
            ("not computed: more than 12 usable clusters", "未计算：可用聚类多于12个"),
            ("not computed: high_level:rich:post is estimable within 1 of the 2 clusters (it "
             "needs variation inside each cluster)", "未计算：高层级单位 × 资源禀赋强 × 过渡期仅在"
                                                     "2个聚类中的1个内可估计（需要聚类内部的变异）")):
        assert few.chinese(text, few.ASSUMES, whole=True) == expected


def test_an_unknown_sentence_is_kept_in_english_not_dropped(few):
    text = few.chinese("12 clusters: the restricted wild cluster bootstrap with Rademacher "
                       "weights (MacKinnon, Nielsen and Webb 2023); CR1 t-tests over-reject "
                       "below about 30 clusters or with unequal ones. A sentence added later.")
    assert text.startswith("12个聚类：") and text.endswith("（原文：A sentence added later.）")


def _outputs(steps: tuple[str, ...], folder: Path, reps: int) -> Path:
    from econ.replication import replicate

    replicate(root=ROOT, steps=steps, output=folder, reps=reps)
    return folder


def test_survey_tables_read_as_a_journal_prints_them(tmp_path):
    out = _outputs(("survey",), tmp_path, 19)
    english = pd.read_csv(out / "table12_survey_ordered_logit.csv", keep_default_na=False,
                          dtype=str)
    assert list(english.columns) == ["Difficulty", "Unit level", "Estimate", "Std. error", "p",
                                     "p (Holm)", "p (bootstrap-t)", "p (Romano-Wolf)"]
    # Four difficulties in blocks; in each, unit levels from lowest to highest, then the control.
    assert english["Unit level"].tolist() == ["Municipal", "Provincial", "Central",
                                              "Months in post"] * 4
    assert (english["Difficulty"] != "").sum() == 4
    assert "< 0.001" in english["p"].tolist()
    assert not any("_" in cell for cell in english.to_numpy().ravel())
    chinese = pd.read_csv(out / "table12_survey_ordered_logit_zh.csv", keep_default_na=False,
                          dtype=str)
    assert chinese.columns[0] == "困难" and chinese.iloc[0, 1] == "市级"
    # The bootstrap p-values are of the respondent bootstrap, not a wild bootstrap.
    assert "p值（自助法t）" in chinese.columns and "野自助法" not in "".join(chinese.columns)
    effects = pd.read_csv(out / "table13_survey_marginal_effects_zh.csv", dtype=str,
                          keep_default_na=False)
    assert effects["派出单位层级"].tolist() == ["市级", "省级", "中央"] * 4
    assert effects["自助法95%置信区间"].str.match(r"^\[-?\d\.\d{3}, -?\d\.\d{3}\]$").all()
    for name in ("table12_survey_ordered_logit", "table13_survey_marginal_effects"):
        tex = (out / f"{name}_zh.tex").read_text(encoding="utf-8")
        assert r"\caption{" in tex and "模拟数据" in tex and "resizebox" in tex
        assert "Table 1" not in tex and "SIMULATED DATA" in (out / f"{name}.md").read_text(
            encoding="utf-8")


def test_table_and_figure_numbers_are_unique_across_steps():
    """Each table or figure number in a title belongs to one step (the slow compile test
    checks the numbers of the files a full run writes)."""
    owner: dict[str, str] = {}
    for script in sorted((ROOT / "replication").glob("*.py")):
        text = script.read_text(encoding="utf-8")
        numbers = {(kind, n) for kind, n in re.findall(r"[\"(](Table|Figure) (\d+[a-z]?)\. ",
                                                       text)}
        numbers |= {("Table", n) for n in re.findall(r"\"表(\d+[a-z]?) ", text)}
        for kind, number in numbers:
            key = f"{kind} {number}"
            assert owner.setdefault(key, script.stem) == script.stem, (
                f"{key} is written by both {owner[key]} and {script.stem}")
    assert {"Table 15", "Table 17", "Table 4c", "Table 7b", "Table 12"} <= set(owner)


@pytest.mark.slow
def test_new_steps_write_readable_english_and_chinese_tables(tmp_path):
    out = _outputs(("ppml", "rotation", "designation_robust"), tmp_path, 19)
    for name in ("table4c_strong_alliance_ppml", "table15_rotation_dcdh",
                 "table16_rotation_average_effects", "table17_rotation_sensitivity",
                 "table7b_designation_breakdown"):
        english = (out / f"{name}.md").read_text(encoding="utf-8")
        chinese = (out / f"{name}_zh.md").read_text(encoding="utf-8")
        assert "SIMULATED DATA" in english and "模拟数据" in chinese
        head = next(line for line in english.splitlines() if line.startswith("|"))
        assert "_" not in head, head  # no snake_case headings
        title = chinese.splitlines()[0]
        assert re.match(r"^\*\*表\d+[a-z]? ", title), title
        assert not re.search(r"\b(?:the|of|with|by)\b", chinese.split("模拟数据")[0]), name
        assert r"\resizebox" in (out / f"{name}.tex").read_text(encoding="utf-8")
    rotation = pd.read_csv(out / "table15_rotation_dcdh_zh.csv", dtype=str,
                           keep_default_na=False)
    assert rotation.iloc[0, :3].tolist() == ["全部村庄", "升至更高层级", "-1（安慰剂）"]
    for figure in ("figure7_rotation_in", "figure8_rotation_out",
                   "figure9_rotation_in_sensitivity", "figure10_rotation_out_sensitivity",
                   "figure5b_designation_robust_event_study"):
        assert (out / f"{figure}.png").read_bytes().startswith(b"\x89PNG")
