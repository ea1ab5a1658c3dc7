"""A housing loan's whole repayment plan, month by month: up to 360 rows for a 30-year loan, the months paid
muted, the next one due marked."""

from typing import Any

from kivy.lang import Builder
from kivy.properties import NumericProperty, ObjectProperty

from kiosk.screens.base import KioskScreen
from kiosk.services.citizen import LoanView


class LoanPlanScreen(KioskScreen):
    view = ObjectProperty(None, allownone=True)  # LoanView, handed over by the loan screen
    paid = NumericProperty(0)

    def prepare(self, **params: Any) -> None:
        view: LoanView = params["view"]
        self.view = view
        self.paid = sum(row.paid for row in view.plan)
        next_due = next((row.period for row in view.plan if not row.paid), None)
        # A RecycleView draws only the rows in sight and reuses them as the list scrolls: 360 rows cost
        # what a dozen do.
        self.ids.rows.data = [
            {
                "period": str(row.period),
                "due": row.due_date,
                "payment": row.payment,
                "remaining": row.remaining,
                "paid": row.paid,
                "next_due": row.period == next_due,
            }
            for row in view.plan
        ]
        if next_due is not None:  # open at the next month due, which is what a citizen looks for
            self.ids.rows.scroll_y = 1 - (next_due - 1) / max(1, len(view.plan) - 1)

    def back(self) -> None:
        self.app.go("loan")

    def wipe(self) -> None:
        self.view = None
        self.paid = 0
        self.ids.rows.data = []


Builder.load_string(
    """
#:import theme kiosk.widgets.theme
#:import N_ kiosk.i18n.N_

<PlanCell@KText>:
    # The row's height is fixed (the RecycleView's rows are all alike); the words sit in its middle.
    size_hint_y: 1
    text_size: self.size

<PlanMonth@BoxLayout>:
    period: ""
    due: ""
    payment: ""
    remaining: ""
    paid: False
    next_due: False
    size_hint_y: None
    height: dp(72)
    spacing: dp(12)
    canvas.before:
        Color:
            rgba: (theme.PRIMARY[:3] + (0.12,)) if self.next_due else (0, 0, 0, 0)
        Rectangle:
            pos: self.pos
            size: self.size
    PlanCell:
        text: root.period
        size_hint_x: 0.12
        color: theme.MUTED
        font_size: sp(theme.SMALL) * app.text_scale
    PlanCell:
        text: root.due
        size_hint_x: 0.3
        color: theme.MUTED if root.paid else theme.TEXT
        font_size: sp(theme.SMALL + 2) * app.text_scale
    PlanCell:
        text: root.payment
        halign: "right"
        size_hint_x: 0.26
        color: theme.MUTED if root.paid else theme.TEXT
        font_size: sp(theme.SMALL + 2) * app.text_scale
    PlanCell:
        text: root.remaining
        halign: "right"
        size_hint_x: 0.32
        color: theme.MUTED
        font_size: sp(theme.SMALL + 2) * app.text_scale

<LoanPlanScreen>:
    BoxLayout:
        orientation: "vertical"
        Header:
        BoxLayout:
            orientation: "vertical"
            padding: dp(56), dp(40)
            spacing: dp(20)
            KTitle:
                text: app.t("Repayment plan", app.locale)
            KMuted:
                text: app.t("{paid} of {months} monthly payments made. The next one due is highlighted.", app.locale).format(paid=root.paid, months=root.view.term_months) if root.view else ""
            BoxLayout:
                size_hint_y: None
                height: dp(48)
                spacing: dp(12)
                padding: 0, 0, dp(24), 0  # over the rows' columns, which leave the scroll bar its lane
                KMuted:
                    text: app.t("No.", app.locale)
                    size_hint_x: 0.12
                KMuted:
                    text: app.t("Due date", app.locale)
                    size_hint_x: 0.3
                KMuted:
                    text: app.t("Payment", app.locale)
                    halign: "right"
                    size_hint_x: 0.26
                KMuted:
                    text: app.t("Balance after", app.locale)
                    halign: "right"
                    size_hint_x: 0.32
            RecycleView:
                id: rows
                viewclass: "PlanMonth"
                do_scroll_x: False
                bar_width: dp(10)
                bar_color: theme.MUTED
                bar_inactive_color: theme.DIVIDER
                RecycleBoxLayout:
                    orientation: "vertical"
                    padding: 0, 0, dp(24), 0  # the scroll bar's lane, clear of the balance column
                    default_size: None, dp(72)
                    default_size_hint: 1, None
                    size_hint_y: None
                    height: self.minimum_height
            FlowFooter:
                on_back: root.back()
"""
)
