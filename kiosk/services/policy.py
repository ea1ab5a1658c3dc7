"""What the kiosk offers right now: the services and their order, opening hours, notices, timeouts,
languages, large text — from the remote configuration when there is one, else from local defaults.

Plain Python that the UI reads; `update()` is how a newly applied (or rolled back) bundle takes effect.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kiosk.settings import Settings

if TYPE_CHECKING:
    # Typing only: the schema (pydantic models) loads after the first frame, with the remote configuration.
    from kiosk.remote_config.schema import RemoteConfig

CENTRE_TIME = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class ServiceOffer:
    id: str
    open: bool
    opens: tuple[str, time] | None  # (weekday, time) of the next opening when closed


@dataclass(frozen=True)
class NoticeText:
    id: str
    zh_cn: str
    en: str

    def text(self, locale: str) -> str:
        return self.zh_cn if locale == "zh_CN" else self.en


@dataclass(frozen=True)
class AlternativeText:
    """Where else to go while this kiosk is out of service, in both languages."""

    name_zh: str
    name_en: str
    where_zh: str
    where_en: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh_CN" else self.name_en

    def where(self, locale: str) -> str:
        return self.where_zh if locale == "zh_CN" else self.where_en


class KioskPolicy:
    def __init__(
        self, settings: Settings, now: Callable[[], datetime] = lambda: datetime.now(CENTRE_TIME)
    ) -> None:
        self._settings = settings
        self._now = now
        self._lock = threading.Lock()
        self._config: RemoteConfig | None = None

    def update(self, config: RemoteConfig | None) -> None:
        with self._lock:
            self._config = config

    @property
    def config(self) -> RemoteConfig | None:
        return self._config

    @property
    def idle_timeout_s(self) -> int:
        config = self._config
        return config.session.idle_timeout_s if config else self._settings.session.idle_timeout_s

    @property
    def countdown_s(self) -> int:
        config = self._config
        return config.session.countdown_s if config else self._settings.session.countdown_s

    @property
    def languages(self) -> list[str]:
        config = self._config
        return list(config.languages) if config else ["zh_CN", "en"]

    @property
    def large_text_default(self) -> bool:
        config = self._config
        return bool(config and config.large_text_default)

    @property
    def heartbeat_interval_s(self) -> int:
        config = self._config
        return config.heartbeat_interval_s if config else self._settings.remote.heartbeat_interval_s

    def services(self) -> list[ServiceOffer]:
        from kiosk.remote_config.schema import SERVICE_IDS, next_opening, open_now

        config = self._config
        if config is None:
            return [ServiceOffer(service, True, None) for service in SERVICE_IDS]
        now = self._now()
        offers = []
        for service in config.enabled_services():
            slots = config.hours.per_service.get(service, config.hours.default)
            is_open = open_now(slots, now)
            offers.append(ServiceOffer(service, is_open, None if is_open else next_opening(slots, now)))
        return offers

    def notices(self) -> list[NoticeText]:
        config = self._config
        if config is None:
            return []
        now = self._now()
        return [NoticeText(n.id, n.text_zh, n.text_en) for n in config.notices if n.showing(now)]

    def alternatives(self) -> list[AlternativeText]:
        """The out-of-service screen's list, nearest first; empty without a configuration."""
        config = self._config
        if config is None:
            return []
        return [AlternativeText(a.name_zh, a.name_en, a.where_zh, a.where_en) for a in config.alternatives]
