"""Pre-registration (预登记), one screen per step: the business type, the materials checklist for it, and the
code the counter looks up. It works while the centre is unreachable: the business types come from the
kept catalogue and the registration waits in the outbox, so the result says whether the centre has it yet.

The rules are the pre-registration service's (kiosk/services/pre_registration.py); these screens show what
it says and pass the citizen's taps back."""

from __future__ import annotations

from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty

import kiosk.widgets.flow  # noqa: F401  (its kv rules)
from kiosk.i18n import N_
from kiosk.screens.business_types import BusinessTypesStep
from kiosk.screens.rendered import RenderedScreen
from kiosk.services.catalogue import BusinessView
from kiosk.services.citizen import Unavailable
from kiosk.services.filing import NotTaken
from kiosk.services.pre_registration import PreRegistrationService, Registered
from kiosk.widgets.choices import ChoiceTile

_ANSWERS = {
    "accepted": N_("The centre has received your pre-registration."),
    "waiting": N_("Accepted by this kiosk; it will be sent to the centre automatically."),
}


def bullets(lines: tuple[str, ...]) -> str:
    return "\n".join(f"•  {line}" for line in lines)


class _PreRegistrationStep(RenderedScreen):
    @property
    def pre_registration(self) -> PreRegistrationService:
        return self.app.runtime.visit.pre_registration

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, NotTaken):
            self.app.go(
                "notice",
                title=N_("Your pre-registration could not be taken"),
                body=error.message,
                then="home",
            )
        elif isinstance(error, Unavailable):  # the kiosk has never had the centre's list of business types
            self.app.go(
                "notice",
                title=N_("Pre-registration is not available yet"),
                body=N_(
                    "This kiosk has not yet received the list of services from the centre. Please try "
                    "again later, or ask at the counter."
                ),
                then="home",
            )
        else:
            raise error  # a bug; Kivy's fault handler logs it and wipes the visit


class PreRegistrationScreen(_PreRegistrationStep, BusinessTypesStep):
    """Which business will the citizen come to the counter for?"""

    def load_types(self) -> list[BusinessView]:
        return self.pre_registration.business_types()

    def render(self) -> None:
        t, locale = self.app.t, self.app.locale
        choices = self.ids.choices
        choices.clear_widgets()
        for business in self.types:
            choice = ChoiceTile(
                title=business.name(locale),
                detail=t("{count} items to bring").format(count=len(business.materials(locale))),
            )
            choice.bind(
                on_release=lambda _choice, chosen=business: self.app.go(
                    "pre_registration_checklist", business=chosen
                )
            )
            choices.add_widget(choice)


class PreRegistrationChecklistScreen(_PreRegistrationStep):
    """What to bring, and the one button that files the pre-registration."""

    business = ObjectProperty(None, allownone=True)
    registering = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.business = params["business"]
        self.registering = False
        self.render()

    def render(self) -> None:
        self.ids.materials.text = bullets(self.business.materials(self.app.locale)) if self.business else ""

    def register(self) -> None:
        if self.registering or self.business is None:
            return
        self.registering = True
        self.app.background(
            self.pre_registration.register,
            self.business.code,
            on_result=self._registered,
            on_error=self._not_registered,
        )

    def _registered(self, registered: Registered) -> None:
        self.registering = False
        if registered.printed:
            self.app.note_receipt()
        self.app.go("pre_registration_done", registered=registered)

    def _not_registered(self, error: BaseException) -> None:
        self.registering = False
        self._failed(error)

    def wipe(self) -> None:
        self.business = None
        self.registering = False
        self.render()


class PreRegistrationDoneScreen(RenderedScreen):
    registered = ObjectProperty(None, allownone=True)

    def prepare(self, **params: Any) -> None:
        self.registered = params["registered"]
        self.render()

    def render(self) -> None:
        registered, locale = self.registered, self.app.locale
        self.ids.materials.text = (
            bullets(registered.materials_en if locale == "en" else registered.materials_zh)
            if registered
            else ""
        )

    def business_name(self, registered: Registered | None, locale: str) -> str:
        if registered is None:
            return ""
        return registered.business_en if locale == "en" else registered.business_zh

    def answer(self, registered: Registered | None) -> str:
        """A message id: whether the centre has it yet (or why it refused it)."""
        if registered is None:
            return ""
        return _ANSWERS.get(registered.answer, registered.message)

    def wipe(self) -> None:
        self.registered = None
        self.render()


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import N_ kiosk.i18n.N_
#:import VALID_DAYS kiosk.transaction_numbers.PRE_REGISTRATION_VALID_DAYS

<PreRegistrationScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(28)
            KTitle:
                text: app.t("Pre-registration", app.locale)
            KLead:
                text: app.t("Tell the counter in advance what you will come for, and see what to bring.", app.locale)
            FlowWaiting:
                shown: root.loading
            FlowScroll:
                ChoiceList:
                    id: choices
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()

<PreRegistrationChecklistScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(44)
            spacing: dp(28)
            KTitle:
                text: root.business.name(app.locale) if root.business else ""
            FlowScroll:
                Card:
                    KText:
                        bold: True
                        text: app.t("Please bring these to the counter:", app.locale)
                    KText:
                        id: materials
            KMuted:
                halign: "center"
                text: app.t("With a pre-registration code the counter has your details ready. It is valid for {days} days.", app.locale).format(days=VALID_DAYS)
            KioskButton:
                text: app.t("Please wait…", app.locale) if root.registering else app.t("Pre-register", app.locale)
                disabled: root.registering
                on_release: root.register()
            FlowFooter:
                on_back: app.go("pre_registration")

<PreRegistrationDoneScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(40)
            spacing: dp(24)
            KTitle:
                color: theme.WARNING if root.registered and root.registered.answer == "refused" else theme.MONEY
                text: (app.t("Pre-registration not accepted", app.locale) if root.registered.answer == "refused" else app.t("You are pre-registered", app.locale)) if root.registered else ""
            FlowScroll:
                Card:
                    spacing: dp(8)
                    BigCode:
                        caption: app.t("Your pre-registration code", app.locale)
                        code: root.registered.code if root.registered else ""
                    FactRow:
                        label: app.t("Business", app.locale)
                        value: root.business_name(root.registered, app.locale)
                    FactRow:
                        label: app.t("Valid until", app.locale)
                        value: root.registered.valid_until.isoformat() if root.registered else ""
                    FlowMessage:
                        color: theme.WARNING if root.registered and root.registered.answer != "accepted" else theme.MONEY
                        text: app.t(root.answer(root.registered), app.locale) if root.registered else ""
                    Widget:
                        size_hint_y: None
                        height: dp(8)
                    KText:
                        bold: True
                        text: app.t("Please bring:", app.locale)
                    KText:
                        id: materials
                        font_size: sp(theme.SMALL + 4) * app.text_scale
            FlowMessage:
                text: app.t(root.registered.message, app.locale) if root.registered and root.registered.answer != "refused" else ""
            # Finish ends the visit (the goodbye reminds of card and slip); Home keeps it for another service.
            FlowFooter:
                back_text: N_("Home")
                exit_text: N_("Finish")
                on_back: app.go_home()
"""
)
