"""Privacy in audio: the password is never spoken, personal facts only through a headset or the opt-in,
and no fact that is not of a prompt's own narrow shape can reach the speaker."""

import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.voice.privacy import AlsaHeadsetProbe, may_speak, parse_jack_state
from kiosk.voice.prompts import (
    EVENT_PROMPTS,
    FIELDS,
    FORBIDDEN_FIELDS,
    PERSONAL_PROMPTS,
    SCREEN_PROMPTS,
    Prompt,
    render,
)

ALL = {**SCREEN_PROMPTS, **EVENT_PROMPTS, **PERSONAL_PROMPTS}
# Prompts said while (or right after) a password is typed: they hold no digit at all.
PASSWORD_CONTEXT = [
    SCREEN_PROMPTS["password"],
    SCREEN_PROMPTS["password_change"],
    EVENT_PROMPTS["password_digits"],
    EVENT_PROMPTS["password_wrong"],
]

passwords = st.text("0123456789", min_size=6, max_size=6)
id_numbers = st.builds(
    lambda body, check: body + check,
    st.text("0123456789", min_size=17, max_size=17),
    st.sampled_from("0123456789X"),
)
# Synthetic names; a name made only of characters the prompts use anyway ("请取") would prove nothing.
_SPOKEN_CHARS = frozenset(
    "".join(p.zh_CN for p in (*SCREEN_PROMPTS.values(), *EVENT_PROMPTS.values(), *PERSONAL_PROMPTS.values()))
    + "零一二三四五六七八九十两点元负"
)
names = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(lambda c: c not in _SPOKEN_CHARS),
    min_size=2,
    max_size=4,
)
card_numbers = st.text("0123456789", min_size=16, max_size=19)
money = st.integers(-(10**10), 10**10).map(
    lambda fen: f"{'-' if fen < 0 else ''}¥{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
)
call_numbers = st.from_regex(r"\A[A-Z]{0,2}[0-9]{1,4}\Z")
FACTS = {
    "count": st.integers(0, 6),
    "attempts": st.integers(0, 5),
    "balance": money,
    "amount": money,
    "call_number": call_numbers,
    "card_last4": st.text("0123456789", min_size=4, max_size=4),
}


def test_facts_strategy_covers_every_field() -> None:
    assert FACTS.keys() == FIELDS.keys()


@pytest.mark.parametrize("kind", ["screen", "event"])
def test_non_personal_prompts_are_always_spoken(kind: str) -> None:
    prompt = next(p for p in ALL.values() if p.kind == kind)
    for headset in (False, True):
        for allowed in (False, True):
            assert may_speak(prompt, headset=headset, personal_allowed=allowed)


def test_personal_prompts_need_a_headset_or_the_opt_in() -> None:
    for prompt in PERSONAL_PROMPTS.values():
        assert not may_speak(prompt, headset=False, personal_allowed=False)
        assert may_speak(prompt, headset=True, personal_allowed=False)
        assert may_speak(prompt, headset=False, personal_allowed=True)


@given(
    key=st.sampled_from(sorted(ALL)),
    locale=st.sampled_from(["zh_CN", "en"]),
    password=passwords,
    id_number=id_numbers,
    name=names,
    card=card_numbers,
    data=st.data(),
)
def test_no_rendered_prompt_holds_the_citizens_secrets(
    key: str, locale: str, password: str, id_number: str, name: str, card: str, data: st.DataObject
) -> None:
    prompt: Prompt = ALL[key]
    facts = {field: data.draw(FACTS[field], label=field) for field in prompt.fields}
    text = render(prompt, locale, **facts)
    compact = re.sub(r"[\s,]", "", text)
    # A balance of ¥25,000,000.00 holds "000000" by chance; what a fact the citizen may hear holds is not a
    # leak, so only sequences that are not inside the allowed facts themselves are looked for.
    allowed = re.sub(r"[\s,¥]", "", " ".join(str(v) for v in facts.values()))
    for secret in (password, id_number, card, id_number[3:-4], card[6:-4]):
        if secret not in allowed:
            assert secret not in compact
    assert name not in text
    if prompt in PASSWORD_CONTEXT:
        assert not re.search(r"\d", text), f"a digit spoken while a password is typed: {text!r}"


@given(
    field=st.sampled_from(sorted(FIELDS)),
    secret=st.one_of(passwords, id_numbers, names, card_numbers),
)
def test_no_field_accepts_a_password_id_number_name_or_card_number(field: str, secret: str) -> None:
    prompt = next(p for p in ALL.values() if field in p.fields)
    facts: dict[str, object] = {f: 1 if f in ("count", "attempts") else "¥1.00" for f in prompt.fields}
    facts["card_last4"] = "1234" if "card_last4" in prompt.fields else None
    facts = {k: v for k, v in facts.items() if v is not None}
    facts[field] = secret
    with pytest.raises(ValueError):
        render(prompt, "zh_CN", **facts)


@given(name=st.sampled_from(sorted(FORBIDDEN_FIELDS)), value=st.one_of(passwords, names))
def test_a_password_or_name_can_never_be_passed(name: str, value: str) -> None:
    for prompt in ALL.values():
        facts = {f: 1 for f in prompt.fields if f in ("count", "attempts")}
        with pytest.raises(ValueError):
            render(prompt, "en", **facts, **{name: value})


JACK_ON = (
    "numid=18,iface=CARD,name='Headphone Jack'\n  ; type=BOOLEAN,access=r-------,values=1\n  : values=on\n"
)


def test_jack_state_parsed_from_amixer() -> None:
    assert parse_jack_state(JACK_ON) is True
    assert parse_jack_state(JACK_ON.replace("values=on", "values=off")) is False
    assert parse_jack_state("amixer: Cannot find the given element from control hw:0\n") is None


@given(st.text())
def test_jack_parser_never_raises_and_defaults_to_unknown(noise: str) -> None:
    state = parse_jack_state(noise)
    assert state in (True, False, None)
    if ": values=" not in noise and ":values=" not in noise.replace(" ", ""):
        assert state is None


def test_probe_without_a_sound_card_says_no_headset_and_logs_once(caplog: pytest.LogCaptureFixture) -> None:
    probe = AlsaHeadsetProbe(card="no-such-card-for-tests")
    with caplog.at_level(logging.INFO, logger="kiosk.voice.privacy"):
        assert probe() is False
        assert probe() is False
    assert len(caplog.records) == 1 and "headset detection unavailable" in caplog.records[0].getMessage()


def test_probe_without_amixer_says_no_headset() -> None:
    assert AlsaHeadsetProbe(executable="/nonexistent/amixer")() is False
