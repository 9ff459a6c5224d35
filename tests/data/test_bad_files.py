"""Bad input as researchers' files really carry it (issue 14): each case is built as the file a
county office or a script would produce, and must end in a named problem or a reported fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import econ
from econ.data.problems import UnencodableError, UnreadableFileError
from econ.data.schema import PANEL


def _chinese(raw: pd.DataFrame) -> pd.DataFrame:
    """The panel with the schema's Chinese headers, as an office exports it."""
    return raw.rename(columns={c.name: c.chinese for c in PANEL.columns})


def _problems(source: object, **options) -> dict[str, list[econ.Problem]]:
    with pytest.raises(econ.ValidationError) as caught:
        econ.read_panel(source, **options)
    found: dict[str, list[econ.Problem]] = {}
    for problem in caught.value.problems:
        found.setdefault(problem.kind, []).append(problem)
    return found


# 1. A category or yes/no column left entirely blank.

@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_entirely_blank_category_and_yes_no_columns_load_as_missing(raw_panel, tmp_path,
                                                                     suffix):
    frame = _chinese(raw_panel.assign(unit_level=None, unit_type="", first_secretary=None))
    path = tmp_path / f"blank{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="gbk")
    else:
        frame.to_excel(path, index=False)
    panel = econ.read_panel(path)
    for name in ("unit_level", "unit_type", "first_secretary"):
        assert panel.data[name].isna().all()
    assert panel.data["unit_level"].dtype == pd.CategoricalDtype(list(
        PANEL["unit_level"].categories), ordered=True)
    assert panel.data["first_secretary"].dtype == "boolean"


def test_blank_strings_in_a_yes_no_column_are_missing(raw_panel):
    frame = raw_panel.astype({"first_secretary": object})
    frame.loc[[0, 3], "first_secretary"] = "  "
    panel = econ.read_panel(frame)
    assert panel.data["first_secretary"].isna().sum() == 2


# 2. Infinite numbers.

def test_infinite_numbers_in_a_csv_are_reported_with_their_rows(raw_panel, tmp_path):
    frame = raw_panel.astype({"assistance_funds": object, "collective_income": object,
                              "team_size": object})
    frame.loc[2, "assistance_funds"] = "inf"
    frame.loc[5, "assistance_funds"] = "-Infinity"
    frame.loc[7, "collective_income"] = "1e400"
    frame.loc[0, "team_size"] = "Infinity"
    path = tmp_path / "funds.csv"
    frame.to_csv(path, index=False, encoding="utf-8")
    found = _problems(path)
    by_column = {p.column: p for p in found["non-finite"]}
    assert set(by_column) == {"assistance_funds", "collective_income", "team_size"}
    assert by_column["assistance_funds"].rows == (3, 6)
    assert "'inf', '-Infinity'" in by_column["assistance_funds"].message
    assert "'1e400'" in by_column["collective_income"].message
    assert by_column["team_size"].rows == (1,)
    # An infinity is not also reported as negative, nor as missing.
    assert "negative" not in found and "missing values" not in found


def test_infinite_numbers_in_a_data_frame_are_reported(raw_panel):
    frame = raw_panel.copy()
    frame.loc[4, "income_per_capita"] = np.inf
    frame.loc[9, "endowment"] = -np.inf
    found = _problems(frame)
    assert {(p.column, p.rows) for p in found["non-finite"]} == {
        ("income_per_capita", (5,)), ("endowment", (10,))}


# 3. A yes/no value in an amount.

def test_excel_true_in_a_money_column_is_reported_not_read_as_one(raw_panel, tmp_path):
    frame = raw_panel.astype({"assistance_funds": object, "projects": object})
    frame.loc[3, "assistance_funds"] = True
    frame.loc[11, "projects"] = False
    path = tmp_path / "funds.xlsx"
    frame.to_excel(path, index=False)
    found = _problems(path)
    by_column = {p.column: p for p in found["non-numeric"]}
    assert by_column["assistance_funds"].rows == (4,)
    assert "'True'" in by_column["assistance_funds"].message
    assert "TRUE/FALSE" in by_column["assistance_funds"].message
    assert by_column["projects"].rows == (12,)


