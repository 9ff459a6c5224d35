"""Short variable labels for tables and figures, in English and Chinese.

Schema columns take their Chinese label from :mod:`econ.data.schema`; the English labels, the
derived study variables (:mod:`econ.data.derive`) and the variables the study designs build
(``level``, ``endow``, ...) are listed here, once. Terms of a fitted model (``a:b``,
``col::value``, ``C(col)[value]``) are labelled part by part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
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
    "y": ("log(1 + funds)", "ln(1+帮扶资金)"),
    "Intercept": ("Constant", "常数项"),
}

_PART = re.compile(r"(?<!:):(?!:)")
_LEVEL = re.compile(r"^(?:C\((?P<c>[^)]+)\)|(?P<v>[^\[]+))\[(?P<level>.*)\]$")
_JOIN = {"en": " × ", "zh": " × "}


def variable_label(name: str, language: Language = "en") -> str:
    """The short label of a column or study variable; the name itself if none is known."""
    check_language(language)
    if name in _BUILT:
        return _BUILT[name][0 if language == "en" else 1]
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
