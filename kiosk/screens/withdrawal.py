"""A withdrawal application (提取), one screen per step: the reason, the amount, the bank card the money is
paid to, the confirmation, and what became of it. The rules are the withdrawal service's
(kiosk/services/withdrawal.py); these screens show what it says and pass the citizen's taps back."""

from __future__ import annotations

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

import kiosk.widgets.amount_keypad
import kiosk.widgets.bank_card_picture
import kiosk.widgets.flow  # noqa: F401  (their kv rules)
from kiosk.i18n import N_
from kiosk.screens.rendered import RenderedScreen
from kiosk.services.citizen import Unavailable
from kiosk.services.filing import NotTaken
from kiosk.services.withdrawal import AmountRefused, CardView, ReasonView, Submitted, WithdrawalService
from kiosk.widgets.amount_entry import AmountEntry
from kiosk.widgets.choices import ChoiceTile

_ANSWERS = {
    "accepted": N_("The centre has accepted your application."),
    "waiting": N_("Accepted by this kiosk; it will be sent to the centre automatically."),
}
_RESULT_TITLES = {
    "accepted": N_("Application filed"),
    "waiting": N_("Application filed"),
    "refused": N_("Application not accepted"),
}


def _order(reason: ReasonView) -> int:
    # What the citizen can do here first, then what the counter does, then what is not possible now; the
    # centre's order within each.
    if reason.selectable:
        return 0
    return 1 if reason.allowed else 2


class _WithdrawalStep(RenderedScreen):
    @property
    def withdrawal(self) -> WithdrawalService:
        return self.app.runtime.visit.withdrawal

    def _failed(self, error: BaseException | None = None) -> None:
        if isinstance(error, NotTaken):
            self.app.go(
                "notice", title=N_("Your application could not be filed"), body=error.message, then="home"
            )
            return
        if error is not None and not isinstance(error, Unavailable):
            # Not the centre: a bug; Kivy's fault handler logs it and wipes the visit.
            raise error
        self.app.go(
            "notice",
            title=N_("The service is briefly unavailable"),
            body=N_(
                "We cannot reach the centre just now. Please try again in a few minutes, or ask at "
                "the counter."
            ),
            then="home",
        )


class WithdrawalReasonsScreen(_WithdrawalStep):
    loading = BooleanProperty(True)

    def prepare(self, **params: Any) -> None:
        self._reasons: list[ReasonView] = []
        self._office = ""
        self.loading = True
        self.ids.reasons.clear_widgets()
        self.app.background(self.withdrawal.reasons, on_result=self._show, on_error=self._failed)

    def _show(self, reasons: list[ReasonView]) -> None:
        self._reasons = sorted(reasons, key=_order)
        self._office = self.withdrawal.office
        self.loading = False
        self.render()

    def render(self) -> None:
        box = self.ids.reasons
        box.clear_widgets()
        for reason in self._reasons:
            box.add_widget(self._tile(reason))

    def _tile(self, reason: ReasonView) -> ChoiceTile:
        t, locale = self.app.t, self.app.locale
        if reason.selectable:
            tile = ChoiceTile(
                title=reason.name(locale), detail=t("Up to {maximum}").format(maximum=reason.maximum)
            )
            tile.bind(on_release=lambda _tile, code=reason.code: self.choose(code))
            return tile
        if reason.allowed:  # allowed, but the centre checks the papers at its counter
            materials = reason.materials_zh if locale == "zh_CN" else reason.materials_en
            detail = t("At the counter only: {office}.").format(office=self._office)
            if materials:
                detail += "\n" + t("Please bring: {materials}").format(
                    materials=("、" if locale == "zh_CN" else ", ").join(materials)
                )
            return ChoiceTile(title=reason.name(locale), detail=detail, kind="note")
        refusal = reason.refusal_zh if locale == "zh_CN" else reason.refusal_en
        return ChoiceTile(title=reason.name(locale), detail=refusal, kind="refused")

    def choose(self, code: str) -> None:
        self.app.go("withdrawal_amount", reason=self.withdrawal.choose_reason(code))

    def wipe(self) -> None:
        self._reasons = []
        self._office = ""
        self.loading = True
        self.ids.reasons.clear_widgets()


class WithdrawalAmountScreen(_WithdrawalStep):
    reason = ObjectProperty(None, allownone=True)  # the ReasonView chosen
    typed = StringProperty("")
    message = StringProperty("")  # a message id; may name {maximum}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entry = AmountEntry()

    def prepare(self, **params: Any) -> None:
        if "reason" in params:  # a new reason; coming back from the card or confirmation keeps the amount
            self.reason = params["reason"]
            self._entry.clear()
        self.typed = self._entry.text
        self.message = ""

    def key(self, key: str) -> None:
        self._entry.press(key)
        self._typed()

    def backspace(self) -> None:
        self._entry.backspace()
        self._typed()

    def clear(self) -> None:
        self._entry.clear()
        self._typed()

    def _typed(self) -> None:
        self.typed = self._entry.text
        self.message = ""

    def next(self) -> None:
        try:
            self.withdrawal.set_amount(self._entry.value)
        except AmountRefused as refused:
            self.message = refused.message
            return
        self.app.go("withdrawal_card", reason=self.reason)

    def wipe(self) -> None:
        self._entry.clear()
        self.reason = None
        self.typed = self.message = ""


