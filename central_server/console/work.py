"""The console's work pages: follow-up cases of bad ratings (差评整改) with their deadlines, the alerts to
look into, and one customer's unified view looked up by ID number.

Case and alert actions go through the JSON API's own route functions (crm.routes, alerts.routes), so the
console applies exactly the rules and refusals the API does; the console adds the operator log entry.
The customer view is masked as every centre answer is (kiosk.masking); an administrator may see it
unmasked by giving a reason, and every look, masked or not, is in the operator log under the masked ID
number only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from central_server.alerts.models import Alert
from central_server.alerts.routes import MAX_LISTED as MAX_ALERTS
from central_server.alerts.routes import Acknowledgement, AlertData, acknowledge, list_alerts
from central_server.console.accounts import Role
from central_server.console.models import OperatorAccount
from central_server.console.web import (
    SECURITY_HEADERS,
    Administrator,
    CsrfChecked,
    OperatorPage,
    Page,
    Viewer,
)
from central_server.crm import phone_vault
from central_server.crm.models import Complaint, FollowUpCase, Rating
from central_server.crm.routes import (
    AssignBody,
    CaseData,
    CloseBody,
    NoteBody,
    TimelineEntry,
    _case_data,
    _timeline,
    assign_case,
    callback_case,
    close_case,
    list_cases,
    note_case,
)
from central_server.dates import CENTRE_TZ, centre_today
from central_server.envelope import ApiError, Code
from central_server.models import Citizen, CitizenReference
from kiosk.masking import mask_id_number, mask_name, mask_phone

router = APIRouter(prefix="/console", include_in_schema=False)

MAX_TEXT = 500  # a note, a resolution, an acknowledgement's comment, a reason to unmask
MAX_OPEN_CASES = 1000  # the JSON API's own ceiling for one list
CLOSED_LISTED = 200  # the most recently closed cases shown
TIMELINE_LISTED = 100
ID_NUMBER = re.compile(r"^[0-9]{17}[0-9X]$")

CaseFilter = Literal["open", "closed", "all"]
Mark = Literal["bad", "warn", ""]

# Codes the centre stores, in the words operators use; an unknown code is shown as it is.
LABELS: dict[str, str] = {
    # services
    "overview": "Account overview",
    "deposits": "Deposits",
    "loan": "Loan",
    "withdrawal": "Withdrawal",
    "appointment": "Appointment",
    "pre_registration": "Pre-registration",
    "certificate": "Certificate",
    "password_change": "Password change",
    "status": "Application status",
    "statement": "Statement",
    "complaint": "Complaint",
    # rating reasons
    "slow": "Too slow",
    "hard_to_use": "Hard to use",
    "not_solved": "Not solved",
    "device_fault": "Device fault",
    "unclear_information": "Unclear information",
    "staff_attitude": "Staff attitude",
    "other": "Other",
    # case note kinds
    "assign": "Assigned",
    "note": "Note",
    "callback": "Called back",
    "close": "Closed",
    # case and alert states
    "open": "Open",
    "overdue": "Overdue",
    "closed": "Closed",
    "acknowledged": "Acknowledged",
    # alert rules and severities
    "citizen_sign_in_failures": "Failed sign-ins for one citizen at several kiosks",
    "kiosk_sign_in_failures": "One kiosk trying many citizens",
    "shared_payee_card": "One payee card for several citizens",
    "withdrawal_after_password_change": "Withdrawal soon after a password change",
    "two_halls": "One citizen in two halls at once",
    "medium": "Medium",
    "high": "High",
    # timeline kinds, channels, touchpoint events, applications
    "touchpoint": "Visit step",
    "rating": "Rating",
    "application": "Application",
    "kiosk": "Kiosk",
    "web": "Web site",
    "wechat": "WeChat",
    "app": "Mobile app",
    "hotline": "12329 hotline",
    "counter": "Counter",
    "visit_started": "Visit started",
    "signed_in": "Signed in",
    "sign_in_failed": "Sign-in failed",
    "service_entered": "Service opened",
    "service_completed": "Service completed",
    "service_abandoned": "Service left unfinished",
    "device_failure": "Device failure",
    "network_failure": "Network failure",
    "idle_timeout": "Timed out",
    "language_changed": "Language changed",
    "large_text_on": "Large text on",
    "visit_ended": "Visit ended",
    "withdrawal_application": "Withdrawal application",
    "suggestion": "Suggestion",
    "service_hall": "Service hall",
    "self_service_kiosk": "Self-service kiosk",
    "deposit": "Deposits",
}
# An account's status: "closed" means otherwise than a case's.
ACCOUNT_STATUS = {"normal": "Normal", "sealed": "Sealed", "closed": "Account closed"}


def label(page: Page, code: str | None) -> str:
    if not code:
        return "—"
    english = LABELS.get(code)
    return page.t(english) if english else code


# -- deadlines -------------------------------------------------------------------------------------------


def last_day(due: dt.datetime) -> dt.date:
    """A deadline is the midnight that ends its last day; operators read the day itself."""
    return (due - dt.timedelta(seconds=1)).astimezone(CENTRE_TZ).date()


def deadline_mark(due: dt.datetime, done: dt.datetime | None, now: dt.datetime) -> Mark:
    """`bad` when passed and not done, `warn` when its last day is today or tomorrow, else nothing."""
    if done is not None:
        return ""
    if now >= due:
        return "bad"
    return "warn" if last_day(due) <= centre_today(now) + dt.timedelta(days=1) else ""


@dataclass(frozen=True)
class Deadline:
    day: dt.date
    mark: Mark
    when: str  # "overdue" | "today" | "tomorrow" | "" : said in words too, not by colour alone


@dataclass(frozen=True)
class CaseRow:
    case: CaseData
    callback: Deadline
    resolve: Deadline

    @property
    def mark(self) -> Mark:
        marks = {self.callback.mark, self.resolve.mark}
        return "bad" if "bad" in marks else "warn" if "warn" in marks else ""

    @property
    def next_due(self) -> dt.datetime:
        """The deadline the case is working to: the callback until it is made, then the resolution."""
        case = self.case
        return case.callback_due if case.callback_at is None else case.resolve_due


def _deadline(due: dt.datetime, done: dt.datetime | None, now: dt.datetime) -> Deadline:
    mark = deadline_mark(due, done, now)
    when = ""
    if mark == "bad":
        when = "overdue"
    elif mark == "warn":
        when = "today" if last_day(due) == centre_today(now) else "tomorrow"
    return Deadline(last_day(due), mark, when)


def case_row(case: CaseData, now: dt.datetime) -> CaseRow:
    return CaseRow(
        case,
        _deadline(case.callback_due, case.callback_at or case.closed_at, now),
        _deadline(case.resolve_due, case.closed_at, now),
    )


def _closed_cases(session: Session, now: int) -> list[CaseData]:
    query = (
        select(FollowUpCase)
        .where(FollowUpCase.closed_at.is_not(None))
        .order_by(FollowUpCase.closed_at.desc(), FollowUpCase.id.desc())
        .limit(CLOSED_LISTED)
    )
    return [_case_data(session, case, now) for case in session.scalars(query)]


def _operators(session: Session) -> list[str]:
    """Who a case can be given to: the active console accounts that may work on cases."""
    accounts = session.scalars(
        select(OperatorAccount).where(OperatorAccount.active.is_(True)).order_by(OperatorAccount.username)
    )
    return [a.username for a in accounts if Role.parse(a.role) >= Role.OPERATOR]


# -- follow-up cases ---------------------------------------------------------------------------------------


@router.get("/cases", response_class=HTMLResponse)
def cases(
    page: Viewer,
    state: Annotated[str, Query(max_length=10)] = "open",
    assignee: Annotated[str, Query(max_length=64)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
) -> HTMLResponse:
    """Open cases first, the most pressing deadline first; then the most recently closed."""
    chosen: CaseFilter = state if state in ("open", "closed", "all") else "open"  # type: ignore[assignment]
    only_overdue = overdue == "1"
    now = page.now()
    listed: list[CaseData] = []
    if chosen != "closed":
        listed += list_cases(page.context, None, "overdue" if only_overdue else "open", MAX_OPEN_CASES).data
    if chosen != "open" and not only_overdue:
        with page.context.db.transaction() as session:
            listed += _closed_cases(session, page.context.unix_now())
    rows = [case_row(case, now) for case in listed]
    open_rows = sorted((r for r in rows if r.case.closed_at is None), key=lambda r: (r.next_due, r.case.id))
    closed_rows = [r for r in rows if r.case.closed_at is not None]
    assignees = sorted({r.case.assignee for r in rows if r.case.assignee})
    shown = [r for r in open_rows + closed_rows if _assigned_to(r.case, assignee, page)]
    figures = {
        "open": len(open_rows),
        "overdue": sum(1 for r in open_rows if r.mark == "bad"),
        "due_soon": sum(1 for r in open_rows if r.mark == "warn"),
        "unassigned": sum(1 for r in open_rows if r.case.assignee is None),
    }
    return page.render(
        "work_cases.html",
        rows=shown,
        figures=figures,
        state=chosen,
        assignee=assignee,
        assignees=assignees,
        only_overdue=only_overdue,
        label=lambda code: label(page, code),
    )


def _assigned_to(case: CaseData, wanted: str, page: Page) -> bool:
    if wanted == "":
        return True
    if wanted == "-":
        return case.assignee is None
    if wanted == "me":
        return case.assignee == page.operator.username
    return case.assignee == wanted


CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_detail(page: Viewer, case_id: CaseId) -> HTMLResponse:
    return _case_page(page, case_id)


def _case_page(page: Page, case_id: int, *, message: str = "", status: int = 200) -> HTMLResponse:
    now = page.now()
    with page.context.db.transaction() as session:
        case = session.get(FollowUpCase, case_id)
        data = None if case is None else _case_data(session, case, page.context.unix_now())
        operators = _operators(session)
    if data is None:
        return page.render(
            "work_message.html",
            status=404,
            title="No such follow-up case",
            back="/console/cases",
            back_label="Back to the follow-up cases",
        )
    return page.render(
        "work_case.html",
        status=status,
        row=case_row(data, now),
        operators=operators,
        may_act=page.operator.role >= Role.OPERATOR,
        message=message,
        max_text=MAX_TEXT,
        label=lambda code: label(page, code),
    )


def _case_action(page: Page, case_id: int, action: str, apply: Callable[[], object], detail: str) -> Response:
    """Runs the JSON API's action; a refusal is the case page again with one line (nothing changed)."""
    try:
        apply()
    except ValidationError:
        return _case_page(page, case_id, message="Write something first.", status=400)
    except ApiError as refusal:
        if refusal.code == Code.CASE_CLOSED:
            message = "This case is closed already; nothing was changed."
            return _case_page(page, case_id, message=message, status=409)
        return _case_page(page, case_id)  # not found: the page says so
    page.audit(action, target=f"case {case_id}", detail=detail)
    return RedirectResponse(f"/console/cases/{case_id}", status_code=303, headers=SECURITY_HEADERS)


