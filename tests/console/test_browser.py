"""The console in a real browser (Debian's chromium, headless, driven by Playwright), as an operator uses
it: sign in, see the fleet with one kiosk live and one offline, upload a bundle signed offline and start a
rollout to the live kiosk's hall, watch the kiosk (the real fleet agent and configuration service) apply it,
read the scorecard, close a follow-up case. Every page is checked by axe-core against WCAG 2.1 A and AA and
saved as a PNG in artifacts/screens/console/."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from central_server.console import accounts
from central_server.fleet.models import KioskStatus
from kiosk.remote_config.bundle import load_private_key, load_trusted_keys, sign_bundle
from tests.central.helpers import Kiosk
from tests.console.browser import OFFICE_SCREEN, accessibility_violations, chromium, shoot
from tests.console.conftest import TERMINALS, USERS, Console, running_console
from tests.console.filing import rate
from tests.remote_config.conftest import example_config
from tests.remote_config.emulated_kiosk import EmulatedKiosk

LIVE, OFFLINE = "KIOSK-HALL1-01", "KIOSK-HALL1-02"


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A centre of this module's own: the rollout below must be version 1, and the fleet just these kiosks."""
    with running_console(tmp_path_factory.mktemp("operator-keys")) as running:
        yield running


@pytest.fixture(scope="module")
def page(centre: Console) -> Iterator[Page]:
    with chromium() as browser:
        context = browser.new_context(viewport=OFFICE_SCREEN, locale="zh-CN")
        tab = context.new_page()
        errors: list[str] = []
        tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        tab.on("pageerror", lambda error: errors.append(str(error)))
        yield tab
        # A script the policy refused, or one that failed, shows here.
        assert errors == []


def look(page: Page, name: str) -> None:
    """Judge the page as it is now: no WCAG 2.1 A/AA violation, and a PNG to look at."""
    page.wait_for_load_state("networkidle")
    assert accessibility_violations(page) == [], name
    shoot(page, name)


def test_an_operator_runs_the_fleet_from_the_browser(centre: Console, page: Page, tmp_path: Path) -> None:
    # Two kiosks of hall-1 with the real fleet agent and configuration service: one live, one that went
    # quiet an hour ago.
    trusted = load_trusted_keys([centre.signing_key.with_suffix(".pub")])
    live, quiet = (
        EmulatedKiosk(centre.server, tid, "hall-1", trusted, tmp_path, secret=TERMINALS[tid].secret)
        for tid in (LIVE, OFFLINE)
    )
    live.agent.send_heartbeat()
    quiet.agent.send_heartbeat()
    an_hour_ago = int((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).timestamp())
    with centre.app.state.context.db.transaction() as session:
        session.get(KioskStatus, OFFLINE).last_seen = an_hour_ago  # type: ignore[union-attr]
    # A citizen at the live kiosk taps 呼叫工作人员.
    caller = Kiosk(centre.base_url, LIVE)
    assert caller.authenticate(TERMINALS[LIVE].secret).status_code == 200
    call = {"terminal_id": LIVE, "screen": "withdrawal_amount", "at": dt.datetime.now(dt.UTC).isoformat()}
    call_id = caller.data("POST", "/v1/terminal/help-requests", json=call)["id"]

    page.goto(centre.base_url + "/console")
    expect(page).to_have_url(re.compile(r"/console/login\?next="))
    look(page, "c01_sign_in")
    username, password = USERS[accounts.Role.ADMINISTRATOR]
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(re.compile(r"/console/fleet$"))
    live_row = page.locator("tr:not([id^=help-])", has_text=LIVE)  # its row in the grid, not its call
    offline_row = page.locator("tr", has_text=OFFLINE)
    expect(offline_row).to_have_class(re.compile(r"\bbad\b"))
    expect(offline_row).to_contain_text("离线")
    expect(live_row).to_contain_text("在线")
    expect(live_row).to_contain_text("群众呼叫工作人员")
    calling = page.locator(f"#help-{call_id}")
    expect(calling).to_contain_text("withdrawal_amount")
    look(page, "c02_fleet")
    calling.get_by_role("button", name="已派人前往").click()
    expect(page).to_have_url(re.compile(r"/console/fleet$"))
    expect(page.locator(f"#help-{call_id}")).not_to_contain_text("已派人前往")
    look(page, "c02b_fleet_call_acknowledged")
    page.locator(f"#help-{call_id}").get_by_role("button", name="已协助，结束呼叫").click()
    expect(page.locator(f"#help-{call_id}")).to_have_count(0)
    page.get_by_role("link", name=LIVE).first.click()
    expect(page).to_have_url(re.compile(rf"/console/fleet/{LIVE}$"))
    look(page, "c03_kiosk")

    # A bundle signed offline (kiosk-admin sign), uploaded, rolled out to hall-1; the live kiosk applies it.
    bundle = sign_bundle(example_config(), version=1, target="all", key=load_private_key(centre.signing_key))
    signed = tmp_path / "v1.json"
    signed.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")
    page.goto(centre.base_url + "/console/rollouts/new")
    look(page, "c04_rollout_upload")
    page.locator("#bundle").set_input_files(str(signed))
    page.locator("#stages").fill("hall-1")
    page.locator("form").filter(has=page.locator("#bundle")).locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/console/rollouts/1$"))
    assert live.poll().outcome == "healthy"
    live.agent.send_heartbeat()
    page.reload()
    expect(page.locator("main")).to_contain_text("1 / 2")  # one of hall-1's two kiosks healthy on v1
    look(page, "c05_rollout_progress")
    page.goto(centre.base_url + "/console/fleet")
    expect(page.locator("tr", has_text=LIVE)).to_contain_text("v1")

    page.goto(centre.base_url + "/console/scorecard")
    look(page, "c06_scorecard")

    # A citizen rated a visit 1: the case is worked and closed from the browser.
    kiosk = Kiosk(centre.base_url, LIVE)
    kiosk.authenticate(TERMINALS[LIVE].secret)
    rate(kiosk, dt.datetime.now(dt.UTC))
    page.goto(centre.base_url + "/console/cases")
    look(page, "c07_cases")
    page.locator("tbody tr a").first.click()
    look(page, "c08_case")
    page.locator("#resolution").fill("已电话回访，群众表示满意。")
    page.get_by_role("button", name="办结工单").click()
    expect(page.locator("main")).to_contain_text("已办结")
    look(page, "c09_case_closed")

    for path, name in (
        ("/console/alerts", "c10_alerts"),
        ("/console/customers", "c11_customers"),
        ("/console/terminals", "c11b_terminals"),
        ("/console/operators", "c11d_operators"),
        ("/console/rollouts/prepare", "c11c_prepare_configuration"),
    ):
        page.goto(centre.base_url + path)
        look(page, name)
    page.goto(centre.base_url + "/console/audit")
    expect(page.locator("main")).to_contain_text("rollout_start")
    look(page, "c12_operator_log")
    page.get_by_role("link", name="English").click()
    page.goto(centre.base_url + "/console/fleet")
    expect(page.locator("h1")).to_contain_text("Kiosk fleet")
    look(page, "c13_fleet_english")
