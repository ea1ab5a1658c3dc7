"""HTTP client for the centre. Runs on worker threads only; every call blocks until answered or failed."""

from __future__ import annotations

import threading
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, ValidationError

from kiosk.central.errors import CentralError, CentralUnavailable
from kiosk.central.models import (
    Account,
    AdviceItem,
    AdviceList,
    ApplicationList,
    ApplicationSummary,
    Appointment,
    AppointmentSlots,
    Catalogue,
    CitizenSession,
    DemoCard,
    DepositPage,
    Health,
    IntakeResult,
    IssuedCertificate,
    Loan,
    StaffRoster,
    TerminalToken,
    WithdrawalOptions,
)
from kiosk.central.sequence import SequenceCounter

if TYPE_CHECKING:
    import requests

CHANNEL_SELF_SERVICE = "50"

M = TypeVar("M", bound=BaseModel)


class HelpCall(BaseModel):
    """POST /v1/terminal/help-requests: the kiosk's open call for staff (docs/central-api.md)."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    id: int
    status: Literal["open", "acknowledged"]
    calls: int
    already_open: bool


class CentralClient:
    def __init__(
        self,
        base_url: str,
        *,
        terminal_id: str,
        centre_id: str,
        secret: str,
        sequence: SequenceCounter,
        timeout_s: float = 8.0,
        verify: str | bool = True,
        cert: tuple[str, str] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._terminal_id = terminal_id
        self._centre_id = centre_id
        self._secret = secret
        self._sequence = sequence
        self.timeout_s = timeout_s
        self._verify = verify
        self._cert = cert
        self._session: requests.Session | None = None
        self._token: str | None = None
        self._token_lock = threading.Lock()

    @property
    def http(self) -> requests.Session:
        # Made on first use, on a worker thread: the UI's first frame does not wait for it.
        if self._session is None:
            # requests is imported here, on a worker, not at start-up: it costs a tenth of a second.
            import requests

            session = requests.Session()
            # The kiosk's settings alone say how it reaches the centre: otherwise requests lets
            # REQUESTS_CA_BUNDLE (and proxy variables) in the environment override `verify` per request,
            # and a kiosk whose ca_file names the centre's own CA would then refuse the centre.
            session.trust_env = False
            session.verify = self._verify
            if self._cert is not None:
                session.cert = self._cert
            self._session = session
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    # -- plumbing -------------------------------------------------------------------------------------

    def envelope_headers(self, citizen_token: str | None = None, with_auth: bool = True) -> dict[str, str]:
        # The token first: logging in sends a request of its own, and sequence numbers must rise in the
        # order requests are sent.
        token = self._terminal_token() if with_auth else None
        headers = {
            "X-Channel": CHANNEL_SELF_SERVICE,
            "X-Terminal-Id": self._terminal_id,
            "X-Centre-Id": self._centre_id,
            "X-Seq-No": str(self._sequence.next()),
        }
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if citizen_token is not None:
            headers["X-Citizen-Session"] = citizen_token
        return headers

    def _send(self, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> tuple[Any, str | None]:
        """(data, ETag header); data is None for a 304 answer to a request that sent If-None-Match."""
        import requests

        try:
            response = self.http.request(
                method, self.base_url + path, headers=headers, timeout=self.timeout_s, **kwargs
            )
        except requests.RequestException as exc:
            raise CentralUnavailable(f"{method} {path}: {type(exc).__name__}") from exc
        etag = response.headers.get("ETag")
        if response.status_code == 304 and "If-None-Match" in headers:
            return None, etag
        try:
            body = response.json()
            code, message, data = body["code"], body.get("message", ""), body.get("data")
        # RecursionError: JSON nested past the parser's stack is no answer either, not a crash of the caller.
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise CentralUnavailable(
                f"{method} {path}: HTTP {response.status_code}, not an envelope", status=response.status_code
            ) from exc
        if response.status_code >= 500:
            raise CentralUnavailable(
                f"{method} {path}: HTTP {response.status_code} {code}", status=response.status_code
            )
        if code != "ok":
            raise CentralError(code, message, data if isinstance(data, dict) else None)
        return data, etag

    def call(self, method: str, path: str, *, citizen: str | None = None, **kwargs: Any) -> Any:
        return self._exchange(method, path, citizen, {}, **kwargs)[0]

    def _exchange(
        self, method: str, path: str, citizen: str | None, extra_headers: dict[str, str], **kwargs: Any
    ) -> tuple[Any, str | None]:
        try:
            return self._send(method, path, self.envelope_headers(citizen) | extra_headers, **kwargs)
        except CentralError as exc:
            if exc.code != "terminal_unauthorised":
                raise
            # The terminal token expired (or the centre restarted): authenticate once more and retry.
            with self._token_lock:
                self._token = None
            return self._send(method, path, self.envelope_headers(citizen) | extra_headers, **kwargs)

    def _terminal_token(self) -> str:
        with self._token_lock:
            if self._token is None:
                data, _ = self._send(
                    "POST",
                    "/v1/terminal/auth",
                    self.envelope_headers(None, with_auth=False),
                    json={"terminal_id": self._terminal_id, "secret": self._secret},
                )
                self._token = _parse(TerminalToken, data).token
            return self._token

    # -- the contract ---------------------------------------------------------------------------------

    def health(self) -> Health:
        import requests

        try:
            response = self.http.get(self.base_url + "/v1/health", timeout=self.timeout_s)
            return _parse(Health, response.json()["data"])
        except (requests.RequestException, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise CentralUnavailable(f"GET /v1/health: {type(exc).__name__}") from exc

    def forget_terminal_token(self) -> None:
        with self._token_lock:
            self._token = None

    def authenticate_terminal(self) -> None:
        """Force a fresh terminal login (doctor uses this to check the credentials)."""
        self.forget_terminal_token()
        self._terminal_token()

    def open_citizen_session(self, id_number: str, name: str, password: str) -> CitizenSession:
        data = self.call(
            "POST", "/v1/citizen/session", json={"id_number": id_number, "name": name, "password": password}
        )
        return _parse(CitizenSession, data)

    def close_citizen_session(self, session_token: str) -> None:
        self.call("DELETE", "/v1/citizen/session", citizen=session_token)

    def account(self, session_token: str) -> Account:
        return _parse(Account, self.call("GET", "/v1/citizen/account", citizen=session_token))

    def deposits(
        self,
        session_token: str,
        *,
        page: int = 1,
        page_size: int = 20,
        period_from: str | None = None,
        period_to: str | None = None,
    ) -> DepositPage:
        params: dict[str, str | int] = {"page": page, "page_size": page_size}
        if period_from:
            params["from"] = period_from
        if period_to:
            params["to"] = period_to
        data = self.call("GET", "/v1/citizen/deposits", citizen=session_token, params=params)
        return _parse(DepositPage, data)

    def loan(self, session_token: str) -> Loan | None:
        try:
            return _parse(Loan, self.call("GET", "/v1/citizen/loan", citizen=session_token))
        except CentralError as exc:
            if exc.code == "not_found":
                return None
            raise

    def submit_batch(self, items: list[dict[str, Any]]) -> list[IntakeResult]:
        """Forward outbox items (idempotency_key, kind, created_at, payload); one answer per item, in order.

        Safe to repeat: the centre applies each idempotency key at most once. An answer that does not match
        the items one for one is the centre's fault and raises CentralUnavailable, like garbage would."""
        data = self.call("POST", "/v1/intake/batch", json={"items": items})
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            raise CentralUnavailable("POST /v1/intake/batch: data.results is not a list", status=200)
        parsed = [_parse(IntakeResult, result) for result in results]
        if [result.idempotency_key for result in parsed] != [item["idempotency_key"] for item in items]:
            raise CentralUnavailable("POST /v1/intake/batch: answers do not match the items sent", status=200)
        return parsed

    def demo_cards(self) -> list[DemoCard]:
        data = self.call("GET", "/v1/demo/cards")
        if not isinstance(data, list):
            raise CentralUnavailable("GET /v1/demo/cards: data is not a list")
        return [_parse(DemoCard, item) for item in data]

    # -- citizen services -----------------------------------------------------------------------------

    def withdrawal_options(self, session_token: str) -> WithdrawalOptions:
        data = self.call("GET", "/v1/citizen/withdrawal/options", citizen=session_token)
        return _parse(WithdrawalOptions, data)

    def advice(self, session_token: str) -> list[AdviceItem]:
        """What the centre advises the citizen today, most urgent first (at most 3; often none)."""
        data = self.call("GET", "/v1/citizen/advice", citizen=session_token)
        return list(_parse(AdviceList, data).items)

    def applications(self, session_token: str) -> list[ApplicationSummary]:
        """The citizen's applications of every kind, newest first (at most 100)."""
        data = self.call("GET", "/v1/citizen/applications", citizen=session_token)
        return list(_parse(ApplicationList, data).items)

    def change_password(self, session_token: str, old: str, new: str) -> None:
        """Refusals are CentralError: weak_password (data: reason, zh, en), sign_in_failed (attempts_left),
        password_locked (locked_until), rate_limited (retry_after)."""
        self.call(
            "POST",
            "/v1/citizen/password",
            citizen=session_token,
            json={"old_password": old, "new_password": new},
        )

    def business_types(self, etag: str | None) -> tuple[str | None, Catalogue | None]:
        """(etag, catalogue) when the catalogue differs from the one `etag` names; (etag, None) when not."""
        headers = {"If-None-Match": etag} if etag else {}
        data, answered_etag = self._exchange("GET", "/v1/business-types", None, headers)
        if data is None:
            return etag, None
        return answered_etag, _parse(Catalogue, data)

    def staff_roster(self, etag: str | None) -> tuple[str | None, StaffRoster | None]:
        """(etag, roster) when the roster differs from the one `etag` names; (etag, None) when not."""
        headers = {"If-None-Match": etag} if etag else {}
        data, answered_etag = self._exchange("GET", "/v1/terminal/staff", None, headers)
        if data is None:
            return etag, None
        return answered_etag, _parse(StaffRoster, data)

    def appointment_slots(
        self,
        session_token: str,
        business: str,
        office: str,
        from_day: date | None = None,
        days: int | None = None,
    ) -> AppointmentSlots:
        """Free places from `from_day` (the centre's today when None) for `days` days (the centre's horizon
        when None); a business that cannot be booked at the office is CentralError not_bookable."""
        params: dict[str, str | int] = {"business": business, "office": office}
        if from_day is not None:
            params["from"] = from_day.isoformat()
        if days is not None:
            params["days"] = days
        data = self.call("GET", "/v1/citizen/appointments/slots", citizen=session_token, params=params)
        return _parse(AppointmentSlots, data)

    def book_appointment(
        self, session_token: str, business: str, office: str, day: date, slot: str
    ) -> Appointment:
        """Refusals are CentralError: not_bookable, slot_full, appointment_limit."""
        body = {"business": business, "office": office, "date": day.isoformat(), "slot": slot}
        data = self.call("POST", "/v1/citizen/appointments", citizen=session_token, json=body)
        return _parse(Appointment, data)

    def cancel_appointment(self, session_token: str, appointment_id: str) -> Appointment:
        """The appointment, now cancelled; CentralError cancel_refused once its slot has begun or when it is
        cancelled already, not_found for an id that is not this citizen's."""
        path = "/v1/citizen/appointments/" + quote(appointment_id, safe="")
        return _parse(Appointment, self.call("DELETE", path, citizen=session_token))

    def appointments(self, session_token: str) -> list[Appointment]:
        """The citizen's appointments, the latest slot first."""
        data = self.call("GET", "/v1/citizen/appointments", citizen=session_token)
        if not isinstance(data, list):
            raise CentralUnavailable("GET /v1/citizen/appointments: data is not a list", status=200)
        return [_parse(Appointment, item) for item in data]

    def issue_certificate(
        self,
        session_token: str,
        kind: Literal["deposit", "loan_settled", "statement"],
        period_from: str | None = None,
        period_to: str | None = None,
    ) -> IssuedCertificate:
        """A statement needs both months (YYYY-MM); the other kinds take neither. Refusals are CentralError:
        no_settled_loan, account_closed, bad_request (naming `from` or `to`)."""
        body: dict[str, str] = {"kind": kind}
        if period_from is not None:
            body["from"] = period_from
        if period_to is not None:
            body["to"] = period_to
        data = self.call("POST", "/v1/citizen/certificates", citizen=session_token, json=body)
        return _parse(IssuedCertificate, data)

    def call_staff(self, screen: str, at: datetime) -> HelpCall:
        """Call staff to this kiosk from `screen` (a screen name) at `at` (aware): the kiosk, the screen and
        the time, nothing of the citizen. The answer is the kiosk's open call, new or already open."""
        body = {"terminal_id": self._terminal_id, "screen": screen, "at": at.isoformat()}
        return _parse(HelpCall, self.call("POST", "/v1/terminal/help-requests", json=body))


def _parse(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise CentralUnavailable(
            f"the centre's {model.__name__} answer is malformed: {exc.error_count()} errors"
        ) from exc
