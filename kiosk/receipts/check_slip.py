"""The printer test slip (打印机测试页): no citizen data, so the printer driver and its CLI print it
themselves. (Named check_slip so that pytest never takes it for a test.)"""

from __future__ import annotations

from kiosk.masking import format_fen
from kiosk.receipts.data import CheckSlipData, ReceiptBranding
from kiosk.receipts.frame import frame
from kiosk.receipts.model import Align, Barcode, Block, KeyValue, QrCode, Receipt, Separator, Text

# What shows a printer's Chinese path at a glance: full-width punctuation (which python-escpos's own
# text path loses), the yuan sign, and 䶮 (CJK Ext-A), which GBK cannot encode and which must come out
# as a visible replacement mark, not as silence or garbage.
TEST_PUNCTUATION = "，。、；：？！“”‘’（）《》【】—…"
TEST_RARE = "䶮"


def check_slip(data: CheckSlipData, branding: ReceiptBranding) -> Receipt:
    ruler = "".join(str(n % 10) for n in range(1, data.columns + 1))
    body: list[Block] = [
        KeyValue("打印机", data.printer),
        KeyValue("纸宽", f"{data.columns}列"),
        KeyValue("编码", data.codec.upper()),
        Separator("-"),
        Text(ruler),
        Text("住房公积金自助服务终端"),
        Text(TEST_PUNCTUATION),
        Text(f"金额 {format_fen(123456)}"),
        Text(f"生僻字 {TEST_RARE}（GBK打印为□）"),
        Text("加粗 BOLD", bold=True),
        Text("大字", Align.CENTER, size=2),
        QrCode("HPF-KIOSK-PRINTER-TEST", caption="二维码测试"),
        Barcode("TEST-0001"),
        Text("以上内容清晰完整即为正常", Align.CENTER),
    ]
    return frame("test_slip", branding, "打印机测试页", body, data.printed_at)
