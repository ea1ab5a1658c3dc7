"""Servers of their own for tests that change citizens' data (passwords, applications): each on a fresh copy
of one seeded SQLite file, so nothing they do reaches the shared servers or another test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import FastAPI
from sqlalchemy import select

from central_server.models import Citizen
from central_server.seed import DEMO_PASSWORD, OTHER_PASSWORD_NAME
from central_server.testing import RunningServer

from .helpers import FakeClock, Kiosk


@dataclass
class OwnServer:
    server: RunningServer
    clock: FakeClock
    app: FastAPI

    def kiosk(self, terminal_id: str = "KIOSK-DEMO-01") -> Kiosk:
        kiosk = Kiosk(self.server.base_url, terminal_id)
        assert kiosk.authenticate().status_code == 200
        return kiosk

    def citizens(self, where: Callable[[Citizen], bool]) -> list[tuple[str, str]]:
        """(ID number, name) of the citizens with the demo password for whom `where` holds."""
        with self.app.state.context.db.transaction() as session:
            return [
                (citizen.id_number, citizen.name)
                for citizen in session.scalars(select(Citizen).order_by(Citizen.id))
                if citizen.name != OTHER_PASSWORD_NAME and where(citizen)
            ]

    def signed_in(self, citizen: tuple[str, str], terminal_id: str = "KIOSK-DEMO-01") -> Kiosk:
        kiosk = self.kiosk(terminal_id)
        assert kiosk.login(*citizen, DEMO_PASSWORD).status_code == 200
        return kiosk


StartServer = Callable[..., OwnServer]
