"""Drives the real kiosk through 投诉建议 by touch, without an ID card: the home screen's ten tiles (normal
and large text, Chinese and English), a complaint with a callback phone (shown masked), its slip on the
virtual printer with the reference the result screen shows, Finish; then a suggestion without a phone in
large English text. A PNG of every screen; what was enqueued is checked (a spy around the real outbox).

Run by tests/ui/test_complaint_flow.py in its own process under Xvfb (Kivy allows one app per process).
Writes `result.json` into the output directory: the steps passed, or the first failure.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from drive_citizen_flow import Driver
from driver_main import drive

PHONE = "13812345678"  # synthetic
MASKED = "138****5678"
KIND = "complaint_suggestion"


class ComplaintDriver(Driver):
    def __init__(self, app: Any, out: Path, parts: Any) -> None:
        super().__init__(app, out, parts)
        self.enqueued: list[tuple[dict[str, Any], str | None]] = []

    def shot(self, name: str) -> None:
        super().shot(f"cs_{name}")

    def spy_on_the_outbox(self) -> None:
        outbox = self.app.runtime.outbox
        real = outbox.enqueue

        def enqueue(kind: str, payload: dict[str, Any], key: str | None = None,
                    visit_ticket: str | None = None) -> Any:
            if kind == KIND:
                self.enqueued.append((payload, visit_ticket))
            return real(kind, payload, key, visit_ticket=visit_ticket)

        outbox.enqueue = enqueue

    def texts(self) -> list[str]:
        screen = self.app.sm.current_screen
        return self.ui(lambda: [str(getattr(w, "text", "")) for w in screen.walk(restrict=True)])

    def tiles_fit(self) -> bool:
        """All ten tiles are on the screen at once: the grid is no taller than the room it has."""

        def fits() -> bool:
            grid = self.app.screen("home").ids.tiles
            return len(grid.children) == 10 and grid.height <= grid.parent.height + 1

        return self.ui(fits)

    def set_text(self, large: bool, english: bool) -> None:
        app = self.app
        if large != (app.text_scale > 1):
            label = "Large text" if large else "Normal text"
            self.tap_text(label if app.locale == "en" else self.t(label))
            self.wait_for("the text size", lambda: (app.text_scale > 1) == large)
        if english != (app.locale == "en"):
            self.tap_text("English" if english else "中文")
            self.wait_for("the language", lambda: (app.locale == "en") == english)

    def home_in_every_size(self) -> None:
        for large, english, name in (
            (False, False, "01_home"),
            (True, False, "02_home_large_text"),
            (True, True, "03_home_english_large_text"),
            (False, True, "04_home_english"),
        ):
            self.set_text(large, english)
            self.check(f"ten tiles fit ({name})", self.tiles_fit())
            self.shot(name)
        self.set_text(False, False)

    def type_phone(self, digits: str) -> None:
        for digit in digits:

            def key(d: str = digit) -> Any:
                keypad = self.app.screen("complaint_phone")._keypad
                return next(k for k in keypad.children if getattr(k, "digit", None) == d)

            self.tap(key)

    def complaint_with_a_phone(self) -> None:
        app = self.app
        self.tap_text("投诉建议")
        self.wait_screen("complaint")  # no ID card asked for
        self.shot("05_category")
        self.tap_text("投诉")
        self.wait_screen("complaint_topic")
        self.shot("06_topics")
        self.tap_text("自助终端")
        self.wait_screen("complaint_phone")
        self.shot("07_phone_empty")
        self.type_phone(PHONE)
        self.wait_for("a valid phone", lambda: app.screen("complaint_phone").typed_ok)
        self.shot("08_phone_typed")
        self.tap_text("确定")
        self.wait_screen("complaint_confirm")
        texts = self.texts()
        self.check("the phone is shown masked", any(MASKED in text for text in texts))
        self.check("the full phone is not on the screen", not any(PHONE in text for text in texts))
        self.shot("09_confirm")
        self.tap_text("提交")
        self.wait_screen("complaint_done")
        lodged = self.ui(lambda: app.screen("complaint_done").lodged)
        self.check(f"filed and printed: {lodged}", lodged.answer == "accepted" and lodged.printed)
        texts = self.texts()
        self.check("the reference is shown", lodged.reference in texts)
        self.check("the call back is promised to the masked phone", any(MASKED in text for text in texts))
        self.shot("10_done")
        (job,) = self.parts.printer.wait_for_jobs(1)
        self.check("the slip was printed to the end", job.complete)
        self.check("the slip carries the reference", lodged.reference in job.text)
        self.check("the slip masks the phone", MASKED in job.text and PHONE not in job.text)
        shutil.copy(job.png, self.out / "cs_10b_printed_slip.png")
        self.tap_text("完成")
        self.wait_screen("goodbye")  # nothing to rate: a complaint is not rated
        self.check(
            "an anonymous visit's goodbye asks for no ID card",
            not self.ui(lambda: app.screen("goodbye").id_card),
        )
        self.shot("11_goodbye")
        self.wait_screen("attract", timeout=20)

        self.wait_for("the complaint enqueued", lambda: len(self.enqueued) == 1)
        payload, ticket = self.enqueued[0]
        self.check(
            f"the complaint per the contract: {payload}",
            set(payload) == {"category", "topic", "text", "contact_phone", "visit_id"}
            and (payload["category"], payload["topic"]) == ("complaint", "self_service_kiosk")
            and payload["contact_phone"] == PHONE
            and payload["text"] == "自助终端使用不便或出现故障。",
        )
        self.check("an anonymous complaint carries no ticket", ticket is None)

    def suggestion_in_large_english(self) -> None:
        app = self.app
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.set_text(True, True)
        self.tap_text("Complaints and suggestions")
        self.wait_screen("complaint")
        self.shot("12_category_english_large")
        self.tap_text("Suggestion")
        self.wait_screen("complaint_topic")
        self.shot("13_topics_english_large")
        self.tap_text("Appointments")
        self.wait_screen("complaint_phone")
        self.shot("14_phone_english_large")
        self.tap_text("No call back")
        self.wait_screen("complaint_confirm")
        self.shot("15_confirm_english_large")
        self.tap_text("Submit")
        self.wait_screen("complaint_done")
        lodged = self.ui(lambda: app.screen("complaint_done").lodged)
        self.check("a suggestion, no phone", lodged.category == "suggestion" and not lodged.masked_phone)
        self.shot("16_done_english_large")
        self.tap_text("Finish")
        self.wait_screen("goodbye")
        self.set_text(False, False)
        self.wait_for("the suggestion enqueued", lambda: len(self.enqueued) == 2)
        payload, ticket = self.enqueued[1]
        self.check(f"no phone, no ticket: {payload}", "contact_phone" not in payload and ticket is None)

    def run(self) -> None:
        app = self.app
        self.wait_screen("attract")
        self.wait_for(
            "the outbox and printer",
            lambda: app.runtime.outbox is not None and app.runtime.printing is not None,
            30,
        )
        self.spy_on_the_outbox()
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.home_in_every_size()
        self.complaint_with_a_phone()
        self.suggestion_in_large_english()


def main() -> int:
    return drive(
        lambda app, out, parts, _front: ComplaintDriver(app, out, parts),
        session={"idle_timeout_s": 300, "countdown_s": 10},
    )


if __name__ == "__main__":
    sys.exit(main())