def test_a_boolean_money_column_in_a_data_frame_is_reported(raw_panel):
    frame = raw_panel.assign(infrastructure_invest=raw_panel["population"] > 1000)
    found = _problems(frame)
    problem = found["non-numeric"][0]
    assert problem.column == "infrastructure_invest" and len(problem.rows) == len(frame)


# 11. One bad year cell.

@pytest.mark.parametrize("bad", ["2019年", "２０１９", "date"])
def test_one_bad_year_is_reported_once(raw_panel, tmp_path, bad):
    frame = raw_panel.astype({"year": object})
    frame.loc[4, "year"] = pd.Timestamp("1905-07-11") if bad == "date" else bad
    path = tmp_path / "years.xlsx"
    frame.to_excel(path, index=False)
    found = _problems(path)
    assert list(found) == ["non-numeric"]
    problem = found["non-numeric"][0]
    assert problem.column == "year" and problem.rows == (5,)
    hint = {"2019年": "remove thousands separators and units", "２０１９": "full-width",
            "date": "number 2019"}[bad]
    assert hint in problem.message


def test_two_bad_years_of_one_village_are_not_duplicates(raw_panel):
    frame = raw_panel.astype({"year": object})
    frame.loc[[0, 1], "year"] = "２０１９"
    found = _problems(frame)
    assert list(found) == ["non-numeric"]
    assert found["non-numeric"][0].rows == (1, 2)


# 4. A column with no values in the file.

