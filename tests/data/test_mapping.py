"""Mapping files (JSON, YAML, TOML) and ``--map`` entries: read into the ``mapping=`` and
``value_mapping=`` of ``read_panel``, every mistake named with the file, line or key."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from econ.data.io import read_panel
from econ.data.mapping import LoadMapping, MappingError, load_mapping
from econ.data.schema import SURVEY

EXPECTED = LoadMapping({"帮扶单位级别": "unit_level", "资金": "assistance_funds"},
                       {"unit_level": {"区直": "county", "市派驻": "municipal"}})


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "text"), [
    ("m.json", json.dumps({"columns": {"帮扶单位级别": "unit_level", "资金": "assistance_funds"},
                           "values": {"unit_level": {"区直": "county", "市派驻": "municipal"}}},
                          ensure_ascii=False)),
    ("m.toml", '[columns]\n"帮扶单位级别" = "unit_level"\n"资金" = "assistance_funds"\n'
               '[values.unit_level]\n"区直" = "county"\n"市派驻" = "municipal"\n'),
    ("m.yml", "columns:\n  帮扶单位级别: unit_level\n  资金: assistance_funds\nvalues:\n"
              "  unit_level: {区直: county, 市派驻: municipal}\n"),
    # The value mapping may name the column by the file's own header or a Chinese name.
    ("m.yaml", "mapping:\n  帮扶单位级别: unit_level\n  资金: assistance_funds\n"
               "value_mapping:\n  帮扶单位级别: {区直: county}\n"
               "  派出单位层级: {市派驻: municipal}\n"),
])
def test_the_three_formats_give_the_same_mapping(tmp_path, name, text):
    assert load_mapping(_write(tmp_path, name, text)) == EXPECTED


def test_inline_entries_override_the_file_and_feed_read_panel(tmp_path):
    path = _write(tmp_path, "m.json", json.dumps({"columns": {"资金": "projects"}}))
    mapping = load_mapping(path, ["资金=assistance_funds", "帮扶单位级别＝unit_level",
                                  "unit_level：区直=county", "帮扶单位级别:市派驻=municipal"])
    assert mapping == EXPECTED
    raw = pd.DataFrame({"村庄编码": ["1", "1"], "年份": [2020, 2021], "乡镇编码": "T",
                        "县编码": "C", "帮扶单位级别": ["区直", "市派驻"], "资金": [1.0, 2.0]})
    panel = read_panel(raw, **mapping.read_options())
    assert list(panel.data["unit_level"]) == ["county", "municipal"]
    assert panel.data["assistance_funds"].tolist() == [1.0, 2.0]
    assert LoadMapping().read_options() == {}


@pytest.mark.parametrize(("name", "text", "message"), [
    ("bad.json", '{"columns": {"a": "unit_level",}}', "not valid JSON: .* at line 1, column"),
    ("bad.json", '{"columns": {"a": "unit_level", "a": "year"}}', "key 'a' is given twice"),
    ("bad.toml", '[columns]\n帮扶单位级别 = "unit_level"\n', r"line 2.*needs quotes"),
    ("bad.yaml", "columns:\n  a: unit_level\n   b: year\n", "not valid YAML: .*line 3"),
    ("bad.yaml", "columns:\n  a: unit_level\n  a: year\n", r"key 'a' is given twice \(line 3\)"),
    ("bad.yaml", "columns:\n  yes: unit_level\n", r"entry True: 'unit_level' must be text"),
    ("bad.yaml", "values:\n  unit_level:\n    1: county\n", r"values.unit_level: entry 1"),
    ("bad.yaml", "- a\n- b\n", "must hold sections 'columns' and 'values', not a list"),
    ("bad.yaml", "", "is empty"),
    ("bad.json", '{"colums": {}}', "unknown section 'colums'"),
    ("bad.json", '{"columns": ["a"]}', "section 'columns' must be a table"),
    ("bad.json", '{"values": {"unit_level": "county"}}', "must be a table"),
    ("bad.json", '{"columns": {"a": "villageid"}}', "did you mean 'village_id'"),
    ("bad.json", '{"values": {"unit_levl": {"a": "county"}}}',
     "'unit_levl' is not a column.*did you mean 'unit_level'"),
    ("bad.json", '{"values": {"year": {"a": "2020"}}}', "'year' is not a category column"),
    ("bad.json", '{"values": {"unit_level": {"区直": "County"}}}',
     "'County' is not an allowed value.*did you mean 'county'"),
    ("bad.ini", "", "unknown type '.ini'"),
])
def test_each_mistake_is_named(tmp_path, name, text, message):
    with pytest.raises(MappingError, match=message) as error:
        load_mapping(_write(tmp_path, name, text))
    assert name in str(error.value)


def test_inline_mistakes_and_the_survey_schema(tmp_path):
    with pytest.raises(MappingError, match=r"--map '资金': expected HEADER=COLUMN"):
        load_mapping(None, ["资金"])
    with pytest.raises(MappingError, match="'tenure' is not a column of the cadre survey"):
        load_mapping(None, ["驻村时间=tenure"], schema=SURVEY)
    assert load_mapping(None, ["驻村时间=tenure_months"], schema=SURVEY).columns == {
        "驻村时间": "tenure_months"}
    with pytest.raises(FileNotFoundError, match="no mapping file"):
        load_mapping(tmp_path / "absent.toml")
    latin = tmp_path / "gbk.json"
    latin.write_bytes('{"columns": {"资金": "assistance_funds"}}'.encode("gbk"))
    with pytest.raises(MappingError, match="is not UTF-8 text"):
        load_mapping(latin)
