"""Certificates: the citizen chooses one (a statement also a period), the centre issues it with a
verification code and the kiosk prints it. The rules are the certificate service's
(kiosk/services/certificates.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

import kiosk.widgets.flow  # noqa: F401  (its kv rules)
from kiosk.i18n import N_
from kiosk.screens.rendered import RenderedScreen
from kiosk.services.certificates import (
    KINDS,
    CertificateKind,
    CertificatePrinted,
    CertificateRefused,
    CertificateService,
    Period,
    statement_periods,
)
from kiosk.services.citizen import Unavailable
from kiosk.services.policy import CENTRE_TIME
from kiosk.widgets.choices import ChoiceTile

# (name, what it proves): message ids.
_KINDS: dict[CertificateKind, tuple[str, str]] = {
    "deposit": (N_("Deposit certificate"), N_("Your deposits and balance, for an employer, bank or landlord")),
    "loan_settled": (N_("Loan settled certificate"), N_("That your housing loan is fully repaid")),
    "statement": (N_("Deposit statement"), N_("Your deposit records for a period you choose")),
}


class _CertificateStep(RenderedScreen):
    @property
    def certificates(self) -> CertificateService:
        return self.app.runtime.visit.certificates


class CertificateScreen(_CertificateStep):
    def prepare(self, **params: Any) -> None:
        self.render()

    def render(self) -> None:
        box = self.ids.choices
        box.clear_widgets()
        for kind in KINDS:
            name, proves = _KINDS[kind]
            tile = ChoiceTile(title=self.app.t(name), detail=self.app.t(proves))
            tile.bind(on_release=lambda _tile, chosen=kind: self.choose(chosen))
            box.add_widget(tile)

    def choose(self, kind: CertificateKind) -> None:
        if kind == "statement":
            self.app.go("certificate_period")
        else:
            self.app.go("certificate_result", kind=kind)


class CertificatePeriodScreen(_CertificateStep):
    _periods: tuple[Period, ...] = ()

    def prepare(self, **params: Any) -> None:
        # The centre's calendar decides which month is "this month", not the kiosk's time zone.
        self._periods = tuple(statement_periods(datetime.now(CENTRE_TIME).date()))
        self.render()

    def render(self) -> None:
        box = self.ids.choices
        box.clear_widgets()
        for period in self._periods:
            detail = self.app.t("{start} to {end}").format(start=period.period_from, end=period.period_to)
            tile = ChoiceTile(title=self.app.t(period.label), detail=detail)
            tile.bind(on_release=lambda _tile, chosen=period: self.choose(chosen))
            box.add_widget(tile)

    def choose(self, period: Period) -> None:
        self.app.go("certificate_result", kind="statement", period=period)


class CertificateResultScreen(_CertificateStep):
    kind = StringProperty("deposit")
    printing = BooleanProperty(False)
    result = ObjectProperty(None, allownone=True)  # the CertificatePrinted
    problem_title = StringProperty("")  # message ids
    problem_body = StringProperty("")

    def prepare(self, **params: Any) -> None:
        self.kind = params["kind"]
        period: Period | None = params.get("period")
        self.result = None
        self.problem_title = self.problem_body = ""
        self.printing = True
        self.app.background(
            self.certificates.issue_and_print,
            self.kind,
            period,
            on_result=self._printed,
            on_error=self._not_issued,
        )

    def kind_name(self, kind: CertificateKind, locale: str) -> str:
        return self.app.t(_KINDS[kind][0], locale)

    def _printed(self, result: CertificatePrinted) -> None:
        self.printing = False
        self.result = result
        if result.printed:
            self.app.note_receipt()

    def _not_issued(self, error: BaseException) -> None:
        self.printing = False
        if isinstance(error, CertificateRefused):
            self.problem_title = N_("This certificate cannot be issued")
            self.problem_body = error.message
        elif isinstance(error, Unavailable):
            self.problem_title = N_("The certificate could not be issued just now")
            self.problem_body = N_(
                "We cannot reach the centre or the printer just now. Please try again in a few minutes, "
                "or ask at the counter."
            )
        else:
            raise error  # a bug, not the centre: Kivy's fault handler logs it and wipes the visit

    def wipe(self) -> None:
        self.result = None
        self.printing = False
        self.problem_title = self.problem_body = ""


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import N_ kiosk.i18n.N_

<CertificateScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(48)
            spacing: dp(28)
            KTitle:
                text: app.t("Certificates", app.locale)
            KText:
                halign: "center"
                text: app.t("Which certificate do you need? Each carries a code to check it by.", app.locale)
            FlowScroll:
                ChoiceList:
                    id: choices
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()

<CertificatePeriodScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(48)
            spacing: dp(28)
            KTitle:
                text: app.t("Deposit statement", app.locale)
            KText:
                halign: "center"
                text: app.t("Which period should the statement cover?", app.locale)
            FlowScroll:
                ChoiceList:
                    id: choices
            FlowFooter:
                on_back: app.go("certificate")

<CertificateResultScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(64), dp(48)
            spacing: dp(32)
            KTitle:
                text: root.kind_name(root.kind, app.locale)
            Widget:
                size_hint_y: 0.3
            FlowWaiting:
                shown: root.printing
                message: N_("Printing your certificate, please wait…")
            Card:
                opacity: 1 if root.result else 0
                height: self.minimum_height if root.result else 0
                BigCode:
                    caption: app.t("Verification code", app.locale)
                    code: root.result.code if root.result else ""
                    base_size: 52
                KMuted:
                    halign: "center"
                    text: app.t("Whoever receives the certificate can check it with this code or its QR code on the centre's verification page.", app.locale)
            FlowMessage:
                color: theme.PRIMARY if root.result and root.result.printed else theme.WARNING
                text: app.t(root.result.message, app.locale) if root.result else ""
            FlowMessage:
                title: app.t(root.problem_title, app.locale) if root.problem_title else ""
                text: app.t(root.problem_body, app.locale) if root.problem_body else ""
            Widget:
            FlowFooter:
                back_text: N_("Print another")
                exit_text: N_("Finish")
                disabled: root.printing
                on_back: app.go("certificate")
"""
)