def test_excel_formulas_without_stored_values_are_a_named_problem(raw_panel, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    headers = list(raw_panel.columns)
    sheet.append(headers)
    funds = headers.index("assistance_funds")
    letter = chr(ord("A") + headers.index("population"))
    for i, row in enumerate(raw_panel.itertuples(index=False), start=2):
        cells = [None if pd.isna(v) else v for v in row]
        cells[funds] = f"={letter}{i}/100"  # a formula that no program has computed
        sheet.append(cells)
    path = tmp_path / "scripted.xlsx"
    workbook.save(path)
    problem = _problems(path)["formulas without values"][0]
    assert problem.column == "assistance_funds"
    assert f"'={letter}2/100'" in problem.message and "save it" in problem.message


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_column_empty_in_every_row_is_a_load_warning(raw_panel, tmp_path, suffix):
    frame = _chinese(raw_panel.assign(collective_income=np.nan)).assign(备注=None)
    path = tmp_path / f"panel{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="gbk")
    else:
        frame.to_excel(path, index=False)
    panel = econ.read_panel(path)
    (warning,) = panel.report.warnings
    assert "'collective_income' (村集体经济收入)" in warning and "'备注'" in warning
    assert f"warning: {warning}" in repr(panel)


def test_a_clean_panel_has_no_warnings(raw_panel):
    assert econ.read_panel(raw_panel).report.warnings == ()


# 12. Amounts in 元 one year and in 万元 the next.

def test_funds_in_yuan_for_one_year_are_flagged(raw_panel, tmp_path):
    frame = raw_panel.copy()
    in_yuan = (frame["year"] == 2021) & frame["village_id"].isin(["0101", "0202"])
    frame.loc[in_yuan, "assistance_funds"] *= 10_000
    path = tmp_path / "funds.csv"
    frame.to_csv(path, index=False)
    panel = econ.read_panel(path)
    (warning,) = panel.report.warnings
    assert "'assistance_funds' (帮扶项目资金)" in warning and "2 village(s)" in warning
    assert "village '0202' 2020 -> 2021: 67.3571 -> 330,786" in warning
    assert "village '0101'" in warning and "万元" in warning
    # The data are loaded unchanged: a warning is not a repair.
    assert np.isclose(panel.data["assistance_funds"].sum(), frame["assistance_funds"].sum())


# 5. Writing a value the encoding cannot hold.

def _with_rare_name(raw: pd.DataFrame) -> econ.Dataset:
    names = [f"村{i}" for i in range(len(raw))]
    names[2] = "𠮷家村"  # an extension-B character: in GB18030, not in GBK
    return econ.read_panel(raw.assign(村名=names))


def test_gbk_write_names_the_value_row_and_column_and_writes_nothing(raw_panel, tmp_path):
    panel = _with_rare_name(raw_panel)
    target = tmp_path / "out.csv"
    with pytest.raises(UnencodableError) as caught:
        econ.write_panel(panel, target, encoding="gbk", chinese_headers=True)
    message = str(caught.value)
    assert "column '村名' row 3: '𠮷家村'" in message and "U+20BB7" in message
    assert "encoding='gb18030'" in message
    assert isinstance(caught.value, ValueError) and caught.value.cells == (("村名", 3, "𠮷家村"),)
    assert list(tmp_path.iterdir()) == []
    written = econ.write_panel(panel, target, encoding="gb18030", chinese_headers=True)
    again = econ.read_panel(written)
    assert again.data["村名"].iloc[2] == "𠮷家村"


def test_a_failed_write_keeps_the_old_file_and_leaves_no_partial_file(raw_panel, tmp_path,
                                                                      monkeypatch):
    panel = econ.read_panel(raw_panel)
    target = econ.write_panel(panel, tmp_path / "panel.csv")
    before = target.read_bytes()

    def half_then_fail(self, path, **options):
        Path(path).write_text("village_id,year\n0101,2019\n")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        econ.write_panel(panel, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["panel.csv"]


def test_an_unknown_encoding_writes_nothing(raw_panel, tmp_path):
    panel = econ.read_panel(raw_panel)
    with pytest.raises(LookupError, match="unknown encoding: gbk2"):
        econ.write_panel(panel, tmp_path / "p.csv", encoding="gbk2")
    assert list(tmp_path.iterdir()) == []


# 6. GBK bytes that are also valid UTF-8.

#: Village names whose GBK bytes are valid UTF-8 as well (石山 is 'ʯɽ' read as UTF-8).
_AMBIGUOUS_NAMES = ["石山", "平坪", "沙坪", "杉木", "水尾", "梅山"]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_bytes_valid_in_both_encodings_are_read_as_chinese(raw_panel, tmp_path, encoding):
    names = dict(zip(raw_panel["village_id"].unique(), _AMBIGUOUS_NAMES, strict=True))
    frame = raw_panel.assign(name=raw_panel["village_id"].map(names))
    path = tmp_path / "names.csv"
    frame.to_csv(path, index=False, encoding=encoding)
    raw = path.read_bytes()
    raw.decode("utf-8"), raw.decode("gb18030")  # the premise: both decodings succeed
    panel = econ.read_panel(path)
    assert list(panel.data["name"].unique()) == _AMBIGUOUS_NAMES
    expected, other = ("GB18030", "UTF-8") if encoding == "gbk" else ("UTF-8", "GB18030")
    assert panel.report.encoding == expected.lower()
    reason = panel.report.encoding_reason
    assert f"valid both as UTF-8 and as GB18030; {expected} was chosen" in reason
    assert "100% of its non-ASCII characters" in reason and f"in the {other} reading" in reason
    if encoding == "gbk":
        assert "'ʯɽ" in reason
    assert f"encoding: {reason}" in repr(panel)


def test_the_report_says_why_an_encoding_was_used(raw_panel, tmp_path):
    path = tmp_path / "plain.csv"
    raw_panel.to_csv(path, index=False)
    assert econ.read_panel(path).report.encoding_reason == "the file is plain ASCII"
    _chinese(raw_panel).to_csv(path, index=False, encoding="gbk")
    assert econ.read_panel(path).report.encoding_reason == (
        "the file is valid GB18030 and not valid UTF-8")
    assert econ.read_panel(path, encoding="gbk").report.encoding_reason == (
        "given (encoding='gbk')")
    with pytest.raises(LookupError, match="unknown encoding: gkb"):
        econ.read_panel(path, encoding="gkb")
    with pytest.raises(ValueError, match=r"cannot decode .* as utf-8: bytes"):
        econ.read_panel(path, encoding="utf-8")


# 7. Empty and broken files.

@pytest.mark.parametrize("name", ["panel.dta", "panel.csv", "panel.xlsx", "panel.parquet"])
def test_a_zero_byte_file_is_a_named_error(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(UnreadableFileError, match=r"empty \(0 bytes\)") as caught:
        econ.read_panel(path)
    assert caught.value.path == str(path) and str(path) in str(caught.value)


@pytest.mark.parametrize("name", ["panel.dta", "panel.xlsx", "panel.parquet"])
def test_a_truncated_file_is_a_named_error(raw_panel, tmp_path, name):
    whole = econ.write_panel(econ.read_panel(raw_panel), tmp_path / name)
    path = tmp_path / f"cut-{name}"
    path.write_bytes(whole.read_bytes()[:300])
    with pytest.raises(UnreadableFileError, match="it is not readable as") as caught:
        econ.read_panel(path)
    assert str(path) in str(caught.value)


# 8. Total rows below the data.

def test_total_rows_with_codes_filled_are_flagged(raw_panel, tmp_path):
    frame = raw_panel.copy()
    last = frame[frame["year"] == 2022]
    totals = pd.DataFrame([
        {**last.iloc[0].to_dict(), "village_id": "合计", "assistance_funds":
         last["assistance_funds"].sum()},
        {**last.iloc[3].to_dict(), "village_id": "Total"},
    ])
    frame = pd.concat([frame, totals], ignore_index=True)
    path = tmp_path / "with_totals.xlsx"
    frame.to_excel(path, index=False)
    found = _problems(path)
    assert list(found) == ["summary rows"]
    problem = found["summary rows"][0]
    assert problem.column == "village_id" and problem.rows == (25, 26)
    assert "row 25: village_id '合计'" in problem.message and "Delete them" in problem.message


def test_a_subtotal_named_in_a_name_column_is_flagged(raw_panel, tmp_path):
    frame = _chinese(raw_panel).assign(村名=[f"村{i}" for i in range(len(raw_panel))])
    subtotal = {**frame.iloc[3].to_dict(), "村庄编码": "0199", "村名": "一乡 小计："}
    frame = pd.concat([frame.iloc[:4], pd.DataFrame([subtotal]), frame.iloc[4:]],
                      ignore_index=True)
    path = tmp_path / "subtotal.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    problem = _problems(path)["summary rows"][0]
    assert problem.rows == (5,) and "村名 '一乡 小计：'" in problem.message


def test_names_that_merely_contain_a_summary_word_are_not_flagged(raw_panel):
    frame = raw_panel.assign(备注="累计投入资金已按项目分列，详见附表说明")
    assert len(econ.read_panel(frame)) == len(raw_panel)


# 11. Blank lines keep row numbers aligned with the file.

def test_a_blank_line_does_not_shift_reported_rows(raw_panel, tmp_path):
    frame = raw_panel.astype({"assistance_funds": object})
    frame.loc[9, "assistance_funds"] = "12万"
    lines = frame.to_csv(index=False).splitlines()
    lines.insert(5, "")  # after the header and four data rows
    path = tmp_path / "gap.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problem = _problems(path)["non-numeric"][0]
    # Row n is line n + 1 of the file: the bad value is on line 12.
    assert lines[problem.rows[0]].count("12万") == 1 and problem.rows == (11,)


def test_blank_lines_are_skipped_and_reported(raw_panel, tmp_path):
    lines = raw_panel.to_csv(index=False).splitlines()
    lines.insert(7, ",,,")
    lines.insert(3, "")
    path = tmp_path / "gaps.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    panel = econ.read_panel(path)
    pd.testing.assert_frame_equal(panel.data, econ.read_panel(raw_panel).data)
    assert panel.report.skipped_rows == (3, 8)  # line 8 moved down by the insert above it
    assert "skipped 2 empty row(s): 3, 8" in repr(panel)


# 9. Headers as people write them.

@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_two_identical_headers_are_reported(raw_panel, tmp_path, suffix):
    frame = _chinese(raw_panel)
    frame.insert(5, "年份", frame["年份"], allow_duplicates=True)
    path = tmp_path / f"twice{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False, encoding="gbk")
    else:
        frame.to_excel(path, index=False)
    found = _problems(path)
    assert list(found) == ["duplicate header"]
    problem = found["duplicate header"][0]
    assert problem.column == "年份" and "appears 2 times (columns 2, 6" in problem.message


def test_headers_with_units_and_line_breaks_are_recognised(raw_panel, tmp_path):
    frame = _chinese(raw_panel).rename(columns={
        "帮扶项目资金": "帮扶资金（万元）", "人均可支配收入": "人均可支配收入(元)",
        "基础设施投资": "基础设施\n投资", "村集体经济收入": "村集体经济收入【万元】",
        "人口": "人口（人）", "工作队人数": "Team Size"})
    path = tmp_path / "units.xlsx"
    frame.to_excel(path, index=False)
    panel = econ.read_panel(path)
    assert panel.report.renamed["帮扶资金（万元）"] == "assistance_funds"
    assert panel.report.renamed["人均可支配收入(元)"] == "income_per_capita"
    assert panel.report.renamed["基础设施\n投资"] == "infrastructure_invest"
    assert panel.report.renamed["村集体经济收入【万元】"] == "collective_income"
    assert panel.report.renamed["人口（人）"] == "population"
    assert panel.report.renamed["Team Size"] == "team_size"
    pd.testing.assert_frame_equal(panel.data, econ.read_panel(raw_panel).data, rtol=1e-15,
                                  atol=0)


def test_a_header_in_the_wrong_money_unit_is_reported(raw_panel):
    frame = _chinese(raw_panel).rename(columns={"帮扶项目资金": "帮扶资金（元）",
                                                "人均可支配收入": "人均收入（万元）"})
    with_negative = frame.copy()
    with_negative.loc[2, "人口"] = -5
    assert set(_problems(with_negative)) == {"unit", "negative"}  # the rest is still checked
    problems = {p.column: p for p in _problems(frame)["unit"]}
    assert "divide them by 10,000" in problems["assistance_funds"].message
    assert "multiply them by 10,000" in problems["income_per_capita"].message
    mapped = econ.read_panel(frame, mapping={"帮扶资金（元）": "assistance_funds",
                                             "人均收入（万元）": "income_per_capita"})
    assert "assistance_funds" in mapped.data.columns


def test_near_miss_headers_are_named_with_the_closest_spelling(raw_panel, tmp_path):
    frame = _chinese(raw_panel).rename(columns={"村庄编码": "村庄编吗"})
    path = tmp_path / "typo.csv"
    frame.to_csv(path, index=False, encoding="gbk")
    problem = _problems(path)["missing column"][0]
    assert problem.column == "village_id"
    assert "closest header found is '村庄编吗'" in problem.message
    assert "mapping={'村庄编吗': 'village_id'}" in problem.message
    optional = raw_panel.rename(columns={"unit_level": "unit_levle"})
    panel = econ.read_panel(optional)
    assert "unit_levle" in panel.report.extra_columns
    (warning,) = panel.report.warnings
    assert "'unit_levle' was not recognised; it is close to 'unit_level'" in warning
    assert "mapping={'unit_levle': 'unit_level'}" in warning


def test_header_spellings_do_not_collide_after_folding():
    from econ.data.headers import header_key
    from econ.data.schema import SURVEY

    for schema in (PANEL, SURVEY):
        seen: dict[str, str] = {}
        for column in schema.columns:
            for spelling in (column.name, column.chinese, *column.aliases):
                assert seen.setdefault(header_key(spelling), column.name) == column.name


# 10. Long codes that lost digits.

def _long_codes(raw: pd.DataFrame, first: int) -> pd.Series:
    """Twelve- or eighteen-digit village codes, consecutive, one per village."""
    villages = {v: first + i for i, v in enumerate(sorted(raw["village_id"].unique()))}
    return raw["village_id"].map(villages)


def test_codes_saved_in_scientific_notation_are_lost_precision_not_duplicates(raw_panel,
                                                                              tmp_path):
    codes = _long_codes(raw_panel, 530102001001)
    # What Excel writes to CSV for a General-formatted cell too narrow for twelve digits.
    frame = raw_panel.assign(village_id=codes.map(lambda c: f"{c:.5E}"))
    frame.loc[frame["village_id"].index[:4], "village_id"] = codes.iloc[:4].astype(str)
    path = tmp_path / "from_excel.csv"
    frame.to_csv(path, index=False)
    found = _problems(path)
    assert list(found) == ["lost precision"]
    problem = found["lost precision"][0]
    assert problem.column == "village_id" and len(problem.rows) == len(frame) - 4
    assert "'5.30102E+11'" in problem.message and "scientific notation" in problem.message
    assert "format the column as Text" in problem.message


def test_codes_rounded_by_a_stata_float_are_lost_precision(raw_panel, tmp_path):
    frame = raw_panel.assign(village_id=_long_codes(raw_panel, 530102001001).astype("float32"))
    path = tmp_path / "float_codes.dta"
    frame.to_stata(path, write_index=False, version=118)
    found = _problems(path)
    assert list(found) == ["lost precision"]
    assert "about 7 digits" in found["lost precision"][0].message
    assert len(found["lost precision"][0].rows) == len(frame)


def test_eighteen_digit_codes_in_excel_number_cells_are_lost_precision(raw_panel, tmp_path):
    # Excel (and openpyxl) store 15 significant digits; pandas hands the rounded number back
    # as an integer, so the loss is visible only from the code's length.
    frame = raw_panel.assign(village_id=_long_codes(raw_panel, 530102001234567001))
    path = tmp_path / "long.xlsx"
    frame.to_excel(path, index=False)
    found = _problems(path)
    assert list(found) == ["lost precision"]
    assert "more than 15 digits" in found["lost precision"][0].message


def test_long_codes_as_text_or_twelve_digit_numbers_load(raw_panel, tmp_path):
    for first, as_text in ((530102001234567001, True), (530102001001, False)):
        codes = _long_codes(raw_panel, first)
        frame = raw_panel.assign(village_id=codes.astype(str) if as_text else codes)
        frame.to_excel(tmp_path / "codes.xlsx", index=False)
        panel = econ.read_panel(tmp_path / "codes.xlsx")
        assert set(panel.data["village_id"]) == set(codes.astype(str))


def test_a_missing_sheet_names_the_sheets_there_are(raw_panel, tmp_path):
    path = tmp_path / "two_sheets.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"说明": ["村级面板，见第二页"]}).to_excel(writer, sheet_name="说明",
                                                              index=False)
        raw_panel.to_excel(writer, sheet_name="面板", index=False)
    with pytest.raises(ValueError, match=r"has no sheet 'Data'; its sheets are '说明', '面板'"):
        econ.read_panel(path, sheet="Data")
    assert len(econ.read_panel(path, sheet=1)) == len(econ.read_panel(path, sheet="面板"))
