"""What a signed-in citizen sees of their own account: overview, deposit records, loan."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, ObjectProperty, StringProperty

import kiosk.widgets.flow  # noqa: F401  (its kv rules)
from kiosk.i18n import N_
from kiosk.screens.base import KioskScreen
from kiosk.screens.rendered import RenderedScreen
from kiosk.services.citizen import AdviceView, DepositsView, LoanView, OverviewView
from kiosk.widgets.choices import ChoiceTile

if TYPE_CHECKING:
    # Typing only: importing it would load python-escpos on the Kivy thread when this screen is built.
    from kiosk.services.printing import PrintReport

_STATUS = {"normal": N_("Normal"), "sealed": N_("Sealed (deposits paused)"), "closed": N_("Closed")}
_DEPOSIT_KIND = {
    "remit": N_("Monthly remittance"),
    "back_pay": N_("Back payment"),
    "withdrawal": N_("Withdrawal"),
    "interest": N_("Interest"),
    "transfer_in": N_("Transfer in"),
    "transfer_out": N_("Transfer out"),
}
# What an advice's button says: the name of the service it opens, as the home menu names it.
_ADVICE_ACTION = {
    "deposits": N_("Deposit records"),
    "loan": N_("Housing loan"),
    "withdrawal": N_("Withdraw funds"),
    "appointment": N_("Book an appointment"),
    "status": N_("My applications"),
}


class _AccountScreen(KioskScreen):
    loading = BooleanProperty(True)

    def _unavailable(self, _error: BaseException) -> None:
        self.app.go(
            "notice",
            title=N_("The service is briefly unavailable"),
            body=N_(
                "We cannot reach the centre just now. Please try again in a few minutes, or ask at "
                "the counter."
            ),
            then="home",
        )


class OverviewScreen(RenderedScreen, _AccountScreen):
    view = ObjectProperty(None, allownone=True)
    advice = ListProperty([])  # AdviceView, most urgent first
    can_print = BooleanProperty(False)
    printing = BooleanProperty(False)
    printed = BooleanProperty(False)  # the last statement came out: its message is news, not a warning
    print_message = StringProperty("")

    def prepare(self, **params: Any) -> None:
        self.view = None
        self.loading = True
        self.can_print = self.app.runtime.printer_configured
        self.printing = self.printed = False
        self.print_message = ""
        self.advice = []
        self.app.background(
            self.app.runtime.citizen.overview, on_result=self._show, on_error=self._unavailable
        )
        # Advice is a help, not the account: when the centre cannot give it, the overview shows none.
        self.app.background(self.app.runtime.citizen.advice, on_result=self._advise, on_error=lambda _e: None)

    def _show(self, view: OverviewView) -> None:
        self.view = view
        self.loading = False

    def personal_speech(self) -> tuple[str, dict[str, object]] | None:
        return ("balance", {"balance": self.view.balance}) if self.view else None

    def _advise(self, advice: list[AdviceView]) -> None:
        self.advice = advice
        self.render()

    def render(self) -> None:
        box = self.ids.advice
        box.clear_widgets()
        runtime = self.app.runtime
        # A button only for a service this kiosk offers and has open now; otherwise the sentence alone.
        open_now = {
            offer.id for offer in runtime.policy.services() if offer.open and runtime.visit.offered(offer.id)
        }
        for advice in self.advice:
            tile = ChoiceTile(
                title=advice.text(self.app.locale), title_size=34, detail_size=28, min_height=120
            )
            if advice.action in open_now:
                tile.detail = "› " + self.app.t(_ADVICE_ACTION[advice.action])
                tile.bind(on_release=lambda _tile, service=advice.action: self.app.choose_service(service))
            else:
                tile.kind = "note"
            box.add_widget(tile)

    def status_text(self, status: str) -> str:
        return _STATUS.get(status, status)

    def print_statement(self) -> None:
        if self.app.runtime.printing is None:  # still starting up, moments after the kiosk came on
            self._print_failed(None)
            return
        self.printing = True
        self.print_message = ""
        self.app.background(
            self.app.runtime.printing.print_account_statement,
            on_result=self._printed,
            on_error=self._print_failed,
        )

    def _printed(self, report: PrintReport) -> None:
        self.printing = False
        self.printed = report.printed
        self.print_message = report.message
        if report.printed:
            self.app.note_receipt()

    def _print_failed(self, _error: BaseException | None) -> None:
        self.printing = self.printed = False
        self.print_message = N_("The printer is not working just now. Please ask at the counter.")

    def wipe(self) -> None:
        self.view = None
        self.loading = True
        self.printed = False
        self.print_message = ""
        self.advice = []
        self.ids.advice.clear_widgets()


class DepositsScreen(_AccountScreen):
    rows = ListProperty([])
    page = NumericProperty(1)
    pages = NumericProperty(1)

    def prepare(self, **params: Any) -> None:
        self._load(1)

    def _load(self, page: int) -> None:
        self.loading = True
        self.app.background(
            self.app.runtime.citizen.deposits, page, on_result=self._show, on_error=self._unavailable
        )

    def _show(self, view: DepositsView) -> None:
        self.rows = [
            {
                "date": row.date,
                "kind": _DEPOSIT_KIND.get(row.kind, row.kind),
                "amount": row.amount,
                "balance": row.balance,
                "outgoing": row.amount.startswith("-"),
            }
            for row in view.rows
        ]
        self.page, self.pages = view.page, view.pages
        self.loading = False

    def on_rows(self, *_args: Any) -> None:
        table = self.ids.table
        table.clear_widgets()
        for row in self.rows:
            line = Factory.DepositLine()
            for key, value in row.items():
                setattr(line, key, value)
            table.add_widget(line)

    def turn(self, step: int) -> None:
        target = self.page + step
        if 1 <= target <= self.pages and not self.loading:
            self._load(target)

    def wipe(self) -> None:
        self.rows = []
        self.page = self.pages = 1
        self.loading = True


class LoanScreen(_AccountScreen):
    view = ObjectProperty(None, allownone=True)
    no_loan = BooleanProperty(False)

    def prepare(self, **params: Any) -> None:
        self.view = None
        self.no_loan = False
        self.loading = True
        self.app.background(self.app.runtime.citizen.loan, on_result=self._show, on_error=self._unavailable)

    def _show(self, view: LoanView | None) -> None:
        self.view = view
        self.no_loan = view is None
        self.loading = False

    def personal_speech(self) -> tuple[str, dict[str, object]] | None:
        return ("loan_balance", {"balance": self.view.balance}) if self.view else None

    def on_view(self, *_args: Any) -> None:
        plan = self.ids.plan
        plan.clear_widgets()
        for row in self.view.upcoming if self.view else []:
            line = Factory.PlanLine()
            line.due, line.payment, line.remaining = row.due_date, row.payment, row.remaining
            plan.add_widget(line)

    def wipe(self) -> None:
        self.view = None
        self.no_loan = False
        self.loading = True


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import N_ kiosk.i18n.N_

<OverviewScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(48)
            spacing: dp(32)
            KTitle:
                text: app.t("Account overview", app.locale)
            FlowWaiting:
                shown: root.loading
            FlowScroll:
                # No gaps between the facts (their rules part them): the whole account fits without scrolling.
                Card:
                    opacity: 0 if root.view is None else 1
                    spacing: 0
                    BigCode:
                        caption: app.t("Account balance", app.locale)
                        code: root.view.balance if root.view else ""
                        code_color: theme.MONEY
                    # The centre's advice for this citizen, under the balance; takes no room when there is none.
                    KMuted:
                        text: app.t("For you", app.locale) if root.advice else ""
                        size_hint_y: None
                        height: self.texture_size[1] if root.advice else 0
                    BoxLayout:
                        id: advice
                        orientation: "vertical"
                        size_hint_y: None
                        height: self.minimum_height
                        spacing: dp(16)
                        padding: 0, 0, 0, dp(24) if root.advice else 0
                    FactRow:
                        label: app.t("Name", app.locale)
                        value: root.view.masked_name if root.view else ""
                    FactRow:
                        label: app.t("ID number", app.locale)
                        value: root.view.masked_id if root.view else ""
                    FactRow:
                        label: app.t("Account status", app.locale)
                        value: app.t(root.status_text(root.view.status), app.locale) if root.view else ""
                    FactRow:
                        label: app.t("Monthly deposit", app.locale)
                        value: root.view.monthly_deposit if root.view else ""
                    FactRow:
                        label: app.t("Deposit base", app.locale)
                        value: root.view.deposit_base if root.view else ""
                    FactRow:
                        label: app.t("Deposit rates", app.locale)
                        value: app.t("Unit {unit} + personal {personal}", app.locale).format(unit=root.view.unit_rate, personal=root.view.personal_rate) if root.view else ""
                    FactRow:
                        label: app.t("Paid up to", app.locale)
                        value: root.view.paid_up_to if root.view else ""
                    FactRow:
                        label: app.t("Employer", app.locale)
                        value: root.view.unit_name if root.view else ""
                    FactRow:
                        label: app.t("Account number", app.locale)
                        value: root.view.account_no if root.view else ""
            FlowWaiting:
                shown: root.printing
                message: N_("Printing, please wait…")
            FlowMessage:
                color: theme.PRIMARY if root.printed else theme.WARNING
                text: app.t(root.print_message, app.locale) if root.print_message else ""
            SecondaryButton:
                text: app.t("Print account statement", app.locale)
                opacity: 1 if root.can_print else 0
                disabled: not root.can_print or root.printing or root.view is None
                height: dp(130) if root.can_print else 0
                on_release: root.print_statement()
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()

<DepositLine@ListRow>:
    date: ""
    kind: ""
    amount: ""
    balance: ""
    outgoing: False
    size_hint_y: None
    height: dp(112)
    padding: 0, dp(8)
    BoxLayout:
        orientation: "vertical"
        size_hint_x: 0.5
        Label:
            text: app.t(root.kind, app.locale)
            color: theme.TEXT
            font_size: sp(theme.SMALL + 4)
            text_size: self.size
            halign: "left"
            valign: "middle"
        Label:
            text: root.date
            color: theme.MUTED
            font_size: sp(theme.SMALL - 2)
            text_size: self.size
            halign: "left"
            valign: "middle"
    BoxLayout:
        orientation: "vertical"
        Label:
            text: root.amount
            color: theme.ERROR if root.outgoing else theme.MONEY
            font_size: sp(theme.SMALL + 6)
            bold: True
            text_size: self.size
            halign: "right"
            valign: "middle"
        Label:
            text: app.t("Balance", app.locale) + " " + root.balance
            color: theme.MUTED
            font_size: sp(theme.SMALL - 2)
            text_size: self.size
            halign: "right"
            valign: "middle"

<DepositsScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(48)
            spacing: dp(28)
            KTitle:
                text: app.t("Deposit records", app.locale)
            FlowWaiting:
                shown: root.loading
            FlowScroll:
                Card:
                    id: table
                    spacing: 0
                    padding: dp(40), dp(16)
            BoxLayout:
                size_hint_y: None
                height: dp(120)
                spacing: dp(24)
                SecondaryButton:
                    text: app.t("Newer", app.locale)
                    height: dp(120)
                    disabled: root.page <= 1 or root.loading
                    on_release: root.turn(-1)
                KText:
                    halign: "center"
                    size_hint_y: None
                    height: dp(120)
                    text: app.t("Page {page} of {pages}", app.locale).format(page=root.page, pages=root.pages)
                SecondaryButton:
                    text: app.t("Older", app.locale)
                    height: dp(120)
                    disabled: root.page >= root.pages or root.loading
                    on_release: root.turn(1)
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()

<PlanLine@BoxLayout>:
    due: ""
    payment: ""
    remaining: ""
    size_hint_y: None
    height: dp(72)
    KText:
        text: root.due
        font_size: sp(theme.SMALL + 2)
    KText:
        text: root.payment
        halign: "right"
        font_size: sp(theme.SMALL + 2)
    KText:
        text: root.remaining
        halign: "right"
        color: theme.MUTED
        font_size: sp(theme.SMALL + 2)

<LoanScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(48)
            spacing: dp(28)
            KTitle:
                text: app.t("Housing loan", app.locale)
            FlowWaiting:
                shown: root.loading
            KText:
                halign: "center"
                opacity: 1 if root.no_loan else 0
                text: app.t("You have no Housing Provident Fund loan with us.", app.locale) if root.no_loan else ""
            FlowScroll:
                Card:
                    opacity: 0 if root.view is None else 1
                    spacing: 0
                    BigCode:
                        caption: app.t("Outstanding balance", app.locale)
                        code: root.view.balance if root.view else ""
                    KText:
                        bold: True
                        color: theme.ERROR
                        text: app.t("Overdue: {amount}. Please repay soon to avoid penalty interest.", app.locale).format(amount=root.view.overdue) if root.view and root.view.has_overdue else ""
                    FactRow:
                        label: app.t("Monthly payment", app.locale)
                        value: root.view.monthly_payment if root.view else ""
                    FactRow:
                        label: app.t("Next due date", app.locale)
                        value: root.view.next_due_date if root.view else ""
                    FactRow:
                        label: app.t("Loan amount", app.locale)
                        value: root.view.principal if root.view else ""
                    FactRow:
                        label: app.t("Annual rate", app.locale)
                        value: root.view.annual_rate if root.view else ""
                    FactRow:
                        label: app.t("Term", app.locale)
                        value: app.t("{months} months", app.locale).format(months=root.view.term_months) if root.view else ""
                    FactRow:
                        label: app.t("Contract number", app.locale)
                        value: root.view.contract_no if root.view else ""
                    KMuted:
                        text: app.t("Next payments (due date, amount, balance after)", app.locale)
                    BoxLayout:
                        id: plan
                        orientation: "vertical"
                        size_hint_y: None
                        height: self.minimum_height
                    SecondaryButton:
                        text: app.t("The whole repayment plan", app.locale)
                        disabled: root.view is None
                        on_release: app.go("loan_plan", view=root.view)
            FlowFooter:
                back_text: N_("Home")
                on_back: app.go_home()
"""
)
