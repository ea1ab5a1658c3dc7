"""A bare app of two kiosk screens, each with a label from the kv rules (kiosk/widgets/screen_label.py),
run under Xvfb by tests/ui/test_screen_label.py: the words of both change while the first shows; the
hidden one must not render them until its screen is about to show, and must then. Prints one JSON object
of what it saw."""

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_CONFIG", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")


def main() -> None:
    from kivy.app import App
    from kivy.clock import Clock
    from kivy.factory import Factory
    from kivy.uix.screenmanager import NoTransition, ScreenManager

    from kiosk.screens.base import KioskScreen

    seen: dict[str, Any] = {}

    class Two(App):
        text_scale = 1.0

        def build(self) -> Any:
            self.sm = ScreenManager(transition=NoTransition())
            self.labels = {}
            for name in ("shown", "hidden"):
                screen = KioskScreen(name=name)
                label = Factory.Label(text=f"{name}: before", font_size=30)
                screen.add_widget(label)
                self.labels[name] = label
                self.sm.add_widget(screen)
            self.sm.current = "shown"
            Clock.schedule_once(self.change_words, 0.5)
            return self.sm

        def change_words(self, _dt: float) -> None:
            seen["kind"] = type(self.labels["hidden"]).__name__
            seen["hidden_width_before"] = self.labels["hidden"].texture_size[0]
            for name, label in self.labels.items():
                label.text = f"{name}: after, and a good deal longer than before"
            Clock.schedule_once(self.look_while_hidden, 0.3)

        def look_while_hidden(self, _dt: float) -> None:
            hidden, shown = self.labels["hidden"], self.labels["shown"]
            seen["shown_deferred"] = shown.texture_deferred
            seen["shown_width"] = shown.texture_size[0]
            seen["hidden_deferred"] = hidden.texture_deferred
            seen["hidden_width_while_hidden"] = hidden.texture_size[0]
            self.sm.current = "hidden"
            Clock.schedule_once(self.look_when_shown, 0.3)

        def look_when_shown(self, _dt: float) -> None:
            hidden = self.labels["hidden"]
            seen["hidden_deferred_when_shown"] = hidden.texture_deferred
            seen["hidden_width_when_shown"] = hidden.texture_size[0]
            self.stop()

    Two().run()
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