class WithdrawalCardScreen(_WithdrawalStep):
    reason = ObjectProperty(None, allownone=True)
    waiting = BooleanProperty(False)
    refusal_title = StringProperty("")  # message ids of the PayeeCardRefused
    refusal_body = StringProperty("")
    # Counts reads: the answer of a read the citizen has left behind (Cancel, Try again) is not shown.
    _read_number = 0

    def prepare(self, **params: Any) -> None:
        self.reason = params["reason"]
        self.read()

    def read(self) -> None:
        self._read_number += 1
        number = self._read_number
        self.waiting = True
        self.refusal_title = self.refusal_body = ""
        self.app.background(
            self.withdrawal.read_card,
            on_result=lambda card: self._read(number, card),
            on_error=lambda error: self._not_read(number, error),
        )

    def _read(self, number: int, _card: CardView) -> None:
        if number != self._read_number:
            return
        self.waiting = False
        self.app.go("withdrawal_confirm", reason=self.reason)

    def _not_read(self, number: int, error: BaseException) -> None:
        if number != self._read_number:
            return
        # Imported here: the module loads the bank card driver, which the service has loaded by now.
        from kiosk.services.payee_card import PayeeCardRefused

        self.waiting = False
        if isinstance(error, PayeeCardRefused):
            self.refusal_title, self.refusal_body = error.title, error.body
        else:
            self._failed(error)

    def cancel(self) -> None:
        self.app.go_home()

    def on_leave(self, *_args: Any) -> None:
        self.waiting = False  # stops the picture
        self._read_number += 1
        # A read still running would hold a worker and the reader for its whole timeout: end it now.
        self.withdrawal.cancel_card_read()

    def wipe(self) -> None:
        self._read_number += 1
        self.reason = None
        self.waiting = False
        self.refusal_title = self.refusal_body = ""


class WithdrawalConfirmScreen(_WithdrawalStep):
    reason = ObjectProperty(None, allownone=True)
    view = ObjectProperty(None, allownone=True)  # the ConfirmView
    submitting = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.reason = params["reason"]
        self.view = self.withdrawal.confirmation()
        self.submitting = False

    def confirm(self) -> None:
        if self.submitting:  # a second tap before the first is answered files nothing more
            return
        self.submitting = True
        self.app.background(self.withdrawal.submit, on_result=self._submitted, on_error=self._not_filed)

    def _submitted(self, submitted: Submitted) -> None:
        self.app.go("withdrawal_result", reason=self.reason, submitted=submitted)

    def _not_filed(self, error: BaseException) -> None:
        self.submitting = False
        self._failed(error)

    def back(self) -> None:
        self.app.go("withdrawal_amount")

    def wipe(self) -> None:
        self.reason = self.view = None
        self.submitting = False


class WithdrawalResultScreen(_WithdrawalStep):
    reason = ObjectProperty(None, allownone=True)
    submitted = ObjectProperty(None, allownone=True)

    def prepare(self, **params: Any) -> None:
        self.reason = params["reason"]
        self.submitted = params["submitted"]
        if self.submitted.printed:
            self.app.note_receipt()

    # The kv rules pass the locale so that they re-evaluate when the language changes.

    def title_text(self, submitted: Submitted | None, locale: str) -> str:
        return self.app.t(_RESULT_TITLES[submitted.answer], locale) if submitted else ""

    def answer_text(self, submitted: Submitted | None, locale: str) -> str:
        if submitted is None:
            return ""
        return self.app.t(_ANSWERS.get(submitted.answer, submitted.message), locale)

    def materials_text(self, reason: ReasonView | None, submitted: Submitted | None, locale: str) -> str:
        if reason is None or submitted is None or submitted.answer == "refused":
            return ""
        materials = reason.materials_zh if locale == "zh_CN" else reason.materials_en
        if not materials:
            return ""
        heading = self.app.t("The centre may ask you for these when it checks your application:", locale)
        return "\n".join([heading, *(f"{number}. {item}" for number, item in enumerate(materials, 1))])

    def print_text(self, submitted: Submitted | None, locale: str) -> str:
        if submitted is None or submitted.answer == "refused":
            return ""  # the refusal sentence is the answer already
        return self.app.t(submitted.message, locale)

    def wipe(self) -> None:
        self.reason = self.submitted = None


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import N_ kiosk.i18n.N_

<WithdrawalReasonsScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(48), dp(36)
            spacing: dp(24)
            KTitle:
                text: app.t("Withdrawal application", app.locale)
            KText:
                halign: "center"
                text: app.t("What is the withdrawal for?", app.locale)
            FlowWaiting:
                shown: root.loading
            FlowScroll:
                ChoiceList:
                    id: reasons
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()

