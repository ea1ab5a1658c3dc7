"""Translations: gettext catalogues under kiosk/locale, switchable at run time.

Message ids are English; `zh_CN` is the default locale of every citizen session. The UI asks for text
through `Translator.gettext` each time a label is drawn, so switching language re-translates every screen.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from kiosk.settings import SUPPORTED_LOCALES

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "kiosk"


class Translator:
    def __init__(self, locale: str = "zh_CN", locale_dir: Path = LOCALE_DIR) -> None:
        self._catalogues: dict[str, gettext.NullTranslations] = {}
        for code in SUPPORTED_LOCALES:
            # English is the message-id language; its catalogue may be empty but must load if present.
            self._catalogues[code] = gettext.translation(
                DOMAIN, localedir=locale_dir, languages=[code], fallback=code == "en"
            )
        self.locale = locale
        self.set_locale(locale)

    def set_locale(self, locale: str) -> None:
        if locale not in self._catalogues:
            raise ValueError(f"unsupported locale {locale!r}; use one of {', '.join(SUPPORTED_LOCALES)}")
        self.locale = locale

    def gettext(self, message: str, locale: str | None = None) -> str:
        return self._catalogues[locale or self.locale].gettext(message)


def N_(message: str) -> str:  # the gettext convention that extractors look for
    """Marks a message id that is translated later, where it is shown."""
    return message
