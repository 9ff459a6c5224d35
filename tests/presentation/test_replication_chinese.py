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


def test_an_unknown_sentence_is_kept_in_english_not_dropped(few):
    text = few.chinese("12 clusters: the restricted wild cluster bootstrap with Rademacher "
                       "weights (MacKinnon, Nielsen and Webb 2023); CR1 t-tests over-reject "
                       "below about 30 clusters or with unequal ones. A sentence added later.")
    assert text.startswith("12个聚类：") and text.endswith("（原文：A sentence added later.）")
