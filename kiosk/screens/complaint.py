"""投诉建议, one screen per step: complaint or suggestion, the topic (a fixed list, each with the sentence
that is filed: nothing is typed), an optional callback phone on a digit keypad, a last look, and the
reference. Open to anyone: no ID card is asked for. It works while the centre is unreachable (the outbox
keeps it), so the result says whether the centre has it yet.

The rules are the complaints service's (kiosk/services/complaints.py); these screens show what it says
and pass the citizen's taps back."""

from __future__ import annotations

from typing import Any

from kivy.lang import Builder
from kivy.metrics import dp
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

import kiosk.widgets.flow  # noqa: F401  (its kv rules)
from kiosk.i18n import N_
from kiosk.masking import mask_phone
from kiosk.screens.rendered import RenderedScreen
from kiosk.services.complaints import (
    CALLBACK_WORKING_DAYS,
    CATEGORIES,
    PHONE_MAX_DIGITS,
    TOPICS,
    CategoryChoice,
    ComplaintService,
    Lodged,
    Topic,
    valid_phone,
)
from kiosk.services.filing import NotTaken
from kiosk.widgets.choices import ChoiceTile
from kiosk.widgets.keypad import Keypad

_PHONE_DIGITS = list("1234567890")
_ANSWERS = {
    "accepted": N_("The centre has received it."),
    "waiting": N_("Accepted by this kiosk; it will be sent to the centre automatically."),
}


def _category(code: str) -> CategoryChoice:
    return next(category for category in CATEGORIES if category.code == code)


class _ComplaintStep(RenderedScreen):
    """What every step holds: the choices made so far, passed on from step to step."""

    category = ObjectProperty(None, allownone=True)  # CategoryChoice
    topic = ObjectProperty(None, allownone=True)  # Topic
    phone = StringProperty("")  # as entered; only ever shown masked

    @property
    def complaints(self) -> ComplaintService:
        return self.app.runtime.visit.complaints

    def prepare(self, **params: Any) -> None:
        self.category = params.get("category")
        self.topic = params.get("topic")
        self.phone = params.get("phone", "")
        self.render()

    def chosen(self) -> dict[str, Any]:
        return {"category": self.category, "topic": self.topic, "phone": self.phone}

    def category_title(self, category: CategoryChoice | None, locale: str) -> str:
        return self.app.t(category.title, locale) if category else ""

    def topic_title(self, topic: Topic | None, locale: str) -> str:
        return topic.title(locale) if topic else ""

    def masked(self, phone: str) -> str:
        return mask_phone(phone) if phone else ""

    def wipe(self) -> None:
        self.category = self.topic = None
        self.phone = ""
        self.render()


class ComplaintScreen(_ComplaintStep):
    """A complaint or a suggestion?"""

    def render(self) -> None:
        t = self.app.t
        choices = self.ids.choices
        choices.clear_widgets()
        for category in CATEGORIES:
            tile = ChoiceTile(title=t(category.title), detail=t(category.detail), min_height=180)
            tile.bind(
                on_release=lambda _tile, chosen=category: self.app.go("complaint_topic", category=chosen)
            )
            choices.add_widget(tile)


class ComplaintTopicScreen(_ComplaintStep):
    """What is it about? Each topic says, in its detail, the sentence the centre will read."""

    def render(self) -> None:
        locale = self.app.locale
        choices = self.ids.choices
        choices.clear_widgets()
        for topic in TOPICS:
            tile = ChoiceTile(title=topic.title(locale), detail=topic.sentence(locale), title_size=44)
            tile.bind(on_release=lambda _tile, chosen=topic: self._chose(chosen))
            choices.add_widget(tile)

    def _chose(self, topic: Topic) -> None:
        self.app.go("complaint_phone", category=self.category, topic=topic, phone=self.phone)


class ComplaintPhoneScreen(_ComplaintStep):
    """A number to call back on, if the citizen wants a call: optional, one tap to go without."""

    typed = StringProperty("")
    typed_ok = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._keypad = Keypad(
            on_digit=self._digit, on_clear=self._clear, on_backspace=self._backspace, key_height=dp(120)
        )
        self.ids.keypad_slot.add_widget(self._keypad)

    def prepare(self, **params: Any) -> None:
        super().prepare(**params)
        self._set(self.phone)

    def render(self) -> None:
        t = self.app.t
        self._keypad.arrange(_PHONE_DIGITS, t("Clear"), t("Delete"))

    def without_phone(self) -> None:
        self.app.go("complaint_confirm", category=self.category, topic=self.topic, phone="")

    def with_phone(self) -> None:
        if self.typed_ok:
            self.app.go("complaint_confirm", category=self.category, topic=self.topic, phone=self.typed)

    def _digit(self, digit: str) -> None:
        if len(self.typed) < PHONE_MAX_DIGITS:
            self._set(self.typed + digit)

    def _clear(self) -> None:
        self._set("")

    def _backspace(self) -> None:
        self._set(self.typed[:-1])

    def _set(self, typed: str) -> None:
        self.typed = typed
        self.typed_ok = valid_phone(typed)

    def wipe(self) -> None:
        self._set("")
        super().wipe()


