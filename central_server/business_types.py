"""The centre's offices and business types (业务类型): what each needs, where it is handled, whether it can
be booked or pre-registered. They are the centre's data, so the kiosk fetches them (and caches them for
offline pre-registration) instead of shipping its own list."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, Field
from sqlalchemy import JSON, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from central_server.models import Base

CODE_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"


class Office(Base):
    """A service hall (管理部) with counters."""

    __tablename__ = "offices"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))


class BusinessType(Base):
    __tablename__ = "business_types"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(50))
    name_en: Mapped[str] = mapped_column(String(100))
    # The letter of the hall's calling numbers for this business (A023).
    queue_letter: Mapped[str] = mapped_column(String(1), unique=True)
    materials_zh: Mapped[list[str]] = mapped_column(JSON)
    materials_en: Mapped[list[str]] = mapped_column(JSON)
    bookable: Mapped[bool]
    pre_registrable: Mapped[bool]
    # Codes of the offices that handle it.
    offices: Mapped[list[str]] = mapped_column(JSON)


class OfficeData(BaseModel):
    code: str
    name_zh: str
    name_en: str


class BusinessTypeData(BaseModel):
    code: str
    name_zh: str
    name_en: str
    materials_zh: list[str] = Field(description="materials to bring, one line each")
    materials_en: list[str]
    bookable: bool = Field(description="can be booked (预约) at its offices")
    pre_registrable: bool = Field(description="can be pre-registered (预登记) at a kiosk")
    offices: list[str] = Field(description="codes of the offices that handle it")


class CatalogueData(BaseModel):
    offices: list[OfficeData]
    business_types: list[BusinessTypeData]


def catalogue(session: Session) -> CatalogueData:
    offices = session.scalars(select(Office).order_by(Office.code)).all()
    types = session.scalars(select(BusinessType).order_by(BusinessType.code)).all()
    return CatalogueData(
        offices=[OfficeData(code=row.code, name_zh=row.name_zh, name_en=row.name_en) for row in offices],
        business_types=[
            BusinessTypeData(
                code=row.code,
                name_zh=row.name_zh,
                name_en=row.name_en,
                materials_zh=list(row.materials_zh),
                materials_en=list(row.materials_en),
                bookable=row.bookable,
                pre_registrable=row.pre_registrable,
                offices=sorted(row.offices),
            )
            for row in types
        ],
    )


def catalogue_etag(data: CatalogueData) -> str:
    """A strong ETag of the catalogue's content, so every worker gives the same one for the same data."""
    canonical = json.dumps(data.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
    return '"' + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32] + '"'
