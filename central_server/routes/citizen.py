from __future__ import annotations

from datetime import MINYEAR, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from central_server import sign_in_guard, visit_keys
from central_server.alerts import watch as alert_watch
from central_server.auth import CITIZEN_SESSION_SECONDS, CitizenSessionRef, TerminalId
from central_server.context import Context
from central_server.dates import centre_today, month_day, month_index, next_centre_midnight
from central_server.envelope import CITIZEN_ERRORS, ApiError, Code, Envelope, error_responses, ok
from central_server.limits import Limits
from central_server.models import Citizen, CitizenSession, DepositRecord
from central_server.schemas import (
    MONTH_PATTERN,
    AccountData,
    DepositItem,
    DepositPage,
    LoanData,
    PlanRow,
    SessionData,
    SessionRequest,
)
from central_server.security import new_token, token_digest, verify_password

router = APIRouter(prefix="/v1/citizen", tags=["citizen"])

_DEPOSIT_KINDS = ("remit", "back_pay")


@router.post(
    "/session",
    responses=error_responses(
        Code.BAD_CHANNEL,
        Code.BAD_ENVELOPE,
        Code.BAD_REQUEST,
        Code.TERMINAL_UNAUTHORISED,
        Code.SIGN_IN_FAILED,
        Code.PASSWORD_LOCKED,
        Code.RATE_LIMITED,
    ),
)
def open_session(body: SessionRequest, context: Context, terminal_id: TerminalId) -> Envelope[SessionData]:
    """ID number and name from the card chip plus the query password. An unknown ID number, a name that
    does not match, and a wrong password are one answer, sign_in_failed, and count alike: three in one
    centre day lock the pair until the next centre midnight, the third already answering password_locked.
    A terminal with too many failed sign-ins is answered rate_limited for a while."""
    now = context.clock()
    with context.db.transaction() as session:
        retry_after = sign_in_guard.terminal_retry_after(
            session, context.limits, terminal_id, int(now.timestamp())
        )
        if retry_after is not None:
            outcome: ApiError | SessionData = ApiError(
                Code.RATE_LIMITED,
                "too many failed sign-ins at this terminal; try again later",
                {"retry_after": retry_after},
            )
        else:
            outcome = _sign_in(session, context.limits, body, terminal_id, now)
            alert_watch.sign_in_attempt(
                session,
                id_number=body.id_number,
                name=body.name,
                terminal_id=terminal_id,
                hall=context.kiosk(session, terminal_id).group,
                succeeded=isinstance(outcome, SessionData),
                now=now,
            )
    # Raised only after the commit, so a failed attempt is counted.
    if isinstance(outcome, ApiError):
        raise outcome
    return ok(context.sequence, outcome)


def _sign_in(
    session: Session, limits: Limits, body: SessionRequest, terminal_id: str, now: datetime
) -> ApiError | SessionData:
    unix_now = int(now.timestamp())
    counter = sign_in_guard.counter_for(
        session, sign_in_guard.pair_digest(body.id_number, body.name), centre_today(now)
    )
    if counter.failures >= sign_in_guard.MAX_WRONG_PASSWORDS:
        return _locked(now)
    citizen, stored_hash = sign_in_guard.expected_hash(session, body.id_number, body.name)
    # The password is checked even when no account has the pair, so both answers take as long.
    if verify_password(body.password, stored_hash) and citizen is not None:
        counter.failures = 0
        token = new_token()
        session.execute(delete(CitizenSession).where(CitizenSession.expires_at <= unix_now))
        session.add(
            CitizenSession(
                token_digest=token_digest(token),
                citizen_id=citizen.id,
                terminal_id=terminal_id,
                expires_at=unix_now + CITIZEN_SESSION_SECONDS,
            )
        )
        ticket, ref = visit_keys.issue(session, citizen.id, terminal_id, unix_now)
        return SessionData(
            session_token=token, expires_in=CITIZEN_SESSION_SECONDS, visit_ticket=ticket, citizen_ref=ref
        )
    sign_in_guard.record_failure(session, limits, counter, terminal_id, unix_now)
    attempts_left = sign_in_guard.MAX_WRONG_PASSWORDS - counter.failures
    if not attempts_left:
        return _locked(now)
    return ApiError(
        Code.SIGN_IN_FAILED,
        "ID number, name and password do not match an account",
        {"attempts_left": attempts_left},
    )


def _locked(now: datetime) -> ApiError:
    locked_until = next_centre_midnight(now).isoformat()
    return ApiError(Code.PASSWORD_LOCKED, "query password locked for today", {"locked_until": locked_until})


@router.delete("/session", responses=error_responses(*CITIZEN_ERRORS))
def close_session(context: Context, citizen_ref: CitizenSessionRef) -> Envelope[None]:
    """The kiosk calls this when the citizen leaves."""
    with context.db.transaction() as session:
        session.execute(delete(CitizenSession).where(CitizenSession.token_digest == citizen_ref.token_digest))
    return ok(context.sequence, None, "session closed")


