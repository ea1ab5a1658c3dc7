"""What the kiosk says: one short spoken prompt per citizen screen, the events' prompts, and the personal
prompts, each in Mandarin (`zh_CN`) and English (`en`).

Why a Python table and not the gettext catalogue: a prompt is not UI text. It is written for the ear (no
"¥", no Latin letters in the Mandarin text, which the Mandarin voice would read as pinyin), it is rendered to
audio at install time in both languages at once, and it must carry its privacy class (`kind`) and the only
facts it may take (`fields`) next to its words. Keeping both languages in one entry makes a missing
translation a test failure at the entry (tests/voice/test_prompts.py checks every citizen screen of
`kiosk.screens.SCREENS`, both languages, the same placeholders in both) instead of a silent fall-back to
the English message id.

Privacy by construction (EN 301 549 5.1.3.8/5.1.3.9, ADA §707.5):
- no template may name a password, an ID number, a name, a phone or a card number (`FORBIDDEN_FIELDS`;
  checked when this module is imported and again in `render`);
- every fact is checked against its field's shape before it is spoken (`FIELDS`): the password screen's
  count is a small number and is spoken as a word ("三位", "three digits"), so a prompt said while a
  password is typed holds no digit at all; money must be the masked-view money string of `kiosk.masking`;
- prompts that say personal facts are `kind="personal"` and are spoken only when `privacy.may_speak` allows.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from kiosk.settings import SUPPORTED_LOCALES

Kind = Literal["screen", "event", "personal"]

# Names a template placeholder or a fact may never have, whatever the prompt.
FORBIDDEN_FIELDS = frozenset(
    {
        "password",
        "pin",
        "digits",
        "old_password",
        "new_password",
        "id_number",
        "id",
        "name",
        "full_name",
        "phone",
        "card",
        "card_number",
        "account_number",
    }
)

_ZH_DIGITS = "零一二三四五六七八九"
_EN_COUNTS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
)


def spell_count(n: int, locale: str) -> str:
    """0–20 as a word: the password screen's count and attempts are spoken without a digit."""
    if not 0 <= n <= 20:
        raise ValueError("a spoken count is between 0 and 20")
    if locale == "en":
        return _EN_COUNTS[n]
    if n == 2:
        return "两"  # 两位, 两次: the measure-word form
    if n <= 10:
        return "十" if n == 10 else _ZH_DIGITS[n]
    return "二十" if n == 20 else "十" + _ZH_DIGITS[n - 10]


_MONEY = re.compile(r"^(-?)¥(\d{1,3}(?:,\d{3})*)\.(\d{2})$")


def spell_money(value: str, locale: str) -> str:
    """`kiosk.masking.format_fen` output (`¥1,234.56`) as it is said: `1234点五六元`, `1,234.56 yuan`."""
    match = _MONEY.match(value)
    if match is None:
        raise ValueError("money must be a formatted amount such as ¥1,234.56")
    sign, yuan, fen = match.groups()
    if locale == "en":
        return f"{'minus ' if sign else ''}{yuan}.{fen} yuan"
    whole = yuan.replace(",", "")
    minus = "负" if sign else ""
    if fen == "00":
        return f"{minus}{whole}元"
    return f"{minus}{whole}点{''.join(_ZH_DIGITS[int(d)] for d in fen.rstrip('0'))}元"


def _count(value: object, locale: str) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("a count is an int")
    return spell_count(value, locale)


def _money(value: object, locale: str) -> str:
    if not isinstance(value, str):
        raise ValueError("money is a formatted string")
    return spell_money(value, locale)


_CODE = re.compile(r"^[A-Z]{0,2}\d{1,4}$")


def _call_number(value: object, locale: str) -> str:
    """An appointment's call number (`A012`): short by shape, so no ID or card number fits."""
    if not isinstance(value, str) or not _CODE.match(value):
        raise ValueError("a call number is up to two capitals and up to four digits")
    # Mandarin: letters would be read as pinyin; say each digit, and the letter the English way is avoided.
    if locale == "en":
        return " ".join(value)
    return "".join(_ZH_DIGITS[int(c)] if c.isdigit() else "" for c in value)


