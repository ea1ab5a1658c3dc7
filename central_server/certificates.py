"""Issuing certificates: the facts of each kind, a unique verification code, and the record the public
verification page shows (the masked view only: the centre keeps no second copy of the full facts)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Callable
from typing import Any, TypedDict

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server import certificate_rules
from central_server.certificate_schemas import (
    CertificateKind,
    DepositFacts,
    LoanRecord,
    LoanSettledFacts,
    StatementFacts,
    StatementRecord,
)
from central_server.dates import centre_today, month_day, month_index, month_label
from central_server.loan_history import SettledLoan
from central_server.models import Base, Citizen, DepositRecord, UtcDateTime
from kiosk.masking import mask_id_number, mask_name

# A fresh code colliding with a stored one has odds of about issued / 2^80; the retries only spare a
# failed request in a case no one will see, and make the unique constraint the one guarantee.
_CODE_ATTEMPTS = 3


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)  # stored form, no hyphens
    kind: Mapped[str] = mapped_column(String(16))
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    terminal_id: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    # JSON of MaskedView.as_json(): what the verification page shows, masked when issued.
    masked_view: Mapped[str] = mapped_column(Text)


class Refusal(Exception):
    """The citizen cannot have this certificate; `reason` is `no_settled_loan` or `account_closed`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


Facts = DepositFacts | LoanSettledFacts | StatementFacts


class _HolderFields(TypedDict):
    name: str
    id_number: str
    account_no: str


def build_facts(
    session: Session,
    citizen: Citizen,
    kind: CertificateKind,
    period: tuple[str, str] | None,
    now: dt.datetime,
) -> Facts:
    """The facts of a certificate of `kind` for `citizen` today. Raises Refusal, or PeriodError for a
    statement period the account cannot have."""
    account = citizen.account
    holder = _HolderFields(name=citizen.name, id_number=citizen.id_number, account_no=account.account_no)
    if kind == "deposit":
        if account.status == "closed":
            raise Refusal("account_closed", "a deposit certificate needs a normal or sealed account")
        return DepositFacts(
            **holder,
            unit_name=account.unit.name,
            opened_on=account.opened_on,
            status=account.status,
            deposit_base_fen=account.deposit_base_fen,
            unit_rate_bp=account.unit_rate_bp,
            personal_rate_bp=account.personal_rate_bp,
            monthly_deposit_fen=account.monthly_deposit_fen,
            balance_fen=account.balance_fen,
            loan_record=_loan_record(session, citizen),
            period_from=month_label(month_index(account.opened_on)),
            period_to=account.paid_up_to,
        )
    if kind == "loan_settled":
        settled = _latest_settled_loan(session, citizen.id)
        if settled is None:
            raise Refusal("no_settled_loan", "the citizen has no settled loan")
        return LoanSettledFacts(
            **holder,
            contract_no=settled.contract_no,
            principal_fen=settled.principal_fen,
            annual_rate_bp=settled.annual_rate_bp,
            term_months=settled.term_months,
            start_date=settled.start_date,
            settled_on=settled.settled_on,
        )
    if period is None:
        raise ValueError("a statement needs a period")
    first, last = certificate_rules.statement_period(
        period[0], period[1], month_index(account.opened_on), _last_month(session, citizen, now)
    )
    return _statement(session, account.id, holder, first, last)


def _loan_record(session: Session, citizen: Citizen) -> LoanRecord:
    if citizen.loan is not None:
        return "repaying"
    return "settled" if _latest_settled_loan(session, citizen.id) else "none"


def _latest_settled_loan(session: Session, citizen_id: int) -> SettledLoan | None:
    return session.scalars(
        select(SettledLoan)
        .where(SettledLoan.citizen_id == citizen_id)
        .order_by(SettledLoan.settled_on.desc(), SettledLoan.id.desc())
        .limit(1)
    ).first()


def _last_month(session: Session, citizen: Citizen, now: dt.datetime) -> int:
    """This month for a live account; the month of the last record for a closed one (its closing)."""
    if citizen.account.status != "closed":
        return month_index(centre_today(now))
    last_day = session.scalar(
        select(DepositRecord.posted_on)
        .where(DepositRecord.account_id == citizen.account.id)
        .order_by(DepositRecord.posted_on.desc())
        .limit(1)
    )
    return month_index(last_day or citizen.account.opened_on)


def _statement(
    session: Session, account_id: int, holder: _HolderFields, first: int, last: int
) -> StatementFacts:
    start, end = month_day(first, 1), month_day(last, 31)
    in_period = (DepositRecord.account_id == account_id) & DepositRecord.posted_on.between(start, end)
    rows = session.scalars(
        select(DepositRecord).where(in_period).order_by(DepositRecord.posted_on, DepositRecord.id)
    ).all()
    before = session.scalar(
        select(DepositRecord.balance_fen)
        .where(DepositRecord.account_id == account_id, DepositRecord.posted_on < start)
        .order_by(DepositRecord.posted_on.desc(), DepositRecord.id.desc())
        .limit(1)
    )
    opening = before or 0
    return StatementFacts(
        **holder,
        period_from=month_label(first),
        period_to=month_label(last),
        opening_balance_fen=opening,
        closing_balance_fen=rows[-1].balance_fen if rows else opening,
        records=[
            StatementRecord(
                date=row.posted_on, type=row.kind, amount_fen=row.amount_fen, balance_fen=row.balance_fen
            )
            for row in rows
        ],
    )


