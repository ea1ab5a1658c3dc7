"""When a new query password is too easy to guess. Pure: the candidate and what is known of the citizen in,
the first weakness found out.

A query password is six digits, so anything a stranger holding the ID card could try first is refused:
one digit six times, a run up or down (123456, 654321), the birth date in the forms people write it
(YYMMDD, MMDDYY, DDMMYY), the last six characters of the ID number, and the old password."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from enum import StrEnum

_SIX_DIGITS = re.compile(r"[0-9]{6}")


class Weakness(StrEnum):
    NOT_SIX_DIGITS = "not_six_digits"
    ALL_SAME = "all_same"
    RUN = "run"
    BIRTH_DATE = "birth_date"
    ID_NUMBER_TAIL = "id_number_tail"
    SAME_AS_OLD = "same_as_old"


WEAKNESS_TEXTS: dict[Weakness, tuple[str, str]] = {
    Weakness.NOT_SIX_DIGITS: ("密码须为6位数字。", "The password must be 6 digits."),
    Weakness.ALL_SAME: ("密码不能是6个相同数字。", "The password cannot be one digit six times."),
    Weakness.RUN: ("密码不能是连续数字，如123456。", "The password cannot be a run such as 123456."),
    Weakness.BIRTH_DATE: ("密码不能是您的出生日期。", "The password cannot be your birth date."),
    Weakness.ID_NUMBER_TAIL: ("密码不能是身份证号后6位。", "The password cannot be the ID number's last 6."),
    Weakness.SAME_AS_OLD: ("新密码不能与原密码相同。", "The new password must differ from the old one."),
}


def birth_date_forms(birth_date: dt.date) -> frozenset[str]:
    """The six-digit ways of writing a birth date: YYMMDD, MMDDYY, DDMMYY."""
    return frozenset(f"{birth_date:%y%m%d} {birth_date:%m%d%y} {birth_date:%d%m%y}".split())


def password_weakness(new: str, id_number: str, birth_date: dt.date, old: str) -> Weakness | None:
    """The first reason `new` is refused, or None when it may be used."""
    # fullmatch on [0-9]: str.isdigit() would also take other scripts' digits.
    if not _SIX_DIGITS.fullmatch(new):
        return Weakness.NOT_SIX_DIGITS
    if len(set(new)) == 1:
        return Weakness.ALL_SAME
    steps = {int(later) - int(earlier) for earlier, later in itertools.pairwise(new)}
    if steps in ({1}, {-1}):
        return Weakness.RUN
    if new in birth_date_forms(birth_date):
        return Weakness.BIRTH_DATE
    if new == id_number[-6:]:
        return Weakness.ID_NUMBER_TAIL
    if new == old:
        return Weakness.SAME_AS_OLD
    return None
