"""The service scorecard page and its CSV export: the figures of GET /v1/admin/scorecard (the same
`crm.scorecard.scorecard` calls, so the numbers agree), grouped as a balanced scorecard — the customer's
view, the service process, the channel — with server-drawn charts and their numbers as tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, cast, get_args
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from central_server.console.svg import Bar, bar_chart, hbar_chart
from central_server.console.web import SECURITY_HEADERS, Page, Viewer
from central_server.crm.periods import Period
from central_server.crm.routes import DEFAULT_SCORECARD_DAYS, MAX_SCORECARD_DAYS
from central_server.crm.scorecard import Scope, ScorecardData, ScorecardRow, scorecard, seen
from central_server.dates import centre_today

router = APIRouter(prefix="/console", include_in_schema=False)
PERIODS: tuple[str, ...] = get_args(Period)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FILENAME_SAFE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SCORES = {1: "Very dissatisfied", 2: "Dissatisfied", 3: "Neutral", 4: "Satisfied", 5: "Very satisfied"}
SERVICES = {
    "overview": "Account overview",
    "deposits": "Deposit records",
    "loan": "Loan look-up",
    "withdrawal": "Withdrawal",
    "appointment": "Appointment",
    "pre_registration": "Pre-registration",
    "certificate": "Certificates",
    "password_change": "Password change",
    "status": "Application progress",
    "statement": "Statement",
    "complaint": "Complaints and suggestions",
}
PERIOD_NAMES = {"day": "By day", "week": "By week", "month": "By month"}
# Query values arrive as text and are checked here: bad input is the page with a message, not a 422.
QueryText = Annotated[str, Query()]


@dataclass(frozen=True)
class Filters:
    first: dt.date
    last: dt.date
    period: Period
    kiosk: str | None


@dataclass
class Figures:
    """The scope's scorecard and the comparisons the page draws, each from `scorecard` itself."""

    data: ScorecardData
    by_kiosk: list[tuple[str, ScorecardData]] = field(default_factory=list)  # empty with a kiosk filter
    by_service: list[tuple[str, ScorecardRow]] = field(default_factory=list)  # totals, services in use


def check_filters(
    today: dt.date, first: str, last: str, period: str, kiosk: str
) -> Filters | tuple[str, dict[str, object]]:
    """The filters as GET /v1/admin/scorecard takes them (same defaults and limits), or the message."""
    try:
        to = _date(last) or today
        start = _date(first) or to - dt.timedelta(days=DEFAULT_SCORECARD_DAYS - 1)
    except ValueError:
        return "The dates must be real days written YYYY-MM-DD.", {}
    if start > to:
        return "The first day must not be after the last day.", {}
    if (to - start).days >= MAX_SCORECARD_DAYS:
        return "At most {days} days at a time.", {"days": MAX_SCORECARD_DAYS}
    if period not in PERIODS:
        return "Choose a day, week or month.", {}
    if len(kiosk) > 64:
        return "A kiosk id has at most 64 characters.", {}
    return Filters(start, to, cast(Period, period), kiosk or None)


def _date(text: str) -> dt.date | None:
    if not text:
        return None
    if not _DATE.fullmatch(text):
        raise ValueError(text)
    return dt.date.fromisoformat(text)


def gather(page: Page, filters: Filters) -> tuple[Figures, list[str]]:
    """The figures, and the kiosks to choose from (the centre's terminals and any system seen)."""
    now = page.context.unix_now()
    first, last, period, kiosk = filters.first, filters.last, filters.period, filters.kiosk
    with page.context.db.transaction() as session:
        terminals, services = seen(session, first, last)
        figures = Figures(scorecard(session, Scope(first, last, period, kiosk), now))
        if kiosk is None:
            figures.by_kiosk = [
                (k, scorecard(session, Scope(first, last, period, k), now)) for k in terminals
            ]
        for service in services:
            total = scorecard(session, Scope(first, last, period, kiosk, service=service), now).total
            if total.services_completed or total.services_abandoned:
                figures.by_service.append((service, total))
    choices = sorted({*page.context.active_kiosks(), *terminals, *([kiosk] if kiosk else [])})
    return figures, choices


@router.get("/scorecard", response_class=HTMLResponse)
def scorecard_page(
    page: Viewer,
    from_: Annotated[str, Query(alias="from")] = "",
    to: QueryText = "",
    period: QueryText = "day",
    kiosk: QueryText = "",
) -> HTMLResponse:
    filters = check_filters(centre_today(page.now()), from_, to, period, kiosk)
    if not isinstance(filters, Filters):
        return _refused(page, filters, {"from": from_, "to": to, "period": period, "kiosk": kiosk})
    figures, kiosks = gather(page, filters)
    form = {
        "from": filters.first.isoformat(),
        "to": filters.last.isoformat(),
        "period": period,
        "kiosk": kiosk,
    }
    return page.render(
        "scorecard_page.html",
        form=form,
        message="",
        kiosks=kiosks,
        figures=figures,
        total=figures.data.total,
        charts=_charts(page.t, figures, filters.period),
        csv_query=_query(filters),
        **_names(),
    )


