"""Finding a font that draws Simplified Chinese properly.

Debian's fonts-noto-cjk ships Noto Sans CJK as collections (.ttc) whose first face is the Japanese one,
and Kivy's text providers always take the first face: several common hanzi (e.g. 骨, 直, 画) would be drawn
in Japanese forms. So the Simplified Chinese face is copied out of the collection once, into the kiosk's
data dir, and that single-face file is what the UI registers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

NOTO_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"))
_SC_FACE_NAME = "Noto Sans CJK SC"


class FontError(Exception):
    """No usable CJK font; `str()` says what to install or configure."""


@dataclass(frozen=True)
class UiFonts:
    regular: Path
    bold: Path


def _collection(weight: str) -> Path | None:
    for directory in NOTO_DIRS:
        candidate = directory / f"NotoSansCJK-{weight}.ttc"
        if candidate.is_file():
            return candidate
    return None


def _extract_sc_face(collection: Path, out: Path) -> Path:
    if out.is_file() and out.stat().st_mtime >= collection.stat().st_mtime:
        return out
    from fontTools.ttLib import TTCollection  # only needed on the first start

    fonts = TTCollection(str(collection), lazy=True).fonts
    for face in fonts:
        if face["name"].getDebugName(4) in (_SC_FACE_NAME, _SC_FACE_NAME + " Bold"):
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_suffix(".tmp")
            face.save(str(tmp))
            os.replace(tmp, out)
            return out
    raise FontError(f"{collection} has no '{_SC_FACE_NAME}' face; reinstall fonts-noto-cjk")


def find_ui_fonts(configured: Path | None, cache_dir: Path) -> UiFonts:
    """The fonts the UI should use: the configured one, or Noto Sans CJK SC from the system."""
    if configured is not None:
        if not configured.is_file():
            raise FontError(f"display.font: {configured} does not exist")
        if configured.suffix.lower() == ".ttc":
            raise FontError(
                f"display.font: {configured} is a font collection; Kivy would use its first face. "
                "Point it at a single-face .otf/.ttf, or leave it out to use Noto Sans CJK SC"
            )
        return UiFonts(configured, configured)
    regular = _collection("Regular")
    if regular is None:
        raise FontError("no Chinese font found: install fonts-noto-cjk (deploy/install-system-packages.sh)")
    bold = _collection("Bold") or regular
    return UiFonts(
        _extract_sc_face(regular, cache_dir / "NotoSansCJKsc-Regular.otf"),
        _extract_sc_face(bold, cache_dir / f"NotoSansCJKsc-{'Bold' if bold != regular else 'Regular'}.otf"),
    )
