"""The catalogue: every citizen screen and every event has a short prompt in both languages, written for
the ear, with the same placeholders in both."""

import json
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.masking import format_fen
from kiosk.voice.prompts import (
    EVENT_PROMPTS,
    FORBIDDEN_FIELDS,
    PERSONAL_PROMPTS,
    SCREEN_PROMPTS,
    _placeholders,
    render,
    spell_count,
    spell_money,
)

ALL = {**SCREEN_PROMPTS, **EVENT_PROMPTS, **PERSONAL_PROMPTS}
CJK = re.compile(r"[\u4e00-\u9fff]")


def _citizen_screens() -> set[str]:
    """kiosk.screens' citizen screens, asked of another process: importing the screens starts Kivy, which
    does not belong in this one (it takes over logging and the command line)."""
    program = (
        "import json; from kiosk.screens import SCREENS, STAFF_SCREENS; "
        "print(json.dumps(sorted(set(SCREENS) - STAFF_SCREENS)))"
    )
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1"}
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, env=env, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_every_citizen_screen_has_a_prompt_and_no_other_screen_does() -> None:
    citizen = _citizen_screens()
    assert citizen - SCREEN_PROMPTS.keys() == set(), "citizen screens without a spoken prompt"
    assert SCREEN_PROMPTS.keys() - citizen == set(), "prompts for screens that do not exist or are staff's"


def test_the_events_the_issue_names_are_there() -> None:
    needed = {
        "take_id_card",
        "take_receipt",
        "error",
        "timeout_warning",
        "password_digits",
        "help_called",
        "goodbye",
    }
    assert needed <= EVENT_PROMPTS.keys()
    assert render(EVENT_PROMPTS["take_id_card"], "zh_CN") == "请取走您的身份证。"
    assert "工作人员马上就到" in render(EVENT_PROMPTS["help_called"], "zh_CN")


@pytest.mark.parametrize("key", sorted(ALL))
def test_both_languages_written_for_the_ear(key: str) -> None:
    prompt = ALL[key]
    zh, en = prompt.zh_CN, prompt.en
    assert CJK.search(zh), f"{key}: the Mandarin prompt has no Chinese"
    # The Mandarin voice reads Latin letters as pinyin and "¥" not at all: neither may appear.
    assert not re.search(r"[A-Za-z¥$]", re.sub(r"\{\w+\}", "", zh)), f"{key}: Latin letters in Mandarin"
    assert en.isascii() and not CJK.search(en), f"{key}: the English prompt is not plain English"
    assert set(_placeholders(zh)) == set(_placeholders(en)), f"{key}: placeholders differ"
    # Short: one or two sentences.
    assert 4 <= len(zh) <= 40, f"{key}: {len(zh)} characters"
    assert 10 <= len(en) <= 130, f"{key}: {len(en)} characters"
    assert zh.count("。") + zh.count("？") <= 2 and 1 <= en.count(".") + en.count("?") <= 3


def test_only_personal_prompts_take_personal_facts() -> None:
    for prompt in (*SCREEN_PROMPTS.values(), *EVENT_PROMPTS.values()):
        assert prompt.kind in ("screen", "event")
        assert prompt.fields <= {"count", "attempts"}, prompt.key
    for prompt in PERSONAL_PROMPTS.values():
        assert prompt.kind == "personal" and prompt.fields and prompt.fallback in EVENT_PROMPTS


def test_render_takes_exactly_the_facts_of_the_template() -> None:
    balance = PERSONAL_PROMPTS["balance"]
    assert render(balance, "zh_CN", balance="¥1,234.56") == "您的账户余额是1234点五六元。"
    assert render(balance, "en", balance="¥1,234.56") == "Your account balance is 1,234.56 yuan."
    with pytest.raises(ValueError, match="needs"):
        render(balance, "zh_CN")
    with pytest.raises(ValueError, match="does not take"):
        render(balance, "zh_CN", balance="¥1.00", amount="¥2.00")
    with pytest.raises(ValueError, match="money"):
        render(balance, "zh_CN", balance="1234")
    for forbidden in FORBIDDEN_FIELDS:
        with pytest.raises(ValueError, match="never takes"):
            render(EVENT_PROMPTS["password_digits"], "zh_CN", count=1, **{forbidden: "123456"})


def test_the_password_count_is_a_word() -> None:
    digits = EVENT_PROMPTS["password_digits"]
    assert render(digits, "zh_CN", count=3) == "已输入三位。"
    assert render(digits, "zh_CN", count=2) == "已输入两位。"
    assert render(digits, "en", count=3) == "Three digits entered."
    with pytest.raises(ValueError):
        render(digits, "zh_CN", count="3")
    with pytest.raises(ValueError):
        render(digits, "zh_CN", count=123456)


@given(st.integers(0, 20))
def test_spell_count_has_no_digit(n: int) -> None:
    for locale in ("zh_CN", "en"):
        assert not re.search(r"\d", spell_count(n, locale))


@given(st.integers(-(10**11), 10**11))
def test_money_is_said_as_the_amount_shown(fen: int) -> None:
    shown = format_fen(fen)
    zh = spell_money(shown, "zh_CN")
    en = spell_money(shown, "en")
    yuan, rest = divmod(abs(fen), 100)
    assert zh.endswith("元") and zh.lstrip("负").startswith(str(yuan))
    assert zh.startswith("负") == (fen < 0)
    zh_digits = "零一二三四五六七八九"
    spoken_fen = zh.lstrip("负")[len(str(yuan)) :].removesuffix("元").removeprefix("点")
    assert spoken_fen == "".join(zh_digits[int(d)] for d in f"{rest:02d}".rstrip("0"))
    assert en == f"{'minus ' if fen < 0 else ''}{yuan:,}.{rest:02d} yuan"
