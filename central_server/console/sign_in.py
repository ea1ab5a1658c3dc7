"""Signing in and out of the console, the language switch, and the operator log page."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from central_server.console import accounts
from central_server.console.accounts import SignedIn, SignInRefused
from central_server.console.i18n import LANGUAGES
from central_server.console.models import OperatorAuditEntry
from central_server.console.web import (
    LANGUAGE_COOKIE,
    SECURITY_HEADERS,
    Administrator,
    CsrfChecked,
    Viewer,
    end_session,
    render,
    safe_next,
    settings,
    start_session,
)
from central_server.context import Context

router = APIRouter(prefix="/console", include_in_schema=False)
# The sign-in form's CSRF token lives in a short cookie of its own (there is no session yet).
_LOGIN_CSRF_COOKIE = "hpf_console_login"
AUDIT_LISTED = 200


@router.get("", include_in_schema=False)
def console_root() -> RedirectResponse:
    return RedirectResponse("/console/fleet", status_code=303, headers=SECURITY_HEADERS)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query()] = None) -> HTMLResponse:
    return _login_page(request, safe_next(next), message="", status=200)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    context: Context,
    username: Annotated[str, Form(max_length=40)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    expected = request.cookies.get(_LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(
            request, safe_next(next), message="The form has expired. Please try again.", status=403
        )
    username = username.strip().lower()
    now = context.unix_now()
    with context.db.transaction() as session:
        result = accounts.sign_in(session, username, password, now)
        outcome = "ok" if isinstance(result, SignedIn) else result.reason
        accounts.record(
            session,
            username if accounts.USERNAME.match(username) else "?",
            "sign_in",
            at=now,
            detail=outcome,
            address=request.client.host if request.client else "",
        )
    if isinstance(result, SignInRefused):
        if result.reason == "locked":
            minutes = max(1, (result.wait_s + 59) // 60)
            return _login_page(
                request,
                safe_next(next),
                message="Too many wrong passwords. Try again in {minutes} min.",
                status=429,
                minutes=minutes,
            )
        return _login_page(
            request, safe_next(next), message="The username or password is not right.", status=401
        )
    response = RedirectResponse(safe_next(next), status_code=303, headers=SECURITY_HEADERS)
    start_session(request, response, result)
    response.delete_cookie(_LOGIN_CSRF_COOKIE, path="/console/login")
    return response


@router.post("/logout")
def logout(page: Viewer, _csrf: CsrfChecked) -> RedirectResponse:
    page.audit("sign_out")
    response = RedirectResponse("/console/login", status_code=303, headers=SECURITY_HEADERS)
    end_session(response)
    return response


@router.get("/language/{language}")
def choose_language(language: str, next: Annotated[str | None, Query()] = None) -> RedirectResponse:
    response = RedirectResponse(safe_next(next), status_code=303, headers=SECURITY_HEADERS)
    if language in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="strict", path="/console"
        )
    return response


@router.get("/audit", response_class=HTMLResponse)
def operator_log(page: Administrator) -> HTMLResponse:
    with page.context.db.transaction() as session:
        entries = list(
            session.scalars(
                select(OperatorAuditEntry).order_by(OperatorAuditEntry.id.desc()).limit(AUDIT_LISTED)
            )
        )
        rows = [(e.at, e.username, e.action, e.target, e.detail, e.address) for e in entries]
    return page.render("audit.html", rows=rows)


def _login_page(
    request: Request, target: str, *, message: str, status: int, **values: object
) -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", status=status, next=target, csrf=token, message=message, **values
    )
    response.set_cookie(
        _LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings(request).secure_cookies,
        path="/console/login",
    )
    return response