class ComplaintConfirmScreen(_ComplaintStep):
    """A last look before it is filed, the phone masked; Submit files it and prints the slip."""

    filing = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.filing = False
        super().prepare(**params)

    def submit(self) -> None:
        if self.filing or self.category is None or self.topic is None:
            return
        self.filing = True
        self.app.background(
            self.complaints.lodge,
            self.category.code,
            self.topic.code,
            self.phone or None,
            on_result=self._lodged,
            on_error=self._not_lodged,
        )

    def _lodged(self, lodged: Lodged) -> None:
        self.filing = False
        if lodged.printed:
            self.app.note_receipt()
        self.app.go("complaint_done", lodged=lodged)

    def _not_lodged(self, error: BaseException) -> None:
        self.filing = False
        if not isinstance(error, NotTaken):
            raise error  # a bug; Kivy's fault handler logs it and wipes the visit
        self.app.go("notice", title=N_("It could not be taken"), body=error.message, then="home")

    def wipe(self) -> None:
        self.filing = False
        super().wipe()


class ComplaintDoneScreen(RenderedScreen):
    """The reference, large, and what happens next."""

    lodged = ObjectProperty(None, allownone=True)

    def prepare(self, **params: Any) -> None:
        self.lodged = params["lodged"]

    def title(self, lodged: Lodged | None, locale: str) -> str:
        if lodged is None:
            return ""
        if lodged.answer == "refused":
            return self.app.t("Not accepted", locale)
        return self.app.t(_category(lodged.category).done, locale)

    def answer(self, lodged: Lodged | None, locale: str) -> str:
        if lodged is None:
            return ""
        return self.app.t(_ANSWERS.get(lodged.answer, lodged.message), locale)

    def next_step(self, lodged: Lodged | None, locale: str) -> str:
        """What the citizen can expect: a call within the working days promised, or nothing by phone."""
        if lodged is None or lodged.answer == "refused":
            return ""
        if lodged.masked_phone:
            return self.app.t(
                "We will call you back on {phone} within {days} working day(s).", locale
            ).format(phone=lodged.masked_phone, days=CALLBACK_WORKING_DAYS)
        return self.app.t(
            "You left no phone number, so we will not call. Quote the reference on 12329.", locale
        )

    def wipe(self) -> None:
        self.lodged = None


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import N_ kiosk.i18n.N_

<ComplaintScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(28)
            KTitle:
                text: app.t("Complaints and suggestions", app.locale)
            KLead:
                text: app.t("Tell the centre what went wrong or what could be better. No ID card is needed.", app.locale)
            BoxLayout:
                id: choices
                orientation: "vertical"
                spacing: dp(24)
                size_hint_y: None
                height: self.minimum_height
            Widget:
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()

<ComplaintTopicScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(28)
            KTitle:
                text: app.t("What is it about?", app.locale)
            KLead:
                text: root.category_title(root.category, app.locale)
            FlowScroll:
                ChoiceList:
                    id: choices
            FlowFooter:
                on_back: app.go("complaint")

<ComplaintPhoneScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(40)
            spacing: dp(24)
            KTitle:
                text: app.t("Would you like a call back?", app.locale)
            KLead:
                text: app.t("Leave a phone number if you would like us to call you back (optional).", app.locale)
            Label:
                text: root.typed or "—"
                font_size: sp(72)
                color: theme.PRIMARY
                size_hint_y: None
                height: dp(110)
            KMuted:
                halign: "center"
                text: app.t("A mobile number (11 digits) or a landline with its area code.", app.locale)
            BoxLayout:
                id: keypad_slot
                size_hint_y: None
                height: self.minimum_height
            Widget:
            BoxLayout:
                size_hint_y: None
                height: dp(150)
                spacing: dp(32)
                SecondaryButton:
                    text: app.t("No call back", app.locale)
                    on_release: root.without_phone()
                KioskButton:
                    text: app.t("OK", app.locale)
                    disabled: not root.typed_ok
                    on_release: root.with_phone()
            SecondaryButton:
                text: app.t("Back", app.locale)
                on_release: app.go("complaint_topic", **root.chosen())

<ComplaintConfirmScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(28)
            KTitle:
                text: app.t("Please check before you submit", app.locale)
            Card:
                spacing: dp(8)
                FactRow:
                    label: app.t("Type", app.locale)
                    value: root.category_title(root.category, app.locale)
                FactRow:
                    label: app.t("About", app.locale)
                    value: root.topic_title(root.topic, app.locale)
                KText:
                    text: root.topic.sentence(app.locale) if root.topic else ""
                FactRow:
                    label: app.t("Call back on", app.locale)
                    value: root.masked(root.phone) if root.phone else app.t("No call back", app.locale)
            KMuted:
                halign: "center"
                text: app.t("A slip with your reference number will be printed.", app.locale)
            Widget:
            KioskButton:
                text: app.t("Please wait…", app.locale) if root.filing else app.t("Submit", app.locale)
                disabled: root.filing
                on_release: root.submit()
            FlowFooter:
                on_back: app.go("complaint_phone", **root.chosen())

<ComplaintDoneScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(40)
            spacing: dp(28)
            KTitle:
                color: theme.WARNING if root.lodged and root.lodged.answer == "refused" else theme.MONEY
                text: root.title(root.lodged, app.locale)
            Card:
                spacing: dp(16)
                BigCode:
                    caption: app.t("Your reference number", app.locale)
                    code: root.lodged.reference if root.lodged else ""
                FlowMessage:
                    color: theme.WARNING if root.lodged and root.lodged.answer != "accepted" else theme.MONEY
                    text: root.answer(root.lodged, app.locale)
                KText:
                    halign: "center"
                    text: root.next_step(root.lodged, app.locale)
            FlowMessage:
                text: app.t(root.lodged.message, app.locale) if root.lodged and root.lodged.answer != "refused" else ""
            Widget:
            KioskButton:
                text: app.t("Finish", app.locale)
                on_release: app.finish()
"""
)
