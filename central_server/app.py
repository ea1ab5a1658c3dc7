"""Builds the FastAPI application."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from central_server import alerts, console, fleet, visit_keys
from central_server.advice import routes as advice_routes
from central_server.body_limit import BodySizeLimit
from central_server.console import accounts as console_accounts
from central_server.context import AppContext
from central_server.crm.routes import CrmSettings
from central_server.crm.routes import install as install_crm
from central_server.dates import centre_today
from central_server.db import Database
from central_server.envelope import install_exception_handlers
from central_server.limits import Limits
from central_server.routes import applications, citizen, health, intake, password, terminal, withdrawal
from central_server.routes import appointments as appointment_routes
from central_server.routes import business_types as business_type_routes
from central_server.routes import certificates as certificate_routes
from central_server.routes import counter as counter_routes
from central_server.routes import demo as demo_routes
from central_server.routes import help as help_routes
from central_server.routes import verify as verify_routes
from central_server.seed import CITIZEN_COUNT, DEMO_POPULATION, seed_if_empty
from central_server.sequence import CentreSequence, SequenceTopUp, database_blocks
from central_server.sequence import create_if_absent as create_sequence_if_absent
from central_server.staff import roster as staff_roster
from central_server.staff import routes as staff_routes
from central_server.terminal_registry import TerminalRegistry
from central_server.terminals import DEMO_TERMINALS, TerminalRecord, terminal_records
from central_server.unexpected import AnswerUnexpected
from central_server.version import VERSION

DEFAULT_SEED = 20261127


def _utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    db_url: str = "sqlite://",
    *,
    demo: bool = False,
    terminals: Mapping[str, str | TerminalRecord] | None = None,
    seed: int | None = None,
    service_history: bool = False,
    clock: Callable[[], datetime] | None = None,
    operator_tokens: list[str] | None = None,
    operator_keys: list[Path] | None = None,
    counter_tokens: list[str] | None = None,
    limits: Limits | None = None,
    public_base_url: str | None = None,
    alert_rules: alerts.AlertRules | None = None,
    crm: CrmSettings | None = None,
    staff: list[staff_roster.StaffEntry] | None = None,
    console_secret: bytes | None = None,
    console_secure_cookies: bool = True,
) -> FastAPI:
    """The central API on `db_url`.

    `terminals` maps terminal ids to their records or plain secrets. Without it, demo mode accepts the one
    demo kiosk (`DEMO_TERMINALS`) and any other mode accepts no terminal at all. Either way they are added
    to the database's kiosks (`terminal_registry`), beside those administrators registered in the console;
    a kiosk revoked there stays revoked even when listed here.
    `seed` fills an empty database with the synthetic data set made from it (a database that holds
    citizens is left as it is). Demo mode always has synthetic data (`DEFAULT_SEED` unless `seed` says
    otherwise); any other mode adds none unless `seed` is given. `service_history` seeds the demo centre's
    larger population (`DEMO_POPULATION` citizens, the default data set's first) and a year of their visits,
    ratings and complaints at the kiosks and on the other channels (the demo centre's scorecard and
    customer view have something to show).
    `clock` returns the current time as an aware datetime; tests inject one to cross midnight or expire
    tokens.
    `operator_tokens` and `operator_keys` (Ed25519 public key files) admit operators to the fleet
    endpoints; without them the operator side refuses everyone.
    `counter_tokens` admit counter systems to the pre-registration look-up; without them it refuses everyone.
    `limits` are the request limits (`Limits()` unless given).
    `public_base_url` (`https://host[:port][/prefix]`) starts the verify URLs printed on certificates; without
    it they start with the address each request reached the server at (fine for the demo).
    `alert_rules` are the alert thresholds (`AlertRules()` unless given; docs/alerts.md).
    `crm` holds the channel tokens and the follow-up case deadlines (`CrmSettings()` unless given); demo
    mode also admits the demo channel token (`crm.routes.DEMO_CHANNEL_TOKEN`).
    `staff` (the --staff file's entries) replaces the staff roster; without it the roster is left as it is,
    and demo mode puts the demo staff accounts (`staff.roster.DEMO_STAFF`) into an empty one.
    `console_secret` signs the operator console's session cookies (a fresh one when not given: sessions end
    with the process); `console_secure_cookies` False lets them travel over plain HTTP (loopback only).
    Demo mode adds the demo console administrator (`console.DEMO_OPERATOR`) when there is no operator.
    """
    clock = clock or _utc_now
    now = clock()
    if now.tzinfo is None:
        raise ValueError("clock must return timezone-aware datetimes")
    if demo and seed is None:
        seed = DEFAULT_SEED
    source = "file" if terminals is not None else "demo"
    if terminals is None:
        terminals = DEMO_TERMINALS if demo else {}
    limits = limits or Limits()
    db = Database(db_url)
    db.create_schema()
    with db.transaction() as session:
        visit_keys.create_if_absent(session)
        create_sequence_if_absent(session)
        alerts.configure(session, alert_rules or alerts.AlertRules())
    with db.transaction() as session:
        if staff is not None:
            staff_roster.replace_roster(session, staff)
        elif demo and not staff_roster.has_roster(session):
            staff_roster.replace_roster(session, staff_roster.demo_entries())
        if demo and not console_accounts.has_any(session):
            console_accounts.add(
                session, *console.DEMO_OPERATOR, console_accounts.Role.ADMINISTRATOR, int(now.timestamp())
            )
    if seed is not None:
        with db.transaction() as session:
            seed_if_empty(
                session,
                seed=seed,
                today=centre_today(now),
                service_history=service_history,
                citizens=DEMO_POPULATION if service_history else CITIZEN_COUNT,
            )
    registry = TerminalRegistry(db)
    registry.provision(terminal_records(terminals), source=source, now=int(now.timestamp()))
    context = AppContext(
        db=db,
        clock=clock,
        terminals=registry,
        sequence=CentreSequence(database_blocks(db)),
        limits=limits,
    )
    # Only the contract's envelope responses are served: no interactive docs, no live schema
    # (docs/api/openapi.json is the published one).
    app = _ContractApp(
        title="HPF central API (reference server)",
        version=VERSION,
        description="Contract: docs/central-api.md. Every response is an envelope; all data is synthetic.",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    app.state.public_base_url = certificate_routes.checked_base_url(public_base_url)
    install_exception_handlers(app, context.sequence)
    for router in (health.router, terminal.router, citizen.router, intake.router):
        app.include_router(router)
    for router in (withdrawal.router, password.router, applications.router):
        app.include_router(router)
    fleet.install(app, operator_tokens=operator_tokens or [], operator_key_files=operator_keys or [])
    app.include_router(business_type_routes.router)
    app.include_router(staff_routes.kiosk_router)
    app.include_router(staff_routes.operator_router)
    app.include_router(help_routes.router)
    app.include_router(appointment_routes.router)
    app.include_router(certificate_routes.router)
    app.include_router(verify_routes.router)
    app.include_router(advice_routes.router)
    app.include_router(alerts.router)
    counter_routes.install(app, counter_tokens=counter_tokens or [])
    install_crm(app, crm or CrmSettings(), demo=demo)
    console.install(app, secret=console_secret, secure_cookies=console_secure_cookies)
    if demo:
        app.include_router(demo_routes.router)
    # Innermost, so that it sees an exception before Starlette's last resort does.
    app.add_middleware(AnswerUnexpected, sequence=context.sequence)
    # An oversized body is refused before routing, parsing or auth; only the sequence's top-up, which
    # reads nothing of the request, comes before it.
    app.add_middleware(BodySizeLimit, max_bytes=limits.max_body_bytes, sequence=context.sequence)
    app.add_middleware(SequenceTopUp, sequence=context.sequence)
    return app


class _ContractApp(FastAPI):
    def openapi(self) -> dict[str, Any]:
        return _contract_schema(self)


def _contract_schema(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, made true to this server: validation errors are 400 envelopes, not 422s, and an
    operation needs all the security schemes FastAPI lists (an OpenAPI list of requirements means any one)."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        for path in schema["paths"].values():
            for operation in path.values():
                operation["responses"].pop("422", None)
                if "security" in operation:
                    operation["security"] = [
                        {
                            name: scopes
                            for requirement in operation["security"]
                            for name, scopes in requirement.items()
                        }
                    ]
        for name in ("HTTPValidationError", "ValidationError"):
            schema["components"]["schemas"].pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema
