"""Measures one kiosk screen from its widget tree (runs on the Kivy thread, in the driver's process): touch
targets, font sizes, line spacing and text/background contrast, against the rules in kiosk/accessibility.py.

- Touch targets: every widget a finger can press (ButtonBehavior, or anything with `trigger_action`), its
  width and height in dp: ≥ 44 (normal) / ≥ 60 (elderly mode). Disabled or invisible ones are skipped.
- Text: every visible Label with text. Its font size (the em square, as Kivy draws it) in dp: ≥ 18 in
  elderly mode for all text (we do not let footnotes be smaller there), ≥ 30 for key figures (the big code
  or balance a screen is about: a Label inside a `BigCode`). In both modes the ADA §707.7.2 height: the
  uppercase I of the kiosk's font ≥ 4.8 mm. In elderly mode, wrapped text's line pitch ≥ 1.3 × font size.
- Contrast: the Label's colour (with its alpha and its ancestors' opacity) against what is drawn behind
  its centre: the last filled Rectangle / RoundedRectangle in the canvases of the Label and its ancestors
  (their `canvas.before` and own `canvas`, in drawing order, alpha composited), over the window's clear
  colour. ≥ 4.5, or ≥ 3 for large text (kiosk.accessibility.is_large_text). Disabled controls are exempt
  (WCAG 1.4.3) and reported as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from kiosk.accessibility import (
    ADA_CHARACTER_MIN_MM,
    KEY_FIGURE_MIN_ELDERLY_DP,
    KIOSK_PANEL,
    LINE_SPACING_MIN_ELDERLY,
    MAIN_TEXT_MIN_ELDERLY_DP,
    Colour,
    Panel,
    contrast_needed,
    contrast_ratio,
    over,
    target_needed,
)


@dataclass
class Finding:
    screen: str
    mode: str
    kind: str  # "target" or "text"
    widget: str  # class name and where it sits
    text: str  # masked excerpt
    width_dp: float = 0.0
    height_dp: float = 0.0
    font_dp: float | None = None
    character_mm: float | None = None
    line_spacing: float | None = None
    contrast: float | None = None
    contrast_needed: float | None = None
    key_figure: bool = False
    verdict: str = "ok"  # "ok", "exempt: …", or the failed rules joined by "; "
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, float):
                data[key] = round(value, 2)
        return data


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """An excerpt safe for a report: no digits (ID, card, account numbers, amounts) and no known names."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "＊" * len(secret))
    text = re.sub(r"\d", "#", text.replace("\n", " "))
    return text[:40]


def _lineage(widget: Any) -> list[Any]:
    """The widget and its ancestors up to (not including) the window, whose parent is itself."""
    chain = []
    node = widget
    while node is not None and node not in chain and node.parent is not node:
        chain.append(node)
        node = node.parent
    return chain


def _visible(widget: Any) -> bool:
    if any(getattr(node, "opacity", 1) <= 0.01 for node in _lineage(widget)):
        return False
    return widget.get_root_window() is not None and widget.width > 1 and widget.height > 1


def _opacity(widget: Any) -> float:
    value = 1.0
    for node in _lineage(widget):
        value *= node.opacity
    return value


def _in_view(widget: Any) -> bool:
    """Inside every ScrollView around it, and inside the window (a row scrolled out of sight is not seen)."""
    from kivy.core.window import Window
    from kivy.uix.scrollview import ScrollView

    cx, cy = widget.to_window(*widget.center)
    if not (0 <= cx <= Window.width and 0 <= cy <= Window.height):
        return False
    for node in _lineage(widget)[1:]:
        if isinstance(node, ScrollView):
            x, y = node.to_window(*node.pos)
            if not (x <= cx <= x + node.width and y <= cy <= y + node.height):
                return False
    return True


def _fills(widget: Any) -> list[tuple[Colour, tuple[float, float, float, float]]]:
    """(colour, window rectangle) of each filled rectangle in the widget's own canvases, in drawing order."""
    from kivy.graphics import Color, Rectangle, RoundedRectangle
    from kivy.graphics.instructions import Canvas
    from kivy.uix.label import Label

    plain = Rectangle().texture  # what a Rectangle without a texture of its own draws with
    found: list[tuple[Colour, tuple[float, float, float, float]]] = []
    colour: Colour = (1, 1, 1, 1)
    # A Label's own canvas holds its rendered text; only its canvas.before can hold a fill.
    groups = (widget.canvas.before,) if isinstance(widget, Label) else (widget.canvas.before, widget.canvas)
    for group in groups:
        for instruction in group.children:
            if isinstance(instruction, Canvas):  # a child widget's canvas: not this widget's own drawing
                continue
            if isinstance(instruction, Color):
                colour = tuple(instruction.rgba)
            elif isinstance(instruction, Rectangle | RoundedRectangle) and instruction.texture in (
                None,
                plain,
            ):
                # (a Rectangle with a texture of its own is rendered text or a picture, not a fill)
                if colour[3] <= 0:
                    continue
                x, y = widget.to_window(*instruction.pos)
                w, h = instruction.size
                found.append((colour, (x, y, w, h)))
    return found


