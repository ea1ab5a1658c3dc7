"""The fleet pages: every kiosk on record with its last heartbeat, problems first, the citizens' open calls
for staff (acknowledged and closed here by operators), and one kiosk's detail with a day of heartbeat
history, its config reports and its staff audit trail.

What a kiosk says is the heartbeat the JSON API stored (`central_server/fleet`); its group is the centre's
record (`context.terminals`). A kiosk is offline when it has never sent a heartbeat or its last one is older
than two of its heartbeat intervals (the interval its heartbeat states; the kiosks' default for a kiosk of an
earlier release, whose heartbeat does not)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from central_server import help_requests
from central_server.console.accounts import Role
from central_server.console.web import SECURITY_HEADERS, CsrfChecked, OperatorPage, Page, Viewer
from central_server.fleet.models import KioskHeartbeatHistory, KioskStatus
from central_server.fleet.routes import HISTORY_S, HeartbeatBody, config_reports
from central_server.staff.audit import events

router = APIRouter(prefix="/console", include_in_schema=False)

HEARTBEAT_INTERVAL_S = 60  # the kiosks' default (kiosk/settings.py, remote_config/schema.py)
OFFLINE_AFTER_S = 2 * HEARTBEAT_INTERVAL_S


def offline_after_s(heartbeat: HeartbeatBody | None) -> int:
    """Silence longer than this makes the kiosk offline: two of the intervals it beats at."""
    interval = heartbeat.heartbeat_interval_s if heartbeat is not None else None
    return 2 * (interval or HEARTBEAT_INTERVAL_S)


# Outbox items normally leave within a minute or two when the kiosk is online; ten minutes means stuck.
BACKLOG_AGE_S = 600
FAULT_STATES = frozenset({"error", "offline", "no_device"})  # kiosk.devices.base.DeviceState
FAILED_OUTCOMES = frozenset({"refused", "rolled_back"})
STATES = ("all", "problems", "offline", "out_of_service")
LISTED = 20
HISTORY_LISTED = 10  # the chart shows the day; the table is for reading exact figures
SEARCH_MAX = 64
# The codes kiosks send, in the English the console shows (and translates).
LABELS = {
    "device": {
        "idle": "Ready",
        "busy": "Busy",
        "closed": "Not opened",
        "error": "Fault",
        "offline": "Not answering",
        "no_device": "Not connected",
    },
    "paper": {"ok": "OK", "near_end": "Low", "out": "Out", "unknown": "Unknown"},
    "connectivity": {"online": "Online", "degraded": "Poor connection", "offline": "No connection"},
    "reason": {
        "device_fault": "Device fault",
        "paper": "Paper",
        "maintenance": "Maintenance",
        "network": "Network",
        "other": "Other reason",
    },
    "outcome": {
        "applied": "Applied",
        "deferred": "Deferred",
        "refused": "Refused",
        "rolled_back": "Rolled back",
        "healthy": "Healthy",
    },
    "help": {"open": "Waiting for staff", "acknowledged": "Staff on the way"},
    "state": {
        "all": "All kiosks",
        "problems": "Problems",
        "offline": "Offline",
        "out_of_service": "Out of service",
    },
}


@dataclass(frozen=True)
class Report:
    version: int
    outcome: str
    reason: str
    at: int


@dataclass
class KioskRow:
    """One kiosk as the grid shows it, with the problems found in its last heartbeat."""

    terminal_id: str
    group: str
    last_seen: int | None
    heartbeat: HeartbeatBody | None
    report: Report | None
    online: bool
    faults: list[str] = field(default_factory=list)  # names of devices in fault
    paper_low: bool = False
    backlog: bool = False
    out_of_service: bool = False
    called: bool = False  # a citizen's call for staff is open at this kiosk
    issues: list[str] = field(default_factory=list)  # English keys, translated by the template

    @property
    def severity(self) -> str:
        """The row's class: bad (citizens cannot be served there), warn (look soon) or ''."""
        if not self.online or self.faults or self.out_of_service:
            return "bad"
        if self.heartbeat is not None and self.heartbeat.paper == "out":
            return "bad"
        if self.called:
            return "bad"  # a citizen is waiting at the kiosk
        return "warn" if self.issues else ""


