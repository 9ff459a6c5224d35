"""Fixed text drawn on figures (axis titles, legend entries), in English and Chinese.

Like the variable labels of :mod:`econ.data.labels`, each entry is an ``(English, Chinese)``
pair, so a label cannot exist in one language only. Entries holding ``{level}`` are format
strings: the figure fills in the coverage (``"95%"``).
"""

from __future__ import annotations

from collections.abc import Mapping

from econ.data.labels import check_language

FigureText = Mapping[str, tuple[str, str]]
"""Key -> (English, Chinese): the text of one kind of figure."""

#: :func:`econ.event_study_plot`.
EVENT_STUDY: FigureText = {
    "year": ("Year", "年份"),
    "period": ("Period relative to treatment", "相对处理时期"),
    "estimate": ("Estimate", "估计值"),
    "pointwise": ("Pointwise {level} CI", "逐点{level}置信区间"),
    "uniform": ("Uniform {level} band", "{level}一致置信带"),
    "reference_year": ("Reference year", "基准年"),
    "reference_period": ("Reference period", "基准期"),
    "onset": ("Treatment onset", "处理开始"),
    "robust": ("Robust {level} ({bound})", "稳健{level}置信集（{bound}）"),
    "pretrend_wald": ("Pre-trends: joint Wald p {p} ({q} pre-period{s})",
                      "事前趋势联合Wald检验：p {p}（{q}个事前期）"),
    "pretrend_boot": ("Pre-trends: wild bootstrap Wald p {p} (B = {reps})",
                      "事前趋势野自助法Wald检验：p {p}（B = {reps}）"),
}

#: The tests of :func:`econ.power`, by their method keys (table headings and legends).
POWER_METHODS: FigureText = {
    "cr1": ("CR1 t-test", "CR1 t检验"),
    "wild_bootstrap": ("Wild cluster bootstrap", "野聚类自助法"),
    "subcluster_bootstrap": ("Wild subcluster bootstrap", "野子聚类自助法"),
    "dcdh": ("dCDH test", "dCDH检验"),
    "z": ("z-test", "z检验"),
    "randomization": ("Randomization inference", "随机化推断"),
}

#: :func:`econ.coefficient_plot`.
COEFFICIENT: FigureText = {
    "estimate": ("Estimate", "估计值"),
}

#: :func:`econ.lorenz_plot`.
LORENZ: FigureText = {
    "x": ("Cumulative share of villages", "村庄累计占比"),
    "y": ("Cumulative share of funds", "资金累计占比"),
    "equality": ("Line of equality", "绝对平均线"),
}

#: :func:`econ.bootstrap_distribution_plot`.
BOOTSTRAP: FigureText = {
    "t": ("t statistic", "t统计量"),
    "wald": ("Wald statistic", "Wald统计量"),
    "draws_t": ("Bootstrap t statistics", "自助法t统计量"),
    "draws_wald": ("Bootstrap Wald statistics", "自助法Wald统计量"),
    "density": ("Density", "密度"),
    "observed": ("Observed", "观测值"),
    "critical": ("{level} critical values", "{level}临界值"),
    "critical_one": ("{level} critical value", "{level}临界值"),
}


def figure_text(text: FigureText, language: str) -> dict[str, str]:
    """The labels of one figure in ``language``.

    Parameters
    ----------
    text
        One of the tables above (:data:`EVENT_STUDY`, :data:`COEFFICIENT`, ...).
    language
        ``"en"`` or ``"zh"``.

    Returns
    -------
    dict
        Key -> label in that language.

    Raises
    ------
    ValueError
        When ``language`` is neither ``"en"`` nor ``"zh"``.
    """
    check_language(language)
    column = 0 if language == "en" else 1
    return {key: pair[column] for key, pair in text.items()}
