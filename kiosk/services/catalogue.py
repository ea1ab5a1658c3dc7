"""The centre's business types and offices (GET /v1/business-types), kept on disk for offline use.

Pre-registration must work while the centre is unreachable, and it needs the business types and their
materials checklists: the last catalogue the centre gave is kept in the data dir with its ETag, refreshed
when the centre answers (a 304 costs nothing), and used as it is when the centre does not. The catalogue
is public centre data, so the file is plain JSON.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from kiosk.central import CentralClient, CentralError, CentralUnavailable
from kiosk.central.models import Catalogue

log = logging.getLogger(__name__)

FILE_NAME = "catalogue.json"


@dataclass(frozen=True)
class BusinessView:
    code: str
    name_zh: str
    name_en: str
    materials_zh: tuple[str, ...]
    materials_en: tuple[str, ...]
    offices: tuple[str, ...]

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh_CN" else self.name_en

    def materials(self, locale: str) -> tuple[str, ...]:
        return self.materials_zh if locale == "zh_CN" else self.materials_en


@dataclass(frozen=True)
class OfficeView:
    code: str
    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale == "zh_CN" else self.name_en


class CatalogueCache:
    def __init__(self, central: CentralClient, data_dir: Path) -> None:
        self._central = central
        self._path = data_dir / FILE_NAME
        self._lock = threading.Lock()
        self._etag: str | None = None
        self._catalogue: Catalogue | None = None
        self._loaded = False

    def current(self, refresh: bool = True, *, from_centre: bool = False) -> Catalogue | None:
        """The freshest catalogue there is: the centre's when it answers, else the one on disk; None when
        the kiosk has never had one. `from_centre`: only the centre's answer will do (what can be booked
        is no use without its calendar); CentralUnavailable or CentralError when it does not answer.
        Blocking (HTTP, disk)."""
        with self._lock:
            if not self._loaded:
                self._load()
            if refresh or from_centre:
                failure = self._refresh()
                if failure is not None and from_centre:
                    raise failure
            return self._catalogue

    def business(self, code: str) -> BusinessView | None:
        return next((b for b in self.businesses(refresh=False) if b.code == code), None)

    def businesses(
        self,
        *,
        bookable: bool = False,
        pre_registrable: bool = False,
        refresh: bool = True,
        from_centre: bool = False,
    ) -> list[BusinessView]:
        catalogue = self.current(refresh, from_centre=from_centre)
        if catalogue is None:
            return []
        return [
            BusinessView(
                b.code, b.name_zh, b.name_en, tuple(b.materials_zh), tuple(b.materials_en), tuple(b.offices)
            )
            for b in catalogue.business_types
            if (b.bookable or not bookable) and (b.pre_registrable or not pre_registrable)
        ]

    def offices(self, codes: tuple[str, ...]) -> list[OfficeView]:
        catalogue = self.current(refresh=False)
        if catalogue is None:
            return []
        return [OfficeView(o.code, o.name_zh, o.name_en) for o in catalogue.offices if o.code in codes]

    def office_name(self, code: str, locale: str = "zh_CN") -> str:
        office = next(iter(self.offices((code,))), None)
        return office.name(locale) if office else code

    def _refresh(self) -> CentralUnavailable | CentralError | None:
        """Ask the centre for news; returns why it did not answer, None when it did."""
        try:
            etag, catalogue = self._central.business_types(self._etag if self._catalogue else None)
        except (CentralUnavailable, CentralError) as exc:
            log.info("business types: using the kept catalogue (%s)", type(exc).__name__)
            return exc
        if catalogue is not None:
            self._etag, self._catalogue = etag, catalogue
            self._save()
        return None

    def _load(self) -> None:
        self._loaded = True
        try:
            stored = json.loads(self._path.read_text(encoding="utf-8"))
            self._catalogue = Catalogue.model_validate(stored["catalogue"])
            self._etag = stored.get("etag")
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            # A damaged copy is only a cache: the next answer of the centre replaces it.
            log.warning("%s is not a catalogue the kiosk can read (%s); it will be replaced", self._path, exc)

    def _save(self) -> None:
        assert self._catalogue is not None
        text = json.dumps(
            {"etag": self._etag, "catalogue": self._catalogue.model_dump(mode="json")}, ensure_ascii=False
        )
        temporary = self._path.with_suffix(".tmp")
        try:
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, self._path)
        except OSError as exc:
            log.warning("cannot keep the catalogue in %s: %s", self._path, exc.strerror)