def background_behind(widget: Any, clear_colour: Colour) -> tuple[float, float, float, float]:
    cx, cy = widget.to_window(*widget.center)
    colour = tuple(clear_colour)
    for node in reversed(_lineage(widget)):  # the root's drawing first: it is at the bottom
        for fill, (x, y, w, h) in _fills(node):
            if x <= cx <= x + w and y <= cy <= y + h:
                colour = over((*fill[:3], fill[3] * _opacity(node)), colour)
    return (colour[0], colour[1], colour[2], 1.0)


def _path(widget: Any, root: Any) -> str:
    names = []
    for node in _lineage(widget):
        if node is root:
            break
        wid = next((k for k, v in getattr(node.parent, "ids", {}).items() if v is node), None)
        names.append(f"{type(node).__name__}#{wid}" if wid else type(node).__name__)
    return " < ".join(names[:4])


def _touchable(widget: Any) -> bool:
    from kivy.uix.behaviors import ButtonBehavior

    return isinstance(widget, ButtonBehavior) or hasattr(widget, "trigger_action")


def _key_figure(widget: Any) -> bool:
    parent = widget.parent
    return (
        parent is not None
        and type(parent).__name__ == "BigCode"
        and widget.text == getattr(parent, "code", None)
    )


def _line_pitch(label: Any) -> float | None:
    """Distance between wrapped lines over the font size (the font's own line height × `line_height`)."""
    if label.text_size[0] is None or label.font_size <= 0:
        return None
    core = label._label
    if core is None:
        return None
    _w, h = core.get_extents("中Ag")
    return float(h * label.line_height / label.font_size)


def audit(
    root: Any,
    *,
    screen: str,
    elderly: bool,
    density: float,
    clear_colour: Colour,
    cap_ratio: float,
    secrets: Iterable[str] = (),
    panel: Panel = KIOSK_PANEL,
) -> list[Finding]:
    """Every touch target and every text on `root` (the screen, with its overlay if one is up)."""
    from kivy.uix.label import Label

    mode = "elderly" if elderly else "normal"
    secrets = list(secrets)
    findings: list[Finding] = []
    for widget in root.walk(restrict=True):
        if not _visible(widget) or not _in_view(widget):
            continue
        where = _path(widget, root)
        if _touchable(widget) and not widget.disabled:
            w, h = panel.dp(widget.width / density), panel.dp(widget.height / density)
            finding = Finding(
                screen, mode, "target", where, mask(getattr(widget, "text", "") or "", secrets), w, h
            )
            need = target_needed(elderly)
            if min(w, h) < need:
                finding.problems.append(f"target {w:.0f}x{h:.0f} dp < {need:.0f}x{need:.0f}")
            findings.append(finding)
        if isinstance(widget, Label) and widget.text.strip() and widget.color[3] * _opacity(widget) > 0.05:
            design_px = widget.font_size / density
            font_dp = panel.dp(design_px)
            key = _key_figure(widget)
            finding = Finding(
                screen,
                mode,
                "text",
                where,
                mask(widget.text, secrets),
                panel.dp(widget.width / density),
                panel.dp(widget.height / density),
                font_dp=font_dp,
                character_mm=panel.mm(design_px) * cap_ratio,
                key_figure=key,
            )
            if finding.character_mm is not None and finding.character_mm < ADA_CHARACTER_MIN_MM:
                finding.problems.append(
                    f"characters {finding.character_mm:.1f} mm < {ADA_CHARACTER_MIN_MM} mm (ADA)"
                )
            if elderly and font_dp < MAIN_TEXT_MIN_ELDERLY_DP:
                finding.problems.append(f"font {font_dp:.1f} dp < {MAIN_TEXT_MIN_ELDERLY_DP:.0f} dp")
            if elderly and key and font_dp < KEY_FIGURE_MIN_ELDERLY_DP:
                finding.problems.append(f"key figure {font_dp:.1f} dp < {KEY_FIGURE_MIN_ELDERLY_DP:.0f} dp")
            pitch = _line_pitch(widget)
            finding.line_spacing = pitch
            if elderly and pitch is not None and pitch < LINE_SPACING_MIN_ELDERLY:
                finding.problems.append(f"line spacing {pitch:.2f} < {LINE_SPACING_MIN_ELDERLY}")
            colour = tuple(widget.disabled_color if widget.disabled else widget.color)
            behind = background_behind(widget, clear_colour)
            text_colour = over((*colour[:3], colour[3] * _opacity(widget)), behind)
            finding.contrast = contrast_ratio(text_colour, behind)
            finding.contrast_needed = contrast_needed(font_dp, bool(widget.bold))
            if finding.contrast < finding.contrast_needed:
                if widget.disabled or (widget.parent is not None and widget.parent.disabled):
                    finding.verdict = "exempt: disabled control"
                else:
                    finding.problems.append(f"contrast {finding.contrast:.2f} < {finding.contrast_needed}")
            findings.append(finding)
    for finding in findings:
        if finding.problems:
            finding.verdict = "; ".join(finding.problems)
    return findings


def cap_height_ratio(font_path: str) -> float:
    """The height of the uppercase I over the font size, measured in the kiosk's own font."""
    from PIL import ImageFont

    font = ImageFont.truetype(font_path, 1000)
    _left, top, _right, bottom = font.getbbox("I", anchor="ls")
    return (bottom - top) / 1000
