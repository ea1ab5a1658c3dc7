"""Drives the real kiosk through 好差评 by touch: a query, Exit, the rating screen, 非常不满意 with a reason
and a callback phone (shown masked), then the goodbye; a second visit skips the rating in one tap. A PNG
of every new screen; what was enqueued is checked (a spy around the real outbox's enqueue).

Run by tests/ui/test_feedback_flow.py in its own process under Xvfb (Kivy allows one app per process).
Writes `result.json` into the output directory: the steps passed, or the first failure.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from drive_citizen_flow import Driver
from driver_main import drive

PHONE = "13812345678"  # synthetic


class FeedbackDriver(Driver):
    def __init__(self, app: Any, out: Path, parts: Any) -> None:
        super().__init__(app, out, parts)
        self.enqueued: list[tuple[str, dict[str, Any], str | None]] = []

    def shot(self, name: str) -> None:
        super().shot(f"fb_{name}")

    def spy_on_the_outbox(self) -> None:
        outbox = self.app.runtime.outbox
        real = outbox.enqueue

        def enqueue(kind: str, payload: dict[str, Any], key: str | None = None,
                    visit_ticket: str | None = None) -> Any:
            self.enqueued.append((kind, payload, visit_ticket))
            return real(kind, payload, key, visit_ticket=visit_ticket)

        outbox.enqueue = enqueue

    def query_then_exit(self) -> None:
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.tap_text("账户查询")
        self.wait_screen("card")
        self.place_card(lambda c: not c.tags)
        self.wait_screen("password")
        self.type_password("123456")
        self.wait_screen("overview")
        self.wait_for("overview loaded", lambda: not self.app.screen("overview").loading)
        self.tap_text("退出")
        self.wait_screen("rating")

    def check_heading_shown(self, step: str) -> None:
        """The title and the 服务事项 line sit between the header and the bottom of the window: a hidden step
        that kept its height once pushed them off the top."""

        def placed() -> list[bool]:
            widgets = list(self.app.sm.current_screen.walk(restrict=True))
            header = next(w for w in widgets if type(w).__name__ == "Header")
            texts = ("KTitle", "KText", "KLead")
            lines = [w for w in widgets if type(w).__name__ in texts and w.text.strip()]
            service = next(w for w in lines if "服务事项" in w.text)
            return [w.y >= 0 and w.top <= header.y + 1 for w in (lines[0], service)]

        self.check(f"the title and the service line show on the {step} step", all(self.ui(placed)))

    def type_phone(self, digits: str) -> None:
        for digit in digits:

            def key(d: str = digit) -> Any:
                keypad = self.app.screen("rating")._keypad
                return next(k for k in keypad.children if getattr(k, "digit", None) == d)

            self.tap(key)

    def run(self) -> None:
        app = self.app
        self.wait_screen("attract")
        self.wait_for("the outbox", lambda: app.runtime.outbox is not None, 30)
        self.spy_on_the_outbox()

        self.query_then_exit()
        self.shot("01_rating_levels")
        self.tap_text("非常不满意")
        self.wait_for("the reasons", lambda: app.screen("rating").step == "reasons")
        self.check_heading_shown("reasons")
        self.shot("02_rating_reasons")
        self.tap_text("问题没有解决")
        self.tap_text("留下电话号码")
        self.wait_for("the phone keypad", lambda: app.screen("rating").step == "phone")
        self.type_phone(PHONE)
        self.check_heading_shown("phone")
        self.shot("03_rating_phone")
        self.tap_text("确定")
        self.wait_for("the reasons again", lambda: app.screen("rating").step == "reasons")
        texts = self.ui(lambda: [getattr(w, "text", "") for w in app.sm.current_screen.walk(restrict=True)])
        self.check("the phone is shown masked", any("138****5678" in text for text in texts))
        self.check("the full phone is not on the screen", not any(PHONE in text for text in texts))
        self.shot("04_rating_reasons_with_phone")
        self.tap_text("提交")
        self.wait_screen("goodbye")
        self.shot("05_goodbye_after_rating")
        self.remove_card()
        self.wait_screen("attract", timeout=15)

        ratings = lambda: [(p, t) for kind, p, t in self.enqueued if kind == "rating"]  # noqa: E731
        self.wait_for("the rating enqueued", lambda: len(ratings()) == 1)
        payload, ticket = ratings()[0]
        self.check(f"the rating per the contract: {payload}", payload["score"] == 1
                   and payload["detail_codes"] == ["not_solved"] and payload["callback_phone"] == PHONE
                   and payload["service_code"] == "overview"
                   and payload["case_ref"] == f"overview-{payload['visit_id']}" and ticket is not None)

        self.query_then_exit()
        self.tap_text("跳过")
        self.wait_screen("goodbye")
        self.remove_card()
        self.wait_screen("attract", timeout=15)
        self.check("a skipped rating files nothing", len(ratings()) == 1)


def main() -> int:
    return drive(
        lambda app, out, parts, _front: FeedbackDriver(app, out, parts),
        session={"idle_timeout_s": 300, "countdown_s": 10},
    )


if __name__ == "__main__":
    sys.exit(main())
