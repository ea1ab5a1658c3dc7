"""The Chinese text path, byte for byte, against the traps of python-escpos's own text() (devices.md §C)."""

from __future__ import annotations

from escpos.printer import Dummy

from kiosk.devices.printer.chinese import REPLACEMENT, Codec, as_printed, encode, normalise, width
from kiosk.devices.printer.encoder import EncoderProfile, encode_items
from kiosk.devices.printer.layout import Line


def test_hanzi_are_gbk_double_bytes() -> None:
    assert encode("公积金 提取", Codec.GBK).data == bytes.fromhex("B9 AB BB FD BD F0 20 CC E1 C8 A1")


def test_full_width_punctuation_alone_is_kept() -> None:
    # python-escpos turns this into ESC t 0 + "??"; we keep the GBK bytes.
    dummy = Dummy()
    dummy.text("，。")
    assert dummy.output == b"\x1bt\x00??"
    assert encode("，。", Codec.GBK) == encode("，。", Codec.GB18030)
    assert encode("，。", Codec.GBK).data == bytes.fromhex("A3 AC A1 A3")


def test_the_yuan_sign_becomes_the_gbk_full_width_sign() -> None:
    dummy = Dummy()
    dummy.text("¥100 金额")
    assert b"\x81\x30\x84\x36" in dummy.output  # the 4-byte GB18030 ¥ that GBK printers print as junk
    text = normalise("¥100 金额")
    assert text == "￥100 金额"
    assert encode(text, Codec.GBK).data.startswith(b"\xa3\xa4100 ")
    assert width(text) == 2 + 3 + 1 + 4


def test_unencodable_characters_are_replaced_visibly_and_counted() -> None:
    encoded = encode("生僻字䶮與€", Codec.GBK)
    assert encoded.replaced == 2  # 䶮 (Ext-A) is not in GBK; € is CP936's single byte 0x80, not printable
    assert (
        encoded.data == "生僻字".encode("gbk") + REPLACEMENT.encode("gbk") + "與".encode("gbk") + b"\xa1\xf5"
    )
    assert as_printed("生僻字䶮與€", Codec.GBK) == "生僻字□與□"


def test_gb18030_printers_get_what_gbk_cannot_encode() -> None:
    assert encode("䶮", Codec.GB18030).replaced == 0
    # Ext-B: GB18030's four-byte sequence, for printers that have it
    assert encode("𠀀", Codec.GB18030).data == bytes.fromhex("95328236")
    assert encode("𠀀", Codec.GBK).replaced == 1


def test_control_characters_in_text_cannot_become_printer_commands() -> None:
    encoded = encode("单位\x1b@\x1dV\x00名称", Codec.GBK)
    assert encoded.replaced == 3  # ESC, GS and NUL; '@' and 'V' are plain letters once ESC/GS are gone
    assert not any(byte < 0x20 for byte in encoded.data)
    assert width("a\x1bb") == 4  # measured as the two-column replacement it will print as


def test_every_line_is_preceded_by_fs_ampersand() -> None:
    job = encode_items([Line("提取"), Line("ABC"), Line("，。")], EncoderProfile())
    assert job.data.count(b"\x1c\x26\xcc\xe1\xc8\xa1\n") == 1
    assert job.data.count(b"\x1c\x26ABC\n") == 1
    assert job.data.count(b"\x1c\x26\xa3\xac\xa1\xa3\n") == 1
    assert job.data.startswith(b"\x1b@\x1c\x26")  # ESC @ then Chinese mode before anything else
