"""The scorecard page and its CSV on a hand-made day posted through the JSON API (kiosk intake and the demo
channel token): known figures on the cards, charts and tables; the page and the CSV agree with
GET /v1/admin/scorecard for the same filters; bad filters are a 400 page; viewers see it, anonymous visitors
go to sign in; ids and service names from the data come out escaped in the SVG."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from central_server.console.accounts import Role
from central_server.console.i18n import ZH
from central_server.console.scorecard import CSV_COLUMNS, PERIOD_NAMES, SCORES, SERVICES
from central_server.crm import store
from central_server.crm.routes import DEMO_CHANNEL_TOKEN
from central_server.dates import CENTRE_TZ
from tests.central.helpers import Kiosk
from tests.console.conftest import OPERATOR_TOKEN, TERMINALS, Console, ConsoleSession

# A Tuesday no other console test touches, 10:00 in the centre; the range is that day only.
DAY = dt.datetime(2025, 3, 11, 10, 0, tzinfo=CENTRE_TZ)
ONE_DAY = {"from": "2025-03-11", "to": "2025-03-11"}
# Another quiet day for the hostile ids, so they do not change the hand-made day's figures.
ODD_DAY = dt.datetime(2025, 4, 15, 10, 0, tzinfo=CENTRE_TZ)
SCRIPT = "<script>alert(1)</script>"
TEMPLATE = Path(__file__).resolve().parents[2] / "central_server/console/templates/scorecard_page.html"
MODULE = Path(__file__).resolve().parents[2] / "central_server/console/scorecard.py"


def _touchpoint(event: str, **extra: Any) -> dict[str, Any]:
    return {
        "visit_id": "v" + uuid.uuid4().hex[:12],
        "channel": "kiosk",
        "event": event,
        "at": DAY.isoformat(),
        **extra,
    }


def _item(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "idempotency_key": uuid.uuid4().hex,
        "kind": kind,
        "created_at": DAY.isoformat(),
        "payload": payload,
    }


def _rating(score: int) -> dict[str, Any]:
    return {
        "score": score,
        "detail_codes": ["slow"] if score < 3 else [],
        "text": "",
        "channel": 5,
        "rating_round": 1,
        "rater_type": "individual",
        "service_code": "withdrawal",
        "visit_id": "v1",
        "case_ref": "C" + uuid.uuid4().hex[:12],
        "callback_phone": "13912345678" if score < 3 else None,
    }


def _send(console: Console, terminal: str, *items: dict[str, Any]) -> None:
    kiosk = Kiosk(console.base_url, terminal)
    assert kiosk.authenticate(TERMINALS[terminal].secret).status_code == 200
    results = kiosk.data("POST", "/v1/intake/batch", json={"items": list(items)})["results"]
    assert [r["status"] for r in results] == ["accepted"] * len(items), results


@pytest.fixture(scope="module")
def day(console: Console) -> None:
    """Hall 1's first kiosk: 4 visits, 2 sign-ins and a failed one, withdrawal completed twice (1 s, 3 s) and
    abandoned once, a loan completed (2 s), ratings 5, 4 and 2, one complaint. Hall 2's kiosk: a visit and
    a deposits look-up completed. The web portal: 2 visits."""
    tp = "touchpoint_event"
    _send(
        console,
        "KIOSK-HALL1-01",
        *(_item(tp, _touchpoint("visit_started")) for _ in range(4)),
        *(_item(tp, _touchpoint("signed_in")) for _ in range(2)),
        _item(tp, _touchpoint("sign_in_failed")),
        _item(tp, _touchpoint("service_completed", service="withdrawal", duration_ms=1000)),
        _item(tp, _touchpoint("service_completed", service="withdrawal", duration_ms=3000)),
        _item(tp, _touchpoint("service_abandoned", service="withdrawal", detail="withdrawal_amount")),
        _item(tp, _touchpoint("service_completed", service="loan", duration_ms=2000)),
        *(_item("rating", _rating(score)) for score in (5, 4, 2)),
        _item(
            "complaint_suggestion",
            {"category": "complaint", "topic": "self_service_kiosk", "text": SCRIPT, "contact_phone": None},
        ),
    )
    _send(
        console,
        "KIOSK-HALL2-01",
        _item(tp, _touchpoint("visit_started")),
        _item(tp, _touchpoint("service_completed", service="deposits", duration_ms=500)),
    )
    web = [{**_touchpoint("visit_started"), "channel": "web"} for _ in range(2)]
    response = requests.post(
        console.base_url + "/v1/channels/touchpoints",
        json={"source": "web-portal", "batch_id": uuid.uuid4().hex, "events": web},
        headers={"Authorization": f"Bearer {DEMO_CHANNEL_TOKEN}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def odd_ids(console: Console) -> None:
    """A system id and a service name that are markup: the intake refuses such names, so straight into the
    store, as a future channel or a bad import could."""
    event = {
        "visit_id": "odd",
        "channel": "web",
        "event": "service_completed",
        "at": ODD_DAY.isoformat(),
        "service": "<img src=x onerror=alert(2)>",
        "screen": None,
        "duration_ms": 100,
        "detail": None,
    }
    with console.app.state.context.db.transaction() as session:
        for name in (SCRIPT, 'x" onload="alert(3)'):
            store.add_touchpoint(
                session, event, source=name, hall="h", citizen_ref=None, received_at=0, created_at=None
            )


def _scorecard_api(console: Console, query: dict[str, str]) -> dict[str, Any]:
    response = requests.get(
        console.base_url + "/v1/admin/scorecard",
        params={k: v for k, v in query.items() if v},
        headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _english(console: Console) -> ConsoleSession:
    viewer = console.session(Role.VIEWER)
    viewer.cookies.set("hpf_console_lang", "en", path="/console")
    return viewer


def _csv(response: requests.Response) -> list[dict[str, str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def _cells(html: str, heading_id: str) -> list[list[str]]:
    """The rows of the first table after the heading, as cell texts."""
    section = html.split(f'id="{heading_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>", 1)[1], re.S)
    return [re.findall(r"<td>(.*?)</td>", row) for row in rows]


# -- the page ------------------------------------------------------------------------------------------


def test_the_page_shows_the_hand_made_day(console: Console, day: None) -> None:
    page = console.session(Role.VIEWER).get("/console/scorecard", params=ONE_DAY)
    assert page.status_code == 200
    html = page.text
    # The cards: 7 visits (4 + 1 + 2 web), 4 of 5 services completed, mean score 11/3 → 66.7.
    for card in (
        '访问人次</div><div class="figure">7<',
        "80.0%",
        "66.7",
        "共 3 条评价",
        "每千人次 142.86 件",
    ):
        assert card in html, card
    assert "办结 4 笔，中途放弃 1 笔" in html and "工单 1 件" in html
    assert _cells(html, "trend") == [["2025-03-11", "7", "2", "80.0%", "66.7", "1"]]
    assert _cells(html, "services") == [
        ["缴存明细", "1", "0", "100.0%", "0.5", "0.5"],
        ["贷款查询", "1", "0", "100.0%", "2.0", "2.0"],
        ["提取", "2", "1", "66.7%", "1.0", "3.0"],
    ]
    assert _cells(html, "satisfaction") == [
        ["1 非常不满意", "0"],
        ["2 不满意", "1"],
        ["3 一般", "0"],
        ["4 满意", "1"],
        ["5 非常满意", "1"],
    ]
    assert [cells[:2] for cells in _cells(html, "kiosks")] == [
        ["KIOSK-HALL1-01", "4"],
        ["KIOSK-HALL2-01", "1"],
        ["web-portal", "2"],
    ]
    charts = re.findall(r'<svg [^>]*class="chart" role="img" aria-label="([^"]+)"', html)
    assert charts == ["各周期访问人次", "各业务办结率", "满意度评分分布", "各终端访问人次"]
    # Values are written on the bars, not told by colour alone.
    assert ">66.7%</text>" in html and ">KIOSK-HALL1-01</text>" in html


def test_one_kiosk_by_week(console: Console, day: None) -> None:
    query = {"from": "2025-03-01", "to": "2025-03-31", "period": "week", "kiosk": "KIOSK-HALL2-01"}
    html = _english(console).get("/console/scorecard", params=query).text
    # The week starts on Monday 10 March; no per-kiosk comparison for one kiosk.
    assert _cells(html, "trend") == [["2025-03-10", "1", "0", "100.0%", "—", "0"]]
    assert 'id="kiosks"' not in html
    assert '<option value="KIOSK-HALL2-01" selected>' in html


def test_the_page_and_the_csv_agree_with_the_json_api(console: Console, day: None) -> None:
    english = _english(console)
    for query in (
        {**ONE_DAY, "period": "day", "kiosk": ""},
        {"from": "2025-03-01", "to": "2025-03-31", "period": "month", "kiosk": ""},
        {"from": "2025-03-01", "to": "2025-03-31", "period": "week", "kiosk": "KIOSK-HALL1-01"},
    ):
        api = _scorecard_api(console, query)
        rows = _csv(english.get("/console/scorecard.csv", params=query))
        scope = [r for r in rows if r["Kiosk"] == (query["kiosk"] or "All kiosks")]
        assert len(scope) == len(api["rows"]) + 1
        for line, expected in zip(scope, [*api["rows"], api["total"]], strict=True):
            assert line == _expected_line(line["Kiosk"], expected)
        html = english.get("/console/scorecard", params=query).text
        total = api["total"]
        assert [cells[1] for cells in _cells(html, "trend")] == [str(r["visits"]) for r in api["rows"]]
        assert f'Visits</div><div class="figure">{total["visits"]}<' in html
        assert f"{total['satisfaction']['ratings']} ratings" in html
        if not query["kiosk"]:
            for kiosk, visits in ((c[0], c[1]) for c in _cells(html, "kiosks")):
                one = _scorecard_api(console, {**query, "kiosk": kiosk})["total"]
                assert visits == str(one["visits"])
                assert [r for r in rows if r["Kiosk"] == kiosk][-1] == _expected_line(kiosk, one)


def _expected_line(kiosk: str, row: dict[str, Any]) -> dict[str, str]:
    """The CSV line GET /v1/admin/scorecard's row should give: every figure, null as a blank."""
    satisfaction, delay, follow = row["satisfaction"], row["outbox_delay"], row["follow_up"]
    values = [
        row["period_start"] or "Total",
        kiosk,
        row["visits"],
        row["sign_ins"],
        row["sign_in_failures"],
        row["services_completed"],
        row["services_abandoned"],
        row["completion_rate"],
        row["idle_timeouts"],
        satisfaction["index"],
        satisfaction["ratings"],
        *(satisfaction["distribution"][str(s)] for s in range(1, 6)),
        row["complaints"],
        row["suggestions"],
        row["complaint_rate_per_1000_visits"],
        row["device_failure_minutes"],
        row["network_failure_minutes"],
        delay["items"],
        delay["median_s"],
        delay["p90_s"],
        follow["cases"],
        follow["callback_on_time"],
        follow["callback_late"],
        follow["callback_timeliness"],
        follow["resolved_on_time"],
        follow["resolved_late"],
        follow["resolution_timeliness"],
    ]
    return {column: "" if v is None else str(v) for column, v in zip(CSV_COLUMNS, values, strict=True)}