@router.get("/scorecard.csv")
def scorecard_csv(
    page: Viewer,
    from_: Annotated[str, Query(alias="from")] = "",
    to: QueryText = "",
    period: QueryText = "day",
    kiosk: QueryText = "",
) -> Response:
    filters = check_filters(centre_today(page.now()), from_, to, period, kiosk)
    if not isinstance(filters, Filters):
        return _refused(page, filters, {"from": from_, "to": to, "period": period, "kiosk": kiosk})
    figures, _kiosks = gather(page, filters)
    name = f"scorecard-{filters.first}-{filters.last}-{filters.period}"
    if filters.kiosk and _FILENAME_SAFE.fullmatch(filters.kiosk):
        name += "-" + filters.kiosk
    return Response(
        csv_text(page.t, figures),
        media_type="text/csv; charset=utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _refused(page: Page, refusal: tuple[str, dict[str, object]], form: dict[str, str]) -> HTMLResponse:
    """The page with the filters as typed and the one line saying what is wrong; no figures."""
    message, values = refusal
    return page.render(
        "scorecard_page.html",
        status=400,
        form=form,
        message=page.t(message).format(**values),
        kiosks=sorted(page.context.active_kiosks()),
        **_names(),
    )


CSV_COLUMNS = (
    "Period starting",
    "Kiosk",
    "Visits",
    "Sign-ins",
    "Failed sign-ins",
    "Services completed",
    "Services abandoned",
    "Completion rate",
    "Idle timeouts",
    "Satisfaction index",
    "Ratings",
    "Score 1",
    "Score 2",
    "Score 3",
    "Score 4",
    "Score 5",
    "Complaints",
    "Suggestions",
    "Complaints per 1000 visits",
    "Device failure minutes",
    "Network failure minutes",
    "Items sent",
    "Median delay (s)",
    "90th percentile delay (s)",
    "Follow-up cases",
    "Callbacks on time",
    "Callbacks late",
    "Callback timeliness",
    "Resolved on time",
    "Resolved late",
    "Resolution timeliness",
)


def csv_text(t: Callable[[str], str], figures: Figures) -> str:
    """The scope's rows and total, then (without a kiosk filter) each kiosk's rows and total; shares as
    the JSON API gives them (0.7143), blank where it gives null. A byte order mark first: Excel then reads
    the file as UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([t(column) for column in CSV_COLUMNS])
    sections = [(figures.data.kiosk or t("All kiosks"), figures.data), *figures.by_kiosk]
    for kiosk, data in sections:
        for row in [*data.rows, data.total]:
            writer.writerow(_csv_row(t, kiosk, row))
    return "\ufeff" + out.getvalue()


def _csv_row(t: Callable[[str], str], kiosk: str, row: ScorecardRow) -> list[object]:
    def blank(value: object) -> object:
        return "" if value is None else value

    score, delay, follow = row.satisfaction, row.outbox_delay, row.follow_up
    return [
        row.period_start.isoformat() if row.period_start else t("Total"),
        _spreadsheet_safe(kiosk),
        row.visits,
        row.sign_ins,
        row.sign_in_failures,
        row.services_completed,
        row.services_abandoned,
        blank(row.completion_rate),
        row.idle_timeouts,
        blank(score.index),
        score.ratings,
        *(score.distribution[str(s)] for s in SCORES),
        row.complaints,
        row.suggestions,
        blank(row.complaint_rate_per_1000_visits),
        row.device_failure_minutes,
        row.network_failure_minutes,
        delay.items,
        blank(delay.median_s),
        blank(delay.p90_s),
        follow.cases,
        follow.callback_on_time,
        follow.callback_late,
        blank(follow.callback_timeliness),
        follow.resolved_on_time,
        follow.resolved_late,
        blank(follow.resolution_timeliness),
    ]


def _spreadsheet_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to Excel; a system's id is text, never one.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def number(value: float | int | None) -> str:
    # As the JSON API rounds it (an index to one place, a rate to two): 84.0 stays 84.0.
    return "—" if value is None else str(value)


def seconds(milliseconds: int | None) -> str:
    return "—" if milliseconds is None else f"{milliseconds / 1000:.1f}"


def period_label(start: dt.date, period: str) -> str:
    return start.strftime("%Y-%m") if period == "month" else start.strftime("%m-%d")


def service_name(t: Callable[[str], str], service: str) -> str:
    return t(SERVICES[service]) if service in SERVICES else service


def _names() -> dict[str, Any]:
    return {
        "periods": PERIOD_NAMES,
        "scores": SCORES,
        "percent": percent,
        "number": number,
        "seconds": seconds,
        "service_name": service_name,
        "period_label": period_label,
    }


def _query(filters: Filters) -> str:
    values = {
        "from": filters.first,
        "to": filters.last,
        "period": filters.period,
        "kiosk": filters.kiosk or "",
    }
    return urlencode(values)


def _charts(t: Callable[[str], str], figures: Figures, period: str) -> dict[str, Markup]:
    empty = t("No data for these filters.")
    data = figures.data
    trend = [
        Bar(period_label(r.period_start, period), r.visits, str(r.visits))
        for r in data.rows
        if r.period_start
    ]
    scores = data.total.satisfaction.distribution
    rated = [Bar(f"{s} {t(name)}", scores[str(s)], str(scores[str(s)])) for s, name in SCORES.items()]
    return {
        "trend": bar_chart(t("Visits per period"), trend, empty=empty, width=1200),
        "services": hbar_chart(
            t("Completion rate by service"),
            [
                Bar(service_name(t, s), row.completion_rate or 0.0, percent(row.completion_rate))
                for s, row in figures.by_service
            ],
            empty=empty,
            scale=1.0,
        ),
        "satisfaction": bar_chart(
            t("Ratings by score"), rated if data.total.satisfaction.ratings else [], empty=empty, width=700
        ),
        "kiosks": hbar_chart(
            t("Visits by kiosk"),
            [Bar(k, d.total.visits, str(d.total.visits)) for k, d in figures.by_kiosk],
            empty=empty,
        ),
    }
