"""Every message the UI can show has a Chinese translation, and the compiled catalogues match the sources."""

import re
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from kiosk.i18n import LOCALE_DIR, Translator

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
# app.t("..."), self.app.t("..."), app_t("..."), N_("..."), with implicit string concatenation inside.
_CALL = re.compile(r'(?:\bt|_t|\bN_)\(\s*((?:"(?:[^"\\]|\\.)*"\s*)+)')


def used_messages() -> set[str]:
    found = set()
    for path in KIOSK.rglob("*.py"):
        for match in _CALL.finditer(path.read_text(encoding="utf-8")):
            found.add("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1))))
    return found


def _po(locale: str):
    with open(LOCALE_DIR / locale / "LC_MESSAGES" / "kiosk.po", "rb") as handle:
        return read_po(handle)


def test_the_extractor_finds_messages() -> None:
    used = used_messages()
    assert "Please enter your 6-digit query password" in used
    assert "Sealed (deposits paused)" in used  # marked with N_ in a dict
    assert len(used) > 60


def test_every_used_message_is_translated_to_chinese() -> None:
    catalogue = _po("zh_CN")
    missing = sorted(m for m in used_messages() if not (catalogue.get(m) and catalogue.get(m).string))
    assert missing == []


def test_no_stale_translations() -> None:
    stale = sorted(str(m.id) for m in _po("zh_CN") if m.id and m.id not in used_messages())
    assert stale == []


def test_placeholders_survive_translation() -> None:
    for message in _po("zh_CN"):
        if message.id:
            assert set(re.findall(r"{\w+}", message.id)) == set(re.findall(r"{\w+}", message.string)), (
                message.id
            )


def test_compiled_catalogues_match_sources() -> None:
    for locale in ("zh_CN", "en"):
        with open(LOCALE_DIR / locale / "LC_MESSAGES" / "kiosk.mo", "rb") as handle:
            compiled = {m.id: m.string for m in read_mo(handle) if m.id}
        source = {m.id: m.string for m in _po(locale) if m.id}
        assert compiled == source, f"run: pybabel compile -D kiosk -d kiosk/locale ({locale} is stale)"


def test_switching_language() -> None:
    translator = Translator("zh_CN")
    assert translator.gettext("Exit") == "退出"
    translator.set_locale("en")
    assert translator.gettext("Exit") == "Exit"
    assert translator.gettext("Exit", "zh_CN") == "退出"
