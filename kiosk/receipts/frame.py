"""The frame every receipt shares: the centre's header, the title, the print time and the footer."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kiosk.receipts.data import ReceiptBranding
from kiosk.receipts.model import Align, Block, Cut, Feed, KeyValue, Receipt, Separator, Text

# China keeps one time zone. An aware time (the outbox stores UTC) prints as the citizen's clock shows it;
# a naive one is taken as already local.
PAPER_TIME = ZoneInfo("Asia/Shanghai")


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(PAPER_TIME) if value.tzinfo is not None else value


def when(value: dt.datetime) -> str:
    return local(value).strftime("%Y-%m-%d %H:%M")


def day(value: dt.date) -> str:
    return value.strftime("%Y-%m-%d")


def chinese_day(value: dt.date) -> str:
    return f"{value.year}年{value.month}月{value.day}日"


def frame(
    kind: str, branding: ReceiptBranding, title: str, body: list[Block], printed_at: dt.datetime
) -> Receipt:
    head: list[Block] = [Text(branding.centre_name, Align.CENTER, bold=True)]
    head += [Text(line, Align.CENTER) for line in branding.header_lines]
    head += [Feed(), Text(title, Align.CENTER, bold=True, size=2), Separator("=")]
    foot: list[Block] = [Separator("-"), KeyValue("打印时间", when(printed_at))]
    if branding.terminal_id:
        foot.append(KeyValue("终端编号", branding.terminal_id))
    foot += [Text(line, Align.CENTER) for line in branding.footer_lines]
    foot += [Feed(2), Cut()]
    return Receipt(kind, (*head, *body, *foot))
