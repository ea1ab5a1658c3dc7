"""Settled loans: the loan book keeps contracts that were repaid in full apart from the live ones (`loans`,
one per citizen), so a citizen may have a settled loan and a live one, and `has_loan` keeps meaning a loan
that is still being repaid."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from central_server.models import Base


class SettledLoan(Base):
    __tablename__ = "settled_loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    contract_no: Mapped[str] = mapped_column(String(30), unique=True)
    principal_fen: Mapped[int] = mapped_column(BigInteger)
    annual_rate_bp: Mapped[int]
    term_months: Mapped[int]
    start_date: Mapped[dt.date]
    settled_on: Mapped[dt.date]
