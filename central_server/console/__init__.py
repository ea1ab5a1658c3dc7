"""The operator console at `/console`: server-rendered pages (Jinja2) with htmx for partial updates, both
served from this package (no CDN: centres' networks are often cut off from the internet). Simplified Chinese
first, English at a click. See docs/console.md."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from central_server.console import fleet, operators, rollouts, scorecard, sign_in, terminals, work
from central_server.console.web import ConsoleSettings, install_error_pages

STATIC = Path(__file__).resolve().parent / "static"
# The demo centre's administrator (README): like the demo's tokens, never for production.
DEMO_OPERATOR = ("demo-admin", "demo-console-not-for-production")


def install(app: FastAPI, *, secret: bytes | None = None, secure_cookies: bool = True) -> None:
    """Add the console. Without `secret` a fresh one is made: sessions end when the centre restarts."""
    app.state.console = ConsoleSettings(secret or secrets.token_bytes(32), secure_cookies)
    install_error_pages(app)
    for module in (sign_in, fleet, rollouts, scorecard, work, terminals, operators):
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
