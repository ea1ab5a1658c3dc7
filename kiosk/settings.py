"""Local settings: who the kiosk is, where the central is, which devices it drives, where its data lives.

Loaded from TOML into a validated, typed object. Every problem becomes a `SettingsError` whose text is one
line naming the file, the key and what to do, so an operator never reads a traceback.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

SUPPORTED_LOCALES = ("zh_CN", "en")


class SettingsError(Exception):
    """A settings file that cannot be used; `str()` is the one line shown to the operator."""


class _Section(BaseModel):
    # A misspelt key is the most common configuration mistake; refusing it beats silently using a default.
    model_config = ConfigDict(extra="forbid", frozen=True)


class KioskSection(_Section):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    centre_id: str = Field(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z]+$")
    locale: Literal["zh_CN", "en"] = "zh_CN"
    centre_name: str = Field(default="住房公积金管理中心", min_length=1, max_length=40)
    data_dir: Path = Path("/var/lib/hpf-kiosk")


class CentralSection(_Section):
    base_url: str
    terminal_secret: str | None = Field(default=None, min_length=8)
    terminal_secret_file: Path | None = None
    timeout_s: float = Field(default=8.0, gt=0, le=120)
    ca_file: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host, e.g. https://hpf.example:8443")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_secret(self) -> CentralSection:
        if (self.terminal_secret is None) == (self.terminal_secret_file is None):
            raise ValueError("set exactly one of terminal_secret or terminal_secret_file")
        if (self.client_cert is None) != (self.client_key is None):
            raise ValueError("client_cert and client_key go together (mutual TLS needs both)")
        return self

    def secret(self) -> str:
        if self.terminal_secret is not None:
            return self.terminal_secret
        assert self.terminal_secret_file is not None
        try:
            return self.terminal_secret_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"central.terminal_secret_file: cannot read {self.terminal_secret_file}: {exc.strerror}"
            ) from exc


class DevicesSection(_Section):
    idcard: str = "sam+serial:///dev/ttyUSB0?baud=115200"
    printer: str | None = None
    bankcard: str | None = None

    @field_validator("idcard", "printer", "bankcard")
    @classmethod
    def _url_with_scheme(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            raise ValueError("must be a device URL such as sam+serial:///dev/ttyUSB0?baud=115200 or sim://")
        return value


class DisplaySection(_Section):
    width: int = Field(default=1080, ge=320, le=7680)
    height: int = Field(default=1920, ge=320, le=7680)
    orientation: Literal["portrait", "landscape"] = "portrait"
    fullscreen: bool = True
    font: Path | None = None
    touch_device: str | None = Field(
        default=None, description="an extra Kivy input provider, e.g. 'mtdev,/dev/input/event3'"
    )

    @model_validator(mode="after")
    def _orientation_matches(self) -> DisplaySection:
        if (self.orientation == "portrait") != (self.height >= self.width):
            raise ValueError(
                f"orientation is {self.orientation} but the size is {self.width}x{self.height}; "
                "swap width and height or change orientation"
            )
        return self


class SessionSection(_Section):
    idle_timeout_s: int = Field(default=60, ge=10, le=600)
    countdown_s: int = Field(default=10, ge=3, le=60)

    @model_validator(mode="after")
    def _countdown_shorter(self) -> SessionSection:
        if self.countdown_s >= self.idle_timeout_s:
            raise ValueError("countdown_s must be shorter than idle_timeout_s")
        return self


class RemoteSection(_Section):
    # Pydantic copies a mutable default for each instance; `default_factory=list` would have it inspect the
    # builtin's signature, which compiles Python's tokenizer (2 ms of every start).
    operator_keys: list[Path] = []
    group: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    poll_interval_s: int = Field(default=60, ge=5, le=86_400)
    heartbeat_interval_s: int = Field(default=60, ge=10, le=3600)

    @field_validator("operator_keys")
    @classmethod
    def _keys_exist(cls, value: list[Path]) -> list[Path]:
        for path in value:
            if not path.is_file():
                raise ValueError(f"{path} does not exist (make keys with `kiosk-admin keygen`)")
        return value


class OutboxSection(_Section):
    # Off the data disk: a copy of the data dir (a backup, a disk sent for repair) must not carry the key
    # that opens the transactions in it. Its directory must be the kiosk user's, mode 0700 (docs/outbox.md).
    key_file: Path = Path("/etc/hpf-kiosk/keys/outbox.key")
    # The longest wait between tries while the centre is unreachable (docs/outbox.md: full jitter, doubling
    # from 1 s). Five minutes spares a centre coming back from a fleet's stampede; a hall with few kiosks, or
    # the demo, may want transactions to follow the link sooner.
    retry_cap_s: float = Field(default=300.0, ge=1.0, le=3600.0)


class MaintenanceSection(_Section):
    """Hall staff's maintenance mode (docs/maintenance.md)."""

    # The hidden gesture on the attract screen: `gesture_taps` taps in `corner` within `gesture_window_s`.
    gesture_taps: int = Field(default=5, ge=3, le=10)
    gesture_window_s: float = Field(default=3.0, gt=0.5, le=10.0)
    corner: Literal["top_left", "top_right", "bottom_left", "bottom_right"] = "top_left"
    session_idle_s: int = Field(default=120, ge=30, le=1800)
    # Wrong PINs before the kiosk makes staff wait; the wait doubles with each further failure.
    lockout_failures: int = Field(default=3, ge=1, le=10)
    lockout_first_wait_s: int = Field(default=30, ge=1, le=3600)
    lockout_max_wait_s: int = Field(default=900, ge=1, le=86_400)
    paper_roll_length_m: float = Field(default=50.0, gt=0, le=1000)
    paper_warn_remaining_m: float = Field(default=5.0, ge=0, le=1000)

    @model_validator(mode="after")
    def _consistent(self) -> MaintenanceSection:
        if self.lockout_max_wait_s < self.lockout_first_wait_s:
            raise ValueError("lockout_max_wait_s must be at least lockout_first_wait_s")
        if self.paper_warn_remaining_m >= self.paper_roll_length_m:
            raise ValueError("paper_warn_remaining_m must be less than paper_roll_length_m")
        return self


