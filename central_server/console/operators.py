"""The console's operator accounts (administrators only): list them with their state and last sign-in,
add one, change a role or a password, disable, enable, end a lockout. The rules are `accounts.py`'s, which
the shell's `kiosk-central operator` uses too. A new role, a new password or a disable ends the operator's
sessions. An administrator may not disable or demote themselves, so the console always keeps one
administrator."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from central_server.console import accounts
from central_server.console.accounts import MAX_PASSWORD_LENGTH, AccountError, Role, SignedIn
from central_server.console.models import OperatorAccount, OperatorAuditEntry
from central_server.console.web import SECURITY_HEADERS, Administrator, CsrfChecked, Page, start_session

router = APIRouter(prefix="/console", include_in_schema=False)
# Form limits well above what is valid: a longer value still gets the page's own one-line message.
_NAME_FIELD_MAX = 200
_PASSWORD_FIELD_MAX = 4 * MAX_PASSWORD_LENGTH
_LISTING = "/console/operators"


@dataclass(frozen=True)
class Row:
    username: str
    role: str
    active: bool
    locked_until: int  # 0 unless locked now
    failures: int
    created_at: int
    last_sign_in: int | None


@router.get("/operators", response_class=HTMLResponse)
def operators(page: Administrator) -> HTMLResponse:
    return _list_page(page)


@router.post("/operators", response_class=HTMLResponse)
def add(
    page: Administrator,
    _csrf: CsrfChecked,
    username: Annotated[str, Form(max_length=_NAME_FIELD_MAX)] = "",
    role: Annotated[str, Form(max_length=_NAME_FIELD_MAX)] = "",
    password: Annotated[str, Form(max_length=_PASSWORD_FIELD_MAX)] = "",
    again: Annotated[str, Form(max_length=_PASSWORD_FIELD_MAX)] = "",
) -> Response:
    username = username.strip()
    try:
        chosen = Role.parse(role)
        _same(password, again)
        with page.context.db.transaction() as session:
            accounts.add(session, username, password, chosen, page.context.unix_now())
    except AccountError as refusal:
        return _list_page(page, refusal=refusal, typed=(username, role))
    page.audit("operator_add", target=username, detail=f"role {chosen.name.lower()}")
    return _to_listing()


@router.post("/operators/{username}/role", response_class=HTMLResponse)
def change_role(
    page: Administrator,
    _csrf: CsrfChecked,
    username: str,
    role: Annotated[str, Form(max_length=_NAME_FIELD_MAX)] = "",
) -> Response:
    def change(session: Session) -> str:
        chosen = Role.parse(role)
        if username == page.operator.username and chosen != page.operator.role:
            raise AccountError("You may not change your own role: ask another administrator.")
        before = accounts.find(session, username).role
        accounts.set_role(session, username, chosen)
        return f"{before} to {chosen.name.lower()}"

    return _act(page, username, "operator_role", change)


@router.post("/operators/{username}/password", response_class=HTMLResponse)
def change_password(
    page: Administrator,
    _csrf: CsrfChecked,
    username: str,
    password: Annotated[str, Form(max_length=_PASSWORD_FIELD_MAX)] = "",
    again: Annotated[str, Form(max_length=_PASSWORD_FIELD_MAX)] = "",
) -> Response:
    def change(session: Session) -> None:
        _same(password, again)
        # No detail in the log: never the password, nor anything derived from it.
        accounts.set_password(session, username, password)

    response = _act(page, username, "operator_password", change)
    if username == page.operator.username and response.status_code == 303:
        # The new password ended every session of theirs, this one too: the one who changed it stays in.
        with page.context.db.transaction() as session:
            epoch = accounts.find(session, username).session_epoch
        operator = page.operator
        start_session(page.request, response, SignedIn(operator.id, operator.username, operator.role, epoch))
    return response


@router.post("/operators/{username}/disable", response_class=HTMLResponse)
def disable(page: Administrator, _csrf: CsrfChecked, username: str) -> Response:
    def change(session: Session) -> None:
        if username == page.operator.username:
            raise AccountError("You may not disable yourself: ask another administrator.")
        accounts.disable(session, username)

    return _act(page, username, "operator_disable", change)


@router.post("/operators/{username}/enable", response_class=HTMLResponse)
def enable(page: Administrator, _csrf: CsrfChecked, username: str) -> Response:
    return _act(page, username, "operator_enable", lambda session: accounts.enable(session, username))


@router.post("/operators/{username}/unlock", response_class=HTMLResponse)
def unlock(page: Administrator, _csrf: CsrfChecked, username: str) -> Response:
    return _act(page, username, "operator_unlock", lambda session: accounts.unlock(session, username))


def _act(page: Page, username: str, action: str, change: Callable[[Session], str | None]) -> Response:
    """Run one change to an account (it may return the log's detail); a refusal changes nothing."""
    try:
        with page.context.db.transaction() as session:
            detail = change(session)
    except AccountError as refusal:
        return _list_page(page, refusal=refusal)
    page.audit(action, target=username, detail=detail or "")
    return _to_listing()


def _same(password: str, again: str) -> None:
    if password != again:
        raise AccountError("The two passwords differ.")


def _to_listing() -> RedirectResponse:
    return RedirectResponse(_LISTING, status_code=303, headers=SECURITY_HEADERS)


def _rows(session: Session, now: int) -> list[Row]:
    last: dict[str, int] = {
        username: at
        for username, at in session.execute(
            select(OperatorAuditEntry.username, func.max(OperatorAuditEntry.at))
            .where(OperatorAuditEntry.action == "sign_in", OperatorAuditEntry.detail == "ok")
            .group_by(OperatorAuditEntry.username)
        )
    }
    return [
        Row(
            account.username,
            account.role,
            account.active,
            account.locked_until if account.locked_until > now else 0,
            account.failures,
            account.created_at,
            last.get(account.username),
        )
        for account in session.scalars(select(OperatorAccount).order_by(OperatorAccount.username))
    ]


def _list_page(
    page: Page, *, refusal: AccountError | None = None, typed: tuple[str, str] = ("", "viewer")
) -> HTMLResponse:
    with page.context.db.transaction() as session:
        rows = _rows(session, page.context.unix_now())
    return page.render(
        "operators_list.html",
        status=400 if refusal else 200,
        rows=rows,
        roles=[role.name.lower() for role in Role],
        # A refusal's sentence is translated before its values (a username, a number) go in.
        message=page.t(refusal.text).format(**refusal.values) if refusal else "",
        typed=typed,
        min_password=accounts.MIN_PASSWORD_LENGTH,
        max_password=MAX_PASSWORD_LENGTH,
    )
