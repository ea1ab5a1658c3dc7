"""投诉建议: a complaint or a suggestion left at the kiosk, with or without signing in.

The citizen picks a category and a topic from fixed lists (no free typing: a kiosk keyboard invites
personal data and abuse); the topic's fixed sentence is what the centre reads. A callback phone is
optional, shown masked once entered. It is filed through the outbox as `complaint_suggestion` (so it
works offline); its reference is the kiosk's own code (`kiosk.transaction_numbers`), the very one the
centre answers when the item arrives, so the slip can print it before delivery. A signed-in citizen's
complaint carries the visit ticket (the centre links it to their pseudonymous reference); an anonymous
one carries none.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from kiosk.i18n import N_
from kiosk.masking import mask_phone
from kiosk.services.filing import Answer, KioskParts, file, new_key
from kiosk.transaction_numbers import kiosk_code, readable

KIND = "complaint_suggestion"
# What the slip promises when a phone is left. The centre's follow-up cases are due for a callback within
# one working day (central_server CrmSettings.deadlines); the kiosk promises no more than that.
CALLBACK_WORKING_DAYS = 1
# A mainland mobile number, or a fixed line with its area code (the contract's patterns).
PHONE = re.compile(r"^1[3-9][0-9]{9}$|^0[0-9]{9,11}$")
PHONE_MAX_DIGITS = 12

Category = Literal["complaint", "suggestion"]


@dataclass(frozen=True)
class CategoryChoice:
    code: Category
    title: str  # a message id
    detail: str  # a message id
    done: str  # a message id: the result screen's title
    paper: str  # as the slip names it


CATEGORIES = (
    CategoryChoice(
        "complaint", N_("Complaint"), N_("Something went wrong"), N_("Your complaint is filed"), "投诉"
    ),
    CategoryChoice(
        "suggestion", N_("Suggestion"), N_("An idea to do better"), N_("Your suggestion is filed"), "建议"
    ),
)


@dataclass(frozen=True)
class Topic:
    """One of the contract's topics, with its fixed sentence in both languages: the Chinese one is filed."""

    code: str
    title_zh: str
    title_en: str
    sentence_zh: str
    sentence_en: str

    def title(self, locale: str) -> str:
        return self.title_en if locale == "en" else self.title_zh

    def sentence(self, locale: str) -> str:
        return self.sentence_en if locale == "en" else self.sentence_zh


TOPICS = (
    Topic(
        "service_hall",
        "服务大厅",
        "Service hall",
        "关于服务大厅的环境、秩序或等候时间。",
        "About the service hall: its surroundings, order or waiting time.",
    ),
    Topic(
        "self_service_kiosk",
        "自助终端",
        "Self-service kiosk",
        "自助终端使用不便或出现故障。",
        "The self-service kiosk was hard to use or did not work.",
    ),
    Topic("withdrawal", "提取业务", "Withdrawals", "关于住房公积金提取业务。", "About withdrawing funds."),
    Topic("loan", "贷款业务", "Housing loans", "关于住房公积金贷款业务。", "About housing loans."),
    Topic("deposit", "缴存业务", "Deposits", "关于住房公积金缴存业务。", "About deposits into the fund."),
    Topic("appointment", "预约服务", "Appointments", "关于预约服务。", "About booking appointments."),
    Topic(
        "staff_attitude",
        "工作人员服务",
        "Staff",
        "关于工作人员的服务态度或工作作风。",
        "About the attitude or conduct of the staff.",
    ),
    Topic("other", "其他", "Other matters", "关于其他事项。", "About another matter."),
)
_TOPICS = {topic.code: topic for topic in TOPICS}
_CATEGORIES: dict[str, CategoryChoice] = {category.code: category for category in CATEGORIES}


class ComplaintRefused(ValueError):
    """The complaint does not fit the contract (a bug of the screen's, not the citizen's): nothing filed."""


@dataclass(frozen=True)
class Lodged:
    """A complaint or suggestion on disk, what the centre said within the wait, and the slip."""

    reference: str  # readable: "7KQD-M3XA"
    category: Category
    topic: Topic
    masked_phone: str  # "" when none was left
    answer: Answer
    printed: bool
    message: str  # a message id


def valid_phone(digits: str) -> bool:
    return PHONE.fullmatch(digits) is not None


class ComplaintService:
    def __init__(
        self,
        parts: KioskParts,
        terminal_id: str,
        visit_ticket: Callable[[], str | None],
        visit_id: Callable[[], str | None],
    ) -> None:
        self._parts = parts
        self._terminal_id = terminal_id
        self._visit_ticket = visit_ticket
        self._visit_id = visit_id
        # (what was filed, its key): a second tap on Submit files the same complaint, never a second one.
        self._key: tuple[tuple[str, str, str], str] | None = None

    def wipe(self) -> None:
        self._key = None

    def lodge(self, category: str, topic_code: str, phone: str | None = None) -> Lodged:
        """File it (durable when this returns), then print the slip. Blocking; NotTaken when the kiosk
        cannot keep it; ComplaintRefused when it does not fit the contract."""
        chosen = _CATEGORIES.get(category)
        if chosen is None:
            raise ComplaintRefused(f"category {category!r} is not one of {sorted(_CATEGORIES)}")
        topic = _TOPICS.get(topic_code)
        if topic is None:
            raise ComplaintRefused(f"topic {topic_code!r} is not one of {sorted(_TOPICS)}")
        if phone is not None and not valid_phone(phone):
            raise ComplaintRefused("the phone is neither a mainland mobile nor a fixed line number")
        payload: dict[str, Any] = {"category": chosen.code, "topic": topic.code, "text": topic.sentence_zh}
        if phone is not None:
            payload["contact_phone"] = phone
        visit_id = self._visit_id()
        if visit_id is not None:
            payload["visit_id"] = visit_id
        what = (chosen.code, topic.code, phone or "")
        if self._key is None or self._key[0] != what:
            self._key = (what, new_key("cs"))
        key = self._key[1]
        filed = file(self._parts, KIND, payload, key, self._visit_ticket())
        reference = readable(kiosk_code(self._terminal_id, key))
        masked = mask_phone(phone) if phone else ""
        if filed.answer == "refused":
            message = N_("The centre did not accept this. Please ask at the counter.")
            return Lodged(reference, chosen.code, topic, masked, "refused", False, message)
        printed, message = self._print_slip(reference, chosen, topic, phone, filed.answer)
        return Lodged(reference, chosen.code, topic, masked, filed.answer, printed, message)

    def _print_slip(
        self, reference: str, category: CategoryChoice, topic: Topic, phone: str | None, answer: Answer
    ) -> tuple[bool, str]:
        from kiosk.receipts.data import ComplaintSlipData
        from kiosk.receipts.templates import complaint_slip

        printing = self._parts.printing
        if printing is None:
            return False, N_("Please note your reference number.")
        data = ComplaintSlipData(
            reference=reference,
            category=category.paper,
            topic=topic.title_zh,
            text=topic.sentence_zh,
            phone=phone or "",
            callback_working_days=CALLBACK_WORKING_DAYS,
            status="accepted" if answer == "accepted" else "waiting",
            printed_at=printing.now(),
        )
        report = printing.print_receipt(complaint_slip(data, printing.branding()), "complaint slip")
        if report.printed:
            return True, report.message
        return False, N_("It is filed, but the slip could not be printed. Please note your reference number.")