def _row(
    terminal_id: str, group: str, status: KioskStatus | None, report: Report | None, now: int
) -> KioskRow:
    heartbeat = HeartbeatBody.model_validate_json(status.heartbeat) if status else None
    last_seen = status.last_seen if status else None
    online = last_seen is not None and now - last_seen <= offline_after_s(heartbeat)
    row = KioskRow(terminal_id, group, last_seen, heartbeat, report, online)
    if not online:
        row.issues.append("Offline")
    if heartbeat is None:
        return row
    row.faults = sorted(name for name, device in heartbeat.devices.items() if device.state in FAULT_STATES)
    if row.faults:
        row.issues.append("Device fault")
    row.paper_low = heartbeat.paper in ("near_end", "out")
    if row.paper_low:
        row.issues.append("Paper out" if heartbeat.paper == "out" else "Paper low")
    outbox = heartbeat.outbox
    row.backlog = outbox is not None and (outbox.oldest_pending_age_s or 0) >= BACKLOG_AGE_S
    if row.backlog:
        row.issues.append("Outbox backlog")
    row.out_of_service = not heartbeat.in_service
    if row.out_of_service:
        row.issues.append("Out of service")
    if heartbeat.connectivity != "online":
        row.issues.append("Kiosk reports a poor connection")
    if heartbeat.problems:
        row.issues.append("Parts did not start")
    if report is not None and report.outcome in FAILED_OUTCOMES:
        row.issues.append("Configuration failed")
    return row


@dataclass(frozen=True)
class HelpCall:
    """A citizen's open call for staff, as the fleet view lists it."""

    id: int
    terminal_id: str
    group: str
    screen: str
    received_at: int
    last_call_at: int
    calls: int
    status: str  # open | acknowledged
    acknowledged_by: str | None
    acknowledged_at: int | None


def _calls(page: Page) -> list[HelpCall]:
    """Open calls, unanswered first, then the oldest first; a revoked kiosk's calls are listed too."""
    with page.context.db.transaction() as session:
        terminals = page.context.terminals.active(session)
        return [
            HelpCall(
                r.id,
                r.terminal_id,
                terminals[r.terminal_id].group if r.terminal_id in terminals else "",
                r.screen,
                r.received_at,
                r.last_call_at,
                r.calls,
                r.status,
                r.acknowledged_by,
                r.acknowledged_at,
            )
            for r in help_requests.open_requests(session)
        ]


def _rows(page: Page, calls: Sequence[HelpCall] = ()) -> list[KioskRow]:
    now = page.context.unix_now()
    called = {c.terminal_id for c in calls}
    with page.context.db.transaction() as session:
        terminals = page.context.terminals.active(session)
        rows = []
        for terminal_id in sorted(terminals):
            last = next(iter(config_reports(session, terminal_id, limit=1)), None)
            report = None if last is None else Report(last.version, last.outcome, last.reason, last.at)
            status = session.get(KioskStatus, terminal_id)
            row = _row(terminal_id, terminals[terminal_id].group, status, report, now)
            if terminal_id in called:
                row.called = True
                row.issues.insert(0, "Citizen calls for staff")
            rows.append(row)
    return rows


@dataclass(frozen=True)
class Filters:
    group: str
    state: str
    q: str

    def query(self) -> str:
        return urlencode({"group": self.group, "state": self.state, "q": self.q})

    def keeps(self, row: KioskRow) -> bool:
        return (
            (not self.group or row.group == self.group)
            and (not self.q or self.q.lower() in row.terminal_id.lower())
            and (
                self.state == "all"
                or (self.state == "problems" and bool(row.issues))
                or (self.state == "offline" and not row.online)
                or (self.state == "out_of_service" and row.out_of_service)
            )
        )


def _filters(group: str, state: str, q: str) -> Filters:
    # A hand-edited address shows the whole fleet rather than an error page.
    return Filters(group.strip(), state if state in STATES else "all", q.strip()[:SEARCH_MAX])


def _counts(rows: Iterable[KioskRow]) -> dict[str, int]:
    listed = list(rows)
    return {
        "Kiosks": len(listed),
        "Offline": sum(not r.online for r in listed),
        "Devices in fault": sum(len(r.faults) for r in listed),
        "Paper low or out": sum(r.paper_low for r in listed),
        "Outbox backlog": sum(r.backlog for r in listed),
        "Out of service": sum(r.out_of_service for r in listed),
    }


