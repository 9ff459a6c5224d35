"""The one definition of the village-year panel and the cadre survey.

Every loader, validator, derivation and simulator reads column names, dtypes, allowed values and
Chinese aliases from here, so a new alias or category is added in exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd
# pandas is imported where a dtype is made: the command line reads its --map options through
# this module, and `econ replicate` starts its workers' imports before its own pandas import.

SCHEMA_VERSION = "1.0"

Kind = Literal["id", "int", "float", "bool", "category"]


@dataclass(frozen=True)
class Column:
    """One canonical column.

    Parameters
    ----------
    name
        Canonical English name.
    kind
        ``"id"`` (text code, leading zeros kept; stored as a categorical of strings with sorted
        categories), ``"int"`` (nullable integer), ``"float"``,
        ``"bool"`` (nullable boolean) or ``"category"``.
    chinese
        The Chinese label used in tables and the codebook.
    description
        Meaning, with the unit.
    aliases
        Other header spellings accepted on input (Chinese or English), matched after trimming
        whitespace and ignoring case.
    categories
        Allowed values for a category column, lowest first when ``ordered``.
    value_aliases
        Input spellings of category values (Chinese or English) mapped to canonical values.
    ordered
        Whether the categories have an order (``unit_level`` does).
    required
        Whether a panel without the column is rejected.
    nonnegative
        Whether negative values are rejected.
    bounds
        Inclusive ``(low, high)`` range for a numeric column (Likert items), if any.
    """

    name: str
    kind: Kind
    chinese: str
    description: str
    aliases: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    value_aliases: Mapping[str, str] = field(default_factory=dict)
    ordered: bool = False
    required: bool = False
    nonnegative: bool = False
    bounds: tuple[float, float] | None = None

    def canonical_value(self, raw: str) -> str | None:
        """Return the canonical category for an input spelling, or ``None`` if unknown."""
        text = raw.strip()
        if text in self.categories:
            return text
        lowered = text.lower()
        for spelling, value in self.value_aliases.items():
            if spelling.lower() == lowered:
                return value
        return None


@dataclass(frozen=True)
class TableSchema:
    """A table: its columns, its key and the nesting that must not change over time."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    #: (inner, outer) pairs: each ``inner`` id must map to one ``outer`` id in every row. A pair
    #: implied by two earlier clean pairs is not re-checked.
    nesting: tuple[tuple[str, str], ...] = ()

    def __getitem__(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} schema has no column {name!r}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def header_aliases(self) -> dict[str, str]:
        """Map every accepted header spelling (lower-cased) to its canonical name."""
        table: dict[str, str] = {}
        for column in self.columns:
            for spelling in (column.name, column.chinese, *column.aliases):
                table[spelling.strip().lower()] = column.name
        return table


# Levels are listed lowest first so that ``unit_level >= "municipal"`` works on the ordered dtype.
UNIT_LEVELS = ("township", "county", "municipal", "provincial", "central")
HIGH_LEVELS = ("municipal", "provincial", "central")

_UNIT_LEVEL_ALIASES = {
    "中央": "central", "中央单位": "central", "中直": "central", "中直单位": "central",
    "央企": "central", "national": "central",
    "省级": "provincial", "省直": "provincial", "省派": "provincial", "省": "provincial",
    "province": "provincial",
    "市级": "municipal", "市派": "municipal", "市直": "municipal", "市": "municipal",
    "地市级": "municipal", "city": "municipal", "prefecture": "municipal",
    "县级": "county", "县派": "county", "县直": "county", "县": "county", "区县": "county",
    "乡镇": "township", "乡级": "township", "镇级": "township", "乡镇级": "township",
    "乡": "township", "镇": "township",
}

_UNIT_TYPE_ALIASES = {
    "党政机关": "government", "机关": "government", "政府部门": "government",
    "机关单位": "government", "government department": "government",
    "国有企业": "state_enterprise", "国企": "state_enterprise", "企业": "state_enterprise",
    "state enterprise": "state_enterprise", "soe": "state_enterprise",
    "事业单位": "public_institution", "public institution": "public_institution",
}

_UNIT_STRENGTH_ALIASES = {
    "强势部门": "strong", "强": "strong", "强势": "strong",
    "一般部门": "general", "一般": "general",
    "边缘部门": "marginal", "弱势": "marginal", "边缘": "marginal", "弱": "marginal",
}


def _ids(name: str, chinese: str, description: str, *aliases: str, required: bool) -> Column:
    return Column(name, "id", chinese, description, aliases=aliases, required=required)