<AmountShown@Label>:
    typed: ""
    text: "¥ " + (self.typed or "0")
    # Before a digit the "¥ 0" is a placeholder: muted, but still readable (4.5:1), never the divider's grey.
    color: theme.PRIMARY if self.typed else theme.MUTED
    bold: True
    font_size: sp(96) * app.text_scale
    size_hint_y: None
    height: dp(150) * app.text_scale
    canvas.before:
        Color:
            rgba: theme.SURFACE
        RoundedRectangle:
            pos: self.pos
            size: self.size
            radius: [dp(24)]
        Color:
            rgba: theme.PRIMARY
        Line:
            rounded_rectangle: (self.x + dp(1), self.y + dp(1), self.width - dp(2), self.height - dp(2), dp(24))
            width: dp(2)

<WithdrawalAmountScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(32)
            spacing: dp(20)
            KTitle:
                text: root.reason.name(app.locale) if root.reason else ""
            KText:
                halign: "center"
                text: app.t("How much? At most {maximum}", app.locale).format(maximum=root.reason.maximum) if root.reason else ""
            AmountShown:
                typed: root.typed
            KText:
                halign: "center"
                bold: True
                color: theme.WARNING
                text: app.t(root.message, app.locale).format(maximum=root.reason.maximum if root.reason else "") if root.message else ""
                height: max(self.texture_size[1], dp(56))
            AmountKeypad:
                on_key: root.key(args[1])
                on_backspace: root.backspace()
                on_clear: root.clear()
            Widget:
            BoxLayout:
                size_hint_y: None
                height: dp(150)
                spacing: dp(32)
                SecondaryButton:
                    text: app.t("Back", app.locale)
                    on_release: app.go("withdrawal")
                KioskButton:
                    text: app.t("Next", app.locale)
                    disabled: not root.typed
                    on_release: root.next()

<WithdrawalCardScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(72), dp(48)
            spacing: dp(28)
            KTitle:
                text: app.t("Insert your bank card", app.locale)
            KText:
                halign: "center"
                text: app.t("A debit card (借记卡) in your own name, chip first. The money is paid to this card.", app.locale)
            BankCardPicture:
                size_hint: None, None
                size: dp(460), dp(520)
                pos_hint: {"center_x": 0.5}
                moving: root.waiting
                opacity: 1 if root.waiting else 0.35
            FlowWaiting:
                shown: root.waiting
                message: N_("Waiting for your card…")
            FlowMessage:
                title: app.t(root.refusal_title, app.locale) if root.refusal_title else ""
                text: app.t(root.refusal_body, app.locale) if root.refusal_body else ""
            Widget:
            BoxLayout:
                size_hint_y: None
                height: dp(150)
                spacing: dp(32)
                SecondaryButton:
                    text: app.t("Cancel", app.locale)
                    on_release: root.cancel()
                KioskButton:
                    text: app.t("Try again", app.locale)
                    disabled: root.waiting
                    opacity: 0 if root.waiting else 1
                    on_release: root.read()

<WithdrawalConfirmScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(64), dp(48)
            spacing: dp(32)
            KTitle:
                text: app.t("Please check your application", app.locale)
            Card:
                FactRow:
                    label: app.t("Reason", app.locale)
                    value: (root.view.reason_zh if app.locale == "zh_CN" else root.view.reason_en) if root.view else ""
                FactRow:
                    label: app.t("Amount", app.locale)
                    value: root.view.amount if root.view else ""
                    value_color: theme.MONEY
                FactRow:
                    label: app.t("Paid to bank card", app.locale)
                    value: root.view.card_masked if root.view else ""
            KMuted:
                halign: "center"
                text: app.t("When you confirm, the application is filed and a slip is printed.", app.locale)
            FlowWaiting:
                shown: root.submitting
                message: N_("Filing your application…")
            Widget:
            BoxLayout:
                size_hint_y: None
                height: dp(150)
                spacing: dp(32)
                SecondaryButton:
                    text: app.t("Back", app.locale)
                    disabled: root.submitting
                    on_release: root.back()
                KioskButton:
                    text: app.t("Confirm", app.locale)
                    disabled: root.submitting
                    on_release: root.confirm()

<WithdrawalResultScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(64), dp(48)
            spacing: dp(32)
            KTitle:
                text: root.title_text(root.submitted, app.locale)
                color: theme.WARNING if root.submitted and root.submitted.answer == "refused" else theme.MONEY
            Card:
                BigCode:
                    caption: app.t("Claim number", app.locale)
                    code: root.submitted.claim_number if root.submitted else ""
                FlowMessage:
                    color: theme.MONEY if root.submitted and root.submitted.answer == "accepted" else theme.WARNING
                    text: root.answer_text(root.submitted, app.locale)
                FactRow:
                    label: app.t("Amount", app.locale)
                    value: root.submitted.amount if root.submitted else ""
            KText:
                font_size: sp(theme.SMALL + 2) * app.text_scale
                text: root.materials_text(root.reason, root.submitted, app.locale)
            FlowMessage:
                color: theme.PRIMARY if root.submitted and root.submitted.printed else theme.WARNING
                text: root.print_text(root.submitted, app.locale)
            Widget:
            KioskButton:
                text: app.t("Finish", app.locale)
                on_release: app.finish()
"""
)
