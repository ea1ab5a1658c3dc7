"""The fleet pages: every kiosk with its last heartbeat, problems first and counted, the filters, the table's
own refresh, one kiosk's detail with its heartbeat history, and who may look."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from central_server.console.accounts import Role
from central_server.console.fleet import LABELS, _chart
from central_server.console.i18n import ZH
from central_server.fleet import routes
from central_server.fleet.models import ConfigReport, KioskHeartbeatHistory, KioskStatus
from central_server.fleet.routes import HeartbeatBody
from central_server.staff import audit
from tests.central.helpers import Kiosk
from tests.console.conftest import TERMINALS, Console, ConsoleSession

TEMPLATES = Path(__file__).resolve().parents[2] / "central_server" / "console" / "templates"
HALL1_A, HALL1_B, HALL2 = "KIOSK-HALL1-01", "KIOSK-HALL1-02", "KIOSK-HALL2-01"
MALICIOUS = "<script>alert(1)</script>"


def beat(**changes: Any) -> dict[str, Any]:
    """A healthy heartbeat as a kiosk sends it, with `changes`."""
    body: dict[str, Any] = {
        "app_version": "1.4.2",
        "config_version": 7,
        "uptime_s": 3600,
        "devices": {"printer": {"state": "idle"}, "idcard": {"state": "idle"}},
        "paper": "ok",
        "outbox": {"depth": 0},
        "connectivity": "online",
    }
    return {**body, **changes}


def send(console: Console, terminal_id: str, body: dict[str, Any]) -> None:
    kiosk = Kiosk(console.base_url, terminal_id)
    assert kiosk.authenticate(TERMINALS[terminal_id].secret).status_code == 200
    response = kiosk.call("POST", "/v1/fleet/heartbeat", json=body)
    assert response.status_code == 200, response.text


def english(console: Console, role: Role = Role.VIEWER) -> ConsoleSession:
    session = console.session(role)
    session.cookies.set("hpf_console_lang", "en", path="/console")
    return session


@pytest.fixture
def fleet(console: Console) -> Iterator[Console]:
    """The three kiosks: HALL1-01 healthy and online, HALL1-02 silent for ten minutes, HALL2-01 online with
    a printer fault, little paper, a stuck outbox and out of service, its last config report a refusal."""
    context = console.app.state.context
    mine = list(TERMINALS)
    with context.db.transaction() as session:
        session.execute(delete(KioskStatus).where(KioskStatus.terminal_id.in_(mine)))
        session.execute(delete(KioskHeartbeatHistory).where(KioskHeartbeatHistory.terminal_id.in_(mine)))
        session.execute(
            delete(ConfigReport).where(ConfigReport.terminal_id.in_(mine), ConfigReport.version == 0)
        )
    send(console, HALL1_A, beat())
    with context.db.transaction() as session:
        session.add(
            KioskStatus(
                terminal_id=HALL1_B,
                last_seen=context.unix_now() - 600,
                heartbeat=HeartbeatBody.model_validate(beat()).model_dump_json(),
            )
        )
        # Version 0: a bundle the kiosk could not read; it is no rollout's, so no rollout is moved.
        session.add(
            ConfigReport(terminal_id=HALL2, version=0, outcome="refused", reason="bad signature", at=1)
        )
    send(
        console,
        HALL2,
        beat(
            devices={"printer": {"state": "error", "detail": "jam"}, "idcard": {"state": "idle"}},
            paper="near_end",
            outbox={"depth": 7, "oldest_pending_age_s": 900},
            in_service=False,
            out_of_service_reason="paper",
            out_of_service_since="2026-11-29T01:00:00+00:00",
            problems=[{"part": "forwarder", "reason": MALICIOUS}],
        ),
    )
    yield console


def cards(page: str) -> dict[str, int]:
    found = re.findall(r'<div class="figure[^"]*">(\d+)</div>([^<]+)</div>', page)
    return {name.strip(): int(figure) for figure, name in found}


def rows(page: str) -> list[tuple[str, str]]:
    """(class, kiosk id) of each row of the grid, in order."""
    return re.findall(r'<tr(?: class="(\w+)")?>\s*<td><a href="/console/fleet/[^"]+">([^<]+)</a>', page)


def test_the_grid_counts_problems_and_lists_problem_kiosks_first(fleet: Console) -> None:
    response = english(fleet).get("/console/fleet")
    assert response.status_code == 200
    page = response.text
    assert cards(page) == {
        "Kiosks": 3,
        "Offline": 1,
        "Devices in fault": 1,
        "Paper low or out": 1,
        "Outbox backlog": 1,
        "Out of service": 1,
    }
    assert rows(page) == [("bad", HALL1_B), ("bad", HALL2), ("", HALL1_A)]
    healthy = page[page.index(f">{HALL1_A}</a>") :]
    assert '<span class="ok">Online</span>' in healthy and "Never" not in healthy
    silent = page[page.index(f">{HALL1_B}</a>") : page.index(f">{HALL2}</a>")]
    assert '<span class="bad">Offline</span>' in silent and "10 min ago" in silent
    broken = page[page.index(f">{HALL2}</a>") : page.index(f">{HALL1_A}</a>")]
    for shown in (
        "printer: Fault",
        "Low",
        "7 waiting",
        "oldest 15 min",
        "v0 Refused",
        "Out of service",
        "Paper",
    ):
        assert shown in broken, shown
    # The start problem's reason is on the detail page only; the grid says that parts did not start.
    assert "Parts did not start" in broken and "alert(1)" not in page


def test_the_grid_speaks_chinese_first(fleet: Console) -> None:
    page = fleet.session(Role.VIEWER).get("/console/fleet").text
    assert "故障设备" in page and "暂停服务" in page and "离线" in page


def test_the_filters_narrow_the_table_but_not_the_cards_of_the_group(fleet: Console) -> None:
    viewer = english(fleet)
    assert [k for _, k in rows(viewer.get("/console/fleet?group=hall-2").text)] == [HALL2]
    assert [k for _, k in rows(viewer.get("/console/fleet?state=offline").text)] == [HALL1_B]
    assert [k for _, k in rows(viewer.get("/console/fleet?state=out_of_service").text)] == [HALL2]
    assert [k for _, k in rows(viewer.get("/console/fleet?state=problems").text)] == [HALL1_B, HALL2]
    assert [k for _, k in rows(viewer.get("/console/fleet?q=hall1-0").text)] == [HALL1_B, HALL1_A]
    page = viewer.get("/console/fleet?group=hall-1&state=offline").text
    assert [k for _, k in rows(page)] == [HALL1_B]
    assert cards(page)["Kiosks"] == 2 and cards(page)["Out of service"] == 0
    assert "No kiosk matches these filters." in viewer.get("/console/fleet?q=nothing-like-it").text
    # A hand-made state shows everything rather than an error.
    assert len(rows(viewer.get("/console/fleet?state=bogus").text)) == 3


def test_the_table_refreshes_itself_with_the_same_filters(fleet: Console) -> None:
    viewer = english(fleet)
    page = viewer.get("/console/fleet?group=hall-1&state=all&q=").text
    assert 'hx-get="/console/fleet/table?group=hall-1&amp;state=all&amp;q="' in page
    assert 'hx-trigger="every 10s"' in page
    partial = viewer.get("/console/fleet/table?group=hall-1&state=all&q=", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert [k for _, k in rows(partial.text)] == [HALL1_B, HALL1_A]
    assert 'id="fleet-live"' in partial.text


def test_the_detail_shows_the_heartbeat_history_and_escapes_what_kiosks_say(fleet: Console) -> None:
    send(fleet, HALL2, beat(outbox={"depth": 3, "oldest_pending_age_s": 30}))
    with fleet.app.state.context.db.transaction() as session:
        audit.record(
            session,
            {
                "staff_id": "100200",
                "action": "paper_replaced",
                "outcome": "ok",
                "target": "printer",
                "at": "2026-11-29T02:00:00+00:00",
            },
            terminal_id=HALL2,
            received_at=1,
        )
    response = english(fleet).get(f"/console/fleet/{HALL2}")
    assert response.status_code == 200
    page = response.text
    history = re.findall(r'<tr class="history"><td>[^<]+</td><td>([^<]+)</td><td>([^<]+)</td>', page)
    assert history == [("3", "Online"), ("7", "Online")]  # newest first
    assert "2 heartbeats, 0 gaps, at most 7 waiting" in page
    assert '<svg class="chart" role="img"' in page and "<polyline" in page
    assert "bad signature" in page and "Refused" in page
    assert "100200" in page and "paper_replaced" in page
    # The first heartbeat's start problem is gone with the second; the newest heartbeat is what shows.
    assert "forwarder" not in page


def test_a_reason_a_kiosk_sends_comes_out_escaped(fleet: Console) -> None:
    page = english(fleet).get(f"/console/fleet/{HALL2}").text
    assert MALICIOUS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_kiosk_without_heartbeat_and_an_unknown_kiosk(fleet: Console) -> None:
    viewer = english(fleet)
    with fleet.app.state.context.db.transaction() as session:
        session.execute(delete(KioskStatus).where(KioskStatus.terminal_id == HALL1_B))
    page = viewer.get(f"/console/fleet/{HALL1_B}").text
    assert "This kiosk has not sent a heartbeat yet." in page and "0 heartbeats" in page
    assert "Never" in viewer.get("/console/fleet").text
    unknown = viewer.get("/console/fleet/KIOSK-NOBODY-99")
    assert unknown.status_code == 404 and "Unknown kiosk" in unknown.text


def test_the_history_keeps_a_day_and_a_bounded_number_of_rows(
    fleet: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = fleet.app.state.context
    old = context.unix_now() - routes.HISTORY_S - 60
    with context.db.transaction() as session:
        session.add(
            KioskHeartbeatHistory(
                terminal_id=HALL1_A, at=old, backlog=1, connectivity="online", in_service=True
            )
        )
    monkeypatch.setattr(routes, "HISTORY_ROWS", 3)
    for depth in range(5):
        send(fleet, HALL1_A, beat(outbox={"depth": depth}))

    def kept() -> list[int | None]:
        with context.db.transaction() as session:
            return list(
                session.scalars(
                    select(KioskHeartbeatHistory.backlog)
                    .where(KioskHeartbeatHistory.terminal_id == HALL1_A)
                    .order_by(KioskHeartbeatHistory.id)
                )
            )

    assert kept() == [2, 3, 4]
    with context.db.transaction() as session:
        others = session.scalar(
            select(func.count())
            .where(KioskHeartbeatHistory.terminal_id == HALL2)
            .select_from(KioskHeartbeatHistory)
        )
    assert others == 1  # another kiosk's history is its own


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_look(fleet: Console, role: Role) -> None:
    session = fleet.session(role)
    for path in ("/console/fleet", "/console/fleet/table", f"/console/fleet/{HALL1_A}"):
        assert session.get(path).status_code == 200, path


def test_an_anonymous_visitor_is_sent_to_sign_in(fleet: Console) -> None:
    anonymous = fleet.session(None)
    for path in ("/console/fleet?state=offline", f"/console/fleet/{HALL1_A}"):
        response = anonymous.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/console/login?next=")
    refresh = anonymous.get("/console/fleet/table", headers={"HX-Request": "true"})
    assert refresh.status_code == 401 and refresh.headers["HX-Redirect"].startswith("/console/login")


def test_every_word_of_the_fleet_pages_has_its_chinese() -> None:
    words = set()
    for template in TEMPLATES.glob("fleet_*.html"):
        words |= set(re.findall(r"""\bt\(["']([^"']+)["']\)""", template.read_text(encoding="utf-8")))
    words |= {label for kind in LABELS.values() for label in kind.values()}
    words |= {"Offline", "Device fault", "Paper out", "Paper low", "Outbox backlog", "Out of service"}
    words |= {"Kiosk reports a poor connection", "Parts did not start", "Configuration failed"}
    words |= {"Unknown kiosk", "The centre has no kiosk with this id."}
    assert sorted(w for w in words if w not in ZH) == []


def test_the_kiosk_clock_may_be_ahead_for_staff_events(fleet: Console) -> None:
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).isoformat()
    with fleet.app.state.context.db.transaction() as session:
        audit.record(
            session,
            {"staff_id": "300400", "action": "sign_in", "outcome": "ok", "at": ahead},
            terminal_id=HALL1_A,
            received_at=1,
        )
    assert "300400" in english(fleet).get(f"/console/fleet/{HALL1_A}").text


def test_the_chart_breaks_its_line_and_marks_the_band_where_heartbeats_stopped() -> None:
    now = 1_000_000

    def at(minutes_ago: int, backlog: int, connectivity: str = "online") -> KioskHeartbeatHistory:
        return KioskHeartbeatHistory(
            terminal_id=HALL1_A,
            at=now - minutes_ago * 60,
            backlog=backlog,
            connectivity=connectivity,
            in_service=True,
        )

    # Two runs of heartbeats a minute apart, 30 minutes of silence between them, one beat on a poor line.
    chart = _chart([at(40, 1), at(39, 4), at(38, 2), at(7, 0, "degraded"), at(6, 3), at(5, 0)], now)
    assert len(chart.lines) == 2 and chart.heartbeats == 6 and chart.gaps == 1 and chart.peak == 4
    assert [d[2] for d in chart.dots] == [4]
    kinds = [segment.kind for segment in chart.band]
    # Silent from a day ago, online, silent, degraded, online, and silent again for the last 5 minutes.
    assert kinds == [
        "offline",
        "online",
        "online",
        "online",
        "offline",
        "degraded",
        "online",
        "online",
        "offline",
    ]


def test_a_kiosk_is_offline_after_two_of_its_own_heartbeat_intervals(fleet: Console) -> None:
    """HALL1-02 was silent for ten minutes: offline at the default 60 s, online if it beats every 600 s."""
    context = fleet.app.state.context
    with context.db.transaction() as session:
        status = session.get(KioskStatus, HALL1_B)
        assert status is not None
        status.heartbeat = HeartbeatBody.model_validate(beat(heartbeat_interval_s=600)).model_dump_json()
    assert ("", HALL1_B) in rows(english(fleet).get("/console/fleet").text)
    with context.db.transaction() as session:
        status = session.get(KioskStatus, HALL1_B)
        assert status is not None
        status.last_seen = context.unix_now() - 1201
    assert ("bad", HALL1_B) in rows(english(fleet).get("/console/fleet").text)