PANEL = TableSchema(
    name="village panel",
    key=("village_id", "year"),
    nesting=(("village_id", "township_id"), ("township_id", "county_id"),
             ("county_id", "city_id"), ("village_id", "county_id"), ("village_id", "city_id")),
    columns=(
        _ids("village_id", "村庄编码", "Village code (string; leading zeros kept).",
             "村代码", "村编码", "村庄代码", "行政村代码", "村庄id", "village", "village_code",
             required=True),
        Column("year", "int", "年份", "Calendar year.", aliases=("年度", "年"), required=True),
        _ids("township_id", "乡镇编码", "Township code.", "乡镇代码", "乡镇", "township",
             required=True),
        _ids("county_id", "县编码", "County code.", "县代码", "区县编码", "县", "county",
             required=True),
        _ids("city_id", "市编码", "City (prefecture) code.", "市代码", "地市编码", "city",
             required=False),
        Column("unit_level", "category", "派出单位层级",
               "Administrative level of the dispatching unit; empty when the village has no team.",
               aliases=("单位层级", "派出层级", "帮扶单位层级", "level"),
               categories=UNIT_LEVELS, value_aliases=_UNIT_LEVEL_ALIASES, ordered=True),
        Column("unit_type", "category", "派出单位类型", "Kind of dispatching unit.",
               aliases=("单位类型", "单位性质"),
               categories=("government", "state_enterprise", "public_institution"),
               value_aliases=_UNIT_TYPE_ALIASES),
        Column("unit_strength", "category", "派出单位强弱",
               "Functional strength of the dispatching department within its level.",
               aliases=("单位强弱", "部门强弱", "部门类型"),
               categories=("marginal", "general", "strong"), ordered=True,
               value_aliases=_UNIT_STRENGTH_ALIASES),
        Column("first_secretary", "bool", "第一书记", "A first secretary is in post.",
               aliases=("是否有第一书记", "第一书记在岗")),
        Column("team_size", "int", "工作队人数", "Members of the resident work team (persons).",
               aliases=("驻村工作队人数", "队员人数"), nonnegative=True),
        Column("endowment", "float", "资源禀赋",
               "Village endowment index (standardised; location, terrain, industry base, "
               "baseline collective income).", aliases=("禀赋指数", "资源禀赋指数")),
        Column("poverty_village", "bool", "建档立卡贫困村", "Registered poverty village.",
               aliases=("贫困村", "是否贫困村")),
        Column("deep_poverty", "bool", "深度贫困村", "Deep-poverty village.",
               aliases=("是否深度贫困村",)),
        Column("demonstration_year", "int", "示范村认定年份",
               "Year the village became a rural-revitalisation demonstration village; empty if "
               "never.", aliases=("示范村年份", "示范年份")),
        Column("population", "int", "人口", "Registered population (persons).",
               aliases=("户籍人口", "总人口"), nonnegative=True),
        Column("assistance_funds", "float", "帮扶项目资金",
               "Assistance project funds brought in that year (10,000 yuan).",
               aliases=("帮扶资金", "项目资金", "funds"), nonnegative=True),
        Column("projects", "int", "帮扶项目数", "Assistance projects that year (count).",
               aliases=("项目数", "项目个数"), nonnegative=True),
        Column("infrastructure_invest", "float", "基础设施投资",
               "Infrastructure investment that year (10,000 yuan).",
               aliases=("基础设施投入",), nonnegative=True),
        Column("collective_income", "float", "村集体经济收入",
               "Village collective income (10,000 yuan).", aliases=("集体经济收入", "集体收入")),
        Column("income_per_capita", "float", "人均可支配收入",
               "Disposable income per capita (yuan).", aliases=("人均收入", "农民人均收入")),
        Column("industry_active", "bool", "产业存续",
               "The village's assisted industry is still operating.",
               aliases=("产业是否存续", "产业在营")),
        Column("relapse_households", "int", "返贫户数",
               "Households that fell back into poverty that year (count).",
               aliases=("返贫户", "返贫致贫户数"), nonnegative=True),
    ),
)

LIKERT_SCALE = (1, 5)
DIFFICULTIES = ("fragmented_duties", "overlapping_roles", "resource_mobilisation",
                "multiple_managers")

_SURVEY_LEVEL = Column(
    "unit_level", "category", "派出单位层级", "Administrative level of the dispatching unit.",
    aliases=PANEL["unit_level"].aliases, categories=UNIT_LEVELS[1:],
    value_aliases={k: v for k, v in _UNIT_LEVEL_ALIASES.items() if v != "township"},
    ordered=True, required=True,
)


def _likert(name: str, chinese: str, description: str, *aliases: str) -> Column:
    return Column(name, "int", chinese, f"{description} (Likert 1-5, 5 = most severe).",
                  aliases=aliases, required=True, bounds=(float(LIKERT_SCALE[0]),
                                                          float(LIKERT_SCALE[1])))


SURVEY = TableSchema(
    name="cadre survey",
    key=("respondent_id",),
    columns=(
        _ids("respondent_id", "受访者编号", "Respondent code.", "问卷编号", "编号",
             required=True),
        _SURVEY_LEVEL,
        PANEL["unit_type"],
        _ids("village_id", "村庄编码", "Village the respondent is posted to.", "村代码",
             required=False),
        Column("tenure_months", "int", "驻村时长", "Months in post.",
               aliases=("驻村月数", "任职月数"), nonnegative=True),
        _likert("fragmented_duties", "职责碎片化", "Duties are fragmented", "职责碎片"),
        _likert("overlapping_roles", "职责交叉", "Responsibilities overlap with village cadres",
                "与村干部职责交叉", "职责重叠"),
        _likert("resource_mobilisation", "资源动员困难", "Difficulty mobilising resources",
                "资源动员难", "资源整合困难"),
        _likert("multiple_managers", "多头管理", "Pressure from multiple managers",
                "多头管理压力"),
    ),
)


def pandas_dtype(column: Column) -> str | pd.CategoricalDtype:
    """The pandas dtype a validated table uses for ``column``.

    Integers and booleans are nullable so that a missing value stays missing instead of turning
    an integer column into floats or a boolean into ``True``.
    """
    import pandas as pd

    if column.kind == "id":
        # Codes repeat once per year; a categorical stores each once, and its integer codes are
        # what duplicate checks and fixed-effect absorption need anyway.
        return pd.CategoricalDtype()
    if column.kind == "int":
        return "Int64"
    if column.kind == "float":
        return "float64"
    if column.kind == "bool":
        return "boolean"
    return pd.CategoricalDtype(list(column.categories), ordered=column.ordered)


def categorical_dtype(column: Column) -> pd.CategoricalDtype:
    """:func:`pandas_dtype` of an ``id`` or ``category`` column, typed as categorical."""
    import pandas as pd

    dtype = pandas_dtype(column)
    if not isinstance(dtype, pd.CategoricalDtype):
        raise TypeError(f"column {column.name!r} of kind {column.kind!r} is not categorical")
    return dtype
