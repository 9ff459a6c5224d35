"""Short variable labels for tables and figures, in English and Chinese.

Schema columns take their Chinese label from :mod:`econ.data.schema`; the English labels, the
derived study variables (:mod:`econ.data.derive`) and the variables the study designs build
(``level``, ``endow``, ...) are listed here, once. Terms of a fitted model (``a:b``,
``col::value``, ``C(col)[value]``) are labelled part by part.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from econ.data.schema import PANEL, SURVEY

Language = Literal["en", "zh"]

#: English labels of schema columns (their Chinese labels live in the schema).
_ENGLISH = {
    "village_id": "Village", "year": "Year", "township_id": "Township", "county_id": "County",
    "city_id": "City", "unit_level": "Unit level", "unit_type": "Unit type",
    "unit_strength": "Unit strength", "first_secretary": "First secretary",
    "team_size": "Team size", "endowment": "Endowment", "poverty_village": "Poverty village",
    "deep_poverty": "Deep-poverty village", "demonstration_year": "Designation year",
    "population": "Population", "assistance_funds": "Assistance funds",
    "projects": "Projects", "infrastructure_invest": "Infrastructure investment",
    "collective_income": "Collective income", "income_per_capita": "Income per capita",
    "industry_active": "Industry active", "relapse_households": "Relapse households",
    "respondent_id": "Respondent", "tenure_months": "Months in post",
    "fragmented_duties": "Fragmented duties", "overlapping_roles": "Overlapping roles",
    "resource_mobilisation": "Resource mobilisation", "multiple_managers": "Multiple managers",
}

#: Derived and design variables: (English, Chinese).
_BUILT = {
    "village_id": ("Village", "村庄"),
    "township_id": ("Township", "乡镇"),
    "county_id": ("County", "县"),
    "city_id": ("City", "地市"),
    "period": ("Period", "时期"),
    "post": ("Post-2021", "过渡期"),
    "assisted": ("Assisted", "有驻村帮扶"),
    "high_level": ("High-level unit", "高层级单位"),
    "baseline_endowment": ("Baseline endowment", "基期资源禀赋"),
    "rich": ("Rich village", "资源禀赋强"),
    "typology": ("Village type", "村庄类型"),
    "event_time": ("Years since designation", "认定后年数"),
    "demonstration": ("Demonstration village", "示范村"),
    "level": ("Unit level", "单位层级"),
    "endow": ("Endowment", "资源禀赋"),
    "team": ("Resident team", "驻村工作队"),
    "strong": ("Strong unit", "强势单位"),
    "designation_cell": ("Designation cohort × year", "示范村认定批次×年份"),
    "y": ("log(1 + funds)", "ln(1+帮扶资金)"),
    "Intercept": ("Constant", "常数项"),
}

#: Columns of result tables (``tidy()`` and descriptive frames): (English, Chinese).
_RESULT_COLUMNS = {
    "term": ("Term", "变量"), "effect": ("Effect", "效应"), "coefficient": ("Coefficient", "系数"),
    "estimate": ("Estimate", "估计值"), "std_error": ("Std. error", "标准误"),
    "statistic": ("Statistic", "统计量"), "p_value": ("p-value", "p值"),
    "p_cluster": ("p (CR1)", "p值（CR1）"),
    "p_bootstrap": ("p (wild bootstrap)", "p值（野自助法）"),
    "conf_low": ("95% CI", "95%置信区间"), "conf_high": ("CI high", "置信区间上限"),
    "boot_conf_low": ("Bootstrap 95% CI", "自助法95%置信区间"),
    "boot_conf_high": ("Bootstrap CI high", "自助法置信区间上限"),
    "band_low": ("95% uniform band", "95%一致置信带"), "band_high": ("Band high", "置信带上限"),
    "expected_sign": ("Expected sign", "预期符号"), "nobs": ("Observations", "观测值"),
    "village_years": ("Village-years", "村庄-年"), "villages": ("Villages", "村庄数"),
    "outcome": ("Outcome", "结果变量"), "slope": ("Slope", "斜率"), "type": ("Type", "类型"),
    "lpm": ("LPM", "线性概率模型"), "logit": ("Logit", "Logit"), "probit": ("Probit", "Probit"),
    "separated": ("Separated", "完全分离"), "clustering": ("Clustered by", "聚类层级"),
    "clusters": ("Clusters", "聚类数"), "method": ("Method", "方法"),
    "smallest_p": ("Smallest p", "最小可得p值"), "assumes": ("Assumes", "前提假设"),
    "measure": ("Measure", "指标"), "scope": ("Scope", "范围"), "label": ("Label", "标签"),
    "comparisons": ("Comparisons", "比较组数"), "weight": ("Weight", "权重"),
    "population_share": ("Population share", "村庄累计占比"),
    "funds_share": ("Funds share", "资金累计占比"), "is_reference": ("Reference", "基准期"),
    "All": ("All", "合计"),
}
_SUFFIXES = {"_mean": (", mean", "均值"), "_sd": (", SD", "标准差")}

_PART = re.compile(r"(?<!:):(?!:)")
_LEVEL = re.compile(r"^(?:C\((?P<c>[^)]+)\)|(?P<v>[^\[]+))\[(?P<level>.*)\]$")
_JOIN = {"en": " × ", "zh": " × "}


def variable_label(name: str, language: Language = "en") -> str:
    """The short label of a column or study variable; the name itself if none is known.

    Also the usual columns of result tables (``estimate``, ``std_error``, ``p_value``,
    ``conf_low`` ...) and a known variable with ``_mean`` or ``_sd`` appended.
    """
    check_language(language)
    which = 0 if language == "en" else 1
    if name in _BUILT:
        return _BUILT[name][which]
    if name in _RESULT_COLUMNS:
        return _RESULT_COLUMNS[name][which]
    for suffix, words in _SUFFIXES.items():
        stem = name.removesuffix(suffix)
        if stem != name and variable_label(stem, language) != stem:
            return variable_label(stem, language) + words[which]
    if language == "zh":
        for schema in (PANEL, SURVEY):
            if name in schema.names:
                return schema[name].chinese
        return name
    return _ENGLISH.get(name, name)


def term_label(term: str, language: Language = "en",
               labels: Mapping[str, str] | None = None) -> str:
    """Label a model term: ``high_level:rich:post`` -> ``High-level unit × Rich village × ...``.

    ``labels`` overrides whole terms or single variables (looked up first).
    """
    own = labels or {}
    if term in own:
        return own[term]

    def one(part: str) -> str:
        if part in own:
            return own[part]
        if "::" in part:
            column, level = part.split("::", 1)
            return f"{own.get(column) or variable_label(column, language)} = {level}"
        match = _LEVEL.match(part)
        if match:
            column = match.group("c") or match.group("v")
            return f"{own.get(column) or variable_label(column, language)} = " \
                   f"{match.group('level')}"
        return variable_label(part, language)

    return _JOIN[language].join(one(p) for p in _PART.split(term))


def check_language(language: str) -> None:
    """Raise a ValueError unless ``language`` is ``"en"`` or ``"zh"``."""
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', got {language!r}")


@dataclass(frozen=True)
class Texts:
    """A script's own words in English and Chinese, for its tables and notes.

    Parameters
    ----------
    text
        ``key -> (English, Chinese)`` templates, filled by :meth:`say` with ``str.format``.
    heads
        ``column -> (English, Chinese)`` headings; any other column is headed by
        :func:`variable_label`.
    """

    text: Mapping[str, tuple[str, str]]
    heads: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def say(self, key: str, language: Language, **values: object) -> str:
        """The ``key`` template in ``language`` with ``values`` filled in."""
        check_language(language)
        return self.text[key][0 if language == "en" else 1].format(**values)

    def heading(self, language: Language) -> Callable[[str], str]:
        """The column -> heading function of ``econ.Table.from_frame(header=...)``."""
        check_language(language)

        def head(name: str) -> str:
            if name in self.heads:
                return self.heads[name][0 if language == "en" else 1]
            return variable_label(name, language)
        return head
