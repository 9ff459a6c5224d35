"""What a formatted cell or title says, read the same way by every writer."""

from __future__ import annotations

import pytest

from econ.table.cells import Number, decimal_parts, is_chinese, parse_number, title_number


@pytest.mark.parametrize(("text", "number"), [
    ("1.674**", Number(1.674, stars=2, decimals=3)),
    ("-0.432***", Number(-0.432, stars=3, decimals=3)),
    ("(0.659)", Number(0.659, decimals=3)),
    ("[0.159, 5.731]", Number(None, low=0.159, high=5.731, decimals=3)),
    ("[-1,757.5, 775]", Number(None, low=-1757.5, high=775.0, decimals=1, grouped=True)),
    ("< 0.001", Number(0.001, bound="<", decimals=3)),
    ("4,342", Number(4342.0, grouped=True)),
    ("0.0000", Number(0.0, decimals=4)),
])
def test_numbers_are_read_as_printed(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["", "Yes", "CR1", "Township (31)", "1.2.3", "x 1", "--1"])
def test_text_is_not_a_number(text):
    assert parse_number(text) is None


def test_decimal_parts_split_single_numbers_only():
    assert decimal_parts("1.674**") == ("1", ".674**")
    assert decimal_parts("(0.659)") == ("(0", ".659)")
    assert decimal_parts("< 0.001") == ("< 0", ".001")
    assert decimal_parts("4,342") == ("4,342", "")
    assert decimal_parts("[0.1, 0.2]") is None and decimal_parts("Yes") is None


def test_titles_carrying_their_number_and_chinese_titles():
    assert title_number("Table 4b. Triple difference") == ("4b", "Triple difference")
    assert title_number("Table R1. Funds") == ("R1", "Funds")
    assert title_number("表R1 帮扶资金") == ("R1", "帮扶资金")
    assert title_number("表4：帮扶资金") == ("4", "帮扶资金")
    assert title_number("OLS: y") is None and title_number("回归结果") is None
    assert is_chinese("表4 帮扶资金") and not is_chinese("Table 4. Funds × level")