def _last4(value: object, locale: str) -> str:
    """The last four digits of a bank card: what the masked card shows, nothing more."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}", value):
        raise ValueError("only the last four digits of a card may be spoken")
    return " ".join(value) if locale == "en" else "".join(_ZH_DIGITS[int(c)] for c in value)


# Every placeholder a template may use, and how its fact is checked and said.
FIELDS: Mapping[str, Callable[[object, str], str]] = {
    "count": _count,
    "attempts": _count,
    "balance": _money,
    "amount": _money,
    "call_number": _call_number,
    "card_last4": _last4,
}


@dataclass(frozen=True)
class Prompt:
    key: str
    kind: Kind
    zh_CN: str
    en: str
    # The non-personal prompt spoken instead when a personal one may not be (no headset, no opt-in).
    fallback: str | None = None
    # False for what is only true for an instant (the password count): "再听一遍" repeats the one before.
    repeatable: bool = True
    fields: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        names = {f for f in _placeholders(self.zh_CN)} | {f for f in _placeholders(self.en)}
        object.__setattr__(self, "fields", frozenset(names))

    def text(self, locale: str) -> str:
        if locale not in SUPPORTED_LOCALES:
            raise ValueError(f"unsupported locale {locale!r}")
        return self.zh_CN if locale == "zh_CN" else self.en


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]


def _screen(key: str, zh: str, en: str) -> Prompt:
    return Prompt(key, "screen", zh, en)


# One per citizen screen of kiosk.screens.SCREENS (staff screens are read, not spoken).
SCREEN_PROMPTS: dict[str, Prompt] = {
    p.key: p
    for p in [
        _screen(
            "attract",
            "欢迎使用住房公积金自助服务。请把身份证放在读卡区。",
            "Welcome to the housing provident fund self service. "
            "Please place your identity card on the reader.",
        ),
        _screen(
            "home",
            "请选择您要办理的业务。点屏幕上的按钮即可。",
            "Please choose a service by tapping its button on the screen.",
        ),
        _screen(
            "card",
            "请把身份证放在读卡区，读卡时请不要移动。",
            "Please place your identity card on the reader and hold it still.",
        ),
        _screen(
            "password",
            "请用屏幕上的数字键输入六位查询密码，然后点确认。",
            "Please enter your six digit query password on the keypad, then tap OK.",
        ),
        _screen(
            "overview",
            "这是您的账户信息。余额显示在屏幕上。",
            "This is your account overview. Your balance is shown on the screen.",
        ),
        _screen(
            "deposits",
            "这是您的缴存明细。点上一页或下一页翻看。",
            "These are your deposit records. Tap newer or older to turn the page.",
        ),
        _screen(
            "loan",
            "这是您的贷款信息，显示在屏幕上。",
            "This is your loan information, shown on the screen.",
        ),
        _screen(
            "loan_plan",
            "这是您的全部还款计划，每月一行。下一期已标出，上下滑动查看。",
            "This is your whole repayment plan, one month to a line. The next payment due is marked; "
            "slide up or down to see more.",
        ),
        _screen(
            "withdrawal",
            "请选择提取原因。灰色的原因需要到柜台办理。",
            "Please choose the reason for your withdrawal. Grey reasons are handled at the counter.",
        ),
        _screen(
            "withdrawal_amount",
            "请用数字键输入提取金额，然后点下一步。",
            "Please enter the amount on the keypad, then tap next.",
        ),
        _screen(
            "withdrawal_card",
            "请插入您本人的银行借记卡。",
            "Please insert a debit card in your own name.",
        ),
        _screen(
            "withdrawal_confirm",
            "请核对提取原因、金额和银行卡，无误后点确认。",
            "Please check the reason, the amount and the card, then tap confirm.",
        ),
        _screen(
            "withdrawal_result",
            "您的提取申请已提交。请记下屏幕上的申请号。",
            "Your withdrawal application has been filed. Please note the number on the screen.",
        ),
        _screen(
            "certificate",
            "请选择您要打印的证明。",
            "Please choose the certificate you want to print.",
        ),
        _screen(
            "certificate_period",
            "请选择明细的起止时间。",
            "Please choose the period of the statement.",
        ),
        _screen(
            "certificate_result",
            "证明正在打印，请稍候。",
            "Your certificate is being printed. Please wait.",
        ),
        _screen(
            "password_change",
            "修改查询密码。请按屏幕提示，先输入原密码，再输入两次新密码。",
            "Change your query password. Enter the current password, then the new one twice.",
        ),
        _screen(
            "appointment",
            "请选择您要预约的业务。",
            "Please choose the service you want to book.",
        ),
        _screen(
            "appointment_office",
            "请选择办理网点。",
            "Please choose the office.",
        ),
        _screen(
            "appointment_slots",
            "请先选择日期，再选择时间，然后点预约。",
            "Please choose a day, then a time, then tap book.",
        ),
        _screen(
            "appointment_booked",
            "预约成功。请记下屏幕上的排队号，并带好所需材料。",
            "Your appointment is booked. "
            "Please note the call number on the screen and bring the papers listed.",
        ),
        _screen(
            "appointment_unavailable",
            "现在暂时无法预约。您可以改为预登记，或稍后再试。",
            "Booking is not possible right now. You can pre register instead, or try again later.",
        ),
        _screen(
            "my_appointments",
            "这是您的预约记录。如需取消，请点取消。",
            "These are your appointments. Tap cancel to cancel one.",
        ),
        _screen(
            "pre_registration",
            "请选择您要预登记的业务。",
            "Please choose the service you want to pre register.",
        ),
        _screen(
            "pre_registration_checklist",
            "请看清需要携带的材料，然后点预登记。",
            "Please read the papers to bring, then tap pre register.",
        ),
        _screen(
            "pre_registration_done",
            "预登记已完成。请记下屏幕上的预登记码。",
            "Your pre registration is done. Please note the code on the screen.",
        ),
        _screen(
            "applications",
            "这是您的业务办理进度。",
            "This is the progress of your applications.",
        ),
        _screen(
            "rating",
            "请为本次服务评价，点屏幕上的一个选项即可。",
            "How satisfied are you with this service? Tap one of the choices on the screen.",
        ),
        _screen(
            "complaint",
            "请选择投诉还是建议。",
            "Please choose complaint or suggestion.",
        ),
        _screen(
            "complaint_topic",
            "请选择您要反映的问题。",
            "Please choose the topic.",
        ),
        _screen(
            "complaint_phone",
            "如需回电，请输入电话号码；不需要请点不需要回电。",
            "If you would like a call back, enter your phone number. Otherwise tap no call back.",
        ),
        _screen(
            "complaint_confirm",
            "请核对内容，无误后点提交。",
            "Please check what you will submit, then tap submit.",
        ),
        _screen(
            "complaint_done",
            "已收到您的意见，谢谢。",
            "Thank you. We have received it.",
        ),
        _screen(
            "notice",
            "请看屏幕上的提示，按提示操作。",
            "Please read the message on the screen and follow it.",
        ),
        _screen(
            "out_of_service",
            "本机暂停服务，请到柜台办理，或使用其他自助机。",
            "This kiosk is out of service. Please go to the counter or use another kiosk.",
        ),
        _screen(
            "goodbye",
            "感谢您的使用，再见。请带好您的身份证和物品。",
            "Thank you, goodbye. Please take your identity card and your belongings.",
        ),
    ]
}

EVENT_PROMPTS: dict[str, Prompt] = {
    p.key: p
    for p in [
        Prompt("take_id_card", "event", "请取走您的身份证。", "Please take your identity card."),
        Prompt("take_bank_card", "event", "请取走您的银行卡。", "Please take your bank card."),
        Prompt("take_receipt", "event", "请取走凭条。", "Please take your receipt."),
        Prompt(
            "error",
            "event",
            "操作没有成功。请按屏幕提示操作，或点呼叫工作人员。",
            "That did not work. Please follow the message on the screen, or tap call staff.",
        ),
        Prompt(
            "unavailable",
            "event",
            "服务暂时无法使用，请稍后再试，或到柜台办理。",
            "The service is briefly unavailable. Please try again later or go to the counter.",
        ),
        Prompt(
            "timeout_warning",
            "event",
            "您还需要更多时间吗？请点屏幕继续。",
            "Do you need more time? Please tap the screen to continue.",
        ),
        Prompt(
            "password_digits",
            "event",
            "已输入{count}位。",
            "{count} digits entered.",
            repeatable=False,
        ),
        Prompt(
            "password_wrong",
            "event",
            "密码不正确。今天还可以试{attempts}次。",
            "The password is not correct. {attempts} attempts left today.",
        ),
        Prompt(
            "help_called",
            "event",
            "已呼叫工作人员，工作人员马上就到，请稍候。",
            "Staff have been called and are on their way. Please wait.",
        ),
        Prompt(
            "personal_hint",
            "event",
            "如需收听个人信息，请插上耳机，或点朗读我的信息。",
            "To hear your personal details, plug in a headset or tap read my details aloud.",
        ),
        Prompt("goodbye", "event", "感谢您的使用，再见。", "Thank you, goodbye."),
    ]
}

PERSONAL_PROMPTS: dict[str, Prompt] = {
    p.key: p
    for p in [
        Prompt(
            "balance",
            "personal",
            "您的账户余额是{balance}。",
            "Your account balance is {balance}.",
            fallback="personal_hint",
        ),
        Prompt(
            "loan_balance",
            "personal",
            "您的贷款余额是{balance}。",
            "Your outstanding loan is {balance}.",
            fallback="personal_hint",
        ),
        Prompt(
            "withdrawal_amount",
            "personal",
            "提取金额{amount}，转入尾号{card_last4}的银行卡。",
            "You are withdrawing {amount} to the card ending {card_last4}.",
            fallback="personal_hint",
        ),
        Prompt(
            "call_number",
            "personal",
            "您的排队号是{call_number}。",
            "Your call number is {call_number}.",
            fallback="personal_hint",
        ),
    ]
}

# Events and personal prompts are said with `VoiceGuide.say(key, …)`; screens with `on_screen(name, …)`.
SAYABLE: dict[str, Prompt] = {**EVENT_PROMPTS, **PERSONAL_PROMPTS}


def render(prompt: Prompt, locale: str, **facts: object) -> str:
    """The prompt's text in `locale` with its facts said the spoken way. A fact the prompt does not take,
    one with a forbidden name, a missing one or one of the wrong shape is a ValueError: nothing about the
    citizen reaches the speaker unless the template asked for exactly that shape of fact."""
    forbidden = FORBIDDEN_FIELDS & facts.keys()
    if forbidden:
        raise ValueError(f"a prompt never takes {', '.join(sorted(forbidden))}")
    extra = facts.keys() - prompt.fields
    if extra:
        raise ValueError(f"prompt {prompt.key!r} does not take {', '.join(sorted(extra))}")
    missing = prompt.fields - facts.keys()
    if missing:
        raise ValueError(f"prompt {prompt.key!r} needs {', '.join(sorted(missing))}")
    spoken = {name: FIELDS[name](value, locale) for name, value in facts.items()}
    text = prompt.text(locale).format(**spoken)
    return text[:1].upper() + text[1:] if locale == "en" else text


def _check_catalogue() -> None:
    for table in (SCREEN_PROMPTS, EVENT_PROMPTS, PERSONAL_PROMPTS):
        for key, prompt in table.items():
            if key != prompt.key:
                raise AssertionError(f"prompt {key!r} is filed under another key")
            names = set(_placeholders(prompt.zh_CN)) | set(_placeholders(prompt.en))
            if names & FORBIDDEN_FIELDS or not names <= FIELDS.keys():
                raise AssertionError(f"prompt {key!r} takes a field it may not: {sorted(names)}")
            if prompt.kind == "personal" and (
                prompt.fallback is None or prompt.fallback not in EVENT_PROMPTS
            ):
                raise AssertionError(f"personal prompt {key!r} needs a non-personal fallback")
            if prompt.kind != "personal" and names - {"count", "attempts"}:
                raise AssertionError(f"prompt {key!r} says a personal fact but is not marked personal")


_check_catalogue()