def _grid(page: Page, filters: Filters) -> dict[str, Any]:
    calls = _calls(page)
    rows = _rows(page, calls)
    # The cards count the group and search chosen, whatever the state filter hides from the table.
    chosen = [r for r in rows if Filters(filters.group, "all", filters.q).keeps(r)]
    order = {"bad": 0, "warn": 1, "": 2}
    shown = sorted((r for r in chosen if filters.keeps(r)), key=lambda r: (order[r.severity], r.terminal_id))
    return {
        "rows": shown,
        "counts": _counts(chosen),
        "filters": filters,
        "groups": sorted({r.group for r in rows}),
        "states": STATES,
        "table_url": "/console/fleet/table?" + filters.query(),
        "now": page.context.unix_now(),
        "labels": LABELS,
        "offline_after": OFFLINE_AFTER_S,
        # Every open call, whatever the filters: a citizen waiting is never filtered out of sight.
        "calls": calls,
        "may_act": page.operator.role >= Role.OPERATOR,
    }


GroupQuery = Annotated[str, Query(max_length=64)]
StateQuery = Annotated[str, Query(max_length=20)]
SearchQuery = Annotated[str, Query(max_length=200)]


@router.get("/fleet", response_class=HTMLResponse)
def fleet(
    page: Viewer, group: GroupQuery = "", state: StateQuery = "all", q: SearchQuery = ""
) -> HTMLResponse:
    return page.render("fleet_grid.html", **_grid(page, _filters(group, state, q)))


@router.get("/fleet/table", response_class=HTMLResponse)
def fleet_table(
    page: Viewer, group: GroupQuery = "", state: StateQuery = "all", q: SearchQuery = ""
) -> HTMLResponse:
    """The cards and the table alone, for the grid's refresh every 10 s."""
    return page.render("fleet_table.html", **_grid(page, _filters(group, state, q)))


@router.post("/fleet/help/{request_id}/{action}", response_class=HTMLResponse)
def answer_call(
    page: OperatorPage,
    _csrf: CsrfChecked,
    request_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    action: Literal["acknowledge", "done"],
) -> Response:
    """acknowledge: someone is on the way to the kiosk; done: the citizen was helped (the kiosk may call
    again from now on)."""
    now = page.context.unix_now()
    step = help_requests.acknowledge if action == "acknowledge" else help_requests.finish
    try:
        with page.context.db.transaction() as session:
            terminal_id = step(session, request_id, page.operator.username, now).terminal_id
    except help_requests.NotOpen:
        return page.render(
            "message.html",
            status=409,
            title="This call was answered already",
            body="Nothing was changed.",
            link="/console/fleet",
        )
    page.audit(f"help_{action}", target=f"help {request_id}", detail=terminal_id)
    return RedirectResponse("/console/fleet", status_code=303, headers=SECURITY_HEADERS)


# -- one kiosk -------------------------------------------------------------------------------------------

CHART_WIDTH = 1000
CHART_HEIGHT = 170  # the backlog plot
BAND_TOP = CHART_HEIGHT + 14
BAND_HEIGHT = 18
LEFT = 44
RIGHT = 12
TOP = 26  # room for the peak's label


@dataclass(frozen=True)
class Segment:
    x: float
    width: float
    kind: Literal["online", "degraded", "offline"]


@dataclass(frozen=True)
class Chart:
    """The geometry of the 24-hour chart, drawn by the template."""

    lines: list[str]  # the backlog polylines, broken where heartbeats stopped
    dots: list[tuple[float, float, int]]  # x, y, backlog of the highest point, labelled
    band: list[Segment]
    peak: int
    ticks: list[tuple[float, str]]  # x, hour label
    heartbeats: int
    gaps: int


def _x(at: int, start: int) -> float:
    return round(LEFT + (at - start) / HISTORY_S * (CHART_WIDTH - LEFT - RIGHT), 1)


