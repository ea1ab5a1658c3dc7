"""The advice rules: pure functions of a citizen's profile and the centre's date, one short sentence each.

Each rule looks at one fact and answers at most one `Advice`; `advise` runs them all, orders the answers by
priority (1 comes first) and keeps the first `MAX_ADVICE`. docs/advice.md lists the rules, their thresholds
and their sentences. A sentence names nothing the citizen's own screens do not already show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from central_server.dates import month_index
from central_server.withdrawal_rules import CitizenFacts, Reason, assess

MAX_ADVICE = 3
# Whole months before the current one without a deposit, from which the employer may have stopped paying.
DEPOSIT_GAP_MONTHS = 3
# A citizen who withdrew for rent within this many months rents, and is told when rent may be withdrawn.
RENTER_MONTHS = 12

# Kiosk service ids (kiosk/remote_config/schema.py) an advice may link to.
Action = Literal["deposits", "loan", "withdrawal", "appointment", "status"]


@dataclass(frozen=True)
class Named:
    zh: str
    en: str


@dataclass(frozen=True)
class UpcomingAppointment:
    day: dt.date
    slot: str  # HH:MM-HH:MM
    business: Named
    office: Named


@dataclass(frozen=True)
class WaitingPreRegistration:
    business: Named
    valid_until: dt.date  # the last day a counter takes it


@dataclass(frozen=True)
class Profile:
    """What the rules are told about one citizen."""

    withdrawal: CitizenFacts  # the account, loan and withdrawals, as the withdrawal rules see them
    last_paid_month: int  # month_index of the account's paid_up_to
    overdue_instalments: int  # unpaid loan instalments due before today
    appointments: tuple[UpcomingAppointment, ...] = ()  # booked, not cancelled
    pre_registrations: tuple[WaitingPreRegistration, ...] = ()  # waiting at the counter


@dataclass(frozen=True)
class Advice:
    code: str
    zh: str
    en: str
    action: Action | None  # the kiosk service the advice's button opens; None for no button
    priority: int  # 1 comes first


def loan_overdue(profile: Profile, today: dt.date) -> Advice | None:
    if profile.overdue_instalments <= 0:
        return None
    return Advice(
        "loan_overdue",
        "您的公积金贷款有逾期未还的月供，请尽快还款，以免产生罚息。",
        "A housing loan instalment is overdue; please repay soon to avoid penalty interest.",
        "loan",
        10,
    )


def appointment_tomorrow(profile: Profile, today: dt.date) -> Advice | None:
    tomorrow = today + dt.timedelta(days=1)
    booked = sorted((a for a in profile.appointments if a.day == tomorrow), key=lambda a: a.slot)
    if not booked:
        return None
    first = booked[0]
    return Advice(
        "appointment_tomorrow",
        f"您明天{first.slot}在{first.office.zh}有{first.business.zh}预约，请带齐材料按时到达。",
        f"You have an appointment tomorrow at {first.slot} at the {first.office.en} "
        f"({first.business.en}); please bring your papers.",
        "appointment",
        20,
    )


def pre_registration_waiting(profile: Profile, today: dt.date) -> Advice | None:
    waiting = sorted(
        (p for p in profile.pre_registrations if today <= p.valid_until), key=lambda p: p.valid_until
    )
    if not waiting:
        return None
    first = waiting[0]
    days = (first.valid_until - today).days
    if days == 0:
        zh_when, en_when = "今天到期", "expires today"
    else:
        zh_when, en_when = f"还有{days}天到期", f"expires in {days} day{'s' if days > 1 else ''}"
    return Advice(
        "pre_registration_waiting",
        f"您的{first.business.zh}预登记{zh_when}，请带齐材料到柜台办理。",
        f"Your pre-registration for {first.business.en} {en_when}; please bring your papers to the counter.",
        "status",
        30,
    )


def deposits_stopped(profile: Profile, today: dt.date) -> Advice | None:
    # A sealed account stopped on purpose (its own rule below); a closed one is over.
    if profile.withdrawal.account_status != "normal":
        return None
    if month_index(today) - 1 - profile.last_paid_month < DEPOSIT_GAP_MONTHS:
        return None
    return Advice(
        "deposits_stopped",
        f"您的账户已连续{DEPOSIT_GAP_MONTHS}个月以上未缴存，请向单位核实是否已停缴。",
        f"No deposits have arrived for {DEPOSIT_GAP_MONTHS} months or more; please check with your employer.",
        "deposits",
        40,
    )


def rent_available(profile: Profile, today: dt.date) -> Advice | None:
    # Only for a citizen who rents (withdrew for rent within the last year): anyone without a home loan may
    # withdraw for rent, and advising all of them would be noise.
    this_month = month_index(today)
    rents = any(this_month - month_index(day) <= RENTER_MONTHS for day in profile.withdrawal.rent_withdrawals)
    if not rents or not assess(profile.withdrawal, Reason.RENT, today).allowed:
        return None
    return Advice(
        "rent_available",
        "您本月可申请租房提取，可在本机办理。",
        "You may withdraw for rent this month, here at this kiosk.",
        "withdrawal",
        50,
    )


def sealed_leaving_city(profile: Profile, today: dt.date) -> Advice | None:
    if not assess(profile.withdrawal, Reason.LEAVING_CITY, today).allowed:
        return None
    return Advice(
        "sealed_leaving_city",
        "您的账户已封存。如已离开本市，可预约到柜台办理离开本市提取。",
        "Your account is sealed. If you have left the city, book a counter visit to withdraw the balance.",
        "appointment",
        60,
    )


RULES: tuple[Callable[[Profile, dt.date], Advice | None], ...] = (
    loan_overdue,
    appointment_tomorrow,
    pre_registration_waiting,
    deposits_stopped,
    rent_available,
    sealed_leaving_city,
)


def advise(profile: Profile, today: dt.date) -> list[Advice]:
    """Every rule that holds, most urgent first, at most `MAX_ADVICE`."""
    found = [advice for rule in RULES if (advice := rule(profile, today)) is not None]
    return sorted(found, key=lambda advice: (advice.priority, advice.code))[:MAX_ADVICE]
