"""The citizen's visit: who is at the kiosk (from the ID card), signing in with the query password, and
what they may see. Everything of the person lives in one `Visit` that `end_visit()` wipes."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.central.models import Account, AdviceItem, DepositRecord, Loan
from kiosk.i18n import N_
from kiosk.masking import format_fen, format_rate_bp, mask_id_number, mask_name

if TYPE_CHECKING:
    # The receipt model loads when a statement is printed, on a worker, not before the first frame.
    from kiosk.receipts.data import AccountStatementData

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CardHolder:
    """The person on the ID card, as far as the kiosk needs them."""

    name: str
    id_number: str
    card_type: str
    expired: bool

    def __repr__(self) -> str:  # never leak a name or ID number into a log line by accident
        return f"CardHolder(card_type={self.card_type!r}, expired={self.expired})"

    @property
    def masked_name(self) -> str:
        return mask_name(self.name)

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)


@dataclass(frozen=True)
class CardRefused:
    """Why a placed card does not begin a visit: message ids for the notice the citizen sees."""

    title: str
    body: str


EXPIRED_CARD = CardRefused(
    N_("This ID card has expired"), N_("Please use a valid ID card, or ask at the counter.")
)


class SignIn(Enum):
    OK = "ok"
    # The ID card and the password do not match: the centre does not say whether the account exists.
    WRONG_PASSWORD = "wrong_password"
    LOCKED = "locked"
    # Too many failed sign-ins at this kiosk lately; the centre pauses them for a while.
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class SignInResult:
    outcome: SignIn
    attempts_left: int | None = None


@dataclass(frozen=True)
class OverviewView:
    """The account overview, already masked and formatted; labels are translated by the screen."""

    masked_name: str
    masked_id: str
    account_no: str
    balance: str
    monthly_deposit: str
    deposit_base: str
    unit_rate: str
    personal_rate: str
    status: str  # normal | sealed | closed (the screen translates it)
    unit_name: str
    paid_up_to: str
    opened_on: str
    year_deposits: str
    year_withdrawals: str
    has_loan: bool


@dataclass(frozen=True)
class AdviceView:
    """One sentence of the centre's advice in both languages (the centre's own wording: it names nothing the
    citizen's own screens do not show) and the service its button opens (None: no button)."""

    code: str
    zh: str
    en: str
    action: str | None

    def text(self, locale: str) -> str:
        return self.zh if locale == "zh_CN" else self.en


@dataclass(frozen=True)
class DepositRow:
    date: str
    kind: str  # remit | back_pay | withdrawal | interest | transfer_in | transfer_out
    amount: str
    balance: str


@dataclass(frozen=True)
class DepositsView:
    rows: list[DepositRow]
    page: int
    pages: int


@dataclass(frozen=True)
class Instalment:
    """One month of a loan's repayment plan, as the plan screen lists it."""

    period: int
    due_date: str
    payment: str  # principal + interest
    remaining: str  # the balance after it
    paid: bool


@dataclass(frozen=True)
class LoanView:
    contract_no: str
    principal: str
    balance: str
    annual_rate: str
    term_months: int
    monthly_payment: str
    next_due_date: str
    overdue: str
    has_overdue: bool
    plan: list[Instalment]  # every month of the term (360 for a 30-year loan)

    @property
    def upcoming(self) -> list[Instalment]:
        """The next months to pay, as the loan screen lists them under its facts."""
        return [row for row in self.plan if not row.paid][:_UPCOMING_ROWS]


@dataclass(frozen=True)
class SignedInCitizen:
    """The signed-in citizen as a transaction's payload names them, and the visit's credentials."""

    id_number: str
    name: str
    session_token: str
    visit_ticket: str

    def __repr__(self) -> str:  # never leak a name, ID number or token into a log line
        return "SignedInCitizen(...)"


class NotSignedIn(Exception):
    """A service that needs a signed-in citizen was asked for without one (a UI bug, not a citizen's)."""


class Unavailable(Exception):
    """The centre cannot be reached just now; the screen says so calmly and goes home."""


@dataclass
class _Visit:
    holder: CardHolder
    session_token: str | None = None
    # From the sign-in: the centre's signed ticket that every transaction of the visit carries, and the
    # citizen's pseudonymous reference for its touchpoint events. Wiped with the visit.
    visit_ticket: str | None = None
    citizen_ref: str | None = None


