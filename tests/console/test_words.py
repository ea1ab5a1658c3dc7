"""Every word the console shows has its Chinese, with the same placeholders, and one English key means one
thing everywhere (the word modules are merged into one dictionary: a clash would change another page)."""

from __future__ import annotations

import re
from pathlib import Path

from central_server.console import words
from central_server.console.i18n import _SHARED, ZH
from central_server.console.words import fleet, operators, rollouts, scorecard, terminals, work

CONSOLE = Path(words.__file__).resolve().parents[1]
# t("…") in templates and page.t("…") / N_-less calls in the console's Python.
_CALL = re.compile(r"""\bt\(\s*(?P<q>["'])(?P<text>(?:(?!(?P=q)).)+)(?P=q)\s*\)""")


def _used() -> set[str]:
    found = set()
    for path in [*CONSOLE.glob("templates/*.html"), *CONSOLE.glob("*.py")]:
        if path.name == "i18n.py":  # its docstring speaks of t("…")
            continue
        found |= {m.group("text") for m in _CALL.finditer(path.read_text(encoding="utf-8"))}
    return found


def test_every_literal_word_has_its_chinese() -> None:
    missing = sorted(text for text in _used() if text not in ZH)
    assert missing == []


def test_placeholders_survive_translation() -> None:
    for english, chinese in ZH.items():
        assert set(re.findall(r"{\w+}", english)) == set(re.findall(r"{\w+}", chinese)), english


def test_no_english_key_has_two_translations() -> None:
    tables = {m.__name__: m.WORDS for m in (fleet, rollouts, scorecard, work, terminals, operators)}
    modules = {"shared": _SHARED, **tables}
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for name, table in modules.items():
        for english, chinese in table.items():
            first, said = seen.get(english, (name, chinese))
            if said != chinese:
                clashes.append(f"{english!r}: {first} says {said}, {name} says {chinese}")
            seen.setdefault(english, (name, chinese))
    assert clashes == []
