"""What every console page shares: the signed session cookie, the role a page needs, the CSRF check of every
form, the templates with the operator's language, the security headers, and the audit log call.

The session is a cookie signed with the console's secret (itsdangerous): the operator's id, their
account's session epoch (a new password or a disable ends every session at once) and the session's CSRF
token. It is `HttpOnly` and `SameSite=Strict`, and `Secure` unless the console is served over plain HTTP on
loopback (the demo). Every POST carries the CSRF token, as a form field or, from htmx, as the
`X-CSRF-Token` header that the base template sets for every htmx request.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape

from central_server.console import accounts
from central_server.console.accounts import Role, SignedIn
from central_server.console.i18n import LANGUAGES, translate
from central_server.context import AppContext, Context
from central_server.dates import CENTRE_TZ

SESSION_COOKIE = "hpf_console"
LANGUAGE_COOKIE = "hpf_console_lang"
SESSION_MAX_AGE_S = 8 * 3600  # a working day
_TEMPLATES = Path(__file__).resolve().parent / "templates"
_environment = Environment(
    loader=FileSystemLoader(_TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
# Scripts and styles only from the console's own files: an injected <script> or style attribute does nothing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class ConsoleSettings:
    secret: bytes
    secure_cookies: bool  # False only for plain HTTP (the demo on loopback)


class LoginRequired(Exception):
    """No valid session: a page goes to the sign-in form, an htmx request is told to."""


class NotAllowed(Exception):
    def __init__(self, operator: SignedIn, needed: Role) -> None:
        super().__init__(f"{operator.username} ({operator.role.name.lower()}) needs {needed.name.lower()}")
        self.operator = operator
        self.needed = needed


class BadCsrf(Exception):
    """A form without this session's CSRF token: refused, nothing done."""


@dataclass(frozen=True)
class Page:
    """What a route needs to answer: the request, the centre, the operator signed in, their language."""

    request: Request
    context: AppContext
    operator: SignedIn
    language: str
    csrf: str

    def t(self, text: str) -> str:
        return translate(text, self.language)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return render(self.request, template, status=status, operator=self.operator, csrf=self.csrf, **values)

    def audit(self, action: str, *, target: str = "", detail: str = "") -> None:
        """Log an operator action, in a transaction of its own: call it once the action has been done (or,
        for a look at personal data, before the page that shows it is sent)."""
        with self.context.db.transaction() as session:
            accounts.record(
                session,
                self.operator.username,
                action,
                at=self.context.unix_now(),
                target=target,
                detail=detail,
                address=_address(self.request),
            )

    def now(self) -> dt.datetime:
        return self.context.clock()


def settings(request: Request) -> ConsoleSettings:
    value: ConsoleSettings = request.app.state.console
    return value


def language_of(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "zh_CN")
    return chosen if chosen in LANGUAGES else "zh_CN"


def _serializer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings(request).secret, salt="console-session")


def read_session(request: Request) -> dict[str, Any] | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        data = _serializer(request).loads(cookie, max_age=SESSION_MAX_AGE_S)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def start_session(request: Request, response: Response, operator: SignedIn) -> None:
    token = _serializer(request).dumps(
        {"id": operator.id, "e": operator.epoch, "csrf": secrets.token_urlsafe(24)}
    )
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=settings(request).secure_cookies,
        path="/console",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/console")


def requires(role: Role) -> Any:
    """A dependency: the signed-in operator's Page when their role is at least `role`."""

    def page(request: Request, context: Context) -> Page:
        data = read_session(request)
        operator = None
        if data is not None:
            with context.db.transaction() as session:
                operator = accounts.current(session, int(data.get("id", 0)), int(data.get("e", -1)))
        if operator is None or data is None:
            raise LoginRequired()
        if operator.role < role:
            raise NotAllowed(operator, role)
        return Page(request, context, operator, language_of(request), str(data.get("csrf", "")))

    return Depends(page)


async def _csrf_checked(request: Request) -> None:
    data = read_session(request) or {}
    expected = str(data.get("csrf", ""))
    given = request.headers.get("X-CSRF-Token")
    if given is None:
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else ""
    if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
        raise BadCsrf()


CsrfChecked = Annotated[None, Depends(_csrf_checked)]
Viewer = Annotated[Page, requires(Role.VIEWER)]
OperatorPage = Annotated[Page, requires(Role.OPERATOR)]
Administrator = Annotated[Page, requires(Role.ADMINISTRATOR)]


def render(request: Request, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    language = language_of(request)
    html = _environment.get_template(template).render(
        t=lambda text: translate(text, language),
        language=language,
        path=request.url.path,
        query=request.url.query,
        local_time=local_time,
        **values,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)


def local_time(moment: dt.datetime | int | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A moment in the centre's time zone, as operators read it; unix seconds or an aware datetime."""
    if moment is None:
        return "—"
    if isinstance(moment, int):
        moment = dt.datetime.fromtimestamp(moment, dt.UTC)
    return moment.astimezone(CENTRE_TZ).strftime(pattern)


def safe_next(target: str | None) -> str:
    """Only a path inside the console: a sign-in link cannot send the operator elsewhere."""
    if target and target.startswith("/console") and not target.startswith("//") and "\\" not in target:
        return target
    return "/console/fleet"


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def install_error_pages(app: FastAPI) -> None:
    async def login_required(request: Request, _exc: Exception) -> Response:
        target = "/console/login?next=" + quote(
            request.url.path + ("?" + request.url.query if request.url.query else "")
        )
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target, **SECURITY_HEADERS})
        if request.method != "GET":
            return render(request, "message.html", status=401, title="Sign in", body="", link=target)
        return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)

    async def not_allowed(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, NotAllowed)
        return render(
            request,
            "message.html",
            status=403,
            operator=exc.operator,
            title="You may not open this page",
            body="Your role ({role}) does not allow it. Ask an administrator.",
            role=exc.operator.role.name.lower(),
            link="/console/fleet",
        )

    async def bad_csrf(request: Request, _exc: Exception) -> Response:
        return render(
            request,
            "message.html",
            status=403,
            title="The form has expired. Please try again.",
            body="",
            link=safe_next(request.headers.get("HX-Current-URL") or request.url.path),
        )

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(NotAllowed, not_allowed)
    app.add_exception_handler(BadCsrf, bad_csrf)
