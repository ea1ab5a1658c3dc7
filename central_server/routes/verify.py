"""The public verification page for printed certificates: `/verify/{code}` (the QR code) and
`/verify?code=…` (a typed-in code). Server-rendered HTML for people, never an envelope; outside `/v1`, with
no terminal headers. Lookups are limited per client address so codes cannot be walked through."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from central_server import certificates
from central_server.certificate_rules import CODE_LENGTH, grouped, parse_code
from central_server.context import AppContext, Context
from central_server.dates import CENTRE_TZ
from central_server.limits import Limits
from central_server.throttle import SlidingWindow

router = APIRouter(prefix="/verify", include_in_schema=False)


def lookups(limits: Limits) -> SlidingWindow:
    """Every look-up of a well-formed code counts against the client address, found or not."""
    return SlidingWindow("verify_lookup", limits.verify_lookups_per_address, limits.verify_window_s)


_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_environment = Environment(
    loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True
)
_CSS = (_TEMPLATES / "verify.css").read_text(encoding="utf-8")
# The stylesheet is inlined and allowed by its hash, so the policy can refuse every other source.
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # The page shows a citizen's (masked) facts: no shared cache keeps it.
    "Cache-Control": "no-store",
}


@router.get("", response_class=HTMLResponse)
def verify_form(
    request: Request, context: Context, code: Annotated[str | None, Query()] = None
) -> HTMLResponse:
    """The form to type a code in; with `?code=` the same answer as `/verify/{code}`."""
    if not code or not code.strip():
        return _page("form", 200)
    return _lookup(request, context, code)


@router.get("/{code:path}", response_class=HTMLResponse)
def verify_code(request: Request, context: Context, code: str) -> HTMLResponse:
    return _lookup(request, context, code)


def _lookup(request: Request, context: AppContext, text: str) -> HTMLResponse:
    code = parse_code(text)
    if code is None:
        return _page("malformed", 400)
    address = request.client.host if request.client else "unknown"
    now = context.unix_now()
    with context.db.transaction() as session:
        window = lookups(context.limits)
        retry_after = window.retry_after(session, address, now)
        if retry_after is None:
            window.record(session, address, now)
            certificate = certificates.find(session, code)
    if retry_after is not None:
        page = _page("rate_limited", 429, retry_after=retry_after)
        page.headers["Retry-After"] = str(retry_after)
        return page
    if certificate is None:
        return _page("unknown", 404, code=grouped(code))
    view = json.loads(certificate.masked_view)
    return _page(
        "genuine",
        200,
        code=grouped(code),
        kind=certificates.KIND_LABELS[certificate.kind],
        view=view,
        rows=[(*certificates.FACT_LABELS[key], value) for key, value in view["facts"]],
        issued_at=certificate.issued_at.astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M"),
        terminal=certificate.terminal_id,
    )


def _page(outcome: str, status: int, **values: Any) -> HTMLResponse:
    html = _environment.get_template("verify.html").render(
        outcome=outcome, css=Markup(_CSS), code_length=CODE_LENGTH, **values
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
