"""Text drawn for the screen being shown, not for the thirty behind it.

Every screen is built just after start (kiosk/app.py), and each binds its words to the language and the
text size. Switching either changed the words of every screen at once, and Kivy renders a label's text
into a texture as soon as it changes, shown or not: some 600 labels in one frame, 100-160 ms of the Kivy
thread on a switch that should answer at once (bench/ui_latency.py). A label on a screen that is not the
one showing now keeps its new words unrendered until its screen is about to show (KioskScreen's
on_pre_enter renders them, before that frame's layout), so a switch renders only what the citizen sees.

Every `Label` the kiosk's kv rules name is this one (registered below under Kivy's name, before any rule
is applied); Python classes derive from it directly.
"""

from typing import Any

from kivy.factory import Factory
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget


class ScreenLabel(Label):
    # True while the label holds words it has not rendered (its screen is not showing).
    texture_deferred = False

    def texture_update(self, *largs: Any) -> None:
        if on_a_hidden_screen(self):
            self.texture_deferred = True
            return
        self.texture_deferred = False
        super().texture_update(*largs)


def on_a_hidden_screen(widget: Widget) -> bool:
    """Whether `widget` is on a screen of a screen manager that shows another one. A widget on no screen
    (an overlay, a list's row waiting to be reused) is drawn as any label is."""
    node = widget.parent
    while node is not None and node is not node.parent:
        if isinstance(node, Screen):
            manager = node.manager
            return manager is not None and manager.current_screen is not node
        node = node.parent
    return False


def render_deferred(screen: Screen) -> None:
    """Render the words a screen's labels were given while it was hidden: called as it is about to show."""
    for widget in screen.walk(restrict=True):
        if getattr(widget, "texture_deferred", False):
            widget.texture_update()


Factory.unregister("Label")
Factory.register("Label", cls=ScreenLabel)