# -- the CSV -------------------------------------------------------------------------------------------


def test_the_csv_of_the_hand_made_day(console: Console, day: None) -> None:
    response = console.session(Role.VIEWER).get("/console/scorecard.csv", params={**ONE_DAY, "period": "day"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="scorecard-2025-03-11-2025-03-11-day.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))
    assert lines[0][:4] == ["周期起始日", "终端", "访问人次", "登录成功"]
    assert [line[:8] for line in lines[1:]] == [
        ["2025-03-11", "全部终端", "7", "2", "1", "4", "1", "0.8"],
        ["合计", "全部终端", "7", "2", "1", "4", "1", "0.8"],
        ["2025-03-11", "KIOSK-HALL1-01", "4", "2", "1", "3", "1", "0.75"],
        ["合计", "KIOSK-HALL1-01", "4", "2", "1", "3", "1", "0.75"],
        ["2025-03-11", "KIOSK-HALL2-01", "1", "0", "0", "1", "0", "1.0"],
        ["合计", "KIOSK-HALL2-01", "1", "0", "0", "1", "0", "1.0"],
        ["2025-03-11", "web-portal", "2", "0", "0", "0", "0", ""],
        ["合计", "web-portal", "2", "0", "0", "0", "0", ""],
    ]
    first = dict(zip(lines[0], lines[1], strict=True))
    assert (first["满意度指数"], first["评价条数"], first["2分（不满意）"], first["投诉"]) == (
        "66.7",
        "3",
        "1",
        "1",
    )
    assert (first["每千人次投诉数"], first["回访工单"], first["回访超时"]) == ("142.86", "1", "1")
    one = console.session(Role.VIEWER).get(
        "/console/scorecard.csv", params={**ONE_DAY, "kiosk": "KIOSK-HALL1-01"}
    )
    assert one.headers["content-disposition"].endswith('-day-KIOSK-HALL1-01.csv"')
    assert len(_csv(one)) == 2  # the day and the total, no per-kiosk section


# -- filters, roles, escaping --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2025-03-12", "to": "2025-03-11"}, "开始日期不能晚于结束日期。"),
        ({"from": "11/03/2025"}, "日期须为有效日期，格式为 YYYY-MM-DD。"),
        ({"to": "2025-02-30"}, "日期须为有效日期，格式为 YYYY-MM-DD。"),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "一次最多查询 731 天。"),
        ({"period": "year"}, "请选择按日、按周或按月统计。"),
        ({"kiosk": "K" * 65}, "终端编号最长 64 个字符。"),
    ],
)
def test_bad_filters_are_the_page_with_one_line_and_400(
    console: Console, query: dict[str, str], message: str
) -> None:
    viewer = console.session(Role.VIEWER)
    for path in ("/console/scorecard", "/console/scorecard.csv"):
        response = viewer.get(path, params=query)
        assert response.status_code == 400
        assert f'<p class="error" role="alert">{message}</p>' in response.text
        assert "<svg" not in response.text and 'class="cards"' not in response.text


