"""Summary-statistics tables with variable labels in English or Chinese."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from econ.data.dataset import SIMULATED_LABEL, Dataset
from econ.data.labels import Language, check_language, variable_label
from econ.estimation.descriptives import summary_statistics
from econ.table import Table, format_number

_HEADER = {
    "en": ("Variable", "N", "Mean", "SD", "Min", "P25", "Median", "P75", "Max"),
    "zh": ("变量", "观测值", "均值", "标准差", "最小值", "25%分位数", "中位数", "75%分位数",
           "最大值"),
}
_MISSING = {"en": "{} missing value(s) of {} left out.", "zh": "{1}有{0}个缺失值，未计入。"}
_TITLE = {"en": "Summary statistics", "zh": "描述性统计"}
_SIMULATED = {"en": SIMULATED_LABEL, "zh": "模拟数据：" + SIMULATED_LABEL}


def descriptive_table(
    panel: Dataset,
    *,
    variables: Sequence[str] | None = None,
    language: Language = "en",
    title: str | None = None,
    digits: int = 3,
    notes: Sequence[str] = (),
) -> Table:
    """A summary-statistics table (N, mean, SD, min, quartiles, max), one row per variable.

    Missing values are left out of each variable's statistics and counted in a note; a note
    marks simulated data. The default title is "Summary statistics" (描述性统计 in Chinese).
    """
    check_language(language)
    stats = summary_statistics(panel, variables=variables)
    rows = tuple(
        (variable_label(str(r.variable), language), f"{r.n:,}",
         *(format_number(float(getattr(r, c)), digits)
           for c in ("mean", "sd", "min", "p25", "median", "p75", "max")))
        for r in stats.itertuples())
    extra = [_MISSING[language].format(f"{cast(int, r.missing):,}",
                                       variable_label(str(r.variable), language))
             for r in stats.itertuples() if r.missing]
    simulated = [_SIMULATED[language]] if panel.simulated else []
    return Table(_TITLE[language] if title is None else title, _HEADER[language], rows,
                 (*notes, *extra, *simulated))