class VoiceSection(_Section):
    """Voice guidance (docs/accessibility.md): spoken prompts in the citizen's language."""

    # Whether this kiosk has a speaker and a headset jack to speak through; a citizen turns voice on for a
    # visit (or the hall's configuration makes it the default).
    enabled: bool = True
    volume: int = Field(default=70, ge=0, le=100)
    # The ALSA device to play on (`aplay -D`), e.g. "plughw:CARD=PCH"; unset: the system's default.
    device: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_:=,.-]{1,64}$")


class Settings(_Section):
    kiosk: KioskSection
    central: CentralSection
    devices: DevicesSection = DevicesSection()
    display: DisplaySection = DisplaySection()
    session: SessionSection = SessionSection()
    remote: RemoteSection = RemoteSection()
    outbox: OutboxSection = OutboxSection()
    maintenance: MaintenanceSection = MaintenanceSection()
    voice: VoiceSection = VoiceSection()
    source: Path | None = Field(default=None, exclude=True)

    def with_overrides(self, **sections: dict[str, object]) -> Settings:
        """A copy with some keys replaced, validated again (the demo points the kiosk at its own parts)."""
        data = self.model_dump()
        for section, values in sections.items():
            data[section] = {**data[section], **values}
        return Settings.model_validate({**data, "source": self.source})


def _describe(error: ErrorDetails) -> str:
    location = ".".join(str(part) for part in error["loc"] if not str(part).startswith("function-after"))
    message = str(error["msg"])
    if error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling against config/kiosk.example.toml)"
    elif error["type"] == "missing":
        message = "missing (see config/kiosk.example.toml)"
    message = message.removeprefix("Value error, ")
    return f"{location}: {message}" if location else message


def load_settings(path: Path | str) -> Settings:
    """Read and validate a settings file; raise `SettingsError` with one line on any problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such settings file (copy config/kiosk.example.toml)") from None
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()
        more = (
            f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
            if len(errors) > 1
            else ""
        )
        raise SettingsError(f"{path}: {_describe(errors[0])}{more}") from None
    base = path.resolve().parent
    return settings.model_copy(
        update={
            "source": path,
            "kiosk": _resolve_data_dir(settings.kiosk, base),
            "outbox": _resolve_key_file(settings.outbox, base),
        }
    )


def _resolve_key_file(section: OutboxSection, base: Path) -> OutboxSection:
    if section.key_file.is_absolute():
        return section
    return section.model_copy(update={"key_file": (base / section.key_file).resolve()})


def _resolve_data_dir(section: KioskSection, base: Path) -> KioskSection:
    # Relative data dirs are relative to the settings file, so `kiosk run --config` works from any cwd.
    if section.data_dir.is_absolute():
        return section
    return section.model_copy(update={"data_dir": (base / section.data_dir).resolve()})
