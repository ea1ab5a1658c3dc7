"""Drives the real kiosk through the home screen's services by touch: an appointment booked and cancelled,
a pre-registration online, and, with the link to the centre cut, a pre-registration that waits in the
outbox and is listed as waiting until the link returns and the centre has it. A PNG of every screen.

The demo's parts (reference central as a child process, SAM emulator on a pty, virtual printer), with a
reverse proxy between kiosk and centre that stands for the network: cutting it is pulling the cable.
Run by tests/ui/test_services_flow.py in its own process under Xvfb (Kivy allows one app per process).
Writes `result.json` into the output directory: the steps passed, or the first failure.
"""

from __future__ import annotations

import http.client
import shutil
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from drive_citizen_flow import Driver
from driver_main import drive

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}
# Every service the home screen can offer, in the order of kiosk/remote_config/schema.py (no remote
# configuration is applied in this run, so that order stands).
TEN_TILES = [
    "账户查询",
    "缴存明细",
    "贷款查询",
    "公积金提取",
    "预约办理",
    "业务预登记",
    "打印证明",
    "修改密码",
    "业务进度",
    "投诉建议",
]


class CuttableLink:
    """The network between kiosk and centre: a reverse proxy on loopback. `cut()` closes every connection
    as it arrives, before a byte of the request is read (the kiosk sees what a pulled cable gives it: no
    answer); `restore()` lets requests through again."""

    def __init__(self, upstream: str) -> None:
        target = urlsplit(upstream)
        host, port = target.hostname or "127.0.0.1", target.port or 80
        self._cut = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                upstream = http.client.HTTPConnection(host, port, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
                    upstream.request(self.command, self.path, body=body or None, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                finally:
                    upstream.close()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = _forward

            def log_message(self, *_args: object) -> None:  # the centre logs its own requests
                pass

        link = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request: Any, client_address: Any) -> bool:
                return not link._cut.is_set()

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="cuttable-link", daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def cut(self) -> None:
        self._cut.set()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ServicesDriver(Driver):
    def __init__(self, app: Any, out: Path, parts: Any, link: CuttableLink) -> None:
        super().__init__(app, out, parts)
        self.link = link

    def shot(self, name: str) -> None:
        super().shot(f"svc_{name}")

    def tile_titles(self) -> list[str]:
        return self.ui(lambda: [tile.title for tile in reversed(self.app.screen("home").ids.tiles.children)])

    def tiles_fit(self) -> bool:
        """All tiles are on the screen at once: the grid is no taller than the room it has."""

        def fits() -> bool:
            grid = self.app.screen("home").ids.tiles
            return grid.height <= grid.parent.height + 1

        return self.ui(fits)

    def in_english(self, shot: str) -> None:
        """A PNG of the screen in English, then back to Chinese."""
        self.tap_text("English")
        self.wait_for("English", lambda: self.app.locale == "en")
        self.shot(shot)
        self.tap_text("中文")
        self.wait_for("Chinese", lambda: self.app.locale == "zh_CN")

    def wait_loaded(self, screen: str) -> None:
        self.wait_screen(screen)
        self.wait_for(f"{screen} loaded", lambda: not self.app.screen(screen).loading)

    def sign_in(self) -> None:
        self.place_card(lambda c: not c.tags)
        self.wait_screen("password")
        self.type_password("123456")

    def end_visit_and_take_card(self) -> None:
        self.wait_screen("goodbye")
        self.remove_card()
        self.wait_screen("attract", timeout=10)

    def new_jobs(self, before: int) -> list[Any]:
        jobs = self.parts.printer.wait_for_jobs(before + 1)
        return jobs[before:]

    def jobs_so_far(self) -> int:
        return len(self.parts.printer.jobs)

    # -- the flow -------------------------------------------------------------------------------------

    def run(self) -> None:
        self.wait_screen("attract")
        self.wait_for_parts()
        self.home_in_every_size()
        self.book_an_appointment()
        self.cancel_it()
        self.pre_register_online()
        self.pre_register_offline_and_see_it_arrive()

    def home_in_every_size(self) -> None:
        app = self.app
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        titles = self.tile_titles()
        self.check(f"all ten services in the configured order, got {titles}", titles == TEN_TILES)
        self.check("ten tiles fit the screen", self.tiles_fit())
        self.shot("01_home")
        self.tap_text("大字")
        self.wait_for("large text", lambda: app.text_scale > 1)
        self.check("ten tiles fit in large text", self.tiles_fit())
        self.shot("02_home_large_text")
        self.tap_text("English")
        self.wait_for("English", lambda: app.locale == "en")
        self.check("ten tiles fit in large English text", self.tiles_fit())
        self.shot("03_home_english_large_text")
        self.tap_text("Normal text")
        self.wait_for("normal text", lambda: app.text_scale == 1)
        self.shot("04_home_english")
        self.tap_text("中文")
        self.wait_for("Chinese", lambda: app.locale == "zh_CN")

    def book_an_appointment(self) -> None:
        app = self.app
        self.tap_text("预约办理")
        self.wait_screen("card")
        self.sign_in()
        self.wait_loaded("appointment")
        self.shot("05_appointment_business")
        # Three offices take withdrawals: the citizen picks one.
        self.tap_text("住房公积金提取")
        self.wait_screen("appointment_office")
        self.shot("06_appointment_office")
        self.tap_text("返回")
        self.wait_loaded("appointment")
        # One office handles changes of personal details: no question to ask.
        self.tap_text("个人信息变更")
        self.wait_loaded("appointment_slots")
        slots = app.screen("appointment_slots")
        self.check("straight to the times of the only office", self.ui(lambda: slots.office.code) == "CESHI")
        self.shot("07_appointment_slots")
        self.tap_text("大字")
        self.tap_text("English")
        self.wait_for("large English text", lambda: app.text_scale > 1 and app.locale == "en")
        self.shot("07b_appointment_slots_large_english")
        self.tap_text("Normal text")
        self.tap_text("中文")
        self.wait_for("normal Chinese text", lambda: app.text_scale == 1 and app.locale == "zh_CN")
        free = self.ui(
            lambda: next(c.title for c in reversed(slots.ids.slot_grid.children) if not c.disabled)
        )
        self.tap_text(free)
        self.wait_for("the chosen time", lambda: slots.chosen_slot == free)
        self.shot("08_appointment_time_chosen")
        before = self.jobs_so_far()
        self.tap_text(self.ui(lambda: app.t("Book {when}").format(when=slots.chosen_text())))
        self.wait_screen("appointment_booked")
        booked = self.ui(lambda: app.screen("appointment_booked").booked)
        (slip,) = self.new_jobs(before)
        number = booked.appointment.call_number
        self.check(f"the slip names call number {number}", slip.complete and number in slip.text)
        self.check("the time booked is on the slip", free in slip.text)
        self.shot("09_appointment_booked")
        self.in_english("09c_appointment_booked_english")
        shutil.copy(slip.png, self.out / "svc_09b_appointment_slip.png")
        self.booked_number = number
        offered = self.leave("完成", {"appointment": "满意"})
        self.check(f"the booking offered for rating, got {offered}", offered == ["appointment"])
        self.check("the goodbye reminds of the slip", self.ui(lambda: app.screen("goodbye").receipt))
        self.shot("10_goodbye_with_slip")
        self.end_visit_and_take_card()

    def cancel_it(self) -> None:
        app = self.app
        self.sign_in()
        self.wait_screen("overview")
        self.tap_text("首页")
        self.wait_screen("home")
        self.tap_text("预约办理")
        self.wait_loaded("appointment")
        self.tap_text("我的预约")
        self.wait_loaded("my_appointments")
        mine = app.screen("my_appointments")
        numbers = self.ui(lambda: [(a.call_number, a.state) for a in mine.mine])
        self.check(f"the booking is listed, got {numbers}", (self.booked_number, "booked") in numbers)
        self.shot("11_my_appointments")
        self.tap_text("取消此预约")
        self.wait_for("the question", lambda: mine._confirm is not None)
        self.shot("12_cancel_question")
        before = self.jobs_so_far()
        self.tap_text("取消预约")
        self.wait_for("the cancellation", lambda: mine.messages != [] and not mine.loading)
        (slip,) = self.new_jobs(before)
        self.check("the cancellation slip names the call number", self.booked_number in slip.text)
        states = self.ui(lambda: {a.call_number: a.state for a in mine.mine})
        self.check(f"listed as cancelled, got {states}", states.get(self.booked_number) == "cancelled")
        self.shot("13_appointment_cancelled")
        shutil.copy(slip.png, self.out / "svc_13b_cancellation_slip.png")
        self.tap_text("返回")
        self.wait_loaded("appointment")
        self.tap_text("首页")
        self.wait_screen("home")

    def pre_register_online(self) -> None:
        app = self.app
        self.tap_text("业务预登记")
        self.wait_loaded("pre_registration")
        self.shot("14_pre_registration_business")
        self.tap_text("公积金转移接续")
        self.wait_screen("pre_registration_checklist")
        self.shot("15_pre_registration_checklist")
        before = self.jobs_so_far()
        self.tap_text("确认预登记")
        self.wait_screen("pre_registration_done")
        registered = self.ui(lambda: app.screen("pre_registration_done").registered)
        self.check(f"the centre has it, got {registered.answer}", registered.answer == "accepted")
        (slip,) = self.new_jobs(before)
        self.check("the slip carries the code", registered.code in slip.text)
        self.shot("16_pre_registered")
        offered = self.leave("完成")
        self.check(f"the pre-registration offered for rating, got {offered}", offered == ["pre_registration"])
        self.end_visit_and_take_card()

    def pre_register_offline_and_see_it_arrive(self) -> None:
        app = self.app
        runtime = app.runtime
        self.sign_in()
        self.wait_screen("overview")
        self.link.cut()
        self.tap_text("首页")
        self.wait_screen("home")
        self.tap_text("预约办理")
        self.wait_screen("appointment_unavailable")
        self.shot("17_booking_needs_the_centre")
        self.tap_text("改为业务预登记")
        self.wait_loaded("pre_registration")
        self.tap_text("个人住房贷款申请")
        self.wait_screen("pre_registration_checklist")
        before = self.jobs_so_far()
        self.tap_text("确认预登记")
        self.wait_screen("pre_registration_done")
        registered = self.ui(lambda: app.screen("pre_registration_done").registered)
        self.check(f"it waits in this kiosk, got {registered.answer}", registered.answer == "waiting")
        (slip,) = self.new_jobs(before)
        self.check("the slip carries the code", registered.code in slip.text)
        self.shot("18_pre_registered_offline")
        shutil.copy(slip.png, self.out / "svc_18b_pre_registration_slip_offline.png")

        self.tap_text("首页")
        self.wait_screen("home")
        self.tap_text("业务进度")
        self.wait_loaded("applications")
        listing = self.ui(lambda: app.screen("applications").listing)
        self.check("the listing says the centre was not asked", not listing.complete)
        mine = [item for item in listing.items if item.number == registered.code]
        self.check(f"listed once, waiting to be sent: {mine}", [i.state for i in mine] == ["waiting_to_send"])
        self.shot("19_applications_offline")

        self.link.restore()
        self.wait_for(
            "the forwarder to deliver it",
            lambda: runtime.outbox is not None and not runtime.outbox.waiting(("pre_registration",)),
            timeout=30,
        )
        self.tap_text("首页")
        self.wait_screen("home")
        self.tap_text("业务进度")
        self.wait_loaded("applications")
        listing = self.ui(lambda: app.screen("applications").listing)
        mine = [item for item in listing.items if item.number == registered.code]
        self.check("the listing is the centre's again", listing.complete)
        self.check(f"the centre's state for the same code: {mine}", [i.state for i in mine] == ["waiting"])
        self.shot("20_applications_delivered")
        self.tap_text("大字")
        self.in_english("20b_applications_english_large_text")
        self.tap_text("标准字")
        offered = self.leave("退出")
        done = ["pre_registration", "status"]
        self.check(f"each service done offered for rating, got {offered}", offered == done)


def main() -> int:
    return drive(
        ServicesDriver,
        session={"idle_timeout_s": 300, "countdown_s": 10},
        # Retries within a second once the link is back, not the field's minutes.
        outbox={"retry_cap_s": 1.0},
        front=CuttableLink,
    )


if __name__ == "__main__":
    sys.exit(main())
