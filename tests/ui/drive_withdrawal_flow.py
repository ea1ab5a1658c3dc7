"""Drives the real kiosk (the demo's parts: reference centre as a child process, SAM emulator on a pty,
the demo's own pcscd with vpcd as the bank card reader, virtual printer) through a withdrawal, a
certificate and a password change with simulated touches, saving a PNG of every screen.

Run by tests/ui/test_withdrawal_flow.py in its own process under Xvfb (Kivy allows one app per process).
Writes `result.json` into the output directory: the steps passed and what the test checks afterwards, or
the first failure.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

import requests
from drive_citizen_flow import Driver
from driver_main import drive

from kiosk.central import CentralError

RENT = "01"
PASSWORD = "123456"
WEAK_PASSWORD = "111111"  # one digit six times: the centre refuses it
NEW_PASSWORD = "258147"
_VERIFICATION_CODE = re.compile(r"验证码：(\S+)")


class WithdrawalDriver(Driver):
    def __init__(self, app: Any, out: Path, parts: Any) -> None:
        super().__init__(app, out, parts)
        self.facts: dict[str, Any] = {}
        self.bank_card_reminded = False

    # -- helpers --------------------------------------------------------------------------------------

    def rent_citizen(self) -> tuple[Any, Any]:
        """A synthetic citizen whom the centre lets withdraw for rent today (no loan, no rent this month),
        asked the way the kiosk asks: a session and the withdrawal options."""
        central = self.app.runtime.central
        for citizen in self.app.runtime.demo.citizens():
            if citizen.tags:
                continue
            try:
                session = central.open_citizen_session(citizen.card.id_number, citizen.name, PASSWORD)
            except CentralError:  # the one seeded citizen with another password
                continue
            try:
                options = central.withdrawal_options(session.session_token)
            finally:
                central.close_citizen_session(session.session_token)
            rent = next(o for o in options.options if o.code == RENT)
            if rent.allowed and rent.max_fen >= 200_000:
                return citizen, options
        raise AssertionError("no seeded citizen may withdraw for rent today")

    def tap_service(self, service: str) -> None:
        """A tile of the home menu, by the service it opens (its title is the home screen's business)."""

        def tile() -> Any:
            return next(
                (
                    w
                    for w in self.app.sm.current_screen.walk(restrict=True)
                    if getattr(w, "service", None) == service
                ),
                None,
            )

        self.wait_for(f"the home tile {service}", lambda: tile() is not None and not tile().disabled)
        self.tap(tile)

    def tap_widget(self, what: str, find: Any) -> None:
        self.wait_for(what, lambda: find() is not None and not find().disabled)
        self.tap(find)

    def panel(self) -> Any:
        return self.app.root.children[0]

    def staff_inserts(self, button: str, prefix: str) -> None:
        """The demo's staff put a bank card in the emulated reader, and wait until it is there."""
        self.tap_text(self.t(button), where="root")
        self.wait_for(f"the demo panel to insert a {prefix} card", lambda: prefix in self.panel().status)

    def type_digits(self, screen: str, digits: str) -> None:
        for digit in digits:

            def key(d: str = digit) -> Any:
                keypad = self.app.screen(screen)._keypad
                return next(k for k in keypad.children if getattr(k, "digit", None) == d)

            self.tap(key)

    def type_amount(self, text: str) -> None:
        for key in text:
            self.tap_widget(
                f"the amount key {key}",
                lambda k=key: next(
                    (
                        w
                        for w in self.app.screen("withdrawal_amount").walk(restrict=True)
                        if getattr(w, "key", None) == k
                    ),
                    None,
                ),
            )

    def sign_in_for(self, service: str, name: str) -> None:
        """From the attract screen: start, choose the service, place the card, type the password."""
        self.tap_text("点击屏幕开始")
        self.wait_screen("home")
        self.tap_service(service)
        self.wait_screen("card")
        self.place_card(lambda c: c.name == name)
        self.wait_screen("password")
        self.type_password(PASSWORD)

    def leave_through_goodbye(self, shot: str | None = None) -> bool:
        self.wait_screen("goodbye")
        receipt = self.ui(lambda: self.app.screen("goodbye").receipt)
        self.bank_card_reminded = self.ui(lambda: self.app.screen("goodbye").bank_card)
        if shot:
            self.shot(shot)
        self.check("the visit is wiped", self.ui(lambda: self.app.runtime.citizen.holder is None))
        self.remove_card()
        self.wait_screen("attract", timeout=10)
        return receipt

    # -- the flows ------------------------------------------------------------------------------------

    def run(self) -> None:
        self.wait_screen("attract")
        citizen, options = self.rent_citizen()
        self.withdrawal(citizen, options)
        self.certificate(citizen)
        self.password_change(citizen)

    def withdrawal(self, citizen: Any, options: Any) -> None:
        app = self.app
        rent = next(o for o in options.options if o.code == RENT)
        self.sign_in_for("withdrawal", citizen.name)
        self.wait_screen("withdrawal")
        self.wait_for("the reasons", lambda: not app.screen("withdrawal").loading)
        tiles = self.ui(
            lambda: [
                (w.kind, w.title, w.detail)
                for w in app.screen("withdrawal").ids.reasons.children
            ]
        )
        self.check(f"every reason is listed, got {len(tiles)}", len(tiles) == len(options.options))
        counter = [detail for kind, _title, detail in tiles if kind == "note"]
        self.check(
            f"counter-only reasons name the office {options.office}, got {counter}",
            bool(counter) and all(options.office in detail for detail in counter),
        )
        self.check("refused reasons say why", all(d for k, _t, d in tiles if k == "refused"))
        self.shot("w01_reasons")
        self.tap_text("English")
        self.wait_for("English", lambda: app.locale == "en")
        self.shot("w01b_reasons_english")
        self.tap_text("中文")
        self.wait_for("Chinese", lambda: app.locale == "zh_CN")

        self.tap_text(rent.name.zh)
        self.wait_screen("withdrawal_amount")
        self.shot("w02_amount")
        self.type_amount(str(rent.max_fen // 100 + 1))
        self.tap_text("下一步")
        self.wait_for("the amount refused", lambda: app.screen("withdrawal_amount").message != "")
        maximum = self.ui(lambda: app.screen("withdrawal_amount").reason.maximum)
        shown = self.ui(
            lambda: app.t(app.screen("withdrawal_amount").message).format(maximum=maximum)
        )
        self.check(f"the refusal names the maximum, got {shown!r}", maximum in shown)
        self.shot("w03_amount_over_maximum")
        self.tap_text("大字")
        self.wait_for("large text", lambda: app.text_scale > 1)
        self.shot("w03b_amount_large_text")
        self.tap_text("标准字")
        self.wait_for("normal text", lambda: app.text_scale == 1)
        self.tap_text("清空")
        self.type_amount("1000.5")
        self.check("the amount as typed", self.ui(lambda: app.screen("withdrawal_amount").typed) == "1000.5")
        self.tap_text("下一步")

        self.wait_screen("withdrawal_card")
        self.shot("w04_insert_card")
        self.staff_inserts("Insert credit card", "622299")
        self.wait_for("the credit card refused", lambda: app.screen("withdrawal_card").refusal_title != "")
        title = self.ui(lambda: app.screen("withdrawal_card").refusal_title)
        self.check(f"refused as a credit card, got {title!r}", title == "This is a credit card")
        self.shot("w05_credit_card_refused")
        debit = self.staff_inserts_debit()
        self.tap_text("重试")

        self.wait_screen("withdrawal_confirm")
        view = self.ui(lambda: app.screen("withdrawal_confirm").view)
        self.check(f"the card is shown masked, got {view.card_masked}", view.card_masked == debit)
        self.check(f"the amount, got {view.amount}", view.amount == "¥1,000.50")
        self.shot("w06_confirm")
        # An impatient double tap: the button is disabled by the first, and one application is filed.
        confirm = self.ui(lambda: self._find(app.screen("withdrawal_confirm"), "确认提交"))
        self.tap(lambda: confirm)
        self.tap(lambda: confirm)
        self.wait_screen("withdrawal_result", timeout=30)
        submitted = self.ui(lambda: app.screen("withdrawal_result").submitted)
        self.check(f"accepted by the centre, got {submitted.answer}", submitted.answer == "accepted")
        self.check("the slip printed", submitted.printed)
        self.shot("w07_result_accepted")
        (job,) = self.parts.printer.wait_for_jobs(1)
        listing = app.runtime.visit.applications.listing()
        listed = [item for item in listing.items if item.amount == "¥1,000.50"]
        self.check(f"one application filed, got {len(listed)}", len(listed) == 1)
        self.check("under the claim number on the screen", listed[0].number == submitted.claim_number)
        self.check("and one slip printed", len(self.parts.printer.jobs) == 1)
        self.check("the slip carries the claim number", submitted.claim_number in job.text)
        self.check("the slip carries the card masked", debit in job.text)
        shutil.copy(job.png, self.out / "w07b_withdrawal_slip.png")
        self.facts["claim_number"] = submitted.claim_number
        offered = self.leave("完成", {"withdrawal": "非常满意"})
        self.check(f"the withdrawal offered for rating, got {offered}", offered == ["withdrawal"])
        self.facts["goodbye_reminds_receipt"] = self.leave_through_goodbye("w08_goodbye_receipt")
        self.check("the goodbye reminds of the bank card left in its reader", self.bank_card_reminded)

    def staff_inserts_debit(self) -> str:
        """The citizen's own debit card; its number masked, as the demo panel says it."""
        self.staff_inserts("Insert debit card (the citizen's)", "621799")
        masked = re.search(r"621799\*+[0-9]{4}", self.panel().status)
        assert masked is not None
        return masked.group(0)

    def certificate(self, citizen: Any) -> None:
        app = self.app
        self.sign_in_for("certificate", citizen.name)
        self.wait_screen("certificate")
        self.shot("c01_certificates")
        self.tap_text(self.t("Deposit statement"))
        self.wait_screen("certificate_period")
        self.shot("c02_statement_periods")
        self.tap_text("返回")
        self.wait_screen("certificate")
        self.tap_text(self.t("Deposit certificate"))
        self.wait_screen("certificate_result")
        self.wait_for("the certificate", lambda: app.screen("certificate_result").result is not None, 30)
        result = self.ui(lambda: app.screen("certificate_result").result)
        self.check("the certificate printed", result.printed)
        self.shot("c03_certificate_printed")
        job = self.parts.printer.wait_for_jobs(2)[-1]
        shutil.copy(job.png, self.out / "c03b_certificate_paper.png")
        match = _VERIFICATION_CODE.search(job.text)
        self.check("the paper carries a verification code", match is not None)
        assert match is not None
        code = match.group(1)
        self.check(f"paper and screen show one code: {code} / {result.code}", code == result.code)
        page = requests.get(f"{self.parts.base_url}/verify/{code}", timeout=10)
        self.facts["verify_status"] = page.status_code
        self.facts["verification_code"] = code
        offered = self.leave("完成")
        self.check(f"the certificate offered for rating, got {offered}", offered == ["certificate"])
        self.leave_through_goodbye()

    def password_change(self, citizen: Any) -> None:
        app = self.app
        screen = "password_change"
        self.sign_in_for(screen, citizen.name)
        self.wait_screen(screen)
        self.shot("p01_current_password")
        self.type_digits(screen, PASSWORD)
        self.wait_for("the new password step", lambda: app.screen(screen).step == "new")
        self.type_digits(screen, "2581")
        self.shot("p02_new_password")
        self.tap_text("清空")
        self.type_digits(screen, WEAK_PASSWORD)
        self.type_digits(screen, WEAK_PASSWORD)
        self.wait_for("the centre's answer", lambda: app.screen(screen).weak_zh != "")
        self.check("back to the new password", self.ui(lambda: app.screen(screen).step) == "new")
        self.facts["weak_sentence"] = self.ui(lambda: app.screen(screen).weak_zh)
        self.shot("p03_weak_password")
        self.tap_text("English")
        self.wait_for("English", lambda: app.locale == "en")
        self.facts["weak_sentence_en"] = self.ui(
            lambda: app.screen(screen).message_text("", app.screen(screen).weak_zh,
                                                    app.screen(screen).weak_en, app.locale)
        )
        self.shot("p03b_weak_password_english")
        self.tap_text("中文")
        self.wait_for("Chinese", lambda: app.locale == "zh_CN")
        self.type_digits(screen, NEW_PASSWORD)
        self.type_digits(screen, NEW_PASSWORD)
        self.wait_for("the password changed", lambda: app.screen(screen).step == "changed")
        self.shot("p04_password_changed")
        offered = self.leave("完成", {"password_change": "基本满意"})
        self.check(f"the password change offered for rating, got {offered}", offered == ["password_change"])
        self.leave_through_goodbye()

        # The new password is the one that signs in now.
        self.place_card(lambda c: c.name == citizen.name)
        self.wait_screen("password")
        self.type_password(NEW_PASSWORD)
        self.wait_screen("overview")
        self.facts["signed_in_with_new_password"] = True
        self.shot("p05_signed_in_with_new_password")
        self.leave("退出")
        self.leave_through_goodbye()


def _report(driver: WithdrawalDriver, app: Any, result: dict[str, Any]) -> None:
    result["facts"] = driver.facts
    result["bank_card_reader"] = app.runtime.settings.devices.bankcard


def main() -> int:
    return drive(
        lambda app, out, parts, _front: WithdrawalDriver(app, out, parts),
        bank_card_slot=True,
        report=_report,
    )


if __name__ == "__main__":
    sys.exit(main())
