"""Issuing certificates to the signed-in citizen (rules: certificates.py, certificate_rules.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Request

from central_server import certificates
from central_server.auth import CitizenSessionRef, TerminalId
from central_server.certificate_rules import PeriodError, grouped
from central_server.certificate_schemas import CertificateData, CertificateRequest, StatementRequest
from central_server.context import Context
from central_server.dates import CENTRE_TZ
from central_server.envelope import CITIZEN_ERRORS, ApiError, Code, Envelope, error_responses, ok
from central_server.models import Citizen

router = APIRouter(prefix="/v1/citizen", tags=["citizen"])


@router.post(
    "/certificates",
    responses=error_responses(
        *CITIZEN_ERRORS,
        Code.BAD_REQUEST,
        Code.NO_SETTLED_LOAN,
        Code.ACCOUNT_CLOSED,
    ),
)
def issue_certificate(
    body: CertificateRequest,
    request: Request,
    context: Context,
    terminal_id: TerminalId,
    citizen_ref: CitizenSessionRef,
) -> Envelope[CertificateData]:
    """The facts to print and a verification code; the public page `/verify/{code}` shows the masked facts
    to anyone holding the code. `deposit` needs a normal or sealed account (else account_closed),
    `loan_settled` a settled loan (else no_settled_loan); a `statement` covers from..to within the
    account's life, at most 24 months, none in the future (else bad_request naming from or to)."""
    now = context.clock()
    period = (body.from_, body.to) if isinstance(body, StatementRequest) else None
    with context.db.transaction() as session:
        citizen = session.get_one(Citizen, citizen_ref.citizen_id)
        try:
            facts = certificates.build_facts(session, citizen, body.kind, period, now)
        except PeriodError as exc:
            raise ApiError(Code.BAD_REQUEST, f"body field {exc}") from None
        except certificates.Refusal as exc:
            raise ApiError(Code(exc.reason), str(exc)) from None
        code = certificates.issue(session, facts, citizen_id=citizen.id, terminal_id=terminal_id, now=now)
    form_url = f"{_public_base_url(request)}/verify"
    data = CertificateData(
        kind=body.kind,
        code=grouped(code),
        issued_at=now.astimezone(CENTRE_TZ),
        verify_url=f"{form_url}/{grouped(code)}",
        verify_form_url=form_url,
        facts=facts,
    )
    return ok(context.sequence, data)


def _public_base_url(request: Request) -> str:
    """create_app's public_base_url, else the address this request reached the centre at (fine for the
    demo; behind a proxy or on a private address the printed URL needs the setting)."""
    configured: str | None = request.app.state.public_base_url
    return configured or str(request.base_url).rstrip("/")


def checked_base_url(value: str | None) -> str | None:
    """The public base URL without a trailing slash; ValueError naming the setting when it is not an
    absolute http(s) URL without query or fragment."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"public_base_url must look like https://host[:port][/prefix], got {value!r}")
    return value.rstrip("/")