def _too_long(page: Page, case_id: int, text: str) -> HTMLResponse | None:
    if len(text) > MAX_TEXT:
        message = page.t("At most {count} characters.").format(count=MAX_TEXT)
        return _case_page(page, case_id, message=message, status=400)
    return None


@router.post("/cases/{case_id}/assign", response_class=HTMLResponse)
def assign(
    page: OperatorPage,
    _csrf: CsrfChecked,
    case_id: CaseId,
    assignee: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """To a console operator; no one named: to the operator assigning it."""
    chosen = assignee.strip() or page.operator.username
    with page.context.db.transaction() as session:
        known = chosen in _operators(session)
    if not known:
        return _case_page(page, case_id, message="Choose one of the operators.", status=400)
    body = AssignBody(assignee=chosen)
    return _case_action(
        page, case_id, "case_assign", lambda: assign_case(case_id, body, page.context, None), chosen
    )


@router.post("/cases/{case_id}/note", response_class=HTMLResponse)
def note(
    page: OperatorPage,
    _csrf: CsrfChecked,
    case_id: CaseId,
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    refused = _too_long(page, case_id, text)
    if refused is not None:
        return refused
    return _case_action(
        page,
        case_id,
        "case_note",
        lambda: note_case(case_id, NoteBody(text=text), page.context, None),
        text.strip(),
    )


@router.post("/cases/{case_id}/callback", response_class=HTMLResponse)
def callback(
    page: OperatorPage,
    _csrf: CsrfChecked,
    case_id: CaseId,
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The citizen was called back (the first call meets the callback deadline)."""
    refused = _too_long(page, case_id, text)
    if refused is not None:
        return refused
    return _case_action(
        page,
        case_id,
        "case_callback",
        lambda: callback_case(case_id, NoteBody(text=text), page.context, None),
        text.strip(),
    )


@router.post("/cases/{case_id}/close", response_class=HTMLResponse)
def close(
    page: OperatorPage,
    _csrf: CsrfChecked,
    case_id: CaseId,
    resolution: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    refused = _too_long(page, case_id, resolution)
    if refused is not None:
        return refused
    return _case_action(
        page,
        case_id,
        "case_close",
        lambda: close_case(case_id, CloseBody(resolution=resolution), page.context, None),
        resolution.strip(),
    )


# -- alerts --------------------------------------------------------------------------------------------


@router.get("/alerts", response_class=HTMLResponse)
def alerts(page: Viewer) -> HTMLResponse:
    return _alerts_page(page)


def _alerts_page(page: Page, *, message: str = "", status: int = 200) -> HTMLResponse:
    listed: list[AlertData] = list_alerts(page.context, None, "all", None, MAX_ALERTS).data
    # Open ones first, each group most recently seen first (the API's own order within it).
    ordered = [a for a in listed if a.acknowledged_at is None] + [a for a in listed if a.acknowledged_at]
    return page.render(
        "work_alerts.html",
        status=status,
        alerts=ordered,
        open_count=sum(1 for a in listed if a.acknowledged_at is None),
        may_act=page.operator.role >= Role.OPERATOR,
        message=message,
        max_text=MAX_TEXT,
        label=lambda code: label(page, code),
    )


@router.post("/alerts/{alert_id}/ack", response_class=HTMLResponse)
def acknowledge_alert(
    page: OperatorPage,
    _csrf: CsrfChecked,
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    comment = comment.strip()
    if not comment:
        return _alerts_page(page, message=page.t("Write what was found or done."), status=400)
    if len(comment) > MAX_TEXT:
        too_long = page.t("At most {count} characters.").format(count=MAX_TEXT)
        return _alerts_page(page, message=too_long, status=400)
    body = Acknowledgement(by=page.operator.username, note=comment)
    try:
        acknowledge(body, page.context, None, alert_id)
    except ApiError as refusal:
        if refusal.code != Code.ALREADY_ACKNOWLEDGED:
            return _alerts_page(page, message=page.t("No such alert."), status=404)
        return _alerts_page(page, message=_acknowledged_already(page, alert_id), status=409)
    page.audit("alert_ack", target=f"alert {alert_id}", detail=comment)
    return RedirectResponse("/console/alerts", status_code=303, headers=SECURITY_HEADERS)


def _acknowledged_already(page: Page, alert_id: int) -> str:
    with page.context.db.transaction() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None and alert.acknowledged_at is not None
        who, when = alert.acknowledged_by or "?", alert.acknowledged_at
    return page.t("Alert {id} was acknowledged already by {name} at {when}; nothing was changed.").format(
        id=alert_id, name=who, when=when.astimezone(CENTRE_TZ).strftime("%Y-%m-%d %H:%M")
    )


# -- one customer ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerView:
    citizen_id: int  # what the unmask form sends back: never the ID number itself
    masked_id: str
    id_number: str
    name: str
    account_status: str | None
    phones: list[str]
    cases: list[CaseData]
    timeline: list[TimelineEntry]
    unmasked: bool


@router.get("/customers", response_class=HTMLResponse)
def customers(page: OperatorPage) -> HTMLResponse:
    return _customer_page(page, None)


@router.post("/customers", response_class=HTMLResponse)
def look_up_customer(
    page: OperatorPage,
    _csrf: CsrfChecked,
    id_number: Annotated[str, Form(max_length=40)] = "",
) -> HTMLResponse:
    """A POST, not a query string: the ID number stays out of addresses, history and server logs."""
    wanted = id_number.strip().upper()
    if not ID_NUMBER.match(wanted):
        return _customer_page(
            page, None, message="An ID number is 17 digits and a last digit or X.", status=400
        )
    with page.context.db.transaction() as session:
        citizen = session.scalar(select(Citizen).where(Citizen.id_number == wanted))
        view = (
            None if citizen is None else _customer(session, citizen, page.context.unix_now(), unmasked=False)
        )
    page.audit("customer_view", target=mask_id_number(wanted), detail="masked" if view else "not found")
    if view is None:
        return _customer_page(page, None, message="No customer with this ID number.", status=404)
    return _customer_page(page, view)


@router.post("/customers/unmasked", response_class=HTMLResponse)
def unmasked_customer(
    page: Administrator,
    _csrf: CsrfChecked,
    citizen: Annotated[int, Form(ge=1, le=2**63 - 1)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """Administrators only, with a reason that goes into the operator log."""
    reason = reason.strip()
    unmask = 0 < len(reason) <= MAX_TEXT
    with page.context.db.transaction() as session:
        found = session.get(Citizen, citizen)
        view = None if found is None else _customer(session, found, page.context.unix_now(), unmasked=unmask)
    if view is None:
        return _customer_page(page, None, message="No customer with this ID number.", status=404)
    if not unmask:
        # The masked view was shown again: a look like any other.
        page.audit("customer_view", target=view.masked_id, detail="masked (unmasking refused)")
        message = (
            page.t("At most {count} characters.").format(count=MAX_TEXT)
            if reason
            else "Give the reason for seeing the unmasked data."
        )
        return _customer_page(page, view, message=message, status=400, typed=reason[:MAX_TEXT])
    page.audit("customer_view", target=view.masked_id, detail=f"unmasked: {reason}")
    return _customer_page(page, view)


def _customer_page(
    page: Page, view: CustomerView | None, *, message: str = "", status: int = 200, typed: str = ""
) -> HTMLResponse:
    return page.render(
        "work_customers.html",
        status=status,
        view=view,
        message=message,
        typed=typed,
        label=lambda code: label(page, code),
        what=lambda entry: _what(page, entry),
        account_label=lambda status: ACCOUNT_STATUS.get(status or "", status or "—"),
    )


def _what(page: Page, entry: TimelineEntry) -> str:
    """The timeline's `what` in words: a rating's score, a complaint's category and topic, else the code."""
    if entry.kind == "rating":
        return page.t("Score {score}").format(score=entry.what.removeprefix("score "))
    if entry.kind == "complaint":
        return " · ".join(label(page, part) for part in entry.what.split(" ", 1))
    return label(page, entry.what)


def _customer(session: Session, citizen: Citizen, now: int, *, unmasked: bool) -> CustomerView:
    reference = session.scalar(select(CitizenReference).where(CitizenReference.citizen_id == citizen.id))
    ref = None if reference is None else reference.ref
    timeline: list[TimelineEntry] = []
    found_cases: list[CaseData] = []
    phones: list[str] = []
    if ref is not None:
        timeline = sorted(_timeline(session, ref, TIMELINE_LISTED), key=lambda e: e.at, reverse=True)
        found_cases = [
            _case_data(session, case, now)
            for case in session.scalars(
                select(FollowUpCase)
                .join(Rating, Rating.id == FollowUpCase.rating_id)
                .where(Rating.citizen_ref == ref)
                .order_by(FollowUpCase.opened_at.desc())
            )
        ]
        phones = _phones(session, ref)
    return CustomerView(
        citizen_id=citizen.id,
        masked_id=mask_id_number(citizen.id_number),
        id_number=citizen.id_number if unmasked else mask_id_number(citizen.id_number),
        name=citizen.name if unmasked else mask_name(citizen.name),
        account_status=citizen.account.status if citizen.account else None,
        phones=phones if unmasked else [mask_phone(p) for p in phones],
        cases=found_cases,
        timeline=timeline[:TIMELINE_LISTED],
        unmasked=unmasked,
    )


def _phones(session: Session, ref: str) -> list[str]:
    """The phones the citizen left for a callback or a reply, most recent first, each once."""
    sealed = [
        (at, cipher)
        for at, cipher in session.execute(
            select(Rating.rated_at, Rating.phone_cipher).where(
                Rating.citizen_ref == ref, Rating.phone_cipher.is_not(None)
            )
        )
    ] + [
        (at, cipher)
        for at, cipher in session.execute(
            select(Complaint.filed_at, Complaint.phone_cipher).where(
                Complaint.citizen_ref == ref, Complaint.phone_cipher.is_not(None)
            )
        )
    ]
    phones: list[str] = []
    for _at, cipher in sorted(sealed, key=lambda pair: pair[0], reverse=True):
        phone = phone_vault.open_sealed(session, cipher)
        if phone is not None and phone not in phones:
            phones.append(phone)
    return phones
