"""Columns that count a hanzi as two, wrapping that never splits a character, tables and key-values."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.printer.chinese import width
from kiosk.devices.printer.layout import Line, lay_out, wrap
from kiosk.receipts.model import Align, Column, KeyValue, Receipt, Table, Text

_CHARS = st.sampled_from(list("公积金提取缴存，。：（）ABCxyz0123456789 -*￥"))


@given(st.text(_CHARS, max_size=200), st.integers(min_value=2, max_value=48))
def test_wrapped_lines_fit_and_lose_nothing_but_spaces_at_breaks(text: str, columns: int) -> None:
    lines = wrap(text, columns)
    assert all(width(line) <= columns for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


@given(
    st.text(_CHARS, min_size=1, max_size=200).filter(lambda t: not re.search("[，。：）] *[，。：）]", t)),
    st.integers(min_value=4, max_value=48),
)
def test_closing_punctuation_never_starts_a_line(text: str, columns: int) -> None:
    # (A run of two closing marks, spaces between them or not, can force one to the line start; single
    # marks never get there, a space before one included: "00。 ）" in 4 columns was the example.)
    for line in wrap(text, columns)[1:]:
        assert not line.startswith(("，", "。", "：", "）"))


def test_a_hanzi_counts_as_two_columns() -> None:
    assert wrap("住房公积金自助服务终端", 10) == ["住房公积金", "自助服务终", "端"]
    assert wrap("住房公积金", 9) == ["住房公积", "金"]  # never half a character


def test_ascii_words_move_down_whole_and_punctuation_takes_a_companion() -> None:
    assert wrap("请出示 TQ202611270001 办理", 16) == ["请出示", "TQ202611270001", "办理"]
    assert wrap("一二三四五六七。", 14) == ["一二三四五六", "七。"]


def test_a_key_value_is_flush_right_and_a_long_value_goes_below() -> None:
    receipt = Receipt("t", (KeyValue("姓名", "张*"), KeyValue("单位名称", "天津示例测试科技有限公司")))
    lines = [item.text for item in lay_out(receipt, 32) if isinstance(item, Line)]
    assert lines[0] == "姓名：" + " " * 23 + "张*"
    assert lines[1:] == ["单位名称：", " " * 8 + "天津示例测试科技有限公司"]


def test_double_size_text_wraps_at_half_the_columns() -> None:
    items = lay_out(Receipt("t", (Text("个人缴存证明打印完毕", Align.CENTER, size=2),)), 32)
    assert [item.text for item in items if isinstance(item, Line)] == ["个人缴存证明打印", "完毕"]


def test_table_columns_take_their_natural_width_and_cells_wrap_when_they_cannot() -> None:
    table = Table((Column("日期"), Column("金额", align=Align.RIGHT)), (("01-15", "2,040.00"),))
    lines = [item.text for item in lay_out(Receipt("t", (table,)), 32) if isinstance(item, Line)]
    assert lines == ["日期" + " " * 24 + "金额", "01-15" + " " * 19 + "2,040.00"]
    narrow = Table((Column("说明"), Column("金额")), (("住房公积金提取业务受理", "1"),))
    wrapped = [item.text for item in lay_out(Receipt("t", (narrow,)), 12) if isinstance(item, Line)]
    assert wrapped == ["说明  金额", "住房  1", "公积", "金提", "取业", "务受", "理"]