def test_viewers_see_it_and_anonymous_visitors_sign_in_first(console: Console) -> None:
    for role in Role:
        assert console.session(role).get("/console/scorecard").status_code == 200
    anonymous = console.session(None)
    for path in ("/console/scorecard?period=week", "/console/scorecard.csv"):
        response = anonymous.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login?next=/console/scorecard")


def test_ids_and_service_names_from_the_data_are_escaped(console: Console, odd_ids: None) -> None:
    viewer = console.session(Role.VIEWER)
    query = {"from": "2025-04-15", "to": "2025-04-15", "kiosk": ""}
    html = viewer.get("/console/scorecard", params=query).text
    assert "<script>alert" not in html and "<img src=x" not in html and 'x" onload' not in html
    # A bar's full label in its SVG <title> (the text beside the bar is cut to fit).
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;: 0</title>" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html  # a service with no name of ours: its id
    assert "x&#34; onload=&#34;alert(3)" in html
    typed = viewer.get("/console/scorecard", params={**query, "kiosk": SCRIPT}).text
    assert "<script>alert" not in typed and 'value="&lt;script&gt;alert(1)&lt;/script&gt;" selected' in typed
    rows = _csv(_english(console).get("/console/scorecard.csv", params=query))
    assert {r["Kiosk"] for r in rows} >= {SCRIPT, 'x" onload="alert(3)'}  # text in a CSV, quoted by csv


def test_a_kiosk_id_that_excel_would_run_is_text_in_the_csv(console: Console) -> None:
    rows = _csv(_english(console).get("/console/scorecard.csv", params={"kiosk": "=HYPERLINK(1)"}))
    assert {r["Kiosk"] for r in rows} == {"'=HYPERLINK(1)"}


def test_every_word_of_the_pages_has_its_chinese() -> None:
    used = set(re.findall(r't\("((?:[^"\\]|\\.)*)"\)', TEMPLATE.read_text(encoding="utf-8")))
    used |= set(re.findall(r'\bt\("((?:[^"\\]|\\.)*)"\)', MODULE.read_text(encoding="utf-8")))
    used |= set(re.findall(r'return "([^"]+)", \{', MODULE.read_text(encoding="utf-8")))  # filter messages
    used |= {*CSV_COLUMNS, *SCORES.values(), *SERVICES.values(), *PERIOD_NAMES.values()}
    assert len(used) > 80
    missing = sorted(word for word in used if not ZH.get(word))
    assert missing == []
    for word in used:
        assert set(re.findall(r"{\w+}", word)) == set(re.findall(r"{\w+}", ZH[word])), word
