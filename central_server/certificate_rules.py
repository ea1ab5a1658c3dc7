"""Pure rules of certificates: the verification code's alphabet and shape, and the statement period.

A code is 16 symbols from a 32-symbol alphabet without the look-alikes 0/O, 1/I (L stays: without 1 it
has no twin), so 32^16 = 2^80 ≈ 1.2 × 10^24 codes: printed as four groups of four, `7KQ2-M9XD-...`."""

from __future__ import annotations

from collections.abc import Callable

from central_server.dates import month_label

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 16
GROUP = 4
MAX_STATEMENT_MONTHS = 24
# A typed-in code with more than this many characters is refused before it is looked at further.
MAX_TYPED_CODE = 64


def new_code(randbelow: Callable[[int], int]) -> str:
    """A code in its stored form (16 symbols, no separators); `randbelow` is `secrets.randbelow`."""
    return "".join(CODE_ALPHABET[randbelow(len(CODE_ALPHABET))] for _ in range(CODE_LENGTH))


def grouped(code: str) -> str:
    """`ABCDEFGHJKMNPQRS` → `ABCD-EFGH-JKMN-PQRS`, as printed and in the verify URL."""
    return "-".join(code[start : start + GROUP] for start in range(0, len(code), GROUP))


def parse_code(text: str) -> str | None:
    """The stored form of a typed or scanned code, or None when it cannot be one. Case, spaces and hyphens
    do not matter (people type `abcd efgh ...`); anything else outside the alphabet does."""
    if len(text) > MAX_TYPED_CODE:
        return None
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(symbol not in CODE_ALPHABET for symbol in code):
        return None
    return code


class PeriodError(ValueError):
    """`str()` is `field: problem`, the field being `from` or `to`."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def statement_period(first: str, last: str, opened_month: int, last_month: int) -> tuple[int, int]:
    """The month indexes (`dates.month_index`) of a statement from `first` to `last` (YYYY-MM, shape
    already checked), both inclusive: within the account's life [`opened_month`, `last_month`] (the
    current month for a live account), `first` not after `last`, at most `MAX_STATEMENT_MONTHS` months."""
    start, end = _index(first), _index(last)
    if start > end:
        raise PeriodError("from", "after to")
    if end > last_month:
        raise PeriodError("to", f"after {month_label(last_month)}, the last month of the account")
    if start < opened_month:
        raise PeriodError("from", f"before {month_label(opened_month)}, when the account was opened")
    if end - start + 1 > MAX_STATEMENT_MONTHS:
        raise PeriodError("to", f"more than {MAX_STATEMENT_MONTHS} months after from (both months count)")
    return start, end


def _index(month: str) -> int:
    year, number = (int(part) for part in month.split("-"))
    return year * 12 + number - 1
