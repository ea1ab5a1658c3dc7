"""Paper: how much of the roll is left by the kiosk's own count, what the printer's sensor says, and
"paper replaced" after staff put a new roll in, so the count (and its warning) starts again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.lang import Builder
from kivy.properties import BooleanProperty, ObjectProperty

from kiosk.i18n import N_
from kiosk.screens.maintenance_frame import MaintenanceScreen, local_time

if TYPE_CHECKING:
    from kiosk.services.paper import PaperEstimate

SENSOR_WORDS = {
    "ok": N_("paper present"),
    "near_end": N_("near the end of the roll"),
    "out": N_("out of paper"),
    "unknown": N_("unknown"),
}
LEFT = N_("About {left} m of {roll} m left")
USED = N_("{used} m")
LOW = N_("Paper is running low. Put a new roll in soon, then tap the button below.")
NEVER = N_("never on this kiosk")
REPLACED = N_("The paper counter starts again from a full roll.")


def metres(value: float) -> str:
    # Tenths matter only near the end of the roll, where staff decide whether to change it now.
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


class MaintenancePaperScreen(MaintenanceScreen):
    estimate = ObjectProperty(None, allownone=True)  # PaperEstimate; None: no printer on this kiosk
    loaded = BooleanProperty(False)  # the estimate was read (so None means "no printer", not "not yet")
    replaced = BooleanProperty(False)  # staff just said a new roll is in
    LOW = LOW
    REPLACED = REPLACED

    @property
    def roll_length_m(self) -> float:
        return float(self.app.runtime.settings.maintenance.paper_roll_length_m)

    def prepare(self, **params: Any) -> None:
        self.message = ""
        self.replaced = False
        self.estimate = self.app.runtime.maintenance.paper_estimate()
        self.loaded = True

    def paper_replaced(self) -> None:
        self.replaced = False
        self.run(self.app.runtime.maintenance.paper_replaced, on_result=self._replaced)

    def _replaced(self, estimate: PaperEstimate | None) -> None:
        self.estimate = estimate
        self.replaced = True

    def fraction_left(self, estimate: PaperEstimate | None) -> float:
        if estimate is None or self.roll_length_m <= 0:
            return 0.0
        return max(0.0, min(1.0, estimate.remaining_m / self.roll_length_m))

    def left_text(self, estimate: PaperEstimate | None, locale: str) -> str:
        if estimate is None:
            return ""
        return self.app.t(LEFT, locale).format(
            left=metres(estimate.remaining_m), roll=metres(self.roll_length_m)
        )

    def used_text(self, estimate: PaperEstimate | None, locale: str) -> str:
        return self.app.t(USED, locale).format(used=metres(estimate.used_m)) if estimate else ""

    def sensor_text(self, estimate: PaperEstimate | None, locale: str) -> str:
        return self.app.t(SENSOR_WORDS[estimate.sensor], locale) if estimate else ""

    def replaced_text(self, estimate: PaperEstimate | None, locale: str) -> str:
        if estimate is None:
            return ""
        return local_time(estimate.replaced_at) if estimate.replaced_at else self.app.t(NEVER, locale)

    def wipe(self) -> None:
        super().wipe()
        self.estimate = None
        self.loaded = False
        self.replaced = False


Builder.load_string(
    """
#:import theme kiosk.widgets.theme

<MaintenancePaperScreen>:
    MaintenanceFrame:
        section: "maintenance_paper"
        SectionTitle:
            text: app.t("Paper", app.locale)
        KText:
            text: app.t("This kiosk has no printer.", app.locale) if (root.loaded and root.estimate is None) else ""
            height: self.texture_size[1] if self.text else 0
        Card:
            opacity: 1 if root.estimate else 0
            disabled: root.estimate is None
            height: self.minimum_height if root.estimate else 0
            KText:
                bold: True
                font_size: sp(theme.HEADLINE)
                color: theme.WARNING if (root.estimate and root.estimate.low) else theme.TEXT
                text: root.left_text(root.estimate, app.locale)
            Widget:
                size_hint_y: None
                height: dp(56)
                canvas:
                    Color:
                        rgba: theme.DIVIDER
                    RoundedRectangle:
                        pos: self.pos
                        size: self.size
                        radius: [dp(12)]
                    Color:
                        rgba: theme.WARNING if (root.estimate and root.estimate.low) else theme.MONEY
                    RoundedRectangle:
                        pos: self.pos
                        size: self.width * root.fraction_left(root.estimate), self.height
                        radius: [dp(12)]
            KText:
                bold: True
                color: theme.WARNING
                text: app.t(root.LOW, app.locale) if (root.estimate and root.estimate.low) else ""
                height: self.texture_size[1] if self.text else 0
            StatusRow:
                label: app.t("Used so far", app.locale)
                value: root.used_text(root.estimate, app.locale)
            StatusRow:
                label: app.t("Paper sensor", app.locale)
                value: root.sensor_text(root.estimate, app.locale)
                ok: not (root.estimate and root.estimate.sensor in ("near_end", "out"))
            StatusRow:
                label: app.t("Roll replaced", app.locale)
                value: root.replaced_text(root.estimate, app.locale)
        KText:
            bold: True
            color: theme.MONEY
            text: app.t(root.REPLACED, app.locale) if root.replaced else ""
            height: self.texture_size[1] if self.text else 0
        MaintenanceMessage:
            screen: root
        KMuted:
            text: app.t("After you put a new roll in, tap the button so the kiosk counts from a full roll again.", app.locale) if root.estimate else ""
            height: self.texture_size[1] if self.text else 0
        KioskButton:
            height: dp(130) if root.estimate else 0
            base_font_size: sp(44)
            scales: False
            disabled: root.busy or root.estimate is None
            opacity: 1 if root.estimate else 0
            text: app.t("Paper replaced", app.locale)
            on_release: root.paper_replaced()
"""
)