@router.get("/account", responses=error_responses(*CITIZEN_ERRORS))
def get_account(context: Context, citizen_ref: CitizenSessionRef) -> Envelope[AccountData]:
    year_start = date(centre_today(context.clock()).year, 1, 1)
    with context.db.transaction() as session:
        citizen = session.get_one(Citizen, citizen_ref.citizen_id)
        account = citizen.account
        this_year = (DepositRecord.account_id == account.id) & (DepositRecord.posted_on >= year_start)
        deposits, withdrawals = session.execute(
            select(
                func.coalesce(
                    func.sum(
                        case((DepositRecord.kind.in_(_DEPOSIT_KINDS), DepositRecord.amount_fen), else_=0)
                    ),
                    0,
                ),
                func.coalesce(
                    func.sum(case((DepositRecord.kind == "withdrawal", -DepositRecord.amount_fen), else_=0)),
                    0,
                ),
            ).where(this_year)
        ).one()
        last_year_balance = session.scalar(
            select(DepositRecord.balance_fen)
            .where(DepositRecord.account_id == account.id, DepositRecord.posted_on < year_start)
            .order_by(DepositRecord.posted_on.desc(), DepositRecord.id.desc())
            .limit(1)
        )
        data = AccountData(
            account_no=account.account_no,
            name=citizen.name,
            id_number=citizen.id_number,
            status=account.status,
            unit_account_no=account.unit.account_no,
            unit_name=account.unit.name,
            office=account.unit.office,
            deposit_base_fen=account.deposit_base_fen,
            unit_rate_bp=account.unit_rate_bp,
            personal_rate_bp=account.personal_rate_bp,
            monthly_deposit_fen=account.monthly_deposit_fen,
            balance_fen=account.balance_fen,
            # An account opened this year has no earlier record, and so no balance at the end of last year.
            last_year_balance_fen=last_year_balance or 0,
            # int(): some databases sum integers into decimals.
            year_deposits_fen=int(deposits),
            year_withdrawals_fen=int(withdrawals),
            opened_on=account.opened_on,
            paid_up_to=account.paid_up_to,
            has_loan=citizen.loan is not None,
        )
    return ok(context.sequence, data)


@router.get("/deposits", responses=error_responses(Code.BAD_REQUEST, *CITIZEN_ERRORS))
def list_deposits(
    context: Context,
    citizen_ref: CitizenSessionRef,
    from_: Annotated[
        str | None, Query(alias="from", pattern=MONTH_PATTERN, description="first month, YYYY-MM")
    ] = None,
    to: Annotated[str | None, Query(pattern=MONTH_PATTERN, description="last month, YYYY-MM")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Envelope[DepositPage]:
    """Deposit records dated within [from, to], newest first."""
    first = _first_day("from", from_) if from_ else None
    last = _last_day("to", to) if to else None
    if first and last and first > last:
        raise ApiError(Code.BAD_REQUEST, "query parameters from and to: from is after to")
    with context.db.transaction() as session:
        account_id = session.get_one(Citizen, citizen_ref.citizen_id).account.id
        conditions = [DepositRecord.account_id == account_id]
        if first:
            conditions.append(DepositRecord.posted_on >= first)
        if last:
            conditions.append(DepositRecord.posted_on <= last)
        total = session.scalar(select(func.count()).select_from(DepositRecord).where(*conditions)) or 0
        rows = session.scalars(
            select(DepositRecord)
            .where(*conditions)
            .order_by(DepositRecord.posted_on.desc(), DepositRecord.id.desc())
            .offset((page - 1) * page_size)
            .limit(page_size)
        ).all()
        items = [
            DepositItem(
                date=row.posted_on,
                type=row.kind,
                amount_fen=row.amount_fen,
                balance_fen=row.balance_fen,
                period=row.period,
            )
            for row in rows
        ]
    return ok(context.sequence, DepositPage(items=items, page=page, page_size=page_size, total=total))


def _first_day(parameter: str, month: str) -> date:
    """The pattern has checked the shape; dates start in year 1, so 0000-01 is no month."""
    year, month_number = (int(part) for part in month.split("-"))
    if year < MINYEAR:
        raise ApiError(Code.BAD_REQUEST, f"query parameter {parameter}: months start at {MINYEAR:04d}-01")
    return date(year, month_number, 1)


def _last_day(parameter: str, month: str) -> date:
    # The month's own last day, not the next month's first: after 9999-12 there is no date.
    return month_day(month_index(_first_day(parameter, month)), 31)


@router.get("/loan", responses=error_responses(Code.NOT_FOUND, *CITIZEN_ERRORS))
def get_loan(context: Context, citizen_ref: CitizenSessionRef) -> Envelope[LoanData]:
    today = centre_today(context.clock())
    with context.db.transaction() as session:
        contract = session.get_one(Citizen, citizen_ref.citizen_id).loan
        if contract is None:
            raise ApiError(Code.NOT_FOUND, "the citizen has no loan")
        plan = contract.instalments
        unpaid = [row for row in plan if not row.paid]
        data = LoanData(
            contract_no=contract.contract_no,
            principal_fen=contract.principal_fen,
            balance_fen=contract.principal_fen - sum(row.principal_fen for row in plan if row.paid),
            annual_rate_bp=contract.annual_rate_bp,
            term_months=contract.term_months,
            monthly_payment_fen=contract.monthly_payment_fen,
            next_due_date=min((row.due_date for row in unpaid if row.due_date >= today), default=None),
            overdue_fen=sum(row.principal_fen + row.interest_fen for row in unpaid if row.due_date < today),
            start_date=contract.start_date,
            plan=[
                PlanRow(
                    period=row.period,
                    due_date=row.due_date,
                    principal_fen=row.principal_fen,
                    interest_fen=row.interest_fen,
                    remaining_fen=row.remaining_fen,
                    paid=row.paid,
                )
                for row in plan
            ],
        )
    return ok(context.sequence, data)