def _chart(history: Sequence[KioskHeartbeatHistory], now: int, offline_after: int = OFFLINE_AFTER_S) -> Chart:
    """Backlog over the last day, and below it a band: online, degraded (the kiosk says so) or offline (it
    said so, or no heartbeat came for two intervals)."""
    start = now - HISTORY_S
    rows = [h for h in history if h.at >= start]
    peak = max((h.backlog or 0 for h in rows), default=0)
    scale = max(peak, 1)

    def y(backlog: int) -> float:
        return round(TOP + (CHART_HEIGHT - TOP) * (1 - backlog / scale), 1)

    lines: list[list[str]] = []
    previous: int | None = None
    for h in rows:
        if h.backlog is None:
            previous = None
            continue
        if previous is None or h.at - previous > offline_after:
            lines.append([])
        lines[-1].append(f"{_x(h.at, start)},{y(h.backlog)}")
        previous = h.at
    top = max((h for h in rows if h.backlog is not None), key=lambda h: h.backlog or 0, default=None)
    dots = [] if top is None else [(_x(top.at, start), y(top.backlog or 0), top.backlog or 0)]
    band: list[Segment] = []
    gaps = 0
    cursor = start
    for index, beat in enumerate(rows):
        if beat.at - cursor > offline_after:
            band.append(Segment(_x(cursor, start), _x(beat.at, start) - _x(cursor, start), "offline"))
            if index:
                gaps += 1
        until = rows[index + 1].at if index + 1 < len(rows) else now
        end = min(until, beat.at + offline_after)
        kind: Literal["online", "degraded", "offline"] = (
            "online"
            if beat.connectivity == "online"
            else "degraded"
            if beat.connectivity == "degraded"
            else "offline"
        )
        band.append(Segment(_x(beat.at, start), max(_x(end, start) - _x(beat.at, start), 1.0), kind))
        cursor = end
    if now - cursor > offline_after or not rows:
        band.append(Segment(_x(cursor, start), _x(now, start) - _x(cursor, start), "offline"))
    ticks = [
        (_x(start + hours * 3600, start), f"-{24 - hours} h" if hours < 24 else "")
        for hours in (0, 6, 12, 18, 24)
    ]
    return Chart([" ".join(line) for line in lines], dots, band, peak, ticks, len(rows), gaps)


@router.get("/fleet/{terminal_id}", response_class=HTMLResponse)
def kiosk(page: Viewer, terminal_id: str) -> HTMLResponse:
    with page.context.db.transaction() as session:
        record = page.context.terminals.get(session, terminal_id)
    if record is None:
        return page.render(
            "message.html",
            status=404,
            title="Unknown kiosk",
            body="The centre has no kiosk with this id.",
            link="/console/fleet",
        )
    now = page.context.unix_now()
    with page.context.db.transaction() as session:
        reports = [
            Report(r.version, r.outcome, r.reason, r.at)
            for r in config_reports(session, terminal_id, limit=LISTED)
        ]
        status = session.get(KioskStatus, terminal_id)
        history = list(
            session.scalars(
                select(KioskHeartbeatHistory)
                .where(
                    KioskHeartbeatHistory.terminal_id == terminal_id,
                    KioskHeartbeatHistory.at >= now - HISTORY_S,
                )
                .order_by(KioskHeartbeatHistory.at, KioskHeartbeatHistory.id)
            )
        )
        staff = events(
            session,
            terminal_id=terminal_id,
            start=dt.datetime(1970, 1, 1, tzinfo=dt.UTC),
            # A kiosk's clock may run a little ahead of the centre's.
            end=page.now() + dt.timedelta(days=1),
            limit=LISTED,
        )
        row = _row(terminal_id, record.group, status, reports[0] if reports else None, now)
        recent = [
            (h.at, h.backlog, h.connectivity, h.in_service) for h in reversed(history[-HISTORY_LISTED:])
        ]
        chart = _chart(history, now, offline_after_s(row.heartbeat))
    return page.render(
        "fleet_kiosk.html",
        kiosk=row,
        reports=reports,
        staff=staff,
        history=recent,
        chart=chart,
        chart_width=CHART_WIDTH,
        chart_height=BAND_TOP + BAND_HEIGHT + 22,
        plot=(LEFT, TOP, CHART_WIDTH - RIGHT, CHART_HEIGHT),
        band=(BAND_TOP, BAND_HEIGHT),
        now=now,
        labels=LABELS,
    )