def masked_view(facts: Facts) -> dict[str, Any]:
    """What the public page shows: masked holder, the figures as printed, and statement lines."""
    view: dict[str, Any] = {
        "name": mask_name(facts.name),
        "id_number": mask_id_number(facts.id_number),
        "account_no": mask_id_number(facts.account_no),
    }
    if isinstance(facts, DepositFacts):
        view["facts"] = [
            ["unit_name", facts.unit_name],
            ["opened_on", facts.opened_on.isoformat()],
            ["status", STATUS_LABELS[facts.status]],
            ["deposit_base", yuan(facts.deposit_base_fen)],
            ["rates", f"{percent(facts.unit_rate_bp)} / {percent(facts.personal_rate_bp)}"],
            ["monthly_deposit", yuan(facts.monthly_deposit_fen)],
            ["balance", yuan(facts.balance_fen)],
            ["loan_record", LOAN_RECORD_LABELS[facts.loan_record]],
            ["period", f"{facts.period_from} — {facts.period_to}"],
        ]
    elif isinstance(facts, LoanSettledFacts):
        view["facts"] = [
            ["contract_no", facts.contract_no],
            ["principal", yuan(facts.principal_fen)],
            ["annual_rate", percent(facts.annual_rate_bp)],
            ["term", f"{facts.term_months}"],
            ["start_date", facts.start_date.isoformat()],
            ["settled_on", facts.settled_on.isoformat()],
        ]
    else:
        view["facts"] = [
            ["period", f"{facts.period_from} — {facts.period_to}"],
            ["opening_balance", yuan(facts.opening_balance_fen)],
            ["closing_balance", yuan(facts.closing_balance_fen)],
        ]
        view["records"] = [
            [row.date.isoformat(), RECORD_LABELS[row.type], yuan(row.amount_fen), yuan(row.balance_fen)]
            for row in facts.records
        ]
    return view


def issue(
    session: Session,
    facts: Facts,
    *,
    citizen_id: int,
    terminal_id: str,
    now: dt.datetime,
    randbelow: Callable[[int], int] = secrets.randbelow,
) -> str:
    """Records the certificate under a fresh code and returns the code (stored form)."""
    view = json.dumps(masked_view(facts), ensure_ascii=False)
    for _ in range(_CODE_ATTEMPTS):
        code = certificate_rules.new_code(randbelow)
        try:
            with session.begin_nested():
                session.add(
                    Certificate(
                        code=code,
                        kind=facts.kind,
                        citizen_id=citizen_id,
                        terminal_id=terminal_id,
                        issued_at=now,
                        masked_view=view,
                    )
                )
        except IntegrityError:
            continue
        return code
    raise RuntimeError(f"no unused certificate code after {_CODE_ATTEMPTS} attempts: check the random source")


def find(session: Session, code: str) -> Certificate | None:
    return session.scalars(select(Certificate).where(Certificate.code == code)).first()


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{part:02d}"


def percent(bp: int) -> str:
    whole, part = divmod(bp, 100)
    return f"{whole}%" if not part else f"{whole}.{part:02d}".rstrip("0") + "%"


STATUS_LABELS = {"normal": "正常 normal", "sealed": "封存 sealed", "closed": "销户 closed"}
LOAN_RECORD_LABELS = {
    "none": "无贷款记录 no loan",
    "repaying": "有贷款，未结清 loan being repaid",
    "settled": "贷款已结清 loan settled",
}
RECORD_LABELS = {
    "remit": "汇缴 deposit",
    "back_pay": "补缴 back pay",
    "withdrawal": "提取 withdrawal",
    "interest": "结息 interest",
    "transfer_in": "转入 transfer in",
    "transfer_out": "转出 transfer out",
}
KIND_LABELS = {
    "deposit": ("个人缴存证明", "Certificate of deposits"),
    "loan_settled": ("贷款结清证明", "Certificate of loan settlement"),
    "statement": ("缴存明细", "Statement of deposit records"),
}
FACT_LABELS = {
    "unit_name": ("缴存单位", "Employer"),
    "opened_on": ("开户日期", "Account opened"),
    "status": ("账户状态", "Account status"),
    "deposit_base": ("缴存基数", "Deposit base"),
    "rates": ("单位/个人缴存比例", "Employer / personal rate"),
    "monthly_deposit": ("月缴存额", "Monthly deposit"),
    "balance": ("账户余额", "Balance"),
    "loan_record": ("贷款记录", "Loan record"),
    "period": ("证明期间", "Period"),
    "contract_no": ("借款合同号", "Loan contract"),
    "principal": ("贷款金额", "Loan amount"),
    "annual_rate": ("年利率", "Annual rate"),
    "term": ("贷款期限（月）", "Term (months)"),
    "start_date": ("放款日期", "Loan start"),
    "settled_on": ("结清日期", "Settled on"),
    "opening_balance": ("期初余额", "Opening balance"),
    "closing_balance": ("期末余额", "Closing balance"),
}
