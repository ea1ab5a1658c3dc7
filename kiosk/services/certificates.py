"""Certificates (缴存证明, 贷款结清证明, a statement for a chosen period): issued by the centre with a
verification code, printed with that code and a QR code of the centre's verify page for it. Online only:
a certificate is the centre's word, and only the centre can issue its code."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.central.models import DepositFacts, IssuedCertificate, LoanSettledFacts, StatementFacts
from kiosk.i18n import N_
from kiosk.services.citizen import CitizenService, Unavailable
from kiosk.services.filing import KioskParts

if TYPE_CHECKING:
    from kiosk.receipts.data import ReceiptBranding
    from kiosk.receipts.model import Receipt

CertificateKind = Literal["deposit", "loan_settled", "statement"]
KINDS: tuple[CertificateKind, ...] = ("deposit", "loan_settled", "statement")

# On paper in Chinese, whatever the screen's language: a certificate is an official document.
_STATUS_ON_PAPER = {"normal": "正常", "sealed": "封存", "closed": "销户"}
_LOAN_RECORD_ON_PAPER = {"none": "无贷款记录", "repaying": "贷款还款中", "settled": "贷款已结清"}
_REFUSALS = {
    "no_settled_loan": N_(
        "There is no settled housing loan in your name, so this certificate cannot be issued."
    ),
    "account_closed": N_(
        "Your account is closed, so this certificate cannot be issued here. Please ask at the counter."
    ),
}
OPENED_AFTER_PERIOD = N_(
    "Your account was opened after this period, so there is nothing to show for it. Please choose a "
    "later period."
)


class CertificateRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Period:
    """A statement period the screen offers: months as the centre takes them (YYYY-MM)."""

    key: str  # last_12_months | this_year | last_year
    label: str  # a message id
    period_from: str
    period_to: str


@dataclass(frozen=True)
class CertificatePrinted:
    kind: CertificateKind
    code: str
    printed: bool
    message: str  # a message id


def statement_periods(today: date) -> list[Period]:
    """The periods offered for a statement, ending with the current month."""
    this_month = f"{today:%Y-%m}"
    year_ago = (
        date(today.year - 1, today.month, 1)
        if today.month == 12
        else date(today.year - 1, today.month + 1, 1)
    )
    return [
        Period("last_12_months", N_("The last 12 months"), f"{year_ago:%Y-%m}", this_month),
        Period("this_year", N_("This year"), f"{today.year}-01", this_month),
        Period("last_year", N_("Last year"), f"{today.year - 1}-01", f"{today.year - 1}-12"),
    ]


class CertificateService:
    def __init__(self, central: CentralClient, citizen: CitizenService, parts: KioskParts) -> None:
        self._central = central
        self._citizen = citizen
        self._parts = parts

    def wipe(self) -> None:
        """Nothing of the citizen is kept between calls."""

    @property
    def can_print(self) -> bool:
        return self._parts.printing is not None

    def issue_and_print(self, kind: CertificateKind, period: Period | None = None) -> CertificatePrinted:
        """Ask the centre for the certificate and print it. Blocking. CertificateRefused when the centre
        will not issue it for this citizen, Unavailable when it cannot be reached or there is no printer."""
        printing = self._parts.printing
        if printing is None:
            raise Unavailable("no printer")
        token = self._citizen.signed_in_citizen().session_token
        try:
            if period is not None:
                period = self._within_account(token, period)
            issued = self._central.issue_certificate(
                token,
                kind,
                period.period_from if period else None,
                period.period_to if period else None,
            )
        except CentralError as exc:
            if exc.code in _REFUSALS:
                raise CertificateRefused(exc.code, _REFUSALS[exc.code]) from exc
            raise Unavailable(str(exc)) from exc
        except CentralUnavailable as exc:
            raise Unavailable(str(exc)) from exc
        receipt = _receipt(issued, printing.now(), printing.branding())
        report = printing.print_receipt(receipt, f"{kind} certificate")
        if report.printed:
            return CertificatePrinted(kind, issued.code, True, report.message)
        return CertificatePrinted(
            kind,
            issued.code,
            False,
            N_("The certificate could not be printed. Please try again, or ask at the counter."),
        )

    def _within_account(self, token: str, period: Period) -> Period:
        """The periods are offered to every citizen, but the centre issues a statement only for months of
        the account's life (bad_request otherwise, which the citizen would be told is an outage): for an
        account opened within the period, the statement starts at its opening month."""
        opened = f"{self._central.account(token).opened_on:%Y-%m}"
        if opened > period.period_to:
            raise CertificateRefused("opened_after_period", OPENED_AFTER_PERIOD)
        return replace(period, period_from=max(period.period_from, opened))


def _receipt(issued: IssuedCertificate, printed_at: datetime, branding: ReceiptBranding) -> Receipt:
    from kiosk.receipts import templates
    from kiosk.receipts.data import (
        DepositCertificateData,
        DepositRecord,
        Holder,
        LoanSettledCertificateData,
        StatementCertificateData,
    )

    facts = issued.facts
    holder = Holder(name=facts.name, id_number=facts.id_number, account_number=facts.account_no)
    code, issued_at = issued.code, issued.issued_at
    verify_url, verify_form_url = issued.verify_url, issued.verify_form_url
    if isinstance(facts, DepositFacts):
        return templates.deposit_certificate(
            DepositCertificateData(
                unit_name=facts.unit_name,
                opened_on=facts.opened_on,
                status=_STATUS_ON_PAPER[facts.status],
                base_fen=facts.deposit_base_fen,
                unit_rate_bp=facts.unit_rate_bp,
                personal_rate_bp=facts.personal_rate_bp,
                monthly_fen=facts.monthly_deposit_fen,
                balance_fen=facts.balance_fen,
                loan_record=_LOAN_RECORD_ON_PAPER[facts.loan_record],
                period_from=facts.period_from,
                period_to=facts.period_to,
                holder=holder,
                code=code,
                issued_at=issued_at,
                verify_url=verify_url,
                verify_form_url=verify_form_url,
                printed_at=printed_at,
            ),
            branding,
        )
    if isinstance(facts, LoanSettledFacts):
        return templates.loan_settled_certificate(
            LoanSettledCertificateData(
                contract_no=facts.contract_no,
                principal_fen=facts.principal_fen,
                annual_rate_bp=facts.annual_rate_bp,
                term_months=facts.term_months,
                start_date=facts.start_date,
                settled_on=facts.settled_on,
                holder=holder,
                code=code,
                issued_at=issued_at,
                verify_url=verify_url,
                verify_form_url=verify_form_url,
                printed_at=printed_at,
            ),
            branding,
        )
    assert isinstance(facts, StatementFacts)
    return templates.statement_certificate(
        StatementCertificateData(
            period_from=facts.period_from,
            period_to=facts.period_to,
            opening_balance_fen=facts.opening_balance_fen,
            closing_balance_fen=facts.closing_balance_fen,
            records=tuple(
                DepositRecord(
                    on=line.date,
                    kind=_RECORD_KIND[line.type],
                    amount_fen=line.amount_fen,
                    balance_fen=line.balance_fen,
                )
                for line in facts.records
            ),
            holder=holder,
            code=code,
            issued_at=issued_at,
            verify_url=verify_url,
            verify_form_url=verify_form_url,
            printed_at=printed_at,
        ),
        branding,
    )


_RECORD_KIND = {
    "remit": "汇缴",
    "back_pay": "补缴",
    "withdrawal": "提取",
    "interest": "结息",
    "transfer_in": "转入",
    "transfer_out": "转出",
}
