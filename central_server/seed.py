"""Deterministic synthetic data: units, citizens with ID card faces, accounts, deposit histories, loans.

Everything follows from `random.Random(seed)` and the centre's date, so two servers started with the same
seed on the same day hold the same data (password hashes aside: their salts are random). All of it is
obviously fake: ID numbers use the non-existent region code 120199, names are a surname plus 测试/样例 (and
演示/示例 in a population larger than the default data set).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central_server.dates import add_months, month_day, month_index, month_label
from central_server.idnumbers import check_char
from central_server.loans import equal_instalment_plan, monthly_payment_fen
from central_server.models import (
    Account,
    AccountStatus,
    Citizen,
    DepositRecord,
    Loan,
    LoanInstalment,
    RecordKind,
    Unit,
)
from central_server.money import div_half_up
from central_server.security import hash_password
from central_server.seed_crm_history import seed_crm_history
from central_server.seed_history import seed_counter_history
from central_server.seed_services import seed_services
from central_server.seed_settled_loans import seed_settled_loans
from central_server.withdrawal_history import seed_withdrawal_history

REGION_CODE = "120199"
# The default data set, which the tests know citizen by citizen.
CITIZEN_COUNT = 64
# The demo centre's population: the default data set's citizens first, then more drawn by the same rules.
DEMO_POPULATION = 320
HISTORY_MONTHS = 36
DEMO_PASSWORD = "123456"
# The one citizen with a different password, so the demo can show a wrong-password path with a real card.
OTHER_PASSWORD_NAME = "司马样例"
OTHER_PASSWORD = "654321"
# Synthetic accounts share a published password, so their hashes use a low scrypt cost to keep start-up
# fast; the cost is stored in each hash, so real passwords set with the default cost are unaffected.
_SEED_SCRYPT_N = 2**10

# Deposits earn 1.5 % a year (the HPF rate since 2016), settled each 30 June on a 360-day year.
DEPOSIT_RATE_BP = 150

_SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐")
_GIVEN_NAMES = ("测试", "样例")
# A surname with these two makes only 216 names; a larger population also draws on 演示 and 示例.
_MORE_GIVEN_NAMES = ("演示", "示例")
# Always present, so every data set has compound surnames, two-character names and the other password.
FEATURED_NAMES = ("欧阳测试", "司马样例", "上官测试", "王测", "李样", "赵测")
_NATIONS = ("汉", "回", "满", "蒙古", "朝鲜")
_NATION_WEIGHTS = (85, 5, 5, 3, 2)
_ROADS = ("测试路", "样例街", "演示大道", "虚构里", "示范道")
ISSUING_AUTHORITY = "天津市公安局示例分局"
_UNIT_NAMES = (
    "示例科技有限公司",
    "样例贸易有限公司",
    "测试建设工程有限公司",
    "演示物流有限公司",
    "示例市第一测试中学",
    "样例医疗服务中心",
    "测试软件开发有限公司",
    "示范餐饮管理有限公司",
)
_OFFICES = ("示例管理部", "样例管理部", "测试管理部")
_RATES_BP = (500, 600, 700, 800, 900, 1000, 1100, 1200)
_LOAN_RATES_BP = (285, 310, 325)
_LOAN_TERMS = (120, 180, 240, 300, 360)

# Days within a month on which things happen; their order is the order of postings within a month.
_BACK_PAY_DELAY_DAYS = 1
_WITHDRAWAL_DAY = 27
_CLOSING_DAY = 28


def seed_if_empty(
    session: Session,
    *,
    seed: int,
    today: date,
    service_history: bool = False,
    citizens: int = CITIZEN_COUNT,
) -> None:
    """Seed an empty database with `citizens` citizens (see build_dataset); a database that already holds
    citizens is left as it is. `service_history` adds a year of visits, ratings and complaints at a dozen
    kiosks and on the other channels for the scorecard and the customer view (seed_crm_history): the demo
    centre's, not every test's (it takes a second or two)."""
    if not session.scalar(select(func.count()).select_from(Citizen)):
        session.add_all(build_dataset(seed, today, citizens))
        seed_services(session)
        session.flush()
        seed_withdrawal_history(session, today)
        seed_settled_loans(session, seed=seed, today=today)
        seed_counter_history(session, seed=seed, today=today)
        if service_history:
            seed_crm_history(session, seed=seed, today=today)


@dataclass(frozen=True)
class _Roles:
    closed: frozenset[int]
    sealed: frozenset[int]
    loan: frozenset[int]
    overdue: frozenset[int]
    ends_in_x: frozenset[int]


def build_dataset(seed: int, today: date, citizens: int = CITIZEN_COUNT) -> list[Citizen]:
    """All citizens, with their accounts, units, deposit records and loans attached. The first
    CITIZEN_COUNT are the default data set whatever `citizens` says: the rest come after them from the
    same random stream, all with `normal` accounts and no loan, so every role stays where the tests and
    the README put it."""
    if citizens < CITIZEN_COUNT:
        raise ValueError(f"citizens: at least {CITIZEN_COUNT} (the default data set), got {citizens}")
    rng = random.Random(seed)
    units = [
        Unit(account_no=f"{REGION_CODE}0{number:05d}", name=name, office=_OFFICES[number % len(_OFFICES)])
        for number, name in enumerate(_UNIT_NAMES, start=1)
    ]
    remit_days = [rng.randint(5, 25) for _ in units]
    names = _names(rng)
    order = list(range(CITIZEN_COUNT))
    rng.shuffle(order)
    loan_holders = order[8:23]
    roles = _Roles(
        closed=frozenset(order[:2]),
        sealed=frozenset(order[2:8]),
        loan=frozenset(loan_holders),
        overdue=frozenset(loan_holders[:2]),
        ends_in_x=frozenset(rng.sample(range(CITIZEN_COUNT), 6)),
    )
    used_ids: set[str] = set()
    people = []

    def add(index: int, name: str) -> None:
        citizen = _citizen(rng, index, name, today, roles, used_ids)
        unit_index = rng.randrange(len(units))
        loan = _loan(rng, index, today, roles) if index in roles.loan else None
        citizen.account = _account(
            rng, index, citizen, today, roles, units[unit_index], remit_days[unit_index], loan
        )
        citizen.loan = loan
        people.append(citizen)

    for index, name in enumerate(names):
        add(index, name)
    for index, name in enumerate(_more_names(rng, names, citizens - CITIZEN_COUNT), start=CITIZEN_COUNT):
        add(index, name)
    return people


def _names(rng: random.Random) -> list[str]:
    pool = [surname + given for surname in (*_SURNAMES, *_COMPOUND_SURNAMES) for given in _GIVEN_NAMES]
    pool = [name for name in pool if name not in FEATURED_NAMES]
    names = [*FEATURED_NAMES, *rng.sample(pool, CITIZEN_COUNT - len(FEATURED_NAMES))]
    rng.shuffle(names)
    return names


def _more_names(rng: random.Random, taken: list[str], count: int) -> list[str]:
    """`count` more names, none of them taken."""
    given_names = (*_GIVEN_NAMES, *_MORE_GIVEN_NAMES)
    pool = [surname + given for surname in (*_SURNAMES, *_COMPOUND_SURNAMES) for given in given_names]
    pool = [name for name in pool if name not in taken]
    if count > len(pool):
        most, asked = CITIZEN_COUNT + len(pool), CITIZEN_COUNT + count
        raise ValueError(f"citizens: at most {most} (one distinct fake name each), got {asked}")
    return rng.sample(pool, count)


def _citizen(
    rng: random.Random, index: int, name: str, today: date, roles: _Roles, used_ids: set[str]
) -> Citizen:
    # Working age today: 26 to 60.
    birth = today - timedelta(days=rng.randint(26 * 365 + 7, 60 * 365))
    while True:
        sequence = rng.randrange(1000)
        body = f"{REGION_CODE}{birth:%Y%m%d}{sequence:03d}"
        id_number = body + check_char(body)
        if id_number not in used_ids and (index not in roles.ends_in_x or id_number.endswith("X")):
            break
    used_ids.add(id_number)
    valid_from = today - timedelta(days=rng.randint(30, 3650))
    road = rng.choice(_ROADS)
    address = f"天津市示例区{road}{rng.randint(1, 199)}号"
    if rng.random() < 0.5:
        address += f"{rng.randint(1, 30)}号楼{rng.randint(1, 6)}门{rng.randint(101, 2802)}"
    password = OTHER_PASSWORD if name == OTHER_PASSWORD_NAME else DEMO_PASSWORD
    return Citizen(
        id_number=id_number,
        name=name,
        # The 17th digit is odd for men and even for women.
        gender="male" if sequence % 2 else "female",
        nation=rng.choices(_NATIONS, _NATION_WEIGHTS)[0],
        birth_date=birth,
        address=address,
        issuing_authority=ISSUING_AUTHORITY,
        card_valid_from=valid_from,
        card_valid_to=_card_valid_to(birth, valid_from),
        password_hash=hash_password(password, n=_SEED_SCRYPT_N),
    )


def _card_valid_to(birth: date, valid_from: date) -> date | None:
    """ID card validity by age at issue: 10 years under 26, 20 years to 45, long-term (长期, None) from 46."""
    age = valid_from.year - birth.year - ((valid_from.month, valid_from.day) < (birth.month, birth.day))
    if age >= 46:
        return None
    return add_months(valid_from, 12 * (10 if age < 26 else 20))


def _loan(rng: random.Random, index: int, today: date, roles: _Roles) -> Loan:
    start = add_months(today.replace(day=rng.randint(1, 28)), -rng.randint(6, 60))
    principal = rng.randrange(30, 121) * 10_000 * 100
    rate = rng.choice(_LOAN_RATES_BP)
    term = rng.choice(_LOAN_TERMS)
    plan = equal_instalment_plan(principal, rate, term, start)
    past_due = [row.period for row in plan if row.due_date < today]
    unpaid_past_due = set(past_due[-rng.randint(1, 2) :]) if index in roles.overdue else set()
    return Loan(
        contract_no=f"DK{start:%Y}{REGION_CODE}{index:04d}",
        principal_fen=principal,
        annual_rate_bp=rate,
        term_months=term,
        monthly_payment_fen=monthly_payment_fen(principal, rate, term),
        start_date=start,
        instalments=[
            LoanInstalment(
                period=row.period,
                due_date=row.due_date,
                principal_fen=row.principal_fen,
                interest_fen=row.interest_fen,
                remaining_fen=row.remaining_fen,
                paid=row.due_date < today and row.period not in unpaid_past_due,
            )
            for row in plan
        ],
    )


@dataclass
class _Ledger:
    """Posts records with running balances and accrues interest as balance × days (积数)."""

    balance: int
    accrued_since: date
    accrued: int = 0
    records: list[DepositRecord] = field(default_factory=list)

    def post(self, day: date, kind: RecordKind, amount: int, period: str | None = None) -> None:
        self._accrue(day)
        self.balance += amount
        self.records.append(
            DepositRecord(
                posted_on=day,
                kind=kind,
                amount_fen=amount,
                balance_fen=self.balance,
                period=period or f"{day:%Y-%m}",
            )
        )

    def settle_interest(self, day: date) -> None:
        self._accrue(day)
        interest = div_half_up(self.accrued * DEPOSIT_RATE_BP, 10_000 * 360)
        self.accrued = 0
        if interest:
            self.post(day, "interest", interest)

    def _accrue(self, day: date) -> None:
        self.accrued += self.balance * (day - self.accrued_since).days
        self.accrued_since = day


def _account(
    rng: random.Random,
    index: int,
    citizen: Citizen,
    today: date,
    roles: _Roles,
    unit: Unit,
    remit_day: int,
    loan: Loan | None,
) -> Account:
    rate = rng.choice(_RATES_BP)
    base = rng.randrange(2_500, 35_001, 50) * 100
    monthly = div_half_up(base * 2 * rate, 10_000)
    last_month = month_index(today) - 1
    window_first = last_month - HISTORY_MONTHS + 1

    status: AccountStatus
    if index in roles.closed:
        status = "closed"
        stop = last_month - rng.randint(8, 20)
    elif index in roles.sealed:
        status = "sealed"
        stop = last_month - rng.randint(3, 18)
    else:
        status = "normal"
        stop = last_month
    # Sealed and closed accounts need some history before they stop, so only normal ones may be that new.
    opening = _opening(
        rng, citizen.birth_date, today, monthly, remit_day, window_first, may_be_recent=status == "normal"
    )
    first_month = month_index(opening.opened_on) if opening.recent else window_first
    ledger = _Ledger(balance=opening.carried, accrued_since=opening.accrued_since)
    close_month = stop + rng.randint(1, 3) if status == "closed" else None
    missed = {m for m in range(first_month, stop - 1) if rng.random() < 0.04}
    back_pay: dict[int, list[int]] = {}
    for m in sorted(missed):
        back_pay.setdefault(m + rng.randint(1, 2), []).append(m)
    withdraw = _withdrawal_plan(rng, first_month, last_month, loan)

    for m in range(first_month, last_month + 1):
        if opening.transfer_in and m == first_month:
            ledger.post(opening.opened_on, "transfer_in", opening.transfer_in)
        if m <= stop and m not in missed:
            ledger.post(month_day(m, remit_day), "remit", monthly, month_label(m))
        for period in back_pay.get(m, []):
            ledger.post(
                month_day(m, remit_day + _BACK_PAY_DELAY_DAYS), "back_pay", monthly, month_label(period)
            )
        amount = min(withdraw(m, ledger.balance), ledger.balance)
        if amount > 0:
            ledger.post(month_day(m, _WITHDRAWAL_DAY), "withdrawal", -amount)
        if m == close_month:
            # Closing settles the interest accrued so far, then pays out or transfers away everything.
            ledger.settle_interest(month_day(m, _CLOSING_DAY))
            kind: RecordKind = rng.choice(("withdrawal", "transfer_out"))
            ledger.post(month_day(m, _CLOSING_DAY), kind, -ledger.balance)
            break
        if m % 12 == 5:  # June
            ledger.settle_interest(month_day(m, 30))

    return Account(
        account_no=f"{REGION_CODE}1{index + 1:05d}",
        unit=unit,
        status=status,
        deposit_base_fen=base,
        unit_rate_bp=rate,
        personal_rate_bp=rate,
        monthly_deposit_fen=monthly,
        balance_fen=ledger.balance,
        opened_on=opening.opened_on,
        paid_up_to=month_label(stop),
        records=ledger.records,
    )


@dataclass(frozen=True)
class _Opening:
    opened_on: date
    recent: bool  # opened within the history window
    carried: int  # the balance when the history window starts
    accrued_since: date  # interest on `carried` accrues from here
    transfer_in: int  # brought from another centre on opening (0 for none)


def _opening(
    rng: random.Random,
    birth: date,
    today: date,
    monthly: int,
    remit_day: int,
    window_first: int,
    *,
    may_be_recent: bool,
) -> _Opening:
    if may_be_recent and rng.random() < 0.2:
        opened_on = month_day(window_first + rng.randint(0, 23), rng.randint(1, remit_day))
        transfer_in = rng.randrange(20_000, 150_001, 100) * 100 if rng.random() < 0.5 else 0
        return _Opening(opened_on, recent=True, carried=0, accrued_since=opened_on, transfer_in=transfer_in)
    window_start = month_day(window_first, 1)
    earliest = max(add_months(birth, 22 * 12), add_months(today, -20 * 12))
    opened_on = earliest + timedelta(days=rng.randrange((window_start - earliest).days))
    # Part of what was paid in before the window is still there, earning interest since the last 30 June.
    carried = monthly * (window_first - month_index(opened_on)) * rng.randint(30, 90) // 100
    last_june_30 = date(window_start.year - (window_start.month <= 6), 6, 30)
    return _Opening(
        opened_on, recent=False, carried=carried, accrued_since=max(opened_on, last_june_30), transfer_in=0
    )


def _whole_yuan(fen: int) -> int:
    return fen // 100 * 100


def _withdrawal_plan(
    rng: random.Random, first_month: int, last_month: int, loan: Loan | None
) -> Callable[[int, int], int]:
    """A function of (month, balance) giving the amount withdrawn that month (0 for none)."""
    if loan is not None:
        loan_month = month_index(loan.start_date)
        yearly = 12 * loan.monthly_payment_fen

        def borrower(month: int, balance: int) -> int:
            # Most of the balance goes towards the down payment, then a year's repayments each year.
            if month == loan_month:
                return _whole_yuan(balance * 9 // 10)
            return yearly if month > loan_month and (month - loan_month) % 12 == 0 else 0

        return borrower
    style = rng.choices(("none", "rent", "purchase"), (60, 25, 15))[0]
    if style == "rent":
        quarterly = rng.randrange(3_000, 4_501, 100) * 100
        return lambda month, balance: quarterly if (month - first_month) % 3 == 2 else 0
    if style == "purchase" and first_month + 6 <= last_month:
        purchase_month = rng.randint(first_month + 6, last_month)
        share = rng.randint(60, 95)
        return lambda month, balance: _whole_yuan(balance * share // 100) if month == purchase_month else 0
    return lambda month, balance: 0