DEPOSIT_PAGE_SIZE = 8
# Receipts are printed in Chinese whatever the screen's language: they are kept as official paper.
_STATUS_ON_PAPER = {"normal": "正常", "sealed": "封存", "closed": "销户"}


class CitizenService:
    def __init__(self, central: CentralClient) -> None:
        self._central = central
        self._lock = threading.Lock()
        self._visit: _Visit | None = None

    # -- the visit ------------------------------------------------------------------------------------

    def begin_visit(self, holder: CardHolder) -> None:
        with self._lock:
            self._visit = _Visit(holder)

    @property
    def holder(self) -> CardHolder | None:
        visit = self._visit
        return visit.holder if visit else None

    @property
    def signed_in(self) -> bool:
        visit = self._visit
        return bool(visit and visit.session_token)

    def card_placed(self, holder: CardHolder) -> CardRefused | None:
        """An ID card was placed: begin the visit, or say why this card cannot begin one."""
        if holder.expired:
            return EXPIRED_CARD
        self.begin_visit(holder)
        return None

    def end_visit(self) -> str | None:
        """Forget the citizen at once, on the caller's thread (the UI's: the next citizen may begin right
        after). Returns the session token for `close_session` to drop at the centre on a worker, or None
        when nobody had signed in."""
        with self._lock:
            visit, self._visit = self._visit, None
        return visit.session_token if visit else None

    def close_session(self, session_token: str) -> None:
        """Tell the centre to drop a session that `end_visit` returned (best effort; blocking)."""
        try:
            self._central.close_citizen_session(session_token)
        except (CentralError, CentralUnavailable) as exc:
            # The session expires at the centre by itself within minutes; nothing else to do.
            log.info("closing the citizen session failed (%s); it will expire", type(exc).__name__)

    # -- signing in -----------------------------------------------------------------------------------

    def sign_in(self, password: str) -> SignInResult:
        visit = self._visit
        if visit is None:
            raise NotSignedIn("sign_in() without a card on the reader")
        try:
            session = self._central.open_citizen_session(visit.holder.id_number, visit.holder.name, password)
        except CentralUnavailable as exc:
            log.warning("sign-in: centre unavailable (%s)", exc)
            return SignInResult(SignIn.UNAVAILABLE)
        except CentralError as exc:
            if exc.code == "sign_in_failed":
                left = int(exc.data.get("attempts_left", 0))
                # The third failure locks the day; say so now rather than on the next try.
                return (
                    SignInResult(SignIn.WRONG_PASSWORD, left) if left > 0 else SignInResult(SignIn.LOCKED, 0)
                )
            if exc.code == "password_locked":
                return SignInResult(SignIn.LOCKED, 0)
            if exc.code == "rate_limited":
                return SignInResult(SignIn.RATE_LIMITED)
            log.warning("sign-in refused with %s", exc.code)
            return SignInResult(SignIn.UNAVAILABLE)
        with self._lock:
            if self._visit is visit:
                visit.session_token = session.session_token
                visit.visit_ticket = session.visit_ticket
                visit.citizen_ref = session.citizen_ref
                return SignInResult(SignIn.OK)
        # The citizen left (idle wipe) while the request was in flight: do not keep the session.
        self._central.close_citizen_session(session.session_token)
        return SignInResult(SignIn.UNAVAILABLE)

    @property
    def visit_ticket(self) -> str | None:
        """The signed-in visit's ticket, for its transactions' outbox items; None before sign-in."""
        visit = self._visit
        return visit.visit_ticket if visit else None

    @property
    def citizen_ref(self) -> str | None:
        visit = self._visit
        return visit.citizen_ref if visit else None

    def signed_in_citizen(self) -> SignedInCitizen:
        """Who is signed in, unmasked, for the payload of a transaction they file (never for a screen)."""
        visit = self._visit
        if visit is None or visit.session_token is None or visit.visit_ticket is None:
            raise NotSignedIn("no signed-in citizen with a visit ticket")
        return SignedInCitizen(
            visit.holder.id_number, visit.holder.name, visit.session_token, visit.visit_ticket
        )

    # -- what a signed-in citizen sees ----------------------------------------------------------------

    def _token(self) -> str:
        visit = self._visit
        if visit is None or visit.session_token is None:
            raise NotSignedIn("no signed-in citizen")
        return visit.session_token

    def overview(self) -> OverviewView:
        try:
            account = self._central.account(self._token())
        except (CentralUnavailable, CentralError) as exc:
            raise Unavailable(str(exc)) from exc
        return _overview_view(account)

    def advice(self) -> list[AdviceView]:
        """The centre's advice for the overview, most urgent first; Unavailable when the centre fails (the
        overview then shows none)."""
        try:
            items = self._central.advice(self._token())
        except (CentralUnavailable, CentralError) as exc:
            raise Unavailable(str(exc)) from exc
        return [_advice_view(item) for item in items]

    def deposits(self, page: int = 1) -> DepositsView:
        try:
            result = self._central.deposits(self._token(), page=page, page_size=DEPOSIT_PAGE_SIZE)
        except (CentralUnavailable, CentralError) as exc:
            raise Unavailable(str(exc)) from exc
        pages = max(1, -(-result.total // result.page_size))
        return DepositsView([_deposit_row(item) for item in result.items], result.page, pages)

    def statement_data(self, printed_at: datetime) -> AccountStatementData:
        """The account, unmasked, for a printed statement (the template masks it on paper)."""
        from kiosk.receipts.data import AccountStatementData, Holder

        try:
            account = self._central.account(self._token())
        except (CentralUnavailable, CentralError) as exc:
            raise Unavailable(str(exc)) from exc
        return AccountStatementData(
            holder=Holder(name=account.name, id_number=account.id_number, account_number=account.account_no),
            unit_name=account.unit_name,
            status=_STATUS_ON_PAPER[account.status],
            opened_on=account.opened_on,
            paid_up_to=account.paid_up_to,
            base_fen=account.deposit_base_fen,
            unit_rate_bp=account.unit_rate_bp,
            personal_rate_bp=account.personal_rate_bp,
            monthly_fen=account.monthly_deposit_fen,
            balance_fen=account.balance_fen,
            last_year_balance_fen=account.last_year_balance_fen,
            year_deposits_fen=account.year_deposits_fen,
            year_withdrawals_fen=account.year_withdrawals_fen,
            printed_at=printed_at,
        )

    def loan(self) -> LoanView | None:
        try:
            loan = self._central.loan(self._token())
        except (CentralUnavailable, CentralError) as exc:
            raise Unavailable(str(exc)) from exc
        return None if loan is None else _loan_view(loan)


def _overview_view(account: Account) -> OverviewView:
    return OverviewView(
        masked_name=mask_name(account.name),
        masked_id=mask_id_number(account.id_number),
        account_no=account.account_no,
        balance=format_fen(account.balance_fen),
        monthly_deposit=format_fen(account.monthly_deposit_fen),
        deposit_base=format_fen(account.deposit_base_fen),
        unit_rate=format_rate_bp(account.unit_rate_bp),
        personal_rate=format_rate_bp(account.personal_rate_bp),
        status=account.status,
        unit_name=account.unit_name,
        paid_up_to=account.paid_up_to,
        opened_on=account.opened_on.isoformat(),
        year_deposits=format_fen(account.year_deposits_fen),
        year_withdrawals=format_fen(account.year_withdrawals_fen),
        has_loan=account.has_loan,
    )


def _advice_view(item: AdviceItem) -> AdviceView:
    return AdviceView(code=item.code, zh=item.zh, en=item.en, action=item.action)


def _deposit_row(item: DepositRecord) -> DepositRow:
    amount = format_fen(item.amount_fen)
    if item.amount_fen > 0:
        amount = "+" + amount
    return DepositRow(item.date.isoformat(), item.type, amount, format_fen(item.balance_fen))


_UPCOMING_ROWS = 4


def _loan_view(loan: Loan) -> LoanView:
    return LoanView(
        contract_no=loan.contract_no,
        principal=format_fen(loan.principal_fen),
        balance=format_fen(loan.balance_fen),
        annual_rate=format_rate_bp(loan.annual_rate_bp),
        term_months=loan.term_months,
        monthly_payment=format_fen(loan.monthly_payment_fen),
        next_due_date=loan.next_due_date.isoformat() if loan.next_due_date else "",
        overdue=format_fen(loan.overdue_fen),
        has_overdue=loan.overdue_fen > 0,
        plan=[
            Instalment(
                period=row.period,
                due_date=row.due_date.isoformat(),
                payment=format_fen(row.principal_fen + row.interest_fen),
                remaining=format_fen(row.remaining_fen),
                paid=row.paid,
            )
            for row in loan.plan
        ],
    )
