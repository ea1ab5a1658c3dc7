"""Masking and money formatting for everything a citizen sees on screen or paper.

The rules come from the centre's privacy practice (a receipt counts as a display): ID numbers keep the
first 3 and last 4 characters, names keep the surname only, phones keep 3 + 4 digits, bank cards keep
the BIN (first 6) and the last 4.
"""

from __future__ import annotations

# Two-character surnames that are common enough that masking 欧阳娜 as 欧** would reveal less than the
# rule intends (the surname is the part we keep, so it must be recognised whole).
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "诸葛",
        "上官",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "夏侯",
        "轩辕",
        "令狐",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "百里",
        "呼延",
        "万俟",
        "闻人",
        "澹台",
        "公冶",
        "宗政",
        "濮阳",
        "太叔",
        "申屠",
        "钟离",
        "长孙",
        "鲜于",
        "闾丘",
        "东郭",
        "第五",
    ]
)


def mask_id_number(value: str) -> str:
    """`120199199001011234` → `120***********1234`."""
    value = value.strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """Keep the surname only: `张三` → `张*`, `欧阳娜娜` → `欧阳**`; Latin names keep the first letter."""
    value = value.strip()
    if not value:
        return ""
    if value.isascii():
        return value[0] + "*" * (len(value.replace(" ", "")) - 1)
    keep = 2 if value[:2] in COMPOUND_SURNAMES and len(value) > 2 else 1
    return value[:keep] + "*" * (len(value) - keep)


def mask_phone(value: str) -> str:
    """`13812345678` → `138****5678`."""
    digits = value.strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_bank_card(value: str) -> str:
    """`6217000000000012348` → `621700*********2348` (BIN and last 4, PCI DSS 3.4.1)."""
    digits = value.replace(" ", "")
    if len(digits) < 11:
        return "*" * len(digits)
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def format_fen(amount_fen: int) -> str:
    """Money is kept in fen and shown as `¥1,234.56` (negative as `-¥12.00`); never through a float."""
    if not isinstance(amount_fen, int):
        raise TypeError(f"amount must be an int number of fen, got {type(amount_fen).__name__}")
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"


def format_rate_bp(rate_bp: int) -> str:
    """Rates travel in basis points: 1200 → `12%`, 1250 → `12.5%`."""
    whole, frac = divmod(rate_bp, 100)
    return f"{whole}%" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "%"
