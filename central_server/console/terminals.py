"""The kiosks the centre knows (administrators only): register one (its secret is shown once, on the page
that answers the registration, and kept nowhere an operator can read it again) and revoke one (refused at
once, its tokens with it). The record is `central_server/terminal_registry.py`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from central_server.console.web import SECURITY_HEADERS, Administrator, CsrfChecked, Page
from central_server.terminal_registry import REASON_MAX, RegistryRefused

router = APIRouter(prefix="/console", include_in_schema=False)
# Form limits well above what is valid: a longer value still gets the page's own one-line message.
_FIELD_MAX = 200
_REASON_FIELD_MAX = 4 * REASON_MAX
# Who registered a kiosk, when it was not an operator (`TerminalRow.registered_by`).
SOURCES = {"file": "Terminals file", "demo": "Demo"}


@router.get("/terminals", response_class=HTMLResponse)
def terminals(page: Administrator) -> HTMLResponse:
    return _list_page(page)


@router.post("/terminals", response_class=HTMLResponse)
def register(
    page: Administrator,
    _csrf: CsrfChecked,
    terminal_id: Annotated[str, Form(max_length=_FIELD_MAX)] = "",
    group: Annotated[str, Form(max_length=_FIELD_MAX)] = "",
) -> HTMLResponse:
    terminal_id, group = terminal_id.strip(), group.strip()
    try:
        secret = page.context.terminals.register(
            terminal_id, group, by=page.operator.username, now=page.context.unix_now()
        )
    except RegistryRefused as refusal:
        return _list_page(page, message=str(refusal), status=400, typed=(terminal_id, group))
    # The secret goes to this page only: not to the operator log, nor to any log line.
    page.audit("terminal_register", target=terminal_id, detail=f"group {group}")
    return page.render("terminals_secret.html", terminal_id=terminal_id, group=group, secret=secret)


@router.post("/terminals/{terminal_id}/revoke", response_class=HTMLResponse)
def revoke(
    page: Administrator,
    _csrf: CsrfChecked,
    terminal_id: str,
    reason: Annotated[str, Form(max_length=_REASON_FIELD_MAX)] = "",
) -> Response:
    reason = reason.strip()
    try:
        page.context.terminals.revoke(
            terminal_id, by=page.operator.username, reason=reason, now=page.context.unix_now()
        )
    except RegistryRefused as refusal:
        return _list_page(page, message=str(refusal), status=400)
    page.audit("terminal_revoke", target=terminal_id, detail=reason)
    return RedirectResponse("/console/terminals", status_code=303, headers=SECURITY_HEADERS)


def _list_page(
    page: Page, *, message: str = "", status: int = 200, typed: tuple[str, str] = ("", "")
) -> HTMLResponse:
    entries = page.context.terminals.entries()
    return page.render(
        "terminals_list.html",
        status=status,
        entries=entries,
        groups=sorted({entry.group for entry in entries if entry.state == "active"}),
        message=message,
        typed=typed,
        reason_max=REASON_MAX,
        sources=SOURCES,
    )
